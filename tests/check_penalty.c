/*
 * check_penalty.c -- WGAN-GP and R1 gradient penalties (issue: stabilisation).
 *
 * The penalty's value is recomputed independently from the public API
 * (input gradients by gan_model_backward with dy = 1), and its parameter
 * gradient, obtained by double backpropagation, is checked against central
 * differences of that value for every weight of critics built from dense,
 * conv2d, conv2d_transpose, leaky ReLU, ReLU and flatten layers, and of
 * conditional critics (class embedding at the input, class projection at
 * the output) scored with fixed labels, and of critics with spectral
 * normalisation, and of a critic with up-sampling layers.  There every
 * evaluation of the normalised critics starts from the same u
 * (restored before each forward), taken at the power iteration's fixed
 * point, where treating u and v as constants is the exact derivative.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"
#include "test_util.h"

/* The labels of a conditional critic under test (NULL: plain critics). */
static const int32_t *cur_labels;
/* The state every evaluation starts from (spectral normalisation's u), or
   NULL. */
static float *state0;

/* Penalty value through the public API only. */
static double penalty_public(gan_model *d, const float *x, size_t n, size_t in_e, int r1, float w)
{
    float *dy = malloc(n * sizeof(float)), *dx = malloc(n * in_e * sizeof(float));
    double total = 0.0;
    if (state0)
        memcpy(d->state, state0, d->n_state * sizeof(float));
    for (size_t i = 0; i < n; i++)
        dy[i] = 1.0f;
    if (cur_labels)
        OK(gan_model_forward_labeled(d, x, n * in_e, cur_labels, n, GAN_MODE_TRAIN, NULL, 0));
    else
        OK(gan_model_forward(d, x, n * in_e, n, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_backward(d, dy, n, dx, n * in_e));
    for (size_t s = 0; s < n; s++) {
        double sq = 0.0;
        for (size_t j = 0; j < in_e; j++)
            sq += (double)dx[s * in_e + j] * dx[s * in_e + j];
        total += r1 ? 0.5 * w * sq : w * (sqrt(sq) - 1.0) * (sqrt(sq) - 1.0);
    }
    free(dy);
    free(dx);
    return total / (double)n;
}

/*
 * One check of the penalty's parameter gradient: a row of the table below.
 * Every parameter is checked: a point passes when |numeric - analytic| <=
 * atol + rtol |numeric|; a failing point is re-evaluated with one-sided
 * differences of step eps / 8, and skipped as a kink when those disagree
 * (|fwd - bwd| > 1e-2 + 0.1 |fwd + bwd|), at most max_skip_frac of them.
 */
typedef struct critic_case {
    const char *name;
    gan_model *(*build)(int arg);
    int arg;
    size_t batch;
    int r1;                 /* R1 (gamma 2); else WGAN-GP (lambda 10) */
    int labelled;           /* scored with the labels {2, 0, 1} */
    int spectral_norm;      /* every dense and convolution layer normalised */
    float eps;
    double atol, rtol, max_skip_frac;
} critic_case;

/* Analytic gradient vs central differences over every parameter. */
static void check_critic(const critic_case *cc)
{
    static const int32_t labels[3] = {2, 0, 1};
    gan_model *d = cc->build(cc->arg);
    const size_t n = cc->batch, in_e = gan__shape_elems(&d->in);
    const int r1 = cc->r1;
    const float w = r1 ? 2.0f : 10.0f, eps = cc->eps;
    float *x = tu_alloc(n * in_e);
    float *analytic;
    gan__penalty_buf *pb = NULL;
    double v, v_pub, worst = 0.0;
    size_t bad = 0, checked = 0, skipped = 0;
    tu_lcg rs = {3};
    ck_assert(n <= 3);
    if (cc->spectral_norm)
        OK(gan_model_set_spectral_norm(d, -1, 1));
    cur_labels = cc->labelled ? labels : NULL;
    for (size_t i = 0; i < n * in_e; i++)
        x[i] = tu_lcg_sym(&rs);
    state0 = NULL;
    if (d->n_state) {
        /* Spectral normalisation: u at its fixed point, then frozen there. */
        for (int it = 0; it < 300; it++)
            OK(gan_model_forward(d, x, n * in_e, n, GAN_MODE_TRAIN, NULL, 0));
        state0 = tu_alloc(d->n_state);
        memcpy(state0, d->state, d->n_state * sizeof(float));
    }
    OK(gan_model_zero_grad(d));
    OK(gan__gradient_penalty(d, &pb, x, cur_labels, n, r1, w, &v));
    /* Copy first: the public recomputation's backward adds to the arena. */
    analytic = tu_alloc(d->n_params);
    memcpy(analytic, d->grads, d->n_params * sizeof(float));
    v_pub = penalty_public(d, x, n, in_e, r1, w);
    ck_assert_msg(fabs(v - v_pub) <= 1e-5 * (1.0 + fabs(v_pub)), "%s: value %g vs public API %g",
                  cc->name, v, v_pub);
    for (size_t p = 0; p < d->n_params; p++) {
        const float keep = d->params[p];
        double plus, minus, num, a = analytic[p];
        d->params[p] = keep + eps;
        plus = penalty_public(d, x, n, in_e, r1, w);
        d->params[p] = keep - eps;
        minus = penalty_public(d, x, n, in_e, r1, w);
        d->params[p] = keep;
        num = (plus - minus) / (2.0 * eps);
        checked++;
        if (fabs(num - a) > cc->atol + cc->rtol * fabs(num)) {
            /* P jumps where a ReLU unit changes slope: then the one-sided
               differences at a finer step disagree with each other.  Such
               points are skipped; elsewhere the finer estimate must match. */
            const float h = eps / 8;
            double p0 = penalty_public(d, x, n, in_e, r1, w), fwd, bwd;
            d->params[p] = keep + h;
            plus = penalty_public(d, x, n, in_e, r1, w);
            d->params[p] = keep - h;
            minus = penalty_public(d, x, n, in_e, r1, w);
            d->params[p] = keep;
            fwd = (plus - p0) / h;
            bwd = (p0 - minus) / h;
            if (fabs(fwd - bwd) > 1e-2 + 0.1 * fabs(fwd + bwd)) {
                skipped++;
                continue;
            }
            num = 0.5 * (fwd + bwd);
            if (fabs(num - a) > cc->atol + cc->rtol * fabs(num)) {
                if (getenv("GAN_DEBUG_PENALTY"))
                    fprintf(stderr, "param %zu: analytic %g numeric %g\n", p, a, num);
                bad++;
                if (fabs(num - a) > worst)
                    worst = fabs(num - a);
            }
        }
    }
    if (getenv("TU_VERBOSE"))
        fprintf(stderr, "penalty check %s: %zu points, %zu failed, %zu skipped\n", cc->name,
                checked, bad, skipped);
    ck_assert_msg((double)skipped <= cc->max_skip_frac * (double)checked,
                  "%s: %zu of %zu points sat on kinks", cc->name, skipped, checked);
    ck_assert_msg(bad == 0, "%s: %zu of %zu parameter gradients disagree (worst abs error %g)",
                  cc->name, bad, checked, worst);
    {   /* the gradient is not trivially zero */
        double mx = 0.0;
        for (size_t p = 0; p < d->n_params; p++)
            mx = fmax(mx, fabs(analytic[p]));
        ck_assert_msg(mx > 1e-3, "%s: penalty gradient is all zero", cc->name);
    }
    free(analytic);
    free(x);
    free(state0);
    state0 = NULL;
    cur_labels = NULL;
    gan__penalty_buf_free(pb);
    gan_model_free(d);
}

/* conv2d (3, stride 2) -> leaky ReLU [-> conv2d_transpose (2, 2x2, stride
   2) -> ReLU] -> flatten -> dense 1, on 5x5x2 images. */
static gan_model *conv_critic(int transpose)
{
    gan_model *m = tu_model(3, 5, 5, 2);
    gan_conv2d_config c = tu_conv_config(3, 3, 2, GAN_PADDING_SAME);
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    if (transpose) {
        c.filters = 2;
        c.kernel_h = c.kernel_w = 2;
        OK(gan_model_add_conv2d_transpose(m, &c));
        OK(gan_model_add_relu(m));
    }
    OK(gan_model_add_flatten(m));
    tu_add_dense(m, 1, 1);
    OK(gan_model_init_params(m, 5));
    return m;
}

/* 4 -> dense 6 -> leaky ReLU -> dense 5 -> leaky ReLU -> dense 1. */
static gan_model *mlp_critic(int arg)
{
    gan_model *m = tu_model(1, 4, 0, 0);
    (void)arg;
    tu_add_dense(m, 6, 1);
    OK(gan_model_add_leaky_relu(m, 0.2f));
    tu_add_dense(m, 5, 1);
    OK(gan_model_add_leaky_relu(m, 0.2f));
    tu_add_dense(m, 1, 1);
    OK(gan_model_init_params(m, 9));
    return m;
}

/* Conditional critics of 3 classes: class maps appended to an image, or a
   trainable embedding appended to a vector, and a projection head (kind 2:
   followed by a leaky ReLU and a dense layer, whose penalty gradient needs
   the projection's Jacobian-vector product). */
static gan_model *cond_critic(int kind)
{
    gan_model *m;
    if (kind == 1) {
        m = tu_model(3, 5, 5, 2);
        OK(gan_model_add_class_embedding(m, 3, 1));
        tu_add_conv(m, 0, 3, 3, 2);
        OK(gan_model_add_leaky_relu(m, 0.2f));
        OK(gan_model_add_flatten(m));
    } else {
        m = tu_model(1, 4, 0, 0);
        OK(gan_model_add_class_embedding(m, 3, 2));
        tu_add_dense(m, 6, 1);
        OK(gan_model_add_leaky_relu(m, 0.2f));
    }
    tu_add_dense(m, 5, 1);
    OK(gan_model_add_leaky_relu(m, 0.2f));
    OK(gan_model_add_class_projection(m, 3));
    if (kind == 2) {
        OK(gan_model_add_leaky_relu(m, 0.2f));
        tu_add_dense(m, 1, 1);
    }
    OK(gan_model_init_params(m, 13));
    return m;
}

/* Up-sampling (nn/layers/upsample.c) between convolutions, a leaky ReLU
   run in place over its output: its J u is the up-sampling of u, and the
   weights below it get their penalty gradient through it. */
static gan_model *upsample_critic(int arg)
{
    gan_model *m = tu_model(3, 3, 3, 2);
    gan_conv2d_config c;
    (void)arg;
    OK(GAN_CONV2D_CONFIG_INIT(&c));
    c.filters = 2;
    c.kernel_h = c.kernel_w = 2;
    c.padding = GAN_PADDING_SAME;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_upsample(m, 2));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    c.filters = 3;
    c.kernel_h = c.kernel_w = 3;
    c.stride_h = c.stride_w = 2;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_relu(m));
    OK(gan_model_add_upsample(m, 2));
    OK(gan_model_add_flatten(m));
    tu_add_dense(m, 1, 1);
    OK(gan_model_init_params(m, 17));
    return m;
}

