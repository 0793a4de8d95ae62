/*
 * dataset_idx.c -- MNIST-format IDX files (MNIST, Fashion-MNIST), raw or
 * gzip-compressed, from paths or memory.
 *
 * IDX layout (big-endian, http://yann.lecun.com/exdb/mnist/):
 *   offset 0   two zero bytes
 *   offset 2   type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
 *              0x0D float32, 0x0E float64
 *   offset 3   number of dimensions (1..4 here)
 *   offset 4   one u32 per dimension, each >= 1
 *   then       prod(dims) elements, and nothing after them.
 *
 * The header is parsed for every type code, so the length check is right
 * for all of them; only uint8 files are accepted as images or labels (the
 * others give GAN_EUNSUPPORTED).  Images have 3 dims (n, h, w) -> samples
 * (h, w, 1) or 4 dims (n, h, w, c); labels have 1 dim (n).  Everything is
 * checked before the float array is allocated.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "data/data.h"

typedef struct gan__idx_hdr {
    unsigned type;          /* type code */
    size_t esize;           /* bytes per element */
    unsigned ndim;
    size_t dims[4];
    size_t count;           /* prod(dims) */
    size_t data_off;        /* 4 + 4 * ndim */
} gan__idx_hdr;

static const char *gan__idx_type_name(unsigned type, size_t *esize)
{
    switch (type) {
    case 0x08: *esize = 1; return "uint8";
    case 0x09: *esize = 1; return "int8";
    case 0x0B: *esize = 2; return "int16";
    case 0x0C: *esize = 4; return "int32";
    case 0x0D: *esize = 4; return "float32";
    case 0x0E: *esize = 8; return "float64";
    default: *esize = 0; return NULL;
    }
}

enum { GAN__IDX_IMAGES = 0, GAN__IDX_LABELS = 1 };

static const char *gan__idx_expected(int role)
{
    return role == GAN__IDX_IMAGES
               ? "expected 0x00000803 (uint8, 3 dims) or 0x00000804 (uint8, 4 dims: images)"
               : "expected 0x00000801 (uint8, 1 dim: labels)";
}

