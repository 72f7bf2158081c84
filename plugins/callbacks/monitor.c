#include "monitor.h"

#include <string.h>

int monitor_find(const fg_metrics *m, const char *key, double *out) {
    if (m == NULL || key == NULL || (m->n > 0 && (m->keys == NULL || m->values == NULL))) return 0;
    for (uint32_t i = 0; i < m->n; i++) {
        if (m->keys[i] != NULL && strcmp(m->keys[i], key) == 0) {
            *out = m->values[i];
            return 1;
        }
    }
    return 0;
}

int monitor_better(int32_t maximize, double value, double reference, double delta) {
    /* comparisons with NaN are false, which gives the documented NaN rule */
    return maximize ? value > reference + delta : value < reference - delta;
}

fg_status monitor_read_params(const fg_params *params, const char *who, char **monitor,
                              int32_t *maximize, fg_error *err) {
    const char *key = NULL, *mode = NULL;
    fg_status st = fg_api->param_str(params, "monitor", &key, err);
    if (st == FG_OK) st = fg_api->param_str(params, "mode", &mode, err);
    if (st != FG_OK) return st;
    if (key == NULL || key[0] == '\0') {
        fg_api->error_set(err, FG_E_INVALID_ARG, "%s: monitor must name a metric (e.g. eval_loss), got ''", who);
        return FG_E_INVALID_ARG;
    }
    if (mode == NULL || (strcmp(mode, "min") != 0 && strcmp(mode, "max") != 0)) {
        /* the spec's choices catch this first; kept for hosts that do not check them */
        fg_api->error_set(err, FG_E_INVALID_ARG, "%s: mode must be min or max, got '%s'", who, mode ? mode : "");
        return FG_E_INVALID_ARG;
    }
    const size_t len = strlen(key) + 1;
    *monitor = fg_api->alloc(len);
    if (*monitor == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "%s: out of memory", who);
        return FG_E_NOMEM;
    }
    memcpy(*monitor, key, len);
    *maximize = strcmp(mode, "max") == 0;
    return FG_OK;
}
