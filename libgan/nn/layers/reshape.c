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

/*
 * ONNX: libgan relabels NHWC samples, so an image input goes back to NHWC
 * first (Transpose), is reshaped to (N, out dims) with N inferred (-1),
 * and an image output goes to NCHW again.  Reshape and flatten alike.
 */
static gan_status reshape_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    int64_t shape[4];
    const int64_t nd = (int64_t)l->out.ndim + 1;
    char sn[GAN__ONNX_NAME], a[GAN__ONNX_NAME], b[GAN__ONNX_NAME], c[GAN__ONNX_NAME];
    const char *in[2] = {gan__onnx_in(g), sn};
    (void)w;
    (void)state;
    shape[0] = -1;
    for (int k = 0; k < (int)l->out.ndim; k++)
        shape[k + 1] = l->out.d[k];
    gan__onnx_init_i64(g, "shape", &nd, 1, shape, sn);
    if (l->in.ndim == 3) {
        gan__onnx_to_nhwc(g, in[0], a);
        in[0] = a;
    }
    gan__onnx_node(g, "Reshape", in, 2, NULL, 0, b);
    if (l->out.ndim == 3) {
        gan__onnx_to_nchw(g, b, c);
        gan__onnx_out(g, c);
    } else {
        gan__onnx_out(g, b);
    }
    return g->st;
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
    .onnx = reshape_onnx,
};
const gan__layer_ops gan__flatten_ops = {
    .name = "flatten",
    .build = gan__model_append,
    .setup = flatten_setup,
    .is_view = 1,
    .onnx = reshape_onnx,
};
