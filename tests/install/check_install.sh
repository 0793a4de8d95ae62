#!/usr/bin/env bash
# check_install.sh -- install libgan from a build tree into a temporary prefix
# and use it the ways users do, with nothing on LD_LIBRARY_PATH:
#   - a program built with pkg-config (only the prefix's gan.pc reachable, so
#     no zlib, OpenBLAS, libpng or libjpeg .pc files are needed) and with CMake's
#     find_package(gan); both run;
#   - the installed gan: --version, gan train, gan eval finding its
#     classifier and statistics in <prefix>/share/libgan, gan report;
#   - the prefix moved elsewhere: gan and gan eval still work
#     ($ORIGIN RPATH, data found relative to the executable), and
#     pkg-config --define-prefix follows;
#   - the manual pages, the bash completion and the Python package;
#   - where the build has libgan_mpi: gan_mpi.pc and find_package(gan
#     COMPONENTS mpi) (gan::gan_mpi), each building consumer_mpi.c, which
#     trains on 2 ranks under mpirun.
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
unset LD_LIBRARY_PATH GAN_DATA_DIR GAN_LIBRARY PYTHONPATH

step() { echo "install: $*"; }
die() { echo "install: FAIL: $*" >&2; exit 1; }
cache() { grep -E "^$1:" "$build/CMakeCache.txt" | cut -d= -f2; }

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; die "cmake --install failed"; }

# Where GNUInstallDirs put things (lib, or lib/<multiarch> for prefix /usr).
libdir=$(cache CMAKE_INSTALL_LIBDIR)
libdir=${libdir:-lib}
includedir=$(cache CMAKE_INSTALL_INCLUDEDIR)
includedir=${includedir:-include}
datadir=$(cache CMAKE_INSTALL_DATADIR)
datadir=${datadir:-share}
mandir=$(cache CMAKE_INSTALL_MANDIR)
mandir=${mandir:-$datadir/man}
want=("$includedir/gan.h" "$includedir/gan_version.h" "$libdir/libgan.so" "$libdir/libgan.so.1"
      "$libdir/pkgconfig/gan.pc" "$libdir/cmake/gan/ganConfig.cmake"
      "$libdir/cmake/gan/ganConfigVersion.cmake" "$libdir/cmake/gan/ganTargets.cmake"
      "$datadir/libgan/fashion_mnist_classifier.gan" "$datadir/libgan/fashion_mnist_t10k.fidstats")
have_mpi=0
if [[ -e $build/libgan_mpi.so ]]; then
  have_mpi=1
  want+=("$includedir/gan_mpi.h" "$libdir/libgan_mpi.so" "$libdir/libgan_mpi.so.1"
         "$libdir/pkgconfig/gan_mpi.pc" "$libdir/cmake/gan/ganMpiTargets.cmake")
fi
# run_mpi PROGRAM: on 2 ranks (as the MPI tests launch them), bounded.
run_mpi() {
  command -v mpirun >/dev/null || { step "no mpirun: $1 built, not run"; return 0; }
  timeout --kill-after=10 120 mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 "$1"
}
have_tools=0
if [[ $(cache GAN_BUILD_TOOLS) != OFF ]]; then
  have_tools=1
  want+=(bin/gan "$datadir/bash-completion/completions/gan")
  if [[ $(cache GAN_BUILD_MAN) == ON ]]; then
    for p in gan gan-train gan-sample gan-export gan-info gan-eval gan-report; do
      want+=("$mandir/man1/$p.1")
    done
  fi
fi
pydir=
if [[ $(cache GAN_INSTALL_PYTHON) == ON ]]; then
  pydir=$(cache GAN_PYTHON_INSTALL_DIR)
  want+=("$pydir/libgan/__init__.py" "$pydir/libgan/metrics.py" "$pydir/libgan/py.typed")
fi
for f in "${want[@]}"; do
  [[ -e $prefix/$f ]] || die "not installed: $f (installed: $(cd "$prefix" && find . -type f | sort | tr '\n' ' '))"
done
# Nothing private may be installed.
if find "$prefix" -name '*.a' -o -path '*/libgan/*.h' | grep -q .; then
  die "private files installed: $(find "$prefix" -name '*.a' -o -path '*/libgan/*.h')"
fi

# 1. pkg-config, with only the installed prefix's .pc files reachable
#    (PKG_CONFIG_LIBDIR replaces the system directories): gan.pc must not
#    need zlib.pc, openblas.pc, libpng.pc or libjpeg.pc.
export PKG_CONFIG_LIBDIR=$prefix/$libdir/pkgconfig PKG_CONFIG_PATH=
pkg-config --validate gan || die "pkg-config --validate gan failed"
pc_flags=$(pkg-config --cflags --libs gan) ||
  die "pkg-config --cflags --libs gan failed without the system's .pc files"
pc_libdir=$(pkg-config --variable=libdir gan)
step "pkg-config: gan $(pkg-config --modversion gan): $pc_flags"
case " $pc_flags " in
  *" -I$prefix/$includedir "*) ;;
  *) die "pkg-config's flags do not point into the install prefix: $pc_flags" ;;
