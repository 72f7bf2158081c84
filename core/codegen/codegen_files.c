/* The files of a generated project: <name>.h (sizes, the weights struct, the API),
 * <name>.c (what the objects wrote, framed by the forward, tokenizer and loader
 * functions), and from core/codegen/runtime/ the runtime as it is, main.c, the Makefile
 * and the README with the model's name filled in. */
#include "codegen/codegen_internal.h"

#include "codegen/codegen_assets.h"
#include "tensor/tensor.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const fg_codegen_asset *asset(const char *name) {
    for (const fg_codegen_asset *a = fg_codegen_assets; a->name != NULL; a++)
        if (strcmp(a->name, name) == 0) return a;
    return NULL;
}

typedef struct sizes {
    char name[200], NAME[200];
    int64_t vocab, max_seq_len, tokenizer_vocab;
} sizes;

static void get_sizes(const fg_codegen *cg, sizes *s) {
    const fg_codegen_request *r = cg->req;
    snprintf(s->name, sizeof s->name, "%s", r->name);
    for (size_t i = 0; i < sizeof s->NAME; i++)
        if ((s->NAME[i] = (char)toupper((unsigned char)s->name[i])) == '\0') break;
    const fg_model_vtbl *mvt = *(const fg_model_vtbl *const *)r->model;
    const fg_tokenizer_vtbl *tvt = *(const fg_tokenizer_vtbl *const *)r->tokenizer;
    s->vocab = mvt->vocab_size(r->model);
    s->max_seq_len = mvt->max_seq_len(r->model);
    s->tokenizer_vocab = tvt->vocab_size(r->tokenizer);
    if (s->tokenizer_vocab <= 0) s->tokenizer_vocab = s->vocab; /* a tokenizer that does not say */
}

static void shape_text(cg_text *t, const fg_tensor *p) {
    for (int32_t d = 0; d < p->ndim; d++) cg_printf(t, "%s%lld", d ? ", " : "", (long long)p->shape[d]);
}

static void write_header(const fg_codegen *cg, const sizes *s, cg_text *h) {
    cg_printf(h, "/* %s.h: the model of ", s->name);
    cg_comment_text(h, cg->req->origin);
    cg_printf(h,
              " as standalone C, written by\n"
              " * fgrun code (Forgather-C %s). %s.c computes it with the functions of fgc_runtime.c. */\n"
              "#ifndef %s_H\n#define %s_H\n\n#include <stdint.h>\n\n",
              FG_VERSION, s->name, s->NAME, s->NAME);
    cg_printf(h,
              "#define %s_VOCAB_SIZE %lld /* token ids the model scores */\n"
              "#define %s_MAX_SEQ_LEN %lld /* the longest sequence a forward takes */\n"
              "#define %s_D_MODEL %lld /* width of the activations between layers */\n"
              "#define %s_TOKENIZER_VOCAB_SIZE %lld /* ids the tokenizer can spell */\n\n",
              s->NAME, (long long)s->vocab, s->NAME, (long long)s->max_seq_len, s->NAME, (long long)cg->d_model,
              s->NAME, (long long)s->tokenizer_vocab);
    cg_printf(h, "/* The parameters: one float array each, row-major, as model.safetensors holds them. */\n"
                 "typedef struct %s_weights {\n", s->name);
    for (size_t i = 0; i < cg->n_params; i++) {
        cg_printf(h, "    float *%s; /* ", cg->params[i].field);
        cg_comment_text(h, cg->params[i].tensor->name);
        cg_puts(h, " [");
        shape_text(h, cg->params[i].tensor);
        cg_puts(h, "] */\n");
    }
    cg_printf(h,
              "} %s_weights;\n\n"
              "/* Reads every parameter from a safetensors file (a run's model.safetensors), checking\n"
              " * that each is there, F32 and of its shape: 0, or -1 after printing what is wrong. */\n"
              "int %s_load(%s_weights *W, const char *safetensors_path);\n"
              "void %s_free(%s_weights *W);\n"
              "/* tokens [T], T <= %s_MAX_SEQ_LEN -> logits [T, %s_VOCAB_SIZE]. One forward at a\n"
              " * time: the weights are kept in a file-level variable while it runs. */\n"
              "void %s_forward(const %s_weights *W, const int32_t *tokens, int T, float *logits);\n"
              "/* The tokenizer. encode writes at most cap ids and returns how many the whole text\n"
              " * needs; decode writes at most cap bytes of one id's text and returns how many it has\n"
              " * (0 or less: an id it cannot spell). */\n"
              "int %s_encode(const char *text, int32_t *ids, int cap);\n"
              "int %s_decode(int32_t id, char *out, int cap);\n\n"
              "#endif\n",
              s->name, s->name, s->name, s->name, s->name, s->NAME, s->NAME, s->name, s->name, s->name, s->name);
}

