/*
 * report_html.c -- the HTML page of `gan report`: one file, no script, no
 * network (a Content-Security-Policy forbids every fetch), charts as
 * inline SVG and sample grids as data: URIs, so it can be mailed, archived
 * or opened offline.
 *
 * Page: a summary (steps, epochs, time, throughput, last losses, FID and
 * IS), the charts (G and D losses; D(real) and D(fake); FID; IS with its
 * standard deviation) against the training step with the epoch boundaries,
 * the sample grids over the run, a table per epoch (time, images/s, mean
 * losses and outputs, FID, IS), the settings of run.txt, the files and
 * the networks (gan_file_info).
 *
 * Each curve has its own colour, used nowhere else on the page, and each
 * sample grid a frame of one reserved colour (tests/packaging find them
 * in a screenshot).
 */
#include "cli.h"
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COLOR_G "#1f77b4"       /* generator loss */
#define COLOR_D "#d62728"       /* discriminator loss */
#define COLOR_REAL "#2ca02c"    /* D(real) */
#define COLOR_FAKE "#ff7f0e"    /* D(fake) */
#define COLOR_FID "#9467bd"
#define COLOR_IS "#8c564b"
#define COLOR_FRAME "#17becf"   /* the frame of every sample grid */

/* Chart geometry (pixels). */
#define CW 560
#define CH 300
#define ML 60
#define MR 16
#define MT 16
#define MB 40
#define MAX_POINTS 700           /* longer series are averaged into buckets */
#define MAX_PNG (16u << 20)      /* larger sample grids are not embedded */

/* ---- text ---- */

static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char *num(char *buf, size_t cap, double v)
{
    if (!isfinite(v))
        snprintf(buf, cap, "&ndash;");
    else
        snprintf(buf, cap, "%.4g", v);
    return buf;
}

static const char *duration(char *buf, size_t cap, double s)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, cap, "&ndash;");
    else if (s < 60)
        snprintf(buf, cap, "%.1f s", s);
    else if (s < 3600)
        snprintf(buf, cap, "%d min %02d s", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, cap, "%d h %02d min", (int)(s / 3600), (int)fmod(s / 60, 60));
    return buf;
}

static const char *bytes(char *buf, size_t cap, uint64_t n)
{
    if (n < 1024)
        snprintf(buf, cap, "%llu B", (unsigned long long)n);
    else if (n < 1024 * 1024)
        snprintf(buf, cap, "%.1f KiB", (double)n / 1024);
    else
        snprintf(buf, cap, "%.1f MiB", (double)n / (1024 * 1024));
    return buf;
}

/* run.txt's number with float noise (0.000199999995) shown as 0.0002. */
static void setting_value(FILE *f, const char *key, const char *v)
{
    char *end, buf[64];
    double x;
    if (strcmp(key, "data") == 0 && v[0] == '\0') {
        fputs("Fashion-MNIST (" GAN_FASHION_MNIST_DIR ")", f);
        return;
    }
    x = strtod(v, &end);
    if (end != v && *end == '\0' && strchr(v, '.') && isfinite(x)) {
        snprintf(buf, sizeof buf, "%.6g", x);
        esc(f, buf);
        return;
    }
    esc(f, v);
}

static double setting_num(const report_data *d, const char *key, double dflt)
{
    const char *v = report_setting(d, key);
    char *end;
    double x;
    if (!v)
        return dflt;
    x = strtod(v, &end);
    return end != v && isfinite(x) ? x : dflt;
}

/* ---- base64 for data: URIs ---- */

static void base64(FILE *f, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        fputc(tab[v >> 18], f);
        fputc(tab[(v >> 12) & 63], f);
        fputc(tab[(v >> 6) & 63], f);
        fputc(tab[v & 63], f);
    }
    if (n - i == 1) {
        const unsigned v = (unsigned)p[i] << 16;
        fputc(tab[v >> 18], f);
        fputc(tab[(v >> 12) & 63], f);
        fputs("==", f);
    } else if (n - i == 2) {
        const unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        fputc(tab[v >> 18], f);
        fputc(tab[(v >> 12) & 63], f);
        fputc(tab[(v >> 6) & 63], f);
        fputc('=', f);
    }
}

/* ---- SVG charts ---- */

