/*
 * parity.c -- the C half of the Python/C parity test (test_parity.py).
 *
 * Runs fixed scenarios through the public API with fixed seeds and one
 * thread, and prints one line per result:
 *
 *   NAME COUNT HEX...         every float as its IEEE-754 bit pattern (%08x)
 *   NAME COUNT crc32=XXXXXXXX the zlib CRC-32 of the floats' bytes
 *   sizeof NAME N             sizeof of a config struct
 *
 * test_parity.py does the same calls through the bindings and prints the
 * same lines, so the comparison is bit for bit.  Inputs come from integer
 * formulas that both sides evaluate exactly in float32.
 *
 *   gan_py_parity            print to stdout
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gan.h"

#define CHECK(call)                                                              \
    do {                                                                         \
        gan_status st_ = (call);                                                 \
        if (st_ < 0) {                                                           \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,        \
                    gan_last_error());                                           \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

static void put_full(const char *name, const float *x, size_t n)
{
    printf("%s %zu", name, n);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        printf(" %08x", (unsigned)u);
    }
    printf("\n");
}

static void put_crc(const char *name, const float *x, size_t n)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    const unsigned char *p = (const unsigned char *)x;
    size_t bytes = n * sizeof(float);
    while (bytes > 0) { /* crc32 takes a uInt length */
        uInt chunk = bytes > (1u << 30) ? (1u << 30) : (uInt)bytes;
        crc = crc32(crc, p, chunk);
        p += chunk;
        bytes -= chunk;
    }
    printf("%s %zu crc32=%08lx\n", name, n, (unsigned long)crc);
}

static void put_stats(const char *name, const gan_step_stats *s)
{
    float v[4] = {s->d_loss, s->g_loss, s->d_real, s->d_fake};
    put_full(name, v, 4);
}

/* All parameters of a model, layer by layer, in one CRC. */
static void put_params(const char *name, const gan_model *m)
{
    size_t layers = 0, total = 0;
    CHECK(gan_model_layer_count(m, &layers));
    for (size_t l = 0; l < layers; l++) {
        size_t np = 0;
        CHECK(gan_model_layer_sizes(m, l, &np, NULL));
        total += np;
    }
    float *all = malloc((total ? total : 1) * sizeof *all);
    size_t off = 0;
    for (size_t l = 0; l < layers; l++) {
        size_t np = 0;
        CHECK(gan_model_layer_sizes(m, l, &np, NULL));
        if (np)
            CHECK(gan_model_get_params(m, l, all + off, np));
        off += np;
    }
    put_crc(name, all, total);
    free(all);
}

/* The shared inputs (test_parity.py computes the same values). */
static float latent_value(size_t i) { return (float)((long)((i * 7919u) % 2001u) - 1000) / 500.0f; }
static float real_value(size_t i) { return (float)((i * 31u) % 255u) / 127.5f - 1.0f; }

static int step_cb_count;
static float step_cb_values[64 * 2];

static int on_step(const gan_step_stats *s, uint64_t step, void *user)
{
    (void)user;
    (void)step;
    if (step_cb_count < 64) {
        step_cb_values[2 * step_cb_count] = s->d_loss;
        step_cb_values[2 * step_cb_count + 1] = s->g_loss;
        step_cb_count++;
    }
    return 0;
}

