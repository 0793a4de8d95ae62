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

#define OK(call) ck_assert_msg((call) == GAN_OK, "%s: %s", #call, gan_last_error())

static uint64_t rs = 3;
static float frand(void)
{
    rs = rs * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((rs >> 40) & 0xffffff) / 16777216.0f * 2.0f - 1.0f;
}

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

/* Analytic gradient vs central differences over every parameter. */
static void check_critic(gan_model *d, size_t n, int r1)
{
    const size_t in_e = gan__shape_elems(&d->in);
    float *x = malloc(n * in_e * sizeof(float));
    float *analytic;
    gan__penalty_buf *pb = NULL;
    double v, v_pub, worst = 0.0;
    const float w = r1 ? 2.0f : 10.0f, eps = 2e-3f;
    size_t bad = 0, checked = 0, skipped = 0;
    for (size_t i = 0; i < n * in_e; i++)
        x[i] = frand();
    state0 = NULL;
    if (d->n_state) {
        /* Spectral normalisation: u at its fixed point, then frozen there. */
        for (int it = 0; it < 300; it++)
            OK(gan_model_forward(d, x, n * in_e, n, GAN_MODE_TRAIN, NULL, 0));
        state0 = malloc(d->n_state * sizeof(float));
        memcpy(state0, d->state, d->n_state * sizeof(float));
    }
    OK(gan_model_zero_grad(d));
    OK(gan__gradient_penalty(d, &pb, x, cur_labels, n, r1, w, &v));
    /* Copy first: the public recomputation's backward adds to the arena. */
    analytic = malloc(d->n_params * sizeof(float));
    memcpy(analytic, d->grads, d->n_params * sizeof(float));
    v_pub = penalty_public(d, x, n, in_e, r1, w);
    ck_assert_msg(fabs(v - v_pub) <= 1e-5 * (1.0 + fabs(v_pub)), "value %g vs public API %g", v, v_pub);
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
        if (fabs(num - a) > 2e-3 + 2e-2 * fabs(num)) {
            /* P jumps where a ReLU unit changes slope: then the one-sided
               differences at a finer step disagree with each other.  Such
               points are skipped (at most 15%); elsewhere the finer
               estimate must match. */
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
            if (fabs(num - a) > 2e-3 + 2e-2 * fabs(num)) {
                if (getenv("GAN_DEBUG_PENALTY"))
                    fprintf(stderr, "param %zu: analytic %g numeric %g\n", p, a, num);
                bad++;
                if (fabs(num - a) > worst)
                    worst = fabs(num - a);
            }
        }
    }
    ck_assert_msg(skipped * 100 <= checked * 15, "%zu of %zu points sat on kinks", skipped, checked);
    ck_assert_msg(bad == 0, "%zu of %zu parameter gradients disagree (worst abs error %g)", bad, checked,
                  worst);
    {   /* the gradient is not trivially zero */
        double mx = 0.0;
        for (size_t p = 0; p < d->n_params; p++)
            mx = fmax(mx, fabs(analytic[p]));
        ck_assert_msg(mx > 1e-3, "penalty gradient is all zero");
    }
    free(analytic);
    free(x);
    free(state0);
    state0 = NULL;
    gan__penalty_buf_free(pb);
}

static gan_model *conv_critic(int transpose)
{
    gan_model *m = NULL;
    int in[3] = {5, 5, 2};
    gan_conv2d_config c;
    gan_dense_config d;
    OK(gan_model_create(&m, 3, in));
    OK(GAN_CONV2D_CONFIG_INIT(&c));
    c.filters = 3;
    c.kernel_h = c.kernel_w = 3;
    c.stride_h = c.stride_w = 2;
    c.padding = GAN_PADDING_SAME;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    if (transpose) {
        c.filters = 2;
        c.kernel_h = c.kernel_w = 2;
        OK(gan_model_add_conv2d_transpose(m, &c));
        OK(gan_model_add_relu(m));
    }
    OK(gan_model_add_flatten(m));
    OK(GAN_DENSE_CONFIG_INIT(&d));
    d.units = 1;
    OK(gan_model_add_dense(m, &d));
    OK(gan_model_init_params(m, 5));
    return m;
}

