/*
 * check_pool.c -- libgan's worker threads (kernels/pool.c) and the kernels
 * that split their work over them: every part runs exactly once, nested
 * and concurrent jobs finish, and each split kernel gives, with 2 and 3
 * threads, the bits it gives with 1 (and its naive twin's where it has
 * one), on sizes far above the threshold where the split starts.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "kernels/kernels.h"
#include "test_util.h"

static const int thread_counts[] = {1, 2, 3};
#define N_COUNTS 3

/* ---- the pool itself -------------------------------------------------------- */

typedef struct count_ctx {
    int *hits;
    int nested_parts;
} count_ctx;

static void count_nested(void *ctx, int p)
{
    int *hits = ctx;
    __atomic_add_fetch(&hits[p], 1, __ATOMIC_RELAXED);
}

static void count_part(void *ctx, int p)
{
    count_ctx *c = ctx;
    __atomic_add_fetch(&c->hits[p], 1, __ATOMIC_RELAXED);
    if (c->nested_parts) {
        /* A part starting a job of its own: runs on this thread, to the end. */
        int *inner = calloc((size_t)c->nested_parts, sizeof *inner);
        gan__pool_run(4, c->nested_parts, count_nested, inner);
        for (int i = 0; i < c->nested_parts; i++)
            if (inner[i] != 1)
                __atomic_add_fetch(&c->hits[p], 1000, __ATOMIC_RELAXED);
        free(inner);
    }
}

START_TEST(test_pool_runs_each_part_once)
{
    for (int threads = 1; threads <= 5; threads++)
        for (int parts = 0; parts <= 9; parts++)
            for (int nested = 0; nested <= 3; nested += 3) {
                int hits[9] = {0};
                count_ctx c = {hits, nested};
                gan__pool_run(threads, parts, count_part, &c);
                for (int p = 0; p < parts; p++)
                    ck_assert_msg(hits[p] == 1, "threads %d parts %d nested %d: part %d ran %d",
                                  threads, parts, nested, p, hits[p]);
            }
}
END_TEST

typedef struct range_ctx {
    unsigned char *seen;
    int bad;
    size_t grain, n;
} range_ctx;

static void mark_range(void *ctx, size_t lo, size_t hi)
{
    range_ctx *r = ctx;
    /* Every slice but the last starts and ends on a grain boundary. */
    if (lo % r->grain != 0 || (hi != r->n && hi % r->grain != 0) || lo >= hi)
        __atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
    for (size_t i = lo; i < hi; i++)
        r->seen[i]++;
}

START_TEST(test_parallel_range_covers_once)
{
    static const size_t ns[] = {1, 15, 16, 17, 1000, 32767, 32768, 100001, 262144};
    static const size_t grains[] = {1, 16, 64};
    const int saved = gan_get_threads();
    for (int t = 0; t < N_COUNTS; t++) {
        ck_assert_int_eq(gan_set_threads(thread_counts[t]), GAN_OK);
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
            for (size_t g = 0; g < 3; g++) {
                range_ctx r = {calloc(ns[i], 1), 0, grains[g], ns[i]};
                gan__parallel_range(ns[i], grains[g], 1000, mark_range, &r);
                ck_assert_int_eq(r.bad, 0);
                for (size_t e = 0; e < ns[i]; e++)
                    ck_assert_msg(r.seen[e] == 1, "n %zu grain %zu: element %zu seen %d", ns[i],
                                  grains[g], e, r.seen[e]);
                free(r.seen);
            }
    }
    ck_assert_int_eq(gan_set_threads(saved), GAN_OK);
}
END_TEST

/* Several threads starting jobs at once (samplers in a game): each job
   completes with every part run once, whether it found the pool free. */
typedef struct caller_arg {
    int failures;
} caller_arg;

