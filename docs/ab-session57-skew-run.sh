# Session 57: skew_run as it stands since 56f71f8 (the sums stored once, w stepped by
# step_segment) with its finiteness probe by probe_sum (session 57), timed for the first time:
# (1) one build against itself (AB_SETENV=MBGD_FAST_SKEW_RUN=0,1: A off, B on), the cells of
# docs/ab-session56-skew-run.txt (those were of the fused step, 1.02-1.32x); (2) the probe by
# probe_sum against 1d1729a's loop over w's vectors (both with skew_run on), in both load orders.
# X evicted before each epoch (AB_EVICT=128), N = 200,000 shuffled, squared loss, 15 rounds.
# The probe by probe_sum is docs/not-kept/probe-sum-session57.patch on 1d1729a (not kept: (2)
# read 0.95-1.00); the .txt was made with it applied in the working tree, built as cur.so, as
# this script builds it now.
#   bash docs/ab-session57-skew-run.sh > docs/ab-session57-skew-run.txt
. bench/loops/ab_revs.sh
export AB_EVICT=128
build_revs 1d1729a
build_patch 1d1729a probe-sum-session57
cp "$W/probe-sum-session57.so" "$W/cur.so"
echo "## (1) AB_SETENV=MBGD_FAST_SKEW_RUN=0,1, AB_EVICT=$AB_EVICT"
for cell in "256 2 1" "256 4 1" "256 16 1" "256 2 2" "256 4 2" "256 16 2" "128 4 2" "64 4 2"; do
    echo "handoff: $("$W/handoff" 20000 | tail -1)"
    # shellcheck disable=SC2086
    AB_SETENV=MBGD_FAST_SKEW_RUN=0,1 run "$W/cur.so" "$W/cur.so" 200000 $cell 15
done
echo "## (2) 1d1729a (A) against this tree (B), skew_run on in both"
for cell in "256 4 1" "64 4 2"; do
    echo "handoff: $("$W/handoff" 20000 | tail -1)"
    # shellcheck disable=SC2086
    both "$W/1d1729a.so" "$W/cur.so" 200000 $cell 15
done
