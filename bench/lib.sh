# bench/lib.sh: shell helpers the guest benchmarks share (bench/guest-net,
# bench/disk), sourced, not run.

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# wait_line FILE REGEX SECS: 0 once FILE has a line matching REGEX, 1
# after SECS seconds without.
wait_line() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do grep -Eq "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# stop_pid PID: TERM, up to 5 s to exit, then KILL; reaped.
stop_pid() { kill -TERM "$1" 2>/dev/null; for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done; kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
