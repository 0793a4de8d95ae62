/*
 * trainer_file.c -- training checkpoints: both models, both optimizers'
 * moments, the trainer's step and noise stream, the generator's EMA and
 * the dataset's shuffle position, so a resumed run continues bit for bit.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "checkpoint/checkpoint.h"

/* ---- optimizers, trainer, dataset position ------------------------------------------ */

static void encode_rng(gan__wbuf *b, const gan__rng *r)
{
    for (int i = 0; i < 4; i++)
        gan__wb_u64(b, r->s[i]);
    gan__wb_u32(b, (uint32_t)r->has_spare);
    gan__wb_f32(b, r->spare);
}

static void decode_rng(gan__rbuf *r, gan__rng *g)
{
    for (int i = 0; i < 4; i++)
        g->s[i] = gan__rb_u64(r);
    const uint32_t has_spare = gan__rb_u32(r);   /* 0 or 1; compared before the cast */
    g->has_spare = has_spare == 1;
    g->spare = gan__rb_f32(r);
    if (r->st == GAN_OK && ((g->s[0] | g->s[1] | g->s[2] | g->s[3]) == 0 || has_spare > 1 ||
                            !isfinite(g->spare)))
        r->st = gan__err(GAN_EFORMAT, "%s: %s section: invalid random generator state", r->name, r->what);
}

static gan_status encode_optimizer(gan__wbuf *file, const gan_optimizer *o, uint32_t slot)
{
    const gan_optimizer_config *c = gan__optimizer_config(o);
    gan__wbuf raw = {0};
    size_t n = 0;
    uint64_t step = 0;
    float *state = NULL;
    gan_status st;
    gan_optimizer_state_size(o, &n);
    if (n && !(state = gan__malloc(n * sizeof(float))))
        return gan__err(GAN_ENOMEM, "out of memory while saving an optimizer");
    gan_optimizer_get_state(o, state, n, &step);
    gan__wb_u32(&raw, (uint32_t)c->kind);
    gan__wb_f32(&raw, c->lr);
    gan__wb_f32(&raw, c->beta1);
    gan__wb_f32(&raw, c->beta2);
    gan__wb_f32(&raw, c->eps);
    gan__wb_f32(&raw, c->rho);
    gan__wb_f32(&raw, c->momentum);
    gan__wb_u32(&raw, (uint32_t)c->nesterov);
    gan__wb_f32(&raw, c->weight_decay);
    gan__wb_u64(&raw, step);
    gan__wb_u64(&raw, n);
    gan__wb_floats(&raw, state, n);
    gan__free(state);
    st = gan__put_section(file, GAN__SEC_OPTIM, slot, &raw);
    gan__wb_free(&raw);
    return st;
}


/* The optimizer section: a 52-byte record, then n state floats, n being
   0, n_params or 2 n_params as the record's kind and momentum say.
   check_optimizer decodes the record and checks everything (the declared
   size first, then, streaming: the record as gan_optimizer_create would,
   the state count, finite state, second moments >= 0, the CRC32) without
   allocating; load_optimizer then allocates the state and fills it. */
#define OPT_HEAD 52u

typedef struct opt_check {
    const gan__container *c;
    uint32_t slot;
    size_t n_params, n;        /* n: state floats the declared size holds */
    unsigned char head[OPT_HEAD];
    int have_head;
    size_t v_from;             /* first second-moment index, SIZE_MAX: none */
    gan__opt_rec *o;
} opt_check;

