"""gan_dataset: samples in memory, from IDX / CIFAR-10 files or folders of
PNG / JPEG images, and batching."""

import ctypes
import os

from . import _buffers as B
from . import _errors
from ._handle import Handle
from ._lib import (IMAGE_PROGRESS, BatchConfig, ImageConfig, ImageReport, cstr, dataset_p,
                   fn)

#: Where Debian's dataset-fashion-mnist package puts Fashion-MNIST.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"

_FITS = {"crop": 0, "pad": 1, "stretch": 2}
_LABELS = {"auto": 0, "none": 1, "folders": 2}
_ON_ERROR = {"fail": 0, "skip": 1}
_CACHE_STATES = {0: "off", 1: "hit", 2: "written", 3: "write_failed"}


def _choice(value, table, what):
    if value not in table:
        raise _errors.InvalidArgumentError("%s must be one of %s, not %r"
                                           % (what, ", ".join(sorted(table)), value),
                                           _errors.EINVAL)
    return table[value]


def _image_config(size, channels, fit, background, labels, on_error, flip_x, max_pixels,
                  cache):
    """A gan_image_config from load_images' keyword arguments."""
    c = ImageConfig()
    fn.gan_image_config_init(ctypes.byref(c), ctypes.sizeof(c))
    if size is not None:
        if isinstance(size, int):
            c.height = c.width = size
        else:
            h, w = size
            c.height, c.width = int(h), int(w)
    c.channels = int(channels)
    c.fit = _choice(fit, _FITS, "fit")
    if isinstance(background, int):
        c.background = background
    else:
        r, g, b = (int(v) for v in background)
        if not all(0 <= v <= 255 for v in (r, g, b)):
            raise _errors.InvalidArgumentError("background values must be in 0..255",
                                               _errors.EINVAL)
        c.background = (r << 16) | (g << 8) | b
    c.labels = _choice(labels, _LABELS, "labels")
    c.on_error = _choice(on_error, _ON_ERROR, "on_error")
    c.flip_x = 1 if flip_x else 0
    if max_pixels is not None:
        c.max_pixels = int(max_pixels)
    if cache is not None:
        c.cache_path = cstr(cache)
    return c


