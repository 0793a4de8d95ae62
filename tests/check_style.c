/*
 * check_style.c -- style modulation: the style input and adain layers.
 *
 * Finite-difference checks of a small style-based generator with respect to
 * its latent input (whose only path to the output is the style vector, read
 * by two adain layers whose gradients must add up) and every parameter;
 * adain's values against the definition in double; the builder's errors;
 * inference (gan_sampler, several threads) against gan_model_forward;
 * checkpoints; the gradient penalties' refusal; and a short regression
 * that only style modulation can solve.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "train/train.h"
#include "test_util.h"

/* ---- models ----------------------------------------------------------------------- */

/*
 * z (5) -> dense 6 -> tanh -> style_input (3, 3, 2) -> conv2d 3 -> adain
 * -> tanh -> conv2d_transpose 2 (stride 2) -> adain: 6x6x2.  Smooth
 * activations only, so every finite difference is valid.  z reaches the
 * output only through the style vector, read by both adain layers.
 */
static gan_model *tiny_style_model(int arg)
{
    gan_model *m = tu_model(1, 5, 0, 0);
    (void)arg;
    tu_add_dense(m, 6, 1);
    OK(gan_model_add_tanh(m));
    OK(gan_model_add_style_input(m, 3, 3, 2));
    tu_add_conv(m, 0, 3, 3, 1);
    OK(gan_model_add_adain(m, 1e-5f));
    OK(gan_model_add_tanh(m));
    tu_add_conv(m, 1, 2, 3, 2);
    OK(gan_model_add_adain(m, 1e-5f));
    /* Non-zero biases and a larger kernel scale than the defaults, so each
       term of the gradients matters. */
    tu_randomize_params(m, 71, 0.6f);
    return m;
}

/* A generator as a user would build it: mapping MLP, style input,
   deconvolutions each followed by adain and leaky ReLU, tanh; with_noise
   adds noise inputs (with non-zero strengths) after the constant and the
   deconvolution. */
static gan_model *small_generator_noise(int latent, int with_noise)
{
    gan_model *m = tu_model(1, latent, 0, 0);
    tu_add_dense(m, 16, 1);
    OK(gan_model_add_leaky_relu(m, 0.2f));
    tu_add_dense(m, 12, 1);
    OK(gan_model_add_leaky_relu(m, 0.2f));
    OK(gan_model_add_style_input(m, 4, 4, 6));
    if (with_noise)
        OK(gan_model_add_noise_injection(m));
    OK(gan_model_add_adain(m, 1e-5f));
    tu_add_conv(m, 1, 5, 3, 2);
    if (with_noise)
        OK(gan_model_add_noise_injection(m));
    OK(gan_model_add_adain(m, 1e-5f));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    tu_add_conv(m, 0, 1, 3, 1);
    OK(gan_model_add_tanh(m));
    OK(gan_model_init_params(m, 5));
    if (with_noise) {
        const float a5[5] = {0.5f, -0.3f, 0.8f, 0.2f, -0.6f};
        const float a6[6] = {0.4f, 0.1f, -0.7f, 0.3f, 0.9f, -0.2f};
        OK(gan_model_set_params(m, 5, a6, 6));
        OK(gan_model_set_params(m, 8, a5, 5));
    }
    return m;
}

static gan_model *small_generator(int latent)
{
    return small_generator_noise(latent, 0);
}

/* Noise inputs around a convolution (arg 0: and a tanh): in training mode
   the noise is fixed by gan_model_set_seed, so finite differences see one
   smooth function of input and parameters; in inference mode the maps are
   fixed. */
static gan_model *noise_conv(int arg)
{
    gan_model *m = arg == 0 ? tu_model(3, 3, 3, 2) : tu_model(3, 4, 2, 3);
    OK(gan_model_add_noise_injection(m));
    tu_add_conv(m, 0, arg == 0 ? 3 : 2, 3, 1);
    OK(gan_model_add_noise_injection(m));
    if (arg == 0)
        OK(gan_model_add_tanh(m));
    tu_randomize_params(m, arg == 0 ? 95 : 97, 0.8f);
    return m;
}

/* ---- gradients ----------------------------------------------------------------- */

/* Every point of these tiny models.  The style model has no kinks, so no
   point may be skipped, and its gradients are large. */
