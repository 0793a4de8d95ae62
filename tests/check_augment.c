/*
 * check_augment.c -- differentiable augmentation and ADA in the trainer
 * (issue 15): each operation's backward is its transpose (finite
 * differences and the adjoint identity, every channel count); the
 * generator's gradient through an augmented discriminator against finite
 * differences of the generator loss (public API only); what the operations
 * do (ranges, alpha untouched, p = 0 is the identity); ADA raising p when D
 * is sure of the real images; checkpoints that resume the augmented run
 * bit for bit; and the refusals.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "train/train.h"   /* gan__aug_* */

#define ALL_OPS (GAN_AUGMENT_COLOR | GAN_AUGMENT_TRANSLATION | GAN_AUGMENT_CUTOUT)

/* J(x) = <w, aug(x)>: d J / d x = aug^T w, against central differences
   (the operations are linear: the difference is exact up to rounding). */
START_TEST(test_backward_is_the_transpose)
{
    const int h = 9, w = 7;
    for (int c = 1; c <= 4; c++) {
        const size_t n = 3, sample = (size_t)h * w * c;
        float *x = malloc(n * sample * sizeof *x), *y = malloc(n * sample * sizeof *y);
        float *wt = malloc(n * sample * sizeof *wt), *g = malloc(n * sample * sizeof *g);
        float *tmp = malloc(sample * sizeof *tmp), *y2 = malloc(n * sample * sizeof *y2);
        gan__aug_params ap[3];
        gan__rng rng;
        double worst = 0.0;
        gan__rng_seed(&rng, (uint64_t)c);
        gan__aug_draw(&rng, ALL_OPS, 1.0f, n, h, w, ap);
        tu_fill(x, n * sample, 10 + (uint64_t)c, -1.0f, 1.0f);
        tu_fill(wt, n * sample, 20 + (uint64_t)c, -1.0f, 1.0f);
        gan__aug_backward(ap, n, h, w, c, wt, g, tmp);
        for (size_t i = 0; i < n * sample; i += 5) {
            const float e = 1e-2f, keep = x[i];
            double jp = 0, jm = 0, fd;
            x[i] = keep + e;
            gan__aug_forward(ap, n, h, w, c, x, y, tmp);
            x[i] = keep - e;
            gan__aug_forward(ap, n, h, w, c, x, y2, tmp);
            x[i] = keep;
            for (size_t j = 0; j < n * sample; j++) {
                jp += (double)wt[j] * y[j];
                jm += (double)wt[j] * y2[j];
            }
            fd = (jp - jm) / (2.0 * e);
            worst = fmax(worst, fabs(fd - g[i]) / fmax(1.0, fabs(fd)));
        }
        ck_assert_msg(worst < 2e-3, "c = %d: backward differs from finite differences by %g", c,
                      worst);
        {   /* <aug(x) - aug(0), v> = <x, aug^T v>: the adjoint identity */
            double lhs = 0, rhs = 0;
            float *zero = calloc(n * sample, sizeof *zero);
            gan__aug_forward(ap, n, h, w, c, x, y, tmp);
            gan__aug_forward(ap, n, h, w, c, zero, y2, tmp);
            for (size_t j = 0; j < n * sample; j++) {
                lhs += ((double)y[j] - y2[j]) * wt[j];
                rhs += (double)x[j] * g[j];
            }
            ck_assert_msg(fabs(lhs - rhs) < 1e-3 * fmax(1.0, fabs(lhs)), "c = %d: %g vs %g", c,
                          lhs, rhs);
            free(zero);
        }
        free(x);
        free(y);
        free(y2);
        free(wt);
        free(g);
        free(tmp);
    }
}
END_TEST

