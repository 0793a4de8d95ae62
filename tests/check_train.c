/*
 * check_train.c -- losses, optimizers and the trainer (issue: trainer).
 *
 * Losses: values against closed forms and gradients against central
 * differences.  Optimizers: updates against the textbook formulas computed
 * here in double.  Trainer: shape checks, all-or-nothing steps on NaN,
 * reproducibility, WGAN clipping, the epoch loop, and the classic
 * mode-collapse benchmark (8 Gaussians on a ring).
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "test_util.h"

/* The test's own random numbers (independent of libgan's); each test seeds
   them. */
static tu_lcg rs = {1};

static gan_loss *make_loss(gan_loss_kind kind, float real_label, int minimax, float clip)
{
    gan_loss_config c;
    gan_loss *l = NULL;
    OK(GAN_LOSS_CONFIG_INIT(&c));
    c.kind = kind;
    c.real_label = real_label;
    c.generator_minimax = minimax;
    c.clip = clip;
    OK(gan_loss_create(&l, &c));
    return l;
}

/* ---- losses ---------------------------------------------------------------- */

static double softplus(double x) { return log1p(exp(-fabs(x))) + (x > 0 ? x : 0); }

START_TEST(test_bce_values_closed_form)
{
    gan_loss *l = make_loss(GAN_LOSS_BCE, 1.0f, 0, 0.0f);
    float real[3] = {2.0f, -1.0f, 0.5f}, fake[2] = {-3.0f, 1.5f}, v;
    double want = (softplus(-2.0) + softplus(1.0) + softplus(-0.5)) / 3.0 +
                  (softplus(-3.0) + softplus(1.5)) / 2.0;
    OK(gan_loss_discriminator(l, real, 3, fake, 2, &v, NULL, NULL));
    ck_assert_double_eq_tol(v, want, 1e-6);
    /* Non-saturating G: -log sigmoid(x) = softplus(-x). */
    OK(gan_loss_generator(l, fake, 2, &v, NULL));
    ck_assert_double_eq_tol(v, (softplus(3.0) + softplus(-1.5)) / 2.0, 1e-6);
    gan_loss_free(l);
    /* Minimax G: mean log(1 - sigmoid(x)) = -mean softplus(x). */
    l = make_loss(GAN_LOSS_BCE, 1.0f, 1, 0.0f);
    OK(gan_loss_generator(l, fake, 2, &v, NULL));
    ck_assert_double_eq_tol(v, -(softplus(-3.0) + softplus(1.5)) / 2.0, 1e-6);
    gan_loss_free(l);
}
END_TEST

START_TEST(test_bce_stable_for_huge_logits)
{
    gan_loss *l = make_loss(GAN_LOSS_BCE, 1.0f, 0, 0.0f);
    float big[4] = {1e4f, -1e4f, 88.0f, -88.0f}, v, gr[4], gf[4];
    OK(gan_loss_discriminator(l, big, 4, big, 4, &v, gr, gf));
    ck_assert(isfinite(v));
    /* real -1e4 costs 1e4/4; fake +1e4 costs 1e4/4 (and 88s about 22 each). */
    ck_assert_double_eq_tol(v, (1e4 + 88.0) / 4.0 + (1e4 + 88.0) / 4.0, 1e-2);
    for (int i = 0; i < 4; i++)
        ck_assert(isfinite(gr[i]) && isfinite(gf[i]));
    ck_assert_float_eq_tol(gr[1], -0.25f, 1e-6f);  /* (sigmoid(-1e4) - 1)/4 */
    ck_assert_float_eq_tol(gf[0], 0.25f, 1e-6f);   /* sigmoid(1e4)/4 */
    OK(gan_loss_generator(l, big, 4, &v, gf));
    ck_assert(isfinite(v));
    gan_loss_free(l);
}
END_TEST

/* A loss whose gradients are checked by central differences: the
   discriminator's (d_real, d_fake) and, with has_g, the generator's.  A
   point passes when |numeric - analytic| <= atol + rtol |analytic|. */
typedef struct loss_case {
    const char *name;
    gan_loss_kind kind;
    float real_label;
    int minimax;
    int has_g;
    float eps;
    double atol, rtol;
} loss_case;

#define LOSS_TOL .eps = 1e-2f, .atol = 2e-3, .rtol = 1e-2

