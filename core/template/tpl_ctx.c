/* The render context: arena allocation with a size budget, the step budget, error
 * recording with location and include chain, growable buffers and UTF-8 helpers. */
#include "template/tpl_impl.h"
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TPL_ARENA_BLOCK (64 * 1024)
#define TPL_ALIGN 16

struct tpl_arena_block {
    tpl_arena_block *next;
    size_t size, used;
    _Alignas(TPL_ALIGN) unsigned char mem[];
};

void tpl_ctx_init(tpl_ctx *ctx, fg_error *err) {
    memset(ctx, 0, sizeof *ctx);
    ctx->err = err;
    ctx->max_bytes = (size_t)256 << 20;
    ctx->steps_left = 50000000;
    ctx->max_depth = 200;
}

void tpl_ctx_free(tpl_ctx *ctx) {
    tpl_arena_block *b = ctx->arena;
    while (b) {
        tpl_arena_block *next = b->next;
        free(b);
        b = next;
    }
    ctx->arena = NULL;
    ctx->arena_bytes = 0;
}

static bool over_budget(tpl_ctx *ctx, size_t bytes) {
    return bytes > ctx->max_bytes || ctx->arena_bytes > ctx->max_bytes - bytes;
}

static bool fail_budget(tpl_ctx *ctx) {
    return tpl_fail(ctx, TPL_E_MEMORY, "template uses too much memory (over %zu bytes)",
                    ctx->max_bytes);
}

void *tpl_alloc(tpl_ctx *ctx, size_t bytes) {
    size_t rounded = (bytes + TPL_ALIGN - 1) & ~(size_t)(TPL_ALIGN - 1);
    if (rounded < bytes || over_budget(ctx, rounded)) {
        fail_budget(ctx);
        return NULL;
    }
    tpl_arena_block *b = ctx->arena;
    if (b == NULL || b->size - b->used < rounded) {
        /* Big requests get a block of their own behind the current one, so the current
         * block's free space stays usable. */
        size_t size = rounded > TPL_ARENA_BLOCK / 4 ? rounded : TPL_ARENA_BLOCK;
        tpl_arena_block *nb = malloc(sizeof *nb + size);
        if (nb == NULL) {
            tpl_fail(ctx, TPL_E_MEMORY, "out of memory");
            return NULL;
        }
        nb->size = size;
        nb->used = 0;
        if (size != TPL_ARENA_BLOCK && b != NULL) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            ctx->arena = nb;
        }
        b = nb;
    }
    void *p = b->mem + b->used;
    b->used += rounded;
    ctx->arena_bytes += rounded;
    memset(p, 0, rounded);
    return p;
}

void *tpl_realloc(tpl_ctx *ctx, void *old, size_t old_size, size_t new_size) {
    if (old == NULL) return tpl_alloc(ctx, new_size);
    if (new_size <= old_size) return old;
    size_t old_r = (old_size + TPL_ALIGN - 1) & ~(size_t)(TPL_ALIGN - 1);
    size_t new_r = (new_size + TPL_ALIGN - 1) & ~(size_t)(TPL_ALIGN - 1);
    tpl_arena_block *b = ctx->arena;
    /* In place when `old` is the last allocation of the current block. */
    if (b != NULL && new_r >= new_size && (unsigned char *)old + old_r == b->mem + b->used &&
        b->size - (b->used - old_r) >= new_r) {
        if (over_budget(ctx, new_r - old_r)) {
            fail_budget(ctx);
            return NULL;
        }
        memset((unsigned char *)old + old_r, 0, new_r - old_r);
        b->used += new_r - old_r;
        ctx->arena_bytes += new_r - old_r;
        return old;
    }
    void *p = tpl_alloc(ctx, new_size);
    if (p == NULL) return NULL;
    memcpy(p, old, old_size);
    return p;
}

static fg_status status_for(const char *error_class) {
    if (strcmp(error_class, "TemplateSyntaxError") == 0) return FG_E_PARSE;
    if (strcmp(error_class, "TemplateNotFound") == 0) return FG_E_NOT_FOUND;
    if (strcmp(error_class, "TemplatesNotFound") == 0) return FG_E_NOT_FOUND;
    if (strcmp(error_class, TPL_E_MEMORY) == 0) return FG_E_NOMEM;
    if (strcmp(error_class, TPL_E_TYPE) == 0) return FG_E_TYPE;
    if (strcmp(error_class, TPL_E_OVERFLOW) == 0) return FG_E_RANGE;
    return FG_E_INVALID_ARG;
}

