/* fgrun subcommands. Each parses its own flags and returns the process exit code. */
#ifndef FG_CLI_H
#define FG_CLI_H

#include <stdio.h>

int fg_cmd_train(int argc, char **argv);
int fg_cmd_plugins(int argc, char **argv);

void fg_cli_usage(FILE *out);
/* Prints "fgrun: error: <msg>" to stderr and returns 1. */
int fg_cli_fail(const char *msg);
/* Option value for "--name VALUE" / "--name=VALUE" at argv[*i]; advances *i. NULL if
 * argv[*i] is not that option; sets *missing when the value is absent. */
const char *fg_cli_option(int argc, char **argv, int *i, const char *name, int *missing);

#endif
