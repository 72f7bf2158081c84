/* The template loader: a search path of directories, templates held in memory
 * (sub-templates split out of loaded files, strings added by the caller) and a cache of
 * preprocessed sources. It mirrors Forgather's PPLoader under a Jinja environment:
 * the environment's cache answers first (so a template once loaded stays what it was),
 * then the in-memory templates, then the files (first search directory wins). */
#define _POSIX_C_SOURCE 200809L

#include "template/tpl_source.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/error.h"

/* ---- a string-keyed hash map (open addressing; keys are copied) ------------------ */

typedef struct map_slot {
    char *key;
    void *value;
} map_slot;

typedef struct str_map {
    map_slot *slots;
    size_t cap, n; /* cap is zero or a power of two, kept at most half full */
} str_map;

static size_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

static map_slot *map_slot_for(const str_map *m, const char *key) {
    if (m->cap == 0) return NULL;
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
        if (m->slots[i].key == NULL || strcmp(m->slots[i].key, key) == 0) return &m->slots[i];
}

static void *map_get(const str_map *m, const char *key) {
    map_slot *s = map_slot_for(m, key);
    return s && s->key ? s->value : NULL;
}

static int map_grow(str_map *m) {
    size_t cap = m->cap ? m->cap * 2 : 16;
    if (cap > SIZE_MAX / sizeof(map_slot)) return 0;
    str_map bigger = {calloc(cap, sizeof(map_slot)), cap, m->n};
    if (bigger.slots == NULL) return 0;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) *map_slot_for(&bigger, m->slots[i].key) = m->slots[i];
    free(m->slots);
    *m = bigger;
    return 1;
}

/* Sets key to value; *old gets the value it replaces (NULL if new). */
static int map_put(str_map *m, const char *key, void *value, void **old) {
    *old = NULL;
    if ((m->n + 1) * 2 > m->cap && !map_grow(m)) return 0;
    map_slot *s = map_slot_for(m, key);
    if (s->key) {
        *old = s->value;
        s->value = value;
        return 1;
    }
    if ((s->key = strdup(key)) == NULL) return 0;
    s->value = value;
    m->n++;
    return 1;
}

static void map_free(str_map *m, void (*free_value)(void *)) {
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key == NULL) continue;
        free(m->slots[i].key);
        free_value(m->slots[i].value);
    }
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* ---- the loader ------------------------------------------------------------------ */

/* A template held in memory, not yet preprocessed. */
typedef struct mem_template {
    char *raw;
    size_t len;
    char *path;       /* host file of a sub-template; the name of an added string */
    int first_line;   /* line of raw[0] in the host file */
    int whole_file;   /* an added string: split into sub-templates when loaded */
} mem_template;

struct tpl_loader {
    char **dirs;
    size_t n_dirs, dirs_cap;
    str_map memory; /* name -> mem_template */
    str_map cache;  /* "n:NAME" or "p:PATH" -> tpl_source */
};

static void mem_template_free(void *p) {
    mem_template *t = p;
    if (t == NULL) return;
    free(t->raw);
    free(t->path);
    free(t);
}

static void source_free(void *p) {
    tpl_source_clear(p);
    free(p);
}

static fg_status no_memory(fg_error *err) {
    return fg_error_set(err, FG_E_NOMEM, "out of memory loading templates");
}

fg_status tpl_loader_new(tpl_loader **out, fg_error *err) {
    *out = calloc(1, sizeof **out);
    return *out ? FG_OK : no_memory(err);
}

void tpl_loader_free(tpl_loader *loader) {
    if (loader == NULL) return;
    for (size_t i = 0; i < loader->n_dirs; i++) free(loader->dirs[i]);
    free(loader->dirs);
    map_free(&loader->memory, mem_template_free);
    map_free(&loader->cache, source_free);
    free(loader);
}

fg_status tpl_loader_add_dir(tpl_loader *loader, const char *dir, fg_error *err) {
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return FG_OK; /* dropped, as Forgather does */
    if (loader->n_dirs == loader->dirs_cap) {
        size_t cap = loader->dirs_cap ? loader->dirs_cap * 2 : 4;
        char **d = cap > SIZE_MAX / sizeof *d ? NULL : realloc(loader->dirs, cap * sizeof *d);
        if (d == NULL) return no_memory(err);
        loader->dirs = d;
        loader->dirs_cap = cap;
    }
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--; /* "a/" and "a" name the same directory */
    if ((loader->dirs[loader->n_dirs] = strndup(dir, n)) == NULL) return no_memory(err);
    loader->n_dirs++;
    return FG_OK;
}

size_t tpl_loader_n_dirs(const tpl_loader *loader) { return loader->n_dirs; }

