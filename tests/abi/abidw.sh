#!/usr/bin/env bash
# abidw.sh -- the one abidw invocation of libgan's ABI baseline, shared by
# update_baseline.sh (which writes tests/abi/libgan.so.1.abi) and
# check_abi.sh (which compares a build with it).  See docs/ABI.md.
#
#   bash tests/abi/abidw.sh <libgan.so.1> <out.abi> [<headers-dir>...]
#
# Headers: the repository's include/ and <dir of the library>/include (the
# generated gan_version.h) unless given.  Only what gan.h exports is kept:
# the exported functions and the public types they reach (no gan__
# internals, no private types, no undefined or DT_NEEDED symbols), without
# source locations, so editing gan.h's comments or moving libgan's sources
# does not change the types.  The translation units' source paths are made
# relative to the repository, so two checkouts or build directories give the
# same file.  Needs the library's DWARF (-g: RelWithDebInfo or Debug).
set -uo pipefail

if (($# < 2)); then
  echo "usage: $0 <libgan.so.1> <out.abi> [<headers-dir>...]" >&2
  exit 2
fi
lib=$1 out=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
hdirs=("$@")
if ((${#hdirs[@]} == 0)); then
  hdirs=("$root/include")
  [[ -d $(dirname "$lib")/include ]] && hdirs+=("$(dirname "$lib")/include")
fi

command -v abidw >/dev/null || { echo "abidw: not installed (Debian: abigail-tools)" >&2; exit 2; }
[[ -f $lib ]] || { echo "abidw.sh: no such file: $lib" >&2; exit 2; }
if ! readelf -S -W "$lib" | grep -q '\.debug_info'; then
  echo "abidw.sh: $lib has no DWARF debug information; build with -g (RelWithDebInfo or Debug)" >&2
  exit 3
fi

args=(--no-corpus-path --no-comp-dir-path --no-show-locs --no-elf-needed
      --drop-private-types --drop-undefined-syms --exported-interfaces-only
      --type-id-style hash)
for d in "${hdirs[@]}"; do
  args+=(--headers-dir "$d")
done
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
abidw "${args[@]}" --out-file "$tmp" "$lib" || { echo "abidw failed on $lib" >&2; exit 1; }
# Source paths of the translation units: relative to the repository.
src=$(cd "$root" && pwd -P)
sed -e "s|path='$src/|path='|g" -e "s|path='$root/|path='|g" "$tmp" >"$out"
