/* Jinja2's higher-order filters (map, select, reject, selectattr, rejectattr) and the
 * lookup of every filter by name. Jinja returns generators for these; we return lists. */
#include "template/tpl_impl.h"

#include <string.h>

static bool filter_by_name(tpl_ctx *ctx, tpl_value name, tpl_filter_fn *fn) {
    if (!tpl_check_defined(ctx, name)) return false;
    *fn = name.kind == TPL_STR ? tpl_filter_lookup(name.u.s->data) : NULL;
    if (*fn == NULL) {
        tpl_value r;
        if (!tpl_repr(ctx, name, &r)) return false;
        return tpl_fail(ctx, TPL_E_RUNTIME, "No filter named %s.", r.u.s->data);
    }
    return true;
}

static bool test_by_name(tpl_ctx *ctx, tpl_value name, tpl_test_fn *fn) {
    if (!tpl_check_defined(ctx, name)) return false;
    *fn = name.kind == TPL_STR ? tpl_test_lookup(name.u.s->data) : NULL;
    if (*fn == NULL) {
        tpl_value r;
        if (!tpl_repr(ctx, name, &r)) return false;
        return tpl_fail(ctx, TPL_E_RUNTIME, "No test named %s.", r.u.s->data);
    }
    return true;
}

/* `if value:` first, as Jinja does: a falsy input gives an empty result. */
static bool items_if_truthy(tpl_ctx *ctx, tpl_value in, tpl_list **items, bool *any) {
    if (!tpl_truthy(ctx, in, any)) return false;
    if (!*any) return true;
    return tpl_iterate(ctx, in, items);
}

static bool f_map(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    tpl_list *items = NULL;
    bool any;
    if (!tpl_list_new(ctx, 0, out) || !items_if_truthy(ctx, in, &items, &any)) return false;
    if (!any) return true;
    if (args->n_pos == 0) {
        /* map(attribute=..., default=...) */
        tpl_value attr = {.kind = TPL_UNDEFINED}, dflt = tpl_none();
        bool has_attr = false;
        for (size_t k = 0; k < args->n_kw; k++) {
            if (strcmp(args->kw_names[k], "attribute") == 0) {
                attr = args->kw[k];
                has_attr = true;
            } else if (strcmp(args->kw_names[k], "default") == 0) {
                dflt = args->kw[k];
            }
        }
        if (!has_attr) return tpl_fail(ctx, TPL_E_FILTER_ARG, "map requires a filter argument");
        for (size_t k = 0; k < args->n_kw; k++)
            if (strcmp(args->kw_names[k], "attribute") != 0 && strcmp(args->kw_names[k], "default") != 0)
                return tpl_fail(ctx, TPL_E_FILTER_ARG, "Unexpected keyword argument '%s'", args->kw_names[k]);
        for (size_t i = 0; i < items->n; i++) {
            tpl_value v;
            if (!tpl_step(ctx) || !tpl_attrgetter(ctx, items->items[i], attr, dflt, false, &v) ||
                !tpl_list_append(ctx, out->u.list, v))
                return false;
        }
        return true;
    }
    tpl_filter_fn fn;
    if (!filter_by_name(ctx, args->pos[0], &fn)) return false;
    tpl_args rest = *args;
    rest.pos++;
    rest.n_pos--;
    size_t n = items->n;
    for (size_t i = 0; i < n && i < items->n; i++) {
        tpl_value v;
        if (!tpl_step(ctx) || !fn(ctx, items->items[i], &rest, &v) || !tpl_list_append(ctx, out->u.list, v))
            return false;
    }
    return true;
}

static bool select_common(tpl_ctx *ctx, tpl_value in, const tpl_args *args, bool want, bool by_attr,
                          tpl_value *out) {
    tpl_list *items = NULL;
    bool any;
    if (!tpl_list_new(ctx, 0, out) || !items_if_truthy(ctx, in, &items, &any)) return false;
    if (!any) return true;
    size_t off = 0;
    tpl_value attr = tpl_none();
    if (by_attr) {
        if (args->n_pos == 0) return tpl_fail(ctx, TPL_E_FILTER_ARG, "Missing parameter for attribute name");
        attr = args->pos[0];
        off = 1;
    }
    tpl_test_fn test = NULL;
    tpl_args rest = *args;
    if (args->n_pos > off) {
        if (!test_by_name(ctx, args->pos[off], &test)) return false;
        rest.pos += off + 1;
        rest.n_pos -= off + 1;
    }
    for (size_t i = 0; i < items->n; i++) {
        tpl_value v = items->items[i];
        bool ok;
        if (!tpl_step(ctx)) return false;
        if (by_attr && !tpl_attrgetter(ctx, v, attr, tpl_none(), false, &v)) return false;
        if (test ? !test(ctx, v, &rest, &ok) : !tpl_truthy(ctx, v, &ok)) return false;
        if (ok == want && !tpl_list_append(ctx, out->u.list, items->items[i])) return false;
    }
    return true;
}

static bool f_select(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    return select_common(ctx, in, args, true, false, out);
}
static bool f_reject(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    return select_common(ctx, in, args, false, false, out);
}
static bool f_selectattr(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    return select_common(ctx, in, args, true, true, out);
}
static bool f_rejectattr(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    return select_common(ctx, in, args, false, true, out);
}

bool tpl_pformat(tpl_ctx *ctx, tpl_value v, tpl_value *out); /* tpl_pprint.c */
bool tpl_wordwrap(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out);

static bool f_pprint(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    if (args->n_pos || args->n_kw) return tpl_fail(ctx, TPL_E_TYPE, "do_pprint() takes 1 positional argument");
    return tpl_pformat(ctx, in, out);
}

const tpl_filter_entry tpl_filters_more[] = {
    {"map", f_map},
    {"pprint", f_pprint},
    {"reject", f_reject},
    {"rejectattr", f_rejectattr},
    {"select", f_select},
    {"selectattr", f_selectattr},
    {"wordwrap", tpl_wordwrap},
    {NULL, NULL},
};

tpl_filter_fn tpl_filter_lookup(const char *name) {
    const tpl_filter_entry *tables[] = {tpl_filters_str, tpl_filters_seq, tpl_filters_num, tpl_filters_more};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const tpl_filter_entry *e = tables[t]; e->name; e++)
            if (strcmp(e->name, name) == 0) return e->fn;
    return NULL;
}
