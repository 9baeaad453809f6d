"""bench/loops/*.c build against csrc/: softmax_loops.c's timed loops give the right scores,
step_loops.c's library step the right weights, spread_prefetch.c's prefetch modes the same
sums, check_rows.c's label checks the plain loop's
statuses, epoch_offset.c trains the same bits from both
placements of X, b1_chain.c's forms of the b = 1 chain the weights of double steps, sm_block.c's
softmax blocks the weights of double steps one at a time, sm_split.c's blocks split over two
threads the same bits as on one (sm_lag.c's too, with a block of lag), sm_cls.c's softmax
batches split over two threads by classes the library's own bits, b1_pack4.c's packed b = 1 steps the same bits as unpacked, flush_chains.c's flushes and
sm_pass2.c's two-row pass the bits of the kernel's forms,
omp_fork_join.c, handoff.c, overlap.c, cpu_scaling.c and page_blocks.c run, row_reads.c's row loops
the same sums, math_ulp.c's e^t
and ln s stay within 2 ulps (ln(1 + t) 2.5), exp16_bits.c's e^t in intrinsics the bits of GCC's
code of it, and ab_epochs.c
pairs two builds of csrc/mbgd.c (here one build against itself: the installed extension where
it is in place), and relay.c's legs on two threads keep one thread's bits."""
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CC = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")


# The programs that include all of csrc/mbgd.c (compiled side by side: -fwhole-program drops
# the library's public functions they never call, 1-3 s each on the Zen 4).
HEAVY = ("softmax_loops", "step_loops", "check_rows", "spread_prefetch")
# Programs that include csrc/mbgd.c for a few of its pieces and call none of its public
# functions: with -fwhole-program the rest of the library is dropped (seconds to compile).
PIECES = ("sm_cls", "exp16_bits")


@pytest.fixture(scope="module")
def _builds(tmp_path_factory):
    """Compiles each program (and the library) once per module, on a pool of one worker per
    core (at most 2). The first call for a heavy one starts all of them, so they compile side
    by side (CI has 2 cores), even for the tests a -k left out."""
    made = {}
    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:

        def start(name):
            if name not in made:
                tmp = tmp_path_factory.mktemp(name)
                made[name] = pool.submit(_compile_lib if name == "lib" else _compile, name, tmp)

        def get(name):
            for h in HEAVY if name in HEAVY else ():
                start(h)
            start(name)
            return made[name].result()

        yield get


@pytest.fixture(scope="module")
def build(_builds):
    """bench/loops/<name>.c compiled against csrc/ (once per module)."""
    return _builds


def _compile(name, tmp_path, defines=()):
    """bench/loops/<name>.c with the flags its timings use, and `defines` (e.g. "-DM=2").
    The programs that include csrc/mbgd.c get -fwhole-program too: the library's public
    functions a program never calls are then dropped before they are optimized, where otherwise
    each program compiled all of them in every variant (on the Zen 3 machine softmax_loops took
    78 s against 1.9 s with the flag, and ran its timed loops at the same speed)."""
    exe = tmp_path / name
    whole = ["-fwhole-program"] if name in HEAVY or name in PIECES else []
    cmd = CC.split() + ["-O3", "-funroll-loops", "-std=c99", "-ffp-contract=fast", "-fopenmp",
                        "-w"] + whole + list(defines) + ["-I" + os.path.join(ROOT, "csrc"),
                        os.path.join(ROOT, "bench", "loops", name + ".c"), "-o", str(exe), "-lm",
                        "-ldl"]
    subprocess.run(cmd, check=True, capture_output=True)
    return exe


def run_ok(*cmd, env=None):
    """Runs a built program (with `env` added to the environment); asserts exit status 0 and
    returns its stdout."""
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                         env={**os.environ, **env} if env else None)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def run_where_it_can(exe, *args, cannot, lacks):
    """run_ok(exe, *args), skipping the test when the program printed `cannot` (this CPU
    lacks `lacks`)."""
    out = run_ok(exe, *args)
    if cannot in out:
        pytest.skip(f"this CPU has not {lacks}")
    return out


