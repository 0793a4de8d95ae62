/*
 * check_hostile_props.c -- properties of the readers over generated
 * hostile files with VALID checksums (issue 18):
 *
 *   - a rejected file never makes the reader's peak memory exceed
 *     16 MiB + 8x the file's size (measured with a counting allocator
 *     through gan_set_allocator: live bytes and their peak; libgan's
 *     aligned allocations go through it too; zlib's own ~40 KiB inflate
 *     state does not),
 *   - nor take more than a second (of CPU time: cpu_s),
 *   - and building an N-layer model, or loading one, is linear in N
 *     (bytes allocated for 1000 vs 8000 layers, and 500 vs 4000 for
 *     files: not wall time, so a loaded machine cannot make it flake).
 *
 * The files: thousands of tiny layers with a wrong parameter section,
 * huge input dimensions, parameter/state/optimizer/EMA sections whose
 * declared raw size lies (within and beyond what deflate can produce),
 * sections of the right declared size whose stream is short, long, has a
 * wrong CRC or holds NaNs, and random byte changes to the architecture
 * record, all re-encoded with fresh CRCs; a checkpoint with a 25 MiB
 * generator that loads, then made wrong in one value that only a late
 * check sees (test_late_rejections: no arena before every check); and FID
 * statistics of many dimensions made wrong in one way each.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "checkpoint/checkpoint.h"
#include "gan.h"

/* ---- the counting allocator ------------------------------------------------- */

static size_t g_live, g_peak, g_total;
#define HDR 16

static void *c_malloc(size_t n, void *u)
{
    (void)u;
    unsigned char *p = malloc(n + HDR);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    g_live += n;
    g_total += n;
    if (g_live > g_peak)
        g_peak = g_live;
    return p + HDR;
}

static void c_free(void *q, void *u)
{
    (void)u;
    if (!q)
        return;
    unsigned char *p = (unsigned char *)q - HDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    g_live -= n;
    free(p);
}

static void *c_realloc(void *q, size_t n, void *u)
{
    if (!q)
        return c_malloc(n, u);
    unsigned char *p = (unsigned char *)q - HDR, *np;
    size_t old;
    memcpy(&old, p, sizeof old);
    np = realloc(p, n + HDR);
    if (!np)
        return NULL;
    memcpy(np, &n, sizeof n);
    g_live = g_live - old + n;
    g_total += n;
    if (g_live > g_peak)
        g_peak = g_live;
    return np + HDR;
}

static void counting_on(void)
{
    gan_allocator a = {c_malloc, c_realloc, c_free, NULL};
    ck_assert_int_eq(gan_set_allocator(&a), GAN_OK);
}

