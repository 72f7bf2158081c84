/* Opening a project: find meta.yaml, render it as a template, read its fields. */
#define _DEFAULT_SOURCE
#include "project/project.h"

#include "config/config.h"
#include "util/error.h"

#include <stdbool.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

fg_status fg_project_find(const char *start, char *out, size_t cap, fg_error *err) {
    char dir[PATH_MAX];
    if (realpath(start, dir) == NULL)
        return fg_error_set(err, FG_E_NOT_FOUND, "%s: %s", start, strerror(errno));
    for (;;) {
        char meta[PATH_MAX + 16];
        snprintf(meta, sizeof meta, "%s/meta.yaml", dir);
        if (is_file(meta)) {
            if (strlen(dir) >= cap) return fg_error_set(err, FG_E_RANGE, "%s: path too long", dir);
            memcpy(out, dir, strlen(dir) + 1);
            return FG_OK;
        }
        char *slash = strrchr(dir, '/');
        if (slash == NULL || slash == dir) break;
        *slash = '\0';
    }
    return fg_error_set(err, FG_E_NOT_FOUND,
                        "%s: not inside a project (no meta.yaml here or in a parent directory); "
                        "use -p DIR to name one",
                        start);
}

/* The nearest ancestor of dir holding forgather_workspace/, else dir's parent. */
static char *find_workspace(const char *dir) {
    char cur[PATH_MAX];
    snprintf(cur, sizeof cur, "%s", dir);
    for (;;) {
        char probe[PATH_MAX + 32];
        snprintf(probe, sizeof probe, "%s/forgather_workspace", cur);
        if (is_dir(probe)) return strdup(cur);
        char *slash = strrchr(cur, '/');
        if (slash == NULL || slash == cur) break;
        *slash = '\0';
    }
    snprintf(cur, sizeof cur, "%s", dir);
    char *slash = strrchr(cur, '/');
    if (slash != NULL && slash != cur) *slash = '\0';
    return strdup(cur);
}

void fg_project_free(fg_project *p) {
    if (p == NULL) return;
    free(p->dir);
    free(p->workspace_root);
    free(p->name);
    free(p->description);
    free(p->config_prefix);
    free(p->default_config);
    for (size_t i = 0; i < p->n_searchdir; i++) free(p->searchdir[i]);
    free(p->searchdir);
    free(p);
}

static fg_status add_searchdir(fg_project *p, const char *dir, fg_error *err) {
    char **grown = realloc(p->searchdir, (p->n_searchdir + 1) * sizeof *grown);
    if (grown == NULL) return fg_error_set(err, FG_E_NOMEM, "out of memory");
    p->searchdir = grown;
    if ((p->searchdir[p->n_searchdir] = strdup(dir)) == NULL)
        return fg_error_set(err, FG_E_NOMEM, "out of memory");
    p->n_searchdir++;
    return FG_OK;
}

/* A string field of meta.yaml, or NULL when absent; a non-string is an error. */
static fg_status meta_string(const fg_node *root, const char *key, char **out, fg_error *err) {
    *out = NULL;
    const fg_node *n = fg_node_get(root, key);
    if (n == NULL || n->type == FG_NODE_NULL) return FG_OK;
    if (n->type != FG_NODE_STR && n->type != FG_NODE_INT && n->type != FG_NODE_FLOAT)
        return fg_error_set(err, FG_E_TYPE, "%s:%d:%d: meta.yaml: '%s' must be a string, not %s",
                            n->loc.file, n->loc.line, n->loc.column, key,
                            fg_node_type_name(n->type));
    if ((*out = strdup(n->s)) == NULL) return fg_error_set(err, FG_E_NOMEM, "out of memory");
    return FG_OK;
}

/* meta's searchdir: a list of directories relative to the project (or absolute). */
static fg_status read_searchdir(fg_project *p, const fg_node *root, fg_error *err) {
    const fg_node *n = fg_node_get(root, "searchdir");
    if (n == NULL || n->type == FG_NODE_NULL) {
        char dir[PATH_MAX + 16];
        snprintf(dir, sizeof dir, "%s/templates", p->dir);
        return add_searchdir(p, dir, err);
    }
    if (n->type == FG_NODE_STR) return add_searchdir(p, n->s, err);
    if (n->type != FG_NODE_LIST)
        return fg_error_set(err, FG_E_TYPE, "%s:%d:%d: meta.yaml: 'searchdir' must be a list of "
                            "directories", n->loc.file, n->loc.line, n->loc.column);
    for (size_t i = 0; i < n->n; i++) {
        const fg_node *d = n->items[i];
        if (d->type != FG_NODE_STR)
            return fg_error_set(err, FG_E_TYPE, "%s:%d:%d: meta.yaml: searchdir entries must be "
                                "strings", d->loc.file, d->loc.line, d->loc.column);
        char path[PATH_MAX * 2];
        if (d->s[0] == '/')
            snprintf(path, sizeof path, "%s", d->s);
        else
            snprintf(path, sizeof path, "%s/%s", p->dir, d->s);
        char real[PATH_MAX];
        fg_status st = add_searchdir(p, realpath(path, real) != NULL ? real : path, err);
        if (st != FG_OK) return st;
    }
    return FG_OK;
}

