/*
 * check_precision_recall.c -- improved precision and recall
 * (libgan/metrics/precision_recall.c): the blocked GEMM path against the
 * naive twin on random sets across block boundaries and k; cases with a
 * known answer (identical sets, disjoint sets, a generator covering half of
 * the real clusters, one collapsed to a point); argument errors.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"
#include "test_util.h"

/* n points of dim features around `clusters` random centres (sd 0.3,
   centres in [-3, 3)): point i around centre first_cluster + i mod
   clusters of one fixed list of centres. */
static float *clustered(size_t n, size_t dim, int clusters, uint64_t seed, int first_cluster)
{
    float *x = tu_alloc(n * dim), *c = tu_alloc((size_t)(clusters + first_cluster) * dim);
    tu_lcg r = {seed};
    tu_fill(c, (size_t)(clusters + first_cluster) * dim, 99, -3.0f, 3.0f);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < dim; j++)
            x[i * dim + j] = c[(first_cluster + i % (size_t)clusters) * dim + j] +
                             (float)(0.3 * tu_lcg_normal(&r));
    free(c);
    return x;
}

START_TEST(test_matches_naive)
{
    static const struct { size_t nr, nf, dim; int k; } cases[] = {
        {40, 30, 3, 3}, {300, 270, 8, 3}, {257, 513, 5, 1}, {100, 100, 16, 7}, {16, 11, 2, 2},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        float *r = clustered(cases[c].nr, cases[c].dim, 5, 1 + c, 0);
        float *f = clustered(cases[c].nf, cases[c].dim, 6, 50 + c, 2);   /* clusters 2..7 */
        double p, q, pr, qr;
        OK(gan_precision_recall(r, cases[c].nr * cases[c].dim, cases[c].nr, f,
                                cases[c].nf * cases[c].dim, cases[c].nf, cases[c].dim,
                                cases[c].k, &p, &q));
        OK(gan__pr_ref(r, cases[c].nr, f, cases[c].nf, cases[c].dim, cases[c].k, &pr, &qr));
        /* Float distances may flip a point sitting on a ball's edge. */
        ck_assert_msg(fabs(p - pr) <= 1.0 / cases[c].nf + 1e-12, "case %zu: precision %g, naive %g",
                      c, p, pr);
        ck_assert_msg(fabs(q - qr) <= 1.0 / cases[c].nr + 1e-12, "case %zu: recall %g, naive %g", c,
                      q, qr);
        if (cases[c].nr >= 100)   /* large sets: neither share is trivial */
            ck_assert_msg(p > 0.0 && p < 1.0 && q > 0.0 && q < 1.0, "case %zu: %g %g", c, p, q);
        free(r);
        free(f);
    }
}
END_TEST

START_TEST(test_known_answers)
{
    const size_t n = 200, dim = 4;
    float *r = clustered(n, dim, 4, 7, 0), *far = tu_alloc(n * dim), *half = tu_alloc(n * dim);
    float *point = tu_alloc(n * dim);
    double p, q;
    /* The same set: every point is inside its own ball. */
    OK(gan_precision_recall(r, n * dim, n, r, n * dim, n, dim, 3, &p, &q));
    ck_assert(p == 1.0 && q == 1.0);
    /* Shifted far away: nothing inside. */
    for (size_t i = 0; i < n * dim; i++)
        far[i] = r[i] + 100.0f;
    OK(gan_precision_recall(r, n * dim, n, far, n * dim, n, dim, 3, &p, &q));
    ck_assert(p == 0.0 && q == 0.0);
    /* A generator that reproduces only the real points of clusters 0 and 1
       (each twice): precision 1, recall about one half. */
    for (size_t i = 0; i < n; i++) {
        const size_t src = (i / 2) * 4 + (i % 2);     /* clusters 0, 1 only */
        memcpy(half + i * dim, r + (src % n) * dim, dim * sizeof(float));
    }
    OK(gan_precision_recall(r, n * dim, n, half, n * dim, n, dim, 3, &p, &q));
    ck_assert_double_eq(p, 1.0);
    ck_assert_double_ge(q, 0.45);
    ck_assert_double_le(q, 0.55);
    /* Collapsed to one real point: precision 1, recall near 0 (the fake
       balls have radius 0: only that point is covered). */
    for (size_t i = 0; i < n; i++)
        memcpy(point + i * dim, r, dim * sizeof(float));
    OK(gan_precision_recall(r, n * dim, n, point, n * dim, n, dim, 3, &p, NULL));
    ck_assert(p == 1.0);
    OK(gan_precision_recall(r, n * dim, n, point, n * dim, n, dim, 3, NULL, &q));
    ck_assert_double_le(q, 2.0 / n);
    free(r);
    free(far);
    free(half);
    free(point);
}
END_TEST

START_TEST(test_errors)
{
    float a[12] = {0}, b[12] = {0};
    double p, q;
    TU_ASSERT_ERROR(gan_precision_recall(NULL, 12, 6, b, 12, 6, 2, 3, &p, &q), GAN_EINVAL,
                    "gan_precision_recall", "NULL");
    TU_ASSERT_ERROR(gan_precision_recall(a, 12, 6, b, 12, 6, 2, 0, &p, &q), GAN_EINVAL, "k 0");
    TU_ASSERT_ERROR(gan_precision_recall(a, 12, 6, b, 12, 6, 2, 6, &p, &q), GAN_EINVAL,
                    "more than k = 6");
    TU_ASSERT_ERROR(gan_precision_recall(a, 12, 6, b, 12, 6, 0, 3, &p, &q), GAN_EINVAL, "dim 0");
    TU_ASSERT_ERROR(gan_precision_recall(a, 11, 6, b, 12, 6, 2, 3, &p, &q), GAN_ESHAPE,
                    "real has 11 values");
    TU_ASSERT_ERROR(gan_precision_recall(a, 12, 4, b, 12, 6, 3, 3, &p, &q), GAN_ESHAPE,
                    "fake has 12 values");
    b[5] = NAN;
    TU_ASSERT_ERROR(gan_precision_recall(a, 12, 6, b, 12, 6, 2, 3, &p, &q), GAN_ENUMERIC,
                    "fake value 5");
}
END_TEST

static Suite *pr_suite(void)
{
    Suite *s = suite_create("precision_recall");
    TCase *t = tcase_create("metric");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_matches_naive);
    tcase_add_test(t, test_known_answers);
    tcase_add_test(t, test_errors);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(pr_suite());
}
