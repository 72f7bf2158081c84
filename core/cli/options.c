#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

void fg_cli_usage(FILE *out) {
    fprintf(out,
            "usage: fgrun <command> [options]\n"
            "\n"
            "commands:\n"
            "  train CONFIG     train the config's main target (a trainer)\n"
            "      --set KEY=VALUE    override a config value (dotted path, YAML value)\n"
            "      --var NAME=VALUE   value for !var NAME\n"
            "      --threads N        compute threads (default: all cores)\n"
            "      --seed N           seed for initialisation (default: the config's `seed`, else 42)\n"
            "      --runs-dir DIR     where run directories go (default: runs)\n"
            "      --resume PATH      continue from a checkpoint, or a run directory's latest one\n"
            "      --plugin-path DIR  search DIR for plugins first (repeatable)\n"
            "  plugins          list plugins, factories and their parameters\n"
            "      --json             machine-readable output\n"
            "      --plugin-path DIR  as above\n"
            "  version          print the version and plugin ABI\n");
}

int fg_cli_fail(const char *msg) {
    fprintf(stderr, "fgrun: error: %s\n", msg);
    return 1;
}

const char *fg_cli_option(int argc, char **argv, int *i, const char *name, int *missing) {
    size_t len = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, len) != 0) return NULL;
    if (arg[len] == '=') return arg + len + 1;
    if (arg[len] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    *i += 1;
    return argv[*i];
}
