/*
 * check_dataset.c -- the Datasets section of gan.h: caller-memory sources,
 * IDX (raw and gzip) and CIFAR-10 parsers from memory and files, the real
 * Fashion-MNIST files, conversion, shuffled batching, misuse, the
 * malformed-file table (every truncation, every header bit flip) and an
 * allocation-failure loop.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "gan.h"
#include "io/io.h"   /* gan__gunzip with a small cap */
#include "test_util.h"

/* ---- helpers ------------------------------------------------------------------- */

typedef struct tbuf {
    unsigned char *p;
    size_t len;
} tbuf;

/* The value libgan must produce for a uint8 pixel. */
static float px(unsigned v)
{
    return (float)((double)v / 127.5 - 1.0);
}

/* The uint8 a float pixel came from (exact inverse of px for 0..255). */
static unsigned unpx(float f)
{
    return (unsigned)lrint(((double)f + 1.0) * 127.5);
}

/* An IDX file: type, dims, then elements filled with (seed + 7 i) & 255 bytes. */
static tbuf mk_idx(unsigned type, unsigned ndim, const uint32_t *dims, unsigned seed)
{
    size_t esize = type == 0x0B ? 2 : type == 0x0C || type == 0x0D ? 4 : type == 0x0E ? 8 : 1;
    size_t count = 1, hdr = 4 + 4 * (size_t)ndim;
    tbuf b;
    for (unsigned i = 0; i < ndim; i++)
        count *= dims[i];
    b.len = hdr + count * esize;
    b.p = tu_malloc(b.len);
    b.p[0] = b.p[1] = 0;
    b.p[2] = (unsigned char)type;
    b.p[3] = (unsigned char)ndim;
    for (unsigned i = 0; i < ndim; i++) {
        b.p[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
        b.p[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
        b.p[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
        b.p[7 + 4 * i] = (unsigned char)dims[i];
    }
    for (size_t i = 0; i < count * esize; i++)
        b.p[hdr + i] = (unsigned char)((seed + 7 * i) & 255);
    return b;
}

/* Labels IDX: n labels, label i = (seed + i) % 10. */
static tbuf mk_labels(uint32_t n, unsigned seed)
{
    tbuf b = mk_idx(0x08, 1, &n, 0);
    for (uint32_t i = 0; i < n; i++)
        b.p[8 + i] = (unsigned char)((seed + i) % 10);
    return b;
}

/* gzip (with the gzip wrapper) of a buffer. */
static tbuf gz(const unsigned char *in, size_t len)
{
    z_stream zs;
    tbuf o;
    memset(&zs, 0, sizeof zs);
    ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    o.len = deflateBound(&zs, (uLong)len) + 64;
    o.p = tu_malloc(o.len);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = o.p;
    zs.avail_out = (uInt)o.len;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    o.len = zs.total_out;
    deflateEnd(&zs);
    return o;
}

/* CIFAR-10 records: pixel (record r, channel ch, position p) = cifar_px(). */
static unsigned cifar_px(size_t r, unsigned ch, size_t p)
{
    return (unsigned)((r * 31 + ch * 85 + p * 3 + (p >> 5)) & 255);
}

static tbuf mk_cifar(size_t n, size_t first_record)
{
    tbuf b;
    b.len = n * 3073;
    b.p = tu_malloc(b.len);
    for (size_t r = 0; r < n; r++) {
        unsigned char *rec = b.p + r * 3073;
        rec[0] = (unsigned char)((first_record + r) % 10);
        for (unsigned ch = 0; ch < 3; ch++)
            for (size_t p = 0; p < 1024; p++)
                rec[1 + ch * 1024 + p] = (unsigned char)cifar_px(first_record + r, ch, p);
    }
    return b;
}

static void write_file(const char *path, const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(p, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static char *mk_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char *d = tu_malloc(4096);
    snprintf(d, 4096, "%s/gan_dataset_XXXXXX", t && *t ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static char *join(const char *dir, const char *name)
{
    char *p = tu_malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static size_t ds_size(const gan_dataset *ds)
{
    size_t n = 0;
    ck_assert_int_eq(gan_dataset_size(ds, &n), GAN_OK);
    return n;
}

static size_t ds_elems(const gan_dataset *ds)
{
    size_t nd = 0, e = 1;
    int d[3];
    ck_assert_int_eq(gan_dataset_shape(ds, &nd, d), GAN_OK);
    for (size_t i = 0; i < nd; i++)
        e *= (size_t)d[i];
    return e;
}

/* ---- real Fashion-MNIST ----------------------------------------------------------------- */

/*
 * Reference values read independently with Python's gzip module:
 *   /usr/bin/python3 -c "import gzip; d='/usr/share/datasets/fashion-mnist/';
 *     im=gzip.open(d+'train-images-idx3-ubyte.gz').read();
 *     lb=gzip.open(d+'train-labels-idx1-ubyte.gz').read(); n=60000;
 *     f=im[16:16+784]; l=im[16+(n-1)*784:]; print(lb[8], lb[-1], sum(f), sum(l),
 *     f[99], f[100], l[239], l[400], sum(im[16:]))"
 * (and the same with t10k and n=10000).
 */
typedef struct fmnist_ref {
    int train;
    size_t n;
    int first_label, last_label;
    unsigned long first_sum, last_sum;
    unsigned first_px[2][2], last_px[2][2];   /* {index, value} */
    unsigned long long total_sum;
} fmnist_ref;

static const fmnist_ref fmnist_refs[2] = {
    { 1, 60000, 9, 5, 76247, 16684, { { 99, 13 }, { 100, 73 } }, { { 239, 71 }, { 400, 129 } },
      3431114169ull },
    { 0, 10000, 9, 5, 33456, 24390, { { 215, 3 }, { 221, 37 } }, { { 176, 1 }, { 400, 45 } },
      573469082ull },
};

static void require_fashion_mnist(void)
{
    struct stat st;
    ck_assert_msg(stat(GAN_FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz", &st) == 0,
                  "Fashion-MNIST not found in " GAN_FASHION_MNIST_DIR
                  ": install the Debian package dataset-fashion-mnist (CI installs it)");
}

START_TEST(test_fashion_mnist)
{
    const fmnist_ref *r = &fmnist_refs[_i];
    gan_dataset *ds = NULL;
    size_t nd, n;
    int d[3], has, ncls;
    float img[784];
    int32_t label;
    unsigned long s;
    unsigned long long total = 0;
    require_fashion_mnist();
    ck_assert_msg(gan_dataset_load_mnist_dir(&ds, GAN_FASHION_MNIST_DIR, r->train) == GAN_OK,
                  "%s", gan_last_error());
    n = ds_size(ds);
    ck_assert_uint_eq(n, r->n);
    ck_assert_int_eq(gan_dataset_shape(ds, &nd, d), GAN_OK);
    ck_assert_uint_eq(nd, 3);
    ck_assert_int_eq(d[0], 28);
    ck_assert_int_eq(d[1], 28);
    ck_assert_int_eq(d[2], 1);
    ck_assert_int_eq(gan_dataset_labels_info(ds, &has, &ncls), GAN_OK);
    ck_assert_int_eq(has, 1);
    ck_assert_int_eq(ncls, 10);

    ck_assert_int_eq(gan_dataset_get(ds, 0, img, 784, &label), GAN_OK);
    ck_assert_int_eq(label, r->first_label);
    s = 0;
    for (int i = 0; i < 784; i++)
        s += unpx(img[i]);
    ck_assert_uint_eq(s, r->first_sum);
    for (int k = 0; k < 2; k++)
        ck_assert_float_eq(img[r->first_px[k][0]], px(r->first_px[k][1]));

    ck_assert_int_eq(gan_dataset_get(ds, n - 1, img, 784, &label), GAN_OK);
    ck_assert_int_eq(label, r->last_label);
    s = 0;
    for (int i = 0; i < 784; i++)
        s += unpx(img[i]);
    ck_assert_uint_eq(s, r->last_sum);
    for (int k = 0; k < 2; k++)
        ck_assert_float_eq(img[r->last_px[k][0]], px(r->last_px[k][1]));

    /* Checksum of every pixel, through the batch iterator (no shuffle). */
    {
        gan_batch_config c;
        float *x = tu_malloc(1000 * 784 * sizeof(float));
        size_t got, seen = 0;
        GAN_BATCH_CONFIG_INIT(&c);
        c.batch_size = 1000;
        c.shuffle = 0;
        ck_assert_int_eq(gan_dataset_set_batching(ds, &c), GAN_OK);
        while (gan_dataset_next_batch(ds, x, 1000 * 784, NULL, &got, NULL) == GAN_OK) {
            for (size_t i = 0; i < got * 784; i++)
                total += unpx(x[i]);
            seen += got;
        }
        ck_assert_uint_eq(seen, r->n);
        ck_assert_uint_eq(total, r->total_sum);
        free(x);
    }
    gan_dataset_free(ds);
}
END_TEST

START_TEST(test_fashion_mnist_files)
{
    gan_dataset *ds = NULL;
    require_fashion_mnist();
    /* Images only, by path. */
    ck_assert_int_eq(gan_dataset_load_idx(&ds, GAN_FASHION_MNIST_DIR "/t10k-images-idx3-ubyte.gz",
                                          NULL), GAN_OK);
    ck_assert_uint_eq(ds_size(ds), 10000);
    {
        int has = -1, ncls = -1;
        int32_t label = 0;
        float img[784];
        ck_assert_int_eq(gan_dataset_labels_info(ds, &has, &ncls), GAN_OK);
        ck_assert_int_eq(has, 0);
        ck_assert_int_eq(ncls, 0);
        ck_assert_int_eq(gan_dataset_get(ds, 0, img, 784, &label), GAN_OK);
        ck_assert_int_eq(label, -1);
    }
    gan_dataset_free(ds);
    /* The label file given as images: the message names it and both magics. */
    TU_ASSERT_ERROR(gan_dataset_load_idx(&ds, GAN_FASHION_MNIST_DIR "/t10k-labels-idx1-ubyte.gz",
                                             NULL), GAN_EFORMAT,
                        "t10k-labels-idx1-ubyte.gz: offset 0: bad IDX magic 0x00000801, "
                        "expected 0x00000803 (uint8, 3 dims)");
    ck_assert_ptr_null(ds);
    /* Mismatched counts: train images with test labels. */
    TU_ASSERT_ERROR(gan_dataset_load_idx(&ds, GAN_FASHION_MNIST_DIR "/t10k-images-idx3-ubyte.gz",
                                             GAN_FASHION_MNIST_DIR "/train-labels-idx1-ubyte.gz"),
                        GAN_EFORMAT, "60000 labels, expected 10000");
    ck_assert_ptr_null(ds);
}
END_TEST

/* ---- IDX from memory ------------------------------------------------------------------ */

START_TEST(test_idx_mem_values)
{
    uint32_t dims[3] = { 3, 2, 5 };
    tbuf im = mk_idx(0x08, 3, dims, 11), lb = mk_labels(3, 4);
    gan_dataset *ds = NULL;
    float x[10];
    int32_t label;
    size_t nd;
    int d[3], has, ncls;
    ck_assert_msg(gan_dataset_load_idx_mem(&ds, im.p, im.len, lb.p, lb.len) == GAN_OK, "%s",
                  gan_last_error());
    ck_assert_uint_eq(ds_size(ds), 3);
    ck_assert_int_eq(gan_dataset_shape(ds, &nd, d), GAN_OK);
    ck_assert_uint_eq(nd, 3);
    ck_assert_int_eq(d[0], 2);
    ck_assert_int_eq(d[1], 5);
    ck_assert_int_eq(d[2], 1);
    ck_assert_int_eq(gan_dataset_labels_info(ds, &has, &ncls), GAN_OK);
    ck_assert_int_eq(has, 1);
    ck_assert_int_eq(ncls, 7);   /* labels 4, 5, 6 */
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(gan_dataset_get(ds, i, x, 10, &label), GAN_OK);
        ck_assert_int_eq(label, (int)(4 + i));
        for (size_t k = 0; k < 10; k++)
            ck_assert_float_eq(x[k], px(im.p[16 + i * 10 + k]));
    }
    gan_dataset_free(ds);
    free(im.p);
    free(lb.p);
}
END_TEST

START_TEST(test_idx_mem_4d_and_gzip)
{
    uint32_t dims[4] = { 4, 3, 2, 3 };
    tbuf im = mk_idx(0x08, 4, dims, 5), lb = mk_labels(4, 0);
    tbuf gim = gz(im.p, im.len), glb = gz(lb.p, lb.len);
    gan_dataset *a = NULL, *b = NULL;
    float xa[18], xb[18];
    int32_t la, lb_;
    size_t nd;
    int d[3];
    ck_assert_int_eq(gan_dataset_load_idx_mem(&a, im.p, im.len, lb.p, lb.len), GAN_OK);
    /* Compressed images with raw labels, detected by magic. */
    ck_assert_msg(gan_dataset_load_idx_mem(&b, gim.p, gim.len, glb.p, glb.len) == GAN_OK, "%s",
                  gan_last_error());
    ck_assert_int_eq(gan_dataset_shape(b, &nd, d), GAN_OK);
    ck_assert_int_eq(d[0], 3);
    ck_assert_int_eq(d[1], 2);
    ck_assert_int_eq(d[2], 3);
    ck_assert_uint_eq(ds_size(b), 4);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(gan_dataset_get(a, i, xa, 18, &la), GAN_OK);
        ck_assert_int_eq(gan_dataset_get(b, i, xb, 18, &lb_), GAN_OK);
        ck_assert_int_eq(la, lb_);
        ck_assert_mem_eq(xa, xb, sizeof xa);
        for (size_t k = 0; k < 18; k++)   /* NHWC: the file's order */
            ck_assert_float_eq(xa[k], px(im.p[4 + 16 + i * 18 + k]));
    }
    gan_dataset_free(a);
    gan_dataset_free(b);
    /* Two gzip members are one stream (as gzip -d reads them). */
    {
        size_t half = im.len / 2;
        tbuf g1 = gz(im.p, half), g2 = gz(im.p + half, im.len - half);
        unsigned char *cat = tu_malloc(g1.len + g2.len + 3);
        memcpy(cat, g1.p, g1.len);
        memcpy(cat + g1.len, g2.p, g2.len);
        ck_assert_msg(gan_dataset_load_idx_mem(&a, cat, g1.len + g2.len, NULL, 0) == GAN_OK, "%s",
                      gan_last_error());
        ck_assert_uint_eq(ds_size(a), 4);
        gan_dataset_free(a);
        /* Trailing garbage after the gzip stream. */
        memcpy(cat + g1.len + g2.len, "abc", 3);
        TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&a, cat, g1.len + g2.len + 3, NULL, 0),
                            GAN_EFORMAT, "trailing garbage");
        ck_assert_ptr_null(a);
        free(g1.p);
        free(g2.p);
        free(cat);
    }
    free(im.p);
    free(lb.p);
    free(gim.p);
    free(glb.p);
}
END_TEST

START_TEST(test_idx_errors)
{
    uint32_t dims[3] = { 2, 3, 3 };
    tbuf im = mk_idx(0x08, 3, dims, 1), lb = mk_labels(2, 0), lb3 = mk_labels(3, 0);
    gan_dataset *ds = (gan_dataset *)1;
    unsigned char *big = tu_malloc(im.len + 1);
    /* Trailing byte after raw IDX data. */
    memcpy(big, im.p, im.len);
    big[im.len] = 0;
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, big, im.len + 1, NULL, 0), GAN_EFORMAT,
                        "<memory>: offset 34: 1 bytes of trailing data");
    ck_assert_ptr_null(ds);
    /* Truncated data. */
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, im.p, im.len - 1, NULL, 0), GAN_EFORMAT,
                        "data truncated");
    /* Bad magic bytes, unknown type code, bad ndim, zero dimension. */
    big[0] = 1;
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, big, im.len, NULL, 0), GAN_EFORMAT,
                        "<memory>: offset 0: bad IDX magic 0x01000803");
    memcpy(big, im.p, im.len);
    big[2] = 0x0A;
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, big, im.len, NULL, 0), GAN_EFORMAT,
                        "offset 2: unknown IDX type code 0x0a");
    memcpy(big, im.p, im.len);
    big[3] = 5;
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, big, im.len, NULL, 0), GAN_EFORMAT,
                        "offset 3: IDX dimension count 5, expected 1..4");
    memcpy(big, im.p, im.len);
    big[11] = 0;
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, big, im.len, NULL, 0), GAN_EFORMAT,
                        "offset 8: IDX dimension 1 is 0");
    /* Huge dimensions: rejected by the length check, nothing allocated. */
    memcpy(big, im.p, im.len);
    memset(big + 4, 0xff, 12);
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, big, im.len, NULL, 0), GAN_EFORMAT,
                        "overflow");
    /* Labels: wrong count, images as labels. */
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, im.p, im.len, lb3.p, lb3.len), GAN_EFORMAT,
                        "3 labels, expected 2");
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, im.p, im.len, im.p, im.len), GAN_EFORMAT,
                        "bad IDX magic 0x00000803, expected 0x00000801 (uint8, 1 dim: labels)");
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, lb.p, lb.len, NULL, 0), GAN_EFORMAT,
                        "bad IDX magic 0x00000801, expected 0x00000803");
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, im.p, im.len, lb.p, 0), GAN_EFORMAT,
                        "inside the IDX magic");
    /* Misuse. */
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(NULL, im.p, im.len, NULL, 0), GAN_EINVAL,
                        "invalid argument");
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, NULL, 3, NULL, 0), GAN_EINVAL,
                        "images != NULL");
    TU_ASSERT_ERROR(gan_dataset_load_idx_mem(&ds, im.p, im.len, NULL, 4), GAN_EINVAL,
                        "labels_len");
    ck_assert_ptr_null(ds);
    free(big);
    free(im.p);
    free(lb.p);
    free(lb3.p);
}
END_TEST

