/* Filling fg_error buffers inside the core. */
#ifndef FG_CORE_ERROR_H
#define FG_CORE_ERROR_H

#include <forgather/fg_abi.h>

/* Sets code and message; returns code so callers can `return fg_error_set(...)`.
 * A NULL err is allowed (the message is dropped). */
fg_status fg_error_set(fg_error *err, fg_status code, const char *fmt, ...) FG_PRINTF(3, 4);
/* Puts "context: " in front of the message already in err (for adding file:line). */
void fg_error_prefix(fg_error *err, const char *fmt, ...) FG_PRINTF(2, 3);
const char *fg_status_name(fg_status code);
void fg_error_clear(fg_error *err);

#endif
