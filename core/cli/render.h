/* What the config-reading commands (pp, graph, targets, train) share: which template to
 * render (a FILE, or a project config chosen with -p/-t), the template options
 * (-I DIR, --var NAME=VALUE, --fixed-time), and the split of rendered text into YAML
 * documents (one per run of a sweep). */
#ifndef FG_CLI_RENDER_H
#define FG_CLI_RENDER_H

#include "config/config.h"
#include "project/project.h"
#include "template/template.h"

#include <stdbool.h>
#include <stddef.h>

#define FG_CLI_MAX_ITEMS 256

/* Global flags given before the command: fgrun [-p DIR] [-t CONFIG] COMMAND ... */
typedef struct fg_cli_globals {
    const char *project_dir; /* -p; NULL: the nearest project above the working directory */
    const char *config;      /* -t; NULL: the project's default config */
} fg_cli_globals;

typedef struct fg_render_opts {
    const char *file; /* a template file named on the command line, or NULL */
    const char *include_dirs[FG_CLI_MAX_ITEMS];
    int n_include_dirs;
    fg_var vars[FG_CLI_MAX_ITEMS]; /* names malloc'd: fg_render_opts_free */
    int n_vars;
    const char *fixed_time; /* --fixed-time: seconds since the epoch */
} fg_render_opts;

/* Consumes argv[*i] (and its value) when it is a render option: returns 1 when consumed,
 * 0 when not a render option, -1 after printing an error. */
int fg_render_option(int argc, char **argv, int *i, fg_render_opts *o);
void fg_render_opts_free(fg_render_opts *o);

/* Options of the commands that build a config's objects (train, code): --set KEY=VALUE
 * overrides applied after rendering, and --plugin-path DIR searched first. */
typedef struct fg_build_opts {
    const char *sets[FG_CLI_MAX_ITEMS];
    int n_sets;
    const char *plugin_dirs[FG_CLI_MAX_ITEMS];
    int n_plugin_dirs;
} fg_build_opts;

/* As fg_render_option, for the build options; command names the command in errors. */
int fg_build_option(const char *command, int argc, char **argv, int *i, fg_build_opts *o);

/* The rendered configuration: text plus the name that locates it in messages. */
typedef struct fg_rendered {
    char *text;
    size_t len;
    char name[4096];        /* "configs/adamw.yaml" or the FILE path */
    /* Names the YAML text in messages: `name` when rendering left the file as written,
     * else "NAME (rendered)": line numbers then count in `fgrun pp` output. */
    char yaml_name[4200];
    char base_dir[4096];    /* relative paths in the config are taken from here */
    fg_template_env *env;   /* kept for the list of loaded templates */
} fg_rendered;

/* Renders opts->file when given, else the project config (globals->config or the
 * default) of the project at globals->project_dir or above the working directory. */
fg_status fg_cli_render(const fg_cli_globals *g, const fg_render_opts *o, fg_rendered *out,
                        fg_error *err);
void fg_rendered_free(fg_rendered *r);

/* A config's name for runs and generated code: its file stem ("exp/lr_sweep.yaml" ->
 * "lr_sweep"), or its directory's for config.yaml ("examples/tiny_gpt/config.yaml" ->
 * "tiny_gpt"). */
void fg_cli_config_stem(const char *config, char *out, size_t cap);

/* The same for one config (NULL: the default) of a project already open, so listings
 * render many configs without reading meta.yaml again. *out must start zeroed; on error
 * the caller frees it with fg_rendered_free. */
fg_status fg_cli_render_config(const fg_project *p, const char *config, const fg_render_opts *o,
                               fg_rendered *out, fg_error *err);

/* Splits YAML text into documents at `---` lines (column 0), so one template can expand
 * to several runs. Each document is returned as text padded with newlines in front, so
 * line numbers stay those of the whole rendered text. Empty documents are skipped.
 * *docs is malloc'd (free each and the array). */
fg_status fg_split_documents(const char *text, size_t len, char ***docs, size_t *n,
                             fg_error *err);
void fg_free_documents(char **docs, size_t n);

#endif
