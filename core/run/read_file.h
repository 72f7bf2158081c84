/* Reading the small files of a run directory back (run.json, status.json,
 * trainer_logs.json, latest) for fgrun runs and fgrun tb. */
#ifndef FG_CORE_RUN_READ_FILE_H
#define FG_CORE_RUN_READ_FILE_H

#include <forgather/fg_abi.h>
#include <stddef.h>

struct cJSON;

/* The whole of a regular file, NUL-terminated (malloc'd; free it). FG_E_NOT_FOUND when it
 * does not exist, FG_E_IO when it cannot be read or is not a regular file, both naming
 * the path. */
fg_status fg_run_read_text(const char *path, char **text, size_t *len, fg_error *err);

/* A file holding one JSON object (run.json, status.json). FG_E_PARSE naming the path and
 * the byte offset when it is not valid JSON or not an object. */
fg_status fg_run_read_json_object(const char *path, struct cJSON **out, fg_error *err);

#endif
