/* APOLLO's math: the seeded Gaussian projection, the projected Adam moments, the
 * channel/tensor scaling factors, the norm-growth limiter and the final update.
 *
 * Projection generator (tests/py/test_apollo.py reproduces it in NumPy, so keep both in
 * step). The reference draws torch.randn(generator=manual_seed(seed)); torch's RNG is out of
 * scope, so this port uses splitmix64 + Box-Muller:
 *     gamma    = 0x9E3779B97F4A7C15
 *     mix64(z) = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27;
 *                z *= 0x94D049BB133111EB; z ^= z >> 31             (all mod 2^64)
 *     x_i(s)   = mix64(s + i*gamma), i = 1, 2, ...                  (splitmix64 stream)
 *     element e of P (row-major), pair q = e / 2, a = x_{2q+1}(s), b = x_{2q+2}(s):
 *         u1 = ((a >> 11) + 1) * 2^-53   in (0, 1]
 *         u2 = (b >> 11) * 2^-53         in [0, 1)
 *         z  = sqrt(-2 ln u1) * (e even ? cos(2 pi u2) : sin(2 pi u2))
 *         P[e] = (float)(z / sqrt(rank))   computed in double   (entries ~ N(0, 1/rank))
 * Seeds: the parameter with 0-based index k in the optimizer's list starts with
 *     s_{k,0} = mix64(seed + (k + 1)*gamma)
 * (the reference starts at the 1-based index), and every refresh after the first draw
 * moves on to s_{k,j+1} = mix64(s_{k,j} + gamma) (the reference: next_seed(seed)).
 * Refreshes happen when step % update_proj_gap == 0 on the pre-increment step count, as in
 * the reference (steps 0, gap, 2*gap, ...). The matrix is a pure function of its seed, so
 * it is regenerated every step instead of stored: 8 bytes of state instead of rank*n floats.
 *
 * Update of a rows x cols matrix G (zhuhanqing/APOLLO apollo_torch/apollo.py, AdamW.step,
 * with proj_type 'std'; reference doc section B.4):
 *     rows >= cols: P rank x cols, R = G P^T (rows x rank); channel c = row c of G
 *     rows <  cols: P rows x rank, R = P^T G (rank x cols); channel c = column c of G
 *     m, v = Adam moments of R (kept across refreshes, never reset); t += 1
 *     N  = m / (sqrt(v) + eps)                    eps before bias correction (HF-legacy)
 *     ss = lr * sqrt(1 - b2^t) / (1 - b1^t)
 *     s_c = ||N_c|| / (||R_c|| + 1e-8)            channel (norms along rank)
 *     s   = ||N||_F / (||R||_F + 1e-8)            tensor (APOLLO-Mini)
 *     S  = G * s                                   the RAW full-rank gradient is rescaled
 *     limiter (Fira, gamma 1.01): first step prev = ||S||; later
 *         lim = max(||S|| / (prev + 1e-8), 1.01) / 1.01; S /= lim; prev = ||S|| (after /lim)
 *     S *= sqrt(scale)                            sqrt, as the code (not the paper's alpha)
 *     p -= ss * S;  if wd > 0: p -= lr*wd*p       HF-legacy decay, after the update
 * Variant choices: scale_front (sqrt(scale) before the limiter) is not offered: with a
 * constant scale it changes only the 1e-8 guard of the limiter ratio. Norms are
 * accumulated in double (torch: fp32); moments and the update are fp32. */
#include "apollo.h"

#include <cblas.h>
#include <math.h>

#define APOLLO_GAMMA 0x9E3779B97F4A7C15ull
#define APOLLO_NORM_EPS 1e-8 /* the reference's guard in the scaling ratio and limiter */
#define APOLLO_NL_GAMMA 1.01 /* the reference's norm-growth limit per step */
#define COL_BLOCK 64         /* columns per task when channels are columns */
#define PAR_MIN 16384        /* elements below which a parallel region costs more */

uint64_t apollo_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t apollo_first_seed(uint64_t seed, uint64_t index) {
    return apollo_mix64(seed + (index + 1) * APOLLO_GAMMA);
}

uint64_t apollo_next_seed(uint64_t s) { return apollo_mix64(s + APOLLO_GAMMA); }

