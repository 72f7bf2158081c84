/* Insertion-ordered dicts with Python's key semantics: 1, 1.0 and True are one key,
 * tuples of hashables are hashable, lists and dicts are not. */
#include "template/tpl_impl.h"

#include <math.h>
#include <string.h>

static uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_bytes(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return mix(h);
}

static uint64_t hash_int(int64_t i) { return mix((uint64_t)i ^ 0x9e3779b97f4a7c15ULL); }

/* Floats with an integral value in int64 range hash as that int (1.0 == 1; -0.0 == 0). */
static uint64_t hash_float(double f) {
    if (f == f && f >= -9223372036854775808.0 && f < 9223372036854775808.0 && f == floor(f))
        return hash_int((int64_t)f);
    if (f != f) return 0x7ff8000000000000ULL;
    uint64_t bits;
    memcpy(&bits, &f, sizeof bits);
    return mix(bits);
}

/* Hashing without a context: 0 ok, 1 unhashable (bad = the offending value), 2 undefined,
 * 3 nested too deep. */
static int hash_value(tpl_value v, uint64_t *out, int depth, tpl_value *bad) {
    switch (v.kind) {
    case TPL_UNDEFINED: *bad = v; return 2;
    case TPL_NONE: *out = 0x1234567ULL; return 0;
    case TPL_BOOL: *out = hash_int(v.u.b); return 0;
    case TPL_INT: *out = hash_int(v.u.i); return 0;
    case TPL_FLOAT: *out = hash_float(v.u.f); return 0;
    case TPL_STR: *out = hash_bytes(v.u.s->data, v.u.s->len); return 0;
    case TPL_TUPLE: {
        if (depth <= 0) return 3;
        uint64_t h = 0x345678ULL;
        for (size_t i = 0; i < v.u.list->n; i++) {
            uint64_t e;
            int r = hash_value(v.u.list->items[i], &e, depth - 1, bad);
            if (r) return r;
            h = mix(h ^ e) + i;
        }
        *out = h;
        return 0;
    }
    case TPL_CALLABLE: *out = mix((uint64_t)(uintptr_t)v.u.fn); return 0;
    case TPL_OBJECT: *out = mix((uint64_t)(uintptr_t)v.u.obj->data); return 0;
    case TPL_NAMESPACE: *out = mix((uint64_t)(uintptr_t)v.u.dict); return 0;
    case TPL_LIST:
    case TPL_DICT: break;
    }
    *bad = v;
    return 1;
}

bool tpl_hash(tpl_ctx *ctx, tpl_value v, uint64_t *out) {
    tpl_value bad = v;
    if (v.kind == TPL_STR && !tpl_charge_bytes(ctx, v.u.s->len)) return false;
    int depth = ctx->max_depth - ctx->depth;
    switch (hash_value(v, out, depth > 0 ? depth : 0, &bad)) {
    case 0: return true;
    case 2: return tpl_undefined_fail(ctx, bad);
    case 3: return tpl_fail(ctx, TPL_E_RECURSION, "maximum recursion depth exceeded");
    default: return tpl_fail(ctx, TPL_E_TYPE, "unhashable type: '%s'", tpl_type_name(bad));
    }
}

/* Exact int/float equality (Python compares the mathematical values). */
static bool int_float_equal(int64_t i, double f) {
    if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0)) return false;
    if (f != floor(f)) return false;
    return (int64_t)f == i;
}