static void counting_off(void)
{
    ck_assert_int_eq(gan_set_allocator(NULL), GAN_OK);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The time limit is on the process's CPU time (all its threads), so that
   a loaded machine (other jobs on the same cores) cannot make it flake;
   on an idle machine the two are the same for these single-threaded
   readers. */
/* The limit is the one second in optimised builds (NDEBUG: the
   release ctest); unoptimised sanitizer builds run the same files for
   memory errors, several times slower, against ten (measured under
   ASan: 0.57 s CPU for the slowest late rejection). */
#ifdef NDEBUG
#define TIME_LIMIT 1.0
#else
#define TIME_LIMIT 10.0
#endif

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- building files --------------------------------------------------------- */

typedef struct {
    uint32_t type, slot;
    unsigned char *raw;
    size_t len;
} sec;

typedef struct {
    uint32_t kind, flags, n;
    sec s[16];
} file;

static void file_from(const void *buf, size_t len, file *f)
{
    gan__container c;
    ck_assert_int_eq(gan__parse_container(buf, len, "t", &c), GAN_OK);
    memset(f, 0, sizeof *f);
    f->kind = c.kind;
    f->flags = c.flags;
    f->n = c.n;
    ck_assert_uint_le(c.n, 16);
    for (uint32_t i = 0; i < c.n; i++) {
        f->s[i].type = c.sec[i].type;
        f->s[i].slot = c.sec[i].slot;
        f->s[i].len = c.sec[i].raw_len;
        ck_assert_int_eq(gan__inflate_section(&c, &c.sec[i], &f->s[i].raw), GAN_OK);
    }
}

static void file_free(file *f)
{
    for (uint32_t i = 0; i < f->n; i++)
        gan_free(f->s[i].raw);
}

static sec *find(file *f, uint32_t type, uint32_t slot)
{
    for (uint32_t i = 0; i < f->n; i++)
        if (f->s[i].type == type && f->s[i].slot == slot)
            return &f->s[i];
    ck_abort_msg("no section %u/%u", (unsigned)type, (unsigned)slot);
    return NULL;
}

static void set_raw(sec *s, const void *p, size_t len)
{
    gan_free(s->raw);
    s->raw = gan__malloc(len ? len : 1);
    ck_assert_ptr_nonnull(s->raw);
    if (len)
        memcpy(s->raw, p, len);
    s->len = len;
}

/* Lies applied after encoding section `lie_index`: its declared raw size
   and/or CRC replaced (with the header CRC recomputed). */
typedef struct {
    int index;             /* -1: none */
    int set_raw;
    uint64_t raw;
    int flip_crc;
} lie;

static unsigned char *encode(const file *f, lie l, size_t *out_len)
{
    gan__wbuf w = {0};
    gan__put_header(&w, f->kind, f->n, f->flags);
    for (uint32_t i = 0; i < f->n; i++) {
        size_t at = w.len;
        gan__wbuf r = {.p = f->s[i].raw, .len = f->s[i].len, .cap = f->s[i].len};
        ck_assert_int_eq(gan__put_section(&w, f->s[i].type, f->s[i].slot, &r), GAN_OK);
        if ((int)i == l.index) {
            unsigned char *h = w.p + at;
            if (l.set_raw) {
                gan__put_le32(h + 8, (uint32_t)l.raw);
                gan__put_le32(h + 12, (uint32_t)(l.raw >> 32));
            }
            if (l.flip_crc)
                h[24] ^= 1;
            gan__put_le32(h + 28, (uint32_t)crc32(0L, h, 28));
        }
    }
    ck_assert(!w.failed);
    *out_len = w.len;
    return w.p;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* ---- the property ----------------------------------------------------------- */

static size_t n_checked, n_rejected, worst_peak, worst_file;
static double worst_time;

/* Every reader on buf: rejected files stay within the memory and time
   budget.  Must be called with the counting allocator on and no handles. */
static void check_readers(const unsigned char *buf, size_t len)
{
    const size_t budget = ((size_t)16 << 20) + 8 * len;
    for (int reader = 0; reader < 3; reader++) {
        size_t base = g_live;
        gan_status st;
        g_peak = g_live;
        double t0 = cpu_s();
        if (reader == 0) {
            gan_model *m = NULL;
            st = gan_model_load_mem(&m, buf, len);
            gan_model_free(m);
        } else if (reader == 1) {
            gan_trainer *t = NULL;
            st = gan_trainer_load_mem(&t, NULL, buf, len);
            if (st == GAN_OK)
                gan_trainer_free(t);   /* owns its models */
        } else {
            gan__ckpt k;
            st = gan__ckpt_decode(buf, len, "t", &k);
            if (st == GAN_OK)
                gan__ckpt_free(&k);
        }
        double dt = cpu_s() - t0;
        size_t peak = g_peak - base;
        n_checked++;
        if (st == GAN_OK)
            continue;
        n_rejected++;
        if (peak > worst_peak) {
            worst_peak = peak;
            worst_file = len;
        }
        if (dt > worst_time)
            worst_time = dt;
        ck_assert_msg(peak <= budget, "reader %d: rejected %zu-byte file (%s) peaked at %zu bytes, "
                      "budget %zu", reader, len, gan_last_error(), peak, budget);
        ck_assert_msg(dt < TIME_LIMIT, "reader %d: rejected %zu-byte file took %.3f s CPU (%s)", reader, len, dt,
                      gan_last_error());
    }
}

static void report(const char *what)
{
    fprintf(stderr, "%s: %zu reader runs, %zu rejected; worst rejected peak %zu bytes (file %zu "
            "bytes); slowest rejection %.4f s CPU\n", what, n_checked, n_rejected, worst_peak, worst_file,
            worst_time);
}

static void check_file(const file *f, lie l)
{
    size_t len;
    unsigned char *buf = encode(f, l, &len);
    check_readers(buf, len);
    gan_free(buf);
}

static const lie NO_LIE = {-1, 0, 0, 0};

static int sec_index(const file *f, uint32_t type, uint32_t slot)
{
    for (uint32_t i = 0; i < f->n; i++)
        if (f->s[i].type == type && f->s[i].slot == slot)
            return (int)i;
    return -1;
}

/* A dense G (in -> units) and D (units -> 1) checkpoint, Adam, with EMA. */
static void *make_checkpoint(int in, int units, int n_layers, size_t *len)
{
    gan_model *g = NULL, *d = NULL;
    gan_optimizer *go = NULL, *dop = NULL;
    gan_loss *loss = NULL;
    gan_trainer *t = NULL;
    gan_dense_config dc;
    gan_optimizer_config oc;
    gan_loss_config lc;
    gan_trainer_config tc;
    void *buf = NULL;
    ck_assert_int_eq(gan_model_create(&g, 1, &in), GAN_OK);
    ck_assert_int_eq(gan_model_create(&d, 1, &units), GAN_OK);
    ck_assert_int_eq(GAN_DENSE_CONFIG_INIT(&dc), GAN_OK);
    dc.units = units;
    for (int i = 0; i < n_layers; i++)
        ck_assert_int_eq(gan_model_add_dense(g, &dc), GAN_OK);
    dc.units = 1;
    ck_assert_int_eq(gan_model_add_dense(d, &dc), GAN_OK);
    ck_assert_int_eq(GAN_OPTIMIZER_CONFIG_INIT(&oc), GAN_OK);
    ck_assert_int_eq(gan_optimizer_create(&go, g, &oc), GAN_OK);
    ck_assert_int_eq(gan_optimizer_create(&dop, d, &oc), GAN_OK);
    ck_assert_int_eq(GAN_LOSS_CONFIG_INIT(&lc), GAN_OK);
    ck_assert_int_eq(gan_loss_create(&loss, &lc), GAN_OK);
    ck_assert_int_eq(GAN_TRAINER_CONFIG_INIT(&tc), GAN_OK);
    tc.ema_decay = 0.99f;
    ck_assert_int_eq(gan_trainer_create(&t, g, d, go, dop, loss, &tc), GAN_OK);
    ck_assert_int_eq(gan_trainer_save_mem(t, NULL, &buf, len), GAN_OK);
    gan_trainer_free(t);
    gan_loss_free(loss);
    gan_optimizer_free(go);
    gan_optimizer_free(dop);
    gan_model_free(g);
    gan_model_free(d);
    return buf;
}

/* Section lies: every float section of a checkpoint, declared sizes and
   streams that do not match the architecture or themselves. */
START_TEST(test_section_lies)
{
    size_t len;
    void *buf = make_checkpoint(4, 3, 2, &len);
    file f;
    file_from(buf, len, &f);
    gan_free(buf);
    counting_on();
    check_file(&f, NO_LIE);  /* the valid file loads */
    static const uint32_t types[] = {GAN__SEC_ARCH, GAN__SEC_PARAMS, GAN__SEC_STATE, GAN__SEC_OPTIM,
                                     GAN__SEC_TRAINER, GAN__SEC_DATASET, GAN__SEC_EMA};
    for (size_t ti = 0; ti < sizeof types / sizeof *types; ti++)
        for (uint32_t slot = 0; slot < 2; slot++) {
            int i = sec_index(&f, types[ti], slot);
            if (i < 0)
                continue;
            static const uint64_t raws[] = {0, 1, 3, 4, 1000, (uint64_t)1 << 20, (uint64_t)1 << 28,
                                            (uint64_t)1 << 30, ((uint64_t)1 << 30) + 4, (uint64_t)1 << 40,
                                            UINT64_MAX};
            for (size_t k = 0; k < sizeof raws / sizeof *raws; k++) {
                lie l = {i, 1, raws[k], 0};
                check_file(&f, l);
                l.raw = f.s[i].len + raws[k] % 64 + 1;
                check_file(&f, l);
            }
            lie l = {i, 0, 0, 1};
            check_file(&f, l);
            /* The right size, the wrong stream: a huge zero (or NaN) body
               whose CRC is wrong, after a declared size the arch agrees
               with only for the generator's parameters below. */
        }
    report("section_lies");
    counting_off();
    file_free(&f);
}
END_TEST

/* Huge architectures over small or lying sections: the declared counts
   must be refused before any arena exists. */
START_TEST(test_huge_dims)
{
    size_t len;
    void *buf = make_checkpoint(4, 3, 1, &len);
    file f;
    file_from(buf, len, &f);
    gan_free(buf);
    counting_on();
    for (int it = 0; it < 300; it++) {
        file h = f;
        sec *a = find(&h, GAN__SEC_ARCH, (uint32_t)(it & 1));
        unsigned char *orig = a->raw, *raw = gan__malloc(a->len);
        memcpy(raw, orig, a->len);
        a->raw = raw;
        /* The input dims (words 1..3) and the dense units (the last word). */
        uint32_t big = (uint32_t)(1u << (8 + rnd() % 23)) + (uint32_t)(rnd() % 7);
        if (it % 3 == 0)
            gan__put_le32(raw + 4, big);
        else if (it % 3 == 1)
            gan__put_le32(raw + a->len - 4 * (1 + rnd() % 3), big);
        else {
            gan__put_le32(raw + 4, big);
            gan__put_le32(raw + a->len - 4, (uint32_t)(rnd() % 100000 + 1));
        }
        lie l = NO_LIE;
        if (it % 4 == 3) {   /* and a parameter section declaring what the arch wants */
            l.index = sec_index(&h, GAN__SEC_PARAMS, (uint32_t)(it & 1));
            l.set_raw = 1;
            l.raw = (uint64_t)big * 4 * (1 + rnd() % 64);
        }
        check_file(&h, l);
        a->raw = orig;
        gan_free(raw);
    }
    report("huge_dims");
    counting_off();
    file_free(&f);
}
END_TEST

/* The right declared size for a huge architecture, the stream made to
   inflate to it, but rejected: wrong CRC, NaNs, one byte short, one long.
   The reader must verify before allocating the arenas. */
START_TEST(test_huge_valid_streams)
{
    size_t len;
    void *buf = make_checkpoint(4, 3, 1, &len);
    file f;
    file_from(buf, len, &f);
    gan_free(buf);
    /* G: input 4 -> dense 3; make the input 2^20 wide: 3 * 2^20 + 3
       parameters, 12 MiB of floats. */
    sec *a = find(&f, GAN__SEC_ARCH, 0);
    const uint32_t in = 1u << 20;
    gan__put_le32(a->raw + 4, in);
    const size_t n = (size_t)in * 3 + 3, bytes = n * 4;
    unsigned char *body = calloc(bytes + 4, 1);
    ck_assert_ptr_nonnull(body);
    sec *p = find(&f, GAN__SEC_PARAMS, 0);
    for (int variant = 0; variant < 6; variant++) {
        size_t blen = bytes;
        lie l = NO_LIE;
        memset(body, 0, bytes + 4);
        if (variant == 0) {       /* wrong CRC */
            l.index = sec_index(&f, GAN__SEC_PARAMS, 0);
            l.flip_crc = 1;
        } else if (variant == 1) { /* a NaN at the end */
            memset(body + bytes - 4, 0xff, 4);
        } else if (variant == 2) { /* one float short, declared as full */
            blen = bytes - 4;
            l.index = sec_index(&f, GAN__SEC_PARAMS, 0);
            l.set_raw = 1;
            l.raw = bytes;
        } else if (variant == 3) { /* one float long, declared as full */
            blen = bytes + 4;
            l.index = sec_index(&f, GAN__SEC_PARAMS, 0);
            l.set_raw = 1;
            l.raw = bytes;
        } else if (variant == 4) { /* all NaN */
            memset(body, 0xff, bytes);
        }   /* 5: a valid generator; the optimizer and EMA sections do not
               fit it: a checkpoint reader refuses before any arena */
        set_raw(p, body, blen);
        size_t flen;
        unsigned char *fb = encode(&f, l, &flen);
        counting_on();
        check_readers(fb, flen);
        counting_off();
        gan_free(fb);
    }
    report("huge_valid_streams");
    free(body);
    file_free(&f);
}
END_TEST

/* Random changes to the architecture record, with fresh CRCs. */
START_TEST(test_arch_mutations)
{
    size_t len;
    void *buf = make_checkpoint(4, 3, 3, &len);
    file f;
    file_from(buf, len, &f);
    gan_free(buf);
    counting_on();
    for (int it = 0; it < 3000; it++) {
        file h = f;
        sec *a = find(&h, GAN__SEC_ARCH, (uint32_t)(rnd() & 1));
        unsigned char *orig = a->raw, *raw = gan__malloc(a->len);
        memcpy(raw, orig, a->len);
        a->raw = raw;
        int edits = 1 + (int)(rnd() % 3);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)(rnd() % a->len);
            switch (rnd() % 4) {
            case 0: raw[at] ^= (unsigned char)(1u << (rnd() % 8)); break;
            case 1: raw[at] = (unsigned char)rnd(); break;
            case 2: if (at + 4 <= a->len) gan__put_le32(raw + at, (uint32_t)rnd()); break;
            default: if (at + 4 <= a->len) gan__put_le32(raw + at, 0xffffffffu >> (rnd() % 32)); break;
            }
        }
        check_file(&h, NO_LIE);
        a->raw = orig;
        gan_free(raw);
    }
    report("arch_mutations");
    counting_off();
    file_free(&f);
}
END_TEST

