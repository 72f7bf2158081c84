/* Overrides (`--set a.b.c=VALUE`) and small node accessors.
 *
 * Aliasing: the walk follows the nodes themselves, so setting a key *inside* a mapping
 * that is aliased elsewhere changes every alias (they are one node). Replacing a node
 * (the last path element) only rewrites that one slot of its parent: other aliases of
 * the old node keep the old node. */
#include "config/config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SET_FILE "--set"

fg_node *fg_node_get(const fg_node *map, const char *key) {
    if (map == NULL || key == NULL || map->type != FG_NODE_MAP) return NULL;
    for (size_t k = 0; k < map->n; k++)
        if (strcmp(map->keys[k], key) == 0) return map->items[k];
    return NULL;
}

const char *fg_node_type_name(fg_node_type t) {
    switch (t) {
    case FG_NODE_NULL: return "null";
    case FG_NODE_BOOL: return "bool";
    case FG_NODE_INT: return "int";
    case FG_NODE_FLOAT: return "float";
    case FG_NODE_STR: return "string";
    case FG_NODE_LIST: return "list";
    case FG_NODE_MAP: return "mapping";
    }
    return "unknown";
}

/* "a, b, c" (shortened) for "no key 'x'" messages, so a typo is easy to spot. */
static void list_keys(const fg_node *map, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    if (map->n == 0) {
        snprintf(buf, size, "(none)");
        return;
    }
    for (size_t k = 0; k < map->n; k++) {
        int w = snprintf(buf + used, size - used, "%s%s", k > 0 ? ", " : "", map->keys[k]);
        if (w < 0 || (size_t)w >= size - used) {
            /* no room: end with an ellipsis */
            if (size > 4) memcpy(buf + size - 4, "...", 4);
            return;
        }
        used += (size_t)w;
    }
}

