/* model_checkpoint, loaded through the registry and driven through its vtable like the
 * trainer drives it, on a synthetic eval_loss sequence, in a fake run directory where the
 * test makes the checkpoint-<N> directories the callback asks for (each with a nested
 * directory and a symbolic link to a directory outside, which must survive).
 * Checked against an independent reference, for save_top_k 1, 2, -1, 0, mode max and
 * every_n_steps: which steps ask for a save, which directories remain (also those the
 * trainer saved on its own schedule and strangers, never touched), best_checkpoints.json;
 * a run resumed from the state saved after any report decides the same and leaves the
 * first run's directory alone; `latest` is never removed; bad state is refused. */
#define _POSIX_C_SOURCE 200809L

#include "config/objects.h"
#include "io/state.h"
#include "run/run.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fg_test.h"

#define MAX_REPORTS 24
#define SCHEDULED 50 /* the trainer's own save_steps in these runs: never the callback's */

static char tmp_dir[4096], victim[4200], runs_dir[4200];

/* value i is reported at step 10 * (i + 1); ties and a NaN on purpose */
static const double SEQ[] = {5, 4, 4.5, 3, 3.2, 3.1, 3.05, 2.9, 2.95, 3.0, 2.5, 2.6, 2.9, 2.5, 2.4, NAN, 2.45, 2.6};
#define N_SEQ ((int)(sizeof SEQ / sizeof SEQ[0]))
static int64_t step_of(int i) { return 10 * (int64_t)(i + 1); }

typedef struct setting {
    int64_t top_k, every_n;
    int maximize;
} setting;

/* ---- the reference ------------------------------------------------------------------ */

typedef struct expectation {
    int requested[MAX_REPORTS];
    int kept[MAX_REPORTS]; /* report indices, best first */
    int n_kept;
} expectation;

static int at_least_as_good(int maximize, double a, double b) { return maximize ? a >= b : a <= b; }

/* A report is a candidate when its value is finite and its step is considered. It asks
 * for a save when fewer than k earlier candidates are at least as good. The kept ones are
 * the first k candidates ordered by value (best first), earlier step first among equals. */
static void reference(const double *v, int n, const setting *s, expectation *x) {
    memset(x, 0, sizeof *x);
    int cand[MAX_REPORTS] = {0};
    for (int i = 0; i < n; i++) cand[i] = isfinite(v[i]) && (s->every_n == 0 || step_of(i) % s->every_n == 0);
    for (int i = 0; i < n; i++) {
        int as_good = 0;
        for (int j = 0; j < i; j++) as_good += cand[j] && at_least_as_good(s->maximize, v[j], v[i]);
        x->requested[i] = cand[i] && s->top_k != 0 && (s->top_k < 0 || as_good < s->top_k);
    }
    int used[MAX_REPORTS] = {0};
    for (;;) { /* selection: the best unused candidate, earliest on ties */
        if (s->top_k >= 0 && x->n_kept >= s->top_k) break;
        int best = -1;
        for (int i = 0; i < n; i++)
            if (cand[i] && !used[i] && (best < 0 || (at_least_as_good(s->maximize, v[i], v[best]) && v[i] != v[best])))
                best = i;
        if (best < 0) break;
        used[best] = 1;
        x->kept[x->n_kept++] = best;
    }
}

/* ---- files ------------------------------------------------------------------------- */

/* What the trainer's commit leaves: the directory (with a nested one and a link out)
 * and `latest` naming it. */
static void make_checkpoint(const char *run_dir, int64_t step, int move_latest) {
    char dir[4400], path[4600];
    snprintf(dir, sizeof dir, "%s/checkpoint-%lld", run_dir, (long long)step);
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    fg_test_write_file(path, "weights");
    snprintf(path, sizeof path, "%s/nested", dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/nested/deeper.txt", dir);
    fg_test_write_file(path, "x");
    snprintf(path, sizeof path, "%s/link_out", dir);
    CHECK(symlink(victim, path) == 0);
    if (!move_latest) return;
    snprintf(path, sizeof path, "%s/latest", run_dir);
    char line[64];
    snprintf(line, sizeof line, "checkpoint-%lld\n", (long long)step);
    fg_test_write_file(path, line);
}

/* 1 when <run_dir>/checkpoint-<step> is there. */
static int has_checkpoint(const char *run_dir, int64_t step) {
    char dir[4400];
    struct stat sb;
    snprintf(dir, sizeof dir, "%s/checkpoint-%lld", run_dir, (long long)step);
    return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The checkpoint-<N> steps in run_dir, ascending, into steps; returns how many. */
static int list_checkpoints(const char *run_dir, int64_t *steps, int cap) {
    DIR *d = opendir(run_dir);
    int n = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        long long s;
        char tail;
        if (sscanf(e->d_name, "checkpoint-%lld%c", &s, &tail) == 1 && n < cap) steps[n++] = s;
    }
    if (d) closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && steps[j - 1] > steps[j]; j--) {
            int64_t t = steps[j];
            steps[j] = steps[j - 1];
            steps[j - 1] = t;
        }
    return n;
}