/* Residual blocks (nn/layers/residual.c) and average pooling: a down
   block with a 1x1-conv shortcut and pooling in both paths, then an
   identity block, leaky ReLUs in place over the blocks' ends.  The
   shortcut's tangent and gradient take the path around the branch. */
static gan_model *residual_critic(int arg)
{
    gan_model *m = tu_model(3, 4, 4, 2);
    gan_conv2d_config c;
    (void)arg;
    OK(GAN_CONV2D_CONFIG_INIT(&c));
    c.filters = 2;
    c.kernel_h = c.kernel_w = 3;
    c.padding = GAN_PADDING_SAME;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_residual_begin(m));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    c.filters = 3;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_avgpool(m, 2));
    OK(gan_model_add_residual_conv(m, 1, 2, 1));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    OK(gan_model_add_residual_begin(m));
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_relu(m));
    OK(gan_model_add_residual_add(m, 1, 1));
    OK(gan_model_add_flatten(m));
    tu_add_dense(m, 1, 1);
    OK(gan_model_init_params(m, 19));
    return m;
}

/* Class-conditional affine maps (nn/layers/class_affine.c) inside a
   conditional critic with a projection head. */
static gan_model *class_affine_critic(int arg)
{
    gan_model *m = tu_model(3, 3, 3, 2);
    gan_conv2d_config c;
    (void)arg;
    OK(GAN_CONV2D_CONFIG_INIT(&c));
    c.filters = 3;
    c.kernel_h = c.kernel_w = 2;
    c.padding = GAN_PADDING_SAME;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_class_affine(m, 3));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    OK(gan_model_add_flatten(m));
    OK(gan_model_add_class_projection(m, 3));
    OK(gan_model_init_params(m, 23));
    tu_randomize_params(m, 24, 0.5f);
    return m;
}

