/*
 * check_conv.c -- the im2col + GEMM convolutions against their naive twins
 * (gan__conv2d_*_ref, gan__deconv2d_*_ref) for every configuration of the
 * seed networks, the batch-chunking path, Keras' output-shape and padding
 * rules, and gan__sgemm against gan__sgemm_ref.
 *
 * The geometry handed to the twins is computed here from Keras' rules, not
 * read from the layer, so a wrong padding in the library shows up as a
 * mismatch.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "kernels/kernels.h"
#include "test_util.h"

/* ---- Keras geometry, written out independently of shape.c ------------------ */

/* Keras/TensorFlow: valid out = ceil((in - k + 1) / s); same out = ceil(in / s)
   with total padding max((out - 1) s + k - in, 0), the smaller half first. */
static int keras_conv_out(int in, int k, int s, gan_padding p, int *pad_before)
{
    if (p == GAN_PADDING_VALID) {
        *pad_before = 0;
        return in < k ? -1 : (in - k + s) / s;
    } else {
        int out = (in + s - 1) / s;
        int total = (out - 1) * s + k - in;
        *pad_before = total > 0 ? total / 2 : 0;
        return out;
    }
}

/* Keras Conv2DTranspose (output_padding None): same in*s, valid
   in*s + max(k - s, 0). */
static int keras_deconv_out(int in, int k, int s, gan_padding p)
{
    return p == GAN_PADDING_SAME ? in * s : in * s + (k > s ? k - s : 0);
}

typedef struct cfg {
    int h, w, c, filters, k, s;
    gan_padding pad;
    int use_bias;
    size_t batch;
    const char *what;
} cfg;

/* Geometry of conv2d on input (h, w, c). */
static gan__conv_geom conv_geom(const cfg *t)
{
    gan__conv_geom g;
    g.ih = t->h;
    g.iw = t->w;
    g.ic = t->c;
    g.kh = g.kw = t->k;
    g.sh = g.sw = t->s;
    g.oh = keras_conv_out(t->h, t->k, t->s, t->pad, &g.pad_top);
    g.ow = keras_conv_out(t->w, t->k, t->s, t->pad, &g.pad_left);
    return g;
}

/* Geometry of the convolution that conv2d_transpose on (h, w, c) is the
   adjoint of: from (H, W, filters) back to (h, w). */
static gan__conv_geom deconv_geom(const cfg *t)
{
    gan__conv_geom g;
    g.ih = keras_deconv_out(t->h, t->k, t->s, t->pad);
    g.iw = keras_deconv_out(t->w, t->k, t->s, t->pad);
    g.ic = t->filters;
    g.kh = g.kw = t->k;
    g.sh = g.sw = t->s;
    g.oh = keras_conv_out(g.ih, t->k, t->s, t->pad, &g.pad_top);
    g.ow = keras_conv_out(g.iw, t->k, t->s, t->pad, &g.pad_left);
    ck_assert_int_eq(g.oh, t->h);
    ck_assert_int_eq(g.ow, t->w);
    return g;
}

/* ---- model vs twin ---------------------------------------------------------- */

/* Errors are measured as max |got - want| / max |want|: float sums of up to
   tens of thousands of terms against double ones differ by ~1e-6 of the
   largest value, while a wrong index or padding differs by O(1). */
#define FWD_TOL 5e-5
#define BWD_TOL 5e-5

static void compare(const char *what, const char *tensor, const float *got, const float *want,
                    size_t n, double tol)
{
    double scale = tu_max_abs(want, n), err = 0.0;
    ck_assert_msg(scale > 0.0, "%s: %s reference is all zeros (vacuous)", what, tensor);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]) / scale;
        if (!(d <= err))
            err = isnan(d) ? INFINITY : d;
    }
    ck_assert_msg(err <= tol, "%s: %s differs from the naive twin: max error %g of the largest "
                  "value > %g", what, tensor, err, tol);
}

/* force: -1 lets the layer choose its path; 0/1 forces conv2d_transpose's
   kernel-row path (conv_taps.c) off or on. */
