/* fgrun tb [RUN_DIR...] [--all] [--dry-run] [--out DIR]: a run's curves. With TensorBoard
 * on PATH: converts each run's trainer_logs.json to an event file in its directory and
 * starts `tensorboard --logdir ...` on them. Without it: PNG plots drawn by gnuplot. */
#define _DEFAULT_SOURCE /* realpath */
#include "cli/cli.h"

#include "run/plot.h"
#include "run/run_list.h"
#include "run/tfevents.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char TB_HELP[] =
    "usage: fgrun [-p DIR] tb [RUN_DIR...] [--all] [--dry-run] [--out DIR] [-- TENSORBOARD_ARG...]\n"
    "\n"
    "Shows runs' loss, eval_loss and learning rate. Each RUN_DIR is a run directory, or a\n"
    "runs directory standing for its newest run (all of its runs with --all). Default: the\n"
    "newest run under ./runs or the project's runs/ (all of them with --all).\n"
    "\n"
    "With `tensorboard` on PATH: writes each run's trainer_logs.json as a TensorBoard event\n"
    "file, RUN_DIR/" FG_TFEVENTS_DIR "/" FG_TFEVENTS_FILE " (unless the run's tensorboard callback\n"
    "wrote event files), and runs\n"
    "  tensorboard --logdir RUN_DIR          (one run)\n"
    "  tensorboard --logdir_spec NAME:DIR,.. (several)\n"
    "Run it again to refresh the event files of runs still going.\n"
    "Without TensorBoard: draws loss.png and lr.png with gnuplot, one line per run, into\n"
    "--out DIR (default: the run's directory, or ./tb_plots for several runs).\n"
    "  --all      every run of each directory, not only the newest\n"
    "  --dry-run  print the command (or the plots that would be drawn); write nothing\n"
    "  --out DIR  where the PNG plots go\n"
    "  -- ARG...  more arguments for tensorboard (e.g. -- --port 6007 --bind_all)\n";

typedef struct tb_options {
    const char *dirs[FG_CLI_MAX_ITEMS];
    int n_dirs;
    bool all, dry_run;
    const char *out;
    char **tb_args; /* after "--": passed on to tensorboard */
    int n_tb_args;
} tb_options;

static int parse_options(int argc, char **argv, tb_options *o) {
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(TB_HELP, stdout);
            return -1;
        } else if (strcmp(argv[i], "--") == 0) {
            o->tb_args = argv + i + 1;
            o->n_tb_args = argc - i - 1;
            break;
        } else if (strcmp(argv[i], "--all") == 0) {
            o->all = true;
        } else if (strcmp(argv[i], "--dry-run") == 0) {
            o->dry_run = true;
        } else if ((v = fg_cli_option(argc, argv, &i, "--out", &missing)) != NULL) {
            o->out = v;
        } else if (missing || argv[i][0] == '-') {
            return fg_cli_bad_argument("tb", argv[i], missing);
        } else if (o->n_dirs == FG_CLI_MAX_ITEMS) {
            return fg_cli_fail("tb: too many run directories");
        } else {
            o->dirs[o->n_dirs++] = argv[i];
        }
    }
    return 0;
}

/* Each DIR's newest run (or all of them); no DIR: the newest of the default runs dirs. */
static int select_runs(const fg_cli_globals *g, const tb_options *o, fg_run_list *out) {
    fg_run_list found = {0};
    fg_error err = {0};
    int bad = 0;
    for (int i = 0; i < o->n_dirs; i++) {
        bad |= fg_cli_add_runs(&found, o->dirs[i]);
        fg_run_list_sort(&found);
        if (!o->all) fg_run_list_truncate(&found, 1);
        if (fg_run_list_take(out, &found, &err) != FG_OK) bad |= fg_cli_fail(err.msg);
    }
    if (o->n_dirs == 0) {
        bad |= fg_cli_add_default_runs(g, &found);
        fg_run_list_sort(&found);
        if (!o->all) fg_run_list_truncate(&found, 1);
        if (fg_run_list_take(out, &found, &err) != FG_OK) bad |= fg_cli_fail(err.msg);
    }
    fg_run_list_free(&found);
    return bad;
}

