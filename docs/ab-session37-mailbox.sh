#!/bin/bash
# docs/ab-session37-mailbox.sh -- a team of two that steps twice, with each thread's summed
# gradient terms handed over through a mailbox written with non-temporal stores
# (docs/not-kept/mailbox-session37.patch, MBGD_MAILBOX; only where the batch has four groups,
# plain SGD, float32), so that the other core reads them from memory rather than from this
# core's cache, against the shipped build over four code layouts (`layouts`, ab_revs.sh):
# softmax (K = 10) and squared loss at b = 256 on 2 threads, softmax at b = 1024 (other
# groups: the shipped path) and on 1 thread (no team: the same code), the kernel alone
# (ab_epochs), d = 256, out of cache.  The same weights either way (paired epochs check).
# Run from the repository root:
#   bash docs/ab-session37-mailbox.sh > docs/ab-session37-mailbox.txt
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
REV=$(git rev-parse --short HEAD)
build_revs "$REV"
variant "$REV" mail mailbox-session37 MBGD_MAILBOX=1
build_padded_pair "$REV" mail 0 64 200 1000
echo "handoff before: $("$W/handoff" 20000 | tail -1)"
L="0 64 200 1000"
layouts "$REV" mail "$L" 200000 256 256 2 11 9
layouts "$REV" mail "$L" 200000 256 256 2 11
layouts "$REV" mail "$L" 200000 256 1024 2 11 9
layouts "$REV" mail "$L" 200000 256 256 1 7 9
echo "handoff after: $("$W/handoff" 20000 | tail -1)"
