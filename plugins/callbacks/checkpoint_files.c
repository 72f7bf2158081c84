#define _POSIX_C_SOURCE 200809L
#include "checkpoint_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A checkpoint holds files and perhaps a level or two of directories; deeper is not ours. */
#define MAX_DEPTH 8

int64_t files_latest_step(const char *run_dir) {
    char path[4200], line[128] = "";
    int n = snprintf(path, sizeof path, "%s/latest", run_dir);
    if (n < 0 || (size_t)n >= sizeof path) return -1;
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    if (fgets(line, sizeof line, f) == NULL) line[0] = '\0';
    fclose(f);
    if (strncmp(line, "checkpoint-", 11) != 0) return -1;
    char *end = NULL;
    errno = 0;
    long long step = strtoll(line + 11, &end, 10);
    if (errno != 0 || end == line + 11 || (*end != '\n' && *end != '\0') || step < 0) return -1;
    return (int64_t)step;
}

/* Empties and removes the directory `name` inside the open directory parent_fd. */
static int remove_tree_at(int parent_fd, const char *name, int depth) {
    if (depth > MAX_DEPTH) {
        errno = ELOOP;
        return -1;
    }
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        struct stat sb;
        if (fstatat(fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            rc = errno == ENOENT ? 0 : -1;
        else if (S_ISDIR(sb.st_mode))
            rc = remove_tree_at(fd, e->d_name, depth + 1);
        else if (unlinkat(fd, e->d_name, 0) != 0 && errno != ENOENT)
            rc = -1;
    }
    const int saved = errno;
    closedir(d); /* closes fd */
    if (rc != 0) {
        errno = saved;
        return -1;
    }
    return unlinkat(parent_fd, name, AT_REMOVEDIR);
}

fg_status files_remove_checkpoint(const char *run_dir, int64_t step, fg_error *err) {
    char name[64];
    snprintf(name, sizeof name, "checkpoint-%lld", (long long)step);
    int dir_fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        fg_api->error_set(err, FG_E_IO, "model_checkpoint: cannot open the run directory %s: %s", run_dir,
                          strerror(errno));
        return FG_E_IO;
    }
    struct stat sb;
    fg_status st = FG_OK;
    if (fstatat(dir_fd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT) {
            fg_api->error_set(err, FG_E_IO, "model_checkpoint: %s/%s: %s", run_dir, name, strerror(errno));
            st = FG_E_IO;
        }
    } else if (!S_ISDIR(sb.st_mode)) {
        fg_api->error_set(err, FG_E_IO, "model_checkpoint: %s/%s is not a directory; not removing it", run_dir, name);
        st = FG_E_IO;
    } else if (remove_tree_at(dir_fd, name, 0) != 0) {
        fg_api->error_set(err, FG_E_IO, "model_checkpoint: cannot remove %s/%s: %s", run_dir, name, strerror(errno));
        st = FG_E_IO;
    }
    close(dir_fd);
    return st;
}

fg_status files_write_atomic(const char *run_dir, const char *name, const char *text, size_t len,
                             fg_error *err) {
    char path[4200], tmp[4300];
    int n = snprintf(path, sizeof path, "%s/%s", run_dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        fg_api->error_set(err, FG_E_RANGE, "model_checkpoint: path too long: %s/%s", run_dir, name);
        return FG_E_RANGE;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        fg_api->error_set(err, FG_E_IO, "model_checkpoint: cannot write %s: %s", tmp, strerror(errno));
        return FG_E_IO;
    }
    int bad = fwrite(text, 1, len, f) != len;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        fg_api->error_set(err, FG_E_IO, "model_checkpoint: cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        return FG_E_IO;
    }
    return FG_OK;
}
