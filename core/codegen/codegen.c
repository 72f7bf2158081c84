/* The code generator's core: the host services an emit_code entry calls, and the walk
 * that turns the model, every layer it calls and the tokenizer into C. A layer's function
 * is written the first time code_call reaches it, so an object shared by several callers
 * is written once, and each function comes after the ones it calls. */
#define _POSIX_C_SOURCE 200809L
#include "codegen/codegen_internal.h"

#include "plugin/registry.h"
#include "tensor/tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fg_status cg_fail(fg_codegen *cg, fg_status code, const char *fmt, ...) {
    if (!cg->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cg->err.msg, sizeof cg->err.msg, fmt, ap);
        va_end(ap);
        cg->err.code = code;
        cg->failed = true;
    }
    return cg->err.code;
}

/* ---- objects ------------------------------------------------------------------------ */

static bool is_layer_kind(int32_t kind) {
    return kind == FG_KIND_BLOCK || kind == FG_KIND_ATTENTION || kind == FG_KIND_FEEDFORWARD ||
           kind == FG_KIND_NORM || kind == FG_KIND_POSITIONAL || kind == FG_KIND_EMBEDDING;
}

/* The object's emit_code entry; NULL when it has none, also when its vtable predates
 * ABI 1.3 and ends before the slot. */
static fg_emit_code_fn emit_code_of(const void *object) {
    const fg_vtbl_header *h = *(const fg_vtbl_header *const *)object;
    if (h->kind == FG_KIND_MODEL)
        return h->struct_size >= FG_VTBL_THROUGH(fg_model_vtbl, emit_code) ? ((const fg_model_vtbl *)h)->emit_code
                                                                             : NULL;
    if (h->kind == FG_KIND_TOKENIZER)
        return h->struct_size >= FG_VTBL_THROUGH(fg_tokenizer_vtbl, emit_code)
                   ? ((const fg_tokenizer_vtbl *)h)->emit_code
                   : NULL;
    if (is_layer_kind(h->kind))
        return h->struct_size >= FG_VTBL_THROUGH(fg_layer_vtbl, emit_code) ? ((const fg_layer_vtbl *)h)->emit_code
                                                                             : NULL;
    return NULL;
}

/* Describes an object the config built; fails naming `what` when it is not one. */
static fg_status describe(fg_codegen *cg, const void *object, const char *what, cg_origin *d) {
    const fg_object_info *info = fg_objects_info(cg->req->objects, object);
    if (info == NULL)
        return cg_fail(cg, FG_E_INVALID_ARG,
                       "code: %s is not an object the config built (layers must come from partial_create)", what);
    cg_describe(cg->req->objects, info, d);
    if (cg->d_model == 0 && is_layer_kind(info->partial->ref->factory->kind)) cg->d_model = info->d_model;
    return FG_OK;
}

static fg_status no_emission(fg_codegen *cg, const cg_origin *d) {
    return cg_fail(cg, FG_E_UNSUPPORTED,
                   "code: %s (factory '%s' of plugin '%s', %s:%d:%d) has no code emission (emit_code); "
                   "it cannot be exported",
                   d->who, d->factory, d->plugin, d->loc->file ? d->loc->file : "<config>", d->loc->line,
                   d->loc->column);
}

/* Runs an object's emit_code into a fresh body, then appends to dest its comment and the
 * body: inside `signature`'s braces, or as it is when signature is NULL (the tokenizer
 * writes whole definitions). */
