"""Arrays across the C boundary: NumPy arrays when NumPy is there, else buffers.

Inputs (float tensors) are accepted as
  - numpy.ndarray of dtype float32, C-contiguous (passed without a copy; any
    other dtype raises TypeError, a non-contiguous array ValueError);
  - any object with the buffer protocol of float32 items: array.array('f'),
    a memoryview with format 'f' (passed without a copy when writable);
  - bytes / bytearray / a byte memoryview holding native float32 values
    (length a multiple of 4).
uint8 inputs are the same with dtype uint8 / format 'B' / bytes.

Outputs are new numpy arrays of the documented shape, or, without NumPy,
flat array.array('f') (float) or bytearray (uint8) objects.  Functions that
take ``out=`` write into a caller's writable array or buffer instead.
"""

import array
import ctypes

from . import _errors

try:  # NumPy is optional
    import numpy as np
except ImportError:  # pragma: no cover - exercised by a subprocess test
    np = None

HAVE_NUMPY = np is not None

_FLOAT_FORMATS = ("f", "<f", "=f", "@f")
_BYTE_FORMATS = ("B", "b", "c", "<B", "=B", "@B")


def is_ndarray(obj):
    return np is not None and isinstance(obj, np.ndarray)


class Buf:
    """A C view of a Python buffer: address, element count, shape, keep-alive."""

    __slots__ = ("ptr", "count", "shape", "keep")

    def __init__(self, ptr, count, shape, keep):
        self.ptr = ptr
        self.count = count
        self.shape = shape
        self.keep = keep


def _ndarray_in(arr, dtype, what, writable=False):
    if arr.dtype != dtype:
        raise TypeError("%s must be a numpy array of dtype %s, not %s (convert explicitly, "
                        "e.g. x.astype(numpy.%s))" % (what, np.dtype(dtype).name, arr.dtype,
                                                       np.dtype(dtype).name))
    if not arr.flags["C_CONTIGUOUS"]:
        raise ValueError("%s must be C-contiguous (use numpy.ascontiguousarray(x))" % what)
    if writable and not arr.flags["WRITEABLE"]:
        raise ValueError("%s must be writable" % what)
    return Buf(arr.ctypes.data if arr.size else None, int(arr.size), tuple(arr.shape), arr)


def _buffer_in(obj, itemsize, formats, what, writable=False):
    try:
        mv = memoryview(obj)
    except TypeError:
        raise TypeError("%s must be a numpy array or a buffer (array.array, bytes, "
                        "memoryview), not %s" % (what, type(obj).__name__)) from None
    if not mv.c_contiguous:
        raise ValueError("%s must be C-contiguous" % what)
    if mv.format in formats and mv.itemsize == itemsize:
        count = mv.nbytes // itemsize
    elif mv.format in _BYTE_FORMATS and mv.itemsize == 1:
        if mv.nbytes % itemsize:
            raise ValueError("%s: %d bytes is not a whole number of %d-byte items"
                             % (what, mv.nbytes, itemsize))
        count = mv.nbytes // itemsize
    else:
        raise TypeError("%s: buffer format %r is not %s" % (what, mv.format, formats[0]))
    shape = tuple(mv.shape) if mv.ndim > 1 and mv.format in formats else None
    if mv.nbytes == 0:
        return Buf(None, 0, shape, mv)
    if not mv.readonly:
        cbuf = (ctypes.c_char * mv.nbytes).from_buffer(mv)
        return Buf(ctypes.addressof(cbuf), count, shape, (mv, cbuf))
    if writable:
        raise ValueError("%s must be writable" % what)
    # Read-only: bytes objects are passed in place; anything else is copied
    # (ctypes cannot take the address of a read-only buffer).
    data = obj if isinstance(obj, bytes) else mv.tobytes()
    cp = ctypes.c_char_p(data)
    return Buf(ctypes.cast(cp, ctypes.c_void_p).value, count, shape, (data, cp))


