#!/usr/bin/env bash
# cli_distributed.sh GAN OUT MPI_TOOL -- `gan train --distributed` under
# mpirun on loopback (run by run_mpi_tests.sh):
#   1. 2 ranks train 2 epochs: one set of outputs (rank 0's: one "done:"
#      line, one log.csv row per step, samples, checkpoints, generator);
#   2. the run resumes on 2 ranks (--resume --epochs 3) and, in one process
#      without MPI, from the same epoch-2 checkpoint;
#   3. SIGUSR1 to mpirun (forwarded to every rank) stops every rank after
#      the same step with a checkpoint (exit 130);
#   4. kill -9 of rank 1 mid-run ends the job (no hang) and the last
#      checkpoint still loads and resumes;
#   5. --distributed with a bad flag value fails on every rank at once.
set -uo pipefail
gan=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
mpirun=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
common=(--limit 128 --batch 32 --threads 1 --log-every 4)
failed=0 part=0
bad() { echo "FAIL: $*"; failed=1 part=1; }
ok() { ((part == 0)) && echo "ok: $*"; part=0; }

# 1. two ranks, two epochs of 4 steps
timeout 180 "${mpirun[@]}" -np 2 "$gan" train --distributed "${common[@]}" --epochs 2 \
  --out "$out/run" >"$out/run.log" 2>&1 || bad "2-rank training failed ($(tail -3 "$out/run.log"))"
n_done=$(grep -c '^done: step 8, epoch 2' "$out/run.log")
rows=$(($(wc -l <"$out/run/log.csv") - 1))
[[ $n_done == 1 ]] || bad "expected one 'done:' line (rank 0's), found $n_done"
[[ $rows == 8 ]] || bad "log.csv has $rows rows, expected 8 (one per step, rank 0 only)"
for f in run.txt checkpoint.gan generator.gan checkpoints/ckpt_epoch_001.gan \
         checkpoints/ckpt_epoch_002.gan samples/epoch_002.png report.html; do
  [[ -s $out/run/$f ]] || bad "$f missing"
done
grep -q '^distributed: 2 ranks' "$out/run.log" || bad "no 'distributed: 2 ranks' line"
ok "2 ranks: one set of outputs, 8 steps"

# 2. resume on 2 ranks, and in one process without MPI
cp -r "$out/run" "$out/one"
timeout 180 "${mpirun[@]}" -np 2 "$gan" train --distributed --resume "$out/run" --epochs 3 \
  >"$out/resume2.log" 2>&1 || bad "resume on 2 ranks failed ($(tail -3 "$out/resume2.log"))"
grep -q '^done: step 12, epoch 3' "$out/resume2.log" || bad "resume on 2 ranks did not reach step 12"
timeout 180 "$gan" train --resume "$out/one" --epochs 3 --threads 1 --log-every 4 \
  >"$out/resume1.log" 2>&1 || bad "resume in one process failed ($(tail -3 "$out/resume1.log"))"
grep -q '^done: step 12, epoch 3' "$out/resume1.log" || bad "resume in one process did not reach step 12"
ok "resumed on 2 ranks and on 1 process"

# 3. SIGUSR1: a clean stop of every rank, with a checkpoint
timeout 180 "${mpirun[@]}" -np 2 "$gan" train --distributed "${common[@]}" --epochs 100 \
  --out "$out/usr1" >"$out/usr1.log" 2>&1 &
job=$!
for _ in $(seq 1 120); do
  [[ -s $out/usr1/checkpoint.gan ]] && break
  sleep 0.5
done
mp=$(pgrep -P "$job" -x mpirun || pgrep -f "^mpirun .*$out/usr1" | head -1)
kill -USR1 "$mp" 2>/dev/null
wait "$job"
rc=$?
[[ $rc == 130 ]] || bad "SIGUSR1: exit $rc, expected 130"
# (the line follows the progress bar's clearing escape)
grep -q 'interrupted at step' "$out/usr1.log" || bad "SIGUSR1: no 'interrupted' line"
step=$(grep -o 'interrupted at step [0-9]*' "$out/usr1.log" | grep -o '[0-9]*$')
"$gan" info "$out/usr1/checkpoint.gan" | grep -q "step $step," || bad "SIGUSR1: checkpoint is not of step $step"
ok "SIGUSR1 stopped both ranks at step $step with a checkpoint"

# 4. kill -9 of rank 1: the job ends, the checkpoint survives
t0=$SECONDS
timeout 120 "${mpirun[@]}" -np 2 "$gan" train --distributed "${common[@]}" --epochs 100 \
  --out "$out/kill" >"$out/kill.log" 2>&1 &
job=$!
for _ in $(seq 1 120); do
  [[ -s $out/kill/checkpoints/ckpt_epoch_001.gan ]] && break
  sleep 0.5
done
victim=""
for p in $(pgrep -f "$gan train --distributed .*$out/kill"); do
  if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then
    victim=$p
  fi
done
[[ -n $victim ]] || bad "kill -9: rank 1 not found"
kill -9 "$victim" 2>/dev/null
wait "$job"
rc=$?
dt=$((SECONDS - t0))
if ((rc == 0 || rc == 124)); then
  bad "kill -9: mpirun exit $rc after $dt s"
else
  grep -qiE 'signal 9|killed' "$out/kill.log" || bad "kill -9: mpirun did not report the killed rank"
  "$gan" info "$out/kill/checkpoint.gan" >/dev/null || bad "kill -9: the checkpoint does not load"
  kstep=$("$gan" info "$out/kill/checkpoint.gan" | grep -o 'step [0-9]*,' | head -1 | grep -o '[0-9]*')
  timeout 120 "$gan" train --resume "$out/kill" --steps $((kstep + 2)) --epochs 0 --threads 1 \
    >"$out/kill_resume.log" 2>&1 || bad "kill -9: cannot resume ($(tail -2 "$out/kill_resume.log"))"
  ok "kill -9 of rank 1: the job ended in $dt s (exit $rc), the checkpoint resumes"
fi

# 5. a usage error stops every rank before MPI starts
timeout 60 "${mpirun[@]}" -np 2 "$gan" train --distributed --batch 0 >"$out/usage.log" 2>&1
rc=$?
((rc != 0 && rc != 124)) || bad "--batch 0: exit $rc"
grep -q -- '--batch' "$out/usage.log" || bad "--batch 0: no message"

exit $failed
