/*
 * mbgd.h -- the one public header of mbgd_fast's compiled core.
 *
 * Fused mini-batch gradient descent kernels for linear models, float32 and
 * float64, dense row-major X.  Every function validates what it is given,
 * returns a status code (MBGD_OK on success), never prints, never exits,
 * keeps no globals and allocates only at entry (never inside the iteration
 * loop).  mbgd_strerror() turns a status into a static message.
 *
 * Parameters theta are stored flat, length P = K*(d+1):
 *     theta[k*d + j]   coefficient j of output k   (the (K, d) coef matrix)
 *     theta[K*d + k]   intercept of output k
 * K = 1 for every loss but softmax, where K is the number of classes.
 * Optimizer buffers have the same layout.
 *
 * The carry (state.carry, 3 P + 1 values, K = 1): a run of b = 1 steps with the weights in
 * registers (float32, AVX2 or AVX-512, d up to 32, plain SGD, no penalty, no averaging)
 * takes each sample's z = w.x + b before the previous sample's step, as
 * w.x + b - (lr c)(x_prev.x + 1) (without the 1 when the intercept is not fitted), and the
 * call that ends such a run leaves in the carry what the next call needs to go on the same
 * way: the weights and intercept before its last step (P values), that step's row (d values)
 * and lr c (1), the weights and intercept after it (P), and 1 (valid; 0 otherwise).  A call
 * uses it when its first iteration is such a step and theta still holds those weights, bit
 * for bit, so splitting a run into calls anywhere gives the same bits.  NULL: no carry, every
 * call starts its run from z = w.x + b.
 *
 * The softmax carry (mbgd_carry_size values, float32, 2 <= K <= 16): a run of b = 1 softmax
 * steps in blocks (plain SGD, no penalty, no averaging, d a multiple of 16) applies its steps
 * to the weights MBGD_SM_BLOCK at a time and takes each sample's scores from the weights W_s
 * where its block began, less the steps not yet applied (z_i = W_s x_i + b - sum_j lr_j c_j
 * (x_j . x_i)).  A call that ends inside a block leaves theta with every step applied and, in
 * the carry: W_s (K d values) at 0, theta as the call left it (P) at 2 P, 1 (valid) at 3 P,
 * the steps pending n at 3 P + 1, their lr c (16 values each, MBGD_SM_BLOCK of them) from
 * 3 P + 2, then their rows (d values each, MBGD_SM_BLOCK of them) from the next multiple of
 * 16 (a run copies each row there as it reads it).  The next call goes on with that block
 * under the same condition as above.  One output with rows longer than 32 values (float32,
 * d a multiple of 16 and up to 4096) runs its b = 1 steps in the same blocks and carries them
 * in the same layout with K = 1 (k1_block_run in kernel_impl.h).
 *
 * The block between the CDEF markers is fed verbatim to cffi's cdef() by
 * build_ffi.py: it must hold plain declarations only (no preprocessor lines).
 */
#ifndef MBGD_H
#define MBGD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* MBGD_CDEF_BEGIN */

/* Status codes. */
enum mbgd_status {
    MBGD_OK = 0,
    MBGD_EINVAL = 1,       /* a parameter is out of range (see mbgd_check_params) */
    MBGD_ENOMEM = 2,       /* a work buffer could not be allocated */
    MBGD_EDIVERGED = 3,    /* a mini-batch loss or a weight became non-finite */
    MBGD_EINDEX = 4,       /* a row index is outside [0, n_samples) */
    MBGD_ELABEL = 5,       /* a softmax label is not an integer in [0, K) */
    MBGD_EBATCH = 6,       /* a batch is empty or the batch offsets decrease */
    MBGD_NULL = 7,         /* a required pointer is NULL */
    MBGD_ECSR = 8,         /* a CSR row's indptr range decreases or lies outside the values */
    MBGD_EIO = 9           /* reading a data file failed (or ended early) */
};

