/* str() and repr() exactly as Python prints them: float shortest round-trip, str repr
 * quoting and escapes, containers ([...] for self-reference), Jinja's object reprs. */
#include "template/tpl_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds `delta` (+1/-1) to the last mantissa digit of "d.ddde±XX" text, with carry; false
 * when that would change the digit count or the sign. */
static bool bump_last_digit(char *s, int delta) {
    char *e = strchr(s, 'e');
    if (e == NULL) return false;
    char *p = e - 1;
    for (;;) {
        if (*p == '.') {
            p--;
            continue;
        }
        if (*p < '0' || *p > '9') return false;
        int d = *p - '0' + delta;
        if (d >= 0 && d <= 9) {
            *p = (char)('0' + d);
            break;
        }
        *p = delta > 0 ? '0' : '9';
        if (p == s || (p == s + 1 && s[0] == '-')) return false;
        p--;
    }
    char *first = s[0] == '-' ? s + 1 : s;
    return *first != '0';
}

/* Shortest decimal digits that read back as f: digits (no dot) and decimal exponent
 * such that f = 0.DIGITS * 10^decpt, as Python's dtoa mode 0. */
static void shortest_digits(double f, char *digits, int *decpt) {
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, f);
        bool ok = strtod(buf, NULL) == f;
        if (!ok && prec < 17) {
            /* Near powers of two the nearest p-digit decimal can miss the round-trip
             * interval while its neighbour on the wide side hits it. */
            char alt[40];
            for (int delta = -1; delta <= 1 && !ok; delta += 2) {
                memcpy(alt, buf, sizeof alt);
                if (bump_last_digit(alt, delta) && strtod(alt, NULL) == f) {
                    memcpy(buf, alt, sizeof buf);
                    ok = true;
                }
            }
        }
        if (ok || prec == 17) break;
    }
    /* buf: [-]D[.DDD]e±XX */
    const char *p = buf[0] == '-' ? buf + 1 : buf;
    size_t n = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[n++] = *p;
    while (n > 1 && digits[n - 1] == '0') n--;
    digits[n] = '\0';
    *decpt = atoi(p + 1) + 1;
}

void tpl_float_repr(double f, char *buf, size_t size) {
    if (size == 0) return;
    if (f != f) {
        snprintf(buf, size, "nan");
        return;
    }
    if (isinf(f)) {
        snprintf(buf, size, f > 0 ? "inf" : "-inf");
        return;
    }
    if (f == 0) {
        snprintf(buf, size, signbit(f) ? "-0.0" : "0.0");
        return;
    }
    char digits[24];
    int decpt;
    shortest_digits(f, digits, &decpt);
    int nd = (int)strlen(digits);
    char out[64];
    size_t o = 0;
    if (f < 0) out[o++] = '-';
    if (decpt > 16 || decpt < -3) {
        /* d.ddde±XX, at least two exponent digits */
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int i = 1; i < nd; i++) out[o++] = digits[i];
        }
        int exp = decpt - 1;
        snprintf(out + o, sizeof out - o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else if (decpt <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -decpt; i++) out[o++] = '0';
        for (int i = 0; i < nd; i++) out[o++] = digits[i];
        out[o] = '\0';
    } else {
        for (int i = 0; i < decpt; i++) out[o++] = i < nd ? digits[i] : '0';
        out[o++] = '.';
        if (nd > decpt)
            for (int i = decpt; i < nd; i++) out[o++] = digits[i];
        else
            out[o++] = '0';
        out[o] = '\0';
    }
    snprintf(buf, size, "%s", out);
}

