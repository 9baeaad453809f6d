#!/bin/bash
# What docs/ab-layouts-not-kept-session19.txt holds: two settings measured over four builds of
# each side (bench/loops/ab_revs.sh: build_padded, layouts; see docs/ab-layouts-session19.sh),
# both against 29b9119's kernels, in both load orders for softmax; neither kept:
#   docs/not-kept/softmax-near-prefetch.patch  softmax asks for the rows 4 ahead again, into L1
#   pf16k                                      MBGD_PREFETCH_BYTES 16384 instead of 8192
# (The .txt says "placements": four builds of each side, each its own file.)
#   bash docs/ab-layouts-not-kept-session19.sh > docs/ab-layouts-not-kept-session19.txt  (6 min)
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
"$W/handoff" 500000 | tail -1
build_revs 29b9119
build_patch 29b9119 softmax-near-prefetch
cp -r "$W/src/29b9119" "$W/src/pf16k" && sed -i 's/^#define MBGD_PREFETCH_BYTES 8192/#define MBGD_PREFETCH_BYTES 16384/' "$W/src/pf16k/mbgd.c" && grep -c "PREFETCH_BYTES 16384" "$W/src/pf16k/mbgd.c"
for n in 29b9119 softmax-near-prefetch pf16k; do build_padded $n 0 16 32 48; done
for v in softmax-near-prefetch pf16k; do
  for loss in 9 0; do for threads in 1 2; do layouts 29b9119 $v "0 16 32 48" 200000 256 256 $threads 9 $loss; done; done
  for threads in 1 2; do layouts $v 29b9119 "0 16 32 48" 200000 256 256 $threads 9 9; done
done
"$W/handoff" 500000 | tail -1
