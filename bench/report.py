"""Fit, tabulate and plot a benchmark run.

    python bench/report.py bench/out/bench.json [--out bench/out] [--markdown FILE]

For every system (mbgd_fast at 1 and 2 threads, the NumPy loop, PyTorch foreach
and fused, scikit-learn partial_fit) and every d, fits T_iter(b) = tau_f +
tau_d b by mbgd_fast.costmodel.fit to the median seconds per iteration, and
prints tau_f, tau_d, R^2, samples/s at each b, mbgd_fast's ratio to each anchor,
and the % of the measured read bandwidth that mbgd_fast's reads of X reach;
then the paired rounds of bench/test_bench_paired.py (the flat curve, 1 -> 2 threads and
each loss against squared loss, with the cells they compare alternated) and the side tables.
Writes perf_d{d}.png (seconds per iteration and samples/s vs b, log axes, with
the fitted lines) into --out.
"""
import argparse
import json
import os
import sys
from collections import defaultdict

import numpy as np

from mbgd_fast import costmodel


#: the paired cells' backends (bench/test_bench_paired.py, test_bench_estimators.py) and where
#: load() keeps their extra_info in `paired`: by d, or one a run
PAIRED_BY_D = {"paired": "curve", "paired-loss": "loss", "paired-sklearn": "sklearn",
               "paired-partial_fit": "partial_fit", "paired-shuffled-line": "shuffled-line",
               "paired-b1": "b1", "b1-chain": "chain", "paired-big": "big",
               "paired-small-fit": "small_fit", "paired-ovr": "ovr", "paired-l2-run": "l2_run"}
#: the batch sizes of the paired rounds at b >= 256 on 2 threads (test_paired_big_batches)
BIG = (256, 1024, 4096)
PAIRED_ONE = {"paired-draw": "draw-paired", "paired-draw-bound": "draw-bound"}


def load(paths):
    """rows of the timed systems, read bandwidth {threads: B/s}, shuffled-row ceiling
    {(d, threads): B/s}, and the paired rounds of bench/test_bench_paired.py,
    {"curve": {d: extra_info}, "loss": {d: extra_info}, "sklearn": {d: extra_info}, and
    "partial_fit": {d: extra_info} when the run streamed partial_fit calls, "chain": {16:
    extra_info} of b = 1's chain alone (bench/test_bench_chain.py), "draw-bound": the
    extra_info of the paired rounds of the d = 16 bound} (with
    "draw": (rows, seconds), the order train() draws, alone, when the run timed it,
    "draw-paired", its paired rounds against the generator's next_raw, and "draw-next_raw",
    the same through next_raw timed alone, in runs before session 26), and the NumPy user's
    epoch shuffle (rows, seconds) or None."""
    rows, bandwidth, shuffled, paired = [], {}, {}, {"curve": {}, "loss": {}, "sklearn": {}}
    permutation = None
    for path in paths:
        with open(path) as fh:
            data = json.load(fh)
        for bm in data["benchmarks"]:
            info, med = bm["extra_info"], bm["stats"]["median"]
            backend = info.get("backend")
            if backend == "numpy-sum":
                bandwidth[info["threads"]] = info["bytes"] / med
                continue
            if backend in PAIRED_BY_D:  # paired rounds of one d: their extra_info, by d
                paired.setdefault(PAIRED_BY_D[backend], {})[info["d"]] = info
                continue
            if backend in PAIRED_ONE:  # paired rounds run once a run
                paired[PAIRED_ONE[backend]] = info
                continue
            if backend in ("draw", "draw-next_raw"):
                paired[backend] = (info["rows"], med)
                continue
            if backend == "numpy-permutation":
                permutation = (info["rows"], med)
                continue
            if backend == "paired-line":
                paired.setdefault("line", {}).setdefault("all", []).append(info)
                continue
            if backend == "shuffled-read":
                shuffled[(info["d"], info["threads"])] = info["bytes"] / med
                continue
            if "samples" not in info:
                continue
            system = info["backend"] + (f"/{info['threads']}t" if info["backend"] == "mbgd_fast" else "")
            rows.append(dict(info, system=system, median=med, sps=info["samples"] / med,
                             t_iter=med / info["iters"]))
    return rows, bandwidth, shuffled, paired, permutation


def phase_text(info):
    """What the cross-core probes before a paired test's rounds read (bench/test_bench_paired.py
    phase_split), or "" for a run without them."""
    ph = info.get("phase")
    if not ph or not ph.get("handoff_ns"):
        return ""
    h = ph["handoff_ns"]
    return (f"the cross-core handoff before each round read {min(h):.0f}-{max(h):.0f} ns "
            f"(median {float(np.median(h)):.0f}); {ph['slow_rounds']} of {len(h)} rounds at "
            f"{ph['slow_ns']:.0f} ns or more (a slow phase)")


def quiet_rounds(info):
    """(the number of quiet rounds, their ratios) when a paired test's rounds ran in both
    phases, else (0, None)."""
    ph = info.get("phase") or {}
    if "quiet" not in ph:
        return 0, None
    return len(ph["handoff_ns"]) - ph["slow_rounds"], ph["quiet"]


def phase_lines(info, say, summary):
    """The probe's line under a paired table, and the quiet rounds' ratios (summary(quiet))."""
    text = phase_text(info)
    if not text:
        return
    say("")
    say(text[0].upper() + text[1:] + " (mbgd_fast._native.handoff_ns).")
    k, quiet = quiet_rounds(info)
    if quiet:
        say(f"Over the {k} rounds under {info['phase']['slow_ns']:.0f} ns alone: {summary(quiet)}.")


def curve_table(d, info, say):
    bs = sorted({int(k.split("b=")[1]) for k in info["sps"]})
    threads = sorted({int(k.split("t ")[0]) for k in info["sps"]})
    say(f"d = {d}, {info['rounds']} rounds:")
    say("")
    say("| | " + " | ".join(f"b={b}" for b in bs) + " | slowest b vs fastest |")
    say("|---|" + "---:|" * (len(bs) + 1))
    for t in threads:
        cells = [f"{info['sps'][f'{t}t b={b}']:.3g}" for b in bs]
        say(f"| {t} thread{'s' * (t > 1)}, samples/s | " + " | ".join(cells) +
            f" | {info['flat'][str(t)]:.2f}x |")
    for t in threads if "vs_best" in info else ():
        vb = info["vs_best"][str(t)]
        say(f"| {t} thread{'s' * (t > 1)}, seconds vs the best b's (b={vb['best']}) | " +
            " | ".join(f"{vb['ratio'][str(b)]:.2f}x" for b in bs) + " | |")
    say("| 2 threads / 1 thread | " + " | ".join(f"{info['scale'][str(b)]:.2f}x" for b in bs)
        + " | |")

    def summary(q):
        parts = [f"{t} thread{'s' * (int(t) > 1)}, each b vs the best b (b={vb['best']}) " +
                 " / ".join(f"{vb['ratio'][str(b)]:.2f}x" for b in bs)
                 for t, vb in sorted(q["vs_best"].items())]
        parts.append("2 threads / 1 thread " + " / ".join(f"{q['scale'][str(b)]:.2f}x" for b in bs))
        return "; ".join(parts) + f" (b = {' / '.join(str(b) for b in bs)})"

    phase_lines(info, say, summary)


