/* Jinja2's string filters (autoescape off): capitalize, center, escape/e, format, indent,
 * lower, upper, replace, safe, string, title, trim, truncate, wordcount, striptags,
 * urlencode, xmlattr. */
#define _GNU_SOURCE /* memmem */
#include "template/tpl_impl.h"

#include <stdio.h>
#include <string.h>

static bool no_args(tpl_ctx *ctx, const char *fn, const tpl_args *args) {
    if (args->n_pos || args->n_kw)
        return tpl_fail(ctx, TPL_E_TYPE, "%s() takes 1 positional argument but %zu were given", fn,
                        args->n_pos + args->n_kw + 1);
    return true;
}

static bool f_upper(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    tpl_value s;
    return no_args(ctx, "do_upper", args) && tpl_soft_str(ctx, in, &s) &&
           tpl_str_case(ctx, s, TPL_CASE_UPPER, out);
}

static bool f_lower(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    tpl_value s;
    return no_args(ctx, "do_lower", args) && tpl_soft_str(ctx, in, &s) &&
           tpl_str_case(ctx, s, TPL_CASE_LOWER, out);
}

static bool f_capitalize(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    tpl_value s;
    return no_args(ctx, "do_capitalize", args) && tpl_soft_str(ctx, in, &s) &&
           tpl_str_case(ctx, s, TPL_CASE_CAPITALIZE, out);
}

static bool is_title_sep(uint32_t cp) {
    return cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || tpl_uni_space(cp);
}

/* Jinja's title: split on runs of [-\s({\[<], then item[0].upper() + item[1:].lower() */
static bool f_title(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    tpl_value s;
    if (!no_args(ctx, "do_title", args) || !tpl_soft_str(ctx, in, &s)) return false;
    const char *d = s.u.s->data;
    size_t len = s.u.s->len, i = 0;
    if (!tpl_charge_bytes(ctx, len * 4)) return false;
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    while (i < len) {
        uint32_t cp;
        size_t n = tpl_utf8_decode(d + i, len - i, &cp);
        bool sep = is_title_sep(cp);
        size_t j = i + n;
        while (j < len) {
            size_t m = tpl_utf8_decode(d + j, len - j, &cp);
            if (is_title_sep(cp) != sep) break;
            j += m;
        }
        /* item = d[i:j]; first character upper, the rest lower */
        tpl_value first, rest, up, low;
        if (!tpl_str_new(ctx, d + i, n, &first) || !tpl_str_new(ctx, d + i + n, j - i - n, &rest) ||
            !tpl_str_case(ctx, first, TPL_CASE_UPPER, &up) ||
            !tpl_str_case(ctx, rest, TPL_CASE_LOWER, &low) ||
            !tpl_buf_put(ctx, &b, up.u.s->data, up.u.s->len) ||
            !tpl_buf_put(ctx, &b, low.u.s->data, low.u.s->len))
            return false;
        i = j;
    }
    return tpl_buf_to_str(ctx, &b, out);
}

static bool f_center(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_center", "width");
    tpl_value s;
    int64_t width = 80;
    if (!tpl_soft_str(ctx, in, &s)) return false;
    if (p[0] && !tpl_arg_int(ctx, "center", v[0], &width)) return false;
    return tpl_str_pad(ctx, s, width, " ", 1, '^', out);
}

bool tpl_html_escape(tpl_ctx *ctx, tpl_buf *b, const char *s, size_t len) {
    if (!tpl_charge_bytes(ctx, len)) return false;
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&#34;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        if (!tpl_buf_put(ctx, b, s + run, i - run) || !tpl_buf_puts(ctx, b, rep)) return false;
        run = i + 1;
    }
    return tpl_buf_put(ctx, b, s + run, len - run);
}

static bool f_escape(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    tpl_value s;
    tpl_buf b = {0};
    return no_args(ctx, "escape", args) && tpl_soft_str(ctx, in, &s) &&
           tpl_buf_put(ctx, &b, "", 0) && tpl_html_escape(ctx, &b, s.u.s->data, s.u.s->len) &&
           tpl_buf_to_str(ctx, &b, out);
}

static bool f_string(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    return no_args(ctx, "soft_str", args) && tpl_soft_str(ctx, in, out);
}

