/* Finding, loading and indexing plugins. Every libfg_*.so on the search path is opened
 * with RTLD_NOW | RTLD_LOCAL, its ABI checked, its factory table indexed. Plugins are
 * never unloaded (objects and vtables may outlive any sensible unload point). */
#ifndef FG_CORE_REGISTRY_H
#define FG_CORE_REGISTRY_H

#include <forgather/plugin.h>
#include <stddef.h>

typedef struct fg_loaded_plugin {
    char *path;
    char *stem; /* file name without "libfg_" and ".so": the plugin's name */
    const fg_plugin_desc *desc;
} fg_loaded_plugin;

typedef struct fg_factory_ref {
    const fg_loaded_plugin *plugin;
    const fg_factory_desc *factory;
} fg_factory_ref;

typedef struct fg_load_failure {
    char *path;
    char *reason;
} fg_load_failure;

typedef struct fg_registry {
    char **dirs; /* search path, in priority order, without duplicates */
    size_t n_dirs;
    fg_loaded_plugin **plugins;
    size_t n_plugins;
    fg_factory_ref *factories;
    size_t n_factories;
    fg_load_failure *failures;
    size_t n_failures;
} fg_registry;

/* Search path: extra_dirs (--plugin-path), then $FG_PLUGIN_PATH (colon-separated), then
 * the install directory and the build tree's plugin directory. */
fg_status fg_registry_init(fg_registry *r, const char *const *extra_dirs, size_t n_extra,
                           fg_error *err);
/* Loads every plugin on the search path. A file that fails is recorded in `failures`
 * (and reported when a config needs what it would have provided), not fatal. */
fg_status fg_registry_load_all(fg_registry *r, fg_error *err);
/* Loads one file; on failure returns the reason in err and records it. */
fg_status fg_registry_load_file(fg_registry *r, const char *path, fg_error *err);
/* Resolves "factory", "plugin.factory" or an alias such as "torch.optim:AdamW". */
fg_status fg_registry_resolve(const fg_registry *r, const char *ref, const fg_factory_ref **out,
                              fg_error *err);
void fg_registry_free(fg_registry *r);

const char *fg_kind_name(int32_t kind);
const char *fg_param_type_name(int32_t type);

#endif
