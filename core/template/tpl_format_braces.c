/* str.format as Jinja's SandboxedFormatter runs it: fields {0} {} {name} {0.attr}
 * {0[key]}, conversions !r !s !a, nested fields in the spec, and Python's format-spec
 * mini-language for str, int and float. Attribute/item access goes through the sandbox
 * (tpl_getattr / tpl_getitem), so '_' names stay blocked. */
#include "template/tpl_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct spec {
    char fill[5]; /* UTF-8 of one code point */
    size_t fill_n;
    char align; /* 0 < > = ^ */
    char sign;  /* 0 + - ' ' */
    bool z, alt;
    int64_t width; /* -1: none */
    char grouping; /* 0 , _ */
    int64_t precision;
    char type; /* 0: none */
} spec;

static bool is_align(char c) { return c == '<' || c == '>' || c == '=' || c == '^'; }

static bool parse_digits(tpl_ctx *ctx, const char *s, size_t len, size_t *i, int64_t *out) {
    int64_t n = 0;
    size_t start = *i;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        if (n > (INT64_MAX - 9) / 10) return tpl_fail(ctx, TPL_E_VALUE, "Too many decimal digits in format string");
        n = n * 10 + (s[*i] - '0');
        (*i)++;
    }
    *out = *i > start ? n : -1;
    return true;
}

/* default_type: the type Python validates grouping against when none is given
 * ('s' for str, 'd' for int, none for float). */
static bool parse_spec(tpl_ctx *ctx, const char *s, size_t len, const char *type_name, char default_type,
                       spec *sp) {
    memset(sp, 0, sizeof *sp);
    sp->width = sp->precision = -1;
    size_t i = 0;
    if (len > 0) {
        uint32_t cp;
        size_t n = tpl_utf8_decode(s, len, &cp);
        if (n < len && is_align(s[n])) {
            memcpy(sp->fill, s, n);
            sp->fill_n = n;
            sp->align = s[n];
            i = n + 1;
        } else if (is_align(s[0])) {
            sp->align = s[0];
            i = 1;
        }
    }
    if (i < len && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) sp->sign = s[i++];
    if (i < len && s[i] == 'z') sp->z = true, i++;
    if (i < len && s[i] == '#') sp->alt = true, i++;
    if (i < len && s[i] == '0') {
        if (sp->fill_n == 0) {
            sp->fill[0] = '0';
            sp->fill_n = 1;
            /* numbers pad zeros after the sign; strings just fill (default '<') */
            if (sp->align == 0 && default_type != 's') sp->align = '=';
        }
        i++;
    }
    if (!parse_digits(ctx, s, len, &i, &sp->width)) return false;
    if (i < len && (s[i] == ',' || s[i] == '_')) {
        sp->grouping = s[i++];
        if (i < len && (s[i] == ',' || s[i] == '_'))
            return tpl_fail(ctx, TPL_E_VALUE, "Cannot specify both ',' and '_'.");
    }
    if (i < len && s[i] == '.') {
        i++;
        if (!parse_digits(ctx, s, len, &i, &sp->precision)) return false;
        if (sp->precision < 0) return tpl_fail(ctx, TPL_E_VALUE, "Format specifier missing precision");
    }
    if (len - i > 1 || (len - i == 1 && (unsigned char)s[i] >= 0x80)) {
        tpl_buf b = {0};
        if (!tpl_buf_put(ctx, &b, s, len)) return false;
        return tpl_fail(ctx, TPL_E_VALUE, "Invalid format specifier '%s' for object of type '%s'",
                        b.data, type_name);
    }
    if (i < len) sp->type = s[i];
    if (sp->grouping) {
        /* PEP 378/515: ',' with decimal and float types; '_' also with b o x X */
        char t = sp->type ? sp->type : default_type;
        bool ok = t == 0 || strchr("defgEG%F", t) || (sp->grouping == '_' && strchr("boxX", t));
        if (!ok) return tpl_fail(ctx, TPL_E_VALUE, "Cannot specify '%c' with '%c'.", sp->grouping, t);
    }
    if (sp->fill_n == 0) {
        sp->fill[0] = ' ';
        sp->fill_n = 1;
    }
    if ((uint64_t)(sp->width < 0 ? 0 : sp->width) > ctx->max_bytes)
        return tpl_fail(ctx, TPL_E_MEMORY, "string too large");
    return true;
}

