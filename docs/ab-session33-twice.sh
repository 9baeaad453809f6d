#!/bin/bash
# docs/ab-session33-twice.sh -- a team of two that steps twice (csrc/kernel_impl.h,
# FN(iterate_in): with plain SGD and one update chunk, each thread steps its own copy of the
# weights, so one barrier a batch instead of two and no weights crossing the cores), paired
# against the build before it (ab_epochs: alternating epochs of each build, the same order,
# N = 200,000 unless said, 2 threads unless said).  The cross-core handoff is read before and
# after each pair, since the machine's slow phase (150-200 ns) is where the barriers cost.
# Run from the repository root: bash docs/ab-session33-twice.sh BASE_COMMIT > docs/ab-session33-twice.txt
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
BASE=${1:-ba070d5}
date -u +"%Y-%m-%d %H:%M:%S UTC"
echo "A: $BASE; B: the working tree ($(git rev-parse --short HEAD) plus its changes)"
build_revs "$BASE"
cp "$W/$BASE.so" "$W/A.so"
cc $F csrc/mbgd.c -o "$W/B.so" -lm
pair() { # N d b threads rounds
    h0=$("$W/handoff" 20000 | tail -1 | awk '{print $(NF-1)}')
    r=$("$W/ab_epochs" "$W/A.so" "$W/B.so" "$@" | grep -E "B/A|same weights" | tr '\n' ' ')
    h1=$("$W/handoff" 20000 | tail -1 | awk '{print $(NF-1)}')
    echo "N=$1 d=$2 b=$3 threads=$4: $r(handoff $h0 -> $h1 ns)"
}
for pass in 1 2 3; do
    echo; echo "== pass $pass"
    pair 200000 256 256 2 15
    pair 4096 256 256 2 31
    pair 200000 256 1024 2 15
    pair 200000 256 4096 2 15
    pair 200000 64 256 2 15
    pair 50000 1024 256 2 15
    pair 200000 16 1024 2 15
    pair 200000 16 4096 2 15
    pair 200000 16 256 2 15
    pair 200000 16 256 1 15
    pair 200000 16 64 2 15
    pair 200000 16 1 1 9
    pair 200000 16 1 2 9
    pair 200000 256 256 1 9
done
date -u +"%Y-%m-%d %H:%M:%S UTC"