#define TOL .eps = 2e-3f, .atol = 2e-3, .rtol = 2e-2, .max_skip_frac = 0.15

static const critic_case critic_cases[] = {
    {"WGAN-GP, dense", mlp_critic, 0, .batch = 3, TOL},
    {"WGAN-GP, conv2d", conv_critic, 0, .batch = 2, TOL},
    {"WGAN-GP, conv2d_transpose", conv_critic, 1, .batch = 2, TOL},
    {"R1, conv2d", conv_critic, 0, .batch = 2, .r1 = 1, TOL},
    {"R1, dense", mlp_critic, 0, .batch = 3, .r1 = 1, TOL},
    /* Conditional critics, scored with fixed labels. */
    {"WGAN-GP, embedding + projection", cond_critic, 0, .batch = 3, .labelled = 1, TOL},
    {"R1, embedding + projection", cond_critic, 0, .batch = 3, .r1 = 1, .labelled = 1, TOL},
    {"WGAN-GP, class maps + projection", cond_critic, 1, .batch = 2, .labelled = 1, TOL},
    {"R1, class maps + projection", cond_critic, 1, .batch = 2, .r1 = 1, .labelled = 1, TOL},
    {"WGAN-GP, projection + dense", cond_critic, 2, .batch = 3, .labelled = 1, TOL},
    {"R1, projection + dense", cond_critic, 2, .batch = 3, .r1 = 1, .labelled = 1, TOL},
    /* The same critics with every dense and convolution layer spectrally
       normalised. */
    {"WGAN-GP, dense, spectral norm", mlp_critic, 0, .batch = 3, .spectral_norm = 1, TOL},
    {"R1, dense, spectral norm", mlp_critic, 0, .batch = 3, .r1 = 1, .spectral_norm = 1, TOL},
    {"WGAN-GP, conv2d, spectral norm", conv_critic, 0, .batch = 2, .spectral_norm = 1, TOL},
    {"WGAN-GP, conv2d_transpose, spectral norm", conv_critic, 1, .batch = 2,
     .spectral_norm = 1, TOL},
    {"R1, conv2d_transpose, spectral norm", conv_critic, 1, .batch = 2, .r1 = 1,
     .spectral_norm = 1, TOL},
    /* Layer kinds added since (docs/layers.md). */
    {"WGAN-GP, upsample", upsample_critic, 0, .batch = 2, TOL},
    {"R1, upsample", upsample_critic, 0, .batch = 2, .r1 = 1, TOL},
    {"WGAN-GP, class_affine", class_affine_critic, 0, .batch = 3, .labelled = 1, TOL},
    {"R1, class_affine", class_affine_critic, 0, .batch = 3, .r1 = 1, .labelled = 1, TOL},
    {"WGAN-GP, residual blocks + avgpool", residual_critic, 0, .batch = 2, TOL},
    {"R1, residual blocks + avgpool", residual_critic, 0, .batch = 2, .r1 = 1, TOL},
    {"WGAN-GP, residual blocks, spectral norm", residual_critic, 0, .batch = 2,
     .spectral_norm = 1, TOL},
    {"R1, residual blocks, spectral norm", residual_critic, 0, .batch = 3, .r1 = 1,
     .spectral_norm = 1, TOL},
};
#define N_CRITIC_CASES (sizeof critic_cases / sizeof critic_cases[0])

