/* The tensor: a contiguous row-major array with an optional gradient. Parameters are
 * long-lived (allocated once, named); activations live in a graph's arena. */
#ifndef FG_CORE_TENSOR_H
#define FG_CORE_TENSOR_H

#include <forgather/fg_types.h>
#include <stddef.h>

#define FG_T_PARAM 1u      /* a trainable parameter: gradient persists across steps */
#define FG_T_NEEDS_GRAD 2u /* some parameter influences it: backward reaches it */

struct fg_tensor {
    int32_t dtype;
    int32_t ndim;
    int64_t shape[FG_MAX_DIMS];
    int64_t numel;
    void *data;
    float *grad; /* fp32, same numel; NULL until backward needs it (or for parameters, always) */
    uint32_t flags;
    const char *name; /* parameters: dotted name */
};

size_t fg_dtype_size(int32_t dtype); /* 0 for an unknown dtype */
const char *fg_dtype_name(int32_t dtype);
/* Fills shape/ndim/numel; returns 0 on success, -1 on a bad rank or dimension. */
int fg_tensor_set_shape(fg_tensor *t, int32_t ndim, const int64_t *shape);
/* "[2, 3, 4]" into buf. */
const char *fg_shape_str(const fg_tensor *t, char *buf, size_t cap);
static inline float *fg_f32(const fg_tensor *t) { return (float *)t->data; }

#endif
