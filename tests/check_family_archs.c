/*
 * check_family_archs.c -- the residual and StyleGAN2-lite families of
 * gan_model_create_family (issue 21): at 28x28 with the presets' widths
 * they are the presets (same layers, same parameters from a seed, same
 * outputs); shapes at every size and channel count; layer lists and
 * parameter counts against the formula of gan.h; the minibatch standard
 * deviation and auxiliary-classifier options of both discriminators;
 * every refusal; finite-difference gradient checks of whole small
 * networks (conditional ones too); a model file round trip.
 * check_family.c trains them on a folder of disc sprites.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static const int sizes[] = {8,  10, 12, 14, 16,  20,  24,  28,  32,  40,  48,
                            56, 64, 80, 96, 112, 128, 160, 192, 224, 256};

static gan_family_config small_config(int size, int channels, int classes)
{
    gan_family_config c;
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    c.size = size;
    c.channels = channels;
    c.width = 2;
    c.max_width = 8;
    c.latent = 4;
    c.classes = classes;
    c.class_dim = 3;
    return c;
}

static gan_model *family(gan_family_kind kind, const gan_family_config *c)
{
    gan_model *m = NULL;
    gan_status st = gan_model_create_family(&m, kind, c);
    ck_assert_msg(st == GAN_OK, "family %d at %d px: %s", (int)kind, c->size, gan_last_error());
    return m;
}

static void shape_of(const gan_model *m, size_t layer, int dims[3], size_t want_ndim)
{
    size_t ndim = 0;
    OK(gan_model_shape(m, layer, &ndim, dims));
    ck_assert_uint_eq(ndim, want_ndim);
}

static size_t count_kind(const gan_model *m, gan_layer_kind kind)
{
    size_t n = tu_layers(m), count = 0;
    gan_layer_kind k;
    for (size_t i = 0; i < n; i++) {
        OK(gan_model_layer_kind(m, i, &k));
        count += k == kind;
    }
    return count;
}

/* ---- the presets are members of the families ---- */

static const struct {
    gan_family_kind kind;
    int width, max_width, classes;
    gan_preset preset;
} as_presets[] = {
    {GAN_FAMILY_RESNET_GENERATOR, 32, 64, 0, GAN_PRESET_RESNET_GENERATOR},
    {GAN_FAMILY_RESNET_GENERATOR, 64, 128, 0, GAN_PRESET_RESNET_WIDE_GENERATOR},
    {GAN_FAMILY_RESNET_GENERATOR, 32, 64, 10, GAN_PRESET_RESNET_CGAN_GENERATOR},
    {GAN_FAMILY_RESNET_DISCRIMINATOR, 32, 64, 0, GAN_PRESET_RESNET_DISCRIMINATOR},
    {GAN_FAMILY_RESNET_DISCRIMINATOR, 32, 64, 10, GAN_PRESET_RESNET_CGAN_DISCRIMINATOR},
    {GAN_FAMILY_STYLE2_GENERATOR, 32, 64, 0, GAN_PRESET_STYLE2_GENERATOR},
    {GAN_FAMILY_STYLE2_GENERATOR, 64, 128, 0, GAN_PRESET_STYLE2_WIDE_GENERATOR},
};

/* Same layer kinds and shapes, the same parameters and state from one
   seed, bit-identical outputs in both modes: the 28x28x1 presets measured
   in docs/stabilisation.md are these families at those widths. */
