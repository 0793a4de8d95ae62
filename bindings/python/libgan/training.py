"""Losses, optimizers and the trainer (fit with Python callbacks, checkpoints)."""

import ctypes
import signal
import threading

from . import _buffers as B
from . import _errors
from ._handle import Handle, in_use
from ._lib import (EPOCH_CALLBACK, STEP_CALLBACK, LossConfig, OptimizerConfig, StepStats,
                   TrainerConfig, cstr, fn, loss_p, model_p, optimizer_p, trainer_p)
from .model import Model, labels_for

LOSS_KINDS = {"bce": 1, "wasserstein": 2, "hinge": 3, "least-squares": 4,
              "feature-matching": 5}
_LOSS_NAMES = {v: k for k, v in LOSS_KINDS.items()}
OPTIMIZER_KINDS = {"sgd": 1, "adam": 2, "rmsprop": 3}
_OPTIMIZER_NAMES = {v: k for k, v in OPTIMIZER_KINDS.items()}


def _kind(value, table, what):
    if isinstance(value, str):
        key = value.lower().replace("_", "-")
        if key not in table:
            raise _errors.InvalidArgumentError(
                "unknown %s %r (one of %s)" % (what, value, ", ".join(sorted(table))),
                _errors.EINVAL)
        return table[key]
    return int(value)


# ---------------------------------------------------------------------------
# Loss
# ---------------------------------------------------------------------------


class Loss(Handle):
    """The adversarial objective (gan_loss): kind 'bce' (default),
    'wasserstein', 'hinge', 'least-squares' or 'feature-matching'.

    Options as gan_loss_config: generator_minimax, real_label (one-sided
    label smoothing), clip (Wasserstein weight clipping), feature_layer,
    gradient_penalty (WGAN-GP lambda), r1_gamma (R1 penalty), class_weight
    (AC-GAN's auxiliary class loss; the discriminator must end with
    Model.add_class_projection_aux).
    """

    _kind = "loss"

    def __init__(self, kind="bce", generator_minimax=False, real_label=1.0, clip=0.0,
                 feature_layer=-1, gradient_penalty=0.0, r1_gamma=0.0, class_weight=0.0):
        c = LossConfig()
        fn.gan_loss_config_init(ctypes.byref(c), ctypes.sizeof(c))
        c.kind = _kind(kind, LOSS_KINDS, "loss kind")
        c.generator_minimax = 1 if generator_minimax else 0
        c.real_label = float(real_label)
        c.clip = float(clip)
        c.feature_layer = int(feature_layer)
        c.gradient_penalty = float(gradient_penalty)
        c.r1_gamma = float(r1_gamma)
        c.class_weight = float(class_weight)
        h = loss_p()
        fn.gan_loss_create(ctypes.byref(h), ctypes.byref(c))
        self._adopt(h, fn.gan_loss_free)

    @classmethod
    def _wrap(cls, ptr, owner=None):
        obj = cls.__new__(cls)
        obj._adopt(ptr, fn.gan_loss_free, owner=owner)
        return obj

    @property
    def kind(self):
        """The loss kind's name ('bce', 'wasserstein', ...)."""
        k = ctypes.c_int()
        fn.gan_loss_kind_of(self._h, ctypes.byref(k))
        name = fn.gan_loss_kind_name(k.value)
        return name.decode() if name else _LOSS_NAMES.get(k.value, str(k.value))

    def __repr__(self):
        return "<libgan.Loss %s>" % ("closed" if self.closed else self.kind)

    def discriminator(self, real, fake):
        """D's loss on real and fake outputs (one per sample):
        (value, d loss/d real, d loss/d fake)."""
        h = self._h
        rb, fb = B.floats_in(real, "real"), B.floats_in(fake, "fake")
        dr, drb = B.floats_out((rb.count,))
        df, dfb = B.floats_out((fb.count,))
        v = ctypes.c_float()
        fn.gan_loss_discriminator(h, rb.ptr, rb.count, fb.ptr, fb.count, ctypes.byref(v),
                                  drb.ptr, dfb.ptr)
        return v.value, dr, df

    def generator(self, fake):
        """G's adversarial loss on D's outputs for fakes: (value, d loss/d fake)."""
        h = self._h
        fb = B.floats_in(fake, "fake")
        df, dfb = B.floats_out((fb.count,))
        v = ctypes.c_float()
        fn.gan_loss_generator(h, fb.ptr, fb.count, ctypes.byref(v), dfb.ptr)
        return v.value, df

    def class_loss(self, out, labels):
        """The auxiliary class loss on a class_projection_aux discriminator's
        output, an (n, 1 + K) array (the adversarial logit, then K class
        logits), against n labels: (value, d loss/d out), as the trainer
        computes it (class_weight times the mean cross-entropy; column 0 of
        the gradient is 0)."""
        h = self._h
        ob = B.floats_in(out, "out")
        if ob.shape is None or len(ob.shape) != 2 or ob.shape[1] < 2:
            raise _errors.ShapeError("class_loss needs an (n, 1 + classes) array, not %s"
                                     % (ob.shape,), _errors.ESHAPE)
        lb = B.int32_in(labels, "labels")
        if lb.count != ob.shape[0]:
            raise _errors.ShapeError("%d labels for %d rows" % (lb.count, ob.shape[0]),
                                     _errors.ESHAPE)
        d, db = B.floats_out(ob.shape)
        v = ctypes.c_float()
        fn.gan_loss_class(h, ob.ptr, ob.shape[0], ob.shape[1] - 1,
                          ctypes.cast(lb.ptr, ctypes.POINTER(ctypes.c_int32)), ctypes.byref(v),
                          db.ptr)
        return v.value, d

    def feature_matching(self, real, fake):
        """||mean real - mean fake||^2 over (n, dim) features: (value, d/d fake)."""
        h = self._h
        rb, fb = B.floats_in(real, "real"), B.floats_in(fake, "fake")
        if rb.shape is None or fb.shape is None or len(rb.shape) != 2 or len(fb.shape) != 2:
            raise _errors.ShapeError("feature_matching needs 2-D (n, dim) arrays",
                                     _errors.ESHAPE)
        if rb.shape[1] != fb.shape[1]:
            raise _errors.ShapeError("feature sizes differ: %s vs %s" % (rb.shape, fb.shape),
                                     _errors.ESHAPE)
        df, dfb = B.floats_out(fb.shape)
        v = ctypes.c_float()
        fn.gan_loss_feature_matching(h, rb.ptr, rb.shape[0], fb.ptr, fb.shape[0], rb.shape[1],
                                     ctypes.byref(v), dfb.ptr)
        return v.value, df


