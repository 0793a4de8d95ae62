#!/usr/bin/env bash
# check_abi.sh -- the stable-ABI gate of libgan (see docs/ABI.md).
#
#   bash tests/abi/check_abi.sh <path-to-libgan.so> <path-to-gan.h> [<path-to-gan.pc>]
#
# Checks that
#   1. the SONAME is libgan.so.1;
#   2. every exported (defined, dynamic) symbol starts with gan_ and carries a
#      GAN_1.x version node (libgan/libgan.map);
#   3. the exported set equals the set of functions declared with GAN_API in
#      gan.h, in both directions (the header is the source of truth: there is
#      no hard-coded list);
#   4. `pkg-config --validate` accepts the generated gan.pc (default: the one
#      beside the library, i.e. <build>/gan.pc);
#   5. abidiff finds no difference at all between the library's ABI (its
#      functions and the public types they reach, dumped by abidw.sh) and the
#      committed baseline tests/abi/libgan.so.1.abi (GAN_ABI_BASELINE
#      overrides it).  An incompatible change fails; so does a compatible one
#      (an added function, an appended config field, a new enumerator) until
#      the baseline is regenerated deliberately with update_baseline.sh.
#      Skipped, with a note, for a library without DWARF (-g) or built for
#      another architecture than the baseline's.
# Prints every difference it finds and exits 1 if there is any.
set -uo pipefail

