# Session 58: accumulate's softmax blocks in a pipeline (docs/not-kept/sm-pipe-session58.patch,
# not kept): each block's softmax, then the next block's scores, then the block's own terms,
# so that the softmax's dependent chain (lane sums, max, e^t, sum, 1 / s, c) could run beside
# the next scores' multiply-adds instead of holding up the terms'.  One build of ad360ec with
# the patch, against itself (AB_SETENV=MBGD_FAST_SM_PIPE=A,B), both orders; softmax K = 10,
# d = 256; in L3 (N = 8,192, 201 rounds) and out of cache (N = 200,000 shuffled, X evicted
# before each epoch, 11 rounds).  The same bits both ways ("same weights").
#   bash docs/ab-session58-sm-pipe.sh > docs/ab-session58-sm-pipe.txt
. bench/loops/ab_revs.sh
build_revs ad360ec
build_patch ad360ec sm-pipe-session58
P="$W/sm-pipe-session58.so"
for t in 1 2; do
    echo "handoff: $("$W/handoff" 20000 | tail -1)"
    AB_SETENV=MBGD_FAST_SM_PIPE=0,1 run "$P" "$P" 8192 256 256 $t 201 9
done
for cell in "256 1" "256 2" "1024 2"; do
    for order in 0,1 1,0; do
        echo "handoff: $("$W/handoff" 20000 | tail -1)"
        # shellcheck disable=SC2086
        AB_EVICT=128 AB_SETENV=MBGD_FAST_SM_PIPE=$order run "$P" "$P" 200000 256 $cell 11 9
    done
done
