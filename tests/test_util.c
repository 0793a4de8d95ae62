/* test_util.c -- see test_util.h. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "test_util.h"

int tu_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- random fills ---------------------------------------------------------- */

void tu_rng_seed(tu_rng *r, uint64_t seed)
{
    r->s = seed ^ 0x5851f42d4c957f2dull;
}

uint64_t tu_rng_next(tu_rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double tu_rng_uniform(tu_rng *r)
{
    return (double)(tu_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t tu_lcg_next(tu_lcg *r)
{
    r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return r->s;
}

double tu_lcg_uniform(tu_lcg *r)
{
    return (double)(tu_lcg_next(r) >> 11) / 9007199254740992.0;
}

float tu_lcg_sym(tu_lcg *r)
{
    return (float)((tu_lcg_next(r) >> 40) & 0xffffff) / 16777216.0f * 2.0f - 1.0f;
}

double tu_lcg_normal(tu_lcg *r)
{
    double u1 = tu_lcg_uniform(r) + 1e-12, u2 = tu_lcg_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void tu_ring_batch(tu_lcg *r, float *x, size_t n, double sd)
{
    for (size_t i = 0; i < n; i++) {
        int k = (int)(tu_lcg_uniform(r) * 8);
        double a = k * 6.283185307179586 / 8;
        x[2 * i] = (float)(2 * cos(a) + sd * tu_lcg_normal(r));
        x[2 * i + 1] = (float)(2 * sin(a) + sd * tu_lcg_normal(r));
    }
}

void tu_fill(float *x, size_t n, uint64_t seed, float lo, float hi)
{
    tu_rng r;
    tu_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(lo + (hi - lo) * tu_rng_uniform(&r));
}

void tu_fill_away(float *x, size_t n, uint64_t seed, float lo, float hi)
{
    tu_rng r;
    tu_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        float v = (float)(lo + (hi - lo) * tu_rng_uniform(&r));
        x[i] = (tu_rng_next(&r) & 1) ? v : -v;
    }
}

float *tu_alloc(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    ck_assert_msg(p != NULL, "test out of memory (%zu floats)", n);
    return p;
}

void *tu_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    ck_assert_msg(p != NULL, "test out of memory (%zu bytes)", n);
    return p;
}

int32_t *tu_labels(size_t n, int classes, uint64_t seed)
{
    int32_t *l = tu_malloc(n * sizeof *l);
    tu_rng r;
    tu_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        l[i] = (int32_t)(tu_rng_next(&r) % (uint64_t)classes);
    return l;
}

double tu_max_rel_err(const float *a, const float *b, size_t n, double floor)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        double s = fmax(fmax(fabs((double)a[i]), fabs((double)b[i])), floor);
        if (!(d / s <= worst)) /* NaN counts as the worst */
            worst = isnan(d) ? INFINITY : d / s;
    }
    return worst;
}

double tu_max_abs(const float *a, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs((double)a[i]) > m)
            m = fabs((double)a[i]);
    return m;
}

double tu_dot(const float *y, const float *r, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)y[i] * (double)r[i];
    return s;
}

/* ---- model shortcuts --------------------------------------------------------- */

static size_t shape_elems(const gan_model *m, int layer)
{
    size_t nd = 0, e = 1;
    int d[3];
    ck_assert_int_eq(gan_model_shape(m, layer, &nd, d), GAN_OK);
    for (size_t i = 0; i < nd; i++)
        e *= (size_t)d[i];
    return e;
}

size_t tu_layers(const gan_model *m)
{
    size_t n = 0;
    ck_assert_int_eq(gan_model_layer_count(m, &n), GAN_OK);
    return n;
}

size_t tu_in_elems(const gan_model *m)
{
    return shape_elems(m, -1);
}

size_t tu_out_elems(const gan_model *m)
{
    size_t n = tu_layers(m);
    return shape_elems(m, n ? (int)n - 1 : -1);
}

