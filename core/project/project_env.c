/* The template environment of a project: search path, shared library, standard globals. */
#define _GNU_SOURCE /* dladdr */
#include "project/project.h"

#include "util/error.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#ifndef FG_SOURCE_TEMPLATE_DIR
#define FG_SOURCE_TEMPLATE_DIR ""
#endif

static size_t add_if_dir(char dirs[][4096], size_t n, size_t max, const char *dir) {
    struct stat st;
    if (n >= max || dir[0] == '\0' || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return n;
    char real[PATH_MAX];
    if (realpath(dir, real) == NULL) return n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(dirs[i], real) == 0) return n;
    snprintf(dirs[n], 4096, "%s", real);
    return n + 1;
}

size_t fg_template_library_dirs(char dirs[][4096], size_t max) {
    size_t n = 0;
    const char *env = getenv("FG_TEMPLATE_PATH");
    if (env != NULL) {
        char copy[8192];
        snprintf(copy, sizeof copy, "%s", env);
        char *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save))
            n = add_if_dir(dirs, n, max, d);
    }
    /* Beside the core library: <prefix>/lib/libforgather-core.so -> <prefix>/share/... so a
     * moved install still finds its templates. */
    Dl_info self;
    if (dladdr((void *)fg_template_library_dirs, &self) != 0 && self.dli_fname != NULL) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", self.dli_fname);
        char *slash = strrchr(dir, '/');
        if (slash != NULL) {
            *slash = '\0';
            char share[PATH_MAX + 64];
            snprintf(share, sizeof share, "%s/../share/forgather/templates", dir);
            n = add_if_dir(dirs, n, max, share);
        }
    }
    return add_if_dir(dirs, n, max, FG_SOURCE_TEMPLATE_DIR);
}

fg_status fg_template_env_add_standard_globals(fg_template_env *env, const char *project_dir,
                                               const char *workspace_root, fg_error *err) {
    fg_status st = FG_OK;
    if (project_dir != NULL) st = fg_template_env_set_string(env, "project_dir", project_dir, err);
    if (st == FG_OK && workspace_root != NULL)
        st = fg_template_env_set_string(env, "workspace_root", workspace_root, err);
    struct utsname u;
    if (uname(&u) != 0) memset(&u, 0, sizeof u);
    if (st == FG_OK) st = fg_template_env_set_string(env, "hostname", u.nodename, err);
    if (st == FG_OK) {
        char text[1024];
        snprintf(text, sizeof text, "%s %s %s %s %s", u.sysname, u.nodename, u.release,
                 u.version, u.machine);
        st = fg_template_env_set_string(env, "uname", text, err);
    }
    if (st == FG_OK) {
        /* Forgather's `versions` names its Python stack; ours names the runtime. */
        char versions[512];
        snprintf(versions, sizeof versions,
                 "{forgather: '%s', plugin_abi: '%d.%d', c_compiler: 'gcc %d.%d'}", FG_VERSION,
                 FG_ABI_MAJOR, FG_ABI_MINOR, __GNUC__, __GNUC_MINOR__);
        st = fg_template_env_set_var(env, "versions", versions, err);
    }
    return st;
}

fg_status fg_project_env(const fg_project *p, const char *const *first_dirs, size_t n_first,
                         fg_template_env **out, fg_error *err) {
    fg_template_env *env = NULL;
    fg_status st = fg_template_env_new(&env, err);
    for (size_t i = 0; st == FG_OK && i < n_first; i++) st = fg_template_env_add_dir(env, first_dirs[i], err);
    for (size_t i = 0; st == FG_OK && i < p->n_searchdir; i++)
        st = fg_template_env_add_dir(env, p->searchdir[i], err);
    if (st == FG_OK) st = fg_template_env_add_standard_globals(env, p->dir, p->workspace_root, err);
    if (st != FG_OK) {
        fg_template_env_free(env);
        return st;
    }
    *out = env;
    return FG_OK;
}
