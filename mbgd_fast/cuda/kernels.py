"""Numba CUDA kernels: the GPU twin of csrc/kernel_impl.h.

One iteration on the batch rows[s .. s + nb):

* phase A, a warp per batch row: z_k = W_k . x + b_k (lanes stride over the features,
  then a shuffle reduction), the loss and dl = dloss/dz by lane 0, c = sw dl stored
  per row and output, the row's weighted loss stored per row.
* phase B1, for batches longer than one chunk (ip[I_CHUNK] rows: CudaKernel.CHUNK, or more
  so that a batch has at most CudaKernel.MAX_CHUNKS chunks): every (chunk, parameter)
  pair a thread, consecutive threads on consecutive features (the reads of a row are
  coalesced), sums c x over the chunk's rows in row order; one more column sums the
  chunk's row losses.
* phase B: the batch gradient g of each parameter, with no atomics (the same bits on
  every run).  A batch of one chunk: a thread per parameter sums c x over the rows in
  order.  A longer one: a warp per parameter adds the chunk sums of phase B1 (lanes
  over the chunks, then a shuffle tree).  Then g * scale + l2 w, the optimizer step,
  the L1 prox and averaging; per block, tree reductions of |w|^2 and |w|_1 of the
  weights before the step and of a finiteness probe of the weights after it.
* finalize (block 0): the batch loss = the sum of the row losses (or of phase B1's
  chunk sums of them; strided over the block's threads, then a tree) * scale + the
  penalty, and the probe, written per iteration.

``train_persistent`` runs a whole slice of iterations in one cooperative launch,
with grid-wide syncs between the phases; ``phase_a`` / ``phase_b`` / ``finalize``
are the same device code launched once per phase per iteration, for devices or
drivers without cooperative launch.  Sums are taken in float64.

Under Numba's simulator (NUMBA_ENABLE_CUDASIM=1), which has no warp shuffles, the
warp sum goes through shared memory instead, and grid.sync() is a block barrier,
so the persistent kernel is run there with one block.
"""
import math

import numba
from numba import cuda

SIM = bool(getattr(numba.config, "ENABLE_CUDASIM", 0))
WARP = 32
MAX_THREADS = 1024  # threads per block, at most (shared scratch size)

# loss codes: the order of csrc/mbgd.h (checked against the C names in backend.py)
SQUARED, HUBER, EPS_INS, SQ_EPS_INS, LOGISTIC, HINGE, SQ_HINGE, MOD_HUBER, PERCEPTRON, SOFTMAX = range(10)
SGD, MOMENTUM, NESTEROV, ADAM = range(4)
# layout of the float64 parameter vector fp and the int64 vector ip
F_DELTA, F_EPSILON, F_L2, F_L1, F_MU, F_B1, F_B2, F_EPS = range(8)
I_LOSS, I_OPT, I_FIT_INTERCEPT, I_SUM, I_D, I_K, I_MAXB, I_SW, I_CHUNK = range(9)


if SIM:
    @cuda.jit(device=True)
    def warp_sum(v, scratch):
        """Sum of v over the warp, in every lane (simulator: shared memory, lane order)."""
        tid = cuda.threadIdx.x
        scratch[tid] = v
        cuda.syncthreads()
        base = tid - tid % WARP
        s = 0.0
        for lane in range(WARP):
            s += scratch[base + lane]
        cuda.syncthreads()
        return s
else:
    @cuda.jit(device=True, inline=True)
    def warp_sum(v, scratch):
        """Sum of v over the warp, in every lane (a shuffle tree: a fixed order)."""
        off = 16
        while off > 0:
            v += cuda.shfl_down_sync(0xFFFFFFFF, v, off)
            off //= 2
        return cuda.shfl_sync(0xFFFFFFFF, v, 0)


