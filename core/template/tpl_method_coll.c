/* list, tuple and dict methods (Jinja's SandboxedEnvironment allows the mutating ones),
 * and tpl_method_lookup, the entry point for all builtin methods. */
#include "template/tpl_impl.h"

#include <string.h>

#define SELF_L (self.u.list)
#define SELF_D (self.u.dict)

static bool no_args(tpl_ctx *ctx, const char *fn, const tpl_args *args) {
    if (args->n_pos || args->n_kw)
        return tpl_fail(ctx, TPL_E_TYPE, "%s() takes no arguments (%zu given)", fn,
                        args->n_pos + args->n_kw);
    return true;
}

static bool need(tpl_ctx *ctx, const char *fn, bool present, size_t min) {
    if (!present)
        return tpl_fail(ctx, TPL_E_TYPE, "%s() takes at least %zu argument%s (0 given)", fn, min,
                        min == 1 ? "" : "s");
    return true;
}

/* ---- list ---- */

static bool l_append(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[1];
    bool p[1];
    if (!tpl_bind_args(ctx, "append", args, TPL_NAMES("object"), v, p) ||
        !need(ctx, "append", p[0], 1))
        return false;
    *out = tpl_none();
    return tpl_list_append(ctx, SELF_L, v[0]);
}

static bool l_extend(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[1];
    bool p[1];
    tpl_list *items;
    if (!tpl_bind_args(ctx, "extend", args, TPL_NAMES("iterable"), v, p) ||
        !need(ctx, "extend", p[0], 1) || !tpl_iterate(ctx, v[0], &items))
        return false;
    size_t n = items->n; /* l.extend(l) adds the original items once */
    if (!tpl_charge(ctx, n / 16)) return false;
    for (size_t i = 0; i < n; i++)
        if (!tpl_list_append(ctx, SELF_L, items->items[i])) return false;
    *out = tpl_none();
    return true;
}

static bool l_insert(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[2];
    bool p[2];
    int64_t i;
    if (!tpl_bind_args(ctx, "insert", args, TPL_NAMES("index", "object"), v, p)) return false;
    if (!p[0] || !p[1])
        return tpl_fail(ctx, TPL_E_TYPE, "insert expected 2 arguments, got %zu", args->n_pos);
    if (!tpl_arg_int(ctx, "insert", v[0], &i)) return false;
    int64_t n = (int64_t)SELF_L->n;
    if (i < 0) i = i + n < 0 ? 0 : i + n;
    if (i > n) i = n;
    if (!tpl_charge(ctx, (uint64_t)(n - i) / 16) || !tpl_list_append(ctx, SELF_L, v[1]))
        return false;
    memmove(&SELF_L->items[i + 1], &SELF_L->items[i], (size_t)(n - i) * sizeof(tpl_value));
    SELF_L->items[i] = v[1];
    *out = tpl_none();
    return true;
}

static bool l_pop(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[1];
    bool p[1];
    int64_t i = -1;
    if (!tpl_bind_args(ctx, "pop", args, TPL_NAMES("index"), v, p)) return false;
    if (p[0] && !tpl_arg_int(ctx, "pop", v[0], &i)) return false;
    int64_t n = (int64_t)SELF_L->n;
    if (n == 0) return tpl_fail(ctx, TPL_E_INDEX, "pop from empty list");
    if (i < 0) i += n;
    if (i < 0 || i >= n) return tpl_fail(ctx, TPL_E_INDEX, "pop index out of range");
    *out = SELF_L->items[i];
    if (!tpl_charge(ctx, (uint64_t)(n - i) / 16)) return false;
    memmove(&SELF_L->items[i], &SELF_L->items[i + 1], (size_t)(n - i - 1) * sizeof(tpl_value));
    SELF_L->n--;
    return true;
}

/* Position of x in items[start:end], or -1. */
static bool find_item(tpl_ctx *ctx, const tpl_list *l, tpl_value x, int64_t start, int64_t end,
                      int64_t *pos) {
    int64_t n = (int64_t)l->n;
    if (start < 0) start = start + n < 0 ? 0 : start + n;
    if (end < 0) end = end + n < 0 ? 0 : end + n;
    if (end > n) end = n;
    *pos = -1;
    for (int64_t i = start; i < end; i++) {
        bool eq;
        if (!tpl_step(ctx) || !tpl_equal(ctx, l->items[i], x, &eq)) return false;
        if (eq) {
            *pos = i;
            return true;
        }
    }
    return true;
}

