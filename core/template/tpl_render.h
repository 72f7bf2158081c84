/* Renderer internals (tpl_render*.c, tpl_eval*.c, tpl_scope.c, tpl_env.c): how Jinja2's
 * runtime is modelled here.
 *
 *  - tpl_render: one render of one top template: the arena (tpl_ctx), the loader, the
 *    templates parsed so far (each parsed once per render), imported modules.
 *  - tpl_jctx: Jinja's Context: `parent` (globals + render variables, or everything an
 *    include was given), `vars` (what the template's top level assigned), exported names
 *    (what an import sees), and the block stacks that extends/super() walk.
 *  - tpl_scope: lexical variable scopes (Jinja's frames). A template's top level has one;
 *    its assignments also go to the context's vars. For loops (per iteration), macros
 *    (per call), blocks, with, filter and set blocks open child scopes, so assignments
 *    there do not leak, as in Jinja. A macro keeps the scope it was defined in (a
 *    closure); a block body sees only its context. Names a frame assigns later start
 *    undefined in it (tpl_parse_symbols.c: Jinja's compile-time scoping).
 *  - tpl_exec: where statements run: scope, context, template, output buffer.
 * Values captured by objects that may outlive a statement (macros, loop objects, block
 * references) only point into the arena, never to the C stack. */
#ifndef FG_CORE_TPL_RENDER_H
#define FG_CORE_TPL_RENDER_H

#include "template/template.h"
#include "template/tpl_ast.h"
#include "template/tpl_impl.h"
#include "template/tpl_source.h"

#define TPL_E_NOT_FOUND "TemplateNotFound"
#define TPL_E_NOTS_FOUND "TemplatesNotFound"

/* Defaults for one render (tpl_env.c may override them for fuzzing). */
#define TPL_RENDER_MAX_DEPTH 1000          /* statements + expressions + calls, nested */
#define TPL_RENDER_MAX_STEPS 200000000ull  /* evaluation steps */
#define TPL_RENDER_MAX_BYTES ((size_t)512 << 20)

/* Budgets of later renders of env (fuzzing uses small ones). */
void tpl_env_set_limits(fg_template_env *env, uint64_t max_steps, size_t max_bytes, int max_depth);

typedef struct tpl_render tpl_render;
typedef struct tpl_scope tpl_scope;
typedef struct tpl_jctx tpl_jctx;

/* One level of a block's override chain: a {% block %} node and its template. */
typedef struct tpl_block_impl {
    tpl_node *node;
    tpl_template *tmpl;
} tpl_block_impl;

typedef struct tpl_block_stack {
    const char *name;
    tpl_block_impl *levels; /* [0] the most derived template's block */
    size_t n, cap;
} tpl_block_stack;

struct tpl_jctx {
    tpl_dict *parent;
    tpl_dict *vars; /* also written by the top level's assignments, read by blocks */
    tpl_dict *exported; /* names -> none, in export order */
    tpl_block_stack *blocks;
    size_t n_blocks, cap_blocks;
    tpl_dict *block_index; /* name -> position in blocks */
    tpl_scope *root; /* the top level's own scope (Jinja's root-frame locals) */
    tpl_template *tmpl;
};

/* The block a scope renders, for super(). */
typedef struct tpl_block_ref {
    tpl_jctx *jc;
    const char *name;
    size_t level;
    tpl_scope *outer; /* what a scoped block sees beyond the context, else NULL */
} tpl_block_ref;

struct tpl_scope {
    tpl_dict *vars;
    tpl_scope *parent;
    tpl_block_ref *block; /* set on a block body's scope */
};

/* State of one run of a template's top level: the template it extended, if any. */
typedef struct tpl_root_state {
    tpl_template *parent;
    tpl_loc extends_loc;
} tpl_root_state;

typedef struct tpl_exec {
    tpl_render *r;
    tpl_jctx *jc;
    tpl_scope *scope;
    tpl_template *tmpl;
    tpl_root_state *root; /* the running top level (for output checks after extends) */
    tpl_buf *out;
    bool toplevel;                 /* assignments are exported (top level, or if there) */
    const tpl_value *filter_input; /* body text for a filter chain of a filter/set block */
} tpl_exec;

/* A loaded template with its source (names for fg_template_env_loaded). */
typedef struct tpl_loaded {
    tpl_template tmpl;
    const tpl_source *src;
} tpl_loaded;

struct tpl_render {
    tpl_ctx ctx;
    tpl_loader *loader;
    tpl_dict *globals; /* builtins: what an import without context sees */
    tpl_loaded **templates;
    size_t n_templates, cap_templates;
    tpl_dict *modules; /* template name -> module value of imports without context */
    tpl_dict *missing; /* names not found -> the loader's message (no second lookup) */
    fg_template_ref *refs;
    size_t n_refs, cap_refs;
    char not_found[FG_ERROR_MSG_SIZE]; /* the loader's message for the last missing template */
};

static inline tpl_render *tpl_r_of(tpl_ctx *ctx) { return (tpl_render *)ctx->env; }

/* Points ctx->loc at a node of the running template. */
static inline void tpl_r_at(tpl_exec *x, const tpl_node *n) {
    x->r->ctx.loc.file = x->tmpl->file;
    x->r->ctx.loc.line = n->line;
    x->r->ctx.loc.column = n->column;
}

