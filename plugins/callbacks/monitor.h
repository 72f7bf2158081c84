/* A monitored metric, shared by the callbacks that watch one (early_stopping,
 * model_checkpoint): finding it among an event's metrics and comparing two values. */
#ifndef FG_CALLBACKS_MONITOR_H
#define FG_CALLBACKS_MONITOR_H

#include <forgather/plugin.h>

/* 1 and *out = its value when `key` is among m's metrics, else 0. */
int monitor_find(const fg_metrics *m, const char *key, double *out);

/* 1 when `value` beats `reference` by more than `delta` (maximize: larger is better).
 * A NaN never beats anything, and nothing beats a NaN reference. */
int monitor_better(int32_t maximize, double value, double reference, double delta);

/* Reads the config's `monitor` (non-empty) and `mode` (min|max) of callback `who` into
 * an owned copy *monitor (free with fg_api->free) and *maximize. */
fg_status monitor_read_params(const fg_params *params, const char *who, char **monitor,
                              int32_t *maximize, fg_error *err);

#endif
