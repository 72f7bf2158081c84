/* fg_config_graph: the object graph of `fgrun graph` as YAML (exact text for a small
 * config with a shared singleton; the text is well-formed YAML) and as DOT (checked
 * structurally: statements, vertices, edges, in-degrees). */
#include "config/config.h"
#include "fg_test.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const char *SMALL =
    ".define:\n"
    "  tok: &tok !singleton:byte_tokenizer {}\n"
    "model: !singleton:causal_lm@lm\n"
    "  d_model: 8\n"
    "  tokenizer: *tok\n"
    "main: !singleton:simple\n"
    "  optimizer: !partial:adamw {lr: 1.0e-3}\n"
    "  tokenizer: *tok\n"
    "  tags: [a, 'yes', !tuple [1]]\n"
    "  steps: !var {name: steps, default: 5}\n";

static const char *SMALL_YAML =
    "# Object graph of t.yaml, after tags, --set and !var.\n"
    "# Nodes used more than once or named by @identity are defined once under\n"
    "# .define and written !ref NAME where used.\n"
    ".define:\n"
    "  model.tokenizer:\n"
    "    kind: singleton\n"
    "    factory: byte_tokenizer\n"
    "    at: t.yaml:2:8\n"
    "    params: {}\n"
    "  lm:\n"
    "    kind: singleton\n"
    "    factory: causal_lm\n"
    "    identity: lm\n"
    "    at: t.yaml:3:8\n"
    "    params:\n"
    "      d_model: 8\n"
    "      tokenizer: !ref model.tokenizer\n"
    "model: !ref lm\n"
    "main:\n"
    "  kind: singleton\n"
    "  factory: simple\n"
    "  at: t.yaml:6:7\n"
    "  params:\n"
    "    optimizer:\n"
    "      kind: partial\n"
    "      factory: adamw\n"
    "      at: t.yaml:7:14\n"
    "      params:\n"
    "        lr: 0.001\n"
    "    tokenizer: !ref model.tokenizer\n"
    "    tags:\n"
    "    - a\n"
    "    - 'yes'\n"
    "    - kind: tuple\n"
    "      at: t.yaml:9:20\n"
    "      params:\n"
    "      - 1\n"
    "    steps:\n"
    "      kind: var\n"
    "      name: steps\n"
    "      at: t.yaml:10:38\n"
    "      value: 5\n";

static fg_config *parse(const char *yaml) {
    fg_config *cfg = NULL;
    fg_error err = {0, {0}};
    CHECK_MSG(fg_config_parse(yaml, strlen(yaml), "t.yaml", NULL, 0, &cfg, &err) == FG_OK, "%s",
              err.msg);
    return cfg;
}

static char *graph(const fg_config *cfg, fg_graph_format fmt) {
    char *out = NULL;
    fg_error err = {0, {0}};
    CHECK_MSG(fg_config_graph(cfg, fmt, &out, &err) == FG_OK && out != NULL, "%s", err.msg);
    return out;
}

/* True when libyaml reads text to the end without an error. */
static bool well_formed_yaml(const char *text) {
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return false;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    bool ok = true;
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            ok = false;
            break;
        }
        bool end = e.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&e);
        if (end) break;
    }
    yaml_parser_delete(&p);
    return ok;
}

/* ---- a small DOT reader: enough to check what fg_config_graph writes ---------------- */

typedef struct dot_graph {
    int vertices, edges;
    int in_degree[64];
    char labels[64][96];
} dot_graph;

/* Reads a "..." string at *p (escapes kept); false when it does not close on the line. */
static bool dot_string(const char **p, char *out, size_t cap) {
    const char *s = *p;
    if (*s++ != '"') return false;
    size_t n = 0;
    for (; *s != '"'; s++) {
        if (*s == '\0' || *s == '\n') return false;
        if (*s == '\\') { /* keep the escape: \" \\ \n */
            if (s[1] == '\0' || s[1] == '\n') return false;
            if (n + 1 < cap) out[n++] = *s;
            s++;
        }
        if (n + 1 < cap) out[n++] = *s;
    }
    out[n] = '\0';
    *p = s + 1;
    return true;
}

