/* status.json: how a run ended, written by fgrun train when the run stops. A run
 * directory without it belongs to a run still going or to one that was killed (SIGKILL,
 * a crash, a second Ctrl-C, power loss); process.h tells which. */
#ifndef FG_CORE_RUN_STATUS_H
#define FG_CORE_RUN_STATUS_H

#include "run/run.h"

typedef enum fg_run_outcome { FG_RUN_FINISHED, FG_RUN_INTERRUPTED, FG_RUN_FAILED } fg_run_outcome;

/* "finished", "interrupted", "failed". */
const char *fg_run_outcome_name(fg_run_outcome outcome);

/* Writes <run dir>/status.json atomically:
 *   {"status": "finished"|"interrupted"|"failed", "exit_code": N, "ended_utc": "...",
 *    "error": "<first line of error>" (failed only), "final_step": N}
 * final_step is the last step the run recorded: the largest step in trainer_logs.json or
 * that of its `latest` checkpoint, whichever is later (null when neither exists). */
fg_status fg_run_write_status(const fg_run *run, fg_run_outcome outcome, int exit_code, const char *error,
                              fg_error *err);

/* The step named by <dir>/latest ("checkpoint-<step>"), or -1. */
long long fg_run_latest_checkpoint_step(const char *dir);

#endif
