/*
 * checkpoint.c -- model files and training checkpoints.
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
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "dataset_internal.h"

#define GANC_MAGIC "GANC"
#define GANC_VERSION 1u
/* Required flags: a reader that does not know a set bit must refuse the
   file.  Files without the feature keep flags 0, so they stay readable by
   every version 1 reader. */
#define GANC_FLAG_SPECTRAL_NORM 1u  /* layer records may have flag bit 1 */
#define GANC_KNOWN_FLAGS GANC_FLAG_SPECTRAL_NORM
/* Layer record flags (the u32 after the kind). */
#define GANC_LAYER_TRAINABLE 1u
#define GANC_LAYER_SPECTRAL_NORM 2u
#define GANC_HEADER 32u
#define GANC_MAX_SECTIONS 64u
#define GANC_MAX_LAYERS 4096u
#define GANC_MAX_ARCH ((size_t)1 << 20)
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#  define GANC_MAX_RAW ((size_t)16 << 20)
#else
#  define GANC_MAX_RAW ((size_t)1 << 30)
#endif
#define GANC_ZLIB_LEVEL 1 /* floats barely compress; level 1 is ~5x faster than 6 for ~2% size */

enum { SEC_ARCH = 1, SEC_PARAMS = 2, SEC_STATE = 3, SEC_OPTIM = 4, SEC_TRAINER = 5, SEC_DATASET = 6,
       SEC_EMA = 7 };
static const char *const sec_names[] = {"?", "architecture", "parameters", "state",
                                        "optimizer", "trainer", "dataset", "generator EMA"};

/* ---- little-endian byte writer ----------------------------------------------- */

typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    int failed;
} wbuf;

static void wb_put(wbuf *b, const void *src, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        unsigned char *np;
        while (cap < b->len + n)
            cap *= 2;
        np = gan__realloc(b->p, cap);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void wb_u32(wbuf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    wb_put(b, c, 4);
}

static void wb_u64(wbuf *b, uint64_t v)
{
    wb_u32(b, (uint32_t)v);
    wb_u32(b, (uint32_t)(v >> 32));
}

static void wb_f32(wbuf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    wb_u32(b, v);
}

static void wb_floats(wbuf *b, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        wb_f32(b, x[i]);
}

static void wb_free(wbuf *b)
{
    gan__free(b->p);
    memset(b, 0, sizeof *b);
}

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const unsigned char *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* ---- little-endian byte reader over one inflated section ---------------------- */

typedef struct rbuf {
    const unsigned char *p;
    size_t len, off;
    const char *name;       /* file name for messages */
    const char *what;       /* section name */
    gan_status st;
} rbuf;

static int rb_need(rbuf *r, size_t n)
{
    if (r->st != GAN_OK)
        return 0;
    if (r->len - r->off < n) {
        r->st = gan__err(GAN_EFORMAT, "%s: %s section: truncated at byte %zu, %zu more expected",
                         r->name, r->what, r->off, n);
        return 0;
    }
    return 1;
}

static uint32_t rb_u32(rbuf *r)
{
    uint32_t v = 0;
    if (rb_need(r, 4)) {
        v = get_le32(r->p + r->off);
        r->off += 4;
    }
    return v;
}

static uint64_t rb_u64(rbuf *r)
{
    uint64_t v = 0;
    if (rb_need(r, 8)) {
        v = get_le64(r->p + r->off);
        r->off += 8;
    }
    return v;
}

static int32_t rb_i32(rbuf *r)
{
    uint32_t u = rb_u32(r);
    int32_t v;
    memcpy(&v, &u, 4);
    return v;
}

static float rb_f32(rbuf *r)
{
    uint32_t u = rb_u32(r);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* n floats into dst; GAN_ENUMERIC if any is not finite. */
static void rb_floats(rbuf *r, float *dst, size_t n)
{
    if (n > SIZE_MAX / 4 || !rb_need(r, n * 4))
        return;
    for (size_t i = 0; i < n; i++)
        dst[i] = rb_f32(r);
    if (gan__has_nonfinite(dst, n))
        r->st = gan__err(GAN_ENUMERIC, "%s: %s section holds NaN or infinite values", r->name, r->what);
}

static gan_status rb_end(rbuf *r)
{
    if (r->st == GAN_OK && r->off != r->len)
        r->st = gan__err(GAN_EFORMAT, "%s: %s section: %zu unexpected bytes after byte %zu", r->name,
                         r->what, r->len - r->off, r->off);
    return r->st;
}

/* ---- the container --------------------------------------------------------------- */

static gan_status put_section(wbuf *file, uint32_t type, uint32_t slot, const wbuf *raw)
{
    uLongf stored = compressBound((uLong)raw->len);
    unsigned char hdr[32], *z;
    if (raw->failed || file->failed)
        return gan__err(GAN_ENOMEM, "out of memory while encoding the %s section", sec_names[type]);
    z = gan__malloc(stored);
    if (!z)
        return gan__err(GAN_ENOMEM, "out of memory while compressing the %s section", sec_names[type]);
    if (compress2(z, &stored, raw->p ? raw->p : (const Bytef *)"", (uLong)raw->len, GANC_ZLIB_LEVEL) != Z_OK) {
        gan__free(z);
        return gan__err(GAN_EINTERNAL, "zlib failed to compress the %s section", sec_names[type]);
    }
    put_le32(hdr, type);
    put_le32(hdr + 4, slot);
    put_le32(hdr + 8, (uint32_t)raw->len);
    put_le32(hdr + 12, (uint32_t)((uint64_t)raw->len >> 32));
    put_le32(hdr + 16, (uint32_t)stored);
    put_le32(hdr + 20, (uint32_t)((uint64_t)stored >> 32));
    put_le32(hdr + 24, (uint32_t)crc32(0L, raw->p ? raw->p : (const Bytef *)"", (uInt)raw->len));
    put_le32(hdr + 28, (uint32_t)crc32(0L, hdr, 28));
    wb_put(file, hdr, 32);
    wb_put(file, z, stored);
    gan__free(z);
    return file->failed ? gan__err(GAN_ENOMEM, "out of memory while writing the file") : GAN_OK;
}

static void put_header(wbuf *file, uint32_t kind, uint32_t n_sections, uint32_t flags)
{
    unsigned char h[32];
    memcpy(h, GANC_MAGIC, 4);
    put_le32(h + 4, GANC_VERSION);
    put_le32(h + 8, flags);
    put_le32(h + 12, kind);
    put_le32(h + 16, (uint32_t)GAN_VERSION_NUMBER);
    put_le32(h + 20, n_sections);
    put_le32(h + 24, 0);
    put_le32(h + 28, (uint32_t)crc32(0L, h, 28));
    wb_put(file, h, 32);
}

typedef struct section {
    uint32_t type, slot;
    size_t offset;             /* of its header in the file */
    const unsigned char *stored;
    size_t stored_len, raw_len;
    uint32_t crc;
} section;

typedef struct container {
    const char *name;
    uint32_t kind, writer_version, n, flags;
    section sec[GANC_MAX_SECTIONS];
} container;

/* Does the CRC check apply?  Fuzzing builds skip it (as libpng does) so the
   fuzzer reaches the parsers behind it. */
static int crc_differs(uint32_t want, uint32_t got)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    (void)want;
    (void)got;
    return 0;
#else
    return want != got;
#endif
}

static gan_status parse_header(const unsigned char *b, size_t len, const char *name, container *c)
{
    uint32_t version, flags, crc;
    if (len < GANC_HEADER)
        return gan__err(GAN_EFORMAT, "%s: %zu bytes, too short for a libgan file (header is 32)", name, len);
    if (memcmp(b, GANC_MAGIC, 4) != 0)
        return gan__err(GAN_EFORMAT, "%s: offset 0: magic %02x %02x %02x %02x, expected \"GANC\" "
                        "(not a libgan model or checkpoint)", name, b[0], b[1], b[2], b[3]);
    crc = get_le32(b + 28);
    if (crc_differs(crc, (uint32_t)crc32(0L, b, 28)))
        return gan__err(GAN_EFORMAT, "%s: offset 28: header CRC32 %08x does not match its bytes (%08x)",
                        name, crc, (unsigned)crc32(0L, b, 28));
    version = get_le32(b + 4);
    flags = get_le32(b + 8);
    if (version == 0)
        return gan__err(GAN_EFORMAT, "%s: offset 4: format version 0 is invalid", name);
    if (version > GANC_VERSION || (flags & ~GANC_KNOWN_FLAGS) != 0)
        return gan__err(GAN_EVERSION, "%s: format version %u with flags %#x needs a newer libgan "
                        "(this one reads version %u with flags %#x)", name, version, flags,
                        GANC_VERSION, GANC_KNOWN_FLAGS);
    c->flags = flags;
    c->kind = get_le32(b + 12);
    if (c->kind != GAN_FILE_MODEL && c->kind != GAN_FILE_CHECKPOINT)
        return gan__err(GAN_EFORMAT, "%s: offset 12: file kind %u, expected 1 (model) or 2 (checkpoint)",
                        name, c->kind);
    c->writer_version = get_le32(b + 16);
    c->n = get_le32(b + 20);
    if (c->n < 1 || c->n > GANC_MAX_SECTIONS)
        return gan__err(GAN_EFORMAT, "%s: offset 20: %u sections, expected 1..%u", name, c->n,
                        GANC_MAX_SECTIONS);
    return GAN_OK;
}

static gan_status parse_container(const unsigned char *b, size_t len, const char *name, container *c)
{
    gan_status st;
    size_t off = GANC_HEADER;
    memset(c, 0, sizeof *c);
    c->name = name;
    if ((st = parse_header(b, len, name, c)) != GAN_OK)
        return st;
    for (uint32_t i = 0; i < c->n; i++) {
        section *s = &c->sec[i];
        uint64_t raw, stored;
        uint32_t hcrc;
        if (len - off < 32)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: section %u header truncated (%zu bytes left, "
                            "32 expected)", name, off, i, len - off);
        hcrc = get_le32(b + off + 28);
        if (crc_differs(hcrc, (uint32_t)crc32(0L, b + off, 28)))
            return gan__err(GAN_EFORMAT, "%s: offset %zu: section %u header CRC32 mismatch", name, off, i);
        s->type = get_le32(b + off);
        s->slot = get_le32(b + off + 4);
        raw = get_le64(b + off + 8);
        stored = get_le64(b + off + 16);
        s->crc = get_le32(b + off + 24);
        if (s->type < SEC_ARCH || s->type > SEC_EMA)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: unknown section type %u", name, off, s->type);
        if (s->slot > 1)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section slot %u, expected 0 or 1", name,
                            off + 4, sec_names[s->type], s->slot);
        if (raw > GANC_MAX_RAW)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section declares %llu bytes, more than the "
                            "%zu allowed", name, off + 8, sec_names[s->type], (unsigned long long)raw,
                            GANC_MAX_RAW);
        if (stored > len - off - 32)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section declares %llu stored bytes, only %zu "
                            "remain (truncated file?)", name, off + 16, sec_names[s->type],
                            (unsigned long long)stored, len - off - 32);
        for (uint32_t j = 0; j < i; j++)
            if (c->sec[j].type == s->type && c->sec[j].slot == s->slot)
                return gan__err(GAN_EFORMAT, "%s: offset %zu: second %s section for slot %u", name, off,
                                sec_names[s->type], s->slot);
        s->offset = off;
        s->stored = b + off + 32;
        s->stored_len = (size_t)stored;
        s->raw_len = (size_t)raw;
        off += 32 + (size_t)stored;
    }
    if (off != len)
        return gan__err(GAN_EFORMAT, "%s: offset %zu: %zu unexpected bytes after the last section", name,
                        off, len - off);
    return GAN_OK;
}

