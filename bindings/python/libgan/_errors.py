"""Exceptions: every negative gan_status becomes a GanError subclass.

Each also derives from the matching built-in exception, so ordinary
handlers work: ``except FileNotFoundError`` catches a missing model file
(GanFileNotFoundError), ``except ValueError`` a bad argument, shape or file
format, ``except MemoryError`` an allocation failure.
"""

import errno as _errno
import os as _os

OK = 0
DONE = 1
ENOMEM = -1
EINVAL = -2
ESHAPE = -3
ESTATE = -4
EIO = -5
EFORMAT = -6
EVERSION = -7
ENUMERIC = -8
EUNSUPPORTED = -9
EINTERNAL = -10

STATUS_NAMES = {
    OK: "GAN_OK", DONE: "GAN_DONE", ENOMEM: "GAN_ENOMEM", EINVAL: "GAN_EINVAL",
    ESHAPE: "GAN_ESHAPE", ESTATE: "GAN_ESTATE", EIO: "GAN_EIO", EFORMAT: "GAN_EFORMAT",
    EVERSION: "GAN_EVERSION", ENUMERIC: "GAN_ENUMERIC", EUNSUPPORTED: "GAN_EUNSUPPORTED",
    EINTERNAL: "GAN_EINTERNAL",
}


class GanError(Exception):
    """A libgan call failed.

    ``status`` is the gan_status (negative int), ``message`` the library's
    gan_last_error() text (or the bindings' own message for checks made in
    Python before calling the library).
    """

    status = None

    def __init__(self, message="", status=None):
        if status is not None:
            self.status = status
        self.message = message
        Exception.__init__(self, message)

    def __str__(self):
        name = STATUS_NAMES.get(self.status, str(self.status))
        return "%s: %s" % (name, self.message or "libgan error")


class NoMemoryError(GanError, MemoryError):
    """GAN_ENOMEM: an allocation failed (also a MemoryError)."""

    status = ENOMEM


class InvalidArgumentError(GanError, ValueError):
    """GAN_EINVAL: an argument is out of range or NULL (also a ValueError)."""

    status = EINVAL


class ShapeError(GanError, ValueError):
    """GAN_ESHAPE: tensor shapes or element counts do not fit (also a ValueError)."""

    status = ESHAPE


class StateError(GanError, RuntimeError):
    """GAN_ESTATE: the object is not in a state that allows the call (also a RuntimeError)."""

    status = ESTATE


class ClosedError(StateError):
    """A method was called on a handle that was closed (or whose owner was)."""


class GanIOError(GanError, OSError):
    """GAN_EIO: reading or writing a file failed (an OSError; missing files, denied
    access and directories raise its FileNotFoundError, PermissionError,
    IsADirectoryError and NotADirectoryError subclasses, with errno set)."""

    status = EIO

    def __init__(self, message="", status=None):
        GanError.__init__(self, message, status)

    def __str__(self):
        return GanError.__str__(self)


class GanFileNotFoundError(GanIOError, FileNotFoundError):
    """A file or directory libgan was asked to read does not exist (ENOENT)."""


class GanPermissionError(GanIOError, PermissionError):
    """libgan was not allowed to open a file (EACCES, EPERM)."""


class GanIsADirectoryError(GanIOError, IsADirectoryError):
    """A directory was given where libgan expects a file (EISDIR)."""


class GanNotADirectoryError(GanIOError, NotADirectoryError):
    """A path component is not a directory (ENOTDIR)."""


# errno -> the OSError subclass a GAN_EIO becomes, found by the C library's
# strerror text (the same C library as Python's os.strerror) or a phrase.
_IO_BY_ERRNO = {
    _errno.ENOENT: GanFileNotFoundError, _errno.EACCES: GanPermissionError,
    _errno.EPERM: GanPermissionError, _errno.EISDIR: GanIsADirectoryError,
    _errno.ENOTDIR: GanNotADirectoryError,
}
_IO_PHRASES = (("is a directory", _errno.EISDIR), ("not found", _errno.ENOENT),
               ("no such file", _errno.ENOENT))


def _io_error(message, status):
    """The GanIOError (subclass) of a GAN_EIO message, with errno, strerror
    and, for "PATH: cannot open: ..." messages, filename set."""
    code = None
    low = message.lower()
    for e in _IO_BY_ERRNO:
        if _os.strerror(e).lower() in low:
            code = e
            break
    if code is None:
        for phrase, e in _IO_PHRASES:
            if phrase in low:
                code = e
                break
    if code is None and "neither" in low and "found" in low:   # "neither A nor B found"
        code = _errno.ENOENT
    err = _IO_BY_ERRNO.get(code, GanIOError)(message, status)
    if code is not None:
        err.errno = code
        err.strerror = _os.strerror(code)
    head, sep, rest = message.partition(": ")
    if sep and (rest.startswith("cannot open") or rest.startswith("is a directory")):
        err.filename = head
    return err


class FormatError(GanError, ValueError):
    """GAN_EFORMAT: a file or buffer is not valid libgan data (also a ValueError)."""

    status = EFORMAT


class VersionError(GanError):
    """GAN_EVERSION: a file of a newer format version than this library reads."""

    status = EVERSION


class NumericError(GanError, ArithmeticError):
    """GAN_ENUMERIC: a NaN or infinity appeared; nothing was changed (also an ArithmeticError)."""

    status = ENUMERIC


class UnsupportedError(GanError, NotImplementedError):
    """GAN_EUNSUPPORTED: not supported by this build (also a NotImplementedError)."""

    status = EUNSUPPORTED


class InternalError(GanError):
    """GAN_EINTERNAL: a libgan bug; please report it."""

    status = EINTERNAL


_BY_STATUS = {
    cls.status: cls
    for cls in (NoMemoryError, InvalidArgumentError, ShapeError, StateError, GanIOError,
                FormatError, VersionError, NumericError, UnsupportedError, InternalError)
}


def error_for(status, message):
    """The exception instance for a negative status."""
    if status == EIO:
        return _io_error(message, status)
    cls = _BY_STATUS.get(status, GanError)
    return cls(message, status)


class StopTraining(Exception):
    """Raise inside a Trainer.fit callback to stop training quietly."""
