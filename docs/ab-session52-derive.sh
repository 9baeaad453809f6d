#!/bin/sh
# Session 52: the AVX-512 float32 softmax groups' last output's sums derived from the others'
# (csrc/kernel_impl.h, MBGD_SM_DERIVE), paired epochs of the kernel alone, run from the
# repository root:
#   sh docs/ab-session52-derive.sh > docs/ab-session52-derive.txt 2>&1
# One build of the committed csrc/ with the derivation behind params.isa == auto (a sed of
# accumulate's `derive` line), so one file runs both sides: AB_ISA=avx512,auto is A without,
# B with (B/A: the change's speed-up); AB_ISA=auto,avx512 the other load order (B/A: its
# inverse).  Then the plain build against the switched one, both deriving (AB_ISA=auto,auto:
# the switch costs the build nothing).  d = 256, K = 10 (ab_epochs' loss 9), rows shuffled
# once (N = 200,000: out of cache) or in the caches (N = 4,096); bench/loops/handoff.c's
# one-way cross-core hand-off before each cell tells the machine's phase.
set -e
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
F="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -shared"
cc -O2 -std=gnu99 -Icsrc bench/loops/ab_epochs.c -o "$T/ab_epochs" -ldl
cc -O2 -fopenmp -Icsrc bench/loops/handoff.c -o "$T/handoff"
mkdir -p "$T/sw" && cp -r csrc "$T/sw/"
sed -i 's/const int derive = MBGD_SM_DERIVE && steps && K >= 2/const int derive = MBGD_SM_DERIVE \&\& steps \&\& p->isa == MBGD_ISA_AUTO \&\& K >= 2/' \
    "$T/sw/csrc/kernel_impl.h"
grep -q "steps && p->isa == MBGD_ISA_AUTO && K >= 2" "$T/sw/csrc/kernel_impl.h"
cc $F "$T/sw/csrc/mbgd.c" -o "$T/sw.so" -lm &
cc $F csrc/mbgd.c -o "$T/plain.so" -lm &
wait
for cell in "200000 256 2" "200000 1024 2" "200000 4096 2" "200000 256 1" "4096 256 1" "4096 256 2"; do
    set -- $cell
    for o in avx512,auto auto,avx512; do
        "$T/handoff" 200000 | tail -1
        echo "-- N=$1 b=$2 threads=$3, AB_ISA=$o"
        AB_ISA=$o "$T/ab_epochs" "$T/sw.so" "$T/sw.so" "$1" 256 "$2" "$3" 21 9 | tail -3
    done
done
"$T/handoff" 200000 | tail -1
echo "-- the plain build (A) against the switched one (B), both deriving: N=200000 b=256 threads=2"
AB_ISA=auto,auto "$T/ab_epochs" "$T/plain.so" "$T/sw.so" 200000 256 256 2 21 9 | tail -3
