/*
 * gemm_shapes.c -- candidate GEMM engines on libgan's real GEMM shapes
 * (issue 16).
 *
 *   gemm_shapes [--threads LIST] [--rounds N] [--ms T] [--workload NAME]
 *
 * The shapes are every distinct GEMM (transposes, M, N, K, beta) that
 * gan__sgemm runs in one repetition of bench_gan's four workloads, with
 * how often it runs there.  They were recorded by interposing cblas_sgemm
 * (an LD_PRELOAD shim printing its arguments) under
 *   bench_gan --threads 1 --reps 1 --warmup 0 --what W --workload L --batch B --only-batch
 * and are compact (lda = ta ? M : K, ldb = tb ? K : N, ldc = N), row-major.
 *
 * Engines, measured alternately in each round on the same buffers, best
 * time of the rounds kept per shape (the machine is shared and noisy; only
 * ratios from one run mean anything):
 *   openblas-SkylakeX, openblas-Haswell   OpenBLAS' cblas_sgemm with its
 *       kernel re-selected in this process (gotoblas_dynamic_quit/init, as
 *       libgan's own blas.c does); absent from single-target OpenBLAS builds
 *   dnnl       oneDNN's dnnl_sgemm (its own JIT, chosen by cpuid), when
 *              built with it (libdnnl-dev)
 *   blis       BLIS' bli_sgemm, when libblis.so.4 can be dlopen'ed: loaded
 *              RTLD_LOCAL because Debian's BLIS exports the BLAS and CBLAS
 *              symbols too, which would clash with OpenBLAS' if linked
 *   libgan     gan__sgemm itself (the static library): the engine libgan
 *              chose for this CPU, with libgan's own threading
 * Each engine's thread count is set before its calls (OpenBLAS:
 * openblas_set_num_threads; oneDNN and Debian's BLIS run on OpenMP:
 * omp_set_num_threads / bli_thread_set_num_threads; libgan:
 * gan_set_threads).
 *
 * Prints per shape the GFLOP/s of each engine, then per workload the
 * estimated GEMM time of one repetition (sum of count x best time) and the
 * ratio of each engine to the first that runs here (openblas-SkylakeX,
 * or openblas-Haswell on CPUs without AVX-512).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "gan.h"
#include "kernels/kernels.h"
#ifdef GAN_BENCH_HAVE_DNNL
#  include <omp.h>
#  include <oneapi/dnnl/dnnl.h>
#endif

typedef struct shape {
    const char *wl;
    int count, ta, tb, m, n, k;
    float beta;
} shape;

static const shape shapes[] = {
    /* train cifar batch 64 */
    {"train-cifar", 2, 0, 0, 1024, 256, 2048, 0}, {"train-cifar", 2, 0, 0, 1024, 512, 1024, 1},
    {"train-cifar", 2, 0, 0, 16384, 64, 48, 0},   {"train-cifar", 2, 0, 0, 4096, 128, 1024, 0},
    {"train-cifar", 1, 0, 0, 4096, 256, 2048, 0}, {"train-cifar", 2, 0, 0, 64, 1, 4096, 0},
    {"train-cifar", 1, 0, 0, 64, 8192, 128, 0},   {"train-cifar", 1, 0, 0, 65536, 64, 48, 0},
    {"train-cifar", 2, 0, 0, 768, 512, 1024, 1},  {"train-cifar", 2, 0, 0, 8192, 128, 1024, 0},
    {"train-cifar", 2, 0, 1, 1024, 1024, 512, 0}, {"train-cifar", 3, 0, 1, 1024, 2048, 256, 0},
    {"train-cifar", 1, 0, 1, 16384, 48, 64, 0},   {"train-cifar", 3, 0, 1, 4096, 1024, 128, 0},
    {"train-cifar", 1, 0, 1, 4096, 2048, 256, 0}, {"train-cifar", 3, 0, 1, 64, 4096, 1, 0},
    {"train-cifar", 1, 0, 1, 65536, 48, 64, 0},   {"train-cifar", 2, 0, 1, 768, 1024, 512, 0},
    {"train-cifar", 2, 0, 1, 8192, 1024, 128, 0}, {"train-cifar", 2, 1, 0, 1024, 128, 4096, 1},
    {"train-cifar", 2, 1, 0, 1024, 128, 8192, 1}, {"train-cifar", 2, 1, 0, 1024, 512, 1024, 1},
    {"train-cifar", 2, 1, 0, 1024, 512, 768, 1},  {"train-cifar", 1, 1, 0, 128, 8192, 64, 1},
    {"train-cifar", 2, 1, 0, 2048, 256, 1024, 1}, {"train-cifar", 1, 1, 0, 2048, 256, 4096, 1},
    {"train-cifar", 2, 1, 0, 4096, 1, 64, 1},     {"train-cifar", 2, 1, 0, 48, 64, 16384, 1},
    {"train-cifar", 1, 1, 0, 48, 64, 65536, 1},
    /* train mnist batch 64 */
    {"train-mnist", 3, 0, 0, 12544, 64, 25, 0},   {"train-mnist", 2, 0, 0, 2240, 256, 640, 1},
    {"train-mnist", 2, 0, 0, 2688, 256, 640, 1},  {"train-mnist", 3, 0, 0, 3136, 128, 1600, 0},
    {"train-mnist", 1, 0, 0, 3136, 256, 640, 1},  {"train-mnist", 2, 0, 0, 64, 1, 6272, 0},
    {"train-mnist", 1, 0, 0, 64, 12544, 100, 0},  {"train-mnist", 2, 0, 1, 12544, 25, 64, 0},
    {"train-mnist", 2, 0, 1, 2240, 640, 256, 0},  {"train-mnist", 2, 0, 1, 2688, 640, 256, 0},
    {"train-mnist", 4, 0, 1, 3136, 1600, 128, 0}, {"train-mnist", 1, 0, 1, 3136, 640, 256, 0},
    {"train-mnist", 3, 0, 1, 64, 6272, 1, 0},     {"train-mnist", 1, 1, 0, 100, 12544, 64, 1},
    {"train-mnist", 3, 1, 0, 1600, 128, 3136, 1}, {"train-mnist", 3, 1, 0, 25, 64, 12544, 1},
    {"train-mnist", 2, 1, 0, 6272, 1, 64, 1},     {"train-mnist", 2, 1, 0, 640, 256, 2240, 1},
    {"train-mnist", 2, 1, 0, 640, 256, 2688, 1},  {"train-mnist", 1, 1, 0, 640, 256, 3136, 1},
    /* sample cifar batch 64 */
    {"sample-cifar-64", 1, 0, 0, 64, 8192, 128, 0},   {"sample-cifar-64", 2, 0, 1, 1024, 1024, 512, 0},
    {"sample-cifar-64", 1, 0, 1, 4096, 2048, 256, 0}, {"sample-cifar-64", 1, 0, 1, 65536, 48, 64, 0},
    {"sample-cifar-64", 2, 0, 1, 768, 1024, 512, 0},  {"sample-cifar-64", 2, 0, 1, 8192, 1024, 128, 0},
    /* sample cifar batch 1 (per image) */
    {"sample-cifar-1", 1, 0, 0, 1, 8192, 128, 0},   {"sample-cifar-1", 1, 0, 1, 1024, 48, 64, 0},
    {"sample-cifar-1", 2, 0, 1, 12, 1024, 512, 0},  {"sample-cifar-1", 2, 0, 1, 16, 1024, 512, 0},
    {"sample-cifar-1", 1, 0, 1, 256, 1024, 128, 0}, {"sample-cifar-1", 1, 0, 1, 64, 2048, 256, 0},
};
enum { NSHAPES = sizeof shapes / sizeof shapes[0] };

