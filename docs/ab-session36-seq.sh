#!/bin/bash
# docs/ab-session36-seq.sh -- what the shuffle costs the softmax against squared loss: the
# kernel alone (ab_epochs, one build against a copy of itself; each line is its A's median
# samples/s over 7 epochs) on N = 200,000 rows of d = 256 out of cache, b = 256, the rows
# shuffled or in order (AB_SEQ=1, where the hardware prefetcher streams them), 1 and 2
# threads, softmax (K = 10) and squared loss, the cells in turn, three times over, with the
# cross-core handoff (bench/loops/handoff.c) before each pass: 60 ns or more is a slow phase.
# Run from the repository root:
#   bash docs/ab-session36-seq.sh [REV] > docs/ab-session36-seq.txt
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
REV=$(git rev-parse --short "${1:-HEAD}")
date -u +"%Y-%m-%d %H:%M:%S UTC"
echo "build: $REV"
build_revs "$REV"
cp "$W/$REV.so" "$W/copy.so"
echo "handoff before: $("$W/handoff" 20000 | tail -1)"
for pass in 1 2 3; do
    echo "pass $pass, handoff: $("$W/handoff" 20000 | tail -1)"
    for threads in 1 2; do
        for loss in 9 0; do
            for seq in "" 1; do
                name=$([ "$loss" = 9 ] && echo softmax || echo squared)
                order=$([ -n "$seq" ] && echo "in order" || echo shuffled)
                sps=$(env ${seq:+AB_SEQ=1} "$W/ab_epochs" "$W/$REV.so" "$W/copy.so" 200000 256 256 \
                      "$threads" 7 "$loss" | awk '/^A:/ {print $2}')
                echo "pass $pass, $threads thread(s), $name, $order: $sps samples/s"
            done
        done
    done
done
echo "handoff after: $("$W/handoff" 20000 | tail -1)"
