#include "run/run_log.h"

#include "run/read_file.h"
#include "util/error.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_space(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p;
}

/* Record by record from just after the '[': stops at the first one that does not parse. */
static fg_status read_complete_records(const char *path, const char *p, const char *end, fg_run_log *out,
                                       fg_error *err) {
    out->records = cJSON_CreateArray();
    if (out->records == NULL) return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", path);
    bool first = true;
    for (;;) {
        p = skip_space(p, end);
        if (p < end && *p == ']') return FG_OK; /* whole array; what follows it is ignored */
        if (!first) {
            if (p >= end || *p != ',') break;
            p = skip_space(p + 1, end);
        }
        const char *next = NULL;
        cJSON *rec = p < end ? cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &next, 0) : NULL;
        if (!cJSON_IsObject(rec) || next == NULL || next <= p) {
            cJSON_Delete(rec);
            break;
        }
        cJSON_AddItemToArray(out->records, rec);
        p = next;
        first = false;
    }
    out->truncated = true;
    return FG_OK;
}

fg_status fg_run_log_read(const char *path, fg_run_log *out, fg_error *err) {
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t len = 0;
    fg_status st = fg_run_read_text(path, &text, &len, err);
    if (st != FG_OK) return st;
    cJSON *whole = cJSON_ParseWithLength(text, len);
    if (cJSON_IsArray(whole)) {
        out->records = whole;
        free(text);
        return FG_OK;
    }
    const char *end = text + len, *p = skip_space(text, end);
    if (whole != NULL || (p < end && *p != '['))
        st = fg_error_set(err, FG_E_PARSE, "%s: not a trainer log (a JSON array of records)", path);
    else if (p == end) /* empty: killed before the trainer's first write */
        st = read_complete_records(path, p, end, out, err);
    else
        st = read_complete_records(path, p + 1, end, out, err);
    cJSON_Delete(whole);
    free(text);
    return st;
}

void fg_run_log_free(fg_run_log *log) {
    if (log == NULL) return;
    cJSON_Delete(log->records);
    log->records = NULL;
}

static const cJSON *number_item(const cJSON *rec, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(rec, key);
    return cJSON_IsNumber(item) && isfinite(item->valuedouble) ? item : NULL;
}

void fg_run_log_summarize(const fg_run_log *log, fg_run_log_summary *out) {
    out->last_step = -1;
    out->loss = out->best_eval_loss = out->last_eval_loss = out->tokens_per_s = NAN;
    out->mean_tokens_per_s = out->parameters = NAN;
    double window_start = 0.0, steps = 0.0, seconds_per_token = 0.0; /* sum(n_i), sum(n_i / speed_i) */
    const cJSON *rec;
    cJSON_ArrayForEach(rec, log->records) {
        const cJSON *step = number_item(rec, "step"), *loss = number_item(rec, "loss");
        const cJSON *eval = number_item(rec, "eval_loss"), *speed = number_item(rec, "tokens_per_s");
        const cJSON *params = number_item(rec, "parameters");
        if (step != NULL && step->valuedouble > (double)out->last_step) out->last_step = (int64_t)step->valuedouble;
        if (loss != NULL) out->loss = loss->valuedouble;
        if (params != NULL) out->parameters = params->valuedouble;
        if (speed != NULL) {
            out->tokens_per_s = speed->valuedouble;
            double n = step != NULL ? step->valuedouble - window_start : 0.0;
            if (n > 0.0 && speed->valuedouble > 0.0) {
                steps += n;
                seconds_per_token += n / speed->valuedouble;
            }
        }
        if (step != NULL) window_start = step->valuedouble; /* eval records share their step */
        if (eval != NULL) {
            out->last_eval_loss = eval->valuedouble;
            if (isnan(out->best_eval_loss) || eval->valuedouble < out->best_eval_loss)
                out->best_eval_loss = eval->valuedouble;
        }
    }
    if (steps > 0.0) out->mean_tokens_per_s = steps / seconds_per_token;
}

fg_status fg_run_log_series(const fg_run_log *log, const char *key, int64_t **steps, double **values,
                            size_t *n, fg_error *err) {
    *steps = NULL;
    *values = NULL;
    *n = 0;
    size_t cap = (size_t)cJSON_GetArraySize(log->records);
    if (cap == 0) return FG_OK;
    *steps = malloc(cap * sizeof **steps);
    *values = malloc(cap * sizeof **values);
    if (*steps == NULL || *values == NULL) {
        free(*steps);
        free(*values);
        *steps = NULL;
        *values = NULL;
        return fg_error_set(err, FG_E_NOMEM, "trainer log: out of memory for the %s series", key);
    }
    const cJSON *rec;
    cJSON_ArrayForEach(rec, log->records) {
        const cJSON *step = number_item(rec, "step"), *v = number_item(rec, key);
        if (step == NULL || v == NULL) continue;
        (*steps)[*n] = (int64_t)step->valuedouble;
        (*values)[*n] = v->valuedouble;
        (*n)++;
    }
    return FG_OK;
}
