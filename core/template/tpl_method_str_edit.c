/* str methods that build new text (the sandbox allows them all): strip, replace, join,
 * partition, padding, case conversion, classification, format, removeprefix/suffix.
 * Searching and splitting live in tpl_method_str.c, which also holds the lookup. */
#define _GNU_SOURCE /* memmem */
#include "template/tpl_impl.h"

#include <string.h>

#define SELF_S (self.u.s->data)
#define SELF_N (self.u.s->len)

static bool bind(tpl_ctx *ctx, const char *fn, const tpl_args *args, const char *const *names,
                 tpl_value *vals, bool *present) {
    return tpl_bind_args(ctx, fn, args, names, vals, present);
}

static bool new_str(tpl_ctx *ctx, const char *s, size_t n, tpl_value *out) {
    return tpl_str_new(ctx, s, n, out);
}

/* ---- strip ---- */

static bool in_chars(uint32_t cp, tpl_value chars) {
    if (chars.kind != TPL_STR) return tpl_uni_space(cp);
    const char *c = chars.u.s->data;
    size_t n = chars.u.s->len;
    for (size_t i = 0; i < n;) {
        uint32_t x;
        i += tpl_utf8_decode(c + i, n - i, &x);
        if (x == cp) return true;
    }
    return false;
}

bool tpl_str_strip(tpl_ctx *ctx, tpl_value self, tpl_value chars, bool left, bool right,
                   tpl_value *out) {
    const char *s = SELF_S;
    size_t len = SELF_N, a = 0, b = len;
    uint64_t work = (uint64_t)len * (chars.kind == TPL_STR ? chars.u.s->len + 1 : 1);
    if (!tpl_charge(ctx, work / 64 + 1)) return false;
    if (left)
        while (a < len) {
            uint32_t cp;
            size_t n = tpl_utf8_decode(s + a, len - a, &cp);
            if (!in_chars(cp, chars)) break;
            a += n;
        }
    if (right)
        while (b > a) {
            size_t st = tpl_utf8_prev(s, b);
            uint32_t cp;
            tpl_utf8_decode(s + st, b - st, &cp);
            if (!in_chars(cp, chars)) break;
            b = st;
        }
    if (a == 0 && b == len) {
        *out = self;
        return true;
    }
    return new_str(ctx, s + a, b - a, out);
}

static bool strip_common(tpl_ctx *ctx, const char *fn, tpl_value self, const tpl_args *args,
                         bool left, bool right, tpl_value *out) {
    tpl_value v[1];
    bool p[1];
    if (!bind(ctx, fn, args, TPL_NAMES("chars"), v, p)) return false;
    tpl_value chars = p[0] ? v[0] : tpl_none();
    if (!tpl_check_defined(ctx, chars)) return false;
    if (chars.kind != TPL_NONE && chars.kind != TPL_STR)
        return tpl_fail(ctx, TPL_E_TYPE, "%s arg must be None or str", fn);
    return tpl_str_strip(ctx, self, chars, left, right, out);
}

static bool m_strip(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return strip_common(ctx, "strip", self, a, true, true, out);
}
static bool m_lstrip(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return strip_common(ctx, "lstrip", self, a, true, false, out);
}
static bool m_rstrip(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return strip_common(ctx, "rstrip", self, a, false, true, out);
}

/* ---- replace / join / partition ---- */

bool tpl_str_replace(tpl_ctx *ctx, tpl_value self, tpl_value old, tpl_value new_,
                     int64_t count, tpl_value *out) {
    const char *s = SELF_S, *o = old.u.s->data, *nw = new_.u.s->data;
    size_t len = SELF_N, on = old.u.s->len, nn = new_.u.s->len;
    uint64_t left = count < 0 ? UINT64_MAX : (uint64_t)count;
    if (!tpl_charge_bytes(ctx, len)) return false;
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    if (on == 0) {
        /* new goes before every character and at the end */
        size_t i = 0;
        while (i < len && left > 0) {
            uint32_t cp;
            size_t n = tpl_utf8_decode(s + i, len - i, &cp);
            if (!tpl_buf_put(ctx, &b, nw, nn) || !tpl_buf_put(ctx, &b, s + i, n)) return false;
            left--;
            i += n;
        }
        if (left > 0 && !tpl_buf_put(ctx, &b, nw, nn)) return false;
        if (!tpl_buf_put(ctx, &b, s + i, len - i)) return false;
        return tpl_buf_to_str(ctx, &b, out);
    }
    size_t i = 0;
    while (left > 0) {
        const char *q = memmem(s + i, len - i, o, on);
        if (q == NULL) break;
        size_t at = (size_t)(q - s);
        if (!tpl_buf_put(ctx, &b, s + i, at - i) || !tpl_buf_put(ctx, &b, nw, nn)) return false;
        i = at + on;
        left--;
    }
    if (!tpl_buf_put(ctx, &b, s + i, len - i)) return false;
    return tpl_buf_to_str(ctx, &b, out);
}

