/* The pprint filter: Python's pprint.pformat(value) (width 80, indent 1, dicts sorted),
 * including its line breaking of long containers and strings. */
#include "template/tpl_impl.h"

#include <string.h>

#define PP_WIDTH 80

/* pprint's _safe_key: natural order, else (type name, identity). */
static bool safe_less(tpl_ctx *ctx, tpl_value a, tpl_value b, void *data, bool *lt) {
    bool comparable = (tpl_is_number(a) && tpl_is_number(b)) || (a.kind == TPL_STR && b.kind == TPL_STR);
    if (comparable) return tpl_less(ctx, a, b, NULL, lt);
    if (a.kind == b.kind && (a.kind == TPL_LIST || a.kind == TPL_TUPLE)) {
        /* sequences compare element-wise; an incomparable pair raises in Python too */
        return tpl_less(ctx, a, b, NULL, lt);
    }
    const char *ta = tpl_type_name(a), *tb = tpl_type_name(b);
    int c = strcmp(ta, tb);
    *lt = c < 0;
    return true;
}

static bool sorted_dict_order(tpl_ctx *ctx, const tpl_dict *d, tpl_value **order) {
    *order = tpl_alloc(ctx, (d->n + 1) * sizeof(tpl_value));
    if (*order == NULL) return false;
    tpl_value *keys = tpl_alloc(ctx, (d->n + 1) * sizeof(tpl_value));
    if (keys == NULL) return false;
    for (size_t i = 0; i < d->n; i++) {
        (*order)[i] = tpl_int((int64_t)i);
        keys[i] = d->keys[i];
    }
    /* sort indexes by key with the safe comparison */
    for (size_t i = 1; i < d->n; i++) {
        tpl_value x = (*order)[i], kx = keys[i];
        size_t j = i;
        while (j > 0) {
            bool lt;
            if (!tpl_step(ctx) || !safe_less(ctx, kx, keys[j - 1], NULL, &lt)) return false;
            if (!lt) break;
            (*order)[j] = (*order)[j - 1];
            keys[j] = keys[j - 1];
            j--;
        }
        (*order)[j] = x;
        keys[j] = kx;
    }
    return true;
}

/* _safe_repr: repr with dict items sorted. */
static bool safe_repr(tpl_ctx *ctx, tpl_buf *b, tpl_value v) {
    if (v.kind != TPL_DICT && v.kind != TPL_LIST && v.kind != TPL_TUPLE) return tpl_buf_put_repr(ctx, b, v);
    if (!tpl_depth_enter(ctx)) return false;
    bool ok = true;
    if (v.kind == TPL_DICT) {
        tpl_value *order;
        ok = sorted_dict_order(ctx, v.u.dict, &order) && tpl_buf_putc(ctx, b, '{');
        for (size_t i = 0; ok && i < v.u.dict->n; i++) {
            size_t at = (size_t)order[i].u.i;
            ok = (!i || tpl_buf_puts(ctx, b, ", ")) && safe_repr(ctx, b, v.u.dict->keys[at]) &&
                 tpl_buf_puts(ctx, b, ": ") && safe_repr(ctx, b, v.u.dict->vals[at]);
        }
        ok = ok && tpl_buf_putc(ctx, b, '}');
    } else {
        bool tuple = v.kind == TPL_TUPLE;
        ok = tpl_buf_putc(ctx, b, tuple ? '(' : '[');
        for (size_t i = 0; ok && i < v.u.list->n; i++)
            ok = (!i || tpl_buf_puts(ctx, b, ", ")) && safe_repr(ctx, b, v.u.list->items[i]);
        if (ok && tuple && v.u.list->n == 1) ok = tpl_buf_putc(ctx, b, ',');
        ok = ok && tpl_buf_putc(ctx, b, tuple ? ')' : ']');
    }
    tpl_depth_leave(ctx);
    return ok;
}

