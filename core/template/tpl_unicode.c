/* Unicode character classes and case mappings as Python's str methods apply them
 * (tables generated from Python's unicodedata by tests/template/gen_unicode_tables.py). */
#include "template/tpl_impl.h"

#include <string.h>

#include "template/tpl_unicode_tables.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool in_ranges(const uint32_t (*r)[2], size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < r[mid][0])
            hi = mid;
        else if (cp > r[mid][1])
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

#define RANGE_FN(fn, table, ascii_expr)                                                   \
    bool fn(uint32_t cp) {                                                                \
        if (cp < 0x80) return ascii_expr;                                                 \
        return in_ranges(table, COUNT(table), cp);                                        \
    }

bool tpl_uni_printable(uint32_t cp) {
    if (cp < 0x80) return cp >= 0x20 && cp != 0x7f;
    return !in_ranges(tpl_uni_nonprintable, COUNT(tpl_uni_nonprintable), cp);
}
RANGE_FN(tpl_uni_space, tpl_uni_space_r, (cp >= 9 && cp <= 13) || (cp >= 0x1c && cp <= 0x20))
RANGE_FN(tpl_uni_alpha, tpl_uni_alpha_r, (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
RANGE_FN(tpl_uni_decimal, tpl_uni_decimal_r, cp >= '0' && cp <= '9')
RANGE_FN(tpl_uni_digit, tpl_uni_digit_r, cp >= '0' && cp <= '9')
RANGE_FN(tpl_uni_alnum, tpl_uni_alnum_r,
         (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z'))
RANGE_FN(tpl_uni_numeric, tpl_uni_numeric_r, cp >= '0' && cp <= '9')
RANGE_FN(tpl_uni_upper, tpl_uni_upper_r, cp >= 'A' && cp <= 'Z')
RANGE_FN(tpl_uni_lower, tpl_uni_lower_r, cp >= 'a' && cp <= 'z')
RANGE_FN(tpl_uni_cased, tpl_uni_cased_r, (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')

bool tpl_uni_title(uint32_t cp) {
    return cp >= 0x80 && in_ranges(tpl_uni_title_r, COUNT(tpl_uni_title_r), cp);
}

static uint32_t map_runs(const int32_t (*runs)[4], size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((int64_t)cp < runs[mid][0])
            hi = mid;
        else if ((int64_t)cp > runs[mid][1])
            lo = mid + 1;
        else {
            if ((cp - (uint32_t)runs[mid][0]) % (uint32_t)runs[mid][3] != 0) return cp;
            return (uint32_t)((int64_t)cp + runs[mid][2]);
        }
    }
    return cp;
}

uint32_t tpl_uni_to_upper(uint32_t cp) {
    if (cp < 0x80) return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    return map_runs(tpl_uni_upper_map, COUNT(tpl_uni_upper_map), cp);
}
uint32_t tpl_uni_to_lower(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    return map_runs(tpl_uni_lower_map, COUNT(tpl_uni_lower_map), cp);
}
uint32_t tpl_uni_to_title(uint32_t cp) {
    if (cp < 0x80) return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    return map_runs(tpl_uni_title_map, COUNT(tpl_uni_title_map), cp);
}

static const char *find_special(const struct tpl_uni_special *t, size_t n, uint32_t cp) {
    for (size_t i = 0; i < n; i++)
        if (t[i].cp == cp) return t[i].utf8;
    return NULL;
}

/* Appends the full mapping of cp (a special multi-character mapping or the simple one). */
static bool put_mapped(tpl_ctx *ctx, tpl_buf *b, uint32_t cp, tpl_case_op op) {
    const char *special = NULL;
    uint32_t m = cp;
    if (cp >= 0x80) {
        if (op == TPL_CASE_UPPER)
            special = find_special(tpl_uni_upper_special, COUNT(tpl_uni_upper_special), cp);
        else if (op == TPL_CASE_LOWER)
            special = find_special(tpl_uni_lower_special, COUNT(tpl_uni_lower_special), cp);
        else if (op == TPL_CASE_CASEFOLD)
            special = find_special(tpl_uni_casefold_special, COUNT(tpl_uni_casefold_special), cp);
        else
            special = find_special(tpl_uni_title_special, COUNT(tpl_uni_title_special), cp);
        if (special) return tpl_buf_puts(ctx, b, special);
    }
    if (op == TPL_CASE_CASEFOLD)
        m = cp < 0x80 ? tpl_uni_to_lower(cp) : map_runs(tpl_uni_casefold_map, COUNT(tpl_uni_casefold_map), cp);
    else
        m = op == TPL_CASE_UPPER ? tpl_uni_to_upper(cp)
            : op == TPL_CASE_LOWER ? tpl_uni_to_lower(cp)
                                   : tpl_uni_to_title(cp);
    char enc[4];
    return tpl_buf_put(ctx, b, enc, tpl_utf8_encode(m, enc));
}

/* Python lowercases capital sigma to final sigma at the end of a word: preceded by a cased
 * letter and not followed by one (case-ignorable characters are not skipped here). */
static bool final_sigma(const char *s, size_t len, size_t at, size_t n, bool prev_cased) {
    if (!prev_cased) return false;
    if (at + n >= len) return true;
    uint32_t next;
    tpl_utf8_decode(s + at + n, len - at - n, &next);
    return !tpl_uni_cased(next);
}

bool tpl_str_case(tpl_ctx *ctx, tpl_value v, tpl_case_op op, tpl_value *out) {
    const char *s = v.u.s->data;
    size_t len = v.u.s->len;
    if (!tpl_charge_bytes(ctx, len)) return false;
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    bool prev_cased = false, first = true;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = tpl_utf8_decode(s + i, len - i, &cp);
        bool invalid = n == 1 && (unsigned char)s[i] >= 0x80;
        tpl_case_op this_op = op;
        if (op == TPL_CASE_TITLE)
            this_op = prev_cased ? TPL_CASE_LOWER : TPL_CASE_TITLE;
        else if (op == TPL_CASE_CAPITALIZE)
            this_op = first ? TPL_CASE_TITLE : TPL_CASE_LOWER;
        else if (op == TPL_CASE_SWAPCASE)
            this_op = tpl_uni_upper(cp) ? TPL_CASE_LOWER : tpl_uni_lower(cp) ? TPL_CASE_UPPER : TPL_CASE_NONE;
        bool ok;
        if (invalid || this_op == TPL_CASE_NONE)
            ok = tpl_buf_put(ctx, &b, s + i, n);
        else if (cp == 0x3a3 && this_op == TPL_CASE_LOWER && final_sigma(s, len, i, n, prev_cased))
            ok = tpl_buf_puts(ctx, &b, "\xcf\x82");
        else
            ok = put_mapped(ctx, &b, cp, this_op);
        if (!ok) return false;
        prev_cased = !invalid && (tpl_uni_cased(cp) || tpl_uni_title(cp));
        first = false;
        i += n;
    }
    return tpl_buf_to_str(ctx, &b, out);
}
