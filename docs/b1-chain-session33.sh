#!/bin/sh
# docs/b1-chain-session33.sh -- b = 1 at d = 16 (squared loss, float32, 1 thread): what the
# chain of steps costs by itself (bench/loops/b1_chain.c, rows in cache) against the kernel
# (bench/loops/ab_epochs.c, N = 200,000, rows in order and shuffled), and the two changes to
# direct_run this session measured and did not keep, each paired against main's build:
#   docs/not-kept/b1-two-ahead-session33.patch  z taken two steps ahead (the packer left off)
#   docs/not-kept/b1-stretch-session33.patch    runs of up to 256 steps with the order drawn
#       and no packer in a loop of their own, without the per-sample checks of the batch
#       sizes, the drawn count and the packer (the same operations, the same bits)
# Run from the repository root: sh docs/b1-chain-session33.sh > docs/b1-chain-session33.txt
set -e
T=$(mktemp -d)
F="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -shared"
date -u +"%Y-%m-%d %H:%M:%S UTC"
cc -O2 -fopenmp -Icsrc bench/loops/handoff.c -o "$T/handoff" && "$T/handoff" 50000 | tail -1
cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc bench/loops/b1_chain.c \
   -o "$T/b1_chain" -lm
cc -O2 -std=gnu99 -Icsrc bench/loops/ab_epochs.c -o "$T/ab_epochs" -ldl
cc $F csrc/mbgd.c -o "$T/main.so" -lm
cp "$T/main.so" "$T/main-copy.so"
for p in two-ahead stretch; do
    mkdir -p "$T/$p" && cp -r csrc "$T/$p/"
    (cd "$T/$p" && patch -s -p1 < "$OLDPWD/docs/not-kept/b1-$p-session33.patch")
    cc $F "$T/$p/csrc/mbgd.c" -o "$T/$p.so" -lm
done
echo; echo "== the chain alone (bench/loops/b1_chain.c), 256 and 4096 rows"
"$T/b1_chain" 2000000 256
"$T/b1_chain" 2000000 4096
for b in main-copy two-ahead stretch; do
    for seq in 1 0; do
        echo; echo "== ab_epochs: A main, B $b; AB_SEQ=$seq (1: rows in order)"
        AB_SEQ=$seq "$T/ab_epochs" "$T/main.so" "$T/$b.so" 200000 16 1 1 9
    done
done
echo; "$T/handoff" 50000 | tail -1
date -u +"%Y-%m-%d %H:%M:%S UTC"
rm -rf "$T"
