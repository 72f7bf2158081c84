/* Text for the generated files: a growable buffer, and turning arbitrary names into C
 * identifiers, comments and string literals that always compile. */
#include "codegen/codegen_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cg_put(cg_text *t, const char *s, size_t n) {
    if (t->nomem) return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *grown = realloc(t->s, cap);
        if (grown == NULL) {
            t->nomem = true;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

void cg_puts(cg_text *t, const char *s) { cg_put(t, s, strlen(s)); }

void cg_vprintf(cg_text *t, const char *fmt, va_list ap) {
    char small[512];
    va_list again;
    va_copy(again, ap);
    const int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        t->nomem = true; /* an encoding error: treat as a failure to write */
    } else if ((size_t)n < sizeof small) {
        cg_put(t, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (big == NULL)
            t->nomem = true;
        else
            vsnprintf(big, (size_t)n + 1, fmt, again);
        if (big != NULL) cg_put(t, big, (size_t)n);
        free(big);
    }
    va_end(again);
}

void cg_printf(cg_text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    cg_vprintf(t, fmt, ap);
    va_end(ap);
}

void cg_text_free(cg_text *t) {
    free(t->s);
    memset(t, 0, sizeof *t);
}

static const char *const C_KEYWORDS[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "_Bool", "_Complex", "_Imaginary", NULL};

void cg_identifier(const char *s, char *out, size_t cap) {
    if (cap < 4) {
        if (cap > 0) out[0] = '\0';
        return;
    }
    size_t n = 0;
    if (s[0] >= '0' && s[0] <= '9') out[n++] = 'n';
    for (; *s != '\0' && n + 2 < cap; s++) {
        const char c = *s;
        const int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        out[n++] = ok ? c : '_';
    }
    if (n == 0) out[n++] = '_';
    out[n] = '\0';
    for (const char *const *k = C_KEYWORDS; *k != NULL; k++)
        if (strcmp(out, *k) == 0) {
            out[n++] = '_';
            out[n] = '\0';
        }
}

void cg_comment_text(cg_text *t, const char *s) {
    for (; *s != '\0'; s++) {
        const char c = *s;
        if ((c == '*' && s[1] == '/') || (c == '/' && s[1] == '*')) {
            cg_put(t, s, 1);
            cg_puts(t, " "); /* "* /", "/ *": no delimiter, same meaning to a reader */
        } else {
            cg_put(t, (unsigned char)c < ' ' ? " " : s, 1);
        }
    }
}

void cg_string_literal(cg_text *t, const char *s) {
    cg_puts(t, "\"");
    for (; *s != '\0'; s++) {
        const unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\' || c == '?') /* '?': no trigraphs under -std=c99 */
            cg_printf(t, "\\%c", c);
        else if (c < ' ' || c >= 127)
            cg_printf(t, "\\%03o", c);
        else
            cg_put(t, s, 1);
    }
    cg_puts(t, "\"");
}

void cg_expand(cg_text *t, const char *tmpl, size_t len, const char *const (*pairs)[2], size_t n) {
    const char *end = tmpl + len, *p = tmpl, *at;
    while ((at = memchr(p, '@', (size_t)(end - p))) != NULL) {
        cg_put(t, p, (size_t)(at - p));
        p = at + 1;
        size_t i = 0, k = 0;
        for (; i < n; i++) {
            k = strlen(pairs[i][0]);
            if ((size_t)(end - p) > k && memcmp(p, pairs[i][0], k) == 0 && p[k] == '@') break;
        }
        if (i < n) {
            cg_puts(t, pairs[i][1]);
            p += k + 1;
        } else {
            cg_puts(t, "@");
        }
    }
    cg_put(t, p, (size_t)(end - p));
}

void fg_codegen_name(const char *stem, char *out, size_t cap) {
    cg_identifier(stem, out, cap);
    /* main.c, fgc_runtime.c and the runtime's fgc_ functions are taken */
    if (strcmp(out, "main") == 0 || strcmp(out, "fgc") == 0 || strcmp(out, "fgc_runtime") == 0) {
        const size_t len = strlen(out);
        snprintf(out + len, cap - len, "_model");
    }
}
