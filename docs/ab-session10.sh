#!/bin/bash
# What docs/ab-session10.txt holds: session 10's measured-and-not-kept kernel variants, each
# built from 56352cf's csrc/ with a patch in docs/not-kept/ applied (or a -D flag), against
# 56352cf itself, the builds alternating epoch by epoch in one process
# (bench/loops/ab_epochs.c; each pair in both load orders); and bench/loops/cpu_scaling.c,
# what the second vCPU adds to work that touches no memory.
#   bash docs/ab-session10.sh > docs/ab-session10.txt   (about 5 minutes)
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
base=56352cf
build_revs $base
variant() { # NAME PATCH-or-"" CFLAGS...: $W/NAME.so, $base with PATCH applied, built with CFLAGS
  local name=$1 patch=$2
  cp -r "$W/src/$base" "$W/src/$name"
  [ -z "$patch" ] || (cd "$W/src/$name" && patch -s -p2 < "$OLDPWD/docs/not-kept/$patch")
  cc $F "${@:3}" "$W/src/$name/mbgd.c" -o "$W/$name.so" -lm
}
variant block8 block-gram.patch -DMBGD_BLOCK_ROWS=8
variant block4 block-gram.patch -DMBGD_BLOCK_ROWS=4
variant block2 block-gram.patch -DMBGD_BLOCK_ROWS=2
variant gap8 gap-prefetch.patch -DMBGD_GAP_ROWS=8
variant gap16 gap-prefetch.patch -DMBGD_GAP_ROWS=16
for rows in 8 16 64; do variant pf$rows "" -DMBGD_PREFETCH_BYTES=65536 -DMBGD_PREFETCH_MAX_ROWS=$rows; done
echo "# Gram blocks (block-gram.patch): squared loss, d = 16, iterations of 8 (4, 2) rows or fewer as one block"
for args in "200000 16 1 1 15 0" "200000 16 2 1 15 0" "200000 16 4 1 15 0" "2048 16 1 1 41 0"; do
  both $W/$base.so $W/block8.so $args
done
for v in block4 block2; do both $W/$base.so $W/$v.so 200000 16 1 1 15 0; done
echo "# the next group's rows into L2 at the end of phase A (gap-prefetch.patch): d = 256, b = 256"
for v in gap8 gap16; do
  for t in 2 1; do both $W/$base.so $W/$v.so 200000 256 256 $t 15 0; done
done
echo "# rows prefetched ahead at d = 16 capped at 8, 16, 64 instead of 32"
for v in pf8 pf16 pf64; do
  for b in 1 4; do both $W/$base.so $W/$v.so 200000 16 $b 1 11 0; done
done
echo "# bench/loops/cpu_scaling.c, three runs"
cc -O3 -std=c99 -fopenmp -Icsrc bench/loops/cpu_scaling.c -o "$W/cpu_scaling" -lm
for i in 1 2 3; do echo "\$ cpu_scaling 15"; "$W/cpu_scaling" 15; echo; done
