/*
 * model_file.c -- model files: a model's architecture, parameters and
 * state in the GANC container (io/container.c).
 *
 * The format (docs/checkpoint-format.md is the full specification):
 *
 *   header, 32 bytes, little-endian:
 *     0  "GANC"            4  u32 format version (1)
 *     8  u32 required flags (bit 0: spectral normalisation is used; an
 *        unknown bit means "too new")
 *    12  u32 kind (1 model, 2 checkpoint)
 *    16  u32 writer's library version number
 *    20  u32 section count (1..64)
 *    24  u32 reserved (0)    28  u32 CRC32 of bytes 0..27
 *   sections, each a 32-byte header and a zlib stream:
 *     0  u32 type   4  u32 slot (0 generator / the model, 1 discriminator)
 *     8  u64 raw size   16  u64 stored size
 *    24  u32 CRC32 of the raw bytes   28  u32 CRC32 of bytes 0..27
 *   and nothing after the last section.
 *
 * Every field is read byte by byte, every size is checked against caps and
 * against the bytes that remain before anything is allocated, and a stream
 * must inflate to exactly its declared size.  Architectures are rebuilt
 * through the public builder calls, so a file can describe nothing that
 * gan_model_add_* would refuse.  Writers produce identical bytes for
 * identical state (no timestamps, raw zlib at a fixed level), which is what
 * makes "resume is exact" testable by comparing files.
 */
#include <errno.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "checkpoint/checkpoint.h"

/* ---- models -------------------------------------------------------------------- */

/*
 * The architecture section: the input shape, the layer count, then one
 * record per layer: u32 kind, u32 flags (GAN__GANC_LAYER_*), u32 use_bias,
 * and the kind's own fields, which its ops encode and decode (nn/layers/).
 */
static void encode_arch(gan__wbuf *b, const gan_model *m)
{
    gan__wb_shape(b, &m->in);
    gan__wb_u32(b, (uint32_t)m->n_layers);
    for (size_t i = 0; i < m->n_layers; i++) {
        const gan__layer *l = &m->layers[i];
        gan__wb_u32(b, (uint32_t)l->kind);
        gan__wb_u32(b, (l->trainable ? GAN__GANC_LAYER_TRAINABLE : 0u) |
                      (l->spectral_norm ? GAN__GANC_LAYER_SPECTRAL_NORM : 0u) |
                      (l->equalized && l->kind == GAN_LAYER_DENSE ? GAN__GANC_LAYER_EQUALIZED : 0u));
        gan__wb_u32(b, (uint32_t)l->use_bias);
        if (l->ops->encode)
            l->ops->encode(b, l);
    }
}

/* The header flags a file holding model m needs. */
uint32_t gan__model_flags(const gan_model *m)
{
    uint32_t f = 0;
    for (size_t i = 0; i < m->n_layers; i++) {
        if (m->layers[i].spectral_norm)
            f |= GAN__GANC_FLAG_SPECTRAL_NORM;
        if (m->layers[i].equalized && m->layers[i].kind == GAN_LAYER_DENSE)
            f |= GAN__GANC_FLAG_EQUALIZED_LR;
    }
    return f;
}

/* One layer record after its kind, flags and use_bias words: the kind's
   fields, then the layer rebuilt by the kind's builder. */
static gan_status decode_layer(gan__rbuf *r, gan_model *m, uint32_t kind, int sn, int eq,
                               uint32_t use_bias)
{
    const gan__layer_ops *ops = gan__layer_ops_for((gan_layer_kind)kind);
    char func[64];
    gan__layer t;
    gan_status st;
    if (ops == NULL)
        return gan__err(GAN_EFORMAT, "unknown layer kind %u", kind);
    gan__layer_blank(&t, (gan_layer_kind)kind);
    t.spectral_norm = sn;
    t.equalized = eq;
    if (ops->decode && (st = ops->decode(r, use_bias, &t)) != GAN_OK)
        return st;
    if (r->st != GAN_OK)
        return r->st;
    /* Messages name the builder a program would have called. */
    snprintf(func, sizeof func, "gan_model_add_%s", ops->name);
    return ops->build(m, &t, func);
}

