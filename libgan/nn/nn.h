/*
 * nn/nn.h -- layers, models and inference: the layer ops table, the model
 * struct and its arenas, the execution plan, spectral normalisation and
 * gan__infer.  Builds on core/, kernels/ and io/ (the byte cursor of a
 * layer's file record).
 */
#ifndef GAN_NN_H
#define GAN_NN_H

#include "core/core.h"
#include "io/io.h"
#include "kernels/kernels.h"

/* ---- layers ---------------------------------------------------------------- */

typedef struct gan__layer gan__layer;
typedef struct gan__onnx gan__onnx;

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
     * Style modulation's side channel (style_input.c, adain.c, modconv.c):
     * the batch's style vectors (batch, style_dim), written by the style
     * input layer's forward and read by the adain and modulated_conv2d
     * layers after it, and dstyle, where those layers' backward adds their gradient with respect to them
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
    /*
     * Residual blocks (nn/layers/residual.c): skip is the block's shortcut
     * input, the output of its residual_begin layer, for the layer that
     * ends the block (GAN__PLAN_SKIP_SINK); in gan__infer the begin layer
     * (GAN__PLAN_SKIP_SOURCE) copies it there (the ping-pong buffers do not
     * keep it).  In the penalties' tangent sweep it is the shortcut's
     * tangent.  dskip: the shortcut's gradient, written by the end layer's
     * backward and added by the begin layer's; NULL when there is none
     * (a backward pass that started inside the block).
     */
    float *skip;
    float *dskip;
} gan__ctx;

/*
 * The gradient penalties' double backpropagation (train/penalty.c has the
 * maths) needs two things of each layer k whose backward map
 * B_k(g) = J_k^T g does not depend on its input x_k beyond what the forward
 * just run fixed (piecewise-linear slopes, dropout masks, labels):
 *   jvp    out = J_k u, the layer's Jacobian at that forward applied to u
 *          (cx->batch samples), biases left out.  x is the layer's input
 *          buffer of the forward (for an activation run in place, its
 *          output: the same signs).
 *   wgrad  cx->dw += d<u, B_k(g)>/dW for input u and output gradient g.
 * cx is the layer's context of that forward, with dw NULL for jvp; for a
 * spectrally normalised layer jvp gets the plain layer's context with
 * W / sigma (gan__sn_base_ctx) and wgrad the full one.  The types live
 * here, not in train/, so layer files provide them without including train/.
 */
typedef void (*gan__penalty_jvp_fn)(const gan__layer *l, const gan__ctx *cx, const float *x,
                                    const float *u, float *out);
typedef void (*gan__penalty_wgrad_fn)(const gan__layer *l, const gan__ctx *cx, const float *u,
                                      const float *g);

/* The kernel of a spectrally normalisable layer as a matrix of O rows (one
   per output unit or filter), stored W[a][o][b]: see spectral_norm.c. */
typedef struct gan__sn_dims {
    size_t a, o, b;
} gan__sn_dims;

/* Traits of a kind for the execution plan (plan.c), or-ed into .plan. */
enum {
    /* An element-wise rectifier y = x (x > 0), a x (x <= 0), slope a >= 0
       in u.act.alpha: a GAN__PLAN_FUSES_RECTIFIER layer before it may run
       it (the rectifier is then absorbed). */
    GAN__PLAN_RECTIFIER = 1u << 0,
    /* Runs a GAN__PLAN_RECTIFIER layer that follows it in its own forward
       and backward (fused_act, fused_alpha: batchnorm). */
    GAN__PLAN_FUSES_RECTIFIER = 1u << 1,
    /* An element-wise activation that differentiates through its output:
       may run in place, y over x (forward with x == y, backward with x
       being y). */
    GAN__PLAN_ACT_IN_PLACE = 1u << 2,
    /* Backward never reads the layer's output: a GAN__PLAN_ACT_IN_PLACE
       layer after it may overwrite that output. */
    GAN__PLAN_OUTPUT_UNREAD = 1u << 3,
    /* Backward may write dx over dy (element-wise: each element of dy is
       read before that element of dx is written). */
    GAN__PLAN_GRAD_IN_PLACE = 1u << 4,
    /* Opens a residual block: its output is the block's shortcut input
       (the loops pass it to the block's end in cx->skip) and its backward
       adds the shortcut's gradient cx->dskip. */
    GAN__PLAN_SKIP_SOURCE = 1u << 5,
    /* Ends a residual block: reads the shortcut from cx->skip, writes its
       gradient into cx->dskip. */
    GAN__PLAN_SKIP_SINK = 1u << 6
};

