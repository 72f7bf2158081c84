/* The object graph as text, for `fgrun graph`: YAML (every root entry, nodes with kind,
 * factory, identity, location and parameters; shared nodes defined once under .define)
 * or Graphviz DOT (one vertex per node, edges labelled by parameter path).
 *
 * A "node" is what Forgather makes an object of: a constructor tag, a container tag
 * (!dict, !list, !tuple, !dlist) or anything with an @identity. Plain mappings and lists
 * are values, rebuilt at each use as in Forgather, so an alias of one is shown at every
 * use. A first walk finds every node, how often it is used and where first reached (its
 * name unless it has an identity); the writers then follow the same walk. Aliases of
 * plain containers can multiply the walk, so it has a budget and fails beyond it. */
#include "config/config_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define GRAPH_BUDGET 1000000 /* node visits: far beyond any real config */

typedef struct gnode {
    const fg_node *node;
    char *path;       /* where first reached, e.g. "main.model" (malloc'd) */
    const char *name; /* identity, else path (made unique among shared nodes) */
    size_t uses;      /* times reached: through each parent, at each use of a plain one */
} gnode;

typedef struct graph {
    fgc_ptrmap index; /* node -> position in nodes */
    gnode *nodes;
    size_t n, cap;
    size_t *finish; /* positions of nodes, each after the nodes it contains */
    size_t n_finish;
    char *path; /* the walk's current path */
    size_t path_len, path_cap;
    size_t budget;
    fgc_arena names; /* unique names: "main.model~2" */
    /* output */
    char *buf;
    size_t len, buf_cap;
    bool nomem;
} graph;

static bool is_node(const fg_node *n) {
    return n->ctor != FG_CTOR_NONE || n->container != FG_CONTAINER_PLAIN || n->identity != NULL;
}

static bool is_container(const fg_node *n) {
    return n->type == FG_NODE_MAP || n->type == FG_NODE_LIST;
}

static const gnode *info(const graph *g, const fg_node *n) {
    size_t at;
    return fgc_ptrmap_get(&g->index, n, &at) ? &g->nodes[at] : NULL;
}

static bool is_shared(const gnode *gn) { return gn->uses > 1 || gn->node->identity != NULL; }

static const char *kind_name(const fg_node *n) {
    switch (n->ctor) {
    case FG_CTOR_SINGLETON: return "singleton";
    case FG_CTOR_PARTIAL: return "partial";
    case FG_CTOR_FACTORY: return "factory";
    case FG_CTOR_META: return "meta";
    case FG_CTOR_NONE: break;
    }
    switch (n->container) {
    case FG_CONTAINER_DICT: return "dict";
    case FG_CONTAINER_LIST: return "list";
    case FG_CONTAINER_TUPLE: return "tuple";
    case FG_CONTAINER_PLAIN: break;
    }
    return n->type == FG_NODE_LIST ? "list" : "dict";
}

/* ---- output buffer ------------------------------------------------------------------ */

static void append(graph *g, const char *s, size_t len) {
    if (g->nomem) return;
    if (g->len + len + 1 > g->buf_cap) {
        size_t cap = (g->len + len + 1) * 2;
        char *b = realloc(g->buf, cap);
        if (b == NULL) {
            g->nomem = true;
            return;
        }
        g->buf = b;
        g->buf_cap = cap;
    }
    memcpy(g->buf + g->len, s, len);
    g->len += len;
    g->buf[g->len] = '\0';
}

static void appendf(graph *g, const char *fmt, ...) FG_PRINTF(2, 3);
static void appendf(graph *g, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if ((size_t)k < sizeof small) {
        append(g, small, (size_t)k);
        return;
    }
    char *big = malloc((size_t)k + 1);
    if (big == NULL) {
        g->nomem = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)k + 1, fmt, ap);
    va_end(ap);
    append(g, big, (size_t)k);
    free(big);
}

/* ---- the walk ------------------------------------------------------------------------ */

