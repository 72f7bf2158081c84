/* early_stopping, loaded through the registry and driven through its vtable with
 * synthetic metric sequences: the report after which it asks to stop, for several
 * (patience, min_delta, mode, check_on) settings, against an independent reference and
 * hand-computed anchors; a save_state/load_state after any report gives the same
 * decision as an uninterrupted run; bad configs and bad saved state are errors. */
#define _POSIX_C_SOURCE 200809L

#include "config/objects.h"
#include "io/state.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fg_test.h"

#define MAX_REPORTS 32

static char tmp_dir[4096];

/* Reports: value i arrives at step 10 * (i + 1). */
static const double SEQ[] = {5, 4, 4.5, 3, 3.2, 3.1, 3.05, 2.9, 2.95, 3.0, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0};
#define N_SEQ ((int)(sizeof SEQ / sizeof SEQ[0]))

typedef struct setting {
    int64_t patience;
    double min_delta;
    int maximize;
    int on_log; /* check_on: log (the value comes as "loss" in on_log) */
} setting;

/* The reference, in two passes over indices rather than a running count: a report is an
 * improvement when it is the first number or beats the value of the last improvement by
 * more than min_delta; training stops at the first report that is `patience` reports
 * after the last improvement (or after the start, when none). -1: never. */
static int reference_stop(const double *v, int n, const setting *s) {
    int improvement[MAX_REPORTS] = {0};
    int last = -1;
    for (int i = 0; i < n; i++) {
        if (isnan(v[i])) continue;
        int better = last < 0 || (s->maximize ? v[i] - v[last] > s->min_delta : v[last] - v[i] > s->min_delta);
        if (better) {
            improvement[i] = 1;
            last = i;
        }
    }
    for (int i = 0; i < n; i++) {
        int since = -1; /* index of the last improvement at or before i */
        for (int j = 0; j <= i; j++)
            if (improvement[j]) since = j;
        if (i - since >= s->patience) return i;
    }
    return -1;
}

typedef struct env_cb {
    fg_test_env env;
    void *objs[MAX_REPORTS + 1];
} env_cb;

/* Builds n identical early_stopping objects c0..c<n-1> from one config. */
static int build(env_cb *e, const char *params, int n) {
    return fg_test_build_copies(&e->env, "early_stopping", params, FG_KIND_CALLBACK, e->objs, n);
}

static const fg_callback_vtbl *vt_of(void *obj) { return *(const fg_callback_vtbl *const *)obj; }

static fg_train_state state_at(int64_t step) {
    fg_train_state st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    st.step = step;
    st.max_steps = 1000;
    return st;
}

/* One report as the trainer makes it; returns ctl.should_stop. With check_on log the
 * value comes in on_log, and an on_evaluate with a worse eval_loss must not matter (and
 * the other way round). */
static int report(void *cb, const setting *s, int i, double v) {
    const fg_callback_vtbl *vt = vt_of(cb);
    fg_train_state st = state_at(10 * (i + 1));
    fg_train_control ctl = {0, 0};
    fg_error err = {0};
    const char *log_keys[] = {"lr", "loss"};
    const char *eval_keys[] = {"eval_loss"};
    const double noise = s->maximize ? -1e9 : 1e9; /* never an improvement */
    double log_values[2] = {1e-3, s->on_log ? v : noise};
    double eval_value = s->on_log ? noise : v;
    fg_metrics log_m = {2, log_keys, log_values}, eval_m = {1, eval_keys, &eval_value};
    CHECK_MSG(vt->on_log(cb, NULL, &st, &log_m, &ctl, &err) == FG_OK, "%s", err.msg);
    CHECK_MSG(vt->on_evaluate(cb, NULL, &st, &eval_m, &ctl, &err) == FG_OK, "%s", err.msg);
    return ctl.should_stop;
}

/* Feeds reports [from, n); returns the index it stopped at or -1. With save_paths, the
 * state after report i goes to save_paths[i]. */
static int feed(void *cb, const setting *s, const double *v, int from, int n, char (*save_paths)[4200]) {
    for (int i = from; i < n; i++) {
        int stop = report(cb, s, i, v[i]);
        if (save_paths != NULL) {
            fg_error err = {0};
            fg_state *w = NULL;
            fg_status st = fg_state_new_writer(&w, &err);
            if (st == FG_OK) st = vt_of(cb)->save_state(cb, w, &err);
            if (st == FG_OK) st = fg_state_write(w, save_paths[i], &err);
            fg_state_free(w);
            CHECK_MSG(st == FG_OK, "save_state after report %d: %s", i, err.msg);
        }
        if (stop) return i;
    }
    return -1;
}

