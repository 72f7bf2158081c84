/* fgrun plugins [--json]: every plugin on the search path, its factories and their
 * parameters, read from the descriptors without running any factory code. */
#include "cli/cli.h"

#include "plugin/registry.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIRS 64

static void print_spec(const fg_param_spec *s, int indent) {
    char type[64];
    if (s->type == FG_PARAM_PARTIAL || s->type == FG_PARAM_OBJECT || s->type == FG_PARAM_OBJECT_LIST)
        snprintf(type, sizeof type, "%s<%s>", fg_param_type_name(s->type), fg_kind_name(s->kind));
    else
        snprintf(type, sizeof type, "%s", fg_param_type_name(s->type));
    printf("%*s%-20s %-22s", indent, "", s->name, type);
    if (s->flags & FG_PARAM_REQUIRED)
        printf(" required");
    else if (s->default_yaml)
        printf(" = %s", s->default_yaml);
    if (s->min <= s->max) printf("  [%g, %g]", s->min, s->max);
    if (s->choices) {
        printf("  {");
        for (const char *const *c = s->choices; *c; c++) printf("%s%s", c == s->choices ? "" : ", ", *c);
        printf("}");
    }
    if (s->doc) printf("  -- %s", s->doc);
    printf("\n");
    if (s->type == FG_PARAM_MAP || s->type == FG_PARAM_MAP_LIST)
        for (uint32_t i = 0; i < s->n_fields; i++) print_spec(&s->fields[i], indent + 4);
}

static cJSON *spec_json(const fg_param_spec *s) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", s->name);
    cJSON_AddStringToObject(j, "type", fg_param_type_name(s->type));
    if (s->type == FG_PARAM_PARTIAL || s->type == FG_PARAM_OBJECT || s->type == FG_PARAM_OBJECT_LIST)
        cJSON_AddStringToObject(j, "kind", fg_kind_name(s->kind));
    cJSON_AddBoolToObject(j, "required", (s->flags & FG_PARAM_REQUIRED) != 0);
    if (s->default_yaml) cJSON_AddStringToObject(j, "default", s->default_yaml);
    if (s->min <= s->max) {
        cJSON_AddNumberToObject(j, "min", s->min);
        cJSON_AddNumberToObject(j, "max", s->max);
    }
    if (s->choices) {
        cJSON *c = cJSON_AddArrayToObject(j, "choices");
        for (const char *const *p = s->choices; *p; p++) cJSON_AddItemToArray(c, cJSON_CreateString(*p));
    }
    if (s->doc) cJSON_AddStringToObject(j, "doc", s->doc);
    if (s->type == FG_PARAM_MAP || s->type == FG_PARAM_MAP_LIST) {
        cJSON *f = cJSON_AddArrayToObject(j, "fields");
        for (uint32_t i = 0; i < s->n_fields; i++) cJSON_AddItemToArray(f, spec_json(&s->fields[i]));
    }
    return j;
}