static bool f_safe(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    /* Markup(x) with autoescape off: prints as str(x); strings stay as they are */
    if (!no_args(ctx, "do_mark_safe", args)) return false;
    if (in.kind == TPL_STR) {
        *out = in;
        return true;
    }
    return tpl_soft_str(ctx, in, out);
}

static bool f_format(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    if (args->n_pos && args->n_kw)
        return tpl_fail(ctx, TPL_E_FILTER_ARG,
                        "can't handle positional and keyword arguments at the same time");
    tpl_value s, fargs;
    if (!tpl_soft_str(ctx, in, &s)) return false;
    if (args->n_kw) {
        if (!tpl_dict_new(ctx, &fargs)) return false;
        for (size_t i = 0; i < args->n_kw; i++)
            if (!tpl_dict_set_str(ctx, fargs.u.dict, args->kw_names[i], args->kw[i])) return false;
    } else {
        if (!tpl_tuple_new(ctx, args->n_pos, &fargs)) return false;
        for (size_t i = 0; i < args->n_pos; i++) fargs.u.list->items[i] = args->pos[i];
        fargs.u.list->n = args->n_pos;
    }
    return tpl_format_percent(ctx, s, fargs, out);
}

static bool f_trim(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_trim", "chars");
    tpl_value s, chars = p[0] ? v[0] : tpl_none();
    if (!tpl_soft_str(ctx, in, &s) || !tpl_check_defined(ctx, chars)) return false;
    if (chars.kind != TPL_NONE && chars.kind != TPL_STR)
        return tpl_fail(ctx, TPL_E_TYPE, "strip arg must be None or str");
    return tpl_str_strip(ctx, s, chars, true, true, out);
}

static bool f_replace(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_replace", "old", "new", "count");
    tpl_value s, old, nw;
    int64_t count = -1;
    if (!p[0] || !p[1])
        return tpl_fail(ctx, TPL_E_TYPE, "do_replace() missing required positional argument");
    if (!tpl_soft_str(ctx, in, &s) || !tpl_soft_str(ctx, v[0], &old) || !tpl_soft_str(ctx, v[1], &nw))
        return false;
    if (p[2] && v[2].kind != TPL_NONE && !tpl_arg_int(ctx, "replace", v[2], &count)) return false;
    return tpl_str_replace(ctx, s, old, nw, count, out);
}

/* Python's str.splitlines() boundaries. */
static size_t line_end(const char *s, size_t len, size_t i, size_t *next) {
    while (i < len) {
        uint32_t cp;
        size_t n = tpl_utf8_decode(s + i, len - i, &cp);
        if (cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c || cp == 0x1c || cp == 0x1d ||
            cp == 0x1e || cp == 0x85 || cp == 0x2028 || cp == 0x2029) {
            *next = i + n;
            if (cp == '\r' && *next < len && s[*next] == '\n') (*next)++;
            return i;
        }
        i += n;
    }
    *next = len;
    return len;
}

static bool f_indent(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_indent", "width", "first", "blank");
    tpl_value s, ind;
    bool first, blank;
    if (!tpl_soft_str(ctx, in, &s) || !tpl_arg_bool(ctx, v[1], p[1], false, &first) ||
        !tpl_arg_bool(ctx, v[2], p[2], false, &blank))
        return false;
    if (p[0] && v[0].kind == TPL_STR) {
        ind = v[0];
    } else {
        tpl_value sp;
        if (!tpl_str_new(ctx, " ", 1, &sp)) return false;
        if (!tpl_binop(ctx, "*", sp, p[0] ? v[0] : tpl_int(4), &ind)) return false;
        if (ind.kind != TPL_STR) return tpl_fail(ctx, TPL_E_TYPE, "indent width must be int or str");
    }
    /* s += "\n", then split into lines */
    const char *d = s.u.s->data;
    size_t len = s.u.s->len;
    tpl_buf text = {0};
    if (!tpl_buf_put(ctx, &text, d, len) || !tpl_buf_putc(ctx, &text, '\n')) return false;
    d = text.data;
    len = text.len;
    if (!tpl_charge_bytes(ctx, len)) return false;
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    if (first && !tpl_buf_put(ctx, &b, ind.u.s->data, ind.u.s->len)) return false;
    size_t i = 0;
    bool first_line = true;
    while (i < len) {
        size_t next, end = line_end(d, len, i, &next);
        if (!first_line) {
            if (!tpl_buf_putc(ctx, &b, '\n')) return false;
            if ((blank || end > i) && !tpl_buf_put(ctx, &b, ind.u.s->data, ind.u.s->len)) return false;
        }
        if (!tpl_buf_put(ctx, &b, d + i, end - i) || !tpl_step(ctx)) return false;
        first_line = false;
        i = next;
    }
    return tpl_buf_to_str(ctx, &b, out);
}

