#!/usr/bin/env python3
"""Practical 2: a standalone discriminator for 28x28 images, layer by layer.

The notebook's build_discriminator(0.4): Conv2D 64 (5x5, stride 2, same),
LeakyReLU, Dropout, Conv2D 128, LeakyReLU, Flatten, Dense 1; then
disc.summary().  With --limit N it also scores N Fashion-MNIST images.
"""

import _common
from _common import libgan


def build_discriminator(dropout_rate=0.3):
    model = libgan.Model((28, 28, 1))
    model.add_conv2d(64, (5, 5), strides=(2, 2), padding="same")
    model.add_leaky_relu()
    model.add_dropout(dropout_rate)
    model.add_conv2d(128, (5, 5), strides=(2, 2), padding="same")
    model.add_leaky_relu()
    model.add_flatten()
    model.add_dense(1)
    return model


def main(argv=None):
    p = _common.parser(__doc__.splitlines()[0], batch=64)
    p.add_argument("--dropout", type=float, default=0.4)
    p.add_argument("--limit", type=int, default=0, help="score this many real images")
    args = p.parse_args(argv)
    disc = build_discriminator(args.dropout)
    print(disc.summary())
    if args.limit:
        ds = libgan.Dataset.load_mnist_dir(args.data).limit(args.limit)
        ds.set_batching(batch_size=min(args.batch, args.limit), shuffle=False,
                        drop_remainder=False)
        scores = []
        for x, _ in ds:
            scores.extend(float(v) for v in disc.forward(x).reshape(-1))
        print("mean logit of %d real images (untrained): %.4f"
              % (len(scores), sum(scores) / len(scores)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
