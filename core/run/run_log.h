/* Reading trainer_logs.json back. The trainer keeps it a valid JSON array after every
 * append (io/json_log.h), but a run killed mid-write, a full disk or a copy taken while
 * it was written can leave it cut short: then the complete records before the cut are
 * read and the log is marked truncated. */
#ifndef FG_CORE_RUN_LOG_H
#define FG_CORE_RUN_LOG_H

#include <forgather/fg_abi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

typedef struct fg_run_log {
    struct cJSON *records; /* a JSON array of the complete record objects */
    bool truncated;        /* the file ended (or turned to garbage) inside the array */
} fg_run_log;

/* FG_E_NOT_FOUND/FG_E_IO when the file cannot be read; FG_E_PARSE naming the path when
 * it is not a JSON array at all (no '[' first, or valid JSON of another kind). */
fg_status fg_run_log_read(const char *path, fg_run_log *out, fg_error *err);
void fg_run_log_free(fg_run_log *log);

/* The figures fgrun runs and fgrun compare show; NAN / -1 where the log has none. */
typedef struct fg_run_log_summary {
    int64_t last_step;     /* the largest "step" recorded */
    double loss;           /* the last "loss" */
    double best_eval_loss; /* the smallest "eval_loss" */
    double last_eval_loss;
    double tokens_per_s; /* the last "tokens_per_s" */
    /* Throughput of the whole run: the steps of every logged window over their time,
     * sum(n_i) / sum(n_i / tokens_per_s_i), n_i the steps since the record before. */
    double mean_tokens_per_s;
    double parameters; /* the trainer's "parameters" record (the model's element count) */
} fg_run_log_summary;

void fg_run_log_summarize(const fg_run_log *log, fg_run_log_summary *out);

/* The records holding a finite number under `key`, in file order: steps[i], values[i]
 * for i < *n (malloc'd arrays, NULL when *n is 0; free both). */
fg_status fg_run_log_series(const fg_run_log *log, const char *key, int64_t **steps, double **values,
                            size_t *n, fg_error *err);

#endif