/* Thousands of tiny layers with a parameter section that does not fit:
   refused quickly and without arenas. */
START_TEST(test_many_layers_rejected)
{
    size_t len;
    void *buf = make_checkpoint(1, 1, 4000, &len);
    file f;
    file_from(buf, len, &f);
    gan_free(buf);
    counting_on();
    for (int v = 0; v < 4; v++) {
        file h = f;
        lie l = NO_LIE;
        l.index = sec_index(&h, v < 2 ? GAN__SEC_PARAMS : GAN__SEC_STATE, 0);
        if (v % 2 == 0) {
            l.flip_crc = 1;
        } else {
            l.set_raw = 1;
            l.raw = h.s[l.index].len + 4;
        }
        check_file(&h, l);
    }
    report("many_layers_rejected");
    counting_off();
    file_free(&f);
}
END_TEST

/* Bytes allocated while building, and loading, N one-unit dense layers. */
static size_t build_bytes(int n, int load)
{
    gan_model *m = NULL;
    gan_dense_config dc;
    const int one = 1;
    void *buf = NULL;
    size_t len = 0, total;
    ck_assert_int_eq(GAN_DENSE_CONFIG_INIT(&dc), GAN_OK);
    dc.units = 1;
    if (load) {
        ck_assert_int_eq(gan_model_create(&m, 1, &one), GAN_OK);
        for (int i = 0; i < n; i++)
            ck_assert_int_eq(gan_model_add_dense(m, &dc), GAN_OK);
        ck_assert_int_eq(gan_model_save_mem(m, &buf, &len), GAN_OK);
        gan_model_free(m);
        m = NULL;
    }
    g_total = 0;
    double t0 = now_s();
    if (load) {
        ck_assert_int_eq(gan_model_load_mem(&m, buf, len), GAN_OK);
    } else {
        ck_assert_int_eq(gan_model_create(&m, 1, &one), GAN_OK);
        for (int i = 0; i < n; i++)
            ck_assert_int_eq(gan_model_add_dense(m, &dc), GAN_OK);
    }
    total = g_total;
    fprintf(stderr, "%s %d layers: %zu bytes allocated, %.3f s\n", load ? "loading" : "building", n,
            total, now_s() - t0);
    gan_model_free(m);
    gan_free(buf);
    return total;
}