static fg_status emit(fg_codegen *cg, const void *object, const cg_origin *d, const char *signature,
                      cg_text *dest) {
    const fg_emit_code_fn fn = emit_code_of(object);
    if (fn == NULL) return no_emission(cg, d);
    cg_text body = {0};
    cg_text *outer = cg->body;
    cg->body = &body;
    fg_error perr = {0};
    const fg_status st = fn(object, cg, &perr);
    cg->body = outer;
    /* a failed host service already said where (cg_fail keeps the first error) */
    if (st != FG_OK)
        cg_fail(cg, st, "code: %s (factory '%s' of plugin '%s', %s:%d): %s", d->who, d->factory, d->plugin,
                d->loc->file ? d->loc->file : "<config>", d->loc->line,
                perr.msg[0] ? perr.msg : "emit_code failed without a message");
    if (body.nomem) cg_fail(cg, FG_E_NOMEM, "code: out of memory writing %s", d->who);
    if (!cg->failed) {
        cg_origin_comment(dest, d);
        if (signature != NULL)
            cg_printf(dest, "%s {\n%s}\n\n", signature, body.s != NULL ? body.s : "");
        else
            cg_printf(dest, "%s\n", body.s != NULL ? body.s : "");
    }
    cg_text_free(&body);
    return cg->failed ? cg->err.code : FG_OK;
}

/* ---- names ------------------------------------------------------------------------- */

static bool is_reserved(const fg_codegen *cg, const char *name) {
    for (size_t i = 0; i < cg->n_reserved; i++)
        if (strcmp(cg->reserved[i], name) == 0) return true;
    return false;
}

static fg_status reserve(fg_codegen *cg, const char *name) {
    char **grown = realloc(cg->reserved, (cg->n_reserved + 1) * sizeof *grown);
    char *copy = grown != NULL ? strdup(name) : NULL;
    if (grown != NULL) cg->reserved = grown;
    if (copy == NULL) return cg_fail(cg, FG_E_NOMEM, "code: out of memory");
    cg->reserved[cg->n_reserved++] = copy;
    return FG_OK;
}

/* A function name from a scope: "blocks.0.attn" -> "blocks_0_attn"; "_2", "_3", ...
 * after a name taken; "f_" before one the runtime's fgc_ prefix could clash with. */
static fg_status function_name(fg_codegen *cg, const char *scope, char *out, size_t cap) {
    char base[200] = "f_";
    cg_identifier(scope, base + 2, sizeof base - 2);
    const char *b = strncmp(base + 2, "fgc", 3) == 0 ? base : base + 2;
    snprintf(out, cap, "%s", b);
    for (int k = 2; is_reserved(cg, out); k++) snprintf(out, cap, "%s_%d", b, k);
    return reserve(cg, out);
}

/* The parameters, with their members of the weights struct; and the names the file
 * itself uses, which no function may take. */
static fg_status init(fg_codegen *cg, const fg_codegen_request *req) {
    cg->req = req;
    fg_scope *scope = fg_objects_scope_of(req->model);
    uint64_t n = 0;
    fg_tensor *const *params = NULL;
    if (scope == NULL) return cg_fail(cg, FG_E_INTERNAL, "code: main.model has no parameter scope");
    fg_status st = fg_scope_params(scope, &n, &params, &cg->err);
    if (st != FG_OK) {
        cg->failed = true;
        return st;
    }
    if (n == 0) return cg_fail(cg, FG_E_INVALID_ARG, "code: main.model has no parameters: nothing to export");
    if ((cg->params = calloc(n, sizeof *cg->params)) == NULL) return cg_fail(cg, FG_E_NOMEM, "code: out of memory");
    for (uint64_t i = 0; i < n; i++) {
        cg_param *p = &cg->params[cg->n_params++];
        char base[240];
        cg_identifier(params[i]->name, base, sizeof base);
        p->tensor = params[i];
        snprintf(p->field, sizeof p->field, "%s", base);
        for (int k = 2;; k++) { /* "a.b_c" and "a_b.c" would share a member */
            size_t j = 0;
            while (j + 1 < cg->n_params && strcmp(cg->params[j].field, p->field) != 0) j++;
            if (j + 1 == cg->n_params) break;
            snprintf(p->field, sizeof p->field, "%s_%d", base, k);
        }
        snprintf(p->expr, sizeof p->expr, "W->%s", p->field);
    }
    const char *const file_names[] = {"model",  "W",          "PARAMETERS", "N_PARAMETERS",
                                      "member", "fgc_encode", "fgc_decode"};
    const char *const api_names[] = {"forward", "load", "free", "encode", "decode"}; /* <name>_forward... */
    for (size_t i = 0; i < sizeof file_names / sizeof file_names[0] && st == FG_OK; i++)
        st = reserve(cg, file_names[i]);
    for (size_t i = 0; i < sizeof api_names / sizeof api_names[0] && st == FG_OK; i++) {
        char name[300];
        snprintf(name, sizeof name, "%s_%s", req->name, api_names[i]);
        st = reserve(cg, name);
    }
    return st;
}