/* The index of the residual_begin layer whose block layer i ends or is in:
   the nearest GAN__PLAN_SKIP_SOURCE layer below i (model.c); SIZE_MAX if
   none. */
size_t gan__skip_source(const gan_model *m, size_t i);

/*
 * Everything about one layer kind, defined with designated initialisers in
 * the kind's file under libgan/nn/layers/ and listed in layer_table.c
 * (docs/layers.md: how to add one).  Optional members are NULL or 0.
 */
typedef struct gan__layer_ops {
    const char *name;       /* stable: summaries, errors, gan_layer_kind_name */

    /* -- building --
     * The body behind gan_model_add_<name>: check the settings in t (kind,
     * ops, u, use_bias, spectral_norm filled in by the public call or by
     * decode below; shapes not yet), append t with gan__model_append and
     * keep any model-wide bookkeeping.  func names the public call in
     * messages.  Kinds without settings use gan__model_append itself. */
    gan_status (*build)(gan_model *m, gan__layer *t, const char *func);

    /* -- the layer's record in a model file's architecture section --
     * After the common kind, flags and use_bias words (model_file.c,
     * docs/checkpoint-format.md).  encode appends the kind's own fields
     * (NULL: none); decode reads them back into t's settings, with
     * use_bias the record's flag (0 or 1) for the kinds that have a bias
     * (NULL: no fields).  decode leaves read errors in r->st or returns a
     * status with a message; the file is then GAN_EFORMAT.  The layer is
     * rebuilt with build, so a file can describe nothing the builder
     * refuses. */
    void (*encode)(gan__wbuf *b, const gan__layer *l);
    gan_status (*decode)(gan__rbuf *r, uint32_t use_bias, gan__layer *t);

    /* -- running --
     * Validate the layer against its input shape l->in and fill l->out,
     * l->n_params, l->n_state and l->aux_per_sample/aux_fixed.  The only
     * op that can fail (GAN_ESHAPE or GAN_EINVAL, with a message). */
    gan_status (*setup)(gan__layer *l);
    /* Workspace bytes needed for a batch of `batch` samples (NULL: none). */
    size_t (*workspace)(const gan__layer *l, size_t batch);
    /* Initialise parameters and state (NULL: nothing to initialise). */
    void (*init)(gan__layer *l, float *params, float *state, gan__rng *rng);
    /* y = f(x); x is (batch, in), y is (batch, out).  Never allocates. */
    void (*forward)(gan__layer *l, const gan__ctx *cx, const float *x, float *y);
    /*
     * dw += d/dw (if cx->dw), dx = d/dx (if dx).  dy is (batch, out).
     * Must not modify x, y, dy or the saved forward data.
     */
    void (*backward)(gan__layer *l, const gan__ctx *cx, const float *x,
                     const float *y, const float *dy, float *dx);
    /* Are these state values acceptable (set_state, loading)?  GAN_EINVAL
       with a message if not; NULL: any finite values are.  Called over the
       layer's state in order and in pieces, so that a file's state can be
       checked while it streams, before anything is allocated for it:
       v[0..n) are the values from index `from` on; a last call with
       n == 0 and from == l->n_state ends the layer.  *acc starts at 0 and
       carries what the kind needs from piece to piece. */
    gan_status (*check_state)(const gan__layer *l, size_t from, const float *v, size_t n, uint32_t *acc);

    /* -- the execution plan (plan.c) -- */
    /* 1 when the layer only relabels the shape (no data movement, no
       forward or backward: the loops skip it). */
    int is_view;
    unsigned plan;          /* GAN__PLAN_* traits */

    /* -- gradient penalties (train/penalty.c) --
     * NULL penalty_jvp: the penalties refuse a critic with this layer
     * (GAN_EUNSUPPORTED naming it), unless it is a view.  NULL
     * penalty_wgrad: its parameters get no penalty gradient (B_k does not
     * involve them). */
    gan__penalty_jvp_fn penalty_jvp;
    gan__penalty_wgrad_fn penalty_wgrad;

    /* -- the trainer (train/trainer.c) --
     * 1: as a discriminator's last layer, its first output per sample is
     * the adversarial logit and the rest are class logits, which the
     * auxiliary class loss reads (gan_loss_config.class_weight). */
    int class_logits;

    /* -- spectral normalisation (spectral_norm.c) --
     * The kernel's matrix view; NULL: the option does not apply.  The
     * kernel must come first in the parameters, the layer must have no
     * state of its own, and forward/backward must take the kernel from
     * cx->w (the wrapper passes W / sigma). */
    void (*sn_dims)(const gan__layer *l, gan__sn_dims *d);

    /* -- ONNX export (onnx.c) --
     * Append the layer's inference computation to the graph g: nodes
     * reading gan__onnx_in(g), initializers for its parameters, then
     * gan__onnx_out(g, name) with its output (see "ONNX export" below).  w
     * is the layer's parameters (a spectrally normalised kernel already
     * divided by sigma), state its state (batchnorm statistics; NULL for
     * a spectrally normalised layer).  NULL: the kind has no ONNX form and
     * the export is GAN_EUNSUPPORTED naming the layer.  A view or
     * identity layer that emits no node still sets its output. */
    gan_status (*onnx)(const gan__layer *l, gan__onnx *g, const float *w, const float *state);
} gan__layer_ops;

