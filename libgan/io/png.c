/*
 * png.c -- a grid of 8-bit images as one PNG file (gan_png_encode_grid,
 * gan_png_write_grid).
 *
 * The file (PNG specification, 2nd edition, ISO/IEC 15948):
 *   signature   89 50 4E 47 0D 0A 1A 0A
 *   IHDR        width, height (u32 big-endian), bit depth 8, colour type
 *               0 (gray), 2 (RGB) or 6 (RGBA), compression 0, filter 0,
 *               interlace 0
 *   IDAT...     one zlib stream, split into chunks of at most 64 KiB, of
 *               the scanlines, each a filter-type byte then W*c bytes
 *   IEND
 * every chunk being length (u32 BE), type, data, CRC-32 of type and data.
 *
 * Filters: for each row, the one of None, Sub, Up and Paeth whose output
 * has the smallest sum of absolute values as signed bytes (the heuristic of
 * the specification's section 12.8 and libpng).  Rows are filtered and fed
 * to deflate one at a time, so memory stays at a few rows plus the output.
 *
 * Layout: cols columns (0: ceil(sqrt(n))), rows = ceil(n / cols); image k
 * sits at row k / cols, column k % cols; `pad` black pixels between images
 * and around the grid; empty cells are black.  Black is 0 in every channel,
 * including alpha (transparent) for RGBA.
 */
#include <zlib.h>

#include "io/io.h"

/* Largest grid in pixels: 2^28 (1 GiB of RGBA). */
#define GAN__PNG_MAX_PIXELS ((uint64_t)1 << 28)
#define GAN__PNG_IDAT_MAX ((size_t)1 << 16)

/* A growing output buffer. */
typedef struct gan__obuf {
    unsigned char *p;
    size_t len, cap;
    int failed;
} gan__obuf;

static void gan__obuf_put(gan__obuf *o, const void *data, size_t n)
{
    if (o->failed)
        return;
    if (n > o->cap - o->len) {
        size_t cap = o->cap ? o->cap : 4096;
        unsigned char *p;
        while (cap - o->len < n) {
            if (cap > ((size_t)-1) / 2) {
                o->failed = 1;
                return;
            }
            cap *= 2;
        }
        p = gan__realloc(o->p, cap);
        if (!p) {
            o->failed = 1;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, data, n);
    o->len += n;
}

static void gan__be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

/* One chunk: length, type, data, CRC-32 over type and data. */
static void gan__png_chunk(gan__obuf *o, const char type[4], const unsigned char *data,
                           size_t len)
{
    unsigned char b[4];
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, (const Bytef *)type, 4);
    if (len)
        crc = crc32(crc, data, (uInt)len);
    gan__be32(b, (uint32_t)len);
    gan__obuf_put(o, b, 4);
    gan__obuf_put(o, type, 4);
    if (len)
        gan__obuf_put(o, data, len);
    gan__be32(b, (uint32_t)crc);
    gan__obuf_put(o, b, 4);
}

/* zlib's allocations go through the library's allocator too. */
static voidpf gan__zalloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return gan__calloc(items, size);
}

static void gan__zfree(voidpf opaque, voidpf p)
{
    (void)opaque;
    gan__free(p);
}

static int gan__paeth(int a, int b, int c)
{
    int p = a + b - c, pa = p > a ? p - a : a - p, pb = p > b ? p - b : b - p,
        pc = p > c ? p - c : c - p;
    if (pa <= pb && pa <= pc)
        return a;
    return pb <= pc ? b : c;
}

/* Sum of |byte| as signed bytes: the filter heuristic's cost. */
static unsigned long gan__row_cost(const unsigned char *r, size_t n)
{
    unsigned long s = 0;
    for (size_t i = 0; i < n; i++)
        s += r[i] < 128 ? r[i] : 256u - r[i];
    return s;
}

/*
 * Filter row `cur` (prev: the row above, all zero for the first) with the
 * cheapest of the four filters into out[0] (filter byte) .. out[n].
 * cand holds 3 * n scratch bytes.
 */
