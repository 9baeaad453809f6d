#!/bin/bash
# What docs/ab-session15.txt holds: session 15's kernel changes, each against its parent's
# csrc/, the builds alternating epoch by epoch in one process (bench/loops/ab_epochs.c; each
# pair in both load orders), then the whole session against its start (5e005d7), and the
# prefetch settings tried for softmax and not kept.  Softmax is loss 9 (K = 10).
#   bash docs/ab-session15.sh > docs/ab-session15.txt   (about 20 minutes; the last sections,
#   from the shuffle's cost on, were run alone after the rest and appended, in two parts)
# handoff.c's figure at the top and the end tells the machine's phase: about 25 ns in a good
# one, 150-600 ns in a bad one, when every cross-core figure is 2-8x (docs/machine-session14.txt).
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
build_revs 5e005d7 6eec7e1 bffaa57 d58d3a5 7360602
"$W/handoff" 500000
echo

echo "# 6eec7e1: softmax b >= 4 (AVX-512), scores and gradient terms five outputs of four rows per pass"
both $W/5e005d7.so $W/6eec7e1.so 2048 256 256 1 301 9
both $W/5e005d7.so $W/6eec7e1.so 200000 256 256 2 15 9
both $W/5e005d7.so $W/6eec7e1.so 200000 256 256 1 7 9

echo "# bffaa57: the block's scores interleaved from scores4 through softmax4 to the gradient terms"
both $W/6eec7e1.so $W/bffaa57.so 2048 256 256 1 301 9
both $W/6eec7e1.so $W/bffaa57.so 200000 256 256 2 15 9

echo "# d58d3a5: the groups' sums as a tree, each thread adding its own groups; 2 threads"
for b in 256 1024 4096; do both $W/bffaa57.so $W/d58d3a5.so 200000 256 $b 2 11 9; done
for b in 64 256 1024 4096; do both $W/bffaa57.so $W/d58d3a5.so 200000 256 $b 2 15 0; done
both $W/bffaa57.so $W/d58d3a5.so 200000 16 4096 2 21 0
echo "# 1 thread: the same sums, another order"
both $W/bffaa57.so $W/d58d3a5.so 200000 256 4096 1 7 0

echo "# 7360602: the b = 1 softmax step's scores and softmax in one vector (AVX-512, K <= 16)"
both $W/d58d3a5.so $W/7360602.so 2048 256 1 1 301 9
both $W/d58d3a5.so $W/7360602.so 200000 256 1 1 7 9
echo "# squared b = 1, d = 16 (unchanged code)"
both $W/d58d3a5.so $W/7360602.so 200000 16 1 1 11 0

echo "# the session: 7360602 against 5e005d7, 2 threads"
for b in 1 256 1024; do both $W/5e005d7.so $W/7360602.so 200000 256 $b 2 9 9; done
for b in 1 4 256 4096; do both $W/5e005d7.so $W/7360602.so 200000 256 $b 2 11 0; done

echo "# not kept: prefetch settings for softmax (7360602's sources with -D flags), 2 threads, b = 256"
for fl in "-DMBGD_PREFETCH_LOCALITY=2" "-DMBGD_PREFETCH_BYTES=4096" "-DMBGD_PREFETCH_BYTES=16384"; do
  n=$(echo "$fl" | tr -cd 'A-Z0-9=' | tr '=' '_')
  cc $F $fl "$W/src/7360602/mbgd.c" -o "$W/$n.so" -lm
  echo "# $fl"
  both $W/7360602.so $W/$n.so 200000 256 256 2 11 9
done
echo "# and b = 1 with the rows prefetched 1 row (1 KiB) ahead, not 8, 1 thread"
cc $F -DMBGD_PREFETCH_BYTES=1024 "$W/src/7360602/mbgd.c" -o "$W/PF1K.so" -lm
both $W/7360602.so $W/PF1K.so 200000 256 1 1 7 9

"$W/handoff" 500000

echo "# what the shuffle costs (run alone after the rest and appended): the same build twice, the rows"
echo "# shuffled, then in order (AB_SEQ=1), N = 200,000; unpaired between the two runs, a minute apart"
cp "$W/7360602.so" "$W/7360602b.so"
for cfg in "256 1 1 7 0" "256 1 1 7 9" "256 256 2 7 0" "256 256 2 7 9"; do
  run $W/7360602.so $W/7360602b.so 200000 $cfg
  echo "\$ AB_SEQ=1 (the rows in order)"; AB_SEQ=1 "$W/ab_epochs" $W/7360602.so $W/7360602b.so 200000 $cfg; echo
done

echo "# not kept (appended): two-level prefetch, rows 8 KiB ahead into L2 only, 2 rows ahead into L1"
build_patch 7360602 two-level-prefetch
for cfg in "1 1 7 9" "1 1 7 0" "256 2 7 9" "256 2 7 0" "4096 2 7 0"; do
  both $W/7360602.so $W/two-level-prefetch.so 200000 256 $cfg
done
"$W/handoff" 500000

echo "# 92d9a73 (appended): phase B's nodes into group 0 written to a buffer of its own, 2 threads"
for b in 256 1024; do both $W/706a1fb.so $W/92d9a73.so 200000 256 $b 2 11 9; done
for b in 256 4096; do both $W/706a1fb.so $W/92d9a73.so 200000 256 $b 2 11 0; done
echo "# the session, again: 92d9a73 against 5e005d7, softmax, 2 threads"
for b in 256 1024; do both $W/5e005d7.so $W/92d9a73.so 200000 256 $b 2 9 9; done
"$W/handoff" 500000
