/* What Jinja2's compiler decides before a template runs, done on our tree after parsing:
 *  - errors it raises at compile time: a block defined twice, extends outside the top
 *    level, an unknown filter or test (except inside if-statements and conditional
 *    expressions, where Jinja 3 defers the error to when it is called), assigning to
 *    `loop` in a for loop, a `caller` parameter without default;
 *  - facts the renderer needs: which macros take caller/varargs/kwargs, which loops
 *    provide `loop`, which output is skipped once a template has extended another.
 * The walk follows the compiler's order so the first error reported is Jinja's. */
#include "template/tpl_parse.h"
#include "template/tpl_impl.h"

#include <string.h>

/* ---- Jinja's find_undeclared: which of a few special names a body reads ------------- */

typedef struct undeclared {
    tpl_walker w;
    const char *const *names;
    bool candidate[3]; /* still looked for */
    bool found[3];
    size_t n;
} undeclared;

static int special_index(undeclared *u, const char *name) {
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->names[i], name) == 0) return (int)i;
    return -1;
}

static bool undeclared_enter(tpl_walker *w, tpl_node *n, bool store) {
    undeclared *u = (undeclared *)w;
    if (n->kind == N_BLOCK) return false; /* Jinja's visitor stops at blocks */
    if (n->kind != N_NAME) return true;
    int i = special_index(u, n->u.name);
    if (i < 0) return true;
    if (!store && u->candidate[i]) u->found[i] = true;
    else if (store) u->candidate[i] = false;
    return true;
}

static void undeclared_param(tpl_walker *w, const char *name) {
    undeclared *u = (undeclared *)w;
    int i = special_index(u, name);
    if (i >= 0) u->candidate[i] = false;
}

static void find_undeclared(const tpl_nodes *body, const char *const *names, size_t n, bool *found) {
    undeclared u = {.w = {undeclared_enter, undeclared_param}, .names = names, .n = n};
    for (size_t i = 0; i < n; i++) u.candidate[i] = true;
    tpl_p_walk_list(&u.w, body, false);
    for (size_t i = 0; i < n; i++) found[i] = u.found[i];
}

/* ---- the checker ------------------------------------------------------------------------ */

typedef struct checker {
    tpl_parser *p;
    tpl_template *tmpl;
    bool known_extends; /* a top-level extends was seen (Jinja's has_known_extends) */
} checker;

/* Jinja's compile-time frame properties. */
typedef struct frame {
    bool soft;         /* inside if / conditional expression: unknown filters wait */
    bool toplevel;     /* the template's top level, or an if there */
    bool rootlevel;    /* the top level itself */
    bool output_check; /* output is dropped once the template extended another */
} frame;

static frame inner_frame(frame f) {
    frame r = {false, false, false, f.output_check};
    return r;
}

static bool fail_at(checker *c, const tpl_node *n, const char *error_class, const char *msg,
                    const char *arg) {
    tpl_ctx *ctx = c->p->ctx;
    if (ctx->failed) return false;
    ctx->loc.file = c->p->file;
    ctx->loc.line = n->line;
    ctx->loc.column = n->column;
    return arg ? tpl_fail(ctx, error_class, msg, arg) : tpl_fail(ctx, error_class, "%s", msg);
}

static bool check_expr(checker *c, tpl_node *n, frame f);

static bool check_list(checker *c, const tpl_nodes *l, frame f) {
    for (size_t i = 0; i < l->n; i++)
        if (!check_expr(c, l->items[i], f)) return false;
    return true;
}

static bool check_args(checker *c, const tpl_call_args *a, frame f) {
    return check_list(c, &a->pos, f) && check_list(c, &a->kw, f) &&
           (a->star == NULL || check_expr(c, a->star, f)) &&
           (a->dstar == NULL || check_expr(c, a->dstar, f));
}

