/* Expression evaluation: literals, names, attribute/item access, operators, comparisons,
 * conditional expressions. Operators follow Python through the value model (tpl.h);
 * `and`/`or` short-circuit and give an operand, as in Python. */
#include "template/tpl_render.h"

#include <string.h>

/* `a if c` without else gives Jinja's plain (not strict) Undefined when c is false:
 * printing it gives nothing and it is false; any other use raises. */
static const char lenient_prefix[] = "the inline if-expression on ";

static bool is_lenient(tpl_value v) {
    return v.kind == TPL_UNDEFINED && v.u.s != NULL &&
           strncmp(v.u.s->data, lenient_prefix, sizeof lenient_prefix - 1) == 0;
}

bool tpl_r_truthy(tpl_exec *x, tpl_value v, bool *out) {
    if (is_lenient(v)) {
        *out = false;
        return true;
    }
    return tpl_truthy(&x->r->ctx, v, out);
}

bool tpl_r_to_str(tpl_exec *x, tpl_value v, tpl_value *out) {
    if (is_lenient(v)) return tpl_str_new(&x->r->ctx, "", 0, out);
    if (v.kind == TPL_STR) {
        *out = v;
        return true;
    }
    return tpl_to_str(&x->r->ctx, v, out);
}

static const char *binop_name(tpl_tok op) {
    switch (op) {
    case TOK_ADD: return "+";
    case TOK_SUB: return "-";
    case TOK_MUL: return "*";
    case TOK_DIV: return "/";
    case TOK_FLOORDIV: return "//";
    case TOK_MOD: return "%";
    default: return "**";
    }
}

static bool eval_seq(tpl_exec *x, const tpl_nodes *items, bool tuple, tpl_value *out) {
    tpl_ctx *ctx = &x->r->ctx;
    if (!(tuple ? tpl_tuple_new(ctx, items->n, out) : tpl_list_new(ctx, items->n, out)))
        return false;
    for (size_t i = 0; i < items->n; i++) {
        tpl_value v;
        if (!tpl_r_eval(x, items->items[i], &v) || !tpl_list_append(ctx, out->u.list, v))
            return false;
    }
    return true;
}

static bool eval_dict(tpl_exec *x, const tpl_node *n, tpl_value *out) {
    tpl_ctx *ctx = &x->r->ctx;
    if (!tpl_dict_new(ctx, out)) return false;
    for (size_t i = 0; i < n->u.dict.keys.n; i++) {
        tpl_value k, v;
        if (!tpl_r_eval(x, n->u.dict.keys.items[i], &k) ||
            !tpl_r_eval(x, n->u.dict.values.items[i], &v))
            return false;
        tpl_r_at(x, n->u.dict.keys.items[i]);
        if (!tpl_check_defined(ctx, k) || !tpl_dict_set(ctx, out->u.dict, k, v)) return false;
    }
    return true;
}

static bool eval_concat(tpl_exec *x, const tpl_node *n, tpl_value *out) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_buf b = {0};
    for (size_t i = 0; i < n->u.items.n; i++) {
        tpl_value v, s;
        if (!tpl_r_eval(x, n->u.items.items[i], &v)) return false;
        tpl_r_at(x, n);
        if (!tpl_r_to_str(x, v, &s) || !tpl_buf_put(ctx, &b, s.u.s->data, s.u.s->len)) return false;
    }
    return tpl_buf_to_str(ctx, &b, out);
}

static bool compare_one(tpl_exec *x, tpl_cmp_op op, tpl_value a, tpl_value b, bool *result) {
    tpl_ctx *ctx = &x->r->ctx;
    switch (op) {
    case CMP_EQ:
    case CMP_NE:
        if (!tpl_check_defined(ctx, a) || !tpl_check_defined(ctx, b) ||
            !tpl_equal(ctx, a, b, result))
            return false;
        if (op == CMP_NE) *result = !*result;
        return true;
    case CMP_IN:
    case CMP_NOTIN:
        if (!tpl_contains(ctx, b, a, result)) return false;
        if (op == CMP_NOTIN) *result = !*result;
        return true;
    default: {
        static const char *const names[] = {[CMP_LT] = "<", [CMP_LTEQ] = "<=", [CMP_GT] = ">",
                                            [CMP_GTEQ] = ">="};
        int c;
        if (!tpl_compare(ctx, a, b, names[op], &c)) return false;
        *result = op == CMP_LT ? c < 0 : op == CMP_LTEQ ? c <= 0 : op == CMP_GT ? c > 0 : c >= 0;
        return true;
    }
    }
}

/* a < b < c: each link evaluated lazily, stopping at the first false one. */
static bool eval_compare(tpl_exec *x, const tpl_node *n, tpl_value *out) {
    tpl_value left;
    if (!tpl_r_eval(x, n->u.compare.first, &left)) return false;
    bool result = true;
    for (size_t i = 0; i < n->u.compare.operands.n && result; i++) {
        tpl_value right;
        if (!tpl_r_eval(x, n->u.compare.operands.items[i], &right)) return false;
        tpl_r_at(x, n);
        if (!compare_one(x, n->u.compare.ops[i], left, right, &result)) return false;
        left = right;
    }
    *out = tpl_bool(result);
    return true;
}

