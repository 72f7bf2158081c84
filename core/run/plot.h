/* PNG plots of runs' logs drawn by gnuplot: the fallback of fgrun tb when TensorBoard is
 * not installed. */
#ifndef FG_CORE_RUN_PLOT_H
#define FG_CORE_RUN_PLOT_H

#include "run/run_log.h"

#include <stddef.h>

typedef struct fg_plot_run {
    const char *label; /* the run's name in the legend */
    const fg_run_log *log;
} fg_plot_run;

enum { FG_PLOT_LOSS = 1, FG_PLOT_LR = 2 };

/* The gnuplot script (malloc'd; free it) drawing <out_dir>/loss.png (loss, and eval_loss
 * dashed, against step) and <out_dir>/lr.png (lr against step), one colour per run, the
 * data inline. *made gets FG_PLOT_LOSS / FG_PLOT_LR for the plots that have data (a plot
 * without any is left out). */
fg_status fg_plot_script(const fg_plot_run *runs, size_t n, const char *out_dir, char **script, unsigned *made,
                         fg_error *err);

/* Runs the gnuplot executable at `gnuplot` with the script on its standard input; its
 * messages go to stderr. FG_E_IO when it cannot be started or exits non-zero. */
fg_status fg_plot_run_gnuplot(const char *gnuplot, const char *script, fg_error *err);

#endif
