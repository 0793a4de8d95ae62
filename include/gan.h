/**
 * @file gan.h
 * gan.h -- the public interface of libgan, and its manual.
 *
 * libgan builds, trains, checkpoints and samples Generative Adversarial
 * Networks from C.  Anything not declared in this header is not API.
 *
 * OVERVIEW
 *
 *   A network is a gan_model: a sequence of layers (dense, 2-D convolution,
 *   transposed convolution, batch normalisation, activations, dropout,
 *   reshape, flatten) added one by one with gan_model_add_*().  Each call
 *   infers the layer's output shape at once, so a shape error names the layer
 *   that caused it.  Images cross the API as float arrays in NHWC order
 *   (batch, height, width, channels), the order of image files, game engines
 *   and Keras.
 *
 *   A 20-line example: build the MNIST-style discriminator of the second
 *   seed notebook and score a batch.
 *
 *     gan_model *d = NULL;
 *     int in[3] = {28, 28, 1};
 *     gan_conv2d_config c;
 *     GAN_CONV2D_CONFIG_INIT(&c);
 *     c.filters = 64; c.kernel_h = c.kernel_w = 5;
 *     c.stride_h = c.stride_w = 2; c.padding = GAN_PADDING_SAME;
 *     if (gan_model_create(&d, 3, in) != GAN_OK) { puts(gan_last_error()); return 1; }
 *     gan_model_add_conv2d(d, &c);
 *     gan_model_add_leaky_relu(d, 0.3f);
 *     gan_model_add_dropout(d, 0.3f);
 *     c.filters = 128;
 *     gan_model_add_conv2d(d, &c);
 *     gan_model_add_leaky_relu(d, 0.3f);
 *     gan_model_add_flatten(d);
 *     gan_dense_config dc; GAN_DENSE_CONFIG_INIT(&dc); dc.units = 1;
 *     if (gan_model_add_dense(d, &dc) != GAN_OK) puts(gan_last_error());
 *     float logits[16];
 *     gan_model_forward(d, images, 16 * 28 * 28, 16, GAN_MODE_INFER, logits, 16);
 *     gan_model_free(d);
 *
 *   (Every add call returns a status; the example checks two for brevity.)
 *
 * CONVENTIONS (they hold for every function below)
 *
 *   Handles.  Objects are opaque handles (gan_model, ...).  A constructor
 *   gan_X_create(&out, ...) stores a new handle in *out, which the caller owns
 *   and releases with gan_X_free().  On failure *out is set to NULL.  Every
 *   free function accepts NULL and does nothing with it.  A pointer returned
 *   by a getter is borrowed: it stays valid until the documented event.
 *
 *   Status.  Every call that can fail returns a gan_status: GAN_OK (0) on
 *   success, a positive value for a normal event (GAN_DONE), a negative value
 *   on error.  After an error, gan_last_error() returns a one-line message
 *   saying what went wrong (which argument, which layer, expected vs found
 *   shape, which file and offset).  The message is per thread and stays until
 *   the next failing call on the same thread or gan_clear_error().
 *
 *   Misuse.  A NULL handle, a handle of the wrong type or one already freed
 *   (when the memory is still mapped), a NULL buffer, a shape mismatch or a
 *   buffer whose element count does not match returns GAN_EINVAL, GAN_ESTATE
 *   or GAN_ESHAPE with a message.  The library never aborts, exits, prints or
 *   writes to stderr.
 *
 *   Sizes.  Tensors cross the API as caller-owned float pointers plus an
 *   element count (not bytes); the count must equal what the call expects.
 *
 *   Threads.  Calls on different handles may run in parallel on different
 *   threads.  One handle must not be used by two threads at once unless its
 *   documentation says so.  The calls that write a handle's buffers
 *   (gan_model_forward[_labeled], gan_model_backward, gan_sampler_generate*
 *   and gan_sampler_latent, gan_trainer_step* and the steps of
 *   gan_trainer_fit, gan_optimizer_step) detect a second thread using the
 *   same handle at the same time and return GAN_ESTATE ("... is in use by
 *   another thread") instead of wrong numbers; this costs one atomic
 *   operation per call and is a diagnostic, not a lock.  The only global state is the per-thread error
 *   message, the allocator (set before any handle exists) and the thread
 *   count.
 *
 *   Config structs.  Layer and optimizer settings travel in small structs
 *   whose first member is struct_size.  Initialise one with its *_INIT macro
 *   (which fills in the defaults and the size), then change the fields you
 *   need.  Config structs are append-only: later 1.x releases only add
 *   fields at the end.  Every call that takes one (the *_config_init
 *   functions included) accepts any size from the struct's size in release
 *   1.0 up to the library's own, reads only struct_size bytes and uses the
 *   defaults for the fields after them, so a program compiled against an
 *   older header keeps working with a newer library.  Other sizes (an
 *   uninitialised struct, a program built against a newer header than the
 *   library) give GAN_EINVAL with a message naming both sizes.  Structs the
 *   library writes into (gan_step_stats, gan_trainer_get_config,
 *   gan_dataset_get_batching) get exactly struct_size bytes written.
 */
#ifndef GAN_H
#define GAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h> /* memset in GAN_STEP_STATS_INIT */

#include "gan_version.h"

#if defined(_WIN32) && defined(GAN_SHARED_BUILD)
#  define GAN_API __declspec(dllexport)
#elif defined(_WIN32) && defined(GAN_SHARED)
#  define GAN_API __declspec(dllimport)
#elif defined(__GNUC__) && (__GNUC__ >= 4)
#  define GAN_API __attribute__((visibility("default")))
#else
#  define GAN_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/* Status codes and errors                                                  */
/* ======================================================================== */

/**
 * Status returned by every fallible call.  Values are explicit and never
 * reused; new codes are only appended.
 */
typedef enum gan_status {
    GAN_OK = 0,               /**< success */
    GAN_DONE = 1,             /**< normal end of a sequence (e.g. an epoch) */
    GAN_ENOMEM = -1,          /**< an allocation failed; nothing was changed */
    GAN_EINVAL = -2,          /**< an argument is invalid (NULL, out of range) */
    GAN_ESHAPE = -3,          /**< shapes or element counts do not match */
    GAN_ESTATE = -4,          /**< wrong handle type, freed handle, or a call
                                 not allowed in the object's current state */
    GAN_EIO = -5,             /**< reading or writing a file failed */
    GAN_EFORMAT = -6,         /**< a file or buffer is malformed */
    GAN_EVERSION = -7,        /**< a file needs a newer library */
    GAN_ENUMERIC = -8,        /**< a non-finite value (NaN or Inf) appeared */
    GAN_EUNSUPPORTED = -9,    /**< valid request this build cannot perform */
    GAN_EINTERNAL = -10       /* a bug in libgan: please report it */
} gan_status;

/**
 * The message of the last failing call on this thread.  Never NULL; "" when
 * no error has happened since the last gan_clear_error().  The string is
 * owned by the library and stays valid until the next libgan call on this
 * thread.  Thread safety: per thread.
 */
GAN_API const char *gan_last_error(void);

/** Forget this thread's last error message. */
GAN_API void gan_clear_error(void);

/**
 * Make `message` this thread's last error (truncated to 511 bytes; NULL is
 * ""), and return `status`.  For code built on libgan that reports through
 * gan_last_error(), such as libgan_mpi passing one worker's message to the
 * others.
 */
GAN_API gan_status gan_set_error(gan_status status, const char *message);

/**
 * A static, never-NULL English name for a status ("GAN_ESHAPE: shape
 * mismatch").  Unknown values give "unknown status".
 */
GAN_API const char *gan_status_str(gan_status status);

/* ======================================================================== */
/* Version                                                                  */
/* ======================================================================== */

/** The library's version string at run time, e.g. "1.0.0". Never NULL. */
GAN_API const char *gan_version(void);

/**
 * The library's version as MAJOR*1000000 + MINOR*1000 + PATCH.  Bindings
 * compare it with GAN_VERSION_NUMBER of the header they were written for.
 */
GAN_API long gan_version_number(void);

/* ======================================================================== */
/* Global settings                                                          */
/* ======================================================================== */

/**
 * A custom allocator: malloc, realloc and free with an opaque user pointer.
 * All three functions are required.  realloc is called with ptr == NULL to
 * allocate and must behave like C's realloc.
 */
typedef struct gan_allocator {
    void *(*malloc_fn)(size_t size, void *user);
    void *(*realloc_fn)(void *ptr, size_t size, void *user);
    void (*free_fn)(void *ptr, void *user);
    void *user;
} gan_allocator;

/**
 * Route every allocation of the library through *alloc (copied), or restore
 * the C library's allocator when alloc is NULL.
 *
 * Call it before any handle exists: memory allocated with one allocator must
 * be freed by the same one.  Returns GAN_ESTATE if handles are alive,
 * GAN_EINVAL if a function pointer is NULL.  Not thread safe.
 */
GAN_API gan_status gan_set_allocator(const gan_allocator *alloc);

/**
 * The number of threads libgan's kernels (including the BLAS) may use;
 * n == 0 means one per core.  Applies to all handles.  Returns GAN_EINVAL if
 * n is negative or larger than 1024.  Not thread safe with running kernels.
 *
 * One level of threads: libgan's own pool splits each large matrix product
 * into blocks and runs the element-wise work between products; the BLAS
 * itself runs one thread per call (libgan sets OpenBLAS' thread count to 1
 * when it loads, process-wide).  The pool's threads wait up to 50 us for
 * the next job, then sleep.  Before the first call the count is OpenBLAS'
 * initial one (OPENBLAS_NUM_THREADS, or one per core).
 */
GAN_API gan_status gan_set_threads(int n);

/** The thread count in effect (>= 1). */
GAN_API int gan_get_threads(void);

/* ======================================================================== */
/* Performance                                                              */
/* ======================================================================== */

/**
 * One line describing the GEMM engine: the engine in use, the kernel it
 * runs (for OpenBLAS the core name, e.g. "SkylakeX"), how it was chosen and
 * the thread count.  When libgan is loaded it chooses, by what the CPU
 * supports: in builds with oneDNN, oneDNN's sgemm where its JIT runs
 * AVX-512 (every product but, where OpenBLAS runs AVX-512 kernels too, the
 * A^T B ones) or AVX2 (every product but the A^T B ones with both sides
 * above 64); the line then starts "oneDNN <version> sgemm, ISA ..." and
 * names OpenBLAS as the fallback.  On x86-64 CPUs with AVX2 and FMA but
 * not AVX-512, the A B^T products of 13-16 rows (batch-1 sampling) go to
 * libgan's own AVX2 kernel, named "A B^T products of 13-16 rows by libgan's
 * AVX2 kernel".  Otherwise OpenBLAS, whose fastest
 * kernel for the CPU and OS libgan selects (environment variable
 * GAN_BLAS_CORETYPE: "auto" [default; keeps an OPENBLAS_CORETYPE set in
 * the environment], "keep" to leave OpenBLAS' own choice, or an OpenBLAS
 * core name).  Every engine is verified by a self-test against libgan's
 * naive GEMM.  Which engine runs a product depends only on its shape and
 * these load-time choices, so results are reproducible for the same
 * build, CPU and thread count.  The choice is process-wide.  Writes at
 * most cap bytes including the NUL into buf (buf
 * may be NULL when cap is 0) and the full length into *needed (may be
 * NULL), as snprintf does.  Thread safe.
 */
GAN_API gan_status gan_blas_info(char *buf, size_t cap, size_t *needed);

/* ======================================================================== */
/* Models                                                                   */
/* ======================================================================== */

/**
 * A network: an input shape and a sequence of layers.  Opaque.
 *
 * Shapes.  A sample is either a vector (ndim 1: {features}) or an image
 * (ndim 3: {height, width, channels}).  A batch of N samples is stored as N
 * consecutive samples, so an image batch is NHWC.
 *
 * Parameters.  A model owns all its parameters in one contiguous arena, in
 * layer order.  Within a layer, the documented order is:
 *   dense                 kernel (in, units) row-major, then bias (units)
 *   conv2d                kernel (kh, kw, in_channels, filters), then bias
 *   conv2d_transpose      kernel (kh, kw, filters, in_channels), then bias
 *   batchnorm             gamma (channels), then beta (channels)
 *   style_input           the constant (h, w, c)
 *   adain                 kernel (style_dim, 2 * channels) row-major, its
 *                         first `channels` columns giving gamma and the
 *                         rest beta, then bias (2 * channels)
 *   noise_injection       strength (channels)
 *   class_embedding       table (n_classes, dim)
 *   class_projection      w (in), b (1), V (n_classes, in)
 *   class_projection_aux  w (in), b (1), V (n_classes, in),
 *                         U (n_classes, in), c (n_classes)
 * These are exactly Keras' weight layouts, so weights exported from Keras
 * with get_weights() load unchanged.  BatchNorm running statistics are not
 * parameters but "state": moving mean (channels), then moving variance.  A
 * spectrally normalised dense or convolution layer (gan_model_set_spectral_norm)
 * has state too: its power iteration's vector u (units or filters).
 */
typedef struct gan_model gan_model;

/**
 * Layer indices are size_t: 0 is the first layer added, gan_model_layer_count
 * gives their number, and an index out of range is GAN_EINVAL with a
 * message.  A few calls also take one special index, (size_t)-1 (SIZE_MAX;
 * in C, -1 converts to it):
 *   GAN_ALL_LAYERS             every layer: gan_model_set_trainable,
 *                              gan_model_set_spectral_norm
 *   GAN_MODEL_INPUT            the model's input: gan_model_shape
 *   GAN_DEFAULT_FEATURE_LAYER  the penultimate layer's output:
 *                              gan_metrics_create
 */
#define GAN_ALL_LAYERS ((size_t)-1)
#define GAN_MODEL_INPUT ((size_t)-1)
#define GAN_DEFAULT_FEATURE_LAYER ((size_t)-1)

/** Layer kinds, as reported by gan_model_layer_kind().  Append-only. */
typedef enum gan_layer_kind {
    GAN_LAYER_DENSE = 1,
    GAN_LAYER_CONV2D = 2,
    GAN_LAYER_CONV2D_TRANSPOSE = 3,
    GAN_LAYER_BATCHNORM = 4,
    GAN_LAYER_LEAKY_RELU = 5,
    GAN_LAYER_RELU = 6,
    GAN_LAYER_TANH = 7,
    GAN_LAYER_SIGMOID = 8,
    GAN_LAYER_DROPOUT = 9,
    GAN_LAYER_RESHAPE = 10,
    GAN_LAYER_FLATTEN = 11,
    GAN_LAYER_MINIBATCH_STDDEV = 12,
    GAN_LAYER_MINIBATCH_DISCRIMINATION = 13,
    GAN_LAYER_CLASS_EMBEDDING = 14,
    GAN_LAYER_CLASS_PROJECTION = 15,
    GAN_LAYER_STYLE_INPUT = 16,
    GAN_LAYER_ADAIN = 17,
    GAN_LAYER_NOISE_INJECTION = 18,
    GAN_LAYER_UPSAMPLE = 19,
    GAN_LAYER_RESIDUAL_BEGIN = 20,
    GAN_LAYER_RESIDUAL_ADD = 21,
    GAN_LAYER_RESIDUAL_CONV = 22,
    GAN_LAYER_AVGPOOL = 23,
    GAN_LAYER_CLASS_AFFINE = 24,
    GAN_LAYER_MODULATED_CONV2D = 25,
    GAN_LAYER_CLASS_PROJECTION_AUX = 26
} gan_layer_kind;

/** Padding of convolutions; both follow Keras exactly. */
typedef enum gan_padding {
    /* No padding: out = floor((in - kernel) / stride) + 1 for conv2d,
       out = in * stride + max(kernel - stride, 0) for conv2d_transpose
       (that is (in - 1) * stride + kernel when kernel >= stride). */
    GAN_PADDING_VALID = 0,
    /* out = ceil(in / stride) for conv2d, in * stride for the transpose.
       The total padding is split with the smaller half first (top/left),
       so an even kernel at stride 1 pads asymmetrically, as Keras does. */
    GAN_PADDING_SAME = 1
} gan_padding;

/** Forward mode. */
typedef enum gan_mode {
    GAN_MODE_INFER = 0,   /**< dropout off; batchnorm uses running statistics */
    GAN_MODE_TRAIN = 1    /* dropout on; batchnorm uses batch statistics and
                             updates its running statistics */
} gan_mode;

/** Settings of a dense (fully connected) layer.  Defaults in brackets. */
typedef struct gan_dense_config {
    uint32_t struct_size;  /**< set by gan_dense_config_init(); do not touch */
    int units;             /**< output features (required; [0] is invalid) */
    int use_bias;          /**< add a bias vector [1] */
    int spectral_norm;     /**< spectral normalisation of the kernel [0]
                                (see gan_model_set_spectral_norm); programs
                                built before this field get 0 */
    /* since 1.1 (issue 21): */
    int equalized_lr;      /**< equalised learning rate (Karras et al.) [0]:
                                the stored kernel is N(0, 1) / lr_multiplier
                                and the layer computes
                                y = x (W g lr_multiplier / sqrt(in)) + b lr_multiplier
                                (g = equalized_gain),
                                so Adam's steps on the stored values move the
                                effective weights lr_multiplier times as far
                                (StyleGAN's mapping network: 0.01) */
    float lr_multiplier;   /**< in (0, 1000]; must be 1 without equalized_lr
                                [1] */
    float equalized_gain;  /**< with equalized_lr, the kernel's run-time
                                scale is equalized_gain * lr_multiplier /
                                sqrt(in): sqrt(2) before a (leaky) ReLU is
                                He's constant with its gain (StyleGAN's
                                mapping network), keeping the signal's scale
                                through the layers.  In (0, 100]; must be 1
                                without equalized_lr [1] */
    /* new fields are only ever appended here */
} gan_dense_config;

