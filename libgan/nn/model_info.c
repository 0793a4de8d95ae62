/*
 * model_info.c -- what a built gan_model tells and takes: layer counts and
 * kinds, parameter counts, each layer's parameters, gradients and state in
 * and out, and the Keras-style summary.
 */
#include <stdarg.h>
#include <stdio.h>

#include "nn/nn.h"

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
    const gan__layer_ops *ops = gan__layer_run(l);
    uint32_t acc = 0;
    gan_status st;
    if (!ops->check_state)
        return GAN_OK;
    if ((st = ops->check_state(l, 0, state, l->n_state, &acc)) != GAN_OK)
        return st;
    return ops->check_state(l, l->n_state, NULL, 0, &acc);
}

void gan__state_check_begin(gan__state_check *sc, const gan_model *m)
{
    sc->m = m;
    sc->layer = 0;
    sc->acc = 0;
}

/* End the current layer (the kind's last call) and move to the next. */
static gan_status state_check_next(gan__state_check *sc)
{
    const gan__layer *l = &sc->m->layers[sc->layer];
    const gan__layer_ops *ops = gan__layer_run(l);
    gan_status st = GAN_OK;
    if (l->n_state && ops->check_state && (st = ops->check_state(l, l->n_state, NULL, 0, &sc->acc)) != GAN_OK)
        gan__err_prefix("layer %zu", sc->layer);
    sc->acc = 0;
    sc->layer++;
    return st;
}

gan_status gan__state_check_part(gan__state_check *sc, size_t from, const float *v, size_t n)
{
    const gan_model *m = sc->m;
    gan_status st;
    while (n) {
        const gan__layer *l;
        /* Layers' state slices follow the layer order (model.c). */
        while (sc->layer < m->n_layers &&
               from >= m->layers[sc->layer].state_off + m->layers[sc->layer].n_state)
            if ((st = state_check_next(sc)) != GAN_OK)
                return st;
        if (sc->layer == m->n_layers)
            return gan__err(GAN_EFORMAT, "state value %zu is beyond the model's %zu", from, m->n_state);
        l = &m->layers[sc->layer];
        const gan__layer_ops *ops = gan__layer_run(l);
        size_t k = l->state_off + l->n_state - from;
        if (k > n)
            k = n;
        if (ops->check_state && (st = ops->check_state(l, from - l->state_off, v, k, &sc->acc)) != GAN_OK) {
            gan__err_prefix("layer %zu", sc->layer);
            return st;
        }
        v += k;
        from += k;
        n -= k;
    }
    return GAN_OK;
}

gan_status gan__state_check_end(gan__state_check *sc)
{
    gan_status st;
    while (sc->layer < sc->m->n_layers)
        if ((st = state_check_next(sc)) != GAN_OK)
            return st;
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
        /* (eq): the equalised learning rate of a dense or modulated_conv2d layer. */
        const int eq = l->kind == GAN_LAYER_DENSE ? l->equalized
                       : l->kind == GAN_LAYER_MODULATED_CONV2D ? l->u.conv.equalized : 0;
        snprintf(name, sizeof name, "%s%s%s%s", l->ops->name, l->spectral_norm ? " (sn)" : "",
                 eq ? " (eq)" : "", l->trainable ? "" : " (frozen)");
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
