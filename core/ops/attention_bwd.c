/* Scaled dot-product attention, backward. With dO the head's slice of dout, M the
 * dropout mask (1 without dropout) and P the softmax of the forward:
 *   dP = M * (dO V^T),  dS = scale P * (dP - d),  d_i = rowsum(dO_i * O_i),
 *   dQ = dS K,  dK = dS^T Q,  dV = (M * P)^T dO
 * (d_i equals rowsum(P_i * dP_i), without needing whole rows at once). P is read from
 * the stored probabilities (plain path) or recomputed from the scores and the forward's
 * log-sum-exp, P = exp(S - lse) (lean path); both run in the same blocks of
 * ATT_ROW_BLOCK queries x ATT_KEY_BLOCK keys, so no T x T buffer exists here (the
 * FlashAttention-2 backward). Causal attention skips blocks above the diagonal and
 * trims tiles to the lower triangle inside the diagonal blocks.
 *
 * Work is parallel over (batch, kv head): the query heads of a group add into the same
 * dK and dV, so one thread takes them in order, and the results are identical for any
 * thread count. Scratch: att_bwd_scratch per worker thread. */
#include "attention_impl.h"

typedef struct bwd_ctx {
    const fgk_attn *a;
    const float *dout, *out, *probs, *lse;
    float *dq;
    int64_t b, Tq, Sp, Dp;
    /* scratch: the kv head's operands and gradient sums, then one query head's */
    float *kt, *vt, *k, *dk, *dv; /* K^T, V^T [D][Sp]; K, dK, dV [Sp][Dp] */
    float *q, *dout_h, *drow;     /* q, dO [Tq][Dp]; d [Tq] */
    float *p, *ds, *mask, *dq_blk; /* P, dS [ROW][KEY]; mask [KEY]; dQ [ROW][Dp] */
} bwd_ctx;

#define LDB ATT_KEY_BLOCK /* leading dimension of the P and dS blocks */

/* P and dS of rows r0 .. r0+rows-1 against keys j0 .. j1-1 (kend of them seen by the
 * last row); every entry of the rows up to the block width nc is written (0 where
 * masked), since the dK and dV tiles read whole columns. */
FGK_INLINE void block_rows(const bwd_ctx *c, int64_t h, int64_t r0, int64_t rows, int64_t i0,
                           int64_t j0, int64_t j1, int64_t kend, int64_t nc) {
    const fgk_attn *a = c->a;
    const int64_t T = a->T, S = a->S, D = a->D, past = S - T, ncr = att_round_up(kend - j0, NR);
    const float slope = a->slopes ? a->slopes[h] : 0.0f;
    float *p0 = c->p + (r0 - i0) * LDB, *ds0 = c->ds + (r0 - i0) * LDB;
    if (c->probs == NULL) /* raw scores, made probabilities below */
        att_tile_row(p0, LDB, c->q + r0 * c->Dp, c->Dp, 1, c->kt + j0, c->Sp, 0, D, ncr, 0);
    att_tile_row(ds0, LDB, c->dout_h + r0 * c->Dp, c->Dp, 1, c->vt + j0, c->Sp, 0, D, ncr, 0);
    for (int64_t r = 0; r < rows; r++) {
        const int64_t t = r0 + r, pos = past + t;
        int64_t n = att_row_len(a, pos, j1) - j0;
        float *p = p0 + r * LDB, *ds = ds0 + r * LDB;
        if (n < 0) n = 0;
        if (n > 0) {
            if (c->probs != NULL) {
                memcpy(p, c->probs + ((c->b * a->H + h) * T + t) * S + j0, (size_t)n * sizeof(float));
            } else {
                const float lse = c->lse[(c->b * a->H + h) * T + t];
                att_scale_scores(p, n, a->scale, slope, pos, j0);
#pragma omp simd
                for (int64_t j = 0; j < n; j++) p[j] = fgk__expf(p[j] - lse);
            }
            const float d = c->drow[t], scale = a->scale;
            if (a->dropout > 0.0f) {
                att_drop drop = att_drop_row(a, c->b, h, t);
                float *m = c->mask;
                att_drop_mask(m, &drop, j0, n);
#pragma omp simd
                for (int64_t j = 0; j < n; j++) {
                    ds[j] = scale * (p[j] * (m[j] * ds[j] - d));
                    p[j] *= m[j];
                }
            } else {
#pragma omp simd
                for (int64_t j = 0; j < n; j++) ds[j] = scale * (p[j] * (ds[j] - d));
            }
        }
        for (int64_t j = n; j < nc; j++) p[j] = ds[j] = 0.0f; /* usually none: no memset call */
    }
}

