"""The kernels under AddressSanitizer and UndefinedBehaviorSanitizer, and under valgrind.

The extension is rebuilt with -fsanitize=address,undefined (UB is fatal) into a temporary
copy of the package, and the kernel tests (parity with the reference, losses, training)
run against that build in a subprocess with the sanitizer runtime preloaded.  The two
steps, about four and a half minutes of one core together, start as soon as the tests are
collected (tests/conftest.py) and run beside the tests before this module's; its test waits
for them and checks what they left.  A short training also runs under
``valgrind --error-exitcode=1``.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))


def _runtime(name):
    cc = shutil.which("gcc")
    if cc is None:
        return None
    path = subprocess.run([cc, f"-print-file-name={name}"], capture_output=True, text=True).stdout.strip()
    return path if os.path.isabs(path) and os.path.exists(path) else None


ASAN, UBSAN = _runtime("libasan.so"), _runtime("libubsan.so")


# -O0 -g1 (after the build's -O3): the checks are all there, and the build took 59 s on the
# Zen 3 machine against 287 s at -O1 -g, while the tests ran as fast (66 against 67 s); -g1
# still names the source line of each frame in a report.  The kernels have grown since: 280 s
# at -O0 on the Zen 4 machine (session 59).  -DMBGD_NO_L2_VARIANT leaves out the second
# AVX-512 variant, whose only difference is the locality hint of its prefetches (csrc/mbgd.c):
# about half the build (145 s with gcc alone, by hand), and nothing a sanitizer checks
SANITIZE_CFLAGS = ("-fsanitize=address,undefined -fno-sanitize-recover=undefined "
                   "-fno-omit-frame-pointer -O0 -g1 -DMBGD_NO_L2_VARIANT")

#: the kernel tests run against the sanitized build (in its copy of the package)
KERNEL_TESTS = [
    "tests/test_parity.py", "tests/test_losses.py", "tests/test_train.py",
    "tests/test_noise.py", "tests/test_sparse.py", "tests/test_outofcore.py",
    "tests/test_carry.py::test_rows_packed_by_a_second_thread_give_one_threads_bits",
    "tests/test_carry.py::test_block_rows_packed_by_a_second_thread_give_one_threads_bits",
    "tests/test_carry.py::test_batches_of_several_groups_in_registers_match_the_numpy_twin",
    "tests/test_carry.py::test_a_softmax_run_in_blocks_split_into_calls_anywhere_gives_the_same_bits",
    "tests/test_carry.py::test_softmax_runs_in_blocks_match_the_numpy_twin",
    "tests/test_carry.py::test_softmax_runs_in_blocks_diverge_where_steps_one_at_a_time_do",
    "tests/test_carry.py::test_softmax_block_scores_that_overflow_are_taken_as_w_x_plus_b",
    "tests/test_carry.py::test_an_open_softmax_block_is_not_taken_once_theta_has_changed",
    "tests/test_carry.py::test_a_single_output_run_in_blocks_split_into_calls_anywhere_gives_the_same_bits",
    "tests/test_carry.py::test_single_output_runs_in_blocks_match_the_numpy_twin",
    "tests/test_carry.py::test_single_output_runs_in_blocks_diverge_where_steps_one_at_a_time_do",
    "tests/test_carry.py::test_z_ahead_that_overflows_is_taken_as_w_x_plus_b",
    "tests/test_carry.py::test_a_single_output_block_is_not_taken_once_theta_has_changed",
]

#: the sanitized job (start_in_background): its directory, thread, the subprocess under way,
#: and what each step left
_JOB = {}


def _sanitized_env(copy):
    return dict(os.environ, PYTHONPATH=str(copy), LD_PRELOAD=f"{ASAN}:{UBSAN}",
                ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1",
                UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1", OMP_NUM_THREADS="2")


def _step(name, cmd, cwd, env, timeout):
    """Runs cmd with its output into the file `name`.log in cwd (not a pipe that nobody reads
    while it runs); records (exit status or "timeout" or "stopped", output) as _JOB[name]."""
    path = os.path.join(cwd, name + ".log")
    with open(path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        _JOB["proc"] = proc
        if _JOB.get("stop"):  # stop_background ran before this process was recorded
            proc.kill()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = "timeout"
    with open(path, errors="replace") as log:
        _JOB[name] = ("stopped" if _JOB.get("stop") else code, log.read())
    return _JOB[name][0] == 0 and not _JOB.get("stop")


def _job(dst):
    env = dict(os.environ, MBGD_FAST_CFLAGS=SANITIZE_CFLAGS,
               MBGD_FAST_LDFLAGS="-fsanitize=address,undefined")
    if not _step("build", [sys.executable, "build_ffi.py"], dst, env, 900):
        return
    env = _sanitized_env(dst)
    if not _step("which", [sys.executable, "-c", "import mbgd_fast._mbgd as m; print(m.__file__)"],
                 dst, env, 300):
        return
    _step("tests", [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                    "--capture=sys", "--basetemp", os.path.join(dst, "pytest-tmp"), *KERNEL_TESTS,
                    "-k", "not sigint and not peak_rss"], dst, env, 1200)


def start_in_background():
    """Copies the package into a temporary directory and starts, on a thread of this process,
    its sanitized build and then the kernel tests against it, without waiting for them.
    tests/conftest.py calls this as soon as the tests are collected when a selected test uses
    ``sanitized_run``: the build (about 145 s of one core on the Zen 4 machine, session 59)
    and the tests under the sanitizers (about 130 s) then run beside the tests collected before
    this module's, rather than in front of its own.  Does nothing when the sanitizer runtimes
    are missing or the job was started already."""
    if _JOB or not (ASAN and UBSAN):
        return
    dst = tempfile.mkdtemp(prefix="mbgd-asan-")
    for item in ("csrc", "mbgd_fast", "tests", "build_ffi.py"):
        src = os.path.join(ROOT, item)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dst, item),
                            ignore=shutil.ignore_patterns("*.so", "__pycache__"))
        else:
            shutil.copy(src, os.path.join(dst, item))
    thread = threading.Thread(target=_job, args=(dst,), name="sanitized-job", daemon=True)
    _JOB.update(dst=dst, thread=thread)
    thread.start()


def stop_background():
    """Ends the job if still under way and removes its directory (the fixture's teardown;
    tests/conftest.py at the end of the session, for a run that never reached the test)."""
    if not _JOB:
        return
    _JOB["stop"] = True
    proc = _JOB.get("proc")
    if proc is not None and proc.poll() is None:
        proc.kill()
    _JOB["thread"].join()
    shutil.rmtree(_JOB["dst"], ignore_errors=True)
    _JOB.clear()


@pytest.fixture(scope="module")
def sanitized_run():
    """The sanitized job's results, once it has ended."""
    if not (ASAN and UBSAN):
        pytest.skip("gcc's libasan/libubsan not found")
    start_in_background()  # when conftest has not (this file's test run alone)
    _JOB["thread"].join()
    yield dict(_JOB)
    stop_background()


