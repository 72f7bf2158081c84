/* safetensors writer (atomic) and validating reader. See safetensors.h. */
#define _POSIX_C_SOURCE 200809L

#include "tensor/tensor.h"
#include "util/error.h"
#include "io/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c writes host-order data: it needs a little-endian host"
#endif

/* Integers must survive cJSON's double representation and be printed without an
 * exponent (cJSON prints "%1.15g"), so sizes, dims and offsets stay below 10^15. */
#define ST_MAX_INT 999999999999999.0
#define ST_MAX_HEADER (100u * 1000u * 1000u) /* as the reference implementation */
#define ST_MAX_NDIM 64

static const char *const st_dtype_names[] = {"F32", "BF16", "I32", "F64", "I64"};

const char *fg_st_dtype_name(int32_t dtype) {
    return fg_dtype_size(dtype) ? st_dtype_names[dtype] : NULL;
}

static bool utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned min;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { len = 2; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; min = 0x10000; }
        else return false;
        if (n - i < len) return false;
        unsigned cp = c & (0x7Fu >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

static int cmp_str_ptr(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first name that occurs twice, or NULL. */
static const char *find_duplicate(const char **names, size_t n) {
    qsort(names, n, sizeof *names, cmp_str_ptr);
    for (size_t i = 1; i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0) return names[i];
    return NULL;
}

/* numel * esize without overflow, below ST_MAX_INT. */
static bool tensor_bytes(const int64_t *shape, int32_t ndim, size_t esize, uint64_t *out) {
    uint64_t n = 1;
    bool zero = false;
    for (int32_t d = 0; d < ndim; d++) {
        if (shape[d] < 0 || (double)shape[d] > ST_MAX_INT) return false;
        if (shape[d] == 0) zero = true;
        else if (!zero && n > (uint64_t)ST_MAX_INT / (uint64_t)shape[d]) return false;
        else if (!zero) n *= (uint64_t)shape[d];
    }
    if (zero) n = 0;
    if (n > (uint64_t)ST_MAX_INT / esize) return false;
    *out = n * esize;
    return true;
}

/* ------------------------------------------------------------------------------------ */
/* Writer                                                                               */
/* ------------------------------------------------------------------------------------ */

static fg_status check_entries(const char *path, const fg_st_entry *e, size_t n, uint64_t *nbytes,
                               fg_error *err) {
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = e[i].name;
        if (name == NULL || name[0] == '\0')
            return fg_error_set(err, FG_E_INVALID_ARG, "%s: tensor %zu has no name", path, i);
        if (!utf8_valid((const unsigned char *)name, strlen(name)))
            return fg_error_set(err, FG_E_INVALID_ARG, "%s: tensor %zu: name is not UTF-8", path, i);
        if (strcmp(name, "__metadata__") == 0)
            return fg_error_set(err, FG_E_INVALID_ARG, "%s: '__metadata__' is reserved", path);
        size_t es = fg_dtype_size(e[i].dtype);
        if (es == 0)
            return fg_error_set(err, FG_E_INVALID_ARG, "%s: tensor '%.200s': unknown dtype %d", path,
                           name, (int)e[i].dtype);
        if (e[i].ndim < 0 || e[i].ndim > ST_MAX_NDIM || (e[i].ndim > 0 && e[i].shape == NULL))
            return fg_error_set(err, FG_E_INVALID_ARG, "%s: tensor '%.200s': bad ndim %d", path,
                           name, (int)e[i].ndim);
        if (!tensor_bytes(e[i].shape, e[i].ndim, es, &nbytes[i]) ||
            total + nbytes[i] > (uint64_t)ST_MAX_INT)
            return fg_error_set(err, FG_E_INVALID_ARG,
                           "%s: tensor '%.200s': negative or too large shape", path, name);
        if (nbytes[i] > 0 && e[i].data == NULL)
            return fg_error_set(err, FG_E_INVALID_ARG, "%s: tensor '%.200s': no data", path, name);
        total += nbytes[i];
    }
    return FG_OK;
}

static fg_status check_names(const char *path, const fg_st_entry *e, size_t n, const char *const *mk,
                             const char *const *mv, size_t n_meta, fg_error *err) {
    size_t m = n > n_meta ? n : n_meta;
    const char **names = malloc((m ? m : 1) * sizeof *names);
    if (names == NULL) return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++) names[i] = e[i].name;
    const char *dup = find_duplicate(names, n);
    fg_status st = FG_OK;
    if (dup != NULL) {
        st = fg_error_set(err, FG_E_INVALID_ARG, "%s: duplicate tensor name '%.200s'", path, dup);
        goto done;
    }
    for (size_t i = 0; i < n_meta; i++) {
        if (mk[i] == NULL || mv[i] == NULL) {
            st = fg_error_set(err, FG_E_INVALID_ARG, "%s: metadata pair %zu is NULL", path, i);
            goto done;
        }
        if (!utf8_valid((const unsigned char *)mk[i], strlen(mk[i])) ||
            !utf8_valid((const unsigned char *)mv[i], strlen(mv[i]))) {
            st = fg_error_set(err, FG_E_INVALID_ARG, "%s: metadata '%.200s' is not UTF-8", path,
                         mk[i]);
            goto done;
        }
        names[i] = mk[i];
    }
    dup = find_duplicate(names, n_meta);
    if (dup != NULL)
        st = fg_error_set(err, FG_E_INVALID_ARG, "%s: duplicate metadata key '%.200s'", path, dup);
done:
    free(names);
    return st;
}

