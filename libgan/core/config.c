/*
 * config.c -- the size handshake of public config structs (zlib's sizeof
 * check, libgit2's *_options_init), written once.
 *
 * Every config struct of gan.h starts with `uint32_t struct_size` and only
 * ever grows by appending fields.  A program compiled against release 1.x
 * passes the sizeof it was compiled with.  So the library accepts any size
 * from the struct's size in release 1.0 (GAN__<STRUCT>_V1_SIZE, frozen
 * forever) up to its own sizeof, reads only that many bytes, and takes the
 * defaults below for the fields the program does not know.  Anything else
 * (a struct that was not initialised, a newer program run against an older
 * library) is GAN_EINVAL naming the function, the struct and both sizes.
 *
 * Appending a field: add it at the end of the struct in gan.h, give it a
 * default here, leave the V1 size alone, and replace the struct's "still
 * 1.0" _Static_assert with one checking that the new field starts at or
 * after GAN__<STRUCT>_V1_SIZE (a field placed in 1.0's tail padding would
 * make a 1.0 program's padding bytes look like a value).  See docs/ABI.md.
 */
#include "core/core.h"

/*
 * The size of the struct in release 1.0: the end of its last 1.0 field,
 * rounded up to the alignment of its most aligned 1.0 member (what sizeof
 * was in 1.0, tail padding included).  These name 1.0's last field, so they
 * stay right when fields are appended.
 */
#define GAN__END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
#define GAN__ROUND_UP(n, a) (((n) + (a) - 1) / (a) * (a))

#define GAN__DENSE_CONFIG_V1_SIZE \
    GAN__ROUND_UP(GAN__END_OF(gan_dense_config, spectral_norm), _Alignof(int))
#define GAN__CONV2D_CONFIG_V1_SIZE \
    GAN__ROUND_UP(GAN__END_OF(gan_conv2d_config, spectral_norm), _Alignof(int))
#define GAN__BATCHNORM_CONFIG_V1_SIZE \
    GAN__ROUND_UP(GAN__END_OF(gan_batchnorm_config, epsilon), _Alignof(float))
#define GAN__BATCH_CONFIG_V1_SIZE \
    GAN__ROUND_UP(GAN__END_OF(gan_batch_config, seed), _Alignof(uint64_t))
#define GAN__LOSS_CONFIG_V1_SIZE \
    GAN__ROUND_UP(GAN__END_OF(gan_loss_config, r1_gamma), _Alignof(float))
#define GAN__OPTIMIZER_CONFIG_V1_SIZE \
    GAN__ROUND_UP(GAN__END_OF(gan_optimizer_config, weight_decay), _Alignof(float))
#define GAN__TRAINER_CONFIG_V1_SIZE \
    GAN__ROUND_UP(GAN__END_OF(gan_trainer_config, ema_decay), _Alignof(uint64_t))
#define GAN__IMAGE_CONFIG_V1_SIZE \
    GAN__ROUND_UP(GAN__END_OF(gan_image_config, progress_user), _Alignof(uint64_t))
/* gan_family_config came in 1.0 too: its first size is frozen the same way. */
#define GAN__FAMILY_CONFIG_V1_SIZE \
    GAN__ROUND_UP(GAN__END_OF(gan_family_config, dropout), _Alignof(int))
#define GAN__REDUCER_CONFIG_V1_SIZE \
    GAN__ROUND_UP(GAN__END_OF(gan_reducer_config, user), _Alignof(void *))

/* Release 1.0 is this library: each struct is still exactly its 1.0 size.
   When a field is appended, replace the struct's assert as described above. */
/* gan_dense_config grew in 1.1 (equalised learning rate). */
_Static_assert(offsetof(gan_dense_config, equalized_lr) >= GAN__DENSE_CONFIG_V1_SIZE,
               "gan_dense_config: a 1.1 field sits in 1.0's tail padding");
_Static_assert(sizeof(gan_conv2d_config) == GAN__CONV2D_CONFIG_V1_SIZE, "gan_conv2d_config grew");
_Static_assert(sizeof(gan_batchnorm_config) == GAN__BATCHNORM_CONFIG_V1_SIZE,
               "gan_batchnorm_config grew");
_Static_assert(sizeof(gan_batch_config) == GAN__BATCH_CONFIG_V1_SIZE, "gan_batch_config grew");
/* gan_loss_config grew in 1.1 (the auxiliary class loss). */
_Static_assert(offsetof(gan_loss_config, class_weight) >= GAN__LOSS_CONFIG_V1_SIZE,
               "gan_loss_config: a 1.1 field sits in 1.0's tail padding");
_Static_assert(sizeof(gan_optimizer_config) == GAN__OPTIMIZER_CONFIG_V1_SIZE,
               "gan_optimizer_config grew");