esac
if grep -qE '^(Requires|Libs)\.private' "$prefix/$libdir/pkgconfig/gan.pc"; then
  die "gan.pc has private dependencies, but only a shared library is installed"
fi
# The README's line, plus an RPATH for a prefix outside the loader's paths.
# shellcheck disable=SC2086 # word splitting of the flags is intended
"$cc" -std=c11 -Wall -Wextra -Werror "$here/consumer.c" -o "$tmp/consumer-pc" $pc_flags \
  -Wl,-rpath,"$pc_libdir" || die "building the consumer with pkg-config failed"
"$tmp/consumer-pc" || die "the pkg-config consumer failed"
# shellcheck disable=SC2086
"$cc" -std=c11 "$root/examples/readme_example.c" -o "$tmp/readme_example" $pc_flags \
  -Wl,-rpath,"$pc_libdir" || die "building the README example with pkg-config failed"
"$tmp/readme_example" >/dev/null || die "the README example failed"
if ((have_mpi)); then
  pkg-config --validate gan_mpi || die "pkg-config --validate gan_mpi failed"
  mpi_flags=$(pkg-config --cflags --libs gan_mpi) ||
    die "pkg-config --cflags --libs gan_mpi failed without the system's .pc files"
  step "pkg-config: gan_mpi $(pkg-config --modversion gan_mpi): $mpi_flags"
  # shellcheck disable=SC2086
  "$cc" -std=c11 -Wall -Wextra -Werror "$here/consumer_mpi.c" -o "$tmp/consumer-mpi-pc" \
    $mpi_flags -Wl,-rpath,"$pc_libdir" || die "building consumer_mpi with pkg-config gan_mpi failed"
  run_mpi "$tmp/consumer-mpi-pc" || die "the pkg-config consumer_mpi failed on 2 ranks"
fi
unset PKG_CONFIG_LIBDIR PKG_CONFIG_PATH

# 2. CMake find_package(gan 1.0) in a clean project
step "cmake: find_package(gan 1.0) with CMAKE_PREFIX_PATH=$prefix"
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if ! cmake -S "$here" -B "$tmp/cmake-consumer" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
     -DGAN_CONSUMER_MPI="$( ((have_mpi)) && echo ON || echo OFF)" \
     -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >"$tmp/cmake.log" 2>&1 ||
   ! cmake --build "$tmp/cmake-consumer" >>"$tmp/cmake.log" 2>&1; then
  cat "$tmp/cmake.log" >&2
  die "building the consumer with find_package(gan) failed"
fi
"$tmp/cmake-consumer/consumer" || die "the CMake consumer failed"
if ((have_mpi)); then
  run_mpi "$tmp/cmake-consumer/consumer_mpi" ||
    die "the CMake consumer_mpi (find_package(gan COMPONENTS mpi)) failed on 2 ranks"
  step "libgan_mpi: gan_mpi.pc and gan::gan_mpi each built a program that trained on 2 ranks"
fi

