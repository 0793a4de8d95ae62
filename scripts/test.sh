#!/usr/bin/env bash
# test.sh -- THE test command of libgan (README.md; CI runs it through .ci/run).
#
#   bash scripts/test.sh
#
# Stages (each one passes or fails; all run, then a summary):
#   deps      scripts/deps.sh (Debian packages)
#   build     release build (RelWithDebInfo, -O2, -Werror) in build/
#   ctest     its test suite
#   build-asan, ctest-asan   the same with ASan+UBSan in build-asan/
#   tsan      ThreadSanitizer: builds check_sample_threads and check_pool in
#             build-tsan/ and runs them (many threads sampling one model;
#             libgan's worker pool; any race fails)
#   abi       tests/abi/check_abi.sh on build/libgan.so
#   install   tests/install/check_install.sh: cmake --install into a prefix, then
#             with nothing on LD_LIBRARY_PATH the pkg-config and CMake consumers,
#             the installed gan (train, eval with share/libgan, report), the
#             prefix moved elsewhere, man pages, bash completion, Python
#   deb       tests/deb/check_deb.sh: dpkg-buildpackage of libgan1, libgan-dev,
#             libgan-data, gan-tools, python3-libgan; lintian; apt-get install;
#             smoke test against /usr; purge (needs root or sudo -n)
#   docs      the Doxygen HTML reference (ninja -C build docs)
#   fuzz      tests/fuzz/run_fuzzers.sh, if present (GAN_FUZZ_SECONDS, default 20)
#   cppcheck  static analysis of libgan/
# The last line is "N passed, N failed"; the exit code is non-zero if any
# stage failed.  Knobs: GAN_BUILD_DIR (build), GAN_ASAN_BUILD_DIR (build-asan),
# GAN_TSAN_BUILD_DIR (build-tsan),
# GAN_FUZZ_SECONDS (20), GAN_JOBS (2).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
build=${GAN_BUILD_DIR:-build}
asan=${GAN_ASAN_BUILD_DIR:-build-asan}
tsan=${GAN_TSAN_BUILD_DIR:-build-tsan}
jobs=${GAN_JOBS:-2}

passed=0 failed=0
results=()
declare -A ok=()

# run_stage NAME COMMAND...: run, time and record one stage.
run_stage() {
  local name=$1 t0=$SECONDS rc
  shift
  printf '\n==== %s\n' "$name"
  "$@"
  rc=$?
  local dt=$((SECONDS - t0))
  if ((rc == 0)); then
    passed=$((passed + 1)) ok[$name]=1
    results+=("$(printf '%-11s passed  %4d s' "$name" "$dt")")
  else
    failed=$((failed + 1)) ok[$name]=0
    results+=("$(printf '%-11s FAILED  %4d s  (exit %d)' "$name" "$dt" "$rc")")
  fi
  printf '==== %s: %s in %d s\n' "$name" "$([[ $rc == 0 ]] && echo passed || echo FAILED)" "$dt"
  return 0
}
# skip_stage NAME WHY: a stage that cannot run because one it needs failed.
skip_stage() {
  failed=$((failed + 1)) ok[$1]=0
  results+=("$(printf '%-11s FAILED     - s  (%s)' "$1" "$2")")
  printf '\n==== %s: FAILED (%s)\n' "$1" "$2"
}

