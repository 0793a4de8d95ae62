/*
 * onnx.c -- a generator as an ONNX model (gan_model_export_onnx): the graph
 * builder the layer kinds' onnx ops append to (nn.h) and the ModelProto
 * around it, written with io/protobuf.c.
 *
 * The model: IR version 7, the default domain at opset 13 (ONNX 1.8;
 * onnxruntime has run it since 1.6).  Graph inputs: "latent" (N, D) -- or
 * "input" (N, H, W, C) for a model whose input is an image -- and, for a
 * conditional model, "labels" (N) int64; output "image" (N, H, W, C) (or
 * "output" (N, D) for a vector); N is the symbolic dimension "N".  Inside,
 * images are NCHW, with one Transpose at each edge.  Initializers hold the
 * parameters as raw little-endian floats, named "l<layer>.<what>".
 *
 * The bytes follow the field-number order of onnx.proto's messages, which
 * is the order protobuf serialisers write, and onnx.helper's conventions
 * (attributes sorted by name, each with its type): python3-onnx builds the
 * same graph and gets the same bytes (bindings/python/tests/test_onnx.py).
 * Nothing depends on time, addresses or the machine: the same model gives
 * the same file.
 *
 * onnx.proto field numbers used:
 *   ModelProto     1 ir_version  2 producer_name  3 producer_version
 *                  7 graph  8 opset_import
 *   OperatorSetIdProto  1 domain  2 version
 *   GraphProto     1 node  2 name  5 initializer  11 input  12 output
 *   NodeProto      1 input  2 output  4 op_type  5 attribute
 *   AttributeProto 1 name  2 f  3 i  4 s  8 ints (proto2: not packed)  20 type
 *   TensorProto    1 dims (not packed)  2 data_type  8 name  9 raw_data
 *   ValueInfoProto 1 name  2 type;  TypeProto 1 tensor_type;
 *   TypeProto.Tensor 1 elem_type  2 shape;  TensorShapeProto 1 dim;
 *   Dimension      1 dim_value  2 dim_param
 */
#include <stdio.h>
#include <string.h>

#include "nn/nn.h"

#define ONNX_IR_VERSION 7
#define ONNX_OPSET 13
enum { ONNX_FLOAT = 1, ONNX_INT64 = 7 };
enum { ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_INTS = 7 };

gan_status gan__onnx_fail(gan__onnx *g, gan_status st)
{
    if (g->st == GAN_OK)
        g->st = st;
    return g->st;
}

const char *gan__onnx_in(const gan__onnx *g)
{
    return g->cur;
}

void gan__onnx_out(gan__onnx *g, const char *name)
{
    if (name != g->cur)
        snprintf(g->cur, sizeof g->cur, "%s", name);
}

static void onnx_attr(gan__wbuf *b, const gan__onnx_attr *a)
{
    gan__wbuf m = {0};
    gan__pb_str(&m, 1, a->name);
    switch (a->type) {
    case 'f':
        gan__pb_float(&m, 2, a->f);
        gan__pb_int(&m, 20, ATTR_FLOAT);
        break;
    case 'i':
        gan__pb_int(&m, 3, a->i);
        gan__pb_int(&m, 20, ATTR_INT);
        break;
    case 's':
        gan__pb_str(&m, 4, a->s);
        gan__pb_int(&m, 20, ATTR_STRING);
        break;
    default: /* 'I' */
        for (size_t k = 0; k < a->n; k++)
            gan__pb_int(&m, 8, a->ints[k]);
        gan__pb_int(&m, 20, ATTR_INTS);
        break;
    }
    gan__pb_msg(b, 5, &m);
    gan__wb_free(&m);
}

void gan__onnx_node(gan__onnx *g, const char *op, const char *const *in, size_t n_in,
                    const gan__onnx_attr *attrs, size_t n_attrs, char *out)
{
    gan__wbuf m = {0};
    snprintf(out, GAN__ONNX_NAME, "t%u", g->next++);
    if (g->st != GAN_OK)
        return;
    for (size_t k = 0; k < n_in; k++)
        gan__pb_str(&m, 1, in[k]);
    gan__pb_str(&m, 2, out);
    gan__pb_str(&m, 4, op);
    for (size_t k = 0; k < n_attrs; k++)
        onnx_attr(&m, &attrs[k]);
    gan__pb_msg(&g->nodes, 1, &m);
    gan__wb_free(&m);
}

static void onnx_init(gan__onnx *g, const char *what, int type, const int64_t *dims, size_t nd,
                      const void *data, size_t elem, char *name)
{
    gan__wbuf t = {0};
    size_t count = 1;
    snprintf(name, GAN__ONNX_NAME, "l%zu.%s", g->layer, what);
    if (g->st != GAN_OK)
        return;
    for (size_t k = 0; k < nd; k++) {
        gan__pb_int(&t, 1, dims[k]);
        count *= (size_t)dims[k];
    }
    gan__pb_int(&t, 2, type);
    gan__pb_str(&t, 8, name);
    /* raw_data: little-endian values (gan__wb_f32 / two u32 halves). */
    gan__pb_varint(&t, (9u << 3) | 2u);
    gan__pb_varint(&t, (uint64_t)(count * elem));
    for (size_t k = 0; k < count; k++) {
        if (type == ONNX_FLOAT) {
            gan__wb_f32(&t, ((const float *)data)[k]);
        } else {
            const uint64_t v = (uint64_t)((const int64_t *)data)[k];
            gan__wb_u64(&t, v);
        }
    }
    gan__pb_msg(&g->inits, 5, &t);
    gan__wb_free(&t);
}