typedef struct series {
    const char *name, *color;
    const double *x, *y, *err; /* err (a +- band as error bars) may be NULL */
    size_t n;
    int markers;               /* a dot per point (few points: FID, IS) */
} series;

static double nice_step(double range, int target)
{
    const double raw = range / target, mag = pow(10, floor(log10(raw))), fr = raw / mag;
    return (fr < 1.5 ? 1 : fr < 3 ? 2 : fr < 7 ? 5 : 10) * mag;
}

/* [lo, hi] widened to whole ticks; *step the tick spacing. */
static void axis(double *lo, double *hi, int target, double *step)
{
    if (!(*hi > *lo)) {
        const double pad = *lo == 0 ? 1 : fabs(*lo) * 0.1;
        *lo -= pad;
        *hi += pad;
    }
    *step = nice_step(*hi - *lo, target);
    *lo = floor(*lo / *step + 1e-9) * *step;
    *hi = ceil(*hi / *step - 1e-9) * *step;
}

/* Centred moving average of the finite values, window w (odd). */
static void smooth(const double *y, size_t n, size_t w, double *out)
{
    double sum = 0;
    size_t cnt = 0, lo = 0, hi = 0; /* the window [lo, hi) */
    for (size_t i = 0; i < n; i++) {
        const size_t want_lo = i >= w / 2 ? i - w / 2 : 0, want_hi = i + w / 2 + 1 < n ? i + w / 2 + 1 : n;
        for (; hi < want_hi; hi++)
            if (isfinite(y[hi]))
                sum += y[hi], cnt++;
        for (; lo < want_lo; lo++)
            if (isfinite(y[lo]))
                sum -= y[lo], cnt--;
        out[i] = isfinite(y[i]) && cnt ? sum / (double)cnt : NAN;
    }
}

typedef struct frame {
    double x0, x1, y0, y1;
} frame;

static double px(const frame *fr, double x)
{
    return ML + (x - fr->x0) / (fr->x1 - fr->x0) * (CW - ML - MR);
}

static double py(const frame *fr, double y)
{
    return MT + (fr->y1 - y) / (fr->y1 - fr->y0) * (CH - MT - MB);
}

/* One polyline (broken at non-finite values), averaged into at most
   MAX_POINTS buckets. */
static void path(FILE *f, const frame *fr, const double *x, const double *y, size_t n,
                 const char *color, double width, double opacity, const char *name)
{
    const size_t per = n > MAX_POINTS ? (n + MAX_POINTS - 1) / MAX_POINTS : 1;
    int pen = 0;
    fprintf(f, "<path class=\"series\" data-name=\"%s\" fill=\"none\" stroke=\"%s\" "
            "stroke-width=\"%.1f\" stroke-opacity=\"%.2f\" stroke-linejoin=\"round\" d=\"",
            name, color, width, opacity);
    for (size_t i = 0; i < n; i += per) {
        double sx = 0, sy = 0;
        size_t c = 0;
        for (size_t j = i; j < i + per && j < n; j++)
            if (isfinite(x[j]) && isfinite(y[j]))
                sx += x[j], sy += y[j], c++;
        if (!c) {
            pen = 0;
            continue;
        }
        fprintf(f, "%s%.1f %.1f", pen ? " L" : " M", px(fr, sx / (double)c), py(fr, sy / (double)c));
        pen = 1;
    }
    fputs("\"/>\n", f);
}

static double last_finite(const double *y, size_t n)
{
    while (n > 0)
        if (isfinite(y[--n]))
            return y[n];
    return NAN;
}

/* A chart of ns series against the step: its legend (HTML) and the SVG.
   fixed01: the y axis is [0, 1].  vlines: epoch boundaries. */
