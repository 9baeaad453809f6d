# Session 57: skew_run beside the prefetch helper (the block packer's stand-in when the cores
# hand lines over slowly; before this change skew_run ran only without it), one build against
# itself (AB_SETENV=MBGD_FAST_SKEW_RUN=0,1: A off, B on), 2 threads, with the helper forced:
# MBGD_FAST_PACK=3 (the packer's threads start but never pack: the helper in its place, as in
# a slow phase).  X evicted before each epoch (AB_EVICT=128), N = 200,000 shuffled, squared
# loss, 15 rounds.
#   bash docs/ab-session57-skew-helper.sh > docs/ab-session57-skew-helper.txt
. bench/loops/ab_revs.sh
export AB_EVICT=128 AB_SETENV=MBGD_FAST_SKEW_RUN=0,1 MBGD_FAST_PACK=3
echo "AB_EVICT=$AB_EVICT AB_SETENV=$AB_SETENV MBGD_FAST_PACK=$MBGD_FAST_PACK"
cc $F csrc/mbgd.c -o "$W/cur.so" -lm
for cell in "256 2 2" "256 4 2" "256 16 2" "128 4 2" "64 4 2"; do
    echo "handoff: $("$W/handoff" 20000 | tail -1)"
    # shellcheck disable=SC2086
    run "$W/cur.so" "$W/cur.so" 200000 $cell 15
done
