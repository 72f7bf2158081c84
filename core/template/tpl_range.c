/* Python's range objects, as Jinja's range() global returns them: printed "range(0, 3)",
 * iterable, with len, `in`, indexing, slicing (a new range), ==, start/stop/step and the
 * index()/count() methods. */
#include "template/tpl_impl.h"

#include <stdio.h>
#include <string.h>

typedef struct tpl_range {
    int64_t start, stop, step;
} tpl_range;

static const char range_type[] = "range";

static const tpl_range *range_of(tpl_value v) {
    return v.kind == TPL_OBJECT && v.u.obj->type_name == range_type ? v.u.obj->data : NULL;
}

bool tpl_is_range(tpl_value v) { return range_of(v) != NULL; }

static int64_t range_len(const tpl_range *r) {
    __int128 n = 0;
    if (r->step > 0 && r->start < r->stop) n = ((__int128)r->stop - r->start - 1) / r->step + 1;
    if (r->step < 0 && r->start > r->stop) n = ((__int128)r->start - r->stop - 1) / -(__int128)r->step + 1;
    return n > INT64_MAX ? INT64_MAX : (int64_t)n;
}

int64_t tpl_range_len(tpl_value v) { return range_len(range_of(v)); }

/* r[i] for 0 <= i < len (fits: it lies between start and stop) */
static int64_t range_at(const tpl_range *r, int64_t i) { return (int64_t)((__int128)r->start + (__int128)i * r->step); }

bool tpl_range_item(tpl_value v, int64_t i, int64_t *out) {
    const tpl_range *r = range_of(v);
    int64_t n = range_len(r);
    if (i < 0) i += n;
    if (i < 0 || i >= n) return false;
    *out = range_at(r, i);
    return true;
}

static bool range_to_str(tpl_ctx *ctx, void *data, tpl_value *out) {
    const tpl_range *r = data;
    char buf[96];
    if (r->step == 1)
        snprintf(buf, sizeof buf, "range(%lld, %lld)", (long long)r->start, (long long)r->stop);
    else
        snprintf(buf, sizeof buf, "range(%lld, %lld, %lld)", (long long)r->start, (long long)r->stop,
                 (long long)r->step);
    return tpl_str_cstr(ctx, buf, out);
}

static bool contains_int(const tpl_range *r, int64_t x) {
    int64_t n = range_len(r);
    if (n == 0) return false;
    __int128 off = (__int128)x - r->start;
    if (off % r->step != 0) return false;
    __int128 k = off / r->step;
    return k >= 0 && k < n;
}

bool tpl_range_contains(tpl_ctx *ctx, tpl_value v, tpl_value item, bool *out) {
    const tpl_range *r = range_of(v);
    if (tpl_is_intlike(item)) {
        *out = contains_int(r, tpl_as_int(item));
        return true;
    }
    /* other values compare by == with every item, as Python does */
    tpl_list *items;
    if (!tpl_iterate(ctx, v, &items)) return false;
    *out = false;
    for (size_t i = 0; i < items->n && !*out; i++)
        if (!tpl_step(ctx) || !tpl_equal(ctx, items->items[i], item, out)) return false;
    return true;
}

bool tpl_range_equal(tpl_value a, tpl_value b) {
    const tpl_range *x = range_of(a), *y = range_of(b);
    int64_t n = range_len(x);
    if (n != range_len(y)) return false;
    if (n == 0) return true;
    if (x->start != y->start) return false;
    return n == 1 || x->step == y->step;
}

static bool range_getattr(tpl_ctx *ctx, void *data, const char *name, tpl_value *out);