#define EVERY_POINT                                                                        \
    .eps = 1e-2f, .rtol = 2e-3, .atol = 5e-4, .max_checks = 0, .max_skip_frac = 0.05,      \
    .min_numeric = 1e-3
#define SMOOTH_EVERY_POINT                                                                 \
    .eps = 1e-2f, .rtol = 2e-3, .atol = 5e-4, .max_checks = 0, .max_skip_frac = 0.0,       \
    .min_numeric = 1e-2

static const tu_grad_case grad_cases[] = {
    {"style model, training", tiny_style_model, 0, .batch = 3, .mode = GAN_MODE_TRAIN,
     .input_seed = 72, SMOOTH_EVERY_POINT},
    {"style model, inference", tiny_style_model, 0, .batch = 3, .mode = GAN_MODE_INFER,
     .input_seed = 72, SMOOTH_EVERY_POINT},
    {"noise injection, training", noise_conv, 0, .batch = 3, .mode = GAN_MODE_TRAIN,
     .input_seed = 96, EVERY_POINT},
    {"noise injection, inference", noise_conv, 1, .batch = 2, .mode = GAN_MODE_INFER,
     .input_seed = 98, EVERY_POINT},
};
#define N_GRAD_CASES (sizeof grad_cases / sizeof grad_cases[0])

START_TEST(test_grad_case)
{
    tu_run_grad_case(&grad_cases[_i]);
}
END_TEST

/* Each backward starts from a clean dstyle: the same call twice gives the
   same dz, and every parameter gradient (adain's A and b, the constant,
   the mapping network) accumulates to exactly twice its value. */
START_TEST(test_backward_repeatable)
{
    gan_model *m = small_generator(7);
    const size_t B = 4, in = tu_in_elems(m), out = tu_out_elems(m), L = tu_layers(m);
    float *x = tu_rand_input(m, B, 75), *r = tu_alloc(B * out);
    float *dx1 = tu_alloc(B * in), *dx2 = tu_alloc(B * in);
    float *g1[16], *g2[16];
    ck_assert_uint_le(L, 16);
    tu_fill(r, B * out, 76, -1.0f, 1.0f);
    OK(gan_model_zero_grad(m));
    OK(gan_model_forward(m, x, B * in, B, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_backward(m, r, B * out, dx1, B * in));
    for (size_t l = 0; l < L; l++) {
        size_t n = tu_layer_params(m, l);
        g1[l] = tu_alloc(n ? n : 1);
        g2[l] = tu_alloc(n ? n : 1);
        OK(gan_model_get_grads(m, l, g1[l], n));
    }
    OK(gan_model_backward(m, r, B * out, dx2, B * in));
    ck_assert(tu_max_abs(dx1, B * in) > 0.0);
    ck_assert(memcmp(dx1, dx2, B * in * sizeof(float)) == 0);
    for (size_t l = 0; l < L; l++) {
        size_t n = tu_layer_params(m, l);
        OK(gan_model_get_grads(m, l, g2[l], n));
        if (n)
            ck_assert_msg(tu_max_abs(g1[l], n) > 0.0, "layer %zu has no gradient", l);
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(fabsf(g2[l][i] - 2.0f * g1[l][i]) <= 1e-5f * (1.0f + fabsf(g1[l][i])),
                          "layer %zu gradient %zu: %g then %g", l, i, (double)g1[l][i],
                          (double)g2[l][i]);
    }
    /* Without dx (the trainer's call), the mapping network still learns. */
    OK(gan_model_zero_grad(m));
    OK(gan_model_backward(m, r, B * out, NULL, 0));
    OK(gan_model_get_grads(m, 0, g2[0], tu_layer_params(m, 0)));
    ck_assert(memcmp(g1[0], g2[0], tu_layer_params(m, 0) * sizeof(float)) == 0);
    for (size_t l = 0; l < L; l++) {
        free(g1[l]);
        free(g2[l]);
    }
    free(x);
    free(r);
    free(dx1);
    free(dx2);
    gan_model_free(m);
}
END_TEST

/* ---- values -------------------------------------------------------------------- */

/* adain's forward on arbitrary per-sample inputs and styles, against the
   definition in double (the kernel called directly: in a model every
   adain input is a function of the same style). */
START_TEST(test_adain_values)
{
    enum { N = 3, D = 4, H = 3, W = 2, C = 5, P = H * W };
    gan_model *m = tu_model(1, D, 0, 0);
    float x[N * P * C], s[N * D], y[N * P * C], p[D * 2 * C + 2 * C];
    gan__layer *l;
    gan__ctx cx;
    void *aux, *ws;
    const float eps = 1e-3f;
    OK(gan_model_add_style_input(m, H, W, C));
    OK(gan_model_add_adain(m, eps));
    ck_assert_uint_eq(tu_layer_params(m, 1), D * 2 * C + 2 * C);
    tu_fill(x, N * P * C, 81, -2.0f, 3.0f);
    tu_fill(s, N * D, 82, -1.0f, 1.0f);
    tu_fill(p, D * 2 * C + 2 * C, 83, -0.5f, 0.5f);
    l = &m->layers[1];
    aux = calloc(1, N * l->aux_per_sample + l->aux_fixed);
    ws = calloc(1, l->ops->workspace(l, N));
    ck_assert(aux && ws);
    memset(&cx, 0, sizeof cx);
    cx.batch = N;
    cx.w = p;
    cx.aux = aux;
    cx.ws = ws;
    cx.style = s;
    cx.style_dim = D;
    l->ops->forward(l, &cx, x, y);
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            double mu = 0.0, var = 0.0, gamma = p[D * 2 * C + c], beta = p[D * 2 * C + C + c];
            for (int k = 0; k < D; k++) {
                gamma += (double)s[n * D + k] * p[k * 2 * C + c];
                beta += (double)s[n * D + k] * p[k * 2 * C + C + c];
            }
            for (int q = 0; q < P; q++)
                mu += x[(n * P + q) * C + c];
            mu /= P;
            for (int q = 0; q < P; q++)
                var += (x[(n * P + q) * C + c] - mu) * (x[(n * P + q) * C + c] - mu);
            var /= P;
            for (int q = 0; q < P; q++) {
                double want = (1.0 + gamma) * (x[(n * P + q) * C + c] - mu) / sqrt(var + eps) + beta;
                ck_assert_msg(fabs(y[(n * P + q) * C + c] - want) <= 1e-5 * (1.0 + fabs(want)),
                              "y[%d, %d, %d] = %g, want %g", n, q, c, (double)y[(n * P + q) * C + c],
                              want);
            }
        }
    free(aux);
    free(ws);
    gan_model_free(m);
}
END_TEST