/* Appends ".key" (or "key" at the start) to the current path; returns the old length. */
static size_t path_push(graph *g, const char *key, size_t index) {
    size_t old = g->path_len;
    char num[24];
    if (key == NULL) {
        snprintf(num, sizeof num, "%zu", index);
        key = num;
    }
    size_t need = old + 1 + strlen(key) + 1;
    if (need > g->path_cap) {
        size_t cap = need * 2;
        char *p = realloc(g->path, cap);
        if (p == NULL) {
            g->nomem = true;
            return old;
        }
        g->path = p;
        g->path_cap = cap;
    }
    if (g->nomem) return old;
    g->path_len += (size_t)sprintf(g->path + old, "%s%s", old > 0 ? "." : "", key);
    return old;
}

static void path_pop(graph *g, size_t old) {
    g->path_len = old;
    if (g->path != NULL) g->path[old] = '\0';
}

static fg_status too_large(const fg_node *n, fg_error *err) {
    return fgc_fail(err, FG_E_RANGE, &n->loc,
                    "the graph is too large to show: aliases of plain mappings and lists "
                    "expand to more than %d values (anchor them as !dict or !list nodes to "
                    "show them once)",
                    GRAPH_BUDGET);
}

static fg_status discover(graph *g, const fg_node *n, fg_error *err);

static fg_status discover_children(graph *g, const fg_node *n, fg_error *err) {
    if (!is_container(n)) return FG_OK;
    for (size_t k = 0; k < n->n; k++) {
        size_t old = path_push(g, n->type == FG_NODE_MAP ? n->keys[k] : NULL, k);
        fg_status st = discover(g, n->items[k], err);
        path_pop(g, old);
        if (st != FG_OK) return st;
    }
    return FG_OK;
}

/* Recursion is bounded: fg_config keeps the nesting through aliases within
 * FG_CONFIG_MAX_DEPTH. */
static fg_status discover(graph *g, const fg_node *n, fg_error *err) {
    if (g->budget == 0) return too_large(n, err);
    g->budget--;
    if (g->nomem) return fgc_nomem(err, &n->loc);
    if (!is_node(n)) return discover_children(g, n, err);
    size_t at;
    if (fgc_ptrmap_get(&g->index, n, &at)) {
        g->nodes[at].uses++;
        return FG_OK;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 32;
        gnode *nodes = realloc(g->nodes, cap * sizeof *nodes);
        size_t *finish = realloc(g->finish, cap * sizeof *finish);
        if (nodes != NULL) g->nodes = nodes;
        if (finish != NULL) g->finish = finish;
        if (nodes == NULL || finish == NULL) return fgc_nomem(err, &n->loc);
        g->cap = cap;
    }
    char *path = malloc(g->path_len + 1);
    if (path == NULL) return fgc_nomem(err, &n->loc);
    memcpy(path, g->path != NULL ? g->path : "", g->path_len);
    path[g->path_len] = '\0';
    at = g->n++;
    g->nodes[at] = (gnode){n, path, path, 1};
    if (!fgc_ptrmap_put(&g->index, n, at)) return fgc_nomem(err, &n->loc);
    fg_status st = discover_children(g, n, err);
    if (st != FG_OK) return st;
    g->finish[g->n_finish++] = at;
    return FG_OK;
}

/* Names by which shared nodes are referred to must be unique: identities are (the loader
 * checks), but a path can equal an identity or another path's spelling. */
static fg_status name_nodes(graph *g, fg_error *err) {
    fgc_pairs taken;
    memset(&taken, 0, sizeof taken);
    fg_status st = FG_OK;
    for (int pass = 0; pass < 2 && st == FG_OK; pass++) {
        for (size_t k = 0; k < g->n; k++) {
            gnode *gn = &g->nodes[k];
            const fg_node *n = gn->node;
            if (pass == 0 && n->identity != NULL) gn->name = n->identity;
            if (!is_shared(gn) || (pass == 0) != (n->identity != NULL)) continue;
            const char *name = gn->name;
            char *unique = NULL;
            for (size_t suffix = 2; fgc_pairs_find(&taken, name) >= 0; suffix++) {
                size_t len = strlen(gn->name) + 24;
                unique = fgc_alloc(&g->names, len);
                if (unique == NULL) break;
                snprintf(unique, len, "%s~%zu", gn->name, suffix);
                name = unique;
            }
            if ((fgc_pairs_find(&taken, name) >= 0) ||
                !fgc_pairs_push(&g->names, &taken, name, n->loc, NULL)) {
                st = fgc_nomem(err, &n->loc);
                break;
            }
            gn->name = name;
        }
    }
    fgc_pairs_free(&taken);
    return st;
}