def assert_refused(*cmd, says, env=None):
    """Runs a built program on bad arguments (or `env`); asserts exit status 2 and the message."""
    bad = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                         env={**os.environ, **env} if env else None)
    assert bad.returncode == 2 and says in bad.stderr, bad.stdout + bad.stderr


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_softmax_loops_build_and_check(build):
    exe = build("softmax_loops")
    out = run_ok(exe, "50")  # exit status 0: the timed scores equal a plain double loop's to 1e-4
    for part in ("scores4", "gradient"):
        m = re.search(part + r"\s+([0-9.]+) ns/row\s+([0-9.]+) cycles per FMA instruction", out)
        assert m and float(m.group(1)) > 0 and float(m.group(2)) > 0, out
    assert_refused(exe, "0", says="reps must be >= 1")
    # the arrays off a cache line, as NumPy places a large X: the scores still check
    off = run_ok(exe, "50", env={"XOFF": "4", "WOFF": "4", "AOFF": "4"})
    assert "X, W, sums 4, 4, 4 floats past a line" in off, off
    assert_refused(exe, "50", env={"XOFF": "16"}, says="XOFF, WOFF and AOFF must be 0-15 floats")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_spread_prefetch_build_and_check(build):
    exe = build("spread_prefetch")
    out = run_ok(exe, "20", "1", "2.5")  # exit status 0: every mode left the same sums
    assert "same sums in every mode: yes" in out, out
    for mb in ("1", "2.5"):
        m = re.search(rf"^ +{re.escape(mb)}((?: +[0-9.]+){{5}}) +((?:[+-][0-9.]+ ?){{4}})$", out, re.M)
        assert m and all(float(v) > 0 for v in m.group(1).split()), out
    assert_refused(exe, "0", says="blocks must be >= 1")
    assert_refused(exe, "20", "0.01", says="fewer than 16 rows")
    # two threads asking for rows of one buffer advised for huge pages: the same sums, and the
    # pages the process got printed (the kernel may give none)
    two = run_ok(exe, "20", "4", env={"SPREAD_THREADS": "2", "SPREAD_HUGE": "1"})
    assert "2 thread(s); buffer pages: advised huge" in two, two
    assert re.search(r"^ +4 MB buffer, AnonHugePages: +(?:[0-9]+ kB|unknown)$", two, re.M), two
    assert re.search(r"^ +4((?: +[0-9.]+){5}) +((?:[+-][0-9.]+ ?){4})$", two, re.M), two
    assert "same sums in every mode: yes" in two, two
    assert_refused(exe, "20", env={"SPREAD_THREADS": "0"}, says="SPREAD_THREADS must be 1-64")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_check_rows_build_and_check(build):
    exe = build("check_rows")
    out = run_ok(exe, "5000", "3")  # exit status 0: every status the plain loop's
    assert "statuses that differ from the plain loop's: 0" in out, out
    for mode in ("all rows", "given rows"):
        m = re.search(mode + r"\s+plain loop\s+([0-9.]+) ms", out)
        assert m and float(m.group(1)) >= 0, out
        assert re.search(mode + r"\s+generic\s+[0-9.]+ ms\s+[0-9.]+x the plain loop's speed \(status 0\)", out), out
    assert_refused(exe, "1", says="usage: check_rows")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_step_loops_build_and_check(build):
    exe = build("step_loops")
    out = run_ok(exe, "20")  # exit status 0: the timed step's weights equal a plain double loop's
    for part in ("store", "w \\+= c", "w \\+= x", "w -= lr c_k x", "library step"):
        m = re.search(part + r"\s+([0-9.]+)\s+([0-9.]+)\n", out)
        assert m and float(m.group(1)) > 0 and float(m.group(2)) > 0, out
    for part in ("library scores", "softmax_step1", "step1, not fused"):
        m = re.search(part + r"\s+([0-9.]+)\s*\n", out)
        assert m and float(m.group(1)) > 0, out
    if not out.startswith("isa generic"):  # the x86 variants' fused pass alone, and the chain
        m = re.search(r"fused pass\s+([0-9.]+)\s*\nchain adds\s+(-?[0-9.]+)\n", out)
        assert m and float(m.group(1)) > 0, out
    assert_refused(exe, "0", says="reps must be >= 1")
    assert_refused(exe, "20", "6", says="OFFSET must be a multiple of 4")
    assert "rows 0 bytes past a line" in run_ok(exe, "5", "0")


