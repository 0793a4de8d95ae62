/*
 * check_family.c -- gan_model_create_family (issue 15): the DCGAN-style
 * generator and discriminator for any supported size, channel count and
 * class count; shapes, layer lists and parameter counts against the
 * documented formula, every refusal, conditional pairs, spectral norm; and
 * a training test on a folder of disc sprites written as PNG and JPEG
 * files by the test, whose samples must reproduce the data's statistics
 * (a check an untrained or collapsed generator fails).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>   /* the JPEG disc folder, written as an editor would */

#include "checkpoint/checkpoint.h"   /* gan__put_header etc.: hostile class-name sections */
#include "test_util.h"

static const int good_sizes[] = {8,  10, 12, 14, 16,  20,  24,  28,  32,  40,  48,
                                 56, 64, 80, 96, 112, 128, 160, 192, 224, 256};
static const int bad_sizes[] = {-8, 0, 4, 6, 7, 9, 18, 36, 72, 100, 264, 288, 512};

static int out_dims(const gan_model *m, int dims[3])
{
    size_t n, ndim;
    OK(gan_model_layer_count(m, &n));
    OK(gan_model_shape(m, n - 1, &ndim, dims));
    return (int)ndim;
}

static int in_dims(const gan_model *m, int dims[3])
{
    size_t ndim;
    OK(gan_model_shape(m, GAN_MODEL_INPUT, &ndim, dims));
    return (int)ndim;
}

/* Every supported size and channel count: G makes what D takes. */
START_TEST(test_shapes_every_size)
{
    for (size_t i = 0; i < sizeof good_sizes / sizeof good_sizes[0]; i++)
        for (int ch = 1; ch <= 4; ch++) {
            gan_family_config c;
            gan_model *g = NULL, *d = NULL;
            int dims[3];
            OK(GAN_FAMILY_CONFIG_INIT(&c));
            c.size = good_sizes[i];
            c.channels = ch;
            c.width = 4;      /* small: the shapes are the point */
            c.max_width = 16;
            c.latent = 8;
            OK(gan_model_create_family(&g, GAN_FAMILY_DCGAN_GENERATOR, &c));
            OK(gan_model_create_family(&d, GAN_FAMILY_DCGAN_DISCRIMINATOR, &c));
            ck_assert_int_eq(in_dims(g, dims), 1);
            ck_assert_int_eq(dims[0], 8);
            ck_assert_int_eq(out_dims(g, dims), 3);
            ck_assert_int_eq(dims[0], c.size);
            ck_assert_int_eq(dims[1], c.size);
            ck_assert_int_eq(dims[2], ch);
            ck_assert_int_eq(in_dims(d, dims), 3);
            ck_assert_int_eq(dims[0], c.size);
            ck_assert_int_eq(dims[2], ch);
            ck_assert_int_eq(out_dims(d, dims), 1);
            ck_assert_int_eq(dims[0], 1);
            gan_model_free(g);
            gan_model_free(d);
        }
}
END_TEST

/* The 64x64 RGBA pair of the defaults (width 32, cap 256), layer by layer
   and parameter by parameter, from the formula in gan.h. */
START_TEST(test_layers_and_params_64)
{
    static const gan_layer_kind g_kinds[] = {
        GAN_LAYER_DENSE, GAN_LAYER_BATCHNORM, GAN_LAYER_LEAKY_RELU, GAN_LAYER_RESHAPE,
        GAN_LAYER_CONV2D_TRANSPOSE, GAN_LAYER_BATCHNORM, GAN_LAYER_LEAKY_RELU,
        GAN_LAYER_CONV2D_TRANSPOSE, GAN_LAYER_BATCHNORM, GAN_LAYER_LEAKY_RELU,
        GAN_LAYER_CONV2D_TRANSPOSE, GAN_LAYER_BATCHNORM, GAN_LAYER_LEAKY_RELU,
        GAN_LAYER_CONV2D_TRANSPOSE, GAN_LAYER_BATCHNORM, GAN_LAYER_LEAKY_RELU,
        GAN_LAYER_CONV2D, GAN_LAYER_TANH};
    /* W(j) = min(256, 32 * 2^j): 32, 64, 128, 256, 256 at 64, 32, 16, 8, 4. */
    const int w[5] = {32, 64, 128, 256, 256};
    gan_family_config c;
    gan_model *g = NULL, *d = NULL;
    gan_layer_kind kind;
    size_t n, total, expect;
    int dims[3];
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    ck_assert_int_eq(c.size, 32);
    ck_assert_int_eq(c.channels, 3);
    ck_assert_int_eq(c.width, 32);
    ck_assert_int_eq(c.max_width, 256);
    ck_assert_int_eq(c.latent, 128);
    ck_assert_int_eq(c.classes, 0);
    c.size = 64;
    c.channels = 4;
    OK(gan_model_create_family(&g, GAN_FAMILY_DCGAN_GENERATOR, &c));
    OK(gan_model_layer_count(g, &n));
    ck_assert_uint_eq(n, sizeof g_kinds / sizeof g_kinds[0]);
    for (size_t i = 0; i < n; i++) {
        OK(gan_model_layer_kind(g, i, &kind));
        ck_assert_int_eq(kind, g_kinds[i]);
    }
    for (int j = 3; j >= 0; j--) {   /* the up-sampling blocks' outputs */
        size_t layer = 4 + 3 * (size_t)(3 - j), ndim;
        OK(gan_model_shape(g, layer, &ndim, dims));
        ck_assert_int_eq(dims[0], 64 >> j);
        ck_assert_int_eq(dims[2], w[j]);
    }
    /* Dense 128 -> 4*4*256 (no bias), BN 4*4*256 * 4; each ConvT 4x4 no
       bias with BN (4 values a channel); Conv2D 3x3 32 -> 4 with bias. */
    expect = 128 * 16 * 256 + 4 * 16 * 256;
    for (int j = 3; j >= 0; j--)
        expect += (size_t)16 * w[j + 1] * w[j] + 4 * (size_t)w[j];
    expect += 9 * 32 * 4 + 4;
    OK(gan_model_param_count(g, &total, NULL));
    ck_assert_uint_eq(total, expect);
    OK(gan_model_create_family(&d, GAN_FAMILY_DCGAN_DISCRIMINATOR, &c));
    OK(gan_model_layer_count(d, &n));
    ck_assert_uint_eq(n, 4 * 2 + 2);   /* 4 x (conv, lrelu), flatten, dense */
    expect = 16 * 4 * 32 + 32;
    for (int j = 1; j < 4; j++)
        expect += (size_t)16 * w[j - 1] * w[j] + w[j];
    expect += 4 * 4 * 256 + 1;
    OK(gan_model_param_count(d, &total, NULL));
    ck_assert_uint_eq(total, expect);
    gan_model_free(g);
    gan_model_free(d);
}
END_TEST

