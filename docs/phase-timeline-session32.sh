#!/bin/bash
# Session 32: the machine's phase over time.  Every 2 s for $1 seconds (default 600), the
# one-way cross-core handoff as bench/loops/handoff.c times it (the last of its three
# figures, 20,000 round trips each): about 21-27 ns in the quiet phase, 170-200 ns in the
# slow one.  Output: docs/phase-timeline-session32.txt.
#
#   bash docs/phase-timeline-session32.sh 600
set -euo pipefail
cd "$(dirname "$0")/.."
exe=$(mktemp)
cc -O2 -fopenmp -Icsrc bench/loops/handoff.c -o "$exe"
end=$(( $(date +%s) + ${1:-600} ))
while [ "$(date +%s)" -lt "$end" ]; do
    echo "$(date -u +%T) $("$exe" 20000 | tail -1 | awk '{print $4}') ns"
    sleep 2
done
rm -f "$exe"
