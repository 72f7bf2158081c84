/* fgrun pp [FILE]: renders a template (or the project config chosen with -t) to stdout. */
#include "cli/cli.h"
#include "cli/render.h"

#include <stdio.h>
#include <string.h>

static const char PP_HELP[] =
    "usage: fgrun [-p DIR] [-t CONFIG] pp [FILE] [-I DIR]... [--var NAME=VALUE]...\n"
    "                                   [--fixed-time SECONDS] [-o OUTPUT]\n"
    "\n"
    "Renders a template to YAML text: FILE, or else the project config named by -t (default:\n"
    "the project's default config). Errors print FILE:LINE:COL: message and exit 1.\n"
    "\n"
    "  -I, --include DIR     search DIR for extended/included templates (before the\n"
    "                        file's own directory and the shared template library)\n"
    "  --var NAME=VALUE      a template variable; VALUE is YAML (3, 1.0e-3, true, text, [a, b])\n"
    "  --fixed-time SECONDS  isotime(), filetime() ... report this moment (diffable output)\n"
    "  -o, --output FILE     write to FILE instead of stdout\n";

int fg_cmd_pp(const fg_cli_globals *g, int argc, char **argv) {
    fg_render_opts o = {0};
    const char *output = NULL;
    int rc = 1;
    for (int i = 0; i < argc; i++) {
        int missing = 0, used = fg_render_option(argc, argv, &i, &o);
        const char *v;
        if (used < 0) goto done;
        if (used) continue;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(PP_HELP, stdout);
            rc = 0;
            goto done;
        }
        if ((v = fg_cli_option(argc, argv, &i, "-o", &missing)) != NULL ||
            (v = fg_cli_option(argc, argv, &i, "--output", &missing)) != NULL) {
            output = v;
        } else if (missing || argv[i][0] == '-' || o.file != NULL) {
            fg_cli_bad_argument("pp", argv[i], missing);
            goto done;
        } else {
            o.file = argv[i];
        }
    }
    fg_rendered r;
    fg_error err = {0};
    if (fg_cli_render(g, &o, &r, &err) != FG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        goto done;
    }
    FILE *out = output ? fopen(output, "w") : stdout;
    if (out == NULL) {
        perror(output);
    } else {
        fwrite(r.text, 1, r.len, out);
        fputc('\n', out);
        rc = (output ? fclose(out) : fflush(out)) == 0 ? 0 : 1;
        if (output && rc == 0) fprintf(stderr, "Wrote output to %s\n", output);
    }
    fg_rendered_free(&r);
done:
    fg_render_opts_free(&o);
    return rc;
}
