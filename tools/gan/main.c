/*
 * main.c -- `gan`, the command-line tool of libgan: dispatch to the
 * subcommands (cmd_*.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} commands[] = {
    {"train", cmd_train, "train a GAN preset (progress, CSV log, sample grids, checkpoints)"},
    {"sample", cmd_sample, "draw images from a generator or checkpoint (PNG grid, PNGs, raw)"},
    {"export", cmd_export, "write the generator of a checkpoint as a model file, ONNX or C source"},
    {"info", cmd_info, "describe a model file or checkpoint"},
    {"eval", cmd_eval, "FID and Inception Score of a generator (docs/metrics.md)"},
    {"report", cmd_report, "write a run's report: one self-contained HTML page"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: gan COMMAND [OPTIONS]   (gan COMMAND --help for its options)\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\nOptions:\n  -h, --help     this help\n  -V, --version  library version\n"
               "\nlibgan %s\n", gan_version());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("gan (libgan) %s\ndata directory: %s\n", gan_version(), cli_data_dir());
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gan: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
