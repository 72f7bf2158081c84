#include "fg_test.h"

#include <stdlib.h>
#include <string.h>

int fg_test_failures = 0;
int fg_test_checks = 0;

char *fg_test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf == NULL) return NULL;
    buf[n] = '\0';
    if (len != NULL) *len = (size_t)n;
    return buf;
}

void fg_test_write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) return;
    fputs(text, f);
    fclose(f);
}

int fg_test_finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, fg_test_checks - fg_test_failures,
           fg_test_failures);
    return fg_test_failures == 0 ? 0 : 1;
}

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

int fg_test_build_copies(fg_test_env *env, const char *factory, const char *params, int32_t kind,
                         void **objs, int n) {
    char yaml[8192] = "";
    size_t len = 0;
    for (int i = 0; i < n && len < sizeof yaml; i++)
        len += (size_t)snprintf(yaml + len, sizeof yaml - len, "c%d: !singleton:%s {%s}\n", i, factory, params);
    if (len >= sizeof yaml) {
        snprintf(env->err.msg, sizeof env->err.msg, "fg_test_build_copies: config too long");
        return -1;
    }
    if (fg_test_env_load(env, yaml) != 0) return -1;
    for (int i = 0; i < n; i++) {
        char key[16];
        snprintf(key, sizeof key, "c%d", i);
        if (fg_objects_build(env->objects, key, kind, &objs[i], &env->err) != FG_OK) return -1;
    }
    return 0;
}

void fg_test_env_free(fg_test_env *env) {
    fg_objects_free(env->objects);
    fg_config_free(env->config);
    fg_registry_free(&env->registry);
}
