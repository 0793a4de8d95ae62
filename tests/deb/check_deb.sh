#!/usr/bin/env bash
# check_deb.sh -- the Debian packages, end to end (issue 19; scripts/test.sh
# stage "deb"):
#
#   1. build them from a copy of the source tree with
#      dpkg-buildpackage -b -us -uc (DEB_BUILD_OPTIONS=nocheck, -Pnocheck:
#      the test suite runs in the other stages), in a clean PATH; the
#      exported symbols must equal debian/libgan1.symbols;
#   2. lintian: no error (warnings are printed);
#   3. install them with apt-get (dependencies from the installed system);
#   4. smoke test from outside the tree, against /usr only: gan --version and
#      its data directory, no RPATH, the README example built with
#      pkg-config and a CMake find_package(gan) consumer, gan train --steps
#      20 (and its report), gan eval with /usr/share/libgan's classifier,
#      man gan-train, the bash completion, python3 -c 'import libgan';
#   5. remove them (apt-get purge) and check nothing is left.
# Needs root (or sudo -n).  Packages of a previous, interrupted run are
# purged first.  Knobs: GAN_JOBS (2), GAN_DEB_KEEP=DIR (copy the .debs there).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
jobs=${GAN_JOBS:-2}
packages=(libgan1 libgan-dev libgan-data gan-tools python3-libgan)
# A clean environment: Debian's python3 and tools first (not a pyenv), no
# variables that would point the smoke test at the source tree.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
unset LD_LIBRARY_PATH PYTHONPATH GAN_LIBRARY GAN_DATA_DIR PKG_CONFIG_PATH CMAKE_PREFIX_PATH \
      MAKEFLAGS DEB_BUILD_OPTIONS

step() { printf 'deb: %s\n' "$*"; }
die() { printf 'deb: FAIL: %s\n' "$*" >&2; exit 1; }
t0=$SECONDS
lap() { printf 'deb: %-44s %4d s\n' "$1" $((SECONDS - t0)); }

sudo=()
if ((EUID != 0)); then
  sudo -n true 2>/dev/null || die "needs root or passwordless sudo (dpkg-buildpackage, apt-get)"
  sudo=(sudo -n)
fi
apt_opts=(-q -y -o DPkg::Lock::Timeout=600 --no-install-recommends)
for t in dpkg-buildpackage dh lintian apt-get; do
  command -v "$t" >/dev/null || die "'$t' is not installed (bash scripts/deps.sh)"
done

installed() { # the packages of ours that dpkg has installed
  local p
  for p in "${packages[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) == i* ]] && echo "$p"
  done
  return 0
}
purge() {
  local left
  left=$(installed)
  [[ -z $left ]] && return 0
  # shellcheck disable=SC2086 # a list of package names
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${apt_opts[@]}" purge $left >"$tmp/purge.log" 2>&1 ||
    { cat "$tmp/purge.log" >&2; return 1; }
}

tmp=$(mktemp -d /tmp/gan-deb.XXXXXX)
chmod 755 "$tmp"
cleanup() {
  purge || echo "deb: could not purge $(installed | tr '\n' ' ')" >&2
  rm -rf "$tmp"
}
trap cleanup EXIT

if [[ -n $(installed) ]]; then
  step "purging libgan packages left installed: $(installed | tr '\n' ' ')"
  purge || die "could not purge the libgan packages already installed"
fi

# 1. build, from a copy (dpkg-buildpackage writes into the tree and its parent)
version=$(sed -n '1s/^libgan (\([^)]*\)).*/\1/p' "$root/debian/changelog")
src=$tmp/libgan-$version
mkdir -p "$src"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # tracked files and new ones not ignored: the tree as it is, without builds
  (cd "$root" && git ls-files -z --cached --others --exclude-standard |
     xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _ |
     tar --null -T - -cf -) | tar -C "$src" -xf -
else
  (cd "$root" && tar --exclude='./build*' --exclude=./out --exclude=./.git -cf - .) | tar -C "$src" -xf -
fi
step "dpkg-buildpackage -b -us -uc in $src"
# DPKG_GENSYMBOLS_CHECK_LEVEL=4: a symbol added to or removed from
# libgan.so.1 without its line in debian/libgan1.symbols fails the build
# (docs/install.md says how to add it).
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$jobs" DPKG_GENSYMBOLS_CHECK_LEVEL=4 \
   dpkg-buildpackage -b -us -uc -Pnocheck >"$tmp/build.log" 2>&1) || {
  grep -E '^dpkg-gensymbols: (warning|error)' -A40 "$tmp/build.log" >&2 || tail -n 60 "$tmp/build.log" >&2
  die "dpkg-buildpackage failed"
}
debs=()
for p in "${packages[@]}"; do
  f=$(ls "$tmp/${p}_${version}_"*.deb 2>/dev/null | head -1)
  [[ -n $f ]] || die "no $p package was built (in $tmp: $(ls "$tmp" | tr '\n' ' '))"
  debs+=("$f")
done
lap "built ${#debs[@]} packages"

