/* The `progress` callback: a bar with step, loss, speed and ETA. On a terminal it is
 * redrawn in place with '\r'; in a log file each update is a line of its own. */
#define _POSIX_C_SOURCE 200809L /* isatty, fileno */
#include "loggers.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct progress_bar {
    const fg_callback_vtbl *vt;
    int64_t width;
    int tty;
    int open;           /* an in-place line is on screen without its newline */
    int64_t begin_step; /* a resumed run's ETA counts only its own steps */
} progress_bar;

static void line_break(progress_bar *p) {
    if (p->open) fputc('\n', stderr);
    p->open = 0;
}

/* NAN when the metrics lack key. */
static double metric(const fg_metrics *m, const char *key) {
    for (uint32_t i = 0; m != NULL && i < m->n; i++)
        if (strcmp(m->keys[i], key) == 0) return m->values[i];
    return NAN;
}

/* 65 -> "1m05s", 3725 -> "1h02m05s", unknown -> "?". */
static void duration(char *buf, size_t cap, double s) {
    if (!(s >= 0.0) || s > 1e9) {
        snprintf(buf, cap, "?");
        return;
    }
    const long long t = (long long)(s + 0.5);
    if (t < 60)
        snprintf(buf, cap, "%llds", t);
    else if (t < 3600)
        snprintf(buf, cap, "%lldm%02llds", t / 60, t % 60);
    else
        snprintf(buf, cap, "%lldh%02lldm%02llds", t / 3600, (t / 60) % 60, t % 60);
}

static fg_status pb_begin(void *self, fg_run *run, const fg_train_state *st, fg_error *err) {
    progress_bar *p = self;
    p->begin_step = st->step;
    p->tty = isatty(fileno(stderr)) == 1;
    return FG_OK;
}

static fg_status pb_log(void *self, fg_run *run, const fg_train_state *st, const fg_metrics *m,
                        fg_train_control *ctl, fg_error *err) {
    progress_bar *p = self;
    const double frac = st->max_steps > 0 ? (double)st->step / (double)st->max_steps : 0.0;
    const int64_t done_steps = st->step - p->begin_step;
    char eta[32], bar[256] = "";
    duration(eta, sizeof eta,
             done_steps > 0 ? st->elapsed_s / (double)done_steps * (double)(st->max_steps - st->step) : NAN);
    if (p->width > 0) {
        const int64_t filled = (int64_t)(frac * (double)p->width + 0.5);
        bar[0] = '[';
        for (int64_t i = 0; i < p->width; i++) bar[1 + i] = i < filled ? '#' : '.';
        snprintf(bar + 1 + p->width, sizeof bar - (size_t)(1 + p->width), "] ");
    }
    fprintf(stderr, "%s%s%3.0f%% step %lld/%lld | loss %.4f | %.0f tok/s | ETA %s%s", p->tty ? "\r" : "", bar,
            100.0 * frac, (long long)st->step, (long long)st->max_steps, metric(m, "loss"),
            metric(m, "tokens_per_s"), eta, p->tty ? "\x1b[K" : "\n");
    p->open = p->tty;
    fflush(stderr);
    return FG_OK;
}

static fg_status pb_evaluate(void *self, fg_run *run, const fg_train_state *st, const fg_metrics *m,
                             fg_train_control *ctl, fg_error *err) {
    progress_bar *p = self;
    line_break(p);
    fprintf(stderr, "step %lld: eval_loss %.4f\n", (long long)st->step, metric(m, "eval_loss"));
    fflush(stderr);
    return FG_OK;
}

static fg_status pb_end(void *self, fg_run *run, const fg_train_state *st, fg_error *err) {
    line_break(self);
    return FG_OK;
}

static void pb_destroy(void *self) {
    if (self != NULL) line_break(self);
    fg_api->free(self);
}

static const fg_callback_vtbl progress_vtbl = {
    .base = {sizeof(fg_callback_vtbl), FG_KIND_CALLBACK, pb_destroy},
    .on_train_begin = pb_begin,
    .on_log = pb_log,
    .on_evaluate = pb_evaluate,
    .on_train_end = pb_end,
};

fg_status progress_bar_create(const fg_params *params, const fg_create_args *args, void **out, fg_error *err) {
    int64_t width = 0;
    fg_status s = fg_api->param_int(params, "width", &width, err);
    if (s != FG_OK) return s;
    progress_bar *p = fg_api->alloc(sizeof *p);
    if (p == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "progress: out of memory");
        return FG_E_NOMEM;
    }
    memset(p, 0, sizeof *p);
    p->vt = &progress_vtbl;
    p->width = width;
    *out = p;
    return FG_OK;
}
