/* printf-style formatting (str % args) as Python's PyUnicode_Format, plus the number
 * rendering helpers it shares with str.format (tpl_format_braces.c). */
#include "template/tpl_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- shared number rendering ---- */

bool tpl_fmt_float_body(tpl_ctx *ctx, tpl_buf *b, double f, char type, int64_t prec, bool alt) {
    f = fabs(f);
    bool upper = type == 'E' || type == 'F' || type == 'G';
    if (f != f) return tpl_buf_puts(ctx, b, upper ? "NAN" : "nan");
    if (isinf(f)) return tpl_buf_puts(ctx, b, upper ? "INF" : "inf");
    if (prec < 0) prec = 6;
    if ((uint64_t)prec > ctx->max_bytes / 2) return tpl_fail(ctx, TPL_E_VALUE, "precision too big");
    /* %f of a huge value prints all its integer digits (at most 309) */
    size_t need = (size_t)prec + 400;
    if (!tpl_charge_bytes(ctx, need)) return false;
    char *tmp = tpl_alloc(ctx, need);
    if (tmp == NULL) return false;
    char fmt[8];
    snprintf(fmt, sizeof fmt, "%%%s.*%c", alt ? "#" : "", type);
    int n = snprintf(tmp, need, fmt, (int)prec, f);
    if (n < 0 || (size_t)n >= need) return tpl_fail(ctx, TPL_E_VALUE, "formatting failed");
    return tpl_buf_put(ctx, b, tmp, (size_t)n);
}