static const section *find_section(const container *c, uint32_t type, uint32_t slot)
{
    for (uint32_t i = 0; i < c->n; i++)
        if (c->sec[i].type == type && c->sec[i].slot == slot)
            return &c->sec[i];
    return NULL;
}

/* Inflate a section into *out (gan__malloc'ed, freed by the caller). */
static gan_status inflate_section(const container *c, const section *s, unsigned char **out)
{
    uLongf got = (uLongf)s->raw_len;
    unsigned char *raw;
    int zr;
    *out = NULL;
    raw = gan__malloc(s->raw_len ? s->raw_len : 1);
    if (!raw)
        return gan__err(GAN_ENOMEM, "%s: out of memory for the %zu-byte %s section", c->name, s->raw_len,
                        sec_names[s->type]);
    zr = uncompress(raw, &got, s->stored, (uLong)s->stored_len);
    if (zr != Z_OK || got != (uLongf)s->raw_len) {
        gan__free(raw);
        return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section does not inflate to its declared %zu "
                        "bytes (zlib: %s)", c->name, s->offset, sec_names[s->type], s->raw_len,
                        zr == Z_OK ? "wrong size" : zError(zr));
    }
    if (crc_differs(s->crc, (uint32_t)crc32(0L, raw, (uInt)s->raw_len))) {
        gan__free(raw);
        return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section CRC32 mismatch (corrupted data)",
                        c->name, s->offset, sec_names[s->type]);
    }
    *out = raw;
    return GAN_OK;
}

/* Inflate a required section into a reader.  *raw must be freed. */
static gan_status open_section(const container *c, uint32_t type, uint32_t slot, unsigned char **raw,
                               rbuf *r)
{
    const section *s = find_section(c, type, slot);
    gan_status st;
    *raw = NULL;
    if (!s)
        return gan__err(GAN_EFORMAT, "%s: the %s section%s is missing", c->name, sec_names[type],
                        slot ? " of the discriminator" : "");
    if ((st = inflate_section(c, s, raw)) != GAN_OK)
        return st;
    r->p = *raw;
    r->len = s->raw_len;
    r->off = 0;
    r->name = c->name;
    r->what = sec_names[type];
    r->st = GAN_OK;
    return GAN_OK;
}

/* ---- models -------------------------------------------------------------------- */

static void encode_shape(wbuf *b, const gan__shape *s)
{
    wb_u32(b, (uint32_t)s->ndim);
    for (int i = 0; i < 3; i++)
        wb_u32(b, (uint32_t)(i < s->ndim ? s->d[i] : 0));
}

