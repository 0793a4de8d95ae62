/*
 * image_decode.c -- PNG (libpng) and JPEG (libjpeg-turbo) files in memory
 * to 8-bit pixels (gan__image), never trusting a header.
 *
 * Both libraries report errors by calling a function that must not return;
 * libgan's handlers record the message and longjmp back to the decoder.
 * Rules that keep that path correct:
 *  - setjmp is called in a function (gan__png_run_decode,
 *    gan__jpeg_run_decode) whose state all lives in a struct owned by its
 *    caller, reached through a pointer parameter that is never modified;
 *    after the longjmp that function only returns 1 and reads none of its
 *    locals (C11 7.13.2.1: a local changed after setjmp is indeterminate
 *    after the longjmp), and the caller reads the struct, which is not a
 *    local of the setjmp function, so nothing needs `volatile`;
 *  - every allocation is recorded in that struct as soon as it is made, and
 *    the caller frees whatever is there on both paths, so a longjmp from
 *    any point leaks nothing;
 *  - the handlers never print: libpng's warnings and libjpeg's messages are
 *    dropped or become errors.
 *
 * Limits are checked from the header, before any pixel memory: width *
 * height <= max_pixels, each side <= GAN__IMAGE_MAX_SIDE (libpng's user
 * limits do the same inside libpng).  libpng allocates through libgan's
 * allocator (so the OOM tests reach it) and its chunk limits stay at their
 * defaults (8 MB per ancillary chunk, 1000 chunks cached).  JPEGs with more
 * than GAN__JPEG_MAX_SCANS progressive scans are refused (a known way to
 * make a tiny file decode for minutes).
 *
 * Fuzzing builds (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION) ignore PNG CRCs
 * and the zlib Adler-32 so the fuzzer reaches the decoder, as libpng's own
 * fuzzer does.
 */
#include <setjmp.h>
#include <stdio.h>

#include <png.h>
#include <jpeglib.h>
#include <jerror.h>

#include "data/image.h"

#define GAN__JPEG_MAX_SCANS 500

void gan__image_free(gan__image *im)
{
    gan__free(im->px);
    memset(im, 0, sizeof *im);
}

/* Pixel memory for a w x h x c image within the limits (checked by the caller). */
static unsigned char *gan__image_alloc(int w, int h, int c)
{
    size_t n;
    if (gan__mul_size((size_t)w * (size_t)h, (size_t)c, &n) != 0)
        return NULL;
    return gan__malloc(n);
}

static gan_status gan__check_dims(uint64_t w, uint64_t h, uint64_t max_pixels, const char *name,
                                  size_t offset, const char *kind)
{
    if (w == 0 || h == 0)
        return gan__err(GAN_EFORMAT, "%s: offset %zu: %s image is %llux%llu, expected a "
                        "width and height of at least 1", name, offset, kind,
                        (unsigned long long)w, (unsigned long long)h);
    if (w > GAN__IMAGE_MAX_SIDE || h > GAN__IMAGE_MAX_SIDE || w * h > max_pixels)
        return gan__err(GAN_EFORMAT, "%s: offset %zu: %s image is %llux%llu (%llu pixels), "
                        "more than the limit of %llu pixels (gan_image_config.max_pixels) "
                        "or %d per side", name, offset, kind, (unsigned long long)w,
                        (unsigned long long)h, (unsigned long long)(w * h),
                        (unsigned long long)max_pixels, GAN__IMAGE_MAX_SIDE);
    return GAN_OK;
}

/* ---- PNG -------------------------------------------------------------------------- */

typedef struct gan__png_run {
    const unsigned char *buf;
    size_t len, off;             /* bytes handed to libpng so far */
    const char *name;
    uint64_t max_pixels;
    png_structp png;
    png_infop info;
    unsigned char *px;           /* the image, once allocated */
    png_bytep *rows;
    int w, h, c;
    int oom;                     /* an allocation failed */
    gan_status st;               /* set before a deliberate png_error */
    char msg[256];               /* libpng's message */
} gan__png_run;

