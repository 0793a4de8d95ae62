/*
 * style_gan.c -- a style-based generator on Fashion-MNIST: the second seed
 * notebook's Practical 6 sketch (gamma = Dense(C)(w), beta = Dense(C)(w),
 * x * (1 + gamma) + beta) made into a whole StyleGAN-like network with
 * libgan's layers, trained against the notebook's WGAN critic.
 *
 *   z (100) -> mapping network: 3 x (dense 128, leaky ReLU 0.2) -> style s
 *   style input: a learned 7x7x128 constant (s is kept for the AdaINs)
 *   AdaIN, conv 3x3 128, AdaIN, deconv 5x5/2 64, AdaIN, deconv 5x5/2 32,
 *   AdaIN (each convolution followed by leaky ReLU 0.2 before its AdaIN),
 *   conv 3x3 1 + tanh: 28x28x1
 *
 * Every image starts from the same constant: what tells two samples apart
 * is only how each AdaIN layer rescales and shifts their feature maps from
 * their style vectors.  The network is built here call by call (it is also
 * GAN_PRESET_STYLE_GENERATOR, and this program checks the two agree), then
 * trained as WGAN-GP (StyleGAN's loss for CelebA-HQ; with BCE this
 * generator collapses to one garment, docs/stabilisation.md): the
 * notebook's WGAN critic, gradient penalty 10, 5 critic updates per step,
 * Adam(1e-4, beta 0/0.9), and 64 samples are written
 * to a PNG grid (--out, default style_gan.png); --save also writes the
 * generator, for `gan sample` and `gan eval`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example_common.h"

#define CHECK(call)                                                            \
    do {                                                                       \
        if ((call) != GAN_OK)                                                  \
            return ex_fail(#call);                                             \
    } while (0)

/* A convolution without bias (the AdaIN after it removes any per-channel
   shift), leaky ReLU 0.2, AdaIN. */
static int style_block(gan_model *g, int transpose, int filters, int kernel, int stride)
{
    gan_conv2d_config c;
    GAN_CONV2D_CONFIG_INIT(&c);
    c.filters = filters;
    c.kernel_h = c.kernel_w = kernel;
    c.stride_h = c.stride_w = stride;
    c.padding = GAN_PADDING_SAME;
    c.use_bias = 0;
    CHECK(transpose ? gan_model_add_conv2d_transpose(g, &c) : gan_model_add_conv2d(g, &c));
    CHECK(gan_model_add_leaky_relu(g, 0.2f));
    CHECK(gan_model_add_adain(g, 1e-5f));
    return 0;
}

static int build_generator(gan_model *g)
{
    gan_dense_config d;
    gan_conv2d_config c;
    /* The mapping network: z -> style vector s. */
    GAN_DENSE_CONFIG_INIT(&d);
    d.units = 128;
    for (int i = 0; i < 3; i++) {
        CHECK(gan_model_add_dense(g, &d));
        CHECK(gan_model_add_leaky_relu(g, 0.2f));
    }
    /* The synthesis network, modulated by s. */
    CHECK(gan_model_add_style_input(g, 7, 7, 128));
    CHECK(gan_model_add_adain(g, 1e-5f));
    if (style_block(g, 0, 128, 3, 1) || style_block(g, 1, 64, 5, 2) || style_block(g, 1, 32, 5, 2))
        return 1;
    GAN_CONV2D_CONFIG_INIT(&c);
    c.filters = 1;
    c.kernel_h = c.kernel_w = 3;
    c.padding = GAN_PADDING_SAME;
    CHECK(gan_model_add_conv2d(g, &c));
    CHECK(gan_model_add_tanh(g));
    return 0;
}

/* The network above is GAN_PRESET_STYLE_GENERATOR: same summary. */
static int check_preset(const gan_model *g)
{
    gan_model *p = NULL;
    char a[4096], b[4096];
    int same;
    CHECK(gan_model_create_preset(&p, GAN_PRESET_STYLE_GENERATOR));
    gan_model_summary(g, a, sizeof a, NULL);
    gan_model_summary(p, b, sizeof b, NULL);
    gan_model_free(p);
    same = strcmp(a, b) == 0;
    if (!same)
        fprintf(stderr, "error: this network differs from GAN_PRESET_STYLE_GENERATOR:\n%s\n%s", a, b);
    return !same;
}