/* ---- engines ---------------------------------------------------------------- */

typedef void (*gemm_fn)(int ta, int tb, int m, int n, int k, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc);

char *openblas_get_corename(void);
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

static char cur_core[32];

/* libgan's blas.c does the same: OpenBLAS re-reads OPENBLAS_CORETYPE in
   gotoblas_dynamic_init; the variable is restored right after. */
static int openblas_core(const char *core)
{
    const char *env = getenv("OPENBLAS_CORETYPE");
    char old[64] = "";
    int had = env != NULL && strlen(env) < sizeof old;
    if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit)
        return 0;
    if (strcmp(cur_core, core) == 0)
        return 1;
    if (had)
        strcpy(old, env);
    setenv("OPENBLAS_CORETYPE", core, 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    if (had)
        setenv("OPENBLAS_CORETYPE", old, 1);
    else
        unsetenv("OPENBLAS_CORETYPE");
    snprintf(cur_core, sizeof cur_core, "%s", core);
    return strcmp(openblas_get_corename(), core) == 0 ||
           (strcmp(core, "SkylakeX") == 0 && strcmp(openblas_get_corename(), "skylakex") == 0) ||
           (strcmp(core, "Haswell") == 0 && strcmp(openblas_get_corename(), "haswell") == 0);
}