/* p = 0 changes nothing; alpha is never touched by colour; ranges. */
START_TEST(test_what_the_operations_do)
{
    const int h = 16, w = 16, c = 4;
    const size_t n = 64, sample = (size_t)h * w * c;
    float *x = malloc(n * sample * sizeof *x), *y = malloc(n * sample * sizeof *y);
    float *tmp = malloc(sample * sizeof *tmp);
    gan__aug_params *ap = malloc(n * sizeof *ap);
    gan__rng rng;
    int shifted = 0, cut = 0, coloured = 0;
    tu_fill(x, n * sample, 5, -1.0f, 1.0f);
    gan__rng_seed(&rng, 1);
    gan__aug_draw(&rng, ALL_OPS, 0.0f, n, h, w, ap);
    gan__aug_forward(ap, n, h, w, c, x, y, tmp);
    ck_assert_int_eq(memcmp(x, y, n * sample * sizeof *x), 0);
    gan__aug_draw(&rng, GAN_AUGMENT_COLOR, 1.0f, n, h, w, ap);
    gan__aug_forward(ap, n, h, w, c, x, y, tmp);
    for (size_t i = 0; i < n; i++) {
        ck_assert(ap[i].bright >= -0.5f && ap[i].bright < 0.5f);
        ck_assert(ap[i].sat >= 0.0f && ap[i].sat < 2.0f);
        ck_assert(ap[i].contrast >= 0.5f && ap[i].contrast < 1.5f);
        coloured += ap[i].colour;
        for (size_t q = 0; q < (size_t)h * w; q++)   /* alpha untouched */
            ck_assert_float_eq(y[i * sample + q * c + 3], x[i * sample + q * c + 3]);
    }
    ck_assert_int_eq(coloured, (int)n);
    gan__aug_draw(&rng, GAN_AUGMENT_TRANSLATION | GAN_AUGMENT_CUTOUT, 0.5f, n, h, w, ap);
    for (size_t i = 0; i < n; i++) {
        ck_assert(abs(ap[i].tx) <= 2 && abs(ap[i].ty) <= 2);   /* round(16 / 8) */
        shifted += ap[i].tx != 0 || ap[i].ty != 0;
        cut += ap[i].cut;
        if (ap[i].cut) {
            ck_assert_int_eq(ap[i].ch, 8);
            ck_assert(ap[i].cy0 + 4 >= 0 && ap[i].cy0 + 4 <= 16);
        }
    }
    /* about half of 64 each (binomial: 32 +- 4; 14..50 is beyond 4.5 sd) */
    ck_assert_msg(cut > 14 && cut < 50, "cutout on %d of 64 at p 0.5", cut);
    ck_assert_msg(shifted > 8 && shifted < 50, "translation on %d of 64 at p 0.5", shifted);
    free(x);
    free(y);
    free(tmp);
    free(ap);
}
END_TEST

/* A small image pair: G latent 4 -> dense 4*4*2 -> reshape -> tanh;
   D conv 3x3 (4) -> leaky relu -> flatten -> dense 1. */
static void image_pair(gan_model **g, gan_model **d, int c)
{
    gan_dense_config dc;
    gan_conv2d_config cc;
    int lat = 4, img[3] = {4, 4, c};
    OK(gan_model_create(g, 1, &lat));
    OK(GAN_DENSE_CONFIG_INIT(&dc));
    dc.units = 16 * c;
    OK(gan_model_add_dense(*g, &dc));
    OK(gan_model_add_reshape(*g, 3, img));
    OK(gan_model_add_tanh(*g));
    OK(gan_model_create(d, 3, img));
    OK(GAN_CONV2D_CONFIG_INIT(&cc));
    cc.filters = 4;
    cc.padding = GAN_PADDING_SAME;
    OK(gan_model_add_conv2d(*d, &cc));
    OK(gan_model_add_leaky_relu(*d, 0.2f));
    OK(gan_model_add_flatten(*d));
    dc.units = 1;
    OK(gan_model_add_dense(*d, &dc));
    OK(gan_model_init_params(*g, 3));
    OK(gan_model_init_params(*d, 4));
}

static tu_pair augmented_pair(int c, uint64_t augment, float p, float ada_target)
{
    gan_model *g, *d;
    tu_pair_config pc;
    tu_pair pair;
    image_pair(&g, &d, c);
    tu_pair_config_init(&pc);
    pc.opt.kind = GAN_OPTIM_SGD;
    pc.opt.lr = 0.05f;
    pc.trainer.augment = augment;
    pc.trainer.augment_p = p;
    pc.trainer.ada_target = ada_target;
    pc.trainer.ada_interval = 2;
    pc.trainer.ada_speed = 200.0f;
    pc.trainer.seed = 11;
    ck_assert_int_eq(tu_pair_create_models(&pair, g, d, &pc), GAN_OK);
    return pair;
}

/* The generator's gradient through the augmentation: a step's G gradient
   against central differences of the step's G loss, each evaluated from
   the same checkpoint (same noise and the same augmentation draws). */
