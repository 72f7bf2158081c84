/* Parameter groups: routes each parameter to the first group whose glob (on the dotted
 * name) and rank match it, and builds one inner optimizer per group over its parameters,
 * as Forgather's multiopt does in Python. Typical use: a matrix optimizer (GaLore, APOLLO)
 * for 2-D weights and AdamW without weight decay for biases and norms.
 *
 * The inner optimizers come from their partials through the host, which owns them: this
 * object never destroys them. Every group steps with the same lr_factor, so one LR
 * schedule scales every group's own base lr. */
#include <forgather/plugin.h>

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

typedef struct opt_group {
    void *opt; /* host-owned */
    const fg_optimizer_vtbl *vt;
    fg_tensor **params; /* slice of multi_optimizer.order */
    uint64_t n_params;
    char desc[192]; /* "groups[k] (pattern '...', optimizer '...')" for errors */
} opt_group;

typedef struct multi_optimizer {
    const fg_optimizer_vtbl *vt;
    uint64_t n_groups;
    opt_group *groups;
    fg_tensor **order; /* every parameter, grouped; kept alive since groups were given it */
} multi_optimizer;

/* Inner errors already name their optimizer; this adds which group it was. */
static fg_status wrap_error(fg_error *err, fg_status st, uint64_t group) {
    char inner[FG_ERROR_MSG_SIZE];
    snprintf(inner, sizeof inner, "%s", err->msg);
    fg_api->error_set(err, st, "multi_optimizer: groups[%llu]: %s", (unsigned long long)group,
                      inner);
    return st;
}

static fg_status multi_step(void *self, double lr_factor, fg_error *err) {
    multi_optimizer *o = self;
    for (uint64_t k = 0; k < o->n_groups; k++) {
        opt_group *g = &o->groups[k];
        fg_status st = g->vt->step(g->opt, lr_factor, err);
        if (st != FG_OK) return wrap_error(err, st, k);
    }
    return FG_OK;
}

static double multi_base_lr(const void *self) {
    const multi_optimizer *o = self;
    return o->n_groups > 0 ? o->groups[0].vt->base_lr(o->groups[0].opt) : 0.0;
}

static uint64_t multi_state_bytes(const void *self) {
    const multi_optimizer *o = self;
    uint64_t total = 0;
    for (uint64_t k = 0; k < o->n_groups; k++) {
        const opt_group *g = &o->groups[k];
        /* state_bytes is an ABI 1.1 slot: an older inner optimizer may not have it. */
        if (g->vt->base.struct_size >=
                offsetof(fg_optimizer_vtbl, state_bytes) + sizeof(g->vt->state_bytes) &&
            g->vt->state_bytes != NULL)
            total += g->vt->state_bytes(g->opt);
    }
    return total;
}

/* save_state and load_state are ABI 1.1 slots: an inner optimizer without them cannot be
 * checkpointed, which is an error naming its group. */
static fg_status group_state_slots(const opt_group *g, const char *what, fg_error *err) {
    if (g->vt->base.struct_size >=
            offsetof(fg_optimizer_vtbl, load_state) + sizeof(g->vt->load_state) &&
        g->vt->save_state != NULL && g->vt->load_state != NULL)
        return FG_OK;
    fg_api->error_set(err, FG_E_UNSUPPORTED,
                      "multi_optimizer: %s cannot %s its state (its optimizer has no "
                      "save_state/load_state); checkpointing needs every group's optimizer to",
                      g->desc, what);
    return FG_E_UNSUPPORTED;
}

/* Each group's optimizer in order; their entries carry parameter names, and the groups'
 * parameter sets are disjoint, so they never collide. */
static fg_status multi_save_state(const void *self, fg_state *state, fg_error *err) {
    const multi_optimizer *o = self;
    for (uint64_t k = 0; k < o->n_groups; k++) {
        const opt_group *g = &o->groups[k];
        fg_status st = group_state_slots(g, "save", err);
        if (st != FG_OK) return st;
        if ((st = g->vt->save_state(g->opt, state, err)) != FG_OK) return wrap_error(err, st, k);
    }
    return FG_OK;
}

static fg_status multi_load_state(void *self, fg_state *state, fg_error *err) {
    multi_optimizer *o = self;
    for (uint64_t k = 0; k < o->n_groups; k++) {
        opt_group *g = &o->groups[k];
        fg_status st = group_state_slots(g, "load", err);
        if (st != FG_OK) return st;
        if ((st = g->vt->load_state(g->opt, state, err)) != FG_OK) return wrap_error(err, st, k);
    }
    return FG_OK;
}

static void multi_destroy(void *self) {
    multi_optimizer *o = self;
    if (o == NULL) return;
    fg_api->free(o->order);
    fg_api->free(o->groups);
    fg_api->free(o);
}

