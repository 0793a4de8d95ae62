"""Model files and checkpoints: what a file is, and its description."""

import ctypes

from ._lib import cstr, fn

FILE_KINDS = {1: "model", 2: "checkpoint"}


def file_probe(path):
    """'model' or 'checkpoint' (reads and checks the header only)."""
    k = ctypes.c_int()
    fn.gan_file_probe(cstr(path), ctypes.byref(k))
    return FILE_KINDS.get(k.value, str(k.value))


def file_info(path):
    """A text description of a model file or checkpoint (fully validated)."""
    p = cstr(path)
    needed = ctypes.c_size_t()
    fn.gan_file_info(p, None, 0, ctypes.byref(needed))
    buf = ctypes.create_string_buffer(needed.value + 1)
    fn.gan_file_info(p, buf, len(buf), None)
    return buf.value.decode("utf-8", "replace")

