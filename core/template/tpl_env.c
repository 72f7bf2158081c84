/* The template environment (template.h): search path, render variables, fixed time, and
 * one render = a fresh arena + loader, the builtins, the top template's context. The
 * loader of the last render is kept so its list of loaded templates stays valid. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "template/tpl_render.h"

#include "config/config.h"
#include "util/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct env_var {
    char *name;
    fg_config *yaml; /* set_var: the parsed value */
    char *text;      /* set_string: the literal text */
} env_var;

struct fg_template_env {
    char **dirs;
    size_t n_dirs;
    env_var *vars;
    size_t n_vars;
    time_t fixed_time;
    uint64_t max_steps;
    size_t max_bytes;
    int max_depth;
    /* what the last render loaded */
    tpl_loader *last_loader;
    fg_template_ref *refs;
    size_t n_refs;
};

static fg_status nomem(fg_error *err) { return fg_error_set(err, FG_E_NOMEM, "out of memory"); }

fg_status fg_template_env_new(fg_template_env **out, fg_error *err) {
    fg_template_env *env = calloc(1, sizeof *env);
    if (env == NULL) return nomem(err);
    env->max_steps = TPL_RENDER_MAX_STEPS;
    env->max_bytes = TPL_RENDER_MAX_BYTES;
    env->max_depth = TPL_RENDER_MAX_DEPTH;
    *out = env;
    return FG_OK;
}

static void forget_last_render(fg_template_env *env) {
    tpl_loader_free(env->last_loader);
    free(env->refs);
    env->last_loader = NULL;
    env->refs = NULL;
    env->n_refs = 0;
}

void fg_template_env_free(fg_template_env *env) {
    if (env == NULL) return;
    for (size_t i = 0; i < env->n_dirs; i++) free(env->dirs[i]);
    free(env->dirs);
    for (size_t i = 0; i < env->n_vars; i++) {
        free(env->vars[i].name);
        fg_config_free(env->vars[i].yaml);
        free(env->vars[i].text);
    }
    free(env->vars);
    forget_last_render(env);
    free(env);
}

void tpl_env_set_limits(fg_template_env *env, uint64_t max_steps, size_t max_bytes, int max_depth) {
    env->max_steps = max_steps;
    env->max_bytes = max_bytes;
    env->max_depth = max_depth;
}

fg_status fg_template_env_add_dir(fg_template_env *env, const char *dir, fg_error *err) {
    char **dirs = realloc(env->dirs, (env->n_dirs + 1) * sizeof *dirs);
    if (dirs == NULL) return nomem(err);
    env->dirs = dirs;
    if ((dirs[env->n_dirs] = strdup(dir)) == NULL) return nomem(err);
    env->n_dirs++;
    return FG_OK;
}

static fg_status add_var(fg_template_env *env, const char *name, fg_config *yaml, const char *text,
                         fg_error *err) {
    env_var *vars = realloc(env->vars, (env->n_vars + 1) * sizeof *vars);
    if (vars == NULL) {
        fg_config_free(yaml);
        return nomem(err);
    }
    env->vars = vars;
    env_var *v = &vars[env->n_vars];
    v->name = strdup(name);
    v->yaml = yaml;
    v->text = text ? strdup(text) : NULL;
    if (v->name == NULL || (text && v->text == NULL)) {
        free(v->name);
        free(v->text);
        fg_config_free(yaml);
        return nomem(err);
    }
    env->n_vars++;
    return FG_OK;
}

fg_status fg_template_env_set_var(fg_template_env *env, const char *name, const char *yaml_value,
                                  fg_error *err) {
    /* The config parser wants a mapping at the root: parse "v:" with the value indented
     * below it, then take v. */
    size_t len = strlen(yaml_value), lines = 1;
    for (size_t i = 0; i < len; i++) lines += yaml_value[i] == '\n';
    char *doc = malloc(len + 2 * lines + 8);
    if (doc == NULL) return nomem(err);
    memcpy(doc, "v:\n  ", 5);
    size_t k = 5;
    for (size_t i = 0; i < len; i++) {
        doc[k++] = yaml_value[i];
        if (yaml_value[i] == '\n') {
            doc[k++] = ' ';
            doc[k++] = ' ';
        }
    }
    doc[k] = '\0';
    fg_config *cfg = NULL;
    char where[256];
    snprintf(where, sizeof where, "--var %s", name);
    fg_status st = fg_config_parse(doc, k, where, NULL, 0, &cfg, err);
    free(doc);
    if (st != FG_OK) return st;
    return add_var(env, name, cfg, NULL, err);
}

