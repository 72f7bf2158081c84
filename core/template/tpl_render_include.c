/* Loading templates (each parsed once per render), {% include %}, {% import %} and
 * {% from ... import %}. An include renders the template in a new context holding
 * everything visible at the include (Jinja: context.get_all() plus the locals); its
 * assignments do not come back. An import renders the template as a module: without
 * context it sees only the globals (and is rendered once per render), with context what
 * an include would see; the module's attributes are its exported top-level names. */
#include "template/tpl_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool record_ref(tpl_render *r, const tpl_source *src, const char *how,
                       const tpl_template *from, int *index) {
    if (r->n_refs == r->cap_refs) {
        size_t nc = r->cap_refs ? r->cap_refs * 2 : 16;
        fg_template_ref *refs = realloc(r->refs, nc * sizeof *refs);
        if (refs == NULL) return tpl_fail(&r->ctx, TPL_E_MEMORY, "out of memory");
        r->refs = refs;
        r->cap_refs = nc;
    }
    fg_template_ref *ref = &r->refs[r->n_refs];
    ref->name = src->name;
    ref->path = src->path;
    ref->parent = from != NULL ? from->ref_index : -1;
    ref->how = how;
    *index = (int)r->n_refs++;
    return true;
}

/* Parses a loaded source and adds it to the render's templates. */
static bool add_template(tpl_render *r, const char *name, const tpl_source *src, const char *how,
                         const tpl_template *from, tpl_template **out) {
    tpl_ctx *ctx = &r->ctx;
    if (r->n_templates == r->cap_templates) {
        size_t nc = r->cap_templates ? r->cap_templates * 2 : 8;
        tpl_loaded **t = tpl_realloc(ctx, r->templates, r->cap_templates * sizeof *t, nc * sizeof *t);
        if (t == NULL) return false;
        r->templates = t;
        r->cap_templates = nc;
    }
    tpl_loaded *l = tpl_alloc(ctx, sizeof *l);
    char *copy = tpl_alloc(ctx, strlen(name) + 1);
    if (l == NULL || copy == NULL) return false;
    memcpy(copy, name, strlen(name));
    const char *file = src->path != NULL ? src->path : src->name != NULL ? src->name : copy;
    if (!tpl_parse(ctx, file, src->text, src->len, src->line_map, src->n_lines, &l->tmpl))
        return false;
    l->tmpl.name = copy;
    l->tmpl.file = file;
    l->tmpl.path = src->path;
    l->src = src;
    if (!record_ref(r, src, how, from, &l->tmpl.ref_index)) return false;
    r->templates[r->n_templates++] = l;
    *out = &l->tmpl;
    return true;
}

/* A loader failure other than "not found" (unreadable file, invalid UTF-8): the
 * loader's message already names the place. */
static bool fail_loader(tpl_render *r, const fg_error *err) {
    tpl_ctx *ctx = &r->ctx;
    ctx->loc.file = NULL;
    const char *cls = err->code == FG_E_PARSE ? "UnicodeDecodeError" : "OSError";
    return tpl_fail(ctx, cls, "%s", err->msg);
}

bool tpl_r_load(tpl_render *r, const char *name, const char *how, const tpl_template *from,
                tpl_template **out, bool *missing) {
    *missing = false;
    for (size_t i = 0; i < r->n_templates; i++)
        if (strcmp(r->templates[i]->tmpl.name, name) == 0) {
            *out = &r->templates[i]->tmpl;
            return true;
        }
    tpl_ctx *ctx = &r->ctx;
    tpl_value *known_missing = r->missing ? tpl_dict_get_str(r->missing, name) : NULL;
    if (known_missing != NULL) {
        snprintf(r->not_found, sizeof r->not_found, "%s", known_missing->u.s->data);
        *missing = true;
        return true;
    }
    if (!tpl_step(ctx)) return false;
    fg_error err = {0, {0}};
    const tpl_source *src = NULL;
    fg_status st = tpl_loader_get(r->loader, name, &src, &err);
    if (st == FG_E_NOT_FOUND) {
        snprintf(r->not_found, sizeof r->not_found, "%s", err.msg);
        *missing = true;
        tpl_value d, msg;
        if (r->missing == NULL) {
            if (!tpl_dict_new(ctx, &d)) return false;
            r->missing = d.u.dict;
        }
        return tpl_str_cstr(ctx, err.msg, &msg) && tpl_dict_set_str(ctx, r->missing, name, msg);
    }
    if (st != FG_OK) return fail_loader(r, &err);
    return add_template(r, name, src, how, from, out);
}

