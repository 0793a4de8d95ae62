#!/usr/bin/env bash
# check_install.sh -- install libgan from a build tree into a temporary prefix
# and build a small program against it the two ways users do: with
# pkg-config and with CMake's find_package(gan).  Both programs are run.
#
#   bash tests/install/check_install.sh [<build-dir>]     (default: build)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cc=${CC:-cc}

step() { echo "install: $*"; }
die() { echo "install: FAIL: $*" >&2; exit 1; }

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; die "cmake --install failed"; }

# Where GNUInstallDirs put things (lib, or lib/<multiarch> for prefix /usr).
libdir=$(grep -E '^CMAKE_INSTALL_LIBDIR:' "$build/CMakeCache.txt" | cut -d= -f2)
libdir=${libdir:-lib}
includedir=$(grep -E '^CMAKE_INSTALL_INCLUDEDIR:' "$build/CMakeCache.txt" | cut -d= -f2)
includedir=${includedir:-include}
for f in "$includedir/gan.h" "$includedir/gan_version.h" "$libdir/libgan.so" "$libdir/libgan.so.1" \
         "$libdir/pkgconfig/gan.pc" "$libdir/cmake/gan/ganConfig.cmake" \
         "$libdir/cmake/gan/ganConfigVersion.cmake" "$libdir/cmake/gan/ganTargets.cmake"; do
  [[ -e $prefix/$f ]] || die "not installed: $f (installed: $(cd "$prefix" && find . -type f | sort | tr '\n' ' '))"
done
# Nothing private may be installed.
if find "$prefix" -name '*.a' -o -path '*/libgan/*.h' | grep -q .; then
  die "private files installed: $(find "$prefix" -name '*.a' -o -path '*/libgan/*.h')"
fi
export LD_LIBRARY_PATH=$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

# 1. pkg-config (only the installed prefix on the search path)
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
pc_flags=$(pkg-config --cflags --libs gan) || die "pkg-config --cflags --libs gan failed"
step "pkg-config: gan $(pkg-config --modversion gan): $pc_flags"
case " $pc_flags " in
  *" -I$prefix/$includedir "*) ;;
  *) die "pkg-config's flags do not point into the install prefix: $pc_flags" ;;
esac
# shellcheck disable=SC2086 # word splitting of the flags is intended
"$cc" -std=c11 -Wall -Wextra -Werror "$here/consumer.c" -o "$tmp/consumer-pc" $pc_flags ||
  die "building the consumer with pkg-config failed"
"$tmp/consumer-pc" || die "the pkg-config consumer failed"

# 2. CMake find_package(gan 1.0) in a clean project
step "cmake: find_package(gan 1.0) with CMAKE_PREFIX_PATH=$prefix"
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if ! cmake -S "$here" -B "$tmp/cmake-consumer" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
     -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >"$tmp/cmake.log" 2>&1 ||
   ! cmake --build "$tmp/cmake-consumer" >>"$tmp/cmake.log" 2>&1; then
  cat "$tmp/cmake.log" >&2
  die "building the consumer with find_package(gan) failed"
fi
"$tmp/cmake-consumer/consumer" || die "the CMake consumer failed"

echo "install: OK (pkg-config and find_package consumers built and ran)"
