/* Template engine internals shared by the renderer (tpl_lex/parse/eval/render*.c) and the
 * value model + builtins (tpl_value*.c, tpl_filter*.c, tpl_test*.c, tpl_method*.c,
 * tpl_global*.c, tpl_format*.c, tpl_toyaml.c). Values follow Python/Jinja2 semantics,
 * because the conformance corpus compares our output with real Jinja2 byte for byte.
 *
 * Memory: every value of one render lives in the render's arena (tpl_ctx.arena) and is
 * freed with it; nothing is reference counted. Lists and dicts are mutable reference
 * objects (Jinja's sandbox allows list.append, dict.update), so values hold pointers.
 *
 * Errors: functions that can fail return bool (true = ok). On failure they have called
 * tpl_fail(), which records the first error in the context together with the location
 * the renderer last set (tpl_ctx.loc) and the include/extends chain. */
#ifndef FG_CORE_TPL_H
#define FG_CORE_TPL_H

#include <forgather/fg_abi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct tpl_ctx tpl_ctx;

/* ---- values ------------------------------------------------------------------------ */

typedef enum tpl_kind {
    TPL_UNDEFINED, /* StrictUndefined: any use is an error, except `is defined` and default() */
    TPL_NONE,
    TPL_BOOL,
    TPL_INT, /* int64; overflow is an error, not a wrap */
    TPL_FLOAT,
    TPL_STR,       /* UTF-8; length/index/slice count code points, as Python does */
    TPL_LIST,      /* mutable */
    TPL_TUPLE,     /* same storage as a list, immutable, prints as (a, b) */
    TPL_DICT,      /* insertion-ordered */
    TPL_NAMESPACE, /* namespace(): attributes stored in a dict, assignable via set ns.x */
    TPL_CALLABLE,  /* builtin function, bound method, macro, super(), self.NAME, loop.cycle */
    TPL_OBJECT,    /* opaque object with attributes: loop, self, an imported module, cycler */
} tpl_kind;

typedef struct tpl_str {
    size_t len;  /* bytes */
    char data[]; /* NUL-terminated */
} tpl_str;

typedef struct tpl_value tpl_value;
typedef struct tpl_list tpl_list;
typedef struct tpl_dict tpl_dict;
typedef struct tpl_callable tpl_callable;
typedef struct tpl_object tpl_object;

struct tpl_value {
    tpl_kind kind;
    union {
        bool b;
        int64_t i;
        double f;
        tpl_str *s;      /* STR; UNDEFINED: the message to report when used ("'x' is undefined") */
        tpl_list *list;  /* LIST, TUPLE */
        tpl_dict *dict;  /* DICT, NAMESPACE */
        tpl_callable *fn;
        tpl_object *obj;
    } u;
};

struct tpl_list {
    size_t n, cap;
    tpl_value *items;
};

/* Keys are hashable values (none, bool, int, float, str, tuple of those); 1, 1.0 and
 * True are the same key, as in Python. Lookup is O(1) through the index. */
struct tpl_dict {
    size_t n, cap;
    tpl_value *keys;
    tpl_value *vals;
    uint32_t *index; /* open addressing: position + 1, 0 = empty; index_cap a power of 2 */
    size_t index_cap;
};

/* Call arguments: positional then keyword (names in call order). */
typedef struct tpl_args {
    const tpl_value *pos;
    size_t n_pos;
    const char *const *kw_names;
    const tpl_value *kw;
    size_t n_kw;
} tpl_args;

typedef bool (*tpl_native_fn)(tpl_ctx *ctx, void *data, tpl_value self, const tpl_args *args,
                              tpl_value *out);

struct tpl_callable {
    const char *name; /* for messages: "range", "str.split", "macro 'h1'" */
    tpl_native_fn call;
    void *data;      /* owner's state (a macro definition, a block, a cycler) */
    tpl_value self;  /* bound receiver for methods; TPL_NONE otherwise */
    bool is_macro;   /* Jinja treats macros specially in a few places (caller, `is callable`) */
};

