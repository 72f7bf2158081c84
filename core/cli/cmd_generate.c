/* fgrun generate RUN_DIR --prompt TEXT: text from a trained run's model, streamed to stdout
 * token by token (core/generate does the work). */
#include "cli/cli.h"

#include "generate/generate.h"
#include "generate/run_model.h"
#include "threads/threads.h"
#include "util/error.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char GENERATE_HELP[] =
    "usage: fgrun generate RUN_DIR [--prompt TEXT] [--max-tokens N] [--temperature T] [--top-k K]\n"
    "                      [--top-p P] [--seed S] [--checkpoint DIR] [--no-cache] [--threads N]\n"
    "                      [--plugin-path DIR]...\n"
    "\n"
    "Continues TEXT with a trained run's model and streams it to stdout: the prompt, each new\n"
    "token as it is drawn, then a newline. The model and tokenizer are the run's main.model\n"
    "and main.tokenizer, built from RUN_DIR/config.effective.yaml; the weights come from\n"
    "RUN_DIR/model.safetensors (the final model), else the run's latest checkpoint.\n"
    "  --prompt TEXT      the text to continue (default: a newline)\n"
    "  --max-tokens N     how many tokens to generate (default 200)\n"
    "  --temperature T    divides the logits before the softmax; 0: greedy (default 0.8)\n"
    "  --top-k K          draw only from the K most likely tokens; 0: all (default)\n"
    "  --top-p P          draw only from the fewest most likely tokens whose probability\n"
    "                     reaches P, in (0, 1] (after top-k); 1: all (default)\n"
    "  --seed S           seed of the draws (default 0): a seed gives the same text again\n"
    "  --checkpoint DIR   the weights of this checkpoint directory (or of a run directory's\n"
    "                     latest checkpoint)\n"
    "  --no-cache         a full forward over the context for each token instead of the KV\n"
    "                     cache: slower, the same text (a check of the cache)\n"
    "  --threads N        compute threads (default: all cores)\n"
    "  --plugin-path DIR  search DIR for plugins first (repeatable)\n"
    "The model sees at most its max_seq_len tokens: when the text outgrows them, it goes on\n"
    "from the last max_seq_len/2 (a new prefill). The weights file, the seed and, at the end,\n"
    "the speed in tokens/s go to stderr.\n";

typedef struct generate_options {
    const char *run_dir, *prompt, *checkpoint;
    const char *plugin_dirs[FG_CLI_MAX_ITEMS];
    int n_plugin_dirs;
    int threads;
    fg_generate_opts gen;
} generate_options;

static int bad_number(const char *option, const char *value, const char *what) {
    fprintf(stderr, "fgrun: error: generate: %s expects %s, got '%s'\n", option, what, value);
    return 1;
}

static int parse_int(const char *option, const char *v, long long min, long long max, long long *out) {
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (end == v || *end != '\0' || errno != 0 || n < min || n > max) {
        char what[96];
        snprintf(what, sizeof what, "an integer from %lld to %lld", min, max);
        return bad_number(option, v, what);
    }
    *out = n;
    return 0;
}

static int parse_double(const char *option, const char *v, double *out) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end != '\0' || !isfinite(x)) return bad_number(option, v, "a number");
    *out = x;
    return 0;
}