static void expect_refused(const gan_family_config *c, gan_family_kind kind, const char *word)
{
    gan_model *m = (gan_model *)1;
    gan_status st = gan_model_create_family(&m, kind, c);
    ck_assert_int_eq(st, GAN_EINVAL);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(gan_last_error(), word) != NULL, "message \"%s\" should name %s",
                  gan_last_error(), word);
}

START_TEST(test_refusals)
{
    gan_family_config c;
    gan_model *m = NULL;
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        OK(GAN_FAMILY_CONFIG_INIT(&c));
        c.size = bad_sizes[i];
        expect_refused(&c, GAN_FAMILY_DCGAN_GENERATOR, "size");
        expect_refused(&c, GAN_FAMILY_DCGAN_DISCRIMINATOR, "size");
    }
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    c.channels = 0;
    expect_refused(&c, GAN_FAMILY_DCGAN_GENERATOR, "channels");
    c.channels = 5;
    expect_refused(&c, GAN_FAMILY_DCGAN_DISCRIMINATOR, "channels");
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    c.width = 0;
    expect_refused(&c, GAN_FAMILY_DCGAN_GENERATOR, "width");
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    c.max_width = 16;   /* below width 32 */
    expect_refused(&c, GAN_FAMILY_DCGAN_GENERATOR, "max_width");
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    c.latent = 0;
    expect_refused(&c, GAN_FAMILY_DCGAN_GENERATOR, "latent");
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    c.classes = -1;
    expect_refused(&c, GAN_FAMILY_DCGAN_GENERATOR, "classes");
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    c.class_dim = -1;
    expect_refused(&c, GAN_FAMILY_DCGAN_GENERATOR, "class_dim");
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    c.dropout = 1.0f;
    expect_refused(&c, GAN_FAMILY_DCGAN_DISCRIMINATOR, "dropout");
    c.dropout = NAN;
    expect_refused(&c, GAN_FAMILY_DCGAN_DISCRIMINATOR, "dropout");
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    expect_refused(&c, (gan_family_kind)0, "kind");
    expect_refused(&c, (gan_family_kind)6, "kind");
    ck_assert_int_eq(gan_model_create_family(NULL, GAN_FAMILY_DCGAN_GENERATOR, &c), GAN_EINVAL);
    /* NULL config: the defaults, a 32x32 RGB pair. */
    OK(gan_model_create_family(&m, GAN_FAMILY_DCGAN_DISCRIMINATOR, NULL));
    {
        int dims[3];
        in_dims(m, dims);
        ck_assert_int_eq(dims[0], 32);
        ck_assert_int_eq(dims[2], 3);
    }
    gan_model_free(m);
}
END_TEST

/* A conditional pair over 3 classes trains with labels; spectral norm and
   dropout land in D. */