static const loss_case loss_cases[] = {
    {"BCE", GAN_LOSS_BCE, 1.0f, 0, 1, LOSS_TOL},
    {"BCE, minimax G", GAN_LOSS_BCE, 1.0f, 1, 1, LOSS_TOL},
    {"Wasserstein", GAN_LOSS_WASSERSTEIN, 1.0f, 0, 1, LOSS_TOL},
    {"Wasserstein, minimax G", GAN_LOSS_WASSERSTEIN, 1.0f, 1, 1, LOSS_TOL},
    {"hinge", GAN_LOSS_HINGE, 1.0f, 0, 1, LOSS_TOL},
    {"hinge, minimax G", GAN_LOSS_HINGE, 1.0f, 1, 1, LOSS_TOL},
    {"least squares", GAN_LOSS_LEAST_SQUARES, 1.0f, 0, 1, LOSS_TOL},
    {"least squares, minimax G", GAN_LOSS_LEAST_SQUARES, 1.0f, 1, 1, LOSS_TOL},
    {"BCE, one-sided label smoothing", GAN_LOSS_BCE, 0.9f, 0, 1, LOSS_TOL},
    {"feature matching (D side is BCE)", GAN_LOSS_FEATURE_MATCHING, 1.0f, 0, 0, LOSS_TOL},
};
#define N_LOSS_CASES (sizeof loss_cases / sizeof loss_cases[0])

START_TEST(test_loss_gradients)
{
    enum { NR = 5, NF = 4 };
    const loss_case *c = &loss_cases[_i];
    gan_loss *l = make_loss(c->kind, c->real_label, c->minimax, 0.0f);
    float r[NR], f[NF], gr[NR], gf[NF], gg[NF], v, vp, vm;
    const float eps = c->eps;
    rs.s = 7;
    for (int i = 0; i < NR; i++)
        r[i] = (float)(tu_lcg_uniform(&rs) * 6.0 - 3.0);
    for (int i = 0; i < NF; i++)
        f[i] = (float)(tu_lcg_uniform(&rs) * 6.0 - 3.0);
    /* Keep away from the hinge kinks at +-1. */
    for (int i = 0; i < NR; i++)
        if (fabsf(fabsf(r[i]) - 1.0f) < 0.1f)
            r[i] += 0.3f;
    for (int i = 0; i < NF; i++)
        if (fabsf(fabsf(f[i]) - 1.0f) < 0.1f)
            f[i] += 0.3f;
    OK(gan_loss_discriminator(l, r, NR, f, NF, &v, gr, gf));
    for (int i = 0; i < NR + NF; i++) {
        float *p = i < NR ? &r[i] : &f[i - NR], keep = *p;
        double num, ana = i < NR ? gr[i] : gf[i - NR];
        *p = keep + eps;
        OK(gan_loss_discriminator(l, r, NR, f, NF, &vp, NULL, NULL));
        *p = keep - eps;
        OK(gan_loss_discriminator(l, r, NR, f, NF, &vm, NULL, NULL));
        *p = keep;
        num = ((double)vp - vm) / (2.0 * eps);
        ck_assert_msg(fabs(num - ana) <= c->atol + c->rtol * fabs(ana),
                      "%s: D grad %d: analytic %g numeric %g", c->name, i, ana, num);
    }
    if (c->has_g) {
        OK(gan_loss_generator(l, f, NF, &v, gg));
        for (int i = 0; i < NF; i++) {
            float keep = f[i];
            double num;
            f[i] = keep + eps;
            OK(gan_loss_generator(l, f, NF, &vp, NULL));
            f[i] = keep - eps;
            OK(gan_loss_generator(l, f, NF, &vm, NULL));
            f[i] = keep;
            num = ((double)vp - vm) / (2.0 * eps);
            ck_assert_msg(fabs(num - gg[i]) <= c->atol + c->rtol * fabs(gg[i]),
                          "%s: G grad %d: analytic %g numeric %g", c->name, i, (double)gg[i], num);
        }
    }
    gan_loss_free(l);
}
END_TEST

START_TEST(test_label_smoothing_value)
{
    gan_loss *l = make_loss(GAN_LOSS_BCE, 0.9f, 0, 0.0f);
    float r[1] = {2.0f}, f[1] = {-1.0f}, v, gr[1];
    OK(gan_loss_discriminator(l, r, 1, f, 1, &v, gr, NULL));
    ck_assert_double_eq_tol(v, 0.9 * softplus(-2.0) + 0.1 * softplus(2.0) + softplus(-1.0), 1e-6);
    ck_assert_double_eq_tol(gr[0], 1.0 / (1.0 + exp(-2.0)) - 0.9, 1e-6);
    gan_loss_free(l);
}
END_TEST

START_TEST(test_other_loss_values)
{
    float r[2] = {0.5f, 2.0f}, f[2] = {-2.0f, 0.0f}, v;
    gan_loss *l = make_loss(GAN_LOSS_WASSERSTEIN, 1.0f, 0, 0.0f);
    OK(gan_loss_discriminator(l, r, 2, f, 2, &v, NULL, NULL));
    ck_assert_double_eq_tol(v, -1.0 - 1.25, 1e-6);
    OK(gan_loss_generator(l, f, 2, &v, NULL));
    ck_assert_double_eq_tol(v, 1.0, 1e-6);
    gan_loss_free(l);
    l = make_loss(GAN_LOSS_HINGE, 1.0f, 0, 0.0f);
    OK(gan_loss_discriminator(l, r, 2, f, 2, &v, NULL, NULL));
    ck_assert_double_eq_tol(v, (0.5 + 0.0) / 2 + (0.0 + 1.0) / 2, 1e-6);
    gan_loss_free(l);
    l = make_loss(GAN_LOSS_LEAST_SQUARES, 1.0f, 0, 0.0f);
    OK(gan_loss_discriminator(l, r, 2, f, 2, &v, NULL, NULL));
    ck_assert_double_eq_tol(v, 0.5 * (0.25 + 1.0) / 2 + 0.5 * (4.0 + 0.0) / 2, 1e-6);
    OK(gan_loss_generator(l, f, 2, &v, NULL));
    ck_assert_double_eq_tol(v, 0.5 * (9.0 + 1.0) / 2, 1e-6);
    gan_loss_free(l);
}
END_TEST

