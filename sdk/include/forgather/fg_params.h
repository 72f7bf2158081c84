/* Typed parameter specs: how a factory declares the configuration keys it accepts.
 * The host validates a config mapping against the spec (unknown key, type, range,
 * required, choices, the kind of a nested object) before any plugin code runs. */
#ifndef FORGATHER_FG_PARAMS_H
#define FORGATHER_FG_PARAMS_H

#include "fg_types.h"

FG_BEGIN_DECLS

#define FG_PARAM_BOOL 1
#define FG_PARAM_INT 2
#define FG_PARAM_FLOAT 3        /* accepts integers too */
#define FG_PARAM_STR 4
#define FG_PARAM_INT_LIST 5
#define FG_PARAM_FLOAT_LIST 6
#define FG_PARAM_PARTIAL 7      /* !partial:...: a factory the plugin calls later */
#define FG_PARAM_OBJECT 8       /* !singleton:... or !factory:...: a constructed object */
#define FG_PARAM_MAP 9          /* nested mapping validated against `fields` */
#define FG_PARAM_MAP_LIST 10    /* ABI 1.1: list of mappings, each validated against `fields` */
#define FG_PARAM_OBJECT_LIST 11 /* ABI 1.2: list of !singleton/!factory objects of `kind` */

#define FG_PARAM_REQUIRED 1u

typedef struct fg_param_spec {
    const char *name;
    int32_t type;                     /* FG_PARAM_* */
    int32_t kind;                     /* PARTIAL/OBJECT: required FG_KIND_*, 0 = any */
    uint32_t flags;                   /* FG_PARAM_REQUIRED */
    uint32_t n_fields;                /* MAP: number of entries in `fields` */
    const char *default_yaml;         /* YAML text of the default; NULL = none */
    double min, max;                  /* numbers (and list items): range when min <= max */
    const char *doc;
    const char *const *choices;       /* STR: NULL-terminated allowed values, or NULL */
    const struct fg_param_spec *fields; /* MAP: nested spec */
} fg_param_spec;

/* Helpers for writing spec tables tersely. Unused range: min=1, max=0. */
#define FG_SPEC_INT(nm, def, lo, hi, d) {nm, FG_PARAM_INT, 0, 0, 0, def, lo, hi, d, NULL, NULL}
#define FG_SPEC_FLOAT(nm, def, lo, hi, d) {nm, FG_PARAM_FLOAT, 0, 0, 0, def, lo, hi, d, NULL, NULL}
#define FG_SPEC_BOOL(nm, def, d) {nm, FG_PARAM_BOOL, 0, 0, 0, def, 1, 0, d, NULL, NULL}
#define FG_SPEC_STR(nm, def, choices, d) {nm, FG_PARAM_STR, 0, 0, 0, def, 1, 0, d, choices, NULL}
#define FG_SPEC_REQ_STR(nm, d) {nm, FG_PARAM_STR, 0, FG_PARAM_REQUIRED, 0, NULL, 1, 0, d, NULL, NULL}
#define FG_SPEC_REQ_INT(nm, lo, hi, d) {nm, FG_PARAM_INT, 0, FG_PARAM_REQUIRED, 0, NULL, lo, hi, d, NULL, NULL}
#define FG_SPEC_PARTIAL(nm, kind, req, d) {nm, FG_PARAM_PARTIAL, kind, (req) ? FG_PARAM_REQUIRED : 0u, 0, NULL, 1, 0, d, NULL, NULL}
#define FG_SPEC_OBJECT(nm, kind, req, d) {nm, FG_PARAM_OBJECT, kind, (req) ? FG_PARAM_REQUIRED : 0u, 0, NULL, 1, 0, d, NULL, NULL}
#define FG_SPEC_MAP(nm, fields, n, d) {nm, FG_PARAM_MAP, 0, 0, n, NULL, 1, 0, d, NULL, fields}
#define FG_SPEC_MAP_LIST(nm, fields, n, d) {nm, FG_PARAM_MAP_LIST, 0, 0, n, NULL, 1, 0, d, NULL, fields}
#define FG_SPEC_OBJECT_LIST(nm, kind, d) {nm, FG_PARAM_OBJECT_LIST, kind, 0, 0, NULL, 1, 0, d, NULL, NULL}

FG_END_DECLS

#endif
