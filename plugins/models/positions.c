/* Absolute positions added to the token embeddings. Rows are positions pos0 .. pos0+T-1,
 * pos0 = graph_position (the tokens already in a KV cache), so incremental decoding sees
 * the same encodings as a whole-sequence forward. The [T, C] encodings broadcast over
 * the batch in op_add. */
#include "lm_internal.h"

#include "codegen_common.h"

#include <math.h>
#include <string.h>

/* wpe[pos0 + t]: a learned row per position. */
static fg_tensor *learned(fg_graph *g, fg_tensor *wpe, int64_t pos0, int64_t T) {
    const int64_t shape[1] = {T};
    fg_tensor *ids = fg_api->tensor_new(g, FG_DTYPE_I32, 1, shape);
    int32_t *p = ids != NULL ? fg_api->tensor_data(ids) : NULL;
    if (p == NULL) return NULL; /* tensor_new recorded the failure in the graph */
    for (int64_t t = 0; t < T; t++) p[t] = (int32_t)(pos0 + t);
    return fg_api->op_embedding(g, ids, wpe);
}

float *lm_sinusoid_table(int64_t rows, int64_t C) {
    float *v = fg_api->alloc(sizeof(float) * (size_t)(rows * C));
    if (v == NULL) return NULL;
    for (int64_t c = 0; c < C; c += 2) {
        const double inv_freq = pow(10000.0, -(double)c / (double)C); /* c = 2i */
        for (int64_t t = 0; t < rows; t++) {
            const double angle = (double)t * inv_freq;
            v[t * C + c] = (float)sin(angle);
            if (c + 1 < C) v[t * C + c + 1] = (float)cos(angle);
        }
    }
    return v;
}

/* Rows pos0 .. pos0+T-1 of the sinusoid table, as a graph constant. */
static fg_tensor *sinusoidal(fg_graph *g, const float *table, int64_t pos0, int64_t T, int64_t C) {
    const int64_t shape[2] = {T, C};
    fg_tensor *pe = fg_api->tensor_new(g, FG_DTYPE_F32, 2, shape);
    float *v = pe != NULL ? fg_api->tensor_data(pe) : NULL;
    if (v == NULL) return NULL;
    memcpy(v, table + pos0 * C, sizeof(float) * (size_t)(T * C));
    return pe;
}

fg_tensor *lm_add_positions(fg_graph *g, fg_tensor *x, lm_positional kind, fg_tensor *wpe,
                            const float *sinusoids, int64_t pos0) {
    if (kind == LM_POS_NONE || x == NULL) return x;
    const int64_t T = fg_api->tensor_dim(x, 1), C = fg_api->tensor_dim(x, 2);
    fg_tensor *pe = kind == LM_POS_LEARNED ? learned(g, wpe, pos0, T) : sinusoidal(g, sinusoids, pos0, T, C);
    return fg_api->op_add(g, x, pe);
}

void lm_code_positions(fg_codegen *cg, const char *x, lm_positional kind, const char *wpe,
                       int64_t max_seq_len, int64_t C) {
    if (kind == LM_POS_LEARNED)
        fg_api->code_printf(cg,
                            "    /* learned positions: x[t] += wpe[t] (wpe has %lld rows) */\n"
                            "    fgc_add_rows(%s, %s, T, %lld);\n",
                            (long long)max_seq_len, x, wpe, (long long)C);
    else if (kind == LM_POS_SINUSOIDAL)
        fg_api->code_printf(cg,
                            "    /* sinusoidal positions (Vaswani et al. 2017) */\n"
                            "    fgc_add_sinusoidal(%s, T, %lld);\n",
                            x, (long long)C);
    else
        fg_api->code_printf(cg, "    /* no absolute positions */\n");
}