START_TEST(test_penalty_gradient)
{
    check_critic(&critic_cases[_i]);
}
END_TEST

/* Spectral normalisation reaches the transpose too, and the penalties
   support it. */
START_TEST(test_spectral_norm_critic_supported)
{
    gan_model *t = conv_critic(1);
    size_t ns;
    OK(gan_model_set_spectral_norm(t, -1, 1));
    OK(gan_model_layer_sizes(t, 2, NULL, &ns));
    ck_assert_uint_eq(ns, 2);
    OK(gan__penalty_supported(t));
    gan_model_free(t);
}
END_TEST

START_TEST(test_unsupported_critic_refused)
{
    tu_pair p;
    tu_pair_config c;
    gan_model *g = tu_preset(GAN_PRESET_DCGAN_CIFAR10_GENERATOR), *d = tu_model(3, 32, 32, 3);
    gan_loss *loss = NULL;
    /* Any critic with batchnorm is refused as a penalised critic. */
    tu_add_conv(d, 0, 4, 4, 2);
    OK(gan_model_add_batchnorm(d, NULL));
    OK(gan_model_add_flatten(d));
    tu_add_dense(d, 1, 1);
    tu_pair_config_init(&c);
    c.loss.kind = GAN_LOSS_WASSERSTEIN;
    c.loss.gradient_penalty = 10.0f;
    ck_assert_int_eq(tu_pair_create_models(&p, g, d, &c), GAN_EUNSUPPORTED);
    ck_assert_msg(strstr(gan_last_error(), "batchnorm") != NULL, "%s", gan_last_error());
    c.loss.gradient_penalty = -1.0f;
    ck_assert_int_eq(gan_loss_create(&loss, &c.loss), GAN_EINVAL);
    tu_pair_free(&p);
}
END_TEST

