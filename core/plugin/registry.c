#define _GNU_SOURCE
#include "plugin/registry.h"

#include "host/host_api.h"
#include "util/error.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FG_INSTALL_PLUGIN_DIR
#define FG_INSTALL_PLUGIN_DIR "/usr/local/lib/forgather/plugins"
#endif
#ifndef FG_BUILD_PLUGIN_DIR
#define FG_BUILD_PLUGIN_DIR ""
#endif

static int add_dir(fg_registry *r, const char *dir) {
    if (dir == NULL || dir[0] == '\0') return 0;
    char real[PATH_MAX];
    const char *key = realpath(dir, real) ? real : dir;
    for (size_t i = 0; i < r->n_dirs; i++)
        if (strcmp(r->dirs[i], key) == 0) return 0;
    char **dirs = realloc(r->dirs, (r->n_dirs + 1) * sizeof *dirs);
    if (dirs == NULL) return -1;
    r->dirs = dirs;
    if ((r->dirs[r->n_dirs] = strdup(key)) == NULL) return -1;
    r->n_dirs++;
    return 0;
}

fg_status fg_registry_init(fg_registry *r, const char *const *extra_dirs, size_t n_extra,
                           fg_error *err) {
    memset(r, 0, sizeof *r);
    int bad = 0;
    for (size_t i = 0; i < n_extra; i++) bad |= add_dir(r, extra_dirs[i]);
    const char *env = getenv("FG_PLUGIN_PATH");
    if (env != NULL) {
        char *copy = strdup(env);
        if (copy == NULL) return fg_error_set(err, FG_E_NOMEM, "plugin path: out of memory");
        char *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save))
            bad |= add_dir(r, d);
        free(copy);
    }
    bad |= add_dir(r, FG_INSTALL_PLUGIN_DIR);
    /* Beside the core library (<libdir>/forgather/plugins): an installed tree still
     * finds its plugins after being moved to another prefix. */
    Dl_info self;
    if (dladdr((void *)fg_registry_init, &self) != 0 && self.dli_fname != NULL) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", self.dli_fname);
        char *slash = strrchr(dir, '/');
        if (slash != NULL) {
            snprintf(slash, sizeof dir - (size_t)(slash - dir), "/forgather/plugins");
            bad |= add_dir(r, dir);
        }
    }
    bad |= add_dir(r, FG_BUILD_PLUGIN_DIR);
    if (bad) return fg_error_set(err, FG_E_NOMEM, "plugin path: out of memory");
    return FG_OK;
}

static void record_failure(fg_registry *r, const char *path, const char *reason) {
    fg_load_failure *f = realloc(r->failures, (r->n_failures + 1) * sizeof *f);
    if (f == NULL) return;
    r->failures = f;
    f[r->n_failures].path = strdup(path);
    f[r->n_failures].reason = strdup(reason);
    r->n_failures++;
}

/* "/x/libfg_adamw.so" -> "adamw"; NULL when the name does not follow the rule. */
static char *stem_of(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(base, "libfg_", 6) != 0) return NULL;
    base += 6;
    const char *dot = strchr(base, '.');
    if (dot == NULL || strcmp(dot, ".so") != 0 || dot == base) return NULL;
    return strndup(base, (size_t)(dot - base));
}

static fg_status check_descriptor(const fg_plugin_desc *d, const char *path, const char *stem,
                                  fg_error *err) {
    /* Only the first three fields are frozen across majors: check them before reading more. */
    if (d->abi_major != FG_ABI_MAJOR || d->abi_minor > FG_ABI_MINOR)
        return fg_error_set(err, FG_E_ABI,
                            "%s: plugin '%s' is built for ABI %u.%u, this host has ABI %d.%d "
                            "(the major must match and the minor must not be newer)",
                            path, stem, d->abi_major, d->abi_minor, FG_ABI_MAJOR, FG_ABI_MINOR);
    if (d->struct_size < offsetof(fg_plugin_desc, factories) + sizeof d->factories)
        return fg_error_set(err, FG_E_ABI, "%s: plugin descriptor is too small (%u bytes)", path,
                            d->struct_size);
    if (d->name == NULL || strcmp(d->name, stem) != 0)
        return fg_error_set(err, FG_E_ABI, "%s: plugin calls itself '%s' but its file name says '%s'",
                            path, d->name ? d->name : "(null)", stem);
    for (uint32_t i = 0; i < d->n_factories; i++) {
        const fg_factory_desc *f = &d->factories[i];
        if (f->struct_size < offsetof(fg_factory_desc, create) + sizeof f->create || f->name == NULL ||
            f->create == NULL || f->kind <= 0 || f->kind >= FG_KIND_COUNT)
            return fg_error_set(err, FG_E_ABI, "%s: factory #%u of plugin '%s' is malformed", path, i,
                                stem);
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(d->factories[j].name, f->name) == 0)
                return fg_error_set(err, FG_E_ABI, "%s: plugin '%s' declares factory '%s' twice", path,
                                    stem, f->name);
    }
    return FG_OK;
}

