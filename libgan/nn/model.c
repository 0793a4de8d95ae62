/*
 * model.c -- the gan_model handle: building, buffers, forward and backward.
 * The gan_model_add_* builders live with their kinds in nn/layers/ and end
 * in gan__model_append here.
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
    gan__aligned_free(m->skip_grad);
    m->skip_grad = NULL;
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
    gan__free(m->class_names);
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
        m->n_params = m->cap_params = src->n_params;
        m->n_state = m->cap_state = src->n_state;
        if (m->n_params)
            memcpy(m->params, src->params, m->n_params * sizeof(float));
        if (m->n_state)
            memcpy(m->state, src->state, m->n_state * sizeof(float));
        gan__plan_layers(m);
    }
    if (gan__model_copy_class_names(m, src) != GAN_OK) {
        gan_model_free(m);
        return GAN_ENOMEM;
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

/* Make room for n_new floats in an aligned arena of *cap floats holding
   n_old, keeping contents and zeroing the rest: capacity at least doubles,
   so building N layers copies O(total) floats, not O(N * total). */
static float *gan__grow_arena(float *old, size_t n_old, size_t n_new, size_t cap, size_t *new_cap)
{
    float *p;
    size_t c = cap;
    if (n_new <= cap && old) {
        *new_cap = cap;
        return old;
    }
    if (c < 64)
        c = 64;
    while (c < n_new)
        c = c > SIZE_MAX / 2 / sizeof(float) ? n_new : 2 * c;
    p = gan__aligned_alloc(c * sizeof(float));
    if (!p)
        return NULL;
    if (n_old)
        memcpy(p, old, n_old * sizeof(float));
    memset(p + n_old, 0, (c - n_old) * sizeof(float));
    *new_cap = c;
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
    const gan__layer_ops *ops = gan__layer_run(l);
    gan__layer_init_rng(&r, m->init_seed, i);
    /* Arenas are NULL while empty: no arithmetic on them then (UB). */
    if (ops->init)
        ops->init(l, l->n_params ? m->params + l->param_off : NULL,
                  l->n_state ? m->state + l->state_off : NULL, &r);
}

void gan__layer_blank(gan__layer *t, gan_layer_kind kind)
{
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->ops = gan__layer_ops_for(kind);
}

/* All or nothing (nn.h); the kind's build op calls it once the settings
   are checked. */
gan_status gan__model_append(gan_model *m, gan__layer *t, const char *func)
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
    if ((st = gan__layer_run(t)->setup(t)) != GAN_OK) {
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
    t->param_off = m->n_params;
    t->state_off = m->n_state;
    if (m->defer_arenas) {
        /* A file load: counts only; gan__model_alloc_arenas follows once
           the file's sections are checked against them. */
        m->n_params += t->n_params;
        m->n_state += t->n_state;
        m->layers[idx] = *t;
        m->n_layers++;
        m->generation++;
        return GAN_OK;
    }
    /* The gradient arena grows with the parameters unless it was dropped
       (a model loaded for inference); then it is made when needed. */
    const int with_grads = m->grads != NULL || m->n_params == 0;
    size_t pcap = m->cap_params, gcap = m->cap_params, scap = m->cap_state;
    if (t->n_params) {
        np = gan__grow_arena(m->params, m->n_params, m->n_params + t->n_params, m->cap_params, &pcap);
        if (np && with_grads)
            ng = gan__grow_arena(m->grads, m->n_params, m->n_params + t->n_params, m->cap_params, &gcap);
    }
    if (t->n_state)
        ns = gan__grow_arena(m->state, m->n_state, m->n_state + t->n_state, m->cap_state, &scap);
    if ((t->n_params && (!np || (with_grads && !ng))) || (t->n_state && !ns)) {
        if (np != m->params)
            gan__aligned_free(np);
        if (ng != m->grads)
            gan__aligned_free(ng);
        if (ns != m->state)
            gan__aligned_free(ns);
        return gan__err(GAN_ENOMEM, "%s: out of memory for %zu parameters", func, t->n_params);
    }
    if (np) {
        if (np != m->params)
            gan__aligned_free(m->params);
        m->params = np;
        if (with_grads) {
            if (ng != m->grads)
                gan__aligned_free(m->grads);
            m->grads = ng;
        }
        m->cap_params = pcap;
        m->n_params += t->n_params;
    }
    if (ns) {
        if (ns != m->state)
            gan__aligned_free(m->state);
        m->state = ns;
        m->cap_state = scap;
        m->n_state += t->n_state;
    }
    m->layers[idx] = *t;
    m->n_layers++;
    m->generation++;
    gan__init_layer(m, idx);
    /* Appending changes the plan of the last two layers only. */
    gan__plan_layers_from(m, idx ? idx - 1 : 0);
    /* Batch buffers were planned for the old layer list. */
    gan__free_batch_buffers(m);
    return GAN_OK;
}

