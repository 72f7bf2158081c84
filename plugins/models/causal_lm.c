/* The causal_lm plugin's descriptor: the model and the two block forms it stacks. */
#include "lm_internal.h"

#include <math.h>

const char *const lm_positional_names[] = {"learned", "sinusoidal", "none", NULL};

static const fg_param_spec causal_lm_spec[] = {
    FG_SPEC_REQ_INT("vocab_size", 2, 2e9, "number of token ids (rows of the embedding)"),
    FG_SPEC_REQ_INT("d_model", 1, 1e6, "width of the residual stream"),
    FG_SPEC_REQ_INT("num_layers", 1, 1e5, "number of blocks"),
    FG_SPEC_REQ_INT("max_seq_len", 1, 1e7,
                    "longest sequence the model accepts, positions in a KV cache included "
                    "(rows of wpe)"),
    FG_SPEC_PARTIAL("block", FG_KIND_BLOCK, 1,
                    "the block to stack; created once per layer with its layer index"),
    {"final_norm", FG_PARAM_PARTIAL, FG_KIND_NORM, 0, 0, "!partial:layernorm {}", 1, 0,
     "norm applied after the last block", NULL, NULL},
    FG_SPEC_STR("positional", "learned", lm_positional_names,
                "absolute positions added to the token embeddings: learned (parameter wpe "
                "[max_seq_len, d_model]); sinusoidal (Vaswani et al.: PE[p, 2i] = "
                "sin(p / 10000^(2i/d_model)), PE[p, 2i+1] = cos(...), no parameter); none (e.g. "
                "with rope or alibi attention)"),
    FG_SPEC_FLOAT("embedding_scale", "1.0", 0, INFINITY,
                  "multiplies the token embeddings before positions are added (not the tied "
                  "output projection); Vaswani et al. use sqrt(d_model) with sinusoidal "
                  "positions, so the positions do not drown the tokens"),
    FG_SPEC_BOOL("tie_embeddings", "true",
                 "share the output projection with the token embedding wte"),
    FG_SPEC_FLOAT("init_std", "0.02", 0, INFINITY,
                  "std of the normal init of the embeddings (and lm_head when untied)"),
};

static const fg_param_spec block_spec[] = {
    FG_SPEC_PARTIAL("attention", FG_KIND_ATTENTION, 1,
                    "the attention sub-layer (child scope 'attn')"),
    FG_SPEC_PARTIAL("feedforward", FG_KIND_FEEDFORWARD, 1,
                    "the feed-forward sub-layer (child scope 'ff')"),
    {"norm", FG_PARAM_PARTIAL, FG_KIND_NORM, 0, 0, "!partial:layernorm {}", 1, 0,
     "the norm, created twice (child scopes 'ln_1', 'ln_2')", NULL, NULL},
    FG_SPEC_FLOAT("dropout", "0.0", 0, 1,
                  "dropout on each sub-layer's output before the residual add, in [0, 1)"),
};

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_MODEL, "causal_lm",
               "Decoder-only language model (GPT-2 layout): token embeddings plus learned, "
               "sinusoidal or no positions, num_layers blocks, final norm, output projection "
               "tied to the token embedding (or lm_head); mean cross-entropy loss when given "
               "targets.",
               causal_lm_spec, lm_causal_lm_create),
    FG_FACTORY(FG_KIND_BLOCK, "pre_norm_block",
               "Pre-norm transformer block (GPT-2): x += attn(ln_1(x)); x += ff(ln_2(x)).",
               block_spec, lm_pre_norm_block_create),
    FG_FACTORY(FG_KIND_BLOCK, "post_norm_block",
               "Post-norm transformer block (original Transformer): x = ln_1(x + attn(x)); "
               "x = ln_2(x + ff(x)).",
               block_spec, lm_post_norm_block_create),
};

FG_PLUGIN_DEFINE("causal_lm", "0.1.0", "Causal language model and transformer blocks", "MIT",
                 factories)
