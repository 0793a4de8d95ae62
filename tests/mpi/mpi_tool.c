/*
 * mpi_tool.c -- the MPI tests' program (tests/mpi/run_mpi_tests.sh runs it
 * under mpirun on loopback).  Public API only: gan.h and gan_mpi.h.
 *
 *   mpi_tool equal KIND [BUCKET_BYTES [thread]]
 *       (any number of ranks) Each rank trains its slice of every global
 *       batch of 64 through gan_mpi; rank 0 also trains a second pair alone
 *       on the whole batches and compares: the gradients of the last update
 *       to 1e-5 of the largest, the weights to 1% of the learning rate, the
 *       losses and scores to 1e-5; and every rank's weights, statistics and
 *       streams must be bit-identical.  KIND: bce, wgan-gp (n_critic 2),
 *       cgan (conditional), bn (batchnorm and dropout: replicas only).
 *       The buckets are driven by MPI_Testall between layers, or with
 *       thread by libgan_mpi's progress thread.
 *   mpi_tool train KIND DIR PHASE
 *       fit on a data set over the communicator.  PHASE a: 2 epochs from
 *       scratch, rank 0 saving DIR/ckpt.gan after the first (gan_mpi_save);
 *       b: resume DIR/ckpt.gan for the second epoch.  Rank 0 writes the
 *       final weights to DIR/<PHASE>_<size>.f32.
 *   mpi_tool plain KIND DIR
 *       phase b in one process without MPI at all (no reducer):
 *       DIR/plain.f32.
 *   mpi_tool compare A B TOL
 *       max relative difference of two .f32 files; TOL 0: bit-identical.
 *   mpi_tool fail MODE
 *       (2 ranks) at step 3 rank 1 gets NaN data (nan), fails to read its
 *       batch (error: gan_trainer_fail_step) or dies (die: SIGKILL).
 *       Every surviving rank must stop: exit 3, rank 0 printing
 *       gan_last_error() on stderr.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "gan_mpi.h"

#define GLOBAL 64
#define LATENT 16
#define SIDE 8
#define PIX (SIDE * SIDE)
#define CLASSES 3

static int rank, size;

#define CHECK(call)                                                                      \
    do {                                                                                 \
        gan_status st_ = (call);                                                         \
        if (st_ != GAN_OK) {                                                             \
            fprintf(stderr, "rank %d: %s:%d: %s: %s\n", rank, __FILE__, __LINE__, #call, \
                    gan_last_error());                                                   \
            die(2);                                                                      \
        }                                                                                \
    } while (0)

/* End every rank (plain mode runs without MPI). */
static void die(int code)
{
    int init = 0;
    MPI_Initialized(&init);
    if (init)
        MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

static void fail_msg(const char *what)
{
    fprintf(stderr, "rank %d: FAILED: %s\n", rank, what);
    die(1);
}

/* ---- the pairs --------------------------------------------------------------------- */

enum { K_BCE, K_WGAN_GP, K_CGAN, K_BN };

static int kind_of(const char *s)
{
    if (strcmp(s, "bce") == 0)
        return K_BCE;
    if (strcmp(s, "wgan-gp") == 0)
        return K_WGAN_GP;
    if (strcmp(s, "cgan") == 0)
        return K_CGAN;
    if (strcmp(s, "bn") == 0)
        return K_BN;
    fprintf(stderr, "unknown kind %s\n", s);
    exit(2);
}

typedef struct pair {
    int kind, n_critic;
    float lr;
    gan_model *g, *d;
    gan_optimizer *go, *dop;
    gan_loss *loss;
    gan_trainer *t;
} pair;

/* G: z (16) [+ class embedding] -> dense 4x4x16 -> leaky [-> batchnorm] ->
   (4,4,16) -> deconv 8, 4x4 s2 -> leaky -> conv 1, 3x3 -> tanh: 8x8x1.
   D: conv 16, 4x4 s2 -> leaky [-> dropout] -> flatten -> dense 1 (or a
   class projection). */
static void pair_create(pair *p, int kind)
{
    gan_dense_config dc;
    gan_conv2d_config cc;
    gan_optimizer_config oc;
    gan_loss_config lc;
    gan_trainer_config tc;
    int zin[1] = {LATENT}, img[3] = {SIDE, SIDE, 1}, r3[3] = {4, 4, 16};
    memset(p, 0, sizeof *p);
    p->kind = kind;
    CHECK(gan_model_create(&p->g, 1, zin));
    CHECK(gan_model_create(&p->d, 3, img));
    if (kind == K_CGAN)
        CHECK(gan_model_add_class_embedding(p->g, CLASSES, 4));
    CHECK(GAN_DENSE_CONFIG_INIT(&dc));
    dc.units = 4 * 4 * 16;
    CHECK(gan_model_add_dense(p->g, &dc));
    CHECK(gan_model_add_leaky_relu(p->g, 0.2f));
    if (kind == K_BN)
        CHECK(gan_model_add_batchnorm(p->g, NULL));
    CHECK(gan_model_add_reshape(p->g, 3, r3));
    CHECK(GAN_CONV2D_CONFIG_INIT(&cc));
    cc.filters = 8;
    cc.kernel_h = cc.kernel_w = 4;
    cc.stride_h = cc.stride_w = 2;
    cc.padding = GAN_PADDING_SAME;
    CHECK(gan_model_add_conv2d_transpose(p->g, &cc));
    CHECK(gan_model_add_leaky_relu(p->g, 0.2f));
    cc.filters = 1;
    cc.kernel_h = cc.kernel_w = 3;
    cc.stride_h = cc.stride_w = 1;
    CHECK(gan_model_add_conv2d(p->g, &cc));
    CHECK(gan_model_add_tanh(p->g));
    cc.filters = 16;
    cc.kernel_h = cc.kernel_w = 4;
    cc.stride_h = cc.stride_w = 2;
    CHECK(gan_model_add_conv2d(p->d, &cc));
    CHECK(gan_model_add_leaky_relu(p->d, 0.2f));
    if (kind == K_BN)
        CHECK(gan_model_add_dropout(p->d, 0.3f));
    CHECK(gan_model_add_flatten(p->d));
    if (kind == K_CGAN) {
        CHECK(gan_model_add_class_projection(p->d, CLASSES));
    } else {
        dc.units = 1;
        CHECK(gan_model_add_dense(p->d, &dc));
    }
    CHECK(gan_model_init_params(p->g, 1));
    CHECK(gan_model_init_params(p->d, 2));
    CHECK(gan_model_set_seed(p->g, 3));
    CHECK(gan_model_set_seed(p->d, 4));
    CHECK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
    CHECK(GAN_LOSS_CONFIG_INIT(&lc));
    CHECK(GAN_TRAINER_CONFIG_INIT(&tc));
    oc.lr = 2e-3f;
    oc.beta1 = 0.5f;
    tc.seed = 7;
    tc.ema_decay = kind == K_BN ? 0.9f : 0.0f;
    if (kind == K_WGAN_GP) {
        lc.kind = GAN_LOSS_WASSERSTEIN;
        lc.gradient_penalty = 10.0f;
        tc.n_critic = 2;
        /* SGD: the critic's output bias has a gradient of exactly 0 that
           summation order turns into +-1e-9, which Adam's first step would
           amplify to +-lr. */
        oc.kind = GAN_OPTIM_SGD;
        oc.momentum = 0.9f;
        oc.lr = 1e-3f;
    } else if (kind == K_CGAN) {
        lc.kind = GAN_LOSS_HINGE;
    }
    p->n_critic = tc.n_critic;
    p->lr = oc.lr;
    CHECK(gan_optimizer_create(&p->go, p->g, &oc));
    CHECK(gan_optimizer_create(&p->dop, p->d, &oc));
    CHECK(gan_loss_create(&p->loss, &lc));
    CHECK(gan_trainer_create(&p->t, p->g, p->d, p->go, p->dop, p->loss, &tc));
}

static void pair_free(pair *p)
{
    gan_trainer_free(p->t);
    gan_loss_free(p->loss);
    gan_optimizer_free(p->go);
    gan_optimizer_free(p->dop);
    gan_model_free(p->g);
    gan_model_free(p->d);
}

/* Every layer's parameters (which 0), gradients (1) or state (2). */
static size_t gather(const gan_model *m, int which, float *out)
{
    size_t layers = 0, n = 0;
    gan_model_layer_count(m, &layers);
    for (size_t i = 0; i < layers; i++) {
        size_t np = 0, ns = 0, c;
        gan_model_layer_sizes(m, i, &np, &ns);
        c = which == 2 ? ns : np;
        if (c && out) {
            if (which == 0)
                CHECK(gan_model_get_params(m, i, out + n, c));
            else if (which == 1)
                CHECK(gan_model_get_grads(m, i, out + n, c));
            else
                CHECK(gan_model_get_state(m, i, out + n, c));
        }
        n += c;
    }
    return n;
}

/* Parameters and state of both networks, and the EMA generator's. */
static float *snapshot(gan_trainer *t, size_t *n)
{
    gan_model *g, *d, *e = NULL;
    float *s;
    size_t k = 0;
    CHECK(gan_trainer_models(t, &g, &d, NULL, NULL));
    gan_trainer_ema_generator(t, &e);
    *n = gather(g, 0, NULL) + gather(g, 2, NULL) + gather(d, 0, NULL) + gather(d, 2, NULL) +
         (e ? gather(e, 0, NULL) : 0);
    s = malloc((*n + 1) * sizeof *s);
    k += gather(g, 0, s + k);
    k += gather(g, 2, s + k);
    k += gather(d, 0, s + k);
    k += gather(d, 2, s + k);
    if (e)
        k += gather(e, 0, s + k);
    gan_model_free(e);
    gan_clear_error();
    return s;
}

static float *gradients(gan_trainer *t, size_t *n)
{
    gan_model *g, *d;
    float *s;
    CHECK(gan_trainer_models(t, &g, &d, NULL, NULL));
    *n = gather(g, 1, NULL) + gather(d, 1, NULL);
    s = malloc((*n + 1) * sizeof *s);
    gather(d, 1, s + gather(g, 1, s));
    return s;
}

static uint64_t fnv(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* Every rank holds the same bits. */
static void assert_replicas_equal(gan_trainer *t, const char *what)
{
    size_t n;
    float *s = snapshot(t, &n);
    unsigned long long h = fnv(s, n * sizeof *s), lo = 0, hi = 0;
    MPI_Allreduce(&h, &lo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&h, &hi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
    free(s);
    if (lo != hi)
        fail_msg(what);
}

static double max_rel(const float *a, const float *b, size_t n, double floor)
{
    double e = 0.0;
    for (size_t i = 0; i < n; i++) {
        double m = fmax(fmax(fabs((double)a[i]), fabs((double)b[i])), floor);
        double d = fabs((double)a[i] - b[i]) / m;
        e = d > e ? d : e;
    }
    return e;
}

static double scaled(const float *a, const float *b, size_t n)
{
    double e = 0.0, m = 1e-30;
    for (size_t i = 0; i < n; i++) {
        e = fmax(e, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return e / m;
}

/* ---- the data ---------------------------------------------------------------------- */

/* Blurry blobs in [-1, 1], reproducible from i. */
static void sample(size_t i, float *x)
{
    uint64_t s = 0x9e3779b97f4a7c15ull * (i + 1);
    const double cx = (double)(s >> 40 & 7), cy = (double)(s >> 50 & 7);
    for (int y = 0; y < SIDE; y++)
        for (int xx = 0; xx < SIDE; xx++)
            x[y * SIDE + xx] =
                (float)(2.0 * exp(-((xx - cx) * (xx - cx) + (y - cy) * (y - cy)) / 6.0) - 1.0);
}

static int32_t label_of(size_t i)
{
    return (int32_t)(i % CLASSES);
}

static gan_dataset *dataset(size_t n)
{
    float *x = malloc(n * PIX * sizeof *x);
    int32_t *lab = malloc(n * sizeof *lab);
    int dims[3] = {SIDE, SIDE, 1};
    gan_dataset *ds = NULL;
    gan_batch_config bc;
    for (size_t i = 0; i < n; i++) {
        sample(i, x + i * PIX);
        lab[i] = label_of(i);
    }
    CHECK(gan_dataset_create_float(&ds, x, n, 3, dims, lab, 1));
    free(x);
    free(lab);
    CHECK(GAN_BATCH_CONFIG_INIT(&bc));
    bc.batch_size = 32;
    bc.seed = 5;
    bc.drop_remainder = 0;  /* 200 = 6 x 32 + 8: a short last batch */
    CHECK(gan_dataset_set_batching(ds, &bc));
    return ds;
}

/* ---- equal: K ranks == one process ----------------------------------------------- */

/* Step s's global batches (n_critic of them): samples s*1000 + ... */
static void step_batch(int s, int nc, size_t first, size_t b, float *x, int32_t *lab)
{
    for (int i = 0; i < nc; i++)
        for (size_t j = 0; j < b; j++) {
            size_t id = (size_t)s * 1000 + (size_t)i * GLOBAL + first + j;
            sample(id, x + ((size_t)i * b + j) * PIX);
            lab[(size_t)i * b + j] = label_of(id * 7);
        }
}

static gan_status step(pair *p, int s, size_t first, size_t b, gan_step_stats *ss)
{
    const int nc = p->n_critic;
    float *x = malloc((size_t)nc * b * PIX * sizeof *x);
    int32_t *lab = malloc((size_t)nc * b * sizeof *lab);
    gan_status st;
    step_batch(s, nc, first, b, x, lab);
    GAN_STEP_STATS_INIT(ss);
    st = p->kind == K_CGAN
        ? gan_trainer_step_labeled(p->t, x, (size_t)nc * b * PIX, lab, (size_t)nc * b, b, ss)
        : gan_trainer_step(p->t, x, (size_t)nc * b * PIX, b, ss);
    free(x);
    free(lab);
    return st;
}

static int cmd_equal(int kind, size_t bucket, int thread)
{
    pair p;
    gan_mpi *m = NULL;
    gan_step_stats ss, rs;
    const int steps = 3;
    const size_t q = GLOBAL / (size_t)size, rem = GLOBAL % (size_t)size, r = (size_t)rank;
    const size_t first = r * q + (r < rem ? r : rem), b = q + (r < rem);
    gan_mpi_stats ms;
    pair_create(&p, kind);
    CHECK(gan_mpi_attach(&m, p.t, NULL, MPI_COMM_WORLD));
    if (bucket)
        CHECK(gan_mpi_set_bucket_bytes(m, bucket));
    if (thread) {
        CHECK(gan_mpi_set_progress_thread(m, 1));
        if (!gan_mpi_progress_thread(m))
            fail_msg("no progress thread under MPI_THREAD_MULTIPLE");
    }
    for (int s = 0; s < steps; s++)
        CHECK(step(&p, s, first, b, &ss));
    assert_replicas_equal(p.t, "the ranks' networks differ");
    GAN_MPI_STATS_INIT(&ms);
    CHECK(gan_mpi_get_stats(m, &ms));
    if (rank == 0 && kind != K_BN) {
        pair ref;
        size_t n, nr, ng, ngr;
        float *w, *wr, *g, *gr;
        double ew, eg;
        pair_create(&ref, kind);
        for (int s = 0; s < steps; s++)
            CHECK(step(&ref, s, 0, GLOBAL, &rs));
        w = snapshot(p.t, &n);
        wr = snapshot(ref.t, &nr);
        g = gradients(p.t, &ng);
        gr = gradients(ref.t, &ngr);
        if (n != nr || ng != ngr)
            fail_msg("sizes differ");
        /* Weights: the largest difference in units of the learning rate (a
           step moves a weight by about lr; Adam turns a 1e-9 difference of
           a tiny gradient into a visible one). */
        ew = 0.0;
        for (size_t i = 0; i < n; i++)
            ew = fmax(ew, fabs((double)w[i] - wr[i]));
        ew /= p.lr;
        eg = scaled(g, gr, ng);
        printf("equal %s on %d ranks (buckets %llu, %.0f bytes): weights %.3g lr, gradients %.3g, "
               "d_loss %.6f/%.6f g_loss %.6f/%.6f d_real %.6f/%.6f d_fake %.6f/%.6f\n",
               kind == K_BCE ? "bce" : kind == K_WGAN_GP ? "wgan-gp" : "cgan", size,
               (unsigned long long)ms.buckets, ms.bytes, ew, eg, (double)ss.d_loss,
               (double)rs.d_loss, (double)ss.g_loss, (double)rs.g_loss, (double)ss.d_real,
               (double)rs.d_real, (double)ss.d_fake, (double)rs.d_fake);
        if (ew > 0.01 || eg > 1e-5 || fabsf(ss.d_loss - rs.d_loss) > 1e-5f * (1 + fabsf(rs.d_loss)) ||
            fabsf(ss.g_loss - rs.g_loss) > 1e-5f * (1 + fabsf(rs.g_loss)) ||
            fabsf(ss.d_real - rs.d_real) > 1e-5f || fabsf(ss.d_fake - rs.d_fake) > 1e-5f)
            fail_msg("the ranks' step differs from one process's");
        free(w);
        free(wr);
        free(g);
        free(gr);
        pair_free(&ref);
    } else if (rank == 0) {
        printf("equal bn on %d ranks: replicas identical (buckets %llu)\n", size,
               (unsigned long long)ms.buckets);
    }
    gan_mpi_free(m);
    pair_free(&p);
    return 0;
}

/* ---- train / resume ----------------------------------------------------------------- */

static void write_f32(const char *path, const float *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(x, sizeof *x, n, f) != n || fclose(f) != 0)
        fail_msg(path);
}

static float *read_f32(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    long len;
    float *x;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
        fail_msg(path);
    rewind(f);
    *n = (size_t)len / sizeof *x;
    x = malloc(*n * sizeof *x + 1);
    if (fread(x, sizeof *x, *n, f) != *n)
        fail_msg(path);
    fclose(f);
    return x;
}

static void save_weights(gan_trainer *t, const char *dir, const char *name)
{
    char path[4096];
    size_t n;
    float *s = snapshot(t, &n);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_f32(path, s, n);
    free(s);
}

static int cmd_train(int kind, const char *dir, const char *phase, int use_mpi)
{
    gan_dataset *ds = dataset(200);
    gan_mpi *m = NULL;
    pair p;
    gan_trainer *t;
    char path[4096], name[64];
    memset(&p, 0, sizeof p);
    snprintf(path, sizeof path, "%s/ckpt.gan", dir);
    if (strcmp(phase, "a") == 0) {
        pair_create(&p, kind);
        t = p.t;
    } else {
        CHECK(gan_trainer_load(&t, ds, path));   /* every rank reads the file */
    }
    if (use_mpi)
        CHECK(gan_mpi_attach(&m, t, ds, MPI_COMM_WORLD));
    if (strcmp(phase, "a") == 0) {
        CHECK(gan_trainer_fit(t, ds, 1, NULL, NULL, NULL));
        CHECK(gan_mpi_save(m, ds, path));
    }
    CHECK(gan_trainer_fit(t, ds, 1, NULL, NULL, NULL));
    if (use_mpi)
        assert_replicas_equal(t, "the ranks' networks differ after fit");
    if (rank == 0) {
        snprintf(name, sizeof name, use_mpi ? "%s_%d.f32" : "plain.f32", phase, size);
        save_weights(t, dir, name);
    }
    gan_mpi_free(m);
    if (strcmp(phase, "a") == 0)
        pair_free(&p);
    else
        gan_trainer_free(t);
    gan_dataset_free(ds);
    return 0;
}

static int cmd_compare(const char *a, const char *b, double tol)
{
    size_t na, nb;
    float *x = read_f32(a, &na), *y = read_f32(b, &nb);
    double e;
    if (na != nb || na == 0) {
        fprintf(stderr, "%s and %s: %zu and %zu values\n", a, b, na, nb);
        return 1;
    }
    const int same = memcmp(x, y, na * sizeof *x) == 0;
    e = max_rel(x, y, na, 1e-3);
    printf("compare %s %s: %zu values, max relative difference %.3g (%s)\n", a, b, na, e,
           same ? "bit-identical" : "not bit-identical");
    free(x);
    free(y);
    return (tol == 0.0 ? same : e <= tol) ? 0 : 1;
}

/* ---- fail: a rank hits NaN, fails or dies ------------------------------------------ */

static int cmd_fail(const char *mode)
{
    pair p;
    gan_mpi *m = NULL;
    gan_status st = GAN_OK;
    const size_t b = GLOBAL / (size_t)size;
    pair_create(&p, K_BCE);
    CHECK(gan_mpi_attach(&m, p.t, NULL, MPI_COMM_WORLD));
    for (int s = 0; s < 10 && st == GAN_OK; s++) {
        gan_step_stats ss;
        if (s == 3 && rank == 1) {
            if (strcmp(mode, "die") == 0) {
                raise(SIGKILL);
            } else if (strcmp(mode, "error") == 0) {
                gan_set_error(GAN_EIO, "cannot read batch 4: simulated I/O error");
                st = gan_trainer_fail_step(p.t, GAN_EIO);
                continue;
            } else if (strcmp(mode, "nan") == 0) {
                float *x = malloc(b * PIX * sizeof *x);
                for (size_t i = 0; i < b * PIX; i++)
                    x[i] = NAN;
                st = gan_trainer_step(p.t, x, b * PIX, b, &ss);
                free(x);
                continue;
            }
        }
        st = step(&p, s, (size_t)rank * b, b, &ss);
    }
    if (st != GAN_OK) {
        if (rank == 0)
            fprintf(stderr, "rank 0 stops: %s\n", gan_last_error());
        /* The failure reached every rank alike: they are still in step. */
        if (!gan_mpi_in_step(m))
            MPI_Abort(MPI_COMM_WORLD, 4);
        gan_mpi_free(m);
        pair_free(&p);
        MPI_Finalize();
        exit(3);
    }
    gan_mpi_free(m);
    pair_free(&p);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc == 5 && strcmp(argv[1], "compare") == 0)
        return cmd_compare(argv[2], argv[3], atof(argv[4]));
    if (argc == 4 && strcmp(argv[1], "plain") == 0) {
        /* One process, no MPI at all. */
        gan_set_threads(1);
        return cmd_train(kind_of(argv[2]), argv[3], "b", 0);
    }
    {
        int provided;
        MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    gan_set_threads(1);
    if (argc >= 3 && strcmp(argv[1], "equal") == 0)
        rc = cmd_equal(kind_of(argv[2]), argc > 3 ? (size_t)atol(argv[3]) : 0,
                       argc > 4 && strcmp(argv[4], "thread") == 0);
    else if (argc == 5 && strcmp(argv[1], "train") == 0)
        rc = cmd_train(kind_of(argv[2]), argv[3], argv[4], 1);
    else if (argc == 3 && strcmp(argv[1], "fail") == 0)
        rc = cmd_fail(argv[2]);
    else if (rank == 0)
        fprintf(stderr, "usage: see the comment at the top of tests/mpi/mpi_tool.c\n");
    MPI_Finalize();
    return rc;
}
