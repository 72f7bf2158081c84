/* fgrun: the command-line front end. Subcommands stay thin: they parse flags and call
 * the library. */
#include "cli/cli.h"

#include <forgather/fg_abi.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fg_cli_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "train") == 0) return fg_cmd_train(argc - 2, argv + 2);
    if (strcmp(argv[1], "plugins") == 0) return fg_cmd_plugins(argc - 2, argv + 2);
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("fgrun %s (plugin ABI %d.%d)\n", FG_VERSION, FG_ABI_MAJOR, FG_ABI_MINOR);
        return 0;
    }
    fprintf(stderr, "fgrun: unknown command '%s'\n\n", argv[1]);
    fg_cli_usage(stderr);
    return 2;
}
