/* The host services a plugin calls: one versioned table, passed at load time.
 * Slots are only ever appended; a plugin built for minor M may use every slot up to M
 * (the host refuses to load it when older); check FG_HAS(api, slot) to use a newer slot
 * optionally.
 *
 * Ops follow the graph's sticky-error rule: an op returns NULL on failure and records
 * the first error in the graph; an op given a NULL input returns NULL. So a forward
 * pass is written straight through and checked once with graph_status(). */
#ifndef FORGATHER_FG_HOST_API_H
#define FORGATHER_FG_HOST_API_H

#include "fg_components.h"
#include "fg_params.h"

FG_BEGIN_DECLS

#define FG_LOG_DEBUG 0
#define FG_LOG_INFO 1
#define FG_LOG_WARN 2
#define FG_LOG_ERROR 3

/* Parameter initializers for param_new. */
#define FG_INIT_ZEROS 0
#define FG_INIT_ONES 1
#define FG_INIT_NORMAL 2   /* N(0, arg^2) */
#define FG_INIT_UNIFORM 3  /* U(-arg, arg) */

/* graph_backward modes. INPUT computes gradients of everything but parameters (the B
 * pass of a zero-bubble pipeline); WEIGHT then accumulates parameter gradients (W). */
#define FG_BACKWARD_INPUT 1
#define FG_BACKWARD_WEIGHT 2
#define FG_BACKWARD_FULL 3

/* attention flags */
#define FG_ATTN_CAUSAL 1u
#define FG_ATTN_ALIBI 2u  /* ABI 1.3: linear biases (Press et al. 2022), slopes per head */

/* fg_attention_desc.impl (ABI 1.3) */
#define FG_ATTN_IMPL_AUTO 0  /* the host picks by sequence length and memory */
#define FG_ATTN_IMPL_PLAIN 1 /* keeps the softmax probabilities [B, H, T, T] for backward */
#define FG_ATTN_IMPL_LEAN 2  /* blocked online softmax: keeps O(B H T), recomputes in backward */

/* What op_attention computes (ABI 1.3). */
typedef struct fg_attention_desc {
    uint32_t struct_size;
    int32_t num_heads;    /* query heads H */
    int32_t num_kv_heads; /* key/value heads; 0 means H; must divide H (1: multi-query) */
    uint32_t flags;       /* FG_ATTN_CAUSAL, FG_ATTN_ALIBI */
    int32_t impl;         /* FG_ATTN_IMPL_* */
    int32_t reserved;
    double dropout;       /* on the attention probabilities while training, in [0, 1) */
    double scale;         /* of the scores; 0 means 1/sqrt(head_dim) */
} fg_attention_desc;

