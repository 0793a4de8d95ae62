/*
 * gan_internal.h -- private declarations shared by libgan's sources.
 *
 * Nothing here is API.  Non-static internal functions are named gan__* and
 * are hidden by -fvisibility=hidden and the version script.
 */
#ifndef GAN_INTERNAL_H
#define GAN_INTERNAL_H

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
uint64_t gan__splitmix64(uint64_t *state);

/* ---- threads and BLAS (blas.c) ------------------------------------------- */

/*
 * Row-major C = alpha * op(A) * op(B) + beta * C, op(A) M x K, op(B) K x N.
 * Dispatches to OpenBLAS, or to gan__sgemm_ref in builds without it.
 */
void gan__sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta,
                float *c, int ldc);
/* Nonzero: gan__sgemm runs gan__sgemm_ref (tests only; never set by the
   library itself). */
extern int gan__blas_force_ref;
/* The naive triple loop: test oracle and fallback. */
void gan__sgemm_ref(int trans_a, int trans_b, int m, int n, int k, float alpha,
                    const float *a, int lda, const float *b, int ldb, float beta,
                    float *c, int ldc);

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

/* ---- convolution geometry and im2col (im2col.c) ----------------------------- */

/*
 * Geometry of a convolution from an image (ih, iw, ic) to (oh, ow, oc) with
 * a kh x kw kernel.  conv2d uses it forwards; conv2d_transpose uses the
 * geometry of the convolution it is the adjoint of (its output is `in`).
 */
typedef struct gan__conv_geom {
    int ih, iw, ic;        /* image side with channels ic */
    int oh, ow;            /* output positions */
    int kh, kw, sh, sw;
    int pad_top, pad_left;
} gan__conv_geom;

/* Keras output size and leading pad of a convolution; -1 if impossible. */
int gan__conv_out_size(int in, int k, int s, gan_padding pad, int *pad_before);

/*
 * im2col of `n` images: rows (img, oy, ox), columns (ky, kx, c), zero where
 * the kernel hangs over the border.  x is (n, ih, iw, ic); col is
 * (n*oh*ow, kh*kw*ic).
 */
void gan__im2col(const gan__conv_geom *g, int n, const float *x, float *col);
/* The adjoint: ADD each column entry back into x (n, ih, iw, ic). */
void gan__col2im(const gan__conv_geom *g, int n, const float *col, float *x);

/* ---- layers ---------------------------------------------------------------- */

typedef struct gan__layer gan__layer;

/* What a forward or backward call needs besides its tensors. */
typedef struct gan__ctx {
    size_t batch;
    int training;           /* GAN_MODE_TRAIN */
    const float *w;         /* this layer's parameters (NULL if none) */
    float *dw;              /* its gradients, NULL: do not accumulate */
    float *state;           /* its non-trainable state (batchnorm statistics,
                               spectral normalisation's u) */
    void *ws;               /* shared workspace, ws_bytes long */
    size_t ws_bytes;
    void *aux;              /* this layer's saved forward data */
    gan__rng *rng;          /* the model's random stream */
    /*
     * Style modulation's side channel (style_input.c, adain.c): the batch's
     * style vectors (batch, style_dim), written by the style input layer's
     * forward and read by the adain layers after it, and dstyle, where the
     * adain layers' backward adds their gradient with respect to them
     * before the style input layer's backward (which runs later, the pass
     * being in reverse) hands it on as its dx.  Both belong to the model
     * or, for gan__infer, to the inference buffer (dstyle NULL there);
     * NULL and 0 in models without a style input.
     */
    float *style;
    float *dstyle;
    size_t style_dim;
    const int32_t *labels;  /* (batch) class of each sample, validated;
                               NULL for a model without class layers */
} gan__ctx;

