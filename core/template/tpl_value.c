/* Value constructors and the simple protocols: type names, truthiness, len(), iteration,
 * calls and argument binding for builtins. */
#include "template/tpl_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool tpl_str_new(tpl_ctx *ctx, const char *s, size_t len, tpl_value *out) {
    if (len > ctx->max_bytes)
        return tpl_fail(ctx, TPL_E_MEMORY, "template uses too much memory (over %zu bytes)",
                        ctx->max_bytes);
    /* Two NULs: the second one is the "no error class" marker read by undefined values. */
    tpl_str *str = tpl_alloc(ctx, sizeof(tpl_str) + len + 2);
    if (str == NULL) return false;
    str->len = len;
    if (len) memcpy(str->data, s, len);
    out->kind = TPL_STR;
    out->u.s = str;
    return true;
}

bool tpl_str_cstr(tpl_ctx *ctx, const char *s, tpl_value *out) {
    return tpl_str_new(ctx, s, strlen(s), out);
}

static bool undefined_v(tpl_ctx *ctx, tpl_value *out, const char *error_class, const char *fmt,
                        va_list ap) {
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t len = strlen(msg);
    size_t cls_len = error_class ? strlen(error_class) : 0;
    tpl_str *str = tpl_alloc(ctx, sizeof(tpl_str) + len + cls_len + 2);
    if (str == NULL) return false;
    str->len = len;
    memcpy(str->data, msg, len);
    if (cls_len) memcpy(str->data + len + 1, error_class, cls_len);
    out->kind = TPL_UNDEFINED;
    out->u.s = str;
    return true;
}

bool tpl_undefined_new(tpl_ctx *ctx, tpl_value *out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bool ok = undefined_v(ctx, out, NULL, fmt, ap);
    va_end(ap);
    return ok;
}

bool tpl_undefined_new_class(tpl_ctx *ctx, tpl_value *out, const char *error_class,
                             const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bool ok = undefined_v(ctx, out, error_class, fmt, ap);
    va_end(ap);
    return ok;
}

bool tpl_undefined_fail(tpl_ctx *ctx, tpl_value v) {
    if (v.kind != TPL_UNDEFINED || v.u.s == NULL)
        return tpl_fail(ctx, TPL_E_UNDEFINED, "undefined value");
    const char *cls = v.u.s->data + v.u.s->len + 1;
    if (strcmp(cls, TPL_E_SECURITY) == 0)
        return tpl_fail(ctx, TPL_E_SECURITY, "%s", v.u.s->data);
    return tpl_fail(ctx, TPL_E_UNDEFINED, "%s", v.u.s->data);
}

static bool seq_new(tpl_ctx *ctx, size_t cap, tpl_kind kind, tpl_value *out) {
    tpl_list *list = tpl_alloc(ctx, sizeof *list);
    if (list == NULL) return false;
    if (cap) {
        if (cap > ctx->max_bytes / sizeof(tpl_value))
            return tpl_fail(ctx, TPL_E_MEMORY, "list too large");
        list->items = tpl_alloc(ctx, cap * sizeof(tpl_value));
        if (list->items == NULL) return false;
        list->cap = cap;
    }
    out->kind = kind;
    out->u.list = list;
    return true;
}

bool tpl_list_new(tpl_ctx *ctx, size_t cap, tpl_value *out) {
    return seq_new(ctx, cap, TPL_LIST, out);
}

bool tpl_tuple_new(tpl_ctx *ctx, size_t cap, tpl_value *out) {
    return seq_new(ctx, cap, TPL_TUPLE, out);
}

bool tpl_list_append(tpl_ctx *ctx, tpl_list *list, tpl_value item) {
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 4;
        if (cap > ctx->max_bytes / sizeof(tpl_value))
            return tpl_fail(ctx, TPL_E_MEMORY, "list too large");
        tpl_value *items = tpl_realloc(ctx, list->items, list->cap * sizeof(tpl_value),
                                       cap * sizeof(tpl_value));
        if (items == NULL) return false;
        list->items = items;
        list->cap = cap;
    }
    list->items[list->n++] = item;
    return true;
}

bool tpl_tuple2(tpl_ctx *ctx, tpl_value a, tpl_value b, tpl_value *out) {
    if (!tpl_tuple_new(ctx, 2, out)) return false;
    out->u.list->items[0] = a;
    out->u.list->items[1] = b;
    out->u.list->n = 2;
    return true;
}

