/* Text generation with a model: a prefill forward over the prompt, then one forward per
 * new token, each drawn by the sampler.
 *
 * With the KV cache (graph_kv_cache of capacity max_seq_len) a forward feeds only the
 * tokens the cache does not hold yet. Without it, each forward runs over the whole context
 * window again: slower, the same numbers, a check of the cache. The window is the same
 * either way: the prompt's last max_seq_len tokens at first; when a new token would not
 * fit, the window restarts at the last max(1, max_seq_len / 2) tokens (a fresh prefill;
 * positions start again at 0), so later tokens still see half a window of context. */
#ifndef FG_CORE_GENERATE_H
#define FG_CORE_GENERATE_H

#include "generate/sampler.h"

#include <forgather/fg_components.h>
#include <stdbool.h>
#include <stdint.h>

/* Bounds the token buffer (prompt and new tokens are each at most this many). */
#define FG_GENERATE_MAX_TOKENS ((int64_t)1 << 30)

typedef struct fg_generate_opts {
    fg_sampling sampling;
    int64_t max_tokens; /* tokens to generate */
    uint64_t seed;      /* of the draws (splitmix64, as the host's rng_next) */
    bool use_cache;     /* the graph's KV cache; false: full forwards */
} fg_generate_opts;

/* Gets each token as soon as it is drawn; a status other than FG_OK stops generation. */
typedef fg_status (*fg_token_fn)(void *ctx, int32_t token, fg_error *err);

typedef struct fg_generate_stats {
    int64_t tokens; /* generated */
    double seconds; /* wall time of all forwards and draws */
} fg_generate_stats;

/* Generates after prompt[0..n_prompt) (n_prompt >= 1, every id below the model's
 * vocab_size) with the model (an object of kind MODEL and its vtable), drawing ids below
 * n_draw (at most vocab_size: the ids the tokenizer can decode). Errors name what failed:
 * the model's forward, the cache, a bad prompt. */
fg_status fg_generate(void *model, const fg_model_vtbl *vt, int64_t n_draw, const int32_t *prompt,
                      int64_t n_prompt, const fg_generate_opts *o, fg_token_fn emit, void *ctx,
                      fg_generate_stats *stats, fg_error *err);

#endif
