# gnuplot script for docs/usage-plot.svg: the output of
#   vnicadm show-usage -f usage.log -F gnuplot vnic1 > usage-plot.dat
# (scenario 49-usage, 20 pings of 1000 bytes at 5/s, usage interval 1 s;
# the VNIC's name shortened to vnic1). Regenerate with
#   gnuplot docs/usage-plot.gp > docs/usage-plot.svg
set terminal svg size 640,360 dynamic font "sans,11"
set title "vnicadm show-usage -F gnuplot vnic1"
set xdata time
set timefmt "%H:%M:%S"
set format x "%H:%M:%S"
set xlabel "end of interval (UTC)"
set ylabel "kb/s (received + sent)"
set yrange [0:*]
set grid
set key top left
plot "docs/usage-plot.dat" using 1:2 with linespoints lw 2 title "vnic1"
