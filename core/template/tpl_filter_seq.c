/* Jinja2's sequence filters: attr, batch, count/length, dictsort, first, groupby, items,
 * join, last, list, max, min, reverse, slice, sort, sum, unique. Filters Jinja returns
 * as generators (batch, slice, unique, reverse) return lists here. */
#include "template/tpl_impl.h"

#include <string.h>

static bool no_args(tpl_ctx *ctx, const char *fn, const tpl_args *args) {
    if (args->n_pos || args->n_kw)
        return tpl_fail(ctx, TPL_E_TYPE, "%s() takes exactly one argument (%zu given)", fn,
                        args->n_pos + args->n_kw + 1);
    return true;
}

/* ---- attribute getters (make_attrgetter / make_multi_attrgetter) ---- */

/* Looks up one dotted path ("a.b.0": digit parts are ints), item first. */
static bool lookup_path(tpl_ctx *ctx, tpl_value item, const char *path, size_t len, tpl_value dflt,
                        tpl_value *out) {
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < len && path[j] != '.') j++;
        bool digits = j > i;
        int64_t idx = 0;
        for (size_t k = i; k < j; k++) {
            if (path[k] < '0' || path[k] > '9' || idx > (INT64_MAX - 9) / 10) digits = false;
            else idx = idx * 10 + (path[k] - '0');
        }
        tpl_value key;
        if (digits)
            key = tpl_int(idx);
        else if (!tpl_str_new(ctx, path + i, j - i, &key))
            return false;
        if (!tpl_step(ctx) || !tpl_getitem(ctx, item, key, &item)) return false;
        if (dflt.kind != TPL_NONE && item.kind == TPL_UNDEFINED) item = dflt;
        if (j >= len) break;
        i = j + 1;
    }
    *out = item;
    return true;
}

static bool lower_if_str(tpl_ctx *ctx, tpl_value v, bool lower, tpl_value *out) {
    if (lower && v.kind == TPL_STR) return tpl_str_case(ctx, v, TPL_CASE_LOWER, out);
    *out = v;
    return true;
}

bool tpl_attrgetter(tpl_ctx *ctx, tpl_value item, tpl_value attribute, tpl_value dflt, bool lower,
                    tpl_value *out) {
    tpl_value r = item;
    if (attribute.kind == TPL_STR) {
        if (!lookup_path(ctx, item, attribute.u.s->data, attribute.u.s->len, dflt, &r)) return false;
    } else if (attribute.kind != TPL_NONE) {
        if (!tpl_getitem(ctx, item, attribute, &r)) return false;
        if (dflt.kind != TPL_NONE && r.kind == TPL_UNDEFINED) r = dflt;
    }
    return lower_if_str(ctx, r, lower, out);
}

/* make_multi_attrgetter: "age,name" → [item.age, item.name] (a list key). */
static bool multi_attrgetter(tpl_ctx *ctx, tpl_value item, tpl_value attribute, bool lower,
                             tpl_value *out) {
    if (!tpl_list_new(ctx, 1, out)) return false;
    if (attribute.kind != TPL_STR) {
        tpl_value k;
        return tpl_attrgetter(ctx, item, attribute, tpl_none(), lower, &k) &&
               tpl_list_append(ctx, out->u.list, k);
    }
    const char *s = attribute.u.s->data;
    size_t len = attribute.u.s->len, i = 0;
    for (;;) {
        size_t j = i;
        while (j < len && s[j] != ',') j++;
        tpl_value k;
        if (!lookup_path(ctx, item, s + i, j - i, tpl_none(), &k) || !lower_if_str(ctx, k, lower, &k) ||
            !tpl_list_append(ctx, out->u.list, k))
            return false;
        if (j >= len) break;
        i = j + 1;
    }
    return true;
}

/* A fresh list of the items of v. */
static bool to_list(tpl_ctx *ctx, tpl_value v, tpl_value *out) {
    tpl_list *items;
    if (!tpl_iterate(ctx, v, &items)) return false;
    tpl_value src = {.kind = TPL_LIST, .u.list = items};
    return tpl_list_copy(ctx, src, TPL_LIST, out);
}