static bool check_expr(checker *c, tpl_node *n, frame f) {
    if (n == NULL) return true;
    switch (n->kind) {
    case N_GETATTR: return check_expr(c, n->u.getattr.obj, f);
    case N_GETITEM: return check_expr(c, n->u.getitem.obj, f) && check_expr(c, n->u.getitem.key, f);
    case N_SLICE:
        return check_expr(c, n->u.slice.start, f) && check_expr(c, n->u.slice.stop, f) &&
               check_expr(c, n->u.slice.step, f);
    case N_CALL: return check_expr(c, n->u.call.fn, f) && check_args(c, &n->u.call.args, f);
    case N_FILTER:
    case N_TEST: {
        bool known = n->kind == N_FILTER ? n->u.filter.filter != NULL : n->u.filter.test != NULL;
        if (!known && !f.soft)
            return fail_at(c, n, TPL_E_ASSERTION,
                           n->kind == N_FILTER ? "No filter named '%s'." : "No test named '%s'.",
                           n->u.filter.name);
        return check_expr(c, n->u.filter.input, f) && check_args(c, &n->u.filter.args, f);
    }
    case N_NOT:
    case N_NEG:
    case N_POS: return check_expr(c, n->u.operand, f);
    case N_BINOP:
    case N_AND:
    case N_OR: return check_expr(c, n->u.binop.left, f) && check_expr(c, n->u.binop.right, f);
    case N_CONCAT:
    case N_LIST:
    case N_TUPLE: return check_list(c, &n->u.items, f);
    case N_COMPARE:
        return check_expr(c, n->u.compare.first, f) && check_list(c, &n->u.compare.operands, f);
    case N_CONDEXPR:
        f.soft = true;
        return check_expr(c, n->u.cond.then, f) && check_expr(c, n->u.cond.test, f) &&
               check_expr(c, n->u.cond.otherwise, f);
    case N_DICT: return check_list(c, &n->u.dict.keys, f) && check_list(c, &n->u.dict.values, f);
    default: return true;
    }
}

static bool check_body(checker *c, const tpl_nodes *body, frame f);

/* Stores to `loop` anywhere in a for loop, and whether it holds a scoped block. */
typedef struct loop_scan {
    tpl_walker w;
    tpl_node *loop_store;
    bool scoped_block;
} loop_scan;

static bool loop_scan_enter(tpl_walker *w, tpl_node *n, bool store) {
    loop_scan *s = (loop_scan *)w;
    if (n->kind == N_NAME && store && strcmp(n->u.name, "loop") == 0 && s->loop_store == NULL)
        s->loop_store = n;
    if (n->kind == N_BLOCK && n->u.block.scoped) s->scoped_block = true;
    return true;
}

static bool check_for(checker *c, tpl_node *n, frame f) {
    frame inner = inner_frame(f);
    if (!check_expr(c, n->u.for_.filter, inner) || !check_expr(c, n->u.for_.iter, f) ||
        !check_body(c, &n->u.for_.body, inner) || !check_body(c, &n->u.for_.else_body, inner))
        return false;
    static const char *const loop_name[] = {"loop"};
    bool uses_loop;
    find_undeclared(&n->u.for_.body, loop_name, 1, &uses_loop);
    loop_scan scan = {.w = {loop_scan_enter, NULL}};
    tpl_p_walk(&scan.w, n, false);
    n->u.for_.uses_loop = n->u.for_.recursive || uses_loop || scan.scoped_block;
    if (scan.loop_store != NULL)
        return fail_at(c, scan.loop_store, TPL_E_ASSERTION,
                       "Can't assign to special loop variable in for-loop target", NULL);
    return true;
}

static bool check_macro(checker *c, tpl_node *at, tpl_macro_def *m) {
    frame macro = {false, false, false, false};
    if (!check_list(c, &m->defaults, macro) || !check_body(c, &m->body, macro)) return false;
    static const char *const special[] = {"caller", "kwargs", "varargs"};
    bool found[3];
    find_undeclared(&m->body, special, 3, found);
    size_t caller_index = m->n_params;
    bool has_kwargs = false, has_varargs = false;
    for (size_t i = 0; i < m->n_params; i++) {
        if (strcmp(m->params[i], "caller") == 0) caller_index = i;
        if (strcmp(m->params[i], "kwargs") == 0) has_kwargs = true;
        if (strcmp(m->params[i], "varargs") == 0) has_varargs = true;
    }
    m->explicit_caller = caller_index < m->n_params;
    if (found[0] && m->explicit_caller && caller_index < m->n_params - m->defaults.n)
        return fail_at(c, at, TPL_E_ASSERTION,
                       "When defining macros or call blocks the special \"caller\" argument"
                       " must be omitted or be given a default.",
                       NULL);
    m->uses_caller = found[0] && !m->explicit_caller;
    m->uses_kwargs = found[1] && !has_kwargs;
    m->uses_varargs = found[2] && !has_varargs;
    return true;
}