static int victim_intact(void) {
    char path[4400];
    snprintf(path, sizeof path, "%s/keep.txt", victim);
    return access(path, R_OK) == 0;
}

/* ---- driving the callback ------------------------------------------------------------ */

typedef struct env_cb {
    fg_test_env env;
    void *objs[MAX_REPORTS + 1];
} env_cb;

static int build(env_cb *e, const char *params, int n) {
    return fg_test_build_copies(&e->env, "model_checkpoint", params, FG_KIND_CALLBACK, e->objs, n);
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

static fg_run *new_run(const char *name) {
    fg_run *run = NULL;
    fg_error err = {0};
    CHECK_MSG(fg_run_create(runs_dir, name, 0, &run, &err) == FG_OK, "%s", err.msg);
    return run;
}

static void save_state_to(void *cb, const char *path) {
    fg_error err = {0};
    fg_state *w = NULL;
    fg_status st = fg_state_new_writer(&w, &err);
    if (st == FG_OK) st = vt_of(cb)->save_state(cb, w, &err);
    if (st == FG_OK) st = fg_state_write(w, path, &err);
    fg_state_free(w);
    CHECK_MSG(st == FG_OK, "save_state: %s", err.msg);
}

static fg_status load_state_from(void *cb, const char *path, fg_error *err) {
    fg_state *r = NULL;
    fg_status st = fg_state_open_reader(path, &r, err);
    if (st == FG_OK) st = vt_of(cb)->load_state(cb, r, err);
    fg_state_free(r);
    return st;
}

/* Reports [from, n) as the trainer makes them: step end, evaluation, then a checkpoint
 * when asked or scheduled (its state saved inside, before on_save). requested[i] records
 * the asks; with save_paths the state after report i is also saved to save_paths[i]
 * (when not ""). */
static void feed(void *cb, fg_run *run, const double *v, int from, int n, int *requested, char (*save_paths)[4200]) {
    const fg_callback_vtbl *vt = vt_of(cb);
    const char *run_dir = run->dir;
    for (int i = from; i < n; i++) {
        const int64_t step = step_of(i);
        fg_train_state st = state_at(step);
        fg_train_control ctl = {0, 0};
        fg_error err = {0};
        const char *keys[] = {"eval_loss"};
        fg_metrics m = {1, keys, &v[i]};
        CHECK_MSG(vt->on_step_end(cb, run, &st, &ctl, &err) == FG_OK, "%s", err.msg);
        CHECK_MSG(vt->on_evaluate(cb, run, &st, &m, &ctl, &err) == FG_OK, "%s", err.msg);
        requested[i] = ctl.should_save;
        CHECK(!ctl.should_stop);
        if (save_paths != NULL && save_paths[i][0] != '\0') save_state_to(cb, save_paths[i]);
        if (!ctl.should_save && step % SCHEDULED != 0) continue;
        make_checkpoint(run_dir, step, 1);
        char dir[4400];
        snprintf(dir, sizeof dir, "%s/checkpoint-%lld", run_dir, (long long)step);
        CHECK_MSG(vt->on_save(cb, run, &st, dir, &err) == FG_OK, "on_save %lld: %s", (long long)step, err.msg);
    }
}

/* best_checkpoints.json lists exactly x's kept reports; entries at steps <= inherited_to
 * are inherited, in inherited_dir. */
static void check_best_file(const char *what, const fg_run *run, const double *v, const setting *s,
                            const expectation *x, int64_t inherited_to, const char *inherited_dir) {
    char path[4400];
    snprintf(path, sizeof path, "%s/best_checkpoints.json", run->dir);
    char *text = fg_test_read_file(path, NULL);
    if (s->top_k == 0) {
        CHECK_MSG(text == NULL, "%s: save_top_k 0 wrote %s", what, path);
        free(text);
        return;
    }
    cJSON *root = text ? cJSON_ParseWithOpts(text, NULL, 1) : NULL;
    CHECK_MSG(root != NULL, "%s: %s is missing or not JSON", what, path);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "checkpoints");
    const cJSON *mon = cJSON_GetObjectItemCaseSensitive(root, "monitor");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(root, "mode");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(root, "save_top_k");
    CHECK_MSG(cJSON_IsString(mon) && strcmp(mon->valuestring, "eval_loss") == 0, "%s: monitor", what);
    CHECK_MSG(cJSON_IsString(mode) && strcmp(mode->valuestring, s->maximize ? "max" : "min") == 0, "%s: mode", what);
    CHECK_MSG(cJSON_IsNumber(k) && k->valuedouble == (double)s->top_k, "%s: save_top_k", what);
    CHECK_MSG(cJSON_GetArraySize(list) == x->n_kept, "%s: %d entries, want %d:\n%s", what, cJSON_GetArraySize(list),
              x->n_kept, text ? text : "");
    for (int j = 0; j < x->n_kept && j < cJSON_GetArraySize(list); j++) {
        const cJSON *e = cJSON_GetArrayItem(list, j);
        const int64_t step = step_of(x->kept[j]);
        const cJSON *js = cJSON_GetObjectItemCaseSensitive(e, "step");
        const cJSON *jv = cJSON_GetObjectItemCaseSensitive(e, "value");
        const cJSON *jp = cJSON_GetObjectItemCaseSensitive(e, "path");
        const int inherited = step <= inherited_to;
        char want_path[4400];
        snprintf(want_path, sizeof want_path, "%s/checkpoint-%lld", inherited ? inherited_dir : run->dir,
                 (long long)step);
        CHECK_MSG(cJSON_IsNumber(js) && js->valuedouble == (double)step, "%s: entry %d step, want %lld", what, j,
                  (long long)step);
        CHECK_MSG(cJSON_IsNumber(jv) && jv->valuedouble == v[x->kept[j]], "%s: entry %d value", what, j);
        CHECK_MSG(cJSON_IsString(jp) && strcmp(jp->valuestring, want_path) == 0, "%s: entry %d path %s, want %s", what,
                  j, cJSON_IsString(jp) ? jp->valuestring : "?", want_path);
        CHECK_MSG(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "inherited")) == inherited, "%s: entry %d inherited",
                  what, j);
    }
    cJSON_Delete(root);
    free(text);
}