/* --logdir_spec names: TensorBoard splits the spec at ',' and a name at its first ':'. */
static void run_label(const fg_run_list *runs, size_t i, char *out, size_t cap) {
    fg_run_list_label(runs, i, out, cap);
    for (char *c = out; *c; c++)
        if (*c == ',' || *c == ':') *c = '_';
}

/* As a POSIX shell reads it back: bare when safe, else in single quotes. */
static void print_quoted(FILE *f, const char *s) {
    if (s[0] != '\0' && s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:,=+@%")] == '\0') {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f); /* close, escaped quote, reopen */
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

/* ---- TensorBoard --------------------------------------------------------------------- */

/* Each run's metrics as event files TensorBoard reads (see fg_tfevents_prepare). A run
 * that cannot be converted is reported and TensorBoard still starts on the others. */
static void write_event_files(const fg_run_list *runs) {
    size_t converted = 0;
    for (size_t i = 0; i < runs->n; i++) {
        bool wrote = false;
        fg_error err = {0};
        if (fg_tfevents_prepare(runs->runs[i].dir, runs->runs[i].started_utc, &wrote, &err) != FG_OK)
            fprintf(stderr, "fgrun: warning: tb: %s\n", err.msg);
        converted += wrote;
    }
    if (converted > 0)
        fprintf(stderr, "fgrun: wrote %s/%s from trainer_logs.json in %zu of %zu run director%s\n",
                FG_TFEVENTS_DIR, FG_TFEVENTS_FILE, converted, runs->n, runs->n == 1 ? "y" : "ies");
}

/* --logdir's value for one run, --logdir_spec's (NAME:DIR,...) for several. Absolute
 * directories, so that a printed command works from anywhere. */
static int logdir_value(const fg_run_list *runs, char *spec, size_t cap) {
    char real[PATH_MAX], label[256];
    size_t used = 0;
    spec[0] = '\0';
    for (size_t i = 0; i < runs->n; i++) {
        const char *dir = realpath(runs->runs[i].dir, real) ? real : runs->runs[i].dir;
        if (runs->n > 1 && strchr(dir, ',') != NULL) {
            fprintf(stderr, "fgrun: error: tb: %s: TensorBoard's --logdir_spec cannot name a directory with ','\n", dir);
            return 1;
        }
        run_label(runs, i, label, sizeof label);
        int n = runs->n == 1 ? snprintf(spec, cap, "%s", dir)
                             : snprintf(spec + used, cap - used, "%s%s:%s", i ? "," : "", label, dir);
        if (n < 0 || used + (size_t)n >= cap) return fg_cli_fail("tb: too many runs for one TensorBoard command");
        used += (size_t)n;
    }
    return 0;
}

/* Converts the logs and replaces this process with TensorBoard (it serves until Ctrl-C). */
static int run_tensorboard(const char *tensorboard, const fg_run_list *runs, const tb_options *o) {
    static char spec[65536];
    if (logdir_value(runs, spec, sizeof spec) != 0) return 1;
    char **args = calloc((size_t)o->n_tb_args + 4, sizeof *args);
    if (args == NULL) return fg_cli_fail("tb: out of memory");
    args[0] = "tensorboard";
    args[1] = runs->n == 1 ? "--logdir" : "--logdir_spec";
    args[2] = spec;
    for (int i = 0; i < o->n_tb_args; i++) args[3 + i] = o->tb_args[i];
    if (!o->dry_run) write_event_files(runs);
    FILE *out = o->dry_run ? stdout : stderr; /* a dry run's command is its output */
    for (int i = 0; args[i] != NULL; i++) {
        if (i) fputc(' ', out);
        print_quoted(out, i == 0 ? tensorboard : args[i]);
    }
    fputc('\n', out);
    int rc = 0;
    if (o->dry_run) {
        fprintf(stderr,
                "fgrun: dry run: would first write %s/%s from trainer_logs.json in each run directory "
                "without event files of its own\n",
                FG_TFEVENTS_DIR, FG_TFEVENTS_FILE);
    } else {
        fflush(stdout);
        fflush(stderr);
        execv(tensorboard, args);
        rc = 1;
        fprintf(stderr, "fgrun: error: tb: cannot run %s: %s\n", tensorboard, strerror(errno));
    }
    free(args);
    return rc;
}

/* ---- gnuplot ----------------------------------------------------------------------------- */

static int make_dir(const char *dir) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) break;
        *p = '/';
    }
    struct stat sb;
    if ((mkdir(buf, 0777) == 0 || errno == EEXIST) && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) return 0;
    fprintf(stderr, "fgrun: error: tb: %s: cannot create the plot directory: %s\n", dir,
            errno == EEXIST ? "not a directory" : strerror(errno));
    return 1;
}