static bool put_fill(tpl_ctx *ctx, tpl_buf *b, const spec *sp, int64_t n) {
    if (n <= 0) return true;
    return tpl_charge_bytes(ctx, (size_t)n * sp->fill_n) && tpl_buf_repeat(ctx, b, sp->fill, sp->fill_n, (size_t)n);
}

/* Lays out prefix (sign, 0x) + body in width with the fill and alignment. */
static bool layout(tpl_ctx *ctx, tpl_buf *b, const spec *sp, const char *prefix,
                   const char *body, size_t body_n, char default_align) {
    size_t pre_n = strlen(prefix);
    int64_t cps = (int64_t)(pre_n + tpl_utf8_count(body, body_n));
    int64_t pad = sp->width > cps ? sp->width - cps : 0;
    char align = sp->align ? sp->align : default_align;
    int64_t left = align == '>' ? pad : align == '^' ? pad / 2 : 0;
    if (align == '=') {
        return tpl_buf_puts(ctx, b, prefix) && put_fill(ctx, b, sp, pad) &&
               tpl_buf_put(ctx, b, body, body_n);
    }
    return put_fill(ctx, b, sp, left) && tpl_buf_puts(ctx, b, prefix) &&
           tpl_buf_put(ctx, b, body, body_n) && put_fill(ctx, b, sp, pad - left);
}

/* Inserts separators every `every` digits into the leading digit run of `s`. */
static bool group_digits(tpl_ctx *ctx, tpl_buf *out, const char *s, size_t n, char sep, int every) {
    size_t nd = 0;
    while (nd < n && ((s[nd] >= '0' && s[nd] <= '9') || (every == 4 && s[nd] >= 'a' && s[nd] <= 'f') ||
                      (every == 4 && s[nd] >= 'A' && s[nd] <= 'F')))
        nd++;
    for (size_t i = 0; i < nd; i++) {
        if (i && (nd - i) % (size_t)every == 0 && !tpl_buf_putc(ctx, out, sep)) return false;
        if (!tpl_buf_putc(ctx, out, s[i])) return false;
    }
    return tpl_buf_put(ctx, out, s + nd, n - nd);
}

/* Number layout with grouping: zero padding ('0' fill with '=') also gets separators. */
static bool layout_number(tpl_ctx *ctx, tpl_buf *b, const spec *sp, const char *prefix,
                          const char *digits, size_t n, int every) {
    tpl_buf body = {0};
    if (!tpl_buf_put(ctx, &body, "", 0)) return false;
    if (!sp->grouping) return layout(ctx, b, sp, prefix, digits, n, '>');
    if (!group_digits(ctx, &body, digits, n, sp->grouping, every)) return false;
    char align = sp->align ? sp->align : '>';
    if (align == '=' && sp->fill_n == 1 && sp->fill[0] == '0') {
        /* The fewest digits whose grouped text fills the width: d digits group to
         * d + (d - 1) / every characters (found by arithmetic, then built once, so a
         * huge width costs linear, not quadratic, time). */
        size_t nd = 0;
        while (nd < n && digits[nd] != '.' && digits[nd] != 'e' && digits[nd] != 'E') nd++;
        const int64_t need = sp->width - (int64_t)strlen(prefix) - (int64_t)(body.len - (nd + (nd ? (nd - 1) / (size_t)every : 0)));
        size_t d = nd;
        while ((int64_t)(d + (d ? (d - 1) / (size_t)every : 0)) < need) d++;
        if (d > nd) {
            tpl_buf digs = {0};
            for (size_t i = nd; i < d; i++)
                if (!tpl_buf_putc(ctx, &digs, '0')) return false;
            if (!tpl_buf_put(ctx, &digs, digits, n)) return false;
            body.len = 0;
            if (!group_digits(ctx, &body, digs.data, digs.len, sp->grouping, every)) return false;
        }
    }
    return layout(ctx, b, sp, prefix, body.data, body.len, '>');
}