START_TEST(test_feature_matching)
{
    enum { NR = 3, NF = 4, D = 5 };
    float r[NR * D], f[NF * D], g[NF * D], v, vp, vm;
    gan_loss *l = make_loss(GAN_LOSS_FEATURE_MATCHING, 1.0f, 0, 0.0f);
    double want = 0.0;
    rs.s = 11;
    for (int i = 0; i < NR * D; i++)
        r[i] = (float)tu_lcg_normal(&rs);
    for (int i = 0; i < NF * D; i++)
        f[i] = (float)tu_lcg_normal(&rs);
    for (int j = 0; j < D; j++) {
        double mr = 0, mf = 0;
        for (int i = 0; i < NR; i++)
            mr += r[i * D + j] / (double)NR;
        for (int i = 0; i < NF; i++)
            mf += f[i * D + j] / (double)NF;
        want += (mr - mf) * (mr - mf);
    }
    OK(gan_loss_feature_matching(l, r, NR, f, NF, D, &v, g));
    ck_assert_double_eq_tol(v, want, 1e-5);
    for (int i = 0; i < NF * D; i++) {
        float keep = f[i];
        f[i] = keep + 1e-2f;
        OK(gan_loss_feature_matching(l, r, NR, f, NF, D, &vp, NULL));
        f[i] = keep - 1e-2f;
        OK(gan_loss_feature_matching(l, r, NR, f, NF, D, &vm, NULL));
        f[i] = keep;
        ck_assert_double_eq_tol(((double)vp - vm) / 2e-2, g[i], 1e-3);
    }
    ck_assert_int_eq(gan_loss_generator(l, f, NF, &v, NULL), GAN_ESTATE);
    gan_loss_free(l);
}
END_TEST

START_TEST(test_loss_misuse)
{
    gan_loss_config c;
    gan_loss *l = NULL;
    float x[2] = {0, NAN}, v;
    OK(GAN_LOSS_CONFIG_INIT(&c));
    c.real_label = 0.0f;
    ck_assert_int_eq(gan_loss_create(&l, &c), GAN_EINVAL);
    ck_assert_ptr_null(l);
    ck_assert(strstr(gan_last_error(), "real_label") != NULL);
    OK(GAN_LOSS_CONFIG_INIT(&c));
    c.kind = (gan_loss_kind)99;
    ck_assert_int_eq(gan_loss_create(&l, &c), GAN_EINVAL);
    OK(GAN_LOSS_CONFIG_INIT(&c));
    c.clip = 0.01f; /* clipping belongs to Wasserstein */
    ck_assert_int_eq(gan_loss_create(&l, &c), GAN_EINVAL);
    l = make_loss(GAN_LOSS_BCE, 1.0f, 0, 0.0f);
    ck_assert_int_eq(gan_loss_discriminator(l, x, 2, x, 1, &v, NULL, NULL), GAN_ENUMERIC);
    ck_assert_int_eq(gan_loss_discriminator(l, x, 0, x, 1, &v, NULL, NULL), GAN_EINVAL);
    ck_assert_int_eq(gan_loss_generator(NULL, x, 1, &v, NULL), GAN_EINVAL);
    ck_assert_int_eq(gan_loss_generator((gan_loss *)(void *)&c, x, 1, &v, NULL), GAN_ESTATE);
    ck_assert_str_eq(gan_loss_kind_name(GAN_LOSS_HINGE), "hinge");
    gan_loss_free(l);
    gan_loss_free(NULL);
}
END_TEST

/* ---- optimizers ------------------------------------------------------------ */

/*
 * A model whose gradient we control: y = x W with W (3, 1), no bias.  With
 * x = e and dy = 1 the gradient of W is e.  Three steps with gradients
 * g_t are compared with the formulas evaluated here in double.
 */
static gan_model *tiny_model(const float w0[3])
{
    gan_model *m = NULL;
    int in[1] = {3};
    gan_dense_config dc;
    OK(gan_model_create(&m, 1, in));
    OK(GAN_DENSE_CONFIG_INIT(&dc));
    dc.units = 1;
    dc.use_bias = 0;
    OK(gan_model_add_dense(m, &dc));
    OK(gan_model_set_params(m, 0, w0, 3));
    return m;
}