/* ---- YAML ---------------------------------------------------------------------------- */

typedef struct ywriter {
    graph *g;
    yaml_emitter_t em;
    bool failed;
} ywriter;

static int y_write(void *data, unsigned char *buffer, size_t size) {
    graph *g = data;
    append(g, (const char *)buffer, size);
    return !g->nomem;
}

static void y_emit(ywriter *w, yaml_event_t *e) {
    if (!w->failed && !yaml_emitter_emit(&w->em, e)) w->failed = true;
}

/* A string that reads back as itself: plain when that is safe, else quoted. */
static void y_str(ywriter *w, const char *s) {
    yaml_event_t e;
    yaml_scalar_style_t style =
        fgc_scalar_plain_ok(s) ? YAML_PLAIN_SCALAR_STYLE : YAML_SINGLE_QUOTED_SCALAR_STYLE;
    yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1, style);
    y_emit(w, &e);
}

static void y_plain(ywriter *w, const char *tag, const char *s) {
    yaml_event_t e;
    yaml_scalar_event_initialize(&e, NULL, (yaml_char_t *)tag, (yaml_char_t *)s, (int)strlen(s),
                                 tag == NULL, tag == NULL, YAML_PLAIN_SCALAR_STYLE);
    y_emit(w, &e);
}

static void y_map_start(ywriter *w) {
    yaml_event_t e;
    yaml_mapping_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    y_emit(w, &e);
}

static void y_map_end(ywriter *w) {
    yaml_event_t e;
    yaml_mapping_end_event_initialize(&e);
    y_emit(w, &e);
}

static void y_field(ywriter *w, const char *key, const char *value) {
    y_str(w, key);
    y_str(w, value);
}

static void y_scalar(ywriter *w, const fg_node *n) {
    char text[64];
    switch (n->type) {
    case FG_NODE_NULL: y_plain(w, NULL, "null"); return;
    case FG_NODE_BOOL: y_plain(w, NULL, n->b ? "true" : "false"); return;
    case FG_NODE_INT:
        snprintf(text, sizeof text, "%" PRId64, n->i);
        y_plain(w, NULL, text);
        return;
    case FG_NODE_FLOAT:
        fgc_format_float(n->f, text, sizeof text);
        y_plain(w, NULL, text);
        return;
    default: y_str(w, n->s != NULL ? n->s : ""); return;
    }
}

static void y_value(ywriter *w, const fg_node *n);

/* The contents of a container, each child as a value. */
static void y_contents(ywriter *w, const fg_node *n) {
    yaml_event_t e;
    if (n->type == FG_NODE_LIST) {
        yaml_sequence_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        y_emit(w, &e);
        for (size_t k = 0; k < n->n; k++) y_value(w, n->items[k]);
        yaml_sequence_end_event_initialize(&e);
        y_emit(w, &e);
    } else if (n->type == FG_NODE_MAP) {
        y_map_start(w);
        for (size_t k = 0; k < n->n; k++) {
            y_str(w, n->keys[k]);
            y_value(w, n->items[k]);
        }
        y_map_end(w);
    } else if (is_node(n)) { /* a constructor's empty payload: no arguments */
        y_map_start(w);
        y_map_end(w);
    } else {
        y_scalar(w, n);
    }
}

static void y_location(ywriter *w, const fg_loc *loc) {
    char at[320];
    snprintf(at, sizeof at, "%.256s:%d:%d", loc->file != NULL ? loc->file : "<config>",
             loc->line, loc->column);
    y_field(w, "at", at);
}

