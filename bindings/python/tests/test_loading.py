"""Finding the library, the import-time version check, interpreter shutdown."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import libgan
from conftest import PKG_ROOT, REPO, subprocess_env


def run_py(code, **env):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=subprocess_env(**env), timeout=120)


def test_every_header_function_is_declared():
    """Every bound function is declared in gan.h (no stale names), and the
    gan.h functions without a binding are reported (a warning, so that a new
    C API can land before its binding)."""
    import re
    import warnings
    from libgan import _lib
    header = open(os.path.join(REPO, "include", "gan.h")).read()
    declared = set(re.findall(r"GAN_API\s+[^;(]*?\b(gan_\w+)\s*\(", header))
    bound = {name for name, _, _ in _lib._PROTOTYPES}
    assert len(declared) > 100
    assert bound <= declared, sorted(bound - declared)
    unbound = declared - bound - {"gan_set_allocator"}
    if unbound:
        warnings.warn("gan.h functions without a Python binding: " + ", ".join(sorted(unbound)))
    for name in bound - set(_lib.missing):
        f = getattr(_lib.lib, name)
        assert f.argtypes is not None, name


def test_gan_library_env_wins():
    res = run_py("import libgan; print(libgan.library_path)", GAN_LIBRARY=libgan.library_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == libgan.library_path


def test_bad_gan_library_is_an_import_error(tmp_path):
    res = run_py("import libgan", GAN_LIBRARY=str(tmp_path / "libnothing.so"))
    assert res.returncode != 0
    assert "ImportError" in res.stderr and "GAN_LIBRARY" in res.stderr


def test_build_tree_is_found_without_env():
    env = subprocess_env()
    del env["GAN_LIBRARY"]
    res = subprocess.run([sys.executable, "-c", "import libgan; print(libgan.library_path)"],
                         capture_output=True, text=True, env=env, timeout=120)
    if res.returncode != 0 and "not found" in res.stderr:
        pytest.skip("no unsanitized build tree next to the package: " + res.stderr[-200:])
    assert res.returncode == 0, res.stderr
    found = res.stdout.strip()
    assert found.startswith(REPO + os.sep) or not found.startswith("/"), found


def test_wrong_major_version_is_an_import_error(tmp_path):
    cc = shutil.which("cc")
    if not cc:
        pytest.skip("no C compiler to build a fake libgan 2")
    src = tmp_path / "fake.c"
    src.write_text("long gan_version_number(void) { return 2000001; }\n"
                   "const char *gan_version(void) { return \"2.0.1\"; }\n"
                   "const char *gan_last_error(void) { return \"\"; }\n")
    so = tmp_path / "libgan.so.2"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    res = run_py("import libgan", GAN_LIBRARY=str(so))
    assert res.returncode != 0
    assert "ImportError" in res.stderr
    assert "2.0.1" in res.stderr and "1.x" in res.stderr


def test_handles_alive_at_interpreter_exit_are_freed_quietly():
    code = """
        import numpy as np, libgan
        g = libgan.Model.preset('mnist-generator')
        d = libgan.Model.preset('mnist-discriminator')
        t = libgan.Trainer(g, d, libgan.Adam(g), libgan.Adam(d), libgan.Loss())
        ds = libgan.Dataset.from_array(np.zeros((4, 28, 28, 1), np.float32))
        class Cycle: pass
        c = Cycle(); c.self = c; c.model = libgan.Model(3).add_dense(1)   # in a cycle
        g.close()                       # closes t and g's optimizer too
        print('exiting')
    """
    res = run_py(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "exiting"
    assert res.stderr == ""
