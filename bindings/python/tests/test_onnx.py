"""ONNX export (issue 20): Model.export_onnx / gan_model_export_onnx.

* the bytes equal python3-onnx's serialisation of the same graph built with
  onnx.helper (a small network covering most kinds), and every export
  re-serialises to itself;
* onnx.checker (full check, with shape inference) accepts every exported
  preset and a network holding every exportable kind;
* onnxruntime-node gives libgan's sampler's images within 1e-5 for the same
  latent vectors and labels (when GAN_ONNXRUNTIME_DIR names a directory with
  node_modules/onnxruntime-node: scripts/onnxruntime.sh; ctest's onnx_export
  sets it and GAN_ONNX_REQUIRE_RUNTIME=1, which turns the skip into a
  failure);
* determinism, atomic files, clear errors.
"""

import os
import shutil
import subprocess

import numpy as np
import pytest

import libgan

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
RUNNER = os.path.join(REPO, "tests", "onnx", "run_onnxruntime.js")
ORT_DIR = os.environ.get("GAN_ONNXRUNTIME_DIR", "")
ORT_MODULES = os.path.join(ORT_DIR, "node_modules")
HAVE_ORT = bool(ORT_DIR) and os.path.isdir(os.path.join(ORT_MODULES, "onnxruntime-node")) \
    and shutil.which("node") is not None
if os.environ.get("GAN_ONNX_REQUIRE_RUNTIME") == "1" and not HAVE_ORT:
    raise RuntimeError("GAN_ONNX_REQUIRE_RUNTIME=1 but no node or onnxruntime-node under "
                       "GAN_ONNXRUNTIME_DIR=%r (bash scripts/onnxruntime.sh)" % ORT_DIR)
needs_ort = pytest.mark.skipif(not HAVE_ORT, reason="no onnxruntime-node (GAN_ONNXRUNTIME_DIR)")

GENERATORS = [p for p in libgan.preset_names() if "generator" in p]


def randomize(m, seed=1):
    """Perturb every parameter and give batchnorm non-trivial statistics, so
    that nothing the export drops (a bias, a noise strength, a moving mean)
    can hide behind an initial zero or one."""
    rng = np.random.default_rng(seed)
    for i in range(m.num_layers):
        n_params, n_state = m.layer_sizes(i)
        if n_params:
            w = m.get_params(i)
            m.set_params(i, (w + rng.normal(0, 0.05, w.shape)).astype(np.float32))
        if n_state and m.layer_kind(i) == "batchnorm":
            c = n_state // 2
            m.set_state(i, np.concatenate([rng.normal(0, 0.1, c),
                                           rng.uniform(0.5, 1.5, c)]).astype(np.float32))
    return m


def every_kind():
    """A generator with every kind the export supports, in every layout it
    handles: style input + noise + AdaIN, modulated convolutions (with and
    without demodulation), an equalised dense layer, transposed convolutions with
    'valid' padding for k > s and k < s and 'same' with k < s (output
    padding), strided and even-kernel 'same' convolutions, a one-hot class
    code on an image, a class-conditional affine map, residual blocks
    (identity, pooled and up-sampled 1x1-convolution shortcuts), average
    pooling, spectral normalisation, dropout, upsample, flatten, and a
    sigmoid output that does not saturate."""
    m = libgan.Model((8,))
    m.add_dense(16, equalized_lr=True, lr_multiplier=0.5).add_relu()
    m.add_style_input(4, 4, 6).add_noise_injection().add_adain(1e-5)
    m.add_modulated_conv2d(6, 3).add_modulated_conv2d(6, 1, demodulate=False)
    m.add_conv2d_transpose(5, kernel=3, strides=2, padding="valid", spectral_norm=True)
    m.add_leaky_relu(0.2)
    m.add_class_embedding(4)
    m.add_conv2d(4, kernel=3, strides=2, padding="valid")
    m.add_batchnorm()
    m.add_class_affine(4)
    # residual blocks: identity, pooled 1x1-conv (spectrally normalised),
    # up-sampled 1x1-conv without bias
    m.add_residual_begin().add_conv2d(4, kernel=3, strides=1, padding="same").add_residual_add()
    m.add_residual_begin().add_avgpool(2).add_conv2d(6, kernel=1, strides=1, padding="same")
    m.add_residual_conv(down=2, spectral_norm=True)
    m.add_residual_begin().add_upsample(2).add_conv2d(3, kernel=3, strides=1, padding="same")
    m.add_residual_conv(up=2, use_bias=False)
    m.add_upsample(2).add_dropout(0.3)
    m.add_conv2d_transpose(3, kernel=2, strides=3, padding="valid")
    m.add_conv2d_transpose(3, kernel=1, strides=2, padding="same", use_bias=False)
    m.add_conv2d(2, kernel=4, strides=1, padding="same", spectral_norm=True)
    m.add_flatten().add_dense(10, spectral_norm=True).add_sigmoid()
    return randomize(m, seed=7)