# ---------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------


class Optimizer(Handle):
    """Updates one model's parameters from its accumulated gradients.

    Use Adam(model, ...), RMSprop(model, ...) or SGD(model, ...), or
    Optimizer(model, kind='adam', **options) with gan_optimizer_config's
    fields (lr, beta1, beta2, eps, rho, momentum, nesterov, weight_decay).
    The model must outlive the optimizer; closing the model closes it.
    """

    _kind = "optimizer"

    def __init__(self, model, kind="adam", **options):
        c = OptimizerConfig()
        fn.gan_optimizer_config_init(ctypes.byref(c), ctypes.sizeof(c))
        c.kind = _kind(kind, OPTIMIZER_KINDS, "optimizer kind")
        names = {f[0] for f in OptimizerConfig._fields_} - {"struct_size", "kind"}
        for k, v in options.items():
            if k not in names:
                raise TypeError("unknown optimizer option %r (one of %s)"
                                % (k, ", ".join(sorted(names))))
            setattr(c, k, int(bool(v)) if k == "nesterov" else float(v))
        if not isinstance(model, Model):
            raise TypeError("model must be a libgan.Model")
        h = optimizer_p()
        fn.gan_optimizer_create(ctypes.byref(h), model._h, ctypes.byref(c))
        self._adopt(h, fn.gan_optimizer_free)
        self.model = model
        self._depend_on(model)

    @classmethod
    def _wrap(cls, ptr, model, owner=None):
        obj = Optimizer.__new__(Optimizer)
        obj._adopt(ptr, fn.gan_optimizer_free, owner=owner)
        obj.model = model
        return obj

    def step(self):
        """One update from the model's gradients (which it does not clear)."""
        fn.gan_optimizer_step(self._h)

    @property
    def lr(self):
        """The learning rate (settable between steps)."""
        v = ctypes.c_float()
        fn.gan_optimizer_get_lr(self._h, ctypes.byref(v))
        return v.value

    @lr.setter
    def lr(self, value):
        fn.gan_optimizer_set_lr(self._h, float(value))

    @property
    def state_size(self):
        """Floats of optimizer state (moments) get_state returns."""
        n = ctypes.c_size_t()
        fn.gan_optimizer_state_size(self._h, ctypes.byref(n))
        return n.value

    def get_state(self):
        """(moments as a flat float32 array, step count)."""
        n = self.state_size
        a, ab = B.floats_out((n,))
        step = ctypes.c_uint64()
        fn.gan_optimizer_get_state(self._h, ab.ptr, n, ctypes.byref(step))
        return a, step.value

    def set_state(self, values, step):
        """Restore the moments and step count get_state returned."""
        vb = B.floats_in(values, "values")
        fn.gan_optimizer_set_state(self._h, vb.ptr, vb.count, int(step))


