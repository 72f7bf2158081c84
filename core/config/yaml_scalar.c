/* Scalar resolution. Untagged plain scalars follow PyYAML's SafeLoader (YAML 1.1), which
 * Forgather uses, so a config means the same thing in both:
 *   null   ~ null Null NULL and the empty scalar
 *   bool   yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF
 *          (not y / n)
 *   int    [-+]? then 0b[01_]+ | 0x[0-9a-fA-F_]+ | 0[0-7_]+ (octal: 010 is 8) | 0 |
 *          [1-9][0-9_]*   (underscores are ignored)
 *   float  [-+]? then [0-9][0-9_]*.[0-9_]* or .[0-9][0-9_]*, with an exponent
 *          [eE][-+][0-9]+; .inf -.inf +.inf (3 spellings); .nan .NaN .NAN
 * where PyYAML has quirks nobody wants we differ, on purpose (docs/config.md):
 *   1e-3, 1.0e3 (no dot, or no exponent sign) and -.5 are floats (PyYAML: strings);
 *   0o17 is an int (YAML 1.2's octal; PyYAML: a string);
 *   base-60 numbers (1:30, PyYAML: 90) and dates (2024-01-01, PyYAML: a date object
 *   that Forgather then rejects) stay strings; '=' is a string (PyYAML: an error).
 * A standard tag (!!int, !!float, ...) forces the type and fails when the text does not
 * fit it. */
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
    static const char *const yes[] = {"yes", "Yes", "YES", "true", "True", "TRUE",
                                      "on",  "On",  "ON",  NULL};
    static const char *const no[] = {"no",    "No",    "NO",  "false", "False", "FALSE",
                                     "off",   "Off",   "OFF", NULL};
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

/* Integer forms of the table above (plus 0o). Returns false when the text is not an
 * integer; sets *overflow when it is one but does not fit int64. */
static bool parse_int(const char *s, int64_t *out, bool *overflow) {
    *overflow = false;
    const char *p = s;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+') p++;
    int base = 10;
    bool need_digit = true; /* 0x_ has no digit: a string, as PyYAML cannot read it */
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b')) {
        base = p[1] == 'x' ? 16 : p[1] == 'o' ? 8 : 2;
        p += 2;
    } else if (p[0] == '0') {
        base = 8; /* 0, 0_ and 010 (= 8); 08 is no number at all */
        need_digit = false;
    } else if (!is_digit(p[0])) {
        return false;
    }
    if (*p == '\0' && need_digit) return false;
    /* accumulate as a negative number: INT64_MIN has no positive counterpart */
    int64_t v = 0;
    size_t digits = 0;
    for (; *p != '\0'; p++) {
        if (*p == '_') continue;
        int d = digit_value(*p);
        if (d >= base) return false;
        digits++;
        if (*overflow) continue; /* keep checking the syntax */
        if (v < (INT64_MIN + d) / base) {
            *overflow = true;
            continue;
        }
        v = v * base - d;
    }
    if (digits == 0 && need_digit) return false;
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

/* [-+]?([0-9][0-9_]*(\.[0-9_]*)?|\.[0-9][0-9_]*)([eE][-+]?[0-9]+)? with a '.' or an
 * exponent: PyYAML's floats, plus the dotless and sign-less exponents and a signed
 * leading dot. */
static bool is_float_syntax(const char *s) {
    const char *p = s;
    if (*p == '-' || *p == '+') p++;
    bool dot = false, exponent = false;
    if (is_digit(*p)) {
        while (is_digit(*p) || *p == '_') p++;
        if (*p == '.') {
            dot = true;
            p++;
            while (is_digit(*p) || *p == '_') p++;
        }
    } else if (p[0] == '.' && is_digit(p[1])) {
        dot = true;
        p++;
        while (is_digit(*p) || *p == '_') p++;
    } else {
        return false;
    }
    if (*p == 'e' || *p == 'E') {
        exponent = true;
        p++;
        if (*p == '-' || *p == '+') p++;
        if (!is_digit(*p)) return false;
        while (is_digit(*p)) p++;
    }
    return *p == '\0' && (dot || exponent);
}

/* strtod of the text without its underscores, and with '.' as the decimal point whatever
 * the locale: a program that called setlocale() must not change how configs parse.
 * Returns false when out of memory. */
static bool c_strtod(const char *s, double *out, bool *overflow) {
    size_t len = strlen(s);
    char *copy = malloc(len + 1);
    if (copy == NULL) return false;
    const char *dp = localeconv()->decimal_point;
    char point = (dp != NULL && dp[0] != '\0' && dp[1] == '\0') ? dp[0] : '.';
    size_t n = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '_') continue;
        copy[n++] = *p == '.' ? point : *p;
    }
    copy[n] = '\0';
    errno = 0;
    double v = strtod(copy, NULL);
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
        snprintf(why, why_len,
                 "'%.80s' is not a boolean (expected true/false, yes/no or on/off)", s);
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

bool fgc_scalar_plain_ok(const char *text) {
    /* number-like text (1:30, -1:30, 2024-01-01) reads as a number or a date in PyYAML */
    char c = text[0];
    if (is_digit(c) || ((c == '-' || c == '+' || c == '.') && is_digit(text[1]))) return false;
    if (strcmp(text, "=") == 0 || strcmp(text, "<<") == 0) return false;
    fg_node probe;
    memset(&probe, 0, sizeof probe);
    probe.s = text;
    char why[8];
    return fgc_scalar_resolve(&probe, FGC_SCALAR_AUTO, why, sizeof why) &&
           probe.type == FG_NODE_STR;
}

void fgc_format_float(double f, char *buf, size_t cap) {
    if (isnan(f)) {
        snprintf(buf, cap, ".nan");
        return;
    }
    if (isinf(f)) {
        snprintf(buf, cap, "%s", f > 0 ? ".inf" : "-.inf");
        return;
    }
    char text[64];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, f);
        if (strtod(text, NULL) == f) break;
    }
    /* PyYAML needs a '.' in every float: 1e-05 -> 1.0e-05, 3 -> 3.0 */
    if (strchr(text, '.') == NULL) {
        char *e = strpbrk(text, "eE");
        if (e != NULL)
            snprintf(buf, cap, "%.*s.0%s", (int)(e - text), text, e);
        else
            snprintf(buf, cap, "%s.0", text);
        return;
    }
    snprintf(buf, cap, "%s", text);
}
