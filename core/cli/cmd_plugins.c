/* fgrun plugins [--json]: every plugin on the search path, its factories and their
 * parameters, read from the descriptors without running any factory code. */
#include "cli/cli.h"

#include "cli/plugin_info.h"
#include "plugin/registry.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIRS 64

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
        for (uint32_t k = 0; k < p->desc->n_factories; k++)
            cJSON_AddItemToArray(fs, fg_cli_factory_json(&p->desc->factories[k]));
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
        for (uint32_t k = 0; k < p->desc->n_factories; k++) fg_cli_print_factory(&p->desc->factories[k]);
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
