/* runfile.c -- OUT/run.txt; see runfile.h. */
#include "runfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *run_optimizer_name(gan_optimizer_kind k)
{
    switch (k) {
    case GAN_OPTIM_SGD: return "sgd";
    case GAN_OPTIM_ADAM: return "adam";
    case GAN_OPTIM_RMSPROP: return "rmsprop";
    }
    return NULL;
}

int run_optimizer_from_name(const char *s, gan_optimizer_kind *k)
{
    static const gan_optimizer_kind kinds[] = {GAN_OPTIM_SGD, GAN_OPTIM_ADAM, GAN_OPTIM_RMSPROP};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(s, run_optimizer_name(kinds[i])) == 0) {
            *k = kinds[i];
            return 0;
        }
    return -1;
}

int run_loss_from_name(const char *s, gan_loss_kind *k)
{
    for (int i = GAN_LOSS_BCE; i <= GAN_LOSS_FEATURE_MATCHING; i++)
        if (gan_loss_kind_name((gan_loss_kind)i) && strcmp(s, gan_loss_kind_name((gan_loss_kind)i)) == 0) {
            *k = (gan_loss_kind)i;
            return 0;
        }
    return -1;
}

int run_write(const run_settings *r, const char *path)
{
    char tmp[RUN_PATH_MAX + 8];
    FILE *f;
    int ok;
    if (cli_path(tmp, sizeof tmp, "%s.tmp", path) != 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if ((f = fopen(tmp, "w")) == NULL)
        return -1;
    /* %.9g round-trips every float exactly. */
    fprintf(f,
            "# gan train: the settings of this run (read by gan train --resume)\n"
            "preset = %s\ndata = %s\nformat = %s\nepochs = %llu\nsteps = %llu\nbatch = %llu\n"
            "limit = %llu\nseed = %llu\nsample_seed = %llu\noptimizer = %s\ng_lr = %.9g\n"
            "d_lr = %.9g\nbeta1 = %.9g\nbeta2 = %.9g\nloss = %s\nclip = %.9g\nreal_label = %.9g\n"
            "gradient_penalty = %.9g\nr1_gamma = %.9g\nema_decay = %.9g\nspectral_norm = %d\n"
            "n_critic = %llu\ndrop_remainder = %d\nsample_every = %llu\n"
            "checkpoint_every = %llu\nkeep = %llu\nimage_size = %llu\nimage_channels = %llu\n"
            "width = %llu\nconditional = %d\nflip_x = %d\naugment = %llu\naugment_p = %.9g\n"
            "ada_target = %.9g\nr1_every = %llu\nclass_weight = %.9g\nmax_width = %llu\n",
            r->preset, r->data, r->format, (unsigned long long)r->epochs,
            (unsigned long long)r->steps, (unsigned long long)r->batch,
            (unsigned long long)r->limit, (unsigned long long)r->seed,
            (unsigned long long)r->sample_seed, run_optimizer_name(r->optimizer),
            (double)r->g_lr, (double)r->d_lr, (double)r->beta1, (double)r->beta2,
            gan_loss_kind_name(r->loss), (double)r->clip, (double)r->real_label,
            (double)r->gradient_penalty, (double)r->r1_gamma, (double)r->ema_decay,
            r->spectral_norm,
            (unsigned long long)r->n_critic,
            r->drop_remainder, (unsigned long long)r->sample_every,
            (unsigned long long)r->checkpoint_every, (unsigned long long)r->keep,
            (unsigned long long)r->image_size, (unsigned long long)r->image_channels,
            (unsigned long long)r->width, r->conditional, r->flip_x,
            (unsigned long long)r->augment, (double)r->augment_p, (double)r->ada_target,
            (unsigned long long)(r->r1_every ? r->r1_every : 1), (double)r->class_weight,
            (unsigned long long)r->max_width);
    ok = !ferror(f);
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

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

int run_read(run_settings *r, const char *path, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "r");
    char line[RUN_PATH_MAX + 64];
    int lineno = 0, seen = 0;
    if (!f) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    memset(r, 0, sizeof *r);
    r->beta2 = 0.999f; /* run.txt files from before beta2 was recorded */
    while (fgets(line, sizeof line, f)) {
        char *eq, *key, *val, *end = NULL;
        int bad = 0;
        lineno++;
        key = trim(line);
        if (*key == '#' || *key == '\0')
            continue;
        if ((eq = strchr(key, '=')) == NULL) {
            snprintf(err, err_cap, "%s:%d: expected 'key = value'", path, lineno);
            fclose(f);
            return -1;
        }
        *eq = '\0';
        key = trim(key);
        val = trim(eq + 1);
#define U64(name)                                                                                 \
    else if (strcmp(key, #name) == 0) { r->name = strtoull(val, &end, 10); bad = *end != '\0'; }
#define FLT(name)                                                                                 \
    else if (strcmp(key, #name) == 0) { r->name = strtof(val, &end); bad = *end != '\0'; }
#define STR(name)                                                                                 \
    else if (strcmp(key, #name) == 0) {                                                           \
        bad = strlen(val) >= sizeof r->name;                                                      \
        if (!bad) memcpy(r->name, val, strlen(val) + 1);                                          \
    }
        if (0) {
        }
        STR(preset) STR(data) STR(format) U64(epochs) U64(steps) U64(batch) U64(limit) U64(seed)
        U64(sample_seed) FLT(g_lr) FLT(d_lr) FLT(beta1) FLT(beta2) FLT(clip) FLT(real_label)
        FLT(gradient_penalty) FLT(r1_gamma) FLT(ema_decay) U64(n_critic)
        U64(sample_every) U64(checkpoint_every) U64(keep) U64(image_size) U64(image_channels)
        U64(width) U64(augment) FLT(augment_p) FLT(ada_target) U64(r1_every)
        FLT(class_weight) U64(max_width)
        else if (strcmp(key, "conditional") == 0) {
            r->conditional = strcmp(val, "1") == 0;
            bad = !r->conditional && strcmp(val, "0") != 0;
        }
        else if (strcmp(key, "flip_x") == 0) {
            r->flip_x = strcmp(val, "1") == 0;
            bad = !r->flip_x && strcmp(val, "0") != 0;
        }
        else if (strcmp(key, "optimizer") == 0) bad = run_optimizer_from_name(val, &r->optimizer) != 0;
        else if (strcmp(key, "loss") == 0) bad = run_loss_from_name(val, &r->loss) != 0;
        else if (strcmp(key, "drop_remainder") == 0) r->drop_remainder = strcmp(val, "0") != 0;
        else if (strcmp(key, "spectral_norm") == 0) {
            r->spectral_norm = strcmp(val, "1") == 0;
            bad = !r->spectral_norm && strcmp(val, "0") != 0;
        }
        else {
            snprintf(err, err_cap, "%s:%d: unknown key '%s'", path, lineno, key);
            fclose(f);
            return -1;
        }
#undef U64
#undef FLT
#undef STR
        if (bad) {
            snprintf(err, err_cap, "%s:%d: bad value '%s' for %s", path, lineno, val, key);
            fclose(f);
            return -1;
        }
        seen++;
    }
    fclose(f);
    if (r->preset[0] == '\0' || r->batch == 0 || r->n_critic == 0 || r->loss == 0 ||
        r->optimizer == 0) {
        snprintf(err, err_cap, "%s: incomplete run settings (preset, batch, n_critic, loss, "
                 "optimizer are required)", path);
        return -1;
    }
    (void)seen;
    return 0;
}
