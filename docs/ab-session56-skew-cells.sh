# Session 56: skew_run (ce105ba) against the kernels before it, over squared_cells'
# cells (bench/loops/ab_revs.sh: b = 1 at d = 8, 16, 32, 256, small batches, big batches),
# X evicted before each epoch (AB_EVICT=128), both load orders.
#   bash docs/ab-session56-skew-cells.sh > docs/ab-session56-skew-cells.txt
. bench/loops/ab_revs.sh
export AB_EVICT=128
echo "AB_EVICT=$AB_EVICT"
squared_cells 6e1b629 ce105ba