START_TEST(test_family_is_preset)
{
    enum { N = 3 };
    gan_family_config c;
    gan_model *f, *p;
    size_t nf, np, in, out, cf, cp;
    float *x, *yf, *yp, *af, *ap;
    int32_t labels[N] = {0, 9, 4};
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    c.size = 28;
    c.channels = 1;
    c.width = as_presets[_i].width;
    c.max_width = as_presets[_i].max_width;
    c.classes = as_presets[_i].classes;
    f = family(as_presets[_i].kind, &c);
    p = tu_preset(as_presets[_i].preset);
    nf = tu_layers(f);
    np = tu_layers(p);
    ck_assert_uint_eq(nf, np);
    for (size_t i = 0; i < nf; i++) {
        gan_layer_kind kf, kp;
        int df[3] = {0}, dp[3] = {0};
        size_t ndf, ndp;
        OK(gan_model_layer_kind(f, i, &kf));
        OK(gan_model_layer_kind(p, i, &kp));
        ck_assert_msg(kf == kp, "layer %zu: kind %d, the preset's %d", i, (int)kf, (int)kp);
        OK(gan_model_shape(f, i, &ndf, df));
        OK(gan_model_shape(p, i, &ndp, dp));
        ck_assert_uint_eq(ndf, ndp);
        ck_assert_int_eq(memcmp(df, dp, sizeof df), 0);
    }
    OK(gan_model_init_params(f, 11));
    OK(gan_model_init_params(p, 11));
    af = tu_all_params(f, &cf);
    ap = tu_all_params(p, &cp);
    ck_assert_uint_eq(cf, cp);
    ck_assert_int_eq(memcmp(af, ap, cf * sizeof *af), 0);
    free(af);
    free(ap);
    af = tu_all_state(f, &cf);
    ap = tu_all_state(p, &cp);
    ck_assert_uint_eq(cf, cp);
    ck_assert(cf == 0 || memcmp(af, ap, cf * sizeof *af) == 0);
    free(af);
    free(ap);
    in = tu_in_elems(f);
    out = tu_out_elems(f);
    x = tu_alloc(N * in);
    yf = tu_alloc(N * out);
    yp = tu_alloc(N * out);
    tu_fill(x, N * in, 5, -1.0f, 1.0f);
    for (int mode = 0; mode <= 1; mode++) {
        OK(gan_model_set_seed(f, 3));
        OK(gan_model_set_seed(p, 3));
        if (c.classes) {
            OK(gan_model_forward_labeled(f, x, N * in, labels, N, (gan_mode)mode, yf, N * out));
            OK(gan_model_forward_labeled(p, x, N * in, labels, N, (gan_mode)mode, yp, N * out));
        } else {
            OK(gan_model_forward(f, x, N * in, N, (gan_mode)mode, yf, N * out));
            OK(gan_model_forward(p, x, N * in, N, (gan_mode)mode, yp, N * out));
        }
        ck_assert_int_eq(memcmp(yf, yp, N * out * sizeof *yf), 0);
    }
    free(x);
    free(yf);
    free(yp);
    gan_model_free(f);
    gan_model_free(p);
}
END_TEST

/* ---- shapes ---- */

/* Every size, channel count, conditional or not: G makes size x size x
   channels from the latent vector, with one residual (or up-sampling)
   step per halving; D takes it to one score, or 1 + K with the auxiliary
   classifier.  Widths are small: the shapes are the point. */