@cuda.jit(device=True)
def row_loss(loss, z, y, delta, epsilon):
    """(loss, dloss/dz) of one sample with one output (the C row_loss)."""
    if loss == SQUARED:
        r = z - y
        return 0.5 * r * r, r
    if loss == HUBER:
        r = z - y
        if abs(r) <= delta:
            return 0.5 * r * r, r
        return delta * (abs(r) - 0.5 * delta), (delta if r > 0 else -delta)
    if loss == EPS_INS or loss == SQ_EPS_INS:
        r = z - y
        m = abs(r) - epsilon
        if m <= 0:
            return 0.0, 0.0
        if loss == EPS_INS:
            return m, (1.0 if r > 0 else -1.0)
        return m * m, (2.0 * m if r > 0 else -2.0 * m)
    m = y * z
    if loss == LOGISTIC:
        if m > 0:
            t = math.exp(-m)
            return math.log1p(t), -y * t / (1.0 + t)
        t = math.exp(m)
        return -m + math.log1p(t), -y / (1.0 + t)
    if loss == HINGE:
        if m <= 1:
            return 1.0 - m, -y
        return 0.0, 0.0
    if loss == SQ_HINGE:
        if m < 1:
            t = 1.0 - m
            return t * t, -2.0 * y * t
        return 0.0, 0.0
    if loss == MOD_HUBER:
        if m >= 1:
            return 0.0, 0.0
        if m >= -1:
            t = 1.0 - m
            return t * t, -2.0 * y * t
        return -4.0 * m, -4.0 * y
    if loss == PERCEPTRON:
        if m <= 0:
            return -m, -y
        return 0.0, 0.0
    return 0.0, 0.0