# configure_build DIR CMAKE-ARGS...: configure with Ninja (starting afresh if
# DIR was configured with another generator) and build everything.
configure_build() {
  local dir=$1
  shift
  if [[ -f $dir/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    echo "$dir was configured with another generator: reconfiguring from scratch"
    rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
  fi
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGAN_WERROR=ON "$@" &&
    cmake --build "$dir" -j "$jobs"
}

run_ctest() {
  ctest --test-dir "$1" --output-on-failure -j "$jobs" --timeout 600
}

run_ctest_asan() {
  # halt on the first report; leaks fail the process (LSan); Check's 4 s
  # default timeout scaled for the slower instrumented code.
  ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  CK_TIMEOUT_MULTIPLIER=10 GAN_TEST_SCALE=tiny \
    run_ctest "$asan"
}

# ThreadSanitizer on the one test that shares a model between threads
# (docs: testing.md item 10), and shares one sampler and one model's
# forward between two threads (GAN_ESTATE from the in-use flag, issue 18), and
# on libgan's worker pool (check_pool: jobs from several threads at once,
# nested jobs, the split kernels with 2 and 3 threads).  Only those targets are built.  TSan needs
# vm.mmap_rnd_bits <= 28 (google/sanitizers#1716): else run without ASLR.
# OpenBLAS is not instrumented; the test sets gan_set_threads(1).
tsan_stage() {
  local run=()
  if [[ -f $tsan/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$tsan/CMakeCache.txt"; then
    rm -rf "$tsan/CMakeCache.txt" "$tsan/CMakeFiles"
  fi
  cmake -S . -B "$tsan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGAN_WERROR=ON \
    -DGAN_SANITIZE=thread -DGAN_BUILD_EXAMPLES=OFF &&
    cmake --build "$tsan" -j "$jobs" --target check_sample_threads check_pool || return
  if (($(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0) > 28)); then
    run=(setarch "$(uname -m)" -R)
  fi
  TSAN_OPTIONS=halt_on_error=1:exitcode=66 CK_TIMEOUT_MULTIPLIER=10 \
    "${run[@]}" "$tsan/tests/check_sample_threads" &&
    TSAN_OPTIONS=halt_on_error=1:exitcode=66 CK_TIMEOUT_MULTIPLIER=10 \
      "${run[@]}" "$tsan/tests/check_pool"
}

docs() {
  local log rc
  log=$(mktemp)
  cmake --build "$build" --target docs >"$log" 2>&1
  rc=$?
  cat "$log"
  local warnings
  warnings=$(grep -c -i 'warning:' "$log")
  rm -f "$log"
  ((rc == 0)) || return "$rc"
  [[ -f $build/docs/html/gan_8h.html ]] || { echo "docs: $build/docs/html/gan_8h.html was not produced"; return 1; }
  echo "docs: HTML in $build/docs/html ($warnings doxygen warning(s))"
}

fuzz() {
  GAN_FUZZ_SECONDS=${GAN_FUZZ_SECONDS:-20} bash tests/fuzz/run_fuzzers.sh
}

static_analysis() {
  cppcheck --enable=warning,portability,performance --error-exitcode=1 --inline-suppr -q \
    -I include -I "$build/include" -I libgan libgan
}

total_t0=$SECONDS
run_stage deps bash scripts/deps.sh
if [[ ${ok[deps]} == 1 ]]; then
  run_stage build configure_build "$build"
  if [[ ${ok[build]} == 1 ]]; then
    run_stage ctest run_ctest "$build"
  else
    skip_stage ctest "no build"
  fi
  run_stage build-asan configure_build "$asan" -DGAN_SANITIZE=address,undefined -DGAN_BUILD_EXAMPLES=ON
  if [[ ${ok[build-asan]} == 1 ]]; then
    run_stage ctest-asan run_ctest_asan
  else
    skip_stage ctest-asan "no build-asan"
  fi
  run_stage tsan tsan_stage
  if [[ ${ok[build]} == 1 ]]; then
    run_stage abi bash tests/abi/check_abi.sh "$build/libgan.so" include/gan.h "$build/gan.pc"
    run_stage install bash tests/install/check_install.sh "$build"
    run_stage docs docs
  else
    for s in abi install docs; do skip_stage "$s" "no build"; done
  fi
  if ((EUID == 0)) || sudo -n true 2>/dev/null; then
    run_stage deb env GAN_JOBS="$jobs" bash tests/deb/check_deb.sh
  else
    echo; echo "==== deb: not run (installing packages needs root or sudo -n)"
  fi
  if [[ -f tests/fuzz/run_fuzzers.sh ]]; then
    run_stage fuzz fuzz
  else
    echo; echo "==== fuzz: not run (tests/fuzz/run_fuzzers.sh does not exist yet)"
  fi
  run_stage cppcheck static_analysis
else
  echo "deps failed: nothing else can run"
fi

printf '\n==== summary (%d s in all)\n' "$((SECONDS - total_t0))"
printf '%s\n' "${results[@]}"
echo "$passed passed, $failed failed"
((failed == 0))
