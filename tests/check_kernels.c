/*
 * check_kernels.c -- every fast kernel of issue 9 against its naive twin
 * (bit for bit where the fast kernel promises the same bits), and the BLAS
 * kernel selection (self-test, gan_blas_info).
 */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nn/nn.h"
#include "kernels/kernels.h"
#include "test_util.h"

/* Sizes that exercise vector bodies and scalar tails. */
static const size_t sizes[] = {0, 1, 3, 4, 7, 16, 31, 64, 1000, 4099};
#define N_SIZES (sizeof sizes / sizeof sizes[0])

START_TEST(test_leaky_matches_ref)
{
    const float alphas[] = {0.0f, 0.2f, 0.3f};
    for (size_t si = 0; si < N_SIZES; si++)
        for (size_t ai = 0; ai < 3; ai++) {
            size_t n = sizes[si];
            float *x = tu_alloc(n + 4), *dy = tu_alloc(n + 4);
            float *y = tu_alloc(n + 4), *yr = tu_alloc(n + 4);
            tu_fill(x, n, 11 + si, -2.0f, 2.0f);
            tu_fill(dy, n, 17 + si, -1.0f, 1.0f);
            if (n > 3) {   /* zeros, NaN and infinities behave as in the twin */
                x[0] = 0.0f;
                x[1] = NAN;
                x[2] = -INFINITY;
                x[3] = -0.0f;
            }
            gan__leaky_forward(n, alphas[ai], x, y);
            gan__leaky_forward_ref(n, alphas[ai], x, yr);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(memcmp(&y[i], &yr[i], sizeof(float)) == 0 || (isnan(y[i]) && isnan(yr[i])),
                              "forward n=%zu i=%zu: %g vs %g", n, i, y[i], yr[i]);
            gan__leaky_backward(n, alphas[ai], x, dy, y);
            gan__leaky_backward_ref(n, alphas[ai], x, dy, yr);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(memcmp(&y[i], &yr[i], sizeof(float)) == 0 || (isnan(y[i]) && isnan(yr[i])),
                              "backward n=%zu i=%zu: %g vs %g", n, i, y[i], yr[i]);
            /* The in-place variants (plan.c): y over x, dx over dy. */
            memcpy(y, dy, n * sizeof(float));
            gan__leaky_backward_inplace(n, alphas[ai], x, y);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(memcmp(&y[i], &yr[i], sizeof(float)) == 0 || (isnan(y[i]) && isnan(yr[i])),
                              "backward in place n=%zu i=%zu: %g vs %g", n, i, y[i], yr[i]);
            gan__leaky_forward_ref(n, alphas[ai], x, yr);
            memcpy(y, x, n * sizeof(float));
            gan__leaky_forward_inplace(n, alphas[ai], y);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(memcmp(&y[i], &yr[i], sizeof(float)) == 0 || (isnan(y[i]) && isnan(yr[i])),
                              "forward in place n=%zu i=%zu: %g vs %g", n, i, y[i], yr[i]);
            /* Backward from the forward's output: the same slopes. */
            {
                float *g = tu_alloc(n + 4), *gr = tu_alloc(n + 4);
                gan__leaky_backward(n, alphas[ai], y, dy, g);
                gan__leaky_backward_ref(n, alphas[ai], x, dy, gr);
                ck_assert(n == 0 || memcmp(g, gr, n * sizeof(float)) == 0);
                free(g); free(gr);
            }
            free(x); free(dy); free(y); free(yr);
        }
}
END_TEST

START_TEST(test_dropout_matches_ref)
{
    const double rates[] = {0.1, 0.3, 0.5, 0.9};
    for (size_t si = 0; si < N_SIZES; si++)
        for (size_t ri = 0; ri < 4; ri++) {
            size_t n = sizes[si];
            uint32_t thr = (uint32_t)(rates[ri] * 4294967296.0);
            uint64_t key = 0x0123456789abcdefull * (si + 1) + ri;
            unsigned char *m = malloc(n + 1), *mr = malloc(n + 1);
            float *x = tu_alloc(n + 1), *y = tu_alloc(n + 1), *yr = tu_alloc(n + 1);
            gan__dropout_mask(n, key, thr, m);
            gan__dropout_mask_ref(n, key, thr, mr);
            ck_assert(n == 0 || memcmp(m, mr, n) == 0);
            tu_fill(x, n, 5, -3.0f, 3.0f);
            if (n > 2)
                x[1] = NAN;
            gan__dropout_apply(n, 1.25f, m, x, y);
            gan__dropout_apply_ref(n, 1.25f, m, x, yr);
            for (size_t i = 0; i < n; i++)
                ck_assert(memcmp(&y[i], &yr[i], sizeof(float)) == 0 || (isnan(y[i]) && isnan(yr[i])));
            memcpy(y, x, n * sizeof(float));
            gan__dropout_apply_inplace(n, 1.25f, m, y);
            for (size_t i = 0; i < n; i++)
                ck_assert(memcmp(&y[i], &yr[i], sizeof(float)) == 0 || (isnan(y[i]) && isnan(yr[i])));
            free(m); free(mr); free(x); free(y); free(yr);
        }
}
END_TEST

