# Session 57: skew_run beside the prefetch helper (this tree) against 1d1729a (A), the default
# switches (where no helper runs the change is one more test a batch: h is NULL), both load
# orders.  X evicted before each epoch (AB_EVICT=128), N = 200,000 shuffled, squared loss,
# 15 rounds.
#   bash docs/ab-session57-skew-helper-main.sh > docs/ab-session57-skew-helper-main.txt
. bench/loops/ab_revs.sh
export AB_EVICT=128
cc $F csrc/mbgd.c -o "$W/cur.so" -lm &
build_revs 1d1729a
wait
for cell in "256 4 1" "256 4 2" "64 4 2"; do
    echo "handoff: $("$W/handoff" 20000 | tail -1)"
    # shellcheck disable=SC2086
    both "$W/1d1729a.so" "$W/cur.so" 200000 $cell 15
done
