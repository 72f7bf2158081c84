/* Fuzz target for the template engine: preprocess, parse and render arbitrary bytes as a
 * template (sub-templates split off with `#---- name ----` lines are loadable, so
 * extends/include/import get exercised), with a few variables of each kind defined.
 * Work, memory and depth are capped lower than in real use so each input stays fast.
 * Besides crashes, leaks and undefined behaviour it checks the error contract: a failure
 * has an error code and a non-empty message; a success has output of the stated length. */
#include "template/template.h"
#include "template/tpl_render.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *yaml;
} VARS[] = {
    {"n", "3"}, {"lr", "1.0e-3"}, {"flag", "true"}, {"name", "tiny"}, {"none", "~"},
    {"items", "[1, two, 3.5, [4], {k: v}]"}, {"cfg", "{a: 1, b: {c: [x, y]}}"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fg_template_env *env = NULL;
    fg_error err = {0};
    if (fg_template_env_new(&env, &err) != FG_OK) return 0;
    tpl_env_set_limits(env, 200000, (size_t)16 << 20, 64);
    fg_template_env_fix_time(env, 1700000000);
    for (size_t i = 0; i < sizeof VARS / sizeof VARS[0]; i++)
        if (fg_template_env_set_var(env, VARS[i].name, VARS[i].yaml, &err) != FG_OK) abort();
    char *out = NULL;
    size_t len = 0;
    fg_status st = fg_template_render_string(env, "fuzz.yaml", (const char *)data, size, &out, &len, &err);
    if (st == FG_OK) {
        if (out == NULL || strlen(out) > len) abort(); /* output may hold NULs, never less */
    } else if (err.code == FG_OK || err.msg[0] == '\0') {
        fprintf(stderr, "failure without an error message (status %d)\n", st);
        abort();
    }
    free(out);
    fg_template_env_free(env);
    return 0;
}