/* Through the public API: the style input's constant, normalised, scaled
   and shifted by each sample's own style. */
START_TEST(test_style_model_values)
{
    enum { N = 2, D = 3, H = 2, W = 2, C = 2, P = H * W };
    gan_model *m = tu_model(1, D, 0, 0);
    float z[N * D], k[P * C], a[D * 2 * C + 2 * C], y[N * P * C];
    size_t ndim;
    int dims[3];
    OK(gan_model_add_style_input(m, H, W, C));
    OK(gan_model_add_adain(m, 1e-5f));
    OK(gan_model_shape(m, 0, &ndim, dims));
    ck_assert(ndim == 3 && dims[0] == H && dims[1] == W && dims[2] == C);
    ck_assert_uint_eq(tu_layer_params(m, 0), P * C);
    tu_fill(z, N * D, 84, -1.0f, 1.0f);
    tu_fill(k, P * C, 85, -1.0f, 1.0f);
    tu_fill(a, D * 2 * C + 2 * C, 86, -1.0f, 1.0f);
    OK(gan_model_set_params(m, 0, k, P * C));
    OK(gan_model_set_params(m, 1, a, D * 2 * C + 2 * C));
    OK(gan_model_forward(m, z, N * D, N, GAN_MODE_INFER, y, N * P * C));
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            double mu = 0.0, var = 0.0, g = a[D * 2 * C + c], b = a[D * 2 * C + C + c];
            for (int j = 0; j < D; j++) {
                g += (double)z[n * D + j] * a[j * 2 * C + c];
                b += (double)z[n * D + j] * a[j * 2 * C + C + c];
            }
            for (int q = 0; q < P; q++)
                mu += k[q * C + c] / (double)P;
            for (int q = 0; q < P; q++)
                var += (k[q * C + c] - mu) * (k[q * C + c] - mu) / P;
            for (int q = 0; q < P; q++)
                ck_assert_double_eq_tol(y[(n * P + q) * C + c],
                                        (1.0 + g) * (k[q * C + c] - mu) / sqrt(var + 1e-5) + b, 1e-5);
        }
    gan_model_free(m);
}
END_TEST

