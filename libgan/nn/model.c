/*
 * model.c -- the gan_model handle: building, buffers, forward and backward.
 *
 * Memory plan.  Building a model only grows three arenas: parameters, their
 * gradients (same size, same offsets) and non-trainable state (batchnorm
 * running statistics).  Everything that depends on the batch size is sized
 * in gan_model_reserve(): one activation arena (the input copy and every
 * layer's output; reshape and flatten alias their input, and so do
 * activations fused into a batchnorm or run in place: see plan.c), one
 * arena of per-layer saved forward data (batchnorm's statistics, dropout
 * masks), one gradient buffer used from both ends (plan.c) and one
 * workspace shared by all layers (the largest im2col matrix).  Forward and
 * backward then never allocate.
 */
#include <stddef.h>
#include <stdio.h>

#include "nn/nn.h"

/* ---- creation ----------------------------------------------------------------- */

gan_status gan_model_create(gan_model **out, size_t ndim, const int *dims)
{
    gan_model *m;
    gan__shape s;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    if ((st = gan__shape_from_dims(ndim, dims, &s, __func__)) != GAN_OK)
        return st;
    m = gan__calloc(1, sizeof *m);
    if (!m)
        return gan__err(GAN_ENOMEM, "gan_model_create: out of memory");
    m->magic = GAN__MAGIC_MODEL;
    m->in = s;
    m->init_seed = 0;
    gan__rng_seed(&m->rng, 0);
    gan__handle_created();
    *out = m;
    return GAN_OK;
}

static void gan__free_batch_buffers(gan_model *m)
{
    gan__aligned_free(m->act_arena);
    gan__free(m->act);
    gan__aligned_free(m->aux_arena);
    gan__free(m->aux);
    gan__aligned_free(m->grad_buf);
    gan__aligned_free(m->ws);
    gan__aligned_free(m->style);
    gan__aligned_free(m->dstyle);
    m->style = m->dstyle = NULL;
    gan__free(m->labels);
    m->labels = NULL;
    m->act_arena = NULL;
    m->act = NULL;
    m->aux_arena = NULL;
    m->aux = NULL;
    m->grad_buf = NULL;
    m->grad_floats = 0;
    m->ws = NULL;
    m->ws_bytes = 0;
    m->max_batch = 0;
    m->last_batch = 0;
}

void gan_model_free(gan_model *m)
{
    if (m == NULL || m->magic != GAN__MAGIC_MODEL)
        return;
    gan__free_batch_buffers(m);
    gan__free(m->layers);
    gan__aligned_free(m->params);
    gan__aligned_free(m->grads);
    gan__aligned_free(m->state);
    m->magic = GAN__MAGIC_DEAD;
    gan__free(m);
    gan__handle_freed();
}

/*
 * A new model with src's layers, parameters and state, exactly what saving
 * src and loading the file gives (and no more): a fresh random stream from
 * seed 0, no gradient arena, no batch buffers, no pinned outputs.  The
 * trainer's EMA generator is made this way, without going through the file
 * format (which sits on a floor above this one).
 */
gan_status gan__model_clone(const gan_model *src, gan_model **out)
{
    gan_model *m;
    *out = NULL;
    m = gan__calloc(1, sizeof *m);
    if (!m)
        return gan__err(GAN_ENOMEM, "out of memory for a copy of a model");
    m->magic = GAN__MAGIC_MODEL;
    gan__handle_created();
    m->in = src->in;
    gan__rng_seed(&m->rng, 0);
    m->n_classes = src->n_classes;
    m->style_dim = src->style_dim;
    m->style_layer = src->style_layer;
    if (src->n_layers) {
        m->layers = gan__calloc(src->n_layers, sizeof *m->layers);
        m->params = src->n_params ? gan__aligned_alloc(src->n_params * sizeof(float)) : NULL;
        m->state = src->n_state ? gan__aligned_alloc(src->n_state * sizeof(float)) : NULL;
        if (!m->layers || (src->n_params && !m->params) || (src->n_state && !m->state)) {
            gan_model_free(m);
            return gan__err(GAN_ENOMEM, "out of memory for a copy of a %zu-parameter model",
                            src->n_params);
        }
        memcpy(m->layers, src->layers, src->n_layers * sizeof *m->layers);
        for (size_t i = 0; i < src->n_layers; i++)
            m->layers[i].keep_out = 0;
        m->n_layers = m->cap_layers = src->n_layers;
        m->n_params = src->n_params;
        m->n_state = src->n_state;
        if (m->n_params)
            memcpy(m->params, src->params, m->n_params * sizeof(float));
        if (m->n_state)
            memcpy(m->state, src->state, m->n_state * sizeof(float));
        gan__plan_layers(m);
    }
    m->generation = 1;
    *out = m;
    return GAN_OK;
}

/* ---- building ------------------------------------------------------------------ */

static const gan__shape *gan__model_out_shape(const gan_model *m)
{
    return m->n_layers ? &m->layers[m->n_layers - 1].out : &m->in;
}

/* Grow an aligned float arena from n_old to n_new floats, keeping contents. */
static float *gan__grow_arena(float *old, size_t n_old, size_t n_new)
{
    float *p = gan__aligned_alloc(n_new * sizeof(float));
    if (!p)
        return NULL;
    if (n_old)
        memcpy(p, old, n_old * sizeof(float));
    memset(p + n_old, 0, (n_new - n_old) * sizeof(float));
    return p;
}

/* The random stream that initialises layer `index` for a given seed. */
static void gan__layer_init_rng(gan__rng *r, uint64_t seed, size_t index)
{
    uint64_t sm = seed;
    uint64_t a = gan__splitmix64(&sm);
    gan__rng_seed(r, a ^ (0x9e3779b97f4a7c15ull * (uint64_t)(index + 1)));
}

static void gan__init_layer(gan_model *m, size_t i)
{
    gan__layer *l = &m->layers[i];
    gan__rng r;
    gan__layer_init_rng(&r, m->init_seed, i);
    /* Arenas are NULL while empty: no arithmetic on them then (UB). */
    l->ops->init(l, l->n_params ? m->params + l->param_off : NULL,
                 l->n_state ? m->state + l->state_off : NULL, &r);
}

/*
 * Append layer *t (kind, ops and settings filled in; shapes not yet).
 * All-or-nothing: on any failure the model is unchanged.
 */
