/* safetensors files: the standard format (https://huggingface.co/docs/safetensors).
 *
 *   u64 little-endian N | N bytes of JSON header, space-padded | raw little-endian data
 *
 * The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
 * (offsets relative to the data start) plus an optional "__metadata__" object of
 * string -> string. Internal to the core; the checkpoint code and the tests use it. */
#ifndef FG_CORE_IO_SAFETENSORS_H
#define FG_CORE_IO_SAFETENSORS_H

#include <forgather/fg_abi.h>
#include <forgather/fg_types.h>
#include <stddef.h>
#include <stdint.h>

/* One tensor to write. `data` holds numel * element size bytes, little-endian, row-major;
 * it may be NULL when the tensor is empty. ndim 0 is a scalar (one element). */
typedef struct fg_st_entry {
    const char *name;
    int32_t dtype; /* FG_DTYPE_* */
    int32_t ndim;
    const int64_t *shape;
    const void *data;
} fg_st_entry;

/* The safetensors name of a dtype ("F32", "BF16", "I32", "F64"), NULL if unknown. */
const char *fg_st_dtype_name(int32_t dtype);

/* Writes the tensors in the order given, contiguous, with the metadata pairs, atomically:
 * a temporary file in the same directory is written, flushed, fsynced and renamed over
 * `path`, then the directory is fsynced. On error `path` is untouched and the temporary
 * removed. Duplicate or empty names, unknown dtypes, negative dims are FG_E_INVALID_ARG;
 * file errors are FG_E_IO naming the path and the system's reason. */
fg_status fg_safetensors_write(const char *path, const fg_st_entry *entries, size_t n,
                               const char *const *meta_keys, const char *const *meta_values,
                               size_t n_meta, fg_error *err);

/* A file read into memory and validated. */
typedef struct fg_st_file fg_st_file;

/* Reads and validates the whole file: header length against the file size, the JSON
 * (an object of tensor objects, each with exactly dtype/shape/data_offsets, plus an
 * optional __metadata__ of strings), dtypes, shapes, offsets (in range, consistent with
 * shape * element size, contiguous, covering the data exactly), unique names. Any
 * problem is an error naming the path and the problem: FG_E_IO when the file cannot be
 * read, FG_E_PARSE when it is malformed, FG_E_UNSUPPORTED for a dtype other than
 * F32/BF16/I32/F64. */
fg_status fg_safetensors_read(const char *path, fg_st_file **out, fg_error *err);

/* The same from a buffer holding a whole file (copied; the caller keeps `buf`). `what`
 * names the source in error messages (NULL: "safetensors buffer"). */
fg_status fg_safetensors_parse(const void *buf, size_t len, const char *what, fg_st_file **out,
                               fg_error *err);

void fg_safetensors_close(fg_st_file *f);

/* Accessors; entries are in header order. i must be < fg_st_count(f). */
size_t fg_st_count(const fg_st_file *f);
const char *fg_st_name(const fg_st_file *f, size_t i);
int32_t fg_st_dtype(const fg_st_file *f, size_t i);
int32_t fg_st_ndim(const fg_st_file *f, size_t i);
const int64_t *fg_st_shape(const fg_st_file *f, size_t i);
int64_t fg_st_numel(const fg_st_file *f, size_t i);
/* The tensor's bytes, aligned for its element type; *nbytes (if not NULL) gets their count. */
const void *fg_st_data(const fg_st_file *f, size_t i, size_t *nbytes);
/* Index of the tensor called `name`, or -1. */
int64_t fg_st_find(const fg_st_file *f, const char *name);

/* Metadata pairs, in header order. */
size_t fg_st_meta_count(const fg_st_file *f);
const char *fg_st_meta_key(const fg_st_file *f, size_t i);
const char *fg_st_meta_value(const fg_st_file *f, size_t i);
/* Value of metadata `key`, or NULL. */
const char *fg_st_meta_get(const fg_st_file *f, const char *key);

#endif
