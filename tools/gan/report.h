/*
 * report.h -- `gan report`: what cmd_report.c reads from a run directory
 * and report_html.c turns into one self-contained HTML page (inline SVG
 * charts, PNGs as data: URIs, no script, no network).
 */
#ifndef GAN_CLI_REPORT_H
#define GAN_CLI_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RUN_PATH_MAX_REPORT 4200  /* a run directory (RUN_PATH_MAX) plus a file name */
#define REPORT_MAX_COLS 16
#define REPORT_MAX_SETTINGS 96
#define REPORT_MAX_GRIDS 48      /* sample grids shown (evenly spaced beyond) */

/* A CSV file of numbers: named columns, n rows (NaN where a cell is empty
   or not a number). */
typedef struct report_table {
    size_t ncols, n, cap;
    char names[REPORT_MAX_COLS][32];
    double *cols[REPORT_MAX_COLS];
} report_table;

/* A file of the run directory (samples/, checkpoints/). */
typedef struct report_file {
    char name[256];
    uint64_t size;
    uint64_t step;             /* sample grids: the step it shows (0: unknown) */
} report_file;

typedef struct report_data {
    const char *dir;
    char settings[REPORT_MAX_SETTINGS][2][512]; /* run.txt: key, value */
    size_t nsettings;
    report_table log;          /* log.csv */
    report_table metrics;      /* metrics.csv (n = 0 without --fid-every) */
    int have_log, have_metrics;
    report_file *grids;        /* samples/ (PNG), by name */
    size_t ngrids;
    report_file *ckpts;        /* checkpoints/ (.gan), checkpoint.gan, generator.gan */
    size_t nckpts;
    char *networks;            /* gan_file_info of checkpoint.gan or generator.gan */
    char networks_file[64];
} report_data;

/* The column named `name`, or NULL. */
const double *report_col(const report_table *t, const char *name);
/* run.txt's value of key, or NULL. */
const char *report_setting(const report_data *d, const char *key);

/* Write the page to f.  Returns 0, or -1 with a message in err (a sample
   grid that cannot be read). */
int report_write_html(FILE *f, const report_data *d, char *err, size_t err_cap);

#endif