static bool repr_of(tpl_ctx *ctx, tpl_value v, tpl_buf *out) {
    out->len = 0;
    return tpl_buf_put(ctx, out, "", 0) && safe_repr(ctx, out, v);
}

static int64_t cps(const tpl_buf *b) { return (int64_t)tpl_utf8_count(b->data, b->len); }

static bool spaces(tpl_ctx *ctx, tpl_buf *b, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!tpl_buf_putc(ctx, b, ' ')) return false;
    return true;
}

static bool pp_format(tpl_ctx *ctx, tpl_buf *b, tpl_value v, int64_t indent, int64_t allowance, int level);

static bool format_items(tpl_ctx *ctx, tpl_buf *b, const tpl_list *l, int64_t indent, int64_t allowance,
                         int level) {
    indent += 1;
    for (size_t i = 0; i < l->n; i++) {
        bool last = i + 1 == l->n;
        if (i && (!tpl_buf_puts(ctx, b, ",\n") || !spaces(ctx, b, indent))) return false;
        if (!pp_format(ctx, b, l->items[i], indent, last ? allowance : 1, level)) return false;
    }
    return true;
}

static bool pprint_str(tpl_ctx *ctx, tpl_buf *b, tpl_value s, int64_t indent, int64_t allowance, int level) {
    const char *d = s.u.s->data;
    size_t len = s.u.s->len;
    tpl_value chunks;
    tpl_buf rep = {0};
    if (len == 0) return tpl_buf_put_repr(ctx, b, s);
    if (!tpl_list_new(ctx, 0, &chunks)) return false;
    if (level == 1) indent += 1, allowance += 1;
    int64_t max_width1 = PP_WIDTH - indent, max_width = max_width1;
    /* lines with their ends (splitlines(True)) */
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && d[j] != '\n' && d[j] != '\r' && d[j] != '\v' && d[j] != '\f') j++;
        if (j < len) j += (d[j] == '\r' && j + 1 < len && d[j + 1] == '\n') ? 2 : 1;
        bool last_line = j >= len;
        tpl_value line;
        if (!tpl_str_new(ctx, d + i, j - i, &line)) return false;
        rep.len = 0;
        if (!tpl_buf_put(ctx, &rep, "", 0) || !tpl_buf_put_repr(ctx, &rep, line)) return false;
        if (last_line) max_width1 -= allowance;
        if (cps(&rep) <= max_width1) {
            tpl_value r;
            if (!tpl_buf_to_str(ctx, &rep, &r) || !tpl_list_append(ctx, chunks.u.list, r)) return false;
        } else {
            /* parts: \S*\s* runs; greedy packing under max_width2 */
            int64_t max_width2 = max_width;
            tpl_buf current = {0};
            if (!tpl_buf_put(ctx, &current, "", 0)) return false;
            size_t p = i;
            while (p < j) {
                size_t q = p;
                uint32_t cp;
                while (q < j) {
                    size_t n = tpl_utf8_decode(d + q, j - q, &cp);
                    if (tpl_uni_space(cp)) break;
                    q += n;
                }
                while (q < j) {
                    size_t n = tpl_utf8_decode(d + q, j - q, &cp);
                    if (!tpl_uni_space(cp)) break;
                    q += n;
                }
                bool last_part = q >= j;
                tpl_buf cand = {0};
                tpl_value cv;
                if (!tpl_buf_put(ctx, &cand, current.data, current.len) || !tpl_buf_put(ctx, &cand, d + p, q - p) ||
                    !tpl_buf_to_str(ctx, &cand, &cv))
                    return false;
                if (last_part && last_line) max_width2 -= allowance;
                tpl_buf crep = {0};
                if (!tpl_buf_put(ctx, &crep, "", 0) || !tpl_buf_put_repr(ctx, &crep, cv) || !tpl_step(ctx))
                    return false;
                if (cps(&crep) > max_width2) {
                    if (current.len) {
                        tpl_value cur, r;
                        if (!tpl_buf_to_str(ctx, &current, &cur) || !tpl_repr(ctx, cur, &r) ||
                            !tpl_list_append(ctx, chunks.u.list, r))
                            return false;
                    }
                    current.len = 0;
                    if (!tpl_buf_put(ctx, &current, d + p, q - p)) return false;
                } else {
                    current = cand;
                }
                p = q;
            }
            if (current.len) {
                tpl_value cur, r;
                if (!tpl_buf_to_str(ctx, &current, &cur) || !tpl_repr(ctx, cur, &r) ||
                    !tpl_list_append(ctx, chunks.u.list, r))
                    return false;
            }
        }
        i = j;
    }
    const tpl_list *c = chunks.u.list;
    if (c->n == 1) return tpl_buf_put(ctx, b, rep.data, rep.len);
    if (level == 1 && !tpl_buf_putc(ctx, b, '(')) return false;
    for (size_t k = 0; k < c->n; k++) {
        if (k && (!tpl_buf_putc(ctx, b, '\n') || !spaces(ctx, b, indent))) return false;
        if (!tpl_buf_put(ctx, b, c->items[k].u.s->data, c->items[k].u.s->len)) return false;
    }
    return level != 1 || tpl_buf_putc(ctx, b, ')');
}

