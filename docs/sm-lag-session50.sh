#!/bin/sh
# Session 50: bench/loops/sm_lag.c -- the b = 1 softmax blocks split by columns over two
# threads with one block of lag (the hand-off off the chain), against sm_block.c's blocks on
# one thread and sm_split.c's split, rows asked for into L1 (PFH=3) and into L2 (PFH=1), in L1
# (16 rows) and out of cache (200,000 shuffled rows on 2 MiB pages); each with the lag whole
# (SM_LAG_MODE=0) and with a part removed (1: no waits, 2: no passes, 3: no chain).
#   sh docs/sm-lag-session50.sh > docs/sm-lag-session50.txt
set -e
git rev-parse --short HEAD
grep -m1 'model name' /proc/cpuinfo
for h in 3 1; do
  cc -O3 -funroll-loops -std=c99 -fopenmp -w -DPFH=$h bench/loops/sm_lag.c -o /tmp/sm_lag_pfh$h -lm
done
for h in 3 1; do
  for rows in 16 200000; do
    for mode in 0 1 2 3; do
      echo "== PFH=$h rows=$rows SM_LAG_MODE=$mode"
      SM_LAG_MODE=$mode /tmp/sm_lag_pfh$h 400000 $rows
    done
  done
done
