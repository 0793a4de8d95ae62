/*
 * activation.c -- element-wise activations.
 *
 *   leaky_relu  y = x (x > 0), a x (x <= 0)     dx = dy (x > 0), a dy
 *   relu        leaky_relu with a = 0
 *   tanh        y = tanh x                      dx = dy (1 - y^2)
 *   sigmoid     y = 1 / (1 + e^-x)              dx = dy y (1 - y)
 *
 * All four differentiate through their output y (leaky ReLU's slope: y > 0
 * exactly when x > 0, as a >= 0), so they may run in place, y over x (see
 * plan.c): x == y is allowed in forward and backward, and so is dx == dy.
 */
#include <math.h>

#include "nn/nn.h"

static gan_status act_setup(gan__layer *l)
{
    l->out = l->in;
    return GAN_OK;
}

static size_t act_count(const gan__layer *l, const gan__ctx *cx)
{
    return cx->batch * gan__shape_elems(&l->in);
}

/*
 * The fast kernels multiply by a selected slope (1 or a) instead of
 * branching: the same bits (x * 1 == x; NaN stays NaN), no mispredicted
 * branches on random signs, and the loop vectorises.  The naive twins
 * gan__leaky_*_ref are the test oracle (tests/check_kernels.c).
 */
GAN__SIMD_BODY void leaky_forward_body(size_t n, float a, const float *restrict x, float *restrict y)
{
    for (size_t i = 0; i < n; i++) {
        const float s = x[i] > 0.0f ? 1.0f : a;
        y[i] = x[i] * s;
    }
}
GAN__SIMD_VARIANTS(leaky_forward, (size_t n, float a, const float *restrict x, float *restrict y),
                   (n, a, x, y))

/* The wrappers split n over gan__pool_threads() (element-wise: the same
   bits however it is split). */
typedef struct ew_job {
    float a;
    const float *x, *dy;
    float *y;
} ew_job;

static void leaky_forward_slice(void *ctx, size_t lo, size_t hi)
{
    const ew_job *j = ctx;
    GAN__SIMD_CALL(leaky_forward, (hi - lo, j->a, j->x + lo, j->y + lo));
}

void gan__leaky_forward(size_t n, float a, const float *restrict x, float *restrict y)
{
    ew_job j = {a, x, NULL, y};
    gan__parallel_range(n, 16, GAN__PAR_MIN_FLOATS, leaky_forward_slice, &j);
}

GAN__SIMD_BODY void leaky_backward_body(size_t n, float a, const float *restrict x, const float *restrict dy,
                         float *restrict dx)
{
    for (size_t i = 0; i < n; i++) {
        const float s = x[i] > 0.0f ? 1.0f : a;
        dx[i] = dy[i] * s;
    }
}
GAN__SIMD_VARIANTS(leaky_backward, (size_t n, float a, const float *restrict x,
                   const float *restrict dy, float *restrict dx),
                   (n, a, x, dy, dx))

static void leaky_backward_slice(void *ctx, size_t lo, size_t hi)
{
    const ew_job *j = ctx;
    GAN__SIMD_CALL(leaky_backward, (hi - lo, j->a, j->x + lo, j->dy + lo, j->y + lo));
}

void gan__leaky_backward(size_t n, float a, const float *restrict x, const float *restrict dy,
                         float *restrict dx)
{
    ew_job j = {a, x, dy, dx};
    gan__parallel_range(n, 16, GAN__PAR_MIN_FLOATS, leaky_backward_slice, &j);
}

GAN__SIMD_BODY void leaky_forward_inplace_body(size_t n, float a, float *restrict y)
{
    for (size_t i = 0; i < n; i++) {
        const float s = y[i] > 0.0f ? 1.0f : a;
        y[i] *= s;
    }
}
GAN__SIMD_VARIANTS(leaky_forward_inplace, (size_t n, float a, float *restrict y), (n, a, y))

static void leaky_forward_inplace_slice(void *ctx, size_t lo, size_t hi)
{
    const ew_job *j = ctx;
    GAN__SIMD_CALL(leaky_forward_inplace, (hi - lo, j->a, j->y + lo));
}

