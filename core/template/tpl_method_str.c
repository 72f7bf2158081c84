/* str methods that search and split (find, rfind, index, rindex, count, startswith,
 * endswith, split, rsplit, splitlines) with Python's semantics (code point indexes,
 * Unicode whitespace), and the lookup of every str method (the rest: tpl_method_str_edit.c). */
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

/* Optional int-or-None argument. */
static bool opt_index(tpl_ctx *ctx, const char *fn, tpl_value v, bool present, bool *has,
                      int64_t *out) {
    *has = present && v.kind != TPL_NONE;
    if (!*has) return true;
    if (!tpl_check_defined(ctx, v)) return false;
    if (!tpl_is_intlike(v))
        return tpl_fail(ctx, TPL_E_TYPE,
                        "slice indices must be integers or None or have an __index__ method");
    *out = tpl_as_int(v);
    return true;
}

/* The [start:end] window of self for find/count/startswith, as Python's ADJUST_INDICES:
 * code point bounds and byte offsets. */
typedef struct window {
    int64_t start, end; /* code points; end - start may be negative */
    size_t from, to;    /* bytes (valid only when start <= end) */
} window;

static bool get_window(tpl_ctx *ctx, const char *fn, tpl_value self, tpl_value vs, bool ps,
                       tpl_value ve, bool pe, window *w) {
    bool hs, he;
    int64_t start = 0, end = 0;
    if (!opt_index(ctx, fn, vs, ps, &hs, &start) || !opt_index(ctx, fn, ve, pe, &he, &end))
        return false;
    if (!tpl_charge_bytes(ctx, SELF_N)) return false;
    int64_t len = (int64_t)tpl_utf8_count(SELF_S, SELF_N);
    if (!hs) start = 0;
    if (!he) end = len;
    if (end > len) end = len;
    if (end < 0) {
        end += len;
        if (end < 0) end = 0;
    }
    if (start < 0) {
        start += len;
        if (start < 0) start = 0;
    }
    w->start = start;
    w->end = end;
    w->from = w->to = 0;
    if (start <= end) {
        w->from = tpl_utf8_offset(SELF_S, SELF_N, (size_t)start);
        w->to = w->from + tpl_utf8_offset(SELF_S + w->from, SELF_N - w->from, (size_t)(end - start));
    }
    return true;
}

/* Last occurrence of needle (m > 0) in hay; the scan is charged, as it can be quadratic. */
bool tpl_str_rfind(tpl_ctx *ctx, const char *hay, size_t n, const char *needle, size_t m, const char **hit) {
    *hit = NULL;
    if (m > n) return true;
    for (size_t k = n - m + 1; k-- > 0;) {
        if ((k & 63) == 0 && !tpl_step(ctx)) return false;
        if (hay[k] != needle[0]) continue;
        if (!tpl_charge(ctx, m / 64)) return false;
        if (memcmp(hay + k, needle, m) == 0) {
            *hit = hay + k;
            return true;
        }
    }
    return true;
}

/* ---- find / rfind / index / rindex / count ---- */

static bool do_find(tpl_ctx *ctx, const char *fn, tpl_value self, const tpl_args *args,
                    bool reverse, int64_t *pos) {
    tpl_value v[3];
    bool p[3];
    window w;
    if (!bind(ctx, fn, args, TPL_NAMES("sub", "start", "end"), v, p)) return false;
    if (!p[0]) return tpl_fail(ctx, TPL_E_TYPE, "%s() takes at least 1 argument (0 given)", fn);
    if (!tpl_arg_str(ctx, fn, v[0]) || !get_window(ctx, fn, self, v[1], p[1], v[2], p[2], &w))
        return false;
    const char *sub = v[0].u.s->data;
    size_t sub_n = v[0].u.s->len;
    int64_t sub_cp = (int64_t)tpl_utf8_count(sub, sub_n);
    *pos = -1;
    if (w.end - w.start < sub_cp) return true;
    const char *hay = SELF_S + w.from;
    size_t hay_n = w.to - w.from;
    const char *hit = NULL;
    if (!reverse) {
        hit = sub_n ? memmem(hay, hay_n, sub, sub_n) : hay;
    } else if (sub_n == 0) {
        hit = hay + hay_n;
    } else if (!tpl_str_rfind(ctx, hay, hay_n, sub, sub_n, &hit)) {
        return false;
    }
    if (hit) *pos = w.start + (int64_t)tpl_utf8_count(hay, (size_t)(hit - hay));
    return true;
}

static bool m_find(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    int64_t pos = 0;
    if (!do_find(ctx, "find", self, a, false, &pos)) return false;
    *out = tpl_int(pos);
    return true;
}
static bool m_rfind(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    int64_t pos = 0;
    if (!do_find(ctx, "rfind", self, a, true, &pos)) return false;
    *out = tpl_int(pos);
    return true;
}
static bool m_index(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    int64_t pos = 0;
    if (!do_find(ctx, "index", self, a, false, &pos)) return false;
    if (pos < 0) return tpl_fail(ctx, TPL_E_VALUE, "substring not found");
    *out = tpl_int(pos);
    return true;
}
static bool m_rindex(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    int64_t pos = 0;
    if (!do_find(ctx, "rindex", self, a, true, &pos)) return false;
    if (pos < 0) return tpl_fail(ctx, TPL_E_VALUE, "substring not found");
    *out = tpl_int(pos);
    return true;
}

