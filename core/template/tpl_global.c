/* Jinja's default globals as SandboxedEnvironment has them: range (a range object, capped
 * at MAX_RANGE items),
 * dict, namespace, cycler, joiner. lipsum is omitted: Jinja's output is random.
 * Forgather's globals live in tpl_global_fg.c. */
#include "template/tpl_impl.h"

#include <string.h>

#define MAX_RANGE 100000

static bool no_kwargs(tpl_ctx *ctx, const char *fn, const tpl_args *args) {
    if (args->n_kw) return tpl_fail(ctx, TPL_E_TYPE, "%s() takes no keyword arguments", fn);
    return true;
}

static bool g_range(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    if (!no_kwargs(ctx, "range", args)) return false;
    if (args->n_pos == 0) return tpl_fail(ctx, TPL_E_TYPE, "range expected at least 1 argument, got 0");
    if (args->n_pos > 3)
        return tpl_fail(ctx, TPL_E_TYPE, "range expected at most 3 arguments, got %zu", args->n_pos);
    int64_t v[3] = {0, 0, 1};
    for (size_t i = 0; i < args->n_pos; i++)
        if (!tpl_arg_int(ctx, "range", args->pos[i], &v[i])) return false;
    int64_t start = 0, stop, step = 1;
    if (args->n_pos == 1) {
        stop = v[0];
    } else {
        start = v[0];
        stop = v[1];
        if (args->n_pos == 3) step = v[2];
    }
    if (step == 0) return tpl_fail(ctx, TPL_E_VALUE, "range() arg 3 must not be zero");
    __int128 len = 0;
    if (step > 0 && start < stop) len = ((__int128)stop - start - 1) / step + 1;
    if (step < 0 && start > stop) len = ((__int128)start - stop - 1) / -(__int128)step + 1;
    if (len > MAX_RANGE)
        return tpl_fail(ctx, TPL_E_OVERFLOW,
                        "Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).", MAX_RANGE);
    return tpl_range_new(ctx, start, stop, step, out);
}

static bool g_dict(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    return tpl_dict_new(ctx, out) && tpl_dict_update(ctx, out->u.dict, args, "dict");
}

static bool g_namespace(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    return tpl_namespace_new(ctx, out) && tpl_dict_update(ctx, out->u.dict, args, "dict");
}

/* ---- cycler ---- */

typedef struct cycler {
    tpl_value items; /* tuple */
    size_t pos;
} cycler;

static bool cycler_next(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    cycler *c = d;
    if (args->n_pos || args->n_kw) return tpl_fail(ctx, TPL_E_TYPE, "next() takes 1 positional argument");
    *out = c->items.u.list->items[c->pos];
    c->pos = (c->pos + 1) % c->items.u.list->n;
    return true;
}

static bool cycler_reset(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    cycler *c = d;
    if (args->n_pos || args->n_kw) return tpl_fail(ctx, TPL_E_TYPE, "reset() takes 1 positional argument");
    c->pos = 0;
    *out = tpl_none();
    return true;
}

static bool cycler_getattr(tpl_ctx *ctx, void *d, const char *name, tpl_value *out) {
    cycler *c = d;
    if (strcmp(name, "current") == 0) {
        *out = c->items.u.list->items[c->pos];
        return true;
    }
    if (strcmp(name, "items") == 0) {
        *out = c->items;
        return true;
    }
    if (strcmp(name, "pos") == 0) {
        *out = tpl_int((int64_t)c->pos);
        return true;
    }
    if (strcmp(name, "next") == 0 || strcmp(name, "__next__") == 0)
        return tpl_callable_new(ctx, "Cycler.next", cycler_next, c, tpl_none(), out);
    if (strcmp(name, "reset") == 0) return tpl_callable_new(ctx, "Cycler.reset", cycler_reset, c, tpl_none(), out);
    return tpl_undefined_new(ctx, out, "'jinja2.utils.Cycler object' has no attribute '%s'", name);
}

static bool g_cycler(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    if (!no_kwargs(ctx, "Cycler", args)) return false;
    if (args->n_pos == 0) return tpl_fail(ctx, TPL_E_RUNTIME, "at least one item has to be provided");
    cycler *c = tpl_alloc(ctx, sizeof *c);
    if (c == NULL || !tpl_tuple_new(ctx, args->n_pos, &c->items)) return false;
    memcpy(c->items.u.list->items, args->pos, args->n_pos * sizeof(tpl_value));
    c->items.u.list->n = args->n_pos;
    return tpl_object_new(ctx, "Cycler", cycler_getattr, NULL, c, out);
}

/* ---- joiner: "" on the first call, the separator after ---- */

typedef struct joiner {
    tpl_value sep;
    bool used;
} joiner;

static bool joiner_call(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    joiner *j = d;
    if (args->n_pos || args->n_kw) return tpl_fail(ctx, TPL_E_TYPE, "__call__() takes 1 positional argument");
    if (!j->used) {
        j->used = true;
        return tpl_str_new(ctx, "", 0, out);
    }
    *out = j->sep;
    return true;
}

static bool g_joiner(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[1];
    bool p[1];
    if (!tpl_bind_args(ctx, "Joiner", args, TPL_NAMES("sep"), v, p)) return false;
    joiner *j = tpl_alloc(ctx, sizeof *j);
    if (j == NULL) return false;
    if (p[0])
        j->sep = v[0];
    else if (!tpl_str_new(ctx, ", ", 2, &j->sep))
        return false;
    return tpl_callable_new(ctx, "Joiner", joiner_call, j, tpl_none(), out);
}

bool tpl_globals_install_fg(tpl_ctx *ctx, tpl_dict *globals); /* tpl_global_fg.c */

bool tpl_globals_install(tpl_ctx *ctx, tpl_dict *globals) {
    static const struct {
        const char *name;
        tpl_native_fn fn;
    } fns[] = {{"range", g_range}, {"dict", g_dict}, {"namespace", g_namespace},
               {"cycler", g_cycler}, {"joiner", g_joiner}};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        tpl_value f;
        if (!tpl_callable_new(ctx, fns[i].name, fns[i].fn, NULL, tpl_none(), &f) ||
            !tpl_dict_set_str(ctx, globals, fns[i].name, f))
            return false;
    }
    return tpl_globals_install_fg(ctx, globals);
}