void gan__leaky_forward_inplace(size_t n, float a, float *restrict y)
{
    ew_job j = {a, NULL, NULL, y};
    gan__parallel_range(n, 16, GAN__PAR_MIN_FLOATS, leaky_forward_inplace_slice, &j);
}

GAN__SIMD_BODY void leaky_backward_inplace_body(size_t n, float a, const float *restrict x, float *restrict g)
{
    for (size_t i = 0; i < n; i++) {
        const float s = x[i] > 0.0f ? 1.0f : a;
        g[i] *= s;
    }
}
GAN__SIMD_VARIANTS(leaky_backward_inplace, (size_t n, float a, const float *restrict x,
                   float *restrict g),
                   (n, a, x, g))

static void leaky_backward_inplace_slice(void *ctx, size_t lo, size_t hi)
{
    const ew_job *j = ctx;
    GAN__SIMD_CALL(leaky_backward_inplace, (hi - lo, j->a, j->x + lo, j->y + lo));
}

void gan__leaky_backward_inplace(size_t n, float a, const float *restrict x, float *restrict g)
{
    ew_job j = {a, x, NULL, g};
    gan__parallel_range(n, 16, GAN__PAR_MIN_FLOATS, leaky_backward_inplace_slice, &j);
}

void gan__leaky_forward_ref(size_t n, float a, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : a * x[i];
}

void gan__leaky_backward_ref(size_t n, float a, const float *x, const float *dy, float *dx)
{
    for (size_t i = 0; i < n; i++)
        dx[i] = x[i] > 0.0f ? dy[i] : a * dy[i];
}

static void leaky_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    if (x == y)
        gan__leaky_forward_inplace(act_count(l, cx), l->u.act.alpha, y);
    else
        gan__leaky_forward(act_count(l, cx), l->u.act.alpha, x, y);
}

static void leaky_backward(gan__layer *l, const gan__ctx *cx, const float *x,
                           const float *y, const float *dy, float *dx)
{
    (void)x;   /* may be y itself (in place); y has x's signs */
    if (dx == dy)   /* the gradient buffer plan writes dx over dy */
        gan__leaky_backward_inplace(act_count(l, cx), l->u.act.alpha, y, dx);
    else if (dx)
        gan__leaky_backward(act_count(l, cx), l->u.act.alpha, y, dy, dx);
}

/*
 * tanh without libm: Cephes' tanhf, written branch-free so the loop
 * vectorises (libm's tanhf is a scalar call of ~15 ns per element, a few
 * per cent of a generator's forward pass).  |x| < 0.625: an odd polynomial;
 * otherwise 1 - 2 / (e^{2|x|} + 1) with the sign of x, e^t from Cephes'
 * expf (t = k ln2 + r, |r| <= ln2/2, a degree-7 polynomial, 2^k from the
 * exponent bits).  |x| is clamped at 9.5, where tanh rounds to 1.  Within
 * 2 ulp of the exact tanh (tests/check_kernels.c measures it); NaN stays
 * NaN, +-0 and +-inf give +-0 and +-1.  No FMA contraction (the build
 * disables it), so every vector width gives the same bits.
 */
/* c ? a : b as bit operations: GCC if-converts ternaries in this loop for
   SSE2 but not for the AVX2 clone, which then stays scalar. */
static inline float gan__select(int c, float a, float b)
{
    union { float f; uint32_t u; } ua, ub, r;
    const uint32_t m = 0u - (uint32_t)c;
    ua.f = a;
    ub.f = b;
    r.u = (ua.u & m) | (ub.u & ~m);
    return r.f;
}

