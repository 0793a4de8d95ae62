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
# default (AVX-512; libgan self-tests it before use).  Set
# GAN_BLAS_CORETYPE=keep to measure the environment's choice.
set -euo pipefail
export GAN_BLAS_CORETYPE=${GAN_BLAS_CORETYPE:-SkylakeX}
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
"$bench" --reps 1 --warmup 0 --what sample --workload cifar | grep '^#' | tee -a "$out"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
for ((r = 1; r <= rounds; r++)); do
  for it in "${items[@]}"; do
    set -- $it
    "$bench" --threads 2 --reps "$reps" --warmup 3 --what "$1" --workload "$2" --batch "$3" \
      --only-batch | grep '^RESULT' | tee -a "$out"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$py" "$here/torch_ref.py" --threads 2 \
      --reps "$reps" --warmup 3 --what "$1" --workload "$2" --batch "$3" | grep '^RESULT' | tee -a "$out"
  done
done
"$py" - "$out" <<'PY'
import statistics, sys
rows = []
for line in open(sys.argv[1]):
    if line.startswith("RESULT"):
        rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
def med(impl, what, wl, b, key):
    v = [float(r[key]) for r in rows if r["impl"] == impl and r["what"].startswith(what)
         and r["workload"] == wl and r["batch"] == b and key in r]
    return statistics.median(v) if v else float("nan")
print("\n| workload | libgan median ms | PyTorch median ms | libgan img/s | PyTorch img/s | ratio (speed) |")
print("|---|---|---|---|---|---|")
for what, wl, b in [("train", "cifar", "64"), ("train", "mnist", "64"), ("sample", "cifar", "64"), ("sample", "cifar", "1")]:
    l, p = med("libgan", what, wl, b, "median_ms"), med("pytorch", what, wl, b, "median_ms")
    print(f"| {what} {wl} batch {b} | {l:.2f} | {p:.2f} | {int(b) * 1e3 / l:.1f} | {int(b) * 1e3 / p:.1f} | {p / l:.2f}x |")
print("\n| peak RSS of a training run | libgan MiB | PyTorch MiB | ratio |")
print("|---|---|---|---|")
for wl in ["cifar", "mnist"]:
    l, p = med("libgan", "rss-train", wl, "64", "peak_rss_mib"), med("pytorch", "rss-train", wl, "64", "peak_rss_mib")
    print(f"| {wl} | {l:.0f} | {p:.0f} | {l / p:.2f} |")
PY
