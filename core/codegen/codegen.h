/* Standalone C code generation for a model (`fgrun code`): the fg_codegen context the
 * components' emit_code entries write into, and the host services they call. */
#ifndef FG_CORE_CODEGEN_H
#define FG_CORE_CODEGEN_H

#include <forgather/fg_host_api.h>

void fg_codegen_printf(fg_codegen *cg, const char *fmt, ...) FG_PRINTF(2, 3);
const char *fg_codegen_param(fg_codegen *cg, const fg_tensor *param);
fg_status fg_codegen_call(fg_codegen *cg, const void *child, const char *x, const char *y,
                          fg_error *err);
fg_status fg_codegen_helper(fg_codegen *cg, const char *name, const char *definition,
                            fg_error *err);

#endif
