# Session 58: what softmax (K = 10, d = 256, b = 256) costs with its rows' reads from memory
# taken away, against squared loss's whole epoch out of cache, the target's comparison.
# 1. The kernel alone (bench/loops/ab_epochs.c; each line an A/A of one build of ad360ec,
#    main's kernels, against itself: its medians are the figures): squared loss and softmax
#    out of cache (N = 200,000, shuffled, X evicted before each epoch), softmax with its rows
#    in order (AB_SEQ=1: the hardware's prefetcher ahead of them), and softmax on N = 8,192
#    rows (8 MiB, in L3: no reads from memory) on 2 threads and on 1, and at b = 4096 on 2
#    (16 times fewer steps, so fewer barriers and weights handed between the cores).
# 2. The softmax blocks' two loops (bench/loops/softmax_loops.c, 1 thread) on 16 rows in L1,
#    256 in L2 and 2,048 in L3: their cycles per FMA instruction against the floor of 1.0 of
#    this core (AVX-512 in two 256-bit halves).
#   bash docs/softmax-limit-session58.sh > docs/softmax-limit-session58.txt
. bench/loops/ab_revs.sh
L="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc"
for r in 16 256 2048; do
    cc $L -DROWS=$r bench/loops/softmax_loops.c -o "$W/softmax_loops$r" -lm &
done
build_revs ad360ec
wait
S="$W/ad360ec.so"
echo "handoff: $("$W/handoff" 20000 | tail -1)"
AB_EVICT=128 run "$S" "$S" 200000 256 256 2 11
AB_EVICT=128 run "$S" "$S" 200000 256 256 2 11 9
AB_EVICT=128 AB_SEQ=1 run "$S" "$S" 200000 256 256 2 11 9
run "$S" "$S" 8192 256 256 2 201 9
run "$S" "$S" 8192 256 256 1 201 9
run "$S" "$S" 8192 256 4096 2 201 9
echo "handoff: $("$W/handoff" 20000 | tail -1)"
for r in 16 256 2048; do
    echo "== softmax_loops, $r rows"
    "$W/softmax_loops$r" $((320000 / r))
done