static void run_case_path(const cfg *t, int transpose, int force)
{
    gan_model *m = tu_model(3, t->h, t->w, t->c);
    gan_conv2d_config c;
    gan__conv_geom g = transpose ? deconv_geom(t) : conv_geom(t);
    const size_t B = t->batch;
    const size_t in_n = B * (size_t)t->h * t->w * t->c;
    const size_t wn = (size_t)t->k * t->k * t->c * t->filters;
    const size_t np = wn + (t->use_bias ? (size_t)t->filters : 0);
    size_t out_n, nd;
    int dims[3];
    float *x, *w, *y, *yr, *dy, *dx, *dxr, *gw, *gwr;
    gan_status st;
    char what[160];

    snprintf(what, sizeof what, "%s %s (%d,%d,%d) k%d s%d %s -> %d filters, batch %zu",
             t->what, transpose ? "conv2d_transpose" : "conv2d", t->h, t->w, t->c, t->k, t->s,
             t->pad == GAN_PADDING_SAME ? "same" : "valid", t->filters, B);
    ck_assert_int_eq(GAN_CONV2D_CONFIG_INIT(&c), GAN_OK);
    c.filters = t->filters;
    c.kernel_h = c.kernel_w = t->k;
    c.stride_h = c.stride_w = t->s;
    c.padding = t->pad;
    c.use_bias = t->use_bias;
    st = transpose ? gan_model_add_conv2d_transpose(m, &c) : gan_model_add_conv2d(m, &c);
    ck_assert_msg(st == GAN_OK, "%s: %s", what, gan_last_error());
    if (force >= 0) {
        ck_assert(transpose);
        m->layers[0].u.conv.taps = force;   /* before the first forward plans buffers */
    }

    /* Output shape: Keras' rule. */
    ck_assert_int_eq(gan_model_shape(m, 0, &nd, dims), GAN_OK);
    ck_assert_uint_eq(nd, 3);
    ck_assert_msg(dims[0] == (transpose ? g.ih : g.oh) && dims[1] == (transpose ? g.iw : g.ow) &&
                  dims[2] == t->filters, "%s: output (%d,%d,%d)", what, dims[0], dims[1], dims[2]);
    ck_assert_uint_eq(tu_layer_params(m, 0), np);
    out_n = B * (size_t)dims[0] * dims[1] * dims[2];

    x = tu_alloc(in_n);
    w = tu_alloc(np);
    y = tu_alloc(out_n);
    yr = tu_alloc(out_n);
    dy = tu_alloc(out_n);
    dx = tu_alloc(in_n);
    dxr = tu_alloc(in_n);
    gw = tu_alloc(np);
    gwr = tu_alloc(np);
    tu_fill(x, in_n, 1, -1.0f, 1.0f);
    tu_fill(w, np, 2, -0.2f, 0.2f);
    tu_fill(dy, out_n, 3, -1.0f, 1.0f);
    ck_assert_int_eq(gan_model_set_params(m, 0, w, np), GAN_OK);

    st = gan_model_forward(m, x, in_n, B, GAN_MODE_TRAIN, y, out_n);
    ck_assert_msg(st == GAN_OK, "%s: %s", what, gan_last_error());
    if (transpose)
        gan__deconv2d_forward_ref(&g, t->c, (int)B, x, w, t->use_bias ? w + wn : NULL, yr);
    else
        gan__conv2d_forward_ref(&g, t->filters, (int)B, x, w, t->use_bias ? w + wn : NULL, yr);
    compare(what, "y", y, yr, out_n, FWD_TOL);

    ck_assert_int_eq(gan_model_zero_grad(m), GAN_OK);
    st = gan_model_backward(m, dy, out_n, dx, in_n);
    ck_assert_msg(st == GAN_OK, "%s: %s", what, gan_last_error());
    ck_assert_int_eq(gan_model_get_grads(m, 0, gw, np), GAN_OK);
    if (transpose)
        gan__deconv2d_backward_ref(&g, t->c, (int)B, x, w, dy, gwr, t->use_bias ? gwr + wn : NULL,
                                   dxr);
    else
        gan__conv2d_backward_ref(&g, t->filters, (int)B, x, w, dy, gwr,
                                 t->use_bias ? gwr + wn : NULL, dxr);
    compare(what, "dx", dx, dxr, in_n, BWD_TOL);
    compare(what, "dW", gw, gwr, wn, BWD_TOL);
    if (t->use_bias)
        compare(what, "db", gw + wn, gwr + wn, (size_t)t->filters, BWD_TOL);

    free(x);
    free(w);
    free(y);
    free(yr);
    free(dy);
    free(dx);
    free(dxr);
    free(gw);
    free(gwr);
    gan_model_free(m);
}

static void run_case(const cfg *t, int transpose)
{
    run_case_path(t, transpose, -1);
}

/* Every conv2d of the seed discriminators (spatial sizes scaled down, channel
   counts kept), plus valid padding and odd sizes. */