static gan_status opt_decode_head(opt_check *k)
{
    gan__opt_rec *o = k->o;
    gan__rbuf r;
    gan_status st;
    char func[64];
    r.p = k->head;
    r.len = OPT_HEAD;
    r.off = 0;
    r.name = k->c->name;
    r.what = gan__sec_names[GAN__SEC_OPTIM];
    r.st = GAN_OK;
    gan_optimizer_config_init(&o->cfg, sizeof o->cfg);
    o->cfg.kind = (gan_optimizer_kind)gan__rb_u32(&r);
    o->cfg.lr = gan__rb_f32(&r);
    o->cfg.beta1 = gan__rb_f32(&r);
    o->cfg.beta2 = gan__rb_f32(&r);
    o->cfg.eps = gan__rb_f32(&r);
    o->cfg.rho = gan__rb_f32(&r);
    o->cfg.momentum = gan__rb_f32(&r);
    o->cfg.nesterov = (int)gan__rb_u32(&r);
    o->cfg.weight_decay = gan__rb_f32(&r);
    o->step = gan__rb_u64(&r);
    o->n = gan__rb_u64(&r);
    if ((st = gan__rb_end(&r)) != GAN_OK)
        return st;
    snprintf(func, sizeof func, "%s: optimizer %u", k->c->name, k->slot);
    if ((st = gan__optimizer_check_config(&o->cfg, func)) != GAN_OK)
        return GAN_EFORMAT;
    if (o->n != k->n || k->n != gan__optimizer_slots(&o->cfg) * k->n_params)
        return gan__err(GAN_EFORMAT, "%s: optimizer %u (%s) of a model with %zu parameters holds %llu "
                        "state values in a section of %zu (expected %zu)", k->c->name, k->slot,
                        o->cfg.kind == GAN_OPTIM_ADAM ? "adam" : o->cfg.kind == GAN_OPTIM_RMSPROP ?
                        "rmsprop" : "sgd", k->n_params, (unsigned long long)o->n, k->n,
                        gan__optimizer_slots(&o->cfg) * k->n_params);
    /* Adam's v follows m; RMSprop's one array is its mean square. */
    k->v_from = o->cfg.kind == GAN_OPTIM_ADAM ? k->n_params : o->cfg.kind == GAN_OPTIM_RMSPROP ? 0 : SIZE_MAX;
    return GAN_OK;
}

static gan_status opt_chunk(void *ctx, size_t off, const unsigned char *p, size_t n)
{
    opt_check *k = ctx;
    gan_status st;
    for (; n && off < OPT_HEAD; n--)
        k->head[off++] = *p++;
    if (!k->have_head) {
        if (off < OPT_HEAD)
            return GAN_OK;
        k->have_head = 1;
        if ((st = opt_decode_head(k)) != GAN_OK)
            return st;
    }
    if (k->v_from == SIZE_MAX)
        return GAN_OK;
    for (size_t i = 0; i + 4 <= n; i += 4) {
        const size_t idx = (off + i - OPT_HEAD) / 4;
        float v;
        uint32_t u = gan__get_le32(p + i);
        memcpy(&v, &u, sizeof v);
        if (idx >= k->v_from && v < 0.0f)
            return gan__err(GAN_EFORMAT, "%s: optimizer %u: second moment %zu is negative (%g)", k->c->name,
                            k->slot, idx - k->v_from, (double)v);
    }
    return GAN_OK;
}

static gan_status check_optimizer(const gan__container *c, uint32_t slot, size_t n_params, gan__opt_rec *o)
{
    const gan__section *s = gan__find_section(c, GAN__SEC_OPTIM, slot);
    opt_check k;
    gan_status st;
    memset(o, 0, sizeof *o);
    if (!s)
        return gan__err(GAN_EFORMAT, "%s: the optimizer section%s is missing", c->name,
                        slot ? " of the discriminator" : "");
    memset(&k, 0, sizeof k);
    k.c = c;
    k.slot = slot;
    k.n_params = n_params;
    k.o = o;
    k.n = s->raw_len >= OPT_HEAD ? (s->raw_len - OPT_HEAD) / 4 : 0;
    if (s->raw_len < OPT_HEAD || (s->raw_len - OPT_HEAD) % 4 != 0 ||
        (k.n != 0 && k.n != n_params && k.n != 2 * n_params))
        return gan__err(GAN_EFORMAT, "%s: optimizer %u section has %zu bytes; the model's %zu parameters "
                        "need %u + 4 x 0, %zu or %zu", c->name, slot, s->raw_len, n_params, OPT_HEAD,
                        n_params, 2 * n_params);
    if ((st = gan__verify_section_with(c, s, OPT_HEAD, opt_chunk, &k)) != GAN_OK)
        return st;
    if (!k.have_head)   /* cannot happen: the section verified at >= OPT_HEAD bytes */
        return gan__err(GAN_EFORMAT, "%s: optimizer %u: no record", c->name, slot);
    return GAN_OK;
}

