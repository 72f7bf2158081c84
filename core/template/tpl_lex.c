/* The lexer: Jinja2 3.1's rules with trim_blocks=True, lstrip_blocks=False and the
 * standard delimiters. Template text is split at `{{`, `{%`, `{#`; a `-` after the
 * opening delimiter strips the whitespace before it, a `-` before the closing one strips
 * the whitespace after it, and trim_blocks drops one newline after `%}` and `#}` unless
 * written `+%}` / `+#}`. Inside tags the token rules are tried in Jinja's order
 * (whitespace, float, integer, name, string, operator), and a tag can only end while
 * brackets are balanced. */
#include "template/tpl_ast.h"
#include "template/tpl_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lexer {
    tpl_ctx *ctx;
    const char *s;
    size_t len;
    size_t pos;
    int line;          /* line of s[pos] */
    size_t line_start; /* offset of that line's first byte */
    size_t col_pos;    /* a position on that line whose column is known ... */
    size_t col_count;  /* ... code points from line_start to col_pos */
    tpl_token *toks;
    size_t n, cap;
    char *brackets; /* expected closers of open ( [ { */
    size_t n_brackets, cap_brackets;
} lexer;

/* Byte length of the Python whitespace character at p, 0 if there is none. */
static size_t space_at(const lexer *lx, size_t p) {
    if (p >= lx->len) return 0;
    unsigned char c = (unsigned char)lx->s[p];
    if (c < 0x80) return (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f));
    uint32_t cp;
    size_t n = tpl_utf8_decode(lx->s + p, lx->len - p, &cp);
    return tpl_uni_space(cp) ? n : 0;
}

static size_t skip_spaces(const lexer *lx, size_t p) {
    size_t n;
    while ((n = space_at(lx, p)) > 0) p += n;
    return p;
}

/* Offset where trailing Python whitespace of s[from, to) starts (str.rstrip). */
static size_t rstrip_end(const lexer *lx, size_t from, size_t to) {
    while (to > from) {
        size_t start = to - 1;
        /* back up to the first byte of the UTF-8 sequence ending at to */
        while (start > from && ((unsigned char)lx->s[start] & 0xC0) == 0x80 && to - start < 4)
            start--;
        size_t n = space_at(lx, start);
        if (n == 0 || start + n != to) break;
        to = start;
    }
    return to;
}

/* Moves to `to`, counting the newlines passed. */
static void advance(lexer *lx, size_t to) {
    for (size_t i = lx->pos; i < to; i++)
        if (lx->s[i] == '\n') {
            lx->line++;
            lx->line_start = i + 1;
            lx->col_pos = i + 1;
            lx->col_count = 0;
        }
    lx->pos = to;
}

/* Columns are counted incrementally along the line, so long lines stay linear. */
static int column_at(lexer *lx, size_t p) {
    if (p < lx->col_pos) {
        lx->col_pos = lx->line_start;
        lx->col_count = 0;
    }
    lx->col_count += tpl_utf8_count(lx->s + lx->col_pos, p - lx->col_pos);
    lx->col_pos = p;
    return lx->col_count > 100000000 ? 100000000 : (int)lx->col_count + 1;
}

static tpl_token *push(lexer *lx, tpl_tok type, size_t at, const char *text, size_t len) {
    if (lx->n == lx->cap) {
        size_t cap = lx->cap ? lx->cap * 2 : 256;
        tpl_token *t = tpl_realloc(lx->ctx, lx->toks, lx->cap * sizeof *t, cap * sizeof *t);
        if (t == NULL) return NULL;
        lx->toks = t;
        lx->cap = cap;
    }
    tpl_token *t = &lx->toks[lx->n++];
    memset(t, 0, sizeof *t);
    t->type = type;
    t->line = lx->line;
    t->col = column_at(lx, at);
    t->text = text;
    t->len = len;
    return t;
}

