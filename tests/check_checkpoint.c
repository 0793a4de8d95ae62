/*
 * check_checkpoint.c -- model files and training checkpoints.
 *
 * Round trips of every layer kind and optimizer; exact resume in process
 * (the cross-process version is tests/ckpt/resume.sh); every truncation
 * point, header bit flip and random payload flip of a small file rejected;
 * non-finite weights and newer versions rejected; atomic saves that keep
 * the old file on failure and sweep stale temporaries; the committed file
 * of the first format version still loads.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gan.h"
#include "test_util.h"

/* The test's own random numbers: the committed first-release file was made
   from this stream (seed 1). */
static tu_lcg rs = {1};

/* A model with every layer kind, a frozen layer and a layer without bias. */
static gan_model *every_kind_model(void)
{
    gan_model *m = tu_model(3, 8, 8, 2);
    int re[3] = {4, 4, 8};
    gan_conv2d_config c = tu_conv_config(4, 3, 2, GAN_PADDING_SAME);
    gan_batchnorm_config b;
    OK(gan_model_add_conv2d(m, &c));
    OK(GAN_BATCHNORM_CONFIG_INIT(&b));
    b.momentum = 0.9f;
    OK(gan_model_add_batchnorm(m, &b));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    OK(gan_model_add_dropout(m, 0.25f));
    c.filters = 8;
    c.kernel_h = 2;
    c.kernel_w = 4;
    c.stride_h = 1;
    c.stride_w = 1;
    c.use_bias = 0;
    OK(gan_model_add_conv2d_transpose(m, &c));
    OK(gan_model_add_relu(m));
    OK(gan_model_add_flatten(m));
    tu_add_dense(m, 128, 1);
    OK(gan_model_add_reshape(m, 3, re));
    OK(gan_model_add_tanh(m));
    OK(gan_model_add_flatten(m));
    tu_add_dense(m, 3, 0);
    OK(gan_model_add_sigmoid(m));
    OK(gan_model_set_trainable(m, 0, 0));
    OK(gan_model_init_params(m, 77));
    return m;
}

static char *summary(const gan_model *m)
{
    size_t n = 0;
    char *s;
    OK(gan_model_summary(m, NULL, 0, &n));
    s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    OK(gan_model_summary(m, s, n + 1, NULL));
    return s;
}

/* a and b within tol of each other (relative to max(|a|, 1)); 0: the
   same bits. */
static void assert_floats_close(const float *a, const float *b, size_t n, float tol,
                                const char *what, size_t layer)
{
    if (tol == 0.0f) {
        ck_assert_msg(memcmp(a, b, n * sizeof(float)) == 0, "%s of layer %zu differ", what, layer);
        return;
    }
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabsf(a[i] - b[i]) <= tol * fmaxf(fabsf(a[i]), 1.0f),
                      "%s of layer %zu, [%zu]: %.9g vs %.9g", what, layer, i, a[i], b[i]);
}

/*
 * Summary, parameters, state and an inference forward all equal: the same
 * bits (state_tol 0), or the parameters bit for bit and the state (running
 * statistics) and outputs within state_tol, where the state came from a
 * forward pass in another build: its GEMMs may run on another engine
 * (oneDNN or OpenBLAS, chosen by the CPU), whose sums round differently.
 */