/* One query head h of the group: dQ into c->dq, dK and dV added to the group's sums. */
FGK_INLINE void head_bwd(bwd_ctx *c, int64_t h) {
    const fgk_attn *a = c->a;
    const int64_t T = a->T, S = a->S, D = a->D, past = S - T, HD = a->H * D, Dp = c->Dp;
    const float *dout_h = c->dout + c->b * T * HD + h * D, *out_h = c->out + c->b * T * HD + h * D;
    att_gather_rows(c->q, Dp, c->Tq, a->q + c->b * a->q_bs + h * D, a->q_ts, T, D);
    att_gather_rows(c->dout_h, Dp, c->Tq, dout_h, HD, T, D);
    for (int64_t t = 0; t < T; t++) c->drow[t] = fgk__dot(c->dout_h + t * Dp, out_h + t * HD, D);

    for (int64_t i0 = 0; i0 < T; i0 += ATT_ROW_BLOCK) {
        const int64_t i1 = i0 + ATT_ROW_BLOCK < T ? i0 + ATT_ROW_BLOCK : T;
        const int64_t jend = att_row_len(a, past + i1 - 1, S); /* keys the block sees */
        for (int64_t j0 = 0; j0 < jend; j0 += ATT_KEY_BLOCK) {
            const int64_t j1 = j0 + ATT_KEY_BLOCK < jend ? j0 + ATT_KEY_BLOCK : jend;
            const int64_t nc = att_round_up(j1 - j0, NR);
            for (int64_t r0 = i0; r0 < i1; r0 += MR) {
                const int64_t rows = i1 - r0 < MR ? i1 - r0 : MR;
                const int64_t kend = att_row_len(a, past + r0 + rows - 1, j1);
                if (kend <= j0) continue; /* above the diagonal: no dK/dV tile reads it */
                block_rows(c, h, r0, rows, i0, j0, j1, kend, nc);
                att_tile_row(c->dq_blk + (r0 - i0) * Dp, Dp, c->ds + (r0 - i0) * LDB, LDB, 1,
                             c->k + j0 * Dp, Dp, 0, kend - j0, Dp, j0 > 0);
            }
            /* MR keys at a time over the queries that see the first of them (the others
             * see zeros where they do not) */
            for (int64_t jj = j0; jj < j1; jj += MR) {
                int64_t k0 = a->causal && jj - past > i0 ? jj - past : i0;
                if (k0 >= i1) break;
                att_tile_row(c->dk + jj * Dp, Dp, c->ds + (jj - j0), 1, LDB, c->q + i0 * Dp, Dp,
                             k0 - i0, i1 - i0, Dp, 1);
                att_tile_row(c->dv + jj * Dp, Dp, c->p + (jj - j0), 1, LDB, c->dout_h + i0 * Dp,
                             Dp, k0 - i0, i1 - i0, Dp, 1);
            }
        }
        for (int64_t t = i0; t < i1; t++) {
            float *dq = c->dq + c->b * a->q_bs + t * a->q_ts + h * D;
            const float *src = c->dq_blk + (t - i0) * Dp;
#pragma omp simd
            for (int64_t i = 0; i < D; i++) dq[i] += src[i];
        }
    }
}

/* dst rows (stride ts) += src rows [n][ld], D columns. */
static void add_rows(float *dst, int64_t ts, const float *src, int64_t ld, int64_t n, int64_t D) {
    for (int64_t t = 0; t < n; t++) {
        float *d = dst + t * ts;
        const float *s = src + t * ld;
#pragma omp simd
        for (int64_t i = 0; i < D; i++) d[i] += s[i];
    }
}

FGK_CLONES static void attention_bwd_group(const fgk_attn *a, float *dq, float *dk, float *dv,
                                           const float *dout, const float *out,
                                           const float *probs, const float *lse, int64_t b,
                                           int64_t g) {
    const int64_t S = a->S, D = a->D, G = a->H / a->Hkv;
    bwd_ctx c = {.a = a, .dout = dout, .out = out, .probs = probs, .lse = lse, .dq = dq, .b = b};
    c.Tq = att_round_up(a->T, MR), c.Sp = att_round_up(S, NR), c.Dp = att_round_up(D, NR);
    const int64_t Sp = c.Sp, Dp = c.Dp;
    c.kt = fgk__scratch(att_bwd_scratch(c.Tq, Sp, D, Dp));
    c.vt = c.kt + D * Sp, c.k = c.vt + D * Sp, c.dk = c.k + Sp * Dp, c.dv = c.dk + Sp * Dp;
    c.q = c.dv + Sp * Dp, c.dout_h = c.q + c.Tq * Dp, c.drow = c.dout_h + c.Tq * Dp;
    c.p = c.drow + c.Tq, c.ds = c.p + ATT_ROW_BLOCK * LDB, c.mask = c.ds + ATT_ROW_BLOCK * LDB;
    c.dq_blk = c.mask + LDB;

    const float *kb = a->k + b * a->kv_bs + g * D, *vb = a->v + b * a->kv_bs + g * D;
    if (probs == NULL) att_gather_cols(c.kt, Sp, kb, a->kv_ts, S, D);
    att_gather_cols(c.vt, Sp, vb, a->kv_ts, S, D);
    att_gather_rows(c.k, Dp, Sp, kb, a->kv_ts, S, D);
    memset(c.dk, 0, (size_t)(2 * Sp * Dp) * sizeof(float)); /* dK and dV */
    for (int64_t h = g * G; h < (g + 1) * G; h++) head_bwd(&c, h);
    add_rows(dk + b * a->kv_bs + g * D, a->kv_ts, c.dk, Dp, S, D);
    add_rows(dv + b * a->kv_bs + g * D, a->kv_ts, c.dv, Dp, S, D);
}

void fgk_attention_bwd(const fgk_attn *a, float *dq, float *dk, float *dv, const float *dout,
                       const float *out, const float *probs, const float *lse) {
    if (dq == NULL) return;
    const int64_t BG = a->B * a->Hkv;
#pragma omp parallel for schedule(static) if (BG > 1 && a->B * a->H * (a->T + a->S) * a->D > FGK_PAR_MIN / 4)
    for (int64_t bg = 0; bg < BG; bg++)
        attention_bwd_group(a, dq, dk, dv, dout, out, probs, lse, bg / a->Hkv, bg % a->Hkv);
}