static bool seq_index(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[3];
    bool p[3];
    int64_t start = 0, end = INT64_MAX, pos;
    if (!tpl_bind_args(ctx, "index", args, TPL_NAMES("value", "start", "stop"), v, p) ||
        !need(ctx, "index", p[0], 1))
        return false;
    if (p[1] && !tpl_arg_int(ctx, "index", v[1], &start)) return false;
    if (p[2] && !tpl_arg_int(ctx, "index", v[2], &end)) return false;
    if (!find_item(ctx, SELF_L, v[0], start, end, &pos)) return false;
    if (pos < 0) {
        if (self.kind == TPL_TUPLE)
            return tpl_fail(ctx, TPL_E_VALUE, "tuple.index(x): x not in tuple");
        tpl_value r;
        if (!tpl_repr(ctx, v[0], &r)) return false;
        return tpl_fail(ctx, TPL_E_VALUE, "%s is not in list", r.u.s->data);
    }
    *out = tpl_int(pos);
    return true;
}

static bool seq_count(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[1];
    bool p[1];
    if (!tpl_bind_args(ctx, "count", args, TPL_NAMES("value"), v, p) || !need(ctx, "count", p[0], 1))
        return false;
    int64_t n = 0;
    for (size_t i = 0; i < SELF_L->n; i++) {
        bool eq;
        if (!tpl_step(ctx) || !tpl_equal(ctx, SELF_L->items[i], v[0], &eq)) return false;
        n += eq;
    }
    *out = tpl_int(n);
    return true;
}

static bool l_remove(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[1];
    bool p[1];
    int64_t pos;
    if (!tpl_bind_args(ctx, "remove", args, TPL_NAMES("value"), v, p) ||
        !need(ctx, "remove", p[0], 1) || !find_item(ctx, SELF_L, v[0], 0, INT64_MAX, &pos))
        return false;
    if (pos < 0) return tpl_fail(ctx, TPL_E_VALUE, "list.remove(x): x not in list");
    memmove(&SELF_L->items[pos], &SELF_L->items[pos + 1],
            (SELF_L->n - (size_t)pos - 1) * sizeof(tpl_value));
    SELF_L->n--;
    *out = tpl_none();
    return true;
}

static bool l_copy(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    return no_args(ctx, "copy", args) && tpl_list_copy(ctx, self, TPL_LIST, out);
}

static bool l_clear(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    if (!no_args(ctx, "clear", args)) return false;
    SELF_L->n = 0;
    *out = tpl_none();
    return true;
}

static bool l_reverse(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    if (!no_args(ctx, "reverse", args) || !tpl_charge(ctx, SELF_L->n / 16)) return false;
    for (size_t i = 0, n = SELF_L->n; i < n / 2; i++) {
        tpl_value t = SELF_L->items[i];
        SELF_L->items[i] = SELF_L->items[n - 1 - i];
        SELF_L->items[n - 1 - i] = t;
    }
    *out = tpl_none();
    return true;
}

/* sort(key=None, reverse=False); key may be any callable (a macro, a bound method). */
static bool less_reverse(tpl_ctx *ctx, tpl_value a, tpl_value b, void *data, bool *lt) {
    /* Python's reverse sort keeps equal items in order: "a before b" when b < a */
    return tpl_less(ctx, b, a, NULL, lt);
}

/* Decorated items are (key, index) tuples; only the keys are compared. */
static bool less_decorated(tpl_ctx *ctx, tpl_value a, tpl_value b, void *data, bool *lt) {
    tpl_value ka = a.u.list->items[0], kb = b.u.list->items[0];
    return *(const bool *)data ? tpl_less(ctx, kb, ka, NULL, lt) : tpl_less(ctx, ka, kb, NULL, lt);
}