START_TEST(test_conditional_pair_and_options)
{
    gan_family_config c;
    gan_model *g = NULL, *d = NULL;
    tu_pair_config pc;
    tu_pair p;
    gan_layer_kind kind;
    size_t n, n_state;
    int k = 0, sn_layers = 0, dropouts = 0;
    float *real;
    int32_t labels[8];
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    c.size = 16;
    c.channels = 4;
    c.width = 8;
    c.max_width = 16;
    c.latent = 16;
    c.classes = 3;
    c.spectral_norm = 1;
    c.dropout = 0.25f;
    OK(gan_model_create_family(&g, GAN_FAMILY_DCGAN_GENERATOR, &c));
    OK(gan_model_create_family(&d, GAN_FAMILY_DCGAN_DISCRIMINATOR, &c));
    OK(gan_model_num_classes(g, &k));
    ck_assert_int_eq(k, 3);
    OK(gan_model_num_classes(d, &k));
    ck_assert_int_eq(k, 3);
    OK(gan_model_layer_count(d, &n));
    for (size_t i = 0; i < n; i++) {
        OK(gan_model_layer_kind(d, i, &kind));
        OK(gan_model_layer_sizes(d, i, NULL, &n_state));
        sn_layers += kind == GAN_LAYER_CONV2D && n_state > 0;
        dropouts += kind == GAN_LAYER_DROPOUT;
    }
    ck_assert_int_eq(sn_layers, 2);
    ck_assert_int_eq(dropouts, 2);
    tu_pair_config_init(&pc);
    pc.loss.kind = GAN_LOSS_HINGE;
    ck_assert_int_eq(tu_pair_create_models(&p, g, d, &pc), GAN_OK);
    real = malloc(8 * 16 * 16 * 4 * sizeof *real);
    ck_assert_ptr_nonnull(real);
    tu_fill(real, 8 * 16 * 16 * 4, 1, -1.0f, 1.0f);
    for (int i = 0; i < 8; i++)
        labels[i] = i % 3;
    OK(gan_trainer_step_labeled(p.t, real, 8 * 16 * 16 * 4, labels, 8, 8, NULL));
    ck_assert_int_eq(gan_trainer_step(p.t, real, 8 * 16 * 16 * 4, 8, NULL), GAN_EINVAL);
    free(real);
    tu_pair_free(&p);
}
END_TEST


/* ---- class names: in the model, its files and checkpoints ---- */

static gan_model *small_conditional(int kind, int classes)
{
    gan_family_config c;
    gan_model *m = NULL;
    OK(GAN_FAMILY_CONFIG_INIT(&c));
    c.size = 8;
    c.width = 2;
    c.max_width = 4;
    c.latent = 4;
    c.classes = classes;
    OK(gan_model_create_family(&m, (gan_family_kind)kind, &c));
    return m;
}

static void expect_names(const gan_model *m, const char *const *names, size_t n)
{
    size_t count = 99, needed = 0;
    char buf[300];
    int k = -1;
    OK(gan_model_class_name_count(m, &count));
    ck_assert_uint_eq(count, n);
    for (size_t i = 0; i < n; i++) {
        OK(gan_model_class_name(m, i, buf, sizeof buf, &needed));
        ck_assert_str_eq(buf, names[i]);
        ck_assert_uint_eq(needed, strlen(names[i]));
        OK(gan_model_class_from_name(m, names[i], &k));
        ck_assert_int_eq(k, (int)i);
    }
}

START_TEST(test_class_names_api)
{
    static const char *const names[3] = {"cat", "tree", "\xc3\xa9t\xc3\xa9"};
    const char *bad[3] = {"cat", "tree", "x"};
    char big[GAN_CLASS_NAME_MAX + 2], buf[3];
    gan_model *m = small_conditional(GAN_FAMILY_DCGAN_GENERATOR, 3), *plain, *copy = NULL;
    size_t needed = 0;
    int k = -1;
    expect_names(m, names, 0);
    ck_assert_int_eq(gan_model_class_from_name(m, "cat", &k), GAN_EINVAL);
    OK(gan_model_set_class_names(m, names, 3));
    expect_names(m, names, 3);
    /* truncation as snprintf; an unknown name; an index out of range */
    OK(gan_model_class_name(m, 1, buf, sizeof buf, &needed));
    ck_assert_str_eq(buf, "tr");
    ck_assert_uint_eq(needed, 4);
    OK(gan_model_class_name(m, 1, NULL, 0, &needed));
    ck_assert_int_eq(gan_model_class_from_name(m, "dog", &k), GAN_EINVAL);
    ck_assert_ptr_nonnull(strstr(gan_last_error(), "dog"));
    ck_assert_int_eq(gan_model_class_name(m, 3, buf, sizeof buf, NULL), GAN_EINVAL);
    /* refusals leave the names as they were */
    ck_assert_int_eq(gan_model_set_class_names(m, names, 2), GAN_EINVAL);
    ck_assert_ptr_nonnull(strstr(gan_last_error(), "3 classes"));
    bad[2] = "cat";
    ck_assert_int_eq(gan_model_set_class_names(m, bad, 3), GAN_EINVAL);
    ck_assert_ptr_nonnull(strstr(gan_last_error(), "both 'cat'"));
    bad[2] = "";
    ck_assert_int_eq(gan_model_set_class_names(m, bad, 3), GAN_EINVAL);
    bad[2] = "a\nb";
    ck_assert_int_eq(gan_model_set_class_names(m, bad, 3), GAN_EINVAL);
    ck_assert_ptr_nonnull(strstr(gan_last_error(), "control"));
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    bad[2] = big;
    ck_assert_int_eq(gan_model_set_class_names(m, bad, 3), GAN_EINVAL);
    bad[2] = NULL;
    ck_assert_int_eq(gan_model_set_class_names(m, bad, 3), GAN_EINVAL);
    ck_assert_int_eq(gan_model_set_class_names(m, NULL, 3), GAN_EINVAL);
    expect_names(m, names, 3);
    big[GAN_CLASS_NAME_MAX] = '\0';   /* exactly the longest */
    bad[2] = big;
    OK(gan_model_set_class_names(m, bad, 3));
    expect_names(m, bad, 3);
    OK(gan_model_set_class_names(m, names, 3));
    /* a copy (the EMA generator's way) keeps them */
    OK(gan__model_clone(m, &copy));
    expect_names(copy, names, 3);
    gan_model_free(copy);
    /* an unconditional model takes none; 0 removes them */
    plain = small_conditional(GAN_FAMILY_DCGAN_GENERATOR, 0);
    ck_assert_int_eq(gan_model_set_class_names(plain, names, 1), GAN_EINVAL);
    ck_assert_ptr_nonnull(strstr(gan_last_error(), "not conditional"));
    OK(gan_model_set_class_names(plain, NULL, 0));
    OK(gan_model_set_class_names(m, NULL, 0));
    expect_names(m, names, 0);
    ck_assert_int_eq(gan_model_set_class_names(NULL, names, 3), GAN_EINVAL);
    gan_model_free(plain);
    gan_model_free(m);
}
END_TEST