START_TEST(test_shapes_every_size)
{
    const int size = sizes[_i];
    int s0 = size, k = 0;
    while (s0 > 7) {
        s0 /= 2;
        k++;
    }
    for (int ch = 1; ch <= 4; ch++)
        for (int classes = 0; classes <= 3; classes += 3) {
            gan_family_config c = small_config(size, ch, classes);
            gan_model *rg, *rd, *sg;
            int dims[3];
            c.minibatch_stddev = ch % 2;
            c.aux_classifier = classes > 0 && ch > 2;
            rg = family(GAN_FAMILY_RESNET_GENERATOR, &c);
            rd = family(GAN_FAMILY_RESNET_DISCRIMINATOR, &c);
            sg = family(GAN_FAMILY_STYLE2_GENERATOR, &c);
            ck_assert_uint_eq(tu_in_elems(rg), 4);
            ck_assert_uint_eq(tu_in_elems(sg), 4);
            ck_assert_uint_eq(tu_out_elems(rg), (size_t)size * size * ch);
            ck_assert_uint_eq(tu_out_elems(sg), (size_t)size * size * ch);
            shape_of(rg, tu_layers(rg) - 1, dims, 3);
            ck_assert_int_eq(dims[0], size);
            ck_assert_int_eq(dims[2], ch);
            shape_of(sg, tu_layers(sg) - 1, dims, 3);
            ck_assert_int_eq(dims[1], size);
            ck_assert_int_eq(dims[2], ch);
            shape_of(rd, GAN_MODEL_INPUT, dims, 3);
            ck_assert_int_eq(dims[0], size);
            ck_assert_int_eq(dims[2], ch);
            ck_assert_uint_eq(tu_out_elems(rd), 1 + (size_t)(c.aux_classifier ? classes : 0));
            /* one residual block per doubling in G; per halving in D, and
               the last one at s0 x s0 */
            ck_assert_uint_eq(count_kind(rg, GAN_LAYER_RESIDUAL_CONV), (size_t)k);
            ck_assert_uint_eq(count_kind(rg, GAN_LAYER_CLASS_AFFINE),
                              classes ? 2 * (size_t)k + 1 : 0);
            ck_assert_uint_eq(count_kind(rd, GAN_LAYER_RESIDUAL_BEGIN), (size_t)k + 1);
            ck_assert_uint_eq(count_kind(rd, GAN_LAYER_MINIBATCH_STDDEV),
                              (size_t)c.minibatch_stddev);
            ck_assert_uint_eq(count_kind(sg, GAN_LAYER_UPSAMPLE), (size_t)k);
            ck_assert_uint_eq(count_kind(sg, GAN_LAYER_MODULATED_CONV2D), 2 * (size_t)k + 2);
            ck_assert_uint_eq(count_kind(sg, GAN_LAYER_CLASS_EMBEDDING), classes ? 1 : 0);
            gan_model_free(rg);
            gan_model_free(rd);
            gan_model_free(sg);
        }
}
END_TEST

/* ---- layer lists and parameter counts at 32x32x3, the defaults ---- */

/* Parameters of a 3x3 convolution with bias, a 1x1 one, a batchnorm
   (gamma, beta and the two running statistics: gan_model_param_count's
   total), a modulated convolution (W, bias, A, a) with its noise
   strengths when noise. */
static size_t conv3(size_t c, size_t f) { return 9 * c * f + f; }
static size_t conv1(size_t c, size_t f) { return c * f + f; }
static size_t bn(size_t c) { return 4 * c; }
static size_t modconv(size_t k, size_t c, size_t f, size_t style, int noise)
{
    return k * k * c * f + f + style * c + c + (noise ? f : 0);
}

static size_t total_params(const gan_model *m)
{
    size_t total = 0;
    OK(gan_model_param_count(m, &total, NULL));
    return total;
}

