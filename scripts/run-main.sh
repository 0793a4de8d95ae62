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

# ---- THE MAIN JOB (one line; a later issue replaces it with training on
# ---- Fashion-MNIST from /usr/share/datasets/fashion-mnist) ----------------
exec "$build/examples/seed_models" "$@"
