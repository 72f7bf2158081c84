/* The token sampler against closed forms: temperature gives softmax(logits / T); top-k
 * keeps the k most likely, renormalized; top-p keeps the smallest most-likely set whose
 * mass reaches p (after top-k); greedy and top-k 1 both pick the argmax (the lower id on
 * ties); draws land on each id with its probability (exactly for evenly spaced u, within
 * sampling error for random u); bad settings are refused naming them. */
#include "generate/sampler.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fg_test.h"

#define N 6

/* log(probs): the softmax at temperature 1 gives probs back. */
static void logits_of(const double *probs, float *logits, int n) {
    for (int i = 0; i < n; i++) logits[i] = (float)log(probs[i]);
}

/* The distribution of settings s over logits, checked against want (n entries). */
static void check_distribution(const char *what, const fg_sampling *s, const float *logits, const double *want,
                               int n, int64_t want_kept) {
    fg_sampler sp;
    fg_error err = {0};
    double got[N];
    CHECK_MSG(fg_sampler_init(&sp, s, n, &err) == FG_OK, "%s: %s", what, err.msg);
    if (sp.entries == NULL) return;
    int64_t kept = fg_sampler_distribution(&sp, logits, got);
    CHECK_MSG(kept == want_kept, "%s: kept %lld, want %lld", what, (long long)kept, (long long)want_kept);
    for (int i = 0; i < n; i++)
        CHECK_MSG(fabs(got[i] - want[i]) < 1e-6, "%s: p[%d] = %.9f, want %.9f", what, i, got[i], want[i]);
    fg_sampler_free(&sp);
}

/* Ids in a shuffled order, so the sort is exercised: p = 1/2, 1/4, 1/8, 1/16, 1/32, 1/32. */
static const double PROBS[N] = {0.0625, 0.5, 0.03125, 0.25, 0.03125, 0.125};

static void test_temperature(void) {
    float logits[N];
    logits_of(PROBS, logits, N);
    check_distribution("T=1 is the softmax", &(fg_sampling){1.0, 0, 1.0}, logits, PROBS, N, N);
    /* T = 0.5 squares the probabilities: p_i^2 / sum p_j^2 */
    double want[N], total = 0.0;
    for (int i = 0; i < N; i++) total += PROBS[i] * PROBS[i];
    for (int i = 0; i < N; i++) want[i] = PROBS[i] * PROBS[i] / total;
    check_distribution("T=0.5 squares", &(fg_sampling){0.5, 0, 1.0}, logits, want, N, N);
    /* T = 2: square roots */
    total = 0.0;
    for (int i = 0; i < N; i++) total += sqrt(PROBS[i]);
    for (int i = 0; i < N; i++) want[i] = sqrt(PROBS[i]) / total;
    check_distribution("T=2 takes roots", &(fg_sampling){2.0, 0, 1.0}, logits, want, N, N);
}

