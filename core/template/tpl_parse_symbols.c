/* Jinja2's symbol analysis (idtracking.py), reduced to what is observable: which names
 * a frame starts as undefined.
 *
 * Jinja compiles each frame (a template's top level, a block, a loop body, a macro, a
 * with/filter/set block) to Python code with one local per name it uses. A name the
 * frame assigns is local to the whole frame, before the assignment too; its initial
 * value is decided when the frame starts: the outer value when the frame reads it before
 * assigning it (in the order the analysis walks), or when an enclosing frame knows the
 * name; otherwise "missing", i.e. undefined. So
 *     {% for i in [1] %}{{ x }}{% endfor %}{% set x = 1 %}
 * fails on x even when x is a render variable, while {{ x }}{% set x = 1 %} prints it.
 * The renderer looks names up dynamically, which gives the same values in every other
 * case; for these it puts an undefined value into the frame's scope when the frame
 * starts (the `unset` lists computed here). */
#include "template/tpl_parse.h"
#include "template/tpl_impl.h"

#include <string.h>

enum { LOAD_PARAM = 1, LOAD_RESOLVE, LOAD_ALIAS, LOAD_UNDEFINED };

typedef struct symbols symbols;
struct symbols {
    symbols *parent;  /* the enclosing frame's symbols (NULL: none) */
    symbols *base;    /* an if-branch overlays the symbols it copies */
    tpl_dict *refs;   /* name -> LOAD_* */
    tpl_dict *stores; /* names assigned */
};

typedef struct analysis {
    tpl_parser *p;
    symbols *s; /* the symbols being filled */
    bool ok;
} analysis;

static symbols *symbols_new(analysis *a, symbols *parent, symbols *base) {
    tpl_ctx *ctx = a->p->ctx;
    symbols *s = tpl_alloc(ctx, sizeof *s);
    tpl_value refs, stores;
    if (s == NULL || !tpl_dict_new(ctx, &refs) || !tpl_dict_new(ctx, &stores)) {
        a->ok = false;
        return NULL;
    }
    s->parent = base != NULL ? base->parent : parent;
    s->base = base;
    s->refs = refs.u.dict;
    s->stores = stores.u.dict;
    return s;
}

/* A name this frame (not an enclosing one) knows. */
static tpl_value *own_ref(symbols *s, const char *name) {
    for (; s != NULL; s = s->base) {
        tpl_value *v = tpl_dict_get_str(s->refs, name);
        if (v != NULL) return v;
    }
    return NULL;
}

static bool own_store(symbols *s, const char *name) {
    for (; s != NULL; s = s->base)
        if (tpl_dict_get_str(s->stores, name) != NULL) return true;
    return false;
}

static bool find_ref(symbols *s, const char *name) {
    for (; s != NULL; s = s->parent)
        if (own_ref(s, name) != NULL) return true;
    return false;
}

static void define(analysis *a, const char *name, int kind) {
    if (a->ok && !tpl_dict_set_str(a->p->ctx, a->s->refs, name, tpl_int(kind))) a->ok = false;
}

static void add_store(analysis *a, const char *name) {
    if (a->ok && !tpl_dict_set_str(a->p->ctx, a->s->stores, name, tpl_none())) a->ok = false;
}

static void load(analysis *a, const char *name) {
    if (!find_ref(a->s, name)) define(a, name, LOAD_RESOLVE);
}

static void store(analysis *a, const char *name) {
    add_store(a, name);
    if (own_ref(a->s, name) != NULL) return;
    define(a, name, a->s->parent != NULL && find_ref(a->s->parent, name) ? LOAD_ALIAS : LOAD_UNDEFINED);
}

static void param(analysis *a, const char *name) {
    add_store(a, name);
    define(a, name, LOAD_PARAM);
}

/* ---- visiting one frame (FrameSymbolVisitor) ---------------------------------------- */

typedef struct load_walker {
    tpl_walker w;
    analysis *a;
} load_walker;

static bool load_enter(tpl_walker *w, tpl_node *n, bool is_store) {
    if (n->kind == N_NAME) load(((load_walker *)w)->a, n->u.name);
    return true;
}

/* Every name an expression reads. */
static void visit_expr(analysis *a, tpl_node *n) {
    if (n == NULL) return;
    load_walker lw = {{load_enter, NULL}, a};
    tpl_p_walk(&lw.w, n, false);
}

static void visit_exprs(analysis *a, const tpl_nodes *l) {
    for (size_t i = 0; i < l->n; i++) visit_expr(a, l->items[i]);
}

typedef enum { AS_STORE, AS_PARAM } target_mode;

static void visit_target(analysis *a, const tpl_node *t, target_mode mode) {
    if (t->kind == N_NAME) {
        if (mode == AS_PARAM) param(a, t->u.name);
        else store(a, t->u.name);
    } else if (t->kind == N_TUPLE) {
        for (size_t i = 0; i < t->u.items.n; i++) visit_target(a, t->u.items.items[i], mode);
    } else if (t->kind == N_NSREF) {
        load(a, t->u.nsref.name);
    }
}

