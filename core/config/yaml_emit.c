/* Writes a config's node tree back out as YAML: the configuration as it was actually used
 * (after --set and !var), for a run's record. Nodes reached more than once (anchors and
 * their aliases) are written once with an anchor and aliased after, so sharing — which
 * decides singleton identity — survives the round trip. Strings are always quoted, so
 * none can turn into a number or a bool when read back. */
#include "config/config_internal.h"

#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct emit_ctx {
    const fg_node **seen; /* every node, once */
    int *refs;            /* how often each is reached */
    int *anchor;          /* anchor number once written (0 = not yet) */
    size_t n, cap;
    int next_anchor;
    yaml_emitter_t em;
    char *buf;
    size_t len, buf_cap;
    int failed;
} emit_ctx;

static long find(const emit_ctx *c, const fg_node *n) {
    for (size_t i = 0; i < c->n; i++)
        if (c->seen[i] == n) return (long)i;
    return -1;
}

static int count_refs(emit_ctx *c, const fg_node *n) {
    long i = find(c, n);
    if (i >= 0) {
        c->refs[i]++;
        return 0;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        const fg_node **s = realloc(c->seen, cap * sizeof *s);
        if (s) c->seen = s;
        int *r = realloc(c->refs, cap * sizeof *r);
        if (r) c->refs = r;
        int *a = realloc(c->anchor, cap * sizeof *a);
        if (a) c->anchor = a;
        if (!s || !r || !a) return -1;
        c->cap = cap;
    }
    c->seen[c->n] = n;
    c->refs[c->n] = 1;
    c->anchor[c->n] = 0;
    c->n++;
    if (n->type == FG_NODE_LIST || n->type == FG_NODE_MAP)
        for (size_t k = 0; k < n->n; k++)
            if (count_refs(c, n->items[k]) != 0) return -1;
    return 0;
}

static int write_handler(void *data, unsigned char *buffer, size_t size) {
    emit_ctx *c = data;
    if (c->len + size + 1 > c->buf_cap) {
        size_t cap = (c->len + size + 1) * 2;
        char *b = realloc(c->buf, cap);
        if (b == NULL) return 0;
        c->buf = b;
        c->buf_cap = cap;
    }
    memcpy(c->buf + c->len, buffer, size);
    c->len += size;
    c->buf[c->len] = '\0';
    return 1;
}

static void emit(emit_ctx *c, yaml_event_t *e) {
    if (!c->failed && !yaml_emitter_emit(&c->em, e)) c->failed = 1;
}

/* The tag that reads back as the node's constructor or container tag, or NULL. */
static const char *node_tag(const fg_node *n, char *buf, size_t cap) {
    static const char *const ctors[] = {[FG_CTOR_PARTIAL] = "partial",
                                        [FG_CTOR_SINGLETON] = "singleton",
                                        [FG_CTOR_FACTORY] = "factory", [FG_CTOR_META] = "meta"};
    static const char *const containers[] = {[FG_CONTAINER_DICT] = "dict",
                                             [FG_CONTAINER_LIST] = "list",
                                             [FG_CONTAINER_TUPLE] = "tuple"};
    const char *id = n->identity != NULL ? n->identity : "";
    if (n->ctor != FG_CTOR_NONE && (size_t)n->ctor < sizeof ctors / sizeof *ctors) {
        snprintf(buf, cap, "!%s:%s%s%s", ctors[n->ctor], n->ref ? n->ref : "", id[0] ? "@" : "", id);
        return buf;
    }
    if (n->container != FG_CONTAINER_PLAIN && (size_t)n->container < sizeof containers / sizeof *containers) {
        snprintf(buf, cap, "!%s%s%s", containers[n->container], id[0] ? ":@" : "", id);
        return buf;
    }
    return NULL;
}

/* Text of a non-string scalar that reads back as the same type and value. */
static const char *scalar_text(const fg_node *n, char *buf, size_t cap) {
    switch (n->type) {
    case FG_NODE_NULL: return "null";
    case FG_NODE_BOOL: return n->b ? "true" : "false";
    case FG_NODE_INT: snprintf(buf, cap, "%lld", (long long)n->i); return buf;
    case FG_NODE_FLOAT: fgc_format_float(n->f, buf, cap); return buf;
    default: return n->s ? n->s : "";
    }
}

