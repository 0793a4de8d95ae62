"""gan_sampler, latent interpolation and PNG grids."""

import ctypes

from . import _buffers as B
from . import _errors
from ._handle import Handle
from ._lib import cstr, fn, sampler_p
from .model import Model, labels_for


class Sampler(Handle):
    """Draws images from a generator in inference mode (gan_sampler).

    Sampler(model, seed=0, max_batch=0) borrows ``model`` (closing the model
    closes the sampler).  generate(n) draws n latent vectors from the
    sampler's stream; generate(z=...) uses the caller's (n, latent) array.
    A conditional generator (model.num_classes > 0) needs labels=: the class
    of each image, or one int for all.
    """

    _kind = "sampler"
    _copy_hint = "; make another Sampler of the same model"

    def __init__(self, model, seed=0, max_batch=0):
        if not isinstance(model, Model):
            raise TypeError("model must be a libgan.Model")
        h = sampler_p()
        fn.gan_sampler_create(ctypes.byref(h), model._h, int(seed), int(max_batch))
        self._adopt(h, fn.gan_sampler_free)
        self.model = model
        self._depend_on(model)
        self.image_shape = model.output_shape

    def set_seed(self, seed):
        """Reset the latent stream: the same seed gives the same images."""
        fn.gan_sampler_set_seed(self._h, int(seed))

    def _dims(self):
        lat, img = ctypes.c_size_t(), ctypes.c_size_t()
        fn.gan_sampler_dims(self._h, ctypes.byref(lat), ctypes.byref(img))
        return lat.value, img.value

    @property
    def latent_dim(self):
        """The size of one latent vector."""
        return self._dims()[0]

    def latent(self, n):
        """n latent vectors N(0, 1) from the stream, shape (n, latent_dim)."""
        h = self._h
        lat = self.latent_dim
        z, zb = B.floats_out((int(n), lat))
        fn.gan_sampler_latent(h, int(n), zb.ptr, zb.count)
        return z

    def _z(self, n, z):
        lat = self.latent_dim
        if z is None:
            if n is None or int(n) < 1:
                raise _errors.InvalidArgumentError("give n >= 1 or z", _errors.EINVAL)
            return int(n), None
        zb = B.floats_in(z, "z")
        k = Model._batch_of(zb, (lat,), "z")
        if n is not None and int(n) != k:
            raise _errors.ShapeError("n=%d but z holds %d latent vectors" % (n, k),
                                     _errors.ESHAPE)
        return k, zb

    def generate(self, n=None, z=None, uint8=False, out=None, labels=None):
        """n images, shape (n, h, w, c): float32 in [-1, 1] for a tanh output,
        or with uint8=True 8-bit pixels round((x + 1) * 127.5).  labels: the
        classes of a conditional generator's images (n values, or one int)."""
        h = self._h
        n, zb = self._z(n, z)
        shape = (n,) + tuple(self.image_shape)
        zp, zc = (zb.ptr, zb.count) if zb is not None else (None, 0)
        lb = labels_for(labels, n) if labels is not None else None
        if uint8:
            img, ib = B.u8_out(shape, out)
            if lb is None:
                fn.gan_sampler_generate_u8(h, zp, zc, n, ib.ptr, ib.count)
            else:
                fn.gan_sampler_generate_labeled_u8(h, zp, zc, lb.ptr, n, ib.ptr, ib.count)
        else:
            img, ib = B.floats_out(shape, out)
            if lb is None:
                fn.gan_sampler_generate(h, zp, zc, n, ib.ptr, ib.count)
            else:
                fn.gan_sampler_generate_labeled(h, zp, zc, lb.ptr, n, ib.ptr, ib.count)
        return img

    def generate_u8(self, n=None, z=None, out=None, labels=None):
        """generate(..., uint8=True): 8-bit pixels."""
        return self.generate(n, z, uint8=True, out=out, labels=labels)

    def interpolate(self, z0, z1, steps, spherical=True, uint8=False, labels=None):
        """Images along the path from latent z0 to z1 (steps images)."""
        return self.generate(z=latent_interpolate(z0, z1, steps, spherical), uint8=uint8,
                             labels=labels)


def latent_interpolate(z0, z1, steps, spherical=False):
    """`steps` vectors from z0 to z1 (linear, or slerp), shape (steps, dim)."""
    b0, b1 = B.floats_in(z0, "z0"), B.floats_in(z1, "z1")
    if b0.count != b1.count:
        raise _errors.ShapeError("z0 has %d values, z1 %d" % (b0.count, b1.count),
                                 _errors.ESHAPE)
    out, ob = B.floats_out((int(steps), b0.count))
    fn.gan_latent_interpolate(b0.ptr, b1.ptr, b0.count, int(steps), 1 if spherical else 0,
                              ob.ptr, ob.count)
    return out


def _grid_args(images, shape):
    b = B.u8_in(images, "images")
    if B.is_ndarray(b.keep) or (shape is None and b.shape is not None):
        s = tuple(b.shape)
        if len(s) == 3:
            s = s + (1,)
        if len(s) != 4:
            raise _errors.ShapeError("images must have shape (n, h, w) or (n, h, w, c), not %s"
                                     % (tuple(b.shape),), _errors.ESHAPE)
        n, hh, ww, cc = s
    else:
        if shape is None:
            raise _errors.ShapeError("a flat image buffer needs shape=(h, w, c)", _errors.ESHAPE)
        hh, ww, cc = shape
        per = hh * ww * cc
        if b.count == 0 or b.count % per:
            raise _errors.ShapeError("images hold %d bytes, not a multiple of %d"
                                     % (b.count, per), _errors.ESHAPE)
        n = b.count // per
    return b, int(n), int(hh), int(ww), int(cc)


def write_png_grid(path, images, cols=0, pad=2, shape=None):
    """Write uint8 images (n, h, w[, c]; c = 1, 3 or 4) as one PNG grid of
    ``cols`` columns (0: square), atomically.  A flat buffer needs shape=(h, w, c)."""
    b, n, h, w, c = _grid_args(images, shape)
    fn.gan_png_write_grid(cstr(path), b.ptr, n, h, w, c, int(cols), int(pad))


def encode_png_grid(images, cols=0, pad=2, shape=None):
    """The same PNG as bytes."""
    b, n, h, w, c = _grid_args(images, shape)
    p = ctypes.c_void_p()
    ln = ctypes.c_size_t()
    fn.gan_png_encode_grid(b.ptr, n, h, w, c, int(cols), int(pad), ctypes.byref(p),
                           ctypes.byref(ln))
    try:
        return ctypes.string_at(p.value, ln.value)
    finally:
        fn.gan_free(p)


def to_uint8(images):
    """float images in [-1, 1] -> uint8 pixels, as the sampler maps them
    (needs NumPy)."""
    import numpy as np
    x = np.asarray(images, dtype=np.float32)
    return np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8)
