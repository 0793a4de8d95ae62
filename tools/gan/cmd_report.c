/*
 * cmd_report.c -- `gan report DIR`: read a gan train output directory
 * (run.txt, log.csv, metrics.csv, samples/ (PNG), checkpoints) and write
 * DIR/report.html with report_html.c.  gan train calls cli_report_write at
 * the end of every run.
 */
#include "cli.h"
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const CMD = "report";

static const char usage[] =
    "Usage: gan report DIR [--out FILE]\n"
    "\n"
    "Write one self-contained HTML page about the gan train output directory\n"
    "DIR: the run's settings (run.txt), the generator and discriminator losses,\n"
    "D(real) and D(fake) over the steps (log.csv), FID and Inception Score\n"
    "(metrics.csv, from --fid-every), the sample grids over the epochs\n"
    "(samples/*.png, embedded), time and throughput per epoch, the\n"
    "checkpoints and the networks.  Charts are inline SVG; the page loads\n"
    "nothing from the network and runs no script.  gan train writes it at the\n"
    "end of every run.\n"
    "\n"
    "  -o, --out FILE   the page to write (default DIR/report.html)\n"
    "  -q, --quiet      do not print the path written\n"
    "  -h, --help       this help\n";

/* ---- run.txt ---- */

static char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static int read_settings(report_data *d, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1200];
    if (!f)
        return errno == ENOENT ? 1 : -1;
    while (fgets(line, sizeof line, f) && d->nsettings < REPORT_MAX_SETTINGS) {
        char *eq = strchr(line, '='), *k, *v;
        if (line[0] == '#' || !eq)
            continue;
        *eq = '\0';
        k = trim(line);
        v = trim(eq + 1);
        snprintf(d->settings[d->nsettings][0], sizeof d->settings[0][0], "%s", k);
        snprintf(d->settings[d->nsettings][1], sizeof d->settings[0][1], "%s", v);
        d->nsettings++;
    }
    fclose(f);
    return 0;
}

const char *report_setting(const report_data *d, const char *key)
{
    for (size_t i = 0; i < d->nsettings; i++)
        if (strcmp(d->settings[i][0], key) == 0)
            return d->settings[i][1];
    return NULL;
}

/* ---- CSV files of numbers ---- */

const double *report_col(const report_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0)
            return t->cols[i];
    return NULL;
}

static void table_free(report_table *t)
{
    for (size_t i = 0; i < t->ncols; i++)
        free(t->cols[i]);
    memset(t, 0, sizeof *t);
}

static int table_grow(report_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 256;
    for (size_t i = 0; i < t->ncols; i++) {
        double *p = realloc(t->cols[i], cap * sizeof *p);
        if (!p)
            return -1;
        t->cols[i] = p;
    }
    t->cap = cap;
    return 0;
}

/* 0, 1 (no such file) or -1 (errno, or EINVAL for a bad header). */
static int read_table(report_table *t, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096], *tok, *save = NULL;
    memset(t, 0, sizeof *t);
    if (!f)
        return errno == ENOENT ? 1 : -1;
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        errno = EINVAL;
        return -1;
    }
    for (tok = strtok_r(line, ",\r\n", &save); tok && t->ncols < REPORT_MAX_COLS;
         tok = strtok_r(NULL, ",\r\n", &save))
        snprintf(t->names[t->ncols++], sizeof t->names[0], "%s", trim(tok));
    while (fgets(line, sizeof line, f)) {
        const char *p = line;
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        if (t->n == t->cap && table_grow(t) != 0) {
            fclose(f);
            table_free(t);
            errno = ENOMEM;
            return -1;
        }
        for (size_t c = 0; c < t->ncols; c++) {
            char *end;
            double v = strtod(p, &end);
            if (end == p)
                v = NAN;
            t->cols[c][t->n] = v;
            p = strchr(p, ',');
            if (!p) {
                for (size_t r = c + 1; r < t->ncols; r++)
                    t->cols[r][t->n] = NAN;
                break;
            }
            p++;
        }
        t->n++;
    }
    fclose(f);
    return 0;
}