START_TEST(test_linear_build)
{
    counting_on();
    size_t a = build_bytes(1000, 0), b = build_bytes(8000, 0);
    size_t la = build_bytes(500, 1), lb = build_bytes(4000, 1);
    counting_off();
    /* Linear: 8x the layers, 8x the bytes (a quadratic build: 64x). */
    ck_assert_msg(b < 16 * a, "building 8000 layers allocated %zu bytes, 1000 layers %zu", b, a);
    ck_assert_msg(lb < 16 * la, "loading 4000 layers allocated %zu bytes, 500 layers %zu", lb, la);
}
END_TEST

/* gan_model_load of a checkpoint checks the sections it does not keep. */
START_TEST(test_model_load_checks_whole_checkpoint)
{
    size_t len;
    void *buf = make_checkpoint(4, 3, 1, &len);
    file f;
    gan_model *m = NULL;
    file_from(buf, len, &f);
    ck_assert_int_eq(gan_model_load_mem(&m, buf, len), GAN_OK);
    gan_model_free(m);
    gan_free(buf);
    for (uint32_t i = 0; i < f.n; i++) {
        lie l = {(int)i, 0, 0, 1};
        size_t blen;
        unsigned char *b = encode(&f, l, &blen);
        m = NULL;
        ck_assert_msg(gan_model_load_mem(&m, b, blen) == GAN_EFORMAT,
                      "a bad CRC in section %u/%u was not noticed", (unsigned)f.s[i].type,
                      (unsigned)f.s[i].slot);
        ck_assert_ptr_null(m);
        ck_assert_ptr_nonnull(strstr(gan_last_error(), "CRC32 mismatch"));
        gan_free(b);
    }
    file_free(&f);
}
END_TEST


