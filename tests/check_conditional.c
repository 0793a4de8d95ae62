/*
 * check_conditional.c -- conditional GANs (issue 10): the class embedding
 * and class projection layers, labelled forwards, the labelled trainer,
 * sampler and checkpoints.
 *
 * Layers: values against naive computations written out here, and
 * finite-difference checks of inputs and parameters (tu_gradcheck with
 * labels).  Errors: label ranges, class-count agreement, the refusal of the
 * unlabelled calls on conditional models and of the labelled ones on plain
 * models.  Training: reproducibility, resume equality through checkpoints,
 * the epoch loop on a labelled dataset, n_critic > 1 with a gradient
 * penalty, feature matching, and a small problem whose solution needs the
 * class: class k -> a Gaussian around mode k.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "test_util.h"

/* ---- class embedding ------------------------------------------------------------ */

START_TEST(test_embedding_values)
{
    enum { N = 5, L = 3, K = 4, E = 2 };
    gan_model *m = tu_model(1, L, 0, 0);
    float x[N * L], y[N * (L + E)], table[K * E], y1[N * (L + K)];
    int32_t lab[N] = {3, 0, 2, 2, 1};
    int classes = -1;
    OK(gan_model_num_classes(m, &classes));
    ck_assert_int_eq(classes, 0);
    OK(gan_model_add_class_embedding(m, K, E));
    OK(gan_model_num_classes(m, &classes));
    ck_assert_int_eq(classes, K);
    ck_assert_uint_eq(tu_out_elems(m), L + E);
    ck_assert_uint_eq(tu_layer_params(m, 0), K * E);
    tu_fill(x, N * L, 1, -1.0f, 1.0f);
    OK(gan_model_get_params(m, 0, table, K * E));
    {   /* N(0, 1) initialisation: not all equal, not all zero */
        double s = 0.0;
        for (int i = 0; i < K * E; i++)
            s += fabs(table[i]);
        ck_assert(s > 0.1 && table[0] != table[1]);
    }
    OK(gan_model_forward_labeled(m, x, N * L, lab, N, GAN_MODE_INFER, y, N * (L + E)));
    for (int n = 0; n < N; n++) {
        for (int i = 0; i < L; i++)
            ck_assert_float_eq(y[n * (L + E) + i], x[n * L + i]);
        for (int e = 0; e < E; e++)
            ck_assert_float_eq(y[n * (L + E) + L + e], table[lab[n] * E + e]);
    }
    gan_model_free(m);

    /* One-hot: no parameters, E = K. */
    m = tu_model(1, L, 0, 0);
    OK(gan_model_add_class_embedding(m, K, 0));
    ck_assert_uint_eq(tu_layer_params(m, 0), 0);
    OK(gan_model_forward_labeled(m, x, N * L, lab, N, GAN_MODE_TRAIN, y1, N * (L + K)));
    for (int n = 0; n < N; n++) {
        for (int i = 0; i < L; i++)
            ck_assert_float_eq(y1[n * (L + K) + i], x[n * L + i]);
        for (int k = 0; k < K; k++)
            ck_assert_float_eq(y1[n * (L + K) + L + k], k == lab[n] ? 1.0f : 0.0f);
    }
    gan_model_free(m);
}
END_TEST

START_TEST(test_embedding_image_values)
{
    enum { N = 3, H = 2, W = 3, C = 2, K = 3, E = 2 };
    gan_model *m = tu_model(3, H, W, C);
    float x[N * H * W * C], y[N * H * W * (C + E)], table[K * E];
    int32_t lab[N] = {2, 0, 1};
    size_t ndim;
    int dims[3];
    OK(gan_model_add_class_embedding(m, K, E));
    OK(gan_model_shape(m, 0, &ndim, dims));
    ck_assert(ndim == 3 && dims[0] == H && dims[1] == W && dims[2] == C + E);
    tu_fill(x, sizeof x / sizeof x[0], 2, -1.0f, 1.0f);
    OK(gan_model_get_params(m, 0, table, K * E));
    OK(gan_model_forward_labeled(m, x, sizeof x / sizeof x[0], lab, N, GAN_MODE_INFER, y,
                                 sizeof y / sizeof y[0]));
    for (int n = 0; n < N; n++)
        for (int p = 0; p < H * W; p++) {
            const float *yo = y + (n * H * W + p) * (C + E), *xi = x + (n * H * W + p) * C;
            for (int c = 0; c < C; c++)
                ck_assert_float_eq(yo[c], xi[c]);
            for (int e = 0; e < E; e++)
                ck_assert_float_eq(yo[C + e], table[lab[n] * E + e]);
        }
    gan_model_free(m);
}
END_TEST

/* ---- class projection ----------------------------------------------------------- */

