/* best_checkpoints.json: the kept checkpoints, best first, for people and scripts:
 *   {"monitor": "eval_loss", "mode": "min", "save_top_k": 2,
 *    "checkpoints": [{"step": 30, "value": 2.9, "path": "<run dir>/checkpoint-30"}, ...]}
 * An entry restored from the checkpoint a run resumed from has "inherited": true and the
 * path in the previous run's directory (null when that is unknown). */
#include "model_checkpoint.h"

#include "checkpoint_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct text_buf {
    char *s;
    size_t len, cap;
    int oom;
} text_buf;

static void put(text_buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n + 1) cap *= 2;
        char *grown = fg_api->alloc(cap);
        if (grown == NULL) {
            b->oom = 1;
            return;
        }
        if (b->len > 0) memcpy(grown, b->s, b->len);
        fg_api->free(b->s);
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void put_str(text_buf *b, const char *s) { put(b, s, strlen(s)); }

static void put_json_string(text_buf *b, const char *s) {
    put_str(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            put_str(b, esc);
        } else {
            put(b, (const char *)p, 1);
        }
    }
    put_str(b, "\"");
}

/* Shortest of %.15g..%.17g that reads back exactly (values are finite: see rank_qualifies). */
static void put_number(text_buf *b, double v) {
    char num[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, v);
        if (strtod(num, NULL) == v) break;
    }
    for (char *c = num; *c; c++)
        if (*c == ',') *c = '.'; /* a decimal-comma locale */
    put_str(b, num);
}

static void put_entry(text_buf *b, const model_checkpoint *mc, const rank_entry *e, const char *run_dir) {
    char num[32], path[4200];
    snprintf(num, sizeof num, "%lld", (long long)e->step);
    put_str(b, "    {\"step\": ");
    put_str(b, num);
    put_str(b, ", \"value\": ");
    put_number(b, e->value);
    put_str(b, ", \"path\": ");
    const char *dir = e->inherited ? mc->inherited_dir : run_dir;
    if (dir != NULL) {
        snprintf(path, sizeof path, "%s/checkpoint-%lld", dir, (long long)e->step);
        put_json_string(b, path);
    } else {
        put_str(b, "null");
    }
    if (e->inherited) put_str(b, ", \"inherited\": true");
    put_str(b, "}");
}

fg_status mc_write_best(const model_checkpoint *mc, const char *run_dir, fg_error *err) {
    text_buf b = {0};
    char num[32];
    put_str(&b, "{\n  \"monitor\": ");
    put_json_string(&b, mc->monitor);
    put_str(&b, mc->maximize ? ",\n  \"mode\": \"max\"" : ",\n  \"mode\": \"min\"");
    snprintf(num, sizeof num, "%lld", (long long)mc->top_k);
    put_str(&b, ",\n  \"save_top_k\": ");
    put_str(&b, num);
    put_str(&b, ",\n  \"checkpoints\": [");
    for (uint64_t i = 0; i < mc->kept.n; i++) {
        put_str(&b, i == 0 ? "\n" : ",\n");
        put_entry(&b, mc, &mc->kept.items[i], run_dir);
    }
    put_str(&b, mc->kept.n > 0 ? "\n  ]\n}\n" : "]\n}\n");
    fg_status st;
    if (b.oom) {
        fg_api->error_set(err, FG_E_NOMEM, "model_checkpoint: out of memory writing %s", MC_BEST_FILE);
        st = FG_E_NOMEM;
    } else {
        st = files_write_atomic(run_dir, MC_BEST_FILE, b.s, b.len, err);
    }
    fg_api->free(b.s);
    return st;
}
