/* x.name, x[key] and x[a:b:c] following Jinja's SandboxedEnvironment: x.name tries the
 * attribute then the item, x[key] the item then the attribute; a missing one gives an
 * undefined value carrying Jinja's message; attributes starting with '_' that exist are
 * "unsafe" (an undefined that raises SecurityError when used). */
#include "template/tpl_impl.h"

#include <stdio.h>
#include <string.h>

/* Dunder attributes every Python object (or the common builtin types) has: the sandbox
 * finds them and calls them unsafe, where an unknown dunder is simply missing. */
static const char *const known_dunders[] = {
    "__class__", "__delattr__", "__dir__", "__doc__", "__eq__", "__format__", "__ge__",
    "__getattribute__", "__getstate__", "__gt__", "__hash__", "__init__", "__init_subclass__",
    "__le__", "__lt__", "__ne__", "__new__", "__reduce__", "__reduce_ex__", "__repr__",
    "__setattr__", "__sizeof__", "__str__", "__subclasshook__", "__len__", "__getitem__",
    "__contains__", "__iter__", "__add__", "__mul__", "__rmul__", "__mod__", "__rmod__",
    "__setitem__", "__delitem__", "__reversed__", "__class_getitem__", "__iadd__", "__imul__",
    "__or__", "__ror__", "__ior__", "__abs__", "__bool__", "__neg__", "__pos__", "__int__",
    "__float__", "__index__", "__round__", "__trunc__", "__floor__", "__ceil__", "__sub__",
    "__rsub__", "__truediv__", "__floordiv__", "__pow__", "__radd__", "__divmod__",
    "__globals__", "__dict__", "__module__", "__name__", "__qualname__", "__self__",
    "__call__", "__text_signature__", "__subclasses__", "__mro__", "__bases__", "__base__",
    "__builtins__", "__code__", "__func__", "__closure__", "__defaults__", "__kwdefaults__",
    "__annotations__", "__weakref__", "__slots__", NULL};

static bool is_known_dunder(const char *name) {
    for (size_t i = 0; known_dunders[i]; i++)
        if (strcmp(known_dunders[i], name) == 0) return true;
    return false;
}

static const char *py_type_for_unsafe(tpl_value obj) {
    return obj.kind == TPL_NONE ? "NoneType" : tpl_type_name(obj);
}

static bool unsafe(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out) {
    return tpl_undefined_new_class(ctx, out, TPL_E_SECURITY,
                                   "access to attribute '%s' of '%s' object is unsafe.", name,
                                   py_type_for_unsafe(obj));
}

/* Attribute proper (no item fallback): *found false when the object has none. */
static bool attr_lookup(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out,
                        bool *found) {
    *found = false;
    if (name[0] == '_') {
        if (is_known_dunder(name)) {
            *found = true;
            return unsafe(ctx, obj, name, out);
        }
        if (obj.kind == TPL_NAMESPACE && tpl_dict_get_str(obj.u.dict, name)) {
            *found = true;
            return unsafe(ctx, obj, name, out);
        }
        if (obj.kind == TPL_OBJECT && obj.u.obj->getattr && tpl_view_kind_of(obj) == TPL_VIEW_NONE) {
            tpl_value v;
            if (!obj.u.obj->getattr(ctx, obj.u.obj->data, name, &v)) return false;
            if (v.kind != TPL_UNDEFINED) {
                *found = true;
                return unsafe(ctx, obj, name, out);
            }
        }
        return true;
    }
    switch (obj.kind) {
    case TPL_TUPLE:
        /* groupby's results are named tuples (grouper, list); plain 2-tuples stand in */
        if (obj.u.list->n == 2 && (strcmp(name, "grouper") == 0 || strcmp(name, "list") == 0)) {
            *out = obj.u.list->items[name[0] == 'g' ? 0 : 1];
            *found = true;
            return true;
        }
        return tpl_method_lookup(ctx, obj, name, out, found);
    case TPL_STR:
    case TPL_LIST:
    case TPL_DICT: return tpl_method_lookup(ctx, obj, name, out, found);
    case TPL_BOOL:
    case TPL_INT:
        if (strcmp(name, "real") == 0 || strcmp(name, "numerator") == 0) {
            *out = tpl_int(tpl_as_int(obj));
            *found = true;
        } else if (strcmp(name, "imag") == 0) {
            *out = tpl_int(0);
            *found = true;
        } else if (strcmp(name, "denominator") == 0) {
            *out = tpl_int(1);
            *found = true;
        }
        return true;
    case TPL_FLOAT:
        if (strcmp(name, "real") == 0) {
            *out = obj;
            *found = true;
        } else if (strcmp(name, "imag") == 0) {
            *out = tpl_float(0.0);
            *found = true;
        }
        return true;
    case TPL_NAMESPACE: {
        tpl_value *v = tpl_dict_get_str(obj.u.dict, name);
        if (v) {
            *out = *v;
            *found = true;
        }
        return true;
    }
    case TPL_OBJECT:
        if (obj.u.obj->getattr) {
            tpl_value v;
            if (!obj.u.obj->getattr(ctx, obj.u.obj->data, name, &v)) return false;
            if (v.kind != TPL_UNDEFINED) {
                *out = v;
                *found = true;
            }
        }
        return true;
    default: return true;
    }
}