/* Ends the stream with an error token; returns false only when out of memory. */
static bool lex_error(lexer *lx, size_t at, const char *fmt, ...) FG_PRINTF(3, 4);
static bool lex_error(lexer *lx, size_t at, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(msg);
    char *copy = tpl_alloc(lx->ctx, n + 1);
    if (copy == NULL) return false;
    memcpy(copy, msg, n);
    return push(lx, TOK_ERROR, at, copy, n) != NULL;
}

static bool starts(const lexer *lx, size_t p, const char *lit) {
    size_t n = strlen(lit);
    return p <= lx->len && lx->len - p >= n && memcmp(lx->s + p, lit, n) == 0;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* `(\d+_)*\d+` at p: end offset, or p when there is none. */
static size_t digit_groups(const lexer *lx, size_t p) {
    size_t q = p, end = p;
    while (q < lx->len && is_digit(lx->s[q])) {
        while (q < lx->len && is_digit(lx->s[q])) q++;
        end = q;
        if (q + 1 < lx->len && lx->s[q] == '_' && is_digit(lx->s[q + 1])) q++;
        else break;
    }
    return end;
}

/* Copies s[from, to) without underscores into buf (NUL-terminated); false if too long. */
static bool strip_underscores(const lexer *lx, size_t from, size_t to, char *buf, size_t size) {
    size_t k = 0;
    for (size_t i = from; i < to; i++) {
        if (lx->s[i] == '_') continue;
        if (k + 1 >= size) return false;
        buf[k++] = lx->s[i];
    }
    buf[k] = '\0';
    return true;
}

/* float_re: digits, then an exponent with optional fraction, or a fraction. */
static size_t match_float(const lexer *lx, size_t p) {
    if (p > 0 && lx->s[p - 1] == '.') return 0; /* (?<!\.) */
    size_t q = digit_groups(lx, p);
    if (q == p) return 0;
    size_t frac_end = 0;
    if (q < lx->len && lx->s[q] == '.') {
        size_t f = digit_groups(lx, q + 1);
        if (f > q + 1) frac_end = f;
    }
    size_t e = frac_end ? frac_end : q;
    if (e < lx->len && (lx->s[e] == 'e' || lx->s[e] == 'E')) {
        size_t x = e + 1;
        if (x < lx->len && (lx->s[x] == '+' || lx->s[x] == '-')) x++;
        size_t d = digit_groups(lx, x);
        if (d > x) return d - p;
    }
    return frac_end ? frac_end - p : 0;
}

/* integer_re; *base receives 2, 8, 16 or 10. */
static size_t match_integer(const lexer *lx, size_t p, int *base) {
    const char *s = lx->s;
    size_t len = lx->len;
    if (p + 2 < len && s[p] == '0') {
        char k = s[p + 1];
        int b = (k == 'b' || k == 'B') ? 2 : (k == 'o' || k == 'O') ? 8 : (k == 'x' || k == 'X') ? 16 : 0;
        if (b) {
            size_t q = p + 2, end = 0;
            for (;;) {
                size_t r = q;
                if (r < len && s[r] == '_') r++;
                if (r >= len) break;
                char c = s[r];
                bool ok = b == 2 ? (c == '0' || c == '1') : b == 8 ? (c >= '0' && c <= '7') : is_hex(c);
                if (!ok) break;
                q = r + 1;
                end = q;
            }
            if (end) {
                *base = b;
                return end - p;
            }
        }
    }
    *base = 10;
    if (p < len && s[p] >= '1' && s[p] <= '9') {
        size_t q = p + 1;
        for (;;) {
            size_t r = q;
            if (r < len && s[r] == '_') r++;
            if (r < len && is_digit(s[r])) q = r + 1;
            else break;
        }
        return q - p;
    }
    if (p < len && s[p] == '0') {
        size_t q = p + 1;
        for (;;) {
            size_t r = q;
            if (r < len && s[r] == '_') r++;
            if (r < len && s[r] == '0') q = r + 1;
            else break;
        }
        return q - p;
    }
    return 0;
}

/* A name: word characters (ASCII, or non-ASCII letters/digits). */
static size_t match_name(const lexer *lx, size_t p, bool *bad_start) {
    size_t q = p;
    *bad_start = false;
    while (q < lx->len) {
        unsigned char c = (unsigned char)lx->s[q];
        if (c < 0x80) {
            if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c)) {
                q++;
                continue;
            }
            break;
        }
        uint32_t cp;
        size_t n = tpl_utf8_decode(lx->s + q, lx->len - q, &cp);
        if (n < 2 || !tpl_uni_alnum(cp)) break;
        if (q == p && !tpl_uni_alpha(cp)) *bad_start = true;
        q += n;
    }
    return q - p;
}

