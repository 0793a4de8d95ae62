#!/usr/bin/env bash
# gan train: one step of each preset (dcgan-cifar10 trains on Fashion-MNIST
# padded to 32x32x3; wgan takes n_critic batches per step).
source "$(dirname "$0")/lib.sh"

"$GAN" train --preset dcgan-cifar10 --limit 64 --batch 32 --steps 1 --epochs 0 --threads 1 \
  --out dcgan >dcgan.log
grep -q "converted to 32x32x3" dcgan.log || fail "dcgan: no conversion"
# 8x8 images of 32x32 drawn 2x (64 px), 2 px apart.
png_ok dcgan/samples/step_000001.png 530x530
grep -q "^n_critic = 1" dcgan/run.txt && grep -q "^beta1 = 0.5" dcgan/run.txt || fail "dcgan run.txt"
"$GAN" train --preset wgan --limit 320 --batch 32 --steps 2 --epochs 0 --threads 1 --out wgan >wgan.log
grep -q "^loss = wasserstein" wgan/run.txt && grep -q "^n_critic = 5" wgan/run.txt &&
  grep -q "^optimizer = rmsprop" wgan/run.txt || fail "wgan run.txt"
csv_rows wgan/log.csv 2
"$GAN" train --preset wgan-gp --limit 320 --batch 32 --steps 2 --epochs 0 --threads 1 --out wgangp >wgangp.log
grep -q "^gradient_penalty = 10$" wgangp/run.txt && grep -q "^beta1 = 0$" wgangp/run.txt &&
  grep -q "^beta2 = 0.899999976$" wgangp/run.txt && grep -q "^optimizer = adam" wgangp/run.txt ||
  { cat wgangp/run.txt >&2; fail "wgan-gp run.txt"; }
csv_rows wgangp/log.csv 2
"$GAN" info wgangp/checkpoint.gan | grep -q "loss wasserstein" || fail "wgan-gp checkpoint"
# The stabilisation presets: R1 on real images, one-sided label smoothing.
"$GAN" train --preset mnist-gan-r1 --limit 64 --batch 32 --steps 2 --epochs 0 --threads 1 --out r1 >r1.log
grep -q "^r1_gamma = 1$" r1/run.txt && grep -q "^real_label = 1$" r1/run.txt &&
  grep -q "^beta1 = 0.5$" r1/run.txt || { cat r1/run.txt >&2; fail "mnist-gan-r1 run.txt"; }
csv_rows r1/log.csv 2
"$GAN" train --preset mnist-gan-ls --limit 64 --batch 32 --steps 2 --epochs 0 --threads 1 --out ls >ls.log
grep -q "^real_label = 0.899999976$" ls/run.txt && grep -q "^r1_gamma = 0$" ls/run.txt ||
  { cat ls/run.txt >&2; fail "mnist-gan-ls run.txt"; }
# A flag still overrides the preset's setting.
"$GAN" train --preset mnist-gan-ls --label-smoothing 1 --limit 64 --batch 32 --steps 1 --epochs 0 \
  --threads 1 --out ls1 >ls1.log
grep -q "^real_label = 1$" ls1/run.txt || fail "--label-smoothing does not override the preset"
# style: the style-based generator; its samples go through gan sample (a
# sampler's own style vectors).
"$GAN" train --preset style --limit 320 --batch 32 --steps 2 --epochs 0 --threads 1 --out style >style.log
grep -q "^preset = style$" style/run.txt && grep -q "^gradient_penalty = 10$" style/run.txt &&
  grep -q "^n_critic = 5$" style/run.txt ||
  { cat style/run.txt >&2; fail "style run.txt"; }
png_ok style/samples/step_000002.png 466x466   # 8x8 of 28x28 drawn 2x
# The same thread count as training: OpenBLAS may round differently with
# another one (results are reproducible for a given thread count).
"$GAN" sample style --seed 0 --n 64 --scale 2 --threads 1 --out style_again.png >/dev/null
cmp style/samples/step_000002.png style_again.png || fail "style: gan sample does not redraw the grid"
"$GAN" info style/checkpoint.gan | grep -q "adain" || fail "style checkpoint has no adain layer"
# The residual presets: blocks in both networks, spectral normalisation in
# D (its 1x1 shortcuts too), class-conditional batchnorm in cgan-resnet's G;
# gan sample redraws the grid through samplers (the shortcut buffers).
for p in sngan-resnet cgan-resnet; do
  "$GAN" train --preset $p --limit 64 --batch 32 --steps 2 --epochs 0 --threads 1 --out $p >$p.log
  grep -q "^preset = $p$" $p/run.txt && grep -q "^spectral_norm = 1$" $p/run.txt &&
    grep -q "^loss = hinge$" $p/run.txt || { cat $p/run.txt >&2; fail "$p run.txt"; }
  csv_rows $p/log.csv 2
  png_ok $p/samples/step_000002.png
  "$GAN" info $p/checkpoint.gan >$p.info
  grep -q "residual_conv" $p.info || fail "$p checkpoint has no residual_conv"
