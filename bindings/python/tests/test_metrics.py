"""The metrics API (libgan.metrics): FID of feature arrays against SciPy's
formula, .fidstats files, the shipped classifier, the Inception Score,
classifier training; and the exceptions' built-in bases."""

import errno
import os
import re

import numpy as np
import pytest

import libgan
import libgan.metrics as M
from conftest import REPO, TINY

SCIPY = pytest.importorskip("scipy.linalg")


def reference_fid(a, b):
    """FID by the usual formula (SciPy's sqrtm), in double precision."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    m1, m2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = SCIPY.sqrtm(s1 @ s2)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def features(n, dim, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    return (rng.normal(size=(n, dim)) @ mix + shift).astype(np.float32)


# ---- FID of arrays, statistics ----------------------------------------------

def test_fid_of_two_arrays_matches_scipy():
    a, b = features(400, 16, 1), features(300, 16, 2, shift=0.5)
    fid = M.frechet_distance(a, b)
    assert fid == pytest.approx(reference_fid(a, b), rel=1e-6)
    assert M.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # FidStats and arrays mix; the module-level name is re-exported
    assert libgan.frechet_distance(M.FidStats.from_features(a), b) == pytest.approx(fid, rel=1e-12)


def test_stats_in_batches_equal_one_call_and_numpy():
    a = features(500, 12, 3)
    whole = M.FidStats.from_features(a)
    parts = M.FidStats(12)
    for i in range(0, 500, 70):
        parts.add(a[i:i + 70])
    assert (whole.dim, whole.count, len(parts), whole.network_id) == (12, 500, 500, 0)
    mean, cov = whole.moments()
    np.testing.assert_allclose(mean, a.astype(np.float64).mean(0), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cov, np.cov(a.astype(np.float64), rowvar=False), rtol=1e-9,
                               atol=1e-12)
    pm, pc = parts.moments()
    np.testing.assert_allclose(pm, mean, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(pc, cov, rtol=1e-10, atol=1e-13)
    merged = M.FidStats.from_features(a[:100]).merge(M.FidStats.from_features(a[100:]))
    assert merged.count == 500
    assert M.frechet_distance(merged, whole) == pytest.approx(0.0, abs=1e-8)
    assert parts.reset().count == 0
    assert "dim=12" in repr(whole)


def test_stats_files_and_bytes_round_trip(tmp_path):
    a = features(200, 8, 4)
    s = M.FidStats.from_features(a)
    path = tmp_path / "a.fidstats"
    s.save(path)
    t = M.FidStats.load(str(path))
    u = M.FidStats.from_bytes(s.to_bytes())
    assert path.read_bytes() == s.to_bytes()
    for x in (t, u):
        assert (x.dim, x.count) == (8, 200)
        assert M.frechet_distance(s, x) == pytest.approx(0.0, abs=1e-9)


def test_stats_errors_are_builtin_exceptions(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        M.FidStats.load(tmp_path / "missing.fidstats")
    assert isinstance(e.value, libgan.GanIOError) and e.value.errno == errno.ENOENT
    assert e.value.filename == str(tmp_path / "missing.fidstats")
    with pytest.raises(IsADirectoryError):
        M.FidStats.load(tmp_path)
    with pytest.raises(ValueError):            # FormatError: not a .fidstats file
        M.FidStats.from_bytes(b"GANFSTAT" + bytes(100))
    with pytest.raises(libgan.FormatError):
        M.FidStats.from_bytes(b"not statistics at all")
    with pytest.raises(ValueError):            # ShapeError: dimensions differ
        M.frechet_distance(features(50, 8, 1), features(50, 9, 2))
    with pytest.raises(libgan.ShapeError):
        M.FidStats(8).add(features(10, 7, 1))
    with pytest.raises(libgan.StateError):     # fewer than 2 samples
        M.frechet_distance(features(1, 4, 1), features(10, 4, 2))
    with pytest.raises(ValueError):            # InvalidArgumentError
        M.FidStats(0)
    assert issubclass(libgan.NoMemoryError, MemoryError)


def test_model_files_raise_file_not_found(tmp_path):
    missing = tmp_path / "nope.gan"
    with pytest.raises(FileNotFoundError) as e:
        libgan.Model.load(missing)
    assert isinstance(e.value, libgan.GanFileNotFoundError)
    assert (e.value.errno, e.value.filename) == (errno.ENOENT, str(missing))
    assert str(missing) in str(e.value)
    with pytest.raises(FileNotFoundError):
        libgan.Dataset.load_mnist_dir(tmp_path / "no-such-dir")
    with pytest.raises(OSError):
        libgan.Model.load(tmp_path)


# ---- Inception Score, cross-entropy -------------------------------------------

def reference_is(p, splits):
    scores = []
    n = len(p)
    for s in range(splits):
        part = p[s * n // splits:(s + 1) * n // splits].astype(np.float64)
        py = part.mean(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(part > 0, part * (np.log(part) - np.log(py)), 0.0).sum(1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _pr_numpy(real, fake, k):
    """The definition with NumPy: k-th neighbour radii (self excluded),
    then coverage by the other set's balls."""
    def d2(a, b):
        return ((a[:, None, :].astype(np.float64) - b[None, :, :]) ** 2).sum(-1)
    def radii(x):
        d = d2(x, x)
        np.fill_diagonal(d, np.inf)
        return np.sort(d, axis=1)[:, k - 1]
    rr, fr = radii(real), radii(fake)
    prec = (d2(fake, real) <= rr[None, :]).any(1).mean()
    rec = (d2(real, fake) <= fr[None, :]).any(1).mean()
    return prec, rec