/* Rebuild a model from its architecture section with the builders;
   file_flags are the header's required flags. */
static gan_status decode_arch(gan__rbuf *r, uint32_t file_flags, gan_model **out)
{
    gan_model *m = NULL;
    gan_status st;
    size_t ndim;
    int dims[3];
    uint32_t n;
    *out = NULL;
    if ((st = gan__rb_shape(r, &ndim, dims)) != GAN_OK)
        return st;
    if ((st = gan_model_create(&m, ndim, dims)) != GAN_OK) {
        gan__err_prefix("%s: architecture: input shape", r->name);
        return st == GAN_EINVAL ? GAN_EFORMAT : st;
    }
    m->defer_arenas = 1;   /* layer counts only; decode_weights allocates */
    n = gan__rb_u32(r);
    if (r->st == GAN_OK && n > GAN__GANC_MAX_LAYERS)
        r->st = gan__err(GAN_EFORMAT, "%s: architecture: %u layers, at most %u allowed", r->name, n,
                         GAN__GANC_MAX_LAYERS);
    for (uint32_t i = 0; i < n && r->st == GAN_OK; i++) {
        uint32_t kind = gan__rb_u32(r), lflags = gan__rb_u32(r), use_bias = gan__rb_u32(r);
        const gan__layer_ops *ops = gan__layer_ops_for((gan_layer_kind)kind);
        const uint32_t trainable = lflags & GAN__GANC_LAYER_TRAINABLE;
        const int sn = (lflags & GAN__GANC_LAYER_SPECTRAL_NORM) != 0;
        const int eq = (lflags & GAN__GANC_LAYER_EQUALIZED) != 0;
        if (r->st != GAN_OK)
            break;
        if (lflags > (GAN__GANC_LAYER_TRAINABLE | GAN__GANC_LAYER_SPECTRAL_NORM |
                      GAN__GANC_LAYER_EQUALIZED) || use_bias > 1) {
            r->st = gan__err(GAN_EFORMAT, "%s: architecture layer %u: flags %u/%u are not 0..7 and "
                             "0 or 1", r->name, i, lflags, use_bias);
            break;
        }
        if (eq && (kind != GAN_LAYER_DENSE || !(file_flags & GAN__GANC_FLAG_EQUALIZED_LR))) {
            r->st = gan__err(GAN_EFORMAT, "%s: architecture layer %u: the equalised learning rate "
                             "flag on a layer of kind %u (only dense has it) or in a file without "
                             "the header's flag %#x", r->name, i, kind, GAN__GANC_FLAG_EQUALIZED_LR);
            break;
        }
        if (sn && !(file_flags & GAN__GANC_FLAG_SPECTRAL_NORM)) {
            r->st = gan__err(GAN_EFORMAT, "%s: architecture layer %u: spectral normalisation in a "
                             "file without the header's flag %#x", r->name, i, GAN__GANC_FLAG_SPECTRAL_NORM);
            break;
        }
        if (sn && (ops == NULL || ops->sn_dims == NULL)) {
            r->st = gan__err(GAN_EFORMAT, "%s: architecture layer %u: spectral normalisation of a "
                             "layer of kind %u (%s), which has no such option", r->name, i, kind,
                             ops ? ops->name : "unknown");
            break;
        }
        st = decode_layer(r, m, kind, sn, eq, use_bias);
        if (st == GAN_OK && !trainable)
            st = gan_model_set_trainable(m, i, 0);
        if (st != GAN_OK && r->st == GAN_OK) {
            gan__err_prefix("%s: architecture layer %u", r->name, i);
            r->st = st == GAN_EINVAL || st == GAN_ESHAPE ? GAN_EFORMAT : st;
        }
    }
    if ((st = gan__rb_end(r)) != GAN_OK) {
        gan_model_free(m);
        return st;
    }
    if (n == 0) {
        gan_model_free(m);
        return gan__err(GAN_EFORMAT, "%s: architecture has no layers", r->name);
    }
    *out = m;
    return GAN_OK;
}

