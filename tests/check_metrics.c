/*
 * check_metrics.c -- softmax cross-entropy, the classifier training step,
 * and the metrics (issue 8): streaming statistics, the Frechet distance,
 * the Inception Score, the statistics file format and the feature network
 * driver, with misuse.  The comparison with SciPy is tests/fid_reference.py;
 * the measurements on Fashion-MNIST are tests/metrics_fashion.c.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gan.h"
#include "metrics/metrics.h"
#include "test_util.h"

/* The test's own random numbers (independent of libgan's). */
static tu_lcg rs = {7};

/* A live handle of another type (a magic mismatch gives GAN_ESTATE). */
static gan_loss *wrong;
static void *ds_wrong_type(void)
{
    if (!wrong) {
        gan_loss_config c;
        GAN_LOSS_CONFIG_INIT(&c);
        gan_loss_create(&wrong, &c);
    }
    return wrong;
}
static void free_wrong(void)
{
    gan_loss_free(wrong);
    wrong = NULL;
}

/* ---- softmax cross-entropy ------------------------------------------------------- */

static double sce_ref(const float *z, size_t k, int y)
{
    double m = z[0], s = 0.0;
    for (size_t j = 1; j < k; j++)
        m = z[j] > m ? z[j] : m;
    for (size_t j = 0; j < k; j++)
        s += exp((double)z[j] - m);
    return m + log(s) - z[y];
}

START_TEST(test_sce_value_and_accuracy)
{
    float z[6] = {1.0f, 2.0f, 3.0f, 0.5f, -1.0f, 0.25f}, v;
    int32_t y[2] = {2, 1};
    size_t ok = 99;
    OK(gan_softmax_cross_entropy(z, 6, 2, y, &v, NULL, &ok));
    ck_assert_double_eq_tol(v, (sce_ref(z, 3, 2) + sce_ref(z + 3, 3, 1)) / 2.0, 1e-6);
    ck_assert_uint_eq(ok, 1); /* row 0 argmax 2 = label; row 1 argmax 0 != 1 */
    /* Uniform logits: log K. */
    float u[4] = {3, 3, 3, 3};
    int32_t l0 = 0;
    OK(gan_softmax_cross_entropy(u, 4, 1, &l0, &v, NULL, &ok));
    ck_assert_double_eq_tol(v, log(4.0), 1e-6);
    ck_assert_uint_eq(ok, 1); /* ties: first maximum */
}
END_TEST

START_TEST(test_sce_stable_for_huge_logits)
{
    float z[3] = {1e4f, -1e4f, 0.0f}, g[3], v;
    int32_t y = 1;
    OK(gan_softmax_cross_entropy(z, 3, 1, &y, &v, g, NULL));
    ck_assert(isfinite(v));
    ck_assert_double_eq_tol(v, 2e4, 1e-2);
    ck_assert_float_eq_tol(g[0], 1.0f, 1e-6f);
    ck_assert_float_eq_tol(g[1], -1.0f, 1e-6f);
    ck_assert_float_eq_tol(g[2], 0.0f, 1e-6f);
    y = 0;
    OK(gan_softmax_cross_entropy(z, 3, 1, &y, &v, g, NULL));
    ck_assert_float_eq_tol(v, 0.0f, 1e-6f);
}
END_TEST

/* Central differences of the batch-mean loss, in double from float logits. */
START_TEST(test_sce_gradient_check)
{
    enum { B = 5, K = 7 };
    float z[B * K], g[B * K], v;
    int32_t y[B];
    for (int i = 0; i < B * K; i++)
        z[i] = (float)(3.0 * tu_lcg_normal(&rs));
    for (int i = 0; i < B; i++)
        y[i] = (int32_t)(tu_lcg_uniform(&rs) * K);
    OK(gan_softmax_cross_entropy(z, B * K, B, y, &v, g, NULL));
    for (int i = 0; i < B * K; i++) {
        const float eps = 1e-2f;
        float zp[B * K], zm[B * K], vp, vm;
        double num;
        memcpy(zp, z, sizeof z);
        memcpy(zm, z, sizeof z);
        zp[i] += eps;
        zm[i] -= eps;
        OK(gan_softmax_cross_entropy(zp, B * K, B, y, &vp, NULL, NULL));
        OK(gan_softmax_cross_entropy(zm, B * K, B, y, &vm, NULL, NULL));
        num = ((double)vp - (double)vm) / (2.0 * eps);
        ck_assert_msg(fabs(num - g[i]) <= 2e-3 * fmax(fabs(num), 1e-2) + 2e-4,
                      "logit %d: analytic %g numeric %g", i, (double)g[i], num);
    }
    /* Each row of the gradient sums to 0 (softmax minus one-hot). */
    for (int i = 0; i < B; i++) {
        double s = 0.0;
        for (int j = 0; j < K; j++)
            s += g[i * K + j];
        ck_assert_double_eq_tol(s, 0.0, 1e-6);
    }
}
END_TEST

