/* Calls, filters and tests: argument lists with keywords, *args and **kwargs evaluated
 * into tpl_args, then handed to the callable / builtin. */
#include "template/tpl_render.h"

#include <string.h>

/* Evaluates a call's arguments; `extra_kw` (may be NULL) is one more keyword argument
 * (a call block's `caller`). */
static bool build_args(tpl_exec *x, const tpl_node *at, const tpl_call_args *a,
                       const char *extra_kw, tpl_value extra, tpl_args *out) {
    tpl_ctx *ctx = &x->r->ctx;
    memset(out, 0, sizeof *out);
    tpl_list *star = NULL;
    tpl_dict *dstar = NULL;
    tpl_value *pos = NULL, *kw = NULL;
    size_t n_pos = a->pos.n;
    if (n_pos > 0 && !(pos = tpl_alloc(ctx, n_pos * sizeof *pos))) return false;
    for (size_t i = 0; i < a->pos.n; i++)
        if (!tpl_r_eval(x, a->pos.items[i], &pos[i])) return false;
    if (a->star != NULL) {
        tpl_value v;
        if (!tpl_r_eval(x, a->star, &v)) return false;
        tpl_r_at(x, at);
        if (!tpl_check_defined(ctx, v)) return false;
        if (v.kind != TPL_LIST && v.kind != TPL_TUPLE && v.kind != TPL_STR && v.kind != TPL_DICT)
            return tpl_fail(ctx, TPL_E_TYPE, "Value after * must be an iterable, not %s",
                            tpl_type_name(v));
        if (!tpl_iterate(ctx, v, &star)) return false;
        tpl_value *all = tpl_alloc(ctx, (n_pos + star->n + 1) * sizeof *all);
        if (all == NULL) return false;
        if (n_pos) memcpy(all, pos, n_pos * sizeof *pos);
        if (star->n) memcpy(all + n_pos, star->items, star->n * sizeof *all);
        pos = all;
        n_pos += star->n;
    }
    size_t n_kw = a->kw.n;
    if (a->dstar != NULL) {
        tpl_value v;
        if (!tpl_r_eval(x, a->dstar, &v)) return false;
        tpl_r_at(x, at);
        if (!tpl_check_defined(ctx, v)) return false;
        if (v.kind != TPL_DICT)
            return tpl_fail(ctx, TPL_E_TYPE, "argument after ** must be a mapping, not %s",
                            tpl_type_name(v));
        dstar = v.u.dict;
        n_kw += dstar->n;
    }
    if (extra_kw != NULL) n_kw++;
    const char **names = NULL;
    if (n_kw > 0) {
        names = tpl_alloc(ctx, n_kw * sizeof *names);
        kw = tpl_alloc(ctx, n_kw * sizeof *kw);
        if (names == NULL || kw == NULL) return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < a->kw.n; i++, k++) {
        names[k] = a->kw_names[i];
        if (!tpl_r_eval(x, a->kw.items[i], &kw[k])) return false;
    }
    tpl_r_at(x, at);
    for (size_t i = 0; dstar != NULL && i < dstar->n; i++, k++) {
        if (dstar->keys[i].kind != TPL_STR) return tpl_fail(ctx, TPL_E_TYPE, "keywords must be strings");
        names[k] = dstar->keys[i].u.s->data;
        kw[k] = dstar->vals[i];
    }
    if (extra_kw != NULL) {
        names[k] = extra_kw;
        kw[k++] = extra;
    }
    if (k > 1) { /* Python refuses a keyword given twice */
        tpl_value seen;
        if (!tpl_dict_new(ctx, &seen)) return false;
        for (size_t i = 0; i < k; i++) {
            if (tpl_dict_get_str(seen.u.dict, names[i]) != NULL)
                return tpl_fail(ctx, TPL_E_TYPE, "got multiple values for keyword argument '%s'",
                                names[i]);
            if (!tpl_dict_set_str(ctx, seen.u.dict, names[i], tpl_none())) return false;
        }
    }
    out->pos = pos;
    out->n_pos = n_pos;
    out->kw_names = names;
    out->kw = kw;
    out->n_kw = k;
    return true;
}

bool tpl_r_eval_call(tpl_exec *x, const tpl_node *n, const char *extra_kw, tpl_value extra,
                     tpl_value *out) {
    tpl_value fn;
    tpl_args args;
    if (!tpl_r_eval(x, n->u.call.fn, &fn) ||
        !build_args(x, n, &n->u.call.args, extra_kw, extra, &args))
        return false;
    tpl_r_at(x, n);
    if (tpl_r_is_loop(fn)) return tpl_r_call_loop(&x->r->ctx, fn, &args, out);
    return tpl_call(&x->r->ctx, fn, &args, out);
}

/* The value a filter applies to: its input expression, or the captured body of the
 * filter block / block set it belongs to. */
static bool filter_input(tpl_exec *x, const tpl_node *n, tpl_value *out) {
    if (n->u.filter.input != NULL) return tpl_r_eval(x, n->u.filter.input, out);
    if (x->filter_input == NULL) return tpl_fail(&x->r->ctx, TPL_E_RUNTIME, "filter without input");
    *out = *x->filter_input;
    return true;
}

bool tpl_r_eval_filter(tpl_exec *x, const tpl_node *n, tpl_value *out) {
    tpl_value input;
    tpl_args args;
    if (!filter_input(x, n, &input) || !build_args(x, n, &n->u.filter.args, NULL, tpl_none(), &args))
        return false;
    tpl_r_at(x, n);
    if (n->u.filter.filter == NULL)
        return tpl_fail(&x->r->ctx, TPL_E_RUNTIME, "No filter named '%s' found.", n->u.filter.name);
    return n->u.filter.filter(&x->r->ctx, input, &args, out);
}

bool tpl_r_eval_test(tpl_exec *x, const tpl_node *n, tpl_value *out) {
    tpl_value input;
    tpl_args args;
    if (!filter_input(x, n, &input) || !build_args(x, n, &n->u.filter.args, NULL, tpl_none(), &args))
        return false;
    tpl_r_at(x, n);
    if (n->u.filter.test == NULL)
        return tpl_fail(&x->r->ctx, TPL_E_RUNTIME, "No test named '%s' found.", n->u.filter.name);
    bool result = false;
    if (!n->u.filter.test(&x->r->ctx, input, &args, &result)) return false;
    *out = tpl_bool(result);
    return true;
}