/* Losses, z = w.x + b.  y in {-1,+1} for the binary (classification) ones. */
enum mbgd_loss {
    MBGD_LOSS_SQUARED = 0,              /* 1/2 (z-y)^2 */
    MBGD_LOSS_HUBER = 1,                /* 1/2 r^2 if |r|<=delta else delta(|r| - delta/2), r = z-y */
    MBGD_LOSS_EPSILON_INSENSITIVE = 2,  /* max(0, |z-y| - epsilon) */
    MBGD_LOSS_SQUARED_EPSILON_INSENSITIVE = 3, /* max(0, |z-y| - epsilon)^2 */
    MBGD_LOSS_LOGISTIC = 4,             /* log(1 + exp(-yz)) */
    MBGD_LOSS_HINGE = 5,                /* max(0, 1 - yz) */
    MBGD_LOSS_SQUARED_HINGE = 6,        /* max(0, 1 - yz)^2 */
    MBGD_LOSS_MODIFIED_HUBER = 7,       /* max(0,1-yz)^2 if yz >= -1 else -4yz */
    MBGD_LOSS_PERCEPTRON = 8,           /* max(0, -yz) */
    MBGD_LOSS_SOFTMAX = 9,              /* logsumexp(z) - z_y, y an integer class in [0, K) */
    MBGD_N_LOSSES = 10
};

/* Optimizers, PyTorch's conventions (dampening 0), on coef and intercept alike. */
enum mbgd_optimizer {
    MBGD_OPT_SGD = 0,        /* w -= lr g */
    MBGD_OPT_MOMENTUM = 1,   /* v = mu v + g; w -= lr v */
    MBGD_OPT_NESTEROV = 2,   /* v = mu v + g; w -= lr (g + mu v) */
    MBGD_OPT_ADAM = 3,       /* bias-corrected Adam, w -= lr mhat / (sqrt(vhat) + eps) */
    MBGD_N_OPTIMIZERS = 4
};

/* Instruction sets the kernels are compiled for (x86-64 with GCC: all three). */
enum mbgd_isa {
    MBGD_ISA_AUTO = 0,       /* the best this CPU runs */
    MBGD_ISA_GENERIC = 1,    /* the compiler's baseline (SSE2 on x86-64) */
    MBGD_ISA_AVX2 = 2,       /* AVX2 + FMA */
    MBGD_ISA_AVX512 = 3,     /* AVX-512 F/VL/DQ/BW */
    MBGD_N_ISAS = 4
};

/* Everything about the model and the update rule that is not data. */
typedef struct mbgd_params {
    int32_t loss;            /* enum mbgd_loss */
    int32_t optimizer;       /* enum mbgd_optimizer */
    int32_t fit_intercept;   /* 0: intercepts stay as they are; 1: they are trained */
    int32_t reduction_sum;   /* 0: batch gradient is the mean over the batch; 1: the sum */
    int64_t n_features;      /* d >= 1 */
    int64_t n_outputs;       /* K: 1, or the number of classes (>= 2) for softmax */
    double delta;            /* huber threshold, > 0 */
    double epsilon;          /* epsilon-insensitive margin, >= 0 */
    double l2;               /* L2 strength >= 0: adds l2/2 |W|^2 to the loss, l2 W to the gradient */
    double l1;               /* L1 strength >= 0: proximal w = sign(w) max(|w| - lr l1, 0) after the step */
    double momentum;         /* mu in [0, 1) for momentum and nesterov */
    double beta1, beta2;     /* Adam decay rates in [0, 1) */
    double eps;              /* Adam epsilon > 0 */
    int32_t n_threads;       /* OpenMP threads >= 1; results do not depend on it */
    int32_t isa;             /* enum mbgd_isa: MBGD_ISA_AUTO, or a cap (never above what the CPU runs) */
    int64_t average_start;   /* < 0: no averaging; else after each update with step > average_start,
                                avg += (theta - avg) / (step - average_start) (averaged SGD) */
} mbgd_params;

/*
 * Training data, float64.  Rows are read only through index arrays.
 * Dense (indptr NULL): X is (n_samples, n_features) C-contiguous.
 * CSR (indptr set): row i holds the values X[indptr[i] .. indptr[i+1]) at the
 * columns indices32 (or indices64) [same range]; exactly one of the two index
 * arrays is set.  Every visited row's indptr range is checked; the column
 * indices are the caller's to check (all in [0, n_features)), once per dataset,
 * so that a step costs O(nnz of its rows).  Duplicate columns add up.
 */
