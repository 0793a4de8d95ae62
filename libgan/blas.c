/*
 * blas.c -- the one door to matrix multiplication, and the thread count.
 *
 * All GEMMs of the library go through gan__sgemm, so the BLAS can be swapped
 * (or absent: GAN_USE_OPENBLAS=OFF builds use the reference loop) in one
 * place.  gan__sgemm_ref is the naive twin the tests compare against.
 */
#include "gan_internal.h"

#ifdef GAN_HAVE_OPENBLAS
#  include <cblas.h>
#endif

static int gan__threads = 1;

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
#ifdef GAN_HAVE_OPENBLAS
    openblas_set_num_threads(n);
#endif
    return GAN_OK;
}

int gan_get_threads(void)
{
    return gan__threads;
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
#ifdef GAN_HAVE_OPENBLAS
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
                beta, c, ldc);
#else
    gan__sgemm_ref(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}
