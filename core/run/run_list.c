#define _DEFAULT_SOURCE /* realpath */
#include "run/run_list.h"

#include "project/project.h"
#include "util/error.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static fg_status append(fg_run_list *list, const fg_run_info *info, fg_error *err) {
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        fg_run_info *grown = realloc(list->runs, cap * sizeof *grown);
        if (grown == NULL) return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", info->dir);
        list->runs = grown;
        list->cap = cap;
    }
    list->runs[list->n++] = *info;
    return FG_OK;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The subdirectory names of dir, sorted (malloc'd array of malloc'd strings). */
static fg_status subdirectories(const char *dir, char ***names, size_t *n, fg_error *err) {
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL) return fg_error_set(err, errno == ENOENT ? FG_E_NOT_FOUND : FG_E_IO, "%s: %s", dir, strerror(errno));
    size_t cap = 0;
    fg_status st = FG_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[4200];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            char **grown = realloc(*names, cap * sizeof *grown);
            if (grown == NULL) {
                st = fg_error_set(err, FG_E_NOMEM, "%s: out of memory", dir);
                break;
            }
            *names = grown;
        }
        if (((*names)[*n] = strdup(e->d_name)) == NULL) {
            st = fg_error_set(err, FG_E_NOMEM, "%s: out of memory", dir);
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (*n > 1) qsort(*names, *n, sizeof **names, compare_names);
    return st;
}

fg_status fg_run_list_add(fg_run_list *list, const char *dir, fg_run_problem_fn problem, void *ctx,
                          fg_error *err) {
    fg_run_info info;
    fg_status st;
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return fg_error_set(err, errno == ENOENT ? FG_E_NOT_FOUND : FG_E_IO, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return fg_error_set(err, FG_E_IO, "%s: not a directory", dir);
    if (fg_run_dir_is_run(dir)) {
        if ((st = fg_run_info_read(dir, &info, err)) != FG_OK) return st;
        if ((st = append(list, &info, err)) != FG_OK) fg_run_info_free(&info);
        return st;
    }
    char **names = NULL;
    size_t n = 0;
    st = subdirectories(dir, &names, &n, err);
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--; /* "runs/" lists runs/<name>, not runs//<name> */
    for (size_t i = 0; i < n && st == FG_OK; i++) {
        char path[4200];
        fg_error why = {0};
        snprintf(path, sizeof path, "%.*s/%s", (int)len, dir, names[i]);
        if (fg_run_info_read(path, &info, &why) != FG_OK) {
            if (problem != NULL) problem(ctx, why.msg);
            continue;
        }
        if ((st = append(list, &info, err)) != FG_OK) fg_run_info_free(&info);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return st;
}

static int newest_first(const void *a, const void *b) {
    const fg_run_info *x = a, *y = b;
    int by_time = strcmp(y->started_utc, x->started_utc); /* ISO 8601 UTC sorts as text */
    return by_time != 0 ? by_time : strcmp(y->dir, x->dir);
}

void fg_run_list_sort(fg_run_list *list) {
    if (list->n > 1) qsort(list->runs, list->n, sizeof *list->runs, newest_first);
}

void fg_run_list_free(fg_run_list *list) {
    for (size_t i = 0; i < list->n; i++) fg_run_info_free(&list->runs[i]);
    free(list->runs);
    memset(list, 0, sizeof *list);
}

void fg_run_list_truncate(fg_run_list *list, size_t n) {
    for (size_t i = n; i < list->n; i++) fg_run_info_free(&list->runs[i]);
    if (n < list->n) list->n = n;
}

fg_status fg_run_list_take(fg_run_list *dst, fg_run_list *src, fg_error *err) {
    size_t moved = 0;
    fg_status st = FG_OK;
    for (; moved < src->n && st == FG_OK; moved++) st = append(dst, &src->runs[moved], err);
    if (st == FG_OK) {
        free(src->runs); /* each run now belongs to dst */
        memset(src, 0, sizeof *src);
        return FG_OK;
    }
    moved--; /* the one that failed stays in src */
    memmove(src->runs, src->runs + moved, (src->n - moved) * sizeof *src->runs);
    src->n -= moved;
    return st;
}

void fg_run_list_label(const fg_run_list *list, size_t i, char *out, size_t cap) {
    const fg_run_info *r = &list->runs[i];
    bool shared = false;
    for (size_t j = 0; j < list->n; j++) shared |= j != i && strcmp(list->runs[j].name, r->name) == 0;
    const char *base = strrchr(r->dir, '/');
    snprintf(out, cap, "%s", shared ? (base ? base + 1 : r->dir) : r->name);
}

static size_t add_if_new(char dirs[][4096], size_t n, size_t max, const char *dir) {
    char real[PATH_MAX];
    struct stat sb;
    if (n >= max || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || realpath(dir, real) == NULL) return n;
    for (size_t i = 0; i < n; i++) {
        char other[PATH_MAX];
        if (realpath(dirs[i], other) != NULL && strcmp(other, real) == 0) return n;
    }
    snprintf(dirs[n], 4096, "%s", dir);
    return n + 1;
}

size_t fg_run_default_dirs(const char *project_start, char dirs[][4096], size_t max) {
    size_t n = add_if_new(dirs, 0, max, "runs");
    char project[4096], runs[4200];
    fg_error ignored = {0};
    if (fg_project_find(project_start ? project_start : ".", project, sizeof project, &ignored) == FG_OK) {
        snprintf(runs, sizeof runs, "%s/runs", project);
        n = add_if_new(dirs, n, max, runs);
    }
    return n;
}