/* Every type code and ndim parses; only uint8 images/labels load. */
START_TEST(test_idx_type_codes)
{
    static const unsigned types[] = { 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E };
    uint32_t dims[4] = { 2, 3, 2, 2 };
    gan_dataset *ds = NULL;
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        for (unsigned nd = 1; nd <= 4; nd++) {
            tbuf b = mk_idx(types[t], nd, dims, 3);
            gan_status st = gan_dataset_load_idx_mem(&ds, b.p, b.len, NULL, 0);
            if (types[t] == 0x08 && nd >= 3) {
                ck_assert_msg(st == GAN_OK, "type 0x%02x ndim %u: %s", types[t], nd,
                              gan_last_error());
                gan_dataset_free(ds);
                ds = NULL;
            } else if (nd >= 3) {
                /* The length was right (no EFORMAT): unsupported element type. */
                ck_assert_msg(st == GAN_EUNSUPPORTED, "type 0x%02x ndim %u: %d %s", types[t], nd,
                              (int)st, gan_last_error());
                ck_assert_ptr_nonnull(strstr(gan_last_error(), "expected 0x08 (uint8)"));
            } else {
                ck_assert_msg(st == GAN_EFORMAT, "type 0x%02x ndim %u: %d %s", types[t], nd,
                              (int)st, gan_last_error());
                ck_assert_ptr_nonnull(strstr(gan_last_error(), "bad IDX magic"));
            }
            ck_assert_ptr_null(ds);
            /* One byte short is a truncation for every type. */
            st = gan_dataset_load_idx_mem(&ds, b.p, b.len - 1, NULL, 0);
            ck_assert_msg(st == GAN_EFORMAT && strstr(gan_last_error(), "truncated"),
                          "type 0x%02x ndim %u short: %s", types[t], nd, gan_last_error());
            free(b.p);
        }
    }
}
END_TEST

