/* YAML text -> fg_node tree, driven by libyaml's event API.
 *
 * Events rather than libyaml's document API because we need what the document API
 * hides: the place and name of every alias (for "undefined alias" and "recursive alias"
 * errors), the style of each scalar (quoted scalars are never numbers), and control of
 * the recursion depth. An anchor maps to the fg_node built for it, so an alias yields the
 * same pointer: singletons cached on a node are then shared by every alias.
 *
 * Tags that change a node's shape are applied here too: !dlist turns its mapping into a
 * list (see compose_mapping), and a !var node is replaced by the variable's value.
 *
 * Ownership rule of the composer: compose() always deletes the event it is given. */
#include "config/config_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct loader {
    fg_config *cfg;
    const fgc_parse_opts *opts;
    const char *text;
    size_t len;
    yaml_parser_t parser;
    fgc_pairs anchors; /* name -> node; the node is NULL while it is being composed */
    fgc_ptrmap anchored; /* every anchored node (value unused) */
    fgc_ptrmap dlists;   /* list made by !dlist -> its mapping, which `<<` merges */
    bool in_key;         /* composing a mapping key */
    fg_error *err;
} loader;

static int clamp_int(size_t v) { return v >= INT_MAX ? INT_MAX : (int)v; }

/* Where libyaml says something is: used for error messages. */
static fg_loc mark_loc(const loader *L, yaml_mark_t m) {
    fg_loc at = {L->opts->file, clamp_int(m.line + 1), clamp_int(m.column + 1)};
    return at;
}

/* Where a node says it comes from. */
static fg_loc node_loc(const loader *L, yaml_mark_t m) {
    return L->opts->fixed_loc != NULL ? *L->opts->fixed_loc : mark_loc(L, m);
}

/* libyaml reports reader errors (bad UTF-8, control characters) as a byte offset. */
static fg_loc offset_loc(const loader *L, size_t offset) {
    fg_loc at = {L->opts->file, 1, 1};
    for (size_t k = 0; k < offset && k < L->len; k++) {
        if (L->text[k] == '\n') {
            at.line = clamp_int((size_t)at.line + 1);
            at.column = 1;
        } else {
            at.column = clamp_int((size_t)at.column + 1);
        }
    }
    return at;
}

static fg_status syntax_error(loader *L) {
    const yaml_parser_t *p = &L->parser;
    const char *problem = p->problem != NULL ? p->problem : "unknown error";
    if (p->error == YAML_MEMORY_ERROR) return fgc_nomem(L->err, NULL);
    if (p->error == YAML_READER_ERROR) {
        fg_loc at = offset_loc(L, p->problem_offset);
        if (p->problem_value != -1)
            return fgc_fail(L->err, FG_E_PARSE, &at,
                            "invalid YAML input: %s (#%X at byte offset %zu); expected UTF-8 "
                            "text without control characters",
                            problem, (unsigned)p->problem_value, p->problem_offset);
        return fgc_fail(L->err, FG_E_PARSE, &at, "invalid YAML input: %s", problem);
    }
    fg_loc at = mark_loc(L, p->problem_mark);
    if (p->context != NULL) {
        fg_loc ctx = mark_loc(L, p->context_mark);
        return fgc_fail(L->err, FG_E_PARSE, &at,
                        "YAML syntax error: %s (%s that starts at line %d, column %d)", problem,
                        p->context, ctx.line, ctx.column);
    }
    return fgc_fail(L->err, FG_E_PARSE, &at, "YAML syntax error: %s", problem);
}

static fg_status next_event(loader *L, yaml_event_t *ev) {
    if (!yaml_parser_parse(&L->parser, ev)) return syntax_error(L);
    return FG_OK;
}

static fg_node *new_node(loader *L, fg_node_type type, fg_loc loc) {
    fg_node *n = fgc_alloc(&L->cfg->arena, sizeof *n);
    if (n == NULL) return NULL;
    n->type = type;
    n->loc = loc;
    return n;
}