static void encode_arch(wbuf *b, const gan_model *m)
{
    encode_shape(b, &m->in);
    wb_u32(b, (uint32_t)m->n_layers);
    for (size_t i = 0; i < m->n_layers; i++) {
        const gan__layer *l = &m->layers[i];
        wb_u32(b, (uint32_t)l->kind);
        wb_u32(b, (l->trainable ? GANC_LAYER_TRAINABLE : 0u) |
                      (l->spectral_norm ? GANC_LAYER_SPECTRAL_NORM : 0u));
        wb_u32(b, (uint32_t)l->use_bias);
        switch (l->kind) {
        case GAN_LAYER_DENSE:
            wb_u32(b, (uint32_t)l->u.dense.units);
            break;
        case GAN_LAYER_CONV2D:
        case GAN_LAYER_CONV2D_TRANSPOSE:
            wb_u32(b, (uint32_t)l->u.conv.filters);
            wb_u32(b, (uint32_t)l->u.conv.g.kh);
            wb_u32(b, (uint32_t)l->u.conv.g.kw);
            wb_u32(b, (uint32_t)l->u.conv.g.sh);
            wb_u32(b, (uint32_t)l->u.conv.g.sw);
            wb_u32(b, (uint32_t)l->u.conv.padding);
            break;
        case GAN_LAYER_BATCHNORM:
            wb_f32(b, l->u.bn.momentum);
            wb_f32(b, l->u.bn.epsilon);
            break;
        case GAN_LAYER_LEAKY_RELU:
            wb_f32(b, l->u.act.alpha);
            break;
        case GAN_LAYER_DROPOUT:
            wb_f32(b, l->u.drop.rate);
            break;
        case GAN_LAYER_RESHAPE:
            encode_shape(b, &l->out);
            break;
        case GAN_LAYER_MINIBATCH_DISCRIMINATION:
            wb_u32(b, (uint32_t)l->u.mbd.kernels);
            wb_u32(b, (uint32_t)l->u.mbd.dims);
            break;
        case GAN_LAYER_STYLE_INPUT:
            for (int k = 0; k < 3; k++)
                wb_u32(b, (uint32_t)l->out.d[k]);
            break;
        case GAN_LAYER_ADAIN:
            wb_f32(b, l->u.adain.epsilon);
            break;
        case GAN_LAYER_CLASS_EMBEDDING:
            wb_u32(b, (uint32_t)l->u.cls.classes);
            wb_u32(b, (uint32_t)l->u.cls.dim);
            break;
        case GAN_LAYER_CLASS_PROJECTION:
            wb_u32(b, (uint32_t)l->u.cls.classes);
            break;
        default:
            break;
        }
    }
}

static gan_status read_shape(rbuf *r, size_t *ndim, int dims[3])
{
    *ndim = rb_u32(r);
    for (int i = 0; i < 3; i++)
        dims[i] = rb_i32(r);
    return r->st;
}

/* The header flags a file holding model m needs. */
static uint32_t model_flags(const gan_model *m)
{
    for (size_t i = 0; i < m->n_layers; i++)
        if (m->layers[i].spectral_norm)
            return GANC_FLAG_SPECTRAL_NORM;
    return 0;
}

/* Rebuild a model from its architecture section with the builder calls;
   file_flags are the header's required flags. */