/* Item proper (no attribute fallback): *found false on Python's TypeError/LookupError. */
static bool item_lookup(tpl_ctx *ctx, tpl_value obj, tpl_value key, tpl_value *out, bool *found) {
    *found = false;
    switch (obj.kind) {
    case TPL_DICT: {
        /* unhashable keys are a TypeError in Python, which Jinja turns into undefined */
        if (key.kind == TPL_LIST || key.kind == TPL_DICT) return true;
        uint64_t h;
        if (!tpl_hash(ctx, key, &h)) return false;
        tpl_value *v = tpl_dict_get(obj.u.dict, key);
        if (v) {
            *out = *v;
            *found = true;
        }
        return true;
    }
    case TPL_LIST:
    case TPL_TUPLE: {
        if (!tpl_is_intlike(key)) return true;
        int64_t i = tpl_as_int(key), n = (int64_t)obj.u.list->n;
        if (i < 0) i += n;
        if (i < 0 || i >= n) return true;
        *out = obj.u.list->items[i];
        *found = true;
        return true;
    }
    case TPL_STR: {
        if (!tpl_is_intlike(key)) return true;
        const char *s = obj.u.s->data;
        size_t len = obj.u.s->len;
        int64_t i = tpl_as_int(key);
        if (!tpl_charge_bytes(ctx, len)) return false;
        if (i < 0) {
            i += (int64_t)tpl_utf8_count(s, len);
            if (i < 0) return true;
        }
        size_t off = tpl_utf8_offset(s, len, (size_t)i);
        if (off >= len) return true;
        uint32_t cp;
        size_t n = tpl_utf8_decode(s + off, len - off, &cp);
        *found = true;
        return tpl_str_new(ctx, s + off, n, out);
    }
    case TPL_OBJECT: {
        int64_t x;
        if (!tpl_is_range(obj) || !tpl_is_intlike(key)) return true;
        if (tpl_range_item(obj, tpl_as_int(key), &x)) {
            *out = tpl_int(x);
            *found = true;
        }
        return true;
    }
    default: return true;
    }
}

bool tpl_getattr(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out) {
    if (obj.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, obj);
    bool found;
    if (!attr_lookup(ctx, obj, name, out, &found)) return false;
    if (found) return true;
    /* item fallback: only dicts take str keys (namespaces and objects have no items) */
    if (obj.kind == TPL_DICT) {
        tpl_value *v = tpl_dict_get_str(obj.u.dict, name);
        if (v) {
            *out = *v;
            return true;
        }
    }
    return tpl_undefined_attr(ctx, obj, name, out);
}

bool tpl_getitem(tpl_ctx *ctx, tpl_value obj, tpl_value key, tpl_value *out) {
    if (obj.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, obj);
    if (key.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, key);
    bool found;
    if (!item_lookup(ctx, obj, key, out, &found)) return false;
    if (found) return true;
    if (key.kind == TPL_STR) {
        if (!attr_lookup(ctx, obj, key.u.s->data, out, &found)) return false;
        if (found) return true;
    }
    return tpl_undefined_item(ctx, obj, key, out);
}

/* Python's slice index rules (PySlice_AdjustIndices); returns the item count. */
static size_t adjust_slice(int64_t len, int64_t *start, int64_t *stop, int64_t step,
                           bool has_start, bool has_stop) {
    if (!has_start)
        *start = step < 0 ? len - 1 : 0;
    else if (*start < 0) {
        *start += len;
        if (*start < 0) *start = step < 0 ? -1 : 0;
    } else if (*start >= len)
        *start = step < 0 ? len - 1 : len;
    if (!has_stop)
        *stop = step < 0 ? -1 : len;
    else if (*stop < 0) {
        *stop += len;
        if (*stop < 0) *stop = step < 0 ? -1 : 0;
    } else if (*stop >= len)
        *stop = step < 0 ? len - 1 : len;
    if (step < 0) {
        if (*stop < *start) return (size_t)((uint64_t)(*start - *stop - 1) / (uint64_t)(-step) + 1);
    } else if (*start < *stop) {
        return (size_t)((uint64_t)(*stop - *start - 1) / (uint64_t)step + 1);
    }
    return 0;
}