/* Magnitude digits of an int in base 2/8/10/16. */
void tpl_fmt_uint_digits(uint64_t v, int base, bool upper, char *out) {
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[72];
    size_t n = 0;
    do {
        tmp[n++] = digits[v % (unsigned)base];
        v /= (unsigned)base;
    } while (v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

uint64_t tpl_fmt_magnitude(int64_t i) { return i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i; }

/* ---- str % args ---- */

typedef struct pct_state {
    const tpl_value *args;
    size_t n_args, next;
    tpl_value mapping; /* TPL_NONE when args is not a mapping */
    bool single;       /* args was one non-tuple value */
} pct_state;

static bool next_arg(tpl_ctx *ctx, pct_state *st, tpl_value *out) {
    if (st->next >= st->n_args) return tpl_fail(ctx, TPL_E_TYPE, "not enough arguments for format string");
    *out = st->args[st->next++];
    return true;
}

/* Appends `body` (with a sign/prefix) padded to width as printf does. */
static bool pct_pad(tpl_ctx *ctx, tpl_buf *b, const char *prefix, const char *body, size_t body_n,
                    int64_t width, bool left, bool zero) {
    size_t pre_n = strlen(prefix);
    size_t cps = tpl_utf8_count(body, body_n) + pre_n;
    int64_t pad = width > (int64_t)cps ? width - (int64_t)cps : 0;
    if ((uint64_t)pad > ctx->max_bytes) return tpl_fail(ctx, TPL_E_MEMORY, "string too large");
    if (!tpl_charge_bytes(ctx, (size_t)pad)) return false;
    size_t n = (size_t)pad;
    if (!left && !zero && !tpl_buf_repeat(ctx, b, " ", 1, n)) return false;
    if (!tpl_buf_puts(ctx, b, prefix)) return false;
    if (!left && zero && !tpl_buf_repeat(ctx, b, "0", 1, n)) return false;
    if (!tpl_buf_put(ctx, b, body, body_n)) return false;
    return !left || tpl_buf_repeat(ctx, b, " ", 1, n);
}

/* Reads a width or precision: digits or '*' (taken from the arguments). */
static bool pct_number(tpl_ctx *ctx, const char *f, size_t len, size_t *i, pct_state *st,
                       int64_t *out, bool *star_neg) {
    *star_neg = false;
    if (*i < len && f[*i] == '*') {
        (*i)++;
        tpl_value v;
        if (!next_arg(ctx, st, &v)) return false;
        if (!tpl_is_intlike(v)) return tpl_fail(ctx, TPL_E_TYPE, "* wants int");
        int64_t n = tpl_as_int(v);
        if (n < 0) {
            *star_neg = true;
            n = n == INT64_MIN ? INT64_MAX : -n;
        }
        *out = n;
        return true;
    }
    int64_t n = 0;
    bool any = false;
    while (*i < len && f[*i] >= '0' && f[*i] <= '9') {
        if (n > (INT64_MAX - 9) / 10) return tpl_fail(ctx, TPL_E_VALUE, "width too big");
        n = n * 10 + (f[*i] - '0');
        (*i)++;
        any = true;
    }
    *out = any ? n : -1;
    return true;
}

static bool pct_one(tpl_ctx *ctx, tpl_buf *b, const char *f, size_t len, size_t *ip, pct_state *st) {
    size_t i = *ip; /* just after '%' */
    size_t spec_start = i;
    tpl_value arg = {.kind = TPL_NONE};
    bool have_arg = false;
    if (i < len && f[i] == '(') {
        if (st->mapping.kind == TPL_NONE)
            return tpl_fail(ctx, TPL_E_TYPE, "format requires a mapping");
        size_t depth = 1, k = ++i;
        while (k < len && depth) {
            if (f[k] == '(') depth++;
            else if (f[k] == ')') depth--;
            if (depth) k++;
        }
        if (k >= len) return tpl_fail(ctx, TPL_E_VALUE, "incomplete format key");
        tpl_value key;
        if (!tpl_str_new(ctx, f + i, k - i, &key) || !tpl_getitem(ctx, st->mapping, key, &arg))
            return false;
        if (arg.kind == TPL_UNDEFINED) {
            tpl_value r;
            if (!tpl_repr(ctx, key, &r)) return false;
            return tpl_fail(ctx, TPL_E_KEY, "%s", r.u.s->data);
        }
        have_arg = true;
        /* Python then treats the looked-up value as the only argument: a later %s
         * without a key finds none left */
        st->next = st->n_args;
        i = k + 1;
    }
    bool left = false, plus = false, space = false, alt = false, zero = false;
    for (; i < len; i++) {
        char c = f[i];
        if (c == '-') left = true;
        else if (c == '+') plus = true;
        else if (c == ' ') space = true;
        else if (c == '#') alt = true;
        else if (c == '0') zero = true;
        else break;
    }
    int64_t width, prec = -1;
    bool neg;
    if (!pct_number(ctx, f, len, &i, st, &width, &neg)) return false;
    if (neg) left = true;
    if (i < len && f[i] == '.') {
        i++;
        if (!pct_number(ctx, f, len, &i, st, &prec, &neg)) return false;
        if (prec < 0) prec = 0;
        if (neg) prec = 0;
    }
    while (i < len && (f[i] == 'h' || f[i] == 'l' || f[i] == 'L')) i++;
    if (i >= len) return tpl_fail(ctx, TPL_E_VALUE, "incomplete format");
    char type = f[i++];
    *ip = i;
    if (type == '%' && i - 1 == spec_start) return tpl_buf_putc(ctx, b, '%');
    if (!have_arg && !next_arg(ctx, st, &arg)) return false;
    if (type == '%') return tpl_buf_putc(ctx, b, '%');
    if (left) zero = false;
    const char *sign = plus ? "+" : space ? " " : "";
    tpl_buf body = {0};
    if (!tpl_buf_put(ctx, &body, "", 0)) return false;
    switch (type) {
    case 's':
    case 'r':
    case 'a': {
        if (!(type == 's' ? tpl_buf_put_str(ctx, &body, arg) : tpl_buf_put_repr(ctx, &body, arg)))
            return false;
        size_t n = body.len;
        if (prec >= 0) n = tpl_utf8_offset(body.data, body.len, (size_t)prec);
        return pct_pad(ctx, b, "", body.data, n, width, left, false);
    }
    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
        if (!tpl_check_defined(ctx, arg)) return false;
        int64_t v;
        if (tpl_is_intlike(arg)) {
            v = tpl_as_int(arg);
        } else if (arg.kind == TPL_FLOAT && (type == 'd' || type == 'i' || type == 'u')) {
            double t = trunc(arg.u.f);
            if (t != t || isinf(t))
                return tpl_fail(ctx, t != t ? TPL_E_VALUE : TPL_E_OVERFLOW,
                                t != t ? "cannot convert float NaN to integer"
                                       : "cannot convert float infinity to integer");
            if (!(t >= -9223372036854775808.0 && t < 9223372036854775808.0))
                return tpl_fail(ctx, TPL_E_OVERFLOW, "integer overflow");
            v = (int64_t)t;
        } else if (type == 'd' || type == 'i' || type == 'u') {
            return tpl_fail(ctx, TPL_E_TYPE, "%%%c format: a real number is required, not %s", type,
                            tpl_type_name(arg));
        } else {
            return tpl_fail(ctx, TPL_E_TYPE, "%%%c format: an integer is required, not %s", type,
                            tpl_type_name(arg));
        }
        int base = type == 'o' ? 8 : (type == 'x' || type == 'X') ? 16 : 10;
        char digits[72];
        tpl_fmt_uint_digits(tpl_fmt_magnitude(v), base, type == 'X', digits);
        char prefix[8];
        snprintf(prefix, sizeof prefix, "%s%s", v < 0 ? "-" : sign,
                 !alt || base == 10 ? "" : base == 8 ? "0o" : type == 'X' ? "0X" : "0x");
        /* precision: minimum digit count */
        size_t nd = strlen(digits);
        if (prec > (int64_t)nd) {
            if ((uint64_t)prec > ctx->max_bytes) return tpl_fail(ctx, TPL_E_MEMORY, "string too large");
            if (!tpl_buf_repeat(ctx, &body, "0", 1, (size_t)(prec - (int64_t)nd))) return false;
        }
        if (!tpl_buf_puts(ctx, &body, digits)) return false;
        return pct_pad(ctx, b, prefix, body.data, body.len, width, left, zero);
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
        if (!tpl_check_defined(ctx, arg)) return false;
        if (!tpl_is_number(arg))
            return tpl_fail(ctx, TPL_E_TYPE, "must be real number, not %s", tpl_type_name(arg));
        double v = tpl_as_float(arg);
        if (!tpl_fmt_float_body(ctx, &body, v, type, prec, alt)) return false;
        const char *s = v != v ? sign : signbit(v) ? "-" : sign;
        return pct_pad(ctx, b, s, body.data, body.len, width, left, zero);
    }
    case 'c': {
        if (!tpl_check_defined(ctx, arg)) return false;
        char enc[4];
        size_t n;
        if (arg.kind == TPL_STR) {
            if (tpl_utf8_count(arg.u.s->data, arg.u.s->len) != 1)
                return tpl_fail(ctx, TPL_E_TYPE, "%%c requires int or char");
            return pct_pad(ctx, b, "", arg.u.s->data, arg.u.s->len, width, left, false);
        }
        if (!tpl_is_intlike(arg)) return tpl_fail(ctx, TPL_E_TYPE, "%%c requires int or char");
        int64_t cp = tpl_as_int(arg);
        if (cp < 0 || cp > 0x10FFFF)
            return tpl_fail(ctx, TPL_E_OVERFLOW, "%%c arg not in range(0x110000)");
        n = tpl_utf8_encode((uint32_t)cp, enc);
        return pct_pad(ctx, b, "", enc, n, width, left, false);
    }
    default: {
        char shown[8];
        unsigned code = (unsigned char)type;
        if (code >= 0x20 && code < 0x7f)
            snprintf(shown, sizeof shown, "%c", type);
        else
            snprintf(shown, sizeof shown, "\\x%02x", code);
        return tpl_fail(ctx, TPL_E_VALUE, "unsupported format character '%s' (0x%x) at index %zu",
                        shown, code, tpl_utf8_count(f, i - 1));
    }
    }
}

bool tpl_format_percent(tpl_ctx *ctx, tpl_value fmt, tpl_value args, tpl_value *out) {
    if (!tpl_check_defined(ctx, fmt) || !tpl_check_defined(ctx, args)) return false;
    if (fmt.kind != TPL_STR) return tpl_fail(ctx, TPL_E_TYPE, "format must be a str");
    pct_state st = {.mapping = {.kind = TPL_NONE}};
    if (args.kind == TPL_TUPLE) {
        st.args = args.u.list->items;
        st.n_args = args.u.list->n;
    } else {
        st.args = &args;
        st.n_args = 1;
        st.single = true;
        /* Python treats any non-tuple, non-str object with __getitem__ as the mapping */
        if (args.kind == TPL_DICT || args.kind == TPL_LIST) st.mapping = args;
    }
    const char *f = fmt.u.s->data;
    size_t len = fmt.u.s->len;
    if (!tpl_charge_bytes(ctx, len)) return false;
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    size_t i = 0;
    while (i < len) {
        const char *pct = memchr(f + i, '%', len - i);
        size_t lit_end = pct ? (size_t)(pct - f) : len;
        if (!tpl_buf_put(ctx, &b, f + i, lit_end - i)) return false;
        if (!pct) break;
        i = lit_end + 1;
        if (!tpl_step(ctx) || !pct_one(ctx, &b, f, len, &i, &st)) return false;
    }
    /* A mapping argument need not be consumed. */
    if (st.next < st.n_args && st.mapping.kind == TPL_NONE)
        return tpl_fail(ctx, TPL_E_TYPE, "not all arguments converted during string formatting");
    return tpl_buf_to_str(ctx, &b, out);
}
