"""Loading libgan.so and declaring the C prototypes (gan.h, ABI major 1).

Nothing here is public API: the classes in the other modules wrap it.
Every function the bindings call is declared below with its argtypes and
restype; functions returning a gan_status get an errcheck that turns a
negative status into a GanError subclass carrying gan_last_error().
"""

import ctypes
import ctypes.util
import glob
import os

from . import _errors

#: The ABI major version these bindings were written for (gan.h GAN_VERSION_MAJOR).
ABI_MAJOR = 1

# ---------------------------------------------------------------------------
# Finding the library
# ---------------------------------------------------------------------------


def _sanitized_build(build_dir):
    """True if build_dir's CMake cache says it was built with sanitizers.

    Loading an ASan library into a Python that does not preload the ASan
    runtime kills the process ("ASan runtime does not come first"), so such
    trees are skipped unless the runtime is already loaded.
    """
    cache = os.path.join(build_dir, "CMakeCache.txt")
    try:
        with open(cache, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("GAN_SANITIZE:"):
                    return line.split("=", 1)[1].strip() != ""
    except OSError:
        pass
    return False


def _asan_runtime_loaded():
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            return "libasan" in f.read()
    except OSError:
        return False


def _build_tree_candidates():
    """libgan.so in build/ and build-*/ of the repository above this package."""
    here = os.path.dirname(os.path.abspath(__file__))
    d = here
    seen = set()
    while True:
        if os.path.isfile(os.path.join(d, "include", "gan.h")):
            dirs = [os.path.join(d, "build")] + sorted(glob.glob(os.path.join(d, "build-*")))
            asan_ok = _asan_runtime_loaded()
            for b in dirs:
                if b in seen or not os.path.isdir(b):
                    continue
                seen.add(b)
                if _sanitized_build(b) and not asan_ok:
                    continue
                for name in ("libgan.so", "libgan.so.1"):
                    p = os.path.join(b, name)
                    if os.path.isfile(p):
                        yield p
                        break
        parent = os.path.dirname(d)
        if parent == d:
            return
        d = parent


def _prefix_candidates():
    """libgan.so.1 of the installation this package belongs to.

    A package installed under a prefix P (P/lib/pythonX.Y/site-packages,
    P/lib/python3/dist-packages, a venv that is P) looks for the library in
    P/lib, P/lib64 and P/lib/<multiarch>: `cmake --install --prefix P` and
    `pip install --prefix P` (or into the venv P) then work together, with
    nothing on LD_LIBRARY_PATH.
    """
    import sysconfig
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    d = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # site-packages
    for _ in range(4):
        d = os.path.dirname(d)
        for sub in ("lib", "lib64", os.path.join("lib", multiarch) if multiarch else None):
            if sub:
                p = os.path.join(d, sub, "libgan.so.%d" % ABI_MAJOR)
                if os.path.isfile(p):
                    yield p


def _load():
    tried = []
    env = os.environ.get("GAN_LIBRARY")
    if env:
        # An explicit choice is final: failing to load it is an error, not a
        # reason to pick another library silently.
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise ImportError("libgan: GAN_LIBRARY=%s could not be loaded: %s" % (env, e)) from e
    for p in _prefix_candidates():
        try:
            return ctypes.CDLL(p), p
        except OSError as e:
            tried.append("%s (%s)" % (p, e))
    for p in _build_tree_candidates():
        try:
            return ctypes.CDLL(p), p
        except OSError as e:
            tried.append("%s (%s)" % (p, e))
    names = []
    found = ctypes.util.find_library("gan")
    if found:
        names.append(found)
    names.append("libgan.so.%d" % ABI_MAJOR)
    for n in names:
        try:
            return ctypes.CDLL(n), n
        except OSError as e:
            tried.append("%s (%s)" % (n, e))
    raise ImportError(
        "libgan: libgan.so.%d not found. Set GAN_LIBRARY to its path, build it in the "
        "repository's build/ directory, or install it. Tried: %s"
        % (ABI_MAJOR, "; ".join(tried) or "nothing"))


lib, path = _load()

# ---------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------

c_status = ctypes.c_int
c_size_t = ctypes.c_size_t
c_uint64 = ctypes.c_uint64
c_int = ctypes.c_int
c_float = ctypes.c_float
c_void_p = ctypes.c_void_p
c_char_p = ctypes.c_char_p
P = ctypes.POINTER


class model_p(ctypes.c_void_p):
    """gan_model *"""


class dataset_p(ctypes.c_void_p):
    """gan_dataset *"""


class loss_p(ctypes.c_void_p):
    """gan_loss *"""


class optimizer_p(ctypes.c_void_p):
    """gan_optimizer *"""


class trainer_p(ctypes.c_void_p):
    """gan_trainer *"""


class sampler_p(ctypes.c_void_p):
    """gan_sampler *"""


# Layer indices are size_t; (size_t)-1 is the special index of gan.h
# (GAN_ALL_LAYERS, GAN_MODEL_INPUT, GAN_DEFAULT_FEATURE_LAYER).
LAYER_SPECIAL = c_size_t(-1).value

# Size-prefixed config structs, mirrored field by field from gan.h.  Enums
# are C ints.  struct_size is set by the library's *_config_init().


class DenseConfig(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("units", c_int), ("use_bias", c_int),
                ("spectral_norm", c_int), ("equalized_lr", c_int), ("lr_multiplier", c_float),
                ("equalized_gain", c_float)]


class Conv2DConfig(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("filters", c_int), ("kernel_h", c_int),
                ("kernel_w", c_int), ("stride_h", c_int), ("stride_w", c_int),
                ("padding", c_int), ("use_bias", c_int), ("spectral_norm", c_int)]


class BatchNormConfig(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("momentum", c_float), ("epsilon", c_float)]


class BatchConfig(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("batch_size", c_size_t), ("shuffle", c_int),
                ("drop_remainder", c_int), ("seed", c_uint64)]


class LossConfig(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("kind", c_int),
                ("generator_minimax", c_int), ("real_label", c_float), ("clip", c_float),
                ("feature_layer", c_int), ("gradient_penalty", c_float), ("r1_gamma", c_float),
                ("class_weight", c_float)]


class OptimizerConfig(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("kind", c_int), ("lr", c_float),
                ("beta1", c_float), ("beta2", c_float), ("eps", c_float), ("rho", c_float),
                ("momentum", c_float), ("nesterov", c_int), ("weight_decay", c_float)]


class TrainerConfig(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("n_critic", c_int), ("seed", c_uint64),
                ("ema_decay", c_float), ("augment", c_uint64), ("augment_p", c_float),
                ("ada_target", c_float), ("ada_interval", c_int), ("ada_speed", c_float),
                ("r1_every", c_int)]


class StepStats(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("d_loss", c_float), ("g_loss", c_float),
                ("d_real", c_float), ("d_fake", c_float)]


class FamilyConfig(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("size", c_int), ("channels", c_int),
                ("width", c_int), ("max_width", c_int), ("latent", c_int), ("classes", c_int),
                ("class_dim", c_int), ("spectral_norm", c_int), ("dropout", c_float),
                ("minibatch_stddev", c_int), ("aux_classifier", c_int)]


IMAGE_PROGRESS = ctypes.CFUNCTYPE(None, c_size_t, c_size_t, c_char_p, c_void_p)


class ImageConfig(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("height", c_int), ("width", c_int),
                ("channels", c_int), ("fit", c_int), ("background", ctypes.c_uint32),
                ("labels", c_int), ("on_error", c_int), ("flip_x", c_int),
                ("max_pixels", c_uint64), ("cache_path", c_char_p),
                ("progress", IMAGE_PROGRESS), ("progress_user", c_void_p)]


class ImageReport(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("files", c_size_t), ("loaded", c_size_t),
                ("skipped", c_size_t), ("ignored", c_size_t), ("cache", c_int),
                ("first_error", ctypes.c_char * 512), ("cache_note", ctypes.c_char * 512)]


# gan_reducer_config: data-parallel training's callbacks (libgan.distributed
# drives libgan_mpi, which fills it in C).
REDUCE_START = ctypes.CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)
REDUCE_WAIT = ctypes.CFUNCTYPE(c_int, c_void_p)
REDUCE_DOUBLES = ctypes.CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)
REDUCE_PROGRESS = ctypes.CFUNCTYPE(None, c_void_p)
REDUCE_OUT_OF_STEP = ctypes.CFUNCTYPE(None, c_int, c_void_p)


