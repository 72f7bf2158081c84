/* Macros and call blocks. A macro is a callable closing over the scope it was defined in
 * (it sees the template's variables, never its caller's locals); calling it binds
 * arguments as Jinja's runtime.Macro does (positional, then by name, then defaults
 * evaluated in the macro's scope; `varargs`, `kwargs` and `caller` only for bodies that
 * use them) and returns the body's output as a string. */
#include "template/tpl_render.h"

#include <string.h>

typedef struct tpl_macro {
    const tpl_macro_def *def;
    tpl_scope *closure;
    tpl_jctx *jc;
    tpl_template *tmpl;
} tpl_macro;

/* Keyword arguments by name; a dict only when there are many (calls stay cheap). */
typedef struct kw_index {
    const tpl_args *args;
    const bool *used;
    tpl_dict *by_name; /* name -> position, or NULL */
} kw_index;

static bool kw_index_init(tpl_ctx *ctx, kw_index *k, const tpl_args *args, const bool *used) {
    k->args = args;
    k->used = used;
    k->by_name = NULL;
    if (args->n_kw <= 8) return true;
    tpl_value d;
    if (!tpl_dict_new(ctx, &d)) return false;
    k->by_name = d.u.dict;
    for (size_t j = 0; j < args->n_kw; j++)
        if (!tpl_dict_set_str(ctx, k->by_name, args->kw_names[j], tpl_int((int64_t)j))) return false;
    return true;
}

/* Position of the unused keyword argument `name`, or -1. */
static long find_kw(const kw_index *k, const char *name) {
    if (k->by_name != NULL) {
        tpl_value *j = tpl_dict_get_str(k->by_name, name);
        return j != NULL && !k->used[j->u.i] ? (long)j->u.i : -1;
    }
    for (size_t j = 0; j < k->args->n_kw; j++)
        if (!k->used[j] && strcmp(k->args->kw_names[j], name) == 0) return (long)j;
    return -1;
}

static bool set_var(tpl_ctx *ctx, tpl_scope *s, const char *name, tpl_value v) {
    return tpl_dict_set_str(ctx, s->vars, name, v);
}

/* Binds the call's arguments into the macro's fresh scope. */
static bool bind(tpl_ctx *ctx, tpl_exec *y, const tpl_macro_def *d, const tpl_args *args) {
    size_t n = d->n_params;
    bool *given = tpl_alloc(ctx, n + 1);
    bool *used = tpl_alloc(ctx, args->n_kw + 1);
    kw_index kw;
    if (given == NULL || used == NULL || !kw_index_init(ctx, &kw, args, used)) return false;
    size_t take = args->n_pos < n ? args->n_pos : n;
    for (size_t i = 0; i < take; i++) {
        if (!set_var(ctx, y->scope, d->params[i], args->pos[i])) return false;
        given[i] = true;
    }
    bool found_caller = d->explicit_caller;
    if (take != n) {
        found_caller = false;
        for (size_t i = take; i < n; i++) {
            long j = find_kw(&kw, d->params[i]);
            if (strcmp(d->params[i], "caller") == 0) found_caller = true;
            if (j < 0) continue;
            used[j] = true;
            given[i] = true;
            if (!set_var(ctx, y->scope, d->params[i], args->kw[j])) return false;
        }
    }
    if (d->uses_caller && !found_caller) {
        long j = find_kw(&kw, "caller");
        tpl_value caller;
        if (j >= 0 && args->kw[j].kind != TPL_NONE) {
            caller = args->kw[j];
        } else if (!tpl_undefined_new(ctx, &caller, "No caller defined")) {
            return false;
        }
        if (j >= 0) used[j] = true;
        if (!set_var(ctx, y->scope, "caller", caller)) return false;
    }
    if (d->uses_kwargs) {
        tpl_value kwargs;
        if (!tpl_dict_new(ctx, &kwargs)) return false;
        for (size_t j = 0; j < args->n_kw; j++)
            if (!used[j] && !tpl_dict_set_str(ctx, kwargs.u.dict, args->kw_names[j], args->kw[j]))
                return false;
        if (!set_var(ctx, y->scope, "kwargs", kwargs)) return false;
    } else {
        if (find_kw(&kw, "caller") >= 0)
            return tpl_fail(ctx, TPL_E_TYPE,
                            "macro '%s' was invoked with two values for the special caller"
                            " argument. This is most likely a bug.",
                            d->name);
        for (size_t j = 0; j < args->n_kw; j++)
            if (!used[j])
                return tpl_fail(ctx, TPL_E_TYPE, "macro '%s' takes no keyword argument '%s'",
                                d->name, args->kw_names[j]);
    }
    if (d->uses_varargs) {
        tpl_value varargs;
        size_t extra = args->n_pos > n ? args->n_pos - n : 0;
        if (!tpl_tuple_new(ctx, extra, &varargs)) return false;
        for (size_t i = n; i < args->n_pos; i++)
            if (!tpl_list_append(ctx, varargs.u.list, args->pos[i])) return false;
        if (!set_var(ctx, y->scope, "varargs", varargs)) return false;
    } else if (args->n_pos > n) {
        return tpl_fail(ctx, TPL_E_TYPE, "macro '%s' takes not more than %zu argument(s)", d->name, n);
    }
    /* defaults last, in order, in the macro's scope: they may use earlier parameters */
    size_t first_default = n - d->defaults.n;
    for (size_t i = 0; i < n; i++) {
        if (given[i]) continue;
        tpl_value v;
        if (i >= first_default) {
            if (!tpl_r_eval(y, d->defaults.items[i - first_default], &v)) return false;
        } else if (!tpl_undefined_new(ctx, &v, "parameter '%s' was not provided", d->params[i])) {
            return false;
        }
        if (!set_var(ctx, y->scope, d->params[i], v)) return false;
    }
    return true;
}

