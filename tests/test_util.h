/*
 * test_util.h -- helpers shared by the Check suites: seeded fills, error
 * measures, model shape shortcuts and a finite-difference gradient checker
 * that drives a gan_model through the public API only.
 */
#ifndef GAN_TEST_UTIL_H
#define GAN_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "gan.h"

/* A tiny seeded generator of the tests' own (independent of libgan's). */
typedef struct tu_rng {
    uint64_t s;
} tu_rng;

void tu_rng_seed(tu_rng *r, uint64_t seed);
uint64_t tu_rng_next(tu_rng *r);
double tu_rng_uniform(tu_rng *r); /* [0, 1) */

/* x[i] ~ U[lo, hi), reproducible from seed. */
void tu_fill(float *x, size_t n, uint64_t seed, float lo, float hi);
/* |x[i]| ~ U[lo, hi) with a random sign: keeps values away from 0 (kinks). */
void tu_fill_away(float *x, size_t n, uint64_t seed, float lo, float hi);

/* calloc that fails the running Check test instead of returning NULL. */
float *tu_alloc(size_t n);

/* max_i |a-b| / max(|a|, |b|, floor): a relative error that tolerates zeros. */
double tu_max_rel_err(const float *a, const float *b, size_t n, double floor);
/* max_i |a[i]| */
double tu_max_abs(const float *a, size_t n);

/* Elements per sample of the model's input and output; the layer count. */
size_t tu_in_elems(const gan_model *m);
size_t tu_out_elems(const gan_model *m);
size_t tu_layers(const gan_model *m);
/* Parameter count of one layer. */
size_t tu_layer_params(const gan_model *m, size_t layer);

/* A model from an input shape (ndim 1 or 3); fails the test on error. */
gan_model *tu_model(size_t ndim, int d0, int d1, int d2);
/* Fill every parameter of every layer from seed (U[-scale, scale)), through
   gan_model_set_params; batchnorm gamma/beta too. */
void tu_randomize_params(gan_model *m, uint64_t seed, float scale);

/* sum_i y[i] * r[i] in double. */
double tu_dot(const float *y, const float *r, size_t n);

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
 * crossed) and the point is skipped; at most max_skip_frac of the points may
 * be skipped.  gan_model_set_seed(dropout_seed) precedes every forward, so
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

/* Assert a model passes tu_gradcheck (Check assertion with the details). */
void tu_assert_gradcheck(gan_model *m, const float *x, const tu_gradcheck_opts *o);

/* Assert that st == expect and that gan_last_error() is non-empty and
   contains every one of the given substrings (case-sensitive). */
void tu_assert_error_at(const char *file, int line, gan_status st, gan_status expect, ...);
#define TU_ASSERT_ERROR(st, expect, ...) \
    tu_assert_error_at(__FILE__, __LINE__, (st), (expect), __VA_ARGS__, (const char *)NULL)

#endif /* GAN_TEST_UTIL_H */
