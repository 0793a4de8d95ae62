#!/usr/bin/env bash
# gan train --ema: samples and generator.gan come from the moving average of
# the generator's weights, which checkpoints keep, so resume stays exact.
source "$(dirname "$0")/lib.sh"

"$GAN" train "${COMMON[@]}" --epochs 2 --ema 0.99 --out straight >straight.log
grep -q "^ema_decay = 0.99" straight/run.txt || fail "run.txt has no ema_decay"
"$GAN" info straight/checkpoint.gan | grep -q "generator EMA kept" || fail "checkpoint without EMA"
# generator.gan is the average; gan export writes the live weights.
"$GAN" export straight/checkpoint.gan --out live.gan >/dev/null
cmp -s straight/generator.gan live.gan && fail "generator.gan holds the live weights, not the EMA"
ok "EMA generator differs from the live one"

"$GAN" train "${COMMON[@]}" --epochs 1 --ema 0.99 --out resumed >first.log
"$GAN" train --resume resumed --epochs 2 --threads 1 --log-every 1 >second.log
cmp straight/checkpoint.gan resumed/checkpoint.gan || fail "resumed EMA run differs"
cmp straight/generator.gan resumed/generator.gan || fail "resumed EMA generator differs"
cmp straight/samples/epoch_002.png resumed/samples/epoch_002.png || fail "resumed EMA samples differ"
ok "EMA run resumed byte-identically"
expect_exit 2 "ema" "$GAN" train --ema 1.5