/* string_re: a quoted string whose backslash escapes any character. */
static size_t match_string(const lexer *lx, size_t p) {
    char quote = lx->s[p];
    if (quote != '\'' && quote != '"') return 0;
    size_t q = p + 1;
    while (q < lx->len) {
        char c = lx->s[q];
        if (c == '\\') {
            if (q + 1 >= lx->len) return 0;
            q += 2;
        } else if (c == quote) {
            return q + 1 - p;
        } else {
            q++;
        }
    }
    return 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

/* Python's "unicode-escape" decoding of a string literal's body. On a bad escape, *err
 * receives Python's message and false is returned. */
static bool decode_string(lexer *lx, const char *s, size_t len, char **out, size_t *out_len,
                          const char **err) {
    char *buf = tpl_alloc(lx->ctx, len + 1); /* decoding never grows the text */
    if (buf == NULL) return false;
    size_t k = 0;
    *err = NULL;
    for (size_t i = 0; i < len;) {
        char c = s[i];
        if (c != '\\' || i + 1 >= len) {
            buf[k++] = c;
            i++;
            continue;
        }
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case '\n': break; /* line continuation */
        case '\\': buf[k++] = '\\'; break;
        case '\'': buf[k++] = '\''; break;
        case '"': buf[k++] = '"'; break;
        case 'a': buf[k++] = '\a'; break;
        case 'b': buf[k++] = '\b'; break;
        case 'f': buf[k++] = '\f'; break;
        case 'n': buf[k++] = '\n'; break;
        case 'r': buf[k++] = '\r'; break;
        case 't': buf[k++] = '\t'; break;
        case 'v': buf[k++] = '\v'; break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            uint32_t v = (uint32_t)(e - '0');
            for (int d = 0; d < 2 && i < len && s[i] >= '0' && s[i] <= '7'; d++, i++)
                v = v * 8 + (uint32_t)(s[i] - '0');
            k += tpl_utf8_encode(v, buf + k);
            break;
        }
        case 'x': case 'u': case 'U': {
            int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            uint32_t v = 0;
            int d = 0;
            for (; d < digits && i < len && is_hex(s[i]); d++, i++) v = v * 16 + (uint32_t)hexval(s[i]);
            if (d < digits) {
                *err = e == 'x' ? "truncated \\xXX escape"
                       : e == 'u' ? "truncated \\uXXXX escape" : "truncated \\UXXXXXXXX escape";
                return false;
            }
            if (v > 0x10FFFF) {
                *err = "illegal Unicode character";
                return false;
            }
            /* lone surrogates cannot be stored as UTF-8 text */
            if (v >= 0xD800 && v <= 0xDFFF) v = 0xFFFD;
            k += tpl_utf8_encode(v, buf + k);
            break;
        }
        case 'N':
            *err = "malformed \\N character escape";
            return false;
        default: /* unknown escapes stay as written */
            buf[k++] = '\\';
            buf[k++] = e;
            break;
        }
    }
    buf[k] = '\0';
    *out = buf;
    *out_len = k;
    return true;
}