START_TEST(test_generator_gradient_through_augmentation)
{
    const int c = 3;
    const size_t batch = 6, sample = 4 * 4 * c;
    tu_pair p = augmented_pair(c, ALL_OPS, 1.0f, 0.0f);
    float real[6 * 48], *grad, *params;
    size_t np;
    void *buf = NULL;
    size_t len = 0;
    gan_step_stats s;
    double worst = 0.0;
    tu_fill(real, batch * sample, 9, -1.0f, 1.0f);
    OK(gan_trainer_save_mem(p.t, NULL, &buf, &len));
    OK(gan_model_layer_sizes(p.g, 0, &np, NULL));
    grad = malloc(np * sizeof *grad);
    params = malloc(np * sizeof *params);
    GAN_STEP_STATS_INIT(&s);
    OK(gan_trainer_step(p.t, real, batch * sample, batch, &s));
    OK(gan_model_get_grads(p.g, 0, grad, np));
    for (size_t j = 0; j < np; j += 7) {
        double l[2];
        for (int sgn = 0; sgn < 2; sgn++) {
            gan_trainer *t2 = NULL;
            gan_model *g2;
            gan_step_stats s2;
            OK(gan_trainer_load_mem(&t2, NULL, buf, len));
            OK(gan_trainer_models(t2, &g2, NULL, NULL, NULL));
            OK(gan_model_get_params(g2, 0, params, np));
            params[j] += sgn ? -1e-2f : 1e-2f;
            OK(gan_model_set_params(g2, 0, params, np));
            GAN_STEP_STATS_INIT(&s2);
            OK(gan_trainer_step(t2, real, batch * sample, batch, &s2));
            l[sgn] = s2.g_loss;
            gan_trainer_free(t2);
        }
        {
            double fd = (l[0] - l[1]) / 2e-2;
            worst = fmax(worst, fabs(fd - grad[j]) / fmax(0.05, fabs(fd)));
        }
    }
    ck_assert_msg(worst < 0.05, "G gradient through the augmentation: relative error %g", worst);
    free(grad);
    free(params);
    gan_free(buf);
    tu_pair_free(&p);
}
END_TEST

/* ADA: a discriminator that tells 8 fixed real images from a generator
   that cannot learn (SGD lr 0 for G would be refused: its lr is tiny)
   scores them positive, so r_t > 0.6 and p climbs from 0. */
START_TEST(test_ada_raises_p_when_d_overfits)
{
    const int c = 1;
    const size_t batch = 8, sample = 16;
    tu_pair p = augmented_pair(c, GAN_AUGMENT_TRANSLATION, 0.0f, 0.6f);
    float real[8 * 16], pr = -1, rt = -2;
    for (size_t i = 0; i < batch * sample; i++)
        real[i] = (i % 3) ? 0.9f : -0.9f;
    OK(gan_trainer_augment_state(p.t, &pr, &rt));
    ck_assert_float_eq(pr, 0.0f);
    ck_assert_float_eq(rt, 0.0f);
    for (int s = 0; s < 60; s++)
        OK(gan_trainer_step(p.t, real, batch * sample, batch, NULL));
    OK(gan_trainer_augment_state(p.t, &pr, &rt));
    /* 30 adjustments of 16 images / 200 each: p rises when r_t > 0.6 */
    ck_assert_msg(rt > 0.6f, "r_t %g: D should be sure of the real images", (double)rt);
    ck_assert_msg(pr > 0.2f && pr <= 1.0f, "p %g should have risen", (double)pr);
    tu_pair_free(&p);
}
END_TEST

/* Save after 5 steps, run 6 more; load and run the same 6: identical
   parameters, p and r_t. */