static void *pool_caller(void *p)
{
    caller_arg *a = p;
    for (int r = 0; r < 200; r++) {
        int hits[6] = {0};
        count_ctx c = {hits, r % 2 ? 2 : 0};
        gan__pool_run(2, 6, count_part, &c);
        for (int i = 0; i < 6; i++)
            a->failures += hits[i] != 1;
    }
    return NULL;
}

START_TEST(test_pool_concurrent_callers)
{
    pthread_t th[3];
    caller_arg args[3] = {{0}, {0}, {0}};
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, pool_caller, &args[i]), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(args[i].failures, 0);
    }
}
END_TEST

/* ---- split kernels: the same bits with every thread count ------------------- */

static int same_bits(const void *a, const void *b, size_t bytes)
{
    return memcmp(a, b, bytes) == 0;
}

START_TEST(test_lowering_same_bits_any_threads)
{
    /* The seed networks' big lowering jobs and an odd one. */
    static const int cfg[][6] = {
        /* ih, iw, ic, k, s, pad */
        {16, 16, 64, 4, 2, 1}, {28, 28, 1, 5, 2, 1}, {7, 7, 128, 5, 1, 2}, {13, 11, 5, 3, 2, 0},
        {9, 10, 300, 3, 2, 0},
    };
    /* 37 images: whole images per thread; 1 and 2: fewer images than
       threads, so col2im splits an image's rows into bands. */
    static const int batches[] = {37, 1, 2};
    const int saved = gan_get_threads();
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0] * 3; c++) {
        gan__conv_geom g;
        memset(&g, 0, sizeof g);
        const int *q = cfg[c % (sizeof cfg / sizeof cfg[0])];
        g.ih = q[0]; g.iw = q[1]; g.ic = q[2];
        g.kh = g.kw = q[3]; g.sh = g.sw = q[4];
        g.pad_top = g.pad_left = q[5];
        g.oh = (g.ih + 2 * g.pad_top - g.kh) / g.sh + 1;
        g.ow = (g.iw + 2 * g.pad_left - g.kw) / g.sw + 1;
        const int n = batches[c / (sizeof cfg / sizeof cfg[0])];
        const size_t ncol = (size_t)n * g.oh * g.ow * g.kh * g.kw * g.ic;
        const size_t nimg = (size_t)n * g.ih * g.iw * g.ic;
        float *x = tu_alloc(nimg), *col = tu_alloc(ncol), *col1 = tu_alloc(ncol);
        float *back = tu_alloc(nimg), *back1 = tu_alloc(nimg), *ref = tu_alloc(nimg);
        tu_fill(x, nimg, 7 + c, -1.0f, 1.0f);
        for (int t = 0; t < N_COUNTS; t++) {
            ck_assert_int_eq(gan_set_threads(thread_counts[t]), GAN_OK);
            gan__im2col(&g, n, x, col);
            memset(back, 0x7f, nimg * sizeof(float)); /* garbage: _set must ignore it */
            gan__col2im_set(&g, n, col, back);
            if (t == 0) {
                memcpy(col1, col, ncol * sizeof(float));
                memcpy(back1, back, nimg * sizeof(float));
                memset(ref, 0, nimg * sizeof(float));
                gan__col2im_ref(&g, n, col, ref);
                ck_assert_msg(same_bits(back, ref, nimg * sizeof(float)), "geometry %zu", c);
            } else {
                ck_assert_msg(same_bits(col, col1, ncol * sizeof(float)), "im2col, geometry %zu, "
                              "%d threads", c, thread_counts[t]);
                ck_assert_msg(same_bits(back, back1, nimg * sizeof(float)), "col2im, geometry "
                              "%zu, %d threads", c, thread_counts[t]);
            }
            /* Adding into existing values: the twin's bits. */
            memcpy(back, x, nimg * sizeof(float));
            memcpy(ref, x, nimg * sizeof(float));
            gan__col2im(&g, n, col, back);
            gan__col2im_ref(&g, n, col, ref);
            ck_assert(same_bits(back, ref, nimg * sizeof(float)));
        }
        free(x); free(col); free(col1); free(back); free(back1); free(ref);
    }
    ck_assert_int_eq(gan_set_threads(saved), GAN_OK);
}
END_TEST

