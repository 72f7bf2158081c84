/* A training run: its directory, seed, log and interruption flag. */
#ifndef FG_CORE_RUN_H
#define FG_CORE_RUN_H

#include <forgather/fg_types.h>
#include <signal.h>

struct fg_json_log;

struct fg_run {
    char *dir;
    uint64_t seed;
    struct fg_json_log *log;
    char *resume_dir; /* checkpoint to continue from, or NULL */
};

/* Creates runs_dir/<name>-<YYYYmmdd-HHMMSS>[-N]/ and opens trainer_logs.json in it. The
 * run's peak of host-allocated memory (status.json) counts from here. */
fg_status fg_run_create(const char *runs_dir, const char *name, uint64_t seed, fg_run **out,
                        fg_error *err);
void fg_run_free(fg_run *run);
/* Writes `text` to <run dir>/<file> atomically; parent directories in `file` are created. */
fg_status fg_run_write_file(const fg_run *run, const char *file, const char *text, size_t len,
                            fg_error *err);

/* Checkpoint directories (see fg_host_api.checkpoint_begin/commit). */
fg_status fg_run_checkpoint_begin(fg_run *run, int64_t step, char *dir, size_t cap, fg_error *err);
fg_status fg_run_checkpoint_commit(fg_run *run, int64_t step, fg_error *err);
/* A run directory (its `latest` checkpoint) or a checkpoint directory -> the checkpoint. */
fg_status fg_run_find_checkpoint(const char *path, char *out, size_t cap, fg_error *err);

/* SIGINT/SIGTERM: the first sets the flag the trainer polls; a second SIGINT stops at once. */
void fg_run_install_signal_handlers(void);
int fg_run_interrupted(void);

#endif
