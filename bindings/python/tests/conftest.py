"""Shared fixtures of the libgan binding tests.

Run:  /usr/bin/python3 -m pytest -q bindings/python/tests
(ctest sets GAN_LIBRARY to the build's libgan.so and GAN_PARITY_PROGRAM to
the C parity program; without them the package finds build/libgan.so.)
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(HERE)          # bindings/python
REPO = os.path.dirname(os.path.dirname(PKG_ROOT))
if PKG_ROOT not in sys.path:
    sys.path.insert(0, PKG_ROOT)

import libgan  # noqa: E402
from libgan import _lib  # noqa: E402

#: GAN_TEST_SCALE=tiny (the ASan stage) shrinks loops and example sizes.
TINY = os.environ.get("GAN_TEST_SCALE") == "tiny"
#: The library was built with AddressSanitizer (its runtime is preloaded).
ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


def requires(*names):
    """Skip while the loaded library does not export these gan.h functions
    (implementations still landing); run as soon as it does."""
    absent = [n for n in names if not hasattr(_lib.lib, n)]
    return pytest.mark.skipif(
        bool(absent), reason="not exported by %s yet: %s" % (_lib.path, ", ".join(absent)))


def subprocess_env(**extra):
    """Environment for a child Python: this package importable, same library."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PKG_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("GAN_LIBRARY", libgan.library_path)
    env.update(extra)
    return env


@pytest.fixture(autouse=True)
def _one_thread():
    """Deterministic kernels: one thread in every test."""
    libgan.set_threads(1)
    yield