struct gan__layer {
    gan_layer_kind kind;
    const gan__layer_ops *ops;    /* its kind's: gan__layer_ops_for(kind) */
    gan__shape in, out;
    size_t param_off, n_params;   /* into the model's parameter arena */
    size_t state_off, n_state;    /* into the model's state arena */
    size_t aux_per_sample;        /* saved-forward bytes per sample */
    size_t aux_fixed;             /* plus this many bytes per batch */
    int trainable;
    int use_bias;
    int spectral_norm;            /* runs through the spectral_norm.c
                                     wrapper (gan__layer_run) */
    /*
     * Execution plan (plan.c), derived from the layer list and never saved.
     * A batchnorm directly followed by a leaky ReLU or ReLU runs both in one
     * pass (fused_act = 1, fused_alpha its slope): the activation layer is
     * then `absorbed` (the loops skip it, its output buffer is the
     * batchnorm's) and the batchnorm's backward takes the gradient of the
     * activation's output.  An activation after a layer whose backward
     * does not read its output (dense, the convolutions, upsample: the
     * GAN__PLAN_* traits) runs `in_place` (its output overwrites its input
     * buffer).  keep_out pins this layer's output: it
     * stays readable in act[i + 1] after forward (feature layers), so no
     * later layer fuses or overwrites it.
     */
    unsigned char keep_out, absorbed, in_place, fused_act;
    float fused_alpha;
    /*
     * Equalised learning rate (dense; modulated_conv2d keeps its own in
     * u.conv.equalized): the stored kernel is N(0, 1) / lr_mul and the
     * forward uses it times lr_mul / sqrt(fan_in), the bias times lr_mul
     * (Karras et al. 2018, 2020).  lr_mul is 1 unless equalized.
     * Saved in the layer record (GAN__GANC_LAYER_EQUALIZED).
     */
    int equalized;
    float lr_mul, eq_gain;   /* eq_gain: the scale's gain (1 unless equalized) */
    union {
        struct { int units; } dense;
        /* taps: conv2d_transpose runs the kernel-row path (conv_taps.c) */
        struct {
            int filters; gan__conv_geom g; gan_padding padding; int taps;
            /* modulated_conv2d only (modconv.c): the model's style size,
               demodulation and equalised learning rate on/off */
            int style_dim, demod, equalized;
        } conv;
        struct { float momentum, epsilon; } bn;
        struct { float alpha; } act;
        struct { float rate; } drop;
        struct { int kernels, dims; } mbd;
        struct { float epsilon; int style_dim; } adain;
        struct { int classes, dim; } cls;   /* class embedding/projection */
        /* Settings of the kinds added since, named in their own file
           (upsample.c: factor = i[0]), so a new kind needs no member
           here. */
        struct { int i[4]; float f[4]; } p;
    } u;
};

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