size_t tu_layer_params(const gan_model *m, size_t layer)
{
    size_t n = 0;
    ck_assert_int_eq(gan_model_layer_sizes(m, layer, &n, NULL), GAN_OK);
    return n;
}

gan_model *tu_model(size_t ndim, int d0, int d1, int d2)
{
    gan_model *m = NULL;
    int d[3] = {d0, d1, d2};
    gan_status st = gan_model_create(&m, ndim, d);
    ck_assert_msg(st == GAN_OK, "gan_model_create: %s", gan_last_error());
    return m;
}

void tu_randomize_params(gan_model *m, uint64_t seed, float scale)
{
    size_t L = tu_layers(m);
    for (size_t i = 0; i < L; i++) {
        size_t n = tu_layer_params(m, i);
        float *p;
        if (!n)
            continue;
        p = tu_alloc(n);
        tu_fill(p, n, seed * 1000003u + i, -scale, scale);
        ck_assert_int_eq(gan_model_set_params(m, i, p, n), GAN_OK);
        free(p);
    }
}

gan_model *tu_preset(gan_preset p)
{
    gan_model *m = NULL;
    gan_status st = gan_model_create_preset(&m, p);
    ck_assert_msg(st == GAN_OK, "preset %d: %s", (int)p, gan_last_error());
    ck_assert_ptr_nonnull(m);
    return m;
}

void tu_randomize_bn_state(gan_model *m, uint64_t seed)
{
    size_t L = tu_layers(m);
    for (size_t i = 0; i < L; i++) {
        gan_layer_kind k;
        size_t ns = 0;
        float *st;
        OK(gan_model_layer_kind(m, i, &k));
        OK(gan_model_layer_sizes(m, i, NULL, &ns));
        if (k != GAN_LAYER_BATCHNORM || !ns)
            continue;
        st = tu_alloc(ns);
        tu_fill(st, ns / 2, seed + i, -0.5f, 0.5f);             /* moving mean */
        tu_fill(st + ns / 2, ns / 2, seed + 7 * i, 0.5f, 2.0f); /* moving variance */
        OK(gan_model_set_state(m, i, st, ns));
        free(st);
    }
}

float *tu_rand_input(const gan_model *m, size_t batch, uint64_t seed)
{
    size_t n = batch * tu_in_elems(m);
    float *x = tu_alloc(n);
    tu_fill(x, n, seed, -1.0f, 1.0f);
    return x;
}

gan_dense_config tu_dense_config(int units)
{
    gan_dense_config c;
    OK(GAN_DENSE_CONFIG_INIT(&c));
    c.units = units;
    return c;
}

gan_conv2d_config tu_conv_config(int filters, int k, int s, gan_padding pad)
{
    gan_conv2d_config c;
    OK(GAN_CONV2D_CONFIG_INIT(&c));
    c.filters = filters;
    c.kernel_h = c.kernel_w = k;
    c.stride_h = c.stride_w = s;
    c.padding = pad;
    return c;
}

void tu_add_dense(gan_model *m, int units, int use_bias)
{
    gan_dense_config c = tu_dense_config(units);
    c.use_bias = use_bias;
    OK(gan_model_add_dense(m, &c));
}

void tu_add_conv_config(gan_model *m, int transpose, const gan_conv2d_config *c)
{
    if (transpose)
        OK(gan_model_add_conv2d_transpose(m, c));
    else
        OK(gan_model_add_conv2d(m, c));
}

void tu_add_conv(gan_model *m, int transpose, int filters, int k, int s)
{
    gan_conv2d_config c = tu_conv_config(filters, k, s, GAN_PADDING_SAME);
    tu_add_conv_config(m, transpose, &c);
}

/* which: 0 parameters, 1 gradients, 2 state. */
static size_t layer_count_of(const gan_model *m, size_t l, int which)
{
    size_t np = 0, ns = 0;
    OK(gan_model_layer_sizes(m, l, &np, &ns));
    return which == 2 ? ns : np;
}

