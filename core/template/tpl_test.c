/* Jinja2's tests (`x is defined`, `x is divisibleby 3` ...). Type tests are isinstance
 * checks in Jinja, so they answer false for an undefined value instead of raising. */
#include "template/tpl_impl.h"

#include <string.h>

static bool arity(tpl_ctx *ctx, const char *fn, const tpl_args *args, size_t want, const char *param) {
    size_t got = args->n_pos + args->n_kw;
    if (got < want)
        return tpl_fail(ctx, TPL_E_TYPE, "%s() missing 1 required positional argument: '%s'", fn, param);
    if (got > want)
        return tpl_fail(ctx, TPL_E_TYPE, "%s() takes %zu positional argument%s but %zu were given", fn,
                        want + 1, want ? "s" : "", got + 1);
    return true;
}

/* The single argument of a binary test (positional or keyword). */
static tpl_value arg0(const tpl_args *args) { return args->n_pos ? args->pos[0] : args->kw[0]; }

#define TYPE_TEST(name, expr)                                                               \
    static bool t_##name(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {    \
        if (!arity(ctx, "test_" #name, args, 0, "")) return false;                         \
        *out = (expr);                                                                      \
        return true;                                                                        \
    }

TYPE_TEST(defined, v.kind != TPL_UNDEFINED)
TYPE_TEST(undefined, v.kind == TPL_UNDEFINED)
TYPE_TEST(none, v.kind == TPL_NONE)
TYPE_TEST(boolean, v.kind == TPL_BOOL)
TYPE_TEST(false, v.kind == TPL_BOOL && !v.u.b)
TYPE_TEST(true, v.kind == TPL_BOOL && v.u.b)
TYPE_TEST(integer, v.kind == TPL_INT)
TYPE_TEST(float, v.kind == TPL_FLOAT)
TYPE_TEST(string, v.kind == TPL_STR)
TYPE_TEST(mapping, v.kind == TPL_DICT)
TYPE_TEST(number, tpl_is_number(v))
TYPE_TEST(sequence, v.kind == TPL_STR || v.kind == TPL_LIST || v.kind == TPL_TUPLE || v.kind == TPL_DICT ||
                       tpl_is_range(v))
/* StrictUndefined defines __call__ (to raise), so callable() says yes */
TYPE_TEST(callable, v.kind == TPL_CALLABLE || v.kind == TPL_UNDEFINED)
/* Markup strings are not tracked: only |safe/|escape results would answer true */
TYPE_TEST(escaped, false)

static bool t_iterable(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {
    if (!arity(ctx, "test_iterable", args, 0, "") || !tpl_check_defined(ctx, v)) return false;
    *out = v.kind == TPL_STR || v.kind == TPL_LIST || v.kind == TPL_TUPLE || v.kind == TPL_DICT ||
           tpl_view_kind_of(v) != TPL_VIEW_NONE || tpl_is_range(v);
    return true;
}

/* value % n == 0 / == 1 with Python's % */
static bool mod_equals(tpl_ctx *ctx, tpl_value v, tpl_value n, int64_t want, bool *out) {
    tpl_value r;
    if (!tpl_binop(ctx, "%", v, n, &r)) return false;
    return tpl_equal(ctx, r, tpl_int(want), out);
}

static bool t_odd(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {
    return arity(ctx, "test_odd", args, 0, "") && mod_equals(ctx, v, tpl_int(2), 1, out);
}
static bool t_even(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {
    return arity(ctx, "test_even", args, 0, "") && mod_equals(ctx, v, tpl_int(2), 0, out);
}
static bool t_divisibleby(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {
    return arity(ctx, "test_divisibleby", args, 1, "num") && mod_equals(ctx, v, arg0(args), 0, out);
}

static bool case_test(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool upper, bool *out) {
    tpl_value s;
    return arity(ctx, upper ? "test_upper" : "test_lower", args, 0, "") && tpl_to_str(ctx, v, &s) &&
           tpl_str_is_case(ctx, s, upper, out);
}
static bool t_lower(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {
    return case_test(ctx, v, args, false, out);
}
static bool t_upper(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {
    return case_test(ctx, v, args, true, out);
}

static bool t_in(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {
    return arity(ctx, "test_in", args, 1, "seq") && tpl_contains(ctx, arg0(args), v, out);
}

/* `is`: identity. Values without identity here (numbers, None) compare by value;
 * Python caches small ints, so `1 is 1` holds there too. */
static bool t_sameas(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {
    if (!arity(ctx, "test_sameas", args, 1, "other")) return false;
    tpl_value o = arg0(args);
    *out = false;
    if (v.kind != o.kind) return true;
    switch (v.kind) {
    case TPL_NONE: *out = true; break;
    case TPL_BOOL: *out = v.u.b == o.u.b; break;
    case TPL_INT: *out = v.u.i == o.u.i && v.u.i >= -5 && v.u.i <= 256; break;
    case TPL_FLOAT: *out = false; break;
    case TPL_STR: *out = v.u.s == o.u.s; break;
    case TPL_LIST:
    case TPL_TUPLE: *out = v.u.list == o.u.list; break;
    case TPL_DICT:
    case TPL_NAMESPACE: *out = v.u.dict == o.u.dict; break;
    case TPL_CALLABLE: *out = v.u.fn == o.u.fn; break;
    case TPL_OBJECT: *out = v.u.obj == o.u.obj; break;
    case TPL_UNDEFINED: *out = v.u.s == o.u.s; break;
    }
    return true;
}

static bool name_in(tpl_ctx *ctx, tpl_value v, bool filters, bool *out) {
    uint64_t h;
    if (!tpl_hash(ctx, v, &h)) return false;
    *out = v.kind == TPL_STR &&
           (filters ? tpl_filter_lookup(v.u.s->data) != NULL : tpl_test_lookup(v.u.s->data) != NULL);
    return true;
}
static bool t_filter(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {
    return arity(ctx, "test_filter", args, 0, "") && name_in(ctx, v, true, out);
}
static bool t_test(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {
    return arity(ctx, "test_test", args, 0, "") && name_in(ctx, v, false, out);
}

static bool t_eq(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {
    return arity(ctx, "eq", args, 1, "b") && tpl_equal(ctx, v, arg0(args), out);
}
static bool t_ne(tpl_ctx *ctx, tpl_value v, const tpl_args *args, bool *out) {
    if (!arity(ctx, "ne", args, 1, "b") || !tpl_equal(ctx, v, arg0(args), out)) return false;
    *out = !*out;
    return true;
}

static bool ordering(tpl_ctx *ctx, tpl_value v, const tpl_args *args, const char *op, bool *out) {
    int cmp;
    if (!arity(ctx, op, args, 1, "b") || !tpl_compare(ctx, v, arg0(args), op, &cmp)) return false;
    *out = op[0] == '<' ? (op[1] ? cmp <= 0 : cmp < 0) : (op[1] ? cmp >= 0 : cmp > 0);
    return true;
}
static bool t_lt(tpl_ctx *ctx, tpl_value v, const tpl_args *a, bool *out) { return ordering(ctx, v, a, "<", out); }
static bool t_le(tpl_ctx *ctx, tpl_value v, const tpl_args *a, bool *out) { return ordering(ctx, v, a, "<=", out); }
static bool t_gt(tpl_ctx *ctx, tpl_value v, const tpl_args *a, bool *out) { return ordering(ctx, v, a, ">", out); }
static bool t_ge(tpl_ctx *ctx, tpl_value v, const tpl_args *a, bool *out) { return ordering(ctx, v, a, ">=", out); }

static const tpl_test_entry tests[] = {
    {"odd", t_odd},           {"even", t_even},         {"divisibleby", t_divisibleby},
    {"defined", t_defined},   {"undefined", t_undefined}, {"filter", t_filter},
    {"test", t_test},         {"none", t_none},         {"boolean", t_boolean},
    {"false", t_false},       {"true", t_true},         {"integer", t_integer},
    {"float", t_float},       {"lower", t_lower},       {"upper", t_upper},
    {"string", t_string},     {"mapping", t_mapping},   {"number", t_number},
    {"sequence", t_sequence}, {"iterable", t_iterable}, {"callable", t_callable},
    {"sameas", t_sameas},     {"escaped", t_escaped},   {"in", t_in},
    {"==", t_eq},             {"eq", t_eq},             {"equalto", t_eq},
    {"!=", t_ne},             {"ne", t_ne},             {">", t_gt},
    {"gt", t_gt},             {"greaterthan", t_gt},    {"ge", t_ge},
    {">=", t_ge},             {"<", t_lt},              {"lt", t_lt},
    {"lessthan", t_lt},       {"<=", t_le},             {"le", t_le},
    {NULL, NULL},
};

tpl_test_fn tpl_test_lookup(const char *name) {
    for (const tpl_test_entry *e = tests; e->name; e++)
        if (strcmp(e->name, name) == 0) return e->fn;
    return NULL;
}