/* Attribute lookup of an opaque object: sets *out (TPL_UNDEFINED when absent). */
typedef bool (*tpl_getattr_fn)(tpl_ctx *ctx, void *data, const char *name, tpl_value *out);
/* Rendering of an opaque object by str(), e.g. an imported module or a cycler. */
typedef bool (*tpl_str_fn)(tpl_ctx *ctx, void *data, tpl_value *out);

struct tpl_object {
    const char *type_name; /* "LoopContext", "TemplateModule", "Cycler" ... for messages */
    tpl_getattr_fn getattr;
    tpl_str_fn to_str; /* NULL: "<type_name object>" */
    void *data;
};

/* Constructors. Strings are copied into the arena. Return false (after tpl_fail) only
 * when out of memory or over the render's size budget. */
static inline tpl_value tpl_none(void) { tpl_value v = {.kind = TPL_NONE}; return v; }
static inline tpl_value tpl_bool(bool b) { tpl_value v = {.kind = TPL_BOOL, .u.b = b}; return v; }
static inline tpl_value tpl_int(int64_t i) { tpl_value v = {.kind = TPL_INT, .u.i = i}; return v; }
static inline tpl_value tpl_float(double f) { tpl_value v = {.kind = TPL_FLOAT, .u.f = f}; return v; }
bool tpl_str_new(tpl_ctx *ctx, const char *s, size_t len, tpl_value *out);
bool tpl_str_cstr(tpl_ctx *ctx, const char *s, tpl_value *out);
bool tpl_undefined_new(tpl_ctx *ctx, tpl_value *out, const char *fmt, ...) FG_PRINTF(3, 4);
bool tpl_list_new(tpl_ctx *ctx, size_t cap, tpl_value *out);  /* empty list */
bool tpl_tuple_new(tpl_ctx *ctx, size_t cap, tpl_value *out); /* empty; fill with append */
bool tpl_list_append(tpl_ctx *ctx, tpl_list *list, tpl_value item);
bool tpl_dict_new(tpl_ctx *ctx, tpl_value *out);
bool tpl_namespace_new(tpl_ctx *ctx, tpl_value *out);
/* Sets key (must be hashable: error otherwise) to val, keeping the key's first position. */
bool tpl_dict_set(tpl_ctx *ctx, tpl_dict *dict, tpl_value key, tpl_value val);
bool tpl_dict_set_str(tpl_ctx *ctx, tpl_dict *dict, const char *key, tpl_value val);
/* NULL when absent (or key unhashable). */
tpl_value *tpl_dict_get(const tpl_dict *dict, tpl_value key);
tpl_value *tpl_dict_get_str(const tpl_dict *dict, const char *key);
bool tpl_dict_remove(tpl_ctx *ctx, tpl_dict *dict, tpl_value key, bool *removed);
bool tpl_callable_new(tpl_ctx *ctx, const char *name, tpl_native_fn call, void *data,
                      tpl_value self, tpl_value *out);
bool tpl_object_new(tpl_ctx *ctx, const char *type_name, tpl_getattr_fn getattr,
                    tpl_str_fn to_str, void *data, tpl_value *out);

/* Python semantics. Each raises (returns false) on an undefined operand, except where
 * noted, with Jinja's message, e.g. "'x' is undefined". */
const char *tpl_type_name(tpl_value v); /* Python's: "int", "str", "dict", "NoneType" ... */
bool tpl_truthy(tpl_ctx *ctx, tpl_value v, bool *out);
bool tpl_to_str(tpl_ctx *ctx, tpl_value v, tpl_value *out); /* str(v) */
bool tpl_repr(tpl_ctx *ctx, tpl_value v, tpl_value *out);   /* repr(v) */
/* Python's repr of a float (shortest round-trip: 0.1, 1e-05, 1e+16, inf, nan, -0.0). */
void tpl_float_repr(double f, char *buf, size_t size);
bool tpl_equal(tpl_ctx *ctx, tpl_value a, tpl_value b, bool *out); /* ==; never raises on
                                                                      type mismatch */
