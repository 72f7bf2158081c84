/* The file-system side of model_checkpoint: which checkpoint `latest` names, removing a
 * checkpoint directory, writing a file atomically. */
#ifndef FG_CALLBACKS_CHECKPOINT_FILES_H
#define FG_CALLBACKS_CHECKPOINT_FILES_H

#include <forgather/plugin.h>

/* The step of the checkpoint <run_dir>/latest names ("checkpoint-<N>"), or -1. */
int64_t files_latest_step(const char *run_dir);

/* Removes the directory <run_dir>/checkpoint-<step> and everything in it. Symbolic links
 * are removed, never followed; a missing directory is no error; anything else under that
 * name (a file, a link) is left alone and reported. */
fg_status files_remove_checkpoint(const char *run_dir, int64_t step, fg_error *err);

/* Writes <run_dir>/<name> through <name>.tmp and a rename, so readers never see half. */
fg_status files_write_atomic(const char *run_dir, const char *name, const char *text, size_t len,
                             fg_error *err);

#endif
