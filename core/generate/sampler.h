/* Choosing the next token from a model's logits: temperature, then top-k, then top-p
 * (nucleus sampling, Holtzman et al. 2020), applied in the order Hugging Face's generate
 * applies them: top-p works on the distribution top-k left, renormalized. */
#ifndef FG_CORE_SAMPLER_H
#define FG_CORE_SAMPLER_H

#include <forgather/fg_abi.h>
#include <stdint.h>

typedef struct fg_sampling {
    double temperature; /* divides the logits; 0: greedy (the most likely token) */
    int64_t top_k;      /* keep the k most likely tokens; 0: all */
    double top_p;       /* keep the fewest most likely tokens whose mass reaches top_p; 1: all */
} fg_sampling;

/* FG_E_RANGE naming the setting unless temperature is finite and >= 0, top_k >= 0 and
 * 0 < top_p <= 1. */
fg_status fg_sampling_check(const fg_sampling *s, fg_error *err);

typedef struct fg_sampler_entry {
    double weight; /* exp((logit - max) / temperature) */
    int32_t id;
} fg_sampler_entry;

typedef struct fg_sampler {
    fg_sampling s;
    int64_t n;                 /* tokens are drawn from ids 0 .. n-1 */
    fg_sampler_entry *entries; /* [n] scratch */
} fg_sampler;

/* Checks the settings (fg_sampling_check) and makes room for n candidate ids. */
fg_status fg_sampler_init(fg_sampler *sp, const fg_sampling *s, int64_t n, fg_error *err);
void fg_sampler_free(fg_sampler *sp);

/* The distribution draws follow, for the first n logits: probs[id] (n of them) is zero
 * outside the kept set, the kept ids' probabilities sum to 1. Greedy: 1 for the most
 * likely id. Ties in likelihood go to the lower id. Returns how many ids are kept. */
int64_t fg_sampler_distribution(fg_sampler *sp, const float *logits, double *probs);

/* The next token: the kept ids laid out on [0, 1) by probability, the one under u
 * (a uniform number in [0, 1)). */
int32_t fg_sampler_draw(fg_sampler *sp, const float *logits, double u);

#endif