/* Ops of a layer kind, NULL for an unknown kind (layer_table.c). */
const gan__layer_ops *gan__layer_ops_for(gan_layer_kind kind);
/* One past the largest kind the table knows (layer_table.c). */
int gan__layer_kind_end(void);
/* "a, b and c": the names of the kinds whose ops satisfy has(), in kind
   order, into buf (truncated to cap); returns buf.  For messages that list
   what a feature supports. */
const char *gan__layer_kinds_where(int (*has)(const gan__layer_ops *ops), char *buf, size_t cap);

/* ---- ONNX export (onnx.c) --------------------------------------------------------- */

/*
 * The graph a gan__layer_ops.onnx op appends to.  Inside the graph an image
 * tensor is NCHW (N, C, H, W), ONNX's layout; a vector is (N, D) and a
 * 2-D sample (N, A, B) as libgan has it.  The graph's input and output are
 * libgan's NHWC (Transpose nodes at the edges).  Tensor names are made by
 * the builder; names up to GAN__ONNX_NAME - 1 bytes.
 */
#define GAN__ONNX_NAME 48

/* A node attribute: type 'i' (INT i), 'f' (FLOAT f), 'I' (INTS ints[0..n)),
   's' (STRING s).  Pass them sorted by name (onnx.helper's order). */
typedef struct gan__onnx_attr {
    const char *name;
    char type;
    int64_t i;
    float f;
    const int64_t *ints;
    size_t n;
    const char *s;
} gan__onnx_attr;

struct gan__onnx {
    gan__wbuf nodes, inits;     /* GraphProto fields 1 and 5, serialised */
    unsigned next;              /* tensor name counter */
    size_t layer;               /* index of the layer being emitted */
    char cur[GAN__ONNX_NAME];   /* the current layer's input tensor */
    char style[GAN__ONNX_NAME]; /* the style vector (style_input's input) */
    char skip[GAN__ONNX_NAME];  /* the open residual block's shortcut tensor */
    int uses_labels;            /* a class layer read the "labels" input */
    gan_status st;              /* first error (then every call is a no-op) */
};

/* The current layer's input tensor (layout above). */
const char *gan__onnx_in(const gan__onnx *g);
/* The layer's output is tensor `name` (may be its input: a no-op layer). */
void gan__onnx_out(gan__onnx *g, const char *name);
/* A node op(in[0..n_in)) -> out, a fresh name written to out
   (GAN__ONNX_NAME bytes).  An empty input name is an omitted optional
   input. */
void gan__onnx_node(gan__onnx *g, const char *op, const char *const *in, size_t n_in,
                    const gan__onnx_attr *attrs, size_t n_attrs, char *out);
/* Float and int64 initializers named "l<layer>.<what>" (the name written
   to name, GAN__ONNX_NAME bytes).  nd dims; data dims' product values. */
void gan__onnx_init_f32(gan__onnx *g, const char *what, const int64_t *dims, size_t nd,
                        const float *data, char *name);
void gan__onnx_init_i64(gan__onnx *g, const char *what, const int64_t *dims, size_t nd,
                        const int64_t *data, char *name);
/* Nearest up-sampling of an NCHW image by f (Resize, "asymmetric" with
   "floor": input pixel floor(i / f)), and average pooling over f x f blocks
   (AveragePool, stride f): upsample, avgpool and the residual shortcut. */