bool tpl_list_copy(tpl_ctx *ctx, tpl_value src, tpl_kind kind, tpl_value *out) {
    size_t n = src.u.list->n;
    if (!seq_new(ctx, n, kind, out)) return false;
    if (n) memcpy(out->u.list->items, src.u.list->items, n * sizeof(tpl_value));
    out->u.list->n = n;
    return tpl_charge(ctx, n / 16);
}

bool tpl_callable_new(tpl_ctx *ctx, const char *name, tpl_native_fn call, void *data,
                      tpl_value self, tpl_value *out) {
    tpl_callable *fn = tpl_alloc(ctx, sizeof *fn);
    if (fn == NULL) return false;
    fn->name = name;
    fn->call = call;
    fn->data = data;
    fn->self = self;
    out->kind = TPL_CALLABLE;
    out->u.fn = fn;
    return true;
}

bool tpl_object_new(tpl_ctx *ctx, const char *type_name, tpl_getattr_fn getattr,
                    tpl_str_fn to_str, void *data, tpl_value *out) {
    tpl_object *obj = tpl_alloc(ctx, sizeof *obj);
    if (obj == NULL) return false;
    obj->type_name = type_name;
    obj->getattr = getattr;
    obj->to_str = to_str;
    obj->data = data;
    out->kind = TPL_OBJECT;
    out->u.obj = obj;
    return true;
}

static const char *view_name(tpl_view_kind kind);

const char *tpl_type_name(tpl_value v) {
    switch (v.kind) {
    case TPL_UNDEFINED: return "StrictUndefined";
    case TPL_NONE: return "NoneType";
    case TPL_BOOL: return "bool";
    case TPL_INT: return "int";
    case TPL_FLOAT: return "float";
    case TPL_STR: return "str";
    case TPL_LIST: return "list";
    case TPL_TUPLE: return "tuple";
    case TPL_DICT: return "dict";
    case TPL_NAMESPACE: return "Namespace";
    case TPL_CALLABLE:
        return v.u.fn->is_macro ? "Macro" : "builtin_function_or_method";
    case TPL_OBJECT: {
        if (tpl_view_kind_of(v) != TPL_VIEW_NONE) return view_name(tpl_view_kind_of(v));
        const char *t = v.u.obj->type_name ? v.u.obj->type_name : "object";
        const char *dot = strrchr(t, '.');
        return dot ? dot + 1 : t;
    }
    }
    return "object";
}

/* Jinja's object_type_repr: builtins print as "int object", others module-qualified. */
void tpl_object_type_repr(tpl_value v, char *buf, size_t size) {
    const char *module = NULL;
    const char *name = tpl_type_name(v);
    switch (v.kind) {
    case TPL_NONE: snprintf(buf, size, "None"); return;
    case TPL_NAMESPACE: module = "jinja2.utils"; break;
    case TPL_CALLABLE:
        if (v.u.fn->is_macro) module = "jinja2.runtime";
        break;
    case TPL_OBJECT: {
        const char *t = v.u.obj->type_name ? v.u.obj->type_name : "object";
        if (tpl_view_kind_of(v) != TPL_VIEW_NONE) break;
        if (strchr(t, '.')) {
            snprintf(buf, size, "%s object", t);
            return;
        }
        if (strcmp(t, "LoopContext") == 0 || strcmp(t, "Macro") == 0 ||
            strcmp(t, "BlockReference") == 0)
            module = "jinja2.runtime";
        else if (strcmp(t, "Cycler") == 0 || strcmp(t, "Joiner") == 0)
            module = "jinja2.utils";
        else if (strcmp(t, "TemplateModule") == 0 || strcmp(t, "TemplateReference") == 0)
            module = "jinja2.environment";
        break;
    }
    case TPL_UNDEFINED: module = "jinja2.runtime"; break;
    default: break;
    }
    if (module)
        snprintf(buf, size, "%s.%s object", module, name);
    else
        snprintf(buf, size, "%s object", name);
}

bool tpl_undefined_attr(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out) {
    char type[128];
    tpl_object_type_repr(obj, type, sizeof type);
    tpl_buf b = {0};
    if (!tpl_buf_put_str_repr(ctx, &b, type, strlen(type)) || !tpl_buf_puts(ctx, &b, " has no attribute ") ||
        !tpl_buf_put_str_repr(ctx, &b, name, strlen(name)))
        return false;
    return tpl_undefined_new(ctx, out, "%s", b.data);
}

