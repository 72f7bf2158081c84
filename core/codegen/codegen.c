/* Placeholder until the code generator lands. */
#include "codegen/codegen.h"

#include "util/error.h"

void fg_codegen_printf(fg_codegen *cg, const char *fmt, ...) { (void)cg; (void)fmt; }
const char *fg_codegen_param(fg_codegen *cg, const fg_tensor *param) { (void)cg; (void)param; return NULL; }
fg_status fg_codegen_call(fg_codegen *cg, const void *child, const char *x, const char *y,
                          fg_error *err) {
    (void)cg; (void)child; (void)x; (void)y;
    return fg_error_set(err, FG_E_UNSUPPORTED, "codegen: not implemented yet");
}
fg_status fg_codegen_helper(fg_codegen *cg, const char *name, const char *definition,
                            fg_error *err) {
    (void)cg; (void)name; (void)definition;
    return fg_error_set(err, FG_E_UNSUPPORTED, "codegen: not implemented yet");
}