static const fg_optimizer_vtbl multi_vtbl = {
    .base = {sizeof(fg_optimizer_vtbl), FG_KIND_OPTIMIZER, multi_destroy},
    .step = multi_step,
    .base_lr = multi_base_lr,
    .state_bytes = multi_state_bytes,
    .save_state = multi_save_state,
    .load_state = multi_load_state,
};

/* What the config says about one group, read while the params are valid (create only). */
typedef struct group_rule {
    const char *pattern;
    int64_t ndim;
    const fg_partial *optimizer;
} group_rule;

static int rule_matches(const group_rule *r, const fg_tensor *t) {
    if (r->ndim != 0 && fg_api->tensor_ndim(t) != r->ndim) return 0;
    /* Flags 0 (no FNM_PATHNAME): '*' crosses the dots of a dotted name. */
    return fnmatch(r->pattern, fg_api->tensor_name(t), 0) == 0;
}

static fg_status read_rules(const fg_params *params, group_rule **out, uint64_t *n_out,
                            fg_error *err) {
    const fg_params *const *items = NULL;
    uint64_t n = 0;
    fg_status st = fg_api->param_map_list(params, "groups", &items, &n, err);
    if (st != FG_OK) return st;
    if (n == 0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "multi_optimizer: groups is empty; give at least one "
                          "{pattern, optimizer} group");
        return FG_E_INVALID_ARG;
    }
    group_rule *rules = fg_api->alloc(sizeof(group_rule) * n);
    if (rules == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "multi_optimizer: out of memory");
        return FG_E_NOMEM;
    }
    for (uint64_t k = 0; k < n && st == FG_OK; k++) {
        if ((st = fg_api->param_str(items[k], "pattern", &rules[k].pattern, err)) != FG_OK ||
            (st = fg_api->param_int(items[k], "ndim", &rules[k].ndim, err)) != FG_OK ||
            (st = fg_api->param_partial(items[k], "optimizer", &rules[k].optimizer, err)) != FG_OK)
            break;
    }
    if (st != FG_OK) {
        fg_api->free(rules);
        return st;
    }
    *out = rules;
    *n_out = n;
    return FG_OK;
}

/* Assigns every parameter its first matching group (index in which[]), or fails naming
 * every parameter no group takes, so a config is fixed in one go. */
static fg_status assign(const group_rule *rules, uint64_t n_rules, const fg_create_args *args,
                        uint64_t *which, fg_error *err) {
    char missing[640] = "";
    size_t used = 0;
    uint64_t n_missing = 0;
    for (uint64_t i = 0; i < args->n_params; i++) {
        const fg_tensor *t = args->params[i];
        if (t == NULL) {
            fg_api->error_set(err, FG_E_INVALID_ARG, "multi_optimizer: parameter %llu is NULL",
                              (unsigned long long)i);
            return FG_E_INVALID_ARG;
        }
        uint64_t k = 0;
        while (k < n_rules && !rule_matches(&rules[k], t)) k++;
        which[i] = k;
        if (k < n_rules) continue;
        n_missing++;
        if (used < sizeof missing) {
            int w = snprintf(missing + used, sizeof missing - used, "%s'%s' (ndim %d)",
                             n_missing > 1 ? ", " : "", fg_api->tensor_name(t),
                             (int)fg_api->tensor_ndim(t));
            used = w < 0 ? sizeof missing : used + (size_t)w;
        }
    }
    if (n_missing == 0) return FG_OK;
    fg_api->error_set(err, FG_E_INVALID_ARG,
                      "multi_optimizer: %llu parameter(s) match no group: %s%s; add a group "
                      "with pattern \"*\" to catch the rest",
                      (unsigned long long)n_missing, missing, used >= sizeof missing ? "..." : "");
    return FG_E_INVALID_ARG;
}

/* Lays the parameters out group by group (each group keeps the model's order) and gives
 * every group its slice. */
static fg_status build_groups(multi_optimizer *o, uint64_t n_rules, const fg_create_args *args,
                              const uint64_t *which, fg_error *err) {
    o->groups = fg_api->alloc(sizeof(opt_group) * n_rules);
    o->order = fg_api->alloc(sizeof(fg_tensor *) * (args->n_params > 0 ? args->n_params : 1));
    if (o->groups == NULL || o->order == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "multi_optimizer: out of memory for %llu parameters",
                          (unsigned long long)args->n_params);
        return FG_E_NOMEM;
    }
    memset(o->groups, 0, sizeof(opt_group) * n_rules);
    o->n_groups = n_rules;
    uint64_t at = 0;
    for (uint64_t k = 0; k < n_rules; k++) {
        o->groups[k].params = o->order + at;
        for (uint64_t i = 0; i < args->n_params; i++)
            if (which[i] == k) o->order[at++] = args->params[i];
        o->groups[k].n_params = (uint64_t)(o->order + at - o->groups[k].params);
    }
    return FG_OK;
}