/** Settings of conv2d and conv2d_transpose.  Defaults in brackets. */
typedef struct gan_conv2d_config {
    uint32_t struct_size;  /**< set by gan_conv2d_config_init(); do not touch */
    int filters;           /**< output channels (required; [0] is invalid) */
    int kernel_h;          /**< kernel height [3] */
    int kernel_w;          /**< kernel width [3] */
    int stride_h;          /**< vertical stride [1] */
    int stride_w;          /**< horizontal stride [1] */
    gan_padding padding;   /**< [GAN_PADDING_VALID], as Keras */
    int use_bias;          /**< add a bias per filter [1] */
    int spectral_norm;     /**< spectral normalisation of the kernel [0]
                                (see gan_model_set_spectral_norm); programs
                                built before this field get 0 */
    /* new fields are only ever appended here */
} gan_conv2d_config;

/** Settings of batch normalisation.  Defaults (Keras') in brackets. */
typedef struct gan_batchnorm_config {
    uint32_t struct_size;  /**< set by gan_batchnorm_config_init() */
    float momentum;        /**< running = running*momentum + batch*(1-momentum) [0.99] */
    float epsilon;         /**< added to the variance [0.001] */
    /* new fields are only ever appended here */
} gan_batchnorm_config;

/**
 * Fill the first `size` bytes of *cfg with defaults and set
 * cfg->struct_size = size.  size must lie between the struct's size in
 * release 1.0 and sizeof the library's struct (GAN_EINVAL otherwise, and
 * nothing is written); the *_INIT macros pass sizeof *cfg.  The same holds
 * for every *_config_init function below.
 */
GAN_API gan_status gan_dense_config_init(gan_dense_config *cfg, size_t size);
GAN_API gan_status gan_conv2d_config_init(gan_conv2d_config *cfg, size_t size);
GAN_API gan_status gan_batchnorm_config_init(gan_batchnorm_config *cfg, size_t size);
#define GAN_DENSE_CONFIG_INIT(c) gan_dense_config_init((c), sizeof *(c))
#define GAN_CONV2D_CONFIG_INIT(c) gan_conv2d_config_init((c), sizeof *(c))
#define GAN_BATCHNORM_CONFIG_INIT(c) gan_batchnorm_config_init((c), sizeof *(c))

/**
 * Constructor: a model with no layers whose samples have shape dims[0..ndim)
 * (ndim 1 or 3, every dimension in 1..2^24, fewer than 2^31 elements).
 * Weight initialisation seed and dropout seed start at 0.
 * Returns GAN_EINVAL (NULL out or dims, bad ndim or dimension) or GAN_ENOMEM.
 */
GAN_API gan_status gan_model_create(gan_model **out, size_t ndim, const int *dims);

/** Destructor: frees the model and everything it owns.  NULL is a no-op. */
GAN_API void gan_model_free(gan_model *model);

/**
 * Method of gan_model: append a layer.  Each returns GAN_OK, or
 *   GAN_EINVAL  NULL model/config, or a setting out of range;
 *   GAN_ESHAPE  the layer does not fit the current output shape (the message
 *               names the layer index and both shapes);
 *   GAN_ESTATE  wrong or freed handle;
 *   GAN_ENOMEM.
 * On error the model is unchanged.  New parameters are initialised at once:
 * kernels Glorot-uniform (Keras' default), biases 0, batchnorm gamma 1,
 * beta 0, moving mean 0, moving variance 1, from the model's weight seed
 * and the layer's index (see gan_model_init_params).
 *
 * dense needs a vector input (flatten images first).  conv2d and
 * conv2d_transpose need an image input.  batchnorm normalises the last axis
 * (channels, or features of a vector); cfg may be NULL for the defaults.
 * leaky_relu: y = x for x > 0, alpha*x otherwise (Keras' default alpha is
 * 0.3; PyTorch's is 0.01), alpha in [0, 1).  dropout: rate in [0, 1); in
 * training mode each element is zeroed with probability rate and the rest
 * scaled by 1/(1-rate) (inverted dropout, as Keras).  reshape: new shape
 * with the same element count (ndim 1 or 3).  flatten: image to vector.
 */
GAN_API gan_status gan_model_add_dense(gan_model *model, const gan_dense_config *cfg);
GAN_API gan_status gan_model_add_conv2d(gan_model *model, const gan_conv2d_config *cfg);
GAN_API gan_status gan_model_add_conv2d_transpose(gan_model *model, const gan_conv2d_config *cfg);
GAN_API gan_status gan_model_add_batchnorm(gan_model *model, const gan_batchnorm_config *cfg);
GAN_API gan_status gan_model_add_leaky_relu(gan_model *model, float alpha);
GAN_API gan_status gan_model_add_relu(gan_model *model);
GAN_API gan_status gan_model_add_tanh(gan_model *model);
GAN_API gan_status gan_model_add_sigmoid(gan_model *model);
GAN_API gan_status gan_model_add_dropout(gan_model *model, float rate);
GAN_API gan_status gan_model_add_reshape(gan_model *model, size_t ndim, const int *dims);
GAN_API gan_status gan_model_add_flatten(gan_model *model);

/**
 * Method of gan_model: nearest-neighbour up-sampling of an image input
 * (h, w, c) by an integer factor f in 1..64, to (h f, w f, c) (Keras'
 * UpSampling2D): every pixel becomes an f x f block of copies, and the
 * backward pass sums each block's gradients.  No parameters; the same in
 * training and inference.  An up-sampling followed by a stride-1
 * convolution is the usual alternative to conv2d_transpose in generators
 * (no checkerboard artefacts).  Gradient-checked; supported by the
 * gradient penalties (it is linear).  GAN_EINVAL for a factor out of
 * range, GAN_ESHAPE for a vector input or an output side over 2^24.
 */
GAN_API gan_status gan_model_add_upsample(gan_model *model, int factor);

/**
 * Method of gan_model: average pooling of an image input (h, w, c) over
 * non-overlapping f x f blocks, f in 1..64 dividing h and w, to
 * (h / f, w / f, c) (Keras' AveragePooling2D with pool_size = strides = f):
 * y[i, j] = the mean of x over the block (i f.., j f..); backward spreads
 * dy / f^2 over the block.  No parameters; the same in training and
 * inference.  The down-sampling of SN-ResNet discriminators.
 * Gradient-checked; supported by the gradient penalties (it is linear).
 * GAN_EINVAL for a factor out of range, GAN_ESHAPE for a vector input or
 * a side that f does not divide.
 */
GAN_API gan_status gan_model_add_avgpool(gan_model *model, int factor);

/**
 * Method of gan_model: residual blocks, y = branch(s) + shortcut(s), built
 * in the sequential model by bracketing the branch's layers.
 *
 *     gan_model_add_residual_begin(m);          // s = the current output
 *     ... the branch: any layers (h, w, C) -> (H, W, F) ...
 *     gan_model_add_residual_conv(m, 2, 1, 1);  // + up-sampled 1x1 conv of s
 *
 * gan_model_add_residual_begin opens a block on an image output (it passes
 * it on unchanged and keeps it as the shortcut's input); blocks do not
 * nest (GAN_EINVAL while one is open).  The block ends with one of:
 *
 * - gan_model_add_residual_add: y = x + R(s), the identity shortcut (the
 *   branch keeps the channel count: C = F);
 * - gan_model_add_residual_conv: y = x + R(s K + b), a 1x1 convolution
 *   shortcut with kernel K (C, F) (conv2d's layout with a 1x1 kernel) and,
 *   if use_bias is 1, bias b (F); it may be spectrally normalised.
 *
 * x is the branch's output and R resamples the shortcut to its resolution:
 * nearest up-sampling by `up` (h up = H) or average pooling by `down`
 * (h = H down); both 1: none.  up and down are in 1..8, at most one above
 * 1.  The layer's output is (H, W, F).  Gradient-checked; supported by the
 * gradient penalties (the shortcut is linear), spectral normalisation
 * (residual_conv), EMA copies and samplers (each gan_sampler keeps its own
 * copy of the shortcut: thread-safe).  GAN_EINVAL without an open block or
 * for factors out of range, GAN_ESHAPE when the shortcut's shape does not
 * match the branch's output.
 */
GAN_API gan_status gan_model_add_residual_begin(gan_model *model);
GAN_API gan_status gan_model_add_residual_add(gan_model *model, int up, int down);
GAN_API gan_status gan_model_add_residual_conv(gan_model *model, int up, int down, int use_bias);

/**
 * Method of gan_model: a per-class, per-channel affine map (channels last),
 *     y[n, ..., c] = x[n, ..., c] (1 + G[y_n, c]) + B[y_n, c],
 * with parameters G (n_classes, C) then B (n_classes, C), both starting at
 * 0 (the identity).  After a batchnorm it makes the class-conditional
 * batch normalisation of BigGAN-style generators (per-class gain and
 * bias).  It makes the model conditional, as the class layers do: its
 * forward needs the labels (gan_model_forward_labeled), n_classes in
 * 1..65536 must agree with the model's other class layers.
 * Gradient-checked; supported by the gradient penalties (linear for fixed
 * labels).  GAN_EINVAL for n_classes out of range or disagreeing.
 */
GAN_API gan_status gan_model_add_class_affine(gan_model *model, int n_classes);

/**
 * Method of gan_model: minibatch standard deviation (Karras et al. 2018), a
 * discriminator layer against mode collapse.  It appends one channel (or,
 * for vectors, one feature) holding s = the mean over all features of
 * their standard deviation across the batch, sqrt(var + 1e-8): (h, w, c)
 * -> (h, w, c+1), (d) -> (d+1).  No parameters; the same in training and
 * inference (the statistic is always the batch's, so batches of one give
 * s = 1e-4).  Gradient-checked; not supported by the gradient penalties.
 */
GAN_API gan_status gan_model_add_minibatch_stddev(gan_model *model);

/**
 * Method of gan_model: minibatch discrimination (Salimans et al. 2016), a
 * discriminator layer against mode collapse.  On a vector input x of A
 * features it projects M = x T with a trainable T (A, kernels * kernel_dim,
 * Glorot-uniform), and appends for each kernel b the similarity of the
 * sample to the batch, o_b = sum_j exp(-||M_b(x) - M_b(x_j)||_1): output
 * A + kernels features.  kernels and kernel_dim in 1..1024.  Cost
 * O(batch^2 * kernels * kernel_dim).  Gradient-checked; not supported by
 * the gradient penalties.
 */
GAN_API gan_status gan_model_add_minibatch_discrimination(gan_model *model, int kernels,
                                                          int kernel_dim);

/**
 * Style modulation (a StyleGAN-like generator, Karras et al. 2019, in the
 * second seed notebook's x * (1 + gamma) + beta form).  A style-based
 * generator is one layer sequence:
 *
 *   z -> mapping network (dense + leaky_relu layers) -> s
 *     -> style_input (h, w, c)              keeps s, outputs a constant
 *     -> conv2d / conv2d_transpose, adain, leaky_relu ... -> tanh
 *
 * Every adain layer after the style input is modulated by the same style
 * vector s of the sample (StyleGAN's w), and so is every modulated_conv2d
 * layer (StyleGAN2's synthesis layer, gan_model_add_modulated_conv2d);
 * gradients reach the mapping network through the style input layer (the
 * sum of what every adain and modulated_conv2d layer sends to s).  The layers compose with all others and run in
 * gan_model_forward, the trainer, checkpoints and gan_sampler (thread
 * safe: each sampler keeps its own style vectors).  They are for
 * generators: the gradient penalties refuse them.  See
 * examples/style_gan.c and GAN_PRESET_STYLE_GENERATOR.
 */

/**
 * Method of gan_model: the synthesis network's input.  The layer's input
 * (the model's input or the previous layer's output) must be a vector of
 * style_dim features: it is the style vector s of each sample, kept for
 * the adain layers that follow.  The layer's output does not depend on it:
 * a trainable constant of shape (h, w, c) (initialised N(0, 1)), the same
 * for every sample.  h, w, c in 1..2^24.  At most one per model
 * (GAN_EINVAL for a second); GAN_ESHAPE when its input is an image.
 */
GAN_API gan_status gan_model_add_style_input(gan_model *model, int h, int w, int c);

/**
 * Method of gan_model: adaptive instance normalisation modulated by the
 * style vector.  On an image input x (h, w, C), per sample and channel:
 *   xhat = (x - mean_hw x) / sqrt(var_hw x + epsilon)   (biased variance)
 *   [gamma, beta] = s A + b                 A (style_dim, 2C), b (2C)
 *   y = (1 + gamma) * xhat + beta
 * with s the sample's style vector (see gan_model_add_style_input), A
 * Glorot-uniform and b zero at initialisation (the notebook's two Dense
 * layers side by side).  The same in training and inference (instance
 * statistics, no running averages).  GAN_EINVAL unless a
 * style input layer precedes it, or epsilon is not in (0, 1); GAN_ESHAPE
 * for a vector input or one of a single pixel (nothing to normalise).
 */
GAN_API gan_status gan_model_add_adain(gan_model *model, float epsilon);

/**
 * Method of gan_model: StyleGAN's noise input.  On an image input x
 * (h, w, C): y = x + a[c] * e[p], one N(0, 1) value e per pixel and
 * sample shared by all channels, a (C) a trainable strength initialised
 * to 0 (so the layer starts as the identity).  In training mode e is drawn
 * from the model's random stream (gan_model_set_seed, as dropout); in
 * inference mode it is one fixed map per layer, the same for every sample
 * (StyleGAN2's constant noise), so the same latent vector always gives the
 * same image, at any batch size and from any thread (gan_sampler).  Any
 * model may use it; the gradient penalties refuse it.  GAN_ESHAPE for a
 * vector input.
 */
GAN_API gan_status gan_model_add_noise_injection(gan_model *model);

/**
 * Method of gan_model: modulated convolution with optional weight
 * demodulation (StyleGAN2, Karras et al. 2020), the synthesis layer of a
 * StyleGAN2-like generator.  On an image input x (h, w, C) it outputs
 * (h, w, filters): a stride-1 convolution with 'same' padding (up-sample
 * with gan_model_add_upsample before it for a larger image), whose kernel
 * is modulated per sample by the style vector v (see
 * gan_model_add_style_input):
 *   s = cw (ca v A + a)                 A (style_dim, C), a (C)
 *   w'[k, c, f] = s[c] W[k, c, f]       W (kernel, kernel, C, filters)
 *   demodulate: w'' = w' / sqrt(sum_{k,c} w'[k, c, f]^2 + 1e-8)
 *   y = conv(x, w'' or w') + bias       bias (filters)
 * Parameters in this order: W, bias, A, a.  equalized_lr 1: cw =
 * 1/sqrt(kernel^2 C) and ca = 1/sqrt(style_dim) (He's constants applied at
 * run time), W and A initialised N(0, 1); 0: cw = ca = 1, W and A
 * Glorot-uniform.  a starts at 1, the bias at 0.  Computed exactly as
 * scaling the input's channels by s and the output's by the demodulation
 * factor around one batched convolution.  kernel odd, in 1..63; filters in
 * 1..2^24; demodulate and equalized_lr 0 or 1.  Gradient-checked (input,
 * weights, affine parameters and the style vector); exported to ONNX.  A
 * generator layer: the gradient penalties refuse it.  GAN_EINVAL for a
 * setting out of range or no style input before it; GAN_ESHAPE for a
 * vector input.
 */
GAN_API gan_status gan_model_add_modulated_conv2d(gan_model *model, int filters, int kernel,
                                                  int demodulate, int equalized_lr);

/**
 * Conditional models.  A model is conditional when it has a class layer
 * (class_embedding or class_projection): every forward then takes one
 * integer class label per sample (gan_model_forward_labeled), which the
 * class layers read as a side input; all other layers ignore it.  All
 * class layers of one model must agree on n_classes (GAN_EINVAL naming
 * both values otherwise), and gan_model_num_classes() reports it.  Labels
 * outside 0..n_classes-1 are refused (GAN_EINVAL naming the sample and the
 * value) before anything is computed.  The usual pair (Mirza & Osindero;
 * Miyato & Koyama): a generator that starts with a class embedding
 * concatenated to the noise, and a discriminator whose last layer is a
 * class projection.  gan_trainer_step_labeled, gan_trainer_fit and
 * gan_sampler_generate_labeled train and sample them.
 *
 * Method of gan_model: class embedding.  Appends a code of the sample's
 * class y to its features: a vector (L) -> (L + E) = [x, e(y)]; an image
 * (h, w, c) -> (h, w, c + E) with e(y) appended at every position (class
 * maps, for a discriminator that takes the label at its input).
 *   dim > 0   e(y) is row y of a trainable table (n_classes, dim), the
 *             layer's parameters, initialised N(0, 1) as torch.nn.Embedding;
 *             E = dim.
 *   dim == 0  e(y) is the fixed one-hot vector of y: E = n_classes, no
 *             parameters.
 * n_classes in 1..65536, dim in 0..65536.  Gradient-checked.  The gradient
 * penalties treat it exactly (its output does not depend on the weights'
 * path to the input).
 */
GAN_API gan_status gan_model_add_class_embedding(gan_model *model, int n_classes, int dim);

/**
 * Method of gan_model: class projection (Miyato & Koyama 2018, "cGANs with
 * Projection Discriminator"), the output layer of a conditional
 * discriminator.  On a vector h of F features (flatten images first) and
 * the sample's class y it outputs one value per sample:
 *   out = psi(h) + <V[y], h>,   psi(h) = <w, h> + b.
 * Parameters in this order: w (F), b (1), V (n_classes, F) row-major; w and
 * each row of V Glorot-uniform as a dense layer of one unit, b = 0.
 * n_classes in 1..65536.  Gradient-checked; supported by the gradient
 * penalties (for a fixed y the layer is linear in h).
 */
