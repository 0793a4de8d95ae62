"""FID, Inception Score, feature statistics and classifiers (gan.h "Metrics").

    import libgan, libgan.metrics as M
    g = libgan.Model.load("out/generator.gan")
    print(M.evaluate_generator(g, n=2000))      # {'fid': ..., 'is': ..., 'is_std': ...}

    a = M.FidStats.from_features(features_a)    # (n, dim) float32 arrays
    print(M.frechet_distance(a, features_b))    # FID of two feature sets

The shipped feature network (a Fashion-MNIST classifier, 91.77 % test
accuracy) and the statistics of Fashion-MNIST's test set live in the data
directory, data_dir(): $GAN_DATA_DIR, else share/libgan of the installation
the loaded libgan.so.1 belongs to, else the source tree's models/.  FIDs are
only comparable under one protocol (network, reference set, sample count,
latent seed): docs/metrics.md.
"""

import array
import ctypes
import os
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional, Sequence, Tuple, Union

from . import _buffers as B
from . import _errors, _lib
from ._handle import Handle
from ._lib import P, c_char_p, c_float, c_int, c_size_t, c_uint64, c_void_p, cstr, model_p

fn: Any = _lib.fn  # the declared C functions (attributes set at import)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import numpy.typing as npt

    from .data import Dataset
    from .model import Model
    from .training import Optimizer

    _FloatArray = npt.NDArray[np.float32]
    _FloatIn = Union[_FloatArray, "array.array[float]", bytes, bytearray, memoryview]
    _Labels = Union[Sequence[int], npt.NDArray[np.integer], "array.array[int]"]
    _Path = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

CLASSIFIER_FILE = "fashion_mnist_classifier.gan"
REFERENCE_FILE = "fashion_mnist_t10k.fidstats"


class _fid_stats_p(ctypes.c_void_p):
    """gan_fid_stats *"""


class _metrics_p(ctypes.c_void_p):
    """gan_metrics *"""


_STATUS = _lib.STATUS
_fp = c_void_p
_PROTOTYPES = [
    ("gan_softmax_cross_entropy", _STATUS,
     [_fp, c_size_t, c_size_t, c_void_p, P(c_float), _fp, P(c_size_t)]),
    ("gan_model_train_classifier_step", _STATUS,
     [model_p, _lib.optimizer_p, _fp, c_size_t, c_void_p, c_size_t, P(c_float), P(c_float)]),
    ("gan_model_evaluate_classifier", _STATUS,
     [model_p, _lib.dataset_p, c_size_t, P(c_float), P(c_float)]),
    ("gan_fid_stats_create", _STATUS, [P(_fid_stats_p), c_size_t]),
    ("gan_fid_stats_free", None, [_fid_stats_p]),
    ("gan_fid_stats_reset", _STATUS, [_fid_stats_p]),
    ("gan_fid_stats_add", _STATUS, [_fid_stats_p, _fp, c_size_t, c_size_t]),
    ("gan_fid_stats_merge", _STATUS, [_fid_stats_p, _fid_stats_p]),
    ("gan_fid_stats_info", _STATUS, [_fid_stats_p, P(c_size_t), P(c_uint64), P(ctypes.c_uint32)]),
    ("gan_fid_stats_moments", _STATUS, [_fid_stats_p, c_void_p, c_size_t, c_void_p, c_size_t]),
    ("gan_frechet_distance", _STATUS, [_fid_stats_p, _fid_stats_p, P(ctypes.c_double)]),
    ("gan_fid_stats_save", _STATUS, [_fid_stats_p, c_char_p]),
    ("gan_fid_stats_save_mem", _STATUS, [_fid_stats_p, P(c_void_p), P(c_size_t)]),
    ("gan_fid_stats_load", _STATUS, [P(_fid_stats_p), c_char_p]),
    ("gan_fid_stats_load_mem", _STATUS, [P(_fid_stats_p), c_void_p, c_size_t]),
    ("gan_inception_score", _STATUS,
     [_fp, c_size_t, c_size_t, c_int, P(ctypes.c_double), P(ctypes.c_double)]),
    ("gan_precision_recall", _STATUS,
     [_fp, c_size_t, c_size_t, _fp, c_size_t, c_size_t, c_size_t, c_int, P(ctypes.c_double),
      P(ctypes.c_double)]),
    ("gan_metrics_create", _STATUS, [P(_metrics_p), model_p, c_size_t, c_size_t]),
    ("gan_metrics_free", None, [_metrics_p]),
    ("gan_metrics_dims", _STATUS, [_metrics_p, P(c_size_t), P(c_size_t), P(ctypes.c_uint32)]),
    ("gan_metrics_run", _STATUS,
     [_metrics_p, _fp, c_size_t, c_size_t, _fid_stats_p, _fp, c_size_t]),
    ("gan_metrics_features", _STATUS, [_metrics_p, _fp, c_size_t, c_size_t, _fp, c_size_t]),
    ("gan_metrics_run_dataset", _STATUS,
     [_metrics_p, _lib.dataset_p, c_size_t, _fid_stats_p, _fp, c_size_t]),
    ("gan_metrics_run_generator", _STATUS,
     [_metrics_p, model_p, c_uint64, c_size_t, _fid_stats_p, _fp, c_size_t]),
]