/* A node written out in full: kind, factory, identity, var, location, parameters. */
static void y_node(ywriter *w, const fg_node *n) {
    y_map_start(w);
    y_field(w, "kind", kind_name(n));
    if (n->ctor != FG_CTOR_NONE) y_field(w, "factory", n->ref != NULL ? n->ref : "");
    if (n->identity != NULL) y_field(w, "identity", n->identity);
    if (n->var != NULL) y_field(w, "var", n->var);
    y_location(w, &n->loc);
    y_str(w, "params");
    y_contents(w, n);
    y_map_end(w);
}

static void y_value(ywriter *w, const fg_node *n) {
    const gnode *gn = is_node(n) ? info(w->g, n) : NULL;
    if (gn != NULL && is_shared(gn)) {
        y_plain(w, "!ref", gn->name);
    } else if (gn != NULL) {
        y_node(w, n);
    } else if (n->var != NULL) { /* a plain value given by !var */
        y_map_start(w);
        y_field(w, "kind", "var");
        y_field(w, "name", n->var);
        y_location(w, &n->loc);
        y_str(w, "value");
        y_contents(w, n);
        y_map_end(w);
    } else {
        y_contents(w, n);
    }
}

static fg_status write_yaml(graph *g, const fg_config *cfg, fg_error *err) {
    const fg_node *root = fg_config_root(cfg);
    appendf(g, "# Object graph of ");
    for (const char *c = root->loc.file != NULL ? root->loc.file : "<config>"; *c; c++)
        append(g, (unsigned char)*c < 0x20 ? "?" : c, 1); /* a newline would end the comment */
    appendf(g, ", after tags, --set and !var.\n"
               "# Nodes used more than once or named by @identity are defined once under\n"
               "# .define and written !ref NAME where used.\n");
    ywriter w;
    memset(&w, 0, sizeof w);
    w.g = g;
    if (!yaml_emitter_initialize(&w.em)) return fgc_nomem(err, NULL);
    yaml_emitter_set_output(&w.em, y_write, g);
    yaml_emitter_set_unicode(&w.em, 1);
    yaml_emitter_set_width(&w.em, 100);
    yaml_event_t e;
    yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING);
    y_emit(&w, &e);
    yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1);
    y_emit(&w, &e);
    y_map_start(&w);
    bool any_shared = false;
    for (size_t k = 0; k < g->n_finish; k++) {
        const gnode *gn = &g->nodes[g->finish[k]];
        if (!is_shared(gn)) continue;
        if (!any_shared) {
            y_str(&w, ".define");
            y_map_start(&w);
            any_shared = true;
        }
        y_str(&w, gn->name);
        y_node(&w, gn->node);
    }
    if (any_shared) y_map_end(&w);
    for (size_t k = 0; k < root->n; k++) {
        y_str(&w, root->keys[k]);
        y_value(&w, root->items[k]);
    }
    y_map_end(&w);
    yaml_document_end_event_initialize(&e, 1);
    y_emit(&w, &e);
    yaml_stream_end_event_initialize(&e);
    y_emit(&w, &e);
    fg_status st = FG_OK;
    if (g->nomem)
        st = fgc_nomem(err, NULL);
    else if (w.failed)
        st = fgc_fail(err, FG_E_INTERNAL, NULL, "cannot write the graph as YAML: %s",
                      w.em.problem != NULL ? w.em.problem : "emitter error");
    yaml_emitter_delete(&w.em);
    return st;
}

/* ---- DOT ----------------------------------------------------------------------------- */

/* A DOT string body: quotes and backslashes escaped, control characters as spaces. */
static void dot_text(graph *g, const char *s) {
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            appendf(g, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            append(g, " ", 1);
        else
            append(g, s, 1);
    }
}

static size_t vertex(const graph *g, const fg_node *n) {
    size_t at = 0;
    fgc_ptrmap_get(&g->index, n, &at);
    return at + 1;
}