/* ---- scopes and contexts (tpl_scope.c) ------------------------------------------------ */

tpl_scope *tpl_scope_new(tpl_ctx *ctx, tpl_scope *parent);
/* A new context over `parent` whose blocks are tmpl's own. */
tpl_jctx *tpl_jctx_new(tpl_ctx *ctx, tpl_dict *parent, tpl_template *tmpl);
bool tpl_jctx_add_blocks(tpl_ctx *ctx, tpl_jctx *jc, tpl_template *tmpl);
tpl_block_stack *tpl_jctx_block(tpl_jctx *jc, const char *name);
/* Name lookup: scopes, then self/super, then the context's parent; an undefined value
 * ("'x' is undefined") when absent. */
bool tpl_r_lookup(tpl_exec *x, const char *name, tpl_value *out);
/* Assignment in the current scope (exported at the top level). */
bool tpl_r_assign_name(tpl_exec *x, const char *name, tpl_value v);
/* The names a frame starts as undefined, set in its fresh scope. */
bool tpl_r_unset(tpl_ctx *ctx, tpl_scope *s, const tpl_names *names);
/* Assigns to a target: a name, a tuple of targets (unpacking), or ns.attr. */
bool tpl_r_assign(tpl_exec *x, const tpl_node *target, tpl_value v);
/* Everything visible from x as one dict: context parent, vars, then the scopes (inner
 * wins): what `include` and `import ... with context` pass on. */
bool tpl_r_flatten(tpl_exec *x, tpl_dict **out);

/* ---- expressions (tpl_eval.c, tpl_eval_call.c) ------------------------------------------ */

bool tpl_r_eval(tpl_exec *x, const tpl_node *n, tpl_value *out);
/* Truth value; the lenient undefined of `a if c` without else is false. */
bool tpl_r_truthy(tpl_exec *x, tpl_value v, bool *out);
/* str(v) for output; the lenient undefined prints as nothing. */
bool tpl_r_to_str(tpl_exec *x, tpl_value v, tpl_value *out);
bool tpl_r_eval_call(tpl_exec *x, const tpl_node *n, const char *extra_kw, tpl_value extra,
                     tpl_value *out);
bool tpl_r_eval_filter(tpl_exec *x, const tpl_node *n, tpl_value *out);
bool tpl_r_eval_test(tpl_exec *x, const tpl_node *n, tpl_value *out);

/* ---- statements (tpl_render*.c) ------------------------------------------------------------ */

bool tpl_r_exec_body(tpl_exec *x, const tpl_nodes *body);
bool tpl_r_exec_for(tpl_exec *x, const tpl_node *n);
/* The loop object of recursive loops is called as loop(children). */
bool tpl_r_is_loop(tpl_value v);
bool tpl_r_call_loop(tpl_ctx *ctx, tpl_value loop, const tpl_args *args, tpl_value *out);
bool tpl_r_loop_edge_attr(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out,
                          bool *found);
bool tpl_r_define_macro(tpl_exec *x, const tpl_node *n);
/* m.name, m.arguments ... of a macro value (the value model has no attributes for
 * callables); *found false when fn is no macro or has no such attribute. */
bool tpl_r_macro_attr(tpl_ctx *ctx, tpl_value fn, const char *name, tpl_value *out, bool *found);
bool tpl_r_exec_call_block(tpl_exec *x, const tpl_node *n);
bool tpl_r_exec_extends(tpl_exec *x, const tpl_node *n);
bool tpl_r_exec_block(tpl_exec *x, const tpl_node *n);
bool tpl_r_exec_include(tpl_exec *x, const tpl_node *n);
bool tpl_r_exec_import(tpl_exec *x, const tpl_node *n);
bool tpl_r_exec_from_import(tpl_exec *x, const tpl_node *n);
/* `self` and `super` (tpl_render_inherit.c). */
bool tpl_r_self(tpl_exec *x, tpl_value *out);
bool tpl_r_super(tpl_exec *x, const tpl_block_ref *block, tpl_value *out);

/* Runs a template's top level in a context, writing to out (then its parent's, when it
 * extended one). */
bool tpl_r_render_root(tpl_render *r, tpl_template *t, tpl_jctx *jc, tpl_buf *out);

/* Loads and parses a template by name (once per render). *missing: not found (nothing
 * recorded yet; the caller raises or ignores). how: "extends", "include", "import". */
bool tpl_r_load(tpl_render *r, const char *name, const char *how, const tpl_template *from,
                tpl_template **out, bool *missing);
/* TemplateNotFound for `name` (the loader's message, with the search path). */
bool tpl_r_fail_not_found(tpl_render *r, const char *name);
/* A template name from a value: a string (undefined raises). */
bool tpl_r_template_name(tpl_exec *x, tpl_value v, const char **name);
/* Same for a template by file path / already-added string: the render's top template. */
bool tpl_r_load_top(tpl_render *r, const char *name, bool by_path, tpl_template **out);

/* Pushes / pops a frame of the include/extends chain (for error messages). */
void tpl_r_push_frame(tpl_ctx *ctx, const char *how);
void tpl_r_pop_frame(tpl_ctx *ctx);

#endif
