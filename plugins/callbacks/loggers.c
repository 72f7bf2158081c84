/* Plugin descriptor of the logging callbacks. */
#include "loggers.h"

#include <math.h>

static const fg_param_spec json_logger_spec[] = {
    FG_SPEC_STR("path", "metrics.jsonl", NULL,
                "the file; a relative path is taken inside the run directory. A resumed run "
                "appends to its own run directory's file"),
};

static const fg_param_spec progress_spec[] = {
    FG_SPEC_INT("width", "30", 0, 200, "characters of the bar; 0 = no bar, numbers only"),
};

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_CALLBACK, "json_logger",
               "Writes every training log and evaluation as one JSON object per line (JSON "
               "Lines): each line is complete when written and flushed, so the file stays "
               "readable after a crash. Keys: step, epoch, time (Unix seconds), event "
               "(log|eval), then the metrics.",
               json_logger_spec, json_logger_create),
    FG_FACTORY(FG_KIND_CALLBACK, "progress",
               "A progress bar on stderr: percent done, step, loss, tokens/s and ETA, redrawn "
               "in place on a terminal and one plain line per log otherwise; evaluations on "
               "lines of their own. Set the trainer's args.progress: false so its built-in "
               "line does not print as well.",
               progress_spec, progress_bar_create),
};

FG_PLUGIN_DEFINE("loggers", "0.1.0", "Logging callbacks: JSON Lines metrics and a progress bar", "MIT",
                 factories)