static gan_status gan__add_layer(gan_model *m, gan__layer *t, const char *func)
{
    char s[64];
    gan_status st;
    float *np = NULL, *ng = NULL, *ns = NULL;
    size_t idx;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    idx = m->n_layers;
    t->in = *gan__model_out_shape(m);
    t->trainable = 1;
    t->n_params = t->n_state = t->aux_per_sample = t->aux_fixed = 0;
    if ((st = t->ops->setup(t)) != GAN_OK) {
        gan__err_prefix("%s: layer %zu (%s) with input %s", func, idx, t->ops->name,
                        gan__shape_str(&t->in, s, sizeof s));
        return st;
    }
    /* Exclusive caps: every count then fits the int dimensions of a GEMM
       (kh*kw*channels <= n_params < 2^31). */
    if (gan__shape_elems(&t->out) >= GAN__MAX_ELEMS || t->n_params >= GAN__MAX_ELEMS)
        return gan__err(GAN_ESHAPE, "%s: layer %zu (%s) output %s is too large", func, idx,
                        t->ops->name, gan__shape_str(&t->out, s, sizeof s));
    if (m->n_layers == m->cap_layers) {
        size_t cap = m->cap_layers ? 2 * m->cap_layers : 8;
        gan__layer *nl = gan__realloc(m->layers, cap * sizeof *nl);
        if (!nl)
            return gan__err(GAN_ENOMEM, "%s: out of memory", func);
        m->layers = nl;
        m->cap_layers = cap;
    }
    /* The gradient arena grows with the parameters unless it was dropped
       (a model loaded for inference); then it is made when needed. */
    const int with_grads = m->grads != NULL || m->n_params == 0;
    if (t->n_params) {
        np = gan__grow_arena(m->params, m->n_params, m->n_params + t->n_params);
        if (with_grads)
            ng = gan__grow_arena(m->grads, m->n_params, m->n_params + t->n_params);
    }
    if (t->n_state)
        ns = gan__grow_arena(m->state, m->n_state, m->n_state + t->n_state);
    if ((t->n_params && (!np || (with_grads && !ng))) || (t->n_state && !ns)) {
        gan__aligned_free(np);
        gan__aligned_free(ng);
        gan__aligned_free(ns);
        return gan__err(GAN_ENOMEM, "%s: out of memory for %zu parameters", func, t->n_params);
    }
    t->param_off = m->n_params;
    t->state_off = m->n_state;
    if (np) {
        gan__aligned_free(m->params);
        m->params = np;
        if (with_grads) {
            gan__aligned_free(m->grads);
            m->grads = ng;
        }
        m->n_params += t->n_params;
    }
    if (ns) {
        gan__aligned_free(m->state);
        m->state = ns;
        m->n_state += t->n_state;
    }
    m->layers[idx] = *t;
    m->n_layers++;
    if (gan__kind_uses_labels(t->kind))
        m->n_classes = t->u.cls.classes;
    m->generation++;
    gan__init_layer(m, idx);
    gan__plan_layers(m);
    /* Batch buffers were planned for the old layer list. */
    gan__free_batch_buffers(m);
    return GAN_OK;
}

void gan__model_keep_output(gan_model *m, size_t k)
{
    if (k >= m->n_layers || m->layers[k].keep_out)
        return;
    m->layers[k].keep_out = 1;
    if (gan__plan_layers(m))
        gan__free_batch_buffers(m);   /* planned with buffers now aliased */
}

gan_status gan_dense_config_init(gan_dense_config *cfg, size_t size)
{
    return gan__config_read(&gan__dense_config_type, cfg, size, NULL, __func__);
}

gan_status gan_conv2d_config_init(gan_conv2d_config *cfg, size_t size)
{
    return gan__config_read(&gan__conv2d_config_type, cfg, size, NULL, __func__);
}

gan_status gan_batchnorm_config_init(gan_batchnorm_config *cfg, size_t size)
{
    return gan__config_read(&gan__batchnorm_config_type, cfg, size, NULL, __func__);
}

gan_status gan_model_add_dense(gan_model *m, const gan_dense_config *cfg)
{
    gan_dense_config c;
    gan__layer t;
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(cfg != NULL);
    if ((st = gan__config_read(&gan__dense_config_type, &c, sizeof c, cfg, __func__)) != GAN_OK)
        return st;
    if (c.units < 1 || c.units > GAN__MAX_DIM)
        return gan__err(GAN_EINVAL, "%s: units is %d, must be in 1..%d", __func__, c.units, GAN__MAX_DIM);
    memset(&t, 0, sizeof t);
    t.kind = GAN_LAYER_DENSE;
    t.spectral_norm = c.spectral_norm != 0;
    t.ops = t.spectral_norm ? gan__sn_ops_for(GAN_LAYER_DENSE) : &gan__dense_ops;
    t.use_bias = c.use_bias != 0;
    t.u.dense.units = c.units;
    return gan__add_layer(m, &t, __func__);
}