/* One option with a value at argv[*i]: 0 when taken, 1 after an error, -1 when not one. */
static int parse_value_option(int argc, char **argv, int *i, generate_options *o) {
    int missing = 0;
    long long n = 0;
    const char *v;
    if ((v = fg_cli_option(argc, argv, i, "--prompt", &missing)) != NULL) {
        o->prompt = v;
    } else if ((v = fg_cli_option(argc, argv, i, "--max-tokens", &missing)) != NULL) {
        if (parse_int("--max-tokens", v, 0, FG_GENERATE_MAX_TOKENS, &n) != 0) return 1;
        o->gen.max_tokens = n;
    } else if ((v = fg_cli_option(argc, argv, i, "--temperature", &missing)) != NULL) {
        return parse_double("--temperature", v, &o->gen.sampling.temperature);
    } else if ((v = fg_cli_option(argc, argv, i, "--top-k", &missing)) != NULL) {
        if (parse_int("--top-k", v, 0, INT32_MAX, &n) != 0) return 1;
        o->gen.sampling.top_k = n;
    } else if ((v = fg_cli_option(argc, argv, i, "--top-p", &missing)) != NULL) {
        return parse_double("--top-p", v, &o->gen.sampling.top_p);
    } else if ((v = fg_cli_option(argc, argv, i, "--seed", &missing)) != NULL) {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(v, &end, 10);
        if (end == v || *end != '\0' || errno != 0 || v[0] == '-')
            return bad_number("--seed", v, "a non-negative integer");
        o->gen.seed = s;
    } else if ((v = fg_cli_option(argc, argv, i, "--checkpoint", &missing)) != NULL) {
        o->checkpoint = v;
    } else if ((v = fg_cli_option(argc, argv, i, "--threads", &missing)) != NULL) {
        if (parse_int("--threads", v, 1, 1024, &n) != 0) return 1;
        o->threads = (int)n;
    } else if ((v = fg_cli_option(argc, argv, i, "--plugin-path", &missing)) != NULL) {
        if (o->n_plugin_dirs == FG_CLI_MAX_ITEMS) return fg_cli_fail("generate: too many --plugin-path options");
        o->plugin_dirs[o->n_plugin_dirs++] = v;
    } else {
        return missing ? fg_cli_bad_argument("generate", argv[*i], 1) : -1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, generate_options *o) {
    memset(o, 0, sizeof *o);
    o->prompt = "\n";
    o->gen = (fg_generate_opts){.sampling = {.temperature = 0.8, .top_k = 0, .top_p = 1.0},
                                .max_tokens = 200, .seed = 0, .use_cache = true};
    for (int i = 0; i < argc; i++) {
        int rc = parse_value_option(argc, argv, &i, o);
        if (rc >= 0) {
            if (rc != 0) return 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(GENERATE_HELP, stdout);
            return -1;
        } else if (strcmp(argv[i], "--no-cache") == 0) {
            o->gen.use_cache = false;
        } else if (argv[i][0] == '-' || o->run_dir != NULL) {
            return fg_cli_bad_argument("generate", argv[i], 0);
        } else {
            o->run_dir = argv[i];
        }
    }
    if (o->run_dir == NULL) return fg_cli_fail("generate: no RUN_DIR given (see fgrun generate --help)");
    fg_error err = {0};
    if (fg_sampling_check(&o->gen.sampling, &err) != FG_OK) {
        fprintf(stderr, "fgrun: error: generate: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static fg_status encode(const fg_run_model *m, const char *text, int32_t **ids, int64_t *n, fg_error *err) {
    size_t need = 0, got = 0, len = strlen(text);
    fg_status st = m->tok_vt->encode(m->tokenizer, text, len, NULL, 0, &need, err);
    if (st != FG_OK) return st;
    if (need == 0) return fg_error_set(err, FG_E_INVALID_ARG, "generate: the prompt encodes to no tokens");
    *ids = malloc(need * sizeof **ids);
    if (*ids == NULL) return fg_error_set(err, FG_E_NOMEM, "generate: out of memory for the prompt");
    st = m->tok_vt->encode(m->tokenizer, text, len, *ids, need, &got, err);
    *n = (int64_t)(got < need ? got : need);
    return st;
}

/* The text on stdout: the prompt just before the first token, so that a failure to start
 * (no KV cache, a bad checkpoint) leaves stdout empty. */
typedef struct printer {
    const fg_run_model *m;
    const char *prompt;
    bool started;
} printer;

static void start(printer *p) {
    if (!p->started) fputs(p->prompt, stdout);
    p->started = true;
}

/* Streams one token's text (its bytes, for a byte tokenizer) as soon as it is drawn. */
static fg_status print_token(void *ctx, int32_t token, fg_error *err) {
    printer *p = ctx;
    char small[256], *text = small;
    size_t need = 0;
    fg_status st = p->m->tok_vt->decode(p->m->tokenizer, &token, 1, small, sizeof small, &need, err);
    if (st == FG_OK && need > sizeof small) {
        if ((text = malloc(need)) == NULL) return fg_error_set(err, FG_E_NOMEM, "generate: out of memory decoding");
        st = p->m->tok_vt->decode(p->m->tokenizer, &token, 1, text, need, &need, err);
    }
    if (st == FG_OK) {
        start(p);
        fwrite(text, 1, need, stdout);
        fflush(stdout);
    }
    if (text != small) free(text);
    return st;
}

static fg_status generate(const generate_options *o, fg_run_model *m, fg_error *err) {
    fg_status st = fg_run_model_load(m, o->run_dir, o->checkpoint, o->plugin_dirs, (size_t)o->n_plugin_dirs, err);
    int32_t *prompt = NULL;
    int64_t n_prompt = 0;
    if (st == FG_OK) st = encode(m, o->prompt, &prompt, &n_prompt, err);
    if (st != FG_OK) {
        free(prompt);
        return st;
    }
    fprintf(stderr, "generate: weights %s; seed %llu; %s\n", m->weights, (unsigned long long)o->gen.seed,
            o->gen.use_cache ? "KV cache" : "no cache (full forwards)");
    /* a model vocabulary padded beyond the tokenizer's must not emit undecodable ids */
    const int64_t tok_vocab = m->tok_vt->vocab_size(m->tokenizer);
    const int64_t n_draw = tok_vocab > 0 ? tok_vocab : m->model_vt->vocab_size(m->model);
    printer out = {m, o->prompt, false};
    fg_generate_stats stats;
    st = fg_generate(m->model, m->model_vt, n_draw, prompt, n_prompt, &o->gen, print_token, &out, &stats, err);
    if (st == FG_OK) start(&out); /* --max-tokens 0: the prompt alone */
    if (out.started) putchar('\n');
    fflush(stdout);
    free(prompt);
    if (st == FG_OK)
        fprintf(stderr, "generate: %lld tokens in %.2f s: %.1f tokens/s (prompt: %lld tokens)\n",
                (long long)stats.tokens, stats.seconds, stats.seconds > 0 ? (double)stats.tokens / stats.seconds : 0.0,
                (long long)n_prompt);
    return st;
}

int fg_cmd_generate(const fg_cli_globals *g, int argc, char **argv) {
    (void)g;
    generate_options o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) return parsed < 0 ? 0 : 1;
    fg_threads_init(o.threads);
    fg_run_model m = {0};
    fg_error err = {0};
    fg_status st = generate(&o, &m, &err);
    if (st != FG_OK) fprintf(stderr, "fgrun: error: %s\n", err.msg[0] ? err.msg : "failed without a message");
    fg_run_model_free(&m);
    return st == FG_OK ? 0 : 1;
}