/* ---- files ---- */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const report_file *)a)->name, ((const report_file *)b)->name);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Files of dir/sub ending in suffix, sorted by name, appended to *files. */
static int list_files(const char *dir, const char *sub, const char *suffix, report_file **files,
                      size_t *n)
{
    char path[RUN_PATH_MAX_REPORT];
    DIR *dp;
    struct dirent *e;
    size_t first = *n, cap = *n;
    if (cli_path(path, sizeof path, "%s/%s", dir, sub) != 0 || (dp = opendir(path)) == NULL)
        return 0;
    while ((e = readdir(dp)) != NULL) {
        const size_t len = strlen(e->d_name), sl = strlen(suffix);
        char full[RUN_PATH_MAX_REPORT];
        report_file *rf;
        if (len <= sl || len >= sizeof rf->name || strcmp(e->d_name + len - sl, suffix) != 0 ||
            e->d_name[0] == '.')
            continue;
        if (cli_path(full, sizeof full, "%s/%s", path, e->d_name) != 0 || !cli_is_file(full))
            continue;
        if (*n == cap) {
            report_file *p = realloc(*files, (cap ? cap * 2 : 16) * sizeof *p);
            if (!p) {
                closedir(dp);
                return -1;
            }
            *files = p;
            cap = cap ? cap * 2 : 16;
        }
        rf = &(*files)[(*n)++];
        memset(rf, 0, sizeof *rf);
        memcpy(rf->name, e->d_name, len + 1);
        rf->size = file_size(full);
    }
    closedir(dp);
    if (*n > first)
        qsort(*files + first, *n - first, sizeof **files, by_name);
    return 0;
}

/* The step a sample grid shows: step_000020.png -> 20; epoch_003.png -> the
   last step of epoch 3 in log.csv. */
static uint64_t grid_step(const report_data *d, const char *name)
{
    unsigned long long v;
    const double *step = report_col(&d->log, "step"), *epoch = report_col(&d->log, "epoch");
    if (sscanf(name, "step_%llu.png", &v) == 1)
        return (uint64_t)v;
    if (sscanf(name, "epoch_%llu.png", &v) == 1 && step && epoch) {
        double last = 0;
        for (size_t i = 0; i < d->log.n; i++)
            if (epoch[i] == (double)v && step[i] > last)
                last = step[i];
        return (uint64_t)last;
    }
    return 0;
}

static void add_file(report_data *d, const char *name, size_t *cap)
{
    char path[RUN_PATH_MAX_REPORT];
    report_file *rf;
    if (cli_path(path, sizeof path, "%s/%s", d->dir, name) != 0 || !cli_is_file(path))
        return;
    if (d->nckpts == *cap) {
        report_file *p = realloc(d->ckpts, (*cap + 4) * sizeof *p);
        if (!p)
            return;
        d->ckpts = p;
        *cap += 4;
    }
    rf = &d->ckpts[d->nckpts++];
    memset(rf, 0, sizeof *rf);
    snprintf(rf->name, sizeof rf->name, "%s", name);
    rf->size = file_size(path);
}

static void read_networks(report_data *d)
{
    static const char *const names[] = {"checkpoint.gan", "generator.gan"};
    for (size_t i = 0; i < 2 && !d->networks; i++) {
        char path[RUN_PATH_MAX_REPORT];
        size_t need = 0;
        if (cli_path(path, sizeof path, "%s/%s", d->dir, names[i]) != 0 || !cli_is_file(path) ||
            gan_file_info(path, NULL, 0, &need) != GAN_OK)
            continue;
        if ((d->networks = malloc(need + 1)) == NULL)
            return;
        if (gan_file_info(path, d->networks, need + 1, NULL) != GAN_OK) {
            free(d->networks);
            d->networks = NULL;
            continue;
        }
        snprintf(d->networks_file, sizeof d->networks_file, "%s", names[i]);
    }
}

