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
softmax_pairs "$BASE" "$NEW" # the pairs are in bench/loops/ab_revs.sh
