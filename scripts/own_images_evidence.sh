#!/usr/bin/env bash
# own_images_evidence.sh -- the measurements of docs/own-images.md: train
# on a real set of small RGBA icons this project did not make (Debian's
# oxygen-icon-theme: 1,422 icons of 48x48, 837 of 128x128) at 32 and 64
# pixels, then the sample grids and each sample's nearest training image.
# Installs oxygen-icon-theme (only this script needs it; not in deps.sh).
#
#   bash scripts/own_images_evidence.sh [OUT_DIR]      (default /tmp/own-images)
#   STEPS32=2794 STEPS64=1494 (the documented runs) override the lengths.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GAN=$ROOT/build/tools/gan/gan
OUT=${1:-/tmp/own-images}
ICONS=/usr/share/icons/oxygen/base
[[ -x $GAN ]] || { echo "build first: cmake -S . -B build -G Ninja && ninja -C build" >&2; exit 1; }
if [[ ! -d $ICONS/48x48 ]]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq oxygen-icon-theme
fi
mkdir -p "$OUT"
cd "$OUT"
export GAN_LIBRARY=$ROOT/build/libgan.so.1 PYTHONPATH=$ROOT/bindings/python

run() {   # run NAME SIZE SOURCE STEPS WIDTH
  local name=$1 size=$2 src=$3 steps=$4 width=$5
  /usr/bin/time -v nice -n 10 "$GAN" train --images "$ICONS/$src" --size "$size" --channels 4 \
    --flip --width "$width" --batch 32 --g-lr 4e-4 --d-lr 4e-4 --steps "$steps" \
    --sample-every 1000 -q --out "$name" >"$name.log" 2>"$name.time"
  grep -E "Elapsed|Maximum resident" "$name.time"
  "$GAN" sample "$name" --n $((size > 32 ? 8 : 32)) --cols 8 --seed 0 \
    --out "$name-samples.png"
  /usr/bin/python3 "$ROOT/scripts/nearest_images.py" "$name/checkpoint.gan" "$ICONS/$src" \
    "$size" 4 "$name-nearest.png" $((size > 32 ? 4 : 8)) 0
}

run icons32 32 48x48 "${STEPS32:-2794}" 16
run icons64 64 128x128 "${STEPS64:-1494}" 8
