"""Data-parallel training over MPI with mpi4py (libgan_mpi, gan_mpi.h).

    from mpi4py import MPI
    import libgan
    from libgan.distributed import Distributed

    trainer = libgan.Trainer(g, d, g_opt, d_opt, loss)      # the same on every rank
    data = libgan.Dataset.load_mnist_dir(libgan.FASHION_MNIST_DIR).set_batching(256)
    with Distributed(trainer, MPI.COMM_WORLD, dataset=data) as dist:
        trainer.fit(data, epochs=5)                          # batch 256 = the GLOBAL batch
        dist.save("ckpt.gan", data)                          # rank 0 writes

Run it with ``mpirun -np 4 python3 train.py``.  Attaching copies rank 0's
whole training state to every rank, makes ``dataset`` read this rank's slice
of every global batch and sums the gradients over the communicator while the
backward pass runs (docs/distributed.md).  Every method is collective unless
it says otherwise: call it on every rank, in the same order.

libgan_mpi.so is found through GAN_MPI_LIBRARY (a path), next to the loaded
libgan.so, then as an installed libgan_mpi.so.1.
"""

import ctypes
import os

from . import _errors, _lib
from ._handle import Handle
from .data import Dataset
from .training import Trainer

c_int, c_size_t, c_double, c_uint32, c_uint64 = (ctypes.c_int, ctypes.c_size_t, ctypes.c_double,
                                                  ctypes.c_uint32, ctypes.c_uint64)
P = ctypes.POINTER


class mpi_p(ctypes.c_void_p):
    """gan_mpi *"""


class MpiStats(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("buckets", c_uint64), ("bytes", c_double),
                ("start_seconds", c_double), ("progress_seconds", c_double),
                ("wait_seconds", c_double), ("waits", c_uint64), ("scalar_sums", c_uint64),
                ("scalar_seconds", c_double), ("window_seconds", c_double),
                ("hidden_bytes", c_double)]


_PROTOTYPES = [
    ("gan_mpi_attach_f", [P(mpi_p), _lib.trainer_p, _lib.dataset_p, c_int]),
    ("gan_mpi_free", None),
    ("gan_mpi_rank", [mpi_p, P(c_int), P(c_int)]),
    ("gan_mpi_agree", [mpi_p, c_int]),
    ("gan_mpi_in_step", None),
    ("gan_mpi_save", [mpi_p, _lib.dataset_p, ctypes.c_char_p]),
    ("gan_mpi_set_overlap", [mpi_p, c_int]),
    ("gan_mpi_set_bucket_bytes", [mpi_p, c_size_t]),
    ("gan_mpi_set_progress_thread", [mpi_p, c_int]),
    ("gan_mpi_progress_thread", None),
    ("gan_mpi_get_stats", [mpi_p, P(MpiStats)]),
    ("gan_mpi_reset_stats", [mpi_p]),
    ("gan_mpi_time_reduction", [mpi_p, c_int, P(c_double), P(c_double)]),
]

_mpi_lib = None


def _load():
    """libgan_mpi.so, with its prototypes (ImportError-like GanError if absent)."""
    global _mpi_lib
    if _mpi_lib is not None:
        return _mpi_lib
    tried = []
    candidates = []
    env = os.environ.get("GAN_MPI_LIBRARY")
    if env:
        candidates.append(env)
    else:
        here = os.path.dirname(os.path.abspath(_lib.path)) if os.sep in _lib.path else ""
        if here:
            candidates += [os.path.join(here, "libgan_mpi.so"),
                           os.path.join(here, "libgan_mpi.so.%d" % _lib.ABI_MAJOR)]
        candidates.append("libgan_mpi.so.%d" % _lib.ABI_MAJOR)
    for c in candidates:
        if os.sep in c and not os.path.exists(c):
            continue
        try:
            # RTLD_GLOBAL: Open MPI's plugins need libmpi's symbols.
            lib = ctypes.CDLL(c, mode=ctypes.RTLD_GLOBAL)
            break
        except OSError as e:
            tried.append("%s (%s)" % (c, e))
    else:
        raise _errors.UnsupportedError(
            "libgan_mpi.so not found (libgan built without MPI?): set GAN_MPI_LIBRARY or "
            "build with libopenmpi-dev installed. Tried: %s" % ("; ".join(tried) or
                                                                 ", ".join(candidates)),
            _errors.EUNSUPPORTED)
    for name, argtypes in _PROTOTYPES:
        f = getattr(lib, name)
        if name == "gan_mpi_free":
            f.argtypes, f.restype = [mpi_p], None
        elif name in ("gan_mpi_in_step", "gan_mpi_progress_thread"):
            f.argtypes, f.restype = [mpi_p], c_int
        else:
            f.argtypes, f.restype, f.errcheck = argtypes, c_int, _lib._check
    _mpi_lib = lib
    return lib


