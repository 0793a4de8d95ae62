#!/usr/bin/env bash
# run-main.sh -- THE main-job command of libgan (README.md):
#
#   bash scripts/run-main.sh [args for the main job]
#
# Installs the Debian packages (scripts/deps.sh), builds the release library,
# examples and the gan tool in build/ (GAN_BUILD_DIR), then runs the main job.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${GAN_BUILD_DIR:-build}

bash scripts/deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "${GAN_JOBS:-2}"

# ---- THE MAIN JOB: `gan train` with its defaults (README "Command-line
# ---- tool"): the second seed notebook's GAN (28x28, corrected) on
# ---- Fashion-MNIST from /usr/share/datasets/fashion-mnist, with the seed's
# ---- epoch lines, a CSV log, sample grids and checkpoints in out/
# ---- (GAN_OUT).  Extra arguments go to gan train.
out=${GAN_OUT:-out}
"$build/tools/gan/gan" train --out "$out" "$@"
last=$(ls -t "$out"/samples/*.png | head -1)
echo "main job done: the last sample grid is $(realpath "$last")"
if [[ -f $out/report.html ]]; then
  echo "the run's report (open it in a browser): $(realpath "$out/report.html")"
fi
