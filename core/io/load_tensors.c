/* Filling parameters from a safetensors file by name (resume, loading a trained model). */
#include "io/load_tensors.h"

#include "io/safetensors.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <string.h>

fg_status fg_load_tensors(const char *path, uint64_t n, fg_tensor *const *tensors, fg_error *err) {
    fg_st_file *f = NULL;
    fg_status st = fg_safetensors_read(path, &f, err);
    if (st != FG_OK) return st;
    char want[96], got[96];
    for (uint64_t i = 0; i < n && st == FG_OK; i++) {
        fg_tensor *t = tensors[i];
        int64_t k = fg_st_find(f, t->name);
        if (k < 0) {
            st = fg_error_set(err, FG_E_NOT_FOUND, "%s: has no tensor '%s' (the config wants it %s)", path,
                              t->name, fg_shape_str(t, want, sizeof want));
            break;
        }
        fg_tensor saved = {.ndim = fg_st_ndim(f, (size_t)k)};
        memcpy(saved.shape, fg_st_shape(f, (size_t)k), (size_t)saved.ndim * sizeof(int64_t));
        int same = fg_st_dtype(f, (size_t)k) == t->dtype && saved.ndim == t->ndim &&
                   memcmp(saved.shape, t->shape, (size_t)t->ndim * sizeof(int64_t)) == 0;
        if (!same) {
            st = fg_error_set(err, FG_E_TYPE, "%s: tensor '%s' is %s %s, the config wants %s %s", path, t->name,
                              fg_dtype_name(fg_st_dtype(f, (size_t)k)), fg_shape_str(&saved, got, sizeof got),
                              fg_dtype_name(t->dtype), fg_shape_str(t, want, sizeof want));
            break;
        }
        size_t nbytes = 0;
        const void *data = fg_st_data(f, (size_t)k, &nbytes);
        memcpy(t->data, data, nbytes);
    }
    if (st == FG_OK && fg_st_count(f) != n) {
        /* Every tensor of the config was found, so the file has more: name one. */
        for (size_t k = 0; k < fg_st_count(f); k++) {
            int known = 0;
            for (uint64_t i = 0; i < n && !known; i++) known = strcmp(tensors[i]->name, fg_st_name(f, k)) == 0;
            if (!known) {
                st = fg_error_set(err, FG_E_INVALID_ARG, "%s: tensor '%s' is not part of the configured model",
                                  path, fg_st_name(f, k));
                break;
            }
        }
    }
    fg_safetensors_close(f);
    return st;
}
