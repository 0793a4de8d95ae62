/*
 * cmd_export.c -- `gan export SOURCE --out FILE [--format gan|onnx|c]`: the
 * network of a checkpoint (the generator, or the discriminator) as what a
 * game or tool embeds: a model file without optimizer state (gan), an ONNX
 * model for other runtimes (onnx), or C source holding the model file as a
 * const byte array, compiled into a program (c; docs/embedding.md).
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const CMD = "export";

static const char usage[] =
    "Usage: gan export SOURCE --out FILE [--format gan|onnx|c] [--discriminator]\n"
    "\n"
    "Write the generator of a training checkpoint (a file, or a gan train output\n"
    "directory: its checkpoint.gan) for embedding.  With --format onnx or c the\n"
    "SOURCE may also be a model file (gan export's or gan_model_save's).\n"
    "\n"
    "  -o, --out FILE         what to write (required); with --format c, NAME:\n"
    "                         NAME.c and NAME.h (a trailing .c or .h is dropped)\n"
    "  -f, --format FORMAT    gan: a model file for gan_model_load() and gan sample\n"
    "                         (the default); onnx: an ONNX model (opset 13, NHWC\n"
    "                         \"latent\"/\"labels\" in, \"image\" out) for onnxruntime\n"
    "                         and other engines; c: the model file as a C array\n"
    "                         `const unsigned char NAME[]` and `const size_t\n"
    "                         NAME_size` for gan_model_load_mem()\n"
    "      --discriminator    export the discriminator instead\n"
    "  -h, --help             this help\n";

enum { FMT_GAN, FMT_ONNX, FMT_C };

/* Replace path with data atomically: a temporary beside it, fsync, rename. */
static int write_atomic(const char *path, const void *data, size_t len)
{
    char tmp[4200];
    FILE *f;
    int ok;
    if (cli_path(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) != 0)
        return cli_error(CMD, "%s: path too long", path);
    if (!(f = fopen(tmp, "wb")))
        return cli_error(CMD, "%s: %s", tmp, strerror(errno));
    ok = fwrite(data, 1, len, f) == len;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return cli_error(CMD, "%s: %s", path, strerror(e));
    }
    return 0;
}