typedef struct mbgd_data_f64 {
    const double *X;             /* dense (n_samples, n_features), or CSR's nnz values */
    const double *y;             /* (n_samples,) targets; class index for softmax */
    const double *sample_weight; /* (n_samples,) or NULL for all ones */
    int64_t n_samples;
    const int64_t *indptr;       /* NULL: dense; else CSR row offsets (n_samples + 1,) */
    const int32_t *indices32;    /* CSR column indices, int32 ... */
    const int64_t *indices64;    /* ... or int64 */
    int64_t nnz;                 /* CSR: length of X and of the index array */
} mbgd_data_f64;

/* Training data, float32. */
typedef struct mbgd_data_f32 {
    const float *X;
    const float *y;
    const float *sample_weight;
    int64_t n_samples;
    const int64_t *indptr;
    const int32_t *indices32;
    const int64_t *indices64;
    int64_t nnz;
} mbgd_data_f32;

/* Trainable state, float64; updated in place by mbgd_train_f64. */
typedef struct mbgd_state_f64 {
    double *theta;   /* (P,) parameters, layout in the header comment */
    double *buf1;    /* (P,) velocity (momentum, nesterov) or first moment (adam); NULL for sgd */
    double *buf2;    /* (P,) second moment (adam); NULL otherwise */
    double *avg;     /* (P,) averaged parameters when params.average_start >= 0, else unused */
    int64_t step;    /* optimizer steps taken so far (Adam bias correction uses step+1) */
    double *carry;   /* (3 P + 1,) or NULL: what a run of b = 1 steps hands the next call (below) */
} mbgd_state_f64;

/* Trainable state, float32. */
typedef struct mbgd_state_f32 {
    float *theta;
    float *buf1;
    float *buf2;
    float *avg;
    int64_t step;
    float *carry;
} mbgd_state_f32;

/* A slice of iterations: iteration t uses rows[starts[t]] .. rows[starts[t+1]-1]. */
typedef struct mbgd_slice {
    const int64_t *rows;     /* row indices into the data */
    const int64_t *starts;   /* (n_iter + 1,) non-decreasing offsets into rows */
    const double *lr;        /* (n_iter,) learning rate of each iteration, finite and > 0 */
    double *batch_loss;      /* (n_iter,) out: each batch's objective at the weights before its step */
    int64_t n_iter;          /* iterations in the slice */
    int64_t n_done;          /* out: iterations completed; on MBGD_EDIVERGED the one that diverged */
    double loss_sum;         /* in/out: each written batch loss added to it in turn, in double, in
                                the iterations' order (a sequential sum: calls that split the
                                iterations anywhere, each starting from the last one's sum, end
                                on the same bits) */
} mbgd_slice;

/* Message for a status code (static storage, never NULL). */
const char *mbgd_strerror(int status);

/* Steps of b = 1 softmax runs applied at a time (the carry of such a run, below). */
enum mbgd_sizes { MBGD_SM_BLOCK = 4 };

/* Length of a state's carry (see "The carry" above) for n_outputs = 1, or for softmax. */
int64_t mbgd_carry_size(int64_t n_features, int64_t n_outputs);

/* Name of a loss / optimizer code ("squared", "adam", ...), or NULL when out of range. */
const char *mbgd_loss_name(int loss);
const char *mbgd_optimizer_name(int optimizer);

/* MBGD_OK, or MBGD_EINVAL when a field of p is out of range. */
int mbgd_check_params(const mbgd_params *p);

/* The instruction set a call with params.isa = requested runs; its name. */
int mbgd_resolve_isa(int requested);
const char *mbgd_isa_name(int isa);
/* 1 when AVX-512 calls ask for the rows into L2 (MBGD_FAST_L2_HINT, else on the Zen 4 and Intel) */
int mbgd_l2_hint(void);
/* Bytes of shuffled rows of 1 KB or more the L2-hinted AVX-512 kernels keep asked for ahead
 * (MBGD_FAST_L2_AHEAD, else 32768 on Intel and 8192 elsewhere) */
long long mbgd_l2_ahead(void);

