/* Statement execution: output, if, set (plain and block), with, filter blocks, and the
 * dispatch to loops, macros, inheritance and includes (tpl_render_*.c). */
#include "template/tpl_render.h"

#include <string.h>

/* A child frame: a fresh scope below the current one, no longer the top level. */
static tpl_exec inner(const tpl_exec *x, tpl_scope *scope) {
    tpl_exec y = *x;
    y.scope = scope;
    y.toplevel = false;
    return y;
}

static bool write_value(tpl_exec *x, tpl_value v) {
    tpl_value s;
    if (!tpl_r_to_str(x, v, &s)) return false;
    return tpl_buf_put(&x->r->ctx, x->out, s.u.s->data, s.u.s->len);
}

static bool exec_output(tpl_exec *x, const tpl_node *n) {
    /* once the top level extended a template, its own output is dropped */
    if ((n->flags & TPL_NODE_OUTPUT_CHECK) && x->root != NULL && x->root->parent != NULL)
        return true;
    for (size_t i = 0; i < n->u.items.n; i++) {
        const tpl_node *item = n->u.items.items[i];
        if (item->kind == N_DATA) {
            if (!tpl_buf_put(&x->r->ctx, x->out, item->u.data.text, item->u.data.len)) return false;
            continue;
        }
        tpl_value v;
        if (!tpl_r_eval(x, item, &v)) return false;
        tpl_r_at(x, item);
        if (!write_value(x, v)) return false;
    }
    return true;
}

static bool exec_if(tpl_exec *x, const tpl_node *n) {
    for (size_t i = 0; i < n->u.if_.tests.n; i++) {
        tpl_value v;
        bool t;
        if (!tpl_r_eval(x, n->u.if_.tests.items[i], &v)) return false;
        tpl_r_at(x, n->u.if_.tests.items[i]);
        if (!tpl_r_truthy(x, v, &t)) return false;
        if (t) return tpl_r_exec_body(x, &n->u.if_.bodies[i]);
    }
    return tpl_r_exec_body(x, &n->u.if_.else_body);
}

/* Runs body in a child scope, capturing its output as a string. */
static bool capture(tpl_exec *x, const tpl_nodes *body, const tpl_names *unset, tpl_exec *y,
                    tpl_value *out) {
    tpl_scope *scope = tpl_scope_new(&x->r->ctx, x->scope);
    if (scope == NULL || !tpl_r_unset(&x->r->ctx, scope, unset)) return false;
    tpl_buf buf = {0};
    *y = inner(x, scope);
    y->out = &buf;
    if (!tpl_r_exec_body(y, body)) return false;
    return tpl_buf_to_str(&x->r->ctx, &buf, out);
}

/* A filter chain whose innermost filter takes `input` (the captured body). */
static bool apply_filter(tpl_exec *y, const tpl_node *filter, tpl_value input, tpl_value *out) {
    const tpl_value *saved = y->filter_input;
    y->filter_input = &input;
    bool ok = tpl_r_eval(y, filter, out);
    y->filter_input = saved;
    return ok;
}

static bool exec_set_block(tpl_exec *x, const tpl_node *n) {
    tpl_exec y;
    tpl_value v;
    if (!capture(x, &n->u.set_block.body, &n->u.set_block.unset, &y, &v)) return false;
    if (n->u.set_block.filter != NULL && !apply_filter(&y, n->u.set_block.filter, v, &v))
        return false;
    tpl_r_at(x, n);
    return tpl_r_assign(x, n->u.set_block.target, v);
}

static bool exec_filter_block(tpl_exec *x, const tpl_node *n) {
    tpl_exec y;
    tpl_value v;
    if (!capture(x, &n->u.filter_block.body, &n->u.filter_block.unset, &y, &v) ||
        !apply_filter(&y, n->u.filter_block.filter, v, &v))
        return false;
    tpl_r_at(x, n);
    return write_value(x, v);
}