/* index()/count(): ints by arithmetic, other values by == against every item */
static bool find(tpl_ctx *ctx, tpl_range *r, const tpl_args *args, const char *fn, int64_t *pos) {
    if (args->n_pos != 1 || args->n_kw)
        return tpl_fail(ctx, TPL_E_TYPE, "%s() takes exactly one argument (%zu given)", fn, args->n_pos + args->n_kw);
    tpl_value x = args->pos[0];
    *pos = -1;
    if (tpl_is_intlike(x)) {
        if (contains_int(r, tpl_as_int(x))) *pos = (int64_t)(((__int128)tpl_as_int(x) - r->start) / r->step);
        return true;
    }
    tpl_value self;
    tpl_list *items;
    if (!tpl_object_new(ctx, range_type, range_getattr, range_to_str, r, &self) || !tpl_iterate(ctx, self, &items))
        return false;
    for (size_t i = 0; i < items->n; i++) {
        bool eq;
        if (!tpl_step(ctx) || !tpl_equal(ctx, items->items[i], x, &eq)) return false;
        if (eq) {
            *pos = (int64_t)i;
            return true;
        }
    }
    return true;
}

static bool m_index(tpl_ctx *ctx, void *data, tpl_value self, const tpl_args *args, tpl_value *out) {
    int64_t pos;
    if (!find(ctx, data, args, "index", &pos)) return false;
    if (pos < 0) {
        tpl_value rep;
        if (!tpl_repr(ctx, args->pos[0], &rep)) return false;
        return tpl_fail(ctx, TPL_E_VALUE, "%s is not in range", rep.u.s->data);
    }
    *out = tpl_int(pos);
    return true;
}

static bool m_count(tpl_ctx *ctx, void *data, tpl_value self, const tpl_args *args, tpl_value *out) {
    int64_t pos;
    if (!find(ctx, data, args, "count", &pos)) return false;
    *out = tpl_int(pos >= 0);
    return true;
}

static bool range_getattr(tpl_ctx *ctx, void *data, const char *name, tpl_value *out) {
    tpl_range *r = data;
    if (strcmp(name, "start") == 0) return *out = tpl_int(r->start), true;
    if (strcmp(name, "stop") == 0) return *out = tpl_int(r->stop), true;
    if (strcmp(name, "step") == 0) return *out = tpl_int(r->step), true;
    if (strcmp(name, "index") == 0) return tpl_callable_new(ctx, "range.index", m_index, r, tpl_none(), out);
    if (strcmp(name, "count") == 0) return tpl_callable_new(ctx, "range.count", m_count, r, tpl_none(), out);
    return tpl_undefined_new(ctx, out, "'range object' has no attribute '%s'", name);
}

bool tpl_range_new(tpl_ctx *ctx, int64_t start, int64_t stop, int64_t step, tpl_value *out) {
    tpl_range *r = tpl_alloc(ctx, sizeof *r);
    if (r == NULL) return false;
    r->start = start;
    r->stop = stop;
    r->step = step;
    return tpl_object_new(ctx, range_type, range_getattr, range_to_str, r, out);
}

bool tpl_range_list(tpl_ctx *ctx, tpl_value v, tpl_list **out) {
    const tpl_range *r = range_of(v);
    int64_t n = range_len(r);
    if ((uint64_t)n > ctx->max_bytes / sizeof(tpl_value)) return tpl_fail(ctx, TPL_E_MEMORY, "range too large");
    tpl_value list;
    if (!tpl_list_new(ctx, (size_t)n, &list) || !tpl_charge(ctx, (uint64_t)n / 16)) return false;
    for (int64_t i = 0; i < n; i++) list.u.list->items[i] = tpl_int(range_at(r, i));
    list.u.list->n = (size_t)n;
    *out = list.u.list;
    return true;
}

/* r[a:b:c] is a range again: start + a*step .. start + b*step by step*c */
bool tpl_range_slice(tpl_ctx *ctx, tpl_value v, int64_t a, int64_t b, int64_t c, tpl_value *out) {
    const tpl_range *r = range_of(v);
    __int128 start = (__int128)r->start + (__int128)a * r->step;
    __int128 stop = (__int128)r->start + (__int128)b * r->step;
    __int128 step = (__int128)r->step * c;
    if (start > INT64_MAX || start < INT64_MIN || stop > INT64_MAX || stop < INT64_MIN || step > INT64_MAX ||
        step < INT64_MIN)
        return tpl_fail(ctx, TPL_E_OVERFLOW, "integer overflow");
    return tpl_range_new(ctx, (int64_t)start, (int64_t)stop, (int64_t)step, out);
}