done
grep -q "class_affine" cgan-resnet.info || fail "cgan-resnet: no class_affine"
"$GAN" sample sngan-resnet --seed 0 --n 64 --scale 2 --threads 1 --out resnet_again.png >/dev/null
cmp sngan-resnet/samples/step_000002.png resnet_again.png || fail "sngan-resnet: gan sample does not redraw the grid"
# style2: StyleGAN2-lite G (modulated convolutions, equalised mapping
# network) with lazy R1 every 16 updates; --r1-every overrides it and is
# fixed on --resume; the checkpoint keeps it (a resumed run continues the
# same schedule); gan sample redraws the grid.
"$GAN" train --preset style2 --limit 64 --batch 32 --steps 2 --epochs 0 --threads 1 --out style2 >style2.log
grep -q "^preset = style2$" style2/run.txt && grep -q "^r1_every = 16$" style2/run.txt &&
  grep -q "^r1_gamma = 0.00245" style2/run.txt && grep -q "^loss = bce$" style2/run.txt &&
  grep -q "^beta2 = 0.99" style2/run.txt || { cat style2/run.txt >&2; fail "style2 run.txt"; }
csv_rows style2/log.csv 2
png_ok style2/samples/step_000002.png 466x466   # 8x8 of 28x28 drawn 2x
"$GAN" info style2/checkpoint.gan >style2.info
grep -q "modulated_conv2d" style2.info || fail "style2 checkpoint has no modulated_conv2d"
"$GAN" sample style2 --seed 0 --n 64 --scale 2 --threads 1 --out style2_again.png >/dev/null
cmp style2/samples/step_000002.png style2_again.png || fail "style2: gan sample does not redraw the grid"
"$GAN" train --resume style2 --r1-every 4 --steps 3 >/dev/null 2>style2_resume.err &&
  fail "--r1-every changed on --resume"
grep -q "r1-every cannot change" style2_resume.err || fail "--r1-every on --resume: no clear error"
"$GAN" train --resume style2 --steps 3 --threads 1 >/dev/null || fail "style2 resume"
csv_rows style2/log.csv 3
"$GAN" train --preset style2 --r1-every 1 --limit 64 --batch 32 --steps 1 --epochs 0 --threads 1 \
  --out style2e >/dev/null
grep -q "^r1_every = 1$" style2e/run.txt || fail "--r1-every does not override the preset"
# dcgan-hinge: the recipe of the best unconditional FID (docs/stabilisation.md):
# batch 32 by default, both rates, the EMA generator written beside the checkpoint.
"$GAN" train --preset dcgan-hinge --limit 96 --steps 2 --epochs 0 --threads 1 --out hinge >hinge.log
grep -q "^batch = 32$" hinge/run.txt && grep -q "^loss = hinge$" hinge/run.txt &&
  grep -q "^g_lr = 0.000399999" hinge/run.txt && grep -q "^d_lr = 0.000799999" hinge/run.txt &&
  grep -q "^ema_decay = 0.99" hinge/run.txt && grep -q "^spectral_norm = 0$" hinge/run.txt ||
  { cat hinge/run.txt >&2; fail "dcgan-hinge run.txt"; }
csv_rows hinge/log.csv 2
test -s hinge/generator.gan || fail "dcgan-hinge: no EMA generator.gan"
# resnet-hinge: the residual generator (no transposed convolution) with that recipe.
"$GAN" train --preset resnet-hinge --limit 96 --steps 2 --epochs 0 --threads 1 --out rhinge >rhinge.log
grep -q "^batch = 32$" rhinge/run.txt && grep -q "^loss = hinge$" rhinge/run.txt &&
  grep -q "^ema_decay = 0.99" rhinge/run.txt && grep -q "^spectral_norm = 0$" rhinge/run.txt ||
  { cat rhinge/run.txt >&2; fail "resnet-hinge run.txt"; }
"$GAN" info rhinge/generator.gan >rhinge.info
grep -q "residual_conv" rhinge.info && ! grep -q "conv2d_transpose" rhinge.info ||
  fail "resnet-hinge: generator is not the residual one"
# resnet-wide-hinge: the same recipe, the residual generator at twice the channels.
"$GAN" train --preset resnet-wide-hinge --limit 96 --steps 2 --epochs 0 --threads 1 --out rwhinge >rwhinge.log
grep -q "^batch = 32$" rwhinge/run.txt && grep -q "^loss = hinge$" rwhinge/run.txt &&
  grep -q "^g_lr = 0.000399" rwhinge/run.txt && grep -q "^d_lr = 0.000799" rwhinge/run.txt &&
  grep -q "^ema_decay = 0.99" rwhinge/run.txt && grep -q "^spectral_norm = 0$" rwhinge/run.txt ||
  { cat rwhinge/run.txt >&2; fail "resnet-wide-hinge run.txt"; }
