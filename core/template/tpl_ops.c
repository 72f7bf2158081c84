/* Python comparisons on template values: == (exact int/float), ordering (NaN-aware,
 * sequences lexicographic), unary minus and `in`. Arithmetic is in tpl_arith.c. */
#define _GNU_SOURCE /* memmem */
#include "template/tpl_impl.h"

#include <math.h>
#include <string.h>

#define TWO63 9223372036854775808.0

/* Exact comparison of an int and a float: -1, 0, 1, or 2 when f is NaN. */
static int cmp_int_float(int64_t i, double f) {
    if (f != f) return 2;
    if (f >= TWO63) return -1;
    if (f < -TWO63) return 1;
    double fl = floor(f);
    int64_t fi = (int64_t)fl;
    if (i < fi) return -1;
    if (i > fi) return 1;
    return f > fl ? -1 : 0;
}

/* Numeric comparison: -1, 0, 1 or 2 (unordered: NaN). */
static int cmp_numbers(tpl_value a, tpl_value b) {
    if (a.kind != TPL_FLOAT && b.kind != TPL_FLOAT) {
        int64_t x = tpl_as_int(a), y = tpl_as_int(b);
        return x < y ? -1 : x > y;
    }
    if (a.kind == TPL_FLOAT && b.kind == TPL_FLOAT) {
        if (a.u.f != a.u.f || b.u.f != b.u.f) return 2;
        return a.u.f < b.u.f ? -1 : a.u.f > b.u.f;
    }
    if (a.kind == TPL_FLOAT) {
        int c = cmp_int_float(tpl_as_int(b), a.u.f);
        return c == 2 ? 2 : -c;
    }
    return cmp_int_float(tpl_as_int(a), b.u.f);
}

static bool same_method(const tpl_callable *a, const tpl_callable *b) {
    if (a == b) return true;
    if (a->call != b->call || a->data != b->data || a->self.kind != b->self.kind) return false;
    /* bound methods are equal when bound to the same object */
    switch (a->self.kind) {
    case TPL_NONE: return true;
    case TPL_STR: return tpl_key_equal(a->self, b->self);
    case TPL_LIST:
    case TPL_TUPLE: return a->self.u.list == b->self.u.list;
    case TPL_DICT:
    case TPL_NAMESPACE: return a->self.u.dict == b->self.u.dict;
    default: return false;
    }
}

static bool equal_rec(tpl_ctx *ctx, tpl_value a, tpl_value b, bool *out);

static bool dict_equal(tpl_ctx *ctx, const tpl_dict *a, const tpl_dict *b, bool *out) {
    *out = false;
    if (a->n != b->n) return true;
    if (!tpl_charge(ctx, a->n)) return false;
    for (size_t i = 0; i < a->n; i++) {
        tpl_value *bv = tpl_dict_get(b, a->keys[i]);
        if (bv == NULL) return true;
        bool eq;
        if (!equal_rec(ctx, a->vals[i], *bv, &eq)) return false;
        if (!eq) return true;
    }
    *out = true;
    return true;
}

static bool equal_rec(tpl_ctx *ctx, tpl_value a, tpl_value b, bool *out) {
    if (a.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, a);
    if (b.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, b);
    *out = false;
    if (tpl_is_number(a) && tpl_is_number(b)) {
        *out = cmp_numbers(a, b) == 0;
        return true;
    }
    if (a.kind != b.kind) return true;
    switch (a.kind) {
    case TPL_NONE: *out = true; return true;
    case TPL_STR:
        if (!tpl_charge_bytes(ctx, a.u.s->len)) return false;
        *out = a.u.s->len == b.u.s->len && memcmp(a.u.s->data, b.u.s->data, a.u.s->len) == 0;
        return true;
    case TPL_LIST:
    case TPL_TUPLE: {
        const tpl_list *x = a.u.list, *y = b.u.list;
        if (x == y) {
            *out = true;
            return true;
        }
        if (x->n != y->n) return true;
        if (!tpl_charge(ctx, x->n) || !tpl_depth_enter(ctx)) return false;
        bool ok = true, eq = true;
        for (size_t i = 0; i < x->n && eq && ok; i++)
            ok = equal_rec(ctx, x->items[i], y->items[i], &eq);
        tpl_depth_leave(ctx);
        *out = eq;
        return ok;
    }
    case TPL_DICT: {
        if (a.u.dict == b.u.dict) {
            *out = true;
            return true;
        }
        if (!tpl_depth_enter(ctx)) return false;
        bool ok = dict_equal(ctx, a.u.dict, b.u.dict, out);
        tpl_depth_leave(ctx);
        return ok;
    }
    case TPL_NAMESPACE: *out = a.u.dict == b.u.dict; return true;
    case TPL_CALLABLE: *out = same_method(a.u.fn, b.u.fn); return true;
    case TPL_OBJECT:
        if (tpl_is_range(a) || tpl_is_range(b)) {
            *out = tpl_is_range(a) && tpl_is_range(b) && tpl_range_equal(a, b);
            return true;
        }
        *out = a.u.obj == b.u.obj || a.u.obj->data == b.u.obj->data;
        return true;
    default: return true;
    }
}

bool tpl_equal(tpl_ctx *ctx, tpl_value a, tpl_value b, bool *out) {
    return equal_rec(ctx, a, b, out);
}

