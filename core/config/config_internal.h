/* Internals of the YAML configuration loader (core/config/yaml_*.c, config_*.c).
 * Nothing here is used outside core/config. Every symbol carries the fgc_ prefix so it
 * cannot clash with the rest of the core, which is linked into the same library. */
#ifndef FG_CORE_CONFIG_INTERNAL_H
#define FG_CORE_CONFIG_INTERNAL_H

#include "config/config.h"

#include <stdarg.h>

/* ---- arena (config_arena.c) -------------------------------------------------------
 * Every node, string and array of a config lives in its arena, so fg_config_free is one
 * walk over the blocks and an error half-way through a parse leaks nothing. */
typedef struct fgc_block fgc_block;
typedef struct fgc_arena {
    fgc_block *head;
} fgc_arena;

void *fgc_alloc(fgc_arena *a, size_t size); /* zeroed; NULL when out of memory */
char *fgc_strndup(fgc_arena *a, const char *s, size_t len);
char *fgc_strdup(fgc_arena *a, const char *s);
/* Returns arr when its capacity *cap (elements of `elem` bytes) holds `need`, else a
 * copy with room to spare, updating *cap; NULL when out of memory. Arena memory cannot
 * be realloc'd, so the old array is simply abandoned (waste bounded by the final size).
 * Arrays grown together pass a copy of the shared capacity for all but the last. */
void *fgc_grow(fgc_arena *a, void *arr, size_t *cap, size_t elem, size_t need);
void fgc_arena_free(fgc_arena *a);

/* ---- the config object ------------------------------------------------------------ */
typedef struct fgc_var {
    const char *name;
    const char *value; /* YAML text */
    size_t len;
} fgc_var;

struct fg_config {
    fgc_arena arena;
    const char *name; /* file name used in locations */
    char *text;       /* the YAML source, NUL-terminated */
    size_t len;
    fg_node *root;
    /* copied from fg_config_parse so a later fg_config_set value may use !var too */
    fgc_var *vars;
    size_t n_vars;
};

/* ---- errors (config_error.c) ------------------------------------------------------
 * Writes "FILE:LINE:COL: message" (or "message" when loc is NULL) into err. */
fg_status fgc_fail(fg_error *err, fg_status code, const fg_loc *loc, const char *fmt, ...)
    FG_PRINTF(4, 5);
fg_status fgc_vfail(fg_error *err, fg_status code, const fg_loc *loc, const char *fmt,
                    va_list ap) FG_PRINTF(4, 0);
fg_status fgc_nomem(fg_error *err, const fg_loc *loc);
const char *fgc_type_article(fg_node_type t); /* "a list", "a mapping", "null", "a scalar" */

/* ---- parsing (yaml_load.c; the fg_config API is in config_load.c) --------------------------------------------------------
 * Parses one YAML document of `text` into cfg's arena (anchors are local to the text). */

typedef struct fgc_parse_opts {
    const char *file;        /* names the source in locations (arena copy) */
    const fg_loc *fixed_loc; /* if set, every node gets this location: values of !var
                              * have no place of their own in the config */
    bool allow_empty;        /* an empty stream gives a null node instead of an error */
    bool allow_vars;         /* !var is resolved from cfg->vars; else it is an error */
    int depth;               /* nesting used by the caller, so spliced values count too */
} fgc_parse_opts;

fg_status fgc_parse_text(fg_config *cfg, const char *text, size_t len,
                         const fgc_parse_opts *opts, fg_node **out, fg_error *err);

/* ---- scalars (yaml_scalar.c) ------------------------------------------------------ */
typedef enum fgc_scalar_kind {
    FGC_SCALAR_AUTO,  /* untagged plain scalar: YAML 1.1 as PyYAML (yaml_scalar.c) */
    FGC_SCALAR_STR,   /* quoted/block scalars, '!', !!str */
    FGC_SCALAR_INT,   /* !!int */
    FGC_SCALAR_FLOAT, /* !!float */
    FGC_SCALAR_BOOL,  /* !!bool */
    FGC_SCALAR_NULL,  /* !!null */
} fgc_scalar_kind;

/* Sets n->type and the value fields from `text` (n->s must already point at it).
 * On failure writes a reason (without location) into why and returns false. */
bool fgc_scalar_resolve(fg_node *n, fgc_scalar_kind kind, char *why, size_t why_len);

/* True when `text`, written as a plain scalar, reads back as that string both here and
 * in PyYAML: so anything number-like, boolean, null, '=' or '<<' is false. */
bool fgc_scalar_plain_ok(const char *text);