/* 1 when compiled with OpenMP, else 0; and the default thread count. */
int mbgd_has_openmp(void);
int mbgd_max_threads(void);

/*
 * Run the iterations of a slice: per mini-batch, z = W x + b for each row, the
 * per-sample loss and its derivative, the batch gradient (mean or sum, with
 * sample weights), the L2 term, the optimizer update, the L1 proximal step,
 * and the batch objective written to slice->batch_loss.  On MBGD_EDIVERGED,
 * slice->n_done is the iteration whose loss or update was non-finite and the
 * state is unspecified: replay the first n_done iterations from a copy.
 * A row of X holding NaN or Inf makes its batch loss NaN, so it is reported
 * as MBGD_EDIVERGED too (the caller tells the two apart by scanning X then).
 * Results do not depend on p->n_threads.
 *
 * CSR data: the rows are read in O(nnz).  With plain SGD, no L1 and no
 * averaging, the step is lazy as well: coef = s v with a scalar s, the L2 decay
 * multiplies s only (folded back into v when |s| < 1e-6 and at the end of the
 * slice), so a step touches only the columns present in its batch and costs
 * O(nnz) whatever n_features is (serial).  Momentum, Nesterov, Adam, L1 and
 * averaging update every parameter each step, exactly as on dense data (O(P)
 * per step): their buffers decay on every coordinate, so a lazy update would
 * change the method.  Either way the result equals the dense computation on
 * the same data up to rounding.
 */
int mbgd_train_f64(const mbgd_params *p, const mbgd_data_f64 *data,
                   mbgd_state_f64 *state, mbgd_slice *slice);
int mbgd_train_f32(const mbgd_params *p, const mbgd_data_f32 *data,
                   mbgd_state_f32 *state, mbgd_slice *slice);

/*
 * Objective and its gradient over rows[0..n_rows) (all rows when rows is NULL):
 * *loss = reduce_i(sw_i l_i) + l2/2 |W|^2 + l1 |W|_1 and
 * grad  = reduce_i(sw_i dl_i [x_i, 1]) + l2 W + l1 sign(W), reduce = mean or sum.
 * grad (P,) may be NULL to compute the loss only.  Per-sample gradients are
 * never stored.
 */
int mbgd_gradient_f64(const mbgd_params *p, const mbgd_data_f64 *data,
                      const double *theta, const int64_t *rows, int64_t n_rows,
                      double *loss, double *grad);
int mbgd_gradient_f32(const mbgd_params *p, const mbgd_data_f32 *data,
                      const float *theta, const int64_t *rows, int64_t n_rows,
                      double *loss, float *grad);

/*
 * A uniformly random permutation of 0..n-1 into order (n,), by Fisher-Yates
 * driven by n-1 random 64-bit words drawn by the caller (so the caller's seeded
 * generator decides the order): for k = 0 up to n-2, j = k + floor(raw[k] *
 * (n-k) / 2^64) and order[k], order[j] are swapped (so order[0..k] is final after
 * step k).  n < 2^32.
 */
int mbgd_permutation(int64_t *order, int64_t n, const uint64_t *raw);

/* The layout of NumPy's bitgen_t (numpy/random/bitgen.h), the C interface of its bit
 * generators: a BitGenerator's capsule holds a pointer to one. */
typedef struct mbgd_bitgen {
    void *state;
    uint64_t (*next_uint64)(void *st);
    uint32_t (*next_uint32)(void *st);
    double (*next_double)(void *st);
    uint64_t (*next_raw)(void *st);
} mbgd_bitgen;

/*
 * A PCG64 generator (PCG XSL-RR 128/64, NumPy's PCG64) as its state and increment, each as
 * high and low 64 bits: what NumPy's PCG64.state holds.  mbgd_pcg64_bitgen points bg at g:
 * bg->next_raw(bg->state) then returns the word NumPy's next_raw would and advances g as it
 * would, and the permutations below draw g's words in C, several streams at a time (the same
 * words), rather than one call per word: four streams in 128-bit integers, or with AVX-512
 * thirty-two in vectors of eight (the same words).  Returns MBGD_EINVAL, leaving bg as it
 * was, where the compiler has no 128-bit integers.
 */
