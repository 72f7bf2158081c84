#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

void fg_cli_usage(FILE *out) {
    fprintf(out,
            "usage: fgrun [-p DIR] [-t CONFIG] <command> [options]\n"
            "\n"
            "global options (before the command):\n"
            "  -p, --project-dir DIR      the project (default: the nearest directory above the\n"
            "                             working directory holding meta.yaml)\n"
            "  -t, --config-template CFG  the project config to use (default: meta's default_config)\n"
            "\n"
            "commands (fgrun COMMAND --help for each):\n"
            "  train [CONFIG]   render the config (or the project config -t) and train its main\n"
            "                   target; a config that renders to several YAML documents (---) is\n"
            "                   a sweep: each document is one run, and a table of results follows\n"
            "      --set KEY=VALUE    override a config value (dotted path, YAML value)\n"
            "      --var NAME=VALUE   template variable, and value for !var NAME\n"
            "      -I DIR             search DIR for templates\n"
            "      --threads N        compute threads (default: all cores)\n"
            "      --seed N           seed for initialisation (default: the config's `seed`, else 42)\n"
            "      --runs-dir DIR     where run directories go (default: runs, or the project's runs/)\n"
            "      --resume PATH      continue from a checkpoint, or a run directory's latest one\n"
            "      --plugin-path DIR  search DIR for plugins first (repeatable)\n"
            "  pp [FILE]        render a template to YAML text\n"
            "  graph [FILE]     the object graph after tag resolution (--format yaml|dot)\n"
            "  targets [FILE]   the config's top-level targets\n"
            "  ls [-r]          the project's configs with their names and descriptions\n"
            "  index            a Markdown summary of the project\n"
            "  meta             the project's meta config\n"
            "  tlist            the templates on the search path, and which one wins\n"
            "  runs [DIR...]    the runs under DIR (default: ./runs, the project's runs/), newest\n"
            "                   first: status, steps, loss, eval_loss, tokens/s (--json)\n"
            "  tb [RUN_DIR...]  a run's curves: TensorBoard if installed, else PNG plots (gnuplot)\n"
            "                   (--all, --dry-run, --out DIR)\n"
            "  compare [RUN_DIR...]  runs side by side: final loss and eval_loss, tokens/s,\n"
            "                   parameters, peak memory; their loss curves in one PNG (gnuplot)\n"
            "                   (-o PLOT.png, --metric loss|eval_loss, --json)\n"
            "  generate RUN_DIR --prompt TEXT   text from a trained run's model, streamed\n"
            "                   (--max-tokens, --temperature, --top-k, --top-p, --seed, --no-cache)\n"
            "  code [CONFIG] --target model   the config's model as standalone C: forward pass,\n"
            "                   tokenizer, sampling, a model.safetensors loader; libc and libm only\n"
            "                   (-o DIR, --set, --var, -I, --plugin-path)\n"
            "  plugins          list plugins, factories and their parameters (--json)\n"
            "  plugin check FILE.so   load one plugin file on its own: descriptor, ABI, factories,\n"
            "                   conflicts with the search path, self-tests (--json)\n"
            "  plugin new NAME  create a plugin project from the SDK template\n"
            "                   (--kind optimizer|feedforward, --dir DIR)\n"
            "  version          print the version and plugin ABI\n");
}

int fg_cli_fail(const char *msg) {
    fprintf(stderr, "fgrun: error: %s\n", msg);
    return 1;
}

int fg_cli_bad_argument(const char *command, const char *arg, int missing_value) {
    if (missing_value)
        fprintf(stderr, "fgrun: error: %s: %s needs a value\n", command, arg);
    else if (arg[0] == '-')
        fprintf(stderr, "fgrun: error: %s: unknown option '%s' (see fgrun %s --help)\n", command, arg, command);
    else
        fprintf(stderr, "fgrun: error: %s: unexpected argument '%s' (see fgrun %s --help)\n", command, arg,
                command);
    return 1;
}

const char *fg_cli_option(int argc, char **argv, int *i, const char *name, int *missing) {
    size_t len = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, len) != 0) return NULL;
    if (arg[len] == '=') return arg + len + 1;
    if (arg[len] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    *i += 1;
    return argv[*i];
}