START_TEST(test_params_32)
{
    /* W(j) = min(256, 32 * 2^j) at 32, 16, 8, 4 px; s0 = 4, k = 3 */
    const size_t w[4] = {32, 64, 128, 256}, latent = 128, classes = 5;
    gan_family_config c;
    gan_model *m;
    size_t expect;
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    ck_assert_int_eq(c.minibatch_stddev, 0);
    ck_assert_int_eq(c.aux_classifier, 0);

    /* residual G: dense + 3 up blocks + the output block */
    m = family(GAN_FAMILY_RESNET_GENERATOR, &c);
    expect = latent * 16 * w[3] + 16 * w[3];
    for (int j = 2; j >= 0; j--)
        expect += bn(w[j + 1]) + conv3(w[j + 1], w[j]) + bn(w[j]) + conv3(w[j], w[j]) +
                  conv1(w[j + 1], w[j]);
    expect += bn(w[0]) + conv3(w[0], 3);
    ck_assert_uint_eq(total_params(m), expect);
    gan_model_free(m);
    /* conditional: a class_affine (gain and bias per class and channel)
       after each of its 7 batchnorms */
    c.classes = (int)classes;
    m = family(GAN_FAMILY_RESNET_GENERATOR, &c);
    for (int j = 2; j >= 0; j--)
        expect += 2 * classes * (w[j + 1] + w[j]);
    expect += 2 * classes * w[0];
    ck_assert_uint_eq(total_params(m), expect);
    gan_model_free(m);
    c.classes = 0;

    /* residual D: the first block, two down blocks, the block at 4x4, the
       dense score */
    m = family(GAN_FAMILY_RESNET_DISCRIMINATOR, &c);
    expect = conv3(3, w[0]) + conv3(w[0], w[0]) + conv1(3, w[0]);
    for (int j = 1; j < 3; j++)
        expect += conv3(w[j - 1], w[j]) + conv3(w[j], w[j]) + conv1(w[j - 1], w[j]);
    expect += 2 * conv3(w[2], w[2]) + w[2] + 1;
    ck_assert_uint_eq(total_params(m), expect);
    gan_model_free(m);
    /* with the minibatch standard deviation the last block takes one
       channel more and its shortcut is a 1x1 convolution; spectral norm
       adds each kernel's u (one value per filter or unit) */
    c.minibatch_stddev = 1;
    c.spectral_norm = 1;
    m = family(GAN_FAMILY_RESNET_DISCRIMINATOR, &c);
    expect -= 2 * conv3(w[2], w[2]);
    expect += conv3(w[2] + 1, w[2]) + conv3(w[2], w[2]) + conv1(w[2] + 1, w[2]);
    expect += 3 * w[0] + 3 * w[1] + 3 * w[2] + 3 * w[2] + 1;
    ck_assert_uint_eq(total_params(m), expect);
    gan_model_free(m);
    c.minibatch_stddev = c.spectral_norm = 0;

    /* style G: 4 mapping layers of `latent` units, the constant, the first
       modulated conv at 4x4, two per doubling, the 1x1 to the image */
    m = family(GAN_FAMILY_STYLE2_GENERATOR, &c);
    expect = 4 * (latent * latent + latent) + 16 * w[3] + modconv(3, w[3], w[3], latent, 1);
    for (int j = 2; j >= 0; j--)
        expect += modconv(3, w[j + 1], w[j], latent, 1) + modconv(3, w[j], w[j], latent, 1);
    expect += modconv(1, w[0], 3, latent, 0);
    ck_assert_uint_eq(total_params(m), expect);
    gan_model_free(m);
    /* conditional: the class embedding (classes x class_dim) concatenated
       before the mapping network, whose first layer grows */
    c.classes = (int)classes;
    m = family(GAN_FAMILY_STYLE2_GENERATOR, &c);
    expect += classes * 32 + 32 * latent;
    ck_assert_uint_eq(total_params(m), expect);
    gan_model_free(m);
}
END_TEST