static const float grads[3][3] = {{0.5f, -1.0f, 2.0f}, {0.1f, 0.3f, -0.7f}, {-2.0f, 0.0f, 1.0f}};

static void put_grad(gan_model *m, int t)
{
    float dy = 1.0f;
    OK(gan_model_zero_grad(m));
    OK(gan_model_forward(m, grads[t], 3, 1, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_backward(m, &dy, 1, NULL, 0));
}

static void run_optimizer(const gan_optimizer_config *c, float out[3])
{
    static const float w0[3] = {1.0f, -0.5f, 0.25f};
    gan_model *m = tiny_model(w0);
    gan_optimizer *o = NULL;
    OK(gan_optimizer_create(&o, m, c));
    for (int t = 0; t < 3; t++) {
        put_grad(m, t);
        OK(gan_optimizer_step(o));
    }
    OK(gan_model_get_params(m, 0, out, 3));
    gan_optimizer_free(o);
    gan_model_free(m);
}

START_TEST(test_optimizers_match_formulas)
{
    gan_optimizer_config c;
    float got[3];
    const double w0[3] = {1.0, -0.5, 0.25};
    for (int variant = 0; variant < 6; variant++) {
        double w[3], s1[3] = {0, 0, 0}, s2[3] = {0, 0, 0};
        OK(GAN_OPTIMIZER_CONFIG_INIT(&c));
        c.lr = 0.1f;
        switch (variant) {
        case 0: c.kind = GAN_OPTIM_SGD; break;
        case 1: c.kind = GAN_OPTIM_SGD; c.momentum = 0.9f; break;
        case 2: c.kind = GAN_OPTIM_SGD; c.momentum = 0.9f; c.nesterov = 1; break;
        case 3: c.kind = GAN_OPTIM_ADAM; c.beta1 = 0.5f; c.beta2 = 0.999f; c.eps = 1e-7f; break;
        case 4: c.kind = GAN_OPTIM_RMSPROP; c.rho = 0.9f; c.eps = 1e-7f; break;
        case 5: c.kind = GAN_OPTIM_ADAM; c.weight_decay = 0.01f; break;
        }
        run_optimizer(&c, got);
        memcpy(w, w0, sizeof w);
        for (int t = 0; t < 3; t++)
            for (int i = 0; i < 3; i++) {
                double g = grads[t][i], lr = c.lr;
                w[i] -= lr * c.weight_decay * w[i];
                if (c.kind == GAN_OPTIM_SGD && c.momentum == 0.0f) {
                    w[i] -= lr * g;
                } else if (c.kind == GAN_OPTIM_SGD) {
                    s1[i] = c.momentum * s1[i] + g;
                    w[i] -= lr * (c.nesterov ? g + c.momentum * s1[i] : s1[i]);
                } else if (c.kind == GAN_OPTIM_ADAM) {
                    s1[i] = c.beta1 * s1[i] + (1 - c.beta1) * g;
                    s2[i] = c.beta2 * s2[i] + (1 - c.beta2) * g * g;
                    double mh = s1[i] / (1 - pow(c.beta1, t + 1)), vh = s2[i] / (1 - pow(c.beta2, t + 1));
                    w[i] -= lr * mh / (sqrt(vh) + c.eps);
                } else {
                    s2[i] = c.rho * s2[i] + (1 - c.rho) * g * g;
                    w[i] -= lr * g / (sqrt(s2[i]) + c.eps);
                }
            }
        for (int i = 0; i < 3; i++)
            ck_assert_msg(fabs(got[i] - w[i]) < 1e-5, "variant %d weight %d: got %.7f want %.7f",
                          variant, i, (double)got[i], w[i]);
    }
}
END_TEST

START_TEST(test_optimizer_state_and_lr)
{
    static const float w0[3] = {1.0f, 2.0f, 3.0f};
    gan_model *m = tiny_model(w0), *m2 = tiny_model(w0);
    gan_optimizer *o = NULL, *o2 = NULL;
    gan_optimizer_config c;
    size_t n;
    uint64_t step;
    float state[6], a[3], b[3], lr, bad = NAN;
    OK(GAN_OPTIMIZER_CONFIG_INIT(&c));
    OK(gan_optimizer_create(&o, m, &c));
    OK(gan_optimizer_create(&o2, m2, &c));
    OK(gan_optimizer_state_size(o, &n));
    ck_assert_uint_eq(n, 6);
    put_grad(m, 0);
    OK(gan_optimizer_step(o));
    /* Copy state and weights to the second pair; the next steps agree. */
    OK(gan_optimizer_get_state(o, state, 6, &step));
    ck_assert_uint_eq(step, 1);
    OK(gan_optimizer_set_state(o2, state, 6, step));
    OK(gan_model_get_params(m, 0, a, 3));
    OK(gan_model_set_params(m2, 0, a, 3));
    put_grad(m, 1);
    put_grad(m2, 1);
    OK(gan_optimizer_step(o));
    OK(gan_optimizer_step(o2));
    OK(gan_model_get_params(m, 0, a, 3));
    OK(gan_model_get_params(m2, 0, b, 3));
    ck_assert_mem_eq(a, b, sizeof a);
    OK(gan_optimizer_set_lr(o, 0.5f));
    OK(gan_optimizer_get_lr(o, &lr));
    ck_assert_float_eq(lr, 0.5f);
    ck_assert_int_eq(gan_optimizer_set_lr(o, -1.0f), GAN_EINVAL);
    ck_assert_int_eq(gan_optimizer_get_state(o, state, 5, &step), GAN_ESHAPE);
    state[4] = bad;
    ck_assert_int_eq(gan_optimizer_set_state(o, state, 6, 1), GAN_ENUMERIC);
    /* A NaN gradient updates nothing. */
    OK(gan_model_get_params(m, 0, a, 3));
    {
        float x[3] = {NAN, 1, 1}, dy = 1.0f;
        OK(gan_model_zero_grad(m));
        OK(gan_model_forward(m, x, 3, 1, GAN_MODE_TRAIN, NULL, 0));
        OK(gan_model_backward(m, &dy, 1, NULL, 0));
    }
    ck_assert_int_eq(gan_optimizer_step(o), GAN_ENUMERIC);
    OK(gan_model_get_params(m, 0, b, 3));
    ck_assert_mem_eq(a, b, sizeof a);
    gan_optimizer_free(o);
    gan_optimizer_free(o2);
    gan_model_free(m);
    gan_model_free(m2);
}
END_TEST

START_TEST(test_optimizer_skips_frozen_and_detects_model_change)
{
    static const float w0[3] = {1.0f, 2.0f, 3.0f};
    gan_model *m = tiny_model(w0);
    gan_optimizer *o = NULL;
    gan_optimizer_config c;
    gan_dense_config dc;
    float w[3];
    OK(GAN_OPTIMIZER_CONFIG_INIT(&c));
    c.kind = GAN_OPTIM_SGD;
    OK(gan_optimizer_create(&o, m, &c));
    put_grad(m, 0);
    OK(gan_model_set_trainable(m, -1, 0));
    OK(gan_optimizer_step(o));
    OK(gan_model_get_params(m, 0, w, 3));
    ck_assert_mem_eq(w, w0, sizeof w);
    OK(GAN_DENSE_CONFIG_INIT(&dc));
    dc.units = 2;
    OK(gan_model_add_dense(m, &dc));
    ck_assert_int_eq(gan_optimizer_step(o), GAN_ESTATE);
    gan_optimizer_free(o);
    gan_model_free(m);
}
END_TEST

/* ---- trainer ---------------------------------------------------------------- */

/* A small MLP GAN on 2-D points: latent 8 -> 128 -> 128 -> 2; D 2 -> 128 -> 128 -> 1.
   Adam(1e-3, 0.5), or for the Wasserstein loss RMSprop(5e-5). */
static void make_mlp_pair(tu_pair *p, gan_loss_kind kind, int n_critic, float clip, int bn,
                          uint64_t seed)
{
    tu_pair_config c;
    tu_pair_config_init(&c);
    c.latent = 8;
    c.hidden = 128;
    c.depth = 2;
    c.g_batchnorm = bn;
    c.g_seed = seed;
    c.d_seed = seed + 1;
    c.opt.lr = 1e-3f;
    c.opt.beta1 = 0.5f;
    if (kind == GAN_LOSS_WASSERSTEIN) {
        c.opt.kind = GAN_OPTIM_RMSPROP;
        c.opt.lr = 5e-5f;
    }
    c.loss.kind = kind;
    c.loss.clip = clip;
    c.trainer.seed = seed + 2;
    c.trainer.n_critic = n_critic;
    OK(tu_pair_create(p, &c));
}

START_TEST(test_ring_of_gaussians_covers_modes)
{
    tu_pair p;
    rs.s = 42;
    make_mlp_pair(&p, GAN_LOSS_BCE, 1, 0.0f, 0, 1);
    tu_assert_ring_learned(&p, &rs, 3000, 256, 0.05, 2000);
    tu_pair_free(&p);
}
END_TEST

START_TEST(test_reproducible_from_seed)
{
    enum { B = 32 };
    float x[B * 2], w1[128 * 2 + 128], w2[128 * 2 + 128];
    gan_step_stats s1, s2;
    tu_pair a, b;
    make_mlp_pair(&a, GAN_LOSS_BCE, 1, 0.0f, 1, 5);
    make_mlp_pair(&b, GAN_LOSS_BCE, 1, 0.0f, 1, 5);
    rs.s = 3;
    for (int s = 0; s < 20; s++) {
        tu_ring_batch(&rs, x, B, 0.05);
        GAN_STEP_STATS_INIT(&s1);
        GAN_STEP_STATS_INIT(&s2);
        OK(gan_trainer_step(a.t, x, B * 2, B, &s1));
        OK(gan_trainer_step(b.t, x, B * 2, B, &s2));
        ck_assert_mem_eq(&s1, &s2, sizeof s1);
    }
    OK(gan_model_get_params(a.d, 0, w1, 128 * 2 + 128));
    OK(gan_model_get_params(b.d, 0, w2, 128 * 2 + 128));
    ck_assert_mem_eq(w1, w2, sizeof(float) * (128 * 2 + 128));
    tu_pair_free(&a);
    tu_pair_free(&b);
}
END_TEST

/* Copy every layer's parameters and state into one array. */
static size_t snapshot(const gan_model *m, float *dst)
{
    size_t n_layers, off = 0;
    OK(gan_model_layer_count(m, &n_layers));
    for (size_t i = 0; i < n_layers; i++) {
        size_t np, ns;
        OK(gan_model_layer_sizes(m, i, &np, &ns));
        if (dst) {
            OK(gan_model_get_params(m, i, dst + off, np));
            OK(gan_model_get_state(m, i, dst + off + np, ns));
        }
        off += np + ns;
    }
    return off;
}

static void check_nan_step_is_undone(int n_critic)
{
    enum { B = 16 };
    float x[4 * B * 2];
    tu_pair p;
    gan_step_stats st;
    size_t ng, nd;
    float *g0, *d0, *g1, *d1;
    uint64_t step;
    make_mlp_pair(&p, GAN_LOSS_BCE, n_critic, 0.0f, 1, 9);
    rs.s = 5;
    tu_ring_batch(&rs, x, (size_t)n_critic * B, 0.05);
    OK(gan_trainer_step(p.t, x, (size_t)n_critic * B * 2, B, NULL));
    ng = snapshot(p.g, NULL);
    nd = snapshot(p.d, NULL);
    g0 = malloc(ng * sizeof(float));
    g1 = malloc(ng * sizeof(float));
    d0 = malloc(nd * sizeof(float));
    d1 = malloc(nd * sizeof(float));
    snapshot(p.g, g0);
    snapshot(p.d, d0);
    /* The last critic slice carries a NaN: earlier critic updates already
       changed D when it is found, and must be rolled back. */
    x[((size_t)n_critic * B - 1) * 2] = NAN;
    GAN_STEP_STATS_INIT(&st);
    ck_assert_int_eq(gan_trainer_step(p.t, x, (size_t)n_critic * B * 2, B, &st), GAN_ENUMERIC);
    ck_assert_msg(strstr(gan_last_error(), "diverged") != NULL, "message: %s", gan_last_error());
    snapshot(p.g, g1);
    snapshot(p.d, d1);
    ck_assert_mem_eq(g0, g1, ng * sizeof(float));
    ck_assert_mem_eq(d0, d1, nd * sizeof(float));
    OK(gan_trainer_progress(p.t, &step, NULL));
    ck_assert_uint_eq(step, 1);
    /* Training goes on from there. */
    tu_ring_batch(&rs, x, (size_t)n_critic * B, 0.05);
    OK(gan_trainer_step(p.t, x, (size_t)n_critic * B * 2, B, NULL));
    free(g0);
    free(g1);
    free(d0);
    free(d1);
    tu_pair_free(&p);
}

START_TEST(test_nan_step_is_undone)
{
    check_nan_step_is_undone(1);
    check_nan_step_is_undone(3);
}
END_TEST

START_TEST(test_wgan_clipping_and_n_critic)
{
    enum { B = 32, NC = 5 };
    float x[NC * B * 2], w[2 * 128 + 128];
    tu_pair p;
    gan_step_stats st;
    make_mlp_pair(&p, GAN_LOSS_WASSERSTEIN, NC, 0.01f, 0, 2);
    rs.s = 8;
    for (int s = 0; s < 3; s++) {
        tu_ring_batch(&rs, x, NC * B, 0.05);
        GAN_STEP_STATS_INIT(&st);
        OK(gan_trainer_step(p.t, x, NC * B * 2, B, &st));
        ck_assert(isfinite(st.d_loss) && isfinite(st.g_loss));
    }
    OK(gan_model_get_params(p.d, 0, w, 2 * 128 + 128));
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        ck_assert(fabsf(w[i]) <= 0.01f);
    /* real must hold n_critic batches */
    ck_assert_int_eq(gan_trainer_step(p.t, x, B * 2, B, &st), GAN_ESHAPE);
    tu_pair_free(&p);
}
END_TEST

START_TEST(test_feature_matching_trains)
{
    enum { B = 64 };
    float x[B * 2];
    tu_pair p;
    gan_trainer_config tc;
    gan_step_stats st;
    make_mlp_pair(&p, GAN_LOSS_BCE, 1, 0.0f, 0, 4);
    gan_trainer_free(p.t);
    gan_loss_free(p.loss);
    p.loss = make_loss(GAN_LOSS_FEATURE_MATCHING, 1.0f, 0, 0.0f);
    OK(GAN_TRAINER_CONFIG_INIT(&tc));
    OK(gan_trainer_create(&p.t, p.g, p.d, p.g_opt, p.d_opt, p.loss, &tc));
    rs.s = 2;
    for (int s = 0; s < 50; s++) {
        tu_ring_batch(&rs, x, B, 0.05);
        GAN_STEP_STATS_INIT(&st);
        OK(gan_trainer_step(p.t, x, B * 2, B, &st));
        ck_assert(isfinite(st.g_loss) && st.g_loss >= 0.0f);
    }
    tu_pair_free(&p);
}
END_TEST

START_TEST(test_notebook_generator_shape_error)
{
    gan_model *g = NULL, *d = NULL;
    gan_optimizer *go = NULL, *dop = NULL;
    gan_optimizer_config oc;
    gan_loss *l = make_loss(GAN_LOSS_BCE, 1.0f, 0, 0.0f);
    gan_trainer *t = NULL;
    OK(gan_model_create_preset(&g, GAN_PRESET_MNIST_NOTEBOOK_GENERATOR));
    OK(gan_model_create_preset(&d, GAN_PRESET_MNIST_DISCRIMINATOR));
    OK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
    OK(gan_optimizer_create(&go, g, &oc));
    OK(gan_optimizer_create(&dop, d, &oc));
    ck_assert_int_eq(gan_trainer_create(&t, g, d, go, dop, l, NULL), GAN_ESHAPE);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(gan_last_error(), "(14, 14, 1)") && strstr(gan_last_error(), "(28, 28, 1)"),
                  "message: %s", gan_last_error());
    /* Optimizers swapped: rejected too. */
    gan_model_free(g);
    OK(gan_model_create_preset(&g, GAN_PRESET_MNIST_GENERATOR));
    gan_optimizer_free(go);
    OK(gan_optimizer_create(&go, g, &oc));
    ck_assert_int_eq(gan_trainer_create(&t, g, d, dop, go, l, NULL), GAN_EINVAL);
    OK(gan_trainer_create(&t, g, d, go, dop, l, NULL));
    gan_trainer_free(t);
    gan_optimizer_free(go);
    gan_optimizer_free(dop);
    gan_loss_free(l);
    gan_model_free(g);
    gan_model_free(d);
}
END_TEST