fg_status fg_template_env_set_string(fg_template_env *env, const char *name, const char *value,
                                     fg_error *err) {
    return add_var(env, name, NULL, value, err);
}

void fg_template_env_fix_time(fg_template_env *env, time_t when) { env->fixed_time = when; }

size_t fg_template_env_loaded(const fg_template_env *env, const fg_template_ref **refs) {
    *refs = env->refs;
    return env->n_refs;
}

/* ---- render variables from YAML ------------------------------------------------------- */

static bool node_value(tpl_ctx *ctx, const fg_node *n, int depth, tpl_value *out) {
    if (n == NULL) {
        *out = tpl_none();
        return true;
    }
    if (depth > FG_CONFIG_MAX_DEPTH) return tpl_fail(ctx, TPL_E_RECURSION, "variable nested too deeply");
    switch (n->type) {
    case FG_NODE_NULL: *out = tpl_none(); return true;
    case FG_NODE_BOOL: *out = tpl_bool(n->b); return true;
    case FG_NODE_INT: *out = tpl_int(n->i); return true;
    case FG_NODE_FLOAT: *out = tpl_float(n->f); return true;
    case FG_NODE_STR: return tpl_str_cstr(ctx, n->s ? n->s : "", out);
    case FG_NODE_LIST: {
        bool tuple = n->container == FG_CONTAINER_TUPLE;
        if (!(tuple ? tpl_tuple_new(ctx, n->n, out) : tpl_list_new(ctx, n->n, out))) return false;
        for (size_t i = 0; i < n->n; i++) {
            tpl_value item;
            if (!node_value(ctx, n->items[i], depth + 1, &item) ||
                !tpl_list_append(ctx, out->u.list, item))
                return false;
        }
        return true;
    }
    case FG_NODE_MAP: {
        if (!tpl_dict_new(ctx, out)) return false;
        for (size_t i = 0; i < n->n; i++) {
            tpl_value item;
            if (!node_value(ctx, n->items[i], depth + 1, &item) ||
                !tpl_dict_set_str(ctx, out->u.dict, n->keys[i], item))
                return false;
        }
        return true;
    }
    }
    *out = tpl_none();
    return true;
}

/* The top template's context parent: the globals, then the render variables. */
static bool render_vars(fg_template_env *env, tpl_render *r, tpl_dict **out) {
    tpl_ctx *ctx = &r->ctx;
    tpl_value d;
    if (!tpl_dict_new(ctx, &d)) return false;
    for (size_t i = 0; i < r->globals->n; i++)
        if (!tpl_dict_set(ctx, d.u.dict, r->globals->keys[i], r->globals->vals[i])) return false;
    for (size_t i = 0; i < env->n_vars; i++) {
        tpl_value v;
        const env_var *var = &env->vars[i];
        bool ok = var->text != NULL ? tpl_str_cstr(ctx, var->text, &v)
                                    : node_value(ctx, fg_node_get(fg_config_root(var->yaml), "v"), 0, &v);
        if (!ok || !tpl_dict_set_str(ctx, d.u.dict, var->name, v)) return false;
    }
    *out = d.u.dict;
    return true;
}

/* ---- rendering ------------------------------------------------------------------------ */

/* "FILE:LINE:COL: message" -> "FILE:LINE:COL: Class: message", so the exception class
 * Jinja would raise is visible (the conformance corpus compares it). */
static void name_error_class(fg_error *err, const char *cls) {
    if (cls == NULL || err->msg[0] == '\0') return;
    size_t len = strlen(err->msg), at = 0;
    const char *nl = strchr(err->msg, '\n');
    size_t first_line = nl ? (size_t)(nl - err->msg) : len;
    for (size_t i = 0; i + 1 < first_line; i++) {
        /* the location ends at the first ":DIGITS:DIGITS: " */
        if (err->msg[i] != ':' || !isdigit((unsigned char)err->msg[i + 1])) continue;
        size_t j = i + 1;
        while (j < first_line && isdigit((unsigned char)err->msg[j])) j++;
        if (j >= first_line || err->msg[j] != ':' || !isdigit((unsigned char)err->msg[j + 1])) continue;
        j++;
        while (j < first_line && isdigit((unsigned char)err->msg[j])) j++;
        if (j + 1 < first_line && err->msg[j] == ':' && err->msg[j + 1] == ' ') {
            at = j + 2;
            break;
        }
    }
    char rest[FG_ERROR_MSG_SIZE];
    snprintf(rest, sizeof rest, "%s", err->msg + at);
    snprintf(err->msg + at, sizeof err->msg - at, "%s: %s", cls, rest);
}

