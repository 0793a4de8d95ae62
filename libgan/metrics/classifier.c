/*
 * classifier.c -- softmax cross-entropy and supervised training of a
 * gan_model as a classifier (the feature network of the metrics, and
 * useful on its own).
 *
 * Softmax cross-entropy of logits z (K classes) and label y, per sample:
 *   m = max_k z_k,  lse = m + log sum_k exp(z_k - m)
 *   loss = lse - z_y
 *   d loss / d z_k = softmax(z)_k - [k == y]
 * Every exponent is <= 0, so nothing overflows for any finite logits, and
 * the sum is >= 1, so the log is finite.  Batch values are means, so the
 * gradient carries a 1/batch factor as the adversarial losses' do.
 */
#include <math.h>

#include "metrics/metrics.h"

/* Loss of one sample (double), its softmax gradient into g (scaled by
   scale) when g is not NULL, and whether argmax == label (ties: the
   lowest index wins, as numpy's argmax).  The trainer's auxiliary class
   loss uses it too (core.h). */
double gan__sce_one(const float *z, size_t k, int32_t label, double scale, float *g,
                           int *correct)
{
    double m = z[0], s, lse;
    size_t arg = 0;
    for (size_t j = 1; j < k; j++)
        if (z[j] > m) {
            m = z[j];
            arg = j;
        }
    /* The largest logit contributes exp(0) = 1, so s >= 1 and log(s) is
       finite for any logits. */
    s = 1.0;
    for (size_t j = 0; j < k; j++)
        if (j != arg)
            s += exp((double)z[j] - m);
    lse = m + log(s);
    if (g)
        for (size_t j = 0; j < k; j++)
            g[j] = (float)((exp((double)z[j] - lse) - (j == (size_t)label ? 1.0 : 0.0)) * scale);
    *correct = arg == (size_t)label;
    return lse - (double)z[label];
}

/* Checks shared by the public loss and the training step. */
static gan_status gan__sce_check(const float *logits, size_t batch, size_t classes,
                                 const int32_t *labels, const char *func)
{
    if (logits == NULL || labels == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: %s is NULL", func,
                        logits == NULL ? "logits" : "labels");
    if (batch == 0 || batch > GAN__MAX_BATCH)
        return gan__err(GAN_EINVAL, "%s: batch %zu must be in 1..%zu", func, batch, GAN__MAX_BATCH);
    if (classes < 2 || classes > GAN__MAX_ELEMS)
        return gan__err(GAN_ESHAPE, "%s: %zu classes; a classifier needs at least 2 outputs per "
                        "sample", func, classes);
    for (size_t i = 0; i < batch; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= classes)
            return gan__err(GAN_EINVAL, "%s: label %zu is %ld, expected 0..%zu", func, i,
                            (long)labels[i], classes - 1);
    if (gan__has_nonfinite(logits, batch * classes))
        return gan__err(GAN_ENUMERIC, "%s: logits contain NaN or infinity", func);
    return GAN_OK;
}

/* Mean loss, gradient (may be NULL) and correct count; inputs checked. */
static double gan__sce(const float *logits, size_t batch, size_t classes, const int32_t *labels,
                       float *d_logits, size_t *n_correct)
{
    double sum = 0.0, inv = 1.0 / (double)batch;
    size_t ok = 0;
    for (size_t i = 0; i < batch; i++) {
        int c;
        sum += gan__sce_one(logits + i * classes, classes, labels[i], inv,
                            d_logits ? d_logits + i * classes : NULL, &c);
        ok += (size_t)c;
    }
    if (n_correct)
        *n_correct = ok;
    return sum * inv;
}