static int print_json(const fg_registry *r) {
    cJSON *root = cJSON_CreateObject();
    cJSON *dirs = cJSON_AddArrayToObject(root, "search_path");
    for (size_t i = 0; i < r->n_dirs; i++) cJSON_AddItemToArray(dirs, cJSON_CreateString(r->dirs[i]));
    cJSON *plugins = cJSON_AddArrayToObject(root, "plugins");
    for (size_t i = 0; i < r->n_plugins; i++) {
        const fg_loaded_plugin *p = r->plugins[i];
        cJSON *jp = cJSON_CreateObject();
        cJSON_AddStringToObject(jp, "name", p->stem);
        cJSON_AddStringToObject(jp, "version", p->desc->version ? p->desc->version : "");
        char abi[32];
        snprintf(abi, sizeof abi, "%u.%u", p->desc->abi_major, p->desc->abi_minor);
        cJSON_AddStringToObject(jp, "abi", abi);
        cJSON_AddStringToObject(jp, "path", p->path);
        cJSON_AddStringToObject(jp, "description", p->desc->description ? p->desc->description : "");
        cJSON *fs = cJSON_AddArrayToObject(jp, "factories");
        for (uint32_t k = 0; k < p->desc->n_factories; k++) {
            const fg_factory_desc *f = &p->desc->factories[k];
            cJSON *jf = cJSON_CreateObject();
            cJSON_AddStringToObject(jf, "name", f->name);
            cJSON_AddStringToObject(jf, "kind", fg_kind_name(f->kind));
            cJSON_AddStringToObject(jf, "doc", f->doc ? f->doc : "");
            cJSON *ps = cJSON_AddArrayToObject(jf, "parameters");
            for (uint32_t s = 0; s < f->n_params; s++) cJSON_AddItemToArray(ps, spec_json(&f->params[s]));
            cJSON_AddItemToArray(fs, jf);
        }
        cJSON_AddItemToArray(plugins, jp);
    }
    cJSON *failed = cJSON_AddArrayToObject(root, "failed");
    for (size_t i = 0; i < r->n_failures; i++) {
        cJSON *jf = cJSON_CreateObject();
        cJSON_AddStringToObject(jf, "path", r->failures[i].path ? r->failures[i].path : "");
        cJSON_AddStringToObject(jf, "reason", r->failures[i].reason ? r->failures[i].reason : "");
        cJSON_AddItemToArray(failed, jf);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (text == NULL) return fg_cli_fail("out of memory");
    printf("%s\n", text);
    free(text);
    return 0;
}

static void print_text(const fg_registry *r) {
    printf("search path:\n");
    for (size_t i = 0; i < r->n_dirs; i++) printf("  %s\n", r->dirs[i]);
    for (size_t i = 0; i < r->n_plugins; i++) {
        const fg_loaded_plugin *p = r->plugins[i];
        printf("\n%s %s (ABI %u.%u) %s\n", p->stem, p->desc->version ? p->desc->version : "",
               p->desc->abi_major, p->desc->abi_minor, p->path);
        if (p->desc->description) printf("  %s\n", p->desc->description);
        for (uint32_t k = 0; k < p->desc->n_factories; k++) {
            const fg_factory_desc *f = &p->desc->factories[k];
            printf("  [%s] %s: %s\n", fg_kind_name(f->kind), f->name, f->doc ? f->doc : "");
            for (uint32_t s = 0; s < f->n_params; s++) print_spec(&f->params[s], 6);
        }
    }
    if (r->n_failures) {
        printf("\nnot loaded:\n");
        for (size_t i = 0; i < r->n_failures; i++) printf("  %s\n", r->failures[i].reason);
    }
}

int fg_cmd_plugins(int argc, char **argv) {
    const char *dirs[MAX_DIRS];
    size_t n_dirs = 0;
    int json = 0;
    for (int i = 0; i < argc; i++) {
        int missing = 0;
        const char *v = fg_cli_option(argc, argv, &i, "--plugin-path", &missing);
        if (v != NULL && n_dirs < MAX_DIRS) {
            dirs[n_dirs++] = v;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs("usage: fgrun plugins [--json] [--plugin-path DIR]...\n\n"
                  "Every plugin on the search path, its factories and their parameters (type,\n"
                  "default, range, allowed values, meaning), read without running plugin code.\n",
                  stdout);
            return 0;
        } else {
            char msg[300];
            snprintf(msg, sizeof msg, missing ? "%s needs a value" : "unknown argument '%s'", argv[i]);
            return fg_cli_fail(msg);
        }
    }
    fg_registry r;
    fg_error err = {0};
    if (fg_registry_init(&r, dirs, n_dirs, &err) != FG_OK || fg_registry_load_all(&r, &err) != FG_OK) {
        fg_registry_free(&r);
        return fg_cli_fail(err.msg);
    }
    int rc = json ? print_json(&r) : (print_text(&r), 0);
    fg_registry_free(&r);
    return rc;
}
