#!/usr/bin/env bash
# Resume is exact: K steps, save, load in a fresh process, K more steps
# gives a byte-identical checkpoint to 2K steps straight (same seed, same
# thread count).  The run crosses an epoch boundary, so the dataset's
# position and shuffle are part of what is checked.
set -euo pipefail
tool=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$tool" train "$dir/straight.gan" 20
"$tool" train "$dir/half.gan" 10
"$tool" resume "$dir/half.gan" "$dir/resumed.gan" 10
cmp "$dir/straight.gan" "$dir/resumed.gan"
# And a second hop: 10 + 5 + 5.
"$tool" resume "$dir/half.gan" "$dir/q.gan" 5
"$tool" resume "$dir/q.gan" "$dir/resumed2.gan" 5
cmp "$dir/straight.gan" "$dir/resumed2.gan"
echo "resume: byte-identical ($(stat -c %s "$dir/straight.gan") bytes)"