gan_status gan_softmax_cross_entropy(const float *logits, size_t logits_count, size_t batch,
                                     const int32_t *labels, float *value, float *d_logits,
                                     size_t *n_correct)
{
    gan_status st;
    size_t classes;
    GAN__CHECK_ARG(value != NULL);
    if (batch == 0 || logits_count % batch != 0)
        return gan__err(GAN_ESHAPE, "gan_softmax_cross_entropy: %zu logits are not a whole "
                        "number of rows for batch %zu", logits_count, batch);
    classes = logits_count / batch;
    if ((st = gan__sce_check(logits, batch, classes, labels, __func__)) != GAN_OK)
        return st;
    *value = (float)gan__sce(logits, batch, classes, labels, d_logits, n_correct);
    return GAN_OK;
}

/* The model's output must be a vector of at least 2 classes. */
static gan_status gan__classes(const gan_model *m, size_t *classes, const char *func)
{
    const gan__shape *o;
    if (m->n_layers == 0)
        return gan__err(GAN_ESTATE, "%s: the model has no layers", func);
    if (m->n_classes)
        return gan__err(GAN_EINVAL, "%s: the model is conditional (it takes class labels as an "
                        "input); a classifier sees samples only", func);
    o = &m->layers[m->n_layers - 1].out;
    if (o->ndim != 1 || o->d[0] < 2) {
        char s[64];
        return gan__err(GAN_ESHAPE, "%s: a classifier must output a vector of at least 2 "
                        "logits per sample, not %s", func, gan__shape_str(o, s, sizeof s));
    }
    *classes = (size_t)o->d[0];
    return GAN_OK;
}

gan_status gan_model_train_classifier_step(gan_model *m, gan_optimizer *opt, const float *x,
                                           size_t x_count, const int32_t *labels, size_t batch,
                                           float *loss, float *accuracy)
{
    gan_status st;
    size_t classes, in_e, n_ok = 0;
    float *snap = NULL, *g = NULL;
    double v;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_HANDLE(opt, GAN__MAGIC_OPTIMIZER, "gan_optimizer");
    GAN__CHECK_ARG(x != NULL);
    GAN__CHECK_ARG(labels != NULL);
    if (gan__optimizer_model(opt) != m)
        return gan__err(GAN_EINVAL, "gan_model_train_classifier_step: the optimizer was created "
                        "for another model");
    if ((st = gan__classes(m, &classes, __func__)) != GAN_OK)
        return st;
    if (batch == 0 || batch > GAN__MAX_BATCH)
        return gan__err(GAN_EINVAL, "gan_model_train_classifier_step: batch %zu must be in 1..%zu",
                        batch, GAN__MAX_BATCH);
    in_e = gan__shape_elems(&m->in);
    if (x_count != batch * in_e)
        return gan__err(GAN_ESHAPE, "gan_model_train_classifier_step: x has %zu elements, "
                        "expected %zu (batch %zu x %zu per sample)", x_count, batch * in_e,
                        batch, in_e);
    for (size_t i = 0; i < batch; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= classes)
            return gan__err(GAN_EINVAL, "gan_model_train_classifier_step: label %zu is %ld, "
                            "expected 0..%zu", i, (long)labels[i], classes - 1);
    if ((st = gan_model_reserve(m, batch)) != GAN_OK)
        return st;
    g = gan__malloc(batch * classes * sizeof *g + (m->n_state + 1) * sizeof *snap);
    if (!g)
        return gan__err(GAN_ENOMEM, "gan_model_train_classifier_step: out of memory");
    snap = g + batch * classes;
    if (m->n_state)
        memcpy(snap, m->state, m->n_state * sizeof *snap);

    /* forward (training), loss, backward, update: all or nothing. */
    gan_model_zero_grad(m);
    if ((st = gan__model_forward(m, x, NULL, batch, GAN_MODE_TRAIN)) != GAN_OK)
        goto undo;
    if (gan__has_nonfinite(m->act[m->n_layers], batch * classes)) {
        st = gan__err(GAN_ENUMERIC, "gan_model_train_classifier_step: the logits contain NaN "
                      "or infinity; nothing was updated");
        goto undo;
    }
    v = gan__sce(m->act[m->n_layers], batch, classes, labels, g, &n_ok);
    if ((st = gan__model_backward(m, g, NULL)) != GAN_OK)
        goto undo;
    if ((st = gan_optimizer_step(opt)) != GAN_OK)
        goto undo;
    gan__free(g);
    if (loss)
        *loss = (float)v;
    if (accuracy)
        *accuracy = (float)((double)n_ok / (double)batch);
    return GAN_OK;
undo:
    if (m->n_state)
        memcpy(m->state, snap, m->n_state * sizeof *snap);
    gan__free(g);
    return st;
}

