#!/bin/bash
# Session 54: bench/loops/ab_revs.sh's new squared_cells (the squared-loss cells a kernel change
# runs before it is kept, b = 1 included) on d494489 against d3c75b0, run from the repository
# root:
#   bash docs/ab-session54-cells.sh > docs/ab-session54-cells.txt 2>&1
# It should show d3c75b0's fix at b = 1 (d <= 32) and the two alike elsewhere (d3c75b0 changes
# only run_registers' layout of its instances).
. bench/loops/ab_revs.sh
squared_cells d494489 d3c75b0