/* The directories left in run_dir: the kept ones after `after`, the trainer's scheduled
 * ones it did not ask for, and the stranger the test put there. */
static void check_dirs(const char *what, const char *run_dir, const expectation *x, int n, int64_t after) {
    int want[2048] = {0};
    for (int j = 0; j < x->n_kept; j++)
        if (step_of(x->kept[j]) > after) want[step_of(x->kept[j])] = 1;
    for (int i = 0; i < n; i++)
        if (step_of(i) > after && step_of(i) % SCHEDULED == 0 && !x->requested[i]) want[step_of(i)] = 1;
    want[5] = 1; /* the stranger */
    int64_t got[256];
    const int n_got = list_checkpoints(run_dir, got, 256);
    int n_want = 0;
    for (int s = 0; s < 2048; s++) n_want += want[s];
    int ok = n_got == n_want;
    for (int j = 0; j < n_got; j++) ok = ok && got[j] >= 0 && got[j] < 2048 && want[got[j]];
    char listing[1024] = "";
    for (int j = 0; j < n_got; j++)
        snprintf(listing + strlen(listing), sizeof listing - strlen(listing), " %lld", (long long)got[j]);
    CHECK_MSG(ok, "%s: %d checkpoint directories left (%s), want %d", what, n_got, listing, n_want);
}

static void params_text(const setting *s, char *out, size_t cap) {
    snprintf(out, cap, "save_top_k: %lld, every_n_steps: %lld, mode: %s", (long long)s->top_k, (long long)s->every_n,
             s->maximize ? "max" : "min");
}

