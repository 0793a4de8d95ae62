/*
 * check_class_aux.c -- the auxiliary classifier (AC-GAN): the
 * class_projection_aux layer (libgan/nn/layers/class_projection.c), the
 * class loss (gan_loss_class, libgan/train/loss.c) and the trainer's use of
 * both (gan_loss_config.class_weight): values against the definitions
 * written out, finite-difference gradients, the checks, what the loss
 * trains and what it leaves alone, and the checkpoint.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

/* ---- the layer ------------------------------------------------------------------------ */

/* out = [<w, h> + b + <V[y], h>,  U h + c]: every output term by term, and
   the adversarial column equal to a class_projection's with the same w, b, V. */
START_TEST(test_layer_matches_definition)
{
    enum { N = 5, F = 4, K = 3, P0 = F + 1 + K * F, P = P0 + K * F + K, O = 1 + K };
    gan_model *m = tu_model(1, F, 0, 0), *plain = tu_model(1, F, 0, 0);
    float x[N * F], y[N * O], yp[N], w[P];
    const int32_t lab[N] = {2, 0, 1, 2, 1};
    gan_layer_kind kind;
    int nc = 0;
    OK(gan_model_add_class_projection_aux(m, K));
    OK(gan_model_add_class_projection(plain, K));
    ck_assert_uint_eq(tu_layer_params(m, 0), P);
    ck_assert_uint_eq(tu_out_elems(m), O);
    OK(gan_model_layer_kind(m, 0, &kind));
    ck_assert_int_eq(kind, GAN_LAYER_CLASS_PROJECTION_AUX);
    OK(gan_model_num_classes(m, &nc));
    ck_assert_int_eq(nc, K);
    OK(gan_model_get_params(m, 0, w, P));
    ck_assert_float_eq(w[F], 0.0f);         /* b */
    for (int k = 0; k < K; k++)
        ck_assert_float_eq(w[P - K + k], 0.0f); /* c */
    tu_fill(w, P, 3, -1.0f, 1.0f);
    OK(gan_model_set_params(m, 0, w, P));
    OK(gan_model_set_params(plain, 0, w, P0));
    tu_fill(x, N * F, 4, -1.0f, 1.0f);
    OK(gan_model_forward_labeled(m, x, N * F, lab, N, GAN_MODE_INFER, y, N * O));
    OK(gan_model_forward_labeled(plain, x, N * F, lab, N, GAN_MODE_INFER, yp, N));
    for (int n = 0; n < N; n++) {
        double adv = w[F];
        for (int f = 0; f < F; f++)
            adv += ((double)w[f] + w[F + 1 + lab[n] * F + f]) * x[n * F + f];
        ck_assert_double_eq_tol(y[n * O], adv, 1e-5);
        ck_assert_float_eq(y[n * O], yp[n]);
        for (int k = 0; k < K; k++) {
            double z = w[P - K + k];
            for (int f = 0; f < F; f++)
                z += (double)w[P0 + k * F + f] * x[n * F + f];
            ck_assert_double_eq_tol(y[n * O + 1 + k], z, 1e-5);
        }
    }
    gan_model_free(m);
    gan_model_free(plain);
}
END_TEST

/* A gradient that is zero on the class logits gives exactly the
   class_projection's gradients, and U and c get none. */
