/* Helpers shared by the value model and the builtins (tpl_value*.c, tpl_dict.c, tpl_ops.c,
 * tpl_access.c, tpl_method*.c, tpl_filter*.c, tpl_test*.c, tpl_global*.c, tpl_format.c,
 * tpl_toyaml.c). Not part of the renderer's contract (that is tpl.h). */
#ifndef FG_CORE_TPL_IMPL_H
#define FG_CORE_TPL_IMPL_H

#include "template/tpl.h"

/* Jinja/Python exception names used as error classes. */
#define TPL_E_TYPE "TypeError"
#define TPL_E_VALUE "ValueError"
#define TPL_E_UNDEFINED "UndefinedError"
#define TPL_E_SECURITY "SecurityError"
#define TPL_E_OVERFLOW "OverflowError"
#define TPL_E_ZERO "ZeroDivisionError"
#define TPL_E_RUNTIME "TemplateRuntimeError"
#define TPL_E_FILTER_ARG "FilterArgumentError"
#define TPL_E_INDEX "IndexError"
#define TPL_E_KEY "KeyError"
#define TPL_E_ATTRIBUTE "AttributeError"
#define TPL_E_RECURSION "RecursionError"
#define TPL_E_MEMORY "MemoryError"
#define TPL_E_RESOURCE "ResourceLimitError"

/* Charges `units` evaluation steps (linear work inside one builtin, so a loop over a big
 * list cannot run unbounded between the renderer's own tpl_step calls). */
bool tpl_charge(tpl_ctx *ctx, uint64_t units);
/* Byte-scanning work: one step per 64 bytes. */
static inline bool tpl_charge_bytes(tpl_ctx *ctx, size_t bytes) {
    return tpl_charge(ctx, (uint64_t)(bytes / 64) + 1);
}
/* Grows an arena block: extends in place when `old` is the newest allocation, else copies.
 * The new tail is zeroed. */
void *tpl_realloc(tpl_ctx *ctx, void *old, size_t old_size, size_t new_size);
/* Guards recursion over nested data (repr, ==, hashing, copies, toyaml): RecursionError
 * past ctx->max_depth. Every successful enter needs a leave. */
bool tpl_depth_enter(tpl_ctx *ctx);
static inline void tpl_depth_leave(tpl_ctx *ctx) { ctx->depth--; }

/* Undefined values: the message lives in u.s; an error class other than UndefinedError
 * (the sandbox's SecurityError for unsafe attributes) is stored after the message's NUL. */
bool tpl_undefined_new_class(tpl_ctx *ctx, tpl_value *out, const char *error_class,
                             const char *fmt, ...) FG_PRINTF(4, 5);
/* "'dict object' has no attribute 'y'" / "list object has no element 5", as Jinja. */
bool tpl_undefined_attr(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out);
bool tpl_undefined_item(tpl_ctx *ctx, tpl_value obj, tpl_value key, tpl_value *out);
/* Jinja's object_type_repr: "dict object", "None", "jinja2.utils.Namespace object". */
void tpl_object_type_repr(tpl_value v, char *buf, size_t size);

static inline bool tpl_is_str(tpl_value v) { return v.kind == TPL_STR; }
static inline bool tpl_is_seq(tpl_value v) { return v.kind == TPL_LIST || v.kind == TPL_TUPLE; }
/* int or bool (Python's bool is an int) */
static inline bool tpl_is_intlike(tpl_value v) { return v.kind == TPL_INT || v.kind == TPL_BOOL; }
static inline bool tpl_is_number(tpl_value v) {
    return v.kind == TPL_INT || v.kind == TPL_BOOL || v.kind == TPL_FLOAT;
}
static inline int64_t tpl_as_int(tpl_value v) { return v.kind == TPL_BOOL ? (int64_t)v.u.b : v.u.i; }
static inline double tpl_as_float(tpl_value v) {
    return v.kind == TPL_FLOAT ? v.u.f : (double)tpl_as_int(v);
}
static inline const char *tpl_sdata(tpl_value v) { return v.u.s->data; }
static inline size_t tpl_slen(tpl_value v) { return v.u.s->len; }