static bool eval_condexpr(tpl_exec *x, const tpl_node *n, tpl_value *out) {
    tpl_value test;
    bool t;
    if (!tpl_r_eval(x, n->u.cond.test, &test) || !tpl_r_truthy(x, test, &t)) return false;
    if (t) return tpl_r_eval(x, n->u.cond.then, out);
    if (n->u.cond.otherwise != NULL) return tpl_r_eval(x, n->u.cond.otherwise, out);
    return tpl_undefined_new(&x->r->ctx, out,
                             "%sline %d in '%s' evaluated to false and no else section was defined.",
                             lenient_prefix, n->line, x->tmpl->name);
}

static bool eval_getitem(tpl_exec *x, const tpl_node *n, tpl_value *out) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_value obj;
    if (!tpl_r_eval(x, n->u.getitem.obj, &obj)) return false;
    const tpl_node *key = n->u.getitem.key;
    if (key->kind == N_SLICE) {
        tpl_value parts[3] = {tpl_none(), tpl_none(), tpl_none()};
        const tpl_node *nodes[3] = {key->u.slice.start, key->u.slice.stop, key->u.slice.step};
        for (int i = 0; i < 3; i++)
            if (nodes[i] != NULL && !tpl_r_eval(x, nodes[i], &parts[i])) return false;
        tpl_r_at(x, n);
        for (int i = 0; i < 3; i++)
            if (!tpl_check_defined(ctx, parts[i])) return false;
        return tpl_slice(ctx, obj, parts[0], parts[1], parts[2], out);
    }
    tpl_value k;
    if (!tpl_r_eval(x, key, &k)) return false;
    tpl_r_at(x, n);
    return tpl_getitem(ctx, obj, k, out);
}

static bool eval_and_or(tpl_exec *x, const tpl_node *n, tpl_value *out) {
    tpl_value left;
    bool t;
    if (!tpl_r_eval(x, n->u.binop.left, &left) || !tpl_r_truthy(x, left, &t)) return false;
    if (n->kind == N_AND ? !t : t) {
        *out = left;
        return true;
    }
    return tpl_r_eval(x, n->u.binop.right, out);
}

static bool eval_unary(tpl_exec *x, const tpl_node *n, tpl_value *out) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_value v;
    if (!tpl_r_eval(x, n->u.operand, &v)) return false;
    tpl_r_at(x, n);
    if (n->kind == N_NOT) {
        bool t;
        if (!tpl_r_truthy(x, v, &t)) return false;
        *out = tpl_bool(!t);
        return true;
    }
    if (n->kind == N_NEG) return tpl_negate(ctx, v, out);
    /* unary plus */
    if (!tpl_check_defined(ctx, v)) return false;
    if (v.kind == TPL_BOOL) v = tpl_int(v.u.b);
    if (v.kind != TPL_INT && v.kind != TPL_FLOAT)
        return tpl_fail(ctx, TPL_E_TYPE, "bad operand type for unary +: '%s'", tpl_type_name(v));
    *out = v;
    return true;
}

static bool eval_node(tpl_exec *x, const tpl_node *n, tpl_value *out) {
    tpl_ctx *ctx = &x->r->ctx;
    switch (n->kind) {
    case N_CONST: *out = n->u.constant; return true;
    case N_NAME: return tpl_r_lookup(x, n->u.name, out);
    case N_GETATTR: {
        tpl_value obj;
        if (!tpl_r_eval(x, n->u.getattr.obj, &obj)) return false;
        tpl_r_at(x, n);
        bool found;
        if (!tpl_r_macro_attr(ctx, obj, n->u.getattr.attr, out, &found)) return false;
        if (!found && !tpl_r_loop_edge_attr(ctx, obj, n->u.getattr.attr, out, &found)) return false;
        return found || tpl_getattr(ctx, obj, n->u.getattr.attr, out);
    }
    case N_GETITEM: return eval_getitem(x, n, out);
    case N_CALL: return tpl_r_eval_call(x, n, NULL, tpl_none(), out);
    case N_FILTER: return tpl_r_eval_filter(x, n, out);
    case N_TEST: return tpl_r_eval_test(x, n, out);
    case N_NOT:
    case N_NEG:
    case N_POS: return eval_unary(x, n, out);
    case N_BINOP: {
        tpl_value a, b;
        if (!tpl_r_eval(x, n->u.binop.left, &a) || !tpl_r_eval(x, n->u.binop.right, &b))
            return false;
        tpl_r_at(x, n);
        return tpl_binop(ctx, binop_name(n->u.binop.op), a, b, out);
    }
    case N_AND:
    case N_OR: return eval_and_or(x, n, out);
    case N_CONCAT: return eval_concat(x, n, out);
    case N_COMPARE: return eval_compare(x, n, out);
    case N_CONDEXPR: return eval_condexpr(x, n, out);
    case N_LIST: return eval_seq(x, &n->u.items, false, out);
    case N_TUPLE: return eval_seq(x, &n->u.items, true, out);
    case N_DICT: return eval_dict(x, n, out);
    default: return tpl_fail(ctx, TPL_E_RUNTIME, "not an expression");
    }
}

bool tpl_r_eval(tpl_exec *x, const tpl_node *n, tpl_value *out) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_r_at(x, n);
    if (!tpl_step(ctx) || !tpl_depth_enter(ctx)) return false;
    bool ok = eval_node(x, n, out);
    tpl_depth_leave(ctx);
    return ok;
}