static const char *sign_for(const spec *sp, bool negative) {
    if (negative) return "-";
    return sp->sign == '+' ? "+" : sp->sign == ' ' ? " " : "";
}

static bool format_float(tpl_ctx *ctx, tpl_buf *b, double f, const spec *sp, const char *tname) {
    char type = sp->type;
    if (!strchr("eEfFgGn%", type) && type != 0)
        return tpl_fail(ctx, TPL_E_VALUE, "Unknown format code '%c' for object of type '%s'", type, tname);
    tpl_buf body = {0};
    if (!tpl_buf_put(ctx, &body, "", 0)) return false;
    double v = type == '%' ? f * 100.0 : f;
    bool finite = !isnan(v) && !isinf(v);
    if (type == 0 && sp->precision < 0) {
        char rep[64];
        tpl_float_repr(fabs(v), rep, sizeof rep);
        char *ep = strchr(rep, 'e');
        if (sp->alt && ep && !memchr(rep, '.', (size_t)(ep - rep))) {
            /* '#': the exponent form keeps a decimal point ("1.e+16") */
            if (!tpl_buf_put(ctx, &body, rep, (size_t)(ep - rep)) || !tpl_buf_putc(ctx, &body, '.') ||
                !tpl_buf_puts(ctx, &body, ep))
                return false;
        } else if (!tpl_buf_puts(ctx, &body, rep)) {
            return false;
        }
    } else {
        char ct = type == 0 || type == 'n' ? 'g' : type == '%' ? 'f' : type;
        int64_t prec = sp->precision;
        if ((ct == 'g' || ct == 'G') && prec == 0) prec = 1;
        if (type == 0 && finite && prec >= 1) {
            /* no type, a precision: like 'g' but switching to an exponent one digit earlier
             * (Python's Py_DTSF_ADD_DOT_0 rule: exponent when decpt > precision - 1) */
            tpl_buf e = {0};
            if (!tpl_fmt_float_body(ctx, &e, v, 'e', prec - 1, sp->alt)) return false;
            const char *ep = strchr(e.data, 'e');
            long x = ep ? strtol(ep + 1, NULL, 10) : 0;
            if (x == prec - 1 && x >= 0) {
                size_t mant = (size_t)(ep - e.data), keep = mant;
                if (!sp->alt && memchr(e.data, '.', mant)) {
                    while (keep > 0 && e.data[keep - 1] == '0') keep--;
                    if (keep > 0 && e.data[keep - 1] == '.') keep--;
                }
                if (!tpl_buf_put(ctx, &body, e.data, keep) || !tpl_buf_puts(ctx, &body, ep)) return false;
                ct = 0;
            }
        }
        if (ct && !tpl_fmt_float_body(ctx, &body, v, ct, prec, sp->alt)) return false;
        if (type == 0 && finite && !strpbrk(body.data, ".e") && !tpl_buf_puts(ctx, &body, ".0"))
            return false;
    }
    if (type == '%' && !tpl_buf_putc(ctx, &body, '%')) return false;
    bool negative = signbit(v) && !isnan(v);
    if (negative && sp->z) {
        /* z: a value that rounds to zero prints without its minus sign */
        bool nonzero = false;
        for (size_t i = 0; i < body.len && body.data[i] != 'e' && body.data[i] != 'E'; i++)
            if (body.data[i] >= '1' && body.data[i] <= '9') nonzero = true;
        if (!nonzero) negative = false;
    }
    return layout_number(ctx, b, sp, sign_for(sp, negative), body.data, body.len, 3);
}