# ---- byte for byte against onnx.helper ------------------------------------------


def small_model():
    m = libgan.Model((4,))
    m.add_class_embedding(3, dim=2)
    m.add_dense(12)
    m.add_batchnorm()
    m.add_leaky_relu(0.2)
    m.add_reshape((2, 2, 3))
    m.add_conv2d_transpose(2, kernel=3, strides=2, padding="same")
    m.add_upsample(2)
    m.add_conv2d(1, kernel=3, strides=1, padding="same", use_bias=False)
    m.add_conv2d_transpose(1, kernel=1, strides=2, padding="same", use_bias=False)
    m.add_tanh()
    return randomize(m, seed=3)


class Graph:
    """The same graph as libgan/nn/onnx.c builds, with onnx.helper: tensors
    t0, t1, ... in order of creation, initializers l<layer>.<what>."""

    def __init__(self):
        self.nodes, self.inits, self.n, self.layer = [], [], 0, 0

    def node(self, op, inputs, **attrs):
        out = "t%d" % self.n
        self.n += 1
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def init(self, what, array, dtype=np.float32):
        name = "l%d.%s" % (self.layer, what)
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), name))
        return name


def same_pads(n_in, k, s):
    """Keras 'same': output ceil(n / s), padding total split with the odd one
    after."""
    out = -(-n_in // s)
    total = max((out - 1) * s + k - n_in, 0)
    return out, total // 2, total - total // 2


def helper_model(m):
    g = Graph()
    x = "latent"
    w = [m.get_params(i) for i in range(m.num_layers)]
    # 0 class embedding (table 3 x 2) on the vector
    g.layer = 0
    t = g.init("table", w[0].reshape(3, 2))
    e = g.node("Gather", [t, "labels"])
    x = g.node("Concat", [x, e], axis=1)
    # 1 dense 6 -> 12 with bias
    g.layer = 1
    k = g.init("kernel", w[1][:72].reshape(6, 12))
    b = g.init("bias", w[1][72:])
    x = g.node("Gemm", [x, k, b])
    # 2 batchnorm
    g.layer = 2
    st = m.get_state(2)
    names = [g.init("gamma", w[2][:12]), g.init("beta", w[2][12:]),
             g.init("moving_mean", st[:12]), g.init("moving_variance", st[12:])]
    x = g.node("BatchNormalization", [x] + names, epsilon=1e-3)
    # 3 leaky relu
    g.layer = 3
    x = g.node("LeakyRelu", [x], alpha=0.2)
    # 4 reshape (2, 2, 3): NHWC from a vector, then NCHW
    g.layer = 4
    s = g.init("shape", [-1, 2, 2, 3], np.int64)
    x = g.node("Reshape", [x, s])
    x = g.node("Transpose", [x], perm=[0, 3, 1, 2])
    # 5 conv2d_transpose 3 -> 2, 3x3, stride 2, same: (2,2) -> (4,4)
    g.layer = 5
    kk = w[5][:3 * 3 * 2 * 3].reshape(3, 3, 2, 3).transpose(3, 2, 0, 1)   # (kh,kw,F,C) -> (C,F,kh,kw)
    _, before, _ = same_pads(4, 3, 2)           # the adjoint convolution on the output
    end = 2 * (2 - 1) + 3 - before - 4
    k = g.init("kernel", kk)
    b = g.init("bias", w[5][3 * 3 * 2 * 3:])
    x = g.node("ConvTranspose", [x, k, b], kernel_shape=[3, 3], pads=[before, before, end, end],
               strides=[2, 2])
    # 6 upsample 2
    g.layer = 6
    sc = g.init("scales", [1, 1, 2, 2])
    x = g.node("Resize", [x, "", sc], coordinate_transformation_mode="asymmetric",
               mode="nearest", nearest_mode="floor")
    # 7 conv2d 2 -> 1, 3x3 same, no bias, on (8, 8)
    g.layer = 7
    _, before, after = same_pads(8, 3, 1)
    k = g.init("kernel", w[7].reshape(3, 3, 2, 1).transpose(3, 2, 0, 1))
    x = g.node("Conv", [x, k], kernel_shape=[3, 3], pads=[before, before, after, after],
               strides=[1, 1])
    # 8 conv2d_transpose 1 -> 1, 1x1, stride 2, same: (8,8) -> (16,16), output padding 1
    g.layer = 8
    _, before, _ = same_pads(16, 1, 2)
    end = 2 * (8 - 1) + 1 - before - 16
    k = g.init("kernel", w[8].reshape(1, 1, 1, 1).transpose(3, 2, 0, 1))
    assert end == -1
    x = g.node("ConvTranspose", [x, k], kernel_shape=[1, 1], output_padding=[1, 1],
               pads=[before, before, 0, 0], strides=[2, 2])
    # 9 tanh, then the NHWC output
    g.layer = 9
    x = g.node("Tanh", [x])
    x = g.node("Transpose", [x], perm=[0, 2, 3, 1])
    g.nodes.append(helper.make_node("Identity", [x], ["image"]))
    graph = helper.make_graph(
        g.nodes, "libgan",
        [helper.make_tensor_value_info("latent", TensorProto.FLOAT, ["N", 4]),
         helper.make_tensor_value_info("labels", TensorProto.INT64, ["N"])],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 16, 16, 1])],
        initializer=g.inits)
    return helper.make_model(graph, ir_version=7, producer_name="libgan",
                             producer_version=libgan.version(),
                             opset_imports=[helper.make_opsetid("", 13)])