/* ---- files refused late: everything valid but one semantic value ------------ */

/* G: in -> dense 3 -> batchnorm, D: dense 1 with spectral normalisation,
   Adam for both, an EMA, a BCE loss. */
static void *make_bn_sn_checkpoint(size_t *len)
{
    gan_model *g = NULL, *d = NULL;
    gan_optimizer *go = NULL, *dop = NULL;
    gan_loss *loss = NULL;
    gan_trainer *t = NULL;
    gan_dense_config dc;
    gan_batchnorm_config bc;
    gan_optimizer_config oc;
    gan_loss_config lc;
    gan_trainer_config tc;
    const int in = 4, units = 3;
    void *buf = NULL;
    ck_assert_int_eq(gan_model_create(&g, 1, &in), GAN_OK);
    ck_assert_int_eq(gan_model_create(&d, 1, &units), GAN_OK);
    ck_assert_int_eq(GAN_DENSE_CONFIG_INIT(&dc), GAN_OK);
    dc.units = units;
    ck_assert_int_eq(gan_model_add_dense(g, &dc), GAN_OK);
    ck_assert_int_eq(GAN_BATCHNORM_CONFIG_INIT(&bc), GAN_OK);
    ck_assert_int_eq(gan_model_add_batchnorm(g, &bc), GAN_OK);
    dc.units = 1;
    ck_assert_int_eq(gan_model_add_dense(d, &dc), GAN_OK);
    ck_assert_int_eq(gan_model_set_spectral_norm(d, 0, 1), GAN_OK);
    ck_assert_int_eq(GAN_OPTIMIZER_CONFIG_INIT(&oc), GAN_OK);
    oc.kind = GAN_OPTIM_ADAM;
    ck_assert_int_eq(gan_optimizer_create(&go, g, &oc), GAN_OK);
    ck_assert_int_eq(gan_optimizer_create(&dop, d, &oc), GAN_OK);
    ck_assert_int_eq(GAN_LOSS_CONFIG_INIT(&lc), GAN_OK);
    lc.kind = GAN_LOSS_BCE;
    ck_assert_int_eq(gan_loss_create(&loss, &lc), GAN_OK);
    ck_assert_int_eq(GAN_TRAINER_CONFIG_INIT(&tc), GAN_OK);
    tc.ema_decay = 0.99f;
    ck_assert_int_eq(gan_trainer_create(&t, g, d, go, dop, loss, &tc), GAN_OK);
    ck_assert_int_eq(gan_trainer_save_mem(t, NULL, &buf, len), GAN_OK);
    gan_trainer_free(t);
    gan_loss_free(loss);
    gan_optimizer_free(go);
    gan_optimizer_free(dop);
    gan_model_free(g);
    gan_model_free(d);
    return buf;
}

static void put_f32(unsigned char *p, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    gan__put_le32(p, u);
}

/* A private copy of section (type, slot) of h, to edit; *owned collects
   it for freeing. */
static unsigned char *edit(file *h, uint32_t type, uint32_t slot, unsigned char **owned)
{
    sec *x = find(h, type, slot);
    unsigned char *p = malloc(x->len ? x->len : 1);
    ck_assert_ptr_nonnull(p);
    memcpy(p, x->raw, x->len);
    x->raw = p;
    *owned = p;
    return p;
}