static const cfg conv_cfgs[] = {
    {8, 8, 3, 64, 4, 2, GAN_PADDING_SAME, 1, 2, "CIFAR D conv1"},
    {4, 4, 64, 128, 4, 2, GAN_PADDING_SAME, 1, 2, "CIFAR D conv2"},
    {4, 4, 128, 256, 4, 2, GAN_PADDING_SAME, 1, 2, "CIFAR D conv3"},
    {8, 8, 1, 64, 5, 2, GAN_PADDING_SAME, 1, 2, "MNIST D conv1"},
    {7, 7, 64, 128, 5, 2, GAN_PADDING_SAME, 1, 2, "MNIST D conv2 (14x14 -> 7x7 pads 1/2)"},
    {5, 5, 4, 6, 4, 1, GAN_PADDING_SAME, 1, 3, "even kernel stride 1 same"},
    {9, 8, 3, 5, 4, 2, GAN_PADDING_VALID, 1, 2, "valid k4 s2"},
    {7, 6, 3, 4, 5, 1, GAN_PADDING_VALID, 0, 2, "valid k5 s1"},
    {6, 6, 2, 3, 5, 1, GAN_PADDING_SAME, 0, 1, "same k5 s1"},
    {3, 3, 4, 3, 5, 2, GAN_PADDING_SAME, 1, 2, "kernel larger than image"},
};

/* Every conv2d_transpose of the seed generators, likewise. */
static const cfg deconv_cfgs[] = {
    {2, 2, 512, 256, 4, 2, GAN_PADDING_SAME, 0, 2, "CIFAR G deconv1 512->256"},
    {4, 4, 256, 128, 4, 2, GAN_PADDING_SAME, 0, 2, "CIFAR G deconv2"},
    {4, 4, 128, 64, 4, 2, GAN_PADDING_SAME, 0, 2, "CIFAR G deconv3"},
    {5, 5, 64, 3, 4, 1, GAN_PADDING_SAME, 0, 2, "CIFAR G deconv4 64->3 (k4 s1 pads 1/2)"},
    {3, 3, 256, 128, 5, 1, GAN_PADDING_SAME, 0, 2, "MNIST G deconv1"},
    {4, 4, 128, 64, 5, 2, GAN_PADDING_SAME, 0, 2, "MNIST G deconv2"},
    {7, 7, 64, 1, 5, 2, GAN_PADDING_SAME, 0, 2, "MNIST G deconv3 (7 -> 14)"},
    {3, 4, 3, 5, 4, 2, GAN_PADDING_VALID, 1, 2, "valid k4 s2"},
    {3, 3, 3, 4, 5, 1, GAN_PADDING_VALID, 1, 2, "valid k5 s1"},
    {3, 3, 2, 3, 3, 2, GAN_PADDING_VALID, 1, 2, "valid k3 s2"},
    {3, 2, 2, 3, 2, 3, GAN_PADDING_VALID, 1, 2, "valid k2 s3 (kernel < stride)"},
    {3, 3, 2, 3, 3, 2, GAN_PADDING_SAME, 1, 3, "same k3 s2 with bias"},
};

/* Transposed convolutions through both paths: odd and rectangular maps,
   kernels larger than the map, 1x1 maps and kernels, valid padding,
   strides 1 to 3 (kernels smaller than the stride too). */
static const cfg taps_cfgs[] = {
    {7, 7, 16, 8, 5, 1, GAN_PADDING_SAME, 0, 3, "MNIST G deconv1 geometry"},
    {5, 7, 3, 4, 3, 1, GAN_PADDING_SAME, 1, 3, "k3 same, rectangular"},
    {6, 5, 4, 3, 4, 1, GAN_PADDING_SAME, 0, 2, "even kernel (pads 1/2)"},
    {2, 9, 5, 2, 5, 1, GAN_PADDING_SAME, 1, 3, "kernel taller than the map"},
    {1, 1, 4, 3, 3, 1, GAN_PADDING_SAME, 0, 2, "1x1 map"},
    {4, 3, 3, 2, 1, 1, GAN_PADDING_SAME, 1, 2, "1x1 kernel"},
    {3, 4, 3, 4, 5, 1, GAN_PADDING_VALID, 1, 2, "valid k5 (output larger)"},
    {3, 3, 64, 1, 4, 1, GAN_PADDING_SAME, 1, 2, "64 -> 1 channel"},
    {2, 2, 16, 8, 4, 2, GAN_PADDING_SAME, 0, 3, "CIFAR G deconv1 geometry (s2)"},
    {4, 3, 6, 3, 5, 2, GAN_PADDING_SAME, 1, 2, "k5 s2 same, rectangular"},
    {3, 4, 3, 2, 3, 2, GAN_PADDING_VALID, 1, 2, "k3 s2 valid"},
    {3, 2, 2, 3, 2, 3, GAN_PADDING_VALID, 1, 2, "k2 s3 (kernel < stride)"},
    {2, 3, 2, 3, 4, 3, GAN_PADDING_SAME, 0, 2, "k4 s3 same"},
    {7, 7, 8, 1, 5, 2, GAN_PADDING_SAME, 0, 2, "MNIST G output geometry (s2, 1 channel)"},
};

