/*
 * check_images.c -- datasets from folders of PNG and JPEG images (gan.h,
 * "Datasets from folders of PNG and JPEG images").
 *
 * Every file is written here with libpng's and libjpeg's own writers, with
 * known pixels: PNG values are checked exactly for every colour type and
 * bit depth (gray 1/2/4/8/16, gray+alpha, palette with and without tRNS,
 * RGB, RGBA, 8 and 16 bits, interlaced), JPEG values within a tolerance.
 * Preprocessing is checked against an independent reference computed in
 * double (area from the geometry of the boxes, bilinear from its formula),
 * crop/pad and alpha exactly.  Then labels, order, the cache (hit, miss,
 * invalidation by touch and by settings, corruption at every byte of the
 * header and in the payload), every bad input (truncation at every offset,
 * corrupt JPEG, decompression bomb, empty folder, non-images, symlink
 * loop, dangling link, FIFO, mixed sizes), misuse, x-flip in batches, an
 * allocation-failure loop, and a cached load of 10,000 files equal to the
 * decoded one (its speed: bench/images_cache).
 */
#define _DEFAULT_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <png.h>
#include <jpeglib.h>
#include <zlib.h>

#include "gan.h"
#include "data/image.h"   /* gan__image_decode, gan__axis_init, gan__image_canvas */

/* ---- helpers ------------------------------------------------------------------- */

typedef struct tbuf {
    unsigned char *p;
    size_t len, cap;
} tbuf;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    return p;
}

static int tiny(void)
{
    const char *s = getenv("GAN_TEST_SCALE");
    return s && strcmp(s, "tiny") == 0;
}

