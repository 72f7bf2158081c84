/* Listing a project's configs: every *.yaml under <searchdir>/<config_prefix>/. */
#define _DEFAULT_SOURCE
#include "project/project.h"

#include "util/error.h"

#include <dirent.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct name_list {
    char **names;
    size_t n, cap;
} name_list;

static bool has_yaml_suffix(const char *name) {
    size_t len = strlen(name);
    return len > 5 && strcmp(name + len - 5, ".yaml") == 0;
}

static bool add_name(name_list *l, const char *name) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0) return true; /* an earlier search dir wins */
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **grown = realloc(l->names, cap * sizeof *grown);
        if (grown == NULL) return false;
        l->names = grown;
        l->cap = cap;
    }
    if ((l->names[l->n] = strdup(name)) == NULL) return false;
    l->n++;
    return true;
}

/* Walks root/rel recursively; hidden entries are skipped, as Forgather does. Depth is
 * bounded so a symlink loop cannot recurse forever. */
static bool walk(name_list *l, const char *root, const char *rel, int depth) {
    if (depth > 32) return true;
    char dir[PATH_MAX * 2];
    snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (d == NULL) return true;
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char child_rel[PATH_MAX];
        snprintf(child_rel, sizeof child_rel, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        char path[PATH_MAX * 3];
        snprintf(path, sizeof path, "%s/%s", root, child_rel);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode))
            ok = walk(l, root, child_rel, depth + 1);
        else if (S_ISREG(st.st_mode) && has_yaml_suffix(e->d_name))
            ok = add_name(l, child_rel);
    }
    closedir(d);
    return ok;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

fg_status fg_project_configs(const fg_project *p, char ***names, size_t *n, fg_error *err) {
    name_list l = {0};
    for (size_t i = 0; i < p->n_searchdir; i++) {
        char root[PATH_MAX * 2];
        snprintf(root, sizeof root, "%s/%s", p->searchdir[i], p->config_prefix);
        if (!walk(&l, root, "", 0)) {
            fg_project_free_names(l.names, l.n);
            return fg_error_set(err, FG_E_NOMEM, "listing configs: out of memory");
        }
    }
    if (l.n > 1) qsort(l.names, l.n, sizeof *l.names, compare_names);
    *names = l.names;
    *n = l.n;
    return FG_OK;
}

void fg_project_free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}