static void warn_not_plotted(void *ctx, const char *message) {
    (void)ctx;
    fprintf(stderr, "fgrun: warning: %s (not plotted)\n", message);
}

static int plot_with_gnuplot(const char *gnuplot, const fg_run_list *runs, const tb_options *o) {
    const char *out_dir = o->out ? o->out : runs->n == 1 ? runs->runs[0].dir : "tb_plots";
    char loss[4200], lr[4200];
    snprintf(loss, sizeof loss, "%s/loss.png", out_dir);
    snprintf(lr, sizeof lr, "%s/lr.png", out_dir);
    const fg_plot_figure figs[2] = {
        {loss, "loss (solid) and eval_loss (dashed)", "loss", {"loss", "eval_loss"}},
        {lr, "learning rate", "lr", {"lr", NULL}},
    };
    if (!o->dry_run && make_dir(out_dir) != 0) return 1;
    unsigned made = 0;
    fg_error err = {0};
    if (fg_plot_draw(gnuplot, runs, figs, 2, o->dry_run, warn_not_plotted, NULL, &made, &err) != FG_OK)
        return fg_cli_fail(err.msg);
    if (made == 0) return fg_cli_fail("tb: the runs have logged no loss, eval_loss or lr yet");
    printf("TensorBoard is not installed (no `tensorboard` on PATH); %s PNG plots with %s:\n",
           o->dry_run ? "dry run: would draw" : "drew", gnuplot);
    if (made & (1u << 0)) printf("  %s  (loss, eval_loss vs step)\n", loss);
    if (made & (1u << 1)) printf("  %s  (lr vs step)\n", lr);
    return 0;
}

int fg_cmd_tb(const fg_cli_globals *g, int argc, char **argv) {
    tb_options o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) return parsed < 0 ? 0 : 1;
    fg_run_list runs = {0};
    int rc = select_runs(g, &o, &runs);
    char tool[4200];
    if (rc != 0) {
        /* a DIR named by mistake: say so rather than show the others */
    } else if (runs.n == 0) {
        rc = fg_cli_fail("tb: no runs found");
    } else if (fg_cli_find_on_path("tensorboard", tool, sizeof tool)) {
        rc |= run_tensorboard(tool, &runs, &o);
    } else if (fg_cli_find_on_path("gnuplot", tool, sizeof tool)) {
        rc |= plot_with_gnuplot(tool, &runs, &o);
    } else {
        rc = fg_cli_fail("tb: neither TensorBoard nor gnuplot is installed (no `tensorboard` or `gnuplot` on "
                         "PATH): install one (pip install tensorboard; apt-get install gnuplot-nox)");
    }
    fg_run_list_free(&runs);
    return rc;
}