static void chart(FILE *f, const char *id, const char *title, const series *s, size_t ns,
                 int fixed01, const double *vlines, size_t nv)
{
    frame fr = {INFINITY, -INFINITY, INFINITY, -INFINITY};
    double xs, ys;
    char b1[32];
    size_t points = 0;
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++) {
            const double e = s[k].err && isfinite(s[k].err[i]) ? s[k].err[i] : 0;
            if (!isfinite(s[k].x[i]) || !isfinite(s[k].y[i]))
                continue;
            points++;
            fr.x0 = fmin(fr.x0, s[k].x[i]);
            fr.x1 = fmax(fr.x1, s[k].x[i]);
            fr.y0 = fmin(fr.y0, s[k].y[i] - e);
            fr.y1 = fmax(fr.y1, s[k].y[i] + e);
        }
    fprintf(f, "<figure class=\"chart\" id=\"%s\"><figcaption>%s</figcaption>\n", id, title);
    if (points == 0) {
        fputs("<p class=\"none\">no values</p></figure>\n", f);
        return;
    }
    fputs("<div class=\"legend\">", f);
    for (size_t k = 0; k < ns; k++)
        fprintf(f, "<span><i style=\"border-color:%s\"></i>%s &middot; last <b>%s</b></span>", s[k].color,
                s[k].name, num(b1, sizeof b1, last_finite(s[k].y, s[k].n)));
    fputs("</div>\n", f);
    if (fixed01)
        fr.y0 = 0, fr.y1 = 1;
    if (fr.x1 - fr.x0 < 1) /* one point: one step either side */
        fr.x0 -= 1, fr.x1 += 1;
    axis(&fr.x0, &fr.x1, 8, &xs);
    if (xs < 1) /* steps are whole numbers */
        xs = 1, fr.x0 = floor(fr.x0), fr.x1 = ceil(fr.x1);
    axis(&fr.y0, &fr.y1, 6, &ys);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n", CW, CH, CW, CH, title);
    /* grid and tick labels */
    for (double y = fr.y0; y <= fr.y1 + ys * 1e-6; y += ys) {
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%s</text>\n",
                ML, CW - MR, py(&fr, y), py(&fr, y), ML - 6, py(&fr, y) + 4,
                num(b1, sizeof b1, fabs(y) < ys * 1e-6 ? 0 : y));
    }
    for (double x = fr.x0; x <= fr.x1 + xs * 1e-6; x += xs)
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"tick\">%s</text>\n",
                px(&fr, x), CH - MB + 16, num(b1, sizeof b1, x));
    for (size_t i = 0; i < nv; i++)
        if (vlines[i] > fr.x0 && vlines[i] < fr.x1)
            fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#c8c8c8\" "
                    "stroke-dasharray=\"3 3\"/>\n", px(&fr, vlines[i]), px(&fr, vlines[i]), MT,
                    CH - MB);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
            "stroke=\"#9a9a9a\"/>\n", ML, MT, CW - ML - MR, CH - MT - MB);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"axis\">step%s</text>\n",
            (ML + CW - MR) / 2, CH - 6, nv ? " (dashed: end of an epoch)" : "");
    /* the curves: a long noisy one light, with its moving average on top */
    for (size_t k = 0; k < ns; k++) {
        const series *q = &s[k];
        double *sm = q->n >= 60 ? malloc(q->n * sizeof *sm) : NULL;
        if (sm) {
            smooth(q->y, q->n, (q->n / 40) | 1, sm);
            path(f, &fr, q->x, q->y, q->n, q->color, 1, 0.25, "raw");
            path(f, &fr, q->x, sm, q->n, q->color, 2.2, 1, q->name);
            free(sm);
        } else {
            path(f, &fr, q->x, q->y, q->n, q->color, 2.2, 1, q->name);
        }
        for (size_t i = 0; q->err && i < q->n; i++)
            if (isfinite(q->x[i]) && isfinite(q->y[i]) && isfinite(q->err[i]))
                fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                        "stroke-width=\"1.5\"/>\n", px(&fr, q->x[i]), px(&fr, q->x[i]),
                        py(&fr, q->y[i] - q->err[i]), py(&fr, q->y[i] + q->err[i]), q->color);
        for (size_t i = 0; q->markers && i < q->n; i++)
            if (isfinite(q->x[i]) && isfinite(q->y[i]))
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>step "
                        "%.0f: %s</title></circle>\n", px(&fr, q->x[i]), py(&fr, q->y[i]),
                        q->color, q->x[i], num(b1, sizeof b1, q->y[i]));
    }
    fputs("</svg></figure>\n", f);
}

/* ---- per-epoch statistics from log.csv ---- */

typedef struct epoch_row {
    double epoch, last_step, steps, seconds, d_loss, g_loss, d_real, d_fake, fid, is;
} epoch_row;