# 2. lintian: errors fail, warnings are shown
changes=$(ls "$tmp"/libgan_"$version"_*.changes)
lintian --fail-on error --no-tag-display-limit "$changes" >"$tmp/lintian.log" 2>&1 || lrc=$?
grep -v 'running with root privileges' "$tmp/lintian.log" || true
((${lrc:-0} == 0)) || die "lintian reports errors"
lap "lintian: no errors ($(grep -c '^W:' "$tmp/lintian.log" || true) warnings)"
if [[ -n ${GAN_DEB_KEEP:-} ]]; then
  mkdir -p "$GAN_DEB_KEEP" && cp "${debs[@]}" "$GAN_DEB_KEEP"/
fi

# 3. install
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${apt_opts[@]}" install "${debs[@]}" \
  >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log" >&2; die "apt-get install of the packages failed"; }
[[ $(installed | wc -l) == "${#packages[@]}" ]] || die "not all packages are installed: $(installed)"
lap "installed ${packages[*]}"

# 4. smoke test, as a user of the packages: in an empty directory, /usr only
smoke=$tmp/smoke
mkdir -p "$smoke"
cd "$smoke"
out=$(gan --version) || die "gan --version"
grep -q '^data directory: /usr/share/libgan$' <<<"$out" || die "gan --version: $out"
[[ $(command -v gan) == /usr/bin/gan ]] || die "gan is $(command -v gan), not /usr/bin/gan"
if readelf -d /usr/bin/gan | grep -qE 'R(UN)?PATH'; then
  die "/usr/bin/gan has an RPATH: $(readelf -d /usr/bin/gan | grep -E 'R(UN)?PATH')"
fi
# Not "ldconfig -p | grep -q": grep stops at the first match, ldconfig
# (75 KB of output) then dies of SIGPIPE and pipefail fails the pipeline.
ld_cache=$(ldconfig -p)
grep -qE 'libgan\.so\.1 .*=> (/usr)?/lib/' <<<"$ld_cache" || die "ldconfig does not know libgan.so.1"
cp "$root/examples/readme_example.c" .
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is intended
cc -std=c11 -Wall -Werror readme_example.c $(pkg-config --cflags --libs gan) -o readme_example ||
  die "the README example does not build against /usr with pkg-config"
./readme_example >readme.txt || die "the README example failed"
cmake -S "$root/tests/install" -B consumer -G Ninja -DCMAKE_BUILD_TYPE=Release >consumer.log 2>&1 &&
  cmake --build consumer >>consumer.log 2>&1 && ./consumer/consumer >>consumer.log ||
  { cat consumer.log >&2; die "find_package(gan) against /usr"; }
step "gan --version, pkg-config and CMake consumers: ok"
gan train --limit 1280 --batch 64 --steps 20 --epochs 0 --threads "$jobs" --out run --log-every 10 \
  >train.log 2>&1 || { cat train.log >&2; die "gan train --steps 20"; }
[[ -f run/generator.gan && -f run/report.html && $(tail -n +2 run/log.csv | wc -l) == 20 ]] ||
  die "gan train did not write 20 log rows, generator.gan and report.html"
gan eval run/generator.gan -n 200 >eval.txt 2>&1 || { cat eval.txt >&2; die "gan eval"; }
grep -q 'feature network /usr/share/libgan/fashion_mnist_classifier.gan' eval.txt ||
  { cat eval.txt >&2; die "gan eval did not use /usr/share/libgan"; }
lap "gan train --steps 20, gan report, gan eval"
[[ $(man -w gan-train) == /usr/share/man/man1/gan-train.1* ]] || die "man -w gan-train"
grep -q 'self-contained HTML' <<<"$(man gan-report 2>/dev/null)" || die "man gan-report"
[[ $(bash -c 'source /usr/share/bash-completion/completions/gan; COMP_WORDS=(gan tr); COMP_CWORD=1;
               _gan; echo "${COMPREPLY[*]}"') == train ]] || die "the bash completion"
/usr/bin/python3 - <<'PY' || die "python3 -c 'import libgan' against the packages"
import os
import libgan
import libgan.metrics as M
assert libgan.__file__.startswith("/usr/lib/python3/dist-packages/"), libgan.__file__
assert os.path.realpath(libgan.library_path).startswith("/usr/lib/"), libgan.library_path
assert M.data_dir() == "/usr/share/libgan", M.data_dir()
g = libgan.Model.load("run/generator.gan")
r = M.evaluate_generator(g, n=100)
print("deb: python3: libgan %s from %s; FID %.1f of the 20-step generator"
      % (libgan.version(), libgan.library_path, r["fid"]))
PY
lap "man, bash completion, python3"

# 5. remove
cd "$tmp"
purge || die "apt-get purge failed"
[[ -z $(installed) ]] || die "still installed after purge: $(installed)"
for f in /usr/bin/gan /usr/include/gan.h /usr/share/libgan /usr/lib/python3/dist-packages/libgan \
         /usr/share/man/man1/gan.1.gz /usr/share/bash-completion/completions/gan; do
  [[ ! -e $f ]] || die "$f is left after purge"
done
if ls /usr/lib/*/libgan.so* >/dev/null 2>&1 || grep -q 'libgan.so.1 ' <<<"$(ldconfig -p)"; then
  die "libgan.so is left after purge"
fi
if /usr/bin/python3 -c 'import libgan' 2>/dev/null; then
  die "python3 still imports libgan after purge"
fi
lap "purged; nothing left"
echo "deb: OK (${packages[*]}: built, lintian-clean of errors, installed, smoke-tested, removed)"
