/* Listing the template files of a search path (for `fgrun tlist`): every *.yaml and
 * *.jinja file under each search directory, with whether an earlier directory shadows it
 * (lookup takes the first match, so the later file is never loaded by that name). */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "template/tpl_source.h"
#include "util/error.h"

typedef struct name_list {
    char **v;
    size_t n, cap;
} name_list;

/* A directory on the path from the search directory down to the one being read: a
 * symlink back to one of them would otherwise make the walk endless. */
typedef struct ancestor {
    dev_t dev;
    ino_t ino;
    const struct ancestor *up;
} ancestor;

static fg_status no_memory(fg_error *err) {
    return fg_error_set(err, FG_E_NOMEM, "out of memory listing templates");
}

static int list_add(name_list *l, char *name) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = cap > SIZE_MAX / sizeof *v ? NULL : realloc(l->v, cap * sizeof *v);
        if (v == NULL) return 0;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = name;
    return 1;
}

static void list_free(name_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int is_template_file(const char *name) {
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 6 && strcmp(name + n - 6, ".jinja") == 0);
}

static char *join(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 2);
    if (s == NULL) return NULL;
    memcpy(s, a, na);
    s[na] = '/';
    memcpy(s + na + 1, b, nb + 1);
    return s;
}

/* Adds the template files under root/rel (rel "" for root itself) to out. Unreadable
 * directories are skipped, as an empty one would be. */
static fg_status walk(const char *root, const char *rel, const ancestor *up, name_list *out,
                      fg_error *err) {
    char *dir_path = rel[0] ? join(root, rel) : strdup(root);
    if (dir_path == NULL) return no_memory(err);
    struct stat sb = {0};
    DIR *d = NULL;
    if (stat(dir_path, &sb) == 0) {
        int loop = 0;
        for (const ancestor *a = up; a; a = a->up)
            loop |= a->dev == sb.st_dev && a->ino == sb.st_ino;
        if (!loop) d = opendir(dir_path);
    }
    ancestor here = {sb.st_dev, sb.st_ino, up};
    fg_status st = FG_OK;
    struct dirent *e;
    while (d != NULL && st == FG_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *path = join(dir_path, e->d_name);
        char *name = rel[0] ? join(rel, e->d_name) : strdup(e->d_name);
        struct stat eb;
        if (path == NULL || name == NULL) {
            st = no_memory(err);
        } else if (stat(path, &eb) != 0) {
            /* a dangling symlink or a file gone meanwhile: nothing to list */
        } else if (S_ISDIR(eb.st_mode)) {
            if (e->d_name[0] != '.') st = walk(root, name, &here, out, err);
        } else if (S_ISREG(eb.st_mode) && is_template_file(e->d_name)) {
            if (list_add(out, name))
                name = NULL;
            else
                st = no_memory(err);
        }
        free(path);
        free(name);
    }
    if (d != NULL) closedir(d);
    free(dir_path);
    return st;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is name in the sorted list? */
static int listed(const name_list *l, const char *name) {
    return l->n > 0 && bsearch(&name, l->v, l->n, sizeof *l->v, compare_names) != NULL;
}

fg_status tpl_loader_list(const tpl_loader *loader, tpl_list_fn fn, void *user, fg_error *err) {
    size_t n_dirs = tpl_loader_n_dirs(loader);
    name_list *per_dir = calloc(n_dirs ? n_dirs : 1, sizeof *per_dir);
    if (per_dir == NULL) return no_memory(err);
    fg_status st = FG_OK;
    for (size_t i = 0; i < n_dirs && st == FG_OK; i++) {
        st = walk(tpl_loader_dir(loader, i), "", NULL, &per_dir[i], err);
        if (per_dir[i].n > 1)
            qsort(per_dir[i].v, per_dir[i].n, sizeof *per_dir[i].v, compare_names);
    }
    for (size_t i = 0; i < n_dirs && st == FG_OK; i++) {
        for (size_t k = 0; k < per_dir[i].n && st == FG_OK; k++) {
            tpl_listed entry = {per_dir[i].v[k], tpl_loader_dir(loader, i), i, false};
            for (size_t j = 0; j < i && !entry.shadowed; j++)
                entry.shadowed = listed(&per_dir[j], entry.name);
            st = fn(user, &entry, err);
        }
    }
    for (size_t i = 0; i < n_dirs; i++) list_free(&per_dir[i]);
    free(per_dir);
    return st;
}
