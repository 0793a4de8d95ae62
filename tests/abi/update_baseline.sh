#!/usr/bin/env bash
# update_baseline.sh -- regenerate tests/abi/libgan.so.1.abi, the ABI
# baseline that check_abi.sh compares every build with (docs/ABI.md).
#
#   bash tests/abi/update_baseline.sh [<build-dir>]     (default: build)
#
# Run it, from any directory, after a deliberate change to the ABI (a new
# function, a field appended to a config struct, a new enumerator) on a
# RelWithDebInfo or Debug build of the current sources, then commit the
# baseline with the change.  It prints abidiff's report of what changed
# against the previous baseline, so the commit can say what was added.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
[[ -d $build ]] || { echo "update_baseline: no build directory $build" >&2; exit 2; }
build=$(cd "$build" && pwd)
lib=$build/libgan.so.1
baseline=$here/libgan.so.1.abi

[[ -f $lib ]] || { echo "update_baseline: $lib not found; build the library first" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
bash "$here/abidw.sh" "$lib" "$tmp" "$root/include" "$build/include" || exit

if [[ -f $baseline ]]; then
  report=$(abidiff --harmless "$baseline" "$tmp")
  rc=$?
  if ((rc == 0)); then
    echo "update_baseline: no ABI change against $baseline"
  else
    echo "update_baseline: changes against the previous baseline (abidiff exit $rc):"
    printf '%s\n' "$report" | sed 's/^/    /'
    ((rc & 8)) && echo "update_baseline: WARNING: abidiff calls this INCOMPATIBLE (a removed" \
      "function or changed layout): within libgan.so.1 that is not allowed (docs/ABI.md)"
  fi
fi
cat "$tmp" >"$baseline"
echo "update_baseline: wrote ${baseline#"$root"/} from $lib; commit it with the change"