static bool f_list(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    return no_args(ctx, "list", args) && to_list(ctx, in, out);
}

static bool f_length(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    int64_t n;
    if (!no_args(ctx, "len", args) || !tpl_length(ctx, in, &n)) return false;
    *out = tpl_int(n);
    return true;
}

static bool f_first(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    tpl_list *items;
    if (!no_args(ctx, "do_first", args) || !tpl_iterate(ctx, in, &items)) return false;
    if (items->n == 0) return tpl_undefined_new(ctx, out, "No first item, sequence was empty.");
    *out = items->items[0];
    return true;
}

static bool f_last(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    tpl_list *items;
    if (!no_args(ctx, "do_last", args) || !tpl_check_defined(ctx, in)) return false;
    if (in.kind != TPL_STR && in.kind != TPL_LIST && in.kind != TPL_TUPLE && in.kind != TPL_DICT &&
        tpl_view_kind_of(in) == TPL_VIEW_NONE && !tpl_is_range(in))
        return tpl_fail(ctx, TPL_E_TYPE, "'%s' object is not reversible", tpl_type_name(in));
    if (!tpl_iterate(ctx, in, &items)) return false;
    if (items->n == 0) return tpl_undefined_new(ctx, out, "No last item, sequence was empty.");
    *out = items->items[items->n - 1];
    return true;
}

static bool f_reverse(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    if (!no_args(ctx, "do_reverse", args) || !tpl_check_defined(ctx, in)) return false;
    if (in.kind == TPL_STR)
        return tpl_slice(ctx, in, tpl_none(), tpl_none(), tpl_int(-1), out);
    tpl_list *items;
    bool iterable = tpl_is_seq(in) || in.kind == TPL_DICT || tpl_view_kind_of(in) != TPL_VIEW_NONE ||
                    tpl_is_range(in);
    if (!iterable) return tpl_fail(ctx, TPL_E_FILTER_ARG, "argument must be iterable");
    if (!tpl_iterate(ctx, in, &items) || !tpl_list_new(ctx, items->n, out)) return false;
    for (size_t i = 0; i < items->n; i++) out->u.list->items[i] = items->items[items->n - 1 - i];
    out->u.list->n = items->n;
    return tpl_charge(ctx, items->n / 16);
}

static bool f_join(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_join", "d", "attribute");
    tpl_value sep, attr = p[1] ? v[1] : tpl_none();
    tpl_list *items;
    if (p[0]) {
        if (!tpl_soft_str(ctx, v[0], &sep)) return false;
    } else if (!tpl_str_new(ctx, "", 0, &sep)) {
        return false;
    }
    if (!tpl_iterate(ctx, in, &items)) return false;
    tpl_value strs;
    if (!tpl_list_new(ctx, items->n, &strs)) return false;
    for (size_t i = 0; i < items->n; i++) {
        tpl_value it = items->items[i];
        if (attr.kind != TPL_NONE && !tpl_attrgetter(ctx, it, attr, tpl_none(), false, &it)) return false;
        if (!tpl_soft_str(ctx, it, &strs.u.list->items[i])) return false;
        strs.u.list->n = i + 1;
    }
    return tpl_str_join(ctx, sep, strs, out);
}

static bool f_sort(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_sort", "reverse", "case_sensitive", "attribute");
    bool reverse, cs;
    tpl_value attr = p[2] ? v[2] : tpl_none();
    if (!tpl_arg_bool(ctx, v[0], p[0], false, &reverse) || !tpl_arg_bool(ctx, v[1], p[1], false, &cs) ||
        !to_list(ctx, in, out))
        return false;
    tpl_list *l = out->u.list;
    tpl_value *keys = tpl_alloc(ctx, (l->n ? l->n : 1) * sizeof(tpl_value));
    if (keys == NULL) return false;
    for (size_t i = 0; i < l->n; i++)
        if (!multi_attrgetter(ctx, l->items[i], attr, !cs, &keys[i])) return false;
    return tpl_sort_by_keys(ctx, l->items, keys, l->n, reverse);
}

