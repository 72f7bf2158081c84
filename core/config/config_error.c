/* Error messages of the config loader: every one starts with "FILE:LINE:COL: " so an
 * editor or a terminal can jump to the place, then says what is wrong. */
#include "config/config_internal.h"

#include <stdio.h>

fg_status fgc_vfail(fg_error *err, fg_status code, const fg_loc *loc, const char *fmt,
                    va_list ap) {
    if (err == NULL) return code;
    err->code = code;
    size_t used = 0;
    if (loc != NULL) {
        int k = snprintf(err->msg, sizeof err->msg, "%s:%d:%d: ",
                         loc->file != NULL ? loc->file : "<config>", loc->line, loc->column);
        used = k < 0 ? 0 : (size_t)k;
        if (used >= sizeof err->msg) return code; /* truncated: the prefix filled it */
    }
    vsnprintf(err->msg + used, sizeof err->msg - used, fmt, ap);
    return code;
}

fg_status fgc_fail(fg_error *err, fg_status code, const fg_loc *loc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fgc_vfail(err, code, loc, fmt, ap);
    va_end(ap);
    return code;
}

fg_status fgc_nomem(fg_error *err, const fg_loc *loc) {
    return fgc_fail(err, FG_E_NOMEM, loc, "out of memory while loading the configuration");
}

const char *fgc_type_article(fg_node_type t) {
    switch (t) {
    case FG_NODE_LIST: return "a list";
    case FG_NODE_MAP: return "a mapping";
    case FG_NODE_NULL: return "null";
    default: return "a scalar";
    }
}
