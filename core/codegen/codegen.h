/* Standalone C code generation for a model (`fgrun code`, and a trained run's code/): a
 * small C99 project computing the model's forward pass, with its tokenizer, sampling and
 * a safetensors loader, depending on libc and libm only. Each object writes the body of
 * its own function through its emit_code entry (the contract for plugins: the fg_codegen
 * comment in fg_host_api.h and docs/codegen.md); the host services it calls are below. */
#ifndef FG_CORE_CODEGEN_H
#define FG_CORE_CODEGEN_H

#include "config/objects.h"

#include <forgather/fg_host_api.h>

typedef struct fg_codegen_request {
    fg_objects *objects; /* the graph that built model and tokenizer */
    void *model;         /* of kind FG_KIND_MODEL */
    void *tokenizer;     /* of kind FG_KIND_TOKENIZER */
    const char *name;    /* a C identifier (fg_codegen_name): files <name>.c/.h, <name>_forward, ... */
    const char *origin;  /* where it came from, for the comments and README: "configs/rope.yaml" */
    const char *weights; /* the weights to run it with, as the README should name them */
} fg_codegen_request;

/* The project's name for a config stem ("rope_gqa", "tiny-gpt" -> "tiny_gpt"): a C
 * identifier that is no C keyword and whose files and functions cannot clash with the
 * runtime's or main.c. */
void fg_codegen_name(const char *stem, char *out, size_t cap);

/* Generates the project in memory, then writes it to a new directory beside out_dir and
 * renames that onto out_dir, replacing an earlier generated project there (any other
 * existing path is an error): a failure leaves no half-written project. Errors name the
 * object, plugin and factory (a component without emit_code) or the file at fault. */
fg_status fg_codegen_write(const fg_codegen_request *req, const char *out_dir, fg_error *err);

/* The fg_host_api code_* services (contract: fg_host_api.h). */
void fg_codegen_printf(fg_codegen *cg, const char *fmt, ...) FG_PRINTF(2, 3);
const char *fg_codegen_param(fg_codegen *cg, const fg_tensor *param);
fg_status fg_codegen_call(fg_codegen *cg, const void *child, const char *x, const char *y,
                          fg_error *err);
fg_status fg_codegen_helper(fg_codegen *cg, const char *name, const char *definition,
                            fg_error *err);

#endif