static inline float gan__tanh1(float x)
{
    const float ax = fabsf(x);
    const float z2 = x * x;
    const float small = ((((-5.70498872745e-3f * z2 + 2.06390887954e-2f) * z2 -
                           5.37397155531e-2f) * z2 + 1.33314422036e-1f) * z2 -
                         3.33332819422e-1f) * z2 * x + x;
    const float t = 2.0f * gan__select(ax < 9.5f, ax, 9.5f);      /* NaN -> 19: fixed below */
    const int k = (int)(t * 1.44269504088896341f + 0.5f); /* round(t / ln2), t >= 0 */
    const float kf = (float)k;
    float r = t - kf * 0.693359375f;
    r = r - kf * -2.12194440e-4f;
    const float r2 = r * r;
    const float p = ((((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
                        4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f) * r2 +
                     r) + 1.0f;
    union { int32_t i; float f; } scale;
    scale.i = (k + 127) << 23;                          /* 2^k, k in 0..27 */
    const float e = p * scale.f;
    const float big = copysignf(1.0f - 2.0f / (e + 1.0f), x);
    const float v = gan__select(ax < 0.625f, copysignf(small, x), big);   /* keeps -0 */
    return gan__select(x != x, x, v);
}

GAN__SIMD_BODY void tanh_forward_body(size_t n, const float *restrict x, float *restrict y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = gan__tanh1(x[i]);
}
GAN__SIMD_VARIANTS(tanh_forward, (size_t n, const float *restrict x, float *restrict y), (n, x, y))

static void tanh_forward_slice(void *ctx, size_t lo, size_t hi)
{
    const ew_job *j = ctx;
    GAN__SIMD_CALL(tanh_forward, (hi - lo, j->x + lo, j->y + lo));
}

/* tanh costs ~10x a leaky ReLU per element: threads pay from fewer. */
void gan__tanh_forward(size_t n, const float *restrict x, float *restrict y)
{
    ew_job j = {0.0f, x, NULL, y};
    gan__parallel_range(n, 16, GAN__PAR_MIN_FLOATS / 8, tanh_forward_slice, &j);
}

GAN__SIMD_BODY void tanh_forward_inplace_body(size_t n, float *restrict y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = gan__tanh1(y[i]);
}
GAN__SIMD_VARIANTS(tanh_forward_inplace, (size_t n, float *restrict y), (n, y))

static void tanh_forward_inplace_slice(void *ctx, size_t lo, size_t hi)
{
    const ew_job *j = ctx;
    GAN__SIMD_CALL(tanh_forward_inplace, (hi - lo, j->y + lo));
}

void gan__tanh_forward_inplace(size_t n, float *restrict y)
{
    ew_job j = {0.0f, NULL, NULL, y};
    gan__parallel_range(n, 16, GAN__PAR_MIN_FLOATS / 8, tanh_forward_inplace_slice, &j);
}

static void tanh_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    if (x == y)
        gan__tanh_forward_inplace(act_count(l, cx), y);
    else
        gan__tanh_forward(act_count(l, cx), x, y);
}

static void tanh_backward(gan__layer *l, const gan__ctx *cx, const float *x,
                          const float *y, const float *dy, float *dx)
{
    const size_t n = act_count(l, cx);
    (void)x;
    if (dx)
        for (size_t i = 0; i < n; i++)
            dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

static void sigmoid_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t n = act_count(l, cx);
    for (size_t i = 0; i < n; i++) {
        /* Never exponentiate a positive number: no overflow for any x. */
        if (x[i] >= 0.0f) {
            y[i] = 1.0f / (1.0f + expf(-x[i]));
        } else {
            float e = expf(x[i]);
            y[i] = e / (1.0f + e);
        }
    }
}

static void sigmoid_backward(gan__layer *l, const gan__ctx *cx, const float *x,
                             const float *y, const float *dy, float *dx)
{
    const size_t n = act_count(l, cx);
    (void)x;
    if (dx)
        for (size_t i = 0; i < n; i++)
            dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

/* ---- gradient penalties: a rectifier's J u at the forward just run ---------- */

/* x > 0 exactly where the forward's output is (slope a >= 0), so x may be
   the in-place output. */
static void leaky_penalty_jvp(const gan__layer *l, const gan__ctx *cx, const float *x,
                              const float *u, float *out)
{
    const size_t e = cx->batch * gan__shape_elems(&l->in);
    const float a = l->u.act.alpha;
    for (size_t i = 0; i < e; i++)
        out[i] = x[i] > 0.0f ? u[i] : a * u[i];
}

/* ---- building and the file record ---------------------------------------- */

static gan_status leaky_build(gan_model *m, gan__layer *t, const char *func)
{
    if (!(t->u.act.alpha >= 0.0f && t->u.act.alpha < 1.0f))
        return gan__err(GAN_EINVAL, "%s: alpha %g must be in [0, 1)", func, (double)t->u.act.alpha);
    return gan__model_append(m, t, func);
}

gan_status gan_model_add_leaky_relu(gan_model *m, float alpha)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_LEAKY_RELU);
    t.u.act.alpha = alpha;
    return leaky_build(m, &t, __func__);
}