/* Model files and checkpoints carry the names; a file without them still
   loads (and has none); the EMA generator of a loaded trainer has them. */
START_TEST(test_class_names_in_files)
{
    static const char *const names[2] = {"red", "blue"};
    gan_model *g = small_conditional(GAN_FAMILY_DCGAN_GENERATOR, 2);
    gan_model *d = small_conditional(GAN_FAMILY_DCGAN_DISCRIMINATOR, 2);
    gan_model *back = NULL, *tg, *td, *ema = NULL;
    tu_pair_config pc;
    tu_pair p;
    gan_trainer *t2 = NULL;
    void *buf = NULL, *buf2 = NULL;
    size_t len = 0, len2 = 0;
    OK(gan_model_save_mem(g, &buf, &len));   /* no names yet */
    OK(gan_model_load_mem(&back, buf, len));
    expect_names(back, names, 0);
    gan_model_free(back);
    gan_free(buf);
    OK(gan_model_set_class_names(g, names, 2));
    OK(gan_model_set_class_names(d, names, 2));
    OK(gan_model_save_mem(g, &buf, &len));
    OK(gan_model_load_mem(&back, buf, len));
    expect_names(back, names, 2);
    gan_model_free(back);
    gan_free(buf);
    tu_pair_config_init(&pc);
    pc.trainer.ema_decay = 0.9f;
    ck_assert_int_eq(tu_pair_create_models(&p, g, d, &pc), GAN_OK);
    OK(gan_trainer_save_mem(p.t, NULL, &buf, &len));
    OK(gan_model_load_mem(&back, buf, len));   /* a checkpoint's generator */
    expect_names(back, names, 2);
    gan_model_free(back);
    OK(gan_trainer_load_mem(&t2, NULL, buf, len));
    OK(gan_trainer_models(t2, &tg, &td, NULL, NULL));
    expect_names(tg, names, 2);
    expect_names(td, names, 2);
    OK(gan_trainer_ema_generator(t2, &ema));
    expect_names(ema, names, 2);
    /* the loaded trainer writes the same bytes */
    OK(gan_trainer_save_mem(t2, NULL, &buf2, &len2));
    ck_assert_uint_eq(len, len2);
    ck_assert_int_eq(memcmp(buf, buf2, len), 0);
    gan_model_free(ema);
    gan_trainer_free(t2);
    gan_free(buf);
    gan_free(buf2);
    tu_pair_free(&p);
}
END_TEST

/* A model file of g with a hand-made class names section of raw bytes. */
static gan_status load_with_names_section(const gan_model *g, const gan__wbuf *raw)
{
    gan__wbuf file = {0};
    gan_model *back = NULL;
    gan_status st;
    gan__put_header(&file, GAN_FILE_MODEL, 4, gan__model_flags(g));
    OK(gan__encode_model(&file, g, 0));
    OK(gan__put_section(&file, 8 /* class names */, 0, raw));
    st = gan_model_load_mem(&back, file.p, file.len);
    gan_model_free(back);
    gan__wb_free(&file);
    return st;
}

static void hostile_names(const gan_model *g, const char *want, uint32_t n, const char *const *names,
                          const uint32_t *lens, size_t extra)
{
    gan__wbuf raw = {0};
    gan_status st;
    gan__wb_u32(&raw, n);
    for (uint32_t k = 0; names && names[k]; k++) {
        gan__wb_u32(&raw, lens ? lens[k] : (uint32_t)strlen(names[k]));
        gan__wb_put(&raw, names[k], strlen(names[k]));
    }
    for (size_t i = 0; i < extra; i++)
        gan__wb_put(&raw, "z", 1);
    st = load_with_names_section(g, &raw);
    gan__wb_free(&raw);
    ck_assert_msg(st == GAN_EFORMAT, "expected GAN_EFORMAT for '%s', got %d (%s)", want, (int)st,
                  gan_last_error());
    ck_assert_msg(strstr(gan_last_error(), want) != NULL, "message \"%s\" should say '%s'",
                  gan_last_error(), want);
}

