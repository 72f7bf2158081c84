/* TensorBoard event files made from trainer_logs.json, for runs trained without the
 * tensorboard callback (docs/callbacks.md): fgrun tb converts such a run's log before
 * starting TensorBoard on its directory. Same layout and tags as the callback's, so
 * converted runs and callback runs compare side by side. */
#ifndef FG_CORE_RUN_TFEVENTS_H
#define FG_CORE_RUN_TFEVENTS_H

#include "run/run_log.h"

#include <stddef.h>

#include <stdbool.h>

/* The converted file, inside a run directory ("tfevents" in a name is how TensorBoard
 * finds event files). One fixed name: converting again replaces it rather than adding a
 * second file whose points TensorBoard would show twice. */
#define FG_TFEVENTS_DIR "tensorboard"
#define FG_TFEVENTS_FILE "events.out.tfevents.fgrun"

/* Writes <dir>/FG_TFEVENTS_DIR/FG_TFEVENTS_FILE atomically: a TFRecord file of Event
 * protos, the first holding file_version "brain.Event:2", then one per log record with
 * every finite number in it except "step" as a scalar at that step, tagged as the
 * callback does: eval_<key> as eval/<key>, any other key as train/<key>. Wall times are
 * started_utc ("YYYY-mm-ddTHH:MM:SSZ", run.json's; now if unparsable) plus the record's
 * elapsed_s (or the last one before it). Errors name the file. */
fg_status fg_tfevents_write(const char *dir, const fg_run_log *log, const char *started_utc, fg_error *err);

/* Makes TensorBoard find a run's metrics under dir. When event files that fgrun tb did not
 * write are there (the callback's, in dir or dir/FG_TFEVENTS_DIR), they are the record:
 * a converted file from before is removed (its points would show twice) and *wrote is
 * false. Otherwise reads dir/trainer_logs.json and writes the converted file. */
fg_status fg_tfevents_prepare(const char *dir, const char *started_utc, bool *wrote, fg_error *err);

#endif