/* Slices are plain Python subscripts in Jinja (no sandbox fallback): errors raise. */
static bool bad_slice(tpl_ctx *ctx, tpl_value obj, bool bounds_ok) {
    if (obj.kind == TPL_DICT) return tpl_fail(ctx, TPL_E_TYPE, "unhashable type: 'slice'");
    if (obj.kind != TPL_STR && !tpl_is_seq(obj) && !tpl_is_range(obj))
        return tpl_fail(ctx, TPL_E_TYPE, "'%s' object is not subscriptable", tpl_type_name(obj));
    return tpl_fail(ctx, TPL_E_TYPE, "slice indices must be integers or None or have an __index__ method");
}

bool tpl_slice(tpl_ctx *ctx, tpl_value obj, tpl_value start, tpl_value stop, tpl_value step,
               tpl_value *out) {
    if (obj.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, obj);
    if (!tpl_check_defined(ctx, start) || !tpl_check_defined(ctx, stop) ||
        !tpl_check_defined(ctx, step))
        return false;
    bool bounds_ok = (start.kind == TPL_NONE || tpl_is_intlike(start)) &&
                     (stop.kind == TPL_NONE || tpl_is_intlike(stop)) &&
                     (step.kind == TPL_NONE || tpl_is_intlike(step));
    if (!bounds_ok || (obj.kind != TPL_STR && !tpl_is_seq(obj) && !tpl_is_range(obj)))
        return bad_slice(ctx, obj, bounds_ok);
    int64_t st = step.kind == TPL_NONE ? 1 : tpl_as_int(step);
    if (st == 0) return tpl_fail(ctx, TPL_E_VALUE, "slice step cannot be zero");
    if (st < -INT64_MAX) st = -INT64_MAX;
    int64_t a = start.kind == TPL_NONE ? 0 : tpl_as_int(start);
    int64_t z = stop.kind == TPL_NONE ? 0 : tpl_as_int(stop);

    if (tpl_is_range(obj)) {
        adjust_slice(tpl_range_len(obj), &a, &z, st, start.kind != TPL_NONE, stop.kind != TPL_NONE);
        return tpl_range_slice(ctx, obj, a, z, st, out);
    }
    if (obj.kind != TPL_STR) {
        const tpl_list *l = obj.u.list;
        size_t n = adjust_slice((int64_t)l->n, &a, &z, st, start.kind != TPL_NONE,
                                stop.kind != TPL_NONE);
        if (!(obj.kind == TPL_LIST ? tpl_list_new : tpl_tuple_new)(ctx, n, out)) return false;
        if (!tpl_charge(ctx, n / 16)) return false;
        /* a + k*st stays within [-1, len] for k < n, so no overflow */
        for (size_t k = 0; k < n; k++) out->u.list->items[k] = l->items[a + (int64_t)k * st];
        out->u.list->n = n;
        return true;
    }

    const char *s = obj.u.s->data;
    size_t len = obj.u.s->len;
    if (!tpl_charge_bytes(ctx, len)) return false;
    size_t count = tpl_utf8_count(s, len);
    size_t n = adjust_slice((int64_t)count, &a, &z, st, start.kind != TPL_NONE,
                            stop.kind != TPL_NONE);
    if (st == 1) {
        size_t from = tpl_utf8_offset(s, len, (size_t)a);
        size_t to = from + tpl_utf8_offset(s + from, len - from, n);
        return tpl_str_new(ctx, s + from, to - from, out);
    }
    /* General step: byte offsets of every code point (ASCII needs none). */
    size_t *offs = NULL;
    if (count != len) {
        offs = tpl_alloc(ctx, (count + 1) * sizeof(size_t));
        if (offs == NULL) return false;
        size_t k = 0;
        for (size_t i = 0; i < len; k++) {
            uint32_t cp;
            offs[k] = i;
            i += tpl_utf8_decode(s + i, len - i, &cp);
        }
        offs[count] = len;
    }
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    for (size_t k = 0; k < n; k++) {
        int64_t i = a + (int64_t)k * st;
        size_t from = offs ? offs[i] : (size_t)i;
        size_t to = offs ? offs[i + 1] : (size_t)i + 1;
        if (!tpl_buf_put(ctx, &b, s + from, to - from)) return false;
    }
    return tpl_buf_to_str(ctx, &b, out);
}

bool tpl_getattr_only(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out) {
    if (obj.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, obj);
    bool found;
    if (!attr_lookup(ctx, obj, name, out, &found)) return false;
    return found || tpl_undefined_attr(ctx, obj, name, out);
}