static gan_model *mlp_critic(void)
{
    gan_model *m = NULL;
    int in[1] = {4};
    gan_dense_config d;
    OK(gan_model_create(&m, 1, in));
    OK(GAN_DENSE_CONFIG_INIT(&d));
    d.units = 6;
    OK(gan_model_add_dense(m, &d));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    d.units = 5;
    OK(gan_model_add_dense(m, &d));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    d.units = 1;
    OK(gan_model_add_dense(m, &d));
    OK(gan_model_init_params(m, 9));
    return m;
}

/* Conditional critics of 3 classes: class maps appended to an image, or a
   trainable embedding appended to a vector, and a projection head (kind 2:
   followed by a leaky ReLU and a dense layer, whose penalty gradient needs
   the projection's Jacobian-vector product). */
static gan_model *cond_critic(int kind)
{
    const int image = kind == 1;
    gan_model *m = NULL;
    int vin[1] = {4}, iin[3] = {5, 5, 2};
    gan_dense_config d;
    gan_conv2d_config c;
    OK(GAN_DENSE_CONFIG_INIT(&d));
    if (image) {
        OK(gan_model_create(&m, 3, iin));
        OK(gan_model_add_class_embedding(m, 3, 1));
        OK(GAN_CONV2D_CONFIG_INIT(&c));
        c.filters = 3;
        c.kernel_h = c.kernel_w = 3;
        c.stride_h = c.stride_w = 2;
        c.padding = GAN_PADDING_SAME;
        OK(gan_model_add_conv2d(m, &c));
        OK(gan_model_add_leaky_relu(m, 0.2f));
        OK(gan_model_add_flatten(m));
    } else {
        OK(gan_model_create(&m, 1, vin));
        OK(gan_model_add_class_embedding(m, 3, 2));
        d.units = 6;
        OK(gan_model_add_dense(m, &d));
        OK(gan_model_add_leaky_relu(m, 0.2f));
    }
    d.units = 5;
    OK(gan_model_add_dense(m, &d));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    OK(gan_model_add_class_projection(m, 3));
    if (kind == 2) {
        d.units = 1;
        OK(gan_model_add_leaky_relu(m, 0.2f));
        OK(gan_model_add_dense(m, &d));
    }
    OK(gan_model_init_params(m, 13));
    return m;
}

START_TEST(test_penalties_conditional_critics)
{
    static const int32_t labels[3] = {2, 0, 1};
    for (int kind = 0; kind < 3; kind++)
        for (int r1 = 0; r1 < 2; r1++) {
            gan_model *m = cond_critic(kind);
            cur_labels = labels;
            check_critic(m, kind == 1 ? 2 : 3, r1);
            cur_labels = NULL;
            gan_model_free(m);
        }
}
END_TEST

START_TEST(test_wgan_gp_gradient_dense)
{
    gan_model *m = mlp_critic();
    check_critic(m, 3, 0);
    gan_model_free(m);
}
END_TEST

START_TEST(test_wgan_gp_gradient_conv)
{
    gan_model *m = conv_critic(0);
    check_critic(m, 2, 0);
    gan_model_free(m);
}
END_TEST

START_TEST(test_wgan_gp_gradient_conv_transpose)
{
    gan_model *m = conv_critic(1);
    check_critic(m, 2, 0);
    gan_model_free(m);
}
END_TEST

START_TEST(test_r1_gradient)
{
    gan_model *m = conv_critic(0), *d = mlp_critic();
    check_critic(m, 2, 1);
    check_critic(d, 3, 1);
    gan_model_free(m);
    gan_model_free(d);
}
END_TEST

