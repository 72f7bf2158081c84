/* The object graph (objects.c) and Forgather's tags it cannot honour: !meta (plugin
 * factories take constructed values, never config nodes) and positional arguments (a
 * list payload, arg0/args/kwargs keys) fail validation with a message naming the place;
 * !tuple and !dlist are plain values to a factory. */
#include "config/config.h"
#include "fg_test.h"

#include <string.h>

static void expect_invalid(int line, const char *yaml, const char *const *fragments) {
    fg_test_env env;
    int rc = fg_test_env_load(&env, yaml);
    CHECK_MSG(rc != 0, "line %d: validation passed", line);
    for (; rc != 0 && *fragments != NULL; fragments++)
        CHECK_MSG(strstr(env.err.msg, *fragments) != NULL, "line %d: '%s' not in: %s", line,
                  *fragments, env.err.msg);
    fg_test_env_free(&env);
}

#define EXPECT_INVALID(yaml, ...) \
    expect_invalid(__LINE__, yaml, (const char *const[]){__VA_ARGS__, NULL})

int main(void) {
    EXPECT_INVALID("seed: 1\nopt: !meta:adamw {lr: 0.1}\n", "test.yaml:2:6: ",
                   "!meta is not supported by adamw", "use !singleton:adamw");
    EXPECT_INVALID("opt: !partial:adamw {arg0: 0.1}\n", "test.yaml:1:22: ",
                   "unknown parameter 'arg0'", "named parameters only");
    EXPECT_INVALID("opt: !partial:adamw {args: [], kwargs: {lr: 1}}\n", "unknown parameter 'args'",
                   "named parameters only");
    EXPECT_INVALID("opt: !partial:adamw [0.1]\n", "test.yaml:1:6: ",
                   "takes a mapping of named parameters, got a list", "no positional arguments");
    EXPECT_INVALID("opt: !meta:no_such_factory {}\n", "test.yaml:1:6: ", "no_such_factory");
    EXPECT_INVALID("block: !partial:pre_norm_block\n"
                   "  attention: !meta:multihead {num_heads: 4}\n",
                   "test.yaml:2:14: ", "!meta is not supported by multihead");

    /* container tags are plain values: they validate like untagged ones */
    fg_test_env env;
    int rc = fg_test_env_load(&env, "opt: !partial:adamw {lr: 0.1, betas: !tuple [0.9, 0.99]}\n"
                                    "more: !dlist {a: !partial:adamw {lr: 1}, b: ~}\n");
    CHECK_MSG(rc == 0, "%s", env.err.msg);
    fg_test_env_free(&env);
    return fg_test_finish("test_config_objects");
}