static bool dict_items(tpl_ctx *ctx, tpl_value in, tpl_value *out) {
    if (!tpl_check_defined(ctx, in)) return false;
    if (in.kind != TPL_DICT)
        return tpl_fail(ctx, TPL_E_ATTRIBUTE, "'%s' object has no attribute 'items'", tpl_type_name(in));
    tpl_value view;
    return tpl_view_new(ctx, in.u.dict, TPL_VIEW_ITEMS, &view) && to_list(ctx, view, out);
}

static bool f_dictsort(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_dictsort", "case_sensitive", "by", "reverse");
    bool cs, reverse;
    int pos = 0;
    if (!tpl_arg_bool(ctx, v[0], p[0], false, &cs) || !tpl_arg_bool(ctx, v[2], p[2], false, &reverse))
        return false;
    if (p[1]) {
        bool is_key = v[1].kind == TPL_STR && strcmp(v[1].u.s->data, "key") == 0;
        bool is_value = v[1].kind == TPL_STR && strcmp(v[1].u.s->data, "value") == 0;
        if (!is_key && !is_value)
            return tpl_fail(ctx, TPL_E_FILTER_ARG, "You can only sort by either \"key\" or \"value\"");
        pos = is_value;
    }
    if (!dict_items(ctx, in, out)) return false;
    tpl_list *l = out->u.list;
    tpl_value *keys = tpl_alloc(ctx, (l->n ? l->n : 1) * sizeof(tpl_value));
    if (keys == NULL) return false;
    for (size_t i = 0; i < l->n; i++)
        if (!lower_if_str(ctx, l->items[i].u.list->items[pos], !cs, &keys[i])) return false;
    return tpl_sort_by_keys(ctx, l->items, keys, l->n, reverse);
}

static bool f_items(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    if (!no_args(ctx, "do_items", args)) return false;
    if (in.kind == TPL_UNDEFINED) return tpl_list_new(ctx, 0, out);
    if (in.kind != TPL_DICT) return tpl_fail(ctx, TPL_E_TYPE, "Can only get item pairs from a mapping.");
    return dict_items(ctx, in, out);
}

static bool f_unique(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_unique", "case_sensitive", "attribute");
    bool cs;
    tpl_value attr = p[1] ? v[1] : tpl_none(), seen;
    tpl_list *items;
    if (!tpl_arg_bool(ctx, v[0], p[0], false, &cs) || !tpl_iterate(ctx, in, &items) ||
        !tpl_dict_new(ctx, &seen) || !tpl_list_new(ctx, 0, out))
        return false;
    for (size_t i = 0; i < items->n; i++) {
        tpl_value key;
        uint64_t h;
        if (!tpl_step(ctx) || !tpl_attrgetter(ctx, items->items[i], attr, tpl_none(), !cs, &key) ||
            !tpl_hash(ctx, key, &h))
            return false;
        if (tpl_dict_get(seen.u.dict, key)) continue;
        if (!tpl_dict_set(ctx, seen.u.dict, key, tpl_none()) ||
            !tpl_list_append(ctx, out->u.list, items->items[i]))
            return false;
    }
    return true;
}

static bool min_max(tpl_ctx *ctx, tpl_value in, const tpl_args *args, bool want_max, tpl_value *out) {
    BIND(want_max ? "do_max" : "do_min", "case_sensitive", "attribute");
    bool cs;
    tpl_value attr = p[1] ? v[1] : tpl_none();
    tpl_list *items;
    if (!tpl_arg_bool(ctx, v[0], p[0], false, &cs) || !tpl_iterate(ctx, in, &items)) return false;
    if (items->n == 0) return tpl_undefined_new(ctx, out, "No aggregated item, sequence was empty.");
    tpl_value best = items->items[0], best_key;
    if (!tpl_attrgetter(ctx, best, attr, tpl_none(), !cs, &best_key)) return false;
    for (size_t i = 1; i < items->n; i++) {
        tpl_value key;
        int cmp;
        if (!tpl_step(ctx) || !tpl_attrgetter(ctx, items->items[i], attr, tpl_none(), !cs, &key) ||
            !tpl_compare(ctx, key, best_key, want_max ? ">" : "<", &cmp))
            return false;
        if (want_max ? cmp > 0 : cmp < 0) {
            best = items->items[i];
            best_key = key;
        }
    }
    *out = best;
    return true;
}