def test_precision_recall():
    rng = np.random.default_rng(3)
    centres = rng.uniform(-3, 3, (8, 6))
    real = (centres[np.arange(300) % 5] + 0.3 * rng.standard_normal((300, 6))).astype(np.float32)
    fake = (centres[3 + np.arange(280) % 5] + 0.3 * rng.standard_normal((280, 6))).astype(np.float32)
    p, r = libgan.precision_recall(real, fake)
    pn, rn = _pr_numpy(real, fake, 3)
    assert abs(p - pn) <= 1 / 280 and abs(r - rn) <= 1 / 300 and 0 < p < 1 and 0 < r < 1
    assert libgan.precision_recall(real, real, k=5) == (1.0, 1.0)
    with pytest.raises(libgan.ShapeError):
        libgan.precision_recall(real, np.ascontiguousarray(fake[:, :4]))
    with pytest.raises(libgan.InvalidArgumentError, match="k 0"):
        libgan.precision_recall(real, fake, k=0)


def test_inception_score():
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(1000, 10)) * 3
    p = np.exp(logits - logits.max(1, keepdims=True))
    p = (p / p.sum(1, keepdims=True)).astype(np.float32)
    mean, std = M.inception_score(p, 10)
    rm, rs = reference_is(p, 10)
    assert mean == pytest.approx(rm, rel=1e-5) and std == pytest.approx(rs, rel=1e-3, abs=1e-6)
    uniform = np.full((100, 10), 0.1, np.float32)
    assert M.inception_score(uniform)[0] == pytest.approx(1.0, abs=1e-6)
    onehot = np.eye(10, dtype=np.float32)[np.arange(100) % 10]
    assert M.inception_score(onehot, 1)[0] == pytest.approx(10.0, rel=1e-6)
    with pytest.raises(ValueError):
        M.inception_score(np.full((5, 10), 0.1, np.float32), 10)   # n < splits


