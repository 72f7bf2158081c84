#include "generate/generate.h"

#include "autodiff/graph.h"
#include "host/host_api.h"
#include "memory/alloc.h"
#include "util/error.h"

#include <string.h>

typedef struct decoder {
    void *model;
    const fg_model_vtbl *vt;
    fg_graph *g;
    int64_t max_T, vocab;
    bool use_cache;
} decoder;

/* The logits of the last of tokens[0..n) after a forward on the graph (arena memory:
 * valid until the next reset). */
static fg_status forward(decoder *d, const int32_t *tokens, int64_t n, const float **last, fg_error *err) {
    const int64_t shape[2] = {1, n};
    fg_tensor *x = fg_graph_tensor(d->g, FG_DTYPE_I32, 2, shape);
    if (x == NULL) return fg_graph_get_status(d->g, err);
    memcpy(x->data, tokens, (size_t)n * sizeof *tokens);
    fg_tensor *logits = NULL;
    fg_status st = d->vt->forward(d->model, d->g, x, NULL, &logits, NULL, err);
    if (st != FG_OK) return st;
    if ((st = fg_graph_get_status(d->g, err)) != FG_OK) return st;
    if (logits == NULL || logits->dtype != FG_DTYPE_F32 || logits->numel != n * d->vocab)
        return fg_error_set(err, FG_E_INTERNAL, "generate: the model returned no fp32 [1, %lld, %lld] logits",
                            (long long)n, (long long)d->vocab);
    *last = (const float *)logits->data + (n - 1) * d->vocab;
    return FG_OK;
}

/* An empty cache for a new window (capacity 0 drops the old one). */
static fg_status restart_cache(decoder *d, fg_error *err) {
    fg_status st = fg_graph_kv_cache(d->g, 0, err);
    if (st == FG_OK) st = fg_graph_kv_cache(d->g, d->max_T, err);
    if (st != FG_OK) fg_error_prefix(err, "generate: KV cache of %lld positions", (long long)d->max_T);
    return st;
}

static fg_status check_prompt(const int32_t *prompt, int64_t n, int64_t vocab, fg_error *err) {
    if (n < 1) return fg_error_set(err, FG_E_INVALID_ARG, "generate: the prompt has no tokens");
    for (int64_t i = 0; i < n; i++)
        if (prompt[i] < 0 || prompt[i] >= vocab)
            return fg_error_set(err, FG_E_RANGE, "generate: prompt token %d is outside the model's vocabulary of %lld",
                                (int)prompt[i], (long long)vocab);
    return FG_OK;
}

/* The loop: ctx[start..len) is the window the model sees; the cache holds ctx[start..start+cached). */
static fg_status run(decoder *d, fg_sampler *sp, int32_t *ctx, int64_t len, const fg_generate_opts *o,
                     fg_token_fn emit, void *emit_ctx, fg_generate_stats *stats, fg_error *err) {
    const fg_host_api *api = fg_host_api_table();
    const int64_t restart = d->max_T / 2 > 0 ? d->max_T / 2 : 1;
    int64_t start = len > d->max_T ? len - d->max_T : 0, cached = 0;
    uint64_t rng = o->seed;
    fg_status st = FG_OK;
    for (int64_t k = 0; k < o->max_tokens && st == FG_OK; k++) {
        fg_graph_reset(d->g); /* keeps the cache; the position moves past the last forward */
        if (len - start > d->max_T) {
            start = len - restart;
            cached = 0;
            if (d->use_cache && (st = restart_cache(d, err)) != FG_OK) break;
        }
        const int64_t from = d->use_cache ? start + cached : start;
        const float *logits = NULL;
        if ((st = forward(d, ctx + from, len - from, &logits, err)) != FG_OK) break;
        if (d->use_cache) cached = len - start;
        const double u = (double)(api->rng_next(&rng) >> 11) * 0x1.0p-53; /* 53 bits: [0, 1) */
        ctx[len] = fg_sampler_draw(sp, logits, u);
        stats->tokens++;
        st = emit(emit_ctx, ctx[len], err);
        len++;
    }
    return st;
}

fg_status fg_generate(void *model, const fg_model_vtbl *vt, int64_t n_draw, const int32_t *prompt,
                      int64_t n_prompt, const fg_generate_opts *o, fg_token_fn emit, void *ctx,
                      fg_generate_stats *stats, fg_error *err) {
    memset(stats, 0, sizeof *stats);
    decoder d = {model, vt, NULL, vt->max_seq_len(model), vt->vocab_size(model), o->use_cache};
    fg_status st = check_prompt(prompt, n_prompt, d.vocab, err);
    if (st != FG_OK) return st;
    if (o->max_tokens < 0 || o->max_tokens > FG_GENERATE_MAX_TOKENS || n_prompt > FG_GENERATE_MAX_TOKENS)
        return fg_error_set(err, FG_E_RANGE, "generate: %lld prompt and %lld new tokens: at most %lld of each",
                            (long long)n_prompt, (long long)o->max_tokens, (long long)FG_GENERATE_MAX_TOKENS);
    fg_sampler sp;
    if ((st = fg_sampler_init(&sp, &o->sampling, n_draw < d.vocab ? n_draw : d.vocab, err)) != FG_OK) return st;
    int32_t *tokens = fg_alloc((size_t)(n_prompt + o->max_tokens) * sizeof *tokens);
    if (tokens == NULL) st = fg_error_set(err, FG_E_NOMEM, "generate: out of memory for %lld tokens",
                                          (long long)(n_prompt + o->max_tokens));
    if (st == FG_OK) st = fg_graph_create(&d.g, err);
    if (st == FG_OK) {
        d.g->training = 0; /* no tape, no dropout: and a KV cache is refused on a training graph */
        if (o->use_cache) st = restart_cache(&d, err);
    }
    if (st == FG_OK) {
        memcpy(tokens, prompt, (size_t)n_prompt * sizeof *tokens);
        const double t0 = fg_host_api_table()->now();
        st = run(&d, &sp, tokens, n_prompt, o, emit, ctx, stats, err);
        stats->seconds = fg_host_api_table()->now() - t0;
    }
    fg_graph_destroy(d.g);
    fg_free(tokens);
    fg_sampler_free(&sp);
    return st;
}
