/* {% for %}: iteration with Jinja's `loop` object (index, revindex, first, last, length,
 * depth, previtem/nextitem, cycle(), changed()), `for ... if cond` filtering, `else`,
 * and recursive loops (`loop(children)` renders the body again one level deeper). Each
 * iteration runs in a fresh scope, so assignments inside do not leak. */
#include "template/tpl_render.h"

#include <string.h>

typedef struct loop_state {
    tpl_list *items; /* after the `if` filter */
    size_t index0;
    int64_t depth0;
    bool has_changed;
    tpl_value last_changed;
    /* for loop(...) in recursive loops */
    const tpl_node *node;
    tpl_exec *exec; /* arena copy of the frame the loop runs in */
} loop_state;

static bool run_loop(tpl_exec *x, const tpl_node *n, tpl_value iterable, int64_t depth0);

static bool loop_cycle(tpl_ctx *ctx, void *data, tpl_value self, const tpl_args *args,
                       tpl_value *out) {
    loop_state *st = data;
    if (args->n_kw > 0)
        return tpl_fail(ctx, TPL_E_TYPE, "cycle() got an unexpected keyword argument '%s'",
                        args->kw_names[0]);
    if (args->n_pos == 0) return tpl_fail(ctx, TPL_E_TYPE, "no items for cycling given");
    *out = args->pos[st->index0 % args->n_pos];
    return true;
}

static bool loop_changed(tpl_ctx *ctx, void *data, tpl_value self, const tpl_args *args,
                         tpl_value *out) {
    loop_state *st = data;
    if (args->n_kw > 0)
        return tpl_fail(ctx, TPL_E_TYPE, "changed() got an unexpected keyword argument '%s'",
                        args->kw_names[0]);
    tpl_value value;
    if (!tpl_tuple_new(ctx, args->n_pos, &value)) return false;
    for (size_t i = 0; i < args->n_pos; i++)
        if (!tpl_list_append(ctx, value.u.list, args->pos[i])) return false;
    bool same = false;
    if (st->has_changed && !tpl_equal(ctx, st->last_changed, value, &same)) return false;
    if (st->has_changed && same) {
        *out = tpl_bool(false);
        return true;
    }
    st->has_changed = true;
    st->last_changed = value;
    *out = tpl_bool(true);
    return true;
}

static bool loop_getattr(tpl_ctx *ctx, void *data, const char *name, tpl_value *out) {
    loop_state *st = data;
    int64_t length = (int64_t)st->items->n, index0 = (int64_t)st->index0;
    if (strcmp(name, "index0") == 0) *out = tpl_int(index0);
    else if (strcmp(name, "index") == 0) *out = tpl_int(index0 + 1);
    else if (strcmp(name, "revindex") == 0) *out = tpl_int(length - index0);
    else if (strcmp(name, "revindex0") == 0) *out = tpl_int(length - index0 - 1);
    else if (strcmp(name, "first") == 0) *out = tpl_bool(index0 == 0);
    else if (strcmp(name, "last") == 0) *out = tpl_bool(index0 + 1 >= length);
    else if (strcmp(name, "length") == 0) *out = tpl_int(length);
    else if (strcmp(name, "depth") == 0) *out = tpl_int(st->depth0 + 1);
    else if (strcmp(name, "depth0") == 0) *out = tpl_int(st->depth0);
    else if (strcmp(name, "previtem") == 0) {
        if (index0 == 0) return tpl_undefined_new(ctx, out, "there is no previous item");
        *out = st->items->items[index0 - 1];
    } else if (strcmp(name, "nextitem") == 0) {
        if (index0 + 1 >= length) return tpl_undefined_new(ctx, out, "there is no next item");
        *out = st->items->items[index0 + 1];
    } else if (strcmp(name, "cycle") == 0) {
        return tpl_callable_new(ctx, "LoopContext.cycle", loop_cycle, st, tpl_none(), out);
    } else if (strcmp(name, "changed") == 0) {
        return tpl_callable_new(ctx, "LoopContext.changed", loop_changed, st, tpl_none(), out);
    } else {
        /* absent: the caller reports the missing attribute */
        return tpl_undefined_new(ctx, out, "no attribute '%s'", name);
    }
    return true;
}

static bool loop_to_str(tpl_ctx *ctx, void *data, tpl_value *out) {
    loop_state *st = data;
    tpl_buf b = {0};
    if (!tpl_buf_printf(ctx, &b, "<LoopContext %zu/%zu>", st->index0 + 1, st->items->n)) return false;
    return tpl_buf_to_str(ctx, &b, out);
}

bool tpl_r_is_loop(tpl_value v) {
    return v.kind == TPL_OBJECT && v.u.obj->getattr == loop_getattr;
}

/* loop.previtem on the first item (nextitem on the last) is an undefined carrying Jinja's
 * hint; the value model reports other missing attributes itself. */
bool tpl_r_loop_edge_attr(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out,
                          bool *found) {
    *found = false;
    if (!tpl_r_is_loop(obj)) return true;
    loop_state *st = obj.u.obj->data;
    if (strcmp(name, "previtem") == 0 && st->index0 == 0) {
        *found = true;
        return tpl_undefined_new(ctx, out, "there is no previous item");
    }
    if (strcmp(name, "nextitem") == 0 && st->index0 + 1 >= st->items->n) {
        *found = true;
        return tpl_undefined_new(ctx, out, "there is no next item");
    }
    return true;
}

