/*
 * gemm_rows.c -- C = alpha A B^T + beta C for at most 16 rows of A, with
 * AVX2 and FMA: the products of batch-1 sampling.
 *
 * At batch 1 the CIFAR-10 generator's first transposed convolution
 * multiplies 12-16 input pixels by 1024 x 512 weights per kernel row
 * (conv_taps.c): every weight is used 12-16 times and is read from L3 or
 * memory, as the pass reads 15 MB of weights once.  oneDNN's and
 * OpenBLAS' kernels vectorise along the columns of C and so repack the
 * weights into column panels on every call; in a sampling pass they ran
 * these products at 38-47 GFLOP/s on one Zen 3 core (67-73 when the
 * weights sat in cache).  This kernel vectorises along the rows instead,
 * which need no repacking of B:
 *
 *   A^T, K x 16 (zero-padded rows), packed once per call on the stack;
 *   per step k: two vectors A^T[k][0..15] and six broadcasts B[j][k]
 *   (six rows of B, each read once, in order) into 12 accumulators,
 *   a 16 x 6 block of C.
 *
 * Each C element is one fused multiply-add chain over k = 0..K-1 from
 * 0, in order, whoever computes it: the vector lanes, the scalar loop of
 * the last columns (fmaf: the same operations), any split of the columns
 * between threads, any K blocking (a partial sum parked in C as a float
 * is the value the chain holds).  So the bits depend on (M, N, K) only.
 * They differ from oneDNN's by rounding (another order); the tests
 * compare both with the naive twin (tests/check_kernels.c).
 *
 * Used (blas.c, gan__engine_for) on AVX2 CPUs without AVX-512 for
 * 13-16 rows, where it measured faster than oneDNN; other rows counts
 * waste lanes (12 rows cost what 16 do).  Compiled on x86-64 GCC/Clang
 * only; elsewhere gan__rows16_available() is 0 and nothing calls it.
 */
#include "kernels/kernels.h"

#if GAN__HAVE_ROWS16
#  include <immintrin.h>
#  include <math.h>

/* Columns of K per packed block: A^T of 16 x 512 floats is 32 KB of the
   caller's stack, and stays in L1 while the rows of B stream past. */
#  define GAN__ROWS16_KB 512

