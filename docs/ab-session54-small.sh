#!/bin/bash
# Session 54: run_registers' small batches (small_run, with session 53's SQ) moved into a
# function of their own (small_registers), paired epochs of the kernel alone
# (bench/loops/ab_epochs.c), run from the repository root:
#   bash docs/ab-session54-small.sh > docs/ab-session54-small.txt 2>&1
# B is the working tree's csrc/; A is csrc/ at d494489 (session 53's SQ, whose 16 small_run
# instances sat inlined in run_registers beside direct_run's), then at 3ed3675 (before SQ).
# Each cell in both load orders (A B, then B A: the second B/A is the inverse of the change's
# speed-up), 11 rounds; N = 200,000 rows shuffled once, squared loss; bench/loops/handoff.c's
# one-way cross-core hand-off before each cell tells the machine's phase.  The .txt was printed
# when the loop below ran ab_epochs itself in both orders keeping each output's last three
# lines; it now calls ab_revs.sh's `both` (the same pairings, each printed whole with its
# command line).
. bench/loops/ab_revs.sh
build_revs d494489 3ed3675
cc $F csrc/mbgd.c -o "$W/b.so" -lm
echo "B: the working tree's csrc/ ($(git rev-parse --short HEAD), $(git status --short csrc | wc -l) files changed)"
for base in d494489 3ed3675; do
    echo "==== A: csrc/ at $base"
    for cell in "16 1 1" "16 1 2" "8 1 1" "32 1 1" "16 16 1" "16 256 1" "16 4096 2"; do
        set -- $cell
        "$W/handoff" 200000 | tail -1
        both "$W/$base.so" "$W/b.so" 200000 "$1" "$2" "$3" 11
    done
done
