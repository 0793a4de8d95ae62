"""Losses, optimizers, datasets and the trainer (step, fit and callbacks)."""

import gzip
import struct

import numpy as np
import pytest

import libgan


def softplus(x):
    return np.logaddexp(0, x)


def small_gan(n_critic=1, loss=None, seed=0):
    g = libgan.Model(4).add_dense(8).add_leaky_relu().add_dense(6).add_tanh()
    d = libgan.Model(6).add_dense(8).add_leaky_relu().add_dense(1)
    t = libgan.Trainer(g, d, libgan.Adam(g, lr=1e-3), libgan.Adam(d, lr=1e-3),
                       loss or libgan.Loss(), n_critic=n_critic, seed=seed)
    return g, d, t


def test_bce_and_wasserstein_losses_match_formulas():
    real = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    fake = np.array([-0.3, 1.5], dtype=np.float32)
    bce = libgan.Loss()
    assert bce.kind == "bce"
    v, dr, df = bce.discriminator(real, fake)
    assert v == pytest.approx(softplus(-real).mean() + softplus(fake).mean(), rel=1e-5)
    np.testing.assert_allclose(dr, -1 / (1 + np.exp(real)) / 3, rtol=1e-5)
    np.testing.assert_allclose(df, 1 / (1 + np.exp(-fake)) / 2, rtol=1e-5)
    v, dg = bce.generator(fake)
    assert v == pytest.approx(softplus(-fake).mean(), rel=1e-5)
    w = libgan.Loss("wasserstein", clip=0.01)
    assert w.kind == "wasserstein"
    v, dr, df = w.discriminator(real, fake)
    assert v == pytest.approx(fake.mean() - real.mean(), rel=1e-6)
    np.testing.assert_allclose(dr, -1 / 3, rtol=1e-6)
    np.testing.assert_allclose(df, 1 / 2, rtol=1e-6)
    v, dg = w.generator(fake)
    assert v == pytest.approx(-fake.mean(), rel=1e-6)
    with pytest.raises(libgan.NumericError):
        bce.generator(np.array([np.inf], dtype=np.float32))
    with pytest.raises(libgan.StateError):
        libgan.Loss("feature-matching").generator(fake)
    fm = libgan.Loss("feature-matching")
    r = np.ones((4, 3), np.float32)
    f = np.zeros((2, 3), np.float32)
    v, df = fm.feature_matching(r, f)
    assert v == pytest.approx(3.0) and df.shape == (2, 3)


def test_sgd_step_matches_formula():
    m = libgan.Model(2).add_dense(1, use_bias=False)
    m.set_params(0, np.array([1.0, -2.0], dtype=np.float32))
    opt = libgan.SGD(m, lr=0.1)
    m.forward(np.array([[3.0, 4.0]], dtype=np.float32))
    m.backward(np.array([[1.0]], dtype=np.float32))
    opt.step()
    np.testing.assert_allclose(m.get_params(0), [1.0 - 0.3, -2.0 - 0.4], rtol=1e-6)
    assert opt.state_size == 0
    opt.lr = 0.5
    assert opt.lr == pytest.approx(0.5)


def test_optimizer_state_roundtrip():
    m = libgan.Model(3).add_dense(2)
    opt = libgan.Adam(m)
    m.forward(np.ones((1, 3), np.float32))
    m.backward(np.ones((1, 2), np.float32))
    opt.step()
    state, step = opt.get_state()
    assert step == 1 and state.shape == (2 * 8,)
    opt.set_state(state * 0, 5)
    s2, step2 = opt.get_state()
    assert step2 == 5 and not s2.any()
    with pytest.raises(libgan.ShapeError):
        opt.set_state(state[:3], 1)


def test_trainer_step_stats_and_progress():
    g, d, t = small_gan(seed=3)
    real = np.random.default_rng(1).uniform(-1, 1, (16, 6)).astype(np.float32)
    s = t.step(real)
    assert set(s) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v) for v in s.values())
    assert 0 < s["d_real"] < 1 and 0 < s["d_fake"] < 1
    assert t.progress == (1, 0)
    with pytest.raises(libgan.ShapeError):
        t.step(np.zeros((4, 5), np.float32))
    # reproducible: same seeds -> identical stats
    g2, d2, t2 = small_gan(seed=3)
    assert t2.step(real) == s


def test_wgan_step_needs_n_critic_batches():
    g, d, t = small_gan(n_critic=5, loss=libgan.Loss("wasserstein", clip=0.01))
    real = np.zeros((10, 6), np.float32)
    t.step(real)                       # 5 critic updates of batch 2
    for i in range(len(d)):
        if d.layer_sizes(i)[0]:
            assert np.abs(d.get_params(i)).max() <= 0.01 + 1e-7   # clipped
    with pytest.raises(libgan.ShapeError):
        t.step(np.zeros((7, 6), np.float32))


def test_nan_step_raises_numeric_error_and_keeps_weights():
    g, d, t = small_gan()
    before = [d.get_params(i) for i in (0, 2)]
    real = np.full((4, 6), np.nan, dtype=np.float32)
    with pytest.raises(libgan.NumericError):
        t.step(real)
    for a, i in zip(before, (0, 2)):
        np.testing.assert_array_equal(a, d.get_params(i))


def dataset(n=40):
    x = np.random.default_rng(0).uniform(-1, 1, (n, 6)).astype(np.float32)
    labels = np.arange(n) % 3          # int64: converted to int32 as documented
    return libgan.Dataset.from_array(x, labels), x


