#!/usr/bin/python3
"""For a few samples of a trained generator, the nearest training image
(L2 over all channels in [-1, 1]): evidence that the generator does not
copy its data (issue 15, docs/own-images.md).

  scripts/nearest_images.py GENERATOR DIR SIZE CHANNELS OUT.png [N] [SEED]

Writes a PNG of two rows, scaled 2x: N samples (seed SEED, as `gan sample
GENERATOR --seed SEED`), and under each its nearest image of DIR loaded as
`gan train --images DIR --size SIZE --channels CHANNELS` loads it; prints
each distance and, for scale, the median distance between two training
images."""
import sys

import numpy as np

import libgan


def main():
    gen, folder, size, ch, out = sys.argv[1:6]
    n = int(sys.argv[6]) if len(sys.argv) > 6 else 8
    seed = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    size, ch = int(size), int(ch)
    ds = libgan.load_images(folder, size=size, channels=ch, labels="none", on_error="skip")
    data = np.stack([ds[i][0] for i in range(len(ds))]).reshape(len(ds), -1)
    g = libgan.Model.load(gen)
    samples = libgan.Sampler(g, seed=seed).generate(n).reshape(n, -1)
    # |s - d|^2 = |s|^2 + |d|^2 - 2 s.d in double: no (samples x images x
    # pixels) temporary, which is gigabytes for thousands of 64 px images.
    s64, d64 = samples.astype(np.float64), data.astype(np.float64)
    d2 = np.maximum((s64 ** 2).sum(1)[:, None] + (d64 ** 2).sum(1)[None, :] - 2.0 * s64 @ d64.T,
                    0.0)
    nearest = d2.argmin(1)
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, len(data), size=(200, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    typical = np.median(np.sqrt(((data[pairs[:, 0]] - data[pairs[:, 1]]) ** 2).sum(-1)))
    for i in range(n):
        print("sample %d: nearest training image %d at L2 %.1f" % (i, nearest[i],
                                                                  np.sqrt(d2[i, nearest[i]])))
    print("median L2 between two training images: %.1f (%d images)" % (typical, len(data)))
    rows = np.concatenate([samples, data[nearest]]).reshape(2 * n, size, size, ch)
    u8 = libgan.to_uint8(rows).reshape(2 * n, size, size, ch)
    u8 = u8.repeat(2, axis=1).repeat(2, axis=2)
    libgan.write_png_grid(out, u8, cols=n, pad=2)


if __name__ == "__main__":
    main()
