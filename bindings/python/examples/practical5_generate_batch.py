#!/usr/bin/env python3
"""Practical 5: generate a batch of fake images and display them.

z = N(0, 1) of shape (16, 100), imgs = generator(z, training=False),
(imgs + 1) / 2, a 4x4 grid; also the uint8 pixels a game would upload as a
texture.  The generator is --model (a model file) or the 28x28 preset.
"""

import _common
from _common import libgan


def main(argv=None):
    p = _common.parser(__doc__.splitlines()[0], data=False)
    p.add_argument("--model", help="a generator model file (libgan format)")
    p.add_argument("-n", type=int, default=16)
    args = p.parse_args(argv)
    generator = (libgan.Model.load(args.model) if args.model
                 else libgan.Model.preset("mnist-generator").init_params(args.seed))
    sampler = libgan.Sampler(generator, seed=args.seed)
    z = sampler.latent(args.n)                     # tf.random.normal([16, 100])
    imgs = generator.forward(z, training=False)    # (16, 28, 28, 1) in [-1, 1]
    pixels = sampler.generate(z=z, uint8=True)     # the same images as uint8
    print("generated %s float images in [%.3f, %.3f], %s uint8 pixels"
          % (imgs.shape, imgs.min(), imgs.max(), pixels.shape))
    _common.show_grid(imgs, _common.out_path(args, "practical5_batch.png"), "a batch of fakes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
