#!/usr/bin/env python3
"""Practicals 7 & 8: a discriminator with configurable dropout.

add_dropout_and_build(dropout_rate) is practical 2's build_discriminator
with the rate given; its summary, then what dropout does: in training mode
two forwards of one batch differ (new masks), in inference mode they agree.
"""

import _common
from _common import libgan
from practical2_discriminator import build_discriminator


def add_dropout_and_build(dropout_rate=0.4):
    return build_discriminator(dropout_rate=dropout_rate)


def main(argv=None):
    p = _common.parser(__doc__.splitlines()[0], batch=8)
    p.add_argument("--dropout", type=float, default=0.4)
    args = p.parse_args(argv)
    disc_with_dropout = add_dropout_and_build(args.dropout)
    print(disc_with_dropout.summary())
    ds = libgan.Dataset.load_mnist_dir(args.data).limit(args.batch)
    ds.set_batching(batch_size=args.batch, shuffle=False)
    x, _ = next(iter(ds))
    disc_with_dropout.set_seed(args.seed)
    t1 = disc_with_dropout.forward(x, training=True)
    t2 = disc_with_dropout.forward(x, training=True)
    i1 = disc_with_dropout.forward(x, training=False)
    i2 = disc_with_dropout.forward(x, training=False)
    same = lambda a, b: bool((a == b).all())  # noqa: E731
    print("dropout %.2f: training forwards equal: %s; inference forwards equal: %s"
          % (args.dropout, same(t1, t2), same(i1, i2)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