static char *build_header(const fg_st_entry *e, size_t n, const uint64_t *nbytes,
                          const char *const *mk, const char *const *mv, size_t n_meta) {
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL;
    if (ok && n_meta > 0) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        ok = meta != NULL;
        for (size_t i = 0; ok && i < n_meta; i++)
            ok = cJSON_AddStringToObject(meta, mk[i], mv[i]) != NULL;
    }
    uint64_t off = 0;
    for (size_t i = 0; ok && i < n; i++) {
        cJSON *t = cJSON_AddObjectToObject(root, e[i].name);
        cJSON *shape = t ? cJSON_CreateArray() : NULL;
        ok = t != NULL && shape != NULL &&
             cJSON_AddStringToObject(t, "dtype", fg_st_dtype_name(e[i].dtype)) != NULL;
        if (shape != NULL && !(ok && cJSON_AddItemToObject(t, "shape", shape))) {
            cJSON_Delete(shape);
            ok = false;
        }
        for (int32_t d = 0; ok && d < e[i].ndim; d++) {
            cJSON *v = cJSON_CreateNumber((double)e[i].shape[d]);
            ok = v != NULL && cJSON_AddItemToArray(shape, v);
            if (!ok) cJSON_Delete(v);
        }
        cJSON *offs = ok ? cJSON_AddArrayToObject(t, "data_offsets") : NULL;
        ok = offs != NULL;
        for (int k = 0; ok && k < 2; k++) {
            cJSON *v = cJSON_CreateNumber((double)(k == 0 ? off : off + nbytes[i]));
            ok = v != NULL && cJSON_AddItemToArray(offs, v);
            if (!ok) cJSON_Delete(v);
        }
        off += nbytes[i];
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

static atomic_uint st_tmp_counter;

/* Directory part of path ("." when none), in buf. */
static void dir_of(const char *path, char *buf, size_t size) {
    const char *slash = strrchr(path, '/');
    if (slash == NULL) snprintf(buf, size, ".");
    else if (slash == path) snprintf(buf, size, "/");
    else snprintf(buf, size, "%.*s", (int)(slash - path), path);
}

static fg_status write_file(const char *path, const char *header, const fg_st_entry *e,
                            size_t n, const uint64_t *nbytes, fg_error *err) {
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 64);
    if (tmp == NULL) return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", path);
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, plen + 64, "%s.tmp-%ld-%u", path, (long)getpid(),
                 atomic_fetch_add(&st_tmp_counter, 1u));
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        fg_status st = fg_error_set(err, FG_E_IO, "%s: cannot create temporary file %s: %s", path,
                               tmp, strerror(errno));
        free(tmp);
        return st;
    }
    FILE *f = fdopen(fd, "wb");
    const char *what = "write";
    int eno = 0;
    if (f == NULL) {
        eno = errno;
        close(fd);
        goto fail;
    }
    size_t hlen = strlen(header), padded = (hlen + 7) & ~(size_t)7;
    unsigned char len8[8];
    for (int k = 0; k < 8; k++) len8[k] = (unsigned char)((uint64_t)padded >> (8 * k));
    bool ok = fwrite(len8, 1, 8, f) == 8 && fwrite(header, 1, hlen, f) == hlen;
    for (size_t k = hlen; ok && k < padded; k++) ok = fputc(' ', f) != EOF;
    for (size_t i = 0; ok && i < n; i++)
        ok = nbytes[i] == 0 || fwrite(e[i].data, 1, (size_t)nbytes[i], f) == nbytes[i];
    if (ok && fflush(f) != 0) ok = false;
    if (!ok) eno = errno;
    if (ok && fsync(fd) != 0) {
        eno = errno;
        what = "fsync";
        ok = false;
    }
    if (fclose(f) != 0 && ok) {
        eno = errno;
        what = "close";
        ok = false;
    }
    if (!ok) goto fail;
    if (rename(tmp, path) != 0) {
        eno = errno;
        what = "rename temporary file onto";
        goto fail;
    }
    free(tmp);
    char dir[4096];
    dir_of(path, dir, sizeof dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || (fsync(dfd) != 0 && errno != EINVAL)) {
        eno = errno;
        if (dfd >= 0) close(dfd);
        return fg_error_set(err, FG_E_IO, "%s: cannot fsync directory %s: %s", path, dir,
                       strerror(eno));
    }
    close(dfd);
    return FG_OK;