static void write_loader(const fg_codegen *cg, const sizes *s, cg_text *c) {
    cg_printf(c,
              "/* Every parameter: its name in the safetensors file, its shape, its member. */\n"
              "static const struct {\n"
              "    const char *name;\n"
              "    int ndim;\n"
              "    long shape[%d];\n"
              "    size_t member;\n"
              "} PARAMETERS[] = {\n",
              FG_MAX_DIMS);
    for (size_t i = 0; i < cg->n_params; i++) {
        const fg_tensor *p = cg->params[i].tensor;
        cg_puts(c, "    {");
        cg_string_literal(c, p->name);
        cg_printf(c, ", %d, {", (int)p->ndim);
        shape_text(c, p);
        cg_printf(c, "}, offsetof(%s_weights, %s)},\n", s->name, cg->params[i].field);
    }
    cg_printf(c,
              "};\n\n"
              "#define N_PARAMETERS (sizeof PARAMETERS / sizeof PARAMETERS[0])\n\n"
              "/* The member of w that parameter i is read into. */\n"
              "static float **member(%s_weights *w, size_t i) {\n"
              "    return (float **)((char *)w + PARAMETERS[i].member);\n"
              "}\n\n"
              "int %s_load(%s_weights *w, const char *safetensors_path) {\n"
              "    memset(w, 0, sizeof *w);\n"
              "    fgc_tensor_file *f = fgc_tensors_open(safetensors_path);\n"
              "    if (f == NULL) return -1;\n"
              "    for (size_t i = 0; i < N_PARAMETERS; i++) {\n"
              "        float *data =\n"
              "            fgc_tensors_read(f, PARAMETERS[i].name, PARAMETERS[i].ndim, PARAMETERS[i].shape);\n"
              "        if (data == NULL) {\n"
              "            fgc_tensors_close(f);\n"
              "            %s_free(w);\n"
              "            return -1;\n"
              "        }\n"
              "        *member(w, i) = data;\n"
              "    }\n"
              "    fgc_tensors_close(f);\n"
              "    return 0;\n"
              "}\n\n"
              "void %s_free(%s_weights *w) {\n"
              "    for (size_t i = 0; i < N_PARAMETERS; i++) {\n"
              "        fgc_free(*member(w, i));\n"
              "        *member(w, i) = NULL;\n"
              "    }\n"
              "}\n",
              s->name, s->name, s->name, s->name, s->name, s->name);
}

