/* Differentiable ops: check shapes, run the forward kernel, record the backward.
 * Signatures match the op slots of fg_host_api. */
#ifndef FG_CORE_OPS_H
#define FG_CORE_OPS_H

#include "autodiff/graph.h"

fg_tensor *fg_op_embedding(fg_graph *g, fg_tensor *ids, fg_tensor *table);
fg_tensor *fg_op_linear(fg_graph *g, fg_tensor *x, fg_tensor *w, fg_tensor *bias);
fg_tensor *fg_op_add(fg_graph *g, fg_tensor *a, fg_tensor *b);
fg_tensor *fg_op_mul(fg_graph *g, fg_tensor *a, fg_tensor *b);
fg_tensor *fg_op_scale(fg_graph *g, fg_tensor *a, double s);
fg_tensor *fg_op_layernorm(fg_graph *g, fg_tensor *x, fg_tensor *w, fg_tensor *bias, double eps);
fg_tensor *fg_op_rmsnorm(fg_graph *g, fg_tensor *x, fg_tensor *w, double eps);
fg_tensor *fg_op_gelu(fg_graph *g, fg_tensor *x);
fg_tensor *fg_op_silu(fg_graph *g, fg_tensor *x);
fg_tensor *fg_op_relu(fg_graph *g, fg_tensor *x);
fg_tensor *fg_op_softmax(fg_graph *g, fg_tensor *x);
fg_tensor *fg_op_attention_qkv(fg_graph *g, fg_tensor *qkv, int32_t num_heads, uint32_t flags);
fg_tensor *fg_op_cross_entropy(fg_graph *g, fg_tensor *logits, fg_tensor *targets);
fg_tensor *fg_op_reshape(fg_graph *g, fg_tensor *x, int32_t ndim, const int64_t *shape);
fg_tensor *fg_op_dropout(fg_graph *g, fg_tensor *x, double p);
fg_tensor *fg_op_attention(fg_graph *g, fg_tensor *qkv, const fg_attention_desc *desc);
fg_tensor *fg_op_swish(fg_graph *g, fg_tensor *x, fg_tensor *beta);
fg_tensor *fg_op_rope(fg_graph *g, fg_tensor *x, int32_t n_heads, int32_t head_dim, double base);

/* Shared by the op files: 0 (with the graph failed) when an input is NULL or not F32. */
int fg_op_inputs_ok(fg_graph *g, const char *op, fg_tensor *const *inputs, int n);
/* The rows of x seen as a matrix [rows, last dim]. */
static inline int64_t fg_rows(const fg_tensor *t) {
    return t->ndim == 0 ? 1 : t->numel / t->shape[t->ndim - 1];
}
static inline int64_t fg_last_dim(const fg_tensor *t) {
    return t->ndim == 0 ? 1 : t->shape[t->ndim - 1];
}

#endif