fail:
    unlink(tmp);
    free(tmp);
    return fg_error_set(err, FG_E_IO, "%s: cannot %s: %s", path, what,
                   eno ? strerror(eno) : "write error");
}

fg_status fg_safetensors_write(const char *path, const fg_st_entry *entries, size_t n,
                               const char *const *meta_keys, const char *const *meta_values,
                               size_t n_meta, fg_error *err) {
    if (path == NULL || path[0] == '\0' || (n > 0 && entries == NULL) ||
        (n_meta > 0 && (meta_keys == NULL || meta_values == NULL)))
        return fg_error_set(err, FG_E_INVALID_ARG, "safetensors write: invalid arguments");
    uint64_t *nbytes = malloc((n ? n : 1) * sizeof *nbytes);
    if (nbytes == NULL) return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", path);
    fg_status st = check_entries(path, entries, n, nbytes, err);
    if (st == FG_OK) st = check_names(path, entries, n, meta_keys, meta_values, n_meta, err);
    if (st != FG_OK) {
        free(nbytes);
        return st;
    }
    char *header = build_header(entries, n, nbytes, meta_keys, meta_values, n_meta);
    if (header == NULL) {
        free(nbytes);
        return fg_error_set(err, FG_E_NOMEM, "%s: out of memory building the header", path);
    }
    st = write_file(path, header, entries, n, nbytes, err);
    cJSON_free(header);
    free(nbytes);
    return st;
}

/* ------------------------------------------------------------------------------------ */
/* Reader                                                                               */
/* ------------------------------------------------------------------------------------ */

typedef struct st_tensor {
    char *name;
    int32_t dtype;
    int32_t ndim;
    int64_t *shape;
    int64_t numel;
    uint64_t begin, end;
    const unsigned char *data;
    unsigned char *own; /* an aligned copy when begin is not a multiple of the element size */
} st_tensor;

struct fg_st_file {
    size_t n;
    st_tensor *t;
    size_t *by_name; /* indices sorted by name */
    size_t n_meta;
    char **meta_k, **meta_v;
    unsigned char *data;
    size_t data_len;
};

void fg_safetensors_close(fg_st_file *f) {
    if (f == NULL) return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->t[i].name);
        free(f->t[i].shape);
        free(f->t[i].own);
    }
    for (size_t i = 0; i < f->n_meta; i++) {
        free(f->meta_k[i]);
        free(f->meta_v[i]);
    }
    free(f->t);
    free(f->by_name);
    free(f->meta_k);
    free(f->meta_v);
    free(f->data);
    free(f);
}

