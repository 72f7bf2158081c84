/* An event file being written: TensorBoard's file name, records appended through stdio,
 * flushed at most every flush_secs (or when asked), every I/O error naming the file. */
#ifndef FG_PLUGIN_TB_WRITER_H
#define FG_PLUGIN_TB_WRITER_H

#include "tb_event.h"

#include <forgather/plugin.h>
#include <stdio.h>

#define TB_PATH_MAX 4096

typedef struct tb_writer {
    FILE *file; /* NULL while closed */
    char path[TB_PATH_MAX];
    double flush_secs;
    double last_flush; /* fg_api->now() at the last flush */
    int pending;       /* records written since then */
} tb_writer;

/* Seconds since the Unix epoch (an event's wall_time). */
double tb_unix_time(void);

/* Creates dir (and its parents) and a new file events.out.tfevents.<unix seconds>.<host>
 * in it; a name already taken gets a suffix .1, .2, ... so no file is ever overwritten. */
fg_status tb_writer_open(tb_writer *w, const char *dir, fg_error *err);
/* Appends one record; flushes when flush_secs have passed since the last flush. */
fg_status tb_writer_write(tb_writer *w, const tb_event *ev, fg_error *err);
/* Flushes waiting records: always with force, else only once flush_secs have passed. */
fg_status tb_writer_flush(tb_writer *w, int force, fg_error *err);
/* Flushes and closes; a closed writer is left as it is. */
fg_status tb_writer_close(tb_writer *w, fg_error *err);

#endif