static gan_status load_optimizer(const gan__container *c, uint32_t slot, gan__opt_rec *o)
{
    unsigned char head[OPT_HEAD];
    const gan__section *s = gan__find_section(c, GAN__SEC_OPTIM, slot);
    gan_status st;
    if (!s || s->raw_len != OPT_HEAD + o->n * 4)
        return gan__err(GAN_EFORMAT, "%s: optimizer %u: the section was not checked", c->name, slot);
    if (o->n && !(o->state = gan__malloc((size_t)o->n * sizeof(float))))
        return gan__err(GAN_ENOMEM, "%s: out of memory for optimizer state", c->name);
    if ((st = gan__inflate_split(c, s, head, OPT_HEAD, (unsigned char *)o->state)) != GAN_OK) {
        gan__free(o->state);
        o->state = NULL;
        return st;
    }
    gan__floats_from_le(o->state, (size_t)o->n);
    return GAN_OK;
}

/* The lazy R1 record's first word ("LZR1" little-endian). */
#define GAN__LAZY_R1_TAG 0x31525A4Cu

/* The auxiliary class loss record's first word ("ACLS" little-endian). */
#define GAN__CLASS_LOSS_TAG 0x534C4341u

/* The next u32 without consuming it; 0 when fewer than 4 bytes remain. */
static uint32_t peek_u32(const gan__rbuf *r)
{
    if (r->len - r->off < 4)
        return 0;
    return (uint32_t)r->p[r->off] | (uint32_t)r->p[r->off + 1] << 8 |
           (uint32_t)r->p[r->off + 2] << 16 | (uint32_t)r->p[r->off + 3] << 24;
}

static gan_status encode_trainer(gan__wbuf *file, const gan_trainer *t, const gan_model *g, const gan_model *d)
{
    const gan_loss_config *lc = gan__loss_config(gan__trainer_loss(t));
    gan__trainer_state ts;
    gan__wbuf raw = {0};
    gan_status st;
    gan__trainer_get_state(t, &ts);
    gan__wb_u32(&raw, (uint32_t)ts.n_critic);
    gan__wb_u64(&raw, ts.seed);
    gan__wb_u64(&raw, ts.step);
    gan__wb_u64(&raw, ts.epoch);
    encode_rng(&raw, &ts.rng);
    encode_rng(&raw, &g->rng);
    encode_rng(&raw, &d->rng);
    gan__wb_u32(&raw, (uint32_t)lc->kind);
    gan__wb_u32(&raw, (uint32_t)lc->generator_minimax);
    gan__wb_f32(&raw, lc->real_label);
    gan__wb_f32(&raw, lc->clip);
    gan__wb_u32(&raw, (uint32_t)lc->feature_layer);
    gan__wb_f32(&raw, lc->gradient_penalty);
    gan__wb_f32(&raw, lc->r1_gamma);
    gan__wb_f32(&raw, ts.ema_decay);
    if (ts.augment) {
        /* The augmentation record, only when augmenting: files of runs
           without it keep their 1.0 bytes. */
        uint64_t sum_bits;
        memcpy(&sum_bits, &ts.ada_sum, sizeof sum_bits);
        gan__wb_u32(&raw, ts.augment);
        gan__wb_f32(&raw, ts.augment_p);
        gan__wb_f32(&raw, ts.ada_target);
        gan__wb_u32(&raw, (uint32_t)ts.ada_interval);
        gan__wb_f32(&raw, ts.ada_speed);
        gan__wb_f32(&raw, ts.aug_p);
        gan__wb_f32(&raw, ts.ada_rt);
        gan__wb_u64(&raw, sum_bits);
        gan__wb_u64(&raw, ts.ada_count);
        gan__wb_u64(&raw, ts.ada_steps);
    }
    if (ts.r1_every > 1) {
        /* The lazy R1 record, only when lazy: a tag no augmentation record
           starts with (augment has 3 known bits), then r1_every. */
        gan__wb_u32(&raw, GAN__LAZY_R1_TAG);
        gan__wb_u32(&raw, (uint32_t)ts.r1_every);
    }
    if (lc->class_weight > 0.0f) {
        /* The auxiliary class loss record, only when on: another tag. */
        gan__wb_u32(&raw, GAN__CLASS_LOSS_TAG);
        gan__wb_f32(&raw, lc->class_weight);
    }
    st = gan__put_section(file, GAN__SEC_TRAINER, 0, &raw);
    if (st == GAN_OK && ts.ema_decay > 0.0f) {
        size_t n;
        const float *ema = gan__trainer_ema(t, &n);
        raw.len = 0;
        gan__wb_floats(&raw, ema, n);
        st = gan__put_section(file, GAN__SEC_EMA, 0, &raw);
    }
    gan__wb_free(&raw);
    return st;
}


