/* fgrun train CONFIG: load plugins and config, validate, create the run directory,
 * build the main trainer and run it. */
#define _DEFAULT_SOURCE
#include "cli/cli.h"

#include "config/config.h"
#include "config/objects.h"
#include "host/host_api.h"
#include "plugin/registry.h"
#include "run/environment.h"
#include "run/run.h"
#include "run/run_log.h"
#include "run/run_status.h"
#include "threads/threads.h"
#include "util/error.h"

#include <inttypes.h>
#include <math.h>

#include <forgather/fg_components.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct train_options {
    fg_render_opts render; /* config FILE, -I, --var, --fixed-time */
    fg_build_opts build;   /* --set, --plugin-path */
    int threads;
    const char *seed;
    const char *runs_dir;
    const char *resume;
} train_options;

static int parse_options(int argc, char **argv, train_options *o) {
    memset(o, 0, sizeof *o);
    char msg[512];
    for (int i = 0; i < argc; i++) {
        int missing = 0, used = fg_render_option(argc, argv, &i, &o->render);
        const char *v;
        if (used < 0) return 1;
        if (used) continue;
        if ((used = fg_build_option("train", argc, argv, &i, &o->build)) != 0) {
            if (used < 0) return 1;
        } else if ((v = fg_cli_option(argc, argv, &i, "--threads", &missing)) != NULL) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end != '\0' || n < 1 || n > 1024) {
                snprintf(msg, sizeof msg, "--threads expects a number from 1 to 1024, got '%s'", v);
                return fg_cli_fail(msg);
            }
            o->threads = (int)n;
        } else if ((v = fg_cli_option(argc, argv, &i, "--seed", &missing)) != NULL) {
            o->seed = v;
        } else if ((v = fg_cli_option(argc, argv, &i, "--resume", &missing)) != NULL) {
            o->resume = v;
        } else if ((v = fg_cli_option(argc, argv, &i, "--runs-dir", &missing)) != NULL) {
            o->runs_dir = v;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fg_cli_usage(stdout);
            return -1;
        } else if (missing || argv[i][0] == '-' || o->render.file != NULL) {
            return fg_cli_bad_argument("train", argv[i], missing);
        } else {
            o->render.file = argv[i];
        }
    }
    return 0;
}

static int resolve_seed(const train_options *o, const fg_config *cfg, uint64_t *seed) {
    if (o->seed != NULL) {
        char *end;
        unsigned long long v = strtoull(o->seed, &end, 10);
        if (*end != '\0' || o->seed[0] == '-') return fg_cli_fail("--seed expects a non-negative integer");
        *seed = v;
        return 0;
    }
    const fg_node *n = fg_node_get(fg_config_root(cfg), "seed");
    if (n == NULL) {
        *seed = 42;
        return 0;
    }
    if (n->type != FG_NODE_INT || n->i < 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s:%d:%d: seed must be a non-negative integer", n->loc.file, n->loc.line,
                 n->loc.column);
        return fg_cli_fail(msg);
    }
    *seed = (uint64_t)n->i;
    return 0;
}

/* Where one run of a (possibly swept) config ended up, for the sweep table. */
typedef struct run_result {
    char name[256];
    char dir[4096];
    int rc;
    double loss, eval_loss, tokens_per_s;
    int64_t steps;
} run_result;

/* The final figures of a run from its trainer_logs.json: last loss, eval_loss, speed. */
static void read_final_metrics(run_result *res) {
    res->loss = res->eval_loss = res->tokens_per_s = NAN;
    res->steps = -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/trainer_logs.json", res->dir);
    fg_run_log log;
    fg_error ignored = {0};
    if (fg_run_log_read(path, &log, &ignored) != FG_OK) return;
    fg_run_log_summary sum;
    fg_run_log_summarize(&log, &sum);
    fg_run_log_free(&log);
    res->steps = sum.last_step;
    res->loss = sum.loss;
    res->eval_loss = sum.last_eval_loss;
    res->tokens_per_s = sum.tokens_per_s;
}

static void print_sweep_table(const run_result *res, size_t n) {
    printf("\n%-24s %8s %10s %10s %12s  %s\n", "run", "steps", "loss", "eval_loss", "tokens/s", "directory");
    for (size_t i = 0; i < n; i++) {
        if (res[i].rc != 0) {
            printf("%-24s %8s %10s %10s %12s  %s\n", res[i].name, "-", "FAILED", "-", "-",
                   res[i].dir[0] ? res[i].dir : "(not created)");
            continue;
        }
        printf("%-24s %8" PRId64 " %10.4f %10.4f %12.0f  %s\n", res[i].name, res[i].steps, res[i].loss,
               res[i].eval_loss, res[i].tokens_per_s, res[i].dir);
    }
}

/* Copies every template the render loaded into <run>/templates/, so a run keeps the
 * exact sources it was made from (sub-templates travel inside their host file). */