if (($# < 2 || $# > 3)); then
  echo "usage: $0 <libgan.so> <gan.h> [<gan.pc>]" >&2
  exit 2
fi
lib=$1 header=$2 pc=${3:-$(dirname "$1")/gan.pc}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
baseline=${GAN_ABI_BASELINE:-$here/libgan.so.1.abi}
expected_soname=libgan.so.1
for f in "$lib" "$header" "$pc"; do
  [[ -f $f ]] || { echo "abi: no such file: $f" >&2; exit 2; }
done
for t in readelf nm perl pkg-config abidw abidiff; do
  command -v "$t" >/dev/null || { echo "abi: '$t' is not installed" >&2; exit 2; }
done

fail=0
bad() { echo "abi: FAIL: $*"; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. SONAME
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[[ $soname == "$expected_soname" ]] || bad "SONAME is '${soname:-none}', expected $expected_soname"

# 2. exported symbols and their version nodes.  readelf --dyn-syms -W prints
#    "Num: Value Size Type Bind Vis Ndx Name[@[@]VERSION]"; keep the defined
#    (Ndx not UND), global or weak ones.  The version definitions themselves
#    (GAN_1.0 as an ABS symbol) are not functions and are skipped.
readelf --dyn-syms -W "$lib" |
  awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") && $7 != "ABS" { print $4, $8 }' \
  >"$tmp/dynsyms"
: >"$tmp/exported"
while read -r type name; do
  sym=${name%%@*}
  ver=
  [[ $name == *@* ]] && ver=${name##*@}
  [[ $sym == gan_* ]] || bad "exported symbol '$sym' does not start with gan_"
  [[ $ver =~ ^GAN_1\.[0-9]+$ ]] || bad "exported symbol '$sym' has version '${ver:-none}', expected a GAN_1.x node"
  [[ $type == FUNC ]] || bad "exported symbol '$sym' is a $type, not a function"
  echo "$sym" >>"$tmp/exported"
done <"$tmp/dynsyms"
sort -u -o "$tmp/exported" "$tmp/exported"

# Cross-check with nm: the same defined names (nm lists the version nodes as 'A').
nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u >"$tmp/nm"
if ! cmp -s "$tmp/nm" "$tmp/exported"; then
  bad "nm -D and readelf --dyn-syms disagree:"
  diff "$tmp/nm" "$tmp/exported" | sed 's/^/    /'
fi

# 3. the header's GAN_API functions: strip comments and preprocessor lines
#    (including continuations), then take the identifier before the first '('
#    after each GAN_API.
perl -0777 -ne '
  s{/\*.*?\*/}{ }gs;                 # block comments
  s{//[^\n]*}{}g;                    # line comments
  s{^[ \t]*#(?:[^\n]*\\\n)*[^\n]*}{}gm;  # preprocessor lines
  while (/\bGAN_API\b([^;{(]*?)\b([A-Za-z_]\w*)\s*\(/g) { print "$2\n"; }
' "$header" | sort -u >"$tmp/declared"
if [[ ! -s $tmp/declared ]]; then
  bad "found no GAN_API declaration in $header"
fi

comm -23 "$tmp/declared" "$tmp/exported" >"$tmp/missing"
comm -13 "$tmp/declared" "$tmp/exported" >"$tmp/extra"
if [[ -s $tmp/missing ]]; then
  bad "$(wc -l <"$tmp/missing") function(s) declared GAN_API in $(basename "$header") but not exported by $(basename "$lib"):"
  sed 's/^/    /' "$tmp/missing"
fi
if [[ -s $tmp/extra ]]; then
  bad "$(wc -l <"$tmp/extra") symbol(s) exported but not declared GAN_API in $(basename "$header"):"
  sed 's/^/    /' "$tmp/extra"
fi

# 4. pkg-config metadata
if ! out=$(pkg-config --validate "$pc" 2>&1); then
  bad "pkg-config --validate $pc:"
  echo "$out" | sed 's/^/    /'
fi

# 5. the ABI against the committed baseline (abigail).  abidiff's exit code
#    is a bit mask: 1 error, 2 usage, 4 a change, 8 an incompatible change.
#    --harmless reports what abidiff would otherwise filter (e.g. a new
#    enumerator), so any difference fails.
layout="layout = baseline"
update="bash tests/abi/update_baseline.sh $(dirname "$lib")"
hdirs=("$(dirname "$header")")
[[ -d $(dirname "$lib")/include ]] && hdirs+=("$(dirname "$lib")/include")
if [[ ! -f $baseline ]]; then
  bad "no ABI baseline $baseline; create it with: $update"
else
  bash "$here/abidw.sh" "$lib" "$tmp/current.abi" "${hdirs[@]}" 2>"$tmp/abidw.err"
  rc=$?
  arch_base=$(grep -o -m1 "architecture='[^']*'" "$baseline")
  arch_lib=$(grep -o -m1 "architecture='[^']*'" "$tmp/current.abi" 2>/dev/null)
  if ((rc == 3)); then
    layout="layout NOT checked: $(cat "$tmp/abidw.err")"
    echo "abi: note: $layout"
  elif ((rc != 0)); then
    bad "abidw.sh failed (exit $rc):"
    sed 's/^/    /' "$tmp/abidw.err"
  elif [[ $arch_base != "$arch_lib" ]]; then
    layout="layout NOT checked: the baseline is for $arch_base, the library $arch_lib"
    echo "abi: note: $layout"
  else
    report=$(abidiff --harmless "$baseline" "$tmp/current.abi" 2>&1)
    rc=$?
    if ((rc & 3)); then
      bad "abidiff failed (exit $rc):"
    elif ((rc & 8)); then
      bad "INCOMPATIBLE ABI change against ${baseline#"$PWD"/} (abidiff exit $rc): a removed" \
        "function or a changed signature or layout breaks every program built against" \
        "libgan.so.1; undo it (or it needs libgan.so.2).  abidiff's report:"
    elif ((rc & 4)); then
      bad "the ABI differs from ${baseline#"$PWD"/} (abidiff exit $rc).  If this is a" \
        "deliberate addition (a new function with its GAN_1.x node, a field appended to a" \
        "config struct, a new enumerator), regenerate the baseline with: $update, and commit" \
        "it with the change.  Anything else breaks the ABI promise (docs/ABI.md).  abidiff's report:"
    fi
    ((rc != 0)) && printf '%s\n' "$report" | sed 's/^/    /'
  fi
fi

n_exp=$(wc -l <"$tmp/exported") n_decl=$(wc -l <"$tmp/declared")
versions=$(awk '{ n = $2; sub(/^[^@]*@+/, "", n); print n }' "$tmp/dynsyms" | sort -u | tr '\n' ' ')
if ((fail)); then
  echo "abi: FAILED ($n_exp exported, $n_decl declared; nodes: ${versions:-none})"
  exit 1
fi
echo "abi: OK: SONAME $soname, $n_exp exported functions = $n_decl GAN_API declarations, nodes: ${versions}; $layout"