# Declared like _lib's prototypes (argtypes, restype, the status check), and
# listed with them (tests compare the bound set with gan.h).
_lib._PROTOTYPES.extend(_PROTOTYPES)
for _name, _restype, _argtypes in _PROTOTYPES:
    try:
        _f = getattr(_lib.lib, _name)
    except AttributeError:
        _lib.missing.append(_name)
        setattr(fn, _name, _lib._missing_function(_name))
        continue
    _f.argtypes = _argtypes
    if _restype is _STATUS:
        _f.restype = _lib.c_status
        _f.errcheck = _lib._check
    else:
        _f.restype = _restype
    setattr(fn, _name, _f)
del _name, _restype, _argtypes


# ---------------------------------------------------------------------------
# The data directory
# ---------------------------------------------------------------------------

def _data_dir_candidates() -> Iterator[str]:
    env = os.environ.get("GAN_DATA_DIR")
    if env:
        yield env
        return
    libdir = os.path.dirname(os.path.realpath(_lib.path)) if os.sep in _lib.path else ""
    if libdir:
        # <prefix>/lib, <prefix>/lib64 and <prefix>/lib/<multiarch>
        yield os.path.join(libdir, os.pardir, "share", "libgan")
        yield os.path.join(libdir, os.pardir, os.pardir, "share", "libgan")
        # a build tree: the repository's models/ above it
        d = libdir
        for _ in range(4):
            if os.path.isfile(os.path.join(d, "include", "gan.h")):
                yield os.path.join(d, "models")
            d = os.path.dirname(d)
    # the source tree this package sits in
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, os.pardir, os.pardir, os.pardir, "models")
    yield "/usr/local/share/libgan"
    yield "/usr/share/libgan"


def data_dir() -> str:
    """The directory of the shipped classifier and reference statistics.

    $GAN_DATA_DIR when set (used as given); else the first of: share/libgan
    of the installation the loaded libgan.so.1 belongs to, the repository's
    models/ (a build tree or this source tree), /usr/local/share/libgan,
    /usr/share/libgan that holds the classifier.  If none does, the first
    candidate is returned, so errors name where the files were expected.
    """
    first = None
    for d in _data_dir_candidates():
        d = os.path.normpath(d)
        if first is None:
            first = d
        if os.environ.get("GAN_DATA_DIR") or os.path.isfile(os.path.join(d, CLASSIFIER_FILE)):
            return d
    return first or os.path.normpath("/usr/share/libgan")


def classifier_path() -> str:
    """The shipped feature network's file (data_dir()/fashion_mnist_classifier.gan)."""
    return os.path.join(data_dir(), CLASSIFIER_FILE)


def reference_path() -> str:
    """The shipped statistics of Fashion-MNIST's test set
    (data_dir()/fashion_mnist_t10k.fidstats)."""
    return os.path.join(data_dir(), REFERENCE_FILE)


def _model_class():
    from .model import Model
    return Model


def load_classifier(path: "Optional[_Path]" = None) -> "Model":
    """The shipped feature network (or the model file at `path`) as a Model."""
    return _model_class().load(path if path is not None else classifier_path())


# ---------------------------------------------------------------------------
# Feature statistics
# ---------------------------------------------------------------------------

