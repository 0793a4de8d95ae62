#!/usr/bin/env bash
# compare.sh -- libgan against PyTorch on the seed workloads, in one run.
#
#   bash bench/compare.sh [BUILD_DIR] [ROUNDS] [REPS]
#
# Builds bench_gan in BUILD_DIR (default build), then for ROUNDS rounds
# (default 3) runs, alternating, libgan's and PyTorch's measurement of each
# item (train cifar, train mnist, sample cifar at batch 64 and 1), REPS
# timed repetitions each (default 20), 2 threads for both.  Prints every
# RESULT line, then per item the median over rounds of each side's median
# time, images/s and the ratio (libgan speed / PyTorch speed), and the peak
# RSS of the training runs.  The machine is shared and noisy: only numbers
# from the same run are compared.
#
# PyTorch: Debian's python3-torch through /usr/bin/python3 (an optional
# bench dependency: GAN_DEPS_BENCH=1 bash scripts/deps.sh, or apt-get
# install -y python3-torch).  It runs with OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE unset (its best configuration).  libgan keeps an
# OPENBLAS_CORETYPE set in the environment (see gan_blas_info); the
# comparison asks for its best kernel with GAN_BLAS_CORETYPE, SkylakeX by
# default (AVX-512; libgan self-tests it before use).
#
# GAN_COMPARE_KERNELS="keep SkylakeX" runs libgan once per listed
# GAN_BLAS_CORETYPE value in every round ("keep": the environment's
# choice, e.g. OPENBLAS_CORETYPE=Haswell), so both kernels are measured
# in the same minutes as PyTorch.  GAN_COMPARE_BASELINE=PATH adds another
# bench_gan binary (an older libgan) alongside, reported as "baseline".
set -euo pipefail
kernels=${GAN_COMPARE_KERNELS:-${GAN_BLAS_CORETYPE:-SkylakeX}}
baseline=${GAN_COMPARE_BASELINE:-}
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
rounds=${2:-3}
reps=${3:-20}
py=/usr/bin/python3
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "compare.sh: PyTorch is missing for $py." >&2
  echo "  install it (large, ~1 GB): apt-get install -y python3-torch" >&2
  echo "  or: GAN_DEPS_BENCH=1 bash scripts/deps.sh" >&2
  exit 3
fi
cmake --build "$build" --target bench_gan >/dev/null
bench=$build/bench/bench_gan
out=$(mktemp)
trap 'rm -f "$out"' EXIT
items=("train cifar 64" "train mnist 64" "sample cifar 64" "sample cifar 1")
for k in $kernels; do
  GAN_BLAS_CORETYPE=$k "$bench" --reps 1 --warmup 0 --what sample --workload cifar | grep '^#' | head -1 | tee -a "$out"
done
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
# run_libgan TAG BINARY KERNEL ITEM...: RESULT lines tagged impl=TAG.
run_libgan() {
  local tag=$1 bin=$2 k=$3
  shift 3
  GAN_BLAS_CORETYPE=$k "$bin" --threads 2 --reps "$reps" --warmup 3 --what "$1" --workload "$2" \
    --batch "$3" --only-batch | grep '^RESULT' | sed "s/impl=libgan/impl=$tag/" | tee -a "$out"
}
for ((r = 1; r <= rounds; r++)); do
  for it in "${items[@]}"; do
    set -- $it
    for k in $kernels; do
      run_libgan "libgan-$k" "$bench" "$k" "$@"
      if [ -n "$baseline" ]; then
        run_libgan "baseline-$k" "$baseline" "$k" "$@"
      fi
    done
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$py" "$here/torch_ref.py" --threads 2 \
      --reps "$reps" --warmup 3 --what "$1" --workload "$2" --batch "$3" | grep '^RESULT' | tee -a "$out"
  done
done
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
"$py" - "$out" <<'PY'
import statistics, sys
rows = []
for line in open(sys.argv[1]):
    if line.startswith("RESULT"):
        rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
impls = sorted({r["impl"] for r in rows if r["impl"] != "pytorch"})
def med(impl, what, wl, b, key):
    v = [float(r[key]) for r in rows if r["impl"] == impl and r["what"].startswith(what)
         and r["workload"] == wl and r["batch"] == b and key in r]
    return statistics.median(v) if v else float("nan")
items = [("train", "cifar", "64"), ("train", "mnist", "64"), ("sample", "cifar", "64"), ("sample", "cifar", "1")]
for impl in impls:
    print(f"\n{impl} (GAN_BLAS_CORETYPE={impl.split('-', 1)[1]}) against PyTorch, medians over rounds:")
    print("| workload | libgan median ms | PyTorch median ms | libgan img/s | PyTorch img/s | ratio (speed) |")
    print("|---|---|---|---|---|---|")
    for what, wl, b in items:
        l, p = med(impl, what, wl, b, "median_ms"), med("pytorch", what, wl, b, "median_ms")
        print(f"| {what} {wl} batch {b} | {l:.2f} | {p:.2f} | {int(b) * 1e3 / l:.1f} | {int(b) * 1e3 / p:.1f} | {p / l:.2f}x |")
    print("\n| peak RSS of a training run | libgan MiB | PyTorch MiB | ratio |")
    print("|---|---|---|---|")
    for wl in ["cifar", "mnist"]:
        l, p = med(impl, "rss-train", wl, "64", "peak_rss_mib"), med("pytorch", "rss-train", wl, "64", "peak_rss_mib")
        print(f"| {wl} | {l:.0f} | {p:.0f} | {l / p:.2f} |")
PY
