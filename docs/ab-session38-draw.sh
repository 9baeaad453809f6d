#!/bin/bash
# docs/ab-session38-draw.sh -- the epoch's order drawn with a PCG64's words in AVX-512 vectors
# (075bd23) against the build before (d284aca): bench/loops/ab_shuffle.c, paired rounds in one
# process, N = 200,000 (the bench's) and 2,000,000, the words given (the steps alone: no change
# expected), drawn on one thread (what train()'s second thread does beside the training) and
# drawn on two (mbgd_permutation_bitgen's fisher_yates_two); an A/A first.  Two code layouts
# of each build (build_padded 0 and 200: byte-identical copies of a build can read apart).
# Every pair must give the same order and generator state.  Run from the repository root:
#   bash docs/ab-session38-draw.sh > docs/ab-session38-draw.txt
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
BASE=d284aca
NEW=075bd23
date -u +"%Y-%m-%d %H:%M:%S UTC"
build_revs "$BASE" "$NEW"
build_padded_pair "$BASE" "$NEW" 0 200
echo "handoff before: $("$W/handoff" 20000 | tail -1)"
ab ab_shuffle "$W/$BASE+0.so" "$W/$BASE+200.so" 200000 41 1
for k in 0 200; do
    ab ab_shuffle "$W/$BASE+$k.so" "$W/$NEW+$k.so" 200000 41
    ab ab_shuffle "$W/$BASE+$k.so" "$W/$NEW+$k.so" 200000 41 1
    ab ab_shuffle "$W/$BASE+$k.so" "$W/$NEW+$k.so" 200000 41 2
    ab ab_shuffle "$W/$BASE+$k.so" "$W/$NEW+$k.so" 2000000 11 1
done
echo "handoff after: $("$W/handoff" 20000 | tail -1)"
