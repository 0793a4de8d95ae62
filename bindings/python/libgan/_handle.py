"""Ownership of C handles.

Every libgan object is held by one Python object that frees it exactly once:
on close(), at the end of a ``with`` block, when the object is garbage
collected, or at interpreter exit.  The free is a weakref.finalize holding
only the raw address and the C free function, so it runs safely at
interpreter shutdown (no module globals needed) and never twice.

Handles that another handle borrows (an optimizer borrows its model, a
trainer its models, optimizers and loss, a sampler its model) register as
dependents: closing the owner closes them first, so the C library never sees
a dangling pointer.  Handles owned by a C object (the models of a trainer
loaded from a checkpoint) are "borrowed": they are not freed by Python and
count as closed once their owner is.

A closed handle raises ClosedError on use; close() twice is a no-op.
"""

import threading
import weakref

from . import _errors

_live_lock = threading.Lock()
_live = {}


def live_handles(kind=None):
    """Number of C handles these bindings currently own (all kinds, or one:
    'model', 'dataset', 'loss', 'optimizer', 'trainer', 'sampler')."""
    with _live_lock:
        if kind is None:
            return sum(_live.values())
        return _live.get(kind, 0)


def _count(kind, delta):
    with _live_lock:
        _live[kind] = _live.get(kind, 0) + delta


def _free(free_fn, address, kind, counter=_count):
    # Runs from close(), from garbage collection or at exit: only locals.
    try:
        free_fn(address)
    finally:
        counter(kind, -1)


class Handle:
    """Base class of the objects that own a libgan handle."""

    _kind = "handle"
    _ptr = None
    _owner = None
    _finalizer = None

    def _adopt(self, ptr_obj, free_fn, owner=None):
        """Take ownership of the C handle in ptr_obj (a c_void_p subclass)."""
        address = ptr_obj.value
        if not address:
            raise _errors.InternalError("libgan returned a NULL handle", _errors.EINTERNAL)
        self._ptr_type = type(ptr_obj)
        self._ptr = address
        self._dependents = weakref.WeakSet()
        self._owner = owner
        if owner is None:
            _count(self._kind, +1)
            self._finalizer = weakref.finalize(self, _free, free_fn, self._ptr_type(address),
                                               self._kind)
        else:
            owner._dependents.add(self)

    def _depend_on(self, *owners):
        """Close self whenever one of owners is closed first."""
        for o in owners:
            if o is not None:
                o._dependents.add(self)

    @property
    def closed(self):
        """True once close() was called (on this object or on its owner)."""
        if self._ptr is None:
            return True
        return self._owner is not None and self._owner.closed

    @property
    def _h(self):
        """The C handle, or ClosedError."""
        if self.closed:
            raise _errors.ClosedError("this %s is closed" % type(self).__name__,
                                      _errors.ESTATE)
        return self._ptr_type(self._ptr)

    def close(self):
        """Free the C object (and close the objects that borrow it).  Idempotent."""
        if self._ptr is None:
            return
        for d in list(getattr(self, "_dependents", ())):
            d.close()
        self._ptr = None
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self):
        if self.closed:
            raise _errors.ClosedError("this %s is closed" % type(self).__name__,
                                      _errors.ESTATE)
        return self

    def __exit__(self, *exc):
        self.close()
        return False
