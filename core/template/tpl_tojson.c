/* Jinja's tojson filter: json.dumps(value, sort_keys=True, indent=...) then <, >, &, '
 * replaced by \u003c \u003e \u0026 \u0027 (htmlsafe_json_dumps). */
#include "template/tpl_impl.h"

#include <stdio.h>
#include <string.h>

typedef struct json_out {
    tpl_ctx *ctx;
    tpl_buf *b;
    const char *indent; /* NULL: single line */
    size_t indent_n;
    const void *stack[256]; /* containers being written, for "Circular reference detected" */
    size_t depth;
} json_out;

static bool put_escaped(json_out *o, const char *s, size_t len) {
    tpl_ctx *ctx = o->ctx;
    if (!tpl_charge_bytes(ctx, len) || !tpl_buf_putc(ctx, o->b, '"')) return false;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = tpl_utf8_decode(s + i, len - i, &cp);
        if (n == 1 && (unsigned char)s[i] >= 0x80) cp = 0xFFFD;
        i += n;
        char esc[16];
        const char *rep = NULL;
        switch (cp) {
        case '"': rep = "\\\""; break;
        case '\\': rep = "\\\\"; break;
        case '\n': rep = "\\n"; break;
        case '\r': rep = "\\r"; break;
        case '\t': rep = "\\t"; break;
        case '\b': rep = "\\b"; break;
        case '\f': rep = "\\f"; break;
        /* htmlsafe_json_dumps */
        case '<': rep = "\\u003c"; break;
        case '>': rep = "\\u003e"; break;
        case '&': rep = "\\u0026"; break;
        case '\'': rep = "\\u0027"; break;
        default: break;
        }
        if (rep == NULL && cp >= 0x20 && cp < 0x7f) {
            if (!tpl_buf_putc(ctx, o->b, (char)cp)) return false;
            continue;
        }
        if (rep == NULL) {
            if (cp >= 0x10000) {
                uint32_t v = cp - 0x10000;
                snprintf(esc, sizeof esc, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
            } else {
                snprintf(esc, sizeof esc, "\\u%04x", cp);
            }
            rep = esc;
        }
        if (!tpl_buf_puts(ctx, o->b, rep)) return false;
    }
    return tpl_buf_putc(ctx, o->b, '"');
}

static bool newline(json_out *o) {
    if (o->indent == NULL) return true;
    if (!tpl_buf_putc(o->ctx, o->b, '\n')) return false;
    for (size_t i = 0; i < o->depth; i++)
        if (!tpl_buf_put(o->ctx, o->b, o->indent, o->indent_n)) return false;
    return true;
}

static bool put_float(json_out *o, double f) {
    char num[64];
    if (f != f) return tpl_buf_puts(o->ctx, o->b, "NaN");
    if (f > 1.7976931348623157e308) return tpl_buf_puts(o->ctx, o->b, "Infinity");
    if (f < -1.7976931348623157e308) return tpl_buf_puts(o->ctx, o->b, "-Infinity");
    tpl_float_repr(f, num, sizeof num);
    return tpl_buf_puts(o->ctx, o->b, num);
}

static bool write_value(json_out *o, tpl_value v);

/* A dict key as JSON text: str as is; int, float, bool, None converted. */
static bool key_text(json_out *o, tpl_value k, tpl_value *out) {
    char num[64];
    switch (k.kind) {
    case TPL_STR: *out = k; return true;
    case TPL_BOOL: return tpl_str_cstr(o->ctx, k.u.b ? "true" : "false", out);
    case TPL_NONE: return tpl_str_cstr(o->ctx, "null", out);
    case TPL_INT: return tpl_to_str(o->ctx, k, out);
    case TPL_FLOAT:
        if (k.u.f != k.u.f) return tpl_str_cstr(o->ctx, "NaN", out);
        if (k.u.f > 1.7976931348623157e308) return tpl_str_cstr(o->ctx, "Infinity", out);
        if (k.u.f < -1.7976931348623157e308) return tpl_str_cstr(o->ctx, "-Infinity", out);
        tpl_float_repr(k.u.f, num, sizeof num);
        return tpl_str_cstr(o->ctx, num, out);
    default:
        return tpl_fail(o->ctx, TPL_E_TYPE, "keys must be str, int, float, bool or None, not %s",
                        tpl_type_name(k));
    }
}

static bool enter(json_out *o, const void *id) {
    for (size_t i = 0; i < o->depth; i++)
        if (o->stack[i] == id) return tpl_fail(o->ctx, TPL_E_VALUE, "Circular reference detected");
    if (o->depth >= sizeof o->stack / sizeof o->stack[0] || !tpl_depth_enter(o->ctx))
        return tpl_fail(o->ctx, TPL_E_RECURSION, "maximum recursion depth exceeded");
    o->stack[o->depth++] = id;
    return true;
}

