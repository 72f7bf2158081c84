/* Where an object came from, in words: its scope, the config path and node that made it,
 * the file and line, the plugin and factory. The comments of the generated code and the
 * errors of the generator both say it this way. */
#include "codegen/codegen_internal.h"

#include "plugin/registry.h"

#include <stdio.h>
#include <string.h>

/* A string as YAML would show it: plain when that reads back the same, else quoted. */
static void string_text(cg_text *t, const char *s) {
    int plain = s[0] != '\0';
    for (const char *p = s; *p != '\0' && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("_./-", *p) != NULL;
    if (plain) {
        cg_puts(t, s);
        return;
    }
    cg_puts(t, "\"");
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') cg_puts(t, "\\");
        cg_put(t, p, 1);
    }
    cg_puts(t, "\"");
}

/* The node in YAML flow style: the object's own parameters in full, nested objects as
 * their tag and `{...}` (each has a comment of its own), deep containers cut short. */
static void node_text(cg_text *t, const fg_node *n, int depth) {
    if (n->ctor != FG_CTOR_NONE) {
        cg_printf(t, "%s:%s%s%s", fg_ctor_tag_name(n->ctor), n->ref ? n->ref : "", n->identity ? "@" : "",
                  n->identity ? n->identity : "");
        if (depth > 0) {
            cg_puts(t, n->type == FG_NODE_MAP && n->n > 0 ? " {...}" : " {}");
            return;
        }
        if (n->type != FG_NODE_MAP) {
            cg_puts(t, " {}");
            return;
        }
        cg_puts(t, " ");
    }
    switch (n->type) {
    case FG_NODE_NULL: cg_puts(t, "null"); return;
    case FG_NODE_STR: string_text(t, n->s); return;
    case FG_NODE_BOOL:
    case FG_NODE_INT:
    case FG_NODE_FLOAT: cg_puts(t, n->s ? n->s : "?"); return;
    case FG_NODE_LIST:
    case FG_NODE_MAP: break;
    }
    const int map = n->type == FG_NODE_MAP;
    if (depth > 3) {
        cg_puts(t, map ? "{...}" : "[...]");
        return;
    }
    cg_puts(t, map ? "{" : "[");
    for (size_t i = 0; i < n->n; i++) {
        if (i > 0) cg_puts(t, ", ");
        if (map) cg_printf(t, "%s: ", n->keys[i]);
        node_text(t, n->items[i], depth + 1);
    }
    cg_puts(t, map ? "}" : "]");
}

void cg_describe(const fg_objects *o, const fg_object_info *info, cg_origin *d) {
    memset(d, 0, sizeof *d);
    const fg_node *node = info->partial->node;
    fg_objects_node_path(o, node, d->path, sizeof d->path);
    cg_text text = {0};
    node_text(&text, node, 0);
    const size_t cap = sizeof d->node;
    snprintf(d->node, cap, "%s", text.s != NULL ? text.s : "");
    if (text.len >= cap) memcpy(d->node + cap - 4, "...", 4);
    cg_text_free(&text);
    d->loc = &node->loc;
    d->plugin = info->partial->ref->plugin->stem;
    d->factory = info->partial->ref->factory->name;
    d->layer_index = info->layer_index;
    const char *scope = info->scope != NULL ? info->scope->prefix : "";
    snprintf(d->who, sizeof d->who, "%s", scope[0] ? scope : d->path[0] ? d->path : d->factory);
}

void cg_origin_comment(cg_text *t, const cg_origin *d) {
    cg_puts(t, "/* ");
    cg_comment_text(t, d->who);
    if (d->layer_index >= 0) cg_printf(t, " (layer %d)", (int)d->layer_index);
    if (d->path[0] != '\0' && strcmp(d->path, d->who) != 0) {
        cg_puts(t, ": ");
        cg_comment_text(t, d->path);
    }
    cg_puts(t, "\n *   ");
    cg_comment_text(t, d->node);
    cg_puts(t, "\n *   ");
    cg_comment_text(t, d->loc->file ? d->loc->file : "<config>");
    cg_printf(t, ":%d, factory ", d->loc->line);
    cg_comment_text(t, d->factory);
    cg_puts(t, " of plugin ");
    cg_comment_text(t, d->plugin);
    cg_puts(t, " */\n");
}
