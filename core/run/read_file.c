#define _POSIX_C_SOURCE 200809L
#include "run/read_file.h"

#include "util/error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Run files are logs and records of a few MB at most; this only stops a runaway read. */
#define MAX_RUN_FILE_BYTES ((off_t)1 << 30)

fg_status fg_run_read_text(const char *path, char **text, size_t *len, fg_error *err) {
    *text = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fg_error_set(err, errno == ENOENT ? FG_E_NOT_FOUND : FG_E_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > MAX_RUN_FILE_BYTES) {
        int e = errno;
        close(fd);
        if (!S_ISREG(sb.st_mode)) return fg_error_set(err, FG_E_IO, "%s: not a regular file", path);
        if (sb.st_size > MAX_RUN_FILE_BYTES) return fg_error_set(err, FG_E_IO, "%s: larger than 1 GiB", path);
        return fg_error_set(err, FG_E_IO, "%s: %s", path, strerror(e));
    }
    size_t cap = (size_t)sb.st_size + 1, got = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        close(fd);
        return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", path);
    }
    /* Read to the size seen by fstat: a log still being appended to may grow meanwhile. */
    while (got + 1 < cap) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return fg_error_set(err, FG_E_IO, "%s: cannot read: %s", path, strerror(e));
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *text = buf;
    *len = got;
    return FG_OK;
}

fg_status fg_run_read_json_object(const char *path, cJSON **out, fg_error *err) {
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    fg_status st = fg_run_read_text(path, &text, &len, err);
    if (st != FG_OK) return st;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!cJSON_IsObject(root)) {
        size_t at = end != NULL && end >= text ? (size_t)(end - text) : 0;
        st = root == NULL ? fg_error_set(err, FG_E_PARSE, "%s: not valid JSON (at byte %zu of %zu)", path, at, len)
                          : fg_error_set(err, FG_E_PARSE, "%s: not a JSON object", path);
        cJSON_Delete(root);
    } else {
        *out = root;
    }
    free(text);
    return st;
}