START_TEST(test_elementwise_same_bits_any_threads)
{
    const size_t n = 300007; /* odd: a tail in every slice split */
    float *x = tu_alloc(n), *dy = tu_alloc(n), *y = tu_alloc(n), *yr = tu_alloc(n);
    float *th = tu_alloc(n);
    unsigned char *m = malloc(n), *mr = malloc(n);
    const int saved = gan_get_threads();
    tu_fill(x, n, 31, -3.0f, 3.0f);
    tu_fill(dy, n, 32, -1.0f, 1.0f);
    x[5] = NAN;
    x[n - 1] = -0.0f;
    gan__dropout_mask_ref(n, 0x1234abcdull, 0x60000000u, mr);
    for (int t = 0; t < N_COUNTS; t++) {
        ck_assert_int_eq(gan_set_threads(thread_counts[t]), GAN_OK);
        gan__leaky_forward(n, 0.2f, x, y);
        gan__leaky_forward_ref(n, 0.2f, x, yr);
        for (size_t i = 0; i < n; i++)
            ck_assert(same_bits(&y[i], &yr[i], sizeof(float)) || (isnan(y[i]) && isnan(yr[i])));
        gan__leaky_backward(n, 0.2f, x, dy, y);
        gan__leaky_backward_ref(n, 0.2f, x, dy, yr);
        for (size_t i = 0; i < n; i++)
            ck_assert(same_bits(&y[i], &yr[i], sizeof(float)));
        memcpy(y, dy, n * sizeof(float));
        gan__leaky_backward_inplace(n, 0.2f, x, y);
        for (size_t i = 0; i < n; i++)
            ck_assert(same_bits(&y[i], &yr[i], sizeof(float)));
        gan__dropout_mask(n, 0x1234abcdull, 0x60000000u, m);
        ck_assert(same_bits(m, mr, n));
        gan__dropout_apply(n, 1.25f, m, dy, y);
        gan__dropout_apply_ref(n, 1.25f, mr, dy, yr);
        ck_assert(same_bits(y, yr, n * sizeof(float)));
        /* tanh: the 1-thread result is the reference (its own accuracy test
           is in check_kernels). */
        gan__tanh_forward(n, dy, y);
        if (t == 0)
            memcpy(th, y, n * sizeof(float));
        ck_assert(same_bits(y, th, n * sizeof(float)));
    }
    ck_assert_int_eq(gan_set_threads(saved), GAN_OK);
    free(x); free(dy); free(y); free(yr); free(th); free(m); free(mr);
}
END_TEST

/* Batchnorm's reductions split by channel, its element-wise passes by row:
   statistics, gradient sums and dx the same with any thread count. */
