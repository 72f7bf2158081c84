#define _POSIX_C_SOURCE 200809L
#include "run/run_status.h"

#include "memory/alloc.h"
#include "run/run_log.h"
#include "util/error.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

const char *fg_run_status_name(int exit_code) {
    return exit_code == 0 ? "finished" : exit_code == FG_RUN_EXIT_INTERRUPTED ? "interrupted" : "failed";
}

long long fg_run_latest_checkpoint_step(const char *dir) {
    char path[4200], line[256] = "";
    snprintf(path, sizeof path, "%s/latest", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    if (fgets(line, sizeof line, f) == NULL) line[0] = '\0';
    fclose(f);
    char *end;
    if (strncmp(line, "checkpoint-", 11) != 0) return -1;
    long long step = strtoll(line + 11, &end, 10);
    return end != line + 11 && (*end == '\n' || *end == '\0') && step >= 0 ? step : -1;
}

/* The trainer flushes every record, so the log on disk is complete when the run ends. */
static void read_summary(const char *dir, fg_run_log_summary *s) {
    char path[4200];
    snprintf(path, sizeof path, "%s/trainer_logs.json", dir);
    fg_run_log log = {0};
    fg_error ignored = {0};
    fg_run_log_summarize(&log, s); /* all unknown, should the log be unreadable */
    if (fg_run_log_read(path, &log, &ignored) != FG_OK) return;
    fg_run_log_summarize(&log, s);
    fg_run_log_free(&log);
}

static void add_number_or_null(cJSON *root, const char *key, double v) {
    if (isfinite(v))
        cJSON_AddNumberToObject(root, key, v);
    else
        cJSON_AddNullToObject(root, key);
}

fg_status fg_run_write_status(const fg_run *run, int exit_code, const char *error, fg_error *err) {
    cJSON *root = cJSON_CreateObject();
    if (root == NULL) return fg_error_set(err, FG_E_NOMEM, "%s/status.json: out of memory", run->dir);
    cJSON_AddStringToObject(root, "status", fg_run_status_name(exit_code));
    cJSON_AddNumberToObject(root, "exit_code", exit_code);
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(root, "ended_utc", stamp);
    if (exit_code != 0 && exit_code != FG_RUN_EXIT_INTERRUPTED) {
        /* the first line: enough to tell runs apart in a listing; stderr had the rest */
        char line[FG_ERROR_MSG_SIZE];
        snprintf(line, sizeof line, "%s", error != NULL && error[0] ? error : "failed without a message");
        line[strcspn(line, "\n")] = '\0';
        cJSON_AddStringToObject(root, "error", line);
    }
    fg_run_log_summary sum;
    read_summary(run->dir, &sum);
    long long step = fg_run_latest_checkpoint_step(run->dir);
    if (sum.last_step > step) step = (long long)sum.last_step;
    add_number_or_null(root, "final_step", step >= 0 ? (double)step : NAN);
    add_number_or_null(root, "final_loss", sum.loss);
    add_number_or_null(root, "final_eval_loss", sum.last_eval_loss);
    add_number_or_null(root, "mean_tokens_per_s", sum.mean_tokens_per_s);
    add_number_or_null(root, "parameters", sum.parameters);
    /* This process's memory: what the host allocated (tensors, activations, optimizer
     * state; peak since fg_run_create) and what the OS saw (peak resident set). */
    cJSON_AddNumberToObject(root, "peak_alloc_bytes", (double)fg_alloc_bytes_peak());
    struct rusage ru;
    add_number_or_null(root, "peak_rss_bytes", getrusage(RUSAGE_SELF, &ru) == 0 ? 1024.0 * (double)ru.ru_maxrss : NAN);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (text == NULL) return fg_error_set(err, FG_E_NOMEM, "%s/status.json: out of memory", run->dir);
    fg_status st = fg_run_write_file(run, "status.json", text, strlen(text), err);
    free(text);
    return st;
}