static void data_free(report_data *d)
{
    table_free(&d->log);
    table_free(&d->metrics);
    free(d->grids);
    free(d->ckpts);
    free(d->networks);
    memset(d, 0, sizeof *d);
}

/* Everything the page shows; 0, or the printed error's exit code. */
static int read_run(const char *cmd, const char *dir, report_data *d)
{
    char path[RUN_PATH_MAX_REPORT];
    size_t cap = 0;
    int rc;
    memset(d, 0, sizeof *d);
    d->dir = dir;
    if (!cli_is_dir(dir))
        return cli_error(cmd, "%s: no such directory", dir);
    if (cli_path(path, sizeof path, "%s/run.txt", dir) != 0)
        return cli_error(cmd, "%s: path too long", dir);
    if ((rc = read_settings(d, path)) != 0)
        return rc > 0 ? cli_error(cmd, "%s: no run.txt: not a gan train output directory", dir)
                      : cli_error(cmd, "%s: %s", path, strerror(errno));
    cli_path(path, sizeof path, "%s/log.csv", dir);
    if ((rc = read_table(&d->log, path)) < 0)
        return cli_error(cmd, "%s: %s", path, strerror(errno));
    d->have_log = rc == 0 && report_col(&d->log, "step") != NULL;
    cli_path(path, sizeof path, "%s/metrics.csv", dir);
    if ((rc = read_table(&d->metrics, path)) < 0)
        return cli_error(cmd, "%s: %s", path, strerror(errno));
    d->have_metrics = rc == 0 && report_col(&d->metrics, "step") != NULL;
    if (list_files(dir, "samples", ".png", &d->grids, &d->ngrids) != 0 ||
        list_files(dir, "checkpoints", ".gan", &d->ckpts, &d->nckpts) != 0)
        return cli_error(cmd, "out of memory");
    for (size_t i = 0; i < d->ngrids; i++)
        d->grids[i].step = grid_step(d, d->grids[i].name);
    cap = d->nckpts;
    add_file(d, "checkpoint.gan", &cap);
    add_file(d, "generator.gan", &cap);
    read_networks(d);
    return 0;
}

int cli_report_write(const char *cmd, const char *dir, const char *out_path, int quiet)
{
    report_data d;
    char def[RUN_PATH_MAX_REPORT], tmp[RUN_PATH_MAX_REPORT + 16], err[512] = "";
    FILE *f;
    int rc = read_run(cmd, dir, &d);
    if (rc != 0) {
        data_free(&d);
        return rc;
    }
    if (!out_path) {
        if (cli_path(def, sizeof def, "%s/report.html", dir) != 0) {
            data_free(&d);
            return cli_error(cmd, "%s: path too long", dir);
        }
        out_path = def;
    }
    /* Atomically: a reader never sees half a page. */
    if (cli_path(tmp, sizeof tmp, "%s.tmp", out_path) != 0 || (f = fopen(tmp, "w")) == NULL) {
        rc = cli_error(cmd, "%s: %s", out_path, strerror(errno));
        data_free(&d);
        return rc;
    }
    if (report_write_html(f, &d, err, sizeof err) != 0) {
        fclose(f);
        remove(tmp);
        data_free(&d);
        return cli_error(cmd, "%s", err);
    }
    rc = ferror(f);
    if (fclose(f) != 0 || rc || rename(tmp, out_path) != 0) {
        rc = cli_error(cmd, "%s: write failed: %s", out_path, strerror(errno));
        remove(tmp);
        data_free(&d);
        return rc;
    }
    if (!quiet)
        printf("report: %s\n", out_path);
    data_free(&d);
    return CLI_EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL;
    int ch, quiet = 0, rc;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_option_error(CMD, ch, argv);
        }
    }
    if ((rc = cli_one_operand(CMD, argc, argv, "DIR")) != 0)
        return rc;
    return cli_report_write(CMD, argv[optind], out, quiet);
}
