"""Sampler, latent interpolation and PNG grids."""

import io
import zlib

import numpy as np
import pytest

import libgan
from conftest import requires

SAMPLER = requires("gan_sampler_create", "gan_sampler_free", "gan_sampler_set_seed",
                   "gan_sampler_dims", "gan_sampler_latent", "gan_sampler_generate",
                   "gan_sampler_generate_u8")
INTERP = requires("gan_latent_interpolate")
PNG = requires("gan_png_write_grid", "gan_png_encode_grid", "gan_free")


@pytest.fixture(scope="module")
def generator():
    g = libgan.Model.preset("mnist-generator").init_params(3)
    yield g
    g.close()


@SAMPLER
def test_generate_is_reproducible_and_matches_forward(generator):
    s = libgan.Sampler(generator, seed=7)
    assert s.latent_dim == 100 and s.image_shape == (28, 28, 1)
    a = s.generate(5)
    assert a.shape == (5, 28, 28, 1) and a.dtype == np.float32
    assert np.abs(a).max() <= 1.0
    s.set_seed(7)
    np.testing.assert_array_equal(s.generate(5), a)
    s.set_seed(7)
    z = s.latent(5)
    assert z.shape == (5, 100)
    np.testing.assert_array_equal(s.generate(z=z), a)
    np.testing.assert_array_equal(generator.forward(z), a)   # inference mode
    u = s.generate(z=z, uint8=True)
    assert u.dtype == np.uint8 and u.shape == (5, 28, 28, 1)
    np.testing.assert_array_equal(u, libgan.to_uint8(a))
    with pytest.raises(libgan.ShapeError):
        s.generate(z=np.zeros((2, 99), np.float32))
    with pytest.raises(libgan.ShapeError):
        s.generate(3, z=z)
    with pytest.raises(libgan.InvalidArgumentError):
        s.generate()
    out = np.empty((2, 28, 28, 1), np.uint8)
    assert s.generate(2, uint8=True, out=out) is out
    s.close()


@SAMPLER
def test_sampler_needs_vector_input():
    d = libgan.Model.preset("mnist-discriminator")
    with pytest.raises(libgan.GanError):
        libgan.Sampler(d)


@INTERP
def test_latent_interpolation():
    z0 = np.zeros(4, np.float32)
    z1 = np.array([1, 2, 3, 4], np.float32)
    path = libgan.latent_interpolate(z0, z1, 5)
    assert path.shape == (5, 4)
    np.testing.assert_allclose(path[2], z1 / 2, rtol=1e-6)
    a = np.array([1, 0, 0, 0], np.float32)
    b = np.array([0, 1, 0, 0], np.float32)
    sl = libgan.latent_interpolate(a, b, 3, spherical=True)
    np.testing.assert_allclose(np.linalg.norm(sl, axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(sl[0], a)
    np.testing.assert_array_equal(sl[-1], b)
    with pytest.raises(libgan.InvalidArgumentError):
        libgan.latent_interpolate(a, b, 1)
    with pytest.raises(libgan.ShapeError):
        libgan.latent_interpolate(a, b[:3], 3)


@SAMPLER
@INTERP
def test_sampler_interpolate(generator):
    s = libgan.Sampler(generator)
    z = s.latent(2)
    imgs = s.interpolate(z[0], z[1], 4, uint8=True)
    assert imgs.shape == (4, 28, 28, 1)


def _decode_png(data):
    """Minimal PNG reader (8-bit, filter types 0-4) so the test needs no PIL."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        assert zlib.crc32(kind + body) == int.from_bytes(data[pos + 8 + n:pos + 12 + n], "big")
        if kind == b"IHDR":
            ihdr = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h = int.from_bytes(ihdr[0:4], "big"), int.from_bytes(ihdr[4:8], "big")
    ch = {0: 1, 2: 3, 6: 4}[ihdr[9]]
    raw = zlib.decompress(idat)
    stride = w * ch
    out = np.zeros((h, stride), np.int32)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        prev = out[y - 1] if y else np.zeros(stride, np.int32)
        cur = np.zeros(stride, np.int32)
        for x in range(stride):
            a = cur[x - ch] if x >= ch else 0
            b = prev[x]
            c = prev[x - ch] if x >= ch else 0
            if f == 0:
                p = 0
            elif f == 1:
                p = a
            elif f == 2:
                p = b
            elif f == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[x] = (line[x] + p) & 255
        out[y] = cur
    return out.reshape(h, w, ch).astype(np.uint8)


@PNG
def test_png_grid(tmp_path):
    imgs = (np.arange(4 * 3 * 5 * 3) % 256).astype(np.uint8).reshape(4, 3, 5, 3)
    data = libgan.encode_png_grid(imgs, cols=2, pad=1)
    px = _decode_png(data)
    assert px.shape == (1 + 2 * 4, 1 + 2 * 6, 3)
    np.testing.assert_array_equal(px[1:4, 1:6], imgs[0])
    np.testing.assert_array_equal(px[5:8, 7:12], imgs[3])
    assert px[0].max() == 0               # black padding
    p = tmp_path / "grid.png"
    libgan.write_png_grid(p, imgs, cols=2, pad=1)
    assert p.read_bytes() == data
    gray = np.full((9, 4, 4), 200, np.uint8)        # (n, h, w): one channel
    assert _decode_png(libgan.encode_png_grid(gray, pad=0)).shape == (12, 12, 1)
    with pytest.raises(libgan.ShapeError):
        libgan.encode_png_grid(np.zeros((2, 2), np.uint8))
    with pytest.raises(TypeError):
        libgan.encode_png_grid(np.zeros((1, 2, 2, 1), np.float32))
    with pytest.raises(libgan.InvalidArgumentError):
        libgan.encode_png_grid(np.zeros((1, 2, 2, 2), np.uint8))   # 2 channels
    with pytest.raises(libgan.GanIOError):
        libgan.write_png_grid(tmp_path / "missing" / "g.png", gray)
    try:
        from PIL import Image
    except ImportError:
        return
    im = Image.open(io.BytesIO(data))
    np.testing.assert_array_equal(np.asarray(im), px)