void gan__onnx_upsample(gan__onnx *g, const char *x, int f, char *out);
void gan__onnx_avgpool(gan__onnx *g, const char *x, int f, char *out);
/* x (NCHW image of shape s) as libgan's NHWC and back: Transpose nodes. */
void gan__onnx_to_nhwc(gan__onnx *g, const char *x, char *out);
void gan__onnx_to_nchw(gan__onnx *g, const char *x, char *out);
/* Records a failure (GAN_ENOMEM) for the caller's own allocations. */
gan_status gan__onnx_fail(gan__onnx *g, gan_status st);

/* W / sigma of a spectrally normalised layer as its inference forward
   computes it (then the bias, unchanged): n_params floats into out. */
gan_status gan__sn_weights(const gan__layer *l, const float *w, const float *state, float *out);

/* ---- building (model.c) ------------------------------------------------------ */

/* A blank layer of `kind` for a builder to fill: every setting 0, ops its
   kind's. */
void gan__layer_blank(gan__layer *t, gan_layer_kind kind);
/*
 * Append layer *t (kind, ops and settings filled in; shapes not yet): set
 * it up against the model's output shape, grow the arenas, initialise it.
 * All or nothing: on any failure the model is unchanged.  Checks m's handle.
 */
gan_status gan__model_append(gan_model *m, gan__layer *t, const char *func);
/* A new class layer of n_classes must agree with the model's existing
   ones (and n_classes be in 1..GAN__MAX_CLASSES); GAN_EINVAL. */
gan_status gan__check_classes(const gan_model *m, int n_classes, const char *func);

/* ---- ops shared by several kinds (layer_common.c) ------------------------------ */

/* The gradient penalties' ops of a layer linear in its input apart from
   its bias (dense, convolutions, class projection): jvp is its forward
   with use_bias 0 in inference mode, wgrad its backward with use_bias 0
   (through the spectral normalisation wrapper if it has it). */
void gan__penalty_jvp_linear(const gan__layer *l, const gan__ctx *cx, const float *x,
                             const float *u, float *out);
void gan__penalty_wgrad_linear(const gan__layer *l, const gan__ctx *cx, const float *u,
                               const float *g);

/* ---- spectral normalisation (spectral_norm.c) ------------------------------ */

/*
 * The wrapper that runs a spectrally normalised layer (setup, workspace,
 * init, forward, backward, check_state) around its kind's ops, for the
 * kinds with sn_dims: the kernel divided by sigma goes into the layer's
 * saved forward data and the plain kernels run on it; u is the layer's
 * state (see gan_model_set_spectral_norm in gan.h).
 */
extern const gan__layer_ops gan__sn_ops;
/* The ops that run layer l: its kind's, or that wrapper around them. */
static inline const gan__layer_ops *gan__layer_run(const gan__layer *l)
{
    return l->spectral_norm ? &gan__sn_ops : l->ops;
}
/* Workspace bytes layer l runs with for `batch` samples. */
static inline size_t gan__layer_workspace(const gan__layer *l, size_t batch)
{
    const gan__layer_ops *ops = gan__layer_run(l);
    return ops->workspace ? ops->workspace(l, batch) : 0;
}
/* Fill u (the layer's state) with the random unit vector drawn from the
   layer's initialisation stream (as it is before the kernel is drawn). */
void gan__sn_init_u(const gan__layer *l, float *u, const gan__rng *layer_rng);
/* The plain layer's context for the forward just run: w is the normalised
   kernel (then the bias), aux and ws the plain layer's parts, dw NULL.
   For the gradient penalties' Jacobian-vector products. */
void gan__sn_base_ctx(const gan__layer *l, const gan__ctx *cx, gan__ctx *base);

/* ---- convolutions (conv2d.c; conv2d_transpose.c shares its building) ------ */

/* gan_model_add_conv2d[_transpose]: the config into a layer of `kind`,
   checked (gan__conv_build) and appended. */