/*
 * WGAN-GP end to end on the 2-D ring: n_critic 5, Adam(1e-4, 0, 0.9),
 * lambda 10 (the paper's settings).  The penalty keeps the critic's input
 * gradient norm near 1 on interpolates, and training stays finite.
 */
START_TEST(test_wgan_gp_trains)
{
    enum { B = 64, NC = 5 };
    tu_pair p;
    tu_pair_config c;
    float x[NC * B * 2];
    gan_step_stats st;
    tu_lcg rs = {3};
    tu_pair_config_init(&c);
    c.latent = 8;
    c.hidden = 64;
    c.depth = 2;
    c.opt.lr = 1e-4f;
    c.opt.beta1 = 0.0f;
    c.opt.beta2 = 0.9f;
    c.loss.kind = GAN_LOSS_WASSERSTEIN;
    c.loss.gradient_penalty = 10.0f;
    c.trainer.n_critic = NC;
    OK(tu_pair_create(&p, &c));
    for (int s = 0; s < 30; s++) {
        for (int i = 0; i < NC * B; i++) {
            double a = (double)((unsigned)(tu_lcg_sym(&rs) * 4 + 4) % 8) * 6.283185307179586 / 8;
            x[2 * i] = (float)(2 * cos(a) + 0.05 * tu_lcg_sym(&rs));
            x[2 * i + 1] = (float)(2 * sin(a) + 0.05 * tu_lcg_sym(&rs));
        }
        GAN_STEP_STATS_INIT(&st);
        OK(gan_trainer_step(p.t, x, NC * B * 2, B, &st));
        ck_assert(isfinite(st.d_loss) && isfinite(st.g_loss));
    }
    {   /* Penalty at interpolates is now small: gradient norms near 1. */
        gan__penalty_buf *pb = NULL;
        double v;
        OK(gan__gradient_penalty(p.d, &pb, x, NULL, B, 0, 1.0f, &v));
        ck_assert_msg(v < 0.5, "mean (||grad|| - 1)^2 = %g", v);
        gan__penalty_buf_free(pb);
    }
    tu_pair_free(&p);
}
END_TEST

/* ---- lazy R1 (gan_trainer_config.r1_every) ------------------------------------- */

enum { LZ_B = 16, LZ_NC = 2 };

/* A pair with R1 weight gamma every k critic updates, two critic updates a
   step, fixed initial weights. */
static void lazy_pair(tu_pair *p, float gamma, int k)
{
    tu_pair_config c;
    tu_pair_config_init(&c);
    c.latent = 4;
    c.hidden = 16;
    c.g_seed = 5;
    c.d_seed = 6;
    c.opt.lr = 1e-2f;
    c.loss.r1_gamma = gamma;
    c.trainer.n_critic = LZ_NC;
    c.trainer.r1_every = k;
    OK(tu_pair_create(p, &c));
}

/* Step s's real batch, the same for every run. */
static void lazy_real(float *x, int s)
{
    tu_fill(x, LZ_NC * LZ_B * 2, 100 + (uint64_t)s, -1.0f, 1.0f);
}

static void lazy_steps(gan_trainer *t, int from, int to, float *d_loss)
{
    float x[LZ_NC * LZ_B * 2];
    for (int s = from; s < to; s++) {
        gan_step_stats st;
        GAN_STEP_STATS_INIT(&st);
        lazy_real(x, s);
        OK(gan_trainer_step(t, x, LZ_NC * LZ_B * 2, LZ_B, &st));
        if (d_loss)
            d_loss[s] = st.d_loss;
    }
}

