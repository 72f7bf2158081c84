/* Learning-rate schedules as multipliers of the optimizer's base lr, following Hugging
 * Face's get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup (plus the
 * min-lr floor of get_cosine_with_min_lr_schedule_with_warmup),
 * get_linear_schedule_with_warmup, get_inverse_sqrt_schedule and get_wsd_schedule.
 * `step` is 0-based and taken before the update, like LambdaLR, so with warmup the first
 * update uses 0. Each formula keeps HF's operation order so results match it bit for bit. */
#include <forgather/plugin.h>

#include <math.h>
#include <string.h>

/* Curve shapes of warmup_stable_decay's warmup and decay phases (HF's warmup_type and
 * decay_type strings). */
#define SHAPE_LINEAR 0
#define SHAPE_COSINE 1
#define SHAPE_1_SQRT 2

typedef struct lr_schedule {
    const fg_lr_schedule_vtbl *vt;
    int64_t warmup_steps;
    int64_t total_steps;  /* cosine, linear */
    double min_lr_ratio;  /* cosine, linear, warmup_stable_decay */
    double cycles;        /* cosine, warmup_stable_decay */
    int64_t timescale;    /* inverse_sqrt */
    int64_t stable_steps; /* warmup_stable_decay */
    int64_t decay_steps;  /* warmup_stable_decay */
    int32_t warmup_shape, decay_shape; /* warmup_stable_decay: SHAPE_* */
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

/* HF _get_linear_schedule_with_warmup_lr_lambda after warmup:
 *     max(0.0, float(num_training_steps - step) / float(max(1, num_training_steps - warmup)))
 * then raised to the floor f = min + (1 - min) * that; with min_lr_ratio 0 (HF has no
 * floor here) f is HF's value exactly. */
static double linear_factor(const void *self, int64_t step) {
    const lr_schedule *s = self;
    if (step < s->warmup_steps) return warmup_factor(step, s->warmup_steps);
    const int64_t decay_steps = s->total_steps - s->warmup_steps;
    double f = (double)(s->total_steps - step) / (double)(decay_steps > 1 ? decay_steps : 1);
    if (f < 0.0) f = 0.0;
    return s->min_lr_ratio + (1.0 - s->min_lr_ratio) * f;
}

/* HF _get_inverse_sqrt_schedule_lr_lambda (after big_vision), after warmup:
 *     shift = timescale - num_warmup_steps
 *     decay = 1.0 / math.sqrt((current_step + shift) / timescale)
 * so the factor is 1 at the end of warmup and falls as 1/sqrt(step). */
static double inverse_sqrt_factor(const void *self, int64_t step) {
    const lr_schedule *s = self;
    if (step < s->warmup_steps) return warmup_factor(step, s->warmup_steps);
    const int64_t shift = s->timescale - s->warmup_steps;
    return 1.0 / sqrt((double)(step + shift) / (double)s->timescale);
}

/* HF _get_wsd_scheduler_lambda's curves: rising over warmup progress p, falling over
 * decay progress p. */
static double wsd_rise(int32_t shape, double p) {
    const double pi = 3.14159265358979323846;
    if (shape == SHAPE_COSINE) return 0.5 * (1.0 - cos(pi * p));
    if (shape == SHAPE_1_SQRT) return 1.0 - sqrt(1.0 - p);
    return p;
}

static double wsd_fall(int32_t shape, double cycles, double p) {
    const double pi = 3.14159265358979323846;
    if (shape == SHAPE_COSINE) return 0.5 * (1.0 + cos(pi * cycles * 2.0 * p));
    if (shape == SHAPE_1_SQRT) return 1.0 - sqrt(p);
    return 1.0 - p;
}

/* HF _get_wsd_scheduler_lambda:
 *     warmup:  p = step / max(1, W);             f = max(0, rise(p) * (1 - min) + min)
 *     stable:  1.0
 *     decay:   p = (step - W - S) / max(1, D);   f = max(0, fall(p) * (1 - min) + min)
 *     after:   min_lr_ratio
 * (HF's warmup starts at min_lr_ratio, not 0, since transformers 4.47.) */
static double wsd_factor(const void *self, int64_t step) {
    const lr_schedule *s = self;
    const double floor_ = s->min_lr_ratio;
    if (step < s->warmup_steps) {
        const double p = (double)step / (double)(s->warmup_steps > 1 ? s->warmup_steps : 1);
        const double f = wsd_rise(s->warmup_shape, p) * (1.0 - floor_) + floor_;
        return f > 0.0 ? f : 0.0;
    }
    if (step < s->warmup_steps + s->stable_steps) return 1.0;
    if (step < s->warmup_steps + s->stable_steps + s->decay_steps) {
        const double p = (double)(step - s->warmup_steps - s->stable_steps) /
                         (double)(s->decay_steps > 1 ? s->decay_steps : 1);
        const double f = wsd_fall(s->decay_shape, s->cycles, p) * (1.0 - floor_) + floor_;
        return f > 0.0 ? f : 0.0;
    }
    return floor_;
}

static const fg_lr_schedule_vtbl constant_vtbl = {
    .base = {sizeof(fg_lr_schedule_vtbl), FG_KIND_LR_SCHEDULE, schedule_destroy},
    .factor = constant_factor,
};

static const fg_lr_schedule_vtbl cosine_vtbl = {
    .base = {sizeof(fg_lr_schedule_vtbl), FG_KIND_LR_SCHEDULE, schedule_destroy},
    .factor = cosine_factor,
};

static const fg_lr_schedule_vtbl linear_vtbl = {
    .base = {sizeof(fg_lr_schedule_vtbl), FG_KIND_LR_SCHEDULE, schedule_destroy},
    .factor = linear_factor,
};

static const fg_lr_schedule_vtbl inverse_sqrt_vtbl = {
    .base = {sizeof(fg_lr_schedule_vtbl), FG_KIND_LR_SCHEDULE, schedule_destroy},
    .factor = inverse_sqrt_factor,
};

static const fg_lr_schedule_vtbl wsd_vtbl = {
    .base = {sizeof(fg_lr_schedule_vtbl), FG_KIND_LR_SCHEDULE, schedule_destroy},
    .factor = wsd_factor,
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

static fg_status linear_create(const fg_params *params, const fg_create_args *args, void **out,
                               fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) || args->total_steps <= 0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "linear: needs the length of training (total_steps > 0, got %lld) "
                          "from its owner, normally the trainer's max_steps",
                          (long long)(args != NULL ? args->total_steps : 0));
        return FG_E_INVALID_ARG;
    }
    lr_schedule *s = NULL;
    fg_status st = schedule_new(&linear_vtbl, &s, err);
    if (st != FG_OK) return st;
    s->total_steps = args->total_steps;
    if ((st = fg_api->param_int(params, "warmup_steps", &s->warmup_steps, err)) != FG_OK ||
        (st = fg_api->param_float(params, "min_lr_ratio", &s->min_lr_ratio, err)) != FG_OK) {
        schedule_destroy(s);
        return st;
    }
    *out = s;
    return FG_OK;
}