static bool m_count(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[3];
    bool p[3];
    window w;
    if (!bind(ctx, "count", args, TPL_NAMES("sub", "start", "end"), v, p)) return false;
    if (!p[0]) return tpl_fail(ctx, TPL_E_TYPE, "count() takes at least 1 argument (0 given)");
    if (!tpl_arg_str(ctx, "count", v[0]) ||
        !get_window(ctx, "count", self, v[1], p[1], v[2], p[2], &w))
        return false;
    size_t sub_n = v[0].u.s->len;
    int64_t sub_cp = (int64_t)tpl_utf8_count(v[0].u.s->data, sub_n);
    int64_t n = 0;
    if (w.end - w.start >= sub_cp) {
        if (sub_n == 0) {
            n = w.end - w.start + 1;
        } else {
            const char *hay = SELF_S + w.from, *end = SELF_S + w.to;
            for (const char *q = hay; (q = memmem(q, (size_t)(end - q), v[0].u.s->data, sub_n));
                 q += sub_n)
                n++;
        }
    }
    *out = tpl_int(n);
    return true;
}

/* ---- startswith / endswith ---- */

static bool affix(tpl_ctx *ctx, const char *fn, tpl_value self, const tpl_args *args, bool end,
                  tpl_value *out) {
    tpl_value v[3];
    bool p[3];
    window w;
    if (!bind(ctx, fn, args, TPL_NAMES("prefix", "start", "end"), v, p)) return false;
    if (!p[0]) return tpl_fail(ctx, TPL_E_TYPE, "%s() takes at least 1 argument (0 given)", fn);
    if (!tpl_check_defined(ctx, v[0])) return false;
    const tpl_value *cands = &v[0];
    size_t n_cands = 1;
    if (v[0].kind == TPL_TUPLE) {
        cands = v[0].u.list->items;
        n_cands = v[0].u.list->n;
    }
    for (size_t i = 0; i < n_cands; i++)
        if (cands[i].kind != TPL_STR)
            return tpl_fail(ctx, TPL_E_TYPE,
                            v[0].kind == TPL_TUPLE
                                ? "tuple for %s must only contain str, not %s"
                                : "%s first arg must be str or a tuple of str, not %s",
                            fn, tpl_type_name(cands[i]));
    if (!get_window(ctx, fn, self, v[1], p[1], v[2], p[2], &w)) return false;
    *out = tpl_bool(false);
    if (w.start > w.end) return true;
    const char *hay = SELF_S + w.from;
    size_t hay_n = w.to - w.from;
    for (size_t i = 0; i < n_cands; i++) {
        size_t k = cands[i].u.s->len;
        if (k > hay_n) continue;
        if (memcmp(end ? hay + hay_n - k : hay, cands[i].u.s->data, k) == 0) {
            *out = tpl_bool(true);
            return true;
        }
    }
    return true;
}

static bool m_startswith(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return affix(ctx, "startswith", self, a, false, out);
}
static bool m_endswith(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return affix(ctx, "endswith", self, a, true, out);
}

/* ---- split family ---- */

static bool push_str(tpl_ctx *ctx, tpl_value list, const char *s, size_t n) {
    tpl_value item;
    return tpl_step(ctx) && new_str(ctx, s, n, &item) && tpl_list_append(ctx, list.u.list, item);
}

static size_t skip_space(const char *s, size_t len, size_t i) {
    while (i < len) {
        uint32_t cp;
        size_t n = tpl_utf8_decode(s + i, len - i, &cp);
        if (!tpl_uni_space(cp)) break;
        i += n;
    }
    return i;
}

static size_t skip_nonspace(const char *s, size_t len, size_t i) {
    while (i < len) {
        uint32_t cp;
        size_t n = tpl_utf8_decode(s + i, len - i, &cp);
        if (tpl_uni_space(cp)) break;
        i += n;
    }
    return i;
}

static bool is_space_before(const char *s, size_t end, size_t *start) {
    *start = tpl_utf8_prev(s, end);
    uint32_t cp;
    tpl_utf8_decode(s + *start, end - *start, &cp);
    return tpl_uni_space(cp);
}

