#!/bin/bash
# docs/ab-session37-nta.sh -- the rows of X asked for with prefetchnta (MBGD_PREFETCH_LOCALITY=0)
# instead of prefetcht0, against the shipped build, over four code layouts (build_padded 0, 64,
# 200, 1000; bench/loops/ab_revs.sh's `layouts`: each layout's B/A and their median), the kernel
# alone (ab_epochs, paired epochs): out of cache (N = 200,000, d = 256: 200 MB, rows shuffled)
# softmax (K = 10) and squared loss at b = 256 on 2 and 1 threads, squared loss at b = 1024 and
# b = 1 on 2 threads, softmax at b = 1; then X that stays in L3 between epochs (N = 200,000,
# d = 16: 12.8 MB; N = 8,192, d = 256: 8 MB), where lines asked for as non-temporal may leave
# the caches sooner.  Run from the repository root:
#   bash docs/ab-session37-nta.sh > docs/ab-session37-nta.txt
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
REV=$(git rev-parse --short HEAD)
date -u +"%Y-%m-%d %H:%M:%S UTC"
echo "build: $REV"
build_revs "$REV"
variant "$REV" nta MBGD_PREFETCH_LOCALITY=0
build_padded_pair "$REV" nta 0 64 200 1000
echo "handoff before: $("$W/handoff" 20000 | tail -1)"
L="0 64 200 1000"
layouts "$REV" "$REV" "0 200" 200000 256 256 2 9 9
layouts "$REV" nta "$L" 200000 256 256 2 9 9
layouts "$REV" nta "$L" 200000 256 256 2 9
layouts "$REV" nta "$L" 200000 256 256 1 9 9
layouts "$REV" nta "$L" 200000 256 256 1 9
layouts "$REV" nta "$L" 200000 256 1024 2 9
layouts "$REV" nta "$L" 200000 256 1 2 5
layouts "$REV" nta "$L" 200000 256 1 2 5 9
echo "handoff: $("$W/handoff" 20000 | tail -1)"
layouts "$REV" nta "$L" 200000 16 256 2 15
layouts "$REV" nta "$L" 200000 16 1024 2 15
layouts "$REV" nta "$L" 200000 16 1 2 9
layouts "$REV" nta "$L" 8192 256 256 2 25 9
layouts "$REV" nta "$L" 8192 256 256 2 25
echo "handoff after: $("$W/handoff" 20000 | tail -1)"
