#!/usr/bin/env bash
# The conditional GAN from the command line: gan train --preset cgan on 256
# labelled Fashion-MNIST images (one row per class in its sample grids),
# --resume, gan sample --class K / --class all, and gan eval's per-class
# accuracy of the shipped classifier.
source "$(dirname "$0")/lib.sh"
CG=(--preset cgan --limit 256 --batch 32 --threads 1 --log-every 1)

"$GAN" train "${CG[@]}" --epochs 2 --out run >train.log
cat train.log
grep -q "^conditional on 10 classes" train.log || fail "no conditional line"
csv_rows run/log.csv 16
# 10 classes x 8 columns of 28x28 drawn 2x (56 px) with 2-pixel padding.
png_ok run/samples/epoch_002.png 466x582
"$GAN" info run/generator.gan | grep -q "class_embedding" || fail "info: no class_embedding"
"$GAN" info run/checkpoint.gan | grep -q "class_projection" || fail "info: no class_projection"
ok "train --preset cgan"

# Resume: 1 epoch + 1 == 2 epochs, byte for byte (the generated samples'
# classes come from the checkpointed noise stream).
"$GAN" train "${CG[@]}" --epochs 1 --out half >half1.log
"$GAN" train --resume half --epochs 2 --threads 1 >half2.log
cmp run/checkpoint.gan half/checkpoint.gan || fail "resumed cgan checkpoint differs"
diff <(losses run/log.csv) <(losses half/log.csv) || fail "losses differ"
ok "cgan resume is exact"

# gan train's grid is gan sample --class all --n 8 --scale 2 with the run's seed.
"$GAN" sample run --class all --n 8 --scale 2 --seed 0 --threads 1 --out all.png >sample.log
grep -q "classes 0..9, one row of 8 each" sample.log || fail "sample --class all"
png_ok all.png 466x582
cmp all.png run/samples/epoch_002.png || fail "--class all --n 8 --scale 2 differs from the training grid"
"$GAN" sample run --class 7 --n 5 --raw c7.f32 --out c7.png >c7.log
grep -q "^class 7" c7.log || fail "sample --class 7"
png_ok c7.png
[[ $(stat -c %s c7.f32) == $((5 * 784 * 4)) ]] || fail "--raw size"
# Another class from the same latents gives other images.
"$GAN" sample run --class 2 --n 5 --raw c2.f32 >/dev/null
! cmp -s c7.f32 c2.f32 || fail "--class 2 and --class 7 gave the same images"
"$GAN" sample run --n 4 --out mixed.png | grep -q "in turn" || fail "default classes"
expect_exit 1 "knows classes 0..9" "$GAN" sample run --class 10
expect_exit 2 "--class" "$GAN" sample run --class x
expect_exit 2 "interpolate" "$GAN" sample run --class all --interpolate 1 2
ok "sample --class"

# gan eval: FID, IS and the classifier's accuracy per requested class.
"$GAN" eval run/generator.gan --samples 200 >eval.txt
cat eval.txt
grep -q "^classes: *conditional generator of 10 classes" eval.txt || fail "eval: no classes line"
[[ $(grep -cE "^  class [0-9] .* [01]\.[0-9]{4} \(([0-9]+) of 20\)$" eval.txt) == 10 ]] ||
  fail "eval: expected 10 per-class lines of 20 images"
grep -qE "^mean class accuracy: [01]\.[0-9]{4}$" eval.txt || fail "eval: no mean accuracy"
"$GAN" eval run/checkpoint.gan --samples 200 >eval2.txt
diff <(grep -v '^time' eval.txt | grep -v '^model') <(grep -v '^time' eval2.txt | grep -v '^model') ||
  fail "eval of the checkpoint differs from the generator file's"
ok "eval per class"

# An unconditional generator refuses --class.
"$GAN" train --limit 64 --batch 32 --steps 1 --epochs 0 --threads 1 --out plain >/dev/null
expect_exit 1 "not conditional" "$GAN" sample plain --class 1
# A conditional preset on data without labels says why.
expect_exit 1 "no labels" "$GAN" train --preset cgan \
  --data /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz --limit 64 --batch 32 \
  --steps 1 --epochs 0 --threads 1 --out nolab
ok "conditional errors"
