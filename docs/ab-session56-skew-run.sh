# Session 56: runs of one-group batches stepping w from the sums' registers (FN(skew_run))
# against each batch on iterate_alone's path, one build against itself
# (AB_SETENV=MBGD_FAST_SKEW_RUN=0,1: A off, B on), X evicted before each epoch (AB_EVICT=128),
# N = 200,000 shuffled, squared loss, 15 rounds.
#   bash docs/ab-session56-skew-run.sh > docs/ab-session56-skew-run.txt
. bench/loops/ab_revs.sh
export AB_EVICT=128 AB_SETENV=MBGD_FAST_SKEW_RUN=0,1
echo "AB_EVICT=$AB_EVICT AB_SETENV=$AB_SETENV"
cc $F csrc/mbgd.c -o "$W/cur.so" -lm
for cell in "256 2 1" "256 4 1" "256 16 1" "256 2 2" "256 4 2" "256 16 2" "128 4 2" "64 4 2"; do
    echo "handoff: $("$W/handoff" 20000 | tail -1)"
    # shellcheck disable=SC2086
    run "$W/cur.so" "$W/cur.so" 200000 $cell 15
done
