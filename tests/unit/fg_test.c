#include "fg_test.h"

#include <math.h>
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

fg_tensor *fg_test_tensor(int32_t dtype, int32_t ndim, const int64_t *shape, int is_param) {
    fg_tensor *t = calloc(1, sizeof *t);
    if (t == NULL || fg_tensor_set_shape(t, ndim, shape) != 0) {
        free(t);
        return NULL;
    }
    t->dtype = dtype;
    t->name = "";
    t->data = calloc((size_t)t->numel, fg_dtype_size(dtype));
    if (dtype == FG_DTYPE_F32) {
        t->flags = FG_T_NEEDS_GRAD | (is_param ? FG_T_PARAM : 0u);
        if (is_param) t->grad = calloc((size_t)t->numel, sizeof(float));
    }
    return t;
}

void fg_test_tensor_free(fg_tensor *t) {
    if (t == NULL) return;
    if (t->flags & FG_T_PARAM) free(t->grad);
    free(t->data);
    free(t);
}

static uint64_t uniform_state = 0x243F6A8885A308D3ull;

double fg_test_uniform(double lo, double hi) {
    uniform_state = uniform_state * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * ((double)(uniform_state >> 11) / 9007199254740992.0);
}

void fg_test_seed(const char *name) {
    uniform_state = 0x243F6A8885A308D3ull; /* FNV-1a of the name from a fixed basis */
    for (; *name; name++) uniform_state = (uniform_state ^ (unsigned char)*name) * 1099511628211ull;
}

/* How far the analytic value is outside the tolerance around numeric (<= 0: inside). */
static double excess(double analytic, double numeric, const fg_test_fd *tol) {
    return fabs(numeric - analytic) - (tol->atol + tol->rtol * fmax(fabs(analytic), fabs(numeric)));
}

double fg_test_fd_check(const char *what, float *x, const float *grad, int64_t n, int64_t stride,
                        fg_test_objective f, void *ctx, const fg_test_fd *tol) {
    double worst = 0.0;
    for (int64_t k = 0; k < n; k += stride > 0 ? stride : 1) {
        const float saved = x[k];
        const float up = (float)(saved + tol->eps), down = (float)(saved - tol->eps);
        x[k] = up;
        const double fp = f(ctx);
        x[k] = down;
        const double fm = f(ctx);
        x[k] = saved;
        const double analytic = grad[k];
        double numeric = (fp - fm) / ((double)up - (double)down);
        if (excess(analytic, numeric, tol) > 0) {
            /* A kink of a piecewise-linear op (relu) between x - eps and x + eps spoils the
             * central difference; the one-sided difference away from it still holds. */
            const double f0 = f(ctx);
            const double right = (fp - f0) / ((double)up - saved);
            const double left = (f0 - fm) / ((double)saved - down);
            if (excess(analytic, right, tol) <= 0) numeric = right;
            else if (excess(analytic, left, tol) <= 0) numeric = left;
        }
        worst = fmax(worst, fabs(numeric - analytic));
        CHECK_MSG(excess(analytic, numeric, tol) <= 0, "%s[%lld]: analytic %.6f numeric %.6f", what,
                  (long long)k, analytic, numeric);
    }
    return worst;
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
