#!/bin/sh
# Session 29: the softmax batch's inner loops in L1 (bench/loops/softmax_loops.c, the library's
# AVX2 code) with X on a cache line and 4 floats (16 bytes) past one, as NumPy places a large
# X; W and the sums stay on lines, as the library allocates them (4 4 4: all three off).
# Alternated, three rounds; each line the best of 7 timings.
#   sh docs/softmax-align-session29.sh > docs/softmax-align-session29.txt
set -e
cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc bench/loops/softmax_loops.c -o /tmp/softmax_loops -lm
for r in 1 2 3; do
  for o in "0 0 0" "4 0 0" "4 4 4"; do
    set -- $o
    XOFF=$1 WOFF=$2 AOFF=$3 SOFTMAX_LOOPS_AVX2=1 /tmp/softmax_loops 20000 | tr '\n' ' '
    echo
  done
done