typedef struct gan__layer_ops {
    const char *name;       /* stable: summaries, errors, files */
    /*
     * Validate the layer against its input shape l->in and fill l->out,
     * l->n_params, l->n_state and l->aux_per_sample/aux_fixed.  The only
     * op that can fail (GAN_ESHAPE or GAN_EINVAL, with a message).
     */
    gan_status (*setup)(gan__layer *l);
    /* Workspace bytes needed for a batch of `batch` samples. */
    size_t (*workspace)(const gan__layer *l, size_t batch);
    /* Initialise parameters and state. */
    void (*init)(gan__layer *l, float *params, float *state, gan__rng *rng);
    /* y = f(x); x is (batch, in), y is (batch, out).  Never allocates. */
    void (*forward)(gan__layer *l, const gan__ctx *cx, const float *x, float *y);
    /*
     * dw += d/dw (if cx->dw), dx = d/dx (if dx).  dy is (batch, out).
     * Must not modify x, y, dy or the saved forward data.
     */
    void (*backward)(gan__layer *l, const gan__ctx *cx, const float *x,
                     const float *y, const float *dy, float *dx);
    /* 1 when the layer only relabels the shape (no data movement). */
    int is_view;
} gan__layer_ops;

struct gan__layer {
    gan_layer_kind kind;
    const gan__layer_ops *ops;
    gan__shape in, out;
    size_t param_off, n_params;   /* into the model's parameter arena */
    size_t state_off, n_state;    /* into the model's state arena */
    size_t aux_per_sample;        /* saved-forward bytes per sample */
    size_t aux_fixed;             /* plus this many bytes per batch */
    int trainable;
    int use_bias;
    int spectral_norm;            /* ops are the spectral_norm.c wrapper */
    /*
     * Execution plan (plan.c), derived from the layer list and never saved.
     * A batchnorm directly followed by a leaky ReLU or ReLU runs both in one
     * pass (fused_act = 1, fused_alpha its slope): the activation layer is
     * then `absorbed` (the loops skip it, its output buffer is the
     * batchnorm's) and the batchnorm's backward takes the gradient of the
     * activation's output.  An activation after a dense or convolution whose
     * backward does not read its output runs `in_place` (its output
     * overwrites its input buffer).  keep_out pins this layer's output: it
     * stays readable in act[i + 1] after forward (feature layers), so no
     * later layer fuses or overwrites it.
     */
    unsigned char keep_out, absorbed, in_place, fused_act;
    float fused_alpha;
    union {
        struct { int units; } dense;
        /* taps: conv2d_transpose runs the kernel-row path (conv_taps.c) */
        struct { int filters; gan__conv_geom g; gan_padding padding; int taps; } conv;
        struct { float momentum, epsilon; } bn;
        struct { float alpha; } act;
        struct { float rate; } drop;
        struct { int kernels, dims; } mbd;
        struct { float epsilon; int style_dim; } adain;
        struct { int classes, dim; } cls;   /* class embedding/projection */
    } u;
};

/* 1 for the layer kinds that read cx->labels (class embedding and
   projection): they make a model conditional. */
static inline int gan__kind_uses_labels(gan_layer_kind k)
{
    return k == GAN_LAYER_CLASS_EMBEDDING || k == GAN_LAYER_CLASS_PROJECTION;
}

/* GAN_EINVAL "func: label i is v, expected 0..K-1" for the first label of
   labels[0..n) outside 0..n_classes-1 (what = "label", "sample", ...). */
gan_status gan__check_labels(const int32_t *labels, size_t n, int n_classes, const char *func);

/* The loops skip a layer that only relabels its input or that the layer
   below runs fused; such layers (and in-place ones) alias their input. */
static inline int gan__layer_skipped(const gan__layer *l)
{
    return l->ops->is_view || l->absorbed;
}
static inline int gan__layer_aliases_input(const gan__layer *l)
{
    return l->ops->is_view || l->absorbed || l->in_place;
}

extern const gan__layer_ops gan__dense_ops;
extern const gan__layer_ops gan__conv2d_ops;
extern const gan__layer_ops gan__conv2d_transpose_ops;
extern const gan__layer_ops gan__batchnorm_ops;
extern const gan__layer_ops gan__leaky_relu_ops;
extern const gan__layer_ops gan__relu_ops;
extern const gan__layer_ops gan__tanh_ops;
extern const gan__layer_ops gan__sigmoid_ops;
extern const gan__layer_ops gan__dropout_ops;
extern const gan__layer_ops gan__reshape_ops;
extern const gan__layer_ops gan__flatten_ops;
extern const gan__layer_ops gan__minibatch_stddev_ops;
extern const gan__layer_ops gan__minibatch_discrimination_ops;
extern const gan__layer_ops gan__style_input_ops;
extern const gan__layer_ops gan__adain_ops;
extern const gan__layer_ops gan__noise_injection_ops;
extern const gan__layer_ops gan__class_embedding_ops;
extern const gan__layer_ops gan__class_projection_ops;

