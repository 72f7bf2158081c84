/* Learning-rate schedules as multipliers of the optimizer's base lr, following Hugging
 * Face's get_constant_schedule_with_warmup and get_cosine_schedule_with_warmup (plus
 * the min-lr floor of get_cosine_with_min_lr_schedule_with_warmup). `step` is 0-based
 * and taken before the update, like LambdaLR, so with warmup the first update uses 0. */
#include <forgather/plugin.h>

#include <math.h>
#include <string.h>

typedef struct lr_schedule {
    const fg_lr_schedule_vtbl *vt;
    int64_t warmup_steps;
    int64_t total_steps; /* cosine only */
    double min_lr_ratio; /* cosine only */
    double cycles;       /* cosine only */
} lr_schedule;

static void schedule_destroy(void *self) { fg_api->free(self); }

/* HF divides by max(1, warmup) so a warmup of 0 never divides by zero. */
static double warmup_factor(int64_t step, int64_t warmup) {
    return (double)step / (double)(warmup > 1 ? warmup : 1);
}

static double constant_factor(const void *self, int64_t step) {
    const lr_schedule *s = self;
    if (step < s->warmup_steps) return warmup_factor(step, s->warmup_steps);
    return 1.0;
}

static double cosine_factor(const void *self, int64_t step) {
    const lr_schedule *s = self;
    if (step < s->warmup_steps) return warmup_factor(step, s->warmup_steps);
    const int64_t decay_steps = s->total_steps - s->warmup_steps;
    const double progress =
        (double)(step - s->warmup_steps) / (double)(decay_steps > 1 ? decay_steps : 1);
    const double pi = 3.14159265358979323846;
    const double cosine = 0.5 * (1.0 + cos(pi * 2.0 * s->cycles * progress));
    const double f = s->min_lr_ratio + (1.0 - s->min_lr_ratio) * cosine;
    return f > s->min_lr_ratio ? f : s->min_lr_ratio;
}

static const fg_lr_schedule_vtbl constant_vtbl = {
    .base = {sizeof(fg_lr_schedule_vtbl), FG_KIND_LR_SCHEDULE, schedule_destroy},
    .factor = constant_factor,
};

static const fg_lr_schedule_vtbl cosine_vtbl = {
    .base = {sizeof(fg_lr_schedule_vtbl), FG_KIND_LR_SCHEDULE, schedule_destroy},
    .factor = cosine_factor,
};

static fg_status schedule_new(const fg_lr_schedule_vtbl *vt, lr_schedule **out, fg_error *err) {
    lr_schedule *s = fg_api->alloc(sizeof(lr_schedule));
    if (s == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "lr_schedules: out of memory");
        return FG_E_NOMEM;
    }
    memset(s, 0, sizeof(*s));
    s->vt = vt;
    *out = s;
    return FG_OK;
}

static fg_status constant_create(const fg_params *params, const fg_create_args *args, void **out,
                                 fg_error *err) {
    lr_schedule *s = NULL;
    fg_status st = schedule_new(&constant_vtbl, &s, err);
    if (st != FG_OK) return st;
    if ((st = fg_api->param_int(params, "warmup_steps", &s->warmup_steps, err)) != FG_OK) {
        schedule_destroy(s);
        return st;
    }
    *out = s;
    return FG_OK;
}

static fg_status cosine_create(const fg_params *params, const fg_create_args *args, void **out,
                               fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) || args->total_steps <= 0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "cosine: needs the length of training (total_steps > 0, got %lld) "
                          "from its owner, normally the trainer's max_steps",
                          (long long)(args != NULL ? args->total_steps : 0));
        return FG_E_INVALID_ARG;
    }
    lr_schedule *s = NULL;
    fg_status st = schedule_new(&cosine_vtbl, &s, err);
    if (st != FG_OK) return st;
    s->total_steps = args->total_steps;
    if ((st = fg_api->param_int(params, "warmup_steps", &s->warmup_steps, err)) != FG_OK ||
        (st = fg_api->param_float(params, "min_lr_ratio", &s->min_lr_ratio, err)) != FG_OK ||
        (st = fg_api->param_float(params, "cycles", &s->cycles, err)) != FG_OK) {
        schedule_destroy(s);
        return st;
    }
    *out = s;
    return FG_OK;
}

static const fg_param_spec constant_spec[] = {
    FG_SPEC_INT("warmup_steps", "0", 0, 1e15, "steps of linear warmup from 0 to the base lr"),
};

static const fg_param_spec cosine_spec[] = {
    FG_SPEC_INT("warmup_steps", "0", 0, 1e15, "steps of linear warmup from 0 to the base lr"),
    FG_SPEC_FLOAT("min_lr_ratio", "0.0", 0, 1,
                  "floor of the multiplier after warmup, as a fraction of the base lr"),
    FG_SPEC_FLOAT("cycles", "0.5", 0, 1e6,
                  "number of cosine waves over the decay (0.5: one half-wave down to the floor)"),
};

static const char *const constant_aliases[] = {"transformers:get_constant_schedule_with_warmup",
                                               NULL};
static const char *const cosine_aliases[] = {"transformers:get_cosine_schedule_with_warmup", NULL};

static const fg_factory_desc factories[] = {
    {sizeof(fg_factory_desc), FG_KIND_LR_SCHEDULE, "constant",
     "Linear warmup from 0 over warmup_steps, then the base lr (HF "
     "get_constant_schedule_with_warmup).",
     constant_spec, (uint32_t)(sizeof(constant_spec) / sizeof(constant_spec[0])), 0,
     constant_create, constant_aliases, NULL},
    {sizeof(fg_factory_desc), FG_KIND_LR_SCHEDULE, "cosine",
     "Linear warmup, then cosine decay to min_lr_ratio over the rest of training (HF "
     "get_cosine_schedule_with_warmup / _with_min_lr).",
     cosine_spec, (uint32_t)(sizeof(cosine_spec) / sizeof(cosine_spec[0])), 0, cosine_create,
     cosine_aliases, NULL},
};

FG_PLUGIN_DEFINE("lr_schedules", "0.1.0",
                 "Learning-rate schedules: constant and cosine with warmup", "MIT", factories)
