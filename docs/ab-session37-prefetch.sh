#!/bin/bash
# docs/ab-session37-prefetch.sh -- the levers on what asking for shuffled rows costs the core
# (docs/ab-session37-bound.sh), each against the shipped build, over two code layouts
# (build_padded 0 and 200; bench/loops/ab_revs.sh's `layouts` prints each layout's B/A and
# their median): the kernel alone (ab_epochs; N = 200,000, d = 256, b = 256, rows shuffled,
# out of cache), softmax (K = 10) on 1 and 2 threads and squared loss on 2.
#   t1      the rows asked for with prefetcht2 (MBGD_PREFETCH_LOCALITY=1), hint for L2
#   nta     prefetchnta (MBGD_PREFETCH_LOCALITY=0)
#   pf4     4 KiB of rows in flight (MBGD_PREFETCH_BYTES=4096: 4 rows ahead, where 8 ship)
#   pf16    16 KiB (16 rows ahead)
#   first   only each row's first 512 bytes asked for (docs/not-kept/pf-first-lines-session37.patch),
#           in case the L2's stream prefetcher fetches the rest
# Run from the repository root:
#   bash docs/ab-session37-prefetch.sh > docs/ab-session37-prefetch.txt
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
REV=$(git rev-parse --short HEAD)
date -u +"%Y-%m-%d %H:%M:%S UTC"
echo "build: $REV"
build_revs "$REV"
variant "$REV" t1 MBGD_PREFETCH_LOCALITY=1
variant "$REV" nta MBGD_PREFETCH_LOCALITY=0
variant "$REV" pf4 MBGD_PREFETCH_BYTES=4096
variant "$REV" pf16 MBGD_PREFETCH_BYTES=16384
variant "$REV" first pf-first-lines-session37
for name in "$REV" t1 nta pf4 pf16 first; do
    build_padded "$name" 0 &
    build_padded "$name" 200
    wait
done
echo "handoff before: $("$W/handoff" 20000 | tail -1)"
for name in t1 nta pf4 pf16 first; do
    echo "== $name"
    layouts "$REV" "$name" "0 200" 200000 256 256 1 9 9
    layouts "$REV" "$name" "0 200" 200000 256 256 2 9 9
    layouts "$REV" "$name" "0 200" 200000 256 256 2 9
done
echo "handoff after: $("$W/handoff" 20000 | tail -1)"