const char *tpl_loader_dir(const tpl_loader *loader, size_t i) {
    return i < loader->n_dirs ? loader->dirs[i] : NULL;
}

/* Strict UTF-8 (as Python decodes files: no overlongs, surrogates or code points past
 * U+10FFFF); a bad byte is reported at its line and column. */
static fg_status check_utf8(const char *text, size_t len, const char *path, fg_error *err) {
    const unsigned char *s = (const unsigned char *)text;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
        int ok = n > 0 && len - i >= n;
        for (size_t k = 1; ok && k < n; k++)
            ok = k == 1 ? s[i + k] >= lo && s[i + k] <= hi : s[i + k] >= 0x80 && s[i + k] <= 0xBF;
        if (!ok)
            return fg_error_set(err, FG_E_PARSE, "%s:%zu:%zu: invalid UTF-8 (byte 0x%02X)", path,
                                line, col, c);
        if (c == '\n' || (c == '\r' && (i + 1 >= len || s[i + 1] != '\n'))) {
            line++;
            col = 1;
        } else {
            col++;
        }
        i += n;
    }
    return FG_OK;
}

static fg_status read_file(const char *path, char **text, size_t *len, fg_error *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fg_error_set(err, errno == ENOENT ? FG_E_NOT_FOUND : FG_E_IO, "%s: cannot open: %s",
                            path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (n + 1 >= cap) {
            char *b = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (b == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int failed = buf == NULL || ferror(f);
    int saved = errno;
    fclose(f);
    if (buf == NULL) return no_memory(err);
    if (failed) {
        free(buf);
        return fg_error_set(err, FG_E_IO, "%s: read error: %s", path, strerror(saved));
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return FG_OK;
}

static fg_status register_memory(tpl_loader *loader, const char *name, const char *raw,
                                 size_t len, const char *path, int first_line, int whole_file,
                                 fg_error *err) {
    mem_template *t = calloc(1, sizeof *t);
    if (t == NULL) return no_memory(err);
    t->raw = malloc(len + 1);
    t->path = strdup(path);
    t->len = len;
    t->first_line = first_line;
    t->whole_file = whole_file;
    void *old = NULL;
    if (t->raw == NULL || t->path == NULL) {
        mem_template_free(t);
        return no_memory(err);
    }
    if (len) memcpy(t->raw, raw, len);
    t->raw[len] = '\0';
    if (!map_put(&loader->memory, name, t, &old)) {
        mem_template_free(t);
        return no_memory(err);
    }
    mem_template_free(old);
    return FG_OK;
}

/* Preprocesses raw text into a cached source. With `split` the text is a whole file:
 * its sub-templates are registered and the source is its own template. */
static fg_status load_text(tpl_loader *loader, const char *key, const char *name,
                           const char *path, const char *raw, size_t len, int first_line,
                           int split, const tpl_source **out, fg_error *err) {
    tpl_chunk whole = {NULL, 0, raw, len, first_line}, *chunks = &whole;
    size_t n_chunks = 1;
    fg_status st = split ? tpl_split_subtemplates(raw, len, &chunks, &n_chunks, err) : FG_OK;
    if (st != FG_OK) return st;
    for (size_t i = 1; i < n_chunks && st == FG_OK; i++) {
        char *sub = strndup(chunks[i].name, chunks[i].name_len);
        st = sub ? register_memory(loader, sub, chunks[i].text, chunks[i].len, path,
                                   chunks[i].first_line, 0, err)
                 : no_memory(err);
        free(sub);
    }
    tpl_source *src = calloc(1, sizeof *src);
    if (st == FG_OK && src == NULL) st = no_memory(err);
    if (st == FG_OK)
        st = tpl_preprocess(chunks[0].text, chunks[0].len, chunks[0].first_line, src, err);
    if (chunks != &whole) free(chunks);
    void *old = NULL;
    if (st == FG_OK && ((src->name = strdup(name)) == NULL || (src->path = strdup(path)) == NULL ||
                        !map_put(&loader->cache, key, src, &old)))
        st = no_memory(err);
    if (st != FG_OK) {
        source_free(src);
        return st;
    }
    source_free(old);
    *out = src;
    return FG_OK;
}

static char *cache_key(char kind, const char *s) {
    size_t n = strlen(s);
    char *k = malloc(n + 3);
    if (k == NULL) return NULL;
    k[0] = kind;
    k[1] = ':';
    memcpy(k + 2, s, n + 1);
    return k;
}

/* The name as a relative file path (empty and "." components dropped) in *rel, or an
 * error when the name may not reach the file system. */
static fg_status file_name_of(const char *name, char **rel, fg_error *err) {
    if (name[0] == '/')
        return fg_error_set(err, FG_E_NOT_FOUND, "template '%s' not found: names are relative "
                            "to the search path, an absolute name is not allowed", name);
    char *r = malloc(strlen(name) + 1);
    if (r == NULL) return no_memory(err);
    size_t n = 0;
    for (const char *p = name; *p;) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            free(r);
            return fg_error_set(err, FG_E_NOT_FOUND, "template '%s' not found: a '..' component "
                                "is not allowed in a template name", name);
        }
        if (len > 0 && !(len == 1 && p[0] == '.')) {
            if (n > 0) r[n++] = '/';
            memcpy(r + n, p, len);
            n += len;
        }
        p += len + (e != NULL);
    }
    r[n] = '\0';
    *rel = r;
    return FG_OK;
}

static fg_status not_found(const tpl_loader *loader, const char *name, fg_error *err) {
    if (loader->n_dirs == 0)
        return fg_error_set(err, FG_E_NOT_FOUND,
                            "template '%s' not found (the search path is empty)", name);
    char list[FG_ERROR_MSG_SIZE] = "";
    size_t used = 0;
    for (size_t i = 0; i < loader->n_dirs && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s'%s'", i ? ", " : "", loader->dirs[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
    return fg_error_set(err, FG_E_NOT_FOUND, "template '%s' not found in search path%s: %s", name,
                        loader->n_dirs == 1 ? "" : "s", list);
}

/* A template file by path, split and preprocessed into the cache under key. */
static fg_status load_file(tpl_loader *loader, const char *key, const char *name,
                           const char *path, const tpl_source **out, fg_error *err) {
    char *raw = NULL;
    size_t len = 0;
    fg_status st = read_file(path, &raw, &len, err);
    if (st == FG_OK) st = check_utf8(raw, len, path, err);
    if (st == FG_OK) st = load_text(loader, key, name, path, raw, len, 1, 1, out, err);
    free(raw);
    return st;
}

static fg_status load_memory(tpl_loader *loader, const char *key, const char *name,
                             const mem_template *t, const tpl_source **out, fg_error *err) {
    /* A copy: registering its sub-templates may replace the entry t itself. */
    char *raw = malloc(t->len + 1), *path = strdup(t->path);
    fg_status st = raw && path ? FG_OK : no_memory(err);
    if (st == FG_OK) {
        memcpy(raw, t->raw, t->len + 1);
        st = load_text(loader, key, name, path, raw, t->len, t->first_line, t->whole_file, out,
                       err);
    }
    free(raw);
    free(path);
    return st;
}

/* The first search directory holding the file `name`. */
static fg_status load_from_dirs(tpl_loader *loader, const char *key, const char *name,
                                const tpl_source **out, fg_error *err) {
    char *rel = NULL;
    fg_status st = file_name_of(name, &rel, err);
    if (st != FG_OK) return st;
    st = FG_E_NOT_FOUND;
    for (size_t i = 0; i < loader->n_dirs && st == FG_E_NOT_FOUND; i++) {
        size_t n = strlen(loader->dirs[i]) + strlen(rel) + 2;
        char *path = malloc(n);
        if (path == NULL) {
            st = no_memory(err);
            break;
        }
        snprintf(path, n, "%s/%s", loader->dirs[i], rel);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
            st = load_file(loader, key, name, path, out, err);
        free(path);
    }
    free(rel);
    return st == FG_E_NOT_FOUND ? not_found(loader, name, err) : st;
}

fg_status tpl_loader_get(tpl_loader *loader, const char *name, const tpl_source **out,
                         fg_error *err) {
    char *key = cache_key('n', name);
    if (key == NULL) return no_memory(err);
    fg_status st = FG_OK;
    const mem_template *t;
    if ((*out = map_get(&loader->cache, key)) != NULL)
        st = FG_OK;
    else if ((t = map_get(&loader->memory, name)) != NULL)
        st = load_memory(loader, key, name, t, out, err);
    else
        st = load_from_dirs(loader, key, name, out, err);
    free(key);
    return st;
}

fg_status tpl_loader_get_file(tpl_loader *loader, const char *path, const tpl_source **out,
                              fg_error *err) {
    char *key = cache_key('p', path);
    if (key == NULL) return no_memory(err);
    fg_status st = FG_OK;
    if ((*out = map_get(&loader->cache, key)) == NULL) {
        struct stat sb;
        if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
            st = fg_error_set(err, FG_E_IO, "%s: not a regular file", path);
        else
            st = load_file(loader, key, path, path, out, err);
    }
    free(key);
    return st;
}

fg_status tpl_loader_add_string(tpl_loader *loader, const char *name, const char *text,
                                size_t len, fg_error *err) {
    fg_status st = check_utf8(text, len, name, err);
    return st != FG_OK ? st : register_memory(loader, name, text, len, name, 1, 1, err);
}
