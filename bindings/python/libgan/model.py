"""gan_model: networks built layer by layer, presets, forward/backward, files."""

import ctypes

from . import _buffers as B
from . import _errors
from ._handle import Handle
from ._lib import (LAYER_SPECIAL, BatchNormConfig, Conv2DConfig, DenseConfig, FamilyConfig, cstr,
                   fn, has, model_p)


def _layer_kinds():
    """{gan_layer_kind value: stable name}, as the library names its kinds
    (gan_layer_kind_name), so a kind added to libgan needs no edit here."""
    if not has("gan_layer_kind_count"):
        return {}
    kinds = {}
    for k in range(1, fn.gan_layer_kind_count()):
        name = fn.gan_layer_kind_name(k)
        if name:
            kinds[k] = name.decode("ascii")
    return kinds


#: {gan_layer_kind value: name} ("dense", "conv2d", ...), read from the library.
LAYER_KINDS = _layer_kinds()

PRESETS = {
    "dcgan-cifar10-generator": 1, "dcgan-cifar10-discriminator": 2, "mnist-generator": 3,
    "mnist-discriminator": 4, "mnist-notebook-generator": 5, "wgan-critic": 6,
    "cgan-generator": 7, "cgan-discriminator": 8, "style-generator": 9,
    "resnet-generator": 10, "resnet-discriminator": 11, "resnet-cgan-generator": 12,
    "resnet-cgan-discriminator": 13, "style2-generator": 14,
    "style2-wide-generator": 15, "resnet-wide-generator": 16,
    "cgan-aux-discriminator": 17, "wgan-critic-mbstd": 18,
}

_PADDING = {"valid": 0, "same": 1}

#: gan_family_kind values of Model.family's kind ("generator" and
#: "discriminator" are the DCGAN pair's).
FAMILY_KINDS = {"generator": 1, "discriminator": 2, "dcgan-generator": 1,
                "dcgan-discriminator": 2, "resnet-generator": 3, "resnet-discriminator": 4,
                "style2-generator": 5}
#: Model.family_pair's generator and discriminator architectures.
_PAIR_G = {"dcgan": "dcgan-generator", "resnet": "resnet-generator",
           "style2": "style2-generator"}
_PAIR_D = {"dcgan": "dcgan-discriminator", "resnet": "resnet-discriminator"}


def _pair(v, what):
    if isinstance(v, int):
        return v, v
    try:
        a, b = v
        return int(a), int(b)
    except (TypeError, ValueError):
        raise TypeError("%s must be an int or a pair of ints, not %r" % (what, v)) from None


def _dims(shape, what="shape"):
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(d) for d in shape)
    if len(shape) not in (1, 3):
        raise _errors.InvalidArgumentError(
            "%s must have 1 (features) or 3 (height, width, channels) dimensions, not %r"
            % (what, shape), _errors.EINVAL)
    return shape, (ctypes.c_int * len(shape))(*shape)


def labels_for(labels, n, what="labels"):
    """n class labels as an int32 buffer: an int (every sample's class) or
    a sequence / integer array of exactly n values."""
    if isinstance(labels, int):
        if labels < 0:
            raise _errors.InvalidArgumentError("%s %d is negative" % (what, labels),
                                               _errors.EINVAL)
        labels = [labels] * n
    lb = B.int32_in(labels, what)
    if lb.count != n:
        raise _errors.ShapeError("%d %s for %d samples" % (lb.count, what, n), _errors.ESHAPE)
    return lb


def preset_id(preset):
    """The gan_preset value of a preset name ('mnist-generator') or number."""
    if isinstance(preset, str):
        p = ctypes.c_int()
        fn.gan_preset_from_name(preset.encode(), ctypes.byref(p))
        return p.value
    return int(preset)


def preset_latent_dim(preset):
    """Latent size a generator preset expects (0 for a discriminator)."""
    return int(fn.gan_preset_latent_dim(preset_id(preset)))


def preset_names():
    """The stable names of all presets, in enum order."""
    names = []
    i = 1
    while True:
        n = fn.gan_preset_name(i)
        if n is None:
            return names
        names.append(n.decode())
        i += 1


