#!/usr/bin/env bash
# Your own images from the command line (issue 15): gan train --images on a
# folder of RGBA disc sprites in three class sub-folders (written here as
# real PNG files, plus one corrupt file that is skipped and reported), the
# 8-per-class scaled sample grid, class names in the files (gan info,
# gan sample --class NAME), --scale/--gap/--per-image, an exact --resume
# (from the image cache), the unconditional dcgan arch, the residual and
# style archs, and the refusals.
source "$(dirname "$0")/lib.sh"

python3 - <<'PY'
import os, struct, zlib
def png(path, w, h, rows):
    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    raw = b''.join(b'\0' + bytes(r) for r in rows)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
cols = {'red': (230, 40, 40), 'green': (40, 200, 60), 'blue': (50, 80, 230)}
for name, c in cols.items():
    os.makedirs('sprites/' + name)
    for i in range(20):
        r = 6 + (i % 5)
        rows = [[v for x in range(24) for v in
                 ((*c, 255) if (x + .5 - 12) ** 2 + (y + .5 - 12) ** 2 <= r * r else (0, 0, 0, 0))]
                for y in range(24)]
        png('sprites/%s/%02d.png' % (name, i), 24, 24, rows)
with open('sprites/red/broken.png', 'wb') as f:
    f.write(b'\x89PNG\r\n\x1a\n' + b'\0' * 20)
os.makedirs('flat')
for i in range(8):
    png('flat/%d.png' % i, 8, 8, [[(17 * i + x) % 256 for x in range(8 * 4)] for y in range(8)])
PY

IM=(--images sprites --size 16 --channels 4 --classes --width 8 --batch 16 --threads 1
    --log-every 1)
"$GAN" train "${IM[@]}" --steps 6 --out run >train.log
cat train.log
grep -q "^images: 60 from sprites in .* (decoded), 3 classes" train.log || fail "images line"
grep -q "^images: skipped 1 bad files; the first: .*broken.png" train.log || fail "skip report"
grep -q "^preset sngan-images: " train.log || fail "default arch"
grep -q "^conditional on 3 classes" train.log || fail "conditional line"
grep -qx "image_size = 16" run/run.txt && grep -qx "conditional = 1" run/run.txt ||
  fail "run.txt: image settings"
[[ -s run/images.cache ]] || fail "no image cache"
csv_rows run/log.csv 6
# 3 classes x 8 columns of 16 px scaled 4x (64 px) with 2-pixel gaps.
png_ok run/samples/step_000006.png 530x200
"$GAN" info run/generator.gan | grep -qx "classes: 0 blue, 1 green, 2 red" || fail "info: classes"
"$GAN" info run/checkpoint.gan | grep -c "^classes: 0 blue" | grep -qx 2 ||
  fail "info: the checkpoint's two networks"
ok "train --images --classes"

"$GAN" sample run --class green --n 4 --scale 2 --gap 0 --out green.png >s.log
grep -qx "class 1 (green)" s.log || fail "sample --class green"
png_ok green.png 64x64   # 2x2 sprite sheet of 32x32 (16 scaled 2x), no gap
"$GAN" sample run --class 1 --n 4 --scale 2 --gap 0 --out one.png >/dev/null
cmp green.png one.png || fail "--class green differs from --class 1"
"$GAN" sample run --class blue --n 3 --per-image each --scale 3 >/dev/null
png_ok each/img_002.png 48x48
pngcheck -v green.png | grep -q "RGB+alpha" || fail "the sheet lost its alpha"
expect_exit 1 "knows these classes" "$GAN" sample run --class purple
grep -q "  2 red" err.txt || fail "the class list"
expect_exit 2 "--scale" "$GAN" sample run --scale 0
expect_exit 2 "--scale" "$GAN" sample run --scale 17
ok "sample --class NAME, --scale, --gap, --per-image"

# Resume: 3 steps + 3 == 6 steps, byte for byte, the data from the cache.
"$GAN" train "${IM[@]}" --steps 3 --out half >half1.log
"$GAN" train --resume half --steps 6 --threads 1 >half2.log
grep -q "(cache)" half2.log || fail "the resumed run did not use the cache"
cmp run/checkpoint.gan half/checkpoint.gan || fail "resumed checkpoint differs"
diff <(losses run/log.csv) <(losses half/log.csv) || fail "losses differ"
expect_exit 2 "--size cannot change" "$GAN" train --resume half --size 32 --steps 7
ok "images resume is exact"

# Unconditional, RGB, the dcgan recipe, 8 px: grids of 8x8 scaled 8x.
"$GAN" train --images flat --size 8 --arch dcgan --batch 4 --steps 2 --threads 1 --out plain \
  >plain.log
grep -q "^preset dcgan-images: " plain.log || fail "--arch dcgan"
png_ok plain/samples/step_000002.png 530x530
expect_exit 1 "not conditional" "$GAN" sample plain --class 0
ok "train --images --arch dcgan"