/* ---- IDX and CIFAR files --------------------------------------------------------------- */

START_TEST(test_idx_files_and_mnist_dir)
{
    char *dir = mk_tmpdir();
    uint32_t dims[3] = { 5, 4, 4 };
    tbuf im = mk_idx(0x08, 3, dims, 9), lb = mk_labels(5, 2), gim = gz(im.p, im.len);
    char *pi = join(dir, "train-images-idx3-ubyte");           /* raw */
    char *pl = join(dir, "train-labels-idx1-ubyte.gz");        /* gzip */
    char *ti = join(dir, "t10k-images-idx3-ubyte.gz");         /* raw data, .gz name */
    char *tl = join(dir, "t10k-labels-idx1-ubyte");
    tbuf glb = gz(lb.p, lb.len);
    gan_dataset *ds = NULL;
    float x[16];
    int32_t label;
    write_file(pi, im.p, im.len);
    write_file(pl, glb.p, glb.len);
    write_file(ti, im.p, im.len);
    ck_assert_msg(gan_dataset_load_mnist_dir(&ds, dir, 1) == GAN_OK, "%s", gan_last_error());
    ck_assert_uint_eq(ds_size(ds), 5);
    ck_assert_int_eq(gan_dataset_get(ds, 4, x, 16, &label), GAN_OK);
    ck_assert_int_eq(label, 6);
    ck_assert_float_eq(x[15], px(im.p[16 + 4 * 16 + 15]));
    gan_dataset_free(ds);
    /* t10k labels missing. */
    TU_ASSERT_ERROR(gan_dataset_load_mnist_dir(&ds, dir, 0), GAN_EIO,
                        "t10k-labels-idx1-ubyte.gz found");
    ck_assert_ptr_null(ds);
    write_file(tl, lb.p, lb.len);
    ck_assert_msg(gan_dataset_load_mnist_dir(&ds, dir, 0) == GAN_OK, "%s", gan_last_error());
    gan_dataset_free(ds);
    /* A corrupt gzip file: the message names the path. */
    {
        unsigned char *c = tu_malloc(gim.len);
        memcpy(c, gim.p, gim.len);
        write_file(pi, c, gim.len / 2);
        TU_ASSERT_ERROR(gan_dataset_load_idx(&ds, pi, NULL), GAN_EFORMAT,
                            "train-images-idx3-ubyte: offset");
        ck_assert_ptr_nonnull(strstr(gan_last_error(), "gzip data is truncated"));
        free(c);
    }
    TU_ASSERT_ERROR(gan_dataset_load_idx(&ds, "/nonexistent/x-idx3-ubyte", NULL), GAN_EIO,
                        "/nonexistent/x-idx3-ubyte: cannot open");
    TU_ASSERT_ERROR(gan_dataset_load_idx(&ds, dir, NULL), GAN_EIO, "is a directory");
    TU_ASSERT_ERROR(gan_dataset_load_mnist_dir(&ds, "/nonexistent", 1), GAN_EIO,
                        "train-images-idx3-ubyte");
    TU_ASSERT_ERROR(gan_dataset_load_mnist_dir(&ds, NULL, 1), GAN_EINVAL, "dir");
    ck_assert_ptr_null(ds);
    unlink(pi);
    unlink(pl);
    unlink(ti);
    unlink(tl);
    ck_assert_int_eq(rmdir(dir), 0);
    free(pi);
    free(pl);
    free(ti);
    free(tl);
    free(dir);
    free(im.p);
    free(lb.p);
    free(gim.p);
    free(glb.p);
}
END_TEST

/* NHWC pixel (y, x, ch) of CIFAR record r equals the planar byte. */
static void check_cifar_sample(const gan_dataset *ds, size_t index, size_t record)
{
    float x[3072];
    int32_t label;
    ck_assert_int_eq(gan_dataset_get(ds, index, x, 3072, &label), GAN_OK);
    ck_assert_int_eq(label, (int)(record % 10));
    for (size_t y = 0; y < 32; y++)
        for (size_t xx = 0; xx < 32; xx++)
            for (unsigned ch = 0; ch < 3; ch++)
                ck_assert_float_eq(x[(y * 32 + xx) * 3 + ch], px(cifar_px(record, ch, y * 32 + xx)));
}