static fg_status save_template_sources(fg_run *run, const fg_template_env *env, fg_error *err) {
    const fg_template_ref *refs = NULL;
    size_t n = fg_template_env_loaded(env, &refs);
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++) seen |= strcmp(refs[j].path, refs[i].path) == 0;
        if (seen || refs[i].path == NULL) continue;
        FILE *f = fopen(refs[i].path, "rb");
        if (f == NULL) continue; /* an in-memory template has no file */
        char *text = NULL;
        size_t len = 0;
        fg_status st = FG_OK;
        if (fseek(f, 0, SEEK_END) == 0) {
            long size = ftell(f);
            rewind(f);
            text = size >= 0 ? malloc((size_t)size + 1) : NULL;
            len = text ? fread(text, 1, (size_t)size, f) : 0;
        }
        fclose(f);
        char file[4200];
        const char *name = refs[i].name[0] == '/' ? strrchr(refs[i].name, '/') + 1 : refs[i].name;
        snprintf(file, sizeof file, "templates/%s", name);
        for (char *c = file; *c; c++)
            if (c[0] == '.' && c[1] == '.') c[0] = c[1] = '_'; /* stay inside the run dir */
        if (text != NULL) st = fg_run_write_file(run, file, text, len, err);
        free(text);
        if (st != FG_OK) return st;
    }
    return FG_OK;
}

typedef struct train_context {
    const train_options *o;
    fg_registry *registry;
    const fg_rendered *rendered;
    int argc;
    char **argv;
} train_context;

/* The run's code/ (what fgrun code writes) beside the model.safetensors the trainer
 * saved: a model that cannot be exported costs a warning, never the run. */
static void write_run_code(const train_context *c, fg_objects *objs, const fg_run *run) {
    char weights[4200], out_dir[4200], origin[8400];
    snprintf(weights, sizeof weights, "%s/model.safetensors", run->dir);
    if (access(weights, F_OK) != 0) return; /* args.save_model: false */
    snprintf(out_dir, sizeof out_dir, "%s/code", run->dir);
    snprintf(origin, sizeof origin, "%s, run %s", c->rendered->name, run->dir);
    fg_error err = {0};
    if (fg_cli_export_code(objs, c->rendered->name, origin, "../model.safetensors", out_dir, &err) == FG_OK)
        fprintf(stderr, "standalone C code: %s (see its README.md)\n", out_dir);
    else
        fprintf(stderr, "fgrun: warning: %s; the run has no code/ directory\n", err.msg);
}

/* Builds and trains one YAML document of the rendered config. */
static int train_one(const train_context *c, const char *doc, run_result *res) {
    const train_options *o = c->o;
    int rc = 1;
    fg_error err = {0};
    fg_config *cfg = NULL;
    fg_objects *objs = NULL;
    fg_run *run = NULL;
    if (fg_config_parse(doc, strlen(doc), c->rendered->yaml_name, o->render.vars, (size_t)o->render.n_vars, &cfg,
                        &err) != FG_OK)
        goto fail;
    for (int i = 0; i < o->build.n_sets; i++)
        if (fg_config_set(cfg, o->build.sets[i], &err) != FG_OK) goto fail;
    uint64_t seed = 42;
    if (resolve_seed(o, cfg, &seed) != 0) goto done;
    fg_host_set_seed(seed);
    fg_host_set_base_dir(c->rendered->base_dir);
    if (fg_objects_create(c->registry, cfg, &objs, &err) != FG_OK || fg_objects_validate(objs, &err) != FG_OK)
        goto fail;

    char checkpoint[4096] = "";
    if (o->resume != NULL && fg_run_find_checkpoint(o->resume, checkpoint, sizeof checkpoint, &err) != FG_OK)
        goto fail;
    char runs_dir[4200];
    if (o->runs_dir != NULL)
        snprintf(runs_dir, sizeof runs_dir, "%s", o->runs_dir);
    else if (o->render.file == NULL)
        snprintf(runs_dir, sizeof runs_dir, "%s/runs", c->rendered->base_dir);
    else
        snprintf(runs_dir, sizeof runs_dir, "runs");
    if (fg_run_create(runs_dir, res->name, seed, &run, &err) != FG_OK) goto fail;
    snprintf(res->dir, sizeof res->dir, "%s", run->dir);
    if (checkpoint[0] != '\0') {
        /* A resumed run gets a directory of its own; run.json's command names the source. */
        run->resume_dir = realpath(checkpoint, NULL);
        if (run->resume_dir == NULL) {
            fg_error_set(&err, FG_E_IO, "%s: %s", checkpoint, strerror(errno));
            goto fail;
        }
        fprintf(stderr, "resuming from: %s\n", run->resume_dir);
    }
    fprintf(stderr, "run directory: %s\n", run->dir);
    /* config.yaml: the rendered config as loaded; config.effective.yaml: what was used,
     * after --set and --var (feed it back to fgrun train to repeat the run); templates/:
     * the sources it was rendered from. */
    const char *text = fg_config_text(cfg);
    while (*text == '\n') text++; /* padding that kept a sweep document's line numbers */
    char *effective = NULL;
    fg_status written = fg_run_write_file(run, "config.yaml", text, strlen(text), &err);
    if (written == FG_OK) written = fg_config_emit(cfg, &effective, &err);
    if (written == FG_OK) {
        size_t cap = strlen(effective) + strlen(c->rendered->base_dir) + 200;
        char *file = malloc(cap);
        if (file == NULL) {
            written = fg_error_set(&err, FG_E_NOMEM, "out of memory");
        } else {
            int n = snprintf(file, cap, "# The configuration this run used (after --set and --var).\n"
                                        "# Relative paths in it are relative to %s\n%s",
                             c->rendered->base_dir, effective);
            written = fg_run_write_file(run, "config.effective.yaml", file, (size_t)n, &err);
            free(file);
        }
    }
    free(effective);
    if (written == FG_OK) written = save_template_sources(run, c->rendered->env, &err);
    if (written != FG_OK ||
        fg_run_write_environment(run, c->registry, c->argc, c->argv, c->rendered->name, c->rendered->base_dir,
                                 &err) != FG_OK)
        goto fail;

    void *trainer = NULL;
    if (fg_objects_build(objs, "main", FG_KIND_TRAINER, &trainer, &err) != FG_OK) goto fail;
    fg_run_install_signal_handlers();
    const fg_trainer_vtbl *vt = *(const fg_trainer_vtbl *const *)trainer;
    if (vt->train(trainer, run, &err) != FG_OK) goto fail;
    rc = fg_run_interrupted() ? FG_RUN_EXIT_INTERRUPTED : 0;
    write_run_code(c, objs, run);
    goto done;
fail:
    fprintf(stderr, "fgrun: error: %s\n", err.msg[0] ? err.msg : "failed without a message");
done:
    /* status.json: how the run ended (a run dir without one was killed, or still runs) */
    if (run != NULL) {
        fg_error status_err = {0};
        if (fg_run_write_status(run, rc, err.msg, &status_err) != FG_OK)
            fprintf(stderr, "fgrun: warning: %s\n", status_err.msg);
    }
    fg_objects_free(objs);
    fg_config_free(cfg);
    fg_run_free(run);
    return rc;
}

