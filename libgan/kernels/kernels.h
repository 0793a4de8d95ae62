/*
 * kernels/kernels.h -- the GEMM door (blas.c), convolution lowering
 * (im2col.c, conv_taps.c), the SIMD element-wise kernels and their naive
 * twins (test oracles).  Builds on core/ only.  Nothing here is API.
 */
#ifndef GAN_KERNELS_H
#define GAN_KERNELS_H

#include "core/core.h"

/* ---- threads and BLAS (blas.c) ------------------------------------------- */

/*
 * Row-major C = alpha * op(A) * op(B) + beta * C, op(A) M x K, op(B) K x N.
 * Dispatches to oneDNN or OpenBLAS by shape (blas.c: gan__engine_for),
 * split over libgan's pool, or to gan__sgemm_ref in builds without a BLAS.
 */
void gan__sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta,
                float *c, int ldc);
/* Nonzero: gan__sgemm runs gan__sgemm_ref (tests only; never set by the
   library itself). */
extern int gan__blas_force_ref;
/* The naive triple loop: test oracle and fallback. */
void gan__sgemm_ref(int trans_a, int trans_b, int m, int n, int k, float alpha,
                    const float *a, int lda, const float *b, int ldb, float beta,
                    float *c, int ldc);

#if defined(__wasm_simd128__)
/* WebAssembly SIMD builds (gemm_wasm.c): op(A) = A with op(B) = B or B^T,
   returns 0 without touching C for anything else (then use the reference);
   tested against gan__sgemm_ref by tests/web/check_wasm_kernels.c. */
int gan__sgemm_wasm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                    int lda, const float *b, int ldb, float beta, float *c, int ldc);
#endif

#if defined(GAN_HAVE_OPENBLAS) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#  define GAN__HAVE_ROWS16 1
/* gemm_rows.c: nonzero when the CPU runs AVX2 and FMA. */
int gan__rows16_available(void);
/* C = alpha A B^T + beta C for 1 <= m <= 16 rows of A (m x k, lda), B
   n x k (ldb), with k <= 512 or beta == 0 (beyond 512 the partial sums
   are parked in C).  Needs gan__rows16_available().  Its bits depend on
   (m, n, k) only, not on which columns a call is given. */
void gan__sgemm_rows16(int m, int n, int k, float alpha, const float *a, int lda,
                       const float *b, int ldb, float beta, float *c, int ldc);
#else
#  define GAN__HAVE_ROWS16 0
#endif

/* ---- libgan's threads (pool.c) ---------------------------------------------- */

/* A job's part p (of the parts gan__pool_run was given). */
typedef void (*gan__part_fn)(void *ctx, int part);
/*
 * Run fn(ctx, p) for every p in [0, parts) on up to `threads` threads (the
 * caller and the pool's workers) and return when all are done.  Parts must
 * be independent.  With one thread or one part, in a nested call (from
 * inside a part) and when another thread's job holds the pool, the parts
 * run in order on the calling thread: which part computes what never
 * depends on who runs it.
 */
void gan__pool_run(int threads, int parts, gan__part_fn fn, void *ctx);
/* The threads element-wise work may use: gan_get_threads() in builds
   with OpenBLAS (libgan's pool threads their GEMMs), else 1 (blas.c). */
int gan__pool_threads(void);

/* fn(ctx, lo, hi) over slices [lo, hi) of [0, n). */
typedef void (*gan__range_fn)(void *ctx, size_t lo, size_t hi);
/*
 * Split [0, n) into one slice per thread of gan__pool_threads(), each a
 * multiple of `grain` elements (but the last), and run fn on each; below
 * min_n elements (where waking a thread costs more than it saves), one call
 * fn(ctx, 0, n) on the caller's thread.  For element-wise work, whose
 * result does not depend on the slicing.
 */
void gan__parallel_range(size_t n, size_t grain, size_t min_n, gan__range_fn fn, void *ctx);
/* Element-wise jobs below this many floats (128 KiB: a few microseconds of
   streaming) stay on one thread: handing a slice over costs about as much. */
#define GAN__PAR_MIN_FLOATS ((size_t)32768)
/* The items of `per` floats each (images, rows, channels...) a job needs
   before it is worth splitting: min_n for gan__parallel_range. */
static inline size_t gan__par_min_items(size_t per)
{
    return per ? (GAN__PAR_MIN_FLOATS + per - 1) / per : GAN__PAR_MIN_FLOATS;
}
/* memset(x, 0, n floats), split the same way. */
void gan__parallel_zero(float *x, size_t n);

