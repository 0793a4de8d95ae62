/* check_wasm_kernels.c -- the WebAssembly SIMD GEMM (libgan/kernels/gemm_wasm.c)
   against the naive reference (gan__sgemm_ref), built by examples/web's
   CMake project with emcc and run under node by tests/web/web.sh.
   Shapes at and around every block edge (4 x 8 for A B, 2 x 4 and the
   4-lane tail for A B^T), leading dimensions larger than the matrices,
   alpha/beta combinations, NaN in C with beta = 0; the two unsupported
   transposes must leave C untouched and return 0.  Prints
   "N passed, N failed" and exits non-zero on a failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"

#if !defined(__wasm_simd128__)
#  error "check_wasm_kernels.c is built with emcc -msimd128 (examples/web)"
#endif

static int passed, failed;

static void expect(int cond, const char *what, int ta, int tb, int m, int n, int k)
{
    if (cond) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL: %s (trans %d%d, m %d n %d k %d)\n", what, ta, tb, m, n, k);
}

static float frand(uint64_t *s)
{
    return (float)((int)(gan__splitmix64(s) % 2001) - 1000) / 1000.0f;
}

static void one(int tb, int m, int n, int k, float alpha, float beta, uint64_t *seed)
{
    const int lda = k + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
    const size_t na = (size_t)m * lda, nb = (size_t)(tb ? n : k) * ldb, nc = (size_t)m * ldc;
    float *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b);
    float *c = malloc(nc * sizeof *c), *r = malloc(nc * sizeof *r);
    double worst = 0.0;
    int ok = 1;
    for (size_t i = 0; i < na; i++)
        a[i] = frand(seed);
    for (size_t i = 0; i < nb; i++)
        b[i] = frand(seed);
    for (size_t i = 0; i < nc; i++)
        c[i] = r[i] = beta == 0.0f ? NAN : frand(seed);
    ok = gan__sgemm_wasm(0, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    gan__sgemm_ref(0, tb, m, n, k, alpha, a, lda, b, ldb, beta, r, ldc);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++) {
            const float x = c[(size_t)i * ldc + j], y = r[(size_t)i * ldc + j];
            if (j >= n) {
                /* Past column n: untouched (NaN stays NaN, bit for bit). */
                if (memcmp(&x, &y, sizeof x) != 0)
                    ok = 0;
                continue;
            }
            /* Float sums of k products of magnitude <= 1: the error bound
               grows with k (|alpha| <= 2, |beta| <= 1). */
            const double tol = 1e-6 * (k + 4) * 4;
            const double d = fabs((double)x - (double)y);
            if (!(d <= tol))
                ok = 0;
            if (d > worst)
                worst = d;
        }
    char what[96];
    snprintf(what, sizeof what, "matches the reference (alpha %g beta %g, worst %.3g)", alpha,
             beta, worst);
    expect(ok, what, 0, tb, m, n, k);
    free(a);
    free(b);
    free(c);
    free(r);
}

int main(void)
{
    static const int ms[] = {1, 2, 3, 4, 5, 7, 8, 9, 13};
    static const int ns[] = {1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33};
    static const int ks[] = {1, 2, 3, 4, 5, 8, 9, 31, 100, 257};
    static const float ab[][2] = {{1.0f, 0.0f}, {1.0f, 1.0f}, {-0.5f, 0.25f}, {2.0f, -1.0f}};
    uint64_t seed = 20;
    for (int tb = 0; tb < 2; tb++)
        for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++)
            for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
                for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
                    const float *s = ab[(mi + ni + ki) % 4];
                    one(tb, ms[mi], ns[ni], ks[ki], s[0], s[1], &seed);
                }
    /* The shapes of the presets' layers: dense 100 -> 12544, kernel-row
       transposed convolutions (conv_taps.c). */
    one(0, 1, 12544, 100, 1.0f, 0.0f, &seed);
    one(1, 49, 640, 256, 1.0f, 0.0f, &seed);
    one(0, 196, 64, 640, 1.0f, 1.0f, &seed);
    /* op(A) = A^T is not this kernel's: C untouched, 0 returned. */
    for (int tb = 0; tb < 2; tb++) {
        float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 2, 3, 4, 5, 6}, c[4] = {7, 7, 7, 7};
        const int r = gan__sgemm_wasm(1, tb, 2, 2, 3, 1.0f, a, 2, b, tb ? 3 : 2, 0.0f, c, 2);
        expect(r == 0 && c[0] == 7 && c[1] == 7 && c[2] == 7 && c[3] == 7,
               "trans_a declined, C untouched", 1, tb, 2, 2, 3);
    }
    /* gan__sgemm itself takes the SIMD path for A B (same bits as the kernel). */
    {
        uint64_t s2 = 7;
        float a[5 * 9], b[9 * 11], c1[5 * 11], c2[5 * 11];
        for (int i = 0; i < 5 * 9; i++)
            a[i] = frand(&s2);
        for (int i = 0; i < 9 * 11; i++)
            b[i] = frand(&s2);
        gan__sgemm(0, 0, 5, 11, 9, 1.0f, a, 9, b, 11, 0.0f, c1, 11);
        gan__sgemm_wasm(0, 0, 5, 11, 9, 1.0f, a, 9, b, 11, 0.0f, c2, 11);
        expect(memcmp(c1, c2, sizeof c1) == 0, "gan__sgemm dispatches to the SIMD kernel", 0, 0, 5,
               11, 9);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