static int cpu_has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl");
}

static void gemm_openblas(int ta, int tb, int m, int n, int k, const float *a, int lda,
                          const float *b, int ldb, float beta, float *c, int ldc)
{
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

#ifdef GAN_BENCH_HAVE_DNNL
static void gemm_dnnl(int ta, int tb, int m, int n, int k, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc)
{
    dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}
#endif

/* BLIS through dlopen: bli_sgemm(transa, transb, m, n, k, alpha, a, rs, cs,
   b, rs, cs, beta, c, rs, cs) with BLIS' trans_t values 0 (no) and 8. */
typedef void (*bli_sgemm_fn)(int, int, long, long, long, const float *, const float *, long,
                             long, const float *, long, long, const float *, float *, long, long);
static bli_sgemm_fn bli_sgemm_p;
static void (*bli_set_threads_p)(long);
static void gemm_blis(int ta, int tb, int m, int n, int k, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc)
{
    const float one = 1.0f;
    /* BLIS multiplies op(A) with A stored as given: transa says op. */
    bli_sgemm_p(ta ? 8 : 0, tb ? 8 : 0, m, n, k, &one, a, lda, 1, b, ldb, 1, &beta, c, ldc, 1);
}

static void gemm_libgan(int ta, int tb, int m, int n, int k, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc)
{
    gan__sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

typedef struct engine {
    const char *name;
    gemm_fn fn;
    const char *core; /* OpenBLAS core to select first, or NULL */
    int ok;
} engine;

static engine engines[] = {
    {"openblas-SkylakeX", gemm_openblas, "SkylakeX", 0},
    {"openblas-Haswell", gemm_openblas, "Haswell", 0},
#ifdef GAN_BENCH_HAVE_DNNL
    {"dnnl", gemm_dnnl, NULL, 0},
#endif
    {"blis", gemm_blis, NULL, 0},
    {"libgan", gemm_libgan, NULL, 0},
};
enum { NENG = sizeof engines / sizeof engines[0] };

/* The first engine that runs here: the reference of the ratios. */
static int first_ok(void)
{
    for (int e = 0; e < NENG; e++)
        if (engines[e].ok)
            return e;
    return 0;
}

static void set_threads(const engine *e, int t)
{
    openblas_set_num_threads(t);
#ifdef GAN_BENCH_HAVE_DNNL
    omp_set_num_threads(t);
#endif
    if (bli_set_threads_p)
        bli_set_threads_p(t);
    gan_set_threads(t);
    if (e->core)
        openblas_core(e->core);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void gemm_ref(int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b,
                     int ldb, float beta, float *c, int ldc)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double acc = 0;
            for (int p = 0; p < k; p++)
                acc += (double)(ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p]) *
                       (tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j]);
            c[(size_t)i * ldc + j] = (float)acc + (beta == 0.0f ? 0.0f : beta * c[(size_t)i * ldc + j]);
        }
}

