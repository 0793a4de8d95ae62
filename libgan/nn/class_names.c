/*
 * class_names.c -- the names of a conditional model's classes
 * (gan_model_set_class_names): kept as one block of n NUL-terminated
 * names, saved in model files and checkpoints (checkpoint/model_file.c),
 * copied with the model (the trainer's EMA generator).
 */
#include <string.h>

#include "nn/nn.h"

/* A name is 1..GAN_CLASS_NAME_MAX bytes without control characters (so it
   prints on one line and survives a file round trip). */
static gan_status check_name(const char *name, size_t k, const char *func)
{
    size_t len;
    if (name == NULL)
        return gan__err(GAN_EINVAL, "%s: name %zu is NULL", func, k);
    len = strlen(name);
    if (len == 0 || len > GAN_CLASS_NAME_MAX)
        return gan__err(GAN_EINVAL, "%s: name %zu has %zu bytes, not 1..%d", func, k, len,
                        GAN_CLASS_NAME_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return gan__err(GAN_EINVAL, "%s: name %zu has a control character (byte %zu, %#x)",
                            func, k, i, (unsigned)(unsigned char)name[i]);
    return GAN_OK;
}

/* Name k of the block (k < m->n_class_names). */
static const char *name_at(const gan_model *m, size_t k)
{
    const char *p = m->class_names;
    while (k--)
        p += strlen(p) + 1;
    return p;
}

gan_status gan__model_set_class_names(gan_model *m, const char *const *names, size_t n,
                                      const char *func)
{
    size_t total = 0;
    char *block, *p;
    gan_status st;
    if (n > 0 && names == NULL)
        return gan__err(GAN_EINVAL, "%s: names is NULL", func);
    if (n > 0 && n != (size_t)m->n_classes)
        return gan__err(GAN_EINVAL, "%s: %zu names for a model of %d classes%s", func, n,
                        m->n_classes, m->n_classes ? "" : " (not conditional)");
    for (size_t k = 0; k < n; k++) {
        if ((st = check_name(names[k], k, func)) != GAN_OK)
            return st;
        for (size_t j = 0; j < k; j++)
            if (strcmp(names[j], names[k]) == 0)
                return gan__err(GAN_EINVAL, "%s: names %zu and %zu are both '%s'", func, j, k,
                                names[k]);
        total += strlen(names[k]) + 1;
    }
    block = NULL;
    if (n > 0 && (block = gan__malloc(total)) == NULL)
        return gan__err(GAN_ENOMEM, "%s: out of memory for %zu class names", func, n);
    p = block;
    for (size_t k = 0; k < n; k++) {
        size_t len = strlen(names[k]) + 1;
        memcpy(p, names[k], len);
        p += len;
    }
    gan__free(m->class_names);
    m->class_names = block;
    m->class_names_bytes = total;
    m->n_class_names = n;
    return GAN_OK;
}

gan_status gan_model_set_class_names(gan_model *model, const char *const *names, size_t n)
{
    GAN__CHECK_HANDLE(model, GAN__MAGIC_MODEL, "gan_model");
    return gan__model_set_class_names(model, names, n, __func__);
}

gan_status gan_model_class_name_count(const gan_model *model, size_t *count)
{
    GAN__CHECK_HANDLE(model, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(count != NULL);
    *count = model->n_class_names;
    return GAN_OK;
}

gan_status gan_model_class_name(const gan_model *model, size_t k, char *buf, size_t cap,
                                size_t *needed)
{
    const char *name;
    size_t len;
    GAN__CHECK_HANDLE(model, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(buf != NULL || cap == 0);
    if (k >= model->n_class_names)
        return gan__err(GAN_EINVAL, "gan_model_class_name: class %zu of a model with %zu class "
                        "names", k, model->n_class_names);
    name = name_at(model, k);
    len = strlen(name);
    if (needed)
        *needed = len;
    if (cap) {
        size_t n = len < cap - 1 ? len : cap - 1;
        memcpy(buf, name, n);
        buf[n] = '\0';
    }
    return GAN_OK;
}

gan_status gan_model_class_from_name(const gan_model *model, const char *name, int *k)
{
    const char *p;
    GAN__CHECK_HANDLE(model, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(name != NULL);
    GAN__CHECK_ARG(k != NULL);
    p = model->class_names;
    for (size_t i = 0; i < model->n_class_names; i++, p += strlen(p) + 1)
        if (strcmp(p, name) == 0) {
            *k = (int)i;
            return GAN_OK;
        }
    if (model->n_class_names == 0)
        return gan__err(GAN_EINVAL, "gan_model_class_from_name: the model has no class names "
                        "(no class '%s')", name);
    return gan__err(GAN_EINVAL, "gan_model_class_from_name: no class named '%s' (the model's "
                    "%zu classes start with '%s')", name, model->n_class_names,
                    model->class_names);
}

gan_status gan__model_copy_class_names(gan_model *dst, const gan_model *src)
{
    if (src->n_class_names == 0)
        return GAN_OK;
    if ((dst->class_names = gan__malloc(src->class_names_bytes)) == NULL)
        return gan__err(GAN_ENOMEM, "out of memory for %zu class names", src->n_class_names);
    memcpy(dst->class_names, src->class_names, src->class_names_bytes);
    dst->class_names_bytes = src->class_names_bytes;
    dst->n_class_names = src->n_class_names;
    return GAN_OK;
}
