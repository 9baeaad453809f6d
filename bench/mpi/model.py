"""The alpha-beta model of synchronous data-parallel MBGD, from measured alpha, beta, tau.

    python bench/mpi/model.py docs/mpi-1rank.json docs/mpi-2ranks.json

Per iteration, a rank computes its share b of the global batch in T_comp(b) = tau_f + tau_d b
(tau_f: the distributed loop's fixed cost per iteration, measured at 1 rank) and the ranks
sum P = d + 4 float64 values (gradient, intercept, loss, count, flag) with a ring
Allreduce, T_comm(P) = 2 (P - 1) alpha + 2 (P - 1) / P * 8 (d + 4) beta.
Efficiency E = T_comp / (T_comp + T_comm); E >= 80% needs b >= (4 T_comm - tau_f) / tau_d.
"""
import json
import sys


def main(one, two):
    r1, r2 = json.load(open(one)), json.load(open(two))
    alpha, beta = r2["alpha"], r2["beta"]
    tau_d = r1["tau_d"]
    tau_f = max(r1["dist_seconds_per_iter"] - tau_d * r1["global_batch"], 0.0)
    lines = [
        f"measured at 2 ranks: alpha = {alpha * 1e6:.3g} us, beta = {beta * 1e9:.3g} ns/byte "
        f"({1 / beta / 1e9:.3g} GB/s)",
        f"distributed loop at 1 rank: {r1['dist_seconds_per_iter'] * 1e6:.4g} us per iteration at b = "
        f"{r1['global_batch']}, d = {r1['d']}: tau_f = {tau_f * 1e6:.4g} us (fixed), "
        f"tau_d = {tau_d * 1e9:.3g} ns per sample (kernel)",
        f"single process: {r1['serial_seconds'] / r1['serial_iters'] * 1e6:.4g} us per iteration "
        f"(same b); the difference is the replicated update in Python",
        "",
        "measured parallel efficiency (same global work, B = 256 per rank):",
    ]
    for r in (r1, r2):
        lines.append(
            f"  {r['ranks']} rank(s): {r['dist_seconds_per_iter'] * 1e6:.4g} us per iteration, of which "
            f"Allreduce {r['dist_allreduce_per_iter'] * 1e6:.4g} us; samples/s "
            f"{r['n'] / r['dist_seconds']:.3g}; efficiency vs 1 rank "
            f"{(r['n'] / r['dist_seconds']) / (r1['n'] / r1['dist_seconds']) / r['ranks']:.0%}")
    lines += ["", "| ranks P | d | T_comm (us) | E at b=256 per rank | b per rank for E >= 80% |",
              "|---:|---:|---:|---:|---:|"]
    for P in (8, 64, 1024):
        for d in (256, 10_000, 1_000_000):
            t_comm = 2 * (P - 1) * alpha + 2 * (P - 1) / P * 8 * (d + 4) * beta
            t_comp = tau_f + tau_d * 256 * d / 256  # tau_d was measured at d = 256: scale with d
            e = t_comp / (t_comp + t_comm)
            per_sample = tau_d * d / 256
            need = max((4 * t_comm - tau_f) / per_sample, 1.0)
            lines.append(f"| {P} | {d:,} | {t_comm * 1e6:.4g} | {e:.0%} | {need:,.0f} |")
    print("\n".join(lines))
    return "\n".join(lines)


if __name__ == "__main__":
    main(*sys.argv[1:3])
