/*
 * sampler.c -- gan_sampler: drawing images from a generator, one context
 * per thread, and latent interpolation.
 *
 * A sampler owns a gan__infer_buf (activation, aux and workspace buffers
 * planned for its max_batch), a latent stream (xoshiro256** through the
 * library's Box-Muller normals, so drawing 100 vectors at once or as 64 +
 * 36 gives the same numbers) and two staging buffers: drawn latents and
 * float images for the u8 conversion.  It only reads the model (see
 * infer.c), so many samplers share one generator across threads.
 */
#include <math.h>

#include "nn/nn.h"

struct gan_sampler {
    uint32_t magic;
    const gan_model *model;
    gan__infer_buf buf;
    gan__rng rng;
    size_t latent, image;   /* floats per latent vector / per image */
    float *z;               /* (max_batch, latent): drawn latents */
    float *img;             /* (max_batch, image): floats before u8 */
    gan__busy busy;         /* set while a call writes the buffers above */
};

#define GAN__SAMPLER_HINT "use one sampler per thread"

#define GAN__SAMPLER_DEFAULT_BATCH 64

gan_status gan_sampler_create(gan_sampler **out, const gan_model *model, uint64_t seed,
                              size_t max_batch)
{
    gan_sampler *s;
    gan_status st;
    char sh[64];
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_HANDLE(model, GAN__MAGIC_MODEL, "gan_model");
    if (max_batch == 0)
        max_batch = GAN__SAMPLER_DEFAULT_BATCH;
    if (max_batch > GAN__MAX_BATCH)
        return gan__err(GAN_EINVAL, "%s: max_batch %zu must be in 0..%zu", __func__, max_batch,
                        GAN__MAX_BATCH);
    if (model->n_layers == 0)
        return gan__err(GAN_ESTATE, "%s: the model has no layers", __func__);
    if (model->in.ndim != 1)
        return gan__err(GAN_ESHAPE, "%s: the model's input %s is not a latent vector (ndim 1): "
                        "is it a generator?", __func__, gan__shape_str(&model->in, sh, sizeof sh));
    s = gan__calloc(1, sizeof *s);
    if (!s)
        return gan__err(GAN_ENOMEM, "%s: out of memory", __func__);
    if ((st = gan__infer_buf_init(&s->buf, model, max_batch)) != GAN_OK) {
        gan__free(s);
        gan__err_prefix("%s", __func__);
        return st;
    }
    s->model = model;
    s->latent = s->buf.in_elems;
    s->image = s->buf.out_elems;
    s->z = gan__aligned_alloc(max_batch * s->latent * sizeof(float));
    s->img = gan__aligned_alloc(max_batch * s->image * sizeof(float));
    if (!s->z || !s->img) {
        gan__aligned_free(s->z);
        gan__aligned_free(s->img);
        gan__infer_buf_free(&s->buf);
        gan__free(s);
        return gan__err(GAN_ENOMEM, "%s: out of memory for batch %zu", __func__, max_batch);
    }
    gan__rng_seed(&s->rng, seed);
    s->magic = GAN__MAGIC_SAMPLER;
    gan__handle_created();
    *out = s;
    return GAN_OK;
}

void gan_sampler_free(gan_sampler *s)
{
    if (s == NULL || s->magic != GAN__MAGIC_SAMPLER)
        return;
    gan__aligned_free(s->z);
    gan__aligned_free(s->img);
    gan__infer_buf_free(&s->buf);
    s->magic = GAN__MAGIC_DEAD;
    gan__free(s);
    gan__handle_freed();
}

gan_status gan_sampler_set_seed(gan_sampler *s, uint64_t seed)
{
    GAN__CHECK_HANDLE(s, GAN__MAGIC_SAMPLER, "gan_sampler");
    if (!gan__busy_enter(&s->busy))
        return gan__busy_err(__func__, "sampler", GAN__SAMPLER_HINT);
    gan__rng_seed(&s->rng, seed);
    gan__busy_leave(&s->busy);
    return GAN_OK;
}

gan_status gan_sampler_dims(const gan_sampler *s, size_t *latent, size_t *image)
{
    GAN__CHECK_HANDLE(s, GAN__MAGIC_SAMPLER, "gan_sampler");
    GAN__CHECK_ARG(latent != NULL || image != NULL);
    if (latent)
        *latent = s->latent;
    if (image)
        *image = s->image;
    return GAN_OK;
}

/* n * per with an overflow check; GAN_EINVAL naming `what` on overflow. */
static gan_status gan__count(size_t n, size_t per, size_t *out, const char *what,
                             const char *func)
{
    if (gan__mul_size(n, per, out) != 0)
        return gan__err(GAN_EINVAL, "%s: %zu %s of %zu floats overflow size_t", func, n, what,
                        per);
    return GAN_OK;
}