static bool f_min(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    return min_max(ctx, in, args, false, out);
}
static bool f_max(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    return min_max(ctx, in, args, true, out);
}

static bool f_sum(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_sum", "attribute", "start");
    tpl_value attr = p[0] ? v[0] : tpl_none(), acc = p[1] ? v[1] : tpl_int(0);
    tpl_list *items;
    if (!tpl_iterate(ctx, in, &items)) return false;
    if (acc.kind == TPL_STR)
        return tpl_fail(ctx, TPL_E_TYPE, "sum() can't sum strings [use ''.join(seq) instead]");
    for (size_t i = 0; i < items->n; i++) {
        tpl_value it = items->items[i];
        if (!tpl_step(ctx) ||
            (attr.kind != TPL_NONE && !tpl_attrgetter(ctx, it, attr, tpl_none(), false, &it)) ||
            !tpl_binop(ctx, "+", acc, it, &acc))
            return false;
    }
    *out = acc;
    return true;
}

static bool f_groupby(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_groupby", "attribute", "default", "case_sensitive");
    bool cs;
    if (!p[0])
        return tpl_fail(ctx, TPL_E_TYPE, "do_groupby() missing 1 required positional argument: 'attribute'");
    tpl_value attr = v[0], dflt = p[1] ? v[1] : tpl_none(), sorted;
    if (!tpl_arg_bool(ctx, v[2], p[2], false, &cs) || !to_list(ctx, in, &sorted)) return false;
    tpl_list *l = sorted.u.list;
    tpl_value *keys = tpl_alloc(ctx, (l->n ? l->n : 1) * sizeof(tpl_value));
    if (keys == NULL) return false;
    for (size_t i = 0; i < l->n; i++)
        if (!tpl_attrgetter(ctx, l->items[i], attr, dflt, !cs, &keys[i])) return false;
    /* sort a copy of the keys along with the items */
    tpl_value pairs;
    if (!tpl_list_new(ctx, l->n, &pairs)) return false;
    for (size_t i = 0; i < l->n; i++)
        if (!tpl_tuple2(ctx, keys[i], l->items[i], &pairs.u.list->items[i])) return false;
    pairs.u.list->n = l->n;
    if (!tpl_sort_by_keys(ctx, pairs.u.list->items, keys, l->n, false)) return false;
    if (!tpl_list_new(ctx, 0, out)) return false;
    tpl_value group = {.kind = TPL_NONE}, cur_key = {.kind = TPL_NONE};
    for (size_t i = 0; i < l->n; i++) {
        tpl_value key = pairs.u.list->items[i].u.list->items[0];
        tpl_value item = pairs.u.list->items[i].u.list->items[1];
        bool same = false;
        if (group.kind != TPL_NONE && !tpl_equal(ctx, cur_key, key, &same)) return false;
        if (!same) {
            tpl_value grouper = key, t;
            if (!cs && !tpl_attrgetter(ctx, item, attr, dflt, false, &grouper)) return false;
            if (!tpl_list_new(ctx, 0, &group) || !tpl_tuple2(ctx, grouper, group, &t) ||
                !tpl_list_append(ctx, out->u.list, t))
                return false;
            cur_key = key;
        }
        if (!tpl_list_append(ctx, group.u.list, item)) return false;
    }
    return true;
}

static bool f_attr(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_attr", "name");
    if (!p[0]) return tpl_fail(ctx, TPL_E_TYPE, "do_attr() missing 1 required positional argument: 'name'");
    if (!tpl_check_defined(ctx, v[0])) return false;
    if (v[0].kind != TPL_STR) return tpl_fail(ctx, TPL_E_TYPE, "attribute name must be string");
    return tpl_getattr_only(ctx, in, v[0].u.s->data, out);
}

