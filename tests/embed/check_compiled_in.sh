#!/usr/bin/env bash
# check_compiled_in.sh -- examples/compiled_in end to end (issue 20): the
# program draws from the generator compiled into it, with no model file
# anywhere it could read, the same PNG as examples/embed_sampler draws from
# the model file the C source was made of; it does not load libgan.so; and
# gan export --format c refuses what it should.
#
#   check_compiled_in.sh COMPILED_IN EMBED_SAMPLER MODEL.gan GAN OUTDIR
set -euo pipefail
prog=$1 embed=$2 model=$3 gan=$4 out=$5
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/empty"
# An empty working directory and a copy of the program: nothing to open.
cp "$prog" "$out/empty/prog"
(cd "$out/empty" && ./prog a.png 7) | grep -q "wrote 16 28x28x1 images" || fail "compiled_in"
[[ $(ls "$out/empty") == $'a.png\nprog' ]] || fail "compiled_in left other files: $(ls "$out/empty")"
"$embed" "$model" "$out/b.png" 7 >/dev/null
cmp "$out/empty/a.png" "$out/b.png" || fail "compiled-in and file models draw different images"
(cd "$out/empty" && ./prog c.png 8) >/dev/null
cmp -s "$out/empty/a.png" "$out/empty/c.png" && fail "seeds 7 and 8 gave the same grid"
if ldd "$prog" | grep -q libgan; then fail "compiled_in loads libgan.so: $(ldd "$prog")"; fi
# gan export --format c: NAME.c and NAME.h, the bytes of the model file.
"$gan" export "$model" --format c --out "$out/my-gen.c" | grep -q "as my_gen\[\] and my_gen_size" ||
  fail "gan export --format c output"
grep -q "extern const unsigned char my_gen\[\];" "$out/my-gen.h" || fail "header"
grep -q "^const size_t my_gen_size = $(stat -c %s "$model");" "$out/my-gen.c" || fail "size"
python3 - "$out/my-gen.c" "$model" <<'PY' || fail "the array is not the model file"
import re, sys
src = open(sys.argv[1]).read()
body = src[src.index("] = {") + 5:src.rindex("};")]
data = bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", body))
sys.exit(0 if data == open(sys.argv[2], "rb").read() else 1)
PY
# Errors: a damaged model file writes nothing; an unknown format is usage.
head -c 1000 "$model" >"$out/cut.gan"
if "$gan" export "$out/cut.gan" --format c --out "$out/cut" 2>"$out/err"; then fail "cut file"; fi
grep -q "cut.gan" "$out/err" || fail "cut file message: $(cat "$out/err")"
[[ ! -e $out/cut.c && ! -e $out/cut.h ]] || fail "a damaged model left C files"
if "$gan" export "$model" --format onnx --out "$out/d.onnx" --discriminator 2>/dev/null; then
  fail "--discriminator of a model file"
fi
set +e
"$gan" export "$model" --format tflite --out x 2>/dev/null; rc=$?
set -e
[[ $rc == 2 ]] || fail "--format tflite exit $rc, expected 2"
echo "compiled-in model checks passed"
