/* Fused multi-head scaled dot-product attention (optionally causal) on a packed
 * qkv [B, T, 3C] projection. Per (batch, head):
 *   S = scale Q K^T,  P = softmax(S) (row-wise, masked above the diagonal if causal),
 *   O = P V.
 * Backward, with dO the head's slice of dout:
 *   dP = dO V^T,  dS = P * (dP - rowsum(P * dP)),
 *   dQ = dS (scale K),  dK = dS^T (scale Q),  dV = P^T dO.
 *
 * Every product is done by one register-blocked micro-kernel (MR x NR tile of C,
 * accumulated over a k range), on per-thread copies of the head's slices that are
 * transposed/padded so tiles never need edge cases: rows and columns are padded with
 * zeros to multiples of NR. Causal attention only computes tiles that touch the lower
 * triangle. Work is parallel over (batch, head) pairs; each pair is computed by a
 * single thread in a fixed order, and writes only its own columns of out/dqkv, so the
 * results are identical for any thread count. Scratch: fgk__scratch per worker thread
 * (about (2 Tp + 4 hsp) Tp floats in backward, Tp = T rounded up to 32). */
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kernels.h"
#include "ops_util.h"

#define MR 4  /* tile rows */
#define NR 32 /* tile columns: two AVX-512 (or four AVX2) registers per row */

static int64_t round_up(int64_t x, int64_t m) {
    return (x + m - 1) / m * m;
}

/* c[r, j] = sum_{k0 <= k < k1} a[r*sam + k*sak] * b[k*ldb + j] for r < MR, j < NR.
 * The MR x NR accumulators live in registers; each k step loads one row of b and
 * broadcasts MR values of a, so a transposed a (sam = 1) costs nothing extra. */
FGK_INLINE void tile(float *c, int64_t ldc, const float *a, int64_t sam, int64_t sak,
                     const float *b, int64_t ldb, int64_t k0, int64_t k1) {
    float acc[MR][NR];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) acc[r][j] = 0.0f;
    for (int64_t k = k0; k < k1; k++) {
        const float *bk = b + k * ldb;
        for (int r = 0; r < MR; r++) {
            float ar = a[r * sam + k * sak];
            for (int j = 0; j < NR; j++) acc[r][j] += ar * bk[j];
        }
    }
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) c[r * ldc + j] = acc[r][j];
}

/* MR rows of C, columns [0, ncols) (a multiple of NR): C = A B over k in [k0, k1).
 * (A 4x16 tile for hs = 16 heads was tried: with half the accumulators it is latency
 * bound and slower than a half-wasted 4x32 tile.) */
FGK_INLINE void tile_row(float *c, int64_t ldc, const float *a, int64_t sam, int64_t sak,
                         const float *b, int64_t ldb, int64_t k0, int64_t k1, int64_t ncols) {
    for (int64_t n0 = 0; n0 < ncols; n0 += NR) tile(c + n0, ldc, a, sam, sak, b + n0, ldb, k0, k1);
}

/* ---- forward ------------------------------------------------------------------------ */

/* Asks for row t of this head's q, k and v slices ahead of use: consecutive rows are
 * 12 C bytes apart in qkv and usually come from DRAM; the hardware prefetchers do not
 * follow such strides across pages. */
static inline void prefetch_head_row(const float *base, int64_t t, int64_t T, int64_t C,
                                     int64_t hs) {
    if (t >= T) return;
    const float *row = base + t * 3 * C;
    for (int64_t part = 0; part < 3; part++)
        for (int64_t i = 0; i < hs; i += 16) __builtin_prefetch(row + part * C + i);
}

/* dst[0, L) = src[0, L) and dst[L, T) = 0. The probabilities are written once per
 * forward and read back only in backward, after the rest of the model has run, so they
 * go out with streaming stores: this skips the read-for-ownership of every line and
 * keeps the 4 B*H*T*T bytes out of the caches (SSE2, so every x86-64 clone has it; the
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

/* Per-thread scratch of one head, forward and backward (see the buffers below). */
static size_t fwd_scratch(int64_t Tp, int64_t hs, int64_t hsp) {
    return (size_t)(Tp * hs + hs * Tp + Tp * hsp + MR * Tp + MR * hsp);
}
static size_t bwd_scratch(int64_t Tp, int64_t hs, int64_t hsp) {
    return (size_t)(hs * Tp + 3 * Tp * hsp + 2 * Tp * Tp + MR * Tp + MR * hsp);
}

size_t fgk_attention_scratch_floats(int64_t T, int64_t C, int64_t H) {
    const int64_t hs = C / H, Tp = round_up(T, NR), hsp = round_up(hs, NR);
    size_t f = fwd_scratch(Tp, hs, hsp), b = bwd_scratch(Tp, hs, hsp);
    return f > b ? f : b;
}