static void gan__png_error(png_structp png, png_const_charp msg)
{
    gan__png_run *r = png_get_error_ptr(png);
    snprintf(r->msg, sizeof r->msg, "%s", msg ? msg : "unknown error");
    png_longjmp(png, 1);
}

static void gan__png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;          /* warnings are not errors, and libgan never prints */
}

/*
 * libpng's own buffers (a row, zlib's window, one ancillary chunk of at most
 * its 8 MB chunk limit) stay far below this; the pixels are ours.
 * gan__png_walk_chunks already bounds every chunk by the bytes present, so
 * a tiny file cannot declare a huge chunk; this cap also bounds a large
 * file's (a 100 MB PNG with one 90 MB text chunk, which libpng 1.6 would
 * allocate whole after only a warning): refused here, libpng skips the
 * chunk as a benign error.
 */
#define GAN__PNG_ALLOC_MAX ((png_alloc_size_t)32 << 20)

static png_voidp gan__png_malloc(png_structp png, png_alloc_size_t n)
{
    void *p;
    if (n > GAN__PNG_ALLOC_MAX)
        return NULL;
    p = gan__malloc(n);
    if (!p) {
        gan__png_run *r = png_get_mem_ptr(png);
        r->oom = 1;
    }
    return p;
}

static void gan__png_free(png_structp png, png_voidp p)
{
    (void)png;
    gan__free(p);
}

static void gan__png_read(png_structp png, png_bytep data, size_t n)
{
    gan__png_run *r = png_get_io_ptr(png);
    if (n > r->len - r->off) {
        r->off = r->len;
        png_error(png, "the file is truncated (it ends inside a chunk)");
    }
    memcpy(data, r->buf + r->off, n);
    r->off += n;
}

/* Everything between setjmp and success; on error returns 1 (after longjmp). */
static int gan__png_run_decode(gan__png_run *r)
{
    png_uint_32 w, h;
    int depth, type;
    if (setjmp(png_jmpbuf(r->png)))
        return 1;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    png_set_crc_action(r->png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#  ifdef PNG_IGNORE_ADLER32
    png_set_option(r->png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#  endif
#endif
    png_set_user_limits(r->png, GAN__IMAGE_MAX_SIDE, GAN__IMAGE_MAX_SIDE);
    /* Ancillary chunks (sPLT, text, iCCP...) are capped so a tiny file cannot
       make libpng allocate without bound; pixel memory is capped above. */
    png_set_chunk_malloc_max(r->png, (png_alloc_size_t)8 << 20);
    png_set_chunk_cache_max(r->png, 1000);
    png_set_read_fn(r->png, r, gan__png_read);
    png_read_info(r->png, r->info);
    png_get_IHDR(r->png, r->info, &w, &h, &depth, &type, NULL, NULL, NULL);
    if ((r->st = gan__check_dims(w, h, r->max_pixels, r->name, 16, "PNG")) != GAN_OK)
        png_error(r->png, "limit");
    /* To 8 bits a sample: palette -> RGB, tRNS -> alpha, gray 1/2/4 -> 8,
       16 -> 8 rounded (v * 255 + 32895) >> 16 = round(v / 257). */
    png_set_expand(r->png);
    png_set_scale_16(r->png);
    (void)png_set_interlace_handling(r->png);
    png_read_update_info(r->png, r->info);
    r->c = png_get_channels(r->png, r->info);
    if (png_get_bit_depth(r->png, r->info) != 8 || r->c < 1 || r->c > 4 ||
        png_get_rowbytes(r->png, r->info) != (size_t)w * (size_t)r->c) {
        r->st = gan__err(GAN_EINTERNAL, "%s: PNG transforms gave %d channels of %d bits",
                         r->name, r->c, (int)png_get_bit_depth(r->png, r->info));
        png_error(r->png, "internal");
    }
    r->w = (int)w;
    r->h = (int)h;
    r->px = gan__image_alloc(r->w, r->h, r->c);
    r->rows = gan__malloc((size_t)h * sizeof *r->rows);
    if (!r->px || !r->rows) {
        r->oom = 1;
        png_error(r->png, "out of memory");
    }
    for (png_uint_32 y = 0; y < h; y++)
        r->rows[y] = r->px + (size_t)y * (size_t)w * (size_t)r->c;
    png_read_image(r->png, r->rows);
    /* The rest of the file too: a PNG cut anywhere, even after its pixels,
       is an error. */
    png_read_end(r->png, NULL);
    return 0;
}

static char gan__png_printable(unsigned char c)
{
    return (c >= 0x21 && c < 0x7f) ? (char)c : '?';
}

/* Walks the chunk list before libpng does: every chunk must fit in the bytes
   that are there. libpng 1.6 treats an ancillary chunk over its malloc limit
   as a benign error (a warning when reading) and allocates the declared
   length anyway, so a 62-byte file declaring a 512 MiB sPLT chunk would
   allocate 512 MiB. Bounding each chunk by the file bounds every allocation
   libpng makes for chunk data by the file's size. */
static gan_status gan__png_walk_chunks(const unsigned char *buf, size_t len, const char *name)
{
    size_t off = 8;                     /* after the signature */
    while (off < len) {
        if (len - off < 12)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: PNG chunk header needs 12 bytes, "
                            "%zu remain (the file is truncated)", name, off, len - off);
        uint32_t n = (uint32_t)buf[off] << 24 | (uint32_t)buf[off + 1] << 16 |
                     (uint32_t)buf[off + 2] << 8 | buf[off + 3];
        if (n > len - off - 12)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: PNG chunk '%c%c%c%c' declares %lu "
                            "bytes of data, the file has %zu left (truncated or corrupt)",
                            name, off, gan__png_printable(buf[off + 4]),
                            gan__png_printable(buf[off + 5]), gan__png_printable(buf[off + 6]),
                            gan__png_printable(buf[off + 7]), (unsigned long)n, len - off - 12);
        if (memcmp(buf + off + 4, "IEND", 4) == 0)
            return GAN_OK;
        off += 12 + (size_t)n;
    }
    return GAN_OK;                      /* no IEND: libpng says so, with its offset */
}