def floats_in(obj, what="x"):
    """A float32 input tensor (see module doc)."""
    if is_ndarray(obj):
        return _ndarray_in(obj, np.float32, what)
    if obj is None:
        raise TypeError("%s must not be None" % what)
    return _buffer_in(obj, 4, _FLOAT_FORMATS, what)


def u8_in(obj, what="images"):
    if is_ndarray(obj):
        return _ndarray_in(obj, np.uint8, what)
    if obj is None:
        raise TypeError("%s must not be None" % what)
    return _buffer_in(obj, 1, _BYTE_FORMATS, what)


def int32_in(obj, what="labels"):
    """int32 labels.  Documented conversion: a numpy array of another integer
    dtype is converted to int32 (range-checked); a list of ints is accepted."""
    if is_ndarray(obj):
        if obj.dtype != np.int32:
            if obj.dtype.kind not in "iu":
                raise TypeError("%s must be an integer array, not %s" % (what, obj.dtype))
            if obj.size and (obj.min() < 0 or obj.max() > 2**31 - 1):
                raise ValueError("%s must be in 0..2^31-1" % what)
            obj = obj.astype(np.int32)
        return _ndarray_in(np.ascontiguousarray(obj), np.int32, what)
    if isinstance(obj, (list, tuple)):
        obj = array.array("i", obj)
    return _buffer_in(obj, 4, ("i", "<i", "=i", "@i"), what)


def floats_out(shape, out=None, what="out"):
    """A new float32 array of `shape` (or the caller's `out`), as (obj, Buf)."""
    count = 1
    for d in shape:
        count *= d
    if out is not None:
        if is_ndarray(out):
            b = _ndarray_in(out, np.float32, what, writable=True)
        else:
            b = _buffer_in(out, 4, _FLOAT_FORMATS, what, writable=True)
        if b.count != count:
            raise _errors.ShapeError("%s holds %d floats, %d expected for shape %s"
                                     % (what, b.count, count, tuple(shape)), _errors.ESHAPE)
        return out, b
    if np is not None:
        a = np.empty(tuple(shape), dtype=np.float32)
        return a, Buf(a.ctypes.data if a.size else None, count, tuple(shape), a)
    a = array.array("f", bytes(4 * count))
    return a, Buf(a.buffer_info()[0] if count else None, count, tuple(shape), a)


def u8_out(shape, out=None, what="out"):
    count = 1
    for d in shape:
        count *= d
    if out is not None:
        if is_ndarray(out):
            b = _ndarray_in(out, np.uint8, what, writable=True)
        else:
            b = _buffer_in(out, 1, _BYTE_FORMATS, what, writable=True)
        if b.count != count:
            raise _errors.ShapeError("%s holds %d bytes, %d expected for shape %s"
                                     % (what, b.count, count, tuple(shape)), _errors.ESHAPE)
        return out, b
    if np is not None:
        a = np.empty(tuple(shape), dtype=np.uint8)
        return a, Buf(a.ctypes.data if a.size else None, count, tuple(shape), a)
    a = bytearray(count)
    cbuf = (ctypes.c_char * count).from_buffer(a) if count else None
    return a, Buf(ctypes.addressof(cbuf) if count else None, count, tuple(shape), cbuf)


def int32_out(n):
    if np is not None:
        a = np.empty((n,), dtype=np.int32)
        return a, Buf(a.ctypes.data if n else None, n, (n,), a)
    a = array.array("i", bytes(4 * n))
    return a, Buf(a.buffer_info()[0] if n else None, n, (n,), a)


def truncate(obj, n_items, shape):
    """The first n_items rows of a fresh output (shape's first axis)."""
    if is_ndarray(obj):
        return obj[:n_items]
    per = 1
    for d in shape[1:]:
        per *= d
    return obj[: n_items * per]


def prod(shape):
    n = 1
    for d in shape:
        n *= int(d)
    return n
