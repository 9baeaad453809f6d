#!/bin/bash
# What docs/ab-session11.txt holds: session 11's softmax kernel changes, each commit's csrc/
# against its parent's, the builds alternating epoch by epoch in one process
# (bench/loops/ab_epochs.c; each pair in both load orders), and the variant measured and not
# kept (docs/not-kept/axpy4x4-intrinsics.patch on db8d5d6).  Softmax is loss 9 (K = 10).
#   bash docs/ab-session11.sh > docs/ab-session11.txt   (about 6 minutes)
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
build_revs ab3fed2 86d64e1 db8d5d6
cp -r "$W/src/db8d5d6" "$W/src/axpy"
(cd "$W/src/axpy" && patch -s -p2 < "$OLDPWD/docs/not-kept/axpy4x4-intrinsics.patch")
cc $F "$W/src/axpy/mbgd.c" -o "$W/axpy.so" -lm
echo "# 86d64e1: dot2x4 (the b >= 4 scores) in AVX2 intrinsics; softmax, d = 256, b = 256"
both $W/ab3fed2.so $W/86d64e1.so 2048 256 256 1 201 9
both $W/ab3fed2.so $W/86d64e1.so 200000 256 256 2 15 9
both $W/ab3fed2.so $W/86d64e1.so 200000 256 256 1 11 9
echo "# db8d5d6: the b = 1 step's last two outputs in one pass, dot4 (the b = 1 scores) in intrinsics"
both $W/86d64e1.so $W/db8d5d6.so 2048 256 1 1 201 9
both $W/86d64e1.so $W/db8d5d6.so 200000 256 1 2 9 9
both $W/86d64e1.so $W/db8d5d6.so 200000 256 1 1 9 9
echo "# squared loss, which neither change touches (its dot and axpy are not these functions)"
both $W/ab3fed2.so $W/db8d5d6.so 200000 256 256 2 15 0
both $W/ab3fed2.so $W/db8d5d6.so 200000 256 1 1 15 0
echo "# not kept: axpy4x4 (the b >= 4 gradient terms) in intrinsics, x_q loaded once"
both $W/db8d5d6.so $W/axpy.so 2048 256 256 1 201 9
both $W/db8d5d6.so $W/axpy.so 200000 256 256 2 15 9
