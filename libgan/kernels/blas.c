/*
 * blas.c -- the one door to matrix multiplication, and the thread count.
 *
 * All GEMMs of the library go through gan__sgemm, so the BLAS can be swapped
 * (or absent: GAN_USE_OPENBLAS=OFF builds use the reference loop) in one
 * place.  gan__sgemm_ref is the naive twin the tests compare against.
 *
 * Engines, chosen once when the library loads (gan__blas_ctor), by what the
 * CPU supports:
 *   oneDNN   builds with GAN_HAVE_DNNL (libdnnl-dev found by CMake), on a
 *            CPU where oneDNN's JIT runs AVX-512 or AVX2
 *            (gan__dnnl_select), if dnnl_sgemm passes the self-test: its
 *            kernels follow cpuid, whatever OPENBLAS_CORETYPE pins
 *            OpenBLAS to (on AVX-512 it matches OpenBLAS' SkylakeX kernels
 *            and runs 1.5-2x its Haswell ones on libgan's shapes:
 *            bench/gemm_shapes.c).  Some A^T B products stay with OpenBLAS,
 *            by shape (gan__engine_for).
 *   rows16   libgan's AVX2 kernel for A B^T with 13-16 rows (gemm_rows.c),
 *            on x86-64 CPUs with AVX2 + FMA and no AVX-512, in every
 *            OpenBLAS build: batch-1 sampling's products, where it streams
 *            the weights that the other engines repack on every call.
 *   OpenBLAS the portable path (any CPU, and builds without oneDNN).
 *   naive    gan__sgemm_ref, in builds without OpenBLAS.
 *
 * Threads, in every OpenBLAS build: libgan's own pool (pool.c),
 * gan__threads strong, splits each large GEMM into blocks of C, one
 * single-threaded engine call each (gan__pool_gemm), and runs the
 * element-wise work between GEMMs; OpenBLAS itself runs one thread per
 * call.  (With OpenBLAS threading its own GEMMs, as it did on CPUs
 * without AVX-512 before 2026-12-07, its workers spin after each call and
 * the work between GEMMs ran on one core: on a 2-core AMD EPYC with AVX2
 * the pool alone made 2-thread training steps 1.05-1.11x and sampling
 * 1.11-1.16x faster; docs/performance.md.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "kernels/kernels.h"

#ifdef GAN_HAVE_OPENBLAS
#  include <cblas.h>
#endif
#ifdef GAN_HAVE_DNNL
#  include <omp.h>
#  include <oneapi/dnnl/dnnl.h>
#  include <signal.h>
#  include <time.h>
#  include <pthread.h>
#endif

static int gan__threads = 1;

/* Tests set this to route every GEMM through gan__sgemm_ref, whose results
   do not depend on the CPU or the BLAS kernel (tests/check_baseline.c). */
int gan__blas_force_ref = 0;

#ifdef GAN_HAVE_OPENBLAS
enum { GAN__ENGINE_DNNL, GAN__ENGINE_OPENBLAS, GAN__ENGINE_ROWS16 };
/* Set by the constructor: libgan's few-rows AVX2 kernel (gemm_rows.c)
   takes the A B^T products of 13-16 rows (gan__engine_for). */
static int gan__use_rows16 = 0;
static char gan__rows16_note[64] = "";
static int gan__engine_for(int trans_a, int trans_b, int m, int n, int k, float beta);
static void gan__pool_gemm(int engine, int trans_a, int trans_b, int m, int n, int k, float alpha,
                           const float *a, int lda, const float *b, int ldb, float beta, float *c,
                           int ldc);
#endif
#ifdef GAN_HAVE_DNNL
/* Set by the constructor, before any GEMM of libgan's: which GEMMs go to
   oneDNN (gan__engine_for). */
enum { GAN__DNNL_NONE, GAN__DNNL_ALL, GAN__DNNL_AVX2 };
static int gan__use_dnnl = GAN__DNNL_NONE;
/* Nonzero when OpenBLAS runs an AVX-512 kernel (then it keeps the A^T B
   products, which it runs faster than oneDNN: see gan__engine_for). */
static int gan__openblas_avx512 = 0;
static char gan__dnnl_note[160] = "";
/* The signals held back during each dnnl_sgemm (gan__gemm_dnnl), filled
   once when oneDNN is chosen. */
static sigset_t gan__dnnl_held;
#endif