def test_bytes_equal_onnx_helper():
    m = small_model()
    ours = m.export_onnx()
    theirs = helper_model(m).SerializeToString()
    assert ours == theirs


@pytest.mark.parametrize("name", libgan.preset_names())
def test_presets_check_and_reserialise(name):
    m = libgan.Model.preset(name)
    # Discriminators holding a kind with no ONNX form: the clear error,
    # naming the first such layer.
    unsupported = {"cgan-discriminator": "layer 7 (minibatch_discrimination)",
                   "cgan-aux-discriminator": "layer 7 (minibatch_discrimination)",
                   "resnet-cgan-discriminator": "layer 22 (class_projection)",
                   "wgan-critic-mbstd": "layer 2 (minibatch_stddev)"}
    if name in unsupported:
        with pytest.raises(libgan.UnsupportedError) as e:
            m.export_onnx()
        assert unsupported[name] + " has no ONNX form" in str(e.value)
        return
    b = m.export_onnx()
    model = onnx.load_from_string(b)
    onnx.checker.check_model(model, full_check=True)
    assert model.SerializeToString() == b
    assert model.opset_import[0].version == 13
    out = model.graph.output[0]
    dims = [d.dim_value or d.dim_param for d in out.type.tensor_type.shape.dim]
    assert dims == ["N"] + list(m.output_shape)


