"""libgan: Python bindings (ctypes) of the libgan C library.

    import numpy as np, libgan
    g = libgan.Model.preset("mnist-generator")
    images = g.forward(np.random.randn(16, 100).astype(np.float32))   # (16, 28, 28, 1)

The library is found through GAN_LIBRARY (a path), then the repository's
build/ and build-*/ directories, then the installed libgan.so.1.  Importing
fails with ImportError if it is missing or of another major version.
See bindings/python/README.md.
"""

from . import _lib
from ._buffers import HAVE_NUMPY
from ._errors import (ClosedError, FormatError, GanError, GanIOError, InternalError,
                      InvalidArgumentError, NoMemoryError, NumericError, ShapeError,
                      StateError, StopTraining, UnsupportedError, VersionError)
from ._errors import (GanFileNotFoundError, GanIsADirectoryError, GanNotADirectoryError,
                      GanPermissionError)
from ._handle import live_handles
from .data import FASHION_MNIST_DIR, Dataset, load_images
from .files import file_info, file_probe
from .model import LAYER_KINDS, Model, preset_latent_dim, preset_names
from .sampling import Sampler, encode_png_grid, latent_interpolate, to_uint8, write_png_grid
from .training import SGD, Adam, Loss, Optimizer, RMSprop, Trainer
from . import metrics
from .metrics import FidStats, Metrics, frechet_distance, inception_score, precision_recall

__version__ = "1.0.0"

#: The path of the loaded libgan shared library.
library_path = _lib.path
#: gan.h functions the loaded library does not export (an older build).
missing_functions = tuple(_lib.missing)


def version():
    """The library's version string, e.g. '1.0.0'."""
    return _lib.version_string


def version_number():
    """MAJOR*1000000 + MINOR*1000 + PATCH."""
    return _lib.version_number


def set_threads(n):
    """Threads libgan's kernels may use (0: one per core)."""
    _lib.fn.gan_set_threads(int(n))


def get_threads():
    """Threads libgan's kernels use (set_threads)."""
    return int(_lib.fn.gan_get_threads())


def status_str(status):
    """The library's English name of a status ('GAN_ESHAPE: shape mismatch')."""
    return _lib.fn.gan_status_str(int(status)).decode()


def last_error():
    """This thread's last libgan error message ('' if none)."""
    return _lib._last_error()


def blas_info():
    """One line describing libgan's GEMM engine: the BLAS, the kernel it
    runs, how that kernel was chosen and the thread count."""
    needed = _lib.c_size_t()
    _lib.fn.gan_blas_info(None, 0, needed)
    buf = _lib.ctypes.create_string_buffer(needed.value + 1)
    _lib.fn.gan_blas_info(buf, len(buf), None)
    return buf.value.decode("utf-8", "replace")


def _declare_blas_info():
    proto = ("gan_blas_info", _lib.STATUS, [_lib.c_char_p, _lib.c_size_t, _lib.P(_lib.c_size_t)])
    _lib._PROTOTYPES.append(proto)
    f = getattr(_lib.lib, proto[0], None)
    if f is None:
        _lib.missing.append(proto[0])
        setattr(_lib.fn, proto[0], _lib._missing_function(proto[0]))
        return
    f.argtypes, f.restype, f.errcheck = proto[2], _lib.c_status, _lib._check
    setattr(_lib.fn, proto[0], f)


_declare_blas_info()


def clear_error():
    """Forget this thread's last libgan error message."""
    _lib.fn.gan_clear_error()


__all__ = [
    "Model", "Dataset", "Loss", "Optimizer", "Adam", "RMSprop", "SGD", "Trainer", "Sampler",
    "latent_interpolate", "write_png_grid", "encode_png_grid", "to_uint8", "file_info",
    "file_probe", "preset_names", "preset_latent_dim", "LAYER_KINDS", "FASHION_MNIST_DIR",
    "load_images",
    "GanError", "NoMemoryError", "InvalidArgumentError", "ShapeError", "StateError",
    "ClosedError", "GanIOError", "FormatError", "VersionError", "NumericError",
    "UnsupportedError", "InternalError", "StopTraining", "HAVE_NUMPY", "live_handles",
    "version", "version_number", "set_threads", "get_threads", "status_str", "last_error",
    "clear_error", "library_path", "missing_functions", "blas_info",
    "metrics", "FidStats", "Metrics", "frechet_distance", "inception_score", "precision_recall",
    "GanFileNotFoundError", "GanPermissionError", "GanIsADirectoryError",
    "GanNotADirectoryError",
]
