#!/usr/bin/env bash
# gan train end to end on 256 Fashion-MNIST images: the files it writes
# (run.txt, CSV log, sample PNGs, rotated checkpoints, generator), and
# --resume: 2 epochs straight == 1 epoch + resume to 2 == Ctrl-C in the
# middle of epoch 1 + resume, byte for byte.
source "$(dirname "$0")/lib.sh"

"$GAN" train "${COMMON[@]}" --epochs 2 --keep 1 --out straight >straight.log
cat straight.log
grep -q "^Epoch 1/2 | G Loss: [0-9.]* | D Loss: [0-9.]*" straight.log || fail "no epoch line"
grep -q "^step 3/8 | epoch 1 |" straight.log || fail "no plain progress line (not a tty)"
grep -q "^samples: straight/samples/epoch_002.png" straight.log || fail "no final samples line"
csv_rows straight/log.csv 8
# 8x8 images of 28x28 drawn 2x (56 px), 2 px apart: the default job's grid.
png_ok straight/samples/epoch_001.png 466x466
png_ok straight/samples/epoch_002.png 466x466
[[ -f straight/run.txt && -f straight/checkpoint.gan && -f straight/generator.gan ]] ||
  fail "run.txt, checkpoint.gan or generator.gan missing"
[[ $(ls straight/checkpoints) == ckpt_epoch_002.gan ]] ||
  fail "--keep 1 should leave only ckpt_epoch_002.gan: $(ls straight/checkpoints)"
"$GAN" info straight/checkpoint.gan >info.txt || fail "gan info on the checkpoint"
grep -qi "checkpoint" info.txt || fail "gan info: not described as a checkpoint"
ok "straight run: files"

# One epoch, then resume to two.
"$GAN" train "${COMMON[@]}" --epochs 1 --keep 1 --out resumed >resumed1.log
csv_rows resumed/log.csv 4
"$GAN" train --resume resumed --epochs 2 --threads 1 --log-every 1 >resumed2.log
cat resumed2.log
grep -q "^resuming resumed from resumed/checkpoint.gan: step 4, epoch 1 done" resumed2.log ||
  fail "no resume line"
csv_rows resumed/log.csv 8
cmp straight/checkpoint.gan resumed/checkpoint.gan || fail "checkpoints differ after resume"
cmp straight/samples/epoch_002.png resumed/samples/epoch_002.png || fail "final samples differ"
cmp straight/generator.gan resumed/generator.gan || fail "generators differ"
diff <(losses straight/log.csv) <(losses resumed/log.csv) || fail "losses differ"
ok "1 epoch + resume == 2 epochs (checkpoint, generator, samples, losses)"

# A run that is complete says so; run.txt settings cannot change on resume.
"$GAN" train --resume resumed --threads 1 | grep -q "already complete" || fail "complete run"
expect_exit 2 "--batch cannot change on --resume" "$GAN" train --resume resumed --batch 32
# Resuming from an epoch checkpoint file finds run.txt in the parent.
"$GAN" train --resume resumed/checkpoints/ckpt_epoch_002.gan --epochs 2 | grep -q "already complete" ||
  fail "resume from a file in checkpoints/"
# SIGINT (Ctrl-C) in the middle of epoch 1 saves a checkpoint and exits
# 130; --resume then finishes with exactly the uninterrupted run's result.
"$GAN" train "${COMMON[@]}" --epochs 2 --keep 1 --out cut >cut.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do   # wait for step 2 (at most 60 s)
  [[ -f cut/log.csv ]] && (($(wc -l <cut/log.csv) >= 3)) && break
  sleep 0.1
done
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
cat cut.log
if [[ $rc == 0 ]]; then
  echo "note: the run ended before the signal arrived; nothing to resume"
else
  [[ $rc == 130 ]] || fail "interrupted run exited $rc, expected 130"
  grep -q "^interrupted at step [0-9]*: checkpoint saved to cut/checkpoint.gan" cut.log ||
    fail "no interruption message"
  "$GAN" info cut/checkpoint.gan >/dev/null || fail "the checkpoint of the interrupted run"
  "$GAN" train --resume cut --threads 1 --log-every 1 >resume.log || fail "resume exited $?"
  cat resume.log
fi
cmp straight/checkpoint.gan cut/checkpoint.gan || fail "interrupted + resumed checkpoint differs"
cmp straight/samples/epoch_002.png cut/samples/epoch_002.png || fail "final samples differ"
diff <(losses straight/log.csv) <(losses cut/log.csv) || fail "losses differ"
ok "Ctrl-C + resume == uninterrupted"
echo "all train/resume checks passed"

