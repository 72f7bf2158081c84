/* Python's int(str, base) and float(str) grammars (whitespace, sign, underscores between
 * digits, 0x/0o/0b prefixes, inf/nan spellings), for the int and float filters. */
#include "template/tpl_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Trims Python whitespace from both ends. */
static void trim(const char **s, size_t *len) {
    uint32_t cp;
    while (*len) {
        size_t n = tpl_utf8_decode(*s, *len, &cp);
        if (!tpl_uni_space(cp)) break;
        *s += n, *len -= n;
    }
    while (*len) {
        size_t k = *len - 1;
        while (k > 0 && ((unsigned char)(*s)[k] & 0xC0) == 0x80 && *len - k < 4) k--;
        size_t n = tpl_utf8_decode(*s + k, *len - k, &cp);
        if (k + n != *len) {
            k = *len - 1;
            tpl_utf8_decode(*s + k, 1, &cp);
        }
        if (!tpl_uni_space(cp)) break;
        *len = k;
    }
}

static int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

bool tpl_parse_int(const char *s, size_t len, int base, int64_t *out, bool *overflow) {
    *overflow = false;
    trim(&s, &len);
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    bool prefixed = false;
    if (i + 1 < len && s[i] == '0') {
        char c = (char)(s[i + 1] | 0x20);
        int pb = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;
        if (pb && (base == 0 || base == pb)) {
            base = pb;
            i += 2;
            prefixed = true;
        }
    }
    bool leading_zero_decimal = base == 0;
    if (base == 0) base = 10;
    if (base < 2 || base > 36) return false;
    uint64_t mag = 0;
    size_t digits = 0;
    bool all_zero = true, prev_underscore = prefixed; /* "0x_1f" is valid */
    if (i >= len) return false;
    for (; i < len; i++) {
        if (s[i] == '_') {
            if (prev_underscore && !(prefixed && digits == 0 && i > 0 && s[i - 1] != '_')) return false;
            if (digits == 0 && !prefixed) return false;
            prev_underscore = true;
            continue;
        }
        int d = digit_value(s[i]);
        if (d >= base) return false;
        if (d) all_zero = false;
        if (mag > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) *overflow = true;
        else mag = mag * (uint64_t)base + (uint64_t)d;
        digits++;
        prev_underscore = false;
    }
    if (digits == 0 || prev_underscore) return false;
    /* base 0 forbids leading zeros in non-zero decimals ("010") */
    if (leading_zero_decimal && !prefixed && s[neg || s[0] == '+' ? 1 : 0] == '0' && !all_zero)
        return false;
    if (*overflow || mag > (uint64_t)INT64_MAX + (neg ? 1 : 0)) {
        *overflow = true;
        return true;
    }
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return true;
}

static bool ieq(const char *s, const char *word, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != word[i]) return false;
    return true;
}

bool tpl_parse_float(const char *s, size_t len, double *out) {
    trim(&s, &len);
    char buf[512];
    size_t n = 0, i = 0;
    if (len == 0 || len >= sizeof buf) {
        if (len == 0) return false;
    }
    if (i < len && (s[i] == '+' || s[i] == '-')) buf[n++] = s[i++];
    /* inf / infinity / nan */
    size_t rest = len - i;
    if ((rest == 3 && ieq(s + i, "inf", 3)) ||
        (rest == 8 && ieq(s + i, "infinity", 8))) {
        *out = buf[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    if (rest == 3 && ieq(s + i, "nan", 3)) {
        *out = buf[0] == '-' ? -NAN : NAN;
        return true;
    }
    /* digits [. digits] [e [sign] digits], underscores only between digits */
    bool any_digits = false, in_exp = false, seen_dot = false, exp_digits = false;
    char prev = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (in_exp) exp_digits = true;
            else any_digits = true;
        } else if (c == '_') {
            if (!(prev >= '0' && prev <= '9') || i + 1 >= len || s[i + 1] < '0' || s[i + 1] > '9')
                return false;
            prev = c;
            continue;
        } else if (c == '.' && !seen_dot && !in_exp) {
            seen_dot = true;
        } else if ((c == 'e' || c == 'E') && !in_exp && any_digits) {
            in_exp = true;
        } else if ((c == '+' || c == '-') && (prev == 'e' || prev == 'E')) {
        } else {
            return false;
        }
        if (n + 1 >= sizeof buf) {
            /* very long numbers: let strtod read the copy below */
            break;
        }
        buf[n++] = c;
        prev = c;
    }
    if (!any_digits || (in_exp && !exp_digits)) return false;
    if (i < len) {
        /* over the scratch size: parse a heap copy without underscores */
        char *big = malloc(len + 1);
        if (big == NULL) return false;
        size_t m = 0;
        for (size_t k = 0; k < len; k++)
            if (s[k] != '_') big[m++] = s[k];
        big[m] = '\0';
        *out = strtod(big, NULL);
        free(big);
        return true;
    }
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    return true;
}

