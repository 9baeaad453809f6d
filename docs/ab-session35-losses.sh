#!/bin/bash
# docs/ab-session35-losses.sh -- softmax blocks of four rows with their losses held back
# (csrc/kernel_impl.h, FN(softmax_losses): ln s for up to 64 rows in one vector pass, after
# the blocks, where softmax4 had called logf four times between a block's scores and its
# terms), paired against the commit before it (ab_epochs: alternating epochs of each build, the
# same shuffled order, K = 10).  Each pair over four code layouts (ab_revs.sh's build_padded:
# 0, 64, 200 and 1000 bytes ahead of all the code), as this machine reads layout shifts as
# speed; an A/A pair first, for the noise.
# Run from the repository root:
#   bash docs/ab-session35-losses.sh [BASE NEW] > docs/ab-session35-losses.txt
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
BASE=${1:-da6cf53}
NEW=${2:-0c0baf8}
date -u +"%Y-%m-%d %H:%M:%S UTC"
echo "A: $BASE; B: $NEW"
cc -O2 -fopenmp -Icsrc bench/loops/handoff.c -o "$W/handoff"
build_revs "$BASE" "$NEW"
build_padded "$BASE" 0 64 200 1000
build_padded "$NEW" 0 64 200 1000
echo "handoff before: $("$W/handoff" 20000 | tail -1)"
layouts "$BASE" "$BASE" "0 200" 200000 256 256 2 11 9
for isa in "" avx2,avx2 generic,generic; do
    export AB_ISA=$isa
    [ -z "$isa" ] && unset AB_ISA
    echo "== ${isa:-auto (avx512)}"
    layouts "$BASE" "$NEW" "0 64 200 1000" 2048 256 256 1 21 9
    layouts "$BASE" "$NEW" "0 64 200 1000" 200000 256 256 2 11 9
    [ -z "$isa" ] || continue
    layouts "$BASE" "$NEW" "0 64 200 1000" 2048 256 1 1 21 9
    layouts "$BASE" "$NEW" "0 64 200 1000" 200000 256 1 2 5 9
    layouts "$BASE" "$NEW" "0 64 200 1000" 200000 256 1024 2 11
done
echo "handoff after: $("$W/handoff" 20000 | tail -1)"
