#!/bin/bash
# Session 54: where a team's batch goes at d = 256 on 2 threads (squared loss, N = 200,000 rows
# shuffled once, the kernel alone: bench/loops/ab_epochs.c with one instrumented build as both
# A and B).  docs/not-kept/team-timing-session54.patch times, per thread and batch, phase A
# (its groups' sums, each group timed too), the wait at the barrier after it, and the time
# from that barrier to the next batch's phase A (phase B, the step, the loss); the build's
# destructor prints the totals.  b = 256, 1024 and N in turn, three times over, so that
# neighbouring cells share the machine's phase; bench/loops/handoff.c before each cell.
#   bash docs/team-breakdown-session54.sh > docs/team-breakdown-session54.txt 2>&1
. bench/loops/ab_revs.sh
git archive HEAD csrc | tar -x -C "$W/src" && mv "$W/src/csrc" "$W/src/head"
build_patch head team-timing-session54
echo "instrumented build of csrc/ at $(git rev-parse --short HEAD); 5 rounds (10 epochs) a cell"
echo "per thread: phase A ns a row (rows of the batch it runs), then wait and between as % of its batch"
for rep in 1 2 3; do
    for b in 256 1024 200000; do
        h=$("$W/handoff" 200000 | tail -1)
        "$W/ab_epochs" "$W/team-timing-session54.so" "$W/team-timing-session54.so" 200000 256 "$b" 2 5 > "$W/out" 2>&1
        awk -v b="$b" -v h="$h" -v rep="$rep" '
            /^tid [01]: batches/ {
                t = $2; sub(":", "", t)
                gsub(/[()]/, "")
                for (i = 1; i <= NF; i++) {
                    if ($i == "A") a[t] = $(i + 1)
                    if ($i == "wait" && $(i + 1) ~ /^[0-9.]+$/ && $(i + 2) == "us") w[t] = $(i + 1)
                    if ($i == "between" && $(i + 2) == "us)") o[t] = $(i + 1)
                    if ($i == "between" && $(i + 2) == "us") o[t] = $(i + 1)
                }
            }
            /^A: / { sps = $2 }
            END {
                rows = b / 2
                printf "rep %d b=%-6d %s | %.3g samples/s |", rep, b, h, sps
                for (t = 0; t < 2; t++) {
                    tot = a[t] + w[t] + o[t]
                    printf " tid %d: A %.1f ns/row, wait %.1f%%, between %.1f%% |", t,
                           a[t] * 1000 / rows, 100 * w[t] / tot, 100 * o[t] / tot
                }
                printf "\n"
            }' "$W/out"
        grep "group#" "$W/out" | tr '\n' ';' | sed 's/;$/\n/'
    done
done
