/* A text sample from the trained model, as a quick look at what it learned: repeated
 * forward passes over the last max_seq_len tokens (no KV cache: the model interface
 * has none, and a few hundred tokens of a small model cost little), sampling the next
 * token from the temperature-scaled softmax of the last position. */
#include "trainer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Uniform double in [0, 1) from the 53 high bits of the generator. */
static double uniform01(uint64_t *rng) {
    return (double)(fg_api->rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* temperature <= 0: greedy. Only ids below n are drawn (ids the tokenizer can decode). */
static int32_t draw(const float *logits, int64_t n, double temperature, uint64_t *rng) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (logits[i] > logits[best]) best = i;
    if (!(temperature > 0.0)) return (int32_t)best;
    const double mx = logits[best];
    double total = 0.0;
    for (int64_t i = 0; i < n; i++)
        total += exp(((double)logits[i] - mx) / temperature);
    double u = uniform01(rng) * total, acc = 0.0;
    for (int64_t i = 0; i < n; i++) {
        acc += exp(((double)logits[i] - mx) / temperature);
        if (u < acc) return (int32_t)i;
    }
    return (int32_t)best; /* only reached through rounding at the very end */
}

/* The next token after ctx[0..len). */
static fg_status next_token(simple_trainer *t, const int32_t *ctx, int64_t len, int64_t n_draw,
                            uint64_t *rng, int32_t *out, fg_error *err) {
    const int64_t max_T = t->model_vt->max_seq_len(t->model);
    const int64_t V = t->model_vt->vocab_size(t->model);
    const int64_t start = len > max_T ? len - max_T : 0, T = len - start;
    const int64_t shape[2] = {1, T};
    fg_api->graph_reset(t->g);
    fg_api->graph_set_training(t->g, 0);
    fg_tensor *x = fg_api->tensor_new(t->g, FG_DTYPE_I32, 2, shape);
    int32_t *xd = x != NULL ? fg_api->tensor_data(x) : NULL;
    if (xd == NULL) {
        fg_status st = fg_api->graph_status(t->g, err);
        if (st != FG_OK) return st;
        fg_api->error_set(err, FG_E_NOMEM, "simple: cannot allocate the sampling input");
        return FG_E_NOMEM;
    }
    memcpy(xd, ctx + start, sizeof(int32_t) * (size_t)T);
    fg_tensor *logits = NULL;
    fg_status st = t->model_vt->forward(t->model, t->g, x, NULL, &logits, NULL, err);
    if (st != FG_OK) return st;
    const float *l = NULL;
    if (logits != NULL && fg_api->tensor_dtype(logits) == FG_DTYPE_F32 &&
        fg_api->tensor_numel(logits) == T * V)
        l = fg_api->tensor_data(logits);
    if (l == NULL) {
        fg_api->error_set(err, FG_E_INTERNAL,
                          "simple: the model returned no fp32 [1, %lld, %lld] logits for sampling",
                          (long long)T, (long long)V);
        return FG_E_INTERNAL;
    }
    *out = draw(l + (T - 1) * V, n_draw, t->a.temperature, rng);
    return FG_OK;
}

/* Encodes the prompt into ctx (allocated with room for the sample); an empty prompt
 * starts from one newline token (byte vocabularies) or token 0. *skip counts the
 * leading tokens that are not part of the printed text. */
static fg_status encode_prompt(simple_trainer *t, int64_t vocab, int32_t **ctx, int64_t *len,
                               int64_t *skip, fg_error *err) {
    const char *prompt = t->a.sample_prompt != NULL ? t->a.sample_prompt : "";
    const size_t plen = strlen(prompt);
    size_t n = 0;
    fg_status st = FG_OK;
    if (plen > 0 && (st = t->tok_vt->encode(t->tokenizer, prompt, plen, NULL, 0, &n, err)) != FG_OK)
        return st;
    const size_t cap = (n > 0 ? n : 1) + (size_t)t->a.sample_tokens;
    int32_t *buf = fg_api->alloc(sizeof(int32_t) * cap);
    if (buf == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "simple: out of memory for the sample");
        return FG_E_NOMEM;
    }
    size_t got = 0;
    if (n > 0 && (st = t->tok_vt->encode(t->tokenizer, prompt, plen, buf, n, &got, err)) != FG_OK) {
        fg_api->free(buf);
        return st;
    }
    if (n == 0) {
        buf[0] = vocab == 256 ? 10 : 0;
        *len = 1;
        *skip = 1;
    } else {
        *len = (int64_t)n;
        *skip = 0;
    }
    for (int64_t i = 0; i < *len; i++) {
        if (buf[i] < 0 || buf[i] >= vocab) {
            fg_api->error_set(err, FG_E_RANGE,
                              "simple: sample_prompt token %d is outside the model's vocabulary "
                              "of %lld",
                              (int)buf[i], (long long)vocab);
            fg_api->free(buf);
            return FG_E_RANGE;
        }
    }
    *ctx = buf;
    return FG_OK;
}

static fg_status print_text(simple_trainer *t, const int32_t *ids, int64_t n, fg_error *err) {
    size_t need = 0;
    fg_status st = t->tok_vt->decode(t->tokenizer, ids, (size_t)n, NULL, 0, &need, err);
    if (st != FG_OK) return st;
    char *text = fg_api->alloc(need + 1);
    if (text == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "simple: out of memory decoding the sample");
        return FG_E_NOMEM;
    }
    size_t got = 0;
    st = t->tok_vt->decode(t->tokenizer, ids, (size_t)n, text, need + 1, &got, err);
    if (st == FG_OK) {
        fputs("--- sample ---\n", stdout);
        fwrite(text, 1, got < need ? got : need, stdout);
        fputs("\n--------------\n", stdout);
        fflush(stdout);
    }
    fg_api->free(text);
    return st;
}

fg_status sample_print(simple_trainer *t, fg_run *run, uint64_t *rng, fg_error *err) {
    if (t->a.sample_tokens <= 0) return FG_OK;
    if (t->tokenizer == NULL) {
        fg_api->log(FG_LOG_INFO, "simple: no tokenizer given; skipping the sample");
        return FG_OK;
    }
    const int64_t vocab = t->model_vt->vocab_size(t->model);
    const int64_t tok_vocab = t->tok_vt->vocab_size(t->tokenizer);
    /* a model vocabulary padded beyond the tokenizer's must not emit undecodable ids */
    const int64_t n_draw = tok_vocab > 0 && tok_vocab < vocab ? tok_vocab : vocab;
    int32_t *ctx = NULL;
    int64_t len = 0, skip = 0;
    fg_status st = encode_prompt(t, vocab, &ctx, &len, &skip, err);
    if (st != FG_OK) return st;
    for (int64_t k = 0; k < t->a.sample_tokens && !fg_api->run_interrupted(run); k++) {
        if ((st = next_token(t, ctx, len, n_draw, rng, &ctx[len], err)) != FG_OK) break;
        len++;
    }
    if (st == FG_OK) st = print_text(t, ctx + skip, len - skip, err);
    fg_api->free(ctx);
    return st;
}
