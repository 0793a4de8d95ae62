"""Exceptions: every negative gan_status becomes a GanError subclass."""

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
    status = ENOMEM


class InvalidArgumentError(GanError, ValueError):
    status = EINVAL


class ShapeError(GanError, ValueError):
    status = ESHAPE


class StateError(GanError, RuntimeError):
    status = ESTATE


class ClosedError(StateError):
    """A method was called on a handle that was closed (or whose owner was)."""


class GanIOError(GanError, OSError):
    status = EIO

    def __init__(self, message="", status=None):
        GanError.__init__(self, message, status)

    def __str__(self):
        return GanError.__str__(self)


class FormatError(GanError, ValueError):
    status = EFORMAT


class VersionError(GanError):
    status = EVERSION


class NumericError(GanError, ArithmeticError):
    status = ENUMERIC


class UnsupportedError(GanError, NotImplementedError):
    status = EUNSUPPORTED


class InternalError(GanError):
    status = EINTERNAL


_BY_STATUS = {
    cls.status: cls
    for cls in (NoMemoryError, InvalidArgumentError, ShapeError, StateError, GanIOError,
                FormatError, VersionError, NumericError, UnsupportedError, InternalError)
}


def error_for(status, message):
    """The exception instance for a negative status."""
    cls = _BY_STATUS.get(status, GanError)
    return cls(message, status)


class StopTraining(Exception):
    """Raise inside a Trainer.fit callback to stop training quietly."""
