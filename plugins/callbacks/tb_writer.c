/* Event files on disk. Records go through stdio's buffer; a disk that fills up shows on a
 * short write or at the flush, and both are reported with the file's path. */
#define _POSIX_C_SOURCE 200809L /* mkdir, stat, gethostname */
#include "tb_writer.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double tb_unix_time(void) {
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return (double)time(NULL);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static fg_status io_error(const char *what, const char *path, int errnum, fg_error *err) {
    fg_api->error_set(err, FG_E_IO, "tensorboard: cannot %s '%s': %s", what, path, strerror(errnum));
    return FG_E_IO;
}

/* mkdir -p: every missing directory along the path, then a check that it is one. */
static fg_status make_dirs(const char *dir, fg_error *err) {
    char buf[TB_PATH_MAX];
    const size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf) {
        fg_api->error_set(err, FG_E_RANGE, "tensorboard: log directory '%s' is empty or too long", dir);
        return FG_E_RANGE;
    }
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        const char keep = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return io_error("create the log directory", buf, errno, err);
        buf[i] = keep;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0) return io_error("create the log directory", dir, errno, err);
    if (!S_ISDIR(sb.st_mode)) return io_error("use the log directory", dir, ENOTDIR, err);
    return FG_OK;
}

/* The host name as TensorBoard's writers put it in the file name ('/' kept out). */
static void host_name(char *out, size_t cap) {
    if (gethostname(out, cap) != 0 || out[0] == '\0') snprintf(out, cap, "localhost");
    out[cap - 1] = '\0';
    for (char *c = out; *c != '\0'; c++)
        if (*c == '/') *c = '_';
}

fg_status tb_writer_open(tb_writer *w, const char *dir, fg_error *err) {
    fg_status st = make_dirs(dir, err);
    if (st != FG_OK) return st;
    char host[256];
    host_name(host, sizeof host);
    const long long secs = (long long)time(NULL);
    for (int k = 0; k < 1000; k++) {
        int len = k == 0 ? snprintf(w->path, sizeof w->path, "%s/events.out.tfevents.%lld.%s", dir, secs, host)
                         : snprintf(w->path, sizeof w->path, "%s/events.out.tfevents.%lld.%s.%d", dir, secs, host, k);
        if (len < 0 || (size_t)len >= sizeof w->path) {
            fg_api->error_set(err, FG_E_RANGE, "tensorboard: log directory path is too long: '%s'", dir);
            return FG_E_RANGE;
        }
        errno = 0;
        w->file = fopen(w->path, "wbx"); /* x: never truncate another writer's file */
        if (w->file != NULL) break;
        if (errno != EEXIST) return io_error("create the event file", w->path, errno, err);
    }
    if (w->file == NULL) return io_error("create the event file", w->path, EEXIST, err);
    w->last_flush = fg_api->now();
    w->pending = 0;
    return FG_OK;
}

fg_status tb_writer_write(tb_writer *w, const tb_event *ev, fg_error *err) {
    if (w->file == NULL) {
        fg_api->error_set(err, FG_E_INVALID_ARG, "tensorboard: no event file is open (on_train_begin not called)");
        return FG_E_INVALID_ARG;
    }
    const size_t n = tb_event_encode(ev, NULL, 0);
    uint8_t *data = fg_api->alloc(n);
    if (data == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "tensorboard: out of memory for an event of %zu bytes", n);
        return FG_E_NOMEM;
    }
    tb_event_encode(ev, data, n);
    uint8_t header[TB_RECORD_HEADER], footer[TB_RECORD_FOOTER];
    tb_record_frame(data, n, header, footer);
    errno = 0;
    const int ok = fwrite(header, 1, sizeof header, w->file) == sizeof header &&
                   fwrite(data, 1, n, w->file) == n && fwrite(footer, 1, sizeof footer, w->file) == sizeof footer;
    const int errnum = errno != 0 ? errno : EIO;
    fg_api->free(data);
    if (!ok) return io_error("write", w->path, errnum, err);
    w->pending = 1;
    return tb_writer_flush(w, 0, err);
}

fg_status tb_writer_flush(tb_writer *w, int force, fg_error *err) {
    if (w->file == NULL || !w->pending) return FG_OK;
    const double now = fg_api->now();
    if (!force && now - w->last_flush < w->flush_secs) return FG_OK;
    errno = 0;
    if (fflush(w->file) != 0) return io_error("write", w->path, errno != 0 ? errno : EIO, err);
    w->last_flush = now;
    w->pending = 0;
    return FG_OK;
}

fg_status tb_writer_close(tb_writer *w, fg_error *err) {
    if (w->file == NULL) return FG_OK;
    int errnum = 0; /* the first failure: flushing, else closing */
    errno = 0;
    if (fflush(w->file) != 0) errnum = errno != 0 ? errno : EIO;
    errno = 0;
    if (fclose(w->file) != 0 && errnum == 0) errnum = errno != 0 ? errno : EIO;
    w->file = NULL;
    w->pending = 0;
    return errnum != 0 ? io_error("write", w->path, errnum, err) : FG_OK;
}
