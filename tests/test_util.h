/*
 * test_util.h -- helpers shared by the Check suites: seeded fills, error
 * measures, model builders and shape shortcuts, a GAN pair builder, a
 * failing allocator, a finite-difference gradient checker that drives a
 * gan_model through the public API only with its table-driven runner, and
 * the suites' main().
 */
#ifndef GAN_TEST_UTIL_H
#define GAN_TEST_UTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "gan.h"

/* Assert that a call returns GAN_OK; the failure names the call and quotes
   gan_last_error(). */
#define OK(call)                                                                           \
    do {                                                                                   \
        gan_status ok_st_ = (call);                                                        \
        ck_assert_msg(ok_st_ == GAN_OK, "%s: %s", #call, gan_last_error());                \
    } while (0)

/* Run one suite in Check's normal mode; the process's exit status. */
int tu_run_suite(Suite *s);

/* A tiny seeded generator of the tests' own (independent of libgan's). */
typedef struct tu_rng {
    uint64_t s;
} tu_rng;

void tu_rng_seed(tu_rng *r, uint64_t seed);
uint64_t tu_rng_next(tu_rng *r);
double tu_rng_uniform(tu_rng *r); /* [0, 1) */

/*
 * The 64-bit linear congruential generator (Knuth's MMIX constants) that
 * several suites drew their data from before they shared these helpers.
 * Kept, with the same state update and the same conversions, so the data of
 * the tests tuned on it (the learning tests, the seeded bit flips) stay bit
 * for bit what they were.
 */
typedef struct tu_lcg {
    uint64_t s;
} tu_lcg;

uint64_t tu_lcg_next(tu_lcg *r);    /* s = s * a + c; returns s */
double tu_lcg_uniform(tu_lcg *r);   /* [0, 1) from the top 53 bits */
float tu_lcg_sym(tu_lcg *r);        /* [-1, 1) from bits 40..63 */
double tu_lcg_normal(tu_lcg *r);    /* N(0, 1): Box-Muller of two uniforms */

/* n points of the 8-Gaussian ring (radius 2, modes at k pi / 4) with
   standard deviation sd, as (x, y) pairs. */
void tu_ring_batch(tu_lcg *r, float *x, size_t n, double sd);

/* x[i] ~ U[lo, hi), reproducible from seed. */
void tu_fill(float *x, size_t n, uint64_t seed, float lo, float hi);
/* |x[i]| ~ U[lo, hi) with a random sign: keeps values away from 0 (kinks). */
void tu_fill_away(float *x, size_t n, uint64_t seed, float lo, float hi);

/* calloc that fails the running Check test instead of returning NULL. */
float *tu_alloc(size_t n);
/* malloc of n bytes (at least 1), likewise. */
void *tu_malloc(size_t n);

/* n class labels, uniform in 0..classes-1, reproducible from seed. */
int32_t *tu_labels(size_t n, int classes, uint64_t seed);

/* max_i |a-b| / max(|a|, |b|, floor): a relative error that tolerates zeros. */
double tu_max_rel_err(const float *a, const float *b, size_t n, double floor);
/* max_i |a[i]| */
double tu_max_abs(const float *a, size_t n);
/* sum_i y[i] * r[i] in double. */
double tu_dot(const float *y, const float *r, size_t n);

/* Elements per sample of the model's input and output; the layer count. */
size_t tu_in_elems(const gan_model *m);
size_t tu_out_elems(const gan_model *m);
size_t tu_layers(const gan_model *m);
/* Parameter count of one layer. */
size_t tu_layer_params(const gan_model *m, size_t layer);

/* A model from an input shape (ndim 1 or 3); fails the test on error. */
gan_model *tu_model(size_t ndim, int d0, int d1, int d2);
/* A preset's model; fails the test on error. */
gan_model *tu_preset(gan_preset p);
/* Fill every parameter of every layer from seed (U[-scale, scale)), through
   gan_model_set_params; batchnorm gamma/beta too. */
void tu_randomize_params(gan_model *m, uint64_t seed, float scale);
/* Running statistics that are not the identity for every batchnorm layer:
   moving mean U[-0.5, 0.5), moving variance U[0.5, 2). */
void tu_randomize_bn_state(gan_model *m, uint64_t seed);
/* batch inputs of the model's size, U[-1, 1) from seed. */
float *tu_rand_input(const gan_model *m, size_t batch, uint64_t seed);

/* Layer configs and builder calls that fail the test on error. */
gan_dense_config tu_dense_config(int units);
gan_conv2d_config tu_conv_config(int filters, int k, int s, gan_padding pad);
void tu_add_dense(gan_model *m, int units, int use_bias);
/* A square kernel k, stride s, "same" padding, with bias. */
void tu_add_conv(gan_model *m, int transpose, int filters, int k, int s);
void tu_add_conv_config(gan_model *m, int transpose, const gan_conv2d_config *c);

/* Every layer's parameters (gradients, state) concatenated in layer
   order; *count gets the length.  The caller frees the array. */
float *tu_all_params(const gan_model *m, size_t *count);
float *tu_all_grads(const gan_model *m, size_t *count);
float *tu_all_state(const gan_model *m, size_t *count);

/* ---- a GAN pair ---------------------------------------------------------------- */

/* A trainer with its two models, optimizers and loss (the trainer borrows
   them; tu_pair_free frees all six, NULL members included). */
typedef struct tu_pair {
    gan_model *g, *d;
    gan_optimizer *g_opt, *d_opt;
    gan_loss *loss;
    gan_trainer *t;
} tu_pair;

/*
 * Two MLPs on vectors: G latent -> depth x (dense hidden [-> batchnorm] ->
 * activation) -> dense dim; D dim -> depth x (dense hidden -> leaky ReLU 0.2
 * [-> dropout]) -> dense 1.
 */
typedef struct tu_pair_config {
    int latent, dim;
    int hidden, depth;
    float g_leaky;          /* G's activation: leaky ReLU of this slope; 0: ReLU */
    int g_batchnorm;        /* G: batchnorm after each hidden dense layer */
    float d_dropout;        /* D: dropout of this rate after each activation; 0: none */
    int d_spectral_norm;    /* D: every dense layer spectrally normalised */
    int g_classes;          /* G starts with a one-hot class embedding; 0: none */
    int d_classes;          /* D ends with a class projection, not dense 1; 0: none */
    int d_aux;              /* ... with the auxiliary classifier's class logits
                               (class_projection_aux) */
    uint64_t g_seed, d_seed; /* gan_model_init_params; 0: the builders' initialisation */
    gan_optimizer_config opt;   /* both networks */
    gan_loss_config loss;
    gan_trainer_config trainer;
} tu_pair_config;

/* latent 4, dim 2, one hidden layer of 16, ReLU in G, nothing optional,
   and the library's default optimizer, loss and trainer configs. */
void tu_pair_config_init(tu_pair_config *c);
/* Builds everything, asserting each step, up to gan_trainer_create, whose
   status it returns (the pairing errors are tests of their own). */
gan_status tu_pair_create(tu_pair *p, const tu_pair_config *c);
/* The same around two given models (presets, say), which the pair then
   owns: the optimizers (c->opt), the loss and the trainer; c's network
   fields are not read. */
gan_status tu_pair_create_models(tu_pair *p, gan_model *g, gan_model *d, const tu_pair_config *c);
void tu_pair_free(tu_pair *p);

/*
 * The mode-collapse benchmark: train p (a generator of 2-D points) for
 * steps steps on tu_ring_batch batches of batch points with standard
 * deviation sd, then draw n samples from N(0, 1) latents (both from r) and
 * assert that at least 7 of the 8 modes hold a fifth of their fair share
 * of samples within 3 sd, and that more than half of all samples are within
 * 3 sd of a mode.  TU_VERBOSE=1 prints the counts.
 */
/*
 * The class-conditional toy problem of check_conditional and check_class_aux:
 * class k of K is a Gaussian (sd 0.05) at angle 2 pi k / K on the circle of
 * radius 2.  tu_class_mode: the centre of class k; tu_class_batch: n points
 * with uniform classes, from r.
 */
void tu_class_mode(int k, int classes, float *xy);
void tu_class_batch(tu_rng *r, size_t n, int classes, float *x, int32_t *labels);

void tu_assert_ring_learned(tu_pair *p, tu_lcg *r, int steps, size_t batch, double sd, size_t n);

/* A gan_trainer_fit step callback: ++*(int *)user. */
int tu_count_steps(const gan_step_stats *s, uint64_t step, void *user);

/* Rewrite the header CRC (bytes 28..31 over bytes 0..27) of a model or
   checkpoint file after a test edited its header. */
void tu_fix_header_crc(unsigned char *file);

/* ---- a failing allocator ------------------------------------------------------- */

/*
 * An allocator for gan_set_allocator that counts the allocations (malloc
 * and realloc calls) and the live blocks, and refuses the allocation number
 * fail_at (counted from 0 at tu_oom_install), or with persistent every one
 * from there on: the OOM sweeps fail the k-th allocation for k = 0, 1, ...
 */
typedef struct tu_oom {
    long count;             /* allocations attempted */
    long fail_at;           /* the first to refuse; -1: none */
    int persistent;         /* refuse every allocation from fail_at on */
    long live;              /* blocks allocated and not yet freed */
    long failures;          /* allocations refused since the last tu_oom_fail_after */
} tu_oom;

/* Zero *o (nothing refused) and make it libgan's allocator. */
void tu_oom_install(tu_oom *o);
/* Refuse the k-th allocation from now on (0: the next one); failures = 0. */
void tu_oom_fail_after(tu_oom *o, long k, int persistent);
/* Refuse nothing. */
void tu_oom_never(tu_oom *o);
/* Back to malloc and free. */
void tu_oom_uninstall(void);

/* ---- the gradient checker ------------------------------------------------------ */

/*
 * Finite-difference check of gan_model_backward for the loss
 * L = sum(y * r), r a fixed random tensor.  The analytic gradients (dx and
 * every layer's parameter gradients) are compared with central differences
 *   (L(v + eps) - L(v - eps)) / (2 eps)
 * evaluated in float by full forwards.  A point passes when
 *   |analytic - numeric| <= atol * scale + rtol * max(|analytic|, |numeric|)
 * where scale = max(max |analytic| of that tensor, 0.1 * the largest over
 * all tensors).  A failing point is re-evaluated with eps/2: when the two
 * numeric estimates disagree, the function is not smooth there (a kink was
 * crossed) and the point is skipped.  So is a point with a kink closer than
 * eps/2, which both central differences average alike: its one-sided
 * differences over eps/2 disagree and the analytic value is one of them
 * (within 4x the tolerance).  At most max_skip_frac of the points may be
 * skipped.  gan_model_set_seed(dropout_seed) precedes every forward, so
 * dropout masks are identical in all evaluations.
 */
typedef struct tu_gradcheck_opts {
    size_t batch;
    gan_mode mode;
    float eps;
    double rtol, atol;
    size_t max_checks;      /* points per tensor (0: all) */
    double max_skip_frac;
    uint64_t seed;          /* r and the choice of points */
    uint64_t dropout_seed;
    int check_input, check_params;
    const int32_t *labels;  /* batch class labels of a conditional model
                               (gan_model_forward_labeled), or NULL */
    /* Put every layer's state (batchnorm statistics, spectral
       normalisation's u) back as it was before each forward, so training
       forwards that update it evaluate one and the same function. */
    int restore_state;
    /* tu_assert_gradcheck: the largest |numeric| must exceed it, or the
       check is vacuous. */
    double min_numeric;
} tu_gradcheck_opts;

void tu_gradcheck_defaults(tu_gradcheck_opts *o);

typedef struct tu_gradcheck_result {
    size_t checked, failed, skipped;
    double max_numeric;     /* largest |numeric| seen (the check is not vacuous) */
    char worst[512];        /* description of the worst failure, "" if none */
} tu_gradcheck_result;

/* x holds batch * input elements.  Returns 0 when every point passes. */
int tu_gradcheck(gan_model *m, const float *x, const tu_gradcheck_opts *o,
                 tu_gradcheck_result *res);

/* Assert a model passes tu_gradcheck (Check assertion with the details,
   prefixed with name when it is not NULL).  TU_VERBOSE=1 prints a line per
   check with the number of points. */
void tu_assert_gradcheck(const char *name, gan_model *m, const float *x,
                         const tu_gradcheck_opts *o);

/* ---- gradient checks as a table ------------------------------------------------ */

/*
 * One gradient check: a row of a suite's table, run by tu_run_grad_case
 * from a Check loop test (tcase_add_loop_test over the table).  Rows use
 * designated initializers: the fields a row leaves out are 0 (unlabelled,
 * no warm-up, ...), except the tolerances, which every row states (the
 * runner refuses a row without them).  TU_GRAD_TOL spells out
 * tu_gradcheck_defaults' values.
 */
typedef struct tu_grad_case {
    const char *name;
    gan_model *(*build)(int arg); /* the model under test, parameters (and state) set */
    int arg;                    /* build's argument: a row of the suite's own table */
    size_t batch;
    gan_mode mode;
    uint64_t input_seed;        /* x ~ U[-1, 1) */
    int input_away;             /* instead |x| ~ U[0.1, 2) with random signs: inputs
                                   clear of the activations' kinks at 0 */
    int classes;                /* labelled forwards: labels ~ U{0..classes-1} */
    uint64_t label_seed;
    int warmup;                 /* training forwards on x before the check (spectral
                                   normalisation's u to its fixed point) */
    int restore_state;          /* see tu_gradcheck_opts */
    float eps;
    double rtol, atol;
    size_t max_checks;          /* points per tensor; 0: every point */
    double max_skip_frac;
    double min_numeric;
} tu_grad_case;

#define TU_GRAD_TOL                                                                        \
    .eps = 1e-2f, .rtol = 2e-3, .atol = 5e-4, .max_checks = 48, .max_skip_frac = 0.05,     \
    .min_numeric = 1e-3

/* A labelled row of a small class-conditional layer: every point, training
   mode, a step small enough to cross few leaky-ReLU kinks. */
#define TU_GRAD_LABELLED(batch_, classes_, label_seed_, input_seed_)                       \
    .batch = batch_, .mode = GAN_MODE_TRAIN, .input_seed = input_seed_,                    \
    .classes = classes_, .label_seed = label_seed_, .eps = 1e-3f, .rtol = 2e-3,            \
    .atol = 5e-4, .max_checks = 0, .max_skip_frac = 0.05, .min_numeric = 1e-3

void tu_run_grad_case(const tu_grad_case *c);

/* Assert that st == expect and that gan_last_error() is non-empty and
   contains every one of the given substrings (case-sensitive). */
void tu_assert_error_at(const char *file, int line, gan_status st, gan_status expect, ...);
#define TU_ASSERT_ERROR(st, expect, ...) \
    tu_assert_error_at(__FILE__, __LINE__, (st), (expect), __VA_ARGS__, (const char *)NULL)
/* The same without substrings: the status and a non-empty message. */
#define TU_ASSERT_FAILS(st, expect) \
    tu_assert_error_at(__FILE__, __LINE__, (st), (expect), (const char *)NULL)

#endif /* GAN_TEST_UTIL_H */
