#!/bin/bash
# What docs/ab-session12.txt holds: session 12's softmax change (1773ecc, softmax4) against its
# parent's csrc/, the builds alternating epoch by epoch in one process (bench/loops/ab_epochs.c;
# each pair in both load orders), and the two variants measured and not kept
# (docs/not-kept/axpy2x4.patch and docs/not-kept/softmax-b1-step-with-next-scores.patch, both
# on 1773ecc's csrc/).  Softmax is loss 9 (K = 10).
#   bash docs/ab-session12.sh > docs/ab-session12.txt   (about 7 minutes)
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
build_revs 64dfa60 1773ecc
for v in axpy2x4 softmax-b1-step-with-next-scores; do build_patch 1773ecc $v; done
echo "# 1773ecc: softmax4 (the softmax of four rows at a time); softmax, d = 256, b = 256"
both $W/64dfa60.so $W/1773ecc.so 2048 256 256 1 201 9
both $W/64dfa60.so $W/1773ecc.so 200000 256 256 2 15 9
both $W/64dfa60.so $W/1773ecc.so 200000 256 256 1 11 9
echo "# squared loss, which the change does not touch"
both $W/64dfa60.so $W/1773ecc.so 200000 256 256 2 15 0
echo "# not kept: axpy2x4, the two gradient outputs past the last four (K = 10) in one pass"
both $W/1773ecc.so $W/axpy2x4.so 2048 256 256 1 201 9
echo "# not kept: the b = 1 step fused with the next sample's scores (step2_dot4, step_dot)"
both $W/1773ecc.so $W/softmax-b1-step-with-next-scores.so 2048 256 1 1 201 9
both $W/1773ecc.so $W/softmax-b1-step-with-next-scores.so 200000 256 1 1 9 9
# (this line and the rest were added after the first run of the script, and run then; their
# output is appended to docs/ab-session12.txt in the same order)
echo "# squared loss at b = 1 (the direct step, which the change does not touch either)"
both $W/64dfa60.so $W/1773ecc.so 200000 256 1 2 9 0
both $W/64dfa60.so $W/1773ecc.so 2048 256 1 1 101 0
both $W/64dfa60.so $W/1773ecc.so 200000 256 1 1 9 0
echo "# softmax at b = 1 (softmax_step1, which the change does not touch)"
both $W/64dfa60.so $W/1773ecc.so 2048 256 1 1 101 9
echo "# softmax b = 256 in cache: the weights 0 vs 512-2048 bytes past a line (same build), and"
echo "# rows prefetched into L2 (-DMBGD_PREFETCH_LOCALITY=2) instead of L1"
cc $F -DMBGD_PREFETCH_LOCALITY=2 "$W/src/1773ecc/mbgd.c" -o "$W/l2.so" -lm
for o in 0,512 0,1024 0,2048; do AB_THETA_OFFSET=$o run $W/1773ecc.so $W/1773ecc.so 2048 256 256 1 101 9; done
both $W/1773ecc.so $W/l2.so 2048 256 256 1 101 9
both $W/1773ecc.so $W/l2.so 200000 256 256 2 11 9