START_TEST(test_deconv_taps_vs_ref)
{
    run_case_path(&taps_cfgs[_i], 1, 1);
    run_case_path(&taps_cfgs[_i], 1, 0);
}
END_TEST

/* The rule: at most 90% of the im2col product rows kept.  The MNIST
   generator's 7x7 5x5 layer keeps 29/35 and the CIFAR generator's 4x4 ->
   8x8 layer 14/16; the other layers keep more (CIFAR's 32x32 output layer
   124/128, MNIST's 7x7 -> 14x14 layer 32/35) and stay on im2col. */
START_TEST(test_deconv_taps_rule)
{
    static const struct {
        gan_preset preset;
        size_t taps_layer, other_layer;     /* the one on taps, one on im2col */
        double taps_kept, other_kept;
    } cases[] = {
        {GAN_PRESET_MNIST_GENERATOR, 4, 7, 29.0 / 35.0, 32.0 / 35.0},
        {GAN_PRESET_DCGAN_CIFAR10_GENERATOR, 4, 13, 14.0 / 16.0, 124.0 / 128.0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gan_model *g = tu_preset(cases[c].preset);
        for (size_t i = 0; i < g->n_layers; i++)
            if (g->layers[i].kind == GAN_LAYER_CONV2D_TRANSPOSE)
                ck_assert_int_eq(g->layers[i].u.conv.taps, i == cases[c].taps_layer);
        ck_assert(fabs(gan__deconv_taps_kept(&g->layers[cases[c].taps_layer].u.conv.g) -
                       cases[c].taps_kept) < 1e-12);
        ck_assert(fabs(gan__deconv_taps_kept(&g->layers[cases[c].other_layer].u.conv.g) -
                       cases[c].other_kept) < 1e-12);
        gan_model_free(g);
    }
}
END_TEST

START_TEST(test_conv_vs_ref)
{
    run_case(&conv_cfgs[_i], 0);
}
END_TEST

START_TEST(test_deconv_vs_ref)
{
    run_case(&deconv_cfgs[_i], 1);
}
END_TEST

/* ---- chunking: the batch is split when columns exceed GAN__WS_CAP_BYTES ----- */

START_TEST(test_chunk_images)
{
    const size_t cap = GAN__WS_CAP_BYTES;
    ck_assert_uint_eq(gan__chunk_images(64, 0), 64);
    ck_assert_uint_eq(gan__chunk_images(64, 1024), 64);
    ck_assert_uint_eq(gan__chunk_images(5, cap / 2), 2);
    ck_assert_uint_eq(gan__chunk_images(5, cap / 2 + 1), 1);
    ck_assert_uint_eq(gan__chunk_images(5, cap), 1);
    ck_assert_uint_eq(gan__chunk_images(5, cap * 3), 1); /* never 0 */
    ck_assert_uint_eq(gan__chunk_images(1, 4), 1);
    ck_assert_uint_eq(gan__chunk_images(100, cap / 7), 7);
}
END_TEST

/* Per-image columns of 9 MiB: chunks of 3 images, so a batch of 4 runs as
   3 + 1 (and a ragged last chunk). */
static const cfg chunk_cfgs[] = {
    {96, 96, 16, 2, 4, 1, GAN_PADDING_SAME, 1, 4, "chunked"},
};

START_TEST(test_conv_chunked)
{
    const cfg *t = &chunk_cfgs[0];
    gan__conv_geom g = conv_geom(t);
    size_t per = (size_t)g.oh * g.ow * g.kh * g.kw * g.ic * sizeof(float);
    ck_assert_msg(gan__chunk_images(t->batch, per) > 1 && gan__chunk_images(t->batch, per) < t->batch,
                  "the case does not exercise chunking (%zu per chunk)",
                  gan__chunk_images(t->batch, per));
    run_case(t, 0);
}
END_TEST

START_TEST(test_deconv_chunked)
{
    /* Columns of the transpose: (h*w, k*k*filters) per image. */
    static const cfg t = {96, 96, 2, 16, 4, 1, GAN_PADDING_SAME, 1, 4, "chunked"};
    gan__conv_geom g = deconv_geom(&t);
    size_t per = (size_t)g.oh * g.ow * g.kh * g.kw * g.ic * sizeof(float);
    ck_assert(gan__chunk_images(t.batch, per) > 1 && gan__chunk_images(t.batch, per) < t.batch);
    run_case(&t, 1);
}
END_TEST

/* ---- Keras shape rules ------------------------------------------------------- */

static void expect_conv_shape(int transpose, int h, int w, int c, int filters, int k, int s,
                              gan_padding pad, int eh, int ew)
{
    gan_model *m = tu_model(3, h, w, c);
    gan_conv2d_config cc = tu_conv_config(filters, k, s, pad);
    size_t nd;
    int d[3];
    tu_add_conv_config(m, transpose, &cc);
    ck_assert_int_eq(gan_model_shape(m, 0, &nd, d), GAN_OK);
    ck_assert_msg(nd == 3 && d[0] == eh && d[1] == ew && d[2] == filters,
                  "%s (%d,%d,%d) k%d s%d %s: got (%d,%d,%d), Keras gives (%d,%d,%d)",
                  transpose ? "conv2d_transpose" : "conv2d", h, w, c, k, s,
                  pad == GAN_PADDING_SAME ? "same" : "valid", d[0], d[1], d[2], eh, ew, filters);
    gan_model_free(m);
}

START_TEST(test_keras_shapes)
{
    /* Values worked out by hand from Keras' documentation. */
    expect_conv_shape(0, 32, 32, 3, 64, 4, 2, GAN_PADDING_SAME, 16, 16);
    expect_conv_shape(0, 28, 28, 1, 64, 5, 2, GAN_PADDING_SAME, 14, 14);
    expect_conv_shape(0, 7, 7, 1, 2, 5, 2, GAN_PADDING_SAME, 4, 4);     /* ceil(7/2) */
    expect_conv_shape(0, 5, 5, 1, 2, 4, 1, GAN_PADDING_SAME, 5, 5);
    expect_conv_shape(0, 28, 28, 1, 2, 5, 2, GAN_PADDING_VALID, 12, 12); /* floor(23/2)+1 */
    expect_conv_shape(0, 7, 9, 1, 2, 3, 2, GAN_PADDING_VALID, 3, 4);
    expect_conv_shape(0, 5, 5, 1, 2, 5, 1, GAN_PADDING_VALID, 1, 1);
    expect_conv_shape(0, 1, 1, 1, 2, 5, 3, GAN_PADDING_SAME, 1, 1);
    expect_conv_shape(1, 4, 4, 512, 2, 4, 2, GAN_PADDING_SAME, 8, 8);
    expect_conv_shape(1, 7, 7, 3, 2, 5, 1, GAN_PADDING_SAME, 7, 7);
    expect_conv_shape(1, 7, 7, 3, 2, 5, 2, GAN_PADDING_SAME, 14, 14);
    expect_conv_shape(1, 7, 5, 3, 2, 5, 2, GAN_PADDING_VALID, 17, 13);  /* in*s + k-s */
    expect_conv_shape(1, 4, 4, 3, 2, 4, 1, GAN_PADDING_VALID, 7, 7);
    expect_conv_shape(1, 3, 3, 3, 2, 2, 3, GAN_PADDING_VALID, 9, 9);    /* k < s: in*s */
    expect_conv_shape(1, 3, 3, 3, 2, 3, 3, GAN_PADDING_VALID, 9, 9);
}
END_TEST

/*
 * Asymmetric padding of an even kernel at stride 1 'same' (k = 4: total 3,
 * 1 before and 2 after), checked by behaviour: a kernel that is 1 at
 * (ky, kx) = (0, 0) and 0 elsewhere shifts the image by the leading pad.
 */
START_TEST(test_even_kernel_padding)
{
    enum { H = 4, W = 5 };
    for (int transpose = 0; transpose < 2; transpose++) {
        gan_model *m = tu_model(3, H, W, 1);
        gan_conv2d_config cc;
        float w[4 * 4 + 1], x[H * W], y[H * W];
        GAN_CONV2D_CONFIG_INIT(&cc);
        cc.filters = 1;
        cc.kernel_h = cc.kernel_w = 4;
        cc.padding = GAN_PADDING_SAME;
        ck_assert_int_eq(transpose ? gan_model_add_conv2d_transpose(m, &cc)
                                   : gan_model_add_conv2d(m, &cc), GAN_OK);
        memset(w, 0, sizeof w);
        w[0] = 1.0f;
        ck_assert_int_eq(gan_model_set_params(m, 0, w, 17), GAN_OK);
        for (int i = 0; i < H * W; i++)
            x[i] = (float)(i + 1);
        ck_assert_int_eq(gan_model_forward(m, x, H * W, 1, GAN_MODE_INFER, y, H * W), GAN_OK);
        for (int oy = 0; oy < H; oy++)
            for (int ox = 0; ox < W; ox++) {
                /* conv: y(o) = x(o - 1) (the window starts 1 above/left);
                   transpose (adjoint): y(o) = x(o + 1). */
                int iy = transpose ? oy + 1 : oy - 1, ix = transpose ? ox + 1 : ox - 1;
                float want = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x[iy * W + ix] : 0.0f;
                ck_assert_msg(y[oy * W + ox] == want, "%s: y(%d,%d) = %g, want %g (pad_top 1)",
                              transpose ? "conv2d_transpose" : "conv2d", oy, ox,
                              (double)y[oy * W + ox], (double)want);
            }
        gan_model_free(m);
    }
    /* And the helper itself. */
    {
        int pb = -1;
        ck_assert_int_eq(gan__conv_out_size(4, 4, 1, GAN_PADDING_SAME, &pb), 4);
        ck_assert_int_eq(pb, 1);
        ck_assert_int_eq(gan__conv_out_size(14, 5, 2, GAN_PADDING_SAME, &pb), 7);
        ck_assert_int_eq(pb, 1);
        ck_assert_int_eq(gan__conv_out_size(7, 5, 2, GAN_PADDING_SAME, &pb), 4);
        ck_assert_int_eq(pb, 2); /* total (4-1)*2+5-7 = 4 */
        ck_assert_int_eq(gan__conv_out_size(3, 4, 1, GAN_PADDING_VALID, &pb), -1);
    }
}
END_TEST

/*
 * Keras' weight layouts, checked on hand-worked examples (so the engine and
 * the naive twins cannot share a layout mistake unnoticed):
 *   Dense            kernel (in, units), then bias
 *   Conv2D           kernel (kh, kw, in_channels, filters), then bias
 *   Conv2DTranspose  kernel (kh, kw, filters, in_channels), then bias
 */
START_TEST(test_keras_layouts)
{
    /* Dense: x = [1, 2], W = [[1, 2, 3], [4, 5, 6]], b = [0.5, 0, 0]. */
    {
        gan_model *m = tu_model(1, 2, 0, 0);
        gan_dense_config dc;
        const float w[9] = {1, 2, 3, 4, 5, 6, 0.5f, 0, 0}, x[2] = {1, 2}, want[3] = {9.5f, 12, 15};
        float y[3];
        GAN_DENSE_CONFIG_INIT(&dc);
        dc.units = 3;
        ck_assert_int_eq(gan_model_add_dense(m, &dc), GAN_OK);
        ck_assert_int_eq(gan_model_set_params(m, 0, w, 9), GAN_OK);
        ck_assert_int_eq(gan_model_forward(m, x, 2, 1, GAN_MODE_INFER, y, 3), GAN_OK);
        ck_assert(memcmp(y, want, sizeof y) == 0);
        gan_model_free(m);
    }
    /* Conv2D 2x2 valid on a 3x3x2 image (channel 1 = 10 x channel 0) to 2
       filters: filter 0 sums both channels at (ky, kx) = (0, 0), filter 1
       takes channel 0 at (1, 1).  Index ((ky*kw + kx)*C + c)*F + f. */
    {
        gan_model *m = tu_model(3, 3, 3, 2);
        gan_conv2d_config cc;
        float w[2 * 2 * 2 * 2 + 2], x[18], y[8];
        GAN_CONV2D_CONFIG_INIT(&cc);
        cc.filters = 2;
        cc.kernel_h = cc.kernel_w = 2;
        ck_assert_int_eq(gan_model_add_conv2d(m, &cc), GAN_OK);
        memset(w, 0, sizeof w);
        w[((0 * 2 + 0) * 2 + 0) * 2 + 0] = 1;  /* ky0 kx0 c0 f0 */
        w[((0 * 2 + 0) * 2 + 1) * 2 + 0] = 1;  /* ky0 kx0 c1 f0 */
        w[((1 * 2 + 1) * 2 + 0) * 2 + 1] = 1;  /* ky1 kx1 c0 f1 */
        w[16 + 1] = 100;                        /* bias of f1 */
        for (int i = 0; i < 9; i++) {
            x[2 * i] = (float)(i + 1);
            x[2 * i + 1] = 10.0f * (float)(i + 1);
        }
        ck_assert_int_eq(gan_model_set_params(m, 0, w, 18), GAN_OK);
        ck_assert_int_eq(gan_model_forward(m, x, 18, 1, GAN_MODE_INFER, y, 8), GAN_OK);
        for (int oy = 0; oy < 2; oy++)
            for (int ox = 0; ox < 2; ox++) {
                float tl = (float)(oy * 3 + ox + 1), br = (float)((oy + 1) * 3 + ox + 2);
                ck_assert_float_eq(y[(oy * 2 + ox) * 2 + 0], 11.0f * tl);
                ck_assert_float_eq(y[(oy * 2 + ox) * 2 + 1], br + 100.0f);
            }
        gan_model_free(m);
    }
    /* Conv2DTranspose 2x2 stride 2 valid, 2x2x1 -> 4x4x2: every input pixel
       (iy, ix) writes x to (2iy, 2ix) of filter 0 and 2x to (2iy+1, 2ix+1)
       of filter 1.  Index ((ky*kw + kx)*F + f)*C + c. */
    {
        gan_model *m = tu_model(3, 2, 2, 1);
        gan_conv2d_config cc;
        float w[2 * 2 * 2 * 1 + 2], x[4] = {1, 2, 3, 4}, y[32];
        GAN_CONV2D_CONFIG_INIT(&cc);
        cc.filters = 2;
        cc.kernel_h = cc.kernel_w = 2;
        cc.stride_h = cc.stride_w = 2;
        ck_assert_int_eq(gan_model_add_conv2d_transpose(m, &cc), GAN_OK);
        memset(w, 0, sizeof w);
        w[((0 * 2 + 0) * 2 + 0) * 1 + 0] = 1;  /* ky0 kx0 f0 c0 */
        w[((1 * 2 + 1) * 2 + 1) * 1 + 0] = 2;  /* ky1 kx1 f1 c0 */
        ck_assert_int_eq(gan_model_set_params(m, 0, w, 10), GAN_OK);
        ck_assert_int_eq(gan_model_forward(m, x, 4, 1, GAN_MODE_INFER, y, 32), GAN_OK);
        for (int oy = 0; oy < 4; oy++)
            for (int ox = 0; ox < 4; ox++) {
                float v = x[(oy / 2) * 2 + ox / 2];
                float f0 = (oy % 2 == 0 && ox % 2 == 0) ? v : 0.0f;
                float f1 = (oy % 2 == 1 && ox % 2 == 1) ? 2.0f * v : 0.0f;
                ck_assert_float_eq(y[(oy * 4 + ox) * 2 + 0], f0);
                ck_assert_float_eq(y[(oy * 4 + ox) * 2 + 1], f1);
            }
        gan_model_free(m);
    }
}
END_TEST

/* im2col followed by col2im multiplies each pixel by the number of windows
   covering it: check against a direct count. */
START_TEST(test_im2col_col2im_adjoint)
{
    static const cfg t = {5, 7, 3, 1, 4, 2, GAN_PADDING_SAME, 0, 2, ""};
    gan__conv_geom g = conv_geom(&t);
    const size_t img = (size_t)g.ih * g.iw * g.ic, rows = (size_t)2 * g.oh * g.ow;
    const size_t K = (size_t)g.kh * g.kw * g.ic;
    float *x = tu_alloc(2 * img), *col = tu_alloc(rows * K), *back = tu_alloc(2 * img);
    /* <im2col(x), c> == <x, col2im(c)> for random x, c. */
    float *c = tu_alloc(rows * K);
    double lhs = 0, rhs = 0;
    tu_fill(x, 2 * img, 5, -1, 1);
    tu_fill(c, rows * K, 6, -1, 1);
    gan__im2col(&g, 2, x, col);
    gan__col2im(&g, 2, c, back);
    for (size_t i = 0; i < rows * K; i++)
        lhs += (double)col[i] * c[i];
    for (size_t i = 0; i < 2 * img; i++)
        rhs += (double)x[i] * back[i];
    ck_assert_double_eq_tol(lhs, rhs, 1e-4 * (fabs(lhs) + 1));
    free(x);
    free(col);
    free(back);
    free(c);
}
END_TEST

/* ---- GEMM --------------------------------------------------------------------- */

START_TEST(test_sgemm_vs_ref)
{
    const int ta = _i & 1, tb = (_i >> 1) & 1;
    static const int sizes[][3] = {{1, 1, 1}, {7, 5, 3}, {33, 17, 65}, {64, 3, 200}, {5, 130, 9}};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const int M = sizes[si][0], N = sizes[si][1], K = sizes[si][2];
        /* Leading dimensions larger than needed. */
        const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;
        const size_t an = (size_t)(ta ? K : M) * lda, bn = (size_t)(tb ? N : K) * ldb;
        const size_t cn = (size_t)M * ldc;
        float *a = tu_alloc(an), *b = tu_alloc(bn), *c = tu_alloc(cn), *cr = tu_alloc(cn);
        static const float ab[][2] = {{1.0f, 0.0f}, {0.5f, 1.0f}, {-2.0f, 0.25f}};
        tu_fill(a, an, 7 + si, -1, 1);
        tu_fill(b, bn, 8 + si, -1, 1);
        for (size_t p = 0; p < 3; p++) {
            tu_fill(c, cn, 9 + si, -1, 1);
            memcpy(cr, c, cn * sizeof(float));
            if (ab[p][1] == 0.0f)
                for (size_t i = 0; i < cn; i++)
                    c[i] = cr[i] = NAN; /* beta 0 must ignore C */
            gan__sgemm(ta, tb, M, N, K, ab[p][0], a, lda, b, ldb, ab[p][1], c, ldc);
            gan__sgemm_ref(ta, tb, M, N, K, ab[p][0], a, lda, b, ldb, ab[p][1], cr, ldc);
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    float g = c[(size_t)i * ldc + j], r = cr[(size_t)i * ldc + j];
                    ck_assert_msg(fabsf(g - r) <= 2e-6f * (float)K + 1e-5f * fabsf(r),
                                  "sgemm ta=%d tb=%d %dx%dx%d alpha %g beta %g: C(%d,%d) = %g, ref %g",
                                  ta, tb, M, N, K, (double)ab[p][0], (double)ab[p][1], i, j,
                                  (double)g, (double)r);
                }
            /* Padding columns beyond N are untouched. */
            for (int i = 0; i < M; i++)
                if (ab[p][1] != 0.0f)
                    ck_assert_float_eq(c[(size_t)i * ldc + N], cr[(size_t)i * ldc + N]);
        }
        free(a);
        free(b);
        free(c);
        free(cr);
    }
}
END_TEST