def _free_mpi(lib, h):
    lib.gan_mpi_free(h)


class Distributed(Handle):
    """A Trainer attached to an MPI communicator (gan_mpi_attach).

    Distributed(trainer, comm=None, dataset=None, bucket_bytes=None,
    overlap=True): comm is an mpi4py communicator (MPI.COMM_WORLD by
    default); dataset, if given, gets rank 0's batching and position and
    reads this rank's shard of every global batch.  Close it (or leave the
    ``with`` block) before closing the trainer; closing the trainer closes
    it first.
    """

    _kind = "distributed"

    def __init__(self, trainer, comm=None, dataset=None, bucket_bytes=None, overlap=True):
        if not isinstance(trainer, Trainer):
            raise TypeError("trainer must be a libgan.Trainer")
        if dataset is not None and not isinstance(dataset, Dataset):
            raise TypeError("dataset must be a libgan.Dataset or None")
        from mpi4py import MPI  # noqa: F401 - initialises MPI as mpi4py does
        if comm is None:
            comm = MPI.COMM_WORLD
        lib = _load()
        h = mpi_p()
        lib.gan_mpi_attach_f(ctypes.byref(h), trainer._h,
                             dataset._h if dataset is not None else None, int(comm.py2f()))
        self._mpi = lib
        self._adopt(h, lambda p: _free_mpi(lib, p))
        self._depend_on(trainer, dataset)
        self.trainer, self.dataset, self.comm = trainer, dataset, comm
        if bucket_bytes is not None:
            lib.gan_mpi_set_bucket_bytes(self._h, int(bucket_bytes))
        if not overlap:
            lib.gan_mpi_set_overlap(self._h, 0)

    @property
    def rank(self):
        """This rank (not collective)."""
        r = c_int()
        self._mpi.gan_mpi_rank(self._h, ctypes.byref(r), None)
        return r.value

    @property
    def size(self):
        """The number of ranks (not collective)."""
        s = c_int()
        self._mpi.gan_mpi_rank(self._h, None, ctypes.byref(s))
        return s.value

    @property
    def in_step(self):
        """False once this rank failed alone in the middle of a step: the
        others wait for it, so end the job (comm.Abort()).  Not collective."""
        return bool(self._mpi.gan_mpi_in_step(self._h))

    def agree(self, error=None):
        """Every rank learns whether any rank failed: pass the exception this
        rank caught (or None).  Raises, on every rank, the lowest failing
        rank's error ("rank K of N: ..."), or returns None."""
        status = _errors.OK
        if error is not None:
            status = getattr(error, "status", None) or _errors.EINTERNAL
            _lib.fn.gan_set_error(int(status), str(error).encode("utf-8", "replace"))
        self._mpi.gan_mpi_agree(self._h, int(status))

    def save(self, path, dataset=None):
        """Rank 0 saves the checkpoint (atomically); every rank returns or raises
        its outcome.  dataset defaults to the attached one."""
        ds = dataset if dataset is not None else self.dataset
        self._mpi.gan_mpi_save(self._h, ds._h if ds is not None else None, os.fsencode(path))

    def set_overlap(self, on):
        """Reduce buckets with MPI_Iallreduce while the backward pass runs (True,
        the default) or with a blocking MPI_Allreduce at the same point."""
        self._mpi.gan_mpi_set_overlap(self._h, 1 if on else 0)

    def set_bucket_bytes(self, n):
        self._mpi.gan_mpi_set_bucket_bytes(self._h, int(n))

    def set_progress_thread(self, on):
        """Drive the gradient sums from a thread of libgan_mpi's (needs a
        spare core and MPI_THREAD_MULTIPLE, which mpi4py provides) instead
        of from the trainer between layers (the default)."""
        self._mpi.gan_mpi_set_progress_thread(self._h, 1 if on else 0)

    @property
    def progress_thread(self):
        """True while libgan_mpi's progress thread drives the sums (not
        collective)."""
        return bool(self._mpi.gan_mpi_progress_thread(self._h))

    def stats(self, reset=False):
        """What the reducer did on this rank (gan_mpi_stats) as a dict; not
        collective."""
        s = MpiStats()
        s.struct_size = ctypes.sizeof(s)
        self._mpi.gan_mpi_get_stats(self._h, ctypes.byref(s))
        if reset:
            self._mpi.gan_mpi_reset_stats(self._h)
        return {f: getattr(s, f) for f, _ in MpiStats._fields_ if f != "struct_size"}

    def time_reduction(self, reps=5):
        """(seconds, bytes) of one blocking reduction of both networks'
        gradients with nothing to overlap: the communication alone."""
        sec, nbytes = c_double(), c_double()
        self._mpi.gan_mpi_time_reduction(self._h, int(reps), ctypes.byref(sec),
                                         ctypes.byref(nbytes))
        return sec.value, nbytes.value
