#define _POSIX_C_SOURCE 200809L
#include "run/plot.h"

#include "util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct text {
    char *s;
    size_t len, cap;
    int oom;
} text;

static void add(text *t, const char *fmt, ...) FG_PRINTF(2, 3);
static void add(text *t, const char *fmt, ...) {
    if (t->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = 1;
            return;
        }
        if (t->s != NULL && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap <= t->len + (size_t)n) cap *= 2;
        char *grown = realloc(t->s, cap);
        if (grown == NULL) {
            t->oom = 1;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
}

/* A gnuplot single-quoted string: '' stands for one quote, nothing else is special. */
static void add_quoted(text *t, const char *s) {
    add(t, "'");
    for (; *s; s++) add(t, "%s", *s == '\'' ? "''" : (const char[2]){*s, '\0'});
    add(t, "'");
}

/* Writes the datablock $<name> of one series; *points gets its point count. */
static fg_status add_series(text *t, const fg_run_log *log, const char *key, const char *name, size_t *points,
                            fg_error *err) {
    int64_t *steps = NULL;
    double *values = NULL;
    fg_status st = fg_run_log_series(log, key, &steps, &values, points, err);
    if (st != FG_OK || *points == 0) return st;
    add(t, "$%s << EOD\n", name);
    for (size_t i = 0; i < *points; i++) add(t, "%" PRId64 " %.17g\n", steps[i], values[i]);
    add(t, "EOD\n");
    free(steps);
    free(values);
    return FG_OK;
}

/* One curve of a plot command, coloured by run: the figure's first key solid, the others
 * dashed; `with lines` needs two points to show anything. */
static void add_curve(text *t, int first, const char *block, size_t run, size_t points, int dashed,
                      const char *title) {
    const char *with = points < 2 ? "points pt 7" : dashed ? "linespoints dt 2 pt 7 ps 0.6 lw 1.5" : "lines lw 2";
    add(t, "%s$%s using 1:2 with %s lc %zu title ", first ? "plot " : ", \\\n     ", block, with, run + 1);
    add_quoted(t, title);
}

static size_t figure_keys(const fg_plot_figure *f) {
    size_t k = 0;
    while (k < FG_PLOT_MAX_KEYS && f->keys[k] != NULL) k++;
    return k;
}

/* One figure: its series as datablocks, then the plot command (nothing without data). */
static fg_status add_figure(text *t, const fg_plot_run *runs, size_t n, const fg_plot_figure *f, size_t index,
                            size_t *counts, int *drawn, fg_error *err) {
    const size_t n_keys = figure_keys(f);
    char block[64], title[512];
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n_keys; k++) {
            snprintf(block, sizeof block, "f%zuk%zur%zu", index, k, i);
            fg_status st = add_series(t, runs[i].log, f->keys[k], block, &counts[i * n_keys + k], err);
            if (st != FG_OK) return st;
        }
    int first = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n_keys; k++) {
            if (counts[i * n_keys + k] == 0) continue;
            if (first) {
                add(t, "set output ");
                add_quoted(t, f->path);
                add(t, "\nset title ");
                add_quoted(t, f->title);
                add(t, "\nset ylabel ");
                add_quoted(t, f->ylabel);
                add(t, "\n");
            }
            snprintf(block, sizeof block, "f%zuk%zur%zu", index, k, i);
            snprintf(title, sizeof title, "%s%s%s", runs[i].label, n_keys > 1 ? " " : "", n_keys > 1 ? f->keys[k] : "");
            add_curve(t, first, block, i, counts[i * n_keys + k], k > 0, title);
            first = 0;
        }
    if (!first) add(t, "\n");
    *drawn = !first;
    return FG_OK;
}