/* A critic with up-sampling (nn/layers/upsample.c) between convolutions,
   a leaky ReLU run in place over its output: its J u is the up-sampling of
   u, and the weights below it get their penalty gradient through it. */
static gan_model *upsample_critic(void)
{
    gan_model *m = NULL;
    int in[3] = {3, 3, 2};
    gan_conv2d_config c;
    gan_dense_config d;
    OK(gan_model_create(&m, 3, in));
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
    OK(GAN_DENSE_CONFIG_INIT(&d));
    d.units = 1;
    OK(gan_model_add_dense(m, &d));
    OK(gan_model_init_params(m, 17));
    return m;
}

START_TEST(test_upsample_critic)
{
    gan_model *m = upsample_critic();
    OK(gan__penalty_supported(m));
    check_critic(m, 2, 0);
    check_critic(m, 2, 1);
    gan_model_free(m);
}
END_TEST

/* The same critics with every dense and convolution layer spectrally
   normalised. */
START_TEST(test_spectral_norm_critics)
{
    gan_model *m = mlp_critic(), *c = conv_critic(0), *t = conv_critic(1);
    size_t ns;
    OK(gan_model_set_spectral_norm(m, -1, 1));
    OK(gan_model_set_spectral_norm(c, -1, 1));
    OK(gan_model_set_spectral_norm(t, -1, 1));
    OK(gan_model_layer_sizes(t, 2, NULL, &ns));
    ck_assert_uint_eq(ns, 2);               /* the transpose is normalised too */
    OK(gan__penalty_supported(t));
    check_critic(m, 3, 0);
    check_critic(m, 3, 1);
    check_critic(c, 2, 0);
    check_critic(t, 2, 0);
    check_critic(t, 2, 1);
    gan_model_free(m);
    gan_model_free(c);
    gan_model_free(t);
}
END_TEST

