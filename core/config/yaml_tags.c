/* Tag classification. Forgather's tag grammar (spec B): `!KIND` or `!KIND:SUFFIX` with
 * SUFFIX := [CONSTRUCTOR] ['@' IDENTITY], split at the first '@'. Anything we do not
 * know is an error, because a silently ignored tag would build the wrong object. */
#include "config/config_internal.h"

#include <stdio.h>
#include <string.h>

#define STD_PREFIX "tag:yaml.org,2002:"

static const char KNOWN_TAGS[] =
    "known tags: !singleton:REF, !call:REF, !factory:REF, !partial:REF, !lambda:REF, "
    "!meta:REF (each with an optional @identity), !dict, !list, !tuple, !dlist (optionally "
    ":@identity), !var NAME, !var {name: N, default: D}, and the standard !!str !!int "
    "!!float !!bool !!null !!map !!seq";

static const struct {
    const char *kind;
    fg_ctor ctor;
} CTORS[] = {
    {"!singleton", FG_CTOR_SINGLETON}, {"!call", FG_CTOR_SINGLETON},
    {"!partial", FG_CTOR_PARTIAL},     {"!lambda", FG_CTOR_PARTIAL},
    {"!factory", FG_CTOR_FACTORY},     {"!meta", FG_CTOR_META},
};

/* Container tags: what node each makes, and which payload it takes. */
static const struct {
    const char *kind;
    fgc_tag_kind tag;
    fg_container container;
} CONTAINERS[] = {
    {"!dict", FGC_TAG_MAP, FG_CONTAINER_DICT},
    {"!list", FGC_TAG_SEQ, FG_CONTAINER_LIST},
    {"!tuple", FGC_TAG_SEQ, FG_CONTAINER_TUPLE},
    {"!dlist", FGC_TAG_DLIST, FG_CONTAINER_LIST},
};

static const struct {
    const char *name;
    fgc_tag_kind kind;
    fgc_scalar_kind scalar;
} STANDARD[] = {
    {"str", FGC_TAG_SCALAR, FGC_SCALAR_STR},     {"int", FGC_TAG_SCALAR, FGC_SCALAR_INT},
    {"float", FGC_TAG_SCALAR, FGC_SCALAR_FLOAT}, {"bool", FGC_TAG_SCALAR, FGC_SCALAR_BOOL},
    {"null", FGC_TAG_SCALAR, FGC_SCALAR_NULL},   {"map", FGC_TAG_MAP, FGC_SCALAR_AUTO},
    {"seq", FGC_TAG_SEQ, FGC_SCALAR_AUTO},
};

/* When tag is "!KIND" or starts with "!KIND:", returns what follows the kind (""
 * or ":..."); NULL otherwise. */
static const char *after_kind(const char *tag, const char *kind) {
    size_t n = strlen(kind);
    if (strncmp(tag, kind, n) != 0) return NULL;
    if (tag[n] != '\0' && tag[n] != ':') return NULL;
    return tag + n;
}

/* Splits ":REF@ID" (rest points at the ':') into arena copies. */
static fg_status split_suffix(fgc_arena *a, const char *rest, fgc_tag *out, char *why,
                              size_t why_len) {
    const char *suffix = rest + 1;
    const char *at = strchr(suffix, '@');
    size_t ref_len = at != NULL ? (size_t)(at - suffix) : strlen(suffix);
    if (at != NULL) {
        if (at[1] == '\0') {
            snprintf(why, why_len, "empty identity after '@' in tag '%s' (expected e.g. @name)",
                     out->spelling);
            return FG_E_PARSE;
        }
        out->identity = fgc_strdup(a, at + 1);
        if (out->identity == NULL) return FG_E_NOMEM;
    }
    out->ref = fgc_strndup(a, suffix, ref_len);
    if (out->ref == NULL) return FG_E_NOMEM;
    return FG_OK;
}

