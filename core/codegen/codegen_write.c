/* Writing a generated project: every file into a new directory beside the target, then
 * one rename puts it in place, so the target is never half-written. An earlier project
 * there is moved aside first and removed after. */
#define _POSIX_C_SOURCE 200809L
#include "codegen/codegen_internal.h"

#include "util/dirs.h"
#include "util/error.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static fg_status write_file(const char *dir, const cg_file *f, fg_error *err) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, f->name);
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) return fg_error_set(err, FG_E_IO, "%s: cannot write: %s", path, strerror(errno));
    const int written = fwrite(f->text.s, 1, f->text.len, fp) == f->text.len;
    if (fclose(fp) != 0 || !written) return fg_error_set(err, FG_E_IO, "%s: cannot write: %s", path, strerror(errno));
    return FG_OK;
}

/* True when dir is empty or holds a project written here before (its fgc_runtime.h):
 * replacing it loses nothing of the user's. */
static bool replaceable(const char *dir) {
    char runtime[4200];
    snprintf(runtime, sizeof runtime, "%s/fgc_runtime.h", dir);
    if (access(runtime, F_OK) == 0) return true;
    DIR *d = opendir(dir);
    if (d == NULL) return false;
    const struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)) != NULL) empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

/* Swaps the finished temporary directory in for dir. */
static fg_status publish(const char *tmp, const char *dir, bool exists, fg_error *err) {
    if (!exists) {
        if (rename(tmp, dir) != 0) return fg_error_set(err, FG_E_IO, "%s: cannot create: %s", dir, strerror(errno));
        return FG_OK;
    }
    char old[4200];
    snprintf(old, sizeof old, "%s.old-XXXXXX", dir);
    if (mkdtemp(old) == NULL || rename(dir, old) != 0) /* onto the empty directory mkdtemp made */
        return fg_error_set(err, FG_E_IO, "%s: cannot move the earlier project aside: %s", dir, strerror(errno));
    if (rename(tmp, dir) != 0) {
        const int e = errno;
        rename(old, dir);
        return fg_error_set(err, FG_E_IO, "%s: cannot replace: %s", dir, strerror(e));
    }
    fg_remove_flat_dir(old); /* a directory the user made inside it stays, in old */
    return FG_OK;
}

fg_status cg_write_dir(const char *out_dir, const cg_file *files, size_t n, fg_error *err) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", out_dir);
    for (size_t len = strlen(dir); len > 1 && dir[len - 1] == '/'; len--) dir[len - 1] = '\0';
    if (dir[0] == '\0') return fg_error_set(err, FG_E_INVALID_ARG, "code: no output directory given");
    struct stat sb;
    const bool exists = stat(dir, &sb) == 0;
    if (exists && !S_ISDIR(sb.st_mode))
        return fg_error_set(err, FG_E_IO, "%s: exists and is not a directory", dir);
    if (exists && !replaceable(dir))
        return fg_error_set(err, FG_E_IO,
                            "%s: exists and is not a project fgrun code wrote (no fgc_runtime.h); remove it or "
                            "choose another directory",
                            dir);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", dir);
    if (mkdtemp(tmp) == NULL)
        return fg_error_set(err, FG_E_IO, "%s: cannot create a directory beside it: %s", dir, strerror(errno));
    fg_status st = chmod(tmp, 0755) == 0 ? FG_OK : fg_error_set(err, FG_E_IO, "%s: chmod: %s", tmp, strerror(errno));
    for (size_t i = 0; i < n && st == FG_OK; i++) st = write_file(tmp, &files[i], err);
    if (st == FG_OK) st = publish(tmp, dir, exists, err);
    if (st != FG_OK) fg_remove_flat_dir(tmp);
    return st;
}
