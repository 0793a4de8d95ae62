/*
 * check_abi_handshake.c -- the config-struct size handshake of gan.h, seen
 * from programs compiled against other releases (issue 14).
 *
 * A program compiled against release 1.0 carries 1.0's structs.  This file
 * has its own frozen copies of them (struct *_v1), checked field by field
 * against gan.h at compile time.  For every public call that takes a config
 * struct, and every *_config_init function, it proves that
 *   - a caller passing the 1.0 size is accepted and its values take effect
 *     (and *_config_init writes only that many bytes);
 *   - sizes below the 1.0 size (0, 4, ... 1.0 size - 1) are refused with
 *     GAN_EINVAL, naming the function and the sizes, and nothing is written;
 *   - a caller compiled against a newer header (this library's struct plus
 *     an appended field) is refused the same way.
 * While no release has appended a field, the 1.0 size is also this
 * library's size, so "an older program with a newer library" is proved on
 * the handshake itself (gan__config_read): a simulated 1.1 struct (1.0 plus
 * an appended field with its own default) read from a 1.0 caller gets the
 * caller's values and the appended field's default, never the bytes that
 * follow the caller's struct.
 * The last test reads gan.h and fails if it declares a config-taking call
 * that the tables below do not exercise.
 */
#include <check.h>
#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gan.h"
#include "train/train.h"   /* gan__config_read, gan__loss_config, gan__optimizer_config */

/* ---- release 1.0's config structs, as a 1.0 program sees them ----------------- */

typedef struct dense_v1 {
    uint32_t struct_size;
    int units, use_bias, spectral_norm;
} dense_v1;

typedef struct conv2d_v1 {
    uint32_t struct_size;
    int filters, kernel_h, kernel_w, stride_h, stride_w;
    gan_padding padding;
    int use_bias, spectral_norm;
} conv2d_v1;

typedef struct batchnorm_v1 {
    uint32_t struct_size;
    float momentum, epsilon;
} batchnorm_v1;

typedef struct batch_v1 {
    uint32_t struct_size;
    size_t batch_size;
    int shuffle, drop_remainder;
    uint64_t seed;
} batch_v1;

typedef struct loss_v1 {
    uint32_t struct_size;
    gan_loss_kind kind;
    int generator_minimax;
    float real_label, clip;
    int feature_layer;
    float gradient_penalty, r1_gamma;
} loss_v1;

typedef struct optimizer_v1 {
    uint32_t struct_size;
    gan_optimizer_kind kind;
    float lr, beta1, beta2, eps, rho, momentum;
    int nesterov;
    float weight_decay;
} optimizer_v1;

typedef struct trainer_v1 {
    uint32_t struct_size;
    int n_critic;
    uint64_t seed;
    float ema_decay;
} trainer_v1;

typedef struct image_v1 {
    uint32_t struct_size;
    int height, width, channels;
    gan_image_fit fit;
    uint32_t background;
    gan_image_labels labels;
    gan_image_on_error on_error;
    int flip_x;
    uint64_t max_pixels;
    const char *cache_path;
    gan_image_progress_fn progress;
    void *progress_user;
} image_v1;

typedef struct family_v1 {
    uint32_t struct_size;
    int size, channels, width, max_width, latent, classes, class_dim, spectral_norm;
    float dropout;
} family_v1;
typedef struct reducer_v1 {
    uint32_t struct_size;
    int rank, size;
    gan_status (*sum_start)(float *buf, size_t count, void *user);
    gan_status (*sum_wait)(void *user);
    gan_status (*sum_doubles)(double *buf, size_t count, void *user);
    void (*progress)(void *user);
    void (*out_of_step)(gan_status status, void *user);
    size_t bucket_bytes;
    void *user;
} reducer_v1;

