/* Project commands: fgrun ls, index, meta, tlist. */
#define _DEFAULT_SOURCE
#include "cli/cli.h"
#include "cli/render.h"
#include "project/project.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char LS_HELP[] =
    "usage: fgrun [-p DIR] ls [-r] [-d] [DIR...]\n"
    "\n"
    "Lists a project's configs with the name and description from each config's `meta`.\n"
    "A config that fails to render or parse is shown as PARSE ERROR with the first line of\n"
    "its error, and the listing goes on.\n"
    "  -r, --recursive  list every project under DIR (default: the working directory)\n"
    "  -d, --debug      show the whole error of a broken config\n";

static const char INDEX_HELP[] =
    "usage: fgrun [-p DIR] index\n\nA Markdown summary of the project: meta, search path, "
    "configs and templates.\n";
static const char META_HELP[] = "usage: fgrun [-p DIR] meta\n\nThe project's meta config as Markdown.\n";
static const char TLIST_HELP[] =
    "usage: fgrun [-p DIR] tlist [-I DIR]...\n"
    "\n"
    "Every template on the search path (project search dirs, then the shared library), in\n"
    "search order; a name that an earlier directory also has is marked (shadowed): the\n"
    "earlier one wins.\n";

static bool wants_help(int argc, char **argv, const char *help) {
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return true;
        }
    return false;
}