/* Record: f32 alpha. */
static void leaky_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_f32(b, l->u.act.alpha);
}

static gan_status leaky_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    (void)use_bias;
    t->u.act.alpha = gan__rb_f32(r);
    return r->st;
}

/* relu, tanh and sigmoid have no settings and no record fields. */
static gan_status act_add(gan_model *m, gan_layer_kind kind, const char *func)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, kind);    /* relu: leaky_relu with alpha 0 */
    return gan__model_append(m, &t, func);
}

gan_status gan_model_add_relu(gan_model *m)
{
    return act_add(m, GAN_LAYER_RELU, __func__);
}

gan_status gan_model_add_tanh(gan_model *m)
{
    return act_add(m, GAN_LAYER_TANH, __func__);
}

gan_status gan_model_add_sigmoid(gan_model *m)
{
    return act_add(m, GAN_LAYER_SIGMOID, __func__);
}

/* ONNX: the element-wise ops of the same names (LeakyRelu's alpha). */
static gan_status act_onnx_op(gan__onnx *g, const char *op, const gan__onnx_attr *a, size_t na)
{
    const char *in = gan__onnx_in(g);
    char y[GAN__ONNX_NAME];
    gan__onnx_node(g, op, &in, 1, a, na, y);
    gan__onnx_out(g, y);
    return g->st;
}

static gan_status leaky_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    const gan__onnx_attr a = {.name = "alpha", .type = 'f', .f = l->u.act.alpha};
    (void)w;
    (void)state;
    return act_onnx_op(g, "LeakyRelu", &a, 1);
}

static gan_status relu_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    (void)l;
    (void)w;
    (void)state;
    return act_onnx_op(g, "Relu", NULL, 0);
}

static gan_status tanh_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    (void)l;
    (void)w;
    (void)state;
    return act_onnx_op(g, "Tanh", NULL, 0);
}

static gan_status sigmoid_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    (void)l;
    (void)w;
    (void)state;
    return act_onnx_op(g, "Sigmoid", NULL, 0);
}

/* All four differentiate through their output (ACT_IN_PLACE) and may write
   dx over dy; the rectifiers fuse into a batchnorm before them.  tanh and
   sigmoid are not piecewise linear: the gradient penalties refuse them. */
const gan__layer_ops gan__leaky_relu_ops = {
    .name = "leaky_relu",
    .build = leaky_build,
    .encode = leaky_encode,
    .decode = leaky_decode,
    .setup = act_setup,
    .forward = leaky_forward,
    .backward = leaky_backward,
    .plan = GAN__PLAN_RECTIFIER | GAN__PLAN_ACT_IN_PLACE | GAN__PLAN_GRAD_IN_PLACE,
    .penalty_jvp = leaky_penalty_jvp,
    .onnx = leaky_onnx,
};
const gan__layer_ops gan__relu_ops = {
    .name = "relu",
    .build = gan__model_append,
    .setup = act_setup,
    .forward = leaky_forward,
    .backward = leaky_backward,
    .plan = GAN__PLAN_RECTIFIER | GAN__PLAN_ACT_IN_PLACE | GAN__PLAN_GRAD_IN_PLACE,
    .penalty_jvp = leaky_penalty_jvp,
    .onnx = relu_onnx,
};
const gan__layer_ops gan__tanh_ops = {
    .name = "tanh",
    .build = gan__model_append,
    .setup = act_setup,
    .forward = tanh_forward,
    .backward = tanh_backward,
    .plan = GAN__PLAN_ACT_IN_PLACE | GAN__PLAN_GRAD_IN_PLACE,
    .onnx = tanh_onnx,
};
const gan__layer_ops gan__sigmoid_ops = {
    .name = "sigmoid",
    .build = gan__model_append,
    .setup = act_setup,
    .forward = sigmoid_forward,
    .backward = sigmoid_backward,
    .plan = GAN__PLAN_ACT_IN_PLACE | GAN__PLAN_GRAD_IN_PLACE,
    .onnx = sigmoid_onnx,
};