/* A JSON number that is a non-negative integer below ST_MAX_INT. */
static bool json_uint(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!(d >= 0.0 && d <= ST_MAX_INT)) return false;
    uint64_t u = (uint64_t)d;
    if ((double)u != d) return false;
    *out = u;
    return true;
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL) memcpy(d, s, n);
    return d;
}

/* Parse state: `what` names the source in messages. */
typedef struct st_ctx {
    const char *what;
    fg_error *err;
    fg_st_file *f;
} st_ctx;

#define BAD(c, ...) fg_error_set((c)->err, FG_E_PARSE, __VA_ARGS__)

static fg_status parse_meta(st_ctx *c, const cJSON *meta) {
    if (!cJSON_IsObject(meta))
        return BAD(c, "%s: corrupt safetensors header: __metadata__ is not an object", c->what);
    size_t n = 0;
    for (const cJSON *m = meta->child; m != NULL; m = m->next) n++;
    fg_st_file *f = c->f;
    f->meta_k = calloc(n ? n : 1, sizeof *f->meta_k);
    f->meta_v = calloc(n ? n : 1, sizeof *f->meta_v);
    if (f->meta_k == NULL || f->meta_v == NULL)
        return fg_error_set(c->err, FG_E_NOMEM, "%s: out of memory", c->what);
    for (const cJSON *m = meta->child; m != NULL; m = m->next) {
        if (!cJSON_IsString(m) || m->valuestring == NULL || m->string == NULL)
            return BAD(c, "%s: corrupt safetensors header: __metadata__ value '%.100s' is not "
                          "a string", c->what, m->string ? m->string : "");
        size_t i = f->n_meta;
        f->meta_k[i] = dup_str(m->string);
        f->meta_v[i] = dup_str(m->valuestring);
        if (f->meta_k[i] == NULL || f->meta_v[i] == NULL) {
            free(f->meta_k[i]);
            free(f->meta_v[i]);
            return fg_error_set(c->err, FG_E_NOMEM, "%s: out of memory", c->what);
        }
        f->n_meta++;
    }
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (keys == NULL) return fg_error_set(c->err, FG_E_NOMEM, "%s: out of memory", c->what);
    for (size_t i = 0; i < n; i++) keys[i] = f->meta_k[i];
    const char *dup = find_duplicate(keys, n);
    fg_status st = dup ? BAD(c, "%s: corrupt safetensors header: duplicate __metadata__ key "
                                "'%.200s'", c->what, dup)
                       : FG_OK;
    free(keys);
    return st;
}

static int32_t dtype_from_name(const char *s) {
    for (int32_t d = 0; d < (int32_t)(sizeof st_dtype_names / sizeof st_dtype_names[0]); d++)
        if (strcmp(s, st_dtype_names[d]) == 0) return d;
    return -1;
}