GAN_API gan_status gan_model_add_class_projection(gan_model *model, int n_classes);

/**
 * Method of gan_model: class projection with an auxiliary classifier
 * (AC-GAN, Odena et al. 2017, beside the projection of Miyato & Koyama):
 * the projection head above plus K = n_classes class logits from the same
 * features, so the discriminator outputs 1 + K values per sample:
 *   out = [psi(h) + <V[y], h>,  U h + c]
 * The first is the adversarial logit every loss reads; the others are what
 * gan_loss_config.class_weight trains (D learns to classify real samples,
 * G to make samples it classifies as their class).  Parameters: w (F),
 * b (1), V (n_classes, F), then U (n_classes, F) row-major, Glorot-uniform
 * as a dense layer of n_classes units, and c (n_classes) = 0.  n_classes
 * in 1..65536.  Gradient-checked.  The gradient penalties refuse it (they
 * differentiate a critic with one output).  Not exported to ONNX (a
 * discriminator layer).
 */
GAN_API gan_status gan_model_add_class_projection_aux(gan_model *model, int n_classes);

/**
 * Method of gan_model: re-initialise every parameter and batchnorm state as
 * described under gan_model_add_dense, from seed.  Each layer draws from its
 * own stream derived from (seed, layer index), so the result does not depend
 * on when this is called.  Layers added later use the same seed.
 * Returns GAN_EINVAL/GAN_ESTATE for a bad handle.
 */
GAN_API gan_status gan_model_init_params(gan_model *model, uint64_t seed);

/**
 * Method of gan_model: reset the model's random stream (dropout masks) to
 * the one defined by seed.  Two forwards after the same seed draw the same
 * masks.
 */
GAN_API gan_status gan_model_set_seed(gan_model *model, uint64_t seed);

/**
 * Method of gan_model: size all activation, gradient and workspace buffers
 * for batches of up to max_batch samples.  forward() calls it itself when a
 * larger batch arrives, so calling it is optional; doing so up front moves
 * every allocation out of the training loop.  Buffers never shrink.
 * Returns GAN_EINVAL (max_batch 0 or above 2^24), GAN_ENOMEM (the model is
 * unchanged), GAN_ESTATE.
 */
GAN_API gan_status gan_model_reserve(gan_model *model, size_t max_batch);

/**
 * Method of gan_model: run the network on batch samples.
 *   x        batch * input elements, NHWC; copied, so the caller may reuse it
 *            as soon as the call returns.
 *   y        where to copy the output (batch * output elements), or NULL to
 *            leave it inside the model (see gan_model_output).
 * In GAN_MODE_TRAIN the call keeps what backward() needs and updates the
 * state: batchnorm's running statistics, spectral normalisation's u.
 * Returns GAN_EINVAL (NULL model/x, batch 0), GAN_ESHAPE (x_count or a
 * non-zero y_count does not match; the message gives both), GAN_ENOMEM
 * (first larger batch), GAN_ESTATE (no layers).
 */
GAN_API gan_status gan_model_forward(gan_model *model, const float *x, size_t x_count,
                                     size_t batch, gan_mode mode, float *y, size_t y_count);

/**
 * Method of gan_model: gan_model_forward for a conditional model (see
 * gan_model_add_class_embedding): labels holds one class per sample
 * (batch values in 0..n_classes-1).  The model keeps a copy of the labels
 * with its cached forward state, so the following gan_model_backward()
 * calls use the same ones.  Returns what gan_model_forward returns, and
 * GAN_EINVAL for NULL labels, a label out of range (the message names the
 * sample and the value; nothing is computed), or a model that takes no
 * labels (use gan_model_forward).  gan_model_forward on a conditional
 * model returns GAN_EINVAL saying to pass labels.
 */
GAN_API gan_status gan_model_forward_labeled(gan_model *model, const float *x, size_t x_count,
                                             const int32_t *labels, size_t batch, gan_mode mode,
                                             float *y, size_t y_count);

/**
 * Method of gan_model: borrow the output of the last forward().
 * *y points to *count floats, valid until the next forward(), reserve() or
 * free() of this model.  GAN_ESTATE if no forward has been run.
 */
GAN_API gan_status gan_model_output(const gan_model *model, const float **y, size_t *count);

/**
 * Method of gan_model: backpropagate dy (d loss / d output of the last
 * forward, batch * output elements) through the network.
 *   - Parameter gradients are ADDED to the model's gradient buffers for every
 *     trainable layer (so real and fake batches can accumulate); use
 *     gan_model_zero_grad() to clear them.  Frozen layers
 *     (gan_model_set_trainable) get no gradient: a frozen discriminator
 *     can be backpropagated through to train a generator without touching
 *     its gradients.
 *   - If dx is not NULL, d loss / d input (batch * input elements) is
 *     written (not added) to it.
 * The cached forward state is not modified, so backward() may be called
 * several times after one forward().  BatchNorm's batch statistics and the
 * dropout mask of that forward are used; in GAN_MODE_INFER forwards the
 * running statistics are.
 * Returns GAN_EINVAL, GAN_ESHAPE (counts), GAN_ESTATE (no forward yet).
 */
GAN_API gan_status gan_model_backward(gan_model *model, const float *dy, size_t dy_count,
                                      float *dx, size_t dx_count);

/** Method of gan_model: set every parameter gradient to zero (one memset). */
GAN_API gan_status gan_model_zero_grad(gan_model *model);

/**
 * Method of gan_model: freeze (trainable = 0) or unfreeze (1) layer `layer`,
 * or every layer when layer == GAN_ALL_LAYERS.  Frozen layers still pass
 * gradients to their inputs.  Layers are trainable when added.
 * Returns GAN_EINVAL for an index out of range.
 */
GAN_API gan_status gan_model_set_trainable(gan_model *model, size_t layer, int trainable);

/**
 * Method of gan_model: spectral normalisation (Miyato et al. 2018, as
 * PyTorch's torch.nn.utils.spectral_norm) of layer `layer`'s kernel, on
 * (1) or off (0), or of every dense, conv2d, conv2d_transpose and
 * residual_conv layer when layer == GAN_ALL_LAYERS.  The same as building the layer with the config's
 * spectral_norm = 1.
 *
 * The layer then computes with W / sigma instead of its kernel W, sigma
 * being an estimate of W's largest singular value, W viewed as a matrix
 * with one row per output unit or filter (dense: units x in; conv2d:
 * filters x kh*kw*in_channels; conv2d_transpose: filters x
 * kh*kw*in_channels; residual_conv's 1x1 shortcut: out x in channels).  The bias is not normalised.  The estimate comes from
 * a unit vector u (one value per output unit or filter) kept as the layer's
 * state, after its batchnorm-like "non-trainable" values: gan_model_get_state
 * returns it and checkpoints save it.  Each GAN_MODE_TRAIN forward performs
 * one power iteration
 *     v = W^T u / ||W^T u||,  u = W v / ||W v||,  sigma = u^T W v,
 * and stores the new u; a GAN_MODE_INFER forward uses the stored u without
 * changing it: v = W^T u / ||W^T u||, sigma = u^T W v.  Backward treats u
 * and v as constants (as PyTorch does): d/dW = (G - <G, W/sigma> u v^T) /
 * sigma for the gradient G with respect to W / sigma.  u starts as a
 * random unit vector drawn from the weight seed and the layer index, so
 * the estimate is rough at first and converges over the first training
 * forwards; set_params does not change u.  When W^T u is 0 (an all-zero
 * kernel) the kernel is used as it is.
 *
 * Turning it on or off changes the model's state layout: trainers and
 * samplers created for the model before refuse to run (GAN_ESTATE);
 * parameters and optimizers are unaffected.  Layers that already have the
 * requested setting are left as they are (u is kept).
 * Returns GAN_EINVAL (index out of range, or a layer of another kind),
 * GAN_ENOMEM (nothing changed), GAN_ESTATE.
 */
GAN_API gan_status gan_model_set_spectral_norm(gan_model *model, size_t layer, int on);

/** ---- Introspection ---- */

/** Number of layers in *n. */
GAN_API gan_status gan_model_layer_count(const gan_model *model, size_t *n);

/** The number of classes of a conditional model's labels in *n_classes, or
   0 for a model without class layers (see gan_model_add_class_embedding). */
GAN_API gan_status gan_model_num_classes(const gan_model *model, int *n_classes);

/** The longest class name, in bytes (gan_model_set_class_names). */
#define GAN_CLASS_NAME_MAX 255

/**
 * Method of gan_model: name the classes of a conditional model, name k for
 * label k (an image folder's sub-folders: gan_dataset_class_name), so
 * programs and `gan sample --class tree` can ask for a class by name.  n
 * must equal gan_model_num_classes(); each name is 1..GAN_CLASS_NAME_MAX
 * bytes (UTF-8 is kept as bytes) without control characters, and the names
 * are distinct.  n = 0 removes the names.  The names are copied; they are
 * saved in model files and checkpoints (docs/checkpoint-format.md), loaded
 * with them, and kept by the trainer's EMA generator.  A model has no
 * names until they are set (files written before names existed load
 * without them).  GAN_EINVAL (naming the name and the rule) leaves the
 * model's names as they were; GAN_ENOMEM.
 */
GAN_API gan_status gan_model_set_class_names(gan_model *model, const char *const *names,
                                             size_t n);

/** The number of class names of the model: 0 or gan_model_num_classes(). */
GAN_API gan_status gan_model_class_name_count(const gan_model *model, size_t *count);

/**
 * Name k into buf (cap bytes including the NUL; buf may be NULL when cap is
 * 0) and its full length into *needed (may be NULL), as snprintf.
 * GAN_EINVAL if k >= gan_model_class_name_count().
 */
GAN_API gan_status gan_model_class_name(const gan_model *model, size_t k, char *buf, size_t cap,
                                        size_t *needed);

/** The label of the class called name (exact, byte-wise match) in *k, or
   GAN_EINVAL naming it when no class has that name. */
GAN_API gan_status gan_model_class_from_name(const gan_model *model, const char *name, int *k);

/** Kind of layer `layer` in *kind. GAN_EINVAL for an index out of range. */
GAN_API gan_status gan_model_layer_kind(const gan_model *model, size_t layer, gan_layer_kind *kind);

/**
 * The stable name of a layer kind, as summaries, error messages and
 * `gan info` print it ("dense", "conv2d", "conv2d_transpose", "batchnorm",
 * "leaky_relu", "relu", "tanh", "sigmoid", "dropout", "reshape",
 * "flatten", ...): lower case, the suffix of its gan_model_add_* builder.
 * Names never change once released.  Returns a static string, or NULL for
 * a value that is no kind of this library (0, negative, too new).  Thread
 * safe.
 */
GAN_API const char *gan_layer_kind_name(gan_layer_kind kind);

/**
 * One past the largest gan_layer_kind this library knows: the kinds are
 * 1..gan_layer_kind_count() - 1 (gan_layer_kind_name() of each, NULL for
 * a value without a kind).  A newer library may return more than the
 * GAN_LAYER_* constants of the header a program was built with; bindings
 * use it to list the kinds without copying them.  Thread safe.
 */
GAN_API int gan_layer_kind_count(void);

/**
 * The per-sample shape of the model's input (layer == GAN_MODEL_INPUT) or
 * of layer `layer`'s output: *ndim gets 1 or 3 and dims[0..*ndim) the
 * dimensions (dims must hold 3 ints).  The model's output is layer
 * count-1.  GAN_EINVAL for an index out of range.
 */
GAN_API gan_status gan_model_shape(const gan_model *model, size_t layer, size_t *ndim, int dims[3]);

/**
 * Parameter counts as Keras reports them: *total includes the state values
 * (batchnorm running statistics, spectral normalisation's u); *trainable
 * counts the parameters of unfrozen layers.
 * Either pointer may be NULL.
 */
GAN_API gan_status gan_model_param_count(const gan_model *model, size_t *total, size_t *trainable);

/**
 * Number of trainable-type parameters (*n_params) and state values
 * (*n_state: batchnorm running statistics, spectral normalisation's u) of
 * one layer.  Either pointer may
 * be NULL.
 */
GAN_API gan_status gan_model_layer_sizes(const gan_model *model, size_t layer,
                                         size_t *n_params, size_t *n_state);

/**
 * Copy a layer's parameters (order documented under gan_model) out of or
 * into the model.  count must equal the layer's n_params (GAN_ESHAPE
 * otherwise).  set_params rejects non-finite values with GAN_ENUMERIC and
 * then changes nothing.  get_grads copies the accumulated gradients.
 */
GAN_API gan_status gan_model_get_params(const gan_model *model, size_t layer, float *dst, size_t count);
GAN_API gan_status gan_model_set_params(gan_model *model, size_t layer, const float *src, size_t count);
GAN_API gan_status gan_model_get_grads(const gan_model *model, size_t layer, float *dst, size_t count);

/** The same for a layer's state: batchnorm running statistics (moving
   mean, then variance), or the vector u of a spectrally normalised layer
   (one value per output unit or filter).  set_state also requires
   variances >= 0, and a u that is not all zero. */
GAN_API gan_status gan_model_get_state(const gan_model *model, size_t layer, float *dst, size_t count);
GAN_API gan_status gan_model_set_state(gan_model *model, size_t layer, const float *src, size_t count);

/**
 * A text summary like Keras' model.summary(): one line per layer with its
 * name, output shape and parameter count, then the totals.
 * Writes at most cap bytes including the terminating NUL into buf (buf may
 * be NULL when cap is 0) and stores the full length without the NUL in
 * *needed (may be NULL), as snprintf does.  Truncation is not an error.
 */
GAN_API gan_status gan_model_summary(const gan_model *model, char *buf, size_t cap, size_t *needed);

/* ======================================================================== */
/* Datasets                                                                 */
/* ======================================================================== */

/**
 * A gan_dataset is a set of samples (float, NHWC, one shape for all) with
 * optional integer labels, and an iterator over shuffled mini-batches.
 * Opaque.  Sources: caller memory, MNIST-format IDX files (raw or gzip;
 * this reads MNIST and Fashion-MNIST), CIFAR-10 binary batches, and
 * folders of PNG and JPEG images (gan_dataset_load_images, below), from
 * paths or from memory buffers.
 *
 * Files are validated before anything is allocated: magic numbers, type
 * codes, dimension counts, overflow-checked sizes against the real length,
 * and a cap on decompressed size.  A bad file gives GAN_EFORMAT (or GAN_EIO)
 * with a message naming the file, the byte offset and what was expected.
 *
 * Pixel values of uint8 sources are mapped to [-1, 1] as x / 127.5 - 1,
 * the seed notebooks' normalisation.
 */
typedef struct gan_dataset gan_dataset;

/** Where Debian's dataset-fashion-mnist package puts Fashion-MNIST. */
#define GAN_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/**
 * Constructor: a dataset over n float samples of shape dims[0..ndim)
 * (ndim 1 or 3) stored back to back in x (n * prod(dims) floats, NHWC).
 * labels is NULL or n labels in 0..2^31-1.
 * copy != 0: x and labels are copied, the caller may free them at once.
 * copy == 0: they are borrowed and must outlive the dataset, unchanged.
 */
GAN_API gan_status gan_dataset_create_float(gan_dataset **out, const float *x, size_t n,
                                            size_t ndim, const int *dims,
                                            const int32_t *labels, int copy);

/** Constructor: the same from uint8 pixels, mapped to [-1, 1]; always copies. */
GAN_API gan_status gan_dataset_create_u8(gan_dataset **out, const uint8_t *x, size_t n,
                                         size_t ndim, const int *dims, const int32_t *labels);

/**
 * Constructor: MNIST-format IDX files.  images_path holds a uint8 IDX file
 * of 3 dimensions (n, h, w) -> samples (h, w, 1), or 4 (n, h, w, c);
 * labels_path is NULL or a uint8 IDX file of n labels.  Either file may be
 * gzip-compressed (detected from its first bytes, not its name).
 */
GAN_API gan_status gan_dataset_load_idx(gan_dataset **out, const char *images_path,
                                        const char *labels_path);

/** Constructor: the same parser over memory buffers (labels may be NULL, 0). */
GAN_API gan_status gan_dataset_load_idx_mem(gan_dataset **out, const void *images,
                                            size_t images_len, const void *labels,
                                            size_t labels_len);

/**
 * Constructor: CIFAR-10 binary batches: 3073-byte records (label byte, then
 * 1024 red, 1024 green, 1024 blue bytes, rows top to bottom), converted to
 * 32x32x3 NHWC with labels.  path is one file, or a directory from which
 * data_batch_1.bin ... data_batch_5.bin are read (train != 0) or
 * test_batch.bin (train == 0).
 */
GAN_API gan_status gan_dataset_load_cifar10(gan_dataset **out, const char *path, int train);

/** Constructor: CIFAR-10 records from a memory buffer (len a multiple of 3073). */
GAN_API gan_status gan_dataset_load_cifar10_mem(gan_dataset **out, const void *buf, size_t len);

/**
 * Constructor: Fashion-MNIST (or MNIST) from a directory holding
 * train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] (train != 0)
 * or the t10k-* pair.  Pass GAN_FASHION_MNIST_DIR for Debian's package.
 */
GAN_API gan_status gan_dataset_load_mnist_dir(gan_dataset **out, const char *dir, int train);

/**
 * Constructor: a copy of src with every sample converted to (h, w, c):
 * centred and padded with -1 (black) or cropped, and channels replicated
 * (1 -> c) or averaged (c -> 1).  This is how the 32x32x3 CIFAR-10 DCGAN
 * trains on 28x28x1 Fashion-MNIST.  Labels, class names, the image report
 * and the x-flip setting are kept.
 */
