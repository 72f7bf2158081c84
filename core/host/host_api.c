/* The fg_host_api table: thin adapters from the public slots to core functions. */
#define _POSIX_C_SOURCE 200809L
#include "host/host_api.h"

#include "autodiff/graph.h"
#include "autodiff/ops.h"
#include "autodiff/param_ops.h"
#include "codegen/codegen.h"
#include "config/objects.h"
#include "host/params_api.h"
#include "io/json_log.h"
#include "io/safetensors.h"
#include "io/load_tensors.h"
#include "io/state.h"
#include "memory/alloc.h"
#include "run/run.h"
#include "threads/threads.h"
#include "util/error.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void api_error_set(fg_error *err, fg_status code, const char *fmt, ...) {
    if (err == NULL) return;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

static void api_log(int32_t level, const char *fmt, ...) {
    static const char *const names[] = {"debug", "info", "warning", "error"};
    if (level == FG_LOG_DEBUG && getenv("FG_DEBUG") == NULL) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (level < FG_LOG_DEBUG || level > FG_LOG_ERROR) level = FG_LOG_INFO;
    if (level == FG_LOG_INFO)
        fprintf(stderr, "%s\n", msg);
    else
        fprintf(stderr, "%s: %s\n", names[level], msg);
}

static fg_status api_partial_create(const fg_partial *partial, const fg_create_args *args, void **out,
                                    fg_error *err) {
    if (partial == NULL || out == NULL)
        return fg_error_set(err, FG_E_INVALID_ARG, "partial_create: NULL partial or output");
    return fg_objects_construct(partial, args, out, err);
}
static int32_t api_partial_kind(const fg_partial *p) { return p ? p->ref->factory->kind : 0; }
static const char *api_partial_name(const fg_partial *p) { return p ? p->ref->factory->name : ""; }

static int32_t api_tensor_dtype(const fg_tensor *t) { return t->dtype; }
static int32_t api_tensor_ndim(const fg_tensor *t) { return t->ndim; }
static int64_t api_tensor_dim(const fg_tensor *t, int32_t axis) {
    if (axis < 0) axis += t->ndim;
    return (axis >= 0 && axis < t->ndim) ? t->shape[axis] : 0;
}
static int64_t api_tensor_numel(const fg_tensor *t) { return t->numel; }
static void *api_tensor_data(fg_tensor *t) { return t->data; }
static float *api_tensor_grad(fg_tensor *t) { return t->grad; }
static const char *api_tensor_name(const fg_tensor *t) { return t->name ? t->name : ""; }

static void api_graph_set_training(fg_graph *g, int32_t training) { g->training = training != 0; }
static void api_graph_set_seed(fg_graph *g, uint64_t seed) { g->seed = seed; }
static fg_tensor *api_tensor_new(fg_graph *g, int32_t dtype, int32_t ndim, const int64_t *shape) {
    return g ? fg_graph_tensor(g, dtype, ndim, shape) : NULL;
}

static const char *api_run_dir(const fg_run *run) { return run->dir; }
static uint64_t api_run_seed(const fg_run *run) { return run->seed; }
static int32_t api_run_interrupted(const fg_run *run) { return fg_run_interrupted(); }
static fg_status api_run_log(fg_run *run, int64_t step, uint32_t n, const char *const *keys,
                             const double *values, fg_error *err) {
    return fg_json_log_append(run->log, step, n, keys, values, err);
}

static fg_status api_save_safetensors(const char *path, uint64_t n, fg_tensor *const *tensors,
                                      fg_error *err) {
    fg_st_entry *entries = fg_alloc((n ? n : 1) * sizeof *entries);
    if (entries == NULL) return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", path);
    for (uint64_t i = 0; i < n; i++)
        entries[i] = (fg_st_entry){tensors[i]->name, tensors[i]->dtype, tensors[i]->ndim,
                                   tensors[i]->shape, tensors[i]->data};
    const char *keys[] = {"format", "producer"};
    const char *values[] = {"pt", "forgather-c " FG_VERSION};
    fg_status st = fg_safetensors_write(path, entries, n, keys, values, 2, err);
    fg_free(entries);
    return st;
}

static fg_status api_checkpoint_begin(fg_run *run, int64_t step, char *dir, size_t cap, fg_error *err) {
    return fg_run_checkpoint_begin(run, step, dir, cap, err);
}
static fg_status api_checkpoint_commit(fg_run *run, int64_t step, fg_error *err) {
    return fg_run_checkpoint_commit(run, step, err);
}
static const char *api_run_resume_dir(const fg_run *run) { return run->resume_dir; }

static double api_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t api_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static char base_dir[PATH_MAX] = ".";
static uint64_t init_seed = 0;

