# Sourced by docs/ab-*.sh: a temporary folder $W (removed on exit) with the A/B drivers
# bench/loops/ab_epochs.c and ab_shuffle.c built as $W/ab_epochs and $W/ab_shuffle, and
# bench/loops/handoff.c (the machine's phase) as $W/handoff;
# `build_revs REV...` builds csrc/mbgd.c of each git revision as $W/REV.so (its sources in
# $W/src/REV), `build_patch REV NAME` builds REV's sources with docs/not-kept/NAME.patch
# applied as $W/NAME.so (its sources in $W/src/NAME; `variant`, below, makes such sources
# without building them),
# `ab DRIVER A.so B.so ARGS...` prints one paired A/B with its command line, and
# `run A.so B.so ARGS...` is `ab ab_epochs ...`; `both A.so B.so ARGS...` runs it in both
# load orders; `same_bits A B [cases]` runs bench/loops/same_bits.c on $W/A.so and $W/B.so
# and prints its total of problems that train to other bits, after, with `cases`, those
# problems counted by instruction set (2: avx2, 3: avx512), d and b.
# `build_padded NAME K...` builds $W/src/NAME's mbgd.c once for each K as $W/NAME+K.so, with K
# bytes of padding ahead of all its code (`build_padded_pair A B K...`: two of them side by
# side), and `layouts A B "K..." ARGS...` runs ab_epochs on A+K against B+K for each K and
# prints the median of their B/A ratios: byte-identical copies of one build read up to 1.13x
# apart, copy by copy (docs/layout-session19.txt), so a pair of builds is read over several
# builds of each, not one.  Leaves the shell in the repository's root.
set -e
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
F="-O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -fPIC -fwrapv -w -shared"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/src"
for driver in ab_epochs ab_shuffle; do
  cc -O2 -std=gnu99 -Icsrc "bench/loops/$driver.c" -o "$W/$driver" -ldl