/* The kept fraction is close to 1 - rate and masks of different keys differ. */
START_TEST(test_dropout_mask_statistics)
{
    const size_t n = 200000;
    unsigned char *a = malloc(n), *b = malloc(n);
    const double rates[] = {0.1, 0.3, 0.5};
    for (int r = 0; r < 3; r++) {
        size_t kept = 0, same = 0, runs = 0;
        gan__dropout_mask(n, 42 + (uint64_t)r, (uint32_t)(rates[r] * 4294967296.0), a);
        gan__dropout_mask(n, 43 + (uint64_t)r, (uint32_t)(rates[r] * 4294967296.0), b);
        for (size_t i = 0; i < n; i++) {
            kept += a[i];
            same += a[i] == b[i];
            runs += i && a[i] != a[i - 1];
        }
        double p = 1.0 - rates[r];
        ck_assert_msg(fabs((double)kept / n - p) < 0.01, "rate %g kept %zu", rates[r], kept);
        /* independent masks agree with probability p^2 + (1-p)^2 */
        ck_assert(fabs((double)same / n - (p * p + (1 - p) * (1 - p))) < 0.01);
        /* no long-range structure: switches occur at rate 2 p (1 - p) */
        ck_assert(fabs((double)runs / n - 2 * p * (1 - p)) < 0.01);
    }
    free(a);
    free(b);
}
END_TEST

/* col2im against its twin for the seed networks' geometries and borders. */
START_TEST(test_col2im_matches_ref)
{
    static const int cfg[][6] = {
        /* ih, iw, ic, k, s, pad_before */
        {8, 8, 256, 4, 2, 1}, {32, 32, 3, 4, 1, 1}, {28, 28, 1, 5, 2, 1},
        {7, 7, 128, 5, 1, 2}, {14, 14, 64, 5, 2, 1}, {5, 9, 3, 3, 2, 0}, {6, 6, 2, 4, 1, 1},
    };
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        gan__conv_geom g;
        memset(&g, 0, sizeof g);
        g.ih = cfg[c][0]; g.iw = cfg[c][1]; g.ic = cfg[c][2];
        g.kh = g.kw = cfg[c][3]; g.sh = g.sw = cfg[c][4];
        g.pad_top = g.pad_left = cfg[c][5];
        g.oh = (g.ih + g.sh - 1) / g.sh;
        g.ow = (g.iw + g.sw - 1) / g.sw;
        const int n = 3;
        size_t ncol = (size_t)n * g.oh * g.ow * g.kh * g.kw * g.ic;
        size_t nimg = (size_t)n * g.ih * g.iw * g.ic;
        float *col = tu_alloc(ncol), *x = tu_alloc(nimg), *xr = tu_alloc(nimg);
        tu_fill(col, ncol, 3 + c, -1.0f, 1.0f);
        tu_fill(x, nimg, 9, -1.0f, 1.0f);
        memcpy(xr, x, nimg * sizeof(float));
        gan__col2im(&g, n, col, x);
        gan__col2im_ref(&g, n, col, xr);
        ck_assert_msg(memcmp(x, xr, nimg * sizeof(float)) == 0, "geometry %zu", c);
        free(col); free(x); free(xr);
    }
}
END_TEST

START_TEST(test_bias_helpers)
{
    const size_t rows = 37, cols = 13;
    float *y = tu_alloc(rows * cols), *yr = tu_alloc(rows * cols), b[13], db[13], dbr[13];
    tu_fill(y, rows * cols, 1, -1.0f, 1.0f);
    tu_fill(b, cols, 2, -1.0f, 1.0f);
    memcpy(yr, y, rows * cols * sizeof(float));
    gan__add_bias_rows(y, b, rows, cols);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            yr[i * cols + j] += b[j];
    ck_assert(memcmp(y, yr, rows * cols * sizeof(float)) == 0);
    tu_fill(db, cols, 3, -1.0f, 1.0f);
    memcpy(dbr, db, sizeof db);
    gan__bias_grad_rows(db, y, rows, cols);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            dbr[j] += y[i * cols + j];
    ck_assert(memcmp(db, dbr, sizeof db) == 0);
    free(y);
    free(yr);
}
END_TEST

/*
 * gan__sgemm (whichever engine the library chose: oneDNN, OpenBLAS or the
 * naive loop) against gan__sgemm_ref on odd shapes (edges of every
 * blocking, single rows and columns, large K), all four transpose
 * combinations, padded leading dimensions, alpha != 1, beta in {0, 1,
 * 0.5} (beta 0 must ignore NaN in C), with 1 and 2 threads, through every
 * engine libgan picks by shape (where oneDNN is in use on an AVX2 CPU, the
 * A^T B products with M and N above 64 go to OpenBLAS: 129x65x257 and
 * 301x77x200, the latter split over the threads); and the same
 * call twice gives the same bits (the reproducibility promise: same
 * build, CPU and thread count).
 */
/* C (m x n, ldc) against the naive loop's r: within 1e-5 per unit of k,
   and the padding columns n..ldc-1 untouched (the same bits or both NaN).
   what: printf-style description of the case. */
static void assert_gemm_close(const float *c, const float *r, int m, int n, int k, int ldc,
                              const char *what, ...) __attribute__((format(printf, 7, 8)));