static float *all_of(const gan_model *m, int which, size_t *count)
{
    size_t L = tu_layers(m), total = 0, off = 0;
    float *p;
    for (size_t l = 0; l < L; l++)
        total += layer_count_of(m, l, which);
    p = tu_alloc(total);
    for (size_t l = 0; l < L; l++) {
        size_t n = layer_count_of(m, l, which);
        if (which == 0)
            OK(gan_model_get_params(m, l, p + off, n));
        else if (which == 1)
            OK(gan_model_get_grads(m, l, p + off, n));
        else
            OK(gan_model_get_state(m, l, p + off, n));
        off += n;
    }
    *count = total;
    return p;
}

float *tu_all_params(const gan_model *m, size_t *count)
{
    return all_of(m, 0, count);
}

float *tu_all_grads(const gan_model *m, size_t *count)
{
    return all_of(m, 1, count);
}

float *tu_all_state(const gan_model *m, size_t *count)
{
    return all_of(m, 2, count);
}

/* ---- a GAN pair ------------------------------------------------------------------ */

void tu_pair_config_init(tu_pair_config *c)
{
    memset(c, 0, sizeof *c);
    c->latent = 4;
    c->dim = 2;
    c->hidden = 16;
    c->depth = 1;
    OK(GAN_OPTIMIZER_CONFIG_INIT(&c->opt));
    OK(GAN_LOSS_CONFIG_INIT(&c->loss));
    OK(GAN_TRAINER_CONFIG_INIT(&c->trainer));
}

gan_status tu_pair_create(tu_pair *p, const tu_pair_config *c)
{
    gan_dense_config dc = tu_dense_config(c->hidden);
    memset(p, 0, sizeof *p);
    p->g = tu_model(1, c->latent, 0, 0);
    p->d = tu_model(1, c->dim, 0, 0);
    if (c->g_classes)
        OK(gan_model_add_class_embedding(p->g, c->g_classes, 0));
    for (int i = 0; i < c->depth; i++) {
        dc.spectral_norm = 0;
        OK(gan_model_add_dense(p->g, &dc));
        if (c->g_batchnorm)
            OK(gan_model_add_batchnorm(p->g, NULL));
        if (c->g_leaky > 0.0f)
            OK(gan_model_add_leaky_relu(p->g, c->g_leaky));
        else
            OK(gan_model_add_relu(p->g));
        dc.spectral_norm = c->d_spectral_norm;
        OK(gan_model_add_dense(p->d, &dc));
        OK(gan_model_add_leaky_relu(p->d, 0.2f));
        if (c->d_dropout > 0.0f)
            OK(gan_model_add_dropout(p->d, c->d_dropout));
    }
    dc.units = c->dim;
    dc.spectral_norm = 0;
    OK(gan_model_add_dense(p->g, &dc));
    if (c->d_classes && c->d_aux) {
        OK(gan_model_add_class_projection_aux(p->d, c->d_classes));
    } else if (c->d_classes) {
        OK(gan_model_add_class_projection(p->d, c->d_classes));
    } else {
        dc.units = 1;
        dc.spectral_norm = c->d_spectral_norm;
        OK(gan_model_add_dense(p->d, &dc));
    }
    if (c->g_seed)
        OK(gan_model_init_params(p->g, c->g_seed));
    if (c->d_seed)
        OK(gan_model_init_params(p->d, c->d_seed));
    return tu_pair_create_models(p, p->g, p->d, c);
}

gan_status tu_pair_create_models(tu_pair *p, gan_model *g, gan_model *d, const tu_pair_config *c)
{
    p->g = g;
    p->d = d;
    p->g_opt = p->d_opt = NULL;
    p->loss = NULL;
    p->t = NULL;
    OK(gan_optimizer_create(&p->g_opt, p->g, &c->opt));
    OK(gan_optimizer_create(&p->d_opt, p->d, &c->opt));
    OK(gan_loss_create(&p->loss, &c->loss));
    return gan_trainer_create(&p->t, p->g, p->d, p->g_opt, p->d_opt, p->loss, &c->trainer);
}