"$GAN" info rwhinge/generator.gan >rwhinge.info
grep -q "residual_conv" rwhinge.info && grep -q "reshape  *(7, 7, 128)" rwhinge.info &&
  grep -q "Total params: 1,242,369" rwhinge.info ||
  { cat rwhinge.info >&2; fail "resnet-wide-hinge: generator is not the wide residual one"; }
# cgan-hinge: the same recipe on cgan's conditional networks.
"$GAN" train --preset cgan-hinge --limit 96 --steps 2 --epochs 0 --threads 1 --out chinge >chinge.log
grep -q "^batch = 32$" chinge/run.txt && grep -q "^loss = hinge$" chinge/run.txt &&
  grep -q "^ema_decay = 0.99" chinge/run.txt || { cat chinge/run.txt >&2; fail "cgan-hinge run.txt"; }
"$GAN" info chinge/generator.gan | grep -q "embedding" || fail "cgan-hinge: generator not conditional"
# cgan-aux-hinge: cgan-hinge with AC-GAN's class loss; its critic ends with
# the class logits, its weight is in run.txt and the checkpoint, a resumed
# run is exact, and --class-weight without class logits is a clear error.
"$GAN" train --preset cgan-aux-hinge --limit 96 --steps 2 --epochs 0 --threads 1 --out ahinge >ahinge.log
grep -q "^batch = 32$" ahinge/run.txt && grep -q "^loss = hinge$" ahinge/run.txt &&
  grep -q "^class_weight = 1$" ahinge/run.txt && grep -q "^ema_decay = 0.99" ahinge/run.txt ||
  { cat ahinge/run.txt >&2; fail "cgan-aux-hinge run.txt"; }
"$GAN" info ahinge/checkpoint.gan >ahinge.info
grep -q "loss hinge + class loss x 1" ahinge.info && grep -q "class_projection_aux" ahinge.info ||
  { cat ahinge.info >&2; fail "cgan-aux-hinge checkpoint"; }
"$GAN" train --preset cgan-aux-hinge --limit 96 --steps 1 --epochs 0 --threads 1 --class-weight 0.5 \
  --out ahalf >/dev/null
"$GAN" train --resume ahalf --steps 2 --threads 1 >/dev/null
"$GAN" train --preset cgan-aux-hinge --limit 96 --steps 2 --epochs 0 --threads 1 --class-weight 0.5 \
  --out afull >/dev/null
cmp afull/checkpoint.gan ahalf/checkpoint.gan || fail "cgan-aux-hinge: resumed checkpoint differs"
! cmp -s afull/checkpoint.gan ahinge/checkpoint.gan || fail "--class-weight 0.5 changed nothing"
expect_exit 1 "class_projection_aux" "$GAN" train --preset cgan-hinge --class-weight 1 --limit 96 \
  --steps 1 --epochs 0 --threads 1 --out abad
# style2-hinge: style2's generator at twice the channels, the WGAN critic with the
# minibatch standard deviation channel, batch 16, the long EMA.
"$GAN" train --preset style2-hinge --limit 64 --steps 2 --epochs 0 --threads 1 --out s2hinge >s2hinge.log
grep -q "^batch = 16$" s2hinge/run.txt && grep -q "^loss = hinge$" s2hinge/run.txt &&
  grep -q "^g_lr = 0.00200000" s2hinge/run.txt && grep -q "^d_lr = 0.000799999" s2hinge/run.txt &&
  grep -q "^ema_decay = 0.999" s2hinge/run.txt && grep -q "^r1_gamma = 0$" s2hinge/run.txt ||
  { cat s2hinge/run.txt >&2; fail "style2-hinge run.txt"; }
csv_rows s2hinge/log.csv 2
"$GAN" info s2hinge/generator.gan >s2hinge.info
grep -q "modulated_conv2d" s2hinge.info || fail "style2-hinge: generator has no modulated convolution"
grep -q "style_input  *(7, 7, 128)" s2hinge.info && grep -q "(28, 28, 64)  *45,184" s2hinge.info ||
  { cat s2hinge.info >&2; fail "style2-hinge: generator is not the wide style2 generator"; }
"$GAN" info s2hinge/checkpoint.gan >s2hinge.ckpt.info
grep -q "loss hinge" s2hinge.ckpt.info || fail "style2-hinge checkpoint"
grep -q "minibatch_stddev  *(14, 14, 65)" s2hinge.ckpt.info &&
  grep -q "conv2d  *(7, 7, 128)  *208,128" s2hinge.ckpt.info ||
  { cat s2hinge.ckpt.info >&2; fail "style2-hinge: the critic is not wgan-critic-mbstd"; }
ok "presets dcgan-cifar10, wgan, wgan-gp, mnist-gan-r1, mnist-gan-ls style, sngan-resnet, cgan-resnet, style2, dcgan-hinge, resnet-hinge, resnet-wide-hinge, cgan-hinge, cgan-aux-hinge and style2-hinge"
