"""Model files and training checkpoints through the bindings."""

import numpy as np
import pytest

import libgan
from conftest import requires

MODEL_IO = requires("gan_model_save", "gan_model_save_mem", "gan_model_load",
                    "gan_model_load_mem", "gan_free", "gan_file_probe", "gan_file_info")
CKPT_IO = requires("gan_trainer_save", "gan_trainer_save_mem", "gan_trainer_load",
                   "gan_trainer_load_mem", "gan_trainer_restore", "gan_trainer_models")


def small_gan(seed=0):
    g = libgan.Model(4).add_dense(8).add_batchnorm().add_leaky_relu().add_dense(6).add_tanh()
    d = libgan.Model(6).add_dense(8).add_leaky_relu().add_dropout(0.3).add_dense(1)
    t = libgan.Trainer(g, d, libgan.Adam(g, lr=1e-3), libgan.Adam(d, lr=1e-3), libgan.Loss(),
                       seed=seed)
    return g, d, t


def data():
    x = np.random.default_rng(2).uniform(-1, 1, (64, 6)).astype(np.float32)
    return libgan.Dataset.from_array(x).set_batching(batch_size=8, seed=4)


@MODEL_IO
def test_model_file_roundtrip(tmp_path):
    g = libgan.Model.preset("mnist-generator").init_params(9)
    z = np.random.default_rng(0).standard_normal((3, 100)).astype(np.float32)
    p = tmp_path / "g.gan"
    g.save(p)
    assert libgan.file_probe(p) == "model"
    info = libgan.file_info(str(p))
    assert "model" in info and "conv2d_transpose" in info
    g2 = libgan.Model.load(p)
    np.testing.assert_array_equal(g2.forward(z), g.forward(z))
    data = g.to_bytes()
    assert data == p.read_bytes()
    g3 = libgan.Model.load_bytes(data)
    assert g3.summary() == g.summary()
    g3b = libgan.Model.load_bytes(bytearray(data))        # writable buffers too
    np.testing.assert_array_equal(g3b.get_params(0), g.get_params(0))


@MODEL_IO
def test_bad_model_files(tmp_path):
    with pytest.raises(libgan.GanIOError):
        libgan.Model.load(tmp_path / "missing.gan")
    g = libgan.Model(3).add_dense(2)
    data = bytearray(g.to_bytes())
    with pytest.raises(libgan.FormatError):
        libgan.Model.load_bytes(bytes(data[: len(data) // 2]))
    data[-5] ^= 0xFF
    with pytest.raises(libgan.FormatError):
        libgan.Model.load_bytes(bytes(data))
    with pytest.raises((libgan.FormatError, libgan.GanIOError)):
        libgan.file_probe(__file__)
    with pytest.raises(libgan.GanIOError):
        g.save(tmp_path / "no-such-dir" / "g.gan")


@MODEL_IO
@CKPT_IO
def test_checkpoint_resume_is_exact(tmp_path):
    ds = data()
    g, d, t = small_gan(seed=5)
    t.fit(ds, 1)
    p = tmp_path / "run.ckpt"
    t.save(p, ds)
    assert libgan.file_probe(p) == "checkpoint"
    assert "n_critic" in libgan.file_info(p)
    after = [t.step(np.zeros((8, 6), np.float32)) for _ in range(2)]
    t.fit(ds, 1)
    final = g.get_params(0)

    ds2 = data()
    t2 = libgan.Trainer.load(p, ds2)
    assert t2.progress == (8, 1) and t2.n_critic == 1
    assert t2.generator.input_shape == (4,) and t2.discriminator.output_shape == (1,)
    assert t2.g_opt.lr == pytest.approx(1e-3)
    assert [t2.step(np.zeros((8, 6), np.float32)) for _ in range(2)] == after
    t2.fit(ds2, 1)
    np.testing.assert_array_equal(t2.generator.get_params(0), final)

    # restore into the first trainer: back to the saved point
    t.restore(p, ds)
    assert t.progress == (8, 1)
    assert [t.step(np.zeros((8, 6), np.float32)) for _ in range(2)] == after

    # in memory
    blob = t2.to_bytes(ds2)
    t3 = libgan.Trainer.load_bytes(blob, n_critic=1)
    assert t3.progress == t2.progress
    gen = t3.generator
    t3.close()
    assert gen.closed          # the models belonged to the loaded trainer
    with pytest.raises(libgan.ClosedError):
        gen.forward(np.zeros((1, 4), np.float32))


@MODEL_IO
@CKPT_IO
def test_restore_mismatch_changes_nothing(tmp_path):
    g, d, t = small_gan()
    p = tmp_path / "a.ckpt"
    t.save(p)
    g2 = libgan.Model(4).add_dense(6).add_tanh()
    d2 = libgan.Model(6).add_dense(1)
    t2 = libgan.Trainer(g2, d2, libgan.Adam(g2), libgan.Adam(d2), libgan.Loss())
    before = g2.get_params(0)
    with pytest.raises((libgan.ShapeError, libgan.FormatError)):
        t2.restore(p)
    np.testing.assert_array_equal(g2.get_params(0), before)
    with pytest.raises(libgan.GanIOError):
        libgan.Trainer.load(tmp_path / "missing.ckpt")
