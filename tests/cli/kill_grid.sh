#!/usr/bin/env bash
# Issue 18 ("a test kills it at many points, including inside every file
# write"): kill -9 `gan train` INSIDE the write of a sample grid, then
# resume.  The grid write is short (an 8x8 PNG of 466x466 pixels), so a
# watcher waits (inotify) for the atomic writer's temporary
# (samples/.epoch_002.png.tmp-XXXXXX, created first, renamed last) and
# kills at varied delays after it appears; a kill counts as inside the
# write only if that temporary is still there after the process died (it
# is renamed away at the end of the write).  At least one kill must land
# inside in each case:
#  1. the first write of epoch_002.png (a 1-epoch run resumed to 2 epochs):
#     the previous grid, epoch_001.png, is intact, no partial epoch_002.png;
#  2. the rewrite of an existing epoch_002.png (the state a kill between
#     that grid's rename and the epoch's checkpoint leaves: the resume
#     trains epoch 2 again): the old epoch_002.png is intact, byte for byte.
# Every kill, inside or not, is resumed to the uninterrupted run's bytes.
source "$(dirname "$0")/lib.sh"

"$GAN" train "${COMMON[@]}" --epochs 2 --out straight >straight.log
"$GAN" train "${COMMON[@]}" --epochs 1 --out one >one.log
cmp one/samples/epoch_001.png straight/samples/epoch_001.png || fail "epoch 1 grids differ"

# Delays after the temporary appears: at once, then into the write and
# its fsync (a late one may land after the rename: not inside, still a
# kill to resume from).
delays=(0 0.001 0.0002 0.0005 0 0.002 0.004 0.008)
attempts=${GAN_KILL_GRID_ATTEMPTS:-8}
total_inside=0

for case in first rewrite; do
  inside=0
  for ((i = 0; i < attempts; i++)); do
    rm -rf cut
    if [[ $case == first ]]; then
      cp -r one cut
    else
      # The files a kill after epoch_002.png's rename and before the epoch's
      # checkpoint leaves: epoch 1's checkpoint, both grids, no generator.
      cp -r straight cut
      cp straight/checkpoints/ckpt_epoch_001.gan cut/checkpoint.gan
      rm -f cut/checkpoints/ckpt_epoch_002.gan cut/generator.gan cut/report.html
    fi
    delay=${delays[$((i % ${#delays[@]}))]}
    "$GAN" train --resume cut --epochs 2 --threads 1 --log-every 1 >cut.log 2>&1 &
    pid=$!
    rc=0
    kill_at "$pid" "cut/samples/.epoch_002.png.tmp-*" "$delay" || rc=$?
    wait "$pid" 2>/dev/null || true
    ((rc == 0 || rc == 2)) || fail "$case: watcher failed ($rc)"
    landed=no
    if compgen -G "cut/samples/.epoch_002.png.tmp-*" >/dev/null; then
      landed=yes
      inside=$((inside + 1))
    fi
    # The grids as the kill left them: the previous ones complete.
    cmp straight/samples/epoch_001.png cut/samples/epoch_001.png ||
      fail "$case, delay $delay: epoch_001.png damaged by a kill"
    if [[ $case == rewrite ]]; then
      cmp straight/samples/epoch_002.png cut/samples/epoch_002.png ||
        fail "$case, delay $delay: the old epoch_002.png damaged by a kill inside its rewrite"
    elif [[ -e cut/samples/epoch_002.png ]]; then
      [[ $landed == no ]] || fail "$case: epoch_002.png exists while its write was cut"
      png_ok cut/samples/epoch_002.png
    fi
    "$GAN" train --resume cut --epochs 2 --threads 1 --log-every 1 >resume.log 2>&1 ||
      { cat cut.log resume.log; fail "$case, delay $delay: resume exited $?"; }
    for f in checkpoint.gan generator.gan samples/epoch_001.png samples/epoch_002.png; do
      cmp "straight/$f" "cut/$f" || fail "$case, delay $delay: $f differs from the uninterrupted run"
    done
    diff <(losses straight/log.csv) <(losses cut/log.csv) || fail "$case, delay $delay: losses differ"
    [[ -z $(find cut -name '.*.tmp-*') ]] || fail "$case: temporaries left: $(find cut -name '.*.tmp-*')"
    ok "$case of epoch_002.png: killed $delay s after its temporary appeared (inside the write: $landed); resumed to the same bytes"
    # Two kills (varied delays), one of them inside, are enough; more
    # attempts only while none landed inside.
    ((i >= 1 && inside >= 1)) && break
  done
  ((inside >= 1)) || fail "$case: none of $attempts kills landed inside the grid write"
  total_inside=$((total_inside + inside))
done
echo "kill_grid: $total_inside kills inside a grid write (first write and rewrite), each resumed to the same bytes"
