/*
 * cmd_export.c -- `gan export CHECKPOINT --out generator.gan`: the network
 * of a checkpoint (the generator, or the discriminator) as a model file,
 * without optimizer state: what a game or tool embeds.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static const char *const CMD = "export";

static const char usage[] =
    "Usage: gan export CHECKPOINT --out FILE [--discriminator]\n"
    "\n"
    "Write the generator of a training checkpoint (a file, or a gan train output\n"
    "directory: its checkpoint.gan) as a model file for gan_model_load() and\n"
    "gan sample.\n"
    "\n"
    "  -o, --out FILE         the model file to write (required)\n"
    "      --discriminator    export the discriminator instead\n"
    "  -h, --help             this help\n";

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"discriminator", no_argument, NULL, 'D'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL, *in;
    char path[4096];
    int ch, rc, want_d = 0;
    gan_file_kind kind;
    gan_trainer *t = NULL;
    gan_model *m = NULL;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        case 'o':
            out = optarg;
            break;
        case 'D':
            want_d = 1;
            break;
        default:
            return cli_option_error(CMD, ch, argv);
        }
    }
    if ((rc = cli_one_operand(CMD, argc, argv, "CHECKPOINT")) != 0)
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
    if (kind != GAN_FILE_CHECKPOINT)
        return cli_error(CMD, "%s is a model file already, not a training checkpoint", in);
    if (gan_trainer_load(&t, NULL, in) != GAN_OK)
        return cli_lib_error(CMD, in);
    gan_trainer_models(t, want_d ? NULL : &m, want_d ? &m : NULL, NULL, NULL);
    if (gan_model_save(m, out) != GAN_OK) {
        gan_trainer_free(t);
        return cli_lib_error(CMD, out);
    }
    gan_trainer_free(t);
    printf("wrote %s (the %s of %s)\n", out, want_d ? "discriminator" : "generator", in);
    return CLI_EXIT_OK;
}
