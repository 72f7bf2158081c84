/* Forgather's toyaml filter: PyYAML's safe_dump(default_flow_style=True, allow_unicode=True,
 * width=inf) reproduced (scalar style choice, quoting, anchors for shared containers,
 * sorted keys), then Forgather's strip and "..." removal. */
#include "template/tpl_yaml.h"

#include <stdio.h>
#include <string.h>

typedef struct yaml_out {
    tpl_ctx *ctx;
    tpl_buf *b;
    size_t column;    /* in code points */
    bool whitespace;  /* the last thing written was whitespace (or nothing) */
    bool indention;
    bool open_ended;  /* a plain scalar at the root: PyYAML adds "..." */
    tpl_dict *anchors; /* container pointer (as int) → 0 seen once, -N anchor N, +N emitted */
    int next_anchor;
} yaml_out;

static bool put(yaml_out *o, const char *s, size_t n) {
    o->column += tpl_utf8_count(s, n);
    return tpl_buf_put(o->ctx, o->b, s, n);
}

static bool indicator(yaml_out *o, const char *ind, bool need_ws, bool ws) {
    if (!o->whitespace && need_ws && !put(o, " ", 1)) return false;
    o->whitespace = ws;
    o->indention = false;
    o->open_ended = false;
    return put(o, ind, strlen(ind));
}

static bool line_break(yaml_out *o, const char *br, size_t n) {
    o->whitespace = o->indention = true;
    if (!tpl_buf_put(o->ctx, o->b, br, n)) return false;
    o->column = 0;
    return true;
}

static bool write_indent(yaml_out *o, size_t indent) {
    if (!o->indention || o->column > indent || (o->column == indent && !o->whitespace))
        if (!line_break(o, "\n", 1)) return false;
    while (o->column < indent) {
        o->whitespace = true;
        if (!put(o, " ", 1)) return false;
    }
    return true;
}

/* ---- scalar writers ---- */

static bool put_cp(yaml_out *o, uint32_t c) {
    char enc[4];
    return put(o, enc, tpl_utf8_encode(c, enc));
}

static bool write_plain(yaml_out *o, const char *s, size_t n, bool root) {
    if (root) o->open_ended = true;
    if (n == 0) return true;
    if (!o->whitespace && !put(o, " ", 1)) return false;
    o->whitespace = o->indention = false;
    return put(o, s, n);
}

static bool write_single_quoted(yaml_out *o, const uint32_t *t, size_t n, size_t indent) {
    if (!indicator(o, "'", true, false)) return false;
    bool breaks = false;
    size_t start = 0;
    for (size_t end = 0; end <= n; end++) {
        uint32_t ch = end < n ? t[end] : 0;
        bool none = end == n;
        if (breaks) {
            if (none || !tpl_yaml_is_break(ch)) {
                if (t[start] == '\n' && !line_break(o, "\n", 1)) return false;
                for (size_t k = start; k < end; k++) {
                    char enc[4];
                    size_t m = t[k] == '\n' ? 1 : tpl_utf8_encode(t[k], enc);
                    if (!line_break(o, t[k] == '\n' ? "\n" : enc, m)) return false;
                }
                if (!write_indent(o, indent)) return false;
                start = end;
            }
        } else if (none || ch == ' ' || tpl_yaml_is_break(ch) || ch == '\'') {
            /* flush the pending run (spaces runs are flushed the same way: no wrapping) */
            for (size_t k = start; k < end; k++)
                if (!put_cp(o, t[k])) return false;
            start = end;
        }
        if (!none && ch == '\'') {
            if (!put(o, "''", 2)) return false;
            start = end + 1;
        }
        if (!none) breaks = tpl_yaml_is_break(ch);
    }
    return indicator(o, "'", false, false);
}

