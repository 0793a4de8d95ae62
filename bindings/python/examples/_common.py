"""What the practicals share: importing libgan from the source tree, data,
command-line options and showing an image grid.

Images are shown as the notebook does, with matplotlib, when it is installed
(saved to a PNG file, or shown on screen with --show); without matplotlib the
grid is written as a PNG by libgan's own writer (libgan.write_png_grid).
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))   # bindings/python: the libgan package

import libgan  # noqa: E402


def parser(description, steps=None, batch=256, data=True):
    p = argparse.ArgumentParser(description=description)
    if data:
        p.add_argument("--data", default=libgan.FASHION_MNIST_DIR,
                       help="MNIST-format directory (default: Debian's Fashion-MNIST)")
        p.add_argument("--batch", type=int, default=batch, help="batch size (%(default)s)")
    if steps is not None:
        p.add_argument("--steps", type=int, default=steps,
                       help="training steps (batches) to run (%(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed (%(default)s)")
    p.add_argument("--out", default=".", help="directory for the images (%(default)s)")
    p.add_argument("--show", action="store_true", help="show the grid on screen (matplotlib)")
    return p


def load_fashion_mnist(args, samples):
    """The first `samples` training images, in [-1, 1], batched like the
    notebook's tf.data pipeline (shuffle, batch, drop_remainder)."""
    ds = libgan.Dataset.load_mnist_dir(args.data, train=True)
    ds.limit(samples)
    ds.set_batching(batch_size=args.batch, shuffle=True, drop_remainder=True, seed=args.seed)
    return ds


def show_grid(images, path, title=""):
    """Show n images (float in [-1, 1] or uint8, shape (n, h, w, c)) as a
    square grid: with matplotlib if installed, else a PNG from libgan."""
    import math
    try:
        import numpy as np
    except ImportError:
        np = None
    n = len(images) if np is not None else None
    try:
        import matplotlib
        if not os.environ.get("DISPLAY"):
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
    if plt is not None and np is not None:
        imgs = np.asarray(images)
        if imgs.dtype != np.uint8:
            imgs = (imgs + 1.0) / 2.0            # bring to [0, 1], as the notebook does
        side = int(math.ceil(math.sqrt(n)))
        plt.figure(figsize=(side, side))
        for i in range(n):
            plt.subplot(side, side, i + 1)
            plt.imshow(imgs[i, :, :, 0], cmap="gray")
            plt.axis("off")
        if title:
            plt.suptitle(title)
        plt.savefig(path)
        plt.close()
        print("saved %s (matplotlib)" % path)
        return path
    if np is not None and np.asarray(images).dtype != np.uint8:
        images = libgan.to_uint8(images)
    libgan.write_png_grid(path, images, cols=0, pad=2)
    print("saved %s (libgan PNG writer; matplotlib is not installed)" % path)
    return path


def out_path(args, name):
    os.makedirs(args.out, exist_ok=True)
    return os.path.join(args.out, name)