/* A growing text buffer for the generated source. */
typedef struct text {
    char *p;
    size_t len, cap;
    int failed;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        char *p;
        while (cap < t->len + n + 1)
            cap *= 2;
        if (!(p = realloc(t->p, cap))) {
            t->failed = 1;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void putf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(text *t, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf)
        t->failed = 1;
    else
        put(t, buf, (size_t)n);
}

/* NAME.c and NAME.h holding the model file bytes; the identifier is
   NAME's file name with every other character than [A-Za-z0-9_] an
   underscore (and one before a leading digit). */
static int write_c(const char *out, const char *source, const void *bytes, size_t len)
{
    char base[4096], id[256], guard[300], path[4200];
    const char *slash;
    size_t n = strlen(out), k = 0;
    text c = {0}, h = {0};
    const unsigned char *b = bytes;
    int rc;
    if (n > 2 && (strcmp(out + n - 2, ".c") == 0 || strcmp(out + n - 2, ".h") == 0))
        n -= 2;
    if (n == 0 || n >= sizeof base)
        return cli_usage_error(CMD, "--out NAME: give a file name without .c/.h");
    memcpy(base, out, n);
    base[n] = '\0';
    slash = strrchr(base, '/');
    slash = slash ? slash + 1 : base;
    if (!*slash)
        return cli_usage_error(CMD, "--out %s: a directory, not a NAME", out);
    if (isdigit((unsigned char)*slash))
        id[k++] = '_';
    for (const char *s = slash; *s && k < sizeof id - 1; s++)
        id[k++] = (isalnum((unsigned char)*s) || *s == '_') ? *s : '_';
    id[k] = '\0';
    for (k = 0; id[k]; k++)
        guard[k] = (char)toupper((unsigned char)id[k]);
    snprintf(guard + k, sizeof guard - k, "_H");

    putf(&h, "/* %s.h -- the model file of %s compiled in (gan export --format c).\n", slash,
         source);
    putf(&h, "   gan_model_load_mem(&model, %s, %s_size) loads it. */\n", id, id);
    putf(&h, "#ifndef %s\n#define %s\n\n#include <stddef.h>\n\n", guard, guard);
    putf(&h, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    putf(&h, "extern const unsigned char %s[];\nextern const size_t %s_size;\n\n", id, id);
    putf(&h, "#ifdef __cplusplus\n}\n#endif\n\n#endif /* %s */\n", guard);

    putf(&c, "/* %s.c -- the model file of %s (%zu bytes), generated by gan export\n", slash,
         source, len);
    putf(&c, "   --format c; see %s.h. */\n#include \"%s.h\"\n\n", slash, slash);
    putf(&c, "const size_t %s_size = %zu;\n\n", id, len);
    putf(&c, "const unsigned char %s[%zu] = {\n", id, len ? len : 1);
    for (size_t i = 0; i < len && !c.failed; i += 16) {
        char line[16 * 6 + 8];
        size_t m = 0;
        for (size_t j = i; j < len && j < i + 16; j++)
            m += (size_t)snprintf(line + m, sizeof line - m, "%s0x%02x,", j == i ? "    " : " ",
                                  b[j]);
        line[m++] = '\n';
        put(&c, line, m);
    }
    if (len == 0)
        put(&c, "    0\n", 6);
    put(&c, "};\n", 3);
    if (c.failed || h.failed) {
        free(c.p);
        free(h.p);
        return cli_error(CMD, "out of memory");
    }
    rc = cli_path(path, sizeof path, "%s.h", base) != 0
             ? cli_error(CMD, "%s: path too long", base)
             : write_atomic(path, h.p, h.len);
    if (rc == 0)
        rc = cli_path(path, sizeof path, "%s.c", base) != 0
                 ? cli_error(CMD, "%s: path too long", base)
                 : write_atomic(path, c.p, c.len);
    free(c.p);
    free(h.p);
    if (rc == 0)
        printf("wrote %s.c and %s.h (%s, %zu bytes, as %s[] and %s_size)\n", base, base, source,
               len, id, id);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"discriminator", no_argument, NULL, 'D'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL, *in;
    char path[4096];
    int ch, rc, want_d = 0, fmt = FMT_GAN;
    gan_file_kind kind;
    gan_trainer *t = NULL;
    gan_model *m = NULL, *owned = NULL;
    gan_status st;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":o:f:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        case 'o':
            out = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "gan") == 0)
                fmt = FMT_GAN;
            else if (strcmp(optarg, "onnx") == 0)
                fmt = FMT_ONNX;
            else if (strcmp(optarg, "c") == 0)
                fmt = FMT_C;
            else
                return cli_usage_error(CMD, "--format %s: expected gan, onnx or c", optarg);
            break;
        case 'D':
            want_d = 1;
            break;
        default:
            return cli_option_error(CMD, ch, argv);
        }
    }
    if ((rc = cli_one_operand(CMD, argc, argv, "SOURCE")) != 0)
        return rc;
    if (!out)
        return cli_usage_error(CMD, "--out FILE is required");
    in = argv[optind];
    if (cli_is_dir(in)) {
        if (cli_path(path, sizeof path, "%s/checkpoint.gan", in) != 0)
            return cli_error(CMD, "%s: path too long", in);
        in = path;
    }
    if (!cli_is_file(in))
        return cli_error(CMD, "%s: no such file", in);
    if (gan_file_probe(in, &kind) != GAN_OK)
        return cli_lib_error(CMD, in);
    if (kind == GAN_FILE_CHECKPOINT) {
        if (gan_trainer_load(&t, NULL, in) != GAN_OK)
            return cli_lib_error(CMD, in);
        gan_trainer_models(t, want_d ? NULL : &m, want_d ? &m : NULL, NULL, NULL);
    } else if (fmt == FMT_GAN) {
        return cli_error(CMD, "%s is a model file already, not a training checkpoint", in);
    } else if (want_d) {
        return cli_error(CMD, "%s is a model file (one network): --discriminator needs a "
                         "training checkpoint", in);
    } else {
        if (gan_model_load(&owned, in) != GAN_OK)
            return cli_lib_error(CMD, in);
        m = owned;
    }
    if (fmt == FMT_GAN) {
        st = gan_model_save(m, out);
    } else if (fmt == FMT_ONNX) {
        st = gan_model_export_onnx(m, out);
    } else {
        void *buf = NULL;
        size_t len = 0;
        st = gan_model_save_mem(m, &buf, &len);
        if (st == GAN_OK) {
            rc = write_c(out, in, buf, len);
            gan_free(buf);
            gan_trainer_free(t);
            gan_model_free(owned);
            return rc;
        }
    }
    if (st != GAN_OK) {
        rc = cli_lib_error(CMD, out);
        gan_trainer_free(t);
        gan_model_free(owned);
        return rc;
    }
    gan_trainer_free(t);
    gan_model_free(owned);
    printf("wrote %s (the %s of %s%s)\n", out, want_d ? "discriminator" : "generator", in,
           fmt == FMT_ONNX ? ", as ONNX" : "");
    return CLI_EXIT_OK;
}