static fg_status parse_tensor(st_ctx *c, const cJSON *obj, st_tensor *t) {
    const char *nm = t->name;
    if (!cJSON_IsObject(obj))
        return BAD(c, "%s: corrupt safetensors header: tensor '%.200s' is not an object",
                   c->what, nm);
    const cJSON *dtype = NULL, *shape = NULL, *offs = NULL;
    for (const cJSON *k = obj->child; k != NULL; k = k->next) {
        const cJSON **slot = NULL;
        if (k->string != NULL && strcmp(k->string, "dtype") == 0) slot = &dtype;
        else if (k->string != NULL && strcmp(k->string, "shape") == 0) slot = &shape;
        else if (k->string != NULL && strcmp(k->string, "data_offsets") == 0) slot = &offs;
        if (slot == NULL || *slot != NULL)
            return BAD(c, "%s: corrupt safetensors header: tensor '%.200s': %s key '%.100s'",
                       c->what, nm, slot ? "duplicate" : "unknown",
                       k->string ? k->string : "");
        *slot = k;
    }
    if (dtype == NULL || shape == NULL || offs == NULL)
        return BAD(c, "%s: corrupt safetensors header: tensor '%.200s' lacks '%s'", c->what, nm,
                   dtype == NULL ? "dtype" : shape == NULL ? "shape" : "data_offsets");
    if (!cJSON_IsString(dtype) || dtype->valuestring == NULL)
        return BAD(c, "%s: corrupt safetensors header: tensor '%.200s': dtype is not a string",
                   c->what, nm);
    t->dtype = dtype_from_name(dtype->valuestring);
    if (t->dtype < 0)
        return fg_error_set(c->err, FG_E_UNSUPPORTED,
                       "%s: tensor '%.200s': dtype '%.40s' is not supported (F32, BF16, I32, "
                       "F64)", c->what, nm, dtype->valuestring);
    size_t es = fg_dtype_size(t->dtype);
    if (!cJSON_IsArray(shape))
        return BAD(c, "%s: corrupt safetensors header: tensor '%.200s': shape is not an array",
                   c->what, nm);
    int nd = 0;
    for (const cJSON *d = shape->child; d != NULL; d = d->next) nd++;
    if (nd > ST_MAX_NDIM)
        return BAD(c, "%s: corrupt safetensors header: tensor '%.200s': %d dimensions (at most "
                      "%d)", c->what, nm, nd, ST_MAX_NDIM);
    t->ndim = nd;
    t->shape = malloc((nd ? (size_t)nd : 1) * sizeof *t->shape);
    if (t->shape == NULL) return fg_error_set(c->err, FG_E_NOMEM, "%s: out of memory", c->what);
    int k = 0;
    for (const cJSON *d = shape->child; d != NULL; d = d->next, k++) {
        uint64_t v;
        if (!json_uint(d, &v))
            return BAD(c, "%s: corrupt safetensors header: tensor '%.200s': shape[%d] is not a "
                          "non-negative integer", c->what, nm, k);
        t->shape[k] = (int64_t)v;
    }
    uint64_t nbytes;
    if (!tensor_bytes(t->shape, t->ndim, es, &nbytes))
        return BAD(c, "%s: corrupt safetensors header: tensor '%.200s': shape too large",
                   c->what, nm);
    t->numel = (int64_t)(nbytes / es);
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
        !json_uint(offs->child, &t->begin) || !json_uint(offs->child->next, &t->end))
        return BAD(c, "%s: corrupt safetensors header: tensor '%.200s': data_offsets is not "
                      "[begin, end] of non-negative integers", c->what, nm);
    if (t->begin > t->end || t->end > c->f->data_len)
        return BAD(c, "%s: corrupt safetensors file: tensor '%.200s': data_offsets [%llu, %llu] "
                      "outside the %zu data bytes%s", c->what, nm,
                   (unsigned long long)t->begin, (unsigned long long)t->end, c->f->data_len,
                   t->begin <= t->end ? " (file truncated?)" : "");
    if (t->end - t->begin != nbytes)
        return BAD(c, "%s: corrupt safetensors header: tensor '%.200s': data_offsets span %llu "
                      "bytes but shape and dtype need %llu", c->what, nm,
                   (unsigned long long)(t->end - t->begin), (unsigned long long)nbytes);
    return FG_OK;
}