/* Initialisation: the constant N(0, 1), adain's kernel Glorot-uniform for
   fan-in D and fan-out C (the notebook's Dense(C)), its bias zero. */
START_TEST(test_style_init)
{
    enum { D = 32, C = 16 };
    gan_model *m = tu_model(1, D, 0, 0);
    float k[8 * 8 * C], a[D * 2 * C + 2 * C];
    double mean = 0.0, sq = 0.0, lim = sqrt(6.0 / (D + C)), amax = 0.0;
    OK(gan_model_add_style_input(m, 8, 8, C));
    OK(gan_model_add_adain(m, 1e-5f));
    OK(gan_model_get_params(m, 0, k, 8 * 8 * C));
    OK(gan_model_get_params(m, 1, a, D * 2 * C + 2 * C));
    for (int i = 0; i < 8 * 8 * C; i++) {
        mean += k[i] / (8.0 * 8 * C);
        sq += (double)k[i] * k[i] / (8.0 * 8 * C);
    }
    ck_assert(fabs(mean) < 0.15 && fabs(sq - 1.0) < 0.2);
    for (int i = 0; i < D * 2 * C; i++)
        amax = fmax(amax, fabs(a[i]));
    ck_assert(amax <= lim && amax > 0.9 * lim);
    for (int i = D * 2 * C; i < D * 2 * C + 2 * C; i++)
        ck_assert_float_eq(a[i], 0.0f);
    gan_model_free(m);
}
END_TEST

/* ---- errors -------------------------------------------------------------------- */

START_TEST(test_style_errors)
{
    gan_model *m = tu_model(1, 8, 0, 0), *img = tu_model(3, 4, 4, 2);
    TU_ASSERT_ERROR(gan_model_add_adain(m, 1e-5f), GAN_EINVAL, "style input");
    ck_assert_uint_eq(tu_layers(m), 0);
    TU_ASSERT_ERROR(gan_model_add_style_input(img, 4, 4, 2), GAN_ESHAPE, "vector");
    ck_assert_uint_eq(tu_layers(img), 0);
    TU_ASSERT_ERROR(gan_model_add_style_input(m, 0, 4, 2), GAN_EINVAL, "gan_model_add_style_input");
    TU_ASSERT_ERROR(gan_model_add_style_input(NULL, 4, 4, 2), GAN_EINVAL, "gan_model");
    /* A style input after a failed one is still the first. */
    OK(gan_model_add_style_input(m, 4, 4, 3));
    TU_ASSERT_ERROR(gan_model_add_style_input(m, 4, 4, 3), GAN_EINVAL, "at most one");
    TU_ASSERT_ERROR(gan_model_add_adain(m, 0.0f), GAN_EINVAL, "epsilon");
    TU_ASSERT_ERROR(gan_model_add_adain(m, 1.0f), GAN_EINVAL, "epsilon");
    TU_ASSERT_ERROR(gan_model_add_adain(m, NAN), GAN_EINVAL, "epsilon");
    OK(gan_model_add_adain(m, 1e-5f));
    OK(gan_model_add_flatten(m));
    TU_ASSERT_ERROR(gan_model_add_adain(m, 1e-5f), GAN_ESHAPE, "image input");
    ck_assert_uint_eq(tu_layers(m), 3);
    gan_model_free(m);
    /* One position: nothing to normalise. */
    m = tu_model(1, 8, 0, 0);
    OK(gan_model_add_style_input(m, 1, 1, 4));
    TU_ASSERT_ERROR(gan_model_add_adain(m, 1e-5f), GAN_ESHAPE, "one position");
    gan_model_free(m);
    gan_model_free(img);
}
END_TEST

/* The double backpropagation of the gradient penalties does not know
   these layers, so it refuses them by name. */
START_TEST(test_penalty_refuses)
{
    gan_model *m = small_generator(6);
    TU_ASSERT_ERROR(gan__penalty_supported(m), GAN_EUNSUPPORTED, "style_input");
    gan_model_free(m);
}
END_TEST