/* ---- spectral normalisation (spectral_norm.c) ------------------------------ */

/*
 * Ops of a spectrally normalised layer of `kind` (dense, conv2d,
 * conv2d_transpose), or NULL for a kind it does not apply to.  They wrap the
 * plain layer's ops: the kernel divided by sigma goes into the layer's
 * saved forward data and the plain kernels run on it; u is the layer's
 * state (see gan_model_set_spectral_norm in gan.h).
 */
const gan__layer_ops *gan__sn_ops_for(gan_layer_kind kind);
/* Fill u (the layer's state) with the random unit vector drawn from the
   layer's initialisation stream (as it is before the kernel is drawn). */
void gan__sn_init_u(const gan__layer *l, float *u, const gan__rng *layer_rng);
/* The plain layer's ops and its context for the forward just run: w is the
   normalised kernel (then the bias), aux and ws the plain layer's parts,
   dw NULL.  For the gradient penalties' Jacobian-vector products. */
const gan__layer_ops *gan__sn_base_ops(const gan__layer *l);
void gan__sn_base_ctx(const gan__layer *l, const gan__ctx *cx, gan__ctx *base);

/*
 * Naive twins of the convolution kernels (test oracles): the sums written
 * out directly.  conv: w (kh, kw, C, F), geometry g forwards.  deconv: g is
 * the adjoint convolution's geometry, C the input channels, w (kh, kw, F, C).
 * Backward twins accumulate dw/dbias and overwrite dx; each may be NULL.
 */
void gan__conv2d_forward_ref(const gan__conv_geom *g, int F, int n, const float *x,
                             const float *w, const float *bias, float *y);
void gan__conv2d_backward_ref(const gan__conv_geom *g, int F, int n, const float *x,
                              const float *w, const float *dy, float *dw, float *dbias,
                              float *dx);
void gan__deconv2d_forward_ref(const gan__conv_geom *g, int C, int n, const float *x,
                               const float *w, const float *bias, float *y);
void gan__deconv2d_backward_ref(const gan__conv_geom *g, int C, int n, const float *x,
                                const float *w, const float *dy, float *dw, float *dbias,
                                float *dx);

/* Ops of a layer kind, NULL for an unknown kind (layer_table.c). */
const gan__layer_ops *gan__layer_ops_for(gan_layer_kind kind);

/* Glorot-uniform fill: U(-l, l), l = sqrt(6 / (fan_in + fan_out)). */
void gan__glorot_uniform(gan__rng *r, float *w, size_t n, size_t fan_in, size_t fan_out);

/* Bytes of workspace a layer may ask for at most, before it splits the
   batch into chunks (each chunk is still one GEMM over many images). */
#define GAN__WS_CAP_BYTES ((size_t)32 << 20)
/* Images per chunk for `per_image` workspace bytes each. */
size_t gan__chunk_images(size_t batch, size_t per_image);

/* ---- model internals that the trainer and optimizers use -------------------- */

struct gan_model {
    uint32_t magic;
    gan__shape in;
    gan__layer *layers;
    size_t n_layers, cap_layers;
    /* One arena each: parameters, their gradients, non-trainable state. */
    float *params, *grads, *state;
    size_t n_params, n_state;
    uint64_t init_seed;
    gan__rng rng;
    int n_classes;           /* of its class layers; 0: not conditional */
    /* Batch-sized buffers (gan_model_reserve). */
    size_t max_batch;
    float *act_arena;        /* layer inputs/outputs */
    float **act;             /* act[i] = input of layer i; act[n] = output */
    unsigned char *aux_arena;
    unsigned char **aux;     /* per layer */
    float *grad_buf;         /* input gradients, both ends (plan.c) */
    size_t grad_floats;      /* its length */
    void *ws;
    size_t ws_bytes;
    int32_t *labels;         /* (max_batch) labels of the last forward, for
                                backward; NULL unless conditional */
    size_t last_batch;       /* batch of the last forward, 0 = none */
    gan_mode last_mode;
    /* Style modulation: style_dim is the style input layer's input size
       (0: the model has none), style_layer its index; style and dstyle
       are (max_batch, style_dim) batch buffers (see gan__ctx). */
    size_t style_dim, style_layer;
    float *style, *dstyle;
    /* Bumped whenever the layer list or a layer's state layout changes, so
       trainers and inference buffers planned earlier can refuse to run. */
    uint64_t generation;
};

