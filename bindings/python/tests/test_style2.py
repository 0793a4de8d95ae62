"""StyleGAN2-lite from Python (issue 21): the modulated convolution against
NumPy, the equalised dense layer and its learning-rate multiplier, lazy R1
in the trainer, and the style2-generator preset."""

import numpy as np
import pytest

import libgan


def modconv_numpy(x, v, p, k, f, demod, eq):
    """modulated_conv2d's definition in float64: x (N, H, W, C), v (N, D)."""
    n, h, w, c = x.shape
    d = v.shape[1]
    K = k * k * c
    W = p[:K * f].reshape(k, k, c, f).astype(np.float64)
    bias = p[K * f:K * f + f].astype(np.float64)
    A = p[K * f + f:K * f + f + d * c].reshape(d, c).astype(np.float64)
    a = p[K * f + f + d * c:].astype(np.float64)
    cw, ca = (1 / np.sqrt(K), 1 / np.sqrt(d)) if eq else (1.0, 1.0)
    s = cw * (ca * v.astype(np.float64) @ A + a)             # (N, C)
    pad = (k - 1) // 2
    xp = np.pad(x.astype(np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    y = np.zeros((n, h, w, f))
    for i in range(n):
        wm = W * s[i][None, None, :, None]
        if demod:
            wm = wm / np.sqrt((wm ** 2).sum(axis=(0, 1, 2)) + 1e-8)
        for ky in range(k):
            for kx in range(k):
                y[i] += xp[i, ky:ky + h, kx:kx + w, :] @ wm[ky, kx]
    return y + bias


@pytest.mark.parametrize("demod,eq", [(True, True), (False, True), (True, False)])
def test_modulated_conv_against_numpy(demod, eq):
    rng = np.random.default_rng(1)
    m = libgan.Model(5).add_style_input(4, 3, 2).add_modulated_conv2d(3, 3, demod, eq)
    assert m.layer_kinds == ["style_input", "modulated_conv2d"]
    assert libgan.LAYER_KINDS[25] == "modulated_conv2d"
    n_params = 3 * 3 * 2 * 3 + 3 + 5 * 2 + 2
    assert m.layer_sizes(1) == (n_params, 0) and m.output_shape == (4, 3, 3)
    const = rng.normal(size=24).astype(np.float32)
    p = rng.uniform(-1, 1, size=n_params).astype(np.float32)
    m.set_params(0, const).set_params(1, p)
    v = rng.normal(size=(3, 5)).astype(np.float32)
    y = m.forward(v)
    x = np.broadcast_to(const.reshape(1, 4, 3, 2), (3, 4, 3, 2))
    assert np.allclose(y, modconv_numpy(x, v, p, 3, 3, demod, eq), atol=1e-5)
    m.close()


def test_builder_errors():
    with pytest.raises(libgan.InvalidArgumentError, match="style input"):
        libgan.Model((4, 4, 1)).add_modulated_conv2d(3)
    m = libgan.Model(4).add_style_input(4, 4, 2)
    with pytest.raises(libgan.InvalidArgumentError, match="odd"):
        m.add_modulated_conv2d(3, kernel=2)
    with pytest.raises(libgan.InvalidArgumentError, match="lr_multiplier"):
        libgan.Model(4).add_dense(3, lr_multiplier=0.01)
    m.close()


def test_equalized_dense():
    rng = np.random.default_rng(2)
    m = libgan.Model(4).add_dense(3, equalized_lr=True, lr_multiplier=0.01)
    w = m.get_params(0)
    assert np.abs(w[:12]).max() > 10 and not w[12:].any()  # N(0, 1) / 0.01, bias 0
    x = rng.normal(size=(2, 4)).astype(np.float32)
    w = rng.normal(size=15).astype(np.float32) * 100
    m.set_params(0, w)
    ref = x @ w[:12].reshape(4, 3) * 0.01 / 2 + 0.01 * w[12:]
    assert np.allclose(m.forward(x), ref, atol=1e-5)
    # survives the file
    back = libgan.Model.load_bytes(m.to_bytes())
    assert np.array_equal(back.forward(x), m.forward(x))
    # the gain multiplies the kernel's scale, not the bias
    g = libgan.Model(4).add_dense(3, equalized_lr=True, lr_multiplier=0.01, equalized_gain=2 ** 0.5)
    g.set_params(0, w)
    ref = x @ w[:12].reshape(4, 3) * 2 ** 0.5 * 0.01 / 2 + 0.01 * w[12:]
    assert np.allclose(g.forward(x), ref, atol=1e-5)
    with pytest.raises(libgan.InvalidArgumentError, match="equalized_gain"):
        libgan.Model(4).add_dense(3, equalized_gain=2.0)
    m.close()
    back.close()
    g.close()


def test_lazy_r1_trainer():
    def pair(r1_every):
        g = libgan.Model(4).add_dense(8).add_relu().add_dense(2).init_params(1)
        d = libgan.Model(2).add_dense(8).add_leaky_relu(0.2).add_dense(1).init_params(2)
        loss = libgan.Loss("bce", r1_gamma=1.0)
        return libgan.Trainer(g, d, libgan.Optimizer(g, "adam", lr=1e-2), libgan.Optimizer(d, "adam", lr=1e-2),
                              loss, r1_every=r1_every)
    x = np.random.default_rng(3).uniform(-1, 1, size=(16, 2)).astype(np.float32)
    lazy, every = pair(4), pair(1)
    # The first update has no penalty when lazy: the losses differ.
    assert lazy.step(x)["d_loss"] != every.step(x)["d_loss"]
    back = libgan.Trainer.load_bytes(lazy.to_bytes())
    for t in (lazy, back):
        for _ in range(3):
            t.step(x)
    assert np.array_equal(lazy.discriminator.get_params(0), back.discriminator.get_params(0))
    with pytest.raises(libgan.InvalidArgumentError, match="r1_every"):
        pair(0)


def test_style2_preset():
    assert "style2-generator" in libgan.preset_names()
    assert libgan.preset_latent_dim("style2-generator") == 128
    with libgan.Model.preset("style2-generator") as g:
        assert g.output_shape == (28, 28, 1) and g.param_count == 249249
        assert g.layer_kinds.count("modulated_conv2d") == 6
        y = g.forward(np.random.default_rng(0).normal(size=(2, 128)).astype(np.float32))
        assert np.isfinite(y).all() and np.abs(y).max() <= 1



@pytest.mark.parametrize("wide, narrow, params", [
    ("style2-wide-generator", "style2-generator", 708929),
    ("resnet-wide-generator", "resnet-generator", 1242369),
])
def test_wide_presets(wide, narrow, params):
    """The generators at twice the channels: the narrow ones' layers, more parameters."""
    assert libgan.preset_latent_dim(wide) == 128
    with libgan.Model.preset(wide) as g, libgan.Model.preset(narrow) as small:
        assert g.output_shape == (28, 28, 1) and g.param_count == params
        assert g.layer_kinds == small.layer_kinds
        y = g.forward(np.random.default_rng(0).normal(size=(2, 128)).astype(np.float32))
        assert np.isfinite(y).all() and np.abs(y).max() <= 1
