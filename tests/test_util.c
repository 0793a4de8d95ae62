/* test_util.c -- see test_util.h. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

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
            if (fabs(num2 - num) > s->o->atol * scale + s->o->rtol * fmax(fabs(num), fabs(num2))) {
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

void tu_assert_gradcheck(gan_model *m, const float *x, const tu_gradcheck_opts *o)
{
    tu_gradcheck_result r;
    int bad = tu_gradcheck(m, x, o, &r);
    if (getenv("TU_VERBOSE"))
        fprintf(stderr, "gradcheck: %zu points, %zu failed, %zu skipped, max |numeric| %g%s%s\n",
                r.checked, r.failed, r.skipped, r.max_numeric, r.worst[0] ? "; worst: " : "",
                r.worst);
    ck_assert_msg(!bad, "gradient check: %zu of %zu points failed, %zu skipped as kinks; worst: %s",
                  r.failed, r.checked, r.skipped, r.worst);
    ck_assert_msg(r.checked > 0, "gradient check checked nothing");
    ck_assert_msg(r.max_numeric > 1e-3, "gradient check is vacuous: every numeric gradient ~0");
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