START_TEST(test_sce_misuse)
{
    float z[4] = {0, 1, 2, 3}, v, nanz[2] = {NAN, 0.0f};
    int32_t y[2] = {0, 1}, bad[2] = {0, 2};
    TU_ASSERT_FAILS(gan_softmax_cross_entropy(NULL, 4, 2, y, &v, NULL, NULL), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_softmax_cross_entropy(z, 4, 2, NULL, &v, NULL, NULL), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_softmax_cross_entropy(z, 4, 2, y, NULL, NULL, NULL), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_softmax_cross_entropy(z, 4, 0, y, &v, NULL, NULL), GAN_ESHAPE);
    TU_ASSERT_FAILS(gan_softmax_cross_entropy(z, 3, 2, y, &v, NULL, NULL), GAN_ESHAPE);
    /* 1 class */
    TU_ASSERT_FAILS(gan_softmax_cross_entropy(z, 4, 4, y, &v, NULL, NULL), GAN_ESHAPE);
    TU_ASSERT_FAILS(gan_softmax_cross_entropy(z, 4, 2, bad, &v, NULL, NULL), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_softmax_cross_entropy(nanz, 2, 1, y, &v, NULL, NULL), GAN_ENUMERIC);
}
END_TEST

/* ---- the training step ---------------------------------------------------------- */

/* Three Gaussian blobs in 4-D; a dense 4 -> 8 -> relu -> 3 classifier. */
static void blobs(float *x, int32_t *y, size_t n)
{
    static const float c[3][4] = {{2, 0, 0, 1}, {-2, 1, 0, 0}, {0, -2, 2, 0}};
    for (size_t i = 0; i < n; i++) {
        int k = (int)(i % 3);
        y[i] = k;
        for (int j = 0; j < 4; j++)
            x[i * 4 + j] = c[k][j] + (float)(0.5 * tu_lcg_normal(&rs));
    }
}

static gan_model *mlp(int hidden, int classes)
{
    gan_model *m = tu_model(1, 4, 0, 0);
    tu_add_dense(m, hidden, 1);
    OK(gan_model_add_batchnorm(m, NULL));
    OK(gan_model_add_relu(m));
    tu_add_dense(m, classes, 1);
    return m;
}

START_TEST(test_train_step_learns_blobs)
{
    enum { N = 300 };
    float x[N * 4], loss = 0, acc = 0, first = 0, eacc = 0, eloss = 0;
    int32_t y[N];
    gan_model *m = mlp(8, 3);
    gan_optimizer *o = NULL;
    gan_optimizer_config oc;
    gan_dataset *ds = NULL;
    blobs(x, y, N);
    GAN_OPTIMIZER_CONFIG_INIT(&oc);
    oc.lr = 1e-2f;
    OK(gan_optimizer_create(&o, m, &oc));
    for (int s = 0; s < 200; s++) {
        OK(gan_model_train_classifier_step(m, o, x, N * 4, y, N, &loss, &acc));
        if (s == 0)
            first = loss;
    }
    ck_assert_msg(loss < 0.2f * first, "loss %g from %g", (double)loss, (double)first);
    ck_assert_msg(acc > 0.95f, "accuracy %g", (double)acc);
    OK(gan_dataset_create_float(&ds, x, N, 1, (int[]){4}, y, 1));
    OK(gan_model_evaluate_classifier(m, ds, 64, &eloss, &eacc));
    ck_assert_msg(eacc > 0.95f, "eval accuracy %g", (double)eacc);
    ck_assert(isfinite(eloss) && eloss < 0.5f);
    gan_dataset_free(ds);
    gan_optimizer_free(o);
    gan_model_free(m);
}
END_TEST

START_TEST(test_train_step_nan_changes_nothing)
{
    enum { N = 12 };
    float x[N * 4], p0[8 * 4 + 8], p1[8 * 4 + 8], s0[16], s1[16];
    int32_t y[N];
    gan_model *m = mlp(8, 3);
    gan_optimizer *o = NULL;
    gan_optimizer_config oc;
    uint64_t step;
    size_t n_state;
    blobs(x, y, N);
    GAN_OPTIMIZER_CONFIG_INIT(&oc);
    OK(gan_optimizer_create(&o, m, &oc));
    OK(gan_model_train_classifier_step(m, o, x, N * 4, y, N, NULL, NULL));
    OK(gan_model_get_params(m, 0, p0, 8 * 4 + 8));
    OK(gan_model_get_state(m, 1, s0, 16));
    x[5] = NAN;
    TU_ASSERT_FAILS(gan_model_train_classifier_step(m, o, x, N * 4, y, N, NULL, NULL),
                    GAN_ENUMERIC);
    OK(gan_model_get_params(m, 0, p1, 8 * 4 + 8));
    OK(gan_model_get_state(m, 1, s1, 16));
    ck_assert(memcmp(p0, p1, sizeof p0) == 0);
    ck_assert(memcmp(s0, s1, sizeof s0) == 0);
    OK(gan_optimizer_state_size(o, &n_state));
    {
        float *st = calloc(n_state, sizeof *st);
        OK(gan_optimizer_get_state(o, st, n_state, &step));
        ck_assert_uint_eq(step, 1);
        free(st);
    }
    gan_optimizer_free(o);
    gan_model_free(m);
}
END_TEST

