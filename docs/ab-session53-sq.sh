#!/bin/sh
# Session 53: the squared loss without row_loss's switch in the AVX-512 batch loops
# (csrc/kernel_impl.h: skew_regs_run's SQ at d = 64-256, group_sums' SQ at d <= 32), paired
# epochs of the kernel alone (bench/loops/ab_epochs.c), run from the repository root:
#   sh docs/ab-session53-sq.sh [BASE] > docs/ab-session53-sq.txt 2>&1
# A is csrc/ at BASE (default 3ed3675, the commit before the change), B the working tree's;
# each cell runs in both load orders (A B, then B A: B/A is the change's speed-up, then its
# inverse), then an A/A of two copies of B.  N = 200,000 rows shuffled once (out of cache),
# squared loss; bench/loops/handoff.c's one-way cross-core hand-off before each cell tells the
# machine's phase.
set -e
BASE=${1:-3ed3675}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
F="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -shared"
cc -O2 -std=gnu99 -Icsrc bench/loops/ab_epochs.c -o "$T/ab_epochs" -ldl
cc -O2 -fopenmp -Icsrc bench/loops/handoff.c -o "$T/handoff"
mkdir -p "$T/base/csrc"
git archive "$BASE" csrc | tar -x -C "$T/base"
cc $F "$T/base/csrc/mbgd.c" -o "$T/a.so" -lm &
cc $F csrc/mbgd.c -o "$T/b.so" -lm &
wait
cp "$T/b.so" "$T/b2.so"
echo "A: csrc/ at $BASE; B: the working tree's csrc/ ($(git rev-parse --short HEAD), $(git status --short csrc | wc -l) files changed)"
for cell in "256 256 2" "256 1024 2" "256 4096 2" "256 256 1" "256 200000 1" \
            "16 256 2" "16 1024 2" "16 4096 2" "16 256 1" "16 16 1" "16 4 2"; do
    set -- $cell
    "$T/handoff" 200000 | tail -1
    echo "-- d=$1 b=$2 threads=$3: A B"
    "$T/ab_epochs" "$T/a.so" "$T/b.so" 200000 "$1" "$2" "$3" 21 | tail -2
    echo "-- d=$1 b=$2 threads=$3: B A"
    "$T/ab_epochs" "$T/b.so" "$T/a.so" 200000 "$1" "$2" "$3" 21 | tail -2
done
"$T/handoff" 200000 | tail -1
echo "-- A/A: two copies of B, d=16 b=256 threads=2 and d=256 b=256 threads=2"
"$T/ab_epochs" "$T/b.so" "$T/b2.so" 200000 16 256 2 21 | tail -2
"$T/ab_epochs" "$T/b.so" "$T/b2.so" 200000 256 256 2 21 | tail -2