/* ---- inference and files ------------------------------------------------------- */

START_TEST(test_summary_names)
{
    gan_model *m = small_generator(6);
    char buf[4096];
    size_t kinds_n;
    gan_layer_kind k;
    OK(gan_model_summary(m, buf, sizeof buf, NULL));
    ck_assert_ptr_nonnull(strstr(buf, "style_input"));
    ck_assert_ptr_nonnull(strstr(buf, "adain"));
    OK(gan_model_layer_count(m, &kinds_n));
    OK(gan_model_layer_kind(m, 4, &k));
    ck_assert_int_eq(k, GAN_LAYER_STYLE_INPUT);
    OK(gan_model_layer_kind(m, 5, &k));
    ck_assert_int_eq(k, GAN_LAYER_ADAIN);
    gan_model_free(m);
}
END_TEST

/* Training and inference modes agree (no batch statistics), and a sampler
   (gan__infer, its own style buffer) reproduces gan_model_forward bit for
   bit at the same batch, and to rounding when it splits the batch. */
START_TEST(test_sampler_matches_forward)
{
    gan_model *m = small_generator_noise(9, _i);
    const size_t N = 10, in = tu_in_elems(m), out = tu_out_elems(m);
    float *z = tu_rand_input(m, N, 91), *y_inf = tu_alloc(N * out), *y_tr = tu_alloc(N * out);
    float *y_s = tu_alloc(N * out);
    gan_sampler *s;
    OK(gan_model_forward(m, z, N * in, N, GAN_MODE_TRAIN, y_tr, N * out));
    OK(gan_model_forward(m, z, N * in, N, GAN_MODE_INFER, y_inf, N * out));
    /* Without noise inputs, nothing differs between the modes. */
    ck_assert(_i || memcmp(y_tr, y_inf, N * out * sizeof(float)) == 0);
    OK(gan_sampler_create(&s, m, 1, N));
    OK(gan_sampler_generate(s, z, N * in, N, y_s, N * out));
    ck_assert(memcmp(y_s, y_inf, N * out * sizeof(float)) == 0);
    gan_sampler_free(s);
    OK(gan_sampler_create(&s, m, 1, 3));
    OK(gan_sampler_generate(s, z, N * in, N, y_s, N * out));
    /* Outputs in [-1, 1]: rounding of differently blocked GEMMs only. */
    ck_assert_double_le(tu_max_rel_err(y_s, y_inf, N * out, 1.0), 1e-5);
    gan_sampler_free(s);
    /* Different styles make different images from the shared constant. */
    ck_assert_double_gt(tu_max_rel_err(y_inf, y_inf + out, out, 1e-3), 1e-2);
    free(z);
    free(y_inf);
    free(y_tr);
    free(y_s);
    gan_model_free(m);
}
END_TEST

typedef struct thread_job {
    const gan_model *m;
    const float *z, *want;
    size_t n, in, out;
    int ok;
} thread_job;

static void *sample_thread(void *arg)
{
    thread_job *j = arg;
    gan_sampler *s = NULL;
    float *y = malloc(j->n * j->out * sizeof(float));
    j->ok = 0;
    if (y && gan_sampler_create(&s, j->m, 1, j->n) == GAN_OK) {
        j->ok = 1;
        for (int rep = 0; rep < 20 && j->ok; rep++)
            j->ok = gan_sampler_generate(s, j->z, j->n * j->in, j->n, y, j->n * j->out) == GAN_OK &&
                    memcmp(y, j->want, j->n * j->out * sizeof(float)) == 0;
    }
    gan_sampler_free(s);
    free(y);
    return NULL;
}

/* Samplers on one model from several threads, each with its own styles. */
START_TEST(test_sampler_threads)
{
    enum { T = 4, N = 5 };
    gan_model *m = small_generator_noise(9, 1);
    const size_t in = tu_in_elems(m), out = tu_out_elems(m);
    float *z[T], *want[T];
    pthread_t th[T];
    thread_job jobs[T];
    for (int t = 0; t < T; t++) {
        z[t] = tu_rand_input(m, N, 100 + (uint64_t)t);
        want[t] = tu_alloc(N * out);
        OK(gan_model_forward(m, z[t], N * in, N, GAN_MODE_INFER, want[t], N * out));
        jobs[t] = (thread_job){m, z[t], want[t], N, in, out, 0};
    }
    for (int t = 0; t < T; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, sample_thread, &jobs[t]), 0);
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        ck_assert_msg(jobs[t].ok, "thread %d's images differ", t);
        free(z[t]);
        free(want[t]);
    }
    gan_model_free(m);
}
END_TEST