static fg_status classify_ctor(fgc_arena *a, const char *kind, const char *rest, fgc_tag *out,
                               char *why, size_t why_len) {
    if (rest[0] == '\0') {
        snprintf(why, why_len,
                 "tag '%s' needs a constructor: write '%s:NAME' (e.g. '%s:adamw' or "
                 "'%s:torch.optim:AdamW')",
                 kind, kind, kind, kind);
        return FG_E_PARSE;
    }
    fg_status st = split_suffix(a, rest, out, why, why_len);
    if (st != FG_OK) return st;
    if (out->ref[0] == '\0') {
        snprintf(why, why_len, "missing constructor in tag '%s' (expected '%s:NAME[@identity]')",
                 out->spelling, kind);
        return FG_E_PARSE;
    }
    const char *colon = strchr(out->ref, ':');
    if (colon != NULL && strchr(colon + 1, ':') != NULL) {
        snprintf(why, why_len,
                 "constructor '%.200s' in tag '%s' has more than one ':' (expected NAME or "
                 "MODULE:SYMBOL)",
                 out->ref, out->spelling);
        return FG_E_PARSE;
    }
    return FG_OK;
}

static fg_status classify_container(fgc_arena *a, const char *kind, const char *rest,
                                    fgc_tag *out, char *why, size_t why_len) {
    out->empty_ok = true;
    if (rest[0] == '\0') return FG_OK;
    fg_status st = split_suffix(a, rest, out, why, why_len);
    if (st != FG_OK) return st;
    if (out->ref[0] != '\0' || out->identity == NULL) {
        snprintf(why, why_len, "tag '%s' takes only an identity (expected '%s' or '%s:@NAME')",
                 out->spelling, kind, kind);
        return FG_E_PARSE;
    }
    out->ref = NULL;
    return FG_OK;
}

fg_status fgc_tag_classify(fgc_arena *a, const char *tag, fgc_tag *out, char *why,
                           size_t why_len) {
    memset(out, 0, sizeof *out);
    out->kind = FGC_TAG_NONE;
    if (tag == NULL) return FG_OK;

    /* for messages: '!!int' rather than libyaml's expanded 'tag:yaml.org,2002:int' */
    size_t std_len = strlen(STD_PREFIX);
    bool standard = strncmp(tag, STD_PREFIX, std_len) == 0;
    snprintf(out->spelling, sizeof out->spelling, "%s%.50s%s", standard ? "!!" : "",
             standard ? tag + std_len : tag, strlen(tag) > 50 ? "..." : "");

    if (standard) {
        for (size_t k = 0; k < sizeof STANDARD / sizeof STANDARD[0]; k++) {
            if (strcmp(tag + std_len, STANDARD[k].name) == 0) {
                out->kind = STANDARD[k].kind;
                out->scalar = STANDARD[k].scalar;
                return FG_OK;
            }
        }
    } else if (strcmp(tag, "!") == 0) {
        out->kind = FGC_TAG_NONSPECIFIC;
        return FG_OK;
    } else {
        for (size_t k = 0; k < sizeof CTORS / sizeof CTORS[0]; k++) {
            const char *rest = after_kind(tag, CTORS[k].kind);
            if (rest == NULL) continue;
            out->kind = FGC_TAG_CTOR;
            out->ctor = CTORS[k].ctor;
            return classify_ctor(a, CTORS[k].kind, rest, out, why, why_len);
        }
        for (size_t k = 0; k < sizeof CONTAINERS / sizeof CONTAINERS[0]; k++) {
            const char *rest = after_kind(tag, CONTAINERS[k].kind);
            if (rest == NULL) continue;
            out->kind = CONTAINERS[k].tag;
            out->container = CONTAINERS[k].container;
            return classify_container(a, CONTAINERS[k].kind, rest, out, why, why_len);
        }
        const char *rest = after_kind(tag, "!var");
        if (rest != NULL) {
            if (rest[0] == '\0') {
                out->kind = FGC_TAG_VAR;
                return FG_OK;
            }
            snprintf(why, why_len,
                     "'%s' is not a tag: write '!var NAME' or '!var {name: NAME, default: "
                     "VALUE}'",
                     out->spelling);
            return FG_E_PARSE;
        }
    }
    snprintf(why, why_len, "unknown tag '%s'; %s", out->spelling, KNOWN_TAGS);
    return FG_E_PARSE;
}
