/* Runs an optimizer plugin on given parameters and gradients, for tests that compare
 * it with an independent reference (tests/py/test_adamw_numpy.py).
 *
 *   fg_optimizer_probe CONFIG.yaml INPUT.json
 *
 * CONFIG has a root entry `optimizer: !partial:NAME {...}`. INPUT is
 *   {"params": [{"name": "w", "shape": [rows, cols], "data": [...row-major...]}, ...],
 *    "grads": [[[...per param...], ...] per step], "lr_factors": [1.0, ...],
 *    "reload_after": K}
 * With reload_after, the optimizer's state is saved after step K (save_state into a
 * safetensors file), a fresh optimizer is created over the same parameters and loads it
 * (load_state), and that one makes the remaining steps: a resumed run must match an
 * uninterrupted one bit for bit.
 * Prints {"steps": [[[param values after step 1], ...], ...], "state_bytes": N} to stdout
 * (state_bytes when the optimizer reports it). */
#include "config/objects.h"
#include "host/host_api.h"
#include "io/state.h"
#include "util/error.h"
#include "tensor/tensor.h"
#include "threads/threads.h"

#include "fg_test.h"

#include <cjson/cJSON.h>
#include <forgather/fg_components.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, const char *msg) {
    fprintf(stderr, "fg_optimizer_probe: %s: %s\n", what, msg);
    return 1;
}

/* Saves the optimizer's state, builds a fresh optimizer and loads the state into it. */
static fg_status reload(const fg_partial *partial, const fg_create_args *args, void **opt,
                        const fg_optimizer_vtbl **vt, const char *input_path, fg_error *err) {
    const fg_optimizer_vtbl *old = *vt;
    if (old->base.struct_size < offsetof(fg_optimizer_vtbl, load_state) + sizeof old->load_state ||
        old->save_state == NULL || old->load_state == NULL)
        return fg_error_set(err, FG_E_UNSUPPORTED, "the optimizer cannot save its state");
    char path[4200];
    snprintf(path, sizeof path, "%s.state.safetensors", input_path);
    fg_state *writer = NULL, *reader = NULL;
    fg_status st = fg_state_new_writer(&writer, err);
    if (st == FG_OK) st = old->save_state(*opt, writer, err);
    if (st == FG_OK) st = fg_state_write(writer, path, err);
    fg_state_free(writer);
    if (st == FG_OK) st = fg_objects_construct(partial, args, opt, err);
    if (st == FG_OK) {
        *vt = *(const fg_optimizer_vtbl *const *)*opt;
        st = fg_state_open_reader(path, &reader, err);
    }
    if (st == FG_OK) st = (*vt)->load_state(*opt, reader, err);
    fg_state_free(reader);
    remove(path);
    return st;
}