static void assert_same_model(gan_model *a, gan_model *b, float state_tol)
{
    size_t la, lb;
    char *sa = summary(a), *sb = summary(b);
    float x[2 * 8 * 8 * 2], ya[2 * 3], yb[2 * 3];
    ck_assert_str_eq(sa, sb);
    free(sa);
    free(sb);
    OK(gan_model_layer_count(a, &la));
    OK(gan_model_layer_count(b, &lb));
    ck_assert_uint_eq(la, lb);
    for (size_t i = 0; i < la; i++) {
        size_t np, ns, np2, ns2;
        float *p1, *p2;
        OK(gan_model_layer_sizes(a, i, &np, &ns));
        OK(gan_model_layer_sizes(b, i, &np2, &ns2));
        ck_assert_uint_eq(np, np2);
        ck_assert_uint_eq(ns, ns2);
        p1 = malloc((np + ns + 1) * sizeof(float));
        p2 = malloc((np + ns + 1) * sizeof(float));
        OK(gan_model_get_params(a, i, p1, np));
        OK(gan_model_get_params(b, i, p2, np));
        OK(gan_model_get_state(a, i, p1 + np, ns));
        OK(gan_model_get_state(b, i, p2 + np, ns));
        assert_floats_close(p1, p2, np, 0.0f, "parameters", i);
        assert_floats_close(p1 + np, p2 + np, ns, state_tol, "state", i);
        free(p1);
        free(p2);
    }
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = tu_lcg_sym(&rs);
    OK(gan_model_forward(a, x, sizeof x / sizeof x[0], 2, GAN_MODE_INFER, ya, 6));
    OK(gan_model_forward(b, x, sizeof x / sizeof x[0], 2, GAN_MODE_INFER, yb, 6));
    assert_floats_close(ya, yb, 6, state_tol, "outputs", la);
}

START_TEST(test_model_round_trip_every_kind)
{
    gan_model *m = every_kind_model(), *l = NULL;
    void *buf = NULL, *buf2 = NULL;
    size_t len = 0, len2 = 0;
    float x[4 * 8 * 8 * 2];
    /* Non-trivial batchnorm statistics. */
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = tu_lcg_sym(&rs) * 3.0f + 1.0f;
    OK(gan_model_forward(m, x, sizeof x / sizeof x[0], 4, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_save_mem(m, &buf, &len));
    OK(gan_model_load_mem(&l, buf, len));
    assert_same_model(m, l, 0.0f);
    /* Saving the loaded model gives the same bytes. */
    OK(gan_model_save_mem(l, &buf2, &len2));
    ck_assert_uint_eq(len, len2);
    ck_assert_mem_eq(buf, buf2, len);
    {   /* A loaded model carries no gradients, yet backpropagates on demand. */
        float grads[4 * 3 * 3 * 2 + 4], dy[4 * 3];
        for (size_t i = 0; i < 12; i++)
            dy[i] = 1.0f;
        OK(gan_model_get_grads(l, 0, grads, 4 * 3 * 3 * 2 + 4));
        ck_assert_float_eq(grads[0], 0.0f);
        OK(gan_model_forward(l, x, sizeof x / sizeof x[0], 4, GAN_MODE_TRAIN, NULL, 0));
        OK(gan_model_set_trainable(l, -1, 1));
        OK(gan_model_backward(l, dy, 12, NULL, 0));
    }
    gan_free(buf);
    gan_free(buf2);
    gan_model_free(m);
    gan_model_free(l);
}
END_TEST

/* Layers added after the v1 fixture round-trip too. */
START_TEST(test_round_trip_minibatch_stddev)
{
    gan_model *m = NULL, *l = NULL;
    int in[3] = {4, 4, 2};
    gan_conv2d_config c;
    gan_dense_config d;
    void *buf;
    size_t len;
    char *a, *b;
    OK(gan_model_create(&m, 3, in));
    OK(gan_model_add_minibatch_stddev(m));
    OK(GAN_CONV2D_CONFIG_INIT(&c));
    c.filters = 2;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_flatten(m));
    OK(gan_model_add_minibatch_stddev(m));
    OK(gan_model_add_minibatch_discrimination(m, 3, 4));
    OK(GAN_DENSE_CONFIG_INIT(&d));
    d.units = 1;
    OK(gan_model_add_dense(m, &d));
    OK(gan_model_save_mem(m, &buf, &len));
    OK(gan_model_load_mem(&l, buf, len));
    a = summary(m);
    b = summary(l);
    ck_assert_str_eq(a, b);
    ck_assert(strstr(a, "minibatch_stddev") != NULL && strstr(a, "minibatch_discrimination") != NULL);
    {   /* the projection tensor round-trips too */
        size_t n;
        float p1[64 * 12], p2[64 * 12];
        OK(gan_model_layer_sizes(m, 4, &n, NULL));
        ck_assert(n > 0 && n <= 64 * 12);
        OK(gan_model_get_params(m, 4, p1, n));
        OK(gan_model_get_params(l, 4, p2, n));
        ck_assert_mem_eq(p1, p2, n * sizeof(float));
    }
    free(a);
    free(b);
    gan_free(buf);
    gan_model_free(m);
    gan_model_free(l);
}
END_TEST

