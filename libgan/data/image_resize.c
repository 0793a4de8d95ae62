/*
 * image_resize.c -- one decoded image to one (h, w, c) uint8 sample:
 * channel conversion (alpha kept premultiplied, or composited on the
 * background; luma for gray), a centred crop or pad to the target's aspect
 * ratio, and a separable resize (gan.h, "PREPROCESSING", is the contract).
 *
 * The resize runs over a "canvas": the crop window inside the source, or a
 * padded frame around it whose outside pixels are the pad value.  Each
 * canvas row is converted to doubles and resized horizontally into an
 * intermediate (canvas height x target width) array; the columns of that
 * array are then resized vertically, and each result rounded once.
 *
 * The filters, per axis (gan__axis_init):
 *   shrinking n_in -> n_out: area.  Output i covers the input interval
 *     [i * n_in / n_out, (i + 1) * n_in / n_out); each input pixel it
 *     touches is weighted by the length of the overlap divided by
 *     n_in / n_out.  Computed in integers scaled by n_out, so the weights
 *     are exact fractions k / n_in.
 *   growing: bilinear with half-pixel centres: output i samples the input
 *     at s = (i + 0.5) * n_in / n_out - 0.5, clamped to [0, n_in - 1], from
 *     pixels floor(s) and floor(s) + 1 (TensorFlow's half_pixel_centers,
 *     OpenCV's INTER_LINEAR).
 *   equal: the identity.
 * With 4 channels the colours are premultiplied by alpha before and divided
 * by it after, so a transparent pixel's colour has no weight.
 */
#include <math.h>

#include "data/image.h"

void gan__image_canvas(int sw, int sh, int tw, int th, gan_image_fit fit, gan__canvas *cv)
{
    uint64_t wide = (uint64_t)sw * (uint64_t)th, tall = (uint64_t)sh * (uint64_t)tw;
    cv->x0 = cv->y0 = 0;
    cv->w = sw;
    cv->h = sh;
    if (fit == GAN_IMAGE_FIT_STRETCH || wide == tall)
        return;
    if (fit == GAN_IMAGE_FIT_CROP) {
        if (wide > tall) {      /* wider than the target: keep the middle columns */
            uint64_t cw = ((uint64_t)sh * (uint64_t)tw * 2 + (uint64_t)th) / (2 * (uint64_t)th);
            cv->w = cw < 1 ? 1 : cw > (uint64_t)sw ? sw : (long)cw;
            cv->x0 = (sw - cv->w) / 2;
        } else {
            uint64_t ch = ((uint64_t)sw * (uint64_t)th * 2 + (uint64_t)tw) / (2 * (uint64_t)tw);
            cv->h = ch < 1 ? 1 : ch > (uint64_t)sh ? sh : (long)ch;
            cv->y0 = (sh - cv->h) / 2;
        }
    } else {                    /* pad: a taller or wider frame */
        if (wide > tall) {
            uint64_t ch = ((uint64_t)sw * (uint64_t)th * 2 + (uint64_t)tw) / (2 * (uint64_t)tw);
            cv->h = ch < (uint64_t)sh ? sh : (long)ch;
            cv->y0 = -((cv->h - sh) / 2);
        } else {
            uint64_t cw = ((uint64_t)sh * (uint64_t)tw * 2 + (uint64_t)th) / (2 * (uint64_t)th);
            cv->w = cw < (uint64_t)sw ? sw : (long)cw;
            cv->x0 = -((cv->w - sw) / 2);
        }
    }
}

void gan__axis_free(gan__axis *a)
{
    gan__free(a->start);
    gan__free(a->count);
    gan__free(a->weight);
    memset(a, 0, sizeof *a);
}