static bool f_truncate(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_truncate", "length", "killwords", "end", "leeway");
    tpl_value s, end;
    int64_t length = 255, leeway = 5;
    bool killwords;
    if (!tpl_soft_str(ctx, in, &s)) return false;
    if (p[0] && !tpl_arg_int(ctx, "truncate", v[0], &length)) return false;
    if (!tpl_arg_bool(ctx, v[1], p[1], false, &killwords)) return false;
    if (p[2]) {
        if (!tpl_arg_str(ctx, "truncate", v[2])) return false;
        end = v[2];
    } else if (!tpl_str_new(ctx, "...", 3, &end)) {
        return false;
    }
    if (p[3] && v[3].kind != TPL_NONE && !tpl_arg_int(ctx, "truncate", v[3], &leeway)) return false;
    int64_t end_n = (int64_t)tpl_utf8_count(end.u.s->data, end.u.s->len);
    if (length < end_n)
        return tpl_fail(ctx, "AssertionError", "expected length >= %lld, got %lld", (long long)end_n,
                        (long long)length);
    if (leeway < 0) return tpl_fail(ctx, "AssertionError", "expected leeway >= 0, got %lld", (long long)leeway);
    if (!tpl_charge_bytes(ctx, s.u.s->len)) return false;
    int64_t n = (int64_t)tpl_utf8_count(s.u.s->data, s.u.s->len);
    if (n <= length || n - length <= leeway) {
        *out = s;
        return true;
    }
    size_t cut = tpl_utf8_offset(s.u.s->data, s.u.s->len, (size_t)(length - end_n));
    size_t keep = cut;
    if (!killwords) {
        /* s[:cut].rsplit(" ", 1)[0] */
        for (size_t k = cut; k-- > 0;)
            if (s.u.s->data[k] == ' ') {
                keep = k;
                break;
            }
    }
    tpl_buf b = {0};
    return tpl_buf_put(ctx, &b, s.u.s->data, keep) && tpl_buf_put(ctx, &b, end.u.s->data, end.u.s->len) &&
           tpl_buf_to_str(ctx, &b, out);
}

static bool f_wordcount(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    tpl_value s;
    if (!no_args(ctx, "do_wordcount", args) || !tpl_soft_str(ctx, in, &s)) return false;
    if (!tpl_charge_bytes(ctx, s.u.s->len)) return false;
    int64_t words = 0;
    bool in_word = false;
    for (size_t i = 0; i < s.u.s->len;) {
        uint32_t cp;
        i += tpl_utf8_decode(s.u.s->data + i, s.u.s->len - i, &cp);
        bool w = cp == '_' || tpl_uni_alnum(cp); /* regex \w */
        if (w && !in_word) words++;
        in_word = w;
    }
    *out = tpl_int(words);
    return true;
}

/* HTML entity decoding for striptags (the common named entities and numeric ones). */
static const struct {
    const char *name, *text;
} entities[] = {{"amp", "&"},      {"lt", "<"},       {"gt", ">"},       {"quot", "\""},
                {"apos", "'"},     {"nbsp", "\xc2\xa0"}, {"raquo", "\xc2\xbb"}, {"laquo", "\xc2\xab"},
                {"copy", "\xc2\xa9"}, {"reg", "\xc2\xae"}, {"mdash", "\xe2\x80\x94"},
                {"ndash", "\xe2\x80\x93"}, {"hellip", "\xe2\x80\xa6"}, {"euro", "\xe2\x82\xac"}};

