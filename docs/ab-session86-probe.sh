#!/bin/sh
# Session 86: the b = 1 softmax steps one at a time (softmax_step1's fused pass, step_dotN1
# AVX-512 and step_dot4 AVX2) without the probe's two vector operations a weight vector, and
# with a pass for "every output stepped" that has no branch in it.  The same bits (140
# configurations, both variants).  base: b626313's build (the same C but comments as 7f5dc26),
# new: this change.  Paths: d = 200 (not a multiple of 16: the blocks of sm_block_run do not
# take it) and d = 256 with the blocks off (MBGD_FAST_SM_BLOCK=0), which is where these steps
# run; in cache (2,000 rows, 1 thread) and out of cache (200,000 rows, 2 threads).
#   pip install -e . && cp mbgd_fast/_mbgd.abi3.so /tmp/s86_new2.so   (and the base likewise)
#   sh docs/ab-session86-probe.sh > docs/ab-session86-probe.txt
set -e
export OPENBLAS_NUM_THREADS=1
for isa in avx512 avx2; do
    echo "== MBGD_FAST_ISA=$isa MBGD_FAST_SM_BLOCK=0"
    MBGD_FAST_ISA=$isa MBGD_FAST_SM_BLOCK=0 python bench/ab_builds.py base=/tmp/s86_base.so \
        new=/tmp/s86_new2.so --case softmax:1:2000:20:1:200 --case softmax:1:2000:20:1:256 \
        --case softmax:1:200000:1:2:200 --case softmax:1:200000:1:2:256 --rounds 7 --repeats 3 \
        --evict 256 | sed -n '/^| case/,$p'
done
echo "== the blocks on (the default; these steps do not run): d = 256"
python bench/ab_builds.py base=/tmp/s86_base.so new=/tmp/s86_new2.so \
    --case softmax:1:2000:20:1:256 --case softmax:1:200000:1:2:256 --rounds 5 --repeats 3 \
    --evict 256 | sed -n '/^| case/,$p'
echo "== bench/loops/step_loops.c, in L1, K = 10, d = 256 (cycles a sample): base, then new"
cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc bench/loops/step_loops.c \
    -o /tmp/step_loops_s86 -lm
git show b626313:csrc/kernel_impl.h > /tmp/s86_kernel_base.h
mkdir -p /tmp/s86_base_src && cp csrc/*.h csrc/*.c /tmp/s86_base_src/ \
    && cp /tmp/s86_kernel_base.h /tmp/s86_base_src/kernel_impl.h
sed 's#../../csrc/mbgd.c#/tmp/s86_base_src/mbgd.c#' bench/loops/step_loops.c > /tmp/s86_sl_base.c
cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -I/tmp/s86_base_src \
    -Ibench/loops /tmp/s86_sl_base.c -o /tmp/step_loops_s86_base -lm
for r in 1 2 3; do
    for v in base s86; do
        [ $v = base ] && exe=/tmp/step_loops_s86_base || exe=/tmp/step_loops_s86
        echo "$v avx512: $($exe 20000 | grep -E 'softmax_step1|fused pass' | tr -s ' ' | tr '\n' ';')"
        echo "$v avx2:   $(STEP_LOOPS_AVX2=1 $exe 20000 | grep -E 'softmax_step1|fused pass' | tr -s ' ' | tr '\n' ';')"
    done
done