START_TEST(test_cifar_mem)
{
    tbuf b = mk_cifar(3, 0);
    gan_dataset *ds = NULL;
    size_t nd;
    int d[3], has, ncls;
    ck_assert_msg(gan_dataset_load_cifar10_mem(&ds, b.p, b.len) == GAN_OK, "%s", gan_last_error());
    ck_assert_uint_eq(ds_size(ds), 3);
    ck_assert_int_eq(gan_dataset_shape(ds, &nd, d), GAN_OK);
    ck_assert_uint_eq(nd, 3);
    ck_assert_int_eq(d[0], 32);
    ck_assert_int_eq(d[1], 32);
    ck_assert_int_eq(d[2], 3);
    ck_assert_int_eq(gan_dataset_labels_info(ds, &has, &ncls), GAN_OK);
    ck_assert_int_eq(has, 1);
    ck_assert_int_eq(ncls, 3);
    for (size_t i = 0; i < 3; i++)
        check_cifar_sample(ds, i, i);
    gan_dataset_free(ds);
    /* A known pixel, by hand: record 1, row 2, column 5, green. */
    {
        float x[3072];
        b.p[3073 + 1 + 1024 + 2 * 32 + 5] = 255;
        b.p[3073 + 1 + 2048 + 2 * 32 + 5] = 0;
        ck_assert_int_eq(gan_dataset_load_cifar10_mem(&ds, b.p, b.len), GAN_OK);
        ck_assert_int_eq(gan_dataset_get(ds, 1, x, 3072, NULL), GAN_OK);
        ck_assert_float_eq(x[(2 * 32 + 5) * 3 + 1], 1.0f);
        ck_assert_float_eq(x[(2 * 32 + 5) * 3 + 2], -1.0f);
        gan_dataset_free(ds);
    }
    TU_ASSERT_ERROR(gan_dataset_load_cifar10_mem(&ds, b.p, b.len - 1), GAN_EFORMAT,
                        "<memory>: offset 6146: truncated CIFAR-10 record");
    TU_ASSERT_ERROR(gan_dataset_load_cifar10_mem(&ds, b.p, 0), GAN_EFORMAT, "empty");
    b.p[3073] = 10;
    TU_ASSERT_ERROR(gan_dataset_load_cifar10_mem(&ds, b.p, b.len), GAN_EFORMAT,
                        "offset 3073: label 10 of record 1, expected 0..9");
    TU_ASSERT_ERROR(gan_dataset_load_cifar10_mem(&ds, NULL, 3073), GAN_EINVAL, "buf");
    ck_assert_ptr_null(ds);
    free(b.p);
}
END_TEST

START_TEST(test_cifar_dir)
{
    char *dir = mk_tmpdir();
    char name[64];
    char *paths[6];
    size_t rec = 0, counts[5] = { 2, 1, 3, 1, 2 };
    gan_dataset *ds = NULL;
    for (int i = 0; i < 5; i++) {
        tbuf b = mk_cifar(counts[i], rec);
        snprintf(name, sizeof name, "data_batch_%d.bin", i + 1);
        paths[i] = join(dir, name);
        write_file(paths[i], b.p, b.len);
        rec += counts[i];
        free(b.p);
    }
    /* Test batch missing. */
    TU_ASSERT_ERROR(gan_dataset_load_cifar10(&ds, dir, 0), GAN_EIO, "test_batch.bin");
    {
        tbuf b = mk_cifar(2, 100);
        paths[5] = join(dir, "test_batch.bin");
        write_file(paths[5], b.p, b.len);
        free(b.p);
    }
    ck_assert_msg(gan_dataset_load_cifar10(&ds, dir, 1) == GAN_OK, "%s", gan_last_error());
    ck_assert_uint_eq(ds_size(ds), 9);
    for (size_t i = 0; i < 9; i++)   /* files in order 1..5 */
        check_cifar_sample(ds, i, i);
    gan_dataset_free(ds);
    ck_assert_int_eq(gan_dataset_load_cifar10(&ds, dir, 0), GAN_OK);
    ck_assert_uint_eq(ds_size(ds), 2);
    check_cifar_sample(ds, 1, 101);
    gan_dataset_free(ds);
    /* One file by path. */
    ck_assert_int_eq(gan_dataset_load_cifar10(&ds, paths[2], 1), GAN_OK);
    ck_assert_uint_eq(ds_size(ds), 3);
    check_cifar_sample(ds, 0, 3);
    gan_dataset_free(ds);
    /* A bad batch: the message names that file. */
    {
        tbuf b = mk_cifar(1, 0);
        write_file(paths[3], b.p, 3000);
        free(b.p);
    }
    TU_ASSERT_ERROR(gan_dataset_load_cifar10(&ds, dir, 1), GAN_EFORMAT,
                        "data_batch_4.bin: offset 0: truncated");
    unlink(paths[4]);
    TU_ASSERT_ERROR(gan_dataset_load_cifar10(&ds, dir, 1), GAN_EFORMAT, "data_batch_4.bin");
    TU_ASSERT_ERROR(gan_dataset_load_cifar10(&ds, paths[4], 1), GAN_EIO,
                        "data_batch_5.bin: cannot open");
    ck_assert_ptr_null(ds);
    for (int i = 0; i < 6; i++) {
        unlink(paths[i]);
        free(paths[i]);
    }
    ck_assert_int_eq(rmdir(dir), 0);
    free(dir);
}
END_TEST

/* ---- malformed-file table ------------------------------------------------------------ */

/* A loaded result must be self-consistent; returns 1 if it loaded. */
static int check_consistent(gan_status st, gan_dataset *ds, size_t len_limit)
{
    if (st != GAN_OK) {
        ck_assert_msg(st < 0, "status %d", (int)st);
        ck_assert_ptr_null(ds);
        ck_assert_msg(gan_last_error()[0] != '\0', "error without a message");
        return 0;
    }
    {
        size_t n = ds_size(ds), e = ds_elems(ds);
        float *x = tu_malloc(e * sizeof(float));
        int32_t label;
        ck_assert_uint_ge(n, 1);
        ck_assert_uint_le(n * e, len_limit);
        for (size_t i = 0; i < n; i++) {
            size_t bad = 0;
            ck_assert_int_eq(gan_dataset_get(ds, i, x, e, &label), GAN_OK);
            for (size_t k = 0; k < e; k++)
                bad += !(x[k] >= -1.0f && x[k] <= 1.0f);
            ck_assert_uint_eq(bad, 0);
        }
        free(x);
        gan_dataset_free(ds);
        return 1;
    }
}

typedef enum { KIND_IDX_RAW, KIND_IDX_GZ, KIND_CIFAR } mf_kind;

static gan_status mf_load(mf_kind k, gan_dataset **ds, const unsigned char *p, size_t len,
                          const tbuf *labels)
{
    if (k == KIND_CIFAR)
        return gan_dataset_load_cifar10_mem(ds, p, len);
    return gan_dataset_load_idx_mem(ds, p, len, labels ? labels->p : NULL, labels ? labels->len : 0);
}