static void assert_gemm_close(const float *c, const float *r, int m, int n, int k, int ldc,
                              const char *what, ...)
{
    char desc[128];
    va_list ap;
    va_start(ap, what);
    vsnprintf(desc, sizeof desc, what, ap);
    va_end(ap);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++) {
            const float got = c[(size_t)i * ldc + j], want = r[(size_t)i * ldc + j];
            if (j >= n) {
                ck_assert_msg(memcmp(&got, &want, sizeof got) == 0 || (isnan(got) && isnan(want)),
                              "%dx%dx%d %s: padding C[%d][%d] written", m, n, k, desc, i, j);
                continue;
            }
            ck_assert_msg(fabsf(got - want) <= 1e-5f * (float)k + 1e-5f,
                          "%dx%dx%d %s: C[%d][%d] = %.9g, naive %.9g", m, n, k, desc, i, j, got,
                          want);
        }
}

START_TEST(test_sgemm_matches_ref)
{
    static const int shapes[][3] = {{1, 1, 1},   {1, 33, 17},  {33, 1, 17}, {7, 5, 1},
                                    {37, 29, 53}, {67, 3, 130}, {5, 70, 33}, {129, 65, 257},
                                    {16, 48, 1031}, {250, 17, 9}, {14, 7, 700},
                                    /* above the size libgan splits over threads */
                                    {301, 77, 200}, {40, 530, 300}, {13, 300, 500}};
    static const float betas[] = {0.0f, 1.0f, 0.5f};
    const int saved = gan_get_threads();
    for (int threads = 1; threads <= 2; threads++) {
        ck_assert_int_eq(gan_set_threads(threads), GAN_OK);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (int t = 0; t < 4; t++) {
                const int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
                const int ta = t & 1, tb = t >> 1;
                /* leading dimensions padded by 3 beyond the row length */
                const int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 3, ldc = n + 3;
                const size_t na = (size_t)(ta ? k : m) * lda, nb = (size_t)(tb ? n : k) * ldb;
                const size_t nc = (size_t)m * ldc;
                float *a = tu_alloc(na), *b = tu_alloc(nb), *c0 = tu_alloc(nc);
                float *c = tu_alloc(nc), *c2 = tu_alloc(nc), *r = tu_alloc(nc);
                tu_fill(a, na, 100 + s, -1.0f, 1.0f);
                tu_fill(b, nb, 200 + s, -1.0f, 1.0f);
                tu_fill(c0, nc, 300 + s, -1.0f, 1.0f);
                for (size_t bi = 0; bi < sizeof betas / sizeof betas[0]; bi++) {
                    const float beta = betas[bi], alpha = 0.75f;
                    memcpy(c, c0, nc * sizeof(float));
                    if (beta == 0.0f)
                        for (size_t i = 0; i < nc; i += 2)
                            c[i] = NAN;
                    memcpy(c2, c, nc * sizeof(float));
                    memcpy(r, c, nc * sizeof(float));
                    gan__sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                    gan__sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c2, ldc);
                    gan__sgemm_ref(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, r, ldc);
                    ck_assert_msg(memcmp(c, c2, nc * sizeof(float)) == 0,
                                  "two equal calls differ: %dx%dx%d trans %d%d beta %g threads %d",
                                  m, n, k, ta, tb, beta, threads);
                    assert_gemm_close(c, r, m, n, k, ldc, "trans %d%d beta %g threads %d", ta,
                                      tb, beta, threads);
                }
                free(a); free(b); free(c0); free(c); free(c2); free(r);
            }
    }
    ck_assert_int_eq(gan_set_threads(saved), GAN_OK);
}
END_TEST

/*
 * A process that multiplied with two threads and then forks: the child
 * multiplies with two threads too, without hanging (libgan's GEMM threads
 * restart after fork; OpenMP's would not), and gets the parent's bits.
 */
START_TEST(test_sgemm_after_fork)
{
    enum { M = 160, N = 130, K = 250 };
    float *a = tu_alloc(M * K), *b = tu_alloc(K * N), *c = tu_alloc(M * N), *r = tu_alloc(M * N);
    const int saved = gan_get_threads();
    tu_fill(a, M * K, 7, -1.0f, 1.0f);
    tu_fill(b, K * N, 8, -1.0f, 1.0f);
    ck_assert_int_eq(gan_set_threads(2), GAN_OK);
    gan__sgemm(0, 0, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N);
    gan__sgemm_ref(0, 0, M, N, K, 1.0f, a, K, b, N, 0.0f, r, N);
    fflush(stdout);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        float *c2 = tu_alloc(M * N);
        int bad = 0;
        for (int rep = 0; rep < 3; rep++) {
            memset(c2, 0, M * N * sizeof(float));
            gan__sgemm(0, 0, M, N, K, 1.0f, a, K, b, N, 0.0f, c2, N);
            for (int i = 0; i < M * N; i++)
                bad += !(fabsf(c2[i] - r[i]) <= 1e-3f);
            bad += memcmp(c, c2, M * N * sizeof(float)) != 0;
        }
        _exit(bad != 0);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    ck_assert_int_eq(gan_set_threads(saved), GAN_OK);
    free(a); free(b); free(c); free(r);
}
END_TEST

