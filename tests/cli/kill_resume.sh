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