bool tpl_key_equal(tpl_value a, tpl_value b) {
    if (tpl_is_number(a) && tpl_is_number(b)) {
        if (a.kind == TPL_FLOAT && b.kind == TPL_FLOAT)
            return a.u.f == b.u.f || (a.u.f != a.u.f && b.u.f != b.u.f);
        if (a.kind == TPL_FLOAT) return int_float_equal(tpl_as_int(b), a.u.f);
        if (b.kind == TPL_FLOAT) return int_float_equal(tpl_as_int(a), b.u.f);
        return tpl_as_int(a) == tpl_as_int(b);
    }
    if (a.kind != b.kind) return false;
    switch (a.kind) {
    case TPL_NONE: return true;
    case TPL_STR:
        return a.u.s->len == b.u.s->len && memcmp(a.u.s->data, b.u.s->data, a.u.s->len) == 0;
    case TPL_TUPLE:
        if (a.u.list->n != b.u.list->n) return false;
        for (size_t i = 0; i < a.u.list->n; i++)
            if (!tpl_key_equal(a.u.list->items[i], b.u.list->items[i])) return false;
        return true;
    case TPL_CALLABLE: return a.u.fn == b.u.fn;
    case TPL_OBJECT: return a.u.obj->data == b.u.obj->data;
    case TPL_NAMESPACE: return a.u.dict == b.u.dict;
    default: return false;
    }
}

bool tpl_dict_new(tpl_ctx *ctx, tpl_value *out) {
    tpl_dict *d = tpl_alloc(ctx, sizeof *d);
    if (d == NULL) return false;
    out->kind = TPL_DICT;
    out->u.dict = d;
    return true;
}

bool tpl_namespace_new(tpl_ctx *ctx, tpl_value *out) {
    if (!tpl_dict_new(ctx, out)) return false;
    out->kind = TPL_NAMESPACE;
    return true;
}

/* Finds key's slot in the index: the slot holding it, or the empty slot where it goes. */
static size_t probe(const tpl_dict *d, tpl_value key, uint64_t h, bool *found) {
    size_t mask = d->index_cap - 1;
    size_t slot = (size_t)h & mask;
    for (;;) {
        uint32_t pos = d->index[slot];
        if (pos == 0) {
            *found = false;
            return slot;
        }
        if (tpl_key_equal(d->keys[pos - 1], key)) {
            *found = true;
            return slot;
        }
        slot = (slot + 1) & mask;
    }
}

/* Builds the index from the key array (after growth or removal). Keys were hashed
 * successfully when inserted, so hashing cannot fail here except on the step budget. */
static bool reindex(tpl_ctx *ctx, tpl_dict *d, size_t index_cap) {
    uint32_t *index = tpl_alloc(ctx, index_cap * sizeof(uint32_t));
    if (index == NULL) return false;
    d->index = index;
    d->index_cap = index_cap;
    for (size_t i = 0; i < d->n; i++) {
        uint64_t h;
        if (!tpl_hash(ctx, d->keys[i], &h)) return false;
        bool found;
        size_t slot = probe(d, d->keys[i], h, &found);
        d->index[slot] = (uint32_t)(i + 1);
    }
    return true;
}

static bool lookup(tpl_ctx *ctx, const tpl_dict *d, tpl_value key, uint64_t *h, size_t *slot,
                   bool *found) {
    if (!tpl_hash(ctx, key, h)) return false;
    *found = false;
    if (d->index_cap) *slot = probe(d, key, *h, found);
    return true;
}

bool tpl_dict_set(tpl_ctx *ctx, tpl_dict *d, tpl_value key, tpl_value val) {
    uint64_t h;
    size_t slot = 0;
    bool found;
    if (!lookup(ctx, d, key, &h, &slot, &found)) return false;
    if (found) {
        d->vals[d->index[slot] - 1] = val;
        return true;
    }
    if (d->n >= UINT32_MAX - 1) return tpl_fail(ctx, TPL_E_MEMORY, "dict too large");
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        if (cap > ctx->max_bytes / (2 * sizeof(tpl_value)))
            return tpl_fail(ctx, TPL_E_MEMORY, "dict too large");
        tpl_value *keys = tpl_realloc(ctx, d->keys, d->cap * sizeof(tpl_value), cap * sizeof(tpl_value));
        if (keys == NULL) return false;
        d->keys = keys;
        tpl_value *vals = tpl_realloc(ctx, d->vals, d->cap * sizeof(tpl_value), cap * sizeof(tpl_value));
        if (vals == NULL) return false;
        d->vals = vals;
        d->cap = cap;
    }
    d->keys[d->n] = key;
    d->vals[d->n] = val;
    d->n++;
    if (d->n * 2 > d->index_cap) {
        size_t index_cap = d->index_cap ? d->index_cap : 16;
        while (d->n * 2 > index_cap) index_cap *= 2;
        return reindex(ctx, d, index_cap);
    }
    d->index[probe(d, key, h, &found)] = (uint32_t)d->n;
    return true;
}

