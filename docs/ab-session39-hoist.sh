#!/bin/bash
# docs/ab-session39-hoist.sh -- b = 1 steps with w in registers (direct_run): each iteration
# skips the check that its batch is one row when the iteration before already made it (it
# takes z ahead only then): cc32fd2 against the build before (e6a8436).  bench/loops/ab_epochs.c,
# paired rounds in one process, d = 16, b = 1, N = 200,000, 1 and 2 threads, over four code
# layouts of each build (build_padded 0-300), an A/A first.  Run from the repository root:
#   bash docs/ab-session39-hoist.sh > docs/ab-session39-hoist.txt
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
BASE=e6a8436
NEW=cc32fd2
date -u +"%Y-%m-%d %H:%M:%S UTC"
build_revs "$BASE" "$NEW"
build_padded_pair "$BASE" "$NEW" 0 100 200 300
echo "handoff before: $("$W/handoff" 20000 | tail -1)"
layouts "$BASE" "$BASE" "0" 200000 16 1 1 21
layouts "$BASE" "$NEW" "0 100 200 300" 200000 16 1 1 21
layouts "$BASE" "$NEW" "0 100 200 300" 200000 16 1 2 21
echo "handoff after: $("$W/handoff" 20000 | tail -1)"
