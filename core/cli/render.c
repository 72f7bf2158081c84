/* Choosing and rendering the configuration a command works on. */
#define _DEFAULT_SOURCE
#include "cli/render.h"

#include "cli/cli.h"
#include "project/project.h"
#include "util/error.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fg_build_option(const char *command, int argc, char **argv, int *i, fg_build_opts *o) {
    int missing = 0;
    const char *v;
    if ((v = fg_cli_option(argc, argv, i, "--set", &missing)) != NULL) {
        if (o->n_sets == FG_CLI_MAX_ITEMS) return fg_cli_fail("too many --set options"), -1;
        o->sets[o->n_sets++] = v;
        return 1;
    }
    if ((v = fg_cli_option(argc, argv, i, "--plugin-path", &missing)) != NULL) {
        if (o->n_plugin_dirs == FG_CLI_MAX_ITEMS) return fg_cli_fail("too many --plugin-path options"), -1;
        o->plugin_dirs[o->n_plugin_dirs++] = v;
        return 1;
    }
    return missing ? (fg_cli_bad_argument(command, argv[*i], 1), -1) : 0;
}

int fg_render_option(int argc, char **argv, int *i, fg_render_opts *o) {
    int missing = 0;
    const char *v;
    char msg[512];
    if ((v = fg_cli_option(argc, argv, i, "-I", &missing)) != NULL ||
        (v = fg_cli_option(argc, argv, i, "--include", &missing)) != NULL) {
        if (o->n_include_dirs == FG_CLI_MAX_ITEMS) return fg_cli_fail("too many -I options"), -1;
        o->include_dirs[o->n_include_dirs++] = v;
        return 1;
    }
    if ((v = fg_cli_option(argc, argv, i, "--var", &missing)) != NULL) {
        const char *eq = strchr(v, '=');
        if (eq == NULL || eq == v) {
            snprintf(msg, sizeof msg, "--var expects NAME=VALUE, got '%s'", v);
            return fg_cli_fail(msg), -1;
        }
        if (o->n_vars == FG_CLI_MAX_ITEMS) return fg_cli_fail("too many --var options"), -1;
        char *name = strndup(v, (size_t)(eq - v));
        if (name == NULL) return fg_cli_fail("out of memory"), -1;
        o->vars[o->n_vars].name = name;
        o->vars[o->n_vars++].yaml_value = eq + 1;
        return 1;
    }
    if ((v = fg_cli_option(argc, argv, i, "--fixed-time", &missing)) != NULL) {
        char *end;
        long long t = strtoll(v, &end, 10);
        if (*end != '\0' || t <= 0) {
            snprintf(msg, sizeof msg, "--fixed-time expects seconds since 1970 (e.g. 1700000000), got '%s'", v);
            return fg_cli_fail(msg), -1;
        }
        o->fixed_time = v;
        return 1;
    }
    if (missing) {
        snprintf(msg, sizeof msg, "%s needs a value", argv[*i]);
        return fg_cli_fail(msg), -1;
    }
    return 0;
}

void fg_render_opts_free(fg_render_opts *o) {
    for (int i = 0; i < o->n_vars; i++) free((char *)o->vars[i].name);
    o->n_vars = 0;
}

static void dir_of(const char *path, char *out, size_t cap) {
    char real[PATH_MAX];
    if (realpath(path, real) == NULL) snprintf(real, sizeof real, "%s", path);
    char *slash = strrchr(real, '/');
    if (slash == NULL)
        snprintf(out, cap, ".");
    else if (slash == real)
        snprintf(out, cap, "/");
    else {
        *slash = '\0';
        snprintf(out, cap, "%s", real);
    }
}

static fg_status apply_options(fg_template_env *env, const fg_render_opts *o, fg_error *err) {
    fg_status st = FG_OK;
    for (int i = 0; st == FG_OK && i < o->n_vars; i++)
        st = fg_template_env_set_var(env, o->vars[i].name, o->vars[i].yaml_value, err);
    if (o->fixed_time != NULL) fg_template_env_fix_time(env, (time_t)strtoll(o->fixed_time, NULL, 10));
    return st;
}

/* FILE: searched dirs are the -I dirs, the file's own directory, then the library. */
static fg_status render_file(const fg_render_opts *o, fg_rendered *out, fg_error *err) {
    fg_status st = fg_template_env_new(&out->env, err);
    for (int i = 0; st == FG_OK && i < o->n_include_dirs; i++)
        st = fg_template_env_add_dir(out->env, o->include_dirs[i], err);
    dir_of(o->file, out->base_dir, sizeof out->base_dir);
    if (st == FG_OK) st = fg_template_env_add_dir(out->env, out->base_dir, err);
    char lib[4][4096];
    size_t n_lib = fg_template_library_dirs(lib, 4);
    for (size_t i = 0; st == FG_OK && i < n_lib; i++) st = fg_template_env_add_dir(out->env, lib[i], err);
    char project[PATH_MAX];
    fg_error ignored = {0};
    bool in_project = fg_project_find(out->base_dir, project, sizeof project, &ignored) == FG_OK;
    if (st == FG_OK)
        st = fg_template_env_add_standard_globals(out->env, in_project ? project : NULL, NULL, err);
    if (st == FG_OK) st = apply_options(out->env, o, err);
    snprintf(out->name, sizeof out->name, "%s", o->file);
    if (st == FG_OK) st = fg_template_render_file(out->env, o->file, &out->text, &out->len, err);
    return st;
}