class Model(Handle):
    """A network (gan_model): an input shape and a sequence of layers.

    >>> d = Model((28, 28, 1))
    >>> d.add_conv2d(64, 5, strides=2, padding='same').add_leaky_relu()
    ...

    Builder methods return the model so they can be chained.  Tensors are
    float32 NHWC arrays whose first axis is the batch.
    """

    _kind = "model"

    def __init__(self, input_shape, _ptr=None, _owner=None):
        if _ptr is None:
            _, dims = _dims(input_shape, "input_shape")
            h = model_p()
            fn.gan_model_create(ctypes.byref(h), len(dims), dims)
            _ptr = h
        self._adopt(_ptr, fn.gan_model_free, owner=_owner)

    @classmethod
    def _wrap(cls, ptr, owner=None):
        obj = cls.__new__(cls)
        obj._adopt(ptr, fn.gan_model_free, owner=owner)
        return obj

    # ---- constructors --------------------------------------------------------
    @classmethod
    def preset(cls, name):
        """A seed-notebook network by name ('mnist-generator', 'wgan-critic', ...;
        see preset_names()) or gan_preset number, initialised from seed 0."""
        h = model_p()
        fn.gan_model_create_preset(ctypes.byref(h), preset_id(name))
        return cls._wrap(h)

    @classmethod
    def family(cls, kind, size=32, channels=3, width=32, max_width=256, latent=128, classes=0,
               class_dim=32, spectral_norm=False, dropout=0.0, minibatch_stddev=False,
               aux_classifier=False):
        """A network for size x size x channels images
        (gan_model_create_family; gan.h's gan_family_kind lists the layers).
        kind: 'generator' / 'discriminator' (the DCGAN-style pair, also
        'dcgan-generator' / 'dcgan-discriminator'), 'resnet-generator' /
        'resnet-discriminator' (residual, SN-ResNet / BigGAN-style) or
        'style2-generator' (StyleGAN2-lite).  Generators map the latent
        vector to an image in [-1, 1], discriminators an image to one score.
        size: 8..256 and 4, 5, 6 or 7 times a power of two (16, 24, 32, 48,
        64, 96, 128...).  width: channels at full resolution, doubled per
        halving up to max_width.  classes > 0: conditional (class embedding
        of class_dim in the DCGAN and style generators, class-conditional
        batchnorm in the residual one, a projection head in D).
        spectral_norm, dropout (DCGAN only), minibatch_stddev (the batch's
        standard deviation as one more channel late in D) and
        aux_classifier (D also outputs `classes` class logits, AC-GAN)
        apply to discriminators.  A generator and a discriminator made with
        the same arguments fit each other."""
        if kind not in FAMILY_KINDS:
            raise _errors.InvalidArgumentError(
                "kind must be one of %s, not %r" % (", ".join(sorted(FAMILY_KINDS)), kind),
                _errors.EINVAL)
        c = FamilyConfig()
        fn.gan_family_config_init(ctypes.byref(c), ctypes.sizeof(c))
        c.size, c.channels, c.width, c.max_width = int(size), int(channels), int(width), \
            int(max_width)
        c.latent, c.classes, c.class_dim = int(latent), int(classes), int(class_dim)
        c.spectral_norm, c.dropout = 1 if spectral_norm else 0, float(dropout)
        c.minibatch_stddev = 1 if minibatch_stddev else 0
        c.aux_classifier = 1 if aux_classifier else 0
        h = model_p()
        fn.gan_model_create_family(ctypes.byref(h), FAMILY_KINDS[kind], ctypes.byref(c))
        return cls._wrap(h)

    @classmethod
    def family_pair(cls, *, size=32, channels=3, width=32, max_width=256, latent=128, classes=0,
                    class_dim=32, spectral_norm=False, dropout=0.0, minibatch_stddev=False,
                    aux_classifier=False, generator="dcgan", discriminator="dcgan"):
        """(generator, discriminator) of Model.family with the same options.
        generator: 'dcgan', 'resnet' or 'style2'; discriminator: 'dcgan' or
        'resnet'.  gan train --images --arch resnet trains
        generator='resnet' against discriminator='dcgan'; --arch style2
        generator='style2' against discriminator='dcgan' with
        minibatch_stddev=True."""
        if generator not in _PAIR_G or discriminator not in _PAIR_D:
            raise _errors.InvalidArgumentError(
                "generator must be dcgan, resnet or style2 and discriminator dcgan or resnet, "
                "not %r and %r" % (generator, discriminator), _errors.EINVAL)
        o = dict(size=size, channels=channels, width=width, max_width=max_width, latent=latent,
                 classes=classes, class_dim=class_dim, spectral_norm=spectral_norm,
                 dropout=dropout, minibatch_stddev=minibatch_stddev,
                 aux_classifier=aux_classifier)
        g = cls.family(_PAIR_G[generator], **o)
        try:
            return g, cls.family(_PAIR_D[discriminator], **o)
        except BaseException:
            g.close()
            raise

    @classmethod
    def load(cls, path):
        """A model from a model file (or a checkpoint's generator)."""
        h = model_p()
        fn.gan_model_load(ctypes.byref(h), cstr(path))
        return cls._wrap(h)

    @classmethod
    def load_bytes(cls, data):
        """A model from the bytes of a model file."""
        b = B.u8_in(data, "data")
        h = model_p()
        fn.gan_model_load_mem(ctypes.byref(h), b.ptr, b.count)
        return cls._wrap(h)

    # ---- building -----------------------------------------------------------
    def add_dense(self, units, use_bias=True, spectral_norm=False, equalized_lr=False,
                  lr_multiplier=1.0, equalized_gain=1.0):
        """Keras Dense(units, use_bias); spectral_norm=True divides the kernel
        by its largest singular value (see set_spectral_norm).
        equalized_lr=True: the equalised learning rate (StyleGAN), the kernel
        stored N(0, 1) / lr_multiplier and used times lr_multiplier /
        sqrt(fan_in), the bias times lr_multiplier; lr_multiplier (e.g. 0.01
        for a mapping network) scales how far Adam moves the layer's
        effective weights, and must be 1 without equalized_lr; equalized_gain
        multiplies the kernel's scale (sqrt(2) before a leaky ReLU: He's
        gain, as StyleGAN's mapping network)."""
        c = DenseConfig()
        fn.gan_dense_config_init(ctypes.byref(c), ctypes.sizeof(c))
        c.units = int(units)
        c.use_bias = 1 if use_bias else 0
        c.spectral_norm = 1 if spectral_norm else 0
        c.equalized_lr = 1 if equalized_lr else 0
        c.lr_multiplier = float(lr_multiplier)
        c.equalized_gain = float(equalized_gain)
        fn.gan_model_add_dense(self._h, ctypes.byref(c))
        return self

    def _conv_config(self, filters, kernel, strides, padding, use_bias, spectral_norm):
        c = Conv2DConfig()
        fn.gan_conv2d_config_init(ctypes.byref(c), ctypes.sizeof(c))
        c.filters = int(filters)
        c.kernel_h, c.kernel_w = _pair(kernel, "kernel")
        c.stride_h, c.stride_w = _pair(strides, "strides")
        if isinstance(padding, str):
            try:
                c.padding = _PADDING[padding.lower()]
            except KeyError:
                raise _errors.InvalidArgumentError(
                    "padding must be 'valid' or 'same', not %r" % padding, _errors.EINVAL) from None
        else:
            c.padding = int(padding)
        c.use_bias = 1 if use_bias else 0
        c.spectral_norm = 1 if spectral_norm else 0
        return c

    def add_conv2d(self, filters, kernel=3, strides=1, padding="valid", use_bias=True,
                   spectral_norm=False):
        """Keras Conv2D(filters, kernel, strides, padding, use_bias), optionally
        spectrally normalised."""
        c = self._conv_config(filters, kernel, strides, padding, use_bias, spectral_norm)
        fn.gan_model_add_conv2d(self._h, ctypes.byref(c))
        return self

    def add_conv2d_transpose(self, filters, kernel=3, strides=1, padding="valid", use_bias=True,
                             spectral_norm=False):
        """Keras Conv2DTranspose(filters, kernel, strides, padding, use_bias),
        optionally spectrally normalised."""
        c = self._conv_config(filters, kernel, strides, padding, use_bias, spectral_norm)
        fn.gan_model_add_conv2d_transpose(self._h, ctypes.byref(c))
        return self

    def add_batchnorm(self, momentum=0.99, epsilon=1e-3):
        """Keras BatchNormalization(momentum, epsilon)."""
        c = BatchNormConfig()
        fn.gan_batchnorm_config_init(ctypes.byref(c), ctypes.sizeof(c))
        c.momentum = float(momentum)
        c.epsilon = float(epsilon)
        fn.gan_model_add_batchnorm(self._h, ctypes.byref(c))
        return self

    def add_leaky_relu(self, alpha=0.3):
        """Keras' default alpha 0.3 (PyTorch's is 0.01)."""
        fn.gan_model_add_leaky_relu(self._h, float(alpha))
        return self

    def add_relu(self):
        """ReLU activation."""
        fn.gan_model_add_relu(self._h)
        return self

    def add_tanh(self):
        """tanh activation (the generators' output, in [-1, 1])."""
        fn.gan_model_add_tanh(self._h)
        return self

    def add_sigmoid(self):
        """Logistic sigmoid activation."""
        fn.gan_model_add_sigmoid(self._h)
        return self

    def add_dropout(self, rate):
        """Keras Dropout(rate): active only in training forwards."""
        fn.gan_model_add_dropout(self._h, float(rate))
        return self

    def add_reshape(self, shape):
        """Reshape each sample to `shape` (same number of values)."""
        _, dims = _dims(shape)
        fn.gan_model_add_reshape(self._h, len(dims), dims)
        return self

    def add_flatten(self):
        """Flatten each sample to a vector."""
        fn.gan_model_add_flatten(self._h)
        return self

    def add_upsample(self, factor):
        """Nearest-neighbour up-sampling of an image by an integer factor
        (1..64): (h, w, c) -> (h * factor, w * factor, c)."""
        fn.gan_model_add_upsample(self._h, int(factor))
        return self

    def add_avgpool(self, factor):
        """Average pooling of an image over non-overlapping factor x factor
        blocks (factor 1..64 dividing h and w): (h, w, c) ->
        (h / factor, w / factor, c)."""
        fn.gan_model_add_avgpool(self._h, int(factor))
        return self

    def add_residual_begin(self):
        """Open a residual block on the current (image) output: the layers
        added next form its branch, and add_residual_add or
        add_residual_conv closes it, adding the shortcut.  Blocks do not
        nest."""
        fn.gan_model_add_residual_begin(self._h)
        return self

    def add_residual_add(self, up=1, down=1):
        """Close the open residual block with an identity shortcut:
        y = branch + R(s), R nearest up-sampling by `up` or average pooling
        by `down` (1..8, at most one above 1) of the block's input s."""
        fn.gan_model_add_residual_add(self._h, int(up), int(down))
        return self

    def add_class_affine(self, n_classes):
        """Per-class, per-channel affine map y = x (1 + G[label]) + B[label]
        (channels last; G and B start at 0).  After add_batchnorm: BigGAN's
        class-conditional batchnorm.  Makes the model conditional."""
        fn.gan_model_add_class_affine(self._h, int(n_classes))
        return self

    def add_residual_conv(self, up=1, down=1, use_bias=True, spectral_norm=False):
        """Close the open residual block with a 1x1-convolution shortcut
        (kernel (C, F), then the bias if use_bias): y = branch + R(s K + b);
        R as in add_residual_add.  spectral_norm=True normalises the 1x1
        kernel (see set_spectral_norm)."""
        fn.gan_model_add_residual_conv(self._h, int(up), int(down), 1 if use_bias else 0)
        if spectral_norm:
            fn.gan_model_set_spectral_norm(self._h, len(self) - 1, 1)
        return self

    def add_minibatch_stddev(self):
        """One more channel (or feature) holding the batch's mean feature
        standard deviation (Karras et al.), against mode collapse."""
        fn.gan_model_add_minibatch_stddev(self._h)
        return self

    def add_minibatch_discrimination(self, kernels, kernel_dim):
        """Salimans et al.'s minibatch discrimination on a vector input:
        appends `kernels` features measuring each sample's closeness to the
        rest of its batch."""
        fn.gan_model_add_minibatch_discrimination(self._h, int(kernels), int(kernel_dim))
        return self

    def add_style_input(self, height, width, channels):
        """The synthesis network's input of a style-based generator: its
        input (a vector, e.g. a mapping network's output) is each sample's
        style vector, kept for the adain layers after it; it outputs a
        learned constant of shape (height, width, channels).  At most one
        per model."""
        fn.gan_model_add_style_input(self._h, int(height), int(width), int(channels))
        return self

    def add_adain(self, epsilon=1e-5):
        """Adaptive instance normalisation modulated by the style vector s
        of the style input layer before it: per sample and channel,
        (1 + gamma) * (x - mean) / sqrt(var + epsilon) + beta with
        [gamma, beta] = s A + b (A: style_dim x 2*channels, then b)."""
        fn.gan_model_add_adain(self._h, float(epsilon))
        return self

    def add_modulated_conv2d(self, filters, kernel=3, demodulate=True, equalized_lr=True):
        """StyleGAN2's modulated convolution (stride 1, 'same' padding) on
        an image: the kernel scaled per sample and input channel by
        s = affine(style vector) of the style input layer before it, then
        with demodulate=True each filter normalised to unit norm; plus a
        bias.  equalized_lr=True: weights N(0, 1) scaled at run time by
        He's constant.  Parameters: kernel (k, k, C, filters), bias,
        affine A (style_dim, C), affine bias (C, starts at 1)."""
        fn.gan_model_add_modulated_conv2d(self._h, int(filters), int(kernel),
                                          1 if demodulate else 0, 1 if equalized_lr else 0)
        return self

    def add_noise_injection(self):
        """StyleGAN's noise input on an image: x + strength[c] * e, one
        N(0, 1) value e per pixel (fresh per sample in training, one fixed
        map in inference); strengths start at 0."""
        fn.gan_model_add_noise_injection(self._h)
        return self
    def add_class_embedding(self, n_classes, dim=0):
        """Append the class of each sample (the labels given to forward) to
        its features: a trainable embedding of ``dim`` values (N(0, 1)
        init), or with dim=0 the fixed one-hot vector of n_classes values.
        On an image the code is appended as channels at every position.
        Makes the model conditional."""
        fn.gan_model_add_class_embedding(self._h, int(n_classes), int(dim))
        return self

    def add_class_projection(self, n_classes):
        """Miyato & Koyama's projection discriminator head on a vector h:
        one output <w, h> + b + <V[y], h> per sample of class y.  Makes the
        model conditional."""
        fn.gan_model_add_class_projection(self._h, int(n_classes))
        return self

    def add_class_projection_aux(self, n_classes):
        """The projection head with AC-GAN's auxiliary classifier beside it:
        1 + n_classes outputs per sample, the adversarial logit then the
        class logits U h + c, which Loss(class_weight=...) trains."""
        fn.gan_model_add_class_projection_aux(self._h, int(n_classes))
        return self

    @property
    def num_classes(self):
        """Classes of a conditional model's labels (0: not conditional)."""
        k = ctypes.c_int()
        fn.gan_model_num_classes(self._h, ctypes.byref(k))
        return k.value

    @property
    def class_names(self):
        """The classes' names, label k naming class k ([] without names).
        Set a list of num_classes distinct names (1..255 bytes of UTF-8,
        no control characters) or [] to remove them; model files and
        checkpoints keep them."""
        count = ctypes.c_size_t()
        fn.gan_model_class_name_count(self._h, ctypes.byref(count))
        names = []
        for k in range(count.value):
            need = ctypes.c_size_t()
            fn.gan_model_class_name(self._h, k, None, 0, ctypes.byref(need))
            buf = ctypes.create_string_buffer(need.value + 1)
            fn.gan_model_class_name(self._h, k, buf, len(buf), None)
            names.append(buf.value.decode("utf-8", "replace"))
        return names

    @class_names.setter
    def class_names(self, names):
        if isinstance(names, (str, bytes)):
            raise TypeError("class_names must be a list of names, not one string")
        enc = [n.encode("utf-8") if isinstance(n, str) else bytes(n) for n in names]
        arr = (ctypes.c_char_p * max(len(enc), 1))(*enc)
        fn.gan_model_set_class_names(self._h, arr if enc else None, len(enc))

    def class_index(self, name):
        """The label of the class called name (InvalidArgumentError if none)."""
        k = ctypes.c_int()
        fn.gan_model_class_from_name(self._h, name.encode("utf-8"), ctypes.byref(k))
        return k.value

    # ---- settings -----------------------------------------------------------
    def init_params(self, seed):
        """Re-initialise every parameter and batchnorm statistic from seed."""
        fn.gan_model_init_params(self._h, int(seed))
        return self

    def set_seed(self, seed):
        """Reset the dropout random stream."""
        fn.gan_model_set_seed(self._h, int(seed))
        return self

    def reserve(self, max_batch):
        """Allocate the buffers for batches of up to max_batch samples now."""
        fn.gan_model_reserve(self._h, int(max_batch))
        return self

    def set_trainable(self, trainable=True, layer=-1):
        """Freeze (False) or unfreeze one layer, or every layer (layer=-1)."""
        fn.gan_model_set_trainable(self._h, self._layer_or_special(layer), 1 if trainable else 0)
        return self

    def set_spectral_norm(self, on=True, layer=-1):
        """Spectral normalisation (Miyato et al.) of one dense/conv2d/
        conv2d_transpose/residual_conv layer, or of every such layer (layer=-1).  Each
        training forward runs one power iteration on the layer's state u
        (get_state); inference forwards only read it.  Trainers and samplers
        made before the switch refuse to run."""
        fn.gan_model_set_spectral_norm(self._h, self._layer_or_special(layer), 1 if on else 0)
        return self

    def zero_grad(self):
        """Clear the accumulated parameter gradients (backward adds to them)."""
        fn.gan_model_zero_grad(self._h)
        return self

    # ---- introspection ------------------------------------------------------
    def __len__(self):
        n = ctypes.c_size_t()
        fn.gan_model_layer_count(self._h, ctypes.byref(n))
        return n.value

    @property
    def num_layers(self):
        """The number of layers (len(model))."""
        return len(self)

    def layer_kind(self, layer):
        """'dense', 'conv2d', ... of layer `layer`."""
        k = ctypes.c_int()
        fn.gan_model_layer_kind(self._h, self._layer(layer), ctypes.byref(k))
        return LAYER_KINDS.get(k.value, str(k.value))

    @property
    def layer_kinds(self):
        """The kind of every layer, in order."""
        return [self.layer_kind(i) for i in range(len(self))]

    def shape(self, layer=-1):
        """Per-sample shape of the input (layer=-1) or of layer `layer`'s output."""
        ndim = ctypes.c_size_t()
        dims = (ctypes.c_int * 3)()
        fn.gan_model_shape(self._h, self._layer_or_special(layer), ctypes.byref(ndim), dims)
        return tuple(dims[i] for i in range(ndim.value))

    @property
    def input_shape(self):
        """Per-sample input shape, e.g. (100,) or (28, 28, 1)."""
        return self.shape(-1)

    @property
    def output_shape(self):
        """Per-sample output shape."""
        n = len(self)
        return self.shape(n - 1) if n else self.shape(-1)

    @property
    def param_count(self):
        """Total parameters as Keras counts them (with batchnorm statistics)."""
        t = ctypes.c_size_t()
        fn.gan_model_param_count(self._h, ctypes.byref(t), None)
        return t.value

    @property
    def trainable_param_count(self):
        """Parameters the optimizers update (without batchnorm statistics)."""
        t = ctypes.c_size_t()
        fn.gan_model_param_count(self._h, None, ctypes.byref(t))
        return t.value

    def layer_sizes(self, layer):
        """(n_params, n_state) of one layer."""
        p, s = ctypes.c_size_t(), ctypes.c_size_t()
        fn.gan_model_layer_sizes(self._h, self._layer(layer), ctypes.byref(p), ctypes.byref(s))
        return p.value, s.value

    def summary(self):
        """Keras-style summary text."""
        h = self._h
        needed = ctypes.c_size_t()
        fn.gan_model_summary(h, None, 0, ctypes.byref(needed))
        buf = ctypes.create_string_buffer(needed.value + 1)
        fn.gan_model_summary(h, buf, len(buf), None)
        return buf.value.decode("utf-8", "replace")

    def __repr__(self):
        if self.closed:
            return "<libgan.Model closed>"
        return "<libgan.Model %s -> %s, %d layers, %d params>" % (
            self.input_shape, self.output_shape, len(self), self.param_count)

    def _layer(self, layer):
        layer = int(layer)
        if layer < 0:
            raise _errors.InvalidArgumentError("layer index %d is negative" % layer,
                                               _errors.EINVAL)
        return layer

    def _layer_or_special(self, layer):
        """A layer index, or -1 for the call's special index (every layer,
        or the input): (size_t)-1 in C."""
        layer = int(layer)
        return LAYER_SPECIAL if layer == -1 else self._layer(layer)

    # ---- tensors ------------------------------------------------------------
    @staticmethod
    def _batch_of(buf, sample_shape, what):
        """The batch size of tensor buf whose samples have sample_shape.

        A numpy array (or a multi-dimensional float memoryview) must have
        shape (batch,) + sample_shape exactly; a flat buffer must hold a
        positive whole number of samples."""
        sample_shape = tuple(sample_shape)
        if buf.shape is not None and (B.is_ndarray(buf.keep) or len(buf.shape) > 1):
            if len(buf.shape) < 1 or tuple(buf.shape[1:]) != sample_shape or buf.shape[0] == 0:
                raise _errors.ShapeError(
                    "%s has shape %s; expected (batch,) + %s with batch >= 1"
                    % (what, tuple(buf.shape), sample_shape), _errors.ESHAPE)
            return int(buf.shape[0])
        per = B.prod(sample_shape)
        if buf.count == 0 or buf.count % per:
            raise _errors.ShapeError(
                "%s holds %d floats, not a positive multiple of %d (one sample of shape %s)"
                % (what, buf.count, per, sample_shape), _errors.ESHAPE)
        return buf.count // per

    def forward(self, x, training=False, out=None, labels=None):
        """Run the network on a batch x of shape (batch,) + input_shape.

        training=True uses dropout and batch statistics (and updates the
        running ones), as Keras' model(x, training=True).  Returns a new
        float32 array of shape (batch,) + output_shape (or fills ``out``).
        labels: the class of each sample, required by a conditional model
        (num_classes > 0) and refused by others; an int labels every sample.
        backward() then uses the same labels.
        """
        h = self._h
        xb = B.floats_in(x, "x")
        batch = self._batch_of(xb, self.input_shape, "x")
        y, yb = B.floats_out((batch,) + self.output_shape, out)
        if labels is None:
            fn.gan_model_forward(h, xb.ptr, xb.count, batch, 1 if training else 0, yb.ptr,
                                 yb.count)
        else:
            lb = labels_for(labels, batch)
            fn.gan_model_forward_labeled(h, xb.ptr, xb.count, lb.ptr, batch,
                                         1 if training else 0, yb.ptr, yb.count)
        return y

    __call__ = forward

    def output(self):
        """A copy of the last forward()'s output, shape (batch,) + output_shape."""
        p = ctypes.c_void_p()
        n = ctypes.c_size_t()
        fn.gan_model_output(self._h, ctypes.byref(p), ctypes.byref(n))
        shape = self.output_shape
        y, yb = B.floats_out((n.value // B.prod(shape),) + shape)
        ctypes.memmove(yb.ptr, p.value, 4 * n.value)
        return y

    def backward(self, dy, return_dx=True):
        """Backpropagate dy (d loss / d output of the last forward, shape
        (batch,) + output_shape).  Parameter gradients are ADDED to the
        model's gradient buffers (see zero_grad()).  Returns d loss / d input
        (shape (batch,) + input_shape), or None with return_dx=False."""
        h = self._h
        db = B.floats_in(dy, "dy")
        batch = self._batch_of(db, self.output_shape, "dy")
        if return_dx:
            dx, dxb = B.floats_out((batch,) + self.input_shape)
            fn.gan_model_backward(h, db.ptr, db.count, dxb.ptr, dxb.count)
            return dx
        fn.gan_model_backward(h, db.ptr, db.count, None, 0)
        return None

    # ---- parameters ---------------------------------------------------------
    def _get(self, cfun, layer, which):
        h = self._h
        n_params, n_state = self.layer_sizes(layer)
        n = n_params if which == "params" else n_state
        a, ab = B.floats_out((n,))
        if n:
            cfun(h, self._layer(layer), ab.ptr, n)
        return a

    def _set(self, cfun, layer, values, which):
        h = self._h
        vb = B.floats_in(values, which)
        cfun(h, self._layer(layer), vb.ptr, vb.count)
        return self

    def get_params(self, layer):
        """A copy of layer `layer`'s parameters, flat, in gan.h's (Keras') order."""
        return self._get(fn.gan_model_get_params, layer, "params")

    def set_params(self, layer, values):
        """Replace layer `layer`'s parameters (float32, exactly n_params values)."""
        return self._set(fn.gan_model_set_params, layer, values, "params")

    def get_grads(self, layer):
        """A copy of the accumulated gradients of layer `layer`'s parameters."""
        return self._get(fn.gan_model_get_grads, layer, "params")

    def get_state(self, layer):
        """Layer `layer`'s state: batchnorm running statistics (moving mean,
        then moving variance), or a spectrally normalised layer's u."""
        return self._get(fn.gan_model_get_state, layer, "state")

    def set_state(self, layer, values):
        """Replace layer `layer`'s state (as get_state returns it)."""
        return self._set(fn.gan_model_set_state, layer, values, "state")

    def get_weights(self):
        """Every layer's parameters as a list of flat arrays (empty for
        layers without parameters)."""
        return [self.get_params(i) for i in range(len(self))]

    def set_weights(self, weights):
        """Set every layer's parameters from get_weights()'s list."""
        for i, w in enumerate(weights):
            if self.layer_sizes(i)[0]:
                self.set_params(i, w)
        return self

    # ---- files --------------------------------------------------------------
    def save(self, path):
        """Save the network to a model file, atomically."""
        fn.gan_model_save(self._h, cstr(path))

    def to_bytes(self):
        """The bytes of the model file save() would write."""
        p = ctypes.c_void_p()
        n = ctypes.c_size_t()
        fn.gan_model_save_mem(self._h, ctypes.byref(p), ctypes.byref(n))
        try:
            return ctypes.string_at(p.value, n.value)
        finally:
            fn.gan_free(p)

    def export_onnx(self, path=None):
        """The network as an ONNX model (opset 13, NHWC "latent"/"labels" in,
        "image" out: docs/embedding.md): written to path atomically, or
        returned as bytes when path is None.  LibganError
        (GAN_EUNSUPPORTED) naming the first layer with no ONNX form."""
        if path is not None:
            fn.gan_model_export_onnx(self._h, cstr(path))
            return None
        p = ctypes.c_void_p()
        n = ctypes.c_size_t()
        fn.gan_model_export_onnx_mem(self._h, ctypes.byref(p), ctypes.byref(n))
        try:
            return ctypes.string_at(p.value, n.value)
        finally:
            fn.gan_free(p)

    # ---- copies ---------------------------------------------------------------
    def __copy__(self):
        """An independent model: what to_bytes() and load_bytes() give (layers,
        weights, batchnorm statistics; no gradients, a random stream reset to
        seed 0).  copy.copy and copy.deepcopy are the same."""
        return type(self).load_bytes(self.to_bytes())

    def __deepcopy__(self, memo):
        return self.__copy__()

    def __reduce_ex__(self, protocol):
        # pickle: the model file's bytes.
        return (_model_from_bytes, (self.to_bytes(),))

    def __reduce__(self):
        return self.__reduce_ex__(2)


def _model_from_bytes(data):
    """pickle's constructor of a Model (its model-file bytes)."""
    return Model.load_bytes(data)