def loss_table(d, info, say):
    bs = sorted({int(b) for per_b in info["cost"].values() for b in per_b})
    say(f"d = {d}, {info['threads']} threads, {info['rounds']} rounds:")
    say("")
    say("| loss | " + " | ".join(f"b={b} samples/s | b={b} cost vs squared" for b in bs) + " |")
    say("|---|" + "---:|---:|" * len(bs))
    for loss, per_b in info["cost"].items():
        cells = [f"{info['sps'][f'{loss} b={b}']:.3g} | {per_b[str(b)]:.2f}x" for b in bs]
        say(f"| {loss} | " + " | ".join(cells) + " |")
    phase_lines(info, say, lambda q: "; ".join(
        f"{loss} " + " / ".join(f"b={b} {v:.2f}x" for b, v in per_b.items())
        for loss, per_b in q["cost"].items() if loss != "squared"))


def sklearn_table(d, info, say):
    say(f"d = {d}, b = 1, {info['rounds']} rounds:")
    say("")
    say("| | samples/s | scikit-learn's fit seconds / this one's |")
    say("|---|---:|---:|")
    say(f"| SGDRegressor(max_iter=1).fit | {info['sps']['sklearn']:.3g} | 1.00x |")
    for t, v in sorted(info["ratio"].items()):
        say(f"| train(), {t} thread{'s' * (int(t) > 1)} | {info['sps'][f'{t}t']:.3g} | {v:.2f}x |")


def partial_fit_table(d, info, say):
    say(f"d = {d}, {info['calls']} calls of {info['b']} rows a round, {info['rounds']} rounds:")
    say("")
    say("| estimator | scikit-learn, us a call | mbgd_fast, us a call | scikit-learn / mbgd_fast |")
    say("|---|---:|---:|---:|")
    for kind, v in sorted(info["ratio"].items()):
        us = info["us_per_call"]
        say(f"| {kind} | {us[f'{kind}-sklearn']:.0f} | {us[f'{kind}-mbgd_fast']:.0f} | {v:.2f}x |")


def small_fit_table(d, info, say):
    say(f"{info['dataset']} ({info['rows']} x {d}), {info['rounds']} rounds:")
    say("")
    say("| estimator | ms a fit | epochs | training score |")
    say("|---|---:|---:|---:|")
    for s in ("sklearn", "mbgd_fast"):
        say(f"| {s} | {info['ms'][s]:.3f} | {info['epochs'][s]} | {info['scores'][s]:.3f} |")
    say("")
    say(f"scikit-learn's seconds / ours: {info['ratio']:.2f}x (the median of the rounds' ratios).")


def ovr_table(d, info, say):
    say(f"{info['dataset']} ({info['rows']:,} x {d}, {info['classes']} classes, b = {info['b']}, "
        f"{info['dtype']}, {info['epochs']} epochs), {info['rounds']} rounds:")
    say("")
    say("| fit | ms a fit | its seconds / side by side's | training score |")
    say("|---|---:|---:|---:|")
    for s, ms in info["ms"].items():
        r = "1.00x" if s == "side by side" else f"{info['ratios'][s]:.2f}x"
        say(f"| {s} | {ms:.1f} | {r} | {info['scores'][s]:.3f} |")
    say("")


def l2_run_table(d, info, say):
    say(f"d = {d}, {info['rows']:,} rows, {info['rounds']} rounds ({info['isa']}): each step as "
        f"it comes {info['ns']['each step']:.1f} ns, the weights in registers "
        f"{info['ns']['l2 run']:.1f} ns a step: {info['ratio']:.2f}x.")
    say("")


def b1_table(d, info, say):
    say(f"d = {d}, b = 1, N = {info['rows']:,}, {info['rounds']} rounds:")
    say("")
    say("| cell | ms an epoch |")
    say("|---|---:|")
    names = {"alone 1t": "the kernel alone, its order given, 1 thread",
             "alone 2t": "the kernel alone, its order given, 2 threads (the second packs the rows "
                         "in a quiet phase)",
             "drawing": "the same call drawing its order (the second thread draws it first)",
             "train": "train(), 2 threads"}
    for cell, ms in info["ms"].items():
        say(f"| {names.get(cell, cell)} | {ms:.3f} |")
    say("")
    say(f"The draw beside the training: +{info['draw_ms']:.3f} ms; train()'s Python around the "
        f"call: +{info['python_ms']:.3f} ms (medians of the per-round differences).")
    phase_lines(info, say, lambda q: (f"the kernel alone on 2 threads {q['ms']['alone 2t']:.3f} "
                                      f"ms, the draw +{q['draw_ms']:.3f}, Python "
                                      f"+{q['python_ms']:.3f}"))


def chain_table(d, info, say):
    say(f"d = {d}, squared loss, {info['rows']:,} rows of 64 bytes in cache taken in turn, "
        f"{info['steps']:,} steps, clock about {info['clock_ghz']:.2f} GHz:")
    say("")
    say("| z taken | cycles a sample | ns a sample |")
    say("|---|---:|---:|")
    for form, c in info["cycles"].items():
        say(f"| {form} | {c:.1f} | {info['ns'][form]:.2f} |")


