/* fgrun: the command-line front end. Subcommands stay thin: they parse flags and call
 * the library. Global flags (-p DIR, -t CONFIG) come before the command, as in
 * Forgather: fgrun -t adamw.yaml train. */
#include "cli/cli.h"
#include "threads/blas_core.h"

#include <forgather/fg_abi.h>
#include <stdio.h>
#include <string.h>

typedef int (*command_fn)(const fg_cli_globals *g, int argc, char **argv);

static const struct {
    const char *name;
    command_fn run;
} COMMANDS[] = {
    {"train", fg_cmd_train}, {"pp", fg_cmd_pp},       {"graph", fg_cmd_graph},
    {"targets", fg_cmd_targets}, {"ls", fg_cmd_ls},   {"index", fg_cmd_index},
    {"meta", fg_cmd_meta},   {"tlist", fg_cmd_tlist},   {"runs", fg_cmd_runs},
    {"tb", fg_cmd_tb},       {"compare", fg_cmd_compare}, {"generate", fg_cmd_generate},
    {"plugin", fg_cmd_plugin}, {"code", fg_cmd_code},
};

int main(int argc, char **argv) {
    fg_blas_core_upgrade(argv);
    fg_cli_globals g = {0};
    int i = 1;
    for (; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = fg_cli_option(argc, argv, &i, "-p", &missing)) != NULL ||
            (v = fg_cli_option(argc, argv, &i, "--project-dir", &missing)) != NULL) {
            g.project_dir = v;
        } else if ((v = fg_cli_option(argc, argv, &i, "-t", &missing)) != NULL ||
                   (v = fg_cli_option(argc, argv, &i, "--config-template", &missing)) != NULL) {
            g.config = v;
        } else if (missing) {
            return fg_cli_bad_argument("fgrun", argv[i], 1);
        } else {
            break;
        }
    }
    if (i >= argc || strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
        strcmp(argv[i], "help") == 0) {
        fg_cli_usage(i >= argc ? stderr : stdout);
        return i >= argc ? 2 : 0;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i - 1;
    char **sub_argv = argv + i + 1;
    for (size_t c = 0; c < sizeof COMMANDS / sizeof COMMANDS[0]; c++)
        if (strcmp(cmd, COMMANDS[c].name) == 0) return COMMANDS[c].run(&g, sub_argc, sub_argv);
    if (strcmp(cmd, "plugins") == 0) return fg_cmd_plugins(sub_argc, sub_argv);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("fgrun %s (plugin ABI %d.%d)\n", FG_VERSION, FG_ABI_MAJOR, FG_ABI_MINOR);
        return 0;
    }
    fprintf(stderr, "fgrun: unknown command '%s'\n\n", cmd);
    fg_cli_usage(stderr);
    return 2;
}
