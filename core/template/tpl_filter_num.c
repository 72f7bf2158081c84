/* Jinja2's number and value filters: abs, default/d, filesizeformat, float, int, round,
 * tojson, toyaml; with Python's int()/float() string parsing and round() rules. */
#include "template/tpl_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* float(v) as Python: numbers, and strings by Python's grammar. */
static bool py_float(tpl_ctx *ctx, tpl_value v, double *out, bool *ok) {
    *ok = true;
    if (!tpl_check_defined(ctx, v)) return false;
    if (tpl_is_number(v)) {
        *out = tpl_as_float(v);
        return true;
    }
    if (v.kind == TPL_STR && tpl_parse_float(v.u.s->data, v.u.s->len, out)) return true;
    *ok = false;
    return true;
}

static bool float_to_int(tpl_ctx *ctx, double f, int64_t *out) {
    if (f != f) return tpl_fail(ctx, TPL_E_VALUE, "cannot convert float NaN to integer");
    if (isinf(f)) return tpl_fail(ctx, TPL_E_OVERFLOW, "cannot convert float infinity to integer");
    double t = trunc(f);
    if (!(t >= -9223372036854775808.0 && t < 9223372036854775808.0))
        return tpl_fail(ctx, TPL_E_OVERFLOW, "integer overflow");
    *out = (int64_t)t;
    return true;
}

static bool f_int(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_int", "default", "base");
    tpl_value dflt = p[0] ? v[0] : tpl_int(0);
    int64_t base = 10;
    if (!tpl_check_defined(ctx, in)) return false;
    if (p[1] && !tpl_arg_int(ctx, "int", v[1], &base)) return false;
    if (tpl_is_intlike(in)) {
        *out = tpl_int(tpl_as_int(in));
        return true;
    }
    if (in.kind == TPL_FLOAT) {
        if (in.u.f != in.u.f) return *out = dflt, true; /* ValueError → default */
        int64_t i = 0;
        if (!float_to_int(ctx, in.u.f, &i)) return false;
        *out = tpl_int(i);
        return true;
    }
    if (in.kind == TPL_STR) {
        int64_t i = 0;
        bool overflow;
        if (base >= 0 && base <= 36 && base != 1 &&
            tpl_parse_int(in.u.s->data, in.u.s->len, (int)base, &i, &overflow)) {
            if (overflow) return tpl_fail(ctx, TPL_E_OVERFLOW, "integer overflow");
            *out = tpl_int(i);
            return true;
        }
        /* "42.23"|int is 42: Jinja retries through float */
        double f;
        if (tpl_parse_float(in.u.s->data, in.u.s->len, &f) && f == f) {
            if (!float_to_int(ctx, f, &i)) return false;
            *out = tpl_int(i);
            return true;
        }
    }
    *out = dflt;
    return true;
}

static bool f_float(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_float", "default");
    double f;
    bool ok;
    if (!py_float(ctx, in, &f, &ok)) return false;
    *out = ok ? tpl_float(f) : p[0] ? v[0] : tpl_float(0.0);
    return true;
}

static bool f_abs(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    if (args->n_pos || args->n_kw) return tpl_fail(ctx, TPL_E_TYPE, "abs() takes exactly one argument");
    if (!tpl_check_defined(ctx, in)) return false;
    if (in.kind == TPL_FLOAT) {
        *out = tpl_float(fabs(in.u.f));
        return true;
    }
    if (tpl_is_intlike(in)) {
        int64_t i = tpl_as_int(in);
        if (i == INT64_MIN) return tpl_fail(ctx, TPL_E_OVERFLOW, "integer overflow");
        *out = tpl_int(i < 0 ? -i : i);
        return true;
    }
    return tpl_fail(ctx, TPL_E_TYPE, "bad operand type for abs(): '%s'", tpl_type_name(in));
}

static bool f_default(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_default", "default_value", "boolean");
    bool boolean, truthy = true;
    if (!tpl_arg_bool(ctx, v[1], p[1], false, &boolean)) return false;
    tpl_value dflt = v[0];
    if (!p[0] && !tpl_str_new(ctx, "", 0, &dflt)) return false;
    if (in.kind != TPL_UNDEFINED && boolean && !tpl_truthy(ctx, in, &truthy)) return false;
    *out = in.kind == TPL_UNDEFINED || !truthy ? dflt : in;
    return true;
}