static fg_status load_into(void *cb, const char *path, fg_error *err) {
    fg_state *r = NULL;
    fg_status st = fg_state_open_reader(path, &r, err);
    if (st == FG_OK) st = vt_of(cb)->load_state(cb, r, err);
    fg_state_free(r);
    return st;
}

static void params_text(const setting *s, char *out, size_t cap) {
    snprintf(out, cap, "monitor: %s, mode: %s, patience: %lld, min_delta: %.17g, check_on: %s",
             s->on_log ? "loss" : "eval_loss", s->maximize ? "max" : "min", (long long)s->patience, s->min_delta,
             s->on_log ? "log" : "evaluate");
}

/* The uninterrupted decision against the reference (and `anchor`, when >= -1), then the
 * same sequence resumed from the state saved after each report. */
static void check_setting(const setting *s, const double *v, int n, int anchor) {
    char params[512];
    params_text(s, params, sizeof params);
    env_cb e;
    if (build(&e, params, n + 1) != 0) {
        CHECK_MSG(0, "{%s}: %s", params, e.env.err.msg);
        fg_test_env_free(&e.env);
        return;
    }
    static char paths[MAX_REPORTS][4200];
    for (int i = 0; i < n; i++) snprintf(paths[i], sizeof paths[i], "%s/es-%d.safetensors", tmp_dir, i);
    const int want = reference_stop(v, n, s);
    const int got = feed(e.objs[0], s, v, 0, n, paths);
    CHECK_MSG(got == want, "{%s}: stopped after report %d, reference says %d", params, got, want);
    if (anchor >= -1) CHECK_MSG(want == anchor, "{%s}: reference says %d, worked out by hand %d", params, want, anchor);
    const int last = got >= 0 ? got : n - 1;
    for (int r = 0; r < last; r++) { /* resumed after report r */
        fg_error err = {0};
        void *cb = e.objs[r + 1];
        CHECK_MSG(load_into(cb, paths[r], &err) == FG_OK, "{%s}: load_state after %d: %s", params, r, err.msg);
        const int resumed = feed(cb, s, v, r + 1, n, NULL);
        CHECK_MSG(resumed == got, "{%s}: resumed after report %d, stopped after %d instead of %d", params, r, resumed,
                  got);
    }
    for (int i = 0; i < n; i++) unlink(paths[i]);
    fg_test_env_free(&e.env);
}

static void test_sequences(void) {
    /* Anchors worked out by hand on SEQ = 5, 4, 4.5, 3, 3.2, 3.1, 3.05, 2.9, ...:
     * patience 1: 4.5 (index 2) does not improve on 4.
     * patience 2: 3.2, 3.1 (indices 4, 5) do not improve on 3.
     * patience 3: 3.2, 3.1, 3.05 (4..6) do not.
     * patience 3, min_delta 0.15: the same (4 and 3 improve by 1; 3.05 misses 2.85).
     * patience 4, min_delta 0.05: 2.9 improves on 3 by 0.1 at 7; 2.95, 3.0 do not; 2.5
     *   improves at 10; 2.6 .. 2.9 (11..14) are four without improvement: 14.
     * patience 4, min_delta 0.11: 2.9 misses 2.89, so 4..7 stop at 7. */
    const setting s1 = {1, 0.0, 0, 0}, s2 = {2, 0.0, 0, 0}, s3 = {3, 0.0, 0, 0}, s4 = {3, 0.15, 0, 0},
                  s5 = {4, 0.05, 0, 0}, s6 = {4, 0.11, 0, 0};
    check_setting(&s1, SEQ, N_SEQ, 2);
    check_setting(&s2, SEQ, N_SEQ, 5);
    check_setting(&s3, SEQ, N_SEQ, 6);
    check_setting(&s4, SEQ, N_SEQ, 6);
    check_setting(&s5, SEQ, N_SEQ, 14);
    check_setting(&s6, SEQ, N_SEQ, 7);
    const setting never = {20, 0.0, 0, 0}, huge_delta = {1, 1e9, 0, 0}, on_log = {2, 0.0, 0, 1};
    check_setting(&never, SEQ, N_SEQ, -1);
    check_setting(&huge_delta, SEQ, N_SEQ, 1); /* the first report sets the best; the second cannot beat it */
    check_setting(&on_log, SEQ, N_SEQ, 5);
    /* max mode on an accuracy-like sequence */
    static const double acc[] = {0.1, 0.3, 0.25, 0.35, 0.36, 0.36, 0.34, 0.5, 0.49, 0.48, 0.47, 0.6};
    const int n_acc = (int)(sizeof acc / sizeof acc[0]);
    const setting m1 = {1, 0.0, 1, 0}, m2 = {2, 0.0, 1, 0}, m3 = {3, 0.0, 1, 0}, m4 = {2, 0.02, 1, 0},
                  m5 = {3, 0.0, 1, 1};
    check_setting(&m1, acc, n_acc, 2);  /* 0.25 < 0.3 */
    check_setting(&m2, acc, n_acc, 6);  /* 0.36 ties (no improvement), 0.34 */
    check_setting(&m3, acc, n_acc, 10); /* 0.49, 0.48, 0.47 after 0.5 */
    check_setting(&m4, acc, n_acc, 5);  /* 0.36 - 0.35 is not above 0.02; neither is 0.36 again */
    check_setting(&m5, acc, n_acc, 10);
    /* NaN never improves; a NaN first report leaves no best */
    static const double with_nan[] = {NAN, 3, NAN, 2.5, NAN, NAN, 2.0};
    const setting n2 = {2, 0.0, 0, 0}, n3 = {3, 0.0, 0, 0};
    check_setting(&n2, with_nan, 7, 5);
    check_setting(&n3, with_nan, 7, -1);
}