/* gan_trainer_config grew in 1.1 (augmentation): its first new field
   starts at or after the 1.0 size, never in 1.0's tail padding. */
_Static_assert(offsetof(gan_trainer_config, augment) >= GAN__TRAINER_CONFIG_V1_SIZE,
               "gan_trainer_config: a 1.1 field sits in 1.0's tail padding");
_Static_assert(sizeof(gan_image_config) == GAN__IMAGE_CONFIG_V1_SIZE, "gan_image_config grew");
/* gan_family_config grew in 1.1 (minibatch standard deviation, AC-GAN head). */
_Static_assert(offsetof(gan_family_config, minibatch_stddev) >= GAN__FAMILY_CONFIG_V1_SIZE,
               "gan_family_config: a 1.1 field sits in 1.0's tail padding");
_Static_assert(sizeof(gan_reducer_config) == GAN__REDUCER_CONFIG_V1_SIZE,
               "gan_reducer_config grew");

/* ---- the defaults (gan.h documents them in brackets) ---------------------- */

static const gan_dense_config gan__dense_defaults = {
    .struct_size = sizeof(gan_dense_config),
    .units = 0,           /* required */
    .use_bias = 1,
    .spectral_norm = 0,
    .equalized_lr = 0,
    .lr_multiplier = 1.0f,
    .equalized_gain = 1.0f,
};

static const gan_conv2d_config gan__conv2d_defaults = {
    .struct_size = sizeof(gan_conv2d_config),
    .filters = 0,         /* required */
    .kernel_h = 3,
    .kernel_w = 3,
    .stride_h = 1,
    .stride_w = 1,
    .padding = GAN_PADDING_VALID,
    .use_bias = 1,
    .spectral_norm = 0,
};

static const gan_batchnorm_config gan__batchnorm_defaults = {
    .struct_size = sizeof(gan_batchnorm_config),
    .momentum = 0.99f,
    .epsilon = 1e-3f,
};

static const gan_batch_config gan__batch_defaults = {
    .struct_size = sizeof(gan_batch_config),
    .batch_size = 64,
    .shuffle = 1,
    .drop_remainder = 1,
    .seed = 0,
};

static const gan_image_config gan__image_defaults = {
    .struct_size = sizeof(gan_image_config),
    .height = 0,          /* keep the images' common size */
    .width = 0,
    .channels = 3,
    .fit = GAN_IMAGE_FIT_CROP,
    .background = 0x000000,
    .labels = GAN_IMAGE_LABELS_AUTO,
    .on_error = GAN_IMAGE_FAIL,
    .flip_x = 0,
    .max_pixels = GAN_IMAGE_MAX_PIXELS,
    .cache_path = NULL,
    .progress = NULL,
    .progress_user = NULL,
};

static const gan_family_config gan__family_defaults = {
    .struct_size = sizeof(gan_family_config),
    .size = 32,
    .channels = 3,
    .width = 32,
    .max_width = 256,
    .latent = 128,
    .classes = 0,
    .class_dim = 32,
    .spectral_norm = 0,
    .dropout = 0.0f,
    .minibatch_stddev = 0,
    .aux_classifier = 0,
};

static const gan_loss_config gan__loss_defaults = {
    .struct_size = sizeof(gan_loss_config),
    .kind = GAN_LOSS_BCE,
    .generator_minimax = 0,
    .real_label = 1.0f,
    .clip = 0.0f,
    .feature_layer = -1,
    .gradient_penalty = 0.0f,
    .r1_gamma = 0.0f,
    .class_weight = 0.0f,
};

static const gan_optimizer_config gan__optimizer_defaults = {
    .struct_size = sizeof(gan_optimizer_config),
    .kind = GAN_OPTIM_ADAM,
    .lr = 1e-3f,
    .beta1 = 0.9f,
    .beta2 = 0.999f,
    .eps = 1e-7f,
    .rho = 0.9f,
    .momentum = 0.0f,
    .nesterov = 0,
    .weight_decay = 0.0f,
};

static const gan_trainer_config gan__trainer_defaults = {
    .struct_size = sizeof(gan_trainer_config),
    .n_critic = 1,
    .seed = 0,
    .ema_decay = 0.0f,
    .augment = 0,
    .augment_p = 1.0f,
    .ada_target = 0.0f,
    .ada_interval = 4,
    .ada_speed = 100000.0f,
    .r1_every = 1,
};

static const gan_reducer_config gan__reducer_defaults = {
    .struct_size = sizeof(gan_reducer_config),
    .rank = 0,
    .size = 1,
    .sum_start = NULL,    /* required */
    .sum_wait = NULL,     /* required */
    .sum_doubles = NULL,  /* required */
    .progress = NULL,
    .out_of_step = NULL,
    .bucket_bytes = (size_t)4 << 20,
    .user = NULL,
};

