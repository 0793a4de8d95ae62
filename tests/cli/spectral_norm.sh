#!/usr/bin/env bash
# gan train --spectral-norm and the sngan preset: the discriminator's dense
# and convolution layers are spectrally normalised, their u vectors are in
# the checkpoints, and a resumed run continues byte-identically.
source "$(dirname "$0")/lib.sh"

"$GAN" train "${COMMON[@]}" --epochs 2 --spectral-norm --out straight >straight.log
grep -q "^spectral_norm = 1" straight/run.txt || fail "run.txt has no spectral_norm = 1"
grep -q "spectrally normalised" straight.log || fail "the run does not say D is normalised"
"$GAN" info straight/checkpoint.gan >info.txt
[[ $(grep -c "(sn)" info.txt) == 3 ]] || { cat info.txt >&2; fail "expected 3 normalised D layers"; }
ok "D has its two conv2d and its dense layer normalised"

"$GAN" train "${COMMON[@]}" --epochs 1 --spectral-norm --out resumed >first.log
"$GAN" train --resume resumed --epochs 2 --threads 1 --log-every 1 >second.log
cmp straight/checkpoint.gan resumed/checkpoint.gan || fail "resumed run differs"
diff <(losses straight/log.csv) <(losses resumed/log.csv) || fail "resumed losses differ"
ok "spectrally normalised run resumed byte-identically"
expect_exit 2 "cannot change on --resume" "$GAN" train --resume resumed --spectral-norm --epochs 3

# Without the flag nothing is normalised and run.txt says so.
"$GAN" train "${COMMON[@]}" --steps 1 --epochs 0 --out plain >plain.log
grep -q "^spectral_norm = 0" plain/run.txt || fail "plain run.txt"
"$GAN" info plain/checkpoint.gan | grep -q "(sn)" && fail "plain run has normalised layers"

"$GAN" train --preset sngan --limit 128 --steps 2 --epochs 0 --threads 1 --out sngan >sngan.log
grep -q "^spectral_norm = 1" sngan/run.txt && grep -q "^batch = 64" sngan/run.txt &&
  grep -q "^loss = hinge" sngan/run.txt && grep -q "^g_lr = 9.99999975e-05" sngan/run.txt &&
  grep -q "^d_lr = 0.00039999999$" sngan/run.txt && grep -q "^beta1 = 0$" sngan/run.txt &&
  grep -q "^beta2 = 0.899999976" sngan/run.txt || { cat sngan/run.txt >&2; fail "sngan run.txt"; }
csv_rows sngan/log.csv 2
[[ $("$GAN" info sngan/checkpoint.gan | grep -c "(sn)") == 3 ]] || fail "sngan: D not normalised"
ok "preset sngan"