void gan__onnx_init_f32(gan__onnx *g, const char *what, const int64_t *dims, size_t nd,
                        const float *data, char *name)
{
    onnx_init(g, what, ONNX_FLOAT, dims, nd, data, 4, name);
}

void gan__onnx_init_i64(gan__onnx *g, const char *what, const int64_t *dims, size_t nd,
                        const int64_t *data, char *name)
{
    onnx_init(g, what, ONNX_INT64, dims, nd, data, 8, name);
}

static void onnx_transpose(gan__onnx *g, const char *x, const int64_t perm[4], char *out)
{
    const gan__onnx_attr a = {.name = "perm", .type = 'I', .ints = perm, .n = 4};
    gan__onnx_node(g, "Transpose", &x, 1, &a, 1, out);
}

void gan__onnx_upsample(gan__onnx *g, const char *x, int f, char *out)
{
    const float scales[4] = {1.0f, 1.0f, (float)f, (float)f};
    const int64_t four = 4;
    const gan__onnx_attr a[3] = {
        {.name = "coordinate_transformation_mode", .type = 's', .s = "asymmetric"},
        {.name = "mode", .type = 's', .s = "nearest"},
        {.name = "nearest_mode", .type = 's', .s = "floor"}};
    char sn[GAN__ONNX_NAME];
    const char *in[3] = {x, "", sn};
    gan__onnx_init_f32(g, "scales", &four, 1, scales, sn);
    gan__onnx_node(g, "Resize", in, 3, a, 3, out);
}

void gan__onnx_avgpool(gan__onnx *g, const char *x, int f, char *out)
{
    const int64_t k[2] = {f, f};
    const gan__onnx_attr a[2] = {{.name = "kernel_shape", .type = 'I', .ints = k, .n = 2},
                                 {.name = "strides", .type = 'I', .ints = k, .n = 2}};
    const char *in[1] = {x};
    gan__onnx_node(g, "AveragePool", in, 1, a, 2, out);
}

void gan__onnx_to_nhwc(gan__onnx *g, const char *x, char *out)
{
    static const int64_t perm[4] = {0, 2, 3, 1};
    onnx_transpose(g, x, perm, out);
}

void gan__onnx_to_nchw(gan__onnx *g, const char *x, char *out)
{
    static const int64_t perm[4] = {0, 3, 1, 2};
    onnx_transpose(g, x, perm, out);
}

/* ValueInfoProto of a graph input or output: (N, dims of s) floats, or
   (N) int64 for the labels (s NULL). */
static void onnx_value_info(gan__wbuf *b, uint32_t field, const char *name, const gan__shape *s)
{
    gan__wbuf vi = {0}, type = {0}, tt = {0}, shape = {0}, dim = {0};
    gan__pb_str(&dim, 2, "N");
    gan__pb_msg(&shape, 1, &dim);
    for (int k = 0; s && k < (int)s->ndim; k++) {
        dim.len = 0;
        gan__pb_int(&dim, 1, s->d[k]);
        gan__pb_msg(&shape, 1, &dim);
    }
    gan__pb_int(&tt, 1, s ? ONNX_FLOAT : ONNX_INT64);
    gan__pb_msg(&tt, 2, &shape);
    gan__pb_msg(&type, 1, &tt);
    gan__pb_str(&vi, 1, name);
    gan__pb_msg(&vi, 2, &type);
    gan__pb_msg(b, field, &vi);
    gan__wb_free(&vi);
    gan__wb_free(&type);
    gan__wb_free(&tt);
    gan__wb_free(&shape);
    gan__wb_free(&dim);
}

static int onnx_has_op(const gan__layer_ops *ops)
{
    return ops->onnx != NULL;
}

/* Every layer's ONNX form, or the first that has none. */
static gan_status onnx_check_layers(const gan_model *m, const char *func)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        const gan__layer *l = &m->layers[i];
        if (!l->ops->onnx) {
            char kinds[512];
            return gan__err(GAN_EUNSUPPORTED, "%s: layer %zu (%s) has no ONNX form; the export "
                            "supports %s", func, i, l->ops->name,
                            gan__layer_kinds_where(onnx_has_op, kinds, sizeof kinds));
        }
    }
    return GAN_OK;
}

