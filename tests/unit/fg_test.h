/* A minimal test harness: CHECK records a failure and goes on; fg_test_finish prints
 * the summary line and returns the exit code. */
#ifndef FG_TEST_H
#define FG_TEST_H

#include "tensor/tensor.h"

#include <stdint.h>
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

/* A tensor owned by the test (zeroed data): a parameter (is_param) keeps its own gradient
 * buffer; any other F32 tensor is marked as needing a gradient, which the graph provides
 * during backward. Free with fg_test_tensor_free. */
fg_tensor *fg_test_tensor(int32_t dtype, int32_t ndim, const int64_t *shape, int is_param);
void fg_test_tensor_free(fg_tensor *t);
/* Uniform in [lo, hi) from a fixed-seed generator: the same sequence every run.
 * fg_test_seed restarts it, e.g. from a case's name, so a case's numbers do not depend
 * on the cases before it. */
double fg_test_uniform(double lo, double hi);
void fg_test_seed(const char *name);

/* Gradient checks by central finite differences. The objective runs a fresh forward and
 * returns a scalar accumulated in double (e.g. sum(out * R) for a fixed random R). */
typedef double (*fg_test_objective)(void *ctx);
typedef struct fg_test_fd {
    double eps;        /* step, added to and subtracted from each float */
    double atol, rtol; /* pass when |a - n| <= atol + rtol * max(|a|, |n|) */
} fg_test_fd;
/* Perturbs every stride-th of the n floats of x in turn (restoring it) and compares
 * (f(x+) - f(x-)) / (x+ - x-), the step as actually rounded to float, with grad[k]: one
 * CHECK per element, failures named "<what>[k]". When that fails, a one-sided difference
 * that matches passes instead: a relu's kink between x- and x+ spoils only the central
 * one. Returns the largest |analytic - numeric| (of the difference that was used). */
double fg_test_fd_check(const char *what, float *x, const float *grad, int64_t n, int64_t stride,
                        fg_test_objective f, void *ctx, const fg_test_fd *tol);

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
