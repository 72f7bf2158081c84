/* Python arithmetic on template values: + - * / // % ** with int64 results that raise on
 * overflow, floor division and modulo toward -inf, Python's float pow edge cases, and the
 * sequence forms (str/list concatenation and repetition, str % args). */
#include "template/tpl_impl.h"

#include <math.h>
#include <string.h>

/* ---- arithmetic ---- */

static bool overflow(tpl_ctx *ctx) { return tpl_fail(ctx, TPL_E_OVERFLOW, "integer overflow"); }

static bool unsupported(tpl_ctx *ctx, const char *op, tpl_value a, tpl_value b) {
    return tpl_fail(ctx, TPL_E_TYPE, "unsupported operand type(s) for %s: '%s' and '%s'", op,
                    tpl_type_name(a), tpl_type_name(b));
}

/* Python's float divmod: floor quotient and a remainder with the divisor's sign. */
static void float_divmod(double vx, double wx, double *floordiv, double *modv) {
    double mod = fmod(vx, wx);
    double div = (vx - mod) / wx;
    if (mod) {
        if ((wx < 0) != (mod < 0)) {
            mod += wx;
            div -= 1.0;
        }
    } else {
        mod = copysign(0.0, wx);
    }
    double fd;
    if (div) {
        fd = floor(div);
        if (div - fd > 0.5) fd += 1.0;
    } else {
        fd = copysign(0.0, vx / wx);
    }
    *floordiv = fd;
    *modv = mod;
}

static bool float_pow(tpl_ctx *ctx, double iv, double iw, double *out) {
    bool negate = false;
    if (iw == 0) return *out = 1.0, true;
    if (iv != iv) return *out = iv, true;
    if (iw != iw) return *out = iv == 1.0 ? 1.0 : iw, true;
    bool iw_odd = fabs(fmod(iw, 2.0)) == 1.0;
    if (isinf(iw)) {
        iv = fabs(iv);
        if (iv == 1.0) return *out = 1.0, true;
        *out = (iw > 0.0) == (iv > 1.0) ? fabs(iw) : 0.0;
        return true;
    }
    if (isinf(iv)) {
        if (iw > 0.)
            *out = iw_odd ? iv : fabs(iv);
        else
            *out = iw_odd ? copysign(0.0, iv) : 0.0;
        return true;
    }
    if (iv == 0.0) {
        if (iw < 0.0) return tpl_fail(ctx, TPL_E_ZERO, "0.0 cannot be raised to a negative power");
        *out = iw_odd ? iv : 0.0;
        return true;
    }
    if (iv < 0.0) {
        if (iw != floor(iw))
            return tpl_fail(ctx, TPL_E_VALUE,
                            "negative number cannot be raised to a fractional power "
                            "(complex results are not supported)");
        iv = -iv;
        negate = iw_odd;
    }
    if (iv == 1.0) return *out = negate ? -1.0 : 1.0, true;
    double r = pow(iv, iw);
    if (isinf(r))
        return tpl_fail(ctx, TPL_E_OVERFLOW, "(34, 'Numerical result out of range')");
    *out = negate ? -r : r;
    return true;
}

static bool int_pow(tpl_ctx *ctx, int64_t base, int64_t exp, int64_t *out) {
    int64_t result = 1;
    while (exp > 0) {
        if (exp & 1) {
            if (__builtin_mul_overflow(result, base, &result)) return overflow(ctx);
        }
        exp >>= 1;
        if (exp > 0 && __builtin_mul_overflow(base, base, &base)) {
            /* base^2 overflowing only matters if it is used again; |base| >= 2 here and
             * exp >= 1 remains, so the result would overflow too. */
            return overflow(ctx);
        }
    }
    *out = result;
    return true;
}