static gan_status decode_trainer(const gan__container *c, gan__trainer_rec *t)
{
    unsigned char *raw = NULL;
    gan__rbuf r;
    gan_status st;
    memset(t, 0, sizeof *t);
    if ((st = gan__open_section(c, GAN__SEC_TRAINER, 0, &raw, &r)) != GAN_OK)
        return st;
    t->ts.n_critic = (int)gan__rb_u32(&r);
    t->ts.seed = gan__rb_u64(&r);
    t->ts.step = gan__rb_u64(&r);
    t->ts.epoch = gan__rb_u64(&r);
    decode_rng(&r, &t->ts.rng);
    decode_rng(&r, &t->g_rng);
    decode_rng(&r, &t->d_rng);
    gan_loss_config_init(&t->loss, sizeof t->loss);
    t->loss.kind = (gan_loss_kind)gan__rb_u32(&r);
    t->loss.generator_minimax = (int)gan__rb_u32(&r);
    t->loss.real_label = gan__rb_f32(&r);
    t->loss.clip = gan__rb_f32(&r);
    t->loss.feature_layer = gan__rb_i32(&r);
    t->loss.gradient_penalty = gan__rb_f32(&r);
    t->loss.r1_gamma = gan__rb_f32(&r);
    t->ts.ema_decay = gan__rb_f32(&r);
    t->ts.augment_p = 1.0f;   /* the defaults of a file without augmentation */
    t->ts.ada_interval = 4;
    t->ts.ada_speed = 100000.0f;
    t->ts.aug_p = 1.0f;
    t->ts.r1_every = 1;
    if (r.st == GAN_OK && r.off < r.len && peek_u32(&r) != GAN__LAZY_R1_TAG &&
        peek_u32(&r) != GAN__CLASS_LOSS_TAG) {
        uint64_t sum_bits;
        t->ts.augment = gan__rb_u32(&r);
        t->ts.augment_p = gan__rb_f32(&r);
        t->ts.ada_target = gan__rb_f32(&r);
        t->ts.ada_interval = (int)gan__rb_u32(&r);
        t->ts.ada_speed = gan__rb_f32(&r);
        t->ts.aug_p = gan__rb_f32(&r);
        t->ts.ada_rt = gan__rb_f32(&r);
        sum_bits = gan__rb_u64(&r);
        memcpy(&t->ts.ada_sum, &sum_bits, sizeof sum_bits);
        t->ts.ada_count = gan__rb_u64(&r);
        t->ts.ada_steps = gan__rb_u64(&r);
        if (r.st == GAN_OK &&
            (t->ts.augment == 0 || !(t->ts.aug_p >= 0.0f && t->ts.aug_p <= 1.0f) ||
             !isfinite(t->ts.ada_sum) || fabs(t->ts.ada_sum) > (double)t->ts.ada_count ||
             t->ts.ada_steps >= (uint64_t)(t->ts.ada_interval > 0 ? t->ts.ada_interval : 1) ||
             !(t->ts.ada_rt >= -1.0f && t->ts.ada_rt <= 1.0f)))
            r.st = gan__err(GAN_EFORMAT, "%s: trainer: augmentation record out of range "
                            "(augment %u, p %g, r_t %g, sum %g over %llu images, %llu steps)",
                            c->name, t->ts.augment, (double)t->ts.aug_p, (double)t->ts.ada_rt,
                            t->ts.ada_sum, (unsigned long long)t->ts.ada_count,
                            (unsigned long long)t->ts.ada_steps);
    }
    if (r.st == GAN_OK && r.off < r.len && peek_u32(&r) == GAN__LAZY_R1_TAG) {
        (void)gan__rb_u32(&r);
        t->ts.r1_every = (int)gan__rb_u32(&r);
        if (r.st == GAN_OK && (t->ts.r1_every < 2 || t->ts.r1_every > 1000000))
            r.st = gan__err(GAN_EFORMAT, "%s: trainer: lazy R1 record with r1_every %d, expected "
                            "2..1000000", c->name, t->ts.r1_every);
    }
    if (r.st == GAN_OK && r.off < r.len && peek_u32(&r) == GAN__CLASS_LOSS_TAG) {
        (void)gan__rb_u32(&r);
        t->loss.class_weight = gan__rb_f32(&r);
        if (r.st == GAN_OK && !(t->loss.class_weight > 0.0f && isfinite(t->loss.class_weight)))
            r.st = gan__err(GAN_EFORMAT, "%s: trainer: class loss record with weight %g, "
                            "expected a finite value > 0", c->name,
                            (double)t->loss.class_weight);
    }
    st = gan__rb_end(&r);
    if (st == GAN_OK && !(t->ts.ema_decay >= 0.0f && t->ts.ema_decay < 1.0f))
        st = gan__err(GAN_EFORMAT, "%s: trainer: ema_decay %g out of [0, 1)", c->name,
                      (double)t->ts.ema_decay);
    gan__free(raw);
    if (st == GAN_OK && (t->ts.n_critic < 1 || t->ts.n_critic > 1000))
        st = gan__err(GAN_EFORMAT, "%s: trainer: n_critic %d out of range", c->name, t->ts.n_critic);
    /* Checked here, not only when the loss is rebuilt, so that gan_file_info
       refuses what gan_trainer_load refuses. */
    if (st == GAN_OK && gan_loss_kind_name(t->loss.kind) == NULL)
        st = gan__err(GAN_EFORMAT, "%s: trainer: loss kind %u is unknown (expected 1..5)", c->name,
                      (unsigned)t->loss.kind);
    return st;
}

