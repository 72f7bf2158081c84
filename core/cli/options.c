#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

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