static gan_status decode_arch(rbuf *r, uint32_t file_flags, gan_model **out)
{
    gan_model *m = NULL;
    gan_status st;
    size_t ndim;
    int dims[3];
    uint32_t n;
    *out = NULL;
    if ((st = read_shape(r, &ndim, dims)) != GAN_OK)
        return st;
    if ((st = gan_model_create(&m, ndim, dims)) != GAN_OK) {
        gan__err_prefix("%s: architecture: input shape", r->name);
        return st == GAN_EINVAL ? GAN_EFORMAT : st;
    }
    n = rb_u32(r);
    if (r->st == GAN_OK && n > GANC_MAX_LAYERS)
        r->st = gan__err(GAN_EFORMAT, "%s: architecture: %u layers, at most %u allowed", r->name, n,
                         GANC_MAX_LAYERS);
    for (uint32_t i = 0; i < n && r->st == GAN_OK; i++) {
        uint32_t kind = rb_u32(r), lflags = rb_u32(r), use_bias = rb_u32(r);
        const uint32_t trainable = lflags & GANC_LAYER_TRAINABLE;
        const int sn = (lflags & GANC_LAYER_SPECTRAL_NORM) != 0;
        gan_dense_config dc;
        gan_conv2d_config cc;
        gan_batchnorm_config bc;
        gan_dense_config_init(&dc, sizeof dc);
        gan_conv2d_config_init(&cc, sizeof cc);
        gan_batchnorm_config_init(&bc, sizeof bc);
        if (r->st != GAN_OK)
            break;
        if (lflags > (GANC_LAYER_TRAINABLE | GANC_LAYER_SPECTRAL_NORM) || use_bias > 1) {
            r->st = gan__err(GAN_EFORMAT, "%s: architecture layer %u: flags %u/%u are not 0..3 and "
                             "0 or 1", r->name, i, lflags, use_bias);
            break;
        }
        if (sn && !(file_flags & GANC_FLAG_SPECTRAL_NORM)) {
            r->st = gan__err(GAN_EFORMAT, "%s: architecture layer %u: spectral normalisation in a "
                             "file without the header's flag %#x", r->name, i, GANC_FLAG_SPECTRAL_NORM);
            break;
        }
        if (sn && gan__sn_ops_for((gan_layer_kind)kind) == NULL) {
            r->st = gan__err(GAN_EFORMAT, "%s: architecture layer %u: spectral normalisation of a "
                             "layer of kind %u (only dense, conv2d and conv2d_transpose)", r->name, i,
                             kind);
            break;
        }
        dc.spectral_norm = sn;
        cc.spectral_norm = sn;
        switch (kind) {
        case GAN_LAYER_DENSE:
            dc.units = rb_i32(r);
            dc.use_bias = (int)use_bias;
            st = r->st ? r->st : gan_model_add_dense(m, &dc);
            break;
        case GAN_LAYER_CONV2D:
        case GAN_LAYER_CONV2D_TRANSPOSE:
            cc.filters = rb_i32(r);
            cc.kernel_h = rb_i32(r);
            cc.kernel_w = rb_i32(r);
            cc.stride_h = rb_i32(r);
            cc.stride_w = rb_i32(r);
            cc.padding = (gan_padding)rb_i32(r);
            cc.use_bias = (int)use_bias;
            st = r->st ? r->st
                       : kind == GAN_LAYER_CONV2D ? gan_model_add_conv2d(m, &cc)
                                                  : gan_model_add_conv2d_transpose(m, &cc);
            break;
        case GAN_LAYER_BATCHNORM:
            bc.momentum = rb_f32(r);
            bc.epsilon = rb_f32(r);
            st = r->st ? r->st : gan_model_add_batchnorm(m, &bc);
            break;
        case GAN_LAYER_LEAKY_RELU: {
            float a = rb_f32(r);
            st = r->st ? r->st : gan_model_add_leaky_relu(m, a);
            break;
        }
        case GAN_LAYER_RELU: st = gan_model_add_relu(m); break;
        case GAN_LAYER_TANH: st = gan_model_add_tanh(m); break;
        case GAN_LAYER_SIGMOID: st = gan_model_add_sigmoid(m); break;
        case GAN_LAYER_FLATTEN: st = gan_model_add_flatten(m); break;
        case GAN_LAYER_MINIBATCH_STDDEV: st = gan_model_add_minibatch_stddev(m); break;
        case GAN_LAYER_NOISE_INJECTION: st = gan_model_add_noise_injection(m); break;
        case GAN_LAYER_MINIBATCH_DISCRIMINATION: {
            int kn = rb_i32(r), kd = rb_i32(r);
            st = r->st ? r->st : gan_model_add_minibatch_discrimination(m, kn, kd);
            break;
        }
        case GAN_LAYER_STYLE_INPUT: {
            int h = rb_i32(r), w = rb_i32(r), c = rb_i32(r);
            st = r->st ? r->st : gan_model_add_style_input(m, h, w, c);
            break;
        }
        case GAN_LAYER_ADAIN: {
            float eps = rb_f32(r);
            st = r->st ? r->st : gan_model_add_adain(m, eps);
            break;
        }
        case GAN_LAYER_CLASS_EMBEDDING: {
            int classes = rb_i32(r), dim = rb_i32(r);
            st = r->st ? r->st : gan_model_add_class_embedding(m, classes, dim);
            break;
        }
        case GAN_LAYER_CLASS_PROJECTION: {
            int classes = rb_i32(r);
            if (r->st == GAN_OK && use_bias != 1)
                st = gan__err(GAN_EFORMAT, "class_projection with use_bias %u (always 1)", use_bias);
            else
                st = r->st ? r->st : gan_model_add_class_projection(m, classes);
            break;
        }
        case GAN_LAYER_DROPOUT: {
            float rate = rb_f32(r);
            st = r->st ? r->st : gan_model_add_dropout(m, rate);
            break;
        }
        case GAN_LAYER_RESHAPE:
            if ((st = read_shape(r, &ndim, dims)) == GAN_OK)
                st = gan_model_add_reshape(m, ndim, dims);
            break;
        default:
            st = gan__err(GAN_EFORMAT, "unknown layer kind %u", kind);
            break;
        }
        if (st == GAN_OK && !trainable)
            st = gan_model_set_trainable(m, i, 0);
        if (st != GAN_OK && r->st == GAN_OK) {
            gan__err_prefix("%s: architecture layer %u", r->name, i);
            r->st = st == GAN_EINVAL || st == GAN_ESHAPE ? GAN_EFORMAT : st;
        }
    }
    if ((st = rb_end(r)) != GAN_OK) {
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

/* Parameters and state (batchnorm statistics, spectral normalisation u) of
   model slot `slot` into m. */
static gan_status decode_weights(const container *c, uint32_t slot, gan_model *m)
{
    unsigned char *raw = NULL;
    rbuf r;
    gan_status st;
    if ((st = open_section(c, SEC_PARAMS, slot, &raw, &r)) != GAN_OK)
        return st;
    if (r.len != m->n_params * 4)
        st = gan__err(GAN_EFORMAT, "%s: parameters section has %zu bytes, the architecture needs %zu "
                      "(%zu floats)", c->name, r.len, m->n_params * 4, m->n_params);
    else {
        rb_floats(&r, m->params, m->n_params);
        st = rb_end(&r);
    }
    gan__free(raw);
    if (st != GAN_OK)
        return st;
    if ((st = open_section(c, SEC_STATE, slot, &raw, &r)) != GAN_OK)
        return st;
    if (r.len != m->n_state * 4)
        st = gan__err(GAN_EFORMAT, "%s: state section has %zu bytes, the architecture needs %zu",
                      c->name, r.len, m->n_state * 4);
    else {
        rb_floats(&r, m->state, m->n_state);
        st = rb_end(&r);
    }
    gan__free(raw);
    for (size_t i = 0; st == GAN_OK && i < m->n_layers; i++) {
        const gan__layer *l = &m->layers[i];
        if (l->n_state && gan__check_state(l, m->state + l->state_off) != GAN_OK) {
            gan__err_prefix("%s: layer %zu", c->name, i);
            st = GAN_EFORMAT;
        }
    }
    return st;
}

static gan_status load_model_slot(const container *c, uint32_t slot, gan_model **out)
{
    unsigned char *raw = NULL;
    rbuf r;
    gan_status st;
    gan_model *m = NULL;
    *out = NULL;
    if ((st = open_section(c, SEC_ARCH, slot, &raw, &r)) != GAN_OK)
        return st;
    if (r.len > GANC_MAX_ARCH)
        st = gan__err(GAN_EFORMAT, "%s: architecture section of %zu bytes exceeds %zu", c->name, r.len,
                      GANC_MAX_ARCH);
    else
        st = decode_arch(&r, c->flags, &m);
    gan__free(raw);
    if (st == GAN_OK && (st = decode_weights(c, slot, m)) != GAN_OK) {
        gan_model_free(m);
        m = NULL;
    }
    *out = m;
    return st;
}

static gan_status encode_model(wbuf *file, const gan_model *m, uint32_t slot)
{
    wbuf raw = {0};
    gan_status st;
    encode_arch(&raw, m);
    st = put_section(file, SEC_ARCH, slot, &raw);
    raw.len = 0;
    wb_floats(&raw, m->params, m->n_params);
    if (st == GAN_OK)
        st = put_section(file, SEC_PARAMS, slot, &raw);
    raw.len = 0;
    wb_floats(&raw, m->state, m->n_state);
    if (st == GAN_OK)
        st = put_section(file, SEC_STATE, slot, &raw);
    wb_free(&raw);
    return st;
}

gan_status gan_model_save_mem(const gan_model *m, void **buf, size_t *len)
{
    wbuf file = {0};
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(buf != NULL);
    GAN__CHECK_ARG(len != NULL);
    *buf = NULL;
    *len = 0;
    if (m->n_layers == 0)
        return gan__err(GAN_ESTATE, "gan_model_save: the model has no layers");
    put_header(&file, GAN_FILE_MODEL, 3, model_flags(m));
    if ((st = encode_model(&file, m, 0)) != GAN_OK) {
        wb_free(&file);
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

gan_status gan_model_load_mem(gan_model **out, const void *buf, size_t len)
{
    container c;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(buf != NULL || len == 0);
    if ((st = parse_container(buf, len, GAN__MEM_NAME, &c)) != GAN_OK)
        return st;
    if ((st = load_model_slot(&c, 0, out)) != GAN_OK)
        return st;
    gan__model_drop_grads(*out); /* an inference model carries no gradients */
    return GAN_OK;
}

gan_status gan_model_load(gan_model **out, const char *path)
{
    gan__blob b;
    container c;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(path != NULL);
    if ((st = gan__read_file(path, &b)) != GAN_OK)
        return st;
    if ((st = parse_container(b.data, b.len, path, &c)) == GAN_OK &&
        (st = load_model_slot(&c, 0, out)) == GAN_OK)
        gan__model_drop_grads(*out);
    gan__blob_free(&b);
    return st;
}

/* ---- optimizers, trainer, dataset position ------------------------------------------ */

static void encode_rng(wbuf *b, const gan__rng *r)
{
    for (int i = 0; i < 4; i++)
        wb_u64(b, r->s[i]);
    wb_u32(b, (uint32_t)r->has_spare);
    wb_f32(b, r->spare);
}

static void decode_rng(rbuf *r, gan__rng *g)
{
    for (int i = 0; i < 4; i++)
        g->s[i] = rb_u64(r);
    g->has_spare = (int)rb_u32(r);
    g->spare = rb_f32(r);
    if (r->st == GAN_OK && ((g->s[0] | g->s[1] | g->s[2] | g->s[3]) == 0 || g->has_spare > 1 ||
                            !isfinite(g->spare)))
        r->st = gan__err(GAN_EFORMAT, "%s: %s section: invalid random generator state", r->name, r->what);
}

static gan_status encode_optimizer(wbuf *file, const gan_optimizer *o, uint32_t slot)
{
    const gan_optimizer_config *c = gan__optimizer_config(o);
    wbuf raw = {0};
    size_t n = 0;
    uint64_t step = 0;
    float *state = NULL;
    gan_status st;
    gan_optimizer_state_size(o, &n);
    if (n && !(state = gan__malloc(n * sizeof(float))))
        return gan__err(GAN_ENOMEM, "out of memory while saving an optimizer");
    gan_optimizer_get_state(o, state, n, &step);
    wb_u32(&raw, (uint32_t)c->kind);
    wb_f32(&raw, c->lr);
    wb_f32(&raw, c->beta1);
    wb_f32(&raw, c->beta2);
    wb_f32(&raw, c->eps);
    wb_f32(&raw, c->rho);
    wb_f32(&raw, c->momentum);
    wb_u32(&raw, (uint32_t)c->nesterov);
    wb_f32(&raw, c->weight_decay);
    wb_u64(&raw, step);
    wb_u64(&raw, n);
    wb_floats(&raw, state, n);
    gan__free(state);
    st = put_section(file, SEC_OPTIM, slot, &raw);
    wb_free(&raw);
    return st;
}

/* An optimizer section, decoded but not applied. */
typedef struct opt_rec {
    gan_optimizer_config cfg;
    uint64_t step, n;
    float *state;              /* n floats, gan__malloc'ed */
} opt_rec;

static gan_status decode_optimizer(const container *c, uint32_t slot, size_t n_params, opt_rec *o)
{
    unsigned char *raw = NULL;
    rbuf r;
    gan_status st;
    memset(o, 0, sizeof *o);
    if ((st = open_section(c, SEC_OPTIM, slot, &raw, &r)) != GAN_OK)
        return st;
    gan_optimizer_config_init(&o->cfg, sizeof o->cfg);
    o->cfg.kind = (gan_optimizer_kind)rb_u32(&r);
    o->cfg.lr = rb_f32(&r);
    o->cfg.beta1 = rb_f32(&r);
    o->cfg.beta2 = rb_f32(&r);
    o->cfg.eps = rb_f32(&r);
    o->cfg.rho = rb_f32(&r);
    o->cfg.momentum = rb_f32(&r);
    o->cfg.nesterov = (int)rb_u32(&r);
    o->cfg.weight_decay = rb_f32(&r);
    o->step = rb_u64(&r);
    o->n = rb_u64(&r);
    if (r.st == GAN_OK && o->n != 0 && o->n != n_params && o->n != 2 * (uint64_t)n_params)
        r.st = gan__err(GAN_EFORMAT, "%s: optimizer %u holds %llu state values; the model has %zu "
                        "parameters", c->name, slot, (unsigned long long)o->n, n_params);
    if (r.st == GAN_OK && o->n) {
        o->state = gan__malloc((size_t)o->n * sizeof(float));
        if (!o->state)
            r.st = gan__err(GAN_ENOMEM, "%s: out of memory for optimizer state", c->name);
        else
            rb_floats(&r, o->state, (size_t)o->n);
    }
    st = rb_end(&r);
    gan__free(raw);
    if (st != GAN_OK) {
        gan__free(o->state);
        o->state = NULL;
    }
    return st;
}

static gan_status encode_trainer(wbuf *file, const gan_trainer *t, const gan_model *g, const gan_model *d)
{
    const gan_loss_config *lc = gan__loss_config(gan__trainer_loss(t));
    gan__trainer_state ts;
    wbuf raw = {0};
    gan_status st;
    gan__trainer_get_state(t, &ts);
    wb_u32(&raw, (uint32_t)ts.n_critic);
    wb_u64(&raw, ts.seed);
    wb_u64(&raw, ts.step);
    wb_u64(&raw, ts.epoch);
    encode_rng(&raw, &ts.rng);
    encode_rng(&raw, &g->rng);
    encode_rng(&raw, &d->rng);
    wb_u32(&raw, (uint32_t)lc->kind);
    wb_u32(&raw, (uint32_t)lc->generator_minimax);
    wb_f32(&raw, lc->real_label);
    wb_f32(&raw, lc->clip);
    wb_u32(&raw, (uint32_t)lc->feature_layer);
    wb_f32(&raw, lc->gradient_penalty);
    wb_f32(&raw, lc->r1_gamma);
    wb_f32(&raw, ts.ema_decay);
    st = put_section(file, SEC_TRAINER, 0, &raw);
    if (st == GAN_OK && ts.ema_decay > 0.0f) {
        size_t n;
        const float *ema = gan__trainer_ema(t, &n);
        raw.len = 0;
        wb_floats(&raw, ema, n);
        st = put_section(file, SEC_EMA, 0, &raw);
    }
    wb_free(&raw);
    return st;
}

typedef struct trainer_rec {
    gan__trainer_state ts;
    gan__rng g_rng, d_rng;
    gan_loss_config loss;
} trainer_rec;

static gan_status decode_trainer(const container *c, trainer_rec *t)
{
    unsigned char *raw = NULL;
    rbuf r;
    gan_status st;
    memset(t, 0, sizeof *t);
    if ((st = open_section(c, SEC_TRAINER, 0, &raw, &r)) != GAN_OK)
        return st;
    t->ts.n_critic = (int)rb_u32(&r);
    t->ts.seed = rb_u64(&r);
    t->ts.step = rb_u64(&r);
    t->ts.epoch = rb_u64(&r);
    decode_rng(&r, &t->ts.rng);
    decode_rng(&r, &t->g_rng);
    decode_rng(&r, &t->d_rng);
    gan_loss_config_init(&t->loss, sizeof t->loss);
    t->loss.kind = (gan_loss_kind)rb_u32(&r);
    t->loss.generator_minimax = (int)rb_u32(&r);
    t->loss.real_label = rb_f32(&r);
    t->loss.clip = rb_f32(&r);
    t->loss.feature_layer = rb_i32(&r);
    t->loss.gradient_penalty = rb_f32(&r);
    t->loss.r1_gamma = rb_f32(&r);
    t->ts.ema_decay = rb_f32(&r);
    st = rb_end(&r);
    if (st == GAN_OK && !(t->ts.ema_decay >= 0.0f && t->ts.ema_decay < 1.0f))
        st = gan__err(GAN_EFORMAT, "%s: trainer: ema_decay %g out of [0, 1)", c->name,
                      (double)t->ts.ema_decay);
    gan__free(raw);
    if (st == GAN_OK && (t->ts.n_critic < 1 || t->ts.n_critic > 1000))
        st = gan__err(GAN_EFORMAT, "%s: trainer: n_critic %d out of range", c->name, t->ts.n_critic);
    return st;
}

static gan_status encode_dataset(wbuf *file, const gan_dataset *ds)
{
    wbuf raw = {0};
    gan_status st;
    wb_u64(&raw, ds->cfg.batch_size);
    wb_u32(&raw, (uint32_t)ds->cfg.shuffle);
    wb_u32(&raw, (uint32_t)ds->cfg.drop_remainder);
    wb_u64(&raw, ds->cfg.seed);
    wb_u64(&raw, ds->n);
    wb_u64(&raw, ds->epoch);
    wb_u64(&raw, ds->pos);
    st = put_section(file, SEC_DATASET, 0, &raw);
    wb_free(&raw);
    return st;
}

typedef struct dataset_rec {
    int present;
    gan_batch_config cfg;
    uint64_t n, epoch, pos;
} dataset_rec;

static gan_status decode_dataset(const container *c, dataset_rec *d)
{
    unsigned char *raw = NULL;
    rbuf r;
    gan_status st;
    memset(d, 0, sizeof *d);
    if (!find_section(c, SEC_DATASET, 0))
        return GAN_OK;
    if ((st = open_section(c, SEC_DATASET, 0, &raw, &r)) != GAN_OK)
        return st;
    gan_batch_config_init(&d->cfg, sizeof d->cfg);
    d->cfg.batch_size = (size_t)rb_u64(&r);
    d->cfg.shuffle = (int)rb_u32(&r);
    d->cfg.drop_remainder = (int)rb_u32(&r);
    d->cfg.seed = rb_u64(&r);
    d->n = rb_u64(&r);
    d->epoch = rb_u64(&r);
    d->pos = rb_u64(&r);
    st = rb_end(&r);
    gan__free(raw);
    if (st == GAN_OK && (d->cfg.batch_size < 1 || d->cfg.batch_size > GAN__MAX_BATCH || d->pos > d->n))
        st = gan__err(GAN_EFORMAT, "%s: dataset position: batch %zu, position %llu of %llu is invalid",
                      c->name, d->cfg.batch_size, (unsigned long long)d->pos, (unsigned long long)d->n);
    d->present = st == GAN_OK;
    return st;
}

/* Check a dataset against a saved position (before anything changes). */
static gan_status check_dataset(const char *name, const dataset_rec *d, const gan_dataset *ds,
                                const gan_model *disc)
{
    char a[64], b[64];
    if (!ds || !d->present)
        return GAN_OK;
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    if (ds->n != d->n)
        return gan__err(GAN_ESHAPE, "%s: the checkpoint was saved with a dataset of %llu samples, this "
                        "one has %zu", name, (unsigned long long)d->n, ds->n);
    if (ds->shape.ndim != disc->in.ndim || memcmp(ds->shape.d, disc->in.d, sizeof ds->shape.d) != 0)
        return gan__err(GAN_ESHAPE, "%s: dataset samples %s do not fit the discriminator's input %s",
                        name, gan__shape_str(&ds->shape, a, sizeof a), gan__shape_str(&disc->in, b, sizeof b));
    return GAN_OK;
}

static void apply_dataset(const dataset_rec *d, gan_dataset *ds)
{
    if (!ds || !d->present)
        return;
    ds->cfg.batch_size = d->cfg.batch_size;
    ds->cfg.shuffle = d->cfg.shuffle;
    ds->cfg.drop_remainder = d->cfg.drop_remainder;
    ds->cfg.seed = d->cfg.seed;
    ds->epoch = (size_t)d->epoch;
    ds->pos = (size_t)d->pos;
    ds->perm_ready = 0; /* the order of an epoch is a function of (seed, epoch) */
}

gan_status gan_trainer_save_mem(const gan_trainer *t, const gan_dataset *ds, void **buf, size_t *len)
{
    wbuf file = {0};
    gan_model *g, *d;
    gan_optimizer *go, *dopt;
    gan_status st;
    GAN__CHECK_ARG(buf != NULL);
    GAN__CHECK_ARG(len != NULL);
    *buf = NULL;
    *len = 0;
    if ((st = gan_trainer_models(t, &g, &d, &go, &dopt)) != GAN_OK)
        return st;
    if (ds)
        GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    put_header(&file, GAN_FILE_CHECKPOINT, 6 + 3 + (ds ? 1 : 0) + (gan__trainer_ema(t, NULL) ? 1 : 0),
               model_flags(g) | model_flags(d));
    if ((st = encode_model(&file, g, 0)) == GAN_OK && (st = encode_model(&file, d, 1)) == GAN_OK &&
        (st = encode_optimizer(&file, go, 0)) == GAN_OK && (st = encode_optimizer(&file, dopt, 1)) == GAN_OK &&
        (st = encode_trainer(&file, t, g, d)) == GAN_OK && ds)
        st = encode_dataset(&file, ds);
    if (st != GAN_OK) {
        wb_free(&file);
        return st;
    }
    *buf = file.p;
    *len = file.len;
    return GAN_OK;
}

gan_status gan_trainer_save(const gan_trainer *t, const gan_dataset *ds, const char *path)
{
    void *buf;
    size_t len;
    gan_status st;
    GAN__CHECK_ARG(path != NULL);
    if ((st = gan_trainer_save_mem(t, ds, &buf, &len)) != GAN_OK)
        return st;
    st = gan__write_file_atomic(path, buf, len);
    gan__free(buf);
    return st;
}

/* The EMA section: present exactly when ema_decay > 0, one float per
   generator parameter. */
struct ckpt;
static gan_status decode_ema(const container *c, struct ckpt *k);

/* Everything a checkpoint holds, decoded and validated, nothing applied. */
typedef struct ckpt {
    gan_model *g, *d;
    opt_rec og, od;
    trainer_rec tr;
    dataset_rec ds;
    float *ema;                /* the generator's EMA weights, or NULL */
} ckpt;

static void ckpt_free(ckpt *k)
{
    gan_model_free(k->g);
    gan_model_free(k->d);
    gan__free(k->og.state);
    gan__free(k->od.state);
    gan__free(k->ema);
    memset(k, 0, sizeof *k);
}

static gan_status decode_ema(const container *c, ckpt *k)
{
    unsigned char *raw = NULL;
    rbuf r;
    gan_status st;
    const int has = find_section(c, SEC_EMA, 0) != NULL;
    if (has != (k->tr.ts.ema_decay > 0.0f))
        return gan__err(GAN_EFORMAT, "%s: ema_decay %g %s a generator EMA section", c->name,
                        (double)k->tr.ts.ema_decay, has ? "but" : "without");
    if (!has)
        return GAN_OK;
    if ((st = open_section(c, SEC_EMA, 0, &raw, &r)) != GAN_OK)
        return st;
    if (r.len != k->g->n_params * 4)
        st = gan__err(GAN_EFORMAT, "%s: generator EMA section has %zu bytes, the generator needs %zu",
                      c->name, r.len, k->g->n_params * 4);
    else if (!(k->ema = gan__malloc(k->g->n_params * sizeof(float) + 1)))
        st = gan__err(GAN_ENOMEM, "%s: out of memory for the generator EMA", c->name);
    else {
        rb_floats(&r, k->ema, k->g->n_params);
        st = rb_end(&r);
    }
    gan__free(raw);
    return st;
}

static gan_status ckpt_decode(const unsigned char *buf, size_t len, const char *name, ckpt *k)
{
    container c;
    gan_status st;
    memset(k, 0, sizeof *k);
    if ((st = parse_container(buf, len, name, &c)) != GAN_OK)
        return st;
    if (c.kind != GAN_FILE_CHECKPOINT)
        return gan__err(GAN_EFORMAT, "%s: a model file, not a training checkpoint (load it with "
                        "gan_model_load)", name);
    if ((st = load_model_slot(&c, 0, &k->g)) == GAN_OK && (st = load_model_slot(&c, 1, &k->d)) == GAN_OK &&
        (st = decode_optimizer(&c, 0, k->g->n_params, &k->og)) == GAN_OK &&
        (st = decode_optimizer(&c, 1, k->d->n_params, &k->od)) == GAN_OK &&
        (st = decode_trainer(&c, &k->tr)) == GAN_OK && (st = decode_dataset(&c, &k->ds)) == GAN_OK)
        st = decode_ema(&c, k);
    if (st != GAN_OK)
        ckpt_free(k);
    return st;
}

/* Make the live handles of a loaded checkpoint.  On error all are freed. */
static gan_status ckpt_build(ckpt *k, const char *name, gan_dataset *ds, gan_trainer **out)
{
    gan_optimizer *go = NULL, *dopt = NULL;
    gan_loss *loss = NULL;
    gan_trainer *t = NULL;
    gan_trainer_config tc;
    gan_status st;
    if ((st = check_dataset(name, &k->ds, ds, k->d)) != GAN_OK)
        return st;
    gan_trainer_config_init(&tc, sizeof tc);
    tc.n_critic = k->tr.ts.n_critic;
    tc.seed = k->tr.ts.seed;
    tc.ema_decay = k->tr.ts.ema_decay;
    if ((st = gan_optimizer_create(&go, k->g, &k->og.cfg)) != GAN_OK ||
        (st = gan_optimizer_set_state(go, k->og.state, (size_t)k->og.n, k->og.step)) != GAN_OK ||
        (st = gan_optimizer_create(&dopt, k->d, &k->od.cfg)) != GAN_OK ||
        (st = gan_optimizer_set_state(dopt, k->od.state, (size_t)k->od.n, k->od.step)) != GAN_OK ||
        (st = gan_loss_create(&loss, &k->tr.loss)) != GAN_OK ||
        (st = gan_trainer_create(&t, k->g, k->d, go, dopt, loss, &tc)) != GAN_OK) {
        gan__err_prefix("%s", name);
        gan_optimizer_free(go);
        gan_optimizer_free(dopt);
        gan_loss_free(loss);
        return st == GAN_EINVAL || st == GAN_ESHAPE ? GAN_EFORMAT : st;
    }
    gan__trainer_set_state(t, &k->tr.ts);
    if (k->ema)
        memcpy(gan__trainer_ema(t, NULL), k->ema, k->g->n_params * sizeof(float));
    k->g->rng = k->tr.g_rng;
    k->d->rng = k->tr.d_rng;
    gan__trainer_own_handles(t);
    k->g = k->d = NULL; /* owned by the trainer now */
    apply_dataset(&k->ds, ds);
    *out = t;
    return GAN_OK;
}

static gan_status trainer_load_buf(gan_trainer **out, gan_dataset *ds, const unsigned char *buf,
                                   size_t len, const char *name)
{
    ckpt k;
    gan_status st;
    if ((st = ckpt_decode(buf, len, name, &k)) != GAN_OK)
        return st;
    st = ckpt_build(&k, name, ds, out);
    ckpt_free(&k);
    return st;
}

gan_status gan_trainer_load_mem(gan_trainer **out, gan_dataset *ds, const void *buf, size_t len)
{
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(buf != NULL || len == 0);
    return trainer_load_buf(out, ds, buf, len, GAN__MEM_NAME);
}

gan_status gan_trainer_load(gan_trainer **out, gan_dataset *ds, const char *path)
{
    gan__blob b;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(path != NULL);
    if ((st = gan__read_file(path, &b)) != GAN_OK)
        return st;
    st = trainer_load_buf(out, ds, b.data, b.len, path);
    gan__blob_free(&b);
    return st;
}

/* Same architecture: layer kinds, shapes, parameter counts and spectral
   normalisation. */
static gan_status same_arch(const gan_model *a, const gan_model *b, const char *name, const char *which)
{
    char s1[64], s2[64];
    if (a->n_layers != b->n_layers || a->n_params != b->n_params || a->n_state != b->n_state)
        return gan__err(GAN_ESHAPE, "%s: the %s has %zu layers and %zu parameters, the checkpoint's %zu "
                        "and %zu", name, which, a->n_layers, a->n_params, b->n_layers, b->n_params);
    if (a->in.ndim != b->in.ndim || memcmp(a->in.d, b->in.d, sizeof a->in.d) != 0)
        return gan__err(GAN_ESHAPE, "%s: the %s's input is %s, the checkpoint's %s", name, which,
                        gan__shape_str(&a->in, s1, sizeof s1), gan__shape_str(&b->in, s2, sizeof s2));
    for (size_t i = 0; i < a->n_layers; i++) {
        const gan__layer *x = &a->layers[i], *y = &b->layers[i];
        if (x->kind != y->kind || x->n_params != y->n_params || x->out.ndim != y->out.ndim ||
            memcmp(x->out.d, y->out.d, sizeof x->out.d) != 0)
            return gan__err(GAN_ESHAPE, "%s: %s layer %zu is %s %s, the checkpoint's is %s %s", name, which,
                            i, x->ops->name, gan__shape_str(&x->out, s1, sizeof s1), y->ops->name,
                            gan__shape_str(&y->out, s2, sizeof s2));
        if (x->spectral_norm != y->spectral_norm || x->n_state != y->n_state)
            return gan__err(GAN_ESHAPE, "%s: %s layer %zu (%s): spectral normalisation is %s, in "
                            "the checkpoint %s", name, which, i, x->ops->name,
                            x->spectral_norm ? "on" : "off", y->spectral_norm ? "on" : "off");
    }
    return GAN_OK;
}

static gan_status same_optimizer(const gan_optimizer *o, const opt_rec *r, const char *name, const char *which)
{
    size_t n;
    gan_optimizer_state_size(o, &n);
    if (gan__optimizer_config(o)->kind != r->cfg.kind || n != r->n)
        return gan__err(GAN_ESHAPE, "%s: the %s optimizer is of another kind or size than the "
                        "checkpoint's", name, which);
    return GAN_OK;
}

gan_status gan_trainer_restore(gan_trainer *t, gan_dataset *ds, const char *path)
{
    gan__blob b;
    ckpt k;
    gan_model *g, *d;
    gan_optimizer *go, *dopt;
    gan_status st;
    if ((st = gan_trainer_models(t, &g, &d, &go, &dopt)) != GAN_OK)
        return st;
    GAN__CHECK_ARG(path != NULL);
    if ((st = gan__read_file(path, &b)) != GAN_OK)
        return st;
    st = ckpt_decode(b.data, b.len, path, &k);
    gan__blob_free(&b);
    if (st != GAN_OK)
        return st;
    /* Validate everything, then apply what cannot fail. */
    if ((st = same_arch(g, k.g, path, "generator")) != GAN_OK ||
        (st = same_arch(d, k.d, path, "discriminator")) != GAN_OK ||
        (st = same_optimizer(go, &k.og, path, "generator")) != GAN_OK ||
        (st = same_optimizer(dopt, &k.od, path, "discriminator")) != GAN_OK ||
        (st = check_dataset(path, &k.ds, ds, d)) != GAN_OK) {
        ckpt_free(&k);
        return st;
    }
    if ((gan__trainer_ema(t, NULL) != NULL) != (k.ema != NULL)) {
        st = gan__err(GAN_ESHAPE, "%s: the checkpoint %s a generator EMA, this trainer %s", path,
                      k.ema ? "has" : "has no", k.ema ? "keeps none" : "keeps one");
        ckpt_free(&k);
        return st;
    }
    memcpy(g->params, k.g->params, g->n_params * sizeof(float));
    memcpy(d->params, k.d->params, d->n_params * sizeof(float));
    if (g->n_state)
        memcpy(g->state, k.g->state, g->n_state * sizeof(float));
    if (d->n_state)
        memcpy(d->state, k.d->state, d->n_state * sizeof(float));
    gan_optimizer_set_state(go, k.og.state, (size_t)k.og.n, k.og.step);
    gan_optimizer_set_state(dopt, k.od.state, (size_t)k.od.n, k.od.step);
    gan_optimizer_set_lr(go, k.og.cfg.lr);
    gan_optimizer_set_lr(dopt, k.od.cfg.lr);
    gan__trainer_set_state(t, &k.tr.ts);
    if (k.ema)
        memcpy(gan__trainer_ema(t, NULL), k.ema, g->n_params * sizeof(float));
    g->rng = k.tr.g_rng;
    d->rng = k.tr.d_rng;
    apply_dataset(&k.ds, ds);
    ckpt_free(&k);
    return GAN_OK;
}

/* ---- inspection -------------------------------------------------------------------- */

gan_status gan_file_probe(const char *path, gan_file_kind *kind)
{
    unsigned char h[GANC_HEADER];
    container c;
    size_t got;
    FILE *f;
    gan_status st;
    GAN__CHECK_ARG(path != NULL);
    GAN__CHECK_ARG(kind != NULL);
    f = fopen(path, "rb");
    if (!f)
        return gan__err(GAN_EIO, "%s: cannot open: %s", path, strerror(errno));
    got = fread(h, 1, sizeof h, f);
    fclose(f);
    memset(&c, 0, sizeof c);
    if ((st = parse_header(h, got, path, &c)) != GAN_OK)
        return st;
    *kind = (gan_file_kind)c.kind;
    return GAN_OK;
}

typedef struct sbuf {
    char *buf;
    size_t cap, len;
} sbuf;

static void sb_add(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len < b->cap) {
        size_t room = b->cap - b->len - 1, k = n < room ? n : room;
        memcpy(b->buf + b->len, s, k);
        b->buf[b->len + k] = '\0';
    }
    b->len += n;
}

static void sb_model(sbuf *b, const char *title, const gan_model *m)
{
    size_t need = 0;
    char *text;
    sb_add(b, title);
    gan_model_summary(m, NULL, 0, &need);
    text = gan__malloc(need + 1);
    if (text) {
        gan_model_summary(m, text, need + 1, NULL);
        sb_add(b, text);
        gan__free(text);
    }
}

static const char *optim_name(gan_optimizer_kind k)
{
    return k == GAN_OPTIM_ADAM ? "adam" : k == GAN_OPTIM_RMSPROP ? "rmsprop" : "sgd";
}

gan_status gan_file_info(const char *path, char *buf, size_t cap, size_t *needed)
{
    gan__blob blob;
    container c;
    gan_status st;
    sbuf b;
    char line[512];
    GAN__CHECK_ARG(path != NULL);
    if (buf == NULL && cap != 0)
        return gan__err(GAN_EINVAL, "gan_file_info: buf is NULL but cap is %zu", cap);
    if ((st = gan__read_file(path, &blob)) != GAN_OK)
        return st;
    if ((st = parse_container(blob.data, blob.len, path, &c)) != GAN_OK) {
        gan__blob_free(&blob);
        return st;
    }
    b.buf = buf;
    b.cap = cap;
    b.len = 0;
    if (cap)
        buf[0] = '\0';
    snprintf(line, sizeof line, "%s: libgan %s, format version %u, %zu bytes, written by libgan %u.%u.%u\n",
             path, c.kind == GAN_FILE_MODEL ? "model file" : "training checkpoint", GANC_VERSION, blob.len,
             c.writer_version / 1000000, c.writer_version / 1000 % 1000, c.writer_version % 1000);
    sb_add(&b, line);
    if (c.kind == GAN_FILE_MODEL) {
        gan_model *m = NULL;
        if ((st = load_model_slot(&c, 0, &m)) == GAN_OK)
            sb_model(&b, "\n", m);
        gan_model_free(m);
    } else {
        ckpt k;
        if ((st = ckpt_decode(blob.data, blob.len, path, &k)) == GAN_OK) {
            snprintf(line, sizeof line, "step %llu, epoch %llu, n_critic %d, noise seed %llu, loss %s%s\n",
                     (unsigned long long)k.tr.ts.step, (unsigned long long)k.tr.ts.epoch, k.tr.ts.n_critic,
                     (unsigned long long)k.tr.ts.seed, gan_loss_kind_name(k.tr.loss.kind),
                     k.ema ? ", generator EMA kept" : "");
            sb_add(&b, line);
            snprintf(line, sizeof line, "optimizers: generator %s lr %g (step %llu), discriminator %s lr %g "
                     "(step %llu)\n", optim_name(k.og.cfg.kind), (double)k.og.cfg.lr,
                     (unsigned long long)k.og.step, optim_name(k.od.cfg.kind), (double)k.od.cfg.lr,
                     (unsigned long long)k.od.step);
            sb_add(&b, line);
            if (k.ds.present) {
                snprintf(line, sizeof line, "dataset: %llu samples, batch %zu, epoch %llu, position %llu\n",
                         (unsigned long long)k.ds.n, k.ds.cfg.batch_size, (unsigned long long)k.ds.epoch,
                         (unsigned long long)k.ds.pos);
                sb_add(&b, line);
            }
            sb_model(&b, "\nGenerator\n", k.g);
            sb_model(&b, "\nDiscriminator\n", k.d);
            ckpt_free(&k);
        }
    }
    gan__blob_free(&blob);
    if (st == GAN_OK && needed)
        *needed = b.len;
    return st;
}