static int same_params(const gan_model *a, const gan_model *b)
{
    size_t na, nb;
    float *pa = tu_all_params(a, &na), *pb = tu_all_params(b, &nb);
    const int same = na == nb && memcmp(pa, pb, na * sizeof(float)) == 0;
    free(pa);
    free(pb);
    return same;
}

/*
 * r1_every = 4 with two critic updates a step: R1 runs on updates 4, 8, ...
 * (the second update of steps 1, 3, ...).  Observable: a run with R1 and
 * one without are the same bits through step 0 and differ from step 1 on,
 * where the reported (last update's) D loss carries the penalty; and a
 * checkpoint taken after step 2 resumes to the same bits as the run that
 * never stopped.  r1_every = 1 penalises every update (step 0 differs).
 */
START_TEST(test_lazy_r1)
{
    tu_pair lazy, none, every, cont;
    float dl_lazy[6], dl_none[6], dl_every[1];
    void *buf = NULL;
    size_t len;
    gan_trainer *back = NULL;
    gan_model *bg, *bd;
    gan_trainer_config tc;
    lazy_pair(&lazy, 1.0f, 4);
    lazy_pair(&none, 0.0f, 1);
    lazy_pair(&every, 1.0f, 1);
    lazy_steps(lazy.t, 0, 1, dl_lazy);
    lazy_steps(none.t, 0, 1, dl_none);
    lazy_steps(every.t, 0, 1, dl_every);
    ck_assert(dl_lazy[0] == dl_none[0]);
    ck_assert(same_params(lazy.d, none.d) && same_params(lazy.g, none.g));
    ck_assert(dl_every[0] > dl_none[0]);           /* k = 1: penalised at once */
    ck_assert(!same_params(every.d, none.d));
    lazy_steps(lazy.t, 1, 2, dl_lazy);
    lazy_steps(none.t, 1, 2, dl_none);
    ck_assert_msg(dl_lazy[1] > dl_none[1], "step 1: %g vs %g", (double)dl_lazy[1],
                  (double)dl_none[1]);
    ck_assert(!same_params(lazy.d, none.d));
    /* Resume after step 2 == the uninterrupted run. */
    lazy_steps(lazy.t, 2, 3, dl_lazy);
    OK(gan_trainer_save_mem(lazy.t, NULL, &buf, &len));
    OK(gan_trainer_load_mem(&back, NULL, buf, len));
    OK(GAN_TRAINER_CONFIG_INIT(&tc));
    OK(gan_trainer_get_config(back, &tc));
    ck_assert_int_eq(tc.r1_every, 4);
    lazy_steps(lazy.t, 3, 6, dl_lazy);
    lazy_steps(back, 3, 6, NULL);
    OK(gan_trainer_models(back, &bg, &bd, NULL, NULL));
    ck_assert(same_params(lazy.g, bg) && same_params(lazy.d, bd));
    /* And a fresh lazy run repeats itself. */
    lazy_pair(&cont, 1.0f, 4);
    lazy_steps(cont.t, 0, 6, NULL);
    ck_assert(same_params(lazy.g, cont.g) && same_params(lazy.d, cont.d));
    {   /* Out of range: refused. */
        tu_pair bad;
        tu_pair_config c;
        tu_pair_config_init(&c);
        c.trainer.r1_every = 0;
        TU_ASSERT_ERROR(tu_pair_create(&bad, &c), GAN_EINVAL, "r1_every 0");
        tu_pair_free(&bad);
    }
    gan_free(buf);
    gan_trainer_free(back);
    tu_pair_free(&lazy);
    tu_pair_free(&none);
    tu_pair_free(&every);
    tu_pair_free(&cont);
}
END_TEST

static Suite *penalty_suite(void)
{
    Suite *s = suite_create("penalty");
    TCase *tc = tcase_create("gradients");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_penalty_gradient, 0, (int)N_CRITIC_CASES);
    tcase_add_test(tc, test_spectral_norm_critic_supported);
    tcase_add_test(tc, test_unsupported_critic_refused);
    tcase_add_test(tc, test_wgan_gp_trains);
    tcase_add_test(tc, test_lazy_r1);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(penalty_suite());
}
