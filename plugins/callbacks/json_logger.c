/* The `json_logger` callback: one JSON object per line, flushed as it is written. */
#define _POSIX_C_SOURCE 200809L
#include "loggers.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct json_logger {
    const fg_callback_vtbl *vt;
    char path[4096]; /* as configured */
    FILE *f;
} json_logger;

static fg_status jl_close(json_logger *jl, fg_error *err) {
    if (jl->f == NULL) return FG_OK;
    const int bad = fclose(jl->f) != 0;
    jl->f = NULL;
    if (bad) {
        fg_api->error_set(err, FG_E_IO, "json_logger: cannot write '%s': %s", jl->path, strerror(errno));
        return FG_E_IO;
    }
    return FG_OK;
}

static fg_status jl_begin(void *self, fg_run *run, const fg_train_state *st, fg_error *err) {
    json_logger *jl = self;
    fg_status s = jl_close(jl, err);
    if (s != FG_OK) return s;
    const char *dir = fg_api->run_dir(run);
    char full[8300];
    const int n = jl->path[0] == '/' ? snprintf(full, sizeof full, "%s", jl->path)
                                     : snprintf(full, sizeof full, "%s/%s", dir ? dir : ".", jl->path);
    if (n < 0 || (size_t)n >= sizeof full) {
        fg_api->error_set(err, FG_E_RANGE, "json_logger: path too long: '%s'", jl->path);
        return FG_E_RANGE;
    }
    jl->f = fopen(full, "a");
    if (jl->f == NULL) {
        fg_api->error_set(err, FG_E_IO, "json_logger: cannot open '%s': %s", full, strerror(errno));
        return FG_E_IO;
    }
    return FG_OK;
}

/* JSON has no NaN or infinity: such a value is written as null. */
static void put_number(FILE *f, double v) {
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

static void put_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        const unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static fg_status write_line(json_logger *jl, const char *event, const fg_train_state *st, const fg_metrics *m,
                            fg_error *err) {
    if (jl->f == NULL) return FG_OK;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    fprintf(jl->f, "{\"step\": %lld, \"epoch\": ", (long long)st->step);
    put_number(jl->f, st->epoch);
    fprintf(jl->f, ", \"time\": %.3f, \"event\": \"%s\"", (double)now.tv_sec + 1e-9 * (double)now.tv_nsec, event);
    for (uint32_t i = 0; m != NULL && i < m->n; i++) {
        fputs(", ", jl->f);
        put_string(jl->f, m->keys[i]);
        fputs(": ", jl->f);
        put_number(jl->f, m->values[i]);
    }
    fputs("}\n", jl->f);
    if (fflush(jl->f) != 0 || ferror(jl->f)) {
        fg_api->error_set(err, FG_E_IO, "json_logger: cannot write '%s': %s", jl->path, strerror(errno));
        return FG_E_IO;
    }
    return FG_OK;
}

static fg_status jl_log(void *self, fg_run *run, const fg_train_state *st, const fg_metrics *m,
                        fg_train_control *ctl, fg_error *err) {
    return write_line(self, "log", st, m, err);
}

static fg_status jl_evaluate(void *self, fg_run *run, const fg_train_state *st, const fg_metrics *m,
                             fg_train_control *ctl, fg_error *err) {
    return write_line(self, "eval", st, m, err);
}

static fg_status jl_end(void *self, fg_run *run, const fg_train_state *st, fg_error *err) {
    return jl_close(self, err);
}

static void jl_destroy(void *self) {
    json_logger *jl = self;
    if (jl == NULL) return;
    if (jl->f != NULL) fclose(jl->f);
    fg_api->free(jl);
}

static const fg_callback_vtbl json_logger_vtbl = {
    .base = {sizeof(fg_callback_vtbl), FG_KIND_CALLBACK, jl_destroy},
    .on_train_begin = jl_begin,
    .on_log = jl_log,
    .on_evaluate = jl_evaluate,
    .on_train_end = jl_end,
};

fg_status json_logger_create(const fg_params *params, const fg_create_args *args, void **out, fg_error *err) {
    const char *path = NULL;
    fg_status s = fg_api->param_str(params, "path", &path, err);
    if (s != FG_OK) return s;
    if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(((json_logger *)0)->path)) {
        fg_api->error_set(err, FG_E_RANGE, "json_logger: path must be a non-empty file name shorter than 4096");
        return FG_E_RANGE;
    }
    json_logger *jl = fg_api->alloc(sizeof *jl);
    if (jl == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "json_logger: out of memory");
        return FG_E_NOMEM;
    }
    memset(jl, 0, sizeof *jl);
    jl->vt = &json_logger_vtbl;
    memcpy(jl->path, path, strlen(path) + 1);
    *out = jl;
    return FG_OK;
}