static int write_samples(const gan_model *g, const char *path)
{
    enum { N = 64 };
    static uint8_t img[N * 28 * 28];
    gan_sampler *s = NULL;
    gan_status st = gan_sampler_create(&s, g, 0, N);
    if (st == GAN_OK)
        st = gan_sampler_generate_u8(s, NULL, 0, N, img, sizeof img);
    gan_sampler_free(s);
    if (st != GAN_OK || gan_png_write_grid(path, img, N, 28, 28, 1, 8, 2) != GAN_OK)
        return ex_fail("samples");
    printf("samples: %s (64 images, latent seed 0)\n", path);
    return 0;
}

int main(int argc, char **argv)
{
    ex_options o = {NULL, 1, 64, 0, 0, 1};
    const char *out = "style_gan.png", *save = NULL;
    char *args[64];
    int nargs = 0, rc = 1, d100[1] = {100};
    gan_optimizer_config oc;
    gan_loss_config lc;
    gan_trainer_config tc;
    gan_dataset *ds = NULL;
    ex_gan x;
    char summary[4096];

    /* --out and --save here; the rest is the examples' common options. */
    for (int i = 0; i < argc && nargs < 63; i++) {
        if (i > 0 && strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (i > 0 && strcmp(argv[i], "--save") == 0 && i + 1 < argc)
            save = argv[++i];
        else
            args[nargs++] = argv[i];
    }
    args[nargs] = NULL;
    if (ex_parse(nargs, args, &o, "Trains a style-based generator (mapping network + AdaIN).\n"
                                  "  --out PATH   PNG grid of 64 samples (default style_gan.png)\n"
                                  "  --save PATH  also save the generator (for gan sample, gan eval)\n"))
        return 2;

    memset(&x, 0, sizeof x);
    GAN_OPTIMIZER_CONFIG_INIT(&oc);
    oc.lr = 1e-4f;
    oc.beta1 = 0.0f;
    oc.beta2 = 0.9f;
    GAN_LOSS_CONFIG_INIT(&lc);
    lc.kind = GAN_LOSS_WASSERSTEIN;
    lc.gradient_penalty = 10.0f;
    GAN_TRAINER_CONFIG_INIT(&tc);
    tc.seed = o.seed;
    tc.n_critic = 5;
    if (gan_model_create(&x.g, 1, d100) != GAN_OK)
        return ex_fail("gan_model_create");
    if (build_generator(x.g) || check_preset(x.g))
        goto done;
    if (gan_model_init_params(x.g, o.seed) != GAN_OK ||
        gan_model_create_preset(&x.d, GAN_PRESET_WGAN_CRITIC) != GAN_OK ||
        gan_model_init_params(x.d, o.seed + 1) != GAN_OK ||
        gan_optimizer_create(&x.g_opt, x.g, &oc) != GAN_OK ||
        gan_optimizer_create(&x.d_opt, x.d, &oc) != GAN_OK || gan_loss_create(&x.loss, &lc) != GAN_OK ||
        gan_trainer_create(&x.trainer, x.g, x.d, x.g_opt, x.d_opt, x.loss, &tc) != GAN_OK) {
        ex_fail("setup");
        goto done;
    }
    gan_model_summary(x.g, summary, sizeof summary, NULL);
    printf("generator:\n%s", summary);
    if ((ds = ex_load(&o, 28, 28, 1)) == NULL || ex_fit(x.trainer, ds, &o) != 0)
        goto done;
    rc = write_samples(x.g, out);
    if (rc == 0 && save) {
        if (gan_model_save(x.g, save) != GAN_OK)
            rc = ex_fail(save);
        else
            printf("generator: %s\n", save);
    }
done:
    gan_dataset_free(ds);
    ex_free(&x);
    return rc;
}