static bool unescape_html(tpl_ctx *ctx, tpl_buf *b, const char *s, size_t len) {
    for (size_t i = 0; i < len;) {
        if (s[i] != '&') {
            if (!tpl_buf_putc(ctx, b, s[i])) return false;
            i++;
            continue;
        }
        size_t j = i + 1;
        if (j < len && s[j] == '#') {
            j++;
            bool hex = j < len && (s[j] == 'x' || s[j] == 'X');
            if (hex) j++;
            uint32_t cp = 0;
            size_t start = j;
            while (j < len && j - start < 8) {
                char c = s[j];
                int d = c >= '0' && c <= '9' ? c - '0'
                        : hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                                        : -1;
                if (d < 0) break;
                cp = cp * (hex ? 16 : 10) + (uint32_t)d;
                j++;
            }
            if (j > start) {
                if (j < len && s[j] == ';') j++;
                if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
                char enc[4];
                if (!tpl_buf_put(ctx, b, enc, tpl_utf8_encode(cp, enc))) return false;
                i = j;
                continue;
            }
        } else {
            bool done = false;
            for (size_t k = 0; k < sizeof entities / sizeof entities[0] && !done; k++) {
                size_t n = strlen(entities[k].name);
                if (j + n <= len && memcmp(s + j, entities[k].name, n) == 0) {
                    size_t e = j + n;
                    if (e < len && s[e] == ';') e++;
                    if (!tpl_buf_puts(ctx, b, entities[k].text)) return false;
                    i = e;
                    done = true;
                }
            }
            if (done) continue;
        }
        if (!tpl_buf_putc(ctx, b, '&')) return false;
        i++;
    }
    return true;
}

static bool f_striptags(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    tpl_value s;
    if (!no_args(ctx, "do_striptags", args) || !tpl_soft_str(ctx, in, &s)) return false;
    const char *d = s.u.s->data;
    size_t len = s.u.s->len;
    if (!tpl_charge_bytes(ctx, len * 2)) return false;
    /* remove <!-- ... --> then <...>, each shortest match */
    tpl_buf a = {0}, c = {0};
    if (!tpl_buf_put(ctx, &a, "", 0) || !tpl_buf_put(ctx, &c, "", 0)) return false;
    for (size_t i = 0; i < len;) {
        const char *end;
        if (i + 4 <= len && memcmp(d + i, "<!--", 4) == 0 &&
            (end = memmem(d + i + 4, len - i - 4, "-->", 3)) != NULL) {
            i = (size_t)(end - d) + 3;
            continue;
        }
        if (!tpl_buf_putc(ctx, &a, d[i])) return false;
        i++;
    }
    for (size_t i = 0; i < a.len;) {
        const char *end;
        if (a.data[i] == '<' && (end = memchr(a.data + i + 1, '>', a.len - i - 1)) != NULL) {
            i = (size_t)(end - a.data) + 1;
            continue;
        }
        if (!tpl_buf_putc(ctx, &c, a.data[i])) return false;
        i++;
    }
    /* " ".join(value.split()) */
    tpl_buf w = {0};
    if (!tpl_buf_put(ctx, &w, "", 0)) return false;
    bool pending = false;
    for (size_t i = 0; i < c.len;) {
        uint32_t cp;
        size_t n = tpl_utf8_decode(c.data + i, c.len - i, &cp);
        if (tpl_uni_space(cp)) {
            pending = w.len > 0;
        } else {
            if (pending && !tpl_buf_putc(ctx, &w, ' ')) return false;
            pending = false;
            if (!tpl_buf_put(ctx, &w, c.data + i, n)) return false;
        }
        i += n;
    }
    tpl_buf r = {0};
    return tpl_buf_put(ctx, &r, "", 0) && unescape_html(ctx, &r, w.data, w.len) &&
           tpl_buf_to_str(ctx, &r, out);
}

/* urllib.parse.quote: unreserved characters and `safe` stay, the rest is %XX (UTF-8). */
static bool url_quote(tpl_ctx *ctx, tpl_buf *b, tpl_value v, bool for_qs) {
    tpl_value s;
    if (!tpl_soft_str(ctx, v, &s) || !tpl_charge_bytes(ctx, s.u.s->len * 3)) return false;
    for (size_t i = 0; i < s.u.s->len; i++) {
        unsigned char c = (unsigned char)s.u.s->data[i];
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-' || c == '~' || (c == '/' && !for_qs);
        bool ok = keep ? tpl_buf_putc(ctx, b, (char)c)
                  : (c == ' ' && for_qs) ? tpl_buf_putc(ctx, b, '+')
                                         : tpl_buf_printf(ctx, b, "%%%02X", c);
        if (!ok) return false;
    }
    return true;
}