static bool m_replace(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[3];
    bool p[3];
    int64_t count = -1;
    if (!bind(ctx, "replace", args, TPL_NAMES("old", "new", "count"), v, p)) return false;
    if (!p[0] || !p[1])
        return tpl_fail(ctx, TPL_E_TYPE, "replace expected at least 2 arguments, got %zu",
                        args->n_pos);
    if (!tpl_arg_str(ctx, "replace", v[0]) || !tpl_arg_str(ctx, "replace", v[1])) return false;
    if (p[2] && !tpl_arg_int(ctx, "replace", v[2], &count)) return false;
    return tpl_str_replace(ctx, self, v[0], v[1], count, out);
}

bool tpl_str_join(tpl_ctx *ctx, tpl_value sep, tpl_value iterable, tpl_value *out) {
    tpl_list *items;
    if (!tpl_iterate(ctx, iterable, &items)) return false;
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    for (size_t i = 0; i < items->n; i++) {
        tpl_value it = items->items[i];
        if (!tpl_check_defined(ctx, it)) return false;
        if (it.kind != TPL_STR)
            return tpl_fail(ctx, TPL_E_TYPE, "sequence item %zu: expected str instance, %s found",
                            i, tpl_type_name(it));
        if ((i && !tpl_buf_put(ctx, &b, sep.u.s->data, sep.u.s->len)) ||
            !tpl_buf_put(ctx, &b, it.u.s->data, it.u.s->len) || !tpl_step(ctx))
            return false;
    }
    return tpl_buf_to_str(ctx, &b, out);
}

static bool m_join(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[1];
    bool p[1];
    if (!bind(ctx, "join", args, TPL_NAMES("iterable"), v, p)) return false;
    if (!p[0]) return tpl_fail(ctx, TPL_E_TYPE, "str.join() takes exactly one argument (0 given)");
    return tpl_str_join(ctx, self, v[0], out);
}

static bool partition(tpl_ctx *ctx, const char *fn, tpl_value self, const tpl_args *args,
                      bool right, tpl_value *out) {
    tpl_value v[1];
    bool p[1];
    if (!bind(ctx, fn, args, TPL_NAMES("sep"), v, p)) return false;
    if (!p[0]) return tpl_fail(ctx, TPL_E_TYPE, "%s() takes exactly one argument (0 given)", fn);
    if (!tpl_arg_str(ctx, fn, v[0])) return false;
    const char *sep = v[0].u.s->data;
    size_t sn = v[0].u.s->len, len = SELF_N;
    if (sn == 0) return tpl_fail(ctx, TPL_E_VALUE, "empty separator");
    if (!tpl_charge_bytes(ctx, len)) return false;
    const char *hit = NULL;
    if (right) {
        if (!tpl_str_rfind(ctx, SELF_S, len, sep, sn, &hit)) return false;
    } else {
        hit = memmem(SELF_S, len, sep, sn);
    }
    tpl_value a, b, c, empty;
    if (!new_str(ctx, "", 0, &empty) || !tpl_tuple_new(ctx, 3, out)) return false;
    if (hit == NULL) {
        a = right ? empty : self;
        c = right ? self : empty;
        b = empty;
    } else {
        size_t at = (size_t)(hit - SELF_S);
        if (!new_str(ctx, SELF_S, at, &a) || !new_str(ctx, hit + sn, len - at - sn, &c))
            return false;
        b = v[0];
    }
    out->u.list->items[0] = a;
    out->u.list->items[1] = b;
    out->u.list->items[2] = c;
    out->u.list->n = 3;
    return true;
}

static bool m_partition(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return partition(ctx, "partition", self, a, false, out);
}
static bool m_rpartition(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return partition(ctx, "rpartition", self, a, true, out);
}

