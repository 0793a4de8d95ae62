"""Conditional GANs from Python: class embedding and projection layers,
labelled forwards, trainer steps and fit with labels, labelled sampling,
checkpoints, and the errors of calls without (or with needless) labels."""

import numpy as np
import pytest

import libgan


def modes(labels):
    a = labels * (2 * np.pi / 3)
    return np.stack([2 * np.cos(a), 2 * np.sin(a)], 1).astype(np.float32)


def make_pair(seed=0):
    g = libgan.Model(3).add_class_embedding(3).add_dense(16).add_leaky_relu(0.2).add_dense(2)
    d = libgan.Model(2).add_dense(16).add_leaky_relu(0.2).add_class_projection(3)
    g.init_params(seed)
    d.init_params(seed + 1)
    opt = dict(lr=2e-3, beta1=0.5)
    return g, d, libgan.Trainer(g, d, libgan.Adam(g, **opt), libgan.Adam(d, **opt), libgan.Loss(),
                                seed=seed + 2)


def test_layers_values_and_kinds():
    rng = np.random.default_rng(0)
    m = libgan.Model(3).add_class_embedding(4, 2)
    assert m.num_classes == 4 and m.layer_kinds == ["class_embedding"]
    x = rng.normal(size=(5, 3)).astype(np.float32)
    lab = np.array([3, 0, 2, 2, 1], dtype=np.int64)   # converted to int32
    y = m.forward(x, labels=lab)
    table = m.get_params(0).reshape(4, 2)
    assert np.array_equal(y[:, :3], x) and np.array_equal(y[:, 3:], table[lab])
    onehot = libgan.Model(3).add_class_embedding(4).forward(x, labels=lab)
    assert np.array_equal(onehot[:, 3:], np.eye(4, dtype=np.float32)[lab])

    p = libgan.Model(5).add_class_projection(3)
    w = rng.normal(size=5 + 1 + 15).astype(np.float32)
    p.set_params(0, w)
    h = rng.normal(size=(6, 5)).astype(np.float32)
    lab = [0, 2, 1, 1, 0, 2]
    want = h @ w[:5] + w[5] + np.einsum("nf,nf->n", h, w[6:].reshape(3, 5)[lab])
    assert np.allclose(p.forward(h, labels=lab)[:, 0], want, atol=1e-5)
    # one int labels the whole batch
    assert np.allclose(p.forward(h, labels=2)[:, 0],
                       h @ w[:5] + w[5] + h @ w[6:].reshape(3, 5)[2], atol=1e-5)
    assert libgan.Model(2).add_dense(1).num_classes == 0


def test_backward_uses_the_forward_labels():
    rng = np.random.default_rng(1)
    m = libgan.Model(4).add_class_projection(2)
    m.set_params(0, rng.normal(size=4 + 1 + 8).astype(np.float32))
    h = rng.normal(size=(3, 4)).astype(np.float32)
    m.forward(h, training=True, labels=[1, 0, 1])
    dx = m.backward(np.ones((3, 1), np.float32))
    w = m.get_params(0)
    v = w[5:].reshape(2, 4)
    assert np.allclose(dx, w[:4] + v[[1, 0, 1]], atol=1e-6)


def test_errors():
    m = libgan.Model(3).add_class_projection(3)
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(libgan.InvalidArgumentError, match="gan_model_forward_labeled"):
        m.forward(x)
    with pytest.raises(libgan.InvalidArgumentError, match="label 1 is 3"):
        m.forward(x, labels=[0, 3])
    with pytest.raises(libgan.ShapeError):
        m.forward(x, labels=[0, 1, 2])
    with pytest.raises(libgan.InvalidArgumentError, match="no class layer"):
        libgan.Model(3).add_dense(1).forward(x, labels=[0, 1])
    with pytest.raises(libgan.InvalidArgumentError, match="differs"):
        libgan.Model(3).add_class_embedding(3).add_class_projection(4)
    g = libgan.Model(3).add_class_embedding(3).add_dense(2)
    d = libgan.Model(2).add_dense(1)
    with pytest.raises(libgan.InvalidArgumentError, match="only the generator"):
        libgan.Trainer(g, d, libgan.Adam(g), libgan.Adam(d), libgan.Loss())


def test_training_learns_the_classes_and_resumes(tmp_path):
    rng = np.random.default_rng(2)
    g, d, t = make_pair()
    with pytest.raises(libgan.InvalidArgumentError, match="step_labeled"):
        t.step(np.zeros((8, 2), np.float32))
    for _ in range(1200):
        lab = rng.integers(0, 3, 64)
        x = modes(lab) + rng.normal(0, 0.05, (64, 2)).astype(np.float32)
        stats = t.step(x, labels=lab)
    assert np.isfinite(stats["d_loss"])
    s = libgan.Sampler(g, seed=1)
    for k in range(3):
        pts = s.generate(300, labels=k)
        near = np.linalg.norm(pts - modes(np.array([k]))[0], axis=1) < 0.5
        assert near.mean() > 0.9, (k, near.mean())
    with pytest.raises(libgan.InvalidArgumentError, match="conditional"):
        s.generate(4)
    # a checkpoint resumes exactly (fake labels come from the saved stream)
    path = str(tmp_path / "c.gan")
    t.save(path)
    loaded = libgan.Model.load(path)
    assert loaded.num_classes == 3
    z = s.latent(5)
    assert np.array_equal(libgan.Sampler(loaded).generate(z=z, labels=[0, 1, 2, 0, 1]),
                          s.generate(z=z, labels=[0, 1, 2, 0, 1]))
    lab = rng.integers(0, 3, 32)
    x = modes(lab)
    a = t.step(x, labels=lab)
    b = libgan.Trainer.load(path).step(x, labels=lab)
    assert a == b


