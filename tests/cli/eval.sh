#!/usr/bin/env bash
# gan eval and gan train --fid-every: FID and IS under the docs/metrics.md
# protocol, with the shipped classifier and reference statistics.
source "$(dirname "$0")/lib.sh"

"$GAN" train "${COMMON[@]}" --epochs 2 --fid-every 1 --fid-samples 200 --out run >train.log
[[ $(head -1 run/metrics.csv) == "epoch,step,fid,is,is_std,samples" ]] || fail "metrics.csv header"
rows=$(tail -n +2 run/metrics.csv | awk -F, 'NF == 6 && $1 == NR && $3 > 0 && $4 >= 1 && $6 == 200' | wc -l)
[[ $rows == 2 ]] || { cat run/metrics.csv >&2; fail "metrics.csv: expected 2 rows per epoch"; }
grep -q "Epoch 2 | FID" train.log || fail "no FID line in the training log"
ok "train --fid-every 1 wrote $(tail -1 run/metrics.csv)"

"$GAN" eval run/generator.gan --samples 500 >eval.txt
grep -q "^protocol: *feature network .*fashion_mnist_classifier.gan .*500 samples, latent seed 0" eval.txt ||
  { cat eval.txt >&2; fail "eval: no protocol line"; }
fid=$(awk '/^FID:/ {print $2}' eval.txt)
is=$(awk '/^IS:/ {print $2}' eval.txt)
# An untrained-ish generator is far from the data; IS is within [1, classes].
awk -v f="$fid" -v i="$is" 'BEGIN { exit !(f > 10 && i >= 1 && i <= 10) }' || fail "eval: FID $fid IS $is"
# The same seed gives the same numbers; a checkpoint evaluates its generator.
"$GAN" eval run/checkpoint.gan --samples 500 >eval2.txt
[[ $(grep -E '^(FID|IS):' eval.txt) == $(grep -E '^(FID|IS):' eval2.txt) ]] || fail "eval not reproducible"
ok "eval: FID $fid, IS $is"

# Improved precision and recall: shares in [0, 1]; the FID lines unchanged.
"$GAN" eval run/generator.gan --samples 500 --precision-recall >eval3.txt
[[ $(grep -E '^(FID|IS):' eval.txt) == $(grep -E '^(FID|IS):' eval3.txt) ]] || fail "eval --precision-recall changed FID"
prec=$(awk '/^precision:/ {print $2}' eval3.txt)
rec=$(awk '/^recall:/ {print $2}' eval3.txt)
grep -q "^recall: .*k = 3; 500 samples against 10000 t10k images" eval3.txt ||
  { cat eval3.txt >&2; fail "eval: no recall line"; }
awk -v p="$prec" -v r="$rec" 'BEGIN { exit !(p >= 0 && p <= 1 && r >= 0 && r <= 1) }' || fail "precision $prec recall $rec"
ok "eval --precision-recall: precision $prec, recall $rec"

expect_exit 2 "no MODEL" "$GAN" eval
expect_exit 1 "nothere.gan" "$GAN" eval nothere.gan
expect_exit 2 "samples" "$GAN" eval run/generator.gan --samples 0
expect_exit 2 "fid-every" "$GAN" train --fid-every x
