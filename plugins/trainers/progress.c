/* The human-facing progress line. On a terminal it is redrawn in place with '\r' so a
 * long run does not scroll; in a log file every update is its own line. */
#define _POSIX_C_SOURCE 200809L /* isatty, fileno */
#include "trainer.h"

#include <stdio.h>
#include <unistd.h>

void progress_init(progress *p) {
    p->tty = isatty(fileno(stderr)) == 1;
    p->open = 0;
}

/* 65 -> "1m05s", 3725 -> "1h02m05s", 7 -> "7s". */
static void format_duration(char *buf, size_t cap, double s) {
    if (!(s >= 0.0) || s > 1e9) {
        snprintf(buf, cap, "?");
        return;
    }
    long long secs = (long long)(s + 0.5);
    if (secs < 60)
        snprintf(buf, cap, "%llds", secs);
    else if (secs < 3600)
        snprintf(buf, cap, "%lldm%02llds", secs / 60, secs % 60);
    else
        snprintf(buf, cap, "%lldh%02lldm%02llds", secs / 3600, (secs / 60) % 60, secs % 60);
}

void progress_update(progress *p, int64_t step, int64_t max_steps, double loss, double lr,
                     double tokens_per_s, double eta_s) {
    char eta[32];
    format_duration(eta, sizeof(eta), eta_s);
    if (p->tty) {
        /* \x1b[K clears what a longer previous line left behind */
        fprintf(stderr, "\rstep %lld/%lld | loss %.4f | lr %.1e | %.0f tok/s | ETA %s\x1b[K",
                (long long)step, (long long)max_steps, loss, lr, tokens_per_s, eta);
        p->open = 1;
    } else {
        fprintf(stderr, "step %lld/%lld | loss %.4f | lr %.1e | %.0f tok/s | ETA %s\n",
                (long long)step, (long long)max_steps, loss, lr, tokens_per_s, eta);
    }
    fflush(stderr);
}

void progress_break(progress *p) {
    if (p->open) {
        fputc('\n', stderr);
        fflush(stderr);
        p->open = 0;
    }
}