GAN_API gan_status gan_dataset_convert(gan_dataset **out, const gan_dataset *src, int h,
                                       int w, int c);

/** Destructor.  NULL is a no-op. */
GAN_API void gan_dataset_free(gan_dataset *ds);

/** Number of samples (after any limit), per-sample shape, and whether the
   dataset has labels (*has_labels 0/1; *n_classes = max label + 1, or 0). */
GAN_API gan_status gan_dataset_size(const gan_dataset *ds, size_t *n);
GAN_API gan_status gan_dataset_shape(const gan_dataset *ds, size_t *ndim, int dims[3]);
GAN_API gan_status gan_dataset_labels_info(const gan_dataset *ds, int *has_labels, int *n_classes);

/** Use only the first n samples from now on (n = 0 or >= size: all).  Resets
   the iterator. */
GAN_API gan_status gan_dataset_limit(gan_dataset *ds, size_t n);

/**
 * Copy sample `index` into x (count = elements per sample) and its label
 * into *label (may be NULL; -1 when the dataset has no labels).
 */
GAN_API gan_status gan_dataset_get(const gan_dataset *ds, size_t index, float *x, size_t count,
                                   int32_t *label);

/** How mini-batches are drawn.  Defaults in brackets. */
typedef struct gan_batch_config {
    uint32_t struct_size;  /**< set by gan_batch_config_init() */
    size_t batch_size;     /**< samples per batch [64] */
    int shuffle;           /**< reshuffle every epoch [1] */
    int drop_remainder;    /**< skip the last, smaller batch [1], as tf.data's
                              batch(..., drop_remainder=True) */
    uint64_t seed;         /**< shuffling seed [0] */
    /* new fields are only ever appended here */
} gan_batch_config;

GAN_API gan_status gan_batch_config_init(gan_batch_config *cfg, size_t size);
#define GAN_BATCH_CONFIG_INIT(c) gan_batch_config_init((c), sizeof *(c))

/**
 * Method of gan_dataset: set the batching (cfg NULL: defaults) and restart
 * at epoch 0.  The order of epoch e is a permutation drawn from (seed, e),
 * so it is reproducible and does not depend on how batches were consumed.
 */
GAN_API gan_status gan_dataset_set_batching(gan_dataset *ds, const gan_batch_config *cfg);

/** The batching in effect (cfg->struct_size must be set, e.g. by
   GAN_BATCH_CONFIG_INIT; that many bytes are written). */
GAN_API gan_status gan_dataset_get_batching(const gan_dataset *ds, gan_batch_config *cfg);

/** Batches per epoch under the current batching. */
GAN_API gan_status gan_dataset_batches_per_epoch(const gan_dataset *ds, size_t *n);

/**
 * Method of gan_dataset: copy the next batch into x (room for x_count
 * floats, at least batch_size * elements per sample) and its labels into
 * labels (NULL, or room for batch_size), and the number of samples into *n.
 * Returns GAN_OK with a batch, or GAN_DONE (and *n = 0) at the end of an
 * epoch; the next call starts the next epoch.  *epoch (may be NULL) gets
 * the epoch the batch belongs to.  Images are mirrored at random when
 * gan_dataset_set_flip_x is on.
 */
GAN_API gan_status gan_dataset_next_batch(gan_dataset *ds, float *x, size_t x_count,
                                          int32_t *labels, size_t *n, size_t *epoch);

/**
 * Method of gan_dataset: read only shard `index` of `count` (0 <= index <
 * count) of every batch, for data-parallel training (gan_reducer_config):
 * every worker opens the same data with the same batching and calls this
 * with its own index.  batch_size then counts the GLOBAL batch, the samples
 * all workers see together: each global batch is the one
 * gan_dataset_next_batch returns without shards (the same shuffled order,
 * a function of the seed alone), and worker k gets its k-th contiguous
 * slice, batch_size / count samples, one more for the first batch_size %
 * count workers.  A short last batch (drop_remainder off) is split the same
 * way; one with fewer samples than workers ends the epoch.  The position
 * (what checkpoints save) counts global batches, so a run resumes on any
 * number of workers.  count 1 (the default) reads whole batches.  Does not
 * move the position.  GAN_EINVAL for index >= count, count 0 or count above
 * batch_size.
 */
GAN_API gan_status gan_dataset_set_shard(gan_dataset *ds, size_t index, size_t count);

/**
 * Method of gan_dataset: mirror images left-right at random in batches
 * (on != 0) or not [the default].  gan_dataset_next_batch then flips each
 * image sample with probability 1/2, decided by (batching seed, epoch,
 * sample index) alone: reproducible, the same after a resume, different
 * every epoch, and no extra memory.  gan_dataset_get and the metrics see
 * the stored, unflipped images.  GAN_ESHAPE for vector samples.
 */
GAN_API gan_status gan_dataset_set_flip_x(gan_dataset *ds, int on);

/* ------------------------------------------------------------------------ */
/* Datasets from folders of PNG and JPEG images                             */
/* ------------------------------------------------------------------------ */

/**
 * gan_dataset_load_images reads a folder of PNG and JPEG files (a game's
 * sprites, a set of icons, photos) into a dataset of (height, width,
 * channels) images, ready for training.
 *
 *   gan_image_config c;
 *   gan_dataset *ds = NULL;
 *   GAN_IMAGE_CONFIG_INIT(&c);
 *   c.height = c.width = 64;            resize every image to 64x64
 *   c.channels = 4;                     RGBA: keep transparency
 *   c.cache_path = "sprites.cache";     the second run starts in well under a second
 *   if (gan_dataset_load_images(&ds, "sprites/", &c) != GAN_OK)
 *       fprintf(stderr, "%s\n", gan_last_error());
 *
 * WHICH FILES.  The folder is scanned recursively.  Entries whose names
 * start with '.' are ignored, and so are files whose names do not end in
 * .png, .jpg or .jpeg (any case): they are counted in the report's
 * `ignored`.  A file with one of those extensions must be a PNG or a JPEG;
 * which one is told by its first bytes, not its name.  Symbolic links are
 * followed; a link back to a folder being scanned (a loop), a dangling
 * link or a link loop with an image name, something that is not a regular
 * file (a FIFO, a device) with an image name, and folders nested more than
 * 64 deep are bad entries (below).
 *
 * ORDER.  Images are sorted by their path relative to the folder, compared
 * byte by byte (strcmp: "B.png" < "a.png" < "a/b.png" < "a0.png"), so the
 * order, and so training, is the same on every machine whatever order the
 * file system lists them in.
 *
 * LABELS.  With labels = GAN_IMAGE_LABELS_AUTO [the default], when every
 * image lies in a first-level sub-folder and there are at least two of
 * them, the sub-folders are classes: dir/cat/x.png has the class "cat".
 * Classes are numbered 0, 1, ... in byte-wise order of their names and the
 * names are kept in the dataset (gan_dataset_class_name).  Deeper folders
 * belong to their first-level folder.  GAN_IMAGE_LABELS_FOLDERS requires
 * classes (an image directly in dir is a bad file); GAN_IMAGE_LABELS_NONE
 * never labels.
 *
 * DECODING.  PNG through libpng: gray, gray+alpha, palette (with tRNS
 * transparency), RGB and RGBA, 1 to 16 bits, interlaced or not; 16-bit
 * samples are scaled to 8 bits with rounding (v * 255 / 65535).  JPEG
 * through libjpeg-turbo: gray, YCbCr and Adobe CMYK, baseline and
 * progressive.  Colour values are used as stored: gamma, ICC profiles and
 * the EXIF orientation are not applied.  A JPEG that libjpeg decodes only
 * by repairing damaged data (truncated, corrupt entropy data) is a bad file.
 *
 * PREPROCESSING, in this order:
 *  1. Channels.  channels = 4 keeps alpha (images without it are opaque);
 *     gray is replicated to RGB.  channels = 3 composites alpha onto
 *     `background` (out = (c * a + bg * (255 - a)) / 255).  channels = 1
 *     composites, then takes the luma 0.299 R + 0.587 G + 0.114 B (gray
 *     images keep their values exactly).
 *  2. Fit to the target's aspect ratio: GAN_IMAGE_FIT_CROP [the default]
 *     keeps the centred part of the image with the target's aspect ratio;
 *     GAN_IMAGE_FIT_PAD centres the whole image on a larger canvas of that
 *     ratio filled with `background` (transparent, 0 in every channel,
 *     when channels = 4); GAN_IMAGE_FIT_STRETCH uses the whole image.
 *     Crop and pad sizes are rounded to whole pixels; an odd margin puts
 *     the extra pixel at the bottom or right.  Padding costs what the
 *     image costs, not what the canvas does; a canvas side over 2^24
 *     pixels (an extreme aspect ratio) is refused with GAN_EFORMAT.
 *  3. Resize each axis separately: area averaging when shrinking (every
 *     output pixel is the mean of the input area it covers, partial pixels
 *     weighted by their overlap: no aliasing), bilinear interpolation with
 *     half-pixel centres when growing, a copy when the size is unchanged;
 *     in double precision, rounded once to 8 bits.  With channels = 4 the
 *     colours are resized premultiplied by alpha, so transparent pixels do
 *     not bleed into visible ones; a pixel that ends fully transparent gets
 *     the background colour (black by default), so invisible colours are
 *     all alike.
 *  4. Samples are x / 127.5 - 1 in [-1, 1], as every uint8 source.
 * With height = width = 0 [the default] images are not resized: every image
 * must have the size of the first one (other sizes are bad files), so mixed
 * sizes need a target size.
 *
 * LIMITS.  An image whose header claims more than max_pixels pixels
 * [GAN_IMAGE_MAX_PIXELS, 2^25: 8192 x 4096] is refused from its header,
 * before any pixel memory is allocated (a 60000 x 60000 "decompression
 * bomb" costs nothing); each side is at most 1,000,000.  Files over 1 GiB
 * are refused unread.  Ancillary PNG chunks are limited by libpng's
 * defaults (8 MB each); JPEGs with more than 500 progressive scans are
 * refused.  Memory: the decoded pixels of one image at a time, plus the
 * dataset (n * h * w * c floats) and its uint8 copy while loading.
 *
 * BAD FILES.  A file that cannot be read or decoded, or breaks a rule
 * above, is a bad file.  on_error = GAN_IMAGE_FAIL [the default] stops at
 * the first one (in the order above) with its error: GAN_EFORMAT (corrupt,
 * truncated, not a PNG or JPEG, over the pixel limit), GAN_EIO (cannot be
 * opened or read, not a regular file, a dangling link, a link loop),
 * GAN_ESHAPE (a size other than the first image's without a target size),
 * GAN_EINVAL (an image directly in dir with GAN_IMAGE_LABELS_FOLDERS), the
 * message naming the file ("<dir>/<path>: offset <n>: <what>").
 * GAN_IMAGE_SKIP skips bad files, counts them and keeps the first error in
 * the report (gan_dataset_image_report).  Either way: GAN_EINVAL if the
 * folder holds no PNG or JPEG at all (the message counts what was
 * ignored), GAN_EIO if dir itself cannot be opened, and an error (that of
 * the first bad file) if no image could be read.  GAN_ENOMEM always stops.
 *
 * THE CACHE.  With cache_path set, the preprocessed set (uint8 NHWC pixels,
 * labels, class names, the bad-file counts) is saved there, compressed with
 * zlib and CRC-checked, replaced atomically.  It is keyed by the list of
 * files (relative paths, sizes, modification times to the nanosecond), the
 * settings that change pixels or labels (height, width, channels, fit,
 * background, labels, on_error, max_pixels) and the preprocessing version.
 * The next load with the same key reads the cache instead of decoding (the
 * folder is still scanned, one stat per file).  Touching, adding, removing
 * or renaming a file, or changing one of those settings, rebuilds it.  A
 * cache that is absent, stale, corrupt or truncated is ignored (never
 * trusted: sizes are validated before anything is allocated) and
 * rewritten; the report says which.  A cache that cannot be written is not
 * an error: the dataset is returned and the report says why.
 *
 * PROGRESS.  progress(done, total, name, user) is called after each
 * candidate file, bad or not (done = 1..total, name its relative path),
 * or once with done = total and name NULL on a cache hit.
 *
 * Threads: no global state; loads of different folders may run in
 * parallel.  The dataset stores the pixels as floats (4 bytes a value).
 */

/** How an image is fitted to the target aspect ratio (see above). */
typedef enum gan_image_fit {
    GAN_IMAGE_FIT_CROP = 0,      /**< centred crop to the target's aspect */
    GAN_IMAGE_FIT_PAD = 1,       /**< centred on a padded canvas of that aspect */
    GAN_IMAGE_FIT_STRETCH = 2    /**< the whole image, aspect not kept */
} gan_image_fit;

/** Where class labels come from (see LABELS above). */
typedef enum gan_image_labels {
    GAN_IMAGE_LABELS_AUTO = 0,    /**< first-level sub-folders, if every image
                                       is in one and there are >= 2 */
    GAN_IMAGE_LABELS_NONE = 1,    /**< no labels */
    GAN_IMAGE_LABELS_FOLDERS = 2  /**< first-level sub-folders, required */
} gan_image_labels;

/** What a bad file does (see BAD FILES above). */
typedef enum gan_image_on_error {
    GAN_IMAGE_FAIL = 0,   /**< the load fails with the file's error */
    GAN_IMAGE_SKIP = 1    /**< the file is skipped and counted */
} gan_image_on_error;

/** The default max_pixels: 2^25 pixels (8192 x 4096). */
#define GAN_IMAGE_MAX_PIXELS ((uint64_t)1 << 25)

/** Progress of a load: after each file (see PROGRESS above). */
typedef void (*gan_image_progress_fn)(size_t done, size_t total, const char *name, void *user);

/** Settings of gan_dataset_load_images*.  Defaults in brackets. */
typedef struct gan_image_config {
    uint32_t struct_size;       /**< set by gan_image_config_init(); do not touch */
    int height;                 /**< target height, 1..8192, or 0 with width 0:
                                     keep the images' common size [0] */
    int width;                  /**< target width [0] */
    int channels;               /**< 1 (gray), 3 (RGB) or 4 (RGBA) [3] */
    gan_image_fit fit;          /**< [GAN_IMAGE_FIT_CROP] */
    uint32_t background;        /**< 0xRRGGBB: under transparent pixels and in
                                     padding [0x000000, black] */
    gan_image_labels labels;    /**< [GAN_IMAGE_LABELS_AUTO] */
    gan_image_on_error on_error; /**< [GAN_IMAGE_FAIL] */
    int flip_x;                 /**< random left-right mirroring in batches, as
                                     gan_dataset_set_flip_x [0] */
    uint64_t max_pixels;        /**< largest image accepted, in pixels
                                     [GAN_IMAGE_MAX_PIXELS]; 1..2^31 */
    const char *cache_path;     /**< cache file, or NULL for none [NULL]; the
                                     string is read during the call only */
    gan_image_progress_fn progress; /**< or NULL [NULL] */
    void *progress_user;        /**< passed to progress [NULL] */
    /* new fields are only ever appended here */
} gan_image_config;

GAN_API gan_status gan_image_config_init(gan_image_config *cfg, size_t size);
#define GAN_IMAGE_CONFIG_INIT(c) gan_image_config_init((c), sizeof *(c))

/**
 * Constructor: a dataset of the PNG and JPEG images under the folder dir,
 * as described above.  cfg may be NULL for the defaults (which need all
 * images to have one size).  Errors: see BAD FILES; GAN_EINVAL for a bad
 * setting (naming the field).  On failure *out is NULL.
 */
GAN_API gan_status gan_dataset_load_images(gan_dataset **out, const char *dir,
                                           const gan_image_config *cfg);

/**
 * Constructor: the same from n encoded PNG or JPEG files in memory:
 * bufs[i] of lens[i] bytes, named names[i] (may be NULL: "<memory>[i]").
 * Names are relative paths: they appear in messages and give the labels
 * ("cat/1.png" has the class "cat"), but they need no image extension.
 * The images keep the given order (not sorted).  With a cache_path the
 * cache is keyed by the names, lengths and CRC-32s of the buffers.  The
 * buffers are read during the call only.
 */
GAN_API gan_status gan_dataset_load_images_mem(gan_dataset **out, const void *const *bufs,
                                               const size_t *lens, const char *const *names,
                                               size_t n, const gan_image_config *cfg);

/**
 * The names of a dataset's classes, the label k being the class of name k:
 * *count is 0 for a dataset without class names (every source but image
 * folders).  gan_dataset_class_name writes name k into buf (cap bytes
 * including the NUL; buf may be NULL when cap is 0) and its full length
 * into *needed (may be NULL), as snprintf; GAN_EINVAL if k >= count.
 * gan_dataset_convert keeps the names.
 */
GAN_API gan_status gan_dataset_class_count(const gan_dataset *ds, size_t *count);
GAN_API gan_status gan_dataset_class_name(const gan_dataset *ds, size_t k, char *buf,
                                          size_t cap, size_t *needed);

/** What the cache did during a load (gan_image_report.cache). */
typedef enum gan_image_cache_state {
    GAN_IMAGE_CACHE_OFF = 0,          /**< no cache_path */
    GAN_IMAGE_CACHE_HIT = 1,          /**< loaded from the cache */
    GAN_IMAGE_CACHE_WRITTEN = 2,      /**< no usable cache (note says why):
                                           decoded, and the cache written */
    GAN_IMAGE_CACHE_WRITE_FAILED = 3  /**< decoded; writing the cache failed
                                           (note has the error) */
} gan_image_cache_state;

/** How a load from images went.  Fill struct_size with
   GAN_IMAGE_REPORT_INIT; the library writes only that many bytes. */