@pytest.mark.skipif(CC is None, reason="no C compiler")
@pytest.mark.parametrize("loss", ["0", "9"])
def test_epoch_offset_build_and_check(tmp_path, shared_lib, loss):
    exe = ab_driver("epoch_offset", tmp_path)
    # exit status 0: both placements of X trained to the same weights
    out = run_ok(exe, shared_lib, "3000", "64", "7", "2", "3", loss)
    for off in (0, 16):
        m = re.search(rf"offset {off:2d} bytes: ([0-9.e+]+) samples/s, ([0-9.]+) ns per row", out)
        assert m and float(m.group(1)) > 0, out
    assert "same weights: yes" in out
    assert_refused(exe, shared_lib, "3000", "64", "0", "1", "3", says="1 <= b <= N")
    assert_refused(exe, tmp_path / "none.so", "3000", "64", "7", "2", "3", says="none.so")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_omp_fork_join_runs(build):
    exe = build("omp_fork_join")
    out = run_ok(exe, "2000")
    m = re.findall(r"fork \+ barrier \+ join: ([0-9.]+) us per iteration; persistent team, "
                   r"2 barriers: ([0-9.]+) us; with team.h's barrier: ([0-9.]+) us", out)
    assert len(m) == 3 and all(float(v) > 0 for row in m for v in row), out
    assert_refused(exe, "0", says="iterations must be >= 1")


def _compile_lib(name, tmp_path):
    """The library for the A/B drivers' tests, at -O1: they check the drivers, which pair any
    two builds, so this one is built for a short compile (27 s on the Zen 3 machine, where
    -O3 took 79 s), not for speed."""
    lib = tmp_path / "mbgd.so"
    subprocess.run(CC.split() + ["-O1", "-std=c99", "-ffp-contract=fast",
                                 "-fopenmp", "-fPIC", "-fwrapv", "-w", "-shared",
                                 os.path.join(ROOT, "csrc", "mbgd.c"), "-o", str(lib), "-lm"],
                   check=True, capture_output=True)
    return lib


@pytest.fixture(scope="module")
def shared_lib(_builds):
    """A build of csrc/mbgd.c as the A/B drivers and epoch_offset load it: the installed
    extension where it is in place (pip install -e .), else csrc/mbgd.c built here once as a
    shared object (at -O1).  Loading the extension spares the tests
    that build; epoch_offset, which had compiled the whole library in, took 2.5 min."""
    import mbgd_fast

    so = os.path.join(os.path.dirname(mbgd_fast.__file__), "_mbgd.abi3.so")
    return so if os.path.isfile(so) else _builds("lib")


def ab_driver(name, tmp_path):
    """bench/loops/<name>.c, an A/B driver that loads two builds of the library (dlopen)."""
    exe = tmp_path / name
    subprocess.run(CC.split() + ["-O2", "-std=gnu99", "-I" + os.path.join(ROOT, "csrc"),
                                 os.path.join(ROOT, "bench", "loops", name + ".c"), "-o",
                                 str(exe), "-ldl"], check=True, capture_output=True)
    return exe