static bool macro_call(tpl_ctx *ctx, void *data, tpl_value self, const tpl_args *args,
                       tpl_value *out) {
    tpl_macro *m = data;
    tpl_render *r = tpl_r_of(ctx);
    tpl_scope *scope = tpl_scope_new(ctx, m->closure);
    if (scope == NULL) return false;
    tpl_buf buf = {0};
    tpl_exec y = {.r = r, .jc = m->jc, .scope = scope, .tmpl = m->tmpl, .out = &buf};
    tpl_loc call_site = ctx->loc;
    /* a frame in error messages when the macro lives in another template */
    bool crossing = call_site.file != m->tmpl->file;
    if (crossing) tpl_r_push_frame(ctx, "called from");
    bool ok = tpl_depth_enter(ctx);
    if (ok) {
        ok = tpl_r_unset(ctx, scope, &m->def->unset) && bind(ctx, &y, m->def, args) &&
             tpl_r_exec_body(&y, &m->def->body);
        tpl_depth_leave(ctx);
    }
    if (crossing) tpl_r_pop_frame(ctx);
    ctx->loc = call_site;
    return ok && tpl_buf_to_str(ctx, &buf, out);
}

/* Attributes of Jinja's Macro objects: name, arguments, catch_kwargs, catch_varargs,
 * caller. *found is false for other names and other callables. */
bool tpl_r_macro_attr(tpl_ctx *ctx, tpl_value fn, const char *name, tpl_value *out, bool *found) {
    *found = false;
    if (fn.kind != TPL_CALLABLE || fn.u.fn->call != macro_call) return true;
    const tpl_macro_def *d = ((tpl_macro *)fn.u.fn->data)->def;
    *found = true;
    if (strcmp(name, "name") == 0) return tpl_str_cstr(ctx, d->name, out);
    if (strcmp(name, "arguments") == 0) {
        if (!tpl_tuple_new(ctx, d->n_params, out)) return false;
        for (size_t i = 0; i < d->n_params; i++) {
            tpl_value s;
            if (!tpl_str_cstr(ctx, d->params[i], &s) || !tpl_list_append(ctx, out->u.list, s))
                return false;
        }
        return true;
    }
    if (strcmp(name, "catch_kwargs") == 0) *out = tpl_bool(d->uses_kwargs);
    else if (strcmp(name, "catch_varargs") == 0) *out = tpl_bool(d->uses_varargs);
    else if (strcmp(name, "caller") == 0) *out = tpl_bool(d->uses_caller);
    else if (strcmp(name, "explicit_caller") == 0) *out = tpl_bool(d->explicit_caller);
    else *found = false;
    return true;
}

static bool make_macro(tpl_exec *x, const tpl_macro_def *def, tpl_value *out) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_macro *m = tpl_alloc(ctx, sizeof *m);
    if (m == NULL) return false;
    m->def = def;
    m->closure = x->scope;
    m->jc = x->jc;
    m->tmpl = x->tmpl;
    if (!tpl_callable_new(ctx, def->name, macro_call, m, tpl_none(), out)) return false;
    out->u.fn->is_macro = true;
    return true;
}

bool tpl_r_define_macro(tpl_exec *x, const tpl_node *n) {
    tpl_value macro;
    return make_macro(x, &n->u.macro, &macro) && tpl_r_assign_name(x, n->u.macro.name, macro);
}

bool tpl_r_exec_call_block(tpl_exec *x, const tpl_node *n) {
    tpl_value caller, result, text;
    if (!make_macro(x, &n->u.call_block.caller, &caller) ||
        !tpl_r_eval_call(x, n->u.call_block.call, "caller", caller, &result))
        return false;
    tpl_r_at(x, n);
    return tpl_r_to_str(x, result, &text) &&
           tpl_buf_put(&x->r->ctx, x->out, text.u.s->data, text.u.s->len);
}
