/* Helpers shared by the model and the blocks: creating child layers from partials and
 * giving nested errors a location prefix. */
#include "lm_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void lm_error_prefix(fg_error *err, const char *fmt, ...) {
    if (err == NULL) return;
    char prefix[256];
    char old[FG_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    /* Copy first: error_set writes into the buffer we would be reading from. */
    memcpy(old, err->msg, sizeof(old));
    old[sizeof(old) - 1] = '\0';
    fg_api->error_set(err, err->code != FG_OK ? err->code : FG_E_INTERNAL, "%s: %s", prefix, old);
}

fg_status lm_param_partial(const char *who, const fg_params *params, const char *key,
                           const fg_partial **out, fg_error *err) {
    fg_status st = fg_api->param_partial(params, key, out, err);
    if (st != FG_OK) return st;
    if (*out == NULL) {
        fg_api->error_set(err, FG_E_NOT_FOUND, "%s: parameter '%s' (a !partial) is missing", who,
                          key);
        return FG_E_NOT_FOUND;
    }
    return FG_OK;
}

fg_status lm_layer_create(const char *who, const fg_partial *partial, int32_t kind,
                          const char *scope_name, const fg_create_args *base, lm_layer *out,
                          fg_error *err) {
    fg_create_args args = *base;
    args.struct_size = sizeof(fg_create_args);
    fg_status st = fg_api->scope_child(base->scope, scope_name, &args.scope, err);
    if (st != FG_OK) return st;
    void *obj = NULL;
    st = fg_api->partial_create(partial, &args, &obj, err);
    if (st != FG_OK) {
        lm_error_prefix(err, "%s: creating %s", who, scope_name);
        return st;
    }
    /* The host checks the slot's kind; this guards against a vtable too small to call. */
    const fg_layer_vtbl *vt = obj != NULL ? *(const fg_layer_vtbl *const *)obj : NULL;
    if (vt == NULL || vt->base.kind != kind || vt->base.struct_size < FG_VTBL_THROUGH(fg_layer_vtbl, forward) ||
        vt->forward == NULL) {
        fg_api->error_set(err, FG_E_TYPE,
                          "%s: %s from factory '%s' is not a layer of kind %d with a forward", who,
                          scope_name, fg_api->partial_name(partial), (int)kind);
        return FG_E_TYPE;
    }
    out->obj = obj;
    out->vt = vt;
    return FG_OK;
}
