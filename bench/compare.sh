#!/usr/bin/env bash
# compare.sh -- libgan against PyTorch on the seed workloads, in one run.
#
#   bash bench/compare.sh [BUILD_DIR] [ROUNDS] [REPS]
#
# Builds bench_gan in BUILD_DIR (default build), then for ROUNDS rounds
# (default 3) runs, alternating, libgan's and PyTorch's measurement of each
# item (train cifar, train mnist, sample cifar at batch 64 and 1), REPS
# timed repetitions each (default 20; 64 x REPS at batch 1), 2 threads for both
# (GAN_COMPARE_THREADS).  Prints every RESULT line, then the ratio table:
# per item the median over rounds of each side's median time with the
# rounds' range, the speed ratios (reference time / libgan time) against
# PyTorch and the anchor, the batch-1 latency ratios, and the peak RSS of
# the training runs.  The machine is shared and noisy: only numbers
# from the same run are compared.
#
# PyTorch: Debian's python3-torch through /usr/bin/python3 (an optional
# bench dependency: GAN_DEPS_BENCH=1 bash scripts/deps.sh, or apt-get
# install -y python3-torch), in its best configuration here (issue 16):
# bench/torch_ref.py's default --ct-impl adjoint (convolutions and
# transposed convolutions through oneDNN), OMP_NUM_THREADS = its threads, and
# OPENBLAS_CORETYPE=SkylakeX in its environment on AVX-512 CPUs (unset
# elsewhere).
#
# libgan runs once per OPENBLAS_CORETYPE setting listed in
# GAN_COMPARE_CORETYPES (default "unset Haswell": the variable removed, and
# pinned to Haswell as some machines do) in every round, so both settings
# are measured in the same minutes as PyTorch.  (The kernel settings are
# what this benchmark compares, so it sets them for the processes it
# measures; tests never do.)  GAN_COMPARE_BASELINE=PATH adds another
# bench_gan binary (an older libgan, built in a directory of its own: the
# binary loads the libgan.so beside it) alongside, reported as "baseline".
#
# GAN_COMPARE_THREADS=N (default 2) sets both sides' thread count (1 keeps
# the comparison away from the thread pools' behaviour on a busy machine).
#
# GAN_TORCH_ANCHOR=PATH additionally runs an external PyTorch reference
# script with torch_anchor.py's interface (--model dcgan32|mnist28 --mode
# train|infer --ct-impl mkldnn --threads 2, e.g. the team's
# shared/bench/torch_anchor.py) in every round, reported as "anchor", so
# the table shows the ratios against it too.
set -euo pipefail
coretypes=${GAN_COMPARE_CORETYPES:-unset Haswell}
baseline=${GAN_COMPARE_BASELINE:-}
anchor=${GAN_TORCH_ANCHOR:-}
threads=${GAN_COMPARE_THREADS:-2}
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
if [ -n "$anchor" ] && [ ! -f "$anchor" ]; then
  echo "compare.sh: GAN_TORCH_ANCHOR=$anchor is not a file" >&2
  exit 2
fi
# with_coretype SETTING CMD...: CMD with OPENBLAS_CORETYPE removed ("unset")
# or set to SETTING.
with_coretype() {
  local ct=$1
  shift
  if [ "$ct" = unset ]; then
    env -u OPENBLAS_CORETYPE "$@"
  else
    env OPENBLAS_CORETYPE="$ct" "$@"
  fi
}
torch_ct=unset
if grep -qw avx512f /proc/cpuinfo; then
  torch_ct=SkylakeX
fi
cmake --build "$build" --target bench_gan >/dev/null
bench=$build/bench/bench_gan
# bench_gan loads libgan.so from its own build directory (RUNPATH): a copy
# of the binary would measure the current library twice.
if [ -n "$baseline" ]; then
  lib_of() { ldd "$1" 2>/dev/null | sed -n 's/.*libgan\.so[^ ]* => \([^ ]*\).*/\1/p' | head -1; }
  if [ -n "$(lib_of "$bench")" ] && [ "$(lib_of "$baseline")" = "$(lib_of "$bench")" ]; then
    echo "compare.sh: GAN_COMPARE_BASELINE=$baseline loads the same libgan ($(lib_of "$bench"))" >&2
    echo "  as $bench: build the older libgan in a build directory of its own" >&2
    exit 2
  fi
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
items=("train cifar 64" "train mnist 64" "sample cifar 64" "sample cifar 1")
for ct in $coretypes; do
  echo "# OPENBLAS_CORETYPE=$ct: $(with_coretype "$ct" "$bench" --reps 1 --warmup 0 --what sample \
    --workload cifar | grep '^#' | head -1)" | tee -a "$out"
done
echo "# PyTorch: bench/torch_ref.py (--ct-impl adjoint), OPENBLAS_CORETYPE=$torch_ct" | tee -a "$out"
if [ -n "$anchor" ]; then
  echo "# anchor: $anchor --ct-impl mkldnn --threads $threads, OPENBLAS_CORETYPE=$torch_ct" | tee -a "$out"