# The residual and style generators (issue 21) on the sprite classes: the
# preset line names the networks' sizes; the residual G is conditional
# through class-conditional batchnorm (gan info lists its class_affine
# layers), style2's critic has the minibatch standard deviation channel;
# --max-width is recorded and caps the widths; the resumed run is exact.
"$GAN" train "${IM[@]}" --arch resnet --max-width 16 --steps 4 --out res >res.log
# 16 px = 4 x 2^2, widths 8, 16, 16: dense 128 -> 4x4x16 (33,024), blocks
# 16 -> 16 (5,040) and 16 -> 8 (1,976), output (324), class_affine over 3
# classes after 5 batchnorms (384).
grep -q "^preset resnet-images: G 40748 parameters" res.log || fail "--arch resnet: $(cat res.log)"
grep -qx "max_width = 16" res/run.txt || fail "run.txt: max_width"
# conditional: the critic also classifies (AC-GAN), unconditional: not
grep -qx "class_weight = 1" res/run.txt || fail "--arch resnet --classes: class weight 1"
"$GAN" info res/checkpoint.gan | grep -q "class_projection_aux (4)" ||
  fail "--arch resnet --classes: D without the class logits"
"$GAN" info res/generator.gan | grep -c "class_affine" | grep -qx 5 ||
  fail "resnet G: 5 class-conditional batchnorms (2 blocks x 2 + the output's)"
"$GAN" info res/generator.gan | grep -q "residual_conv .*(8, 8, 16)" ||
  fail "resnet G: the first block at 8x8 with 16 channels (--max-width 16)"
png_ok res/samples/step_000004.png 530x200
"$GAN" train "${IM[@]}" --arch resnet --max-width 16 --steps 2 --out res2 >/dev/null
"$GAN" train --resume res2 --steps 4 --threads 1 >/dev/null
cmp res/checkpoint.gan res2/checkpoint.gan || fail "resnet resume differs"
"$GAN" train --images flat --size 8 --arch style2 --batch 4 --steps 2 --threads 1 --out sty >sty.log
grep -q "^preset style2-images: " sty.log || fail "--arch style2"
grep -qx "class_weight = 0" sty/run.txt || fail "--arch style2 without --classes: a class weight"
"$GAN" info sty/checkpoint.gan | grep -q "minibatch_stddev" || fail "style2: D without mbstd"
"$GAN" info sty/generator.gan | grep -c "modulated_conv2d" | grep -qx 4 ||
  fail "style2 G at 8 px: 4 modulated convolutions"
expect_exit 2 "--max-width 4 is below --width 8" "$GAN" train "${IM[@]}" --max-width 4 --out x
expect_exit 2 "--max-width cannot change" "$GAN" train --resume res2 --max-width 32 --steps 5
ok "train --images --arch resnet and style2, --max-width"

# DiffAugment with ADA: the record is in run.txt and the checkpoint; p is
# shown per epoch; a resumed run continues it exactly.
AUG=(--images flat --size 8 --batch 4 --threads 1 --log-every 1 --augment color,cutout --ada 0.6)
"$GAN" train "${AUG[@]}" --steps 8 --out aug >aug.log
grep -q "^augment: color cutout, p 0 to start, adaptive (ADA) with target 0.6" aug.log ||
  fail "augment line"
grep -Eq "\| p [01]\.[0-9]{3} r_t -?[01]\.[0-9]{3}$" aug.log || fail "epoch line without p"
grep -qx "augment = 5" aug/run.txt || fail "run.txt: augment"
"$GAN" train "${AUG[@]}" --steps 4 --out aug2 >/dev/null
"$GAN" train --resume aug2 --steps 8 --threads 1 >/dev/null
cmp aug/checkpoint.gan aug2/checkpoint.gan || fail "augmented resume differs"
expect_exit 2 "--augment: 'blur'" "$GAN" train --images flat --augment color,blur
expect_exit 2 "need --augment" "$GAN" train --images flat --ada 0.6
expect_exit 2 "--augment cannot change" "$GAN" train --resume aug2 --augment all --steps 9
ok "train --augment --ada"

# --data on a folder of images (no IDX or CIFAR-10 file in it) is --images.
"$GAN" train --data flat --size 8 --arch dcgan --batch 4 --steps 2 --threads 1 --out viadata \
  >viadata.log
grep -qx "format = images" viadata/run.txt || fail "--data DIR of images: not an image run"
cmp plain/checkpoint.gan viadata/checkpoint.gan || fail "--data DIR differs from --images DIR"
ok "train --data DIR of images"

expect_exit 1 "size 36 is not supported" "$GAN" train --images flat --size 36 --steps 1 --out x
expect_exit 2 "--arch: 'big'" "$GAN" train --images flat --arch big
expect_exit 2 "image-folder preset" "$GAN" train --preset mnist-gan --images flat
expect_exit 2 "needs --images DIR" "$GAN" train --size 32
expect_exit 2 "--preset and --arch" "$GAN" train --preset sngan-images --arch dcgan --images flat
expect_exit 1 "flat/0.png" "$GAN" train --images flat --classes --size 8 --steps 1 --out x
expect_exit 1 "no PNG or JPEG" "$GAN" train --images run/samples/../checkpoints --size 8 --out x
ok "refusals"
