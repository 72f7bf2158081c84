/* Operations over a list of parameters: zeroing and clipping gradients. */
#ifndef FG_CORE_PARAM_OPS_H
#define FG_CORE_PARAM_OPS_H

#include "tensor/tensor.h"

void fg_params_zero_grad(uint64_t n, fg_tensor *const *params);
/* Returns the global L2 norm of the gradients (before clipping). When max_norm > 0 and
 * the norm exceeds it, scales every gradient by max_norm / (norm + 1e-6), as PyTorch's
 * clip_grad_norm_ does. */
double fg_params_clip_grad_norm(uint64_t n, fg_tensor *const *params, double max_norm);

#endif
