#!/bin/bash
# What docs/ab-session28.txt holds: session 28's A/B of 4e2c926 (the AVX2 float32 softmax
# batches: scores4's scores interleaved by output, softmax4 in place on them, terms4 reading
# its coefficients there; the same bits) against 9dd4357, on this Zen 3 (AVX2: both builds run
# their avx2 variant), softmax K = 10, d = 256, b = 256, N = 200,000 rows shuffled out of cache
# and N = 16,384 (16 MB, mostly in L3), 1 and 2 threads; squared loss (unchanged code) as the
# control.  Each pair of builds is read over three builds of each, with 0, 24 and 48 bytes of
# padding ahead of all their code (bench/loops/ab_revs.sh's layouts: byte-identical copies of
# one build read up to 1.13x apart), each ab_epochs run 9 rounds.
#   bash docs/ab-session28.sh > docs/ab-session28.txt   (about 15 minutes)
# handoff.c's figure at the top and the end tells the machine's phase: about 25-40 ns in a good
# one, 150-600 ns in a bad one (docs/machine-session14.txt).
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
A=9dd4357
B=4e2c926
KS="0 24 48"
for rev in $A $B; do
  git archive "$rev" csrc | tar -x -C "$W/src" && mv "$W/src/csrc" "$W/src/$rev"
done
for k in $KS; do # the two sides' builds side by side on the two cores
  build_padded $A "$k" &
  build_padded $B "$k" &
  wait
done
"$W/handoff" 500000
echo
echo "## softmax (K = 10), d = 256, b = 256, N = 200,000 shuffled: B/A over the builds"
for t in 1 2; do layouts $A $B "$KS" 200000 256 256 $t 9 9; done
echo "## the same, N = 16,384"
for t in 1 2; do layouts $A $B "$KS" 16384 256 256 $t 9 9; done
echo "## control: squared loss (its code unchanged), N = 200,000, 2 threads"
layouts $A $B "$KS" 200000 256 256 2 9 0
"$W/handoff" 500000
