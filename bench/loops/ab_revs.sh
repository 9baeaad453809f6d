# Sourced by docs/ab-epochs-session*.sh: a temporary folder $W (removed on exit) with
# bench/loops/ab_epochs.c built as $W/ab_epochs; `build_revs REV...` builds csrc/mbgd.c of each
# git revision as $W/REV.so (its sources in $W/src/REV), and `run A.so B.so ARGS...` prints one
# paired A/B with its command line.  Leaves the shell in the repository's root.
set -e
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
F="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -shared"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/src"
cc -O2 -std=gnu99 -Icsrc bench/loops/ab_epochs.c -o "$W/ab_epochs" -ldl
build_revs() {
  for rev in "$@"; do
    git archive "$rev" csrc | tar -x -C "$W/src" && mv "$W/src/csrc" "$W/src/$rev"
    cc $F "$W/src/$rev/mbgd.c" -o "$W/$rev.so" -lm
  done
}
run() { echo "\$ ab_epochs $(basename "$1") $(basename "$2") ${*:3}"; "$W/ab_epochs" "$@"; echo; }
echo "# $(date -u) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(nproc) CPUs"