def test_softmax_cross_entropy():
    rng = np.random.default_rng(6)
    z = rng.normal(size=(8, 5)).astype(np.float32)
    y = np.array([0, 1, 2, 3, 4, 0, 1, 2])
    loss, grad, correct = M.softmax_cross_entropy(z, y)
    zz = z.astype(np.float64)
    p = np.exp(zz - zz.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert loss == pytest.approx(float(-np.log(p[np.arange(8), y]).mean()), rel=1e-5)
    onehot = np.eye(5)[y]
    np.testing.assert_allclose(grad, (p - onehot) / 8, rtol=1e-4, atol=1e-6)
    assert correct == int((z.argmax(1) == y).sum())


def test_train_and_evaluate_a_classifier():
    rng = np.random.default_rng(7)
    n = 256
    y = rng.integers(0, 2, n)
    x = (rng.normal(size=(n, 4)) + 2.0 * y[:, None]).astype(np.float32)
    clf = libgan.Model((4,)).add_dense(16).add_relu().add_dense(2)
    opt = libgan.Adam(clf, lr=1e-2)
    first = M.train_classifier_step(clf, opt, x, y)
    for _ in range(60):
        loss, acc = M.train_classifier_step(clf, opt, x, y)
    assert loss < first[0] and acc > 0.9
    ds = libgan.Dataset.from_array(x, labels=y)
    eloss, eacc = M.evaluate_classifier(clf, ds)
    assert eacc > 0.9 and eloss == pytest.approx(loss, rel=0.2)
    mt = M.Metrics(clf, feature_layer=-1)
    assert (mt.feature_dim, mt.classes) == (16, 2)
    probs = mt.run(x[:10])
    assert probs.shape == (10, 2)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    assert mt.run_dataset(ds, limit=20, probs=True).shape == (20, 2)


# ---- the shipped classifier ---------------------------------------------------

def test_the_shipped_classifier_and_statistics():
    d = M.data_dir()
    assert os.path.isfile(os.path.join(d, M.CLASSIFIER_FILE)), d
    assert os.path.samefile(M.classifier_path(), os.path.join(REPO, "models", M.CLASSIFIER_FILE))
    ref = M.FidStats.load(M.reference_path())
    mt = M.Metrics()
    assert (mt.feature_dim, mt.classes) == (128, 10)
    assert ref.network_id == mt.network_id == 0xE42C1BE0      # docs/metrics.md
    assert (ref.dim, ref.count) == (128, 10000)


def test_metrics_of_images_and_a_generator():
    n = 40 if TINY else 200
    mt = M.Metrics()
    rng = np.random.default_rng(8)
    x = rng.uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)
    y = rng.uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)
    feats = mt.features(x)
    assert feats.shape == (n, 128)
    fid = mt.fid(x, y)
    assert fid == pytest.approx(M.frechet_distance(feats, mt.features(y)), rel=1e-5)
    score, std = mt.inception_score(x, splits=10)
    assert 1.0 <= score <= 10.0 and std >= 0
    # A generator under gan eval's protocol: evaluate_generator equals the
    # composition of the calls, and the same seed gives the same numbers.
    g = libgan.Model.preset("mnist-generator")
    r = M.evaluate_generator(g, n=n, seed=3)
    st = mt.new_stats()
    probs = mt.run_generator(g, n=n, seed=3, stats=st)
    ref = M.FidStats.load(M.reference_path())
    assert r["fid"] == pytest.approx(M.frechet_distance(ref, st), rel=1e-9)
    assert r["is"] == pytest.approx(M.inception_score(probs)[0], rel=1e-9)
    assert r == M.evaluate_generator(g, n=n, seed=3, metrics=mt, reference=ref)
    assert r["fid"] > 50   # an untrained generator is far from Fashion-MNIST
    # statistics of different networks are not comparable
    other = M.Metrics(libgan.Model((28, 28, 1)).add_flatten().add_dense(128).add_relu()
                      .add_dense(3))
    with pytest.raises(libgan.StateError):
        other.run(x, stats=st, probs=False)


def test_fashion_mnist_test_set(tmp_path):
    if not os.path.isdir(libgan.FASHION_MNIST_DIR):
        pytest.skip("no Fashion-MNIST in " + libgan.FASHION_MNIST_DIR)
    test = libgan.Dataset.load_mnist_dir(libgan.FASHION_MNIST_DIR, train=False)
    mt = M.Metrics()
    n = 200 if TINY else 1000
    probs = mt.run_dataset(test, limit=n, probs=True)
    assert M.inception_score(probs)[0] > 5.0          # 8.11 on all 10,000
    loss, acc = M.evaluate_classifier(mt.network, test.limit(n))
    assert acc > 0.85                                  # 91.77 % on all 10,000


def test_metrics_borrow_and_close():
    net = M.load_classifier()
    mt = M.Metrics(net)
    net.close()
    assert mt.closed
    with pytest.raises(libgan.ClosedError):
        mt.features(np.zeros((1, 28, 28, 1), np.float32))


def test_data_dir_override(monkeypatch, tmp_path):
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path))
    assert M.data_dir() == str(tmp_path)
    with pytest.raises(FileNotFoundError):
        M.load_classifier()


def test_every_metrics_function_of_gan_h_is_bound():
    from libgan import _lib
    header = open(os.path.join(REPO, "include", "gan.h")).read()
    section = header[header.index("/* Metrics"):header.index("The seed notebooks' networks")]
    declared = set(re.findall(r"GAN_API\s+[^;(]*?\b(gan_\w+)\s*\(", section))
    bound = {name for name, _, _ in _lib._PROTOTYPES}
    assert len(declared) >= 20
    assert declared <= bound, sorted(declared - bound)
