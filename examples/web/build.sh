#!/usr/bin/env bash
# build.sh -- libgan's inference path as WebAssembly, and the page around it
# (issue 20).  Needs Debian's emscripten and Debian's zlib source, both
# installed by scripts/deps.sh; needs no network.
#
#   bash examples/web/build.sh [BUILD_DIR] [-DGAN_WEB_SIMD=OFF ...]
#
# BUILD_DIR (default build-web/ at the repository root) then holds the whole
# static page: index.html, app.js, gan.js, gan.wasm.  Serve it from any
# static web server, e.g. `python3 -m http.server -d build-web 8000`, and
# open http://localhost:8000/ (browsers do not run WebAssembly from file://).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/../../build-web}
shift || true
command -v emcmake >/dev/null || { echo "build.sh: emcmake not found (apt-get install emscripten)" >&2; exit 1; }
# Debian's emscripten runs its JS optimizer with the node found on PATH and
# requires Debian's node-acorn from /usr/share/nodejs, which a node from
# elsewhere does not search by itself.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
emcmake cmake -S "$here" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
ninja -C "$out"