fg_status fg_cli_render_config(const fg_project *p, const char *config, const fg_render_opts *o,
                               fg_rendered *out, fg_error *err) {
    fg_status st = fg_project_config_template(p, config, out->name, sizeof out->name, err);
    if (st == FG_OK)
        st = fg_project_env(p, o->include_dirs, (size_t)o->n_include_dirs, &out->env, err);
    if (st == FG_OK) st = apply_options(out->env, o, err);
    snprintf(out->base_dir, sizeof out->base_dir, "%s", p->dir);
    snprintf(out->yaml_name, sizeof out->yaml_name, "%s (rendered)", out->name);
    if (st == FG_OK) st = fg_template_render(out->env, out->name, &out->text, &out->len, err);
    return st;
}

static fg_status render_project(const fg_cli_globals *g, const fg_render_opts *o, fg_rendered *out,
                                fg_error *err) {
    char dir[PATH_MAX];
    fg_status st = fg_project_find(g->project_dir ? g->project_dir : ".", dir, sizeof dir, err);
    if (st != FG_OK) {
        if (g->project_dir == NULL && g->config == NULL)
            fg_error_prefix(err, "no config given (name a FILE, or use -t CONFIG in a project)");
        return st;
    }
    fg_project *p = NULL;
    st = fg_project_open(dir, &p, err);
    if (st == FG_OK) st = fg_cli_render_config(p, g->config, o, out, err);
    fg_project_free(p);
    return st;
}

/* True when the file holds exactly `text` (give or take the one trailing newline that
 * rendering drops): a plain YAML config, whose line numbers need no caveat. */
static bool file_is_text(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return false;
    bool same = true;
    size_t at = 0;
    int c;
    while (same && (c = fgetc(f)) != EOF) {
        if (at < len)
            same = (char)c == text[at++];
        else
            same = c == '\n' && at++ == len && fgetc(f) == EOF;
    }
    fclose(f);
    return same && at >= len;
}

fg_status fg_cli_render(const fg_cli_globals *g, const fg_render_opts *o, fg_rendered *out,
                        fg_error *err) {
    memset(out, 0, sizeof *out);
    fg_status st = o->file != NULL ? render_file(o, out, err) : render_project(g, o, out, err);
    if (st != FG_OK) {
        fg_rendered_free(out);
        return st;
    }
    bool plain = o->file != NULL && file_is_text(o->file, out->text, out->len);
    snprintf(out->yaml_name, sizeof out->yaml_name, plain ? "%s" : "%s (rendered)", out->name);
    return FG_OK;
}

void fg_rendered_free(fg_rendered *r) {
    free(r->text);
    r->text = NULL;
    fg_template_env_free(r->env);
    r->env = NULL;
}

/* A `---` document marker: at column 0, followed by end of line or whitespace. */
static bool is_document_start(const char *line, const char *end) {
    if (end - line < 3 || strncmp(line, "---", 3) != 0) return false;
    return line + 3 == end || line[3] == ' ' || line[3] == '\t' || line[3] == '\r';
}

/* True when the text has something besides blank lines, comments and markers. */
static bool has_content(const char *s, const char *end) {
    while (s < end) {
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        if (eol == NULL) eol = end;
        const char *c = s;
        while (c < eol && (*c == ' ' || *c == '\t' || *c == '\r')) c++;
        if (c < eol && *c != '#' && !is_document_start(s, eol)) return true;
        s = eol + 1;
    }
    return false;
}

void fg_free_documents(char **docs, size_t n) {
    for (size_t i = 0; i < n; i++) free(docs[i]);
    free(docs);
}

fg_status fg_split_documents(const char *text, size_t len, char ***docs, size_t *n,
                             fg_error *err) {
    *docs = NULL;
    *n = 0;
    const char *end = text + len, *doc_start = text, *line = text;
    size_t line_no = 1, doc_line = 1;
    for (;;) {
        const char *eol = line < end ? memchr(line, '\n', (size_t)(end - line)) : NULL;
        if (eol == NULL) eol = end;
        bool last = eol >= end;
        bool marker = line < end && is_document_start(line, eol);
        if ((marker || last) && has_content(doc_start, marker ? line : end)) {
            const char *stop = marker ? line : end;
            size_t pad = doc_line - 1, body = (size_t)(stop - doc_start);
            char *doc = malloc(pad + body + 1);
            char **grown = realloc(*docs, (*n + 1) * sizeof *grown);
            if (doc == NULL || grown == NULL) {
                free(doc);
                if (grown != NULL) *docs = grown;
                fg_free_documents(*docs, *n);
                *docs = NULL;
                *n = 0;
                return fg_error_set(err, FG_E_NOMEM, "splitting documents: out of memory");
            }
            memset(doc, '\n', pad);
            memcpy(doc + pad, doc_start, body);
            doc[pad + body] = '\0';
            *docs = grown;
            (*docs)[(*n)++] = doc;
        }
        if (last) break;
        if (marker) {
            /* The marker line stays with the new document: `--- !tag` is legal YAML. */
            doc_start = line;
            doc_line = line_no;
        }
        line = eol + 1;
        line_no++;
    }
    return FG_OK;
}

void fg_cli_config_stem(const char *config, char *out, size_t cap) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", config);
    char *base = strrchr(path, '/');
    char *file = base ? base + 1 : path;
    char *dot = strrchr(file, '.');
    if (dot) *dot = '\0';
    if (strcmp(file, "config") == 0 && base != NULL) {
        *base = '\0';
        char *parent = strrchr(path, '/');
        file = parent ? parent + 1 : path;
    }
    snprintf(out, cap, "%s", file[0] ? file : "run");
}
