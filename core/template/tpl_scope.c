/* Variable scopes, contexts and assignment, with Jinja2's scoping rules (see
 * tpl_render.h): lookups walk the lexical scopes, then the context's vars and parent. */
#include "template/tpl_render.h"

#include <string.h>

tpl_scope *tpl_scope_new(tpl_ctx *ctx, tpl_scope *parent) {
    tpl_scope *s = tpl_alloc(ctx, sizeof *s);
    if (s == NULL) return NULL;
    tpl_value d;
    if (!tpl_dict_new(ctx, &d)) return NULL;
    s->vars = d.u.dict;
    s->parent = parent;
    return s;
}

tpl_block_stack *tpl_jctx_block(tpl_jctx *jc, const char *name) {
    tpl_value *i = tpl_dict_get_str(jc->block_index, name);
    return i != NULL ? &jc->blocks[i->u.i] : NULL;
}

/* Appends tmpl's blocks below the levels already there (extends adds the parent's). */
bool tpl_jctx_add_blocks(tpl_ctx *ctx, tpl_jctx *jc, tpl_template *tmpl) {
    for (size_t i = 0; i < tmpl->n_blocks; i++) {
        tpl_node *node = tmpl->blocks[i];
        tpl_block_stack *st = tpl_jctx_block(jc, node->u.block.name);
        if (st == NULL) {
            if (jc->n_blocks == jc->cap_blocks) {
                size_t nc = jc->cap_blocks ? jc->cap_blocks * 2 : 8;
                tpl_block_stack *b = tpl_realloc(ctx, jc->blocks, jc->cap_blocks * sizeof *b,
                                                 nc * sizeof *b);
                if (b == NULL) return false;
                jc->blocks = b;
                jc->cap_blocks = nc;
            }
            if (!tpl_dict_set_str(ctx, jc->block_index, node->u.block.name,
                                  tpl_int((int64_t)jc->n_blocks)))
                return false;
            st = &jc->blocks[jc->n_blocks++];
            memset(st, 0, sizeof *st);
            st->name = node->u.block.name;
        }
        if (st->n == st->cap) {
            size_t nc = st->cap ? st->cap * 2 : 2;
            tpl_block_impl *l = tpl_realloc(ctx, st->levels, st->cap * sizeof *l, nc * sizeof *l);
            if (l == NULL) return false;
            st->levels = l;
            st->cap = nc;
        }
        st->levels[st->n].node = node;
        st->levels[st->n++].tmpl = tmpl;
    }
    return true;
}

tpl_jctx *tpl_jctx_new(tpl_ctx *ctx, tpl_dict *parent, tpl_template *tmpl) {
    tpl_jctx *jc = tpl_alloc(ctx, sizeof *jc);
    if (jc == NULL) return NULL;
    tpl_value exported, index;
    if (!tpl_dict_new(ctx, &exported) || !tpl_dict_new(ctx, &index)) return NULL;
    jc->block_index = index.u.dict;
    jc->parent = parent;
    jc->exported = exported.u.dict;
    jc->tmpl = tmpl;
    tpl_value vars;
    if (!(jc->root = tpl_scope_new(ctx, NULL)) || !tpl_dict_new(ctx, &vars)) return NULL;
    jc->vars = vars.u.dict;
    if (!tpl_jctx_add_blocks(ctx, jc, tmpl)) return NULL;
    return jc;
}

bool tpl_r_lookup(tpl_exec *x, const char *name, tpl_value *out) {
    for (tpl_scope *s = x->scope; s != NULL; s = s->parent) {
        tpl_value *v = tpl_dict_get_str(s->vars, name);
        if (v != NULL) {
            *out = *v;
            return true;
        }
    }
    if (strcmp(name, "self") == 0) return tpl_r_self(x, out);
    if (strcmp(name, "super") == 0)
        for (tpl_scope *s = x->scope; s != NULL; s = s->parent)
            if (s->block != NULL) return tpl_r_super(x, s->block, out);
    tpl_value *v = tpl_dict_get_str(x->jc->vars, name);
    if (v == NULL) v = tpl_dict_get_str(x->jc->parent, name);
    if (v != NULL) {
        *out = *v;
        return true;
    }
    return tpl_undefined_new(&x->r->ctx, out, "'%s' is undefined", name);
}

