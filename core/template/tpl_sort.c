/* Stable merge sort over template values with a fallible comparison (Python's sorted()
 * is stable and raises on incomparable items), plus small argument helpers. */
#include "template/tpl_impl.h"

#include <string.h>

bool tpl_less(tpl_ctx *ctx, tpl_value a, tpl_value b, void *data, bool *lt) {
    int cmp;
    if (!tpl_compare(ctx, a, b, "<", &cmp)) return false;
    *lt = cmp < 0;
    return true;
}

bool tpl_sort(tpl_ctx *ctx, tpl_value *items, size_t n, tpl_less_fn less, void *data) {
    if (n < 2) return true;
    tpl_value *tmp = tpl_alloc(ctx, n * sizeof(tpl_value));
    if (tmp == NULL) return false;
    /* Bottom-up: insertion-sorted runs of 8, then merges of doubling width. */
    const size_t run = 8;
    for (size_t lo = 0; lo < n; lo += run) {
        size_t hi = lo + run < n ? lo + run : n;
        for (size_t i = lo + 1; i < hi; i++) {
            tpl_value x = items[i];
            size_t j = i;
            while (j > lo) {
                bool lt;
                if (!tpl_step(ctx) || !less(ctx, x, items[j - 1], data, &lt)) return false;
                if (!lt) break;
                items[j] = items[j - 1];
                j--;
            }
            items[j] = x;
        }
    }
    for (size_t width = run; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                bool lt;
                if (!tpl_step(ctx) || !less(ctx, items[j], items[i], data, &lt)) return false;
                tmp[k++] = lt ? items[j++] : items[i++];
            }
            while (i < mid) tmp[k++] = items[i++];
            while (j < hi) tmp[k++] = items[j++];
            memcpy(items + lo, tmp + lo, (hi - lo) * sizeof(tpl_value));
        }
        if (width > n / 2) break;
    }
    return true;
}

bool tpl_arg_int(tpl_ctx *ctx, const char *fn, tpl_value v, int64_t *out) {
    if (!tpl_check_defined(ctx, v)) return false;
    if (!tpl_is_intlike(v))
        return tpl_fail(ctx, TPL_E_TYPE, "'%s' object cannot be interpreted as an integer",
                        tpl_type_name(v));
    *out = tpl_as_int(v);
    return true;
}

bool tpl_arg_str(tpl_ctx *ctx, const char *fn, tpl_value v) {
    if (!tpl_check_defined(ctx, v)) return false;
    if (v.kind != TPL_STR)
        return tpl_fail(ctx, TPL_E_TYPE, "%s() argument must be str, not %s", fn, tpl_type_name(v));
    return true;
}

/* Decorated items are (key, index) tuples; only the keys are compared. */
static bool less_decorated(tpl_ctx *ctx, tpl_value a, tpl_value b, void *data, bool *lt) {
    tpl_value ka = a.u.list->items[0], kb = b.u.list->items[0];
    return *(const bool *)data ? tpl_less(ctx, kb, ka, NULL, lt) : tpl_less(ctx, ka, kb, NULL, lt);
}

bool tpl_sort_by_keys(tpl_ctx *ctx, tpl_value *items, const tpl_value *keys, size_t n, bool reverse) {
    if (n < 2) return true;
    tpl_value *deco = tpl_alloc(ctx, n * sizeof(tpl_value));
    tpl_value *orig = tpl_alloc(ctx, n * sizeof(tpl_value));
    if (deco == NULL || orig == NULL) return false;
    for (size_t i = 0; i < n; i++)
        if (!tpl_tuple2(ctx, keys[i], tpl_int((int64_t)i), &deco[i])) return false;
    if (!tpl_sort(ctx, deco, n, less_decorated, &reverse)) return false;
    memcpy(orig, items, n * sizeof(tpl_value));
    for (size_t i = 0; i < n; i++) items[i] = orig[deco[i].u.list->items[1].u.i];
    return true;
}