/*
 * A checkpoint whose generator has 3 x 2^21 + 9 parameters (25 MiB of
 * floats, their Adam moments 50 MiB, the EMA 25 MiB), all zero so the file
 * is ~100 KB, and that loads; then the same file with one value wrong that
 * only a later check sees: the discriminator's parameters (NaN), a
 * batchnorm variance < 0, a spectral normalisation u of zeros, an
 * optimizer record that gan_optimizer_create refuses, an Adam second
 * moment < 0, an optimizer kind whose state count differs, NaN optimizer
 * state or EMA, a loss that gan_loss_create refuses, a feature-matching
 * layer the discriminator lacks, a discriminator input that is not the
 * generator's output.  Each is refused within 16 MiB + 8x its size: the
 * reader allocates no arena (25 MiB) before every check has passed.
 */
START_TEST(test_late_rejections)
{
    size_t len;
    void *buf = make_bn_sn_checkpoint(&len);
    file f;
    file_from(buf, len, &f);
    gan_free(buf);
    const uint32_t in = 1u << 21;
    const size_t gp = (size_t)in * 3 + 3 + 6;   /* dense, batchnorm gamma and beta */
    unsigned char *zero = calloc(3 * gp * 4 + 64, 1);
    ck_assert_ptr_nonnull(zero);
    gan__put_le32(find(&f, GAN__SEC_ARCH, 0)->raw + 4, in);
    set_raw(find(&f, GAN__SEC_PARAMS, 0), zero, gp * 4);
    {   /* Adam: the record, then m and v (zero) */
        sec *o = find(&f, GAN__SEC_OPTIM, 0);
        unsigned char head[52];
        memcpy(head, o->raw, 52);
        gan__put_le32(head + 44, (uint32_t)(2 * gp));
        gan__put_le32(head + 48, 0);
        memcpy(zero, head, 52);
        set_raw(o, zero, 52 + 8 * gp);
        memset(zero, 0, 52);
    }
    set_raw(find(&f, GAN__SEC_EMA, 0), zero, gp * 4);
    {   /* the batchnorm state: moving means 0, variances 1 */
        sec *st = find(&f, GAN__SEC_STATE, 0);
        ck_assert_uint_eq(st->len, 24);
        for (int i = 3; i < 6; i++)
            put_f32(st->raw + 4 * i, 1.0f);
    }
    size_t flen;
    unsigned char *fb = encode(&f, NO_LIE, &flen);
    gan_trainer *t = NULL;
    ck_assert_msg(gan_trainer_load_mem(&t, NULL, fb, flen) == GAN_OK, "the base file does not load: %s",
                  gan_last_error());
    gan_trainer_free(t);
    fprintf(stderr, "late_rejections: base file %zu bytes, generator %zu parameters\n", flen, gp);
    gan_free(fb);

    for (int v = 0; v < 14; v++) {
        file h = f;
        unsigned char *owned[3] = {NULL, NULL, NULL}, *p;
        const char *want;
        switch (v) {
        case 0: p = edit(&h, GAN__SEC_PARAMS, 1, &owned[0]); gan__put_le32(p, 0x7fc00000u);
            want = "NaN"; break;
        case 1: p = edit(&h, GAN__SEC_STATE, 0, &owned[0]); put_f32(p + 16, -1.0f);
            want = "moving variance 1 is negative"; break;
        case 2: p = edit(&h, GAN__SEC_STATE, 1, &owned[0]); memset(p, 0, find(&h, GAN__SEC_STATE, 1)->len);
            want = "all zero"; break;
        case 3: p = edit(&h, GAN__SEC_OPTIM, 0, &owned[0]); put_f32(p + 4, -1.0f);
            want = "learning rate"; break;
        case 4: p = edit(&h, GAN__SEC_OPTIM, 1, &owned[0]); put_f32(p + 8, 2.0f);
            want = "beta1"; break;
        case 5: p = edit(&h, GAN__SEC_OPTIM, 0, &owned[0]); put_f32(p + 52 + 4 * (gp + 7), -1.0f);
            want = "second moment 7 is negative"; break;
        case 6: p = edit(&h, GAN__SEC_OPTIM, 0, &owned[0]); gan__put_le32(p, GAN_OPTIM_SGD);
            want = "state values"; break;
        case 7: p = edit(&h, GAN__SEC_OPTIM, 0, &owned[0]); gan__put_le32(p + 52 + 4 * (2 * gp - 1), 0x7f800000u);
            want = "NaN"; break;
        case 8: p = edit(&h, GAN__SEC_EMA, 0, &owned[0]); gan__put_le32(p + 4 * (gp - 1), 0xff800000u);
            want = "NaN"; break;
        case 9: p = edit(&h, GAN__SEC_TRAINER, 0, &owned[0]); put_f32(p + 160, 0.5f);
            want = "weight clipping"; break;
        case 10: p = edit(&h, GAN__SEC_TRAINER, 0, &owned[0]); put_f32(p + 156, 0.0f);
            want = "real_label"; break;
        case 11: p = edit(&h, GAN__SEC_TRAINER, 0, &owned[0]); gan__put_le32(p + 148, GAN_LOSS_FEATURE_MATCHING);
            want = "feature layer"; break;
        case 12: p = edit(&h, GAN__SEC_TRAINER, 0, &owned[0]); put_f32(p + 172, -1.0f);
            want = "r1_gamma"; break;
        default: {   /* D's input 4 wide, its sections resized to fit it */
            static unsigned char dp[20], dopt[52 + 40];
            p = edit(&h, GAN__SEC_ARCH, 1, &owned[0]);
            gan__put_le32(p + 4, 4);
            memset(dp, 0, sizeof dp);
            find(&h, GAN__SEC_PARAMS, 1)->raw = dp;
            find(&h, GAN__SEC_PARAMS, 1)->len = sizeof dp;
            memset(dopt, 0, sizeof dopt);
            memcpy(dopt, find(&f, GAN__SEC_OPTIM, 1)->raw, 44);
            gan__put_le32(dopt + 44, 10);
            find(&h, GAN__SEC_OPTIM, 1)->raw = dopt;
            find(&h, GAN__SEC_OPTIM, 1)->len = sizeof dopt;
            want = "does not match the discriminator's input";
            break;
        }
        }
        fb = encode(&h, NO_LIE, &flen);
        t = NULL;
        ck_assert_int_ne(gan_trainer_load_mem(&t, NULL, fb, flen), GAN_OK);
        ck_assert_ptr_null(t);
        ck_assert_msg(strstr(gan_last_error(), want) != NULL, "variant %d: '%s' does not say '%s'", v,
                      gan_last_error(), want);
        counting_on();
        const size_t before = n_rejected;
        check_readers(fb, flen);
        counting_off();
        ck_assert_uint_ge(n_rejected, before + 1);   /* the trainer readers refused it */
        gan_free(fb);
        for (int i = 0; i < 3; i++)
            free(owned[i]);
    }
    report("late_rejections");
    free(zero);
    file_free(&f);
}
END_TEST