typedef struct gan_image_report {
    uint32_t struct_size;
    size_t files;               /**< candidate files (image names) */
    size_t loaded;              /**< images in the dataset */
    size_t skipped;             /**< bad files skipped (GAN_IMAGE_SKIP) */
    size_t ignored;             /**< entries ignored: hidden, other extensions */
    gan_image_cache_state cache;
    char first_error[512];      /**< message of the first skipped file, or "" */
    char cache_note[512];       /**< why the cache was not used or not written */
    /* new fields are only ever appended here */
} gan_image_report;

#define GAN_IMAGE_REPORT_INIT(r) (memset((r), 0, sizeof *(r)), (r)->struct_size = (uint32_t)sizeof *(r))

/**
 * Method of gan_dataset: the report of the load that made ds (copied by
 * gan_dataset_convert).  GAN_EINVAL if ds was not loaded from images or
 * report->struct_size is not set.
 */
GAN_API gan_status gan_dataset_image_report(const gan_dataset *ds, gan_image_report *report);

/* ======================================================================== */
/* Losses                                                                   */
/* ======================================================================== */

/**
 * A gan_loss is the adversarial objective: how the discriminator (critic)
 * scores real and generated batches and what the generator minimises.
 * Opaque; immutable after creation, so one loss may be shared by several
 * trainers and used from several threads.
 *
 * All losses are means over the batch (as Keras' losses), and each call
 * returns the loss value and its gradient with respect to the
 * discriminator's outputs (logits or scores).  With x a logit and
 * softplus(x) = log(1 + e^x), computed stably for any x:
 *
 *   GAN_LOSS_BCE        D: mean softplus(-x_real)*t + softplus(x_real)*(1-t)
 *                          + mean softplus(x_fake)      (t = real_label)
 *                       G: non-saturating  mean softplus(-x_fake)
 *                          = -log D(G(z)), the seeds' form; or, with
 *                          generator_minimax, mean log(1 - D(G(z)))
 *                          = -mean softplus(x_fake).
 *   GAN_LOSS_WASSERSTEIN  D: mean s_fake - mean s_real;  G: -mean s_fake.
 *                       Optional weight clipping of the critic to
 *                       [-clip, clip] after each critic update (WGAN).
 *   GAN_LOSS_HINGE      D: mean relu(1 - s_real) + mean relu(1 + s_fake);
 *                       G: -mean s_fake.
 *   GAN_LOSS_LEAST_SQUARES  D: 0.5 mean (s_real - 1)^2 + 0.5 mean s_fake^2;
 *                       G: 0.5 mean (s_fake - 1)^2   (LSGAN, a=0, b=c=1).
 *   GAN_LOSS_FEATURE_MATCHING  D: as BCE.  G: || mean_batch f(real) -
 *                       mean_batch f(fake) ||^2, where f is the output of
 *                       discriminator layer feature_layer (Salimans et al.
 *                       2016).
 */
typedef struct gan_loss gan_loss;

typedef enum gan_loss_kind {
    GAN_LOSS_BCE = 1,
    GAN_LOSS_WASSERSTEIN = 2,
    GAN_LOSS_HINGE = 3,
    GAN_LOSS_LEAST_SQUARES = 4,
    GAN_LOSS_FEATURE_MATCHING = 5
} gan_loss_kind;

/** Defaults in brackets. */
typedef struct gan_loss_config {
    uint32_t struct_size;    /**< set by gan_loss_config_init() */
    gan_loss_kind kind;      /**< [GAN_LOSS_BCE] */
    int generator_minimax;   /**< BCE/feature matching D: G minimises
                                log(1 - D(G(z))) instead of -log D(G(z)) [0] */
    float real_label;        /**< BCE target for real samples; 0.9 is one-sided
                                label smoothing [1.0]; in (0, 1] */
    float clip;              /**< Wasserstein: clip critic weights to
                                [-clip, clip] after each update; 0 = off [0] */
    int feature_layer;       /**< feature matching: index of the discriminator
                                layer whose output is matched;
                                -1 = the layer before the last non-view
                                layer [-1] */
    float gradient_penalty;  /**< WGAN-GP: lambda of the penalty
                                lambda * (||grad_x D(x_hat)||_2 - 1)^2 on random
                                interpolates of real and generated samples,
                                added to the critic's loss with its exact
                                parameter gradient (double backpropagation);
                                0 = off [0].  Gulrajani et al. use 10. */
    float r1_gamma;          /**< R1: gamma of the penalty
                                gamma/2 * ||grad_x D(x_real)||^2 on real
                                samples (Mescheder et al. 2018); 0 = off [0] */
    /* since 1.1 (issue 21): */
    float class_weight;      /**< AC-GAN's auxiliary class loss: weight
                                of the softmax cross-entropy of the
                                discriminator's class logits (its last layer
                                a class_projection_aux), added to D's loss on
                                the real samples with their labels and to G's
                                on its samples with the classes they were
                                drawn for; 0 = off [0].  Needs a conditional
                                pair; not with feature matching.  Saved in
                                checkpoints. */
    /* new fields are only ever appended here */
} gan_loss_config;

GAN_API gan_status gan_loss_config_init(gan_loss_config *cfg, size_t size);
#define GAN_LOSS_CONFIG_INIT(c) gan_loss_config_init((c), sizeof *(c))

/** Constructor: GAN_EINVAL for a bad kind or option (the message says which). */
GAN_API gan_status gan_loss_create(gan_loss **out, const gan_loss_config *cfg);

/** Destructor.  NULL is a no-op. */
GAN_API void gan_loss_free(gan_loss *loss);

/** The loss kind, and its stable name ("bce", "wasserstein", "hinge",
   "least-squares", "feature-matching"); NULL for an unknown kind. */
GAN_API gan_status gan_loss_kind_of(const gan_loss *loss, gan_loss_kind *kind);
GAN_API const char *gan_loss_kind_name(gan_loss_kind kind);

/**
 * The discriminator's loss on n_real real outputs and n_fake generated
 * outputs (one output per sample).  *value gets the loss; d_real and d_fake
 * (each may be NULL) get d loss / d output, n_real and n_fake floats.
 * GAN_EINVAL for n_real or n_fake 0, GAN_ENUMERIC if an input is not finite.
 */
GAN_API gan_status gan_loss_discriminator(const gan_loss *loss, const float *real,
                                          size_t n_real, const float *fake, size_t n_fake,
                                          float *value, float *d_real, float *d_fake);

/**
 * The generator's adversarial loss on n_fake discriminator outputs, and its
 * gradient d_fake (may be NULL).  Feature matching uses
 * gan_loss_feature_matching instead (GAN_ESTATE here).
 */
GAN_API gan_status gan_loss_generator(const gan_loss *loss, const float *fake, size_t n_fake,
                                      float *value, float *d_fake);

/**
 * Feature matching: real (n_real x dim) and fake (n_fake x dim) features;
 * *value = || mean real - mean fake ||^2 and d_fake (n_fake x dim, may be
 * NULL) its gradient.  Works with any loss handle.
 */
GAN_API gan_status gan_loss_feature_matching(const gan_loss *loss, const float *real,
                                             size_t n_real, const float *fake, size_t n_fake,
                                             size_t dim, float *value, float *d_fake);

/**
 * The auxiliary class loss as the trainer computes it, on n rows of a
 * class_projection_aux discriminator's output (1 + n_classes floats each:
 * the adversarial logit, then the class logits z):
 *   *value = class_weight / n * sum_i (log sum_k exp z_ik - z_i,labels[i])
 * and d_out (same shape, may be NULL) its gradient: class_weight / n *
 * (softmax(z_i) - onehot(labels[i])) in the class columns, 0 in the first.
 * class_weight is the loss's (0: value 0 and a zero gradient).  GAN_EINVAL
 * for n 0, n_classes < 1 or a label outside 0..n_classes-1; GAN_ENUMERIC if
 * an output is not finite.
 */
GAN_API gan_status gan_loss_class(const gan_loss *loss, const float *out, size_t n,
                                  int n_classes, const int32_t *labels, float *value,
                                  float *d_out);

/* ======================================================================== */
/* Optimizers                                                               */
/* ======================================================================== */

/**
 * A gan_optimizer updates one model's parameters from the gradients that
 * gan_model_backward() accumulated.  Opaque.  It keeps per-parameter state
 * (moments) and a step count, both readable and writable for checkpoints.
 * Frozen layers are skipped.  With g the gradient, w the weight, t the step
 * (from 1):
 *
 *   GAN_OPTIM_SGD       b = momentum b + g;  g' = nesterov ? g + momentum b : b
 *                       (g' = g without momentum);  w -= lr g'
 *   GAN_OPTIM_ADAM      m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *                       w -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 *                       (Kingma & Ba; PyTorch's form)
 *   GAN_OPTIM_RMSPROP   v = rho v + (1-rho) g^2;  w -= lr g / (sqrt(v) + eps)
 *
 * Decoupled weight decay (AdamW; applies to every optimizer):
 * w -= lr * weight_decay * w before the update.
 */
typedef struct gan_optimizer gan_optimizer;

typedef enum gan_optimizer_kind {
    GAN_OPTIM_SGD = 1,
    GAN_OPTIM_ADAM = 2,
    GAN_OPTIM_RMSPROP = 3
} gan_optimizer_kind;

/** Defaults in brackets (Keras' defaults, except where noted). */
typedef struct gan_optimizer_config {
    uint32_t struct_size;     /**< set by gan_optimizer_config_init() */
    gan_optimizer_kind kind;  /**< [GAN_OPTIM_ADAM] */
    float lr;                 /**< learning rate [0.001] */
    float beta1;              /**< Adam [0.9] */
    float beta2;              /**< Adam [0.999] */
    float eps;                /**< Adam, RMSprop [1e-7] */
    float rho;                /**< RMSprop [0.9] */
    float momentum;           /**< SGD [0] */
    int nesterov;             /**< SGD [0] */
    float weight_decay;       /**< decoupled, all kinds [0] */
    /* new fields are only ever appended here */
} gan_optimizer_config;

GAN_API gan_status gan_optimizer_config_init(gan_optimizer_config *cfg, size_t size);
#define GAN_OPTIMIZER_CONFIG_INIT(c) gan_optimizer_config_init((c), sizeof *(c))

/**
 * Constructor: an optimizer for `model`'s parameters, which it borrows: the
 * model must outlive the optimizer and keep its layers (adding a layer
 * afterwards makes step() return GAN_ESTATE).
 */
GAN_API gan_status gan_optimizer_create(gan_optimizer **out, gan_model *model,
                                        const gan_optimizer_config *cfg);

/** Destructor.  NULL is a no-op. */
GAN_API void gan_optimizer_free(gan_optimizer *opt);

/**
 * Method of gan_optimizer: apply one update from the model's accumulated
 * gradients (which it does not clear).  Returns GAN_ENUMERIC, leaving
 * weights and state unchanged, if a gradient is NaN or infinite.
 */
GAN_API gan_status gan_optimizer_step(gan_optimizer *opt);

/** Learning rate, changeable between steps (two time-scale updates). */
GAN_API gan_status gan_optimizer_set_lr(gan_optimizer *opt, float lr);
GAN_API gan_status gan_optimizer_get_lr(const gan_optimizer *opt, float *lr);

/**
 * Optimizer state for checkpoints: *n floats (0 for plain SGD, one slot per
 * parameter for momentum SGD and RMSprop, two for Adam: all m, then all v,
 * in the model's parameter order) and the step count.
 */
GAN_API gan_status gan_optimizer_state_size(const gan_optimizer *opt, size_t *n);
GAN_API gan_status gan_optimizer_get_state(const gan_optimizer *opt, float *dst, size_t count,
                                           uint64_t *step);
GAN_API gan_status gan_optimizer_set_state(gan_optimizer *opt, const float *src, size_t count,
                                           uint64_t step);

/* ======================================================================== */
/* Training                                                                 */
/* ======================================================================== */

/**
 * A gan_trainer pairs a generator, a discriminator, their optimizers and a
 * loss, and runs adversarial training steps.  Opaque.  It borrows all five
 * handles; they must outlive it.  Its only state of its own is the latent
 * noise stream (standard normal, from the trainer's seed) and the step and
 * epoch counters, so a run is reproducible: same seeds, same thread count,
 * same build -> identical losses and weights.
 *
 * One step, n_critic == 1 (the default; exactly the seed notebooks'
 * train_step, which computes both losses from one generator forward):
 *   1. z ~ N(0, 1); fake = G(z)                       (G forward, training)
 *   2. D(real), backward of the D loss                (D forward, training)
 *   3. D(fake), backward of the D loss (D gradients), and backward of the
 *      G loss through D with D's gradients untouched (D forward, training)
 *   4. backward through G; update D, then G.
 *   That is 1 G forward, 2 D forwards, 3 D backwards (one gradient-only),
 *   1 G backward.  Both updates use gradients of the same, pre-update
 *   weights, as the seed's tape-based step does.
 * With n_critic > 1 (WGAN), the step makes n_critic critic updates, each
 * on its own slice of the real batch and fresh noise (steps 1-3, then the
 * D update and clipping), followed by one generator update from fresh noise
 * and a new G and D forward.
 * Feature matching replaces the G loss of step 3 by matching the mean
 * output of D's feature layer on the real batch (step 2) and the fake batch.
 *
 * If any loss or gradient is NaN or infinite the step stops with
 * GAN_ENUMERIC and every weight, batchnorm statistic and optimizer state is
 * left as it was before the step.
 */
typedef struct gan_trainer gan_trainer;

/**
 * Differentiable augmentation (Zhao et al. 2020, DiffAugment), the bits of
 * gan_trainer_config.augment.  Each image a discriminator forward sees,
 * real and generated alike, goes through the chosen operations, each
 * applied to that image with probability p (drawn per image and operation
 * from the trainer's random stream, so runs are reproducible and resume
 * exactly); the generator's gradient flows back through them (each is
 * linear in the image once its random parameters are drawn, and its
 * backward is the transpose with the same parameters: gradient-checked).
 * On images in [-1, 1], NHWC, with "colour channels" the RGB of RGB(A) or
 * the gray channel of gray(+alpha) (alpha is left alone):
 *   COLOR        brightness x + b, b ~ U[-0.5, 0.5); saturation (RGB only)
 *                m + s (x - m), m the pixel's channel mean, s ~ U[0, 2);
 *                contrast m + k (x - m), m the image's mean, k ~ U[0.5, 1.5)
 *   TRANSLATION  a shift by up to round(side / 8) pixels each way, zeros
 *                (the value 0) where nothing moves in
 *   CUTOUT       a square of half the sides (rounded up), anywhere with its
 *                centre inside the image, set to 0 in every channel
 * The gradient penalties (WGAN-GP, R1) score the images unaugmented.
 */
#define GAN_AUGMENT_COLOR 1u
#define GAN_AUGMENT_TRANSLATION 2u
#define GAN_AUGMENT_CUTOUT 4u

/** Defaults in brackets. */
typedef struct gan_trainer_config {
    uint32_t struct_size;  /**< set by gan_trainer_config_init() */
    int n_critic;          /**< discriminator updates per generator update [1] */
    uint64_t seed;         /**< latent noise stream [0] */
    float ema_decay;       /**< keep an exponential moving average of the
                              generator's weights, ema = d*ema + (1-d)*w after
                              every generator update (e.g. 0.999); 0 = off
                              [0].  See gan_trainer_ema_generator(). */
    /* since 1.1 (issue 15): */
    uint64_t augment;      /**< GAN_AUGMENT_* bits for the images D sees;
                              0: none [0] (64 bits wide so that it starts
                              after release 1.0's struct, padding included) */
    float augment_p;       /**< probability of each operation per image, in
                              [0, 1]; with ada_target > 0 the starting p
                              (Karras et al. start at 0) [1] */
    float ada_target;      /**< 0: p stays augment_p [0].  > 0 (e.g. 0.6):
                              adaptive p (ADA): after every ada_interval
                              steps, r_t = the mean of sign(D(real)) over them
                              (D's outputs on augmented real images; logits
                              or scores), and p += (images seen in those
                              steps) / ada_speed when r_t > target, -= when
                              below, clamped to [0, 1].  Must be in (0, 1).
                              Not with data-parallel training
                              (gan_trainer_set_reducer refuses it). */
    int ada_interval;      /**< steps between adjustments, 1..1000000 [4] */
    float ada_speed;       /**< images over which p may move from 0 to 1
                              (Karras et al.: 500,000) [100000] */
    /* since 1.1 (issue 21): */
    int r1_every;          /**< lazy R1 (Karras et al. 2020): with
                              gan_loss_config.r1_gamma > 0 the R1 penalty is
                              computed only on critic updates k, 2k, 3k, ...
                              (k = r1_every, counted from 1 over the whole
                              run: step * n_critic + critic update), with
                              weight r1_gamma * k, so its mean pull stays
                              the same at 1/k of its cost.  1: every update
                              (the same bits as before this field), in
                              1..1000000 [1].  Saved in checkpoints. */
    /* new fields are only ever appended here */
} gan_trainer_config;

GAN_API gan_status gan_trainer_config_init(gan_trainer_config *cfg, size_t size);
#define GAN_TRAINER_CONFIG_INIT(c) gan_trainer_config_init((c), sizeof *(c))

/** What one step measured.  Fill struct_size with GAN_STEP_STATS_INIT; the
   library writes only that many bytes. */
typedef struct gan_step_stats {
    uint32_t struct_size;
    float d_loss;          /**< discriminator loss (of the last critic update) */
    float g_loss;          /**< generator loss */
    float d_real;          /**< mean D(real): sigmoid of the logit for BCE and
                              feature matching, the raw score otherwise */
    float d_fake;          /**< mean D(fake), the same way */
    /* new fields are only ever appended here */
} gan_step_stats;

#define GAN_STEP_STATS_INIT(s) (memset((s), 0, sizeof *(s)), (s)->struct_size = (uint32_t)sizeof *(s))