int gan__rows16_available(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* The alpha/beta epilogue, one expression for lanes and scalars. */
static inline float gan__rows16_out(float acc, float alpha, float beta, const float *c)
{
    return alpha * acc + (beta == 0.0f ? 0.0f : beta * *c);
}

/*
 * Columns [0, n) of C rows 0..m-1 over k in [k0, k0 + kb), with A^T's
 * block at at (kb x 16).  first: the chains start from 0, else from the
 * partial sums parked in C.  last: write alpha acc + beta C, else park acc.
 */
__attribute__((target("avx2,fma"))) static void
gan__rows16_block(int m, int n, int k0, int kb, const float *restrict at,
                  const float *b, int ldb, float *c, int ldc, int first, int last, float alpha,
                  float beta)
{
    int j = 0;
    for (; j + 6 <= n; j += 6) {
        const float *b0 = b + (size_t)j * ldb + k0, *b1 = b0 + ldb, *b2 = b1 + ldb;
        const float *b3 = b2 + ldb, *b4 = b3 + ldb, *b5 = b4 + ldb;
        __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        float t[6][16] __attribute__((aligned(32)));
        if (first) {
            c00 = c01 = c10 = c11 = c20 = c21 = _mm256_setzero_ps();
            c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
        } else {
            /* Gather the parked partial sums (column j + q of C) into t. */
            for (int q = 0; q < 6; q++)
                for (int r = 0; r < 16; r++)
                    t[q][r] = r < m ? c[(size_t)r * ldc + j + q] : 0.0f;
            c00 = _mm256_load_ps(t[0]); c01 = _mm256_load_ps(t[0] + 8);
            c10 = _mm256_load_ps(t[1]); c11 = _mm256_load_ps(t[1] + 8);
            c20 = _mm256_load_ps(t[2]); c21 = _mm256_load_ps(t[2] + 8);
            c30 = _mm256_load_ps(t[3]); c31 = _mm256_load_ps(t[3] + 8);
            c40 = _mm256_load_ps(t[4]); c41 = _mm256_load_ps(t[4] + 8);
            c50 = _mm256_load_ps(t[5]); c51 = _mm256_load_ps(t[5] + 8);
        }
        for (int k = 0; k < kb; k++) {
            const __m256 a0 = _mm256_load_ps(at + (size_t)k * 16);
            const __m256 a1 = _mm256_load_ps(at + (size_t)k * 16 + 8);
            __m256 v;
            v = _mm256_broadcast_ss(b0 + k);
            c00 = _mm256_fmadd_ps(a0, v, c00); c01 = _mm256_fmadd_ps(a1, v, c01);
            v = _mm256_broadcast_ss(b1 + k);
            c10 = _mm256_fmadd_ps(a0, v, c10); c11 = _mm256_fmadd_ps(a1, v, c11);
            v = _mm256_broadcast_ss(b2 + k);
            c20 = _mm256_fmadd_ps(a0, v, c20); c21 = _mm256_fmadd_ps(a1, v, c21);
            v = _mm256_broadcast_ss(b3 + k);
            c30 = _mm256_fmadd_ps(a0, v, c30); c31 = _mm256_fmadd_ps(a1, v, c31);
            v = _mm256_broadcast_ss(b4 + k);
            c40 = _mm256_fmadd_ps(a0, v, c40); c41 = _mm256_fmadd_ps(a1, v, c41);
            v = _mm256_broadcast_ss(b5 + k);
            c50 = _mm256_fmadd_ps(a0, v, c50); c51 = _mm256_fmadd_ps(a1, v, c51);
        }
        _mm256_store_ps(t[0], c00); _mm256_store_ps(t[0] + 8, c01);
        _mm256_store_ps(t[1], c10); _mm256_store_ps(t[1] + 8, c11);
        _mm256_store_ps(t[2], c20); _mm256_store_ps(t[2] + 8, c21);
        _mm256_store_ps(t[3], c30); _mm256_store_ps(t[3] + 8, c31);
        _mm256_store_ps(t[4], c40); _mm256_store_ps(t[4] + 8, c41);
        _mm256_store_ps(t[5], c50); _mm256_store_ps(t[5] + 8, c51);
        for (int r = 0; r < m; r++) {
            float *cr = c + (size_t)r * ldc + j;
            for (int q = 0; q < 6; q++)
                cr[q] = last ? gan__rows16_out(t[q][r], alpha, beta, cr + q) : t[q][r];
        }
    }
    /* The last columns: the same chains, one scalar fused multiply-add
       at a time (fmaf is the lane operation of _mm256_fmadd_ps). */
    for (; j < n; j++) {
        const float *bj = b + (size_t)j * ldb + k0;
        for (int r = 0; r < m; r++) {
            float *cr = c + (size_t)r * ldc + j;
            float acc = first ? 0.0f : *cr;
            for (int k = 0; k < kb; k++)
                acc = fmaf(at[(size_t)k * 16 + r], bj[k], acc);
            *cr = last ? gan__rows16_out(acc, alpha, beta, cr) : acc;
        }
    }
}

void gan__sgemm_rows16(int m, int n, int k, float alpha, const float *a, int lda,
                       const float *b, int ldb, float beta, float *c, int ldc)
{
    float at[GAN__ROWS16_KB * 16] __attribute__((aligned(32)));
    for (int k0 = 0; k0 < k; k0 += GAN__ROWS16_KB) {
        const int kb = k - k0 < GAN__ROWS16_KB ? k - k0 : GAN__ROWS16_KB;
        /* A^T of this block; rows m..15 zero (their lanes are dropped). */
        for (int p = 0; p < kb; p++)
            for (int r = 0; r < 16; r++)
                at[(size_t)p * 16 + r] = r < m ? a[(size_t)r * lda + k0 + p] : 0.0f;
        gan__rows16_block(m, n, k0, kb, at, b, ldb, c, ldc, k0 == 0,
                          k0 + kb >= k, alpha, beta);
    }
}

#endif /* GAN__HAVE_ROWS16 */