bool tpl_buf_put_str_repr(tpl_ctx *ctx, tpl_buf *b, const char *s, size_t len) {
    if (!tpl_charge_bytes(ctx, len)) return false;
    bool has_single = memchr(s, '\'', len) != NULL;
    bool has_double = memchr(s, '"', len) != NULL;
    char quote = has_single && !has_double ? '"' : '\'';
    if (!tpl_buf_putc(ctx, b, quote)) return false;
    size_t run = 0; /* start of the pending run of bytes copied verbatim */
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = tpl_utf8_decode(s + i, len - i, &cp);
        bool invalid = n == 1 && (unsigned char)s[i] >= 0x80;
        char esc[16];
        esc[0] = '\0';
        if (invalid)
            snprintf(esc, sizeof esc, "\\x%02x", (unsigned char)s[i]);
        else if (cp == (uint32_t)quote || cp == '\\')
            snprintf(esc, sizeof esc, "\\%c", (char)cp);
        else if (cp == '\t')
            snprintf(esc, sizeof esc, "\\t");
        else if (cp == '\n')
            snprintf(esc, sizeof esc, "\\n");
        else if (cp == '\r')
            snprintf(esc, sizeof esc, "\\r");
        else if (cp < 0x20 || cp == 0x7f)
            snprintf(esc, sizeof esc, "\\x%02x", cp);
        else if (cp >= 0x80 && !tpl_uni_printable(cp)) {
            if (cp <= 0xff)
                snprintf(esc, sizeof esc, "\\x%02x", cp);
            else if (cp <= 0xffff)
                snprintf(esc, sizeof esc, "\\u%04x", cp);
            else
                snprintf(esc, sizeof esc, "\\U%08x", cp);
        }
        if (esc[0]) {
            if (!tpl_buf_put(ctx, b, s + run, i - run) || !tpl_buf_puts(ctx, b, esc))
                return false;
            run = i + n;
        }
        i += n;
    }
    return tpl_buf_put(ctx, b, s + run, len - run) && tpl_buf_putc(ctx, b, quote);
}

/* Containers being printed, for Python's "[...]" on self-reference. */
typedef struct repr_guard {
    const void *obj;
    const struct repr_guard *outer;
} repr_guard;

static bool put_repr(tpl_ctx *ctx, tpl_buf *b, tpl_value v, const repr_guard *g);

static bool in_progress(const repr_guard *g, const void *obj) {
    for (; g; g = g->outer)
        if (g->obj == obj) return true;
    return false;
}

static bool put_seq(tpl_ctx *ctx, tpl_buf *b, tpl_value v, const repr_guard *g) {
    const tpl_list *l = v.u.list;
    bool tuple = v.kind == TPL_TUPLE;
    if (in_progress(g, l)) return tpl_buf_puts(ctx, b, tuple ? "(...)" : "[...]");
    repr_guard here = {l, g};
    if (!tpl_buf_putc(ctx, b, tuple ? '(' : '[')) return false;
    for (size_t i = 0; i < l->n; i++) {
        if (i && !tpl_buf_puts(ctx, b, ", ")) return false;
        if (!put_repr(ctx, b, l->items[i], &here)) return false;
    }
    if (tuple && l->n == 1 && !tpl_buf_putc(ctx, b, ',')) return false;
    return tpl_buf_putc(ctx, b, tuple ? ')' : ']');
}

static bool put_dict(tpl_ctx *ctx, tpl_buf *b, const tpl_dict *d, const repr_guard *g) {
    if (in_progress(g, d)) return tpl_buf_puts(ctx, b, "{...}");
    repr_guard here = {d, g};
    if (!tpl_buf_putc(ctx, b, '{')) return false;
    for (size_t i = 0; i < d->n; i++) {
        if (i && !tpl_buf_puts(ctx, b, ", ")) return false;
        if (!put_repr(ctx, b, d->keys[i], &here) || !tpl_buf_puts(ctx, b, ": ") ||
            !put_repr(ctx, b, d->vals[i], &here))
            return false;
    }
    return tpl_buf_putc(ctx, b, '}');
}

static bool put_callable(tpl_ctx *ctx, tpl_buf *b, const tpl_callable *fn) {
    const char *name = fn->name ? fn->name : "function";
    if (fn->is_macro) {
        /* fn->name is "macro 'h1'" or the bare name */
        const char *q = strchr(name, '\'');
        if (q) return tpl_buf_printf(ctx, b, "<Macro %s>", q);
        return tpl_buf_puts(ctx, b, "<Macro ") && tpl_buf_put_str_repr(ctx, b, name, strlen(name)) &&
               tpl_buf_putc(ctx, b, '>');
    }
    /* Python prints an address here; ours is stable so outputs stay comparable. */
    const char *dot = strchr(name, '.');
    if (dot && fn->self.kind != TPL_NONE)
        return tpl_buf_printf(ctx, b, "<built-in method %s of %s object>", dot + 1,
                              tpl_type_name(fn->self));
    return tpl_buf_printf(ctx, b, "<function %s>", name);
}

