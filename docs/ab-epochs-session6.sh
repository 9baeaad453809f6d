#!/bin/bash
# What docs/ab-epochs-session6.txt holds: csrc/mbgd.c built at the session's start (e5626eb),
# with only the group rule of cdd8fe1, and at 6ba5d07, paired by bench/loops/ab_epochs.c.
#   bash docs/ab-epochs-session6.sh > docs/ab-epochs-session6.txt   (about 7 minutes)
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
build_revs e5626eb 6ba5d07
# e5626eb with only the group rule of cdd8fe1
cp -r $W/src/e5626eb $W/src/groups && git diff e5626eb cdd8fe1 -- csrc/mbgd.c | (cd $W/src/groups && patch -s -p2)
cc $F $W/src/groups/mbgd.c -o $W/groups.so -lm
cp $W/e5626eb.so $W/e5626eb-copy.so
echo "# A/A: one build against a copy of itself"
run $W/e5626eb.so $W/e5626eb-copy.so 200000 256 256 2 15 9
echo "# the group rule alone (groups.so = e5626eb + the n_groups change of cdd8fe1)"
run $W/e5626eb.so $W/groups.so 200000 256 256 2 15 9
run $W/e5626eb.so $W/groups.so 200000 256 64 2 11 9
run $W/e5626eb.so $W/groups.so 200000 256 256 2 15 0
echo "# this session's kernels (6ba5d07) against the group rule alone: the softmax prefetch schedule"
run $W/groups.so $W/6ba5d07.so 200000 256 256 2 15 9
run $W/groups.so $W/6ba5d07.so 200000 256 256 1 9 9
echo "# this session's kernels against the session's start (e5626eb)"
run $W/e5626eb.so $W/6ba5d07.so 200000 256 256 2 15 9
run $W/e5626eb.so $W/6ba5d07.so 200000 256 1024 2 11 9
run $W/e5626eb.so $W/6ba5d07.so 200000 256 256 2 15 0
run $W/e5626eb.so $W/6ba5d07.so 200000 16 4 1 21 0
