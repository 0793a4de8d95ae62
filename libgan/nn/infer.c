/*
 * infer.c -- inference on a const model with caller-owned buffers.
 *
 * gan_model_forward runs in the model's own batch buffers, so one model
 * serves one thread.  gan__infer runs the same layer kernels in inference
 * mode (batchnorm running statistics, dropout off) in the buffers of a
 * gan__infer_buf, and only reads the model: any number of buffers may run
 * one model at once, from different threads (samplers, the CLI, metrics).
 *
 * Memory plan.  Inference keeps no activation for a backward pass, so two
 * ping-pong buffers as large as the largest per-batch tensor hold every
 * layer's input and output (reshape and flatten only relabel: they alias).
 * Saved forward data (batchnorm's statistics, dropout's mask) is written but
 * never read back, so one aux buffer as large as the largest layer's serves
 * all layers, and one workspace as large as the largest layer's.  The style
 * vectors that a style input layer keeps for the adain layers after it
 * live in a buffer of their own (the aux buffer is overwritten by every
 * layer), and so does the input of a residual block, which its end layer
 * reads after the ping-pong buffers have moved on.  Inputs
 * are copied into the first buffer and outputs out of the last, so the
 * kernels see the same 64-byte aligned buffers as in gan_model_forward and
 * produce bit-identical results at the same batch size.
 */
#include "nn/nn.h"

static size_t gan__round64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

void gan__infer_buf_free(gan__infer_buf *b)
{
    if (b == NULL)
        return;
    gan__aligned_free(b->act[0]);
    gan__aligned_free(b->act[1]);
    gan__aligned_free(b->aux);
    gan__aligned_free(b->ws);
    gan__aligned_free(b->style);
    gan__aligned_free(b->skip);
    memset(b, 0, sizeof *b);
}

gan_status gan__infer_buf_init(gan__infer_buf *b, const gan_model *m, size_t max_batch)
{
    size_t max_elems, aux = 0, ws = 0, act, skip_e = 0;
    const size_t cap = (size_t)1 << 40; /* bytes, as gan_model_reserve */
    memset(b, 0, sizeof *b);
    if (max_batch == 0 || max_batch > GAN__MAX_BATCH)
        return gan__err(GAN_EINVAL, "batch %zu must be in 1..%zu", max_batch, GAN__MAX_BATCH);
    if (m->n_layers == 0)
        return gan__err(GAN_ESTATE, "the model has no layers");
    /* Every count is bounded by 2^24 samples * 2^31 elements * 8 bytes,
       which fits in 64 bits; the cap keeps the allocation sane. */
    max_elems = gan__shape_elems(&m->in);
    for (size_t i = 0; i < m->n_layers; i++) {
        const gan__layer *l = &m->layers[i];
        size_t e = gan__shape_elems(&l->out), a, w;
        if (e > max_elems)
            max_elems = e;
        if ((l->ops->plan & GAN__PLAN_SKIP_SOURCE) && e > skip_e)
            skip_e = e;
        if (gan__layer_skipped(l))
            continue;
        a = max_batch * l->aux_per_sample + l->aux_fixed;
        if (a > aux)
            aux = a;
        w = gan__layer_workspace(l, max_batch);
        if (w > ws)
            ws = w;
    }
    act = gan__round64(max_batch * max_elems);
    if (act > cap / sizeof(float) || aux > cap || ws > cap)
        return gan__err(GAN_ENOMEM, "batch %zu needs more than 1 TiB", max_batch);
    b->act[0] = gan__aligned_alloc(act * sizeof(float));
    b->act[1] = gan__aligned_alloc(act * sizeof(float));
    b->aux = gan__aligned_alloc(aux ? gan__round64(aux) : 64);
    b->ws = gan__aligned_alloc(ws ? ws : 64);
    if (m->style_dim)
        b->style = gan__aligned_alloc(max_batch * m->style_dim * sizeof(float));
    if (skip_e)
        b->skip = gan__aligned_alloc(max_batch * skip_e * sizeof(float));
    if (!b->act[0] || !b->act[1] || !b->aux || !b->ws || (m->style_dim && !b->style) ||
        (skip_e && !b->skip)) {
        gan__infer_buf_free(b);
        return gan__err(GAN_ENOMEM, "out of memory for inference buffers of batch %zu",
                        max_batch);
    }
    b->max_batch = max_batch;
    b->n_layers = m->n_layers;
    b->generation = m->generation;
    b->in_elems = gan__shape_elems(&m->in);
    b->out_elems = gan__shape_elems(&m->layers[m->n_layers - 1].out);
    b->aux_bytes = aux;
    b->ws_bytes = ws;
    return GAN_OK;
}

gan_status gan__infer(const gan_model *m, gan__infer_buf *b, const float *x,
                      const int32_t *labels, size_t n, float *y)
{
    if (m->n_layers != b->n_layers || m->generation != b->generation || b->max_batch == 0 ||
        gan__shape_elems(&m->in) != b->in_elems)
        return gan__err(GAN_ESTATE, "the model was changed after its inference buffers were "
                        "made (%zu layers, planned for %zu)", m->n_layers, b->n_layers);
    if (m->n_classes && labels == NULL)
        return gan__err(GAN_EINVAL, "the model is conditional (%d classes): pass the class labels",
                        m->n_classes);
    for (size_t n0 = 0; n0 < n; n0 += b->max_batch) {
        const size_t nb = n - n0 < b->max_batch ? n - n0 : b->max_batch;
        int cur = 0;
        memcpy(b->act[0], x + n0 * b->in_elems, nb * b->in_elems * sizeof(float));
        for (size_t i = 0; i < m->n_layers; i++) {
            /* The ops take a non-const layer; in inference mode forward
               writes only y, aux and ws (see nn/nn.h). */
            gan__layer *l = (gan__layer *)&m->layers[i];
            gan__ctx cx;
            if (gan__layer_skipped(l))
                continue;
            cx.batch = nb;
            cx.training = 0;
            cx.w = l->n_params ? m->params + l->param_off : NULL;
            cx.dw = NULL;
            cx.state = l->n_state ? m->state + l->state_off : NULL;
            cx.ws = b->ws;
            cx.ws_bytes = b->ws_bytes;
            cx.aux = b->aux;
            cx.rng = NULL; /* dropout draws nothing in inference mode */
            cx.style = b->style;
            cx.dstyle = NULL;
            cx.style_dim = m->style_dim;
            /* Read-only and the caller's: threads share nothing here. */
            cx.labels = m->n_classes ? labels + n0 : NULL;
            /* Residual blocks: the begin layer copies the block's input
               into the buffer's own shortcut store, the end reads it. */
            cx.skip = (l->ops->plan & (GAN__PLAN_SKIP_SOURCE | GAN__PLAN_SKIP_SINK)) ? b->skip
                                                                                     : NULL;
            cx.dskip = NULL;
            gan__layer_run(l)->forward(l, &cx, b->act[cur], b->act[cur ^ 1]);
            cur ^= 1;
        }
        memcpy(y + n0 * b->out_elems, b->act[cur], nb * b->out_elems * sizeof(float));
    }
    return GAN_OK;
}
