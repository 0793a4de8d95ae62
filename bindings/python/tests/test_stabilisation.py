"""Stabilisation features from Python: gradient penalties, minibatch
standard deviation and discrimination layers, the generator's EMA,
spectral normalisation."""

import numpy as np
import pytest

import libgan


def ring(n, rng):
    a = rng.integers(0, 8, n) * (2 * np.pi / 8)
    return np.stack([2 * np.cos(a), 2 * np.sin(a)], 1).astype(np.float32) + \
        rng.normal(0, 0.05, (n, 2)).astype(np.float32)


def test_wgan_gp_trains_and_refuses_batchnorm_critics():
    rng = np.random.default_rng(0)
    g = libgan.Model(4).add_dense(16).add_relu().add_dense(2)
    d = libgan.Model(2).add_dense(16).add_leaky_relu(0.2).add_dense(1)
    loss = libgan.Loss("wasserstein", gradient_penalty=10.0)
    t = libgan.Trainer(g, d, libgan.Adam(g, lr=1e-4, beta1=0.0), libgan.Adam(d, lr=1e-4, beta1=0.0),
                       loss, n_critic=5)
    for _ in range(3):
        stats = t.step(ring(5 * 16, rng), batch=16)
        assert np.isfinite(stats["d_loss"]) and np.isfinite(stats["g_loss"])
    bad = libgan.Model(2).add_dense(16).add_batchnorm().add_dense(1)
    with pytest.raises(libgan.GanError, match="batchnorm"):
        libgan.Trainer(g, bad, libgan.Adam(g), libgan.Adam(bad), loss)


def test_minibatch_layers_shapes_and_values():
    rng = np.random.default_rng(1)
    m = libgan.Model((4, 4, 2)).add_minibatch_stddev()
    x = rng.normal(size=(5, 4, 4, 2)).astype(np.float32)
    y = m.forward(x)
    assert y.shape == (5, 4, 4, 3)
    s = np.sqrt(x.var(axis=0) + 1e-8).mean()
    assert np.allclose(y[..., 2], s, rtol=1e-5)
    assert np.array_equal(y[..., :2], x)
    d = libgan.Model(6).add_minibatch_discrimination(3, 4)
    assert d.layer_kinds == ["minibatch_discrimination"]
    out = d.forward(rng.normal(size=(7, 6)).astype(np.float32))
    assert out.shape == (7, 9)
    # each sample is at distance 0 from itself: every similarity is >= 1
    assert (out[:, 6:] >= 1.0 - 1e-6).all()


def test_generator_ema_is_saved_and_sampled(tmp_path):
    rng = np.random.default_rng(2)
    g = libgan.Model(4).add_dense(16).add_relu().add_dense(2)
    d = libgan.Model(2).add_dense(16).add_leaky_relu(0.2).add_dense(1)
    t = libgan.Trainer(g, d, libgan.Adam(g), libgan.Adam(d), libgan.Loss(), ema_decay=0.9)
    for _ in range(3):
        t.step(ring(32, rng))
    ema = t.ema_generator()
    z = rng.normal(size=(4, 4)).astype(np.float32)
    assert not np.array_equal(ema.forward(z), g.forward(z))
    path = str(tmp_path / "run.gan")
    t.save(path)
    loaded = libgan.Trainer.load(path)
    assert np.array_equal(loaded.ema_generator().forward(z), ema.forward(z))
    plain = libgan.Trainer(g, d, libgan.Adam(g), libgan.Adam(d), libgan.Loss())
    with pytest.raises(libgan.GanError):
        plain.ema_generator()


def test_spectral_norm_dense_values_state_and_file():
    rng = np.random.default_rng(3)
    d = libgan.Model(5).add_dense(4, spectral_norm=True)
    p = d.get_params(0)
    w, b = p[:20].reshape(5, 4), rng.normal(size=4).astype(np.float32)
    d.set_params(0, np.concatenate([p[:20], b]))
    x = rng.normal(size=(3, 5)).astype(np.float32)
    u0 = d.get_state(0)
    assert u0.shape == (4,) and abs(np.linalg.norm(u0) - 1) < 1e-5
    d.forward(x)                                   # inference reads u only
    assert np.array_equal(d.get_state(0), u0)
    for _ in range(200):                           # one power iteration each
        d.forward(x, training=True)
    u = d.get_state(0)
    assert not np.array_equal(u, u0)
    # The matrix is (units x in) = w.T: sigma = |W^T u| = |w u|.
    sigma = np.linalg.norm(w.astype(np.float64) @ u)
    assert abs(sigma - np.linalg.svd(w.astype(np.float64), compute_uv=False)[0]) < 1e-5 * sigma
    y = d.forward(x)
    assert np.allclose(y, x @ (w / sigma) + b, atol=1e-5)
    back = libgan.Model.load_bytes(d.to_bytes())
    assert np.array_equal(back.get_state(0), u)
    assert np.array_equal(back.forward(x), y)
    assert "dense (sn)" in back.summary()


def test_spectral_norm_conv_layers_and_switch():
    c = libgan.Model((8, 8, 1)).add_conv2d(4, 3, strides=2, padding="same", spectral_norm=True) \
        .add_leaky_relu(0.2).add_conv2d_transpose(2, 3, strides=2, padding="same", spectral_norm=True)
    assert [c.layer_sizes(i)[1] for i in range(3)] == [4, 0, 2]
    c.set_spectral_norm(False)
    assert [c.layer_sizes(i)[1] for i in range(3)] == [0, 0, 0]
    c.set_spectral_norm(True, layer=2)
    assert [c.layer_sizes(i)[1] for i in range(3)] == [0, 0, 2]
    with pytest.raises(libgan.GanError, match="leaky_relu"):
        c.set_spectral_norm(True, layer=1)


def test_spectral_norm_discriminator_trains_with_r1():
    rng = np.random.default_rng(4)
    g = libgan.Model(4).add_dense(16).add_relu().add_dense(2)
    d = libgan.Model(2).add_dense(16, spectral_norm=True).add_leaky_relu(0.2) \
        .add_dense(1, spectral_norm=True)
    t = libgan.Trainer(g, d, libgan.Adam(g, lr=2e-4, beta1=0.5), libgan.Adam(d, lr=2e-4, beta1=0.5),
                       libgan.Loss(r1_gamma=1.0))
    u = d.get_state(0)
    for _ in range(3):
        stats = t.step(ring(16, rng), batch=16)
        assert np.isfinite(stats["d_loss"]) and np.isfinite(stats["g_loss"])
    assert not np.array_equal(d.get_state(0), u)
