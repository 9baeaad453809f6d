#!/bin/bash
# What docs/ab-session9.txt holds: session 9's kernel commit (07f248a: the b = 1 softmax step
# with l2 = 0 steps its outputs four at a time, out of line) against the session's start
# (729c9a7), the two builds alternating epoch by epoch in one process (bench/loops/ab_epochs.c,
# with the weights of both on a 64-byte boundary, as train() now places them; each softmax
# b = 1 pair is also run with the builds loaded the other way round); and what weights off a
# 32-byte boundary cost one build against a copy of itself (AB_THETA_OFFSET).
#   bash docs/ab-session9.sh > docs/ab-session9.txt   (about 5 minutes)
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
build_revs 729c9a7 07f248a
cp $W/729c9a7.so $W/729c9a7-copy.so
echo "# A/A: one build against a copy of itself"
run $W/729c9a7.so $W/729c9a7-copy.so 2048 256 1 1 301 9
run $W/729c9a7.so $W/729c9a7-copy.so 200000 16 1 1 21 0
echo "# the weights 16 or 48 bytes past a 64-byte boundary in the second (AB_THETA_OFFSET=0,16 / 0,48)"
AB_THETA_OFFSET=0,16 run $W/729c9a7.so $W/729c9a7-copy.so 2048 256 1 1 301 9
AB_THETA_OFFSET=0,48 run $W/729c9a7.so $W/729c9a7-copy.so 2048 256 1 1 301 9
AB_THETA_OFFSET=0,16 run $W/729c9a7.so $W/729c9a7-copy.so 200000 256 1 2 15 9
AB_THETA_OFFSET=0,16 run $W/729c9a7.so $W/729c9a7-copy.so 200000 256 256 2 11 9
AB_THETA_OFFSET=0,16 run $W/729c9a7.so $W/729c9a7-copy.so 200000 256 1 2 15 0
echo "# softmax (K = 10), d = 256, b = 1: in cache (2,048 rows), then out of cache; both load orders"
for args in "2048 256 1 1 301 9" "200000 256 1 1 15 9" "200000 256 1 2 15 9"; do
  both $W/729c9a7.so $W/07f248a.so $args
done
echo "# cells whose code is unchanged (squared loss; softmax at b = 256)"
for args in "200000 16 1 1 21 0" "200000 16 1 2 21 0" "200000 16 4 1 21 0" "200000 256 1 2 15 0" \
            "200000 256 256 2 11 0" "200000 256 256 2 11 9"; do
  run $W/729c9a7.so $W/07f248a.so $args
done