void tu_pair_free(tu_pair *p)
{
    gan_trainer_free(p->t);
    gan_optimizer_free(p->g_opt);
    gan_optimizer_free(p->d_opt);
    gan_loss_free(p->loss);
    gan_model_free(p->g);
    gan_model_free(p->d);
    memset(p, 0, sizeof *p);
}

/* count[k]: the samples within 3 sd of mode k (their nearest); returns the
   samples within 3 sd of some mode. */
static int ring_coverage(const float *y, size_t n, double sd, int count[8])
{
    int near = 0;
    for (int k = 0; k < 8; k++)
        count[k] = 0;
    for (size_t i = 0; i < n; i++) {
        int best = 0;
        double bd = 1e9;
        for (int k = 0; k < 8; k++) {
            double a = k * 6.283185307179586 / 8;
            double dd = hypot(y[2 * i] - 2 * cos(a), y[2 * i + 1] - 2 * sin(a));
            if (dd < bd) {
                bd = dd;
                best = k;
            }
        }
        if (bd < 3 * sd) {
            near++;
            count[best]++;
        }
    }
    return near;
}

void tu_assert_ring_learned(tu_pair *p, tu_lcg *r, int steps, size_t batch, double sd, size_t n)
{
    const size_t latent = tu_in_elems(p->g);
    float *x = tu_alloc(batch * 2), *z = tu_alloc(n * latent), *y = tu_alloc(n * 2);
    int count[8], near, modes = 0;
    ck_assert_uint_eq(tu_out_elems(p->g), 2);
    for (int s = 0; s < steps; s++) {
        tu_ring_batch(r, x, batch, sd);
        OK(gan_trainer_step(p->t, x, batch * 2, batch, NULL));
    }
    for (size_t i = 0; i < n * latent; i++)
        z[i] = (float)tu_lcg_normal(r);
    OK(gan_model_forward(p->g, z, n * latent, n, GAN_MODE_INFER, y, n * 2));
    near = ring_coverage(y, n, sd, count);
    /* A mode is covered when it holds at least a fifth of its fair share. */
    for (int k = 0; k < 8; k++)
        modes += count[k] >= (int)(n / 8 / 5);
    if (getenv("TU_VERBOSE"))
        fprintf(stderr, "ring: %d modes, %d of %zu near (%d %d %d %d %d %d %d %d)\n", modes, near,
                n, count[0], count[1], count[2], count[3], count[4], count[5], count[6], count[7]);
    ck_assert_msg(modes >= 7, "only %d of 8 modes covered (%d %d %d %d %d %d %d %d)", modes,
                  count[0], count[1], count[2], count[3], count[4], count[5], count[6], count[7]);
    ck_assert_msg(near > (int)(n / 2), "only %d of %zu samples within 3 sd of a mode", near, n);
    free(x);
    free(z);
    free(y);
}

int tu_count_steps(const gan_step_stats *s, uint64_t step, void *user)
{
    (void)s;
    (void)step;
    ++*(int *)user;
    return 0;
}

void tu_fix_header_crc(unsigned char *b)
{
    uint32_t c = (uint32_t)crc32(0L, b, 28);
    b[28] = (unsigned char)c;
    b[29] = (unsigned char)(c >> 8);
    b[30] = (unsigned char)(c >> 16);
    b[31] = (unsigned char)(c >> 24);
}

/* ---- a failing allocator ------------------------------------------------------------ */

static int oom_refuse(tu_oom *o)
{
    long k = o->count++;
    int fail = o->fail_at >= 0 && (o->persistent ? k >= o->fail_at : k == o->fail_at);
    if (fail)
        o->failures++;
    return fail;
}

static void *oom_malloc(size_t n, void *user)
{
    tu_oom *o = user;
    void *p;
    if (oom_refuse(o))
        return NULL;
    p = malloc(n);
    if (p)
        o->live++;
    return p;
}