static int cmp_by_offset(const void *a, const void *b) {
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

static int cmp_by_name(const void *a, const void *b) {
    return strcmp((*(const st_tensor *const *)a)->name, (*(const st_tensor *const *)b)->name);
}

/* Names unique; tensors tile the data exactly (no overlap, no gap, nothing after). */
static fg_status check_layout(st_ctx *c) {
    fg_st_file *f = c->f;
    const st_tensor **order = malloc((f->n ? f->n : 1) * sizeof *order);
    f->by_name = malloc((f->n ? f->n : 1) * sizeof *f->by_name);
    if (order == NULL || f->by_name == NULL) {
        free(order);
        return fg_error_set(c->err, FG_E_NOMEM, "%s: out of memory", c->what);
    }
    for (size_t i = 0; i < f->n; i++) order[i] = &f->t[i];
    qsort(order, f->n, sizeof *order, cmp_by_name);
    for (size_t i = 0; i < f->n; i++) f->by_name[i] = (size_t)(order[i] - f->t);
    fg_status st = FG_OK;
    for (size_t i = 1; i < f->n && st == FG_OK; i++)
        if (strcmp(f->t[f->by_name[i - 1]].name, f->t[f->by_name[i]].name) == 0)
            st = BAD(c, "%s: corrupt safetensors header: duplicate tensor name '%.200s'",
                     c->what, f->t[f->by_name[i]].name);
    for (size_t i = 0; i < f->n; i++) order[i] = &f->t[i];
    qsort(order, f->n, sizeof *order, cmp_by_offset);
    uint64_t pos = 0;
    for (size_t i = 0; i < f->n && st == FG_OK; i++) {
        const st_tensor *t = order[i];
        if (t->begin != pos)
            st = BAD(c, "%s: corrupt safetensors header: tensor '%.200s' starts at data byte "
                        "%llu, %s the previous tensor's end %llu", c->what, t->name,
                     (unsigned long long)t->begin, t->begin < pos ? "overlapping" : "leaving a "
                     "gap after", (unsigned long long)pos);
        pos = t->end;
    }
    if (st == FG_OK && pos != f->data_len)
        st = BAD(c, "%s: corrupt safetensors file: %llu bytes after the last tensor's data",
                 c->what, (unsigned long long)(f->data_len - pos));
    free(order);
    return st;
}

static fg_status parse_root(st_ctx *c, const cJSON *root) {
    if (!cJSON_IsObject(root))
        return BAD(c, "%s: corrupt safetensors header: not a JSON object", c->what);
    fg_st_file *f = c->f;
    size_t n = 0;
    const cJSON *meta = NULL;
    for (const cJSON *e = root->child; e != NULL; e = e->next) {
        if (e->string != NULL && strcmp(e->string, "__metadata__") == 0) {
            if (meta != NULL)
                return BAD(c, "%s: corrupt safetensors header: two __metadata__", c->what);
            meta = e;
        } else {
            n++;
        }
    }
    if (meta != NULL) {
        fg_status st = parse_meta(c, meta);
        if (st != FG_OK) return st;
    }
    f->t = calloc(n ? n : 1, sizeof *f->t);
    if (f->t == NULL) return fg_error_set(c->err, FG_E_NOMEM, "%s: out of memory", c->what);
    for (const cJSON *e = root->child; e != NULL; e = e->next) {
        if (e == meta) continue;
        st_tensor *t = &f->t[f->n];
        t->name = dup_str(e->string ? e->string : "");
        if (t->name == NULL) return fg_error_set(c->err, FG_E_NOMEM, "%s: out of memory", c->what);
        f->n++;
        if (t->name[0] == '\0')
            return BAD(c, "%s: corrupt safetensors header: a tensor has an empty name", c->what);
        fg_status st = parse_tensor(c, e, t);
        if (st != FG_OK) return st;
    }
    return check_layout(c);
}

/* Points each tensor at its bytes, copying the ones whose offset is misaligned. */
static fg_status place_data(st_ctx *c) {
    fg_st_file *f = c->f;
    for (size_t i = 0; i < f->n; i++) {
        st_tensor *t = &f->t[i];
        size_t nb = (size_t)(t->end - t->begin);
        if (t->begin % fg_dtype_size(t->dtype) == 0) {
            t->data = f->data + t->begin;
            continue;
        }
        t->own = malloc(nb);
        if (t->own == NULL) return fg_error_set(c->err, FG_E_NOMEM, "%s: out of memory", c->what);
        memcpy(t->own, f->data + t->begin, nb);
        t->data = t->own;
    }
    return FG_OK;
}

/* Validates the header text; takes ownership of `data` (dlen bytes, malloc'd). */
static fg_status parse_parts(const char *what, const char *hdr, size_t hlen,
                             unsigned char *data, size_t dlen, fg_st_file **out,
                             fg_error *err) {
    fg_st_file *f = calloc(1, sizeof *f);
    if (f == NULL) {
        free(data);
        return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", what);
    }
    f->data = data;
    f->data_len = dlen;
    st_ctx c = {what, err, f};
    fg_status st = FG_OK;
    if (memchr(hdr, '\0', hlen) != NULL)
        st = BAD(&c, "%s: corrupt safetensors header: contains a NUL byte", what);
    else if (!utf8_valid((const unsigned char *)hdr, hlen))
        st = BAD(&c, "%s: corrupt safetensors header: not valid UTF-8", what);
    cJSON *root = NULL;
    if (st == FG_OK) {
        const char *end = NULL;
        root = cJSON_ParseWithLengthOpts(hdr, hlen, &end, 0);
        size_t at = end != NULL && end >= hdr ? (size_t)(end - hdr) : 0;
        if (root == NULL) {
            st = BAD(&c, "%s: corrupt safetensors header: invalid JSON near byte %zu of %zu",
                     what, at, hlen);
        } else {
            for (size_t k = at; k < hlen && st == FG_OK; k++)
                if (!strchr(" \t\r\n", hdr[k]))
                    st = BAD(&c, "%s: corrupt safetensors header: text after the JSON object "
                                 "at byte %zu", what, k);
        }
    }
    if (st == FG_OK) st = parse_root(&c, root);
    if (st == FG_OK) st = place_data(&c);
    cJSON_Delete(root);
    if (st != FG_OK) {
        fg_safetensors_close(f);
        return st;
    }
    *out = f;
    return FG_OK;
}

/* Checks the 8-byte header length against what follows it. */
static fg_status check_hlen(const char *what, const unsigned char *len8, uint64_t avail,
                            uint64_t *hlen, fg_error *err) {
    uint64_t n = 0;
    for (int k = 7; k >= 0; k--) n = (n << 8) | len8[k];
    if (n > avail)
        return fg_error_set(err, FG_E_PARSE, "%s: corrupt safetensors file: header length %llu "
                       "exceeds the %llu bytes that follow it (file truncated?)", what,
                       (unsigned long long)n, (unsigned long long)avail);
    if (n > ST_MAX_HEADER)
        return fg_error_set(err, FG_E_PARSE, "%s: corrupt safetensors file: header length %llu is "
                       "over the limit of %u", what, (unsigned long long)n, ST_MAX_HEADER);
    if (n < 2)
        return fg_error_set(err, FG_E_PARSE, "%s: corrupt safetensors file: header length %llu is "
                       "too small", what, (unsigned long long)n);
    *hlen = n;
    return FG_OK;
}

fg_status fg_safetensors_parse(const void *buf, size_t len, const char *what, fg_st_file **out,
                               fg_error *err) {
    if (what == NULL) what = "safetensors buffer";
    if (out == NULL || (buf == NULL && len > 0))
        return fg_error_set(err, FG_E_INVALID_ARG, "%s: invalid arguments", what);
    *out = NULL;
    const unsigned char *b = buf;
    if (len < 8)
        return fg_error_set(err, FG_E_PARSE, "%s: truncated safetensors file: %zu bytes, less than "
                       "the 8-byte header length", what, len);
    uint64_t hlen;
    fg_status st = check_hlen(what, b, len - 8, &hlen, err);
    if (st != FG_OK) return st;
    size_t dlen = len - 8 - (size_t)hlen;
    unsigned char *data = malloc(dlen ? dlen : 1);
    if (data == NULL) return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", what);
    if (dlen) memcpy(data, b + 8 + hlen, dlen);
    return parse_parts(what, (const char *)b + 8, (size_t)hlen, data, dlen, out, err);
}

fg_status fg_safetensors_read(const char *path, fg_st_file **out, fg_error *err) {
    if (path == NULL || out == NULL)
        return fg_error_set(err, FG_E_INVALID_ARG, "safetensors read: invalid arguments");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) return fg_error_set(err, FG_E_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        int eno = errno;
        fclose(f);
        return fg_error_set(err, FG_E_IO, "%s: cannot read: %s", path, strerror(eno));
    }
    if (!S_ISREG(sb.st_mode)) {
        fclose(f);
        return fg_error_set(err, FG_E_IO, "%s: cannot read: %s", path,
                       S_ISDIR(sb.st_mode) ? "is a directory" : "not a regular file");
    }
    uint64_t size = (uint64_t)sb.st_size, hlen = 0;
    unsigned char len8[8];
    fg_status st = FG_OK;
    if (size < 8)
        st = fg_error_set(err, FG_E_PARSE, "%s: truncated safetensors file: %llu bytes, less than "
                     "the 8-byte header length", path, (unsigned long long)size);
    else if (fread(len8, 1, 8, f) != 8)
        st = fg_error_set(err, FG_E_IO, "%s: read error: %s", path, strerror(errno));
    else
        st = check_hlen(path, len8, size - 8, &hlen, err);
    if (st != FG_OK || size - 8 - hlen > SIZE_MAX) {
        fclose(f);
        return st != FG_OK ? st : fg_error_set(err, FG_E_NOMEM, "%s: too large", path);
    }
    size_t dlen = (size_t)(size - 8 - hlen);
    char *hdr = malloc((size_t)hlen);
    unsigned char *data = malloc(dlen ? dlen : 1);
    if (hdr == NULL || data == NULL) {
        free(hdr);
        free(data);
        fclose(f);
        return fg_error_set(err, FG_E_NOMEM, "%s: out of memory reading %llu bytes", path,
                       (unsigned long long)size);
    }
    if (fread(hdr, 1, (size_t)hlen, f) != hlen || fread(data, 1, dlen, f) != dlen) {
        st = fg_error_set(err, FG_E_IO, "%s: read error: %s", path,
                     ferror(f) ? strerror(errno) : "file shrank while reading");
        free(hdr);
        free(data);
        fclose(f);
        return st;
    }
    fclose(f);
    st = parse_parts(path, hdr, (size_t)hlen, data, dlen, out, err);
    free(hdr);
    return st;
}

