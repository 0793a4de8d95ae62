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

static size_t view_workspace(const gan__layer *l, size_t batch)
{
    (void)l; (void)batch;
    return 0;
}

static void view_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    (void)l; (void)w; (void)state; (void)r;
}

const gan__layer_ops gan__reshape_ops = {
    "reshape", reshape_setup, view_workspace, view_init, NULL, NULL, 1
};
const gan__layer_ops gan__flatten_ops = {
    "flatten", flatten_setup, view_workspace, view_init, NULL, NULL, 1
};