START_TEST(test_checkpoint_resumes_exactly)
{
    const int c = 4;
    const size_t batch = 5, sample = 16 * 4;
    tu_pair p = augmented_pair(c, ALL_OPS, 0.5f, 0.3f);
    float real[5 * 64], p1, p2, r1, r2;
    void *buf = NULL, *b1 = NULL, *b2 = NULL;
    size_t len = 0, l1 = 0, l2 = 0;
    gan_trainer *t2 = NULL;
    gan_trainer_config tc;
    tu_fill(real, batch * sample, 2, -1.0f, 1.0f);
    for (int s = 0; s < 5; s++)
        OK(gan_trainer_step(p.t, real, batch * sample, batch, NULL));
    OK(gan_trainer_save_mem(p.t, NULL, &buf, &len));
    for (int s = 0; s < 6; s++)
        OK(gan_trainer_step(p.t, real, batch * sample, batch, NULL));
    OK(gan_trainer_load_mem(&t2, NULL, buf, len));
    OK(GAN_TRAINER_CONFIG_INIT(&tc));
    OK(gan_trainer_get_config(t2, &tc));
    ck_assert_uint_eq(tc.augment, ALL_OPS);
    ck_assert_float_eq(tc.augment_p, 0.5f);
    ck_assert_float_eq(tc.ada_target, 0.3f);
    ck_assert_int_eq(tc.ada_interval, 2);
    ck_assert_float_eq(tc.ada_speed, 200.0f);
    for (int s = 0; s < 6; s++)
        OK(gan_trainer_step(t2, real, batch * sample, batch, NULL));
    OK(gan_trainer_augment_state(p.t, &p1, &r1));
    OK(gan_trainer_augment_state(t2, &p2, &r2));
    ck_assert_float_eq(p1, p2);
    ck_assert_float_eq(r1, r2);
    ck_assert_float_ne(p1, 0.5f);   /* ADA moved it */
    OK(gan_trainer_save_mem(p.t, NULL, &b1, &l1));
    OK(gan_trainer_save_mem(t2, NULL, &b2, &l2));
    ck_assert_uint_eq(l1, l2);
    ck_assert_int_eq(memcmp(b1, b2, l1), 0);
    gan_free(buf);
    gan_free(b1);
    gan_free(b2);
    gan_trainer_free(t2);
    tu_pair_free(&p);
}
END_TEST

/* A checkpoint's augmentation record is validated like everything else. */
START_TEST(test_refusals)
{
    gan_model *g, *d;
    gan_optimizer *go = NULL, *dop = NULL;
    gan_loss *l = NULL;
    gan_trainer *t = NULL;
    gan_trainer_config tc;
    gan_optimizer_config oc;
    image_pair(&g, &d, 2);
    OK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
    OK(gan_optimizer_create(&go, g, &oc));
    OK(gan_optimizer_create(&dop, d, &oc));
    {
        gan_loss_config lc;
        OK(GAN_LOSS_CONFIG_INIT(&lc));
        OK(gan_loss_create(&l, &lc));
    }
#define REFUSE(field, value, word)                                                         \
    do {                                                                                   \
        OK(GAN_TRAINER_CONFIG_INIT(&tc));                                                  \
        tc.augment = GAN_AUGMENT_COLOR;                                                    \
        tc.field = value;                                                                  \
        ck_assert_int_eq(gan_trainer_create(&t, g, d, go, dop, l, &tc), GAN_EINVAL);       \
        ck_assert_msg(strstr(gan_last_error(), word), "%s", gan_last_error());             \
    } while (0)
    REFUSE(augment, 8, "unknown bits");
    REFUSE(augment_p, 1.5f, "augment_p");
    REFUSE(augment_p, NAN, "augment_p");
    REFUSE(ada_target, 1.0f, "ada_target");
    REFUSE(ada_target, -0.1f, "ada_target");
    REFUSE(ada_interval, 0, "ada_interval");
    REFUSE(ada_speed, 0.0f, "ada_speed");
#undef REFUSE
    OK(GAN_TRAINER_CONFIG_INIT(&tc));
    tc.ada_target = 0.6f;
    ck_assert_int_eq(gan_trainer_create(&t, g, d, go, dop, l, &tc), GAN_EINVAL);
    ck_assert_ptr_nonnull(strstr(gan_last_error(), "without augment"));
    ck_assert_int_eq(gan_trainer_augment_state(NULL, NULL, NULL), GAN_EINVAL);
    gan_loss_free(l);
    gan_optimizer_free(go);
    gan_optimizer_free(dop);
    gan_model_free(g);
    gan_model_free(d);
    {   /* vectors cannot be augmented */
        tu_pair_config pc;
        tu_pair pair;
        tu_pair_config_init(&pc);
        pc.trainer.augment = GAN_AUGMENT_TRANSLATION;
        ck_assert_int_eq(tu_pair_create(&pair, &pc), GAN_ESHAPE);
        tu_pair_free(&pair);
    }
}
END_TEST

static Suite *augment_suite(void)
{
    Suite *s = suite_create("augment");
    TCase *t = tcase_create("augment");
    tcase_add_test(t, test_backward_is_the_transpose);
    tcase_add_test(t, test_what_the_operations_do);
    tcase_add_test(t, test_generator_gradient_through_augmentation);
    tcase_add_test(t, test_ada_raises_p_when_d_overfits);
    tcase_add_test(t, test_checkpoint_resumes_exactly);
    tcase_add_test(t, test_refusals);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(augment_suite());
}