/* The discriminators' options, layer by layer. */
START_TEST(test_discriminator_options)
{
    gan_family_config c = small_config(16, 3, 4);   /* k = 2 */
    gan_model *m;
    gan_layer_kind kind;
    size_t n, n_state, sn = 0, convs = 0;
    /* DCGAN D: the statistic before the last convolution; the aux head */
    c.minibatch_stddev = 1;
    c.aux_classifier = 1;
    m = family(GAN_FAMILY_DCGAN_DISCRIMINATOR, &c);
    OK(gan_model_layer_kind(m, 2, &kind));
    ck_assert_int_eq(kind, GAN_LAYER_MINIBATCH_STDDEV);
    OK(gan_model_layer_kind(m, 3, &kind));
    ck_assert_int_eq(kind, GAN_LAYER_CONV2D);
    ck_assert_uint_eq(tu_out_elems(m), 1 + 4);
    OK(gan_model_layer_kind(m, tu_layers(m) - 1, &kind));
    ck_assert_int_eq(kind, GAN_LAYER_CLASS_PROJECTION_AUX);
    gan_model_free(m);
    /* residual D: the statistic right before the last block, whose
       shortcut is then a 1x1 conv; spectral norm on every kernel */
    c.spectral_norm = 1;
    m = family(GAN_FAMILY_RESNET_DISCRIMINATOR, &c);
    ck_assert_uint_eq(count_kind(m, GAN_LAYER_RESIDUAL_ADD), 0);
    ck_assert_uint_eq(count_kind(m, GAN_LAYER_RESIDUAL_CONV), 3);
    n = tu_layers(m);
    for (size_t i = 0; i < n; i++) {
        OK(gan_model_layer_kind(m, i, &kind));
        if (kind == GAN_LAYER_MINIBATCH_STDDEV) {
            gan_layer_kind next, before;
            OK(gan_model_layer_kind(m, i + 1, &next));
            ck_assert_int_eq(next, GAN_LAYER_RESIDUAL_BEGIN);
            OK(gan_model_layer_kind(m, i - 1, &before));
            ck_assert_int_eq(before, GAN_LAYER_RESIDUAL_CONV);
        }
        if (kind == GAN_LAYER_CONV2D || kind == GAN_LAYER_RESIDUAL_CONV) {
            OK(gan_model_layer_sizes(m, i, NULL, &n_state));
            convs++;
            sn += n_state > 0;
        }
    }
    ck_assert_uint_eq(convs, 3 * 2 + 3);
    ck_assert_uint_eq(sn, convs);
    ck_assert_uint_eq(tu_out_elems(m), 1 + 4);
    gan_model_free(m);
    /* without the options: the identity shortcut, one output, no u */
    c = small_config(16, 3, 0);
    m = family(GAN_FAMILY_RESNET_DISCRIMINATOR, &c);
    ck_assert_uint_eq(count_kind(m, GAN_LAYER_RESIDUAL_ADD), 1);
    ck_assert_uint_eq(count_kind(m, GAN_LAYER_MINIBATCH_STDDEV), 0);
    ck_assert_uint_eq(tu_out_elems(m), 1);
    gan_model_free(m);
}
END_TEST

/* ---- refusals ---- */

static void refused(const gan_family_config *c, gan_family_kind kind, const char *word)
{
    gan_model *m = (gan_model *)1;
    TU_ASSERT_ERROR(gan_model_create_family(&m, kind, c), GAN_EINVAL, word);
    ck_assert_ptr_null(m);
}

START_TEST(test_refusals)
{
    static const gan_family_kind kinds[] = {
        GAN_FAMILY_RESNET_GENERATOR, GAN_FAMILY_RESNET_DISCRIMINATOR,
        GAN_FAMILY_STYLE2_GENERATOR};
    gan_family_config c;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        c = small_config(18, 3, 0);
        refused(&c, kinds[i], "size 18");
        c = small_config(512, 3, 0);
        refused(&c, kinds[i], "size 512");
        c = small_config(16, 5, 0);
        refused(&c, kinds[i], "channels");
        c = small_config(16, 3, 0);
        c.max_width = 1;
        refused(&c, kinds[i], "max_width");
        c = small_config(16, 3, 0);
        c.minibatch_stddev = 2;
        refused(&c, kinds[i], "minibatch_stddev");
        c = small_config(16, 3, 0);
        c.aux_classifier = -1;
        refused(&c, kinds[i], "aux_classifier");
        c = small_config(16, 3, 0);
        c.spectral_norm = 3;
        refused(&c, kinds[i], "spectral_norm");
    }
    c = small_config(16, 3, 0);
    c.aux_classifier = 1;   /* no classes to classify */
    refused(&c, GAN_FAMILY_RESNET_DISCRIMINATOR, "classes");
    refused(&c, GAN_FAMILY_DCGAN_DISCRIMINATOR, "classes");
    c = small_config(16, 3, 0);
    c.dropout = 0.3f;
    refused(&c, GAN_FAMILY_RESNET_DISCRIMINATOR, "dropout");
    refused(&c, (gan_family_kind)6, "kind");
    refused(&c, (gan_family_kind)-1, "kind");
}
END_TEST

