# Helpers of the disk scenarios (75, 80-89): sourced after lib.sh.

# check_image FILE SEED FIRST COUNT: sectors FIRST, FIRST+1, the middle one
# and the last of a raw image hold the guest's pattern (guestdrv/blkwl.c,
# blkwrite with blk_seed=SEED blk_start=FIRST blk_sectors=COUNT).
check_image() {	# FILE SEED FIRST COUNT
	python3 - "$@" <<'PY'
import struct, sys
path, seed, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
M = (1 << 64) - 1
def pat(s, w):
    x = ((seed << 40) ^ ((s * 0x9e3779b97f4a7c15) & M) ^ w) & M
    x ^= x >> 31
    x = (x * 0xbf58476d1ce4e5b9) & M
    return x ^ (x >> 29)
with open(path, "rb") as f:
    for s in (first, first + 1, first + count // 2, first + count - 1):
        f.seek(s * 512)
        words = struct.unpack("<64Q", f.read(512))
        if any(words[w] != pat(s, w) for w in range(64)):
            sys.exit("sector %d of %s does not hold the pattern" % (s, path))
PY
}

# sum_image FILE SEED FIRST COUNT: sha256 of COUNT sectors from FIRST of
# FILE, and of what blkwrite's pattern puts there; fails if they differ.
sum_image() {
	python3 - "$@" <<'PY'
import hashlib, struct, sys
path, seed, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
M = (1 << 64) - 1
want, got = hashlib.sha256(), hashlib.sha256()
for s in range(first, first + count):
    ws = []
    for w in range(64):
        x = ((seed << 40) ^ ((s * 0x9e3779b97f4a7c15) & M) ^ w) & M
        x ^= x >> 31
        x = (x * 0xbf58476d1ce4e5b9) & M
        ws.append(x ^ (x >> 29))
    want.update(struct.pack("<64Q", *ws))
with open(path, "rb") as f:
    f.seek(first * 512)
    got.update(f.read(count * 512))
if want.digest() != got.digest():
    sys.exit("sectors %d-%d of %s: sha256 %s, the pattern's %s" %
             (first, first + count - 1, path, got.hexdigest(), want.hexdigest()))
print(got.hexdigest())
PY
}