def test_dataset_from_array_batching_and_iteration():
    ds, x = dataset()
    assert len(ds) == 40 and ds.shape == (6,)
    assert ds.has_labels and ds.n_classes == 3
    sample, label = ds[5]
    np.testing.assert_array_equal(sample, x[5])
    assert label == 2
    ds.set_batching(batch_size=16, shuffle=False, drop_remainder=False)
    assert ds.batching == {"batch_size": 16, "shuffle": False, "drop_remainder": False,
                           "seed": 0}
    assert ds.batches_per_epoch == 3
    batches = list(ds)
    assert [b[0].shape for b in batches] == [(16, 6), (16, 6), (8, 6)]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), np.arange(40) % 3)
    assert ds.next_batch()[2] == 1     # the next call starts epoch 1
    ds.set_batching(batch_size=16, seed=1)
    assert len(list(ds)) == 2          # drop_remainder by default
    ds.limit(10)
    assert len(ds) == 10


def test_dataset_borrow_and_uint8():
    x = np.zeros((4, 2, 2, 1), np.float32)
    ds = libgan.Dataset.from_array(x, copy=False)
    assert ds.shape == (2, 2, 1)
    u = np.array([[0, 255, 51, 127]], dtype=np.uint8).reshape(1, 2, 2)
    ds8 = libgan.Dataset.from_uint8(u)
    assert ds8.shape == (2, 2, 1)
    np.testing.assert_allclose(ds8[0][0].ravel(), u.ravel() / 127.5 - 1, rtol=1e-6)
    with pytest.raises(libgan.ShapeError):
        libgan.Dataset.from_array(x, labels=[1, 2])
    with pytest.raises(ValueError):
        libgan.Dataset.from_array(x, labels=np.array([-1, 0, 0, 0]))


def idx_bytes(images):
    n, h, w = images.shape
    return struct.pack(">IIII", 0x803, n, h, w) + images.tobytes()


def test_idx_and_cifar_from_bytes_and_files(tmp_path):
    imgs = (np.arange(3 * 4 * 5) % 256).astype(np.uint8).reshape(3, 4, 5)
    labels = struct.pack(">II", 0x801, 3) + bytes([7, 8, 9])
    ds = libgan.Dataset.load_idx_bytes(idx_bytes(imgs), labels)
    assert len(ds) == 3 and ds.shape == (4, 5, 1) and ds[2][1] == 9
    p = tmp_path / "imgs.gz"
    p.write_bytes(gzip.compress(idx_bytes(imgs)))
    ds2 = libgan.Dataset.load_idx(p)
    np.testing.assert_array_equal(ds2[1][0], ds[1][0])
    rec = bytes([4]) + bytes(range(256)) * 12
    cif = libgan.Dataset.load_cifar10_bytes(rec * 2)
    assert len(cif) == 2 and cif.shape == (32, 32, 3) and cif[0][1] == 4
    with pytest.raises(libgan.FormatError):
        libgan.Dataset.load_cifar10_bytes(rec[:-1])
    conv = ds.convert(8, 8, 3)
    assert conv.shape == (8, 8, 3) and len(conv) == 3


def test_fit_callbacks():
    g, d, t = small_gan()
    ds, _ = dataset()
    ds.set_batching(batch_size=8)
    steps, epochs = [], []
    assert t.fit(ds, 2, on_step=lambda s, st: steps.append((s, st)),
                 on_epoch=lambda e, m: epochs.append((e, m))) is True
    assert [s for s, _ in steps] == list(range(1, 11))
    assert [e for e, _ in epochs] == [1, 2]
    assert t.progress == (10, 2)
    mean = np.mean([st["d_loss"] for s, st in steps[:5]])
    assert epochs[0][1]["d_loss"] == pytest.approx(mean, rel=1e-5)


def test_fit_stopped_by_callback():
    g, d, t = small_gan()
    ds, _ = dataset()
    ds.set_batching(batch_size=8)
    assert t.fit(ds, 5, on_step=lambda s, st: s >= 3) is False
    assert t.progress[0] == 3

    def stop(s, st):
        if s == 5:
            raise libgan.StopTraining()
    assert t.fit(ds, 5, on_step=stop) is False
    assert t.progress[0] == 5


def test_fit_reraises_callback_exceptions():
    g, d, t = small_gan()
    ds, _ = dataset()
    ds.set_batching(batch_size=8)

    class Boom(Exception):
        pass

    calls = []

    def on_step(s, st):
        calls.append(s)
        if s == 2:
            raise Boom("from the callback")
    with pytest.raises(Boom, match="from the callback") as e:
        t.fit(ds, 3, on_step=on_step)
    assert calls == [1, 2]                   # training stopped at once
    assert t.progress[0] == 2
    assert e.value.__traceback__ is not None
    with pytest.raises(ZeroDivisionError):
        t.fit(ds, 1, on_epoch=lambda e, m: 1 / 0)
    # the trainer still works afterwards
    assert t.fit(ds, 1) is True


def test_fit_shape_mismatch():
    g, d, t = small_gan()
    ds = libgan.Dataset.from_array(np.zeros((16, 5), np.float32))
    with pytest.raises(libgan.ShapeError):
        t.fit(ds, 1)


def test_fashion_mnist_if_installed():
    import os
    if not os.path.isdir(libgan.FASHION_MNIST_DIR):
        pytest.skip("dataset-fashion-mnist is not installed")
    ds = libgan.Dataset.load_mnist_dir(train=False)
    assert len(ds) == 10000 and ds.shape == (28, 28, 1) and ds.n_classes == 10