static double mean_of(const double *v, size_t a, size_t b)
{
    double s = 0;
    size_t c = 0;
    if (!v)
        return NAN;
    for (size_t i = a; i < b; i++)
        if (isfinite(v[i]))
            s += v[i], c++;
    return c ? s / (double)c : NAN;
}

/* Rows of consecutive equal epoch numbers; *n rows written to a malloc'ed
   array, NULL with *n = 0 without a log. */
static epoch_row *epochs_of(const report_data *d, size_t *n)
{
    const report_table *t = &d->log;
    const double *ep = report_col(t, "epoch"), *st = report_col(t, "step"),
                 *sec = report_col(t, "seconds");
    const double *fe = report_col(&d->metrics, "epoch"), *ff = report_col(&d->metrics, "fid"),
                 *fi = report_col(&d->metrics, "is");
    epoch_row *rows;
    size_t k = 0;
    double prev_sec = 0;
    *n = 0;
    if (!d->have_log || !ep || !st || t->n == 0 || (rows = calloc(t->n, sizeof *rows)) == NULL)
        return NULL;
    for (size_t a = 0, b; a < t->n; a = b) {
        epoch_row *r = &rows[k++];
        for (b = a + 1; b < t->n && ep[b] == ep[a]; b++)
            ;
        r->epoch = ep[a];
        r->last_step = st[b - 1];
        r->steps = (double)(b - a);
        r->seconds = sec && isfinite(sec[b - 1]) ? sec[b - 1] - prev_sec : NAN;
        if (sec && isfinite(sec[b - 1]))
            prev_sec = sec[b - 1];
        r->d_loss = mean_of(report_col(t, "d_loss"), a, b);
        r->g_loss = mean_of(report_col(t, "g_loss"), a, b);
        r->d_real = mean_of(report_col(t, "d_real"), a, b);
        r->d_fake = mean_of(report_col(t, "d_fake"), a, b);
        r->fid = r->is = NAN;
        for (size_t i = 0; d->have_metrics && fe && i < d->metrics.n; i++)
            if (fe[i] == r->epoch) {
                r->fid = ff ? ff[i] : NAN;
                r->is = fi ? fi[i] : NAN;
            }
    }
    *n = k;
    return rows;
}

/* ---- sections ---- */

static const char style[] =
    "<style>\n"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:#1d1d1f;background:#fff;margin:0 auto;padding:18px 24px 40px;max-width:1200px}\n"
    "h1{font-size:22px;margin:0 0 2px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid "
    "#ddd;padding-bottom:3px}\n"
    ".sub{color:#555;margin:0 0 14px}.sub code{background:#f3f3f3;padding:1px 4px}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ddd;border-radius:6px;"
    "padding:7px 12px;min-width:118px}.card b{display:block;font-size:18px}.card span{color:#555;"
    "font-size:12px}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:18px 24px}figure{margin:0}figure.chart figcaption"
    "{font-weight:600}figure.chart{width:560px}\n"
    ".legend{font-size:12.5px;color:#333;height:20px}.legend span{margin-right:16px;white-space:"
    "nowrap}.legend i{display:inline-block;width:18px;height:0;border-top:3px solid;margin-right:5px;"
    "vertical-align:middle}\n"
    "svg .tick{font-size:11px;fill:#444}svg .axis{font-size:12px;fill:#333}\n"
    ".grids{display:flex;flex-wrap:wrap;gap:16px}.grids figure{text-align:center;font-size:12.5px;"
    "color:#333}\n"
    "img.grid{display:block;border:3px solid " COLOR_FRAME ";image-rendering:pixelated;"
    "image-rendering:crisp-edges;margin-bottom:3px}\n"
    "table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;border-bottom:1px solid "
    "#e6e6e6;text-align:right}th{background:#f6f6f6}td.k,th.k{text-align:left}\n"
    ".settings{columns:3 300px;column-gap:28px}.settings div{break-inside:avoid;display:flex;"
    "justify-content:space-between;gap:12px;border-bottom:1px solid #eee;padding:1px 0}.settings span"
    "{color:#555}\n"
    "pre{background:#f6f6f6;padding:10px;overflow:auto;font-size:12px}.none{color:#777}\n"
    "</style>\n";