static char *mk_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char *d = xmalloc(4096);
    snprintf(d, 4096, "%s/gan_images_XXXXXX", t && *t ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static char *join(const char *dir, const char *name)
{
    char *p = xmalloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(p, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_at(const char *dir, const char *rel, const tbuf *b)
{
    char *p = join(dir, rel);
    char *slash = strrchr(p, '/');
    /* create the folders of rel */
    for (char *q = p + strlen(dir) + 1; q < slash; q++)
        if (*q == '/') {
            *q = '\0';
            mkdir(p, 0755);
            *q = '/';
        }
    *slash = '\0';
    mkdir(p, 0755);
    *slash = '/';
    write_file(p, b->p, b->len);
    free(p);
}

static void rm_rf(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* The uint8 a float sample came from (exact inverse of x / 127.5 - 1). */
static int unpx(float f)
{
    return (int)lrint(((double)f + 1.0) * 127.5);
}

#define ASSERT_ERR(st, code, needle)                                                      \
    do {                                                                                  \
        gan_status s_ = (st);                                                             \
        ck_assert_msg(s_ == (code), "status %d, expected %d (%s)", (int)s_, (int)(code),   \
                      gan_last_error());                                                  \
        ck_assert_msg(strstr(gan_last_error(), (needle)) != NULL,                         \
                      "message '%s' lacks '%s'", gan_last_error(), (needle));             \
    } while (0)

/* A dataset's samples as uint8 (n * elems), and its size. */
static unsigned char *ds_u8(const gan_dataset *ds, size_t *n_out, int dims[3])
{
    size_t n = 0, nd = 0, e;
    unsigned char *u;
    float *x;
    ck_assert_int_eq(gan_dataset_size(ds, &n), GAN_OK);
    ck_assert_int_eq(gan_dataset_shape(ds, &nd, dims), GAN_OK);
    ck_assert_uint_eq(nd, 3);
    e = (size_t)dims[0] * (size_t)dims[1] * (size_t)dims[2];
    u = xmalloc(n * e);
    x = xmalloc(e * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(gan_dataset_get(ds, i, x, e, NULL), GAN_OK);
        for (size_t k = 0; k < e; k++) {
            /* (no ck_assert per value: each one writes to Check's pipe) */
            int v = unpx(x[k]);
            if (!(v >= 0 && v <= 255 && x[k] == (float)((double)v / 127.5 - 1.0)))
                ck_abort_msg("sample %zu value %zu = %g is not a uint8 pixel", i, k, (double)x[k]);
            u[i * e + k] = (unsigned char)v;
        }
    }
    free(x);
    *n_out = n;
    return u;
}

static gan_image_config cfg_of(int h, int w, int c)
{
    gan_image_config cfg;
    ck_assert_int_eq(GAN_IMAGE_CONFIG_INIT(&cfg), GAN_OK);
    cfg.height = h;
    cfg.width = w;
    cfg.channels = c;
    return cfg;
}

/* ---- PNG and JPEG writers (libpng, libjpeg) ---------------------------------------- */

static void tbuf_put(tbuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 256;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void png_put(png_structp png, png_bytep data, size_t n)
{
    tbuf_put(png_get_io_ptr(png), data, n);
}

static void png_flush_nop(png_structp png)
{
    (void)png;
}

/* One PNG description: samples s[(y * w + x) * ch + k] (ch from the colour
   type; a palette image has one index per pixel). */
typedef struct png_spec {
    int w, h, type, depth, interlace;
    const uint16_t *s;
    const png_color *palette;
    int n_palette;
    const png_byte *trns;        /* palette alpha, n_trns entries */
    int n_trns;
    const png_color_16 *trns_key;    /* gray or RGB transparent key */
} png_spec;

static int png_channels(int type)
{
    return type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_PALETTE ? 1 :
           type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : type == PNG_COLOR_TYPE_RGB ? 3 : 4;
}

static tbuf png_encode(const png_spec *sp)
{
    tbuf b = { NULL, 0, 0 };
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    int ch = png_channels(sp->type), bps = sp->depth == 16 ? 2 : 1;
    size_t rowlen = (size_t)sp->w * (size_t)ch * (size_t)bps;
    unsigned char *row = xmalloc(rowlen);
    ck_assert_ptr_nonnull(info);
    ck_assert_int_eq(setjmp(png_jmpbuf(png)), 0);
    png_set_write_fn(png, &b, png_put, png_flush_nop);
    png_set_IHDR(png, info, (png_uint_32)sp->w, (png_uint_32)sp->h, sp->depth, sp->type,
                 sp->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (sp->palette)
        png_set_PLTE(png, info, sp->palette, sp->n_palette);
    if (sp->trns || sp->trns_key)
        png_set_tRNS(png, info, sp->trns, sp->n_trns, sp->trns_key);
    png_write_info(png, info);
    if (sp->depth < 8)
        png_set_packing(png);
    {
        int passes = png_set_interlace_handling(png);
        for (int pass = 0; pass < passes; pass++)
            for (int y = 0; y < sp->h; y++) {
                for (size_t i = 0; i < (size_t)sp->w * (size_t)ch; i++) {
                    uint16_t v = sp->s[(size_t)y * (size_t)sp->w * (size_t)ch + i];
                    if (bps == 2) {
                        row[2 * i] = (unsigned char)(v >> 8);
                        row[2 * i + 1] = (unsigned char)v;
                    } else {
                        row[i] = (unsigned char)v;
                    }
                }
                png_write_row(png, row);
            }
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return b;
}

/* A w x h PNG of 8-bit samples (gray 1, GA 2, RGB 3, RGBA 4 channels). */
static tbuf png8(int w, int h, int ch, const unsigned char *px)
{
    static const int types[5] = { 0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                  PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGBA };
    size_t n = (size_t)w * (size_t)h * (size_t)ch;
    uint16_t *s = xmalloc(n * sizeof *s);
    png_spec sp;
    tbuf b;
    for (size_t i = 0; i < n; i++)
        s[i] = px[i];
    memset(&sp, 0, sizeof sp);
    sp.w = w;
    sp.h = h;
    sp.type = types[ch];
    sp.depth = 8;
    sp.s = s;
    b = png_encode(&sp);
    free(s);
    return b;
}

/* A solid RGB PNG. */
static tbuf png_solid(int w, int h, unsigned r, unsigned g, unsigned bl)
{
    unsigned char *px = xmalloc((size_t)w * (size_t)h * 3);
    tbuf b;
    for (int i = 0; i < w * h; i++) {
        px[3 * i] = (unsigned char)r;
        px[3 * i + 1] = (unsigned char)g;
        px[3 * i + 2] = (unsigned char)bl;
    }
    b = png8(w, h, 3, px);
    free(px);
    return b;
}

/* A JPEG of 8-bit samples: ch 1 (gray), 3 (RGB) or 4 (CMYK, written with an
   Adobe marker); quality 100, no chroma subsampling. */
static tbuf jpeg_encode(int w, int h, int ch, const unsigned char *px, int progressive)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *mem = NULL;
    unsigned long len = 0;
    tbuf b = { NULL, 0, 0 };
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = ch;
    c.in_color_space = ch == 1 ? JCS_GRAYSCALE : ch == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    for (int i = 0; i < c.num_components; i++)
        c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * (size_t)w * (size_t)ch);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    tbuf_put(&b, mem, len);
    free(mem);
    return b;
}

/* Smooth test content: a gradient with a little structure. */
static unsigned char smooth(int x, int y, int k, int seed)
{
    return (unsigned char)((x * 7 + y * 5 + k * 60 + seed * 31) % 200 + 20);
}

/* ---- decoding: every PNG colour type and depth, exactly ------------------------------ */

typedef struct png_case {
    const char *what;
    int type, depth, interlace, trns;
} png_case;

static const png_case png_cases[] = {
    { "gray 1", PNG_COLOR_TYPE_GRAY, 1, 0, 0 },
    { "gray 2", PNG_COLOR_TYPE_GRAY, 2, 0, 0 },
    { "gray 4", PNG_COLOR_TYPE_GRAY, 4, 0, 0 },
    { "gray 8", PNG_COLOR_TYPE_GRAY, 8, 0, 0 },
    { "gray 16", PNG_COLOR_TYPE_GRAY, 16, 0, 0 },
    { "gray 8 tRNS", PNG_COLOR_TYPE_GRAY, 8, 0, 1 },
    { "gray 16 tRNS", PNG_COLOR_TYPE_GRAY, 16, 0, 1 },
    { "gray+alpha 8", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0 },
    { "gray+alpha 16", PNG_COLOR_TYPE_GRAY_ALPHA, 16, 0, 0 },
    { "palette 1", PNG_COLOR_TYPE_PALETTE, 1, 0, 0 },
    { "palette 2", PNG_COLOR_TYPE_PALETTE, 2, 0, 0 },
    { "palette 4", PNG_COLOR_TYPE_PALETTE, 4, 0, 0 },
    { "palette 8", PNG_COLOR_TYPE_PALETTE, 8, 0, 0 },
    { "palette 8 tRNS", PNG_COLOR_TYPE_PALETTE, 8, 0, 1 },
    { "palette 4 tRNS", PNG_COLOR_TYPE_PALETTE, 4, 0, 1 },
    { "RGB 8", PNG_COLOR_TYPE_RGB, 8, 0, 0 },
    { "RGB 16", PNG_COLOR_TYPE_RGB, 16, 0, 0 },
    { "RGB 8 tRNS", PNG_COLOR_TYPE_RGB, 8, 0, 1 },
    { "RGB 16 tRNS", PNG_COLOR_TYPE_RGB, 16, 0, 1 },
    { "RGBA 8", PNG_COLOR_TYPE_RGBA, 8, 0, 0 },
    { "RGBA 16", PNG_COLOR_TYPE_RGBA, 16, 0, 0 },
    { "RGBA 8 interlaced", PNG_COLOR_TYPE_RGBA, 8, 1, 0 },
    { "gray 2 interlaced", PNG_COLOR_TYPE_GRAY, 2, 1, 0 },
    { "palette 8 tRNS interlaced", PNG_COLOR_TYPE_PALETTE, 8, 1, 1 },
    { "RGB 16 interlaced", PNG_COLOR_TYPE_RGB, 16, 1, 0 },
};
#define N_PNG_CASES ((int)(sizeof png_cases / sizeof png_cases[0]))

/* 16 -> 8 bits as documented: round(v / 257). */
static unsigned to8(unsigned v, int depth)
{
    if (depth == 16)
        return (unsigned)floor(v / 257.0 + 0.5);
    return v * (255u / ((1u << depth) - 1u));
}

/* Builds the case's PNG and the RGBA (8-bit) and channel count the decoder
   must give: expected[(y * w + x) * 4 + k], *exp_c. */
static tbuf png_case_make(const png_case *pc, int w, int h, unsigned char *expected, int *exp_c)
{
    int ch = png_channels(pc->type), maxv = (1 << pc->depth) - 1;
    uint16_t *s = xmalloc((size_t)w * (size_t)h * (size_t)ch * sizeof *s);
    png_color pal[256];
    png_byte palpha[256];
    png_color_16 key;
    png_spec sp;
    int npal = pc->type == PNG_COLOR_TYPE_PALETTE ? 1 << pc->depth : 0;
    tbuf b;
    memset(&sp, 0, sizeof sp);
    memset(&key, 0, sizeof key);
    for (int i = 0; i < npal; i++) {
        pal[i].red = (png_byte)(i * 37 + 11);
        pal[i].green = (png_byte)(i * 91 + 3);
        pal[i].blue = (png_byte)(255 - i * 13);
        palpha[i] = (png_byte)(i % 3 == 0 ? 0 : i * 29 + 40);
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < ch; k++) {
                /* spread over the whole range, including 0 and max */
                unsigned v = (unsigned)((x * 131 + y * 71 + k * 4099 + x * y * 13) % (maxv + 1));
                if ((x + y) % 5 == 0)
                    v = (x & 1) ? (unsigned)maxv : 0;
                if (npal)
                    v %= (unsigned)npal;
                s[((size_t)y * (size_t)w + (size_t)x) * (size_t)ch + (size_t)k] = (uint16_t)v;
            }
    if (pc->trns && pc->type != PNG_COLOR_TYPE_PALETTE) {
        /* the key: the value of pixel (1, 0) */
        const uint16_t *p = s + (size_t)1 * (size_t)ch;
        if (ch == 1)
            key.gray = p[0];
        else {
            key.red = p[0];
            key.green = p[1];
            key.blue = p[2];
        }
        sp.trns_key = &key;
    }
    if (npal) {
        sp.palette = pal;
        sp.n_palette = npal;
        if (pc->trns) {
            sp.trns = palpha;
            sp.n_trns = npal;
        }
    }
    sp.w = w;
    sp.h = h;
    sp.type = pc->type;
    sp.depth = pc->depth;
    sp.interlace = pc->interlace;
    sp.s = s;
    b = png_encode(&sp);
    /* What the decoder gives: 8-bit, channels 1..4. */
    *exp_c = npal ? (pc->trns ? 4 : 3) : ch + (pc->trns ? 1 : 0);
    for (int i = 0; i < w * h; i++) {
        const uint16_t *p = s + (size_t)i * (size_t)ch;
        unsigned char *e = expected + 4 * (size_t)i;
        memset(e, 0, 4);
        if (npal) {
            e[0] = pal[p[0]].red;
            e[1] = pal[p[0]].green;
            e[2] = pal[p[0]].blue;
            e[3] = pc->trns ? palpha[p[0]] : 255;
        } else {
            for (int k = 0; k < ch; k++)
                e[k] = (unsigned char)to8(p[k], pc->depth);
            if (pc->trns) {
                int is_key = ch == 1 ? p[0] == key.gray
                                     : p[0] == key.red && p[1] == key.green && p[2] == key.blue;
                e[ch] = is_key ? 0 : 255;
            }
        }
    }
    free(s);
    return b;
}

START_TEST(test_png_decode_exact)
{
    const png_case *pc = &png_cases[_i];
    const int w = 13, h = 7;
    unsigned char expected[13 * 7 * 4];
    int exp_c = 0;
    gan__image im;
    tbuf b = png_case_make(pc, w, h, expected, &exp_c);
    gan_status st = gan__image_decode(b.p, b.len, pc->what, GAN_IMAGE_MAX_PIXELS, &im);
    ck_assert_msg(st == GAN_OK, "%s: %s", pc->what, gan_last_error());
    ck_assert_int_eq(im.w, w);
    ck_assert_int_eq(im.h, h);
    ck_assert_msg(im.c == exp_c, "%s: %d channels, expected %d", pc->what, im.c, exp_c);
    for (int i = 0; i < w * h; i++)
        for (int k = 0; k < exp_c; k++)
            ck_assert_msg(im.px[i * exp_c + k] == expected[4 * i + k],
                          "%s: pixel %d channel %d is %u, expected %u", pc->what, i, k,
                          im.px[i * exp_c + k], expected[4 * i + k]);
    gan__image_free(&im);

    /* The same through the public loader as RGBA: gray is replicated,
       no alpha is opaque, fully transparent pixels are black. */
    {
        gan_image_config cfg = cfg_of(0, 0, 4);
        const void *bufs[1] = { b.p };
        size_t lens[1] = { b.len }, n = 0;
        const char *names[1] = { "img.png" };
        gan_dataset *ds = NULL;
        int dims[3];
        unsigned char *u;
        ck_assert_msg(gan_dataset_load_images_mem(&ds, bufs, lens, names, 1, &cfg) == GAN_OK,
                      "%s", gan_last_error());
        u = ds_u8(ds, &n, dims);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(dims[0], h);
        ck_assert_int_eq(dims[1], w);
        ck_assert_int_eq(dims[2], 4);
        for (int i = 0; i < w * h; i++) {
            unsigned char e[4];
            const unsigned char *x = expected + 4 * i;
            if (exp_c <= 2) {
                e[0] = e[1] = e[2] = x[0];
                e[3] = exp_c == 2 ? x[1] : 255;
            } else {
                memcpy(e, x, 3);
                e[3] = exp_c == 4 ? x[3] : 255;
            }
            if (e[3] == 0)
                e[0] = e[1] = e[2] = 0;
            ck_assert_msg(memcmp(u + 4 * i, e, 4) == 0,
                          "%s: loaded pixel %d is %u %u %u %u, expected %u %u %u %u", pc->what,
                          i, u[4 * i], u[4 * i + 1], u[4 * i + 2], u[4 * i + 3], e[0], e[1], e[2],
                          e[3]);
        }
        free(u);
        gan_dataset_free(ds);
    }
    free(b.p);
}
END_TEST

START_TEST(test_jpeg_decode)
{
    /* gray, RGB, RGB progressive, CMYK (Adobe) */
    const int w = 24, h = 16;
    for (int kind = 0; kind < 4; kind++) {
        int ch = kind == 0 ? 1 : kind == 3 ? 4 : 3;
        unsigned char *px = xmalloc((size_t)w * h * 4);
        gan__image im;
        tbuf b;
        double sum_err = 0;
        int max_err = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < ch; k++)
                    px[(y * w + x) * ch + k] = smooth(x, y, k, kind);
        b = jpeg_encode(w, h, ch, px, kind == 2);
        ck_assert_msg(gan__image_decode(b.p, b.len, "j.jpg", GAN_IMAGE_MAX_PIXELS, &im) == GAN_OK,
                      "kind %d: %s", kind, gan_last_error());
        ck_assert_int_eq(im.w, w);
        ck_assert_int_eq(im.h, h);
        ck_assert_int_eq(im.c, ch == 4 ? 3 : ch);
        for (int i = 0; i < w * h; i++)
            for (int k = 0; k < im.c; k++) {
                int e;
                if (ch == 4) {
                    /* Adobe CMYK is stored inverted: R = C * K / 255 */
                    e = (px[4 * i + k] * px[4 * i + 3] + 127) / 255;
                } else {
                    e = px[i * ch + k];
                }
                int d = abs((int)im.px[i * im.c + k] - e);
                sum_err += d;
                if (d > max_err)
                    max_err = d;
            }
        ck_assert_msg(max_err <= 4 && sum_err / (w * h * im.c) < 1.0,
                      "kind %d: JPEG error max %d mean %g", kind, max_err,
                      sum_err / (w * h * im.c));
        gan__image_free(&im);
        free(b.p);
        free(px);
    }
}
END_TEST

/* ---- preprocessing against a reference ---------------------------------------------- */

/* Reference weights of one axis, from geometry in double (independent of
   the library's integer formulation). */
static void ref_weights(int n_in, int n_out, int i, double *w /* n_in */)
{
    for (int j = 0; j < n_in; j++)
        w[j] = 0.0;
    if (n_out == n_in) {
        w[i] = 1.0;
    } else if (n_out < n_in) {
        double s = (double)n_in / n_out, a = i * s, b = (i + 1) * s;
        for (int j = 0; j < n_in; j++) {
            double lo = fmax(a, j), hi = fmin(b, j + 1.0);
            if (hi > lo)
                w[j] = (hi - lo) / s;
        }
    } else {
        double c = (i + 0.5) * n_in / n_out - 0.5;
        if (c < 0)
            c = 0;
        if (c > n_in - 1)
            c = n_in - 1;
        int j0 = (int)floor(c);
        int j1 = j0 + 1 < n_in ? j0 + 1 : n_in - 1;
        double f = c - j0;
        w[j0] += 1.0 - f;
        w[j1] += f;
    }
}

/* n bytes of reproducible noise (a 64-bit LCG's top byte) from seed. */
static void fill_noise(unsigned char *px, size_t n, uint64_t seed)
{
    uint64_t r = seed;
    for (size_t i = 0; i < n; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        px[i] = (unsigned char)(r >> 56);
    }
}

/* Reference resize of an opaque (h, w, c) uint8 image, in double. */
static void ref_resize(const unsigned char *src, int sw, int sh, int c, int tw, int th,
                       double *out)
{
    double *wx = xmalloc(sizeof(double) * (size_t)sw), *wy = xmalloc(sizeof(double) * (size_t)sh);
    for (int oy = 0; oy < th; oy++) {
        ref_weights(sh, th, oy, wy);
        for (int ox = 0; ox < tw; ox++) {
            ref_weights(sw, tw, ox, wx);
            for (int k = 0; k < c; k++) {
                double acc = 0;
                for (int y = 0; y < sh; y++)
                    if (wy[y] != 0)
                        for (int x = 0; x < sw; x++)
                            acc += wy[y] * wx[x] * src[((size_t)y * sw + x) * c + k];
                out[((size_t)oy * tw + ox) * c + k] = acc;
            }
        }
    }
    free(wx);
    free(wy);
}

START_TEST(test_resize_reference)
{
    /* (sw, sh) -> (tw, th): shrink by integer and fractional factors, grow,
       mixed, identity. */
    static const int cases[][4] = {
        { 64, 64, 32, 32 }, { 37, 23, 16, 16 }, { 100, 75, 32, 24 }, { 5, 7, 16, 12 },
        { 3, 3, 17, 17 },   { 40, 9, 16, 20 },  { 9, 40, 20, 16 },   { 31, 31, 31, 31 },
        { 128, 96, 7, 5 },  { 2, 1, 5, 3 },
    };
    size_t total = 0, exact = 0;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int sw = cases[ci][0], sh = cases[ci][1], tw = cases[ci][2], th = cases[ci][3];
        unsigned char *px = xmalloc((size_t)sw * sh * 3), *out = xmalloc((size_t)tw * th * 3);
        double *ref = xmalloc(sizeof(double) * (size_t)tw * th * 3);
        gan__image im = { sw, sh, 3, px };
        gan__prep p;
        fill_noise(px, (size_t)sw * sh * 3, 0x1234567 + ci);
        memset(&p, 0, sizeof p);
        p.h = th;
        p.w = tw;
        p.c = 3;
        p.fit = GAN_IMAGE_FIT_STRETCH;
        ck_assert_int_eq(gan__image_prep(&im, &p, out, "ref"), GAN_OK);
        ref_resize(px, sw, sh, 3, tw, th, ref);
        for (size_t i = 0; i < (size_t)tw * th * 3; i++) {
            int e = (int)floor(ref[i] + 0.5);
            ck_assert_msg(abs(out[i] - e) <= 1, "%dx%d -> %dx%d: value %zu is %u, reference %g",
                          sw, sh, tw, th, i, out[i], ref[i]);
            exact += out[i] == e;
            total++;
        }
        free(px);
        free(out);
        free(ref);
    }
    /* Off by one only at exact .5 ties of the two computations. */
    ck_assert_msg(exact * 1000 >= total * 999, "%zu of %zu values match exactly", exact, total);
}
END_TEST

START_TEST(test_resize_axis_weights)
{
    /* Every axis table sums to 1 and the area filter covers each input
       equally (n_out / n_in of an output each). */
    for (int n_in = 1; n_in <= 40; n_in++)
        for (int n_out = 1; n_out <= 40; n_out++) {
            gan__axis a;
            double *cover = calloc((size_t)n_in, sizeof(double));
            ck_assert_int_eq(gan__axis_init(&a, n_in, n_out, "axis"), GAN_OK);
            for (int i = 0; i < n_out; i++) {
                double s = 0;
                ck_assert_int_ge(a.start[i], 0);
                ck_assert_int_le(a.start[i] + a.count[i], n_in);
                for (int j = 0; j < a.count[i]; j++) {
                    s += a.weight[i * a.span + j];
                    cover[a.start[i] + j] += a.weight[i * a.span + j];
                }
                ck_assert_msg(fabs(s - 1.0) < 1e-12, "%d -> %d: output %d sums to %.17g", n_in,
                              n_out, i, s);
            }
            if (n_out < n_in)
                for (int j = 0; j < n_in; j++)
                    ck_assert_msg(fabs(cover[j] - (double)n_out / n_in) < 1e-12,
                                  "%d -> %d: input %d covered %.17g", n_in, n_out, j, cover[j]);
            gan__axis_free(&a);
            free(cover);
        }
}
END_TEST

START_TEST(test_crop_pad)
{
    /* A 6x4 (w x h) RGB image with distinct pixels. */
    const int sw = 6, sh = 4;
    unsigned char px[6 * 4 * 3], out[6 * 6 * 4];
    gan__image im = { sw, sh, 3, px };
    gan__prep p;
    gan__canvas cv;
    for (int i = 0; i < sw * sh * 3; i++)
        px[i] = (unsigned char)(i * 3 + 1);
    memset(&p, 0, sizeof p);
    p.bg[0] = 10;
    p.bg[1] = 20;
    p.bg[2] = 30;

    /* crop to 4x4: the middle four columns, exactly */
    p.h = p.w = 4;
    p.c = 3;
    p.fit = GAN_IMAGE_FIT_CROP;
    ck_assert_int_eq(gan__image_prep(&im, &p, out, "crop"), GAN_OK);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            for (int k = 0; k < 3; k++)
                ck_assert_uint_eq(out[(y * 4 + x) * 3 + k], px[(y * sw + x + 1) * 3 + k]);

    /* pad to 6x6: a background row above and below */
    p.h = p.w = 6;
    p.fit = GAN_IMAGE_FIT_PAD;
    ck_assert_int_eq(gan__image_prep(&im, &p, out, "pad"), GAN_OK);
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 6; x++)
            for (int k = 0; k < 3; k++) {
                unsigned e = (y == 0 || y == 5) ? p.bg[k] : px[((y - 1) * sw + x) * 3 + k];
                ck_assert_uint_eq(out[(y * 6 + x) * 3 + k], e);
            }
    /* ... and transparent with 4 channels */
    p.c = 4;
    ck_assert_int_eq(gan__image_prep(&im, &p, out, "pad4"), GAN_OK);
    for (int x = 0; x < 6; x++) {
        ck_assert_uint_eq(out[x * 4 + 3], 0);
        ck_assert_uint_eq(out[(1 * 6 + x) * 4 + 3], 255);
        ck_assert_uint_eq(out[(1 * 6 + x) * 4 + 0], px[x * 3]);
    }

    /* odd margins: the extra pixel goes right / bottom */
    gan__image_canvas(5, 4, 4, 4, GAN_IMAGE_FIT_CROP, &cv);
    ck_assert(cv.x0 == 0 && cv.y0 == 0 && cv.w == 4 && cv.h == 4);
    gan__image_canvas(4, 3, 4, 4, GAN_IMAGE_FIT_PAD, &cv);
    ck_assert(cv.x0 == 0 && cv.y0 == 0 && cv.w == 4 && cv.h == 4);
    gan__image_canvas(4, 7, 4, 4, GAN_IMAGE_FIT_CROP, &cv);
    ck_assert(cv.x0 == 0 && cv.y0 == 1 && cv.w == 4 && cv.h == 4);
    gan__image_canvas(2, 4, 4, 4, GAN_IMAGE_FIT_PAD, &cv);
    ck_assert(cv.x0 == -1 && cv.y0 == 0 && cv.w == 4 && cv.h == 4);
    /* non-square targets: 100x50 cropped to 2:1 is whole; to 1:2 is 25x50 */
    gan__image_canvas(100, 50, 8, 4, GAN_IMAGE_FIT_CROP, &cv);
    ck_assert(cv.x0 == 0 && cv.w == 100 && cv.h == 50);
    gan__image_canvas(100, 50, 4, 8, GAN_IMAGE_FIT_CROP, &cv);
    ck_assert(cv.x0 == 37 && cv.w == 25 && cv.h == 50);
    gan__image_canvas(100, 50, 4, 8, GAN_IMAGE_FIT_STRETCH, &cv);
    ck_assert(cv.x0 == 0 && cv.w == 100 && cv.h == 50);
}
END_TEST

START_TEST(test_pad_reference)
{
    /* A padded resize equals the reference resize of the padded canvas
       built pixel by pixel: pad columns or rows, shrinking and growing,
       odd margins, and extreme aspect ratios whose canvas is almost all
       pad (65535x3 into a square frame: 4.3e9 canvas pixels; the resize
       must cost what the source costs, not what the canvas does). */
    static const int cases[][4] = {
        { 40, 9, 8, 8 }, { 9, 40, 8, 8 }, { 7, 3, 16, 16 }, { 3, 8, 5, 11 },
        { 50, 2, 16, 16 }, { 1, 30, 4, 4 }, { 65535, 3, 8, 8 }, { 2, 65535, 8, 8 },
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int sw = cases[ci][0], sh = cases[ci][1], tw = cases[ci][2], th = cases[ci][3];
        unsigned char *px = xmalloc((size_t)sw * sh * 3), *out = xmalloc((size_t)tw * th * 3);
        gan__image im = { sw, sh, 3, px };
        gan__prep p;
        gan__canvas cv;
        fill_noise(px, (size_t)sw * sh * 3, 0x9e3779b9u + ci);
        memset(&p, 0, sizeof p);
        p.h = th;
        p.w = tw;
        p.c = 3;
        p.fit = GAN_IMAGE_FIT_PAD;
        p.bg[0] = 200;
        p.bg[1] = 7;
        p.bg[2] = 99;
        ck_assert_int_eq(gan__image_prep(&im, &p, out, "padref"), GAN_OK);
        gan__image_canvas(sw, sh, tw, th, GAN_IMAGE_FIT_PAD, &cv);
        ck_assert(cv.w >= sw && cv.h >= sh && (cv.w > sw || cv.h > sh));
        if ((uint64_t)cv.w * (uint64_t)cv.h <= 4096) {
            /* small: the whole canvas through the reference */
            unsigned char *canvas = xmalloc((size_t)cv.w * cv.h * 3);
            double *ref = xmalloc(sizeof(double) * (size_t)tw * th * 3);
            for (long y = 0; y < cv.h; y++)
                for (long x = 0; x < cv.w; x++)
                    for (int k = 0; k < 3; k++) {
                        long sy = cv.y0 + y, sx = cv.x0 + x;
                        int in = sy >= 0 && sy < sh && sx >= 0 && sx < sw;
                        canvas[((size_t)y * cv.w + x) * 3 + k] =
                            in ? px[((size_t)sy * sw + sx) * 3 + k] : p.bg[k];
                    }
            ref_resize(canvas, (int)cv.w, (int)cv.h, 3, tw, th, ref);
            for (size_t i = 0; i < (size_t)tw * th * 3; i++)
                ck_assert_msg(fabs(out[i] - ref[i]) <= 0.5 + 1e-9,
                              "%dx%d padded to %dx%d: value %zu is %u, reference %g", sw, sh,
                              tw, th, i, out[i], ref[i]);
            free(canvas);
            free(ref);
        } else {
            /* huge canvas: the outer rows (or columns) are pure pad, the
               middle one averages the whole source with pad */
            int wide = cv.h > sh;
            for (int o = 0; o < (wide ? tw : th); o++)
                for (int k = 0; k < 3; k++) {
                    size_t first = wide ? (size_t)o : (size_t)o * tw;
                    size_t last = wide ? (size_t)(th - 1) * tw + o : (size_t)o * tw + tw - 1;
                    ck_assert_uint_eq(out[first * 3 + k], p.bg[k]);
                    ck_assert_uint_eq(out[last * 3 + k], p.bg[k]);
                }
        }
        free(px);
        free(out);
    }
    {
        /* a 1x262144 column padded for a 65535x1 target: a canvas side of
           1.7e10 is refused, not resized and not an int overflow */
        unsigned char *px = calloc((size_t)262144 * 3, 1), *out = xmalloc((size_t)65535 * 3);
        gan__image im = { 1, 262144, 3, px };
        gan__prep p;
        ck_assert_ptr_nonnull(px);
        memset(&p, 0, sizeof p);
        p.h = 1;
        p.w = 65535;
        p.c = 3;
        p.fit = GAN_IMAGE_FIT_PAD;
        ck_assert_int_eq(gan__image_prep(&im, &p, out, "column"), GAN_EFORMAT);
        ck_assert_ptr_nonnull(strstr(gan_last_error(), "column: a 1x262144 image padded to"));
        free(px);
        free(out);
    }
}
END_TEST

START_TEST(test_alpha)
{
    /* RGBA pixels (200, 100, 50, a) for a = 0, 1, 64, 128, 254, 255 in a row. */
    static const unsigned alphas[6] = { 0, 1, 64, 128, 254, 255 };
    unsigned char px[6 * 4], out[6 * 4];
    gan__image im = { 6, 1, 4, px };
    gan__prep p;
    for (int i = 0; i < 6; i++) {
        px[4 * i] = 200;
        px[4 * i + 1] = 100;
        px[4 * i + 2] = 50;
        px[4 * i + 3] = (unsigned char)alphas[i];
    }
    memset(&p, 0, sizeof p);
    p.h = 1;
    p.w = 6;
    p.bg[0] = 10;
    p.bg[1] = 20;
    p.bg[2] = 240;
    /* composite on the background */
    p.c = 3;
    ck_assert_int_eq(gan__image_prep(&im, &p, out, "alpha"), GAN_OK);
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 3; k++) {
            double a = alphas[i], e = (px[4 * i + k] * a + p.bg[k] * (255 - a)) / 255;
            ck_assert_int_eq(out[3 * i + k], (int)floor(e + 0.5));
        }
    /* gray: the luma of the composite */
    p.c = 1;
    ck_assert_int_eq(gan__image_prep(&im, &p, out, "alpha1"), GAN_OK);
    for (int i = 0; i < 6; i++) {
        double a = alphas[i], c[3];
        for (int k = 0; k < 3; k++)
            c[k] = (px[4 * i + k] * a + p.bg[k] * (255 - a)) / 255;
        ck_assert_int_eq(out[i], (int)floor(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] + 0.5));
    }
    /* kept: exact, except that alpha 0 takes the background colour */
    p.c = 4;
    ck_assert_int_eq(gan__image_prep(&im, &p, out, "alpha4"), GAN_OK);
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 4; k++)
            ck_assert_int_eq(out[4 * i + k], alphas[i] == 0 && k < 3 ? p.bg[k] : px[4 * i + k]);

    /* Shrinking: transparent red does not bleed into opaque blue. */
    {
        unsigned char q[4 * 2 * 4], o[2 * 4];
        gan__image iq = { 4, 2, 4, q };
        for (int i = 0; i < 8; i++) {
            int opaque = (i % 4) >= 1;   /* columns 1..3 opaque blue, column 0 transparent red */
            q[4 * i] = opaque ? 0 : 255;
            q[4 * i + 1] = 0;
            q[4 * i + 2] = opaque ? 255 : 0;
            q[4 * i + 3] = opaque ? 255 : 0;
        }
        p.h = 1;
        p.w = 2;
        ck_assert_int_eq(gan__image_prep(&iq, &p, o, "bleed"), GAN_OK);
        ck_assert(o[0] == 0 && o[1] == 0 && o[2] == 255 && o[3] == 128);
        ck_assert(o[4] == 0 && o[5] == 0 && o[6] == 255 && o[7] == 255);
    }
}
END_TEST