/* ---- padding ---- */

static bool put_fill(tpl_ctx *ctx, tpl_buf *b, const char *fill, size_t fill_n, int64_t times) {
    return times <= 0 || tpl_buf_repeat(ctx, b, fill, fill_n, (size_t)times);
}

/* Pads self to `width` code points: left/right counts chosen by `align` ('<' '>' '^'). */
bool tpl_str_pad(tpl_ctx *ctx, tpl_value self, int64_t width, const char *fill, size_t fill_n,
                 char align, tpl_value *out) {
    if (!tpl_charge_bytes(ctx, SELF_N)) return false;
    int64_t len = (int64_t)tpl_utf8_count(SELF_S, SELF_N);
    if (width <= len) {
        *out = self;
        return true;
    }
    if ((uint64_t)(width - len) > ctx->max_bytes / (fill_n ? fill_n : 1))
        return tpl_fail(ctx, TPL_E_MEMORY, "string too large");
    int64_t marg = width - len, left = 0;
    if (align == '>')
        left = marg;
    else if (align == '^')
        left = marg / 2 + (marg & width & 1); /* Python's str.center rounding */
    if (!tpl_charge_bytes(ctx, (size_t)marg * fill_n)) return false;
    tpl_buf b = {0};
    if (!put_fill(ctx, &b, fill, fill_n, left) || !tpl_buf_put(ctx, &b, SELF_S, SELF_N) ||
        !put_fill(ctx, &b, fill, fill_n, marg - left))
        return false;
    return tpl_buf_to_str(ctx, &b, out);
}

static bool pad_method(tpl_ctx *ctx, const char *fn, tpl_value self, const tpl_args *args,
                       char align, tpl_value *out) {
    tpl_value v[2];
    bool p[2];
    int64_t width;
    if (!bind(ctx, fn, args, TPL_NAMES("width", "fillchar"), v, p)) return false;
    if (!p[0]) return tpl_fail(ctx, TPL_E_TYPE, "%s expected at least 1 argument, got 0", fn);
    if (!tpl_arg_int(ctx, fn, v[0], &width)) return false;
    const char *fill = " ";
    size_t fill_n = 1;
    if (p[1]) {
        if (!tpl_check_defined(ctx, v[1])) return false;
        if (v[1].kind != TPL_STR)
            return tpl_fail(ctx, TPL_E_TYPE, "%s() argument 2 must be str, not %s", fn,
                            tpl_type_name(v[1]));
        if (tpl_utf8_count(v[1].u.s->data, v[1].u.s->len) != 1)
            return tpl_fail(ctx, TPL_E_TYPE, "The fill character must be exactly one character long");
        fill = v[1].u.s->data;
        fill_n = v[1].u.s->len;
    }
    return tpl_str_pad(ctx, self, width, fill, fill_n, align, out);
}

static bool m_ljust(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return pad_method(ctx, "ljust", self, a, '<', out);
}
static bool m_rjust(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return pad_method(ctx, "rjust", self, a, '>', out);
}
static bool m_center(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return pad_method(ctx, "center", self, a, '^', out);
}

static bool m_zfill(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[1];
    bool p[1];
    int64_t width;
    if (!bind(ctx, "zfill", args, TPL_NAMES("width"), v, p)) return false;
    if (!p[0]) return tpl_fail(ctx, TPL_E_TYPE, "zfill() takes exactly one argument (0 given)");
    if (!tpl_arg_int(ctx, "zfill", v[0], &width)) return false;
    tpl_value padded;
    if (!tpl_str_pad(ctx, self, width, "0", 1, '>', &padded)) return false;
    /* a sign moves to the front of the zeros */
    size_t added = padded.u.s->len - SELF_N;
    if (added && SELF_N && (SELF_S[0] == '+' || SELF_S[0] == '-')) {
        padded.u.s->data[0] = SELF_S[0];
        padded.u.s->data[added] = '0';
    }
    *out = padded;
    return true;
}

/* ---- case and classification ---- */

static bool no_args(tpl_ctx *ctx, const char *fn, const tpl_args *args) {
    if (args->n_pos || args->n_kw)
        return tpl_fail(ctx, TPL_E_TYPE, "%s() takes no arguments (%zu given)", fn,
                        args->n_pos + args->n_kw);
    return true;
}

