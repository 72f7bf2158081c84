/* Forgather's source preprocessor (spec A.2): sub-template split, per-line rewrite of
 * comments and line statements, TOML-style block headers. The rules are Python regexes
 * in Forgather; each is matched here by a small hand-written scanner with the same
 * result (the character classes have no overlap, so no backtracking is needed). One
 * pass over the lines does steps 2 and 3 together: a rewritten line is final before the
 * next is read, and closing a TOML block only ever appends to the last output line. */
#include "template/tpl_source.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* ---- character classes (Python `re` on str) ---------------------------------------- */

/* Byte length of a whitespace character ending just before p, else 0. */
static size_t space_len_before(const unsigned char *begin, const unsigned char *p) {
    for (size_t n = 1; n <= 3 && n <= (size_t)(p - begin); n++)
        if (tpl_py_space_len(p - n, p) == n) return n;
    return 0;
}

/* Skips `\s*`; *count (if given) gets the number of characters skipped. */
static const unsigned char *skip_spaces(const unsigned char *p, const unsigned char *end,
                                        size_t *count) {
    size_t n, chars = 0;
    while ((n = tpl_py_space_len(p, end)) > 0) {
        p += n;
        chars++;
    }
    if (count) *count = chars;
    return p;
}

/* ---- growable output ------------------------------------------------------------- */

typedef struct pp_buf {
    char *data;
    size_t len, cap; /* cap always leaves room for the terminating NUL */
} pp_buf;

static int buf_add(pp_buf *b, const void *s, size_t n) {
    if (n > SIZE_MAX - b->len - 1) return 0;
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        char *p = realloc(b->data, cap);
        if (p == NULL) return 0;
        b->data = p;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 1;
}

static int buf_str(pp_buf *b, const char *s) { return buf_add(b, s, strlen(s)); }

/* ---- sub-template split ------------------------------------------------------------ */