static void card(FILE *f, const char *label, const char *value)
{
    fprintf(f, "<div class=\"card\"><span>%s</span><b>%s</b></div>\n", label, value);
}

static void summary(FILE *f, const report_data *d, const epoch_row *rows, size_t nrows)
{
    char b[64];
    const double batch = setting_num(d, "batch", NAN), critic = setting_num(d, "n_critic", 1);
    const double *sec = report_col(&d->log, "seconds");
    const double seconds = sec ? last_finite(sec, d->log.n) : NAN;
    const double steps = nrows ? rows[nrows - 1].last_step : 0;
    const double images = steps * batch * critic;
    const char *preset = report_setting(d, "preset");
    fputs("<div class=\"cards\">\n", f);
    fputs("<div class=\"card\"><span>preset</span><b>", f);
    esc(f, preset ? preset : "?");
    fputs("</b></div>\n", f);
    snprintf(b, sizeof b, "%.0f", steps);
    card(f, "steps", b);
    snprintf(b, sizeof b, "%.0f", nrows ? rows[nrows - 1].epoch : 0);
    card(f, "epochs", b);
    snprintf(b, sizeof b, isfinite(images) ? "%.0f" : "&ndash;", images);
    card(f, "images seen", b);
    card(f, "training time", duration(b, sizeof b, seconds));
    snprintf(b, sizeof b, isfinite(images / seconds) && seconds > 0 ? "%.0f img/s" : "&ndash;",
             images / seconds);
    card(f, "throughput", b);
    if (nrows) {
        card(f, "D loss (last epoch)", num(b, sizeof b, rows[nrows - 1].d_loss));
        card(f, "G loss (last epoch)", num(b, sizeof b, rows[nrows - 1].g_loss));
    }
    if (d->have_metrics && d->metrics.n) {
        const double *fid = report_col(&d->metrics, "fid"), *is = report_col(&d->metrics, "is");
        const double *st = report_col(&d->metrics, "step");
        size_t best = 0;
        for (size_t i = 0; fid && i < d->metrics.n; i++)
            if (isfinite(fid[i]) && (!isfinite(fid[best]) || fid[i] < fid[best]))
                best = i;
        if (fid) {
            card(f, "FID (last)", num(b, sizeof b, last_finite(fid, d->metrics.n)));
            char label[64];
            snprintf(label, sizeof label, "best FID (step %.0f)", st ? st[best] : NAN);
            card(f, label, num(b, sizeof b, fid[best]));
        }
        if (is)
            card(f, "IS (last)", num(b, sizeof b, last_finite(is, d->metrics.n)));
    }
    fputs("</div>\n", f);
}

static void charts(FILE *f, const report_data *d, const epoch_row *rows, size_t nrows)
{
    const report_table *t = &d->log, *m = &d->metrics;
    const double *st = report_col(t, "step");
    double *vl = NULL;
    size_t nv = 0;
    fputs("<h2>Training curves</h2>\n<div class=\"charts\">\n", f);
    if (nrows > 1 && nrows <= 60 && (vl = malloc(nrows * sizeof *vl)) != NULL)
        for (size_t i = 0; i + 1 < nrows; i++)
            vl[nv++] = rows[i].last_step;
    if (d->have_log && st) {
        const series loss[] = {
            {"D loss", COLOR_D, st, report_col(t, "d_loss"), NULL, t->n, 0},
            {"G loss", COLOR_G, st, report_col(t, "g_loss"), NULL, t->n, 0}};
        const series outs[] = {
            {"D(real)", COLOR_REAL, st, report_col(t, "d_real"), NULL, t->n, 0},
            {"D(fake)", COLOR_FAKE, st, report_col(t, "d_fake"), NULL, t->n, 0}};
        if (loss[0].y && loss[1].y)
            chart(f, "losses", "Losses", loss, 2, 0, vl, nv);
        if (outs[0].y && outs[1].y)
            chart(f, "d-outputs", "Discriminator outputs on real and generated images", outs, 2,
                  0, vl, nv);
    } else {
        fputs("<p class=\"none\">No log.csv in this directory.</p>\n", f);
    }
    if (d->have_metrics && m->n) {
        const double *ms = report_col(m, "step");
        const series fid[] = {{"FID", COLOR_FID, ms, report_col(m, "fid"), NULL, m->n, 1}};
        const series is[] = {
            {"IS", COLOR_IS, ms, report_col(m, "is"), report_col(m, "is_std"), m->n, 1}};
        const double *ns = report_col(m, "samples");
        char title[160] = "FID (lower is better)";
        if (ns && isfinite(ns[0]))
            snprintf(title, sizeof title, "FID (lower is better; %.0f generated images each)",
                     ns[0]);
        if (fid[0].y)
            chart(f, "fid", title, fid, 1, 0, vl, nv);
        if (is[0].y)
            chart(f, "is", "Inception Score (higher is better; bars: &plusmn; std)",
                  is, 1, 0, vl, nv);
    }
    fputs("</div>\n", f);
    if (!(d->have_metrics && m->n))
        fputs("<p class=\"none\">No FID or Inception Score measured: train with "
              "<code>--fid-every N</code> to follow them (metrics.csv).</p>\n", f);
    free(vl);
}