gan_status gan_set_threads(int n)
{
    if (n < 0 || n > 1024)
        return gan__err(GAN_EINVAL, "gan_set_threads: thread count %d out of range 0..1024", n);
    if (n == 0) {
#ifdef GAN_HAVE_OPENBLAS
        n = openblas_get_num_procs();
#else
        n = 1;
#endif
        if (n < 1)
            n = 1;
    }
    gan__threads = n;
    /* OpenBLAS stays at one thread: libgan's pool threads its GEMMs. */
    return GAN_OK;
}

int gan_get_threads(void)
{
    return gan__threads;
}

int gan__pool_threads(void)
{
#ifdef GAN_HAVE_OPENBLAS
    return gan__threads;
#else
    return 1;
#endif
}

void gan__sgemm_ref(int trans_a, int trans_b, int m, int n, int k, float alpha,
                    const float *a, int lda, const float *b, int ldb, float beta,
                    float *c, int ldc)
{
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            double acc = 0.0;
            for (int p = 0; p < k; p++) {
                float av = trans_a ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                float bv = trans_b ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                acc += (double)av * bv;
            }
            float *cij = &c[(size_t)i * ldc + j];
            /* beta == 0 must ignore C, which may hold NaN garbage. */
            *cij = (float)(alpha * acc) + (beta == 0.0f ? 0.0f : beta * *cij);
        }
    }
}

#ifdef GAN_HAVE_OPENBLAS
/*
 * The engine of one GEMM, from its shape and the engines chosen at load
 * time only (so the same call gets the same engine, and the same bits,
 * every time).  Measured per shape with bench/gemm_shapes.c:
 *   AVX-512 (GAN__DNNL_ALL): oneDNN, except op(A) = A^T with op(B) = B
 *     (the weight gradients) where OpenBLAS runs its AVX-512 kernels:
 *     there OpenBLAS' SkylakeX kernel runs 1.1-1.6x oneDNN's, and oneDNN
 *     1.3-1.9x OpenBLAS' Haswell one.
 *   AVX2 (GAN__DNNL_AVX2): oneDNN, except the A^T B products with M and N
 *     above 64, where OpenBLAS' Haswell/Zen kernel runs 85-94 GFLOP/s on
 *     one core and oneDNN's 39-90.  Elsewhere oneDNN is 0.95-1.1x
 *     OpenBLAS on the large products and far ahead where a side is short,
 *     because OpenBLAS packs both operands on every call: at batch 1
 *     (M = 12-16 rows against 1024 x 512 weights) OpenBLAS spent a third
 *     of its time packing the weights and reached 54-61 GFLOP/s (oneDNN
 *     67-73), 6.4 on the latent's one-row product (oneDNN 30), 66-81 on a
 *     K of 25-64 (the first and last convolutions; oneDNN 84-93).  Zen 3,
 *     one core; docs/performance.md.
 *   AVX2 without AVX-512, any build: A B^T with 13-16 rows (batch-1
 *     sampling's first transposed convolution) by libgan's own kernel
 *     (gemm_rows.c), which streams the weights without repacking them:
 *     in a sampling pass 144 GFLOP/s on two cores against oneDNN's 125,
 *     57 against 46 on one core with the weights in memory.  With fewer
 *     rows it wastes lanes (12 rows cost what 16 do: oneDNN is as fast).
 *     Its K must fit one block or beta be 0 (gan__sgemm_rows16).
 */
static int gan__engine_for(int trans_a, int trans_b, int m, int n, int k, float beta)
{
    (void)n;
    if (gan__use_rows16 && !trans_a && trans_b && m >= 13 && m <= 16 && (k <= 512 || beta == 0.0f))
        return GAN__ENGINE_ROWS16;
#  ifdef GAN_HAVE_DNNL
    switch (gan__use_dnnl) {
    case GAN__DNNL_ALL:
        return trans_a && !trans_b && gan__openblas_avx512 ? GAN__ENGINE_OPENBLAS
                                                           : GAN__ENGINE_DNNL;
    case GAN__DNNL_AVX2:
        return trans_a && !trans_b && m > 64 && n > 64 ? GAN__ENGINE_OPENBLAS : GAN__ENGINE_DNNL;
    default:
        return GAN__ENGINE_OPENBLAS;
    }
#  else
    (void)trans_a;
    return GAN__ENGINE_OPENBLAS;
#  endif
}
#endif