static bool format_int(tpl_ctx *ctx, tpl_buf *b, int64_t v, const spec *sp, const char *tname) {
    char type = sp->type;
    if (type && strchr("eEfFgG%", type)) return format_float(ctx, b, (double)v, sp, tname);
    if (type && !strchr("bcdoxXn", type))
        return tpl_fail(ctx, TPL_E_VALUE, "Unknown format code '%c' for object of type '%s'", type, tname);
    if (sp->precision >= 0)
        return tpl_fail(ctx, TPL_E_VALUE, "Precision not allowed in integer format specifier");
    if (type == 'c') {
        if (sp->sign) return tpl_fail(ctx, TPL_E_VALUE, "Sign not allowed with integer format specifier 'c'");
        if (sp->alt)
            return tpl_fail(ctx, TPL_E_VALUE, "Alternate form (#) not allowed with integer format specifier 'c'");
        if (v < 0 || v > 0x10FFFF) return tpl_fail(ctx, TPL_E_OVERFLOW, "%%c arg not in range(0x110000)");
        char enc[4];
        return layout(ctx, b, sp, "", enc, tpl_utf8_encode((uint32_t)v, enc), '>');
    }
    int base = type == 'b' ? 2 : type == 'o' ? 8 : (type == 'x' || type == 'X') ? 16 : 10;
    char digits[72], prefix[8];
    tpl_fmt_uint_digits(tpl_fmt_magnitude(v), base, type == 'X', digits);
    snprintf(prefix, sizeof prefix, "%s%s", sign_for(sp, v < 0),
             !sp->alt || base == 10 ? "" : base == 2 ? "0b" : base == 8 ? "0o" : type == 'X' ? "0X" : "0x");
    return layout_number(ctx, b, sp, prefix, digits, strlen(digits), base == 10 ? 3 : 4);
}

static bool format_str(tpl_ctx *ctx, tpl_buf *b, tpl_value s, const spec *sp) {
    if (sp->type && sp->type != 's')
        return tpl_fail(ctx, TPL_E_VALUE, "Unknown format code '%c' for object of type 'str'", sp->type);
    if (sp->sign) return tpl_fail(ctx, TPL_E_VALUE, "Sign not allowed in string format specifier");
    if (sp->alt) return tpl_fail(ctx, TPL_E_VALUE, "Alternate form (#) not allowed in string format specifier");
    if (sp->align == '=')
        return tpl_fail(ctx, TPL_E_VALUE, "'=' alignment not allowed in string format specifier");
    size_t n = s.u.s->len;
    if (sp->precision >= 0) n = tpl_utf8_offset(s.u.s->data, n, (size_t)sp->precision);
    return layout(ctx, b, sp, "", s.u.s->data, n, '<');
}

/* format(value, spec) */
static bool format_value(tpl_ctx *ctx, tpl_buf *b, tpl_value v, const char *sp_s, size_t sp_n) {
    if (!tpl_check_defined(ctx, v)) return false;
    const char *tname = tpl_type_name(v);
    if (sp_n == 0) return tpl_buf_put_str(ctx, b, v);
    spec sp;
    switch (v.kind) {
    case TPL_STR: return parse_spec(ctx, sp_s, sp_n, tname, 's', &sp) && format_str(ctx, b, v, &sp);
    case TPL_BOOL:
    case TPL_INT:
        return parse_spec(ctx, sp_s, sp_n, tname, 'd', &sp) && format_int(ctx, b, tpl_as_int(v), &sp, tname);
    case TPL_FLOAT:
        return parse_spec(ctx, sp_s, sp_n, tname, 0, &sp) && format_float(ctx, b, v.u.f, &sp, tname);
    default:
        return tpl_fail(ctx, TPL_E_TYPE, "unsupported format string passed to %s.__format__", tname);
    }
}

typedef struct fmt_state {
    const tpl_args *args;
    int auto_index; /* -1: manual numbering used */
    bool used_auto;
} fmt_state;

