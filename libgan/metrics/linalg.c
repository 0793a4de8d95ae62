/*
 * linalg.c -- the double-precision linear algebra of the metrics: a
 * symmetric eigensolver, GEMM/SYRK, and the Frechet distance built on them.
 *
 * Why eigen-decompositions.  Tr((S1 S2)^(1/2)) is the trace of the square
 * root of a product of two PSD matrices, which is not symmetric; a general
 * matrix square root (Schur form, Newton iterations) of it can turn complex
 * or lose accuracy when S1 or S2 is (near) singular, as covariance
 * matrices of few samples are.  Instead:
 *   S1 = V diag(l) V^T                    (symmetric, eigen-decomposition)
 *   R  = diag(sqrt(max(l, 0))) V^T        (so R^T R = S1^(1/2) S1^(1/2) = S1)
 *   M  = R S2 R^T                         (symmetric PSD)
 * (S1 S2)^(1/2) is similar to (S1^(1/2) S2 S1^(1/2))^(1/2) whose eigenvalues
 * are those of M, so Tr((S1 S2)^(1/2)) = sum_j sqrt(max(eig_j(M), 0)).
 * Every step is a symmetric eigenproblem or a product, all backward stable;
 * tiny negative eigenvalues from rounding are clamped to 0.
 *
 * LAPACK: OpenBLAS ships the reference LAPACK, so OpenBLAS builds call its
 * Fortran dsyevd_ through a prototype (with the hidden string lengths that
 * gfortran passes).  Builds without OpenBLAS use the cyclic Jacobi method,
 * which is also the tests' oracle.
 */
#include <math.h>

#include "metrics/metrics.h"

#ifdef GAN_HAVE_OPENBLAS
#  include <cblas.h>
/* LAPACK (Fortran) symmetric eigensolver, divide and conquer. */
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a,
                    const int *lda, double *w, double *work, const int *lwork, int *iwork,
                    const int *liwork, int *info, size_t jobz_len, size_t uplo_len);
#endif

void gan__dgemm(int trans_b, size_t m, size_t n, size_t k, double alpha, const double *a,
                const double *b, double beta, double *c)
{
#ifdef GAN_HAVE_OPENBLAS
    cblas_dgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, (int)m,
                (int)n, (int)k, alpha, a, (int)k, b, trans_b ? (int)k : (int)n, beta, c, (int)n);
#else
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t p = 0; p < k; p++)
                s += a[i * k + p] * (trans_b ? b[j * k + p] : b[p * n + j]);
            c[i * n + j] = alpha * s + (beta == 0.0 ? 0.0 : beta * c[i * n + j]);
        }
#endif
}

void gan__dsyrk_tn(size_t rows, size_t n, const double *a, double *c)
{
#ifdef GAN_HAVE_OPENBLAS
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)rows, 1.0, a, (int)n, 1.0,
                c, (int)n);
#else
    for (size_t r = 0; r < rows; r++) {
        const double *x = a + r * n;
        for (size_t i = 0; i < n; i++) {
            const double xi = x[i];
            double *ci = c + i * n;
            for (size_t j = i; j < n; j++)
                ci[j] += xi * x[j];
        }
    }
#endif
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            c[i * n + j] = c[j * n + i];
}

/* ---- eigensolvers ------------------------------------------------------------ */

/* Sort eigenvalues ascending, permuting the eigenvector rows along. */
static void gan__eig_sort(double *a, size_t n, double *w, int vecs)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && w[j - 1] > w[j]; j--) {
            double t = w[j];
            w[j] = w[j - 1];
            w[j - 1] = t;
            if (vecs)
                for (size_t p = 0; p < n; p++) {
                    t = a[j * n + p];
                    a[j * n + p] = a[(j - 1) * n + p];
                    a[(j - 1) * n + p] = t;
                }
        }
}