typedef struct fg_host_api {
    uint32_t struct_size;
    uint32_t reserved;

    /* errors and logging */
    void (*error_set)(fg_error *err, fg_status code, const char *fmt, ...) FG_PRINTF(3, 4);
    const char *(*status_str)(fg_status code);
    void (*log)(int32_t level, const char *fmt, ...) FG_PRINTF(2, 3);

    /* memory: 64-byte aligned; accounted by the host */
    void *(*alloc)(size_t bytes);
    void (*free)(void *ptr);

    /* validated configuration values (borrowed; valid during create only) */
    fg_status (*param_bool)(const fg_params *p, const char *key, int32_t *out, fg_error *err);
    fg_status (*param_int)(const fg_params *p, const char *key, int64_t *out, fg_error *err);
    fg_status (*param_float)(const fg_params *p, const char *key, double *out, fg_error *err);
    fg_status (*param_str)(const fg_params *p, const char *key, const char **out, fg_error *err);
    fg_status (*param_int_list)(const fg_params *p, const char *key, const int64_t **items,
                                uint64_t *n, fg_error *err);
    fg_status (*param_float_list)(const fg_params *p, const char *key, const double **items,
                                  uint64_t *n, fg_error *err);
    fg_status (*param_map)(const fg_params *p, const char *key, const fg_params **out,
                           fg_error *err);
    /* A partial stays valid for the life of the run: plugins may keep it. */
    fg_status (*param_partial)(const fg_params *p, const char *key, const fg_partial **out,
                               fg_error *err);
    /* Builds (singleton: once) and returns a host-owned object of the slot's kind. */
    fg_status (*param_object)(const fg_params *p, const char *key, void **out, fg_error *err);
    /* 1 when the key is present in the config or has a default, else 0. */
    int32_t (*param_present)(const fg_params *p, const char *key);

    /* partials: create an object now; the host owns and destroys it */
    fg_status (*partial_create)(const fg_partial *partial, const fg_create_args *args,
                                void **out, fg_error *err);
    int32_t (*partial_kind)(const fg_partial *partial);
    const char *(*partial_name)(const fg_partial *partial);

    /* parameters (persistent tensors with gradients), named by scope */
    fg_status (*scope_child)(fg_scope *parent, const char *name, fg_scope **out, fg_error *err);
    fg_status (*param_new)(fg_scope *scope, const char *name, int32_t ndim, const int64_t *shape,
                           int32_t init, double init_arg, fg_tensor **out, fg_error *err);
    /* All parameters created under the scope and its children, in creation order. */
    fg_status (*scope_params)(fg_scope *scope, uint64_t *n, fg_tensor *const **params,
                              fg_error *err);
    /* The scope the host created for an object of kind MODEL (NULL for others). */
    fg_scope *(*object_scope)(const void *object);

    /* tensors */
    int32_t (*tensor_dtype)(const fg_tensor *t);
    int32_t (*tensor_ndim)(const fg_tensor *t);
    int64_t (*tensor_dim)(const fg_tensor *t, int32_t axis); /* negative counts from the end */
    int64_t (*tensor_numel)(const fg_tensor *t);
    void *(*tensor_data)(fg_tensor *t);
    float *(*tensor_grad)(fg_tensor *t); /* NULL when it has none */
    const char *(*tensor_name)(const fg_tensor *t); /* parameters: dotted name; else "" */

    /* graphs: one forward/backward; memory comes from an arena reused across steps */
    fg_status (*graph_new)(fg_graph **out, fg_error *err);
    void (*graph_free)(fg_graph *g);
    void (*graph_reset)(fg_graph *g);        /* drops the tape and all activations */
    void (*graph_set_training)(fg_graph *g, int32_t training); /* 0: no tape, no dropout */
    void (*graph_set_seed)(fg_graph *g, uint64_t seed);         /* for dropout */
    fg_status (*graph_status)(const fg_graph *g, fg_error *err); /* the sticky error */
    /* root_grad NULL: root must be a scalar and its gradient is 1. */
    fg_status (*graph_backward)(fg_graph *g, fg_tensor *root, fg_tensor *root_grad,
                                int32_t mode, fg_error *err);
    fg_tensor *(*tensor_new)(fg_graph *g, int32_t dtype, int32_t ndim, const int64_t *shape);

    /* ops (see the sticky-error rule above); shapes are checked */
    fg_tensor *(*op_embedding)(fg_graph *g, fg_tensor *ids, fg_tensor *table);
    fg_tensor *(*op_linear)(fg_graph *g, fg_tensor *x, fg_tensor *w, fg_tensor *bias);
    fg_tensor *(*op_add)(fg_graph *g, fg_tensor *a, fg_tensor *b);
    fg_tensor *(*op_mul)(fg_graph *g, fg_tensor *a, fg_tensor *b);
    fg_tensor *(*op_scale)(fg_graph *g, fg_tensor *a, double s);
    fg_tensor *(*op_layernorm)(fg_graph *g, fg_tensor *x, fg_tensor *w, fg_tensor *bias, double eps);
    fg_tensor *(*op_rmsnorm)(fg_graph *g, fg_tensor *x, fg_tensor *w, double eps);
    fg_tensor *(*op_gelu)(fg_graph *g, fg_tensor *x);
    fg_tensor *(*op_silu)(fg_graph *g, fg_tensor *x);
    fg_tensor *(*op_relu)(fg_graph *g, fg_tensor *x);
    fg_tensor *(*op_softmax)(fg_graph *g, fg_tensor *x);
    /* qkv [B, T, 3*C] (q, k, v concatenated) -> [B, T, C], heads of C/num_heads */
    fg_tensor *(*op_attention_qkv)(fg_graph *g, fg_tensor *qkv, int32_t num_heads, uint32_t flags);
    fg_tensor *(*op_cross_entropy)(fg_graph *g, fg_tensor *logits, fg_tensor *targets);
    fg_tensor *(*op_reshape)(fg_graph *g, fg_tensor *x, int32_t ndim, const int64_t *shape);
    fg_tensor *(*op_dropout)(fg_graph *g, fg_tensor *x, double p);

    /* parameter-list helpers, threaded by the host */
    void (*params_zero_grad)(uint64_t n, fg_tensor *const *params);
    /* Global L2 norm of all gradients; scales them to max_norm when above it (> 0). */
    double (*params_clip_grad_norm)(uint64_t n, fg_tensor *const *params, double max_norm);

    /* runs */
    const char *(*run_dir)(const fg_run *run);
    uint64_t (*run_seed)(const fg_run *run);
    int32_t (*run_interrupted)(const fg_run *run); /* 1 after SIGINT/SIGTERM */
    /* Appends one record {step, key: value, ...} to trainer_logs.json. */
    fg_status (*run_log)(fg_run *run, int64_t step, uint32_t n, const char *const *keys,
                         const double *values, fg_error *err);
    fg_status (*save_safetensors)(const char *path, uint64_t n, fg_tensor *const *tensors,
                                  fg_error *err);
    double (*now)(void);                          /* monotonic seconds */
    uint64_t (*rng_next)(uint64_t *state);        /* splitmix64 step */
    /* A relative path is taken relative to the directory of the config file. */
    fg_status (*resolve_path)(const char *path, char *out, size_t cap, fg_error *err);
    /* Threads the host runs ops with (OpenMP and BLAS agree on it). */
    int32_t (*num_threads)(void);

    /* ---- ABI 1.1 ---- */
    /* A FG_PARAM_MAP_LIST value: *items[i] is the i-th mapping, validated. */
    fg_status (*param_map_list)(const fg_params *p, const char *key, const fg_params *const **items,
                                uint64_t *n, fg_error *err);
    /* Saved state (checkpoints): moves one array between `data` and the state, in the
     * state's direction. A state being written copies `data` under a unique name; a state
     * being read fills `data` from the array of that name and fails, naming it, when it is
     * missing or its dtype or shape differ. So one function can serve both save_state and
     * load_state. With a parameter, the entry is "<parameter name>.<name>", so state kept
     * per parameter never collides across optimizers of disjoint groups. */
    fg_status (*state_array)(fg_state *state, const fg_tensor *param, const char *name,
                             int32_t dtype, int32_t ndim, const int64_t *shape, void *data,
                             fg_error *err);
    /* A state to fill and write to a file, or one read from a file. */
    fg_status (*state_new)(fg_state **out, fg_error *err);
    fg_status (*state_write)(const fg_state *state, const char *path, fg_error *err);
    fg_status (*state_open)(const char *path, fg_state **out, fg_error *err);
    void (*state_free)(fg_state *state);
    /* Fills the given tensors from a safetensors file by name; a missing, extra or
     * differently shaped tensor is an error naming it. */
    fg_status (*load_safetensors)(const char *path, uint64_t n, fg_tensor *const *tensors,
                                  fg_error *err);
    /* Checkpoints: begin makes an empty temporary directory for step and returns its path;
     * commit renames it to <run dir>/checkpoint-<step> and then points `latest` at it, so a
     * crash never leaves a half-written checkpoint under the final name. */
    fg_status (*checkpoint_begin)(fg_run *run, int64_t step, char *dir, size_t cap, fg_error *err);
    fg_status (*checkpoint_commit)(fg_run *run, int64_t step, fg_error *err);
    /* The checkpoint directory this run resumes from, or NULL. */
    const char *(*run_resume_dir)(const fg_run *run);

    /* ---- ABI 1.2 ---- */
    /* A FG_PARAM_OBJECT_LIST value: the constructed objects in list order (singletons
     * shared with their aliases, factories new each time). *objects stays valid as long
     * as the objects; an absent parameter gives n = 0. */
    fg_status (*param_object_list)(const fg_params *p, const char *key, void *const **objects,
                                   uint64_t *n, fg_error *err);

    /* ---- ABI 1.3 ---- */
    /* Attention on a packed projection qkv [B, T, (H + 2 Hkv) D]: H query heads, then Hkv
     * key heads, then Hkv value heads, each D wide; query head h uses key/value head
     * h / (H / Hkv). Returns [B, T, H D]. With a KV cache (graph_kv_cache) the keys and
     * values of earlier forwards take part too. */
    fg_tensor *(*op_attention)(fg_graph *g, fg_tensor *qkv, const fg_attention_desc *desc);
    /* Rotary position embedding (RoFormer; the "rotate half" pairing of GPT-NeoX and
     * LLaMA: dimension i of a head turns with i + D/2) on the first n_heads heads of
     * width head_dim of x [B, T, W]; columns after them pass through. Position of row t
     * is graph_position(g) + t; frequencies base^(-2i/D). */
    fg_tensor *(*op_rope)(fg_graph *g, fg_tensor *x, int32_t n_heads, int32_t head_dim,
                          double base);
    /* Incremental decoding: gives an inference graph a key/value cache of `capacity`
     * positions (0 drops it). Each op_attention of a forward then appends its new keys
     * and values to a slot of its own (the n-th attention op of a forward uses slot n)
     * and attends over everything cached; graph_reset keeps the cache and moves the
     * position past the tokens of the forward. Refused on a training graph. */
    fg_status (*graph_kv_cache)(fg_graph *g, int64_t capacity, fg_error *err);
    /* Positions before the current forward's first token: the cached length with a KV
     * cache, else 0. Absolute positional encodings add it to t. */
    int64_t (*graph_position)(const fg_graph *g);
    /* Swish with a learned slope per channel (Ramachandran et al. 2017):
     * y = x * sigmoid(beta * x), beta [W] broadcast over the rows of x [..., W]. */
    fg_tensor *(*op_swish)(fg_graph *g, fg_tensor *x, fg_tensor *beta);

    /* Code generation: the services an emit_code entry calls (see fg_codegen below). */
    /* Appends text to the body of the function being written. */
    void (*code_printf)(fg_codegen *cg, const char *fmt, ...) FG_PRINTF(2, 3);
    /* The C expression (a `const float *`) for a parameter's data in the generated
     * program, e.g. "W->blocks_0_attn_qkv_weight"; NULL for a tensor that is not a
     * parameter of the exported model. */
    const char *(*code_param)(fg_codegen *cg, const fg_tensor *param);
    /* Writes the function of a child object (once) and a call to it into the current
     * body: for layers `F(x, y, T);`, with x and y C expressions of `float *` [T, C]. */
    fg_status (*code_call)(fg_codegen *cg, const void *child, const char *x, const char *y,
                           fg_error *err);
    /* A file-level definition the body needs beyond the runtime (fgc_runtime.h), written
     * once per name however many components ask for it. */
    fg_status (*code_helper)(fg_codegen *cg, const char *name, const char *definition,
                             fg_error *err);
} fg_host_api;