int main(int argc, char **argv)
{
    int threads[4] = {1, 2}, nthreads = 2, rounds = 5;
    double ms = 30.0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            char *s = argv[++i], *end;
            nthreads = 0;
            while (*s && nthreads < 4) {
                threads[nthreads++] = (int)strtol(s, &end, 10);
                s = *end ? end + 1 : end;
            }
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc) {
            ms = atof(argv[++i]);
        } else if (strcmp(argv[i], "--workload") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else {
            fprintf(stderr, "usage: gemm_shapes [--threads 1,2] [--rounds 5] [--ms 30] "
                            "[--workload train-cifar|train-mnist|sample-cifar-64|sample-cifar-1]\n");
            return 2;
        }
    }
    void *blis = dlopen("libblis.so.4", RTLD_NOW | RTLD_LOCAL);
    if (blis) {
        bli_sgemm_p = (bli_sgemm_fn)(uintptr_t)dlsym(blis, "bli_sgemm");
        bli_set_threads_p = (void (*)(long))(uintptr_t)dlsym(blis, "bli_thread_set_num_threads");
        const char *(*arch_str)(int) = (const char *(*)(int))(uintptr_t)dlsym(blis, "bli_arch_string");
        int (*arch_id)(void) = (int (*)(void))(uintptr_t)dlsym(blis, "bli_arch_query_id");
        if (arch_str && arch_id)
            printf("# BLIS: libblis.so.4, sub-configuration %s\n", arch_str(arch_id()));
    }
    size_t maxa = 0, maxb = 0, maxc = 0;
    for (int s = 0; s < NSHAPES; s++) {
        const shape *sh = &shapes[s];
        if ((size_t)sh->m * sh->k > maxa) maxa = (size_t)sh->m * sh->k;
        if ((size_t)sh->k * sh->n > maxb) maxb = (size_t)sh->k * sh->n;
        if ((size_t)sh->m * sh->n > maxc) maxc = (size_t)sh->m * sh->n;
    }
    float *a = malloc(maxa * 4), *b = malloc(maxb * 4), *c = malloc(maxc * 4);
    float *ra = malloc(64 * 64 * 4), *rb = malloc(64 * 64 * 4), *rc = malloc(64 * 64 * 4),
          *rr = malloc(64 * 64 * 4);
    uint32_t x = 1;
    for (size_t i = 0; i < maxa; i++) a[i] = (float)((x = x * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
    for (size_t i = 0; i < maxb; i++) b[i] = (float)((x = x * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
    for (size_t i = 0; i < maxc; i++) c[i] = 0.0f;
    for (int i = 0; i < 64 * 64; i++) ra[i] = a[i], rb[i] = b[i];
    /* Which engines run here, checked on an odd shape in all transposes. */
    for (int e = 0; e < NENG; e++) {
        engine *en = &engines[e];
        /* OpenBLAS would switch to an AVX-512 kernel on any CPU, and the
           first GEMM would die with SIGILL where the CPU lacks AVX-512. */
        if (en->core && strcmp(en->core, "SkylakeX") == 0 && !cpu_has_avx512()) {
            printf("# %s: unavailable (this CPU has no AVX-512)\n", en->name);
            continue;
        }
        if (en->core && !openblas_core(en->core)) {
            printf("# %s: unavailable (OpenBLAS cannot switch to that kernel)\n", en->name);
            continue;
        }
        if (en->fn == gemm_blis && !bli_sgemm_p) {
            printf("# blis: unavailable (libblis.so.4 not found)\n");
            continue;
        }
        en->ok = 1;
        for (int t = 0; t < 4; t++) {
            const int m = 37, n = 29, k = 53, ta = t & 1, tb = t >> 1;
            for (int i = 0; i < m * n; i++) rc[i] = rr[i] = 0.25f;
            en->fn(ta, tb, m, n, k, ra, ta ? m : k, rb, tb ? k : n, 1.0f, rc, n);
            gemm_ref(ta, tb, m, n, k, ra, ta ? m : k, rb, tb ? k : n, 1.0f, rr, n);
            for (int i = 0; i < m * n; i++)
                if (rc[i] - rr[i] > 1e-4f || rr[i] - rc[i] > 1e-4f)
                    en->ok = 0;
        }
        printf("# %s: %s\n", en->name, en->ok ? "agrees with the naive loop" : "WRONG RESULTS, skipped");
    }
    {
        char info[512];
        gan_blas_info(info, sizeof info, NULL);
        printf("# libgan: %s\n", info);
    }
    printf("# rounds %d, >= %.0f ms per engine and shape per round\n", rounds, ms);
    static double best[4][NSHAPES][NENG];
    for (int ti = 0; ti < nthreads; ti++)
        for (int s = 0; s < NSHAPES; s++)
            for (int e = 0; e < NENG; e++)
                best[ti][s][e] = 1e30;
    for (int r = 0; r < rounds; r++)
        for (int ti = 0; ti < nthreads; ti++)
            for (int s = 0; s < NSHAPES; s++) {
                const shape *sh = &shapes[s];
                if (only && strcmp(only, sh->wl) != 0)
                    continue;
                for (int e0 = 0; e0 < NENG; e0++) {
                    /* alternate the order from round to round */
                    const int e = (e0 + r) % NENG;
                    engine *en = &engines[e];
                    if (!en->ok)
                        continue;
                    set_threads(en, threads[ti]);
                    const int lda = sh->ta ? sh->m : sh->k, ldb = sh->tb ? sh->k : sh->n;
                    en->fn(sh->ta, sh->tb, sh->m, sh->n, sh->k, a, lda, b, ldb, sh->beta, c, sh->n);
                    double t0 = now(), t;
                    int it = 0;
                    do {
                        double s0 = now();
                        en->fn(sh->ta, sh->tb, sh->m, sh->n, sh->k, a, lda, b, ldb, sh->beta, c,
                               sh->n);
                        t = now() - s0;
                        if (t < best[ti][s][e])
                            best[ti][s][e] = t;
                        it++;
                    } while (now() - t0 < ms * 1e-3 || it < 3);
                }
            }
    for (int ti = 0; ti < nthreads; ti++) {
        printf("\n## %d thread(s): GFLOP/s per shape (best of %d rounds)\n", threads[ti], rounds);
        printf("| workload | count | op | M | N | K | beta |");
        for (int e = 0; e < NENG; e++)
            if (engines[e].ok)
                printf(" %s |", engines[e].name);
        printf("\n");
        for (int s = 0; s < NSHAPES; s++) {
            const shape *sh = &shapes[s];
            if (only && strcmp(only, sh->wl) != 0)
                continue;
            printf("| %s | %d | %s%s | %d | %d | %d | %g |", sh->wl, sh->count, sh->ta ? "T" : "N",
                   sh->tb ? "T" : "N", sh->m, sh->n, sh->k, sh->beta);
            for (int e = 0; e < NENG; e++)
                if (engines[e].ok)
                    printf(" %.1f |", 2.0 * sh->m * sh->n * sh->k / best[ti][s][e] / 1e9);
            printf("\n");
        }
        printf("\n## %d thread(s): GEMM ms per workload repetition (sum of count x best), "
               "and speed relative to %s\n", threads[ti], engines[first_ok()].name);
        static const char *wls[] = {"train-cifar", "train-mnist", "sample-cifar-64", "sample-cifar-1"};
        for (int w = 0; w < 4; w++) {
            double tot[NENG] = {0};
            if (only && strcmp(only, wls[w]) != 0)
                continue;
            for (int s = 0; s < NSHAPES; s++)
                if (strcmp(shapes[s].wl, wls[w]) == 0)
                    for (int e = 0; e < NENG; e++)
                        tot[e] += shapes[s].count * best[ti][s][e];
            printf("%-16s", wls[w]);
            for (int e = 0; e < NENG; e++)
                if (engines[e].ok)
                    printf("  %s %.3f ms (%.2fx)", engines[e].name, tot[e] * 1e3,
                           tot[first_ok()] / tot[e]);
            printf("\n");
        }
    }
    free(a); free(b); free(c); free(ra); free(rb); free(rc); free(rr);
    return 0;
}