static void gan__filter_row(const unsigned char *cur, const unsigned char *prev, size_t n,
                            int bpp, unsigned char *cand, unsigned char *out)
{
    unsigned char *sub = cand, *up = cand + n, *pa = cand + 2 * n;
    unsigned long best, c;
    for (size_t i = 0; i < n; i++) {
        int left = i >= (size_t)bpp ? cur[i - bpp] : 0;
        int ul = i >= (size_t)bpp ? prev[i - bpp] : 0;
        sub[i] = (unsigned char)(cur[i] - left);
        up[i] = (unsigned char)(cur[i] - prev[i]);
        pa[i] = (unsigned char)(cur[i] - gan__paeth(left, prev[i], ul));
    }
    out[0] = 0;
    best = gan__row_cost(cur, n);
    memcpy(out + 1, cur, n);
    if ((c = gan__row_cost(sub, n)) < best) {
        best = c;
        out[0] = 1;
        memcpy(out + 1, sub, n);
    }
    if ((c = gan__row_cost(up, n)) < best) {
        best = c;
        out[0] = 2;
        memcpy(out + 1, up, n);
    }
    if (gan__row_cost(pa, n) < best) {
        out[0] = 4;
        memcpy(out + 1, pa, n);
    }
}

/* Unfiltered row y of the grid into row[0..W*c). */
static void gan__grid_row(const uint8_t *images, size_t n, size_t h, size_t w, size_t c,
                          size_t cols, size_t pad, size_t y, unsigned char *row, size_t row_bytes)
{
    const size_t cell_h = h + pad, cell_w = w + pad;
    size_t gy, iy;
    memset(row, 0, row_bytes);
    if (y < pad)
        return;
    gy = (y - pad) / cell_h;
    iy = (y - pad) % cell_h;
    if (iy >= h)
        return;                                    /* padding between rows */
    for (size_t gx = 0; gx < cols; gx++) {
        size_t k = gy * cols + gx;
        if (k >= n)
            break;                                 /* empty cells stay black */
        memcpy(row + (pad + gx * cell_w) * c, images + ((k * h + iy) * w) * c, w * c);
    }
}

