# Session 57: skew_run as main has it (1d1729a: the sums stored once, w stepped by
# step_segment, the probe a loop over w's vectors), one build against itself
# (AB_SETENV=MBGD_FAST_SKEW_RUN=0,1: A off, B on), the cells of docs/ab-session56-skew-run.txt
# (those were of the fused step, 1.02-1.32x).  X evicted before each epoch (AB_EVICT=128),
# N = 200,000 shuffled, squared loss, 15 rounds.
#   bash docs/ab-session57-skew-main.sh > docs/ab-session57-skew-main.txt
. bench/loops/ab_revs.sh
export AB_EVICT=128 AB_SETENV=MBGD_FAST_SKEW_RUN=0,1
echo "AB_EVICT=$AB_EVICT AB_SETENV=$AB_SETENV"
build_revs 1d1729a
for cell in "256 2 1" "256 4 1" "256 16 1" "256 2 2" "256 4 2" "256 16 2" "128 4 2" "64 4 2"; do
    echo "handoff: $("$W/handoff" 20000 | tail -1)"
    # shellcheck disable=SC2086
    run "$W/1d1729a.so" "$W/1d1729a.so" 200000 $cell 15
done