#define GAN__CONFIG_TYPE(type, v1, defaults, init)                                            \
    { #type, #init, v1, sizeof(type), &defaults }

const gan__config_type gan__dense_config_type =
    GAN__CONFIG_TYPE(gan_dense_config, GAN__DENSE_CONFIG_V1_SIZE, gan__dense_defaults,
                     GAN_DENSE_CONFIG_INIT);
const gan__config_type gan__conv2d_config_type =
    GAN__CONFIG_TYPE(gan_conv2d_config, GAN__CONV2D_CONFIG_V1_SIZE, gan__conv2d_defaults,
                     GAN_CONV2D_CONFIG_INIT);
const gan__config_type gan__batchnorm_config_type =
    GAN__CONFIG_TYPE(gan_batchnorm_config, GAN__BATCHNORM_CONFIG_V1_SIZE, gan__batchnorm_defaults,
                     GAN_BATCHNORM_CONFIG_INIT);
const gan__config_type gan__batch_config_type =
    GAN__CONFIG_TYPE(gan_batch_config, GAN__BATCH_CONFIG_V1_SIZE, gan__batch_defaults,
                     GAN_BATCH_CONFIG_INIT);
const gan__config_type gan__image_config_type =
    GAN__CONFIG_TYPE(gan_image_config, GAN__IMAGE_CONFIG_V1_SIZE, gan__image_defaults,
                     GAN_IMAGE_CONFIG_INIT);
const gan__config_type gan__family_config_type =
    GAN__CONFIG_TYPE(gan_family_config, GAN__FAMILY_CONFIG_V1_SIZE, gan__family_defaults,
                     GAN_FAMILY_CONFIG_INIT);
const gan__config_type gan__loss_config_type =
    GAN__CONFIG_TYPE(gan_loss_config, GAN__LOSS_CONFIG_V1_SIZE, gan__loss_defaults,
                     GAN_LOSS_CONFIG_INIT);
const gan__config_type gan__optimizer_config_type =
    GAN__CONFIG_TYPE(gan_optimizer_config, GAN__OPTIMIZER_CONFIG_V1_SIZE, gan__optimizer_defaults,
                     GAN_OPTIMIZER_CONFIG_INIT);
const gan__config_type gan__trainer_config_type =
    GAN__CONFIG_TYPE(gan_trainer_config, GAN__TRAINER_CONFIG_V1_SIZE, gan__trainer_defaults,
                     GAN_TRAINER_CONFIG_INIT);
const gan__config_type gan__reducer_config_type =
    GAN__CONFIG_TYPE(gan_reducer_config, GAN__REDUCER_CONFIG_V1_SIZE, gan__reducer_defaults,
                     GAN_REDUCER_CONFIG_INIT);

/* ---- the handshake --------------------------------------------------------- */

static int gan__config_size_ok(const gan__config_type *type, size_t size)
{
    return size >= type->v1_size && size <= type->size;
}

static gan_status gan__config_size_err(const gan__config_type *type, const char *func,
                                       const char *what, size_t size)
{
    if (size > type->size)
        return gan__err(GAN_EINVAL, "%s: %s %s %zu is not supported: libgan %s accepts %zu "
                        "(the struct of libgan 1.0) to %zu bytes; was the program compiled "
                        "against a newer gan.h?", func, type->name, what, size,
                        GAN_VERSION_STRING, type->v1_size, type->size);
    return gan__err(GAN_EINVAL, "%s: %s %s %zu is not supported: libgan %s accepts %zu (the "
                    "struct of libgan 1.0) to %zu bytes; initialise the struct with %s", func,
                    type->name, what, size, GAN_VERSION_STRING, type->v1_size, type->size,
                    type->init_macro);
}

gan_status gan__config_read(const gan__config_type *type, void *dst, size_t dst_size,
                            const void *src, const char *func)
{
    uint32_t sz = 0;
    if (dst == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: cfg is NULL", func);
    if (!gan__config_size_ok(type, dst_size))
        return gan__config_size_err(type, func, "struct size", dst_size);
    if (src != NULL) {
        memcpy(&sz, src, sizeof sz);
        if (!gan__config_size_ok(type, sz))
            return gan__config_size_err(type, func, "struct_size", sz);
    }
    /* Defaults, then the caller's bytes (never more than either side holds). */
    memcpy(dst, type->defaults, dst_size);
    if (src != NULL)
        memcpy(dst, src, sz < dst_size ? sz : dst_size);
    sz = (uint32_t)dst_size;
    memcpy(dst, &sz, sizeof sz);
    return GAN_OK;
}