def paired_speed(stdout):
    """Asserts the drivers' "B/A speed" line holds a median within its quartiles."""
    m = re.search(r"B/A speed: ([0-9.]+) \(paired per-round ratios: median; quartiles "
                  r"([0-9.]+)-([0-9.]+)\)", stdout)
    assert m and float(m.group(2)) <= float(m.group(1)) <= float(m.group(3)), stdout


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_ab_shuffle_pairs_builds(tmp_path, shared_lib):
    lib = shared_lib
    exe = ab_driver("ab_shuffle", tmp_path)
    for n in ("2", "33", "5000"):  # one step, a block and a step, many blocks
        out = run_ok(exe, lib, lib, n, "3")
        m = re.search(r"A: ([0-9.]+) ns per row  B: ([0-9.]+) ns per row", out)
        assert m and float(m.group(1)) > 0 and float(m.group(2)) > 0, out
        paired_speed(out)
        assert "words given" in out and "same order: yes" in out, out
    # the words drawn from a PCG64 as well, on one thread and on two (above 8192 rows)
    for n, threads in (("100", "1"), ("5000", "1"), ("20000", "2")):
        out = run_ok(exe, lib, lib, n, "3", threads)
        assert "words drawn from a PCG64" in out, out
        paired_speed(out)
        assert "same order and generator state: yes" in out, out
    assert_refused(exe, lib, lib, "1", "3", says="2 <= N")
    assert_refused(exe, lib, lib, "100", "3", "0", says="threads >= 1")
    assert_refused(exe, tmp_path / "none.so", lib, "100", "3", says="none.so")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_ab_epochs_pairs_builds(tmp_path, shared_lib):
    lib = shared_lib
    exe = ab_driver("ab_epochs", tmp_path)
    for loss, name in (("0", "squared"), ("4", "logistic"), ("9", "softmax")):
        out = run_ok(exe, lib, lib, "3000", "32", "7", "2", "3", loss)
        assert f"loss={name} rounds=3" in out, out
        m = re.search(r"A: ([0-9.e+]+) samples/s  B: ([0-9.e+]+) samples/s", out)
        assert m and float(m.group(1)) > 0 and float(m.group(2)) > 0, out
        paired_speed(out)
        # one build against itself: the same bits
        assert "same weights: yes (max relative difference 0)" in out, out
    assert_refused(exe, lib, lib, "3000", "32", "7", "2", "0", says="rounds >= 1")
    assert_refused(exe, lib, lib, "3000", "32", "7", "2", "3", "1", says="loss 0, 4, 5 or 9")
    assert_refused(exe, tmp_path / "none.so", lib, "3000", "32", "7", "2", "3", says="none.so")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_ab_epochs_pairs_instruction_sets(tmp_path, shared_lib, monkeypatch):
    """AB_ISA=A,B runs the named variant of each build (capped at what the CPU runs), says
    which, and refuses a name it does not know."""
    lib = shared_lib
    exe = ab_driver("ab_epochs", tmp_path)
    monkeypatch.setenv("AB_ISA", "generic,generic")
    out = run_ok(exe, lib, lib, "3000", "32", "7", "1", "3", "9")
    assert "variants: A generic, B generic" in out, out
    assert "same weights: yes (max relative difference 0)" in out, out
    monkeypatch.setenv("AB_ISA", "generic,avx2")
    out = run_ok(exe, lib, lib, "3000", "32", "7", "1", "3", "0")
    assert "variants: A generic, B avx2" in out and "cpu runs up to" in out, out
    monkeypatch.setenv("AB_ISA", "generic,sse9")
    assert_refused(exe, lib, lib, "3000", "32", "7", "1", "3", says="AB_ISA")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_ab_epochs_sets_a_variable_per_build_and_evicts(tmp_path, shared_lib, monkeypatch):
    """AB_SETENV=NAME=a,b sets NAME before each build's epochs (one build against itself, a
    switch the kernels read at every call: the same bits), says so, and refuses a malformed
    value; AB_EVICT=MiB reads that much before each epoch and changes no result."""
    lib = shared_lib
    exe = ab_driver("ab_epochs", tmp_path)
    monkeypatch.setenv("AB_EVICT", "2")
    monkeypatch.setenv("AB_SETENV", "MBGD_FAST_PACK=0,2")
    out = run_ok(exe, lib, lib, "20000", "16", "1", "2", "3")
    assert "AB_SETENV=MBGD_FAST_PACK=0,2 (A: the first value, B: the second)" in out, out
    assert "same weights: yes (max relative difference 0)" in out, out
    paired_speed(out)
    for bad in ("MBGD_FAST_PACK", "MBGD_FAST_PACK=0", "=0,2", "MBGD_FAST_PACK=0,2,1"):
        monkeypatch.setenv("AB_SETENV", bad)
        assert_refused(exe, lib, lib, "3000", "32", "7", "1", "3", says="AB_SETENV")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_overlap_build_and_run(build):
    exe = build("overlap")
    out = run_ok(exe, "4000", "64", "2")
    for name in ("read", "arithmetic", "row work"):
        m = re.search(rf"^{name} +([0-9.]+)$", out, re.M)
        assert m and float(m.group(1)) > 0, out
    for name in ("read \\+ arithmetic", "read \\+ row work"):
        m = re.search(rf"^{name} +([0-9.]+) +\(sum ([0-9.]+), larger ([0-9.]+); both / larger ([0-9.]+)\)",
                      out, re.M)
        assert m and 0 < float(m.group(3)) <= float(m.group(2)), out
    assert_refused(exe, "4000", "60", "2", says="multiple of 64")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_page_blocks_build_and_run(build):
    # three orders of the same rows, read and trained on (one round, one thread): it runs,
    # and prints a speed for each order and mode, the shuffled order's 1.000x of itself
    exe = build("page_blocks")
    out = subprocess.run([str(exe), "1", "1"], capture_output=True, text=True)
    if out.returncode == 4:
        pytest.skip("this CPU does not run AVX-512")
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith(("read ", "batch"))]
    assert len(lines) == 6
    for ln in lines:
        assert re.search(r"\d+\.\d GB/s  \d+\.\d{3}x$", ln), ln
    assert [ln.split()[-1] for ln in lines if "shuffled" in ln] == ["1.000x", "1.000x"]


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_handoff_build_and_run(build):
    exe = build("handoff")
    out = run_ok(exe, "2000")
    m = re.findall(r"^one-way cross-core handoff: ([0-9.]+) ns$", out, re.M)
    assert len(m) == 3 and all(float(v) > 0 for v in m), out
    assert_refused(exe, "0", says="round trips must be >= 1")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_math_ulp_build_and_check(build):
    exe = build("math_ulp")
    out = run_ok(exe, "997")  # every 997th float: exits 1 past 2 ulps
    rows = re.findall(r"^(e\^t|ln s|ln\(1\+t\)), (no FMA|FMA) +([0-9.]+) ulp at \S+; ([0-9.]+)% "
                      r"of ([0-9]+) floats correctly rounded$", out, re.M)
    assert len(rows) in (3, 6) and {r[0] for r in rows} == {"e^t", "ln s", "ln(1+t)"}, out
    for name, form, worst, share, n in rows:
        limit = 2.5 if name == "ln(1+t)" else 2
        assert float(worst) <= limit and float(share) > 90 and int(n) > 80000, out
    assert_refused(exe, "0", says="STRIDE must be in [1, 1e9]")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_exp16_bits_build_and_check(build):
    # the b = 1 softmax blocks' e^t in intrinsics against GCC's code of mbgd_expf_nonpos over
    # every float of its range: exits 1 on any difference
    exe = build("exp16_bits")
    out = run_where_it_can(exe, cannot="no AVX-512", lacks="AVX-512")
    m = re.search(r"^floats ([0-9]+): differ from GCC's vector code ([0-9]+), from its scalar "
                  r"code \(sampled\) ([0-9]+)$", out, re.M)
    assert m and int(m.group(1)) > 10**9 and m.group(2) == m.group(3) == "0", out


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_cpu_scaling_build_and_run(build):
    exe = build("cpu_scaling")
    out = run_ok(exe, "2")
    for name in ("fma", "chain", "l1"):
        m = re.search(rf"^{name} +1 thread: ([0-9.e+]+) [a-z -]+/s; 2 threads / 1: ([0-9.]+) "
                      r"\(quartiles ([0-9.]+)-([0-9.]+)\)$", out, re.M)
        assert m and float(m.group(1)) > 0 and float(m.group(3)) <= float(m.group(2)) <= float(m.group(4)), out
    assert_refused(exe, "0", says="rounds must be in 1..1000")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_b1_chain_build_and_check(build):
    exe = build("b1_chain")
    # exit status 0: every form's weights match double's to 1e-3
    out = run_where_it_can(exe, "20000", "64", cannot="needs AVX2 and FMA", lacks="AVX2 and FMA")
    for name in ("after", "one ahead", "two ahead", "one ahead, kernel's extras", "four ahead",
                 "four ahead, products given", "four ahead, given, r chained", "four ahead, r chained",
                 "four ahead, products a pass ahead"):
        m = re.search(rf"^{name} +([0-9.]+) +([0-9.]+) +([0-9.e+-]+)$", out, re.M)
        assert m and float(m.group(1)) > 0 and float(m.group(3)) <= 1e-3, out
    assert_refused(exe, "20000", "100", says="ROWS a power of two")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_sm_block_build_and_check(build):
    exe = build("sm_block")
    # exit status 0: the blocks' weights match double's to 1e-5
    out = run_where_it_can(exe, "4000", "64", cannot="no AVX-512", lacks="AVX-512")
    m = re.search(r"max \|W - W_double\| ([0-9.e+-]+) of max \|W\| ([0-9.e+-]+)", out)
    assert m and float(m.group(1)) <= 1e-5 * float(m.group(2)), out
    m = re.search(r"copied onto a line: ([0-9]+), read where they are: ([0-9]+)", out)
    assert m and int(m.group(1)) > 0 and int(m.group(2)) > 0, out
    assert_refused(exe, "4000", "8", says="rows >= 16")


