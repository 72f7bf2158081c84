#define _POSIX_C_SOURCE 200809L
#include "io/state.h"

#include "io/safetensors.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct state_entry {
    char *name;
    int32_t dtype, ndim;
    int64_t shape[FG_MAX_DIMS];
    void *data;
} state_entry;

struct fg_state {
    state_entry *entries; /* writer */
    size_t n, cap;
    fg_st_file *file;     /* reader */
    char *path;
};

fg_status fg_state_new_writer(fg_state **out, fg_error *err) {
    *out = calloc(1, sizeof **out);
    return *out ? FG_OK : fg_error_set(err, FG_E_NOMEM, "state: out of memory");
}

fg_status fg_state_open_reader(const char *path, fg_state **out, fg_error *err) {
    fg_state *st = calloc(1, sizeof *st);
    if (st == NULL || (st->path = strdup(path)) == NULL) {
        free(st);
        return fg_error_set(err, FG_E_NOMEM, "state: out of memory");
    }
    fg_status s = fg_safetensors_read(path, &st->file, err);
    if (s != FG_OK) {
        fg_state_free(st);
        return s;
    }
    *out = st;
    return FG_OK;
}

void fg_state_free(fg_state *st) {
    if (st == NULL) return;
    for (size_t i = 0; i < st->n; i++) {
        free(st->entries[i].name);
        free(st->entries[i].data);
    }
    free(st->entries);
    if (st->file) fg_safetensors_close(st->file);
    free(st->path);
    free(st);
}

static int64_t numel_of(int32_t ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int32_t d = 0; d < ndim; d++) n *= shape[d];
    return n;
}

/* "<param name>.<name>" (or name) into buf; NULL when it does not fit. */
static const char *entry_name(char *buf, size_t cap, const fg_tensor *param, const char *name) {
    if (param == NULL || name == NULL) return name;
    int n = snprintf(buf, cap, "%s.%s", param->name ? param->name : "", name);
    return (n < 0 || (size_t)n >= cap) ? NULL : buf;
}

static fg_status put(fg_state *st, const char *name, int32_t dtype, int32_t ndim, const int64_t *shape,
                     const void *data, fg_error *err) {
    if (name == NULL || name[0] == '\0' || ndim < 0 || ndim > FG_MAX_DIMS || fg_dtype_size(dtype) == 0)
        return fg_error_set(err, FG_E_INVALID_ARG, "state_array '%s': bad name, rank or dtype", name ? name : "");
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->entries[i].name, name) == 0)
            return fg_error_set(err, FG_E_INVALID_ARG, "state_array: '%s' is saved twice", name);
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 32;
        state_entry *grown = realloc(st->entries, cap * sizeof *grown);
        if (grown == NULL) return fg_error_set(err, FG_E_NOMEM, "state: out of memory");
        st->entries = grown;
        st->cap = cap;
    }
    state_entry *e = &st->entries[st->n];
    memset(e, 0, sizeof *e);
    size_t bytes = (size_t)numel_of(ndim, shape) * fg_dtype_size(dtype);
    e->name = strdup(name);
    e->data = malloc(bytes ? bytes : 1);
    if (e->name == NULL || e->data == NULL) {
        free(e->name);
        free(e->data);
        return fg_error_set(err, FG_E_NOMEM, "state: out of memory for '%s'", name);
    }
    if (bytes) memcpy(e->data, data, bytes);
    e->dtype = dtype;
    e->ndim = ndim;
    memcpy(e->shape, shape, (size_t)ndim * sizeof *shape);
    st->n++;
    return FG_OK;
}

fg_status fg_state_write(const fg_state *st, const char *path, fg_error *err) {
    fg_st_entry *entries = calloc(st->n ? st->n : 1, sizeof *entries);
    if (entries == NULL) return fg_error_set(err, FG_E_NOMEM, "state: out of memory");
    for (size_t i = 0; i < st->n; i++)
        entries[i] = (fg_st_entry){st->entries[i].name, st->entries[i].dtype, st->entries[i].ndim,
                                   st->entries[i].shape, st->entries[i].data};
    fg_status s = fg_safetensors_write(path, entries, st->n, NULL, NULL, 0, err);
    free(entries);
    return s;
}

static fg_status get(fg_state *st, const char *name, int32_t dtype, int32_t ndim, const int64_t *shape,
                     void *data, fg_error *err) {
    int64_t i = fg_st_find(st->file, name);
    if (i < 0) return fg_error_set(err, FG_E_NOT_FOUND, "%s: no saved state '%s'", st->path, name);
    int32_t got_ndim = fg_st_ndim(st->file, (size_t)i);
    const int64_t *got_shape = fg_st_shape(st->file, (size_t)i);
    int same = fg_st_dtype(st->file, (size_t)i) == dtype && got_ndim == ndim;
    for (int32_t d = 0; same && d < ndim; d++) same = got_shape[d] == shape[d];
    if (!same)
        return fg_error_set(err, FG_E_TYPE, "%s: saved state '%s' is %s with %d dims, expected %s with %d dims "
                            "(was the checkpoint made with another config?)",
                            st->path, name, fg_dtype_name(fg_st_dtype(st->file, (size_t)i)), (int)got_ndim,
                            fg_dtype_name(dtype), (int)ndim);
    size_t nbytes = 0;
    const void *src = fg_st_data(st->file, (size_t)i, &nbytes);
    if (nbytes) memcpy(data, src, nbytes);
    return FG_OK;
}

fg_status fg_state_array(fg_state *st, const fg_tensor *param, const char *short_name, int32_t dtype,
                         int32_t ndim, const int64_t *shape, void *data, fg_error *err) {
    if (st == NULL || short_name == NULL)
        return fg_error_set(err, FG_E_INVALID_ARG, "state_array: no state or no name");
    char buf[1024];
    const char *name = entry_name(buf, sizeof buf, param, short_name);
    if (name == NULL) return fg_error_set(err, FG_E_RANGE, "state_array '%s': name too long", short_name);
    return st->file != NULL ? get(st, name, dtype, ndim, shape, data, err)
                            : put(st, name, dtype, ndim, shape, data, err);
}