bool tpl_undefined_item(tpl_ctx *ctx, tpl_value obj, tpl_value key, tpl_value *out) {
    if (key.kind == TPL_STR) return tpl_undefined_attr(ctx, obj, tpl_sdata(key), out);
    char type[128];
    tpl_object_type_repr(obj, type, sizeof type);
    tpl_buf b = {0};
    if (!tpl_buf_puts(ctx, &b, type) || !tpl_buf_puts(ctx, &b, " has no element ") ||
        !tpl_buf_put_repr(ctx, &b, key))
        return false;
    return tpl_undefined_new(ctx, out, "%s", b.data);
}

/* ---- dict views ---- */

typedef struct view_data {
    tpl_dict *dict;
    tpl_view_kind kind;
} view_data;

static const char view_type[] = "dict_view";

tpl_view_kind tpl_view_kind_of(tpl_value v) {
    if (v.kind != TPL_OBJECT || v.u.obj->type_name != view_type) return TPL_VIEW_NONE;
    return ((const view_data *)v.u.obj->data)->kind;
}

tpl_dict *tpl_view_dict(tpl_value v) { return ((const view_data *)v.u.obj->data)->dict; }

/* The view's items as a fresh list. */
static bool view_list(tpl_ctx *ctx, const view_data *vd, tpl_list **out) {
    const tpl_dict *d = vd->dict;
    tpl_value list;
    if (!tpl_list_new(ctx, d->n, &list) || !tpl_charge(ctx, d->n / 16)) return false;
    for (size_t i = 0; i < d->n; i++) {
        tpl_value item = vd->kind == TPL_VIEW_KEYS ? d->keys[i] : d->vals[i];
        if (vd->kind == TPL_VIEW_ITEMS && !tpl_tuple2(ctx, d->keys[i], d->vals[i], &item))
            return false;
        list.u.list->items[i] = item;
    }
    list.u.list->n = d->n;
    *out = list.u.list;
    return true;
}

static const char *view_name(tpl_view_kind kind) {
    return kind == TPL_VIEW_KEYS ? "dict_keys" : kind == TPL_VIEW_VALUES ? "dict_values" : "dict_items";
}

static bool view_getattr(tpl_ctx *ctx, void *data, const char *name, tpl_value *out) {
    const view_data *vd = data;
    return tpl_undefined_new(ctx, out, "'%s object' has no attribute '%s'", view_name(vd->kind), name);
}

/* "dict_items([('a', 1)])" */
static bool view_to_str(tpl_ctx *ctx, void *data, tpl_value *out) {
    const view_data *vd = data;
    tpl_list *items;
    if (!view_list(ctx, vd, &items)) return false;
    tpl_value list = {.kind = TPL_LIST, .u.list = items};
    tpl_buf b = {0};
    return tpl_buf_puts(ctx, &b, view_name(vd->kind)) && tpl_buf_putc(ctx, &b, '(') &&
           tpl_buf_put_repr(ctx, &b, list) && tpl_buf_putc(ctx, &b, ')') &&
           tpl_buf_to_str(ctx, &b, out);
}

bool tpl_view_new(tpl_ctx *ctx, tpl_dict *dict, tpl_view_kind kind, tpl_value *out) {
    view_data *vd = tpl_alloc(ctx, sizeof *vd);
    if (vd == NULL) return false;
    vd->dict = dict;
    vd->kind = kind;
    return tpl_object_new(ctx, view_type, view_getattr, view_to_str, vd, out);
}

bool tpl_truthy(tpl_ctx *ctx, tpl_value v, bool *out) {
    switch (v.kind) {
    case TPL_UNDEFINED: return tpl_undefined_fail(ctx, v);
    case TPL_NONE: *out = false; break;
    case TPL_BOOL: *out = v.u.b; break;
    case TPL_INT: *out = v.u.i != 0; break;
    case TPL_FLOAT: *out = v.u.f != 0.0; break;
    case TPL_STR: *out = v.u.s->len != 0; break;
    case TPL_LIST:
    case TPL_TUPLE: *out = v.u.list->n != 0; break;
    case TPL_DICT: *out = v.u.dict->n != 0; break;
    case TPL_OBJECT:
        if (tpl_is_range(v))
            *out = tpl_range_len(v) != 0;
        else
            *out = tpl_view_kind_of(v) == TPL_VIEW_NONE || tpl_view_dict(v)->n != 0;
        break;
    default: *out = true; break;
    }
    return true;
}