@pytest.mark.skipif(CC is None, reason="no C compiler")
@pytest.mark.parametrize("probe", ["1", "2"])
def test_sm_block_flush_with_probe(probe, tmp_path):
    # the library's flush, five outputs a pass, with its finiteness probe as sessions 47-80
    # summed it (1) and as it does since (2): the same check against double steps
    exe = _compile("sm_block", tmp_path, ("-DPROBE=" + probe,))
    out = run_where_it_can(exe, "4000", "64", cannot="no AVX-512", lacks="AVX-512")
    m = re.search(r"max \|W - W_double\| ([0-9.e+-]+) of max \|W\| ([0-9.e+-]+)", out)
    assert m and float(m.group(1)) <= 1e-5 * float(m.group(2)), out


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_b1_pack4_build_and_check(build):
    exe = build("b1_pack4")
    # exit status 0: every form within 1e-3 of double steps, packed and alone the same bits
    out = run_where_it_can(exe, "16384", "3", cannot="needs AVX2 and FMA", lacks="AVX2 and FMA")
    for name in ("one ahead, alone", "one ahead, packed", "four ahead, alone", "four ahead, packed"):
        m = re.search(rf"^{name} +([0-9.]+) +([0-9.]+) +([0-9.e+-]+)$", out, re.M)
        assert m and float(m.group(1)) > 0 and float(m.group(3)) <= 1e-3, out
    assert "packed and alone the same bits: yes" in out, out
    assert_refused(exe, "100", says="N >= 8192")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_sm_split_build_and_check(build):
    exe = build("sm_split")
    # exit status 0: both thread counts' weights match double's to 1e-5, and each other's bits
    out = run_where_it_can(exe, "4000", "64", cannot="no AVX-512", lacks="AVX-512")
    m = re.search(r"1 thread ([0-9.e+-]+), 2 threads ([0-9.e+-]+) of max \|W\| ([0-9.e+-]+); "
                  r"1 and 2 threads the same bits: yes", out)
    assert m and max(float(m.group(1)), float(m.group(2))) <= 1e-5 * float(m.group(3)), out
    m = re.search(r"sm_block ([0-9]+), split on 1 thread ([0-9]+), split on 2 threads ([0-9]+); "
                  r"paired speed-up of 2 threads over sm_block ([0-9.]+) \(quartiles ([0-9.]+)-([0-9.]+)\)", out)
    assert m and min(int(m.group(i)) for i in (1, 2, 3)) > 0, out
    assert float(m.group(5)) <= float(m.group(4)) <= float(m.group(6)), out
    assert_refused(exe, "4000", "8", says="rows >= 16")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_sm_lag_build_and_check(build):
    exe = build("sm_lag")
    # exit status 0: both thread counts' weights match double's to 1e-5, and each other's bits
    for mode in ("0", "3"):
        out = run_ok(exe, "4000", "64", env={"SM_LAG_MODE": mode})
        if "no AVX-512" in out:
            pytest.skip("this CPU has not AVX-512")
        m = re.search(r"1 thread ([0-9.e+-]+), 2 threads ([0-9.e+-]+) of max \|W\| ([0-9.e+-]+); "
                      r"1 and 2 threads the same bits: yes", out)
        assert m and max(float(m.group(1)), float(m.group(2))) <= 1e-5 * float(m.group(3)), out
        m = re.search(r"sm_block ([0-9]+), split on 2 threads ([0-9]+), lag on 1 thread ([0-9]+), lag on 2 "
                      r"threads ([0-9]+); paired speed-up of the lag on 2 threads over sm_block ([0-9.]+) "
                      r"\(quartiles ([0-9.]+)-([0-9.]+)\), over the split ([0-9.]+) \(quartiles ([0-9.]+)-([0-9.]+)\)",
                      out)
        assert m and min(int(m.group(i)) for i in (1, 2, 3, 4)) > 0, out
        assert float(m.group(6)) <= float(m.group(5)) <= float(m.group(7)), out
        assert float(m.group(9)) <= float(m.group(8)) <= float(m.group(10)), out
    assert_refused(exe, "4000", "8", says="rows >= 16")
    assert_refused(exe, "4000", "64", says="SM_LAG_MODE must be", env={"SM_LAG_MODE": "7"})


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_sm_cls_build_and_check(build):
    import mbgd_fast

    so = os.path.join(os.path.dirname(mbgd_fast.__file__), "_mbgd.abi3.so")
    if not os.path.isfile(so):
        pytest.skip("no built extension in place")
    exe = build("sm_cls")
    # exit status 0: an epoch of the class split gives the installed library's weights and
    # batch losses within rounding (d = 48: a masked last vector; one block handed at a time,
    # read at once)
    for args, env in ((("4000", "64", "64", "3"), None),
                      (("3000", "48", "128", "3"), {"CLS_GRAIN": "1", "CLS_L": "1", "CLS_PF": "0"})):
        out = run_ok(exe, so, *args, env=env)
        if "no AVX-512" in out:
            pytest.skip("this CPU has not AVX-512")
        # the library derives its softmax groups' last output's sums (session 52), the split
        # does not: within rounding, not the same bits
        assert "check, one epoch from zero: weights" in out, out
        assert "within 1e-4 and 1e-5" in out, out
        cells = re.findall(r"^(.+?)\s+([0-9.]+) ns a sample \(median of 3\)$", out, re.M)
        assert len(cells) == 6 and all(float(v) > 0 for _, v in cells), out
        ratios = re.findall(r"([0-9.]+) \(quartiles ([0-9.]+)-([0-9.]+)\)", out)
        assert len(ratios) == 5, out
        assert all(float(lo) <= float(m) <= float(hi) for m, lo, hi in ratios), out
        w = re.search(r"waiting ([0-9.]+)% \(thread 0\) and ([0-9.]+)% \(thread 1\)", out)
        assert w and all(0 <= float(w.group(i)) <= 100 for i in (1, 2)), out
    assert_refused(exe, so, "4000", "64", "64", says="usage")
    assert_refused(exe, "/nonexistent/mbgd.so", "4000", "64", "64", "3", says="LIB /nonexistent")
    assert_refused(exe, so, "3000", "256", "100", "3", says="not a multiple of 4")
    assert_refused(exe, so, "9000", "16", "8192", "3", says="b at most 4096")
    assert_refused(exe, so, "4000", "64", "64", "3", says="CLS_L: an integer in [4, 16]",
                   env={"CLS_L": "2"})
    assert_refused(exe, so, "4000", "64", "64", "3", says="no penalty", env={"AB_L2": "0.01"})


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_row_reads_build_and_check(build):
    # exit status 0: skewed, skewed on lines and chunks of 32 give the same sums
    exe = build("row_reads")
    for threads, off in (("1", "4"), ("2", "0")):
        out = run_where_it_can(exe, "4000", "2", threads, off, cannot="no AVX-512", lacks="AVX-512")
        assert "sums equal skewed's" in out, out
        for name in ("dot", "dot, middle first", "skewed", "skewed, middle", "skewed, on lines",
                     "chunks of 32", "no dependence"):
            m = re.search(rf"^{name} +([0-9.]+) ns a row +skewed's time / its ([0-9.]+)", out, re.M)
            assert m and float(m.group(1)) > 0 and float(m.group(2)) > 0, out
        assert re.search(r"^skewed +[0-9.]+ ns a row +skewed's time / its 1\.00 ", out, re.M), out
    assert_refused(exe, "10", "2", "1", "0", says="need N >= 64 x threads")
    assert_refused(exe, "4000", "2", "1", "16", says="0 <= off <= 15")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_flush_chains_build_and_check(build):
    exe = build("flush_chains")
    # exit status 0: every form of each flush left the kernel form's weights, bit for bit
    out = run_where_it_can(exe, cannot="no AVX2/FMA", lacks="AVX2 and FMA")
    assert "same bits: yes" in out, out
    for name in ("k1_flush (kernel: 1 chain a turn)", "4 chains a turn", "8 chains a turn",
                 "sm_flush (kernel: 2 chains a turn)"):
        m = re.search(rf"^  {re.escape(name)} +median +([0-9.]+) +q1 +([0-9.]+) +least +([0-9.]+) ", out, re.M)
        assert m and 0 < float(m.group(3)) <= float(m.group(2)) <= float(m.group(1)), out


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_sm_pass2_build_and_check(build):
    exe = build("sm_pass2")
    # exit status 0: the two-row pass gave the one-row passes' scores, products and copies
    out = run_where_it_can(exe, cannot="no AVX2/FMA", lacks="AVX2 and FMA")
    assert "same bits: yes" in out, out
    for cell in ("rows 0 and 1", "rows 2 and 3"):
        for form in ("one row a pass:", "two rows a pass:"):
            m = re.search(rf"^{cell}, {form} +median +([0-9.]+) +q1 +([0-9.]+) +least +([0-9.]+) ", out, re.M)
            assert m and 0 < float(m.group(3)) <= float(m.group(2)) <= float(m.group(1)), out


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_relay_prototype_keeps_one_threads_bits(tmp_path, shared_lib, monkeypatch):
    """relay.c's legs (calls of mbgd_train_f32 on one thread, dealt to two threads in turn,
    the carry between them) give one thread's bits, every leg length, squared loss and
    logistic; it refuses a leg length under 1."""
    exe = tmp_path / "relay"
    subprocess.run(CC.split() + ["-O2", "-std=gnu99", "-fopenmp", "-I" + os.path.join(ROOT, "csrc"),
                                 os.path.join(ROOT, "bench", "loops", "relay.c"), "-o", str(exe),
                                 "-ldl"], check=True, capture_output=True)
    monkeypatch.setenv("AB_CARRY", "1")
    for loss in ("0", "4"):
        monkeypatch.setenv("RELAY_LOSS", loss)
        out = run_ok(exe, shared_lib, "3000", "64", "3", "37", "1000")
        for way in ("2 threads", "relay m=37", "relay m=1000"):
            m = re.search(re.escape(way) + r" +([0-9.e+]+) +x[0-9.]+ \([0-9.]+-[0-9.]+\) +same bits (\d)/3",
                          out)
            assert m and float(m.group(1)) > 0 and m.group(2) == "3", out
    assert_refused(exe, shared_lib, "3000", "64", "3", "0", says="m >= 1")
    assert_refused(exe, shared_lib, "3000", "64", "0", "37", says="rounds >= 1")