/* Appends `times` copies of the n bytes at s (padding). */
bool tpl_buf_repeat(tpl_ctx *ctx, tpl_buf *b, const char *s, size_t n, size_t times);
/* str(v) / repr(v) appended to a buffer. */
bool tpl_buf_put_str(tpl_ctx *ctx, tpl_buf *b, tpl_value v);
bool tpl_buf_put_repr(tpl_ctx *ctx, tpl_buf *b, tpl_value v);
static inline bool tpl_buf_putc(tpl_ctx *ctx, tpl_buf *b, char c) {
    return tpl_buf_put(ctx, b, &c, 1);
}
static inline bool tpl_buf_puts(tpl_ctx *ctx, tpl_buf *b, const char *s);
/* Python's repr of a str, appended. */
bool tpl_buf_put_str_repr(tpl_ctx *ctx, tpl_buf *b, const char *s, size_t len);

/* Hash of a hashable value (TypeError "unhashable type: 'list'" otherwise). Values that
 * compare equal hash equally (1, 1.0, True). */
bool tpl_hash(tpl_ctx *ctx, tpl_value v, uint64_t *out);
/* Equality used for dict keys: like ==, no errors (callers hashed the key first). */
bool tpl_key_equal(tpl_value a, tpl_value b);

/* dict.keys()/values()/items(): live views of a dict (TPL_OBJECT), printed as Python does
 * ("dict_items([('a', 1)])"), iterable, with len() and `in`. */
typedef enum tpl_view_kind { TPL_VIEW_NONE, TPL_VIEW_KEYS, TPL_VIEW_VALUES, TPL_VIEW_ITEMS } tpl_view_kind;
tpl_view_kind tpl_view_kind_of(tpl_value v);
tpl_dict *tpl_view_dict(tpl_value v); /* only for views */
bool tpl_view_new(tpl_ctx *ctx, tpl_dict *dict, tpl_view_kind kind, tpl_value *out);

/* range objects (tpl_range.c): what range() returns. */
bool tpl_range_new(tpl_ctx *ctx, int64_t start, int64_t stop, int64_t step, tpl_value *out);
bool tpl_is_range(tpl_value v);
int64_t tpl_range_len(tpl_value v);
bool tpl_range_item(tpl_value v, int64_t i, int64_t *out); /* false when out of range */
bool tpl_range_list(tpl_ctx *ctx, tpl_value v, tpl_list **out);
bool tpl_range_contains(tpl_ctx *ctx, tpl_value v, tpl_value item, bool *out);
bool tpl_range_equal(tpl_value a, tpl_value b);
/* v[a:b:c] with a, b already adjusted (PySlice_AdjustIndices) */
bool tpl_range_slice(tpl_ctx *ctx, tpl_value v, int64_t a, int64_t b, int64_t c, tpl_value *out);

/* Shallow copies. */
bool tpl_list_copy(tpl_ctx *ctx, tpl_value src, tpl_kind kind, tpl_value *out);
bool tpl_dict_copy(tpl_ctx *ctx, const tpl_dict *src, tpl_value *out);

/* Raises the error an undefined value carries ("'x' is undefined"). */
bool tpl_undefined_fail(tpl_ctx *ctx, tpl_value v);
/* Fails with the undefined's error when v is undefined; true otherwise. */
static inline bool tpl_check_defined(tpl_ctx *ctx, tpl_value v) {
    return v.kind != TPL_UNDEFINED || tpl_undefined_fail(ctx, v);
}

/* UTF-8: decodes one code point (invalid bytes decode as themselves, one byte each);
 * returns the bytes consumed (>= 1 when len > 0). */
size_t tpl_utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Start of the code point that ends at byte `end` (end > 0). */
size_t tpl_utf8_prev(const char *s, size_t end);
/* Encodes cp into out (4 bytes room); returns the length. */
size_t tpl_utf8_encode(uint32_t cp, char *out);