START_TEST(test_projection_values)
{
    enum { N = 6, F = 5, K = 3, P = F + 1 + K * F };
    gan_model *m = tu_model(1, F, 0, 0);
    float x[N * F], y[N], w[P];
    int32_t lab[N] = {0, 2, 1, 1, 0, 2};
    OK(gan_model_add_class_projection(m, K));
    ck_assert_uint_eq(tu_layer_params(m, 0), P);
    ck_assert_uint_eq(tu_out_elems(m), 1);
    OK(gan_model_get_params(m, 0, w, P));
    ck_assert_float_eq(w[F], 0.0f); /* bias starts at 0 */
    tu_fill(w, P, 5, -1.0f, 1.0f);
    OK(gan_model_set_params(m, 0, w, P));
    tu_fill(x, N * F, 6, -1.0f, 1.0f);
    OK(gan_model_forward_labeled(m, x, N * F, lab, N, GAN_MODE_INFER, y, N));
    for (int n = 0; n < N; n++) {
        /* psi(h) + <V[y], h>, term by term */
        double psi = w[F], proj = 0.0;
        for (int f = 0; f < F; f++) {
            psi += (double)w[f] * x[n * F + f];
            proj += (double)w[F + 1 + lab[n] * F + f] * x[n * F + f];
        }
        ck_assert_double_eq_tol(y[n], psi + proj, 1e-5);
    }
    gan_model_free(m);
}
END_TEST

/* ---- gradients -------------------------------------------------------------------------- */

/* dense -> embedding -> dense: dx through the concatenation, and the table
   gradient (every row a label of the batch touches, and rows it does not). */
static gan_model *embedding_table(int arg)
{
    gan_model *m = tu_model(1, 4, 0, 0);
    (void)arg;
    tu_add_dense(m, 3, 1);
    OK(gan_model_add_class_embedding(m, 5, 3));
    OK(gan_model_add_tanh(m));
    tu_add_dense(m, 2, 1);
    tu_randomize_params(m, 7, 0.8f);
    return m;
}

/* One-hot embedding as the first layer (the generator's position): dx of
   the noise part. */
static gan_model *embedding_onehot_first(int arg)
{
    gan_model *m = tu_model(1, 3, 0, 0);
    (void)arg;
    OK(gan_model_add_class_embedding(m, 4, 0));
    tu_add_dense(m, 5, 1);
    OK(gan_model_add_tanh(m));
    tu_add_dense(m, 1, 1);
    tu_randomize_params(m, 8, 0.8f);
    return m;
}

/* Class maps on an image: conv -> embedding -> conv. */
static gan_model *embedding_image(int arg)
{
    gan_model *m = tu_model(3, 4, 4, 2);
    (void)arg;
    tu_add_conv(m, 0, 2, 3, 1);
    OK(gan_model_add_class_embedding(m, 3, 2));
    tu_add_conv(m, 0, 2, 3, 2);
    OK(gan_model_add_flatten(m));
    tu_add_dense(m, 1, 1);
    tu_randomize_params(m, 9, 0.5f);
    return m;
}

static gan_model *projection(int arg)
{
    gan_model *m = tu_model(1, 4, 0, 0);
    (void)arg;
    tu_add_dense(m, 6, 1);
    OK(gan_model_add_leaky_relu(m, 0.2f));
    OK(gan_model_add_class_projection(m, 3));
    tu_randomize_params(m, 10, 0.8f);
    return m;
}

/* Embedding at the input and projection at the output of one model (the
   same classes): both read the same labels. */
static gan_model *embedding_and_projection(int arg)
{
    gan_model *m = tu_model(1, 3, 0, 0);
    (void)arg;
    OK(gan_model_add_class_embedding(m, 3, 2));
    tu_add_dense(m, 4, 1);
    OK(gan_model_add_tanh(m));
    OK(gan_model_add_class_projection(m, 3));
    tu_randomize_params(m, 11, 0.8f);
    return m;
}

static const tu_grad_case grad_cases[] = {
    {"class embedding table", embedding_table, 0, TU_GRAD_LABELLED(6, 5, 3, 11)},
    {"one-hot class embedding first", embedding_onehot_first, 0, TU_GRAD_LABELLED(5, 4, 4, 12)},
    {"class embedding on an image", embedding_image, 0, TU_GRAD_LABELLED(3, 3, 5, 13)},
    {"class projection", projection, 0, TU_GRAD_LABELLED(7, 3, 6, 14)},
    {"class embedding and projection", embedding_and_projection, 0, TU_GRAD_LABELLED(4, 3, 7, 15)},
};
#define N_GRAD_CASES (sizeof grad_cases / sizeof grad_cases[0])

START_TEST(test_grad_case)
{
    tu_run_grad_case(&grad_cases[_i]);
}
END_TEST

/* The labels are copied at forward: backward uses those of the forward even
   if the caller changes its array, and a later forward with other labels
   gives other gradients. */
