/*
 * datadir.c -- where `gan` finds the shipped classifier and reference
 * statistics (docs/metrics.md), so an installed copy works from any prefix
 * and after the prefix is moved:
 *
 *   1. $GAN_DATA_DIR, when set and not empty (an explicit choice: used even
 *      if it lacks the files, so the error names it);
 *   2. GAN_BIN_TO_DATA_DIR relative to the directory of the running
 *      executable (/proc/self/exe): "../share/libgan" for an install, and a
 *      link to the source tree's models/ that CMake puts at the same place
 *      relative to the build tree's tools/gan/gan;
 *   3. GAN_INSTALL_DATA_DIR, the configured <prefix>/share/libgan.
 *
 * The first that holds fashion_mnist_classifier.gan wins; if none does, the
 * executable-relative directory is reported (where an install puts it).
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef GAN_BIN_TO_DATA_DIR
#  define GAN_BIN_TO_DATA_DIR "../share/libgan"
#endif
#ifndef GAN_INSTALL_DATA_DIR
#  define GAN_INSTALL_DATA_DIR "/usr/local/share/libgan"
#endif

#define DATA_PROBE "fashion_mnist_classifier.gan"

static char data_dir[4096];

/* dir + "/" + name into buf; 0, or -1 if it does not fit. */
static int join(char *buf, size_t cap, const char *dir, const char *name)
{
    return cli_path(buf, cap, "%s/%s", dir, name);
}

static int holds_data(const char *dir)
{
    char probe[4096 + 64];
    return join(probe, sizeof probe, dir, DATA_PROBE) == 0 && cli_is_file(probe);
}

/* The directory of the running executable, or "" if unknown. */
static void exe_dir(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    char *slash;
    if (n <= 0 || (size_t)n >= cap - 1) {
        buf[0] = '\0';
        return;
    }
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (slash == NULL)
        buf[0] = '\0';
    else if (slash == buf)
        buf[1] = '\0';
    else
        *slash = '\0';
}

const char *cli_data_dir(void)
{
    char exe[4096], rel[4096 + 64];
    const char *env;
    if (data_dir[0])
        return data_dir;
    env = getenv("GAN_DATA_DIR");
    if (env && *env && strlen(env) < sizeof data_dir) {
        memcpy(data_dir, env, strlen(env) + 1);
        return data_dir;
    }
    rel[0] = '\0';
    exe_dir(exe, sizeof exe);
    if (exe[0] && join(rel, sizeof rel, exe, GAN_BIN_TO_DATA_DIR) != 0)
        rel[0] = '\0';
    if (rel[0] && holds_data(rel) && realpath(rel, data_dir) != NULL)
        return data_dir;
    if (holds_data(GAN_INSTALL_DATA_DIR) || !rel[0] || strlen(rel) >= sizeof data_dir)
        snprintf(data_dir, sizeof data_dir, "%s", GAN_INSTALL_DATA_DIR);
    else
        memcpy(data_dir, rel, strlen(rel) + 1);
    return data_dir;
}

int cli_data_file(char *buf, size_t cap, const char *name)
{
    return join(buf, cap, cli_data_dir(), name);
}