/* A caller compiled against 1.0's gan_family_config (without the 1.1
   fields) still gets every family, the new fields at their defaults. */
START_TEST(test_old_config_size)
{
    const size_t v1 = offsetof(gan_family_config, minibatch_stddev);
    gan_family_config c;
    gan_model *m = NULL;
    memset(&c, 0xAB, sizeof c);   /* the 1.1 fields are not the caller's */
    OK(gan_family_config_init(&c, v1));
    c.size = 16;
    c.width = 2;
    c.max_width = 4;
    c.classes = 3;
    OK(gan_model_create_family(&m, GAN_FAMILY_RESNET_DISCRIMINATOR, &c));
    ck_assert_uint_eq(count_kind(m, GAN_LAYER_MINIBATCH_STDDEV), 0);
    ck_assert_uint_eq(tu_out_elems(m), 1);
    gan_model_free(m);
}
END_TEST

/* ---- gradient checks of whole networks ---- */

/* 8x8 networks (s0 4, k 1) of widths 2 and 4, two channels; parameters
   (and batchnorm statistics) randomised so nothing sits at its
   initial symmetry. */
static gan_model *grad_net(int arg)
{
    static const struct {
        gan_family_kind kind;
        int classes, mbstd, aux, sn;
    } rows[] = {
        {GAN_FAMILY_RESNET_GENERATOR, 0, 0, 0, 0},
        {GAN_FAMILY_RESNET_GENERATOR, 3, 0, 0, 0},
        {GAN_FAMILY_RESNET_DISCRIMINATOR, 0, 0, 0, 0},
        {GAN_FAMILY_RESNET_DISCRIMINATOR, 3, 1, 1, 1},
        {GAN_FAMILY_STYLE2_GENERATOR, 0, 0, 0, 0},
        {GAN_FAMILY_STYLE2_GENERATOR, 3, 0, 0, 0},
        {GAN_FAMILY_DCGAN_DISCRIMINATOR, 3, 1, 1, 0},
    };
    gan_family_config c = small_config(8, 2, rows[arg].classes);
    gan_model *m;
    c.latent = 3;
    c.minibatch_stddev = rows[arg].mbstd;
    c.aux_classifier = rows[arg].aux;
    c.spectral_norm = rows[arg].sn;
    c.max_width = 4;
    m = family(rows[arg].kind, &c);
    tu_randomize_params(m, 340 + (uint64_t)arg, 0.5f);
    tu_randomize_bn_state(m, 50 + (uint64_t)arg);
    return m;
}

/* Training mode (batch statistics, noise drawn from the reseeded stream);
   state restored around each forward (batchnorm's running statistics,
   spectral norm's u).  Discriminators get inputs clear of ReLU's kink at
   0; the spectrally normalised one 300 warm-up forwards first, which take
   u to its fixed point (backward treats u as a constant, as PyTorch).  The
   style generators: batch 2 and a step of 5e-4, as their 4x4 leaky ReLUs
   feed an up-sampling (at 2e-3, 2 to 6 of about 240 points came within
   a kink and failed by 3-10%; with a smooth activation in their place
   every point passed).  Whole ReLU networks have many kinks: the
   parameters are drawn from a seed at which every row passes with each
   GEMM kernel (OPENBLAS_CORETYPE unset, Haswell, Sandybridge, Prescott);
   a 5% error in one layer's gradient (tried: the noise strengths') fails
   the style rows. */
#define FAMILY_GRAD(batch_, classes_, seed_, eps_)                                          \
    .batch = batch_, .mode = GAN_MODE_TRAIN, .input_seed = seed_, .classes = classes_,     \
    .label_seed = seed_ + 1, .restore_state = 1, .eps = eps_, .rtol = 5e-3, .atol = 1e-3,  \
    .max_checks = 40, .max_skip_frac = 0.1, .min_numeric = 1e-3

