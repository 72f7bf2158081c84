/* PyYAML's scalar analysis and implicit resolvers, for toyaml: which styles a string may
 * take (Emitter.analyze_scalar) and whether its plain form would read back as another type
 * (the int/float/bool/null/timestamp/merge/value resolvers of yaml.resolver). */
#include "template/tpl_yaml.h"

#include <string.h>

/* ---- scalar analysis (PyYAML's Emitter.analyze_scalar) ---- */

static bool is_ws_or_break(uint32_t c) { return c == 0 || c == ' ' || c == '\t' || c == '\r' || tpl_yaml_is_break(c); }

void tpl_yaml_analyze(const uint32_t *s, size_t n, tpl_yaml_analysis *a) {
    memset(a, 0, sizeof *a);
    if (n == 0) {
        a->empty = true;
        a->block_plain = a->single_quoted = true;
        return;
    }
    bool block_ind = false, flow_ind = false, line_breaks = false, special = false;
    bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false;
    bool break_space = false, space_break = false;
    if (n >= 3 && ((s[0] == '-' && s[1] == '-' && s[2] == '-') || (s[0] == '.' && s[1] == '.' && s[2] == '.')))
        block_ind = flow_ind = true;
    bool preceded_ws = true, followed_ws = n == 1 || is_ws_or_break(s[1]);
    bool prev_space = false, prev_break = false;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (i == 0) {
            if (c && strchr("#,[]{}&*!|>'\"%@`", (int)c) && c < 0x80) flow_ind = block_ind = true;
            if (c == '?' || c == ':') {
                flow_ind = true;
                if (followed_ws) block_ind = true;
            }
            if (c == '-' && followed_ws) flow_ind = block_ind = true;
        } else {
            if (c == ',' || c == '?' || c == '[' || c == ']' || c == '{' || c == '}') flow_ind = true;
            if (c == ':') {
                flow_ind = true;
                if (followed_ws) block_ind = true;
            }
            if (c == '#' && preceded_ws) flow_ind = block_ind = true;
        }
        if (tpl_yaml_is_break(c)) line_breaks = true;
        if (!(c == '\n' || (c >= 0x20 && c <= 0x7E))) {
            bool unicode = (c == 0x85 || (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
                            (c >= 0x10000 && c < 0x10FFFF)) && c != 0xFEFF;
            if (!unicode) special = true; /* allow_unicode=True */
        }
        if (c == ' ') {
            if (i == 0) leading_space = true;
            if (i == n - 1) trailing_space = true;
            if (prev_break) break_space = true;
            prev_space = true;
            prev_break = false;
        } else if (tpl_yaml_is_break(c)) {
            if (i == 0) leading_break = true;
            if (i == n - 1) trailing_break = true;
            if (prev_space) space_break = true;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = prev_break = false;
        }
        preceded_ws = is_ws_or_break(c);
        followed_ws = i + 2 >= n || is_ws_or_break(s[i + 2]);
    }
    bool fp = true, bp = true, sq = true;
    if (leading_space || leading_break || trailing_space || trailing_break) fp = bp = false;
    if (break_space) fp = bp = sq = false;
    if (space_break || special) fp = bp = sq = false;
    if (line_breaks) fp = bp = false;
    if (flow_ind) fp = false;
    if (block_ind) bp = false;
    a->multiline = line_breaks;
    a->flow_plain = fp;
    a->block_plain = bp;
    a->single_quoted = sq;
}

/* ---- implicit resolvers: does a plain scalar read back as something other than str? ---- */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* [0-9_]* from *i */
static void skip_digits_us(const char *s, size_t n, size_t *i) {
    while (*i < n && (is_digit(s[*i]) || s[*i] == '_')) (*i)++;
}

/* (?::[0-5]?[0-9])+ from *i; true if at least one group */
static bool sexagesimal(const char *s, size_t n, size_t *i) {
    bool any = false;
    while (*i < n && s[*i] == ':') {
        size_t j = *i + 1;
        if (j < n && s[j] >= '0' && s[j] <= '5' && j + 1 < n && is_digit(s[j + 1]))
            j += 2;
        else if (j < n && is_digit(s[j]))
            j += 1;
        else
            break;
        *i = j;
        any = true;
    }
    return any;
}

