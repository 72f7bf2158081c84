#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv, strcasecmp */
#include "threads/blas_core.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

/* Set in the restarted process: the kernel set it had before, so the record can say. */
#define FROM_ENV "FG_BLAS_CORETYPE_FROM"

/* The OpenBLAS core names whose kernels use AVX-512 (OpenBLAS's own names). */
static int is_avx512_core(const char *core) {
    static const char *const names[] = {"skylakex", "cooperlake", "sapphirerapids", NULL};
    for (int i = 0; names[i] != NULL; i++)
        if (strcasecmp(core, names[i]) == 0) return 1;
    return 0;
}

/* The AVX-512 kernel set this CPU can run, or NULL. __builtin_cpu_supports also checks
 * that the OS saves the AVX-512 registers. Cooperlake's set adds BF16 instructions
 * (CPUID leaf 7, subleaf 1, EAX bit 5). */
static const char *best_core(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512dq") || !__builtin_cpu_supports("avx512vl"))
        return NULL;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 5))) return "Cooperlake";
    return "SkylakeX";
#else
    return NULL;
#endif
}

void fg_blas_core_upgrade(char **argv) {
    const char *keep = getenv("FG_BLAS_CORETYPE");
    if (keep != NULL && strcmp(keep, "keep") == 0) return;
    if (getenv(FROM_ENV) != NULL) return; /* already restarted once */
    const char *loaded = openblas_get_corename();
    const char *best = best_core();
    if (best == NULL || loaded == NULL || is_avx512_core(loaded)) return;
    if (setenv(FROM_ENV, loaded, 1) != 0 || setenv("OPENBLAS_CORETYPE", best, 1) != 0) return;
    execv("/proc/self/exe", argv);
    fprintf(stderr, "fgrun: warning: OpenBLAS runs its %s kernels on a CPU with AVX-512 and "
                    "restarting with OPENBLAS_CORETYPE=%s failed; matrix products run slower\n",
            loaded, best);
    unsetenv(FROM_ENV);
}

const char *fg_blas_core_change(void) {
    static char text[128];
    const char *from = getenv(FROM_ENV);
    if (from == NULL) return "";
    snprintf(text, sizeof text, "%s -> %s (the CPU has AVX-512)", from, openblas_get_corename());
    return text;
}