static void put64(unsigned char *p, uint64_t u)
{
    gan__put_le32(p, (uint32_t)u);
    gan__put_le32(p + 4, (uint32_t)(u >> 32));
}

/* FID statistics with valid CRCs: 34 dimensions from 1 to ~400 (the
   length must match it exactly, so the file is ~8 dim^2 bytes), made
   wrong in one way each -- a non-finite value, a negative variance, an
   asymmetric or indefinite covariance, a reserved field -- and refused
   within 16 MiB + 8x the file's size, in under a second. */
START_TEST(test_fid_stats_hostile)
{
    size_t worst = 0, worst_len = 0, n_refused = 0;
    double slowest = 0.0;
    for (size_t dim = 1; dim <= 400; dim += 1 + dim / 8) {
        gan_fid_stats *st = NULL;
        float *x = malloc(dim * 8 * sizeof *x);
        void *buf = NULL;
        size_t len = 0;
        ck_assert_ptr_nonnull(x);
        for (size_t i = 0; i < dim * 8; i++)
            x[i] = (float)((rnd() % 2001) / 1000.0 - 1.0);
        ck_assert_int_eq(gan_fid_stats_create(&st, dim), GAN_OK);
        ck_assert_int_eq(gan_fid_stats_add(st, x, dim * 8, 8), GAN_OK);
        ck_assert_int_eq(gan_fid_stats_save_mem(st, &buf, &len), GAN_OK);
        gan_fid_stats_free(st);
        free(x);
        unsigned char *p = buf;
        for (int v = 0; v < 6; v++) {
            unsigned char *q = malloc(len);
            ck_assert_ptr_nonnull(q);
            memcpy(q, p, len);
            const size_t cov = 32 + 8 * dim, at = rnd() % dim;
            double val;
            uint64_t u;
            switch (v) {
            case 0: val = NAN; memcpy(&u, &val, 8); put64(q + 32 + 8 * at, u); break;
            case 1: val = -1.0; memcpy(&u, &val, 8); put64(q + cov + 8 * (at * dim + at), u); break;
            case 2: if (dim < 2) { free(q); continue; }
                val = 1e3; memcpy(&u, &val, 8); put64(q + cov + 8 * 1, u); break;  /* (0,1) only */
            case 3: if (dim < 2) { free(q); continue; }
                /* (0,1) and (1,0) both far beyond sqrt(var0 var1): indefinite */
                val = 1e3; memcpy(&u, &val, 8);
                put64(q + cov + 8 * 1, u);
                put64(q + cov + 8 * dim, u);
                break;
            case 4: gan__put_le32(q + 28, 1); break;
            default: val = INFINITY; memcpy(&u, &val, 8); put64(q + cov + 8 * (dim * dim - 1), u); break;
            }
            gan__put_le32(q + len - 4, (uint32_t)crc32(0L, q, (uInt)(len - 4)));
            counting_on();
            const size_t base = g_live;
            g_peak = g_live;
            gan_fid_stats *out = NULL;
            double t0 = cpu_s();
            gan_status r = gan_fid_stats_load_mem(&out, q, len);
            double dt = cpu_s() - t0;
            size_t peak = g_peak - base;
            counting_off();
            ck_assert_msg(r == GAN_EFORMAT, "dim %zu variant %d loaded (%d)", dim, v, (int)r);
            ck_assert_ptr_null(out);
            ck_assert_msg(peak <= ((size_t)16 << 20) + 8 * len, "dim %zu variant %d: peak %zu bytes for a "
                          "%zu-byte file", dim, v, peak, len);
            ck_assert_msg(dt < TIME_LIMIT, "dim %zu variant %d: %.3f s CPU", dim, v, dt);
            if (peak > worst) {
                worst = peak;
                worst_len = len;
            }
            if (dt > slowest)
                slowest = dt;
            n_refused++;
            free(q);
        }
        gan_free(buf);
    }
    fprintf(stderr, "fid_stats_hostile: %zu files refused; worst peak %zu bytes (file %zu bytes); "
            "slowest %.4f s CPU\n", n_refused, worst, worst_len, slowest);
}
END_TEST