typedef struct mbgd_pcg64 {
    uint64_t state_hi, state_lo, inc_hi, inc_lo;
} mbgd_pcg64;

int mbgd_pcg64_bitgen(mbgd_bitgen *bg, mbgd_pcg64 *g);

/*
 * g as NumPy's PCG64(seed) sets it for an integer seed >= 0 given as its n_words 32-bit words,
 * lowest first ({0} for 0): SeedSequence(seed) (a pool of four words, no spawn key) gives four
 * 64-bit words by generate_state(4, uint64), the first two the initial state and the last two
 * the stream, and PCG's set-up steps the generator twice (numpy/random/bit_generator.pyx,
 * src/pcg64).  About 0.1 us against NumPy's 7-8 us, most of them in Python.  MBGD_EINVAL
 * where the compiler has no 128-bit integers, or n_words < 1.
 */
int mbgd_pcg64_seed(mbgd_pcg64 *g, const uint32_t *words, int64_t n_words);

/*
 * The same permutation with the words drawn as bg->next_raw(bg->state) would draw them (in C
 * for a PCG64 of mbgd_pcg64_bitgen): the words the generator's random_raw would return,
 * without their (n-1)-word buffer.
 * With n_threads >= 2 (and n above 8192), one thread draws the words while another takes
 * the steps, when that has been the faster way (each such draw is timed): the same
 * permutation, and the generator left in the same state.
 * isa caps the instruction set of a PCG64's words (enum mbgd_isa, as mbgd_params.isa;
 * MBGD_ISA_AUTO for the best this CPU runs): the same words in every one.
 * The caller holds the generator's lock.
 */
int mbgd_permutation_bitgen(int64_t *order, int64_t n, const mbgd_bitgen *bg, int n_threads,
                            int32_t isa);

/*
 * mbgd_permutation_bitgen(slice->rows, data->n_samples, bg, p->n_threads, p->isa), then
 * mbgd_train_*(p, data, state, slice) on that order (slice->rows holds n_samples
 * entries; the slice may cover any part of them): the same order and the same
 * training.  When the slice's batches run on one thread (no team, no prefetch
 * helper) and p->n_threads >= 2, a second thread draws the order while the first
 * trains on its front, so the draw takes no time of its own.  When they run on a
 * team (dense rows, more than 32 features or more than one output), the first thread
 * trains alone while the second draws, and the team takes over at the first batch
 * boundary after the order is drawn (the same bits on any number of threads).  The order is
 * complete when the call returns MBGD_OK or MBGD_EDIVERGED; with another status
 * (bad arguments, found before anything is drawn or trained) it is not drawn.
 * The caller holds the generator's lock.
 */
int mbgd_train_drawing_f64(const mbgd_params *p, const mbgd_data_f64 *data,
                           mbgd_state_f64 *state, mbgd_slice *slice, const mbgd_bitgen *bg);
int mbgd_train_drawing_f32(const mbgd_params *p, const mbgd_data_f32 *data,
                           mbgd_state_f32 *state, mbgd_slice *slice, const mbgd_bitgen *bg);

/*
 * Several epochs in one call, as that many calls of mbgd_train_* one after another (the
 * same bits: each run's weights' norms summed afresh at its start, its loss sum from 0):
 * the slice's iterations in runs of epoch_iters (the last may be shorter), run r's sum of
 * batch losses into epoch_sums[r].  With bg (not NULL), run r's order is drawn first into
 * slice->rows[r n_samples .. (r + 1) n_samples) by mbgd_permutation_bitgen on one thread,
 * the order mbgd_train_drawing_* would draw for it (slice->rows then holds that many
 * orders, and each run's starts point into its own).  slice->n_done counts the iterations
 * of all runs; on MBGD_EDIVERGED the orders up to the run that diverged are drawn and later
 * runs' neither drawn nor trained.  The caller holds the generator's lock.
 */
int mbgd_train_epochs_f64(const mbgd_params *p, const mbgd_data_f64 *data,
                          mbgd_state_f64 *state, mbgd_slice *slice, int64_t epoch_iters,
                          const mbgd_bitgen *bg, double *epoch_sums);