class ReducerConfig(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("rank", c_int), ("size", c_int),
                ("sum_start", REDUCE_START), ("sum_wait", REDUCE_WAIT),
                ("sum_doubles", REDUCE_DOUBLES), ("progress", REDUCE_PROGRESS),
                ("out_of_step", REDUCE_OUT_OF_STEP), ("bucket_bytes", c_size_t),
                ("user", c_void_p)]


STEP_CALLBACK = ctypes.CFUNCTYPE(c_int, P(StepStats), c_uint64, c_void_p)
EPOCH_CALLBACK = ctypes.CFUNCTYPE(c_int, c_uint64, P(StepStats), c_void_p)

# ---------------------------------------------------------------------------
# Status checking
# ---------------------------------------------------------------------------


def _last_error():
    msg = lib.gan_last_error()
    return msg.decode("utf-8", "replace") if msg else ""


def _check(result, func, args):
    if result < 0:
        raise _errors.error_for(result, _last_error() or func.__name__ + " failed")
    return result


# ---------------------------------------------------------------------------
# Prototypes: (name, restype, argtypes).  STATUS marks gan_status returns.
# ---------------------------------------------------------------------------

STATUS = object()
_u8p = c_void_p   # const uint8_t *  (passed as an address)
_fp = c_void_p    # float *          (passed as an address or None)