/* Edges from vertex `from` to the nodes in value n, reached through plain containers
 * (the current path is the edge's label). */
static void dot_edges(graph *g, size_t from, const fg_node *n) {
    if (is_node(n)) {
        appendf(g, "  n%zu -> n%zu [label=\"", from, vertex(g, n));
        dot_text(g, g->path != NULL ? g->path : "");
        append(g, "\"];\n", 4);
        return;
    }
    if (!is_container(n)) return;
    for (size_t k = 0; k < n->n; k++) {
        size_t old = path_push(g, n->type == FG_NODE_MAP ? n->keys[k] : NULL, k);
        dot_edges(g, from, n->items[k]);
        path_pop(g, old);
    }
}

static fg_status write_dot(graph *g, fg_error *err) {
    appendf(g, "digraph config {\n  node [shape=box];\n");
    for (size_t k = 0; k < g->n; k++) {
        const gnode *gn = &g->nodes[k];
        const fg_node *n = gn->node;
        appendf(g, "  n%zu [label=\"", k + 1);
        dot_text(g, gn->name);
        appendf(g, "\\n%s", kind_name(n));
        if (n->ctor != FG_CTOR_NONE) {
            append(g, " ", 1);
            dot_text(g, n->ref != NULL ? n->ref : "");
        }
        append(g, "\", tooltip=\"", 12);
        dot_text(g, n->loc.file != NULL ? n->loc.file : "<config>");
        appendf(g, ":%d:%d\"];\n", n->loc.line, n->loc.column);
    }
    for (size_t k = 0; k < g->n; k++) {
        const fg_node *n = g->nodes[k].node;
        if (!is_container(n)) continue;
        for (size_t c = 0; c < n->n; c++) {
            size_t old = path_push(g, n->type == FG_NODE_MAP ? n->keys[c] : NULL, c);
            dot_edges(g, k + 1, n->items[c]);
            path_pop(g, old);
        }
    }
    append(g, "}\n", 2);
    return g->nomem ? fgc_nomem(err, NULL) : FG_OK;
}

/* ---- entry --------------------------------------------------------------------------- */

static fg_status build(graph *g, const fg_config *cfg, fg_graph_format fmt, fg_error *err) {
    const fg_node *root = fg_config_root(cfg);
    if (root == NULL || root->type != FG_NODE_MAP)
        return fgc_fail(err, FG_E_INVALID_ARG, NULL, "fg_config_graph: no configuration");
    if (fmt != FG_GRAPH_YAML && fmt != FG_GRAPH_DOT)
        return fgc_fail(err, FG_E_INVALID_ARG, NULL, "fg_config_graph: unknown format %d",
                        (int)fmt);
    g->budget = GRAPH_BUDGET;
    for (size_t k = 0; k < root->n; k++) {
        size_t old = path_push(g, root->keys[k], k);
        fg_status st = discover(g, root->items[k], err);
        path_pop(g, old);
        if (st != FG_OK) return st;
    }
    fg_status st = name_nodes(g, err);
    if (st != FG_OK) return st;
    return fmt == FG_GRAPH_YAML ? write_yaml(g, cfg, err) : write_dot(g, err);
}

fg_status fg_config_graph(const fg_config *cfg, fg_graph_format fmt, char **out, fg_error *err) {
    fg_error e = {0, {0}};
    graph g;
    memset(&g, 0, sizeof g);
    if (out != NULL) *out = NULL;
    fg_status st = out == NULL ? fgc_fail(&e, FG_E_INVALID_ARG, NULL,
                                          "fg_config_graph: missing output pointer")
                               : build(&g, cfg, fmt, &e);
    for (size_t k = 0; k < g.n; k++) free(g.nodes[k].path);
    free(g.nodes);
    free(g.finish);
    free(g.path);
    fgc_ptrmap_free(&g.index);
    fgc_arena_free(&g.names);
    if (st != FG_OK) {
        free(g.buf);
        if (err != NULL) *err = e;
        return st;
    }
    *out = g.buf;
    return FG_OK;
}