static gan_status gan__add_conv(gan_model *m, const gan_conv2d_config *cfg, int transpose,
                                const char *func)
{
    gan_conv2d_config c;
    gan__layer t;
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (cfg == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: 'cfg != NULL'", func);
    if ((st = gan__config_read(&gan__conv2d_config_type, &c, sizeof c, cfg, func)) != GAN_OK)
        return st;
    if (c.filters < 1 || c.filters > GAN__MAX_DIM)
        return gan__err(GAN_EINVAL, "%s: filters is %d, must be in 1..%d", func, c.filters, GAN__MAX_DIM);
    if (c.kernel_h < 1 || c.kernel_w < 1 || c.kernel_h > 64 || c.kernel_w > 64)
        return gan__err(GAN_EINVAL, "%s: kernel %dx%d, each side must be in 1..64", func,
                        c.kernel_h, c.kernel_w);
    if (c.stride_h < 1 || c.stride_w < 1 || c.stride_h > 64 || c.stride_w > 64)
        return gan__err(GAN_EINVAL, "%s: stride %dx%d, each must be in 1..64", func,
                        c.stride_h, c.stride_w);
    if (c.padding != GAN_PADDING_VALID && c.padding != GAN_PADDING_SAME)
        return gan__err(GAN_EINVAL, "%s: padding %d is neither GAN_PADDING_VALID nor GAN_PADDING_SAME",
                        func, (int)c.padding);
    memset(&t, 0, sizeof t);
    t.kind = transpose ? GAN_LAYER_CONV2D_TRANSPOSE : GAN_LAYER_CONV2D;
    t.spectral_norm = c.spectral_norm != 0;
    t.ops = t.spectral_norm ? gan__sn_ops_for(t.kind) : gan__layer_ops_for(t.kind);
    t.use_bias = c.use_bias != 0;
    t.u.conv.filters = c.filters;
    t.u.conv.padding = c.padding;
    t.u.conv.g.kh = c.kernel_h;
    t.u.conv.g.kw = c.kernel_w;
    t.u.conv.g.sh = c.stride_h;
    t.u.conv.g.sw = c.stride_w;
    return gan__add_layer(m, &t, func);
}

gan_status gan_model_add_conv2d(gan_model *m, const gan_conv2d_config *cfg)
{
    return gan__add_conv(m, cfg, 0, __func__);
}

gan_status gan_model_add_conv2d_transpose(gan_model *m, const gan_conv2d_config *cfg)
{
    return gan__add_conv(m, cfg, 1, __func__);
}

gan_status gan_model_add_batchnorm(gan_model *m, const gan_batchnorm_config *cfg)
{
    gan_batchnorm_config c;
    gan__layer t;
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if ((st = gan__config_read(&gan__batchnorm_config_type, &c, sizeof c, cfg, __func__)) != GAN_OK)
        return st;   /* cfg NULL: the defaults */
    if (!(c.momentum >= 0.0f && c.momentum <= 1.0f))
        return gan__err(GAN_EINVAL, "%s: momentum %g must be in [0, 1]", __func__, (double)c.momentum);
    if (!(c.epsilon > 0.0f && c.epsilon < 1.0f))
        return gan__err(GAN_EINVAL, "%s: epsilon %g must be in (0, 1)", __func__, (double)c.epsilon);
    memset(&t, 0, sizeof t);
    t.kind = GAN_LAYER_BATCHNORM;
    t.ops = &gan__batchnorm_ops;
    t.u.bn.momentum = c.momentum;
    t.u.bn.epsilon = c.epsilon;
    return gan__add_layer(m, &t, __func__);
}

static gan_status gan__add_simple(gan_model *m, gan_layer_kind kind, float param, const char *func)
{
    gan__layer t;
    memset(&t, 0, sizeof t);
    t.kind = kind;
    t.ops = gan__layer_ops_for(kind);
    t.u.act.alpha = param; /* alpha or rate: both are one float */
    if (kind == GAN_LAYER_DROPOUT)
        t.u.drop.rate = param;
    return gan__add_layer(m, &t, func);
}

gan_status gan_model_add_leaky_relu(gan_model *m, float alpha)
{
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (!(alpha >= 0.0f && alpha < 1.0f))
        return gan__err(GAN_EINVAL, "%s: alpha %g must be in [0, 1)", __func__, (double)alpha);
    return gan__add_simple(m, GAN_LAYER_LEAKY_RELU, alpha, __func__);
}

gan_status gan_model_add_relu(gan_model *m)
{
    return gan__add_simple(m, GAN_LAYER_RELU, 0.0f, __func__);
}

gan_status gan_model_add_tanh(gan_model *m)
{
    return gan__add_simple(m, GAN_LAYER_TANH, 0.0f, __func__);
}

gan_status gan_model_add_sigmoid(gan_model *m)
{
    return gan__add_simple(m, GAN_LAYER_SIGMOID, 0.0f, __func__);
}

gan_status gan_model_add_dropout(gan_model *m, float rate)
{
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (!(rate >= 0.0f && rate < 1.0f))
        return gan__err(GAN_EINVAL, "%s: rate %g must be in [0, 1)", __func__, (double)rate);
    return gan__add_simple(m, GAN_LAYER_DROPOUT, rate, __func__);
}

gan_status gan_model_add_reshape(gan_model *m, size_t ndim, const int *dims)
{
    gan__layer t;
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    memset(&t, 0, sizeof t);
    if ((st = gan__shape_from_dims(ndim, dims, &t.out, __func__)) != GAN_OK)
        return st;
    t.kind = GAN_LAYER_RESHAPE;
    t.ops = &gan__reshape_ops;
    return gan__add_layer(m, &t, __func__);
}

gan_status gan_model_add_flatten(gan_model *m)
{
    return gan__add_simple(m, GAN_LAYER_FLATTEN, 0.0f, __func__);
}

gan_status gan_model_add_minibatch_stddev(gan_model *m)
{
    return gan__add_simple(m, GAN_LAYER_MINIBATCH_STDDEV, 0.0f, __func__);
}

gan_status gan_model_add_minibatch_discrimination(gan_model *m, int kernels, int kernel_dim)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (kernels < 1 || kernels > 1024 || kernel_dim < 1 || kernel_dim > 1024)
        return gan__err(GAN_EINVAL, "%s: kernels %d and kernel_dim %d must be in 1..1024", __func__,
                        kernels, kernel_dim);
    memset(&t, 0, sizeof t);
    t.kind = GAN_LAYER_MINIBATCH_DISCRIMINATION;
    t.ops = &gan__minibatch_discrimination_ops;
    t.u.mbd.kernels = kernels;
    t.u.mbd.dims = kernel_dim;
    return gan__add_layer(m, &t, __func__);
}

gan_status gan_model_add_style_input(gan_model *m, int h, int w, int c)
{
    gan__layer t;
    gan_status st;
    const int dims[3] = {h, w, c};
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (m->style_dim)
        return gan__err(GAN_EINVAL, "%s: layer %zu is already a style input; a model has at most "
                        "one (every adain layer reads its style vector)", __func__, m->style_layer);
    memset(&t, 0, sizeof t);
    if ((st = gan__shape_from_dims(3, dims, &t.out, __func__)) != GAN_OK)
        return st;
    t.kind = GAN_LAYER_STYLE_INPUT;
    t.ops = &gan__style_input_ops;
    if ((st = gan__add_layer(m, &t, __func__)) != GAN_OK)
        return st;
    m->style_layer = m->n_layers - 1;
    m->style_dim = gan__shape_elems(&m->layers[m->style_layer].in);
    return GAN_OK;
}