/* The section (type, slot) exists and declares exactly n floats. */
static gan_status check_float_section(const gan__container *c, uint32_t type, uint32_t slot, size_t n,
                                      const gan__section **out)
{
    const gan__section *s = gan__find_section(c, type, slot);
    *out = s;
    if (!s)
        return gan__err(GAN_EFORMAT, "%s: the %s section%s is missing", c->name, gan__sec_names[type],
                        slot ? " of the discriminator" : "");
    if (n > SIZE_MAX / 4 || s->raw_len != n * 4)
        return gan__err(GAN_EFORMAT, "%s: %s section has %zu bytes, the architecture needs %zu "
                        "(%zu floats)", c->name, gan__sec_names[type], s->raw_len, n * 4, n);
    return GAN_OK;
}

/* A state section's bytes as they stream, to the layers' state checks. */
static gan_status state_chunk(void *ctx, size_t off, const unsigned char *p, size_t n)
{
    float v[1024];
    gan_status st;
    for (size_t i = 0; i + 4 <= n;) {
        size_t k = (n - i) / 4 < 1024 ? (n - i) / 4 : 1024;
        memcpy(v, p + i, k * 4);
        gan__floats_from_le(v, k);
        if ((st = gan__state_check_part(ctx, (off + i) / 4, v, k)) != GAN_OK)
            return st;
        i += k * 4;
    }
    return GAN_OK;
}

gan_status gan__check_model_weights(const gan__container *c, uint32_t slot, const gan_model *m)
{
    const gan__section *ps, *ss;
    gan__state_check sc;
    gan_status st;
    if ((st = check_float_section(c, GAN__SEC_PARAMS, slot, m->n_params, &ps)) != GAN_OK ||
        (st = check_float_section(c, GAN__SEC_STATE, slot, m->n_state, &ss)) != GAN_OK ||
        (st = gan__verify_section(c, ps, 0)) != GAN_OK)
        return st;
    gan__state_check_begin(&sc, m);
    if ((st = gan__verify_section_with(c, ss, 0, state_chunk, &sc)) == GAN_OK)
        st = gan__state_check_end(&sc);
    if (st == GAN_EINVAL) {   /* a layer's check: the message names the layer */
        gan__err_prefix("%s: %s%s", c->name, slot ? "discriminator " : "", "state");
        st = GAN_EFORMAT;
    }
    return st;
}

/* Parameters and state of model slot `slot` into m, whose layers were
   appended with defer_arenas and whose sections gan__check_model_weights
   accepted: only now are the arenas allocated and filled. */
static gan_status decode_weights(const gan__container *c, uint32_t slot, gan_model *m)
{
    const gan__section *ps = gan__find_section(c, GAN__SEC_PARAMS, slot),
                       *ss = gan__find_section(c, GAN__SEC_STATE, slot);
    gan_status st;
    if (!ps || !ss || ps->raw_len != m->n_params * 4 || ss->raw_len != m->n_state * 4)
        return gan__err(GAN_EFORMAT, "%s: the parameter and state sections were not checked", c->name);
    if ((st = gan__model_alloc_arenas(m)) != GAN_OK ||
        (st = gan__inflate_split(c, ps, NULL, 0, (unsigned char *)m->params)) != GAN_OK ||
        (st = gan__inflate_split(c, ss, NULL, 0, (unsigned char *)m->state)) != GAN_OK)
        return st;
    gan__floats_from_le(m->params, m->n_params);
    gan__floats_from_le(m->state, m->n_state);
    return GAN_OK;
}

/*
 * The class names section (optional, slot 0 or 1): u32 count, then per
 * name u32 length and its bytes (no NUL).  The count must be the model's
 * class count, each name what gan_model_set_class_names accepts; lengths
 * are checked against the bytes left before anything is copied.
 */
