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
# writes of the early checkpoint, the epoch checkpoint, the generator and
# the grid), then resume: always the uninterrupted run's bytes.  Before
# the first step's checkpoint exists there is nothing to resume (at most
# one step was logged): the run is started again.  A kill aimed at a write
# (kill_at, lib.sh: killed as soon as the atomic writer's temporary
# appears) counts as inside it only if the temporary survived the kill;
# each write is tried until one kill lands inside it (at most 3 times).
# kill_grid.sh does the same for the grid at varied delays.
rounds=${GAN_KILL_ROUNDS:-4}
targets=(".checkpoint.gan.tmp-*" "checkpoints/.ckpt_epoch_001.gan.tmp-*" ".generator.gan.tmp-*"
         "samples/.epoch_001.png.tmp-*")
RANDOM=18
resumed=0 inside=0 kills=0

# one_round WHAT [PATTERN]: kill a fresh run (after random steps, or
# inside the write of PATTERN), resume or restart it, compare; sets landed.
one_round() {
  local what=$1 pat=${2:-} pid k deadline rows
  rm -rf cut resume.log
  "$GAN" train "${COMMON[@]}" --epochs 1 --out cut >cut.log 2>&1 &
  pid=$!
  landed=no
  if [[ -z $pat ]]; then
    # After a random number of logged steps (0..3), plus up to 0.5 s.
    k=$((RANDOM % 4)) deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)) &&
      { [[ ! -f cut/log.csv ]] || (($(wc -l <cut/log.csv) <= k)); }; do
      sleep 0.02
    done
    sleep "0.$(printf '%03d' $((RANDOM % 500)))"
    what="$what after step $k"
    kill -9 "$pid" 2>/dev/null || true
  else
    kill_at "$pid" "cut/$pat" 0 || true
  fi
  wait "$pid" 2>/dev/null || true
  kills=$((kills + 1))
  if [[ -n $pat ]] && compgen -G "cut/$pat" >/dev/null; then
    landed=yes
    inside=$((inside + 1))
  fi
  if [[ -f cut/checkpoint.gan ]]; then
    "$GAN" train --resume cut --threads 1 --log-every 1 >resume.log 2>&1 ||
      { cat cut.log resume.log; fail "$what: resume exited $?"; }
    resumed=$((resumed + 1))
  else
    rows=0
    [[ -f cut/log.csv ]] && rows=$(($(wc -l <cut/log.csv) - 1))
    ((rows <= 1)) || fail "$what: $rows steps logged and no checkpoint to resume"
    "$GAN" train "${COMMON[@]}" --epochs 1 --out cut >cut2.log 2>&1 || fail "$what: rerun"
  fi
  for f in checkpoint.gan generator.gan samples/epoch_001.png; do
    cmp "straight/$f" "cut/$f" || fail "$what: $f differs from the uninterrupted run"
  done
  diff <(losses straight/log.csv) <(losses cut/log.csv) || fail "$what: losses differ"
  [[ -z $(find cut -name '.*.tmp-*') ]] || fail "$what: temporaries left"
  ok "killed $what (inside: $landed); $([[ -f resume.log ]] && echo resumed || echo restarted) to the same bytes"
  rm -f resume.log
}

for ((i = 1; i <= rounds; i++)); do
  one_round "random round $i"
done
for pat in "${targets[@]}"; do
  for try in 1 2 3 4 5 6; do
    one_round "inside the write of ${pat%%.tmp-*} (try $try)" "$pat"
    [[ $landed == yes ]] && break
  done
  [[ $landed == yes ]] || fail "no kill landed inside the write of ${pat%%.tmp-*} in 6 tries"
done
((resumed > 0)) || fail "no round left a checkpoint to resume"
echo "kill_resume: $kills kills ($inside inside a file write, $resumed resumed): same bytes every time"
