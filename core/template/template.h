/* The template engine as the rest of the core sees it: Forgather's line syntax on top of a
 * Jinja2-compatible language (trim_blocks, one trailing newline dropped, StrictUndefined,
 * sandboxed), rendering templates found on a search path to text (YAML, in practice).
 * Internals live in core/template/tpl*.{c,h}. */
#ifndef FG_CORE_TEMPLATE_H
#define FG_CORE_TEMPLATE_H

#include <forgather/fg_abi.h>
#include <stddef.h>
#include <time.h>

typedef struct fg_template_env fg_template_env;

fg_status fg_template_env_new(fg_template_env **out, fg_error *err);
void fg_template_env_free(fg_template_env *env);

/* Appends a directory to the search path (first match wins); a directory that does not
 * exist is skipped silently, as Forgather does. */
fg_status fg_template_env_add_dir(fg_template_env *env, const char *dir, fg_error *err);

/* A render variable / global. `yaml_value` is YAML text (a scalar such as `3`, `1.0e-3`,
 * `true`, `hello`, or flow collections `{a: 1, b: [x, y]}`), converted to the
 * template value it denotes; later calls with the same name win. */
fg_status fg_template_env_set_var(fg_template_env *env, const char *name,
                                  const char *yaml_value, fg_error *err);
/* A string variable taken literally (no YAML interpretation): paths, host names. */
fg_status fg_template_env_set_string(fg_template_env *env, const char *name,
                                     const char *value, fg_error *err);

/* Makes isotime(), filetime(), now() ... report this moment instead of the clock, so
 * rendered output can be compared byte for byte. */
void fg_template_env_fix_time(fg_template_env *env, time_t when);

/* Renders the template named `name` (looked up on the search path). On success *out is
 * malloc'd, NUL-terminated text (free it) and *out_len its length. On error, err holds
 * "FILE:LINE:COL: message" for the innermost place at fault followed by the chain of
 * includes/extends that led there ("  included from FILE:LINE", "  extended by ..."). */
fg_status fg_template_render(fg_template_env *env, const char *name, char **out,
                             size_t *out_len, fg_error *err);
/* Same for a template read from a file path (which need not be on the search path;
 * what it extends or includes is looked up on the search path). */
fg_status fg_template_render_file(fg_template_env *env, const char *path, char **out,
                                  size_t *out_len, fg_error *err);
/* Same for template source text held in memory; `name` names it in messages. */
fg_status fg_template_render_string(fg_template_env *env, const char *name, const char *text,
                                    size_t len, char **out, size_t *out_len, fg_error *err);

/* Templates the last render loaded, in load order (the rendered one first); each with
 * the index of the template that pulled it in (-1 for the first) and how ("extends",
 * "include", "import"). For `fgrun trefs`-style listings and the run directory's copy
 * of the template sources. Valid until the next render or fg_template_env_free. */
typedef struct fg_template_ref {
    const char *name;
    const char *path; /* file it came from */
    int parent;
    const char *how;
} fg_template_ref;
size_t fg_template_env_loaded(const fg_template_env *env, const fg_template_ref **refs);

/* Visits every template file under the search path (for `fgrun tlist`): its name, the
 * file, and whether a directory earlier on the path shadows it. Return non-zero from the
 * visitor to stop. */
typedef int (*fg_template_visit_fn)(const char *name, const char *path, int shadowed,
                                    void *user);
fg_status fg_template_env_list(fg_template_env *env, fg_template_visit_fn visit, void *user,
                               fg_error *err);

#endif
