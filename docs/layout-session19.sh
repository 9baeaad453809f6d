#!/bin/bash
# What docs/layout-session19.txt holds: how far builds of the same kernels read apart.
# 4540eb7's csrc/mbgd.c is built eight times (bench/loops/ab_revs.sh: build_padded), each with
# k = 0, 8, ..., 56 bytes of padding put in front of all its code (a file-scope `.skip k` in
# .text), so the same instructions start k bytes further on; each build's epochs are timed
# against themselves (bench/loops/ab_epochs.c, the same file as A and B: A's median is
# printed), softmax (K = 10) on 1 and 2 threads and squared on 1, d = 256, b = 256, 200,000
# shuffled rows out of cache.  Byte-identical copies of one build spread as far (by hand, at
# the end of the .txt): the spread is the file's, not the padding's.
#   bash docs/layout-session19.sh > docs/layout-session19.txt   (about 3 minutes)
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
"$W/handoff" 500000 | tail -1
REV=4540eb7
build_revs $REV
build_padded $REV 0 8 16 24 32 40 48 56
for k in 0 8 16 24 32 40 48 56; do ln -s "$W/$REV+$k.so" "$W/pad$k.so"; done
echo "# k: A's median samples/s, softmax 1 thread | softmax 2 threads | squared 1 thread"
for round in 1 2; do
  for k in 0 8 16 24 32 40 48 56; do
    s1=$("$W/ab_epochs" "$W/pad$k.so" "$W/pad$k.so" 200000 256 256 1 7 9 | awk '/^A:/ {print $2}')
    s2=$("$W/ab_epochs" "$W/pad$k.so" "$W/pad$k.so" 200000 256 256 2 7 9 | awk '/^A:/ {print $2}')
    q1=$("$W/ab_epochs" "$W/pad$k.so" "$W/pad$k.so" 200000 256 256 1 7 0 | awk '/^A:/ {print $2}')
    echo "round $round  k=$k: $s1 | $s2 | $q1"
  done
done
echo "# pad0 against pad16, softmax 1 thread, both orders"
run "$W/pad0.so" "$W/pad16.so" 200000 256 256 1 9 9
run "$W/pad16.so" "$W/pad0.so" 200000 256 256 1 9 9
"$W/handoff" 500000 | tail -1