static bool render(tpl_ctx *ctx, tpl_buf *b, const char *f, size_t len, fmt_state *st, int depth);

/* Resolves a field name: arg_name ('.' attr | '[' key ']')* */
static bool get_field(tpl_ctx *ctx, const char *s, size_t n, fmt_state *st, tpl_value *out) {
    size_t i = 0;
    while (i < n && s[i] != '.' && s[i] != '[') i++;
    const tpl_args *a = st->args;
    bool numeric = i > 0;
    for (size_t k = 0; k < i; k++)
        if (s[k] < '0' || s[k] > '9') numeric = false;
    if (i == 0 || numeric) {
        int64_t idx = 0;
        if (i == 0) {
            if (st->auto_index < 0)
                return tpl_fail(ctx, TPL_E_VALUE,
                                "cannot switch from manual field specification to automatic field numbering");
            idx = st->auto_index++;
            st->used_auto = true;
        } else {
            if (st->used_auto)
                return tpl_fail(ctx, TPL_E_VALUE,
                                "cannot switch from automatic field numbering to manual field specification");
            st->auto_index = -1;
            for (size_t k = 0; k < i; k++) {
                if (idx > (INT64_MAX - 9) / 10) return tpl_fail(ctx, TPL_E_VALUE, "Too many decimal digits in format string");
                idx = idx * 10 + (s[k] - '0');
            }
        }
        /* Jinja formats through string.Formatter, whose args[idx] raises this */
        if ((uint64_t)idx >= a->n_pos) return tpl_fail(ctx, TPL_E_INDEX, "tuple index out of range");
        *out = a->pos[idx];
    } else {
        size_t k = 0;
        while (k < a->n_kw && (strlen(a->kw_names[k]) != i || memcmp(a->kw_names[k], s, i) != 0)) k++;
        if (k == a->n_kw) {
            tpl_value name, r;
            if (!tpl_str_new(ctx, s, i, &name) || !tpl_repr(ctx, name, &r)) return false;
            return tpl_fail(ctx, TPL_E_KEY, "%s", r.u.s->data);
        }
        *out = a->kw[k];
    }
    while (i < n) {
        if (!tpl_step(ctx)) return false;
        if (s[i] == '.') {
            size_t st_ = ++i;
            while (i < n && s[i] != '.' && s[i] != '[') i++;
            if (i == st_) return tpl_fail(ctx, TPL_E_VALUE, "Empty attribute in format string");
            tpl_value name;
            if (!tpl_str_new(ctx, s + st_, i - st_, &name) || !tpl_getattr(ctx, *out, name.u.s->data, out))
                return false;
        } else if (s[i] == '[') {
            size_t st_ = ++i;
            while (i < n && s[i] != ']') i++;
            if (i >= n) return tpl_fail(ctx, TPL_E_VALUE, "Missing ']' in format string");
            if (i == st_) return tpl_fail(ctx, TPL_E_VALUE, "Empty attribute in format string");
            bool digits = true;
            int64_t idx = 0;
            for (size_t k = st_; k < i; k++) {
                if (s[k] < '0' || s[k] > '9' || idx > (INT64_MAX - 9) / 10) digits = false;
                else idx = idx * 10 + (s[k] - '0');
            }
            tpl_value key;
            if (digits)
                key = tpl_int(idx);
            else if (!tpl_str_new(ctx, s + st_, i - st_, &key))
                return false;
            if (!tpl_getitem(ctx, *out, key, out)) return false;
            i++;
            if (i < n && s[i] != '.' && s[i] != '[')
                return tpl_fail(ctx, TPL_E_VALUE, "Only '.' or '[' may follow ']' in format field specifier");
        } else {
            return tpl_fail(ctx, TPL_E_VALUE, "Only '.' or '[' may follow ']' in format field specifier");
        }
    }
    return true;
}