static gan_status encode_dataset(gan__wbuf *file, const gan_dataset *ds)
{
    gan__wbuf raw = {0};
    gan_status st;
    gan__wb_u64(&raw, ds->cfg.batch_size);
    gan__wb_u32(&raw, (uint32_t)ds->cfg.shuffle);
    gan__wb_u32(&raw, (uint32_t)ds->cfg.drop_remainder);
    gan__wb_u64(&raw, ds->cfg.seed);
    gan__wb_u64(&raw, ds->n);
    gan__wb_u64(&raw, ds->epoch);
    gan__wb_u64(&raw, ds->pos);
    st = gan__put_section(file, GAN__SEC_DATASET, 0, &raw);
    gan__wb_free(&raw);
    return st;
}


static gan_status decode_dataset(const gan__container *c, gan__dataset_rec *d)
{
    unsigned char *raw = NULL;
    gan__rbuf r;
    gan_status st;
    memset(d, 0, sizeof *d);
    if (!gan__find_section(c, GAN__SEC_DATASET, 0))
        return GAN_OK;
    if ((st = gan__open_section(c, GAN__SEC_DATASET, 0, &raw, &r)) != GAN_OK)
        return st;
    gan_batch_config_init(&d->cfg, sizeof d->cfg);
    d->cfg.batch_size = (size_t)gan__rb_u64(&r);
    d->cfg.shuffle = (int)gan__rb_u32(&r);
    d->cfg.drop_remainder = (int)gan__rb_u32(&r);
    d->cfg.seed = gan__rb_u64(&r);
    d->n = gan__rb_u64(&r);
    d->epoch = gan__rb_u64(&r);
    d->pos = gan__rb_u64(&r);
    st = gan__rb_end(&r);
    gan__free(raw);
    if (st == GAN_OK && (d->cfg.batch_size < 1 || d->cfg.batch_size > GAN__MAX_BATCH || d->pos > d->n))
        st = gan__err(GAN_EFORMAT, "%s: dataset position: batch %zu, position %llu of %llu is invalid",
                      c->name, d->cfg.batch_size, (unsigned long long)d->pos, (unsigned long long)d->n);
    d->present = st == GAN_OK;
    return st;
}

