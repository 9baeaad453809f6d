#!/bin/bash
# What docs/ab-session10-kept.txt holds: session 10's kernel commit (688148e: rows of 8, 16, 24
# or 32 values take dot, axpy and the b = 1 step with their length fixed at compile time)
# against 56352cf, the builds alternating epoch by epoch in one process
# (bench/loops/ab_epochs.c), each pair in both load orders; the two trained the same bits.
#   bash docs/ab-session10-kept.sh > docs/ab-session10-kept.txt   (about 5 minutes)
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
build_revs 56352cf 688148e
echo "# squared loss, 1 thread: d = 16 at b = 1 and 4, in cache (2,048 rows) and out; d = 8, 24, 32 in cache"
for args in "2048 16 1 1 41 0" "200000 16 1 1 15 0" "2048 16 4 1 41 0" "200000 16 4 1 15 0" \
            "2048 8 1 1 41 0" "2048 24 1 1 41 0" "2048 32 1 1 41 0" "2048 32 4 1 41 0"; do
  both $W/56352cf.so $W/688148e.so $args
done
echo "# d = 16 on 2 threads (b = 1 and 4 run on one), and cells whose rows are not of those lengths"
for args in "200000 16 1 2 15 0" "200000 16 4 2 15 0" "200000 256 1 1 11 0" "200000 256 256 2 11 0" \
            "200000 256 256 2 11 9"; do
  both $W/56352cf.so $W/688148e.so $args
done