START_TEST(test_train_step_misuse)
{
    float x[8] = {0}, v;
    int32_t y[2] = {0, 1}, bad[2] = {0, 3};
    gan_model *m = mlp(4, 3), *other = mlp(4, 3), *one = mlp(4, 1);
    gan_optimizer *o = NULL, *oo = NULL, *o1 = NULL;
    gan_optimizer_config oc;
    gan_dataset *ds = NULL;
    GAN_OPTIMIZER_CONFIG_INIT(&oc);
    OK(gan_optimizer_create(&o, m, &oc));
    OK(gan_optimizer_create(&oo, other, &oc));
    OK(gan_optimizer_create(&o1, one, &oc));
    TU_ASSERT_FAILS(gan_model_train_classifier_step(NULL, o, x, 8, y, 2, &v, NULL), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_model_train_classifier_step(m, NULL, x, 8, y, 2, &v, NULL), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_model_train_classifier_step(m, oo, x, 8, y, 2, &v, NULL), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_model_train_classifier_step(m, o, NULL, 8, y, 2, &v, NULL), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_model_train_classifier_step(m, o, x, 8, NULL, 2, &v, NULL), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_model_train_classifier_step(m, o, x, 7, y, 2, &v, NULL), GAN_ESHAPE);
    TU_ASSERT_FAILS(gan_model_train_classifier_step(m, o, x, 8, bad, 2, &v, NULL), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_model_train_classifier_step(m, o, x, 0, y, 0, &v, NULL), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_model_train_classifier_step(one, o1, x, 8, y, 2, &v, NULL), GAN_ESHAPE);
    /* Unlabelled dataset, wrong shape. */
    OK(gan_dataset_create_float(&ds, x, 2, 1, (int[]){4}, NULL, 1));
    TU_ASSERT_FAILS(gan_model_evaluate_classifier(m, ds, 0, &v, NULL), GAN_EINVAL);
    gan_dataset_free(ds);
    OK(gan_dataset_create_float(&ds, x, 4, 1, (int[]){2}, NULL, 1));
    TU_ASSERT_FAILS(gan_model_evaluate_classifier(m, ds, 0, &v, NULL), GAN_ESHAPE);
    gan_dataset_free(ds);
    gan_optimizer_free(o);
    gan_optimizer_free(oo);
    gan_optimizer_free(o1);
    /* A handle of the wrong type. */
    TU_ASSERT_FAILS(gan_model_train_classifier_step((gan_model *)(void *)ds_wrong_type(), NULL, x,
                                                    8, y, 2, &v, NULL),
                    GAN_ESTATE);
    free_wrong();
    gan_model_free(m);
    gan_model_free(other);
    gan_model_free(one);
}
END_TEST

/* ---- linear algebra --------------------------------------------------------------- */

static void random_spd(double *a, size_t n, double ridge)
{
    double *b = malloc(n * n * sizeof *b);
    for (size_t i = 0; i < n * n; i++)
        b[i] = tu_lcg_normal(&rs);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t k = 0; k < n; k++)
                s += b[i * n + k] * b[j * n + k];
            a[i * n + j] = s / (double)n + (i == j ? ridge : 0.0);
        }
    free(b);
}

START_TEST(test_eigen_lapack_matches_jacobi)
{
    enum { N = 24 };
    double a[N * N], b[N * N], c[N * N], wa[N], wb[N];
    random_spd(a, N, 0.0);
    a[3] = a[3 * N] = -0.7; /* not PSD any more: negative eigenvalues too */
    memcpy(b, a, sizeof a);
    memcpy(c, a, sizeof a);
    OK(gan__sym_eig(b, N, wa, 1));
    OK(gan__sym_eig_ref(c, N, wb, 1));
    for (int j = 0; j < N; j++)
        ck_assert_msg(fabs(wa[j] - wb[j]) <= 1e-10 * (1.0 + fabs(wa[j])), "w[%d] %g vs %g", j,
                      wa[j], wb[j]);
    ck_assert(wa[0] < 0.0);
    /* Both reconstruct A = sum_j w_j v_j v_j^T (rows are eigenvectors). */
    for (int pass = 0; pass < 2; pass++) {
        const double *v = pass ? c : b, *w = pass ? wb : wa;
        for (int i = 0; i < N; i++)
            for (int k = 0; k < N; k++) {
                double s = 0.0;
                for (int j = 0; j < N; j++)
                    s += w[j] * v[j * N + i] * v[j * N + k];
                ck_assert_msg(fabs(s - a[i * N + k]) < 1e-10, "pass %d (%d,%d): %g vs %g", pass,
                              i, k, s, a[i * N + k]);
            }
    }
}
END_TEST

