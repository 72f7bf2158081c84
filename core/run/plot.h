/* PNG plots of runs' logs drawn by gnuplot: fgrun tb's fallback when TensorBoard is not
 * installed, and fgrun compare's loss curves. */
#ifndef FG_CORE_RUN_PLOT_H
#define FG_CORE_RUN_PLOT_H

#include "run/run_list.h"
#include "run/run_log.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct fg_plot_run {
    const char *label; /* the run's name in the legend */
    const fg_run_log *log;
} fg_plot_run;

#define FG_PLOT_MAX_KEYS 2

/* One PNG: the log series `keys` of every run against step, one colour per run; the first
 * key solid, the others dashed with points. Unused keys are NULL. */
typedef struct fg_plot_figure {
    const char *path;
    const char *title, *ylabel;
    const char *keys[FG_PLOT_MAX_KEYS];
} fg_plot_figure;

/* Reads each run's trainer_logs.json (a run whose log cannot be read goes to `problem`,
 * may be NULL, and is left out), labels it (fg_run_list_label) and runs the gnuplot
 * executable at `gnuplot` on a script drawing every figure that has data; its messages go
 * to stderr. *made gets bit i for figure i when it has data; gnuplot is not run when no
 * figure has any, nor with dry_run. FG_E_IO when gnuplot cannot be started or fails. */
fg_status fg_plot_draw(const char *gnuplot, const fg_run_list *list, const fg_plot_figure *figs, size_t n_figs,
                       bool dry_run, fg_run_problem_fn problem, void *ctx, unsigned *made, fg_error *err);

#endif
