/* What fgrun runs and fgrun compare show of one run directory: read from run.json, status.json,
 * trainer_logs.json and config.effective.yaml. */
#ifndef FG_CORE_RUN_INFO_H
#define FG_CORE_RUN_INFO_H

#include <forgather/fg_abi.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct fg_run_info {
    char *dir;  /* the directory as found (DIR/<run>) */
    char *name; /* its base name less the "-YYYYmmdd-HHMMSS[-N]" stamp fgrun train adds */
    /* finished, interrupted, failed (status.json); running, killed (no status.json; the
     * process is alive / gone); unknown (another machine, no pid, unreadable status.json) */
    const char *status;
    char started_utc[32], ended_utc[32]; /* "" when unknown */
    int exit_code;                       /* -1 when unknown */
    char *error;                         /* status.json's "error", or NULL */
    char hostname[256];
    long long pid; /* 0 when not recorded */
    int64_t steps, max_steps; /* -1 when unknown */
    double loss, best_eval_loss, tokens_per_s; /* NAN when unknown */
    /* the last eval_loss, the whole run's throughput and the parameter count
     * (fg_run_log_summary); the peaks of status.json (none for a killed run); NAN: unknown */
    double last_eval_loss, mean_tokens_per_s, parameters, peak_alloc_bytes, peak_rss_bytes;
    bool log_truncated;                        /* trainer_logs.json was cut short */
    char *config; /* run.json's "config": the config file or project template, or NULL */
    char *notes; /* "; "-joined problems with parts of the run (bad status.json, ...), or NULL */
} fg_run_info;

/* True when dir holds run.json or trainer_logs.json (what fgrun train writes first). */
bool fg_run_dir_is_run(const char *dir);

/* Reads one run directory. Fails naming the file when run.json is missing, unreadable
 * or not a JSON object: without it a directory is not a run. Damage elsewhere (garbage
 * status.json or trainer_logs.json) leaves those fields unknown and is told in notes. */
fg_status fg_run_info_read(const char *dir, fg_run_info *out, fg_error *err);
void fg_run_info_free(fg_run_info *info);

#endif
