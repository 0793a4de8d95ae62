/*
 * loss.c -- adversarial losses on discriminator outputs, with gradients.
 *
 * The formulas are in gan.h.  Every loss is a batch mean, so each gradient
 * entry carries a 1/n factor.  BCE uses softplus written so that no
 * exponential of a positive number is taken:
 *   softplus(x) = max(x, 0) + log1p(exp(-|x|))
 *   d softplus(x) / dx = sigmoid(x)
 * which is exact and finite for every finite x.
 */
#include <math.h>
#include <stddef.h>

#include "train/train.h"

struct gan_loss {
    uint32_t magic;
    gan_loss_config cfg;
};

static double softplus(double x)
{
    return (x > 0.0 ? x : 0.0) + log1p(exp(-fabs(x)));
}

static double sigmoid(double x)
{
    if (x >= 0.0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

gan_status gan_loss_config_init(gan_loss_config *cfg, size_t size)
{
    return gan__config_read(&gan__loss_config_type, cfg, size, NULL, __func__);
}

const char *gan_loss_kind_name(gan_loss_kind kind)
{
    switch (kind) {
    case GAN_LOSS_BCE: return "bce";
    case GAN_LOSS_WASSERSTEIN: return "wasserstein";
    case GAN_LOSS_HINGE: return "hinge";
    case GAN_LOSS_LEAST_SQUARES: return "least-squares";
    case GAN_LOSS_FEATURE_MATCHING: return "feature-matching";
    }
    return NULL;
}

gan_status gan__loss_check_config(const gan_loss_config *cfg, const char *func)
{
    const gan_loss_config c = *cfg;
    if (gan_loss_kind_name(c.kind) == NULL)
        return gan__err(GAN_EINVAL, "%s: unknown loss kind %d", func, (int)c.kind);
    if (!(c.real_label > 0.0f && c.real_label <= 1.0f))
        return gan__err(GAN_EINVAL, "%s: real_label %g must be in (0, 1]", func, (double)c.real_label);
    if (!(c.clip >= 0.0f) || !isfinite(c.clip))
        return gan__err(GAN_EINVAL, "%s: clip %g must be finite and >= 0", func, (double)c.clip);
    if (c.clip > 0.0f && c.kind != GAN_LOSS_WASSERSTEIN)
        return gan__err(GAN_EINVAL, "%s: weight clipping is an option of the Wasserstein loss, not "
                        "of '%s'", func, gan_loss_kind_name(c.kind));
    if (!(c.gradient_penalty >= 0.0f) || !isfinite(c.gradient_penalty) || !(c.r1_gamma >= 0.0f) ||
        !isfinite(c.r1_gamma))
        return gan__err(GAN_EINVAL, "%s: gradient_penalty %g and r1_gamma %g must be finite and >= 0",
                        func, (double)c.gradient_penalty, (double)c.r1_gamma);
    if (!(c.class_weight >= 0.0f) || !isfinite(c.class_weight))
        return gan__err(GAN_EINVAL, "%s: class_weight %g must be finite and >= 0", func,
                        (double)c.class_weight);
    if (c.class_weight > 0.0f && c.kind == GAN_LOSS_FEATURE_MATCHING)
        return gan__err(GAN_EINVAL, "%s: class_weight (the auxiliary class loss) is not an "
                        "option of feature matching, whose generator loss reads a hidden layer",
                        func);
    if (c.feature_layer < -1)
        return gan__err(GAN_EINVAL, "%s: feature_layer %d must be >= -1", func, c.feature_layer);
    return GAN_OK;
}

gan_status gan_loss_create(gan_loss **out, const gan_loss_config *cfg)
{
    gan_loss *l;
    gan_loss_config c;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(cfg != NULL);
    if ((st = gan__config_read(&gan__loss_config_type, &c, sizeof c, cfg, __func__)) != GAN_OK ||
        (st = gan__loss_check_config(&c, __func__)) != GAN_OK)
        return st;
    l = gan__malloc(sizeof *l);
    if (!l)
        return gan__err(GAN_ENOMEM, "gan_loss_create: out of memory");
    l->magic = GAN__MAGIC_LOSS;
    l->cfg = c;
    gan__handle_created();
    *out = l;
    return GAN_OK;
}

void gan_loss_free(gan_loss *l)
{
    if (l == NULL || l->magic != GAN__MAGIC_LOSS)
        return;
    l->magic = GAN__MAGIC_DEAD;
    gan__free(l);
    gan__handle_freed();
}

gan_status gan_loss_kind_of(const gan_loss *l, gan_loss_kind *kind)
{
    GAN__CHECK_HANDLE(l, GAN__MAGIC_LOSS, "gan_loss");
    GAN__CHECK_ARG(kind != NULL);
    *kind = l->cfg.kind;
    return GAN_OK;
}

const gan_loss_config *gan__loss_config(const gan_loss *l)
{
    return &l->cfg;
}

static gan_status check_outputs(const float *x, size_t n, const char *what, const char *func)
{
    if (x == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: %s is NULL", func, what);
    if (n == 0)
        return gan__err(GAN_EINVAL, "%s: %s has no elements", func, what);
    if (gan__has_nonfinite(x, n))
        return gan__err(GAN_ENUMERIC, "%s: %s contains NaN or infinity", func, what);
    return GAN_OK;
}

/*
 * One side of a discriminator loss: sum over the batch of the per-sample
 * loss for `real` (1) or generated (0) samples, with its gradient scaled by
 * 1/n.  Returns the mean.
 */
double gan__loss_d_side(const gan_loss_config *c, const float *x, size_t n, int is_real, float *g)
{
    double sum = 0.0, inv = 1.0 / (double)n;
    const double t = c->real_label;
    for (size_t i = 0; i < n; i++) {
        double v = x[i], l, d;
        switch (c->kind) {
        case GAN_LOSS_BCE:
        case GAN_LOSS_FEATURE_MATCHING:
            if (is_real) {
                /* -t log s(v) - (1-t) log(1 - s(v)) */
                l = t * softplus(-v) + (1.0 - t) * softplus(v);
                d = sigmoid(v) - t;
            } else {
                l = softplus(v);
                d = sigmoid(v);
            }
            break;
        case GAN_LOSS_WASSERSTEIN:
            l = is_real ? -v : v;
            d = is_real ? -1.0 : 1.0;
            break;
        case GAN_LOSS_HINGE:
            if (is_real) {
                l = v < 1.0 ? 1.0 - v : 0.0;
                d = v < 1.0 ? -1.0 : 0.0;
            } else {
                l = v > -1.0 ? 1.0 + v : 0.0;
                d = v > -1.0 ? 1.0 : 0.0;
            }
            break;
        case GAN_LOSS_LEAST_SQUARES:
        default:
            if (is_real) {
                l = 0.5 * (v - 1.0) * (v - 1.0);
                d = v - 1.0;
            } else {
                l = 0.5 * v * v;
                d = v;
            }
            break;
        }
        sum += l;
        if (g)
            g[i] = (float)(d * inv);
    }
    return sum * inv;
}

gan_status gan_loss_discriminator(const gan_loss *l, const float *real, size_t n_real,
                                  const float *fake, size_t n_fake, float *value,
                                  float *d_real, float *d_fake)
{
    gan_status st;
    double v;
    GAN__CHECK_HANDLE(l, GAN__MAGIC_LOSS, "gan_loss");
    GAN__CHECK_ARG(value != NULL);
    if ((st = check_outputs(real, n_real, "real", __func__)) != GAN_OK ||
        (st = check_outputs(fake, n_fake, "fake", __func__)) != GAN_OK)
        return st;
    v = gan__loss_d_side(&l->cfg, real, n_real, 1, d_real) +
        gan__loss_d_side(&l->cfg, fake, n_fake, 0, d_fake);
    *value = (float)v;
    return GAN_OK;
}

double gan__loss_g(const gan_loss_config *c, const float *fake, size_t n, float *g)
{
    double sum = 0.0, inv = 1.0 / (double)n;
    for (size_t i = 0; i < n; i++) {
        double v = fake[i], lv, d;
        switch (c->kind) {
        case GAN_LOSS_BCE:
            if (c->generator_minimax) {
                lv = -softplus(v);      /* log(1 - sigmoid(v)) */
                d = -sigmoid(v);
            } else {
                lv = softplus(-v);      /* -log sigmoid(v) */
                d = sigmoid(v) - 1.0;
            }
            break;
        case GAN_LOSS_LEAST_SQUARES:
            lv = 0.5 * (v - 1.0) * (v - 1.0);
            d = v - 1.0;
            break;
        case GAN_LOSS_WASSERSTEIN:
        case GAN_LOSS_HINGE:
        default:
            lv = -v;
            d = -1.0;
            break;
        }
        sum += lv;
        if (g)
            g[i] = (float)(d * inv);
    }
    return sum * inv;
}

gan_status gan_loss_generator(const gan_loss *l, const float *fake, size_t n_fake, float *value,
                              float *d_fake)
{
    gan_status st;
    GAN__CHECK_HANDLE(l, GAN__MAGIC_LOSS, "gan_loss");
    GAN__CHECK_ARG(value != NULL);
    if (l->cfg.kind == GAN_LOSS_FEATURE_MATCHING)
        return gan__err(GAN_ESTATE, "gan_loss_generator: a feature-matching loss has no loss on "
                        "outputs; use gan_loss_feature_matching");
    if ((st = check_outputs(fake, n_fake, "fake", __func__)) != GAN_OK)
        return st;
    *value = (float)gan__loss_g(&l->cfg, fake, n_fake, d_fake);
    return GAN_OK;
}

/* Mean over the batch of an (n x dim) matrix, in double. */
void gan__batch_mean(const float *x, size_t n, size_t dim, double *mean)
{
    memset(mean, 0, dim * sizeof *mean);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < dim; j++)
            mean[j] += x[i * dim + j];
    for (size_t j = 0; j < dim; j++)
        mean[j] /= (double)n;
}

/*
 * || mu_r - mu_f ||^2 and its gradient: d / d fake[i][j] = -2 (mu_r - mu_f)_j / n_fake.
 * mean_real is given (the trainer computes it right after the real forward).
 */
float gan__feature_matching(const double *mean_real, const float *fake, size_t n_fake,
                            size_t dim, double *scratch, float *d_fake)
{
    double v = 0.0;
    gan__batch_mean(fake, n_fake, dim, scratch);
    for (size_t j = 0; j < dim; j++) {
        double diff = mean_real[j] - scratch[j];
        v += diff * diff;
        scratch[j] = -2.0 * diff / (double)n_fake;
    }
    if (d_fake)
        for (size_t i = 0; i < n_fake; i++)
            for (size_t j = 0; j < dim; j++)
                d_fake[i * dim + j] = (float)scratch[j];
    return (float)v;
}

gan_status gan_loss_feature_matching(const gan_loss *l, const float *real, size_t n_real,
                                     const float *fake, size_t n_fake, size_t dim, float *value,
                                     float *d_fake)
{
    gan_status st;
    double *mr, *scratch;
    size_t nr, nf;
    GAN__CHECK_HANDLE(l, GAN__MAGIC_LOSS, "gan_loss");
    GAN__CHECK_ARG(value != NULL);
    GAN__CHECK_ARG(dim > 0);
    if (gan__mul_size(n_real, dim, &nr) || gan__mul_size(n_fake, dim, &nf))
        return gan__err(GAN_EINVAL, "gan_loss_feature_matching: sizes overflow");
    if ((st = check_outputs(real, nr, "real features", __func__)) != GAN_OK ||
        (st = check_outputs(fake, nf, "fake features", __func__)) != GAN_OK)
        return st;
    mr = gan__calloc(2 * dim, sizeof *mr);
    if (!mr)
        return gan__err(GAN_ENOMEM, "gan_loss_feature_matching: out of memory");
    scratch = mr + dim;
    gan__batch_mean(real, n_real, dim, mr);
    *value = gan__feature_matching(mr, fake, n_fake, dim, scratch, d_fake);
    gan__free(mr);
    return GAN_OK;
}

/*
 * The auxiliary class loss (AC-GAN) on n rows of D's output, `width` floats
 * apart, whose columns 1..K are class logits z: the mean softmax cross-
 * entropy (the classifier's, overflow-free) times weight,
 *   L = weight / n * sum_i (logsumexp(z_i) - z_i[y_i])
 * and into the same columns of g (column 0 untouched)
 *   dL / dz_i = weight / n * (softmax(z_i) - onehot(y_i)).
 */
double gan__class_loss(float weight, const float *out, size_t width, size_t n,
                       const int32_t *y, float *g)
{
    const double scale = (double)weight / (double)n;
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        int correct;
        total += gan__sce_one(out + i * width + 1, width - 1, y[i], scale, g + i * width + 1,
                              &correct);
    }
    return scale * total;
}

gan_status gan_loss_class(const gan_loss *l, const float *out, size_t n, int n_classes,
                          const int32_t *labels, float *value, float *d_out)
{
    gan_status st;
    float *g;
    size_t width;
    GAN__CHECK_HANDLE(l, GAN__MAGIC_LOSS, "gan_loss");
    GAN__CHECK_ARG(value != NULL);
    GAN__CHECK_ARG(labels != NULL);
    if (n_classes < 1 || n_classes > 65536)
        return gan__err(GAN_EINVAL, "%s: n_classes %d must be in 1..65536", __func__, n_classes);
    width = 1 + (size_t)n_classes;
    if ((st = check_outputs(out, n * width, "out", __func__)) != GAN_OK ||
        (st = gan__check_labels(labels, n, n_classes, __func__)) != GAN_OK)
        return st;
    g = d_out ? d_out : gan__malloc(n * width * sizeof(float));
    if (g == NULL)
        return gan__err(GAN_ENOMEM, "%s: out of memory", __func__);
    *value = (float)gan__class_loss(l->cfg.class_weight, out, width, n, labels, g);
    for (size_t i = 0; i < n; i++)
        g[i * width] = 0.0f;
    if (d_out == NULL)
        gan__free(g);
    return GAN_OK;
}