def line_table(_, infos, say):
    say("| d | epochs | b | X as placed, copy off (ms) | copied onto a line (ms) | placed on a line "
        "by the caller (ms) | copy off / copied | copy off / on a line |")
    say("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i in sorted(infos, key=lambda i: (i["d"], i["epochs"], i["b"])):
        ms, r = i["ms"], i["ratio"]
        say(f"| {i['d']} | {i['epochs']} | {i['b']} | {ms['kept']:.2f} | {ms['copied']:.2f} | "
            f"{ms['on a line']:.2f} | {r['kept/copied']:.2f}x | {r['kept/on a line']:.2f}x |")


def big_table(d, info, say):
    ceil = info.get("ceiling")  # the shuffled-row ceiling read in the rounds (since session 79)
    say(f"d = {d}, {info['rounds']} rounds; the sum read {info['sum_gbs']:.1f} GB/s " +
        (f"and the shuffled-row ceiling {info['ceiling_gbs']:.1f} GB/s "
         f"({_pct(info['ceiling_of_sum'])} of the sum's; " if ceil else "(") +
        "the median round):")
    say("")
    say("| b | train() 2t, samples/s | NumPy loop, samples/s | train() / NumPy loop | bytes of X "
        "read by train() / the sum's |" + (" / the ceiling's | 5x the loop's / the ceiling's |"
                                           if ceil else ""))
    say("|---:|---:|---:|---:|---:|" + ("---:|---:|" if ceil else ""))
    for b in sorted(info["numpy"], key=int):
        sps = info["sps"]
        say(f"| {b} | {sps.get(f'train b={b}', float('nan')):.3g} | "
            f"{sps.get(f'numpy b={b}', float('nan')):.3g} | {info['numpy'][b]:.2f}x | "
            f"{_pct(info['bandwidth'][b])} |" +
            (f" {_pct(ceil[b])} | {_pct(info['numpy_need'][b])} |" if ceil else ""))
    ph = info.get("phase") or {}
    if ph.get("handoff_ns"):
        say("")
        say(f"The cross-core handoff before each round read {min(ph['handoff_ns']):.0f}-"
            f"{max(ph['handoff_ns']):.0f} ns; {ph['slow_rounds']} of {len(ph['handoff_ns'])} "
            f"rounds at {ph['slow_ns']:.0f} ns or more (a slow phase).")


# the kinds of paired rounds (bench/test_bench_paired.py): title, what a ratio is, one table
PAIRED = {
    "curve": ("Paired rounds: the flat curve and 1 -> 2 threads",
              "Each round runs every (threads, b) cell once, one epoch each, back to back; a "
              "ratio is the median over the rounds of that round's ratio "
              "(bench/test_bench_paired.py).", curve_table),
    "loss": ("Paired rounds: each loss against squared loss",
             "Each round runs every (loss, b) cell once, one epoch each, back to back; the cost "
             "is the median over the rounds of that round's seconds against squared loss's at "
             "the same b (bench/test_bench_paired.py).", loss_table),
    "partial_fit": ("Paired rounds: partial_fit on a stream of batches against scikit-learn's",
                    "Each round streams the same batches through every estimator's partial_fit "
                    "in turn, ours at batch_size=1 (the same updates as scikit-learn's SGD); a "
                    "ratio is the median over the rounds of that round's scikit-learn seconds "
                    "against ours (bench/test_bench_estimators.py).", partial_fit_table),
    "small_fit": ("Paired rounds: scikit-learn sized fits against scikit-learn's",
                  "Each round fits scikit-learn's SGD and ours (batch_size=1), each with its "
                  "defaults, on one of scikit-learn's small datasets (standardized), in turn "
                  "(bench/test_bench_estimators.py).", small_fit_table),
    "ovr": ("Paired rounds: one-vs-rest fits side by side",
            "Each round fits MBGDClassifier with its binary fits side by side on threads (one "
            "OpenMP thread each) and one after another, and scikit-learn's SGDClassifier with "
            "n_jobs None and 2, in turn; a ratio is the median over the rounds of that round's "
            "seconds against side by side's (bench/test_bench_estimators.py).", ovr_table),
    "l2_run": ("Paired rounds: float64 b = 1 steps with an L2 penalty in registers",
               "Each round runs train() (hinge, alpha 1e-4, 20 epochs, 1 thread) with the "
               "weights in registers across the steps (l2_run) and with each step as it comes "
               "(MBGD_FAST_L2_RUN=0), in turn; a ratio is the median over the rounds of that "
               "round's seconds each step against l2_run's (bench/test_bench_estimators.py).",
               l2_run_table),
    "sklearn": ("Paired rounds: b = 1 against scikit-learn",
                "Each round runs scikit-learn's SGDRegressor(max_iter=1, learning_rate="
                "'constant').fit and train() at b = 1 on 1 and 2 threads, one epoch each, back "
                "to back (since session 55 each timed call after a 0.25 s wait and two untimed "
                "calls of its own); a ratio is the median over the rounds of that round's fit "
                "seconds against train()'s (bench/test_bench_paired.py).", sklearn_table),
    "b1": ("Paired rounds: what b = 1 on 2 threads is made of",
           "Each round runs the kernel alone (its order given) on 1 and 2 threads, the same "
           "call drawing its own order, and train(), one epoch each, back to back "
           "(bench/test_bench_paired.py, test_paired_b1_parts).", b1_table),
    "chain": ("b = 1's chain alone",
              "bench/loops/b1_chain.c (bench/test_bench_chain.py): the squared-loss b = 1 step "
              "with the weights in registers, z taken after the step, one ahead as the kernels "
              "take it, two or four ahead; one ahead with the kernel's extras (an index, y, lr "
              "and the loss through memory, finiteness checks); and one ahead's work with the "
              "chain cut (each z eight samples old: not SGD, the work alone); four ahead with "
              "each row's four products given (made before the run, as a second thread could "
              "make them beside the rows it packs) or made in a pass of their own every 64 "
              "rows, with r chained by one multiply-add a sample (y and the rate folded in off "
              "the chain), or both. Each form's weights are checked against the same steps in "
              "double.", chain_table),
    "big": ("Paired rounds: b >= 256 on 2 threads against the NumPy loop and the bandwidth",
            "Each round runs train() on 2 threads and the NumPy loop at each b, a NumPy sum "
            "over 1 GiB on 2 threads and (since session 79) the shuffled-row ceiling (X's rows "
            "in a random order, read with the kernels' prefetch, nothing else, on 2 threads), one "
            "call each, back to back, in reverse order every other round; a ratio is the median "
            "over the rounds of that round's ratio: samples/s against the loop's, and the bytes "
            "of X train() reads a second against the sum's and the ceiling's, and five times the "
            "loop's against the ceiling's (bench/test_bench_paired.py, test_paired_big_batches). "
            "Where a run has these rounds they decide the two targets at b >= 256.", big_table),
    "line": ("Paired rounds: X copied onto a cache line for its epochs",
             "The bench's X starts 16 bytes past a page, as NumPy places large arrays. Each "
             "round runs train() (2 threads) on it with the copy onto a cache line that train() "
             "makes when the epochs pay for it (core.line_aligned), with that copy turned off, "
             "and on an X the caller placed on a line, in turn; the ratios are medians over "
             "rounds of each round's ratio (bench/test_bench_paired.py).", line_table),
}


def paired_tables(paired, say):
    """The flat curve and 1 -> 2 threads, and each loss against squared loss, from paired
    rounds: samples/s (medians over rounds), and the medians of the per-round ratios."""
    for kind, (title, text, table) in PAIRED.items():
        found = (paired or {}).get(kind)
        if not found:
            continue
        say(f"### {title}")
        say("")
        say(text)
        say("")
        for d, info in sorted(found.items()):
            table(d, info, say)
            say("")


SIDE = ("isa-", "helper-", "pack-", "bpack", "relay", "incache-", "regressor-", "classifier-",
        "kernel-alone")  # side tables, not systems of the main curves


def fit_systems(rows):
    """{(system, d): (CostModel, {b: row})} for squared loss, float32."""
    groups = defaultdict(dict)
    for r in rows:
        if r["system"].startswith(SIDE) or r["system"].endswith("-csr"):  # -csr: the sparse bench
            continue
        if r["loss"] == "squared" and r["dtype"] == "float32":
            groups[(r["system"], r["d"])][r["b"]] = r
    fits = {}
    for key, by_b in groups.items():
        bs = sorted(by_b)
        model = costmodel.fit(bs, [by_b[b]["t_iter"] for b in bs]) if len(bs) >= 2 else None
        fits[key] = (model, by_b)
    return fits


def _pct(x):
    return f"{100 * x:.0f}%"


def _x(v, limit, digits=2):
    """A ratio as the targets table prints it ("1.62x"), with more digits when rounding would
    put it on the other side of (or on) the target's limit: 1.5988 against 1.6 is "1.599x"."""
    while digits < 6 and (round(v, digits) == limit) != (v == limit):
        digits += 1
    return f"{v:.{digits}f}x"


def phase_limit(info, quiet_text):
    """For a miss measured in paired rounds: how many of them ran in a slow phase, and the
    ratio over the others (quiet_text(quiet ratios)); "" when none did."""
    ph = info.get("phase") or {}
    if not ph.get("slow_rounds"):
        return ""
    n = len(ph["handoff_ns"])
    k, quiet = quiet_rounds(info)
    text = (f"; {ph['slow_rounds']} of these {n} rounds ran in a slow phase (the cross-core "
            f"handoff at {ph['slow_ns']:.0f} ns or more before the round)")
    return text + (f", and over the other {k} alone {quiet_text(quiet)}" if quiet else "")


def with_phase(bound, phase):
    """A miss's bound with phase_limit's words after it (or alone, without their "; ")."""
    return bound + phase if bound else phase[2:]


def _pcts_by_b(per_b):
    """A {str(b): share} record's shares as percentages in order of b, joined with " / "."""
    return " / ".join(_pct(v) for _, v in sorted(per_b.items(), key=lambda kv: int(kv[0])))


def _paired_sps(pg, kind):
    """{b: samples/s} of one side of the paired b >= 256 rounds (pg: their record), where they
    recorded it at every b they judged."""
    if not pg or not pg.get("sps"):
        return {}
    got = {int(b): pg["sps"].get(f"{kind} b={b}") for b in pg.get("numpy", {})}
    return dict(sorted(got.items())) if all(v for v in got.values()) else {}


def _paired_bw(pg, d, ceil):
    """For a bandwidth miss judged by the paired rounds: what train() read in those rounds
    against the shuffled-row ceiling, and 70% of their sum against it ("" without them)."""
    if pg and pg.get("ceiling"):  # the ceiling read in those rounds (since session 79)
        return (f"; in the paired rounds the shuffled-row ceiling read {pg['ceiling_gbs']:.1f} "
                f"GB/s, {_pct(pg['ceiling_of_sum'])} of their sum ({pg['sum_gbs']:.1f} GB/s): "
                f"70% of the sum is {_pct(0.7 / pg['ceiling_of_sum'])} of the ceiling, and "
                "train() read " + _pcts_by_b(pg["ceiling"]) + " of it")
    tr = _paired_sps(pg, "train")
    if not tr:
        return ""
    need = 0.7 * pg["sum_gbs"] * 1e9
    return (f"; in the paired rounds 70% of their sum ({pg['sum_gbs']:.1f} GB/s) is "
            f"{need / 1e9:.1f} GB/s, {_pct(need / ceil)} of the ceiling, and train() read " +
            " / ".join(f"{v * d * 4 / 1e9:.1f}" for v in tr.values()) + " GB/s, " +
            " / ".join(_pct(v * d * 4 / ceil) for v in tr.values()) + " of it")


def _paired_loop(pg, d, ceil):
    """For a miss of 5x the NumPy loop judged by the paired rounds: the loop's speed in those
    rounds, the share of the shuffled-row ceiling 5x that needs, and train()'s share there."""
    if pg and pg.get("numpy_need") and pg.get("ceiling"):  # since session 79
        return ("in the paired rounds 5x the NumPy loop needs " + _pcts_by_b(pg["numpy_need"]) +
                f" of the shuffled-row ceiling read in them ({pg['ceiling_gbs']:.1f} GB/s), and "
                "train() read " + _pcts_by_b(pg["ceiling"]) + " of it there; ")
    tr, lp = _paired_sps(pg, "train"), _paired_sps(pg, "numpy")
    if not tr or not lp:
        return ""
    return ("in the paired rounds the NumPy loop ran " +
            " / ".join(f"{v:.3g}" for v in lp.values()) + " samples/s: 5x needs " +
            " / ".join(_pct(5 * v * d * 4 / ceil) for v in lp.values()) +
            f" of the shuffled-row ceiling ({ceil / 1e9:.1f} GB/s, timed apart), and train() "
            "read " + " / ".join(_pct(v * d * 4 / ceil) for v in tr.values()) + " of it there; ")


def _adds_to_fetch(info, loss, b, arith_sps):
    """For a loss missing 1.5x in the paired rounds (info: their record, 2 threads): each
    core's time a row there, squared loss's and the loss's, against squared loss's plus the
    loss's arithmetic alone (in cache, 1 thread): how much of that arithmetic the rows' fetch
    hid.  "" without the rounds' speeds."""
    sps = info.get("sps") or {}
    sq, got = sps.get(f"squared b={b}"), sps.get(f"{loss} b={b}")
    if not sq or not got:
        return ""
    # b = 1's steps run on one core (the other asks for the rows ahead or packs them)
    cores = 1 if int(b) == 1 else info.get("threads", 2)
    t_sq, t_loss, t_ar = cores * 1e9 / sq, cores * 1e9 / got, 1e9 / arith_sps
    return (f"; out of cache {'the stepping' if cores == 1 else 'each'} core took "
            f"{t_sq:.0f} ns a row for squared loss and "
            f"{t_loss:.0f} ns for {loss}, where squared loss's {t_sq:.0f} ns plus {loss}'s "
            f"arithmetic alone ({t_ar:.0f} ns a row in cache, 1 thread) is {t_sq + t_ar:.0f} ns: "
            f"the fetch hid {_pct(max(0.0, min(1.0, (t_sq + t_ar - t_loss) / t_ar)))} of that "
            f"arithmetic, and 1.5x needs the arithmetic under {t_sq / 2:.0f} ns a row or hidden")


def targets(rows, fits, bandwidth, shuffled, paired, say):
    """Issue 3's targets, each from this run's cells: what was measured, met or missed, and
    for a miss the measurement of this run that bounds it (the shuffled-row read ceiling,
    the loss's arithmetic alone in cache).  Returns {target: True / False / None} (None:
    the run did not measure it)."""
    paired = paired or {}
    verdicts = {}

    def line(name, cells, ok, limit=""):
        verdicts[name] = ok
        word = "not measured" if ok is None else ("met" if ok else "**missed**")
        say(f"| {name} | {'; '.join(cells) or '-'} | {word} | {limit} |")

    def mine(d, t):
        return fits.get((f"mbgd_fast/{t}t", d), (None, {}))

    dims = sorted({d for s, d in fits if s.startswith("mbgd_fast")})
    say("| target | this run | verdict | what bounds a miss (this run) |")
    say("|---|---|---|---|")
    # tau_f at most 1/50 of the NumPy loop's
    cells, ok = [], None
    for d in dims:
        loop = fits.get(("numpy-loop", d), (None,))[0]
        for t in (1, 2):
            m = mine(d, t)[0]
            if loop is None or m is None:
                continue
            ok = (ok is not False) and m.tau_f * 50 <= loop.tau_f
            cells.append(f"d={d} {t}t {m.tau_f * 1e6:.2g} us vs {loop.tau_f * 1e6:.2g} us")
    line("tau_f <= 1/50 of the NumPy loop's", cells, ok)
    # b = 1 against scikit-learn's fit
    cells, ok, limit = [], None, []
    incache = {(r["b"], r["system"][len("incache-"):]): r["sps"] for r in rows
               if r["system"].startswith("incache-")}
    for d, need in ((256, 5.0), (16, 2.0)):
        sk = {r["b"]: r for r in rows if r["system"] == "sklearn-fit" and r["d"] == d}
        by_b = mine(d, 2)[1] or mine(d, 1)[1]
        got = []
        if 1 in sk and 1 in by_b:
            got.append(by_b[1]["sps"] / sk[1]["sps"])
            cells.append(f"d={d} {_x(got[-1], need, 1)} (>= {need:g}x)")
        pair = paired.get("sklearn", {}).get(d)
        if pair:
            t = "2" if "2" in pair["ratio"] else min(pair["ratio"])
            got.append(pair["ratio"][t])
            cells.append(f"d={d} {t}t {_x(got[-1], need, 1)} (paired)")
        if not got:
            continue
        ok = (ok is not False) and min(got) >= need
        sk_sps = pair["sps"]["sklearn"] if pair else sk[1]["sps"]
        if min(got) < need:
            parts = []
            if d == 256 and (1, "squared") in incache:  # the loss cells' in-cache b = 1 (d = 256)
                v = incache[(1, "squared")]
                parts.append(f"in cache (the arithmetic alone, 1 thread) its steps run "
                             f"{v:.3g} samples/s, {v / sk_sps:.1f}x scikit-learn's")
            for t in (1, 2):
                if (d, t) in shuffled:
                    v = shuffled[(d, t)] / (d * 4)
                    parts.append(f"the shuffled-row ceiling on {t} thread{'s' * (t > 1)} "
                                 f"({shuffled[(d, t)] / 1e9:.1f} GB/s) is {v:.3g} rows/s, "
                                 f"{v / sk_sps:.1f}x")
            if parts:
                limit.append(f"d={d}: b = 1's steps each wait on the one before; " +
                             "; ".join(parts))
    line("b = 1: samples/s vs SGDRegressor.fit", cells, ok, "; ".join(limit))
    # b >= 256 on 2 threads: 70% of the read bandwidth, and 5x the NumPy loop
    bw_cells, bw_ok, bw_limit = [], None, []
    np_cells, np_ok, np_limit = [], None, []
    alone = {(r["d"], r["b"], r["threads"]): r["sps"] for r in rows
             if r["system"] == "kernel-alone"}
    draw = paired.get("draw")
    for d in dims:
        by_b = mine(d, 2)[1]
        loop = fits.get(("numpy-loop", d), (None, {}))[1]
        ceil = shuffled.get((d, 2))
        big = [b for b in sorted(by_b) if b >= 256]
        kernel = ("; the kernel alone (its order given, no Python around it) " + " / ".join(
            _pct(alone[(d, b, 2)] * d * 4 / ceil) for b in big)
            if ceil and big and all((d, b, 2) in alone for b in big) else "")
        # an epoch that draws its order on one core beside the training: at least the draw,
        # the kernel alone on 2 threads, and the two cores' work shared out evenly (the
        # draw plus the kernel alone on 1 thread, over 2)
        sides = all((d, b, t) in alone for b in big for t in (1, 2))
        pb = paired.get("draw-bound")
        if pb and pb["d"] == d and big and all(str(b) in pb["bound_ms"] for b in big):
            two_core = (f"; in paired rounds ({pb['rounds']}: the order's draw alone, the kernel "
                        f"alone on 1 and 2 threads and train(), in turn), an epoch that draws "
                        f"its order beside the training takes at least max(the draw; the "
                        f"kernel alone on 2 threads; the draw plus the kernel alone on 1 "
                        f"thread, over 2 cores) = " +
                        " / ".join(f"{pb['bound_ms'][str(b)]:.2f}" for b in big) + " ms" +
                        ("" if 2 not in bandwidth else ", " + " / ".join(
                            _pct(pb["rows"] * d * 4 / (pb["bound_ms"][str(b)] / 1e3) / bandwidth[2])
                            for b in big) + " of the bandwidth") +
                        ", and train() reached " +
                        " / ".join(_pct(pb["reached"][str(b)]) for b in big) +
                        " of that bound's speed")
        elif draw and big and sides:
            n, t_draw = draw
            least = {b: max(t_draw, n / alone[(d, b, 2)], (t_draw + n / alone[(d, b, 1)]) / 2)
                     for b in big}
            two_core = (f"; an epoch that draws its order beside the training takes at least "
                        f"max(the draw alone, {t_draw * 1e3:.2f} ms; the kernel alone on 2 "
                        f"threads; the draw plus the kernel alone on 1 thread, over 2 cores) = "
                        + " / ".join(f"{least[b] * 1e3:.2f}" for b in big) + " ms, " +
                        " / ".join(_pct(n * d * 4 / least[b] / bandwidth[2]) for b in big
                                   if 2 in bandwidth) +
                        " of the bandwidth; train() reached " +
                        " / ".join(_pct(by_b[b]["sps"] * least[b] / n) for b in big) +
                        " of that bound's speed")
        else:
            two_core = ""
        # the paired rounds of b >= 256 (test_paired_big_batches): train(), the NumPy loop and
        # the sum in turn each round.  Where a run has them they decide both targets, as the
        # paired costs decide the losses': the cells below are timed minutes apart, and the
        # machine's memory rate moves by a third in minutes
        pg = (paired.get("big") or {}).get(d)
        p_bw = [pg["bandwidth"][str(b)] for b in BIG if pg and str(b) in pg["bandwidth"]]
        p_np = [pg["numpy"][str(b)] for b in BIG if pg and str(b) in pg["numpy"]]
        apart = " (apart: not judged)"
        bw_miss = None
        if p_bw:
            bw_miss = min(p_bw) < 0.7
            bw_ok = (bw_ok is not False) and not bw_miss
            bw_cells.append(f"d={d} " + " / ".join(_pct(g) for g in p_bw) +
                            f" (paired, the sum at {pg['sum_gbs']:.1f} GB/s in those rounds)")
        if big and 2 in bandwidth:
            got = [by_b[b]["sps"] * d * 4 / bandwidth[2] for b in big]
            if bw_miss is None:
                bw_miss = min(got) < 0.7
                bw_ok = (bw_ok is not False) and not bw_miss
            bw_cells.append(f"d={d} " + " / ".join(_pct(g) for g in got) + (apart if p_bw else ""))
            miss = bw_miss
            if miss and ceil:
                sl = (paired.get("shuffled-line") or {}).get(d)
                on_line = (f" (in paired rounds {_pct(sl['gbs']['as placed 2t'] * 1e9 / bandwidth[2])}"
                           f" over X where NumPy put it, {sl['offset']} bytes past a cache line, and "
                           f"{_pct(sl['gbs']['on a line 2t'] * 1e9 / bandwidth[2])} over a copy on a "
                           "line)" if sl else "")
                bw_limit.append(f"d={d}: the shuffled-row ceiling is {_pct(ceil / bandwidth[2])} "
                                f"of it{on_line}" + _paired_bw(pg, d, ceil) + "; train() reached " +
                                " / ".join(_pct(by_b[b]["sps"] * d * 4 / ceil) for b in big) +
                                " of the ceiling" + (" (apart)" if p_bw else "") + kernel +
                                two_core)
        np_miss = None
        if p_np:
            np_miss = min(p_np) < 5.0
            np_ok = (np_ok is not False) and not np_miss
            np_cells.append(f"d={d} " + " / ".join(_x(g, 5.0) for g in p_np) + " (paired)")
        both = [b for b in big if b in loop]
        if both:
            got = [by_b[b]["sps"] / loop[b]["sps"] for b in both]
            if np_miss is None:
                np_miss = min(got) < 5.0
                np_ok = (np_ok is not False) and not np_miss
            np_cells.append(f"d={d} " + " / ".join(_x(g, 5.0) for g in got) +
                            (apart if p_np else ""))
            miss = np_miss
            if miss and ceil:
                there = _paired_loop(pg, d, ceil)
                np_limit.append(f"d={d}: " + there + ("apart, " if there else "") + "5x needs " +
                    " / ".join(_pct(5 * loop[b]["sps"] * d * 4 / ceil) for b in both) +
                    (" of it" if there else
                     f" of the shuffled-row ceiling ({ceil / 1e9:.1f} GB/s)") + "; train() reached " +
                    " / ".join(_pct(by_b[b]["sps"] * d * 4 / ceil) for b in both) + " of it" +
                    (kernel if both == big else ""))
    line("b >= 256, 2 threads: >= 70% of the read bandwidth (b = 256 / 1024 / 4096)", bw_cells,
         bw_ok, "; ".join(bw_limit))
    line("b >= 256, 2 threads: >= 5x the NumPy loop", np_cells, np_ok, "; ".join(np_limit))
    # the flat curve and 1 -> 2 threads, from the paired rounds
    cells, ok, limit = [], None, []
    for d, info in sorted(paired.get("curve", {}).items()):
        for t, v in sorted(info["flat"].items()):
            if "vs_best" in info:  # each b against the best b, paired (since session 27)
                vb = info["vs_best"][t]
                worst = max(vb["ratio"], key=lambda b: vb["ratio"][b])
                v = vb["ratio"][worst]
                cells.append(f"d={d} {t}t {_x(v, 2.0)} (b={worst} vs b={vb['best']}; each "
                             f"round's slowest b vs its fastest {info['flat'][t]:.2f}x)")
            else:  # runs before session 27: each round's slowest b against its fastest
                cells.append(f"d={d} {t}t {_x(v, 2.0)}")
            ok = (ok is not False) and v <= 2.0
            best = max(x for k, x in info["sps"].items() if k.startswith(f"{t}t "))
            one = alone.get((d, 1, 1))
            if v > 2.0:
                bound = "" if not one else (
                    f"b = 1's steps each wait on the one before, on one core: the kernel alone "
                    f"at b = 1 (its order given, 1 thread) runs {one:.3g} samples/s, "
                    f"1/{best / one:.2f} of the best b's {best:.3g}")
                bound = with_phase(bound, "" if "vs_best" not in info else phase_limit(
                    info, lambda q, t=t, b=worst: (f"b={b} vs b={q['vs_best'][t]['best']} "
                                                   f"{q['vs_best'][t]['ratio'][b]:.2f}x")))
                b1 = paired.get("b1", {}).get(d)
                if b1 and t == "2" and "vs_best" in info and worst == "1":
                    ms, best_ms = b1["ms"], b1["rows"] / best * 1e3  # the curve's rows
                    bound = with_phase(bound, (
                        f"; in paired rounds of b = 1's parts ({b1['rounds']}): the kernel "
                        f"alone {ms['alone 1t']:.2f} ms an epoch on 1 thread and "
                        f"{ms['alone 2t']:.2f} on 2 (the second thread packs the rows while "
                        f"the cores hand lines over fast), "
                        f"1/{ms['alone 2t'] / best_ms:.2f} of the best b's {best_ms:.2f} ms; "
                        f"drawing its order beside the training added {b1['draw_ms']:.2f} ms "
                        f"and train()'s Python around the call {b1['python_ms']:.2f} ms" +
                        phase_limit(b1, lambda q: (
                            f"the kernel alone on 2 threads {q['ms']['alone 2t']:.2f} ms, the "
                            f"draw +{q['draw_ms']:.2f}, Python +{q['python_ms']:.2f}"))))
                chain = paired.get("chain", {}).get(d)
                if chain and t == "2" and "vs_best" in info and worst == "1":
                    cyc = chain["cycles"]
                    extras = cyc["one ahead, kernel's extras"]
                    sps = chain["clock_ghz"] * 1e9 / cyc["one ahead"]  # the chain's samples/s
                    bound += (("; " if bound else "") +
                              f"b = 1's rule alone, rows in cache (bench/loops/b1_chain.c): "
                              f"its chain {cyc['one ahead']:.1f} cycles a sample (its work "
                              f"with the chain cut {cyc['one ahead, chain cut']:.1f}, with the "
                              f"kernel's extras {extras:.1f}), {sps:.3g} samples/s, "
                              f"1/{best / sps:.2f} of the best b's {best:.3g}; z taken two or "
                              f"four ahead {cyc['two ahead']:.1f} / {cyc['four ahead']:.1f}")
                if bound:
                    limit.append(f"d={d} {t}t: {bound}")
    line("flat curve: every b within 2x of the best (paired)", cells, ok, "; ".join(limit))
    cells, ok, limit = [], None, []
    for d, info in sorted(paired.get("curve", {}).items()):
        if d < 256:
            continue
        got = {int(b): v for b, v in info["scale"].items() if int(b) >= 256}
        if got:
            ok = (ok is not False) and min(got.values()) >= 1.6
            cells.append(f"d={d} " + " / ".join(f"b={b} {_x(v, 1.6)}" for b, v in sorted(got.items())))
            if min(got.values()) < 1.6:
                bound = "" if not ((d, 1) in shuffled and (d, 2) in shuffled) else (
                    f"the shuffled-row ceiling itself scales "
                    f"{shuffled[(d, 2)] / shuffled[(d, 1)]:.2f}x "
                    f"({shuffled[(d, 1)] / 1e9:.1f} -> {shuffled[(d, 2)] / 1e9:.1f} GB/s)")
                bound = with_phase(bound, phase_limit(info, lambda q, got=got: " / ".join(
                    f"b={b} {q['scale'][str(b)]:.2f}x" for b in sorted(got))))
                if bound:
                    limit.append(f"d={d}: {bound}")
    line("1 -> 2 threads >= 1.6x at b >= 256, d >= 256 (paired)", cells, ok, "; ".join(limit))
    # each loss within 1.5x of squared loss: paired, and the unpaired cells (incache: above).
    # The verdict is the paired cells' where there are any: the unpaired ones are timed minutes
    # apart, and the machine's phase moves a 2-thread cell by up to 2x between them (session 48:
    # logistic b = 256 unpaired 2.00-2.12x in two runs where its paired cost read 1.15-1.21x)
    unpaired = {(r["b"], r["loss"]): r["sps"] for r in rows if r["system"] == "mbgd_fast/2t"
                and r["d"] == 256 and r["dtype"] == "float32"}
    for loss in ("logistic", "hinge", "softmax"):
        cells, ok, limit = [], None, []
        for d, info in sorted(paired.get("loss", {}).items()):
            for b, v in sorted(info["cost"].get(loss, {}).items(), key=lambda kv: int(kv[0])):
                ok = (ok is not False) and v <= 1.5
                cells.append(f"b={b} {_x(v, 1.5)} (paired)")
                base = incache.get((int(b), "squared"))
                if v > 1.5:
                    bound = "" if not (base and (int(b), loss) in incache) else (
                        f"its arithmetic alone, in cache, costs "
                        f"{base / incache[(int(b), loss)]:.2f}x squared loss's" +
                        _adds_to_fetch(info, loss, b, incache[(int(b), loss)]))
                    bound = with_phase(bound, phase_limit(info, lambda q, loss=loss, b=b: (
                        f"b={b} {q['cost'][loss][b]:.2f}x")))
                    if bound:
                        limit.append(f"b={b}: {bound}")
        judged = ok is not None
        for b in (1, 256):
            if (b, loss) in unpaired and (b, "squared") in unpaired:
                v = unpaired[(b, "squared")] / unpaired[(b, loss)]
                if not judged:
                    ok = (ok is not False) and v <= 1.5
                cells.append(f"b={b} {_x(v, 1.5)}" + (" (apart: not judged)" if judged else ""))
        line(f"{loss}: cost per sample <= 1.5x squared loss's (d = 256, 2 threads)", cells, ok,
             "; ".join(limit))
    return verdicts


def report(rows, bandwidth, shuffled, out_dir, markdown=None, paired=None, permutation=None):
    lines = []
    say = lines.append
    fits = fit_systems(rows)
    dims = sorted({d for _, d in fits})
    bws = ", ".join(f"{t} thread{'s' * (t > 1)}: {v / 1e9:.1f} GB/s" for t, v in sorted(bandwidth.items()))
    say(f"Read bandwidth (NumPy sum over 1 GiB): {bws or 'not measured'}")
    if shuffled:
        say("Shuffled-row read ceiling (rows of X in a random order, read with the kernels' "
            "prefetch, nothing else): " + ", ".join(
                f"d={d} {t}t: {v / 1e9:.1f} GB/s" for (d, t), v in sorted(shuffled.items())))
    for d, i in sorted((paired or {}).get("shuffled-line", {}).items()):
        g = i["gbs"]
        say(f"The same in paired rounds ({i['rounds']}), d={d}: the bench's X, {i['offset']} bytes "
            f"past a cache line, {g['as placed 1t']:.1f} / {g['as placed 2t']:.1f} GB/s on 1 / 2 "
            f"threads; a copy on a line, {g['on a line 1t']:.1f} / {g['on a line 2t']:.1f} GB/s "
            f"({i['ratio']['1t']:.2f}x / {i['ratio']['2t']:.2f}x)")
    if (paired or {}).get("draw"):
        n, sec = paired["draw"]
        base, pair = paired.get("draw-next_raw"), paired.get("draw-paired")
        if pair:
            vs = (f"; paired with its words through the generator's next_raw, one call a word "
                  f"({pair['rounds']} rounds, medians): {pair['ms']['c']:.3f} ms against "
                  f"{pair['ms']['next_raw']:.3f} ms, {pair['ratio']:.2f}x")
        elif base:
            vs = (f"; with its words through the generator's next_raw, one call a word: "
                  f"{base[1] * 1e3:.3f} ms ({base[1] / sec:.2f}x)")
        else:
            vs = ""
        say(f"The order train() draws for an epoch, alone on 1 thread ({n:,} rows): "
            f"{sec * 1e3:.3f} ms" + vs)
    say("")
    say("### The targets (issue 3), from this run")
    say("")
    targets(rows, fits, bandwidth, shuffled, paired, say)
    say("")
    for d in dims:
        systems = sorted(s for s, dd in fits if dd == d)
        bs = sorted({b for s in systems for b in fits[(s, d)][1]})
        say(f"### d = {d}: samples/s by batch size, and the fitted T_iter(b) = tau_f + tau_d b")
        say("")
        say("| system | tau_f (us) | tau_d (ns) | R^2 | " + " | ".join(f"b={b}" for b in bs) + " |")
        say("|---|---:|---:|---:|" + "---:|" * len(bs))
        for s in systems:
            model, by_b = fits[(s, d)]
            cells = [f"{by_b[b]['sps']:.3g}" if b in by_b else "" for b in bs]
            if model is None:
                say(f"| {s} | | | | " + " | ".join(cells) + " |")
            else:
                say(f"| {s} | {model.tau_f * 1e6:.3g} | {model.tau_d * 1e9:.3g} | {model.r2:.3f} | "
                    + " | ".join(cells) + " |")
        say("")
        best = max((s for s in systems if s.startswith("mbgd_fast")),
                   key=lambda s: np.mean([r["sps"] for r in fits[(s, d)][1].values()]), default=None)
        if best:
            say(f"Ratio of {best} samples/s to each anchor (same d, same b):")
            say("")
            say("| anchor | " + " | ".join(f"b={b}" for b in bs) + " |")
            say("|---|" + "---:|" * len(bs))
            mine = fits[(best, d)][1]
            for s in systems:
                if s.startswith("mbgd_fast"):
                    continue
                other = fits[(s, d)][1]
                cells = [f"{mine[b]['sps'] / other[b]['sps']:.2f}x" if b in mine and b in other else ""
                         for b in bs]
                say(f"| {s} | " + " | ".join(cells) + " |")
            loop = fits.get(("numpy-loop", d))
            if permutation and loop:
                # the loop's timing holds no shuffle; a NumPy user draws rng.permutation(N) each
                # epoch: its time, prorated to the rows the loop ran, added (not a target's anchor)
                prows, psec = permutation
                with_perm = {b: r["samples"] / (r["median"] + psec * r["samples"] / prows)
                             for b, r in loop[1].items()}
                cells = [f"{mine[b]['sps'] / with_perm[b]:.2f}x" if b in mine and b in with_perm else ""
                         for b in bs]
                say("| numpy-loop + its epoch's rng.permutation (prorated) | " + " | ".join(cells) + " |")
            say("")
            say("% of the read bandwidth reached by mbgd_fast (bytes of X read per second), "
                "and in brackets % of the shuffled-row read ceiling:")
            say("")
            say("| threads | " + " | ".join(f"b={b}" for b in bs) + " |")
            say("|---|" + "---:|" * len(bs))
            for s in systems:
                if not s.startswith("mbgd_fast"):
                    continue
                t = int(s.split("/")[1][:-1])
                if t not in bandwidth:
                    continue
                by_b = fits[(s, d)][1]
                ceil = shuffled.get((d, t))
                cells = [(f"{100 * by_b[b]['sps'] * d * 4 / bandwidth[t]:.0f}%"
                          + (f" ({100 * by_b[b]['sps'] * d * 4 / ceil:.0f}%)" if ceil else ""))
                         if b in by_b else "" for b in bs]
                say(f"| {t} | " + " | ".join(cells) + " |")
            say("")
        plot(d, systems, fits, out_dir)
        say(f"![d={d}]({image_path(out_dir, markdown, d)})")
        say("")
    paired_tables(paired, say)
    losses = [r for r in rows if r["d"] == 256 and r["system"].startswith("mbgd_fast") and
              (r["loss"] != "squared" or r["dtype"] != "float32" or r.get("threads") == 2)]
    by = {(r["loss"], r["dtype"], r["b"], r["system"]): r for r in losses}
    keys = sorted({(l, dt) for l, dt, _, s in by if s == "mbgd_fast/2t"})
    if keys:
        say("### Cost per sample by loss and dtype (d = 256, 2 threads), relative to squared float32")
        say("")
        say("| loss | dtype | b | samples/s | cost vs squared |")
        say("|---|---|---:|---:|---:|")
        for l, dt in keys:
            for b in (1, 256):
                r, ref = by.get((l, dt, b, "mbgd_fast/2t")), by.get(("squared", "float32", b, "mbgd_fast/2t"))
                if r and ref:
                    say(f"| {l} | {dt} | {b} | {r['sps']:.3g} | {ref['sps'] / r['sps']:.2f}x |")
        say("")
    alone = sorted((r for r in rows if r["system"] == "kernel-alone"),
                   key=lambda r: (r["d"], r["threads"], r["b"]))
    if alone:
        say("### The kernel alone (the rows' order given, no Python around it) vs train()")
        say("")
        say("| d | threads | b | kernel alone, samples/s | % of the shuffled-row ceiling | "
            "train(), samples/s | % of the ceiling | train() / kernel alone |")
        say("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in alone:
            d, b = r["d"], r["b"]
            ceil = shuffled.get((d, r["threads"]))
            full = fits.get((f"mbgd_fast/{r['threads']}t", d), (None, {}))[1].get(b)
            pct = (lambda sps: _pct(sps * d * 4 / ceil) if ceil else "")
            say(f"| {d} | {r['threads']} | {b} | {r['sps']:.3g} | {pct(r['sps'])} | "
                + (f"{full['sps']:.3g} | {pct(full['sps'])} | {full['sps'] / r['sps']:.2f}x |"
                   if full else "| | |"))
        say("")
    # side tables: (prefix, title, column, the baseline's name, cost ratio rather than speed)
    for prefix, title, column, base_name, cost in (
            ("isa-", "Runtime SIMD dispatch (d = 256, 1 thread, in cache): the baseline vs the "
                     "variant taken", "ISA", "generic", False),
            ("helper-", "Prefetch helper (d = 256, 2 threads, shuffled): MBGD_FAST_HELPER=0 (off) "
                        "vs 1 (on) vs unset (timed, the default: each slice by timing)",
             "helper", "off", False),
            ("pack-", "Packer of b = 1 runs (d = 16, 2 threads, shuffled): MBGD_FAST_PACK=0 vs the "
                      "default", "packer", "off", False),
            ("bpacksquared-", "Block packer of b = 1 runs in blocks and of batches of one group (b = 4), "
                              "squared loss (d = 256, 2 threads, shuffled): MBGD_FAST_PACK=0 (the "
                              "helper) vs the default", "packer",
             "off", False),
            ("bpacksoftmax-", "Block packer of b = 1 runs in blocks, softmax K = 10 (d = 256, 2 threads, "
                              "shuffled): MBGD_FAST_PACK=0 (the helper) vs the default", "packer",
             "off", False),
            ("relay64-", "The relay (d = 64, 2 threads, shuffled): MBGD_FAST_RELAY=0 (off: the "
                         "helper or packers) vs the default (on)", "relay", "off", False),
            ("relay256-", "The relay (d = 256, 2 threads, shuffled): MBGD_FAST_RELAY=0 (off: the "
                          "helper or packers) vs the default (on)", "relay", "off", False),
            ("incache-", "Arithmetic alone (d = 256, 1 thread, 2,048 rows in cache): softmax (K = 10) "
                         "vs squared", "loss", "squared", True)):
        side = {(r["b"], r["system"][len(prefix):]): r for r in rows if r["system"].startswith(prefix)}
        if not side:
            continue
        say(f"### {title}")
        say("")
        say(f"| b | {column} | samples/s | {'cost' if cost else 'speed'} vs {base_name} |")
        say("|---:|---|---:|---:|")
        for (b, name), r in sorted(side.items()):
            base = side.get((b, base_name))
            ratio = (base["sps"] / r["sps"] if cost else r["sps"] / base["sps"]) if base else None
            say(f"| {b} | {name} | {r['sps']:.3g} | " + (f"{ratio:.2f}x |" if base else "|"))
        say("")
    est = [r for r in rows if r["system"].startswith(("regressor-", "classifier-"))]
    if est:
        say("### Estimator fit(): 200,000 x 256, 5 epochs, vs scikit-learn's SGD (b = 1)")
        say("")
        say("| estimator | system | seconds | samples/s | vs scikit-learn | training score |")
        say("|---|---|---:|---:|---:|---:|")
        ref = {r["system"].split("-")[0]: r for r in est if r["system"].endswith("-sklearn")}
        for r in sorted(est, key=lambda r: r["system"]):
            kind, system = r["system"].split("-", 1)
            base = ref.get(kind)
            ratio = f"{base['median'] / r['median']:.2f}x" if base else ""
            say(f"| {kind} | {system} | {r['median']:.3g} | {r['sps']:.3g} | {ratio} | {r.get('score', float('nan')):.4f} |")
        say("")
    text = "\n".join(lines)
    print(text)
    if markdown:
        with open(markdown, "w") as fh:
            fh.write(text + "\n")
    return text


def image_path(out_dir, markdown, d):
    """Where perf_d{d}.png in out_dir is seen from the markdown file's folder (from the
    current one without a markdown file), with / between parts as markdown wants."""
    base = os.path.dirname(os.path.abspath(markdown)) if markdown else os.getcwd()
    rel = os.path.relpath(os.path.join(os.path.abspath(out_dir), f"perf_d{d}.png"), base)
    return rel.replace(os.sep, "/")


def plot(d, systems, fits, out_dir):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plots", file=sys.stderr)
        return
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    for s in systems:
        model, by_b = fits[(s, d)]
        bs = np.array(sorted(by_b))
        t = np.array([by_b[b]["t_iter"] for b in bs])
        line = ax1.loglog(bs, t, "o", label=s)[0]
        ax2.loglog(bs, bs / t, "o-", color=line.get_color(), label=s)
        if model is not None:
            grid = np.geomspace(bs.min(), bs.max(), 100)
            ax1.loglog(grid, model.predict(grid), "-", color=line.get_color(), alpha=0.7)
    ax1.set(xlabel="batch size b", ylabel="seconds per iteration",
            title=f"T_iter(b), fitted tau_f + tau_d b (d={d})")
    ax2.set(xlabel="batch size b", ylabel="samples / s", title=f"throughput (d={d}, N=200,000, float32)")
    for ax in (ax1, ax2):
        ax.grid(True, which="both", alpha=0.3)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(out_dir, exist_ok=True)
    fig.savefig(os.path.join(out_dir, f"perf_d{d}.png"), dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("json", nargs="+")
    ap.add_argument("--out", default=os.path.join("bench", "out"))
    ap.add_argument("--markdown", default=None)
    args = ap.parse_args(argv)
    rows, bandwidth, shuffled, paired, permutation = load(args.json)
    report(rows, bandwidth, shuffled, args.out, args.markdown, paired, permutation)


if __name__ == "__main__":
    main()