/* The graph's nodes and initializers, layer by layer. */
static gan_status onnx_layers(const gan_model *m, gan__onnx *g, const char *func)
{
    float *sn = NULL;
    size_t sn_cap = 0;
    for (size_t i = 0; i < m->n_layers && g->st == GAN_OK; i++) {
        const gan__layer *l = &m->layers[i];
        const float *w = l->n_params ? m->params + l->param_off : NULL;
        const float *state = l->n_state ? m->state + l->state_off : NULL;
        gan_status st;
        g->layer = i;
        if (l->spectral_norm) {
            if (l->n_params > sn_cap) {
                float *p = gan__realloc(sn, l->n_params * sizeof(float));
                if (!p) {
                    gan__free(sn);
                    return gan__onnx_fail(g, gan__err(GAN_ENOMEM, "%s: out of memory", func));
                }
                sn = p;
                sn_cap = l->n_params;
            }
            if ((st = gan__sn_weights(l, w, state, sn)) != GAN_OK) {
                gan__free(sn);
                return gan__onnx_fail(g, st);
            }
            w = sn;
            state = NULL;
        }
        st = l->ops->onnx(l, g, w, state);
        if (st != GAN_OK) {
            gan__err_prefix("%s: layer %zu (%s)", func, i, l->ops->name);
            gan__onnx_fail(g, st);
        }
    }
    gan__free(sn);
    if (g->st == GAN_OK && (g->nodes.failed || g->inits.failed))
        g->st = gan__err(GAN_ENOMEM, "%s: out of memory", func);
    return g->st;
}

gan_status gan_model_export_onnx_mem(const gan_model *m, void **buf, size_t *len)
{
    static const char func[] = "gan_model_export_onnx";
    gan__onnx g;
    gan__wbuf graph = {0}, model = {0}, opset = {0};
    gan__shape out_shape;
    gan_status st;
    char x[GAN__ONNX_NAME];
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(buf != NULL);
    GAN__CHECK_ARG(len != NULL);
    *buf = NULL;
    *len = 0;
    if (m->n_layers == 0)
        return gan__err(GAN_ESTATE, "%s: the model has no layers", func);
    if ((st = onnx_check_layers(m, func)) != GAN_OK)
        return st;
    memset(&g, 0, sizeof g);
    out_shape = m->layers[m->n_layers - 1].out;

    /* The input, NCHW inside for an image. */
    g.layer = 0;
    snprintf(g.cur, sizeof g.cur, "%s", m->in.ndim == 3 ? "input" : "latent");
    if (m->in.ndim == 3) {
        gan__onnx_to_nchw(&g, g.cur, x);
        gan__onnx_out(&g, x);
    }
    if ((st = onnx_layers(m, &g, func)) != GAN_OK)
        goto done;
    /* The output as libgan lays it out, under its graph name. */
    {
        const char *name = out_shape.ndim == 3 ? "image" : "output";
        const char *in = g.cur;
        gan__wbuf m2 = {0};
        if (out_shape.ndim == 3) {
            gan__onnx_to_nhwc(&g, g.cur, x);
            in = x;
        }
        /* Identity under the output's name: its producer's output. */
        gan__pb_str(&m2, 1, in);
        gan__pb_str(&m2, 2, name);
        gan__pb_str(&m2, 4, "Identity");
        gan__pb_msg(&g.nodes, 1, &m2);
        gan__wb_free(&m2);
    }

    /* GraphProto: node, name, initializer, input, output. */
    gan__wb_put(&graph, g.nodes.p, g.nodes.len);
    gan__pb_str(&graph, 2, "libgan");
    gan__wb_put(&graph, g.inits.p, g.inits.len);
    onnx_value_info(&graph, 11, m->in.ndim == 3 ? "input" : "latent", &m->in);
    if (g.uses_labels)
        onnx_value_info(&graph, 11, "labels", NULL);
    onnx_value_info(&graph, 12, out_shape.ndim == 3 ? "image" : "output", &out_shape);

    /* ModelProto: ir_version, producer, graph, opset_import. */
    gan__pb_int(&model, 1, ONNX_IR_VERSION);
    gan__pb_str(&model, 2, "libgan");
    gan__pb_str(&model, 3, gan_version());
    gan__pb_msg(&model, 7, &graph);
    gan__pb_str(&opset, 1, "");
    gan__pb_int(&opset, 2, ONNX_OPSET);
    gan__pb_msg(&model, 8, &opset);
    if (graph.failed || model.failed || opset.failed || g.nodes.failed) {
        st = gan__err(GAN_ENOMEM, "%s: out of memory", func);
        goto done;
    }
    *buf = model.p;
    *len = model.len;
    model.p = NULL;
done:
    gan__wb_free(&g.nodes);
    gan__wb_free(&g.inits);
    gan__wb_free(&graph);
    gan__wb_free(&model);
    gan__wb_free(&opset);
    return st;
}

gan_status gan_model_export_onnx(const gan_model *m, const char *path)
{
    void *buf;
    size_t len;
    gan_status st;
    GAN__CHECK_ARG(path != NULL);
    if ((st = gan_model_export_onnx_mem(m, &buf, &len)) != GAN_OK)
        return st;
    st = gan__write_file_atomic(path, buf, len);
    gan__free(buf);
    return st;
}
