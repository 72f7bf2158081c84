/* A walk over the syntax tree visiting children in the field order of Jinja2's node
 * classes (used by the compile-time checks and the symbol analysis). */
#include "template/tpl_parse.h"

void tpl_p_walk_list(tpl_walker *w, const tpl_nodes *l, bool store) {
    for (size_t i = 0; i < l->n; i++) tpl_p_walk(w, l->items[i], store);
}

static void walk_args(tpl_walker *w, const tpl_call_args *a) {
    tpl_p_walk_list(w, &a->pos, false);
    tpl_p_walk_list(w, &a->kw, false);
    if (a->star) tpl_p_walk(w, a->star, false);
    if (a->dstar) tpl_p_walk(w, a->dstar, false);
}

static void walk_macro(tpl_walker *w, const tpl_macro_def *m) {
    for (size_t i = 0; i < m->n_params; i++)
        if (w->param) w->param(w, m->params[i]);
    tpl_p_walk_list(w, &m->defaults, false);
    tpl_p_walk_list(w, &m->body, false);
}

/* Children in the field order of Jinja's node classes. */
void tpl_p_walk(tpl_walker *w, tpl_node *n, bool store) {
    if (n == NULL || !w->enter(w, n, store)) return;
    switch (n->kind) {
    case N_GETATTR: tpl_p_walk(w, n->u.getattr.obj, false); break;
    case N_GETITEM:
        tpl_p_walk(w, n->u.getitem.obj, false);
        tpl_p_walk(w, n->u.getitem.key, false);
        break;
    case N_SLICE:
        tpl_p_walk(w, n->u.slice.start, false);
        tpl_p_walk(w, n->u.slice.stop, false);
        tpl_p_walk(w, n->u.slice.step, false);
        break;
    case N_CALL:
        tpl_p_walk(w, n->u.call.fn, false);
        walk_args(w, &n->u.call.args);
        break;
    case N_FILTER:
    case N_TEST:
        tpl_p_walk(w, n->u.filter.input, false);
        walk_args(w, &n->u.filter.args);
        break;
    case N_NOT:
    case N_NEG:
    case N_POS: tpl_p_walk(w, n->u.operand, false); break;
    case N_BINOP:
    case N_AND:
    case N_OR:
        tpl_p_walk(w, n->u.binop.left, false);
        tpl_p_walk(w, n->u.binop.right, false);
        break;
    case N_CONCAT:
    case N_LIST:
    case N_OUTPUT: tpl_p_walk_list(w, &n->u.items, false); break;
    case N_TUPLE: tpl_p_walk_list(w, &n->u.items, store); break;
    case N_COMPARE:
        tpl_p_walk(w, n->u.compare.first, false);
        tpl_p_walk_list(w, &n->u.compare.operands, false);
        break;
    case N_CONDEXPR:
        tpl_p_walk(w, n->u.cond.test, false);
        tpl_p_walk(w, n->u.cond.then, false);
        tpl_p_walk(w, n->u.cond.otherwise, false);
        break;
    case N_DICT:
        for (size_t i = 0; i < n->u.dict.keys.n; i++) {
            tpl_p_walk(w, n->u.dict.keys.items[i], false);
            tpl_p_walk(w, n->u.dict.values.items[i], false);
        }
        break;
    case N_IF:
        for (size_t i = 0; i < n->u.if_.tests.n; i++) {
            tpl_p_walk(w, n->u.if_.tests.items[i], false);
            tpl_p_walk_list(w, &n->u.if_.bodies[i], false);
        }
        tpl_p_walk_list(w, &n->u.if_.else_body, false);
        break;
    case N_FOR:
        tpl_p_walk(w, n->u.for_.target, true);
        tpl_p_walk(w, n->u.for_.iter, false);
        tpl_p_walk_list(w, &n->u.for_.body, false);
        tpl_p_walk_list(w, &n->u.for_.else_body, false);
        tpl_p_walk(w, n->u.for_.filter, false);
        break;
    case N_SET:
        tpl_p_walk(w, n->u.set.target, true);
        tpl_p_walk(w, n->u.set.value, false);
        break;
    case N_SET_BLOCK:
        tpl_p_walk(w, n->u.set_block.target, true);
        tpl_p_walk(w, n->u.set_block.filter, false);
        tpl_p_walk_list(w, &n->u.set_block.body, false);
        break;
    case N_BLOCK: tpl_p_walk_list(w, &n->u.block.body, false); break;
    case N_EXTENDS: tpl_p_walk(w, n->u.extends.template_, false); break;
    case N_INCLUDE: tpl_p_walk(w, n->u.include.template_, false); break;
    case N_IMPORT: tpl_p_walk(w, n->u.import.template_, false); break;
    case N_FROM_IMPORT: tpl_p_walk(w, n->u.from_import.template_, false); break;
    case N_MACRO: walk_macro(w, &n->u.macro); break;
    case N_CALL_BLOCK:
        tpl_p_walk(w, n->u.call_block.call, false);
        walk_macro(w, &n->u.call_block.caller);
        break;
    case N_FILTER_BLOCK:
        tpl_p_walk_list(w, &n->u.filter_block.body, false);
        tpl_p_walk(w, n->u.filter_block.filter, false);
        break;
    case N_WITH:
        tpl_p_walk_list(w, &n->u.with.targets, true);
        tpl_p_walk_list(w, &n->u.with.values, false);
        tpl_p_walk_list(w, &n->u.with.body, false);
        break;
    case N_AUTOESCAPE:
        tpl_p_walk(w, n->u.autoescape.value, false);
        tpl_p_walk_list(w, &n->u.autoescape.body, false);
        break;
    default: break;
    }
}

