#!/bin/bash
# What docs/ab-session20.txt holds: session 20's two same-file A/Bs (one build whose setting
# follows the params' instruction-set field; AB_ISA=auto,avx512 runs its two settings side by
# side, auto resolving to avx512 here: docs/ab-session19.sh says why not two builds), softmax
# K = 10 and squared loss, d = 256, b = 256, N = 200,000 shuffled rows out of cache.
# - The plain build's A/A (AB_ISA=auto,avx512 and avx512,auto): what "no difference" reads.
# - docs/not-kept/same-file-fresh-sums.patch on REV: with AB_FRESH_SWITCH=1, auto is REV (a
#   softmax group's first block writes its terms into the sums), avx512 clears the sums and
#   adds to them as before REV.  The same bits (the "same weights" line).
# - docs/not-kept/same-file-pull-shared.patch on REV: with AB_PULL_SWITCH=1, auto asks for the
#   team's cross-core lines in one burst after each barrier (the other threads' sums and
#   weights, read; its own sums and weights, PREFETCHW), avx512 does not.  Two threads only.
#   bash docs/ab-session20.sh > docs/ab-session20.txt   (about 5 minutes)
# handoff.c's figure at the top and the end tells the machine's phase: about 25 ns in a good
# one, 150-600 ns in a bad one (docs/machine-session14.txt).
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
REV=96a4c5f
build_revs $REV
build_patch $REV same-file-fresh-sums
build_patch $REV same-file-pull-shared
"$W/handoff" 500000
echo
echo "## A/A: the plain build, its two instruction-set names"
for t in 1 2; do
  AB_ISA=auto,avx512 run "$W/$REV.so" "$W/$REV.so" 200000 256 256 $t 9 9
  AB_ISA=avx512,auto run "$W/$REV.so" "$W/$REV.so" 200000 256 256 $t 9 9
done
echo "## fresh sums: auto = REV's first block writing the sums, avx512 = cleared first"
export AB_FRESH_SWITCH=1
for t in 1 2; do
  AB_ISA=auto,avx512 run "$W/same-file-fresh-sums.so" "$W/same-file-fresh-sums.so" 200000 256 256 $t 9 9
  AB_ISA=avx512,auto run "$W/same-file-fresh-sums.so" "$W/same-file-fresh-sums.so" 200000 256 256 $t 9 9
done
unset AB_FRESH_SWITCH
echo "## pull shared: auto = the burst after each barrier, avx512 = none (2 threads)"
export AB_PULL_SWITCH=1
for loss in 9 0; do
  AB_ISA=auto,avx512 run "$W/same-file-pull-shared.so" "$W/same-file-pull-shared.so" 200000 256 256 2 9 $loss
  AB_ISA=avx512,auto run "$W/same-file-pull-shared.so" "$W/same-file-pull-shared.so" 200000 256 256 2 9 $loss
done
unset AB_PULL_SWITCH
"$W/handoff" 500000
