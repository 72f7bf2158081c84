/* fgrun code [CONFIG] --target model: the config's model as a standalone C project
 * (core/codegen does the work). fgrun train writes the same into each run's code/. */
#include "cli/cli.h"

#include "codegen/codegen.h"
#include "config/objects.h"
#include "generate/run_model.h"
#include "host/host_api.h"
#include "plugin/registry.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

static const char CODE_HELP[] =
    "usage: fgrun [-p DIR] [-t CONFIG] code [CONFIG] [--target model] [-o DIR] [--set KEY=VALUE]...\n"
    "                                     [--var NAME=VALUE]... [-I DIR]... [--plugin-path DIR]...\n"
    "\n"
    "Writes the config's main.model, with main.tokenizer, as a small C99 project that needs\n"
    "only libc and libm: NAME.c and NAME.h (the forward pass, one function per object of the\n"
    "config under a comment naming its config node; the tokenizer; a loader of a run's\n"
    "model.safetensors), fgc_runtime.c/.h (the layers it calls), main.c (prompt in, text\n"
    "out), a Makefile (make BLAS=1: CBLAS products; make OPENMP=1: all cores) and a\n"
    "README.md. NAME is the config's file stem. fgrun train writes the same into each run's\n"
    "code/ directory, beside model.safetensors.\n"
    "  --target model      what to write (model is the only target so far, and the default)\n"
    "  -o, --output DIR    where (default: ./NAME_code); a project written there before is\n"
    "                      replaced, any other existing directory is left alone (an error)\n"
    "  --set, --var, -I    as for fgrun train\n"
    "  --plugin-path DIR   search DIR for plugins first (repeatable)\n"
    "Every component of the model, and the tokenizer, must provide its code (an emit_code\n"
    "entry, docs/codegen.md); the error names the first that does not, with its plugin,\n"
    "factory and config location.\n";

typedef struct code_options {
    fg_render_opts render; /* config FILE, -I, --var, --fixed-time */
    fg_build_opts build;   /* --set, --plugin-path */
    const char *output;
} code_options;

/* 0 to go on, 1 after an error, -1 after --help. */
static int parse_options(int argc, char **argv, code_options *o) {
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        int missing = 0, used = fg_render_option(argc, argv, &i, &o->render);
        const char *v;
        if (used < 0) return 1;
        if (used) continue;
        if ((used = fg_build_option("code", argc, argv, &i, &o->build)) != 0) {
            if (used < 0) return 1;
        } else if ((v = fg_cli_option(argc, argv, &i, "-o", &missing)) != NULL ||
                   (v = fg_cli_option(argc, argv, &i, "--output", &missing)) != NULL) {
            o->output = v;
        } else if ((v = fg_cli_option(argc, argv, &i, "--target", &missing)) != NULL) {
            if (strcmp(v, "model") != 0) {
                fprintf(stderr, "fgrun: error: code: --target '%s' is not one of: model\n", v);
                return 1;
            }
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(CODE_HELP, stdout);
            return -1;
        } else if (missing || argv[i][0] == '-' || o->render.file != NULL) {
            return fg_cli_bad_argument("code", argv[i], missing);
        } else {
            o->render.file = argv[i];
        }
    }
    return 0;
}

void fg_cli_code_name(const char *config, char *out, size_t cap) {
    char stem[256];
    fg_cli_config_stem(config, stem, sizeof stem);
    fg_codegen_name(stem, out, cap);
}

fg_status fg_cli_export_code(fg_objects *objects, const char *config, const char *origin, const char *weights,
                             const char *out_dir, fg_error *err) {
    void *model = NULL, *tokenizer = NULL;
    const fg_model_vtbl *model_vt = NULL;
    const fg_tokenizer_vtbl *tok_vt = NULL;
    fg_status st = fg_build_main_model(objects, config, &model, &model_vt, &tokenizer, &tok_vt, err);
    if (st != FG_OK) return st;
    char name[256];
    fg_cli_code_name(config, name, sizeof name);
    const fg_codegen_request req = {objects, model, tokenizer, name, origin, weights};
    return fg_codegen_write(&req, out_dir, err);
}

/* The one YAML document of the rendered config, with --set applied, as an object graph
 * (validated) in *objs. */
static fg_status load(const code_options *o, const fg_rendered *r, fg_registry *registry, fg_config **cfg,
                      fg_objects **objs, fg_error *err) {
    char **docs = NULL;
    size_t n_docs = 0;
    fg_status st = fg_split_documents(r->text, r->len, &docs, &n_docs, err);
    if (st == FG_OK && n_docs != 1)
        st = fg_error_set(err, FG_E_INVALID_ARG, "%s: renders to %zu YAML documents; code takes one config, not a %s",
                          r->name, n_docs, n_docs == 0 ? "empty one" : "sweep");
    if (st == FG_OK)
        st = fg_config_parse(docs[0], strlen(docs[0]), r->yaml_name, o->render.vars, (size_t)o->render.n_vars, cfg,
                             err);
    for (int i = 0; i < o->build.n_sets && st == FG_OK; i++) st = fg_config_set(*cfg, o->build.sets[i], err);
    fg_free_documents(docs, n_docs);
    if (st != FG_OK) return st;
    fg_host_set_base_dir(r->base_dir);
    st = fg_objects_create(registry, *cfg, objs, err);
    return st == FG_OK ? fg_objects_validate(*objs, err) : st;
}

int fg_cmd_code(const fg_cli_globals *g, int argc, char **argv) {
    code_options o;
    const int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) {
        fg_render_opts_free(&o.render);
        return parsed < 0 ? 0 : 1;
    }
    fg_error err = {0};
    fg_registry registry;
    fg_rendered rendered = {0};
    fg_config *cfg = NULL;
    fg_objects *objs = NULL;
    char name[256], out_dir[4096];
    fg_status st = fg_registry_init(&registry, o.build.plugin_dirs, (size_t)o.build.n_plugin_dirs, &err);
    if (st == FG_OK) st = fg_registry_load_all(&registry, &err);
    if (st == FG_OK) st = fg_cli_render(g, &o.render, &rendered, &err);
    if (st == FG_OK) st = load(&o, &rendered, &registry, &cfg, &objs, &err);
    if (st == FG_OK) {
        fg_cli_code_name(rendered.name, name, sizeof name);
        snprintf(out_dir, sizeof out_dir, "%s", o.output != NULL ? o.output : name);
        if (o.output == NULL) strncat(out_dir, "_code", sizeof out_dir - strlen(out_dir) - 1);
        st = fg_cli_export_code(objs, rendered.name, rendered.name, "RUN_DIR/model.safetensors", out_dir, &err);
    }
    if (st == FG_OK)
        printf("wrote %s/: %s.c, %s.h, fgc_runtime.c, fgc_runtime.h, main.c, Makefile, README.md\n"
               "build with: make -C %s; run with: %s/%s RUN_DIR/model.safetensors --prompt TEXT\n",
               out_dir, name, name, out_dir, out_dir, name);
    else
        fprintf(stderr, "fgrun: error: %s\n", err.msg[0] ? err.msg : "failed without a message");
    fg_objects_free(objs);
    fg_config_free(cfg);
    fg_rendered_free(&rendered);
    fg_registry_free(&registry);
    fg_render_opts_free(&o.render);
    return st == FG_OK ? 0 : 1;
}
