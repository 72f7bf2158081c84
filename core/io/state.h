/* fg_state: named arrays a plugin saves into a checkpoint file (safetensors) and reads
 * back on resume. One state is either being written or being read. */
#ifndef FG_CORE_STATE_H
#define FG_CORE_STATE_H

#include <forgather/fg_types.h>

fg_status fg_state_new_writer(fg_state **out, fg_error *err);
/* Writes everything put so far to path (atomically); the state stays usable. */
fg_status fg_state_write(const fg_state *st, const char *path, fg_error *err);
fg_status fg_state_open_reader(const char *path, fg_state **out, fg_error *err);
void fg_state_free(fg_state *st);

/* Copies data into a writer, or fills data from a reader (fg_host_api.state_array).
 * param non-NULL: the entry is named "<param name>.<name>". */
fg_status fg_state_array(fg_state *st, const fg_tensor *param, const char *name, int32_t dtype,
                         int32_t ndim, const int64_t *shape, void *data, fg_error *err);

#endif
