#!/usr/bin/env bash
# check_png.sh -- PNG grids written by libgan, decoded by independent readers.
#
#   check_png.sh PNG_WRITER OUTDIR
#
# png_writer writes NAME.png and the expected pixels NAME.raw for each case
# (tests/png/png_writer.c); every file must pass `pngcheck -q` (chunk CRCs,
# IHDR fields, the zlib stream) and decode with Python PIL to exactly the
# expected size, mode and pixels.
set -euo pipefail
writer=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
"$writer" "$out"

status=0
while read -r name w h c; do
  if ! pngcheck -q "$out/$name.png"; then
    echo "FAIL $name: pngcheck"
    status=1
  fi
done <"$out/manifest.txt"

/usr/bin/python3 - "$out" <<'PY' || status=1
import sys, zlib
from PIL import Image
out = sys.argv[1]
modes = {1: "L", 3: "RGB", 4: "RGBA"}
bad = 0
for line in open(f"{out}/manifest.txt"):
    name, w, h, c = line.split()
    w, h, c = int(w), int(h), int(c)
    im = Image.open(f"{out}/{name}.png")
    im.load()
    want = open(f"{out}/{name}.raw", "rb").read()
    got = im.tobytes()
    if im.size != (w, h) or im.mode != modes[c] or got != want:
        diff = sum(a != b for a, b in zip(got, want))
        print(f"FAIL {name}: size {im.size} mode {im.mode}, expected ({w}, {h}) {modes[c]}; "
              f"{diff} bytes differ")
        bad = 1
    else:
        # Walk the chunks too: several IDATs for the large image.
        data = open(f"{out}/{name}.png", "rb").read()
        pos, idat = 8, 0
        while pos < len(data):
            n = int.from_bytes(data[pos:pos + 4], "big")
            kind = data[pos + 4:pos + 8]
            crc = int.from_bytes(data[pos + 8 + n:pos + 12 + n], "big")
            assert crc == zlib.crc32(data[pos + 4:pos + 8 + n]), name
            idat += kind == b"IDAT"
            pos += 12 + n
        print(f"ok   {name}: {w}x{h} {modes[c]}, {len(data)} bytes, {idat} IDAT chunk(s)")
sys.exit(bad)
PY
exit $status