bool tpl_length(tpl_ctx *ctx, tpl_value v, int64_t *out) {
    switch (v.kind) {
    case TPL_UNDEFINED: return tpl_undefined_fail(ctx, v);
    case TPL_STR:
        if (!tpl_charge_bytes(ctx, v.u.s->len)) return false;
        *out = (int64_t)tpl_utf8_count(v.u.s->data, v.u.s->len);
        return true;
    case TPL_LIST:
    case TPL_TUPLE: *out = (int64_t)v.u.list->n; return true;
    case TPL_DICT: *out = (int64_t)v.u.dict->n; return true;
    case TPL_OBJECT:
        if (tpl_is_range(v)) {
            *out = tpl_range_len(v);
            return true;
        }
        if (tpl_view_kind_of(v) == TPL_VIEW_NONE) goto no_len;
        *out = (int64_t)tpl_view_dict(v)->n;
        return true;
    no_len:
    default:
        return tpl_fail(ctx, TPL_E_TYPE, "object of type '%s' has no len()", tpl_type_name(v));
    }
}

bool tpl_iterate(tpl_ctx *ctx, tpl_value v, tpl_list **out) {
    tpl_value list;
    switch (v.kind) {
    case TPL_UNDEFINED: return tpl_undefined_fail(ctx, v);
    case TPL_LIST:
    case TPL_TUPLE: *out = v.u.list; return true;
    case TPL_DICT: {
        const tpl_dict *d = v.u.dict;
        if (!tpl_list_new(ctx, d->n, &list)) return false;
        if (d->n) memcpy(list.u.list->items, d->keys, d->n * sizeof(tpl_value));
        list.u.list->n = d->n;
        if (!tpl_charge(ctx, d->n / 16)) return false;
        *out = list.u.list;
        return true;
    }
    case TPL_STR: {
        const char *s = v.u.s->data;
        size_t len = v.u.s->len;
        if (!tpl_charge_bytes(ctx, len * 16)) return false;
        if (!tpl_list_new(ctx, len, &list)) return false;
        for (size_t i = 0; i < len;) {
            uint32_t cp;
            size_t n = tpl_utf8_decode(s + i, len - i, &cp);
            tpl_value ch;
            if (!tpl_str_new(ctx, s + i, n, &ch) || !tpl_list_append(ctx, list.u.list, ch))
                return false;
            i += n;
        }
        *out = list.u.list;
        return true;
    }
    case TPL_OBJECT:
        if (tpl_is_range(v)) return tpl_range_list(ctx, v, out);
        if (tpl_view_kind_of(v) != TPL_VIEW_NONE) return view_list(ctx, v.u.obj->data, out);
        goto not_iterable;
    not_iterable:
    default:
        return tpl_fail(ctx, TPL_E_TYPE, "'%s' object is not iterable", tpl_type_name(v));
    }
}

bool tpl_call(tpl_ctx *ctx, tpl_value fn, const tpl_args *args, tpl_value *out) {
    if (fn.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, fn);
    if (fn.kind != TPL_CALLABLE || fn.u.fn->call == NULL)
        return tpl_fail(ctx, TPL_E_TYPE, "'%s' object is not callable", tpl_type_name(fn));
    static const tpl_args none = {0};
    *out = tpl_none();
    return fn.u.fn->call(ctx, fn.u.fn->data, fn.u.fn->self, args ? args : &none, out);
}

/* The placeholder put in vals[] for parameters not passed (present[i] is false). */
static struct {
    size_t len;
    char data[24];
} missing_arg = {16, "missing argument"};

bool tpl_bind_args(tpl_ctx *ctx, const char *fn_name, const tpl_args *args,
                   const char *const *names, tpl_value *vals, bool *present) {
    size_t n_names = 0;
    while (names[n_names]) n_names++;
    for (size_t i = 0; i < n_names; i++) {
        present[i] = false;
        vals[i].kind = TPL_UNDEFINED;
        vals[i].u.s = (tpl_str *)(void *)&missing_arg;
    }
    if (args->n_pos > n_names)
        return tpl_fail(ctx, TPL_E_TYPE, "%s() takes at most %zu argument%s (%zu given)",
                        fn_name, n_names, n_names == 1 ? "" : "s", args->n_pos);
    for (size_t i = 0; i < args->n_pos; i++) {
        vals[i] = args->pos[i];
        present[i] = true;
    }
    for (size_t k = 0; k < args->n_kw; k++) {
        const char *kw = args->kw_names[k];
        size_t i = 0;
        while (i < n_names && strcmp(names[i], kw) != 0) i++;
        if (i == n_names)
            return tpl_fail(ctx, TPL_E_TYPE, "%s() got an unexpected keyword argument '%s'",
                            fn_name, kw);
        if (present[i])
            return tpl_fail(ctx, TPL_E_TYPE, "%s() got multiple values for argument '%s'",
                            fn_name, kw);
        vals[i] = args->kw[k];
        present[i] = true;
    }
    return true;
}