static void *oom_realloc(void *p, size_t n, void *user)
{
    tu_oom *o = user;
    void *q;
    if (oom_refuse(o))
        return NULL;
    q = realloc(p, n);
    if (q && !p)
        o->live++;
    return q;
}

static void oom_free(void *p, void *user)
{
    tu_oom *o = user;
    if (p) {
        o->live--;
        free(p);
    }
}

void tu_oom_install(tu_oom *o)
{
    gan_allocator a = {oom_malloc, oom_realloc, oom_free, o};
    memset(o, 0, sizeof *o);
    o->fail_at = -1;
    OK(gan_set_allocator(&a));
}

void tu_oom_fail_after(tu_oom *o, long k, int persistent)
{
    o->fail_at = o->count + k;
    o->persistent = persistent;
    o->failures = 0;
}

void tu_oom_never(tu_oom *o)
{
    o->fail_at = -1;
}

void tu_oom_uninstall(void)
{
    OK(gan_set_allocator(NULL));
}

/* ---- gradient checker -------------------------------------------------------- */

void tu_gradcheck_defaults(tu_gradcheck_opts *o)
{
    memset(o, 0, sizeof *o);
    o->batch = 2;
    o->mode = GAN_MODE_TRAIN;
    o->eps = 1e-2f;
    o->rtol = 2e-3;
    o->atol = 5e-4;
    o->max_checks = 48;
    o->max_skip_frac = 0.05;
    o->seed = 1234;
    o->dropout_seed = 99;
    o->check_input = 1;
    o->check_params = 1;
    o->min_numeric = 1e-3;
}

typedef struct gc_state {
    gan_model *m;
    const tu_gradcheck_opts *o;
    size_t in_n, out_n;
    float *x, *y, *r;
    size_t layers;
    float **state;          /* per layer, with restore_state */
} gc_state;

static double gc_loss(gc_state *s)
{
    gan_status st;
    for (size_t l = 0; s->state && l < s->layers; l++) {
        size_t ns = 0;
        ck_assert_int_eq(gan_model_layer_sizes(s->m, l, NULL, &ns), GAN_OK);
        if (ns)
            ck_assert_int_eq(gan_model_set_state(s->m, l, s->state[l], ns), GAN_OK);
    }
    ck_assert_int_eq(gan_model_set_seed(s->m, s->o->dropout_seed), GAN_OK);
    if (s->o->labels)
        st = gan_model_forward_labeled(s->m, s->x, s->in_n, s->o->labels, s->o->batch, s->o->mode,
                                       s->y, s->out_n);
    else
        st = gan_model_forward(s->m, s->x, s->in_n, s->o->batch, s->o->mode, s->y, s->out_n);
    ck_assert_msg(st == GAN_OK, "forward: %s", gan_last_error());
    return tu_dot(s->y, s->r, s->out_n);
}

/* Which points of an n-element tensor to check. */
static size_t gc_pick(size_t n, size_t max, tu_rng *r, size_t k)
{
    if (max == 0 || n <= max)
        return k;
    if (k == 0)
        return 0;
    if (k == 1)
        return n - 1;
    return (size_t)(tu_rng_next(r) % n);
}

/*
 * Numerically check v[0..n) (either the input copy or a parameter copy that
 * `apply` writes back into the model) against the analytic gradient g.
 */
typedef void (*gc_apply_fn)(gc_state *s, size_t layer, const float *v, size_t n);

static void gc_apply_params(gc_state *s, size_t layer, const float *v, size_t n)
{
    ck_assert_int_eq(gan_model_set_params(s->m, layer, v, n), GAN_OK);
}

/* The loss with v[i] = value (written back into the model by apply). */
static double gc_loss_at(gc_state *s, size_t layer, float *v, size_t n, size_t i, float value,
                         gc_apply_fn apply)
{
    v[i] = value;
    if (apply)
        apply(s, layer, v, n);
    return gc_loss(s);
}