gan_status gan_sampler_latent(gan_sampler *s, size_t n, float *z, size_t z_count)
{
    size_t want;
    gan_status st;
    GAN__CHECK_HANDLE(s, GAN__MAGIC_SAMPLER, "gan_sampler");
    GAN__CHECK_ARG(z != NULL);
    GAN__CHECK_ARG(n > 0);
    if ((st = gan__count(n, s->latent, &want, "latent vectors", __func__)) != GAN_OK)
        return st;
    if (z_count != want)
        return gan__err(GAN_ESHAPE, "%s: z has %zu elements, expected %zu (%zu vectors x %zu)",
                        __func__, z_count, want, n, s->latent);
    if (!gan__busy_enter(&s->busy))
        return gan__busy_err(__func__, "sampler", GAN__SAMPLER_HINT);
    gan__rng_fill_normal(&s->rng, z, want);
    gan__busy_leave(&s->busy);
    return GAN_OK;
}

/*
 * Check the arguments of the generate calls: z (or NULL with z_count 0),
 * n >= 1, out != NULL with out_count == n * image, and labels: NULL exactly
 * when the model is unconditional (`labeled` says which call it is), else
 * n classes in range.
 */
static gan_status gan__check_generate(const gan_sampler *s, const float *z, size_t z_count,
                                      const int32_t *labels, int labeled, size_t n,
                                      const void *out, size_t out_count, const char *func)
{
    size_t zn, on;
    gan_status st;
    const int classes = s->model->n_classes;
    if (!labeled && classes)
        return gan__err(GAN_EINVAL, "%s: the generator is conditional (%d classes): pass the class "
                        "of each image with gan_sampler_generate_labeled", func, classes);
    if (labeled && !classes)
        return gan__err(GAN_EINVAL, "%s: the generator has no class layer and takes no labels; "
                        "use gan_sampler_generate", func);
    if (labeled && labels == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: labels is NULL", func);
    if (n == 0)
        return gan__err(GAN_EINVAL, "%s: invalid argument: n is 0", func);
    if (out == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: out is NULL", func);
    if ((st = gan__count(n, s->latent, &zn, "latent vectors", func)) != GAN_OK ||
        (st = gan__count(n, s->image, &on, "images", func)) != GAN_OK)
        return st;
    if (z == NULL && z_count != 0)
        return gan__err(GAN_EINVAL, "%s: z is NULL but z_count is %zu (pass 0 to draw the "
                        "latents from the sampler's stream)", func, z_count);
    if (z != NULL && z_count != zn)
        return gan__err(GAN_ESHAPE, "%s: z has %zu elements, expected %zu (%zu vectors x %zu)",
                        func, z_count, zn, n, s->latent);
    if (out_count != on)
        return gan__err(GAN_ESHAPE, "%s: out has room for %zu elements, expected %zu "
                        "(%zu images x %zu)", func, out_count, on, n, s->image);
    if (labeled)
        return gan__check_labels(labels, n, classes, func);
    return GAN_OK;
}

/* Generate images [n0, n0 + nb) (nb <= max_batch) into y. */
static gan_status gan__generate_chunk(gan_sampler *s, const float *z, const int32_t *labels,
                                      size_t n0, size_t nb, float *y)
{
    const float *zc;
    if (z) {
        zc = z + n0 * s->latent;
    } else {
        gan__rng_fill_normal(&s->rng, s->z, nb * s->latent);
        zc = s->z;
    }
    return gan__infer(s->model, &s->buf, zc, labels ? labels + n0 : NULL, nb, y);
}

static gan_status gan__generate(gan_sampler *s, const float *z, size_t z_count,
                                const int32_t *labels, int labeled, size_t n, float *out,
                                size_t out_count, const char *func)
{
    gan_status st;
    GAN__CHECK_HANDLE(s, GAN__MAGIC_SAMPLER, "gan_sampler");
    if ((st = gan__check_generate(s, z, z_count, labels, labeled, n, out, out_count, func)) != GAN_OK)
        return st;
    if (!gan__busy_enter(&s->busy))
        return gan__busy_err(func, "sampler", GAN__SAMPLER_HINT);
    for (size_t n0 = 0; n0 < n; n0 += s->buf.max_batch) {
        const size_t nb = n - n0 < s->buf.max_batch ? n - n0 : s->buf.max_batch;
        if ((st = gan__generate_chunk(s, z, labels, n0, nb, out + n0 * s->image)) != GAN_OK) {
            gan__err_prefix("%s", func);
            break;
        }
    }
    gan__busy_leave(&s->busy);
    return st;
}

gan_status gan_sampler_generate(gan_sampler *s, const float *z, size_t z_count, size_t n,
                                float *out, size_t out_count)
{
    return gan__generate(s, z, z_count, NULL, 0, n, out, out_count, __func__);
}

gan_status gan_sampler_generate_labeled(gan_sampler *s, const float *z, size_t z_count,
                                        const int32_t *labels, size_t n, float *out,
                                        size_t out_count)
{
    return gan__generate(s, z, z_count, labels, 1, n, out, out_count, __func__);
}

/* round((x + 1) * 127.5) clamped to 0..255; NaN gives 0. */
static uint8_t gan__to_u8(float x)
{
    float v = (x + 1.0f) * 127.5f;
    if (!(v > 0.0f))
        return 0;
    if (v >= 255.0f)
        return 255;
    return (uint8_t)roundf(v);
}

static gan_status gan__generate_u8(gan_sampler *s, const float *z, size_t z_count,
                                   const int32_t *labels, int labeled, size_t n, uint8_t *out,
                                   size_t out_count, const char *func)
{
    gan_status st;
    GAN__CHECK_HANDLE(s, GAN__MAGIC_SAMPLER, "gan_sampler");
    if ((st = gan__check_generate(s, z, z_count, labels, labeled, n, out, out_count, func)) != GAN_OK)
        return st;
    if (!gan__busy_enter(&s->busy))
        return gan__busy_err(func, "sampler", GAN__SAMPLER_HINT);
    for (size_t n0 = 0; n0 < n; n0 += s->buf.max_batch) {
        const size_t nb = n - n0 < s->buf.max_batch ? n - n0 : s->buf.max_batch;
        uint8_t *o = out + n0 * s->image;
        if ((st = gan__generate_chunk(s, z, labels, n0, nb, s->img)) != GAN_OK) {
            gan__err_prefix("%s", func);
            break;
        }
        for (size_t i = 0; i < nb * s->image; i++)
            o[i] = gan__to_u8(s->img[i]);
    }
    gan__busy_leave(&s->busy);
    return st;
}

gan_status gan_sampler_generate_u8(gan_sampler *s, const float *z, size_t z_count, size_t n,
                                   uint8_t *out, size_t out_count)
{
    return gan__generate_u8(s, z, z_count, NULL, 0, n, out, out_count, __func__);
}

gan_status gan_sampler_generate_labeled_u8(gan_sampler *s, const float *z, size_t z_count,
                                           const int32_t *labels, size_t n, uint8_t *out,
                                           size_t out_count)
{
    return gan__generate_u8(s, z, z_count, labels, 1, n, out, out_count, __func__);
}

/* ---- latent interpolation ------------------------------------------------------ */

gan_status gan_latent_interpolate(const float *z0, const float *z1, size_t dim, size_t steps,
                                  int spherical, float *out, size_t out_count)
{
    size_t want;
    double n0 = 0.0, n1 = 0.0, dot = 0.0, omega = 0.0, so = 0.0;
    int slerp;
    GAN__CHECK_ARG(z0 != NULL);
    GAN__CHECK_ARG(z1 != NULL);
    GAN__CHECK_ARG(out != NULL);
    GAN__CHECK_ARG(dim > 0);
    if (steps < 2)
        return gan__err(GAN_EINVAL, "%s: steps is %zu, must be at least 2 (z0 and z1)", __func__,
                        steps);
    if (gan__mul_size(steps, dim, &want) != 0)
        return gan__err(GAN_EINVAL, "%s: %zu steps of %zu floats overflow size_t", __func__,
                        steps, dim);
    if (out_count != want)
        return gan__err(GAN_ESHAPE, "%s: out has room for %zu elements, expected %zu "
                        "(%zu steps x %zu)", __func__, out_count, want, steps, dim);
    if (gan__has_nonfinite(z0, dim) || gan__has_nonfinite(z1, dim))
        return gan__err(GAN_ENUMERIC, "%s: z0 or z1 contains NaN or infinity", __func__);

    for (size_t i = 0; i < dim; i++) {
        n0 += (double)z0[i] * z0[i];
        n1 += (double)z1[i] * z1[i];
        dot += (double)z0[i] * z1[i];
    }
    n0 = sqrt(n0);
    n1 = sqrt(n1);
    /* Slerp between the directions u0 = z0/|z0|, u1 = z1/|z1| with the norm
       interpolated linearly; when either is ~0 or they are (anti)parallel
       the great circle is undefined or ill-conditioned: linear then. */
    slerp = spherical && n0 > 1e-12 && n1 > 1e-12;
    if (slerp) {
        double c = dot / (n0 * n1);
        if (c > 1.0)
            c = 1.0;
        if (c < -1.0)
            c = -1.0;
        omega = acos(c);
        so = sin(omega);
        slerp = so > 1e-6;
    }
    for (size_t k = 0; k < steps; k++) {
        float *o = out + k * dim;
        const double t = (double)k / (double)(steps - 1);
        if (k == 0 || k == steps - 1) {
            memcpy(o, k == 0 ? z0 : z1, dim * sizeof(float));
            continue;
        }
        if (slerp) {
            const double norm = (1.0 - t) * n0 + t * n1;
            const double a = sin((1.0 - t) * omega) / so * norm / n0;
            const double b = sin(t * omega) / so * norm / n1;
            for (size_t i = 0; i < dim; i++)
                o[i] = (float)(a * z0[i] + b * z1[i]);
        } else {
            for (size_t i = 0; i < dim; i++)
                o[i] = (float)((1.0 - t) * z0[i] + t * z1[i]);
        }
    }
    return GAN_OK;
}
