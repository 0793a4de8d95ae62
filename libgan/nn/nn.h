/*
 * nn/nn.h -- layers, models and inference: the layer ops table, the model
 * struct and its arenas, the execution plan, spectral normalisation and
 * gan__infer.  Builds on core/, kernels/ and io/ (a layer's file record).
 */
#ifndef GAN_NN_H
#define GAN_NN_H

#include "core/core.h"
#include "kernels/kernels.h"

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
    /* Called after each layer's backward in gan__model_backward_from with
       the layer's index and whether it added to the parameter gradients,
       so a data-parallel trainer can start summing finished gradients
       while the layers below still run (train/reduce.c).  NULL: none. */
    void (*backward_hook)(void *user, size_t layer, int accum);
    void *backward_hook_user;
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

/* A new inference model with m's layers, parameters and state (what
   saving and loading it would give); GAN_ENOMEM. */
gan_status gan__model_clone(const gan_model *src, gan_model **out);

/* The gradient arena exists only once something needs it: models loaded for
   inference carry none.  GAN_ENOMEM if it cannot be allocated. */
gan_status gan__model_ensure_grads(gan_model *m);
/* Drop the gradient arena (a model loaded for inference). */
void gan__model_drop_grads(gan_model *m);

#endif /* GAN_NN_H */