static fg_status create_group(opt_group *g, const group_rule *r, uint64_t k, fg_error *err) {
    if (g->n_params == 0)
        fg_api->log(FG_LOG_WARN, "multi_optimizer: groups[%llu] (pattern '%s', ndim %lld) "
                    "matches no parameter", (unsigned long long)k, r->pattern,
                    (long long)r->ndim);
    fg_create_args a;
    memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    a.layer_index = -1;
    a.params = g->params;
    a.n_params = g->n_params;
    fg_status st = fg_api->partial_create(r->optimizer, &a, &g->opt, err);
    if (st != FG_OK) return wrap_error(err, st, k);
    const fg_optimizer_vtbl *vt = g->opt != NULL ? *(const fg_optimizer_vtbl *const *)g->opt : NULL;
    /* step and base_lr are ABI 1.0 slots; state_bytes is checked where it is used. */
    if (vt == NULL || vt->base.kind != FG_KIND_OPTIMIZER ||
        vt->base.struct_size < offsetof(fg_optimizer_vtbl, base_lr) + sizeof(vt->base_lr) ||
        vt->step == NULL || vt->base_lr == NULL) {
        fg_api->error_set(err, FG_E_ABI,
                          "multi_optimizer: groups[%llu]: '%s' did not return an optimizer",
                          (unsigned long long)k, fg_api->partial_name(r->optimizer));
        return FG_E_ABI;
    }
    g->vt = vt;
    const char *oname = fg_api->partial_name(r->optimizer);
    snprintf(g->desc, sizeof g->desc, "groups[%llu] (pattern '%.60s', optimizer '%.60s')",
             (unsigned long long)k, r->pattern, oname != NULL ? oname : "?");
    return FG_OK;
}

static fg_status multi_create(const fg_params *params, const fg_create_args *args, void **out,
                              fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) ||
        (args->n_params > 0 && args->params == NULL)) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "multi_optimizer: created without a parameter list (create args missing)");
        return FG_E_INVALID_ARG;
    }
    group_rule *rules = NULL;
    uint64_t n_rules = 0;
    fg_status st = read_rules(params, &rules, &n_rules, err);
    if (st != FG_OK) return st;
    uint64_t *which = fg_api->alloc(sizeof(uint64_t) * (args->n_params > 0 ? args->n_params : 1));
    multi_optimizer *o = fg_api->alloc(sizeof(multi_optimizer));
    if (which == NULL || o == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "multi_optimizer: out of memory");
        st = FG_E_NOMEM;
    } else {
        memset(o, 0, sizeof(*o));
        o->vt = &multi_vtbl;
        st = assign(rules, n_rules, args, which, err);
        if (st == FG_OK) st = build_groups(o, n_rules, args, which, err);
        for (uint64_t k = 0; st == FG_OK && k < n_rules; k++)
            st = create_group(&o->groups[k], &rules[k], k, err);
    }
    fg_api->free(which);
    fg_api->free(rules);
    if (st != FG_OK) {
        multi_destroy(o); /* inner optimizers already made belong to the host */
        return st;
    }
    *out = o;
    return FG_OK;
}

static const fg_param_spec group_fields[] = {
    {"pattern", FG_PARAM_STR, 0, FG_PARAM_REQUIRED, 0, NULL, 1, 0,
     "glob (fnmatch, '*' crosses dots) on the parameter's dotted name, e.g. \"*.weight\", "
     "\"blocks.*.attn.*\"", NULL, NULL},
    FG_SPEC_INT("ndim", "0", 0, FG_MAX_DIMS,
                "only tensors of this rank (2: matrices); 0 = any rank"),
    FG_SPEC_PARTIAL("optimizer", FG_KIND_OPTIMIZER, 1,
                    "the optimizer for this group's parameters"),
};

static const fg_param_spec multi_spec[] = {
    {"groups", FG_PARAM_MAP_LIST, 0, FG_PARAM_REQUIRED,
     (uint32_t)(sizeof(group_fields) / sizeof(group_fields[0])), NULL, 1, 0,
     "parameter groups {pattern, ndim, optimizer}; each parameter goes to the first that "
     "matches, and one that matches none is an error",
     NULL, group_fields},
};

static const fg_factory_desc factories[] = {
    {sizeof(fg_factory_desc), FG_KIND_OPTIMIZER, "multi_optimizer",
     "Parameter groups: each parameter goes to the first group whose glob and rank match; "
     "each group has its own optimizer, all stepped with the schedule's lr factor.",
     multi_spec, (uint32_t)(sizeof(multi_spec) / sizeof(multi_spec[0])), 0, multi_create, NULL,
     NULL},
};

FG_PLUGIN_DEFINE("multi_optimizer", "0.1.0",
                 "Parameter groups routed by name glob and rank to their own optimizers", "MIT",
                 factories)
