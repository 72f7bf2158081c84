/* Dropout with a counter-based random stream: element i's keep/drop decision depends
 * only on (seed, i), never on thread count or call order, so masks are reproducible and
 * can be regenerated. */
#include "kernels.h"
#include "ops_util.h"

FGK_CLONES static void dropout_range(float *out, float *mask, const float *x, uint64_t key,
                                     uint64_t threshold, float scale, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) {
        /* element i takes draw i of a splitmix64 stream whose state starts at key */
        uint64_t r = fgk__mix64(key + ((uint64_t)i + 1) * 0x9e3779b97f4a7c15ULL);
        float m = (r >> 40) >= threshold ? scale : 0.0f; /* 24-bit uniform vs p */
        if (mask) mask[i] = m;
        out[i] = x[i] * m;
    }
}

void fgk_dropout_fwd(float *out, float *mask, const float *x, float p, uint64_t seed, int64_t n) {
    /* keep with probability 1 - p: drop when the 24-bit draw u < p * 2^24 */
    uint64_t threshold;
    float scale;
    if (!(p > 0.0f)) { /* p <= 0 (or NaN): identity */
        threshold = 0;
        scale = 1.0f;
    } else if (p >= 1.0f) { /* drop everything */
        threshold = (uint64_t)1 << 24;
        scale = 0.0f;
    } else {
        threshold = (uint64_t)((double)p * 16777216.0 + 0.5);
        scale = (float)(1.0 / (1.0 - (double)p));
    }
    uint64_t key = fgk__mix64(seed); /* decorrelate nearby seeds */
#pragma omp parallel if (n > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        dropout_range(out, mask, x, key, threshold, scale, lo, hi);
    }
}