static bool check_stmt(checker *c, tpl_node *n, frame f, bool *stop) {
    frame inner = inner_frame(f);
    switch (n->kind) {
    case N_OUTPUT:
        if (f.output_check) n->flags |= TPL_NODE_OUTPUT_CHECK;
        if (f.output_check && c->known_extends) return true; /* never compiled */
        return check_list(c, &n->u.items, f);
    case N_IF: {
        frame soft = f;
        soft.soft = true;
        soft.rootlevel = false;
        for (size_t i = 0; i < n->u.if_.tests.n; i++)
            if (!check_expr(c, n->u.if_.tests.items[i], soft) ||
                !check_body(c, &n->u.if_.bodies[i], soft))
                return false;
        return check_body(c, &n->u.if_.else_body, soft);
    }
    case N_FOR: return check_for(c, n, f);
    case N_SET: return check_expr(c, n->u.set.value, f);
    case N_SET_BLOCK: {
        frame capture = {false, false, false, false};
        return check_body(c, &n->u.set_block.body, capture) &&
               check_expr(c, n->u.set_block.filter, capture);
    }
    case N_BLOCK:
        if (f.toplevel) n->flags |= TPL_NODE_TOPLEVEL;
        return true; /* its body is checked on its own, after the top level */
    case N_EXTENDS:
        if (!f.toplevel)
            return fail_at(c, n, TPL_E_ASSERTION, "cannot use extend from a non top-level scope",
                           NULL);
        if (c->known_extends) {
            *stop = true; /* Jinja stops compiling here: the rest can never run */
            return true;
        }
        if (!check_expr(c, n->u.extends.template_, f)) return false;
        if (f.rootlevel) c->known_extends = true;
        return true;
    case N_INCLUDE: return check_expr(c, n->u.include.template_, f);
    case N_IMPORT: return check_expr(c, n->u.import.template_, f);
    case N_FROM_IMPORT: return check_expr(c, n->u.from_import.template_, f);
    case N_MACRO: return check_macro(c, n, &n->u.macro);
    case N_CALL_BLOCK:
        return check_macro(c, n, &n->u.call_block.caller) && check_expr(c, n->u.call_block.call, f);
    case N_FILTER_BLOCK:
        return check_body(c, &n->u.filter_block.body, inner) &&
               check_expr(c, n->u.filter_block.filter, inner);
    case N_WITH:
        return check_list(c, &n->u.with.values, f) && check_body(c, &n->u.with.body, inner);
    case N_AUTOESCAPE:
        return check_expr(c, n->u.autoescape.value, inner) &&
               check_body(c, &n->u.autoescape.body, inner);
    default: return true;
    }
}

static bool check_body(checker *c, const tpl_nodes *body, frame f) {
    for (size_t i = 0; i < body->n; i++) {
        bool stop = false;
        if (!check_stmt(c, body->items[i], f, &stop)) return false;
        if (stop) break;
    }
    return true;
}

/* ---- blocks -------------------------------------------------------------------------------- */

typedef struct block_scan {
    tpl_walker w;
    checker *c;
    size_t cap;
    tpl_dict *names; /* of the blocks seen */
    bool failed;
} block_scan;

static bool block_scan_enter(tpl_walker *w, tpl_node *n, bool store) {
    block_scan *s = (block_scan *)w;
    tpl_template *t = s->c->tmpl;
    if (s->failed) return false;
    if (n->kind == N_EXTENDS) t->has_extends = true;
    if (n->kind != N_BLOCK) return true;
    tpl_ctx *ctx = s->c->p->ctx;
    if (tpl_dict_get_str(s->names, n->u.block.name) != NULL) {
        fail_at(s->c, n, TPL_E_ASSERTION, "block '%s' defined twice", n->u.block.name);
        s->failed = true;
        return false;
    }
    if (!tpl_dict_set_str(ctx, s->names, n->u.block.name, tpl_none())) {
        s->failed = true;
        return false;
    }
    if (t->n_blocks == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 8;
        tpl_node **b = tpl_realloc(ctx, t->blocks, s->cap * sizeof *b, nc * sizeof *b);
        if (b == NULL) {
            s->failed = true;
            return false;
        }
        t->blocks = b;
        s->cap = nc;
    }
    t->blocks[t->n_blocks++] = n;
    return true;
}

bool tpl_p_check(tpl_parser *p, tpl_template *tmpl) {
    checker c = {.p = p, .tmpl = tmpl};
    block_scan scan = {.w = {block_scan_enter, NULL}, .c = &c};
    tpl_value names;
    if (!tpl_dict_new(p->ctx, &names)) return false;
    scan.names = names.u.dict;
    tpl_p_walk_list(&scan.w, &tmpl->body, false);
    if (scan.failed) return false;
    frame root = {false, true, true, tmpl->has_extends};
    if (!check_body(&c, &tmpl->body, root)) return false;
    frame block = {false, false, false, false};
    for (size_t i = 0; i < tmpl->n_blocks; i++)
        if (!check_body(&c, &tmpl->blocks[i]->u.block.body, block)) return false;
    return true;
}