/* ---- folders: order, labels, the public pipeline ---------------------------------- */

/* Load dir with cfg; fails the test on error. */
static gan_dataset *load_ok(const char *dir, const gan_image_config *cfg)
{
    gan_dataset *ds = NULL;
    gan_status st = gan_dataset_load_images(&ds, dir, cfg);
    ck_assert_msg(st == GAN_OK, "load %s: %s", dir, gan_last_error());
    return ds;
}

static void get_report(const gan_dataset *ds, gan_image_report *r)
{
    GAN_IMAGE_REPORT_INIT(r);
    ck_assert_int_eq(gan_dataset_image_report(ds, r), GAN_OK);
}

static void assert_class_names(const gan_dataset *ds, const char *const *names, size_t n)
{
    size_t count = 99, need = 0;
    char buf[64];
    ck_assert_int_eq(gan_dataset_class_count(ds, &count), GAN_OK);
    ck_assert_uint_eq(count, n);
    for (size_t k = 0; k < n; k++) {
        ck_assert_int_eq(gan_dataset_class_name(ds, k, buf, sizeof buf, &need), GAN_OK);
        ck_assert_str_eq(buf, names[k]);
        ck_assert_uint_eq(need, strlen(names[k]));
    }
}

START_TEST(test_order_and_ignored)
{
    /* Each image a solid gray whose value encodes its name. */
    static const char *const files[] = { "a0.png", "a/b.png", "B.png", "a.png", "z/y/x.JPG" };
    static const unsigned values[] = { 40, 30, 10, 20, 200 };
    /* byte order: "B.png" < "a.png" < "a/b.png" < "a0.png" < "z/y/x.JPG" */
    static const unsigned order[] = { 10, 20, 30, 40, 200 };
    char *dir = mk_tmpdir();
    gan_image_config cfg = cfg_of(0, 0, 1);
    gan_image_report r;
    gan_dataset *ds;
    unsigned char *u;
    size_t n;
    int dims[3];
    for (size_t i = 0; i < 5; i++) {
        unsigned char px[4 * 4];
        tbuf b;
        memset(px, (int)values[i], sizeof px);
        b = i == 4 ? jpeg_encode(4, 4, 1, px, 0) : png8(4, 4, 1, px);
        write_at(dir, files[i], &b);
        free(b.p);
    }
    /* ignored: other extensions, hidden files and folders */
    {
        tbuf t = { (unsigned char *)"not an image", 12, 0 };
        tbuf img = png_solid(4, 4, 1, 2, 3);
        write_at(dir, "README.txt", &t);
        write_at(dir, "a/notes.md", &t);
        write_at(dir, ".hidden.png", &img);
        write_at(dir, ".git/x.png", &img);
        write_at(dir, "image.png.bak", &img);
        free(img.p);
    }
    cfg.labels = GAN_IMAGE_LABELS_AUTO;  /* some images in the root: no labels */
    ds = load_ok(dir, &cfg);
    u = ds_u8(ds, &n, dims);
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(abs((int)u[i * 16] - (int)order[i]) <= (i == 4 ? 2 : 0),
                      "image %zu is %u, expected %u", i, u[i * 16], order[i]);
    {
        int has = 1;
        ck_assert_int_eq(gan_dataset_labels_info(ds, &has, NULL), GAN_OK);
        ck_assert_int_eq(has, 0);
    }
    get_report(ds, &r);
    ck_assert_uint_eq(r.files, 5);
    ck_assert_uint_eq(r.loaded, 5);
    ck_assert_uint_eq(r.skipped, 0);
    ck_assert_uint_eq(r.ignored, 5);   /* README.txt, notes.md, .hidden.png, .git, .bak */
    ck_assert_int_eq(r.cache, GAN_IMAGE_CACHE_OFF);
    ck_assert_str_eq(r.first_error, "");
    free(u);
    gan_dataset_free(ds);
    /* the path may end in '/' */
    {
        char d2[4200];
        snprintf(d2, sizeof d2, "%s/", dir);
        ds = load_ok(d2, &cfg);
        gan_dataset_free(ds);
    }
    rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(test_labels)
{
    /* classes "b", "a-b", "a" (byte order: a < a-b < b), nested folders
       belong to their first level */
    static const char *const files[] = { "b/1.png", "a-b/1.png", "a/2.png", "a/sub/deep/1.png",
                                         "b/0.png" };
    static const unsigned values[] = { 50, 60, 70, 80, 90 };
    static const char *const classes[] = { "a", "a-b", "b" };
    /* path order: a-b/1, a/2, a/sub/deep/1, b/0, b/1 */
    static const int labels[] = { 1, 0, 0, 2, 2 };
    static const unsigned order[] = { 60, 70, 80, 90, 50 };
    char *dir = mk_tmpdir();
    gan_image_config cfg = cfg_of(2, 2, 3);
    gan_dataset *ds, *cv = NULL;
    int has = 0, ncls = 0;
    for (size_t i = 0; i < 5; i++) {
        tbuf b = png_solid(4, 4, values[i], values[i], values[i]);
        write_at(dir, files[i], &b);
        free(b.p);
    }
    ds = load_ok(dir, &cfg);
    ck_assert_int_eq(gan_dataset_labels_info(ds, &has, &ncls), GAN_OK);
    ck_assert_int_eq(has, 1);
    ck_assert_int_eq(ncls, 3);
    assert_class_names(ds, classes, 3);
    for (size_t i = 0; i < 5; i++) {
        float x[12];
        int32_t lb = -5;
        ck_assert_int_eq(gan_dataset_get(ds, i, x, 12, &lb), GAN_OK);
        ck_assert_int_eq(lb, labels[i]);
        ck_assert_int_eq(unpx(x[0]), (int)order[i]);
    }
    {
        char small[2];
        size_t need = 0;
        ck_assert_int_eq(gan_dataset_class_name(ds, 1, small, sizeof small, &need), GAN_OK);
        ck_assert_str_eq(small, "a");
        ck_assert_uint_eq(need, 3);
        ck_assert_int_eq(gan_dataset_class_name(ds, 0, NULL, 0, &need), GAN_OK);
        ASSERT_ERR(gan_dataset_class_name(ds, 3, small, sizeof small, NULL), GAN_EINVAL,
                   "3 class names");
    }
    /* convert keeps names and report */
    ck_assert_int_eq(gan_dataset_convert(&cv, ds, 4, 4, 1), GAN_OK);
    assert_class_names(cv, classes, 3);
    {
        gan_image_report r;
        get_report(cv, &r);
        ck_assert_uint_eq(r.loaded, 5);
    }
    gan_dataset_free(cv);
    gan_dataset_free(ds);

    /* NONE: no labels */
    cfg.labels = GAN_IMAGE_LABELS_NONE;
    ds = load_ok(dir, &cfg);
    ck_assert_int_eq(gan_dataset_labels_info(ds, &has, NULL), GAN_OK);
    ck_assert_int_eq(has, 0);
    assert_class_names(ds, NULL, 0);
    gan_dataset_free(ds);

    /* An image in the root: AUTO gives none, FOLDERS refuses it */
    {
        tbuf b = png_solid(4, 4, 1, 1, 1);
        write_at(dir, "stray.png", &b);
        free(b.p);
    }
    cfg.labels = GAN_IMAGE_LABELS_AUTO;
    ds = load_ok(dir, &cfg);
    ck_assert_int_eq(gan_dataset_labels_info(ds, &has, NULL), GAN_OK);
    ck_assert_int_eq(has, 0);
    gan_dataset_free(ds);
    cfg.labels = GAN_IMAGE_LABELS_FOLDERS;
    ds = (gan_dataset *)1;
    ASSERT_ERR(gan_dataset_load_images(&ds, dir, &cfg), GAN_EINVAL, "stray.png: lies directly");
    ck_assert_ptr_null(ds);
    cfg.on_error = GAN_IMAGE_SKIP;
    ds = load_ok(dir, &cfg);
    ck_assert_int_eq(gan_dataset_labels_info(ds, &has, &ncls), GAN_OK);
    ck_assert(has == 1 && ncls == 3);
    gan_dataset_free(ds);

    /* One class folder: AUTO gives no labels, FOLDERS one class */
    rm_rf(dir);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    {
        tbuf b = png_solid(4, 4, 1, 1, 1);
        write_at(dir, "only/1.png", &b);
        write_at(dir, "only/2.png", &b);
        free(b.p);
    }
    cfg.on_error = GAN_IMAGE_FAIL;
    cfg.labels = GAN_IMAGE_LABELS_AUTO;
    ds = load_ok(dir, &cfg);
    ck_assert_int_eq(gan_dataset_labels_info(ds, &has, NULL), GAN_OK);
    ck_assert_int_eq(has, 0);
    gan_dataset_free(ds);
    cfg.labels = GAN_IMAGE_LABELS_FOLDERS;
    ds = load_ok(dir, &cfg);
    ck_assert_int_eq(gan_dataset_labels_info(ds, &has, &ncls), GAN_OK);
    ck_assert(has == 1 && ncls == 1);
    {
        static const char *const only[] = { "only" };
        assert_class_names(ds, only, 1);
    }
    gan_dataset_free(ds);
    rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(test_mem_and_resize_pipeline)
{
    /* Mixed sizes and formats resized to 8x8 RGBA, names giving labels. */
    const int w1 = 20, h1 = 10;
    unsigned char *p1 = xmalloc((size_t)w1 * h1 * 4), p2[3 * 5 * 5];
    tbuf b[3];
    const void *bufs[3];
    size_t lens[3], n;
    const char *names[3] = { "cats/big.png", "dogs/small", "cats/photo.jpg" };
    gan_image_config cfg = cfg_of(8, 8, 4);
    gan_dataset *ds = NULL;
    unsigned char *u, expect[8 * 8 * 4];
    int dims[3], has, ncls;
    for (int i = 0; i < w1 * h1 * 4; i++)
        p1[i] = (unsigned char)((i * 37) & 255);
    for (int i = 0; i < 75; i++)
        p2[i] = (unsigned char)(i * 3);
    b[0] = png8(w1, h1, 4, p1);
    b[1] = png8(5, 5, 3, p2);
    b[2] = jpeg_encode(5, 5, 3, p2, 0);
    for (int i = 0; i < 3; i++) {
        bufs[i] = b[i].p;
        lens[i] = b[i].len;
    }
    ck_assert_msg(gan_dataset_load_images_mem(&ds, bufs, lens, names, 3, &cfg) == GAN_OK, "%s",
                  gan_last_error());
    u = ds_u8(ds, &n, dims);
    ck_assert_uint_eq(n, 3);
    ck_assert(dims[0] == 8 && dims[1] == 8 && dims[2] == 4);
    /* mem keeps the given order; classes cats=0, dogs=1 */
    ck_assert_int_eq(gan_dataset_labels_info(ds, &has, &ncls), GAN_OK);
    ck_assert(has == 1 && ncls == 2);
    {
        int32_t lb;
        float x[256];
        ck_assert_int_eq(gan_dataset_get(ds, 1, x, 256, &lb), GAN_OK);
        ck_assert_int_eq(lb, 1);
    }
    /* image 0 equals the internal pipeline on the decoded image */
    {
        gan__image im;
        gan__prep p;
        memset(&p, 0, sizeof p);
        p.h = p.w = 8;
        p.c = 4;
        p.fit = GAN_IMAGE_FIT_CROP;
        ck_assert_int_eq(gan__image_decode(b[0].p, b[0].len, "x", 1000, &im), GAN_OK);
        ck_assert_int_eq(gan__image_prep(&im, &p, expect, "x"), GAN_OK);
        ck_assert(memcmp(u, expect, sizeof expect) == 0);
        gan__image_free(&im);
    }
    /* image 1: 5x5 -> 8x8 grows bilinearly, opaque */
    for (int i = 0; i < 64; i++)
        ck_assert_uint_eq(u[256 + 4 * i + 3], 255);
    free(u);
    gan_dataset_free(ds);
    /* no names: "<memory>[i]" in messages, no labels */
    lens[1] = 20;
    ASSERT_ERR(gan_dataset_load_images_mem(&ds, bufs, lens, NULL, 3, &cfg), GAN_EFORMAT,
               "<memory>[1]: offset");
    for (int i = 0; i < 3; i++)
        free(b[i].p);
    free(p1);
}
END_TEST

/* ---- the cache ----------------------------------------------------------------------- */

static void make_folder(const char *dir, int n, int size)
{
    for (int i = 0; i < n; i++) {
        char name[64];
        unsigned char *px = xmalloc((size_t)size * size * 4);
        tbuf b;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                for (int k = 0; k < 4; k++)
                    px[(y * size + x) * 4 + k] =
                        k == 3 ? (unsigned char)((x + y + i) % 4 == 0 ? 0 : 255)
                               : smooth(x, y, k, i);
        b = png8(size, size, 4, px);
        snprintf(name, sizeof name, "%s/%04d.png", i % 2 ? "odd" : "even", i);
        write_at(dir, name, &b);
        free(b.p);
        free(px);
    }
}

static size_t progress_calls, progress_last_done, progress_total;
static int progress_null_name;

static void on_progress(size_t done, size_t total, const char *name, void *user)
{
    ck_assert_ptr_eq(user, &progress_calls);
    ck_assert_uint_le(done, total);
    ck_assert_uint_gt(done, progress_last_done);
    progress_calls++;
    progress_last_done = done;
    progress_total = total;
    progress_null_name = name == NULL;
}

static gan_dataset *load_cached(const char *dir, gan_image_config *cfg, int expect_cache)
{
    gan_image_report r;
    gan_dataset *ds;
    progress_calls = progress_last_done = 0;
    ds = load_ok(dir, cfg);
    get_report(ds, &r);
    ck_assert_msg((int)r.cache == expect_cache, "cache state %d, expected %d (note: %s)", (int)r.cache,
                  expect_cache, r.cache_note);
    return ds;
}

static void assert_same(const gan_dataset *a, const gan_dataset *b)
{
    size_t na, nb;
    int da[3], db[3], ha, hb, ca, cb;
    unsigned char *ua = ds_u8(a, &na, da), *ub = ds_u8(b, &nb, db);
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(da, db, sizeof da) == 0);
    ck_assert(memcmp(ua, ub, na * (size_t)da[0] * da[1] * da[2]) == 0);
    gan_dataset_labels_info(a, &ha, &ca);
    gan_dataset_labels_info(b, &hb, &cb);
    ck_assert(ha == hb && ca == cb);
    for (size_t i = 0; i < na; i++) {
        size_t e = (size_t)da[0] * da[1] * da[2];
        int32_t la, lb;
        float *x = xmalloc(e * sizeof *x);
        if (gan_dataset_get(a, i, x, e, &la) != GAN_OK || gan_dataset_get(b, i, x, e, &lb) != GAN_OK ||
            la != lb)
            ck_abort_msg("sample %zu: labels differ or get failed", i);
        free(x);
    }
    free(ua);
    free(ub);
}

START_TEST(test_cache)
{
    char *dir = mk_tmpdir(), *cache = join(dir, "images.cache");
    gan_image_config cfg = cfg_of(6, 6, 4);
    gan_dataset *ref, *ds;
    gan_image_report r;
    struct stat sb;
    make_folder(dir, 12, 9);
    cfg.cache_path = cache;
    cfg.progress = on_progress;
    cfg.progress_user = &progress_calls;

    /* miss: decoded and written; progress once per file */
    ref = load_cached(dir, &cfg, GAN_IMAGE_CACHE_WRITTEN);
    ck_assert_uint_eq(progress_calls, 12);
    ck_assert_uint_eq(progress_total, 12);
    get_report(ref, &r);
    ck_assert_msg(strstr(r.cache_note, "cannot open") != NULL, "%s", r.cache_note);
    ck_assert_int_eq(stat(cache, &sb), 0);
    /* hit: the same dataset; progress once with no name */
    ds = load_cached(dir, &cfg, GAN_IMAGE_CACHE_HIT);
    ck_assert_uint_eq(progress_calls, 1);
    ck_assert_int_eq(progress_null_name, 1);
    assert_same(ref, ds);
    {
        static const char *const cls[] = { "even", "odd" };
        assert_class_names(ds, cls, 2);
        get_report(ds, &r);
        ck_assert(r.files == 12 && r.loaded == 12 && r.skipped == 0);
        ck_assert_uint_eq(r.ignored, 1);   /* the cache file itself */
    }
    gan_dataset_free(ds);

    /* touch a file: rebuilt */
    {
        char *f = join(dir, "odd/0003.png");
        struct timespec ts[2] = { { 1000000, 5 }, { 1000000, 5 } };
        ck_assert_int_eq(utimensat(AT_FDCWD, f, ts, 0), 0);
        ds = load_cached(dir, &cfg, GAN_IMAGE_CACHE_WRITTEN);
        get_report(ds, &r);
        ck_assert_msg(strstr(r.cache_note, "stale") != NULL, "%s", r.cache_note);
        assert_same(ref, ds);
        gan_dataset_free(ds);
        ds = load_cached(dir, &cfg, GAN_IMAGE_CACHE_HIT);
        gan_dataset_free(ds);
        free(f);
    }
    /* add a file: rebuilt; remove it: rebuilt */
    {
        tbuf b = png_solid(3, 3, 1, 2, 3);
        char *f = join(dir, "odd/zz.png");
        write_file(f, b.p, b.len);
        ds = load_cached(dir, &cfg, GAN_IMAGE_CACHE_WRITTEN);
        gan_dataset_free(ds);
        ck_assert_int_eq(unlink(f), 0);
        ds = load_cached(dir, &cfg, GAN_IMAGE_CACHE_WRITTEN);
        assert_same(ref, ds);
        gan_dataset_free(ds);
        free(b.p);
        free(f);
    }
    /* other settings: rebuilt (and flip_x is not a setting of the cache) */
    cfg.background = 0x00ff00;
    ds = load_cached(dir, &cfg, GAN_IMAGE_CACHE_WRITTEN);
    gan_dataset_free(ds);
    cfg.flip_x = 1;
    ds = load_cached(dir, &cfg, GAN_IMAGE_CACHE_HIT);
    gan_dataset_free(ds);
    cfg.background = 0;
    cfg.flip_x = 0;
    ds = load_cached(dir, &cfg, GAN_IMAGE_CACHE_WRITTEN);
    assert_same(ref, ds);
    gan_dataset_free(ds);

    /* corruption: every header byte, payload bytes, truncations */
    {
        FILE *f = fopen(cache, "rb");
        unsigned char *good;
        long len;
        ck_assert_ptr_nonnull(f);
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        fseek(f, 0, SEEK_SET);
        good = xmalloc((size_t)len);
        ck_assert_uint_eq(fread(good, 1, (size_t)len, f), (size_t)len);
        fclose(f);
        for (long k = 0; k < len + 40; k++) {
            unsigned char *bad = xmalloc((size_t)len);
            long blen = len;
            memcpy(bad, good, (size_t)len);
            if (k < 96)
                bad[k] ^= 0x41;                      /* every header byte */
            else if (k < len)
                bad[k] ^= 0x01, k += len / 37;       /* a sample of payload bytes */
            else
                blen = (k - len) * len / 40;         /* truncations */
            write_file(cache, bad, (size_t)blen);
            ds = load_cached(dir, &cfg, GAN_IMAGE_CACHE_WRITTEN);
            get_report(ds, &r);
            ck_assert_msg(r.cache_note[0] != '\0', "corruption at %ld: no note", k);
            assert_same(ref, ds);
            gan_dataset_free(ds);
            free(bad);
        }
        free(good);
    }
    /* a cache that cannot be written is not an error */
    cfg.cache_path = "/proc/gan-no-such-dir/x.cache";
    ds = load_cached(dir, &cfg, GAN_IMAGE_CACHE_WRITE_FAILED);
    get_report(ds, &r);
    ck_assert_msg(strstr(r.cache_note, "x.cache") != NULL, "%s", r.cache_note);
    gan_dataset_free(ds);
    gan_dataset_free(ref);
    rm_rf(dir);
    free(dir);
    free(cache);
}
END_TEST

START_TEST(test_cache_mem)
{
    /* the mem loader's cache is keyed by the bytes */
    char *dir = mk_tmpdir(), *cache = join(dir, "m.cache");
    tbuf b1 = png_solid(4, 4, 9, 9, 9), b2 = png_solid(4, 4, 7, 7, 7);
    const void *bufs[2] = { b1.p, b2.p };
    size_t lens[2] = { b1.len, b2.len };
    gan_image_config cfg = cfg_of(0, 0, 3);
    gan_dataset *ds = NULL;
    gan_image_report r;
    cfg.cache_path = cache;
    for (int round = 0; round < 3; round++) {
        if (round == 2)
            b2.p[b2.len - 20] ^= 0;      /* same bytes: still a hit */
        ck_assert_int_eq(gan_dataset_load_images_mem(&ds, bufs, lens, NULL, 2, &cfg), GAN_OK);
        get_report(ds, &r);
        ck_assert_int_eq(r.cache, round == 0 ? GAN_IMAGE_CACHE_WRITTEN : GAN_IMAGE_CACHE_HIT);
        gan_dataset_free(ds);
    }
    bufs[1] = b1.p;      /* other content, same length: rebuilt */
    ck_assert_int_eq(gan_dataset_load_images_mem(&ds, bufs, lens, NULL, 2, &cfg), GAN_OK);
    get_report(ds, &r);
    ck_assert_int_eq(r.cache, GAN_IMAGE_CACHE_WRITTEN);
    gan_dataset_free(ds);
    free(b1.p);
    free(b2.p);
    rm_rf(dir);
    free(dir);
    free(cache);
}
END_TEST

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

START_TEST(test_cache_large)
{
    /* 10,000 small RGBA sprites (1,000 under GAN_TEST_SCALE=tiny): the
       second load reads the cache.  GAN_IMAGES_BENCH=N changes the count. */
    const char *env = getenv("GAN_IMAGES_BENCH");
    int n = env ? atoi(env) : tiny() ? 1000 : 10000;
    char *dir = mk_tmpdir(), *cache = join(dir, "sprites.cache");
    gan_image_config cfg = cfg_of(32, 32, 4);
    gan_dataset *a, *b;
    double t0, t1, t2, t3;
    t0 = now_s();
    make_folder(dir, n, 32);
    cfg.cache_path = cache;
    t1 = now_s();
    a = load_cached(dir, &cfg, GAN_IMAGE_CACHE_WRITTEN);
    t2 = now_s();
    b = load_cached(dir, &cfg, GAN_IMAGE_CACHE_HIT);
    t3 = now_s();
    printf("check_images: %d PNG files of 32x32 RGBA written in %.2f s; loaded (decode + cache "
           "write) in %.3f s; loaded from the cache in %.3f s\n", n, t1 - t0, t2 - t1, t3 - t2);
    fflush(stdout);
    /* The times are printed, not asserted: a unit test on a shared machine
       cannot time reliably.  The start-up goal (well under a second for
       10,000 images) is measured by bench/images_cache. */
    assert_same(a, b);
    gan_dataset_free(a);
    gan_dataset_free(b);
    rm_rf(dir);
    free(dir);
    free(cache);
}
END_TEST

/* ---- bad input ---------------------------------------------------------------------- */

static gan_status load_one(const unsigned char *p, size_t len, const char *name,
                           const gan_image_config *cfg, gan_dataset **ds)
{
    const void *bufs[1] = { p };
    size_t lens[1] = { len };
    const char *names[1] = { name };
    *ds = NULL;
    return gan_dataset_load_images_mem(ds, bufs, lens, names, 1, cfg);
}

START_TEST(test_truncated_everywhere)
{
    /* Every prefix of a PNG (interlaced RGBA with tRNS-free palette is
       covered by the case table; here RGBA and palette) and of a baseline
       and a progressive JPEG is an error naming the file, never a crash
       (copies: ASan sees any overread). */
    unsigned char px[12 * 9 * 4];
    tbuf files[4];
    gan_image_config cfg = cfg_of(4, 4, 3);
    for (int i = 0; i < 12 * 9 * 4; i++)
        px[i] = (unsigned char)(i * 7);
    files[0] = png8(12, 9, 4, px);
    {
        unsigned char ex[16 * 16 * 4];
        int c;
        files[1] = png_case_make(&png_cases[23], 16, 16, ex, &c);  /* palette tRNS interlaced */
    }
    files[2] = jpeg_encode(12, 9, 3, px, 0);
    files[3] = jpeg_encode(12, 9, 3, px, 1);
    for (int f = 0; f < 4; f++) {
        gan_dataset *ds;
        ck_assert_msg(load_one(files[f].p, files[f].len, "t", &cfg, &ds) == GAN_OK, "%d: %s", f,
                      gan_last_error());
        gan_dataset_free(ds);
        for (size_t cut = 0; cut < files[f].len; cut++) {
            unsigned char *p = xmalloc(cut);
            gan_status st;
            memcpy(p, files[f].p, cut);
            st = load_one(p, cut, "cut.img", &cfg, &ds);
            ck_assert_msg(st == GAN_EFORMAT, "file %d cut at %zu of %zu: status %d (%s)", f, cut,
                          files[f].len, (int)st, gan_last_error());
            ck_assert_msg(strstr(gan_last_error(), "cut.img: offset ") == gan_last_error(),
                          "%s", gan_last_error());
            ck_assert_ptr_null(ds);
            free(p);
        }
        free(files[f].p);
    }
}
END_TEST

START_TEST(test_corrupt)
{
    unsigned char px[32 * 32 * 3];
    gan_image_config cfg = cfg_of(8, 8, 3);
    gan_dataset *ds;
    tbuf j, p;
    size_t sos = 0;
    for (int i = 0; i < 32 * 32 * 3; i++)
        px[i] = (unsigned char)((i * 13) ^ (i >> 5));
    j = jpeg_encode(32, 32, 3, px, 0);
    /* a marker in the middle of the entropy data */
    for (size_t i = 2; i + 1 < j.len; i++)
        if (j.p[i] == 0xff && j.p[i + 1] == 0xda)
            sos = i;
    ck_assert_uint_gt(sos, 0);
    {
        unsigned char *c = xmalloc(j.len);
        memcpy(c, j.p, j.len);
        c[sos + 40] = 0xff;
        c[sos + 41] = 0xd0;     /* RST0 where none is expected */
        ASSERT_ERR(load_one(c, j.len, "bad.jpg", &cfg, &ds), GAN_EFORMAT, "bad.jpg: offset ");
        ck_assert_msg(strstr(gan_last_error(), "JPEG") != NULL, "%s", gan_last_error());
        /* a broken SOF: 0 components */
        memcpy(c, j.p, j.len);
        for (size_t i = 2; i + 1 < j.len; i++)
            if (c[i] == 0xff && c[i + 1] == 0xc0) {
                c[i + 9] = 0;
                break;
            }
        ASSERT_ERR(load_one(c, j.len, "sof.jpg", &cfg, &ds), GAN_EFORMAT, "sof.jpg: offset ");
        free(c);
    }
    /* every byte flipped: an error or an image, never a crash */
    {
        unsigned char *c = xmalloc(j.len);
        for (size_t i = 0; i < j.len; i += 3) {
            gan_status st;
            memcpy(c, j.p, j.len);
            c[i] ^= 0x5a;
            st = load_one(c, j.len, "flip.jpg", &cfg, &ds);
            ck_assert_msg(st == GAN_OK || st == GAN_EFORMAT, "flip at %zu: %d %s", i, (int)st,
                          gan_last_error());
            gan_dataset_free(ds);
        }
        free(c);
    }
    /* PNG: a bad CRC, a bad IHDR, and a flipped bit in the compressed data */
    p = png_solid(16, 16, 1, 2, 3);
    {
        unsigned char *c = xmalloc(p.len);
        memcpy(c, p.p, p.len);
        c[29] ^= 1;             /* IHDR CRC */
        ASSERT_ERR(load_one(c, p.len, "crc.png", &cfg, &ds), GAN_EFORMAT, "crc.png: offset ");
        ck_assert_msg(strstr(gan_last_error(), "CRC") != NULL, "%s", gan_last_error());
        memcpy(c, p.p, p.len);
        c[24] = 3;              /* bit depth 3 */
        ASSERT_ERR(load_one(c, p.len, "ihdr.png", &cfg, &ds), GAN_EFORMAT, "ihdr.png: offset ");
        for (size_t i = 8; i < p.len; i++) {
            gan_status st;
            memcpy(c, p.p, p.len);
            c[i] ^= 0x10;
            st = load_one(c, p.len, "flip.png", &cfg, &ds);
            ck_assert_msg(st == GAN_OK || st == GAN_EFORMAT, "flip at %zu: %d %s", i, (int)st,
                          gan_last_error());
            gan_dataset_free(ds);
        }
        free(c);
    }
    /* not an image at all */
    ASSERT_ERR(load_one((const unsigned char *)"GIF89a....", 10, "x.png", &cfg, &ds), GAN_EFORMAT,
               "x.png: offset 0: not a PNG or JPEG image (starts with 47 49 46 38");
    ASSERT_ERR(load_one((const unsigned char *)"", 0, "e.png", &cfg, &ds), GAN_EFORMAT,
               "e.png: offset 0: empty file");
    free(j.p);
    free(p.p);
}
END_TEST

/* Counting allocator: the largest block requested. */
static size_t big_block;

static void *count_malloc(size_t n, void *u)
{
    (void)u;
    if (n > big_block)
        big_block = n;
    return malloc(n);
}

static void *count_realloc(void *p, size_t n, void *u)
{
    (void)u;
    if (n > big_block)
        big_block = n;
    return realloc(p, n);
}

static void count_free(void *p, void *u)
{
    (void)u;
    free(p);
}

/* Big-endian u32 into p; PNG chunk CRC of (type + data) at p + 4 + len. */
static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

START_TEST(test_bomb)
{
    gan_allocator al = { count_malloc, count_realloc, count_free, NULL };
    gan_image_config cfg = cfg_of(8, 8, 4);
    gan_dataset *ds;
    tbuf p = png_solid(8, 8, 0, 0, 0), j;
    unsigned char px[8 * 8 * 3];
    /* PNG: IHDR claims 60000 x 60000, with a valid CRC */
    put_be32(p.p + 16, 60000);
    put_be32(p.p + 20, 60000);
    put_be32(p.p + 29, (uint32_t)crc32(0, p.p + 12, 17));
    big_block = 0;
    ck_assert_int_eq(gan_set_allocator(&al), GAN_OK);
    ASSERT_ERR(load_one(p.p, p.len, "bomb.png", &cfg, &ds), GAN_EFORMAT,
               "bomb.png: offset 16: PNG image is 60000x60000 (3600000000 pixels), more than "
               "the limit of 33554432 pixels");
    ck_assert_int_eq(gan_set_allocator(NULL), GAN_OK);
    ck_assert_msg(big_block < (1u << 20), "a %zu-byte block was allocated", big_block);
    /* just over a smaller limit; just under it loads */
    put_be32(p.p + 16, 8);
    put_be32(p.p + 20, 8);
    put_be32(p.p + 29, (uint32_t)crc32(0, p.p + 12, 17));
    cfg.max_pixels = 63;
    ASSERT_ERR(load_one(p.p, p.len, "b.png", &cfg, &ds), GAN_EFORMAT, "limit of 63 pixels");
    cfg.max_pixels = 64;
    ck_assert_int_eq(load_one(p.p, p.len, "b.png", &cfg, &ds), GAN_OK);
    gan_dataset_free(ds);
    /* PNG: an ancillary chunk (sPLT) declaring 512 MiB in a 62-byte file; libpng
       alone would allocate the declared length (its chunk limit is a warning) */
    {
        static const unsigned char splt[] = {
            0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
            0, 0, 0, 1, 0, 0, 0, 1, 1, 3, 0, 0, 0, 0xb3, 0x54, 0x64, 0x9b,
            0x20, 0, 0, 6, 's', 'P', 'L', 'T', 0xc5, 0xff, 0xff, 0xff, 6, 0x29, 4, 0x52,
            0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };
        big_block = 0;
        ck_assert_int_eq(gan_set_allocator(&al), GAN_OK);
        ASSERT_ERR(load_one(splt, sizeof splt, "splt.png", &cfg, &ds), GAN_EFORMAT,
                   "splt.png: offset 33: PNG chunk 'sPLT' declares 536870918 bytes of data, "
                   "the file has 16 left");
        ck_assert_int_eq(gan_set_allocator(NULL), GAN_OK);
        ck_assert_msg(big_block < (1u << 20), "a %zu-byte block was allocated", big_block);
    }
    /* JPEG: SOF0 claims 60000 x 60000 */
    memset(px, 0, sizeof px);
    j = jpeg_encode(8, 8, 3, px, 0);
    for (size_t i = 2; i + 8 < j.len; i++)
        if (j.p[i] == 0xff && j.p[i + 1] == 0xc0) {
            j.p[i + 5] = 60000 >> 8;
            j.p[i + 6] = 60000 & 255;
            j.p[i + 7] = 60000 >> 8;
            j.p[i + 8] = 60000 & 255;
            break;
        }
    cfg.max_pixels = GAN_IMAGE_MAX_PIXELS;
    ASSERT_ERR(load_one(j.p, j.len, "bomb.jpg", &cfg, &ds), GAN_EFORMAT,
               "JPEG image is 60000x60000 (3600000000 pixels), more than the limit");
    free(p.p);
    free(j.p);
}
END_TEST

START_TEST(test_bad_folders)
{
    char *dir = mk_tmpdir(), *sub, *path;
    gan_image_config cfg = cfg_of(4, 4, 3);
    gan_dataset *ds = (gan_dataset *)1;
    gan_image_report r;
    tbuf good = png_solid(5, 5, 100, 110, 120);

    /* empty folder; only non-images; a missing folder; a file */
    ASSERT_ERR(gan_dataset_load_images(&ds, dir, &cfg), GAN_EINVAL,
               "no PNG or JPEG images (*.png, *.jpg, *.jpeg) in this folder or its sub-folders "
               "(0 other entries ignored)");
    ck_assert_ptr_null(ds);
    {
        tbuf t = { (unsigned char *)"text", 4, 0 };
        write_at(dir, "notes.txt", &t);
    }
    ASSERT_ERR(gan_dataset_load_images(&ds, dir, &cfg), GAN_EINVAL, "(1 other entry ignored)");
    path = join(dir, "missing");
    ASSERT_ERR(gan_dataset_load_images(&ds, path, &cfg), GAN_EIO, "missing: cannot open the folder");
    free(path);
    path = join(dir, "notes.txt");
    ASSERT_ERR(gan_dataset_load_images(&ds, path, &cfg), GAN_EIO, "notes.txt: cannot open the folder");
    free(path);

    write_at(dir, "a/good.png", &good);
    write_at(dir, "z/good.png", &good);
    /* a symbolic link loop: a/loop -> .. (the root) */
    sub = join(dir, "a/loop");
    ck_assert_int_eq(symlink("..", sub), 0);
    ASSERT_ERR(gan_dataset_load_images(&ds, dir, &cfg), GAN_EIO,
               "/a/loop: a symbolic link loop: this folder is ");
    ck_assert_ptr_null(ds);
    cfg.on_error = GAN_IMAGE_SKIP;
    ds = load_ok(dir, &cfg);
    get_report(ds, &r);
    ck_assert(r.loaded == 2 && r.skipped == 1 && r.files == 3);
    ck_assert_msg(strstr(r.first_error, "a/loop: a symbolic link loop") != NULL, "%s",
                  r.first_error);
    gan_dataset_free(ds);
    ck_assert_int_eq(unlink(sub), 0);
    free(sub);

    /* link loop on a file name, dangling link, FIFO, directory link is fine */
    cfg.on_error = GAN_IMAGE_FAIL;
    sub = join(dir, "a/self.png");
    ck_assert_int_eq(symlink("self.png", sub), 0);
    ASSERT_ERR(gan_dataset_load_images(&ds, dir, &cfg), GAN_EIO,
               "a/self.png: cannot open: a symbolic link loop");
    ck_assert_int_eq(unlink(sub), 0);
    free(sub);
    sub = join(dir, "a/gone.png");
    ck_assert_int_eq(symlink("nowhere.png", sub), 0);
    ASSERT_ERR(gan_dataset_load_images(&ds, dir, &cfg), GAN_EIO,
               "a/gone.png: cannot open: a dangling symbolic link");
    ck_assert_int_eq(unlink(sub), 0);
    free(sub);
    sub = join(dir, "a/fifo.png");
    ck_assert_int_eq(mkfifo(sub, 0644), 0);
    ASSERT_ERR(gan_dataset_load_images(&ds, dir, &cfg), GAN_EIO,
               "a/fifo.png: cannot read: a FIFO, not a regular file");
    cfg.on_error = GAN_IMAGE_SKIP;
    ds = load_ok(dir, &cfg);
    get_report(ds, &r);
    ck_assert(r.loaded == 2 && r.skipped == 1);
    gan_dataset_free(ds);
    ck_assert_int_eq(unlink(sub), 0);
    free(sub);
    sub = join(dir, "b");
    ck_assert_int_eq(symlink("a", sub), 0);     /* a second view of a/: loaded twice */
    ds = load_ok(dir, &cfg);
    get_report(ds, &r);
    ck_assert(r.loaded == 3 && r.skipped == 0);
    gan_dataset_free(ds);
    ck_assert_int_eq(unlink(sub), 0);
    free(sub);

    /* a corrupt file and a non-image with an image name: named; skipped */
    {
        tbuf bad = { (unsigned char *)"<html>hello</html>", 18, 0 };
        tbuf cut = { good.p, good.len / 2, 0 };
        write_at(dir, "m/fake.png", &bad);
        write_at(dir, "m/cut.png", &cut);
    }
    cfg.on_error = GAN_IMAGE_FAIL;
    ASSERT_ERR(gan_dataset_load_images(&ds, dir, &cfg), GAN_EFORMAT,
               "/m/cut.png: offset ");
    cfg.on_error = GAN_IMAGE_SKIP;
    ds = load_ok(dir, &cfg);
    get_report(ds, &r);
    ck_assert(r.loaded == 2 && r.skipped == 2 && r.files == 4);
    ck_assert_msg(strstr(r.first_error, "m/cut.png: offset ") != NULL, "%s", r.first_error);
    gan_dataset_free(ds);

    /* everything bad: an error naming the first */
    rm_rf(dir);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    {
        tbuf bad = { (unsigned char *)"nope", 4, 0 };
        write_at(dir, "1.png", &bad);
        write_at(dir, "2.jpg", &bad);
    }
    ASSERT_ERR(gan_dataset_load_images(&ds, dir, &cfg), GAN_EFORMAT,
               "no image could be read: 2 bad files; the first: ");
    ck_assert_msg(strstr(gan_last_error(), "1.png: offset 0: not a PNG") != NULL, "%s",
                  gan_last_error());

    /* mixed sizes without a target size */
    rm_rf(dir);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    write_at(dir, "1.png", &good);
    {
        tbuf other = png_solid(6, 5, 1, 1, 1);
        write_at(dir, "2.png", &other);
        free(other.p);
    }
    cfg = cfg_of(0, 0, 3);
    ASSERT_ERR(gan_dataset_load_images(&ds, dir, &cfg), GAN_ESHAPE,
               "2.png: image is 6x5 (width x height), expected 5x5 like 1.png");
    cfg.on_error = GAN_IMAGE_SKIP;
    ds = load_ok(dir, &cfg);
    get_report(ds, &r);
    ck_assert(r.loaded == 1 && r.skipped == 1);
    gan_dataset_free(ds);
    free(good.p);
    rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(test_misuse)
{
    gan_image_config cfg = cfg_of(4, 4, 3);
    gan_dataset *ds = (gan_dataset *)1, *v = NULL;
    gan_image_report r;
    tbuf b = png_solid(4, 4, 1, 2, 3);
    const void *bufs[1] = { b.p };
    size_t lens[1] = { b.len }, n;
    float x[2] = { 0, 0 };
    int dims[1] = { 2 };
    ASSERT_ERR(gan_dataset_load_images(NULL, "/tmp", &cfg), GAN_EINVAL, "out != NULL");
    ASSERT_ERR(gan_dataset_load_images(&ds, NULL, &cfg), GAN_EINVAL, "dir != NULL");
    ck_assert_ptr_null(ds);
    ASSERT_ERR(gan_dataset_load_images(&ds, "", &cfg), GAN_EINVAL, "dir");
    ASSERT_ERR(gan_dataset_load_images_mem(&ds, NULL, lens, NULL, 1, &cfg), GAN_EINVAL, "bufs");
    ASSERT_ERR(gan_dataset_load_images_mem(&ds, bufs, NULL, NULL, 1, &cfg), GAN_EINVAL, "lens");
    ASSERT_ERR(gan_dataset_load_images_mem(&ds, bufs, lens, NULL, 0, &cfg), GAN_EINVAL, "n is 0");
    {
        const void *nb[1] = { NULL };
        ASSERT_ERR(gan_dataset_load_images_mem(&ds, nb, lens, NULL, 1, &cfg), GAN_EINVAL,
                   "bufs[0] is NULL");
    }
    /* settings */
    {
        static const struct { int field, value; const char *msg; } bad[] = {
            { 0, 5, "height 5 and width 0" }, { 0, -1, "height -1" },
            { 0, 9000, "height 9000" },       { 1, 2, "channels is 2" },
            { 2, 7, "fit is 7" },             { 3, 0x1000000, "background is 0x1000000" },
            { 4, 9, "labels is 9" },          { 5, 2, "on_error is 2" },
            { 6, 0, "max_pixels is 0" },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            gan_image_config c = cfg_of(0, 0, 3);
            switch (bad[i].field) {
            case 0: c.height = bad[i].value; c.width = bad[i].value == 5 ? 0 : bad[i].value; break;
            case 1: c.channels = bad[i].value; break;
            case 2: c.fit = (gan_image_fit)bad[i].value; break;
            case 3: c.background = (uint32_t)bad[i].value; break;
            case 4: c.labels = (gan_image_labels)bad[i].value; break;
            case 5: c.on_error = (gan_image_on_error)bad[i].value; break;
            default: c.max_pixels = (uint64_t)bad[i].value; break;
            }
            ASSERT_ERR(gan_dataset_load_images_mem(&ds, bufs, lens, NULL, 1, &c), GAN_EINVAL,
                       bad[i].msg);
            ck_assert_ptr_null(ds);
        }
        cfg.struct_size = 8;
        ASSERT_ERR(gan_dataset_load_images_mem(&ds, bufs, lens, NULL, 1, &cfg), GAN_EINVAL,
                   "GAN_IMAGE_CONFIG_INIT");
        ASSERT_ERR(gan_image_config_init(&cfg, 3), GAN_EINVAL, "struct size 3");
        ASSERT_ERR(gan_image_config_init(NULL, sizeof cfg), GAN_EINVAL, "cfg");
        cfg = cfg_of(4, 4, 3);
        cfg.cache_path = "";
        ASSERT_ERR(gan_dataset_load_images_mem(&ds, bufs, lens, NULL, 1, &cfg), GAN_EINVAL,
                   "cache_path is empty");
    }
    /* NULL config: the defaults (keep the size, RGB) */
    ck_assert_int_eq(gan_dataset_load_images_mem(&ds, bufs, lens, NULL, 1, NULL), GAN_OK);
    {
        size_t nd;
        int d[3];
        ck_assert_int_eq(gan_dataset_shape(ds, &nd, d), GAN_OK);
        ck_assert(d[0] == 4 && d[1] == 4 && d[2] == 3);
    }
    /* report */
    memset(&r, 0, sizeof r);
    ASSERT_ERR(gan_dataset_image_report(ds, &r), GAN_EINVAL, "GAN_IMAGE_REPORT_INIT");
    ASSERT_ERR(gan_dataset_image_report(ds, NULL), GAN_EINVAL, "report");
    {
        /* an older, smaller report struct gets only its bytes */
        gan_image_report small;
        memset(&small, 0x77, sizeof small);
        small.struct_size = (uint32_t)offsetof(gan_image_report, skipped);
        ck_assert_int_eq(gan_dataset_image_report(ds, &small), GAN_OK);
        ck_assert_uint_eq(small.loaded, 1);
        ck_assert_uint_eq(small.skipped, 0x7777777777777777ull);
    }
    gan_dataset_free(ds);
    ck_assert_int_eq(gan_dataset_create_float(&v, x, 1, 1, dims, NULL, 1), GAN_OK);
    GAN_IMAGE_REPORT_INIT(&r);
    ASSERT_ERR(gan_dataset_image_report(v, &r), GAN_EINVAL, "not loaded from images");
    ck_assert_int_eq(gan_dataset_class_count(v, &n), GAN_OK);
    ck_assert_uint_eq(n, 0);
    ASSERT_ERR(gan_dataset_class_name(v, 0, NULL, 0, NULL), GAN_EINVAL, "0 class names");
    ASSERT_ERR(gan_dataset_set_flip_x(v, 1), GAN_ESHAPE, "not images");
    ck_assert_int_eq(gan_dataset_set_flip_x(v, 0), GAN_OK);
    ASSERT_ERR(gan_dataset_set_flip_x(NULL, 1), GAN_EINVAL, "NULL");
    gan_dataset_free(v);
    free(b.p);
}
END_TEST

/* ---- x-flip in batches --------------------------------------------------------------- */

START_TEST(test_flip_x)
{
    /* 3 images of 2x3 with distinct pixels; batches of 3, no shuffle. */
    unsigned char px[3 * 2 * 3];
    gan_dataset *a = NULL, *b = NULL;
    gan_batch_config bc;
    int dims[3] = { 2, 3, 1 }, seen_flip = 0, seen_plain = 0;
    for (int i = 0; i < 18; i++)
        px[i] = (unsigned char)(i * 10);
    ck_assert_int_eq(gan_dataset_create_u8(&a, px, 3, 3, dims, NULL), GAN_OK);
    ck_assert_int_eq(gan_dataset_create_u8(&b, px, 3, 3, dims, NULL), GAN_OK);
    GAN_BATCH_CONFIG_INIT(&bc);
    bc.batch_size = 3;
    bc.shuffle = 0;
    bc.seed = 42;
    ck_assert_int_eq(gan_dataset_set_batching(a, &bc), GAN_OK);
    ck_assert_int_eq(gan_dataset_set_batching(b, &bc), GAN_OK);
    ck_assert_int_eq(gan_dataset_set_flip_x(a, 1), GAN_OK);
    ck_assert_int_eq(gan_dataset_set_flip_x(b, 1), GAN_OK);
    for (int epoch = 0; epoch < 32; epoch++) {
        float xa[18], xb[18], g[6];
        size_t n;
        ck_assert_int_eq(gan_dataset_next_batch(a, xa, 18, NULL, &n, NULL), GAN_OK);
        ck_assert_int_eq(gan_dataset_next_batch(b, xb, 18, NULL, &n, NULL), GAN_OK);
        ck_assert(memcmp(xa, xb, sizeof xa) == 0);          /* reproducible */
        for (int s = 0; s < 3; s++) {
            int plain = 1, flipped = 1;
            ck_assert_int_eq(gan_dataset_get(a, (size_t)s, g, 6, NULL), GAN_OK);
            for (int y = 0; y < 2; y++)
                for (int x = 0; x < 3; x++) {
                    plain &= xa[s * 6 + y * 3 + x] == g[y * 3 + x];
                    flipped &= xa[s * 6 + y * 3 + x] == g[y * 3 + (2 - x)];
                }
            ck_assert(plain || flipped);
            seen_flip += flipped;
            seen_plain += plain;
        }
        ck_assert_int_eq(gan_dataset_next_batch(a, xa, 18, NULL, &n, NULL), GAN_DONE);
        ck_assert_int_eq(gan_dataset_next_batch(b, xb, 18, NULL, &n, NULL), GAN_DONE);
    }
    ck_assert_int_gt(seen_flip, 20);
    ck_assert_int_gt(seen_plain, 20);
    gan_dataset_free(a);
    gan_dataset_free(b);
}
END_TEST

/* ---- allocation failures -------------------------------------------------------------- */

static long oom_countdown = -1;
static long oom_live;

static void *oom_malloc(size_t n, void *u)
{
    (void)u;
    if (oom_countdown == 0)
        return NULL;
    if (oom_countdown > 0)
        oom_countdown--;
    oom_live++;
    return malloc(n);
}

static void *oom_realloc(void *p, size_t n, void *u)
{
    (void)u;
    if (oom_countdown == 0)
        return NULL;
    if (oom_countdown > 0)
        oom_countdown--;
    if (!p)
        oom_live++;
    return realloc(p, n);
}

static void oom_free(void *p, void *u)
{
    (void)u;
    if (p)
        oom_live--;
    free(p);
}

START_TEST(test_oom_loop)
{
    /* Each allocation of a load failing in turn: GAN_ENOMEM, nothing leaked,
       until the load succeeds.  Folder + cache (miss, then hit) and mem. */
    gan_allocator al = { oom_malloc, oom_realloc, oom_free, NULL };
    char *dir = mk_tmpdir(), *cache = join(dir, "c.cache");
    unsigned char px[6 * 5 * 4];
    tbuf files[3];
    const void *bufs[3];
    size_t lens[3];
    const char *names[3] = { "x/a.png", "y/b.jpg", "x/c.png" };
    for (int i = 0; i < 6 * 5 * 4; i++)
        px[i] = (unsigned char)(i * 11);
    files[0] = png8(6, 5, 4, px);
    files[1] = jpeg_encode(6, 5, 3, px, 0);
    {
        unsigned char ex[16 * 16 * 4];
        int c;
        files[2] = png_case_make(&png_cases[13], 9, 9, ex, &c);
    }
    for (int i = 0; i < 3; i++) {
        bufs[i] = files[i].p;
        lens[i] = files[i].len;
        write_at(dir, names[i], &files[i]);
    }
    ck_assert_int_eq(gan_set_allocator(&al), GAN_OK);
    for (int which = 0; which < 3; which++) {
        int done = 0;
        for (long k = 0; k < 5000 && !done; k++) {
            gan_image_config cfg = cfg_of(4, 4, which == 2 ? 1 : 4);
            gan_dataset *ds = NULL;
            gan_status st;
            cfg.cache_path = which < 2 ? cache : NULL;
            if (which == 0)
                unlink(cache);
            oom_live = 0;
            oom_countdown = k;
            if (which < 2)
                st = gan_dataset_load_images(&ds, dir, &cfg);
            else
                st = gan_dataset_load_images_mem(&ds, bufs, lens, names, 3, &cfg);
            oom_countdown = -1;
            if (st == GAN_OK) {
                gan_image_report r;
                get_report(ds, &r);
                gan_dataset_free(ds);
                ck_assert_int_eq(oom_live, 0);
                /* a failed cache write is not an error: go on */
                done = r.cache != GAN_IMAGE_CACHE_WRITE_FAILED;
                if (which == 1)
                    ck_assert_msg(r.cache == GAN_IMAGE_CACHE_HIT ||
                                  strstr(r.cache_note, "memory") != NULL,
                                  "k %ld: cache %d: %s", k, r.cache, r.cache_note);
                continue;
            }
            ck_assert_msg(st == GAN_ENOMEM, "case %d, failing allocation %ld: %d %s", which, k,
                          (int)st, gan_last_error());
            ck_assert_ptr_null(ds);
            ck_assert_msg(oom_live == 0, "case %d, failing allocation %ld: %ld blocks leaked",
                          which, k, oom_live);
        }
        ck_assert_msg(done, "case %d never succeeded", which);
    }
    ck_assert_int_eq(gan_set_allocator(NULL), GAN_OK);
    for (int i = 0; i < 3; i++)
        free(files[i].p);
    rm_rf(dir);
    free(dir);
    free(cache);
}
END_TEST

/* ---- suite ------------------------------------------------------------------------------- */

static Suite *images_suite(void)
{
    Suite *s = suite_create("images");
    TCase *t = tcase_create("decode");
    tcase_add_loop_test(t, test_png_decode_exact, 0, N_PNG_CASES);
    tcase_add_test(t, test_jpeg_decode);
    suite_add_tcase(s, t);
    t = tcase_create("preprocess");
    tcase_add_test(t, test_resize_reference);
    tcase_add_test(t, test_resize_axis_weights);
    tcase_add_test(t, test_crop_pad);
    tcase_add_test(t, test_pad_reference);
    tcase_add_test(t, test_alpha);
    suite_add_tcase(s, t);
    t = tcase_create("folders");
    tcase_add_test(t, test_order_and_ignored);
    tcase_add_test(t, test_labels);
    tcase_add_test(t, test_mem_and_resize_pipeline);
    tcase_add_test(t, test_flip_x);
    tcase_add_test(t, test_misuse);
    suite_add_tcase(s, t);
    t = tcase_create("cache");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, test_cache);
    tcase_add_test(t, test_cache_mem);
    tcase_add_test(t, test_cache_large);
    suite_add_tcase(s, t);
    t = tcase_create("bad-input");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, test_truncated_everywhere);
    tcase_add_test(t, test_corrupt);
    tcase_add_test(t, test_bomb);
    tcase_add_test(t, test_bad_folders);
    tcase_add_test(t, test_oom_loop);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(images_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
