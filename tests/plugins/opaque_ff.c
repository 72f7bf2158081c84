/* A third party's feed-forward layers without code emission, for the `fgrun code` tests:
 * they train like any layer, but a model using them cannot be exported as C.
 *   opaque_ff  y = relu(x), an ABI 1.3 vtable whose emit_code is NULL
 *   legacy_ff  the same, its vtable as a plugin built before ABI 1.3 made it (no slot) */
#include <forgather/plugin.h>

#include <stddef.h>

typedef struct opaque {
    const fg_layer_vtbl *vt;
} opaque;

static fg_status opaque_forward(void *self, fg_graph *g, fg_tensor *x, fg_tensor **out, fg_error *err) {
    *out = fg_api->op_relu(g, x);
    return fg_api->graph_status(g, err);
}

static void opaque_destroy(void *self) { fg_api->free(self); }

static const fg_layer_vtbl opaque_vtbl = {
    .base = {sizeof(fg_layer_vtbl), FG_KIND_FEEDFORWARD, opaque_destroy},
    .forward = opaque_forward,
};

static const fg_layer_vtbl legacy_vtbl = {
    .base = {offsetof(fg_layer_vtbl, emit_code), FG_KIND_FEEDFORWARD, opaque_destroy},
    .forward = opaque_forward,
};

static fg_status create(const fg_layer_vtbl *vt, void **out, fg_error *err) {
    opaque *o = fg_api->alloc(sizeof *o);
    if (o == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "opaque_ff: out of memory");
        return FG_E_NOMEM;
    }
    o->vt = vt;
    *out = o;
    return FG_OK;
}

static fg_status opaque_create(const fg_params *params, const fg_create_args *args, void **out, fg_error *err) {
    return create(&opaque_vtbl, out, err);
}

static fg_status legacy_create(const fg_params *params, const fg_create_args *args, void **out, fg_error *err) {
    return create(&legacy_vtbl, out, err);
}

static const fg_factory_desc factories[] = {
    FG_FACTORY_NOPARAMS(FG_KIND_FEEDFORWARD, "opaque_ff", "relu, without code emission", opaque_create),
    FG_FACTORY_NOPARAMS(FG_KIND_FEEDFORWARD, "legacy_ff", "relu, with a vtable from before ABI 1.3",
                        legacy_create),
};

FG_PLUGIN_DEFINE("opaque_ff", "0.0.1", "feed-forward layers that cannot be exported as C", "MIT", factories)