/* Ordering for < <= > >= and sorting: *cmp < 0, 0, > 0; raises TypeError-like
 * "'<' not supported between instances of 'str' and 'int'" (op names the operator). */
bool tpl_compare(tpl_ctx *ctx, tpl_value a, tpl_value b, const char *op, int *cmp);
/* Binary arithmetic: op is one of + - * / // % ** ; str % args does printf-style
 * formatting, str * int repeats, list + list concatenates. */
bool tpl_binop(tpl_ctx *ctx, const char *op, tpl_value a, tpl_value b, tpl_value *out);
bool tpl_negate(tpl_ctx *ctx, tpl_value a, tpl_value *out);     /* unary - */
bool tpl_contains(tpl_ctx *ctx, tpl_value container, tpl_value item, bool *out); /* in */
/* Length as len(): str (code points), list, tuple, dict, namespace-less; else error. */
bool tpl_length(tpl_ctx *ctx, tpl_value v, int64_t *out);
/* Iteration: a list of the items (str → characters, dict → keys, list/tuple → items).
 * The result may share storage with v; do not mutate it. */
bool tpl_iterate(tpl_ctx *ctx, tpl_value v, tpl_list **out);
/* Jinja attribute access x.name: attribute first (methods of str/list/dict, namespace
 * and object attributes), then item; item access x[key]: item first, then attribute.
 * Missing → an UNDEFINED value carrying Jinja's message ("'dict object' has no attribute
 * 'y'"), not an error. Names starting with '_' raise SecurityError-like errors
 * ("access to attribute '_x' of 'dict' object is unsafe"). */
bool tpl_getattr(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out);
bool tpl_getitem(tpl_ctx *ctx, tpl_value obj, tpl_value key, tpl_value *out);
/* x[start:stop:step] with Python's rules; absent bounds are TPL_NONE. */
bool tpl_slice(tpl_ctx *ctx, tpl_value obj, tpl_value start, tpl_value stop, tpl_value step,
               tpl_value *out);
/* Calls any callable value; a non-callable raises "'int' object is not callable". */
bool tpl_call(tpl_ctx *ctx, tpl_value fn, const tpl_args *args, tpl_value *out);
/* Argument binding for builtins: fills vals[i] for each parameter name in names (NULL-
 * terminated array; positional first), from args; missing → TPL_UNDEFINED kind left
 * unset marker `present[i] = false`. Errors on unknown keywords, duplicates, too many. */
bool tpl_bind_args(tpl_ctx *ctx, const char *fn_name, const tpl_args *args,
                   const char *const *names, tpl_value *vals, bool *present);

/* ---- builtins (filters, tests, methods, globals) ------------------------------------ */

typedef bool (*tpl_filter_fn)(tpl_ctx *ctx, tpl_value input, const tpl_args *args,
                              tpl_value *out);
typedef bool (*tpl_test_fn)(tpl_ctx *ctx, tpl_value input, const tpl_args *args, bool *out);

/* NULL when there is no such filter/test: the parser reports "No filter named 'x'." /
 * "No test named 'x'." at parse time, as Jinja2 does. */
tpl_filter_fn tpl_filter_lookup(const char *name);
tpl_test_fn tpl_test_lookup(const char *name);
/* The bound method `name` of a str/list/tuple/dict value, as a callable value; false
 * return with *found = false when the type has no such method (the caller then tries
 * item access). Only methods Jinja's sandbox allows. */
bool tpl_method_lookup(tpl_ctx *ctx, tpl_value obj, const char *name, tpl_value *out,
                       bool *found);
/* Installs the global functions (range, dict, namespace, cycler, joiner, lipsum and
 * Forgather's: isotime, utcisotime, filetime, utcfiletime, now, utcnow, joinpath,
 * normpath, abspath, relpath, dirname, basename, splitext, repr, modname_from_path,
 * user_home_dir, getcwd, forgather_config_dir, user_*_dir, site_*_dir) into `globals`. */