gan_status gan_model_add_adain(gan_model *m, float epsilon)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (!(epsilon > 0.0f && epsilon < 1.0f))
        return gan__err(GAN_EINVAL, "%s: epsilon %g must be in (0, 1)", __func__, (double)epsilon);
    if (!m->style_dim)
        return gan__err(GAN_EINVAL, "%s: adain needs a style input layer before it "
                        "(gan_model_add_style_input): it has no style vector to read", __func__);
    memset(&t, 0, sizeof t);
    t.kind = GAN_LAYER_ADAIN;
    t.ops = &gan__adain_ops;
    t.u.adain.epsilon = epsilon;
    t.u.adain.style_dim = (int)m->style_dim; /* < GAN__MAX_ELEMS: fits */
    return gan__add_layer(m, &t, __func__);
}

gan_status gan_model_add_noise_injection(gan_model *m)
{
    return gan__add_simple(m, GAN_LAYER_NOISE_INJECTION, 0.0f, __func__);
}

/* ---- class layers (conditional models) ------------------------------------------ */

gan_status gan__check_labels(const int32_t *labels, size_t n, int n_classes, const char *func)
{
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= n_classes)
            return gan__err(GAN_EINVAL, "%s: label %zu is %ld, expected a class in 0..%d", func, i,
                            (long)labels[i], n_classes - 1);
    return GAN_OK;
}

/* A new class layer must agree with the model's existing ones. */
static gan_status gan__check_classes(const gan_model *m, int n_classes, const char *func)
{
    if (n_classes < 1 || n_classes > GAN__MAX_CLASSES)
        return gan__err(GAN_EINVAL, "%s: n_classes %d must be in 1..%d", func, n_classes,
                        GAN__MAX_CLASSES);
    if (m->n_classes != 0 && m->n_classes != n_classes)
        return gan__err(GAN_EINVAL, "%s: n_classes %d differs from the %d classes of the model's "
                        "other class layers", func, n_classes, m->n_classes);
    return GAN_OK;
}

gan_status gan_model_add_class_embedding(gan_model *m, int n_classes, int dim)
{
    gan__layer t;
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if ((st = gan__check_classes(m, n_classes, __func__)) != GAN_OK)
        return st;
    if (dim < 0 || dim > GAN__MAX_CLASSES)
        return gan__err(GAN_EINVAL, "%s: dim %d must be in 0..%d (0: one-hot)", __func__, dim,
                        GAN__MAX_CLASSES);
    memset(&t, 0, sizeof t);
    t.kind = GAN_LAYER_CLASS_EMBEDDING;
    t.ops = &gan__class_embedding_ops;
    t.u.cls.classes = n_classes;
    t.u.cls.dim = dim;
    return gan__add_layer(m, &t, __func__);
}

gan_status gan_model_add_class_projection(gan_model *m, int n_classes)
{
    gan__layer t;
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if ((st = gan__check_classes(m, n_classes, __func__)) != GAN_OK)
        return st;
    memset(&t, 0, sizeof t);
    t.kind = GAN_LAYER_CLASS_PROJECTION;
    t.ops = &gan__class_projection_ops;
    t.use_bias = 1;
    t.u.cls.classes = n_classes;
    return gan__add_layer(m, &t, __func__);
}

gan_status gan_model_num_classes(const gan_model *m, int *n_classes)
{
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(n_classes != NULL);
    *n_classes = m->n_classes;
    return GAN_OK;
}

gan_status gan_model_init_params(gan_model *m, uint64_t seed)
{
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    m->init_seed = seed;
    for (size_t i = 0; i < m->n_layers; i++)
        gan__init_layer(m, i);
    return GAN_OK;
}

gan_status gan_model_set_seed(gan_model *m, uint64_t seed)
{
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__rng_seed(&m->rng, seed);
    return GAN_OK;
}

/* ---- batch buffers ----------------------------------------------------------- */

static size_t gan__round64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

gan_status gan_model_reserve(gan_model *m, size_t max_batch)
{
    size_t act_total, aux_total = 0, max_elems, ws = 0, off, style_n, grad_floats;
    float *act_arena = NULL, **act = NULL, *gbuf = NULL, *style = NULL, *dstyle = NULL;
    unsigned char *aux_arena = NULL, **aux = NULL;
    void *wsp = NULL;
    int32_t *labels = NULL;
    const size_t L = m ? m->n_layers : 0;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (max_batch == 0 || max_batch > GAN__MAX_BATCH)
        return gan__err(GAN_EINVAL, "gan_model_reserve: batch %zu must be in 1..%zu", max_batch,
                        GAN__MAX_BATCH);
    if (max_batch <= m->max_batch)
        return GAN_OK;

    /* Sizes, with overflow checks: every count below is bounded by
       2^24 samples * 2^31 elements, which fits in 64 bits. */
    max_elems = gan__shape_elems(&m->in);
    act_total = gan__round64(max_batch * max_elems);
    for (size_t i = 0; i < L; i++) {
        const gan__layer *l = &m->layers[i];
        size_t e = gan__shape_elems(&l->out), w;
        if (e > max_elems)
            max_elems = e;
        if (!gan__layer_aliases_input(l))
            act_total += gan__round64(max_batch * e);
        aux_total += gan__round64(max_batch * l->aux_per_sample + l->aux_fixed);
        w = l->ops->workspace(l, max_batch);
        if (w > ws)
            ws = w;
    }
    if (act_total > ((size_t)1 << 40) / sizeof(float) || aux_total > ((size_t)1 << 40))
        return gan__err(GAN_ENOMEM, "gan_model_reserve: batch %zu needs more than 1 TiB", max_batch);

    act_arena = gan__aligned_alloc(act_total * sizeof(float));
    act = gan__calloc(L + 1, sizeof *act);
    aux_arena = gan__aligned_alloc(aux_total ? aux_total : 64);
    aux = gan__calloc(L ? L : 1, sizeof *aux);
    grad_floats = gan__grad_floats(m, max_batch);
    gbuf = gan__aligned_alloc(grad_floats * sizeof(float));
    wsp = gan__aligned_alloc(ws ? ws : 64);
    style_n = max_batch * m->style_dim;
    if (style_n) {
        style = gan__aligned_alloc(style_n * sizeof(float));
        dstyle = gan__aligned_alloc(style_n * sizeof(float));
    }
    if (m->n_classes)
        labels = gan__calloc(max_batch, sizeof *labels);
    if (!act_arena || !act || !aux_arena || !aux || !gbuf || !wsp ||
        (style_n && (!style || !dstyle)) || (m->n_classes && !labels)) {
        gan__aligned_free(style);
        gan__aligned_free(dstyle);
        gan__free(labels);
        gan__aligned_free(act_arena);
        gan__free(act);
        gan__aligned_free(aux_arena);
        gan__free(aux);
        gan__aligned_free(gbuf);
        gan__aligned_free(wsp);
        return gan__err(GAN_ENOMEM, "gan_model_reserve: out of memory for batch %zu", max_batch);
    }
    /* Zero once: no uninitialised bytes ever reach a checkpoint or a test. */
    memset(act_arena, 0, act_total * sizeof(float));
    memset(aux_arena, 0, aux_total ? aux_total : 64);
    if (style_n) {
        memset(style, 0, style_n * sizeof(float));
        memset(dstyle, 0, style_n * sizeof(float));
    }

    off = 0;
    act[0] = act_arena;
    off += gan__round64(max_batch * gan__shape_elems(&m->in));
    for (size_t i = 0; i < L; i++) {
        const gan__layer *l = &m->layers[i];
        if (gan__layer_aliases_input(l)) {
            act[i + 1] = act[i];
        } else {
            act[i + 1] = act_arena + off;
            off += gan__round64(max_batch * gan__shape_elems(&l->out));
        }
    }
    off = 0;
    for (size_t i = 0; i < L; i++) {
        const gan__layer *l = &m->layers[i];
        aux[i] = aux_arena + off;
        off += gan__round64(max_batch * l->aux_per_sample + l->aux_fixed);
    }

    gan__free_batch_buffers(m);
    m->act_arena = act_arena;
    m->act = act;
    m->aux_arena = aux_arena;
    m->aux = aux;
    m->grad_buf = gbuf;
    m->grad_floats = grad_floats;
    m->ws = wsp;
    m->ws_bytes = ws;
    m->style = style;
    m->dstyle = dstyle;
    m->labels = labels;
    m->max_batch = max_batch;
    return GAN_OK;
}