gan_status gan__axis_init(gan__axis *a, int n_in, int n_out, const char *name)
{
    memset(a, 0, sizeof *a);
    a->n_in = n_in;
    a->n_out = n_out;
    a->span = n_out == n_in ? 1 : n_out > n_in ? 2 : (n_in + n_out - 1) / n_out + 1;
    a->start = gan__malloc((size_t)n_out * sizeof *a->start);
    a->count = gan__malloc((size_t)n_out * sizeof *a->count);
    a->weight = gan__calloc((size_t)n_out * (size_t)a->span, sizeof *a->weight);
    if (!a->start || !a->count || !a->weight) {
        gan__axis_free(a);
        return gan__err(GAN_ENOMEM, "%s: out of memory for resize weights", name);
    }
    for (int i = 0; i < n_out; i++) {
        double *w = a->weight + (size_t)i * (size_t)a->span;
        if (n_out == n_in) {
            a->start[i] = i;
            a->count[i] = 1;
            w[0] = 1.0;
        } else if (n_out < n_in) {
            /* Units of 1/n_out input pixels: output [i n_in, (i+1) n_in),
               input j [j n_out, (j+1) n_out). */
            int64_t lo = (int64_t)i * n_in, hi = lo + n_in;
            int64_t j0 = lo / n_out, j1 = (hi + n_out - 1) / n_out;
            a->start[i] = (int)j0;
            a->count[i] = (int)(j1 - j0);
            for (int64_t j = j0; j < j1; j++) {
                int64_t a0 = j * n_out > lo ? j * n_out : lo;
                int64_t a1 = (j + 1) * n_out < hi ? (j + 1) * n_out : hi;
                w[j - j0] = (double)(a1 - a0) / (double)n_in;
            }
        } else {
            /* s = ((2i+1) n_in - n_out) / (2 n_out), exactly. */
            int64_t num = (int64_t)(2 * i + 1) * n_in - n_out, den = 2 * (int64_t)n_out;
            int64_t j0;
            double f;
            if (num <= 0) {
                j0 = 0;
                f = 0.0;
            } else {
                j0 = num / den;
                f = (double)(num - j0 * den) / (double)den;
            }
            if (j0 >= n_in - 1) {
                j0 = n_in - 1;
                f = 0.0;
            }
            a->start[i] = (int)j0;
            a->count[i] = f > 0.0 ? 2 : 1;
            w[0] = 1.0 - f;
            w[1] = f;
        }
    }
    return GAN_OK;
}

/* 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as PIL's convert("L")). */
static double gan__luma(double r, double g, double b)
{
    return 0.299 * r + 0.587 * g + 0.114 * b;
}

/* The canvas pixel of source pixel s (im->c channels) in the working
   format: c values, premultiplied when c == 4, composited otherwise. */
static void gan__work_px(const unsigned char *s, int sc, const gan__prep *p, double *o)
{
    double r, g, b, a = 255.0;
    if (sc <= 2) {
        r = g = b = s[0];
        if (sc == 2)
            a = s[1];
    } else {
        r = s[0];
        g = s[1];
        b = s[2];
        if (sc == 4)
            a = s[3];
    }
    if (p->c == 4) {
        o[0] = r * a / 255.0;
        o[1] = g * a / 255.0;
        o[2] = b * a / 255.0;
        o[3] = a;
        return;
    }
    {
        double t = 255.0 - a;
        double cr = (r * a + p->bg[0] * t) / 255.0;
        if (p->c == 3) {
            o[0] = cr;
            o[1] = (g * a + p->bg[1] * t) / 255.0;
            o[2] = (b * a + p->bg[2] * t) / 255.0;
        } else if (sc <= 2) {
            /* gray stays gray exactly: (v * 255 + bg * 0) / 255 == v */
            o[0] = (g * a + gan__luma(p->bg[0], p->bg[1], p->bg[2]) * t) / 255.0;
        } else {
            o[0] = gan__luma(cr, (g * a + p->bg[1] * t) / 255.0, (b * a + p->bg[2] * t) / 255.0);
        }
    }
}

static unsigned char gan__round_u8(double v)
{
    if (!(v > 0.0))
        return 0;
    if (v >= 254.5)
        return 255;
    return (unsigned char)(v + 0.5);
}

/* Bytes of an intermediate buffer; 0 if it would be unreasonably large. */
#define GAN__PREP_MAX_BYTES ((size_t)1 << 31)
/* The longest canvas side: the axis tables cost about 8 bytes per canvas
   position (134 MB here), and their indices are ints. */
#define GAN__CANVAS_MAX_SIDE ((long)1 << 24)