/* round(x, n) for floats: the exact decimal value rounded half-even at 10^-n. */
static bool round_float(tpl_ctx *ctx, double x, int64_t nd, double *out) {
    if (nd > 323 || x == 0 || isnan(x) || isinf(x)) {
        *out = x;
        return true;
    }
    if (nd < -308) {
        *out = 0.0 * x;
        return true;
    }
    char buf[512];
    if (nd >= 0) {
        /* glibc prints the exact binary value correctly rounded (half-even on ties) */
        snprintf(buf, sizeof buf, "%.*f", (int)nd, x);
    } else {
        int k = (int)-nd;
        char exact[400];
        snprintf(exact, sizeof exact, "%.60f", fabs(x)); /* exact for |x| >= 1 */
        char *dot = strchr(exact, '.');
        size_t ilen = (size_t)(dot - exact);
        if (fabs(x) < 1) {
            *out = copysign(0.0, x);
            return true;
        }
        /* q = integer digits before the cut; r = the digits after it (the remainder) */
        char q[400];
        size_t qlen = ilen > (size_t)k ? ilen - (size_t)k : 0;
        memcpy(q, exact, qlen);
        q[qlen] = '\0';
        const char *r = exact + qlen; /* includes the '.' and the fraction */
        int cmp = 0;                   /* remainder vs half: 5000... */
        size_t rdig = 0;
        for (const char *c = r; *c; c++) {
            if (*c == '.') continue;
            int want = rdig == 0 ? 5 : 0;
            if ((size_t)k > ilen && rdig == 0) {
                /* the cut is above the first digit: remainder < 0.1 * 10^k < half */
                cmp = -1;
                break;
            }
            int d = *c - '0';
            if (d != want) {
                cmp = d > want ? 1 : -1;
                break;
            }
            rdig++;
        }
        bool q_odd = qlen > 0 && ((q[qlen - 1] - '0') & 1);
        bool up = cmp > 0 || (cmp == 0 && q_odd);
        if (qlen == 0) {
            strcpy(q, "0");
            qlen = 1;
        }
        if (up) {
            size_t i = qlen;
            while (i > 0 && q[i - 1] == '9') q[--i] = '0';
            if (i == 0) {
                memmove(q + 1, q, qlen + 1);
                q[0] = '1';
                qlen++;
            } else {
                q[i - 1]++;
            }
        }
        snprintf(buf, sizeof buf, "%s%se%d", x < 0 ? "-" : "", q, k);
    }
    double r = strtod(buf, NULL);
    if (isinf(r)) return tpl_fail(ctx, TPL_E_OVERFLOW, "rounded value too large to represent");
    *out = r;
    return true;
}

/* round(i, n) for ints: n >= 0 leaves i; n < 0 rounds half-even to 10^-n. */
static bool round_int(tpl_ctx *ctx, int64_t i, int64_t nd, int64_t *out) {
    if (nd >= 0) {
        *out = i;
        return true;
    }
    if (nd < -19) {
        *out = 0;
        return true;
    }
    __int128 pow10 = 1;
    for (int64_t k = 0; k < -nd; k++) pow10 *= 10;
    __int128 x = i, q = x / pow10, r = x % pow10;
    if (r < 0) r += pow10, q -= 1; /* floor division */
    __int128 twice = 2 * r;
    if (twice > pow10 || (twice == pow10 && (q & 1))) q += 1;
    __int128 res = q * pow10;
    if (res > INT64_MAX || res < INT64_MIN) return tpl_fail(ctx, TPL_E_OVERFLOW, "integer overflow");
    *out = (int64_t)res;
    return true;
}

