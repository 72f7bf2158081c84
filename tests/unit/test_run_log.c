/* The summary of a trainer log that status.json and fgrun compare report: the last loss
 * and eval_loss, the parameter count of the step-0 record, and the run's throughput, the
 * steps of every logged window over their time (not the plain mean of the speeds); read
 * the same from a log cut short. */
#define _POSIX_C_SOURCE 200809L

#include "run/run_log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fg_test.h"

/* Windows of 2 and 4 steps at 100 and 400 tokens/s: 6 steps in 2/100 + 4/400 = 0.03 s of
 * step time per token, so 200 tokens/s (the plain mean would be 250). */
static const char LOG[] = "[{\"step\": 0, \"parameters\": 21984, \"optimizer_state_bytes\": 175872},\n"
                          " {\"step\": 2, \"loss\": 5.5, \"tokens_per_s\": 100},\n"
                          " {\"step\": 2, \"eval_loss\": 5.4},\n"
                          " {\"step\": 6, \"loss\": 5.25, \"tokens_per_s\": 400},\n"
                          " {\"step\": 6, \"eval_loss\": 5.125}]";

static void summarize_file(const char *path, const char *text, fg_run_log_summary *s, bool *truncated) {
    fg_test_write_file(path, text);
    fg_run_log log;
    fg_error err = {0};
    CHECK_MSG(fg_run_log_read(path, &log, &err) == FG_OK, "%s", err.msg);
    fg_run_log_summarize(&log, s);
    *truncated = log.truncated;
    fg_run_log_free(&log);
}

int main(void) {
    const char *base = getenv("TMPDIR");
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/fg-rl-XXXXXX", base && base[0] ? base : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/trainer_logs.json", dir);
    fg_run_log_summary s;
    bool truncated = true;
    summarize_file(path, LOG, &s, &truncated);
    CHECK(!truncated && s.last_step == 6);
    CHECK(s.loss == 5.25 && s.last_eval_loss == 5.125 && s.best_eval_loss == 5.125 && s.tokens_per_s == 400);
    CHECK(s.parameters == 21984);
    CHECK_MSG(fabs(s.mean_tokens_per_s - 200.0) < 1e-9, "mean %.12g", s.mean_tokens_per_s);

    /* cut inside the last training record: the numbers of the records before it */
    char cut[sizeof LOG];
    snprintf(cut, sizeof cut, "%.*s", (int)(strstr(LOG, "\"step\": 6") - LOG + 12), LOG);
    summarize_file(path, cut, &s, &truncated);
    CHECK(truncated && s.last_step == 2 && s.loss == 5.5 && s.last_eval_loss == 5.4 && s.parameters == 21984);
    CHECK_MSG(fabs(s.mean_tokens_per_s - 100.0) < 1e-9, "mean %.12g", s.mean_tokens_per_s);

    /* a run killed before its first record: nothing known */
    summarize_file(path, "", &s, &truncated);
    CHECK(s.last_step == -1 && isnan(s.loss) && isnan(s.parameters) && isnan(s.mean_tokens_per_s));
    unlink(path);
    rmdir(dir);
    return fg_test_finish("test_run_log");
}