START_TEST(test_backward_uses_forward_labels)
{
    enum { N = 4, F = 3, K = 2, P = F + 1 + K * F };
    gan_model *m = tu_model(1, F, 0, 0);
    float x[N * F], dy[N] = {1, -1, 0.5f, 2}, g1[P], g2[P], dx1[N * F], dx2[N * F];
    int32_t lab[N] = {0, 1, 1, 0};
    OK(gan_model_add_class_projection(m, K));
    tu_randomize_params(m, 3, 1.0f);
    tu_fill(x, N * F, 4, -1.0f, 1.0f);
    OK(gan_model_zero_grad(m));
    OK(gan_model_forward_labeled(m, x, N * F, lab, N, GAN_MODE_TRAIN, NULL, 0));
    lab[0] = 1; /* after the forward: must not matter */
    OK(gan_model_backward(m, dy, N, dx1, N * F));
    OK(gan_model_get_grads(m, 0, g1, P));
    /* The reference: a fresh forward with the original labels. */
    lab[0] = 0;
    OK(gan_model_zero_grad(m));
    OK(gan_model_forward_labeled(m, x, N * F, lab, N, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_backward(m, dy, N, dx2, N * F));
    OK(gan_model_get_grads(m, 0, g2, P));
    ck_assert_int_eq(memcmp(g1, g2, sizeof g1), 0);
    ck_assert_int_eq(memcmp(dx1, dx2, sizeof dx1), 0);
    /* Another labelling changes V's gradient. */
    lab[0] = 1;
    OK(gan_model_zero_grad(m));
    OK(gan_model_forward_labeled(m, x, N * F, lab, N, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_backward(m, dy, N, dx2, N * F));
    OK(gan_model_get_grads(m, 0, g2, P));
    ck_assert_int_ne(memcmp(g1, g2, sizeof g1), 0);
    gan_model_free(m);
}
END_TEST

/* ---- errors ------------------------------------------------------------------------- */

START_TEST(test_label_errors)
{
    enum { N = 3, F = 2 };
    gan_model *m = tu_model(1, F, 0, 0), *plain = tu_model(1, F, 0, 0);
    float x[N * F] = {0}, y[N];
    int32_t bad_hi[N] = {0, 1, 3}, bad_lo[N] = {0, -1, 0}, good[N] = {0, 1, 2};
    OK(gan_model_add_class_projection(m, 3));
    tu_add_dense(plain, 1, 1);
    TU_ASSERT_ERROR(gan_model_forward_labeled(m, x, N * F, bad_hi, N, GAN_MODE_INFER, y, N),
                    GAN_EINVAL, "label 2 is 3", "0..2");
    TU_ASSERT_ERROR(gan_model_forward_labeled(m, x, N * F, bad_lo, N, GAN_MODE_INFER, y, N),
                    GAN_EINVAL, "label 1 is -1");
    /* Nothing was run: no output to borrow. */
    {
        const float *out;
        size_t cnt;
        TU_ASSERT_ERROR(gan_model_output(m, &out, &cnt), GAN_ESTATE, "forward");
    }
    TU_ASSERT_ERROR(gan_model_forward_labeled(m, x, N * F, NULL, N, GAN_MODE_INFER, y, N),
                    GAN_EINVAL, "labels");
    TU_ASSERT_ERROR(gan_model_forward(m, x, N * F, N, GAN_MODE_INFER, y, N), GAN_EINVAL,
                    "conditional", "gan_model_forward_labeled");
    TU_ASSERT_ERROR(gan_model_forward_labeled(plain, x, N * F, good, N, GAN_MODE_INFER, y, N),
                    GAN_EINVAL, "no class layer");
    TU_ASSERT_ERROR(gan_model_forward_labeled(m, x, N * F - 1, good, N, GAN_MODE_INFER, y, N),
                    GAN_ESHAPE, "x has");
    OK(gan_model_forward_labeled(m, x, N * F, good, N, GAN_MODE_INFER, y, N));
    gan_model_free(m);
    gan_model_free(plain);
}
END_TEST

START_TEST(test_add_errors)
{
    gan_model *m = tu_model(1, 4, 0, 0), *img = tu_model(3, 2, 2, 1);
    size_t layers;
    TU_ASSERT_ERROR(gan_model_add_class_embedding(m, 0, 3), GAN_EINVAL, "n_classes 0");
    TU_ASSERT_ERROR(gan_model_add_class_embedding(m, 70000, 3), GAN_EINVAL, "n_classes 70000");
    TU_ASSERT_ERROR(gan_model_add_class_embedding(m, 3, -1), GAN_EINVAL, "dim -1");
    TU_ASSERT_ERROR(gan_model_add_class_projection(m, -2), GAN_EINVAL, "n_classes -2");
    OK(gan_model_add_class_embedding(m, 3, 2));
    /* Every class layer of a model must agree. */
    TU_ASSERT_ERROR(gan_model_add_class_projection(m, 4), GAN_EINVAL, "n_classes 4", "3 classes");
    TU_ASSERT_ERROR(gan_model_add_class_embedding(m, 2, 0), GAN_EINVAL, "n_classes 2");
    OK(gan_model_layer_count(m, &layers));
    ck_assert_uint_eq(layers, 1);
    OK(gan_model_add_class_projection(m, 3));
    /* Projection needs a vector. */
    TU_ASSERT_ERROR(gan_model_add_class_projection(img, 2), GAN_ESHAPE, "class_projection",
                    "flatten");
    TU_ASSERT_ERROR(gan_model_add_class_embedding(NULL, 2, 2), GAN_EINVAL, "NULL");
    gan_model_free(m);
    gan_model_free(img);
}
END_TEST

/* Classifier and metrics see images only. */
START_TEST(test_classifier_refuses_conditional)
{
    gan_model *m = tu_model(1, 4, 0, 0);
    gan_optimizer *o = NULL;
    gan_optimizer_config oc;
    gan_metrics *mt = NULL;
    float x[8] = {0};
    int32_t lab[2] = {0, 1};
    OK(gan_model_add_class_embedding(m, 2, 0));
    tu_add_dense(m, 2, 1);
    OK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
    OK(gan_optimizer_create(&o, m, &oc));
    TU_ASSERT_ERROR(gan_model_train_classifier_step(m, o, x, 8, lab, 2, NULL, NULL), GAN_EINVAL,
                    "conditional");
    TU_ASSERT_ERROR(gan_metrics_create(&mt, m, -1, 0), GAN_EINVAL, "conditional");
    gan_optimizer_free(o);
    gan_model_free(m);
}
END_TEST

/* ---- trainer ---------------------------------------------------------------------- */

enum { LAT = 3, DIM = 2, NCLS = 3 };

/* A conditional pair on 2-D points: G one-hot embedding + MLP, D MLP +
   projection (cond_g/cond_d choose which side has class layers). */
static gan_status make_cond_pair(tu_pair *p, int cond_g, int cond_d, int classes_d,
                                 gan_loss_kind kind, float gp, int n_critic, uint64_t seed)
{
    tu_pair_config c;
    tu_pair_config_init(&c);
    c.latent = LAT;
    c.dim = DIM;
    c.g_leaky = 0.2f;
    c.g_classes = cond_g ? NCLS : 0;
    c.d_classes = cond_d ? classes_d : 0;
    c.g_seed = seed;
    c.d_seed = seed + 1;
    c.opt.lr = 2e-3f;
    c.opt.beta1 = 0.5f;
    c.loss.kind = kind;
    c.loss.gradient_penalty = gp;
    c.trainer.seed = seed + 2;
    c.trainer.n_critic = n_critic;
    return tu_pair_create(p, &c);
}

/* Real data of the toy problem: class k -> N(mode_k, 0.05^2) in 2-D. */
static void mode_of(int k, float *xy)
{
    tu_class_mode(k, NCLS, xy);
}

static void real_batch(tu_rng *r, size_t n, float *x, int32_t *lab)
{
    tu_class_batch(r, n, NCLS, x, lab);
}

START_TEST(test_trainer_pairing)
{
    tu_pair p;
    TU_ASSERT_ERROR(make_cond_pair(&p, 1, 0, NCLS, GAN_LOSS_BCE, 0, 1, 1), GAN_EINVAL,
                    "only the generator is conditional");
    tu_pair_free(&p);
    TU_ASSERT_ERROR(make_cond_pair(&p, 0, 1, NCLS, GAN_LOSS_BCE, 0, 1, 1), GAN_EINVAL,
                    "only the discriminator is conditional");
    tu_pair_free(&p);
    TU_ASSERT_ERROR(make_cond_pair(&p, 1, 1, NCLS + 1, GAN_LOSS_BCE, 0, 1, 1), GAN_EINVAL,
                    "generator has 3 classes", "discriminator 4");
    tu_pair_free(&p);
    OK(make_cond_pair(&p, 1, 1, NCLS, GAN_LOSS_BCE, 0, 1, 1));
    tu_pair_free(&p);
}
END_TEST

START_TEST(test_trainer_step_errors)
{
    enum { B = 8 };
    tu_pair p, plain;
    float x[B * DIM] = {0}, *w0, *w1;
    size_t np;
    int32_t lab[B] = {0, 1, 2, 0, 1, 2, 0, 1};
    OK(make_cond_pair(&p, 1, 1, NCLS, GAN_LOSS_BCE, 0, 1, 1));
    OK(make_cond_pair(&plain, 0, 0, NCLS, GAN_LOSS_BCE, 0, 1, 1));
    TU_ASSERT_ERROR(gan_trainer_step(p.t, x, B * DIM, B, NULL), GAN_EINVAL, "conditional",
                    "gan_trainer_step_labeled");
    TU_ASSERT_ERROR(gan_trainer_step_labeled(plain.t, x, B * DIM, lab, B, B, NULL), GAN_EINVAL,
                    "no class layers");
    TU_ASSERT_ERROR(gan_trainer_step_labeled(p.t, x, B * DIM, NULL, B, B, NULL), GAN_EINVAL,
                    "labels");
    TU_ASSERT_ERROR(gan_trainer_step_labeled(p.t, x, B * DIM, lab, B - 1, B, NULL), GAN_ESHAPE,
                    "labels has 7");
    /* An out-of-range label is refused before anything changes. */
    np = tu_layer_params(p.g, 1);
    w0 = tu_alloc(np);
    w1 = tu_alloc(np);
    OK(gan_model_get_params(p.g, 1, w0, np));
    lab[5] = NCLS;
    TU_ASSERT_ERROR(gan_trainer_step_labeled(p.t, x, B * DIM, lab, B, B, NULL), GAN_EINVAL,
                    "label 5 is 3");
    OK(gan_model_get_params(p.g, 1, w1, np));
    ck_assert_int_eq(memcmp(w0, w1, np * sizeof *w0), 0);
    free(w0);
    free(w1);
    {
        uint64_t step = 9;
        OK(gan_trainer_progress(p.t, &step, NULL));
        ck_assert_uint_eq(step, 0);
    }
    lab[5] = 2;
    OK(gan_trainer_step_labeled(p.t, x, B * DIM, lab, B, B, NULL));
    OK(gan_trainer_step(plain.t, x, B * DIM, B, NULL));
    tu_pair_free(&p);
    tu_pair_free(&plain);
}
END_TEST

static void run_steps(tu_pair *p, tu_rng *r, int steps, size_t batch, int n_critic)
{
    const size_t n = batch * (size_t)n_critic;
    float *x = tu_alloc(n * DIM);
    int32_t *lab = tu_malloc(n * sizeof *lab);
    gan_step_stats st;
    for (int s = 0; s < steps; s++) {
        real_batch(r, n, x, lab);
        GAN_STEP_STATS_INIT(&st);
        OK(gan_trainer_step_labeled(p->t, x, n * DIM, lab, n, batch, &st));
        ck_assert(isfinite(st.d_loss) && isfinite(st.g_loss));
    }
    free(x);
    free(lab);
}

/* Same seeds, same data -> the same weights; a checkpoint taken midway and
   loaded gives the same file as the uninterrupted run (the fake labels are
   drawn from the checkpointed stream). */
START_TEST(test_trainer_reproducible_and_resume)
{
    tu_pair a, b;
    tu_rng ra, rb, rc;
    void *ba = NULL, *bb = NULL, *mid = NULL, *bc = NULL;
    size_t la, lb, lmid, lc;
    gan_trainer *resumed = NULL;
    gan_model *rg = NULL;
    int classes = 0;
    OK(make_cond_pair(&a, 1, 1, NCLS, GAN_LOSS_BCE, 0, 1, 5));
    OK(make_cond_pair(&b, 1, 1, NCLS, GAN_LOSS_BCE, 0, 1, 5));
    tu_rng_seed(&ra, 77);
    tu_rng_seed(&rb, 77);
    run_steps(&a, &ra, 4, 16, 1);
    run_steps(&b, &rb, 4, 16, 1);
    OK(gan_trainer_save_mem(a.t, NULL, &mid, &lmid));
    rc = ra; /* the data stream at the checkpoint */
    run_steps(&a, &ra, 3, 16, 1);
    run_steps(&b, &rb, 3, 16, 1);
    OK(gan_trainer_save_mem(a.t, NULL, &ba, &la));
    OK(gan_trainer_save_mem(b.t, NULL, &bb, &lb));
    ck_assert_msg(la == lb && memcmp(ba, bb, la) == 0, "two identical runs differ");

    OK(gan_trainer_load_mem(&resumed, NULL, mid, lmid));
    OK(gan_trainer_models(resumed, &rg, NULL, NULL, NULL));
    OK(gan_model_num_classes(rg, &classes));
    ck_assert_int_eq(classes, NCLS);
    {
        tu_pair r;
        memset(&r, 0, sizeof r);
        r.t = resumed;
        run_steps(&r, &rc, 3, 16, 1);
    }
    OK(gan_trainer_save_mem(resumed, NULL, &bc, &lc));
    ck_assert_msg(lc == la && memcmp(bc, ba, la) == 0, "the resumed run differs");
    gan_free(ba);
    gan_free(bb);
    gan_free(bc);
    gan_free(mid);
    gan_trainer_free(resumed);
    tu_pair_free(&a);
    tu_pair_free(&b);
}
END_TEST

/* WGAN-GP with a projection critic (n_critic 3) and feature matching both
   run with labels. */
START_TEST(test_trainer_gp_and_feature_matching)
{
    tu_pair p;
    tu_rng r;
    tu_rng_seed(&r, 5);
    OK(make_cond_pair(&p, 1, 1, NCLS, GAN_LOSS_WASSERSTEIN, 10.0f, 3, 2));
    run_steps(&p, &r, 3, 8, 3);
    tu_pair_free(&p);
    OK(make_cond_pair(&p, 1, 1, NCLS, GAN_LOSS_FEATURE_MATCHING, 0.0f, 1, 3));
    run_steps(&p, &r, 3, 8, 1);
    tu_pair_free(&p);
    OK(make_cond_pair(&p, 1, 1, NCLS, GAN_LOSS_FEATURE_MATCHING, 0.0f, 2, 3));
    run_steps(&p, &r, 3, 8, 2);
    tu_pair_free(&p);
}
END_TEST

START_TEST(test_trainer_fit_labels)
{
    enum { N = 96 };
    tu_pair p;
    gan_dataset *ds = NULL, *nolab = NULL, *many = NULL;
    gan_batch_config bc;
    float x[N * DIM];
    int32_t lab[N];
    int dims[1] = {DIM}, steps = 0;
    tu_rng r;
    tu_rng_seed(&r, 9);
    real_batch(&r, N, x, lab);
    OK(make_cond_pair(&p, 1, 1, NCLS, GAN_LOSS_BCE, 0, 1, 4));
    OK(gan_dataset_create_float(&ds, x, N, 1, dims, lab, 1));
    OK(gan_dataset_create_float(&nolab, x, N, 1, dims, NULL, 1));
    lab[7] = NCLS; /* a fourth class */
    OK(gan_dataset_create_float(&many, x, N, 1, dims, lab, 1));
    OK(GAN_BATCH_CONFIG_INIT(&bc));
    bc.batch_size = 32;
    OK(gan_dataset_set_batching(ds, &bc));
    TU_ASSERT_ERROR(gan_trainer_fit(p.t, nolab, 1, NULL, NULL, NULL), GAN_EINVAL, "no labels");
    TU_ASSERT_ERROR(gan_trainer_fit(p.t, many, 1, NULL, NULL, NULL), GAN_EINVAL, "up to 3",
                    "3 classes");
    OK(gan_trainer_fit(p.t, ds, 2, tu_count_steps, NULL, &steps));
    ck_assert_int_eq(steps, 6);
    gan_dataset_free(ds);
    gan_dataset_free(nolab);
    gan_dataset_free(many);
    tu_pair_free(&p);
}
END_TEST

/*
 * The class must be learned: class k is a tight Gaussian at mode k (three
 * modes on a circle of radius 2).  After a short run, the generator's
 * samples of each requested class land near that class's mode.  An
 * unconditional generator cannot pass: each class would get a mixture.
 */
START_TEST(test_learns_class_conditional_modes)
{
    enum { B = 64, STEPS = 1500, PER = 300 };
    tu_pair p;
    tu_rng r;
    gan_sampler *s = NULL;
    float out[PER * DIM];
    int32_t lab[PER];
    OK(gan_set_threads(1));
    tu_rng_seed(&r, 21);
    OK(make_cond_pair(&p, 1, 1, NCLS, GAN_LOSS_BCE, 0, 1, 6));
    run_steps(&p, &r, STEPS, B, 1);
    OK(gan_sampler_create(&s, p.g, 123, 0));
    for (int k = 0; k < NCLS; k++) {
        float m[2];
        int near = 0;
        mode_of(k, m);
        for (int i = 0; i < PER; i++)
            lab[i] = k;
        OK(gan_sampler_generate_labeled(s, NULL, 0, lab, PER, out, PER * DIM));
        for (int i = 0; i < PER; i++) {
            const double dx = out[i * DIM] - m[0], dy = out[i * DIM + 1] - m[1];
            near += dx * dx + dy * dy < 0.5 * 0.5; /* modes are 3.46 apart */
        }
        ck_assert_msg(near >= PER * 9 / 10, "class %d: only %d of %d samples near its mode", k,
                      near, PER);
    }
    gan_sampler_free(s);
    tu_pair_free(&p);
}
END_TEST

/* ---- sampler and checkpoints ------------------------------------------------------------ */

START_TEST(test_sampler_labeled_matches_forward)
{
    enum { N = 10 };
    gan_model *g = NULL, *plain = NULL;
    gan_sampler *s = NULL, *sp = NULL;
    size_t latent, image;
    float *z, *a, *b;
    uint8_t *u8;
    int32_t lab[N], bad[N];
    OK(gan_model_create_preset(&g, GAN_PRESET_CGAN_GENERATOR));
    OK(gan_model_create_preset(&plain, GAN_PRESET_MNIST_GENERATOR));
    OK(gan_sampler_create(&s, g, 3, 4)); /* 3 passes of at most 4 */
    OK(gan_sampler_create(&sp, plain, 3, 4));
    OK(gan_sampler_dims(s, &latent, &image));
    ck_assert_uint_eq(latent, 100);
    z = tu_alloc(N * latent);
    a = tu_alloc(N * image);
    b = tu_alloc(N * image);
    u8 = malloc(N * image);
    for (int i = 0; i < N; i++)
        lab[i] = bad[i] = (i * 7) % 10;
    bad[6] = 10;
    OK(gan_sampler_latent(s, N, z, N * latent));
    OK(gan_sampler_generate_labeled(s, z, N * latent, lab, N, a, N * image));
    /* gan__infer per pass of 4 vs the model's own forward per pass of 4:
       the same kernels on the same batch sizes. */
    for (int i0 = 0; i0 < N; i0 += 4) {
        const int nb = N - i0 < 4 ? N - i0 : 4;
        OK(gan_model_forward_labeled(g, z + i0 * latent, nb * latent, lab + i0, nb, GAN_MODE_INFER,
                                     b + i0 * image, nb * image));
    }
    ck_assert_msg(memcmp(a, b, N * image * sizeof *a) == 0, "sampler and model forward differ");
    OK(gan_sampler_generate_labeled_u8(s, z, N * latent, lab, N, u8, N * image));
    for (size_t i = 0; i < N * image; i++) {
        float v = (a[i] + 1.0f) * 127.5f;
        int want = v <= 0 ? 0 : v >= 255 ? 255 : (int)lroundf(v);
        ck_assert_int_eq(u8[i], want);
    }
    /* Class matters: another labelling gives other images. */
    lab[0] = (lab[0] + 1) % 10;
    OK(gan_sampler_generate_labeled(s, z, N * latent, lab, N, b, N * image));
    ck_assert(memcmp(a, b, image * sizeof *a) != 0);
    ck_assert(memcmp(a + image, b + image, (N - 1) * image * sizeof *a) == 0);
    TU_ASSERT_ERROR(gan_sampler_generate(s, z, N * latent, N, a, N * image), GAN_EINVAL,
                    "conditional", "gan_sampler_generate_labeled");
    TU_ASSERT_ERROR(gan_sampler_generate_u8(s, NULL, 0, N, u8, N * image), GAN_EINVAL,
                    "conditional");
    TU_ASSERT_ERROR(gan_sampler_generate_labeled(s, z, N * latent, bad, N, a, N * image),
                    GAN_EINVAL, "label 6 is 10");
    TU_ASSERT_ERROR(gan_sampler_generate_labeled_u8(s, z, N * latent, NULL, N, u8, N * image),
                    GAN_EINVAL, "labels");
    TU_ASSERT_ERROR(gan_sampler_generate_labeled(sp, z, N * latent, lab, N, a, N * image),
                    GAN_EINVAL, "no class layer");
    free(z);
    free(a);
    free(b);
    free(u8);
    gan_sampler_free(s);
    gan_sampler_free(sp);
    gan_model_free(g);
    gan_model_free(plain);
}
END_TEST

START_TEST(test_checkpoint_round_trip)
{
    enum { N = 3 };
    gan_model *g = NULL, *d = NULL, *g2 = NULL, *d2 = NULL;
    void *buf = NULL, *buf2 = NULL;
    size_t len, len2, n;
    float z[N * 100], x[N * 784], y1[N * 784], y2[N * 784], s1[N], s2[N];
    int32_t lab[N] = {9, 0, 4};
    int classes = 0;
    gan_layer_kind kind;
    OK(gan_model_create_preset(&g, GAN_PRESET_CGAN_GENERATOR));
    OK(gan_model_create_preset(&d, GAN_PRESET_CGAN_DISCRIMINATOR));
    tu_randomize_params(g, 4, 0.1f);
    tu_randomize_params(d, 5, 0.1f);
    OK(gan_model_save_mem(g, &buf, &len));
    OK(gan_model_load_mem(&g2, buf, len));
    OK(gan_model_save_mem(g2, &buf2, &len2));
    ck_assert(len == len2 && memcmp(buf, buf2, len) == 0);
    gan_free(buf);
    gan_free(buf2);
    OK(gan_model_layer_kind(g2, 0, &kind));
    ck_assert_int_eq(kind, GAN_LAYER_CLASS_EMBEDDING);
    OK(gan_model_num_classes(g2, &classes));
    ck_assert_int_eq(classes, 10);
    tu_fill(z, N * 100, 6, -1, 1);
    OK(gan_model_forward_labeled(g, z, N * 100, lab, N, GAN_MODE_INFER, y1, N * 784));
    OK(gan_model_forward_labeled(g2, z, N * 100, lab, N, GAN_MODE_INFER, y2, N * 784));
    ck_assert_int_eq(memcmp(y1, y2, sizeof y1), 0);

    OK(gan_model_save_mem(d, &buf, &len));
    OK(gan_model_load_mem(&d2, buf, len));
    gan_free(buf);
    OK(gan_model_layer_count(d2, &n));
    OK(gan_model_layer_kind(d2, n - 1, &kind));
    ck_assert_int_eq(kind, GAN_LAYER_CLASS_PROJECTION);
    tu_fill(x, N * 784, 7, -1, 1);
    OK(gan_model_forward_labeled(d, x, N * 784, lab, N, GAN_MODE_INFER, s1, N));
    OK(gan_model_forward_labeled(d2, x, N * 784, lab, N, GAN_MODE_INFER, s2, N));
    ck_assert_int_eq(memcmp(s1, s2, sizeof s1), 0);
    {   /* the summary says it is conditional */
        char sum[4096];
        OK(gan_model_summary(d2, sum, sizeof sum, NULL));
        ck_assert_ptr_nonnull(strstr(sum, "class_projection"));
        ck_assert_ptr_nonnull(strstr(sum, "Conditional: class labels in 0..9"));
    }
    gan_model_free(g);
    gan_model_free(d);
    gan_model_free(g2);
    gan_model_free(d2);
}
END_TEST

/* gan_metrics_run_generator on a conditional generator: balanced classes,
   i mod K, the same numbers as the sampler with those labels. */
START_TEST(test_metrics_conditional_generator)
{
    enum { N = 20 };
    gan_model *g = NULL, *clf = NULL;
    gan_metrics *mt = NULL;
    gan_sampler *s = NULL;
    float p1[N * 10], p2[N * 10], *img;
    int32_t lab[N];
    gan_dense_config dc;
    OK(gan_model_create_preset(&g, GAN_PRESET_CGAN_GENERATOR));
    clf = tu_model(3, 28, 28, 1);
    OK(gan_model_add_flatten(clf));
    OK(GAN_DENSE_CONFIG_INIT(&dc));
    dc.units = 8;
    OK(gan_model_add_dense(clf, &dc));
    OK(gan_model_add_relu(clf));
    dc.units = 10;
    OK(gan_model_add_dense(clf, &dc));
    OK(gan_metrics_create(&mt, clf, -1, N));
    OK(gan_metrics_run_generator(mt, g, 42, N, NULL, p1, N * 10));
    for (int i = 0; i < N; i++)
        lab[i] = i % 10;
    img = tu_alloc(N * 784);
    OK(gan_sampler_create(&s, g, 42, N));
    OK(gan_sampler_generate_labeled(s, NULL, 0, lab, N, img, N * 784));
    OK(gan_metrics_run(mt, img, N * 784, N, NULL, p2, N * 10));
    ck_assert_double_lt(tu_max_rel_err(p1, p2, N * 10, 1e-3), 1e-4);
    free(img);
    gan_sampler_free(s);
    gan_metrics_free(mt);
    gan_model_free(clf);
    gan_model_free(g);
}
END_TEST

START_TEST(test_presets)
{
    gan_preset p;
    gan_model *d = NULL;
    int classes = 0;
    OK(gan_preset_from_name("cgan-generator", &p));
    ck_assert_int_eq(p, GAN_PRESET_CGAN_GENERATOR);
    ck_assert_int_eq(gan_preset_latent_dim(GAN_PRESET_CGAN_GENERATOR), 100);
    ck_assert_str_eq(gan_preset_name(GAN_PRESET_CGAN_DISCRIMINATOR), "cgan-discriminator");
    OK(gan_model_create_preset(&d, GAN_PRESET_CGAN_DISCRIMINATOR));
    OK(gan_model_num_classes(d, &classes));
    ck_assert_int_eq(classes, 10);
    gan_model_free(d);
}
END_TEST

static Suite *conditional_suite(void)
{
    Suite *s = suite_create("conditional");
    TCase *t = tcase_create("layers");
    tcase_add_test(t, test_embedding_values);
    tcase_add_test(t, test_embedding_image_values);
    tcase_add_loop_test(t, test_grad_case, 0, (int)N_GRAD_CASES);
    tcase_add_test(t, test_projection_values);
    tcase_add_test(t, test_backward_uses_forward_labels);
    tcase_add_test(t, test_label_errors);
    tcase_add_test(t, test_add_errors);
    tcase_add_test(t, test_classifier_refuses_conditional);
    suite_add_tcase(s, t);
    t = tcase_create("training");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_trainer_pairing);
    tcase_add_test(t, test_trainer_step_errors);
    tcase_add_test(t, test_trainer_reproducible_and_resume);
    tcase_add_test(t, test_trainer_gp_and_feature_matching);
    tcase_add_test(t, test_trainer_fit_labels);
    tcase_add_test(t, test_learns_class_conditional_modes);
    suite_add_tcase(s, t);
    t = tcase_create("sampling and files");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_sampler_labeled_matches_forward);
    tcase_add_test(t, test_checkpoint_round_trip);
    tcase_add_test(t, test_metrics_conditional_generator);
    tcase_add_test(t, test_presets);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(conditional_suite());
}