START_TEST(test_class_names_hostile)
{
    gan_model *g = small_conditional(GAN_FAMILY_DCGAN_GENERATOR, 2);
    static const char *const ok2[] = {"a", "b", NULL};
    static const char *const dup[] = {"a", "a", NULL};
    static const char *const ctl[] = {"a", "b\x01", NULL};
    static const char *const nul[] = {"a", "b", NULL};
    static const char *const one[] = {"a", NULL};
    const uint32_t long_len[] = {1, 300}, over[] = {1, 200}, zero[] = {0, 1};
    const uint32_t with_nul[] = {1, 1};
    gan__wbuf raw = {0};
    /* the well-formed section loads */
    gan__wb_u32(&raw, 2);
    gan__wb_u32(&raw, 1);
    gan__wb_put(&raw, "a", 1);
    gan__wb_u32(&raw, 1);
    gan__wb_put(&raw, "b", 1);
    OK(load_with_names_section(g, &raw));
    gan__wb_free(&raw);
    hostile_names(g, "3 names for a model of 2", 3, ok2, NULL, 0);
    hostile_names(g, "0 names", 0, NULL, NULL, 0);
    hostile_names(g, "4294967295 names", 0xffffffffu, NULL, NULL, 0);
    hostile_names(g, "truncated", 2, one, NULL, 0);
    hostile_names(g, "length 300", 2, ok2, long_len, 0);
    hostile_names(g, "length 0", 2, ok2, zero, 0);
    hostile_names(g, "truncated", 2, ok2, over, 0);
    hostile_names(g, "both 'a'", 2, dup, NULL, 0);
    hostile_names(g, "control", 2, ctl, NULL, 0);
    hostile_names(g, "bytes", 2, ok2, NULL, 3);   /* trailing bytes */
    (void)nul;
    (void)with_nul;
    {
        /* a NUL inside a name */
        gan__wb_u32(&raw, 2);
        gan__wb_u32(&raw, 1);
        gan__wb_put(&raw, "a", 1);
        gan__wb_u32(&raw, 2);
        gan__wb_put(&raw, "b\0", 2);
        ck_assert_int_eq(load_with_names_section(g, &raw), GAN_EFORMAT);
        ck_assert_ptr_nonnull(strstr(gan_last_error(), "NUL"));
        gan__wb_free(&raw);
    }
    /* names for an unconditional model */
    {
        gan_model *plain = small_conditional(GAN_FAMILY_DCGAN_GENERATOR, 0);
        hostile_names(plain, "1 names for a model of 0", 1, one, NULL, 0);
        gan_model_free(plain);
    }
    gan_model_free(g);
}
END_TEST

/* ---- learning: discs of known colours, as RGBA PNGs and as RGB JPEGs ---- */

#define DISC_SIDE 16
#define DISC_N 512
#define DISC_STEPS 800
#define DISC_BATCH 32
#define DISC_JPEG_QUALITY 90

/* Four saturated colours; the test checks each sample is one flat colour
   close to one of them, inside a centred disc. */
static const uint8_t disc_colours[4][3] = {
    {230, 40, 40}, {40, 200, 60}, {50, 80, 230}, {240, 210, 30}};
/* The JPEGs' flat background (a JPEG has no alpha): dark grey, at least 130
   (RGB distance) from every disc colour and far from the mid grey an
   untrained generator draws. */
static const uint8_t disc_background[3] = {24, 24, 24};
/* An RGB pixel's "ink": its RGB distance to the background / 100, capped
   at 1 (every disc colour is 1; the background 0); RGBA: alpha. */
#define DISC_INK_SCALE 100.0

/* Image i: a disc of colour i % 4 centred at the middle (an anti-aliased
   edge from 4x4 super-sampling), radius 4.5..6.5 at DISC_SIDE (scaled with
   side); ch 4: on transparent black; ch 3: blended onto disc_background. */
static void draw_disc(uint8_t *px, int side, int ch, int i)
{
    double scale = side / (double)DISC_SIDE;
    double r = (4.5 + 2.0 * ((i * 37) % 17) / 16.0) * scale, cx = side / 2.0, cy = side / 2.0;
    const uint8_t *col = disc_colours[i % 4];
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            int hits = 0;
            for (int sy = 0; sy < 4; sy++)
                for (int sx = 0; sx < 4; sx++) {
                    double dx = x + (sx + 0.5) / 4 - cx, dy = y + (sy + 0.5) / 4 - cy;
                    hits += dx * dx + dy * dy <= r * r;
                }
            uint8_t *p = px + ((size_t)y * side + x) * (size_t)ch;
            if (ch == 4) {
                p[0] = hits ? col[0] : 0;
                p[1] = hits ? col[1] : 0;
                p[2] = hits ? col[2] : 0;
                p[3] = (uint8_t)(hits * 255 / 16);
            } else {
                for (int k = 0; k < 3; k++)
                    p[k] = (uint8_t)((col[k] * hits + disc_background[k] * (16 - hits) + 8) / 16);
            }
        }
}

/* An RGB JPEG file through libjpeg-turbo, as an editor writes one: quality
   DISC_JPEG_QUALITY, the library's default 4:2:0 chroma subsampling. */
static void write_jpeg(const char *path, const uint8_t *px, int w, int h)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: cannot create", path);
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, DISC_JPEG_QUALITY, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * (size_t)w * 3);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    ck_assert_int_eq(fclose(f), 0);
}

