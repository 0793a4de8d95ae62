#!/usr/bin/env bash
# web-zlib-source.sh -- put Debian's zlib source where examples/web/build.sh
# finds it (issue 20): the WebAssembly build of libgan needs zlib compiled
# with emcc, and Debian's emscripten cannot provide it offline (its
# -sUSE_ZLIB port downloads a zip from the internet at build time, which this
# project never does).  So scripts/deps.sh runs this once, with the other
# installs: `apt-get source zlib` from Debian's own archive (the same
# 1.2.13.dfsg the native zlib1g-dev is built from), with a private sources
# list and state directory, so the machine's apt configuration is untouched.
#
#   bash scripts/web-zlib-source.sh [DIR]     # default /var/cache/libgan/zlib
#
# Idempotent: returns at once when DIR/zlib.h and DIR/inflate.c exist.
set -euo pipefail
dir=${1:-${GAN_WEB_ZLIB:-/var/cache/libgan/zlib}}
if [[ -f $dir/zlib.h && -f $dir/inflate.c ]]; then
  exit 0
fi
command -v dpkg-source >/dev/null || { echo "web-zlib-source: dpkg-source (dpkg-dev) is missing" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/src"
# The suite of the machine's Debian (bookworm on Debian 12).
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
echo "deb-src http://deb.debian.org/debian $suite main" >"$tmp/sources.list"
chmod -R a+rwx "$tmp"   # apt's _apt user downloads into it
apt_opts=(-q -o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache"
          -o Debug::NoLocking=1)
apt-get "${apt_opts[@]}" update >"$tmp/log" 2>&1 &&
  (cd "$tmp/src" && apt-get "${apt_opts[@]}" source zlib >>"$tmp/log" 2>&1) ||
  { tail -n 20 "$tmp/log" >&2; echo "web-zlib-source: apt-get source zlib failed" >&2; exit 1; }
src=$(find "$tmp/src" -mindepth 1 -maxdepth 1 -type d -name 'zlib-*' | head -n 1)
[[ -n $src && -f $src/inflate.c && -f $src/zlib.h ]] ||
  { echo "web-zlib-source: no zlib source tree in $tmp/src" >&2; exit 1; }
mkdir -p "$(dirname "$dir")"
rm -rf "$dir.new"
cp -a "$src" "$dir.new"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "web-zlib-source: $(basename "$src") in $dir"