/* A sweep run's name: the document's root `run_name` when it has one, else NAME-K. */
static void sweep_run_name(const char *doc, const char *base, size_t k, char *out, size_t cap) {
    snprintf(out, cap, "%s-%zu", base, k + 1);
    fg_config *cfg = NULL;
    fg_error ignored = {0};
    if (fg_config_parse(doc, strlen(doc), "sweep", NULL, 0, &cfg, &ignored) != FG_OK) return;
    const fg_node *n = fg_node_get(fg_config_root(cfg), "run_name");
    if (n != NULL && n->type == FG_NODE_STR && n->s[0] != '\0' && strchr(n->s, '/') == NULL)
        snprintf(out, cap, "%s", n->s);
    fg_config_free(cfg);
}

int fg_cmd_train(const fg_cli_globals *g, int argc, char **argv) {
    train_options o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) {
        fg_render_opts_free(&o.render);
        return parsed < 0 ? 0 : 1;
    }
    fg_threads_init(o.threads);

    int rc = 1;
    fg_error err = {0};
    fg_registry registry;
    fg_rendered rendered = {0};
    char **docs = NULL;
    size_t n_docs = 0;
    run_result *results = NULL;
    if (fg_registry_init(&registry, o.build.plugin_dirs, (size_t)o.build.n_plugin_dirs, &err) != FG_OK ||
        fg_registry_load_all(&registry, &err) != FG_OK || fg_cli_render(g, &o.render, &rendered, &err) != FG_OK ||
        fg_split_documents(rendered.text, rendered.len, &docs, &n_docs, &err) != FG_OK) {
        fprintf(stderr, "fgrun: error: %s\n", err.msg[0] ? err.msg : "failed without a message");
        goto done;
    }
    if (n_docs == 0) {
        fprintf(stderr, "fgrun: error: %s: the config is empty after rendering\n", rendered.name);
        goto done;
    }
    if ((results = calloc(n_docs, sizeof *results)) == NULL) {
        fg_cli_fail("out of memory");
        goto done;
    }
    char base[256];
    fg_cli_config_stem(rendered.name, base, sizeof base);
    train_context ctx = {.o = &o, .registry = &registry, .rendered = &rendered, .argc = argc, .argv = argv};
    rc = 0;
    for (size_t k = 0; k < n_docs && !fg_run_interrupted(); k++) {
        if (n_docs > 1) {
            sweep_run_name(docs[k], base, k, results[k].name, sizeof results[k].name);
            fprintf(stderr, "== sweep run %zu of %zu: %s\n", k + 1, n_docs, results[k].name);
        } else {
            snprintf(results[k].name, sizeof results[k].name, "%s", base);
        }
        results[k].rc = train_one(&ctx, docs[k], &results[k]);
        if (results[k].rc != 0 && rc == 0) rc = results[k].rc;
        if (results[k].rc == 0) read_final_metrics(&results[k]);
    }
    if (n_docs > 1) print_sweep_table(results, n_docs);
done:
    free(results);
    fg_free_documents(docs, n_docs);
    fg_rendered_free(&rendered);
    fg_registry_free(&registry);
    fg_render_opts_free(&o.render);
    return rc;
}