/* ------------------------------------------------------------------------------------ */
/* Accessors                                                                            */
/* ------------------------------------------------------------------------------------ */

size_t fg_st_count(const fg_st_file *f) { return f ? f->n : 0; }

static const st_tensor *entry(const fg_st_file *f, size_t i) {
    return f != NULL && i < f->n ? &f->t[i] : NULL;
}

const char *fg_st_name(const fg_st_file *f, size_t i) {
    const st_tensor *t = entry(f, i);
    return t ? t->name : NULL;
}

int32_t fg_st_dtype(const fg_st_file *f, size_t i) {
    const st_tensor *t = entry(f, i);
    return t ? t->dtype : -1;
}

int32_t fg_st_ndim(const fg_st_file *f, size_t i) {
    const st_tensor *t = entry(f, i);
    return t ? t->ndim : -1;
}

const int64_t *fg_st_shape(const fg_st_file *f, size_t i) {
    const st_tensor *t = entry(f, i);
    return t ? t->shape : NULL;
}

int64_t fg_st_numel(const fg_st_file *f, size_t i) {
    const st_tensor *t = entry(f, i);
    return t ? t->numel : -1;
}

const void *fg_st_data(const fg_st_file *f, size_t i, size_t *nbytes) {
    const st_tensor *t = entry(f, i);
    if (nbytes != NULL) *nbytes = t ? (size_t)(t->end - t->begin) : 0;
    return t ? t->data : NULL;
}

int64_t fg_st_find(const fg_st_file *f, const char *name) {
    if (f == NULL || name == NULL) return -1;
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->t[f->by_name[mid]].name, name);
        if (c == 0) return (int64_t)f->by_name[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

size_t fg_st_meta_count(const fg_st_file *f) { return f ? f->n_meta : 0; }

const char *fg_st_meta_key(const fg_st_file *f, size_t i) {
    return f != NULL && i < f->n_meta ? f->meta_k[i] : NULL;
}

const char *fg_st_meta_value(const fg_st_file *f, size_t i) {
    return f != NULL && i < f->n_meta ? f->meta_v[i] : NULL;
}

const char *fg_st_meta_get(const fg_st_file *f, const char *key) {
    for (size_t i = 0; f != NULL && key != NULL && i < f->n_meta; i++)
        if (strcmp(f->meta_k[i], key) == 0) return f->meta_v[i];
    return NULL;
}