/*
 * A kink closer to the point than the step h: both central differences
 * then average the slopes of its two sides alike and agree with each
 * other, so the half-step test does not see it (in a deep ReLU network
 * some pre-activation is often that close to 0).  It shows in the
 * one-sided differences (lp - l0) / h and (l0 - lm) / h: they disagree,
 * and the analytic gradient, the slope of the side the point is on, is
 * one of them.  Each one-sided difference has an O(h) error from the
 * curvature, hence the looser 4 * tol.
 */
static int gc_kink_beside(double lp, double lm, double l0, double h, double analytic, double tol)
{
    const double right = (lp - l0) / h, left = (l0 - lm) / h;
    return fabs(right - left) > 4 * tol &&
           (fabs(analytic - right) <= 4 * tol || fabs(analytic - left) <= 4 * tol);
}

static void gc_tensor(gc_state *s, const char *name, size_t layer, float *v, const float *g,
                      size_t n, gc_apply_fn apply, double global_scale, tu_rng *pick,
                      tu_gradcheck_result *res, double *worst_excess)
{
    const double eps = s->o->eps;
    const size_t count = (s->o->max_checks == 0 || n <= s->o->max_checks) ? n : s->o->max_checks;
    double scale = tu_max_abs(g, n);
    if (scale < 0.1 * global_scale)
        scale = 0.1 * global_scale;
    for (size_t k = 0; k < count; k++) {
        size_t i = gc_pick(n, s->o->max_checks, pick, k);
        float orig = v[i];
        double lp, lm, num, a = g[i], tol, err;
        v[i] = (float)(orig + eps);
        if (apply)
            apply(s, layer, v, n);
        lp = gc_loss(s);
        v[i] = (float)(orig - eps);
        if (apply)
            apply(s, layer, v, n);
        lm = gc_loss(s);
        /* Divide by the perturbation actually applied in float. */
        num = (lp - lm) / ((double)(float)(orig + eps) - (double)(float)(orig - eps));
        tol = s->o->atol * scale + s->o->rtol * fmax(fabs(a), fabs(num));
        err = fabs(a - num);
        res->checked++;
        if (fabs(num) > res->max_numeric)
            res->max_numeric = fabs(num);
        if (!(err <= tol)) {
            /* Kink test: the half-step estimate must agree with the full one. */
            double num2, lp2, lm2;
            v[i] = (float)(orig + eps / 2);
            if (apply)
                apply(s, layer, v, n);
            lp2 = gc_loss(s);
            v[i] = (float)(orig - eps / 2);
            if (apply)
                apply(s, layer, v, n);
            lm2 = gc_loss(s);
            num2 = (lp2 - lm2) / ((double)(float)(orig + eps / 2) - (double)(float)(orig - eps / 2));
            if (fabs(num2 - num) > s->o->atol * scale + s->o->rtol * fmax(fabs(num), fabs(num2)) ||
                gc_kink_beside(lp2, lm2, gc_loss_at(s, layer, v, n, i, orig, apply), eps / 2, a,
                               tol)) {
                res->skipped++;
            } else {
                res->failed++;
                if (err / (tol > 0 ? tol : 1e-30) > *worst_excess) {
                    *worst_excess = err / (tol > 0 ? tol : 1e-30);
                    snprintf(res->worst, sizeof res->worst,
                             "%s[%zu]: analytic %.7g numeric %.7g (half-step %.7g) tol %.3g "
                             "(tensor scale %.3g)", name, i, a, num, num2, tol, scale);
                }
            }
        }
        v[i] = orig;
        if (apply)
            apply(s, layer, v, n);
    }
}