static gan_status gan__png_decode(const unsigned char *buf, size_t len, const char *name,
                                  uint64_t max_pixels, gan__image *out)
{
    gan__png_run r;
    gan_status st = gan__png_walk_chunks(buf, len, name);
    if (st != GAN_OK)
        return st;
    memset(&r, 0, sizeof r);
    r.buf = buf;
    r.len = len;
    r.name = name;
    r.max_pixels = max_pixels;
    r.png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &r, gan__png_error,
                                     gan__png_warning, &r, gan__png_malloc, gan__png_free);
    if (r.png)
        r.info = png_create_info_struct(r.png);
    if (!r.png || !r.info) {
        if (r.png)
            png_destroy_read_struct(&r.png, NULL, NULL);
        return gan__err(GAN_ENOMEM, "%s: out of memory starting libpng", name);
    }
    if (gan__png_run_decode(&r) != 0) {
        if (r.st != GAN_OK)
            st = r.st;                  /* our own check, message already set */
        else if (r.oom)
            st = gan__err(GAN_ENOMEM, "%s: out of memory decoding the PNG", name);
        else
            st = gan__err(GAN_EFORMAT, "%s: offset %zu: PNG error: %s", name, r.off, r.msg);
    }
    png_destroy_read_struct(&r.png, &r.info, NULL);
    gan__free(r.rows);
    if (st != GAN_OK) {
        gan__free(r.px);
        return st;
    }
    out->w = r.w;
    out->h = r.h;
    out->c = r.c;
    out->px = r.px;
    return GAN_OK;
}

/* ---- JPEG ------------------------------------------------------------------------- */

typedef struct gan__jpeg_err {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
} gan__jpeg_err;