START_TEST(test_layer_backward_without_class_gradient)
{
    enum { N = 4, F = 3, K = 2, P0 = F + 1 + K * F, P = P0 + K * F + K, O = 1 + K };
    gan_model *m = tu_model(1, F, 0, 0), *plain = tu_model(1, F, 0, 0);
    float x[N * F], w[P], dy[N * O] = {0}, dyp[N], dx[N * F], dxp[N * F], g[P], gp[P0];
    const int32_t lab[N] = {1, 0, 1, 1};
    OK(gan_model_add_class_projection_aux(m, K));
    OK(gan_model_add_class_projection(plain, K));
    tu_fill(w, P, 5, -1.0f, 1.0f);
    OK(gan_model_set_params(m, 0, w, P));
    OK(gan_model_set_params(plain, 0, w, P0));
    tu_fill(x, N * F, 6, -1.0f, 1.0f);
    tu_fill(dyp, N, 7, -1.0f, 1.0f);
    for (int n = 0; n < N; n++)
        dy[n * O] = dyp[n];
    OK(gan_model_zero_grad(m));
    OK(gan_model_zero_grad(plain));
    OK(gan_model_forward_labeled(m, x, N * F, lab, N, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_backward(m, dy, N * O, dx, N * F));
    OK(gan_model_forward_labeled(plain, x, N * F, lab, N, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_backward(plain, dyp, N, dxp, N * F));
    OK(gan_model_get_grads(m, 0, g, P));
    OK(gan_model_get_grads(plain, 0, gp, P0));
    ck_assert_int_eq(memcmp(dx, dxp, sizeof dx), 0);
    ck_assert_int_eq(memcmp(g, gp, sizeof gp), 0);
    for (int i = P0; i < P; i++)
        ck_assert_float_eq(g[i], 0.0f);
    gan_model_free(m);
    gan_model_free(plain);
}
END_TEST

static gan_model *aux_head(int arg)
{
    gan_model *m = tu_model(1, 4, 0, 0);
    tu_add_dense(m, 5, 1);
    OK(gan_model_add_leaky_relu(m, 0.2f));
    OK(gan_model_add_class_projection_aux(m, arg));
    tu_randomize_params(m, 12, 0.8f);
    return m;
}

static const tu_grad_case grad_cases[] = {
    {"class projection aux, 3 classes", aux_head, 3, TU_GRAD_LABELLED(6, 3, 8, 16)},
    {"class projection aux, 1 class", aux_head, 1, TU_GRAD_LABELLED(4, 1, 9, 17)},
};
#define N_GRAD_CASES (sizeof grad_cases / sizeof grad_cases[0])

START_TEST(test_grad_case)
{
    tu_run_grad_case(&grad_cases[_i]);
}
END_TEST

/* Saved and loaded: the same kind, classes and outputs. */
START_TEST(test_layer_file_round_trip)
{
    enum { N = 3, F = 4, K = 3, O = 1 + K };
    gan_model *m = aux_head(K), *back = NULL;
    void *buf = NULL;
    size_t len = 0;
    float x[N * 4], y[N * O], y2[N * O];
    const int32_t lab[N] = {0, 2, 1};
    gan_layer_kind kind;
    tu_fill(x, N * F, 10, -1.0f, 1.0f);
    OK(gan_model_save_mem(m, &buf, &len));
    OK(gan_model_load_mem(&back, buf, len));
    OK(gan_model_layer_kind(back, 2, &kind));
    ck_assert_int_eq(kind, GAN_LAYER_CLASS_PROJECTION_AUX);
    OK(gan_model_forward_labeled(m, x, N * F, lab, N, GAN_MODE_INFER, y, N * O));
    OK(gan_model_forward_labeled(back, x, N * F, lab, N, GAN_MODE_INFER, y2, N * O));
    ck_assert_int_eq(memcmp(y, y2, sizeof y), 0);
    gan_free(buf);
    gan_model_free(m);
    gan_model_free(back);
}
END_TEST

START_TEST(test_layer_errors)
{
    gan_model *m = tu_model(1, 3, 0, 0), *img = tu_model(3, 2, 2, 1);
    TU_ASSERT_ERROR(gan_model_add_class_projection_aux(NULL, 3), GAN_EINVAL, "gan_model");
    TU_ASSERT_ERROR(gan_model_add_class_projection_aux(m, 0), GAN_EINVAL, "n_classes 0");
    TU_ASSERT_ERROR(gan_model_add_class_projection_aux(img, 2), GAN_ESHAPE,
                    "class_projection_aux", "flatten");
    OK(gan_model_add_class_embedding(m, 3, 2));
    TU_ASSERT_ERROR(gan_model_add_class_projection_aux(m, 4), GAN_EINVAL, "n_classes 4",
                    "3 classes");
    gan_model_free(m);
    gan_model_free(img);
}
END_TEST

/* ---- the loss ------------------------------------------------------------------------- */

static gan_loss *class_loss(float weight)
{
    gan_loss_config lc;
    gan_loss *l = NULL;
    OK(GAN_LOSS_CONFIG_INIT(&lc));
    lc.kind = GAN_LOSS_HINGE;
    lc.class_weight = weight;
    OK(gan_loss_create(&l, &lc));
    return l;
}

/* The value against log-sum-exp written out (logits as large as 80, where
   a naive exp would overflow a float), the gradient against central
   differences of the value in double, column 0 untouched by both. */
START_TEST(test_loss_value_and_gradient)
{
    enum { N = 4, K = 3, O = 1 + K };
    gan_loss *l = class_loss(0.5f);
    float out[N * O] = {3, 1, 2, 0, -7, 80, 79, -80, 0, 0, 0, 0, 1, -1, 0.5f, 0.25f};
    const int32_t lab[N] = {0, 1, 2, 2};
    float v, g[N * O];
    double want = 0.0;
    OK(gan_loss_class(l, out, N, K, lab, &v, g));
    for (int i = 0; i < N; i++) {
        double mx = -1e300, s = 0.0;
        for (int k = 0; k < K; k++)
            mx = fmax(mx, out[i * O + 1 + k]);
        for (int k = 0; k < K; k++)
            s += exp(out[i * O + 1 + k] - mx);
        want += mx + log(s) - out[i * O + 1 + lab[i]];
    }
    want *= 0.5 / N;
    ck_assert(isfinite(v));
    ck_assert_double_eq_tol(v, want, 1e-6 * fmax(1.0, fabs(want)));
    for (int i = 0; i < N * O; i++) {
        float p[N * O], vp, vm;
        const float h = 1e-2f;
        if (i % O == 0) {
            ck_assert_float_eq(g[i], 0.0f);
            continue;
        }
        memcpy(p, out, sizeof p);
        p[i] = out[i] + h;
        OK(gan_loss_class(l, p, N, K, lab, &vp, NULL));
        p[i] = out[i] - h;
        OK(gan_loss_class(l, p, N, K, lab, &vm, NULL));
        ck_assert_msg(fabs(g[i] - (vp - vm) / (2.0 * h)) < 2e-4, "d_out[%d]: %g vs %g", i,
                      (double)g[i], ((double)vp - vm) / (2.0 * h));
    }
    gan_loss_free(l);
}
END_TEST

START_TEST(test_loss_errors)
{
    enum { N = 2, K = 2, O = 1 + K };
    gan_loss *l = class_loss(1.0f), *off = class_loss(0.0f), *bad = NULL;
    gan_loss_config lc;
    float out[N * O] = {0, 1, 2, 0, 3, 4}, v = 1.0f, g[N * O];
    int32_t lab[N] = {1, 0};
    TU_ASSERT_ERROR(gan_loss_class(NULL, out, N, K, lab, &v, g), GAN_EINVAL, "gan_loss");
    TU_ASSERT_ERROR(gan_loss_class(l, out, 0, K, lab, &v, g), GAN_EINVAL, "no elements");
    TU_ASSERT_ERROR(gan_loss_class(l, out, N, 0, lab, &v, g), GAN_EINVAL, "n_classes 0");
    TU_ASSERT_ERROR(gan_loss_class(l, out, N, K, NULL, &v, g), GAN_EINVAL, "labels");
    lab[1] = 2;
    TU_ASSERT_ERROR(gan_loss_class(l, out, N, K, lab, &v, g), GAN_EINVAL, "label 1 is 2");
    lab[1] = 0;
    out[4] = NAN;
    TU_ASSERT_ERROR(gan_loss_class(l, out, N, K, lab, &v, g), GAN_ENUMERIC, "NaN");
    out[4] = 3;
    OK(gan_loss_class(off, out, N, K, lab, &v, g));      /* weight 0: nothing */
    ck_assert_float_eq(v, 0.0f);
    for (int i = 0; i < N * O; i++)
        ck_assert_float_eq(g[i], 0.0f);
    OK(GAN_LOSS_CONFIG_INIT(&lc));
    ck_assert_float_eq(lc.class_weight, 0.0f);
    lc.class_weight = -1.0f;
    TU_ASSERT_ERROR(gan_loss_create(&bad, &lc), GAN_EINVAL, "class_weight -1");
    lc.class_weight = INFINITY;
    TU_ASSERT_ERROR(gan_loss_create(&bad, &lc), GAN_EINVAL, "class_weight inf");
    lc.class_weight = 1.0f;
    lc.kind = GAN_LOSS_FEATURE_MATCHING;
    TU_ASSERT_ERROR(gan_loss_create(&bad, &lc), GAN_EINVAL, "class_weight", "feature matching");
    ck_assert_ptr_null(bad);
    gan_loss_free(l);
    gan_loss_free(off);
}
END_TEST

/* ---- the trainer ---------------------------------------------------------------------- */

enum { LAT = 4, DIM = 2, NCLS = 3 };

static gan_status make_pair(tu_pair *p, int aux, float weight, float gp, uint64_t seed)
{
    tu_pair_config c;
    tu_pair_config_init(&c);
    c.latent = LAT;
    c.dim = DIM;
    c.g_leaky = 0.2f;
    c.g_classes = NCLS;
    c.d_classes = NCLS;
    c.d_aux = aux;
    c.g_seed = seed;
    c.d_seed = seed + 1;
    c.opt.lr = 2e-3f;
    c.opt.beta1 = 0.5f;
    c.loss.kind = GAN_LOSS_HINGE;
    c.loss.class_weight = weight;
    c.loss.gradient_penalty = gp;
    c.trainer.seed = seed + 2;
    return tu_pair_create(p, &c);
}

/* check_conditional's toy problem (test_util.h): class k a tight Gaussian
   at angle 2 pi k / 3 on a circle of radius 2. */
static void mode_of(int k, float *xy)
{
    tu_class_mode(k, NCLS, xy);
}

static void real_batch(tu_rng *r, size_t n, float *x, int32_t *lab)
{
    tu_class_batch(r, n, NCLS, x, lab);
}

static void run_steps(tu_pair *p, tu_rng *r, int steps, size_t batch)
{
    float *x = tu_alloc(batch * DIM);
    int32_t *lab = tu_malloc(batch * sizeof *lab);
    for (int s = 0; s < steps; s++) {
        gan_step_stats st;
        real_batch(r, batch, x, lab);
        GAN_STEP_STATS_INIT(&st);
        OK(gan_trainer_step_labeled(p->t, x, batch * DIM, lab, batch, batch, &st));
        ck_assert(isfinite(st.d_loss) && isfinite(st.g_loss));
    }
    free(x);
    free(lab);
}

START_TEST(test_trainer_checks)
{
    tu_pair p;
    TU_ASSERT_ERROR(make_pair(&p, 0, 1.0f, 0.0f, 1), GAN_EINVAL, "class_weight 1",
                    "class_projection_aux", "ends with class_projection");
    tu_pair_free(&p);
    TU_ASSERT_ERROR(make_pair(&p, 1, 1.0f, 10.0f, 1), GAN_EUNSUPPORTED, "gradient penalties",
                    "class_projection_aux");
    tu_pair_free(&p);
    OK(make_pair(&p, 1, 1.0f, 0.0f, 1));
    tu_pair_free(&p);
}
END_TEST

/* The share of n real samples whose class logits D ranks highest for
   their class. */
static double d_accuracy(tu_pair *p, tu_rng *r, size_t n)
{
    float *x = tu_alloc(n * DIM), *out = tu_alloc(n * (1 + NCLS));
    int32_t *lab = tu_malloc(n * sizeof *lab);
    size_t right = 0;
    real_batch(r, n, x, lab);
    OK(gan_model_forward_labeled(p->d, x, n * DIM, lab, n, GAN_MODE_INFER, out, n * (1 + NCLS)));
    for (size_t i = 0; i < n; i++) {
        const float *z = out + i * (1 + NCLS) + 1;
        int best = 0;
        for (int k = 1; k < NCLS; k++)
            best = z[k] > z[best] ? k : best;
        right += best == lab[i];
    }
    free(x);
    free(out);
    free(lab);
    return (double)right / (double)n;
}

/*
 * With the class loss, D's class logits learn the real classes; without it
 * (class_weight 0, the same head) U and c keep their initial values
 * bit for bit.  And with it the generator's samples of class k land near
 * mode k, as D's classifier asks.
 */
START_TEST(test_trainer_trains_the_classifier)
{
    enum { B = 32, STEPS = 600, PER = 200 };
    const size_t F = 16, P = F + 1 + NCLS * F + NCLS * F + NCLS, U0 = F + 1 + NCLS * F;
    tu_pair on, off;
    tu_rng r;
    float *w0 = tu_alloc(P), *w1 = tu_alloc(P), out[PER * DIM];
    int32_t lab[PER];
    size_t last;
    gan_sampler *s = NULL;
    OK(gan_set_threads(1));
    OK(make_pair(&on, 1, 1.0f, 0.0f, 3));
    OK(make_pair(&off, 1, 0.0f, 0.0f, 3));
    OK(gan_model_layer_count(off.d, &last));
    last--;
    ck_assert_uint_eq(tu_layer_params(off.d, last), P);
    OK(gan_model_get_params(off.d, last, w0, P));
    tu_rng_seed(&r, 5);
    run_steps(&off, &r, STEPS, B);
    OK(gan_model_get_params(off.d, last, w1, P));
    ck_assert_int_eq(memcmp(w0 + U0, w1 + U0, (P - U0) * sizeof *w0), 0);
    ck_assert_int_ne(memcmp(w0, w1, U0 * sizeof *w0), 0);
    tu_rng_seed(&r, 5);
    run_steps(&on, &r, STEPS, B);
    tu_rng_seed(&r, 6);
    ck_assert_double_ge(d_accuracy(&on, &r, 600), 0.95);
    OK(gan_sampler_create(&s, on.g, 7, 0));
    for (int k = 0; k < NCLS; k++) {
        float m[2];
        int near = 0;
        mode_of(k, m);
        for (int i = 0; i < PER; i++)
            lab[i] = k;
        OK(gan_sampler_generate_labeled(s, NULL, 0, lab, PER, out, PER * DIM));
        for (int i = 0; i < PER; i++) {
            const double dx = out[i * DIM] - m[0], dy = out[i * DIM + 1] - m[1];
            near += dx * dx + dy * dy < 1.0; /* modes are 3.46 apart */
        }
        ck_assert_msg(near >= PER * 9 / 10, "class %d: %d of %d samples near its mode", k, near,
                      PER);
    }
    gan_sampler_free(s);
    free(w0);
    free(w1);
    tu_pair_free(&on);
    tu_pair_free(&off);
}
END_TEST

/*
 * Both sides of one step: two pairs equal but for the weight take the same
 * step.  The class loss is positive, so each reported loss is larger with
 * it (D's by its loss on the real batch, G's by its loss on the generated
 * one), and G's update, made from D before D's update, differs only
 * through the class term.
 */
START_TEST(test_step_adds_both_terms)
{
    enum { B = 16 };
    tu_pair a, b;
    gan_step_stats sa, sb;
    float x[B * DIM], *ga, *gb;
    int32_t lab[B];
    size_t np;
    tu_rng r;
    OK(make_pair(&a, 1, 1.0f, 0.0f, 4));
    OK(make_pair(&b, 1, 0.0f, 0.0f, 4));
    tu_rng_seed(&r, 8);
    real_batch(&r, B, x, lab);
    GAN_STEP_STATS_INIT(&sa);
    GAN_STEP_STATS_INIT(&sb);
    OK(gan_trainer_step_labeled(a.t, x, B * DIM, lab, B, B, &sa));
    OK(gan_trainer_step_labeled(b.t, x, B * DIM, lab, B, B, &sb));
    ck_assert_float_eq(sa.d_real, sb.d_real);   /* the same adversarial logits */
    ck_assert_float_eq(sa.d_fake, sb.d_fake);
    ck_assert_float_gt(sa.d_loss, sb.d_loss + 0.1f);  /* about ln 3 at the start */
    ck_assert_float_gt(sa.g_loss, sb.g_loss + 0.1f);
    ga = tu_all_params(a.g, &np);
    gb = tu_all_params(b.g, &np);
    ck_assert_int_ne(memcmp(ga, gb, np * sizeof *ga), 0);
    free(ga);
    free(gb);
    tu_pair_free(&a);
    tu_pair_free(&b);
}
END_TEST

/* The weight is saved: a run resumed from a mid-run checkpoint continues
   bit for bit (without the weight the resumed steps would differ), and
   gan_file_info reports it. */
START_TEST(test_checkpoint_keeps_weight)
{
    tu_pair a;
    tu_rng ra, rc;
    void *mid = NULL, *fa = NULL, *fb = NULL;
    size_t lmid, la, lb;
    gan_trainer *back = NULL;
    char path[] = "/tmp/check_class_aux_XXXXXX", info[4096];
    int fd;
    OK(make_pair(&a, 1, 0.75f, 0.0f, 9));
    tu_rng_seed(&ra, 11);
    run_steps(&a, &ra, 5, 16);
    OK(gan_trainer_save_mem(a.t, NULL, &mid, &lmid));
    rc = ra;
    run_steps(&a, &ra, 4, 16);
    OK(gan_trainer_save_mem(a.t, NULL, &fa, &la));
    OK(gan_trainer_load_mem(&back, NULL, mid, lmid));
    {
        tu_pair r;
        memset(&r, 0, sizeof r);
        r.t = back;
        run_steps(&r, &rc, 4, 16);
    }
    OK(gan_trainer_save_mem(back, NULL, &fb, &lb));
    ck_assert_msg(la == lb && memcmp(fa, fb, la) == 0, "the resumed run differs");
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    OK(gan_trainer_save(back, NULL, path));
    OK(gan_file_info(path, info, sizeof info, NULL));
    ck_assert_msg(strstr(info, "loss hinge + class loss x 0.75") != NULL, "%s", info);
    unlink(path);
    gan_free(mid);
    gan_free(fa);
    gan_free(fb);
    gan_trainer_free(back);
    tu_pair_free(&a);
}
END_TEST

/* cgan-discriminator with the head swapped: 10 more logits, U and c more
   parameters, everything below the head the same. */
START_TEST(test_preset)
{
    gan_model *d = NULL, *g = NULL, *plain = NULL;
    gan_preset p;
    int nc = 0, dims[3];
    size_t n = 0, nd = 0, np = 0, np_plain = 0;
    gan_layer_kind kind;
    OK(gan_preset_from_name("cgan-aux-discriminator", &p));
    ck_assert_int_eq(p, GAN_PRESET_CGAN_AUX_DISCRIMINATOR);
    ck_assert_str_eq(gan_preset_name(p), "cgan-aux-discriminator");
    ck_assert_int_eq(gan_preset_latent_dim(p), 0);
    OK(gan_model_create_preset(&d, p));
    OK(gan_model_create_preset(&g, GAN_PRESET_CGAN_GENERATOR));
    OK(gan_model_num_classes(d, &nc));
    ck_assert_int_eq(nc, 10);
    ck_assert_uint_eq(tu_out_elems(d), 11);
    OK(gan_model_layer_count(d, &n));
    OK(gan_model_layer_kind(d, n - 1, &kind));
    ck_assert_int_eq(kind, GAN_LAYER_CLASS_PROJECTION_AUX);
    OK(gan_model_create_preset(&plain, GAN_PRESET_CGAN_DISCRIMINATOR));
    OK(gan_model_shape(d, n - 2, &nd, dims));
    ck_assert_uint_eq(nd, 1);
    OK(gan_model_param_count(d, &np, NULL));
    OK(gan_model_param_count(plain, &np_plain, NULL));
    ck_assert_uint_eq(np, np_plain + 10 * (size_t)dims[0] + 10);
    /* A cgan pair with the class loss trains from the CLI's recipe. */
    {
        tu_pair_config c;
        tu_pair pr;
        tu_pair_config_init(&c);
        c.loss.kind = GAN_LOSS_HINGE;
        c.loss.class_weight = 1.0f;
        OK(tu_pair_create_models(&pr, g, d, &c));
        g = d = NULL;   /* the pair owns them */
        tu_pair_free(&pr);
    }
    gan_model_free(plain);
}
END_TEST

static Suite *class_aux_suite(void)
{
    Suite *s = suite_create("class_aux");
    TCase *t = tcase_create("layer");
    tcase_add_test(t, test_layer_matches_definition);
    tcase_add_test(t, test_layer_backward_without_class_gradient);
    tcase_add_loop_test(t, test_grad_case, 0, (int)N_GRAD_CASES);
    tcase_add_test(t, test_layer_file_round_trip);
    tcase_add_test(t, test_layer_errors);
    tcase_add_test(t, test_preset);
    suite_add_tcase(s, t);
    t = tcase_create("loss");
    tcase_add_test(t, test_loss_value_and_gradient);
    tcase_add_test(t, test_loss_errors);
    suite_add_tcase(s, t);
    t = tcase_create("trainer");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_trainer_checks);
    tcase_add_test(t, test_trainer_trains_the_classifier);
    tcase_add_test(t, test_step_adds_both_terms);
    tcase_add_test(t, test_checkpoint_keeps_weight);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(class_aux_suite());
}