int tu_gradcheck(gan_model *m, const float *x, const tu_gradcheck_opts *o,
                 tu_gradcheck_result *res)
{
    gc_state s;
    tu_rng pick;
    size_t L = tu_layers(m), total_p = 0;
    float *dx, **grads, **params;
    double global = 0.0, worst_excess = 0.0;
    gan_status st;

    memset(res, 0, sizeof *res);
    s.m = m;
    s.o = o;
    s.in_n = o->batch * tu_in_elems(m);
    s.out_n = o->batch * tu_out_elems(m);
    s.x = tu_alloc(s.in_n);
    s.y = tu_alloc(s.out_n);
    s.r = tu_alloc(s.out_n);
    dx = tu_alloc(s.in_n);
    memcpy(s.x, x, s.in_n * sizeof(float));
    tu_fill(s.r, s.out_n, o->seed, -1.0f, 1.0f);
    tu_rng_seed(&pick, o->seed + 17);
    s.layers = L;
    s.state = NULL;
    if (o->restore_state) {
        s.state = calloc(L ? L : 1, sizeof *s.state);
        ck_assert(s.state != NULL);
        for (size_t l = 0; l < L; l++) {
            size_t ns = 0;
            ck_assert_int_eq(gan_model_layer_sizes(m, l, NULL, &ns), GAN_OK);
            s.state[l] = tu_alloc(ns ? ns : 1);
            if (ns)
                ck_assert_int_eq(gan_model_get_state(m, l, s.state[l], ns), GAN_OK);
        }
    }

    /* Analytic gradients. */
    ck_assert_int_eq(gan_model_zero_grad(m), GAN_OK);
    (void)gc_loss(&s);
    st = gan_model_backward(m, s.r, s.out_n, dx, s.in_n);
    ck_assert_msg(st == GAN_OK, "backward: %s", gan_last_error());
    grads = calloc(L ? L : 1, sizeof *grads);
    params = calloc(L ? L : 1, sizeof *params);
    ck_assert(grads && params);
    global = tu_max_abs(dx, s.in_n);
    for (size_t l = 0; l < L; l++) {
        size_t n = tu_layer_params(m, l);
        if (!n)
            continue;
        grads[l] = tu_alloc(n);
        params[l] = tu_alloc(n);
        ck_assert_int_eq(gan_model_get_grads(m, l, grads[l], n), GAN_OK);
        ck_assert_int_eq(gan_model_get_params(m, l, params[l], n), GAN_OK);
        if (tu_max_abs(grads[l], n) > global)
            global = tu_max_abs(grads[l], n);
        total_p += n;
    }

    if (o->check_input)
        gc_tensor(&s, "dx", 0, s.x, dx, s.in_n, NULL, global, &pick, res, &worst_excess);
    if (o->check_params)
        for (size_t l = 0; l < L; l++) {
            char name[64];
            size_t n = tu_layer_params(m, l);
            if (!n)
                continue;
            snprintf(name, sizeof name, "layer %zu params", l);
            gc_tensor(&s, name, l, params[l], grads[l], n, gc_apply_params, global, &pick, res,
                      &worst_excess);
        }

    for (size_t l = 0; l < L; l++) {
        free(grads[l]);
        free(params[l]);
    }
    free(grads);
    free(params);
    for (size_t l = 0; s.state && l < L; l++)
        free(s.state[l]);
    free(s.state);
    free(dx);
    free(s.x);
    free(s.y);
    free(s.r);
    (void)total_p;
    return res->failed != 0 || (double)res->skipped > o->max_skip_frac * (double)res->checked;
}

void tu_assert_gradcheck(const char *name, gan_model *m, const float *x,
                         const tu_gradcheck_opts *o)
{
    tu_gradcheck_result r;
    int bad = tu_gradcheck(m, x, o, &r);
    if (!name)
        name = "gradient check";
    if (getenv("TU_VERBOSE"))
        fprintf(stderr, "gradcheck %s: %zu points, %zu failed, %zu skipped, max |numeric| %g%s%s\n",
                name, r.checked, r.failed, r.skipped, r.max_numeric, r.worst[0] ? "; worst: " : "",
                r.worst);
    ck_assert_msg(!bad, "%s: %zu of %zu points failed, %zu skipped as kinks; worst: %s", name,
                  r.failed, r.checked, r.skipped, r.worst);
    ck_assert_msg(r.checked > 0, "%s: checked nothing", name);
    ck_assert_msg(r.max_numeric > o->min_numeric,
                  "%s is vacuous: every numeric gradient is below %g (largest %g)", name,
                  o->min_numeric, r.max_numeric);
}