done
cc -O2 -fopenmp -Icsrc bench/loops/handoff.c -o "$W/handoff"
build_revs() {
  for rev in "$@"; do
    git archive "$rev" csrc | tar -x -C "$W/src" && mv "$W/src/csrc" "$W/src/$rev"
    cc $F "$W/src/$rev/mbgd.c" -o "$W/$rev.so" -lm
  done
}
# `variant REV NAME [ARG...]` makes $W/src/NAME from $W/src/REV's sources, unbuilt (for
# build_padded): each ARG either NAME=VALUE, a #define put ahead of its mbgd.c, or the name of
# a patch, docs/not-kept/ARG.patch applied.
variant() {
  local arg
  cp -r "$W/src/$1" "$W/src/$2"
  for arg in "${@:3}"; do
    if [[ $arg == *=* ]]; then
      sed -i "1i #define ${arg/=/ }" "$W/src/$2/mbgd.c"
    else
      (cd "$W/src/$2" && patch -s -p2 < "$OLDPWD/docs/not-kept/$arg.patch")
    fi
  done
}
build_patch() {
  variant "$1" "$2" "$2"
  cc $F "$W/src/$2/mbgd.c" -o "$W/$2.so" -lm
}
build_padded() {
  local name=$1 k
  shift
  for k in "$@"; do
    printf '__asm__(".text\\n.skip %d, 0x90\\n");\n#include "mbgd.c"\n' "$k" > "$W/src/$name/pad$k.c"
    cc $F -I"$W/src/$name" "$W/src/$name/pad$k.c" -o "$W/$name+$k.so" -lm
  done
}
# `build_padded_pair A B K...` is build_padded A K and build_padded B K for each K, the two side
# by side (one on each core).
build_padded_pair() {
  local a=$1 b=$2 k
  shift 2
  for k in "$@"; do
    build_padded "$a" "$k" &
    build_padded "$b" "$k"
    wait
  done
}
layouts() {
  local a=$1 b=$2 ks=$3 k
  shift 3
  echo "\$ layouts $a $b \"$ks\" $*"
  for k in $ks; do
    "$W/ab_epochs" "$W/$a+$k.so" "$W/$b+$k.so" "$@" | awk -v k="$k" '/^B\/A speed/ {print "  K=" k ": B/A " $3; print $3 > "/dev/stderr"}'
  done 2> "$W/ratios.txt"
  sort -g "$W/ratios.txt" | awk '{r[NR] = $1} END {m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2; print "  median over the builds: " m}'
  echo
}
ab() { echo "\$ ${AB_THETA_OFFSET:+AB_THETA_OFFSET=$AB_THETA_OFFSET }${AB_ISA:+AB_ISA=$AB_ISA }$1 $(basename "$2") $(basename "$3") ${*:4}"; "$W/$1" "${@:2}"; echo; }
run() { ab ab_epochs "$@"; }
both() { run "$1" "$2" "${@:3}"; run "$2" "$1" "${@:3}"; }
echo "# $(date -u) on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(nproc) CPUs"
same_bits() {
  [ -x "$W/same_bits" ] || cc -O2 -std=gnu99 -Icsrc bench/loops/same_bits.c -o "$W/same_bits" -ldl -lm
  echo "\$ same_bits $1.so $2.so"
  "$W/same_bits" "$W/$1.so" "$W/$2.so" > "$W/same.txt" || true
  if [ "${3:-}" = cases ]; then
    grep differ: "$W/same.txt" | awk '{print "isa", $3, "d", $7, "b", $9}' | sort | uniq -c
  fi
  tail -1 "$W/same.txt"
}
# `softmax_pairs BASE NEW [ARGS...]` builds both revisions in four code layouts, then pairs
# them over those layouts: an A/A of BASE first, then softmax (K = 10, d = 256) at b = 256 in
# L3 on 1 thread and out of cache on 2, for the CPU's own variant, AVX2 and the generic one;
# for the CPU's own also each extra cell ARGS ("N d b threads rounds [loss]", one quoted
# argument each), then b = 1 in L3 and out of cache, and squared loss at b = 1024 on 2 threads.
softmax_pairs() {
    local base=$1 new=$2 isa cell
    shift 2
    build_revs "$base" "$new"
    build_padded_pair "$base" "$new" 0 64 200 1000
    echo "handoff before: $("$W/handoff" 20000 | tail -1)"
    layouts "$base" "$base" "0 200" 200000 256 256 2 11 9
    for isa in "" avx2,avx2 generic,generic; do
        export AB_ISA=$isa
        [ -z "$isa" ] && unset AB_ISA
        echo "== ${isa:-auto (avx512)}"
        layouts "$base" "$new" "0 64 200 1000" 2048 256 256 1 21 9
        layouts "$base" "$new" "0 64 200 1000" 200000 256 256 2 11 9
        [ -z "$isa" ] || continue
        for cell in "$@"; do
            # shellcheck disable=SC2086
            layouts "$base" "$new" "0 64 200 1000" $cell
        done
        layouts "$base" "$new" "0 64 200 1000" 2048 256 1 1 21 9
        layouts "$base" "$new" "0 64 200 1000" 200000 256 1 2 5 9
        layouts "$base" "$new" "0 64 200 1000" 200000 256 1024 2 11
    done
    unset AB_ISA
    echo "handoff after: $("$W/handoff" 20000 | tail -1)"
}
# `squared_cells BASE NEW` builds both revisions, then pairs them in both load orders (`both`,
# 11 rounds, N = 200,000 shuffled, squared loss) over the cells the issue's targets read and
# the paths that run them: b = 1 at d = 8, 16 and 32 on 1 thread and d = 16 and 256 on 2 (the
# runs with the weights in registers, and k1 blocks), d = 16 b = 16 and 256 on 1 thread (small
# runs), b = 256, 1024 and 4096 on 2 threads at d = 16 and 256 (phase A's groups, skew_regs),
# and d = 256 b = 256 on 1 thread; the handoff before each cell.  Session 53's change was
# measured at b >= 4 only and slowed b = 1 by up to 1.9x (docs/ab-session54-small.txt): a
# kernel change runs these before it is kept.
squared_cells() {
    local base=$1 new=$2 cell
    build_revs "$base" "$new"
    for cell in "8 1 1" "16 1 1" "32 1 1" "16 1 2" "256 1 2" "16 16 1" "16 256 1" \
                "16 256 2" "16 1024 2" "16 4096 2" "256 256 2" "256 1024 2" "256 4096 2" \
                "256 256 1"; do
        echo "handoff: $("$W/handoff" 20000 | tail -1)"
        # shellcheck disable=SC2086
        set -- $cell
        both "$W/$base.so" "$W/$new.so" 200000 "$1" "$2" "$3" 11
    done
}