bool tpl_r_load_top(tpl_render *r, const char *name, bool by_path, tpl_template **out) {
    fg_error err = {0, {0}};
    const tpl_source *src = NULL;
    fg_status st = by_path ? tpl_loader_get_file(r->loader, name, &src, &err)
                           : tpl_loader_get(r->loader, name, &src, &err);
    if (st == FG_E_NOT_FOUND) {
        snprintf(r->not_found, sizeof r->not_found, "%s", err.msg);
        r->ctx.loc.file = NULL;
        return tpl_r_fail_not_found(r, name);
    }
    if (st != FG_OK) return fail_loader(r, &err);
    return add_template(r, name, src, "render", NULL, out);
}

bool tpl_r_fail_not_found(tpl_render *r, const char *name) {
    if (r->not_found[0] != '\0') return tpl_fail(&r->ctx, TPL_E_NOT_FOUND, "%s", r->not_found);
    return tpl_fail(&r->ctx, TPL_E_NOT_FOUND, "template '%s' not found", name);
}

/* ---- include ------------------------------------------------------------------------- */

/* The template(s) an include names: a string, or a list/tuple of strings (the first
 * that exists is used). *t is NULL when none exists. */
static bool include_target(tpl_exec *x, tpl_value v, tpl_template **t, bool *many) {
    tpl_ctx *ctx = &x->r->ctx;
    *t = NULL;
    *many = v.kind == TPL_LIST || v.kind == TPL_TUPLE;
    bool missing;
    if (!*many) {
        const char *name;
        return tpl_r_template_name(x, v, &name) &&
               tpl_r_load(x->r, name, "include", x->tmpl, t, &missing);
    }
    tpl_list *names = v.u.list;
    for (size_t i = 0; i < names->n && *t == NULL; i++) {
        tpl_value item = names->items[i];
        if (item.kind == TPL_UNDEFINED) continue; /* select_template skips those */
        if (item.kind != TPL_STR)
            return tpl_fail(ctx, TPL_E_TYPE, "template name must be a string, not '%s'",
                            tpl_type_name(item));
        if (!tpl_r_load(x->r, item.u.s->data, "include", x->tmpl, t, &missing)) return false;
    }
    return true;
}

static bool fail_none_found(tpl_exec *x, tpl_value v) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_list *names = v.u.list;
    if (names->n == 0)
        return tpl_fail(ctx, TPL_E_NOTS_FOUND, "Tried to select from an empty list of templates.");
    tpl_buf b = {0};
    if (!tpl_buf_puts(ctx, &b, "none of the templates given were found: ")) return false;
    for (size_t i = 0; i < names->n; i++) {
        tpl_value s;
        if ((i && !tpl_buf_puts(ctx, &b, ", ")) || !tpl_to_str(ctx, names->items[i], &s) ||
            !tpl_buf_put(ctx, &b, s.u.s->data, s.u.s->len))
            return false;
    }
    return tpl_fail(ctx, TPL_E_NOTS_FOUND, "%s", b.data);
}

bool tpl_r_exec_include(tpl_exec *x, const tpl_node *n) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_value v;
    if (!tpl_r_eval(x, n->u.include.template_, &v)) return false;
    tpl_r_at(x, n);
    tpl_loc at = ctx->loc;
    tpl_template *t;
    bool many;
    x->r->not_found[0] = '\0';
    tpl_r_push_frame(ctx, "included from");
    bool ok = include_target(x, v, &t, &many);
    tpl_r_pop_frame(ctx);
    if (!ok) return false;
    ctx->loc = at;
    if (t == NULL) {
        if (n->u.include.ignore_missing) return true;
        if (many) return fail_none_found(x, v);
        return tpl_r_fail_not_found(x->r, v.u.s->data);
    }
    tpl_dict *parent = x->r->globals;
    if (n->u.include.with_context && !tpl_r_flatten(x, &parent)) return false;
    tpl_jctx *jc = tpl_jctx_new(ctx, parent, t);
    if (jc == NULL) return false;
    tpl_r_push_frame(ctx, "included from");
    ok = tpl_r_render_root(x->r, t, jc, x->out);
    tpl_r_pop_frame(ctx);
    return ok;
}

/* ---- modules ------------------------------------------------------------------------- */

typedef struct tpl_module {
    tpl_jctx *jc;
    tpl_value body; /* the template's output: str(module) */
} tpl_module;