void apollo_gaussian_fill(uint64_t seed, int64_t n, double scale, float *out, int nth) {
    const int64_t pairs = (n + 1) / 2;
    const double two_pi = 6.283185307179586476925286766559;
    /* Counter-based: every pair is a function of (seed, q), so threads cannot change it. */
#pragma omp parallel for schedule(static) num_threads(nth) if (n >= PAR_MIN)
    for (int64_t q = 0; q < pairs; q++) {
        const uint64_t a = apollo_mix64(seed + (uint64_t)(2 * q + 1) * APOLLO_GAMMA);
        const uint64_t b = apollo_mix64(seed + (uint64_t)(2 * q + 2) * APOLLO_GAMMA);
        const double u1 = (double)((a >> 11) + 1) * 0x1.0p-53;
        const double u2 = (double)(b >> 11) * 0x1.0p-53;
        const double rad = sqrt(-2.0 * log(u1));
        out[2 * q] = (float)(rad * cos(two_pi * u2) * scale);
        if (2 * q + 1 < n) out[2 * q + 1] = (float)(rad * sin(two_pi * u2) * scale);
    }
}

/* Adam moment constants, rounded to fp32 where the reference applies them to fp32 tensors. */
typedef struct moment_consts {
    float b1, w1, b2, w2, eps;
} moment_consts;

static moment_consts consts_of(const apollo *o) {
    return (moment_consts){(float)o->beta1, (float)(1.0 - o->beta1), (float)o->beta2,
                           (float)(1.0 - o->beta2), (float)o->eps};
}

/* m, v <- moments of x; returns N = m / (sqrt(v) + eps). */
static inline float moment_step(float *m, float *v, float x, const moment_consts *k) {
    const float mi = *m * k->b1 + k->w1 * x;
    const float vi = *v * k->b2 + k->w2 * x * x;
    *m = mi;
    *v = vi;
    return mi / (sqrtf(vi) + k->eps);
}

void apollo_adamw_update(const apollo *o, apollo_param *pp, float *p, const float *g,
                         double lr, int nth) {
    pp->step += 1;
    const double bc1 = 1.0 - pow(o->beta1, (double)pp->step);
    const double bc2 = 1.0 - pow(o->beta2, (double)pp->step);
    const float neg_ss = (float)(-lr * sqrt(bc2) / bc1);
    const int decay_on = o->weight_decay > 0.0;
    const float neg_decay = (float)(-lr * o->weight_decay);
    const moment_consts k = consts_of(o);
    float *m = pp->m, *v = pp->v;
    const int64_t n = pp->numel;
#pragma omp parallel for schedule(static) num_threads(nth) if (n >= PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        const float ni = moment_step(&m[i], &v[i], g[i], &k);
        float pi = p[i] + neg_ss * ni;
        if (decay_on) pi = pi + neg_decay * pi;
        p[i] = pi;
    }
}

/* Moments of the projected gradient R (a x b, row-major) and, per channel, the sums of
 * squares of R (r2) and of N (n2). Channels are rows (by_row) or columns. Every channel is
 * summed in a fixed order by one thread, so the result does not depend on the threads. */
static void projected_moments(const float *R, float *m, float *v, int64_t a, int64_t b,
                              int by_row, const moment_consts *k, double *r2, double *n2,
                              int nth) {
    if (by_row) {
#pragma omp parallel for schedule(static) num_threads(nth) if (a * b >= PAR_MIN)
        for (int64_t i = 0; i < a; i++) {
            double sr = 0.0, sn = 0.0;
            for (int64_t j = 0; j < b; j++) {
                const int64_t e = i * b + j;
                const float ne = moment_step(&m[e], &v[e], R[e], k);
                sr += (double)R[e] * R[e];
                sn += (double)ne * ne;
            }
            r2[i] = sr;
            n2[i] = sn;
        }
        return;
    }
    const int64_t blocks = (b + COL_BLOCK - 1) / COL_BLOCK;
#pragma omp parallel for schedule(static) num_threads(nth) if (a * b >= PAR_MIN)
    for (int64_t blk = 0; blk < blocks; blk++) {
        const int64_t j0 = blk * COL_BLOCK, j1 = j0 + COL_BLOCK < b ? j0 + COL_BLOCK : b;
        for (int64_t j = j0; j < j1; j++) r2[j] = n2[j] = 0.0;
        for (int64_t i = 0; i < a; i++) {
            for (int64_t j = j0; j < j1; j++) {
                const int64_t e = i * b + j;
                const float ne = moment_step(&m[e], &v[e], R[e], k);
                r2[j] += (double)R[e] * R[e];
                n2[j] += (double)ne * ne;
            }
        }
    }
}

