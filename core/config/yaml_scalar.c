/* Scalar resolution. Untagged plain scalars follow the YAML 1.2 core schema (not
 * PyYAML's 1.1 rules): so `1e-3` is a float and `yes`/`on` are strings. A standard tag
 * (!!int, !!float, ...) forces the type and fails when the text does not fit it. */
#include "config/config_internal.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool one_of(const char *s, const char *const *words) {
    for (; *words != NULL; words++)
        if (strcmp(s, *words) == 0) return true;
    return false;
}

static bool is_null(const char *s) {
    static const char *const words[] = {"", "~", "null", "Null", "NULL", NULL};
    return one_of(s, words);
}

static bool parse_bool(const char *s, bool *out) {
    static const char *const yes[] = {"true", "True", "TRUE", NULL};
    static const char *const no[] = {"false", "False", "FALSE", NULL};
    if (one_of(s, yes)) return *out = true, true;
    if (one_of(s, no)) return *out = false, true;
    return false;
}

static int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 99;
}

/* Integer syntax: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+. Returns false when the text
 * is not an integer; sets *overflow when it is one but does not fit int64. */
static bool parse_int(const char *s, int64_t *out, bool *overflow) {
    *overflow = false;
    int base = 10;
    bool neg = false;
    const char *p = s;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
        base = p[1] == 'x' ? 16 : 8;
        p += 2;
    } else if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    }
    if (*p == '\0') return false;
    /* accumulate as a negative number: INT64_MIN has no positive counterpart */
    int64_t v = 0;
    for (; *p != '\0'; p++) {
        int d = digit_value(*p);
        if (d >= base) return false;
        if (*overflow) continue; /* keep checking the syntax */
        if (v < (INT64_MIN + d) / base) {
            *overflow = true;
            continue;
        }
        v = v * base - d;
    }
    if (*overflow) return true;
    if (!neg) {
        if (v == INT64_MIN) {
            *overflow = true;
            return true;
        }
        v = -v;
    }
    *out = v;
    return true;
}

/* Float syntax of the core schema: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_float_syntax(const char *s) {
    const char *p = s;
    if (*p == '-' || *p == '+') p++;
    size_t int_digits = 0, frac_digits = 0;
    while (is_digit(*p)) p++, int_digits++;
    if (*p == '.') {
        p++;
        while (is_digit(*p)) p++, frac_digits++;
    }
    if (int_digits == 0 && frac_digits == 0) return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+') p++;
        if (!is_digit(*p)) return false;
        while (is_digit(*p)) p++;
    }
    return *p == '\0';
}

/* strtod reads the decimal point of the current locale; YAML always uses '.', so a
 * program that called setlocale() must not change how configs parse. Returns false
 * when out of memory. */
static bool c_strtod(const char *s, double *out, bool *overflow) {
    const char *dp = localeconv()->decimal_point;
    char *copy = NULL;
    if (dp != NULL && dp[0] != '.' && dp[0] != '\0' && dp[1] == '\0' && strchr(s, '.')) {
        size_t len = strlen(s);
        copy = malloc(len + 1);
        if (copy == NULL) return false;
        memcpy(copy, s, len + 1);
        char *point = strchr(copy, '.');
        if (point != NULL) *point = dp[0];
    }
    errno = 0;
    double v = strtod(copy != NULL ? copy : s, NULL);
    *overflow = errno == ERANGE && isinf(v); /* underflow to ~0 is fine */
    free(copy);
    *out = v;
    return true;
}

/* Float forms: the syntax above plus .inf/-.inf/+.inf and .nan in three spellings. */
static bool parse_float(const char *s, double *out, bool *overflow, bool *nomem) {
    static const char *const inf[] = {".inf", ".Inf", ".INF", NULL};
    static const char *const nan_words[] = {".nan", ".NaN", ".NAN", NULL};
    *overflow = false;
    *nomem = false;
    const char *p = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
    if (one_of(p, inf)) return *out = s[0] == '-' ? -INFINITY : INFINITY, true;
    if (one_of(s, nan_words)) return *out = NAN, true;
    if (!is_float_syntax(s)) return false;
    if (!c_strtod(s, out, overflow)) *nomem = true;
    return true;
}

bool fgc_scalar_resolve(fg_node *n, fgc_scalar_kind kind, char *why, size_t why_len) {
    const char *s = n->s;
    int64_t i;
    double f;
    bool b, overflow, nomem;
    n->type = FG_NODE_STR;
    switch (kind) {
    case FGC_SCALAR_STR: return true;
    case FGC_SCALAR_NULL: n->type = FG_NODE_NULL; return true;
    case FGC_SCALAR_AUTO:
        if (is_null(s)) {
            n->type = FG_NODE_NULL;
            return true;
        }
        if (parse_bool(s, &b)) {
            n->type = FG_NODE_BOOL;
            n->b = b;
            return true;
        }
        break;
    case FGC_SCALAR_BOOL:
        if (parse_bool(s, &b)) {
            n->type = FG_NODE_BOOL;
            n->b = b;
            return true;
        }
        snprintf(why, why_len, "'%.80s' is not a boolean (expected true or false)", s);
        return false;
    default: break;
    }
    if (parse_int(s, &i, &overflow)) {
        if (overflow) {
            snprintf(why, why_len,
                     "integer '%.80s' does not fit in 64 bits (range %lld to %lld); quote it "
                     "to keep it as a string",
                     s, (long long)INT64_MIN, (long long)INT64_MAX);
            return false;
        }
        n->type = kind == FGC_SCALAR_FLOAT ? FG_NODE_FLOAT : FG_NODE_INT;
        n->i = i;
        n->f = (double)i; /* lets readers of a float accept an int without a cast */
        return true;
    }
    if (kind != FGC_SCALAR_INT && parse_float(s, &f, &overflow, &nomem)) {
        if (nomem) {
            snprintf(why, why_len, "out of memory");
            return false;
        }
        if (overflow) {
            snprintf(why, why_len, "number '%.80s' is too large for a double; use .inf", s);
            return false;
        }
        n->type = FG_NODE_FLOAT;
        n->f = f;
        return true;
    }
    if (kind == FGC_SCALAR_AUTO) return true; /* a plain string */
    snprintf(why, why_len, "'%.80s' is not %s", s,
             kind == FGC_SCALAR_INT ? "an integer (!!int)" : "a number (!!float)");
    return false;
}