static bool match_float(const char *s, size_t n) {
    size_t i = 0;
    if (n == 4 && (!strncmp(s, ".nan", 4) || !strncmp(s, ".NaN", 4) || !strncmp(s, ".NAN", 4))) return true;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    if (n - i == 4 && (!strncmp(s + i, ".inf", 4) || !strncmp(s + i, ".Inf", 4) || !strncmp(s + i, ".INF", 4)))
        return true;
    size_t start = i;
    /* [0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)? or the sexagesimal form */
    if (i < n && is_digit(s[i])) {
        i++;
        skip_digits_us(s, n, &i);
        size_t after_int = i;
        if (i < n && s[i] == '.') {
            i++;
            skip_digits_us(s, n, &i);
            if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                i++;
                if (i < n && (s[i] == '-' || s[i] == '+')) i++;
                else return false;
                size_t d = i;
                while (i < n && is_digit(s[i])) i++;
                if (i == d) return false;
            }
            return i == n;
        }
        i = after_int;
        if (sexagesimal(s, n, &i) && i < n && s[i] == '.') {
            i++;
            skip_digits_us(s, n, &i);
            return i == n;
        }
        return false;
    }
    /* \.[0-9][0-9_]*(?:[eE][-+][0-9]+)? (no sign) */
    if (start == 0 && i < n && s[i] == '.' && i + 1 < n && is_digit(s[i + 1])) {
        i += 2;
        skip_digits_us(s, n, &i);
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
            i++;
            if (i < n && (s[i] == '-' || s[i] == '+')) i++;
            else return false;
            size_t d = i;
            while (i < n && is_digit(s[i])) i++;
            if (i == d) return false;
        }
        return i == n;
    }
    return false;
}

static bool match_int(const char *s, size_t n) {
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    if (i >= n) return false;
    if (n - i >= 3 && s[i] == '0' && s[i + 1] == 'b') {
        for (size_t k = i + 2; k < n; k++)
            if (s[k] != '0' && s[k] != '1' && s[k] != '_') return false;
        return true;
    }
    if (n - i >= 3 && s[i] == '0' && s[i + 1] == 'x') {
        for (size_t k = i + 2; k < n; k++)
            if (!is_digit(s[k]) && !((s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'f') && s[k] != '_') return false;
        return true;
    }
    if (s[i] == '0') {
        if (n - i == 1) return true;
        for (size_t k = i + 1; k < n; k++)
            if (!(s[k] >= '0' && s[k] <= '7') && s[k] != '_') return false;
        return true;
    }
    if (s[i] >= '1' && s[i] <= '9') {
        i++;
        skip_digits_us(s, n, &i);
        if (i == n) return true;
        return sexagesimal(s, n, &i) && i == n;
    }
    return false;
}

static bool match_timestamp(const char *s, size_t n) {
    size_t i = 0;
    for (int k = 0; k < 4; k++, i++)
        if (i >= n || !is_digit(s[i])) return false;
    if (i >= n || s[i++] != '-') return false;
    /* the date-only form needs exactly two-digit month and day */
    if (n == 10 && is_digit(s[5]) && is_digit(s[6]) && s[7] == '-' && is_digit(s[8]) && is_digit(s[9]))
        return true;
    size_t d = i;
    while (i < n && is_digit(s[i]) && i - d < 2) i++;
    if (i == d || i >= n || s[i++] != '-') return false;
    d = i;
    while (i < n && is_digit(s[i]) && i - d < 2) i++;
    if (i == d || i >= n) return false;
    if (s[i] == 'T' || s[i] == 't') {
        i++;
    } else if (s[i] == ' ' || s[i] == '\t') {
        while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    } else {
        return false;
    }
    d = i;
    while (i < n && is_digit(s[i]) && i - d < 2) i++;
    if (i == d) return false;
    for (int part = 0; part < 2; part++) {
        if (i + 2 >= n || s[i] != ':' || !is_digit(s[i + 1]) || !is_digit(s[i + 2])) return false;
        i += 3;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i])) i++;
    }
    if (i == n) return true;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    if (i < n && s[i] == 'Z') return i + 1 == n;
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        i++;
        d = i;
        while (i < n && is_digit(s[i]) && i - d < 2) i++;
        if (i == d) return false;
        if (i == n) return true;
        return i + 3 == n && s[i] == ':' && is_digit(s[i + 1]) && is_digit(s[i + 2]);
    }
    return false;
}

bool tpl_yaml_resolves_non_str(const char *s, size_t n) {
    if (n == 0) return true; /* null */
    /* resolvers are picked by the first character; "\n..." has none */
    if (s[0] == '\n') return false;
    /* Python's `$` also matches before one trailing newline */
    if (s[n - 1] == '\n') n--;
    static const char *const words[] = {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE",
                                        "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
                                        "~", "null", "Null", "NULL", "<<", "=", "!", "&", "*", NULL};
    for (size_t k = 0; words[k]; k++)
        if (strlen(words[k]) == n && memcmp(words[k], s, n) == 0) return true;
    return match_float(s, n) || match_int(s, n) || match_timestamp(s, n);
}

