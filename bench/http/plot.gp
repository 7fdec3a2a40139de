# gnuplot -e "datafile='bench/out/http.dat'; outfile='bench/http.png'" bench/http/plot.gp
set terminal pngcairo size 1100,420 font ",10"
set output outfile
set multiplot layout 1,2 title "POST /predict, one row, 50-tree binary model (wrk, keep-alive)"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set grid ytics
set xtics rotate by -20 scale 0
set title "requests per second (log scale)"
set logscale y
plot datafile using 2:xtic(1) notitle linecolor rgb "#3572b0"
set title "latency, ms (log scale)"
set style histogram clustered gap 1
set key top left reverse Left
plot datafile using 3:xtic(1) title "p50" linecolor rgb "#3572b0", \
     '' using 4 title "p99" linecolor rgb "#d04437"
unset multiplot
