#!/bin/sh
# bench/loops/sm_split.c (session 41), rows in L1 and out of cache, twice each; then
# bench/loops/b1_chain.c and b1_pack4.c three times each; the one-way cross-core hand-off
# (bench/loops/handoff.c) before the runs; from the repository root:
#   sh docs/sm-split-session41.sh > docs/sm-split-session41.txt 2>&1
set -e
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cc -O3 -funroll-loops -std=c99 -fopenmp -w bench/loops/sm_split.c -o "$T/sm_split" -lm
cc -O2 -fopenmp -Icsrc bench/loops/handoff.c -o "$T/handoff"
cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc bench/loops/b1_chain.c -o "$T/b1_chain" -lm
cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc bench/loops/b1_pack4.c -o "$T/b1_pack4" -lm
for i in 1 2; do
    "$T/handoff" 200000 | tail -1
    echo "-- 16 rows (L1), 100,000 samples"
    "$T/sm_split" 100000 16
    "$T/handoff" 200000 | tail -1
    echo "-- 200,000 rows (out of cache), 400,000 samples"
    "$T/sm_split" 400000 200000
done
echo "== bench/loops/b1_chain.c, 4,096 rows, three runs"
for i in 1 2 3; do "$T/b1_chain" 2000000 4096; done
echo "== bench/loops/b1_pack4.c, 200,000 shuffled rows, 15 rounds, three runs"
for i in 1 2 3; do
    "$T/handoff" 200000 | tail -1
    "$T/b1_pack4" 200000 15
done
"$T/handoff" 200000 | tail -1