/* Operators, longest first as in Jinja's operator_re. */
static const struct { const char *text; tpl_tok type; } operators[] = {
    {"//", TOK_FLOORDIV}, {"**", TOK_POW}, {"==", TOK_EQ}, {"!=", TOK_NE}, {">=", TOK_GTEQ},
    {"<=", TOK_LTEQ}, {"+", TOK_ADD}, {"-", TOK_SUB}, {"/", TOK_DIV}, {"*", TOK_MUL},
    {"%", TOK_MOD}, {"~", TOK_TILDE}, {"[", TOK_LBRACKET}, {"]", TOK_RBRACKET},
    {"(", TOK_LPAREN}, {")", TOK_RPAREN}, {"{", TOK_LBRACE}, {"}", TOK_RBRACE},
    {">", TOK_GT}, {"<", TOK_LT}, {"=", TOK_ASSIGN}, {".", TOK_DOT}, {":", TOK_COLON},
    {"|", TOK_PIPE}, {",", TOK_COMMA}, {";", TOK_SEMICOLON},
};

const char *tpl_tok_describe(tpl_tok type) {
    for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++)
        if (operators[i].type == type) return operators[i].text;
    switch (type) {
    case TOK_BLOCK_BEGIN: return "begin of statement block";
    case TOK_BLOCK_END: return "end of statement block";
    case TOK_VAR_BEGIN: return "begin of print statement";
    case TOK_VAR_END: return "end of print statement";
    case TOK_DATA: return "template data / text";
    case TOK_EOF: return "end of template";
    case TOK_NAME: return "name";
    case TOK_STRING: return "string";
    case TOK_INTEGER: return "integer";
    case TOK_FLOAT: return "float";
    default: return "error";
    }
}

/* Python's repr of the character at p, for "unexpected char 'x' at N". */
static void char_repr(const lexer *lx, size_t p, char *buf, size_t size) {
    uint32_t cp;
    size_t n = tpl_utf8_decode(lx->s + p, lx->len - p, &cp);
    if (cp == '\'') snprintf(buf, size, "\"'\"");
    else if (cp == '\\') snprintf(buf, size, "'\\\\'");
    else if (cp == '\n') snprintf(buf, size, "'\\n'");
    else if (cp == '\r') snprintf(buf, size, "'\\r'");
    else if (cp == '\t') snprintf(buf, size, "'\\t'");
    else if (cp < 0x20 || cp == 0x7f) snprintf(buf, size, "'\\x%02x'", (unsigned)cp);
    else snprintf(buf, size, "'%.*s'", (int)n, lx->s + p);
}

/* Pushes a closer for an opening bracket or checks one for a closing bracket.
 * Returns 1 ok, 0 lexing error pushed, -1 out of memory. */
static int balance(lexer *lx, char c, size_t at) {
    if (c == '(' || c == '[' || c == '{') {
        if (lx->n_brackets == lx->cap_brackets) {
            size_t cap = lx->cap_brackets ? lx->cap_brackets * 2 : 32;
            char *b = tpl_realloc(lx->ctx, lx->brackets, lx->cap_brackets, cap);
            if (b == NULL) return -1;
            lx->brackets = b;
            lx->cap_brackets = cap;
        }
        lx->brackets[lx->n_brackets++] = c == '(' ? ')' : c == '[' ? ']' : '}';
        return 1;
    }
    if (c != ')' && c != ']' && c != '}') return 1;
    if (lx->n_brackets == 0) return lex_error(lx, at, "unexpected '%c'", c) ? 0 : -1;
    char expected = lx->brackets[--lx->n_brackets];
    if (expected != c)
        return lex_error(lx, at, "unexpected '%c', expected '%c'", c, expected) ? 0 : -1;
    return 1;
}

/* Lexes the inside of a `{%` or `{{` tag up to and including its end. Returns 1 when the
 * tag ended, 0 when the stream ended (error token or end of text), -1 out of memory. */