fg_status fg_registry_load_file(fg_registry *r, const char *path, fg_error *err) {
    fg_status st = FG_OK;
    char *stem = stem_of(path);
    if (stem == NULL) {
        st = fg_error_set(err, FG_E_INVALID_ARG,
                          "%s: a plugin file must be named libfg_<name>.so", path);
        record_failure(r, path, err ? err->msg : "bad name");
        return st;
    }
    for (size_t i = 0; i < r->n_plugins; i++)
        if (strcmp(r->plugins[i]->stem, stem) == 0) {
            /* Earlier search-path entries take precedence, as with PATH. */
            if (getenv("FG_PLUGIN_DEBUG"))
                fprintf(stderr, "forgather: %s shadowed by %s\n", path, r->plugins[i]->path);
            free(stem);
            return FG_OK;
        }
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *why = dlerror();
        st = fg_error_set(err, FG_E_IO, "%s: cannot load: %s", path, why ? why : "unknown error");
        goto fail;
    }
    fg_plugin_entry_fn entry = NULL;
    *(void **)&entry = dlsym(handle, FG_PLUGIN_ENTRY_SYMBOL);
    if (entry == NULL) {
        st = fg_error_set(err, FG_E_ABI, "%s: not a Forgather plugin (it does not export %s)", path,
                          FG_PLUGIN_ENTRY_SYMBOL);
        goto fail;
    }
    fg_error plugin_err = {0};
    const fg_plugin_desc *desc = entry(fg_host_info_get(), &plugin_err);
    if (desc == NULL) {
        st = fg_error_set(err, FG_E_ABI, "%s: plugin refused to load: %s", path,
                          plugin_err.msg[0] ? plugin_err.msg : "(no reason given)");
        goto fail;
    }
    if ((st = check_descriptor(desc, path, stem, err)) != FG_OK) goto fail;
    if (plugin_err.code != FG_OK) {
        st = fg_error_set(err, FG_E_ABI, "%s: plugin refused to load: %s", path, plugin_err.msg);
        goto fail;
    }
    fg_loaded_plugin *p = calloc(1, sizeof *p);
    fg_loaded_plugin **plugins = realloc(r->plugins, (r->n_plugins + 1) * sizeof *plugins);
    fg_factory_ref *refs =
        realloc(r->factories, (r->n_factories + desc->n_factories) * sizeof *refs);
    if (plugins) r->plugins = plugins;
    if (refs) r->factories = refs;
    if (p == NULL || plugins == NULL || (refs == NULL && desc->n_factories > 0)) {
        free(p);
        st = fg_error_set(err, FG_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    p->path = strdup(path);
    p->stem = stem;
    p->desc = desc;
    r->plugins[r->n_plugins++] = p;
    for (uint32_t i = 0; i < desc->n_factories; i++)
        r->factories[r->n_factories++] = (fg_factory_ref){p, &desc->factories[i]};
    return FG_OK;
fail:
    record_failure(r, path, err ? err->msg : "load failed");
    free(stem);
    /* No dlclose: a refused plugin may have run constructors we cannot undo safely. */
    return st;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

fg_status fg_registry_load_all(fg_registry *r, fg_error *err) {
    for (size_t d = 0; d < r->n_dirs; d++) {
        DIR *dir = opendir(r->dirs[d]);
        if (dir == NULL) continue; /* a missing directory on the path is normal */
        char **names = NULL;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            size_t len = strlen(e->d_name);
            if (strncmp(e->d_name, "libfg_", 6) != 0 || len < 4 || strcmp(e->d_name + len - 3, ".so") != 0)
                continue;
            char **grown = realloc(names, (n + 1) * sizeof *names);
            if (grown == NULL) break;
            names = grown;
            if ((names[n] = strdup(e->d_name)) != NULL) n++;
        }
        closedir(dir);
        qsort(names, n, sizeof *names, cmp_str); /* load order independent of the file system */
        for (size_t i = 0; i < n; i++) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", r->dirs[d], names[i]);
            fg_error ignored;
            if (fg_registry_load_file(r, path, &ignored) != FG_OK && getenv("FG_PLUGIN_DEBUG"))
                fprintf(stderr, "forgather: %s\n", ignored.msg);
            free(names[i]);
        }
        free(names);
    }
    (void)err;
    return FG_OK;
}

static int has_alias(const fg_factory_desc *f, const char *ref) {
    if (f->struct_size < offsetof(fg_factory_desc, aliases) + sizeof f->aliases || f->aliases == NULL)
        return 0;
    for (const char *const *a = f->aliases; *a != NULL; a++)
        if (strcmp(*a, ref) == 0) return 1;
    return 0;
}

/* Appends ", name" for every factory to buf (for "available: ..." messages). */
static void list_factories(const fg_registry *r, const char *plugin, char *buf, size_t cap) {
    size_t at = strlen(buf);
    int first = 1;
    for (size_t i = 0; i < r->n_factories && at < cap; i++) {
        const fg_factory_ref *f = &r->factories[i];
        if (plugin && strcmp(f->plugin->stem, plugin) != 0) continue;
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", first ? "" : ", ", f->factory->name);
        first = 0;
    }
    if (first && at < cap) snprintf(buf + at, cap - at, "(none)");
}

