/* Private to the loggers plugin: the two callbacks' constructors (their parameter specs
 * sit with the factory table in loggers.c). */
#ifndef FG_PLUGIN_LOGGERS_H
#define FG_PLUGIN_LOGGERS_H

#include <forgather/plugin.h>

fg_status json_logger_create(const fg_params *params, const fg_create_args *args, void **out, fg_error *err);
fg_status progress_bar_create(const fg_params *params, const fg_create_args *args, void **out, fg_error *err);

#endif
