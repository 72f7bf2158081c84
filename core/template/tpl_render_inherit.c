/* Template inheritance: running a template's top level, {% extends %}, {% block %},
 * super() and self.NAME(). As in Jinja, extends only records the parent (and adds its
 * blocks below the child's in the context's block stacks); the child's top level runs
 * on, with its output dropped, and then the parent's top level runs in the same context,
 * rendering each block from the most derived template that defines it. */
#include "template/tpl_render.h"

#include <string.h>

bool tpl_r_render_root(tpl_render *r, tpl_template *t, tpl_jctx *jc, tpl_buf *out) {
    tpl_ctx *ctx = &r->ctx;
    tpl_root_state *st = tpl_alloc(ctx, sizeof *st);
    if (st == NULL || !tpl_depth_enter(ctx)) return false;
    tpl_exec x = {.r = r, .jc = jc, .scope = jc->root, .tmpl = t, .root = st, .out = out,
                  .toplevel = true};
    bool ok = tpl_r_unset(ctx, jc->root, &t->root_unset) && tpl_r_exec_body(&x, &t->body);
    if (ok && st->parent != NULL) {
        ctx->loc = st->extends_loc;
        tpl_r_push_frame(ctx, "extended by");
        ok = tpl_r_render_root(r, st->parent, jc, out);
        tpl_r_pop_frame(ctx);
    }
    tpl_depth_leave(ctx);
    return ok;
}

/* A template name from an expression value (extends / import). */
bool tpl_r_template_name(tpl_exec *x, tpl_value v, const char **name) {
    tpl_ctx *ctx = &x->r->ctx;
    if (!tpl_check_defined(ctx, v)) return false;
    if (v.kind != TPL_STR)
        return tpl_fail(ctx, TPL_E_TYPE, "template name must be a string, not '%s'", tpl_type_name(v));
    *name = v.u.s->data;
    return true;
}

bool tpl_r_exec_extends(tpl_exec *x, const tpl_node *n) {
    tpl_ctx *ctx = &x->r->ctx;
    if (x->root == NULL) return tpl_fail(ctx, TPL_E_RUNTIME, "cannot use extend from a non top-level scope");
    if (x->root->parent != NULL) return tpl_fail(ctx, TPL_E_RUNTIME, "extended multiple times");
    tpl_value v;
    const char *name;
    if (!tpl_r_eval(x, n->u.extends.template_, &v)) return false;
    tpl_r_at(x, n);
    if (!tpl_r_template_name(x, v, &name)) return false;
    tpl_loc at = ctx->loc;
    tpl_template *parent;
    bool missing;
    tpl_r_push_frame(ctx, "extended by");
    bool ok = tpl_r_load(x->r, name, "extends", x->tmpl, &parent, &missing);
    tpl_r_pop_frame(ctx);
    if (!ok) return false;
    ctx->loc = at;
    if (missing) return tpl_r_fail_not_found(x->r, name);
    if (!tpl_jctx_add_blocks(ctx, x->jc, parent)) return false;
    x->root->parent = parent;
    x->root->extends_loc = at;
    return true;
}

/* Renders level `level` of a block's override chain; `outer` is the scope a scoped
 * block sees (NULL: only the context). */
static bool render_block(tpl_render *r, tpl_jctx *jc, tpl_block_stack *stack, size_t level,
                         tpl_scope *outer, tpl_buf *out) {
    tpl_ctx *ctx = &r->ctx;
    tpl_block_impl *impl = &stack->levels[level];
    tpl_scope *scope = tpl_scope_new(ctx, outer);
    tpl_block_ref *ref = tpl_alloc(ctx, sizeof *ref);
    if (scope == NULL || ref == NULL || !tpl_r_unset(ctx, scope, &impl->node->u.block.unset))
        return false;
    ref->jc = jc;
    ref->name = stack->name;
    ref->level = level;
    ref->outer = outer;
    scope->block = ref;
    tpl_exec y = {.r = r, .jc = jc, .scope = scope, .tmpl = impl->tmpl, .out = out};
    if (!tpl_depth_enter(ctx)) return false;
    /* an override from another template: say where it was rendered from */
    bool crossing = ctx->loc.file != impl->tmpl->file;
    if (crossing) tpl_r_push_frame(ctx, "block rendered from");
    bool ok = tpl_r_exec_body(&y, &impl->node->u.block.body);
    if (crossing) tpl_r_pop_frame(ctx);
    tpl_depth_leave(ctx);
    return ok;
}