/* The layers' state checks run on the state section while it streams
   (64 KiB pieces): a dense layer of 20000 units with spectral
   normalisation (u: 20000 floats) and a batchnorm after it (40000
   floats), 240 KB of state in four pieces.  A u that is zero but for its
   first or last value loads (the "not all zero" check carries across
   pieces); one
   all zero is refused; a negative variance is found in any piece and
   named by its index and layer, as gan_model_set_state would. */
START_TEST(test_state_checks_stream)
{
    gan_model *m = NULL;
    gan_dense_config dc;
    gan_batchnorm_config bc;
    const int one = 1;
    const size_t U = 20000;
    void *buf = NULL;
    size_t len;
    file f;
    ck_assert_int_eq(gan_model_create(&m, 1, &one), GAN_OK);
    ck_assert_int_eq(GAN_DENSE_CONFIG_INIT(&dc), GAN_OK);
    dc.units = (int)U;
    ck_assert_int_eq(gan_model_add_dense(m, &dc), GAN_OK);
    ck_assert_int_eq(gan_model_set_spectral_norm(m, 0, 1), GAN_OK);
    ck_assert_int_eq(GAN_BATCHNORM_CONFIG_INIT(&bc), GAN_OK);
    ck_assert_int_eq(gan_model_add_batchnorm(m, &bc), GAN_OK);
    ck_assert_int_eq(gan_model_save_mem(m, &buf, &len), GAN_OK);
    gan_model_free(m);
    file_from(buf, len, &f);
    gan_free(buf);
    sec *st = find(&f, GAN__SEC_STATE, 0);
    ck_assert_uint_eq(st->len, 4 * 3 * U);
    unsigned char *orig = st->raw;
    static const struct { size_t at; float v; int zero_u; const char *want; } cases[] = {
        {0, 0, 0, NULL},                                   /* as saved */
        {SIZE_MAX, 0, 1, NULL},                            /* u zero but its last value */
        {SIZE_MAX, 0, 3, NULL},                            /* u zero but its first value */
        {SIZE_MAX, 0, 2, "layer 0: the spectral normalisation vector u is all zero"},
        {2 * 20000 + 15000, -1.0f, 0, "layer 1: moving variance 15000 is negative"},
        {2 * 20000, -0.5f, 0, "layer 1: moving variance 0 is negative"},
        {3 * 20000 - 1, -2.0f, 0, "layer 1: moving variance 19999 is negative"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        unsigned char *raw = malloc(st->len);
        ck_assert_ptr_nonnull(raw);
        memcpy(raw, orig, st->len);
        if (cases[c].zero_u) {
            memset(raw, 0, 4 * U);
            if (cases[c].zero_u == 1)
                put_f32(raw + 4 * (U - 1), 0.25f);
            if (cases[c].zero_u == 3)
                put_f32(raw, -0.25f);
        }
        if (cases[c].at != SIZE_MAX && cases[c].v != 0.0f)
            put_f32(raw + 4 * cases[c].at, cases[c].v);
        st->raw = raw;
        size_t flen;
        unsigned char *fb = encode(&f, NO_LIE, &flen);
        gan_model *out = NULL;
        gan_status r = gan_model_load_mem(&out, fb, flen);
        if (cases[c].want == NULL) {
            ck_assert_msg(r == GAN_OK, "case %zu: %s", c, gan_last_error());
            gan_model_free(out);
        } else {
            ck_assert_int_eq(r, GAN_EFORMAT);
            ck_assert_ptr_null(out);
            ck_assert_msg(strstr(gan_last_error(), cases[c].want) != NULL, "case %zu: '%s'", c,
                          gan_last_error());
        }
        gan_free(fb);
        free(raw);
    }
    st->raw = orig;
    file_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hostile_props");
    TCase *tc = tcase_create("props");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_section_lies);
    tcase_add_test(tc, test_huge_dims);
    tcase_add_test(tc, test_huge_valid_streams);
    tcase_add_test(tc, test_arch_mutations);
    tcase_add_test(tc, test_many_layers_rejected);
    tcase_add_test(tc, test_linear_build);
    tcase_add_test(tc, test_model_load_checks_whole_checkpoint);
    tcase_add_test(tc, test_late_rejections);
    tcase_add_test(tc, test_fid_stats_hostile);
    tcase_add_test(tc, test_state_checks_stream);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