static void visit_body(analysis *a, const tpl_nodes *body);

/* Branches that assign a name only sometimes leave it to the outer value. */
static void branch_update(analysis *a, symbols *self, symbols **branches, size_t n) {
    tpl_ctx *ctx = a->p->ctx;
    tpl_value counts;
    if (!a->ok || !tpl_dict_new(ctx, &counts)) {
        a->ok = false;
        return;
    }
    for (size_t b = 0; b < n; b++) {
        tpl_dict *st = branches[b]->stores;
        for (size_t i = 0; i < st->n; i++) {
            const char *name = st->keys[i].u.s->data;
            if (own_store(self, name)) continue;
            tpl_value *c = tpl_dict_get_str(counts.u.dict, name);
            if (!tpl_dict_set_str(ctx, counts.u.dict, name, tpl_int(c ? c->u.i + 1 : 1))) {
                a->ok = false;
                return;
            }
        }
    }
    for (size_t b = 0; b < n; b++) {
        tpl_dict *r = branches[b]->refs, *st = branches[b]->stores;
        for (size_t i = 0; i < r->n; i++)
            if (!tpl_dict_set(ctx, self->refs, r->keys[i], r->vals[i])) a->ok = false;
        for (size_t i = 0; i < st->n; i++)
            if (!tpl_dict_set(ctx, self->stores, st->keys[i], tpl_none())) a->ok = false;
    }
    for (size_t i = 0; a->ok && i < counts.u.dict->n; i++) {
        if ((size_t)counts.u.dict->vals[i].u.i == n) continue;
        const char *name = counts.u.dict->keys[i].u.s->data;
        int kind = self->parent != NULL && find_ref(self->parent, name) ? LOAD_ALIAS : LOAD_RESOLVE;
        if (!tpl_dict_set_str(ctx, self->refs, name, tpl_int(kind))) a->ok = false;
    }
}

/* Runs a branch on a copy of the current symbols; returns the copy. */
static symbols *branch(analysis *a, const tpl_node *n, size_t k, const tpl_nodes *body);

/* One `if`/`elif` test with its body: Jinja's If node without elif/else of its own. */
static void visit_elif(analysis *a, const tpl_node *n, size_t k) {
    visit_expr(a, n->u.if_.tests.items[k]);
    symbols *self = a->s;
    symbols *b[3] = {branch(a, NULL, 0, &n->u.if_.bodies[k]), branch(a, NULL, 0, NULL),
                     branch(a, NULL, 0, NULL)};
    if (a->ok) branch_update(a, self, b, 3);
}

static symbols *branch(analysis *a, const tpl_node *n, size_t k, const tpl_nodes *body) {
    symbols *self = a->s;
    symbols *copy = symbols_new(a, NULL, self);
    if (copy == NULL) return self;
    a->s = copy;
    if (body != NULL) visit_body(a, body);
    for (size_t i = k; n != NULL && i < n->u.if_.tests.n; i++) visit_elif(a, n, i);
    a->s = self;
    return copy;
}

static void visit_if(analysis *a, const tpl_node *n) {
    visit_expr(a, n->u.if_.tests.items[0]);
    symbols *self = a->s;
    symbols *b[3] = {branch(a, NULL, 0, &n->u.if_.bodies[0]), branch(a, n, 1, NULL),
                     branch(a, NULL, 0, &n->u.if_.else_body)};
    if (a->ok) branch_update(a, self, b, 3);
}

static void visit_stmt(analysis *a, const tpl_node *n) {
    switch (n->kind) {
    case N_OUTPUT:
        for (size_t i = 0; i < n->u.items.n; i++)
            if (n->u.items.items[i]->kind != N_DATA) visit_expr(a, n->u.items.items[i]);
        break;
    case N_IF: visit_if(a, n); break;
    case N_SET:
        visit_expr(a, n->u.set.value);
        visit_target(a, n->u.set.target, AS_STORE);
        break;
    case N_SET_BLOCK: visit_target(a, n->u.set_block.target, AS_STORE); break;
    case N_FOR: visit_expr(a, n->u.for_.iter); break; /* the body is a frame of its own */
    case N_MACRO: store(a, n->u.macro.name); break;
    case N_CALL_BLOCK: visit_expr(a, n->u.call_block.call); break;
    case N_FILTER_BLOCK: visit_expr(a, n->u.filter_block.filter); break;
    case N_WITH: visit_exprs(a, &n->u.with.values); break;
    case N_IMPORT:
        visit_expr(a, n->u.import.template_);
        store(a, n->u.import.target);
        break;
    case N_FROM_IMPORT:
        visit_expr(a, n->u.from_import.template_);
        for (size_t i = 0; i < n->u.from_import.n; i++) store(a, n->u.from_import.aliases[i]);
        break;
    case N_EXTENDS: visit_expr(a, n->u.extends.template_); break;
    case N_INCLUDE: visit_expr(a, n->u.include.template_); break;
    default: break; /* blocks and autoescape scopes are frames of their own */
    }
}