def _features_in(features: "_FloatIn", what: str = "features") -> Tuple[Any, int, int]:
    """A float32 feature matrix: (buffer, n, dim)."""
    b = B.floats_in(features, what)
    if b.shape is None or len(b.shape) != 2:
        raise _errors.ShapeError("%s must be a 2-D array (n samples, dim features), not shape %s"
                                 % (what, b.shape), _errors.ESHAPE)
    return b, int(b.shape[0]), int(b.shape[1])


class FidStats(Handle):
    """Streaming statistics (count, mean, covariance) of one set of feature
    vectors, accumulated in double precision (gan_fid_stats).

    FidStats(dim) is empty; add() feature batches, or fill it with
    Metrics.run(..., stats=) / run_dataset / run_generator, or load() a
    .fidstats file.  frechet_distance() compares two.
    """

    _kind = "fid_stats"

    def __init__(self, dim: int) -> None:
        h = _fid_stats_p()
        fn.gan_fid_stats_create(ctypes.byref(h), int(dim))
        self._adopt(h, fn.gan_fid_stats_free)

    @classmethod
    def _wrap(cls, ptr: Any) -> "FidStats":
        obj = cls.__new__(cls)
        obj._adopt(ptr, fn.gan_fid_stats_free)
        return obj

    @classmethod
    def from_features(cls, features: "_FloatIn") -> "FidStats":
        """Statistics of a (n, dim) float32 array of feature vectors."""
        b, n, dim = _features_in(features)
        s = cls(dim)
        fn.gan_fid_stats_add(s._h, b.ptr, b.count, n)
        return s

    @classmethod
    def load(cls, path: "_Path") -> "FidStats":
        """Statistics saved by save() (or the shipped reference_path())."""
        h = _fid_stats_p()
        fn.gan_fid_stats_load(ctypes.byref(h), cstr(path))
        return cls._wrap(h)

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview]) -> "FidStats":
        """Statistics from the bytes of a .fidstats file (to_bytes())."""
        buf = bytes(data)
        h = _fid_stats_p()
        fn.gan_fid_stats_load_mem(ctypes.byref(h), buf, len(buf))
        return cls._wrap(h)

    def save(self, path: "_Path") -> None:
        """Write the statistics to path (atomically)."""
        fn.gan_fid_stats_save(self._h, cstr(path))

    def to_bytes(self) -> bytes:
        """The statistics as the bytes of a .fidstats file."""
        p = c_void_p()
        n = c_size_t()
        fn.gan_fid_stats_save_mem(self._h, ctypes.byref(p), ctypes.byref(n))
        try:
            return ctypes.string_at(p.value or 0, n.value)
        finally:
            fn.gan_free(p)

    def add(self, features: "_FloatIn") -> "FidStats":
        """Add a (n, dim) float32 array of feature vectors; returns self."""
        b, n, dim = _features_in(features)
        if dim != self.dim:
            raise _errors.ShapeError("features of dimension %d for statistics of dimension %d"
                                     % (dim, self.dim), _errors.ESHAPE)
        fn.gan_fid_stats_add(self._h, b.ptr, b.count, n)
        return self

    def merge(self, other: "FidStats") -> "FidStats":
        """Add every sample of other (same dimension and network); returns self."""
        fn.gan_fid_stats_merge(self._h, other._h)
        return self

    def reset(self) -> "FidStats":
        """Forget every sample (and the network id); returns self."""
        fn.gan_fid_stats_reset(self._h)
        return self

    def _info(self) -> Tuple[int, int, int]:
        dim, count, nid = c_size_t(), c_uint64(), ctypes.c_uint32()
        fn.gan_fid_stats_info(self._h, ctypes.byref(dim), ctypes.byref(count), ctypes.byref(nid))
        return int(dim.value), int(count.value), int(nid.value)

    @property
    def dim(self) -> int:
        """The feature dimension."""
        return self._info()[0]

    @property
    def count(self) -> int:
        """How many feature vectors were added."""
        return self._info()[1]

    @property
    def network_id(self) -> int:
        """The id of the feature network that filled it (0: unknown, matches any)."""
        return self._info()[2]

    def __len__(self) -> int:
        return self.count

    def moments(self) -> Tuple[Any, Any]:
        """(mean, covariance): a (dim,) and a (dim, dim) float64 array (NumPy),
        or flat array.array('d') objects without NumPy."""
        dim = self.dim
        if B.np is not None:
            mean = B.np.empty((dim,), dtype=B.np.float64)
            cov = B.np.empty((dim, dim), dtype=B.np.float64)
            mp, cp = mean.ctypes.data, cov.ctypes.data
        else:  # pragma: no cover - without NumPy
            import array
            mean = array.array("d", bytes(8 * dim))
            cov = array.array("d", bytes(8 * dim * dim))
            mp, cp = mean.buffer_info()[0], cov.buffer_info()[0]
        fn.gan_fid_stats_moments(self._h, mp, dim, cp, dim * dim)
        return mean, cov

    def __repr__(self) -> str:
        if self.closed:
            return "<libgan.metrics.FidStats closed>"
        dim, count, nid = self._info()
        return "<libgan.metrics.FidStats dim=%d count=%d network=%08x>" % (dim, count, nid)


