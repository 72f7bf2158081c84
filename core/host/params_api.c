/* The parameter accessors of fg_host_api: typed reads of a validated fg_params. */
#include "config/objects.h"
#include "host/params_api.h"
#include "util/error.h"

/* The spec slot for key, checked to have one of the accepted types. */
static fg_status lookup(const fg_params *p, const char *key, int32_t type, fg_node **out, int *index,
                        fg_error *err) {
    if (p == NULL || key == NULL) return fg_error_set(err, FG_E_INVALID_ARG, "parameter lookup without params or key");
    int i = fg_params_index(p, key);
    if (i < 0)
        return fg_error_set(err, FG_E_NOT_FOUND, "%s: the plugin asked for '%s', which its spec does not declare",
                            p->owner, key);
    if (p->specs[i].type != type)
        return fg_error_set(err, FG_E_TYPE, "%s: '%s' is declared as %s, read as %s", p->owner, key,
                            fg_param_type_name(p->specs[i].type), fg_param_type_name(type));
    if (p->values[i] == NULL) return fg_error_set(err, FG_E_NOT_FOUND, "%s: '%s' is not set", p->owner, key);
    *out = p->values[i];
    if (index) *index = i;
    return FG_OK;
}

fg_status fg_api_param_bool(const fg_params *p, const char *key, int32_t *out, fg_error *err) {
    fg_node *n = NULL;
    fg_status st = lookup(p, key, FG_PARAM_BOOL, &n, NULL, err);
    if (st == FG_OK) *out = n->b ? 1 : 0;
    return st;
}

fg_status fg_api_param_int(const fg_params *p, const char *key, int64_t *out, fg_error *err) {
    fg_node *n = NULL;
    fg_status st = lookup(p, key, FG_PARAM_INT, &n, NULL, err);
    if (st == FG_OK) *out = n->i;
    return st;
}

fg_status fg_api_param_float(const fg_params *p, const char *key, double *out, fg_error *err) {
    fg_node *n = NULL;
    fg_status st = lookup(p, key, FG_PARAM_FLOAT, &n, NULL, err);
    if (st == FG_OK) *out = n->type == FG_NODE_INT ? (double)n->i : n->f;
    return st;
}

fg_status fg_api_param_str(const fg_params *p, const char *key, const char **out, fg_error *err) {
    fg_node *n = NULL;
    fg_status st = lookup(p, key, FG_PARAM_STR, &n, NULL, err);
    if (st == FG_OK) *out = n->s;
    return st;
}

fg_status fg_api_param_int_list(const fg_params *p, const char *key, const int64_t **items,
                                uint64_t *n_out, fg_error *err) {
    fg_node *n = NULL;
    int i = 0;
    fg_status st = lookup(p, key, FG_PARAM_INT_LIST, &n, &i, err);
    if (st == FG_OK) {
        *items = p->lists[i];
        *n_out = n->n;
    }
    return st;
}

fg_status fg_api_param_float_list(const fg_params *p, const char *key, const double **items,
                                  uint64_t *n_out, fg_error *err) {
    fg_node *n = NULL;
    int i = 0;
    fg_status st = lookup(p, key, FG_PARAM_FLOAT_LIST, &n, &i, err);
    if (st == FG_OK) {
        *items = p->lists[i];
        *n_out = n->n;
    }
    return st;
}

fg_status fg_api_param_map(const fg_params *p, const char *key, const fg_params **out, fg_error *err) {
    fg_node *n = NULL;
    int i = 0;
    fg_status st = lookup(p, key, FG_PARAM_MAP, &n, &i, err);
    if (st == FG_OK) *out = p->maps[i];
    return st;
}

fg_status fg_api_param_partial(const fg_params *p, const char *key, const fg_partial **out, fg_error *err) {
    fg_node *n = NULL;
    int i = 0;
    fg_status st = lookup(p, key, FG_PARAM_PARTIAL, &n, &i, err);
    if (st == FG_OK) *out = p->partials[i];
    return st;
}

fg_status fg_api_param_map_list(const fg_params *p, const char *key, const fg_params *const **items,
                                uint64_t *n_out, fg_error *err) {
    fg_node *n = NULL;
    int i = 0;
    fg_status st = lookup(p, key, FG_PARAM_MAP_LIST, &n, &i, err);
    if (st == FG_OK) {
        *items = (const fg_params *const *)p->lists[i];
        *n_out = n->n;
    }
    return st;
}

int32_t fg_api_param_present(const fg_params *p, const char *key) {
    if (p == NULL || key == NULL) return 0;
    int i = fg_params_index(p, key);
    return i >= 0 && p->values[i] != NULL;
}