gan_status gan_png_encode_grid(const uint8_t *images, size_t n, int h, int w, int c, int cols,
                               int pad, void **buf, size_t *len)
{
    uint64_t W, H, rows, ncols;
    size_t row_bytes, in_bytes;
    unsigned char ihdr[13], *rows_mem = NULL, *zout = NULL;
    gan__obuf o = {NULL, 0, 0, 0};
    z_stream zs;
    int zrc, zinit = 0;
    gan_status st = GAN_OK;
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    if (buf)
        *buf = NULL;
    if (len)
        *len = 0;
    GAN__CHECK_ARG(buf != NULL);
    GAN__CHECK_ARG(len != NULL);
    GAN__CHECK_ARG(images != NULL);
    if (n == 0)
        return gan__err(GAN_EINVAL, "%s: n is 0: no images", __func__);
    if (h < 1 || w < 1 || h > GAN__MAX_DIM || w > GAN__MAX_DIM)
        return gan__err(GAN_EINVAL, "%s: image size %dx%d, each side must be in 1..%d", __func__,
                        h, w, GAN__MAX_DIM);
    if (c != 1 && c != 3 && c != 4)
        return gan__err(GAN_EINVAL, "%s: %d channels; PNG grids take 1 (gray), 3 (RGB) or 4 "
                        "(RGBA)", __func__, c);
    if (cols < 0 || pad < 0 || pad > GAN__MAX_DIM)
        return gan__err(GAN_EINVAL, "%s: cols %d and pad %d must be >= 0 (pad at most %d)",
                        __func__, cols, pad, GAN__MAX_DIM);
    if (n > GAN__PNG_MAX_PIXELS)
        return gan__err(GAN_EINVAL, "%s: %zu images is more than a grid can hold", __func__, n);
    if (cols == 0) {
        ncols = 1;
        while (ncols * ncols < (uint64_t)n)
            ncols++;
    } else {
        ncols = (uint64_t)cols;
    }
    rows = ((uint64_t)n + ncols - 1) / ncols;
    /* Each factor is below 2^28 (n) or 2^31 (cols), the sides below 2^24:
       the products below fit in 64 bits before the cap check. */
    W = ncols * (uint64_t)w + (ncols + 1) * (uint64_t)pad;
    H = rows * (uint64_t)h + (rows + 1) * (uint64_t)pad;
    if (W > GAN__PNG_MAX_PIXELS || H > GAN__PNG_MAX_PIXELS || W * H > GAN__PNG_MAX_PIXELS)
        return gan__err(GAN_EINVAL, "%s: a grid of %llu x %llu pixels (%zu images of %dx%d, %llu "
                        "columns, pad %d) is larger than %llu pixels", __func__,
                        (unsigned long long)W, (unsigned long long)H, n, h, w,
                        (unsigned long long)ncols, pad, (unsigned long long)GAN__PNG_MAX_PIXELS);
    if (gan__mul_size(n, (size_t)h * (size_t)w * (size_t)c, &in_bytes) != 0)
        return gan__err(GAN_EINVAL, "%s: %zu images of %dx%dx%d overflow size_t", __func__, n, h,
                        w, c);
    row_bytes = (size_t)W * (size_t)c;

    /* Scratch: previous row, current row, 3 candidates, filtered row. */
    rows_mem = gan__malloc(6 * row_bytes + 1);
    zout = gan__malloc(GAN__PNG_IDAT_MAX);
    if (!rows_mem || !zout) {
        st = gan__err(GAN_ENOMEM, "%s: out of memory", __func__);
        goto done;
    }
    memset(&zs, 0, sizeof zs);
    zs.zalloc = gan__zalloc;
    zs.zfree = gan__zfree;
    zs.opaque = Z_NULL;
    zrc = deflateInit(&zs, Z_DEFAULT_COMPRESSION);
    if (zrc != Z_OK) {
        st = zrc == Z_MEM_ERROR ? gan__err(GAN_ENOMEM, "%s: out of memory (deflateInit)", __func__)
                                : gan__err(GAN_EINTERNAL, "%s: deflateInit failed (%d)", __func__, zrc);
        goto done;
    }
    zinit = 1;

    gan__obuf_put(&o, sig, sizeof sig);
    gan__be32(ihdr, (uint32_t)W);
    gan__be32(ihdr + 4, (uint32_t)H);
    ihdr[8] = 8;                                   /* bit depth */
    ihdr[9] = (unsigned char)(c == 1 ? 0 : c == 3 ? 2 : 6);
    ihdr[10] = ihdr[11] = ihdr[12] = 0;            /* deflate, filter 0, no interlace */
    gan__png_chunk(&o, "IHDR", ihdr, sizeof ihdr);

    {
        unsigned char *prev = rows_mem, *cur = rows_mem + row_bytes;
        unsigned char *cand = rows_mem + 2 * row_bytes, *filt = rows_mem + 5 * row_bytes;
        memset(prev, 0, row_bytes);
        zs.next_out = zout;
        zs.avail_out = (uInt)GAN__PNG_IDAT_MAX;
        for (uint64_t y = 0; y <= H; y++) {
            const int last = y == H;
            if (!last) {
                unsigned char *t;
                gan__grid_row(images, n, (size_t)h, (size_t)w, (size_t)c, (size_t)ncols,
                              (size_t)pad, (size_t)y, cur, row_bytes);
                gan__filter_row(cur, prev, row_bytes, c, cand, filt);
                t = prev;
                prev = cur;
                cur = t;
                zs.next_in = filt;
                zs.avail_in = (uInt)(row_bytes + 1);   /* <= 2^28 * 4 + 1 < 2^32 */
            }
            do {
                zrc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
                if (zrc == Z_STREAM_ERROR) {
                    st = gan__err(GAN_EINTERNAL, "%s: deflate failed", __func__);
                    goto done;
                }
                if (zs.avail_out == 0 || (last && zrc == Z_STREAM_END)) {
                    size_t got = GAN__PNG_IDAT_MAX - zs.avail_out;
                    if (got)
                        gan__png_chunk(&o, "IDAT", zout, got);
                    zs.next_out = zout;
                    zs.avail_out = (uInt)GAN__PNG_IDAT_MAX;
                }
            } while (zs.avail_in > 0 || (last && zrc != Z_STREAM_END));
        }
    }
    gan__png_chunk(&o, "IEND", NULL, 0);
    if (o.failed) {
        st = gan__err(GAN_ENOMEM, "%s: out of memory for the PNG", __func__);
        goto done;
    }
    *buf = o.p;
    *len = o.len;
    o.p = NULL;

done:
    if (zinit)
        deflateEnd(&zs);
    gan__free(o.p);
    gan__free(rows_mem);
    gan__free(zout);
    return st;
}

gan_status gan_png_write_grid(const char *path, const uint8_t *images, size_t n, int h, int w,
                              int c, int cols, int pad)
{
    void *buf = NULL;
    size_t len = 0;
    gan_status st;
    GAN__CHECK_ARG(path != NULL);
    if ((st = gan_png_encode_grid(images, n, h, w, c, cols, pad, &buf, &len)) != GAN_OK) {
        gan__err_prefix("gan_png_write_grid");
        return st;
    }
    st = gan__write_file_atomic(path, buf, len);
    gan__free(buf);
    return st;
}