@cuda.jit(device=True)
def _warps_over(n):
    """A warp per item of n over the grid: (lane, this warp's first item, warps in the grid,
    rounds).  Rounds are the same for every warp, so warp_sum is called uniformly."""
    tid = cuda.threadIdx.x
    warps = cuda.gridDim.x * (cuda.blockDim.x // WARP)
    return tid % WARP, cuda.blockIdx.x * (cuda.blockDim.x // WARP) + tid // WARP, warps, \
        (n + warps - 1) // warps


@cuda.jit(device=True)
def _phase_a(X, Y, SW, rows, s, nb, theta, fp, ip, cbuf, rloss, xsq, scratch, want_xsq):
    """Warps over the batch rows: c[q, k] = sw dl_k and the weighted row loss (+ |x|^2)."""
    d, K = ip[I_D], ip[I_K]
    KD = K * d
    lane, w0, warps, rounds = _warps_over(nb)
    for it in range(rounds):
        q = it * warps + w0
        active = q < nb
        i = rows[s + q] if active else 0
        for k in range(K):
            part = 0.0
            if active:
                for j in range(lane, d, WARP):
                    part += theta[k * d + j] * X[i, j]
            z = warp_sum(part, scratch) + theta[KD + k]
            if active and lane == 0:
                cbuf[q * K + k] = z
        if want_xsq:
            part = 0.0
            if active:
                for j in range(lane, d, WARP):
                    part += X[i, j] * X[i, j]
            sq = warp_sum(part, scratch)
            if active and lane == 0:
                xsq[q] = sq
        if active and lane == 0:
            sw = SW[i] if ip[I_SW] else 1.0
            if ip[I_LOSS] != SOFTMAX:
                z = cbuf[q]
                lv, dl = row_loss(ip[I_LOSS], z, Y[i], fp[F_DELTA], fp[F_EPSILON])
                rloss[q] = sw * lv + (z - z)  # z - z: NaN when x or w is not finite
                cbuf[q] = sw * dl
            else:
                base = q * K
                m = cbuf[base]
                probe = 0.0
                for k in range(K):
                    m = max(m, cbuf[base + k])
                    probe += cbuf[base + k] - cbuf[base + k]
                c = int(Y[i])
                zc = cbuf[base + c] - m
                tot = 0.0
                for k in range(K):
                    e = math.exp(cbuf[base + k] - m)
                    cbuf[base + k] = e
                    tot += e
                for k in range(K):
                    cbuf[base + k] = sw * (cbuf[base + k] / tot - (1.0 if k == c else 0.0))
                rloss[q] = sw * (math.log(tot) - zc) + probe


@cuda.jit(device=True)
def _block_sum4(a, b, c, e, red):
    """Tree sums over the block of four values (a fixed order); valid in thread 0."""
    tid = cuda.threadIdx.x
    n = cuda.blockDim.x
    red[0, tid] = a
    red[1, tid] = b
    red[2, tid] = c
    red[3, tid] = e
    cuda.syncthreads()
    half = n // 2
    while half > 0:
        if tid < half:
            red[0, tid] += red[0, tid + half]
            red[1, tid] += red[1, tid + half]
            red[2, tid] += red[2, tid + half]
            red[3, tid] += red[3, tid + half]
        cuda.syncthreads()
        half //= 2
    out0, out1, out2, out3 = red[0, 0], red[1, 0], red[2, 0], red[3, 0]
    cuda.syncthreads()
    return out0, out1, out2, out3


@cuda.jit(device=True)
def _chunk_sum(X, rows, s, q0, q1, p, d, K, KD, cbuf, rloss):
    """sum over batch rows q0 .. q1 (in order) of c[q, k] x[j] for parameter p < KD, of
    c[q, k] for the intercepts KD <= p < KD + K, of the row losses for p = KD + K."""
    g = 0.0
    if p < KD:
        k = p // d
        j = p - k * d
        for q in range(q0, q1):
            cq = cbuf[q * K + k]
            if cq != 0.0:
                g += cq * X[rows[s + q], j]
    elif p < KD + K:
        for q in range(q0, q1):
            g += cbuf[q * K + p - KD]
    else:
        for q in range(q0, q1):
            g += rloss[q]
    return g


@cuda.jit(device=True)
def _phase_b1(X, rows, s, nb, ip, cbuf, rloss, part):
    """part[r, p]: the chunk sums of a long batch, a thread per (chunk, parameter); column
    P holds the chunk's row losses."""
    d, K = ip[I_D], ip[I_K]
    KD = K * d
    P1 = KD + K + 1
    ch = ip[I_CHUNK]
    R = (nb + ch - 1) // ch
    T = cuda.gridDim.x * cuda.blockDim.x
    item = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    while item < R * P1:
        r = item // P1
        p = item - r * P1
        part[r, p] = _chunk_sum(X, rows, s, r * ch, min(nb, (r + 1) * ch), p, d, K, KD, cbuf, rloss)
        item += T


@cuda.jit(device=True)
def _step(p, g, theta, buf1, buf2, avg, fp, ip, KD, scale, lr, lr_bc1, isb2, avg_w):
    """Parameter p's step from its batch gradient sum g; returns its w^2, |w| (before the
    step; coefficients only) and the finiteness probe of the new value."""
    opt = ip[I_OPT]
    coef = p < KD
    w = theta[p] * 1.0
    sq = w * w if coef else 0.0
    ab = abs(w) if coef else 0.0
    if coef or ip[I_FIT_INTERCEPT]:
        l2 = fp[F_L2] if coef else 0.0
        g = g * scale + l2 * w
        if opt == SGD:
            w = w - lr * g
        elif opt == MOMENTUM:
            m = fp[F_MU] * buf1[p] + g
            buf1[p] = m
            w = w - lr * m
        elif opt == NESTEROV:
            m = fp[F_MU] * buf1[p] + g
            buf1[p] = m
            w = w - lr * (g + fp[F_MU] * m)
        else:
            b1, b2 = fp[F_B1], fp[F_B2]
            m = b1 * buf1[p] + (1.0 - b1) * g
            v = b2 * buf2[p] + (1.0 - b2) * g * g
            buf1[p] = m
            buf2[p] = v
            w = w - lr_bc1 * m / (math.sqrt(v) * isb2 + fp[F_EPS])
        if coef and fp[F_L1] > 0:
            a = abs(w) - lr * fp[F_L1]
            w = (a if w > 0 else -a) if a > 0 else 0.0
        theta[p] = w
    if avg_w > 0:
        avg[p] += (theta[p] - avg[p]) * avg_w
    return sq, ab, theta[p] - theta[p]


@cuda.jit(device=True)
def _phase_b(X, rows, s, nb, theta, buf1, buf2, avg, fp, ip, cbuf, rloss, part, lr, lr_bc1, isb2,
             avg_w, pen, red, scratch):
    """The batch gradient in row order, the step, the norms.  A batch of one chunk: a thread
    per parameter sums its rows.  A longer one: a warp per parameter adds phase B1's chunk
    sums (lanes over the chunks, then a shuffle tree: a fixed order)."""
    d, K = ip[I_D], ip[I_K]
    KD = K * d
    P = KD + K
    tid = cuda.threadIdx.x
    scale = 1.0 if ip[I_SUM] else 1.0 / nb
    R = (nb + ip[I_CHUNK] - 1) // ip[I_CHUNK]
    sq = 0.0
    ab = 0.0
    probe = 0.0
    if R == 1:
        T = cuda.gridDim.x * cuda.blockDim.x
        g0 = cuda.blockIdx.x * cuda.blockDim.x + tid
        for p in range(g0, P, T):
            g = _chunk_sum(X, rows, s, 0, nb, p, d, K, KD, cbuf, rloss)
            a, b, c = _step(p, g, theta, buf1, buf2, avg, fp, ip, KD, scale, lr, lr_bc1, isb2, avg_w)
            sq += a
            ab += b
            probe += c
    else:
        lane, w0, warps, rounds = _warps_over(P)
        for it in range(rounds):
            p = it * warps + w0
            part_sum = 0.0
            if p < P:
                for r in range(lane, R, WARP):
                    part_sum += part[r, p]
            g = warp_sum(part_sum, scratch)
            if p < P and lane == 0:
                a, b, c = _step(p, g, theta, buf1, buf2, avg, fp, ip, KD, scale, lr, lr_bc1, isb2,
                                avg_w)
                sq += a
                ab += b
                probe += c
    a, b, c, unused = _block_sum4(sq, ab, probe, 0.0, red)
    if tid == 0:
        pen[cuda.blockIdx.x, 0] = a
        pen[cuda.blockIdx.x, 1] = b
        pen[cuda.blockIdx.x, 2] = c


@cuda.jit(device=True)
def _finalize(t, nb, fp, ip, rloss, part, pen, n_blocks, batch_loss, flags, red):
    """Block 0: the batch loss (the row losses, or phase B1's chunk sums of them, strided over
    the block's threads, then a tree) * scale + the penalty, and the probe, for iteration t."""
    if cuda.blockIdx.x == 0:
        tid = cuda.threadIdx.x
        T = cuda.blockDim.x
        P = ip[I_K] * (ip[I_D] + 1)
        R = (nb + ip[I_CHUNK] - 1) // ip[I_CHUNK]
        lsum = 0.0
        if R == 1:
            for q in range(tid, nb, T):
                lsum += rloss[q]
        else:
            for r in range(tid, R, T):
                lsum += part[r, P]
        sq = 0.0
        ab = 0.0
        probe = 0.0
        for bl in range(tid, n_blocks, T):
            sq += pen[bl, 0]
            ab += pen[bl, 1]
            probe += pen[bl, 2]
        lsum, sq, ab, probe = _block_sum4(lsum, sq, ab, probe, red)
        if tid == 0:
            scale = 1.0 if ip[I_SUM] else 1.0 / nb
            batch_loss[t] = lsum * scale + 0.5 * fp[F_L2] * sq + fp[F_L1] * ab
            flags[t] = probe


@cuda.jit
def train_persistent(X, Y, SW, rows, starts, lr, lr_bc1, isb2, avg_w, theta, buf1, buf2, avg, fp, ip,
                     cbuf, part, rloss2, pen, batch_loss, flags, t0, t1):
    """Iterations t0 .. t1 of the slice in one cooperative launch (grid syncs between phases)."""
    grid = cuda.cg.this_grid()
    scratch = cuda.shared.array(MAX_THREADS, numba.float64)
    red = cuda.shared.array((4, MAX_THREADS), numba.float64)
    maxb = ip[I_MAXB]
    for t in range(t0, t1):
        s = starts[t]
        nb = starts[t + 1] - s
        # row losses alternate between two buffers: finalize(t) may still read one
        # while the other blocks start phase A of t + 1
        rloss = rloss2[(t % 2) * maxb :]
        _phase_a(X, Y, SW, rows, s, nb, theta, fp, ip, cbuf, rloss, rloss, scratch, False)
        grid.sync()
        if nb > ip[I_CHUNK]:
            _phase_b1(X, rows, s, nb, ip, cbuf, rloss, part)
            grid.sync()
        _phase_b(X, rows, s, nb, theta, buf1, buf2, avg, fp, ip, cbuf, rloss, part, lr[t], lr_bc1[t],
                 isb2[t], avg_w[t], pen, red, scratch)
        grid.sync()
        # phase B1 of t + 1, which writes part, starts only after block 0 has done this
        _finalize(t, nb, fp, ip, rloss, part, pen, cuda.gridDim.x, batch_loss, flags, red)


@cuda.jit
def phase_a(X, Y, SW, rows, starts, t, theta, fp, ip, cbuf, rloss):
    scratch = cuda.shared.array(MAX_THREADS, numba.float64)
    s = starts[t]
    _phase_a(X, Y, SW, rows, s, starts[t + 1] - s, theta, fp, ip, cbuf, rloss, rloss, scratch, False)


@cuda.jit
def phase_b1(X, rows, starts, t, ip, cbuf, rloss, part):
    s = starts[t]
    _phase_b1(X, rows, s, starts[t + 1] - s, ip, cbuf, rloss, part)


@cuda.jit
def phase_b(X, rows, starts, t, lr, lr_bc1, isb2, avg_w, theta, buf1, buf2, avg, fp, ip, cbuf, rloss,
            part, pen):
    red = cuda.shared.array((4, MAX_THREADS), numba.float64)
    scratch = cuda.shared.array(MAX_THREADS, numba.float64)
    s = starts[t]
    _phase_b(X, rows, s, starts[t + 1] - s, theta, buf1, buf2, avg, fp, ip, cbuf, rloss, part, lr[t],
             lr_bc1[t], isb2[t], avg_w[t], pen, red, scratch)


@cuda.jit
def finalize(starts, t, fp, ip, rloss, part, pen, n_blocks, batch_loss, flags):
    red = cuda.shared.array((4, MAX_THREADS), numba.float64)
    _finalize(t, starts[t + 1] - starts[t], fp, ip, rloss, part, pen, n_blocks, batch_loss, flags, red)


@cuda.jit
def rows_pass(X, Y, SW, rows, n_rows, theta, fp, ip, cbuf, rloss, xsq):
    """Phase A over n_rows rows (gradient and gradient_noise), with |x|^2 per row."""
    scratch = cuda.shared.array(MAX_THREADS, numba.float64)
    _phase_a(X, Y, SW, rows, 0, n_rows, theta, fp, ip, cbuf, rloss, xsq, scratch, True)


@cuda.jit
def grad_partials(X, rows, n_rows, chunk, ip, cbuf, part):
    """part[r, p] = sum over rows [r chunk, (r + 1) chunk), in order, of c x (no atomics)."""
    d, K = ip[I_D], ip[I_K]
    KD = K * d
    p = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    r = cuda.blockIdx.y
    if p < KD + K:
        q0 = r * chunk
        q1 = min(n_rows, q0 + chunk)
        g = 0.0
        if p < KD:
            k = p // d
            j = p - k * d
            for q in range(q0, q1):
                g += cbuf[q * K + k] * X[rows[q], j]
        else:
            for q in range(q0, q1):
                g += cbuf[q * K + p - KD]
        part[r, p] = g