static int stop_after_two(uint64_t epoch, const gan_step_stats *mean, void *user)
{
    int *n = user;
    n[1]++;
    ck_assert(isfinite(mean->d_loss) && isfinite(mean->g_loss));
    return epoch >= 2;
}

START_TEST(test_fit_epochs_and_callbacks)
{
    enum { N = 100 };
    float x[N * 2];
    int dims[1] = {2}, calls[2] = {0, 0};
    gan_dataset *ds = NULL;
    gan_batch_config bc;
    uint64_t step, epoch;
    tu_pair p;
    rs.s = 4;
    tu_ring_batch(&rs, x, N, 0.05);
    OK(gan_dataset_create_float(&ds, x, N, 1, dims, NULL, 1));
    OK(GAN_BATCH_CONFIG_INIT(&bc));
    bc.batch_size = 32; /* 3 full batches per epoch, remainder dropped */
    OK(gan_dataset_set_batching(ds, &bc));
    make_mlp_pair(&p, GAN_LOSS_BCE, 1, 0.0f, 0, 6);
    ck_assert_int_eq(gan_trainer_fit(p.t, ds, 5, tu_count_steps, stop_after_two, calls), GAN_DONE);
    ck_assert_int_eq(calls[0], 6);
    ck_assert_int_eq(calls[1], 2);
    OK(gan_trainer_progress(p.t, &step, &epoch));
    ck_assert_uint_eq(step, 6);
    ck_assert_uint_eq(epoch, 2);
    OK(gan_trainer_fit(p.t, ds, 1, NULL, NULL, NULL));
    OK(gan_trainer_progress(p.t, &step, &epoch));
    ck_assert_uint_eq(step, 9);
    ck_assert_uint_eq(epoch, 3);
    tu_pair_free(&p);
    gan_dataset_free(ds);
}
END_TEST