static bool write_double_quoted(yaml_out *o, const uint32_t *t, size_t n) {
    if (!indicator(o, "\"", true, false)) return false;
    for (size_t i = 0; i < n; i++) {
        uint32_t ch = t[i];
        bool plain = !(ch == '"' || ch == '\\' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 || ch == 0xFEFF) &&
                     ((ch >= 0x20 && ch <= 0x7E) || (ch >= 0xA0 && ch <= 0xD7FF) || (ch >= 0xE000 && ch <= 0xFFFD));
        if (plain) {
            if (!put_cp(o, ch)) return false;
            continue;
        }
        char esc[16];
        const char *rep = NULL;
        switch (ch) {
        case 0: rep = "0"; break;
        case 0x07: rep = "a"; break;
        case 0x08: rep = "b"; break;
        case 0x09: rep = "t"; break;
        case 0x0A: rep = "n"; break;
        case 0x0B: rep = "v"; break;
        case 0x0C: rep = "f"; break;
        case 0x0D: rep = "r"; break;
        case 0x1B: rep = "e"; break;
        case '"': rep = "\""; break;
        case '\\': rep = "\\"; break;
        case 0x85: rep = "N"; break;
        case 0xA0: rep = "_"; break;
        case 0x2028: rep = "L"; break;
        case 0x2029: rep = "P"; break;
        default: break;
        }
        if (rep)
            snprintf(esc, sizeof esc, "\\%s", rep);
        else if (ch <= 0xFF)
            snprintf(esc, sizeof esc, "\\x%02X", ch);
        else if (ch <= 0xFFFF)
            snprintf(esc, sizeof esc, "\\u%04X", ch);
        else
            snprintf(esc, sizeof esc, "\\U%08X", ch);
        if (!put(o, esc, strlen(esc))) return false;
    }
    return indicator(o, "\"", false, false);
}

/* Code points of a UTF-8 string (invalid bytes become U+FFFD-like specials). */
static bool decode_all(tpl_ctx *ctx, const char *s, size_t len, uint32_t **out, size_t *n) {
    uint32_t *cps = tpl_alloc(ctx, (len + 1) * sizeof(uint32_t));
    if (cps == NULL) return false;
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        size_t m = tpl_utf8_decode(s + i, len - i, &cps[k]);
        if (m == 1 && (unsigned char)s[i] >= 0x80) cps[k] = 0xFFFF; /* not printable: quoted */
        i += m;
        k++;
    }
    *out = cps;
    *n = k;
    return true;
}

/* The text of a scalar and whether its plain form reads back as the same type. */
static bool scalar_text(yaml_out *o, tpl_value v, tpl_value *text, bool *implicit) {
    char num[64];
    *implicit = true;
    switch (v.kind) {
    case TPL_NONE: return tpl_str_cstr(o->ctx, "null", text);
    case TPL_BOOL: return tpl_str_cstr(o->ctx, v.u.b ? "true" : "false", text);
    case TPL_INT: return tpl_to_str(o->ctx, v, text);
    case TPL_FLOAT: {
        double f = v.u.f;
        if (f != f) return tpl_str_cstr(o->ctx, ".nan", text);
        if (f > 1.7976931348623157e308) return tpl_str_cstr(o->ctx, ".inf", text);
        if (f < -1.7976931348623157e308) return tpl_str_cstr(o->ctx, "-.inf", text);
        tpl_float_repr(f, num, sizeof num);
        /* repr(1e17) is '1e+17': PyYAML writes '1.0e+17' */
        char fixed[72];
        char *e = strchr(num, 'e');
        if (e && !strchr(num, '.'))
            snprintf(fixed, sizeof fixed, "%.*s.0%s", (int)(e - num), num, e);
        else
            snprintf(fixed, sizeof fixed, "%s", num);
        return tpl_str_cstr(o->ctx, fixed, text);
    }
    case TPL_STR:
        *text = v;
        *implicit = !tpl_yaml_resolves_non_str(v.u.s->data, v.u.s->len);
        return true;
    default: return false;
    }
}