static void leave(json_out *o) {
    o->depth--;
    tpl_depth_leave(o->ctx);
}

static bool write_seq(json_out *o, const tpl_list *l) {
    if (l->n == 0) return tpl_buf_puts(o->ctx, o->b, "[]");
    if (!enter(o, l) || !tpl_buf_putc(o->ctx, o->b, '[')) return false;
    for (size_t i = 0; i < l->n; i++) {
        if (i && !tpl_buf_puts(o->ctx, o->b, o->indent ? "," : ", ")) return false;
        if (!newline(o) || !write_value(o, l->items[i])) return false;
    }
    leave(o);
    return newline(o) && tpl_buf_putc(o->ctx, o->b, ']');
}

static bool write_dict(json_out *o, const tpl_dict *d) {
    if (d->n == 0) return tpl_buf_puts(o->ctx, o->b, "{}");
    /* sort_keys=True sorts the original keys (mixed types raise TypeError) */
    tpl_value *order = tpl_alloc(o->ctx, d->n * sizeof(tpl_value));
    if (order == NULL) return false;
    for (size_t i = 0; i < d->n; i++) order[i] = tpl_int((int64_t)i);
    if (!tpl_sort_by_keys(o->ctx, order, d->keys, d->n, false)) return false;
    if (!enter(o, d) || !tpl_buf_putc(o->ctx, o->b, '{')) return false;
    for (size_t i = 0; i < d->n; i++) {
        tpl_value k;
        if (i && !tpl_buf_puts(o->ctx, o->b, o->indent ? "," : ", ")) return false;
        size_t at = (size_t)order[i].u.i;
        if (!newline(o) || !key_text(o, d->keys[at], &k) || !put_escaped(o, k.u.s->data, k.u.s->len) ||
            !tpl_buf_puts(o->ctx, o->b, ": ") || !write_value(o, d->vals[at]))
            return false;
    }
    leave(o);
    return newline(o) && tpl_buf_putc(o->ctx, o->b, '}');
}

static bool write_value(json_out *o, tpl_value v) {
    if (!tpl_step(o->ctx)) return false;
    switch (v.kind) {
    case TPL_NONE: return tpl_buf_puts(o->ctx, o->b, "null");
    case TPL_BOOL: return tpl_buf_puts(o->ctx, o->b, v.u.b ? "true" : "false");
    case TPL_INT: return tpl_buf_put_str(o->ctx, o->b, v);
    case TPL_FLOAT: return put_float(o, v.u.f);
    case TPL_STR: return put_escaped(o, v.u.s->data, v.u.s->len);
    case TPL_LIST:
    case TPL_TUPLE: return write_seq(o, v.u.list);
    case TPL_DICT: return write_dict(o, v.u.dict);
    default:
        return tpl_fail(o->ctx, TPL_E_TYPE, "Object of type %s is not JSON serializable", tpl_type_name(v));
    }
}

bool tpl_tojson(tpl_ctx *ctx, tpl_value v, const tpl_args *args, tpl_value *out) {
    tpl_value a[1];
    bool p[1];
    if (!tpl_bind_args(ctx, "do_tojson", args, TPL_NAMES("indent"), a, p)) return false;
    tpl_buf b = {0};
    json_out o = {.ctx = ctx, .b = &b};
    if (p[0] && a[0].kind != TPL_NONE) {
        if (!tpl_check_defined(ctx, a[0])) return false;
        if (a[0].kind == TPL_STR) {
            o.indent = a[0].u.s->data;
            o.indent_n = a[0].u.s->len;
        } else if (tpl_is_intlike(a[0])) {
            int64_t n = tpl_as_int(a[0]);
            if (n > 4096) return tpl_fail(ctx, TPL_E_VALUE, "indent too large");
            tpl_value sp;
            if (!tpl_str_new(ctx, "", 0, &sp)) return false;
            tpl_buf ib = {0};
            if (!tpl_buf_put(ctx, &ib, "", 0)) return false;
            for (int64_t i = 0; i < n; i++)
                if (!tpl_buf_putc(ctx, &ib, ' ')) return false;
            o.indent = ib.data;
            o.indent_n = ib.len;
        } else {
            return tpl_fail(ctx, TPL_E_TYPE, "can't multiply sequence by non-int of type '%s'",
                            tpl_type_name(a[0]));
        }
    }
    if (!tpl_buf_put(ctx, &b, "", 0) || !write_value(&o, v)) return false;
    return tpl_buf_to_str(ctx, &b, out);
}
