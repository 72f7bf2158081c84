/* The wordwrap filter: Python's textwrap.wrap (expand_tabs=False, replace_whitespace=False,
 * drop_whitespace=True) on each line, with textwrap's hyphen-aware word splitting. */
#include "template/tpl_impl.h"

#include <string.h>

typedef struct span {
    size_t start, end; /* code point range */
} span;

static bool tw_space(uint32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == 0x0c || c == '\r'; }
static bool is_word(uint32_t c) { return c == '_' || tpl_uni_alnum(c); }
static bool is_letter(uint32_t c) { return is_word(c) && !tpl_uni_decimal(c); } /* [^\d\W] */
static bool is_word_punct(uint32_t c) {
    return is_word(c) || c == '!' || c == '"' || c == '\'' || c == '&' || c == '.' || c == ',' || c == '?';
}

/* At t[at]: two or more dashes followed by a word character. */
static bool dashes_then_word(const uint32_t *t, size_t n, size_t at) {
    size_t k = at;
    while (k < n && t[k] == '-') k++;
    return k - at >= 2 && k < n && is_word(t[k]);
}

/* textwrap's wordsep_re (break_on_hyphens) or whitespace split. */
static bool split_chunks(tpl_ctx *ctx, const uint32_t *t, size_t n, bool hyphens, span **out, size_t *count) {
    span *chunks = tpl_alloc(ctx, (n + 1) * sizeof(span));
    if (chunks == NULL) return false;
    size_t c = 0, pos = 0;
    while (pos < n) {
        if (!tpl_step(ctx)) return false;
        size_t end = pos;
        if (tw_space(t[pos])) {
            while (end < n && tw_space(t[end])) end++;
        } else if (!hyphens) {
            while (end < n && !tw_space(t[end])) end++;
        } else if (pos > 0 && is_word_punct(t[pos - 1]) && dashes_then_word(t, n, pos)) {
            while (end < n && t[end] == '-') end++; /* an em-dash between words */
        } else {
            end = pos + 1; /* nws+? : grow until one of the endings matches */
            for (;;) {
                if (end >= n || tw_space(t[end])) break; /* end of word */
                if (t[end] == '-') {
                    bool behind = (end >= 2 && is_letter(t[end - 2]) && is_letter(t[end - 1])) ||
                                  (end >= 3 && is_letter(t[end - 3]) && t[end - 2] == '-' && is_letter(t[end - 1]));
                    bool ahead = end + 1 < n && is_letter(t[end + 1]) &&
                                 ((end + 2 < n && is_letter(t[end + 2])) ||
                                  (end + 3 < n && t[end + 2] == '-' && is_letter(t[end + 3])));
                    if (behind && ahead) {
                        end++; /* a hyphenated word breaks after its hyphen */
                        break;
                    }
                }
                if (is_word_punct(t[end - 1]) && dashes_then_word(t, n, end)) break; /* before an em-dash */
                end++;
            }
        }
        chunks[c].start = pos;
        chunks[c].end = end;
        c++;
        pos = end;
    }
    *out = chunks;
    *count = c;
    return true;
}

static bool all_space(const uint32_t *t, span s) {
    for (size_t i = s.start; i < s.end; i++)
        if (!tpl_uni_space(t[i])) return false;
    return true;
}

static bool put_span(tpl_ctx *ctx, tpl_buf *b, const uint32_t *t, span s) {
    for (size_t i = s.start; i < s.end; i++) {
        char enc[4];
        if (!tpl_buf_put(ctx, b, enc, tpl_utf8_encode(t[i], enc))) return false;
    }
    return true;
}