/* The folder: DISC_N discs at 32x32 (so the load resizes them to 16x16
   with the area filter), ch 4: RGBA PNGs written by libgan's encoder;
   ch 3: RGB JPEGs written by libjpeg-turbo. */
static void write_disc_folder(const char *dir, int ch)
{
    uint8_t *px = malloc(32 * 32 * 4);
    char path[256];
    ck_assert_ptr_nonnull(px);
    for (int i = 0; i < DISC_N; i++) {
        draw_disc(px, 32, ch, i);
        if (ch == 4) {
            snprintf(path, sizeof path, "%s/disc%04d.png", dir, i);
            OK(gan_png_write_grid(path, px, 1, 32, 32, 4, 1, 0));
        } else {
            snprintf(path, sizeof path, "%s/disc%04d.jpg", dir, i);
            write_jpeg(path, px, 32, 32);
        }
    }
    free(px);
}

typedef struct disc_stats {
    double alpha_in, alpha_out; /* mean ink (alpha; RGB: see DISC_INK_SCALE) inside
                                   radius 4, outside radius 7.5 */
    double flatness;            /* mean per-image std of RGB inside radius 4 */
    double hue_spread;          /* fraction of the 4 colours that are the nearest of >= 10% */
    double colour_err;          /* mean distance of an image's mean colour to the nearest */
} disc_stats;

static double ink(const uint8_t *q, int ch)
{
    double d2 = 0;
    if (ch == 4)
        return q[3] / 255.0;
    for (int k = 0; k < 3; k++)
        d2 += ((double)q[k] - disc_background[k]) * ((double)q[k] - disc_background[k]);
    return fmin(sqrt(d2) / DISC_INK_SCALE, 1.0);
}

/* Statistics of n images of ch channels (uint8, side x side). */
static disc_stats measure(const uint8_t *img, size_t n, int side, int ch)
{
    disc_stats s = {0};
    size_t counts[4] = {0}, in_n = 0, out_n = 0;
    double c = side / 2.0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = img + i * (size_t)side * side * (size_t)ch;
        double sum[3] = {0}, sq[3] = {0}, w = 0, best = 1e30;
        int nearest = 0;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++) {
                const uint8_t *q = p + ((size_t)y * side + x) * (size_t)ch;
                double d2 = (x + 0.5 - c) * (x + 0.5 - c) + (y + 0.5 - c) * (y + 0.5 - c);
                double a = ink(q, ch);
                if (d2 <= 4.0 * 4.0) {
                    s.alpha_in += a;
                    in_n++;
                } else if (d2 >= 7.5 * 7.5) {
                    s.alpha_out += a;
                    out_n++;
                }
                if (d2 <= 4.0 * 4.0)
                    for (int k = 0; k < 3; k++) {
                        sum[k] += q[k];
                        sq[k] += (double)q[k] * q[k];
                    }
                w += d2 <= 4.0 * 4.0;
            }
        for (int k = 0; k < 3; k++) {
            double m = sum[k] / w;
            s.flatness += sqrt(fmax(sq[k] / w - m * m, 0.0)) / 3.0;
        }
        for (int j = 0; j < 4; j++) {
            double d = 0;
            for (int k = 0; k < 3; k++)
                d += (sum[k] / w - disc_colours[j][k]) * (sum[k] / w - disc_colours[j][k]);
            if (d < best) {
                best = d;
                nearest = j;
            }
        }
        counts[nearest]++;
        s.colour_err += sqrt(best);
    }
    s.alpha_in /= (double)in_n;
    s.alpha_out /= (double)out_n;
    s.flatness /= (double)n;
    s.colour_err /= (double)n;
    for (int j = 0; j < 4; j++)
        s.hue_spread += counts[j] >= n / 10 ? 0.25 : 0.0;
    return s;
}

static void print_stats(const char *what, const disc_stats *s)
{
    if (getenv("TU_VERBOSE"))
        printf("%-16s ink in %.3f out %.3f, flatness %.1f, colour error %.1f, colours %.2f\n",
               what, s->alpha_in, s->alpha_out, s->flatness, s->colour_err, s->hue_spread), fflush(stdout);
}

/* The check: ink inside radius 4 above 0.8 and outside radius 7.5 below
   out_max, flat colour inside, a mean colour near one of the four, at
   least 3 of the 4 colours each the nearest for 10% (no collapse).
   out_max: 0.15 for the PNGs' alpha; 0.40 for the JPEGs' ink (a mean RGB
   distance of 40 to the background, where the data measure 6: JPEG's
   ringing; the samples' speckled background 25; an untrained generator's
   mid grey 1.0, the cap). */
#define DISC_OUT_MAX_PNG 0.15
#define DISC_OUT_MAX_JPEG 0.40
static int disc_like(const disc_stats *s, double out_max)
{
    return s->alpha_in > 0.8 && s->alpha_out < out_max && s->flatness < 25.0 &&
           s->colour_err < 50.0 && s->hue_spread >= 0.75;
}