static bool pp_format(tpl_ctx *ctx, tpl_buf *b, tpl_value v, int64_t indent, int64_t allowance, int level) {
    tpl_buf rep = {0};
    if (!tpl_step(ctx) || !repr_of(ctx, v, &rep)) return false;
    int64_t max_width = PP_WIDTH - indent - allowance;
    if (cps(&rep) <= max_width) return tpl_buf_put(ctx, b, rep.data, rep.len);
    if (!tpl_depth_enter(ctx)) return false;
    bool ok = true;
    switch (v.kind) {
    case TPL_DICT: {
        const tpl_dict *d = v.u.dict;
        ok = tpl_buf_putc(ctx, b, '{');
        if (ok && d->n) {
            tpl_value *order;
            ok = sorted_dict_order(ctx, d, &order);
            int64_t ind = indent + 1, allow = allowance + 1;
            for (size_t i = 0; ok && i < d->n; i++) {
                size_t at = (size_t)order[i].u.i;
                bool last = i + 1 == d->n;
                tpl_buf key = {0};
                ok = repr_of(ctx, d->keys[at], &key) && tpl_buf_put(ctx, b, key.data, key.len) &&
                     tpl_buf_puts(ctx, b, ": ") &&
                     pp_format(ctx, b, d->vals[at], ind + cps(&key) + 2, last ? allow : 1, level + 1);
                if (ok && !last) ok = tpl_buf_puts(ctx, b, ",\n") && spaces(ctx, b, ind);
            }
        }
        ok = ok && tpl_buf_putc(ctx, b, '}');
        break;
    }
    case TPL_LIST:
        ok = tpl_buf_putc(ctx, b, '[') && format_items(ctx, b, v.u.list, indent, allowance + 1, level + 1) &&
             tpl_buf_putc(ctx, b, ']');
        break;
    case TPL_TUPLE: {
        const char *end = v.u.list->n == 1 ? ",)" : ")";
        ok = tpl_buf_putc(ctx, b, '(') &&
             format_items(ctx, b, v.u.list, indent, allowance + (int64_t)strlen(end), level + 1) &&
             tpl_buf_puts(ctx, b, end);
        break;
    }
    case TPL_STR: ok = pprint_str(ctx, b, v, indent, allowance, level + 1); break;
    default: ok = tpl_buf_put(ctx, b, rep.data, rep.len); break;
    }
    tpl_depth_leave(ctx);
    return ok;
}

bool tpl_pformat(tpl_ctx *ctx, tpl_value v, tpl_value *out) {
    tpl_buf b = {0};
    return tpl_buf_put(ctx, &b, "", 0) && pp_format(ctx, &b, v, 0, 0, 0) && tpl_buf_to_str(ctx, &b, out);
}
