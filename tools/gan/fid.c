/*
 * fid.c -- FID and Inception Score of a generator under the protocol of
 * docs/metrics.md, shared by `gan eval` and `gan train --fid-every`: the
 * shipped classifier's features and class probabilities, the reference
 * statistics of Fashion-MNIST's test set, latent vectors from a seed.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_fid_open(cli_fid *f, const char *cmd, const char *clf_path, size_t layer, const char *ref_path,
                 int explicit_ref, const char *data)
{
    uint64_t ref_n = 0;
    uint32_t ref_id;
    memset(f, 0, sizeof *f);
    if (cli_data_file(f->clf_default, sizeof f->clf_default, CLI_CLASSIFIER_FILE) != 0 ||
        cli_data_file(f->ref_default, sizeof f->ref_default, CLI_REFERENCE_FILE) != 0)
        return cli_error(cmd, "the data directory's path is too long: %s", cli_data_dir());
    f->clf_path = clf_path = clf_path ? clf_path : f->clf_default;
    if (gan_model_load(&f->clf, clf_path) != GAN_OK)
        return cli_lib_error(cmd, clf_path);
    if (gan_metrics_create(&f->mt, f->clf, layer, 0) != GAN_OK ||
        gan_metrics_dims(f->mt, &f->dim, &f->k, &f->id) != GAN_OK) {
        cli_fid_close(f);
        return cli_lib_error(cmd, "classifier");
    }
    if (f->k == 0) {
        cli_error(cmd, "%s: the classifier does not output class logits", clf_path);
        cli_fid_close(f);
        return CLI_EXIT_RUNTIME;
    }
    /* Reference statistics: a file of the same network, else t10k. */
    if (!ref_path && cli_is_file(f->ref_default))
        ref_path = f->ref_default;
    if (ref_path) {
        if (gan_fid_stats_load(&f->ref, ref_path) != GAN_OK) {
            cli_fid_close(f);
            return cli_lib_error(cmd, ref_path);
        }
        gan_fid_stats_info(f->ref, NULL, &ref_n, &ref_id);
        /* Id 0 (statistics made with gan_fid_stats_add) matches any network. */
        if (ref_id != 0 && ref_id != f->id) {
            if (explicit_ref) {
                const uint32_t clf_id = f->id;   /* cli_fid_close clears f */
                cli_fid_close(f);
                return cli_error(cmd, "%s: statistics of another feature network (id %08x, the "
                                 "classifier's is %08x)", ref_path, (unsigned)ref_id, (unsigned)clf_id);
            }
            gan_fid_stats_free(f->ref);
            f->ref = NULL;
        }
    }
    if (f->ref) {
        snprintf(f->ref_desc, sizeof f->ref_desc, "%s (%llu images)", ref_path,
                 (unsigned long long)ref_n);
    } else {
        gan_dataset *test = NULL;
        size_t nt = 0;
        if (gan_dataset_load_mnist_dir(&test, data, 0) != GAN_OK ||
            gan_fid_stats_create(&f->ref, f->dim) != GAN_OK ||
            gan_metrics_run_dataset(f->mt, test, 0, f->ref, NULL, 0) != GAN_OK) {
            gan_dataset_free(test);
            cli_fid_close(f);
            return cli_lib_error(cmd, data);
        }
        gan_dataset_size(test, &nt);
        gan_dataset_free(test);
        snprintf(f->ref_desc, sizeof f->ref_desc, "%s t10k (%zu images)", data, nt);
    }
    return CLI_EXIT_OK;
}

int cli_fid_measure(cli_fid *f, const char *cmd, gan_model *gen, uint64_t seed, size_t n, double *fid,
                    double *is, double *is_sd)
{
    gan_fid_stats *st = NULL;
    float *probs = malloc(n * f->k * sizeof *probs);
    int rc = CLI_EXIT_OK;
    if (!probs)
        return cli_error(cmd, "out of memory for %zu samples", n);
    if (gan_fid_stats_create(&st, f->dim) != GAN_OK ||
        gan_metrics_run_generator(f->mt, gen, seed, n, st, probs, n * f->k) != GAN_OK ||
        gan_frechet_distance(f->ref, st, fid) != GAN_OK ||
        gan_inception_score(probs, n * f->k, n, 10, is, is_sd) != GAN_OK)
        rc = cli_lib_error(cmd, "measuring FID and IS");
    gan_fid_stats_free(st);
    free(probs);
    return rc;
}

void cli_fid_close(cli_fid *f)
{
    gan_fid_stats_free(f->ref);
    gan_metrics_free(f->mt);
    gan_model_free(f->clf);
    memset(f, 0, sizeof *f);
}