/* ---- anchors & aliases ------------------------------------------------------------
 * Anchors must be unique in a text, as in PyYAML (Forgather's loader): YAML 1.2 would let
 * a second `&x` shadow the first, but in a templated config that is almost always two
 * definitions colliding, and every later `*x` would silently change meaning. */

/* Registers an anchor before its node's children are composed, so that an alias inside
 * them is recognised as recursive rather than undefined. Returns its slot in *slot. */
static fg_status anchor_open(loader *L, const yaml_char_t *name, const fg_loc *at, size_t *slot) {
    *slot = SIZE_MAX;
    if (name == NULL) return FG_OK;
    long prev = fgc_pairs_find(&L->anchors, (const char *)name);
    if (prev >= 0) {
        const fg_loc *first = &L->anchors.locs[prev];
        return fgc_fail(L->err, FG_E_PARSE, at,
                        "duplicate anchor '&%.100s' (first defined at line %d, column %d); "
                        "expected each anchor name once per file",
                        (const char *)name, first->line, first->column);
    }
    const char *copy = fgc_strdup(&L->cfg->arena, (const char *)name);
    if (copy == NULL || !fgc_pairs_push(&L->cfg->arena, &L->anchors, copy, *at, NULL))
        return fgc_nomem(L->err, at);
    *slot = L->anchors.n - 1;
    return FG_OK;
}

static fg_status anchor_close(loader *L, size_t slot, fg_node *node) {
    if (slot == SIZE_MAX) return FG_OK;
    L->anchors.items[slot] = node;
    if (!fgc_ptrmap_put(&L->anchored, node, 0)) return fgc_nomem(L->err, &node->loc);
    return FG_OK;
}

static fg_status compose_alias(loader *L, const yaml_event_t *ev, fg_node **out) {
    const char *name = (const char *)ev->data.alias.anchor;
    fg_loc at = mark_loc(L, ev->start_mark);
    long k = fgc_pairs_find(&L->anchors, name);
    if (k < 0)
        return fgc_fail(L->err, FG_E_PARSE, &at,
                        "undefined alias '*%.100s'; expected an anchor '&%.100s' defined "
                        "earlier in the file",
                        name, name);
    if (L->anchors.items[k] == NULL)
        return fgc_fail(L->err, FG_E_PARSE, &at,
                        "alias '*%.100s' refers to a node that contains it; recursive "
                        "structures are not supported",
                        name);
    *out = L->anchors.items[k];
    return FG_OK;
}

/* ---- !var ------------------------------------------------------------------------- */

/* Value of variable `name`: the last matching entry of the caller's vars, parsed as
 * YAML; else `deflt` when given; else an error at the !var. */
static fg_status var_value(loader *L, const char *name, const fg_loc *at, const fg_loc *nloc,
                           fg_node *deflt, int depth, fg_node **out) {
    fg_config *cfg = L->cfg;
    if (!L->opts->allow_vars)
        return fgc_fail(L->err, FG_E_PARSE, at,
                        "!var '%.100s' cannot be used here (values of variables are plain YAML)",
                        name);
    for (size_t k = cfg->n_vars; k-- > 0;) {
        const fgc_var *v = &cfg->vars[k];
        if (strcmp(v->name, name) != 0) continue;
        size_t flen = strlen(name) + 8;
        char *file = fgc_alloc(&cfg->arena, flen);
        if (file == NULL) return fgc_nomem(L->err, at);
        snprintf(file, flen, "!var %s", name);
        fgc_parse_opts o = {file, nloc, true, false, depth};
        fg_error inner = {0, {0}};
        fg_status st = fgc_parse_text(cfg, v->value, v->len, &o, out, &inner);
        if (st == FG_E_NOMEM) return fgc_nomem(L->err, at);
        if (st != FG_OK)
            return fgc_fail(L->err, st, at, "in the value given for variable '%.100s': %s", name,
                            inner.msg);
        (*out)->var = name; /* a fresh node: nothing else refers to it */
        return FG_OK;
    }
    if (deflt != NULL) {
        /* an anchored default may be used elsewhere as a plain value: leave it unmarked */
        if (!fgc_ptrmap_get(&L->anchored, deflt, NULL)) deflt->var = name;
        *out = deflt;
        return FG_OK;
    }
    return fgc_fail(L->err, FG_E_PARSE, at,
                    "variable '%.100s' is undefined; pass a value for it or write !var {name: "
                    "%.100s, default: VALUE}",
                    name, name);
}