/* textwrap's _wrap_chunks; lines are appended to b separated by wrapstring. */
static bool wrap_line(tpl_ctx *ctx, tpl_buf *b, const uint32_t *t, size_t n, int64_t width, bool long_words,
                      bool hyphens, tpl_value wrapstring, bool *first_out) {
    span *chunks;
    size_t count;
    if (width <= 0) return tpl_fail(ctx, TPL_E_VALUE, "invalid width %lld (must be > 0)", (long long)width);
    if (!split_chunks(ctx, t, n, hyphens, &chunks, &count)) return false;
    span *line = tpl_alloc(ctx, (count + 1) * sizeof(span));
    if (line == NULL) return false;
    size_t next = 0, lines = 0;
    while (next < count) {
        size_t nl = 0;
        int64_t cur_len = 0;
        if (all_space(t, chunks[next]) && lines) next++;
        while (next < count) {
            int64_t l = (int64_t)(chunks[next].end - chunks[next].start);
            if (cur_len + l > width) break;
            line[nl++] = chunks[next++];
            cur_len += l;
            if (!tpl_step(ctx)) return false;
        }
        if (next < count && (int64_t)(chunks[next].end - chunks[next].start) > width) {
            /* _handle_long_word */
            int64_t space_left = width < 1 ? 1 : width - cur_len;
            span ch = chunks[next];
            if (long_words) {
                int64_t end = space_left, len = (int64_t)(ch.end - ch.start);
                if (hyphens && len > space_left) {
                    int64_t hyphen = -1;
                    for (int64_t k = space_left - 1; k >= 0; k--)
                        if (t[ch.start + (size_t)k] == '-') {
                            hyphen = k;
                            break;
                        }
                    bool non_dash = false;
                    for (int64_t k = 0; k < hyphen; k++)
                        if (t[ch.start + (size_t)k] != '-') non_dash = true;
                    if (hyphen > 0 && non_dash) end = hyphen + 1;
                }
                line[nl].start = ch.start;
                line[nl].end = ch.start + (size_t)end;
                nl++;
                chunks[next].start += (size_t)end;
            } else if (nl == 0) {
                line[nl++] = chunks[next++];
            }
        }
        if (nl > 0 && all_space(t, line[nl - 1])) nl--;
        if (nl > 0) {
            if (!*first_out && !tpl_buf_put(ctx, b, wrapstring.u.s->data, wrapstring.u.s->len)) return false;
            *first_out = false;
            for (size_t k = 0; k < nl; k++)
                if (!put_span(ctx, b, t, line[k])) return false;
            lines++;
        }
    }
    return true;
}

bool tpl_wordwrap(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    tpl_value v[5], s, wrapstring;
    bool p[5], long_words, hyphens;
    int64_t width = 79;
    if (!tpl_bind_args(ctx, "do_wordwrap", args,
                       TPL_NAMES("width", "break_long_words", "wrapstring", "break_on_hyphens"), v, p))
        return false;
    if (!tpl_soft_str(ctx, in, &s)) return false;
    if (p[0] && !tpl_arg_int(ctx, "wordwrap", v[0], &width)) return false;
    if (!tpl_arg_bool(ctx, v[1], p[1], true, &long_words) || !tpl_arg_bool(ctx, v[3], p[3], true, &hyphens))
        return false;
    if (p[2] && v[2].kind != TPL_NONE) {
        if (!tpl_arg_str(ctx, "wordwrap", v[2])) return false;
        wrapstring = v[2];
    } else if (!tpl_str_new(ctx, "\n", 1, &wrapstring)) {
        return false;
    }
    const char *d = s.u.s->data;
    size_t len = s.u.s->len;
    if (!tpl_charge_bytes(ctx, len * 4)) return false;
    uint32_t *t = tpl_alloc(ctx, (len + 1) * sizeof(uint32_t));
    if (t == NULL) return false;
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    /* splitlines, then wrapstring.join(wrapstring.join(wrap(line)) for line) */
    size_t i = 0;
    bool first_line = true;
    while (i < len) {
        size_t n = 0;
        uint32_t cp = 0;
        size_t j = i;
        while (j < len) {
            size_t m = tpl_utf8_decode(d + j, len - j, &cp);
            if (cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c || cp == 0x1c || cp == 0x1d || cp == 0x1e ||
                cp == 0x85 || cp == 0x2028 || cp == 0x2029)
                break;
            t[n++] = cp;
            j += m;
        }
        if (!first_line && !tpl_buf_put(ctx, &b, wrapstring.u.s->data, wrapstring.u.s->len)) return false;
        first_line = false;
        bool first_piece = true;
        if (!wrap_line(ctx, &b, t, n, width, long_words, hyphens, wrapstring, &first_piece)) return false;
        if (j < len) {
            size_t m = tpl_utf8_decode(d + j, len - j, &cp);
            j += m;
            if (cp == '\r' && j < len && d[j] == '\n') j++;
        }
        i = j;
    }
    return tpl_buf_to_str(ctx, &b, out);
}
