/*
 * ckpt_tool.c -- drives checkpoints across processes for the shell tests:
 *
 *   ckpt_tool train OUT K            fresh run, K steps, save (with dataset)
 *   ckpt_tool resume IN OUT K        load IN in this new process, K more steps, save
 *   ckpt_tool saveloop PATH          save a large model file forever, its first
 *                                    weight holding the generation number
 *   ckpt_tool check PATH             load PATH, print its generation
 *
 * The run is a small dense GAN on the first 512 Fashion-MNIST images,
 * batch 32 (16 batches an epoch, so 20 steps cross an epoch boundary).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"

static int fail(const char *what)
{
    fprintf(stderr, "ckpt_tool: %s: %s\n", what, gan_last_error());
    return 1;
}

static gan_dataset *data(void)
{
    gan_dataset *ds = NULL;
    gan_batch_config bc;
    if (gan_dataset_load_mnist_dir(&ds, GAN_FASHION_MNIST_DIR, 1) != GAN_OK)
        return NULL;
    GAN_BATCH_CONFIG_INIT(&bc);
    bc.batch_size = 32;
    bc.seed = 5;
    if (gan_dataset_limit(ds, 512) != GAN_OK || gan_dataset_set_batching(ds, &bc) != GAN_OK) {
        gan_dataset_free(ds);
        return NULL;
    }
    return ds;
}

/* The handles of a fresh run (freed by free_fresh). */
static gan_model *g, *d;
static gan_optimizer *go, *dopt;
static gan_loss *loss;

static void free_fresh(gan_trainer *t)
{
    gan_trainer_free(t);
    gan_optimizer_free(go);
    gan_optimizer_free(dopt);
    gan_loss_free(loss);
    gan_model_free(g);
    gan_model_free(d);
}

static gan_trainer *fresh(void)
{
    gan_trainer *t = NULL;
    int lat[1] = {16}, img[3] = {28, 28, 1};
    gan_dense_config dc;
    gan_optimizer_config oc;
    gan_loss_config lc;
    GAN_DENSE_CONFIG_INIT(&dc);
    GAN_OPTIMIZER_CONFIG_INIT(&oc);
    GAN_LOSS_CONFIG_INIT(&lc);
    oc.lr = 2e-4f;
    oc.beta1 = 0.5f;
    if (gan_model_create(&g, 1, lat) || gan_model_create(&d, 3, img))
        return NULL;
    dc.units = 64;
    gan_model_add_dense(g, &dc);
    gan_model_add_batchnorm(g, NULL);
    gan_model_add_leaky_relu(g, 0.2f);
    dc.units = 784;
    gan_model_add_dense(g, &dc);
    gan_model_add_tanh(g);
    gan_model_add_reshape(g, 3, img);
    gan_model_add_flatten(d);
    dc.units = 64;
    gan_model_add_dense(d, &dc);
    gan_model_add_leaky_relu(d, 0.2f);
    gan_model_add_dropout(d, 0.3f);
    dc.units = 1;
    if (gan_model_add_dense(d, &dc) || gan_model_init_params(g, 1) || gan_model_init_params(d, 2) ||
        gan_optimizer_create(&go, g, &oc) || gan_optimizer_create(&dopt, d, &oc) ||
        gan_loss_create(&loss, &lc) || gan_trainer_create(&t, g, d, go, dopt, loss, NULL))
        return NULL;
    return t;
}

static int steps(gan_trainer *t, gan_dataset *ds, int k)
{
    float x[32 * 784];
    size_t n;
    for (int i = 0; i < k; i++) {
        gan_status st;
        while ((st = gan_dataset_next_batch(ds, x, 32 * 784, NULL, &n, NULL)) == GAN_DONE)
            ;
        if (st != GAN_OK || gan_trainer_step(t, x, n * 784, n, NULL) != GAN_OK)
            return fail("step");
    }
    return 0;
}

int main(int argc, char **argv)
{
    gan_dataset *ds;
    gan_trainer *t = NULL;
    gan_model *m = NULL;
    if (argc == 4 && strcmp(argv[1], "train") == 0) {
        if (!(ds = data()) || !(t = fresh()))
            return fail("setup");
        if (steps(t, ds, atoi(argv[3])) || gan_trainer_save(t, ds, argv[2]) != GAN_OK)
            return fail("train");
        free_fresh(t);
        gan_dataset_free(ds);
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "resume") == 0) {
        if (!(ds = data()))
            return fail("data");
        if (gan_trainer_load(&t, ds, argv[2]) != GAN_OK)
            return fail(argv[2]);
        if (steps(t, ds, atoi(argv[4])) || gan_trainer_save(t, ds, argv[3]) != GAN_OK)
            return fail("resume");
        gan_trainer_free(t);
        gan_dataset_free(ds);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "saveloop") == 0) {
        size_t n;
        float *w;
        if (gan_model_create_preset(&m, GAN_PRESET_MNIST_GENERATOR) != GAN_OK ||
            gan_model_layer_sizes(m, 0, &n, NULL) != GAN_OK || !(w = malloc(n * sizeof *w)) ||
            gan_model_get_params(m, 0, w, n) != GAN_OK)
            return fail("setup");
        for (long gen = 1;; gen++) {
            w[0] = (float)gen;
            if (gan_model_set_params(m, 0, w, n) != GAN_OK || gan_model_save(m, argv[2]) != GAN_OK)
                return fail("save");
            printf("%ld\n", gen);
            fflush(stdout);
        }
    }
    if (argc == 3 && strcmp(argv[1], "check") == 0) {
        float w0;
        size_t n;
        float *w;
        if (gan_model_load(&m, argv[2]) != GAN_OK)
            return fail(argv[2]);
        gan_model_layer_sizes(m, 0, &n, NULL);
        w = malloc(n * sizeof *w);
        gan_model_get_params(m, 0, w, n);
        w0 = w[0];
        printf("%.0f\n", (double)w0);
        free(w);
        gan_model_free(m);
        return 0;
    }
    fprintf(stderr, "usage: ckpt_tool train OUT K | resume IN OUT K | saveloop PATH | check PATH\n");
    return 2;
}
