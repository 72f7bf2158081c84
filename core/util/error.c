#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

fg_status fg_error_set(fg_error *err, fg_status code, const char *fmt, ...) {
    if (err == NULL) return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void fg_error_prefix(fg_error *err, const char *fmt, ...) {
    if (err == NULL) return;
    char prefix[FG_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char joined[FG_ERROR_MSG_SIZE];
    snprintf(joined, sizeof joined, "%s: %s", prefix, err->msg);
    memcpy(err->msg, joined, sizeof joined);
}

void fg_error_clear(fg_error *err) {
    if (err == NULL) return;
    err->code = FG_OK;
    err->msg[0] = '\0';
}

const char *fg_status_name(fg_status code) {
    switch (code) {
    case FG_OK: return "ok";
    case FG_E_INVALID_ARG: return "invalid argument";
    case FG_E_NOT_FOUND: return "not found";
    case FG_E_TYPE: return "wrong type";
    case FG_E_RANGE: return "out of range";
    case FG_E_NOMEM: return "out of memory";
    case FG_E_UNSUPPORTED: return "unsupported";
    case FG_E_ABI: return "ABI mismatch";
    case FG_E_DEVICE: return "device error";
    case FG_E_IO: return "I/O error";
    case FG_E_INTERNAL: return "internal error";
    case FG_E_PARSE: return "parse error";
    case FG_E_NUMERIC: return "numeric error";
    case FG_E_INTERRUPTED: return "interrupted";
    default: return "unknown status";
    }
}