def test_kernel_tests_pass_under_asan_and_ubsan(sanitized_run):
    job = sanitized_run
    code, out = job["build"]
    assert code == 0, out[-3000:]
    code, out = job["which"]
    assert code == 0 and job["dst"] in out, out
    code, out = job["tests"]
    assert code == 0 and "ERROR: AddressSanitizer" not in out and "runtime error" not in out, \
        out[-4000:]


def test_short_training_is_clean_under_valgrind(tmp_path):
    """valgrind --error-exitcode=1 on a short training, clean.

    CPython itself is not valgrind-clean (a bare ``python -c 'pass'`` reports uninitialised
    reads at start-up and fails at shutdown), so the interpreter's own errors are first
    recorded as suppressions, from a run that imports numpy and cffi and draws random data but
    never touches mbgd_fast, and the process ends with os._exit (no finalization).  Any error
    that remains comes from what the training added: our kernels and their bindings.
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        pytest.skip("valgrind is not installed")
    env = dict(os.environ, PYTHONMALLOC="malloc", OMP_NUM_THREADS="1")
    supp = tmp_path / "interpreter.supp"
    base = subprocess.run(
        [valgrind, "--quiet", "--gen-suppressions=all", sys.executable, "-c",
         "import os, numpy, cffi; numpy.random.default_rng(0).normal(size=(300, 6)); os._exit(0)"],
        env=env, capture_output=True, text=True, timeout=900)
    blocks, keep = [], False
    for line in base.stderr.splitlines():
        keep = keep or line.startswith("{")
        if keep:
            blocks.append(line)
        keep = keep and not line.startswith("}")
    supp.write_text("\n".join(blocks) + "\n")
    code = ("import os, numpy as np, mbgd_fast as mf\n"
            "rng = np.random.default_rng(0); X = rng.normal(size=(300, 6)); y = X[:, 0] > 0\n"
            "for opt in ('sgd', 'adam'):\n"
            "    mf.train(X, y, loss='logistic', batch_size=7, epochs=3, optimizer=opt, n_threads=1)\n"
            "    mf.train(X.astype(np.float32), y, loss='hinge', batch_size=1, epochs=1)\n"
            "mf.gradient_noise(X, y.astype(float), np.zeros(6), 0.0)\n"
            "print('ok', flush=True)\n"
            "os._exit(0)\n")
    proc = subprocess.run([valgrind, "--quiet", f"--suppressions={supp}", "--error-exitcode=1",
                           sys.executable, "-c", code],
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0 and "ok" in proc.stdout, (proc.stdout + proc.stderr)[-4000:]