START_TEST(test_batchnorm_passes_same_bits_any_threads)
{
    const size_t R = 64 * 14 * 14, C = 80; /* 80: channel slices of 16 plus a remainder */
    float *x = tu_alloc(R * C), *dy = tu_alloc(R * C), *y = tu_alloc(R * C);
    float *out[N_COUNTS], *dx[N_COUNTS], gamma[80], beta[80], inv[80];
    double mean[N_COUNTS][80], sq[N_COUNTS][80], sdy[N_COUNTS][80], sdyx[N_COUNTS][80];
    const int saved = gan_get_threads();
    tu_fill(x, R * C, 41, -2.0f, 3.0f);
    tu_fill(dy, R * C, 42, -1.0f, 1.0f);
    tu_fill(y, R * C, 43, -1.0f, 1.0f);
    tu_fill(gamma, C, 44, 0.5f, 1.5f);
    tu_fill(beta, C, 45, -0.5f, 0.5f);
    for (int t = 0; t < N_COUNTS; t++) {
        ck_assert_int_eq(gan_set_threads(thread_counts[t]), GAN_OK);
        out[t] = tu_alloc(R * C);
        dx[t] = tu_alloc(R * C);
        gan__bn_stats(R, C, x, mean[t], sq[t]);
        for (size_t c = 0; c < C; c++)
            inv[c] = (float)(1.0 / sqrt(sq[0][c] / (double)R + 1e-3));
        gan__bn_normalise(1, R, C, x, mean[t], inv, gamma, beta, 0.2f, out[t]);
        memset(sdy[t], 0, sizeof sdy[t]);
        memset(sdyx[t], 0, sizeof sdyx[t]);
        gan__bn_grad_sums(1, R, C, dy, y, 0.2f, x, mean[t], inv, sdy[t], sdyx[t]);
        gan__bn_dx_train(R, C, dy, y, 0.2f, x, mean[t], gamma, inv, sdy[t], sdyx[t], dx[t]);
        if (t == 0)
            continue;
        ck_assert(same_bits(mean[t], mean[0], C * sizeof(double)));
        ck_assert(same_bits(sq[t], sq[0], C * sizeof(double)));
        ck_assert(same_bits(sdy[t], sdy[0], C * sizeof(double)));
        ck_assert(same_bits(sdyx[t], sdyx[0], C * sizeof(double)));
        ck_assert(same_bits(out[t], out[0], R * C * sizeof(float)));
        ck_assert(same_bits(dx[t], dx[0], R * C * sizeof(float)));
    }
    /* And the statistics are the statistics (the split lost no channel). */
    for (size_t c = 0; c < C; c += 13) {
        double s = 0.0;
        for (size_t r = 0; r < R; r++)
            s += x[r * C + c];
        ck_assert(fabs(s / (double)R - mean[0][c]) < 1e-9);
    }
    ck_assert_int_eq(gan_set_threads(saved), GAN_OK);
    for (int t = 0; t < N_COUNTS; t++) {
        free(out[t]);
        free(dx[t]);
    }
    free(x); free(dy); free(y);
}
END_TEST

/* A generator's forward and backward through the split kernels: the same
   bits with 2 threads as with 1 when every GEMM goes through the naive
   loop (which never splits, so only the split kernels could differ). */
START_TEST(test_model_step_same_bits_split_or_not)
{
    /* The MNIST generator has the kernel-row transposed convolution
       (conv_taps.c), dropout-free batchnorm + leaky ReLU and tanh; the
       ResNet one im2col convolutions, up-sampling and residual adds.  Small
       batches: the naive GEMM is slow (and slower under the sanitizers). */
    static const gan_preset nets[] = {GAN_PRESET_MNIST_GENERATOR, GAN_PRESET_RESNET_GENERATOR};
    const int saved = gan_get_threads();
    gan__blas_force_ref = 1;
    for (size_t k = 0; k < sizeof nets / sizeof nets[0]; k++) {
        float *out[2] = {NULL, NULL}, *grad[2] = {NULL, NULL}, *dz[2] = {NULL, NULL}, *z = NULL;
        size_t latent = 0, n_out = 0, np = 0;
        const size_t batch = 8;
        for (int t = 0; t < 2; t++) {
            gan_model *g = NULL;
            ck_assert_int_eq(gan_set_threads(t ? 2 : 1), GAN_OK);
            ck_assert_int_eq(gan_model_create_preset(&g, nets[k]), GAN_OK);
            latent = gan__shape_elems(&g->in);
            n_out = batch * gan__shape_elems(&g->layers[g->n_layers - 1].out);
            np = g->n_params;
            if (!z) {
                z = tu_alloc(batch * latent);
                tu_fill(z, batch * latent, 51 + k, -1.0f, 1.0f);
            }
            out[t] = tu_alloc(n_out);
            dz[t] = tu_alloc(batch * latent);
            grad[t] = tu_alloc(np);
            ck_assert_int_eq(gan_model_forward(g, z, batch * latent, batch, GAN_MODE_TRAIN, out[t],
                                               n_out), GAN_OK);
            ck_assert_int_eq(gan_model_zero_grad(g), GAN_OK);
            ck_assert_int_eq(gan_model_backward(g, out[t], n_out, dz[t], batch * latent), GAN_OK);
            memcpy(grad[t], g->grads, np * sizeof(float));
            gan_model_free(g);
        }
        ck_assert_msg(same_bits(out[0], out[1], n_out * sizeof(float)), "preset %d: output",
                      (int)nets[k]);
        ck_assert_msg(same_bits(grad[0], grad[1], np * sizeof(float)), "preset %d: gradients",
                      (int)nets[k]);
        ck_assert_msg(same_bits(dz[0], dz[1], batch * latent * sizeof(float)), "preset %d: dz",
                      (int)nets[k]);
        free(z); free(out[0]); free(out[1]); free(grad[0]); free(grad[1]); free(dz[0]); free(dz[1]);
    }
    gan__blas_force_ref = 0;
    ck_assert_int_eq(gan_set_threads(saved), GAN_OK);
}
END_TEST

