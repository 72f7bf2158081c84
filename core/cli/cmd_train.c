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
#include "threads/threads.h"
#include "util/error.h"

#include <forgather/fg_components.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 256

typedef struct train_options {
    const char *config;
    const char *sets[MAX_ITEMS];
    int n_sets;
    fg_var vars[MAX_ITEMS];
    int n_vars;
    const char *plugin_dirs[MAX_ITEMS];
    int n_plugin_dirs;
    int threads;
    const char *seed;
    const char *runs_dir;
    const char *resume;
} train_options;

static int parse_options(int argc, char **argv, train_options *o) {
    memset(o, 0, sizeof *o);
    o->runs_dir = "runs";
    char msg[512];
    for (int i = 0; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = fg_cli_option(argc, argv, &i, "--set", &missing)) != NULL) {
            if (o->n_sets == MAX_ITEMS) return fg_cli_fail("too many --set options");
            o->sets[o->n_sets++] = v;
        } else if ((v = fg_cli_option(argc, argv, &i, "--var", &missing)) != NULL) {
            const char *eq = strchr(v, '=');
            if (eq == NULL || eq == v) {
                snprintf(msg, sizeof msg, "--var expects NAME=VALUE, got '%s'", v);
                return fg_cli_fail(msg);
            }
            if (o->n_vars == MAX_ITEMS) return fg_cli_fail("too many --var options");
            o->vars[o->n_vars].name = strndup(v, (size_t)(eq - v));
            o->vars[o->n_vars++].yaml_value = eq + 1;
        } else if ((v = fg_cli_option(argc, argv, &i, "--plugin-path", &missing)) != NULL) {
            if (o->n_plugin_dirs == MAX_ITEMS) return fg_cli_fail("too many --plugin-path options");
            o->plugin_dirs[o->n_plugin_dirs++] = v;
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
        } else if (missing) {
            snprintf(msg, sizeof msg, "%s needs a value", argv[i]);
            return fg_cli_fail(msg);
        } else if (argv[i][0] == '-') {
            snprintf(msg, sizeof msg, "unknown option '%s' (see fgrun --help)", argv[i]);
            return fg_cli_fail(msg);
        } else if (o->config == NULL) {
            o->config = argv[i];
        } else {
            snprintf(msg, sizeof msg, "unexpected argument '%s'", argv[i]);
            return fg_cli_fail(msg);
        }
    }
    if (o->config == NULL) return fg_cli_fail("train needs a CONFIG file (fgrun train CONFIG)");
    return 0;
}

/* "examples/tiny_gpt/config.yaml" -> "tiny_gpt"; "exp/lr_sweep.yaml" -> "lr_sweep". */
static void run_name(const char *config, char *out, size_t cap) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", config);
    char *base = strrchr(path, '/');
    char *file = base ? base + 1 : path;
    char *dot = strrchr(file, '.');
    if (dot) *dot = '\0';
    if (strcmp(file, "config") == 0 && base != NULL) {
        *base = '\0';
        char *parent = strrchr(path, '/');
        file = parent ? parent + 1 : path;
    }
    snprintf(out, cap, "%s", file[0] ? file : "run");
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

int fg_cmd_train(int argc, char **argv) {
    train_options o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) return parsed < 0 ? 0 : 1;
    fg_threads_init(o.threads);

    int rc = 1;
    fg_error err = {0};
    fg_registry registry;
    fg_config *cfg = NULL;
    fg_objects *objs = NULL;
    fg_run *run = NULL;
    if (fg_registry_init(&registry, o.plugin_dirs, (size_t)o.n_plugin_dirs, &err) != FG_OK ||
        fg_registry_load_all(&registry, &err) != FG_OK)
        goto fail;
    if (fg_config_load_file(o.config, o.vars, (size_t)o.n_vars, &cfg, &err) != FG_OK) goto fail;
    for (int i = 0; i < o.n_sets; i++)
        if (fg_config_set(cfg, o.sets[i], &err) != FG_OK) goto fail;
    uint64_t seed = 42;
    if (resolve_seed(&o, cfg, &seed) != 0) goto done;
    fg_host_set_seed(seed);
    char real[PATH_MAX];
    if (realpath(o.config, real) != NULL) {
        char *slash = strrchr(real, '/');
        if (slash) *slash = '\0';
        fg_host_set_base_dir(real);
    }
    if (fg_objects_create(&registry, cfg, &objs, &err) != FG_OK || fg_objects_validate(objs, &err) != FG_OK)
        goto fail;

    char name[256];
    run_name(o.config, name, sizeof name);
    char checkpoint[4096] = "";
    if (o.resume != NULL && fg_run_find_checkpoint(o.resume, checkpoint, sizeof checkpoint, &err) != FG_OK)
        goto fail;
    if (fg_run_create(o.runs_dir, name, seed, &run, &err) != FG_OK) goto fail;
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
    /* config.yaml: the file as written; config.effective.yaml: what was used, after
     * --set and --var (feed it back to fgrun train to repeat the run). */
    const char *text = fg_config_text(cfg);
    char *effective = NULL;
    fg_status written = fg_run_write_file(run, "config.yaml", text, strlen(text), &err);
    if (written == FG_OK) written = fg_config_emit(cfg, &effective, &err);
    if (written == FG_OK) {
        char real_dir[PATH_MAX] = ".";
        if (realpath(o.config, real_dir) != NULL && strrchr(real_dir, '/') != NULL) *strrchr(real_dir, '/') = '\0';
        size_t cap = strlen(effective) + strlen(real_dir) + 200;
        char *file = malloc(cap);
        if (file == NULL) {
            written = fg_error_set(&err, FG_E_NOMEM, "out of memory");
        } else {
            int n = snprintf(file, cap, "# The configuration this run used (after --set and --var).\n"
                                        "# Relative paths in it are relative to %s\n%s", real_dir, effective);
            written = fg_run_write_file(run, "config.effective.yaml", file, (size_t)n, &err);
            free(file);
        }
    }
    free(effective);
    if (written != FG_OK || fg_run_write_environment(run, &registry, argc, argv, o.config, &err) != FG_OK)
        goto fail;

    void *trainer = NULL;
    if (fg_objects_build(objs, "main", FG_KIND_TRAINER, &trainer, &err) != FG_OK) goto fail;
    fg_run_install_signal_handlers();
    const fg_trainer_vtbl *vt = *(const fg_trainer_vtbl *const *)trainer;
    if (vt->train(trainer, run, &err) != FG_OK) goto fail;
    rc = fg_run_interrupted() ? 130 : 0;
    goto done;
fail:
    fprintf(stderr, "fgrun: error: %s\n", err.msg[0] ? err.msg : "failed without a message");
done:
    fg_objects_free(objs);
    fg_config_free(cfg);
    fg_run_free(run);
    fg_registry_free(&registry);
    for (int i = 0; i < o.n_vars; i++) free((char *)o.vars[i].name);
    return rc;
}