/* PNG width and height from the IHDR chunk; 0 if not a PNG. */
static int png_size(const unsigned char *p, size_t n, unsigned *w, unsigned *h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n < 24 || memcmp(p, sig, 8) != 0 || memcmp(p + 12, "IHDR", 4) != 0)
        return 0;
    *w = (unsigned)p[16] << 24 | (unsigned)p[17] << 16 | (unsigned)p[18] << 8 | p[19];
    *h = (unsigned)p[20] << 24 | (unsigned)p[21] << 16 | (unsigned)p[22] << 8 | p[23];
    return *w > 0 && *h > 0;
}

static int grids(FILE *f, const report_data *d, char *err, size_t err_cap)
{
    size_t shown = d->ngrids < REPORT_MAX_GRIDS ? d->ngrids : REPORT_MAX_GRIDS;
    fputs("<h2>Samples</h2>\n", f);
    if (!d->ngrids) {
        fputs("<p class=\"none\">No sample grids (samples/*.png).</p>\n", f);
        return 0;
    }
    fprintf(f, "<p class=\"sub\">The same latent vectors (run.txt's sample_seed) at each point "
            "of the run%s.</p>\n<div class=\"grids\">\n",
            shown < d->ngrids ? "; evenly spaced grids of the run's many" : "");
    for (size_t k = 0; k < shown; k++) {
        /* evenly spaced, first and last included */
        const size_t i = shown > 1 ? k * (d->ngrids - 1) / (shown - 1) : d->ngrids - 1;
        const report_file *g = &d->grids[i];
        char path[RUN_PATH_MAX_REPORT];
        unsigned char *buf = NULL;
        size_t n = 0;
        unsigned w = 0, h = 0, scale;
        FILE *in;
        if (cli_path(path, sizeof path, "%s/samples/%s", d->dir, g->name) != 0 ||
            g->size > MAX_PNG || (in = fopen(path, "rb")) == NULL)
            continue;
        if ((buf = malloc(g->size ? g->size : 1)) == NULL) {
            fclose(in);
            snprintf(err, err_cap, "out of memory reading %s", path);
            return -1;
        }
        n = fread(buf, 1, g->size, in);
        fclose(in);
        if (n != g->size || !png_size(buf, n, &w, &h)) {
            free(buf);
            continue;
        }
        scale = (w > h ? w : h) <= 160 ? 2 : 1;
        fprintf(f, "<figure><img class=\"grid\" width=\"%u\" height=\"%u\" alt=\"", w * scale,
                h * scale);
        esc(f, g->name);
        fputs("\" src=\"data:image/png;base64,", f);
        base64(f, buf, n);
        fputs("\"><figcaption>", f);
        esc(f, g->name);
        if (g->step)
            fprintf(f, " &middot; step %llu", (unsigned long long)g->step);
        fputs("</figcaption></figure>\n", f);
        free(buf);
    }
    fputs("</div>\n", f);
    return 0;
}

