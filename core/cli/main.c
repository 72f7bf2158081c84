/* fgrun: the command-line front end. Subcommands stay thin: they parse flags and call
 * the library. */
#include "cli/cli.h"

#include <forgather/fg_abi.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out) {
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
            "      --plugin-path DIR  search DIR for plugins first (repeatable)\n"
            "  plugins          list plugins, factories and their parameters\n"
            "      --json             machine-readable output\n"
            "      --plugin-path DIR  as above\n"
            "  version          print the version and plugin ABI\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "train") == 0) return fg_cmd_train(argc - 2, argv + 2);
    if (strcmp(argv[1], "plugins") == 0) return fg_cmd_plugins(argc - 2, argv + 2);
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("fgrun %s (plugin ABI %d.%d)\n", FG_VERSION, FG_ABI_MAJOR, FG_ABI_MINOR);
        return 0;
    }
    fprintf(stderr, "fgrun: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
