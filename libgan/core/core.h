/*
 * core/core.h -- the ground floor of libgan's internals: errors, handle
 * magics, the config-struct handshake, memory, the random stream, shapes
 * and size limits.  Every other folder builds on it; it includes nothing of
 * libgan but the public header.
 *
 * Nothing here is API.  Non-static internal functions are named gan__* and
 * are hidden by -fvisibility=hidden and the version script.
 */
#ifndef GAN_CORE_H
#define GAN_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gan.h"

#if defined(__GNUC__)
#  define GAN__PRINTF(f, a) __attribute__((format(printf, f, a)))
#  define GAN__UNUSED __attribute__((unused))
#else
#  define GAN__PRINTF(f, a)
#  define GAN__UNUSED
#endif

/* ---- errors (error.c) ---------------------------------------------------- */

/* Record a formatted message for this thread and return `status`. */
gan_status gan__err(gan_status status, const char *fmt, ...) GAN__PRINTF(2, 3);

/* Prefix the current message with "<prefix>: " (adds context on the way up). */
void gan__err_prefix(const char *fmt, ...) GAN__PRINTF(1, 2);

/* Argument checks: set "invalid argument: 'expr'" and return GAN_EINVAL. */
#define GAN__CHECK_ARG(expr)                                                   \
    do {                                                                       \
        if (!(expr))                                                           \
            return gan__err(GAN_EINVAL, "%s: invalid argument: '%s'",          \
                            __func__, #expr);                                  \
    } while (0)

/* ---- handles -------------------------------------------------------------- */

/* Every handle struct starts with a magic; free() clears it. */
#define GAN__MAGIC_MODEL     0x4d4f444cu /* "MODL" */
#define GAN__MAGIC_DATASET   0x44415441u /* "DATA" */
#define GAN__MAGIC_OPTIMIZER 0x4f505449u /* "OPTI" */
#define GAN__MAGIC_LOSS      0x4c4f5353u /* "LOSS" */
#define GAN__MAGIC_TRAINER   0x54524e52u /* "TRNR" */
#define GAN__MAGIC_SAMPLER   0x534d504cu /* "SMPL" */
#define GAN__MAGIC_DEAD      0xdeadbeefu

/*
 * Validate a handle: NULL -> GAN_EINVAL, wrong or dead magic -> GAN_ESTATE.
 * `what` names the type for the message.
 */
gan_status gan__check_handle(const void *h, uint32_t magic, const char *what, const char *func);
#define GAN__CHECK_HANDLE(h, magic, what)                                      \
    do {                                                                       \
        gan_status st_ = gan__check_handle((h), (magic), (what), __func__);   \
        if (st_ != GAN_OK)                                                     \
            return st_;                                                        \
    } while (0)

/*
 * In-use flag of a handle (issue 18, item 10).  The calls that write a
 * handle's buffers (a model's forward and backward, a sampler's generate,
 * a trainer's step, an optimizer's step) set it on entry and clear it on
 * return, so a second thread using the same handle at the same time gets
 * GAN_ESTATE instead of silently wrong numbers.  One atomic exchange per
 * call; calls on different handles (many samplers on one const model)
 * never touch a shared flag.  Zero (calloc) is "free".
 */
#include <stdatomic.h>
typedef atomic_int gan__busy;

/* 1 when the caller now holds the flag, 0 when another call holds it. */
static inline int gan__busy_enter(gan__busy *b)
{
    return atomic_exchange_explicit(b, 1, memory_order_acquire) == 0;
}

static inline void gan__busy_leave(gan__busy *b)
{
    atomic_store_explicit(b, 0, memory_order_release);
}

/* GAN_ESTATE: "func: this <what> is in use by another thread; <hint>". */
gan_status gan__busy_err(const char *func, const char *what, const char *hint);

/* ---- config structs (config.c) -------------------------------------------- */

/* One public config struct of gan.h: what the size handshake needs. */
typedef struct gan__config_type {
    const char *name;          /* "gan_dense_config" */
    const char *init_macro;    /* "GAN_DENSE_CONFIG_INIT" */
    size_t v1_size;            /* its size in release 1.0 (frozen) */
    size_t size;               /* its sizeof in this library */
    const void *defaults;      /* a full struct of its documented defaults */
} gan__config_type;

extern const gan__config_type gan__dense_config_type;
extern const gan__config_type gan__conv2d_config_type;
extern const gan__config_type gan__batchnorm_config_type;
extern const gan__config_type gan__batch_config_type;
extern const gan__config_type gan__loss_config_type;
extern const gan__config_type gan__optimizer_config_type;
extern const gan__config_type gan__trainer_config_type;
extern const gan__config_type gan__image_config_type;
extern const gan__config_type gan__family_config_type;
extern const gan__config_type gan__reducer_config_type;

/*
 * The config-struct size handshake, the only place it is written:
 * dst (dst_size bytes) gets the defaults of `type`, overlaid with the
 * first src->struct_size bytes of the caller's src (NULL: defaults only),
 * and dst->struct_size = dst_size.  Both dst_size and src->struct_size must
 * lie between the struct's release-1.0 size and its size in this library,
 * else GAN_EINVAL naming func, the struct and the sizes (nothing written).
 *   entry points:  gan__config_read(&gan__x_config_type, &c, sizeof c, cfg, __func__)
 *   *_config_init: gan__config_read(&gan__x_config_type, cfg, size, NULL, __func__)
 */
gan_status gan__config_read(const gan__config_type *type, void *dst, size_t dst_size,
                            const void *src, const char *func);

/* ---- memory (alloc.c) ------------------------------------------------------ */

void *gan__malloc(size_t size);
void *gan__calloc(size_t n, size_t size);       /* overflow-checked */
void *gan__realloc(void *p, size_t size);
void gan__free(void *p);
char *gan__strdup(const char *s);
/* n*size with overflow check: returns 0 and sets *out, or -1 on overflow. */
int gan__mul_size(size_t n, size_t size, size_t *out);
/* Live handle count, so gan_set_allocator can refuse while handles exist. */
void gan__handle_created(void);
void gan__handle_freed(void);

/* 64-byte aligned blocks from the configured allocator (for SIMD/BLAS). */
void *gan__aligned_alloc(size_t size);
void gan__aligned_free(void *p);

/* ---- random numbers (rng.c) ------------------------------------------------ */

/*
 * xoshiro256** (Blackman & Vigna), seeded through splitmix64.  The whole
 * state is plain data so checkpoints can store and restore it exactly.
 */
typedef struct gan__rng {
    uint64_t s[4];
    int has_spare;      /* Box-Muller produces normals in pairs */
    float spare;
} gan__rng;

void gan__rng_seed(gan__rng *r, uint64_t seed);
uint64_t gan__rng_next(gan__rng *r);
uint32_t gan__rng_u32(gan__rng *r);
float gan__rng_uniform(gan__rng *r);              /* [0, 1) */
float gan__rng_normal(gan__rng *r);               /* N(0, 1) */
size_t gan__rng_below(gan__rng *r, size_t bound);  /* uniform in 0..bound-1 */
void gan__rng_fill_normal(gan__rng *r, float *x, size_t n);
/* Advance r as n gan__rng_next calls would, in O(log n) (jumps). */
void gan__rng_advance(gan__rng *r, uint64_t n);
/* Advance r exactly as n gan__rng_normal calls would, without computing
   the normals (a jump, then the final pair whose second value becomes the
   spare). */
void gan__rng_skip_normal(gan__rng *r, size_t n);
uint64_t gan__splitmix64(uint64_t *state);
/* Glorot-uniform fill: U(-l, l), l = sqrt(6 / (fan_in + fan_out)). */
void gan__glorot_uniform(gan__rng *r, float *w, size_t n, size_t fan_in, size_t fan_out);

/* Softmax cross-entropy of one sample's k logits z against label, in
   double; its gradient times scale into g when not NULL; *correct: argmax
   == label (metrics/classifier.c, where the formulas are). */
double gan__sce_one(const float *z, size_t k, int32_t label, double scale, float *g,
                    int *correct);

/* ---- tensors and shapes ---------------------------------------------------- */

/* Per-sample shape: ndim 1 {features} or 3 {h, w, c}. */
typedef struct gan__shape {
    int ndim;
    int d[3];
} gan__shape;

size_t gan__shape_elems(const gan__shape *s);
/* Validate a public (ndim, dims) pair (ndim 1 or 3, dims in 1..2^24, at
   most 2^31 elements) into *out; GAN_EINVAL naming `func` otherwise. */
gan_status gan__shape_from_dims(size_t ndim, const int *dims, gan__shape *out, const char *func);
/* "(28, 28, 1)" into buf (at least 48 bytes). */
const char *gan__shape_str(const gan__shape *s, char *buf, size_t cap);
/* Channels (last axis) and spatial size (h*w, or 1 for vectors). */
int gan__shape_channels(const gan__shape *s);
size_t gan__shape_spatial(const gan__shape *s);

/* Largest dimension of a shape; element and parameter counts must stay
   below GAN__MAX_ELEMS (so they fit an int). */
#define GAN__MAX_DIM (1 << 24)
#define GAN__MAX_ELEMS ((size_t)1 << 31)
#define GAN__MAX_BATCH ((size_t)1 << 24)
/* Classes of a conditional model, and the largest class embedding. */
#define GAN__MAX_CLASSES 65536

/* ---- shape arithmetic (shape.c) ---- */

/* Keras output size and leading pad of a convolution; -1 if impossible. */
int gan__conv_out_size(int in, int k, int s, gan_padding pad, int *pad_before);

/* Bytes of workspace a layer may ask for at most, before it splits the
   batch into chunks (each chunk is still one GEMM over many images). */
#define GAN__WS_CAP_BYTES ((size_t)32 << 20)
/* Images per chunk for `per_image` workspace bytes each. */
size_t gan__chunk_images(size_t batch, size_t per_image);

/* 1 if any value of x[0..n) is NaN or infinite. */
int gan__has_nonfinite(const float *x, size_t n);

#endif /* GAN_CORE_H */
