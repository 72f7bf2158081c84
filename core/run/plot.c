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

/* Writes the datablock $<name><index> of one series; returns its point count. */
static fg_status add_series(text *t, const fg_run_log *log, const char *key, const char *name, size_t index,
                            size_t *points, fg_error *err) {
    int64_t *steps = NULL;
    double *values = NULL;
    fg_status st = fg_run_log_series(log, key, &steps, &values, points, err);
    if (st != FG_OK || *points == 0) return st;
    add(t, "$%s%zu << EOD\n", name, index);
    for (size_t i = 0; i < *points; i++) add(t, "%" PRId64 " %.17g\n", steps[i], values[i]);
    add(t, "EOD\n");
    free(steps);
    free(values);
    return FG_OK;
}

/* One curve of a plot command: `with lines` needs two points to show anything. */
static void add_curve(text *t, int *first, const char *block, size_t i, size_t points, int dashed,
                      const char *label, const char *suffix) {
    const char *with = points < 2 ? "points pt 7" : dashed ? "linespoints dt 2 pt 7 ps 0.6 lw 1.5" : "lines lw 2";
    add(t, "%s$%s%zu using 1:2 with %s lc %zu title ", *first ? "plot " : ", \\\n     ", block, i, with, i + 1);
    char title[512];
    snprintf(title, sizeof title, "%s%s", label, suffix);
    add_quoted(t, title);
    *first = 0;
}

fg_status fg_plot_script(const fg_plot_run *runs, size_t n, const char *out_dir, char **script, unsigned *made,
                         fg_error *err) {
    *script = NULL;
    *made = 0;
    text t = {0};
    size_t *counts = calloc(n ? 3 * n : 1, sizeof *counts); /* loss, eval_loss, lr points of each run */
    if (counts == NULL) return fg_error_set(err, FG_E_NOMEM, "plot: out of memory");
    fg_status st = FG_OK;
    add(&t, "# fgrun tb: loss and learning rate of %zu run(s)\n"
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "    set terminal pngcairo size 1000,600 noenhanced\n"
            "} else {\n"
            "    set terminal png size 1000,600 noenhanced\n"
            "}\n"
            "set grid\nset key outside right top\nset xlabel 'step'\n",
        n);
    for (size_t i = 0; i < n && st == FG_OK; i++) {
        st = add_series(&t, runs[i].log, "loss", "loss", i, &counts[3 * i], err);
        if (st == FG_OK) st = add_series(&t, runs[i].log, "eval_loss", "eval", i, &counts[3 * i + 1], err);
        if (st == FG_OK) st = add_series(&t, runs[i].log, "lr", "lr", i, &counts[3 * i + 2], err);
    }
    char path[4200];
    int first = 1;
    for (size_t i = 0; i < n && st == FG_OK; i++) {
        if (counts[3 * i] + counts[3 * i + 1] == 0) continue;
        if (first) {
            snprintf(path, sizeof path, "%s/loss.png", out_dir);
            add(&t, "set output ");
            add_quoted(&t, path);
            add(&t, "\nset title 'loss (solid) and eval_loss (dashed)'\nset ylabel 'loss'\n");
        }
        if (counts[3 * i]) add_curve(&t, &first, "loss", i, counts[3 * i], 0, runs[i].label, " loss");
        if (counts[3 * i + 1])
            add_curve(&t, &first, "eval", i, counts[3 * i + 1], 1, runs[i].label, " eval_loss");
        *made |= FG_PLOT_LOSS;
    }
    if (!first) add(&t, "\n");
    first = 1;
    for (size_t i = 0; i < n && st == FG_OK; i++) {
        if (counts[3 * i + 2] == 0) continue;
        if (first) {
            snprintf(path, sizeof path, "%s/lr.png", out_dir);
            add(&t, "set output ");
            add_quoted(&t, path);
            add(&t, "\nset title 'learning rate'\nset ylabel 'lr'\n");
        }
        add_curve(&t, &first, "lr", i, counts[3 * i + 2], 0, runs[i].label, "");
        *made |= FG_PLOT_LR;
    }
    if (!first) add(&t, "\n");
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

fg_status fg_plot_run_gnuplot(const char *gnuplot, const char *script, fg_error *err) {
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
