/* An append-only log of records kept as one JSON array that is valid JSON after every
 * append (trainer_logs.json):
 *
 *   [
 *   {"step": 10, "loss": 2.5, "lr": 0.001},
 *   {"step": 20, "loss": 2.25, "lr": 0.001}
 *   ]
 *
 * Each append overwrites the closing "\n]" with ",\n{record}\n]" and flushes, so a reader
 * (or a killed run) always sees a complete array. Internal to the core. */
#ifndef FG_CORE_IO_JSON_LOG_H
#define FG_CORE_IO_JSON_LOG_H

#include <forgather/fg_abi.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fg_json_log fg_json_log;

/* Creates the log at `path` holding an empty array "[\n]". A non-empty file already there
 * (the log of a run being resumed) must be a JSON array; new records go after its last
 * one. Errors: FG_E_IO naming the path and the system's reason, FG_E_PARSE when an
 * existing file is not a JSON array. */
fg_status fg_json_log_open(const char *path, fg_json_log **out, fg_error *err);

/* Appends {"step": step, keys[0]: values[0], ...} and flushes. Non-finite values are
 * written as null. Keys must be non-NULL, distinct and not "step" (FG_E_INVALID_ARG). */
fg_status fg_json_log_append(fg_json_log *log, int64_t step, uint32_t n,
                             const char *const *keys, const double *values, fg_error *err);

/* Closes the file; NULL is allowed. */
void fg_json_log_close(fg_json_log *log);

#endif