static gan_status decode_class_names(const gan__container *c, uint32_t slot, gan_model *m)
{
    unsigned char *raw = NULL;
    const char **names = NULL;
    char *text = NULL;
    gan__rbuf r;
    gan_status st;
    uint32_t n;
    size_t used = 0;
    if (gan__find_section(c, GAN__SEC_CLASSES, slot) == NULL)
        return GAN_OK;   /* no names (and every file written before them) */
    if ((st = gan__open_section(c, GAN__SEC_CLASSES, slot, &raw, &r)) != GAN_OK)
        return st;
    n = gan__rb_u32(&r);
    if (r.st == GAN_OK && (n == 0 || n != (uint32_t)m->n_classes))
        r.st = gan__err(GAN_EFORMAT, "%s: class names: %u names for a model of %d classes",
                        c->name, n, m->n_classes);
    /* The section is at most 1 MiB: names and text fit in its size. */
    if (r.st == GAN_OK && ((names = gan__calloc(n, sizeof *names)) == NULL ||
                           (text = gan__malloc(r.len)) == NULL))
        r.st = gan__err(GAN_ENOMEM, "out of memory for %u class names", n);
    for (uint32_t k = 0; k < n && r.st == GAN_OK; k++) {
        uint32_t len = gan__rb_u32(&r);
        if (r.st != GAN_OK)
            break;
        if (len == 0 || len > GAN_CLASS_NAME_MAX) {
            r.st = gan__err(GAN_EFORMAT, "%s: class names: offset %zu: name %u has length %u, "
                            "not 1..%d", c->name, r.off - 4, k, len, GAN_CLASS_NAME_MAX);
            break;
        }
        if (!gan__rb_need(&r, len))
            break;
        memcpy(text + used, r.p + r.off, len);
        text[used + len] = '\0';
        if (memchr(text + used, '\0', len) != NULL) {
            r.st = gan__err(GAN_EFORMAT, "%s: class names: offset %zu: name %u holds a NUL",
                            c->name, r.off, k);
            break;
        }
        names[k] = text + used;
        used += len + 1;
        r.off += len;
    }
    if ((st = gan__rb_end(&r)) == GAN_OK) {
        st = gan__model_set_class_names(m, names, n, "class names");
        if (st == GAN_EINVAL) {
            gan__err_prefix("%s", c->name);
            st = GAN_EFORMAT;
        }
    }
    gan__free(names);
    gan__free(text);
    gan__free(raw);
    return st;
}

gan_status gan__load_model_arch(const gan__container *c, uint32_t slot, gan_model **out)
{
    unsigned char *raw = NULL;
    gan__rbuf r;
    gan_status st;
    *out = NULL;
    /* gan__open_section refuses an architecture over GAN__GANC_MAX_ARCH
       before inflating it. */
    if ((st = gan__open_section(c, GAN__SEC_ARCH, slot, &raw, &r)) != GAN_OK)
        return st;
    st = decode_arch(&r, c->flags, out);
    gan__free(raw);
    if (st == GAN_OK && (st = decode_class_names(c, slot, *out)) != GAN_OK) {
        gan_model_free(*out);
        *out = NULL;
    }
    return st;
}

gan_status gan__load_model_weights(const gan__container *c, uint32_t slot, gan_model **m)
{
    gan_status st = decode_weights(c, slot, *m);
    if (st != GAN_OK) {
        gan_model_free(*m);
        *m = NULL;
    }
    return st;
}

gan_status gan__load_model_slot(const gan__container *c, uint32_t slot, gan_model **out)
{
    gan_status st;
    if ((st = gan__load_model_arch(c, slot, out)) != GAN_OK)
        return st;
    if ((st = gan__check_model_weights(c, slot, *out)) != GAN_OK) {
        gan_model_free(*out);
        *out = NULL;
        return st;
    }
    return gan__load_model_weights(c, slot, out);
}

uint32_t gan__model_sections(const gan_model *m)
{
    return m->n_class_names ? 4u : 3u;
}