/* Unicode properties (tpl_unicode.c, tables generated from Python's unicodedata). */
bool tpl_uni_printable(uint32_t cp);
bool tpl_uni_space(uint32_t cp);
bool tpl_uni_alpha(uint32_t cp);
bool tpl_uni_digit(uint32_t cp);   /* str.isdigit */
bool tpl_uni_decimal(uint32_t cp); /* str.isdecimal: what int() accepts */
bool tpl_uni_upper(uint32_t cp);   /* cased upper */
bool tpl_uni_lower(uint32_t cp);   /* cased lower */
bool tpl_uni_cased(uint32_t cp);
bool tpl_uni_alnum(uint32_t cp);
bool tpl_uni_numeric(uint32_t cp); /* str.isnumeric */
bool tpl_uni_title(uint32_t cp);   /* titlecase letter (Lt) */
uint32_t tpl_uni_to_upper(uint32_t cp); /* simple (one-to-one) case mappings */
uint32_t tpl_uni_to_lower(uint32_t cp);
uint32_t tpl_uni_to_title(uint32_t cp);
/* str.upper()/lower()/title()/capitalize()/swapcase-like conversions on UTF-8 text,
 * with Python's full mappings for the common special cases (ß → SS). */
typedef enum tpl_case_op {
    TPL_CASE_NONE, /* internal: character kept */
    TPL_CASE_UPPER,
    TPL_CASE_LOWER,
    TPL_CASE_TITLE,
    TPL_CASE_CAPITALIZE,
    TPL_CASE_SWAPCASE,
    TPL_CASE_CASEFOLD,
} tpl_case_op;
bool tpl_str_case(tpl_ctx *ctx, tpl_value s, tpl_case_op op, tpl_value *out);
/* Python's str.strip() whitespace test. */
static inline bool tpl_is_space_cp(uint32_t cp) { return tpl_uni_space(cp); }

/* Makes a str of n code points from the characters of s starting at code point `from`. */
bool tpl_str_sub(tpl_ctx *ctx, tpl_value s, size_t from_byte, size_t to_byte, tpl_value *out);

/* Common builders. */
bool tpl_tuple2(tpl_ctx *ctx, tpl_value a, tpl_value b, tpl_value *out);

/* Python int(str) / float(str) parsing (whitespace, underscores, sign); false when the
 * text is not a number (no error recorded). */
bool tpl_parse_int(const char *s, size_t len, int base, int64_t *out, bool *overflow);
bool tpl_parse_float(const char *s, size_t len, double *out);

/* Stable merge sort; less(a, b) sets *lt to a < b (may fail). */
typedef bool (*tpl_less_fn)(tpl_ctx *ctx, tpl_value a, tpl_value b, void *data, bool *lt);
bool tpl_sort(tpl_ctx *ctx, tpl_value *items, size_t n, tpl_less_fn less, void *data);
/* Reorders items[] by keys[] (stable; reverse keeps equal items in order). */
bool tpl_sort_by_keys(tpl_ctx *ctx, tpl_value *items, const tpl_value *keys, size_t n, bool reverse);
/* Python's plain a < b (list.sort, sorted()). */
bool tpl_less(tpl_ctx *ctx, tpl_value a, tpl_value b, void *data, bool *lt);

/* Method tables per type (tpl_method_str*.c, tpl_method_coll.c). */
typedef struct tpl_method_entry {
    const char *name, *full;
    tpl_native_fn fn;
} tpl_method_entry;
extern const tpl_method_entry tpl_str_edit_methods[]; /* tpl_method_str_edit.c */
/* Last occurrence of needle (m > 0) in hay (step-charged scan); *hit NULL when absent. */
bool tpl_str_rfind(tpl_ctx *ctx, const char *hay, size_t n, const char *needle, size_t m, const char **hit);
bool tpl_method_str_lookup(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out, bool *found);
bool tpl_method_coll_lookup(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out, bool *found);

/* str helpers shared by methods and filters (tpl_method_str.c). chars: TPL_NONE for
 * whitespace; count < 0: all; align '<' '>' '^'. */
bool tpl_str_strip(tpl_ctx *ctx, tpl_value s, tpl_value chars, bool left, bool right, tpl_value *out);
bool tpl_str_replace(tpl_ctx *ctx, tpl_value s, tpl_value old, tpl_value new_, int64_t count,
                     tpl_value *out);