START_TEST(test_frechet_closed_forms)
{
    enum { N = 6 };
    double mu1[N], mu2[N], s1[N * N] = {0}, s2[N * N] = {0}, f, g, want = 0.0;
    /* Diagonal covariances: FID = |mu1-mu2|^2 + sum (sqrt a - sqrt b)^2. */
    for (int i = 0; i < N; i++) {
        double a = 0.5 + i, b = 2.0 + 0.3 * i;
        mu1[i] = i;
        mu2[i] = 2.0 * i - 1.0;
        s1[i * N + i] = a;
        s2[i * N + i] = b;
        want += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + (sqrt(a) - sqrt(b)) * (sqrt(a) - sqrt(b));
    }
    OK(gan__frechet(mu1, s1, mu2, s2, N, 0, &f));
    ck_assert_double_eq_tol(f, want, 1e-10 * want);
    /* Same Gaussian: 0; LAPACK and Jacobi agree on random full matrices. */
    random_spd(s1, N, 0.1);
    random_spd(s2, N, 0.0);
    OK(gan__frechet(mu1, s1, mu1, s1, N, 0, &f));
    ck_assert_double_eq_tol(f, 0.0, 1e-10);
    OK(gan__frechet(mu1, s1, mu2, s2, N, 0, &f));
    OK(gan__frechet(mu1, s1, mu2, s2, N, 1, &g));
    ck_assert_double_eq_tol(f, g, 1e-10 * f);
    /* Symmetric in its arguments. */
    OK(gan__frechet(mu2, s2, mu1, s1, N, 0, &g));
    ck_assert_double_eq_tol(f, g, 1e-9 * f);
    /* Singular S1 (rank 1): still finite and symmetric. */
    memset(s1, 0, sizeof s1);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            s1[i * N + j] = (i + 1.0) * (j + 1.0);
    OK(gan__frechet(mu1, s1, mu2, s2, N, 0, &f));
    OK(gan__frechet(mu2, s2, mu1, s1, N, 0, &g));
    ck_assert(isfinite(f));
    ck_assert_double_eq_tol(f, g, 1e-7 * f);
}
END_TEST

/* ---- streaming statistics ---------------------------------------------------------- */

/* Two-pass mean and covariance in long double: the oracle. */
static void two_pass(const float *x, size_t n, size_t d, double *mean, double *cov)
{
    for (size_t j = 0; j < d; j++) {
        long double s = 0;
        for (size_t i = 0; i < n; i++)
            s += x[i * d + j];
        mean[j] = (double)(s / n);
    }
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++) {
            long double s = 0;
            for (size_t i = 0; i < n; i++)
                s += ((long double)x[i * d + a] - mean[a]) * ((long double)x[i * d + b] - mean[b]);
            cov[a * d + b] = (double)(s / (n - 1));
        }
}

static double max_rel(const double *a, const double *b, size_t n)
{
    double scale = 0.0, err = 0.0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(b[i]));
    for (size_t i = 0; i < n; i++)
        err = fmax(err, fabs(a[i] - b[i]));
    return err / scale;
}

START_TEST(test_streaming_equals_one_shot)
{
    enum { N = 1500, D = 9 };
    float *x = malloc(N * D * sizeof *x);
    double m0[D], c0[D * D], m1[D], c1[D * D];
    gan_fid_stats *one = NULL, *parts = NULL, *half = NULL;
    uint64_t cnt;
    /* A large offset: a one-pass sum of squares would lose every digit. */
    for (size_t i = 0; i < N * D; i++)
        x[i] = (float)(1000.0 + (i % D) + tu_lcg_normal(&rs) * (1.0 + (double)(i % D)));
    two_pass(x, N, D, m0, c0);
    OK(gan_fid_stats_create(&one, D));
    OK(gan_fid_stats_add(one, x, N * D, N));
    OK(gan_fid_stats_moments(one, m1, D, c1, D * D));
    ck_assert_msg(max_rel(m1, m0, D) < 1e-13, "mean %g", max_rel(m1, m0, D));
    ck_assert_msg(max_rel(c1, c0, D * D) < 1e-10, "cov %g", max_rel(c1, c0, D * D));
    /* Uneven batches, including empty and single-row ones. */
    OK(gan_fid_stats_create(&parts, D));
    for (size_t i = 0, step = 0; i < N; step++) {
        size_t nb = (size_t[]){1, 0, 37, 256, 300, 5}[step % 6];
        if (nb > N - i)
            nb = N - i;
        OK(gan_fid_stats_add(parts, x + i * D, nb * D, nb));
        i += nb;
    }
    OK(gan_fid_stats_info(parts, NULL, &cnt, NULL));
    ck_assert_uint_eq(cnt, N);
    OK(gan_fid_stats_moments(parts, m0, D, c0, D * D));
    ck_assert_msg(max_rel(m0, m1, D) < 1e-13, "mean %g", max_rel(m0, m1, D));
    ck_assert_msg(max_rel(c0, c1, D * D) < 1e-11, "cov %g", max_rel(c0, c1, D * D));
    /* Merging two halves. */
    OK(gan_fid_stats_create(&half, D));
    OK(gan_fid_stats_add(half, x + 700 * D, 800 * D, 800));
    OK(gan_fid_stats_reset(parts));
    OK(gan_fid_stats_add(parts, x, 700 * D, 700));
    OK(gan_fid_stats_merge(parts, half));
    OK(gan_fid_stats_moments(parts, m0, D, c0, D * D));
    ck_assert(max_rel(m0, m1, D) < 1e-13 && max_rel(c0, c1, D * D) < 1e-11);
    {
        double f;
        OK(gan_frechet_distance(one, parts, &f));
        ck_assert_double_eq_tol(f, 0.0, 1e-8);
    }
    gan_fid_stats_free(one);
    gan_fid_stats_free(parts);
    gan_fid_stats_free(half);
    free(x);
}
END_TEST