static bool l_sort(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[2];
    bool p[2], reverse = false;
    if (args->n_pos) return tpl_fail(ctx, TPL_E_TYPE, "sort() takes no positional arguments");
    if (!tpl_bind_args(ctx, "sort", args, TPL_NAMES("key", "reverse"), v, p)) return false;
    if (p[1] && !tpl_truthy(ctx, v[1], &reverse)) return false;
    tpl_list *l = SELF_L;
    size_t n = l->n;
    *out = tpl_none();
    if (!p[0] || v[0].kind == TPL_NONE)
        return tpl_sort(ctx, l->items, n, reverse ? less_reverse : tpl_less, NULL);
    tpl_value deco;
    if (!tpl_list_new(ctx, n, &deco)) return false;
    for (size_t i = 0; i < n && i < l->n; i++) {
        tpl_args ka = {.pos = &l->items[i], .n_pos = 1};
        tpl_value k;
        if (!tpl_call(ctx, v[0], &ka, &k) ||
            !tpl_tuple2(ctx, k, tpl_int((int64_t)i), &deco.u.list->items[i]))
            return false;
        deco.u.list->n = i + 1;
    }
    n = deco.u.list->n; /* a key function could have shrunk the list */
    if (!tpl_sort(ctx, deco.u.list->items, n, less_decorated, &reverse)) return false;
    tpl_value sorted;
    if (!tpl_list_new(ctx, n, &sorted)) return false;
    for (size_t i = 0; i < n; i++) {
        int64_t at = deco.u.list->items[i].u.list->items[1].u.i;
        if ((size_t)at >= l->n) return tpl_fail(ctx, TPL_E_VALUE, "list modified during sort");
        sorted.u.list->items[i] = l->items[at];
    }
    if (l->n < n) n = l->n;
    memcpy(l->items, sorted.u.list->items, n * sizeof(tpl_value));
    return true;
}

/* ---- dict ---- */

static bool d_view(tpl_ctx *ctx, tpl_value self, const tpl_args *args, const char *fn,
                   tpl_view_kind kind, tpl_value *out) {
    return no_args(ctx, fn, args) && tpl_view_new(ctx, SELF_D, kind, out);
}
static bool d_items(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return d_view(ctx, self, a, "items", TPL_VIEW_ITEMS, out);
}
static bool d_keys(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return d_view(ctx, self, a, "keys", TPL_VIEW_KEYS, out);
}
static bool d_values(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return d_view(ctx, self, a, "values", TPL_VIEW_VALUES, out);
}

static bool d_get(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[2];
    bool p[2];
    uint64_t h;
    if (!tpl_bind_args(ctx, "get", args, TPL_NAMES("key", "default"), v, p) ||
        !need(ctx, "get", p[0], 1) || !tpl_hash(ctx, v[0], &h))
        return false;
    tpl_value *found = tpl_dict_get(SELF_D, v[0]);
    *out = found ? *found : p[1] ? v[1] : tpl_none();
    return true;
}

/* dict.update(other, **kw) and dict(other, **kw): a mapping or an iterable of pairs. */
bool tpl_dict_update(tpl_ctx *ctx, tpl_dict *dst, const tpl_args *args, const char *fn) {
    if (args->n_pos > 1)
        return tpl_fail(ctx, TPL_E_TYPE, "%s expected at most 1 argument, got %zu", fn, args->n_pos);
    if (args->n_pos == 1) {
        tpl_value src = args->pos[0];
        if (!tpl_check_defined(ctx, src)) return false;
        if (src.kind == TPL_DICT) {
            const tpl_dict *s = src.u.dict;
            size_t n = s->n;
            for (size_t i = 0; i < n; i++)
                if (!tpl_step(ctx) || !tpl_dict_set(ctx, dst, s->keys[i], s->vals[i])) return false;
        } else {
            tpl_list *items;
            if (!tpl_iterate(ctx, src, &items)) return false;
            for (size_t i = 0; i < items->n; i++) {
                tpl_value it = items->items[i];
                tpl_list *pair;
                if (it.kind == TPL_STR && tpl_utf8_count(it.u.s->data, it.u.s->len) != 2)
                    return tpl_fail(ctx, TPL_E_VALUE,
                                    "dictionary update sequence element #%zu has length %zu; 2 is required",
                                    i, tpl_utf8_count(it.u.s->data, it.u.s->len));
                if (!tpl_step(ctx)) return false;
                if (it.kind != TPL_STR && !tpl_is_seq(it) && tpl_view_kind_of(it) == TPL_VIEW_NONE)
                    return tpl_fail(ctx, TPL_E_TYPE,
                                    "cannot convert dictionary update sequence element #%zu to a sequence",
                                    i);
                if (!tpl_iterate(ctx, it, &pair)) return false;
                if (pair->n != 2)
                    return tpl_fail(ctx, TPL_E_VALUE,
                                    "dictionary update sequence element #%zu has length %zu; 2 is required",
                                    i, pair->n);
                if (!tpl_dict_set(ctx, dst, pair->items[0], pair->items[1])) return false;
            }
        }
    }
    for (size_t k = 0; k < args->n_kw; k++)
        if (!tpl_dict_set_str(ctx, dst, args->kw_names[k], args->kw[k])) return false;
    return true;
}

static bool d_update(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    *out = tpl_none();
    return tpl_dict_update(ctx, SELF_D, args, "update");
}