/* splits: the reports after which a resumed run takes over (the file system is slow in
 * places, so a few chosen ones rather than all) */
static void check_setting(const setting *s, const double *v, int n, const int *splits, int n_splits) {
    char params[256], what[512];
    params_text(s, params, sizeof params);
    env_cb e;
    if (build(&e, params, n + 1) != 0) {
        CHECK_MSG(0, "{%s}: %s", params, e.env.err.msg);
        fg_test_env_free(&e.env);
        return;
    }
    expectation x;
    reference(v, n, s, &x);
    static char paths[MAX_REPORTS][4200];
    for (int i = 0; i < n; i++) paths[i][0] = '\0'; /* only where a resumed run takes over */
    for (int k = 0; k < n_splits; k++)
        snprintf(paths[splits[k]], sizeof paths[0], "%s/mc-%d.safetensors", tmp_dir, splits[k]);

    fg_run *run = new_run("whole");
    make_checkpoint(run->dir, 5, 0); /* a stranger: never asked for */
    int requested[MAX_REPORTS] = {0};
    fg_error begin_err = {0};
    CHECK_MSG(vt_of(e.objs[0])->on_train_begin(e.objs[0], run, NULL, &begin_err) == FG_OK, "%s", begin_err.msg);
    feed(e.objs[0], run, v, 0, n, requested, paths);
    for (int i = 0; i < n; i++)
        CHECK_MSG(requested[i] == x.requested[i], "{%s}: report %d (step %lld, %g): asked %d, reference %d", params, i,
                  (long long)step_of(i), v[i], requested[i], x.requested[i]);
    snprintf(what, sizeof what, "{%s} uninterrupted", params);
    check_dirs(what, run->dir, &x, n, -1);
    check_best_file(what, run, v, s, &x, -1, NULL);
    int64_t before[256];
    const int n_before = list_checkpoints(run->dir, before, 256);

    for (int k = 0; k < n_splits; k++) { /* resumed from the state saved after report r */
        const int r = splits[k];
        char name[32];
        snprintf(name, sizeof name, "resumed-%d", r);
        fg_run *run2 = new_run(name);
        char resume[4400];
        snprintf(resume, sizeof resume, "%s/checkpoint-%lld", run->dir, (long long)step_of(r));
        run2->resume_dir = strdup(resume);
        make_checkpoint(run2->dir, 5, 0);
        void *cb = e.objs[r + 1];
        fg_error err = {0};
        CHECK_MSG(load_state_from(cb, paths[r], &err) == FG_OK, "{%s}: load after %d: %s", params, r, err.msg);
        CHECK_MSG(vt_of(cb)->on_train_begin(cb, run2, NULL, &err) == FG_OK, "%s", err.msg);
        int again[MAX_REPORTS] = {0};
        feed(cb, run2, v, r + 1, n, again, NULL);
        for (int i = r + 1; i < n; i++)
            CHECK_MSG(again[i] == x.requested[i], "{%s} resumed after %d: report %d asked %d, reference %d", params, r,
                      i, again[i], x.requested[i]);
        snprintf(what, sizeof what, "{%s} resumed after report %d", params, r);
        check_dirs(what, run2->dir, &x, n, step_of(r));
        check_best_file(what, run2, v, s, &x, step_of(r), run->dir);
        fg_run_free(run2);
    }
    int64_t after[256];
    const int n_after = list_checkpoints(run->dir, after, 256);
    CHECK_MSG(n_after == n_before && memcmp(before, after, (size_t)n_after * sizeof *after) == 0,
              "{%s}: resumed runs changed the first run's directory", params);
    CHECK(victim_intact());
    for (int k = 0; k < n_splits; k++) unlink(paths[splits[k]]);
    fg_run_free(run);
    fg_test_env_free(&e.env);
}

