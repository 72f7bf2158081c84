/* A minimal test harness: CHECK records a failure and goes on; fg_test_finish prints
 * the summary line and returns the exit code. */
#ifndef FG_TEST_H
#define FG_TEST_H

#include <stdio.h>

extern int fg_test_failures;
extern int fg_test_checks;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        fg_test_checks++;                                                                 \
        if (!(cond)) {                                                                    \
            fg_test_failures++;                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);      \
        }                                                                                 \
    } while (0)

#define CHECK_MSG(cond, ...)                                                              \
    do {                                                                                  \
        fg_test_checks++;                                                                 \
        if (!(cond)) {                                                                    \
            fg_test_failures++;                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
        }                                                                                 \
    } while (0)

/* The whole file, NUL-terminated (malloc'd: free it), its byte count in *len when len is
 * not NULL; NULL when it cannot be read. */
char *fg_test_read_file(const char *path, size_t *len);
/* Replaces the file's content with text (best effort: a test then checks what it reads). */
void fg_test_write_file(const char *path, const char *text);

/* Prints "<name>: N passed, M failed" and returns 0 when nothing failed. */
int fg_test_finish(const char *name);

#endif

/* A config loaded against the plugins on FG_PLUGIN_PATH (set by CTest), validated. */
#include "config/objects.h"
typedef struct fg_test_env {
    fg_registry registry;
    fg_config *config;
    fg_objects *objects;
    fg_error err;
} fg_test_env;

/* Returns 0 on success; on failure the message is in env->err. */
int fg_test_env_load(fg_test_env *env, const char *yaml);
void fg_test_env_free(fg_test_env *env);
/* Loads n copies of one factory, "c0: !singleton:FACTORY {PARAMS}" ... c<n-1>, and builds
 * them (objects of `kind`) into objs[0..n-1]. Returns 0 on success, else the message is
 * in env->err. */
int fg_test_build_copies(fg_test_env *env, const char *factory, const char *params, int32_t kind,
                         void **objs, int n);