static void epochs_table(FILE *f, const report_data *d, const epoch_row *rows, size_t nrows)
{
    const double batch = setting_num(d, "batch", NAN), critic = setting_num(d, "n_critic", 1);
    char b[10][40];
    fputs("<h2>Epochs and timings</h2>\n", f);
    if (!nrows) {
        fputs("<p class=\"none\">No log.csv rows.</p>\n", f);
        return;
    }
    fputs("<table><tr><th>epoch</th><th>last step</th><th>time</th><th>img/s</th>"
          "<th>D loss</th><th>G loss</th><th>D(real)</th><th>D(fake)</th><th>FID</th>"
          "<th>IS</th></tr>\n", f);
    for (size_t i = 0; i < nrows; i++) {
        const epoch_row *r = &rows[i];
        const double rate = r->steps * batch * critic / r->seconds;
        snprintf(b[0], sizeof b[0], r->seconds > 0 && isfinite(rate) ? "%.0f" : "&ndash;", rate);
        fprintf(f, "<tr><td>%.0f</td><td>%.0f</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", r->epoch, r->last_step,
                duration(b[1], sizeof b[1], r->seconds), b[0], num(b[2], 40, r->d_loss),
                num(b[3], 40, r->g_loss), num(b[4], 40, r->d_real), num(b[5], 40, r->d_fake),
                num(b[6], 40, r->fid), num(b[7], 40, r->is));
    }
    fputs("</table>\n<p class=\"sub\">Time: wall-clock time of the epoch as log.csv's seconds "
          "column counts it (with the sample grids, checkpoints and FID measurements of its "
          "end); img/s: the images the discriminator saw per second.</p>\n", f);
}

static void settings(FILE *f, const report_data *d)
{
    fputs("<h2>Settings (run.txt)</h2>\n<div class=\"settings\">\n", f);
    for (size_t i = 0; i < d->nsettings; i++) {
        fputs("<div><span>", f);
        esc(f, d->settings[i][0]);
        fputs("</span><b>", f);
        setting_value(f, d->settings[i][0], d->settings[i][1]);
        fputs("</b></div>\n", f);
    }
    fputs("</div>\n", f);
}

static void files(FILE *f, const report_data *d)
{
    char b[32];
    fputs("<h2>Files</h2>\n<table><tr><th class=\"k\">file</th><th>size</th></tr>\n", f);
    for (size_t i = 0; i < d->nckpts; i++) {
        const report_file *c = &d->ckpts[i];
        const int top = strcmp(c->name, "checkpoint.gan") == 0 || strcmp(c->name, "generator.gan") == 0;
        fprintf(f, "<tr><td class=\"k\">%s", top ? "" : "checkpoints/");
        esc(f, c->name);
        fprintf(f, "</td><td>%s</td></tr>\n", bytes(b, sizeof b, c->size));
    }
    fprintf(f, "<tr><td class=\"k\">samples/*.png</td><td>%zu grid%s</td></tr>\n</table>\n",
            d->ngrids, d->ngrids == 1 ? "" : "s");
    if (d->networks) {
        fprintf(f, "<details><summary>Networks, optimizers and loss (<code>gan info %s</code>)"
                "</summary>\n<pre>", d->networks_file);
        esc(f, d->networks);
        fputs("</pre></details>\n", f);
    }
}

int report_write_html(FILE *f, const report_data *d, char *err, size_t err_cap)
{
    size_t nrows = 0;
    epoch_row *rows = epochs_of(d, &nrows);
    int rc;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "img-src data:; style-src 'unsafe-inline'\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    esc(f, d->dir);
    fputs(" &middot; libgan training report</title>\n", f);
    fputs(style, f);
    fputs("</head><body>\n<h1>Training report: ", f);
    esc(f, d->dir);
    fprintf(f, "</h1>\n<p class=\"sub\">written by <code>gan report</code> (libgan %s) from "
            "run.txt, log.csv%s, samples/ and the checkpoints; continue the run with "
            "<code>gan train --resume ", gan_version(), d->have_metrics ? ", metrics.csv" : "");
    esc(f, d->dir);
    fputs("</code></p>\n", f);
    summary(f, d, rows, nrows);
    charts(f, d, rows, nrows);
    rc = grids(f, d, err, err_cap);
    if (rc == 0) {
        epochs_table(f, d, rows, nrows);
        settings(f, d);
        files(f, d);
        fputs("</body></html>\n", f);
    }
    free(rows);
    return rc;
}
