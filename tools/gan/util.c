/* util.c -- error messages, strict number parsing and file helpers. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int vreport(const char *cmd, int code, const char *fmt, va_list ap)
{
    fprintf(stderr, "gan %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    if (code == CLI_EXIT_USAGE)
        fprintf(stderr, "Try 'gan %s --help'.\n", cmd);
    return code;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, CLI_EXIT_USAGE, fmt, ap);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, CLI_EXIT_RUNTIME, fmt, ap);
    va_end(ap);
    return CLI_EXIT_RUNTIME;
}

int cli_lib_error(const char *cmd, const char *what)
{
    return cli_error(cmd, "%s: %s", what, gan_last_error());
}

int cli_parse_u64(const char *cmd, const char *flag, const char *s, uint64_t min, uint64_t max,
                  uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || *s == ' ')
        return cli_usage_error(cmd, "%s: '%s' is not a number", flag, s ? s : "");
    errno = 0;
    v = strtoull(s, &end, 10);
    if (*end != '\0')
        return cli_usage_error(cmd, "%s: '%s' is not a number", flag, s);
    if (errno == ERANGE || v < min || v > max)
        return cli_usage_error(cmd, "%s: %s is out of range %llu..%llu", flag, s,
                               (unsigned long long)min, (unsigned long long)max);
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_float(const char *cmd, const char *flag, const char *s, float min, float max,
                    float *out)
{
    char *end;
    double v;
    if (s == NULL || *s == '\0' || *s == ' ')
        return cli_usage_error(cmd, "%s: '%s' is not a number", flag, s ? s : "");
    errno = 0;
    v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v))
        return cli_usage_error(cmd, "%s: '%s' is not a number", flag, s);
    if (v < min || v > max)
        return cli_usage_error(cmd, "%s: %s is out of range %g..%g", flag, s, (double)min,
                               (double)max);
    *out = (float)v;
    return 0;
}

int cli_parse_num_flag(const char *cmd, const cli_num_flag *flags, size_t n, int opt,
                       const char *value, void *opts)
{
    for (size_t i = 0; i < n; i++) {
        const cli_num_flag *f = &flags[i];
        char *field = (char *)opts + f->offset;
        if (f->opt != opt)
            continue;
        if (f->is_float)
            return cli_parse_float(cmd, f->name, value, f->fmin, f->fmax, (float *)(void *)field);
        return cli_parse_u64(cmd, f->name, value, f->min, f->max, (uint64_t *)(void *)field);
    }
    return -1;
}

int cli_option_error(const char *cmd, int ch, char *const *argv)
{
    if (ch == ':')
        return cli_usage_error(cmd, "%s needs a value", argv[optind - 1]);
    return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

int cli_one_operand(const char *cmd, int argc, char *const *argv, const char *what)
{
    if (optind >= argc)
        return cli_usage_error(cmd, "no %s given", what);
    if (optind + 1 < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
    return 0;
}

int cli_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cli_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int cli_mkdirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    if (!cli_is_dir(buf)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_path(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int cli_write_png(const char *cmd, const char *path, const uint8_t *img, size_t n, int h, int w,
                  int c, int cols)
{
    return cli_write_png_ex(cmd, path, img, n, h, w, c, cols, 2, 1);
}

int cli_write_png_ex(const char *cmd, const char *path, const uint8_t *img, size_t n, int h, int w,
                     int c, int cols, int gap, int scale)
{
    uint8_t *big = NULL;
    gan_status st;
    if (scale > 1) {
        size_t sh = (size_t)h * (size_t)scale, sw = (size_t)w * (size_t)scale, px = (size_t)c;
        if ((big = malloc(n * sh * sw * px)) == NULL)
            return cli_error(cmd, "%s: out of memory for %zu images scaled %dx", path, n, scale);
        for (size_t i = 0; i < n; i++)
            for (size_t y = 0; y < sh; y++)
                for (size_t x = 0; x < sw; x++)
                    memcpy(big + ((i * sh + y) * sw + x) * px,
                           img + ((i * (size_t)h + y / (size_t)scale) * (size_t)w +
                                  x / (size_t)scale) * px, px);
        img = big;
        h *= scale;
        w *= scale;
    }
    st = gan_png_write_grid(path, img, n, h, w, c, cols, gap);
    free(big);
    if (st != GAN_OK)
        return cli_lib_error(cmd, path);
    return 0;
}