def Adam(model, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7, weight_decay=0.0):
    """Adam (Keras' defaults; weight_decay > 0 is AdamW)."""
    return Optimizer(model, "adam", lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                     weight_decay=weight_decay)


def RMSprop(model, lr=1e-3, rho=0.9, eps=1e-7, weight_decay=0.0):
    """RMSprop (Keras' defaults; the WGAN notebook uses lr=5e-5)."""
    return Optimizer(model, "rmsprop", lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)


def SGD(model, lr=1e-2, momentum=0.0, nesterov=False, weight_decay=0.0):
    """Stochastic gradient descent, optionally with (Nesterov) momentum."""
    return Optimizer(model, "sgd", lr=lr, momentum=momentum, nesterov=nesterov,
                     weight_decay=weight_decay)


# ---------------------------------------------------------------------------
# Trainer
# ---------------------------------------------------------------------------


def _stats(s):
    return {"d_loss": s.d_loss, "g_loss": s.g_loss, "d_real": s.d_real, "d_fake": s.d_fake}


def _new_stats():
    s = StepStats()
    ctypes.memset(ctypes.byref(s), 0, ctypes.sizeof(s))
    s.struct_size = ctypes.sizeof(s)
    return s


_AUGMENT_BITS = {"color": 1, "colour": 1, "translation": 2, "cutout": 4, "all": 7}


def _augment_bits(augment):
    """GAN_AUGMENT_* bits from names ('color', 'translation', 'cutout', 'all')."""
    if isinstance(augment, str):
        augment = augment.split(",") if augment else ()
    bits = 0
    for a in augment:
        if a not in _AUGMENT_BITS:
            raise _errors.InvalidArgumentError(
                "augment: %r is not color, translation, cutout or all" % (a,), _errors.EINVAL)
        bits |= _AUGMENT_BITS[a]
    return bits