/* Is raw[i] a line break as Python's (\n|\r\n|\r) counts them (a \r before \n is not)? */
static int is_break(const unsigned char *s, size_t len, size_t i) {
    return s[i] == '\n' || (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n'));
}

/* `[\w./]`: byte length of a sub-template name character at p, else 0. */
static size_t name_char_len(const unsigned char *p, const unsigned char *e) {
    return p < e && (*p == '.' || *p == '/') ? 1 : tpl_py_word_len(p, e);
}

/* Matches `\n#\s*-{3,}\s*([\w./]+)\s*-{3,}\n` at s[at] (which is '\n'): on success sets
 * the name and *end just past the closing '\n'. */
static int match_marker(const unsigned char *s, size_t len, size_t at, const unsigned char **name,
                        size_t *name_len, size_t *end) {
    const unsigned char *e = s + len, *p = s + at + 1;
    if (p >= e || *p != '#') return 0;
    p = skip_spaces(p + 1, e, NULL);
    const unsigned char *d = p;
    while (p < e && *p == '-') p++;
    if (p - d < 3) return 0;
    p = skip_spaces(p, e, NULL);
    const unsigned char *n = p;
    for (size_t w; (w = name_char_len(p, e)) > 0;) p += w;
    if (p == n) return 0;
    *name = n;
    *name_len = (size_t)(p - n);
    p = skip_spaces(p, e, NULL);
    d = p;
    while (p < e && *p == '-') p++;
    if (p - d < 3 || p >= e || *p != '\n') return 0;
    *end = (size_t)(p + 1 - s);
    return 1;
}

fg_status tpl_split_subtemplates(const char *raw, size_t len, tpl_chunk **chunks,
                                 size_t *n_chunks, fg_error *err) {
    if (raw == NULL) raw = ""; /* (NULL, 0) is an empty text */
    const unsigned char *s = (const unsigned char *)raw;
    size_t cap = 4, n = 0;
    tpl_chunk *v = malloc(cap * sizeof *v);
    if (v == NULL) return fg_error_set(err, FG_E_NOMEM, "out of memory splitting a template");
    v[n++] = (tpl_chunk){NULL, 0, raw, len, 1};
    size_t counted = 0; /* line breaks are counted in s[0..counted) */
    long long breaks = 0;
    for (size_t i = 0; i < len; i++) {
        const unsigned char *name;
        size_t name_len, end;
        if (s[i] != '\n' || !match_marker(s, len, i, &name, &name_len, &end)) continue;
        for (; counted < end; counted++) breaks += is_break(s, len, counted);
        if (breaks >= INT_MAX) {
            free(v);
            return fg_error_set(err, FG_E_RANGE, "template has more than %d lines", INT_MAX);
        }
        v[n - 1].len = (size_t)((const char *)s + i - v[n - 1].text);
        if (n == cap) {
            tpl_chunk *w = cap > SIZE_MAX / 2 / sizeof *v ? NULL : realloc(v, 2 * cap * sizeof *v);
            if (w == NULL) {
                free(v);
                return fg_error_set(err, FG_E_NOMEM, "out of memory splitting a template");
            }
            v = w;
            cap *= 2;
        }
        v[n++] = (tpl_chunk){(const char *)name, name_len, raw + end, len - end, (int)breaks + 1};
        i = end - 1; /* the search resumes after the marker, as re.finditer does */
    }
    *chunks = v;
    *n_chunks = n;
    return FG_OK;
}

/* ---- per-line rewrite and TOML blocks ------------------------------------------- */

typedef struct open_block {
    const unsigned char *name;
    size_t name_len;
    size_t indent; /* characters of leading whitespace of its header */
    int trimmed;   /* `[name!]`: wrapped in {% filter trim %} */
} open_block;

typedef struct pp_state {
    pp_buf out;
    size_t last_line_start; /* offset of the last output line in out */
    int *map;
    size_t n_lines, map_cap;
    open_block *blocks;
    size_t n_blocks, blocks_cap;
} pp_state;

/* Starts a new output line that came from source line `line`. */
static int new_line(pp_state *st, int line) {
    if (st->n_lines > 0 && !buf_add(&st->out, "\n", 1)) return 0;
    if (st->n_lines == st->map_cap) {
        size_t cap = st->map_cap ? st->map_cap * 2 : 64;
        int *m = cap > SIZE_MAX / sizeof *m ? NULL : realloc(st->map, cap * sizeof *m);
        if (m == NULL) return 0;
        st->map = m;
        st->map_cap = cap;
    }
    st->map[st->n_lines++] = line;
    st->last_line_start = st->out.len;
    return 1;
}

/* Closes the innermost TOML block: its closing text goes at the end of the last output
 * line, after a printed newline when that line has text (so the block's own output
 * ends with one); `+%}` keeps trim_blocks from eating the newline after it. */
static int close_block(pp_state *st) {
    open_block *b = &st->blocks[--st->n_blocks];
    if (st->out.len > st->last_line_start && !buf_str(&st->out, "{{'\\n'}}")) return 0;
    return buf_str(&st->out, "{% endblock ") && buf_add(&st->out, b->name, b->name_len) &&
           buf_str(&st->out, " +%}") && (!b->trimmed || buf_str(&st->out, "{% endfilter %}"));
}

/* Matches `^(\s*)\[(\w+)(!)*\]\s*$` on a whole line. */
static int match_header(const unsigned char *l, size_t n, open_block *hdr) {
    const unsigned char *e = l + n, *p = skip_spaces(l, e, &hdr->indent);
    if (p >= e || *p++ != '[') return 0;
    hdr->name = p;
    for (size_t w; (w = tpl_py_word_len(p, e)) > 0;) p += w;
    hdr->name_len = (size_t)(p - hdr->name);
    hdr->trimmed = p < e && *p == '!';
    while (p < e && *p == '!') p++;
    if (hdr->name_len == 0 || p >= e || *p++ != ']') return 0;
    return skip_spaces(p, e, NULL) == e;
}

/* Step 3 for a line that is not a line statement: a header closes the blocks it ends
 * and opens its own; any other line is copied. */
static int emit_plain_line(pp_state *st, const unsigned char *l, size_t n, int line) {
    open_block hdr;
    if (!match_header(l, n, &hdr)) return new_line(st, line) && buf_add(&st->out, l, n);
    while (st->n_blocks > 0 && st->blocks[st->n_blocks - 1].indent >= hdr.indent)
        if (!close_block(st)) return 0;
    if (st->n_blocks == st->blocks_cap) {
        size_t cap = st->blocks_cap ? st->blocks_cap * 2 : 8;
        open_block *b = cap > SIZE_MAX / sizeof *b ? NULL : realloc(st->blocks, cap * sizeof *b);
        if (b == NULL) return 0;
        st->blocks = b;
        st->blocks_cap = cap;
    }
    st->blocks[st->n_blocks++] = hdr;
    return new_line(st, line) && (!hdr.trimmed || buf_str(&st->out, "{% filter trim %}")) &&
           buf_str(&st->out, "{% block ") && buf_add(&st->out, hdr.name, hdr.name_len) &&
           buf_str(&st->out, " %}");
}

/* Length of the line once a trailing comment is cut: Python's fullmatch of
 * `(.*)\s+#{2,}.*` keeps group 1, which ends before the LAST whitespace character that
 * is directly followed by "##". */
static size_t cut_trailing_comment(const unsigned char *l, size_t n) {
    if (n < 3) return n;
    for (size_t j = n - 2; j >= 1; j--) {
        size_t ws;
        if (l[j] == '#' && l[j + 1] == '#' && (ws = space_len_before(l, l + j)) > 0)
            return j - ws;
    }
    return n;
}

/* Steps 2 and 3 for one source line (no line break inside). */
static int rewrite_line(pp_state *st, const unsigned char *l, size_t n, int line) {
    const unsigned char *e = l + n, *p = skip_spaces(l, e, NULL);
    if (e - p >= 2 && p[0] == '#' && p[1] == '#') return 1; /* `\s*##.*`: line deleted */
    n = cut_trailing_comment(l, n);
    e = l + n;
    size_t ws;
    if (e - p < 3 || (ws = tpl_py_space_len(p + 2, e)) == 0)
        return emit_plain_line(st, l, n, line);
    static const struct {
        char marker[3];
        const char *open, *close;
    } statements[] = {
        {"--", "{% ", " %}"},  {"<<", "{%- ", " %}"}, {">>", "{% ", " -%}"},
        {"==", "{{ ", " }}"},  {"=>", "{{ ", "|trim('\\n')}}"},
    };
    for (size_t k = 0; k < sizeof statements / sizeof statements[0]; k++) {
        if (memcmp(p, statements[k].marker, 2) != 0) continue;
        const unsigned char *body = p + 2 + ws;
        return new_line(st, line) && buf_str(&st->out, statements[k].open) &&
               buf_add(&st->out, body, (size_t)(e - body)) &&
               buf_str(&st->out, statements[k].close);
    }
    return emit_plain_line(st, l, n, line);
}

static void state_free(pp_state *st) {
    free(st->out.data);
    free(st->map);
    free(st->blocks);
}

void tpl_source_clear(tpl_source *src) {
    if (src == NULL) return;
    free(src->name);
    free(src->path);
    free(src->text);
    free(src->line_map);
    memset(src, 0, sizeof *src);
}

fg_status tpl_preprocess(const char *raw, size_t len, int first_line, tpl_source *out,
                         fg_error *err) {
    memset(out, 0, sizeof *out);
    if (raw == NULL) raw = ""; /* (NULL, 0) is an empty text */
    const unsigned char *s = (const unsigned char *)raw;
    pp_state st = {0};
    int ok = buf_add(&st.out, "", 0);
    long long line = first_line;
    for (size_t pos = 0; ok;) {
        size_t eol = pos;
        while (eol < len && s[eol] != '\n' && s[eol] != '\r') eol++;
        if (line > INT_MAX) {
            state_free(&st);
            return fg_error_set(err, FG_E_RANGE, "template has more than %d lines", INT_MAX);
        }
        ok = rewrite_line(&st, s + pos, eol - pos, (int)line);
        if (eol == len) break;
        pos = eol + (s[eol] == '\r' && eol + 1 < len && s[eol + 1] == '\n' ? 2 : 1);
        line++;
    }
    while (ok && st.n_blocks > 0) ok = close_block(&st);
    if (ok && st.n_lines == 0) ok = new_line(&st, first_line); /* every line was a comment */
    if (!ok) {
        state_free(&st);
        return fg_error_set(err, FG_E_NOMEM, "out of memory preprocessing a template");
    }
    /* Jinja's keep_trailing_newline=False: one trailing newline goes. */
    if (st.out.len > 0 && st.out.data[st.out.len - 1] == '\n') {
        st.out.data[--st.out.len] = '\0';
        st.n_lines--;
    }
    free(st.blocks);
    out->text = st.out.data;
    out->len = st.out.len;
    out->line_map = st.map;
    out->n_lines = st.n_lines;
    return FG_OK;
}