gan_status gan__model_alloc_arenas(gan_model *m)
{
    m->defer_arenas = 0;
    if (m->n_params)
        m->params = gan__aligned_alloc(m->n_params * sizeof(float));
    if (m->n_state)
        m->state = gan__aligned_alloc(m->n_state * sizeof(float));
    if ((m->n_params && !m->params) || (m->n_state && !m->state))
        return gan__err(GAN_ENOMEM, "out of memory for a model of %zu parameters", m->n_params);
    m->cap_params = m->n_params;
    m->cap_state = m->n_state;
    if (m->n_params)
        memset(m->params, 0, m->n_params * sizeof(float));
    if (m->n_state)
        memset(m->state, 0, m->n_state * sizeof(float));
    gan__plan_layers(m);
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

/* ---- class layers (conditional models: nn/layers/class_*.c) -------------------- */

gan_status gan__check_labels(const int32_t *labels, size_t n, int n_classes, const char *func)
{
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= n_classes)
            return gan__err(GAN_EINVAL, "%s: label %zu is %ld, expected a class in 0..%d", func, i,
                            (long)labels[i], n_classes - 1);
    return GAN_OK;
}

gan_status gan__check_classes(const gan_model *m, int n_classes, const char *func)
{
    if (n_classes < 1 || n_classes > GAN__MAX_CLASSES)
        return gan__err(GAN_EINVAL, "%s: n_classes %d must be in 1..%d", func, n_classes,
                        GAN__MAX_CLASSES);
    if (m->n_classes != 0 && m->n_classes != n_classes)
        return gan__err(GAN_EINVAL, "%s: n_classes %d differs from the %d classes of the model's "
                        "other class layers", func, n_classes, m->n_classes);
    return GAN_OK;
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
    size_t act_total, aux_total = 0, max_elems, ws = 0, off, style_n, grad_floats, skip_e = 0;
    float *act_arena = NULL, **act = NULL, *gbuf = NULL, *style = NULL, *dstyle = NULL;
    float *skip_grad = NULL;
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
        w = gan__layer_workspace(l, max_batch);
        if (w > ws)
            ws = w;
        if ((l->ops->plan & GAN__PLAN_SKIP_SOURCE) && e > skip_e)
            skip_e = e;
    }
    if ((uint64_t)act_total > ((uint64_t)1 << 40) / sizeof(float) || (uint64_t)aux_total > ((uint64_t)1 << 40))
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
    if (skip_e)
        skip_grad = gan__aligned_alloc(max_batch * skip_e * sizeof(float));
    if (!act_arena || !act || !aux_arena || !aux || !gbuf || !wsp ||
        (style_n && (!style || !dstyle)) || (m->n_classes && !labels) || (skip_e && !skip_grad)) {
        gan__aligned_free(skip_grad);
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
    m->skip_grad = skip_grad;
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
    cx->skip = NULL;
    cx->dskip = NULL;
}

size_t gan__skip_source(const gan_model *m, size_t i)
{
    while (i-- > 0)
        if (m->layers[i].ops->plan & GAN__PLAN_SKIP_SOURCE)
            return i;
    return SIZE_MAX;
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
        if (l->ops->plan & GAN__PLAN_SKIP_SINK) {
            /* The block's input: its begin layer's output, which no layer
               of the block overwrites (the begin layer claims no plan trait
               that would let the next layer run in place over it). */
            const size_t src = gan__skip_source(m, i);
            cx.skip = src == SIZE_MAX ? NULL : m->act[src + 1];
        }
        gan__layer_run(l)->forward(l, &cx, m->act[i], m->act[i + 1]);
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
    int skip_pending = 0;  /* a block's end ran: its begin layer adds skip_grad */

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
        if (l->ops->plan & GAN__PLAN_SKIP_SINK) {
            const size_t src = gan__skip_source(m, i);
            cx.skip = src == SIZE_MAX ? NULL : m->act[src + 1];
            /* Below the lowest layer that needs a gradient nothing reads it. */
            if (src != SIZE_MAX && src >= lo && (dx || src > lo)) {
                cx.dskip = m->skip_grad;
                skip_pending = 1;
            }
        } else if (l->ops->plan & GAN__PLAN_SKIP_SOURCE) {
            cx.dskip = skip_pending ? m->skip_grad : NULL;
            skip_pending = 0;
        }
        if (i == first_real && dx)
            target = dx;                         /* views below pass it through */
        else if (i > lo)
            target = gan__grad_target(m, l, batch, &end);
        else
            target = NULL;                       /* lowest layer, no dx wanted */
        gan__layer_run(l)->backward(l, &cx, m->act[i], m->act[i + 1], cur, target);
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

/* Concurrent forward/backward calls on one model (issue 18, item 10). */
#define GAN__MODEL_HINT "a model's forward and backward serve one thread at a time (use a " \
                        "gan_sampler per thread to generate from a shared model)"

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
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (m->n_classes)
        return gan__err(GAN_EINVAL, "gan_model_forward: the model is conditional (%d classes): "
                        "pass the class labels of the batch with gan_model_forward_labeled",
                        m->n_classes);
    if (!gan__busy_enter(&m->busy))
        return gan__busy_err(__func__, "model", GAN__MODEL_HINT);
    st = gan__forward_public(m, x, x_count, NULL, batch, mode, y, y_count, __func__);
    gan__busy_leave(&m->busy);
    return st;
}

