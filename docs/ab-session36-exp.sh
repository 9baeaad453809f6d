#!/bin/bash
# docs/ab-session36-exp.sh -- the softmax's e^t in float with fewer operations (csrc/mbgd.c,
# mbgd_expf_nonpos: n = round(t / ln2) by adding 1.5 2^23 + 127, whose low bits are 2^n's
# exponent bits, and e^r as a degree-6 minimax polynomial in Horner's form: 12 vector
# operations, where Cephes' expf, n by two conversions and a degree-7 polynomial, took 16),
# paired against the commit before it (ab_epochs: alternating epochs of each build, the same
# shuffled order, K = 10).  Each pair over four code layouts (ab_revs.sh's build_padded: 0,
# 64, 200 and 1000 bytes ahead of all the code), as this machine reads layout shifts as speed;
# an A/A pair first, for the noise.  The weights differ (new bits of e^t), so "same weights"
# reads no for softmax; squared loss does not take e^t.
# Run from the repository root:
#   bash docs/ab-session36-exp.sh [BASE NEW] > docs/ab-session36-exp.txt
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
BASE=${1:-05bc91b}
NEW=${2:-HEAD}
NEW=$(git rev-parse --short "$NEW")
date -u +"%Y-%m-%d %H:%M:%S UTC"
echo "A: $BASE; B: $NEW"
softmax_pairs "$BASE" "$NEW" "200000 256 256 1 7 9" # the pairs are in bench/loops/ab_revs.sh