def test_fit_uses_the_dataset_labels():
    rng = np.random.default_rng(3)
    g, d, t = make_pair(5)
    lab = rng.integers(0, 3, 96)
    ds = libgan.Dataset.from_array(modes(lab), labels=lab)
    ds.set_batching(32)
    steps = []
    t.fit(ds, epochs=1, on_step=lambda step, stats: steps.append(step))
    assert steps == [1, 2, 3]
    with pytest.raises(libgan.InvalidArgumentError, match="no labels"):
        t.fit(libgan.Dataset.from_array(modes(lab)), epochs=1)


def test_cgan_presets_sample_by_class():
    g = libgan.Model.preset("cgan-generator")
    assert g.num_classes == 10 and g.layer_kinds[0] == "class_embedding"
    dsc = libgan.Model.preset("cgan-discriminator")
    assert dsc.layer_kinds[-1] == "class_projection"
    s = libgan.Sampler(g, seed=0)
    z = s.latent(10)
    img = s.generate(z=z, labels=np.arange(10), uint8=True)
    assert img.shape == (10, 28, 28, 1) and img.dtype == np.uint8
    f = s.generate(z=z, labels=list(range(10)))
    assert np.array_equal(g.forward(z, labels=np.arange(10)), f)


def test_auxiliary_classifier_head_and_loss(tmp_path):
    """AC-GAN from Python: the head's outputs against NumPy, the class loss
    against log-softmax in NumPy, and a short run whose D classifies the
    real classes and whose weight survives a checkpoint."""
    rng = np.random.default_rng(3)
    F, K = 5, 3
    p = libgan.Model(F).add_class_projection_aux(K)
    assert p.layer_kinds == ["class_projection_aux"] and p.num_classes == K
    w = rng.normal(size=F + 1 + 2 * K * F + K).astype(np.float32)
    p.set_params(0, w)
    h = rng.normal(size=(6, F)).astype(np.float32)
    lab = np.array([0, 2, 1, 1, 0, 2])
    out = p.forward(h, labels=lab)
    V, U, c = w[F + 1:F + 1 + K * F].reshape(K, F), w[F + 1 + K * F:-K].reshape(K, F), w[-K:]
    assert out.shape == (6, 1 + K)
    assert np.allclose(out[:, 0], h @ w[:F] + w[F] + np.einsum("nf,nf->n", h, V[lab]), atol=1e-5)
    assert np.allclose(out[:, 1:], h @ U.T + c, atol=1e-5)

    loss = libgan.Loss("hinge", class_weight=0.5)
    value, grad = loss.class_loss(out, lab)
    z = out[:, 1:].astype(np.float64)
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    assert np.isclose(value, -0.5 * logp[np.arange(6), lab].mean(), rtol=1e-5)
    want = 0.5 / 6 * (np.exp(logp) - np.eye(K)[lab])
    assert np.allclose(grad[:, 1:], want, atol=1e-6) and not grad[:, 0].any()
    with pytest.raises(libgan.InvalidArgumentError, match="label 1 is 3"):
        loss.class_loss(out[:2], [0, 3])

    g = libgan.Model(3).add_class_embedding(3).add_dense(16).add_leaky_relu(0.2).add_dense(2)
    d = libgan.Model(2).add_dense(16).add_leaky_relu(0.2).add_class_projection_aux(3)
    g.init_params(0)
    d.init_params(1)
    opt = dict(lr=2e-3, beta1=0.5)
    plain = libgan.Model(2).add_dense(16).add_class_projection(3)
    with pytest.raises(libgan.InvalidArgumentError, match="class_projection_aux"):
        libgan.Trainer(g, plain, libgan.Adam(g), libgan.Adam(plain), loss)
    t = libgan.Trainer(g, d, libgan.Adam(g, **opt), libgan.Adam(d, **opt),
                       libgan.Loss("hinge", class_weight=1.0), seed=2)
    for _ in range(400):
        lab = rng.integers(0, 3, 32)
        t.step(modes(lab) + rng.normal(0, 0.05, (32, 2)).astype(np.float32), labels=lab)
    lab = rng.integers(0, 3, 300)
    logits = d.forward(modes(lab), labels=lab)[:, 1:]
    assert (logits.argmax(1) == lab).mean() > 0.95
    path = str(tmp_path / "aux.gan")
    t.save(path)
    assert "class loss x 1" in libgan.file_info(path)
