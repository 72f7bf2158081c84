/* Parameter accessors exposed through fg_host_api. */
#ifndef FG_CORE_PARAMS_API_H
#define FG_CORE_PARAMS_API_H

#include <forgather/fg_host_api.h>

fg_status fg_api_param_bool(const fg_params *p, const char *key, int32_t *out, fg_error *err);
fg_status fg_api_param_int(const fg_params *p, const char *key, int64_t *out, fg_error *err);
fg_status fg_api_param_float(const fg_params *p, const char *key, double *out, fg_error *err);
fg_status fg_api_param_str(const fg_params *p, const char *key, const char **out, fg_error *err);
fg_status fg_api_param_int_list(const fg_params *p, const char *key, const int64_t **items,
                                uint64_t *n, fg_error *err);
fg_status fg_api_param_float_list(const fg_params *p, const char *key, const double **items,
                                  uint64_t *n, fg_error *err);
fg_status fg_api_param_map(const fg_params *p, const char *key, const fg_params **out, fg_error *err);
fg_status fg_api_param_partial(const fg_params *p, const char *key, const fg_partial **out,
                               fg_error *err);
fg_status fg_api_param_map_list(const fg_params *p, const char *key, const fg_params *const **items,
                                uint64_t *n, fg_error *err);
int32_t fg_api_param_present(const fg_params *p, const char *key);

#endif