int mbgd_train_epochs_f32(const mbgd_params *p, const mbgd_data_f32 *data,
                          mbgd_state_f32 *state, mbgd_slice *slice, int64_t epoch_iters,
                          const mbgd_bitgen *bg, double *epoch_sums);

/*
 * Gradient statistics in one pass: *loss and grad as mbgd_gradient_* with the
 * penalties taken from p, and *sq_grad = the mean (sum with reduction_sum) over the
 * rows of |g_i|^2, g_i = sw_i dl_i [x_i, 1] the per-sample gradient of the data
 * term: |g_i|^2 = sum_k (sw_i dl_ik)^2 (|x_i|^2 + fit_intercept).  Nothing per sample
 * is stored.
 */
int mbgd_gradient_noise_f64(const mbgd_params *p, const mbgd_data_f64 *data, const double *theta,
                            const int64_t *rows, int64_t n_rows, double *loss, double *grad,
                            double *sq_grad);
int mbgd_gradient_noise_f32(const mbgd_params *p, const mbgd_data_f32 *data, const float *theta,
                            const int64_t *rows, int64_t n_rows, double *loss, float *grad,
                            double *sq_grad);

/*
 * SGD on the 1-D quadratic f(w) = k w^2 / 2 with per-sample gradient noise
 * N(0, sigma^2) averaged over batch_size samples: w <- w - eta (k w + mean noise),
 * from w = 0; after burn_in steps, the mean and variance of w over n_steps steps.
 * Needs 0 < eta k < 2.  The generator (splitmix64 + Box-Muller) lives on the stack.
 */
int mbgd_simulate_quadratic(double k, double eta, double sigma, int64_t batch_size,
                            int64_t n_steps, int64_t burn_in, uint64_t seed, double *mean_out,
                            double *var_out);

/* Full-data objective (mbgd_gradient_* over every row, without the gradient). */
int mbgd_loss_f64(const mbgd_params *p, const mbgd_data_f64 *data,
                  const double *theta, double *loss);
int mbgd_loss_f32(const mbgd_params *p, const mbgd_data_f32 *data,
                  const float *theta, double *loss);

/*
 * Bandwidth probe for benchmarks: *sum = the sum of every element of the rows
 * rows[0..n_rows) of X (n_features columns), read in that order with the same
 * software prefetch as the training kernels, on n_threads threads.  Its rate is
 * the ceiling for any kernel that reads X in that order.
 */
int mbgd_probe_read_f32(const float *X, int64_t n_features, const int64_t *rows, int64_t n_rows,
                        int32_t n_threads, int32_t isa, double *sum);

/*
 * Cross-core probe for benchmarks: *ns = how long one thread takes to see a cache line the
 * other wrote (half a round trip), over round_trips round trips of a counter passed between
 * two threads, as the packer of b = 1 runs times its own test (and bench/loops/handoff.c).
 * Every barrier and every read of another core's fresh data pays at least this.  *ns = NaN
 * when two threads cannot run (no OpenMP, or OpenMP gave one); MBGD_EINVAL when
 * round_trips < 1.
 */
int mbgd_handoff_ns(int64_t round_trips, double *ns);

/*
 * Legs the relay has run in this process (b = 1 and other batches not split, on two threads:
 * FN(relay) in kernel_impl.h), or with taken != 0 those of them one thread took over from the
 * other, for the tests: whether a call took it.
 */
int64_t mbgd_relay_legs(int taken);

/*
 * Out-of-core gather: rows rows[0..n_rows) of a row-major table stored in the file
 * open as fd, row r at byte offset + r * row_bytes, read with pread (no mapping, so
 * the process holds only out) into out (n_rows * row_bytes bytes), in order, on
 * n_threads threads.  MBGD_EIO when a read fails or the file is too short; MBGD_EINVAL
 * where pread is not available (then read some other way).
 */
int mbgd_read_rows(int fd, int64_t offset, int64_t row_bytes, const int64_t *rows, int64_t n_rows,
                   int32_t n_threads, void *out);

/* MBGD_CDEF_END */

#ifdef __cplusplus
}
#endif

#endif /* MBGD_H */
