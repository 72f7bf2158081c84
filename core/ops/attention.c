/* Scaled dot-product attention, forward: per (batch, query head),
 *   S = scale Q K^T - slope |i - j|,  P = softmax(S) (row-wise, masked above the
 *   diagonal if causal),  O = dropout(P) V.
 * One kernel serves both paths. It walks row blocks of MR queries; for each it computes
 * the scores of a step of keys with the tile product, then folds them into running
 * row maxima and sums (the online softmax of FlashAttention), rescaling the output
 * accumulated so far. The plain path makes the whole row one step, which is an exact
 * softmax whose probabilities it stores for the backward; the lean path takes
 * ATT_KEY_BLOCK keys per step and keeps only each row's log-sum-exp. Causal attention
 * only computes tiles that touch the lower triangle.
 *
 * Work is parallel over (batch, head) pairs; each pair is computed by one thread in a
 * fixed order and writes only its own output columns, so the results are identical
 * for any thread count. Scratch: att_fwd_scratch per worker thread. */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "attention_impl.h"

/* dst[0, L) = src[0, L) and dst[L, T) = 0. The probabilities are written once per
 * forward and read back only in backward, after the rest of the model has run, so they
 * go out with streaming stores: this skips the read-for-ownership of every line and
 * keeps the 4 B*H*T*S bytes out of the caches (SSE2, so every x86-64 clone has it; the
 * caller fences before the data can be read). */
static void store_probs_row(float *dst, const float *src, int64_t L, int64_t T) {
    int64_t j = 0;
#if defined(__SSE2__)
    for (; j < T && ((uintptr_t)(dst + j) & 15); j++) dst[j] = j < L ? src[j] : 0.0f;
    for (; j + 4 <= T; j += 4) {
        __m128 v;
        if (j + 4 <= L) {
            v = _mm_loadu_ps(src + j);
        } else if (j >= L) {
            v = _mm_setzero_ps();
        } else { /* the block that straddles the diagonal */
            float t4[4];
            for (int k = 0; k < 4; k++) t4[k] = j + k < L ? src[j + k] : 0.0f;
            v = _mm_loadu_ps(t4);
        }
        _mm_stream_ps(dst + j, v);
    }
#endif
    for (; j < T; j++) dst[j] = j < L ? src[j] : 0.0f;
}

/* Keys per softmax step: the whole row when the probabilities are kept. */
static int64_t key_step(int64_t Sp, int keep_probs) {
    return keep_probs || Sp < ATT_KEY_BLOCK ? Sp : ATT_KEY_BLOCK;
}

size_t fgk_attention_scratch_floats(const fgk_attn *a, int keep_probs, int backward) {
    const int64_t Tq = att_round_up(a->T, MR), Sp = att_round_up(a->S, NR);
    const int64_t Dp = att_round_up(a->D, NR);
    size_t f = att_fwd_scratch(Tq, Sp, a->D, Dp, key_step(Sp, keep_probs));
    size_t b = backward ? att_bwd_scratch(Tq, Sp, a->D, Dp) : 0;
    return f > b ? f : b;
}

/* This head's q [Tq][Dp], K^T [D][Sp] and V [Sp][Dp], zero-padded, in one pass over
 * blocks of 16 positions: their rows usually share pages (a packed projection), and one
 * stream of prefetches a block ahead serves all three. */
FGK_INLINE void gather_head(float *q, float *kt, float *v, const fgk_attn *a, int64_t b, int64_t h,
                            int64_t g, int64_t Tq, int64_t Sp, int64_t Dp) {
    const int64_t T = a->T, S = a->S, D = a->D, qts = a->q_ts, kvts = a->kv_ts;
    const float *qb = a->q + b * a->q_bs + h * D, *kb = a->k + b * a->kv_bs + g * D;
    const float *vb = a->v + b * a->kv_bs + g * D;
    if (Dp != D || Tq != T || Sp != S) /* the padding; rows < T and < S are overwritten */
        memset(q, 0, (size_t)(Tq * Dp + D * Sp + Sp * Dp) * sizeof(float));
    for (int64_t t0 = 0; t0 < S; t0 += 16) {
        const int64_t n = S - t0 < 16 ? S - t0 : 16;
        for (int64_t t = t0; t < t0 + n; t++) {
            if (t + 16 < T) att_prefetch(qb + (t + 16) * qts, D);
            if (t + 16 < S) {
                att_prefetch(kb + (t + 16) * kvts, D);
                att_prefetch(vb + (t + 16) * kvts, D);
            }
            for (int64_t i = 0; t < T && i < D; i++) q[t * Dp + i] = qb[t * qts + i];
            for (int64_t i = 0; i < D; i++) v[t * Dp + i] = vb[t * kvts + i];
        }
        att_transpose_block(kt, Sp, t0, kb + t0 * kvts, kvts, n, D);
    }
}

/* Folds one step of scores (row r, keys j0 .. j0+n-1, already scaled) into the row's
 * running max m and sum l; leaves exp(s - m) in s and returns the factor the output
 * accumulated so far must be scaled by (1 on the first step, where nothing is). */
FGK_INLINE float online_softmax_step(float *s, int64_t n, int first, float *m, float *l) {
    float mx = fgk__max(s, n), alpha = 1.0f;
    if (first) {
        *m = mx;
    } else if (mx > *m) {
        alpha = fgk__expf(*m - mx);
        *m = mx;
    }
    float sum = fgk__exp_shift_sum(s, s, *m, n);
    *l = first ? sum : *l * alpha + sum;
    return alpha;
}

