#!/bin/sh
# Session 51: bench/loops/sm_cls.c -- softmax batches (K = 10, d = 256) split over two threads
# by classes (each thread its five outputs' scores, terms, sums and step; the scores handed
# over every few blocks) against the installed library's row split on two threads (its
# extension loaded into the program; run in the venv that has it), in one process with
# the library's squared loss, one thread's half alone, and the rows read by both threads vs
# half each; out of cache (200,000 shuffled rows, b = 256 and 1024) and with the rows in the
# caches (2,048 rows, 2 MB), then two settings of the hand-off.
#   sh docs/sm-cls-session51.sh > docs/sm-cls-session51.txt
set -e
git rev-parse --short HEAD
grep -m1 'model name' /proc/cpuinfo
cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -fwhole-program -Icsrc \
  bench/loops/sm_cls.c -o /tmp/sm_cls -lm -ldl
# the baseline: the installed library's own build
LIB=$(python -c "import os, mbgd_fast; print(os.path.join(os.path.dirname(mbgd_fast.__file__), '_mbgd.abi3.so'))")
for args in "200000 256 256 15" "200000 256 1024 15" "2048 256 256 31"; do
  echo "== $args"
  /tmp/sm_cls "$LIB" $args
done
for s in "1 1" "8 16"; do
  set -- $s
  echo "== 200000 256 256 15, CLS_GRAIN=$1 CLS_L=$2"
  CLS_GRAIN=$1 CLS_L=$2 /tmp/sm_cls "$LIB" 200000 256 256 15
done