FGK_CLONES static void attention_fwd_head(float *out, float *probs, const float *qkv, int64_t b,
                                          int64_t h, int64_t T, int64_t C, int64_t H,
                                          int causal) {
    const int64_t hs = C / H, C3 = 3 * C;
    const int64_t Tp = round_up(T, NR), hsp = round_up(hs, NR);
    const float scale = 1.0f / sqrtf((float)hs);
    const float *base = qkv + b * T * C3 + h * hs;
    float *probs_bh = probs + (b * H + h) * T * T;

    float *q = fgk__scratch(fwd_scratch(Tp, hs, hsp));
    float *kt = q + Tp * hs;   /* K^T [hs][Tp] */
    float *v = kt + hs * Tp;   /* V   [Tp][hsp] */
    float *s = v + Tp * hsp;   /* scores / probs of one row block [MR][Tp] */
    float *o = s + MR * Tp;    /* output rows of one row block [MR][hsp] */

    /* gather this head's slices; padding is zero so padded tiles are harmless */
    if (Tp != T || hsp != hs) memset(q, 0, (size_t)(Tp * hs + hs * Tp + Tp * hsp) * sizeof(float));
    for (int64_t t = 0; t < T; t++) {
        const float *row = base + t * C3;
        prefetch_head_row(base, t + 8, T, C, hs);
        for (int64_t i = 0; i < hs; i++) {
            q[t * hs + i] = row[i];
            kt[i * Tp + t] = row[C + i];
            v[t * hsp + i] = row[2 * C + i];
        }
    }

    for (int64_t t0 = 0; t0 < T; t0 += MR) {
        int64_t rows = T - t0 < MR ? T - t0 : MR;
        /* with a causal mask rows t0..t0+MR-1 see keys 0..t0+MR-1 only */
        int64_t kend = causal ? t0 + rows : T;
        tile_row(s, Tp, q + t0 * hs, hs, 1, kt, Tp, 0, hs, round_up(kend, NR));
        for (int64_t r = 0; r < rows; r++) {
            int64_t t = t0 + r, L = causal ? t + 1 : T;
            float *sr = s + r * Tp;
#pragma omp simd
            for (int64_t j = 0; j < L; j++) sr[j] *= scale;
            float m = fgk__max(sr, L);
            float inv = 1.0f / fgk__exp_shift_sum(sr, sr, m, L);
#pragma omp simd
            for (int64_t j = 0; j < L; j++) sr[j] *= inv;
            for (int64_t j = L; j < kend; j++) sr[j] = 0.0f; /* masked keys: P = 0 */
            store_probs_row(probs_bh + t * T, sr, L, T);
        }
        tile_row(o, hsp, s, Tp, 1, v, hsp, 0, kend, hsp);
        for (int64_t r = 0; r < rows; r++)
            memcpy(out + (b * T + t0 + r) * C + h * hs, o + r * hsp, (size_t)hs * sizeof(float));
    }
}

void fgk_attention_fwd(float *out, float *probs, const float *qkv, int64_t B, int64_t T,
                       int64_t C, int64_t H, int causal) {
#pragma omp parallel for schedule(static) if (B * H > 1 && B * T * C > FGK_PAR_MIN / 8)
    for (int64_t bh = 0; bh < B * H; bh++) {
        attention_fwd_head(out, probs, qkv, bh / H, bh % H, T, C, H, causal);
#if defined(__SSE2__)
        _mm_sfence(); /* order this head's streaming stores before anything later */
#endif
    }
}

/* ---- backward ----------------------------------------------------------------------- */