FGK_CLONES static void attention_fwd_head(const fgk_attn *a, float *out, float *probs, float *lse,
                                          int64_t b, int64_t h) {
    const int64_t T = a->T, S = a->S, D = a->D, past = S - T, HD = a->H * D;
    const int64_t g = h / (a->H / a->Hkv);
    const int64_t Tq = att_round_up(T, MR), Sp = att_round_up(S, NR), Dp = att_round_up(D, NR);
    const int64_t kb = key_step(Sp, probs != NULL);
    const float slope = a->slopes ? a->slopes[h] : 0.0f, scale = a->scale, p_drop = a->dropout;
    const int causal = a->causal;
    float *probs_bh = probs ? probs + (b * a->H + h) * T * S : NULL;
    float *lse_bh = lse ? lse + (b * a->H + h) * T : NULL;

    float *q = fgk__scratch(att_fwd_scratch(Tq, Sp, D, Dp, kb));
    float *kt = q + Tq * Dp; /* K^T [D][Sp] */
    float *v = kt + D * Sp;  /* V   [Sp][Dp] */
    float *s = v + Sp * Dp;  /* scores / probabilities of one row block and step [MR][kb] */
    float *o = s + MR * kb;  /* output rows of one row block [MR][Dp] */
    float *mask = o + MR * Dp; /* dropout mask of one row and step [kb] */
    float m[MR] = {0}, l[MR] = {0};

    gather_head(q, kt, v, a, b, h, g, Tq, Sp, Dp);

    for (int64_t t0 = 0; t0 < T; t0 += MR) {
        const int64_t rows = T - t0 < MR ? T - t0 : MR;
        /* rows t0..t0+MR-1 see keys 0..kend-1 only (with a causal mask) */
        const int64_t kend = causal && past + t0 + rows < S ? past + t0 + rows : S;
        const int whole = kend <= kb; /* one step: an exact softmax */
        for (int64_t j0 = 0; j0 < kend; j0 += kb) {
            const int64_t j1 = j0 + kb < kend ? j0 + kb : kend, nc = att_round_up(j1 - j0, NR);
            att_tile_row(s, kb, q + t0 * Dp, Dp, 1, kt + j0, Sp, 0, D, nc, 0);
            for (int64_t r = 0; r < rows; r++) {
                const int64_t t = t0 + r, pos = past + t;
                const int64_t L = causal && pos + 1 < j1 ? pos + 1 : j1;
                const int64_t n = L > j0 ? L - j0 : 0; /* >= 1 on the first step */
                float *sr = s + r * kb;
                if (n > 0) {
                    att_scale_scores(sr, n, scale, slope, pos, j0);
                    const float alpha = online_softmax_step(sr, n, j0 == 0, &m[r], &l[r]);
                    if (whole) { /* the exact softmax of the whole row */
                        const float inv = 1.0f / l[r];
#pragma omp simd
                        for (int64_t j = 0; j < n; j++) sr[j] *= inv;
                        if (probs_bh) store_probs_row(probs_bh + t * S, sr, n, S);
                    } else if (alpha != 1.0f) {
                        for (int64_t i = 0; i < Dp; i++) o[r * Dp + i] *= alpha;
                    }
                    if (p_drop > 0.0f) { /* after the sum: it normalises P itself */
                        att_drop d = att_drop_row(a, b, h, t);
                        att_drop_mask(mask, &d, j0, n);
#pragma omp simd
                        for (int64_t j = 0; j < n; j++) sr[j] *= mask[j];
                    }
                }
                for (int64_t j = n; j < j1 - j0; j++) sr[j] = 0.0f; /* masked keys: P = 0 */
            }
            att_tile_row(o, Dp, s, kb, 1, v + j0 * Dp, Dp, 0, j1 - j0, Dp, j0 > 0);
        }
        for (int64_t r = 0; r < rows; r++) {
            float *dst = out + (b * T + t0 + r) * HD + h * D;
            if (whole) {
                memcpy(dst, o + r * Dp, (size_t)D * sizeof(float));
            } else {
                float inv = 1.0f / l[r];
                for (int64_t i = 0; i < D; i++) dst[i] = o[r * Dp + i] * inv;
            }
            if (lse_bh) lse_bh[t0 + r] = m[r] + logf(l[r]);
        }
    }
}

void fgk_attention_fwd(const fgk_attn *a, float *out, float *probs, float *lse) {
    const int64_t BH = a->B * a->H;
#pragma omp parallel for schedule(static) if (BH > 1 && BH * (a->T + a->S) * a->D > FGK_PAR_MIN / 4)
    for (int64_t bh = 0; bh < BH; bh++) {
        attention_fwd_head(a, out, probs, lse, bh / a->H, bh % a->H);
#if defined(__SSE2__)
        if (probs) _mm_sfence(); /* order this head's streaming stores before anything later */
#endif
    }
}

void fgk_alibi_slopes(float *slopes, int64_t n) {
    int64_t m = 1;
    while (m * 2 <= n) m *= 2; /* the largest power of two <= n */
    for (int64_t k = 1; k <= m; k++) slopes[k - 1] = (float)exp2(-8.0 * (double)k / (double)m);
    for (int64_t i = m; i < n; i++) /* odd k of the series for 2m */
        slopes[i] = (float)exp2(-8.0 * (double)(2 * (i - m) + 1) / (double)(2 * m));
}