/* Batch-1 sampling through the split kernels: the DCGAN CIFAR-10
   generator at batch 1 splits its col2im into bands of rows, its kernel-row
   scatters (conv_taps.c) and batchnorm's channels; the same bits with 1, 2
   and 3 threads (naive GEMM, as above). */
START_TEST(test_batch1_infer_same_bits_split_or_not)
{
    const int saved = gan_get_threads();
    float *out[3] = {NULL, NULL, NULL}, *z = NULL;
    size_t latent = 0, n_out = 0;
    gan__blas_force_ref = 1;
    for (int t = 0; t < 3; t++) {
        gan_model *g = NULL;
        ck_assert_int_eq(gan_set_threads(t + 1), GAN_OK);
        ck_assert_int_eq(gan_model_create_preset(&g, GAN_PRESET_DCGAN_CIFAR10_GENERATOR), GAN_OK);
        ck_assert_int_eq(gan_model_init_params(g, 5), GAN_OK);
        /* Running statistics away from 0 and 1, so batchnorm's inference
           constants are not trivial. */
        for (size_t i = 0; i < g->n_state; i++)
            g->state[i] = 0.5f + 0.25f * (float)(i % 7);
        latent = gan__shape_elems(&g->in);
        n_out = gan__shape_elems(&g->layers[g->n_layers - 1].out);
        if (!z) {
            z = tu_alloc(latent);
            tu_fill(z, latent, 77, -2.0f, 2.0f);
        }
        out[t] = tu_alloc(n_out);
        ck_assert_int_eq(gan_model_forward(g, z, latent, 1, GAN_MODE_INFER, out[t], n_out),
                         GAN_OK);
        gan_model_free(g);
    }
    for (int t = 1; t < 3; t++)
        ck_assert_msg(same_bits(out[0], out[t], n_out * sizeof(float)), "%d threads", t + 1);
    gan__blas_force_ref = 0;
    free(z); free(out[0]); free(out[1]); free(out[2]);
    ck_assert_int_eq(gan_set_threads(saved), GAN_OK);
}
END_TEST

static Suite *pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, test_pool_runs_each_part_once);
    tcase_add_test(t, test_parallel_range_covers_once);
    tcase_add_test(t, test_pool_concurrent_callers);
    tcase_add_test(t, test_lowering_same_bits_any_threads);
    tcase_add_test(t, test_elementwise_same_bits_any_threads);
    tcase_add_test(t, test_batchnorm_passes_same_bits_any_threads);
    tcase_add_test(t, test_model_step_same_bits_split_or_not);
    tcase_add_test(t, test_batch1_infer_same_bits_split_or_not);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(pool_suite());
}