/* Writes the disc folder (ch 4: RGBA PNGs; ch 3: RGB JPEGs), loads it at
   DISC_SIDE with ch channels, checks the data pass disc_like and an
   untrained generator does not, trains the family pair DISC_STEPS steps
   and requires its samples to pass.  Measured (TU_VERBOSE=1
   CK_RUN_CASE=learn build/tests/check_family; ink in / out, flatness,
   colour error, colours), about 7 s of CPU each:
     png   data 1.000/0.000, 0.0, 0.0, 4;  untrained 0.507/0.504, 4.4, 130.8, 1;
           trained 0.997/0.002, 14.7, 35.6, 4
     jpeg  data 1.000/0.058, 3.9, 2.0, 4;  untrained 1.000/1.000, 4.1, 133.4, 1;
           trained 1.000/0.246, 10.5, 37.3, 4
   and, the same PNG folder with --arch resnet and style2's pairs (about
   57 s of CPU together; the four tests 71 s):
     resnet  untrained 0.511/0.481, 27.8, 129.2, 2;  trained 0.995/0.000, 5.1, 12.6, 4
     style2  untrained 0.459/0.457, 16.4, 116.0, 2;  trained 0.992/0.000, 9.4, 40.1, 4
   With DISC_STEPS 0 both fail (the untrained values). */
/* The pairs of gan train --arch: the DCGAN family with spectral norm in D
   (sngan), and the residual and StyleGAN2-lite generators against the
   DCGAN-family critic without it (resnet, style2, the latter with the
   minibatch standard deviation in D).  Learning rates raised so 800 steps
   suffice: 2e-3 for both networks (style2: G 5e-3, 2.5x its recipe's),
   with each recipe's Adam betas and, for resnet and style2, a generator
   EMA of 0.99 (style2's 0.999 would still average the first steps'
   weights after 800).  Measured (TU_VERBOSE=1, trained): resnet at G lr
   1e-3 had 3 of the 4 colours (0.75, at the threshold), at 2e-3 all 4. */
typedef enum disc_arch { ARCH_SNGAN, ARCH_RESNET, ARCH_STYLE2 } disc_arch;

static void learn_discs(int ch, disc_arch arch)
{
    static const char *const arch_names[] = {"sngan", "resnet", "style2"};
    const char *format = ch == 4 ? "png" : "jpeg";
    char what[32];
    const size_t image = (size_t)DISC_SIDE * DISC_SIDE * (size_t)ch;
    const double out_max = ch == 4 ? DISC_OUT_MAX_PNG : DISC_OUT_MAX_JPEG;
    char dir[] = "/tmp/gan_discs_XXXXXX", cmd[64], label[48], grid[80];
    gan_image_config ic;
    gan_family_config fc;
    gan_batch_config bc;
    gan_dataset *ds = NULL;
    gan_model *g = NULL, *d = NULL, *ema = NULL;
    gan_sampler *s = NULL;
    tu_pair_config pc;
    tu_pair p;
    disc_stats data, before, after;
    size_t n;
    uint8_t *img = malloc(256 * image);
    float *x = malloc(256 * image * sizeof *x);
    ck_assert_ptr_nonnull(img);
    ck_assert_ptr_nonnull(x);
    snprintf(what, sizeof what, "%s %s", arch_names[arch], format);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    write_disc_folder(dir, ch);

    OK(GAN_IMAGE_CONFIG_INIT(&ic));
    ic.height = ic.width = DISC_SIDE;
    ic.channels = ch;
    OK(gan_dataset_load_images(&ds, dir, &ic));
    OK(gan_dataset_size(ds, &n));
    ck_assert_uint_eq(n, DISC_N);
    /* The data passes the check the generator must pass. */
    for (size_t i = 0; i < 256; i++)
        OK(gan_dataset_get(ds, i, x + i * image, image, NULL));
    for (size_t i = 0; i < 256 * image; i++)
        img[i] = (uint8_t)lrintf(fminf(fmaxf((x[i] + 1.0f) * 127.5f, 0.0f), 255.0f));
    data = measure(img, 256, DISC_SIDE, ch);
    snprintf(label, sizeof label, "%s data", what);
    print_stats(label, &data);
    ck_assert_msg(disc_like(&data, out_max), "the %s data itself should pass", what);

    OK(GAN_FAMILY_CONFIG_INIT(&fc));
    fc.size = DISC_SIDE;
    fc.channels = ch;
    fc.width = 16;
    fc.max_width = 64;
    fc.latent = 32;
    fc.spectral_norm = arch == ARCH_SNGAN;
    fc.minibatch_stddev = arch == ARCH_STYLE2;
    OK(gan_model_create_family(&g, arch == ARCH_RESNET   ? GAN_FAMILY_RESNET_GENERATOR
                                   : arch == ARCH_STYLE2 ? GAN_FAMILY_STYLE2_GENERATOR
                                                         : GAN_FAMILY_DCGAN_GENERATOR,
                               &fc));
    OK(gan_model_create_family(&d, GAN_FAMILY_DCGAN_DISCRIMINATOR, &fc));
    OK(gan_model_init_params(g, 1));
    OK(gan_model_init_params(d, 2));
    tu_pair_config_init(&pc);
    pc.opt.lr = arch == ARCH_STYLE2 ? 5e-3f : 2e-3f;
    pc.opt.beta1 = 0.0f;
    pc.opt.beta2 = arch == ARCH_STYLE2 ? 0.99f : 0.9f;
    pc.loss.kind = GAN_LOSS_HINGE;
    pc.trainer.ema_decay = arch == ARCH_SNGAN ? 0.0f : 0.99f;
    ck_assert_int_eq(tu_pair_create_models(&p, g, d, &pc), GAN_OK);
    if (arch == ARCH_STYLE2) {   /* D's rate stays 2e-3 */
        gan_optimizer_config oc = pc.opt;
        gan_optimizer_free(p.d_opt);
        oc.lr = 2e-3f;
        OK(gan_optimizer_create(&p.d_opt, p.d, &oc));
        gan_trainer_free(p.t);
        OK(gan_trainer_create(&p.t, p.g, p.d, p.g_opt, p.d_opt, p.loss, &pc.trainer));
    }

    OK(gan_sampler_create(&s, p.g, 7, 0));
    OK(gan_sampler_generate_u8(s, NULL, 0, 256, img, 256 * image));
    before = measure(img, 256, DISC_SIDE, ch);
    snprintf(label, sizeof label, "%s untrained", what);
    print_stats(label, &before);
    ck_assert_msg(!disc_like(&before, out_max), "an untrained generator must fail the %s check", what);
    gan_sampler_free(s);

    OK(GAN_BATCH_CONFIG_INIT(&bc));
    bc.batch_size = DISC_BATCH;
    bc.seed = 3;
    OK(gan_dataset_set_batching(ds, &bc));
    {
        uint64_t epochs = (DISC_STEPS * DISC_BATCH + DISC_N - 1) / DISC_N;
        gan_status st = gan_trainer_fit(p.t, ds, epochs, NULL, NULL, NULL);
        ck_assert_msg(st == GAN_OK, "fit: %s", gan_last_error());
    }
    /* the EMA generator when the recipe keeps one, as gan train saves */
    if (pc.trainer.ema_decay > 0.0f)
        OK(gan_trainer_ema_generator(p.t, &ema));
    OK(gan_sampler_create(&s, ema ? ema : p.g, 7, 0));
    OK(gan_sampler_generate_u8(s, NULL, 0, 256, img, 256 * image));
    after = measure(img, 256, DISC_SIDE, ch);
    snprintf(label, sizeof label, "%s trained", what);
    print_stats(label, &after);
    if (getenv("TU_VERBOSE")) {
        snprintf(grid, sizeof grid, "/tmp/gan_discs_samples_%s_%s.png", arch_names[arch], format);
        gan_png_write_grid(grid, img, 64, DISC_SIDE, DISC_SIDE, ch, 8, 1);
    }
    ck_assert_msg(disc_like(&after, out_max),
                  "%s samples are not disc-like: ink in %.3f (> 0.8) out %.3f (< %.2f), "
                  "flatness %.1f (< 25), colour error %.1f (< 50), colours %.2f (>= 0.75)",
                  what, after.alpha_in, after.alpha_out, out_max, after.flatness, after.colour_err,
                  after.hue_spread);
    gan_sampler_free(s);
    gan_model_free(ema);
    tu_pair_free(&p);
    gan_dataset_free(ds);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(img);
    free(x);
}