static bool numeric_binop(tpl_ctx *ctx, char op, bool floor_div, bool power, tpl_value a,
                          tpl_value b, tpl_value *out) {
    bool is_float = a.kind == TPL_FLOAT || b.kind == TPL_FLOAT;
    if (!is_float) {
        int64_t x = tpl_as_int(a), y = tpl_as_int(b), r = 0;
        if (power) {
            if (y >= 0) {
                if (!int_pow(ctx, x, y, &r)) return false;
                *out = tpl_int(r);
                return true;
            }
            double f;
            if (!float_pow(ctx, (double)x, (double)y, &f)) return false;
            *out = tpl_float(f);
            return true;
        }
        if (floor_div) {
            if (y == 0) return tpl_fail(ctx, TPL_E_ZERO, "integer division or modulo by zero");
            if (x == INT64_MIN && y == -1) return overflow(ctx);
            r = x / y;
            if ((x % y != 0) && ((x < 0) != (y < 0))) r--;
            *out = tpl_int(r);
            return true;
        }
        switch (op) {
        case '+':
            if (__builtin_add_overflow(x, y, &r)) return overflow(ctx);
            break;
        case '-':
            if (__builtin_sub_overflow(x, y, &r)) return overflow(ctx);
            break;
        case '*':
            if (__builtin_mul_overflow(x, y, &r)) return overflow(ctx);
            break;
        case '/':
            if (y == 0) return tpl_fail(ctx, TPL_E_ZERO, "division by zero");
            /* long double holds int64 exactly, so this rounds like Python's int/int */
            *out = tpl_float((double)((long double)x / (long double)y));
            return true;
        case '%':
            if (y == 0) return tpl_fail(ctx, TPL_E_ZERO, "integer modulo by zero");
            if (y == -1) {
                r = 0;
                break;
            }
            r = x % y;
            if (r != 0 && ((r < 0) != (y < 0))) r += y;
            break;
        }
        *out = tpl_int(r);
        return true;
    }
    double x = tpl_as_float(a), y = tpl_as_float(b), r = 0, q, m;
    if (power) {
        if (!float_pow(ctx, x, y, &r)) return false;
        *out = tpl_float(r);
        return true;
    }
    if (floor_div) {
        if (y == 0) return tpl_fail(ctx, TPL_E_ZERO, "float floor division by zero");
        float_divmod(x, y, &q, &m);
        *out = tpl_float(q);
        return true;
    }
    switch (op) {
    case '+': r = x + y; break;
    case '-': r = x - y; break;
    case '*': r = x * y; break;
    case '/':
        if (y == 0) return tpl_fail(ctx, TPL_E_ZERO, "float division by zero");
        r = x / y;
        break;
    case '%':
        if (y == 0) return tpl_fail(ctx, TPL_E_ZERO, "float modulo");
        float_divmod(x, y, &q, &m);
        r = m;
        break;
    }
    *out = tpl_float(r);
    return true;
}

static bool concat(tpl_ctx *ctx, tpl_value a, tpl_value b, tpl_value *out) {
    if (a.kind == TPL_STR) {
        size_t n = a.u.s->len + b.u.s->len;
        if (n > ctx->max_bytes) return tpl_fail(ctx, TPL_E_MEMORY, "string too large");
        if (!tpl_charge_bytes(ctx, n)) return false;
        tpl_str *s = tpl_alloc(ctx, sizeof(tpl_str) + n + 2);
        if (s == NULL) return false;
        s->len = n;
        memcpy(s->data, a.u.s->data, a.u.s->len);
        memcpy(s->data + a.u.s->len, b.u.s->data, b.u.s->len);
        out->kind = TPL_STR;
        out->u.s = s;
        return true;
    }
    size_t n = a.u.list->n + b.u.list->n;
    if (!(a.kind == TPL_LIST ? tpl_list_new : tpl_tuple_new)(ctx, n, out)) return false;
    if (a.u.list->n) memcpy(out->u.list->items, a.u.list->items, a.u.list->n * sizeof(tpl_value));
    if (b.u.list->n)
        memcpy(out->u.list->items + a.u.list->n, b.u.list->items, b.u.list->n * sizeof(tpl_value));
    out->u.list->n = n;
    return tpl_charge(ctx, n / 16);
}

