/* Printing factories and parameter specs for `fgrun plugins` and `fgrun plugin check`. */
#include "cli/plugin_info.h"

#include "plugin/registry.h"

#include <stdio.h>

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

void fg_cli_print_factory(const fg_factory_desc *f) {
    printf("  [%s] %s: %s\n", fg_kind_name(f->kind), f->name, f->doc ? f->doc : "");
    for (uint32_t s = 0; s < f->n_params; s++) print_spec(&f->params[s], 6);
}

cJSON *fg_cli_factory_json(const fg_factory_desc *f) {
    cJSON *jf = cJSON_CreateObject();
    if (jf == NULL) return NULL;
    cJSON_AddStringToObject(jf, "name", f->name);
    cJSON_AddStringToObject(jf, "kind", fg_kind_name(f->kind));
    cJSON_AddStringToObject(jf, "doc", f->doc ? f->doc : "");
    cJSON *ps = cJSON_AddArrayToObject(jf, "parameters");
    for (uint32_t s = 0; s < f->n_params; s++) cJSON_AddItemToArray(ps, spec_json(&f->params[s]));
    return jf;
}