gan_status gan__encode_model(gan__wbuf *file, const gan_model *m, uint32_t slot)
{
    gan__wbuf raw = {0};
    gan_status st;
    encode_arch(&raw, m);
    st = gan__put_section(file, GAN__SEC_ARCH, slot, &raw);
    raw.len = 0;
    gan__wb_floats(&raw, m->params, m->n_params);
    if (st == GAN_OK)
        st = gan__put_section(file, GAN__SEC_PARAMS, slot, &raw);
    raw.len = 0;
    gan__wb_floats(&raw, m->state, m->n_state);
    if (st == GAN_OK)
        st = gan__put_section(file, GAN__SEC_STATE, slot, &raw);
    if (m->n_class_names) {
        const char *p = m->class_names;
        raw.len = 0;
        gan__wb_u32(&raw, (uint32_t)m->n_class_names);
        for (size_t k = 0; k < m->n_class_names; k++, p += strlen(p) + 1) {
            gan__wb_u32(&raw, (uint32_t)strlen(p));
            gan__wb_put(&raw, p, strlen(p));
        }
        if (st == GAN_OK)
            st = gan__put_section(file, GAN__SEC_CLASSES, slot, &raw);
    }
    gan__wb_free(&raw);
    return st;
}

gan_status gan_model_save_mem(const gan_model *m, void **buf, size_t *len)
{
    gan__wbuf file = {0};
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(buf != NULL);
    GAN__CHECK_ARG(len != NULL);
    *buf = NULL;
    *len = 0;
    if (m->n_layers == 0)
        return gan__err(GAN_ESTATE, "gan_model_save: the model has no layers");
    gan__put_header(&file, GAN_FILE_MODEL, gan__model_sections(m), gan__model_flags(m));
    if ((st = gan__encode_model(&file, m, 0)) != GAN_OK) {
        gan__wb_free(&file);
        return st;
    }
    *buf = file.p;
    *len = file.len;
    return GAN_OK;
}

gan_status gan_model_save(const gan_model *m, const char *path)
{
    void *buf;
    size_t len;
    gan_status st;
    GAN__CHECK_ARG(path != NULL);
    if ((st = gan_model_save_mem(m, &buf, &len)) != GAN_OK)
        return st;
    st = gan__write_file_atomic(path, buf, len);
    gan__free(buf);
    return st;
}

/* A model read from a training checkpoint uses the generator's sections
   only; the others (discriminator, optimizers, trainer, dataset, EMA) are
   still checked, streaming and without keeping their bytes (size, CRC32),
   so a damaged checkpoint is refused whichever part is read. */
static gan_status verify_unused_sections(const gan__container *c)
{
    gan_status st;
    if (c->kind != GAN_FILE_CHECKPOINT)
        return GAN_OK;
    for (uint32_t i = 0; i < c->n; i++) {
        const gan__section *s = &c->sec[i];
        if (s->slot == 0 && (s->type == GAN__SEC_ARCH || s->type == GAN__SEC_PARAMS ||
                             s->type == GAN__SEC_STATE || s->type == GAN__SEC_CLASSES))
            continue;
        if ((st = gan__verify_section(c, s, SIZE_MAX)) != GAN_OK)
            return st;
    }
    return GAN_OK;
}

gan_status gan_model_load_mem(gan_model **out, const void *buf, size_t len)
{
    gan__container c;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(buf != NULL || len == 0);
    if ((st = gan__parse_container(buf, len, GAN__MEM_NAME, &c)) != GAN_OK ||
        (st = verify_unused_sections(&c)) != GAN_OK)
        return st;
    if ((st = gan__load_model_slot(&c, 0, out)) != GAN_OK)
        return st;
    gan__model_drop_grads(*out); /* an inference model carries no gradients */
    return GAN_OK;
}

gan_status gan_model_load(gan_model **out, const char *path)
{
    gan__blob b;
    gan__container c;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(path != NULL);
    if ((st = gan__read_file(path, &b)) != GAN_OK)
        return st;
    if ((st = gan__parse_container(b.data, b.len, path, &c)) == GAN_OK &&
        (st = verify_unused_sections(&c)) == GAN_OK &&
        (st = gan__load_model_slot(&c, 0, out)) == GAN_OK)
        gan__model_drop_grads(*out);
    gan__blob_free(&b);
    return st;
}