static bool exec_with(tpl_exec *x, const tpl_node *n) {
    tpl_scope *scope = tpl_scope_new(&x->r->ctx, x->scope);
    if (scope == NULL || !tpl_r_unset(&x->r->ctx, scope, &n->u.with.unset)) return false;
    tpl_exec y = inner(x, scope);
    /* values are evaluated outside: `with a = 1, b = a` does not see the new a */
    for (size_t i = 0; i < n->u.with.targets.n; i++) {
        tpl_value v;
        if (!tpl_r_eval(x, n->u.with.values.items[i], &v)) return false;
        tpl_r_at(x, n->u.with.targets.items[i]);
        if (!tpl_r_assign(&y, n->u.with.targets.items[i], v)) return false;
    }
    return tpl_r_exec_body(&y, &n->u.with.body);
}

/* {% autoescape %}: evaluated for its errors; output escaping is not modelled (Forgather
 * renders YAML with autoescape off). */
static bool exec_autoescape(tpl_exec *x, const tpl_node *n) {
    tpl_scope *scope = tpl_scope_new(&x->r->ctx, x->scope);
    if (scope == NULL || !tpl_r_unset(&x->r->ctx, scope, &n->u.autoescape.unset)) return false;
    tpl_exec y = inner(x, scope);
    tpl_value v;
    if (!tpl_r_eval(&y, n->u.autoescape.value, &v)) return false;
    return tpl_r_exec_body(&y, &n->u.autoescape.body);
}

static bool exec_stmt(tpl_exec *x, const tpl_node *n) {
    switch (n->kind) {
    case N_OUTPUT: return exec_output(x, n);
    case N_IF: return exec_if(x, n);
    case N_FOR: return tpl_r_exec_for(x, n);
    case N_SET: {
        tpl_value v;
        if (!tpl_r_eval(x, n->u.set.value, &v)) return false;
        tpl_r_at(x, n);
        return tpl_r_assign(x, n->u.set.target, v);
    }
    case N_SET_BLOCK: return exec_set_block(x, n);
    case N_BLOCK: return tpl_r_exec_block(x, n);
    case N_EXTENDS: return tpl_r_exec_extends(x, n);
    case N_INCLUDE: return tpl_r_exec_include(x, n);
    case N_IMPORT: return tpl_r_exec_import(x, n);
    case N_FROM_IMPORT: return tpl_r_exec_from_import(x, n);
    case N_MACRO: return tpl_r_define_macro(x, n);
    case N_CALL_BLOCK: return tpl_r_exec_call_block(x, n);
    case N_FILTER_BLOCK: return exec_filter_block(x, n);
    case N_WITH: return exec_with(x, n);
    case N_AUTOESCAPE: return exec_autoescape(x, n);
    default: return tpl_fail(&x->r->ctx, TPL_E_RUNTIME, "not a statement");
    }
}

bool tpl_r_exec_body(tpl_exec *x, const tpl_nodes *body) {
    tpl_ctx *ctx = &x->r->ctx;
    for (size_t i = 0; i < body->n; i++) {
        const tpl_node *n = body->items[i];
        tpl_r_at(x, n);
        if (!tpl_step(ctx) || !tpl_depth_enter(ctx)) return false;
        bool ok = exec_stmt(x, n);
        tpl_depth_leave(ctx);
        if (!ok) return false;
    }
    return true;
}

void tpl_r_push_frame(tpl_ctx *ctx, const char *how) {
    if (ctx->n_chain < TPL_MAX_CHAIN) {
        ctx->chain[ctx->n_chain].how = how;
        ctx->chain[ctx->n_chain].loc = ctx->loc;
    }
    ctx->n_chain++;
}

void tpl_r_pop_frame(tpl_ctx *ctx) {
    /* the first error keeps its chain: tpl_fail has already formatted it */
    if (ctx->n_chain > 0) ctx->n_chain--;
}
