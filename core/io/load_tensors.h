#ifndef FG_CORE_LOAD_TENSORS_H
#define FG_CORE_LOAD_TENSORS_H

#include <forgather/fg_types.h>

/* Fills each tensor from the entry of the same name; a missing, extra or differently
 * typed or shaped entry is an error naming it. */
fg_status fg_load_tensors(const char *path, uint64_t n, fg_tensor *const *tensors, fg_error *err);

#endif
