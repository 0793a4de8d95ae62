#!/usr/bin/env bash
# own_images_evidence.sh -- the measurements of docs/own-images.md: train
# on a real set of small RGBA sprites this project did not make (the unit
# sprites of Battle for Wesnoth 1.16, Debian's wesnoth-1.16-data: 5,782 PNG
# files, most 72x72 RGBA on a transparent background) at 32 and 64 pixels,
# then the sample grids and each sample's nearest training sprite; and
# DiffAugment and ADA against no augmentation on 1,000 Fashion-MNIST images
# (FID by the shipped classifier).
# Installs wesnoth-1.16-data (about 150 MB; only this script needs it, not
# deps.sh).
#
#   bash scripts/own_images_evidence.sh [OUT_DIR]      (default /tmp/own-images)
#   STEPS32=10000 STEPS64=2000 ADA_STEPS=1563 (the documented runs) override the lengths.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GAN=$ROOT/build/tools/gan/gan
OUT=${1:-/tmp/own-images}
UNITS=/usr/share/games/wesnoth/1.16/data/core/images/units
[[ -x $GAN ]] || { echo "build first: cmake -S . -B build -G Ninja && ninja -C build" >&2; exit 1; }
if [[ ! -d $UNITS ]]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wesnoth-1.16-data
fi
mkdir -p "$OUT"
cd "$OUT"
export GAN_LIBRARY=$ROOT/build/libgan.so.1 PYTHONPATH=$ROOT/bindings/python

sprites() {   # sprites NAME SIZE STEPS WIDTH
  local name=$1 size=$2 steps=$3 width=$4
  /usr/bin/time -v "$GAN" train --images "$UNITS" --size "$size" --channels 4 --flip \
    --width "$width" --batch 32 --g-lr 4e-4 --d-lr 4e-4 --epochs 0 --steps "$steps" -q \
    --out "$name" >"$name.log" 2>"$name.time"
  grep -E "Elapsed|Maximum resident" "$name.time"
  "$GAN" sample "$name" --n $((size > 32 ? 16 : 64)) --cols 8 --seed 0 --out "$name-samples.png"
  /usr/bin/python3 "$ROOT/scripts/nearest_images.py" "$name/checkpoint.gan" "$UNITS" \
    "$size" 4 "$name-nearest.png" 8 0
}

sprites units32 32 "${STEPS32:-10000}" 32
sprites units64 64 "${STEPS64:-2000}" 16

# Little data: 1,000 Fashion-MNIST images, 100,000 images through D.
for a in off diffaug ada; do
  extra=()
  [[ $a == diffaug ]] && extra=(--augment all)
  [[ $a == ada ]] && extra=(--augment all --ada 0.6)
  "$GAN" train --preset sngan --limit 1000 --epochs 0 --steps "${ADA_STEPS:-1563}" --batch 64 \
    "${extra[@]}" --sample-every 0 -q --out "ada-$a" >"ada-$a.log"
  "$GAN" eval "ada-$a/generator.gan" | tee "ada-$a.eval"
done