static bool f_urlencode(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    if (!no_args(ctx, "do_urlencode", args) || !tpl_check_defined(ctx, in)) return false;
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    bool iterable = in.kind == TPL_LIST || in.kind == TPL_TUPLE || in.kind == TPL_DICT ||
                    tpl_view_kind_of(in) != TPL_VIEW_NONE || tpl_is_range(in);
    if (!iterable) return url_quote(ctx, &b, in, false) && tpl_buf_to_str(ctx, &b, out);
    tpl_list *items;
    if (in.kind == TPL_DICT) {
        tpl_value view;
        if (!tpl_view_new(ctx, in.u.dict, TPL_VIEW_ITEMS, &view) || !tpl_iterate(ctx, view, &items))
            return false;
    } else if (!tpl_iterate(ctx, in, &items)) {
        return false;
    }
    for (size_t i = 0; i < items->n; i++) {
        tpl_list *pair;
        if (!tpl_iterate(ctx, items->items[i], &pair)) return false;
        if (pair->n != 2)
            return tpl_fail(ctx, TPL_E_VALUE, "too many values to unpack (expected 2)");
        if ((i && !tpl_buf_putc(ctx, &b, '&')) || !url_quote(ctx, &b, pair->items[0], true) ||
            !tpl_buf_putc(ctx, &b, '=') || !url_quote(ctx, &b, pair->items[1], true))
            return false;
    }
    return tpl_buf_to_str(ctx, &b, out);
}

static bool f_xmlattr(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_xmlattr", "autospace");
    bool autospace;
    if (!tpl_arg_bool(ctx, v[0], p[0], true, &autospace) || !tpl_check_defined(ctx, in)) return false;
    if (in.kind != TPL_DICT)
        return tpl_fail(ctx, TPL_E_ATTRIBUTE, "'%s' object has no attribute 'items'", tpl_type_name(in));
    const tpl_dict *d = in.u.dict;
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    bool any = false;
    for (size_t i = 0; i < d->n; i++) {
        tpl_value key = d->keys[i], val = d->vals[i], ks, vs;
        if (val.kind == TPL_NONE || val.kind == TPL_UNDEFINED) continue;
        if (key.kind != TPL_STR)
            return tpl_fail(ctx, TPL_E_TYPE, "expected string or bytes-like object, got '%s'",
                            tpl_type_name(key));
        for (size_t k = 0; k < key.u.s->len; k++) {
            char c = key.u.s->data[k];
            if (c == ' ' || (c >= '\t' && c <= '\r') || c == '/' || c == '>' || c == '=') {
                tpl_value r;
                if (!tpl_repr(ctx, key, &r)) return false;
                return tpl_fail(ctx, TPL_E_VALUE, "Invalid character in attribute name: %s", r.u.s->data);
            }
        }
        if (!tpl_soft_str(ctx, key, &ks) || !tpl_soft_str(ctx, val, &vs)) return false;
        if ((any || autospace) && !tpl_buf_putc(ctx, &b, ' ')) return false;
        if (!tpl_html_escape(ctx, &b, ks.u.s->data, ks.u.s->len) || !tpl_buf_puts(ctx, &b, "=\"") ||
            !tpl_html_escape(ctx, &b, vs.u.s->data, vs.u.s->len) || !tpl_buf_putc(ctx, &b, '"'))
            return false;
        any = true;
    }
    return tpl_buf_to_str(ctx, &b, out);
}

const tpl_filter_entry tpl_filters_str[] = {
    {"capitalize", f_capitalize},
    {"center", f_center},
    {"e", f_escape},
    {"escape", f_escape},
    {"forceescape", f_escape},
    {"format", f_format},
    {"indent", f_indent},
    {"lower", f_lower},
    {"replace", f_replace},
    {"safe", f_safe},
    {"string", f_string},
    {"striptags", f_striptags},
    {"title", f_title},
    {"trim", f_trim},
    {"truncate", f_truncate},
    {"upper", f_upper},
    {"urlencode", f_urlencode},
    {"wordcount", f_wordcount},
    {"xmlattr", f_xmlattr},
    {NULL, NULL},
};