/* `!var {name: N, default: D}`: `map` is the composed mapping. */
static fg_status var_from_map(loader *L, const fg_node *map, const fg_loc *at,
                              const fg_loc *nloc, int depth, fg_node **out) {
    const fg_node *name = NULL;
    fg_node *deflt = NULL;
    for (size_t k = 0; k < map->n; k++) {
        if (strcmp(map->keys[k], "name") == 0) {
            name = map->items[k];
        } else if (strcmp(map->keys[k], "default") == 0) {
            deflt = map->items[k];
        } else {
            return fgc_fail(L->err, FG_E_PARSE, &map->key_locs[k],
                            "unexpected key '%.100s' in !var; expected 'name' and optionally "
                            "'default'",
                            map->keys[k]);
        }
    }
    if (name == NULL)
        return fgc_fail(L->err, FG_E_PARSE, at,
                        "!var mapping has no 'name'; expected !var {name: NAME, default: VALUE}");
    if (name->type == FG_NODE_LIST || name->type == FG_NODE_MAP || name->ctor != FG_CTOR_NONE ||
        name->s == NULL || name->s[0] == '\0')
        return fgc_fail(L->err, FG_E_PARSE, &name->loc,
                        "the 'name' of a !var must be a non-empty string");
    /* deflt is NULL only when there is no 'default' key: `default: ~` is a null node */
    return var_value(L, name->s, at, nloc, deflt, depth, out);
}

/* ---- scalars ---------------------------------------------------------------------- */

static fg_status compose_scalar(loader *L, const yaml_event_t *ev, int depth, fg_node **out) {
    const fg_loc at = mark_loc(L, ev->start_mark);
    const fg_loc nloc = node_loc(L, ev->start_mark);
    fgc_tag tag;
    char why[768];
    fg_status st = fgc_tag_classify(&L->cfg->arena, (const char *)ev->data.scalar.tag, &tag, why,
                                    sizeof why);
    if (st == FG_E_NOMEM) return fgc_nomem(L->err, &at);
    if (st != FG_OK) return fgc_fail(L->err, st, &at, "%s", why);

    const char *text =
        fgc_strndup(&L->cfg->arena, (const char *)ev->data.scalar.value, ev->data.scalar.length);
    if (text == NULL) return fgc_nomem(L->err, &at);
    size_t slot;
    st = anchor_open(L, ev->data.scalar.anchor, &at, &slot);
    if (st != FG_OK) return st;

    fg_node *n = NULL;
    fgc_scalar_kind kind = FGC_SCALAR_STR;
    switch (tag.kind) {
    case FGC_TAG_VAR:
        if (text[0] == '\0')
            return fgc_fail(L->err, FG_E_PARSE, &at,
                            "!var needs a variable name: !var NAME or !var {name: NAME, "
                            "default: VALUE}");
        st = var_value(L, text, &at, &nloc, NULL, depth, &n);
        if (st != FG_OK) return st;
        if ((st = anchor_close(L, slot, n)) != FG_OK) return st;
        *out = n;
        return FG_OK;
    case FGC_TAG_MAP:
    case FGC_TAG_SEQ:
    case FGC_TAG_DLIST: {
        /* Forgather accepts `!dict ''`, `!list ''`, ... for an empty container */
        if (!tag.empty_ok || text[0] != '\0')
            return fgc_fail(L->err, FG_E_PARSE, &at, "tag '%s' expects %s, found the scalar '%.80s'",
                            tag.spelling, tag.kind == FGC_TAG_SEQ ? "a list" : "a mapping", text);
        n = new_node(L, tag.kind == FGC_TAG_MAP ? FG_NODE_MAP : FG_NODE_LIST, nloc);
        if (n == NULL) return fgc_nomem(L->err, &at);
        n->s = text;
        n->identity = tag.identity;
        n->container = tag.container;
        if ((st = anchor_close(L, slot, n)) != FG_OK) return st;
        *out = n;
        return FG_OK;
    }
    case FGC_TAG_NONE:
        kind = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? FGC_SCALAR_AUTO : FGC_SCALAR_STR;
        break;
    case FGC_TAG_SCALAR: kind = tag.scalar; break;
    case FGC_TAG_NONSPECIFIC: kind = FGC_SCALAR_STR; break;
    case FGC_TAG_CTOR:
        /* Forgather passes each character of a scalar payload as an argument
         * (`!singleton:max "319"` is max('3', '1', '9')): never what is meant. A key is
         * left to add_pair, which says that keys take no constructor tags. */
        if (text[0] != '\0' && !L->in_key)
            return fgc_fail(L->err, FG_E_PARSE, &at,
                            "'%s' has the scalar '%.80s' as its arguments (Forgather would pass "
                            "each character as one); write {NAME: value} for named arguments, "
                            "[value] for a positional one, or nothing for none",
                            tag.spelling, text);
        kind = FGC_SCALAR_STR; /* empty: no arguments */
        break;
    }
    n = new_node(L, FG_NODE_STR, nloc);
    if (n == NULL) return fgc_nomem(L->err, &at);
    n->s = text;
    if (!fgc_scalar_resolve(n, kind, why, sizeof why)) {
        /* a key is a name: an untagged one too long for a number is still its text */
        if (!L->in_key || kind != FGC_SCALAR_AUTO)
            return fgc_fail(L->err, FG_E_PARSE, &at, "%s", why);
        n->type = FG_NODE_STR;
    }
    n->ctor = tag.ctor;
    n->ref = tag.ref;
    n->identity = tag.identity;
    if ((st = anchor_close(L, slot, n)) != FG_OK) return st;
    *out = n;
    return FG_OK;
}

