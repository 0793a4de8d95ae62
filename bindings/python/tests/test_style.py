"""Style modulation from Python: the style input and adain layers, a
style-based generator's forward against NumPy, its gradients against
finite differences, sampling, files, training and the preset."""

import numpy as np
import pytest

import libgan


def adain_numpy(x, s, a, eps):
    """adain's definition in float64: x (N, H, W, C), s (N, D), a = [A, b]."""
    n, h, w, c = x.shape
    d = s.shape[1]
    A = a[:d * 2 * c].reshape(d, 2 * c).astype(np.float64)
    b = a[d * 2 * c:].astype(np.float64)
    gb = s.astype(np.float64) @ A + b
    gamma, beta = gb[:, :c], gb[:, c:]
    mu = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    xhat = (x - mu) / np.sqrt(var + eps)
    return (1 + gamma[:, None, None, :]) * xhat + beta[:, None, None, :]


def style_generator(latent=6):
    g = (libgan.Model(latent).add_dense(8).add_leaky_relu(0.2).add_dense(8).add_leaky_relu(0.2)
         .add_style_input(4, 4, 3).add_adain()
         .add_conv2d_transpose(4, 3, strides=2, padding="same", use_bias=False)
         .add_leaky_relu(0.2).add_adain()
         .add_conv2d(1, 3, padding="same").add_tanh())
    return g.init_params(3)


def test_layers_shapes_and_values():
    rng = np.random.default_rng(0)
    m = libgan.Model(5).add_style_input(3, 2, 4).add_adain(1e-3)
    assert m.layer_kinds == ["style_input", "adain"]
    assert m.shape(0) == (3, 2, 4) and m.output_shape == (3, 2, 4)
    assert m.layer_sizes(0) == (24, 0) and m.layer_sizes(1) == (5 * 8 + 8, 0)
    k = rng.normal(size=24).astype(np.float32)
    a = rng.uniform(-1, 1, size=48).astype(np.float32)
    m.set_params(0, k).set_params(1, a)
    z = rng.normal(size=(4, 5)).astype(np.float32)
    y = m.forward(z)
    const = np.broadcast_to(k.reshape(1, 3, 2, 4), (4, 3, 2, 4)).astype(np.float64)
    assert np.allclose(y, adain_numpy(const, z, a, 1e-3), atol=1e-5)
    # the same constant, different styles: different images
    assert not np.allclose(y[0], y[1])


def test_builder_errors():
    with pytest.raises(libgan.InvalidArgumentError, match="style input"):
        libgan.Model(4).add_adain()
    with pytest.raises(libgan.ShapeError, match="vector"):
        libgan.Model((4, 4, 1)).add_style_input(4, 4, 2)
    m = libgan.Model(4).add_style_input(4, 4, 2)
    with pytest.raises(libgan.InvalidArgumentError, match="at most one"):
        m.add_style_input(4, 4, 2)
    with pytest.raises(libgan.InvalidArgumentError, match="epsilon"):
        m.add_adain(0.0)
    assert len(m) == 1


def test_gradient_of_the_latent_matches_finite_differences():
    rng = np.random.default_rng(1)
    g = (libgan.Model(3).add_dense(5).add_tanh().add_style_input(3, 3, 2)
         .add_conv2d(3, 3, padding="same").add_adain().add_tanh()
         .add_conv2d(2, 3, padding="same").add_adain())
    g.init_params(4)
    z = rng.normal(size=(2, 3)).astype(np.float32)
    r = rng.uniform(-1, 1, size=(2,) + g.output_shape).astype(np.float32)
    g.forward(z, training=True)
    dz = g.backward(r)
    eps = 1e-2
    for i in range(2):
        for j in range(3):
            zp, zm = z.copy(), z.copy()
            zp[i, j] += eps
            zm[i, j] -= eps
            num = (np.sum(g.forward(zp) * r, dtype=np.float64) -
                   np.sum(g.forward(zm) * r, dtype=np.float64)) / (2 * eps)
            assert abs(num - dz[i, j]) <= 2e-3 * max(1.0, abs(num)), (i, j, num, dz[i, j])
    assert np.abs(dz).max() > 1e-2


def test_sampler_and_files_reproduce_forward(tmp_path):
    g = style_generator()
    z = np.random.default_rng(2).normal(size=(8, 6)).astype(np.float32)
    y = g.forward(z)
    s = libgan.Sampler(g, max_batch=8)
    assert np.array_equal(s.generate(z=z), y)
    path = str(tmp_path / "style.gan")
    g.save(path)
    back = libgan.Model.load(path)
    assert back.layer_kinds == g.layer_kinds
    assert np.array_equal(back.forward(z), y)
    assert "adain" in libgan.file_info(path)


def test_trains_with_the_trainer():
    rng = np.random.default_rng(3)
    g = style_generator()
    d = (libgan.Model((8, 8, 1)).add_conv2d(8, 3, strides=2, padding="same").add_leaky_relu(0.2)
         .add_flatten().add_dense(1))
    before = g.get_params(5).copy()  # the first adain's style kernel
    t = libgan.Trainer(g, d, libgan.Adam(g, lr=1e-3), libgan.Adam(d, lr=1e-3), libgan.Loss())
    real = np.tanh(rng.normal(size=(16, 8, 8, 1))).astype(np.float32)
    for _ in range(3):
        stats = t.step(real, batch=16)
        assert np.isfinite(stats["g_loss"]) and np.isfinite(stats["d_loss"])
    assert not np.array_equal(before, g.get_params(5))


def test_noise_injection():
    x = np.random.default_rng(4).normal(size=(3, 5, 5, 2)).astype(np.float32)
    m = libgan.Model((5, 5, 2)).add_noise_injection()
    assert m.layer_kinds == ["noise_injection"] and m.layer_sizes(0) == (2, 0)
    assert np.array_equal(m.forward(x, training=True), x)  # strength 0: identity
    m.set_params(0, np.array([1.0, -0.5], np.float32))
    y = m.forward(x)
    e = y - x
    assert np.allclose(e[..., 1], -0.5 * e[..., 0], atol=1e-6)
    assert np.allclose(e[0], e[2], atol=1e-6)  # inference: one fixed map
    m.set_seed(1)
    t = m.forward(x, training=True) - x
    assert not np.allclose(t[0], t[2])      # training: fresh noise per sample
    with pytest.raises(libgan.ShapeError, match="image input"):
        libgan.Model(4).add_noise_injection()


def test_preset():
    assert "style-generator" in libgan.preset_names()
    assert libgan.preset_latent_dim("style-generator") == 100
    g = libgan.Model.preset("style-generator")
    assert g.output_shape == (28, 28, 1)
    assert g.layer_kinds.count("adain") == 4 and g.layer_kinds.count("style_input") == 1
    assert g.param_count == 546785