/*
 * GEMMs while a timer interrupts the process every 50 us (a program's
 * Ctrl-C handler, Python's SIGINT handler and sampling profilers all catch
 * signals): every product keeps the bits of the quiet one and the heap
 * stays whole.  oneDNN 2.x's JIT kernels run with rsp pointing into the
 * heap, and before libgan blocked signals around them this aborted with
 * "corrupted size vs. prev_size" within a few hundred calls.
 */
static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

START_TEST(test_sgemm_survives_signals)
{
#ifdef GAN_HAVE_OPENBLAS
    enum { M = 784, N = 128, K = 1600, CALLS = 120 };
#else
    /* the naive loop: a quarter of the rows, ~0.1 s a call (the full size
       ran past the test's timeout in -DGAN_USE_OPENBLAS=OFF builds) */
    enum { M = 196, N = 128, K = 1600, CALLS = 3 };
#endif
    float *a = tu_alloc((size_t)M * K), *b = tu_alloc((size_t)K * N);
    float *r = tu_alloc((size_t)M * N), *c = tu_alloc((size_t)M * N);
    const int saved = gan_get_threads();
    struct sigaction sa, old_sa;
    struct itimerval every = {{0, 50}, {0, 50}}, off = {{0, 0}, {0, 0}};
    int differ = 0;
    tu_fill(a, (size_t)M * K, 11, -1.0f, 1.0f);
    tu_fill(b, (size_t)K * N, 12, -1.0f, 1.0f);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGALRM, &sa, &old_sa), 0);
    for (int threads = 1; threads <= 2; threads++) {
        ck_assert_int_eq(gan_set_threads(threads), GAN_OK);
        gan__sgemm(0, 0, M, N, K, 1.0f, a, K, b, N, 0.0f, r, N);
        ck_assert_int_eq(setitimer(ITIMER_REAL, &every, NULL), 0);
        for (int i = 0; i < CALLS; i++) {
            /* the heap around the workspace changes from call to call */
            void *other = malloc(1000 + (size_t)(i % 7) * 4096);
            ck_assert_ptr_nonnull(other);
            gan__sgemm(0, 0, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N);
            free(other);
            differ += memcmp(c, r, (size_t)M * N * sizeof(float)) != 0;
        }
        ck_assert_int_eq(setitimer(ITIMER_REAL, &off, NULL), 0);
    }
    ck_assert_int_eq(sigaction(SIGALRM, &old_sa, NULL), 0);
    ck_assert_int_eq(gan_set_threads(saved), GAN_OK);
    ck_assert_msg(alarms > 0, "the timer never fired");
    ck_assert_msg(differ == 0, "%d of %d interrupted products differ from the quiet one", differ,
                  2 * CALLS);
    free(a); free(b); free(r); free(c);
}
END_TEST

/*
 * Several threads multiplying at once with gan_set_threads(2) (a game
 * sampling from several threads): each gets the bits a lone call gets,
 * whether it found libgan's GEMM threads free or busy.
 */
enum { CM = 320, CN = 96, CK = 400, CALLERS = 3, CREPS = 20 };
typedef struct concurrent_arg {
    const float *a, *b, *want;
    int differ;
} concurrent_arg;

static void *concurrent_caller(void *p)
{
    concurrent_arg *arg = p;
    float *c = tu_alloc((size_t)CM * CN);
    for (int r = 0; r < CREPS; r++) {
        gan__sgemm(0, 1, CM, CN, CK, 1.0f, arg->a, CK, arg->b, CK, 0.0f, c, CN);
        arg->differ += memcmp(c, arg->want, (size_t)CM * CN * sizeof(float)) != 0;
    }
    free(c);
    return NULL;
}

START_TEST(test_sgemm_concurrent_callers)
{
    float *a = tu_alloc((size_t)CM * CK), *b = tu_alloc((size_t)CN * CK);
    float *want = tu_alloc((size_t)CM * CN);
    const int saved = gan_get_threads();
    pthread_t th[CALLERS];
    concurrent_arg args[CALLERS];
    tu_fill(a, (size_t)CM * CK, 21, -1.0f, 1.0f);
    tu_fill(b, (size_t)CN * CK, 22, -1.0f, 1.0f);
    ck_assert_int_eq(gan_set_threads(2), GAN_OK);
    gan__sgemm(0, 1, CM, CN, CK, 1.0f, a, CK, b, CK, 0.0f, want, CN);
    for (int i = 0; i < CALLERS; i++) {
        args[i] = (concurrent_arg){a, b, want, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, concurrent_caller, &args[i]), 0);
    }
    for (int i = 0; i < CALLERS; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_msg(args[i].differ == 0, "caller %d: %d of %d products differ", i,
                      args[i].differ, CREPS);
    }
    ck_assert_int_eq(gan_set_threads(saved), GAN_OK);
    free(a); free(b); free(want);
}
END_TEST

/*
 * libgan's few-rows kernel (gemm_rows.c) against the naive loop: every row
 * count it can take, column counts around its 6-column blocks, K around its
 * 512-column blocks (beyond one block only with beta 0, its contract),
 * padded leading dimensions, NaN garbage in C under beta 0; and the same
 * bits for any split of the columns (threads split them at any column).
 */