/* ---- containers ------------------------------------------------------------------- */

static fg_status compose(loader *L, yaml_event_t *ev, int depth, fg_node **out);

static fg_status compose_sequence(loader *L, const yaml_event_t *ev, int depth, fg_node **out) {
    const fg_loc at = mark_loc(L, ev->start_mark);
    fgc_tag tag;
    char why[768];
    fg_status st = fgc_tag_classify(&L->cfg->arena, (const char *)ev->data.sequence_start.tag,
                                    &tag, why, sizeof why);
    if (st == FG_E_NOMEM) return fgc_nomem(L->err, &at);
    if (st != FG_OK) return fgc_fail(L->err, st, &at, "%s", why);
    if (tag.kind == FGC_TAG_VAR)
        return fgc_fail(L->err, FG_E_PARSE, &at,
                        "!var cannot be applied to a list; expected !var NAME or !var {name: "
                        "NAME, default: VALUE}");
    if (tag.kind == FGC_TAG_DLIST)
        return fgc_fail(L->err, FG_E_PARSE, &at,
                        "tag '%s' expects a mapping (its values, in order, make the list; a "
                        "null value drops its entry), found a list",
                        tag.spelling);
    if (tag.kind == FGC_TAG_MAP || tag.kind == FGC_TAG_SCALAR)
        return fgc_fail(L->err, FG_E_PARSE, &at, "tag '%s' cannot be applied to a list",
                        tag.spelling);

    fg_node *n = new_node(L, FG_NODE_LIST, node_loc(L, ev->start_mark));
    if (n == NULL) return fgc_nomem(L->err, &at);
    n->container = tag.container;
    n->ctor = tag.ctor;
    n->ref = tag.ref;
    n->identity = tag.identity;
    size_t slot;
    st = anchor_open(L, ev->data.sequence_start.anchor, &at, &slot);
    if (st != FG_OK) return st;

    size_t cap = 0;
    for (;;) {
        yaml_event_t child;
        if ((st = next_event(L, &child)) != FG_OK) return st;
        if (child.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&child);
            break;
        }
        fg_node *item;
        if ((st = compose(L, &child, depth + 1, &item)) != FG_OK) return st;
        fg_node **items = fgc_grow(&L->cfg->arena, n->items, &cap, sizeof *items, n->n + 1);
        if (items == NULL) return fgc_nomem(L->err, &at);
        n->items = items;
        n->items[n->n++] = item;
    }
    if ((st = anchor_close(L, slot, n)) != FG_OK) return st;
    *out = n;
    return FG_OK;
}

