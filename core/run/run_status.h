/* status.json: how a run ended, written by fgrun train when the run stops. A run
 * directory without it belongs to a run still going or to one that was killed (SIGKILL,
 * a crash, a second Ctrl-C, power loss); process.h tells which. */
#ifndef FG_CORE_RUN_STATUS_H
#define FG_CORE_RUN_STATUS_H

#include "run/run.h"

/* The exit code fgrun train gives a run stopped by Ctrl-C or SIGTERM (128 + SIGINT). */
#define FG_RUN_EXIT_INTERRUPTED 130

/* "finished" for exit code 0, "interrupted" for FG_RUN_EXIT_INTERRUPTED, else "failed". */
const char *fg_run_status_name(int exit_code);

/* Writes <run dir>/status.json atomically when the run stops:
 *   {"status": "finished"|"interrupted"|"failed", "exit_code": N, "ended_utc": "...",
 *    "error": "<first line of error>" (failed only), "final_step": N,
 *    "final_loss": X, "final_eval_loss": X, "mean_tokens_per_s": X, "parameters": N,
 *    "peak_alloc_bytes": N, "peak_rss_bytes": N}
 * final_step is the last step the run recorded: the largest step in trainer_logs.json or
 * that of its `latest` checkpoint, whichever is later. The losses, throughput and parameter
 * count are trainer_logs.json's (fg_run_log_summarize). peak_alloc_bytes: the most bytes
 * the host had allocated at once since fg_run_create; peak_rss_bytes: the process's peak
 * resident set (getrusage; in a sweep, of every run so far). null for what is unknown. */
fg_status fg_run_write_status(const fg_run *run, int exit_code, const char *error, fg_error *err);

/* The step named by <dir>/latest ("checkpoint-<step>"), or -1. */
long long fg_run_latest_checkpoint_step(const char *dir);

#endif