def _as_stats(x: "Union[FidStats, _FloatIn]", what: str) -> Tuple["FidStats", bool]:
    if isinstance(x, FidStats):
        return x, False
    return FidStats.from_features(x), True


def frechet_distance(a: "Union[FidStats, _FloatIn]", b: "Union[FidStats, _FloatIn]") -> float:
    """The Frechet distance of the Gaussians fitted to a and b.

    Each of a and b is a FidStats or a (n, dim) float32 array of feature
    vectors: ``frechet_distance(features_a, features_b)`` is the FID of two
    arrays.  Statistics of different feature networks are refused
    (StateError)."""
    sa, close_a = _as_stats(a, "a")
    try:
        sb, close_b = _as_stats(b, "b")
        try:
            out = ctypes.c_double()
            fn.gan_frechet_distance(sa._h, sb._h, ctypes.byref(out))
            return float(out.value)
        finally:
            if close_b:
                sb.close()
    finally:
        if close_a:
            sa.close()


def inception_score(probs: "_FloatIn", splits: int = 10) -> Tuple[float, float]:
    """(mean, std) of the Inception Score of n samples' class probabilities.

    probs: a (n, K) float32 array whose rows are probability distributions
    (each value in [0, 1]).  The score is computed on `splits` consecutive
    parts (0: 10) as in Salimans et al.'s code; std is the population
    standard deviation over the parts."""
    b = B.floats_in(probs, "probs")
    if b.shape is None or len(b.shape) != 2:
        raise _errors.ShapeError("probs must be a 2-D array (n samples, K classes)",
                                 _errors.ESHAPE)
    mean, std = ctypes.c_double(), ctypes.c_double()
    fn.gan_inception_score(b.ptr, b.count, int(b.shape[0]), int(splits), ctypes.byref(mean),
                           ctypes.byref(std))
    return float(mean.value), float(std.value)


def precision_recall(real: "_FloatIn", fake: "_FloatIn", k: int = 3) -> Tuple[float, float]:
    """(precision, recall) of generated features against real ones, the
    improved metric of Kynkaanniemi et al. 2019: each set's manifold is the
    union of balls reaching each point's k-th nearest neighbour in its own
    set; precision is the share of fake rows inside the real manifold,
    recall the share of real rows inside the fake one.

    real, fake: (n, dim) float32 arrays of features (e.g. Metrics.features
    of the FID classifier), each with more than k rows."""
    r, nr, dr = _features_in(real, "real")
    f, nf, df = _features_in(fake, "fake")
    if dr != df:
        raise _errors.ShapeError("real has %d features per row, fake %d" % (dr, df),
                                 _errors.ESHAPE)
    p, q = ctypes.c_double(), ctypes.c_double()
    fn.gan_precision_recall(r.ptr, r.count, nr, f.ptr, f.count, nf, dr, int(k), ctypes.byref(p),
                            ctypes.byref(q))
    return float(p.value), float(q.value)


def softmax_cross_entropy(logits: "_FloatIn", labels: "_Labels") -> Tuple[float, "_FloatArray", int]:
    """(loss, d_logits, n_correct) of a (batch, K) float32 array of logits
    against batch integer labels: the mean cross-entropy, its gradient
    with respect to the logits (same shape) and how many argmaxes equal
    the label."""
    b = B.floats_in(logits, "logits")
    if b.shape is None or len(b.shape) != 2:
        raise _errors.ShapeError("logits must be a 2-D array (batch, K classes)", _errors.ESHAPE)
    batch = int(b.shape[0])
    lb = B.int32_in(labels, "labels")
    if lb.count != batch:
        raise _errors.ShapeError("%d labels for %d rows of logits" % (lb.count, batch),
                                 _errors.ESHAPE)
    grad, gb = B.floats_out(b.shape)
    value, correct = c_float(), c_size_t()
    fn.gan_softmax_cross_entropy(b.ptr, b.count, batch, lb.ptr, ctypes.byref(value), gb.ptr,
                                 ctypes.byref(correct))
    return float(value.value), grad, int(correct.value)