bool tpl_globals_install(tpl_ctx *ctx, tpl_dict *globals);
/* printf-style str % args (args: a tuple, a dict for %(name)s, or a single value). */
bool tpl_format_percent(tpl_ctx *ctx, tpl_value fmt, tpl_value args, tpl_value *out);
/* str.format(*args, **kwargs). */
bool tpl_format_braces(tpl_ctx *ctx, tpl_value fmt, const tpl_args *args, tpl_value *out);
/* Forgather's toyaml filter (spec A.1): flow-style YAML of a value. */
bool tpl_toyaml(tpl_ctx *ctx, tpl_value v, tpl_value *out);
/* JSON text as Jinja's tojson (keys sorted, HTML-unsafe characters escaped). */
bool tpl_tojson(tpl_ctx *ctx, tpl_value v, const tpl_args *args, tpl_value *out);

/* ---- the render context ------------------------------------------------------------- */

typedef struct tpl_loc {
    const char *file; /* template name or path as the user knows it */
    int line;         /* 1-based, in the original source (after line mapping) */
    int column;       /* 1-based */
} tpl_loc;

/* One frame of the include/extends/import/macro-call chain, for error messages. */
typedef struct tpl_frame {
    const char *how;  /* "included from", "extended by", "imported from", "called from" */
    tpl_loc loc;      /* where the include/extends/... statement is */
} tpl_frame;

typedef struct tpl_arena_block tpl_arena_block;

#define TPL_MAX_CHAIN 64

struct tpl_ctx {
    tpl_arena_block *arena;
    size_t arena_bytes;     /* handed out so far */
    size_t max_bytes;       /* budget for one render (strings, lists, output) */
    uint64_t steps_left;    /* evaluation budget: guards fuzz inputs against runaway loops */
    int depth;              /* current recursion depth (eval, macro calls, includes) */
    int max_depth;
    tpl_loc loc;            /* the renderer keeps this at the node being evaluated */
    tpl_frame chain[TPL_MAX_CHAIN];
    int n_chain;            /* frames beyond TPL_MAX_CHAIN are counted but not stored */
    bool failed;
    fg_error *err;          /* first error: "FILE:LINE:COL: message\n  included from ..." */
    const char *error_class; /* Jinja's exception name for the test corpus: "UndefinedError",
                                "TemplateSyntaxError", "TemplateNotFound", "SecurityError",
                                "TemplateRuntimeError", "TypeError", "OverflowError" ... */
    time_t fixed_time;      /* isotime() etc. report this when non-zero */
    void *env;              /* the renderer's environment (loader, globals) */
};

void tpl_ctx_init(tpl_ctx *ctx, fg_error *err);
void tpl_ctx_free(tpl_ctx *ctx); /* frees the arena */
/* Zeroed arena memory; fails (with tpl_fail) when out of memory or over max_bytes. */
void *tpl_alloc(tpl_ctx *ctx, size_t bytes);
/* Records the first error: error_class plus message; the location and chain are taken
 * from ctx. Always returns false so callers can `return tpl_fail(...)`. */
bool tpl_fail(tpl_ctx *ctx, const char *error_class, const char *fmt, ...) FG_PRINTF(3, 4);
/* Counts one unit of work; fails with "template too expensive" when the budget is spent. */
bool tpl_step(tpl_ctx *ctx);

/* A growable byte buffer in the arena, for building strings and the output. */
typedef struct tpl_buf {
    char *data;
    size_t len, cap;
} tpl_buf;
bool tpl_buf_put(tpl_ctx *ctx, tpl_buf *b, const char *s, size_t len);
bool tpl_buf_printf(tpl_ctx *ctx, tpl_buf *b, const char *fmt, ...) FG_PRINTF(3, 4);
bool tpl_buf_to_str(tpl_ctx *ctx, const tpl_buf *b, tpl_value *out);

/* UTF-8 helpers (strings index by code point). */
size_t tpl_utf8_count(const char *s, size_t len);
/* Byte offset of code point `index` (index <= count). */
size_t tpl_utf8_offset(const char *s, size_t len, size_t index);

#endif