gan_status gan_model_evaluate_classifier(gan_model *m, const gan_dataset *ds, size_t batch,
                                         float *loss, float *accuracy)
{
    gan_status st;
    size_t classes, in_e, n, n_ok = 0;
    size_t ndim;
    int dims[3];
    float *x;
    int32_t *lab;
    double sum = 0.0;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    if ((st = gan__classes(m, &classes, __func__)) != GAN_OK)
        return st;
    if (batch == 0)
        batch = 256;
    if (batch > GAN__MAX_BATCH)
        return gan__err(GAN_EINVAL, "gan_model_evaluate_classifier: batch %zu must be in 0..%zu",
                        batch, GAN__MAX_BATCH);
    gan_dataset_size(ds, &n);
    gan_dataset_shape(ds, &ndim, dims);
    in_e = gan__shape_elems(&m->in);
    {
        gan__shape s;
        char a[64], b[64];
        if (gan__shape_from_dims(ndim, dims, &s, __func__) != GAN_OK ||
            s.ndim != m->in.ndim || memcmp(s.d, m->in.d, sizeof(int) * (size_t)s.ndim) != 0)
            return gan__err(GAN_ESHAPE, "gan_model_evaluate_classifier: samples %s do not fit "
                            "the model's input %s", gan__shape_str(&s, a, sizeof a),
                            gan__shape_str(&m->in, b, sizeof b));
    }
    if (n == 0)
        return gan__err(GAN_EINVAL, "gan_model_evaluate_classifier: the dataset is empty");
    if (batch > n)
        batch = n;
    x = gan__malloc(batch * in_e * sizeof *x);
    lab = gan__malloc(batch * sizeof *lab);
    if (!x || !lab) {
        gan__free(x);
        gan__free(lab);
        return gan__err(GAN_ENOMEM, "gan_model_evaluate_classifier: out of memory");
    }
    for (size_t i0 = 0; i0 < n; i0 += batch) {
        size_t nb = n - i0 < batch ? n - i0 : batch, ok;
        for (size_t i = 0; i < nb; i++)
            if ((st = gan_dataset_get(ds, i0 + i, x + i * in_e, in_e, &lab[i])) != GAN_OK)
                goto out;
        for (size_t i = 0; i < nb; i++)
            if (lab[i] < 0 || (size_t)lab[i] >= classes) {
                st = gan__err(GAN_EINVAL, "gan_model_evaluate_classifier: sample %zu has label "
                              "%ld, expected 0..%zu (a dataset with labels)", i0 + i,
                              (long)lab[i], classes - 1);
                goto out;
            }
        if ((st = gan__model_forward(m, x, NULL, nb, GAN_MODE_INFER)) != GAN_OK)
            goto out;
        if (gan__has_nonfinite(m->act[m->n_layers], nb * classes)) {
            st = gan__err(GAN_ENUMERIC, "gan_model_evaluate_classifier: the logits contain NaN "
                          "or infinity");
            goto out;
        }
        sum += gan__sce(m->act[m->n_layers], nb, classes, lab, NULL, &ok) * (double)nb;
        n_ok += ok;
    }
    if (loss)
        *loss = (float)(sum / (double)n);
    if (accuracy)
        *accuracy = (float)((double)n_ok / (double)n);
    st = GAN_OK;
out:
    gan__free(x);
    gan__free(lab);
    return st;
}
