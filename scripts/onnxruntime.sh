#!/usr/bin/env bash
# onnxruntime.sh -- install onnxruntime-node (the test dependency of the ONNX
# export, issue 20) with npm into a cache directory, for tests/onnx/ and
# docs/embedding.md's latency figures.  Idempotent: returns at once when the
# pinned version is there.
#
#   bash scripts/onnxruntime.sh            # -> $GAN_ONNXRUNTIME_DIR
#
# --ignore-scripts: the package's install script fetches optional GPU
# libraries from elsewhere (and fails offline); the CPU runtime for
# linux-x64 is inside the npm package itself.  Needs node and npm (Debian
# nodejs, npm: scripts/deps.sh).  About 10 s and 300 MB on this machine.
set -euo pipefail

version=${GAN_ONNXRUNTIME_VERSION:-1.31.1}
dir=${GAN_ONNXRUNTIME_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/libgan/onnxruntime-node}
pkg=$dir/node_modules/onnxruntime-node/package.json

if [[ -f $pkg ]] && grep -q "\"version\": \"$version\"" "$pkg"; then
  echo "onnxruntime: onnxruntime-node $version already in $dir"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "onnxruntime: node and npm are needed (apt-get install nodejs npm)" >&2
  exit 1
fi
mkdir -p "$dir"
start=$SECONDS
(cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
   "onnxruntime-node@$version")
# The runtime must load: a session on nothing fails, but require() works.
(cd "$dir" && node -e "require('onnxruntime-node')")
echo "onnxruntime: onnxruntime-node $version in $dir ($((SECONDS - start)) s)"
