#!/usr/bin/env bash
# check_pip.sh -- the Python package installed with pip, offline (issue 19):
#
#   bash tests/packaging/check_pip.sh [<build-dir>]     (default: build)
#
# 1. a virtual environment that is also libgan's install prefix
#    (cmake --install --prefix VENV, then pip install bindings/python into
#    it): the package finds VENV/lib/libgan.so.1 and VENV/share/libgan by
#    itself, with nothing on LD_LIBRARY_PATH, PYTHONPATH or GAN_LIBRARY;
#    its metadata, type stubs and py.typed are installed; pip uninstall
#    removes it;
# 2. pip wheel: the wheel holds the package, its stubs and py.typed, and
#    no tests;
# 3. pip install --target DIR with GAN_LIBRARY naming the library.
# PyPI is never contacted: --no-index --no-build-isolation --no-deps, with
# the system's setuptools (Debian's python3-setuptools).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
py=${GAN_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset LD_LIBRARY_PATH PYTHONPATH GAN_LIBRARY GAN_DATA_DIR
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

step() { echo "pip: $*"; }
die() { echo "pip: FAIL: $*" >&2; exit 1; }
pip_opts=(--no-build-isolation --no-deps --no-index --quiet)

# pip builds in the source directory (build/, *.egg-info): use a copy.
mkdir -p "$tmp/src"
(cd "$root/bindings/python" && tar --exclude=__pycache__ --exclude=build --exclude='*.egg-info' -cf - .) |
  (cd "$tmp/src" && tar -xf -)

# 1. venv = prefix
venv=$tmp/venv
"$py" -m venv --system-site-packages "$venv" || die "python3 -m venv failed (apt-get install python3-venv)"
for c in Unspecified data; do
  cmake --install "$build" --prefix "$venv" --component "$c" >/dev/null ||
    die "cmake --install --component $c failed"
done
step "pip install $tmp/src into the venv $venv"
"$venv/bin/python" -m pip install "${pip_opts[@]}" "$tmp/src" >"$tmp/pip.log" 2>&1 ||
  { cat "$tmp/pip.log" >&2; die "pip install failed"; }
mkdir -p "$tmp/elsewhere"
(cd "$tmp/elsewhere" && "$venv/bin/python" - "$venv" <<'PY'
import importlib.metadata
import os
import sys

venv = os.path.realpath(sys.argv[1])
import numpy as np

import libgan
import libgan.metrics as M

real = os.path.realpath
pkg = os.path.dirname(real(libgan.__file__))
assert pkg.startswith(venv) and "site-packages" in pkg, pkg
assert real(libgan.library_path) == real(os.path.join(venv, "lib", "libgan.so.1")), libgan.library_path
assert real(M.data_dir()) == os.path.join(venv, "share", "libgan"), M.data_dir()
version = importlib.metadata.version("libgan")
assert version == libgan.__version__ == libgan.version(), (version, libgan.version())
for f in ("py.typed", "__init__.pyi", "model.pyi", "metrics.py"):
    assert os.path.isfile(os.path.join(pkg, f)), f
g = libgan.Model.preset("mnist-generator")
images = libgan.Sampler(g, seed=1).generate(4)
assert images.shape == (4, 28, 28, 1) and images.dtype == np.float32
r = M.evaluate_generator(g, n=100)
assert r["fid"] > 0 and r["is"] >= 1
print("pip: venv: libgan %s from %s, data %s, FID of an untrained generator %.1f"
      % (version, libgan.library_path, M.data_dir(), r["fid"]))
PY
) || die "the pip-installed package in the venv"
"$venv/bin/python" -m pip uninstall -y --quiet libgan || die "pip uninstall failed"
# The venv sees the system's site-packages, where Debian's python3-libgan
# may legitimately live: what must be gone is the venv's own copy (its
# files and its metadata), not every libgan on the machine.
left=$(cd "$tmp/elsewhere" && "$venv/bin/python" - "$venv" <<'PY'
import importlib.metadata, importlib.util, os, sys
venv = os.path.realpath(sys.argv[1])
spec = importlib.util.find_spec("libgan")
if spec is not None and os.path.realpath(spec.origin).startswith(venv + os.sep):
    print("the package at " + spec.origin)
for d in importlib.metadata.distributions(name="libgan"):
    where = os.path.realpath(str(d.locate_file("")))
    if where.startswith(venv + os.sep):
        print("metadata under " + where)
PY
) || die "could not look for libgan after pip uninstall"
[[ -z $left ]] || die "pip uninstall left libgan in the venv: $left"
step "pip uninstall removed it"

# 2. the wheel
"$py" -m pip wheel "${pip_opts[@]}" -w "$tmp/dist" "$tmp/src" >"$tmp/wheel.log" 2>&1 ||
  { cat "$tmp/wheel.log" >&2; die "pip wheel failed"; }
whl=$(ls "$tmp"/dist/libgan-*.whl)
"$py" - "$whl" <<'PY' || die "the wheel's contents"
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
for f in ("libgan/__init__.py", "libgan/__init__.pyi", "libgan/metrics.py", "libgan/py.typed",
          "libgan/_lib.py", "libgan/model.pyi"):
    assert f in names, (f, sorted(names))
assert not [n for n in names if "tests/" in n or n.endswith(".c")], sorted(names)
print("pip: wheel %s: %d files" % (sys.argv[1].rsplit("/", 1)[-1], len(names)))
PY

# 3. pip install --target, the library named by GAN_LIBRARY
"$py" -m pip install "${pip_opts[@]}" --target "$tmp/target" "$tmp/src" >"$tmp/target.log" 2>&1 ||
  { cat "$tmp/target.log" >&2; die "pip install --target failed"; }
(cd "$tmp/elsewhere" && PYTHONPATH=$tmp/target GAN_LIBRARY=$build/libgan.so.1 "$py" -c '
import libgan, os, sys
assert os.path.realpath(libgan.__file__).startswith(os.path.realpath(sys.argv[1])), libgan.__file__
print("pip: --target: libgan", libgan.version())' "$tmp/target") || die "pip install --target"

echo "pip: OK (venv prefix, wheel, --target)"