/* ---- forward and backward ---------------------------------------------------- */

static void gan__layer_ctx(gan_model *m, size_t i, size_t batch, int training, gan__ctx *cx)
{
    gan__layer *l = &m->layers[i];
    cx->batch = batch;
    cx->training = training;
    cx->w = l->n_params ? m->params + l->param_off : NULL;
    cx->dw = NULL;
    cx->state = l->n_state ? m->state + l->state_off : NULL;
    cx->ws = m->ws;
    cx->ws_bytes = m->ws_bytes;
    cx->aux = m->aux[i];
    cx->rng = &m->rng;
    cx->style = m->style;
    cx->dstyle = m->dstyle;
    cx->style_dim = m->style_dim;
    cx->labels = m->labels;
}

gan_status gan__model_forward(gan_model *m, const float *x, const int32_t *labels, size_t batch,
                              gan_mode mode)
{
    gan_status st;
    if (m->n_classes && labels == NULL)
        return gan__err(GAN_EINVAL, "the model is conditional (%d classes): pass the class labels "
                        "of the batch", m->n_classes);
    if (batch > m->max_batch && (st = gan_model_reserve(m, batch)) != GAN_OK)
        return st;
    if (m->n_classes && labels != m->labels)
        memcpy(m->labels, labels, batch * sizeof *labels);
    if (x != m->act[0])
        memcpy(m->act[0], x, batch * gan__shape_elems(&m->in) * sizeof(float));
    for (size_t i = 0; i < m->n_layers; i++) {
        gan__layer *l = &m->layers[i];
        gan__ctx cx;
        if (gan__layer_skipped(l))
            continue;
        gan__layer_ctx(m, i, batch, mode == GAN_MODE_TRAIN, &cx);
        l->ops->forward(l, &cx, m->act[i], m->act[i + 1]);
    }
    m->last_batch = batch;
    m->last_mode = mode;
    return GAN_OK;
}

gan_status gan__model_backward_from(gan_model *m, size_t top, const float *dy, float *dx,
                                   int accum)
{
    const size_t batch = m->last_batch;
    const float *cur = dy;
    size_t lo = 0, first_real = top;
    int end = 0;    /* where cur is: the caller's dy (see gan__grad_target) */

    for (size_t i = 0; i < top; i++)
        if (!m->layers[i].ops->is_view) {
            first_real = i;
            break;
        }
    if (first_real == top) {
        /* Only reshapes below: the gradient passes through unchanged. */
        if (dx)
            memcpy(dx, dy, batch * gan__shape_elems(&m->in) * sizeof(float));
        return GAN_OK;
    }
    /* Without dx, layers below the lowest trainable one need nothing. */
    if (!dx) {
        lo = top;
        for (size_t i = 0; accum && i < top; i++)
            if (m->layers[i].trainable && m->layers[i].n_params) {
                lo = i;
                break;
            }
        if (lo == top)
            return GAN_OK;
    }
    /* The adain layers above the style input add into dstyle. */
    if (m->style_dim && m->style_layer < top)
        memset(m->dstyle, 0, batch * m->style_dim * sizeof(float));
    for (size_t i = top; i-- > lo;) {
        gan__layer *l = &m->layers[i];
        gan__ctx cx;
        float *target;
        if (gan__layer_skipped(l))
            continue;
        gan__layer_ctx(m, i, batch, m->last_mode == GAN_MODE_TRAIN, &cx);
        if (accum && l->trainable && l->n_params)
            cx.dw = m->grads + l->param_off;
        if (i == first_real && dx)
            target = dx;                         /* views below pass it through */
        else if (i > lo)
            target = gan__grad_target(m, l, batch, &end);
        else
            target = NULL;                       /* lowest layer, no dx wanted */
        l->ops->backward(l, &cx, m->act[i], m->act[i + 1], cur, target);
        if (m->backward_hook)
            m->backward_hook(m->backward_hook_user, i, cx.dw != NULL);
        if (target == NULL || target == dx)
            break;
        cur = target;
    }
    return GAN_OK;
}

gan_status gan__model_backward(gan_model *m, const float *dy, float *dx)
{
    return gan__model_backward_from(m, m->n_layers, dy, dx, 1);
}

