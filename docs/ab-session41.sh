#!/bin/sh
# Session 41's measurements of the softmax at b = 256 on 2 threads (d = 256, K = 10,
# N = 200,000, out of cache unless said), run from the repository root:
#   sh docs/ab-session41.sh > docs/ab-session41.txt 2>&1
# 1. Five same-file A/Bs (docs/not-kept/same-file-*-session41.patch): each patch puts its change
#    behind params.isa == auto, so one build runs both sides (AB_ISA=avx512,auto: A without,
#    B with; then the other load order, where B/A reads the change's inverse).
# 2. Where a batch's time goes on each thread (docs/not-kept/team-phase-stamps-session41.patch:
#    time stamps around phase A, the thread's own sums, the two barriers and phase B; TSC ticks
#    a batch, printed at exit by the build that ran as A).
# bench/loops/handoff.c's one-way cross-core hand-off before and after each part tells the phase.
set -e
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
F="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -shared"
cc -O2 -std=gnu99 -Icsrc bench/loops/ab_epochs.c -o "$T/ab_epochs" -ldl
cc -O2 -fopenmp -Icsrc bench/loops/handoff.c -o "$T/handoff"
build() { # build NAME PATCH: csrc/ with PATCH applied, as $T/NAME.so
    mkdir -p "$T/$1" && cp -r csrc "$T/$1/"
    [ -z "$2" ] || patch -s -d "$T/$1" -p1 < "$2"
    cc -D_GNU_SOURCE $F "$T/$1/csrc/mbgd.c" -o "$T/$1.so" -lm
}
echo "== same-file A/Bs (B/A: the change on over off in the first order; off over on in the second)"
for p in cross-sums-prefetch twice-two-chunks cut-cross-sums stepped-chunks-prefetch prefetch-every-other-line; do
    build "$p" "docs/not-kept/same-file-$p-session41.patch"
    "$T/handoff" 200000 | tail -1
    for o in avx512,auto auto,avx512; do
        echo "-- $p, AB_ISA=$o"
        AB_ISA=$o AB_CARRY=1 "$T/ab_epochs" "$T/$p.so" "$T/$p.so" 200000 256 256 2 21 9 | tail -3
    done
done
echo "== time stamps of a team's phases (A, the build with stamps; B, main's)"
build main ""
build stamps docs/not-kept/team-phase-stamps-session41.patch
for args in "shuffled 2" "in-order 2" "in-order 1"; do
    set -- $args
    "$T/handoff" 200000 | tail -1
    echo "-- rows $1, $2 thread(s)"
    if [ "$1" = in-order ]; then export AB_SEQ=1; else unset AB_SEQ; fi
    AB_CARRY=1 "$T/ab_epochs" "$T/stamps.so" "$T/main.so" 200000 256 256 "$2" 15 9 2>&1 | grep -v "^$" | grep -v "tid 1: A 0 "
done
"$T/handoff" 200000 | tail -1