/* ---- the host services -------------------------------------------------------------- */

void fg_codegen_printf(fg_codegen *cg, const char *fmt, ...) {
    if (cg == NULL || cg->failed) return;
    if (cg->body == NULL) {
        cg_fail(cg, FG_E_INVALID_ARG, "code_printf: called outside emit_code");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    cg_vprintf(cg->body, fmt, ap);
    va_end(ap);
}

const char *fg_codegen_param(fg_codegen *cg, const fg_tensor *param) {
    for (size_t i = 0; cg != NULL && param != NULL && i < cg->n_params; i++)
        if (cg->params[i].tensor == param) return cg->params[i].expr;
    return NULL;
}

static size_t find_function(const fg_codegen *cg, const void *object) {
    size_t i = 0;
    while (i < cg->n_fns && cg->fns[i].object != object) i++;
    return i;
}

/* Writes the function of a layer not written yet; *at is its entry in cg->fns. */
static fg_status emit_layer(fg_codegen *cg, const void *child, size_t *at) {
    cg_origin d;
    fg_status st = describe(cg, child, "the child given to code_call", &d);
    if (st != FG_OK) return st;
    const int32_t kind = (*(const fg_vtbl_header *const *)child)->kind;
    if (!is_layer_kind(kind))
        return cg_fail(cg, FG_E_TYPE, "code_call: %s (factory '%s' of plugin '%s') is a %s, not a layer", d.who,
                       d.factory, d.plugin, fg_kind_name(kind));
    cg_function *grown = realloc(cg->fns, (cg->n_fns + 1) * sizeof *grown);
    if (grown == NULL) return cg_fail(cg, FG_E_NOMEM, "code: out of memory");
    cg->fns = grown;
    *at = cg->n_fns++;
    cg_function *f = &cg->fns[*at];
    *f = (cg_function){child, "", false};
    if ((st = function_name(cg, d.who, f->name, sizeof f->name)) != FG_OK) return st;
    char signature[400];
    snprintf(signature, sizeof signature, "static void %s(const float *x, float *y, int T)", f->name);
    st = emit(cg, child, &d, signature, &cg->functions);
    cg->fns[*at].done = true; /* cg->fns may have moved while the children were written */
    return st;
}

static fg_status call(fg_codegen *cg, const void *child, const char *x, const char *y) {
    if (cg->failed) return cg->err.code;
    if (cg->body == NULL) return cg_fail(cg, FG_E_INVALID_ARG, "code_call: called outside emit_code");
    if (child == NULL || x == NULL || y == NULL)
        return cg_fail(cg, FG_E_INVALID_ARG, "code_call: the child, x and y must not be NULL");
    size_t at = find_function(cg, child);
    if (at == cg->n_fns) {
        const fg_status st = emit_layer(cg, child, &at);
        if (st != FG_OK) return st;
    } else if (!cg->fns[at].done) {
        return cg_fail(cg, FG_E_INVALID_ARG, "code: %s calls itself through code_call (a cycle)", cg->fns[at].name);
    }
    cg_printf(cg->body, "    %s(%s, %s, T);\n", cg->fns[at].name, x, y);
    return FG_OK;
}

fg_status fg_codegen_call(fg_codegen *cg, const void *child, const char *x, const char *y, fg_error *err) {
    if (cg == NULL) return FG_E_INVALID_ARG;
    const fg_status st = call(cg, child, x, y);
    if (st != FG_OK && err != NULL) *err = cg->err;
    return st;
}

static fg_status helper(fg_codegen *cg, const char *name, const char *definition) {
    if (cg->failed) return cg->err.code;
    if (name == NULL || definition == NULL)
        return cg_fail(cg, FG_E_INVALID_ARG, "code_helper: the name and definition must not be NULL");
    for (size_t i = 0; i < cg->n_helpers; i++)
        if (strcmp(cg->helper_defs[i][0], name) == 0)
            return strcmp(cg->helper_defs[i][1], definition) == 0
                       ? FG_OK
                       : cg_fail(cg, FG_E_INVALID_ARG, "code_helper: two definitions of helper '%s' differ", name);
    char *(*grown)[2] = realloc(cg->helper_defs, (cg->n_helpers + 1) * sizeof *grown);
    if (grown == NULL) return cg_fail(cg, FG_E_NOMEM, "code: out of memory");
    cg->helper_defs = grown;
    char *n = strdup(name), *d = strdup(definition);
    if (n == NULL || d == NULL) {
        free(n);
        free(d);
        return cg_fail(cg, FG_E_NOMEM, "code: out of memory");
    }
    cg->helper_defs[cg->n_helpers][0] = n;
    cg->helper_defs[cg->n_helpers++][1] = d;
    const size_t len = strlen(definition);
    cg_printf(&cg->helpers, "%s%s\n", definition, len > 0 && definition[len - 1] == '\n' ? "" : "\n");
    return FG_OK;
}

fg_status fg_codegen_helper(fg_codegen *cg, const char *name, const char *definition, fg_error *err) {
    if (cg == NULL) return FG_E_INVALID_ARG;
    const fg_status st = helper(cg, name, definition);
    if (st != FG_OK && err != NULL) *err = cg->err;
    return st;
}

/* ---- the whole model -------------------------------------------------------------- */

static fg_status emit_roots(fg_codegen *cg) {
    cg_origin d;
    fg_status st = describe(cg, cg->req->model, "main.model", &d);
    if (st == FG_OK) st = emit(cg, cg->req->model, &d, "static void model(const int32_t *tokens, int T, float *logits)",
                               &cg->functions);
    if (st == FG_OK) st = describe(cg, cg->req->tokenizer, "main.tokenizer", &d);
    if (st == FG_OK) st = emit(cg, cg->req->tokenizer, &d, NULL, &cg->tokenizer);
    return st;
}

static void release(fg_codegen *cg, cg_file *files, size_t n_files) {
    for (size_t i = 0; i < n_files; i++) cg_text_free(&files[i].text);
    for (size_t i = 0; i < cg->n_helpers; i++) {
        free(cg->helper_defs[i][0]);
        free(cg->helper_defs[i][1]);
    }
    for (size_t i = 0; i < cg->n_reserved; i++) free(cg->reserved[i]);
    free(cg->helper_defs);
    free(cg->reserved);
    free(cg->params);
    free(cg->fns);
    cg_text_free(&cg->helpers);
    cg_text_free(&cg->functions);
    cg_text_free(&cg->tokenizer);
}

fg_status fg_codegen_write(const fg_codegen_request *req, const char *out_dir, fg_error *err) {
    fg_codegen cg = {0};
    cg_file files[CG_MAX_FILES];
    size_t n_files = 0;
    fg_status st = init(&cg, req);
    if (st == FG_OK) st = emit_roots(&cg);
    if (st == FG_OK) st = cg_project_files(&cg, files, &n_files);
    if (st == FG_OK) st = cg_write_dir(out_dir, files, n_files, &cg.err);
    if (st != FG_OK && err != NULL) *err = cg.err;
    release(&cg, files, n_files);
    return st;
}
