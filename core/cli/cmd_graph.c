/* fgrun graph / fgrun targets: the configuration after rendering and tag resolution. */
#include "cli/cli.h"
#include "cli/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char GRAPH_HELP[] =
    "usage: fgrun [-p DIR] [-t CONFIG] graph [FILE] [--format yaml|dot] [-I DIR]...\n"
    "                                      [--var NAME=VALUE]... [-o OUTPUT]\n"
    "\n"
    "Prints the object graph of a config after template rendering and tag resolution: each\n"
    "constructor node with its kind (singleton, partial, factory, meta, dict, list, var),\n"
    "factory and parameters; nodes used more than once are defined once and referenced.\n"
    "--format dot gives a Graphviz digraph (fgrun graph --format dot | dot -Tsvg > g.svg).\n";

static const char TARGETS_HELP[] =
    "usage: fgrun [-p DIR] [-t CONFIG] targets [FILE] [-I DIR]... [--var NAME=VALUE]...\n"
    "\n"
    "Prints the config's targets: its top-level keys (keys starting with '.' are private).\n";

typedef enum { SHOW_GRAPH, SHOW_TARGETS } show_what;

static int show(const fg_cli_globals *g, int argc, char **argv, show_what what) {
    fg_render_opts o = {0};
    fg_graph_format format = FG_GRAPH_YAML;
    const char *output = NULL;
    const char *cmd = what == SHOW_GRAPH ? "graph" : "targets";
    int rc = 1;
    for (int i = 0; i < argc; i++) {
        int missing = 0, used = fg_render_option(argc, argv, &i, &o);
        const char *v;
        if (used < 0) goto done;
        if (used) continue;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(what == SHOW_GRAPH ? GRAPH_HELP : TARGETS_HELP, stdout);
            rc = 0;
            goto done;
        }
        if (what == SHOW_GRAPH && (v = fg_cli_option(argc, argv, &i, "--format", &missing)) != NULL) {
            if (strcmp(v, "yaml") == 0) {
                format = FG_GRAPH_YAML;
            } else if (strcmp(v, "dot") == 0) {
                format = FG_GRAPH_DOT;
            } else {
                char msg[256];
                snprintf(msg, sizeof msg, "graph --format must be yaml or dot, not '%s'", v);
                fg_cli_fail(msg);
                goto done;
            }
        } else if (what == SHOW_GRAPH && ((v = fg_cli_option(argc, argv, &i, "-o", &missing)) != NULL ||
                                          (v = fg_cli_option(argc, argv, &i, "--output", &missing)) != NULL)) {
            output = v;
        } else if (missing || argv[i][0] == '-' || o.file != NULL) {
            fg_cli_bad_argument(cmd, argv[i], missing);
            goto done;
        } else {
            o.file = argv[i];
        }
    }
    fg_rendered r;
    fg_error err = {0};
    char **docs = NULL;
    size_t n_docs = 0;
    if (fg_cli_render(g, &o, &r, &err) != FG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        goto done;
    }
    FILE *out = output ? fopen(output, "w") : stdout;
    if (out == NULL) {
        perror(output);
        goto free_rendered;
    }
    if (fg_split_documents(r.text, r.len, &docs, &n_docs, &err) != FG_OK) goto fail;
    for (size_t d = 0; d < n_docs; d++) {
        fg_config *cfg = NULL;
        if (fg_config_parse(docs[d], strlen(docs[d]), r.yaml_name, o.vars, (size_t)o.n_vars, &cfg, &err) != FG_OK)
            goto fail;
        if (n_docs > 1) fprintf(out, "%s--- # run %zu of %zu\n", d ? "\n" : "", d + 1, n_docs);
        if (what == SHOW_TARGETS) {
            const fg_node *root = fg_config_root(cfg);
            for (size_t k = 0; root->type == FG_NODE_MAP && k < root->n; k++) fprintf(out, "%s\n", root->keys[k]);
        } else {
            char *text = NULL;
            fg_status st = fg_config_graph(cfg, format, &text, &err);
            if (st == FG_OK) fputs(text, out);
            free(text);
            if (st != FG_OK) {
                fg_config_free(cfg);
                goto fail;
            }
        }
        fg_config_free(cfg);
    }
    rc = 0;
    goto close;
fail:
    fprintf(stderr, "%s\n", err.msg);
close:
    if (output) {
        if (fclose(out) != 0) rc = 1;
        else if (rc == 0) fprintf(stderr, "Wrote output to %s\n", output);
    }
free_rendered:
    fg_free_documents(docs, n_docs);
    fg_rendered_free(&r);
done:
    fg_render_opts_free(&o);
    return rc;
}

int fg_cmd_graph(const fg_cli_globals *g, int argc, char **argv) { return show(g, argc, argv, SHOW_GRAPH); }
int fg_cmd_targets(const fg_cli_globals *g, int argc, char **argv) { return show(g, argc, argv, SHOW_TARGETS); }