bool tpl_r_exec_block(tpl_exec *x, const tpl_node *n) {
    tpl_ctx *ctx = &x->r->ctx;
    /* a child template's top-level blocks are rendered by its parent instead */
    if ((n->flags & TPL_NODE_TOPLEVEL) && x->root != NULL && x->root->parent != NULL) return true;
    tpl_block_stack *stack = tpl_jctx_block(x->jc, n->u.block.name);
    if (stack == NULL || stack->n == 0) {
        /* not registered in this context (cannot happen for parsed templates): itself */
        tpl_scope *scope = tpl_scope_new(ctx, n->u.block.scoped ? x->scope : NULL);
        if (scope == NULL || !tpl_r_unset(ctx, scope, &n->u.block.unset)) return false;
        tpl_exec y = {.r = x->r, .jc = x->jc, .scope = scope, .tmpl = x->tmpl, .out = x->out};
        return tpl_r_exec_body(&y, &n->u.block.body);
    }
    if (n->u.block.required && stack->n <= 1)
        return tpl_fail(ctx, TPL_E_RUNTIME, "Required block '%s' not found", n->u.block.name);
    return render_block(x->r, x->jc, stack, 0, n->u.block.scoped ? x->scope : NULL, x->out);
}

/* ---- super() and self.NAME() --------------------------------------------------------- */

static bool block_call(tpl_ctx *ctx, void *data, tpl_value self, const tpl_args *args,
                       tpl_value *out) {
    tpl_block_ref *ref = data;
    if (args->n_pos || args->n_kw)
        return tpl_fail(ctx, TPL_E_TYPE, "block reference takes no arguments");
    tpl_block_stack *stack = tpl_jctx_block(ref->jc, ref->name);
    if (stack == NULL || ref->level >= stack->n) return tpl_fail(ctx, TPL_E_RUNTIME, "no such block");
    tpl_buf buf = {0};
    tpl_loc at = ctx->loc;
    if (!render_block(tpl_r_of(ctx), ref->jc, stack, ref->level, ref->outer, &buf)) return false;
    ctx->loc = at;
    return tpl_buf_to_str(ctx, &buf, out);
}

static bool block_reference(tpl_ctx *ctx, tpl_jctx *jc, const char *name, size_t level,
                            tpl_scope *outer, tpl_value *out) {
    tpl_block_ref *ref = tpl_alloc(ctx, sizeof *ref);
    if (ref == NULL) return false;
    ref->jc = jc;
    ref->name = name;
    ref->level = level;
    ref->outer = outer;
    return tpl_callable_new(ctx, "BlockReference", block_call, ref, tpl_none(), out);
}

bool tpl_r_super(tpl_exec *x, const tpl_block_ref *block, tpl_value *out) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_block_stack *stack = tpl_jctx_block(block->jc, block->name);
    if (stack == NULL || block->level + 1 >= stack->n)
        return tpl_undefined_new(ctx, out, "there is no parent block called '%s'.", block->name);
    return block_reference(ctx, block->jc, block->name, block->level + 1, block->outer, out);
}

static bool self_getattr(tpl_ctx *ctx, void *data, const char *name, tpl_value *out) {
    tpl_jctx *jc = data;
    tpl_block_stack *stack = tpl_jctx_block(jc, name);
    if (stack == NULL || stack->n == 0) return tpl_undefined_new(ctx, out, "no block '%s'", name);
    return block_reference(ctx, jc, stack->name, 0, NULL, out);
}

static bool self_to_str(tpl_ctx *ctx, void *data, tpl_value *out) {
    tpl_jctx *jc = data;
    tpl_buf b = {0};
    if (!tpl_buf_puts(ctx, &b, "<TemplateReference ") ||
        !tpl_buf_put_str_repr(ctx, &b, jc->tmpl->name, strlen(jc->tmpl->name)) ||
        !tpl_buf_putc(ctx, &b, '>'))
        return false;
    return tpl_buf_to_str(ctx, &b, out);
}

bool tpl_r_self(tpl_exec *x, tpl_value *out) {
    return tpl_object_new(&x->r->ctx, "TemplateReference", self_getattr, self_to_str, x->jc, out);
}
