/* Attention on a packed q/k/v projection (grouped-query heads, ALiBi, dropout on the
 * probabilities, an optional KV cache), and a plain softmax. */
#include "autodiff/ops.h"
#include "ops/kernels.h"

#include <math.h>

/* What the backward needs: the kernel's description (its operands are the input's
 * data, valid until the graph is reset) and what the forward kept. */
typedef struct attention_record {
    fgk_attn a;
    float *probs, *lse; /* plain: probabilities [B, H, T, T]; lean: log-sum-exp [B, H, T] */
} attention_record;

static void attention_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    const attention_record *r = e->state;
    const int64_t H = r->a.H, Hkv = r->a.Hkv, D = r->a.D;
    float *dq = e->in[0]->grad;
    fgk_attention_bwd(&r->a, dq, dq + H * D, dq + (H + Hkv) * D, e->out->grad, fg_f32(e->out),
                      r->probs, r->lse);
    (void)g;
    (void)which;
}

/* AUTO keeps the probabilities while they are small, else takes the lean path.
 * Forward + backward, B = 1, H = 4, D = 32, causal, one thread (AMD EPYC with AVX-512,
 * process CPU time, best of several):
 *      T     plain      lean    probabilities (plain)
 *    128   0.176 ms  0.179 ms   256 KiB
 *    512    1.86 ms   1.88 ms     4 MiB
 *   1024    7.45 ms   7.96 ms    16 MiB
 *   2048    30.3 ms   31.4 ms    64 MiB
 *   4096     122 ms    127 ms   256 MiB
 * Recomputing costs the lean path 1-7%, while the probabilities take 4 B H T^2 bytes
 * per layer until the backward: so plain only while they stay within 32 MiB an op
 * (the tiny GPT's B = 16, T = 128, H = 4 keeps 4 MiB). */
#define ATTN_AUTO_PLAIN_MAX_BYTES (32.0 * 1024 * 1024)

static int use_lean(int32_t impl, const fgk_attn *a) {
    if (impl != FG_ATTN_IMPL_AUTO) return impl == FG_ATTN_IMPL_LEAN;
    double bytes = 4.0 * (double)a->B * (double)a->H * (double)a->T * (double)a->S;
    return bytes > ATTN_AUTO_PLAIN_MAX_BYTES;
}

/* Checks desc against qkv [B, T, (H + 2 Hkv) D] and fills a's shape and options (the
 * caller sets the operands). Returns 0 with the graph failed when anything is off. */
static int attention_setup(fg_graph *g, const fg_tensor *qkv, const fg_attention_desc *desc,
                           fgk_attn *a) {
    const uint32_t known = FG_ATTN_CAUSAL | FG_ATTN_ALIBI;
    char s[96];
    if (desc == NULL) {
        fg_graph_fail(g, FG_E_INVALID_ARG, "attention: desc is NULL");
    } else if (desc->struct_size < sizeof *desc) {
        fg_graph_fail(g, FG_E_ABI,
                      "attention: desc.struct_size is %u, fg_attention_desc has %zu bytes (set "
                      "it to sizeof(fg_attention_desc))", (unsigned)desc->struct_size, sizeof *desc);
    } else if (qkv->ndim != 3) {
        fg_graph_fail(g, FG_E_INVALID_ARG, "attention: qkv must be [B, T, (H + 2 Hkv) D], got %s",
                      fg_shape_str(qkv, s, sizeof s));
    } else if (desc->num_heads < 1) {
        fg_graph_fail(g, FG_E_INVALID_ARG, "attention: num_heads is %d; it must be >= 1",
                      (int)desc->num_heads);
    } else if (desc->num_kv_heads < 0 ||
               (desc->num_kv_heads > 0 && desc->num_heads % desc->num_kv_heads != 0)) {
        fg_graph_fail(g, FG_E_INVALID_ARG, "attention: num_kv_heads %d does not divide num_heads %d",
                      (int)desc->num_kv_heads, (int)desc->num_heads);
    } else if ((desc->flags & ~known) != 0) {
        fg_graph_fail(g, FG_E_INVALID_ARG, "attention: unknown flags 0x%x",
                      (unsigned)(desc->flags & ~known));
    } else if (desc->impl != FG_ATTN_IMPL_AUTO && desc->impl != FG_ATTN_IMPL_PLAIN &&
               desc->impl != FG_ATTN_IMPL_LEAN) {
        fg_graph_fail(g, FG_E_INVALID_ARG,
                      "attention: impl %d is not FG_ATTN_IMPL_AUTO (0), PLAIN (1) or LEAN (2)",
                      (int)desc->impl);
    } else if (!(desc->dropout >= 0.0 && desc->dropout < 1.0)) {
        fg_graph_fail(g, FG_E_RANGE, "attention: dropout %g is not in [0, 1)", desc->dropout);
    } else if (!isfinite(desc->scale)) {
        fg_graph_fail(g, FG_E_RANGE, "attention: scale %g is not finite", desc->scale);
    }
    if (g->status != FG_OK) return 0;
    const int64_t H = desc->num_heads, Hkv = desc->num_kv_heads ? desc->num_kv_heads : H;
    const int64_t W = qkv->shape[2], heads = H + 2 * Hkv;
    if (W % heads != 0 || W == 0) {
        fg_graph_fail(g, FG_E_INVALID_ARG,
                      "attention: qkv width %lld is not a positive multiple of num_heads + 2 "
                      "num_kv_heads = %lld + 2*%lld = %lld", (long long)W, (long long)H,
                      (long long)Hkv, (long long)heads);
        return 0;
    }
    *a = (fgk_attn){.B = qkv->shape[0], .T = qkv->shape[1], .S = qkv->shape[1], .H = H,
                    .Hkv = Hkv, .D = W / heads, .causal = (desc->flags & FG_ATTN_CAUSAL) != 0};
    a->scale = desc->scale != 0.0 ? (float)desc->scale : (float)(1.0 / sqrt((double)a->D));
    return 1;
}