static int lex_tag(lexer *lx, bool block) {
    for (;;) {
        size_t p = lx->pos;
        if (p >= lx->len) return 0;
        const char *s = lx->s;
        if (lx->n_brackets == 0) {
            size_t end = 0;
            if (block) {
                if (starts(lx, p, "+%}")) end = p + 3;
                else if (starts(lx, p, "-%}")) end = skip_spaces(lx, p + 3);
                else if (starts(lx, p, "%}")) end = p + 2 + (p + 2 < lx->len && s[p + 2] == '\n');
            } else {
                if (starts(lx, p, "-}}")) end = skip_spaces(lx, p + 3);
                else if (starts(lx, p, "}}")) end = p + 2;
            }
            if (end) {
                if (!push(lx, block ? TOK_BLOCK_END : TOK_VAR_END, p, s + p, end - p)) return -1;
                advance(lx, end);
                return 1;
            }
        }
        size_t n = skip_spaces(lx, p) - p;
        if (n) {
            advance(lx, p + n);
            continue;
        }
        if ((n = match_float(lx, p)) > 0) {
            char buf[512];
            tpl_token *t = push(lx, TOK_FLOAT, p, s + p, n);
            if (t == NULL) return -1;
            if (strip_underscores(lx, p, p + n, buf, sizeof buf)) t->fval = strtod(buf, NULL);
            else t->fval = strtod("inf", NULL);
            advance(lx, p + n);
            continue;
        }
        int base;
        if ((n = match_integer(lx, p, &base)) > 0) {
            char buf[512];
            size_t skip = base == 10 ? 0 : 2;
            bool ok = strip_underscores(lx, p + skip, p + n, buf, sizeof buf);
            errno = 0;
            unsigned long long v = ok ? strtoull(buf, NULL, base) : 0;
            if (!ok || errno == ERANGE || v > (unsigned long long)INT64_MAX) {
                /* Python ints are unbounded; ours are 64-bit */
                if (!lex_error(lx, p, "integer literal %.*s is too large", (int)(n > 40 ? 40 : n), s + p))
                    return -1;
                return 0;
            }
            tpl_token *t = push(lx, TOK_INTEGER, p, s + p, n);
            if (t == NULL) return -1;
            t->ival = (int64_t)v;
            advance(lx, p + n);
            continue;
        }
        bool bad_start;
        if ((n = match_name(lx, p, &bad_start)) > 0) {
            if (bad_start) return lex_error(lx, p, "Invalid character in identifier") ? 0 : -1;
            if (!push(lx, TOK_NAME, p, s + p, n)) return -1;
            advance(lx, p + n);
            continue;
        }
        if ((n = match_string(lx, p)) > 0) {
            char *val;
            size_t val_len;
            const char *err = NULL;
            if (!decode_string(lx, s + p + 1, n - 2, &val, &val_len, &err)) {
                if (err == NULL) return -1;
                return lex_error(lx, p, "%s", err) ? 0 : -1;
            }
            if (!push(lx, TOK_STRING, p, val, val_len)) return -1;
            advance(lx, p + n);
            continue;
        }
        bool matched = false;
        for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++) {
            if (!starts(lx, p, operators[i].text)) continue;
            size_t olen = strlen(operators[i].text);
            if (olen == 1) {
                int b = balance(lx, s[p], p);
                if (b <= 0) return b;
            }
            if (!push(lx, operators[i].type, p, s + p, olen)) return -1;
            advance(lx, p + olen);
            matched = true;
            break;
        }
        if (matched) continue;
        char rep[32];
        char_repr(lx, p, rep, sizeof rep);
        size_t index = tpl_utf8_count(s, p);
        return lex_error(lx, p, "unexpected char %s at %zu", rep, index) ? 0 : -1;
    }
}

/* After `{% raw %}`: the text up to `{% endraw %}`, taken literally. */
static int lex_raw(lexer *lx) {
    size_t body = lx->pos;
    for (size_t q = body; q + 1 < lx->len; q++) {
        if (lx->s[q] != '{' || lx->s[q + 1] != '%') continue;
        size_t p = q + 2;
        char sign = 0;
        if (p < lx->len && (lx->s[p] == '-' || lx->s[p] == '+')) sign = lx->s[p++];
        p = skip_spaces(lx, p);
        if (!starts(lx, p, "endraw")) continue;
        p = skip_spaces(lx, p + 6);
        size_t end = 0;
        if (starts(lx, p, "+%}")) end = p + 3;
        else if (starts(lx, p, "-%}")) end = skip_spaces(lx, p + 3);
        else if (starts(lx, p, "%}")) end = p + 2 + (p + 2 < lx->len && lx->s[p + 2] == '\n');
        if (!end) continue;
        size_t text_end = sign == '-' ? rstrip_end(lx, body, q) : q;
        if (text_end > body && !push(lx, TOK_DATA, body, lx->s + body, text_end - body))
            return -1;
        advance(lx, end);
        return 1;
    }
    /* Jinja's failure rule needs a character: a raw block opened at the very end of
     * the text just ends it */
    if (body >= lx->len) return 0;
    return lex_error(lx, body, "Missing end of raw directive") ? 0 : -1;
}

