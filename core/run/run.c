#define _POSIX_C_SOURCE 200809L
#include "run/run.h"

#include "io/json_log.h"
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
    if (run->log) fg_json_log_close(run->log);
    free(run->dir);
    free(run);
}

fg_status fg_run_write_file(const fg_run *run, const char *file, const char *text, size_t len,
                            fg_error *err) {
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", run->dir, file);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
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