/* Parses a list index: decimal digits only. */
static bool parse_index(const char *s, size_t *out) {
    if (*s == '\0') return false;
    size_t v = 0;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') return false;
        if (v > (SIZE_MAX - 9) / 10) return false;
        v = v * 10 + (size_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* Appends key/value to a mapping: new arena arrays, as the old ones are exactly full. */
static bool map_append(fg_config *cfg, fg_node *map, const char *key, fg_node *value) {
    size_t n = map->n + 1;
    const char **keys = fgc_alloc(&cfg->arena, n * sizeof *keys);
    fg_loc *locs = fgc_alloc(&cfg->arena, n * sizeof *locs);
    fg_node **items = fgc_alloc(&cfg->arena, n * sizeof *items);
    if (keys == NULL || locs == NULL || items == NULL) return false;
    if (map->n > 0) {
        memcpy(keys, map->keys, map->n * sizeof *keys);
        memcpy(locs, map->key_locs, map->n * sizeof *locs);
        memcpy(items, map->items, map->n * sizeof *items);
    }
    keys[map->n] = key;
    locs[map->n] = value->loc;
    items[map->n] = value;
    map->keys = keys;
    map->key_locs = locs;
    map->items = items;
    map->n = n;
    return true;
}

/* The part of `path` (dot-separated, NUL-split copy) before element `upto`, for
 * messages: "the root" or "trainer.args". */
static const char *path_prefix(char *const *elems, size_t upto, char *buf, size_t size) {
    if (upto == 0) return "the root";
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < upto && used < size; k++) {
        int w = snprintf(buf + used, size - used, "%s%s", k > 0 ? "." : "", elems[k]);
        if (w < 0) break;
        used += (size_t)w;
    }
    return buf;
}

static fg_status set_impl(fg_config *cfg, const char *assignment, fg_error *err) {
    fg_loc set_at = {SET_FILE, 1, 1};
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment)
        return fgc_fail(err, FG_E_PARSE, &set_at,
                        "'%.200s': expected PATH=VALUE, e.g. trainer.args.max_steps=100",
                        assignment);
    /* split the path into elements, in the arena: a new key's name must outlive us */
    char *path = fgc_strndup(&cfg->arena, assignment, (size_t)(eq - assignment));
    size_t n_elems = 1;
    if (path == NULL) return fgc_nomem(err, &set_at);
    for (const char *p = path; *p != '\0'; p++) n_elems += *p == '.';
    char **elems = fgc_alloc(&cfg->arena, n_elems * sizeof *elems);
    if (elems == NULL) return fgc_nomem(err, &set_at);
    elems[0] = path;
    for (size_t k = 1; k < n_elems; k++) {
        char *dot = strchr(elems[k - 1], '.'); /* exists: we counted the dots */
        if (dot == NULL) return fgc_fail(err, FG_E_INTERNAL, &set_at, "path split failed");
        *dot = '\0';
        elems[k] = dot + 1;
    }
    char where[256];
    for (size_t k = 0; k < n_elems; k++)
        if (elems[k][0] == '\0')
            return fgc_fail(err, FG_E_PARSE, &set_at,
                            "'%.200s': empty element in the path; expected names separated by "
                            "single dots",
                            assignment);

    /* walk to the parent of the last element */
    fg_node *cur = cfg->root;
    size_t slot = 0;
    bool append = false;
    for (size_t k = 0; k < n_elems; k++) {
        const char *e = elems[k];
        const bool last = k + 1 == n_elems;
        const char *here = path_prefix(elems, k, where, sizeof where);
        if (cur->type == FG_NODE_MAP) {
            fg_node *next = NULL;
            for (slot = 0; slot < cur->n; slot++)
                if (strcmp(cur->keys[slot], e) == 0) {
                    next = cur->items[slot];
                    break;
                }
            if (next == NULL && last) {
                /* "<<" is YAML's merge key: as a new key it would not read back as one */
                if (strcmp(e, "<<") == 0)
                    return fgc_fail(err, FG_E_PARSE, &cur->loc,
                                    "--set %.200s: '<<' is YAML's merge key and cannot be added",
                                    assignment);
                append = true;
                break;
            }
            if (next == NULL) {
                char keys[512];
                list_keys(cur, keys, sizeof keys);
                return fgc_fail(err, FG_E_PARSE, &cur->loc,
                                "--set %.200s: no key '%.100s' in %.200s; existing keys: %s",
                                assignment, e, here, keys);
            }
            if (!last) cur = next;
        } else if (cur->type == FG_NODE_LIST) {
            if (!parse_index(e, &slot) || slot >= cur->n)
                return fgc_fail(err, FG_E_PARSE, &cur->loc,
                                "--set %.200s: %.200s is a list of %zu items; expected an index "
                                "from 0 to %zu, found '%.100s'",
                                assignment, here, cur->n, cur->n > 0 ? cur->n - 1 : 0, e);
            if (!last) cur = cur->items[slot];
        } else {
            return fgc_fail(err, FG_E_PARSE, &cur->loc,
                            "--set %.200s: %.200s is a %s, not a mapping or list, so it has no "
                            "element '%.100s'",
                            assignment, here, fg_node_type_name(cur->type), e);
        }
    }

    /* the value, parsed as YAML (flow style), may use !var like the config itself */
    const char *text = eq + 1;
    fgc_parse_opts o = {SET_FILE, NULL, true, true, (int)(n_elems < FG_CONFIG_MAX_DEPTH ? n_elems : FG_CONFIG_MAX_DEPTH)};
    fg_node *value;
    fg_error inner = {0, {0}};
    fg_status st = fgc_parse_text(cfg, text, strlen(text), &o, &value, &inner);
    if (st != FG_OK) return fgc_fail(err, st, NULL, "%s (in --set %.200s)", inner.msg, assignment);

    const char *last = elems[n_elems - 1];
    fg_node *old = NULL;
    if (append) {
        if (!map_append(cfg, cur, last, value)) return fgc_nomem(err, &set_at);
    } else {
        old = cur->items[slot];
        cur->items[slot] = value;
    }
    /* the new value may bring an @identity that is already taken: undo the change */
    fg_error check = {0, {0}};
    st = fgc_check_graph(cfg->root, &check);
    if (st != FG_OK) {
        if (append)
            cur->n--;
        else
            cur->items[slot] = old;
        fgc_fail(err, st, NULL, "%s (in --set %.200s)", check.msg, assignment);
        return st;
    }
    return FG_OK;
}

fg_status fg_config_set(fg_config *cfg, const char *assignment, fg_error *err) {
    fg_error e = {0, {0}};
    fg_status st;
    if (cfg == NULL || cfg->root == NULL || assignment == NULL)
        st = fgc_fail(&e, FG_E_INVALID_ARG, NULL, "fg_config_set: missing config or assignment");
    else
        st = set_impl(cfg, assignment, &e);
    if (st != FG_OK && err != NULL) *err = e;
    return st;
}
