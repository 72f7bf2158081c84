/* fgrun compare RUN_DIR... [-o PLOT.png] [--metric loss|eval_loss] [--json]: runs side by
 * side, one table row each (final losses, speed, size, memory), and their curves in one
 * PNG drawn by gnuplot. */
#include "cli/cli.h"

#include "run/plot.h"
#include "run/run_list.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char COMPARE_HELP[] =
    "usage: fgrun [-p DIR] compare [RUN_DIR...] [-o PLOT.png] [--metric loss|eval_loss] [--json]\n"
    "\n"
    "Compares runs: one table row per run, in the order given, with its status, steps done,\n"
    "final loss and eval_loss, tokens/s over the whole run, parameter count, peak host-\n"
    "allocated memory, peak resident set size and config; then the runs' curves in one PNG,\n"
    "drawn with gnuplot, one colour per run. A RUN_DIR may also be a directory of runs (such\n"
    "as a project's runs/): all of its runs, by name. Default: ./runs and, inside a project,\n"
    "<project>/runs. Peak memory is known only for runs that ended (status.json).\n"
    "\n"
    "A RUN_DIR that is neither a run nor holds any is an error, named on stderr: the other\n"
    "runs are still compared, and the exit status is 1.\n"
    "  -o, --output PLOT.png   where the plot goes (default: ./compare.png)\n"
    "  --metric loss           plot loss (solid) and eval_loss (dashed) against step (default)\n"
    "  --metric eval_loss      plot eval_loss alone\n"
    "  --json                  print the table as a JSON array (unknown values are null); the\n"
    "                          plot's messages then go to stderr\n"
    "Without gnuplot (apt-get install gnuplot-nox) the table is still printed, with a note.\n";

typedef struct compare_options {
    const char *dirs[FG_CLI_MAX_ITEMS];
    int n_dirs;
    const char *output;
    bool eval_only; /* --metric eval_loss */
    bool json;
} compare_options;

static int parse_options(int argc, char **argv, compare_options *o) {
    memset(o, 0, sizeof *o);
    o->output = "compare.png";
    for (int i = 0; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(COMPARE_HELP, stdout);
            return -1;
        } else if (strcmp(argv[i], "--json") == 0) {
            o->json = true;
        } else if ((v = fg_cli_option(argc, argv, &i, "-o", &missing)) != NULL ||
                   (v = fg_cli_option(argc, argv, &i, "--output", &missing)) != NULL) {
            if (v[0] == '\0') return fg_cli_fail("compare: -o needs a file name");
            o->output = v;
        } else if ((v = fg_cli_option(argc, argv, &i, "--metric", &missing)) != NULL) {
            if (strcmp(v, "loss") != 0 && strcmp(v, "eval_loss") != 0) {
                fprintf(stderr, "fgrun: error: compare: --metric is loss or eval_loss, not '%s'\n", v);
                return 1;
            }
            o->eval_only = strcmp(v, "eval_loss") == 0;
        } else if (missing || argv[i][0] == '-') {
            return fg_cli_bad_argument("compare", argv[i], missing);
        } else if (o->n_dirs == FG_CLI_MAX_ITEMS) {
            return fg_cli_fail("compare: too many run directories");
        } else {
            o->dirs[o->n_dirs++] = argv[i];
        }
    }
    return 0;
}

/* The run at dir, or the runs under it; none at all is an error naming dir. */
static int add_dir(fg_run_list *list, const char *dir) {
    fg_run_list found = {0};
    fg_error err = {0};
    int bad = fg_cli_add_runs(&found, dir);
    if (bad == 0 && found.n == 0) {
        fprintf(stderr, "fgrun: error: compare: %s: not a run directory (no run.json), and no runs in it\n", dir);
        bad = 1;
    }
    if (fg_run_list_take(list, &found, &err) != FG_OK) bad |= fg_cli_fail(err.msg);
    fg_run_list_free(&found);
    return bad;
}

static void format_number(char *out, size_t cap, double v, const char *fmt) {
    if (isnan(v))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, fmt, v);
}

/* 1536 -> "1.5 KiB"; NAN -> "-". */
static void format_bytes(char *out, size_t cap, double bytes) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    if (isnan(bytes)) {
        snprintf(out, cap, "-");
        return;
    }
    size_t u = 0;
    while (bytes >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1024.0;
        u++;
    }
    snprintf(out, cap, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
}

static void print_table(const fg_run_list *list) {
    char label[256];
    int name_w = 3;
    for (size_t i = 0; i < list->n; i++) {
        fg_run_list_label(list, i, label, sizeof label);
        int len = (int)strlen(label);
        if (len > name_w) name_w = len > 40 ? 40 : len;
    }
    printf("%-*s  %-11s  %13s  %9s  %9s  %9s  %11s  %10s  %10s  %s\n", name_w, "run", "status", "steps", "loss",
           "eval_loss", "tokens/s", "parameters", "peak mem", "peak RSS", "config");
    for (size_t i = 0; i < list->n; i++) {
        const fg_run_info *r = &list->runs[i];
        char steps[48], loss[32], eval[32], speed[32], params[32], mem[32], rss[32];
        if (r->steps < 0)
            snprintf(steps, sizeof steps, "-");
        else if (r->max_steps > 0)
            snprintf(steps, sizeof steps, "%" PRId64 "/%" PRId64, r->steps, r->max_steps);
        else
            snprintf(steps, sizeof steps, "%" PRId64, r->steps);
        format_number(loss, sizeof loss, r->loss, "%.4f");
        format_number(eval, sizeof eval, r->last_eval_loss, "%.4f");
        format_number(speed, sizeof speed, r->mean_tokens_per_s, "%.0f");
        format_number(params, sizeof params, r->parameters, "%.0f");
        format_bytes(mem, sizeof mem, r->peak_alloc_bytes);
        format_bytes(rss, sizeof rss, r->peak_rss_bytes);
        fg_run_list_label(list, i, label, sizeof label);
        printf("%-*s  %-11s  %13s  %9s  %9s  %9s  %11s  %10s  %10s  %s\n", name_w, label, r->status, steps, loss,
               eval, speed, params, mem, rss, r->config ? r->config : "-");
    }
}

