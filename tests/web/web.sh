#!/usr/bin/env bash
# The generator in a web page (issue 20), ctest's web_page test:
#   web.sh SOURCE_DIR BUILD_DIR LIBGAN_SO
# builds examples/web with Emscripten into BUILD_DIR/web (build.sh: libgan +
# Debian's zlib to WebAssembly, the page), runs the SIMD GEMM against the
# naive reference under node, then tests/web/check_web.py: the page in
# headless Chromium shows the native sampler's pixels for the same latent.
# Exits 77 (skipped) only when emscripten, node or chromium is absent;
# scripts/deps.sh installs them.  GAN_WEB_BENCH=N also measures N batch-1
# images in Chromium; GAN_WEB_DOCS="OUT.png MODEL.gan" writes the screenshot.
set -euo pipefail
src=${1:?usage: web.sh SOURCE_DIR BUILD_DIR LIBGAN_SO}
build=${2:?}
lib=${3:?}
for tool in emcmake node; do
  command -v "$tool" >/dev/null || { echo "SKIP: no $tool (apt-get install emscripten; scripts/deps.sh)"; exit 77; }
done
command -v chromium >/dev/null || command -v chromium-browser >/dev/null ||
  { echo "SKIP: no chromium (apt-get install chromium; scripts/deps.sh)"; exit 77; }

bash "$src/examples/web/build.sh" "$build/web" -DGAN_WERROR=ON
node "$build/web/check_wasm_kernels.js"

args=("$build/web" "$build/web-check")
[[ -n ${GAN_WEB_BENCH:-} ]] && args+=(--bench "$GAN_WEB_BENCH")
# shellcheck disable=SC2206
[[ -n ${GAN_WEB_DOCS:-} ]] && args+=(--docs $GAN_WEB_DOCS)
GAN_LIBRARY=$lib PYTHONPATH=$src/bindings/python /usr/bin/python3 "$src/tests/web/check_web.py" "${args[@]}"
