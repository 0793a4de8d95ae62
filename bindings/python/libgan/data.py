"""gan_dataset: samples in memory or from IDX / CIFAR-10 files, and batching."""

import ctypes
import os

from . import _buffers as B
from . import _errors
from ._handle import Handle
from ._lib import BatchConfig, cstr, dataset_p, fn

#: Where Debian's dataset-fashion-mnist package puts Fashion-MNIST.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def _sample_shape(arr_shape, shape, what):
    """Sample shape of an (n, ...) array: (n, f) -> (f,), (n, h, w) -> (h, w, 1),
    (n, h, w, c) -> (h, w, c); or the explicit ``shape``."""
    if shape is not None:
        shape = (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)
        if len(shape) not in (1, 3):
            raise _errors.InvalidArgumentError("shape must have 1 or 3 dimensions",
                                               _errors.EINVAL)
        if arr_shape is not None and len(arr_shape) > 1:
            per = B.prod(arr_shape[1:])
            if per != B.prod(shape):
                raise _errors.ShapeError("%s has samples of shape %s, which do not hold %s"
                                         % (what, tuple(arr_shape[1:]), shape), _errors.ESHAPE)
        return shape
    if arr_shape is None or len(arr_shape) < 2:
        raise _errors.ShapeError(
            "%s: pass a numpy array of shape (n, features), (n, h, w) or (n, h, w, c), "
            "or a flat buffer with shape=(sample shape)" % what, _errors.ESHAPE)
    if len(arr_shape) == 2:
        return (int(arr_shape[1]),)
    if len(arr_shape) == 3:
        return (int(arr_shape[1]), int(arr_shape[2]), 1)
    if len(arr_shape) == 4:
        return tuple(int(d) for d in arr_shape[1:])
    raise _errors.ShapeError("%s has shape %s: too many dimensions" % (what, tuple(arr_shape)),
                             _errors.ESHAPE)