def train_classifier_step(model: "Model", optimizer: "Optimizer", x: "_FloatIn",
                          labels: "_Labels") -> Tuple[float, float]:
    """One supervised step of a classifier (gan_model_train_classifier_step):
    forward x in training mode, softmax cross-entropy against labels,
    backward, one optimizer update.  Returns (loss, accuracy) of the batch,
    measured before the update."""
    xb = B.floats_in(x, "x")
    if xb.shape is None or len(xb.shape) < 2:
        raise _errors.ShapeError("x must be an array of (batch,) + the model's input shape",
                                 _errors.ESHAPE)
    batch = int(xb.shape[0])
    lb = B.int32_in(labels, "labels")
    if lb.count != batch:
        raise _errors.ShapeError("%d labels for %d samples" % (lb.count, batch), _errors.ESHAPE)
    loss, acc = c_float(), c_float()
    fn.gan_model_train_classifier_step(model._h, optimizer._h, xb.ptr, xb.count, lb.ptr, batch,
                                       ctypes.byref(loss), ctypes.byref(acc))
    return float(loss.value), float(acc.value)


def evaluate_classifier(model: "Model", dataset: "Dataset", batch: int = 0) -> Tuple[float, float]:
    """(mean loss, accuracy) of a classifier over every labelled sample of
    dataset, in inference mode (batch samples per forward, 0: 256)."""
    loss, acc = c_float(), c_float()
    fn.gan_model_evaluate_classifier(model._h, dataset._h, int(batch), ctypes.byref(loss),
                                     ctypes.byref(acc))
    return float(loss.value), float(acc.value)


# ---------------------------------------------------------------------------
# The feature network driver
# ---------------------------------------------------------------------------