/* Internal forward/backward without argument checks or copies: x is not
   copied when it already is act[0].  labels: batch validated classes for a
   conditional model (copied into m->labels unless they are m->labels),
   ignored (may be NULL) otherwise; GAN_EINVAL if a conditional model gets
   NULL. */
gan_status gan__model_forward(gan_model *m, const float *x, const int32_t *labels, size_t batch,
                              gan_mode mode);
gan_status gan__model_backward(gan_model *m, const float *dy, float *dx);
/*
 * Backward through layers [0, top) only, dy being the gradient of layer
 * top-1's output (act[top]).  accum == 0 computes dx without touching any
 * parameter gradient (backpropagating through a discriminator to train the
 * generator).  dy must not alias the model's gradient buffer.
 */
gan_status gan__model_backward_from(gan_model *m, size_t top, const float *dy, float *dx,
                                   int accum);
/* A layer's state values are acceptable (batchnorm variances >= 0, a
   spectral normalisation u not all zero); GAN_EINVAL with a message. */
gan_status gan__check_state(const gan__layer *l, const float *state);
/* Set the plan fields of every layer (plan.c); called whenever the layer
   list or a keep_out pin changes.  Returns 1 if any layer's plan changed. */
int gan__plan_layers(gan_model *m);
/*
 * Gradient buffer plan (plan.c).  Backward writes each layer's input
 * gradient at the end of the gradient buffer opposite to its output
 * gradient, or over it when the layer can (element-wise layers), so the
 * buffer needs only max over layers of (input + output) gradient floats
 * instead of twice the largest tensor.  `end` tracks where the current
 * gradient is: 0 outside the buffer (the caller's dy), 1 at the start, 2 at
 * the end; gan__grad_target returns where layer l writes dx and updates it.
 */
size_t gan__grad_floats(const gan_model *m, size_t batch);
float *gan__grad_target(const gan_model *m, const gan__layer *l, size_t batch, int *end);
/* Pin layer k's output (see keep_out): the trainer's and the metrics'
   feature layers.  Replans, dropping the batch buffers if the plan changed;
   like building, not while another thread runs the model (gan__infer). */
void gan__model_keep_output(gan_model *m, size_t k);
/* 1 if any value of x[0..n) is NaN or infinite. */
int gan__has_nonfinite(const float *x, size_t n);

/* ---- inference on a const model (infer.c) -------------------------------------- */

/*
 * Buffers of one inference context: two ping-pong activation buffers (the
 * largest layer output), one aux buffer (the largest layer's saved forward
 * data, reused by every layer) and one workspace, all sized for max_batch.
 * Many contexts may run gan__infer on one const model from many threads:
 * it only reads the model's layers, parameters and batchnorm state.  This
 * relies on every layer's forward op, in inference mode (cx->training == 0,
 * cx->rng == NULL), writing nothing but y, cx->aux, cx->ws and cx->style
 * (the buffer's own style vectors: the aux buffer cannot keep them, every
 * layer reusing it).
 */
typedef struct gan__infer_buf {
    size_t max_batch;
    size_t n_layers;        /* layer count of the model it was planned for */
    uint64_t generation;    /* the model's generation then */
    size_t in_elems, out_elems;
    float *act[2];          /* (max_batch, largest layer output) each */
    void *aux;
    size_t aux_bytes;
    void *ws;
    size_t ws_bytes;
    float *style;           /* (max_batch, style_dim), NULL without a style input */
} gan__infer_buf;

/* Plan and allocate for m and max_batch (1..GAN__MAX_BATCH); *b zeroed on
   failure.  GAN_EINVAL, GAN_ESTATE (no layers), GAN_ENOMEM. */
gan_status gan__infer_buf_init(gan__infer_buf *b, const gan_model *m, size_t max_batch);
void gan__infer_buf_free(gan__infer_buf *b);
/*
 * y = model(x) in inference mode for n samples (n * in_elems floats in x,
 * n * out_elems in y; y must not overlap x), in passes of at most
 * b->max_batch.  labels: n validated classes for a conditional model,
 * ignored otherwise.  No argument checks beyond a plan/model mismatch
 * (GAN_ESTATE) and NULL labels for a conditional model (GAN_EINVAL); never
 * allocates.
 */