static void visit_body(analysis *a, const tpl_nodes *body) {
    for (size_t i = 0; i < body->n && a->ok; i++) visit_stmt(a, body->items[i]);
}

/* ---- frames (RootVisitor) -------------------------------------------------------------- */

/* The frame's names that start undefined. */
static void collect_unset(analysis *a, symbols *s, tpl_names *out) {
    size_t n = 0;
    for (size_t i = 0; i < s->refs->n; i++) n += s->refs->vals[i].u.i == LOAD_UNDEFINED;
    if (n == 0 || !a->ok) return;
    if (!(out->names = tpl_alloc(a->p->ctx, n * sizeof *out->names))) {
        a->ok = false;
        return;
    }
    for (size_t i = 0; i < s->refs->n; i++)
        if (s->refs->vals[i].u.i == LOAD_UNDEFINED) out->names[out->n++] = s->refs->keys[i].u.s->data;
}

static void frames_in(analysis *a, symbols *frame, const tpl_nodes *body);

static void frame_macro(analysis *a, symbols *parent, tpl_macro_def *m) {
    symbols *s = symbols_new(a, parent, NULL);
    if (s == NULL) return;
    a->s = s;
    for (size_t i = 0; i < m->n_params; i++) param(a, m->params[i]);
    visit_exprs(a, &m->defaults);
    visit_body(a, &m->body);
    if (m->uses_caller) param(a, "caller");
    if (m->uses_kwargs) param(a, "kwargs");
    if (m->uses_varargs) param(a, "varargs");
    collect_unset(a, s, &m->unset);
    frames_in(a, s, &m->body);
}

/* A frame whose symbols come from an optional expression, targets and a body. */
static void frame_simple(analysis *a, symbols *parent, const tpl_nodes *targets, tpl_node *expr_before,
                         const tpl_nodes *body, tpl_node *expr_after, tpl_names *unset) {
    symbols *s = symbols_new(a, parent, NULL);
    if (s == NULL) return;
    a->s = s;
    for (size_t i = 0; targets != NULL && i < targets->n; i++) visit_target(a, targets->items[i], AS_PARAM);
    visit_expr(a, expr_before);
    visit_body(a, body);
    visit_expr(a, expr_after);
    collect_unset(a, s, unset);
    frames_in(a, s, body);
}

static void frame_for(analysis *a, symbols *parent, tpl_node *n) {
    symbols *s = symbols_new(a, parent, NULL);
    if (s == NULL) return;
    a->s = s;
    visit_target(a, n->u.for_.target, AS_PARAM);
    visit_body(a, &n->u.for_.body);
    if (n->u.for_.uses_loop) param(a, "loop");
    collect_unset(a, s, &n->u.for_.body_unset);
    frames_in(a, s, &n->u.for_.body);
    frame_simple(a, parent, NULL, NULL, &n->u.for_.else_body, NULL, &n->u.for_.else_unset);
}

/* Analyzes the frames opened by the statements of a frame's body. */
static void frames_in(analysis *a, symbols *frame, const tpl_nodes *body) {
    for (size_t i = 0; i < body->n && a->ok; i++) {
        tpl_node *n = body->items[i];
        switch (n->kind) {
        case N_IF:
            for (size_t k = 0; k < n->u.if_.tests.n; k++) frames_in(a, frame, &n->u.if_.bodies[k]);
            frames_in(a, frame, &n->u.if_.else_body);
            break;
        case N_FOR: frame_for(a, frame, n); break;
        case N_MACRO: frame_macro(a, frame, &n->u.macro); break;
        case N_CALL_BLOCK: frame_macro(a, frame, &n->u.call_block.caller); break;
        case N_WITH:
            frame_simple(a, frame, &n->u.with.targets, NULL, &n->u.with.body, NULL, &n->u.with.unset);
            break;
        case N_FILTER_BLOCK:
            frame_simple(a, frame, NULL, NULL, &n->u.filter_block.body, n->u.filter_block.filter,
                         &n->u.filter_block.unset);
            break;
        case N_SET_BLOCK:
            frame_simple(a, frame, NULL, NULL, &n->u.set_block.body, NULL, &n->u.set_block.unset);
            break;
        case N_AUTOESCAPE:
            frame_simple(a, frame, NULL, n->u.autoescape.value, &n->u.autoescape.body, NULL,
                         &n->u.autoescape.unset);
            break;
        case N_BLOCK: /* a block is compiled as a function of its own: no enclosing frame */
            frame_simple(a, NULL, NULL, NULL, &n->u.block.body, NULL, &n->u.block.unset);
            break;
        default: break;
        }
    }
}

bool tpl_p_symbols(tpl_parser *p, tpl_template *tmpl) {
    analysis a = {.p = p, .ok = true};
    frame_simple(&a, NULL, NULL, NULL, &tmpl->body, NULL, &tmpl->root_unset);
    return a.ok;
}
