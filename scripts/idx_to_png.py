#!/usr/bin/env python3
"""Write the first N images of an MNIST-format (IDX) set as gray PNG files.

    scripts/idx_to_png.py IMAGES.gz LABELS.gz N OUT_DIR

Each image goes to OUT_DIR/<label>/<index>.png (first-level folders are the
classes of gan_dataset_load_images), so an image-folder run (gan train
--images OUT_DIR --size 28 --channels 1) trains on exactly the images of a
--limit N run on the IDX files, and gan eval measures it against the test
set.  docs/own-images.md uses it to measure the families at 28 px.
Standard library only (gzip, zlib, struct).
"""
import gzip
import os
import struct
import sys
import zlib


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    if magic >> 8 != 0x08 or ndim not in (1, 3):
        sys.exit(f"{path}: not an unsigned-byte IDX file of 1 or 3 dimensions")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def png_gray(w, h, pixels):
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + pixels[y * w:(y + 1) * w] for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    (n_img, h, w), pix = read_idx(sys.argv[1])
    (n_lab,), labels = read_idx(sys.argv[2])
    n = min(int(sys.argv[3]), n_img, n_lab)
    out = sys.argv[4]
    for i in range(n):
        d = os.path.join(out, str(labels[i]))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"{i:05d}.png"), "wb") as f:
            f.write(png_gray(w, h, pix[i * h * w:(i + 1) * h * w]))
    print(f"{n} images of {h}x{w} in {out}")


if __name__ == "__main__":
    main()
