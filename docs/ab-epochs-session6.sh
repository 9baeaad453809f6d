#!/bin/bash
# What docs/ab-epochs-session6.txt holds: csrc/mbgd.c built at the session's start (e5626eb),
# with only the group rule of cdd8fe1, and at 6ba5d07, paired by bench/loops/ab_epochs.c.
#   bash docs/ab-epochs-session6.sh > docs/ab-epochs-session6.txt   (about 7 minutes)
set -e
cd "$(dirname "$0")/.."
F="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -shared"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p $W/src
for rev in e5626eb 6ba5d07; do
  git archive $rev csrc | tar -x -C $W/src && mv $W/src/csrc $W/src/$rev
  cc $F $W/src/$rev/mbgd.c -o $W/$rev.so -lm
done
# e5626eb with only the group rule of cdd8fe1
cp -r $W/src/e5626eb $W/src/groups && git diff e5626eb cdd8fe1 -- csrc/mbgd.c | (cd $W/src/groups && patch -s -p2)
cc $F $W/src/groups/mbgd.c -o $W/groups.so -lm
cp $W/e5626eb.so $W/e5626eb-copy.so
cc -O2 -std=gnu99 -Icsrc bench/loops/ab_epochs.c -o $W/ab_epochs -ldl
run() { echo "\$ ab_epochs $(basename $1) $(basename $2) ${@:3}"; $W/ab_epochs $1 $2 "${@:3}"; echo; }
echo "# $(date -u) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(nproc) CPUs"
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
