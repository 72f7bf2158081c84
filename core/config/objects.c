#define _POSIX_C_SOURCE 200809L
#include "config/objects_internal.h"

#include "host/host_api.h"
#include "memory/alloc.h"
#include "tensor/tensor.h"
#include "util/error.h"
#include "util/strings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Objects are looked up by pointer from host calls that carry no context. A run has
 * one object graph at a time, so a process-wide pointer is enough. */
static fg_objects *current_objects;

void *fg_objects_alloc(fg_objects *o, size_t bytes) {
    void **grown = realloc(o->allocs, (o->n_allocs + 1) * sizeof *grown);
    if (grown == NULL) return NULL;
    o->allocs = grown;
    void *p = calloc(1, bytes ? bytes : 1);
    if (p != NULL) o->allocs[o->n_allocs++] = p;
    return p;
}

char *fg_objects_strdup(fg_objects *o, const char *s) {
    char *p = fg_objects_alloc(o, strlen(s) + 1);
    if (p != NULL) strcpy(p, s);
    return p;
}

fg_status fg_objects_create(fg_registry *registry, fg_config *config, fg_objects **out,
                            fg_error *err) {
    fg_objects *o = calloc(1, sizeof *o);
    if (o == NULL) return fg_error_set(err, FG_E_NOMEM, "object graph: out of memory");
    o->registry = registry;
    o->config = config;
    current_objects = o;
    *out = o;
    return FG_OK;
}

#define LOC_FMT "%s:%d:%d"
#define LOC_ARGS(l) (l).file ? (l).file : "<config>", (l).line, (l).column

const char *fg_ctor_tag_name(fg_ctor c) {
    switch (c) {
    case FG_CTOR_PARTIAL: return "!partial";
    case FG_CTOR_SINGLETON: return "!singleton";
    case FG_CTOR_FACTORY: return "!factory";
    case FG_CTOR_META: return "!meta";
    default: return "";
    }
}

static const char *value_desc(const fg_node *n, char *buf, size_t cap) {
    if (n->ctor != FG_CTOR_NONE)
        snprintf(buf, cap, "%s:%s", fg_ctor_tag_name(n->ctor), n->ref ? n->ref : "");
    else
        snprintf(buf, cap, "%s", fg_node_type_name(n->type));
    return buf;
}

static fg_status bind_node(fg_objects *o, fg_node *node, const char *slot, int32_t kind,
                           fg_partial **out, fg_error *err);