/* Appends to a fixed buffer, truncating. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...) FG_PRINTF(4, 5);
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...) {
    if (*len + 1 >= size) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    *len += (size_t)n < size - *len ? (size_t)n : size - *len - 1;
}

bool tpl_fail(tpl_ctx *ctx, const char *error_class, const char *fmt, ...) {
    if (ctx->failed) return false;
    ctx->failed = true;
    ctx->error_class = error_class;
    char msg[FG_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    char full[FG_ERROR_MSG_SIZE];
    size_t len = 0;
    full[0] = '\0';
    if (ctx->loc.file != NULL)
        append(full, sizeof full, &len, "%s:%d:%d: ", ctx->loc.file, ctx->loc.line,
               ctx->loc.column);
    append(full, sizeof full, &len, "%s", msg);
    int stored = ctx->n_chain < TPL_MAX_CHAIN ? ctx->n_chain : TPL_MAX_CHAIN;
    if (ctx->n_chain > stored)
        append(full, sizeof full, &len, "\n  ... %d more frames", ctx->n_chain - stored);
    for (int i = stored - 1; i >= 0; i--) {
        const tpl_frame *f = &ctx->chain[i];
        append(full, sizeof full, &len, "\n  %s %s:%d:%d", f->how ? f->how : "from",
               f->loc.file ? f->loc.file : "<template>", f->loc.line, f->loc.column);
    }
    fg_error_set(ctx->err, status_for(error_class), "%s", full);
    return false;
}

bool tpl_step(tpl_ctx *ctx) { return tpl_charge(ctx, 1); }

bool tpl_charge(tpl_ctx *ctx, uint64_t units) {
    if (ctx->steps_left >= units) {
        ctx->steps_left -= units;
        return true;
    }
    ctx->steps_left = 0;
    return tpl_fail(ctx, TPL_E_RESOURCE, "template too expensive (step budget exhausted)");
}

bool tpl_depth_enter(tpl_ctx *ctx) {
    if (ctx->depth >= ctx->max_depth)
        return tpl_fail(ctx, TPL_E_RECURSION, "maximum recursion depth exceeded");
    ctx->depth++;
    return true;
}

/* ---- buffers ---- */

bool tpl_buf_put(tpl_ctx *ctx, tpl_buf *b, const char *s, size_t len) {
    if (len == 0 && b->data != NULL) return true;
    if (b->len + len + 1 > b->cap || b->data == NULL) {
        if (len > ctx->max_bytes) return fail_budget(ctx);
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + len + 1) {
            if (cap > ctx->max_bytes) return fail_budget(ctx);
            cap *= 2;
        }
        char *p = tpl_realloc(ctx, b->data, b->cap, cap);
        if (p == NULL) return false;
        b->data = p;
        b->cap = cap;
    }
    if (len) memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
    return true;
}

bool tpl_buf_repeat(tpl_ctx *ctx, tpl_buf *b, const char *s, size_t n, size_t times) {
    if (n == 0 || times == 0) return true;
    if (times > ctx->max_bytes / n || b->len > ctx->max_bytes - n * times) return fail_budget(ctx);
    size_t total = n * times, start = b->len;
    /* one growth to the final size, then fill by doubling copies */
    if (!tpl_buf_put(ctx, b, s, n)) return false;
    if (b->cap < start + total + 1) {
        char *p = tpl_realloc(ctx, b->data, b->cap, start + total + 1);
        if (p == NULL) return false;
        b->data = p;
        b->cap = start + total + 1;
    }
    for (size_t done = n; done < total;) {
        size_t chunk = done < total - done ? done : total - done;
        memcpy(b->data + start + done, b->data + start, chunk);
        done += chunk;
    }
    b->len = start + total;
    b->data[b->len] = '\0';
    return true;
}

bool tpl_buf_printf(tpl_ctx *ctx, tpl_buf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return tpl_fail(ctx, TPL_E_VALUE, "formatting failed");
    if ((size_t)n < sizeof small) return tpl_buf_put(ctx, b, small, (size_t)n);
    char *big = tpl_alloc(ctx, (size_t)n + 1);
    if (big == NULL) return false;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return tpl_buf_put(ctx, b, big, (size_t)n);
}

bool tpl_buf_to_str(tpl_ctx *ctx, const tpl_buf *b, tpl_value *out) {
    return tpl_str_new(ctx, b->data ? b->data : "", b->len, out);
}

/* ---- UTF-8 ---- */

size_t tpl_utf8_decode(const char *s, size_t len, uint32_t *cp) {
    const unsigned char *u = (const unsigned char *)s;
    if (len == 0) {
        *cp = 0;
        return 0;
    }
    unsigned c = u[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = c;
        return 1;
    }
    if (len < n) {
        *cp = c;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80) {
            *cp = c;
            return 1;
        }
        v = (v << 6) | (u[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = c;
        return 1;
    }
    *cp = v;
    return n;
}

size_t tpl_utf8_encode(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp > 0x10FFFF) cp = 0xFFFD;
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t tpl_utf8_count(const char *s, size_t len) {
    size_t count = 0, i = 0;
    /* Fast path: ASCII bytes are one code point each. */
    while (i < len) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
        } else {
            uint32_t cp;
            i += tpl_utf8_decode(s + i, len - i, &cp);
        }
        count++;
    }
    return count;
}

size_t tpl_utf8_offset(const char *s, size_t len, size_t index) {
    size_t i = 0;
    while (index > 0 && i < len) {
        uint32_t cp;
        i += (unsigned char)s[i] < 0x80 ? 1 : tpl_utf8_decode(s + i, len - i, &cp);
        index--;
    }
    return i;
}

size_t tpl_utf8_prev(const char *s, size_t end) {
    size_t i = end - 1, k = 0;
    while (i > 0 && k < 3 && ((unsigned char)s[i] & 0xC0) == 0x80) i--, k++;
    uint32_t cp;
    if (i + tpl_utf8_decode(s + i, end - i, &cp) == end) return i;
    return end - 1;
}
