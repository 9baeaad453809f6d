#!/bin/bash
# What docs/ab-session16.txt holds: session 16's kernel changes, each against its parent's
# csrc/, the builds alternating epoch by epoch in one process (bench/loops/ab_epochs.c; each
# pair in both load orders), then the whole session's kernels against its start (c915a2d);
# and bench/loops/same_bits.c: every kernel change of the session trains to the bits of
# c915a2d's on 22,680 problems.  The order drawn while training (3bf9b47) is a train()-level
# change, measured by docs/train-draw-session16.py.
#   bash docs/ab-session16.sh > docs/ab-session16.txt   (about 10 minutes)
# handoff.c's figure at the top and the end tells the machine's phase: about 25 ns in a good
# one, 150-600 ns in a bad one, when every cross-core figure is 2-8x (docs/machine-session14.txt).
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
if [ "$1" != part2 ]; then
REVS="c915a2d 1550dd7 01381e6 a3eb85f"
build_revs $REVS
cc -O2 -std=gnu99 -Icsrc bench/loops/same_bits.c -o "$W/same_bits" -ldl -lm
"$W/handoff" 500000
echo

echo "# same bits: each build against c915a2d"
for r in 1550dd7 01381e6 a3eb85f; do echo "\$ same_bits c915a2d.so $r.so"; "$W/same_bits" "$W/c915a2d.so" "$W/$r.so"; done
echo

echo "# 1550dd7: b = 1 runs with w in registers (direct_run), and check_slice"
both $W/c915a2d.so $W/1550dd7.so 200000 16 1 1 15 0
both $W/c915a2d.so $W/1550dd7.so 200000 16 1 2 15 0
echo "# (unchanged paths: d = 256 b = 1, where check_slice alone applies; b = 256 on a team)"
both $W/c915a2d.so $W/1550dd7.so 200000 256 1 1 7 0
both $W/c915a2d.so $W/1550dd7.so 200000 256 256 2 11 0

echo "# 01381e6: sample weights a compile-time choice, dot's 0 added to the intercept"
both $W/1550dd7.so $W/01381e6.so 200000 16 1 1 15 0

echo "# a3eb85f: batches of one group with w in registers (small_run)"
for b in 4 16 64 256; do both $W/01381e6.so $W/a3eb85f.so 200000 16 $b 1 11 0; done
for b in 4 64 4096; do both $W/01381e6.so $W/a3eb85f.so 200000 16 $b 2 11 0; done

echo "# the session's kernels against c915a2d"
for b in 1 4 16 256 4096; do both $W/c915a2d.so $W/a3eb85f.so 200000 16 $b 2 9 0; done
for b in 1 256 4096; do both $W/c915a2d.so $W/a3eb85f.so 200000 256 $b 2 9 0; done
both $W/c915a2d.so $W/a3eb85f.so 200000 256 1 1 7 9
both $W/c915a2d.so $W/a3eb85f.so 200000 256 256 2 9 9
"$W/handoff" 500000

# Part 2, run alone after the rest and appended: 16f1584 (the runs in a function of their own,
# squared loss's z, r and c in all lanes) against a3eb85f and c915a2d.
#   bash docs/ab-session16.sh part2 >> docs/ab-session16.txt
else
build_revs c915a2d a3eb85f 16f1584
cc -O2 -std=gnu99 -Icsrc bench/loops/same_bits.c -o "$W/same_bits" -ldl -lm
echo "# part 2: $(date -u)"
"$W/handoff" 500000
echo "\$ same_bits c915a2d.so 16f1584.so"; "$W/same_bits" "$W/c915a2d.so" "$W/16f1584.so"
echo "# 16f1584 against a3eb85f: d = 16 b = 1 (squared's lanes), b = 4; d = 256 b = 1 and 256, 2 threads"
both $W/a3eb85f.so $W/16f1584.so 200000 16 1 1 15 0
both $W/a3eb85f.so $W/16f1584.so 200000 16 4 1 11 0
both $W/a3eb85f.so $W/16f1584.so 200000 256 1 2 9 0
both $W/a3eb85f.so $W/16f1584.so 200000 256 256 2 9 0
echo "# the session's kernels (16f1584) against c915a2d"
for b in 1 4 16 256 4096; do both $W/c915a2d.so $W/16f1584.so 200000 16 $b 2 9 0; done
for b in 1 256 4096; do both $W/c915a2d.so $W/16f1584.so 200000 256 $b 2 9 0; done
both $W/c915a2d.so $W/16f1584.so 200000 256 1 1 7 0
both $W/c915a2d.so $W/16f1584.so 200000 256 1 1 7 9
both $W/c915a2d.so $W/16f1584.so 200000 256 256 2 9 9
"$W/handoff" 500000
fi
