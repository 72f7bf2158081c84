/* YAML configuration -> a tree of nodes with source locations and construction tags.
 * Internal to the core. The loader knows nothing of plugins: it parses, resolves
 * anchors/aliases/merge keys, classifies tags, applies --set overrides and !var values.
 * The object graph (core/config/objects.c) then validates against factory specs. */
#ifndef FG_CORE_CONFIG_H
#define FG_CORE_CONFIG_H

#include <forgather/fg_abi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fg_loc {
    const char *file; /* owned by the config */
    int line;         /* 1-based */
    int column;       /* 1-based */
} fg_loc;

typedef enum fg_node_type {
    FG_NODE_NULL,
    FG_NODE_BOOL,
    FG_NODE_INT,
    FG_NODE_FLOAT,
    FG_NODE_STR,
    FG_NODE_LIST,
    FG_NODE_MAP,
} fg_node_type;

/* What a tag asks the object graph to do with the node. */
typedef enum fg_ctor {
    FG_CTOR_NONE,      /* plain value */
    FG_CTOR_PARTIAL,   /* !partial:REF  (also !lambda:REF) */
    FG_CTOR_SINGLETON, /* !singleton:REF (also !call:REF) */
    FG_CTOR_FACTORY,   /* !factory:REF */
    FG_CTOR_META,      /* !meta:REF: a singleton given its arguments as config nodes */
} fg_ctor;

/* Which container tag made a LIST or MAP node. Forgather builds these as named
 * singletons; here they are plain values, and the tag is kept for `fgrun graph` and the
 * effective config. !dlist gives a LIST (its mapping's values, nulls dropped). */
typedef enum fg_container {
    FG_CONTAINER_PLAIN, /* untagged, !!map or !!seq */
    FG_CONTAINER_DICT,  /* !dict */
    FG_CONTAINER_LIST,  /* !list, !dlist */
    FG_CONTAINER_TUPLE, /* !tuple */
} fg_container;

typedef struct fg_node fg_node;
struct fg_node {
    fg_node_type type;
    fg_ctor ctor;
    fg_container container;
    const char *ref;      /* factory reference of a ctor tag, e.g. "adamw", "torch.optim:AdamW" */
    const char *identity; /* the part after '@' in a tag, or NULL */
    const char *var;      /* the !var whose value this node is, or NULL (for `fgrun graph`;
                           * not set on a default that is anchored, as it is shared) */
    fg_loc loc;           /* where the node starts */
    /* scalars */
    bool b;
    int64_t i;
    double f;
    const char *s;        /* STR: the string; other scalars: their source text */
    /* containers: LIST uses items; MAP uses keys + items (+ key_locs), in document order */
    size_t n;
    fg_node **items;
    const char **keys;
    fg_loc *key_locs;
    /* set by the object graph: constructed singleton, cached on the node so every alias
     * sees the same object */
    void *object;
};

typedef struct fg_config fg_config;

/* Nesting bound of a loaded tree, counted through aliases (the root is level 0): deeper
 * input is a parse error, so code may walk a tree recursively without overflowing. */
#define FG_CONFIG_MAX_DEPTH 400

/* Values for `!var NAME`; later entries win. */
typedef struct fg_var {
    const char *name;
    const char *yaml_value; /* parsed as a YAML scalar/flow value */
} fg_var;

/* Parses one YAML document. `name` is the file name used in locations. Plain scalars
 * resolve as in PyYAML's YAML 1.1 SafeLoader (yes/no/on/off are booleans, 0x/0b/leading-0
 * octal ints, underscores), except: 1e-3 and 1.0e3 are floats, 0o17 is an int, -.5 is a
 * float, and dates and base-60 numbers (1:30) stay strings (docs/config.md).
 * Tags: !partial:REF, !lambda:REF, !singleton:REF, !call:REF, !factory:REF, !meta:REF
 * (each with optional @identity; the payload is a mapping, a list or nothing),
 * !var NAME / !var {name: N, default: D}, !dict, !list, !tuple, !dlist (each optionally
 * :@identity); any other tag is an error. Root keys starting with '.' are dropped after
 * parsing (anchors stay usable). Two distinct nodes with one @identity are an error. */
fg_status fg_config_parse(const char *text, size_t len, const char *name, const fg_var *vars,
                          size_t n_vars, fg_config **out, fg_error *err);
fg_status fg_config_load_file(const char *path, const fg_var *vars, size_t n_vars,
                              fg_config **out, fg_error *err);
void fg_config_free(fg_config *cfg);

fg_node *fg_config_root(const fg_config *cfg);
const char *fg_config_text(const fg_config *cfg); /* the YAML source as loaded */

/* Overrides a value: "a.b.c=VALUE", VALUE parsed as YAML (flow style allowed). Path
 * elements index maps by key and lists by number. The key must exist except the last
 * element of a map, which is added. Aliases: the walk follows nodes, so setting a key
 * inside an aliased mapping is seen through every alias (one node), while replacing an
 * aliased node itself changes only that slot of its parent. On error nothing changes. */
fg_status fg_config_set(fg_config *cfg, const char *assignment, fg_error *err);

/* The tree as YAML (malloc'd; free it): what was actually used, after --set and !var.
 * Shared nodes keep one anchor; reading it back gives the same tree. */
fg_status fg_config_emit(const fg_config *cfg, char **out, fg_error *err);

/* The object graph for `fgrun graph` (malloc'd text; free it). FG_GRAPH_YAML: every root
 * entry, with each node (constructor or container tag) shown as its kind, factory,
 * identity, location and parameters; nodes reached more than once or carrying an
 * @identity are defined once under `.define:` (named by identity, else by the path where
 * first reached, e.g. main.model) and written `!ref NAME` everywhere. FG_GRAPH_DOT: a
 * Graphviz digraph, one vertex per node, edges parent -> child labelled by the parameter
 * path. Plain containers are not nodes: aliases of them are shown at each use. */
typedef enum { FG_GRAPH_YAML, FG_GRAPH_DOT } fg_graph_format;
fg_status fg_config_graph(const fg_config *cfg, fg_graph_format fmt, char **out, fg_error *err);

fg_node *fg_node_get(const fg_node *map, const char *key); /* NULL if absent / not a map */
const char *fg_node_type_name(fg_node_type t);

#endif