static void append_failures(const fg_registry *r, char *buf, size_t cap) {
    for (size_t i = 0; i < r->n_failures; i++) {
        size_t at = strlen(buf);
        if (at >= cap) return;
        snprintf(buf + at, cap - at, "; not loaded: %s", r->failures[i].reason);
    }
}

fg_status fg_registry_resolve(const fg_registry *r, const char *ref, const fg_factory_ref **out,
                              fg_error *err) {
    char avail[700] = "";
    if (strchr(ref, ':') != NULL) {
        for (size_t i = 0; i < r->n_factories; i++)
            if (has_alias(r->factories[i].factory, ref)) {
                *out = &r->factories[i];
                return FG_OK;
            }
        return fg_error_set(err, FG_E_NOT_FOUND, "no factory is registered under the alias '%s'", ref);
    }
    const char *dot = strrchr(ref, '.');
    if (dot != NULL) {
        size_t plen = (size_t)(dot - ref);
        const char *plugin_name = ref;
        if (plen > 6 && strncmp(ref, "libfg_", 6) == 0) { plugin_name += 6; plen -= 6; }
        for (size_t i = 0; i < r->n_factories; i++) {
            const fg_factory_ref *f = &r->factories[i];
            if (strlen(f->plugin->stem) == plen && strncmp(f->plugin->stem, plugin_name, plen) == 0 &&
                strcmp(f->factory->name, dot + 1) == 0) {
                *out = f;
                return FG_OK;
            }
        }
        char pname[128];
        snprintf(pname, sizeof pname, "%.*s", (int)plen, plugin_name);
        for (size_t i = 0; i < r->n_failures; i++) {
            char *stem = stem_of(r->failures[i].path);
            int same = stem != NULL && strcmp(stem, pname) == 0;
            free(stem);
            if (same)
                return fg_error_set(err, FG_E_NOT_FOUND, "plugin '%s' could not be loaded: %s", pname,
                                    r->failures[i].reason);
        }
        list_factories(r, pname, avail, sizeof avail);
        append_failures(r, avail, sizeof avail);
        return fg_error_set(err, FG_E_NOT_FOUND, "no factory '%s' in plugin '%s'; available: %s", dot + 1,
                            pname, avail);
    }
    const fg_factory_ref *found = NULL;
    int count = 0;
    char candidates[600] = "";
    for (size_t i = 0; i < r->n_factories; i++) {
        const fg_factory_ref *f = &r->factories[i];
        if (strcmp(f->factory->name, ref) != 0) continue;
        size_t at = strlen(candidates);
        snprintf(candidates + at, sizeof candidates - at, "%s%s.%s (%s)", count ? ", " : "",
                 f->plugin->stem, f->factory->name, f->plugin->path);
        found = f;
        count++;
    }
    if (count == 1) {
        *out = found;
        return FG_OK;
    }
    if (count > 1)
        return fg_error_set(err, FG_E_NOT_FOUND,
                            "factory name '%s' is ambiguous: it is provided by %s; qualify it as "
                            "plugin.factory",
                            ref, candidates);
    list_factories(r, NULL, avail, sizeof avail);
    append_failures(r, avail, sizeof avail);
    return fg_error_set(err, FG_E_NOT_FOUND, "unknown factory '%s'; available: %s", ref, avail);
}

void fg_registry_free(fg_registry *r) {
    for (size_t i = 0; i < r->n_dirs; i++) free(r->dirs[i]);
    for (size_t i = 0; i < r->n_plugins; i++) {
        free(r->plugins[i]->path);
        free(r->plugins[i]->stem);
        free(r->plugins[i]);
    }
    for (size_t i = 0; i < r->n_failures; i++) {
        free(r->failures[i].path);
        free(r->failures[i].reason);
    }
    free(r->dirs);
    free(r->plugins);
    free(r->factories);
    free(r->failures);
    memset(r, 0, sizeof *r);
}

const char *fg_kind_name(int32_t kind) {
    static const char *const names[FG_KIND_COUNT] = {
        "?", "model", "block", "attention", "feedforward", "norm", "optimizer", "lr_schedule",
        "trainer", "tokenizer", "dataset", "callback", "pipeline_schedule", "positional", "embedding"};
    return (kind > 0 && kind < FG_KIND_COUNT) ? names[kind] : "any";
}

const char *fg_param_type_name(int32_t type) {
    switch (type) {
    case FG_PARAM_BOOL: return "bool";
    case FG_PARAM_INT: return "int";
    case FG_PARAM_FLOAT: return "float";
    case FG_PARAM_STR: return "str";
    case FG_PARAM_INT_LIST: return "list[int]";
    case FG_PARAM_FLOAT_LIST: return "list[float]";
    case FG_PARAM_PARTIAL: return "partial";
    case FG_PARAM_OBJECT: return "object";
    case FG_PARAM_MAP: return "map";
    case FG_PARAM_MAP_LIST: return "list[map]";
    case FG_PARAM_OBJECT_LIST: return "list[object]";
    default: return "?";
    }
}
