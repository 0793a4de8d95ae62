/*
 * gemm_wasm.c -- the GEMM of WebAssembly builds (examples/web, issue 20):
 * 128-bit SIMD (-msimd128), for op(A) = A, the two shapes inference runs
 * (dense and convolution: C = A B; transposed convolution: C = A B^T).
 * There is no OpenBLAS in a browser, and the naive loop (gan__sgemm_ref)
 * walks B with a stride of a row per step.
 *
 *   A B   : a block of 4 rows x 8 columns of C in 8 vector accumulators; per
 *           step p two vectors of B's row p, times A(i, p) broadcast.
 *   A B^T : rows of A and rows of B are both contiguous in p: 2 rows x 4
 *           columns of C as 8 four-lane dot products, summed at the end.
 *
 * Sums are in float (the reference sums in double), in another order: the
 * results differ from gan__sgemm_ref by rounding only, which
 * tests/web/check_wasm_kernels.c bounds on awkward shapes.  No fused
 * multiply-add (WebAssembly SIMD has none; -ffp-contract=off).  Other
 * builds compile this file to nothing.
 */
#include "kernels/kernels.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

static inline v128_t gan__store_scaled(v128_t acc, float alpha, float beta, const float *c)
{
    v128_t v = wasm_f32x4_mul(acc, wasm_f32x4_splat(alpha));
    /* beta == 0 ignores C, which may hold NaN garbage (as the reference). */
    if (beta != 0.0f)
        v = wasm_f32x4_add(v, wasm_f32x4_mul(wasm_f32x4_splat(beta), wasm_v128_load(c)));
    return v;
}

static inline float gan__scaled(float acc, float alpha, float beta, const float *c)
{
    return alpha * acc + (beta == 0.0f ? 0.0f : beta * *c);
}

/* C rows i..i+R-1 (R <= 4) = alpha A B + beta C. */
static inline __attribute__((always_inline)) void
gan__nn_rows(const int R, int i, int n, int k, float alpha, const float *a, int lda,
             const float *b, int ldb, float beta, float *c, int ldc)
{
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        v128_t acc[4][2];
        for (int r = 0; r < R; r++)
            acc[r][0] = acc[r][1] = wasm_f32x4_splat(0.0f);
        for (int p = 0; p < k; p++) {
            const float *bp = b + (size_t)p * ldb + j;
            const v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
            for (int r = 0; r < R; r++) {
                const v128_t av = wasm_f32x4_splat(a[(size_t)(i + r) * lda + p]);
                acc[r][0] = wasm_f32x4_add(acc[r][0], wasm_f32x4_mul(av, b0));
                acc[r][1] = wasm_f32x4_add(acc[r][1], wasm_f32x4_mul(av, b1));
            }
        }
        for (int r = 0; r < R; r++) {
            float *cr = c + (size_t)(i + r) * ldc + j;
            const v128_t v0 = gan__store_scaled(acc[r][0], alpha, beta, cr);
            const v128_t v1 = gan__store_scaled(acc[r][1], alpha, beta, cr + 4);
            wasm_v128_store(cr, v0);
            wasm_v128_store(cr + 4, v1);
        }
    }
    for (; j < n; j++)
        for (int r = 0; r < R; r++) {
            float acc = 0.0f;
            for (int p = 0; p < k; p++)
                acc += a[(size_t)(i + r) * lda + p] * b[(size_t)p * ldb + j];
            float *cij = c + (size_t)(i + r) * ldc + j;
            *cij = gan__scaled(acc, alpha, beta, cij);
        }
}

static inline float gan__hsum(v128_t v)
{
    return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
           (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

/* One dot product of length k, four lanes then the tail. */
static inline float gan__dot(const float *x, const float *y, int k)
{
    v128_t acc = wasm_f32x4_splat(0.0f);
    int p = 0;
    for (; p + 4 <= k; p += 4)
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(x + p), wasm_v128_load(y + p)));
    float s = gan__hsum(acc);
    for (; p < k; p++)
        s += x[p] * y[p];
    return s;
}

/* C rows i..i+R-1 (R <= 2) = alpha A B^T + beta C. */
static inline __attribute__((always_inline)) void
gan__nt_rows(const int R, int i, int n, int k, float alpha, const float *a, int lda,
             const float *b, int ldb, float beta, float *c, int ldc)
{
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        v128_t acc[2][4];
        for (int r = 0; r < R; r++)
            for (int q = 0; q < 4; q++)
                acc[r][q] = wasm_f32x4_splat(0.0f);
        int p = 0;
        for (; p + 4 <= k; p += 4) {
            v128_t bv[4];
            for (int q = 0; q < 4; q++)
                bv[q] = wasm_v128_load(b + (size_t)(j + q) * ldb + p);
            for (int r = 0; r < R; r++) {
                const v128_t av = wasm_v128_load(a + (size_t)(i + r) * lda + p);
                for (int q = 0; q < 4; q++)
                    acc[r][q] = wasm_f32x4_add(acc[r][q], wasm_f32x4_mul(av, bv[q]));
            }
        }
        for (int r = 0; r < R; r++)
            for (int q = 0; q < 4; q++) {
                const float *ar = a + (size_t)(i + r) * lda, *bq = b + (size_t)(j + q) * ldb;
                float s = gan__hsum(acc[r][q]);
                for (int pp = p; pp < k; pp++)
                    s += ar[pp] * bq[pp];
                float *cij = c + (size_t)(i + r) * ldc + j + q;
                *cij = gan__scaled(s, alpha, beta, cij);
            }
    }
    for (; j < n; j++)
        for (int r = 0; r < R; r++) {
            float *cij = c + (size_t)(i + r) * ldc + j;
            *cij = gan__scaled(gan__dot(a + (size_t)(i + r) * lda, b + (size_t)j * ldb, k), alpha,
                               beta, cij);
        }
}

int gan__sgemm_wasm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                    int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    int i = 0;
    if (trans_a || m <= 0 || n <= 0 || k <= 0)
        return 0;
    if (!trans_b) {
        for (; i + 4 <= m; i += 4)
            gan__nn_rows(4, i, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        for (; i < m; i++)
            gan__nn_rows(1, i, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    } else {
        for (; i + 2 <= m; i += 2)
            gan__nt_rows(2, i, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        for (; i < m; i++)
            gan__nt_rows(1, i, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    return 1;
}
#else
/* ISO C wants a declaration in every translation unit. */
typedef int gan__gemm_wasm_unused;
#endif
