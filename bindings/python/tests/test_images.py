"""Datasets from folders of PNG and JPEG images (Dataset.load_images,
libgan.load_images): files written here with PIL (python3-pil)."""

import io
import os

import numpy as np
import pytest

import libgan
from conftest import requires

PIL = pytest.importorskip("PIL.Image")

pytestmark = requires("gan_dataset_load_images", "gan_dataset_load_images_mem",
                      "gan_dataset_class_name", "gan_dataset_image_report")


def disc(size, colour, radius, alpha=True):
    """A disc of colour on a transparent (or black) background."""
    img = PIL.new("RGBA" if alpha else "RGB", (size, size), (0, 0, 0, 0) if alpha else (0, 0, 0))
    px = img.load()
    c = (size - 1) / 2
    for y in range(size):
        for x in range(size):
            if (x - c) ** 2 + (y - c) ** 2 <= radius ** 2:
                px[x, y] = colour + ((255,) if alpha else ())
    return img


def encoded(img, fmt="PNG"):
    b = io.BytesIO()
    img.save(b, fmt)
    return b.getvalue()


@pytest.fixture
def sprites(tmp_path):
    """red/ and blue/: 3 discs each, 24x24 RGBA; plus a README."""
    root = tmp_path / "sprites"
    for name, colour in (("red", (255, 0, 0)), ("blue", (0, 0, 255))):
        (root / name).mkdir(parents=True)
        for i in range(3):
            disc(24, colour, 6 + 2 * i).save(root / name / ("%d.png" % i))
    (root / "README.txt").write_text("not an image")
    return root


def test_folder_labels_and_values(sprites):
    ds = libgan.load_images(sprites, size=16, channels=4)
    assert len(ds) == 6
    assert ds.shape == (16, 16, 4)
    assert ds.has_labels and ds.n_classes == 2
    assert ds.class_names == ["blue", "red"]
    # byte order of paths: blue/0..2 then red/0..2
    for i in range(6):
        x, label = ds[i]
        assert label == (0 if i < 3 else 1)
        centre = np.rint((x[8, 8] + 1) * 127.5).astype(int)
        expect = [0, 0, 255, 255] if i < 3 else [255, 0, 0, 255]
        assert list(centre) == expect
        corner = np.rint((x[0, 0] + 1) * 127.5).astype(int)
        assert list(corner) == [0, 0, 0, 0]           # transparent
    r = ds.image_report
    assert r["files"] == 6 and r["loaded"] == 6 and r["skipped"] == 0
    assert r["ignored"] == 1 and r["cache"] == "off" and r["first_error"] == ""
    # composited on a background: RGB
    rgb = libgan.Dataset.load_images(sprites, size=(8, 12), channels=3, fit="pad",
                                     background=(0, 255, 0))
    assert rgb.shape == (8, 12, 3)
    x, _ = rgb[0]
    assert list(np.rint((x[0, 0] + 1) * 127.5).astype(int)) == [0, 255, 0]
    # batches work as for every dataset
    ds.set_batching(batch_size=4, drop_remainder=False, seed=1)
    xs = [b for b, _ in ds]
    assert sum(len(b) for b in xs) == 6