START_TEST(test_fit_rejects_wrong_samples)
{
    float x[10 * 3] = {0};
    int dims[1] = {3};
    gan_dataset *ds = NULL;
    tu_pair p;
    OK(gan_dataset_create_float(&ds, x, 10, 1, dims, NULL, 1));
    make_mlp_pair(&p, GAN_LOSS_BCE, 1, 0.0f, 0, 6);
    ck_assert_int_eq(gan_trainer_fit(p.t, ds, 1, NULL, NULL, NULL), GAN_ESHAPE);
    ck_assert(strstr(gan_last_error(), "(3)") && strstr(gan_last_error(), "(2)"));
    tu_pair_free(&p);
    gan_dataset_free(ds);
}
END_TEST

/*
 * The seed's MNIST-style GAN for a few steps on random "images": losses stay
 * finite and in the band a fresh GAN shows (D about 2 ln 2, G about ln 2).
 */
START_TEST(test_seed_mnist_gan_steps)
{
    enum { B = 16 };
    tu_pair p;
    tu_pair_config c;
    gan_step_stats st;
    float *x = tu_alloc(B * 28 * 28);
    rs.s = 9;
    for (int i = 0; i < B * 28 * 28; i++)
        x[i] = (float)(tu_lcg_uniform(&rs) * 2 - 1);
    tu_pair_config_init(&c);   /* BCE, non-saturating G */
    c.opt.lr = 1e-4f;
    OK(tu_pair_create_models(&p, tu_preset(GAN_PRESET_MNIST_GENERATOR),
                             tu_preset(GAN_PRESET_MNIST_DISCRIMINATOR), &c));
    for (int s = 0; s < 3; s++) {
        GAN_STEP_STATS_INIT(&st);
        OK(gan_trainer_step(p.t, x, B * 28 * 28, B, &st));
        ck_assert_msg(st.d_loss > 0.5f && st.d_loss < 2.5f, "d_loss %g", (double)st.d_loss);
        ck_assert_msg(st.g_loss > 0.2f && st.g_loss < 2.0f, "g_loss %g", (double)st.g_loss);
    }
    tu_pair_free(&p);
    free(x);
}
END_TEST

