#!/usr/bin/env bash
# run_mpi_tests.sh MPI_TOOL OUT_DIR [GAN_CLI] -- data-parallel training over
# MPI on loopback (issue 17), as ctest's test "mpi":
#
#   1. one step of K ranks x their share of a global batch of 64 equals one
#      step of one process x 64 (float tolerance), for BCE, WGAN-GP
#      (n_critic 2, gradient penalty) and a conditional pair, on 2 ranks
#      and on 3 (22 + 21 + 21, --oversubscribe); batchnorm + dropout keep
#      the replicas identical;
#   2. a 2-rank run saves a checkpoint after one epoch and goes on; resuming
#      it on 2 ranks is bit-identical, on 1 rank (and in one process
#      without MPI, bit-identical to that) and on 3 ranks equal to float
#      tolerance;
#   3. failures: a rank with NaN data, a rank that cannot read its batch,
#      a rank killed by SIGKILL: every rank stops within the timeout (no
#      hang), rank 0 says why;
#   4. with GAN_CLI: `mpirun -np 2 gan train --distributed` (outputs from
#      rank 0 only, resume on 2 and on 1 rank, kill -9 of a rank);
#   5. the Python bindings with mpi4py's communicator (when
#      /usr/bin/python3 has mpi4py).
# Open MPI refuses root without --allow-run-as-root; the tests run as root
# in CI.  Every mpirun is bounded by `timeout`.
set -uo pipefail

tool=$1 out=$2 cli=${3:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rm -rf "$out"
mkdir -p "$out"
export OMPI_MCA_rmaps_base_oversubscribe=1
# Shared memory between the ranks; no network probing.
export OMPI_MCA_btl=self,vader
sanitized=${GAN_MPI_SANITIZED:-0}
if [[ -n ${GAN_MPI_LSAN_SUPP:-} ]]; then
  # Under ASan: Open MPI's leaks at MPI_Init/Finalize are suppressed; their
  # stacks need full unwinding (and loaded plugins) to reach those frames.
  export LSAN_OPTIONS="suppressions=$GAN_MPI_LSAN_SUPP${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
  export OMPI_MCA_mca_base_component_disable_dlclose=1
fi
mpirun=(mpirun --allow-run-as-root --oversubscribe --bind-to none)

failed=0
t_start=$SECONDS
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; failed=1; }

# run_np N TIMEOUT CMD...: mpirun -np N under timeout; the exit code.
run_np() {
  local np=$1 limit=$2
  shift 2
  timeout --kill-after=10 "$limit" "${mpirun[@]}" -np "$np" "$@"
}

echo "== 1. K ranks x slices == 1 process x the global batch"
for np in 2 3; do
  for kind in bce wgan-gp cgan bn; do
    # 2 KiB buckets: several per network, started during the backward pass.
    if run_np "$np" 120 "$tool" equal "$kind" 2048; then
      ok "equal $kind on $np ranks"
    else
      bad "equal $kind on $np ranks"
    fi
  done
done
# The buckets driven by libgan_mpi's progress thread.
for kind in bce wgan-gp; do
  if run_np 3 120 "$tool" equal "$kind" 2048 thread; then
    ok "equal $kind on 3 ranks with the progress thread"
  else
    bad "equal $kind on 3 ranks with the progress thread"
  fi
done

echo "== 2. checkpoints: resume on 2, 1 and 3 ranks"
for kind in bce bn; do
  d=$out/resume_$kind
  mkdir -p "$d"
  run_np 2 120 "$tool" train "$kind" "$d" a || bad "train $kind on 2 ranks"
  run_np 2 120 "$tool" train "$kind" "$d" b || bad "resume $kind on 2 ranks"
  "$tool" compare "$d/b_2.f32" "$d/a_2.f32" 0 || bad "$kind: resume on 2 ranks is not bit-identical"
  if [[ $kind == bce ]]; then
    run_np 1 120 "$tool" train "$kind" "$d" b || bad "resume $kind on 1 rank"
    run_np 3 120 "$tool" train "$kind" "$d" b || bad "resume $kind on 3 ranks"
    timeout 120 "$tool" plain "$kind" "$d" || bad "resume $kind without MPI"
    "$tool" compare "$d/plain.f32" "$d/b_1.f32" 0 || bad "1 rank differs from no MPI"
    "$tool" compare "$d/b_1.f32" "$d/a_2.f32" 1e-4 || bad "resume on 1 rank vs 2"
    "$tool" compare "$d/b_3.f32" "$d/a_2.f32" 1e-4 || bad "resume on 3 ranks vs 2"
  fi
done

echo "== 3. failures stop every rank"
for mode in nan error die; do
  t0=$SECONDS
  run_np 2 60 "$tool" fail "$mode" >"$out/fail_$mode.log" 2>&1
  rc=$?
  dt=$((SECONDS - t0))
  sed 's/^/    /' "$out/fail_$mode.log" | head -20
  if ((dt >= 60)); then
    bad "fail $mode: the job hung (stopped by the timeout after $dt s)"
  elif ((rc == 0)); then
    bad "fail $mode: mpirun exited 0"
  else
    case $mode in
      nan) grep -q "rank 0 stops: .*diverged" "$out/fail_$mode.log" || bad "fail nan: no message on rank 0" ;;
      error) grep -q "rank 0 stops: worker 1 of 2 failed: cannot read batch 4" "$out/fail_$mode.log" ||
               bad "fail error: rank 0 did not print rank 1's message" ;;
      die) grep -qiE "signal 9|killed" "$out/fail_$mode.log" || bad "fail die: no word of the killed rank" ;;
    esac
    ok "fail $mode: every rank stopped in ${dt} s (exit $rc)"
  fi
done

if ((sanitized)); then
  echo "== 4. gan train --distributed: skipped in a sanitizer build (the release build runs it)"
elif [[ -n $cli && -f $here/cli_distributed.sh ]]; then
  echo "== 4. gan train --distributed"
  bash "$here/cli_distributed.sh" "$cli" "$out/cli" "$tool" || bad "gan train --distributed"
fi

echo "== 5. Python with mpi4py"
if ((sanitized)); then
  echo "skipped in a sanitizer build (the release build runs it)"
elif [[ ! -f $here/test_distributed.py ]]; then
  echo "skipped: no test_distributed.py"
elif /usr/bin/python3 -c 'import mpi4py' 2>/dev/null; then
  for np in 2 3; do
    run_np "$np" 120 /usr/bin/python3 "$here/test_distributed.py" ||
      bad "Python bindings with mpi4py on $np ranks"
  done
else
  echo "skipped: /usr/bin/python3 has no mpi4py (apt-get install python3-mpi4py)"
fi

echo "mpi tests: $((SECONDS - t_start)) s, $([[ $failed == 0 ]] && echo passed || echo FAILED)"
exit $failed