/* After `{#`: skips to the comment's end. */
static int lex_comment(lexer *lx) {
    for (size_t q = lx->pos; q < lx->len; q++) {
        size_t end = 0;
        if (starts(lx, q, "+#}")) end = q + 3;
        else if (starts(lx, q, "-#}")) end = skip_spaces(lx, q + 3);
        else if (starts(lx, q, "#}")) end = q + 2 + (q + 2 < lx->len && lx->s[q + 2] == '\n');
        if (end) {
            advance(lx, end);
            return 1;
        }
    }
    if (lx->pos >= lx->len) return 0; /* as for raw: `{#` at the very end is no error */
    return lex_error(lx, lx->pos, "Missing end of comment tag") ? 0 : -1;
}

/* `{%[-+]? raw [-]?%}` at p: the offset after it, or 0. */
static size_t match_raw_begin(const lexer *lx, size_t p) {
    p += 2;
    if (p < lx->len && (lx->s[p] == '-' || lx->s[p] == '+')) p++;
    p = skip_spaces(lx, p);
    if (!starts(lx, p, "raw")) return 0;
    p = skip_spaces(lx, p + 3);
    if (starts(lx, p, "-%}")) return skip_spaces(lx, p + 3);
    if (starts(lx, p, "%}")) return p + 2;
    return 0;
}

bool tpl_lex(tpl_ctx *ctx, const char *text, size_t len, tpl_token **tokens, size_t *n) {
    lexer lx = {.ctx = ctx, .s = text, .len = len, .line = 1};
    while (lx.pos < len) {
        if (!tpl_step(ctx)) return false;
        size_t q = lx.pos;
        const char *hit = NULL;
        while (q + 1 < len) {
            hit = memchr(text + q, '{', len - q - 1);
            if (hit == NULL) break;
            q = (size_t)(hit - text);
            char k = text[q + 1];
            if (k == '{' || k == '%' || k == '#') break;
            q++;
            hit = NULL;
        }
        if (hit == NULL) {
            if (!push(&lx, TOK_DATA, lx.pos, text + lx.pos, len - lx.pos)) return false;
            advance(&lx, len);
            break;
        }
        char kind = text[q + 1];
        size_t raw_end = kind == '%' ? match_raw_begin(&lx, q) : 0;
        char sign = q + 2 < len && (text[q + 2] == '-' || text[q + 2] == '+') ? text[q + 2] : 0;
        size_t data_end = sign == '-' ? rstrip_end(&lx, lx.pos, q) : q;
        if (data_end > lx.pos && !push(&lx, TOK_DATA, lx.pos, text + lx.pos, data_end - lx.pos))
            return false;
        advance(&lx, q);
        int r;
        if (raw_end) {
            advance(&lx, raw_end);
            r = lex_raw(&lx);
        } else if (kind == '#') {
            advance(&lx, q + 2 + (sign != 0));
            r = lex_comment(&lx);
        } else {
            bool block = kind == '%';
            if (!push(&lx, block ? TOK_BLOCK_BEGIN : TOK_VAR_BEGIN, q, text + q, 2)) return false;
            advance(&lx, q + 2 + (sign != 0));
            r = lex_tag(&lx, block);
        }
        if (r < 0) return false;
        if (r == 0) break;
    }
    if (!push(&lx, TOK_EOF, lx.pos, text + lx.pos, 0)) return false;
    *tokens = lx.toks;
    *n = lx.n;
    return true;
}