static void test_sequences(void) {
    const setting settings[] = {
        {1, 0, 0}, {2, 0, 0}, {-1, 0, 0}, {0, 0, 0}, {3, 0, 0}, {2, 0, 1}, {2, 20, 0}, {1, 30, 1},
    };
    /* after a save (1, 13: a tie), after reports that ask for none (9, 12), after the NaN (15) */
    const int all_kinds[] = {1, 9, 12, 13, 15}, two[] = {4, 11};
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        if (settings[i].top_k == 2 && settings[i].every_n == 0 && !settings[i].maximize)
            check_setting(&settings[i], SEQ, N_SEQ, all_kinds, 5);
        else
            check_setting(&settings[i], SEQ, N_SEQ, two, 2);
    }
    /* anchors worked out by hand for save_top_k 2 (min): every report but 3.0 (index 9),
     * 2.9 (12), NaN (15) and the last 2.6 (17) asks; 2.5 at index 13 beats 2.6 though it
     * ties 2.5 at 10, and ranks after it, so 2.4 (14) evicts it. Kept: 2.4 (14), 2.45 (16). */
    expectation x;
    const setting top2 = {2, 0, 0};
    reference(SEQ, N_SEQ, &top2, &x);
    for (int i = 0; i < N_SEQ; i++)
        CHECK_MSG(x.requested[i] == (i != 9 && i != 12 && i != 15 && i != 17), "anchor: report %d", i);
    CHECK(x.n_kept == 2 && x.kept[0] == 14 && x.kept[1] == 16);
}

/* `latest` naming an evicted checkpoint keeps it until `latest` moves on. */
static void test_latest_is_kept(void) {
    env_cb e;
    if (build(&e, "save_top_k: 1", 1) != 0) {
        CHECK_MSG(0, "%s", e.env.err.msg);
        fg_test_env_free(&e.env);
        return;
    }
    void *cb = e.objs[0];
    const fg_callback_vtbl *vt = vt_of(cb);
    fg_run *run = new_run("latest");
    const double v[] = {3, 2, 1};
    for (int i = 0; i < 3; i++) {
        fg_train_state st = state_at(step_of(i));
        fg_train_control ctl = {0, 0};
        fg_error err = {0};
        const char *keys[] = {"eval_loss"};
        fg_metrics m = {1, keys, &v[i]};
        vt->on_step_end(cb, run, &st, &ctl, &err);
        CHECK(vt->on_evaluate(cb, run, &st, &m, &ctl, &err) == FG_OK && ctl.should_save);
        make_checkpoint(run->dir, step_of(i), i != 1); /* the second commit leaves `latest` at the first */
        CHECK_MSG(vt->on_save(cb, run, &st, "unused", &err) == FG_OK, "%s", err.msg);
    }
    /* after 2: 10 was named by latest, so it stayed; after 3: 10 and 20 go */
    CHECK(!has_checkpoint(run->dir, 10) && !has_checkpoint(run->dir, 20) && has_checkpoint(run->dir, 30));
    fg_run_free(run);
    fg_test_env_free(&e.env);

    /* the same, stopping after the second report */
    if (build(&e, "save_top_k: 1", 1) != 0) {
        fg_test_env_free(&e.env);
        return;
    }
    cb = e.objs[0];
    run = new_run("latest2");
    for (int i = 0; i < 2; i++) {
        fg_train_state st = state_at(step_of(i));
        fg_train_control ctl = {0, 0};
        fg_error err = {0};
        const char *keys[] = {"eval_loss"};
        fg_metrics m = {1, keys, &v[i]};
        vt->on_step_end(cb, run, &st, &ctl, &err);
        vt->on_evaluate(cb, run, &st, &m, &ctl, &err);
        make_checkpoint(run->dir, step_of(i), i != 1);
        vt->on_save(cb, run, &st, "unused", &err);
    }
    CHECK(has_checkpoint(run->dir, 10) && has_checkpoint(run->dir, 20));
    fg_run_free(run);
    fg_test_env_free(&e.env);
}