static bool is_merge_key(const yaml_event_t *ev) {
    return ev->type == YAML_SCALAR_EVENT && ev->data.scalar.tag == NULL &&
           ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.length == 2 &&
           memcmp(ev->data.scalar.value, "<<", 2) == 0;
}

typedef struct sources {
    fg_node **items;
    size_t n, cap;
} sources;

/* The mapping a !dlist list was made from, or NULL: merging `<<: *a` where &a is a
 * !dlist merges the mapping's pairs, as PyYAML does for any tagged mapping. */
static fg_node *dlist_mapping(const loader *L, const fg_node *n) {
    size_t raw;
    if (n->type != FG_NODE_LIST || !fgc_ptrmap_get(&L->dlists, n, &raw)) return NULL;
    return (fg_node *)(uintptr_t)raw;
}

/* `<<: *a` or `<<: [*a, *b]`: records the mappings to merge. */
static fg_status add_merge_sources(loader *L, sources *src, fg_node *value, const fg_loc *at) {
    fg_node *whole = dlist_mapping(L, value);
    if (whole == NULL && value->type != FG_NODE_LIST) whole = value;
    size_t count = whole != NULL ? 1 : value->n;
    for (size_t k = 0; k < count; k++) {
        fg_node *m = whole != NULL ? whole : value->items[k];
        if (whole == NULL && dlist_mapping(L, m) != NULL) m = dlist_mapping(L, m);
        if (m->type != FG_NODE_MAP)
            return fgc_fail(L->err, FG_E_PARSE, value->type == FG_NODE_LIST ? &m->loc : at,
                            "merge key '<<' expects a mapping or a list of mappings (e.g. '<<: "
                            "*base'), found %s",
                            fgc_type_article(m->type));
        fg_node **items = fgc_grow(&L->cfg->arena, src->items, &src->cap, sizeof *items, src->n + 1);
        if (items == NULL) return fgc_nomem(L->err, at);
        src->items = items;
        src->items[src->n++] = m;
    }
    return FG_OK;
}

/* Adds one explicit `key: value` pair, rejecting non-scalar and duplicate keys. */
static fg_status add_pair(loader *L, fgc_pairs *pairs, const fg_node *key, const fg_loc *kat,
                          fg_node *value) {
    if (key->type == FG_NODE_LIST || key->type == FG_NODE_MAP)
        return fgc_fail(L->err, FG_E_PARSE, kat,
                        "mapping keys must be scalars (names, numbers), found %s",
                        fgc_type_article(key->type));
    if (key->ctor != FG_CTOR_NONE)
        return fgc_fail(L->err, FG_E_PARSE, kat,
                        "a mapping key cannot carry a constructor tag; put the tag on the value");
    const char *name = key->s != NULL ? key->s : "";
    long prev = fgc_pairs_find(pairs, name);
    if (prev >= 0) {
        const fg_loc *first = &pairs->locs[prev];
        if (L->opts->fixed_loc != NULL) /* every loc is the same: point into the text */
            return fgc_fail(L->err, FG_E_PARSE, kat, "duplicate key '%.100s' in a mapping", name);
        return fgc_fail(L->err, FG_E_PARSE, kat,
                        "duplicate key '%.100s' in this mapping (first defined at line %d, "
                        "column %d); each key may appear once",
                        name, first->line, first->column);
    }
    if (!fgc_pairs_push(&L->cfg->arena, pairs, name, key->loc, value))
        return fgc_nomem(L->err, kat);
    return FG_OK;
}