static uint32_t gan__be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Parse and validate the header of any IDX file against the buffer length. */
static gan_status gan__idx_parse(const unsigned char *b, size_t len, const char *name, int role,
                                 gan__idx_hdr *h)
{
    size_t total;
    const char *tname;
    memset(h, 0, sizeof *h);
    if (len < 4)
        return gan__err(GAN_EFORMAT, "%s: offset %zu: file ends after %zu bytes, inside the IDX "
                        "magic; %s", name, len, len, gan__idx_expected(role));
    if (b[0] != 0 || b[1] != 0)
        return gan__err(GAN_EFORMAT, "%s: offset 0: bad IDX magic 0x%08lx, %s", name,
                        (unsigned long)gan__be32(b), gan__idx_expected(role));
    h->type = b[2];
    h->ndim = b[3];
    tname = gan__idx_type_name(h->type, &h->esize);
    if (!tname)
        return gan__err(GAN_EFORMAT, "%s: offset 2: unknown IDX type code 0x%02x, expected 0x08 "
                        "(uint8), 0x09, 0x0B, 0x0C, 0x0D or 0x0E", name, h->type);
    if (h->ndim < 1 || h->ndim > 4)
        return gan__err(GAN_EFORMAT, "%s: offset 3: IDX dimension count %u, expected 1..4 "
                        "(magic 0x%08lx; %s)", name, h->ndim, (unsigned long)gan__be32(b),
                        gan__idx_expected(role));
    h->data_off = 4 + 4 * (size_t)h->ndim;
    if (len < h->data_off)
        return gan__err(GAN_EFORMAT, "%s: offset %zu: file ends inside the IDX header, expected "
                        "%zu header bytes for %u dimensions", name, len, h->data_off, h->ndim);
    h->count = 1;
    for (unsigned i = 0; i < h->ndim; i++) {
        h->dims[i] = gan__be32(b + 4 + 4 * i);
        if (h->dims[i] == 0)
            return gan__err(GAN_EFORMAT, "%s: offset %u: IDX dimension %u is 0, expected at "
                            "least 1", name, 4 + 4 * i, i);
        if (gan__mul_size(h->count, h->dims[i], &h->count) != 0)
            return gan__err(GAN_EFORMAT, "%s: offset %u: IDX dimensions overflow the element "
                            "count", name, 4 + 4 * i);
    }
    if (gan__mul_size(h->count, h->esize, &total) != 0 ||
        __builtin_add_overflow(total, h->data_off, &total))
        return gan__err(GAN_EFORMAT, "%s: offset 4: IDX dimensions overflow the data size", name);
    if (len < total)
        return gan__err(GAN_EFORMAT, "%s: offset %zu: data truncated: the header declares %zu "
                        "%s elements (%zu bytes in all), the data has %zu bytes", name, len,
                        h->count, tname, total, len);
    if (len > total)
        return gan__err(GAN_EFORMAT, "%s: offset %zu: %zu bytes of trailing data after the %zu "
                        "bytes the header declares, expected end of file", name, total,
                        len - total, total);
    /* A well-formed IDX file: now what this loader can use. */
    if (role == GAN__IDX_IMAGES ? (h->ndim != 3 && h->ndim != 4) : h->ndim != 1)
        return gan__err(GAN_EFORMAT, "%s: offset 0: bad IDX magic 0x%08lx, %s", name,
                        (unsigned long)gan__be32(b), gan__idx_expected(role));
    if (h->type != 0x08)
        return gan__err(GAN_EUNSUPPORTED, "%s: offset 2: IDX type code 0x%02x (%s) is not "
                        "supported for %s, expected 0x08 (uint8)", name, h->type, tname,
                        role == GAN__IDX_IMAGES ? "images" : "labels");
    return GAN_OK;
}

gan_status gan__idx_load(gan_dataset **out, gan__blob *images, const char *images_name,
                         gan__blob *labels, const char *labels_name, const char *func)
{
    gan__idx_hdr hi, hl;
    gan__shape shape;
    size_t n, elems, total;
    float *x;
    int32_t *lb = NULL;
    float t[256];
    gan_status st;

    if ((st = gan__maybe_gunzip(images, images_name)) != GAN_OK ||
        (st = gan__idx_parse(images->data, images->len, images_name, GAN__IDX_IMAGES, &hi)) != GAN_OK)
        return st;
    n = hi.dims[0];
    shape.ndim = 3;
    for (unsigned i = 1; i < 4; i++) {
        size_t d = i < hi.ndim ? hi.dims[i] : 1;
        if (d > (size_t)GAN__MAX_DIM)
            return gan__err(GAN_EFORMAT, "%s: offset %u: image dimension %u is %zu, expected at "
                            "most %d", images_name, 4 + 4 * i, i, d, GAN__MAX_DIM);
        shape.d[i - 1] = (int)d;
    }
    elems = gan__shape_elems(&shape);
    if (elems > GAN__MAX_ELEMS)
        return gan__err(GAN_EFORMAT, "%s: offset 8: images of %zu elements, expected at most "
                        "%zu", images_name, elems, GAN__MAX_ELEMS);
    if (labels) {
        if ((st = gan__maybe_gunzip(labels, labels_name)) != GAN_OK ||
            (st = gan__idx_parse(labels->data, labels->len, labels_name, GAN__IDX_LABELS, &hl)) != GAN_OK)
            return st;
        if (hl.dims[0] != n)
            return gan__err(GAN_EFORMAT, "%s: offset 4: %zu labels, expected %zu (the number of "
                            "images in %s)", labels_name, hl.dims[0], n, images_name);
    }
    /* hi.count = n * elems bytes are present, so these sizes are real. */
    total = hi.count;
    if (gan__mul_size(total, sizeof(float), &(size_t){0}) != 0)
        return gan__err(GAN_EFORMAT, "%s: %zu pixels overflow size_t", images_name, total);
    x = gan__malloc(total * sizeof(float));
    if (labels)
        lb = gan__malloc(n * sizeof(int32_t));
    if (!x || (labels && !lb)) {
        gan__free(x);
        gan__free(lb);
        return gan__err(GAN_ENOMEM, "%s: out of memory for %zu images of shape (%d, %d, %d)",
                        func, n, shape.d[0], shape.d[1], shape.d[2]);
    }
    gan__u8_table(t);
    {
        const unsigned char *p = images->data + hi.data_off;
        for (size_t i = 0; i < total; i++)
            x[i] = t[p[i]];
    }
    if (labels) {
        const unsigned char *p = labels->data + hl.data_off;
        for (size_t i = 0; i < n; i++)
            lb[i] = p[i];
    }
    return gan__dataset_wrap(out, &shape, n, x, lb, func);
}

