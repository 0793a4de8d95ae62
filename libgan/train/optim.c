/*
 * optim.c -- SGD (momentum, Nesterov), Adam and RMSprop over a model's
 * parameter arena.
 *
 * Parameters, gradients and moments are parallel flat arrays (the model's
 * arena layout), so each update is one loop over contiguous floats per
 * trainable layer.  Formulas are in gan.h.  Bias corrections of Adam are
 * computed in double from the step count, so they are exact for long runs.
 */
#include <math.h>

#include "train/train.h"

struct gan_optimizer {
    uint32_t magic;
    gan_model *model;
    size_t n_params;          /* the model's parameter count at creation */
    gan_optimizer_config cfg;
    float *slot1;             /* momentum buffer / Adam m / RMSprop v */
    float *slot2;             /* Adam v */
    uint64_t step;
    gan__busy busy;           /* set during gan_optimizer_step (core.h) */
};

gan_status gan_optimizer_config_init(gan_optimizer_config *cfg, size_t size)
{
    return gan__config_read(&gan__optimizer_config_type, cfg, size, NULL, __func__);
}

size_t gan__optimizer_slots(const gan_optimizer_config *c)
{
    switch (c->kind) {
    case GAN_OPTIM_ADAM: return 2;
    case GAN_OPTIM_RMSPROP: return 1;
    case GAN_OPTIM_SGD: return c->momentum > 0.0f ? 1 : 0;
    }
    return 0;
}

static gan_status gan__check_lr(float lr, const char *func)
{
    if (!(lr >= 0.0f) || !isfinite(lr))
        return gan__err(GAN_EINVAL, "%s: learning rate %g must be finite and >= 0", func, (double)lr);
    return GAN_OK;
}

gan_status gan__optimizer_check_config(const gan_optimizer_config *cfg, const char *func)
{
    const gan_optimizer_config c = *cfg;
    gan_status st;
    if (c.kind != GAN_OPTIM_SGD && c.kind != GAN_OPTIM_ADAM && c.kind != GAN_OPTIM_RMSPROP)
        return gan__err(GAN_EINVAL, "%s: unknown optimizer kind %d", func, (int)c.kind);
    if ((st = gan__check_lr(c.lr, func)) != GAN_OK)
        return st;
    if (!(c.beta1 >= 0.0f && c.beta1 < 1.0f) || !(c.beta2 >= 0.0f && c.beta2 < 1.0f))
        return gan__err(GAN_EINVAL, "%s: beta1 %g and beta2 %g must be in [0, 1)", func,
                        (double)c.beta1, (double)c.beta2);
    if (!(c.eps > 0.0f) || !isfinite(c.eps))
        return gan__err(GAN_EINVAL, "%s: eps %g must be > 0", func, (double)c.eps);
    if (!(c.rho >= 0.0f && c.rho < 1.0f))
        return gan__err(GAN_EINVAL, "%s: rho %g must be in [0, 1)", func, (double)c.rho);
    if (!(c.momentum >= 0.0f && c.momentum < 1.0f))
        return gan__err(GAN_EINVAL, "%s: momentum %g must be in [0, 1)", func, (double)c.momentum);
    if (c.nesterov && c.momentum == 0.0f)
        return gan__err(GAN_EINVAL, "%s: nesterov needs momentum > 0", func);
    if (!(c.weight_decay >= 0.0f) || !isfinite(c.weight_decay))
        return gan__err(GAN_EINVAL, "%s: weight_decay %g must be >= 0", func, (double)c.weight_decay);
    return GAN_OK;
}

