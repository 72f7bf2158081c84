/* Choosing OpenBLAS's kernels. OpenBLAS picks its kernel set (its "core type") once, when
 * the library loads, from OPENBLAS_CORETYPE or its own CPU detection. Debian's 0.3.21 does
 * not know AMD Zen 5 and may be told (or fall back to) Haswell's AVX2 kernels on a CPU
 * with AVX-512: single-precision GEMM then runs at half speed (1024^3, 2 threads on this
 * project's Zen 5 machines: 251 GFLOP/s with Haswell's kernels, 465 with Cooperlake's,
 * 478 with SkylakeX's). fgrun checks at start-up and, when the CPU has AVX-512 but an
 * AVX2 or older kernel set is loaded, restarts itself once with the AVX-512 set, so users
 * need not know any of this. FG_BLAS_CORETYPE=keep keeps whatever was loaded. */
#ifndef FG_CORE_BLAS_CORE_H
#define FG_CORE_BLAS_CORE_H

#include <stddef.h>

/* Restarts the process (execv of /proc/self/exe with argv) with OPENBLAS_CORETYPE set to
 * the AVX-512 kernel set when the loaded one is slower than the CPU allows. Returns only
 * when nothing is to be done or the restart failed (then with a warning on stderr). */
void fg_blas_core_upgrade(char **argv);

/* What happened, for the run's environment record: "" when nothing was changed, else
 * e.g. "Haswell -> Cooperlake (CPU has AVX-512)". */
const char *fg_blas_core_change(void);

#endif
