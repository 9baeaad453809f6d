#!/bin/sh
# The packer of b = 1 runs (session 21), measured two ways, with the machine's phase beside:
#   1. bench/loops/ab_epochs.c: the kernel alone (rows given, no draw), 361e373's csrc (before
#      the packer) against this tree's, 2 threads, b = 1, N = 200,000: a two-build A/B (files
#      can read up to about 10% apart here, docs/ab-session19.txt);
#   2. docs/pack-session21.py: train() with the packer on and off in one process (the same file).
# bench/loops/handoff.c before and after each: one-way handoffs of 21-28 ns are a good phase,
# 150-200 ns a bad one, where the packer stands aside (mbgd_handoff_fast).
#   sh docs/pack-session21.sh > docs/pack-session21.txt    (from the repository root, ~3 min)
set -e
T=$(mktemp -d)
F="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -shared"
mkdir "$T/before" && git archive 361e373 csrc | tar -x -C "$T/before"
cc $F "$T/before/csrc/mbgd.c" -o "$T/before.so" -lm
cc $F csrc/mbgd.c -o "$T/packer.so" -lm
cc -O2 -std=gnu99 -Icsrc bench/loops/ab_epochs.c -o "$T/ab_epochs" -ldl
cc -O2 -fopenmp -Icsrc bench/loops/handoff.c -o "$T/handoff"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), sh docs/pack-session21.sh"
"$T/handoff" 100000 | tail -1
for d in 4 12 16 32 8; do
    "$T/ab_epochs" "$T/before.so" "$T/packer.so" 200000 $d 1 2 7 | sed -n '1,4p'
done
"$T/handoff" 100000 | tail -1
python docs/pack-session21.py 21
"$T/handoff" 100000 | tail -1
rm -rf "$T"
