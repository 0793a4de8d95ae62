/*
 * reshape.c -- reshape and flatten.  Both only relabel the per-sample shape:
 * NHWC samples are contiguous, so the model aliases the buffers and no data
 * moves in either direction (is_view).
 */
#include "nn/nn.h"

static gan_status reshape_setup(gan__layer *l)
{
    char a[64], b[64];
    /* gan_model_add_reshape stored the target shape in l->out. */
    if (gan__shape_elems(&l->out) != gan__shape_elems(&l->in))
        return gan__err(GAN_ESHAPE, "reshape from %s to %s changes the element count (%zu vs %zu)",
                        gan__shape_str(&l->in, a, sizeof a), gan__shape_str(&l->out, b, sizeof b),
                        gan__shape_elems(&l->in), gan__shape_elems(&l->out));
    return GAN_OK;
}

static gan_status flatten_setup(gan__layer *l)
{
    l->out.ndim = 1;
    l->out.d[0] = (int)gan__shape_elems(&l->in);
    l->out.d[1] = l->out.d[2] = 0;
    return GAN_OK;
}

/* ---- building and the file record ---------------------------------------- */

gan_status gan_model_add_reshape(gan_model *m, size_t ndim, const int *dims)
{
    gan__layer t;
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_RESHAPE);
    if ((st = gan__shape_from_dims(ndim, dims, &t.out, __func__)) != GAN_OK)
        return st;
    return gan__model_append(m, &t, __func__);
}

/* Record: the target shape (u32 ndim, 3 x u32). */
static void reshape_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_shape(b, &l->out);
}

static gan_status reshape_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    size_t ndim;
    int dims[3];
    gan_status st;
    (void)use_bias;
    if ((st = gan__rb_shape(r, &ndim, dims)) != GAN_OK)
        return st;
    return gan__shape_from_dims(ndim, dims, &t->out, "gan_model_add_reshape");
}

gan_status gan_model_add_flatten(gan_model *m)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_FLATTEN);
    return gan__model_append(m, &t, __func__);
}

/* Views: the loops skip them, so no forward or backward; linear, so the
   gradient penalties pass through them. */
const gan__layer_ops gan__reshape_ops = {
    .name = "reshape",
    .build = gan__model_append,
    .encode = reshape_encode,
    .decode = reshape_decode,
    .setup = reshape_setup,
    .is_view = 1,
};
const gan__layer_ops gan__flatten_ops = {
    .name = "flatten",
    .build = gan__model_append,
    .setup = flatten_setup,
    .is_view = 1,
};
