/* Finding the helper programs some commands start (tensorboard, gnuplot). */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool fg_cli_find_on_path(const char *name, char *out, size_t cap) {
    const char *path = getenv("PATH");
    if (path == NULL) return false;
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        struct stat sb;
        /* an empty PATH entry means the working directory */
        snprintf(out, cap, "%.*s/%s", (int)(len ? len : 1), len ? p : ".", name);
        if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode) && access(out, X_OK) == 0) return true;
        if (end == NULL) return false;
        p = end;
    }
}