/*
 * One axis of the canvas split into its source part, canvas positions
 * [lo, hi), and the pad around it.  For output i: the weights that fall on
 * pad positions, summed (pad_w[i]), and the range [j0[i], j1[i]) of its
 * weights that read the source.  A pad of any size then costs one multiply
 * per output instead of one per padded pixel: a 65535x4 image padded to a
 * square frame is 65535x65535 canvas pixels, almost all of them pad.
 */
typedef struct gan__axis_split {
    double *pad_w;
    int *j0, *j1;
} gan__axis_split;

static void gan__axis_split_free(gan__axis_split *s)
{
    gan__free(s->pad_w);
    gan__free(s->j0);
    gan__free(s->j1);
    memset(s, 0, sizeof *s);
}

static gan_status gan__axis_split_init(gan__axis_split *s, const gan__axis *a, long lo, long hi,
                                       const char *name)
{
    s->pad_w = gan__malloc((size_t)a->n_out * sizeof *s->pad_w);
    s->j0 = gan__malloc((size_t)a->n_out * sizeof *s->j0);
    s->j1 = gan__malloc((size_t)a->n_out * sizeof *s->j1);
    if (!s->pad_w || !s->j0 || !s->j1) {
        gan__axis_split_free(s);
        return gan__err(GAN_ENOMEM, "%s: out of memory for resize weights", name);
    }
    for (int i = 0; i < a->n_out; i++) {
        const double *w = a->weight + (size_t)i * (size_t)a->span;
        long first = a->start[i], end = first + a->count[i];
        long b0 = first > lo ? first : lo, b1 = end < hi ? end : hi;
        double pw = 0.0;
        if (b1 < b0)
            b1 = b0;
        for (long j = first; j < end; j++)
            if (j < b0 || j >= b1)
                pw += w[j - first];
        s->pad_w[i] = pw;
        s->j0[i] = (int)(b0 - first);
        s->j1[i] = (int)(b1 - first);
    }
    return GAN_OK;
}