static fg_status read_meta(fg_project *p, fg_error *err) {
    fg_template_env *env = NULL;
    fg_status st = fg_template_env_new(&env, err);
    if (st != FG_OK) return st;
    char lib[4][4096];
    size_t n_lib = fg_template_library_dirs(lib, 4);
    char ws_dir[PATH_MAX + 32];
    snprintf(ws_dir, sizeof ws_dir, "%s/forgather_workspace", p->workspace_root);
    st = fg_template_env_add_dir(env, p->dir, err);
    if (st == FG_OK) st = fg_template_env_add_dir(env, ws_dir, err);
    for (size_t i = 0; st == FG_OK && i < n_lib; i++) st = fg_template_env_add_dir(env, lib[i], err);
    if (st == FG_OK) st = fg_template_env_add_standard_globals(env, p->dir, p->workspace_root, err);
    char *text = NULL;
    size_t len = 0;
    if (st == FG_OK) st = fg_template_render(env, "meta.yaml", &text, &len, err);
    fg_template_env_free(env);
    if (st != FG_OK) return st;
    char name[PATH_MAX + 16];
    snprintf(name, sizeof name, "%s/meta.yaml", p->dir);
    fg_config *cfg = NULL;
    st = fg_config_parse(text, len, name, NULL, 0, &cfg, err);
    free(text);
    if (st != FG_OK) return st;
    const fg_node *root = fg_config_root(cfg);
    if (root->type != FG_NODE_MAP && root->type != FG_NODE_NULL) {
        fg_config_free(cfg);
        return fg_error_set(err, FG_E_TYPE, "%s: meta.yaml must be a mapping (name, description, "
                            "searchdir, config_prefix, default_config)", name);
    }
    st = meta_string(root, "name", &p->name, err);
    if (st == FG_OK) st = meta_string(root, "description", &p->description, err);
    if (st == FG_OK) st = meta_string(root, "config_prefix", &p->config_prefix, err);
    if (st == FG_OK) st = meta_string(root, "default_config", &p->default_config, err);
    if (st == FG_OK) st = read_searchdir(p, root, err);
    fg_config_free(cfg);
    for (size_t i = 0; st == FG_OK && i < n_lib; i++) st = add_searchdir(p, lib[i], err);
    return st;
}

fg_status fg_project_open(const char *dir, fg_project **out, fg_error *err) {
    *out = NULL;
    fg_project *p = calloc(1, sizeof *p);
    if (p == NULL) return fg_error_set(err, FG_E_NOMEM, "out of memory");
    char real[PATH_MAX];
    fg_status st = FG_OK;
    if (realpath(dir, real) == NULL) {
        st = fg_error_set(err, FG_E_NOT_FOUND, "project %s: %s", dir, strerror(errno));
    } else if ((p->dir = strdup(real)) == NULL || (p->workspace_root = find_workspace(real)) == NULL) {
        st = fg_error_set(err, FG_E_NOMEM, "out of memory");
    }
    if (st == FG_OK) st = read_meta(p, err);
    if (st == FG_OK && p->name == NULL && (p->name = strdup("Anonymous")) == NULL)
        st = fg_error_set(err, FG_E_NOMEM, "out of memory");
    if (st == FG_OK && p->description == NULL && (p->description = strdup("No Description")) == NULL)
        st = fg_error_set(err, FG_E_NOMEM, "out of memory");
    if (st == FG_OK && p->config_prefix == NULL && (p->config_prefix = strdup("configs")) == NULL)
        st = fg_error_set(err, FG_E_NOMEM, "out of memory");
    if (st == FG_OK && p->default_config == NULL) {
        char **names = NULL;
        size_t n = 0;
        st = fg_project_configs(p, &names, &n, err);
        if (st == FG_OK && n > 0 && (p->default_config = strdup(names[0])) == NULL)
            st = fg_error_set(err, FG_E_NOMEM, "out of memory");
        fg_project_free_names(names, n);
    }
    if (st != FG_OK) {
        fg_project_free(p);
        return st;
    }
    *out = p;
    return FG_OK;
}

fg_status fg_project_config_template(const fg_project *p, const char *config, char *out,
                                     size_t cap, fg_error *err) {
    if (config == NULL) config = p->default_config;
    if (config == NULL)
        return fg_error_set(err, FG_E_NOT_FOUND,
                            "project %s has no configs (looked for *.yaml under %s/ in its "
                            "search path) and meta.yaml names no default_config",
                            p->dir, p->config_prefix);
    int n = snprintf(out, cap, "%s/%s", p->config_prefix, config);
    if (n < 0 || (size_t)n >= cap) return fg_error_set(err, FG_E_RANGE, "config name too long: %s", config);
    return FG_OK;
}
