#!/usr/bin/env python3
"""Practical 4: a WGAN critic with Wasserstein losses.

make_critic() layer by layer (the notebook's: no dropout, a linear score),
its summary, the two Wasserstein losses checked against their formulas
(critic: mean(fake) - mean(real); generator: -mean(fake)), then WGAN
training as the paper does it: RMSprop 5e-5, weight clipping 0.01 and
n_critic = 5 critic updates per generator update, for --steps steps.
"""

import _common
from _common import libgan


def make_critic():
    model = libgan.Model((28, 28, 1))
    model.add_conv2d(64, (5, 5), strides=(2, 2), padding="same")
    model.add_leaky_relu()
    model.add_conv2d(128, (5, 5), strides=(2, 2), padding="same")
    model.add_leaky_relu()
    model.add_flatten()
    model.add_dense(1)          # linear output as critic score
    return model


def main(argv=None):
    p = _common.parser(__doc__.splitlines()[0], steps=20, batch=64)
    p.add_argument("--n-critic", type=int, default=5)
    p.add_argument("--clip", type=float, default=0.01)
    args = p.parse_args(argv)

    critic = make_critic()
    print(critic.summary())
    loss = libgan.Loss("wasserstein", clip=args.clip)

    # The losses on one batch of scores, against the notebook's formulas.
    import array
    real_score = array.array("f", [0.5, 1.5, -0.25, 2.0])
    fake_score = array.array("f", [-1.0, 0.25, 0.75, -0.5])
    c_loss, _, _ = loss.discriminator(real_score, fake_score)
    g_loss, _ = loss.generator(fake_score)
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    print("critic_loss = %.4f (formula %.4f), generator_loss = %.4f (formula %.4f)"
          % (c_loss, mean(fake_score) - mean(real_score), g_loss, -mean(fake_score)))

    generator = libgan.Model.preset("mnist-generator").init_params(args.seed)
    trainer = libgan.Trainer(generator, critic, libgan.RMSprop(generator, lr=5e-5),
                             libgan.RMSprop(critic, lr=5e-5), loss,
                             n_critic=args.n_critic, seed=args.seed)
    # one step consumes n_critic batches
    ds = _common.load_fashion_mnist(args, args.steps * args.n_critic * args.batch)

    def on_step(step, s):
        if step == 1 or step % 10 == 0 or step == args.steps:
            print("step %d: critic loss %.4f, generator loss %.4f, E[D(real)] %.4f, "
                  "E[D(fake)] %.4f" % (step, s["d_loss"], s["g_loss"], s["d_real"], s["d_fake"]))

    trainer.fit(ds, 1, on_step=on_step)
    biggest = max(float(abs(v)) for i in range(len(critic)) if critic.layer_sizes(i)[0]
                  for v in critic.get_params(i))
    print("largest critic weight after clipping: %.4f (clip %.4f)" % (biggest, args.clip))
    _common.show_grid(libgan.Sampler(generator, seed=args.seed).generate(9),
                      _common.out_path(args, "practical4_wgan.png"), "WGAN samples")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