gan_status gan__infer(const gan_model *m, gan__infer_buf *b, const float *x,
                      const int32_t *labels, size_t n, float *y);

/* ---- losses (loss.c), used by the trainer ------------------------------------ */

const gan_loss_config *gan__loss_config(const gan_loss *l);
void gan__batch_mean(const float *x, size_t n, size_t dim, double *mean);
/* ||mean_real - mean(fake)||^2; d_fake (may be NULL) gets the gradient;
   scratch holds dim doubles. */
/* One side (real or generated) of a discriminator loss: returns the batch
   mean, writes d loss / d output (with the 1/n) into g if not NULL. */
double gan__loss_d_side(const gan_loss_config *c, const float *x, size_t n, int is_real, float *g);
/* The generator's loss on D outputs (not feature matching). */
double gan__loss_g(const gan_loss_config *c, const float *x, size_t n, float *g);
float gan__feature_matching(const double *mean_real, const float *fake, size_t n_fake,
                            size_t dim, double *scratch, float *d_fake);

/* ---- optimizers (optim.c), used by the trainer ------------------------------- */

gan_model *gan__optimizer_model(const gan_optimizer *o);
/* GAN_ENUMERIC (with a message naming the layer) if a trainable gradient is
   not finite. */
gan_status gan__optimizer_check_grads(const gan_optimizer *o);
/* gan_optimizer_step without the gradient scan, for callers (the trainer)
   that have just checked the gradients themselves. */
gan_status gan__optimizer_apply(gan_optimizer *o);

/* ---- files (atomic_file.c) ---------------------------------------------------- */

/* Replace path with data[0..len) atomically (see atomic_file.c); GAN_EIO
   with the failing call and strerror, leaving the old file intact. */
gan_status gan__write_file_atomic(const char *path, const void *data, size_t len);

/* ---- state that checkpoints save and restore ----------------------------------- */

const gan_optimizer_config *gan__optimizer_config(const gan_optimizer *o);

typedef struct gan__trainer_state {
    int n_critic;
    uint64_t seed, step, epoch;
    gan__rng rng;               /* latent noise */
    float ema_decay;            /* read only: fixed at creation */
} gan__trainer_state;

void gan__trainer_get_state(const gan_trainer *t, gan__trainer_state *st);
void gan__trainer_set_state(gan_trainer *t, const gan__trainer_state *st);
const gan_loss *gan__trainer_loss(const gan_trainer *t);
/* The generator's EMA weights (*n floats, the generator's parameter count)
   or NULL when the trainer keeps none. */
float *gan__trainer_ema(const gan_trainer *t, size_t *n);
/* From now on gan_trainer_free also frees the models, optimizers and loss. */
void gan__trainer_own_handles(gan_trainer *t);

/* The gradient arena exists only once something needs it: models loaded for
   inference carry none.  GAN_ENOMEM if it cannot be allocated. */
gan_status gan__model_ensure_grads(gan_model *m);
/* Drop the gradient arena (a model loaded for inference). */
void gan__model_drop_grads(gan_model *m);

/* ---- gradient penalties (penalty.c) ---------------------------------------------- */

typedef struct gan__penalty_buf gan__penalty_buf;
void gan__penalty_buf_free(gan__penalty_buf *b);
/* GAN_EUNSUPPORTED (naming the layer) unless every layer of d is one the
   double backpropagation handles. */
gan_status gan__penalty_supported(const gan_model *d);
/*
 * Add the penalty's weight gradients to d's gradient arena and return its
 * value: WGAN-GP (r1 = 0) weight * mean_n (||g_n|| - 1)^2 or R1 (r1 = 1)
 * weight/2 * mean_n ||g_n||^2, g_n = d D(x_n) / d x_n.  Runs a training-mode
 * forward of d on x (n samples), so d's cache then holds x.  *pb is grown
 * as needed (free with gan__penalty_buf_free).  labels: the classes of x
 * for a conditional critic (NULL otherwise).
 */
gan_status gan__gradient_penalty(gan_model *d, gan__penalty_buf **pb, const float *x,
                                 const int32_t *labels, size_t n, int r1, float weight,
                                 double *value);

#endif /* GAN_INTERNAL_H */
