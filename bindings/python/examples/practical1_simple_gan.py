#!/usr/bin/env python3
"""Practical 1: a simple GAN on Fashion-MNIST (the second notebook).

The notebook's generator outputs 14x14 images, which do not fit its 28x28
discriminator; libgan's 'mnist-generator' preset is the corrected 28x28
generator (TensorFlow's DCGAN tutorial), and 'mnist-discriminator' is the
notebook's make_discriminator_model().  Adam 1e-4 for both, BCE on logits
with the non-saturating generator loss, batch 256: the notebook's
train_step.  As the notebook trains on train_dataset.take(50), --steps sets
the number of batches per epoch.

    PYTHONPATH=bindings/python /usr/bin/python3 practical1_simple_gan.py --steps 50
"""

import _common
from _common import libgan


def main(argv=None):
    p = _common.parser(__doc__.splitlines()[0], steps=50)
    p.add_argument("--epochs", type=int, default=1)
    args = p.parse_args(argv)

    ds = _common.load_fashion_mnist(args, args.steps * args.batch)
    generator = libgan.Model.preset("mnist-generator").init_params(args.seed)
    discriminator = libgan.Model.preset("mnist-discriminator").init_params(args.seed + 1)
    trainer = libgan.Trainer(generator, discriminator,
                             libgan.Adam(generator, lr=1e-4),
                             libgan.Adam(discriminator, lr=1e-4),
                             libgan.Loss("bce"), seed=args.seed)

    last = {}

    def on_step(step, stats):
        last.update(stats)

    def on_epoch(epoch, mean):
        # the notebook prints the last batch's losses
        print("Epoch %d, gen_loss=%.4f, disc_loss=%.4f" % (epoch, last["g_loss"],
                                                          last["d_loss"]))

    trainer.fit(ds, args.epochs, on_step=on_step, on_epoch=on_epoch)

    sampler = libgan.Sampler(generator, seed=args.seed)
    images = sampler.generate(16)                     # (16, 28, 28, 1) in [-1, 1]
    _common.show_grid(images, _common.out_path(args, "practical1_samples.png"),
                      "Generated samples (demo)")
    model_path = _common.out_path(args, "generator.gan")
    generator.save(model_path)
    print("saved %s" % model_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
