"""The practicals of the second notebook (bindings/python/examples), each run
at a small size on the real Fashion-MNIST data."""

import os
import subprocess
import sys

import pytest

import libgan
from conftest import PKG_ROOT, TINY, requires, subprocess_env

EXAMPLES = os.path.join(PKG_ROOT, "examples")
needs_data = pytest.mark.skipif(not os.path.isdir(libgan.FASHION_MNIST_DIR),
                                reason="dataset-fashion-mnist is not installed "
                                       "(scripts/deps.sh installs it)")
SAMPLING = requires("gan_sampler_create", "gan_sampler_generate", "gan_png_write_grid")
FILES = requires("gan_model_save", "gan_model_load")


def run(script, *args, cwd=None):
    res = subprocess.run([sys.executable, os.path.join(EXAMPLES, script)] + list(args),
                         capture_output=True, text=True, env=subprocess_env(), timeout=600,
                         cwd=cwd)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


@needs_data
@SAMPLING
@FILES
def test_practical1_then_3_and_5(tmp_path):
    out = run("practical1_simple_gan.py", "--steps", "2", "--batch", "16" if TINY else "32",
              "--out", str(tmp_path))
    assert "Epoch 1, gen_loss=" in out and "disc_loss=" in out
    assert is_png(tmp_path / "practical1_samples.png")
    model = tmp_path / "generator.gan"
    assert libgan.file_probe(model) == "model"
    run("practical3_sample_grid.py", "--model", str(model), "--out", str(tmp_path))
    assert is_png(tmp_path / "practical3_grid.png")
    out = run("practical5_generate_batch.py", "--model", str(model), "--out", str(tmp_path))
    assert "(16, 28, 28, 1)" in out
    assert is_png(tmp_path / "practical5_batch.png")


@needs_data
def test_practical2_discriminator(tmp_path):
    out = run("practical2_discriminator.py", "--dropout", "0.4", "--limit", "8",
              "--out", str(tmp_path))
    assert "Total params: 212,865" in out and "dropout" in out
    assert "mean logit of 8 real images" in out


@needs_data
@SAMPLING
def test_practical3_trains_preset_without_model(tmp_path):
    run("practical3_sample_grid.py", "--steps", "1", "--batch", "8", "--out", str(tmp_path))
    assert is_png(tmp_path / "practical3_grid.png")


@needs_data
@SAMPLING
def test_practical4_wgan(tmp_path):
    out = run("practical4_wgan.py", "--steps", "2", "--batch", "8" if TINY else "16",
              "--out", str(tmp_path))
    assert "critic_loss = -1.0625 (formula -1.0625)" in out
    assert "step 2: critic loss" in out
    assert "largest critic weight after clipping: 0.0100" in out
    assert is_png(tmp_path / "practical4_wgan.png")


@needs_data
def test_practical7_8_dropout(tmp_path):
    out = run("practical7_8_dropout.py", "--dropout", "0.5", "--batch", "4",
              "--out", str(tmp_path))
    assert "training forwards equal: False; inference forwards equal: True" in out
    out = run("practical7_8_dropout.py", "--dropout", "0", "--batch", "4", "--out", str(tmp_path))
    assert "training forwards equal: True" in out
