"""Peak resident memory of this process (Linux), for the out-of-core measurements."""
from __future__ import annotations


def _status(field):
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"/proc/self/status has no {field}")


def current():
    """Resident set size now, in bytes."""
    return _status("VmRSS")


def peak():
    """Peak resident set size (VmHWM) since start or the last :func:`reset_peak`, in bytes."""
    return _status("VmHWM")


def reset_peak():
    """Restart the peak at the current RSS (writes 5 to /proc/self/clear_refs; Linux >= 4.0).
    Returns False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def measure_epoch(path, mode="mapped", batch_size=64, buffer_size=None, n_threads=1):
    """Peak RSS growth of one training epoch over the .npy ``path``: ``mode`` "mapped" trains
    out of core, "loaded" on ``np.load(path)``.  Returns a dict (bytes and seconds)."""
    import os
    import time

    import numpy as np

    from . import train

    n = np.load(path, mmap_mode="r").shape[0]
    y = np.random.default_rng(0).normal(size=n).astype(np.float32)
    train(np.zeros((4, 4), np.float32), np.zeros(4, np.float32), batch_size=2, epochs=1)  # warm up
    before = current()
    if not reset_peak():
        return {"error": "cannot reset the peak RSS here"}
    t0 = time.perf_counter()
    X = path if mode == "mapped" else np.load(path)
    res = train(X, y, batch_size=batch_size, epochs=1, lr=1e-4, buffer_size=buffer_size,
                n_threads=n_threads)
    sec = time.perf_counter() - t0
    return {"mode": mode, "file_bytes": os.path.getsize(path), "rss_before": before,
            "peak_growth": peak() - before, "seconds": sec, "samples_per_s": n / sec,
            "n_iter": res.n_iter, "batch_size": batch_size}


if __name__ == "__main__":  # python -m mbgd_fast._rss FILE.npy {mapped|loaded} [BATCH] [BUFFER]
    import json
    import sys

    a = sys.argv[1:]
    print(json.dumps(measure_epoch(a[0], a[1], int(a[2]) if len(a) > 2 else 64,
                                   int(a[3]) if len(a) > 3 else None)))