def _with_progress(c, progress, call):
    """Run call() with c.progress calling progress(done, total, name); an
    exception raised by progress is raised again after the load."""
    failure = []
    c_progress = IMAGE_PROGRESS(0)
    if progress is not None:
        def _progress(done, total, name, user):
            if failure:
                return
            try:
                progress(int(done), int(total),
                         name.decode("utf-8", "replace") if name is not None else None)
            except BaseException as e:  # noqa: B902 - re-raised after the load
                failure.append(e)
        c_progress = IMAGE_PROGRESS(_progress)
    c.progress = c_progress
    try:
        result = call()
    except _errors.GanError:
        if failure:
            raise failure[0] from None
        raise
    finally:
        c.progress = IMAGE_PROGRESS(0)
        del c_progress
    if failure:
        raise failure[0]
    return result


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
    load_cifar10, load_cifar10_bytes, load_images, load_images_bytes (or
    the module function load_images); and convert().

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
    def load_images(cls, directory, size=None, channels=3, fit="crop", background=(0, 0, 0),
                    labels="auto", on_error="fail", flip_x=False, max_pixels=None, cache=None,
                    progress=None):
        """The PNG and JPEG images under a folder (recursively, in byte order
        of their relative paths), as (height, width, channels) images in
        [-1, 1].  See gan.h, gan_dataset_load_images, for every rule.

        size: None (every image must have the first one's size), an int
        (square) or (height, width): the images are resized (area when
        shrinking, bilinear when growing) after fit = "crop" (centred, to
        the target's aspect ratio), "pad" (centred on background, or
        transparent with 4 channels) or "stretch".  channels: 1, 3 (alpha
        composited on background, an (r, g, b) tuple or 0xRRGGBB) or 4
        (alpha kept).  labels: "auto" (first-level sub-folders as classes
        when every image is in one and there are at least two), "folders"
        (required) or "none"; class_names gives the names.  on_error:
        "fail" (raise at the first bad file, naming it) or "skip" (skip and
        count; image_report has the first error).  flip_x: random
        left-right mirroring in batches.  max_pixels: the largest image
        accepted (default 2**25).  cache: a file path for the cache of the
        preprocessed set (rebuilt when a file, its time or a setting
        changes).  progress: progress(done, total, name) after each file
        (name None on a cache hit)."""
        c = _image_config(size, channels, fit, background, labels, on_error, flip_x,
                          max_pixels, cache)
        h = dataset_p()
        path = cstr(directory)
        _with_progress(c, progress,
                       lambda: fn.gan_dataset_load_images(ctypes.byref(h), path, ctypes.byref(c)))
        return cls._wrap(h)

    @classmethod
    def load_images_bytes(cls, files, size=None, channels=3, fit="crop", background=(0, 0, 0),
                          labels="auto", on_error="fail", flip_x=False, max_pixels=None,
                          cache=None, progress=None):
        """The same from encoded PNG / JPEG files in memory: a list of
        (name, bytes) pairs or a dict {name: bytes}, in that order (names
        are relative paths: "cat/1.png" has the class "cat")."""
        items = list(files.items()) if isinstance(files, dict) else list(files)
        if not items:
            raise _errors.InvalidArgumentError("files is empty", _errors.EINVAL)
        n = len(items)
        bufs = [B.u8_in(data, "files[%d]" % i) for i, (_, data) in enumerate(items)]
        c_bufs = (ctypes.c_void_p * n)(*[b.ptr for b in bufs])
        c_lens = (ctypes.c_size_t * n)(*[b.count for b in bufs])
        c_names = (ctypes.c_char_p * n)(*[os.fsencode(name) for name, _ in items])
        c = _image_config(size, channels, fit, background, labels, on_error, flip_x,
                          max_pixels, cache)
        h = dataset_p()
        _with_progress(c, progress, lambda: fn.gan_dataset_load_images_mem(
            ctypes.byref(h), c_bufs, c_lens, c_names, n, ctypes.byref(c)))
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

    @property
    def class_names(self):
        """The class names, label k naming class k ([] without names)."""
        count = ctypes.c_size_t()
        fn.gan_dataset_class_count(self._h, ctypes.byref(count))
        names = []
        for k in range(count.value):
            need = ctypes.c_size_t()
            fn.gan_dataset_class_name(self._h, k, None, 0, ctypes.byref(need))
            buf = ctypes.create_string_buffer(need.value + 1)
            fn.gan_dataset_class_name(self._h, k, buf, len(buf), None)
            names.append(buf.value.decode("utf-8", "replace"))
        return names

    @property
    def image_report(self):
        """How the load from images went, as a dict: files, loaded, skipped,
        ignored, cache ("off", "hit", "written", "write_failed"),
        first_error, cache_note.  InvalidArgumentError for other datasets."""
        r = ImageReport()
        r.struct_size = ctypes.sizeof(r)
        fn.gan_dataset_image_report(self._h, ctypes.byref(r))
        return {"files": r.files, "loaded": r.loaded, "skipped": r.skipped,
                "ignored": r.ignored, "cache": _CACHE_STATES.get(r.cache, str(r.cache)),
                "first_error": r.first_error.decode("utf-8", "replace"),
                "cache_note": r.cache_note.decode("utf-8", "replace")}

    def set_flip_x(self, on=True):
        """Mirror images left-right at random in batches (see gan.h)."""
        fn.gan_dataset_set_flip_x(self._h, 1 if on else 0)
        return self

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


def load_images(directory, size=None, channels=3, **options):
    """Dataset.load_images: a dataset of the PNG and JPEG images under a
    folder, e.g. load_images("sprites/", size=64, channels=4, cache="s.cache")."""
    return Dataset.load_images(directory, size=size, channels=channels, **options)