START_TEST(test_fid_of_gaussians)
{
    /* N(0, I) vs N(1, 4 I) in D dims: FID = D + D (2 - 1)^2 = 2D, as n grows. */
    enum { N = 20000, D = 4 };
    float *a = malloc(N * D * sizeof *a), *b = malloc(N * D * sizeof *b);
    gan_fid_stats *sa = NULL, *sb = NULL;
    double f;
    for (size_t i = 0; i < N * D; i++) {
        a[i] = (float)tu_lcg_normal(&rs);
        b[i] = (float)(1.0 + 2.0 * tu_lcg_normal(&rs));
    }
    OK(gan_fid_stats_create(&sa, D));
    OK(gan_fid_stats_create(&sb, D));
    OK(gan_fid_stats_add(sa, a, N * D, N));
    OK(gan_fid_stats_add(sb, b, N * D, N));
    OK(gan_frechet_distance(sa, sb, &f));
    ck_assert_msg(fabs(f - 2.0 * D) < 0.3, "FID %g, expected about %d", f, 2 * D);
    gan_fid_stats_free(sa);
    gan_fid_stats_free(sb);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_stats_save_load)
{
    enum { N = 50, D = 5 };
    float x[N * D];
    gan_fid_stats *s = NULL, *t = NULL;
    double m0[D], c0[D * D], m1[D], c1[D * D];
    unsigned char *buf = NULL, *bad;
    size_t len = 0, dim;
    uint64_t n;
    char path[] = "/tmp/check_metrics_XXXXXX";
    int fd;
    for (size_t i = 0; i < N * D; i++)
        x[i] = (float)tu_lcg_normal(&rs);
    OK(gan_fid_stats_create(&s, D));
    OK(gan_fid_stats_add(s, x, N * D, N));
    OK(gan_fid_stats_save_mem(s, (void **)&buf, &len));
    ck_assert_uint_eq(len, 36 + 8 * D + 8 * D * D);
    ck_assert(memcmp(buf, "GANFSTAT", 8) == 0);
    OK(gan_fid_stats_load_mem(&t, buf, len));
    OK(gan_fid_stats_info(t, &dim, &n, NULL));
    ck_assert_uint_eq(dim, D);
    ck_assert_uint_eq(n, N);
    OK(gan_fid_stats_moments(s, m0, D, c0, D * D));
    OK(gan_fid_stats_moments(t, m1, D, c1, D * D));
    ck_assert(memcmp(m0, m1, sizeof m0) == 0);
    ck_assert(max_rel(c1, c0, D * D) < 1e-15);
    gan_fid_stats_free(t);
    t = NULL;
    /* Every single-byte corruption is caught (CRC, magic, version, size). */
    bad = malloc(len);
    for (size_t i = 0; i < len; i++) {
        gan_status st;
        memcpy(bad, buf, len);
        bad[i] ^= 0x20;
        st = gan_fid_stats_load_mem(&t, bad, len);
        ck_assert_msg(st == GAN_EFORMAT || st == GAN_EVERSION, "byte %zu: status %d", i, (int)st);
        ck_assert_ptr_null(t);
    }
    TU_ASSERT_FAILS(gan_fid_stats_load_mem(&t, buf, len - 1), GAN_EFORMAT);
    TU_ASSERT_FAILS(gan_fid_stats_load_mem(&t, buf, 10), GAN_EFORMAT);
    memcpy(bad, buf, len);
    bad[8] = 2; /* version 2: a newer format */
    TU_ASSERT_FAILS(gan_fid_stats_load_mem(&t, bad, len), GAN_EVERSION);
    free(bad);
    /* Files. */
    fd = mkstemp(path);
    ck_assert(fd >= 0);
    close(fd);
    OK(gan_fid_stats_save(s, path));
    OK(gan_fid_stats_load(&t, path));
    OK(gan_fid_stats_moments(t, m1, D, NULL, 0));
    ck_assert(memcmp(m0, m1, sizeof m0) == 0);
    gan_fid_stats_free(t);
    unlink(path);
    TU_ASSERT_FAILS(gan_fid_stats_load(&t, path), GAN_EIO);
    gan_free(buf);
    gan_fid_stats_free(s);
}
END_TEST