/* ---- fg_codegen (ABI 1.3) ----------------------------------------------------------
 * `fgrun code` turns a model into a standalone C program: <config>.c/.h written by the
 * components' emit_code entries, plus the Forgather C runtime (fgc_runtime.h: plain C99
 * functions over float arrays, batch 1) that the generated code calls. Each object writes
 * the body of one function; the host writes its signature, a comment naming the config
 * node the object came from, and the braces:
 *
 *   model      void F(const int32_t *tokens, int T, float *logits)   logits [T, vocab]
 *   block, attention, feedforward, norm
 *              void F(const float *x, float *y, int T)                x, y [T, d_model]
 *   tokenizer  the definitions of
 *                int fgc_encode(const char *text, int32_t *ids, int cap)  (returns count)
 *                int fgc_decode(int32_t id, char *out, int cap)          (returns bytes)
 *
 * Sizes other than T are known when the code is written: emit them as literals. Scratch
 * arrays come from fgc_alloc (freed with fgc_free before returning). Positions run from
 * 0 to T-1 (the generated program runs whole sequences, no KV cache). */

typedef struct fg_host_info {
    uint32_t struct_size;
    uint16_t abi_major, abi_minor;   /* offset 4: frozen forever */
    const fg_host_api *api;
    const char *host_version;
} fg_host_info;

FG_END_DECLS

#endif