static bool is_scalar(tpl_value v) {
    return v.kind == TPL_NONE || v.kind == TPL_BOOL || v.kind == TPL_INT || v.kind == TPL_FLOAT ||
           v.kind == TPL_STR;
}

static bool write_scalar(yaml_out *o, tpl_value v, size_t depth, bool simple_key, bool root) {
    tpl_value text;
    bool implicit;
    if (!scalar_text(o, v, &text, &implicit)) return false;
    uint32_t *cps;
    size_t n;
    if (!tpl_charge_bytes(o->ctx, text.u.s->len) ||
        !decode_all(o->ctx, text.u.s->data, text.u.s->len, &cps, &n))
        return false;
    tpl_yaml_analysis a;
    tpl_yaml_analyze(cps, n, &a);
    bool flow = depth > 0;
    if (implicit && !(simple_key && (a.empty || a.multiline)) && (flow ? a.flow_plain : a.block_plain))
        return write_plain(o, text.u.s->data, text.u.s->len, root);
    if (a.single_quoted && !(simple_key && a.multiline))
        return write_single_quoted(o, cps, n, 2 * (depth + 1));
    return write_double_quoted(o, cps, n);
}

/* ---- anchors for containers that appear more than once ---- */

static const void *container_id(tpl_value v) {
    if (v.kind == TPL_LIST || v.kind == TPL_TUPLE) return v.u.list;
    if (v.kind == TPL_DICT) return v.u.dict;
    return NULL;
}

static tpl_value *anchor_slot(yaml_out *o, const void *id) {
    return tpl_dict_get(o->anchors, tpl_int((int64_t)(intptr_t)id));
}

/* Items in PyYAML's order: a dict's (key, value) pairs sorted by key when the keys are
 * comparable (safe_dump's sort_keys; an incomparable mix keeps insertion order). */
static bool sorted_items(yaml_out *o, const tpl_dict *d, tpl_value **keys, tpl_value **vals);

static bool anchor_pass(yaml_out *o, tpl_value v) {
    const void *id = container_id(v);
    if (id == NULL) return true;
    if (v.kind == TPL_TUPLE && v.u.list->n == 0) return true; /* () is never aliased */
    tpl_value *slot = anchor_slot(o, id);
    if (slot) {
        if (slot->u.i == 0) *slot = tpl_int(-(int64_t)++o->next_anchor);
        return true;
    }
    if (!tpl_step(o->ctx) || !tpl_dict_set(o->ctx, o->anchors, tpl_int((int64_t)(intptr_t)id), tpl_int(0)))
        return false;
    if (!tpl_depth_enter(o->ctx)) return false;
    bool ok = true;
    if (v.kind == TPL_DICT) {
        tpl_value *keys, *vals;
        ok = sorted_items(o, v.u.dict, &keys, &vals);
        for (size_t i = 0; ok && i < v.u.dict->n; i++)
            ok = anchor_pass(o, keys[i]) && anchor_pass(o, vals[i]);
    } else {
        for (size_t i = 0; ok && i < v.u.list->n; i++) ok = anchor_pass(o, v.u.list->items[i]);
    }
    tpl_depth_leave(o->ctx);
    return ok;
}

/* Ordering without errors: false when the pair is not comparable. */
static bool try_less(tpl_value a, tpl_value b, bool *lt) {
    if (tpl_is_number(a) && tpl_is_number(b)) {
        double x = tpl_as_float(a), y = tpl_as_float(b);
        if (a.kind != TPL_FLOAT && b.kind != TPL_FLOAT) *lt = tpl_as_int(a) < tpl_as_int(b);
        else *lt = x < y;
        return true;
    }
    if (a.kind == TPL_STR && b.kind == TPL_STR) {
        size_t n = a.u.s->len < b.u.s->len ? a.u.s->len : b.u.s->len;
        int c = memcmp(a.u.s->data, b.u.s->data, n);
        *lt = c < 0 || (c == 0 && a.u.s->len < b.u.s->len);
        return true;
    }
    if (a.kind == b.kind && (a.kind == TPL_LIST || a.kind == TPL_TUPLE)) {
        size_t n = a.u.list->n < b.u.list->n ? a.u.list->n : b.u.list->n;
        for (size_t i = 0; i < n; i++) {
            tpl_value x = a.u.list->items[i], y = b.u.list->items[i];
            if (tpl_key_equal(x, y) && is_scalar(x)) continue;
            return try_less(x, y, lt);
        }
        *lt = a.u.list->n < b.u.list->n;
        return true;
    }
    return false;
}

