#!/bin/bash
# What docs/ab-session13.txt holds: session 13's kernel changes, on the Zen 5 EPYC (AVX-512)
# this project's machine had become, each against its parent's csrc/, the builds alternating
# epoch by epoch in one process (bench/loops/ab_epochs.c; each pair in both load orders), and
# the two variants measured and not kept (docs/not-kept/dot4-avx512.patch and
# docs/not-kept/b1-z-ahead.patch, on 081c903's csrc/).  Softmax is loss 9 (K = 10).
#   bash docs/ab-session13.sh > docs/ab-session13.txt   (about 5 minutes)
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
build_revs 13522cc 11ecf4b 081c903
cc $F -DMBGD_PREFETCH_BYTES=16384 "$W/src/081c903/mbgd.c" -o "$W/081c903-pf16384.so" -lm
build_patch 081c903 dot4-avx512
build_patch 081c903 b1-z-ahead
cp -r "$W/src/b1-z-ahead" "$W/src/b1-z-ahead-every-d" # the same with no limit on d
sed -i 's/^#define MBGD_AHEAD_D 32$/#define MBGD_AHEAD_D 100000000/' "$W/src/b1-z-ahead-every-d/kernel_impl.h"
cc $F "$W/src/b1-z-ahead-every-d/mbgd.c" -o "$W/b1-z-ahead-every-d.so" -lm

echo "# the variants of one build on this CPU: AVX2 against AVX-512, before 11ecf4b"
export AB_ISA=avx2,avx512
run $W/13522cc.so $W/13522cc.so 2048 256 256 1 201 9
run $W/13522cc.so $W/13522cc.so 2048 256 256 1 201 0
run $W/13522cc.so $W/13522cc.so 2048 256 1 1 51 0
echo "# and after it (the AVX-512 variant's dot2x4 in intrinsics)"
run $W/11ecf4b.so $W/11ecf4b.so 2048 256 256 1 201 9
unset AB_ISA

echo "# 11ecf4b: dot2x4 in AVX-512 (the scores of four rows); softmax, d = 256, b = 256"
both $W/13522cc.so $W/11ecf4b.so 2048 256 256 1 201 9
both $W/13522cc.so $W/11ecf4b.so 200000 256 256 2 11 9
both $W/13522cc.so $W/11ecf4b.so 200000 256 256 1 7 9
echo "# squared loss, which the change does not touch"
both $W/13522cc.so $W/11ecf4b.so 200000 256 256 2 11 0

echo "# 081c903: 8192 bytes of rows prefetched ahead, not 4096"
both $W/11ecf4b.so $W/081c903.so 200000 256 1 1 9 0
both $W/11ecf4b.so $W/081c903.so 200000 256 1 2 9 0
both $W/11ecf4b.so $W/081c903.so 200000 256 256 1 9 0
both $W/11ecf4b.so $W/081c903.so 200000 256 256 2 11 0
both $W/11ecf4b.so $W/081c903.so 200000 256 4096 2 9 0
both $W/11ecf4b.so $W/081c903.so 200000 256 256 2 11 9
both $W/11ecf4b.so $W/081c903.so 200000 64 256 2 11 0
both $W/11ecf4b.so $W/081c903.so 2048 256 256 1 201 0
echo "# and 16384 bytes against 8192"
both $W/081c903.so $W/081c903-pf16384.so 200000 256 1 1 9 0
both $W/081c903.so $W/081c903-pf16384.so 200000 256 256 2 11 0
both $W/081c903.so $W/081c903-pf16384.so 200000 256 256 2 11 9
both $W/081c903.so $W/081c903-pf16384.so 2048 256 256 1 201 0

echo "# not kept: dot4 in AVX-512 (the b = 1 softmax scores)"
both $W/081c903.so $W/dot4-avx512.so 2048 256 1 1 41 9
both $W/081c903.so $W/dot4-avx512.so 200000 256 1 1 7 9
echo "# not kept: b = 1 with the next row's z from dot products taken before this row's step"
echo "# (d <= 32; then with no limit on d); squared loss"
both $W/081c903.so $W/b1-z-ahead.so 2048 16 1 1 201 0
both $W/081c903.so $W/b1-z-ahead.so 200000 16 1 1 9 0
both $W/081c903.so $W/b1-z-ahead.so 200000 16 1 2 9 0
both $W/081c903.so $W/b1-z-ahead.so 200000 8 1 1 9 0
both $W/081c903.so $W/b1-z-ahead.so 200000 32 1 1 9 0
both $W/081c903.so $W/b1-z-ahead-every-d.so 200000 64 1 1 9 0
both $W/081c903.so $W/b1-z-ahead-every-d.so 200000 256 1 1 9 0
both $W/081c903.so $W/b1-z-ahead-every-d.so 2048 256 1 1 51 0
# (this line and the rest were added after the first run of the script, and run then; their
# output is appended to docs/ab-session13.txt in the same order)
build_revs 9d395ba 098dce2
echo "# 098dce2: the b = 1 softmax steps sixteen lanes wide (AVX-512); softmax, d = 256, b = 1"
both $W/9d395ba.so $W/098dce2.so 2048 256 1 1 51 9
both $W/9d395ba.so $W/098dce2.so 200000 256 1 1 7 9
echo "# squared loss at b = 1, which the change does not touch"
both $W/9d395ba.so $W/098dce2.so 200000 256 1 1 7 0
