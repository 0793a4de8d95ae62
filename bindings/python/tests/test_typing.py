"""Type hints and docstrings of the public Python API (issue 19).

The package is typed (PEP 561: py.typed).  The modules that predate the
hints keep them in stubs next to them (model.pyi, data.pyi, ...); newer
modules (metrics.py) are annotated inline.  These tests keep both honest:
every public function, class, method and property has a docstring and full
annotations, the stubs match the runtime signatures (no missing and no
stale names), and mypy accepts the stubs and a strictly typed program
using the API.
"""

import ast
import importlib
import importlib.util
import inspect
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

import libgan
from conftest import PKG_ROOT, subprocess_env

PKG_DIR = os.path.join(PKG_ROOT, "libgan")
MODULES = ["libgan", "libgan.model", "libgan.data", "libgan.training", "libgan.sampling",
           "libgan.files", "libgan.metrics", "libgan._errors", "libgan._handle"]
# Special methods users call (they need a stub entry and types, not a docstring).
DUNDERS = {"__init__", "__call__", "__len__", "__iter__", "__getitem__", "__enter__",
           "__exit__"}


def _public(name):
    return not name.startswith("_") or name in DUNDERS


def _members():
    """(module, qualified name, object, kind) of every public definition;
    kind is 'function', 'class', 'method' or 'property'."""
    out = []
    for mn in MODULES:
        m = importlib.import_module(mn)
        for name, obj in sorted(vars(m).items()):
            if name.startswith("_") or inspect.ismodule(obj):
                continue
            if getattr(obj, "__module__", None) != mn:
                continue          # imported from elsewhere (checked there)
            if inspect.isfunction(obj):
                out.append((mn, name, obj, "function"))
            elif inspect.isclass(obj):
                out.append((mn, name, obj, "class"))
                for an, a in sorted(vars(obj).items()):
                    if not _public(an):
                        continue
                    if isinstance(a, (classmethod, staticmethod)):
                        a = a.__func__
                    if isinstance(a, property):
                        out.append((mn, name + "." + an, a, "property"))
                    elif inspect.isfunction(a):
                        out.append((mn, name + "." + an, a, "method"))
    return out


MEMBERS = _members()


def test_members_found():
    names = {q for _, q, _, _ in MEMBERS}
    assert {"Model.forward", "Dataset.load_mnist_dir", "Trainer.fit", "Sampler.generate",
            "FidStats.load", "Metrics.run_generator", "frechet_distance"} <= names
    assert len(MEMBERS) > 150


def test_every_public_name_has_a_docstring():
    missing = ["%s.%s" % (mn, q) for mn, q, obj, kind in MEMBERS
               if q.rsplit(".", 1)[-1] not in DUNDERS and not (obj.__doc__ or "").strip()]
    assert not missing, "no docstring: " + ", ".join(missing)


# ---- stubs ------------------------------------------------------------------

def _stub(mn):
    """({qualified name: ast.FunctionDef}, every other name, the names that
    must exist on the runtime module) of the module's .pyi, or None.
    Re-exports ("import X as X") count as names of __init__.pyi only."""
    base = mn.split(".")[-1]
    path = os.path.join(PKG_DIR, "__init__.pyi" if base == "libgan" else base + ".pyi")
    if not os.path.isfile(path):
        return None
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    funcs, names, attrs, imports = {}, set(), set(), set()

    def is_setter(f):
        return any(isinstance(d, ast.Attribute) and d.attr == "setter" for d in f.decorator_list)

    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            funcs[node.name] = node
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not is_setter(item):
                    funcs[node.name + "." + item.name] = item
                elif isinstance(item, ast.AnnAssign):
                    attrs.add(node.name + "." + item.target.id)   # instance attributes
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom):
            imports.update(a.asname or a.name for a in node.names if a.asname)
    return funcs, names | attrs | imports, names | (imports if mn == "libgan" else set())


def _stub_params(f):
    a = f.args
    params = [(p.arg, p.annotation) for p in a.posonlyargs + a.args]
    defaults = [False] * (len(params) - len(a.defaults)) + [True] * len(a.defaults)
    out = [(n, ann, d) for (n, ann), d in zip(params, defaults)]
    if a.vararg:
        out.append(("*" + a.vararg.arg, a.vararg.annotation, False))
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        out.append((p.arg, p.annotation, d is not None))
    if a.kwarg:
        out.append(("**" + a.kwarg.arg, a.kwarg.annotation, False))
    return out


def _runtime_params(obj):
    out = []
    for p in inspect.signature(obj).parameters.values():
        has_default = p.default is not inspect.Parameter.empty
        if p.name.startswith("_") and has_default:
            continue              # private keyword (Model(_ptr=...)): not API
        name = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name
        out.append((name, p.annotation, has_default))
    return out