/* Parses the statements of fg_config_graph's DOT; false on anything else. */
static bool dot_parse(const char *text, dot_graph *g) {
    memset(g, 0, sizeof *g);
    const char *head = "digraph config {\n  node [shape=box];\n";
    if (strncmp(text, head, strlen(head)) != 0) return false;
    const char *p = text + strlen(head);
    while (strncmp(p, "  n", 3) == 0) {
        p += 3;
        int a = (int)strtol(p, (char **)&p, 10);
        char label[96];
        if (strncmp(p, " [label=", 8) == 0) { /* vertex */
            p += 8;
            if (a != g->vertices + 1 || a > 63 || !dot_string(&p, g->labels[a], sizeof g->labels[a]))
                return false;
            if (strncmp(p, ", tooltip=", 10) != 0) return false;
            p += 10;
            if (!dot_string(&p, label, sizeof label)) return false;
            g->vertices++;
        } else if (strncmp(p, " -> n", 5) == 0) { /* edge */
            p += 5;
            int b = (int)strtol(p, (char **)&p, 10);
            if (a < 1 || b < 1 || a > g->vertices || b > g->vertices) return false;
            if (strncmp(p, " [label=", 8) != 0) return false;
            p += 8;
            if (!dot_string(&p, label, sizeof label)) return false;
            g->in_degree[b]++;
            g->edges++;
        } else {
            return false;
        }
        if (strncmp(p, "];\n", 3) != 0) return false;
        p += 3;
    }
    return strcmp(p, "}\n") == 0;
}

static int vertex_named(const dot_graph *g, const char *label_start) {
    for (int v = 1; v <= g->vertices; v++)
        if (strncmp(g->labels[v], label_start, strlen(label_start)) == 0) return v;
    return 0;
}

static void test_small(void) {
    fg_config *cfg = parse(SMALL);
    if (cfg == NULL) return;
    char *y = graph(cfg, FG_GRAPH_YAML);
    CHECK_MSG(y && strcmp(y, SMALL_YAML) == 0, "got:\n%s", y ? y : "");
    CHECK(y && well_formed_yaml(y));
    free(y);

    char *d = graph(cfg, FG_GRAPH_DOT);
    dot_graph g;
    CHECK_MSG(d && dot_parse(d, &g), "not the expected DOT:\n%s", d ? d : "");
    if (d && dot_parse(d, &g)) {
        CHECK_MSG(g.vertices == 5 && g.edges == 4, "%d vertices, %d edges", g.vertices, g.edges);
        int tok = vertex_named(&g, "model.tokenizer\\nsingleton byte_tokenizer");
        CHECK(tok > 0 && g.in_degree[tok] == 2); /* the shared singleton: one vertex */
        int lm = vertex_named(&g, "lm\\nsingleton causal_lm");
        int main_v = vertex_named(&g, "main\\nsingleton simple");
        CHECK(lm > 0 && g.in_degree[lm] == 0 && main_v > 0 && g.in_degree[main_v] == 0);
        CHECK(vertex_named(&g, "main.tags.2\\ntuple") > 0);
        CHECK(vertex_named(&g, "main.optimizer\\npartial adamw") > 0);
        CHECK(strstr(d, " -> n") && strstr(d, "[label=\"tags.2\"]"));
    }
    free(d);
    fg_config_free(cfg);
}

/* Plain containers are values: an alias of one is shown at each use, so a node inside
 * it is reached twice and becomes shared. Names stay unique; --set places show. */