/* ---- convolution geometry and im2col (im2col.c) ----------------------------- */

/*
 * Geometry of a convolution from an image (ih, iw, ic) to (oh, ow, oc) with
 * a kh x kw kernel.  conv2d uses it forwards; conv2d_transpose uses the
 * geometry of the convolution it is the adjoint of (its output is `in`).
 */
typedef struct gan__conv_geom {
    int ih, iw, ic;        /* image side with channels ic */
    int oh, ow;            /* output positions */
    int kh, kw, sh, sw;
    int pad_top, pad_left;
} gan__conv_geom;


/*
 * im2col of `n` images: rows (img, oy, ox), columns (ky, kx, c), zero where
 * the kernel hangs over the border.  x is (n, ih, iw, ic); col is
 * (n*oh*ow, kh*kw*ic).
 */
void gan__im2col(const gan__conv_geom *g, int n, const float *x, float *col);
/* The adjoint: ADD each column entry back into x (n, ih, iw, ic). */
void gan__col2im(const gan__conv_geom *g, int n, const float *col, float *x);
/* The same into zeroed images: x = col2im(col) (x's old contents unused). */
void gan__col2im_set(const gan__conv_geom *g, int n, const float *col, float *x);
/* Both split the batch over gan__pool_threads(): whole images per thread, or
   bands of one image's rows when there are fewer images than threads (the
   same bits either way). */



/*
 * The element-wise kernels are built twice on x86-64 with GCC: for AVX2 and
 * for the baseline (SSE2); each call takes the AVX2 build when the CPU and
 * OS support it (gan__cpu_has_avx2).  Both builds do the same IEEE
 * operations in the same order per element (no FMA: the build disables
 * contraction; per-channel sums run along the channel lanes), so they give
 * the same bits; AVX2 only doubles the vector width (2.6x for dropout's
 * integer hash, whose 32-bit multiplies SSE2 lacks).  Plain dispatch, not
 * target_clones: GCC exports the ifuncs of target_clones whatever their
 * visibility.
 *
 * A kernel NAME is written once as `GAN__SIMD_BODY void NAME_body(...)`;
 * GAN__SIMD_VARIANTS(NAME, (params), (args)) makes NAME_avx2 and NAME_base
 * from it, and GAN__SIMD_CALL(NAME, (args)) calls the right one.
 */
#define GAN__SIMD_BODY static inline __attribute__((always_inline))
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
int gan__cpu_has_avx2(void);
#  define GAN__SIMD_VARIANTS(name, params, args)                                \
    __attribute__((target("avx2"))) static void name##_avx2 params             \
    {                                                                          \
        name##_body args;                                                      \
    }                                                                          \
    static void name##_base params                                             \
    {                                                                          \
        name##_body args;                                                      \
    }
#  define GAN__SIMD_CALL(name, args)                                           \
    do {                                                                       \
        if (gan__cpu_has_avx2())                                               \
            name##_avx2 args;                                                  \
        else                                                                   \
            name##_base args;                                                  \
    } while (0)
#else
#  define GAN__SIMD_VARIANTS(name, params, args)                                \
    static void name##_base params                                             \
    {                                                                          \
        name##_body args;                                                      \
    }
#  define GAN__SIMD_CALL(name, args) name##_base args
#endif

/* blas.c: GEMMs of awkward shapes in all transpose combinations through the
   BLAS, against gan__sgemm_ref; 1 if all agree (0 in builds without BLAS
   never: returns 1). */
int gan__blas_self_test(void);

/* activation.c: leaky ReLU (relu: a = 0).  x, y, dy, dx must not overlap.
   The backward's x may be the forward's output y (same signs for a >= 0). */
void gan__leaky_forward(size_t n, float a, const float *restrict x, float *restrict y);
void gan__leaky_forward_inplace(size_t n, float a, float *restrict y);
void gan__leaky_backward_inplace(size_t n, float a, const float *restrict x, float *restrict g);
void gan__leaky_backward(size_t n, float a, const float *restrict x, const float *restrict dy,
                         float *restrict dx);
/* activation.c: tanh within 2 ulp, vectorised (the oracle is libm's tanhf
   and a double-precision tanh). */
void gan__tanh_forward(size_t n, const float *restrict x, float *restrict y);
void gan__tanh_forward_inplace(size_t n, float *restrict y);
void gan__leaky_forward_ref(size_t n, float a, const float *x, float *y);
void gan__leaky_backward_ref(size_t n, float a, const float *x, const float *dy, float *dx);

