#define _POSIX_C_SOURCE 200809L
#include "run/run_info.h"

#include "config/config.h"
#include "run/process.h"
#include "run/read_file.h"
#include "run/run_log.h"
#include "run/run_status.h"
#include "util/error.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool fg_run_dir_is_run(const char *dir) {
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/run.json", dir);
    if (stat(path, &sb) == 0) return true;
    snprintf(path, sizeof path, "%s/trainer_logs.json", dir);
    return stat(path, &sb) == 0;
}

static void add_note(fg_run_info *info, const char *note) {
    size_t old = info->notes ? strlen(info->notes) : 0, len = old + strlen(note) + 3;
    char *joined = realloc(info->notes, len);
    if (joined == NULL) return; /* a note lost to OOM is not worth failing the listing */
    snprintf(joined + old, len - old, "%s%s", old ? "; " : "", note);
    info->notes = joined;
}

static int digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

/* "tiny_gpt-20250101-120000-2" -> "tiny_gpt"; a name without the stamp stays whole. */
static char *run_name_of(const char *dir) {
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--;
    const char *base = dir;
    for (size_t i = 0; i < len; i++)
        if (dir[i] == '/' && i + 1 < len) base = dir + i + 1;
    size_t n = (size_t)(dir + len - base);
    const char *dash = NULL;
    for (size_t i = 0; i + 16 <= n; i++) /* "-YYYYmmdd-HHMMSS" is 16 characters */
        if (base[i] == '-' && digits(base + i + 1, 8) && base[i + 9] == '-' && digits(base + i + 10, 6) &&
            (i + 16 == n || (base[i + 16] == '-' && i + 17 < n && digits(base + i + 17, n - i - 17))))
            dash = base + i;
    if (dash != NULL && dash > base) n = (size_t)(dash - base);
    char *name = malloc(n + 1);
    if (name != NULL) {
        memcpy(name, base, n);
        name[n] = '\0';
    }
    return name;
}

static void copy_string(const cJSON *obj, const char *key, char *out, size_t cap) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsString(item)) snprintf(out, cap, "%s", item->valuestring);
}

static double number_or(const cJSON *obj, const char *key, double fallback) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(item) ? item->valuedouble : fallback;
}

static const char *known_status(const char *s) {
    static const char *const names[] = {"finished", "interrupted", "failed"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0) return names[i];
    return NULL;
}

/* status.json when the run ended; else whether its process still lives. */
static void read_status(fg_run_info *info, const cJSON *run_json) {
    char path[4200];
    snprintf(path, sizeof path, "%s/status.json", info->dir);
    cJSON *st = NULL;
    fg_error err = {0};
    fg_status rc = fg_run_read_json_object(path, &st, &err);
    if (rc == FG_OK) {
        char status[32] = "";
        copy_string(st, "status", status, sizeof status);
        info->status = known_status(status);
        if (info->status == NULL) {
            info->status = "unknown";
            add_note(info, "status.json: no known \"status\"");
        }
        copy_string(st, "ended_utc", info->ended_utc, sizeof info->ended_utc);
        info->exit_code = (int)number_or(st, "exit_code", -1);
        const cJSON *error = cJSON_GetObjectItemCaseSensitive(st, "error");
        if (cJSON_IsString(error)) info->error = strdup(error->valuestring);
        info->peak_alloc_bytes = number_or(st, "peak_alloc_bytes", NAN);
        info->peak_rss_bytes = number_or(st, "peak_rss_bytes", NAN);
        double final_step = number_or(st, "final_step", -1);
        if (final_step > (double)info->steps) info->steps = (int64_t)final_step;
        cJSON_Delete(st);
        return;
    }
    if (rc != FG_E_NOT_FOUND) {
        info->status = "unknown";
        add_note(info, err.msg);
        return;
    }
    double ticks = number_or(run_json, "process_start_ticks", -1);
    switch (fg_process_state_of(info->hostname, info->pid, (long long)ticks)) {
    case FG_PROCESS_ALIVE: info->status = "running"; break;
    case FG_PROCESS_GONE: info->status = "killed"; break;
    case FG_PROCESS_UNKNOWN: info->status = "unknown"; break;
    }
}