/**
 * Constructor.  Checks that G's output shape equals D's input shape and that
 * D outputs one value per sample (GAN_ESHAPE naming both shapes), that the
 * optimizers belong to these models (GAN_EINVAL), and that a feature
 * matching layer index exists.  cfg may be NULL for defaults.
 */
GAN_API gan_status gan_trainer_create(gan_trainer **out, gan_model *generator,
                                      gan_model *discriminator, gan_optimizer *g_opt,
                                      gan_optimizer *d_opt, const gan_loss *loss,
                                      const gan_trainer_config *cfg);

/** Destructor (frees only the trainer's own buffers).  NULL is a no-op. */
GAN_API void gan_trainer_free(gan_trainer *t);

/**
 * Method of gan_trainer: one training step.  real holds n_critic * batch
 * samples of D's input shape (real_count floats; critic update i uses
 * samples i*batch .. i*batch+batch-1).  stats may be NULL.
 * Returns GAN_OK, GAN_ENUMERIC (divergence; see above), GAN_ESHAPE,
 * GAN_EINVAL, GAN_ENOMEM (first use of a larger batch).
 */
GAN_API gan_status gan_trainer_step(gan_trainer *t, const float *real, size_t real_count,
                                    size_t batch, gan_step_stats *stats);

/**
 * Method of gan_trainer: one training step of a conditional GAN (a
 * generator and a discriminator that both have class layers with the same
 * n_classes; gan_trainer_create refuses a pair where only one is
 * conditional).  labels holds the class of each real sample (labels_count
 * = n_critic * batch, in the order of real).  The generated samples'
 * classes are drawn uniformly from 0..n_classes-1 by the trainer's own
 * random stream (after each batch of latent noise), so they are
 * reproducible and saved in checkpoints; one draw labels both the
 * generator's input and the discriminator's score of those samples.
 * Gradient penalties score their points with the real samples' labels
 * (WGAN-GP interpolates and R1's real samples).  Otherwise exactly
 * gan_trainer_step, which returns GAN_EINVAL for a conditional pair; this
 * call returns GAN_EINVAL for an unconditional one, for NULL labels and for
 * a label out of range (before anything is computed).
 */
GAN_API gan_status gan_trainer_step_labeled(gan_trainer *t, const float *real, size_t real_count,
                                            const int32_t *labels, size_t labels_count,
                                            size_t batch, gan_step_stats *stats);

/** Steps done and the current epoch (gan_trainer_fit counts epochs). */
GAN_API gan_status gan_trainer_progress(const gan_trainer *t, uint64_t *step, uint64_t *epoch);

/**
 * The trainer's configuration (n_critic and the noise seed it was created
 * or loaded with).  cfg->struct_size must be set (GAN_TRAINER_CONFIG_INIT);
 * that many bytes are written.
 */
GAN_API gan_status gan_trainer_get_config(const gan_trainer *t, gan_trainer_config *cfg);

/** Reseed the latent noise stream. */
GAN_API gan_status gan_trainer_set_seed(gan_trainer *t, uint64_t seed);

/**
 * Method of gan_trainer: the augmentation probability p now (augment_p, or
 * ADA's current value) and ADA's last r_t (0 before the first adjustment).
 * Checkpoints keep both and ADA's running sums, so a resumed run continues
 * with the same p.  Either pointer may be NULL.
 */
GAN_API gan_status gan_trainer_augment_state(const gan_trainer *t, float *p, float *r_t);

/**
 * Callbacks of gan_trainer_fit.  Return 0 to continue, non-zero to stop
 * training (fit then returns GAN_DONE).  `step` counts from 1 over the
 * whole run; `epoch` from 1.
 */
typedef int (*gan_step_callback)(const gan_step_stats *stats, uint64_t step, void *user);
typedef int (*gan_epoch_callback)(uint64_t epoch, const gan_step_stats *mean, void *user);

/**
 * Method of gan_trainer: train for `epochs` epochs over ds with its batching
 * (gan_dataset_set_batching; n_critic batches make one step, an incomplete
 * group at the end of an epoch is skipped).  on_step and on_epoch may be
 * NULL; on_epoch gets the mean of the epoch's step figures.
 * Returns GAN_OK after the last epoch, GAN_DONE if a callback stopped it,
 * or the error of the failing step (the model holds the weights of the
 * last good step).  GAN_ESHAPE if samples do not fit D.  A conditional
 * pair trains with the dataset's labels (gan_trainer_step_labeled);
 * GAN_EINVAL if the dataset has no labels or more classes than the models.
 */
GAN_API gan_status gan_trainer_fit(gan_trainer *t, gan_dataset *ds, uint64_t epochs,
                                   gan_step_callback on_step, gan_epoch_callback on_epoch,
                                   void *user);

/* ======================================================================== */
/* Data-parallel training: the reducer hook                                 */
/* ======================================================================== */

/**
 * Several processes ("workers") can train one GAN together, data-parallel:
 * each holds the same networks, computes the losses and gradients of its
 * own part of every batch, and the workers average the gradients before
 * every optimizer update, so all of them make the same update and stay
 * identical.  libgan has no transport of its own: a gan_reducer_config
 * names the callbacks that sum numbers across the workers, and any
 * transport can provide them.  libgan_mpi implements them over MPI
 * (gan_mpi.h, docs/distributed.md).
 *
 * With a reducer, one step of a worker holding b of the global batch's N
 * samples (gan_dataset_set_shard splits batches this way):
 *   - agrees with the others on N, on its offset in the global batch and on
 *     the state of the noise stream (one blocking sum_doubles); a worker
 *     that failed before the step (gan_trainer_fail_step) makes every
 *     worker's step return its error and message instead of waiting;
 *   - draws the latent noise, the generated samples' classes and WGAN-GP's
 *     interpolation weights of the GLOBAL batch from the trainer's stream
 *     and keeps its own samples' share, so the noise does not depend on the
 *     number of workers and every worker's stream stays identical;
 *   - starts summing each bucket of about bucket_bytes of gradients,
 *     scaled by b / N, as soon as the backward pass has finished the layers
 *     that hold it (sum_start), calls progress between layers and waits for
 *     all buckets (sum_wait) before the finiteness check and the update;
 *   - sums the losses and mean scores (and, for feature matching, the mean
 *     features), so the step's figures are those of the global batch and a
 *     NaN on any worker stops every worker (GAN_ENUMERIC, step undone);
 *   - with more than one worker, averages the batchnorm running statistics
 *     and draws dropout masks and injected noise from a per-step stream
 *     derived from the shared one and the worker's rank: distinct per
 *     worker, reproducible, and the shared stream saved in checkpoints.
 * Batchnorm normalises with the statistics of the worker's own samples
 * (as PyTorch's DistributedDataParallel without SyncBatchNorm does), and
 * minibatch standard deviation and discrimination see only them.  With one
 * worker the step computes exactly what it computes without a reducer.
 *
 * Every worker must make the same calls in the same order: the same step
 * calls with the same n_critic (gan_trainer_fit does), and the
 * callbacks are collective.  Errors after the agreement that concern one
 * worker only (GAN_ENOMEM, a callback's error) leave the other workers
 * waiting in a collective: such a worker calls out_of_step, and the
 * program must end the whole job (MPI_Abort).
 */
typedef struct gan_reducer_config {
    uint32_t struct_size;  /**< set by gan_reducer_config_init() */
    int rank;              /**< this worker, 0 .. size-1 [0] */
    int size;              /**< number of workers [1] */
    /** Start replacing buf[0..count) by its sum over all workers, in place;
       may return before the sum is done (buf is left alone until
       sum_wait).  Collective: every worker starts the same buckets in the
       same order.  Required. */
    gan_status (*sum_start)(float *buf, size_t count, void *user);
    /** Finish every sum started since the last call.  Required. */
    gan_status (*sum_wait)(void *user);
    /** Replace buf[0..count) by its sum over all workers, blocking.
       Collective.  Required. */
    gan_status (*sum_doubles)(double *buf, size_t count, void *user);
    /** Called between layers of the backward pass while sums are pending,
       to let the transport advance them (MPI_Testall).  May be NULL. */
    void (*progress)(void *user);
    /** Called when this worker fails after a step's agreement (see above).
       May be NULL. */
    void (*out_of_step)(gan_status status, void *user);
    size_t bucket_bytes;   /**< gradient bucket size [4 MiB]; 4 .. 2^30 */
    void *user;            /**< passed to every callback [NULL] */
    /* new fields are only ever appended here */
} gan_reducer_config;

GAN_API gan_status gan_reducer_config_init(gan_reducer_config *cfg, size_t size);
#define GAN_REDUCER_CONFIG_INIT(c) gan_reducer_config_init((c), sizeof *(c))

/**
 * Method of gan_trainer: train data-parallel through cfg's callbacks from
 * the next step on (see above); cfg NULL removes the reducer.  Call it
 * between steps, on every worker, after the workers' trainers were made
 * identical (the same checkpoint, or the same seeds and calls; libgan_mpi
 * copies worker 0's).  The buckets follow the models' layers as they are
 * now.  GAN_EINVAL for a missing required callback, size < 1, rank outside
 * 0..size-1 or bucket_bytes out of range; GAN_ENOMEM.
 */
GAN_API gan_status gan_trainer_set_reducer(gan_trainer *t, const gan_reducer_config *cfg);

/**
 * Method of gan_trainer: this worker cannot make the next step (it failed
 * to read its batch, say).  Instead of the step it takes part in the
 * step's agreement with `status` (an error code) and gan_last_error()'s
 * message, so every other worker's step returns `status` with the message
 * "worker K of N failed: ..." rather than waiting for it.  Returns
 * `status`.  GAN_ESTATE without a reducer, GAN_EINVAL if status is not an
 * error.  gan_trainer_fit calls it itself for its own failures.
 */
GAN_API gan_status gan_trainer_fail_step(gan_trainer *t, gan_status status);

/* ======================================================================== */
/* Model files and training checkpoints                                     */
/* ======================================================================== */

/**
 * libgan stores networks and training runs in one documented binary format
 * (docs/checkpoint-format.md): a small header, then zlib-compressed sections
 * (architecture, parameters, batchnorm statistics, optimizer state, trainer
 * state), each with a CRC32.  No code, paths or pickled objects.
 *
 * Two kinds of file share it: a model file (one network, e.g. a generator
 * to embed in a game) and a training checkpoint (generator, discriminator,
 * both optimizers, the loss and the trainer's counters and random streams,
 * optionally a dataset iterator's position).
 *
 * Loading validates everything before allocating (sizes, counts, shapes,
 * finite weights) and accepts every file written by an earlier version of
 * the format.  Saving to a path is atomic: the file is written to a
 * temporary file in the same directory, flushed and fsync'ed, renamed over
 * the target and the directory fsync'ed, so a crash leaves either the old
 * or the new complete file; temporaries left by a crash are removed by the
 * next save to the same path.
 */

/** Kinds of file, as reported by gan_file_probe(). */
typedef enum gan_file_kind {
    GAN_FILE_MODEL = 1,       /**< one network */
    GAN_FILE_CHECKPOINT = 2   /**< a whole training run */
} gan_file_kind;

/**
 * Method of gan_model: save the network (architecture, parameters, batchnorm
 * statistics) to path, atomically.  Returns GAN_EIO (with the failing system
 * call and errno text) and leaves any existing file at path unchanged.
 */
GAN_API gan_status gan_model_save(const gan_model *model, const char *path);

/**
 * The same into a buffer the library allocates: *buf (free it with
 * gan_free()) and its length *len.
 */
GAN_API gan_status gan_model_save_mem(const gan_model *model, void **buf, size_t *len);

/**
 * Constructor: a model from a model file (or the generator of a training
 * checkpoint; the checkpoint's other sections are checked too, sizes and
 * CRCs, so damage anywhere in it is GAN_EFORMAT, though only the
 * generator's bytes are kept).  The model is ready for inference: it carries no gradient
 * or training buffers until it is trained.  GAN_EIO, GAN_EFORMAT (what is
 * wrong and where), GAN_EVERSION (a newer format), GAN_ENUMERIC (non-finite
 * weights), GAN_ENOMEM.
 */
GAN_API gan_status gan_model_load(gan_model **out, const char *path);
GAN_API gan_status gan_model_load_mem(gan_model **out, const void *buf, size_t len);

/**
 * Method of gan_model: write the network as an ONNX model to path,
 * atomically as gan_model_save (docs/embedding.md), for onnxruntime, Unity
 * Sentis, Unreal NNE and the other ONNX runtimes.  The inference
 * computation only: batchnorm with its running statistics, dropout as the
 * identity, spectrally normalised kernels already divided by sigma, noise
 * injection with the fixed noise map libgan's inference uses (not a graph
 * input), so a runtime gives the images gan_sampler gives for the same
 * latent vectors and labels (to float rounding).
 *
 * The graph: ONNX IR version 7, opset 13.  Inputs "latent" (N, D) float (or
 * "input" (N, H, W, C) for a model whose input is an image) and, for a
 * conditional model, "labels" (N) int64 (0..classes-1); output "image" (N,
 * H, W, C) float (or "output" (N, D)): NHWC like libgan, N symbolic.
 * The same model gives the same bytes.
 *
 * GAN_EUNSUPPORTED naming the layer and its index for a kind with no ONNX
 * form (minibatch_stddev, minibatch_discrimination, class_projection: the
 * discriminator layers); GAN_ESTATE for a model without layers; GAN_EIO as
 * gan_model_save, leaving any existing file at path unchanged; GAN_ENOMEM.
 */
GAN_API gan_status gan_model_export_onnx(const gan_model *model, const char *path);

/**
 * The same into a buffer the library allocates: *buf (free it with
 * gan_free()) and its length *len.
 */
GAN_API gan_status gan_model_export_onnx_mem(const gan_model *model, void **buf, size_t *len);

/** Free memory the library returned (gan_model_save_mem, ...).  NULL is a no-op. */
GAN_API void gan_free(void *p);

/**
 * Method of gan_trainer: save a training checkpoint: both models, both
 * optimizers, the loss configuration, the trainer's step, epoch, n_critic
 * and latent noise stream, both models' dropout streams, and, when ds is
 * not NULL, ds's batching and position, so training resumes exactly.
 * Atomic as gan_model_save.
 */
GAN_API gan_status gan_trainer_save(const gan_trainer *t, const gan_dataset *ds, const char *path);
GAN_API gan_status gan_trainer_save_mem(const gan_trainer *t, const gan_dataset *ds, void **buf,
                                        size_t *len);

/**
 * Constructor: a trainer from a checkpoint.  Unlike gan_trainer_create, the
 * trainer OWNS the generator, discriminator, optimizers and loss it
 * creates and frees them in gan_trainer_free; borrow them with
 * gan_trainer_models().  If ds is not NULL and the checkpoint holds a
 * dataset position, ds's batching and position are restored too (its
 * sample shape must fit the discriminator).
 */
GAN_API gan_status gan_trainer_load(gan_trainer **out, gan_dataset *ds, const char *path);
GAN_API gan_status gan_trainer_load_mem(gan_trainer **out, gan_dataset *ds, const void *buf,
                                        size_t len);

/**
 * Method of gan_trainer: restore a checkpoint into an existing trainer whose
 * models and optimizers have the same architecture and kinds (GAN_ESHAPE or
 * GAN_EFORMAT naming the first difference otherwise).  All-or-nothing: on
 * error nothing is changed.
 */
GAN_API gan_status gan_trainer_restore(gan_trainer *t, gan_dataset *ds, const char *path);

/** The same from a checkpoint in memory (what gan_trainer_save_mem wrote):
   how libgan_mpi gives every worker worker 0's state. */
GAN_API gan_status gan_trainer_restore_mem(gan_trainer *t, gan_dataset *ds, const void *buf,
                                           size_t len);

/**
 * Borrow the trainer's handles (any pointer may be NULL).  They stay valid
 * until the trainer is freed (for a loaded trainer) or their owner frees
 * them (for a created one).
 */
/**
 * Constructor: a new model (owned by the caller, ready for inference) that
 * is the generator with its exponential-moving-average weights and its
 * current batchnorm statistics: what to sample from or export when EMA is
 * on.  GAN_ESTATE if the trainer keeps no EMA (ema_decay 0).  Checkpoints
 * save and restore the average.
 */
GAN_API gan_status gan_trainer_ema_generator(const gan_trainer *t, gan_model **out);

GAN_API gan_status gan_trainer_models(const gan_trainer *t, gan_model **generator,
                                      gan_model **discriminator, gan_optimizer **g_opt,
                                      gan_optimizer **d_opt);

/** The kind of a file in libgan's format (reads and checks the header only). */
GAN_API gan_status gan_file_probe(const char *path, gan_file_kind *kind);

/**
 * A text description of a model file or checkpoint: kind, format version,
 * the library version that wrote it, each network's summary, parameter
 * counts, optimizers, loss, step and epoch.  snprintf-style as
 * gan_model_summary.  The file is fully validated first.
 */
GAN_API gan_status gan_file_info(const char *path, char *buf, size_t cap, size_t *needed);

/* ======================================================================== */
/* Sampling                                                                 */
/* ======================================================================== */

/**
 * A gan_sampler is a small per-thread context (activation buffers,
 * workspace and a latent random stream) for drawing images from a
 * generator in inference mode (batchnorm running statistics, no dropout).
 *
 * Thread safety: any number of samplers may use the same model at the same
 * time from different threads; they only read its weights.  The model must
 * not be trained, changed or freed while samplers use it.  One sampler is
 * used by one thread at a time: a call that finds it in use by another
 * thread returns GAN_ESTATE without touching the output.  For many sampling threads, gan_set_threads(1)
 * avoids threads within threads.
 */