gan_status gan__conv_add(gan_model *m, gan_layer_kind kind, const gan_conv2d_config *cfg,
                         const char *func);
gan_status gan__conv_build(gan_model *m, gan__layer *t, const char *func);
void gan__conv_encode(gan__wbuf *b, const gan__layer *l);
gan_status gan__conv_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t);

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

/* ---- model internals that the trainer and optimizers use -------------------- */

struct gan_model {
    uint32_t magic;
    gan__shape in;
    gan__layer *layers;
    size_t n_layers, cap_layers;
    /* One arena each: parameters, their gradients, non-trainable state. */
    float *params, *grads, *state;
    size_t n_params, n_state;
    /* Their allocated lengths in floats (grads, when present, has
       cap_params): building grows them geometrically, so an N-layer model
       costs O(N) copies.  defer_arenas (file loads): layers are appended
       with counts only; gan__model_alloc_arenas then allocates once. */
    size_t cap_params, cap_state;
    int defer_arenas;
    uint64_t init_seed;
    gan__rng rng;
    int n_classes;           /* of its class layers; 0: not conditional */
    /* The classes' names (gan_model_set_class_names): n_class_names
       (0 or n_classes) NUL-terminated names in one block of
       class_names_bytes. */
    char *class_names;
    size_t n_class_names, class_names_bytes;
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
    /* Residual blocks: the shortcut's gradient (max_batch, largest
       residual_begin output), see gan__ctx dskip; NULL without blocks. */
    float *skip_grad;
    /* Bumped whenever the layer list or a layer's state layout changes, so
       trainers and inference buffers planned earlier can refuse to run. */
    uint64_t generation;
    /* Called after each layer's backward in gan__model_backward_from with
       the layer's index and whether it added to the parameter gradients,
       so a data-parallel trainer can start summing finished gradients
       while the layers below still run (train/reduce.c).  NULL: none. */
    void (*backward_hook)(void *user, size_t layer, int accum);
    void *backward_hook_user;
    /* Set while gan_model_forward/backward or a trainer step writes the
       batch buffers (core.h); samplers only read the model and ignore it. */
    gan__busy busy;
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
/* The same over a whole model's state arriving in pieces, in order (a
   file's state section while it inflates): begin, part for consecutive
   pieces (from: the index of v[0] in the model's state), end.  Errors
   name the layer. */
typedef struct gan__state_check {
    const gan_model *m;
    size_t layer;
    uint32_t acc;
} gan__state_check;
void gan__state_check_begin(gan__state_check *sc, const gan_model *m);
gan_status gan__state_check_part(gan__state_check *sc, size_t from, const float *v, size_t n);
gan_status gan__state_check_end(gan__state_check *sc);
/* Set the plan fields of every layer (plan.c); called whenever the layer
   list or a keep_out pin changes.  Returns 1 if any layer's plan changed. */
int gan__plan_layers(gan_model *m);
/* The same for layers from..n_layers-1 (appending a layer changes the
   plan of the previous layer and the new one only). */
int gan__plan_layers_from(gan_model *m, size_t from);
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
    float *skip;            /* (max_batch, largest residual shortcut), NULL
                               without residual blocks */
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
/* class_names.c: set (func names the caller in messages) and copy. */
gan_status gan__model_set_class_names(gan_model *m, const char *const *names, size_t n,
                                      const char *func);
gan_status gan__model_copy_class_names(gan_model *dst, const gan_model *src);

/* The gradient arena exists only once something needs it: models loaded for
   inference carry none.  GAN_ENOMEM if it cannot be allocated. */
gan_status gan__model_ensure_grads(gan_model *m);
/* After building with defer_arenas set (file loads): allocate the
   parameter and state arenas (zeroed, exactly sized; gradients are made
   when needed) and plan the layers.  Clears defer_arenas. */
gan_status gan__model_alloc_arenas(gan_model *m);
/* Drop the gradient arena (a model loaded for inference). */
void gan__model_drop_grads(gan_model *m);

#endif /* GAN_NN_H */
