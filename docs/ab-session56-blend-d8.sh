# Session 56: d = 8, b = 1 (direct_run with one vector) over four code layouts of each build,
# the blend (c249e4a) against the branch (b755f13): the plain pair read 0.950 / 0.957 in both
# load orders (docs/ab-session56-blend.txt).  X evicted before each epoch.
#   bash docs/ab-session56-blend-d8.sh > docs/ab-session56-blend-d8.txt
. bench/loops/ab_revs.sh
export AB_EVICT=128
echo "AB_EVICT=$AB_EVICT"
build_revs b755f13 c249e4a
build_padded_pair b755f13 c249e4a 0 64 200 1000
echo "handoff: $("$W/handoff" 20000 | tail -1)"
layouts b755f13 c249e4a "0 64 200 1000" 200000 8 1 1 11
layouts b755f13 c249e4a "0 64 200 1000" 200000 8 1 2 11
layouts b755f13 c249e4a "0 64 200 1000" 200000 16 1 1 11
echo "handoff: $("$W/handoff" 20000 | tail -1)"