static void write_source(const fg_codegen *cg, const sizes *s, cg_text *c) {
    cg_printf(c, "/* %s.c: the forward pass of the model of ", s->name);
    cg_comment_text(c, cg->req->origin);
    cg_printf(c,
              ", as plain C (fgrun code,\n"
              " * Forgather-C %s). Each function below is one object of the config, named after its\n"
              " * parameter scope, under a comment naming the config node it came from. Activations\n"
              " * are [T, width] rows of floats; sizes are literals; fgc_* are in fgc_runtime.h. */\n"
              "#include \"%s.h\"\n\n#include \"fgc_runtime.h\"\n\n"
              "#include <math.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n"
              "/* The weights of the forward being computed (set by %s_forward). */\n"
              "static const %s_weights *W;\n\n",
              FG_VERSION, s->name, s->name, s->name);
    if (cg->helpers.len > 0) cg_printf(c, "/* ---- helpers the components asked for ---- */\n\n%s", cg->helpers.s);
    cg_printf(c,
              "/* ---- the model ---- */\n\n%s"
              "void %s_forward(const %s_weights *weights, const int32_t *tokens, int T, float *logits) {\n"
              "    W = weights;\n"
              "    model(tokens, T, logits);\n"
              "}\n\n"
              "/* ---- the tokenizer ---- */\n\n"
              "static int fgc_encode(const char *text, int32_t *ids, int cap);\n"
              "static int fgc_decode(int32_t id, char *out, int cap);\n\n%s"
              "int %s_encode(const char *text, int32_t *ids, int cap) { return fgc_encode(text, ids, cap); }\n"
              "int %s_decode(int32_t id, char *out, int cap) { return fgc_decode(id, out, cap); }\n\n"
              "/* ---- the weights ---- */\n\n",
              cg->functions.s, s->name, s->name, cg->tokenizer.s, s->name, s->name);
    write_loader(cg, s, c);
}

/* A template of core/codegen/runtime/ with the model's values in place of @key@. */
static fg_status expand(fg_codegen *cg, const char *tmpl, const char *const (*pairs)[2], size_t n, cg_text *out) {
    const fg_codegen_asset *a = asset(tmpl);
    if (a == NULL) return cg_fail(cg, FG_E_INTERNAL, "code: the runtime file %s was not built into the library", tmpl);
    cg_expand(out, (const char *)a->data, a->len, pairs, n);
    return FG_OK;
}

fg_status cg_project_files(fg_codegen *cg, cg_file *files, size_t *n) {
    sizes s;
    get_sizes(cg, &s);
    double numel = 0;
    for (size_t i = 0; i < cg->n_params; i++) numel += (double)cg->params[i].tensor->numel;
    char vocab[32], max_seq_len[32], n_params[32], n_tensors[32];
    snprintf(vocab, sizeof vocab, "%lld", (long long)s.vocab);
    snprintf(max_seq_len, sizeof max_seq_len, "%lld", (long long)s.max_seq_len);
    snprintf(n_params, sizeof n_params, "%.0f", numel);
    snprintf(n_tensors, sizeof n_tensors, "%zu", cg->n_params);
    const char *const pairs[][2] = {
        {"name", s.name},           {"NAME", s.NAME},         {"version", FG_VERSION},
        {"origin", cg->req->origin}, {"weights", cg->req->weights}, {"vocab", vocab},
        {"max_seq_len", max_seq_len}, {"n_params", n_params},  {"n_tensors", n_tensors},
    };
    const size_t n_pairs = sizeof pairs / sizeof pairs[0];
    *n = 7;
    memset(files, 0, *n * sizeof *files);
    snprintf(files[0].name, sizeof files[0].name, "%s.h", s.name);
    snprintf(files[1].name, sizeof files[1].name, "%s.c", s.name);
    const char *const fixed[] = {"main.c", "Makefile", "README.md", "fgc_runtime.h", "fgc_runtime.c"};
    for (size_t i = 0; i < 5; i++) snprintf(files[2 + i].name, sizeof files[2 + i].name, "%s", fixed[i]);
    write_header(cg, &s, &files[0].text);
    write_source(cg, &s, &files[1].text);
    fg_status st = expand(cg, "main.c.in", pairs, n_pairs, &files[2].text);
    if (st == FG_OK) st = expand(cg, "Makefile.in", pairs, n_pairs, &files[3].text);
    if (st == FG_OK) st = expand(cg, "README.md.in", pairs, n_pairs, &files[4].text);
    if (st == FG_OK) st = expand(cg, "fgc_runtime.h", pairs, 0, &files[5].text);
    if (st == FG_OK) st = expand(cg, "fgc_runtime.c", pairs, 0, &files[6].text);
    for (size_t i = 0; i < *n && st == FG_OK; i++)
        if (files[i].text.nomem) st = cg_fail(cg, FG_E_NOMEM, "code: out of memory writing %s", files[i].name);
    return st;
}