/* Text of a double that reads back as the same value, here and in PyYAML: the shortest
 * round trip, always with a '.' ("1.0e-05", "3.0"), or .inf / -.inf / .nan. */
void fgc_format_float(double f, char *buf, size_t cap);

/* ---- tags (yaml_tags.c) ----------------------------------------------------------- */
typedef enum fgc_tag_kind {
    FGC_TAG_NONE,        /* no tag */
    FGC_TAG_NONSPECIFIC, /* '!': scalars are strings, containers are plain */
    FGC_TAG_SCALAR,      /* !!str !!int !!float !!bool !!null: `scalar` says which */
    FGC_TAG_MAP,         /* !!map, !dict[:@id] */
    FGC_TAG_SEQ,         /* !!seq, !list[:@id], !tuple[:@id] */
    FGC_TAG_DLIST,       /* !dlist[:@id]: a mapping becomes the list of its values */
    FGC_TAG_CTOR,        /* !singleton: !call: !partial: !lambda: !factory: !meta: */
    FGC_TAG_VAR,         /* !var */
} fgc_tag_kind;

typedef struct fgc_tag {
    fgc_tag_kind kind;
    fgc_scalar_kind scalar; /* FGC_TAG_SCALAR */
    fg_ctor ctor;           /* FGC_TAG_CTOR */
    fg_container container; /* FGC_TAG_MAP / SEQ / DLIST */
    const char *ref;        /* FGC_TAG_CTOR: arena copy */
    const char *identity;   /* after '@', arena copy, or NULL */
    bool empty_ok;          /* container tags also accept an empty scalar (Forgather: '') */
    char spelling[64];      /* the tag as the user wrote it, shortened, for messages */
} fgc_tag;

/* Classifies a libyaml tag (NULL = untagged). On an unknown or malformed tag returns
 * FG_E_PARSE with the reason (no location) in why; FG_E_NOMEM when out of memory. */
fg_status fgc_tag_classify(fgc_arena *a, const char *tag, fgc_tag *out, char *why,
                           size_t why_len);

/* ---- pointer map (config_ptrmap.c) -------------------------------------------------
 * Open-addressing hash from a pointer (a node) to a number, for the walks over a node
 * graph that must visit shared nodes once. malloc'd: fgc_ptrmap_free. */
typedef struct fgc_ptrmap {
    const void **keys;
    size_t *values;
    size_t cap, count;
} fgc_ptrmap;

bool fgc_ptrmap_get(const fgc_ptrmap *m, const void *key, size_t *value); /* false: absent */
bool fgc_ptrmap_put(fgc_ptrmap *m, const void *key, size_t value);       /* false: no memory */
void fgc_ptrmap_free(fgc_ptrmap *m);

/* ---- mapping pairs (config_pairs.c) ---------------------------------------------
 * Pairs of a mapping under construction, with a hash from key to position so duplicate
 * checks and merges stay linear in the number of keys (users and the fuzzer both write
 * large maps). The arrays live in the arena; the hash is malloc'd: fgc_pairs_free. */
typedef struct fgc_pairs {
    const char **keys;
    fg_loc *locs;
    fg_node **items;
    size_t n, cap;
    size_t *slots; /* hash: position + 1, 0 = empty */
    size_t n_slots;
} fgc_pairs;

long fgc_pairs_find(const fgc_pairs *p, const char *key); /* position or -1 */
/* Appends a pair whose key is not present yet. False when out of memory. */
bool fgc_pairs_push(fgc_arena *a, fgc_pairs *p, const char *key, fg_loc loc, fg_node *item);
void fgc_pairs_free(fgc_pairs *p); /* the hash only; the arrays belong to the arena */

/* ---- merge keys (yaml_merge.c) ----------------------------------------------------
 * Applies `<<` merges to a mapping under construction: the pairs of each source mapping
 * in order (an earlier source wins over a later one), then the explicit pairs, which
 * replace merged values in place or are appended. Fills *out (fresh, caller frees). */
fg_status fgc_merge_apply(fgc_arena *a, fg_node *const *sources, size_t n_sources,
                          const fgc_pairs *explicit_pairs, fgc_pairs *out,
                          const fg_loc *map_loc, fg_error *err);

/* ---- checks (config_check.c) ------------------------------------------------------
 * Over the graph reachable from root: fails when two distinct nodes carry the same
 * explicit @identity ("Multiple definitions found for node X", naming both places), or
 * when the nesting counted through aliases exceeds
 * FG_CONFIG_MAX_DEPTH. Shared nodes are visited once (linear in the graph size). */
fg_status fgc_check_graph(const fg_node *root, fg_error *err);

#endif