_PROTOTYPES = [
    # errors and version
    ("gan_last_error", c_char_p, []),
    ("gan_clear_error", None, []),
    ("gan_set_error", c_int, [c_int, c_char_p]),
    ("gan_status_str", c_char_p, [c_int]),
    ("gan_version", c_char_p, []),
    ("gan_version_number", ctypes.c_long, []),
    # global settings (gan_set_allocator is deliberately not bound: a Python
    # allocator would run inside every kernel and must outlive all handles)
    ("gan_set_threads", STATUS, [c_int]),
    ("gan_get_threads", c_int, []),
    # models
    ("gan_dense_config_init", STATUS, [P(DenseConfig), c_size_t]),
    ("gan_conv2d_config_init", STATUS, [P(Conv2DConfig), c_size_t]),
    ("gan_batchnorm_config_init", STATUS, [P(BatchNormConfig), c_size_t]),
    ("gan_model_create", STATUS, [P(model_p), c_size_t, P(c_int)]),
    ("gan_model_free", None, [model_p]),
    ("gan_model_add_dense", STATUS, [model_p, P(DenseConfig)]),
    ("gan_model_add_conv2d", STATUS, [model_p, P(Conv2DConfig)]),
    ("gan_model_add_conv2d_transpose", STATUS, [model_p, P(Conv2DConfig)]),
    ("gan_model_add_batchnorm", STATUS, [model_p, P(BatchNormConfig)]),
    ("gan_model_add_leaky_relu", STATUS, [model_p, c_float]),
    ("gan_model_add_relu", STATUS, [model_p]),
    ("gan_model_add_tanh", STATUS, [model_p]),
    ("gan_model_add_sigmoid", STATUS, [model_p]),
    ("gan_model_add_dropout", STATUS, [model_p, c_float]),
    ("gan_model_add_reshape", STATUS, [model_p, c_size_t, P(c_int)]),
    ("gan_model_add_flatten", STATUS, [model_p]),
    ("gan_model_add_upsample", STATUS, [model_p, c_int]),
    ("gan_model_add_avgpool", STATUS, [model_p, c_int]),
    ("gan_model_add_residual_begin", STATUS, [model_p]),
    ("gan_model_add_residual_add", STATUS, [model_p, c_int, c_int]),
    ("gan_model_add_residual_conv", STATUS, [model_p, c_int, c_int, c_int]),
    ("gan_model_add_class_affine", STATUS, [model_p, c_int]),
    ("gan_model_add_minibatch_stddev", STATUS, [model_p]),
    ("gan_model_add_minibatch_discrimination", STATUS, [model_p, c_int, c_int]),
    ("gan_model_add_style_input", STATUS, [model_p, c_int, c_int, c_int]),
    ("gan_model_add_adain", STATUS, [model_p, c_float]),
    ("gan_model_add_modulated_conv2d", STATUS, [model_p, c_int, c_int, c_int, c_int]),
    ("gan_model_add_noise_injection", STATUS, [model_p]),
    ("gan_model_add_class_embedding", STATUS, [model_p, c_int, c_int]),
    ("gan_model_add_class_projection", STATUS, [model_p, c_int]),
    ("gan_model_add_class_projection_aux", STATUS, [model_p, c_int]),
    ("gan_model_num_classes", STATUS, [model_p, P(c_int)]),
    ("gan_trainer_augment_state", STATUS, [c_void_p, P(c_float), P(c_float)]),
    ("gan_model_set_class_names", STATUS, [model_p, P(c_char_p), c_size_t]),
    ("gan_model_class_name_count", STATUS, [model_p, P(c_size_t)]),
    ("gan_model_class_name", STATUS, [model_p, c_size_t, c_char_p, c_size_t, P(c_size_t)]),
    ("gan_model_class_from_name", STATUS, [model_p, c_char_p, P(c_int)]),
    ("gan_family_config_init", STATUS, [P(FamilyConfig), c_size_t]),
    ("gan_model_create_family", STATUS, [P(model_p), c_int, P(FamilyConfig)]),
    ("gan_model_init_params", STATUS, [model_p, c_uint64]),
    ("gan_model_set_seed", STATUS, [model_p, c_uint64]),
    ("gan_model_reserve", STATUS, [model_p, c_size_t]),
    ("gan_model_forward", STATUS, [model_p, _fp, c_size_t, c_size_t, c_int, _fp, c_size_t]),
    ("gan_model_forward_labeled", STATUS,
     [model_p, _fp, c_size_t, c_void_p, c_size_t, c_int, _fp, c_size_t]),
    ("gan_model_output", STATUS, [model_p, P(c_void_p), P(c_size_t)]),
    ("gan_model_backward", STATUS, [model_p, _fp, c_size_t, _fp, c_size_t]),
    ("gan_model_zero_grad", STATUS, [model_p]),
    ("gan_model_set_trainable", STATUS, [model_p, c_size_t, c_int]),
    ("gan_model_set_spectral_norm", STATUS, [model_p, c_size_t, c_int]),
    ("gan_model_layer_count", STATUS, [model_p, P(c_size_t)]),
    ("gan_model_layer_kind", STATUS, [model_p, c_size_t, P(c_int)]),
    ("gan_layer_kind_name", c_char_p, [c_int]),
    ("gan_layer_kind_count", c_int, []),
    ("gan_model_shape", STATUS, [model_p, c_size_t, P(c_size_t), P(c_int)]),
    ("gan_model_param_count", STATUS, [model_p, P(c_size_t), P(c_size_t)]),
    ("gan_model_layer_sizes", STATUS, [model_p, c_size_t, P(c_size_t), P(c_size_t)]),
    ("gan_model_get_params", STATUS, [model_p, c_size_t, _fp, c_size_t]),
    ("gan_model_set_params", STATUS, [model_p, c_size_t, _fp, c_size_t]),
    ("gan_model_get_grads", STATUS, [model_p, c_size_t, _fp, c_size_t]),
    ("gan_model_get_state", STATUS, [model_p, c_size_t, _fp, c_size_t]),
    ("gan_model_set_state", STATUS, [model_p, c_size_t, _fp, c_size_t]),
    ("gan_model_summary", STATUS, [model_p, c_char_p, c_size_t, P(c_size_t)]),
    # datasets
    ("gan_dataset_create_float", STATUS,
     [P(dataset_p), _fp, c_size_t, c_size_t, P(c_int), c_void_p, c_int]),
    ("gan_dataset_create_u8", STATUS, [P(dataset_p), _u8p, c_size_t, c_size_t, P(c_int), c_void_p]),
    ("gan_dataset_load_idx", STATUS, [P(dataset_p), c_char_p, c_char_p]),
    ("gan_dataset_load_idx_mem", STATUS, [P(dataset_p), c_void_p, c_size_t, c_void_p, c_size_t]),
    ("gan_dataset_load_cifar10", STATUS, [P(dataset_p), c_char_p, c_int]),
    ("gan_dataset_load_cifar10_mem", STATUS, [P(dataset_p), c_void_p, c_size_t]),
    ("gan_dataset_load_mnist_dir", STATUS, [P(dataset_p), c_char_p, c_int]),
    ("gan_dataset_convert", STATUS, [P(dataset_p), dataset_p, c_int, c_int, c_int]),
    ("gan_dataset_free", None, [dataset_p]),
    ("gan_dataset_size", STATUS, [dataset_p, P(c_size_t)]),
    ("gan_dataset_shape", STATUS, [dataset_p, P(c_size_t), P(c_int)]),
    ("gan_dataset_labels_info", STATUS, [dataset_p, P(c_int), P(c_int)]),
    ("gan_dataset_limit", STATUS, [dataset_p, c_size_t]),
    ("gan_dataset_get", STATUS, [dataset_p, c_size_t, _fp, c_size_t, P(ctypes.c_int32)]),
    ("gan_batch_config_init", STATUS, [P(BatchConfig), c_size_t]),
    ("gan_dataset_set_batching", STATUS, [dataset_p, P(BatchConfig)]),
    ("gan_dataset_get_batching", STATUS, [dataset_p, P(BatchConfig)]),
    ("gan_dataset_batches_per_epoch", STATUS, [dataset_p, P(c_size_t)]),
    ("gan_dataset_next_batch", STATUS,
     [dataset_p, _fp, c_size_t, c_void_p, P(c_size_t), P(c_size_t)]),
    ("gan_dataset_set_flip_x", STATUS, [dataset_p, c_int]),
    ("gan_image_config_init", STATUS, [P(ImageConfig), c_size_t]),
    ("gan_dataset_load_images", STATUS, [P(dataset_p), c_char_p, P(ImageConfig)]),
    ("gan_dataset_load_images_mem", STATUS,
     [P(dataset_p), P(c_void_p), P(c_size_t), P(c_char_p), c_size_t, P(ImageConfig)]),
    ("gan_dataset_class_count", STATUS, [dataset_p, P(c_size_t)]),
    ("gan_dataset_class_name", STATUS, [dataset_p, c_size_t, c_char_p, c_size_t, P(c_size_t)]),
    ("gan_dataset_image_report", STATUS, [dataset_p, P(ImageReport)]),
    # losses
    ("gan_loss_config_init", STATUS, [P(LossConfig), c_size_t]),
    ("gan_loss_create", STATUS, [P(loss_p), P(LossConfig)]),
    ("gan_loss_free", None, [loss_p]),
    ("gan_loss_kind_of", STATUS, [loss_p, P(c_int)]),
    ("gan_loss_kind_name", c_char_p, [c_int]),
    ("gan_loss_discriminator", STATUS,
     [loss_p, _fp, c_size_t, _fp, c_size_t, P(c_float), _fp, _fp]),
    ("gan_loss_generator", STATUS, [loss_p, _fp, c_size_t, P(c_float), _fp]),
    ("gan_loss_feature_matching", STATUS,
     [loss_p, _fp, c_size_t, _fp, c_size_t, c_size_t, P(c_float), _fp]),
    ("gan_loss_class", STATUS, [loss_p, _fp, c_size_t, c_int, P(ctypes.c_int32), P(c_float), _fp]),
    # optimizers
    ("gan_optimizer_config_init", STATUS, [P(OptimizerConfig), c_size_t]),
    ("gan_optimizer_create", STATUS, [P(optimizer_p), model_p, P(OptimizerConfig)]),
    ("gan_optimizer_free", None, [optimizer_p]),
    ("gan_optimizer_step", STATUS, [optimizer_p]),
    ("gan_optimizer_set_lr", STATUS, [optimizer_p, c_float]),
    ("gan_optimizer_get_lr", STATUS, [optimizer_p, P(c_float)]),
    ("gan_optimizer_state_size", STATUS, [optimizer_p, P(c_size_t)]),
    ("gan_optimizer_get_state", STATUS, [optimizer_p, _fp, c_size_t, P(c_uint64)]),
    ("gan_optimizer_set_state", STATUS, [optimizer_p, _fp, c_size_t, c_uint64]),
    # training
    ("gan_trainer_config_init", STATUS, [P(TrainerConfig), c_size_t]),
    ("gan_trainer_create", STATUS,
     [P(trainer_p), model_p, model_p, optimizer_p, optimizer_p, loss_p, P(TrainerConfig)]),
    ("gan_trainer_free", None, [trainer_p]),
    ("gan_trainer_step", STATUS, [trainer_p, _fp, c_size_t, c_size_t, P(StepStats)]),
    ("gan_trainer_step_labeled", STATUS,
     [trainer_p, _fp, c_size_t, c_void_p, c_size_t, c_size_t, P(StepStats)]),
    ("gan_trainer_progress", STATUS, [trainer_p, P(c_uint64), P(c_uint64)]),
    ("gan_trainer_get_config", STATUS, [trainer_p, P(TrainerConfig)]),
    ("gan_trainer_ema_generator", STATUS, [trainer_p, P(model_p)]),
    ("gan_trainer_set_seed", STATUS, [trainer_p, c_uint64]),
    # data-parallel training (libgan.distributed)
    ("gan_reducer_config_init", STATUS, [P(ReducerConfig), c_size_t]),
    ("gan_trainer_set_reducer", STATUS, [trainer_p, P(ReducerConfig)]),
    ("gan_trainer_fail_step", STATUS, [trainer_p, c_int]),
    ("gan_dataset_set_shard", STATUS, [dataset_p, c_size_t, c_size_t]),
    ("gan_trainer_fit", STATUS,
     [trainer_p, dataset_p, c_uint64, STEP_CALLBACK, EPOCH_CALLBACK, c_void_p]),
    # model files and checkpoints
    ("gan_model_save", STATUS, [model_p, c_char_p]),
    ("gan_model_save_mem", STATUS, [model_p, P(c_void_p), P(c_size_t)]),
    ("gan_model_export_onnx", STATUS, [model_p, c_char_p]),
    ("gan_model_export_onnx_mem", STATUS, [model_p, P(c_void_p), P(c_size_t)]),
    ("gan_model_load", STATUS, [P(model_p), c_char_p]),
    ("gan_model_load_mem", STATUS, [P(model_p), c_void_p, c_size_t]),
    ("gan_free", None, [c_void_p]),
    ("gan_trainer_save", STATUS, [trainer_p, dataset_p, c_char_p]),
    ("gan_trainer_save_mem", STATUS, [trainer_p, dataset_p, P(c_void_p), P(c_size_t)]),
    ("gan_trainer_load", STATUS, [P(trainer_p), dataset_p, c_char_p]),
    ("gan_trainer_load_mem", STATUS, [P(trainer_p), dataset_p, c_void_p, c_size_t]),
    ("gan_trainer_restore", STATUS, [trainer_p, dataset_p, c_char_p]),
    ("gan_trainer_restore_mem", STATUS, [trainer_p, dataset_p, c_void_p, c_size_t]),
    ("gan_trainer_models", STATUS,
     [trainer_p, P(model_p), P(model_p), P(optimizer_p), P(optimizer_p)]),
    ("gan_file_probe", STATUS, [c_char_p, P(c_int)]),
    ("gan_file_info", STATUS, [c_char_p, c_char_p, c_size_t, P(c_size_t)]),
    # sampling and images
    ("gan_sampler_create", STATUS, [P(sampler_p), model_p, c_uint64, c_size_t]),
    ("gan_sampler_free", None, [sampler_p]),
    ("gan_sampler_set_seed", STATUS, [sampler_p, c_uint64]),
    ("gan_sampler_dims", STATUS, [sampler_p, P(c_size_t), P(c_size_t)]),
    ("gan_sampler_latent", STATUS, [sampler_p, c_size_t, _fp, c_size_t]),
    ("gan_sampler_generate", STATUS, [sampler_p, _fp, c_size_t, c_size_t, _fp, c_size_t]),
    ("gan_sampler_generate_u8", STATUS, [sampler_p, _fp, c_size_t, c_size_t, _u8p, c_size_t]),
    ("gan_sampler_generate_labeled", STATUS,
     [sampler_p, _fp, c_size_t, c_void_p, c_size_t, _fp, c_size_t]),
    ("gan_sampler_generate_labeled_u8", STATUS,
     [sampler_p, _fp, c_size_t, c_void_p, c_size_t, _u8p, c_size_t]),
    ("gan_latent_interpolate", STATUS,
     [_fp, _fp, c_size_t, c_size_t, c_int, _fp, c_size_t]),
    ("gan_png_write_grid", STATUS, [c_char_p, _u8p, c_size_t, c_int, c_int, c_int, c_int, c_int]),
    ("gan_png_encode_grid", STATUS,
     [_u8p, c_size_t, c_int, c_int, c_int, c_int, c_int, P(c_void_p), P(c_size_t)]),
    # presets
    ("gan_model_create_preset", STATUS, [P(model_p), c_int]),
    ("gan_preset_name", c_char_p, [c_int]),
    ("gan_preset_from_name", STATUS, [c_char_p, P(c_int)]),
    ("gan_preset_latent_dim", c_int, [c_int]),
]