static bool f_batch(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_batch", "linecount", "fill_with");
    if (!p[0]) return tpl_fail(ctx, TPL_E_TYPE, "do_batch() missing 1 required positional argument: 'linecount'");
    tpl_value count = v[0], fill = p[1] ? v[1] : tpl_none(), tmp;
    tpl_list *items;
    if (!tpl_iterate(ctx, in, &items) || !tpl_list_new(ctx, 0, out) || !tpl_list_new(ctx, 0, &tmp))
        return false;
    for (size_t i = 0; i < items->n; i++) {
        bool full;
        if (!tpl_step(ctx) || !tpl_equal(ctx, tpl_int((int64_t)tmp.u.list->n), count, &full)) return false;
        if (full) {
            if (!tpl_list_append(ctx, out->u.list, tmp) || !tpl_list_new(ctx, 0, &tmp)) return false;
        }
        if (!tpl_list_append(ctx, tmp.u.list, items->items[i])) return false;
    }
    if (tmp.u.list->n) {
        int cmp;
        if (fill.kind != TPL_NONE) {
            if (!tpl_compare(ctx, tpl_int((int64_t)tmp.u.list->n), count, "<", &cmp)) return false;
            if (cmp < 0) {
                tpl_value missing, fills, one;
                if (!tpl_binop(ctx, "-", count, tpl_int((int64_t)tmp.u.list->n), &missing) ||
                    !tpl_list_new(ctx, 1, &one) || !tpl_list_append(ctx, one.u.list, fill) ||
                    !tpl_binop(ctx, "*", one, missing, &fills) ||
                    !tpl_binop(ctx, "+", tmp, fills, &tmp))
                    return false;
            }
        }
        if (!tpl_list_append(ctx, out->u.list, tmp)) return false;
    }
    return true;
}

static bool f_slice(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_slice", "slices", "fill_with");
    if (!p[0]) return tpl_fail(ctx, TPL_E_TYPE, "do_slice() missing 1 required positional argument: 'slices'");
    tpl_value fill = p[1] ? v[1] : tpl_none(), seq;
    int64_t slices;
    if (!to_list(ctx, in, &seq) || !tpl_arg_int(ctx, "range", v[0], &slices)) return false;
    int64_t length = (int64_t)seq.u.list->n;
    if (slices == 0) return tpl_fail(ctx, TPL_E_ZERO, "integer division or modulo by zero");
    tpl_value per_v, extra_v;
    if (!tpl_binop(ctx, "//", tpl_int(length), tpl_int(slices), &per_v) ||
        !tpl_binop(ctx, "%", tpl_int(length), tpl_int(slices), &extra_v) || !tpl_list_new(ctx, 0, out))
        return false;
    int64_t per = per_v.u.i, extra = extra_v.u.i, offset = 0;
    for (int64_t k = 0; k < slices; k++) {
        if (!tpl_charge(ctx, 8)) return false; /* each slice allocates: a huge count stops early */
        int64_t start = offset + k * per;
        if (k < extra) offset++;
        int64_t end = offset + (k + 1) * per;
        tpl_value part;
        if (!tpl_slice(ctx, seq, tpl_int(start), tpl_int(end), tpl_none(), &part)) return false;
        if (fill.kind != TPL_NONE && k >= extra && !tpl_list_append(ctx, part.u.list, fill)) return false;
        if (!tpl_list_append(ctx, out->u.list, part)) return false;
    }
    return true;
}

const tpl_filter_entry tpl_filters_seq[] = {
    {"attr", f_attr},         {"batch", f_batch},   {"count", f_length}, {"dictsort", f_dictsort},
    {"first", f_first},       {"groupby", f_groupby}, {"items", f_items}, {"join", f_join},
    {"last", f_last},         {"length", f_length}, {"list", f_list},    {"max", f_max},
    {"min", f_min},           {"reverse", f_reverse}, {"slice", f_slice}, {"sort", f_sort},
    {"sum", f_sum},           {"unique", f_unique}, {NULL, NULL},
};