void fg_host_set_base_dir(const char *dir) { snprintf(base_dir, sizeof base_dir, "%s", dir); }
void fg_host_set_seed(uint64_t seed) { init_seed = seed; }
uint64_t fg_host_seed(void) { return init_seed; }

static fg_status api_resolve_path(const char *path, char *out, size_t cap, fg_error *err) {
    int n = (path[0] == '/') ? snprintf(out, cap, "%s", path) : snprintf(out, cap, "%s/%s", base_dir, path);
    if (n < 0 || (size_t)n >= cap) return fg_error_set(err, FG_E_RANGE, "%s: path too long", path);
    return FG_OK;
}

static int32_t api_num_threads(void) { return fg_threads_count(); }

static const fg_host_api host_api = {
    .struct_size = sizeof(fg_host_api),
    .error_set = api_error_set,
    .status_str = fg_status_name,
    .log = api_log,
    .alloc = fg_alloc,
    .free = fg_free,
    .param_bool = fg_api_param_bool,
    .param_int = fg_api_param_int,
    .param_float = fg_api_param_float,
    .param_str = fg_api_param_str,
    .param_int_list = fg_api_param_int_list,
    .param_float_list = fg_api_param_float_list,
    .param_map = fg_api_param_map,
    .param_partial = fg_api_param_partial,
    .param_object = fg_objects_param_object,
    .param_present = fg_api_param_present,
    .partial_create = api_partial_create,
    .partial_kind = api_partial_kind,
    .partial_name = api_partial_name,
    .scope_child = fg_scope_new_child,
    .param_new = fg_scope_param_new,
    .scope_params = fg_scope_params,
    .object_scope = fg_objects_scope_of,
    .tensor_dtype = api_tensor_dtype,
    .tensor_ndim = api_tensor_ndim,
    .tensor_dim = api_tensor_dim,
    .tensor_numel = api_tensor_numel,
    .tensor_data = api_tensor_data,
    .tensor_grad = api_tensor_grad,
    .tensor_name = api_tensor_name,
    .graph_new = fg_graph_create,
    .graph_free = fg_graph_destroy,
    .graph_reset = fg_graph_reset,
    .graph_set_training = api_graph_set_training,
    .graph_set_seed = api_graph_set_seed,
    .graph_status = fg_graph_get_status,
    .graph_backward = fg_graph_backward,
    .tensor_new = api_tensor_new,
    .op_embedding = fg_op_embedding,
    .op_linear = fg_op_linear,
    .op_add = fg_op_add,
    .op_mul = fg_op_mul,
    .op_scale = fg_op_scale,
    .op_layernorm = fg_op_layernorm,
    .op_rmsnorm = fg_op_rmsnorm,
    .op_gelu = fg_op_gelu,
    .op_silu = fg_op_silu,
    .op_relu = fg_op_relu,
    .op_softmax = fg_op_softmax,
    .op_attention_qkv = fg_op_attention_qkv,
    .op_cross_entropy = fg_op_cross_entropy,
    .op_reshape = fg_op_reshape,
    .op_dropout = fg_op_dropout,
    .params_zero_grad = fg_params_zero_grad,
    .params_clip_grad_norm = fg_params_clip_grad_norm,
    .run_dir = api_run_dir,
    .run_seed = api_run_seed,
    .run_interrupted = api_run_interrupted,
    .run_log = api_run_log,
    .save_safetensors = api_save_safetensors,
    .now = api_now,
    .rng_next = api_rng_next,
    .resolve_path = api_resolve_path,
    .num_threads = api_num_threads,
    .param_map_list = fg_api_param_map_list,
    .state_array = fg_state_array,
    .state_new = fg_state_new_writer,
    .state_write = fg_state_write,
    .state_open = fg_state_open_reader,
    .state_free = fg_state_free,
    .load_safetensors = fg_load_tensors,
    .checkpoint_begin = api_checkpoint_begin,
    .checkpoint_commit = api_checkpoint_commit,
    .run_resume_dir = api_run_resume_dir,
    .param_object_list = fg_objects_param_object_list,
    .op_attention = fg_op_attention,
    .op_rope = fg_op_rope,
    .graph_kv_cache = fg_graph_kv_cache,
    .graph_position = fg_graph_position,
    .op_swish = fg_op_swish,
    .code_printf = fg_codegen_printf,
    .code_param = fg_codegen_param,
    .code_call = fg_codegen_call,
    .code_helper = fg_codegen_helper,
};

static const fg_host_info host_info = {
    .struct_size = sizeof(fg_host_info),
    .abi_major = FG_ABI_MAJOR,
    .abi_minor = FG_ABI_MINOR,
    .api = &host_api,
    .host_version = FG_VERSION,
};

const fg_host_api *fg_host_api_table(void) { return &host_api; }
const fg_host_info *fg_host_info_get(void) { return &host_info; }