/* The gnuplot script (malloc'd) drawing each figure that has data, the data inline. */
static fg_status plot_script(const fg_plot_run *runs, size_t n, const fg_plot_figure *figs, size_t n_figs,
                             char **script, unsigned *made, fg_error *err) {
    *script = NULL;
    *made = 0;
    text t = {0};
    size_t *counts = calloc(n * FG_PLOT_MAX_KEYS + 1, sizeof *counts); /* points of each run's series */
    if (counts == NULL) return fg_error_set(err, FG_E_NOMEM, "plot: out of memory");
    add(&t, "# fgrun: curves of %zu run(s)\n"
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "    set terminal pngcairo size 1000,600 noenhanced\n"
            "} else {\n"
            "    set terminal png size 1000,600 noenhanced\n"
            "}\n"
            "set grid\nset key outside right top\nset xlabel 'step'\n",
        n);
    fg_status st = FG_OK;
    for (size_t f = 0; f < n_figs && st == FG_OK; f++) {
        int drawn = 0;
        st = add_figure(&t, runs, n, &figs[f], f, counts, &drawn, err);
        if (drawn) *made |= 1u << f;
    }
    add(&t, "set output\n");
    free(counts);
    if (st == FG_OK && t.oom) st = fg_error_set(err, FG_E_NOMEM, "plot: out of memory for the gnuplot script");
    if (st != FG_OK) {
        free(t.s);
        *made = 0;
        return st;
    }
    *script = t.s;
    return FG_OK;
}

/* Runs gnuplot with the script on its standard input; its messages go to stderr. */
static fg_status run_gnuplot(const char *gnuplot, const char *script, fg_error *err) {
    int fds[2];
    if (pipe(fds) != 0) return fg_error_set(err, FG_E_IO, "%s: cannot start: %s", gnuplot, strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return fg_error_set(err, FG_E_IO, "%s: cannot start: %s", gnuplot, strerror(e));
    }
    if (pid == 0) {
        dup2(fds[0], STDIN_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(gnuplot, "gnuplot", (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    /* gnuplot stopping early (a bad script) must give an error here, not kill us */
    struct sigaction ignore, old;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old);
    size_t len = strlen(script), done = 0;
    while (done < len) {
        ssize_t w = write(fds[1], script + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        done += (size_t)w;
    }
    close(fds[1]);
    sigaction(SIGPIPE, &old, NULL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return fg_error_set(err, FG_E_IO, "%s: %s", gnuplot, strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && done < len)
        return fg_error_set(err, FG_E_IO, "%s: cannot run it", gnuplot);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fg_error_set(err, FG_E_IO, "%s: failed (exit status %d) drawing the plots", gnuplot,
                            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return FG_OK;
}

fg_status fg_plot_draw(const char *gnuplot, const fg_run_list *list, const fg_plot_figure *figs, size_t n_figs,
                       bool dry_run, fg_run_problem_fn problem, void *ctx, unsigned *made, fg_error *err) {
    *made = 0;
    if (n_figs > 8 * sizeof *made) return fg_error_set(err, FG_E_RANGE, "plot: too many figures");
    fg_run_log *logs = calloc(list->n + 1, sizeof *logs);
    fg_plot_run *runs = calloc(list->n + 1, sizeof *runs);
    char(*labels)[256] = calloc(list->n + 1, sizeof *labels);
    fg_status st = logs && runs && labels ? FG_OK : fg_error_set(err, FG_E_NOMEM, "plot: out of memory");
    size_t n = 0;
    for (size_t i = 0; i < list->n && st == FG_OK; i++) {
        char path[4200];
        fg_error why = {0};
        snprintf(path, sizeof path, "%s/trainer_logs.json", list->runs[i].dir);
        if (fg_run_log_read(path, &logs[n], &why) != FG_OK) {
            if (problem != NULL) problem(ctx, why.msg);
            continue;
        }
        fg_run_list_label(list, i, labels[n], sizeof labels[n]);
        runs[n] = (fg_plot_run){.label = labels[n], .log = &logs[n]};
        n++;
    }
    char *script = NULL;
    if (st == FG_OK) st = plot_script(runs, n, figs, n_figs, &script, made, err);
    if (st == FG_OK && *made != 0 && !dry_run) st = run_gnuplot(gnuplot, script, err);
    free(script);
    for (size_t i = 0; i < n; i++) fg_run_log_free(&logs[i]);
    free(logs);
    free(runs);
    free(labels);
    return st;
}