static void read_metrics(fg_run_info *info) {
    char path[4200];
    snprintf(path, sizeof path, "%s/trainer_logs.json", info->dir);
    fg_run_log log;
    fg_error err = {0};
    if (fg_run_log_read(path, &log, &err) != FG_OK) {
        add_note(info, err.msg);
        return;
    }
    fg_run_log_summary s;
    fg_run_log_summarize(&log, &s);
    info->steps = s.last_step;
    info->loss = s.loss;
    info->best_eval_loss = s.best_eval_loss;
    info->tokens_per_s = s.tokens_per_s;
    info->last_eval_loss = s.last_eval_loss;
    info->mean_tokens_per_s = s.mean_tokens_per_s;
    info->parameters = s.parameters;
    info->log_truncated = log.truncated;
    fg_run_log_free(&log);
    long long checkpoint = fg_run_latest_checkpoint_step(info->dir);
    if (checkpoint > info->steps) info->steps = checkpoint;
}

/* main.args.max_steps of the config the run used (the `simple` trainer's). */
static void read_max_steps(fg_run_info *info) {
    char path[4200];
    snprintf(path, sizeof path, "%s/config.effective.yaml", info->dir);
    if (access(path, R_OK) != 0) return;
    fg_config *cfg = NULL;
    fg_error ignored = {0};
    if (fg_config_load_file(path, NULL, 0, &cfg, &ignored) != FG_OK) return;
    const fg_node *main_node = fg_node_get(fg_config_root(cfg), "main");
    const fg_node *n = fg_node_get(fg_node_get(main_node, "args"), "max_steps");
    if (n != NULL && n->type == FG_NODE_INT && n->i > 0) info->max_steps = n->i;
    fg_config_free(cfg);
}

fg_status fg_run_info_read(const char *dir, fg_run_info *out, fg_error *err) {
    memset(out, 0, sizeof *out);
    out->status = "unknown";
    out->exit_code = -1;
    out->steps = out->max_steps = -1;
    out->loss = out->best_eval_loss = out->tokens_per_s = NAN;
    out->last_eval_loss = out->mean_tokens_per_s = out->parameters = NAN;
    out->peak_alloc_bytes = out->peak_rss_bytes = NAN;
    out->dir = strdup(dir);
    if (out->dir != NULL) /* "runs/x/" -> "runs/x": the name is its last part */
        for (size_t n = strlen(out->dir); n > 1 && out->dir[n - 1] == '/'; n--) out->dir[n - 1] = '\0';
    out->name = run_name_of(dir);
    if (out->dir == NULL || out->name == NULL) {
        fg_run_info_free(out);
        return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", dir);
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/run.json", dir);
    cJSON *run_json = NULL;
    fg_status st = fg_run_read_json_object(path, &run_json, err);
    if (st != FG_OK) {
        if (st == FG_E_NOT_FOUND) fg_error_set(err, st, "%s: not a run directory (no run.json)", dir);
        fg_run_info_free(out);
        return st;
    }
    copy_string(run_json, "started_utc", out->started_utc, sizeof out->started_utc);
    copy_string(run_json, "hostname", out->hostname, sizeof out->hostname);
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(run_json, "config");
    if (cJSON_IsString(config) && (out->config = strdup(config->valuestring)) == NULL) {
        cJSON_Delete(run_json);
        fg_run_info_free(out);
        return fg_error_set(err, FG_E_NOMEM, "%s: out of memory", dir);
    }
    out->pid = (long long)number_or(run_json, "pid", 0);
    read_metrics(out);
    read_status(out, run_json);
    read_max_steps(out);
    cJSON_Delete(run_json);
    return FG_OK;
}

void fg_run_info_free(fg_run_info *info) {
    if (info == NULL) return;
    free(info->dir);
    free(info->name);
    free(info->error);
    free(info->notes);
    free(info->config);
    memset(info, 0, sizeof *info);
}