static bool repeat(tpl_ctx *ctx, tpl_value seq, int64_t times, tpl_value *out) {
    if (times < 0) times = 0;
    if (seq.kind == TPL_STR) {
        size_t len = seq.u.s->len;
        if (len && (uint64_t)times > ctx->max_bytes / len)
            return tpl_fail(ctx, TPL_E_MEMORY, "string too large");
        size_t total = len * (size_t)times;
        if (!tpl_charge_bytes(ctx, total)) return false;
        tpl_str *s = tpl_alloc(ctx, sizeof(tpl_str) + total + 2);
        if (s == NULL) return false;
        s->len = total;
        if (total) memcpy(s->data, seq.u.s->data, len);
        for (size_t done = len; done < total;) { /* doubling copies */
            size_t chunk = done < total - done ? done : total - done;
            memcpy(s->data + done, s->data, chunk);
            done += chunk;
        }
        out->kind = TPL_STR;
        out->u.s = s;
        return true;
    }
    size_t n = seq.u.list->n;
    if (n && (uint64_t)times > ctx->max_bytes / sizeof(tpl_value) / n)
        return tpl_fail(ctx, TPL_E_MEMORY, "list too large");
    size_t total = n * (size_t)times;
    if (!tpl_charge(ctx, total / 16)) return false;
    if (!(seq.kind == TPL_LIST ? tpl_list_new : tpl_tuple_new)(ctx, total, out)) return false;
    if (total) memcpy(out->u.list->items, seq.u.list->items, n * sizeof(tpl_value));
    for (size_t done = n; done < total;) {
        size_t chunk = done < total - done ? done : total - done;
        memcpy(out->u.list->items + done, out->u.list->items, chunk * sizeof(tpl_value));
        done += chunk;
    }
    out->u.list->n = total;
    return true;
}

static bool is_sequence(tpl_value v) { return v.kind == TPL_STR || tpl_is_seq(v); }

bool tpl_binop(tpl_ctx *ctx, const char *op, tpl_value a, tpl_value b, tpl_value *out) {
    if (a.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, a);
    if (b.kind == TPL_UNDEFINED) return tpl_undefined_fail(ctx, b);
    bool floor_div = strcmp(op, "//") == 0, power = strcmp(op, "**") == 0;
    char c = op[0];
    if (!floor_div && !power && (op[1] != '\0' || strchr("+-*/%", c) == NULL))
        return tpl_fail(ctx, TPL_E_RUNTIME, "unknown operator '%s'", op);
    if (tpl_is_number(a) && tpl_is_number(b))
        return numeric_binop(ctx, c, floor_div, power, a, b, out);
    if (c == '+' && !floor_div && !power) {
        if (is_sequence(a) && a.kind == b.kind) return concat(ctx, a, b, out);
        if (is_sequence(a))
            return tpl_fail(ctx, TPL_E_TYPE, "can only concatenate %s (not \"%s\") to %s",
                            tpl_type_name(a), tpl_type_name(b), tpl_type_name(a));
    }
    if (c == '*' && !power) {
        if (is_sequence(a) && tpl_is_intlike(b)) return repeat(ctx, a, tpl_as_int(b), out);
        if (is_sequence(b) && tpl_is_intlike(a)) return repeat(ctx, b, tpl_as_int(a), out);
        if (is_sequence(a) || is_sequence(b))
            return tpl_fail(ctx, TPL_E_TYPE, "can't multiply sequence by non-int of type '%s'",
                            tpl_type_name(is_sequence(a) ? b : a));
    }
    if (c == '%' && a.kind == TPL_STR) return tpl_format_percent(ctx, a, b, out);
    return unsupported(ctx, op, a, b);
}