START_TEST(test_rows16_matches_ref)
{
#if GAN__HAVE_ROWS16
    static const int ms[] = {1, 2, 7, 8, 9, 12, 13, 15, 16};
    static const int ns[] = {1, 5, 6, 7, 13, 100};
    static const int ks[] = {1, 3, 64, 512, 513, 1100};
    if (!gan__rows16_available())
        return;
    for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++)
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
                const int m = ms[mi], n = ns[ni], k = ks[ki];
                const int lda = k + 3, ldb = k + 5, ldc = n + 2;
                const size_t na = (size_t)m * lda, nb = (size_t)n * ldb, nc = (size_t)m * ldc;
                float *a = tu_alloc(na), *b = tu_alloc(nb), *c0 = tu_alloc(nc);
                float *c = tu_alloc(nc), *r = tu_alloc(nc), *parts = tu_alloc(nc);
                tu_fill(a, na, 11 + mi, -1.0f, 1.0f);
                tu_fill(b, nb, 23 + ni, -1.0f, 1.0f);
                tu_fill(c0, nc, 37 + ki, -1.0f, 1.0f);
                for (int bi = 0; bi < 2; bi++) {
                    const float beta = bi ? 0.5f : 0.0f, alpha = 0.75f;
                    if (beta != 0.0f && k > 512)
                        continue;
                    memcpy(c, c0, nc * sizeof(float));
                    if (beta == 0.0f)
                        for (size_t i = 0; i < nc; i += 3)
                            c[i] = NAN;
                    memcpy(r, c, nc * sizeof(float));
                    memcpy(parts, c, nc * sizeof(float));
                    gan__sgemm_rows16(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                    gan__sgemm_ref(0, 1, m, n, k, alpha, a, lda, b, ldb, beta, r, ldc);
                    /* columns [0, s) and [s, n) in two calls, s off the blocks */
                    const int split = n / 2 + 1 < n ? n / 2 + 1 : n;
                    gan__sgemm_rows16(m, split, k, alpha, a, lda, b, ldb, beta, parts, ldc);
                    if (split < n)
                        gan__sgemm_rows16(m, n - split, k, alpha, a, lda, b + (size_t)split * ldb,
                                          ldb, beta, parts + split, ldc);
                    ck_assert_msg(memcmp(c, parts, nc * sizeof(float)) == 0,
                                  "%dx%dx%d beta %g: split columns give other bits", m, n, k, beta);
                    assert_gemm_close(c, r, m, n, k, ldc, "rows16, beta %g", beta);
                }
                free(a); free(b); free(c0); free(c); free(r); free(parts);
            }
#endif
}
END_TEST

START_TEST(test_blas_selection)
{
    char buf[1024], small[8];
    size_t need = 0, need2 = 0;
    ck_assert_int_eq(gan__blas_self_test(), 1);
    ck_assert_int_eq(gan_blas_info(buf, sizeof buf, &need), GAN_OK);
    ck_assert_uint_eq(strlen(buf), need);
#ifdef GAN_HAVE_OPENBLAS
    ck_assert_ptr_nonnull(strstr(buf, "OpenBLAS, kernel "));
    ck_assert_ptr_null(strstr(buf, "failed"));
    /* libgan's few-rows kernel: AVX2 CPUs without AVX-512, x86-64 builds. */
    if (GAN__HAVE_ROWS16 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        !__builtin_cpu_supports("avx512f"))
        ck_assert_ptr_nonnull(strstr(buf, "A B^T products of 13-16 rows by libgan's AVX2 kernel"));
    else
        ck_assert_ptr_null(strstr(buf, "libgan's AVX2 kernel"));
#endif
#ifdef GAN_HAVE_DNNL
    /* The engine in use is named: oneDNN for every product where the CPU
       has AVX-512, for all but the large A^T B ones where it has AVX2. */
    ck_assert_ptr_nonnull(strstr(buf, "oneDNN 2."));
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        ck_assert_ptr_nonnull(strstr(buf, "sgemm, ISA avx512_core"));
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        ck_assert_ptr_nonnull(strstr(buf, "sgemm, ISA avx2")); /* or avx2_vnni */
        ck_assert_ptr_nonnull(strstr(buf, "large A^T B products by OpenBLAS"));
    } else
        ck_assert_ptr_nonnull(strstr(buf, "not used"));
#endif
    ck_assert_int_eq(gan_blas_info(small, sizeof small, &need2), GAN_OK);
    ck_assert_uint_eq(need2, need);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
    ck_assert_int_eq(gan_blas_info(NULL, 0, &need2), GAN_OK);
    ck_assert_uint_eq(need2, need);
    ck_assert_int_eq(gan_blas_info(NULL, 4, NULL), GAN_EINVAL);
    ck_assert_int_ge(gan_get_threads(), 1);
}
END_TEST


/*
 * The execution plan (plan.c): batchnorm + leaky ReLU/ReLU fused, and
 * activations in place, against the same network with every layer pinned
 * (keep_out: nothing fused, nothing in place), bit for bit: outputs,
 * input gradients, parameter gradients (also after a second backward on
 * the same forward), running statistics, in training and inference mode,
 * through gan_model_forward and gan__infer.
 */
