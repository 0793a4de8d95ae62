#!/usr/bin/env bash
# deps.sh -- install every Debian package libgan needs to build, test, fuzz,
# document and run its main job.  Idempotent and quiet: when everything is
# already installed it only asks dpkg and returns in well under a second;
# otherwise apt's output goes to a log file whose tail is printed on failure.
#
#   bash scripts/deps.sh            # as root, or through sudo
#   GAN_DEPS_LOG=/path/to/log bash scripts/deps.sh
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkgconf
  libopenblas-dev zlib1g-dev
  # GEMM on AVX-512 CPUs (issue 16): oneDNN's sgemm, found by CMake
  # (GAN_WITH_DNNL=AUTO); OpenBLAS stays the portable path
  libdnnl-dev
  # image folders as datasets: PNG and JPEG decoding
  libpng-dev libjpeg62-turbo-dev
  # unit tests (Check)
  check libsubunit-dev
  # reference documentation
  doxygen
  # fuzzing and sanitizers (clang-14 + its runtime: libFuzzer, ASan, UBSan)
  clang libclang-rt-14-dev
  # reference computations and the Python tests (Debian's /usr/bin/python3)
  python3-numpy python3-pytest python3-scipy python3-pil python3-hypothesis
  # image and ABI checks, static analysis
  pngcheck abigail-tools cppcheck
  # the default data set: Fashion-MNIST IDX gz in /usr/share/datasets/fashion-mnist/
  dataset-fashion-mnist
  # installed like a real library (issue 19): manual pages, bash completion,
  # the Debian packages (debhelper, pybuild, lintian), pip in a venv, type
  # checks, gan report in headless Chromium
  help2man man-db bash-completion
  debhelper dh-python pybuild-plugin-pyproject python3-all python3-setuptools lintian
  python3-pip python3-venv python3-mypy
  chromium fonts-dejavu-core
  # the generator in a web page (issue 20): libgan built with Emscripten
  # (examples/web/build.sh; zlib compiled from Debian's source, below);
  # dpkg-dev unpacks that source
  emscripten dpkg-dev
  # data-parallel training over MPI (libgan_mpi, docs/distributed.md) and its
  # tests: Open MPI, its headers, mpi4py for the Python bindings
  openmpi-bin libopenmpi-dev python3-mpi4py
  # ONNX export (issue 20): onnx.checker, and node for onnxruntime-node,
  # which scripts/onnxruntime.sh installs from npm after the apt packages
  python3-onnx nodejs
)
# npm: Debian's package, unless the installed node brings its own (NodeSource's
# nodejs does, and conflicts with Debian's npm).
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

# Optional, never in CI's test path: PyTorch for bench/compare.sh (issue 9),
# about 1 GB installed.  Only with GAN_DEPS_BENCH=1.
if [[ ${GAN_DEPS_BENCH:-0} == 1 ]]; then
  packages+=(python3-torch)
fi

log=${GAN_DEPS_LOG:-${TMPDIR:-/tmp}/libgan-deps.log}

missing=()
for p in "${packages[@]}"; do
  # "ii " = wanted install, currently installed, no error flags
  if [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) != "ii " ]]; then
    missing+=("$p")
  fi
done
# After the apt packages, always: Debian's zlib source for the WebAssembly
# build (scripts/web-zlib-source.sh: emscripten's own zlib port would
# download it at build time), then the ONNX export's runtime check,
# onnxruntime-node from npm into a cache directory (idempotent, quick when
# present).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
web_zlib() {
  local as=()
  ((EUID == 0)) || ! command -v sudo >/dev/null 2>&1 || as=(sudo -n)
  # A failure here only fails ctest's web_page test (it names the missing
  # source), not every other stage.
  if ! "${as[@]}" bash "$here/web-zlib-source.sh"; then
    echo "deps: warning: Debian's zlib source for examples/web could not be fetched" >&2
  fi
}
if ((${#missing[@]} == 0)); then
  echo "deps: all ${#packages[@]} packages already installed"
  web_zlib
  exec bash "$here/onnxruntime.sh"
fi

sudo=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo -n)
  else
    echo "deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "deps: installing ${#missing[@]} package(s): ${missing[*]} (log: $log)"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-q -y -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef
          -o Dpkg::Options::=--force-confold)
start=$SECONDS
: >"$log"
if ! "${sudo[@]}" apt-get "${apt_opts[@]}" update >>"$log" 2>&1 ||
   ! "${sudo[@]}" apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}" \
       >>"$log" 2>&1; then
  echo "deps: apt-get failed; the last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
web_zlib
echo "deps: done in $((SECONDS - start)) s"
exec bash "$here/onnxruntime.sh"
