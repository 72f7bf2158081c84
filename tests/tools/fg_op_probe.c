/* Runs one host op forward on given inputs, for tests that compare it with an
 * independent reference (tests/py/test_positional_numpy.py).
 *
 *   fg_op_probe INPUT.json
 *
 * INPUT is {"op": NAME, "inputs": {NAME: {"shape": [...], "data": [...row-major...]}},
 * "attributes": {...}} with
 *   rope:      inputs x [B, T, W]; attributes n_heads, head_dim, base (default 10000)
 *   attention: inputs qkv [B, T, (H + 2 Hkv) D]; attributes num_heads, num_kv_heads (0),
 *              causal (true), alibi (false), impl ("auto" | "plain" | "lean"), scale (0)
 * Prints {"shape": [...], "data": [...]}, the output, to stdout; on failure the reason
 * goes to stderr and the exit status is 1. The graph does not train: no dropout. */
#include "autodiff/graph.h"
#include "autodiff/ops.h"
#include "threads/threads.h"

#include "fg_test.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, const char *msg) {
    fprintf(stderr, "fg_op_probe: %s: %s\n", what, msg);
    return 1;
}

/* inputs[name] as an F32 graph tensor; NULL (with the graph failed) when absent or bad. */
static fg_tensor *input_tensor(fg_graph *g, const cJSON *inputs, const char *name) {
    const cJSON *jt = cJSON_GetObjectItem(inputs, name);
    const cJSON *jshape = cJSON_GetObjectItem(jt, "shape"), *jdata = cJSON_GetObjectItem(jt, "data");
    int32_t ndim = cJSON_GetArraySize(jshape);
    if (!cJSON_IsArray(jshape) || !cJSON_IsArray(jdata) || ndim < 1 || ndim > FG_MAX_DIMS)
        return fg_graph_fail(g, FG_E_INVALID_ARG, "input '%s' needs a shape (1 to %d dims) and data",
                             name, FG_MAX_DIMS);
    int64_t shape[FG_MAX_DIMS] = {0};
    for (int32_t d = 0; d < ndim; d++) shape[d] = (int64_t)cJSON_GetArrayItem(jshape, d)->valuedouble;
    fg_tensor *t = fg_graph_tensor(g, FG_DTYPE_F32, ndim, shape);
    if (t == NULL) return NULL;
    if (cJSON_GetArraySize(jdata) != t->numel)
        return fg_graph_fail(g, FG_E_INVALID_ARG, "input '%s' has %d values, its shape %lld",
                             name, cJSON_GetArraySize(jdata), (long long)t->numel);
    int64_t k = 0;
    const cJSON *item; /* iterate: indexing a cJSON array is linear per lookup */
    cJSON_ArrayForEach(item, jdata) fg_f32(t)[k++] = (float)item->valuedouble;
    return t;
}

static double number_attr(const cJSON *attrs, const char *key, double fallback) {
    const cJSON *v = cJSON_GetObjectItem(attrs, key);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

static int bool_attr(const cJSON *attrs, const char *key, int fallback) {
    const cJSON *v = cJSON_GetObjectItem(attrs, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

static fg_tensor *run_rope(fg_graph *g, const cJSON *inputs, const cJSON *attrs) {
    return fg_op_rope(g, input_tensor(g, inputs, "x"), (int32_t)number_attr(attrs, "n_heads", 0),
                      (int32_t)number_attr(attrs, "head_dim", 0), number_attr(attrs, "base", 10000.0));
}

static fg_tensor *run_attention(fg_graph *g, const cJSON *inputs, const cJSON *attrs) {
    static const char *const impls[] = {"auto", "plain", "lean"};
    const cJSON *jimpl = cJSON_GetObjectItem(attrs, "impl");
    fg_attention_desc desc = {.struct_size = sizeof desc};
    desc.impl = jimpl == NULL ? FG_ATTN_IMPL_AUTO : -1;
    for (int i = 0; i < 3; i++) /* impls[i] is FG_ATTN_IMPL_* i */
        if (cJSON_IsString(jimpl) && strcmp(jimpl->valuestring, impls[i]) == 0) desc.impl = i;
    if (desc.impl < 0) return fg_graph_fail(g, FG_E_INVALID_ARG, "impl must be auto, plain or lean");
    desc.num_heads = (int32_t)number_attr(attrs, "num_heads", 0);
    desc.num_kv_heads = (int32_t)number_attr(attrs, "num_kv_heads", 0);
    desc.flags = (bool_attr(attrs, "causal", 1) ? FG_ATTN_CAUSAL : 0u) |
                 (bool_attr(attrs, "alibi", 0) ? FG_ATTN_ALIBI : 0u);
    desc.scale = number_attr(attrs, "scale", 0.0);
    return fg_op_attention(g, input_tensor(g, inputs, "qkv"), &desc);
}

static const struct {
    const char *name;
    fg_tensor *(*run)(fg_graph *g, const cJSON *inputs, const cJSON *attrs);
} ops[] = {{"rope", run_rope}, {"attention", run_attention}};

static void print_tensor(const fg_tensor *t) {
    cJSON *out = cJSON_CreateObject(), *shape = cJSON_AddArrayToObject(out, "shape");
    cJSON *data = cJSON_AddArrayToObject(out, "data");
    for (int32_t d = 0; d < t->ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->shape[d]));
    for (int64_t k = 0; k < t->numel; k++) cJSON_AddItemToArray(data, cJSON_CreateNumber(fg_f32(t)[k]));
    char *text = cJSON_PrintUnformatted(out);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(out);
}

int main(int argc, char **argv) {
    if (argc != 2) return fail("usage", "fg_op_probe INPUT.json");
    fg_threads_init(1);
    char *text = fg_test_read_file(argv[1], NULL);
    cJSON *input = text != NULL ? cJSON_Parse(text) : NULL;
    free(text);
    if (input == NULL) return fail(argv[1], "cannot read JSON");
    const cJSON *jop = cJSON_GetObjectItem(input, "op");
    int which = -1;
    for (int i = 0; i < (int)(sizeof ops / sizeof ops[0]); i++)
        if (cJSON_IsString(jop) && strcmp(jop->valuestring, ops[i].name) == 0) which = i;
    if (which < 0) {
        cJSON_Delete(input);
        return fail(argv[1], "\"op\" must be rope or attention");
    }
    fg_graph *g = NULL;
    fg_error err = {0};
    if (fg_graph_create(&g, &err) != FG_OK) {
        cJSON_Delete(input);
        return fail("graph", err.msg);
    }
    g->training = 0;
    fg_tensor *out = ops[which].run(g, cJSON_GetObjectItem(input, "inputs"),
                                    cJSON_GetObjectItem(input, "attributes"));
    int rc = 0;
    if (out != NULL) print_tensor(out);
    else rc = fail(ops[which].name, fg_graph_get_status(g, &err) != FG_OK ? err.msg : "no output");
    fg_graph_destroy(g);
    cJSON_Delete(input);
    return rc;
}