static gan_model *plan_net(void)
{
    gan_model *m = tu_model(3, 6, 5, 3);
    gan_conv2d_config c;
    gan_dense_config d;
    ck_assert_int_eq(GAN_CONV2D_CONFIG_INIT(&c), GAN_OK);
    c.filters = 4;
    c.padding = GAN_PADDING_SAME;
    ck_assert_int_eq(gan_model_add_conv2d(m, &c), GAN_OK);                  /* 0 */
    ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);             /* 1 fused */
    ck_assert_int_eq(gan_model_add_leaky_relu(m, 0.2f), GAN_OK);            /* 2 absorbed */
    c.filters = 3;
    c.stride_h = c.stride_w = 2;
    ck_assert_int_eq(gan_model_add_conv2d_transpose(m, &c), GAN_OK);        /* 3 */
    ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);             /* 4 fused */
    ck_assert_int_eq(gan_model_add_relu(m), GAN_OK);                        /* 5 absorbed */
    c.filters = 5;
    c.padding = GAN_PADDING_VALID;
    ck_assert_int_eq(gan_model_add_conv2d(m, &c), GAN_OK);                  /* 6 */
    ck_assert_int_eq(gan_model_add_leaky_relu(m, 0.3f), GAN_OK);            /* 7 in place */
    ck_assert_int_eq(gan_model_add_dropout(m, 0.25f), GAN_OK);              /* 8 */
    ck_assert_int_eq(gan_model_add_flatten(m), GAN_OK);                     /* 9 */
    ck_assert_int_eq(GAN_DENSE_CONFIG_INIT(&d), GAN_OK);
    d.units = 7;
    ck_assert_int_eq(gan_model_add_dense(m, &d), GAN_OK);                   /* 10 */
    ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);             /* 11 fused */
    ck_assert_int_eq(gan_model_add_leaky_relu(m, 0.1f), GAN_OK);            /* 12 absorbed */
    d.units = 3;
    ck_assert_int_eq(gan_model_add_dense(m, &d), GAN_OK);                   /* 13 */
    ck_assert_int_eq(gan_model_add_tanh(m), GAN_OK);                        /* 14 in place */
    tu_randomize_params(m, 5, 0.8f);
    ck_assert_int_eq(gan_model_set_seed(m, 77), GAN_OK);
    return m;
}

static void assert_same_bits(const float *a, const float *b, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(memcmp(&a[i], &b[i], sizeof(float)) == 0, "%s[%zu]: %.9g vs %.9g", what, i,
                      (double)a[i], (double)b[i]);
}

static void assert_same_grads_state(const gan_model *a, const gan_model *b)
{
    for (size_t k = 0; k < a->n_layers; k++) {
        size_t np = tu_layer_params(a, k), ns = a->layers[k].n_state;
        if (np)
            assert_same_bits(a->grads + a->layers[k].param_off, b->grads + b->layers[k].param_off,
                             np, "parameter gradient");
        if (ns)
            assert_same_bits(a->state + a->layers[k].state_off, b->state + b->layers[k].state_off,
                             ns, "batchnorm state");
    }
}

START_TEST(test_plan_fused_matches_unfused)
{
    const size_t batch = 4;
    gan_model *a = plan_net(), *b = plan_net();
    const size_t in_e = tu_in_elems(a), out_e = tu_out_elems(a), L = tu_layers(a);
    float *x = tu_alloc(batch * in_e), *dy = tu_alloc(batch * out_e);
    float *ya = tu_alloc(batch * out_e), *yb = tu_alloc(batch * out_e);
    float *dxa = tu_alloc(batch * in_e), *dxb = tu_alloc(batch * in_e);
    for (size_t k = 0; k < L; k++)
        gan__model_keep_output(b, k);
    /* The plan of a; b has none. */
    for (size_t k = 0; k < L; k++) {
        const gan__layer *l = &a->layers[k];
        ck_assert_int_eq(l->fused_act, k == 1 || k == 4 || k == 11);
        ck_assert_int_eq(l->absorbed, k == 2 || k == 5 || k == 12);
        ck_assert_int_eq(l->in_place, k == 7 || k == 14);
        ck_assert(!b->layers[k].fused_act && !b->layers[k].absorbed && !b->layers[k].in_place);
    }
    ck_assert(a->layers[11].fused_alpha == 0.1f && a->layers[4].fused_alpha == 0.0f);
    tu_fill(x, batch * in_e, 3, -2.0f, 2.0f);
    tu_fill(dy, batch * out_e, 4, -1.0f, 1.0f);
    for (int mode = 0; mode < 2; mode++) {
        gan_mode md = mode == 0 ? GAN_MODE_TRAIN : GAN_MODE_INFER;
        ck_assert_int_eq(gan_model_zero_grad(a), GAN_OK);
        ck_assert_int_eq(gan_model_zero_grad(b), GAN_OK);
        ck_assert_int_eq(gan_model_forward(a, x, batch * in_e, batch, md, ya, batch * out_e), GAN_OK);
        ck_assert_int_eq(gan_model_forward(b, x, batch * in_e, batch, md, yb, batch * out_e), GAN_OK);
        assert_same_bits(ya, yb, batch * out_e, "output");
        /* in place: the dense layer's buffer now holds tanh's output */
        ck_assert_ptr_eq(a->act[14], a->act[15]);
        ck_assert_ptr_ne(b->act[14], b->act[15]);
        for (int rep = 0; rep < 2; rep++) {   /* backward twice after one forward */
            ck_assert_int_eq(gan_model_backward(a, dy, batch * out_e, dxa, batch * in_e), GAN_OK);
            ck_assert_int_eq(gan_model_backward(b, dy, batch * out_e, dxb, batch * in_e), GAN_OK);
            assert_same_bits(dxa, dxb, batch * in_e, "dx");
            assert_same_grads_state(a, b);
        }
    }
    /* gan__infer on the const fused model against b's inference forward,
       in the same passes (3 samples, then 1): a GEMM's rounding may depend
       on its row count (OpenBLAS' AVX-512 kernels block 3 and 4 rows
       differently), so only equal passes promise equal bits. */
    {
        gan__infer_buf ib;
        ck_assert_int_eq(gan__infer_buf_init(&ib, a, 3), GAN_OK);
        ck_assert_int_eq(gan__infer(a, &ib, x, NULL, batch, ya), GAN_OK);
        ck_assert_int_eq(gan_model_forward(b, x, 3 * in_e, 3, GAN_MODE_INFER, yb, 3 * out_e),
                         GAN_OK);
        ck_assert_int_eq(gan_model_forward(b, x + 3 * in_e, in_e, 1, GAN_MODE_INFER,
                                           yb + 3 * out_e, out_e), GAN_OK);
        assert_same_bits(ya, yb, batch * out_e, "gan__infer output");
        gan__infer_buf_free(&ib);
    }
    gan_model_free(a);
    gan_model_free(b);
    free(x); free(dy); free(ya); free(yb); free(dxa); free(dxb);
}
END_TEST

