import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# The CUDA tests run under Numba's simulator where there is no GPU (set before numba is imported)
if "NUMBA_ENABLE_CUDASIM" not in os.environ and not os.path.exists("/dev/nvidia0"):
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

# CI reruns must see the same examples: derandomized, no deadline (shared machines are noisy)
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")


def placed(X, offset):
    """A copy of X that starts ``offset`` bytes past a 64-byte line (NumPy's big arrays: 16)."""
    from mbgd_fast._validation import aligned_empty

    buf = aligned_empty(X.nbytes + 64, np.uint8)
    out = buf[offset : offset + X.nbytes].view(X.dtype).reshape(X.shape)
    out[...] = X
    return out


def make_problem(loss, n, d, dtype=np.float64, seed=0, K=3):
    """Random (X, y) suited to ``loss``: real targets, {-1, +1} labels, or K classes."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    if loss == "softmax":
        y = rng.integers(0, K, size=n).astype(dtype)
        y[:K] = np.arange(K)  # every class present
    elif loss in ("squared", "huber", "epsilon_insensitive", "squared_epsilon_insensitive"):
        y = (X @ rng.normal(size=d) + 0.3 * rng.normal(size=n) + 0.5).astype(dtype)
    else:
        y = np.where(X @ rng.normal(size=d) + 0.3 * rng.normal(size=n) > 0, 1.0, -1.0).astype(dtype)
    return X, y


@pytest.fixture
def problem():
    return make_problem


def diverging_iterations(X, y, **kw):
    """Iterations done by the cpu and the numpy backend before ``train(X, y, **kw)`` diverges
    (each must raise DivergenceError)."""
    import mbgd_fast as mf

    its = []
    for backend in ("cpu", "numpy"):
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X, y, backend=backend, **kw)
        its.append(ei.value.result.n_iter)
    return its


#: test modules whose background work pytest_collection_finish started
_STARTED = []


def pytest_collection_finish(session):
    """Starts a slow job that selected tests need as soon as the tests are known, so that it
    runs beside the tests before them: a module's ``start_in_background()`` when one of its
    selected tests uses ``sanitized_run`` (tests/test_sanitizers.py: its build and tests under
    the sanitizers).  Not in pytest-xdist's workers, each of which would start its own: there
    the fixture starts it when its test comes."""
    if getattr(session.config, "workerinput", None) is not None:
        return
    for item in session.items:
        mod = getattr(item, "module", None)
        if hasattr(mod, "start_in_background") and "sanitized_run" in getattr(item, "fixturenames", ()):
            mod.start_in_background()
            _STARTED.append(mod)
            return


def pytest_sessionfinish(session):
    """Ends and removes what pytest_collection_finish started, if its tests did not."""
    for mod in _STARTED:
        mod.stop_background()
