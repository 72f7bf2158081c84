#include "tensor/tensor.h"

#include <stdio.h>

size_t fg_dtype_size(int32_t dtype) {
    switch (dtype) {
    case FG_DTYPE_F32: return 4;
    case FG_DTYPE_BF16: return 2;
    case FG_DTYPE_I32: return 4;
    case FG_DTYPE_F64: return 8;
    case FG_DTYPE_I64: return 8;
    default: return 0;
    }
}

const char *fg_dtype_name(int32_t dtype) {
    switch (dtype) {
    case FG_DTYPE_F32: return "F32";
    case FG_DTYPE_BF16: return "BF16";
    case FG_DTYPE_I32: return "I32";
    case FG_DTYPE_F64: return "F64";
    case FG_DTYPE_I64: return "I64";
    default: return "?";
    }
}

int fg_tensor_set_shape(fg_tensor *t, int32_t ndim, const int64_t *shape) {
    if (ndim < 0 || ndim > FG_MAX_DIMS) return -1;
    int64_t numel = 1;
    for (int32_t i = 0; i < ndim; i++) {
        if (shape[i] < 0 || (shape[i] > 0 && numel > INT64_MAX / shape[i])) return -1;
        t->shape[i] = shape[i];
        numel *= shape[i];
    }
    for (int32_t i = ndim; i < FG_MAX_DIMS; i++) t->shape[i] = 1;
    t->ndim = ndim;
    t->numel = numel;
    return 0;
}

const char *fg_shape_str(const fg_tensor *t, char *buf, size_t cap) {
    size_t at = 0;
    at += (size_t)snprintf(buf, cap, "[");
    for (int32_t i = 0; i < t->ndim && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, i ? ", %lld" : "%lld", (long long)t->shape[i]);
    if (at < cap) snprintf(buf + at, cap - at, "]");
    return buf;
}
