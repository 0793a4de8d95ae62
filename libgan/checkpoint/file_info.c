/*
 * file_info.c -- what a model file or checkpoint holds, for people
 * (gan_file_probe, gan_file_info; `gan info`).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "checkpoint/checkpoint.h"

/* ---- inspection -------------------------------------------------------------------- */

gan_status gan_file_probe(const char *path, gan_file_kind *kind)
{
    unsigned char h[GAN__GANC_HEADER];
    gan__container c;
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
    if ((st = gan__parse_header(h, got, path, &c)) != GAN_OK)
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
    if (m->n_class_names) {   /* "classes: 0 cat, 1 tree" */
        const char *p = m->class_names;
        char num[32];
        sb_add(b, "classes:");
        for (size_t k = 0; k < m->n_class_names; k++, p += strlen(p) + 1) {
            snprintf(num, sizeof num, "%s %zu ", k ? "," : "", k);
            sb_add(b, num);
            sb_add(b, p);
        }
        sb_add(b, "\n");
    }
}

static const char *optim_name(gan_optimizer_kind k)
{
    return k == GAN_OPTIM_ADAM ? "adam" : k == GAN_OPTIM_RMSPROP ? "rmsprop" : "sgd";
}

gan_status gan_file_info(const char *path, char *buf, size_t cap, size_t *needed)
{
    gan__blob blob;
    gan__container c;
    gan_status st;
    sbuf b;
    char line[512];
    GAN__CHECK_ARG(path != NULL);
    if (buf == NULL && cap != 0)
        return gan__err(GAN_EINVAL, "gan_file_info: buf is NULL but cap is %zu", cap);
    if ((st = gan__read_file(path, &blob)) != GAN_OK)
        return st;
    if ((st = gan__parse_container(blob.data, blob.len, path, &c)) != GAN_OK) {
        gan__blob_free(&blob);
        return st;
    }
    b.buf = buf;
    b.cap = cap;
    b.len = 0;
    if (cap)
        buf[0] = '\0';
    snprintf(line, sizeof line, "%s: libgan %s, format version %u, %zu bytes, written by libgan %u.%u.%u\n",
             path, c.kind == GAN_FILE_MODEL ? "model file" : "training checkpoint", GAN__GANC_VERSION, blob.len,
             c.writer_version / 1000000, c.writer_version / 1000 % 1000, c.writer_version % 1000);
    sb_add(&b, line);
    if (c.kind == GAN_FILE_MODEL) {
        gan_model *m = NULL;
        if ((st = gan__load_model_slot(&c, 0, &m)) == GAN_OK)
            sb_model(&b, "\n", m);
        gan_model_free(m);
    } else {
        gan__ckpt k;
        if ((st = gan__ckpt_decode(blob.data, blob.len, path, &k)) == GAN_OK) {
            char cls[48] = "";
            if (k.tr.loss.class_weight > 0.0f)
                snprintf(cls, sizeof cls, " + class loss x %g", (double)k.tr.loss.class_weight);
            snprintf(line, sizeof line, "step %llu, epoch %llu, n_critic %d, noise seed %llu, loss %s%s%s\n",
                     (unsigned long long)k.tr.ts.step, (unsigned long long)k.tr.ts.epoch, k.tr.ts.n_critic,
                     (unsigned long long)k.tr.ts.seed, gan_loss_kind_name(k.tr.loss.kind), cls,
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
            gan__ckpt_free(&k);
        }
    }
    gan__blob_free(&blob);
    if (st == GAN_OK && needed)
        *needed = b.len;
    return st;
}