typedef struct gan__jpeg_run {
    struct jpeg_decompress_struct cinfo;
    gan__jpeg_err err;
    struct jpeg_progress_mgr progress;
    int created;
    const unsigned char *buf;
    size_t len;
    const char *name;
    uint64_t max_pixels;
    unsigned char *px;
    int w, h, c;
    int cmyk, inverted;          /* decoded as CMYK (Adobe: inverted) */
    gan_status st;               /* set before a deliberate error */
} gan__jpeg_run;

static void gan__jpeg_error_exit(j_common_ptr cinfo)
{
    gan__jpeg_err *e = (gan__jpeg_err *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jb, 1);
}

/* Warnings that mean the data was damaged and patched up: errors here. */
static int gan__jpeg_damage(int code)
{
    return code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE ||
           code == JWRN_ARITH_BAD_CODE || code == JWRN_MUST_RESYNC;
}

static void gan__jpeg_emit(j_common_ptr cinfo, int level)
{
    if (level < 0) {
        if (gan__jpeg_damage(cinfo->err->msg_code))
            gan__jpeg_error_exit(cinfo);
        cinfo->err->num_warnings++;
    }
    /* trace messages (level >= 0) are dropped */
}

static void gan__jpeg_output(j_common_ptr cinfo)
{
    (void)cinfo;        /* libjpeg's default prints to stderr: never */
}

static void gan__jpeg_progress(j_common_ptr cinfo)
{
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > GAN__JPEG_MAX_SCANS) {
        gan__jpeg_run *r = (gan__jpeg_run *)d->client_data;
        r->st = gan__err(GAN_EFORMAT, "%s: offset %zu: JPEG has more than %d scans, the "
                         "limit", r->name, r->len - d->src->bytes_in_buffer,
                         GAN__JPEG_MAX_SCANS);
        gan__jpeg_error_exit(cinfo);
    }
}

static size_t gan__jpeg_offset(const gan__jpeg_run *r)
{
    if (!r->created || !r->cinfo.src)
        return 0;
    return r->len - r->cinfo.src->bytes_in_buffer;
}

static int gan__jpeg_run_decode(gan__jpeg_run *r)
{
    j_decompress_ptr ci = &r->cinfo;
    if (setjmp(r->err.jb))
        return 1;
    /* Before the call: jpeg_destroy_decompress is safe after a create
       that failed part-way (it zeroes the struct first). */
    r->created = 1;
    jpeg_create_decompress(ci);
    ci->client_data = r;
    r->progress.progress_monitor = gan__jpeg_progress;
    ci->progress = &r->progress;
    jpeg_mem_src(ci, r->buf, (unsigned long)r->len);
    (void)jpeg_read_header(ci, TRUE);
    if ((r->st = gan__check_dims(ci->image_width, ci->image_height, r->max_pixels, r->name,
                                 gan__jpeg_offset(r), "JPEG")) != GAN_OK)
        gan__jpeg_error_exit((j_common_ptr)ci);
    switch (ci->jpeg_color_space) {
    case JCS_GRAYSCALE:
        ci->out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        ci->out_color_space = JCS_CMYK;
        r->cmyk = 1;
        r->inverted = ci->saw_Adobe_marker;
        break;
    default:
        ci->out_color_space = JCS_RGB;
        break;
    }
    jpeg_start_decompress(ci);
    r->w = (int)ci->output_width;
    r->h = (int)ci->output_height;
    r->c = ci->output_components;
    if (r->c != (r->cmyk ? 4 : ci->out_color_space == JCS_GRAYSCALE ? 1 : 3) ||
        r->w != (int)ci->image_width || r->h != (int)ci->image_height) {
        r->st = gan__err(GAN_EINTERNAL, "%s: libjpeg gave %dx%dx%d", r->name, r->w, r->h, r->c);
        gan__jpeg_error_exit((j_common_ptr)ci);
    }
    r->px = gan__image_alloc(r->w, r->h, r->c);
    if (!r->px) {
        r->st = gan__err(GAN_ENOMEM, "%s: out of memory for a %dx%d JPEG", r->name, r->w, r->h);
        gan__jpeg_error_exit((j_common_ptr)ci);
    }
    while (ci->output_scanline < ci->output_height) {
        JSAMPROW row = r->px + (size_t)ci->output_scanline * (size_t)r->w * (size_t)r->c;
        if (jpeg_read_scanlines(ci, &row, 1) != 1) {
            r->st = gan__err(GAN_EFORMAT, "%s: offset %zu: JPEG data ends at row %u of %d",
                             r->name, gan__jpeg_offset(r), ci->output_scanline, r->h);
            gan__jpeg_error_exit((j_common_ptr)ci);
        }
    }
    (void)jpeg_finish_decompress(ci);
    return 0;
}