gan_status gan__image_prep(const gan__image *src, const gan__prep *p, unsigned char *dst,
                           const char *name)
{
    gan__canvas cv;
    gan__axis ax, ay;
    gan__axis_split sx = { 0 }, sy = { 0 };
    double *row = NULL, *inter = NULL, *pad_row, pad[4];
    const int C = p->c, sc = src->c;
    size_t row_n, inter_n, tw = (size_t)p->w;
    long xlo, xhi, ylo, yhi, nrows;
    gan_status st;

    gan__image_canvas(src->w, src->h, p->w, p->h, p->fit, &cv);
    /* The canvas positions that hold source pixels (all of them unless
       padded; the crop window is inside the source). */
    xlo = cv.x0 < 0 ? -cv.x0 : 0;
    xhi = cv.x0 + cv.w > src->w ? src->w - cv.x0 : cv.w;
    ylo = cv.y0 < 0 ? -cv.y0 : 0;
    yhi = cv.y0 + cv.h > src->h ? src->h - cv.y0 : cv.h;
    nrows = yhi - ylo;
    /* inter: one row per source row in the canvas, then the pad row. */
    if (gan__mul_size((size_t)(xhi - xlo), (size_t)C * sizeof(double), &row_n) != 0 ||
        gan__mul_size((size_t)nrows + 1, tw * (size_t)C * sizeof(double), &inter_n) != 0 ||
        row_n > GAN__PREP_MAX_BYTES || inter_n > GAN__PREP_MAX_BYTES ||
        cv.w > GAN__CANVAS_MAX_SIDE || cv.h > GAN__CANVAS_MAX_SIDE)
        return gan__err(GAN_EFORMAT, "%s: a %dx%d image padded to %ldx%ld for a %dx%d target "
                        "is too large to resize (more than %zu bytes of working memory or a side "
                        "over %ld)", name, src->w, src->h, cv.w, cv.h, p->w, p->h,
                        GAN__PREP_MAX_BYTES, GAN__CANVAS_MAX_SIDE);
    if ((st = gan__axis_init(&ax, (int)cv.w, p->w, name)) != GAN_OK)
        return st;
    if ((st = gan__axis_init(&ay, (int)cv.h, p->h, name)) != GAN_OK) {
        gan__axis_free(&ax);
        return st;
    }
    if ((st = gan__axis_split_init(&sx, &ax, xlo, xhi, name)) != GAN_OK ||
        (st = gan__axis_split_init(&sy, &ay, ylo, yhi, name)) != GAN_OK)
        goto done;
    row = gan__malloc(row_n ? row_n : 1);
    inter = gan__malloc(inter_n);
    if (!row || !inter) {
        st = gan__err(GAN_ENOMEM, "%s: out of memory resizing a %dx%d image", name, src->w,
                      src->h);
        goto done;
    }
    /* The pad value: transparent with alpha, else the background. */
    if (C == 4) {
        pad[0] = pad[1] = pad[2] = pad[3] = 0.0;
    } else {
        unsigned char bg[3] = { p->bg[0], p->bg[1], p->bg[2] };
        gan__work_px(bg, 3, p, pad);
    }

    /* Horizontal pass: every source row of the canvas into inter, a row of
       pad into its last row (every pad row resizes to the same values). */
    for (long y = ylo; y < yhi; y++) {
        const unsigned char *srow = src->px + (size_t)(cv.y0 + y) * (size_t)src->w * (size_t)sc;
        double *ir = inter + (size_t)(y - ylo) * tw * (size_t)C;
        for (long x = xlo; x < xhi; x++)
            gan__work_px(srow + (size_t)(cv.x0 + x) * (size_t)sc, sc, p,
                         row + (size_t)(x - xlo) * (size_t)C);
        for (int ox = 0; ox < p->w; ox++) {
            const double *w = ax.weight + (size_t)ox * (size_t)ax.span;
            long at = ax.start[ox] - xlo; /* row's index of weight 0 (< 0 in the pad) */
            for (int k = 0; k < C; k++) {
                double acc = sx.pad_w[ox] * pad[k];
                for (int j = sx.j0[ox]; j < sx.j1[ox]; j++)
                    acc += w[j] * row[(size_t)(at + j) * (size_t)C + (size_t)k];
                ir[(size_t)ox * (size_t)C + (size_t)k] = acc;
            }
        }
    }
    pad_row = inter + (size_t)nrows * tw * (size_t)C;
    for (int ox = 0; ox < p->w; ox++) {
        const double *w = ax.weight + (size_t)ox * (size_t)ax.span;
        double sum = 0.0;
        for (int j = 0; j < ax.count[ox]; j++)
            sum += w[j];
        for (int k = 0; k < C; k++)
            pad_row[(size_t)ox * (size_t)C + (size_t)k] = sum * pad[k];
    }

    /* Vertical pass, then back to 8 bits. */
    for (int oy = 0; oy < p->h; oy++) {
        const double *w = ay.weight + (size_t)oy * (size_t)ay.span;
        long first = ay.start[oy] - ylo; /* inter's row of weight 0 (< 0 in the pad) */
        unsigned char *d = dst + (size_t)oy * tw * (size_t)C;
        for (int ox = 0; ox < p->w; ox++) {
            double acc[4];
            for (int k = 0; k < C; k++) {
                size_t at = (size_t)ox * (size_t)C + (size_t)k;
                double s = sy.pad_w[oy] * pad_row[at];
                for (int j = sy.j0[oy]; j < sy.j1[oy]; j++)
                    s += w[j] * inter[(size_t)(first + j) * tw * (size_t)C + at];
                acc[k] = s;
            }
            if (C == 4) {
                unsigned char a = gan__round_u8(acc[3]);
                if (a == 0) {
                    d[0] = p->bg[0];
                    d[1] = p->bg[1];
                    d[2] = p->bg[2];
                } else {
                    for (int k = 0; k < 3; k++)
                        d[k] = gan__round_u8(acc[k] * 255.0 / acc[3]);
                }
                d[3] = a;
            } else {
                for (int k = 0; k < C; k++)
                    d[k] = gan__round_u8(acc[k]);
            }
            d += C;
        }
    }
    st = GAN_OK;
done:
    gan__free(row);
    gan__free(inter);
    gan__axis_split_free(&sx);
    gan__axis_split_free(&sy);
    gan__axis_free(&ax);
    gan__axis_free(&ay);
    return st;
}