/* The checks and the copy-out shared by gan_model_forward[_labeled]. */
static gan_status gan__forward_public(gan_model *m, const float *x, size_t x_count,
                                      const int32_t *labels, size_t batch, gan_mode mode,
                                      float *y, size_t y_count, const char *func)
{
    gan_status st;
    size_t in_e, out_e;
    if (x == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: 'x != NULL'", func);
    if (mode != GAN_MODE_INFER && mode != GAN_MODE_TRAIN)
        return gan__err(GAN_EINVAL, "%s: mode %d is neither GAN_MODE_INFER nor GAN_MODE_TRAIN",
                        func, (int)mode);
    if (m->n_layers == 0)
        return gan__err(GAN_ESTATE, "%s: the model has no layers", func);
    if (batch == 0 || batch > GAN__MAX_BATCH)
        return gan__err(GAN_EINVAL, "%s: batch %zu must be in 1..%zu", func, batch, GAN__MAX_BATCH);
    in_e = gan__shape_elems(&m->in);
    out_e = gan__shape_elems(gan__model_out_shape(m));
    if (x_count != batch * in_e)
        return gan__err(GAN_ESHAPE, "%s: x has %zu elements, expected %zu (batch %zu x %zu per "
                        "sample)", func, x_count, batch * in_e, batch, in_e);
    if (y && y_count != batch * out_e)
        return gan__err(GAN_ESHAPE, "%s: y has room for %zu elements, expected %zu (batch %zu x "
                        "%zu per sample)", func, y_count, batch * out_e, batch, out_e);
    if (labels && (st = gan__check_labels(labels, batch, m->n_classes, func)) != GAN_OK)
        return st;
    if ((st = gan__model_forward(m, x, labels, batch, mode)) != GAN_OK)
        return st;
    if (y)
        memcpy(y, m->act[m->n_layers], batch * out_e * sizeof(float));
    return GAN_OK;
}

gan_status gan_model_forward(gan_model *m, const float *x, size_t x_count, size_t batch,
                             gan_mode mode, float *y, size_t y_count)
{
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (m->n_classes)
        return gan__err(GAN_EINVAL, "gan_model_forward: the model is conditional (%d classes): "
                        "pass the class labels of the batch with gan_model_forward_labeled",
                        m->n_classes);
    return gan__forward_public(m, x, x_count, NULL, batch, mode, y, y_count, __func__);
}

gan_status gan_model_forward_labeled(gan_model *m, const float *x, size_t x_count,
                                     const int32_t *labels, size_t batch, gan_mode mode, float *y,
                                     size_t y_count)
{
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(labels != NULL);
    if (m->n_classes == 0)
        return gan__err(GAN_EINVAL, "gan_model_forward_labeled: the model has no class layer and "
                        "takes no labels; use gan_model_forward");
    return gan__forward_public(m, x, x_count, labels, batch, mode, y, y_count, __func__);
}

gan_status gan_model_output(const gan_model *m, const float **y, size_t *count)
{
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(y != NULL);
    if (m->last_batch == 0)
        return gan__err(GAN_ESTATE, "gan_model_output: no forward() has been run since the "
                        "model was built or resized");
    *y = m->act[m->n_layers];
    if (count)
        *count = m->last_batch * gan__shape_elems(gan__model_out_shape(m));
    return GAN_OK;
}

gan_status gan_model_backward(gan_model *m, const float *dy, size_t dy_count, float *dx,
                              size_t dx_count)
{
    gan_status st;
    size_t in_e, out_e;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(dy != NULL);
    if (m->last_batch == 0)
        return gan__err(GAN_ESTATE, "gan_model_backward: call forward() first");
    in_e = gan__shape_elems(&m->in);
    out_e = gan__shape_elems(gan__model_out_shape(m));
    if (dy_count != m->last_batch * out_e)
        return gan__err(GAN_ESHAPE, "gan_model_backward: dy has %zu elements, expected %zu "
                        "(batch %zu of the last forward x %zu)", dy_count, m->last_batch * out_e,
                        m->last_batch, out_e);
    if (dx && dx_count != m->last_batch * in_e)
        return gan__err(GAN_ESHAPE, "gan_model_backward: dx has room for %zu elements, expected %zu",
                        dx_count, m->last_batch * in_e);
    if ((st = gan__model_ensure_grads(m)) != GAN_OK)
        return st;
    return gan__model_backward(m, dy, dx);
}

gan_status gan__model_ensure_grads(gan_model *m)
{
    if (m->grads != NULL || m->n_params == 0)
        return GAN_OK;
    m->grads = gan__aligned_alloc(m->n_params * sizeof(float));
    if (!m->grads)
        return gan__err(GAN_ENOMEM, "out of memory for the gradients of %zu parameters", m->n_params);
    memset(m->grads, 0, m->n_params * sizeof(float));
    return GAN_OK;
}

void gan__model_drop_grads(gan_model *m)
{
    gan__aligned_free(m->grads);
    m->grads = NULL;
}

gan_status gan_model_zero_grad(gan_model *m)
{
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if ((st = gan__model_ensure_grads(m)) != GAN_OK)
        return st;
    if (m->n_params)
        memset(m->grads, 0, m->n_params * sizeof(float));
    return GAN_OK;
}

/* A layer index or GAN_ALL_LAYERS. */
static gan_status gan__check_layer_or_all(const gan_model *m, size_t layer, const char *func)
{
    if (layer != GAN_ALL_LAYERS && layer >= m->n_layers)
        return gan__err(GAN_EINVAL, "%s: layer %zu out of range (the model has %zu; "
                        "GAN_ALL_LAYERS for every layer)", func, layer, m->n_layers);
    return GAN_OK;
}

gan_status gan_model_set_trainable(gan_model *m, size_t layer, int trainable)
{
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if ((st = gan__check_layer_or_all(m, layer, __func__)) != GAN_OK)
        return st;
    for (size_t i = 0; i < m->n_layers; i++)
        if (layer == GAN_ALL_LAYERS || layer == i)
            m->layers[i].trainable = trainable != 0;
    return GAN_OK;
}

/*
 * Spectral normalisation on or off after the layers were built: the layers
 * that change are set up again (their state and saved-forward sizes
 * change) and the state arena is rebuilt, every other layer's state copied
 * to its new offset.  All or nothing.
 */
gan_status gan_model_set_spectral_norm(gan_model *m, size_t layer, int on)
{
    gan__layer *nl;
    float *ns = NULL;
    size_t n_state = 0, changed = 0;
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if ((st = gan__check_layer_or_all(m, layer, __func__)) != GAN_OK)
        return st;
    if (layer != GAN_ALL_LAYERS && gan__sn_ops_for(m->layers[layer].kind) == NULL)
        return gan__err(GAN_EINVAL, "%s: layer %zu is %s; spectral normalisation applies to dense, "
                        "conv2d and conv2d_transpose layers", __func__, layer,
                        m->layers[layer].ops->name);
    on = on != 0;
    if (m->n_layers == 0)
        return GAN_OK;
    if ((nl = gan__malloc(m->n_layers * sizeof *nl)) == NULL)
        return gan__err(GAN_ENOMEM, "%s: out of memory", __func__);
    memcpy(nl, m->layers, m->n_layers * sizeof *nl);
    for (size_t i = 0; i < m->n_layers; i++) {
        gan__layer *t = &nl[i];
        if ((layer == GAN_ALL_LAYERS || layer == i) && gan__sn_ops_for(t->kind) != NULL &&
            t->spectral_norm != on) {
            t->spectral_norm = on;
            t->ops = on ? gan__sn_ops_for(t->kind) : gan__layer_ops_for(t->kind);
            t->n_params = t->n_state = t->aux_per_sample = t->aux_fixed = 0;
            /* The same input shape and settings as when it was added. */
            if ((st = t->ops->setup(t)) != GAN_OK) {
                gan__free(nl);
                gan__err_prefix("%s: layer %zu", __func__, i);
                return st;
            }
            changed++;
        }
        t->state_off = n_state;
        n_state += t->n_state;
    }
    if (changed == 0) {
        gan__free(nl);
        return GAN_OK;
    }
    if (n_state && (ns = gan__aligned_alloc(n_state * sizeof(float))) == NULL) {
        gan__free(nl);
        return gan__err(GAN_ENOMEM, "%s: out of memory for %zu state values", __func__, n_state);
    }
    for (size_t i = 0; i < m->n_layers; i++) {
        const gan__layer *t = &nl[i];
        if (t->n_state == 0)
            continue;
        if (t->spectral_norm != m->layers[i].spectral_norm) {
            /* Newly normalised: u as if the layer had been built so. */
            gan__rng r;
            gan__layer_init_rng(&r, m->init_seed, i);
            gan__sn_init_u(t, ns + t->state_off, &r);
        } else {
            memcpy(ns + t->state_off, m->state + m->layers[i].state_off, t->n_state * sizeof(float));
        }
    }
    memcpy(m->layers, nl, m->n_layers * sizeof *nl);
    gan__free(nl);
    gan__aligned_free(m->state);
    m->state = ns;
    m->n_state = n_state;
    m->generation++;
    /* Saved-forward sizes changed. */
    gan__free_batch_buffers(m);
    return GAN_OK;
}

/* ---- introspection -------------------------------------------------------------- */

static gan_status gan__check_layer(const gan_model *m, size_t layer, const char *func)
{
    if (layer >= m->n_layers)
        return gan__err(GAN_EINVAL, "%s: layer %zu out of range (the model has %zu)", func, layer,
                        m->n_layers);
    return GAN_OK;
}

gan_status gan_model_layer_count(const gan_model *m, size_t *n)
{
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(n != NULL);
    *n = m->n_layers;
    return GAN_OK;
}

gan_status gan_model_layer_kind(const gan_model *m, size_t layer, gan_layer_kind *kind)
{
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(kind != NULL);
    if ((st = gan__check_layer(m, layer, __func__)) != GAN_OK)
        return st;
    *kind = m->layers[layer].kind;
    return GAN_OK;
}

gan_status gan_model_shape(const gan_model *m, size_t layer, size_t *ndim, int dims[3])
{
    const gan__shape *s;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(ndim != NULL);
    GAN__CHECK_ARG(dims != NULL);
    if (layer != GAN_MODEL_INPUT && layer >= m->n_layers)
        return gan__err(GAN_EINVAL, "gan_model_shape: layer %zu out of range (the model has %zu; "
                        "GAN_MODEL_INPUT for the input)", layer, m->n_layers);
    s = layer == GAN_MODEL_INPUT ? &m->in : &m->layers[layer].out;
    *ndim = (size_t)s->ndim;
    for (int i = 0; i < 3; i++)
        dims[i] = i < s->ndim ? s->d[i] : 0;
    return GAN_OK;
}

gan_status gan_model_param_count(const gan_model *m, size_t *total, size_t *trainable)
{
    size_t tr = 0;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    for (size_t i = 0; i < m->n_layers; i++)
        if (m->layers[i].trainable)
            tr += m->layers[i].n_params;
    if (total)
        *total = m->n_params + m->n_state;
    if (trainable)
        *trainable = tr;
    return GAN_OK;
}

gan_status gan_model_layer_sizes(const gan_model *m, size_t layer, size_t *n_params, size_t *n_state)
{
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if ((st = gan__check_layer(m, layer, __func__)) != GAN_OK)
        return st;
    if (n_params)
        *n_params = m->layers[layer].n_params;
    if (n_state)
        *n_state = m->layers[layer].n_state;
    return GAN_OK;
}

/* Which of a layer's arrays a copy call addresses. */
enum { GAN__PARAMS, GAN__GRADS, GAN__STATE };

static gan_status gan__layer_array(const gan_model *m, size_t layer, int which, size_t count,
                                   float **arr, const char *func)
{
    gan_status st;
    const gan__layer *l;
    size_t n;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if ((st = gan__check_layer(m, layer, func)) != GAN_OK)
        return st;
    l = &m->layers[layer];
    n = which == GAN__STATE ? l->n_state : l->n_params;
    if (count != n)
        return gan__err(GAN_ESHAPE, "%s: layer %zu (%s) has %zu %s, count is %zu", func, layer,
                        l->ops->name, n, which == GAN__STATE ? "state values" : "parameters", count);
    if (n == 0)
        *arr = NULL; /* empty arenas may be NULL: no arithmetic on them */
    else
        *arr = which == GAN__PARAMS ? m->params + l->param_off
             : which == GAN__GRADS ? m->grads + l->param_off : m->state + l->state_off;
    return GAN_OK;
}

static gan_status gan__copy_out(const gan_model *m, size_t layer, int which, float *dst,
                                size_t count, const char *func)
{
    float *a;
    gan_status st = gan__layer_array(m, layer, which, count, &a, func);
    if (st != GAN_OK || count == 0)
        return st;
    if (dst == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: 'dst != NULL'", func);
    memcpy(dst, a, count * sizeof(float));
    return GAN_OK;
}

gan_status gan_model_get_params(const gan_model *m, size_t layer, float *dst, size_t count)
{
    return gan__copy_out(m, layer, GAN__PARAMS, dst, count, __func__);
}

gan_status gan_model_get_grads(const gan_model *m, size_t layer, float *dst, size_t count)
{
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (m->grads == NULL && m->n_params) {
        /* No gradient arena yet (an inference model): all gradients are 0. */
        float *unused;
        if ((st = gan__layer_array(m, layer, GAN__PARAMS, count, &unused, __func__)) != GAN_OK)
            return st;
        if (count && dst == NULL)
            return gan__err(GAN_EINVAL, "%s: invalid argument: 'dst != NULL'", __func__);
        if (count)
            memset(dst, 0, count * sizeof(float));
        return GAN_OK;
    }
    return gan__copy_out(m, layer, GAN__GRADS, dst, count, __func__);
}

gan_status gan_model_get_state(const gan_model *m, size_t layer, float *dst, size_t count)
{
    return gan__copy_out(m, layer, GAN__STATE, dst, count, __func__);
}

gan_status gan_model_set_params(gan_model *m, size_t layer, const float *src, size_t count)
{
    float *a;
    gan_status st = gan__layer_array(m, layer, GAN__PARAMS, count, &a, __func__);
    if (st != GAN_OK || count == 0)
        return st;
    GAN__CHECK_ARG(src != NULL);
    if (gan__has_nonfinite(src, count))
        return gan__err(GAN_ENUMERIC, "gan_model_set_params: layer %zu: values contain NaN or "
                        "infinity; nothing was changed", layer);
    memcpy(a, src, count * sizeof(float));
    return GAN_OK;
}

gan_status gan__check_state(const gan__layer *l, const float *state)
{
    if (l->kind == GAN_LAYER_BATCHNORM) {
        for (size_t i = l->n_state / 2; i < l->n_state; i++)
            if (state[i] < 0.0f)
                return gan__err(GAN_EINVAL, "moving variance %zu is negative (%g)",
                                i - l->n_state / 2, (double)state[i]);
    } else if (l->spectral_norm) {
        size_t i = 0;
        while (i < l->n_state && state[i] == 0.0f)
            i++;
        if (i == l->n_state)
            return gan__err(GAN_EINVAL, "the spectral normalisation vector u is all zero");
    }
    return GAN_OK;
}

gan_status gan_model_set_state(gan_model *m, size_t layer, const float *src, size_t count)
{
    float *a;
    gan_status st = gan__layer_array(m, layer, GAN__STATE, count, &a, __func__);
    if (st != GAN_OK || count == 0)
        return st;
    GAN__CHECK_ARG(src != NULL);
    if (gan__has_nonfinite(src, count))
        return gan__err(GAN_ENUMERIC, "gan_model_set_state: layer %zu: values contain NaN or "
                        "infinity; nothing was changed", layer);
    if ((st = gan__check_state(&m->layers[layer], src)) != GAN_OK) {
        gan__err_prefix("gan_model_set_state: layer %zu", layer);
        return st;
    }
    memcpy(a, src, count * sizeof(float));
    return GAN_OK;
}

/* ---- summary ------------------------------------------------------------------ */

typedef struct gan__sbuf {
    char *buf;
    size_t cap, len;
} gan__sbuf;

static void gan__sbuf_printf(gan__sbuf *b, const char *fmt, ...) GAN__PRINTF(2, 3);

#include <stdarg.h>
static void gan__sbuf_printf(gan__sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *dst = b->len < b->cap ? b->buf + b->len : NULL;
    size_t room = b->len < b->cap ? b->cap - b->len : 0;
    va_start(ap, fmt);
    n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len += (size_t)n;
}

/* 1234567 -> "1,234,567" */
static const char *gan__commas(size_t v, char *buf, size_t cap)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%zu", v), o = 0;
    for (int i = 0; i < n && (size_t)o + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

gan_status gan_model_summary(const gan_model *m, char *buf, size_t cap, size_t *needed)
{
    gan__sbuf b;
    char s[64], c1[32], c2[32], c3[32];
    size_t total, trainable;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (buf == NULL && cap != 0)
        return gan__err(GAN_EINVAL, "gan_model_summary: buf is NULL but cap is %zu", cap);
    b.buf = buf;
    b.cap = cap;
    b.len = 0;
    gan_model_param_count(m, &total, &trainable);
    gan__sbuf_printf(&b, "Model: %zu layers, input %s\n", m->n_layers,
                     gan__shape_str(&m->in, s, sizeof s));
    gan__sbuf_printf(&b, "%-4s %-20s %-20s %12s\n", "#", "Layer (type)", "Output Shape", "Param #");
    gan__sbuf_printf(&b, "%.*s\n", 59, "============================================================");
    for (size_t i = 0; i < m->n_layers; i++) {
        const gan__layer *l = &m->layers[i];
        char name[40];
        snprintf(name, sizeof name, "%s%s%s", l->ops->name, l->spectral_norm ? " (sn)" : "",
                 l->trainable ? "" : " (frozen)");
        gan__sbuf_printf(&b, "%-4zu %-20s %-20s %12s\n", i, name,
                         gan__shape_str(&l->out, s, sizeof s),
                         gan__commas(l->n_params + l->n_state, c1, sizeof c1));
    }
    gan__sbuf_printf(&b, "%.*s\n", 59, "============================================================");
    gan__sbuf_printf(&b, "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n",
                     gan__commas(total, c1, sizeof c1), gan__commas(trainable, c2, sizeof c2),
                     gan__commas(total - trainable, c3, sizeof c3));
    if (m->n_classes)
        gan__sbuf_printf(&b, "Conditional: class labels in 0..%d\n", m->n_classes - 1);
    if (needed)
        *needed = b.len;
    return GAN_OK;
}