/* Check a dataset against a saved position (before anything changes). */
static gan_status check_dataset(const char *name, const gan__dataset_rec *d, const gan_dataset *ds,
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

static void apply_dataset(const gan__dataset_rec *d, gan_dataset *ds)
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
    gan__wbuf file = {0};
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
    gan__put_header(&file, GAN_FILE_CHECKPOINT,
                    gan__model_sections(g) + gan__model_sections(d) + 3 + (ds ? 1 : 0) +
                        (gan__trainer_ema(t, NULL) ? 1 : 0),
               gan__model_flags(g) | gan__model_flags(d));
    if ((st = gan__encode_model(&file, g, 0)) == GAN_OK && (st = gan__encode_model(&file, d, 1)) == GAN_OK &&
        (st = encode_optimizer(&file, go, 0)) == GAN_OK && (st = encode_optimizer(&file, dopt, 1)) == GAN_OK &&
        (st = encode_trainer(&file, t, g, d)) == GAN_OK && ds)
        st = encode_dataset(&file, ds);
    if (st != GAN_OK) {
        gan__wb_free(&file);
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

void gan__ckpt_free(gan__ckpt *k)
{
    gan_model_free(k->g);
    gan_model_free(k->d);
    gan__free(k->og.state);
    gan__free(k->od.state);
    gan__free(k->ema);
    memset(k, 0, sizeof *k);
}

/* The EMA section: present exactly when ema_decay > 0, one float per
   generator parameter, all finite: checked without allocating, then
   loaded. */
static gan_status check_ema(const gan__container *c, const gan__ckpt *k)
{
    const gan__section *s = gan__find_section(c, GAN__SEC_EMA, 0);
    if ((s != NULL) != (k->tr.ts.ema_decay > 0.0f))
        return gan__err(GAN_EFORMAT, "%s: ema_decay %g %s a generator EMA section", c->name,
                        (double)k->tr.ts.ema_decay, s ? "but" : "without");
    if (!s)
        return GAN_OK;
    if (s->raw_len != k->g->n_params * 4)
        return gan__err(GAN_EFORMAT, "%s: generator EMA section has %zu bytes, the generator needs %zu",
                        c->name, s->raw_len, k->g->n_params * 4);
    return gan__verify_section(c, s, 0);
}

static gan_status load_ema(const gan__container *c, gan__ckpt *k)
{
    const gan__section *s = gan__find_section(c, GAN__SEC_EMA, 0);
    gan_status st;
    if (!s)
        return GAN_OK;
    if (!(k->ema = gan__malloc(k->g->n_params * sizeof(float) + 1)))
        return gan__err(GAN_ENOMEM, "%s: out of memory for the generator EMA", c->name);
    if ((st = gan__inflate_split(c, s, NULL, 0, (unsigned char *)k->ema)) == GAN_OK)
        gan__floats_from_le(k->ema, k->g->n_params);
    return st;
}

/* What ckpt_build will ask of the optimizers, the loss and the trainer
   (gan_optimizer_create, gan_loss_create, gan_trainer_create), asked here
   of the records and the layer counts, before any arena. */
static gan_status check_training(const gan__container *c, const gan__ckpt *k)
{
    gan_trainer_config tc;
    char func[64];
    int feat;
    gan_status st;
    snprintf(func, sizeof func, "%s: trainer", c->name);
    gan_trainer_config_init(&tc, sizeof tc);
    tc.n_critic = k->tr.ts.n_critic;
    tc.seed = k->tr.ts.seed;
    tc.ema_decay = k->tr.ts.ema_decay;
    if ((st = gan__loss_check_config(&k->tr.loss, func)) != GAN_OK ||
        (st = gan__trainer_check(k->g, k->d, &k->tr.loss, &tc, func, &feat)) != GAN_OK)
        return st == GAN_EINVAL || st == GAN_ESHAPE || st == GAN_ESTATE ? GAN_EFORMAT : st;
    return GAN_OK;
}

/* Every float section's declared size against the architectures, before
   anything is inflated or allocated. */
static gan_status check_declared_sizes(const gan__container *c, const gan_model *g, const gan_model *d)
{
    for (uint32_t i = 0; i < c->n; i++) {
        const gan__section *s = &c->sec[i];
        const gan_model *m = s->slot ? d : g;
        size_t want = SIZE_MAX;
        if (s->type == GAN__SEC_PARAMS || (s->type == GAN__SEC_EMA && s->slot == 0))
            want = m->n_params * 4;
        else if (s->type == GAN__SEC_STATE)
            want = m->n_state * 4;
        else if (s->type == GAN__SEC_OPTIM) {
            if (s->raw_len == OPT_HEAD + 8 * m->n_params || s->raw_len == OPT_HEAD + 4 * m->n_params)
                continue;
            want = OPT_HEAD;
        }
        if (want != SIZE_MAX && s->raw_len != want)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section%s declares %zu bytes, the "
                            "architecture needs %zu", c->name, s->offset + 8, gan__sec_names[s->type],
                            s->slot ? " of the discriminator" : "", s->raw_len, want);
    }
    return GAN_OK;
}

gan_status gan__ckpt_decode(const unsigned char *buf, size_t len, const char *name, gan__ckpt *k)
{
    gan__container c;
    gan_status st;
    memset(k, 0, sizeof *k);
    if ((st = gan__parse_container(buf, len, name, &c)) != GAN_OK)
        return st;
    if (c.kind != GAN_FILE_CHECKPOINT)
        return gan__err(GAN_EFORMAT, "%s: a model file, not a training checkpoint (load it with "
                        "gan_model_load)", name);
    /* Both architectures first (counts only), then every float section's
       declared size against them, then the small trainer and dataset
       records (at most 1 MiB each), then every float section streamed and
       checked (size, CRC32, finite values, the layers' state checks, the
       optimizer records and second moments), then what building the
       trainer will check, and only then any arena: a file that fails any
       check allocates nothing large. */
    if ((st = gan__load_model_arch(&c, 0, &k->g)) == GAN_OK &&
        (st = gan__load_model_arch(&c, 1, &k->d)) == GAN_OK &&
        (st = check_declared_sizes(&c, k->g, k->d)) == GAN_OK &&
        (st = decode_trainer(&c, &k->tr)) == GAN_OK && (st = decode_dataset(&c, &k->ds)) == GAN_OK &&
        (st = gan__check_model_weights(&c, 0, k->g)) == GAN_OK &&
        (st = gan__check_model_weights(&c, 1, k->d)) == GAN_OK &&
        (st = check_optimizer(&c, 0, k->g->n_params, &k->og)) == GAN_OK &&
        (st = check_optimizer(&c, 1, k->d->n_params, &k->od)) == GAN_OK &&
        (st = check_ema(&c, k)) == GAN_OK && (st = check_training(&c, k)) == GAN_OK &&
        (st = gan__load_model_weights(&c, 0, &k->g)) == GAN_OK &&
        (st = gan__load_model_weights(&c, 1, &k->d)) == GAN_OK &&
        (st = load_optimizer(&c, 0, &k->og)) == GAN_OK && (st = load_optimizer(&c, 1, &k->od)) == GAN_OK)
        st = load_ema(&c, k);
    if (st != GAN_OK)
        gan__ckpt_free(k);
    return st;
}

/* Make the live handles of a loaded checkpoint.  On error all are freed. */
static gan_status ckpt_build(gan__ckpt *k, const char *name, gan_dataset *ds, gan_trainer **out)
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
    tc.augment = k->tr.ts.augment;
    tc.augment_p = k->tr.ts.augment_p;
    tc.ada_target = k->tr.ts.ada_target;
    tc.ada_interval = k->tr.ts.ada_interval;
    tc.ada_speed = k->tr.ts.ada_speed;
    tc.r1_every = k->tr.ts.r1_every;
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
    gan__ckpt k;
    gan_status st;
    if ((st = gan__ckpt_decode(buf, len, name, &k)) != GAN_OK)
        return st;
    st = ckpt_build(&k, name, ds, out);
    gan__ckpt_free(&k);
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

static gan_status same_optimizer(const gan_optimizer *o, const gan__opt_rec *r, const char *name, const char *which)
{
    size_t n;
    gan_optimizer_state_size(o, &n);
    if (gan__optimizer_config(o)->kind != r->cfg.kind || n != r->n)
        return gan__err(GAN_ESHAPE, "%s: the %s optimizer is of another kind or size than the "
                        "checkpoint's", name, which);
    return GAN_OK;
}

/* gan_trainer_restore[_mem] from the file's bytes; path names them. */
static gan_status trainer_restore_buf(gan_trainer *t, gan_dataset *ds, const unsigned char *buf,
                                      size_t len, const char *path)
{
    gan__ckpt k;
    gan_model *g, *d;
    gan_optimizer *go, *dopt;
    gan_status st;
    if ((st = gan_trainer_models(t, &g, &d, &go, &dopt)) != GAN_OK)
        return st;
    if ((st = gan__ckpt_decode(buf, len, path, &k)) != GAN_OK)
        return st;
    /* Validate everything, then apply what cannot fail. */
    if ((st = same_arch(g, k.g, path, "generator")) != GAN_OK ||
        (st = same_arch(d, k.d, path, "discriminator")) != GAN_OK ||
        (st = same_optimizer(go, &k.og, path, "generator")) != GAN_OK ||
        (st = same_optimizer(dopt, &k.od, path, "discriminator")) != GAN_OK ||
        (st = check_dataset(path, &k.ds, ds, d)) != GAN_OK) {
        gan__ckpt_free(&k);
        return st;
    }
    if ((gan__trainer_ema(t, NULL) != NULL) != (k.ema != NULL)) {
        st = gan__err(GAN_ESHAPE, "%s: the checkpoint %s a generator EMA, this trainer %s", path,
                      k.ema ? "has" : "has no", k.ema ? "keeps none" : "keeps one");
        gan__ckpt_free(&k);
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
    gan__ckpt_free(&k);
    return GAN_OK;
}

gan_status gan_trainer_restore(gan_trainer *t, gan_dataset *ds, const char *path)
{
    gan__blob b;
    gan_status st;
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    GAN__CHECK_ARG(path != NULL);
    if ((st = gan__read_file(path, &b)) != GAN_OK)
        return st;
    st = trainer_restore_buf(t, ds, b.data, b.len, path);
    gan__blob_free(&b);
    return st;
}

gan_status gan_trainer_restore_mem(gan_trainer *t, gan_dataset *ds, const void *buf, size_t len)
{
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    GAN__CHECK_ARG(buf != NULL || len == 0);
    return trainer_restore_buf(t, ds, buf, len, GAN__MEM_NAME);
}

