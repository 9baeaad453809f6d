#!/bin/bash
# docs/ab-session34-skew.sh -- batches of float32 rows of 64 to 256 values run skewed
# (csrc/kernel_impl.h, FN(accumulate): row r's products into lanes in registers, then row
# r - 1's sum, loss and terms), paired against the build before it (ab_epochs: alternating
# epochs of each build, the same shuffled order; N x d = 51.2 M floats out of cache, 2,048 or
# 512 rows in cache).  An A/A pair of two copies of the base first, for the noise.
# Run from the repository root: bash docs/ab-session34-skew.sh BASE_COMMIT > docs/ab-session34-skew.txt
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
BASE=${1:-1558ec5}
date -u +"%Y-%m-%d %H:%M:%S UTC"
echo "A: $BASE; B: the working tree ($(git rev-parse --short HEAD) plus its changes)"
build_revs "$BASE"
cp "$W/$BASE.so" "$W/A.so"
cp "$W/A.so" "$W/A2.so"
cc $F csrc/mbgd.c -o "$W/B.so" -lm
pair() { # B-build N d b threads rounds [loss]
    b=$1; shift
    h0=$("$W/handoff" 20000 | tail -1 | awk '{print $(NF-1)}')
    r=$("$W/ab_epochs" "$W/A.so" "$W/$b.so" "$@" | grep -E "B/A|same weights" | tr '\n' ' ')
    echo "${AB_ISA:+isa $AB_ISA: }N=$1 d=$2 b=$3 threads=$4${6:+ loss=$6}: $r(handoff $h0 ns)"
}
for pass in 1 2; do
    echo; echo "== pass $pass"
    pair A2 200000 256 1024 2 15
    pair B 200000 256 256 1 15
    pair B 200000 256 256 2 15
    pair B 200000 256 1024 1 15
    pair B 200000 256 1024 2 15
    pair B 200000 256 4096 1 15
    pair B 200000 256 4096 2 15
    pair B 800000 64 1024 2 15
    pair B 512000 100 1024 2 15
    pair B 400000 128 1024 2 15
    pair B 256000 200 1024 2 15
    pair B 2048 256 256 1 15
    pair B 512 256 256 1 15
    pair B 2048 64 256 1 15
    AB_ISA=avx2,avx2 pair B 200000 256 1024 2 15
    AB_ISA=avx2,avx2 pair B 2048 256 256 1 15
    AB_ISA=generic,generic pair B 200000 256 1024 2 15
    # cells the change does not take: rows of 16, softmax, rows over 1 KiB
    pair B 200000 16 1024 2 15
    pair B 200000 256 256 2 15 9
    pair B 50000 1024 256 2 15
done
echo; date -u +"%Y-%m-%d %H:%M:%S UTC"