/* Per-channel sums of squares of G (rows x cols): rows (by_row) or columns. */
static void channel_sumsq(const float *g, int64_t rows, int64_t cols, int by_row, double *out,
                          int nth) {
    if (by_row) {
#pragma omp parallel for schedule(static) num_threads(nth) if (rows * cols >= PAR_MIN)
        for (int64_t i = 0; i < rows; i++) {
            double s = 0.0;
            for (int64_t j = 0; j < cols; j++) s += (double)g[i * cols + j] * g[i * cols + j];
            out[i] = s;
        }
        return;
    }
    const int64_t blocks = (cols + COL_BLOCK - 1) / COL_BLOCK;
#pragma omp parallel for schedule(static) num_threads(nth) if (rows * cols >= PAR_MIN)
    for (int64_t blk = 0; blk < blocks; blk++) {
        const int64_t j0 = blk * COL_BLOCK, j1 = j0 + COL_BLOCK < cols ? j0 + COL_BLOCK : cols;
        for (int64_t j = j0; j < j1; j++) out[j] = 0.0;
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = j0; j < j1; j++) out[j] += (double)g[i * cols + j] * g[i * cols + j];
    }
}

/* Norm-growth limiter: the divisor for this step's S, updating the remembered norm. */
static double limiter_divisor(apollo_param *pp, double snorm) {
    if (pp->nl_prev < 0.0) {
        pp->nl_prev = snorm; /* the first step is never limited */
        return 1.0;
    }
    const double lim = fmax(snorm / (pp->nl_prev + APOLLO_NORM_EPS), APOLLO_NL_GAMMA) /
                       APOLLO_NL_GAMMA;
    pp->nl_prev = snorm / lim;
    return lim;
}

void apollo_projected_update(const apollo *o, apollo_param *pp, float *p, const float *g,
                             double lr, const apollo_work *w, int nth) {
    const int64_t rows = pp->rows, cols = pp->cols, r = pp->rank;
    const int right = rows >= cols; /* the reference's 'std': project the smaller side */
    const int64_t big = right ? rows : cols, small = right ? cols : rows;

    /* The seed of step 0 was set at creation; later refreshes move to the next seed. */
    if (pp->step > 0 && pp->step % o->update_proj_gap == 0) pp->seed = apollo_next_seed(pp->seed);
    apollo_gaussian_fill(pp->seed, r * small, 1.0 / sqrt((double)r), w->proj, nth);
    if (right) /* R = G P^T: (rows x cols)(cols x r) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)r, (int)cols, 1.0f,
                    g, (int)cols, w->proj, (int)cols, 0.0f, w->low, (int)r);
    else /* R = P^T G: (r x rows)(rows x cols) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)r, (int)cols, (int)rows, 1.0f,
                    w->proj, (int)r, g, (int)cols, 0.0f, w->low, (int)cols);

    pp->step += 1;
    const double bc1 = 1.0 - pow(o->beta1, (double)pp->step);
    const double bc2 = 1.0 - pow(o->beta2, (double)pp->step);
    const double ss = lr * sqrt(bc2) / bc1;
    const moment_consts k = consts_of(o);
    /* R is big x r (channels = rows) when right, r x big (channels = columns) otherwise */
    projected_moments(w->low, pp->m, pp->v, right ? big : r, right ? r : big, right, &k, w->r2,
                      w->n2, nth);
    channel_sumsq(g, rows, cols, right, w->g2, nth);

    /* Scaling factors, summed serially in channel order for determinism. */
    if (o->tensor_scaling) {
        double sr = 0.0, sn = 0.0;
        for (int64_t c = 0; c < big; c++) {
            sr += w->r2[c];
            sn += w->n2[c];
        }
        const double s = sqrt(sn) / (sqrt(sr) + APOLLO_NORM_EPS);
        for (int64_t c = 0; c < big; c++) w->fac[c] = s;
    } else {
        for (int64_t c = 0; c < big; c++)
            w->fac[c] = sqrt(w->n2[c]) / (sqrt(w->r2[c]) + APOLLO_NORM_EPS);
    }
    double s2 = 0.0; /* ||S||^2 = sum_c s_c^2 ||G_c||^2 */
    for (int64_t c = 0; c < big; c++) s2 += w->fac[c] * w->fac[c] * w->g2[c];
    const double lim = o->limiter ? limiter_divisor(pp, sqrt(s2)) : 1.0;
    const double coef = ss * sqrt(o->scale) / lim;
    for (int64_t c = 0; c < big; c++) w->fac[c] *= -coef;

    const int decay_on = o->weight_decay > 0.0;
    const float neg_decay = (float)(-lr * o->weight_decay);
#pragma omp parallel for schedule(static) num_threads(nth) if (rows * cols >= PAR_MIN)
    for (int64_t i = 0; i < rows; i++) {
        for (int64_t j = 0; j < cols; j++) {
            const float f = (float)w->fac[right ? i : j];
            float pe = p[i * cols + j] + f * g[i * cols + j];
            if (decay_on) pe = pe + neg_decay * pe;
            p[i * cols + j] = pe;
        }
    }
}