/* `!dlist {a: x, b: ~, c: y}` is the list [x, y]: the values in order, nulls dropped, so a
 * template that extends another can delete an entry with `key: ~`. The mapping is kept
 * aside for merge keys; the list takes over the node's identity. */
static fg_status dlist_from_mapping(loader *L, fg_node *map, fg_node **out) {
    fg_node *list = new_node(L, FG_NODE_LIST, map->loc);
    if (list == NULL) return fgc_nomem(L->err, &map->loc);
    list->container = FG_CONTAINER_LIST;
    list->identity = map->identity;
    map->identity = NULL;
    map->container = FG_CONTAINER_PLAIN;
    if (map->n > 0) {
        list->items = fgc_alloc(&L->cfg->arena, map->n * sizeof *list->items);
        if (list->items == NULL) return fgc_nomem(L->err, &map->loc);
    }
    for (size_t k = 0; k < map->n; k++)
        if (map->items[k]->type != FG_NODE_NULL) list->items[list->n++] = map->items[k];
    if (!fgc_ptrmap_put(&L->dlists, list, (size_t)(uintptr_t)map))
        return fgc_nomem(L->err, &map->loc);
    *out = list;
    return FG_OK;
}

static fg_status compose_mapping(loader *L, const yaml_event_t *ev, int depth, fg_node **out) {
    const fg_loc at = mark_loc(L, ev->start_mark);
    const fg_loc nloc = node_loc(L, ev->start_mark);
    fgc_tag tag;
    char why[768];
    fg_status st = fgc_tag_classify(&L->cfg->arena, (const char *)ev->data.mapping_start.tag,
                                    &tag, why, sizeof why);
    if (st == FG_E_NOMEM) return fgc_nomem(L->err, &at);
    if (st != FG_OK) return fgc_fail(L->err, st, &at, "%s", why);
    if (tag.kind == FGC_TAG_SEQ || tag.kind == FGC_TAG_SCALAR)
        return fgc_fail(L->err, FG_E_PARSE, &at, "tag '%s' cannot be applied to a mapping",
                        tag.spelling);

    fg_node *n = new_node(L, FG_NODE_MAP, nloc);
    if (n == NULL) return fgc_nomem(L->err, &at);
    n->container = tag.container;
    n->ctor = tag.ctor;
    n->ref = tag.ref;
    n->identity = tag.identity;
    size_t slot;
    st = anchor_open(L, ev->data.mapping_start.anchor, &at, &slot);
    if (st != FG_OK) return st;

    fgc_pairs pairs, merged;
    memset(&pairs, 0, sizeof pairs);
    memset(&merged, 0, sizeof merged);
    sources src = {NULL, 0, 0};
    for (;;) {
        yaml_event_t kev, vev;
        if ((st = next_event(L, &kev)) != FG_OK) goto done;
        if (kev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&kev);
            break;
        }
        const bool merge = is_merge_key(&kev);
        const fg_loc kat = mark_loc(L, kev.start_mark);
        fg_node *key, *value;
        L->in_key = true;
        st = compose(L, &kev, depth + 1, &key);
        L->in_key = false;
        if (st != FG_OK) goto done;
        if ((st = next_event(L, &vev)) != FG_OK) goto done;
        if ((st = compose(L, &vev, depth + 1, &value)) != FG_OK) goto done;
        st = merge ? add_merge_sources(L, &src, value, &kat) : add_pair(L, &pairs, key, &kat, value);
        if (st != FG_OK) goto done;
    }
    const fgc_pairs *final = &pairs;
    if (src.n > 0) {
        st = fgc_merge_apply(&L->cfg->arena, src.items, src.n, &pairs, &merged, &at, L->err);
        if (st != FG_OK) goto done;
        final = &merged;
    }
    n->keys = final->keys;
    n->key_locs = final->locs;
    n->items = final->items;
    n->n = final->n;

    if (tag.kind == FGC_TAG_VAR) {
        fg_node *v;
        st = var_from_map(L, n, &at, &nloc, depth, &v);
        if (st != FG_OK) goto done;
        n = v;
    } else if (tag.kind == FGC_TAG_DLIST) {
        fg_node *list = NULL;
        if ((st = dlist_from_mapping(L, n, &list)) != FG_OK) goto done;
        n = list;
    }
    if ((st = anchor_close(L, slot, n)) != FG_OK) goto done;
    *out = n;