class Trainer(Handle):
    """Adversarial training of a generator and a discriminator (gan_trainer).

    Trainer(generator, discriminator, g_opt, d_opt, loss, n_critic=1, seed=0)
    borrows the five objects (it keeps references to them; closing any of
    them closes the trainer).  Trainer.load() makes a trainer that owns
    networks restored from a checkpoint: see .generator, .discriminator,
    .g_opt, .d_opt.
    """

    _kind = "trainer"
    _copy_hint = "; use to_bytes() and Trainer.load_bytes()"

    def __init__(self, generator, discriminator, g_opt, d_opt, loss, n_critic=1, seed=0,
                 ema_decay=0.0, augment=(), augment_p=None, ada_target=0.0, ada_interval=4,
                 ada_speed=100000.0, r1_every=1):
        """augment: DiffAugment operations for every image D sees, a sequence
        of 'color', 'translation', 'cutout' (or 'all'); augment_p: their
        probability per image (default 1, or 0 with ADA: where p starts);
        ada_target > 0: adaptive p (ADA) towards E[sign D(real)] = target,
        adjusted every ada_interval steps by images / ada_speed.
        r1_every=k > 1: lazy R1, the loss's R1 penalty only on every k-th
        critic update, weighted k times (saved in checkpoints)."""
        for o, t, what in ((generator, Model, "generator"), (discriminator, Model, "discriminator"),
                           (g_opt, Optimizer, "g_opt"), (d_opt, Optimizer, "d_opt"),
                           (loss, Loss, "loss")):
            if not isinstance(o, t):
                raise TypeError("%s must be a libgan.%s" % (what, t.__name__))
        c = TrainerConfig()
        fn.gan_trainer_config_init(ctypes.byref(c), ctypes.sizeof(c))
        c.n_critic = int(n_critic)
        c.seed = int(seed)
        c.ema_decay = float(ema_decay)
        c.augment = _augment_bits(augment)
        c.ada_target = float(ada_target)
        c.augment_p = float(augment_p if augment_p is not None else
                            (0.0 if ada_target > 0 else 1.0))
        c.ada_interval = int(ada_interval)
        c.ada_speed = float(ada_speed)
        c.r1_every = int(r1_every)
        h = trainer_p()
        fn.gan_trainer_create(ctypes.byref(h), generator._h, discriminator._h, g_opt._h,
                              d_opt._h, loss._h, ctypes.byref(c))
        self._adopt(h, fn.gan_trainer_free)
        self.generator, self.discriminator = generator, discriminator
        self.g_opt, self.d_opt, self.loss = g_opt, d_opt, loss
        self.n_critic = int(n_critic)
        self._depend_on(generator, discriminator, g_opt, d_opt, loss)

    # ---- checkpoints --------------------------------------------------------
    @classmethod
    def _from_loaded(cls, h, n_critic):
        obj = cls.__new__(cls)
        obj._adopt(h, fn.gan_trainer_free)
        g, d, go, do = model_p(), model_p(), optimizer_p(), optimizer_p()
        fn.gan_trainer_models(h, ctypes.byref(g), ctypes.byref(d), ctypes.byref(go),
                              ctypes.byref(do))
        obj.generator = Model._wrap(g, owner=obj)
        obj.discriminator = Model._wrap(d, owner=obj)
        obj.g_opt = Optimizer._wrap(go, obj.generator, owner=obj)
        obj.d_opt = Optimizer._wrap(do, obj.discriminator, owner=obj)
        obj.loss = None  # owned by the C trainer, not exposed by gan.h
        if n_critic is None:
            c = TrainerConfig()
            fn.gan_trainer_config_init(ctypes.byref(c), ctypes.sizeof(c))
            fn.gan_trainer_get_config(h, ctypes.byref(c))
            n_critic = c.n_critic
        obj.n_critic = int(n_critic)
        return obj

    @classmethod
    def load(cls, path, dataset=None, n_critic=None):
        """A trainer restored from a checkpoint file; with ``dataset`` its
        batching and position are restored too.  ``n_critic`` is only used
        to split step()'s real batch when step() gets no ``batch``; by
        default it is the checkpoint's own."""
        h = trainer_p()
        fn.gan_trainer_load(ctypes.byref(h), dataset._h if dataset is not None else None,
                            cstr(path))
        return cls._from_loaded(h, n_critic)

    @classmethod
    def load_bytes(cls, data, dataset=None, n_critic=None):
        """A trainer restored from the bytes of a checkpoint (see load)."""
        b = B.u8_in(data, "data")
        h = trainer_p()
        fn.gan_trainer_load_mem(ctypes.byref(h), dataset._h if dataset is not None else None,
                                b.ptr, b.count)
        return cls._from_loaded(h, n_critic)

    @property
    def augment_state(self):
        """(p, r_t): the augmentation probability now and ADA's last r_t."""
        p, rt = ctypes.c_float(), ctypes.c_float()
        fn.gan_trainer_augment_state(self._h, ctypes.byref(p), ctypes.byref(rt))
        return p.value, rt.value

    def ema_generator(self):
        """A new inference Model: the generator with its exponential moving
        average of weights (the trainer must have been made with ema_decay)."""
        h = model_p()
        fn.gan_trainer_ema_generator(self._h, ctypes.byref(h))
        return Model._wrap(h)

    def save(self, path, dataset=None):
        """Save a training checkpoint (with ``dataset``'s position), atomically."""
        fn.gan_trainer_save(self._h, dataset._h if dataset is not None else None, cstr(path))

    def to_bytes(self, dataset=None):
        """The bytes of the checkpoint save() would write."""
        p = ctypes.c_void_p()
        n = ctypes.c_size_t()
        fn.gan_trainer_save_mem(self._h, dataset._h if dataset is not None else None,
                                ctypes.byref(p), ctypes.byref(n))
        try:
            return ctypes.string_at(p.value, n.value)
        finally:
            fn.gan_free(p)

    def restore(self, path, dataset=None):
        """Restore a checkpoint into this trainer (same architectures);
        all-or-nothing."""
        fn.gan_trainer_restore(self._h, dataset._h if dataset is not None else None, cstr(path))

    # ---- training -----------------------------------------------------------
    @property
    def progress(self):
        """(steps done, current epoch)."""
        s, e = ctypes.c_uint64(), ctypes.c_uint64()
        fn.gan_trainer_progress(self._h, ctypes.byref(s), ctypes.byref(e))
        return s.value, e.value

    @property
    def step_count(self):
        """Steps done so far."""
        return self.progress[0]

    @property
    def epoch(self):
        """The current epoch (progress[1])."""
        return self.progress[1]

    def set_seed(self, seed):
        """Reseed the latent noise stream."""
        fn.gan_trainer_set_seed(self._h, int(seed))

    def step(self, real, batch=None, labels=None):
        """One training step on ``real``: n_critic * batch samples of the
        discriminator's input shape.  batch defaults to len(real) // n_critic.
        labels: the classes of the real samples, required for a conditional
        pair (generated samples get uniform classes from the trainer's
        stream) and refused otherwise.
        Returns {'d_loss', 'g_loss', 'd_real', 'd_fake'}."""
        h = self._h
        rb = B.floats_in(real, "real")
        n = Model._batch_of(rb, self.discriminator.input_shape, "real")
        if batch is None:
            k = self.n_critic or 1
            if n % k:
                raise _errors.ShapeError("real holds %d samples, not a multiple of n_critic=%d"
                                         % (n, k), _errors.ESHAPE)
            batch = n // k
        s = _new_stats()
        if labels is None:
            fn.gan_trainer_step(h, rb.ptr, rb.count, int(batch), ctypes.byref(s))
        else:
            lb = labels_for(labels, n)
            fn.gan_trainer_step_labeled(h, rb.ptr, rb.count, lb.ptr, lb.count, int(batch),
                                        ctypes.byref(s))
        return _stats(s)

    def fit(self, dataset, epochs=1, on_step=None, on_epoch=None):
        """Train for ``epochs`` epochs over dataset with its batching.

        on_step(step, stats) is called after every step, on_epoch(epoch,
        mean_stats) after every epoch (stats are dicts as step() returns).
        A callback stops training by returning a true value or raising
        StopTraining; any other exception stops training and is re-raised
        here once the library has returned.  Returns True if all epochs ran,
        False if a callback stopped training.
        """
        h = self._h
        ds = dataset._h
        failure = []
        interrupted = []
        use = in_use(self, self.generator, self.discriminator, self.g_opt, self.d_opt,
                     self.loss, dataset)

        def stop_now():
            # Ctrl-C arrived, or a callback closed a handle fit is using.
            return bool(interrupted) or use.close_requested()

        def guard(call):
            try:
                return 1 if call() or stop_now() else 0
            except _errors.StopTraining:
                return 1
            except BaseException as e:  # noqa: B902 - re-raised after fit returns
                failure.append(e)
                return 1

        # A step callback always runs, so Ctrl-C (below) stops fit promptly
        # even without on_step.
        def _step(stats, step, user):
            try:
                if stop_now():
                    return 1
                if on_step is None:
                    return 0
                return guard(lambda: on_step(int(step), _stats(stats.contents)))
            except BaseException as e:  # noqa: B902 - never lost inside ctypes
                failure.append(e)
                return 1
        c_step = STEP_CALLBACK(_step)
        c_epoch = EPOCH_CALLBACK(0)
        if on_epoch is not None:
            def _epoch(epoch, mean, user):
                try:
                    if stop_now():
                        return 1
                    return guard(lambda: on_epoch(int(epoch), _stats(mean.contents)))
                except BaseException as e:  # noqa: B902
                    failure.append(e)
                    return 1
            c_epoch = EPOCH_CALLBACK(_epoch)

        # Ctrl-C: while the C loop runs, a KeyboardInterrupt raised inside a
        # ctypes callback would be printed and ignored, and none is raised
        # while no Python code runs.  So SIGINT only sets a flag here; the
        # next step callback stops training and fit re-raises
        # KeyboardInterrupt once the library has returned.
        old_handler = None
        if (threading.current_thread() is threading.main_thread() and
                signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            old_handler = signal.signal(signal.SIGINT,
                                        lambda signum, frame: interrupted.append(signum))
        # c_step / c_epoch stay referenced (locals) until fit returns.
        try:
            with use:
                try:
                    status = fn.gan_trainer_fit(h, ds, int(epochs), c_step, c_epoch, None)
                except _errors.GanError:
                    if failure:
                        raise failure[0] from None
                    raise
        finally:
            if old_handler is not None:
                signal.signal(signal.SIGINT, old_handler)
            del c_step, c_epoch
        if interrupted:
            raise KeyboardInterrupt
        if failure:
            raise failure[0]
        if use.close_requested():
            return False
        return status == _errors.OK