static void expect_config_error(const char *params, const char *fragment) {
    env_cb e;
    int rc = build(&e, params, 1);
    CHECK_MSG(rc != 0, "{%s} was accepted", params);
    if (rc != 0)
        CHECK_MSG(strstr(e.env.err.msg, fragment) != NULL, "{%s}: '%s' not in: %s", params, fragment, e.env.err.msg);
    fg_test_env_free(&e.env);
}

static void test_bad_config(void) {
    expect_config_error("patience: 0", "patience");
    expect_config_error("min_delta: -0.5", "min_delta");
    expect_config_error("mode: median", "mode");
    expect_config_error("check_on: train", "check_on");
    expect_config_error("monitor: ''", "monitor");
    expect_config_error("patience: 3, monitro: eval_loss", "monitro");
}

/* Saved state from a max-mode run, or with damaged counters, is refused by name. */
static void test_bad_state(void) {
    env_cb e;
    if (build(&e, "mode: min", 1) != 0) {
        CHECK_MSG(0, "%s", e.env.err.msg);
        fg_test_env_free(&e.env);
        return;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/bad.safetensors", tmp_dir);
    const int64_t one[1] = {1}, three[1] = {3};
    const int64_t cases[3][3] = {{1, 0, 1}, {2, 0, 0}, {1, -4, 0}};
    const char *const fragments[3] = {"mode max", "invalid", "invalid"};
    for (int c = 0; c < 3; c++) {
        fg_error err = {0};
        fg_state *w = NULL;
        double best = 1.0;
        int64_t counters[3] = {cases[c][0], cases[c][1], cases[c][2]};
        CHECK(fg_state_new_writer(&w, &err) == FG_OK);
        CHECK(fg_state_array(w, NULL, "early_stopping.best", FG_DTYPE_F64, 1, one, &best, &err) == FG_OK);
        CHECK(fg_state_array(w, NULL, "early_stopping.counters", FG_DTYPE_I64, 1, three, counters, &err) == FG_OK);
        CHECK(fg_state_write(w, path, &err) == FG_OK);
        fg_state_free(w);
        fg_status st = load_into(e.objs[0], path, &err);
        CHECK_MSG(st != FG_OK && strstr(err.msg, "early_stopping") && strstr(err.msg, fragments[c]),
                  "case %d: status %d: %s", c, (int)st, err.msg);
    }
    /* a state without the entries (another callback's file) */
    fg_error err = {0};
    fg_state *w = NULL;
    CHECK(fg_state_new_writer(&w, &err) == FG_OK && fg_state_write(w, path, &err) == FG_OK);
    fg_state_free(w);
    CHECK_MSG(load_into(e.objs[0], path, &err) != FG_OK && strstr(err.msg, "early_stopping.best"), "%s", err.msg);
    unlink(path);
    fg_test_env_free(&e.env);
}

int main(void) {
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/fg_es_XXXXXX", base && base[0] ? base : "/tmp");
    if (mkdtemp(tmp_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_sequences();
    test_bad_config();
    test_bad_state();
    rmdir(tmp_dir);
    return fg_test_finish("test_early_stopping");
}