START_TEST(test_sgemm_ref_known)
{
    /* A hand-computed product: [1 2; 3 4] [5 6; 7 8] = [19 22; 43 50]. */
    const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, at[4] = {1, 3, 2, 4}, bt[4] = {5, 7, 6, 8};
    const float want[4] = {19, 22, 43, 50};
    float c[4];
    gan__sgemm_ref(0, 0, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
    ck_assert(memcmp(c, want, sizeof c) == 0);
    gan__sgemm_ref(1, 1, 2, 2, 2, 1.0f, at, 2, bt, 2, 0.0f, c, 2);
    ck_assert(memcmp(c, want, sizeof c) == 0);
    gan__sgemm(1, 0, 2, 2, 2, 1.0f, at, 2, b, 2, 0.0f, c, 2);
    ck_assert(memcmp(c, want, sizeof c) == 0);
    gan__sgemm(0, 1, 2, 2, 2, 1.0f, a, 2, bt, 2, 0.0f, c, 2);
    ck_assert(memcmp(c, want, sizeof c) == 0);
}
END_TEST

static Suite *conv_suite(void)
{
    Suite *s = suite_create("conv");
    TCase *t = tcase_create("twins");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, test_conv_vs_ref, 0, (int)(sizeof conv_cfgs / sizeof conv_cfgs[0]));
    tcase_add_loop_test(t, test_deconv_vs_ref, 0, (int)(sizeof deconv_cfgs / sizeof deconv_cfgs[0]));
    tcase_add_loop_test(t, test_deconv_taps_vs_ref, 0, (int)(sizeof taps_cfgs / sizeof taps_cfgs[0]));
    tcase_add_test(t, test_deconv_taps_rule);
    tcase_add_test(t, test_chunk_images);
    tcase_add_test(t, test_conv_chunked);
    tcase_add_test(t, test_deconv_chunked);
    suite_add_tcase(s, t);
    t = tcase_create("geometry");
    tcase_add_test(t, test_keras_shapes);
    tcase_add_test(t, test_even_kernel_padding);
    tcase_add_test(t, test_keras_layouts);
    tcase_add_test(t, test_im2col_col2im_adjoint);
    suite_add_tcase(s, t);
    t = tcase_create("gemm");
    tcase_add_loop_test(t, test_sgemm_vs_ref, 0, 4);
    tcase_add_test(t, test_sgemm_ref_known);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(conv_suite());
}