bool tpl_str_join(tpl_ctx *ctx, tpl_value sep, tpl_value iterable, tpl_value *out);
bool tpl_str_pad(tpl_ctx *ctx, tpl_value s, int64_t width, const char *fill, size_t fill_n,
                 char align, tpl_value *out);
bool tpl_str_is_case(tpl_ctx *ctx, tpl_value s, bool upper, bool *out);

/* dict.update()/dict(): a mapping or iterable of pairs as args->pos[0], then keywords. */
bool tpl_dict_update(tpl_ctx *ctx, tpl_dict *dst, const tpl_args *args, const char *fn);

/* Index conversion for builtin arguments: an int (or bool), else TypeError naming fn. */
bool tpl_arg_int(tpl_ctx *ctx, const char *fn, tpl_value v, int64_t *out);
/* A str argument, else TypeError "fn() argument must be str, not int". */
bool tpl_arg_str(tpl_ctx *ctx, const char *fn, tpl_value v);

/* Number rendering shared by % and str.format (tpl_format.c): the body of |f| as C's
 * %.{prec}{type} (type e E f F g G; prec < 0: 6) with Python's inf/nan spelling; the
 * digits of an unsigned magnitude in base 2/8/10/16. */
bool tpl_fmt_float_body(tpl_ctx *ctx, tpl_buf *b, double f, char type, int64_t prec, bool alt);
void tpl_fmt_uint_digits(uint64_t v, int base, bool upper, char *out);
uint64_t tpl_fmt_magnitude(int64_t i);

/* Builtin tables: NULL-terminated name → function lists, one per file. */
typedef struct tpl_filter_entry {
    const char *name;
    tpl_filter_fn fn;
} tpl_filter_entry;
typedef struct tpl_test_entry {
    const char *name;
    tpl_test_fn fn;
} tpl_test_entry;
extern const tpl_filter_entry tpl_filters_str[];  /* tpl_filter_str.c */
extern const tpl_filter_entry tpl_filters_seq[];  /* tpl_filter_seq.c */
extern const tpl_filter_entry tpl_filters_num[];  /* tpl_filter_num.c */
extern const tpl_filter_entry tpl_filters_more[]; /* tpl_filter_more.c */

/* Attribute only, no item fallback (the attr filter); undefined when missing. */
bool tpl_getattr_only(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out);
/* Jinja's make_attrgetter: "a.b.0" looked up item-first on each part; default replaces
 * an undefined result when not TPL_NONE; lower: lowercase str results (ignore_case). */
bool tpl_attrgetter(tpl_ctx *ctx, tpl_value item, tpl_value attribute, tpl_value dflt,
                    bool lower, tpl_value *out);
/* markupsafe.escape of text, appended. */
bool tpl_html_escape(tpl_ctx *ctx, tpl_buf *b, const char *s, size_t len);
/* Python's str(v) as a tpl_str value, failing on undefined (Jinja's soft_str). */
static inline bool tpl_soft_str(tpl_ctx *ctx, tpl_value v, tpl_value *out) {
    return tpl_to_str(ctx, v, out);
}
/* Python's truthiness of an optional argument (absent: dflt). */
static inline bool tpl_arg_bool(tpl_ctx *ctx, tpl_value v, bool present, bool dflt, bool *out) {
    if (!present) {
        *out = dflt;
        return true;
    }
    return tpl_truthy(ctx, v, out);
}

/* A builtin defined through tpl_bind_args: parameter names and the fn. */
#define TPL_NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* In a builtin (ctx, args in scope): binds the arguments to the named parameters, into
 * v[i] (the value) and p[i] (whether given), or returns false with the error set. */
#define BIND(fn, ...)                                                                       \
    tpl_value v[8];                                                                         \
    bool p[8];                                                                              \
    if (!tpl_bind_args(ctx, fn, args, TPL_NAMES(__VA_ARGS__), v, p)) return false

static inline bool tpl_buf_puts(tpl_ctx *ctx, tpl_buf *b, const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return tpl_buf_put(ctx, b, s, n);
}

#endif
