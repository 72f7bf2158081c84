/* The umbrella header for plugin authors: descriptors and the entry-point macro.
 *
 * A plugin is a shared object exporting one function, fg_plugin_entry, that returns a
 * static descriptor listing its factories. Write, in one source file:
 *
 *     static const fg_factory_desc factories[] = { {...}, ... };
 *     FG_PLUGIN_DEFINE("myplugin", "0.1.0", "What it does", "MIT", factories)
 *
 * and call host services through `fg_api` (declared below) in every file. */
#ifndef FORGATHER_PLUGIN_H
#define FORGATHER_PLUGIN_H

#include "fg_host_api.h"

FG_BEGIN_DECLS

typedef struct fg_factory_desc {
    uint32_t struct_size;
    int32_t kind;                    /* FG_KIND_* */
    const char *name;                /* [a-z0-9_]+, unique within the plugin */
    const char *doc;
    const fg_param_spec *params;
    uint32_t n_params;
    uint32_t reserved;
    /* Creates the object; *out starts with a pointer to the kind's vtable. */
    fg_status (*create)(const fg_params *params, const fg_create_args *args, void **out,
                        fg_error *err);
    const char *const *aliases;      /* NULL-terminated other names (e.g. "torch.optim:AdamW") */
    fg_status (*self_test)(fg_error *err); /* optional */
} fg_factory_desc;

typedef struct fg_plugin_desc {
    uint32_t struct_size;
    uint16_t abi_major, abi_minor;   /* offset 4: frozen forever */
    const char *name;                /* must equal the file stem: libfg_<name>.so */
    const char *version;
    const char *description;
    const char *license;
    uint32_t n_factories;
    uint32_t reserved;
    const fg_factory_desc *factories;
} fg_plugin_desc;

typedef const fg_plugin_desc *(*fg_plugin_entry_fn)(const fg_host_info *host, fg_error *err);
#define FG_PLUGIN_ENTRY_SYMBOL "fg_plugin_entry"

/* The host table, set by the entry point before any factory runs. */
extern const fg_host_api *fg_api __attribute__((visibility("hidden")));

#define FG_FACTORY(kind_, name_, doc_, params_, create_)                                  \
    {sizeof(fg_factory_desc), kind_, name_, doc_, params_,                               \
     (uint32_t)(sizeof(params_) / sizeof((params_)[0])), 0, create_, NULL, NULL}
#define FG_FACTORY_NOPARAMS(kind_, name_, doc_, create_)                                  \
    {sizeof(fg_factory_desc), kind_, name_, doc_, NULL, 0, 0, create_, NULL, NULL}

/* Emits fg_api, the descriptor and the exported entry point. The entry refuses a host
 * whose ABI major differs or whose minor is older than the one the plugin was built for. */
#define FG_PLUGIN_DEFINE(name_, version_, description_, license_, factories_)            \
    const fg_host_api *fg_api;                                                           \
    static const fg_plugin_desc fg_plugin_descriptor_ = {                                \
        sizeof(fg_plugin_desc), FG_ABI_MAJOR, FG_ABI_MINOR, name_, version_,             \
        description_, license_,                                                          \
        (uint32_t)(sizeof(factories_) / sizeof((factories_)[0])), 0, factories_};        \
    FG_EXPORT const fg_plugin_desc *fg_plugin_entry(const fg_host_info *host,            \
                                                    fg_error *err) {                     \
        if (host == NULL || host->abi_major != FG_ABI_MAJOR ||                           \
            host->abi_minor < FG_ABI_MINOR) {                                            \
            if (err != NULL && host != NULL && host->api != NULL)                        \
                host->api->error_set(err, FG_E_ABI,                                      \
                                     "plugin '%s' is built for ABI %d.%d, host has %d.%d", \
                                     name_, FG_ABI_MAJOR, FG_ABI_MINOR,                  \
                                     (int)host->abi_major, (int)host->abi_minor);        \
            return &fg_plugin_descriptor_;                                               \
        }                                                                                \
        fg_api = host->api;                                                              \
        return &fg_plugin_descriptor_;                                                   \
    }

FG_END_DECLS

#endif