static int keep_mean(uint64_t epoch, const gan_step_stats *mean, void *user)
{
    (void)epoch;
    *(gan_step_stats *)user = *mean;
    return 0;
}

/*
 * One epoch of the MNIST-style GAN on the first 1024 real Fashion-MNIST
 * images: the losses stay in a sane band (D not collapsing to 0, G not
 * exploding), as in the seed's first epochs (G about 0.7-1, D about 1.2-1.4).
 */
START_TEST(test_mnist_gan_epoch_on_fashion_mnist)
{
    gan_dataset *ds = NULL;
    tu_pair p;
    tu_pair_config c;
    gan_batch_config bc;
    gan_step_stats mean;
    ck_assert_msg(gan_dataset_load_mnist_dir(&ds, GAN_FASHION_MNIST_DIR, 1) == GAN_OK,
                  "Fashion-MNIST is needed (apt-get install dataset-fashion-mnist): %s",
                  gan_last_error());
    OK(gan_dataset_limit(ds, 1024));
    OK(GAN_BATCH_CONFIG_INIT(&bc));
    bc.batch_size = 64;
    OK(gan_dataset_set_batching(ds, &bc));
    tu_pair_config_init(&c);   /* BCE, non-saturating G */
    c.opt.lr = 1e-4f;
    OK(tu_pair_create_models(&p, tu_preset(GAN_PRESET_MNIST_GENERATOR),
                             tu_preset(GAN_PRESET_MNIST_DISCRIMINATOR), &c));
    GAN_STEP_STATS_INIT(&mean);
    OK(gan_trainer_fit(p.t, ds, 1, NULL, keep_mean, &mean));
    ck_assert_msg(mean.d_loss > 0.3f && mean.d_loss < 2.0f, "D loss %g out of band", (double)mean.d_loss);
    ck_assert_msg(mean.g_loss > 0.2f && mean.g_loss < 3.0f, "G loss %g out of band", (double)mean.g_loss);
    tu_pair_free(&p);
    gan_dataset_free(ds);
}
END_TEST