START_TEST(test_malformed_table)
{
    mf_kind kind = (mf_kind)_i;
    uint32_t dims[4] = { 3, 5, 4, 2 };
    tbuf raw, file, labels = mk_labels(3, 1);
    gan_dataset *ds = NULL;
    size_t loaded = 0, hdr_bytes;
    if (kind == KIND_CIFAR) {
        file = mk_cifar(2, 0);
        hdr_bytes = 3073 + 16;       /* record 0, label and first pixels of record 1 */
        raw.p = NULL;
    } else {
        raw = mk_idx(0x08, 4, dims, 77);
        file = kind == KIND_IDX_GZ ? gz(raw.p, raw.len) : raw;
        hdr_bytes = kind == KIND_IDX_GZ ? file.len : 20;
    }
    /* The valid file loads. */
    ck_assert_msg(mf_load(kind, &ds, file.p, file.len, kind == KIND_CIFAR ? NULL : &labels) == GAN_OK,
                  "%s", gan_last_error());
    gan_dataset_free(ds);
    ds = NULL;
    /* Every truncation point is an error (a copy of the prefix: ASan sees
       overreads), except that CIFAR-10 has no header, so a cut at a record
       boundary is a valid, shorter file. */
    for (size_t cut = 0; cut < file.len; cut++) {
        unsigned char *p = tu_malloc(cut);
        gan_status st;
        memcpy(p, file.p, cut);
        st = mf_load(kind, &ds, p, cut, kind == KIND_CIFAR ? NULL : &labels);
        if (kind == KIND_CIFAR && cut > 0 && cut % 3073 == 0) {
            ck_assert_msg(st == GAN_OK, "cut at record %zu: %s", cut / 3073, gan_last_error());
            ck_assert_uint_eq(ds_size(ds), cut / 3073);
            gan_dataset_free(ds);
            ds = NULL;
        } else {
            ck_assert_msg(st < 0, "truncation at %zu of %zu loaded (%d)", cut, file.len, (int)st);
            ck_assert_ptr_null(ds);
        }
        free(p);
    }
    /* Every bit flip of the header (the whole file when compressed or CIFAR):
       an error, or a consistent dataset. */
    for (size_t bit = 0; bit < hdr_bytes * 8; bit++) {
        unsigned char *p = tu_malloc(file.len);
        gan_status st;
        memcpy(p, file.p, file.len);
        p[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        st = mf_load(kind, &ds, p, file.len, NULL);
        loaded += (size_t)check_consistent(st, ds, file.len + 4096);
        ds = NULL;
        free(p);
    }
    /* Pixel bits of CIFAR load; label bits may or may not. */
    if (kind == KIND_CIFAR)
        ck_assert_uint_ge(loaded, hdr_bytes * 8 - 2 * 8);
    if (raw.p != file.p)
        free(raw.p);
    free(file.p);
    free(labels.p);
}
END_TEST

START_TEST(test_gunzip_cap)
{
    unsigned char *zeros = calloc(1, 100000);
    tbuf g;
    gan__blob b;
    ck_assert_ptr_nonnull(zeros);
    g = gz(zeros, 100000);
    memset(&b, 0, sizeof b);
    b.data = g.p;
    b.len = g.len;
    TU_ASSERT_ERROR(gan__gunzip(&b, "bomb.gz", 50000), GAN_EFORMAT,
                        "inflates to more than the limit of 50000 bytes");
    ck_assert_ptr_eq(b.data, g.p);      /* input untouched on error */
    ck_assert_int_eq(gan__gunzip(&b, "ok.gz", 100000), GAN_OK);
    ck_assert_uint_eq(b.len, 100000);
    ck_assert_int_eq(b.inflated, 1);
    ck_assert_mem_eq(b.data, zeros, 100000);
    gan__blob_free(&b);
    /* A corrupted checksum is an error. */
    g.p[g.len - 6] ^= 1;
    memset(&b, 0, sizeof b);
    b.data = g.p;
    b.len = g.len;
    TU_ASSERT_ERROR(gan__gunzip(&b, "crc.gz", 200000), GAN_EFORMAT, "crc.gz: offset");
    free(g.p);
    free(zeros);
}
END_TEST

/* ---- caller memory ------------------------------------------------------------------------ */

START_TEST(test_create_float_and_u8)
{
    int dims[3] = { 2, 2, 1 };
    float x[12];
    int32_t labels[3] = { 0, 4, 2 }, bad[3] = { 0, -1, 2 };
    uint8_t u[12];
    gan_dataset *a = NULL, *b = NULL, *c = NULL;
    float y[4];
    int32_t label;
    int has, ncls;
    for (int i = 0; i < 12; i++) {
        x[i] = (float)i * 0.5f;
        u[i] = (uint8_t)(i * 23);
    }
    ck_assert_int_eq(gan_dataset_create_float(&a, x, 3, 3, dims, labels, 1), GAN_OK);
    ck_assert_int_eq(gan_dataset_create_float(&b, x, 3, 3, dims, NULL, 0), GAN_OK);
    x[5] = 100.0f;    /* a copy does not see it; a borrow does */
    ck_assert_int_eq(gan_dataset_get(a, 1, y, 4, &label), GAN_OK);
    ck_assert_float_eq(y[1], 2.5f);
    ck_assert_int_eq(label, 4);
    ck_assert_int_eq(gan_dataset_get(b, 1, y, 4, &label), GAN_OK);
    ck_assert_float_eq(y[1], 100.0f);
    ck_assert_int_eq(label, -1);
    ck_assert_int_eq(gan_dataset_labels_info(a, &has, &ncls), GAN_OK);
    ck_assert_int_eq(has, 1);
    ck_assert_int_eq(ncls, 5);
    ck_assert_int_eq(gan_dataset_create_u8(&c, u, 3, 3, dims, labels), GAN_OK);
    ck_assert_int_eq(gan_dataset_get(c, 2, y, 4, &label), GAN_OK);
    for (int k = 0; k < 4; k++)
        ck_assert_float_eq(y[k], px(u[8 + k]));
    ck_assert_int_eq(label, 2);
    gan_dataset_free(a);
    gan_dataset_free(b);
    gan_dataset_free(c);
    {
        uint8_t e[3] = { 0, 255, 51 };
        int vd[1] = { 3 };
        size_t nd;
        int d[3];
        ck_assert_int_eq(gan_dataset_create_u8(&c, e, 1, 1, vd, NULL), GAN_OK);
        ck_assert_int_eq(gan_dataset_shape(c, &nd, d), GAN_OK);
        ck_assert_uint_eq(nd, 1);
        ck_assert_int_eq(d[0], 3);
        ck_assert_int_eq(gan_dataset_get(c, 0, y, 3, NULL), GAN_OK);
        ck_assert_float_eq(y[0], -1.0f);
        ck_assert_float_eq(y[1], 1.0f);
        ck_assert_float_eq(y[2], 51.0f / 127.5f - 1.0f);
        gan_dataset_free(c);
    }
    /* Misuse. */
    TU_ASSERT_ERROR(gan_dataset_create_float(&a, x, 3, 3, dims, bad, 1), GAN_EINVAL,
                        "label 1 is -1");
    ck_assert_ptr_null(a);
    TU_ASSERT_ERROR(gan_dataset_create_float(&a, x, 0, 3, dims, NULL, 1), GAN_EINVAL, "n is 0");
    TU_ASSERT_ERROR(gan_dataset_create_float(&a, NULL, 3, 3, dims, NULL, 1), GAN_EINVAL,
                        "x is NULL");
    TU_ASSERT_ERROR(gan_dataset_create_float(&a, x, 3, 2, dims, NULL, 1), GAN_EINVAL, "ndim");
    TU_ASSERT_ERROR(gan_dataset_create_float(&a, x, 3, 3, NULL, NULL, 1), GAN_EINVAL, "dims");
    dims[1] = 0;
    TU_ASSERT_ERROR(gan_dataset_create_u8(&a, u, 3, 3, dims, NULL), GAN_EINVAL, "dimension 1");
    TU_ASSERT_ERROR(gan_dataset_create_u8(NULL, u, 3, 3, dims, NULL), GAN_EINVAL, "out");
    dims[1] = 1 << 20;
    dims[0] = 1 << 20;
    TU_ASSERT_ERROR(gan_dataset_create_float(&a, x, 3, 3, dims, NULL, 0), GAN_EINVAL, "2^31");
    ck_assert_ptr_null(a);
}
END_TEST

/* ---- introspection, limit, misuse ----------------------------------------------------------- */

START_TEST(test_limit_get_misuse)
{
    int dims[1] = { 2 };
    float x[20], y[2];
    int32_t labels[10];
    gan_dataset *ds = NULL;
    gan_model *m = NULL;
    int mdims[1] = { 4 };
    size_t n, nd;
    int d[3], ncls;
    for (int i = 0; i < 10; i++) {
        x[2 * i] = (float)i;
        x[2 * i + 1] = -(float)i;
        labels[i] = 9 - i;
    }
    ck_assert_int_eq(gan_dataset_create_float(&ds, x, 10, 1, dims, labels, 1), GAN_OK);
    ck_assert_int_eq(gan_dataset_limit(ds, 4), GAN_OK);
    ck_assert_uint_eq(ds_size(ds), 4);
    ck_assert_int_eq(gan_dataset_labels_info(ds, NULL, &ncls), GAN_OK);
    ck_assert_int_eq(ncls, 10);   /* labels 9, 8, 7, 6 */
    TU_ASSERT_ERROR(gan_dataset_get(ds, 4, y, 2, NULL), GAN_EINVAL, "index 4 out of range");
    TU_ASSERT_ERROR(gan_dataset_get(ds, 0, y, 3, NULL), GAN_ESHAPE, "expected 2");
    TU_ASSERT_ERROR(gan_dataset_get(ds, 0, NULL, 2, NULL), GAN_EINVAL, "x != NULL");
    ck_assert_int_eq(gan_dataset_limit(ds, 0), GAN_OK);
    ck_assert_uint_eq(ds_size(ds), 10);
    ck_assert_int_eq(gan_dataset_limit(ds, 1000), GAN_OK);
    ck_assert_uint_eq(ds_size(ds), 10);
    ck_assert_int_eq(gan_dataset_get(ds, 9, y, 2, NULL), GAN_OK);
    ck_assert_float_eq(y[1], -9.0f);

    /* NULL handle, and a model passed as a dataset. */
    ck_assert_int_eq(gan_model_create(&m, 1, mdims), GAN_OK);
    TU_ASSERT_ERROR(gan_dataset_size(NULL, &n), GAN_EINVAL, "NULL");
    TU_ASSERT_ERROR(gan_dataset_size((gan_dataset *)m, &n), GAN_ESTATE, "not a gan_dataset");
    TU_ASSERT_ERROR(gan_dataset_shape((gan_dataset *)m, &nd, d), GAN_ESTATE, "gan_dataset");
    TU_ASSERT_ERROR(gan_dataset_labels_info((gan_dataset *)m, NULL, NULL), GAN_ESTATE,
                    "gan_dataset");
    TU_ASSERT_ERROR(gan_dataset_limit((gan_dataset *)m, 1), GAN_ESTATE, "gan_dataset");
    TU_ASSERT_ERROR(gan_dataset_get((gan_dataset *)m, 0, y, 2, NULL), GAN_ESTATE, "gan_dataset");
    TU_ASSERT_ERROR(gan_dataset_set_batching((gan_dataset *)m, NULL), GAN_ESTATE, "gan_dataset");
    TU_ASSERT_ERROR(gan_dataset_batches_per_epoch((gan_dataset *)m, &n), GAN_ESTATE, "gan_dataset");
    TU_ASSERT_ERROR(gan_dataset_next_batch((gan_dataset *)m, y, 2, NULL, &n, NULL), GAN_ESTATE,
                        "gan_dataset");
    {
        gan_dataset *o = NULL;
        TU_ASSERT_ERROR(gan_dataset_convert(&o, (gan_dataset *)m, 2, 2, 1), GAN_ESTATE,
                            "gan_dataset");
        ck_assert_ptr_null(o);
    }
    gan_dataset_free((gan_dataset *)m);   /* wrong type: ignored */
    ck_assert_int_eq(gan_model_layer_count(m, &n), GAN_OK);   /* still a live model */
    gan_model_free(m);
    TU_ASSERT_ERROR(gan_dataset_size(ds, NULL), GAN_EINVAL, "n != NULL");
    TU_ASSERT_ERROR(gan_dataset_shape(ds, NULL, d), GAN_EINVAL, "ndim");
    TU_ASSERT_ERROR(gan_dataset_batches_per_epoch(ds, NULL), GAN_EINVAL, "n != NULL");
    gan_dataset_free(ds);
    gan_dataset_free(NULL);
}
END_TEST

/* ---- batching --------------------------------------------------------------------------- */

/* A dataset of n vectors (3 floats: i, -i, 0.5 i) with label i % 7. */
static gan_dataset *seq_dataset(size_t n, int with_labels)
{
    int dims[1] = { 3 };
    float *x = tu_malloc(n * 3 * sizeof(float));
    int32_t *l = tu_malloc(n * sizeof(int32_t));
    gan_dataset *ds = NULL;
    for (size_t i = 0; i < n; i++) {
        x[3 * i] = (float)i;
        x[3 * i + 1] = -(float)i;
        x[3 * i + 2] = 0.5f * (float)i;
        l[i] = (int32_t)(i % 7);
    }
    ck_assert_int_eq(gan_dataset_create_float(&ds, x, n, 1, dims, with_labels ? l : NULL, 1),
                     GAN_OK);
    free(x);
    free(l);
    return ds;
}

static void set_batching(gan_dataset *ds, size_t bs, int shuffle, int drop, uint64_t seed)
{
    gan_batch_config c;
    ck_assert_int_eq(GAN_BATCH_CONFIG_INIT(&c), GAN_OK);
    c.batch_size = bs;
    c.shuffle = shuffle;
    c.drop_remainder = drop;
    c.seed = seed;
    ck_assert_int_eq(gan_dataset_set_batching(ds, &c), GAN_OK);
}

/*
 * Consume one epoch; order[] gets the sample indices in order, returns the
 * number of samples.  Checks labels follow images, batch sizes, the epoch
 * number and the GAN_DONE at the end.
 */
static size_t run_epoch(gan_dataset *ds, size_t bs, int drop, size_t expect_epoch, size_t *order,
                        size_t *n_batches)
{
    size_t n_ds = ds_size(ds), got, ep, total = 0, batches = 0;
    float *x = tu_malloc(bs * 3 * sizeof(float));
    int32_t *l = tu_malloc(bs * sizeof(int32_t));
    gan_status st;
    int has;
    ck_assert_int_eq(gan_dataset_labels_info(ds, &has, NULL), GAN_OK);
    while ((st = gan_dataset_next_batch(ds, x, bs * 3, l, &got, &ep)) == GAN_OK) {
        ck_assert_uint_eq(ep, expect_epoch);
        ck_assert_uint_ge(got, 1);
        ck_assert_uint_le(got, bs);
        if (got < bs) {
            ck_assert_int_eq(drop, 0);
            ck_assert_uint_eq(got, n_ds % bs);
        }
        for (size_t i = 0; i < got; i++) {
            size_t idx = (size_t)x[3 * i];
            ck_assert_float_eq(x[3 * i + 1], -(float)idx);
            ck_assert_float_eq(x[3 * i + 2], 0.5f * (float)idx);
            ck_assert_int_eq(l[i], has ? (int32_t)(idx % 7) : -1);
            order[total++] = idx;
        }
        batches++;
    }
    ck_assert_int_eq(st, GAN_DONE);
    ck_assert_uint_eq(got, 0);
    ck_assert_uint_eq(ep, expect_epoch);
    free(x);
    free(l);
    if (n_batches)
        *n_batches = batches;
    return total;
}

START_TEST(test_batching_counts)
{
    gan_dataset *ds = seq_dataset(10, 1);
    size_t order[10], nb, bpe, total;
    /* Defaults: batch 64 with drop_remainder: no batch fits 10 samples. */
    ck_assert_int_eq(gan_dataset_batches_per_epoch(ds, &bpe), GAN_OK);
    ck_assert_uint_eq(bpe, 0);
    {
        float x[64 * 3];
        size_t got;
        TU_ASSERT_ERROR(gan_dataset_next_batch(ds, x, 64 * 3, NULL, &got, NULL), GAN_ESTATE,
                            "no batch fits");
    }
    /* drop_remainder: 3 batches of 3, the 10th sample is skipped. */
    set_batching(ds, 3, 1, 1, 42);
    ck_assert_int_eq(gan_dataset_batches_per_epoch(ds, &bpe), GAN_OK);
    ck_assert_uint_eq(bpe, 3);
    for (size_t e = 0; e < 3; e++) {
        total = run_epoch(ds, 3, 1, e, order, &nb);
        ck_assert_uint_eq(total, 9);
        ck_assert_uint_eq(nb, 3);
        {
            int seen[10] = { 0 };
            for (size_t i = 0; i < total; i++)
                ck_assert_int_eq(seen[order[i]]++, 0);   /* at most once */
        }
    }
    /* Keep the remainder: 4 batches, the last of 1, every sample once. */
    set_batching(ds, 3, 1, 0, 42);
    ck_assert_int_eq(gan_dataset_batches_per_epoch(ds, &bpe), GAN_OK);
    ck_assert_uint_eq(bpe, 4);
    for (size_t e = 0; e < 3; e++) {
        int seen[10] = { 0 };
        total = run_epoch(ds, 3, 0, e, order, &nb);
        ck_assert_uint_eq(total, 10);
        ck_assert_uint_eq(nb, 4);
        for (size_t i = 0; i < total; i++)
            seen[order[i]]++;
        for (size_t i = 0; i < 10; i++)
            ck_assert_int_eq(seen[i], 1);
    }
    /* Exact multiple: no short batch either way. */
    set_batching(ds, 5, 1, 0, 1);
    ck_assert_int_eq(gan_dataset_batches_per_epoch(ds, &bpe), GAN_OK);
    ck_assert_uint_eq(bpe, 2);
    ck_assert_uint_eq(run_epoch(ds, 5, 0, 0, order, &nb), 10);
    ck_assert_uint_eq(nb, 2);
    /* No shuffle: file order. */
    set_batching(ds, 4, 0, 0, 7);
    ck_assert_uint_eq(run_epoch(ds, 4, 0, 0, order, NULL), 10);
    for (size_t i = 0; i < 10; i++)
        ck_assert_uint_eq(order[i], i);
    /* Limit resets the iterator and restricts the samples. */
    ck_assert_int_eq(gan_dataset_limit(ds, 7), GAN_OK);
    set_batching(ds, 2, 1, 0, 7);
    {
        int seen[10] = { 0 };
        ck_assert_uint_eq(run_epoch(ds, 2, 0, 0, order, &nb), 7);
        ck_assert_uint_eq(nb, 4);
        for (size_t i = 0; i < 7; i++) {
            ck_assert_uint_lt(order[i], 7);
            ck_assert_int_eq(seen[order[i]]++, 0);
        }
    }
    gan_dataset_free(ds);
    /* Unlabelled dataset: labels are -1. */
    ds = seq_dataset(5, 0);
    set_batching(ds, 2, 1, 0, 3);
    ck_assert_uint_eq(run_epoch(ds, 2, 0, 0, order, NULL), 5);
    gan_dataset_free(ds);
}
END_TEST

START_TEST(test_batching_reproducible)
{
    enum { N = 100 };
    gan_dataset *a = seq_dataset(N, 1), *b = seq_dataset(N, 1);
    size_t oa[3][N], ob[N], oc[N];
    /* Same seed: same orders; epochs differ from each other. */
    set_batching(a, 8, 1, 0, 1234);
    for (size_t e = 0; e < 3; e++)
        ck_assert_uint_eq(run_epoch(a, 8, 0, e, oa[e], NULL), N);
    ck_assert_msg(memcmp(oa[0], oa[1], sizeof oa[0]) != 0, "epochs 0 and 1 have the same order");
    ck_assert_msg(memcmp(oa[1], oa[2], sizeof oa[0]) != 0, "epochs 1 and 2 have the same order");
    {
        int identity = 1;
        for (size_t i = 0; i < N; i++)
            identity &= oa[0][i] == i;
        ck_assert_msg(!identity, "shuffle produced the identity");
    }
    /* The order depends on (seed, epoch) only, not on the batch size or on
       how earlier epochs were consumed. */
    set_batching(b, 1, 1, 0, 1234);
    ck_assert_uint_eq(run_epoch(b, 1, 0, 0, ob, NULL), N);
    ck_assert_mem_eq(ob, oa[0], sizeof ob);
    set_batching(b, 33, 1, 0, 1234);
    {
        /* Consume part of epoch 0, restart with the same config: epoch 0 again. */
        float x[33 * 3];
        size_t got;
        ck_assert_int_eq(gan_dataset_next_batch(b, x, sizeof x / sizeof *x, NULL, &got, NULL), GAN_OK);
        set_batching(b, 33, 1, 0, 1234);
    }
    ck_assert_uint_eq(run_epoch(b, 33, 0, 0, ob, NULL), N);
    ck_assert_mem_eq(ob, oa[0], sizeof ob);
    ck_assert_uint_eq(run_epoch(b, 33, 0, 1, ob, NULL), N);
    ck_assert_mem_eq(ob, oa[1], sizeof ob);
    /* A different seed: a different order. */
    set_batching(b, 8, 1, 0, 1235);
    ck_assert_uint_eq(run_epoch(b, 8, 0, 0, oc, NULL), N);
    ck_assert_msg(memcmp(oc, oa[0], sizeof oc) != 0, "seeds 1234 and 1235 give the same order");
    /* drop_remainder drops the tail of the same permutation. */
    set_batching(b, 8, 1, 1, 1234);
    ck_assert_uint_eq(run_epoch(b, 8, 1, 0, oc, NULL), 96);
    ck_assert_mem_eq(oc, oa[0], 96 * sizeof *oc);
    gan_dataset_free(a);
    gan_dataset_free(b);
}
END_TEST

START_TEST(test_batching_misuse)
{
    gan_dataset *ds = seq_dataset(10, 1);
    gan_batch_config c;
    float x[30];
    size_t got = 99;
    TU_ASSERT_ERROR(gan_batch_config_init(NULL, sizeof c), GAN_EINVAL, "cfg");
    TU_ASSERT_ERROR(gan_batch_config_init(&c, sizeof c - 1), GAN_EINVAL, "struct size");
    TU_ASSERT_ERROR(gan_batch_config_init(&c, sizeof c + 8), GAN_EINVAL, "struct size");
    ck_assert_int_eq(GAN_BATCH_CONFIG_INIT(&c), GAN_OK);
    ck_assert_uint_eq(c.struct_size, sizeof c);
    ck_assert_uint_eq(c.batch_size, 64);
    ck_assert_int_eq(c.shuffle, 1);
    ck_assert_int_eq(c.drop_remainder, 1);
    ck_assert_uint_eq(c.seed, 0);
    c.batch_size = 0;
    TU_ASSERT_ERROR(gan_dataset_set_batching(ds, &c), GAN_EINVAL, "batch_size is 0");
    c.batch_size = 4;
    c.struct_size = 3;
    TU_ASSERT_ERROR(gan_dataset_set_batching(ds, &c), GAN_EINVAL, "struct_size 3");
    ck_assert_int_eq(gan_dataset_set_batching(ds, NULL), GAN_OK);   /* defaults */
    set_batching(ds, 10, 0, 1, 99);
    {
        gan_batch_config g;
        ck_assert_int_eq(GAN_BATCH_CONFIG_INIT(&g), GAN_OK);
        ck_assert_int_eq(gan_dataset_get_batching(ds, &g), GAN_OK);
        ck_assert_uint_eq(g.batch_size, 10);
        ck_assert_int_eq(g.shuffle, 0);
        ck_assert_int_eq(g.drop_remainder, 1);
        ck_assert_uint_eq(g.seed, 99);
        ck_assert_uint_eq(g.struct_size, sizeof g);
    }
    TU_ASSERT_ERROR(gan_dataset_next_batch(ds, x, 29, NULL, &got, NULL), GAN_ESHAPE,
                        "x_count is 29, expected at least 30");
    TU_ASSERT_ERROR(gan_dataset_next_batch(ds, NULL, 30, NULL, &got, NULL), GAN_EINVAL, "x");
    TU_ASSERT_ERROR(gan_dataset_next_batch(ds, x, 30, NULL, NULL, NULL), GAN_EINVAL, "n");
    TU_ASSERT_ERROR(gan_dataset_next_batch(NULL, x, 30, NULL, &got, NULL), GAN_EINVAL, "NULL");
    /* The failed calls did not move the iterator. */
    ck_assert_int_eq(gan_dataset_next_batch(ds, x, 30, NULL, &got, NULL), GAN_OK);
    ck_assert_uint_eq(got, 10);
    ck_assert_int_eq(gan_dataset_next_batch(ds, x, 30, NULL, &got, NULL), GAN_DONE);
    ck_assert_uint_eq(got, 0);
    gan_dataset_free(ds);
}
END_TEST

/* ---- convert ------------------------------------------------------------------------------- */

START_TEST(test_convert)
{
    int d1[3] = { 2, 2, 1 }, d3[3] = { 4, 4, 3 };
    float x1[8] = { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f };
    float x3[2 * 48];
    int32_t labels[2] = { 3, 1 };
    gan_dataset *a = NULL, *b = NULL, *c = NULL;
    float y[48];
    int32_t label;
    size_t nd;
    int d[3];
    for (int i = 0; i < 96; i++)
        x3[i] = (float)i;
    ck_assert_int_eq(gan_dataset_create_float(&a, x1, 2, 3, d1, labels, 1), GAN_OK);
    /* Pad 2x2 -> 4x4 (one row/column each side) and replicate 1 -> 3. */
    ck_assert_msg(gan_dataset_convert(&b, a, 4, 4, 3) == GAN_OK, "%s", gan_last_error());
    ck_assert_int_eq(gan_dataset_shape(b, &nd, d), GAN_OK);
    ck_assert_int_eq(d[0], 4);
    ck_assert_int_eq(d[1], 4);
    ck_assert_int_eq(d[2], 3);
    ck_assert_uint_eq(ds_size(b), 2);
    ck_assert_int_eq(gan_dataset_get(b, 1, y, 48, &label), GAN_OK);
    ck_assert_int_eq(label, 1);
    for (int yy = 0; yy < 4; yy++)
        for (int xx = 0; xx < 4; xx++)
            for (int k = 0; k < 3; k++) {
                float want = -1.0f;
                if (yy >= 1 && yy <= 2 && xx >= 1 && xx <= 2)
                    want = x1[4 + (yy - 1) * 2 + (xx - 1)];
                ck_assert_float_eq(y[(yy * 4 + xx) * 3 + k], want);
            }
    gan_dataset_free(b);
    /* Odd padding 2 -> 3: the smaller half first (0 rows on top). */
    ck_assert_int_eq(gan_dataset_convert(&b, a, 3, 3, 1), GAN_OK);
    ck_assert_int_eq(gan_dataset_get(b, 0, y, 9, NULL), GAN_OK);
    ck_assert_float_eq(y[0], 0.1f);
    ck_assert_float_eq(y[4], 0.4f);
    ck_assert_float_eq(y[2], -1.0f);
    ck_assert_float_eq(y[8], -1.0f);
    gan_dataset_free(b);
    /* Crop 4x4x3 -> 2x2x1 centre, averaging channels. */
    ck_assert_int_eq(gan_dataset_create_float(&c, x3, 2, 3, d3, NULL, 1), GAN_OK);
    ck_assert_int_eq(gan_dataset_convert(&b, c, 2, 2, 1), GAN_OK);
    ck_assert_int_eq(gan_dataset_get(b, 1, y, 4, &label), GAN_OK);
    ck_assert_int_eq(label, -1);
    for (int yy = 0; yy < 2; yy++)
        for (int xx = 0; xx < 2; xx++) {
            const float *p = x3 + 48 + ((yy + 1) * 4 + (xx + 1)) * 3;
            ck_assert_float_eq(y[yy * 2 + xx], (p[0] + p[1] + p[2]) / 3.0f);
        }
    gan_dataset_free(b);
    /* Same channels: crop only; limit applies. */
    ck_assert_int_eq(gan_dataset_limit(c, 1), GAN_OK);
    ck_assert_int_eq(gan_dataset_convert(&b, c, 1, 1, 3), GAN_OK);
    ck_assert_uint_eq(ds_size(b), 1);
    ck_assert_int_eq(gan_dataset_get(b, 0, y, 3, NULL), GAN_OK);
    ck_assert_float_eq(y[0], x3[(1 * 4 + 1) * 3]);
    ck_assert_float_eq(y[2], x3[(1 * 4 + 1) * 3 + 2]);
    gan_dataset_free(b);
    /* Errors. */
    TU_ASSERT_ERROR(gan_dataset_convert(&b, c, 4, 4, 2), GAN_ESHAPE,
                    "cannot convert 3 channels to 2");
    TU_ASSERT_ERROR(gan_dataset_convert(&b, c, 0, 4, 3), GAN_EINVAL, "dimension 0");
    TU_ASSERT_ERROR(gan_dataset_convert(&b, NULL, 4, 4, 3), GAN_EINVAL, "NULL");
    TU_ASSERT_ERROR(gan_dataset_convert(NULL, c, 4, 4, 3), GAN_EINVAL, "out");
    ck_assert_ptr_null(b);
    {
        gan_dataset *v = seq_dataset(3, 0);
        TU_ASSERT_ERROR(gan_dataset_convert(&b, v, 4, 4, 3), GAN_ESHAPE, "not images");
        gan_dataset_free(v);
    }
    gan_dataset_free(a);
    gan_dataset_free(c);
}
END_TEST

START_TEST(test_convert_mnist_to_cifar_shape)
{
    uint32_t dims[3] = { 2, 28, 28 };
    tbuf im = mk_idx(0x08, 3, dims, 0);
    gan_dataset *a = NULL, *b = NULL;
    float *y = tu_malloc(32 * 32 * 3 * sizeof(float));
    ck_assert_int_eq(gan_dataset_load_idx_mem(&a, im.p, im.len, NULL, 0), GAN_OK);
    ck_assert_int_eq(gan_dataset_convert(&b, a, 32, 32, 3), GAN_OK);
    ck_assert_int_eq(gan_dataset_get(b, 1, y, 32 * 32 * 3, NULL), GAN_OK);
    for (int yy = 0; yy < 32; yy++)
        for (int xx = 0; xx < 32; xx++) {
            int inside = yy >= 2 && yy < 30 && xx >= 2 && xx < 30;
            float want = inside ? px(im.p[16 + 784 + (yy - 2) * 28 + (xx - 2)]) : -1.0f;
            for (int k = 0; k < 3; k++)
                ck_assert_float_eq(y[(yy * 32 + xx) * 3 + k], want);
        }
    gan_dataset_free(a);
    gan_dataset_free(b);
    free(y);
    free(im.p);
}
END_TEST

/* ---- allocation failures ---------------------------------------------------------------- */

START_TEST(test_oom_loop)
{
    tu_oom o;
    uint32_t dims[3] = { 3, 4, 4 };
    tbuf im = mk_idx(0x08, 3, dims, 2), lb = mk_labels(3, 0);
    tbuf gim = gz(im.p, im.len), cif = mk_cifar(2, 0);
    int done = 0;
    tu_oom_install(&o);
    for (int which = 0; which < 3; which++) {
        for (long k = 0; k < 1000; k++) {
            gan_dataset *ds = NULL, *cv = NULL;
            gan_status st;
            tu_oom_fail_after(&o, k, 1);
            if (which == 0)
                st = gan_dataset_load_idx_mem(&ds, gim.p, gim.len, lb.p, lb.len);
            else if (which == 1)
                st = gan_dataset_load_cifar10_mem(&ds, cif.p, cif.len);
            else {
                tu_oom_never(&o);
                ck_assert_int_eq(gan_dataset_load_idx_mem(&ds, im.p, im.len, NULL, 0), GAN_OK);
                tu_oom_fail_after(&o, k, 1);
                st = gan_dataset_convert(&cv, ds, 6, 6, 3);
                tu_oom_never(&o);
                gan_dataset_free(ds);
                ds = cv;
            }
            tu_oom_never(&o);
            if (st == GAN_OK) {
                gan_dataset_free(ds);
                ck_assert_int_eq(o.live, 0);
                done++;
                break;
            }
            ck_assert_msg(st == GAN_ENOMEM, "case %d, failing allocation %ld: %d %s", which, k,
                          (int)st, gan_last_error());
            ck_assert_ptr_null(ds);
            ck_assert_msg(o.live == 0, "case %d, failing allocation %ld: %ld blocks leaked",
                          which, k, o.live);
        }
    }
    ck_assert_int_eq(done, 3);
    tu_oom_uninstall();
    free(im.p);
    free(lb.p);
    free(gim.p);
    free(cif.p);
}
END_TEST

/* ---- suite ---------------------------------------------------------------------------------- */

static Suite *dataset_suite(void)
{
    Suite *s = suite_create("dataset");
    TCase *t = tcase_create("fashion-mnist");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, test_fashion_mnist, 0, 2);
    tcase_add_test(t, test_fashion_mnist_files);
    suite_add_tcase(s, t);
    t = tcase_create("parsers");
    tcase_add_test(t, test_idx_mem_values);
    tcase_add_test(t, test_idx_mem_4d_and_gzip);
    tcase_add_test(t, test_idx_errors);
    tcase_add_test(t, test_idx_type_codes);
    tcase_add_test(t, test_idx_files_and_mnist_dir);
    tcase_add_test(t, test_cifar_mem);
    tcase_add_test(t, test_cifar_dir);
    tcase_add_test(t, test_gunzip_cap);
    suite_add_tcase(s, t);
    t = tcase_create("malformed");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, test_malformed_table, KIND_IDX_RAW, KIND_CIFAR + 1);
    tcase_add_test(t, test_oom_loop);
    suite_add_tcase(s, t);
    t = tcase_create("memory-and-batching");
    tcase_add_test(t, test_create_float_and_u8);
    tcase_add_test(t, test_limit_get_misuse);
    tcase_add_test(t, test_batching_counts);
    tcase_add_test(t, test_batching_reproducible);
    tcase_add_test(t, test_batching_misuse);
    tcase_add_test(t, test_convert);
    tcase_add_test(t, test_convert_mnist_to_cifar_shape);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(dataset_suite());
}
