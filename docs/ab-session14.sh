#!/bin/bash
# What docs/ab-session14.txt holds: session 14's kernel changes, each against its parent's
# csrc/, the builds alternating epoch by epoch in one process (bench/loops/ab_epochs.c; each
# pair in both load orders), and the barrier costs behind them (bench/loops/omp_fork_join.c).
# Softmax is loss 9 (K = 10).  The two-thread draw of the order (92a8ecd) is measured by
# docs/draw-session14.py (docs/machine-session14.txt).
#   bash docs/ab-session14.sh > docs/ab-session14.txt   (about 11 minutes; the last two sections,
#   b036158 and 8431cba, were each run alone after the rest and appended)
# handoff.c's figure beside the barrier costs tells the machine's phase: about 25 ns in a good
# one, 150-600 ns in a bad one, when every cross-core figure is 2-8x (docs/machine-session14.txt).
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
build_revs 9eacf7c 9955d46 0464ce9 e00527d
cc -O2 -fopenmp -Icsrc bench/loops/omp_fork_join.c -o "$W/omp_fork_join"

echo "# what one iteration's synchronisation costs on 2 threads, no work, and how fast the cores pass a line"
"$W/omp_fork_join" 200000
"$W/handoff" 500000
echo

echo "# 9955d46: one parallel region per slice (a team), squared loss, 2 threads, d = 256"
for b in 16 64 256 1024 4096; do
  both $W/9eacf7c.so $W/9955d46.so 200000 256 $b 2 11 0
done
echo "# softmax, d = 256, b = 256, 2 threads"
both $W/9eacf7c.so $W/9955d46.so 200000 256 256 2 7 9
echo "# d = 16, 2 threads, where batches of 1024 and 4096 rows split"
both $W/9eacf7c.so $W/9955d46.so 200000 16 1024 2 21 0
both $W/9eacf7c.so $W/9955d46.so 200000 16 4096 2 21 0
echo "# batches that do not split, which run as before (no team): b = 1, and 1 thread"
both $W/9eacf7c.so $W/9955d46.so 200000 256 1 2 5 0
both $W/9eacf7c.so $W/9955d46.so 200000 16 1 1 11 0
both $W/9eacf7c.so $W/9955d46.so 200000 256 64 1 11 0

echo "# e00527d: update chunks of equal length (softmax at d = 256: 1285 + 1285, not 2048 + 522), 2 threads"
both $W/0464ce9.so $W/e00527d.so 200000 256 256 2 9 9
both $W/0464ce9.so $W/e00527d.so 200000 256 1024 2 7 9
echo "# squared loss (P = 257: one chunk, as before)"
both $W/0464ce9.so $W/e00527d.so 200000 256 256 2 11 0

echo "# what one iteration's synchronisation costs, again at the end"
"$W/omp_fork_join" 200000
"$W/handoff" 500000

echo "# b036158: no team for batches of one row on the direct step (softmax, d = 256: two chunks), 2 threads"
build_revs b036158 6b93a9f
both $W/e00527d.so $W/b036158.so 200000 256 1 2 3 9
both $W/9eacf7c.so $W/b036158.so 200000 256 1 2 3 9

echo "# 8431cba: the small path's finiteness probe in 32 lanes (batches of one group), d = 256, 1 and 2 threads"
build_revs 8431cba
for b in 2 4 16; do
  both $W/6b93a9f.so $W/8431cba.so 200000 256 $b 1 7 0
done
both $W/6b93a9f.so $W/8431cba.so 200000 256 4 2 7 0
