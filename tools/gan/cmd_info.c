/* cmd_info.c -- `gan info FILE...`: what a model file or checkpoint holds. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "info";

static const char usage[] =
    "Usage: gan info FILE...\n"
    "\n"
    "Describe model files and training checkpoints: kind, format version, the\n"
    "library version that wrote each, every network's layers and parameter\n"
    "counts, optimizers, loss, training step and epoch.  The file is fully\n"
    "validated first.\n"
    "\n"
    "  -h, --help   this help\n";

static int info_one(const char *path)
{
    gan_file_kind kind;
    size_t need = 0;
    char *buf;
    if (!cli_is_file(path))
        return cli_error(CMD, "%s: no such file", path);
    if (gan_file_probe(path, &kind) != GAN_OK || gan_file_info(path, NULL, 0, &need) != GAN_OK)
        return cli_lib_error(CMD, path);
    if ((buf = malloc(need + 1)) == NULL)
        return cli_error(CMD, "out of memory");
    if (gan_file_info(path, buf, need + 1, NULL) != GAN_OK) {
        free(buf);
        return cli_lib_error(CMD, path);
    }
    printf("%s: %s\n%s%s", path, kind == GAN_FILE_CHECKPOINT ? "training checkpoint" : "model file",
           buf, need && buf[need - 1] == '\n' ? "" : "\n");
    free(buf);
    return 0;
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int ch, rc = 0;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'h') {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        }
        return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind >= argc)
        return cli_usage_error(CMD, "no FILE given");
    for (int i = optind; i < argc; i++)
        if (info_one(argv[i]) != 0)
            rc = CLI_EXIT_RUNTIME;
    printf("reader: libgan %s\n", gan_version());
    return rc;
}
