/*
 * fit.c -- the epoch loop: batches from a dataset (with their labels for a
 * conditional pair), the step and epoch callbacks, stopping.
 */
#include <math.h>
#include <stddef.h>

#include "train/train.h"

/* With a reducer, a failure of this worker alone outside a step is
   announced to the others (their next step returns it) instead of leaving
   them waiting. */
static gan_status gan__fit_fail(gan_trainer *t, gan_status st)
{
    return t->dist ? gan_trainer_fail_step(t, st) : st;
}

gan_status gan_trainer_fit(gan_trainer *t, gan_dataset *ds, uint64_t epochs,
                           gan_step_callback on_step, gan_epoch_callback on_epoch, void *user)
{
    gan_batch_config bc;
    gan_status st = GAN_OK;
    size_t ndim, batch, group;
    int dims[3];
    float *x;
    int32_t *lab = NULL;
    char a[64], b[64];
    gan__shape s;
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    if ((st = gan_dataset_shape(ds, &ndim, dims)) != GAN_OK)
        return gan__fit_fail(t, st);
    s.ndim = (int)ndim;
    memcpy(s.d, dims, sizeof s.d);
    if (s.ndim != t->d->in.ndim || memcmp(s.d, t->d->in.d, sizeof(int) * ndim) != 0)
        return gan__fit_fail(t, gan__err(GAN_ESHAPE, "gan_trainer_fit: dataset samples %s do "
                                         "not fit the discriminator's input %s",
                                         gan__shape_str(&s, a, sizeof a),
                                         gan__shape_str(&t->d->in, b, sizeof b)));
    if (t->n_classes) {
        int has_labels = 0, ds_classes = 0;
        if ((st = gan_dataset_labels_info(ds, &has_labels, &ds_classes)) != GAN_OK)
            return gan__fit_fail(t, st);
        if (!has_labels)
            return gan__fit_fail(t, gan__err(GAN_EINVAL, "gan_trainer_fit: the models are "
                                             "conditional (%d classes) but the dataset has no "
                                             "labels", t->n_classes));
        if (ds_classes > t->n_classes)
            return gan__fit_fail(t, gan__err(GAN_EINVAL, "gan_trainer_fit: the dataset's labels "
                                             "go up to %d, the models know %d classes (0..%d)",
                                             ds_classes - 1, t->n_classes, t->n_classes - 1));
    }
    GAN_BATCH_CONFIG_INIT(&bc);
    if ((st = gan_dataset_get_batching(ds, &bc)) != GAN_OK)
        return gan__fit_fail(t, st);
    /* With shards, batch_size is the global batch; got and group count
       this worker's samples, and a batch is short when the global one is. */
    batch = bc.batch_size;
    group = (size_t)t->cfg.n_critic * batch;
    x = gan__aligned_alloc(group * t->sample * sizeof(float));
    if (t->n_classes)
        lab = gan__calloc(group, sizeof *lab);
    if (!x || (t->n_classes && !lab)) {
        gan__aligned_free(x);
        gan__free(lab);
        return gan__fit_fail(t, gan__err(GAN_ENOMEM, "gan_trainer_fit: out of memory for a "
                                         "batch of %zu", group));
    }

    for (uint64_t e = 0; e < epochs && st == GAN_OK; e++) {
        double sum[4] = {0, 0, 0, 0};
        uint64_t steps = 0;
        for (;;) {
            size_t got = 0, n = 0;
            gan_step_stats ss;
            gan_status bs = GAN_OK;
            /* Gather n_critic batches; a short final batch is used alone
               only when n_critic is 1 (drop_remainder off). */
            int short_batch = 0;
            for (int i = 0; i < t->cfg.n_critic; i++) {
                bs = gan_dataset_next_batch(ds, x + got * t->sample, (group - got) * t->sample,
                                            lab ? lab + got : NULL, &n, NULL);
                if (bs != GAN_OK)
                    break;
                got += n;
                if (ds->last_global < batch) {
                    short_batch = 1;
                    break;
                }
            }
            if (bs < 0) {
                st = gan__fit_fail(t, bs);
                break;
            }
            if (bs == GAN_DONE && got == 0)
                break;
            if (t->cfg.n_critic > 1 && (short_batch || bs == GAN_DONE)) {
                /* Incomplete group at the end of the epoch: skip it and
                   drain to the epoch boundary. */
                while (bs == GAN_OK)
                    bs = gan_dataset_next_batch(ds, x, group * t->sample, NULL, &n, NULL);
                if (bs < 0)
                    st = gan__fit_fail(t, bs);
                break;
            }
            GAN_STEP_STATS_INIT(&ss);
            st = gan__trainer_step(t, x, got * t->sample, lab, lab ? got : 0,
                                   got / (size_t)t->cfg.n_critic, &ss, "gan_trainer_fit");
            if (st != GAN_OK)
                break;
            sum[0] += ss.d_loss;
            sum[1] += ss.g_loss;
            sum[2] += ss.d_real;
            sum[3] += ss.d_fake;
            steps++;
            if (on_step && on_step(&ss, t->step, user)) {
                st = GAN_DONE;
                break;
            }
            if (bs == GAN_DONE)
                break;
        }
        if (st < 0)
            break;
        if (st == GAN_DONE)
            break;
        t->epoch++;
        if (on_epoch) {
            gan_step_stats mean;
            GAN_STEP_STATS_INIT(&mean);
            if (steps) {
                mean.d_loss = (float)(sum[0] / (double)steps);
                mean.g_loss = (float)(sum[1] / (double)steps);
                mean.d_real = (float)(sum[2] / (double)steps);
                mean.d_fake = (float)(sum[3] / (double)steps);
            }
            if (on_epoch(t->epoch, &mean, user))
                st = GAN_DONE;
        }
    }
    gan__aligned_free(x);
    gan__free(lab);
    return st;
}