static bool f_round(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_round", "precision", "method");
    int64_t prec = 0;
    if (!tpl_check_defined(ctx, in)) return false;
    if (p[0] && !tpl_arg_int(ctx, "round", v[0], &prec)) return false;
    const char *method = "common";
    if (p[1]) {
        if (!tpl_check_defined(ctx, v[1])) return false;
        method = v[1].kind == TPL_STR ? v[1].u.s->data : "";
    }
    bool common = strcmp(method, "common") == 0, ceil_ = strcmp(method, "ceil") == 0;
    if (!common && !ceil_ && strcmp(method, "floor") != 0)
        return tpl_fail(ctx, TPL_E_FILTER_ARG, "method must be common, ceil or floor");
    if (common) {
        if (tpl_is_intlike(in)) {
            int64_t r = 0;
            if (!round_int(ctx, tpl_as_int(in), prec, &r)) return false;
            *out = tpl_int(r);
            return true;
        }
        if (in.kind != TPL_FLOAT)
            return tpl_fail(ctx, TPL_E_TYPE, "type %s doesn't define __round__ method", tpl_type_name(in));
        double r = 0;
        if (!round_float(ctx, in.u.f, prec, &r)) return false;
        *out = tpl_float(r);
        return true;
    }
    /* math.ceil/floor(value * 10**precision) / 10**precision */
    tpl_value scale, scaled;
    if (!tpl_binop(ctx, "**", tpl_int(10), tpl_int(prec), &scale) ||
        !tpl_binop(ctx, "*", in, scale, &scaled))
        return false;
    int64_t whole = 0;
    if (scaled.kind == TPL_FLOAT) {
        double f = ceil_ ? ceil(scaled.u.f) : floor(scaled.u.f);
        if (!float_to_int(ctx, f, &whole)) return false;
    } else if (tpl_is_intlike(scaled)) {
        whole = tpl_as_int(scaled);
    } else {
        return tpl_fail(ctx, TPL_E_TYPE, "must be real number, not %s", tpl_type_name(scaled));
    }
    return tpl_binop(ctx, "/", tpl_int(whole), scale, out);
}

static bool f_filesizeformat(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("do_filesizeformat", "binary");
    bool binary, ok;
    double bytes;
    if (!tpl_arg_bool(ctx, v[0], p[0], false, &binary) || !py_float(ctx, in, &bytes, &ok)) return false;
    if (!ok) {
        if (in.kind == TPL_STR) {
            tpl_value r;
            if (!tpl_repr(ctx, in, &r)) return false;
            return tpl_fail(ctx, TPL_E_VALUE, "could not convert string to float: %s", r.u.s->data);
        }
        return tpl_fail(ctx, TPL_E_TYPE, "float() argument must be a string or a real number, not '%s'",
                        tpl_type_name(in));
    }
    double base = binary ? 1024 : 1000;
    static const char *const dec[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    static const char *const bin[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
    char text[128];
    if (bytes == 1) {
        snprintf(text, sizeof text, "1 Byte");
    } else if (bytes < base) {
        int64_t i = 0;
        if (!float_to_int(ctx, bytes, &i)) return false;
        snprintf(text, sizeof text, "%lld Bytes", (long long)i);
    } else {
        double unit = base;
        int i = 0;
        for (; i < 8; i++) {
            unit *= base;
            if (bytes < unit) break;
        }
        if (i == 8) i = 7; /* past YB: Python keeps the last unit, base**9 */
        tpl_buf b = {0};
        if (!tpl_fmt_float_body(ctx, &b, base * bytes / unit, 'f', 1, false)) return false;
        snprintf(text, sizeof text, "%s%s %s", signbit(base * bytes / unit) ? "-" : "", b.data,
                 binary ? bin[i] : dec[i]);
    }
    return tpl_str_cstr(ctx, text, out);
}

static bool f_tojson(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    return tpl_tojson(ctx, in, args, out);
}

/* Forgather's toyaml(value, default?): undefined → default or raise. */
static bool f_toyaml(tpl_ctx *ctx, tpl_value in, const tpl_args *args, tpl_value *out) {
    BIND("toyaml", "default_value");
    if (in.kind == TPL_UNDEFINED) {
        if (!p[0]) return tpl_undefined_fail(ctx, in);
        in = v[0];
    }
    return tpl_toyaml(ctx, in, out);
}

const tpl_filter_entry tpl_filters_num[] = {
    {"abs", f_abs},       {"d", f_default},       {"default", f_default},
    {"filesizeformat", f_filesizeformat},         {"float", f_float},
    {"int", f_int},       {"round", f_round},     {"tojson", f_tojson},
    {"toyaml", f_toyaml}, {NULL, NULL},
};
