#!/bin/bash
# What docs/ab-layouts-session19.txt holds: the kept change of session 19 (4540eb7: the groups'
# gradient sums and the softmax blocks' scores on a cache line) against the kernels before it
# (6dc7445), each built four times with 0, 16, 32 and 48 bytes of padding ahead of all its code
# (bench/loops/ab_revs.sh: build_padded, layouts), each pair of builds run in ab_epochs, and
# the median of the four ratios: byte-identical copies of one build ran softmax up to 1.13x
# apart (docs/layout-session19.txt), so one pair of builds could not tell this change from it.
# (The .txt says "placements": four builds of each side, each its own file.)
#   bash docs/ab-layouts-session19.sh > docs/ab-layouts-session19.txt   (about 4 minutes)
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
"$W/handoff" 500000 | tail -1
build_revs 6dc7445 4540eb7
build_padded 6dc7445 0 16 32 48
build_padded 4540eb7 0 16 32 48
echo "# softmax (K = 10), then squared; d = 256, b = 256, 200,000 shuffled rows; 1 and 2 threads"
for loss in 9 0; do
  for threads in 1 2; do
    layouts 6dc7445 4540eb7 "0 16 32 48" 200000 256 256 $threads 9 $loss
  done
done
echo "# the other load order, softmax"
for threads in 1 2; do
  layouts 4540eb7 6dc7445 "0 16 32 48" 200000 256 256 $threads 9 9
done
"$W/handoff" 500000 | tail -1