bool tpl_r_assign_name(tpl_exec *x, const char *name, tpl_value v) {
    tpl_ctx *ctx = &x->r->ctx;
    if (!tpl_dict_set_str(ctx, x->scope->vars, name, v)) return false;
    if (!x->toplevel) return true;
    /* the top level's assignments are the context's: blocks, includes and imports see them */
    if (!tpl_dict_set_str(ctx, x->jc->vars, name, v)) return false;
    return name[0] == '_' || tpl_dict_set_str(ctx, x->jc->exported, name, tpl_none());
}

bool tpl_r_unset(tpl_ctx *ctx, tpl_scope *s, const tpl_names *names) {
    for (size_t i = 0; i < names->n; i++) {
        tpl_value v;
        if (!tpl_undefined_new(ctx, &v, "'%s' is undefined", names->names[i]) ||
            !tpl_dict_set_str(ctx, s->vars, names->names[i], v))
            return false;
    }
    return true;
}

/* An unset frame local (see tpl_r_unset): Jinja passes no value for it to includes. */
static bool is_unset(tpl_value key, tpl_value v) {
    if (v.kind != TPL_UNDEFINED || v.u.s == NULL || key.kind != TPL_STR) return false;
    const char *m = v.u.s->data;
    size_t n = key.u.s->len;
    return m[0] == '\'' && strncmp(m + 1, key.u.s->data, n) == 0 && strcmp(m + 1 + n, "' is undefined") == 0;
}

/* Python's tuple unpacking: `a, b = v`. */
static bool unpack(tpl_exec *x, const tpl_node *target, tpl_value v) {
    tpl_ctx *ctx = &x->r->ctx;
    if (!tpl_check_defined(ctx, v)) return false;
    switch (v.kind) {
    case TPL_STR:
    case TPL_LIST:
    case TPL_TUPLE:
    case TPL_DICT: break;
    default:
        return tpl_fail(ctx, TPL_E_TYPE, "cannot unpack non-iterable %s object", tpl_type_name(v));
    }
    tpl_list *items;
    if (!tpl_iterate(ctx, v, &items)) return false;
    size_t want = target->u.items.n;
    if (items->n < want)
        return tpl_fail(ctx, TPL_E_VALUE, "not enough values to unpack (expected %zu, got %zu)",
                        want, items->n);
    if (items->n > want)
        return tpl_fail(ctx, TPL_E_VALUE, "too many values to unpack (expected %zu)", want);
    for (size_t i = 0; i < want; i++)
        if (!tpl_r_assign(x, target->u.items.items[i], items->items[i])) return false;
    return true;
}

bool tpl_r_assign(tpl_exec *x, const tpl_node *target, tpl_value v) {
    switch (target->kind) {
    case N_NAME: return tpl_r_assign_name(x, target->u.name, v);
    case N_TUPLE: return unpack(x, target, v);
    case N_NSREF: {
        tpl_value ns;
        if (!tpl_r_lookup(x, target->u.nsref.name, &ns)) return false;
        tpl_r_at(x, target);
        if (ns.kind != TPL_NAMESPACE)
            return tpl_fail(&x->r->ctx, TPL_E_RUNTIME,
                            "cannot assign attribute on non-namespace object");
        return tpl_dict_set_str(&x->r->ctx, ns.u.dict, target->u.nsref.attr, v);
    }
    default:
        tpl_r_at(x, target);
        return tpl_fail(&x->r->ctx, TPL_E_SYNTAX, "can't assign to this expression");
    }
}

static bool copy_into(tpl_ctx *ctx, tpl_dict *to, const tpl_dict *from) {
    for (size_t i = 0; i < from->n; i++)
        if (!is_unset(from->keys[i], from->vals[i]) && !tpl_dict_set(ctx, to, from->keys[i], from->vals[i]))
            return false;
    return tpl_charge(ctx, from->n + 1);
}

bool tpl_r_flatten(tpl_exec *x, tpl_dict **out) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_value d;
    if (!tpl_dict_new(ctx, &d)) return false;
    if (!copy_into(ctx, d.u.dict, x->jc->parent) || !copy_into(ctx, d.u.dict, x->jc->vars))
        return false;
    /* scopes from the outermost in, so inner names win */
    size_t n = 0;
    for (tpl_scope *s = x->scope; s != NULL; s = s->parent) n++;
    tpl_scope **chain = tpl_alloc(ctx, (n + 1) * sizeof *chain);
    if (chain == NULL) return false;
    n = 0;
    for (tpl_scope *s = x->scope; s != NULL; s = s->parent) chain[n++] = s;
    while (n-- > 0)
        if (!copy_into(ctx, d.u.dict, chain[n]->vars)) return false;
    *out = d.u.dict;
    return true;
}
