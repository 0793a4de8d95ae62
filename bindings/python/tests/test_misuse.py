"""Misuse raises a Python exception and never crashes the interpreter."""

import gc

import numpy as np
import pytest

import libgan


@pytest.fixture
def dense():
    m = libgan.Model(4).add_dense(2)
    yield m
    m.close()


def test_wrong_dtype(dense):
    for dt in (np.float64, np.int32, np.uint8, np.float16):
        with pytest.raises(TypeError, match="float32"):
            dense.forward(np.zeros((3, 4), dtype=dt))
    with pytest.raises(TypeError):
        dense.forward([[0.0] * 4])                 # lists are not tensors
    with pytest.raises(TypeError):
        dense.forward(None)
    with pytest.raises(TypeError):
        libgan.Dataset.from_uint8(np.zeros((2, 4), dtype=np.float32))


def test_wrong_shape(dense):
    with pytest.raises(libgan.ShapeError):
        dense.forward(np.zeros((3, 5), dtype=np.float32))
    with pytest.raises(libgan.ShapeError):
        dense.forward(np.zeros((4,), dtype=np.float32))      # no batch axis
    with pytest.raises(libgan.ShapeError):
        dense.forward(np.zeros((0, 4), dtype=np.float32))    # empty batch
    dense.forward(np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(libgan.ShapeError):
        dense.backward(np.zeros((2, 2), dtype=np.float32))   # batch 3 was forwarded
    with pytest.raises(libgan.ShapeError):
        dense.forward(np.zeros((3, 4), dtype=np.float32), out=np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError):
        dense.forward(np.zeros((3, 4), dtype=np.float32),
                      out=np.zeros((3, 2), np.float32)[:, ::-1])


def test_non_contiguous(dense):
    x = np.zeros((3, 8), dtype=np.float32)[:, ::2]
    with pytest.raises(ValueError, match="contiguous"):
        dense.forward(x)
    with pytest.raises(ValueError, match="contiguous"):
        dense.forward(np.asfortranarray(np.zeros((3, 4), dtype=np.float32)))
    dense.forward(np.ascontiguousarray(x))   # the documented fix works


def test_closed_handle_and_double_close():
    m = libgan.Model(4).add_dense(2)
    before = libgan.live_handles("model")
    m.close()
    assert m.closed
    assert libgan.live_handles("model") == before - 1
    m.close()                       # double close: a no-op, freed only once
    assert libgan.live_handles("model") == before - 1
    for call in (lambda: m.forward(np.zeros((1, 4), np.float32)), m.summary,
                 lambda: len(m), lambda: m.add_relu(), lambda: m.param_count,
                 lambda: m.get_params(0)):
        with pytest.raises(libgan.ClosedError) as e:
            call()
        assert e.value.status == -4 and isinstance(e.value, libgan.StateError)
    with pytest.raises(libgan.ClosedError):
        with m:
            pass
    assert repr(m) == "<libgan.Model closed>"


def test_context_manager_and_dependents():
    with libgan.Model(4).add_dense(1) as d, libgan.Model(3).add_dense(4) as g:
        g_opt, d_opt = libgan.Adam(g), libgan.Adam(d)
        loss = libgan.Loss()
        t = libgan.Trainer(g, d, g_opt, d_opt, loss)
        s = libgan.Sampler(g)
    assert g.closed and d.closed
    # everything that borrowed them was closed first, and raises, never crashes
    assert t.closed and g_opt.closed and d_opt.closed and s.closed and not loss.closed
    with pytest.raises(libgan.ClosedError):
        t.step(np.zeros((2, 4), np.float32))
    with pytest.raises(libgan.ClosedError):
        g_opt.step()
    with pytest.raises(libgan.ClosedError):
        s.generate(1)
    loss.close()


def test_closing_loss_closes_trainer():
    g, d = libgan.Model(3).add_dense(4), libgan.Model(4).add_dense(1)
    loss = libgan.Loss()
    t = libgan.Trainer(g, d, libgan.SGD(g), libgan.SGD(d), loss)
    loss.close()
    with pytest.raises(libgan.ClosedError):
        t.progress


def test_garbage_collected_handles_are_freed_once():
    gc.collect()
    before = libgan.live_handles()
    g, d = libgan.Model(3).add_dense(4), libgan.Model(4).add_dense(1)
    t = libgan.Trainer(g, d, libgan.Adam(g), libgan.Adam(d), libgan.Loss())
    assert libgan.live_handles() == before + 6
    g.close()   # explicit close of one, the rest by the garbage collector
    del g, d, t
    gc.collect()
    assert libgan.live_handles() == before


def test_wrong_object_types():
    m = libgan.Model(3).add_dense(4)
    with pytest.raises(TypeError):
        libgan.Adam("not a model")
    with pytest.raises(TypeError):
        libgan.Trainer(m, m, m, m, m)
    with pytest.raises(TypeError):
        libgan.Sampler(object())
    with pytest.raises(TypeError):
        libgan.Optimizer(m, "adam", learning_rate=1.0)   # unknown option name
    with pytest.raises(libgan.InvalidArgumentError):
        libgan.Optimizer(m, "adagrad")
    with pytest.raises(libgan.InvalidArgumentError):
        libgan.Loss("kl")
    with pytest.raises(TypeError):
        libgan.Dataset()


def test_library_rejects_bad_settings():
    m = libgan.Model(4)
    with pytest.raises(libgan.InvalidArgumentError):
        m.add_dense(0)
    with pytest.raises(libgan.InvalidArgumentError):
        m.add_dropout(1.5)
    with pytest.raises(libgan.InvalidArgumentError):
        m.add_leaky_relu(-1)
    with pytest.raises(libgan.InvalidArgumentError):
        libgan.Model((1, 2))
    with pytest.raises(libgan.InvalidArgumentError):
        libgan.Model(0)
    with pytest.raises(libgan.InvalidArgumentError):
        libgan.set_threads(-1)
    with pytest.raises(libgan.InvalidArgumentError):
        libgan.Loss(real_label=2.0)
    assert len(m) == 0    # every failed add left the model unchanged


def test_trainer_shape_mismatch_names_shapes():
    g = libgan.Model.preset("mnist-notebook-generator")   # 14x14 output
    d = libgan.Model.preset("mnist-discriminator")        # 28x28 input
    with pytest.raises(libgan.ShapeError) as e:
        libgan.Trainer(g, d, libgan.Adam(g), libgan.Adam(d), libgan.Loss())
    assert "14" in e.value.message and "28" in e.value.message


def test_missing_files_raise_io_errors(tmp_path):
    with pytest.raises(libgan.GanIOError) as e:
        libgan.Dataset.load_idx(tmp_path / "nope.idx")
    assert isinstance(e.value, OSError) and e.value.status == -5
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x00\x00\x08\x03garbage")
    with pytest.raises(libgan.FormatError):
        libgan.Dataset.load_idx(bad)