void tu_run_grad_case(const tu_grad_case *c)
{
    gan_model *m;
    float *x;
    int32_t *labels = NULL;
    size_t n;
    tu_gradcheck_opts o;
    ck_assert_msg(c->build && c->batch > 0 && c->eps > 0.0f && c->rtol > 0.0 && c->atol > 0.0 &&
                  c->max_skip_frac >= 0.0 && c->min_numeric > 0.0,
                  "%s: the row misses its model, batch or tolerances", c->name);
    m = c->build(c->arg);
    n = c->batch * tu_in_elems(m);
    x = tu_alloc(n);
    if (c->input_away)
        tu_fill_away(x, n, c->input_seed, 0.1f, 2.0f);
    else
        tu_fill(x, n, c->input_seed, -1.0f, 1.0f);
    if (c->classes)
        labels = tu_labels(c->batch, c->classes, c->label_seed);
    for (int it = 0; it < c->warmup; it++) {
        if (labels)
            OK(gan_model_forward_labeled(m, x, n, labels, c->batch, GAN_MODE_TRAIN, NULL, 0));
        else
            OK(gan_model_forward(m, x, n, c->batch, GAN_MODE_TRAIN, NULL, 0));
    }
    tu_gradcheck_defaults(&o);
    o.batch = c->batch;
    o.mode = c->mode;
    o.labels = labels;
    o.restore_state = c->restore_state;
    o.eps = c->eps;
    o.rtol = c->rtol;
    o.atol = c->atol;
    o.max_checks = c->max_checks;
    o.max_skip_frac = c->max_skip_frac;
    o.min_numeric = c->min_numeric;
    tu_assert_gradcheck(c->name, m, x, &o);
    free(labels);
    free(x);
    gan_model_free(m);
}

/* ---- error assertions ---------------------------------------------------------- */

void tu_assert_error_at(const char *file, int line, gan_status st, gan_status expect, ...)
{
    const char *msg = gan_last_error();
    const char *sub;
    va_list ap;
    if (st != expect)
        ck_abort_msg("%s:%d: status %d (%s), expected %d (%s); message: '%s'", file, line, (int)st,
                     gan_status_str(st), (int)expect, gan_status_str(expect), msg);
    if (msg == NULL || msg[0] == '\0')
        ck_abort_msg("%s:%d: status %s but gan_last_error() is empty", file, line,
                     gan_status_str(st));
    va_start(ap, expect);
    while ((sub = va_arg(ap, const char *)) != NULL) {
        if (strstr(msg, sub) == NULL) {
            va_end(ap);
            ck_abort_msg("%s:%d: message '%s' does not mention '%s'", file, line, msg, sub);
        }
    }
    va_end(ap);
}

void tu_class_mode(int k, int classes, float *xy)
{
    const double a = 6.283185307179586 * k / classes;
    xy[0] = (float)(2.0 * cos(a));
    xy[1] = (float)(2.0 * sin(a));
}

void tu_class_batch(tu_rng *r, size_t n, int classes, float *x, int32_t *labels)
{
    for (size_t i = 0; i < n; i++) {
        float m[2];
        labels[i] = (int32_t)(tu_rng_next(r) % (uint64_t)classes);
        tu_class_mode(labels[i], classes, m);
        for (int j = 0; j < 2; j++) {
            double u1 = tu_rng_uniform(r) + 1e-12, u2 = tu_rng_uniform(r);
            x[i * 2 + j] = m[j] + (float)(0.05 * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
        }
    }
}