/* Pinning a feature layer undoes exactly the plan entries that would
   overwrite or skip its output, and re-plans the buffers. */
START_TEST(test_plan_keep_output)
{
    gan_model *a = plan_net();
    const size_t in_e = tu_in_elems(a);
    float *x = tu_alloc(2 * in_e);
    tu_fill(x, 2 * in_e, 1, -1.0f, 1.0f);
    ck_assert_int_eq(gan_model_forward(a, x, 2 * in_e, 2, GAN_MODE_TRAIN, NULL, 0), GAN_OK);
    ck_assert_uint_eq(a->max_batch, 2);
    gan__model_keep_output(a, 4);              /* a batchnorm: no longer fused */
    ck_assert(!a->layers[4].fused_act && !a->layers[5].absorbed);
    ck_assert(a->layers[1].fused_act && a->layers[2].absorbed);
    ck_assert_uint_eq(a->max_batch, 0);        /* buffers re-planned */
    gan__model_keep_output(a, 6);              /* a conv: its activation not in place */
    ck_assert(!a->layers[7].in_place && a->layers[14].in_place);
    ck_assert_int_eq(gan_model_forward(a, x, 2 * in_e, 2, GAN_MODE_TRAIN, NULL, 0), GAN_OK);
    ck_assert_ptr_ne(a->act[5], a->act[6]);
    ck_assert_ptr_ne(a->act[7], a->act[8]);
    gan__model_keep_output(a, 14);             /* pinning an in-place layer changes nothing */
    ck_assert_uint_eq(a->max_batch, 2);
    gan_model_free(a);
    free(x);
}
END_TEST

/*
 * The gradient buffer plan (plan.c: dx at the far end of one buffer, or
 * over dy for element-wise layers) against a backward pass that gives
 * every layer fresh, separate buffers: the same bits for dx and for the
 * parameter gradients.  Wide dense layers make an overlap visible.
 */