static void emit_node(emit_ctx *c, const fg_node *n) {
    yaml_event_t e;
    long i = find(c, n);
    char anchor_buf[32], tag_buf[512], text_buf[64];
    const char *anchor = NULL;
    if (i >= 0 && c->refs[i] > 1) {
        if (c->anchor[i] != 0) {
            snprintf(anchor_buf, sizeof anchor_buf, "n%d", c->anchor[i]);
            yaml_alias_event_initialize(&e, (yaml_char_t *)anchor_buf);
            emit(c, &e);
            return;
        }
        c->anchor[i] = ++c->next_anchor;
        snprintf(anchor_buf, sizeof anchor_buf, "n%d", c->anchor[i]);
        anchor = anchor_buf;
    }
    const char *tag = node_tag(n, tag_buf, sizeof tag_buf);
    if (n->type == FG_NODE_MAP) {
        yaml_mapping_start_event_initialize(&e, (yaml_char_t *)anchor, (yaml_char_t *)tag, tag == NULL,
                                            YAML_BLOCK_MAPPING_STYLE);
        emit(c, &e);
        for (size_t k = 0; k < n->n; k++) {
            /* keys that would not read back as plain strings (`<<` is a merge key) are
             * quoted, so PyYAML reads them as the same names too */
            bool plain = fgc_scalar_plain_ok(n->keys[k]);
            yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)n->keys[k], (int)strlen(n->keys[k]), 1, 1,
                                         plain ? YAML_ANY_SCALAR_STYLE : YAML_SINGLE_QUOTED_SCALAR_STYLE);
            emit(c, &e);
            emit_node(c, n->items[k]);
        }
        yaml_mapping_end_event_initialize(&e);
        emit(c, &e);
    } else if (n->type == FG_NODE_LIST) {
        yaml_sequence_start_event_initialize(&e, (yaml_char_t *)anchor, (yaml_char_t *)tag, tag == NULL,
                                             YAML_ANY_SEQUENCE_STYLE);
        emit(c, &e);
        for (size_t k = 0; k < n->n; k++) emit_node(c, n->items[k]);
        yaml_sequence_end_event_initialize(&e);
        emit(c, &e);
    } else {
        int is_str = n->type == FG_NODE_STR;
        const char *text = (tag != NULL && n->type == FG_NODE_NULL) ? "" : scalar_text(n, text_buf, sizeof text_buf);
        yaml_scalar_event_initialize(&e, (yaml_char_t *)anchor, (yaml_char_t *)tag, (yaml_char_t *)text,
                                     (int)strlen(text), tag == NULL && !is_str, tag == NULL && is_str,
                                     is_str ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
        emit(c, &e);
    }
}

fg_status fg_config_emit(const fg_config *cfg, char **out, fg_error *err) {
    emit_ctx c;
    memset(&c, 0, sizeof c);
    const fg_node *root = fg_config_root(cfg);
    if (root == NULL || count_refs(&c, root) != 0) {
        free(c.seen);
        free(c.refs);
        free(c.anchor);
        return fg_error_set(err, FG_E_NOMEM, "config: out of memory writing the effective config");
    }
    yaml_emitter_initialize(&c.em);
    yaml_emitter_set_output(&c.em, write_handler, &c);
    yaml_emitter_set_unicode(&c.em, 1);
    yaml_emitter_set_width(&c.em, 100);
    yaml_event_t e;
    yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING);
    emit(&c, &e);
    yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1);
    emit(&c, &e);
    emit_node(&c, root);
    yaml_document_end_event_initialize(&e, 1);
    emit(&c, &e);
    yaml_stream_end_event_initialize(&e);
    emit(&c, &e);
    fg_status st = FG_OK;
    if (c.failed)
        st = fg_error_set(err, FG_E_INTERNAL, "config: cannot write the effective config: %s",
                          c.em.problem ? c.em.problem : "out of memory");
    yaml_emitter_delete(&c.em);
    free(c.seen);
    free(c.refs);
    free(c.anchor);
    if (st != FG_OK) {
        free(c.buf);
        return st;
    }
    *out = c.buf;
    return FG_OK;
}