/*
 * dropout.c: keep mask of n elements from one 64-bit key: element i is kept
 * when hash(key, i) >= thr (a 32-bit threshold, rate * 2^32).  Counter
 * based, so the loop has no serial dependency and vectorises; one draw of
 * the model's stream per forward pass supplies the key.
 */
void gan__dropout_mask(size_t n, uint64_t key, uint32_t thr, unsigned char *restrict mask);
void gan__dropout_mask_ref(size_t n, uint64_t key, uint32_t thr, unsigned char *mask);
/* y = mask ? x * scale : 0 (and the same for dx from dy). */
void gan__dropout_apply(size_t n, float scale, const unsigned char *restrict mask,
                        const float *restrict x, float *restrict y);
void gan__dropout_apply_inplace(size_t n, float scale, const unsigned char *restrict mask,
                                float *restrict y);
void gan__dropout_apply_ref(size_t n, float scale, const unsigned char *mask, const float *x,
                            float *y);

/*
 * conv_taps.c: conv2d_transpose by kernel rows over (h, w, n, c) copies,
 * skipping the products whose rows land outside the output.  g is the
 * adjoint geometry (conv2d_transpose.c), C the input channels, w
 * (kh, kw, F, C).  kept = the fraction of the im2col path's product rows
 * that land inside; pays = kept <= 0.9.  Forward overwrites y
 * (no bias); backward accumulates dw and overwrites dx (each may be NULL).
 * ws: nb * ws_per_image bytes.
 */
double gan__deconv_taps_kept(const gan__conv_geom *g);
int gan__deconv_taps_pays(const gan__conv_geom *g);
size_t gan__deconv_taps_ws_per_image(const gan__conv_geom *g, int C);
void gan__deconv_taps_forward(const gan__conv_geom *g, int C, int nb, const float *x,
                              const float *w, float *y, float *ws);
void gan__deconv_taps_backward(const gan__conv_geom *g, int C, int nb, const float *x,
                               const float *w, const float *dy, float *dw, float *dx, float *ws);

/* im2col.c: the naive twin of gan__col2im (same contract). */
void gan__col2im_ref(const gan__conv_geom *g, int n, const float *col, float *x);
/* y (rows x cols) += b (cols) per row; db (cols) += column sums of dy. */
void gan__add_bias_rows(float *restrict y, const float *restrict b, size_t rows, size_t cols);
void gan__bias_grad_rows(float *restrict db, const float *restrict dy, size_t rows, size_t cols);

/*
 * batchnorm.c: the element-wise passes of batchnorm over R rows of C
 * channels, optionally fused with the next layer's leaky ReLU (neg = its
 * slope for v <= 0; neg = 1 means no activation; y = NULL: not fused).
 * xhat is recomputed from x, mean and inv with the forward's expression
 * (train: in double; inference: in float).  Checked against the two layers
 * run apart (tests/check_kernels.c).
 *   normalise: y = act(gamma xhat + beta)
 *   grad sums: sdy += g, sdyx += g xhat with g = dy (or dy * slope(y))
 *   dx: training gamma inv (g - sdy - xhat sdyx) (sdy, sdyx already / R),
 *       inference gamma inv g.  dx may alias dy.
 */
void gan__bn_stats(size_t R, size_t C, const float *restrict x, double *restrict mean,
                   double *restrict sq);
void gan__bn_normalise(int train, size_t R, size_t C, const float *restrict x,
                       const double *restrict mean, const float *restrict inv,
                       const float *restrict gamma, const float *restrict beta, float neg,
                       float *restrict y);
void gan__bn_grad_sums(int train, size_t R, size_t C, const float *restrict dy,
                       const float *restrict y, float neg, const float *restrict x,
                       const double *restrict mean, const float *restrict inv,
                       double *restrict sdy, double *restrict sdyx);
void gan__bn_dx_train(size_t R, size_t C, const float *dy, const float *restrict y, float neg,
                      const float *restrict x, const double *restrict mean,
                      const float *restrict gamma, const float *restrict inv,
                      const double *restrict sdy, const double *restrict sdyx, float *dx);
void gan__bn_dx_infer(size_t R, size_t C, const float *dy, const float *restrict y, float neg,
                      const float *restrict gamma, const float *restrict inv, float *dx);

#endif /* GAN_KERNELS_H */