/* One replacement field: the text between '{' and its matching '}'. */
static bool field(tpl_ctx *ctx, tpl_buf *b, const char *s, size_t n, fmt_state *st, int depth) {
    size_t i = 0;
    while (i < n && s[i] != '!' && s[i] != ':') {
        if (s[i] == '{') return tpl_fail(ctx, TPL_E_VALUE, "unexpected '{' in field name");
        if (s[i] == '[') {
            while (i < n && s[i] != ']') i++;
            if (i < n) i++;
            continue;
        }
        i++;
    }
    size_t name_n = i;
    char conv = 0;
    if (i < n && s[i] == '!') {
        if (i + 1 >= n) return tpl_fail(ctx, TPL_E_VALUE, "end of string while looking for conversion specifier");
        conv = s[i + 1];
        i += 2;
        if (i < n && s[i] != ':') return tpl_fail(ctx, TPL_E_VALUE, "expected ':' after conversion specifier");
    }
    tpl_value v;
    if (!get_field(ctx, s, name_n, st, &v)) return false;
    if (conv) {
        tpl_value c;
        if (conv == 's') {
            if (!tpl_to_str(ctx, v, &c)) return false;
        } else if (conv == 'r' || conv == 'a') {
            if (!tpl_check_defined(ctx, v) || !tpl_repr(ctx, v, &c)) return false;
        } else {
            return tpl_fail(ctx, TPL_E_VALUE, "Unknown conversion specifier %c", conv);
        }
        v = c;
    }
    tpl_buf spec_buf = {0};
    if (!tpl_buf_put(ctx, &spec_buf, "", 0)) return false;
    if (i < n && s[i] == ':') {
        i++;
        /* the spec may hold nested fields: expand them first */
        if (!render(ctx, &spec_buf, s + i, n - i, st, depth + 1)) return false;
    }
    return format_value(ctx, b, v, spec_buf.data, spec_buf.len);
}

static bool render(tpl_ctx *ctx, tpl_buf *b, const char *f, size_t len, fmt_state *st, int depth) {
    if (depth > 1) return tpl_fail(ctx, TPL_E_VALUE, "Max string recursion exceeded");
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && f[j] != '{' && f[j] != '}') j++;
        if (!tpl_buf_put(ctx, b, f + i, j - i)) return false;
        if (j >= len) break;
        if (f[j] == '}') {
            if (j + 1 < len && f[j + 1] == '}') {
                if (!tpl_buf_putc(ctx, b, '}')) return false;
                i = j + 2;
                continue;
            }
            return tpl_fail(ctx, TPL_E_VALUE, "Single '}' encountered in format string");
        }
        if (j + 1 < len && f[j + 1] == '{') {
            if (!tpl_buf_putc(ctx, b, '{')) return false;
            i = j + 2;
            continue;
        }
        /* find the matching '}' */
        size_t k = j + 1, nest = 1;
        while (k < len) {
            if (f[k] == '{') nest++;
            else if (f[k] == '}' && --nest == 0) break;
            k++;
        }
        if (k >= len) {
            if (j + 1 >= len) return tpl_fail(ctx, TPL_E_VALUE, "Single '{' encountered in format string");
            return tpl_fail(ctx, TPL_E_VALUE, "expected '}' before end of string");
        }
        if (!tpl_step(ctx) || !field(ctx, b, f + j + 1, k - j - 1, st, depth)) return false;
        i = k + 1;
    }
    return true;
}

bool tpl_format_braces(tpl_ctx *ctx, tpl_value fmt, const tpl_args *args, tpl_value *out) {
    if (!tpl_check_defined(ctx, fmt)) return false;
    if (fmt.kind != TPL_STR) return tpl_fail(ctx, TPL_E_TYPE, "format must be a str");
    fmt_state st = {.args = args};
    tpl_buf b = {0};
    if (!tpl_charge_bytes(ctx, fmt.u.s->len) || !tpl_buf_put(ctx, &b, "", 0) ||
        !render(ctx, &b, fmt.u.s->data, fmt.u.s->len, &st, 0))
        return false;
    return tpl_buf_to_str(ctx, &b, out);
}