fg_tensor *fg_op_attention(fg_graph *g, fg_tensor *qkv, const fg_attention_desc *desc) {
    if (!fg_op_inputs_ok(g, "attention", &qkv, 1)) return NULL;
    fgk_attn a;
    if (!attention_setup(g, qkv, desc, &a)) return NULL;
    const int64_t W = qkv->shape[2], HD = a.H * a.D, KD = a.Hkv * a.D;
    a.q = fg_f32(qkv);
    a.k = a.q + HD;
    a.v = a.k + KD;
    a.q_bs = a.kv_bs = a.T * W;
    a.q_ts = a.kv_ts = W;
    if (g->kv != NULL) { /* keys and values from the cache, this forward's appended */
        if (g->training)
            return fg_graph_fail(g, FG_E_INVALID_ARG,
                                 "attention: the graph has a KV cache but is training (a cache "
                                 "is for inference)");
        const int64_t past = fg_graph_position(g);
        const fg_kv_slot *slot = fg_graph_kv_append(g, a.k, a.v, a.B, a.T, KD, a.kv_bs, a.kv_ts);
        if (slot == NULL) return NULL;
        a.k = slot->k;
        a.v = slot->v;
        a.S = past + a.T;
        a.kv_bs = g->kv->capacity * KD;
        a.kv_ts = KD;
    }
    const int64_t shape[3] = {a.B, a.T, HD};
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, 3, shape);
    if (out == NULL) return NULL;
    /* ALiBi adds -slope_h |i - j| (absolute positions): Press et al.'s slope_h (j - i)
     * under the causal mask; without it, the symmetric form, so distance costs the same
     * both ways. */
    if (desc->flags & FG_ATTN_ALIBI) {
        float *slopes = fg_graph_buffer(g, a.H);
        if (slopes == NULL) return NULL;
        fgk_alibi_slopes(slopes, a.H);
        a.slopes = slopes;
    }
    if (g->training && desc->dropout > 0.0) { /* seeded like op_dropout */
        g->op_counter++;
        a.dropout = (float)desc->dropout;
        a.seed = g->seed * 0x9E3779B97F4A7C15ull + g->op_counter;
    }
    /* The same rule as fg_graph_record: what the backward will need is kept only then. */
    const int record = g->training && (qkv->flags & FG_T_NEEDS_GRAD);
    attention_record *rec = NULL;
    if (record) {
        rec = fg_arena_alloc(&g->arena, sizeof *rec);
        if (rec == NULL) return fg_graph_fail(g, FG_E_NOMEM, "attention: out of memory");
        rec->probs = rec->lse = NULL;
        if (use_lean(desc->impl, &a))
            rec->lse = fg_graph_buffer(g, a.B * a.H * a.T);
        else
            rec->probs = fg_graph_buffer(g, a.B * a.H * a.T * a.S);
        if (rec->lse == NULL && rec->probs == NULL) return NULL;
    }
    if (fgk_scratch_reserve(fgk_attention_scratch_floats(&a, rec && rec->probs, record)) != 0)
        return fg_graph_fail(g, FG_E_NOMEM, "attention: out of memory for per-thread scratch");
    fgk_attention_fwd(&a, fg_f32(out), rec ? rec->probs : NULL, rec ? rec->lse : NULL);
    if (record) {
        fg_tape_entry *e = fg_graph_record(g, attention_backward, out, &qkv, 1);
        if (e == NULL) return NULL; /* out of memory for the tape */
        rec->a = a;
        e->state = rec;
    }
    return out;
}

/* Multi-head attention over q, k, v of equal width: the general op with H = Hkv. */
fg_tensor *fg_op_attention_qkv(fg_graph *g, fg_tensor *qkv, int32_t num_heads, uint32_t flags) {
    const fg_attention_desc desc = {.struct_size = sizeof desc, .num_heads = num_heads,
                                    .flags = flags, .impl = FG_ATTN_IMPL_AUTO};
    return fg_op_attention(g, qkv, &desc);
}

static void softmax_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fgk_softmax_bwd(e->in[0]->grad, fg_f32(e->out), e->out->grad, fg_rows(e->out),
                    fg_last_dim(e->out));
    (void)g;
    (void)which;
}

fg_tensor *fg_op_softmax(fg_graph *g, fg_tensor *x) {
    if (!fg_op_inputs_ok(g, "softmax", &x, 1)) return NULL;
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, x->ndim, x->shape);
    if (out == NULL) return NULL;
    fgk_softmax_fwd(fg_f32(out), fg_f32(x), fg_rows(x), fg_last_dim(x));
    fg_graph_record(g, softmax_backward, out, &x, 1);
    return out;
}