START_TEST(test_stats_misuse)
{
    gan_fid_stats *s = NULL, *t = NULL;
    float x[6] = {1, 2, 3, 4, 5, NAN};
    double f, m[3];
    TU_ASSERT_FAILS(gan_fid_stats_create(NULL, 3), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_fid_stats_create(&s, 0), GAN_EINVAL);
    ck_assert_ptr_null(s);
    OK(gan_fid_stats_create(&s, 3));
    OK(gan_fid_stats_create(&t, 2));
    TU_ASSERT_FAILS(gan_fid_stats_add(s, x, 5, 2), GAN_ESHAPE);
    TU_ASSERT_FAILS(gan_fid_stats_add(s, NULL, 6, 2), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_fid_stats_add(s, x, 6, 2), GAN_ENUMERIC);
    OK(gan_fid_stats_add(s, x, 3, 1));
    TU_ASSERT_FAILS(gan_fid_stats_moments(s, m, 3, m, 3), GAN_ESHAPE);
    TU_ASSERT_FAILS(gan_fid_stats_moments(s, m, 2, NULL, 0), GAN_ESHAPE);
    OK(gan_fid_stats_moments(s, m, 3, NULL, 0));
    ck_assert(m[0] == 1.0 && m[2] == 3.0);
    TU_ASSERT_FAILS(gan_frechet_distance(s, s, &f), GAN_ESTATE); /* one sample */
    TU_ASSERT_FAILS(gan_frechet_distance(s, t, &f), GAN_ESHAPE);
    TU_ASSERT_FAILS(gan_frechet_distance(s, s, NULL), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_fid_stats_merge(s, t), GAN_ESHAPE);
    TU_ASSERT_FAILS(gan_fid_stats_merge(s, s), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_fid_stats_add((gan_fid_stats *)(void *)&f, x, 3, 1), GAN_ESTATE);
    gan_fid_stats_free(t);
    TU_ASSERT_FAILS(gan_fid_stats_reset((gan_fid_stats *)(void *)ds_wrong_type()), GAN_ESTATE);
    free_wrong();
    gan_fid_stats_free(s);
    gan_fid_stats_free(NULL);
}
END_TEST

/* ---- Inception Score ----------------------------------------------------------------- */

START_TEST(test_inception_score_bounds)
{
    enum { N = 100, K = 10 };
    float p[N * K];
    double m, s;
    /* Every sample the same distribution: IS 1. */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < K; j++)
            p[i * K + j] = (float)(j + 1) / 55.0f;
    OK(gan_inception_score(p, N * K, N, 10, &m, &s));
    ck_assert_double_eq_tol(m, 1.0, 1e-6);
    ck_assert_double_eq_tol(s, 0.0, 1e-6);
    /* Confident and evenly spread within each split: IS = K exactly. */
    memset(p, 0, sizeof p);
    for (int i = 0; i < N; i++)
        p[i * K + i % K] = 1.0f;
    OK(gan_inception_score(p, N * K, N, 0, &m, &s));
    ck_assert_double_eq_tol(m, (double)K, 1e-9);
    ck_assert_double_eq_tol(s, 0.0, 1e-9);
    /* One split, two classes, by hand: p = (1,0) and (0.5,0.5): p(y) =
       (0.75, 0.25); KL1 = log(1/0.75), KL2 = 0.5 log(0.5/0.75) + 0.5 log(0.5/0.25). */
    {
        float q[4] = {1.0f, 0.0f, 0.5f, 0.5f};
        double want = exp(0.5 * (log(1.0 / 0.75) + 0.5 * log(0.5 / 0.75) + 0.5 * log(2.0)));
        OK(gan_inception_score(q, 4, 2, 1, &m, &s));
        ck_assert_double_eq_tol(m, want, 1e-7);
        /* Two splits of one sample each: each IS 1. */
        OK(gan_inception_score(q, 4, 2, 2, &m, &s));
        ck_assert_double_eq_tol(m, 1.0, 1e-7);
    }
    TU_ASSERT_FAILS(gan_inception_score(NULL, 4, 2, 1, &m, &s), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_inception_score(p, N * K, 5, 10, &m, &s), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_inception_score(p, N * K - 1, N, 10, &m, &s), GAN_ESHAPE);
    TU_ASSERT_FAILS(gan_inception_score(p, N * K, N, -1, &m, &s), GAN_EINVAL);
    p[3] = -0.5f;
    TU_ASSERT_FAILS(gan_inception_score(p, N * K, N, 10, &m, &s), GAN_EINVAL);
}
END_TEST

/* ---- the feature network driver ------------------------------------------------------- */

