#!/usr/bin/env bash
# make_classifier.sh -- re-create models/fashion_mnist_classifier.gan, the
# feature network of libgan's FID and Inception Score (docs/metrics.md),
# and measure it.  Reproducible: fixed seed (1), 2 threads, this build.
#
#   bash scripts/make_classifier.sh [BUILD_DIR]     # default: build
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
cmake -S "$root" -B "$build" -G Ninja >/dev/null
ninja -C "$build" train_classifier fashion_metrics >/dev/null
mkdir -p "$root/models"
"$build/examples/train_classifier" --seed 1 --threads 2 --epochs 4 --batch 128 \
  --out "$root/models/fashion_mnist_classifier.gan"
"$build/examples/fashion_metrics" --model "$root/models/fashion_mnist_classifier.gan" \
  --save-stats "$root/models/fashion_mnist_t10k.fidstats" --check