#define CASE_METHOD(fn, op)                                                                 \
    static bool m_##fn(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a,           \
                       tpl_value *out) {                                                    \
        return no_args(ctx, #fn, a) && tpl_str_case(ctx, self, op, out);                    \
    }
CASE_METHOD(upper, TPL_CASE_UPPER)
CASE_METHOD(lower, TPL_CASE_LOWER)
CASE_METHOD(title, TPL_CASE_TITLE)
CASE_METHOD(capitalize, TPL_CASE_CAPITALIZE)
CASE_METHOD(swapcase, TPL_CASE_SWAPCASE)
CASE_METHOD(casefold, TPL_CASE_CASEFOLD)

/* isdigit/isalpha/...: every character passes and the string is not empty. */
static bool all_chars(tpl_ctx *ctx, tpl_value self, bool (*pred)(uint32_t), tpl_value *out) {
    if (!tpl_charge_bytes(ctx, SELF_N)) return false;
    bool ok = SELF_N > 0;
    for (size_t i = 0; i < SELF_N && ok;) {
        uint32_t cp;
        i += tpl_utf8_decode(SELF_S + i, SELF_N - i, &cp);
        ok = pred(cp);
    }
    *out = tpl_bool(ok);
    return true;
}

#define CLASS_METHOD(fn, pred)                                                              \
    static bool m_##fn(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a,           \
                       tpl_value *out) {                                                    \
        return no_args(ctx, #fn, a) && all_chars(ctx, self, pred, out);                     \
    }
CLASS_METHOD(isdigit, tpl_uni_digit)
CLASS_METHOD(isdecimal, tpl_uni_decimal)
CLASS_METHOD(isalpha, tpl_uni_alpha)
CLASS_METHOD(isalnum, tpl_uni_alnum)
CLASS_METHOD(isspace, tpl_uni_space)
CLASS_METHOD(isnumeric, tpl_uni_numeric)
CLASS_METHOD(isprintable_nonempty, tpl_uni_printable)

static bool is_ascii(uint32_t cp) { return cp < 0x80; }
CLASS_METHOD(isascii_nonempty, is_ascii)

/* isprintable and isascii are true for the empty string */
static bool m_isprintable(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    if (SELF_N == 0) return no_args(ctx, "isprintable", a) && (*out = tpl_bool(true), true);
    return m_isprintable_nonempty(ctx, d, self, a, out);
}
static bool m_isascii(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    if (SELF_N == 0) return no_args(ctx, "isascii", a) && (*out = tpl_bool(true), true);
    return m_isascii_nonempty(ctx, d, self, a, out);
}

/* istitle: upper/titlecase only after uncased characters, lowercase only after cased */
static bool m_istitle(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    if (!no_args(ctx, "istitle", a) || !tpl_charge_bytes(ctx, SELF_N)) return false;
    bool cased = false, prev_cased = false;
    *out = tpl_bool(false);
    for (size_t i = 0; i < SELF_N;) {
        uint32_t cp;
        i += tpl_utf8_decode(SELF_S + i, SELF_N - i, &cp);
        if (tpl_uni_upper(cp) || tpl_uni_title(cp)) {
            if (prev_cased) return true;
            prev_cased = cased = true;
        } else if (tpl_uni_lower(cp)) {
            if (!prev_cased) return true;
            prev_cased = cased = true;
        } else {
            prev_cased = false;
        }
    }
    *out = tpl_bool(cased);
    return true;
}

/* expandtabs(tabsize=8): tabs to spaces by column; \n and \r restart the column */
static bool m_expandtabs(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[1];
    bool p[1];
    int64_t size = 8;
    if (!bind(ctx, "expandtabs", args, TPL_NAMES("tabsize"), v, p)) return false;
    if (p[0] && !tpl_arg_int(ctx, "expandtabs", v[0], &size)) return false;
    if (!tpl_charge_bytes(ctx, SELF_N)) return false;
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    int64_t col = 0;
    for (size_t i = 0; i < SELF_N;) {
        uint32_t cp;
        size_t n = tpl_utf8_decode(SELF_S + i, SELF_N - i, &cp);
        if (cp == '\t') {
            if (size > 0) {
                int64_t pad = size - col % size;
                if (!tpl_buf_repeat(ctx, &b, " ", 1, (size_t)pad)) return false;
                col += pad;
            }
        } else {
            if (!tpl_buf_put(ctx, &b, SELF_S + i, n)) return false;
            col = cp == '\n' || cp == '\r' ? 0 : col + 1;
        }
        i += n;
    }
    return tpl_buf_to_str(ctx, &b, out);
}

/* isupper/islower: no character of the other case (or titlecase), at least one cased. */
bool tpl_str_is_case(tpl_ctx *ctx, tpl_value self, bool upper, bool *out) {
    if (!tpl_charge_bytes(ctx, SELF_N)) return false;
    bool cased = false;
    for (size_t i = 0; i < SELF_N;) {
        uint32_t cp;
        i += tpl_utf8_decode(SELF_S + i, SELF_N - i, &cp);
        bool is_up = tpl_uni_upper(cp), is_low = tpl_uni_lower(cp);
        bool is_title = tpl_uni_cased(cp) && !is_up && !is_low;
        if ((upper ? is_low : is_up) || is_title) {
            *out = false;
            return true;
        }
        if (upper ? is_up : is_low) cased = true;
    }
    *out = cased;
    return true;
}

static bool m_isupper(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    bool r;
    if (!no_args(ctx, "isupper", a) || !tpl_str_is_case(ctx, self, true, &r)) return false;
    *out = tpl_bool(r);
    return true;
}
static bool m_islower(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    bool r;
    if (!no_args(ctx, "islower", a) || !tpl_str_is_case(ctx, self, false, &r)) return false;
    *out = tpl_bool(r);
    return true;
}

static bool m_format(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return tpl_format_braces(ctx, self, a, out);
}

static bool affix_remove(tpl_ctx *ctx, const char *fn, tpl_value self, const tpl_args *args,
                         bool suffix, tpl_value *out) {
    tpl_value v[1];
    bool p[1];
    if (!bind(ctx, fn, args, TPL_NAMES("affix"), v, p)) return false;
    if (!p[0]) return tpl_fail(ctx, TPL_E_TYPE, "%s() takes exactly one argument (0 given)", fn);
    if (!tpl_arg_str(ctx, fn, v[0])) return false;
    size_t k = v[0].u.s->len;
    *out = self;
    if (k == 0 || k > SELF_N) return true;
    if (memcmp(suffix ? SELF_S + SELF_N - k : SELF_S, v[0].u.s->data, k) != 0) return true;
    return new_str(ctx, suffix ? SELF_S : SELF_S + k, SELF_N - k, out);
}
static bool m_removeprefix(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return affix_remove(ctx, "removeprefix", self, a, false, out);
}
static bool m_removesuffix(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return affix_remove(ctx, "removesuffix", self, a, true, out);
}

const tpl_method_entry tpl_str_edit_methods[] = {
    {"swapcase", "str.swapcase", m_swapcase},
    {"casefold", "str.casefold", m_casefold},
    {"isnumeric", "str.isnumeric", m_isnumeric},
    {"isprintable", "str.isprintable", m_isprintable},
    {"isascii", "str.isascii", m_isascii},
    {"istitle", "str.istitle", m_istitle},
    {"expandtabs", "str.expandtabs", m_expandtabs},
    {"join", "str.join", m_join},
    {"strip", "str.strip", m_strip},
    {"lstrip", "str.lstrip", m_lstrip},
    {"rstrip", "str.rstrip", m_rstrip},
    {"replace", "str.replace", m_replace},
    {"upper", "str.upper", m_upper},
    {"lower", "str.lower", m_lower},
    {"title", "str.title", m_title},
    {"capitalize", "str.capitalize", m_capitalize},
    {"format", "str.format", m_format},
    {"isdigit", "str.isdigit", m_isdigit},
    {"isdecimal", "str.isdecimal", m_isdecimal},
    {"isalpha", "str.isalpha", m_isalpha},
    {"isalnum", "str.isalnum", m_isalnum},
    {"isspace", "str.isspace", m_isspace},
    {"isupper", "str.isupper", m_isupper},
    {"islower", "str.islower", m_islower},
    {"zfill", "str.zfill", m_zfill},
    {"ljust", "str.ljust", m_ljust},
    {"rjust", "str.rjust", m_rjust},
    {"center", "str.center", m_center},
    {"partition", "str.partition", m_partition},
    {"rpartition", "str.rpartition", m_rpartition},
    {"removeprefix", "str.removeprefix", m_removeprefix},
    {"removesuffix", "str.removesuffix", m_removesuffix},
    {NULL, NULL, NULL},
};
