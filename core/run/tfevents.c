/* The format, from TensorFlow's record_writer and event.proto / summary.proto:
 *   record: uint64 length, uint32 masked_crc32c(length), data, uint32 masked_crc32c(data)
 *           (little-endian; masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8)
 *   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; } */
#define _DEFAULT_SOURCE /* timegm */
#include "run/tfevents.h"

#include "util/error.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct pb_buf {
    uint8_t *b;
    size_t len, cap;
    int oom;
} pb_buf;

static void put(pb_buf *p, const void *data, size_t n) {
    if (p->oom || n == 0) return;
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 256;
        while (cap < p->len + n) cap *= 2;
        uint8_t *grown = realloc(p->b, cap);
        if (grown == NULL) {
            p->oom = 1;
            return;
        }
        p->b = grown;
        p->cap = cap;
    }
    memcpy(p->b + p->len, data, n);
    p->len += n;
}

static void put_varint(pb_buf *p, uint64_t v) {
    uint8_t out[10];
    size_t n = 0;
    do {
        out[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) out[n] |= 0x80;
        n++;
    } while (v);
    put(p, out, n);
}

static void put_le(pb_buf *p, uint64_t v, size_t bytes) {
    uint8_t out[8];
    for (size_t i = 0; i < bytes; i++) out[i] = (uint8_t)(v >> (8 * i));
    put(p, out, bytes);
}

/* field number and wire type: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 */
static void put_key(pb_buf *p, unsigned field, unsigned wire) { put_varint(p, (uint64_t)(field << 3 | wire)); }

static void put_bytes(pb_buf *p, unsigned field, const void *data, size_t n) {
    put_key(p, field, 2);
    put_varint(p, n);
    put(p, data, n);
}

static void put_double(pb_buf *p, unsigned field, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_key(p, field, 1);
    put_le(p, bits, 8);
}

static void put_float(pb_buf *p, unsigned field, float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_key(p, field, 5);
    put_le(p, bits, 4);
}

/* CRC-32C (Castagnoli), reflected polynomial 0x82f63b78. */
static uint32_t crc32c(const uint8_t *data, size_t n) {
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static uint32_t masked_crc(const uint8_t *data, size_t n) {
    uint32_t c = crc32c(data, n);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

static void put_record(pb_buf *file, const pb_buf *event) {
    pb_buf header = {0};
    put_le(&header, event->len, 8);
    if (header.oom) {
        file->oom = 1;
        return;
    }
    put(file, header.b, 8);
    put_le(file, masked_crc(header.b, 8), 4);
    put(file, event->b, event->len);
    put_le(file, masked_crc(event->b, event->len), 4);
    free(header.b);
}

/* One Event with every finite number of the record but "step"; none: nothing written.
 * *elapsed carries the last elapsed_s on to records without one (eval_loss), so wall
 * times never go back. */
static void put_record_event(pb_buf *file, const cJSON *rec, double start, double *elapsed_s) {
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(rec, "step");
    const cJSON *elapsed = cJSON_GetObjectItemCaseSensitive(rec, "elapsed_s");
    if (cJSON_IsNumber(elapsed) && isfinite(elapsed->valuedouble)) *elapsed_s = elapsed->valuedouble;
    if (!cJSON_IsNumber(step) || !isfinite(step->valuedouble)) return;
    pb_buf summary = {0}, value = {0}, event = {0};
    const cJSON *item;
    cJSON_ArrayForEach(item, rec) {
        if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) || strcmp(item->string, "step") == 0) continue;
        char tag[512];
        if (strncmp(item->string, "eval_", 5) == 0 && item->string[5] != '\0')
            snprintf(tag, sizeof tag, "eval/%s", item->string + 5);
        else
            snprintf(tag, sizeof tag, "train/%s", item->string);
        value.len = 0;
        put_bytes(&value, 1, tag, strlen(tag));
        put_float(&value, 2, (float)item->valuedouble);
        put_bytes(&summary, 1, value.b, value.len);
    }
    if (summary.len > 0 || summary.oom) {
        put_double(&event, 1, start + *elapsed_s);
        put_key(&event, 2, 0);
        put_varint(&event, (uint64_t)(int64_t)step->valuedouble);
        put_bytes(&event, 5, summary.b, summary.len);
        if (summary.oom || value.oom || event.oom) file->oom = 1;
        put_record(file, &event);
    }
    free(summary.b);
    free(value.b);
    free(event.b);
}

static double parse_utc(const char *s) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (s != NULL && sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                            &tm.tm_min, &tm.tm_sec) == 6) {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        time_t t = timegm(&tm);
        if (t != (time_t)-1) return (double)t;
    }
    return (double)time(NULL);
}

static fg_status write_atomically(const char *path, const pb_buf *data, fg_error *err) {
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) return fg_error_set(err, FG_E_IO, "%s: cannot write: %s", tmp, strerror(errno));
    int ok = fwrite(data->b, 1, data->len, f) == data->len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return fg_error_set(err, FG_E_IO, "%s: cannot write: %s", path, strerror(e));
    }
    return FG_OK;
}

fg_status fg_tfevents_write(const char *dir, const fg_run_log *log, const char *started_utc, fg_error *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, FG_TFEVENTS_DIR);
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return fg_error_set(err, FG_E_IO, "%s: cannot create: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/%s/%s", dir, FG_TFEVENTS_DIR, FG_TFEVENTS_FILE);
    double start = parse_utc(started_utc);
    pb_buf file = {0}, first = {0};
    put_double(&first, 1, start);
    put_bytes(&first, 3, "brain.Event:2", 13);
    if (first.oom) file.oom = 1;
    put_record(&file, &first);
    free(first.b);
    const cJSON *rec;
    double elapsed_s = 0.0;
    cJSON_ArrayForEach(rec, log->records) put_record_event(&file, rec, start, &elapsed_s);
    fg_status st = file.oom ? fg_error_set(err, FG_E_NOMEM, "%s: out of memory", path)
                            : write_atomically(path, &file, err);
    free(file.b);
    return st;
}

/* An event file in dir that is not the converted one. */
static bool has_other_event_file(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL)
        found = strstr(e->d_name, "tfevents") != NULL && strcmp(e->d_name, FG_TFEVENTS_FILE) != 0 &&
                strstr(e->d_name, ".tmp") == NULL;
    closedir(d);
    return found;
}

fg_status fg_tfevents_prepare(const char *dir, const char *started_utc, bool *wrote, fg_error *err) {
    *wrote = false;
    char sub[4200], path[4300];
    snprintf(sub, sizeof sub, "%s/%s", dir, FG_TFEVENTS_DIR);
    if (has_other_event_file(dir) || has_other_event_file(sub)) {
        snprintf(path, sizeof path, "%s/%s", sub, FG_TFEVENTS_FILE);
        if (unlink(path) != 0 && errno != ENOENT)
            return fg_error_set(err, FG_E_IO, "%s: cannot remove: %s", path, strerror(errno));
        return FG_OK;
    }
    snprintf(path, sizeof path, "%s/trainer_logs.json", dir);
    fg_run_log log;
    fg_status st = fg_run_log_read(path, &log, err);
    if (st != FG_OK) return st;
    st = fg_tfevents_write(dir, &log, started_utc, err);
    fg_run_log_free(&log);
    *wrote = st == FG_OK;
    return st;
}
