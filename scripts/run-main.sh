#!/usr/bin/env bash
# run-main.sh -- THE main-job command of libgan (README.md):
#
#   bash scripts/run-main.sh [args for the main job]
#
# Installs the Debian packages (scripts/deps.sh), builds the release library
# and examples in build/ (GAN_BUILD_DIR), then runs the main job.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${GAN_BUILD_DIR:-build}

bash scripts/deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "${GAN_JOBS:-2}"

# ---- THE MAIN JOB: the second seed notebook's GAN (28x28, corrected), one
# ---- epoch on all 60,000 Fashion-MNIST images from
# ---- /usr/share/datasets/fashion-mnist, printing the seed's epoch lines.
# ---- (The `gan` command-line tool of a later issue replaces this line.)
exec "$build/examples/mnist_gan" --epochs 1 "$@"
