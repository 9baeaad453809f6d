#!/bin/bash
# What docs/team-waits-session15.txt holds: where each thread of a team spends an iteration
# (N = 200,000, d = 256, 2 threads): its groups (phase A, with its own nodes of the groups'
# tree), the wait at the first barrier, the loss sums, its chunks (phase B), the wait at the
# second barrier.  docs/team-waits-session15.patch adds rdtsc around them to b30fd8c's
# kernels (a copy: the library is not built with it) and prints the shares when the program
# ends; the counts are rdtsc ticks, not core cycles.  The instrumented build runs as A in
# ab_epochs against the plain build as B.
#   bash docs/team-waits-session15.sh > docs/team-waits-session15.txt   (about 1 minute)
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
build_revs b30fd8c
cp -r "$W/src/b30fd8c" "$W/src/waits"
(cd "$W/src/waits" && patch -s -p2 < "$OLDPWD/docs/team-waits-session15.patch")
cc $F -std=gnu99 "$W/src/waits/mbgd.c" -o "$W/waits.so" -lm
"$W/handoff" 500000
for cfg in "256 2 9 0" "1024 2 9 0" "256 2 9 9"; do
  run $W/waits.so $W/b30fd8c.so 200000 256 $cfg 2>&1
done
"$W/handoff" 500000