typedef struct gan_sampler gan_sampler;

/**
 * Constructor: a sampler for `model` (borrowed) drawing latent vectors from
 * seed, processing at most max_batch images per pass (0: 64).  The model's
 * input must be a vector (the latent space).
 */
GAN_API gan_status gan_sampler_create(gan_sampler **out, const gan_model *model, uint64_t seed,
                                      size_t max_batch);

/** Destructor.  NULL is a no-op. */
GAN_API void gan_sampler_free(gan_sampler *s);

/** Reset the latent stream: the same seed gives the same images. */
GAN_API gan_status gan_sampler_set_seed(gan_sampler *s, uint64_t seed);

/** Latent size (the model's input elements) and per-image output elements. */
GAN_API gan_status gan_sampler_dims(const gan_sampler *s, size_t *latent, size_t *image);

/**
 * Draw n latent vectors N(0, 1) from the sampler's stream into z
 * (n * latent floats), without generating.
 */
GAN_API gan_status gan_sampler_latent(gan_sampler *s, size_t n, float *z, size_t z_count);

/**
 * Generate n images (NHWC floats, in [-1, 1] for a tanh output) into out
 * (n * image floats) from the caller's latent vectors z (n * latent), or,
 * when z is NULL, from n vectors drawn from the sampler's stream.
 */
GAN_API gan_status gan_sampler_generate(gan_sampler *s, const float *z, size_t z_count, size_t n,
                                        float *out, size_t out_count);

/**
 * The same as 8-bit pixels ready for a texture: round((x + 1) * 127.5)
 * clamped to 0..255, interleaved (gray or RGB per the model's channels).
 */
GAN_API gan_status gan_sampler_generate_u8(gan_sampler *s, const float *z, size_t z_count,
                                           size_t n, uint8_t *out, size_t out_count);

/**
 * The same two calls for a conditional generator (gan_model_num_classes()
 * > 0): labels holds the class of each of the n images (0..n_classes-1).
 * The unlabeled calls return GAN_EINVAL on a conditional generator, these
 * on an unconditional one; a label out of range is GAN_EINVAL (naming the
 * image and the value) before anything is generated.  z may be NULL as
 * above.  Thread safety as the unlabeled calls.
 */
GAN_API gan_status gan_sampler_generate_labeled(gan_sampler *s, const float *z, size_t z_count,
                                                const int32_t *labels, size_t n, float *out,
                                                size_t out_count);
GAN_API gan_status gan_sampler_generate_labeled_u8(gan_sampler *s, const float *z,
                                                   size_t z_count, const int32_t *labels,
                                                   size_t n, uint8_t *out, size_t out_count);

/**
 * Latent interpolation: `steps` vectors from z0 to z1 (dim floats each),
 * linear, or spherical (slerp: along the great circle, with the norm
 * interpolated linearly; falls back to linear when z0 and z1 are parallel)
 * into out (steps * dim floats).  steps >= 2; the first is z0, the last z1.
 */
GAN_API gan_status gan_latent_interpolate(const float *z0, const float *z1, size_t dim,
                                          size_t steps, int spherical, float *out,
                                          size_t out_count);

/* ======================================================================== */
/* Images                                                                   */
/* ======================================================================== */

/**
 * Write n images of h x w x c 8-bit pixels (interleaved; c = 1 gray, 3 RGB
 * or 4 RGBA) as one PNG grid of `cols` columns (0: the smallest square
 * grid), with `pad` pixels of black between and around images.  Built on
 * zlib's deflate and crc32; the file is written atomically as checkpoints
 * are.  GAN_EINVAL for a bad size, GAN_EIO.
 */
GAN_API gan_status gan_png_write_grid(const char *path, const uint8_t *images, size_t n, int h,
                                      int w, int c, int cols, int pad);

/** The same PNG into a library-allocated buffer (free with gan_free()). */
GAN_API gan_status gan_png_encode_grid(const uint8_t *images, size_t n, int h, int w, int c,
                                       int cols, int pad, void **buf, size_t *len);

/* ======================================================================== */
/* Metrics                                                                  */
/* ======================================================================== */

/**
 * Supervised classification, and the two standard measures of a GAN: the
 * Frechet Inception Distance (FID) and the Inception Score (IS).
 *
 * Feature network.  Inception-v3 cannot be shipped, so both measures use a
 * classifier of libgan's own format: by default models/fashion_mnist_
 * classifier.gan in the source tree (a small CNN trained on Fashion-MNIST
 * by examples/train_classifier.c; docs/metrics.md has its accuracy and the
 * command that re-creates it).  Any model file whose last layer outputs
 * class logits can take its place.  FID uses the output of one layer
 * (the "features", by default the input of the last layer: the classifier's
 * penultimate dense layer after its activation); IS uses the softmax of the
 * last layer.  Images are fed exactly as the model was trained on them
 * (for libgan's datasets and tanh generators: NHWC floats in [-1, 1]).
 *
 * Protocol (what docs/metrics.md and `gan eval` report; numbers are only
 * comparable under the same one): the feature network file, its feature
 * layer, the reference set (Fashion-MNIST's t10k, 10,000 images), the
 * number of generated samples (10,000) and the latent seed (0).  FID
 * depends on the sample count (it is biased upward for few samples), so
 * compare FIDs of equal counts only.
 *
 * Typical use (error checks omitted):
 *
 *     gan_model *clf, *g;          gan_model_load(&clf, "models/fashion_mnist_classifier.gan");
 *     gan_metrics *mt;             gan_metrics_create(&mt, clf, -1, 0);
 *     size_t dim, k;               gan_metrics_dims(mt, &dim, &k, NULL);
 *     gan_fid_stats *ref, *gen;    gan_fid_stats_create(&ref, dim); gan_fid_stats_create(&gen, dim);
 *     gan_metrics_run_dataset(mt, test_set, 0, ref, NULL, 0);   (or gan_fid_stats_load)
 *     float *p = malloc(10000 * k * sizeof *p);
 *     gan_metrics_run_generator(mt, g, 0, 10000, gen, p, 10000 * k);
 *     double fid, is, is_std;
 *     gan_frechet_distance(ref, gen, &fid);
 *     gan_inception_score(p, 10000 * k, 10000, 10, &is, &is_std);
 */

/**
 * Softmax cross-entropy of a batch of logits (batch rows of K = logits_count
 * / batch classes, K >= 2) against integer labels in 0..K-1:
 *   *value = mean_i ( logsumexp(z_i) - z_i[label_i] ),
 * computed stably (max-shifted) for any finite logits.  d_logits (may be
 * NULL; logits_count floats) gets d value / d logits = (softmax(z_i) -
 * onehot(label_i)) / batch.  *n_correct (may be NULL) gets how many rows'
 * argmax (first maximum on ties) equals the label.
 * Returns GAN_EINVAL (NULL, label out of range), GAN_ESHAPE (counts),
 * GAN_ENUMERIC (a logit is NaN or infinite).
 */
GAN_API gan_status gan_softmax_cross_entropy(const float *logits, size_t logits_count,
                                             size_t batch, const int32_t *labels, float *value,
                                             float *d_logits, size_t *n_correct);

/**
 * Method of gan_model: one supervised training step of a classifier (a
 * model whose output is a vector of K >= 2 logits): zero the gradients,
 * forward x (batch samples, x_count floats) in training mode, softmax
 * cross-entropy against labels (batch values in 0..K-1), backward, and
 * one update of opt (which must have been created for this model).
 * *loss and *accuracy (each may be NULL) get the batch's mean loss and
 * fraction of correct argmax predictions, measured before the update.
 * All or nothing: on GAN_ENUMERIC (non-finite logits or gradients) the
 * weights, optimizer state and batchnorm statistics are left unchanged.
 * Returns GAN_EINVAL, GAN_ESHAPE, GAN_ESTATE (no layers), GAN_ENUMERIC,
 * GAN_ENOMEM.
 */
GAN_API gan_status gan_model_train_classifier_step(gan_model *model, gan_optimizer *opt,
                                                   const float *x, size_t x_count,
                                                   const int32_t *labels, size_t batch,
                                                   float *loss, float *accuracy);

/**
 * Method of gan_model: mean softmax cross-entropy and accuracy of the
 * classifier over every sample of ds (after gan_dataset_limit), in
 * inference mode and in dataset order, `batch` samples per forward (0:
 * 256).  The dataset's iterator is not touched.  GAN_EINVAL (no or
 * out-of-range labels), GAN_ESHAPE (samples do not fit the model),
 * GAN_ENUMERIC, GAN_ENOMEM.
 */
GAN_API gan_status gan_model_evaluate_classifier(gan_model *model, const gan_dataset *ds,
                                                 size_t batch, float *loss, float *accuracy);

/**
 * gan_fid_stats: streaming feature statistics (count, mean, covariance) of
 * one set of images, accumulated in double precision with Chan et al.'s
 * pairwise update, so adding a set in one call or in any split into
 * batches gives the same result up to rounding.  The covariance is the
 * unbiased one (divided by count - 1), as numpy's np.cov.  Opaque.
 *
 * Each object remembers the id of the feature network that filled it
 * (gan_metrics_dims); FIDs of statistics from different networks are
 * refused (GAN_ESTATE), because they are not comparable.  Statistics filled
 * by gan_fid_stats_add directly carry id 0, which matches any network.
 */
typedef struct gan_fid_stats gan_fid_stats;

/** Constructor: empty statistics of dimension dim (1..65536).  GAN_EINVAL,
   GAN_ENOMEM. */
GAN_API gan_status gan_fid_stats_create(gan_fid_stats **out, size_t dim);

/** Destructor.  NULL is a no-op. */
GAN_API void gan_fid_stats_free(gan_fid_stats *stats);

/** Method of gan_fid_stats: forget every sample (and the network id). */
GAN_API gan_status gan_fid_stats_reset(gan_fid_stats *stats);

/**
 * Method of gan_fid_stats: add n feature vectors (n x dim floats, count =
 * n * dim; n may be 0).  GAN_ESHAPE (count), GAN_ENUMERIC (a non-finite
 * value; nothing is added).
 */
GAN_API gan_status gan_fid_stats_add(gan_fid_stats *stats, const float *features, size_t count,
                                     size_t n);

/** Method of gan_fid_stats: add every sample of src to dst (same dimension,
   GAN_ESHAPE otherwise; GAN_ESTATE for different networks). */
GAN_API gan_status gan_fid_stats_merge(gan_fid_stats *dst, const gan_fid_stats *src);

/** Dimension, sample count and feature network id (0: unknown); each
   pointer may be NULL. */
GAN_API gan_status gan_fid_stats_info(const gan_fid_stats *stats, size_t *dim, uint64_t *count,
                                      uint32_t *network_id);

/**
 * Copy the mean (dim doubles) and the covariance (dim * dim doubles,
 * row-major) out; either pointer may be NULL.  GAN_ESHAPE for a count
 * that is not dim or dim * dim, GAN_ESTATE with fewer than 1 sample (2 for
 * the covariance).
 */
GAN_API gan_status gan_fid_stats_moments(const gan_fid_stats *stats, double *mean,
                                         size_t mean_count, double *cov, size_t cov_count);

/**
 * The Frechet distance of the Gaussians fitted to a and b:
 *   FID = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)).
 * Computed in double with LAPACK's symmetric eigensolver (dsyevd; a Jacobi
 * solver in builds without OpenBLAS), never a general matrix square root:
 * S_a = V diag(l) V^T, R = diag(sqrt(l)) V^T, and Tr((S_a S_b)^(1/2)) is
 * the sum of the square roots of the eigenvalues of the symmetric matrix
 * R S_b R^T, with eigenvalues that rounding made negative taken as 0.  A
 * result that rounding made negative is reported as 0.
 * Returns GAN_ESHAPE (dimensions differ), GAN_ESTATE (fewer than 2 samples
 * on a side, or different feature networks), GAN_ENUMERIC, GAN_ENOMEM.
 */
GAN_API gan_status gan_frechet_distance(const gan_fid_stats *a, const gan_fid_stats *b,
                                        double *fid);

/**
 * Save statistics (e.g. of a reference data set, to reuse them) to path,
 * atomically as gan_model_save, or into a buffer the library allocates
 * (*buf, free with gan_free(); *len bytes).  The format is specified in
 * docs/metrics.md: magic "GANFSTAT", version, dimension, count, network
 * id, mean and covariance as little-endian doubles, CRC-32.
 */
GAN_API gan_status gan_fid_stats_save(const gan_fid_stats *stats, const char *path);
GAN_API gan_status gan_fid_stats_save_mem(const gan_fid_stats *stats, void **buf, size_t *len);

/**
 * Constructor: statistics from a file or buffer written by the save calls.
 * GAN_EIO, GAN_EFORMAT (bad magic, length, CRC or values; the message says
 * where), GAN_EVERSION (a newer format), GAN_ENOMEM.
 */
GAN_API gan_status gan_fid_stats_load(gan_fid_stats **out, const char *path);
GAN_API gan_status gan_fid_stats_load_mem(gan_fid_stats **out, const void *buf, size_t len);

/**
 * The Inception Score of n samples from their class probabilities (n rows
 * of K = probs_count / n values, each in [0, 1], rows summing to 1):
 *   IS = exp( mean_x KL( p(y|x) || p(y) ) ),  p(y) = mean_x p(y|x),
 * computed on each of `splits` consecutive parts (rows [s n / splits,
 * (s + 1) n / splits)) as in Salimans et al.'s reference code; *mean and
 * *std (population standard deviation; each may be NULL) summarise the
 * parts.  splits 0 means the usual 10.  IS lies in [1, K]: 1 when every
 * sample gets the same distribution, K for confident predictions spread
 * evenly over the classes.  GAN_EINVAL (n < splits, a value out of
 * [0, 1]), GAN_ESHAPE, GAN_ENOMEM.
 */
GAN_API gan_status gan_inception_score(const float *probs, size_t probs_count, size_t n,
                                       int splits, double *mean, double *std);

/**
 * Improved precision and recall (Kynkaanniemi et al. 2019) of a generated
 * set against a real one, on feature vectors (e.g. gan_metrics_features of
 * the FID classifier): real is n_real rows of dim floats (real_count =
 * n_real * dim), fake n_fake rows.  Each set's manifold is the union of
 * balls around its points, of radius the distance to the point's k-th
 * nearest neighbour in its own set (the paper uses k = 3);
 * *precision = the share of generated points inside the real manifold
 * (quality), *recall = the share of real points inside the generated
 * manifold (coverage).  Either pointer may be NULL.  Costs
 * O((n_real + n_fake)^2 dim) time, O(256 (n_real + n_fake)) memory.
 * GAN_EINVAL (NULL sets, k outside 1..1024 or not below both counts, dim
 * outside 1..65536), GAN_ESHAPE (counts), GAN_ENUMERIC (a value not
 * finite), GAN_ENOMEM.
 */
GAN_API gan_status gan_precision_recall(const float *real, size_t real_count, size_t n_real,
                                        const float *fake, size_t fake_count, size_t n_fake,
                                        size_t dim, int k, double *precision, double *recall);

/**
 * gan_metrics runs a feature network over images and feeds gan_fid_stats
 * and class probabilities.  Opaque.  It borrows the network and runs it in
 * the network's own buffers (inference mode), so while a gan_metrics is in
 * use the network must not be used elsewhere, changed or freed.
 */
typedef struct gan_metrics gan_metrics;

/**
 * Constructor: metrics on `network` (borrowed), whose features are the
 * output of layer feature_layer (0-based; GAN_DEFAULT_FEATURE_LAYER: the
 * input of the last layer that is not a reshape or flatten, i.e. the
 * penultimate layer's output),
 * processing at most max_batch images per forward (0: 128).  The network
 * needs at least 2 layers.  GAN_EINVAL (layer out of range), GAN_ESTATE,
 * GAN_ENOMEM.
 */
GAN_API gan_status gan_metrics_create(gan_metrics **out, gan_model *network, size_t feature_layer,
                                      size_t max_batch);

/** Destructor.  NULL is a no-op. */
GAN_API void gan_metrics_free(gan_metrics *metrics);

/**
 * The feature dimension (for gan_fid_stats_create), the number of classes
 * (0 when the network's output is not a vector of at least 2 logits: then
 * no probabilities), and the network's id (a CRC-32 of the feature layer
 * index, the parameters and batchnorm statistics, never 0).  Each pointer
 * may be NULL.
 */
GAN_API gan_status gan_metrics_dims(const gan_metrics *metrics, size_t *feature_dim,
                                    size_t *classes, uint32_t *network_id);

/**
 * Method of gan_metrics: run n images (count = n * input elements of the
 * network) and add their features to stats (may be NULL) and/or write their
 * softmax class probabilities to probs (n * classes floats; may be NULL).
 * GAN_ESHAPE (counts, dimensions), GAN_ESTATE (network freed or changed,
 * stats of another network, probs without classes), GAN_ENUMERIC.
 */
GAN_API gan_status gan_metrics_run(gan_metrics *metrics, const float *images, size_t count,
                                   size_t n, gan_fid_stats *stats, float *probs,
                                   size_t probs_count);

/** The raw features of n images into features (n * feature_dim floats). */
GAN_API gan_status gan_metrics_features(gan_metrics *metrics, const float *images, size_t count,
                                        size_t n, float *features, size_t features_count);

/**
 * The same over the first `limit` samples of ds (0: all, after
 * gan_dataset_limit), in dataset order; the iterator is not touched.  Its
 * sample shape must equal the network's input.  n = min(limit, size) rows
 * of probabilities.
 */
GAN_API gan_status gan_metrics_run_dataset(gan_metrics *metrics, const gan_dataset *ds,
                                           size_t limit, gan_fid_stats *stats, float *probs,
                                           size_t probs_count);