void gan__sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta,
                float *c, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0) {
        /* Nothing to multiply: C = beta * C. */
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                c[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[(size_t)i * ldc + j];
        return;
    }
    if (gan__blas_force_ref) {
        gan__sgemm_ref(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
#if defined(GAN_HAVE_OPENBLAS)
    gan__pool_gemm(gan__engine_for(trans_a, trans_b, m, n, k, beta), trans_a, trans_b, m, n, k,
                   alpha, a, lda, b, ldb, beta, c, ldc);
#else
#  if defined(__wasm_simd128__)
    if (gan__sgemm_wasm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
        return;
#  endif
    gan__sgemm_ref(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

typedef void (*gan__gemm_fn)(int trans_a, int trans_b, int m, int n, int k, float alpha,
                             const float *a, int lda, const float *b, int ldb, float beta,
                             float *c, int ldc);

/* x[0..n) uniform in [-1, 1] in steps of 1/1000, from the stream st. */
static void gan__self_test_fill(float *x, size_t n, uint64_t *st)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((int)(gan__splitmix64(st) % 2001) - 1000) / 1000.0f;
}

/* One product through fn against the naive loop, C starting at 0.5
   (compact leading dimensions).  1 if they agree. */
static int gan__self_test_case(gan__gemm_fn fn, int ta, int tb, int m, int n, int k, float beta,
                               const float *a, const float *b, float *c, float *r)
{
    const int lda = ta ? m : k, ldb = tb ? k : n;
    for (int i = 0; i < m * n; i++)
        c[i] = r[i] = 0.5f;
    fn(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, n);
    gan__sgemm_ref(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, r, n);
    for (int i = 0; i < m * n; i++) {
        float d = c[i] - r[i];
        if (!(d < 1e-3f && d > -1e-3f))
            return 0;
    }
    return 1;
}

/* Awkward shapes (edges of every blocking) in all transpose combinations,
   through fn, compared with the naive loop.  1 if all agree. */
static int gan__self_test_with(gan__gemm_fn fn)
{
    static const int shapes[][3] = {{1, 1, 1}, {37, 29, 53}, {67, 3, 130}, {5, 70, 33}, {96, 48, 64}};
    float a[130 * 70], b[130 * 70], c[70 * 70], r[70 * 70];
    uint64_t st = 12345;
    gan__self_test_fill(a, sizeof a / sizeof a[0], &st);
    gan__self_test_fill(b, sizeof b / sizeof b[0], &st);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 4; t++)
            if (!gan__self_test_case(fn, t & 1, t >> 1, shapes[s][0], shapes[s][1], shapes[s][2],
                                     0.5f, a, b, c, r))
                return 0;
    return 1;
}

#ifdef GAN_HAVE_OPENBLAS
static void gan__gemm_openblas(int trans_a, int trans_b, int m, int n, int k, float alpha,
                               const float *a, int lda, const float *b, int ldb, float beta,
                               float *c, int ldc);
#  ifdef GAN_HAVE_DNNL
static void gan__gemm_dnnl(int trans_a, int trans_b, int m, int n, int k, float alpha,
                           const float *a, int lda, const float *b, int ldb, float beta, float *c,
                           int ldc);
#  endif
#endif

/* The self-test of the engines in use: OpenBLAS, and oneDNN if chosen
   (builds without OpenBLAS: gan__sgemm itself, e.g. the WebAssembly
   kernel). */
int gan__blas_self_test(void)
{
#ifdef GAN_HAVE_OPENBLAS
    if (!gan__self_test_with(gan__gemm_openblas))
        return 0;
#  ifdef GAN_HAVE_DNNL
    if (gan__use_dnnl && !gan__self_test_with(gan__gemm_dnnl))
        return 0;
#  endif
    return 1;
#else
    return gan__self_test_with(gan__sgemm);
#endif
}


/* ---- choosing OpenBLAS' kernel ----------------------------------------------
 *
 * A DYNAMIC_ARCH OpenBLAS (Debian's) picks its kernels in its own
 * constructor, from OPENBLAS_CORETYPE if set, else from cpuid.  That choice
 * can be far below what the CPU offers: 0.3.21 does not know recent CPUs and
 * falls back to Prescott (SSE3) kernels, and environments set
 * OPENBLAS_CORETYPE=Haswell (AVX2) on AVX-512 machines.  SGEMM then runs at
 * a fifth to a half of the speed the AVX-512 (SkylakeX) kernels reach.
 *
 * libgan's constructor runs after OpenBLAS' (libgan depends on it), so it
 * cannot set the variable in time.  Instead it asks OpenBLAS to choose
 * again: gotoblas_dynamic_quit() + gotoblas_dynamic_init() are exported by
 * every DYNAMIC_ARCH build and re-read OPENBLAS_CORETYPE, which libgan sets
 * for the duration of that call only (and then restores).  The policy, from
 * GAN_BLAS_CORETYPE:
 *   unset or "auto"  if OPENBLAS_CORETYPE is set, keep OpenBLAS' choice:
 *                    some environments set it on purpose, because older
 *                    OpenBLAS kernels compute wrong results or crash on
 *                    their CPU.  Otherwise, if the CPU and OS support
 *                    AVX-512 (F, CD, BW, DQ, VL) and OpenBLAS runs a
 *                    non-AVX-512 kernel, switch to SkylakeX; else if they
 *                    support AVX2 + FMA and OpenBLAS runs an older kernel
 *                    than Haswell, switch to Haswell.
 *   "keep"           never switch (OpenBLAS' own choice stands).
 *   a core name      switch to that OpenBLAS core (e.g. "Haswell").
 * Every switch is followed by a self-test (GEMMs of awkward shapes in all
 * four transpose combinations against gan__sgemm_ref); if it fails, the
 * previous kernel is restored.  The switch is process-wide: other users of
 * the same OpenBLAS in the process get the faster kernel too.  It happens
 * once, when libgan is loaded, before any GEMM of libgan's.
 * gan_blas_info() reports what happened.
 */
#ifdef GAN_HAVE_OPENBLAS
char *openblas_get_corename(void);
char *openblas_get_config(void);
/* Weak: absent from single-target (non DYNAMIC_ARCH) OpenBLAS builds. */
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));
#endif

static char gan__blas_note[192] GAN__UNUSED = "no kernel selection (library constructor did not run)";

#ifdef GAN_HAVE_OPENBLAS
static int gan__core_is(const char *core, const char *const *names)
{
    for (; *names; names++)
        if (strcasecmp(core, *names) == 0)
            return 1;
    return 0;
}

/* Re-run OpenBLAS' kernel selection with OPENBLAS_CORETYPE = core. */
static void gan__openblas_force(const char *core)
{
    const char *env = getenv("OPENBLAS_CORETYPE");
    char old[64];
    int had = env != NULL && strlen(env) < sizeof old;
    if (had)
        strcpy(old, env);
    setenv("OPENBLAS_CORETYPE", core, 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    if (had)
        setenv("OPENBLAS_CORETYPE", old, 1);
    else
        unsetenv("OPENBLAS_CORETYPE");
}

static void gan__gemm_openblas(int trans_a, int trans_b, int m, int n, int k, float alpha,
                               const float *a, int lda, const float *b, int ldb, float beta,
                               float *c, int ldc)
{
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#ifdef GAN_HAVE_DNNL
/* One oneDNN GEMM on the calling thread.  dnnl_sgemm only fails on bad
   arguments (callers pass sizes > 0 and leading dimensions >= the row
   length) or when its packing buffers cannot be allocated: then OpenBLAS
   computes the same block. */
static void gan__gemm_dnnl(int trans_a, int trans_b, int m, int n, int k, float alpha,
                           const float *a, int lda, const float *b, int ldb, float beta, float *c,
                           int ldc)
{
    /* oneDNN's own threads (OpenMP) stay unused: libgan splits the GEMM
       over its threads (below), one level.  The OpenMP thread count is per
       calling thread, so each thread sets it once. */
    static _Thread_local int one_thread;
    sigset_t saved;
    dnnl_status_t st;
    if (!one_thread) {
        omp_set_num_threads(1);
        one_thread = 1;
    }
    /* oneDNN 2.x's JIT f32 GEMM kernels point rsp at a heap workspace while
       they run, so a signal delivered then writes its frame into the heap
       (oneDNN issue #4845, fixed upstream in 2026, not in Debian's 2.6.3):
       a Ctrl-C handler, Python's SIGINT handler or a sampling profiler
       corrupted malloc's chunks here ("corrupted size vs. prev_size" in 2 of
       30 interrupted training runs).  Asynchronous signals stay pending for
       the call (two syscalls per block, well under 1 % of a GEMM worth
       threading) and arrive right after it; faults are left unblocked so
       a crash still reports where it happened. */
    pthread_sigmask(SIG_BLOCK, &gan__dnnl_held, &saved);
    st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta,
                    c, ldc);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (st != dnnl_success)
        gan__gemm_openblas(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
#endif

/*
 * Multi-threaded GEMM: libgan's pool (pool.c: gan__threads - 1 workers
 * plus the caller) computes C in row or column blocks, one dnnl_sgemm (or,
 * for OpenBLAS' A^T B products, one cblas_sgemm) each
 * (single-threaded).  Every element of C is computed by one call over the
 * whole K, and the blocks depend only on (M, N, K) and the thread count, so
 * results are reproducible.
 */
#if GAN__HAVE_ROWS16
/* The few-rows kernel as an engine: gan__engine_for gives it only
   A B^T products of at most 16 rows, with k <= 512 or beta == 0. */
static void gan__gemm_rows16(int trans_a, int trans_b, int m, int n, int k, float alpha,
                             const float *a, int lda, const float *b, int ldb, float beta, float *c,
                             int ldc)
{
    (void)trans_a;
    (void)trans_b;
    gan__sgemm_rows16(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* Its self-test: the shapes it takes (13-16 rows; partial columns; two
   K blocks with beta 0) against the naive loop. */
static int gan__self_test_rows16(void)
{
    static const int shapes[][4] = {{13, 70, 33, 1}, {16, 7, 130, 1}, {16, 11, 520, 0}};
    static float a[16 * 520], b[70 * 130], c[16 * 70], r[16 * 70];
    uint64_t st = 54321;
    gan__self_test_fill(a, sizeof a / sizeof a[0], &st);
    gan__self_test_fill(b, sizeof b / sizeof b[0], &st);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        if (!gan__self_test_case(gan__gemm_rows16, 0, 1, shapes[s][0], shapes[s][1], shapes[s][2],
                                 shapes[s][3] ? 0.5f : 0.0f, a, b, c, r))
            return 0;
    return 1;
}
#endif

typedef struct gan__gemm_job {
    int engine, ta, tb, m, n, k, lda, ldb, ldc, parts, split_m, step;
    float alpha, beta;
    const float *a, *b;
    float *c;
} gan__gemm_job;

static void gan__gemm_part(void *ctx, int p)
{
    const gan__gemm_job *j = ctx;
    const int lo = p * j->step, len = (j->split_m ? j->m : j->n) - lo;
    const int cnt = len < j->step ? len : j->step;
    gan__gemm_fn gemm = gan__gemm_openblas;
#ifdef GAN_HAVE_DNNL
    if (j->engine == GAN__ENGINE_DNNL)
        gemm = gan__gemm_dnnl;
#endif
#if GAN__HAVE_ROWS16
    if (j->engine == GAN__ENGINE_ROWS16)
        gemm = gan__gemm_rows16;
#endif
    if (cnt <= 0)
        return;
    if (j->split_m)
        gemm(j->ta, j->tb, cnt, j->n, j->k, j->alpha,
             j->ta ? j->a + lo : j->a + (size_t)lo * j->lda, j->lda, j->b, j->ldb, j->beta,
             j->c + (size_t)lo * j->ldc, j->ldc);
    else
        gemm(j->ta, j->tb, j->m, cnt, j->k, j->alpha, j->a, j->lda,
             j->tb ? j->b + (size_t)lo * j->ldb : j->b + lo, j->ldb, j->beta, j->c + lo, j->ldc);
}

static void gan__pool_gemm(int engine, int trans_a, int trans_b, int m, int n, int k, float alpha,
                           const float *a, int lda, const float *b, int ldb, float beta, float *c,
                           int ldc)
{
    const int threads = gan__threads;
    gan__gemm_job j = {engine, trans_a, trans_b, m, n, k, lda, ldb, ldc,
                       1, 1, m, alpha, beta, a, b, c};
    /* Below ~1M multiply-adds (about 20 us on one AVX2 core) handing a
       block to another thread costs more than it saves.  (The pool's
       threads poll for 50 us after each job, so between the products of
       one pass they are awake; 4M, the bound measured on AVX-512, left
       the batch-1 sampler's one-row latent product, a 4 MB read, on one
       core of an AVX2 CPU: the pass took 5 % longer.  AVX-512 CPUs,
       where oneDNN takes every product, keep the 4M they were measured
       with.) */
    double min_macs = 1e6;
#ifdef GAN_HAVE_DNNL
    if (gan__use_dnnl == GAN__DNNL_ALL)
        min_macs = 4e6;
#endif
    if (threads > 1 && (double)m * n * k >= min_macs) {
        /* Split the longer side of C, in blocks that keep the kernels'
           tiles whole (rows of 16 for M, columns of 32 for N where
           possible). */
        const int split_m = m >= n, len = split_m ? m : n, unit = split_m ? 16 : 32;
        int step = (len + threads - 1) / threads;
        if (len >= threads * unit)
            step = (step + unit - 1) / unit * unit;
        j.split_m = split_m;
        j.step = step;
        j.parts = (len + step - 1) / step;
    }
    /* A pool that is busy (another caller's job, or this GEMM runs inside
       one of its parts) runs the same blocks on this thread: same bits. */
    gan__pool_run(threads, j.parts, gan__gemm_part, &j);
}

static void gan__blas_select(void)
{
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
    static const char *const avx2[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids",
                                       "Excavator", NULL};
    const char *mode = getenv("GAN_BLAS_CORETYPE");
    char before[32];
    const char *want = NULL;
    if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit) {
        snprintf(gan__blas_note, sizeof gan__blas_note,
                 "single-target OpenBLAS: kernel fixed at build time");
        return;
    }
    snprintf(before, sizeof before, "%s", openblas_get_corename());
    if (mode && strcasecmp(mode, "keep") == 0) {
        snprintf(gan__blas_note, sizeof gan__blas_note,
                 "kept OpenBLAS' choice (GAN_BLAS_CORETYPE=keep)");
        return;
    }
    if (mode && *mode && strcasecmp(mode, "auto") != 0) {
        want = mode;
    } else if (getenv("OPENBLAS_CORETYPE") && *getenv("OPENBLAS_CORETYPE")) {
        snprintf(gan__blas_note, sizeof gan__blas_note,
                 "kept OPENBLAS_CORETYPE=%.40s from the environment (GAN_BLAS_CORETYPE=<core> "
                 "overrides it)", getenv("OPENBLAS_CORETYPE"));
        return;
    } else {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
            __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
            __builtin_cpu_supports("avx512vl")) {
            if (!gan__core_is(before, avx512))
                want = "SkylakeX";
        } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            if (!gan__core_is(before, avx2))
                want = "Haswell";
        }
    }
    if (want == NULL || strcasecmp(want, before) == 0) {
        snprintf(gan__blas_note, sizeof gan__blas_note, "OpenBLAS' own choice kept (best for this CPU)");
        return;
    }
    gan__openblas_force(want);
    if (!gan__self_test_with(gan__gemm_openblas)) {
        gan__openblas_force(before);
        snprintf(gan__blas_note, sizeof gan__blas_note,
                 "%s failed libgan's GEMM self-test; back to %s", want, before);
        return;
    }
    snprintf(gan__blas_note, sizeof gan__blas_note, "switched by libgan from %s to %s (%s)", before,
             openblas_get_corename(),
             mode && *mode && strcasecmp(mode, "auto") != 0 ? "GAN_BLAS_CORETYPE" : "cpuid");
}

#ifdef GAN_HAVE_DNNL
/* oneDNN where its JIT dispatches to AVX-512 (avx512_core or later; it
   reports the ISA it uses) or to AVX2, for the products gan__engine_for
   gives it, after a self-test against the naive loop. */
static void gan__dnnl_select(void)
{
    sigfillset(&gan__dnnl_held); /* the asynchronous ones: faults stay deliverable */
    sigdelset(&gan__dnnl_held, SIGSEGV);
    sigdelset(&gan__dnnl_held, SIGBUS);
    sigdelset(&gan__dnnl_held, SIGFPE);
    sigdelset(&gan__dnnl_held, SIGILL);
    sigdelset(&gan__dnnl_held, SIGTRAP);
    const dnnl_version_t *v = dnnl_version();
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    const char *name = isa == dnnl_cpu_isa_avx512_core_amx ? "avx512_core_amx"
                       : isa == dnnl_cpu_isa_avx512_core_bf16 ? "avx512_core_bf16"
                       : isa == dnnl_cpu_isa_avx512_core_vnni ? "avx512_core_vnni"
                       : isa == dnnl_cpu_isa_avx512_core ? "avx512_core"
                       : isa == dnnl_cpu_isa_avx2_vnni ? "avx2_vnni"
                       : isa == dnnl_cpu_isa_avx2 ? "avx2"
                                                  : NULL;
    const int mode = name == NULL ? GAN__DNNL_NONE
                     : isa == dnnl_cpu_isa_avx2 || isa == dnnl_cpu_isa_avx2_vnni ? GAN__DNNL_AVX2
                                                                                 : GAN__DNNL_ALL;
    if (name == NULL) {
        snprintf(gan__dnnl_note, sizeof gan__dnnl_note,
                 "oneDNN %d.%d.%d not used: its JIT has neither AVX2 nor AVX-512 here; ",
                 v->major, v->minor, v->patch);
        return;
    }
    {
        static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
        gan__openblas_avx512 = gan__core_is(openblas_get_corename(), avx512);
    }
    if (!gan__self_test_with(gan__gemm_dnnl)) {
        snprintf(gan__dnnl_note, sizeof gan__dnnl_note,
                 "oneDNN %d.%d.%d failed libgan's GEMM self-test, not used; ", v->major, v->minor,
                 v->patch);
        return;
    }
    gan__use_dnnl = mode;
    snprintf(gan__dnnl_note, sizeof gan__dnnl_note, "oneDNN %d.%d.%d sgemm, ISA %s (cpuid)%s; ",
             v->major, v->minor, v->patch, name,
             mode == GAN__DNNL_AVX2 ? ", large A^T B products by OpenBLAS"
             : gan__openblas_avx512   ? ", A^T B products by OpenBLAS"
                                      : "");
}

#endif

__attribute__((constructor)) static void gan__blas_ctor(void)
{
    int n;
    gan__blas_select();
    /* libgan starts with as many threads as OpenBLAS would have run
       (OPENBLAS_NUM_THREADS, or one per core), so gan_get_threads() tells
       the truth from the start; OpenBLAS then runs one thread per call,
       libgan's pool the rest (gan__pool_gemm). */
    n = openblas_get_num_threads();
    gan__threads = n >= 1 ? n : 1;
    openblas_set_num_threads(1);
#ifdef GAN_HAVE_DNNL
    gan__dnnl_select();
#endif
#if GAN__HAVE_ROWS16
    /* AVX2 CPUs only: on AVX-512 ones it was not measured against
       oneDNN's AVX-512 kernels. */
    __builtin_cpu_init();
    if (gan__rows16_available() && !__builtin_cpu_supports("avx512f") && gan__self_test_rows16()) {
        gan__use_rows16 = 1;
        snprintf(gan__rows16_note, sizeof gan__rows16_note,
                 "A B^T products of 13-16 rows by libgan's AVX2 kernel; ");
    }
#endif
}
#endif

gan_status gan_blas_info(char *buf, size_t cap, size_t *needed)
{
    char tmp[512];
    int len;
    if (buf == NULL && cap != 0)
        return gan__err(GAN_EINVAL, "gan_blas_info: buf is NULL but cap is %zu", cap);
#ifdef GAN_HAVE_OPENBLAS
#  ifdef GAN_HAVE_DNNL
    const char *eng = gan__use_dnnl ? "; OpenBLAS as fallback" : "";
    const char *dn = gan__dnnl_note;
#  else
    const char *eng = "", *dn = "";
#  endif
    len = snprintf(tmp, sizeof tmp, "%s%sOpenBLAS, kernel %s%s; %s; threads %d; config: %s", dn,
                   gan__rows16_note, openblas_get_corename(), eng, gan__blas_note, gan__threads,
                   openblas_get_config());
#else
    len = snprintf(tmp, sizeof tmp, "no BLAS: naive reference GEMM; threads %d", gan__threads);
#endif
    if (len < 0)
        len = 0;
    if (len >= (int)sizeof tmp)
        len = (int)sizeof tmp - 1;
    if (cap) {
        size_t n = (size_t)len < cap - 1 ? (size_t)len : cap - 1;
        memcpy(buf, tmp, n);
        buf[n] = '\0';
    }
    if (needed)
        *needed = (size_t)len;
    return GAN_OK;
}
