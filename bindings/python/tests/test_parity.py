"""Python and C give bit-identical results for the same seeds.

tests/parity.c runs fixed scenarios through the C API; this file runs the
same calls through the bindings and prints the same lines (floats as their
bit patterns, large tensors as the CRC-32 of their bytes).  ctest passes the
program's path in GAN_PARITY_PROGRAM; otherwise it is looked for beside the
library or compiled with cc.
"""

import os
import shutil
import subprocess
import zlib

import numpy as np
import pytest

import libgan
from conftest import REPO, requires

B, LAT, IMG, NREAL = 8, 100, 28 * 28, 64


def _full(name, x):
    x = np.ascontiguousarray(x, dtype=np.float32).ravel()
    return "%s %d%s" % (name, x.size, "".join(" %08x" % v for v in x.view(np.uint32)))


def _crc(name, x):
    x = np.ascontiguousarray(x, dtype=np.float32).ravel()
    return "%s %d crc32=%08x" % (name, x.size, zlib.crc32(x.tobytes()))


def _stats(name, s):
    return _full(name, [s["d_loss"], s["g_loss"], s["d_real"], s["d_fake"]])


def _params(name, m):
    parts = [m.get_params(i) for i in range(len(m)) if m.layer_sizes(i)[0]]
    return _crc(name, np.concatenate(parts))


def latent_values(n):
    i = np.arange(n, dtype=np.int64)
    return (((i * 7919) % 2001 - 1000).astype(np.float32) / np.float32(500.0)).astype(np.float32)


def real_values(n):
    i = np.arange(n, dtype=np.int64)
    return (((i * 31) % 255).astype(np.float32) / np.float32(127.5) - np.float32(1.0)).astype(
        np.float32)


def python_lines():
    from libgan import _lib
    import ctypes
    out = []
    for name, cls in (("dense_config", _lib.DenseConfig), ("conv2d_config", _lib.Conv2DConfig),
                      ("batchnorm_config", _lib.BatchNormConfig),
                      ("batch_config", _lib.BatchConfig), ("loss_config", _lib.LossConfig),
                      ("optimizer_config", _lib.OptimizerConfig),
                      ("trainer_config", _lib.TrainerConfig), ("step_stats", _lib.StepStats)):
        out.append("sizeof %s %d" % (name, ctypes.sizeof(cls)))

    z = latent_values(B * LAT).reshape(B, LAT)
    real = real_values(NREAL * IMG).reshape(NREAL, 28, 28, 1)

    # 1. forward passes
    g = libgan.Model.preset("mnist-generator").init_params(123)
    d = libgan.Model.preset("mnist-discriminator")
    img = g.forward(z)
    out.append(_crc("g_infer", img))
    out.append(_full("g_infer_head", img.ravel()[:16]))
    out.append(_full("d_infer", d.forward(img)))
    d.set_seed(9)
    out.append(_full("d_train", d.forward(img, training=True)))
    dx = d.backward(np.full((B, 1), 1.0 / B, dtype=np.float32))
    out.append(_crc("d_dx", dx))
    out.append(_crc("d_grad0", d.get_grads(0)))
    out.append(_crc("g_train", g.forward(z, training=True)))
    g.close()
    d.close()

    # 2. three BCE steps
    g = libgan.Model.preset("mnist-generator").init_params(1)
    d = libgan.Model.preset("mnist-discriminator").init_params(2)
    t = libgan.Trainer(g, d, libgan.Adam(g, lr=1e-4), libgan.Adam(d, lr=1e-4), libgan.Loss(),
                       seed=42)
    for k in range(3):
        out.append(_stats("bce_step%d" % k, t.step(real[k * 16:(k + 1) * 16])))
    out.append(_params("bce_g_params", g))
    out.append(_params("bce_d_params", d))

    # 3. fit with a step callback
    ds = libgan.Dataset.from_array(real).set_batching(batch_size=16, seed=3)
    losses = []
    t.fit(ds, 1, on_step=lambda step, s: losses.extend([s["d_loss"], s["g_loss"]]))
    out.append(_full("fit_losses", losses))
    out.append(_params("fit_g_params", g))

    # 4. sampling
    s = libgan.Sampler(g, seed=11)
    out.append(_crc("sampler_float", s.generate(4)))
    s.set_seed(11)
    u8 = s.generate(4, uint8=True)
    out.append("sampler_u8 %d crc32=%08x" % (u8.size, zlib.crc32(u8.tobytes())))
    out.append(_crc("sampler_latent", s.latent(2)))
    for h in (s, t, ds, g, d):
        h.close()

    # 5. WGAN
    g = libgan.Model.preset("mnist-generator")
    d = libgan.Model.preset("wgan-critic")
    t = libgan.Trainer(g, d, libgan.RMSprop(g, lr=5e-5), libgan.RMSprop(d, lr=5e-5),
                       libgan.Loss("wasserstein", clip=0.01), n_critic=5, seed=7)
    for k in range(2):
        out.append(_stats("wgan_step%d" % k, t.step(real[k * 8:k * 8 + 40])))
    out.append(_params("wgan_d_params", d))
    g.close()
    d.close()
    return out


def _parity_program(tmp_path):
    p = os.environ.get("GAN_PARITY_PROGRAM")
    if p:
        return p
    libdir = os.path.dirname(os.path.realpath(libgan.library_path))
    cand = os.path.join(libdir, "tests", "python", "gan_py_parity")
    if os.path.isfile(cand):
        return cand
    cc = shutil.which("cc")
    version_h = os.path.join(libdir, "include", "gan_version.h")
    if not cc or not os.path.isfile(version_h):
        pytest.skip("no GAN_PARITY_PROGRAM, no built gan_py_parity and no cc + build tree "
                    "to compile tests/parity.c")
    exe = str(tmp_path / "gan_py_parity")
    subprocess.run([cc, "-std=c11", "-O1", "-o", exe,
                    os.path.join(os.path.dirname(__file__), "parity.c"),
                    "-I", os.path.join(REPO, "include"), "-I", os.path.join(libdir, "include"),
                    os.path.realpath(libgan.library_path), "-Wl,-rpath," + libdir, "-lz"],
                   check=True)
    return exe


@requires("gan_sampler_create", "gan_sampler_generate", "gan_sampler_generate_u8",
          "gan_sampler_latent")
def test_python_matches_c_bit_for_bit(tmp_path):
    exe = _parity_program(tmp_path)
    res = subprocess.run([exe], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    c_lines = res.stdout.splitlines()
    py_lines = python_lines()
    assert [ln.split(" ", 1)[0] for ln in py_lines] == [ln.split(" ", 1)[0] for ln in c_lines]
    for c, p in zip(c_lines, py_lines):
        assert p == c, "first difference in %s" % c.split(" ", 1)[0]


@requires("gan_sampler_create")
def test_python_runs_are_reproducible():
    """Two runs of the same Python scenario in one process agree exactly."""
    assert python_lines() == python_lines()