int main(void)
{
    enum { B = 8, LAT = 100, IMG = 28 * 28, NREAL = 64 };
    static float z[B * LAT], img[B * IMG], logits[B], dy[B], dx[B * IMG];
    static float real[NREAL * IMG];
    gan_model *g = NULL, *d = NULL;

    CHECK(gan_set_threads(1));
    printf("sizeof dense_config %zu\n", sizeof(gan_dense_config));
    printf("sizeof conv2d_config %zu\n", sizeof(gan_conv2d_config));
    printf("sizeof batchnorm_config %zu\n", sizeof(gan_batchnorm_config));
    printf("sizeof batch_config %zu\n", sizeof(gan_batch_config));
    printf("sizeof loss_config %zu\n", sizeof(gan_loss_config));
    printf("sizeof optimizer_config %zu\n", sizeof(gan_optimizer_config));
    printf("sizeof trainer_config %zu\n", sizeof(gan_trainer_config));
    printf("sizeof step_stats %zu\n", sizeof(gan_step_stats));

    for (size_t i = 0; i < B * LAT; i++)
        z[i] = latent_value(i);
    for (size_t i = 0; i < NREAL * IMG; i++)
        real[i] = real_value(i);

    /* 1. Forward passes of the presets. */
    CHECK(gan_model_create_preset(&g, GAN_PRESET_MNIST_GENERATOR));
    CHECK(gan_model_create_preset(&d, GAN_PRESET_MNIST_DISCRIMINATOR));
    CHECK(gan_model_init_params(g, 123));
    CHECK(gan_model_forward(g, z, B * LAT, B, GAN_MODE_INFER, img, B * IMG));
    put_crc("g_infer", img, B * IMG);
    put_full("g_infer_head", img, 16);
    CHECK(gan_model_forward(d, img, B * IMG, B, GAN_MODE_INFER, logits, B));
    put_full("d_infer", logits, B);
    CHECK(gan_model_set_seed(d, 9));
    CHECK(gan_model_forward(d, img, B * IMG, B, GAN_MODE_TRAIN, logits, B));
    put_full("d_train", logits, B);
    for (size_t i = 0; i < B; i++)
        dy[i] = 1.0f / B;
    CHECK(gan_model_backward(d, dy, B, dx, B * IMG));
    put_crc("d_dx", dx, B * IMG);
    {
        size_t np = 0;
        CHECK(gan_model_layer_sizes(d, 0, &np, NULL));
        float *gr = malloc(np * sizeof *gr);
        CHECK(gan_model_get_grads(d, 0, gr, np));
        put_crc("d_grad0", gr, np);
        free(gr);
    }
    CHECK(gan_model_forward(g, z, B * LAT, B, GAN_MODE_TRAIN, img, B * IMG));
    put_crc("g_train", img, B * IMG);
    gan_model_free(g);
    gan_model_free(d);

    /* 2. Three BCE training steps (Adam 1e-4, batch 16). */
    {
        gan_optimizer *go = NULL, *dop = NULL;
        gan_loss *loss = NULL;
        gan_trainer *t = NULL;
        gan_optimizer_config oc;
        gan_loss_config lc;
        gan_trainer_config tc;
        gan_step_stats s;
        CHECK(gan_model_create_preset(&g, GAN_PRESET_MNIST_GENERATOR));
        CHECK(gan_model_create_preset(&d, GAN_PRESET_MNIST_DISCRIMINATOR));
        CHECK(gan_model_init_params(g, 1));
        CHECK(gan_model_init_params(d, 2));
        CHECK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
        oc.lr = 1e-4f;
        CHECK(gan_optimizer_create(&go, g, &oc));
        CHECK(gan_optimizer_create(&dop, d, &oc));
        CHECK(GAN_LOSS_CONFIG_INIT(&lc));
        CHECK(gan_loss_create(&loss, &lc));
        CHECK(GAN_TRAINER_CONFIG_INIT(&tc));
        tc.seed = 42;
        CHECK(gan_trainer_create(&t, g, d, go, dop, loss, &tc));
        for (int k = 0; k < 3; k++) {
            char name[32];
            GAN_STEP_STATS_INIT(&s);
            CHECK(gan_trainer_step(t, real + (size_t)k * 16 * IMG, 16 * IMG, 16, &s));
            snprintf(name, sizeof name, "bce_step%d", k);
            put_stats(name, &s);
        }
        put_params("bce_g_params", g);
        put_params("bce_d_params", d);

        /* 3. fit() over a dataset, recording the step callback's losses. */
        {
            gan_dataset *ds = NULL;
            gan_batch_config bc;
            int dims[3] = {28, 28, 1};
            CHECK(gan_dataset_create_float(&ds, real, NREAL, 3, dims, NULL, 1));
            CHECK(GAN_BATCH_CONFIG_INIT(&bc));
            bc.batch_size = 16;
            bc.seed = 3;
            CHECK(gan_dataset_set_batching(ds, &bc));
            CHECK(gan_trainer_fit(t, ds, 1, on_step, NULL, NULL));
            put_full("fit_losses", step_cb_values, (size_t)step_cb_count * 2);
            put_params("fit_g_params", g);
            gan_dataset_free(ds);
        }

        /* 4. Sampling from the trained generator. */
        {
            gan_sampler *sp = NULL;
            static float out[4 * IMG];
            static uint8_t out8[4 * IMG];
            float zz[2 * LAT];
            CHECK(gan_sampler_create(&sp, g, 11, 0));
            CHECK(gan_sampler_generate(sp, NULL, 0, 4, out, 4 * IMG));
            put_crc("sampler_float", out, 4 * IMG);
            CHECK(gan_sampler_set_seed(sp, 11));
            CHECK(gan_sampler_generate_u8(sp, NULL, 0, 4, out8, 4 * IMG));
            printf("sampler_u8 %d crc32=%08lx\n", 4 * IMG,
                   (unsigned long)crc32(crc32(0L, Z_NULL, 0), out8, 4 * IMG));
            CHECK(gan_sampler_latent(sp, 2, zz, 2 * LAT));
            put_crc("sampler_latent", zz, 2 * LAT);
            gan_sampler_free(sp);
        }
        gan_trainer_free(t);
        gan_loss_free(loss);
        gan_optimizer_free(go);
        gan_optimizer_free(dop);
        gan_model_free(g);
        gan_model_free(d);
    }

    /* 5. WGAN: critic preset, RMSprop 5e-5, clipping 0.01, n_critic 5. */
    {
        gan_optimizer *go = NULL, *dop = NULL;
        gan_loss *loss = NULL;
        gan_trainer *t = NULL;
        gan_optimizer_config oc;
        gan_loss_config lc;
        gan_trainer_config tc;
        gan_step_stats s;
        CHECK(gan_model_create_preset(&g, GAN_PRESET_MNIST_GENERATOR));
        CHECK(gan_model_create_preset(&d, GAN_PRESET_WGAN_CRITIC));
        CHECK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
        oc.kind = GAN_OPTIM_RMSPROP;
        oc.lr = 5e-5f;
        CHECK(gan_optimizer_create(&go, g, &oc));
        CHECK(gan_optimizer_create(&dop, d, &oc));
        CHECK(GAN_LOSS_CONFIG_INIT(&lc));
        lc.kind = GAN_LOSS_WASSERSTEIN;
        lc.clip = 0.01f;
        CHECK(gan_loss_create(&loss, &lc));
        CHECK(GAN_TRAINER_CONFIG_INIT(&tc));
        tc.n_critic = 5;
        tc.seed = 7;
        CHECK(gan_trainer_create(&t, g, d, go, dop, loss, &tc));
        for (int k = 0; k < 2; k++) {
            char name[32];
            GAN_STEP_STATS_INIT(&s);
            CHECK(gan_trainer_step(t, real + (size_t)k * 8 * IMG, 5 * 8 * IMG, 8, &s));
            snprintf(name, sizeof name, "wgan_step%d", k);
            put_stats(name, &s);
        }
        put_params("wgan_d_params", d);
        gan_trainer_free(t);
        gan_loss_free(loss);
        gan_optimizer_free(go);
        gan_optimizer_free(dop);
        gan_model_free(g);
        gan_model_free(d);
    }
    return 0;
}
