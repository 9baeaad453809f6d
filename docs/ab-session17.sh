#!/bin/bash
# What docs/ab-session17.txt holds: session 17's kernel change (3e7abff: b = 1 runs in
# registers take z ahead of the previous step and hand the next call a carry; 137c763: the
# intercept's step rounded once, as before) against session 16's last kernels (2139195), the
# builds alternating epoch by epoch in one process (bench/loops/ab_epochs.c; each pair in both
# load orders); z from two steps before (docs/not-kept/b1-z-two-steps-ahead.patch, not kept)
# against it; and bench/loops/same_bits.c: which of its 22,680 problems train to other bits
# than 2139195's (the b = 1 runs that take z ahead, and no other).  ab_epochs passes no carry:
# each epoch starts its run afresh, as the first call of a train() does.
#   bash docs/ab-session17.sh > docs/ab-session17.txt   (about 5 minutes)
# handoff.c's figure at the top and the end tells the machine's phase: about 25 ns in a good
# one, 150-600 ns in a bad one (docs/machine-session14.txt).
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
if [ "$1" != part2 ] && [ "$1" != part3 ]; then
NEW=224db80
build_revs 2139195 $NEW
build_patch $NEW b1-z-two-steps-ahead
"$W/handoff" 500000
echo

echo "# same bits: $NEW against 2139195, the problems that differ counted by instruction set"
echo "# (2: avx2, 3: avx512), d and b; then the total"
same_bits 2139195 $NEW cases
echo

echo "# z ahead (b = 1 runs in registers): d = 16 on 1 and 2 threads, d = 8, 24, 32 on 1"
both $W/2139195.so $W/$NEW.so 200000 16 1 1 15 0
both $W/2139195.so $W/$NEW.so 200000 16 1 2 15 0
for d in 8 24 32; do both $W/2139195.so $W/$NEW.so 200000 $d 1 1 11 0; done
echo "# paths it does not take: d = 16 b = 4 (small_run), d = 256 b = 1 and b = 256 on 2 threads"
both $W/2139195.so $W/$NEW.so 200000 16 4 1 11 0
both $W/2139195.so $W/$NEW.so 200000 256 1 2 9 0
both $W/2139195.so $W/$NEW.so 200000 256 256 2 9 0

echo "# z from two steps before (not kept) against $NEW: d = 8, 16, 32, b = 1, 1 thread"
for d in 8 16 32; do both $W/$NEW.so $W/b1-z-two-steps-ahead.so 200000 $d 1 1 11 0; done
"$W/handoff" 500000

# Part 2, run after the rest and appended: 9fbfa42 (b = 1 runs on rows of any length up to 32,
# the last vector's tail masked; dot's tail fused in both x86 variants) against 224db80, and
# the tail read through a mask (docs/not-kept/b1-tail-masked-read.patch) against it.
#   bash docs/ab-session17.sh part2 >> docs/ab-session17.txt
elif [ "$1" = part2 ]; then
build_revs 224db80 9fbfa42
build_patch 9fbfa42 b1-tail-masked-read
echo "# part 2"
"$W/handoff" 500000
echo

echo "# same bits: 9fbfa42 against 224db80, the problems that differ counted by instruction set"
echo "# (2: avx2, 3: avx512), d and b; then the total"
same_bits 224db80 9fbfa42 cases
echo

echo "# b = 1 in registers on rows with a tail: d = 7, 12, 20, 28, 1 thread; d = 12 on 2"
for d in 7 12 20 28; do both $W/224db80.so $W/9fbfa42.so 200000 $d 1 1 11 0; done
both $W/224db80.so $W/9fbfa42.so 200000 12 1 2 11 0
echo "# unchanged paths: d = 16 b = 1; d = 7 and 33 at b = 4 (AVX-512, its tail fused before too)"
both $W/224db80.so $W/9fbfa42.so 200000 16 1 1 11 0
for d in 7 33; do both $W/224db80.so $W/9fbfa42.so 200000 $d 4 1 11 0; done
echo "# the AVX2 variant's tail now fused: d = 7 and 33 at b = 4, both builds as avx2"
export AB_ISA=avx2,avx2
for d in 7 33; do both $W/224db80.so $W/9fbfa42.so 200000 $d 4 1 11 0; done
unset AB_ISA

echo "# the tail read through a mask (not kept) against 9fbfa42: d = 12, 20, 28, b = 1"
for d in 12 20 28; do both $W/9fbfa42.so $W/b1-tail-masked-read.so 200000 $d 1 1 11 0; done
"$W/handoff" 500000

# Part 3, run after the rest and appended: 3c7752a (batches of one group in registers on rows
# of any length up to 32) against b263a02 (its parent, whose kernels are 9fbfa42's).
#   bash docs/ab-session17.sh part3 >> docs/ab-session17.txt
else
build_revs b263a02 3c7752a
echo "# part 3"
"$W/handoff" 500000
echo
echo "# same bits: 3c7752a against b263a02 (its small_run on rows with a tail sums as before)"
same_bits b263a02 3c7752a
echo
echo "# batches of one group with a tail: d = 7, 12, 20 at b = 4, d = 12 at b = 16, d = 20 at"
echo "# b = 64, 1 thread; d = 12 b = 4 on 2 threads; unchanged: d = 16 b = 4, d = 256 b = 256 (2 threads)"
for d in 7 12 20; do both $W/b263a02.so $W/3c7752a.so 200000 $d 4 1 11 0; done
both $W/b263a02.so $W/3c7752a.so 200000 12 16 1 11 0
both $W/b263a02.so $W/3c7752a.so 200000 20 64 1 11 0
both $W/b263a02.so $W/3c7752a.so 200000 12 4 2 11 0
both $W/b263a02.so $W/3c7752a.so 200000 16 4 1 11 0
both $W/b263a02.so $W/3c7752a.so 200000 256 256 2 9 0
"$W/handoff" 500000
fi
