"""Buffers instead of NumPy arrays: array.array('f'), bytes, memoryview.

The no-NumPy path is tested in a child interpreter where importing numpy
fails (sys.modules['numpy'] = None), so the package really runs without it.
"""

import array
import ctypes
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import libgan
from conftest import subprocess_env


def test_buffer_inputs_give_the_same_results():
    m = libgan.Model(4).add_dense(3)
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    ref = m.forward(x)
    a = array.array("f", x.ravel().tolist())
    np.testing.assert_array_equal(m.forward(a), ref)          # writable buffer
    np.testing.assert_array_equal(m.forward(x.tobytes()), ref)       # bytes, in place
    np.testing.assert_array_equal(m.forward(bytearray(x.tobytes())), ref)
    np.testing.assert_array_equal(m.forward(memoryview(a)), ref)
    np.testing.assert_array_equal(m.forward(memoryview(x.tobytes())), ref)   # read-only
    np.testing.assert_array_equal(m.forward(memoryview(x)), ref)   # 2-D float memoryview
    with pytest.raises(libgan.ShapeError):
        m.forward(array.array("f", [0.0] * 7))
    with pytest.raises(ValueError):
        m.forward(b"\x00" * 7)                     # not whole floats
    with pytest.raises(TypeError):
        m.forward(array.array("d", [0.0] * 8))     # doubles
    with pytest.raises(ValueError):
        m.forward(memoryview(np.zeros((2, 8), np.float32)[:, ::2]))


def test_out_buffers():
    m = libgan.Model(4).add_dense(3)
    x = np.ones((2, 4), np.float32)
    out = array.array("f", [0.0] * 6)
    assert m.forward(x, out=out) is out
    np.testing.assert_array_equal(np.frombuffer(out, np.float32), m.forward(x).ravel())
    with pytest.raises(ValueError):
        m.forward(x, out=b"\x00" * 24)             # read-only
    with pytest.raises(libgan.ShapeError):
        m.forward(x, out=array.array("f", [0.0] * 5))


def test_no_copy_for_contiguous_float32():
    """The library reads the caller's memory: the C pointer is the array's."""
    from libgan import _buffers
    x = np.zeros((3, 4), np.float32)
    b = _buffers.floats_in(x)
    assert b.ptr == x.ctypes.data
    a = array.array("f", [0.0] * 4)
    assert _buffers.floats_in(a).ptr == a.buffer_info()[0]
    raw = b"\x00" * 16
    assert _buffers.floats_in(raw).ptr == ctypes.cast(ctypes.c_char_p(raw), ctypes.c_void_p).value


NO_NUMPY = textwrap.dedent(r"""
    import sys
    sys.modules["numpy"] = None          # "import numpy" now raises ImportError
    import array, libgan
    assert not libgan.HAVE_NUMPY
    libgan.set_threads(1)
    g = libgan.Model(4).add_dense(6).add_tanh()
    d = libgan.Model(6).add_dense(1)
    x = array.array("f", [0.25] * 8)
    y = g.forward(x)
    assert isinstance(y, array.array) and y.typecode == "f" and len(y) == 12, y
    assert d.forward(y).typecode == "f"
    dx = d.backward(array.array("f", [1.0, 1.0]))
    assert len(dx) == 12
    p = g.get_params(0)
    assert isinstance(p, array.array) and len(p) == 30
    g.set_params(0, p)
    try:
        g.forward(array.array("f", [0.0] * 5))
    except libgan.ShapeError:
        pass
    else:
        raise SystemExit("no ShapeError")
    real = array.array("f", [0.1] * (32 * 6))
    ds = libgan.Dataset.from_array(real, labels=list(range(32)), shape=(6,))
    ds.set_batching(batch_size=8)
    xb, lab = next(iter(ds))
    assert isinstance(xb, array.array) and len(xb) == 48 and len(lab) == 8
    ds8 = libgan.Dataset.from_uint8(bytes(range(12)), shape=(2, 2, 3))
    assert len(ds8) == 1 and ds8.shape == (2, 2, 3)
    t = libgan.Trainer(g, d, libgan.Adam(g), libgan.Adam(d), libgan.Loss())
    stats = t.step(real[: 8 * 6])
    assert set(stats) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert t.fit(ds, 1, on_step=lambda s, st: None)
    v, dr, df = libgan.Loss().discriminator(array.array("f", [1.0]), array.array("f", [-1.0]))
    assert len(dr) == 1
    if hasattr(libgan._lib.lib, "gan_sampler_generate_u8"):
        s = libgan.Sampler(g, seed=1)
        u = s.generate(3, uint8=True)
        assert isinstance(u, bytearray) and len(u) == 18
        z = s.latent(2)
        assert len(s.generate(z=z)) == 12
    if hasattr(libgan._lib.lib, "gan_png_encode_grid"):
        png = libgan.encode_png_grid(bytes(4 * 2 * 2), shape=(2, 2, 1))
        assert png[:4] == b"\x89PNG"
    if hasattr(libgan._lib.lib, "gan_model_save_mem"):
        g2 = libgan.Model.load_bytes(g.to_bytes())
        assert g2.forward(x) == g.forward(x)
    print("no-numpy ok")
""")


def test_without_numpy():
    res = subprocess.run([sys.executable, "-c", NO_NUMPY], capture_output=True, text=True,
                         env=subprocess_env(), timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "no-numpy ok" in res.stdout