static cJSON *number_or_null(double v) { return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v); }

static int print_json(const fg_run_list *list) {
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < list->n && array != NULL; i++) {
        const fg_run_info *r = &list->runs[i];
        char label[256];
        fg_run_list_label(list, i, label, sizeof label);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "name", cJSON_CreateString(label));
        cJSON_AddItemToObject(o, "dir", cJSON_CreateString(r->dir));
        cJSON_AddItemToObject(o, "config", r->config ? cJSON_CreateString(r->config) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "status", cJSON_CreateString(r->status));
        cJSON_AddItemToObject(o, "steps", number_or_null(r->steps < 0 ? NAN : (double)r->steps));
        cJSON_AddItemToObject(o, "max_steps", number_or_null(r->max_steps < 0 ? NAN : (double)r->max_steps));
        cJSON_AddItemToObject(o, "loss", number_or_null(r->loss));
        cJSON_AddItemToObject(o, "eval_loss", number_or_null(r->last_eval_loss));
        cJSON_AddItemToObject(o, "best_eval_loss", number_or_null(r->best_eval_loss));
        cJSON_AddItemToObject(o, "mean_tokens_per_s", number_or_null(r->mean_tokens_per_s));
        cJSON_AddItemToObject(o, "parameters", number_or_null(r->parameters));
        cJSON_AddItemToObject(o, "peak_alloc_bytes", number_or_null(r->peak_alloc_bytes));
        cJSON_AddItemToObject(o, "peak_rss_bytes", number_or_null(r->peak_rss_bytes));
        cJSON_AddItemToObject(o, "log_truncated", cJSON_CreateBool(r->log_truncated));
        cJSON_AddItemToArray(array, o);
    }
    char *text = array != NULL ? cJSON_Print(array) : NULL;
    cJSON_Delete(array);
    if (text == NULL) return fg_cli_fail("compare: out of memory");
    printf("%s\n", text);
    free(text);
    return 0;
}

/* Checked before gnuplot runs: it would only warn about an output it cannot open. */
static int check_writable(const char *path) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else
        slash[slash == dir] = '\0'; /* "/x.png" keeps "/" */
    struct stat sb;
    const char *why = NULL;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        why = "a directory, not a file";
    else if (stat(dir, &sb) != 0)
        why = strerror(errno);
    else if (!S_ISDIR(sb.st_mode))
        why = "its directory is not a directory";
    else if (access(dir, W_OK) != 0)
        why = strerror(errno);
    if (why == NULL) return 0;
    fprintf(stderr, "fgrun: error: compare: %s: cannot write the plot: %s\n", path, why);
    return 1;
}

static void warn_not_plotted(void *ctx, const char *message) {
    (void)ctx;
    fprintf(stderr, "fgrun: warning: %s (not plotted)\n", message);
}

static int plot(const fg_run_list *list, const compare_options *o) {
    FILE *out = o->json ? stderr : stdout; /* --json: stdout holds the JSON alone */
    char gnuplot[4200];
    if (!fg_cli_find_on_path("gnuplot", gnuplot, sizeof gnuplot)) {
        fprintf(out, "gnuplot not found: no plot written; the table %s has the numbers "
                     "(apt-get install gnuplot-nox)\n", o->json ? "printed" : "above");
        return 0;
    }
    if (check_writable(o->output) != 0) return 1;
    const fg_plot_figure fig = o->eval_only
                                   ? (fg_plot_figure){o->output, "eval_loss", "eval_loss", {"eval_loss", NULL}}
                                   : (fg_plot_figure){o->output, "loss (solid) and eval_loss (dashed)", "loss",
                                                      {"loss", "eval_loss"}};
    unsigned made = 0;
    fg_error err = {0};
    if (fg_plot_draw(gnuplot, list, &fig, 1, false, warn_not_plotted, NULL, &made, &err) != FG_OK)
        return fg_cli_fail(err.msg);
    if (made == 0)
        fprintf(out, "no plot written: the runs have logged no %s yet\n", fig.keys[0]);
    else
        fprintf(out, "plot: %s (%s against step, drawn by %s)\n", o->output, fig.title, gnuplot);
    return 0;
}

int fg_cmd_compare(const fg_cli_globals *g, int argc, char **argv) {
    compare_options o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) return parsed < 0 ? 0 : 1;
    fg_run_list list = {0};
    int bad = 0;
    for (int i = 0; i < o.n_dirs; i++) bad |= add_dir(&list, o.dirs[i]);
    if (o.n_dirs == 0) bad |= fg_cli_add_default_runs(g, &list);
    for (size_t i = 0; i < list.n; i++)
        if (list.runs[i].notes != NULL) fprintf(stderr, "fgrun: warning: %s\n", list.runs[i].notes);
    int rc = bad;
    if (list.n == 0) {
        rc = fg_cli_fail("compare: no runs to compare");
    } else {
        if (o.json)
            rc |= print_json(&list);
        else
            print_table(&list);
        rc |= plot(&list, &o);
    }
    fg_run_list_free(&list);
    return rc;
}