# 3. the installed gan, from outside the source and build trees
run_tool_checks() { # PREFIX WORKDIR
  local p=$1 w=$2 out
  mkdir -p "$w"
  out=$("$p/bin/gan" --version) || die "$p/bin/gan --version failed (is libgan.so.1 found?)"
  grep -q "data directory: $p/$datadir/libgan$" <<<"$out" ||
    die "gan --version: expected the data directory $p/$datadir/libgan: $out"
  loaded=$(cd "$w" && ldd "$p/bin/gan" | sed -n 's/^[[:space:]]*libgan\.so\.1 => \(.*\) (0x.*/\1/p')
  [[ -n $loaded && $(realpath "$loaded") == $(realpath "$p/$libdir/libgan.so.1") ]] ||
    die "$p/bin/gan does not load $p/$libdir/libgan.so.1: $(ldd "$p/bin/gan" | grep libgan)"
  # gan eval finds the shipped classifier and statistics under share/libgan.
  (cd "$w" && "$p/bin/gan" eval "$tmp/run/generator.gan" -n 100 >eval.txt 2>&1) ||
    { cat "$w/eval.txt" >&2; die "$p/bin/gan eval failed"; }
  grep -q "feature network $p/$datadir/libgan/fashion_mnist_classifier.gan" "$w/eval.txt" ||
    { cat "$w/eval.txt" >&2; die "gan eval did not use $p/$datadir/libgan's classifier"; }
  grep -q "reference $p/$datadir/libgan/fashion_mnist_t10k.fidstats" "$w/eval.txt" ||
    { cat "$w/eval.txt" >&2; die "gan eval did not use $p/$datadir/libgan's statistics"; }
  grep -E '^FID: +[0-9]' "$w/eval.txt" >/dev/null || die "gan eval printed no FID"
}
if ((have_tools)); then
  readelf -d "$prefix/bin/gan" | grep -E 'R(UN)?PATH' | grep -qF '$ORIGIN' ||
    die "bin/gan has no \$ORIGIN RPATH: $(readelf -d "$prefix/bin/gan" | grep -E 'R(UN)?PATH' || echo none)"
  data=${GAN_TEST_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
  [[ -d $data ]] || die "no Fashion-MNIST in $data (scripts/deps.sh installs dataset-fashion-mnist)"
  step "$prefix/bin/gan train --steps 4 (from $tmp/run)"
  (cd "$tmp" && "$prefix/bin/gan" train --data "$data" --limit 256 --batch 64 --steps 4 --epochs 0 \
     --threads 2 --out run --log-every 100 >train.txt 2>&1) ||
    { cat "$tmp/train.txt" >&2; die "the installed gan train failed"; }
  [[ -f $tmp/run/generator.gan && -f $tmp/run/report.html ]] ||
    die "gan train wrote no generator.gan or report.html: $(ls "$tmp/run")"
  run_tool_checks "$prefix" "$tmp/w1"
  # An explicit GAN_DATA_DIR wins, and a wrong one is named in the error.
  if GAN_DATA_DIR=$tmp/nowhere "$prefix/bin/gan" eval "$tmp/run/generator.gan" -n 100 \
       >/dev/null 2>"$tmp/err.txt" || ! grep -q "$tmp/nowhere" "$tmp/err.txt"; then
    cat "$tmp/err.txt" >&2
    die "GAN_DATA_DIR=$tmp/nowhere was not used (or not named in the error)"
  fi
  step "the installed gan works; GAN_DATA_DIR overrides its data directory"

  # manual pages and bash completion
  if [[ $(cache GAN_BUILD_MAN) == ON ]] && command -v man >/dev/null; then
    for p in gan gan-train gan-report; do
      page=$(MANPATH=$prefix/$mandir man -w "$p" 2>/dev/null) || die "man -w $p: not found"
      [[ $page == "$prefix/$mandir/man1/$p.1"* ]] || die "man -w $p: $page"
      warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || true
      [[ -z $warn ]] || die "man --warnings $p: $warn"
    done
    LC_ALL=C.UTF-8 MANWIDTH=100 man -l "$prefix/$mandir/man1/gan-train.1" 2>/dev/null |
      grep -q -- '--fid-every' || die "gan-train.1 does not document --fid-every"
    step "manual pages: man -w and man --warnings clean"
  fi
  completions=$(PATH=$prefix/bin:$PATH bash -c '
    source "$1"
    t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _gan; echo "${COMPREPLY[*]}"; }
    t gan re; t gan train --fid-e; t gan train --preset wgan; t gan sample --cl; t gan train --loss w
  ' _ "$prefix/$datadir/bash-completion/completions/gan") || die "the bash completion failed"
  expected=$'report\n--fid-every\nwgan wgan-gp\n--class\nwasserstein'
  [[ $completions == "$expected" ]] ||
    die "bash completion: expected $(echo "$expected" | tr '\n' '|'), got $(echo "$completions" | tr '\n' '|')"
  step "bash completion: subcommands, options, presets, values"
fi

# 4. the Python package from the prefix: it finds <prefix>/lib/libgan.so.1
#    and <prefix>/share/libgan by itself.
if [[ -n $pydir && -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  (cd "$tmp" && PYTHONPATH=$prefix/$pydir /usr/bin/python3 - "$prefix" "$libdir" "$datadir" <<'EOF'
import os, sys
prefix, libdir, datadir = sys.argv[1:]
import libgan
import libgan.metrics
real = os.path.realpath
assert real(libgan.__file__).startswith(real(prefix)), libgan.__file__
assert real(libgan.library_path) == real(os.path.join(prefix, libdir, "libgan.so.1")), libgan.library_path
assert real(libgan.metrics.data_dir()) == real(os.path.join(prefix, datadir, "libgan")), libgan.metrics.data_dir()
print("install: python: libgan %s from %s" % (libgan.version(), libgan.library_path))
EOF
  ) || die "the installed Python package did not find the prefix's library and data"
fi

# 5. move the prefix: the tool still finds its library and data, and
#    pkg-config --define-prefix (pkgconf) follows the .pc file.
if ((have_tools)); then
  moved=$tmp/moved/elsewhere
  mkdir -p "$tmp/moved"
  mv "$prefix" "$moved"
  run_tool_checks "$moved" "$tmp/w2"
  if [[ $libdir == lib ]] && pkg-config --help 2>&1 | grep -q -- --define-prefix; then
    flags=$(PKG_CONFIG_LIBDIR=$moved/lib/pkgconfig pkg-config --define-prefix --cflags gan)
    [[ $flags == *"-I$moved/$includedir"* ]] || die "pkg-config --define-prefix: $flags"
  fi
  step "relocated to $moved: gan, gan eval and pkg-config --define-prefix still work"
fi

echo "install: OK (pkg-config and find_package consumers, the installed and relocated gan, man, completion, python)"
