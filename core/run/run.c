#define _POSIX_C_SOURCE 200809L
#include "run/run.h"

#include "io/json_log.h"
#include "memory/alloc.h"
#include "util/dirs.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int make_dirs(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return (mkdir(buf, 0777) != 0 && errno != EEXIST) ? -1 : 0;
}

fg_status fg_run_create(const char *runs_dir, const char *name, uint64_t seed, fg_run **out,
                        fg_error *err) {
    if (make_dirs(runs_dir) != 0)
        return fg_error_set(err, FG_E_IO, "%s: cannot create the runs directory: %s", runs_dir,
                            strerror(errno));
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    char dir[4096];
    /* Two runs started in the same second get -2, -3, ...: never reuse a directory. */
    for (int attempt = 1;; attempt++) {
        if (attempt == 1)
            snprintf(dir, sizeof dir, "%s/%s-%s", runs_dir, name, stamp);
        else
            snprintf(dir, sizeof dir, "%s/%s-%s-%d", runs_dir, name, stamp, attempt);
        if (mkdir(dir, 0777) == 0) break;
        if (errno != EEXIST || attempt > 1000)
            return fg_error_set(err, FG_E_IO, "%s: cannot create the run directory: %s", dir,
                                strerror(errno));
    }
    fg_run *run = calloc(1, sizeof *run);
    if (run == NULL || (run->dir = strdup(dir)) == NULL) {
        free(run);
        return fg_error_set(err, FG_E_NOMEM, "run: out of memory");
    }
    run->seed = seed;
    fg_alloc_reset_peak(); /* a sweep's earlier runs must not count */
    char log_path[4200];
    snprintf(log_path, sizeof log_path, "%s/trainer_logs.json", dir);
    fg_status st = fg_json_log_open(log_path, &run->log, err);
    if (st != FG_OK) {
        fg_run_free(run);
        return st;
    }
    *out = run;
    return FG_OK;
}

void fg_run_free(fg_run *run) {
    if (run == NULL) return;
    free(run->resume_dir);
    if (run->log) fg_json_log_close(run->log);
    free(run->dir);
    free(run);
}

fg_status fg_run_write_file(const fg_run *run, const char *file, const char *text, size_t len,
                            fg_error *err) {
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", run->dir, file);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    /* `file` may name a subdirectory (templates/configs/a.yaml): create its parents. */
    for (char *slash = strchr(path + strlen(run->dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        int made = mkdir(path, 0755);
        *slash = '/';
        if (made != 0 && errno != EEXIST)
            return fg_error_set(err, FG_E_IO, "%s: cannot create directory: %s", path, strerror(errno));
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return fg_error_set(err, FG_E_IO, "%s: cannot write: %s", tmp, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            return fg_error_set(err, FG_E_IO, "%s: write failed: %s", tmp, strerror(e));
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0)
        return fg_error_set(err, FG_E_IO, "%s: cannot save: %s", path, strerror(errno));
    return FG_OK;
}

static int fsync_path(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

fg_status fg_run_checkpoint_begin(fg_run *run, int64_t step, char *dir, size_t cap, fg_error *err) {
    int n = snprintf(dir, cap, "%s/checkpoint-%lld.tmp", run->dir, (long long)step);
    if (n < 0 || (size_t)n >= cap) return fg_error_set(err, FG_E_RANGE, "checkpoint: path too long");
    if (fg_remove_flat_dir(dir) != 0 || mkdir(dir, 0777) != 0) /* a leftover from a crash goes */
        return fg_error_set(err, FG_E_IO, "%s: cannot create: %s", dir, strerror(errno));
    return FG_OK;
}

fg_status fg_run_checkpoint_commit(fg_run *run, int64_t step, fg_error *err) {
    char tmp[4200], final[4200], name[64];
    snprintf(name, sizeof name, "checkpoint-%lld", (long long)step);
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", run->dir, name);
    snprintf(final, sizeof final, "%s/%s", run->dir, name);
    /* The files inside were fsync'd by their writers; make the directory entries durable,
     * then publish under the final name, then move `latest`. */
    if (fsync_path(tmp) != 0) return fg_error_set(err, FG_E_IO, "%s: fsync failed: %s", tmp, strerror(errno));
    if (fg_remove_flat_dir(final) != 0 || rename(tmp, final) != 0 || fsync_path(run->dir) != 0)
        return fg_error_set(err, FG_E_IO, "%s: cannot publish checkpoint: %s", final, strerror(errno));
    char line[80];
    int len = snprintf(line, sizeof line, "%s\n", name);
    return fg_run_write_file(run, "latest", line, (size_t)len, err);
}

fg_status fg_run_find_checkpoint(const char *path, char *out, size_t cap, fg_error *err) {
    /* A run directory names its newest checkpoint in `latest` (it may also hold a final
     * model.safetensors, which is not a checkpoint). */
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/latest", path);
    FILE *f = fopen(probe, "r");
    if (f == NULL) {
        snprintf(probe, sizeof probe, "%s/model.safetensors", path);
        if (access(probe, R_OK) != 0)
            return fg_error_set(err, FG_E_NOT_FOUND,
                                "%s: neither a checkpoint (no model.safetensors) nor a run directory with a "
                                "`latest` checkpoint", path);
        snprintf(out, cap, "%s", path);
        return FG_OK;
    }
    char name[256] = "";
    if (fgets(name, sizeof name, f) == NULL) name[0] = '\0';
    fclose(f);
    name[strcspn(name, "\n")] = '\0';
    if (name[0] == '\0' || strchr(name, '/') != NULL)
        return fg_error_set(err, FG_E_PARSE, "%s: does not name a checkpoint", probe);
    snprintf(out, cap, "%s/%s", path, name);
    return FG_OK;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    if (interrupted && sig == SIGINT) {
        signal(SIGINT, SIG_DFL); /* the second Ctrl-C: stop now */
        raise(SIGINT);
        return;
    }
    interrupted = 1;
}

void fg_run_install_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int fg_run_interrupted(void) { return interrupted != 0; }