START_TEST(test_unsupported_critic_refused)
{
    gan_model *g = NULL, *d = NULL;
    gan_optimizer *go = NULL, *dopt = NULL;
    gan_optimizer_config oc;
    gan_loss_config lc;
    gan_loss *loss = NULL;
    gan_trainer *t = NULL;
    OK(gan_model_create_preset(&g, GAN_PRESET_DCGAN_CIFAR10_GENERATOR));
    /* The CIFAR generator as a "critic" input check is not needed: any
       model with batchnorm is refused as a penalised critic. */
    {
        int in[3] = {32, 32, 3};
        gan_conv2d_config c;
        gan_dense_config dc;
        OK(gan_model_create(&d, 3, in));
        OK(GAN_CONV2D_CONFIG_INIT(&c));
        c.filters = 4;
        c.kernel_h = c.kernel_w = 4;
        c.stride_h = c.stride_w = 2;
        c.padding = GAN_PADDING_SAME;
        OK(gan_model_add_conv2d(d, &c));
        OK(gan_model_add_batchnorm(d, NULL));
        OK(gan_model_add_flatten(d));
        OK(GAN_DENSE_CONFIG_INIT(&dc));
        dc.units = 1;
        OK(gan_model_add_dense(d, &dc));
    }
    OK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
    OK(gan_optimizer_create(&go, g, &oc));
    OK(gan_optimizer_create(&dopt, d, &oc));
    OK(GAN_LOSS_CONFIG_INIT(&lc));
    lc.kind = GAN_LOSS_WASSERSTEIN;
    lc.gradient_penalty = 10.0f;
    OK(gan_loss_create(&loss, &lc));
    ck_assert_int_eq(gan_trainer_create(&t, g, d, go, dopt, loss, NULL), GAN_EUNSUPPORTED);
    ck_assert_msg(strstr(gan_last_error(), "batchnorm") != NULL, "%s", gan_last_error());
    lc.gradient_penalty = -1.0f;
    gan_loss_free(loss);
    loss = NULL;
    ck_assert_int_eq(gan_loss_create(&loss, &lc), GAN_EINVAL);
    gan_optimizer_free(go);
    gan_optimizer_free(dopt);
    gan_model_free(g);
    gan_model_free(d);
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
    int lat[1] = {8}, pt[1] = {2};
    gan_model *g = NULL, *d = NULL;
    gan_optimizer *go = NULL, *dopt = NULL;
    gan_optimizer_config oc;
    gan_loss_config lc;
    gan_trainer_config tc;
    gan_loss *loss = NULL;
    gan_trainer *t = NULL;
    gan_dense_config dc;
    float x[NC * B * 2];
    gan_step_stats st;
    OK(gan_model_create(&g, 1, lat));
    OK(gan_model_create(&d, 1, pt));
    OK(GAN_DENSE_CONFIG_INIT(&dc));
    dc.units = 64;
    for (int i = 0; i < 2; i++) {
        OK(gan_model_add_dense(g, &dc));
        OK(gan_model_add_relu(g));
        OK(gan_model_add_dense(d, &dc));
        OK(gan_model_add_leaky_relu(d, 0.2f));
    }
    dc.units = 2;
    OK(gan_model_add_dense(g, &dc));
    dc.units = 1;
    OK(gan_model_add_dense(d, &dc));
    OK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
    oc.lr = 1e-4f;
    oc.beta1 = 0.0f;
    oc.beta2 = 0.9f;
    OK(gan_optimizer_create(&go, g, &oc));
    OK(gan_optimizer_create(&dopt, d, &oc));
    OK(GAN_LOSS_CONFIG_INIT(&lc));
    lc.kind = GAN_LOSS_WASSERSTEIN;
    lc.gradient_penalty = 10.0f;
    OK(gan_loss_create(&loss, &lc));
    OK(GAN_TRAINER_CONFIG_INIT(&tc));
    tc.n_critic = NC;
    OK(gan_trainer_create(&t, g, d, go, dopt, loss, &tc));
    for (int s = 0; s < 30; s++) {
        for (int i = 0; i < NC * B; i++) {
            double a = (double)((unsigned)(frand() * 4 + 4) % 8) * 6.283185307179586 / 8;
            x[2 * i] = (float)(2 * cos(a) + 0.05 * frand());
            x[2 * i + 1] = (float)(2 * sin(a) + 0.05 * frand());
        }
        GAN_STEP_STATS_INIT(&st);
        OK(gan_trainer_step(t, x, NC * B * 2, B, &st));
        ck_assert(isfinite(st.d_loss) && isfinite(st.g_loss));
    }
    {   /* Penalty at interpolates is now small: gradient norms near 1. */
        gan__penalty_buf *pb = NULL;
        double v;
        OK(gan__gradient_penalty(d, &pb, x, NULL, B, 0, 1.0f, &v));
        ck_assert_msg(v < 0.5, "mean (||grad|| - 1)^2 = %g", v);
        gan__penalty_buf_free(pb);
    }
    gan_trainer_free(t);
    gan_loss_free(loss);
    gan_optimizer_free(go);
    gan_optimizer_free(dopt);
    gan_model_free(g);
    gan_model_free(d);
}
END_TEST

static Suite *penalty_suite(void)
{
    Suite *s = suite_create("penalty");
    TCase *tc = tcase_create("gradients");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_wgan_gp_gradient_dense);
    tcase_add_test(tc, test_wgan_gp_gradient_conv);
    tcase_add_test(tc, test_wgan_gp_gradient_conv_transpose);
    tcase_add_test(tc, test_r1_gradient);
    tcase_add_test(tc, test_penalties_conditional_critics);
    tcase_add_test(tc, test_spectral_norm_critics);
    tcase_add_test(tc, test_upsample_critic);
    tcase_add_test(tc, test_unsupported_critic_refused);
    tcase_add_test(tc, test_wgan_gp_trains);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(penalty_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