/* A file or a link under a checkpoint name is not removed. */
static void test_not_a_directory(void) {
    env_cb e;
    if (build(&e, "save_top_k: 1", 1) != 0) {
        CHECK_MSG(0, "%s", e.env.err.msg);
        fg_test_env_free(&e.env);
        return;
    }
    void *cb = e.objs[0];
    const fg_callback_vtbl *vt = vt_of(cb);
    fg_run *run = new_run("notdir");
    char path[4400];
    const double v[] = {3, 2};
    for (int i = 0; i < 2; i++) {
        fg_train_state st = state_at(step_of(i));
        fg_train_control ctl = {0, 0};
        fg_error err = {0};
        const char *keys[] = {"eval_loss"};
        fg_metrics m = {1, keys, &v[i]};
        vt->on_step_end(cb, run, &st, &ctl, &err);
        vt->on_evaluate(cb, run, &st, &m, &ctl, &err);
        if (i == 0) { /* "checkpoint-10" turns out to be a link to the victim directory */
            snprintf(path, sizeof path, "%s/checkpoint-10", run->dir);
            CHECK(symlink(victim, path) == 0);
        } else {
            make_checkpoint(run->dir, step_of(i), 1);
        }
        CHECK_MSG(vt->on_save(cb, run, &st, "unused", &err) == FG_OK, "%s", err.msg);
    }
    struct stat sb;
    CHECK(lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode));
    CHECK(victim_intact());
    fg_run_free(run);
    fg_test_env_free(&e.env);
}

static void expect_config_error(const char *params, const char *fragment) {
    env_cb e;
    int rc = build(&e, params, 1);
    CHECK_MSG(rc != 0, "{%s} was accepted", params);
    if (rc != 0)
        CHECK_MSG(strstr(e.env.err.msg, fragment) != NULL, "{%s}: '%s' not in: %s", params, fragment, e.env.err.msg);
    fg_test_env_free(&e.env);
}

static void test_bad_input(void) {
    expect_config_error("save_top_k: -2", "save_top_k");
    expect_config_error("every_n_steps: -1", "every_n_steps");
    expect_config_error("mode: best", "mode");
    expect_config_error("monitor: ''", "monitor");
    env_cb e;
    if (build(&e, "save_top_k: 2", 1) != 0) {
        fg_test_env_free(&e.env);
        return;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/bad.safetensors", tmp_dir);
    const int64_t one[1] = {1}, two[1] = {2};
    /* mode max saved, a negative count, a NaN value, a repeated step */
    const int64_t heads[4][2] = {{1, 0}, {0, -3}, {0, 2}, {0, 2}};
    const int64_t steps[4][2] = {{0, 0}, {0, 0}, {10, 20}, {10, 10}};
    const double values[4][2] = {{0, 0}, {0, 0}, {1.0, NAN}, {1.0, 2.0}};
    const char *const fragments[4] = {"mode max", "invalid", "invalid", "invalid"};
    for (int c = 0; c < 4; c++) {
        fg_error err = {0};
        fg_state *w = NULL;
        int64_t maximize = heads[c][0], count = heads[c][1], st_[2] = {steps[c][0], steps[c][1]};
        double va[2] = {values[c][0], values[c][1]};
        CHECK(fg_state_new_writer(&w, &err) == FG_OK);
        fg_state_array(w, NULL, "model_checkpoint.maximize", FG_DTYPE_I64, 1, one, &maximize, &err);
        fg_state_array(w, NULL, "model_checkpoint.count", FG_DTYPE_I64, 1, one, &count, &err);
        if (count == 2) {
            fg_state_array(w, NULL, "model_checkpoint.steps", FG_DTYPE_I64, 1, two, st_, &err);
            fg_state_array(w, NULL, "model_checkpoint.values", FG_DTYPE_F64, 1, two, va, &err);
        }
        CHECK(fg_state_write(w, path, &err) == FG_OK);
        fg_state_free(w);
        fg_status st = load_state_from(e.objs[0], path, &err);
        CHECK_MSG(st != FG_OK && strstr(err.msg, "model_checkpoint") && strstr(err.msg, fragments[c]),
                  "case %d: status %d: %s", c, (int)st, err.msg);
    }
    unlink(path);
    fg_test_env_free(&e.env);
}

static void remove_tree(const char *dir) {
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

int main(void) {
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/fg_mc_XXXXXX", base && base[0] ? base : "/tmp");
    if (mkdtemp(tmp_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(victim, sizeof victim, "%s/victim", tmp_dir);
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", tmp_dir);
    mkdir(victim, 0777);
    char keep[4400];
    snprintf(keep, sizeof keep, "%s/keep.txt", victim);
    fg_test_write_file(keep, "must survive");
    test_sequences();
    test_latest_is_kept();
    test_not_a_directory();
    test_bad_input();
    CHECK(victim_intact());
    remove_tree(tmp_dir);
    return fg_test_finish("test_model_checkpoint");
}