START_TEST(test_checkpoint_round_trip)
{
    gan_model *m = small_generator_noise(9, 1), *b = NULL;
    const size_t N = 4, in = tu_in_elems(m), out = tu_out_elems(m);
    float *z = tu_rand_input(m, N, 92), *y1 = tu_alloc(N * out), *y2 = tu_alloc(N * out);
    void *buf = NULL;
    size_t len = 0, L;
    OK(gan_model_set_trainable(m, 6, 0));
    tu_randomize_params(m, 93, 0.3f);
    OK(gan_model_save_mem(m, &buf, &len));
    OK(gan_model_load_mem(&b, buf, len));
    L = tu_layers(m);
    ck_assert_uint_eq(tu_layers(b), L);
    for (size_t i = 0; i < L; i++) {
        gan_layer_kind k1, k2;
        size_t n = tu_layer_params(m, i);
        OK(gan_model_layer_kind(m, i, &k1));
        OK(gan_model_layer_kind(b, i, &k2));
        ck_assert_int_eq(k1, k2);
        ck_assert_uint_eq(tu_layer_params(b, i), n);
    }
    {
        size_t tr1, tr2;
        OK(gan_model_param_count(m, NULL, &tr1));
        OK(gan_model_param_count(b, NULL, &tr2));
        ck_assert_uint_eq(tr1, tr2); /* the frozen adain stays frozen */
    }
    OK(gan_model_forward(m, z, N * in, N, GAN_MODE_INFER, y1, N * out));
    OK(gan_model_forward(b, z, N * in, N, GAN_MODE_INFER, y2, N * out));
    ck_assert(memcmp(y1, y2, N * out * sizeof(float)) == 0);
    gan_free(buf);
    gan_model_free(b);
    gan_model_free(m);
    free(z);
    free(y1);
    free(y2);
}
END_TEST

/* ---- noise inputs -------------------------------------------------------------- */

/* y - x = a[c] e[p]: one N(0, 1) map per sample shared by the channels;
   strength 0 (the initial value) is the identity; inference noise is one
   fixed map, training noise fresh per sample and call, fixed per seed. */
START_TEST(test_noise_values)
{
    enum { H = 16, W = 16, C = 3, P = H * W, N = 3 };
    gan_model *m = tu_model(3, H, W, C);
    const float a[C] = {0.5f, -2.0f, 1.0f};
    float x[N * P * C], y[N * P * C], y1[P * C], y2[N * P * C];
    double mean = 0.0, sq = 0.0;
    tu_fill(x, N * P * C, 99, -1.0f, 1.0f);
    OK(gan_model_add_noise_injection(m));
    OK(gan_model_forward(m, x, N * P * C, N, GAN_MODE_TRAIN, y, N * P * C));
    ck_assert(memcmp(x, y, sizeof x) == 0);
    OK(gan_model_set_params(m, 0, a, C));
    OK(gan_model_forward(m, x, N * P * C, N, GAN_MODE_INFER, y, N * P * C));
    for (int n = 0; n < N; n++)
        for (int p = 0; p < P; p++) {
            const size_t i = ((size_t)n * P + p) * C;
            const double e = (y[i + 2] - x[i + 2]) / a[2];
            for (int c = 0; c < C; c++)
                ck_assert_double_eq_tol(y[i + c] - x[i + c], a[c] * e, 1e-5);
            mean += e / (N * P);
            sq += e * e / (N * P);
        }
    ck_assert(fabs(mean) < 0.1 && fabs(sq - 1.0) < 0.15);
    /* The third sample alone: the same image; every sample the same map. */
    OK(gan_model_forward(m, x + 2 * P * C, P * C, 1, GAN_MODE_INFER, y1, P * C));
    ck_assert(memcmp(y1, y + 2 * P * C, sizeof y1) == 0);
    for (int i = 0; i < P * C; i++)
        ck_assert_float_eq_tol(y[P * C + i] - x[P * C + i], y[i] - x[i], 1e-6f);
    /* Training: the model's stream. */
    OK(gan_model_set_seed(m, 5));
    OK(gan_model_forward(m, x, N * P * C, N, GAN_MODE_TRAIN, y, N * P * C));
    OK(gan_model_set_seed(m, 5));
    OK(gan_model_forward(m, x, N * P * C, N, GAN_MODE_TRAIN, y2, N * P * C));
    ck_assert(memcmp(y, y2, sizeof y) == 0);
    OK(gan_model_forward(m, x, N * P * C, N, GAN_MODE_TRAIN, y2, N * P * C));
    ck_assert(memcmp(y, y2, sizeof y) != 0);
    /* ... and different samples different noise. */
    ck_assert_double_gt(fabs((y[2] - x[2]) - (y[P * C + 2] - x[P * C + 2])), 1e-6);
    gan_model_free(m);
    m = tu_model(1, 8, 0, 0);
    TU_ASSERT_ERROR(gan_model_add_noise_injection(m), GAN_ESHAPE, "image input");
    gan_model_free(m);
}
END_TEST