static bool sorted_items(yaml_out *o, const tpl_dict *d, tpl_value **keys, tpl_value **vals) {
    size_t n = d->n;
    size_t *order = tpl_alloc(o->ctx, (n + 1) * sizeof(size_t));
    *keys = tpl_alloc(o->ctx, (n + 1) * sizeof(tpl_value));
    *vals = tpl_alloc(o->ctx, (n + 1) * sizeof(tpl_value));
    if (order == NULL || *keys == NULL || *vals == NULL) return false;
    for (size_t i = 0; i < n; i++) order[i] = i;
    /* insertion sort (stable); on an incomparable pair keep the original order */
    bool comparable = true;
    for (size_t i = 1; i < n && comparable; i++) {
        size_t x = order[i], j = i;
        while (j > 0) {
            bool lt;
            if (!tpl_step(o->ctx)) return false;
            if (!try_less(d->keys[x], d->keys[order[j - 1]], &lt)) {
                comparable = false;
                break;
            }
            if (!lt) break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = comparable ? order[i] : i;
        (*keys)[i] = d->keys[k];
        (*vals)[i] = d->vals[k];
    }
    return true;
}

static size_t scalar_key_length(yaml_out *o, tpl_value v) {
    tpl_value text;
    bool implicit;
    if (!scalar_text(o, v, &text, &implicit)) return 1000;
    return tpl_utf8_count(text.u.s->data, text.u.s->len);
}

static bool write_node(yaml_out *o, tpl_value v, size_t depth, bool simple_key, bool root);

/* PyYAML's check_simple_key: short scalars on one line, empty collections, aliases. */
static bool simple_key_ok(yaml_out *o, tpl_value k) {
    const void *id = container_id(k);
    if (id) {
        tpl_value *slot = anchor_slot(o, id);
        if (slot && slot->u.i > 0) return true; /* an alias */
        size_t n = k.kind == TPL_DICT ? k.u.dict->n : k.u.list->n;
        size_t len = 5; /* the implicit tag "!!seq"/"!!map" counts toward the limit */
        if (slot && slot->u.i < 0) len += 5; /* "id001" */
        return n == 0 && len < 128;
    }
    if (!is_scalar(k)) return false;
    tpl_value text;
    bool implicit;
    if (!scalar_text(o, k, &text, &implicit)) return false;
    if (text.u.s->len == 0) return false;
    for (size_t i = 0; i < text.u.s->len; i++) {
        unsigned char c = (unsigned char)text.u.s->data[i];
        if (c == '\n') return false;
    }
    if (strstr(text.u.s->data, "\xc2\x85") || strstr(text.u.s->data, "\xe2\x80\xa8") ||
        strstr(text.u.s->data, "\xe2\x80\xa9"))
        return false;
    /* the prepared tag counts too: "!!str", "!!int", "!!bool", "!!null", "!!float" */
    size_t tag = k.kind == TPL_FLOAT ? 7 : (k.kind == TPL_BOOL || k.kind == TPL_NONE) ? 6 : 5;
    return scalar_key_length(o, k) + tag < 128;
}

static bool write_node(yaml_out *o, tpl_value v, size_t depth, bool simple_key, bool root) {
    if (!tpl_step(o->ctx)) return false;
    if (is_scalar(v)) return write_scalar(o, v, depth, simple_key, root);
    const void *id = container_id(v);
    if (id == NULL) {
        tpl_value r;
        if (v.kind == TPL_UNDEFINED) return tpl_undefined_fail(o->ctx, v);
        if (!tpl_repr(o->ctx, v, &r)) return false;
        return tpl_fail(o->ctx, "RepresenterError", "('cannot represent an object', %s)", r.u.s->data);
    }
    tpl_value *slot = anchor_slot(o, id);
    if (slot && slot->u.i > 0) {
        char alias[32];
        snprintf(alias, sizeof alias, "*id%03lld", (long long)slot->u.i);
        return indicator(o, alias, true, false);
    }
    if (slot && slot->u.i < 0) {
        char anchor[32];
        *slot = tpl_int(-slot->u.i);
        snprintf(anchor, sizeof anchor, "&id%03lld", (long long)slot->u.i);
        if (!indicator(o, anchor, true, false)) return false;
    }
    if (!tpl_depth_enter(o->ctx)) return false;
    bool ok = true;
    if (v.kind == TPL_DICT) {
        tpl_value *keys, *vals;
        ok = sorted_items(o, v.u.dict, &keys, &vals) && indicator(o, "{", true, true);
        for (size_t i = 0; ok && i < v.u.dict->n; i++) {
            if (i && !(ok = indicator(o, ",", false, false))) break;
            if (simple_key_ok(o, keys[i])) {
                ok = write_node(o, keys[i], depth + 1, true, false) && indicator(o, ":", false, false) &&
                     write_node(o, vals[i], depth + 1, false, false);
            } else {
                ok = indicator(o, "?", true, false) && write_node(o, keys[i], depth + 1, false, false) &&
                     indicator(o, ":", true, false) && write_node(o, vals[i], depth + 1, false, false);
            }
        }
        ok = ok && indicator(o, "}", false, false);
    } else {
        ok = indicator(o, "[", true, true);
        for (size_t i = 0; ok && i < v.u.list->n; i++) {
            if (i && !(ok = indicator(o, ",", false, false))) break;
            ok = write_node(o, v.u.list->items[i], depth + 1, false, false);
        }
        ok = ok && indicator(o, "]", false, false);
    }
    tpl_depth_leave(o->ctx);
    return ok;
}

bool tpl_toyaml(tpl_ctx *ctx, tpl_value v, tpl_value *out) {
    if (!tpl_check_defined(ctx, v)) return false;
    if (tpl_is_intlike(v) || v.kind == TPL_NONE) {
        /* Forgather short-circuits: str(int/bool) ("False"!), None → null */
        if (v.kind == TPL_NONE) return tpl_str_cstr(ctx, "null", out);
        return tpl_to_str(ctx, v, out);
    }
    tpl_buf b = {0};
    tpl_value anchors;
    if (!tpl_buf_put(ctx, &b, "", 0) || !tpl_dict_new(ctx, &anchors)) return false;
    yaml_out o = {.ctx = ctx, .b = &b, .whitespace = true, .indention = true, .anchors = anchors.u.dict};
    if (!anchor_pass(&o, v) || !write_node(&o, v, 0, false, true)) return false;
    /* the document as safe_dump ends it */
    if (!tpl_buf_putc(ctx, &b, '\n') || (o.open_ended && !tpl_buf_puts(ctx, &b, "...\n"))) return false;
    tpl_value text, stripped;
    if (!tpl_buf_to_str(ctx, &b, &text) || !tpl_str_strip(ctx, text, tpl_none(), true, true, &stripped))
        return false;
    size_t n = stripped.u.s->len;
    const char *s = stripped.u.s->data;
    if (n >= 4 && memcmp(s + n - 4, "\n...", 4) == 0)
        n -= 4;
    else if (n >= 3 && memcmp(s + n - 3, "...", 3) == 0)
        n -= 3;
    return tpl_str_new(ctx, s, n, out);
}