class Dataset(Handle):
    """Samples (float32, NHWC, one shape) with optional labels, and an
    iterator over shuffled mini-batches.  Use the constructors:
    from_array, from_uint8, load_idx, load_idx_bytes, load_mnist_dir,
    load_cifar10, load_cifar10_bytes; and convert().

    Iterating (``for x, labels in ds``) yields the batches of one epoch under
    the current batching (set_batching); labels is None without labels.
    """

    _kind = "dataset"

    def __init__(self):
        raise TypeError("use Dataset.from_array(), from_uint8(), load_idx(), ...")

    @classmethod
    def _wrap(cls, ptr, keep=None):
        obj = cls.__new__(cls)
        obj._adopt(ptr, fn.gan_dataset_free)
        obj._keep = keep
        return obj

    @staticmethod
    def _n_and_labels(b, shape, labels):
        per = B.prod(shape)
        if b.count == 0 or b.count % per:
            raise _errors.ShapeError("data holds %d values, not a positive multiple of %d "
                                     "(sample shape %s)" % (b.count, per, shape), _errors.ESHAPE)
        n = b.count // per
        lb = None
        if labels is not None:
            lb = B.int32_in(labels, "labels")
            if lb.count != n:
                raise _errors.ShapeError("%d labels for %d samples" % (lb.count, n),
                                         _errors.ESHAPE)
        return n, lb

    @classmethod
    def from_array(cls, x, labels=None, shape=None, copy=True):
        """Float32 samples: a numpy array (n, features), (n, h, w) (one
        channel) or (n, h, w, c), or a flat float buffer with shape= the
        sample shape.  labels: n integers >= 0 (an integer numpy array of
        another dtype is converted to int32).  copy=False borrows x (the
        dataset keeps a reference; do not change x while it is in use)."""
        b = B.floats_in(x, "x")
        shape = _sample_shape(b.shape, shape, "x")
        n, lb = cls._n_and_labels(b, shape, labels)
        dims = (ctypes.c_int * len(shape))(*shape)
        h = dataset_p()
        fn.gan_dataset_create_float(ctypes.byref(h), b.ptr, n, len(shape), dims,
                                    lb.ptr if lb else None, 1 if copy else 0)
        return cls._wrap(h, keep=None if copy else (b, lb))

    @classmethod
    def from_uint8(cls, x, labels=None, shape=None):
        """uint8 pixels mapped to [-1, 1] (x / 127.5 - 1), always copied.
        Shapes as from_array (a uint8 numpy array, or bytes with shape=)."""
        b = B.u8_in(x, "x")
        shape = _sample_shape(b.shape if B.is_ndarray(b.keep) else None, shape, "x")
        n, lb = cls._n_and_labels(b, shape, labels)
        dims = (ctypes.c_int * len(shape))(*shape)
        h = dataset_p()
        fn.gan_dataset_create_u8(ctypes.byref(h), b.ptr, n, len(shape), dims,
                                 lb.ptr if lb else None)
        return cls._wrap(h)

    @classmethod
    def load_idx(cls, images_path, labels_path=None):
        """MNIST-format IDX files (raw or gzip)."""
        h = dataset_p()
        fn.gan_dataset_load_idx(ctypes.byref(h), cstr(images_path),
                                cstr(labels_path) if labels_path is not None else None)
        return cls._wrap(h)

    @classmethod
    def load_idx_bytes(cls, images, labels=None):
        """The same as load_idx from the bytes of the images (and labels) files."""
        ib = B.u8_in(images, "images")
        lb = B.u8_in(labels, "labels") if labels is not None else None
        h = dataset_p()
        fn.gan_dataset_load_idx_mem(ctypes.byref(h), ib.ptr, ib.count,
                                    lb.ptr if lb else None, lb.count if lb else 0)
        return cls._wrap(h)

    @classmethod
    def load_mnist_dir(cls, directory=FASHION_MNIST_DIR, train=True):
        """(Fashion-)MNIST from a directory of train-*/t10k-* IDX files."""
        h = dataset_p()
        fn.gan_dataset_load_mnist_dir(ctypes.byref(h), cstr(directory), 1 if train else 0)
        return cls._wrap(h)

    @classmethod
    def load_cifar10(cls, path, train=True):
        """CIFAR-10 binary batches: one .bin file or the directory of them."""
        h = dataset_p()
        fn.gan_dataset_load_cifar10(ctypes.byref(h), cstr(path), 1 if train else 0)
        return cls._wrap(h)

    @classmethod
    def load_cifar10_bytes(cls, data):
        """CIFAR-10 from the bytes of one binary batch file."""
        b = B.u8_in(data, "data")
        h = dataset_p()
        fn.gan_dataset_load_cifar10_mem(ctypes.byref(h), b.ptr, b.count)
        return cls._wrap(h)

    @classmethod
    def load(cls, path, train=True):
        """A directory of IDX files or CIFAR-10 batches, or one file of either."""
        path = os.fspath(path)
        if os.path.isdir(path):
            names = os.listdir(path)
            if any(n.startswith("data_batch") or n == "test_batch.bin" for n in names):
                return cls.load_cifar10(path, train)
            return cls.load_mnist_dir(path, train)
        if path.endswith(".bin"):
            return cls.load_cifar10(path, train)
        return cls.load_idx(path)

    def convert(self, height, width, channels):
        """A new dataset with every sample padded/cropped to (h, w) and its
        channels replicated or averaged to ``channels``."""
        h = dataset_p()
        fn.gan_dataset_convert(ctypes.byref(h), self._h, int(height), int(width), int(channels))
        return Dataset._wrap(h)

    # ---- properties ---------------------------------------------------------
    def __len__(self):
        n = ctypes.c_size_t()
        fn.gan_dataset_size(self._h, ctypes.byref(n))
        return n.value

    @property
    def shape(self):
        """Per-sample shape."""
        ndim = ctypes.c_size_t()
        dims = (ctypes.c_int * 3)()
        fn.gan_dataset_shape(self._h, ctypes.byref(ndim), dims)
        return tuple(dims[i] for i in range(ndim.value))

    @property
    def has_labels(self):
        """True if the samples have class labels."""
        return self._labels_info()[0]

    @property
    def n_classes(self):
        """The number of classes (1 + the largest label; 0 without labels)."""
        return self._labels_info()[1]

    def _labels_info(self):
        hl, nc = ctypes.c_int(), ctypes.c_int()
        fn.gan_dataset_labels_info(self._h, ctypes.byref(hl), ctypes.byref(nc))
        return bool(hl.value), nc.value

    def __repr__(self):
        if self.closed:
            return "<libgan.Dataset closed>"
        return "<libgan.Dataset %d samples of %s>" % (len(self), self.shape)

    def limit(self, n):
        """Use only the first n samples (0: all); resets the iterator."""
        fn.gan_dataset_limit(self._h, int(n))
        return self

    def get(self, index):
        """(sample as an array of the sample shape, label or -1)."""
        h = self._h
        shape = self.shape
        x, xb = B.floats_out(shape)
        label = ctypes.c_int32()
        fn.gan_dataset_get(h, int(index), xb.ptr, xb.count, ctypes.byref(label))
        return x, label.value

    def __getitem__(self, index):
        if not isinstance(index, int):
            raise TypeError("dataset index must be an int")
        if index < 0:
            index += len(self)
        return self.get(index)

    # ---- batching -----------------------------------------------------------
    def set_batching(self, batch_size=64, shuffle=True, drop_remainder=True, seed=0):
        """How mini-batches are drawn; restarts at epoch 0."""
        c = BatchConfig()
        fn.gan_batch_config_init(ctypes.byref(c), ctypes.sizeof(c))
        c.batch_size = int(batch_size)
        c.shuffle = 1 if shuffle else 0
        c.drop_remainder = 1 if drop_remainder else 0
        c.seed = int(seed)
        fn.gan_dataset_set_batching(self._h, ctypes.byref(c))
        return self

    @property
    def batching(self):
        """The batching in effect, as a dict of set_batching's arguments."""
        c = BatchConfig()
        fn.gan_batch_config_init(ctypes.byref(c), ctypes.sizeof(c))
        fn.gan_dataset_get_batching(self._h, ctypes.byref(c))
        return {"batch_size": c.batch_size, "shuffle": bool(c.shuffle),
                "drop_remainder": bool(c.drop_remainder), "seed": c.seed}

    @property
    def batches_per_epoch(self):
        """Batches in one epoch under the current batching."""
        n = ctypes.c_size_t()
        fn.gan_dataset_batches_per_epoch(self._h, ctypes.byref(n))
        return n.value

    def next_batch(self):
        """(x, labels, epoch) of the next batch, or None at the end of an
        epoch (the following call starts the next epoch).  x has shape
        (n,) + shape; labels is an int32 array or None without labels."""
        h = self._h
        shape = self.shape
        bs = self.batching["batch_size"]
        x, xb = B.floats_out((bs,) + shape)
        has_labels = self.has_labels
        lab, lb = B.int32_out(bs) if has_labels else (None, None)
        n, epoch = ctypes.c_size_t(), ctypes.c_size_t()
        st = fn.gan_dataset_next_batch(h, xb.ptr, xb.count, lb.ptr if lb else None,
                                       ctypes.byref(n), ctypes.byref(epoch))
        if st == _errors.DONE:
            return None
        k = n.value
        if k != bs:
            x = B.truncate(x, k, (bs,) + shape)
            lab = B.truncate(lab, k, (bs,)) if lab is not None else None
        return x, lab, epoch.value

    def batches(self):
        """Yield (x, labels) for the batches of one epoch."""
        while True:
            b = self.next_batch()
            if b is None:
                return
            yield b[0], b[1]

    def __iter__(self):
        return self.batches()
