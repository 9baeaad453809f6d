# Session 56: direct_run's squared-loss step by a blend (c249e4a) against the branch on c
# (b755f13), over the cells squared_cells pairs (bench/loops/ab_revs.sh), X evicted before
# each epoch (AB_EVICT=128), on the data ab_epochs trains (not fitted exactly: no r = 0).
#   bash docs/ab-session56-blend.sh > docs/ab-session56-blend.txt
. bench/loops/ab_revs.sh
export AB_EVICT=128
echo "AB_EVICT=$AB_EVICT"
squared_cells b755f13 c249e4a