static void test_top_k_top_p(void) {
    float logits[N];
    logits_of(PROBS, logits, N);
    check_distribution("top-k 2", &(fg_sampling){1.0, 2, 1.0}, logits, (double[N]){0, 2.0 / 3, 0, 1.0 / 3, 0, 0}, N, 2);
    check_distribution("top-k beyond n keeps all", &(fg_sampling){1.0, 100, 1.0}, logits, PROBS, N, N);
    /* 1/2 + 1/4 reaches 0.75 exactly: two ids, not three */
    check_distribution("top-p 0.75", &(fg_sampling){1.0, 0, 0.75}, logits, (double[N]){0, 2.0 / 3, 0, 1.0 / 3, 0, 0},
                       N, 2);
    check_distribution("top-p 0.76", &(fg_sampling){1.0, 0, 0.76}, logits,
                       (double[N]){0, 4.0 / 7, 0, 2.0 / 7, 0, 1.0 / 7}, N, 3);
    check_distribution("top-p 0.5", &(fg_sampling){1.0, 0, 0.5}, logits, (double[N]){0, 1, 0, 0, 0, 0}, N, 1);
    check_distribution("top-p 0.01", &(fg_sampling){1.0, 0, 0.01}, logits, (double[N]){0, 1, 0, 0, 0, 0}, N, 1);
    /* top-k 3 leaves 4/7, 2/7, 1/7; top-p 0.8 of that: 4/7 + 2/7 = 6/7 >= 0.8 */
    check_distribution("top-k 3 then top-p 0.8", &(fg_sampling){1.0, 3, 0.8}, logits,
                       (double[N]){0, 2.0 / 3, 0, 1.0 / 3, 0, 0}, N, 2);
    /* equal logits: top-k keeps the lower ids */
    const float flat[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    check_distribution("top-k ties go to lower ids", &(fg_sampling){1.0, 2, 1.0}, flat, (double[N]){0.5, 0.5, 0, 0},
                       4, 2);
}

static void test_greedy(void) {
    const float logits[5] = {1.0f, 3.0f, -2.0f, 3.0f, 2.5f};
    check_distribution("greedy", &(fg_sampling){0.0, 0, 1.0}, logits, (double[N]){0, 1, 0, 0, 0}, 5, 1);
    fg_sampler greedy, top1;
    fg_error err = {0};
    CHECK(fg_sampler_init(&greedy, &(fg_sampling){0.0, 0, 1.0}, 5, &err) == FG_OK);
    CHECK(fg_sampler_init(&top1, &(fg_sampling){1.3, 1, 0.9}, 5, &err) == FG_OK);
    for (double u = 0.0; u < 1.0; u += 0.125) {
        CHECK_MSG(fg_sampler_draw(&greedy, logits, u) == 1, "greedy at u=%g", u);
        CHECK_MSG(fg_sampler_draw(&top1, logits, u) == 1, "top-k 1 at u=%g", u);
    }
    /* only the first n logits are candidates */
    const float wide[3] = {0.0f, 1.0f, 9.0f};
    fg_sampler two;
    CHECK(fg_sampler_init(&two, &(fg_sampling){0.0, 0, 1.0}, 2, &err) == FG_OK);
    CHECK(fg_sampler_draw(&two, wide, 0.5) == 1);
    fg_sampler_free(&two);
    fg_sampler_free(&greedy);
    fg_sampler_free(&top1);
}

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Frequencies of draws against the distribution: evenly spaced u hit each id's interval
 * within one draw of p N; random u within four standard deviations. */
static void test_frequencies(void) {
    const fg_sampling settings[] = {{1.0, 0, 1.0}, {0.7, 0, 1.0}, {1.0, 4, 1.0}, {1.5, 5, 0.9}, {0.8, 0, 0.6}};
    float logits[N];
    logits_of(PROBS, logits, N);
    enum { DRAWS = 200000 };
    for (size_t c = 0; c < sizeof settings / sizeof settings[0]; c++) {
        fg_sampler sp;
        fg_error err = {0};
        double p[N];
        if (fg_sampler_init(&sp, &settings[c], N, &err) != FG_OK) {
            CHECK_MSG(0, "settings %zu: %s", c, err.msg);
            continue;
        }
        fg_sampler_distribution(&sp, logits, p);
        long even[N] = {0}, random[N] = {0};
        uint64_t rng = 12345 + c;
        for (long i = 0; i < DRAWS; i++) {
            even[fg_sampler_draw(&sp, logits, ((double)i + 0.5) / DRAWS)]++;
            random[fg_sampler_draw(&sp, logits, (double)(splitmix64(&rng) >> 11) * 0x1.0p-53)]++;
        }
        for (int i = 0; i < N; i++) {
            const double expect = p[i] * DRAWS, sigma = sqrt(DRAWS * p[i] * (1.0 - p[i]));
            CHECK_MSG(fabs((double)even[i] - expect) <= 1.0, "settings %zu, id %d: %ld evenly spaced draws, want %.1f",
                      c, i, even[i], expect);
            CHECK_MSG(fabs((double)random[i] - expect) <= 4.0 * sigma + 1e-9,
                      "settings %zu, id %d: %ld random draws, want %.1f +- %.1f", c, i, random[i], expect, 4 * sigma);
        }
        fg_sampler_free(&sp);
    }
}

static void test_bad_settings(void) {
    const struct {
        fg_sampling s;
        const char *names;
    } bad[] = {
        {{-0.1, 0, 1.0}, "temperature"}, {{NAN, 0, 1.0}, "temperature"}, {{INFINITY, 0, 1.0}, "temperature"},
        {{1.0, -1, 1.0}, "top-k"},       {{1.0, 0, 0.0}, "top-p"},        {{1.0, 0, 1.5}, "top-p"},
        {{1.0, 0, NAN}, "top-p"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fg_error err = {0};
        fg_sampler sp;
        CHECK_MSG(fg_sampler_init(&sp, &bad[i].s, 4, &err) == FG_E_RANGE && strstr(err.msg, bad[i].names) != NULL,
                  "case %zu: '%s'", i, err.msg);
        CHECK(sp.entries == NULL);
    }
    fg_error err = {0};
    CHECK(fg_sampling_check(&(fg_sampling){0.0, 0, 1.0}, &err) == FG_OK);
    fg_sampler sp;
    CHECK(fg_sampler_init(&sp, &(fg_sampling){1.0, 0, 1.0}, 0, &err) == FG_E_RANGE);
}

int main(void) {
    test_temperature();
    test_top_k_top_p();
    test_greedy();
    test_frequencies();
    test_bad_settings();
    return fg_test_finish("test_sampler");
}