static void test_sharing_and_names(void) {
    fg_config *cfg = parse(".define:\n"
                           "  base: &b {x: !singleton:s {}, n: 1}\n"
                           "a: *b\n"
                           "c: *b\n"
                           "z: !factory:f@a.x {}\n"
                           "q: [!singleton:t \"\"]\n");
    if (cfg == NULL) return;
    fg_error err = {0, {0}};
    CHECK_MSG(fg_config_set(cfg, "w=!dict {k: \"quote: me\"}", &err) == FG_OK, "%s", err.msg);
    char *y = graph(cfg, FG_GRAPH_YAML);
    CHECK(y && well_formed_yaml(y));
    /* in the order first reached; the identity keeps its name, the path gets a suffix */
    CHECK_MSG(y && strstr(y, ".define:\n  a.x~2:\n    kind: singleton\n    factory: s\n") &&
                  strstr(y, "  a.x:\n    kind: factory\n    factory: f\n    identity: a.x\n"),
              "%s", y ? y : "");
    CHECK(y && strstr(y, "a:\n  x: !ref a.x~2\n  n: 1\nc:\n  x: !ref a.x~2\n  n: 1\n"));
    CHECK(y && strstr(y, "z: !ref a.x\n"));
    CHECK(y && strstr(y, "q:\n- kind: singleton\n  factory: t\n  at: t.yaml:6:5\n  params: {}\n"));
    CHECK_MSG(y && strstr(y, "w:\n  kind: dict\n  at: --set:1:1\n  params:\n    k: 'quote: me'\n"),
              "%s", y ? y : "");
    free(y);
    char *d = graph(cfg, FG_GRAPH_DOT);
    dot_graph g;
    CHECK_MSG(d && dot_parse(d, &g) && g.vertices == 4 && g.edges == 0, "%s", d ? d : "");
    free(d);
    fg_config_free(cfg);
}

/* Aliases of plain lists can multiply without bound: the graph refuses, it does not hang. */
static void test_too_large(void) {
    char yaml[1024] = "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
    for (int k = 1; k <= 7; k++) {
        size_t at = strlen(yaml);
        snprintf(yaml + at, sizeof yaml - at, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, "
                 "*a%d, *a%d, *a%d]\n", k, k, k - 1, k - 1, k - 1, k - 1, k - 1, k - 1, k - 1,
                 k - 1, k - 1, k - 1);
    }
    fg_config *cfg = parse(yaml);
    if (cfg == NULL) return;
    for (int fmt = 0; fmt < 2; fmt++) {
        char *out = (char *)"unchanged";
        fg_error err = {0, {0}};
        fg_status st = fg_config_graph(cfg, fmt == 0 ? FG_GRAPH_YAML : FG_GRAPH_DOT, &out, &err);
        CHECK_MSG(st == FG_E_RANGE && out == NULL && strstr(err.msg, "too large to show") &&
                      strncmp(err.msg, "t.yaml:", 7) == 0,
                  "%d %s", st, err.msg);
    }
    fg_config_free(cfg);
}

static void test_bad_args(void) {
    fg_config *cfg = parse("a: 1\n");
    char *out = NULL;
    fg_error err = {0, {0}};
    CHECK(fg_config_graph(NULL, FG_GRAPH_YAML, &out, &err) == FG_E_INVALID_ARG && out == NULL);
    CHECK(fg_config_graph(cfg, FG_GRAPH_YAML, NULL, NULL) == FG_E_INVALID_ARG);
    CHECK(fg_config_graph(cfg, (fg_graph_format)7, &out, &err) == FG_E_INVALID_ARG);
    CHECK_MSG(strstr(err.msg, "unknown format"), "%s", err.msg);
    char *d = graph(cfg, FG_GRAPH_DOT);
    CHECK(d && strcmp(d, "digraph config {\n  node [shape=box];\n}\n") == 0);
    free(d);
    fg_config_free(cfg);
}

int main(void) {
    test_small();
    test_sharing_and_names();
    test_too_large();
    test_bad_args();
    return fg_test_finish("test_graph");
}