gan_status gan_model_forward_labeled(gan_model *m, const float *x, size_t x_count,
                                     const int32_t *labels, size_t batch, gan_mode mode, float *y,
                                     size_t y_count)
{
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(labels != NULL);
    if (m->n_classes == 0)
        return gan__err(GAN_EINVAL, "gan_model_forward_labeled: the model has no class layer and "
                        "takes no labels; use gan_model_forward");
    if (!gan__busy_enter(&m->busy))
        return gan__busy_err(__func__, "model", GAN__MODEL_HINT);
    st = gan__forward_public(m, x, x_count, labels, batch, mode, y, y_count, __func__);
    gan__busy_leave(&m->busy);
    return st;
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
    if (!gan__busy_enter(&m->busy))
        return gan__busy_err(__func__, "model", GAN__MODEL_HINT);
    if ((st = gan__model_ensure_grads(m)) == GAN_OK)
        st = gan__model_backward(m, dy, dx);
    gan__busy_leave(&m->busy);
    return st;
}

gan_status gan__model_ensure_grads(gan_model *m)
{
    if (m->grads != NULL || m->n_params == 0)
        return GAN_OK;
    if (m->cap_params < m->n_params)
        m->cap_params = m->n_params;
    m->grads = gan__aligned_alloc(m->cap_params * sizeof(float));
    if (!m->grads)
        return gan__err(GAN_ENOMEM, "out of memory for the gradients of %zu parameters", m->n_params);
    memset(m->grads, 0, m->cap_params * sizeof(float));
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

static int gan__has_sn(const gan__layer_ops *ops)
{
    return ops->sn_dims != NULL;
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
    if (layer != GAN_ALL_LAYERS && m->layers[layer].ops->sn_dims == NULL) {
        char kinds[256];
        return gan__err(GAN_EINVAL, "%s: layer %zu is %s; spectral normalisation applies to %s "
                        "layers", __func__, layer, m->layers[layer].ops->name,
                        gan__layer_kinds_where(gan__has_sn, kinds, sizeof kinds));
    }
    on = on != 0;
    if (m->n_layers == 0)
        return GAN_OK;
    if ((nl = gan__malloc(m->n_layers * sizeof *nl)) == NULL)
        return gan__err(GAN_ENOMEM, "%s: out of memory", __func__);
    memcpy(nl, m->layers, m->n_layers * sizeof *nl);
    for (size_t i = 0; i < m->n_layers; i++) {
        gan__layer *t = &nl[i];
        if ((layer == GAN_ALL_LAYERS || layer == i) && t->ops->sn_dims != NULL &&
            t->spectral_norm != on) {
            t->spectral_norm = on;
            t->n_params = t->n_state = t->aux_per_sample = t->aux_fixed = 0;
            /* The same input shape and settings as when it was added. */
            if ((st = gan__layer_run(t)->setup(t)) != GAN_OK) {
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
    /* The new arena is exactly n_state long: the next append must grow it
       (a stale capacity let it write past the end). */
    m->cap_state = n_state;
    m->generation++;
    /* Saved-forward sizes changed. */
    gan__free_batch_buffers(m);
    return GAN_OK;
}

/* Per-sample shape of the input (GAN_MODEL_INPUT) or of a layer's output; the
   rest of the introspection is in model_info.c. */
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
