# Paired train() epochs, the working tree's mbgd_fast against a copy whose core.py is
# c915a2d's (the same compiled library): old and new alternate, order flipped every round,
# each ratio the per-round old/new time; the trained weights checked equal every round.
# Run: rm -rf /tmp/s16/old; mkdir -p /tmp/s16/old; cp -r mbgd_fast /tmp/s16/old/mbgd_fast_old;
#      git show c915a2d:mbgd_fast/core.py > /tmp/s16/old/mbgd_fast_old/core.py;
#      python docs/train-pool-session16.py D B1,B2 THREADS ROUNDS
# The script as run then is docs/train-draw-session16.py without PAIR_SAME_BITS set (it then
# checks the trained weights equal every round, as this run did):
import os, runpy, sys

runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "train-draw-session16.py"),
               run_name="__main__")
