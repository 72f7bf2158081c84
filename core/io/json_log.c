/* JSON-array log file, valid after every append. See json_log.h. */
#define _POSIX_C_SOURCE 200809L

#include "util/error.h"
#include "io/json_log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fg_json_log {
    FILE *f;
    char *path;
    long tail;        /* where the next record's separator goes: after '[' or the last '}' */
    long size;        /* bytes in the file */
    bool has_records; /* the array is non-empty */
};

/* ---- a growable string ---------------------------------------------------------------- */

typedef struct jl_buf {
    char *s;
    size_t len, cap;
    bool oom;
} jl_buf;

static void buf_put(jl_buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void buf_str(jl_buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_json_string(jl_buf *b, const char *s) {
    buf_str(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            buf_put(b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            buf_str(b, esc);
        } else {
            buf_put(b, (const char *)p, 1);
        }
    }
    buf_str(b, "\"");
}

/* Shortest of %.15g/%.16g/%.17g that reads back exactly; null when not finite. */
static void buf_number(jl_buf *b, double v) {
    if (!isfinite(v)) {
        buf_str(b, "null");
        return;
    }
    char num[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, v);
        if (strtod(num, NULL) == v) break;
    }
    for (char *c = num; *c; c++)
        if (*c == ',') *c = '.'; /* a C library set to a decimal-comma locale */
    buf_str(b, num);
}

/* ---- open ----------------------------------------------------------------------------- */

static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* Finds where records go in an existing file's text: validates it is a JSON array. */
static fg_status scan_existing(fg_json_log *log, const char *text, size_t len, fg_error *err) {
    const char *parse_end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &parse_end, 0);
    bool array = cJSON_IsArray(root);
    bool nonempty = array && root->child != NULL;
    cJSON_Delete(root);
    size_t end = len;
    while (end > 0 && is_space(text[end - 1])) end--;
    if (!array || parse_end != text + end)
        return fg_error_set(err, FG_E_PARSE, "%s: exists and is not a JSON array log", log->path);
    size_t tail = end - 1; /* the closing ']' */
    while (tail > 0 && is_space(text[tail - 1])) tail--;
    log->tail = (long)tail;
    log->size = (long)len;
    log->has_records = nonempty;
    return FG_OK;
}

static fg_status read_existing(fg_json_log *log, long size, fg_error *err) {
    char *text = malloc((size_t)size + 1);
    if (text == NULL) return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", log->path);
    fg_status st = FG_OK;
    if (fseek(log->f, 0, SEEK_SET) != 0 || fread(text, 1, (size_t)size, log->f) != (size_t)size)
        st = fg_error_set(err, FG_E_IO, "%s: cannot read: %s", log->path, strerror(errno));
    else
        st = scan_existing(log, text, (size_t)size, err);
    free(text);
    return st;
}

fg_status fg_json_log_open(const char *path, fg_json_log **out, fg_error *err) {
    if (path == NULL || out == NULL)
        return fg_error_set(err, FG_E_INVALID_ARG, "json log: invalid arguments");
    *out = NULL;
    fg_json_log *log = calloc(1, sizeof *log);
    size_t plen = strlen(path) + 1;
    char *p = malloc(plen);
    if (log == NULL || p == NULL) {
        free(log);
        free(p);
        return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", path);
    }
    memcpy(p, path, plen);
    log->path = p;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    struct stat sb;
    fg_status st = FG_OK;
    if (fd < 0) {
        st = fg_error_set(err, FG_E_IO, "%s: cannot open: %s", path, strerror(errno));
    } else if (fstat(fd, &sb) != 0) {
        st = fg_error_set(err, FG_E_IO, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
    } else if (!S_ISREG(sb.st_mode)) {
        st = fg_error_set(err, FG_E_IO, "%s: cannot open: not a regular file", path);
        close(fd);
    } else if ((log->f = fdopen(fd, "r+b")) == NULL) {
        st = fg_error_set(err, FG_E_IO, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
    } else if (sb.st_size > 0) {
        st = read_existing(log, (long)sb.st_size, err);
    } else if (fputs("[\n]", log->f) == EOF || fflush(log->f) != 0) {
        st = fg_error_set(err, FG_E_IO, "%s: cannot write: %s", path, strerror(errno));
    } else {
        log->tail = 1;
        log->size = 3;
    }
    if (st != FG_OK) {
        fg_json_log_close(log);
        return st;
    }
    *out = log;
    return FG_OK;
}

/* ---- append ----------------------------------------------------------------------------- */

static fg_status check_keys(const fg_json_log *log, uint32_t n, const char *const *keys,
                            const double *values, fg_error *err) {
    if (n > 0 && (keys == NULL || values == NULL))
        return fg_error_set(err, FG_E_INVALID_ARG, "%s: json log append: NULL keys or values",
                       log->path);
    for (uint32_t i = 0; i < n; i++) {
        if (keys[i] == NULL || keys[i][0] == '\0')
            return fg_error_set(err, FG_E_INVALID_ARG, "%s: json log append: key %u is empty",
                           log->path, (unsigned)i);
        if (strcmp(keys[i], "step") == 0)
            return fg_error_set(err, FG_E_INVALID_ARG, "%s: json log append: 'step' is reserved",
                           log->path);
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(keys[i], keys[j]) == 0)
                return fg_error_set(err, FG_E_INVALID_ARG,
                               "%s: json log append: duplicate key '%.200s'", log->path,
                               keys[i]);
    }
    return FG_OK;
}

fg_status fg_json_log_append(fg_json_log *log, int64_t step, uint32_t n,
                             const char *const *keys, const double *values, fg_error *err) {
    if (log == NULL || log->f == NULL)
        return fg_error_set(err, FG_E_INVALID_ARG, "json log append: log is not open");
    fg_status st = check_keys(log, n, keys, values, err);
    if (st != FG_OK) return st;
    jl_buf b = {0};
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, step);
    buf_str(&b, log->has_records ? ",\n{\"step\": " : "\n{\"step\": ");
    buf_str(&b, num);
    for (uint32_t i = 0; i < n; i++) {
        buf_str(&b, ", ");
        buf_json_string(&b, keys[i]);
        buf_str(&b, ": ");
        buf_number(&b, values[i]);
    }
    buf_str(&b, "}\n]");
    if (b.oom) {
        free(b.s);
        return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", log->path);
    }
    long end = log->tail + (long)b.len;
    bool ok = fseek(log->f, log->tail, SEEK_SET) == 0 && fwrite(b.s, 1, b.len, log->f) == b.len &&
              fflush(log->f) == 0;
    /* drop whatever lay beyond the new end (a resumed file's trailing text) */
    if (ok && end < log->size) ok = ftruncate(fileno(log->f), end) == 0;
    free(b.s);
    if (!ok) {
        if (end > log->size) log->size = end; /* may be partly written */
        return fg_error_set(err, FG_E_IO, "%s: cannot append: %s", log->path, strerror(errno));
    }
    log->size = end;
    log->tail = end - 2;
    log->has_records = true;
    return FG_OK;
}

void fg_json_log_close(fg_json_log *log) {
    if (log == NULL) return;
    if (log->f != NULL) fclose(log->f);
    free(log->path);
    free(log);
}