gan_status gan_dataset_load_idx(gan_dataset **out, const char *images_path,
                                const char *labels_path)
{
    gan__blob im, lb;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(images_path != NULL);
    memset(&lb, 0, sizeof lb);
    if ((st = gan__read_file(images_path, &im)) != GAN_OK)
        return st;
    if (labels_path && (st = gan__read_file(labels_path, &lb)) != GAN_OK) {
        gan__blob_free(&im);
        return st;
    }
    st = gan__idx_load(out, &im, images_path, labels_path ? &lb : NULL, labels_path, __func__);
    gan__blob_free(&im);
    gan__blob_free(&lb);
    return st;
}

gan_status gan_dataset_load_idx_mem(gan_dataset **out, const void *images, size_t images_len,
                                    const void *labels, size_t labels_len)
{
    gan__blob im, lb;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(images != NULL);
    GAN__CHECK_ARG(labels != NULL || labels_len == 0);
    memset(&im, 0, sizeof im);
    memset(&lb, 0, sizeof lb);
    im.data = images;
    im.len = images_len;
    lb.data = labels;
    lb.len = labels_len;
    st = gan__idx_load(out, &im, GAN__MEM_NAME, labels ? &lb : NULL, GAN__MEM_NAME, __func__);
    gan__blob_free(&im);
    gan__blob_free(&lb);
    return st;
}

/* "<dir>/<base>" if it exists, else "<dir>/<base>.gz" if that does; NULL on ENOMEM. */
static char *gan__find_idx(const char *dir, const char *base, int *found)
{
    struct stat st;
    size_t n = strlen(dir) + strlen(base) + 8;
    char *p = gan__malloc(n);
    *found = 0;
    if (!p)
        return NULL;
    snprintf(p, n, "%s/%s", dir, base);
    if (stat(p, &st) == 0) {
        *found = 1;
        return p;
    }
    snprintf(p, n, "%s/%s.gz", dir, base);
    if (stat(p, &st) == 0)
        *found = 1;
    return p;
}

gan_status gan_dataset_load_mnist_dir(gan_dataset **out, const char *dir, int train)
{
    const char *bi = train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte";
    const char *bl = train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte";
    char *pi = NULL, *pl = NULL;
    int fi, fl;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(dir != NULL);
    pi = gan__find_idx(dir, bi, &fi);
    pl = gan__find_idx(dir, bl, &fl);
    if (!pi || !pl)
        st = gan__err(GAN_ENOMEM, "%s: out of memory", __func__);
    else if (!fi)
        st = gan__err(GAN_EIO, "%s: neither %s nor %s.gz found in directory %s", __func__, bi,
                      bi, dir);
    else if (!fl)
        st = gan__err(GAN_EIO, "%s: neither %s nor %s.gz found in directory %s", __func__, bl,
                      bl, dir);
    else
        st = gan_dataset_load_idx(out, pi, pl);
    gan__free(pi);
    gan__free(pl);
    return st;
}