fi
echo "# threads: $threads on each side" | tee -a "$out"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
# Repetitions of an item: REPS batches of 64 images' worth, so a batch-1
# median is taken over 64 x REPS calls (1,280 by default: ~2 s) rather
# than over 20 calls (26 ms, where one slow wake-up of a thread moves the
# median); PyTorch's references time at least 3 s of batch-1 calls too.
item_reps() { echo $((reps * (64 / $1 > 1 ? 64 / $1 : 1))); }
item_warmup() { echo $((3 * (64 / $1 > 1 ? 64 / $1 : 1))); }
# run_libgan TAG BINARY CORETYPE ITEM...: RESULT lines tagged impl=TAG.
run_libgan() {
  local tag=$1 bin=$2 ct=$3
  shift 3
  with_coretype "$ct" "$bin" --threads "$threads" --reps "$(item_reps "$3")" \
    --warmup "$(item_warmup "$3")" --what "$1" --workload "$2" --batch "$3" --only-batch |
    grep '^RESULT' | sed "s/impl=libgan/impl=$tag/" | tee -a "$out"
}
# run_anchor ITEM...: the external reference's median as a RESULT line.
run_anchor() {
  local model=dcgan32 mode=train bopt=--batch
  [ "$2" = mnist ] && model=mnist28
  [ "$1" = sample ] && mode=infer && bopt=--infer-batch
  with_coretype "$torch_ct" "$py" "$anchor" --threads "$threads" --ct-impl mkldnn --model "$model" \
    --mode "$mode" "$bopt" "$3" --min-time 4 --infer-min-time 3 |
    sed -n 's/.* med *\([0-9.]*\) ms.*/\1/p' | head -1 |
    while read -r ms; do
      echo "RESULT impl=anchor what=$1 workload=$2 batch=$3 median_ms=$ms" | tee -a "$out"
    done
}
for ((r = 1; r <= rounds; r++)); do
  for it in "${items[@]}"; do
    set -- $it
    for ct in $coretypes; do
      run_libgan "libgan-$ct" "$bench" "$ct" "$@"
      if [ -n "$baseline" ]; then
        run_libgan "baseline-$ct" "$baseline" "$ct" "$@"
      fi
    done
    with_coretype "$torch_ct" "$py" "$here/torch_ref.py" --threads "$threads" \
      --reps "$(item_reps "$3")" --warmup "$(item_warmup "$3")" --what "$1" --workload "$2" \
      --batch "$3" | grep '^RESULT' | tee -a "$out"
    if [ -n "$anchor" ]; then
      run_anchor "$@"
    fi
  done
done
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
"$py" - "$out" <<'PY'
import statistics, sys
rows = []
for line in open(sys.argv[1]):
    if line.startswith("RESULT"):
        rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
impls = sorted({r["impl"] for r in rows if r["impl"] not in ("pytorch", "anchor")})
refs = [x for x in ("pytorch", "anchor") if any(r["impl"] == x for r in rows)]
def med(impl, what, wl, b, key):
    v = [float(r[key]) for r in rows if r["impl"] == impl and r["what"].startswith(what)
         and r["workload"] == wl and r["batch"] == b and key in r]
    return statistics.median(v) if v else float("nan")
def spread(impl, what, wl, b):
    v = [float(r["median_ms"]) for r in rows if r["impl"] == impl and r["what"].startswith(what)
         and r["workload"] == wl and r["batch"] == b]
    return f"{min(v):.2f}-{max(v):.2f}" if v else "-"
items = [("train", "cifar", "64"), ("train", "mnist", "64"), ("sample", "cifar", "64"), ("sample", "cifar", "1")]
names = {"pytorch": "PyTorch (torch_ref.py)", "anchor": "anchor"}
print("\nSpeed ratio = reference time / libgan time (above 1: libgan faster); batch 1 also as "
      "latency ratio = libgan time / reference time.  Medians over rounds of each run's median; "
      "range = the rounds' medians.")
header = "| workload | " + " | ".join(f"{i} ms (range)" for i in impls) + " | " + \
    " | ".join(f"{names[x]} ms (range)" for x in refs) + " | " + \
    " | ".join(f"{i} / {x}" for x in refs for i in impls) + " |"
print(header)
print("|" + "---|" * (1 + len(impls) + len(refs) + len(impls) * len(refs)))
for what, wl, b in items:
    cells = [f"{what} {wl} batch {b}"]
    cells += [f"{med(i, what, wl, b, 'median_ms'):.2f} ({spread(i, what, wl, b)})" for i in impls]
    cells += [f"{med(x, what, wl, b, 'median_ms'):.2f} ({spread(x, what, wl, b)})" for x in refs]
    for x in refs:
        for i in impls:
            l, p = med(i, what, wl, b, "median_ms"), med(x, what, wl, b, "median_ms")
            c = f"{p / l:.2f}x"
            if b == "1":
                c += f" (latency {l / p:.2f})"
            cells.append(c)
    print("| " + " | ".join(cells) + " |")
print("\n| peak RSS of a training run | " + " | ".join(f"{i} MiB" for i in impls) +
      " | PyTorch MiB | " + " | ".join(f"{i} / PyTorch" for i in impls) + " |")
print("|" + "---|" * (2 + 2 * len(impls)))
for wl in ["cifar", "mnist"]:
    p = med("pytorch", "rss-train", wl, "64", "peak_rss_mib")
    ls = [med(i, "rss-train", wl, "64", "peak_rss_mib") for i in impls]
    print(f"| {wl} | " + " | ".join(f"{l:.0f}" for l in ls) + f" | {p:.0f} | " +
          " | ".join(f"{l / p:.2f}" for l in ls) + " |")
PY
