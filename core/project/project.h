/* Forgather projects: a directory with meta.yaml (itself a template), templates/ and
 * configs under templates/<config_prefix>/. The project decides the template search path;
 * the shared template library shipped with the runtime is always searched last. */
#ifndef FG_CORE_PROJECT_H
#define FG_CORE_PROJECT_H

#include "template/template.h"

#include <forgather/fg_abi.h>
#include <stddef.h>

typedef struct fg_project {
    char *dir;            /* absolute directory holding meta.yaml */
    char *workspace_root; /* nearest ancestor holding forgather_workspace/; else the
                           * project's parent directory */
    char *name;           /* "Anonymous" when meta.yaml has none */
    char *description;    /* "No Description" when meta.yaml has none */
    char *config_prefix;  /* default "configs" */
    char *default_config; /* meta's default_config, else the first config found; may be NULL */
    char **searchdir;     /* absolute; meta's `searchdir` (default <dir>/templates), then
                           * the shared template library */
    size_t n_searchdir;
} fg_project;

/* The directory of the nearest ancestor of `start` (itself included) holding meta.yaml;
 * FG_E_NOT_FOUND when there is none. */
fg_status fg_project_find(const char *start, char *out, size_t cap, fg_error *err);
/* Renders and reads dir/meta.yaml. */
fg_status fg_project_open(const char *dir, fg_project **out, fg_error *err);
void fg_project_free(fg_project *p);

/* The shared template library: $FG_TEMPLATE_PATH (colon-separated, first), then
 * <libdir>/../share/forgather/templates beside the core library, then the source tree's
 * templates/ for a build that is not installed. Returns how many were written to dirs. */
size_t fg_template_library_dirs(char dirs[][4096], size_t max);

/* Config names (relative to config_prefix, e.g. "adamw.yaml", "sweeps/lr.yaml") found
 * under <searchdir>/<config_prefix>/ in every search dir, sorted, each once. Free with
 * fg_project_free_names. */
fg_status fg_project_configs(const fg_project *p, char ***names, size_t *n, fg_error *err);
void fg_project_free_names(char **names, size_t n);

/* A template environment for the project: first_dirs (e.g. -I directories), then its
 * search path, and the globals Forgather projects see (project_dir, workspace_root,
 * hostname, uname, versions). */
fg_status fg_project_env(const fg_project *p, const char *const *first_dirs, size_t n_first,
                         fg_template_env **out, fg_error *err);
/* Adds the globals (project_dir, workspace_root, hostname, uname, versions) to env;
 * project_dir/workspace_root may be NULL for a file rendered outside a project. */
fg_status fg_template_env_add_standard_globals(fg_template_env *env, const char *project_dir,
                                               const char *workspace_root, fg_error *err);

/* "<config_prefix>/<config>": the template name of a config (config defaults to the
 * project's default config). Writes into out. */
fg_status fg_project_config_template(const fg_project *p, const char *config, char *out,
                                     size_t cap, fg_error *err);

#endif
