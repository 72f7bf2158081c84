#include "fg_test.h"

int fg_test_failures = 0;
int fg_test_checks = 0;

int fg_test_finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, fg_test_checks - fg_test_failures,
           fg_test_failures);
    return fg_test_failures == 0 ? 0 : 1;
}

#include <string.h>

int fg_test_env_load(fg_test_env *env, const char *yaml) {
    memset(env, 0, sizeof *env);
    if (fg_registry_init(&env->registry, NULL, 0, &env->err) != FG_OK ||
        fg_registry_load_all(&env->registry, &env->err) != FG_OK ||
        fg_config_parse(yaml, strlen(yaml), "test.yaml", NULL, 0, &env->config, &env->err) != FG_OK ||
        fg_objects_create(&env->registry, env->config, &env->objects, &env->err) != FG_OK ||
        fg_objects_validate(env->objects, &env->err) != FG_OK)
        return -1;
    return 0;
}

void fg_test_env_free(fg_test_env *env) {
    fg_objects_free(env->objects);
    fg_config_free(env->config);
    fg_registry_free(&env->registry);
}
