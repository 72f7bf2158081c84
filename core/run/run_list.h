/* Finding run directories: the runs under a runs directory (or a run directory itself),
 * newest first, and the default runs directories. */
#ifndef FG_CORE_RUN_LIST_H
#define FG_CORE_RUN_LIST_H

#include "run/run_info.h"

#include <stddef.h>

typedef struct fg_run_list {
    fg_run_info *runs;
    size_t n, cap;
} fg_run_list;

/* Called with a message naming a directory that is not a readable run. */
typedef void (*fg_run_problem_fn)(void *ctx, const char *message);

/* Adds `dir` when it is a run directory (fg_run_dir_is_run), else each of its
 * subdirectories (hidden ones skipped). A subdirectory that is not a readable run goes
 * to `problem` and the others are still added. Fails naming dir when it cannot be read,
 * or when it is itself a run directory whose run.json is missing or damaged. */
fg_status fg_run_list_add(fg_run_list *list, const char *dir, fg_run_problem_fn problem, void *ctx,
                          fg_error *err);
/* Newest first: by run.json's started_utc, then by directory name. */
void fg_run_list_sort(fg_run_list *list);
void fg_run_list_free(fg_run_list *list);
/* Keeps the first n runs (after fg_run_list_sort: the n newest). */
void fg_run_list_truncate(fg_run_list *list, size_t n);
/* Moves every run of src to the end of dst; src is left empty. */
fg_status fg_run_list_take(fg_run_list *dst, fg_run_list *src, fg_error *err);

/* A run's name for legends and tables: its name, or its directory's base name when another
 * run of the list has the same name. */
void fg_run_list_label(const fg_run_list *list, size_t i, char *out, size_t cap);

/* Where fgrun train puts runs when not told: ./runs and, inside a project (the nearest
 * meta.yaml at or above project_start), <project>/runs; each once, only those that
 * exist. Returns how many were written to dirs. */
size_t fg_run_default_dirs(const char *project_start, char dirs[][4096], size_t max);

#endif
