/* What the emit_code entries of the built-in plugins share (`fgrun code`; the contract is
 * the fg_codegen comment in fg_host_api.h). Header-only, like layer_common.h: each plugin
 * compiles its own copy, calling the host through its own fg_api. */
#ifndef FG_PLUGIN_CODEGEN_COMMON_H
#define FG_PLUGIN_CODEGEN_COMMON_H

#include <forgather/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A float value as a C literal, held in a struct so it can be passed straight to
 * code_printf: code_printf(cg, "%s", code_float(eps).s). */
typedef struct code_float_lit {
    char s[32];
} code_float_lit;

/* The host's ops take their scalars as float, so print the float the op would use, with
 * the fewest digits that read back as it (1e-05f rather than 9.99999975e-06f; %.9g
 * always does). "%gf" alone would turn 8 into "8f", which is no C literal, hence the
 * ".0" when the number printed as an integer. */
static inline code_float_lit code_float(double v) {
    code_float_lit f;
    const float x = (float)v;
    if (x > -1e7f && x < 1e7f && x == (float)(long)x) /* 10000.0f, not 1e+04f */
        snprintf(f.s, sizeof(f.s) - 3, "%ld", (long)x);
    else
        for (int digits = 1; digits <= 9; digits++) {
            snprintf(f.s, sizeof(f.s) - 3, "%.*g", digits, (double)x);
            if (strtof(f.s, NULL) == x) break;
        }
    if (strpbrk(f.s, ".e") == NULL) strcat(f.s, ".0");
    strcat(f.s, "f");
    return f;
}

/* The generated program's expression for parameter t: "NULL" for an optional tensor the
 * component does not have (a bias with bias: false), which is what the runtime's
 * functions take for "none"; NULL with err set, naming `who`, when the exported model
 * does not know the tensor. */
static inline const char *code_tensor(fg_codegen *cg, const char *who, const fg_tensor *t,
                                      fg_error *err) {
    if (t == NULL) return "NULL";
    const char *expr = fg_api->code_param(cg, t);
    if (expr == NULL)
        fg_api->error_set(err, FG_E_NOT_FOUND,
                          "%s: parameter '%s' is not one of the exported model's", who,
                          fg_api->tensor_name(t));
    return expr;
}

/* The comment for a dropout that the generated program leaves out. */
static inline void code_dropout_note(fg_codegen *cg, const char *what, double p) {
    if (p > 0.0)
        fg_api->code_printf(cg, "    /* dropout (p = %g) %s: inactive at inference */\n", p, what);
}

#endif