static const tu_grad_case grad_cases[] = {
    {"residual generator", grad_net, 0, FAMILY_GRAD(4, 0, 60, 2e-3f)},
    {"residual generator, class-conditional batchnorm", grad_net, 1,
     FAMILY_GRAD(4, 3, 61, 2e-3f)},
    {"residual discriminator", grad_net, 2, FAMILY_GRAD(4, 0, 62, 2e-3f), .input_away = 1},
    {"residual discriminator: mbstd, SN, aux head", grad_net, 3, FAMILY_GRAD(4, 3, 63, 2e-3f),
     .input_away = 1, .warmup = 300},
    {"style2 generator", grad_net, 4, FAMILY_GRAD(2, 0, 64, 5e-4f)},
    {"style2 generator, class embedding", grad_net, 5, FAMILY_GRAD(2, 3, 65, 5e-4f)},
    {"DCGAN discriminator: mbstd, aux head", grad_net, 6, FAMILY_GRAD(4, 3, 66, 2e-3f),
     .input_away = 1},
};
#define N_GRAD_CASES (sizeof grad_cases / sizeof grad_cases[0])

START_TEST(test_grad_case)
{
    tu_run_grad_case(&grad_cases[_i]);
}
END_TEST

/* Saved and loaded (the model file has no notion of a family: the layers
   are the format's), every family gives the same outputs. */
START_TEST(test_file_round_trip)
{
    enum { N = 2 };
    gan_model *m = grad_net((int)_i), *back = NULL;
    void *buf = NULL;
    size_t len = 0, in = tu_in_elems(m), out = tu_out_elems(m);
    float *x = tu_alloc(N * in), *y = tu_alloc(N * out), *y2 = tu_alloc(N * out);
    int32_t labels[N] = {2, 0};
    int classes = 0;
    tu_fill(x, N * in, 70, -1.0f, 1.0f);
    OK(gan_model_save_mem(m, &buf, &len));
    OK(gan_model_load_mem(&back, buf, len));
    OK(gan_model_num_classes(m, &classes));
    if (classes) {
        OK(gan_model_forward_labeled(m, x, N * in, labels, N, GAN_MODE_INFER, y, N * out));
        OK(gan_model_forward_labeled(back, x, N * in, labels, N, GAN_MODE_INFER, y2, N * out));
    } else {
        OK(gan_model_forward(m, x, N * in, N, GAN_MODE_INFER, y, N * out));
        OK(gan_model_forward(back, x, N * in, N, GAN_MODE_INFER, y2, N * out));
    }
    ck_assert_int_eq(memcmp(y, y2, N * out * sizeof *y), 0);
    gan_free(buf);
    free(x);
    free(y);
    free(y2);
    gan_model_free(m);
    gan_model_free(back);
}
END_TEST

static Suite *family_archs_suite(void)
{
    Suite *s = suite_create("family_archs");
    TCase *t = tcase_create("build");
    TCase *g = tcase_create("gradients");
    tcase_add_loop_test(t, test_family_is_preset, 0,
                        (int)(sizeof as_presets / sizeof as_presets[0]));
    tcase_add_loop_test(t, test_shapes_every_size, 0, (int)(sizeof sizes / sizeof sizes[0]));
    tcase_add_test(t, test_params_32);
    tcase_add_test(t, test_discriminator_options);
    tcase_add_test(t, test_refusals);
    tcase_add_test(t, test_old_config_size);
    tcase_add_loop_test(t, test_file_round_trip, 0, (int)N_GRAD_CASES);
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(g, test_grad_case, 0, (int)N_GRAD_CASES);
    tcase_set_timeout(g, 300);
    suite_add_tcase(s, t);
    suite_add_tcase(s, g);
    return s;
}

int main(void)
{
    return tu_run_suite(family_archs_suite());
}