def test_every_kind_checks():
    m = every_kind()
    model = onnx.load_from_string(m.export_onnx())
    onnx.checker.check_model(model, full_check=True)
    ops = {n.op_type for n in model.graph.node}
    assert {"Gemm", "Expand", "InstanceNormalization", "ConvTranspose", "Conv", "Gather",
            "BatchNormalization", "Resize", "Sigmoid", "Relu", "LeakyRelu"} <= ops
    assert [i.name for i in model.graph.input] == ["latent", "labels"]


def test_deterministic_and_atomic(tmp_path):
    m = libgan.Model.preset("mnist-generator")
    a = m.export_onnx()
    assert m.export_onnx() == a
    assert libgan.Model.load_bytes(m.to_bytes()).export_onnx() == a
    path = tmp_path / "g.onnx"
    m.export_onnx(str(path))
    assert path.read_bytes() == a
    assert sorted(os.listdir(tmp_path)) == ["g.onnx"]      # no temporary left


def test_unsupported_leaves_the_file(tmp_path):
    path = tmp_path / "d.onnx"
    path.write_bytes(b"old")
    d = libgan.Model.preset("cgan-discriminator")
    with pytest.raises(libgan.UnsupportedError) as e:
        d.export_onnx(str(path))
    msg = str(e.value)
    assert "layer 7 (minibatch_discrimination)" in msg
    assert "class_embedding" in msg                        # lists what is supported
    assert path.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["d.onnx"]


def test_empty_model_and_bad_path(tmp_path):
    with pytest.raises(libgan.GanError, match="no layers"):
        libgan.Model((3,)).export_onnx()
    m = libgan.Model.preset("mnist-generator")
    with pytest.raises(OSError):
        m.export_onnx(str(tmp_path / "missing" / "g.onnx"))


# ---- onnxruntime-node gives the sampler's images ----------------------------------


def run_ort(tmp_path, m, z, labels):
    model = tmp_path / "g.onnx"
    m.export_onnx(str(model))
    z.astype("<f4").tofile(str(tmp_path / "z.f32"))
    lab = "-"
    if labels is not None:
        lab = str(tmp_path / "labels.i64")
        labels.astype("<i8").tofile(lab)
    out = tmp_path / "out.f32"
    r = subprocess.run(["node", RUNNER, str(model), str(tmp_path / "z.f32"),
                        ",".join(str(d) for d in z.shape), lab, str(out)],
                       capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, NODE_PATH=ORT_MODULES))
    assert r.returncode == 0, r.stderr
    return np.fromfile(str(out), dtype="<f4")


@needs_ort
@pytest.mark.parametrize("name", GENERATORS + ["every-kind"])
def test_onnxruntime_matches_sampler(tmp_path, name):
    m = every_kind() if name == "every-kind" else randomize(libgan.Model.preset(name))
    s = libgan.Sampler(m)
    rng = np.random.default_rng(11)
    n = 6
    z = rng.standard_normal((n, s.latent_dim)).astype(np.float32)
    labels = None
    if m.num_classes:
        labels = rng.integers(0, m.num_classes, n).astype(np.int64)
    ref = s.generate(z=z, labels=None if labels is None else labels.astype(np.int32))
    got = run_ort(tmp_path, m, z, labels).reshape(ref.shape)
    diff = float(np.abs(got - ref).max())
    assert diff <= 1e-5, "%s: max |onnxruntime - libgan| = %g" % (name, diff)
    # a real comparison: the images differ between samples and are not all
    # saturated at the tanh's bounds
    assert float(np.abs(ref[0] - ref[1]).max()) > 1e-2
    assert float(np.mean(np.abs(ref) < 0.99)) > 0.05
