/* Internals of the code generator: the fg_codegen context the host services write into,
 * text buffers, and what the parts (codegen.c: objects to functions; codegen_describe.c:
 * config nodes to comments; codegen_files.c: the project's files; codegen_write.c: the
 * directory) share. */
#ifndef FG_CORE_CODEGEN_INTERNAL_H
#define FG_CORE_CODEGEN_INTERNAL_H

#include "codegen/codegen.h"

#include <stdarg.h>
#include <stdbool.h>

/* ---- text (codegen_text.c) -------------------------------------------------------- */

/* A growable string; out of memory is sticky (nomem) and checked once at the end. */
typedef struct cg_text {
    char *s;
    size_t len, cap;
    bool nomem;
} cg_text;

void cg_put(cg_text *t, const char *s, size_t n);
void cg_puts(cg_text *t, const char *s);
void cg_printf(cg_text *t, const char *fmt, ...) FG_PRINTF(2, 3);
void cg_vprintf(cg_text *t, const char *fmt, va_list ap) FG_PRINTF(2, 0);
void cg_text_free(cg_text *t);

/* s as a C identifier: characters other than letters, digits and '_' become '_', a
 * leading digit gets "n" in front, a C keyword gets "_" after it. */
void cg_identifier(const char *s, char *out, size_t cap);
/* s for the inside of a comment: no comment delimiters, one line. */
void cg_comment_text(cg_text *t, const char *s);
/* s as a C string literal, quotes included. */
void cg_string_literal(cg_text *t, const char *s);
/* tmpl with every @key@ of the n pairs keys[i] -> values[i] replaced; other '@' kept. */
void cg_expand(cg_text *t, const char *tmpl, size_t len, const char *const (*pairs)[2], size_t n);

/* ---- objects and their config nodes (codegen_describe.c) ---------------------------- */

/* What a comment and an error say about an object. */
typedef struct cg_origin {
    char who[256];      /* its scope ("blocks.0.attn"); its config path when it has none */
    char path[256];     /* where the config reaches its node: "model.block.attention" */
    char node[200];     /* the node, compact: "!partial:multihead {num_heads: 4}" */
    const fg_loc *loc;  /* where the node is written */
    const char *plugin; /* the plugin and factory that made it */
    const char *factory;
    int32_t layer_index; /* -1 when none */
} cg_origin;

void cg_describe(const fg_objects *o, const fg_object_info *info, cg_origin *out);
/* The comment above an object's code: scope, config path, layer, node, location. */
void cg_origin_comment(cg_text *t, const cg_origin *d);

/* ---- the context ------------------------------------------------------------------ */

typedef struct cg_param {
    const fg_tensor *tensor;
    char field[256]; /* its member of the weights struct: "blocks_0_attn_qkv_weight" */
    char expr[260];  /* what code_param returns: "W->blocks_0_attn_qkv_weight" */
} cg_param;

typedef struct cg_function {
    const void *object;
    char name[256];
    bool done; /* false while its body is being written: a call back into it is a cycle */
} cg_function;

struct fg_codegen {
    const fg_codegen_request *req;
    cg_param *params; /* the model's parameters, in creation order */
    size_t n_params;
    cg_text *body;      /* the function being written: where code_printf goes */
    cg_text helpers;    /* code_helper definitions, in the order first asked for */
    char *(*helper_defs)[2]; /* name, definition: each written once */
    size_t n_helpers;
    cg_text functions;  /* layer and model functions, each after the ones it calls */
    cg_text tokenizer;  /* the tokenizer's fgc_encode and fgc_decode, with their comment */
    cg_function *fns;
    size_t n_fns;
    char **reserved;    /* identifiers functions may not take */
    size_t n_reserved;
    int64_t d_model;    /* the width of the layers' activations (their fg_create_args) */
    bool failed;        /* the first error is kept in err; later calls do nothing */
    fg_error err;
};

/* Records the first error (later ones are dropped) and returns its code. */
fg_status cg_fail(fg_codegen *cg, fg_status code, const char *fmt, ...) FG_PRINTF(3, 4);

/* ---- the project (codegen_files.c, codegen_write.c) -------------------------------- */

typedef struct cg_file {
    char name[256];
    cg_text text;
} cg_file;

#define CG_MAX_FILES 8

/* Fills files (n of them) from a context whose model and tokenizer have been emitted. */
fg_status cg_project_files(fg_codegen *cg, cg_file *files, size_t *n);
fg_status cg_write_dir(const char *out_dir, const cg_file *files, size_t n, fg_error *err);

#endif
