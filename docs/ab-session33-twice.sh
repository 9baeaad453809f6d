#!/bin/sh
# docs/ab-session33-twice.sh -- a team of two that steps twice (csrc/kernel_impl.h,
# FN(iterate_in): with plain SGD and one update chunk, each thread steps its own copy of the
# weights, so one barrier a batch instead of two and no weights crossing the cores), paired
# against the build before it (ab_epochs: alternating epochs of each build, the same order,
# N = 200,000 unless said, 2 threads unless said).  The cross-core handoff is read before and
# after each pair, since the machine's slow phase (150-200 ns) is where the barriers cost.
# Run from the repository root: sh docs/ab-session33-twice.sh BASE_COMMIT > docs/ab-session33-twice.txt
set -e
BASE=${1:-ba070d5}
T=$(mktemp -d)
F="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -shared"
date -u +"%Y-%m-%d %H:%M:%S UTC"
echo "A: $BASE; B: the working tree ($(git rev-parse --short HEAD) plus its changes)"
cc -O2 -fopenmp -Icsrc bench/loops/handoff.c -o "$T/handoff"
cc -O2 -std=gnu99 -Icsrc bench/loops/ab_epochs.c -o "$T/ab_epochs" -ldl
mkdir -p "$T/base" && git archive "$BASE" csrc | tar -x -C "$T/base"
cc $F "$T/base/csrc/mbgd.c" -o "$T/A.so" -lm
cc $F csrc/mbgd.c -o "$T/B.so" -lm
pair() { # N d b threads rounds
    h0=$("$T/handoff" 20000 | tail -1 | awk '{print $(NF-1)}')
    r=$("$T/ab_epochs" "$T/A.so" "$T/B.so" "$@" | grep -E "B/A|same weights" | tr '\n' ' ')
    h1=$("$T/handoff" 20000 | tail -1 | awk '{print $(NF-1)}')
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
rm -rf "$T"