FGK_CLONES static void attention_bwd_head(float *dqkv, const float *dout, const float *qkv,
                                          const float *probs, int64_t b, int64_t h, int64_t T,
                                          int64_t C, int64_t H, int causal) {
    const int64_t hs = C / H, C3 = 3 * C;
    const int64_t Tp = round_up(T, NR), hsp = round_up(hs, NR);
    const float scale = 1.0f / sqrtf((float)hs);
    const float *base = qkv + b * T * C3 + h * hs;
    const float *probs_bh = probs + (b * H + h) * T * T;
    float *dbase = dqkv + b * T * C3 + h * hs;

    float *vt = fgk__scratch(bwd_scratch(Tp, hs, hsp));
    float *ks = vt + hs * Tp;    /* scale K [Tp][hsp] */
    float *qs = ks + Tp * hsp;   /* scale Q [Tp][hsp] */
    float *dop = qs + Tp * hsp;  /* dO      [Tp][hsp] */
    float *pp = dop + Tp * hsp;  /* P       [Tp][Tp], zero-padded */
    float *ds = pp + Tp * Tp;    /* dS      [Tp][Tp], zero-padded */
    float *dp = ds + Tp * Tp;    /* dP of one row block [MR][Tp] */
    float *tmp = dp + MR * Tp;   /* one row block of dQ, dK or dV [MR][hsp] */

    /* zero the padding of the transposed/scaled copies: vt, ks, qs, dop */
    if (Tp != T || hsp != hs) memset(vt, 0, (size_t)(hs * Tp + 3 * Tp * hsp) * sizeof(float));
    if (Tp > T) { /* padding rows of P and dS; rows < T are fully rewritten below */
        memset(pp + T * Tp, 0, (size_t)((Tp - T) * Tp) * sizeof(float));
        memset(ds + T * Tp, 0, (size_t)((Tp - T) * Tp) * sizeof(float));
    }
    for (int64_t t = 0; t < T; t++) {
        const float *row = base + t * C3;
        const float *dor = dout + (b * T + t) * C + h * hs;
        if (t + 8 < T) { /* see prefetch_head_row; dqkv is read and written later */
            prefetch_head_row(base, t + 8, T, C, hs);
            for (int64_t i = 0; i < hs; i += 16) __builtin_prefetch(dor + 8 * C + i);
            for (int64_t part = 0; part < 3; part++)
                for (int64_t i = 0; i < hs; i += 16)
                    __builtin_prefetch(dbase + (t + 8) * C3 + part * C + i, 1);
        }
        for (int64_t i = 0; i < hs; i++) {
            qs[t * hsp + i] = scale * row[i];
            ks[t * hsp + i] = scale * row[C + i];
            vt[i * Tp + t] = row[2 * C + i];
            dop[t * hsp + i] = dor[i];
        }
    }

    /* row blocks: dP, dS and dQ */
    for (int64_t t0 = 0; t0 < T; t0 += MR) {
        int64_t rows = T - t0 < MR ? T - t0 : MR;
        int64_t kend = causal ? t0 + rows : T;
        tile_row(dp, Tp, dop + t0 * hsp, hsp, 1, vt, Tp, 0, hs, round_up(kend, NR));
        for (int64_t r = 0; r < rows; r++) {
            int64_t t = t0 + r, L = causal ? t + 1 : T;
            const float *pr = probs_bh + t * T;
            const float *dpr = dp + r * Tp;
            float *ppr = pp + t * Tp, *dsr = ds + t * Tp;
            float d = fgk__dot(pr, dpr, L);
#pragma omp simd
            for (int64_t j = 0; j < L; j++) {
                ppr[j] = pr[j];
                dsr[j] = pr[j] * (dpr[j] - d);
            }
            memset(ppr + L, 0, (size_t)(Tp - L) * sizeof(float));
            memset(dsr + L, 0, (size_t)(Tp - L) * sizeof(float));
        }
        tile_row(tmp, hsp, ds + t0 * Tp, Tp, 1, ks, hsp, 0, kend, hsp);
        for (int64_t r = 0; r < rows; r++) {
            float *dq = dbase + (t0 + r) * C3;
#pragma omp simd
            for (int64_t i = 0; i < hs; i++) dq[i] += tmp[r * hsp + i];
        }
    }

    /* column blocks: dK = dS^T Qs and dV = P^T dO; with a causal mask key j only
     * receives gradient from queries t >= j */
    for (int64_t j0 = 0; j0 < T; j0 += MR) {
        int64_t rows = T - j0 < MR ? T - j0 : MR;
        int64_t kstart = causal ? j0 : 0;
        tile_row(tmp, hsp, ds + j0, 1, Tp, qs, hsp, kstart, T, hsp);
        for (int64_t r = 0; r < rows; r++) {
            float *dk = dbase + (j0 + r) * C3 + C;
#pragma omp simd
            for (int64_t i = 0; i < hs; i++) dk[i] += tmp[r * hsp + i];
        }
        tile_row(tmp, hsp, pp + j0, 1, Tp, dop, hsp, kstart, T, hsp);
        for (int64_t r = 0; r < rows; r++) {
            float *dv = dbase + (j0 + r) * C3 + 2 * C;
#pragma omp simd
            for (int64_t i = 0; i < hs; i++) dv[i] += tmp[r * hsp + i];
        }
    }
}

void fgk_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs,
                       int64_t B, int64_t T, int64_t C, int64_t H, int causal) {
    if (!dqkv) return;
#pragma omp parallel for schedule(static) if (B * H > 1 && B * T * C > FGK_PAR_MIN / 8)
    for (int64_t bh = 0; bh < B * H; bh++)
        attention_bwd_head(dqkv, dout, qkv, probs, bh / H, bh % H, T, C, H, causal);
}
