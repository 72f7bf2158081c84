/* fgrun runs [DIR...] [--json]: the runs under each DIR (default: ./runs and the
 * project's runs/), newest first, with how each ended and its figures. */
#include "cli/cli.h"

#include "run/run_list.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char RUNS_HELP[] =
    "usage: fgrun [-p DIR] runs [DIR...] [--json]\n"
    "\n"
    "Lists the runs under each DIR, newest first: name, status, start time (UTC), steps done\n"
    "and max_steps, last loss, best eval_loss, last tokens/s and directory. A DIR that is\n"
    "itself a run directory lists just that run. Default: ./runs and, inside a project,\n"
    "<project>/runs.\n"
    "\n"
    "Status: finished, interrupted (Ctrl-C) or failed, as the run recorded in status.json;\n"
    "without status.json: running while its process (run.json's pid on this host) lives,\n"
    "killed once it is gone, unknown for a run from another host. A directory that is not a\n"
    "readable run is reported on stderr and the others are still listed.\n"
    "  --json   print a JSON array, one object per run (unknown values are null)\n";

static void warn_skipped(void *ctx, const char *message) {
    (void)ctx;
    fprintf(stderr, "fgrun: warning: %s (skipped)\n", message);
}

int fg_cli_add_runs(fg_run_list *list, const char *dir) {
    fg_error err = {0};
    if (fg_run_list_add(list, dir, warn_skipped, NULL, &err) == FG_OK) return 0;
    fprintf(stderr, "fgrun: error: %s\n", err.msg);
    return 1;
}

int fg_cli_add_default_runs(const fg_cli_globals *g, fg_run_list *list) {
    char dirs[2][4096];
    size_t n = fg_run_default_dirs(g->project_dir, dirs, 2);
    if (n == 0) {
        fprintf(stderr, "fgrun: no runs directory: neither ./runs nor a project's runs/ exists\n");
        return 0;
    }
    int bad = 0;
    for (size_t i = 0; i < n; i++) bad |= fg_cli_add_runs(list, dirs[i]);
    return bad;
}

static void print_number(char *out, size_t cap, double v, const char *fmt) {
    if (isnan(v))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, fmt, v);
}

static void print_table(const fg_run_list *list) {
    int name_w = 4;
    for (size_t i = 0; i < list->n; i++) {
        int len = (int)strlen(list->runs[i].name);
        if (len > name_w) name_w = len > 40 ? 40 : len;
    }
    printf("%-*s  %-11s  %-20s  %13s  %9s  %9s  %9s  %s\n", name_w, "name", "status", "started (UTC)", "steps", "loss",
           "eval_loss", "tokens/s", "directory");
    for (size_t i = 0; i < list->n; i++) {
        const fg_run_info *r = &list->runs[i];
        char steps[48], loss[32], eval[32], speed[32];
        if (r->steps < 0)
            snprintf(steps, sizeof steps, "-");
        else if (r->max_steps > 0)
            snprintf(steps, sizeof steps, "%" PRId64 "/%" PRId64, r->steps, r->max_steps);
        else
            snprintf(steps, sizeof steps, "%" PRId64 "/?", r->steps);
        print_number(loss, sizeof loss, r->loss, "%.4f");
        print_number(eval, sizeof eval, r->best_eval_loss, "%.4f");
        print_number(speed, sizeof speed, r->tokens_per_s, "%.0f");
        printf("%-*s  %-11s  %-20s  %13s  %9s  %9s  %9s  %s\n", name_w, r->name, r->status,
               r->started_utc[0] ? r->started_utc : "-", steps, loss, eval, speed, r->dir);
        if (r->error != NULL) printf("%*s  error: %s\n", name_w, "", r->error);
    }
}

static cJSON *number_or_null(double v) { return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v); }

static cJSON *string_or_null(const char *s) { return s != NULL && s[0] ? cJSON_CreateString(s) : cJSON_CreateNull(); }

static int print_json(const fg_run_list *list) {
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < list->n && array != NULL; i++) {
        const fg_run_info *r = &list->runs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "name", cJSON_CreateString(r->name));
        cJSON_AddItemToObject(o, "dir", cJSON_CreateString(r->dir));
        cJSON_AddItemToObject(o, "status", cJSON_CreateString(r->status));
        cJSON_AddItemToObject(o, "started_utc", string_or_null(r->started_utc));
        cJSON_AddItemToObject(o, "ended_utc", string_or_null(r->ended_utc));
        cJSON_AddItemToObject(o, "exit_code", r->exit_code < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(r->exit_code));
        cJSON_AddItemToObject(o, "error", string_or_null(r->error));
        cJSON_AddItemToObject(o, "steps", r->steps < 0 ? cJSON_CreateNull() : cJSON_CreateNumber((double)r->steps));
        cJSON_AddItemToObject(o, "max_steps",
                              r->max_steps < 0 ? cJSON_CreateNull() : cJSON_CreateNumber((double)r->max_steps));
        cJSON_AddItemToObject(o, "loss", number_or_null(r->loss));
        cJSON_AddItemToObject(o, "best_eval_loss", number_or_null(r->best_eval_loss));
        cJSON_AddItemToObject(o, "tokens_per_s", number_or_null(r->tokens_per_s));
        cJSON_AddItemToObject(o, "log_truncated", cJSON_CreateBool(r->log_truncated));
        cJSON_AddItemToObject(o, "hostname", string_or_null(r->hostname));
        cJSON_AddItemToObject(o, "pid", r->pid > 0 ? cJSON_CreateNumber((double)r->pid) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "notes", string_or_null(r->notes));
        cJSON_AddItemToArray(array, o);
    }
    char *text = array != NULL ? cJSON_Print(array) : NULL;
    cJSON_Delete(array);
    if (text == NULL) return fg_cli_fail("runs: out of memory");
    printf("%s\n", text);
    free(text);
    return 0;
}

int fg_cmd_runs(const fg_cli_globals *g, int argc, char **argv) {
    bool json = false;
    int n_dirs = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(RUNS_HELP, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-')
            return fg_cli_bad_argument("runs", argv[i], 0);
        else
            n_dirs++;
    }
    fg_run_list list = {0};
    int bad = 0;
    for (int i = 0; i < argc; i++)
        if (argv[i][0] != '-') bad |= fg_cli_add_runs(&list, argv[i]);
    if (n_dirs == 0) bad |= fg_cli_add_default_runs(g, &list);
    fg_run_list_sort(&list);
    for (size_t i = 0; i < list.n; i++)
        if (list.runs[i].notes != NULL) fprintf(stderr, "fgrun: warning: %s\n", list.runs[i].notes);
    int rc = bad;
    if (json)
        rc |= print_json(&list);
    else if (list.n == 0)
        fprintf(stderr, "fgrun: no runs found\n");
    else
        print_table(&list);
    fg_run_list_free(&list);
    return rc;
}
