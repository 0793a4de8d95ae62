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

close() inside a callback of a call that is still using the handle
(Trainer.fit's on_step/on_epoch closing the trainer, a model, an optimizer,
the loss or the data set) does not free it under the running C call: the
handle counts as closed at once, the call stops at the callback's return
and the C object is freed when the call returns.

copy.copy, copy.deepcopy and pickle of a handle raise TypeError (sharing
the C handle would let one copy free the other's); Model overrides them
with real copies through its model-file bytes.
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
    _busy = 0                 # calls (Trainer.fit) using the C handle now
    _close_pending = False    # close() was called while busy
    _copy_hint = ""

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
        if self._ptr is None or self._close_pending:
            return True
        return self._owner is not None and self._owner.closed

    @property
    def _h(self):
        """The C handle, or ClosedError."""
        if self.closed:
            raise _errors.ClosedError("this %s is closed" % type(self).__name__,
                                      _errors.ESTATE)
        return self._ptr_type(self._ptr)

    def _in_use(self):
        """True while a running call (Trainer.fit) uses this handle or one
        of the handles that borrow it."""
        return bool(self._busy) or any(d._in_use() for d in list(getattr(self, "_dependents", ())))

    def close(self):
        """Free the C object (and close the objects that borrow it).  Idempotent.
        Inside a callback of a call using it: closed now, freed when the call
        returns (the call stops after the callback)."""
        if self._ptr is None:
            return
        if self._in_use():
            self._close_pending = True
            return
        self._close_pending = False
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

    # ---- copies ---------------------------------------------------------------
    def _no_copy(self, *args):
        raise TypeError("a libgan.%s owns a C handle: it cannot be copied or pickled (a copy "
                        "sharing the handle would free the original's)%s"
                        % (type(self).__name__, self._copy_hint))

    __copy__ = _no_copy
    __deepcopy__ = _no_copy
    __reduce_ex__ = _no_copy
    __reduce__ = _no_copy


class in_use:
    """``with in_use(a, b, ...):`` marks handles as used by a running C call;
    a close() meanwhile is deferred to the end of the block (see close())."""

    def __init__(self, *handles):
        self.handles = [h for h in handles if h is not None]

    def close_requested(self):
        """True once close() was called on one of the handles (or an owner)."""
        return any(h.closed for h in self.handles)

    def __enter__(self):
        for h in self.handles:
            h._busy += 1
        return self

    def __exit__(self, *exc):
        for h in self.handles:
            h._busy -= 1
        for h in self.handles:
            if h._close_pending and not h._in_use():
                h.close()
        return False