static int open_project(const fg_cli_globals *g, const char *start, fg_project **p) {
    char dir[PATH_MAX];
    fg_error err = {0};
    if (fg_project_find(start ? start : g->project_dir ? g->project_dir : ".", dir, sizeof dir, &err) != FG_OK ||
        fg_project_open(dir, p, &err) != FG_OK) {
        fprintf(stderr, "fgrun: error: %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* A string field of the config's `meta` mapping, or NULL. */
static const char *meta_field(const fg_node *root, const char *key) {
    const fg_node *meta = fg_node_get(root, "meta");
    const fg_node *n = meta ? fg_node_get(meta, key) : NULL;
    return n != NULL && n->type == FG_NODE_STR ? n->s : NULL;
}

/* Renders and parses one config for a listing; on failure fills err. The name and
 * description are copied into out buffers. */
static fg_status describe_config(const fg_project *p, const char *config, char *name, size_t name_cap,
                                 char *desc, size_t desc_cap, size_t *runs, fg_error *err) {
    fg_render_opts o = {0};
    fg_rendered r = {0};
    fg_status st = fg_cli_render_config(p, config, &o, &r, err);
    if (st != FG_OK) {
        fg_rendered_free(&r);
        return st;
    }
    char **docs = NULL;
    size_t n = 0;
    st = fg_split_documents(r.text, r.len, &docs, &n, err);
    fg_config *cfg = NULL;
    if (st == FG_OK && n > 0) st = fg_config_parse(docs[0], strlen(docs[0]), r.yaml_name, NULL, 0, &cfg, err);
    if (st == FG_OK) {
        const fg_node *root = cfg ? fg_config_root(cfg) : NULL;
        const char *cn = root ? meta_field(root, "config_name") : NULL;
        const char *cd = root ? meta_field(root, "config_description") : NULL;
        snprintf(name, name_cap, "%s", cn ? cn : "Anonymous");
        snprintf(desc, desc_cap, "%s", cd ? cd : "No Description");
        *runs = n;
    }
    fg_config_free(cfg);
    fg_free_documents(docs, n);
    fg_rendered_free(&r);
    return st;
}

static void list_project(const fg_project *p, bool debug) {
    printf("%s : %s\n", p->name, p->description);
    char **names = NULL;
    size_t n = 0;
    fg_error err = {0};
    if (fg_project_configs(p, &names, &n, &err) != FG_OK) {
        printf("    %s\n", err.msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char shown[PATH_MAX];
        bool is_default = p->default_config && strcmp(names[i], p->default_config) == 0;
        snprintf(shown, sizeof shown, is_default ? "[%s]" : "%s", names[i]);
        char cname[256], desc[512];
        size_t runs = 0;
        fg_error cerr = {0};
        if (describe_config(p, names[i], cname, sizeof cname, desc, sizeof desc, &runs, &cerr) != FG_OK) {
            char *nl = debug ? NULL : strchr(cerr.msg, '\n');
            if (nl) *nl = '\0';
            printf("    %-30s PARSE ERROR : %s\n", shown, cerr.msg);
        } else if (runs > 1) {
            printf("    %-30s %s : %s (sweep of %zu runs)\n", shown, cname, desc, runs);
        } else {
            printf("    %-30s %s : %s\n", shown, cname, desc);
        }
    }
    fg_project_free_names(names, n);
}

/* Every directory under root (itself included) holding meta.yaml, sorted by path. */
static void find_projects(const char *root, int depth, char ***found, size_t *n) {
    char meta[PATH_MAX + 16];
    snprintf(meta, sizeof meta, "%s/meta.yaml", root);
    struct stat st;
    if (stat(meta, &st) == 0 && S_ISREG(st.st_mode)) {
        char **grown = realloc(*found, (*n + 1) * sizeof *grown);
        if (grown == NULL) return;
        *found = grown;
        if (((*found)[*n] = strdup(root)) != NULL) (*n)++;
    }
    if (depth > 16) return;
    struct dirent **entries = NULL;
    int k = scandir(root, &entries, NULL, alphasort);
    for (int i = 0; i < k; i++) {
        const char *e = entries[i]->d_name;
        char child[PATH_MAX];
        if (e[0] != '.' && strcmp(e, "templates") != 0 && strcmp(e, "runs") != 0 &&
            snprintf(child, sizeof child, "%s/%s", root, e) < (int)sizeof child &&
            stat(child, &st) == 0 && S_ISDIR(st.st_mode))
            find_projects(child, depth + 1, found, n);
        free(entries[i]);
    }
    free(entries);
}

int fg_cmd_ls(const fg_cli_globals *g, int argc, char **argv) {
    if (wants_help(argc, argv, LS_HELP)) return 0;
    bool recursive = false, debug = false;
    const char *dirs[FG_CLI_MAX_ITEMS];
    int n_dirs = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 || strcmp(argv[i], "--recursive") == 0) recursive = true;
        else if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--debug") == 0) debug = true;
        else if (argv[i][0] == '-' || n_dirs == FG_CLI_MAX_ITEMS) return fg_cli_bad_argument("ls", argv[i], 0);
        else dirs[n_dirs++] = argv[i];
    }
    if (!recursive && n_dirs == 0) {
        fg_project *p = NULL;
        if (open_project(g, NULL, &p) != 0) return 1;
        list_project(p, debug);
        fg_project_free(p);
        return 0;
    }
    if (n_dirs == 0) dirs[n_dirs++] = g->project_dir ? g->project_dir : ".";
    int rc = 0;
    for (int d = 0; d < n_dirs; d++) {
        char **found = NULL;
        size_t n = 0;
        if (recursive) {
            find_projects(dirs[d], 0, &found, &n);
        } else if ((found = malloc(sizeof *found)) != NULL && (found[0] = strdup(dirs[d])) != NULL) {
            n = 1;
        }
        for (size_t i = 0; i < n; i++) {
            fg_project *p = NULL;
            fg_error err = {0};
            printf("%sProject Path: %s\n\n", i || d ? "\n" : "", found[i]);
            if (fg_project_open(found[i], &p, &err) != FG_OK) {
                printf("PARSE ERROR: %s/meta.yaml '%s'\n", found[i], err.msg);
                rc = 1;
            } else {
                list_project(p, debug);
            }
            fg_project_free(p);
            free(found[i]);
        }
        free(found);
    }
    return rc;
}

static void print_meta(const fg_project *p) {
    printf("# %s\n\n%s\n\n", p->name, p->description);
    printf("- project directory: %s\n", p->dir);
    printf("- workspace root: %s\n", p->workspace_root);
    printf("- config prefix: %s\n", p->config_prefix);
    printf("- default config: %s\n", p->default_config ? p->default_config : "(none)");
    printf("\n## Search path\n\n");
    for (size_t i = 0; i < p->n_searchdir; i++) printf("%zu. %s\n", i + 1, p->searchdir[i]);
}

int fg_cmd_meta(const fg_cli_globals *g, int argc, char **argv) {
    if (wants_help(argc, argv, META_HELP)) return 0;
    if (argc > 0) return fg_cli_bad_argument("meta", argv[0], 0);
    fg_project *p = NULL;
    if (open_project(g, NULL, &p) != 0) return 1;
    print_meta(p);
    fg_project_free(p);
    return 0;
}

static int print_template_line(const char *name, const char *path, int shadowed, void *user) {
    const char *style = user;
    if (strcmp(style, "md") == 0)
        printf("- %s%s (%s)%s\n", shadowed ? "~~" : "", name, path, shadowed ? "~~ shadowed" : "");
    else
        printf("%-40s %s%s\n", name, path, shadowed ? "  (shadowed)" : "");
    return 0;
}

static int list_templates(const fg_project *p, const char *const *extra, int n_extra, const char *style) {
    fg_template_env *env = NULL;
    fg_error err = {0};
    fg_status st = fg_project_env(p, extra, (size_t)n_extra, &env, &err);
    if (st == FG_OK) st = fg_template_env_list(env, print_template_line, (void *)style, &err);
    fg_template_env_free(env);
    if (st != FG_OK) {
        fprintf(stderr, "fgrun: error: %s\n", err.msg);
        return 1;
    }
    return 0;
}

int fg_cmd_tlist(const fg_cli_globals *g, int argc, char **argv) {
    if (wants_help(argc, argv, TLIST_HELP)) return 0;
    const char *extra[FG_CLI_MAX_ITEMS];
    int n_extra = 0;
    for (int i = 0; i < argc; i++) {
        int missing = 0;
        const char *v = fg_cli_option(argc, argv, &i, "-I", &missing);
        if (v == NULL || n_extra == FG_CLI_MAX_ITEMS) return fg_cli_bad_argument("tlist", argv[i], missing);
        extra[n_extra++] = v;
    }
    fg_project *p = NULL;
    if (open_project(g, NULL, &p) != 0) return 1;
    int rc = list_templates(p, extra, n_extra, "files");
    fg_project_free(p);
    return rc;
}

int fg_cmd_index(const fg_cli_globals *g, int argc, char **argv) {
    if (wants_help(argc, argv, INDEX_HELP)) return 0;
    if (argc > 0) return fg_cli_bad_argument("index", argv[0], 0);
    fg_project *p = NULL;
    if (open_project(g, NULL, &p) != 0) return 1;
    print_meta(p);
    printf("\n## Configs\n\n```\n");
    fflush(stdout);
    list_project(p, false);
    printf("```\n\n## Templates\n\n");
    int rc = list_templates(p, NULL, 0, "md");
    fg_project_free(p);
    return rc;
}
