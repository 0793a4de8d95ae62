/*
 * csvlog.c -- OUT/log.csv: one row per training step,
 *   step,epoch,d_loss,g_loss,d_real,d_fake,seconds
 * (epoch: the 1-based epoch the step belongs to; seconds: training time
 * since the run started, across resumes).  A resumed run first drops the
 * rows a killed run wrote after the checkpoint it resumes from.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char header[] = "step,epoch,d_loss,g_loss,d_real,d_fake,seconds\n";

/* Rewrite path keeping the header and rows with step <= keep; *last_seconds
   gets the seconds of the last kept row. */
static int csv_truncate(const char *path, uint64_t keep, double *last_seconds)
{
    FILE *in = fopen(path, "r"), *out;
    char tmp[4096], line[512];
    int ok = 1;
    *last_seconds = 0;
    if (!in)
        return 0; /* no log yet: start a new one */
    if (cli_path(tmp, sizeof tmp, "%s.tmp", path) != 0 || (out = fopen(tmp, "w")) == NULL) {
        fclose(in);
        return -1;
    }
    while (fgets(line, sizeof line, in)) {
        char *end;
        unsigned long long step = strtoull(line, &end, 10);
        if (end == line) { /* the header */
            ok &= fputs(line, out) >= 0;
            continue;
        }
        if (step > keep || strchr(line, '\n') == NULL)
            continue;
        const char *last = strrchr(line, ',');
        if (last)
            *last_seconds = strtod(last + 1, NULL);
        ok &= fputs(line, out) >= 0;
    }
    fclose(in);
    ok &= fclose(out) == 0;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

int cli_csv_open(cli_csv *c, const char *path, uint64_t keep_steps, int resume)
{
    memset(c, 0, sizeof *c);
    if (resume && csv_truncate(path, keep_steps, &c->offset) != 0)
        return -1;
    c->f = fopen(path, resume ? "a" : "w");
    if (!c->f)
        return -1;
    fseek(c->f, 0, SEEK_END);
    if (ftell(c->f) == 0)
        fputs(header, c->f);
    c->t0 = cli_now();
    return 0;
}

void cli_csv_row(cli_csv *c, uint64_t step, uint64_t epoch, const gan_step_stats *s)
{
    if (!c->f)
        return;
    fprintf(c->f, "%llu,%llu,%.6g,%.6g,%.6g,%.6g,%.3f\n", (unsigned long long)step,
            (unsigned long long)epoch, s->d_loss, s->g_loss, s->d_real, s->d_fake,
            c->offset + cli_now() - c->t0);
    fflush(c->f); /* a killed run keeps its rows */
}

void cli_csv_close(cli_csv *c)
{
    if (c->f)
        fclose(c->f);
    c->f = NULL;
}