static bool do_split(tpl_ctx *ctx, const char *fn, tpl_value self, const tpl_args *args,
                     bool right, tpl_value *out) {
    tpl_value v[2];
    bool p[2];
    int64_t maxsplit = -1;
    if (!bind(ctx, fn, args, TPL_NAMES("sep", "maxsplit"), v, p)) return false;
    if (p[1] && !tpl_arg_int(ctx, fn, v[1], &maxsplit)) return false;
    bool ws = !p[0] || v[0].kind == TPL_NONE;
    if (!ws && !tpl_check_defined(ctx, v[0])) return false;
    if (!ws && v[0].kind != TPL_STR)
        return tpl_fail(ctx, TPL_E_TYPE, "must be str or None, not %s", tpl_type_name(v[0]));
    if (!ws && v[0].u.s->len == 0) return tpl_fail(ctx, TPL_E_VALUE, "empty separator");
    if (!tpl_list_new(ctx, 0, out) || !tpl_charge_bytes(ctx, SELF_N)) return false;
    const char *s = SELF_S;
    size_t len = SELF_N;
    uint64_t left = maxsplit < 0 ? UINT64_MAX : (uint64_t)maxsplit;
    if (!right) {
        if (ws) {
            size_t i = skip_space(s, len, 0);
            while (i < len) {
                if (left == 0) {
                    /* the rest, trailing whitespace included */
                    return push_str(ctx, *out, s + i, len - i);
                }
                size_t j = skip_nonspace(s, len, i);
                if (!push_str(ctx, *out, s + i, j - i)) return false;
                left--;
                i = skip_space(s, len, j);
            }
            return true;
        }
        const char *sep = v[0].u.s->data;
        size_t sep_n = v[0].u.s->len, i = 0;
        while (left > 0) {
            const char *q = memmem(s + i, len - i, sep, sep_n);
            if (q == NULL) break;
            if (!push_str(ctx, *out, s + i, (size_t)(q - (s + i)))) return false;
            i = (size_t)(q - s) + sep_n;
            left--;
        }
        return push_str(ctx, *out, s + i, len - i);
    }
    /* rsplit: collect from the right, then reverse */
    tpl_list *l = out->u.list;
    if (ws) {
        size_t end = len;
        for (;;) {
            size_t st;
            while (end > 0 && is_space_before(s, end, &st)) end = st;
            if (end == 0) break;
            if (left == 0) {
                if (!push_str(ctx, *out, s, end)) return false;
                break;
            }
            size_t b = end;
            while (b > 0 && !is_space_before(s, b, &st)) b = st;
            if (!push_str(ctx, *out, s + b, end - b)) return false;
            left--;
            end = b;
        }
    } else {
        const char *sep = v[0].u.s->data;
        size_t sep_n = v[0].u.s->len, end = len;
        for (;;) {
            const char *hit = NULL;
            if (left > 0 && !tpl_str_rfind(ctx, s, end, sep, sep_n, &hit)) return false;
            if (hit == NULL) {
                if (!push_str(ctx, *out, s, end)) return false;
                break;
            }
            size_t at = (size_t)(hit - s);
            if (!push_str(ctx, *out, s + at + sep_n, end - at - sep_n)) return false;
            left--;
            end = at;
        }
    }
    for (size_t i = 0; i < l->n / 2; i++) {
        tpl_value t = l->items[i];
        l->items[i] = l->items[l->n - 1 - i];
        l->items[l->n - 1 - i] = t;
    }
    return true;
}

static bool m_split(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return do_split(ctx, "split", self, a, false, out);
}
static bool m_rsplit(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) {
    return do_split(ctx, "rsplit", self, a, true, out);
}

static bool is_line_break(uint32_t cp) {
    return cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c || cp == 0x1c || cp == 0x1d ||
           cp == 0x1e || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

static bool m_splitlines(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args,
                         tpl_value *out) {
    tpl_value v[1];
    bool p[1], keep = false;
    if (!bind(ctx, "splitlines", args, TPL_NAMES("keepends"), v, p)) return false;
    if (p[0] && !tpl_truthy(ctx, v[0], &keep)) return false;
    if (!tpl_list_new(ctx, 0, out) || !tpl_charge_bytes(ctx, SELF_N)) return false;
    const char *s = SELF_S;
    size_t len = SELF_N, i = 0, start = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = tpl_utf8_decode(s + i, len - i, &cp);
        if (!is_line_break(cp)) {
            i += n;
            continue;
        }
        size_t eol = i + n;
        if (cp == '\r' && eol < len && s[eol] == '\n') eol++;
        if (!push_str(ctx, *out, s + start, (keep ? eol : i) - start)) return false;
        i = start = eol;
    }
    if (start < len && !push_str(ctx, *out, s + start, len - start)) return false;
    return true;
}

static const tpl_method_entry search_methods[] = {
    {"split", "str.split", m_split},
    {"rsplit", "str.rsplit", m_rsplit},
    {"splitlines", "str.splitlines", m_splitlines},
    {"startswith", "str.startswith", m_startswith},
    {"endswith", "str.endswith", m_endswith},
    {"find", "str.find", m_find},
    {"rfind", "str.rfind", m_rfind},
    {"index", "str.index", m_index},
    {"rindex", "str.rindex", m_rindex},
    {"count", "str.count", m_count},
    {NULL, NULL, NULL},
};

bool tpl_method_str_lookup(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out,
                           bool *found) {
    const tpl_method_entry *tables[] = {search_methods, tpl_str_edit_methods};
    *found = false;
    for (size_t t = 0; t < 2; t++)
        for (const tpl_method_entry *m = tables[t]; m->name; m++)
            if (strcmp(m->name, name) == 0) {
                *found = true;
                return tpl_callable_new(ctx, m->full, m->fn, NULL, obj, out);
            }
    return true;
}