gan_status gan__sym_eig_ref(double *a, size_t n, double *w, int vecs)
{
    double *v = NULL;
    if (n == 0)
        return GAN_OK;
    v = gan__calloc(n * n, sizeof *v);
    if (!v)
        return gan__err(GAN_ENOMEM, "eigen-decomposition of %zu x %zu: out of memory", n, n);
    /* Mirror the upper triangle, start from V = I. */
    for (size_t i = 0; i < n; i++) {
        v[i * n + i] = 1.0;
        for (size_t j = 0; j < i; j++)
            a[i * n + j] = a[j * n + i];
    }
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0, diag = 0.0;
        for (size_t i = 0; i < n; i++) {
            diag += a[i * n + i] * a[i * n + i];
            for (size_t j = i + 1; j < n; j++)
                off += a[i * n + j] * a[i * n + j];
        }
        if (off <= 1e-30 * diag || off == 0.0)
            goto done;
        for (size_t p = 0; p < n; p++)
            for (size_t q = p + 1; q < n; q++) {
                double apq = a[p * n + q], app, aqq, theta, t, c, s;
                if (apq == 0.0)
                    continue;
                app = a[p * n + p];
                aqq = a[q * n + q];
                theta = (aqq - app) / (2.0 * apq);
                t = (theta >= 0.0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                c = 1.0 / sqrt(t * t + 1.0);
                s = t * c;
                /* A <- J^T A J on rows/columns p and q. */
                for (size_t k = 0; k < n; k++) {
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (size_t k = 0; k < n; k++) {
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                /* Eigenvectors as rows: rows p and q of V^T. */
                for (size_t k = 0; k < n; k++) {
                    double vp = v[p * n + k], vq = v[q * n + k];
                    v[p * n + k] = c * vp - s * vq;
                    v[q * n + k] = s * vp + c * vq;
                }
            }
    }
    gan__free(v);
    return gan__err(GAN_ENUMERIC, "Jacobi eigen-decomposition of %zu x %zu did not converge", n, n);
done:
    for (size_t i = 0; i < n; i++)
        w[i] = a[i * n + i];
    if (vecs)
        memcpy(a, v, n * n * sizeof *a);
    gan__free(v);
    gan__eig_sort(a, n, w, vecs);
    return GAN_OK;
}

gan_status gan__sym_eig(double *a, size_t n, double *w, int vecs)
{
#ifdef GAN_HAVE_OPENBLAS
    /* Column-major LAPACK on a row-major symmetric matrix: its upper
       triangle is our lower one, so pass 'L' to read our upper triangle.
       Eigenvectors come back as columns, i.e. as our rows. */
    const char jobz = vecs ? 'V' : 'N', uplo = 'L';
    int nn = (int)n, lwork = -1, liwork = -1, info = 0, iwq = 0;
    double wq = 0.0, *work;
    int *iwork;
    if (n == 0)
        return GAN_OK;
    if (n > 46340)
        return gan__err(GAN_EINVAL, "eigen-decomposition: dimension %zu too large", n);
    dsyevd_(&jobz, &uplo, &nn, a, &nn, w, &wq, &lwork, &iwq, &liwork, &info, 1, 1);
    if (info != 0)
        return gan__err(GAN_EINTERNAL, "dsyevd workspace query failed (info %d)", info);
    lwork = (int)wq + 1;
    liwork = iwq + 1;
    work = gan__malloc((size_t)lwork * sizeof *work);
    iwork = gan__malloc((size_t)liwork * sizeof *iwork);
    if (!work || !iwork) {
        gan__free(work);
        gan__free(iwork);
        return gan__err(GAN_ENOMEM, "eigen-decomposition of %zu x %zu: out of memory", n, n);
    }
    dsyevd_(&jobz, &uplo, &nn, a, &nn, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    gan__free(work);
    gan__free(iwork);
    if (info < 0)
        return gan__err(GAN_EINTERNAL, "dsyevd: argument %d is invalid", -info);
    if (info > 0)
        return gan__err(GAN_ENUMERIC, "dsyevd: the eigen-decomposition of %zu x %zu did not "
                        "converge (info %d)", n, n, info);
    return GAN_OK;
#else
    return gan__sym_eig_ref(a, n, w, vecs);
#endif
}

/* ---- the Frechet distance ------------------------------------------------------ */

gan_status gan__frechet(const double *mu1, const double *s1, const double *mu2,
                        const double *s2, size_t n, int use_ref, double *out)
{
    gan_status st;
    double *r, *t, *mm, *w, d2 = 0.0, tr = 0.0, tr_sqrt = 0.0;
    gan_status (*eig)(double *, size_t, double *, int) = use_ref ? gan__sym_eig_ref : gan__sym_eig;
    size_t nn;
    if (gan__mul_size(n, n, &nn))
        return gan__err(GAN_EINVAL, "frechet: dimension %zu overflows", n);
    r = gan__malloc((3 * nn + n) * sizeof *r);
    if (!r)
        return gan__err(GAN_ENOMEM, "frechet distance of dimension %zu: out of memory", n);
    t = r + nn;
    mm = t + nn;
    w = mm + nn;
    for (size_t i = 0; i < n; i++) {
        double d = mu1[i] - mu2[i];
        d2 += d * d;
        tr += s1[i * n + i] + s2[i * n + i];
    }
    /* S1 = V diag(l) V^T; R = diag(sqrt l) V^T (rows of r are eigenvectors). */
    memcpy(r, s1, nn * sizeof *r);
    if ((st = eig(r, n, w, 1)) != GAN_OK)
        goto out;
    for (size_t j = 0; j < n; j++) {
        double s = w[j] > 0.0 ? sqrt(w[j]) : 0.0;
        for (size_t k = 0; k < n; k++)
            r[j * n + k] *= s;
    }
    /* M = R S2 R^T, symmetrised against rounding. */
    gan__dgemm(0, n, n, n, 1.0, r, s2, 0.0, t);   /* T = R S2 */
    gan__dgemm(1, n, n, n, 1.0, t, r, 0.0, mm);   /* M = T R^T */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double a = 0.5 * (mm[i * n + j] + mm[j * n + i]);
            mm[i * n + j] = mm[j * n + i] = a;
        }
    if ((st = eig(mm, n, w, 0)) != GAN_OK)
        goto out;
    for (size_t j = 0; j < n; j++)
        if (w[j] > 0.0)
            tr_sqrt += sqrt(w[j]);
    *out = d2 + tr - 2.0 * tr_sqrt;
    if (!isfinite(*out))
        st = gan__err(GAN_ENUMERIC, "frechet distance is not finite");
out:
    gan__free(r);
    return st;
}