class Metrics(Handle):
    """A feature network run over images (gan_metrics): features for
    FidStats and softmax class probabilities for the Inception Score.

    Metrics() uses the shipped classifier; Metrics(model) any libgan model
    whose last layer outputs class logits.  feature_layer is the layer whose
    output are the features (-1: the input of the last layer).  The network
    is borrowed (kept alive) and must not be used elsewhere meanwhile.
    """

    _kind = "metrics"

    def __init__(self, network: "Optional[Model]" = None, feature_layer: int = -1,
                 max_batch: int = 0) -> None:
        if network is None:
            network = load_classifier()
        self.network = network
        h = _metrics_p()
        fn.gan_metrics_create(ctypes.byref(h), network._h, network._layer_or_special(feature_layer),
                              int(max_batch))
        self._adopt(h, fn.gan_metrics_free)
        self._depend_on(network)

    def _dims(self) -> Tuple[int, int, int]:
        dim, k, nid = c_size_t(), c_size_t(), ctypes.c_uint32()
        fn.gan_metrics_dims(self._h, ctypes.byref(dim), ctypes.byref(k), ctypes.byref(nid))
        return int(dim.value), int(k.value), int(nid.value)

    @property
    def feature_dim(self) -> int:
        """The dimension of the features (FidStats(dim))."""
        return self._dims()[0]

    @property
    def classes(self) -> int:
        """The number of classes (0 if the network does not output logits)."""
        return self._dims()[1]

    @property
    def network_id(self) -> int:
        """The network's id (a CRC of its weights and feature layer), never 0."""
        return self._dims()[2]

    def new_stats(self) -> FidStats:
        """Empty statistics of this network's feature dimension."""
        return FidStats(self.feature_dim)

    def _images(self, images: "_FloatIn") -> Tuple[Any, int]:
        b = B.floats_in(images, "images")
        shape = tuple(self.network.input_shape)
        per = B.prod(shape)
        if b.count == 0 or b.count % per:
            raise _errors.ShapeError("images hold %d values, not a positive multiple of the "
                                     "network's input %s" % (b.count, shape), _errors.ESHAPE)
        return b, b.count // per

    def run(self, images: "_FloatIn", stats: Optional[FidStats] = None,
            probs: bool = True) -> "Optional[_FloatArray]":
        """Run images ((n,) + the network's input shape, float32 in [-1, 1]):
        add their features to stats (a FidStats, may be None) and return
        their (n, classes) class probabilities (None if probs is False)."""
        b, n = self._images(images)
        out, ob = (B.floats_out((n, self.classes)) if probs else (None, None))
        fn.gan_metrics_run(self._h, b.ptr, b.count, n, stats._h if stats is not None else None,
                           ob.ptr if ob else None, ob.count if ob else 0)
        return out

    def features(self, images: "_FloatIn") -> "_FloatArray":
        """The (n, feature_dim) raw features of images."""
        b, n = self._images(images)
        out, ob = B.floats_out((n, self.feature_dim))
        fn.gan_metrics_features(self._h, b.ptr, b.count, n, ob.ptr, ob.count)
        return out

    def run_dataset(self, dataset: "Dataset", limit: int = 0, stats: Optional[FidStats] = None,
                    probs: bool = False) -> "Optional[_FloatArray]":
        """The same over the first `limit` samples of a Dataset (0: all), in
        dataset order; returns the probabilities if probs, else None."""
        size = c_size_t()
        fn.gan_dataset_size(dataset._h, ctypes.byref(size))
        n = min(int(limit), size.value) if limit else size.value
        out, ob = (B.floats_out((n, self.classes)) if probs else (None, None))
        fn.gan_metrics_run_dataset(self._h, dataset._h, int(limit),
                                   stats._h if stats is not None else None,
                                   ob.ptr if ob else None, ob.count if ob else 0)
        return out

    def run_generator(self, generator: "Model", n: int = 10000, seed: int = 0,
                      stats: Optional[FidStats] = None,
                      probs: bool = True) -> "Optional[_FloatArray]":
        """The same over n images of a generator Model from latent seed (the
        protocol of gan eval); returns the probabilities if probs."""
        out, ob = (B.floats_out((int(n), self.classes)) if probs else (None, None))
        fn.gan_metrics_run_generator(self._h, generator._h, int(seed), int(n),
                                     stats._h if stats is not None else None,
                                     ob.ptr if ob else None, ob.count if ob else 0)
        return out

    def fid(self, images_a: "_FloatIn", images_b: "_FloatIn") -> float:
        """The FID of two sets of images under this network."""
        with self.new_stats() as a, self.new_stats() as b:
            self.run(images_a, stats=a, probs=False)
            self.run(images_b, stats=b, probs=False)
            return frechet_distance(a, b)

    def inception_score(self, images: "_FloatIn", splits: int = 10) -> Tuple[float, float]:
        """(mean, std) Inception Score of a set of images."""
        probs = self.run(images)
        assert probs is not None
        return inception_score(probs, splits)


def evaluate_generator(generator: "Model", n: int = 10000, seed: int = 0,
                       metrics: Optional[Metrics] = None,
                       reference: "Union[FidStats, _Path, None]" = None) -> Dict[str, Any]:
    """FID and Inception Score of a generator Model, as ``gan eval`` computes
    them: n images from latent seed, the shipped classifier (or `metrics`),
    the shipped statistics of Fashion-MNIST's test set (or `reference`, a
    FidStats or a .fidstats path).  Returns {'fid', 'is', 'is_std', 'n',
    'seed'}."""
    own = metrics is None
    mt = metrics if metrics is not None else Metrics()
    try:
        if reference is None:
            reference = reference_path()
        ref = reference if isinstance(reference, FidStats) else FidStats.load(reference)
        try:
            with mt.new_stats() as st:
                probs = mt.run_generator(generator, n=n, seed=seed, stats=st)
                fid = frechet_distance(ref, st)
            assert probs is not None
            score, std = inception_score(probs, 10)
        finally:
            if ref is not reference:
                ref.close()
        return {"fid": fid, "is": score, "is_std": std, "n": int(n), "seed": int(seed)}
    finally:
        if own:
            mt.close()
            mt.network.close()


__all__ = [
    "data_dir", "classifier_path", "reference_path", "load_classifier", "FidStats", "Metrics",
    "frechet_distance", "inception_score", "softmax_cross_entropy", "train_classifier_step",
    "evaluate_classifier", "evaluate_generator", "CLASSIFIER_FILE", "REFERENCE_FILE",
]