/* loop(iterable) in a recursive loop: the body over `iterable`, one level deeper. */
bool tpl_r_call_loop(tpl_ctx *ctx, tpl_value loop, const tpl_args *args, tpl_value *out) {
    loop_state *st = loop.u.obj->data;
    if (!st->node->u.for_.recursive)
        return tpl_fail(ctx, TPL_E_TYPE,
                        "The loop must have the 'recursive' marker to be called recursively.");
    if (args->n_pos != 1 || args->n_kw != 0)
        return tpl_fail(ctx, TPL_E_TYPE, "loop() takes exactly one argument");
    tpl_buf buf = {0};
    tpl_exec y = *st->exec;
    y.out = &buf;
    if (!tpl_depth_enter(ctx)) return false;
    bool ok = run_loop(&y, st->node, args->pos[0], st->depth0 + 1);
    tpl_depth_leave(ctx);
    return ok && tpl_buf_to_str(ctx, &buf, out);
}

/* Items passing the loop's `if` test, each tried with the target bound. */
static bool filter_items(tpl_exec *x, const tpl_node *n, tpl_list *all, tpl_list **out) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_value kept;
    if (!tpl_list_new(ctx, all->n, &kept)) return false;
    for (size_t i = 0; i < all->n; i++) {
        tpl_scope *scope = tpl_scope_new(ctx, x->scope);
        if (scope == NULL) return false;
        tpl_exec y = *x;
        y.scope = scope;
        y.toplevel = false;
        tpl_value test;
        bool keep;
        if (!tpl_r_assign(&y, n->u.for_.target, all->items[i]) ||
            !tpl_r_eval(&y, n->u.for_.filter, &test) || !tpl_r_truthy(&y, test, &keep))
            return false;
        if (keep && !tpl_list_append(ctx, kept.u.list, all->items[i])) return false;
    }
    *out = kept.u.list;
    return true;
}

static bool run_loop(tpl_exec *x, const tpl_node *n, tpl_value iterable, int64_t depth0) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_list *source;
    tpl_r_at(x, n->u.for_.iter);
    if (!tpl_check_defined(ctx, iterable) || !tpl_iterate(ctx, iterable, &source)) return false;
    /* a snapshot: the body may append to the list it walks */
    tpl_value snapshot;
    if (!tpl_list_new(ctx, source->n, &snapshot)) return false;
    if (source->n) memcpy(snapshot.u.list->items, source->items, source->n * sizeof(tpl_value));
    snapshot.u.list->n = source->n;
    tpl_list *items = snapshot.u.list;
    if (n->u.for_.filter != NULL && !filter_items(x, n, items, &items)) return false;

    loop_state *st = tpl_alloc(ctx, sizeof *st);
    if (st == NULL) return false;
    st->items = items;
    st->depth0 = depth0;
    st->node = n;
    tpl_value loop = tpl_none();
    if (n->u.for_.uses_loop) {
        if (!(st->exec = tpl_alloc(ctx, sizeof *st->exec))) return false;
        *st->exec = *x;
        st->exec->out = NULL;
        st->exec->filter_input = NULL;
        if (!tpl_object_new(ctx, "LoopContext", loop_getattr, loop_to_str, st, &loop)) return false;
    }
    for (size_t i = 0; i < items->n; i++) {
        st->index0 = i;
        tpl_scope *scope = tpl_scope_new(ctx, x->scope);
        if (scope == NULL) return false;
        tpl_exec y = *x;
        y.scope = scope;
        y.toplevel = false;
        tpl_r_at(x, n);
        if (!tpl_step(ctx) || !tpl_r_unset(ctx, scope, &n->u.for_.body_unset) ||
            !tpl_r_assign(&y, n->u.for_.target, items->items[i]))
            return false;
        if (n->u.for_.uses_loop && !tpl_dict_set_str(ctx, scope->vars, "loop", loop)) return false;
        if (!tpl_r_exec_body(&y, &n->u.for_.body)) return false;
    }
    if (items->n == 0 && n->u.for_.else_body.n > 0) {
        tpl_scope *scope = tpl_scope_new(ctx, x->scope);
        if (scope == NULL || !tpl_r_unset(ctx, scope, &n->u.for_.else_unset)) return false;
        tpl_exec y = *x;
        y.scope = scope;
        y.toplevel = false;
        return tpl_r_exec_body(&y, &n->u.for_.else_body);
    }
    return true;
}

bool tpl_r_exec_for(tpl_exec *x, const tpl_node *n) {
    tpl_value iterable;
    if (!tpl_r_eval(x, n->u.for_.iter, &iterable)) return false;
    /* the lenient undefined of `a if c` (no else) iterates as empty */
    if (iterable.kind == TPL_UNDEFINED) {
        bool t;
        tpl_r_at(x, n->u.for_.iter);
        if (!tpl_r_truthy(x, iterable, &t)) return false;
        if (!tpl_tuple_new(&x->r->ctx, 0, &iterable)) return false;
    }
    return run_loop(x, n, iterable, 0);
}