int main(int argc, char **argv) {
    if (argc != 3) return fail("usage", "fg_optimizer_probe CONFIG.yaml INPUT.json");
    fg_threads_init(1);
    char *input_text = fg_test_read_file(argv[2], NULL);
    cJSON *input = input_text ? cJSON_Parse(input_text) : NULL;
    if (input == NULL) return fail(argv[2], "cannot read JSON");
    cJSON *jparams = cJSON_GetObjectItem(input, "params");
    cJSON *jgrads = cJSON_GetObjectItem(input, "grads");
    cJSON *jfactors = cJSON_GetObjectItem(input, "lr_factors");
    int n = cJSON_GetArraySize(jparams), steps = cJSON_GetArraySize(jgrads);

    fg_tensor **params = calloc((size_t)n, sizeof *params);
    for (int i = 0; i < n; i++) {
        cJSON *jp = cJSON_GetArrayItem(jparams, i);
        cJSON *data = cJSON_GetObjectItem(jp, "data");
        int64_t len = cJSON_GetArraySize(data);
        fg_tensor *t = calloc(1, sizeof *t);
        /* "shape" is optional: a flat list is a vector */
        cJSON *jshape = cJSON_GetObjectItem(jp, "shape");
        int64_t shape[FG_MAX_DIMS] = {len};
        int32_t ndim = 1;
        if (jshape != NULL) {
            ndim = cJSON_GetArraySize(jshape);
            for (int32_t d = 0; d < ndim && d < FG_MAX_DIMS; d++)
                shape[d] = (int64_t)cJSON_GetArrayItem(jshape, d)->valuedouble;
        }
        if (fg_tensor_set_shape(t, ndim, shape) != 0 || t->numel != len) return fail(argv[2], "shape does not match data");
        t->dtype = FG_DTYPE_F32;
        t->flags = FG_T_PARAM | FG_T_NEEDS_GRAD;
        t->name = cJSON_GetObjectItem(jp, "name")->valuestring;
        t->data = calloc((size_t)len, sizeof(float));
        t->grad = calloc((size_t)len, sizeof(float));
        int64_t k = 0;
        cJSON *item; /* iterate: indexing a cJSON array is linear per lookup */
        cJSON_ArrayForEach(item, data) fg_f32(t)[k++] = (float)item->valuedouble;
        params[i] = t;
    }

    fg_error err = {0};
    fg_registry registry;
    fg_config *cfg = NULL;
    fg_objects *objs = NULL;
    const fg_partial *partial = NULL;
    void *opt = NULL;
    fg_create_args args = {.struct_size = sizeof args, .layer_index = -1, .params = params, .n_params = (uint64_t)n};
    if (fg_registry_init(&registry, NULL, 0, &err) != FG_OK || fg_registry_load_all(&registry, &err) != FG_OK ||
        fg_config_load_file(argv[1], NULL, 0, &cfg, &err) != FG_OK ||
        fg_objects_create(&registry, cfg, &objs, &err) != FG_OK || fg_objects_validate(objs, &err) != FG_OK ||
        fg_objects_partial(objs, "optimizer", FG_KIND_OPTIMIZER, &partial, &err) != FG_OK ||
        fg_objects_construct(partial, &args, &opt, &err) != FG_OK)
        return fail(argv[1], err.msg);
    const fg_optimizer_vtbl *vt = *(const fg_optimizer_vtbl *const *)opt;
    cJSON *jreload = cJSON_GetObjectItem(input, "reload_after");
    int reload_after = jreload ? jreload->valueint : -1;

    cJSON *out = cJSON_CreateObject();
    cJSON *jsteps = cJSON_AddArrayToObject(out, "steps");
    for (int s = 0; s < steps; s++) {
        cJSON *step_grads = cJSON_GetArrayItem(jgrads, s);
        int i = 0;
        cJSON *g;
        cJSON_ArrayForEach(g, step_grads) {
            int64_t k = 0;
            cJSON *item;
            cJSON_ArrayForEach(item, g) if (k < params[i]->numel) params[i]->grad[k++] = (float)item->valuedouble;
            if (++i == n) break;
        }
        double factor = jfactors ? cJSON_GetArrayItem(jfactors, s)->valuedouble : 1.0;
        if (vt->step(opt, factor, &err) != FG_OK) return fail("step", err.msg);
        cJSON *snapshot = cJSON_CreateArray();
        for (int i = 0; i < n; i++) {
            cJSON *vals = cJSON_CreateArray();
            for (int64_t k = 0; k < params[i]->numel; k++)
                cJSON_AddItemToArray(vals, cJSON_CreateNumber(fg_f32(params[i])[k]));
            cJSON_AddItemToArray(snapshot, vals);
        }
        cJSON_AddItemToArray(jsteps, snapshot);
        if (s + 1 == reload_after && reload(partial, &args, &opt, &vt, argv[2], &err) != FG_OK)
            return fail("reload", err.msg);
    }
    if (vt->base.struct_size >= offsetof(fg_optimizer_vtbl, state_bytes) + sizeof vt->state_bytes &&
        vt->state_bytes != NULL)
        cJSON_AddNumberToObject(out, "state_bytes", (double)vt->state_bytes(opt));
    char *text = cJSON_PrintUnformatted(out);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(out);
    fg_objects_free(objs);
    fg_config_free(cfg);
    fg_registry_free(&registry);
    for (int i = 0; i < n; i++) {
        free(params[i]->data);
        free(params[i]->grad);
        free(params[i]);
    }
    free(params);
    cJSON_Delete(input);
    free(input_text);
    return 0;
}