bool tpl_dict_set_str(tpl_ctx *ctx, tpl_dict *d, const char *key, tpl_value val) {
    tpl_value k;
    return tpl_str_cstr(ctx, key, &k) && tpl_dict_set(ctx, d, k, val);
}

tpl_value *tpl_dict_get(const tpl_dict *d, tpl_value key) {
    if (d->n == 0 || d->index_cap == 0) return NULL;
    uint64_t h;
    tpl_value bad;
    if (hash_value(key, &h, 1000, &bad) != 0) return NULL; /* unhashable: absent */
    bool found;
    size_t slot = probe(d, key, h, &found);
    return found ? &d->vals[d->index[slot] - 1] : NULL;
}

tpl_value *tpl_dict_get_str(const tpl_dict *d, const char *key) {
    if (d->n == 0 || d->index_cap == 0) return NULL;
    size_t len = strlen(key);
    uint64_t h = hash_bytes(key, len);
    size_t mask = d->index_cap - 1;
    for (size_t slot = (size_t)h & mask;; slot = (slot + 1) & mask) {
        uint32_t pos = d->index[slot];
        if (pos == 0) return NULL;
        tpl_value k = d->keys[pos - 1];
        if (k.kind == TPL_STR && k.u.s->len == len && memcmp(k.u.s->data, key, len) == 0)
            return &d->vals[pos - 1];
    }
}

bool tpl_dict_remove(tpl_ctx *ctx, tpl_dict *d, tpl_value key, bool *removed) {
    uint64_t h;
    size_t slot = 0;
    bool found;
    *removed = false;
    if (!lookup(ctx, d, key, &h, &slot, &found)) return false;
    if (!found) return true;
    size_t pos = d->index[slot] - 1;
    /* Keep insertion order: close the gap, then rebuild the index (linear, charged). */
    if (!tpl_charge(ctx, d->n)) return false;
    memmove(&d->keys[pos], &d->keys[pos + 1], (d->n - pos - 1) * sizeof(tpl_value));
    memmove(&d->vals[pos], &d->vals[pos + 1], (d->n - pos - 1) * sizeof(tpl_value));
    d->n--;
    *removed = true;
    memset(d->index, 0, d->index_cap * sizeof(uint32_t));
    for (size_t i = 0; i < d->n; i++) {
        uint64_t kh;
        if (!tpl_hash(ctx, d->keys[i], &kh)) return false;
        d->index[probe(d, d->keys[i], kh, &found)] = (uint32_t)(i + 1);
    }
    return true;
}

bool tpl_dict_copy(tpl_ctx *ctx, const tpl_dict *src, tpl_value *out) {
    if (!tpl_dict_new(ctx, out)) return false;
    tpl_dict *d = out->u.dict;
    if (src->n == 0) return true;
    d->keys = tpl_alloc(ctx, src->n * sizeof(tpl_value));
    d->vals = tpl_alloc(ctx, src->n * sizeof(tpl_value));
    d->index = tpl_alloc(ctx, src->index_cap * sizeof(uint32_t));
    if (d->keys == NULL || d->vals == NULL || d->index == NULL) return false;
    memcpy(d->keys, src->keys, src->n * sizeof(tpl_value));
    memcpy(d->vals, src->vals, src->n * sizeof(tpl_value));
    memcpy(d->index, src->index, src->index_cap * sizeof(uint32_t));
    d->n = d->cap = src->n;
    d->index_cap = src->index_cap;
    return tpl_charge(ctx, src->n / 16);
}