/* A small image classifier 6x6x1 -> conv -> flatten -> dense 5 -> relu -> dense 3. */
static gan_model *tiny_cnn(uint64_t seed)
{
    int in[3] = {6, 6, 1};
    gan_model *m = NULL;
    gan_conv2d_config c;
    gan_dense_config d;
    OK(gan_model_create(&m, 3, in));
    OK(gan_model_init_params(m, seed));
    GAN_CONV2D_CONFIG_INIT(&c);
    c.filters = 2;
    c.stride_h = c.stride_w = 2;
    c.padding = GAN_PADDING_SAME;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_batchnorm(m, NULL));
    OK(gan_model_add_flatten(m));
    GAN_DENSE_CONFIG_INIT(&d);
    d.units = 5;
    OK(gan_model_add_dense(m, &d));
    OK(gan_model_add_relu(m));
    d.units = 3;
    OK(gan_model_add_dense(m, &d));
    return m;
}

START_TEST(test_metrics_run_paths_agree)
{
    enum { N = 70 };
    gan_model *net = tiny_cnn(3);
    gan_metrics *mt = NULL;
    gan_fid_stats *a = NULL, *b = NULL, *c = NULL;
    float *x = malloc(N * 36 * sizeof *x), *f = malloc(N * 5 * sizeof *f);
    float p[N * 3], q[N * 3], logits[N * 3];
    size_t dim, k;
    uint32_t id, ida, idb;
    double ma[5], mb[5], ca[25], cb[25];
    gan_dataset *ds = NULL;
    for (size_t i = 0; i < N * 36; i++)
        x[i] = (float)(2.0 * tu_lcg_uniform(&rs) - 1.0);
    OK(gan_metrics_create(&mt, net, -1, 16)); /* batches of 16: 5 passes */
    OK(gan_metrics_dims(mt, &dim, &k, &id));
    ck_assert_uint_eq(dim, 5);
    ck_assert_uint_eq(k, 3);
    ck_assert_uint_ne(id, 0);
    OK(gan_fid_stats_create(&a, dim));
    OK(gan_fid_stats_create(&b, dim));
    OK(gan_fid_stats_create(&c, dim));
    OK(gan_metrics_run(mt, x, N * 36, N, a, p, N * 3));
    OK(gan_metrics_features(mt, x, N * 36, N, f, N * 5));
    OK(gan_fid_stats_add(b, f, N * 5, N));
    OK(gan_dataset_create_float(&ds, x, N, 3, (int[]){6, 6, 1}, NULL, 0));
    OK(gan_metrics_run_dataset(mt, ds, 0, c, q, N * 3));
    ck_assert(memcmp(p, q, sizeof p) == 0);
    OK(gan_fid_stats_info(a, NULL, NULL, &ida));
    OK(gan_fid_stats_info(b, NULL, NULL, &idb));
    ck_assert_uint_eq(ida, id);
    ck_assert_uint_eq(idb, 0);
    OK(gan_fid_stats_moments(a, ma, 5, ca, 25));
    OK(gan_fid_stats_moments(b, mb, 5, cb, 25));
    ck_assert(max_rel(ma, mb, 5) < 1e-12 && max_rel(ca, cb, 25) < 1e-12);
    /* Features are the relu (layer 4) output; probabilities the softmax. */
    for (size_t i = 0; i < N * 5; i++)
        ck_assert(f[i] >= 0.0f);
    OK(gan_model_forward(net, x, N * 36, N, GAN_MODE_INFER, logits, N * 3));
    for (int i = 0; i < N; i++) {
        double s = 0.0, mx = fmax(fmax(logits[i * 3], logits[i * 3 + 1]), logits[i * 3 + 2]);
        for (int j = 0; j < 3; j++)
            s += exp(logits[i * 3 + j] - mx);
        for (int j = 0; j < 3; j++)
            ck_assert_double_eq_tol(p[i * 3 + j], exp(logits[i * 3 + j] - mx) / s, 1e-6);
    }
    /* limit */
    OK(gan_fid_stats_reset(c));
    OK(gan_metrics_run_dataset(mt, ds, 10, c, q, 10 * 3));
    {
        uint64_t n;
        OK(gan_fid_stats_info(c, NULL, &n, NULL));
        ck_assert_uint_eq(n, 10);
    }
    gan_dataset_free(ds);
    gan_fid_stats_free(a);
    gan_fid_stats_free(b);
    gan_fid_stats_free(c);
    gan_metrics_free(mt);
    gan_model_free(net);
    free(x);
    free(f);
}
END_TEST

static gan_model *tiny_generator(void)
{
    int shape[3] = {6, 6, 1};
    gan_model *g = tu_model(1, 3, 0, 0);
    tu_add_dense(g, 36, 1);
    OK(gan_model_add_tanh(g));
    OK(gan_model_add_reshape(g, 3, shape));
    return g;
}

