/* fgrun subcommands. Each parses its own flags and returns the process exit code. */
#ifndef FG_CLI_H
#define FG_CLI_H

#include "cli/render.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

int fg_cmd_train(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_plugins(int argc, char **argv);
/* fgrun plugin check|new; `new` is fg_cmd_plugin_new (argv after "new"). */
int fg_cmd_plugin(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_plugin_new(int argc, char **argv);
int fg_cmd_pp(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_graph(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_targets(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_ls(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_index(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_meta(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_tlist(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_runs(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_tb(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_compare(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_generate(const fg_cli_globals *g, int argc, char **argv);
int fg_cmd_code(const fg_cli_globals *g, int argc, char **argv);

struct fg_objects;
/* The name of the code generated for a config: its stem as a C identifier ("rope_gqa"). */
void fg_cli_code_name(const char *config, char *out, size_t cap);
/* Writes the standalone C project (fgrun code) of the graph's main.model and
 * main.tokenizer into out_dir. config names the config in errors and gives the name;
 * origin and weights are what the comments and README say it came from and runs on. */
fg_status fg_cli_export_code(struct fg_objects *objects, const char *config, const char *origin,
                             const char *weights, const char *out_dir, fg_error *err);

struct fg_run_list;
/* The runs under dir (or dir itself, a run directory) into list; a subdirectory that is not
 * a readable run gets a warning on stderr. Returns 0, or 1 after an error naming dir. */
int fg_cli_add_runs(struct fg_run_list *list, const char *dir);
/* The same for ./runs and the project's runs/ (fgrun train's defaults). */
int fg_cli_add_default_runs(const fg_cli_globals *g, struct fg_run_list *list);

/* The executable `name` in a PATH directory, as execv() would find it, into out. */
bool fg_cli_find_on_path(const char *name, char *out, size_t cap);

void fg_cli_usage(FILE *out);
/* Prints "fgrun: error: <msg>" to stderr and returns 1. */
int fg_cli_fail(const char *msg);
/* Reports an argument a command does not take (unknown option, missing value, extra
 * positional argument) and returns 1. */
int fg_cli_bad_argument(const char *command, const char *arg, int missing_value);
/* Option value for "--name VALUE" / "--name=VALUE" at argv[*i]; advances *i. NULL if
 * argv[*i] is not that option; sets *missing when the value is absent. */
const char *fg_cli_option(int argc, char **argv, int *i, const char *name, int *missing);

#endif
