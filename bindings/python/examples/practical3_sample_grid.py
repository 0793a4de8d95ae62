#!/usr/bin/env python3
"""Practical 3: a sampling helper that plots a 3x3 grid.

sample_and_plot(generator, n=9): z ~ N(0, 1), generator(z, training=False),
(imgs + 1) / 2, a sqrt(n) x sqrt(n) grid.  The generator is a model file
(--model, e.g. generator.gan from practical 1), or the 28x28 preset trained
for --steps steps here.
"""

import math

import _common
from _common import libgan


def sample_and_plot(generator, n=9, seed=0, path="samples.png"):
    sampler = libgan.Sampler(generator, seed=seed)   # z ~ N(0, 1), inference mode
    imgs = sampler.generate(n)
    side = int(math.sqrt(n))
    return _common.show_grid(imgs[: side * side], path, "%d samples" % n)


def main(argv=None):
    p = _common.parser(__doc__.splitlines()[0], steps=0, batch=64)
    p.add_argument("--model", help="a generator model file (libgan format)")
    p.add_argument("-n", type=int, default=9)
    args = p.parse_args(argv)
    if args.model:
        generator = libgan.Model.load(args.model)
    else:
        generator = libgan.Model.preset("mnist-generator")
        if args.steps:
            d = libgan.Model.preset("mnist-discriminator")
            t = libgan.Trainer(generator, d, libgan.Adam(generator, lr=1e-4),
                               libgan.Adam(d, lr=1e-4), libgan.Loss(), seed=args.seed)
            ds = _common.load_fashion_mnist(args, args.steps * args.batch)
            t.fit(ds, 1)
            print("trained %d steps" % t.progress[0])
    sample_and_plot(generator, args.n, args.seed, _common.out_path(args, "practical3_grid.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