/* Every 1.0 field sits where gan.h puts it, and gan.h's struct only grew. */
#define FIELD_OF(v1, pub, f)                                                          \
    _Static_assert(offsetof(v1, f) == offsetof(pub, f) &&                              \
                       sizeof(((v1 *)0)->f) == sizeof(((pub *)0)->f),                  \
                   #pub "." #f " moved: config structs are append-only")
#define PREFIX_OF(v1, pub)                                                            \
    _Static_assert(sizeof(v1) <= sizeof(pub) && alignof(v1) <= alignof(pub),         \
                   #pub " shrank: config structs are append-only")

FIELD_OF(dense_v1, gan_dense_config, struct_size);
FIELD_OF(dense_v1, gan_dense_config, units);
FIELD_OF(dense_v1, gan_dense_config, use_bias);
FIELD_OF(dense_v1, gan_dense_config, spectral_norm);
PREFIX_OF(dense_v1, gan_dense_config);
FIELD_OF(conv2d_v1, gan_conv2d_config, filters);
FIELD_OF(conv2d_v1, gan_conv2d_config, kernel_h);
FIELD_OF(conv2d_v1, gan_conv2d_config, kernel_w);
FIELD_OF(conv2d_v1, gan_conv2d_config, stride_h);
FIELD_OF(conv2d_v1, gan_conv2d_config, stride_w);
FIELD_OF(conv2d_v1, gan_conv2d_config, padding);
FIELD_OF(conv2d_v1, gan_conv2d_config, use_bias);
FIELD_OF(conv2d_v1, gan_conv2d_config, spectral_norm);
PREFIX_OF(conv2d_v1, gan_conv2d_config);
FIELD_OF(batchnorm_v1, gan_batchnorm_config, momentum);
FIELD_OF(batchnorm_v1, gan_batchnorm_config, epsilon);
PREFIX_OF(batchnorm_v1, gan_batchnorm_config);
FIELD_OF(batch_v1, gan_batch_config, batch_size);
FIELD_OF(batch_v1, gan_batch_config, shuffle);
FIELD_OF(batch_v1, gan_batch_config, drop_remainder);
FIELD_OF(batch_v1, gan_batch_config, seed);
PREFIX_OF(batch_v1, gan_batch_config);
FIELD_OF(loss_v1, gan_loss_config, kind);
FIELD_OF(loss_v1, gan_loss_config, generator_minimax);
FIELD_OF(loss_v1, gan_loss_config, real_label);
FIELD_OF(loss_v1, gan_loss_config, clip);
FIELD_OF(loss_v1, gan_loss_config, feature_layer);
FIELD_OF(loss_v1, gan_loss_config, gradient_penalty);
FIELD_OF(loss_v1, gan_loss_config, r1_gamma);
PREFIX_OF(loss_v1, gan_loss_config);
FIELD_OF(optimizer_v1, gan_optimizer_config, kind);
FIELD_OF(optimizer_v1, gan_optimizer_config, lr);
FIELD_OF(optimizer_v1, gan_optimizer_config, beta1);
FIELD_OF(optimizer_v1, gan_optimizer_config, beta2);
FIELD_OF(optimizer_v1, gan_optimizer_config, eps);
FIELD_OF(optimizer_v1, gan_optimizer_config, rho);
FIELD_OF(optimizer_v1, gan_optimizer_config, momentum);
FIELD_OF(optimizer_v1, gan_optimizer_config, nesterov);
FIELD_OF(optimizer_v1, gan_optimizer_config, weight_decay);
PREFIX_OF(optimizer_v1, gan_optimizer_config);
FIELD_OF(trainer_v1, gan_trainer_config, n_critic);
FIELD_OF(trainer_v1, gan_trainer_config, seed);
FIELD_OF(trainer_v1, gan_trainer_config, ema_decay);
PREFIX_OF(trainer_v1, gan_trainer_config);
FIELD_OF(image_v1, gan_image_config, height);
FIELD_OF(image_v1, gan_image_config, width);
FIELD_OF(image_v1, gan_image_config, channels);
FIELD_OF(image_v1, gan_image_config, fit);
FIELD_OF(image_v1, gan_image_config, background);
FIELD_OF(image_v1, gan_image_config, labels);
FIELD_OF(image_v1, gan_image_config, on_error);
FIELD_OF(image_v1, gan_image_config, flip_x);
FIELD_OF(image_v1, gan_image_config, max_pixels);
FIELD_OF(image_v1, gan_image_config, cache_path);
FIELD_OF(image_v1, gan_image_config, progress);
FIELD_OF(image_v1, gan_image_config, progress_user);
PREFIX_OF(image_v1, gan_image_config);
FIELD_OF(family_v1, gan_family_config, size);
FIELD_OF(family_v1, gan_family_config, channels);
FIELD_OF(family_v1, gan_family_config, width);
FIELD_OF(family_v1, gan_family_config, max_width);
FIELD_OF(family_v1, gan_family_config, latent);
FIELD_OF(family_v1, gan_family_config, classes);
FIELD_OF(family_v1, gan_family_config, class_dim);
FIELD_OF(family_v1, gan_family_config, spectral_norm);
FIELD_OF(family_v1, gan_family_config, dropout);
PREFIX_OF(family_v1, gan_family_config);
FIELD_OF(reducer_v1, gan_reducer_config, rank);
FIELD_OF(reducer_v1, gan_reducer_config, size);
FIELD_OF(reducer_v1, gan_reducer_config, sum_start);
FIELD_OF(reducer_v1, gan_reducer_config, sum_wait);
FIELD_OF(reducer_v1, gan_reducer_config, sum_doubles);
FIELD_OF(reducer_v1, gan_reducer_config, progress);
FIELD_OF(reducer_v1, gan_reducer_config, out_of_step);
FIELD_OF(reducer_v1, gan_reducer_config, bucket_bytes);
FIELD_OF(reducer_v1, gan_reducer_config, user);
PREFIX_OF(reducer_v1, gan_reducer_config);

/* A simulated release 1.1 header: 1.0's struct plus one appended field.  It
   starts at or after 1.0's sizeof (never in 1.0's tail padding). */
#define NEXT(name) typedef struct name##_next { name##_v1 old; int32_t added; } name##_next
/* A program compiled against a header newer than this library. */
#define NEWER(name, pub) typedef struct name##_newer { pub cur; uint64_t added; } name##_newer
NEXT(dense);
NEXT(conv2d);
NEXT(batchnorm);
NEXT(batch);
NEXT(loss);
NEXT(optimizer);
NEXT(trainer);
NEXT(image);
NEXT(family);
NEXT(reducer);
NEWER(dense, gan_dense_config);
NEWER(conv2d, gan_conv2d_config);
NEWER(batchnorm, gan_batchnorm_config);
NEWER(batch, gan_batch_config);
NEWER(loss, gan_loss_config);
NEWER(optimizer, gan_optimizer_config);
NEWER(trainer, gan_trainer_config);
NEWER(image, gan_image_config);
NEWER(family, gan_family_config);
NEWER(reducer, gan_reducer_config);

/* ---- the config structs: sizes, the public init, a 1.0 caller's values -------- */

typedef struct cfg_kind {
    const char *init_name;
    gan_status (*init)(void *cfg, size_t size);
    size_t v1_size;        /* sizeof the 1.0 struct: what a 1.0 program passes */
    size_t lib_size;       /* sizeof gan.h's struct: this library's */
    size_t next_size;      /* sizeof the simulated 1.1 struct */
    size_t next_added;     /* offsetof its appended field */
    size_t newer_size;     /* sizeof a struct from a header newer than this library */
    void (*set_values)(void *cfg);  /* non-default values, as a 1.0 program sets them */
} cfg_kind;

#define CFG_KIND(name, pub)                                                              \
    { #pub "_init", init_##pub, sizeof(name##_v1), sizeof(pub), sizeof(name##_next),      \
      offsetof(name##_next, added), sizeof(name##_newer), set_##name }

/* init_<pub>(cfg, size) calls <pub>_init. */
#define INIT_WRAPPER(pub)                                                              \
    static gan_status init_##pub(void *cfg, size_t size) { return pub##_init((pub *)cfg, size); }
INIT_WRAPPER(gan_dense_config)
INIT_WRAPPER(gan_conv2d_config)
INIT_WRAPPER(gan_batchnorm_config)
INIT_WRAPPER(gan_batch_config)
INIT_WRAPPER(gan_loss_config)
INIT_WRAPPER(gan_optimizer_config)
INIT_WRAPPER(gan_trainer_config)
INIT_WRAPPER(gan_image_config)
INIT_WRAPPER(gan_family_config)
INIT_WRAPPER(gan_reducer_config)

static void set_dense(void *p)
{
    dense_v1 *c = p;
    c->units = 5;
    c->use_bias = 0;
    c->spectral_norm = 1;
}

static void set_conv2d(void *p)
{
    conv2d_v1 *c = p;
    c->filters = 3;
    c->kernel_h = 2;
    c->kernel_w = 1;
    c->stride_h = 2;
    c->stride_w = 1;
    c->padding = GAN_PADDING_SAME;
    c->use_bias = 0;
    c->spectral_norm = 1;
}

static void set_batchnorm(void *p)
{
    batchnorm_v1 *c = p;
    c->momentum = 0.5f;
    c->epsilon = 0.01f;
}

static void set_batch(void *p)
{
    batch_v1 *c = p;
    c->batch_size = 3;
    c->shuffle = 0;
    c->drop_remainder = 0;
    c->seed = 9;
}

static void set_loss(void *p)
{
    loss_v1 *c = p;
    c->kind = GAN_LOSS_WASSERSTEIN;
    c->generator_minimax = 1;
    c->real_label = 0.5f;
    c->clip = 0.01f;
    c->feature_layer = 2;
    c->gradient_penalty = 10.0f;
    c->r1_gamma = 0.5f;
}

static void set_optimizer(void *p)
{
    optimizer_v1 *c = p;
    c->kind = GAN_OPTIM_SGD;
    c->lr = 0.05f;
    c->beta1 = 0.5f;
    c->beta2 = 0.75f;
    c->eps = 1e-5f;
    c->rho = 0.25f;
    c->momentum = 0.875f;
    c->nesterov = 1;
    c->weight_decay = 0.01f;
}

static void set_trainer(void *p)
{
    trainer_v1 *c = p;
    c->n_critic = 2;
    c->seed = 42;
    c->ema_decay = 0.5f;
}

static void set_image(void *p)
{
    image_v1 *c = p;
    c->height = 2;
    c->width = 3;
    c->channels = 1;
    c->fit = GAN_IMAGE_FIT_STRETCH;
    c->background = 0x102030;
    c->labels = GAN_IMAGE_LABELS_NONE;
    c->on_error = GAN_IMAGE_SKIP;
    c->flip_x = 0;
    c->max_pixels = 1000;
}

static void set_family(void *p)
{
    family_v1 *c = p;
    c->size = 12;
    c->channels = 2;
    c->width = 3;
    c->max_width = 5;
    c->latent = 7;
    c->classes = 2;
    c->class_dim = 0;
    c->spectral_norm = 1;
    c->dropout = 0.5f;
}

/* A reducer whose "sums" leave every buffer as it is (one worker's view of
   two), recording what the trainer asked of it. */
typedef struct stub_reducer {
    size_t starts, doubles_calls, first_doubles_count;
    double first_doubles[8];
} stub_reducer;

static gan_status stub_start(float *buf, size_t count, void *user)
{
    (void)buf;
    (void)count;
    ((stub_reducer *)user)->starts++;
    return GAN_OK;
}

static gan_status stub_wait(void *user)
{
    (void)user;
    return GAN_OK;
}

static gan_status stub_doubles(double *buf, size_t count, void *user)
{
    stub_reducer *r = user;
    if (r->doubles_calls++ == 0) {
        r->first_doubles_count = count;
        memcpy(r->first_doubles, buf, (count < 8 ? count : 8) * sizeof *buf);
        if (count == 8) {
            /* A worker 0 identical to this one: its fingerprint (slots 4
               and 5, this worker's being 6 and 7). */
            buf[4] = buf[6];
            buf[5] = buf[7];
        }
    }
    return GAN_OK;
}

static stub_reducer the_stub;

static void set_reducer(void *p)
{
    reducer_v1 *c = p;
    c->rank = 1;
    c->size = 2;
    c->sum_start = stub_start;
    c->sum_wait = stub_wait;
    c->sum_doubles = stub_doubles;
    c->bucket_bytes = 1024;
    c->user = &the_stub;
}

static const cfg_kind k_dense = CFG_KIND(dense, gan_dense_config);
static const cfg_kind k_conv2d = CFG_KIND(conv2d, gan_conv2d_config);
static const cfg_kind k_batchnorm = CFG_KIND(batchnorm, gan_batchnorm_config);
static const cfg_kind k_batch = CFG_KIND(batch, gan_batch_config);
static const cfg_kind k_loss = CFG_KIND(loss, gan_loss_config);
static const cfg_kind k_optimizer = CFG_KIND(optimizer, gan_optimizer_config);
static const cfg_kind k_trainer = CFG_KIND(trainer, gan_trainer_config);
static const cfg_kind k_image = CFG_KIND(image, gan_image_config);
static const cfg_kind k_family = CFG_KIND(family, gan_family_config);
static const cfg_kind k_reducer = CFG_KIND(reducer, gan_reducer_config);

static const cfg_kind *const kinds[] = {&k_dense,  &k_conv2d,    &k_batchnorm, &k_batch,
                                        &k_loss,   &k_optimizer, &k_trainer, &k_image,
                                        &k_family, &k_reducer};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* ---- the calls that take a config struct ---------------------------------------- */

#define OK(x) ck_assert_msg((x) == GAN_OK, "%s failed: %s", #x, gan_last_error())

/* The message of the call under test, kept before cleanup runs. */
static char call_msg[1024];

static void keep_msg(void)
{
    snprintf(call_msg, sizeof call_msg, "%s", gan_last_error());
}

static gan_model *vector_model(int n)
{
    gan_model *m = NULL;
    OK(gan_model_create(&m, 1, &n));
    return m;
}

static gan_model *image_model(int h, int w, int c)
{
    gan_model *m = NULL;
    int dims[3] = {h, w, c};
    OK(gan_model_create(&m, 3, dims));
    return m;
}

static void expect_layer(const gan_model *m, size_t np, size_t ns, int h, int w, int c)
{
    size_t n_params, n_state, ndim;
    int dims[3];
    OK(gan_model_layer_sizes(m, 0, &n_params, &n_state));
    ck_assert_uint_eq(n_params, np);
    ck_assert_uint_eq(n_state, ns);
    OK(gan_model_shape(m, 0, &ndim, dims));
    ck_assert_uint_eq(ndim, h ? 3 : 1);
    if (h) {
        ck_assert_int_eq(dims[0], h);
        ck_assert_int_eq(dims[1], w);
        ck_assert_int_eq(dims[2], c);
    } else {
        ck_assert_int_eq(dims[0], c);
    }
}

static gan_status call_add_dense(const void *cfg, int verify)
{
    gan_model *m = vector_model(6);
    gan_status st = gan_model_add_dense(m, cfg);
    keep_msg();
    if (st == GAN_OK && verify) {
        float w[30];
        expect_layer(m, 6 * 5, 5, 0, 0, 5);   /* no bias; u of 5 units */
        /* A 1.0 caller gets no equalised learning rate: a Glorot-uniform
           kernel, |w| <= sqrt(6 / (6 + 5)), not N(0, 1). */
        OK(gan_model_get_params(m, 0, w, 30));
        for (int i = 0; i < 30; i++)
            ck_assert(fabsf(w[i]) <= 0.7386f);
    }
    gan_model_free(m);
    return st;
}

static gan_status call_add_conv2d(const void *cfg, int verify)
{
    gan_model *m = image_model(8, 8, 2);
    gan_status st = gan_model_add_conv2d(m, cfg);
    keep_msg();
    if (st == GAN_OK && verify)
        expect_layer(m, 2 * 1 * 2 * 3, 3, 4, 8, 3);   /* 2x1 kernel, stride 2x1, SAME */
    gan_model_free(m);
    return st;
}

static gan_status call_add_conv2d_transpose(const void *cfg, int verify)
{
    gan_model *m = image_model(8, 8, 2);
    gan_status st = gan_model_add_conv2d_transpose(m, cfg);
    keep_msg();
    if (st == GAN_OK && verify)
        expect_layer(m, 2 * 1 * 2 * 3, 3, 16, 8, 3);
    gan_model_free(m);
    return st;
}

static gan_status call_add_batchnorm(const void *cfg, int verify)
{
    gan_model *m = vector_model(3);
    gan_status st = gan_model_add_batchnorm(m, cfg);
    keep_msg();
    if (st == GAN_OK && verify) {
        const float one[3] = {1, 1, 1}, two[6] = {2, 2, 2, 2, 2, 2};
        float y[6], state[6];
        /* Fresh statistics (mean 0, variance 1): y = x / sqrt(1 + epsilon). */
        OK(gan_model_forward(m, one, 3, 1, GAN_MODE_INFER, y, 3));
        ck_assert_double_eq_tol(y[0], 1.0 / sqrt(1.01), 1e-6);
        /* running mean = 0 * momentum + 2 * (1 - momentum) = 1 for momentum 0.5. */
        OK(gan_model_forward(m, two, 6, 2, GAN_MODE_TRAIN, y, 6));
        OK(gan_model_get_state(m, 0, state, 6));
        ck_assert_double_eq_tol(state[0], 1.0, 1e-6);
    }
    gan_model_free(m);
    return st;
}

static gan_status call_set_batching(const void *cfg, int verify)
{
    static const float x[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    int dim = 1;
    gan_dataset *ds = NULL;
    gan_status st;
    OK(gan_dataset_create_float(&ds, x, 10, 1, &dim, NULL, 0));
    st = gan_dataset_set_batching(ds, cfg);
    keep_msg();
    if (st == GAN_OK && verify) {
        gan_batch_config b;
        size_t n;
        OK(GAN_BATCH_CONFIG_INIT(&b));
        OK(gan_dataset_get_batching(ds, &b));
        ck_assert_uint_eq(b.batch_size, 3);
        ck_assert_int_eq(b.shuffle, 0);
        ck_assert_int_eq(b.drop_remainder, 0);
        ck_assert_uint_eq(b.seed, 9);
        OK(gan_dataset_batches_per_epoch(ds, &n));
        ck_assert_uint_eq(n, 4);
    }
    gan_dataset_free(ds);
    return st;
}

static gan_status call_loss_create(const void *cfg, int verify)
{
    gan_loss *l = NULL;
    gan_status st = gan_loss_create(&l, cfg);
    keep_msg();
    if (st == GAN_OK && verify) {
        const gan_loss_config *c = gan__loss_config(l);
        ck_assert_int_eq(c->kind, GAN_LOSS_WASSERSTEIN);
        ck_assert_int_eq(c->generator_minimax, 1);
        ck_assert_float_eq(c->real_label, 0.5f);
        ck_assert_float_eq(c->clip, 0.01f);
        ck_assert_int_eq(c->feature_layer, 2);
        ck_assert_float_eq(c->gradient_penalty, 10.0f);
        ck_assert_float_eq(c->r1_gamma, 0.5f);
    }
    gan_loss_free(l);
    return st;
}

static gan_status call_optimizer_create(const void *cfg, int verify)
{
    gan_model *m = vector_model(2);
    gan_dense_config d;
    gan_optimizer *o = NULL;
    gan_status st;
    OK(GAN_DENSE_CONFIG_INIT(&d));
    d.units = 3;
    OK(gan_model_add_dense(m, &d));
    st = gan_optimizer_create(&o, m, cfg);
    keep_msg();
    if (st == GAN_OK && verify) {
        const gan_optimizer_config *c = gan__optimizer_config(o);
        size_t n;
        float lr;
        OK(gan_optimizer_get_lr(o, &lr));
        ck_assert_float_eq(lr, 0.05f);
        OK(gan_optimizer_state_size(o, &n));
        ck_assert_uint_eq(n, 2 * 3 + 3);   /* one momentum slot per parameter */
        ck_assert_int_eq(c->kind, GAN_OPTIM_SGD);
        ck_assert_float_eq(c->beta1, 0.5f);
        ck_assert_float_eq(c->beta2, 0.75f);
        ck_assert_float_eq(c->eps, 1e-5f);
        ck_assert_float_eq(c->rho, 0.25f);
        ck_assert_float_eq(c->momentum, 0.875f);
        ck_assert_int_eq(c->nesterov, 1);
        ck_assert_float_eq(c->weight_decay, 0.01f);
    }
    gan_optimizer_free(o);
    gan_model_free(m);
    return st;
}

static gan_status call_trainer_create(const void *cfg, int verify)
{
    gan_model *g = vector_model(2), *d = vector_model(4);
    gan_optimizer *go = NULL, *dop = NULL;
    gan_optimizer_config oc;
    gan_loss_config lc;
    gan_dense_config dc;
    gan_loss *l = NULL;
    gan_trainer *t = NULL;
    gan_status st;
    OK(GAN_DENSE_CONFIG_INIT(&dc));
    dc.units = 4;
    OK(gan_model_add_dense(g, &dc));
    dc.units = 1;
    OK(gan_model_add_dense(d, &dc));
    OK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
    OK(gan_optimizer_create(&go, g, &oc));
    OK(gan_optimizer_create(&dop, d, &oc));
    OK(GAN_LOSS_CONFIG_INIT(&lc));
    OK(gan_loss_create(&l, &lc));
    st = gan_trainer_create(&t, g, d, go, dop, l, cfg);
    keep_msg();
    if (st == GAN_OK && verify) {
        gan_trainer_config c;
        OK(GAN_TRAINER_CONFIG_INIT(&c));
        OK(gan_trainer_get_config(t, &c));
        ck_assert_int_eq(c.n_critic, 2);
        ck_assert_uint_eq(c.seed, 42);
        ck_assert_float_eq(c.ema_decay, 0.5f);
        ck_assert_int_eq(c.r1_every, 1);   /* a 1.0 caller: R1 (if any) every update */
    }
    gan_trainer_free(t);
    gan_loss_free(l);
    gan_optimizer_free(go);
    gan_optimizer_free(dop);
    gan_model_free(g);
    gan_model_free(d);
    return st;
}

/* The 1.0 caller's reducer takes effect: a step asks its callbacks, with
   its user pointer, for the agreement of worker 1 of 2 (4 * 2 values, this
   worker's batch in slot 1). */
static gan_status call_set_reducer(const void *cfg, int verify)
{
    gan_model *g = vector_model(2), *d = vector_model(4);
    gan_optimizer *go = NULL, *dop = NULL;
    gan_optimizer_config oc;
    gan_loss_config lc;
    gan_dense_config dc;
    gan_loss *l = NULL;
    gan_trainer *t = NULL;
    gan_status st;
    float real[3 * 4];
    OK(GAN_DENSE_CONFIG_INIT(&dc));
    dc.units = 4;
    OK(gan_model_add_dense(g, &dc));
    dc.units = 1;
    OK(gan_model_add_dense(d, &dc));
    OK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
    OK(gan_optimizer_create(&go, g, &oc));
    OK(gan_optimizer_create(&dop, d, &oc));
    OK(GAN_LOSS_CONFIG_INIT(&lc));
    OK(gan_loss_create(&l, &lc));
    OK(gan_trainer_create(&t, g, d, go, dop, l, NULL));
    st = gan_trainer_set_reducer(t, cfg);
    keep_msg();
    if (st == GAN_OK && verify) {
        memset(&the_stub, 0, sizeof the_stub);
        for (size_t i = 0; i < 3 * 4; i++)
            real[i] = 0.1f * (float)i;
        OK(gan_trainer_step(t, real, 3 * 4, 3, NULL));
        ck_assert_uint_eq(the_stub.first_doubles_count, 8);
        ck_assert(the_stub.first_doubles[0] == 0.0 && the_stub.first_doubles[1] == 3.0);
        ck_assert_uint_eq(the_stub.starts, 2);   /* one bucket per model */
    }
    gan_trainer_free(t);
    gan_loss_free(l);
    gan_optimizer_free(go);
    gan_optimizer_free(dop);
    gan_model_free(g);
    gan_model_free(d);
    return st;
}

/* One 4x5 RGB PNG, made with libgan's own encoder. */
static void *tiny_png(size_t *len)
{
    uint8_t px[4 * 5 * 3];
    void *buf = NULL;
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (uint8_t)(i * 7);
    OK(gan_png_encode_grid(px, 1, 4, 5, 3, 1, 0, &buf, len));
    return buf;
}

/* The 1.0 caller's values took effect: 2x3 gray images (stretched), no
   labels, one sample. */
static void expect_images(const gan_dataset *ds)
{
    size_t n = 0, ndim = 0;
    int dims[3], has_labels = 1, classes = 0;
    OK(gan_dataset_size(ds, &n));
    ck_assert_uint_eq(n, 1);
    OK(gan_dataset_shape(ds, &ndim, dims));
    ck_assert_uint_eq(ndim, 3);
    ck_assert_int_eq(dims[0], 2);
    ck_assert_int_eq(dims[1], 3);
    ck_assert_int_eq(dims[2], 1);
    OK(gan_dataset_labels_info(ds, &has_labels, &classes));
    ck_assert_int_eq(has_labels, 0);
}

static gan_status call_load_images_mem(const void *cfg, int verify)
{
    size_t len = 0;
    void *png = tiny_png(&len);
    const void *bufs[1] = {png};
    const size_t lens[1] = {len};
    const char *names[1] = {"a.png"};
    gan_dataset *ds = NULL;
    gan_status st = gan_dataset_load_images_mem(&ds, bufs, lens, names, 1, cfg);
    keep_msg();
    if (st == GAN_OK && verify)
        expect_images(ds);
    gan_dataset_free(ds);
    gan_free(png);
    return st;
}

static gan_status call_load_images(const void *cfg, int verify)
{
    char dir[] = "/tmp/gan_handshake_XXXXXX", path[64];
    size_t len = 0;
    void *png = tiny_png(&len);
    gan_dataset *ds = NULL;
    gan_status st;
    FILE *f;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/a.png", dir);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(png, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    st = gan_dataset_load_images(&ds, dir, cfg);
    keep_msg();
    if (st == GAN_OK && verify)
        expect_images(ds);
    gan_dataset_free(ds);
    gan_free(png);
    remove(path);
    rmdir(dir);
    return st;
}

/* The 1.0 caller's values took effect: a 12x12x2 pair (s0 6, one level),
   widths 3 then 5, latent 7, 2 classes one-hot, spectral norm, dropout. */
static gan_status call_create_family(const void *cfg, int verify)
{
    gan_model *g = NULL, *d = NULL;
    gan_status st = gan_model_create_family(&g, GAN_FAMILY_DCGAN_GENERATOR, cfg);
    keep_msg();
    if (st == GAN_OK)
        st = gan_model_create_family(&d, GAN_FAMILY_DCGAN_DISCRIMINATOR, cfg);
    if (st == GAN_OK && verify) {
        size_t ndim, n, state;
        int dims[3], k = 0;
        OK(gan_model_shape(g, GAN_MODEL_INPUT, &ndim, dims));
        ck_assert_int_eq(dims[0], 7);
        OK(gan_model_layer_count(g, &n));
        OK(gan_model_shape(g, n - 1, &ndim, dims));
        ck_assert_int_eq(dims[0], 12);
        ck_assert_int_eq(dims[2], 2);
        OK(gan_model_shape(g, 0, &ndim, dims));   /* one-hot embedding: 7 + 2 */
        ck_assert_int_eq(dims[0], 9);
        OK(gan_model_shape(g, 4, &ndim, dims));   /* the projection: 6x6xW(1) */
        ck_assert_int_eq(dims[0], 6);
        ck_assert_int_eq(dims[2], 5);
        OK(gan_model_num_classes(d, &k));
        ck_assert_int_eq(k, 2);
        OK(gan_model_layer_sizes(d, 0, NULL, &state));   /* spectral norm's u */
        ck_assert_uint_eq(state, 3);
        OK(gan_model_layer_count(d, &n));
        ck_assert_uint_eq(n, 5);   /* conv, lrelu, dropout, flatten, projection */
    }
    gan_model_free(g);
    gan_model_free(d);
    return st;
}

typedef struct cfg_call {
    const char *name;
    const cfg_kind *kind;
    gan_status (*call)(const void *cfg, int verify);
} cfg_call;

static const cfg_call calls[] = {
    {"gan_model_add_dense", &k_dense, call_add_dense},
    {"gan_model_add_conv2d", &k_conv2d, call_add_conv2d},
    {"gan_model_add_conv2d_transpose", &k_conv2d, call_add_conv2d_transpose},
    {"gan_model_add_batchnorm", &k_batchnorm, call_add_batchnorm},
    {"gan_dataset_set_batching", &k_batch, call_set_batching},
    {"gan_loss_create", &k_loss, call_loss_create},
    {"gan_optimizer_create", &k_optimizer, call_optimizer_create},
    {"gan_trainer_create", &k_trainer, call_trainer_create},
    {"gan_dataset_load_images", &k_image, call_load_images},
    {"gan_dataset_load_images_mem", &k_image, call_load_images_mem},
    {"gan_model_create_family", &k_family, call_create_family},
    {"gan_trainer_set_reducer", &k_reducer, call_set_reducer},
};
#define N_CALLS (sizeof calls / sizeof calls[0])

/* ---- helpers ------------------------------------------------------------------- */

/* A caller's struct at the start of this, the bytes after it 0xA5. */
typedef union callbuf {
    max_align_t align;
    unsigned char b[256];
} callbuf;

static uint32_t size_of(const callbuf *cb)
{
    uint32_t s;
    memcpy(&s, cb->b, sizeof s);
    return s;
}

static void set_size(callbuf *cb, size_t s)
{
    uint32_t v = (uint32_t)s;
    memcpy(cb->b, &v, sizeof v);
}

static int untouched_from(const callbuf *cb, size_t from)
{
    for (size_t i = from; i < sizeof cb->b; i++)
        if (cb->b[i] != 0xA5)
            return 0;
    return 1;
}

/* A 1.0 program's struct: GAN_*_CONFIG_INIT compiled against 1.0 passes
   sizeof the 1.0 struct, then the program sets its fields. */
static void v1_caller(callbuf *cb, const cfg_kind *k)
{
    memset(cb->b, 0xA5, sizeof cb->b);
    OK(k->init(cb->b, k->v1_size));
    k->set_values(cb->b);
}

static void expect_einval(gan_status st, const char *msg, const char *func, const char *what,
                          size_t size, size_t bound)
{
    char s1[64], s2[32];
    snprintf(s1, sizeof s1, "%s %zu", what, size);
    snprintf(s2, sizeof s2, "%zu", bound);
    ck_assert_msg(st == GAN_EINVAL, "%s with %s: status %d, expected GAN_EINVAL", func, s1, (int)st);
    ck_assert_msg(strstr(msg, func) && strstr(msg, s1) && strstr(msg, s2),
                  "%s with %s: message \"%s\" should name the function, the size and %zu", func,
                  s1, msg, bound);
}

/* Sizes below the 1.0 size that must be refused: 0, 4 (struct_size alone),
   halfway, one field short, one byte short. */
static size_t short_sizes(const cfg_kind *k, size_t out[5])
{
    size_t cand[5] = {0, 4, k->v1_size / 2, k->v1_size - 4, k->v1_size - 1}, n = 0;
    for (size_t i = 0; i < 5; i++) {
        int dup = 0;
        for (size_t j = 0; j < n; j++)
            dup |= out[j] == cand[i];
        if (!dup && cand[i] < k->v1_size)
            out[n++] = cand[i];
    }
    return n;
}

/* ---- tests ------------------------------------------------------------------- */

/* Every config-taking call accepts a 1.0 program's struct and uses its values. */
START_TEST(test_v1_size_accepted)
{
    const cfg_call *c = &calls[_i];
    const cfg_kind *k = c->kind;
    callbuf cb;
    gan_status st;
    memset(cb.b, 0xA5, sizeof cb.b);
    OK(k->init(cb.b, k->v1_size));
    ck_assert_uint_eq(size_of(&cb), k->v1_size);
    ck_assert_msg(untouched_from(&cb, k->v1_size), "%s wrote past the size it was given",
                  k->init_name);
    k->set_values(cb.b);
    st = c->call(cb.b, 1);
    ck_assert_msg(st == GAN_OK, "%s refused a 1.0 struct of %zu bytes: %s", c->name, k->v1_size,
                  call_msg);
}
END_TEST

/* Sizes between 4 and the 1.0 size (and 0) are refused, naming both sizes. */
START_TEST(test_short_size_refused)
{
    const cfg_call *c = &calls[_i];
    const cfg_kind *k = c->kind;
    size_t sizes[5], n = short_sizes(k, sizes);
    callbuf cb;
    for (size_t i = 0; i < n; i++) {
        memset(cb.b, 0xA5, sizeof cb.b);
        expect_einval(k->init(cb.b, sizes[i]), gan_last_error(), k->init_name, "struct size",
                      sizes[i], k->v1_size);
        ck_assert_msg(untouched_from(&cb, 0), "%s wrote into a struct it refused", k->init_name);
        v1_caller(&cb, k);
        set_size(&cb, sizes[i]);
        gan_clear_error();
        expect_einval(c->call(cb.b, 0), call_msg, c->name, "struct_size", sizes[i], k->v1_size);
    }
}
END_TEST

/* A program built against a newer header (the library's struct plus an
   appended field) is refused: this library cannot know the new field. */
START_TEST(test_newer_size_refused)
{
    const cfg_call *c = &calls[_i];
    const cfg_kind *k = c->kind;
    const size_t sizes[2] = {k->lib_size + 1, k->newer_size};
    callbuf cb;
    ck_assert_uint_gt(k->newer_size, k->lib_size);
    for (size_t i = 0; i < 2; i++) {
        memset(cb.b, 0xA5, sizeof cb.b);
        expect_einval(k->init(cb.b, sizes[i]), gan_last_error(), k->init_name, "struct size",
                      sizes[i], k->lib_size);
        ck_assert_msg(untouched_from(&cb, 0), "%s wrote into a struct it refused", k->init_name);
        v1_caller(&cb, k);
        set_size(&cb, sizes[i]);
        expect_einval(c->call(cb.b, 0), call_msg, c->name, "struct_size", sizes[i], k->lib_size);
    }
}
END_TEST

/*
 * An older program with a newer library, on the handshake itself: a
 * simulated 1.1 struct (1.0 + `added`, default 0x11223344) read from a 1.0
 * caller whose struct is followed by 0xA5 bytes.
 */
START_TEST(test_older_caller_newer_library)
{
    const cfg_kind *k = kinds[_i];
    const int32_t added_default = 0x11223344;
    callbuf defaults, caller, full, out;
    gan__config_type next;
    int32_t added;

    /* The 1.1 library's defaults: 1.0's defaults, then the new field's. */
    memset(defaults.b, 0, sizeof defaults.b);
    OK(k->init(defaults.b, k->v1_size));
    memcpy(defaults.b + k->next_added, &added_default, sizeof added_default);
    set_size(&defaults, k->next_size);
    next.name = "gan_next_config";
    next.init_macro = "GAN_NEXT_CONFIG_INIT";
    next.v1_size = k->v1_size;
    next.size = k->next_size;
    next.defaults = defaults.b;
    ck_assert_uint_gt(k->next_size, k->v1_size);
    ck_assert_uint_ge(k->next_added, k->v1_size);

    /* An entry point reads the 1.0 caller's bytes and the new default. */
    v1_caller(&caller, k);
    memset(full.b, 0, sizeof full.b);
    OK(gan__config_read(&next, full.b, k->next_size, caller.b, "entry"));
    ck_assert_uint_eq(size_of(&full), k->next_size);
    ck_assert_msg(memcmp(full.b + 4, caller.b + 4, k->v1_size - 4) == 0,
                  "%s: the 1.0 caller's values were not read", k->init_name);
    memcpy(&added, full.b + k->next_added, sizeof added);
    ck_assert_msg(added == added_default, "%s: appended field is 0x%08x, not its default "
                  "(read past the caller's struct_size?)", k->init_name, (unsigned)added);

    /* *_config_init of a 1.0 program: defaults, only 1.0's bytes written. */
    memset(out.b, 0xA5, sizeof out.b);
    OK(gan__config_read(&next, out.b, k->v1_size, NULL, "init"));
    ck_assert_uint_eq(size_of(&out), k->v1_size);
    ck_assert(memcmp(out.b + 4, defaults.b + 4, k->v1_size - 4) == 0);
    ck_assert(untouched_from(&out, k->v1_size));

    /* A 1.1 program's struct is read whole. */
    memcpy(caller.b + k->next_added, &(int32_t){7}, sizeof(int32_t));
    set_size(&caller, k->next_size);
    OK(gan__config_read(&next, full.b, k->next_size, caller.b, "entry"));
    memcpy(&added, full.b + k->next_added, sizeof added);
    ck_assert_int_eq(added, 7);

    /* Below 1.0 or above 1.1: refused, nothing written. */
    memset(out.b, 0xA5, sizeof out.b);
    set_size(&caller, k->v1_size - 1);
    expect_einval(gan__config_read(&next, out.b, k->next_size, caller.b, "entry"), gan_last_error(),
                  "entry", "gan_next_config struct_size", k->v1_size - 1, k->v1_size);
    set_size(&caller, k->next_size + 4);
    expect_einval(gan__config_read(&next, out.b, k->next_size, caller.b, "entry"), gan_last_error(),
                  "entry", "struct_size", k->next_size + 4, k->next_size);
    expect_einval(gan__config_read(&next, out.b, k->next_size + 4, NULL, "init"), gan_last_error(),
                  "init", "struct size", k->next_size + 4, k->next_size);
    ck_assert(untouched_from(&out, 0));
    ck_assert_int_eq(gan__config_read(&next, NULL, k->v1_size, NULL, "init"), GAN_EINVAL);
}
END_TEST

/* ---- the tables cover gan.h ------------------------------------------------------- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    s = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int is_ident(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

static int covered(const char *name)
{
    for (size_t i = 0; i < N_CALLS; i++)
        if (strcmp(calls[i].name, name) == 0)
            return 1;
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i]->init_name, name) == 0)
            return 1;
    return 0;
}

/* Every GAN_API function of gan.h that takes a `const gan_*_config *` or is
   a *_config_init is in the tables above. */
START_TEST(test_tables_cover_header)
{
    char *h = read_text(GAN_TEST_HEADER), *p, *q;
    size_t found = 0;
    for (p = strstr(h, "/*"); p; p = strstr(p, "/*")) {    /* blank out comments */
        q = strstr(p + 2, "*/");
        ck_assert_ptr_nonnull(q);
        memset(p, ' ', (size_t)(q + 2 - p));
    }
    for (p = strstr(h, "GAN_API"); p; p = strstr(p + 7, "GAN_API")) {
        char name[128], *paren = strchr(p, '('), *semi = strchr(p, ';'), *line = p, *e, *s;
        int takes_config = 0;
        while (line > h && line[-1] != '\n')
            line--;
        while (*line == ' ')
            line++;
        if (*line == '#' || !paren || !semi || paren > semi)
            continue;                                   /* the #define lines */
        for (e = paren; e > p && !is_ident(e[-1]); e--)
            ;
        for (s = e; s > p && is_ident(s[-1]); s--)
            ;
        ck_assert_uint_lt((size_t)(e - s), sizeof name);
        memcpy(name, s, (size_t)(e - s));
        name[e - s] = '\0';
        for (q = strstr(paren, "const gan_"); q && q < semi; q = strstr(q + 1, "const gan_")) {
            char *t = q + 6, *te = t;
            while (is_ident(*te))
                te++;
            if (te - t > 7 && memcmp(te - 7, "_config", 7) == 0)
                takes_config = 1;
        }
        if (strlen(name) > 12 && strcmp(name + strlen(name) - 12, "_config_init") == 0)
            takes_config = 1;
        if (takes_config) {
            found++;
            ck_assert_msg(covered(name), "gan.h: %s takes a config struct but "
                          "check_abi_handshake.c does not exercise it", name);
        }
    }
    ck_assert_uint_eq(found, N_CALLS + N_KINDS);
    free(h);
}
END_TEST

static Suite *handshake_suite(void)
{
    Suite *s = suite_create("abi_handshake");
    TCase *t = tcase_create("handshake");
    tcase_add_loop_test(t, test_v1_size_accepted, 0, (int)N_CALLS);
    tcase_add_loop_test(t, test_short_size_refused, 0, (int)N_CALLS);
    tcase_add_loop_test(t, test_newer_size_refused, 0, (int)N_CALLS);
    tcase_add_loop_test(t, test_older_caller_newer_library, 0, (int)N_KINDS);
    tcase_add_test(t, test_tables_cover_header);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(handshake_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