/* CMYK (Adobe files store it inverted) to RGB, in place: r = c * k / 255. */
static void gan__cmyk_to_rgb(gan__image *im, int inverted)
{
    size_t n = (size_t)im->w * (size_t)im->h;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *s = im->px + 4 * i;
        unsigned k = inverted ? s[3] : 255u - s[3];
        unsigned char rgb[3];
        for (int j = 0; j < 3; j++) {
            unsigned v = inverted ? s[j] : 255u - s[j];
            rgb[j] = (unsigned char)((v * k + 127) / 255);
        }
        memcpy(im->px + 3 * i, rgb, 3);
    }
    im->c = 3;
}

static gan_status gan__jpeg_decode(const unsigned char *buf, size_t len, const char *name,
                                   uint64_t max_pixels, gan__image *out)
{
    gan__jpeg_run *r;
    gan_status st = GAN_OK;
    /* The run (a few KB) on the heap: libjpeg's structs are large. */
    r = gan__calloc(1, sizeof *r);
    if (!r)
        return gan__err(GAN_ENOMEM, "%s: out of memory starting libjpeg", name);
    r->buf = buf;
    r->len = len;
    r->name = name;
    r->max_pixels = max_pixels;
    r->cinfo.err = jpeg_std_error(&r->err.pub);
    r->err.pub.error_exit = gan__jpeg_error_exit;
    r->err.pub.emit_message = gan__jpeg_emit;
    r->err.pub.output_message = gan__jpeg_output;
    if (gan__jpeg_run_decode(r) != 0) {
        if (r->st != GAN_OK)
            st = r->st;
        else if (r->err.pub.msg_code == JERR_OUT_OF_MEMORY)
            st = gan__err(GAN_ENOMEM, "%s: out of memory in libjpeg: %s", name, r->err.msg);
        else
            st = gan__err(GAN_EFORMAT, "%s: offset %zu: JPEG error: %s", name,
                          gan__jpeg_offset(r), r->err.msg);
    }
    if (r->created)
        jpeg_destroy_decompress(&r->cinfo);
    if (st == GAN_OK) {
        out->w = r->w;
        out->h = r->h;
        out->c = r->c;
        out->px = r->px;
        if (r->cmyk)
            gan__cmyk_to_rgb(out, r->inverted);
    } else {
        gan__free(r->px);
    }
    gan__free(r);
    return st;
}

/* ---- dispatch --------------------------------------------------------------------- */

gan_status gan__image_decode(const unsigned char *buf, size_t len, const char *name,
                             uint64_t max_pixels, gan__image *out)
{
    static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a };
    memset(out, 0, sizeof *out);
    if (len >= 8 && memcmp(buf, png_sig, 8) == 0)
        return gan__png_decode(buf, len, name, max_pixels, out);
    if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff)
        return gan__jpeg_decode(buf, len, name, max_pixels, out);
    if (len == 0)
        return gan__err(GAN_EFORMAT, "%s: offset 0: empty file, expected a PNG or JPEG image",
                        name);
    {
        char hex[3 * 8 + 1];
        size_t k = len < 8 ? len : 8, o = 0;
        for (size_t i = 0; i < k; i++)
            o += (size_t)snprintf(hex + o, sizeof hex - o, i ? " %02x" : "%02x", buf[i]);
        return gan__err(GAN_EFORMAT, "%s: offset 0: not a PNG or JPEG image (starts with %s), "
                        "expected 89 50 4e 47 0d 0a 1a 0a (PNG) or ff d8 ff (JPEG)", name, hex);
    }
}
