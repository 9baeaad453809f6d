#!/bin/bash
# What docs/ab-session8.txt holds: session 8's kernel commit (0f8eddf: the shuffle's partners
# prefetched a block ahead, and train()'s group count once per batch size) against the
# session's start (2b2366e), each pair of builds alternating in one process:
# bench/loops/ab_shuffle.c for the shuffle (mbgd_permutation), bench/loops/ab_epochs.c for
# the training epochs.
#   bash docs/ab-session8.sh > docs/ab-session8.txt   (about 5 minutes)
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
build_revs 2b2366e 0f8eddf
cp $W/2b2366e.so $W/2b2366e-copy.so
echo "# A/A: one build against a copy of itself"
ab ab_shuffle $W/2b2366e.so $W/2b2366e-copy.so 200000 21
run $W/2b2366e.so $W/2b2366e-copy.so 200000 16 1 1 21 0
echo "# the shuffle, blocks of 32 partners prefetched (0f8eddf) against the start"
ab ab_shuffle $W/2b2366e.so $W/0f8eddf.so 200000 21
ab ab_shuffle $W/2b2366e.so $W/0f8eddf.so 2000000 11
ab ab_shuffle $W/2b2366e.so $W/0f8eddf.so 20000000 5
echo "# training epochs (the same order in both; the group count once per batch size)"
run $W/2b2366e.so $W/0f8eddf.so 200000 16 1 1 21 0
run $W/2b2366e.so $W/0f8eddf.so 200000 16 1 2 21 0
run $W/2b2366e.so $W/0f8eddf.so 200000 16 4 1 21 0
run $W/2b2366e.so $W/0f8eddf.so 200000 256 256 2 11 0