START_TEST(test_metrics_generator_and_networks)
{
    gan_model *net = tiny_cnn(3), *net2 = tiny_cnn(4), *g = tiny_generator(), *bad = tiny_cnn(5);
    gan_metrics *mt = NULL, *mt2 = NULL;
    gan_fid_stats *a = NULL, *b = NULL, *c = NULL;
    float p[40 * 3], q[40 * 3];
    double f;
    OK(gan_metrics_create(&mt, net, -1, 8));
    OK(gan_metrics_create(&mt2, net2, -1, 0));
    OK(gan_fid_stats_create(&a, 5));
    OK(gan_fid_stats_create(&b, 5));
    OK(gan_fid_stats_create(&c, 5));
    /* Same seed, same images (whatever the batch size); another seed differs. */
    OK(gan_metrics_run_generator(mt, g, 11, 40, a, p, 40 * 3));
    OK(gan_metrics_run_generator(mt, g, 11, 40, b, q, 40 * 3));
    ck_assert(memcmp(p, q, sizeof p) == 0);
    OK(gan_frechet_distance(a, b, &f));
    ck_assert_double_eq_tol(f, 0.0, 1e-9);
    OK(gan_metrics_run_generator(mt, g, 12, 40, NULL, q, 40 * 3));
    ck_assert(memcmp(p, q, sizeof p) != 0);
    /* Another network: its statistics are refused. */
    OK(gan_metrics_run_generator(mt2, g, 11, 40, c, NULL, 0));
    TU_ASSERT_FAILS(gan_frechet_distance(a, c, &f), GAN_ESTATE);
    TU_ASSERT_FAILS(gan_fid_stats_merge(a, c), GAN_ESTATE);
    TU_ASSERT_FAILS(gan_metrics_run_generator(mt, g, 11, 40, c, NULL, 0), GAN_ESTATE);
    /* Misuse. */
    {
        gan_metrics *none = NULL;
        TU_ASSERT_FAILS(gan_metrics_create(&none, net, 6, 0), GAN_EINVAL);
        TU_ASSERT_FAILS(gan_metrics_create(&none, net, -2, 0), GAN_EINVAL);
        ck_assert_ptr_null(none);
    }
    TU_ASSERT_FAILS(gan_metrics_create(NULL, net, -1, 0), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_metrics_run_generator(mt, net2, 1, 4, a, NULL, 0), GAN_ESHAPE);
    TU_ASSERT_FAILS(gan_metrics_run_generator(mt, net, 1, 4, a, NULL, 0), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_metrics_run_generator(mt, g, 1, 0, a, NULL, 0), GAN_EINVAL);
    TU_ASSERT_FAILS(gan_metrics_run_generator(mt, g, 1, 4, a, p, 5), GAN_ESHAPE);
    TU_ASSERT_FAILS(gan_metrics_run(mt, p, 7, 1, a, NULL, 0), GAN_ESHAPE);
    gan_fid_stats_free(c);
    OK(gan_fid_stats_create(&c, 4));
    TU_ASSERT_FAILS(gan_metrics_run_generator(mt, g, 1, 4, c, NULL, 0), GAN_ESHAPE);
    /* A network without class logits: features yes, probabilities no. */
    {
        gan_dense_config d;
        gan_metrics *m3 = NULL;
        gan_model_free(bad);
        OK(gan_model_create(&bad, 3, (int[]){6, 6, 1}));
        OK(gan_model_add_flatten(bad));
        GAN_DENSE_CONFIG_INIT(&d);
        d.units = 1;
        OK(gan_model_add_dense(bad, &d));
        OK(gan_model_add_sigmoid(bad));
        OK(gan_metrics_create(&m3, bad, 1, 0));
        TU_ASSERT_FAILS(gan_metrics_run_generator(m3, g, 1, 4, NULL, p, 4), GAN_ESTATE);
        gan_metrics_free(m3);
    }
    gan_metrics_free(mt2);
    gan_model_free(net2);
    TU_ASSERT_FAILS(gan_metrics_run_generator((gan_metrics *)(void *)a, g, 1, 4, NULL, NULL, 0),
                    GAN_ESTATE);
    gan_fid_stats_free(a);
    gan_fid_stats_free(b);
    gan_fid_stats_free(c);
    gan_metrics_free(mt);
    gan_metrics_free(NULL);
    gan_model_free(net);
    gan_model_free(g);
    gan_model_free(bad);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("classifier");
    tcase_add_test(tc, test_sce_value_and_accuracy);
    tcase_add_test(tc, test_sce_stable_for_huge_logits);
    tcase_add_test(tc, test_sce_gradient_check);
    tcase_add_test(tc, test_sce_misuse);
    tcase_add_test(tc, test_train_step_learns_blobs);
    tcase_add_test(tc, test_train_step_nan_changes_nothing);
    tcase_add_test(tc, test_train_step_misuse);
    suite_add_tcase(s, tc);
    tc = tcase_create("fid");
    tcase_add_test(tc, test_eigen_lapack_matches_jacobi);
    tcase_add_test(tc, test_frechet_closed_forms);
    tcase_add_test(tc, test_streaming_equals_one_shot);
    tcase_add_test(tc, test_fid_of_gaussians);
    tcase_add_test(tc, test_stats_save_load);
    tcase_add_test(tc, test_stats_misuse);
    suite_add_tcase(s, tc);
    tc = tcase_create("is_and_driver");
    tcase_add_test(tc, test_inception_score_bounds);
    tcase_add_test(tc, test_metrics_run_paths_agree);
    tcase_add_test(tc, test_metrics_generator_and_networks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(metrics_suite());
}