START_TEST(test_model_file_on_disk)
{
    char dir[] = "/tmp/gan-ckpt-XXXXXX", path[256], stale[300];
    gan_model *m = NULL, *l = NULL;
    gan_file_kind kind;
    struct stat st;
    FILE *f;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/gen.gan", dir);
    OK(gan_model_create_preset(&m, GAN_PRESET_MNIST_GENERATOR));
    /* A temporary left by a crashed save is swept by the next save. */
    snprintf(stale, sizeof stale, "%s/.gen.gan.tmp-AbC123", dir);
    f = fopen(stale, "w");
    ck_assert_ptr_nonnull(f);
    fputs("torn", f);
    fclose(f);
    OK(gan_model_save(m, path));
    ck_assert_int_ne(stat(stale, &st), 0);
    OK(gan_file_probe(path, &kind));
    ck_assert_int_eq(kind, GAN_FILE_MODEL);
    OK(gan_model_load(&l, path));
    {
        size_t a, b;
        OK(gan_model_param_count(m, &a, NULL));
        OK(gan_model_param_count(l, &b, NULL));
        ck_assert_uint_eq(a, b);
        gan_model_free(l);
        l = NULL;
    }
    /* A failing save (no such directory) reports the path and errno text. */
    ck_assert_int_eq(gan_model_save(m, "/nonexistent-dir-xyz/g.gan"), GAN_EIO);
    ck_assert(strstr(gan_last_error(), "/nonexistent-dir-xyz/g.gan") != NULL);
    ck_assert_int_eq(gan_model_load(&l, "/nonexistent-dir-xyz/g.gan"), GAN_EIO);
    ck_assert_ptr_null(l);
    {   /* info describes the file */
        size_t need = 0;
        char *text;
        OK(gan_file_info(path, NULL, 0, &need));
        text = malloc(need + 1);
        OK(gan_file_info(path, text, need + 1, NULL));
        ck_assert(strstr(text, "model file") && strstr(text, "conv2d_transpose") &&
                  strstr(text, "2,330,944"));
        free(text);
    }
    gan_model_free(m);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* ---- a training run ---------------------------------------------------------------- */

static float run_ema = 0.0f; /* ema_decay of the next make_run */

/* G 4 -> dense 16 -> batchnorm -> ReLU -> dense 2; D 2 -> dense 16 -> leaky
   ReLU -> dropout 0.2 -> dense 1: every kind of state a checkpoint holds. */
static void make_run(tu_pair *r, gan_optimizer_kind ok, gan_loss_kind lk, int n_critic)
{
    tu_pair_config c;
    tu_pair_config_init(&c);
    c.g_batchnorm = 1;
    c.d_dropout = 0.2f;
    c.g_seed = 3;
    c.d_seed = 4;
    c.opt.kind = ok;
    c.opt.lr = 1e-2f;
    if (ok == GAN_OPTIM_SGD)
        c.opt.momentum = 0.9f;
    c.loss.kind = lk;
    if (lk == GAN_LOSS_WASSERSTEIN)
        c.loss.clip = 0.05f;
    c.trainer.n_critic = n_critic;
    c.trainer.seed = 9;
    c.trainer.ema_decay = run_ema;
    OK(tu_pair_create(r, &c));
    OK(gan_model_set_seed(r->d, 5));
}

/* Deterministic "real" data for step s. */
static void step_data(float *x, size_t n, uint64_t s)
{
    tu_lcg r = {s * 7919 + 1};
    for (size_t i = 0; i < n; i++)
        x[i] = tu_lcg_sym(&r) + (i % 2 ? 1.0f : -1.0f);
}

static void train_steps(gan_trainer *t, int n_critic, uint64_t from, uint64_t k)
{
    float x[4 * 8 * 2];
    for (uint64_t s = from; s < from + k; s++) {
        step_data(x, (size_t)n_critic * 8 * 2, s);
        OK(gan_trainer_step(t, x, (size_t)n_critic * 8 * 2, 8, NULL));
    }
}

START_TEST(test_exact_resume_every_optimizer)
{
    static const struct { gan_optimizer_kind o; gan_loss_kind l; int nc; } cases[] = {
        {GAN_OPTIM_ADAM, GAN_LOSS_BCE, 1},
        {GAN_OPTIM_RMSPROP, GAN_LOSS_WASSERSTEIN, 3},
        {GAN_OPTIM_SGD, GAN_LOSS_HINGE, 1},
        {GAN_OPTIM_ADAM, GAN_LOSS_FEATURE_MATCHING, 2},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tu_pair straight, first;
        gan_trainer *resumed = NULL;
        void *b1, *b2, *mid;
        size_t l1, l2, lmid;
        uint64_t step, epoch;
        make_run(&straight, cases[c].o, cases[c].l, cases[c].nc);
        make_run(&first, cases[c].o, cases[c].l, cases[c].nc);
        train_steps(straight.t, cases[c].nc, 0, 10);
        train_steps(first.t, cases[c].nc, 0, 5);
        OK(gan_trainer_save_mem(first.t, NULL, &mid, &lmid));
        tu_pair_free(&first);
        OK(gan_trainer_load_mem(&resumed, NULL, mid, lmid));
        OK(gan_trainer_progress(resumed, &step, &epoch));
        ck_assert_uint_eq(step, 5);
        train_steps(resumed, cases[c].nc, 5, 5);
        OK(gan_trainer_save_mem(straight.t, NULL, &b1, &l1));
        OK(gan_trainer_save_mem(resumed, NULL, &b2, &l2));
        ck_assert_msg(l1 == l2 && memcmp(b1, b2, l1) == 0, "case %zu: resumed run differs", c);
        gan_free(b1);
        gan_free(b2);
        gan_free(mid);
        gan_trainer_free(resumed);
        tu_pair_free(&straight);
    }
}
END_TEST

/*
 * EMA of the generator's weights: ema_k = d ema_{k-1} + (1-d) w_k, starting
 * from the initial weights, checked against the weights read after every
 * step; saved and restored so a resumed run stays byte-identical.
 */
START_TEST(test_generator_ema)
{
    tu_pair a, b, plain;
    gan_model *ema = NULL, *ema2 = NULL;
    gan_trainer *resumed = NULL;
    size_t np, layers;
    double *want;
    float *w, *got;
    void *mid, *x1, *x2;
    size_t lmid, l1, l2;
    const double d = 0.9;
    run_ema = 0.9f;
    make_run(&a, GAN_OPTIM_ADAM, GAN_LOSS_BCE, 1);
    make_run(&b, GAN_OPTIM_ADAM, GAN_LOSS_BCE, 1);
    run_ema = 0.0f;
    OK(gan_model_layer_count(a.g, &layers));
    OK(gan_model_layer_sizes(a.g, 0, &np, NULL));   /* the first dense layer */
    want = malloc(np * sizeof *want);
    w = malloc(np * sizeof *w);
    got = malloc(np * sizeof *got);
    OK(gan_model_get_params(a.g, 0, w, np));
    for (size_t i = 0; i < np; i++)
        want[i] = w[i];
    for (int s = 0; s < 4; s++) {
        train_steps(a.t, 1, (uint64_t)s, 1);
        OK(gan_model_get_params(a.g, 0, w, np));
        for (size_t i = 0; i < np; i++)
            want[i] = d * want[i] + (1.0 - d) * w[i];
    }
    OK(gan_trainer_ema_generator(a.t, &ema));
    OK(gan_model_get_params(ema, 0, got, np));
    for (size_t i = 0; i < np; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= 1e-6 + 1e-5 * fabs(want[i]), "ema[%zu] %g want %g", i,
                      (double)got[i], want[i]);
    /* The average differs from the live weights. */
    ck_assert(memcmp(got, w, np * sizeof *w) != 0);
    /* Resume through a checkpoint keeps the average exact. */
    train_steps(b.t, 1, 0, 2);
    OK(gan_trainer_save_mem(b.t, NULL, &mid, &lmid));
    OK(gan_trainer_load_mem(&resumed, NULL, mid, lmid));
    train_steps(resumed, 1, 2, 2);
    OK(gan_trainer_save_mem(a.t, NULL, &x1, &l1));
    OK(gan_trainer_save_mem(resumed, NULL, &x2, &l2));
    ck_assert(l1 == l2 && memcmp(x1, x2, l1) == 0);
    OK(gan_trainer_ema_generator(resumed, &ema2));
    OK(gan_model_get_params(ema2, 0, w, np));
    ck_assert_mem_eq(w, got, np * sizeof *w);
    /* Without EMA there is no average to get. */
    make_run(&plain, GAN_OPTIM_ADAM, GAN_LOSS_BCE, 1);
    {
        gan_model *none = NULL;
        ck_assert_int_eq(gan_trainer_ema_generator(plain.t, &none), GAN_ESTATE);
        ck_assert_ptr_null(none);
        /* and a checkpoint with an EMA does not restore into it */
        {
            char dir[] = "/tmp/gan-ema-XXXXXX", path[256];
            ck_assert_ptr_nonnull(mkdtemp(dir));
            snprintf(path, sizeof path, "%s/e.gan", dir);
            OK(gan_trainer_save(a.t, NULL, path));
            ck_assert_int_eq(gan_trainer_restore(plain.t, NULL, path), GAN_ESHAPE);
            ck_assert(strstr(gan_last_error(), "EMA") != NULL);
            unlink(path);
            rmdir(dir);
        }
    }
    (void)layers;
    free(want);
    free(w);
    free(got);
    gan_free(mid);
    gan_free(x1);
    gan_free(x2);
    gan_model_free(ema);
    gan_model_free(ema2);
    gan_trainer_free(resumed);
    tu_pair_free(&a);
    tu_pair_free(&b);
    tu_pair_free(&plain);
}
END_TEST

START_TEST(test_restore_into_existing_trainer)
{
    tu_pair a, b;
    void *buf;
    size_t len;
    char dir[] = "/tmp/gan-restore-XXXXXX", path[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/run.gan", dir);
    make_run(&a, GAN_OPTIM_ADAM, GAN_LOSS_BCE, 1);
    make_run(&b, GAN_OPTIM_ADAM, GAN_LOSS_BCE, 1);
    train_steps(a.t, 1, 0, 4);
    OK(gan_trainer_save(a.t, NULL, path));
    OK(gan_trainer_restore(b.t, NULL, path));
    train_steps(a.t, 1, 4, 3);
    train_steps(b.t, 1, 4, 3);
    {
        void *x, *y;
        size_t lx, ly;
        OK(gan_trainer_save_mem(a.t, NULL, &x, &lx));
        OK(gan_trainer_save_mem(b.t, NULL, &y, &ly));
        ck_assert(lx == ly && memcmp(x, y, lx) == 0);
        gan_free(x);
        gan_free(y);
    }
    tu_pair_free(&b);
    /* A trainer of another shape is refused, and left unchanged. */
    {
        tu_pair c;
        int lat[1] = {4};
        gan_model *g2 = NULL;
        gan_optimizer *o2 = NULL;
        gan_optimizer_config oc;
        gan_dense_config dc;
        gan_trainer *t2 = NULL;
        make_run(&c, GAN_OPTIM_ADAM, GAN_LOSS_BCE, 1);
        OK(gan_model_create(&g2, 1, lat));
        OK(GAN_DENSE_CONFIG_INIT(&dc));
        dc.units = 2;
        OK(gan_model_add_dense(g2, &dc));
        OK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
        OK(gan_optimizer_create(&o2, g2, &oc));
        OK(gan_trainer_create(&t2, g2, c.d, o2, c.d_opt, c.loss, NULL));
        ck_assert_int_eq(gan_trainer_restore(t2, NULL, path), GAN_ESHAPE);
        ck_assert_msg(strstr(gan_last_error(), "generator") != NULL, "%s", gan_last_error());
        gan_trainer_free(t2);
        gan_optimizer_free(o2);
        gan_model_free(g2);
        tu_pair_free(&c);
    }
    /* A model file is not a checkpoint. */
    OK(gan_model_save_mem(a.g, &buf, &len));
    {
        gan_trainer *t = NULL;
        ck_assert_int_eq(gan_trainer_load_mem(&t, NULL, buf, len), GAN_EFORMAT);
        ck_assert(strstr(gan_last_error(), "model file") != NULL);
    }
    gan_free(buf);
    tu_pair_free(&a);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_dataset_position_restored)
{
    enum { N = 40 };
    float x[N * 2], b1[8 * 2], b2[8 * 2];
    int dims[1] = {2};
    gan_dataset *ds = NULL, *ds2 = NULL, *other = NULL;
    gan_batch_config bc;
    tu_pair r;
    gan_trainer *t = NULL;
    void *buf;
    size_t len, n;
    for (int i = 0; i < N * 2; i++)
        x[i] = (float)i;
    OK(gan_dataset_create_float(&ds, x, N, 1, dims, NULL, 1));
    OK(gan_dataset_create_float(&ds2, x, N, 1, dims, NULL, 1));
    OK(gan_dataset_create_float(&other, x, N - 1, 1, dims, NULL, 1));
    OK(GAN_BATCH_CONFIG_INIT(&bc));
    bc.batch_size = 8;
    bc.seed = 123;
    OK(gan_dataset_set_batching(ds, &bc));
    make_run(&r, GAN_OPTIM_ADAM, GAN_LOSS_BCE, 1);
    for (int i = 0; i < 7; i++) /* into the second epoch */
        while (gan_dataset_next_batch(ds, b1, 16, NULL, &n, NULL) != GAN_OK)
            ;
    OK(gan_trainer_save_mem(r.t, ds, &buf, &len));
    ck_assert_int_eq(gan_trainer_load_mem(&t, other, buf, len), GAN_ESHAPE);
    ck_assert(strstr(gan_last_error(), "40 samples") != NULL);
    OK(gan_trainer_load_mem(&t, ds2, buf, len));
    for (int i = 0; i < 6; i++) {
        gan_status s1, s2;
        size_t e1, e2;
        do
            s1 = gan_dataset_next_batch(ds, b1, 16, NULL, &n, &e1);
        while (s1 == GAN_DONE);
        do
            s2 = gan_dataset_next_batch(ds2, b2, 16, NULL, &n, &e2);
        while (s2 == GAN_DONE);
        OK(s1);
        OK(s2);
        ck_assert_uint_eq(e1, e2);
        ck_assert_mem_eq(b1, b2, sizeof b1);
    }
    gan_free(buf);
    gan_trainer_free(t);
    tu_pair_free(&r);
    gan_dataset_free(ds);
    gan_dataset_free(ds2);
    gan_dataset_free(other);
}
END_TEST

/* ---- damaged files ------------------------------------------------------------------ */

static void small_model_file(void **buf, size_t *len)
{
    gan_model *m = tu_model(1, 3, 0, 0);
    tu_add_dense(m, 4, 1);
    OK(gan_model_add_batchnorm(m, NULL));
    OK(gan_model_add_tanh(m));
    OK(gan_model_save_mem(m, buf, len));
    gan_model_free(m);
}

START_TEST(test_every_truncation_rejected)
{
    void *buf;
    size_t len;
    gan_model *m = NULL;
    small_model_file(&buf, &len);
    for (size_t cut = 0; cut < len; cut++) {
        gan_status st = gan_model_load_mem(&m, buf, cut);
        ck_assert_msg(st == GAN_EFORMAT, "cut at %zu of %zu: status %d", cut, len, st);
        ck_assert_ptr_null(m);
        ck_assert(gan_last_error()[0] != '\0');
    }
    gan_free(buf);
}
END_TEST

START_TEST(test_header_bit_flips_and_payload_flips_rejected)
{
    void *buf;
    size_t len;
    unsigned char *b;
    gan_model *m = NULL;
    small_model_file(&buf, &len);
    b = buf;
    /* Every bit of the file header and of the first section header. */
    for (size_t bit = 0; bit < 64 * 8; bit++) {
        gan_status st;
        b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        st = gan_model_load_mem(&m, b, len);
        b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        ck_assert_msg(st == GAN_EFORMAT || st == GAN_EVERSION, "bit %zu: status %d", bit, st);
        ck_assert_ptr_null(m);
    }
    /* 2,000 seeded random flips anywhere. */
    rs.s = 99;
    for (int i = 0; i < 2000; i++) {
        size_t bit = (size_t)((tu_lcg_sym(&rs) + 1.0f) * 0.5f * (float)(len * 8 - 1));
        gan_status st;
        b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        st = gan_model_load_mem(&m, b, len);
        b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        if (st == GAN_OK) {
            /* Only a flip that changes no data (deflate's padding bits after
               the final block) may load, and then it is the same model. */
            void *again;
            size_t alen;
            OK(gan_model_save_mem(m, &again, &alen));
            ck_assert_msg(alen == len && memcmp(again, b, len) == 0,
                          "flip of bit %zu loaded a different model", bit);
            gan_free(again);
            gan_model_free(m);
            m = NULL;
            continue;
        }
        ck_assert_ptr_null(m);
    }
    OK(gan_model_load_mem(&m, b, len));
    gan_model_free(m);
    gan_free(buf);
}
END_TEST

START_TEST(test_newer_versions_and_trailing_bytes)
{
    void *buf;
    size_t len;
    unsigned char *b, *longer;
    gan_model *m = NULL;
    small_model_file(&buf, &len);
    b = buf;
    b[4] = 2; /* format version 2 */
    tu_fix_header_crc(b);
    ck_assert_int_eq(gan_model_load_mem(&m, b, len), GAN_EVERSION);
    ck_assert(strstr(gan_last_error(), "newer libgan") != NULL);
    b[4] = 1;
    b[8] = 4; /* an unknown required flag (bit 0 means spectral normalisation, bit 1
                 the equalised learning rate) */
    tu_fix_header_crc(b);
    ck_assert_int_eq(gan_model_load_mem(&m, b, len), GAN_EVERSION);
    b[8] = 0;
    tu_fix_header_crc(b);
    longer = malloc(len + 1);
    memcpy(longer, b, len);
    longer[len] = 0;
    ck_assert_int_eq(gan_model_load_mem(&m, longer, len + 1), GAN_EFORMAT);
    ck_assert(strstr(gan_last_error(), "unexpected bytes") != NULL);
    free(longer);
    ck_assert_int_eq(gan_model_load_mem(&m, "GANC", 4), GAN_EFORMAT);
    ck_assert_int_eq(gan_model_load_mem(&m, "PK\3\4 not a libgan file at all....", 34), GAN_EFORMAT);
    ck_assert(strstr(gan_last_error(), "not a libgan") != NULL);
    gan_free(buf);
}
END_TEST

/*
 * Rewrite the parameters section of a model file with a NaN: an
 * independent encoder of the documented format (sections are a 32-byte
 * header and a zlib stream).
 */
static size_t put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
    return 4;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

START_TEST(test_non_finite_weights_rejected)
{
    void *buf;
    size_t len, off = 32, out_len = 32;
    unsigned char *b, *out;
    gan_model *m = NULL;
    small_model_file(&buf, &len);
    b = buf;
    out = malloc(len + 4096);
    memcpy(out, b, 32);
    while (off < len) {
        uint32_t type = get32(b + off);
        uLongf raw_len = get32(b + off + 8), stored = get32(b + off + 16);
        unsigned char *raw = malloc(raw_len + 1), hdr[32];
        uLongf z_len = compressBound(raw_len);
        ck_assert_int_eq(uncompress(raw, &raw_len, b + off + 32, stored), Z_OK);
        if (type == 2) { /* parameters: poison the first float */
            float nan = NAN;
            memcpy(raw, &nan, 4);
        }
        memcpy(hdr, b + off, 32);
        ck_assert_int_eq(compress2(out + out_len + 32, &z_len, raw, raw_len, 6), Z_OK);
        put32(hdr + 16, (uint32_t)z_len);
        put32(hdr + 20, 0);
        put32(hdr + 24, (uint32_t)crc32(0L, raw, (uInt)raw_len));
        put32(hdr + 28, (uint32_t)crc32(0L, hdr, 28));
        memcpy(out + out_len, hdr, 32);
        out_len += 32 + z_len;
        off += 32 + stored;
        free(raw);
    }
    ck_assert_int_eq(gan_model_load_mem(&m, out, out_len), GAN_ENUMERIC);
    ck_assert_ptr_null(m);
    ck_assert(strstr(gan_last_error(), "NaN") != NULL);
    free(out);
    gan_free(buf);
}
END_TEST

/*
 * tests/data/model_v1.gan was written by the first release of the format
 * (by tests/ckpt/ckpt_tool write-fixture): the every-kind model of this file
 * with weights from init seed 77 and batchnorm statistics from one training
 * forward.  Later versions must keep loading it, with the same values.
 */
START_TEST(test_first_release_file_still_loads)
{
    char path[1024];
    const char *dir = getenv("GAN_TEST_DATA");
    gan_model *m = NULL, *fresh = every_kind_model();
    float x[4 * 8 * 8 * 2];
    snprintf(path, sizeof path, "%s/model_v1.gan", dir ? dir : "tests/data");
    rs.s = 1;
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = tu_lcg_sym(&rs) * 3.0f + 1.0f;
    OK(gan_model_forward(fresh, x, sizeof x / sizeof x[0], 4, GAN_MODE_TRAIN, NULL, 0));
    /* GAN_WRITE_FIXTURE=1 (re)creates the file; done once, for release 1.0. */
    if (getenv("GAN_WRITE_FIXTURE"))
        OK(gan_model_save(fresh, path));
    OK(gan_model_load(&m, path));
    /* The parameters come from the seed (no arithmetic that depends on the
       GEMM engine); the running statistics in the file from a forward pass
       of the 1.0 build: close, not bit for bit (they differed in the last
       bit or two where this machine's GEMMs run on oneDNN's AVX2 kernels). */
    assert_same_model(fresh, m, 1e-5f);
    gan_model_free(m);
    gan_model_free(fresh);
}
END_TEST

START_TEST(test_misuse)
{
    gan_model *m = NULL;
    void *buf = NULL;
    size_t len = 0;
    gan_file_kind kind;
    ck_assert_int_eq(gan_model_save(NULL, "/tmp/x.gan"), GAN_EINVAL);
    ck_assert_int_eq(gan_model_save_mem(NULL, &buf, &len), GAN_EINVAL);
    ck_assert_int_eq(gan_model_load_mem(NULL, "x", 1), GAN_EINVAL);
    ck_assert_int_eq(gan_model_load_mem(&m, NULL, 5), GAN_EINVAL);
    ck_assert_int_eq(gan_trainer_save_mem(NULL, NULL, &buf, &len), GAN_EINVAL);
    ck_assert_int_eq(gan_file_probe("/nonexistent-xyz.gan", &kind), GAN_EIO);
    OK(gan_model_create_preset(&m, GAN_PRESET_WGAN_CRITIC));
    ck_assert_int_eq(gan_model_save(m, ""), GAN_EINVAL);
    ck_assert_int_eq(gan_model_save(m, "/tmp/"), GAN_EINVAL);
    gan_model_free(m);
    gan_free(NULL);
}
END_TEST

static Suite *checkpoint_suite(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("files");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_model_round_trip_every_kind);
    tcase_add_test(tc, test_model_file_on_disk);
    tcase_add_test(tc, test_round_trip_minibatch_stddev);
    tcase_add_test(tc, test_exact_resume_every_optimizer);
    tcase_add_test(tc, test_restore_into_existing_trainer);
    tcase_add_test(tc, test_generator_ema);
    tcase_add_test(tc, test_dataset_position_restored);
    tcase_add_test(tc, test_every_truncation_rejected);
    tcase_add_test(tc, test_header_bit_flips_and_payload_flips_rejected);
    tcase_add_test(tc, test_newer_versions_and_trailing_bytes);
    tcase_add_test(tc, test_non_finite_weights_rejected);
    tcase_add_test(tc, test_first_release_file_still_loads);
    tcase_add_test(tc, test_misuse);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(checkpoint_suite());
}