START_TEST(test_grad_buffer_plan)
{
    const size_t batch = 16;
    gan_model *m = tu_model(1, 40, 0, 0);
    gan_dense_config d;
    ck_assert_int_eq(GAN_DENSE_CONFIG_INIT(&d), GAN_OK);
    const int units[] = {300, 50, 300, 20};
    for (int k = 0; k < 4; k++) {
        d.units = units[k];
        ck_assert_int_eq(gan_model_add_dense(m, &d), GAN_OK);
        if (k == 0)
            ck_assert_int_eq(gan_model_add_leaky_relu(m, 0.2f), GAN_OK);
        if (k == 1) {
            ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);
            ck_assert_int_eq(gan_model_add_relu(m), GAN_OK);
        }
        if (k == 2)
            ck_assert_int_eq(gan_model_add_dropout(m, 0.3f), GAN_OK);
    }
    ck_assert_int_eq(gan_model_add_tanh(m), GAN_OK);
    tu_randomize_params(m, 9, 0.5f);
    const size_t L = tu_layers(m), in_e = tu_in_elems(m), out_e = tu_out_elems(m);
    float *x = tu_alloc(batch * in_e), *dy = tu_alloc(batch * out_e), *dx = tu_alloc(batch * in_e);
    float *grads = tu_alloc(m->n_params);
    tu_fill(x, batch * in_e, 1, -1.0f, 1.0f);
    tu_fill(dy, batch * out_e, 2, -1.0f, 1.0f);
    ck_assert_int_eq(gan_model_forward(m, x, batch * in_e, batch, GAN_MODE_TRAIN, NULL, 0), GAN_OK);
    ck_assert_int_eq(gan_model_zero_grad(m), GAN_OK);
    ck_assert_int_eq(gan_model_backward(m, dy, batch * out_e, dx, batch * in_e), GAN_OK);
    /* The planned buffer is smaller than two of the largest tensor. */
    ck_assert_uint_lt(m->grad_floats, 2 * batch * 300);
    /* Reference: each layer reads a copy of its dy and writes a fresh dx. */
    {
        float *cur = tu_alloc(batch * out_e);
        memcpy(cur, dy, batch * out_e * sizeof(float));
        for (size_t i = L; i-- > 0;) {
            gan__layer *l = &m->layers[i];
            gan__ctx cx;
            float *nx;
            if (gan__layer_skipped(l))
                continue;
            memset(&cx, 0, sizeof cx);
            cx.batch = batch;
            cx.training = 1;
            cx.w = l->n_params ? m->params + l->param_off : NULL;
            cx.dw = l->n_params ? grads + l->param_off : NULL;
            cx.state = l->n_state ? m->state + l->state_off : NULL;
            cx.ws = m->ws;
            cx.ws_bytes = m->ws_bytes;
            cx.aux = m->aux[i];
            cx.rng = &m->rng;
            nx = tu_alloc(batch * gan__shape_elems(&l->in));
            l->ops->backward(l, &cx, m->act[i], m->act[i + 1], cur, nx);
            free(cur);
            cur = nx;
        }
        assert_same_bits(dx, cur, batch * in_e, "dx");
        assert_same_bits(m->grads, grads, m->n_params, "parameter gradient");
        free(cur);
    }
    gan_model_free(m);
    free(x); free(dy); free(dx); free(grads);
}
END_TEST

/* Distance in units in the last place between a float and an exact value. */
static double ulps(float got, double exact)
{
    const float e = (float)exact;
    const double ulp = fabs((double)nextafterf(e, INFINITY) - (double)e);
    return fabs((double)got - exact) / (ulp > 0.0 ? ulp : 1e-45);
}

/* The vectorised tanh against double-precision tanh: within 2 ulp over a
   dense sweep of [-12, 12], tiny and huge values; special values exact. */
START_TEST(test_tanh_accuracy)
{
    const size_t n = 100003;
    float *x = tu_alloc(n), *y = tu_alloc(n), *y2 = tu_alloc(n);
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        x[i] = -12.0f + 24.0f * (float)i / (float)(n - 1);
    x[0] = 1e-30f; x[1] = -1e-20f; x[2] = 0.0f; x[3] = -0.0f; x[4] = 1e30f; x[5] = -INFINITY;
    x[6] = INFINITY; x[7] = NAN; x[8] = 0.625f; x[9] = nextafterf(0.625f, 0.0f); x[10] = 9.0f;
    x[11] = 1e-3f; x[12] = -0.3f; x[13] = 1.5e-45f;
    gan__tanh_forward(n, x, y);
    memcpy(y2, x, n * sizeof(float));
    gan__tanh_forward_inplace(n, y2);
    ck_assert(memcmp(y, y2, n * sizeof(float)) == 0);
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) {
            ck_assert(isnan(y[i]));
            continue;
        }
        double u = ulps(y[i], tanh((double)x[i]));
        if (u > worst)
            worst = u;
        ck_assert_msg(u <= 2.0, "tanh(%.9g) = %.9g, exact %.17g (%.2f ulp)", (double)x[i],
                      (double)y[i], tanh((double)x[i]), u);
        ck_assert(fabsf(y[i]) <= 1.0f);
    }
    ck_assert(y[2] == 0.0f && !signbit(y[2]) && y[3] == 0.0f && signbit(y[3]));
    ck_assert(y[4] == 1.0f && y[5] == -1.0f && y[6] == 1.0f);
    free(x); free(y); free(y2);
}
END_TEST

static Suite *kernels_suite(void)
{
    Suite *s = suite_create("kernels");
    TCase *t = tcase_create("kernels");
    tcase_add_test(t, test_leaky_matches_ref);
    tcase_add_test(t, test_dropout_matches_ref);
    tcase_add_test(t, test_dropout_mask_statistics);
    tcase_add_test(t, test_col2im_matches_ref);
    tcase_add_test(t, test_bias_helpers);
    tcase_add_test(t, test_sgemm_matches_ref);
    tcase_add_test(t, test_sgemm_after_fork);
    tcase_add_test(t, test_sgemm_survives_signals);
    tcase_add_test(t, test_sgemm_concurrent_callers);
    tcase_add_test(t, test_rows16_matches_ref);
    tcase_add_test(t, test_blas_selection);
    tcase_add_test(t, test_plan_fused_matches_unfused);
    tcase_add_test(t, test_plan_keep_output);
    tcase_add_test(t, test_grad_buffer_plan);
    tcase_add_test(t, test_tanh_accuracy);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(kernels_suite());
}
