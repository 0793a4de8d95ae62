#!/bin/bash
# run_fuzzers.sh -- build the dataset-parser fuzzers with clang + libFuzzer
# (ASan + UBSan) directly against the library sources, replay the committed
# seed corpus, then fuzz each target for GAN_FUZZ_SECONDS.
#
#   tests/fuzz/run_fuzzers.sh [target ...]     (default: all seven)
#
# Environment:
#   GAN_FUZZ_SECONDS  seconds per target [30]
#   GAN_FUZZ_JOBS     targets fuzzed in parallel [2]
#   GAN_FUZZ_OUT      work directory (binaries, grown corpora, crashes)
#                     [$TMPDIR/gan-fuzz or /tmp/gan-fuzz]
#   CLANG             compiler [clang, else clang-14]
# Exits non-zero if a build fails or any target crashes, leaks, times out
# or runs out of memory; the reproducer is left in $GAN_FUZZ_OUT/<target>/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${GAN_FUZZ_SECONDS:-30}
jobs=${GAN_FUZZ_JOBS:-2}
out=${GAN_FUZZ_OUT:-${TMPDIR:-/tmp}/gan-fuzz}
cc=${CLANG:-$(command -v clang || command -v clang-14)}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_idx fuzz_idx_plain fuzz_cifar fuzz_checkpoint fuzz_image fuzz_ganc_struct fuzz_fid_stats)
[ -n "$cc" ] || { echo "run_fuzzers: clang not found" >&2; exit 2; }

# The library sources the parsers need: the floors core/, io/ and data/
# (nothing of the layer engine).
srcs=("$root"/libgan/core/*.c "$root"/libgan/io/*.c "$root"/libgan/data/*.c)
mkdir -p "$out/include" "$out/bin" || exit 2
ver=$(sed -n 's/^project(libgan VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
IFS=. read -r vmaj vmin vpat <<<"$ver"
sed -e "s/@PROJECT_VERSION_MAJOR@/$vmaj/" -e "s/@PROJECT_VERSION_MINOR@/$vmin/" \
    -e "s/@PROJECT_VERSION_PATCH@/$vpat/" -e "s/@PROJECT_VERSION@/$ver/" \
    "$root/include/gan_version.h.in" >"$out/include/gan_version.h" || exit 2

flags=(-g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
       -fsanitize=fuzzer,address,undefined,float-cast-overflow -fno-sanitize-recover=all
       -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter -Werror
       -I"$root/include" -I"$out/include" -I"$root/libgan")
lib=("${srcs[@]}")
# The checkpoint loaders rebuild whole models and trainers, and FID
# statistics need the metrics floor: every source (GEMM through the
# reference loop; no BLAS in fuzz builds).
all=("$root"/libgan/*/*.c "$root"/libgan/nn/layers/*.c)

status=0
for t in "${targets[@]}"; do
  echo "== build $t"
  case $t in
    fuzz_checkpoint|fuzz_ganc_struct|fuzz_fid_stats) srcs_t=("${all[@]}") ;;
    *) srcs_t=("${lib[@]}") ;;
  esac
  "$cc" "${flags[@]}" "$here/$t.c" "${srcs_t[@]}" -lpng -ljpeg -lz -lm -lpthread -o "$out/bin/$t" \
      || { status=1; continue; }
  mkdir -p "$out/$t/corpus"
  # Regression: every committed seed must run clean, each in under 10 s.
  echo "== replay $t seeds"
  "$out/bin/$t" -runs=0 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 "$here/corpus/$t" \
      >"$out/$t/replay.log" 2>&1 || { tail -30 "$out/$t/replay.log"; status=1; }
done
[ $status -eq 0 ] || { echo "run_fuzzers: build or replay failed" >&2; exit 1; }

run_one() {
  local t=$1
  "$out/bin/$t" -max_total_time="$secs" -max_len=65536 -malloc_limit_mb=256 -rss_limit_mb=2048 \
      -timeout=10 -print_final_stats=1 -artifact_prefix="$out/$t/" \
      "$out/$t/corpus" "$here/corpus/$t" >"$out/$t/fuzz.log" 2>&1
  local rc=$?
  local stats
  stats=$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
          "$out/$t/fuzz.log" | sed 's/^stat:://' | tr -s ' ' | tr '\n' ' ')
  local cov
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$out/$t/fuzz.log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "== $t: ok ($cov; $stats)"
  else
    echo "== $t: FAILED (exit $rc), see $out/$t/fuzz.log"
    grep -E 'ERROR|SUMMARY|Test unit written' "$out/$t/fuzz.log" | head -10
  fi
  return $rc
}

pids=()
names=()
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  run_one "$t" &
  pids+=($!)
  names+=("$t")
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || status=1
done
[ $status -eq 0 ] && echo "run_fuzzers: ${#targets[@]} target(s) passed" \
                  || echo "run_fuzzers: a target failed" >&2
exit $status
