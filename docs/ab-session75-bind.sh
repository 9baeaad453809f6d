# Session 75: train() with OMP_PROC_BIND unset against =true, in fresh processes taken in
# turn (docs/ab-session75.txt, item 1).  From the repository root:
#   bash docs/ab-session75-bind.sh 4 3 softmax:256:256:2,squared:256:256:2   (rounds reps cells)
# Each process prints a JSON line of samples/s per cell (loss:d:b:threads), prefixed u or t.
# procab.sh rounds reps cells  -- alternates processes with OMP_PROC_BIND unset / true
R=$1; shift; REPS=$1; shift; CELLS=$1
for r in $(seq 1 $R); do
  if [ $((r%2)) = 1 ]; then o="u t"; else o="t u"; fi
  for w in $o; do
    if [ $w = t ]; then OMP_PROC_BIND=true python docs/ab-session75-cells.py $REPS $CELLS | sed "s/^/t /"; else python docs/ab-session75-cells.py $REPS $CELLS | sed "s/^/u /"; fi
  done
done