gan_status gan_optimizer_create(gan_optimizer **out, gan_model *model, const gan_optimizer_config *cfg)
{
    gan_optimizer *o;
    gan_optimizer_config c;
    gan_status st;
    size_t slots;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_HANDLE(model, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(cfg != NULL);
    if ((st = gan__config_read(&gan__optimizer_config_type, &c, sizeof c, cfg, __func__)) != GAN_OK ||
        (st = gan__optimizer_check_config(&c, __func__)) != GAN_OK)
        return st;
    if ((st = gan__model_ensure_grads(model)) != GAN_OK)
        return st;
    o = gan__calloc(1, sizeof *o);
    if (!o)
        return gan__err(GAN_ENOMEM, "gan_optimizer_create: out of memory");
    slots = gan__optimizer_slots(&c);
    if (slots >= 1 && model->n_params) {
        o->slot1 = gan__aligned_alloc(model->n_params * sizeof(float));
        if (slots == 2)
            o->slot2 = gan__aligned_alloc(model->n_params * sizeof(float));
        if (!o->slot1 || (slots == 2 && !o->slot2)) {
            gan__aligned_free(o->slot1);
            gan__aligned_free(o->slot2);
            gan__free(o);
            return gan__err(GAN_ENOMEM, "gan_optimizer_create: out of memory for %zu moments",
                            model->n_params * slots);
        }
        memset(o->slot1, 0, model->n_params * sizeof(float));
        if (o->slot2)
            memset(o->slot2, 0, model->n_params * sizeof(float));
    }
    o->magic = GAN__MAGIC_OPTIMIZER;
    o->model = model;
    o->n_params = model->n_params;
    o->cfg = c;
    gan__handle_created();
    *out = o;
    return GAN_OK;
}

void gan_optimizer_free(gan_optimizer *o)
{
    if (o == NULL || o->magic != GAN__MAGIC_OPTIMIZER)
        return;
    gan__aligned_free(o->slot1);
    gan__aligned_free(o->slot2);
    o->magic = GAN__MAGIC_DEAD;
    gan__free(o);
    gan__handle_freed();
}

const gan_optimizer_config *gan__optimizer_config(const gan_optimizer *o)
{
    return &o->cfg;
}

gan_model *gan__optimizer_model(const gan_optimizer *o)
{
    return o->model;
}

static gan_status gan__check_model(const gan_optimizer *o, const char *func)
{
    if (o->model->magic != GAN__MAGIC_MODEL)
        return gan__err(GAN_ESTATE, "%s: the optimizer's model was freed", func);
    if (o->model->n_params != o->n_params)
        return gan__err(GAN_ESTATE, "%s: the model's parameters changed since the optimizer was "
                        "created (%zu -> %zu); create a new optimizer", func, o->n_params,
                        o->model->n_params);
    return GAN_OK;
}

/* Update parameters [a, b) of the arena. */
static void gan__update_range(gan_optimizer *o, size_t a, size_t b, double bc1, double bc2)
{
    const gan_optimizer_config *c = &o->cfg;
    float *w = o->model->params, *g = o->model->grads;
    const float lr = c->lr;
    if (c->weight_decay > 0.0f) {
        const float decay = 1.0f - lr * c->weight_decay;
        for (size_t i = a; i < b; i++)
            w[i] *= decay;
    }
    switch (c->kind) {
    case GAN_OPTIM_SGD:
        if (!o->slot1) {
            for (size_t i = a; i < b; i++)
                w[i] -= lr * g[i];
        } else {
            const float mu = c->momentum;
            float *buf = o->slot1;
            for (size_t i = a; i < b; i++) {
                buf[i] = mu * buf[i] + g[i];
                w[i] -= lr * (c->nesterov ? g[i] + mu * buf[i] : buf[i]);
            }
        }
        break;
    case GAN_OPTIM_ADAM: {
        const float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
        const float s1 = (float)(1.0 / bc1), s2 = (float)(1.0 / bc2);
        float *m = o->slot1, *v = o->slot2;
        for (size_t i = a; i < b; i++) {
            m[i] = b1 * m[i] + (1.0f - b1) * g[i];
            v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
            w[i] -= lr * (m[i] * s1) / (sqrtf(v[i] * s2) + eps);
        }
        break;
    }
    case GAN_OPTIM_RMSPROP: {
        const float rho = c->rho, eps = c->eps;
        float *v = o->slot1;
        for (size_t i = a; i < b; i++) {
            v[i] = rho * v[i] + (1.0f - rho) * g[i] * g[i];
            w[i] -= lr * g[i] / (sqrtf(v[i]) + eps);
        }
        break;
    }
    }
}

typedef struct gan__update_job {
    gan_optimizer *o;
    size_t off;
    double bc1, bc2;
} gan__update_job;

static void gan__update_slice(void *ctx, size_t lo, size_t hi)
{
    const gan__update_job *j = ctx;
    gan__update_range(j->o, j->off + lo, j->off + hi, j->bc1, j->bc2);
}

gan_status gan__optimizer_check_grads(const gan_optimizer *o)
{
    const gan_model *m = o->model;
    for (size_t i = 0; i < m->n_layers; i++) {
        const gan__layer *l = &m->layers[i];
        if (l->trainable && l->n_params && gan__has_nonfinite(m->grads + l->param_off, l->n_params))
            return gan__err(GAN_ENUMERIC, "gradient of layer %zu (%s) is NaN or infinite", i,
                            l->ops->name);
    }
    return GAN_OK;
}

gan_status gan__optimizer_apply(gan_optimizer *o)
{
    gan_status st;
    gan_model *m;
    double bc1 = 1.0, bc2 = 1.0;
    if ((st = gan__check_model(o, "gan_optimizer_step")) != GAN_OK)
        return st;
    m = o->model;
    o->step++;
    if (o->cfg.kind == GAN_OPTIM_ADAM) {
        bc1 = 1.0 - pow(o->cfg.beta1, (double)o->step);
        bc2 = 1.0 - pow(o->cfg.beta2, (double)o->step);
    }
    for (size_t i = 0; i < m->n_layers; i++) {
        const gan__layer *l = &m->layers[i];
        if (l->trainable && l->n_params) {
            gan__update_job j = {o, l->param_off, bc1, bc2};
            /* Element-wise: split between the threads, the same bits. */
            gan__parallel_range(l->n_params, 16, GAN__PAR_MIN_FLOATS / 4, gan__update_slice, &j);
        }
    }
    return GAN_OK;
}

gan_status gan_optimizer_step(gan_optimizer *o)
{
    gan_status st;
    GAN__CHECK_HANDLE(o, GAN__MAGIC_OPTIMIZER, "gan_optimizer");
    if ((st = gan__check_model(o, __func__)) != GAN_OK)
        return st;
    if (!gan__busy_enter(&o->busy))
        return gan__busy_err(__func__, "optimizer", "one optimizer is stepped by one thread at a "
                             "time");
    if ((st = gan__optimizer_check_grads(o)) != GAN_OK)
        gan__err_prefix("gan_optimizer_step: nothing was updated");
    else
        st = gan__optimizer_apply(o);
    gan__busy_leave(&o->busy);
    return st;
}

gan_status gan_optimizer_set_lr(gan_optimizer *o, float lr)
{
    gan_status st;
    GAN__CHECK_HANDLE(o, GAN__MAGIC_OPTIMIZER, "gan_optimizer");
    if ((st = gan__check_lr(lr, __func__)) != GAN_OK)
        return st;
    o->cfg.lr = lr;
    return GAN_OK;
}

gan_status gan_optimizer_get_lr(const gan_optimizer *o, float *lr)
{
    GAN__CHECK_HANDLE(o, GAN__MAGIC_OPTIMIZER, "gan_optimizer");
    GAN__CHECK_ARG(lr != NULL);
    *lr = o->cfg.lr;
    return GAN_OK;
}

gan_status gan_optimizer_state_size(const gan_optimizer *o, size_t *n)
{
    GAN__CHECK_HANDLE(o, GAN__MAGIC_OPTIMIZER, "gan_optimizer");
    GAN__CHECK_ARG(n != NULL);
    *n = (o->slot2 ? 2 : o->slot1 ? 1 : 0) * o->n_params;
    return GAN_OK;
}

gan_status gan_optimizer_get_state(const gan_optimizer *o, float *dst, size_t count, uint64_t *step)
{
    size_t n;
    GAN__CHECK_HANDLE(o, GAN__MAGIC_OPTIMIZER, "gan_optimizer");
    gan_optimizer_state_size(o, &n);
    if (count != n)
        return gan__err(GAN_ESHAPE, "gan_optimizer_get_state: state has %zu floats, count is %zu", n, count);
    if (n) {
        GAN__CHECK_ARG(dst != NULL);
        memcpy(dst, o->slot1, o->n_params * sizeof(float));
        if (o->slot2)
            memcpy(dst + o->n_params, o->slot2, o->n_params * sizeof(float));
    }
    if (step)
        *step = o->step;
    return GAN_OK;
}

gan_status gan_optimizer_set_state(gan_optimizer *o, const float *src, size_t count, uint64_t step)
{
    size_t n;
    GAN__CHECK_HANDLE(o, GAN__MAGIC_OPTIMIZER, "gan_optimizer");
    gan_optimizer_state_size(o, &n);
    if (count != n)
        return gan__err(GAN_ESHAPE, "gan_optimizer_set_state: state has %zu floats, count is %zu", n, count);
    if (n) {
        GAN__CHECK_ARG(src != NULL);
        if (gan__has_nonfinite(src, n))
            return gan__err(GAN_ENUMERIC, "gan_optimizer_set_state: state contains NaN or infinity");
        if (o->cfg.kind != GAN_OPTIM_SGD) {
            const float *v = o->slot2 ? src + o->n_params : src;
            for (size_t i = 0; i < o->n_params; i++)
                if (v[i] < 0.0f)
                    return gan__err(GAN_EINVAL, "gan_optimizer_set_state: second moment %zu is "
                                    "negative", i);
        }
        memcpy(o->slot1, src, o->n_params * sizeof(float));
        if (o->slot2)
            memcpy(o->slot2, src + o->n_params, o->n_params * sizeof(float));
    }
    o->step = step;
    return GAN_OK;
}