done:
    fgc_pairs_free(&pairs);
    fgc_pairs_free(&merged);
    return st;
}

static fg_status compose(loader *L, yaml_event_t *ev, int depth, fg_node **out) {
    fg_status st;
    if (depth > FG_CONFIG_MAX_DEPTH) {
        fg_loc at = mark_loc(L, ev->start_mark);
        st = fgc_fail(L->err, FG_E_PARSE, &at,
                      "the configuration nests deeper than %d levels; expected a flatter "
                      "structure",
                      FG_CONFIG_MAX_DEPTH);
    } else {
        switch (ev->type) {
        case YAML_ALIAS_EVENT: st = compose_alias(L, ev, out); break;
        case YAML_SCALAR_EVENT: st = compose_scalar(L, ev, depth, out); break;
        case YAML_SEQUENCE_START_EVENT: st = compose_sequence(L, ev, depth, out); break;
        case YAML_MAPPING_START_EVENT: st = compose_mapping(L, ev, depth, out); break;
        default: {
            fg_loc at = mark_loc(L, ev->start_mark);
            st = fgc_fail(L->err, FG_E_INTERNAL, &at, "unexpected YAML event %d", (int)ev->type);
        }
        }
    }
    yaml_event_delete(ev);
    return st;
}

/* ---- documents -------------------------------------------------------------------- */

/* Reads the events of a stream holding at most one document. */
static fg_status compose_stream(loader *L, fg_node **out) {
    yaml_event_t ev;
    fg_status st;
    if ((st = next_event(L, &ev)) != FG_OK) return st; /* STREAM-START */
    yaml_event_delete(&ev);
    if ((st = next_event(L, &ev)) != FG_OK) return st;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        fg_loc at = {L->opts->file, 1, 1};
        if (!L->opts->allow_empty)
            return fgc_fail(L->err, FG_E_PARSE, &at,
                            "the configuration is empty; expected a mapping of key: value pairs");
        fg_node *n = new_node(L, FG_NODE_NULL, L->opts->fixed_loc ? *L->opts->fixed_loc : at);
        if (n == NULL) return fgc_nomem(L->err, &at);
        n->s = "";
        *out = n;
        return FG_OK;
    }
    yaml_event_delete(&ev); /* DOCUMENT-START */
    if ((st = next_event(L, &ev)) != FG_OK) return st;
    if ((st = compose(L, &ev, L->opts->depth, out)) != FG_OK) return st;
    if ((st = next_event(L, &ev)) != FG_OK) return st; /* DOCUMENT-END */
    yaml_event_delete(&ev);
    if ((st = next_event(L, &ev)) != FG_OK) return st;
    if (ev.type != YAML_STREAM_END_EVENT) {
        fg_loc at = mark_loc(L, ev.start_mark);
        yaml_event_delete(&ev);
        return fgc_fail(L->err, FG_E_PARSE, &at,
                        "expected a single document in the stream, but found another document "
                        "(remove the '---' separator)");
    }
    yaml_event_delete(&ev);
    return FG_OK;
}

fg_status fgc_parse_text(fg_config *cfg, const char *text, size_t len,
                         const fgc_parse_opts *opts, fg_node **out, fg_error *err) {
    loader L;
    memset(&L, 0, sizeof L);
    L.cfg = cfg;
    L.opts = opts;
    L.text = text;
    L.len = len;
    L.err = err;
    if (!yaml_parser_initialize(&L.parser)) return fgc_nomem(err, NULL);
    yaml_parser_set_input_string(&L.parser, (const unsigned char *)text, len);
    fg_status st = compose_stream(&L, out);
    yaml_parser_delete(&L.parser);
    fgc_pairs_free(&L.anchors);
    fgc_ptrmap_free(&L.anchored);
    fgc_ptrmap_free(&L.dlists);
    return st;
}