static bool key_error(tpl_ctx *ctx, tpl_value key) {
    tpl_value r;
    if (!tpl_repr(ctx, key, &r)) return false;
    return tpl_fail(ctx, TPL_E_KEY, "%s", r.u.s->data);
}

static bool d_pop(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[2];
    bool p[2], removed;
    uint64_t h;
    if (!tpl_bind_args(ctx, "pop", args, TPL_NAMES("key", "default"), v, p) ||
        !need(ctx, "pop", p[0], 1) || !tpl_hash(ctx, v[0], &h))
        return false;
    tpl_value *found = tpl_dict_get(SELF_D, v[0]);
    if (found == NULL) {
        if (!p[1]) return key_error(ctx, v[0]);
        *out = v[1];
        return true;
    }
    *out = *found;
    return tpl_dict_remove(ctx, SELF_D, v[0], &removed);
}

static bool d_popitem(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    bool removed;
    if (!no_args(ctx, "popitem", args)) return false;
    if (SELF_D->n == 0) return tpl_fail(ctx, TPL_E_KEY, "'popitem(): dictionary is empty'");
    tpl_value k = SELF_D->keys[SELF_D->n - 1], v = SELF_D->vals[SELF_D->n - 1];
    return tpl_tuple2(ctx, k, v, out) && tpl_dict_remove(ctx, SELF_D, k, &removed);
}

static bool d_setdefault(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[2];
    bool p[2];
    uint64_t h;
    if (!tpl_bind_args(ctx, "setdefault", args, TPL_NAMES("key", "default"), v, p) ||
        !need(ctx, "setdefault", p[0], 1) || !tpl_hash(ctx, v[0], &h))
        return false;
    tpl_value *found = tpl_dict_get(SELF_D, v[0]);
    if (found) {
        *out = *found;
        return true;
    }
    *out = p[1] ? v[1] : tpl_none();
    return tpl_dict_set(ctx, SELF_D, v[0], *out);
}

static bool d_copy(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    return no_args(ctx, "copy", args) && tpl_dict_copy(ctx, SELF_D, out);
}

static bool d_clear(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    if (!no_args(ctx, "clear", args)) return false;
    SELF_D->n = 0;
    if (SELF_D->index) memset(SELF_D->index, 0, SELF_D->index_cap * sizeof(uint32_t));
    *out = tpl_none();
    return true;
}

typedef struct method {
    const char *name, *full;
    tpl_native_fn fn;
} method;

static const method list_methods[] = {
    {"append", "list.append", l_append},   {"extend", "list.extend", l_extend},
    {"insert", "list.insert", l_insert},   {"pop", "list.pop", l_pop},
    {"remove", "list.remove", l_remove},   {"index", "list.index", seq_index},
    {"count", "list.count", seq_count},    {"copy", "list.copy", l_copy},
    {"reverse", "list.reverse", l_reverse}, {"sort", "list.sort", l_sort},
    {"clear", "list.clear", l_clear},      {NULL, NULL, NULL}};

static const method tuple_methods[] = {
    {"index", "tuple.index", seq_index}, {"count", "tuple.count", seq_count}, {NULL, NULL, NULL}};

static const method dict_methods[] = {
    {"items", "dict.items", d_items},    {"keys", "dict.keys", d_keys},
    {"values", "dict.values", d_values}, {"get", "dict.get", d_get},
    {"update", "dict.update", d_update}, {"pop", "dict.pop", d_pop},
    {"popitem", "dict.popitem", d_popitem}, {"setdefault", "dict.setdefault", d_setdefault},
    {"copy", "dict.copy", d_copy},       {"clear", "dict.clear", d_clear},
    {NULL, NULL, NULL}};

bool tpl_method_coll_lookup(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out,
                            bool *found) {
    const method *table = obj.kind == TPL_LIST    ? list_methods
                          : obj.kind == TPL_TUPLE ? tuple_methods
                          : obj.kind == TPL_DICT  ? dict_methods
                                                  : NULL;
    *found = false;
    for (; table && table->name; table++)
        if (strcmp(table->name, name) == 0) {
            *found = true;
            return tpl_callable_new(ctx, table->full, table->fn, NULL, obj, out);
        }
    return true;
}

bool tpl_method_lookup(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out,
                       bool *found) {
    *found = false;
    if (obj.kind == TPL_STR) return tpl_method_str_lookup(ctx, obj, name, out, found);
    return tpl_method_coll_lookup(ctx, obj, name, out, found);
}