/* For an unordered pair (NaN), a cmp that makes the operator `op` false. */
static int unordered_for(const char *op) { return op[0] == '<' ? 1 : -1; }

static bool compare_rec(tpl_ctx *ctx, tpl_value a, tpl_value b, const char *op, int *cmp) {
    if (a.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, a);
    if (b.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, b);
    if (tpl_is_number(a) && tpl_is_number(b)) {
        int c = cmp_numbers(a, b);
        *cmp = c == 2 ? unordered_for(op) : c;
        return true;
    }
    if (a.kind == TPL_STR && b.kind == TPL_STR) {
        /* UTF-8 byte order is code point order */
        size_t n = a.u.s->len < b.u.s->len ? a.u.s->len : b.u.s->len;
        if (!tpl_charge_bytes(ctx, n)) return false;
        int c = memcmp(a.u.s->data, b.u.s->data, n);
        if (c == 0) c = a.u.s->len < b.u.s->len ? -1 : a.u.s->len > b.u.s->len;
        *cmp = c < 0 ? -1 : c > 0;
        return true;
    }
    if (a.kind == b.kind && (a.kind == TPL_LIST || a.kind == TPL_TUPLE)) {
        const tpl_list *x = a.u.list, *y = b.u.list;
        size_t n = x->n < y->n ? x->n : y->n;
        if (!tpl_charge(ctx, n) || !tpl_depth_enter(ctx)) return false;
        bool ok = true;
        size_t i = 0;
        for (; i < n; i++) {
            bool eq;
            if (!(ok = equal_rec(ctx, x->items[i], y->items[i], &eq))) break;
            if (!eq) break;
        }
        if (ok) {
            if (i < n)
                ok = compare_rec(ctx, x->items[i], y->items[i], op, cmp);
            else
                *cmp = x->n < y->n ? -1 : x->n > y->n;
        }
        tpl_depth_leave(ctx);
        return ok;
    }
    return tpl_fail(ctx, TPL_E_TYPE, "'%s' not supported between instances of '%s' and '%s'", op,
                    tpl_type_name(a), tpl_type_name(b));
}

bool tpl_compare(tpl_ctx *ctx, tpl_value a, tpl_value b, const char *op, int *cmp) {
    return compare_rec(ctx, a, b, op ? op : "<", cmp);
}

bool tpl_negate(tpl_ctx *ctx, tpl_value a, tpl_value *out) {
    switch (a.kind) {
    case TPL_UNDEFINED: return tpl_undefined_fail(ctx, a);
    case TPL_BOOL: *out = tpl_int(-(int64_t)a.u.b); return true;
    case TPL_INT:
        if (a.u.i == INT64_MIN) return tpl_fail(ctx, TPL_E_OVERFLOW, "integer overflow");
        *out = tpl_int(-a.u.i);
        return true;
    case TPL_FLOAT: *out = tpl_float(-a.u.f); return true;
    default:
        return tpl_fail(ctx, TPL_E_TYPE, "bad operand type for unary -: '%s'", tpl_type_name(a));
    }
}

static bool seq_contains(tpl_ctx *ctx, const tpl_list *l, tpl_value item, bool *out) {
    *out = false;
    if (!tpl_charge(ctx, l->n)) return false;
    for (size_t i = 0; i < l->n; i++) {
        if (!tpl_equal(ctx, l->items[i], item, out)) return false;
        if (*out) return true;
    }
    return true;
}

bool tpl_contains(tpl_ctx *ctx, tpl_value container, tpl_value item, bool *out) {
    if (container.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, container);
    /* an undefined item fails where Python would touch it (==, hash), not in [] */
    *out = false;
    switch (container.kind) {
    case TPL_STR: {
        if (item.kind != TPL_STR)
            return tpl_fail(ctx, TPL_E_TYPE, "'in <string>' requires string as left operand, not %s",
                            tpl_type_name(item));
        if (!tpl_charge_bytes(ctx, container.u.s->len)) return false;
        if (item.u.s->len == 0) {
            *out = true;
            return true;
        }
        *out = memmem(container.u.s->data, container.u.s->len, item.u.s->data, item.u.s->len) != NULL;
        return true;
    }
    case TPL_LIST:
    case TPL_TUPLE: return seq_contains(ctx, container.u.list, item, out);
    case TPL_DICT: {
        uint64_t h;
        if (!tpl_hash(ctx, item, &h)) return false;
        *out = tpl_dict_get(container.u.dict, item) != NULL;
        return true;
    }
    case TPL_OBJECT: {
        tpl_list *items;
        if (tpl_is_range(container)) return tpl_range_contains(ctx, container, item, out);
        if (tpl_view_kind_of(container) != TPL_VIEW_NONE) {
            if (tpl_view_kind_of(container) == TPL_VIEW_KEYS) {
                uint64_t h;
                if (!tpl_hash(ctx, item, &h)) return false;
                *out = tpl_dict_get(tpl_view_dict(container), item) != NULL;
                return true;
            }
            if (!tpl_iterate(ctx, container, &items)) return false;
            return seq_contains(ctx, items, item, out);
        }
        break;
    }
    default: break;
    }
    return tpl_fail(ctx, TPL_E_TYPE, "argument of type '%s' is not iterable",
                    tpl_type_name(container));
}