def _check_callable(mn, q, obj, kind, stub):
    """Problems of one function, method or property: a list of strings."""
    problems = []
    is_method = kind in ("method", "property")
    fget = obj.fget if kind == "property" else obj
    if stub is None:              # inline annotations
        params = _runtime_params(fget)
        for i, (name, ann, _) in enumerate(params):
            if is_method and i == 0:
                continue
            if ann is inspect.Parameter.empty:
                problems.append("%s.%s: parameter %s has no annotation" % (mn, q, name))
        if inspect.signature(fget).return_annotation is inspect.Signature.empty:
            problems.append("%s.%s: no return annotation" % (mn, q))
        return problems
    funcs = stub[0]
    f = funcs.get(q)
    if f is None:
        return ["%s.%s: missing from %s's stub" % (mn, q, mn)]
    decorators = {d.id for d in f.decorator_list if isinstance(d, ast.Name)}
    if kind == "property" and "property" not in decorators:
        problems.append("%s.%s: a property at runtime, not in the stub" % (mn, q))
    sp, rp = _stub_params(f), _runtime_params(fget)
    if [(n, d) for n, _, d in sp] != [(n, d) for n, _, d in rp]:
        problems.append("%s.%s: stub parameters %s differ from the runtime's %s"
                        % (mn, q, [(n, d) for n, _, d in sp], [(n, d) for n, _, d in rp]))
    for i, (name, ann, _) in enumerate(sp):
        if is_method and i == 0:
            continue
        if ann is None:
            problems.append("%s.%s: parameter %s has no annotation in the stub" % (mn, q, name))
    if f.returns is None:
        problems.append("%s.%s: no return annotation in the stub" % (mn, q))
    return problems


def test_every_public_callable_is_annotated_and_matches_its_stub():
    stubs = {mn: _stub(mn) for mn in MODULES}
    problems = []
    for mn, q, obj, kind in MEMBERS:
        if kind == "class":
            if stubs[mn] is not None and q not in stubs[mn][1]:
                problems.append("%s.%s: class missing from the stub" % (mn, q))
            continue
        problems += _check_callable(mn, q, obj, kind, stubs[mn])
    assert not problems, "\n".join(problems)


def test_stubs_name_nothing_the_runtime_lacks():
    stale = []
    for mn in MODULES:
        stub = _stub(mn)
        if stub is None:
            continue
        m = importlib.import_module(mn)
        for q in list(stub[0]) + sorted(stub[2]):
            obj = m
            for part in q.split("."):
                if part.startswith("_") and part not in DUNDERS:
                    obj = None        # private helpers the stub types for metrics.py
                    break
                if not hasattr(obj, part):
                    stale.append("%s.%s" % (mn, q))
                    break
                obj = getattr(obj, part)
    assert not stale, "in a stub but not at runtime: " + ", ".join(stale)


def test_package_exports_are_in_the_package_stub():
    funcs, names, _ = _stub("libgan")
    missing = [n for n in libgan.__all__ if n not in names and n not in funcs]
    assert not missing, "libgan.__all__ names missing from __init__.pyi: %s" % missing


def test_typed_marker_and_packaging():
    assert os.path.isfile(os.path.join(PKG_DIR, "py.typed"))
    pyproject = open(os.path.join(PKG_ROOT, "pyproject.toml"), encoding="utf-8").read()
    assert "py.typed" in pyproject and "*.pyi" in pyproject


# ---- mypy -------------------------------------------------------------------

CONSUMER = '''
import numpy as np
import numpy.typing as npt

import libgan
import libgan.metrics as M


def run() -> float:
    g = libgan.Model.preset("mnist-generator")
    d = (libgan.Model((28, 28, 1)).add_conv2d(8, 3, strides=2, padding="same")
         .add_leaky_relu().add_flatten().add_dense(1))
    t = libgan.Trainer(g, d, libgan.Adam(g, lr=1e-4), libgan.RMSprop(d), libgan.Loss("hinge"))
    x: npt.NDArray[np.float32] = np.zeros((8, 28, 28, 1), np.float32)
    stats = t.step(x)
    ds = libgan.Dataset.from_array(x, labels=[0] * 8).set_batching(batch_size=4)
    ok: bool = t.fit(ds, epochs=1, on_epoch=lambda epoch, m: m["g_loss"] > 10)
    img = libgan.Sampler(g, seed=1).generate(4)
    mt = M.Metrics()
    fid: float = M.frechet_distance(mt.features(x), mt.features(x))
    score, std = M.inception_score(np.full((10, 10), 0.1, np.float32))
    r = M.evaluate_generator(g, n=100)
    n: int = len(g) + g.param_count + len(ds)
    try:
        libgan.Model.load("missing.gan")
    except FileNotFoundError as e:
        print(e.filename, e.errno)
    return stats["d_loss"] + fid + score + std + float(r["fid"]) + n + float(img.sum()) + ok
'''


def _mypy(*args, cwd):
    return subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary",
                           "--cache-dir", os.path.join(cwd, ".mypy_cache")] + list(args),
                          capture_output=True, text=True, cwd=cwd, timeout=600,
                          env=subprocess_env(MYPYPATH=PKG_ROOT))


@pytest.mark.skipif(shutil.which("mypy") is None and
                    importlib.util.find_spec("mypy") is None, reason="mypy not installed")
def test_mypy_accepts_the_stubs_and_a_strictly_typed_user_program():
    tmp = tempfile.mkdtemp()
    try:
        files = sorted(os.path.join(PKG_DIR, f) for f in os.listdir(PKG_DIR)
                       if f.endswith(".pyi")) + [os.path.join(PKG_DIR, "metrics.py")]
        r = _mypy("--follow-imports=silent", *files, cwd=tmp)
        assert r.returncode == 0, r.stdout + r.stderr
        prog = os.path.join(tmp, "consumer.py")
        with open(prog, "w") as f:
            f.write(CONSUMER)
        r = _mypy("--strict", "--follow-imports=silent", prog, cwd=tmp)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