static bool module_getattr(tpl_ctx *ctx, void *data, const char *name, tpl_value *out) {
    tpl_module *m = data;
    tpl_value *v = tpl_dict_get_str(m->jc->exported, name) ? tpl_dict_get_str(m->jc->vars, name) : NULL;
    if (v != NULL) {
        *out = *v;
        return true;
    }
    return tpl_undefined_new(ctx, out, "no attribute '%s'", name);
}

static bool module_to_str(tpl_ctx *ctx, void *data, tpl_value *out) {
    tpl_module *m = data;
    *out = m->body;
    return true;
}

static bool make_module(tpl_exec *x, tpl_template *t, tpl_dict *parent, tpl_value *out) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_module *m = tpl_alloc(ctx, sizeof *m);
    if (m == NULL || !(m->jc = tpl_jctx_new(ctx, parent, t))) return false;
    tpl_buf buf = {0};
    tpl_r_push_frame(ctx, "imported from");
    bool ok = tpl_r_render_root(x->r, t, m->jc, &buf);
    tpl_r_pop_frame(ctx);
    if (!ok || !tpl_buf_to_str(ctx, &buf, &m->body)) return false;
    return tpl_object_new(ctx, "TemplateModule", module_getattr, module_to_str, m, out);
}

/* The module for an import: rendered once per render when imported without context. */
static bool get_module(tpl_exec *x, const tpl_node *template_expr, bool with_context,
                       tpl_value *out) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_value v;
    const char *name;
    if (!tpl_r_eval(x, template_expr, &v)) return false;
    tpl_r_at(x, template_expr);
    if (!tpl_r_template_name(x, v, &name)) return false;
    tpl_loc at = ctx->loc;
    tpl_template *t;
    bool missing;
    x->r->not_found[0] = '\0';
    tpl_r_push_frame(ctx, "imported from");
    bool ok = tpl_r_load(x->r, name, "import", x->tmpl, &t, &missing);
    tpl_r_pop_frame(ctx);
    if (!ok) return false;
    ctx->loc = at;
    if (missing) return tpl_r_fail_not_found(x->r, name);
    if (with_context) {
        tpl_dict *parent;
        return tpl_r_flatten(x, &parent) && make_module(x, t, parent, out);
    }
    tpl_value *cached = tpl_dict_get_str(x->r->modules, name);
    if (cached != NULL) {
        *out = *cached;
        return true;
    }
    if (!make_module(x, t, x->r->globals, out)) return false;
    ctx->loc = at;
    return tpl_dict_set_str(ctx, x->r->modules, name, *out);
}

/* An import's name is assigned but never exported (Jinja discards it from the exports). */
static bool assign_imported(tpl_exec *x, const char *name, tpl_value v) {
    tpl_ctx *ctx = &x->r->ctx;
    if (!tpl_dict_set_str(ctx, x->scope->vars, name, v)) return false;
    if (!x->toplevel) return true;
    if (!tpl_dict_set_str(ctx, x->jc->vars, name, v)) return false;
    tpl_value key;
    bool removed;
    return tpl_str_cstr(ctx, name, &key) && tpl_dict_remove(ctx, x->jc->exported, key, &removed);
}

bool tpl_r_exec_import(tpl_exec *x, const tpl_node *n) {
    tpl_value module;
    return get_module(x, n->u.import.template_, n->u.import.with_context, &module) &&
           assign_imported(x, n->u.import.target, module);
}

bool tpl_r_exec_from_import(tpl_exec *x, const tpl_node *n) {
    tpl_ctx *ctx = &x->r->ctx;
    tpl_value module;
    if (!get_module(x, n->u.from_import.template_, n->u.from_import.with_context, &module))
        return false;
    tpl_module *m = module.u.obj->data;
    for (size_t i = 0; i < n->u.from_import.n; i++) {
        const char *name = n->u.from_import.names[i];
        tpl_value v;
        tpl_value *found = tpl_dict_get_str(m->jc->exported, name) ? tpl_dict_get_str(m->jc->vars, name)
                                                                    : NULL;
        if (found != NULL) {
            v = *found;
        } else if (!tpl_undefined_new(ctx, &v,
                                      "the template '%s' (imported on line %d in '%s') does not"
                                      " export the requested name '%s'",
                                      m->jc->tmpl->name, n->line, x->tmpl->name, name)) {
            return false;
        }
        if (!assign_imported(x, n->u.from_import.aliases[i], v)) return false;
    }
    return true;
}