def test_cache(sprites, tmp_path):
    cache = tmp_path / "sprites.cache"
    a = libgan.load_images(sprites, size=16, channels=4, cache=cache)
    assert a.image_report["cache"] == "written"
    b = libgan.load_images(sprites, size=16, channels=4, cache=cache)
    assert b.image_report["cache"] == "hit"
    for i in range(len(a)):
        assert np.array_equal(a[i][0], b[i][0]) and a[i][1] == b[i][1]
    assert b.class_names == ["blue", "red"]
    # touch a file: rebuilt
    f = sprites / "red" / "1.png"
    os.utime(f, ns=(1_000_000_000, 1_000_000_000))
    c = libgan.load_images(sprites, size=16, channels=4, cache=cache)
    assert c.image_report["cache"] == "written"
    assert "stale" in c.image_report["cache_note"]
    # corrupt: ignored and rebuilt
    data = bytearray(cache.read_bytes())
    data[len(data) // 2] ^= 0xFF
    cache.write_bytes(bytes(data))
    d = libgan.load_images(sprites, size=16, channels=4, cache=str(cache))
    assert d.image_report["cache"] == "written"
    assert np.array_equal(d[5][0], a[5][0])


def test_progress(sprites):
    calls = []
    libgan.load_images(sprites, size=8, progress=lambda done, total, name: calls.append(
        (done, total, name)))
    assert [c[0] for c in calls] == [1, 2, 3, 4, 5, 6]
    assert all(c[1] == 6 for c in calls)
    assert calls[0][2] == "blue/0.png"

    def boom(done, total, name):
        raise RuntimeError("stop here")
    with pytest.raises(RuntimeError, match="stop here"):
        libgan.load_images(sprites, size=8, progress=boom)


def test_bad_files(sprites):
    bad = sprites / "red" / "broken.png"
    bad.write_bytes(encoded(disc(8, (1, 2, 3), 2))[:40])
    with pytest.raises(libgan.FormatError, match=r"red/broken\.png: offset "):
        libgan.load_images(sprites, size=8)
    ds = libgan.load_images(sprites, size=8, on_error="skip")
    r = ds.image_report
    assert r["loaded"] == 6 and r["skipped"] == 1
    assert "broken.png" in r["first_error"]
    empty = sprites / "empty"
    empty.mkdir()
    with pytest.raises(libgan.InvalidArgumentError, match="no PNG or JPEG images"):
        libgan.load_images(empty, size=8)
    with pytest.raises(libgan.GanIOError, match="cannot open the folder"):
        libgan.load_images(sprites / "missing", size=8)
    # mixed sizes need a size
    (sprites / "blue" / "big.png").write_bytes(encoded(disc(30, (0, 0, 255), 5)))
    with pytest.raises(libgan.ShapeError, match="expected 24x24"):
        libgan.load_images(sprites, on_error="fail")


def test_bytes_and_arguments():
    files = {
        "cats/a.png": encoded(disc(10, (200, 100, 50), 4)),
        "dogs/b.jpg": encoded(disc(10, (10, 20, 30), 4, alpha=False), "JPEG"),
        "cats/c": encoded(disc(12, (9, 9, 9), 5, alpha=False)),
    }
    ds = libgan.Dataset.load_images_bytes(files, size=6, channels=1)
    assert len(ds) == 3 and ds.shape == (6, 6, 1)
    assert ds.class_names == ["cats", "dogs"]
    assert [ds[i][1] for i in range(3)] == [0, 1, 0]       # the given order
    bb = libgan.Dataset.load_images_bytes([("x.png", bytearray(files["cats/a.png"]))], size=4)
    assert bb.shape == (4, 4, 3) and not bb.has_labels and bb.class_names == []
    with pytest.raises(libgan.FormatError, match=r"junk\.png: offset 0: not a PNG or JPEG"):
        libgan.Dataset.load_images_bytes({"junk.png": b"hello world"})
    with pytest.raises(libgan.InvalidArgumentError, match="fit must be one of"):
        libgan.Dataset.load_images_bytes(files, size=4, fit="zoom")
    with pytest.raises(libgan.InvalidArgumentError, match="channels is 2"):
        libgan.Dataset.load_images_bytes(files, size=4, channels=2)
    with pytest.raises(libgan.InvalidArgumentError, match="files is empty"):
        libgan.Dataset.load_images_bytes({})
    # a decompression bomb header is refused by the pixel limit
    with pytest.raises(libgan.FormatError, match="more than the limit of 50 pixels"):
        libgan.Dataset.load_images_bytes(files, size=4, max_pixels=50)
    # not an image dataset
    plain = libgan.Dataset.from_array(np.zeros((2, 3), np.float32))
    with pytest.raises(libgan.InvalidArgumentError, match="not loaded from images"):
        plain.image_report
    assert plain.class_names == []
    with pytest.raises(libgan.ShapeError):
        plain.set_flip_x(True)


def test_flip_x():
    img = PIL.new("L", (4, 2))
    img.putdata([0, 50, 100, 150, 200, 250, 25, 75])
    ds = libgan.Dataset.load_images_bytes({"a.png": encoded(img)}, channels=1, flip_x=True)
    ds.set_batching(batch_size=1, shuffle=False, seed=3)
    original = ds[0][0]
    seen = set()
    for _ in range(16):
        x, _, _ = ds.next_batch()
        assert ds.next_batch() is None
        if np.array_equal(x[0], original):
            seen.add("plain")
        else:
            assert np.array_equal(x[0], original[:, ::-1])
            seen.add("flipped")
    assert seen == {"plain", "flipped"}