static bool put_object(tpl_ctx *ctx, tpl_buf *b, tpl_value v) {
    const tpl_object *o = v.u.obj;
    if (o->to_str) {
        tpl_value s;
        if (!o->to_str(ctx, o->data, &s)) return false;
        if (s.kind == TPL_STR) return tpl_buf_put(ctx, b, s.u.s->data, s.u.s->len);
    }
    char type[128];
    tpl_object_type_repr(v, type, sizeof type);
    return tpl_buf_printf(ctx, b, "<%s>", type);
}

static bool put_value(tpl_ctx *ctx, tpl_buf *b, tpl_value v, const repr_guard *g, bool repr) {
    char num[64];
    switch (v.kind) {
    case TPL_UNDEFINED:
        /* Jinja's Undefined.__repr__ works even for StrictUndefined: "[Undefined]" */
        if (repr) return tpl_buf_puts(ctx, b, "Undefined");
        return tpl_undefined_fail(ctx, v);
    case TPL_NONE: return tpl_buf_put(ctx, b, "None", 4);
    case TPL_BOOL: return v.u.b ? tpl_buf_put(ctx, b, "True", 4) : tpl_buf_put(ctx, b, "False", 5);
    case TPL_INT:
        snprintf(num, sizeof num, "%" PRId64, v.u.i);
        return tpl_buf_puts(ctx, b, num);
    case TPL_FLOAT:
        tpl_float_repr(v.u.f, num, sizeof num);
        return tpl_buf_puts(ctx, b, num);
    case TPL_STR:
        if (repr) return tpl_buf_put_str_repr(ctx, b, v.u.s->data, v.u.s->len);
        return tpl_buf_put(ctx, b, v.u.s->data, v.u.s->len);
    case TPL_LIST:
    case TPL_TUPLE:
    case TPL_DICT:
    case TPL_NAMESPACE: {
        if (!tpl_depth_enter(ctx)) return false;
        bool ok;
        if (v.kind == TPL_DICT)
            ok = put_dict(ctx, b, v.u.dict, g);
        else if (v.kind == TPL_NAMESPACE)
            ok = tpl_buf_puts(ctx, b, "<Namespace ") && put_dict(ctx, b, v.u.dict, g) &&
                 tpl_buf_putc(ctx, b, '>');
        else
            ok = put_seq(ctx, b, v, g);
        tpl_depth_leave(ctx);
        return ok;
    }
    case TPL_CALLABLE: return put_callable(ctx, b, v.u.fn);
    case TPL_OBJECT: return put_object(ctx, b, v);
    }
    return false;
}

static bool put_repr(tpl_ctx *ctx, tpl_buf *b, tpl_value v, const repr_guard *g) {
    return put_value(ctx, b, v, g, true);
}

bool tpl_buf_put_str(tpl_ctx *ctx, tpl_buf *b, tpl_value v) { return put_value(ctx, b, v, NULL, false); }

bool tpl_buf_put_repr(tpl_ctx *ctx, tpl_buf *b, tpl_value v) { return put_value(ctx, b, v, NULL, true); }

bool tpl_to_str(tpl_ctx *ctx, tpl_value v, tpl_value *out) {
    if (v.kind == TPL_STR) {
        *out = v;
        return true;
    }
    tpl_buf b = {0};
    return tpl_buf_put_str(ctx, &b, v) && tpl_buf_to_str(ctx, &b, out);
}

bool tpl_repr(tpl_ctx *ctx, tpl_value v, tpl_value *out) {
    tpl_buf b = {0};
    return tpl_buf_put_repr(ctx, &b, v) && tpl_buf_to_str(ctx, &b, out);
}
