#!/usr/bin/env bash
# check_embed.sh -- examples/embed_sampler end to end: a generator file in,
# a 4x4 PNG grid out, reproducible per seed.
#
#   check_embed.sh SAVE_PRESET EMBED_SAMPLER OUTDIR
set -euo pipefail
save=$1 embed=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
"$save" mnist-generator "$out/g.gan"
"$embed" "$out/g.gan" "$out/a.png" 7
"$embed" "$out/g.gan" "$out/b.png" 7
"$embed" "$out/g.gan" "$out/c.png" 8
pngcheck -q "$out/a.png"
cmp "$out/a.png" "$out/b.png"
! cmp -s "$out/a.png" "$out/c.png" || { echo "FAIL: seeds 7 and 8 gave the same grid"; exit 1; }
# 4 x 4 images of 28 x 28 gray with 2 px between and around: 122 x 122.
/usr/bin/python3 -c '
import sys
from PIL import Image
im = Image.open(sys.argv[1])
assert im.size == (122, 122) and im.mode == "L", (im.size, im.mode)
assert im.getpixel((0, 0)) == 0 and im.getpixel((121, 121)) == 0
print("ok: embed_sampler wrote", im.size, im.mode)
' "$out/a.png"
# Misuse is reported, not crashed on.
if "$embed" "$out/missing.gan" "$out/d.png" 2>"$out/err.txt"; then
  echo "FAIL: a missing file was accepted"; exit 1
fi
grep -q GAN_EIO "$out/err.txt" || { cat "$out/err.txt"; exit 1; }