static fg_status inverse_sqrt_create(const fg_params *params, const fg_create_args *args,
                                     void **out, fg_error *err) {
    (void)args;
    lr_schedule *s = NULL;
    fg_status st = schedule_new(&inverse_sqrt_vtbl, &s, err);
    if (st != FG_OK) return st;
    if ((st = fg_api->param_int(params, "warmup_steps", &s->warmup_steps, err)) != FG_OK ||
        (st = fg_api->param_int(params, "timescale", &s->timescale, err)) != FG_OK) {
        schedule_destroy(s);
        return st;
    }
    /* HF: `timescale = num_warmup_steps or 10_000` when not given. */
    if (s->timescale == 0) s->timescale = s->warmup_steps > 0 ? s->warmup_steps : 10000;
    *out = s;
    return FG_OK;
}

static int32_t shape_code(const char *name) {
    if (strcmp(name, "cosine") == 0) return SHAPE_COSINE;
    if (strcmp(name, "1-sqrt") == 0) return SHAPE_1_SQRT;
    return SHAPE_LINEAR; /* the spec's choices admit nothing else */
}

/* The phase lengths: any two of stable and decay given, or one of them and the length of
 * training, from which the other is the rest (HF derives stable steps; here either). */
static fg_status wsd_lengths(lr_schedule *s, const fg_params *params, const fg_create_args *args,
                             fg_error *err) {
    const int has_stable = fg_api->param_present(params, "stable_steps");
    const int has_decay = fg_api->param_present(params, "decay_steps");
    fg_status st;
    if (has_stable && (st = fg_api->param_int(params, "stable_steps", &s->stable_steps, err)) != FG_OK)
        return st;
    if (has_decay && (st = fg_api->param_int(params, "decay_steps", &s->decay_steps, err)) != FG_OK)
        return st;
    if (has_stable && has_decay) return FG_OK;
    const int64_t total =
        (args != NULL && args->struct_size >= sizeof(fg_create_args)) ? args->total_steps : 0;
    if (total <= 0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "warmup_stable_decay: without both stable_steps and decay_steps it "
                          "needs the length of training (total_steps > 0, got %lld) from its "
                          "owner, normally the trainer's max_steps",
                          (long long)total);
        return FG_E_INVALID_ARG;
    }
    const int64_t rest = total - s->warmup_steps - (has_stable ? s->stable_steps : s->decay_steps);
    if (rest < 0) {
        fg_api->error_set(err, FG_E_RANGE,
                          "warmup_stable_decay: warmup_steps %lld + %s %lld exceed the %lld "
                          "steps of training",
                          (long long)s->warmup_steps, has_stable ? "stable_steps" : "decay_steps",
                          (long long)(has_stable ? s->stable_steps : s->decay_steps),
                          (long long)total);
        return FG_E_RANGE;
    }
    if (has_stable)
        s->decay_steps = rest;
    else if (has_decay)
        s->stable_steps = rest;
    else {
        /* Neither given: no stable phase, decay over the rest of training. */
        s->stable_steps = 0;
        s->decay_steps = rest;
    }
    return FG_OK;
}