#: Names declared in gan.h that this library file does not export (a build
#: that predates them).  Calling one raises UnsupportedError.
missing = []


def _missing_function(name):
    def call(*args):
        raise _errors.UnsupportedError(
            "%s is not exported by %s (a libgan build without it)" % (name, path),
            _errors.EUNSUPPORTED)
    call.__name__ = name
    return call


class _Functions:
    """Attribute access to the declared functions: fn.gan_model_create(...)."""


fn = _Functions()

for _name, _restype, _argtypes in _PROTOTYPES:
    try:
        _f = getattr(lib, _name)
    except AttributeError:
        missing.append(_name)
        setattr(fn, _name, _missing_function(_name))
        continue
    _f.argtypes = _argtypes
    if _restype is STATUS:
        _f.restype = c_status
        _f.errcheck = _check
    else:
        _f.restype = _restype
    setattr(fn, _name, _f)

del _name, _restype, _argtypes


def has(name):
    """True if the loaded library exports `name`."""
    return name not in missing


# ---------------------------------------------------------------------------
# The version check (gan.h: bindings compare gan_version_number()).
# ---------------------------------------------------------------------------

version_number = int(lib.gan_version_number())
version_string = lib.gan_version().decode("ascii", "replace")
if version_number // 1000000 != ABI_MAJOR:
    raise ImportError(
        "libgan: %s is libgan %s (version number %d), but these bindings were written for "
        "libgan %d.x (ABI libgan.so.%d). Set GAN_LIBRARY to a libgan %d library."
        % (path, version_string, version_number, ABI_MAJOR, ABI_MAJOR, ABI_MAJOR))


def cstr(path_like):
    """A filesystem path (str, bytes or os.PathLike) as bytes for char *."""
    return os.fsencode(path_like)
