"""Property tests (hypothesis): random shapes, dtypes and buffers either
work or raise a Python exception; they never crash the interpreter, and every
negative status maps to a GanError with that status."""

import numpy as np
import pytest

import libgan
from conftest import TINY, requires

hypothesis = pytest.importorskip(
    "hypothesis", reason="python3-hypothesis is not installed (scripts/deps.sh installs it)")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

EXAMPLES = 40 if TINY else 200
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))

EXPECTED = (TypeError, ValueError, libgan.GanError)
DTYPES = [np.float32, np.float64, np.int32, np.uint8, np.float16, np.int64]


@SETTINGS
@given(batch=st.integers(0, 5), feat=st.integers(1, 9), dtype=st.sampled_from(DTYPES),
       order=st.sampled_from("CF"), extra=st.integers(0, 2))
def test_forward_random_arrays(batch, feat, dtype, order, extra):
    m = libgan.Model(4).add_dense(3).add_relu()
    shape = (batch, feat) + (1,) * extra
    x = np.ones(shape, dtype=dtype, order=order)
    ok = (dtype == np.float32 and batch >= 1 and feat == 4 and extra == 0
          and x.flags["C_CONTIGUOUS"])
    if ok:
        y = m.forward(x)
        assert y.shape == (batch, 3)
    else:
        with pytest.raises(EXPECTED):
            m.forward(x)
    m.close()


@SETTINGS
@given(nbytes=st.integers(0, 64), kind=st.sampled_from(["bytes", "bytearray", "array-f",
                                                         "array-d", "array-i", "memoryview"]))
def test_forward_random_buffers(nbytes, kind):
    import array
    m = libgan.Model(2).add_dense(1)
    if kind == "bytes":
        x = bytes(nbytes)
    elif kind == "bytearray":
        x = bytearray(nbytes)
    elif kind == "memoryview":
        x = memoryview(bytes(nbytes))
    else:
        code = kind[-1]
        x = array.array(code, [0] * (nbytes // array.array(code).itemsize))
    try:
        y = m.forward(x)
    except EXPECTED:
        return
    # it worked: then it was a positive number of float32 pairs
    n = len(bytes(memoryview(x))) // 4
    assert n >= 2 and n % 2 == 0 and len(y) == n // 2


LAYERS = st.lists(st.tuples(
    st.sampled_from(["dense", "conv2d", "conv2d_transpose", "batchnorm", "leaky_relu", "relu",
                     "tanh", "sigmoid", "dropout", "reshape", "flatten"]),
    st.integers(-2, 6), st.integers(-1, 4), st.sampled_from(["valid", "same"])),
    max_size=6)


@SETTINGS
@given(input_shape=st.sampled_from([(6,), (5, 5, 2), (4, 4, 1), (8,)]), layers=LAYERS)
def test_random_layer_stacks(input_shape, layers):
    """Each add either succeeds with a consistent shape or raises a GanError
    that leaves the model unchanged; a forward then works."""
    m = libgan.Model(input_shape)
    for kind, a, b, pad in layers:
        n = len(m)
        shape = m.output_shape
        try:
            if kind == "dense":
                m.add_dense(a)
            elif kind in ("conv2d", "conv2d_transpose"):
                getattr(m, "add_" + kind)(a, kernel=max(b, 0), strides=max(b, 1), padding=pad)
            elif kind == "batchnorm":
                m.add_batchnorm()
            elif kind == "leaky_relu":
                m.add_leaky_relu(a / 10)
            elif kind == "dropout":
                m.add_dropout(a / 5)
            elif kind == "reshape":
                m.add_reshape((int(np.prod(shape)),) if b % 2 else shape)
            else:
                getattr(m, "add_" + kind)()
        except libgan.GanError as e:
            assert e.status < 0 and e.message
            assert len(m) == n and m.output_shape == shape
        else:
            assert len(m) == n + 1
    if len(m):
        x = np.zeros((2,) + m.input_shape, np.float32)
        assert m.forward(x).shape == (2,) + m.output_shape
        assert m.forward(x, training=True).shape == (2,) + m.output_shape


@SETTINGS
@given(status=st.integers(-12, -1))
def test_every_status_maps_to_an_exception(status):
    from libgan._errors import error_for
    e = error_for(status, "msg")
    assert isinstance(e, libgan.GanError) and e.status == status and e.message == "msg"
    assert ("GAN_E" in str(e)) == (status >= -10)


@requires("gan_png_encode_grid")
@SETTINGS
@given(n=st.integers(1, 12), h=st.integers(1, 6), w=st.integers(1, 6),
       c=st.sampled_from([1, 2, 3, 4]), cols=st.integers(-1, 5), pad=st.integers(-1, 3))
def test_png_grid_random_sizes(n, h, w, c, cols, pad):
    imgs = np.zeros((n, h, w, c), np.uint8)
    try:
        data = libgan.encode_png_grid(imgs, cols=cols, pad=pad)
    except libgan.GanError as e:
        assert c == 2 or cols < 0 or pad < 0, e
    else:
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