START_TEST(test_learns_discs_from_a_folder)
{
    learn_discs(4, ARCH_SNGAN);
}
END_TEST

START_TEST(test_learns_discs_from_jpegs)
{
    learn_discs(3, ARCH_SNGAN);
}
END_TEST

/* The residual and style generators of --arch resnet and style2. */
START_TEST(test_learns_discs_resnet)
{
    learn_discs(4, ARCH_RESNET);
}
END_TEST

START_TEST(test_learns_discs_style2)
{
    learn_discs(4, ARCH_STYLE2);
}
END_TEST

static Suite *family_suite(void)
{
    Suite *s = suite_create("family");
    TCase *t = tcase_create("build");
    TCase *l = tcase_create("learn");
    TCase *la = tcase_create("learn_archs");
    tcase_add_test(t, test_shapes_every_size);
    tcase_add_test(t, test_layers_and_params_64);
    tcase_add_test(t, test_refusals);
    tcase_add_test(t, test_conditional_pair_and_options);
    tcase_add_test(t, test_class_names_api);
    tcase_add_test(t, test_class_names_in_files);
    tcase_add_test(t, test_class_names_hostile);
    suite_add_tcase(s, t);
    tcase_set_timeout(l, 600);
    tcase_add_test(l, test_learns_discs_from_a_folder);
    tcase_add_test(l, test_learns_discs_from_jpegs);
    /* About 57 s of CPU together: a test of their own for ctest (tag
       "archs": tests/CMakeLists.txt runs them as check_family_learn_archs,
       so each part has its 600 s), and not in the sanitizer stage
       (GAN_TEST_SCALE=tiny), whose ~10x slower code would pass even that;
       check_family_archs covers their layers there. */
    tcase_set_timeout(la, 600);
    tcase_set_tags(la, "archs");
    if (!getenv("GAN_TEST_SCALE") || strcmp(getenv("GAN_TEST_SCALE"), "tiny") != 0) {
        tcase_add_test(la, test_learns_discs_resnet);
        tcase_add_test(la, test_learns_discs_style2);
    }
    suite_add_tcase(s, l);
    suite_add_tcase(s, la);
    return s;
}

int main(void)
{
    return tu_run_suite(family_suite());
}
