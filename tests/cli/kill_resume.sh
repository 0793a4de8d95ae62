#!/usr/bin/env bash
# Issue 18, items 4 and 5: `gan train` killed (kill -9) at any point,
# then `gan train --resume OUT`, ends with exactly the files of an
# uninterrupted run.
#  - killed while writing generator.gan or the last grid (after the last
#    checkpoint): resume writes them, sweeps the writer's temporaries, and
#    only then reports the run complete;
#  - killed anywhere during a tiny run, including inside every file write,
#    before the first epoch's checkpoint: the early checkpoint (after the
#    first step) leaves something to resume.
source "$(dirname "$0")/lib.sh"

"$GAN" train "${COMMON[@]}" --epochs 1 --out straight >straight.log
final=straight/samples/epoch_001.png
[[ -f $final && -f straight/generator.gan ]] || fail "straight run outputs"

# Item 4: a kill inside the final writes, simulated exactly: the checkpoint
# is complete, generator.gan and the last grid are missing (or stale), and
# the atomic writer's temporaries are left behind.
for variant in missing stale; do
  rm -rf cut && cp -r straight cut
  if [[ $variant == missing ]]; then
    rm cut/generator.gan cut/samples/epoch_001.png
  else
    head -c 1000 straight/checkpoint.gan >cut/generator.gan  # an older, different file
  fi
  head -c 4096 /dev/urandom >cut/.generator.gan.tmp-AbC123
  head -c 100 /dev/urandom >cut/samples/.epoch_001.png.tmp-XyZ789
  "$GAN" train --resume cut --threads 1 >resume.log || { cat resume.log; fail "resume exited $?"; }
  cat resume.log
  grep -q "already complete" resume.log || fail "no completion line"
  cmp straight/generator.gan cut/generator.gan || fail "$variant: generator.gan differs"
  cmp $final cut/samples/epoch_001.png || fail "$variant: final samples differ"
  [[ -z $(find cut -name '.*.tmp-*') ]] || fail "$variant: temporaries left: $(find cut -name '.*.tmp-*')"
  ok "killed inside the final writes ($variant generator): resume finished the outputs"
done

# Item 5: kill -9 at many points of a run (random moments, and inside the
# writes of the early checkpoint, the epoch checkpoint, the grid and the
# generator), then resume: always the uninterrupted run's bytes.  Before
# the first step's checkpoint exists there is nothing to resume (at most
# one step was logged): the run is started again.
rounds=${GAN_KILL_ROUNDS:-6}
targets=(".checkpoint.gan.tmp-*" "checkpoints/.ckpt_epoch_001.gan.tmp-*" ".generator.gan.tmp-*"
         "samples/.epoch_001.png.tmp-*")
RANDOM=18
resumed=0 inside=0
for ((i = 1; i <= rounds; i++)); do
  rm -rf cut resume.log
  "$GAN" train "${COMMON[@]}" --epochs 1 --out cut >cut.log 2>&1 &
  pid=$!
  if ((i % 2)); then
    # After a random number of logged steps (0..3), plus up to 0.5 s.
    k=$((RANDOM % 4)) deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)) &&
      { [[ ! -f cut/log.csv ]] || (($(wc -l <cut/log.csv) <= k)); }; do
      sleep 0.02
    done
    sleep "0.$(printf '%03d' $((RANDOM % 500)))"
    what="at a random moment after step $k"
  else
    pat=${targets[$(((i / 2 - 1) % ${#targets[@]}))]}
    what="inside the write of ${pat%%.tmp-*}"
    deadline=$((SECONDS + 60))
    while ! compgen -G "cut/$pat" >/dev/null && kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
      :
    done
    compgen -G "cut/$pat" >/dev/null && inside=$((inside + 1))
  fi
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [[ -f cut/checkpoint.gan ]]; then
    "$GAN" train --resume cut --threads 1 --log-every 1 >resume.log 2>&1 ||
      { cat cut.log resume.log; fail "round $i ($what): resume exited $?"; }
    resumed=$((resumed + 1))
  else
    rows=0
    [[ -f cut/log.csv ]] && rows=$(($(wc -l <cut/log.csv) - 1))
    ((rows <= 1)) || fail "round $i ($what): $rows steps logged and no checkpoint to resume"
    "$GAN" train "${COMMON[@]}" --epochs 1 --out cut >cut2.log 2>&1 || fail "round $i: rerun"
  fi
  for f in checkpoint.gan generator.gan samples/epoch_001.png; do
    cmp "straight/$f" "cut/$f" || fail "round $i ($what): $f differs from the uninterrupted run"
  done
  diff <(losses straight/log.csv) <(losses cut/log.csv) || fail "round $i ($what): losses differ"
  [[ -z $(find cut -name '.*.tmp-*') ]] || fail "round $i: temporaries left"
  ok "round $i: killed $what; $([[ -f resume.log ]] && echo resumed || echo restarted) to the same bytes"
  rm -f resume.log
done
((resumed > 0)) || fail "no round left a checkpoint to resume"
echo "kill_resume: $rounds kills ($inside inside a file write, $resumed resumed): same bytes every time"