/**
 * The same over n images of `generator` (output shape = the network's
 * input): latent vectors z ~ N(0, 1) from libgan's generator seeded with
 * `seed`, drawn batch after batch, and the generator run in inference mode
 * (batchnorm running statistics).  The same seed and n give the same
 * latent vectors at any max_batch.  The generator's buffers are used, as
 * by gan_model_forward.  A conditional generator (K classes) draws image i
 * of class i mod K, so every class has n/K images (+1 for the first
 * n mod K classes).
 */
GAN_API gan_status gan_metrics_run_generator(gan_metrics *metrics, gan_model *generator,
                                             uint64_t seed, size_t n, gan_fid_stats *stats,
                                             float *probs, size_t probs_count);

/* ======================================================================== */
/* The seed notebooks' networks                                             */
/* ======================================================================== */

/**
 * Ready-made networks of the two seed notebooks, with their exact layers and
 * Keras' defaults (LeakyReLU alpha 0.3, BatchNorm momentum 0.99 and epsilon
 * 0.001, Glorot-uniform kernels).  Append-only.
 */
typedef enum gan_preset {
    /* First notebook, CIFAR-10 DCGAN.  Noise 128 -> Dense 4*4*512 (no bias),
       BN, LReLU, Reshape, then Conv2DTranspose 256/128/64 (4x4, stride 2,
       same, no bias) each with BN and LReLU, and Conv2DTranspose 3 (4x4,
       stride 1, same, no bias) + tanh: 32x32x3. */
    GAN_PRESET_DCGAN_CIFAR10_GENERATOR = 1,
    /* Conv2D 64/128/256 (4x4, stride 2, same), each LReLU + Dropout 0.3,
       Flatten, Dense 1 (a logit). Input 32x32x3. */
    GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR = 2,
    /* Second notebook's MNIST generator corrected to 28x28 as in the
       TensorFlow DCGAN tutorial: noise 100 -> Dense 7*7*256 (no bias), BN,
       LReLU, Reshape, Conv2DTranspose 128 (5x5, stride 1), 64 (5x5,
       stride 2), each with BN + LReLU, Conv2DTranspose 1 (5x5, stride 2)
       + tanh; all same padding, no bias. */
    GAN_PRESET_MNIST_GENERATOR = 3,
    /* Conv2D 64, 128 (5x5, stride 2, same), each LReLU + Dropout 0.3,
       Flatten, Dense 1.  Input 28x28x1. */
    GAN_PRESET_MNIST_DISCRIMINATOR = 4,
    /* The second notebook's generator verbatim: Dense 7*7*128, ...,
       Conv2DTranspose 64 (5x5, stride 1), Conv2DTranspose 1 (5x5,
       stride 2) + tanh.  It outputs 14x14x1, which does not fit the 28x28
       discriminator: kept to show that libgan reports the mismatch. */
    GAN_PRESET_MNIST_NOTEBOOK_GENERATOR = 5,
    /* The notebook's WGAN critic: the MNIST discriminator without dropout,
       with a linear score. */
    GAN_PRESET_WGAN_CRITIC = 6,
    /* Conditional GAN on Fashion-MNIST's 10 classes: noise 100 and a
       trainable class embedding of 50 (concatenated: 150), then the MNIST
       generator's layers (Dense 7*7*256, ..., tanh): 28x28x1. */
    GAN_PRESET_CGAN_GENERATOR = 7,
    /* Projection discriminator: the MNIST discriminator's Conv2D 64, 128
       blocks (LReLU, Dropout 0.3), Flatten, minibatch discrimination (50
       kernels of 5; without it each class collapsed to one image), then a
       class projection over 10 classes instead of Dense 1.  Input
       28x28x1. */
    GAN_PRESET_CGAN_DISCRIMINATOR = 8,
    /* Not from the notebooks: a small style-based generator for 28x28x1
       (the second notebook's Practical 6 sketch made whole).  Mapping
       network noise 100 -> 3 x (Dense 128, LReLU 0.2) = style s (128);
       style input 7x7x128 constant, AdaIN; Conv2D 128 (3x3), LReLU 0.2,
       AdaIN; Conv2DTranspose 64 then 32 (5x5, stride 2), each LReLU 0.2 +
       AdaIN; Conv2D 1 (3x3, bias) + tanh.  Convolutions before an AdaIN
       have no bias; AdaIN epsilon 1e-5; all same padding.  Trained with
       GAN_PRESET_WGAN_CRITIC and the WGAN-GP penalty (examples/style_gan.c,
       gan train --preset style). */
    GAN_PRESET_STYLE_GENERATOR = 9,
    /* Not from the notebooks: an SN-ResNet-style pair for 28x28x1 (Miyato
       et al. 2018's ResNet networks, scaled down).  Generator: noise 128 ->
       Dense 7*7*64, Reshape; two up blocks (64 then 32 channels) of
       residual_begin, BN, ReLU, upsample x2, Conv2D 3x3, BN, ReLU, Conv2D
       3x3, residual_conv (up 2); then BN, ReLU, Conv2D 1 (3x3) + tanh.
       All convolutions 3x3 (shortcuts 1x1), same padding, with bias. */
    GAN_PRESET_RESNET_GENERATOR = 10,
    /* Discriminator, input 28x28x1: residual blocks of two Conv2D 3x3 with
       ReLUs: 32 channels with average pooling 2 (the first block without
       the leading ReLU), 64 with pooling 2 (both with 1x1-conv shortcuts
       pooled by 2), 64 at 7x7 (identity shortcut); ReLU, global average
       pooling (avgpool 7), Flatten, Dense 1.  Trained with spectral
       normalisation of every kernel (gan train --preset sngan-resnet). */
    GAN_PRESET_RESNET_DISCRIMINATOR = 11,
    /* The conditional pair on Fashion-MNIST's 10 classes, BigGAN-style:
       the ResNet generator with class-conditional batchnorm (every
       batchnorm followed by a class_affine over 10 classes: per-class gain
       and bias), and the ResNet discriminator with a class projection over
       10 classes instead of its Dense 1 (gan train --preset cgan-resnet). */
    GAN_PRESET_RESNET_CGAN_GENERATOR = 12,
    GAN_PRESET_RESNET_CGAN_DISCRIMINATOR = 13,
    /* Not from the notebooks: a StyleGAN2-lite generator for 28x28x1
       (Karras et al. 2020, without skip outputs, path-length
       regularisation or style mixing).  Mapping network noise 128 ->
       4 x (Dense 128 with equalised learning rate, lr_multiplier 0.01 and
       equalized_gain sqrt(2), LReLU 0.2) = style w (128); style input 7x7x64 constant; then
       modulated_conv2d 3x3 (demodulated, equalised learning rate), noise
       injection and LReLU 0.2 at 64 channels (7x7), nearest up-sampling
       x2 and two such at 64 (14x14), up-sampling x2 and two at 32
       (28x28); modulated_conv2d 1 (1x1, not demodulated) + tanh: the
       image.  Paired with GAN_PRESET_RESNET_DISCRIMINATOR (gan train
       --preset style2: non-saturating logistic loss, lazy R1). */
    GAN_PRESET_STYLE2_GENERATOR = 14,
    /* The StyleGAN2-lite generator at twice the channels: style input
       7x7x128, modulated convolutions at 128 (7x7), 128 and 128 (14x14),
       64 and 64 (28x28); the same mapping network and output (708,929
       parameters against 249,249; about 4x the convolutions' multiply-adds).
       Paired with GAN_PRESET_WGAN_CRITIC_MBSTD by gan train --preset
       style2-hinge (hinge loss, Adam 2e-3 / 8e-4, batch 16, EMA 0.999),
       where it measured FID 12.5-13.8 at the default job's budget (17.0-19.9
       against the critic without the minibatch standard deviation, where
       the narrow one measured 22.1-26.5; docs/stabilisation.md). */
    GAN_PRESET_STYLE2_WIDE_GENERATOR = 15,
    /* GAN_PRESET_RESNET_GENERATOR at twice the channels: Dense 7*7*128,
       up blocks of 128 then 64 channels (1,242,369 parameters against
       513,665).  Paired with GAN_PRESET_WGAN_CRITIC by gan train --preset
       resnet-wide-hinge (resnet-hinge's recipe: hinge loss, Adam 4e-4 /
       8e-4 beta 0/0.9, batch 32, EMA 0.99), where it measured FID
       12.3-12.6 at the default job's budget against 16.4-16.9 for the
       narrow one, and 7.2-7.5 at 4x that budget (docs/stabilisation.md). */
    GAN_PRESET_RESNET_WIDE_GENERATOR = 16,
    /* GAN_PRESET_CGAN_DISCRIMINATOR with the auxiliary classifier (AC-GAN):
       its last layer a class_projection_aux over 10 classes, so it outputs
       the adversarial logit and 10 class logits per sample; trained with
       gan_loss_config.class_weight > 0 (gan train --preset cgan-aux-hinge). */
    GAN_PRESET_CGAN_AUX_DISCRIMINATOR = 17,
    /* GAN_PRESET_WGAN_CRITIC with a minibatch standard deviation layer
       (gan_model_add_minibatch_stddev) between its two convolutions, as
       StyleGAN's critics place it: the critic sees how varied the batch
       is, so a generator that drops modes is told so.  216,065
       parameters.  Paired with GAN_PRESET_STYLE2_WIDE_GENERATOR by gan
       train --preset style2-hinge.  The gradient penalties refuse it
       (GAN_EUNSUPPORTED naming the layer) and it has no ONNX form (export
       the generator). */
    GAN_PRESET_WGAN_CRITIC_MBSTD = 18
} gan_preset;

/**
 * Constructor: build a preset network, initialised from weight seed 0.
 * Returns GAN_EINVAL for an unknown preset, GAN_ENOMEM.
 */
GAN_API gan_status gan_model_create_preset(gan_model **out, gan_preset preset);

/**
 * The preset's stable name ("dcgan-cifar10-generator", ...), or NULL for an
 * unknown value; and the reverse look-up (GAN_EINVAL for an unknown name).
 */
GAN_API const char *gan_preset_name(gan_preset preset);
GAN_API gan_status gan_preset_from_name(const char *name, gan_preset *preset);

/**
 * The size of the latent vector a generator preset expects (128 or 100),
 * or 0 for a discriminator preset or an unknown value.
 */
GAN_API int gan_preset_latent_dim(gan_preset preset);

/* ======================================================================== */
/* Networks for any image size                                              */
/* ======================================================================== */

/**
 * A family of networks: one generator or discriminator for any image size,
 * channel count and number of classes (gan_model_create_family), for
 * training on one's own images (gan_dataset_load_images).  Append-only.
 *
 * The side `size` must be 4, 5, 6 or 7 times a power of two (at least 2),
 * within 8..256: s = s0 * 2^k, s0 in 4..7, k >= 1 (8, 10, 12, 14, 16, 20,
 * 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256).  The
 * feature maps at resolution s / 2^j have W(j) = min(max_width,
 * width * 2^j) channels.  LeakyReLU slope 0.2, all convolutions same
 * padding; batchnorm and initialisation as the builder calls' defaults.
 */
typedef enum gan_family_kind {
    /* latent -> [class embedding (classes, class_dim), concatenated, when
       classes > 0] -> Dense s0*s0*W(k) (no bias), BN, LReLU, Reshape
       s0 x s0 x W(k) -> for j = k-1 .. 0: Conv2DTranspose W(j) (4x4,
       stride 2, no bias), BN, LReLU -> Conv2D channels (3x3, stride 1,
       bias) + tanh: size x size x channels in [-1, 1]. */
    GAN_FAMILY_DCGAN_GENERATOR = 1,
    /* size x size x channels -> for j = 0 .. k-1: Conv2D W(j) (4x4,
       stride 2, bias), LReLU, [Dropout when dropout > 0] -> Flatten ->
       Dense 1 (a logit or score), or a class projection over `classes`
       when classes > 0 (conditional: gan_model_add_class_projection).
       With spectral_norm, every convolution and the dense layer are
       spectrally normalised (SN-GAN).  With minibatch_stddev, the batch's
       standard deviation is one more channel before the last convolution
       (gan_model_add_minibatch_stddev; StyleGAN's place); with
       aux_classifier (and classes > 0), the head also outputs `classes`
       class logits (gan_model_add_class_projection_aux, AC-GAN). */
    GAN_FAMILY_DCGAN_DISCRIMINATOR = 2,
    /* Residual generator (SN-ResNet, Miyato et al. 2018; BigGAN-style when
       conditional): latent -> Dense s0*s0*W(k) (bias), Reshape s0 x s0 x
       W(k) -> for j = k-1 .. 0 a residual block to W(j) channels: [BN,
       ReLU, nearest up-sampling x2, Conv2D 3x3, BN, ReLU, Conv2D 3x3]
       plus the shortcut up-sampled x2 and a 1x1 convolution
       (gan_model_add_residual_conv) -> BN, ReLU, Conv2D channels (3x3) +
       tanh.  Every convolution has a bias.  When classes > 0 every
       batchnorm is class-conditional (followed by gan_model_add_class_affine
       over `classes`); class_dim is unused.  Nearest up-sampling + 3x3
       convolutions leave no checkerboard texture.  With size 28, channels
       1, width 64, max_width 128 it is GAN_PRESET_RESNET_WIDE_GENERATOR
       layer for layer (and GAN_PRESET_RESNET_GENERATOR with width 32,
       max_width 64). */
    GAN_FAMILY_RESNET_GENERATOR = 3,
    /* Residual discriminator: a first block [Conv2D 3x3 W(0), ReLU, Conv2D
       3x3 W(0), average pooling /2] + shortcut (pooled /2, 1x1 conv) ->
       for j = 1 .. k-1 [ReLU, Conv2D 3x3 W(j), ReLU, Conv2D 3x3 W(j),
       average pooling /2] + shortcut (pooled, 1x1 conv) -> [minibatch
       standard deviation when minibatch_stddev] -> [ReLU, Conv2D 3x3
       W(k-1), ReLU, Conv2D 3x3 W(k-1)] + identity shortcut (a 1x1 conv
       after the minibatch standard deviation's extra channel) -> ReLU,
       global average pooling (s0), Flatten -> Dense 1, or the class
       projection (aux_classifier: with class logits) when classes > 0.
       spectral_norm normalises every convolution (shortcuts included) and
       the dense layer.  With size 28, channels 1, width 32, max_width 64
       it is GAN_PRESET_RESNET_DISCRIMINATOR layer for layer. */
    GAN_FAMILY_RESNET_DISCRIMINATOR = 4,
    /* StyleGAN2-lite generator (Karras et al. 2020): [class embedding
       (classes, class_dim), concatenated, when classes > 0] -> mapping
       network: 4 x (Dense `latent` units, equalised learning rate, lr x
       0.01, gain sqrt 2; LReLU) -> the style vector -> learned constant
       s0 x s0 x W(k) (gan_model_add_style_input) -> modulated conv 3x3
       W(k) -> for j = k-1 .. 0: nearest up-sampling x2, modulated conv 3x3
       W(j), modulated conv 3x3 W(j) -> modulated conv 1x1 `channels` (not
       demodulated) + tanh.  Each 3x3 modulated convolution is demodulated,
       equalised, and followed by noise injection and LReLU.  With size
       28, channels 1, width 64, max_width 128 it is
       GAN_PRESET_STYLE2_WIDE_GENERATOR layer for layer.  Its layers are
       generator layers: pair it with a DCGAN or ResNet discriminator. */
    GAN_FAMILY_STYLE2_GENERATOR = 5
} gan_family_kind;

/** Settings of gan_model_create_family.  Defaults in brackets. */
typedef struct gan_family_config {
    uint32_t struct_size;  /**< set by gan_family_config_init(); do not touch */
    int size;              /**< image side, see gan_family_kind [32] */
    int channels;          /**< 1 (gray), 3 (RGB) or 4 (RGBA); 2 is accepted [3] */
    int width;             /**< channels at full resolution, 1..4096 [32] */
    int max_width;         /**< cap on the channels, width..4096 [256] */
    int latent;            /**< generator input size, 1..65536 [128] */
    int classes;           /**< 0: unconditional; K in 1..65536: a conditional
                                pair over K classes [0] */
    int class_dim;         /**< generator's class embedding size; 0: one-hot
                                (see gan_model_add_class_embedding) [32] */
    int spectral_norm;     /**< discriminator: spectral normalisation of every
                                convolution and dense layer, 0 or 1 [0] */
    float dropout;         /**< discriminator: dropout after each LReLU, [0, 1)
                                [0] */
    /* since 1.1 (issue 21): */
    int minibatch_stddev;  /**< discriminator: the batch's standard deviation
                                as one more channel late in the network (see
                                each kind), 0 or 1 [0] */
    int aux_classifier;    /**< conditional discriminator: also output the
                                `classes` class logits (AC-GAN; train with
                                gan_loss_config.class_weight > 0), 0 or 1 [0] */
    /* new fields are only ever appended here */
} gan_family_config;

GAN_API gan_status gan_family_config_init(gan_family_config *cfg, size_t size);
#define GAN_FAMILY_CONFIG_INIT(c) gan_family_config_init((c), sizeof *(c))

/**
 * Constructor: a network of the family `kind` (see gan_family_kind) as cfg
 * says (NULL: the defaults, a 32x32 RGB pair), initialised from weight seed
 * 0 (gan_model_init_params to change it).  A generator and a
 * discriminator made from the same cfg fit each other (gan_trainer_create).
 * Returns GAN_EINVAL for an unknown kind or a setting out of range (the
 * message names the field and the accepted values), GAN_ENOMEM.
 */
GAN_API gan_status gan_model_create_family(gan_model **out, gan_family_kind kind,
                                           const gan_family_config *cfg);

#ifdef __cplusplus
}
#endif

#endif /* GAN_H */
