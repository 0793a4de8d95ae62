/*
 * metrics/metrics.h -- private declarations of the metrics (metrics.c),
 * their double-precision linear algebra (linalg.c) and the classifier
 * trainer (classifier.c).  The top floor: builds on train/ (the classifier
 * trains with an optimizer), data/ and io/.  Not API.
 */
#ifndef GAN_METRICS_H
#define GAN_METRICS_H

#include "train/train.h"
#include "io/io.h"

#define GAN__MAGIC_FID_STATS 0x46494453u /* "FIDS" */
#define GAN__MAGIC_METRICS   0x4d455452u /* "METR" */

/* ---- FID statistics (fid_stats.c), also filled by the driver (metrics.c) ---- */


struct gan_fid_stats {
    uint32_t magic;
    size_t dim;
    uint64_t n;
    uint32_t net_id;           /* 0: unknown */
    double *mean;              /* (dim) */
    double *m2;                /* (dim, dim), full */
    double *bmean;             /* (dim) scratch: batch mean */
    double *bm2;               /* (dim, dim) scratch: batch scatter */
    double *rows;              /* (GAN__FID_CHUNK, dim) scratch: centred rows */
};

/* Rows folded in per Chan update (bounds the scratch memory). */
#define GAN__FID_CHUNK 256
#define GAN__FID_MAX_DIM 65536
#define GAN__FID_MAGIC "GANFSTAT"
#define GAN__FID_VERSION 1u

/* Fold n feature rows (n x dim floats) into s (Chan et al.'s update). */
void gan__fid_add_rows(gan_fid_stats *s, const float *x, size_t n);


/* ---- precision_recall.c ---------------------------------------------------------- */

/* The naive twin of gan_precision_recall (test oracle; no argument
   checks): distances as sums of squared differences in double. */
gan_status gan__pr_ref(const float *real, size_t n_real, const float *fake, size_t n_fake,
                       size_t dim, int k, double *precision, double *recall);

/* ---- linalg.c ------------------------------------------------------------------ */

/*
 * Eigen-decomposition of the symmetric n x n matrix a (row-major; only its
 * upper triangle is read, and it is overwritten).  w gets the n eigenvalues
 * in ascending order; when vecs != 0, row j of a gets the unit eigenvector
 * of w[j].  LAPACK's dsyevd (OpenBLAS ships it) in OpenBLAS builds, the
 * Jacobi twin otherwise.  GAN_ENOMEM, or GAN_ENUMERIC if it fails to
 * converge.
 */
gan_status gan__sym_eig(double *a, size_t n, double *w, int vecs);
/* Cyclic Jacobi rotations: the naive twin and test oracle (same contract). */
gan_status gan__sym_eig_ref(double *a, size_t n, double *w, int vecs);

/* Row-major C = alpha * A * op(B) + beta * C with A m x k, op(B) k x n (op
   transposes when trans_b), in double. */
void gan__dgemm(int trans_b, size_t m, size_t n, size_t k, double alpha, const double *a,
                const double *b, double beta, double *c);
/* C += A^T A for A (rows x n), C n x n full (both triangles written). */
void gan__dsyrk_tn(size_t rows, size_t n, const double *a, double *c);

/*
 * The Frechet distance of two Gaussians (mu1, S1), (mu2, S2) of dimension
 * n:  ||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^(1/2)), with
 * Tr((S1 S2)^(1/2)) = sum sqrt(eig(R S2 R^T)), R = diag(sqrt(l)) V^T from
 * S1 = V diag(l) V^T.  Negative eigenvalues from rounding count as 0.
 * Pass use_ref to use the Jacobi twin.  GAN_ENOMEM, GAN_ENUMERIC.
 */
gan_status gan__frechet(const double *mu1, const double *s1, const double *mu2,
                        const double *s2, size_t n, int use_ref, double *out);

#endif /* GAN_METRICS_H */
