#!/usr/bin/env bash
# gan sample (grid, raw, per-image, interpolation), gan export and gan info
# on a one-step run's checkpoint.
source "$(dirname "$0")/lib.sh"

"$GAN" train "${COMMON[@]}" --epochs 0 --steps 1 --out run >train.log
# 8x8 images of 28x28 drawn 2x (56 px) with 2 px between and around: 466x466.
png_ok run/samples/step_000001.png 466x466

# The training grid is `gan sample OUT --seed SEED --n 64 --scale 2`
# (run.txt's seed; 2 = 64 / 28 rounded down).
"$GAN" sample run --seed 0 --n 64 --scale 2 --out again.png
cmp run/samples/step_000001.png again.png || fail "gan sample does not redraw the training grid"

"$GAN" sample run/checkpoint.gan --n 64 --seed 7 --out grid.png | grep -q "wrote grid.png: 64"
png_ok grid.png 242x242
"$GAN" sample run/checkpoint.gan --n 64 --seed 7 --out grid2.png >/dev/null
cmp grid.png grid2.png || fail "same seed, different images"
"$GAN" sample run/checkpoint.gan --n 64 --seed 8 --out grid3.png >/dev/null
! cmp -s grid.png grid3.png || fail "another seed, same images"
"$GAN" sample run/checkpoint.gan --n 6 --cols 3 --seed 7 --out cols.png >/dev/null
png_ok cols.png 92x62

"$GAN" sample run/generator.gan --n 5 --seed 7 --raw raw.f32 --per-image each >/dev/null
[[ $(stat -c %s raw.f32) == $((5 * 28 * 28 * 4)) ]] || fail "raw.f32 size"
[[ $(ls each | wc -l) == 5 ]] || fail "--per-image: $(ls each)"
for f in each/img_00{0..4}.png; do png_ok "$f" 28x28; done
ok "grid, seeds, --cols, --raw, --per-image"

"$GAN" sample run --interpolate 1 2 --steps 10 --out strip.png >/dev/null
png_ok strip.png 302x32
"$GAN" sample run --interpolate 1,2 --steps 10 --slerp --out slerp.png >/dev/null
png_ok slerp.png 302x32
ok "interpolation strips (linear, slerp)"

"$GAN" export run/checkpoint.gan --out g.gan | grep -q "wrote g.gan"
"$GAN" info g.gan >info_g.txt
grep -q "model file" info_g.txt || fail "gan info g.gan: not a model file"
grep -q "reader: libgan" info_g.txt || fail "gan info: no library version"
"$GAN" sample g.gan --n 64 --scale 2 --seed 0 --out from_export.png >/dev/null
cmp again.png from_export.png || fail "the exported generator draws other images"
"$GAN" export run --discriminator --out d.gan >/dev/null
"$GAN" info d.gan >/dev/null || fail "exported discriminator"
expect_exit 1 "model file already" "$GAN" export g.gan --out g2.gan
"$GAN" export run --format onnx --out g.onnx | grep -q "wrote g.onnx (the generator of .*, as ONNX)"
"$GAN" export g.gan --format onnx --out g2.onnx >/dev/null
cmp g.onnx g2.onnx || fail "the ONNX of a checkpoint and of its exported model file differ"
expect_exit 2 "expected gan, onnx or c" "$GAN" export g.gan --format tflite --out x
"$GAN" info run/checkpoint.gan run/generator.gan >info.txt
grep -q "training checkpoint" info.txt && grep -q "model file" info.txt || fail "gan info of two files"
ok "export and info"
echo "all sample/export/info checks passed"