/* ---- learning ------------------------------------------------------------------ */

/*
 * Two latent codes, two different target images.  The synthesis input is
 * the same constant for both, so the only way to tell them apart is the
 * style each adain layer applies: fitting both shows that the style path
 * learns end to end (mapping network included).
 */
START_TEST(test_learns_two_targets)
{
    gan_model *m = small_generator(4);
    gan_optimizer *opt;
    gan_optimizer_config oc;
    const size_t N = 2, in = tu_in_elems(m), out = tu_out_elems(m);
    float z[2 * 4] = {1.0f, -0.5f, 0.3f, 0.8f, -1.0f, 0.6f, -0.2f, -0.7f};
    float *t = tu_alloc(N * out), *y = tu_alloc(N * out), *g = tu_alloc(N * out);
    double first = 0.0, last = 0.0;
    ck_assert_uint_eq(in, 4);
    for (size_t i = 0; i < out; i++) {
        t[i] = (i % 8) < 4 ? 0.8f : -0.8f;          /* stripes */
        t[out + i] = (i / 8) % 2 ? 0.8f : -0.8f;    /* the transposed stripes */
    }
    OK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
    oc.lr = 3e-3f;
    OK(gan_optimizer_create(&opt, m, &oc));
    for (int it = 0; it < 400; it++) {
        double loss = 0.0;
        OK(gan_model_zero_grad(m));
        OK(gan_model_forward(m, z, N * in, N, GAN_MODE_TRAIN, y, N * out));
        for (size_t i = 0; i < N * out; i++) {
            loss += (double)(y[i] - t[i]) * (y[i] - t[i]) / (double)(N * out);
            g[i] = 2.0f * (y[i] - t[i]) / (float)(N * out);
        }
        OK(gan_model_backward(m, g, N * out, NULL, 0));
        OK(gan_optimizer_step(opt));
        if (it == 0)
            first = loss;
        last = loss;
    }
    ck_assert_msg(last < 0.02 * first && last < 0.01, "MSE %g -> %g", first, last);
    gan_optimizer_free(opt);
    free(t);
    free(y);
    free(g);
    gan_model_free(m);
}
END_TEST

static Suite *style_suite(void)
{
    Suite *s = suite_create("style");
    TCase *t = tcase_create("style");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, test_grad_case, 0, (int)N_GRAD_CASES);
    tcase_add_test(t, test_backward_repeatable);
    tcase_add_test(t, test_adain_values);
    tcase_add_test(t, test_style_model_values);
    tcase_add_test(t, test_style_init);
    tcase_add_test(t, test_style_errors);
    tcase_add_test(t, test_penalty_refuses);
    tcase_add_test(t, test_summary_names);
    tcase_add_loop_test(t, test_sampler_matches_forward, 0, 2);
    tcase_add_test(t, test_sampler_threads);
    tcase_add_test(t, test_checkpoint_round_trip);
    tcase_add_test(t, test_learns_two_targets);
    tcase_add_test(t, test_noise_values);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(style_suite());
}
