/* The fg_config object: loading a file or a string, the root's post-processing
 * (dropping '.'-keys, graph checks), and freeing. The YAML itself is composed by
 * yaml_load.c. Public functions work on a local fg_error and copy it out at the end, so a
 * NULL err is allowed everywhere. */
#include "config/config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static fg_status copy_vars(fg_config *cfg, const fg_var *vars, size_t n_vars, fg_error *err) {
    if (n_vars == 0 || vars == NULL) return FG_OK;
    if (n_vars > SIZE_MAX / sizeof(fgc_var)) return fgc_nomem(err, NULL);
    cfg->vars = fgc_alloc(&cfg->arena, n_vars * sizeof(fgc_var));
    if (cfg->vars == NULL) return fgc_nomem(err, NULL);
    for (size_t k = 0; k < n_vars; k++) {
        if (vars[k].name == NULL) continue; /* nothing can refer to it */
        const char *value = vars[k].yaml_value != NULL ? vars[k].yaml_value : "";
        fgc_var *v = &cfg->vars[cfg->n_vars];
        v->name = fgc_strdup(&cfg->arena, vars[k].name);
        v->len = strlen(value);
        v->value = fgc_strndup(&cfg->arena, value, v->len);
        if (v->name == NULL || v->value == NULL) return fgc_nomem(err, NULL);
        cfg->n_vars++;
    }
    return FG_OK;
}

/* Drops root keys starting with '.': `.define: &x ...` holds anchored nodes that are used
 * through aliases elsewhere but are not targets themselves. */
static void drop_dot_keys(fg_node *root) {
    size_t kept = 0;
    for (size_t k = 0; k < root->n; k++) {
        if (root->keys[k][0] == '.') continue;
        root->keys[kept] = root->keys[k];
        root->key_locs[kept] = root->key_locs[k];
        root->items[kept] = root->items[k];
        kept++;
    }
    root->n = kept;
}

static fg_status parse_config(fg_config *cfg, const char *text, size_t len, const char *name,
                              const fg_var *vars, size_t n_vars, fg_error *err) {
    cfg->name = fgc_strdup(&cfg->arena, name != NULL ? name : "<config>");
    cfg->text = fgc_strndup(&cfg->arena, text != NULL ? text : "", len);
    cfg->len = len;
    if (cfg->name == NULL || cfg->text == NULL) return fgc_nomem(err, NULL);
    fg_status st = copy_vars(cfg, vars, n_vars, err);
    if (st != FG_OK) return st;
    fgc_parse_opts o = {cfg->name, NULL, false, true, 0};
    fg_node *root;
    if ((st = fgc_parse_text(cfg, cfg->text, len, &o, &root, err)) != FG_OK) return st;
    if (root->type != FG_NODE_MAP)
        return fgc_fail(err, FG_E_PARSE, &root->loc,
                        "the root of the configuration must be a mapping of key: value pairs, "
                        "found %s",
                        fgc_type_article(root->type));
    drop_dot_keys(root);
    if ((st = fgc_check_graph(root, err)) != FG_OK) return st;
    cfg->root = root;
    return FG_OK;
}

static void report(fg_error *dst, const fg_error *src) {
    if (dst == NULL) return;
    dst->code = src->code;
    memcpy(dst->msg, src->msg, sizeof dst->msg);
}

fg_status fg_config_parse(const char *text, size_t len, const char *name, const fg_var *vars,
                          size_t n_vars, fg_config **out, fg_error *err) {
    fg_error e = {0, {0}};
    if (out != NULL) *out = NULL;
    if (out == NULL || (text == NULL && len > 0)) {
        fgc_fail(&e, FG_E_INVALID_ARG, NULL, "fg_config_parse: missing text or output pointer");
        report(err, &e);
        return e.code;
    }
    fg_config *cfg = calloc(1, sizeof *cfg);
    if (cfg == NULL) {
        fgc_nomem(&e, NULL);
        report(err, &e);
        return FG_E_NOMEM;
    }
    fg_status st = parse_config(cfg, text, len, name, vars, n_vars, &e);
    if (st != FG_OK) {
        fg_config_free(cfg);
        report(err, &e);
        return st;
    }
    *out = cfg;
    return FG_OK;
}

/* Reads the whole file; the caller frees *data. */
static fg_status read_file(const char *path, char **data, size_t *len, fg_error *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        return fgc_fail(err, e == ENOENT ? FG_E_NOT_FOUND : FG_E_IO, NULL, "%s: cannot open: %s",
                        path, strerror(e));
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    if (buf == NULL) {
        fclose(f);
        return fgc_fail(err, FG_E_NOMEM, NULL, "%s: out of memory while reading", path);
    }
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        free(buf);
        return fgc_fail(err, FG_E_IO, NULL, "%s: cannot read: %s", path, strerror(e));
    }
    fclose(f);
    *data = buf;
    *len = n;
    return FG_OK;
}

fg_status fg_config_load_file(const char *path, const fg_var *vars, size_t n_vars,
                              fg_config **out, fg_error *err) {
    fg_error e = {0, {0}};
    if (out != NULL) *out = NULL;
    if (path == NULL || out == NULL) {
        fgc_fail(&e, FG_E_INVALID_ARG, NULL, "fg_config_load_file: missing path or output");
        report(err, &e);
        return e.code;
    }
    char *data = NULL;
    size_t len = 0;
    fg_status st = read_file(path, &data, &len, &e);
    if (st != FG_OK) {
        report(err, &e);
        return st;
    }
    st = fg_config_parse(data, len, path, vars, n_vars, out, err);
    free(data);
    return st;
}

void fg_config_free(fg_config *cfg) {
    if (cfg == NULL) return;
    fgc_arena_free(&cfg->arena);
    free(cfg);
}

fg_node *fg_config_root(const fg_config *cfg) { return cfg != NULL ? cfg->root : NULL; }

const char *fg_config_text(const fg_config *cfg) { return cfg != NULL ? cfg->text : NULL; }