typedef enum { BY_NAME, BY_PATH, BY_STRING } render_mode;

static fg_status render(fg_template_env *env, render_mode mode, const char *name, const char *text,
                        size_t len, char **out, size_t *out_len, fg_error *err) {
    fg_error local = {0, {0}};
    tpl_render *r = calloc(1, sizeof *r);
    if (r == NULL) return nomem(err);
    tpl_ctx *ctx = &r->ctx;
    tpl_ctx_init(ctx, &local);
    ctx->env = r;
    ctx->max_bytes = env->max_bytes;
    ctx->steps_left = env->max_steps;
    ctx->max_depth = env->max_depth;
    ctx->fixed_time = env->fixed_time;
    fg_status st = tpl_loader_new(&r->loader, &local);
    for (size_t i = 0; st == FG_OK && i < env->n_dirs; i++)
        st = tpl_loader_add_dir(r->loader, env->dirs[i], &local);
    if (st == FG_OK && mode == BY_STRING) st = tpl_loader_add_string(r->loader, name, text, len, &local);

    bool ok = st == FG_OK;
    tpl_value globals, modules;
    tpl_dict *vars = NULL;
    tpl_template *top = NULL;
    tpl_buf buf = {0};
    if (ok) {
        ok = tpl_dict_new(ctx, &globals) && tpl_dict_new(ctx, &modules) &&
             tpl_globals_install(ctx, globals.u.dict);
        if (ok) {
            r->globals = globals.u.dict;
            r->modules = modules.u.dict;
            ok = render_vars(env, r, &vars) && tpl_r_load_top(r, name, mode == BY_PATH, &top);
        }
        tpl_jctx *jc = ok ? tpl_jctx_new(ctx, vars, top) : NULL;
        ok = ok && jc != NULL && tpl_r_render_root(r, top, jc, &buf);
        if (!ok) {
            if (local.code == FG_OK) /* every failure records one; never leave it empty */
                fg_error_set(&local, FG_E_INTERNAL, "%s: rendering failed", name);
            name_error_class(&local, ctx->error_class);
            st = local.code;
        }
    }
    if (ok) {
        char *text_out = malloc(buf.len + 1);
        if (text_out == NULL) {
            st = nomem(&local);
        } else {
            if (buf.len) memcpy(text_out, buf.data, buf.len);
            text_out[buf.len] = '\0';
            *out = text_out;
            *out_len = buf.len;
        }
    }
    /* keep what the render loaded (names point into the loader's sources) */
    forget_last_render(env);
    env->last_loader = r->loader;
    env->refs = r->refs;
    env->n_refs = r->n_refs;
    tpl_ctx_free(ctx);
    free(r);
    if (st != FG_OK && err != NULL) *err = local;
    return st;
}

fg_status fg_template_render(fg_template_env *env, const char *name, char **out, size_t *out_len,
                             fg_error *err) {
    return render(env, BY_NAME, name, NULL, 0, out, out_len, err);
}

fg_status fg_template_render_file(fg_template_env *env, const char *path, char **out,
                                  size_t *out_len, fg_error *err) {
    return render(env, BY_PATH, path, NULL, 0, out, out_len, err);
}

fg_status fg_template_render_string(fg_template_env *env, const char *name, const char *text,
                                    size_t len, char **out, size_t *out_len, fg_error *err) {
    return render(env, BY_STRING, name, text, len, out, out_len, err);
}

/* ---- listing ------------------------------------------------------------------------- */

typedef struct list_state {
    fg_template_visit_fn visit;
    void *user;
    bool stopped;
} list_state;

static fg_status list_one(void *user, const tpl_listed *entry, fg_error *err) {
    list_state *s = user;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", entry->dir, entry->name);
    if (s->visit(entry->name, path, entry->shadowed, s->user) != 0) {
        s->stopped = true;
        return FG_E_INTERRUPTED; /* stops the listing; not an error for our caller */
    }
    return FG_OK;
}

fg_status fg_template_env_list(fg_template_env *env, fg_template_visit_fn visit, void *user,
                               fg_error *err) {
    tpl_loader *loader = NULL;
    fg_status st = tpl_loader_new(&loader, err);
    for (size_t i = 0; st == FG_OK && i < env->n_dirs; i++)
        st = tpl_loader_add_dir(loader, env->dirs[i], err);
    list_state s = {visit, user, false};
    if (st == FG_OK) st = tpl_loader_list(loader, list_one, &s, err);
    tpl_loader_free(loader);
    if (s.stopped) {
        if (err != NULL) fg_error_clear(err);
        return FG_OK;
    }
    return st;
}