static Suite *train_suite(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("losses");
    tcase_add_test(tc, test_bce_values_closed_form);
    tcase_add_test(tc, test_bce_stable_for_huge_logits);
    tcase_add_loop_test(tc, test_loss_gradients, 0, (int)N_LOSS_CASES);
    tcase_add_test(tc, test_label_smoothing_value);
    tcase_add_test(tc, test_other_loss_values);
    tcase_add_test(tc, test_feature_matching);
    tcase_add_test(tc, test_loss_misuse);
    suite_add_tcase(s, tc);
    tc = tcase_create("optimizers");
    tcase_add_test(tc, test_optimizers_match_formulas);
    tcase_add_test(tc, test_optimizer_state_and_lr);
    tcase_add_test(tc, test_optimizer_skips_frozen_and_detects_model_change);
    suite_add_tcase(s, tc);
    tc = tcase_create("trainer");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_notebook_generator_shape_error);
    tcase_add_test(tc, test_reproducible_from_seed);
    tcase_add_test(tc, test_nan_step_is_undone);
    tcase_add_test(tc, test_wgan_clipping_and_n_critic);
    tcase_add_test(tc, test_feature_matching_trains);
    tcase_add_test(tc, test_fit_epochs_and_callbacks);
    tcase_add_test(tc, test_fit_rejects_wrong_samples);
    tcase_add_test(tc, test_seed_mnist_gan_steps);
    tcase_add_test(tc, test_ring_of_gaussians_covers_modes);
    tcase_add_test(tc, test_mnist_gan_epoch_on_fashion_mnist);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(train_suite());
}