static fg_status wsd_create(const fg_params *params, const fg_create_args *args, void **out,
                            fg_error *err) {
    lr_schedule *s = NULL;
    fg_status st = schedule_new(&wsd_vtbl, &s, err);
    if (st != FG_OK) return st;
    const char *warmup_type = NULL, *decay_type = NULL;
    if ((st = fg_api->param_int(params, "warmup_steps", &s->warmup_steps, err)) != FG_OK ||
        (st = fg_api->param_float(params, "min_lr_ratio", &s->min_lr_ratio, err)) != FG_OK ||
        (st = fg_api->param_float(params, "cycles", &s->cycles, err)) != FG_OK ||
        (st = fg_api->param_str(params, "warmup_type", &warmup_type, err)) != FG_OK ||
        (st = fg_api->param_str(params, "decay_type", &decay_type, err)) != FG_OK ||
        (st = wsd_lengths(s, params, args, err)) != FG_OK) {
        schedule_destroy(s);
        return st;
    }
    s->warmup_shape = shape_code(warmup_type);
    s->decay_shape = shape_code(decay_type);
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

static const fg_param_spec linear_spec[] = {
    FG_SPEC_INT("warmup_steps", "0", 0, 1e15, "steps of linear warmup from 0 to the base lr"),
    FG_SPEC_FLOAT("min_lr_ratio", "0.0", 0, 1,
                  "multiplier reached at the end of training (0: HF's linear decay to 0)"),
};

static const fg_param_spec inverse_sqrt_spec[] = {
    FG_SPEC_INT("warmup_steps", "0", 0, 1e15, "steps of linear warmup from 0 to the base lr"),
    FG_SPEC_INT("timescale", "0", 0, 1e15,
                "steps over which the decay is measured; 0 = warmup_steps, or 10000 when "
                "there is no warmup (HF's default)"),
};

static const char *const wsd_shapes[] = {"linear", "cosine", "1-sqrt", NULL};

static const fg_param_spec wsd_spec[] = {
    FG_SPEC_INT("warmup_steps", "0", 0, 1e15, "steps of warmup from min_lr_ratio to the base lr"),
    FG_SPEC_INT("stable_steps", NULL, 0, 1e15,
                "steps at the base lr after warmup; default: the rest of training after "
                "warmup and decay"),
    FG_SPEC_INT("decay_steps", NULL, 0, 1e15,
                "steps of decay to min_lr_ratio; default: the rest of training after warmup "
                "and the stable phase"),
    FG_SPEC_FLOAT("min_lr_ratio", "0.0", 0, 1,
                  "multiplier at the start of warmup, the end of decay and after it"),
    FG_SPEC_STR("warmup_type", "linear", wsd_shapes, "shape of the warmup curve"),
    FG_SPEC_STR("decay_type", "cosine", wsd_shapes, "shape of the decay curve"),
    FG_SPEC_FLOAT("cycles", "0.5", 0, 1e6,
                  "cosine decay only: number of cosine waves over the decay (0.5: a half-wave)"),
};

static const char *const constant_aliases[] = {"transformers:get_constant_schedule_with_warmup",
                                               NULL};
static const char *const cosine_aliases[] = {"transformers:get_cosine_schedule_with_warmup", NULL};
static const char *const linear_aliases[] = {"transformers:get_linear_schedule_with_warmup", NULL};
static const char *const inverse_sqrt_aliases[] = {"transformers:get_inverse_sqrt_schedule", NULL};
static const char *const wsd_aliases[] = {"transformers:get_wsd_schedule", NULL};

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
    {sizeof(fg_factory_desc), FG_KIND_LR_SCHEDULE, "linear",
     "Linear warmup from 0, then linear decay to min_lr_ratio at the end of training (HF "
     "get_linear_schedule_with_warmup when min_lr_ratio is 0).",
     linear_spec, (uint32_t)(sizeof(linear_spec) / sizeof(linear_spec[0])), 0, linear_create,
     linear_aliases, NULL},
    {sizeof(fg_factory_desc), FG_KIND_LR_SCHEDULE, "inverse_sqrt",
     "Linear warmup from 0, then 1/sqrt((step + timescale - warmup_steps) / timescale) (HF "
     "get_inverse_sqrt_schedule).",
     inverse_sqrt_spec, (uint32_t)(sizeof(inverse_sqrt_spec) / sizeof(inverse_sqrt_spec[0])), 0,
     inverse_sqrt_create, inverse_sqrt_aliases, NULL},
    {sizeof(fg_factory_desc), FG_KIND_LR_SCHEDULE, "warmup_stable_decay",
     "Warmup, a stable phase at the base lr, then a linear, cosine or 1-sqrt decay to "
     "min_lr_ratio (HF get_wsd_schedule).",
     wsd_spec, (uint32_t)(sizeof(wsd_spec) / sizeof(wsd_spec[0])), 0, wsd_create, wsd_aliases,
     NULL},
};

FG_PLUGIN_DEFINE("lr_schedules", "0.1.0",
                 "Learning-rate schedules: constant, cosine, linear, inverse_sqrt and warmup-stable-decay", "MIT", factories)
