#!/usr/bin/env bash
# gan CLI: --help of every subcommand; bad flags, values and files name the
# culprit and exit 2 (usage) or 1 (runtime).
source "$(dirname "$0")/lib.sh"

for c in train sample export info; do
  "$GAN" $c --help >help.txt || fail "gan $c --help exited $?"
  grep -q "^Usage: gan $c" help.txt || fail "gan $c --help: no usage line"
  ok "gan $c --help"
done
"$GAN" --help | grep -q "^Usage: gan COMMAND" || fail "gan --help"
"$GAN" --version | grep -q "libgan" || fail "gan --version"
# Every preset on a line of its own, then the next option on its own line
# (a fixed-size list once cut the last presets and ran into "-d, --data").
"$GAN" train --help >help.txt
for p in $(sed -n 's/^ \{30\}\([a-z0-9-]\+\) .*/\1/p' help.txt); do
  "$GAN" train --preset "$p" --help >/dev/null || fail "train --help lists '$p', which --preset refuses"
done
grep -q "^ \{30\}dcgan-cifar10 " help.txt || fail "train --help lists no presets"
grep -q "^ \{30\}cgan-resnet " help.txt || fail "train --help: the last preset is missing"
grep -q "^  -d, --data PATH " help.txt || fail "train --help: --data is not on a line of its own"

expect_exit 2 "unknown command 'frobnicate'" "$GAN" frobnicate
expect_exit 2 "Usage: gan COMMAND" "$GAN"
expect_exit 2 "unknown option '--bogus'" "$GAN" train --bogus
expect_exit 2 "--batch: 'abc' is not a number" "$GAN" train --batch abc
expect_exit 2 "--batch: 0 is out of range" "$GAN" train --batch 0
expect_exit 2 "--lr: 'x1' is not a number" "$GAN" train --lr x1
expect_exit 2 "--preset: unknown preset 'stylegan'" "$GAN" train --preset stylegan
expect_exit 2 "--loss: unknown loss 'l1'" "$GAN" train --loss l1
expect_exit 2 "--epochs needs a value" "$GAN" train --epochs
expect_exit 2 "unexpected argument 'extra'" "$GAN" train extra
expect_exit 1 "--data: /nonexistent/fmnist" "$GAN" train --data /nonexistent/fmnist --out o
expect_exit 1 "--resume: /nonexistent/run" "$GAN" train --resume /nonexistent/run
expect_exit 2 "unknown option '--bogus'" "$GAN" sample --bogus x.gan
expect_exit 2 "no MODEL given" "$GAN" sample
expect_exit 2 "--n: '-3' is not a number" "$GAN" sample --n -3 x.gan
expect_exit 2 "--interpolate needs two seeds" "$GAN" sample x.gan --interpolate 3
expect_exit 1 "/nonexistent/g.gan" "$GAN" sample /nonexistent/g.gan
expect_exit 2 "--out FILE is required" "$GAN" export ckpt.gan
expect_exit 2 "no SOURCE given" "$GAN" export
expect_exit 1 "/nonexistent/c.gan" "$GAN" export /nonexistent/c.gan --out g.gan
expect_exit 2 "no FILE given" "$GAN" info
expect_exit 1 "/nonexistent/f.gan" "$GAN" info /nonexistent/f.gan
echo "not a gan file" >junk.gan
expect_exit 1 "junk.gan" "$GAN" info junk.gan
expect_exit 1 "junk.gan" "$GAN" sample junk.gan
echo "all usage checks passed"