/* Forgather's positional arguments: `arg0`, `arg1`, ... keys, or `args` / `kwargs`. */
static int is_positional_key(const char *key) {
    if (strcmp(key, "args") == 0 || strcmp(key, "kwargs") == 0) return 1;
    if (strncmp(key, "arg", 3) != 0 || key[3] == '\0') return 0;
    for (const char *p = key + 3; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return 1;
}

/* The default of a spec as a node: parsed once from its YAML text. */
static fg_status default_node(fg_objects *o, const fg_factory_ref *ref, const fg_param_spec *spec,
                              fg_node **out, fg_error *err) {
    char text[1024];
    snprintf(text, sizeof text, "value: %s\n", spec->default_yaml);
    char name[256];
    snprintf(name, sizeof name, "<default of %s.%s %s>", ref->plugin->stem, ref->factory->name,
             spec->name);
    fg_config *cfg = NULL;
    fg_status st = fg_config_parse(text, strlen(text), name, NULL, 0, &cfg, err);
    if (st != FG_OK) {
        fg_error_prefix(err, "plugin %s (%s) has a bad default", ref->plugin->stem, ref->plugin->path);
        return st;
    }
    fg_config **grown = realloc(o->defaults, (o->n_defaults + 1) * sizeof *grown);
    if (grown == NULL) {
        fg_config_free(cfg);
        return fg_error_set(err, FG_E_NOMEM, "out of memory");
    }
    o->defaults = grown;
    o->defaults[o->n_defaults++] = cfg;
    *out = fg_node_get(fg_config_root(cfg), "value");
    return FG_OK;
}

static int in_range(const fg_param_spec *s, double v) {
    return !(s->min <= s->max) || (v >= s->min && v <= s->max);
}

static fg_status range_error(fg_error *err, const fg_node *n, const char *owner,
                             const fg_param_spec *s, double v) {
    return fg_error_set(err, FG_E_RANGE, LOC_FMT ": %s: %s = %g is out of range [%g, %g]",
                        LOC_ARGS(n->loc), owner, s->name, v, s->min, s->max);
}

static fg_status build_params(fg_objects *o, const fg_factory_ref *ref, const char *owner,
                              const fg_param_spec *specs, uint32_t n_specs, fg_node *map,
                              fg_loc loc, fg_params **out, fg_error *err);

/* Checks one value against its spec and prepares what the accessors hand out. */
static fg_status check_value(fg_objects *o, const fg_factory_ref *ref, fg_params *p, uint32_t i,
                             fg_node *n, fg_error *err) {
    const fg_param_spec *s = &p->specs[i];
    char got[160];
    int type_ok = 0;
    if (n->ctor == FG_CTOR_META) { /* say why !meta cannot be used, not just "wrong type" */
        fg_partial *ignored;
        return bind_node(o, n, s->name, 0, &ignored, err);
    }
    switch (s->type) {
    case FG_PARAM_BOOL: type_ok = n->ctor == FG_CTOR_NONE && n->type == FG_NODE_BOOL; break;
    case FG_PARAM_INT: type_ok = n->ctor == FG_CTOR_NONE && n->type == FG_NODE_INT; break;
    case FG_PARAM_FLOAT:
        type_ok = n->ctor == FG_CTOR_NONE && (n->type == FG_NODE_INT || n->type == FG_NODE_FLOAT);
        break;
    case FG_PARAM_STR: type_ok = n->ctor == FG_CTOR_NONE && n->type == FG_NODE_STR; break;
    case FG_PARAM_INT_LIST:
    case FG_PARAM_FLOAT_LIST: type_ok = n->ctor == FG_CTOR_NONE && n->type == FG_NODE_LIST; break;
    case FG_PARAM_PARTIAL: type_ok = n->ctor == FG_CTOR_PARTIAL; break;
    case FG_PARAM_OBJECT: type_ok = n->ctor == FG_CTOR_SINGLETON || n->ctor == FG_CTOR_FACTORY; break;
    case FG_PARAM_MAP: type_ok = n->ctor == FG_CTOR_NONE && n->type == FG_NODE_MAP; break;
    case FG_PARAM_MAP_LIST:
    case FG_PARAM_OBJECT_LIST: type_ok = n->ctor == FG_CTOR_NONE && n->type == FG_NODE_LIST; break;
    default:
        return fg_error_set(err, FG_E_ABI, "plugin %s: parameter '%s' has unknown type %d",
                            ref->plugin->stem, s->name, s->type);
    }
    if (!type_ok) {
        const char *want = fg_param_type_name(s->type);
        char want_buf[96];
        if (s->type == FG_PARAM_PARTIAL || s->type == FG_PARAM_OBJECT) {
            snprintf(want_buf, sizeof want_buf, "%s of a %s factory",
                     s->type == FG_PARAM_PARTIAL ? "!partial:NAME" : "!singleton:NAME or !factory:NAME",
                     fg_kind_name(s->kind));
            want = want_buf;
        }
        return fg_error_set(err, FG_E_TYPE, LOC_FMT ": %s: parameter '%s' expects %s, got %s",
                            LOC_ARGS(n->loc), p->owner, s->name, want, value_desc(n, got, sizeof got));
    }
    switch (s->type) {
    case FG_PARAM_INT:
        if (!in_range(s, (double)n->i)) return range_error(err, n, p->owner, s, (double)n->i);
        break;
    case FG_PARAM_FLOAT: {
        double v = n->type == FG_NODE_INT ? (double)n->i : n->f;
        if (!in_range(s, v)) return range_error(err, n, p->owner, s, v);
        break;
    }
    case FG_PARAM_STR:
        if (s->choices != NULL) {
            int found = 0;
            char list[400] = "";
            for (const char *const *c = s->choices; *c != NULL; c++) {
                found |= strcmp(*c, n->s) == 0;
                size_t at = strlen(list);
                snprintf(list + at, sizeof list - at, "%s%s", at ? ", " : "", *c);
            }
            if (!found)
                return fg_error_set(err, FG_E_RANGE, LOC_FMT ": %s: %s = '%s' is not one of: %s",
                                    LOC_ARGS(n->loc), p->owner, s->name, n->s, list);
        }
        break;
    case FG_PARAM_INT_LIST:
    case FG_PARAM_FLOAT_LIST: {
        int is_int = s->type == FG_PARAM_INT_LIST;
        void *items = fg_objects_alloc(o, (n->n ? n->n : 1) * (is_int ? sizeof(int64_t) : sizeof(double)));
        if (items == NULL) return fg_error_set(err, FG_E_NOMEM, "out of memory");
        for (size_t k = 0; k < n->n; k++) {
            const fg_node *it = n->items[k];
            int ok = it->ctor == FG_CTOR_NONE &&
                     (it->type == FG_NODE_INT || (!is_int && it->type == FG_NODE_FLOAT));
            if (!ok)
                return fg_error_set(err, FG_E_TYPE, LOC_FMT ": %s: item %zu of '%s' must be %s, got %s",
                                    LOC_ARGS(it->loc), p->owner, k, s->name, is_int ? "an int" : "a number",
                                    value_desc(it, got, sizeof got));
            double v = it->type == FG_NODE_INT ? (double)it->i : it->f;
            if (!in_range(s, v)) return range_error(err, it, p->owner, s, v);
            if (is_int)
                ((int64_t *)items)[k] = it->i;
            else
                ((double *)items)[k] = v;
        }
        p->lists[i] = items;
        break;
    }
    case FG_PARAM_PARTIAL:
    case FG_PARAM_OBJECT:
        return bind_node(o, n, s->name, s->kind, &p->partials[i], err);
    case FG_PARAM_MAP: {
        char owner[256];
        snprintf(owner, sizeof owner, "%s: %s", p->owner, s->name);
        return build_params(o, ref, owner, s->fields, s->n_fields, n, n->loc, &p->maps[i], err);
    }
    case FG_PARAM_MAP_LIST: {
        fg_params **items = fg_objects_alloc(o, (n->n ? n->n : 1) * sizeof *items);
        if (items == NULL) return fg_error_set(err, FG_E_NOMEM, "out of memory");
        for (size_t k = 0; k < n->n; k++) {
            const fg_node *it = n->items[k];
            if (it->ctor != FG_CTOR_NONE || it->type != FG_NODE_MAP)
                return fg_error_set(err, FG_E_TYPE, LOC_FMT ": %s: item %zu of '%s' must be a mapping, got %s",
                                    LOC_ARGS(it->loc), p->owner, k, s->name, value_desc(it, got, sizeof got));
            char owner[256];
            snprintf(owner, sizeof owner, "%s: %s[%zu]", p->owner, s->name, k);
            fg_status st = build_params(o, ref, owner, s->fields, s->n_fields, n->items[k], it->loc, &items[k], err);
            if (st != FG_OK) return st;
        }
        p->lists[i] = items;
        break;
    }
    case FG_PARAM_OBJECT_LIST: {
        /* Bound now (checked before any plugin code runs), constructed on request. */
        fg_partial **items = fg_objects_alloc(o, (n->n ? n->n : 1) * sizeof *items);
        if (items == NULL) return fg_error_set(err, FG_E_NOMEM, "out of memory");
        for (size_t k = 0; k < n->n; k++) {
            fg_node *it = n->items[k];
            if (it->ctor != FG_CTOR_SINGLETON && it->ctor != FG_CTOR_FACTORY && it->ctor != FG_CTOR_META)
                return fg_error_set(err, FG_E_TYPE,
                                    LOC_FMT ": %s: item %zu of '%s' must be !singleton:NAME or "
                                            "!factory:NAME of a %s factory, got %s",
                                    LOC_ARGS(it->loc), p->owner, k, s->name, fg_kind_name(s->kind),
                                    value_desc(it, got, sizeof got));
            char slot[256];
            snprintf(slot, sizeof slot, "%s[%zu]", s->name, k);
            fg_status st = bind_node(o, it, slot, s->kind, &items[k], err);
            if (st != FG_OK) return st;
        }
        p->lists[i] = items;
        break;
    }
    }
    return FG_OK;
}

static fg_status build_params(fg_objects *o, const fg_factory_ref *ref, const char *owner,
                              const fg_param_spec *specs, uint32_t n_specs, fg_node *map,
                              fg_loc loc, fg_params **out, fg_error *err) {
    fg_params *p = fg_objects_alloc(o, sizeof *p);
    if (p == NULL) return fg_error_set(err, FG_E_NOMEM, "out of memory");
    p->objects = o;
    p->owner = fg_objects_strdup(o, owner);
    p->loc = loc;
    p->specs = specs;
    p->n_specs = n_specs;
    p->values = fg_objects_alloc(o, (n_specs + 1) * sizeof *p->values);
    p->maps = fg_objects_alloc(o, (n_specs + 1) * sizeof *p->maps);
    p->partials = fg_objects_alloc(o, (n_specs + 1) * sizeof *p->partials);
    p->lists = fg_objects_alloc(o, (n_specs + 1) * sizeof *p->lists);
    if (!p->owner || !p->values || !p->maps || !p->partials || !p->lists)
        return fg_error_set(err, FG_E_NOMEM, "out of memory");
    size_t n_keys = map ? map->n : 0;
    for (size_t k = 0; k < n_keys; k++) {
        int idx = fg_params_index(p, map->keys[k]);
        if (idx < 0) {
            const char *names[128];
            char known[600] = "";
            for (uint32_t j = 0; j < n_specs && j < 128; j++) {
                names[j] = specs[j].name;
                size_t at = strlen(known);
                snprintf(known + at, sizeof known - at, "%s%s", j ? ", " : "", specs[j].name);
            }
            const char *close = fg_closest(map->keys[k], names, n_specs < 128 ? n_specs : 128);
            char hint[160] = "";
            if (is_positional_key(map->keys[k]))
                snprintf(hint, sizeof hint,
                         " (plugin factories take named parameters only, not Forgather's "
                         "positional arguments)");
            else if (close)
                snprintf(hint, sizeof hint, "; did you mean '%s'?", close);
            return fg_error_set(err, FG_E_NOT_FOUND, LOC_FMT ": %s: unknown parameter '%s'%s (known: %s)",
                                LOC_ARGS(map->key_locs[k]), owner, map->keys[k], hint,
                                n_specs ? known : "none");
        }
        p->values[idx] = map->items[k];
    }
    for (uint32_t i = 0; i < n_specs; i++) {
        fg_status st;
        if (p->values[i] == NULL && specs[i].default_yaml != NULL &&
            (st = default_node(o, ref, &specs[i], &p->values[i], err)) != FG_OK)
            return st;
        if (p->values[i] == NULL) {
            if (specs[i].flags & FG_PARAM_REQUIRED)
                return fg_error_set(err, FG_E_NOT_FOUND, LOC_FMT ": %s: missing required parameter '%s' (%s)",
                                    LOC_ARGS(loc), owner, specs[i].name,
                                    specs[i].doc ? specs[i].doc : fg_param_type_name(specs[i].type));
            continue;
        }
        if (p->values[i]->type == FG_NODE_NULL && p->values[i]->ctor == FG_CTOR_NONE &&
            !(specs[i].flags & FG_PARAM_REQUIRED)) {
            p->values[i] = NULL; /* `key: ~` means "not given" for an optional parameter */
            continue;
        }
        if ((st = check_value(o, ref, p, i, p->values[i], err)) != FG_OK) return st;
    }
    *out = p;
    return FG_OK;
}

/* Binds a tagged node to its factory (once per node: aliases share the binding). */
static fg_status bind_node(fg_objects *o, fg_node *node, const char *slot, int32_t kind,
                           fg_partial **out, fg_error *err) {
    for (size_t i = 0; i < o->n_bindings; i++)
        if (o->bindings[i].node == node) {
            fg_partial *b = o->bindings[i].partial;
            if (kind != 0 && b->ref->factory->kind != kind)
                return fg_error_set(err, FG_E_TYPE, LOC_FMT ": '%s' expects a %s, but '%s' makes a %s",
                                    LOC_ARGS(node->loc), slot, fg_kind_name(kind), b->ref->factory->name,
                                    fg_kind_name(b->ref->factory->kind));
            *out = b;
            return FG_OK;
        }
    const fg_factory_ref *ref = NULL;
    fg_status st = fg_registry_resolve(o->registry, node->ref ? node->ref : "", &ref, err);
    if (st != FG_OK) {
        fg_error_prefix(err, LOC_FMT ": %s:%s", LOC_ARGS(node->loc), fg_ctor_tag_name(node->ctor),
                        node->ref ? node->ref : "");
        return st;
    }
    /* A plugin's create() gets validated values, never config nodes, so no factory can
     * take what !meta passes (Forgather: the unmaterialized argument nodes). */
    if (node->ctor == FG_CTOR_META)
        return fg_error_set(err, FG_E_TYPE,
                            LOC_FMT ": !meta is not supported by %s (plugin %s): plugin factories "
                            "take constructed values, not config nodes; use !singleton:%s",
                            LOC_ARGS(node->loc), ref->factory->name, ref->plugin->stem, node->ref);
    if (kind != 0 && ref->factory->kind != kind)
        return fg_error_set(err, FG_E_TYPE,
                            LOC_FMT ": '%s' expects a %s factory, but '%s' (plugin %s) makes a %s",
                            LOC_ARGS(node->loc), slot, fg_kind_name(kind), ref->factory->name,
                            ref->plugin->stem, fg_kind_name(ref->factory->kind));
    if (node->type != FG_NODE_MAP && node->type != FG_NODE_NULL &&
        !(node->type == FG_NODE_STR && node->s[0] == '\0'))
        return fg_error_set(err, FG_E_TYPE,
                            LOC_FMT ": %s:%s takes a mapping of named parameters, got a %s%s",
                            LOC_ARGS(node->loc), fg_ctor_tag_name(node->ctor), node->ref,
                            fg_node_type_name(node->type),
                            node->type == FG_NODE_LIST
                                ? " (plugin factories take no positional arguments)"
                                : "");
    fg_partial *b = fg_objects_alloc(o, sizeof *b);
    fg_binding *grown = realloc(o->bindings, (o->n_bindings + 1) * sizeof *grown);
    if (b == NULL || grown == NULL) {
        if (grown) o->bindings = grown;
        return fg_error_set(err, FG_E_NOMEM, "out of memory");
    }
    o->bindings = grown;
    b->objects = o;
    b->ref = ref;
    b->node = node;
    /* Register before recursing so a self-referencing alias cannot loop. */
    o->bindings[o->n_bindings++] = (fg_binding){node, b};
    char owner[256];
    snprintf(owner, sizeof owner, "%s:%s", fg_ctor_tag_name(node->ctor), node->ref);
    st = build_params(o, ref, owner, ref->factory->params, ref->factory->n_params,
                      node->type == FG_NODE_MAP ? node : NULL, node->loc, &b->params, err);
    if (st != FG_OK) return st;
    *out = b;
    return FG_OK;
}

/* Plain containers are searched for tagged nodes, which are bound with no kind. */
static fg_status validate_tree(fg_objects *o, fg_node *n, const char *slot, int depth, fg_error *err) {
    if (depth > 64) return fg_error_set(err, FG_E_PARSE, LOC_FMT ": config nests too deeply", LOC_ARGS(n->loc));
    if (n->ctor != FG_CTOR_NONE) {
        fg_partial *ignored;
        return bind_node(o, n, slot, 0, &ignored, err);
    }
    for (size_t i = 0; i < n->n && (n->type == FG_NODE_LIST || n->type == FG_NODE_MAP); i++) {
        fg_status st = validate_tree(o, n->items[i], n->type == FG_NODE_MAP ? n->keys[i] : slot,
                                     depth + 1, err);
        if (st != FG_OK) return st;
    }
    return FG_OK;
}

fg_status fg_objects_validate(fg_objects *o, fg_error *err) {
    return validate_tree(o, fg_config_root(o->config), "(root)", 0, err);
}

fg_status fg_objects_construct(const fg_partial *partial, const fg_create_args *args, void **out,
                               fg_error *err) {
    fg_objects *o = partial->objects;
    const fg_factory_desc *f = partial->ref->factory;
    fg_create_args local = {0};
    if (args != NULL) memcpy(&local, args, args->struct_size < sizeof local ? args->struct_size : sizeof local);
    local.struct_size = sizeof local;
    if (args == NULL) local.layer_index = -1;
    fg_scope *root_scope = NULL;
    if (f->kind == FG_KIND_MODEL && local.scope == NULL) {
        fg_status st = fg_scope_new_root(o, &root_scope, err);
        if (st != FG_OK) return st;
        local.scope = root_scope;
    }
    void *obj = NULL;
    fg_error inner = {0};
    fg_status st = f->create(partial->params, &local, &obj, &inner);
    if (st == FG_OK && obj == NULL) st = fg_error_set(&inner, FG_E_INTERNAL, "create returned no object");
    if (st == FG_OK) {
        const fg_vtbl_header *vt = *(const fg_vtbl_header *const *)obj;
        if (vt == NULL || vt->kind != f->kind || vt->struct_size < sizeof(fg_vtbl_header))
            st = fg_error_set(&inner, FG_E_ABI, "created object has a malformed vtable");
    }
    if (st != FG_OK) {
        if (inner.code == FG_OK) fg_error_set(&inner, st, "failed without a message");
        return fg_error_set(err, st, LOC_FMT ": %s:%s (plugin %s): %s", LOC_ARGS(partial->node->loc),
                            fg_ctor_tag_name(partial->node->ctor), partial->node->ref, partial->ref->plugin->stem,
                            inner.msg);
    }
    /* Grown only now: create() may itself construct (and register) nested objects. */
    fg_owned_object *grown = realloc(o->owned, (o->n_owned + 1) * sizeof *grown);
    if (grown == NULL) {
        (*(const fg_vtbl_header *const *)obj)->destroy(obj);
        return fg_error_set(err, FG_E_NOMEM, "out of memory");
    }
    o->owned = grown;
    o->owned[o->n_owned++] = (fg_owned_object){
        obj, root_scope, {partial, local.scope, local.layer_index, local.d_model}};
    *out = obj;
    return FG_OK;
}

int fg_params_index(const fg_params *p, const char *key) {
    for (uint32_t i = 0; i < p->n_specs; i++)
        if (strcmp(p->specs[i].name, key) == 0) return (int)i;
    return -1;
}

/* A singleton once (cached on its node, so every alias shares it), a factory anew. */
static fg_status construct_bound(fg_partial *b, void **out, fg_error *err) {
    if (b->node->ctor == FG_CTOR_SINGLETON && b->node->object != NULL) {
        *out = b->node->object;
        return FG_OK;
    }
    fg_status st = fg_objects_construct(b, NULL, out, err);
    if (st == FG_OK && b->node->ctor == FG_CTOR_SINGLETON) b->node->object = *out;
    return st;
}

fg_status fg_objects_param_object(const fg_params *p, const char *key, void **out, fg_error *err) {
    int i = fg_params_index(p, key);
    if (i < 0 || p->specs[i].type != FG_PARAM_OBJECT)
        return fg_error_set(err, FG_E_NOT_FOUND, "%s: '%s' is not an object parameter", p->owner, key);
    fg_partial *b = p->partials[i];
    if (b == NULL) return fg_error_set(err, FG_E_NOT_FOUND, "%s: '%s' is not set", p->owner, key);
    return construct_bound(b, out, err);
}

fg_status fg_objects_param_object_list(const fg_params *p, const char *key, void *const **objects,
                                       uint64_t *n_out, fg_error *err) {
    int i = fg_params_index(p, key);
    if (i < 0 || p->specs[i].type != FG_PARAM_OBJECT_LIST)
        return fg_error_set(err, FG_E_NOT_FOUND, "%s: '%s' is not an object-list parameter", p->owner, key);
    *objects = NULL;
    *n_out = 0;
    const fg_node *n = p->values[i];
    if (n == NULL) return FG_OK;
    void **built = fg_objects_alloc(p->objects, (n->n ? n->n : 1) * sizeof *built);
    if (built == NULL) return fg_error_set(err, FG_E_NOMEM, "out of memory");
    fg_partial **items = p->lists[i];
    for (size_t k = 0; k < n->n; k++) {
        fg_status st = construct_bound(items[k], &built[k], err);
        if (st != FG_OK) return st;
    }
    *objects = built;
    *n_out = n->n;
    return FG_OK;
}

/* The node at a dotted path ("main.model"): a root key, then keys of nested mappings. */
static fg_node *node_at(fg_node *root, const char *path) {
    fg_node *n = root;
    char key[256];
    for (const char *p = path;;) {
        size_t len = strcspn(p, ".");
        if (len >= sizeof key) return NULL;
        memcpy(key, p, len);
        key[len] = '\0';
        if ((n = fg_node_get(n, key)) == NULL || p[len] == '\0') return n;
        p += len + 1;
    }
}

fg_status fg_objects_build(fg_objects *o, const char *key, int32_t kind, void **out, fg_error *err) {
    fg_node *root = fg_config_root(o->config);
    fg_node *n = node_at(root, key);
    if (n == NULL)
        return fg_error_set(err, FG_E_NOT_FOUND, "%s: the config has no '%s' entry",
                            root && root->loc.file ? root->loc.file : "config", key);
    if (n->ctor != FG_CTOR_SINGLETON && n->ctor != FG_CTOR_FACTORY)
        return fg_error_set(err, FG_E_TYPE, LOC_FMT ": '%s' must be a !singleton:NAME of a %s factory",
                            LOC_ARGS(n->loc), key, fg_kind_name(kind));
    fg_partial *b;
    fg_status st = bind_node(o, n, key, kind, &b, err);
    if (st != FG_OK) return st;
    if (n->object != NULL) {
        *out = n->object;
        return FG_OK;
    }
    st = fg_objects_construct(b, NULL, out, err);
    if (st == FG_OK) n->object = *out;
    return st;
}

fg_status fg_objects_partial(fg_objects *o, const char *key, int32_t kind, const fg_partial **out,
                             fg_error *err) {
    fg_node *n = fg_node_get(fg_config_root(o->config), key);
    if (n == NULL || n->ctor != FG_CTOR_PARTIAL)
        return fg_error_set(err, FG_E_NOT_FOUND, "the config has no '%s: !partial:NAME' entry", key);
    fg_partial *b;
    fg_status st = bind_node(o, n, key, kind, &b, err);
    if (st == FG_OK) *out = b;
    return st;
}

fg_scope *fg_objects_scope_of(const void *object) {
    fg_objects *o = current_objects;
    if (o == NULL) return NULL;
    for (size_t i = 0; i < o->n_owned; i++)
        if (o->owned[i].object == object) return o->owned[i].root_scope;
    return NULL;
}

const fg_object_info *fg_objects_info(const fg_objects *o, const void *object) {
    for (size_t i = 0; i < o->n_owned; i++)
        if (o->owned[i].object == object) return &o->owned[i].info;
    return NULL;
}

void fg_objects_free(fg_objects *o) {
    if (o == NULL) return;
    for (size_t i = o->n_owned; i-- > 0;) {
        const fg_vtbl_header *vt = *(const fg_vtbl_header *const *)o->owned[i].object;
        if (vt->destroy) vt->destroy(o->owned[i].object);
    }
    for (size_t i = 0; i < o->n_stores; i++) {
        for (uint64_t k = 0; k < o->stores[i]->n; k++) {
            fg_free(o->stores[i]->params[k]->data);
            fg_free(o->stores[i]->params[k]->grad);
        }
        free(o->stores[i]->params);
    }
    free(o->stores);
    for (size_t i = 0; i < o->n_allocs; i++) free(o->allocs[i]);
    for (size_t i = 0; i < o->n_defaults; i++) fg_config_free(o->defaults[i]);
    free(o->allocs);
    free(o->defaults);
    free(o->bindings);
    free(o->owned);
    if (current_objects == o) current_objects = NULL;
    free(o);
}
