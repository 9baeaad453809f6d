#!/bin/bash
# docs/ab-session37-bound.sh -- the softmax's b = 256 rate out of cache, shuffled, put together
# from two measurements taken apart, and what 1.5x squared loss would need of each.
#   in order   the kernel alone (ab_epochs, one build against a copy of itself: A's median
#              samples/s over 7 epochs; N = 200,000, d = 256, K = 10, b = 256) with the rows
#              in order (AB_SEQ=1), where the hardware prefetcher streams them: t_in ns a row
#              on each thread (threads / rate);
#   asking     bench/loops/spread_prefetch.c on as many threads, each running the softmax's
#              blocks over rows kept in cache and asking, at a block's four points, for random
#              whole rows of a 200 MB buffer on transparent huge pages, as NumPy places the
#              bench's X ("lines"), against asking for nothing ("none"): the extra ns a row,
#              a_ask, that asking for shuffled rows costs the core, the rows never read;
#   shuffled   the kernel alone with the rows shuffled, as the bench runs them, and squared
#              loss the same way.
# Predicted shuffled rate: threads / (t_in + a_ask).  For softmax <= 1.5x squared loss, a row
# may take threads / (squared / 1.5) ns on each thread: with a_ask as measured, the in-order
# time may then be that less a_ask ("in-order time needed"); with t_in as measured, a_ask
# may be that less t_in ("asking cost allowed").
# PASSES passes (default 5), 1 and 2 threads, the cross-core handoff (bench/loops/handoff.c)
# before each pass (60 ns or more: a slow phase); the summary takes each quantity's median over
# the quiet passes.  Run from the repository root:
#   bash docs/ab-session37-bound.sh > docs/ab-session37-bound.txt
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
REV=$(git rev-parse --short HEAD)
date -u +"%Y-%m-%d %H:%M:%S UTC"
echo "build: $REV$(git diff --quiet HEAD -- csrc bench/loops || echo ' (with changes)')"
build_revs "$REV"
cp "$W/$REV.so" "$W/copy.so"
cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -Icsrc \
    bench/loops/spread_prefetch.c -o "$W/spread_prefetch" -lm
epochs() { # threads loss [seq]: A's median samples/s
    env ${3:+AB_SEQ=1} "$W/ab_epochs" "$W/$REV.so" "$W/copy.so" 200000 256 256 "$1" 7 "$2" |
        awk '/^A:/ {print $2}'
}
PASSES=${PASSES:-5}
for pass in $(seq "$PASSES"); do
    h=$("$W/handoff" 20000 | tail -1 | awk '{print $(NF - 1)}')
    for threads in 1 2; do
        inorder=$(epochs "$threads" 9 1)
        shuffled=$(epochs "$threads" 9)
        squared=$(epochs "$threads" 0)
        ask=$(SPREAD_THREADS=$threads SPREAD_HUGE=1 "$W/spread_prefetch" 2000 200 |
              awk '$1 == "200" && NF == 10 {print $3 - $2}')
        echo "pass $pass handoff_ns $h threads $threads inorder $inorder shuffled $shuffled squared $squared ask_ns $ask"
    done
done | tee "$W/raw.txt"
echo "handoff after: $("$W/handoff" 20000 | tail -1)"
# Each quantity's median over the quiet passes (handoff under 60 ns), then the prediction.
python3 - "$W/raw.txt" <<'PY'
import statistics, sys
rows = [dict(zip(l.split()[0::2], l.split()[1::2])) for l in open(sys.argv[1])]
for T in ("1", "2"):
    quiet = [r for r in rows if r["threads"] == T and float(r["handoff_ns"]) < 60]
    print(f"\n{T} thread(s): {len(quiet)} quiet passes of {sum(r['threads'] == T for r in rows)}")
    if not quiet:
        continue
    med = {k: statistics.median(float(r[k]) for r in quiet)
           for k in ("inorder", "shuffled", "squared", "ask_ns")}
    t, n = int(T), len(quiet)
    t_in = t * 1e9 / med["inorder"]
    pred = t * 1e9 / (t_in + med["ask_ns"])
    budget = t * 1e9 / (med["squared"] / 1.5)
    print(f"  softmax in order {med['inorder']:.3e} samples/s: t_in {t_in:.1f} ns a row on each thread")
    each = ", ".join("%+.1f" % float(r["ask_ns"]) for r in quiet)
    print(f"  asking for shuffled rows: {med['ask_ns']:+.1f} ns a row (passes: {each})")
    print(f"  softmax shuffled: predicted {pred:.3e}, measured {med['shuffled']:.3e} samples/s "
          f"(measured / predicted {med['shuffled'] / pred:.3f})")
    print(f"  squared loss shuffled {med['squared']:.3e} samples/s: softmax / squared "
          f"{med['squared'] / med['shuffled']:.2f}x")
    print(f"  1.5x squared loss allows {budget:.1f} ns a row on each thread: with asking as "
          f"measured, the in-order time {budget - med['ask_ns']:.1f} ns "
          f"({t_in / (budget - med['ask_ns']):.2f}x faster than now); with the in-order time as "
          f"measured, asking {budget - t_in:+.1f} ns")
PY
