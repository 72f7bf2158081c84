/* The template engine's value model and builtins against real Python/Jinja2: the cases
 * and their expected outputs come from tests/template/gen_value_cases.py (which runs
 * Jinja2, PyYAML and Python's repr) and live in tests/template/value_cases.txt; regenerate
 * with `/usr/bin/python3 tests/template/gen_value_cases.py > tests/template/value_cases.txt`.
 * Direct checks of the C API follow: float repr round trips, dict key identity, budgets,
 * recursion limits and self-referential containers. */
#include "fg_test.h"
#include "template/template.h"
#include "template/tpl_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One record: "K LEN\nBODY\n" (or "F HEX\n"). */
typedef struct record {
    char kind;
    const char *body;
    size_t len;
    unsigned long long bits;
} record;

static bool next_record(const char **p, const char *end, record *r) {
    if (*p >= end) return false;
    r->kind = (*p)[0];
    char *after;
    if (r->kind == 'F') {
        r->bits = strtoull(*p + 2, &after, 16);
        *p = after + 1;
        r->body = NULL;
        r->len = 0;
        return true;
    }
    r->len = strtoul(*p + 2, &after, 10);
    r->body = after + 1;
    *p = r->body + r->len + 1;
    return *p <= end + 1;
}

/* The error class and message as the environment reports them: "t:L:C: Class: msg". */
static const char *after_location(const char *msg) {
    const char *s = strstr(msg, ": ");
    return s ? s + 2 : msg;
}

static void run_cases(void) {
    size_t len;
    char *text = fg_test_read_file("template/value_cases.txt", &len);
    CHECK_MSG(text != NULL, "cannot read template/value_cases.txt (run from tests/)");
    if (text == NULL) return;
    fg_template_env *env;
    fg_error err = {0};
    CHECK(fg_template_env_new(&env, &err) == FG_OK);
    const char *p = text, *end = text + len;
    record t, e;
    int cases = 0, floats = 0;
    while (next_record(&p, end, &t)) {
        if (!next_record(&p, end, &e)) break;
        if (t.kind == 'F') {
            double v;
            uint64_t bits = t.bits;
            memcpy(&v, &bits, sizeof v);
            char buf[64];
            tpl_float_repr(v, buf, sizeof buf);
            CHECK_MSG(strlen(buf) == e.len && memcmp(buf, e.body, e.len) == 0, "repr(%016llx): got %s want %.*s",
                      t.bits, buf, (int)e.len, e.body);
            floats++;
            continue;
        }
        cases++;
        char *out = NULL;
        size_t out_len = 0;
        fg_error rerr = {0};
        fg_status st = fg_template_render_string(env, "t", t.body, t.len, &out, &out_len, &rerr);
        if (e.kind == 'E') {
            CHECK_MSG(st == FG_OK && out_len == e.len && memcmp(out, e.body, e.len) == 0,
                      "template: %.*s\n  got:  %s\n  want: %.*s", (int)t.len, t.body,
                      st == FG_OK ? out : rerr.msg, (int)e.len, e.body);
        } else {
            /* X: "Class: message" must appear; C: the class only */
            char want[2048];
            snprintf(want, sizeof want, "%.*s", (int)e.len, e.body);
            bool ok = st != FG_OK;
            if (ok && e.kind == 'X') ok = strncmp(after_location(rerr.msg), want, strlen(want)) == 0;
            if (ok && e.kind == 'C') {
                size_t n = strlen(want);
                const char *got = after_location(rerr.msg);
                ok = strncmp(got, want, n) == 0 && got[n] == ':';
            }
            CHECK_MSG(ok, "template: %.*s\n  got:  %s\n  want error: %s", (int)t.len, t.body,
                      st == FG_OK ? out : rerr.msg, want);
        }
        free(out);
    }
    CHECK(cases > 100);
    CHECK(floats > 1000);
    fg_template_env_free(env);
    free(text);
}

/* Random doubles read back exactly from their repr; repr is the shortest such text. */
static void float_round_trip(void) {
    uint64_t state = 88172645463325252ULL;
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        double v;
        memcpy(&v, &state, sizeof v);
        if (isnan(v)) continue;
        char buf[64];
        tpl_float_repr(v, buf, sizeof buf);
        if (isinf(v)) continue;
        if (strtod(buf, NULL) != v) bad++;
    }
    CHECK_MSG(bad == 0, "%d doubles did not round-trip", bad);
}

static tpl_value str(tpl_ctx *ctx, const char *s) {
    tpl_value v;
    tpl_str_cstr(ctx, s, &v);
    return v;
}

static void dict_keys(void) {
    fg_error err = {0};
    tpl_ctx ctx;
    tpl_ctx_init(&ctx, &err);
    tpl_value d, got;
    CHECK(tpl_dict_new(&ctx, &d));
    /* 1, 1.0 and True are one key; the first key object stays */
    CHECK(tpl_dict_set(&ctx, d.u.dict, tpl_int(1), str(&ctx, "a")));
    CHECK(tpl_dict_set(&ctx, d.u.dict, tpl_float(1.0), str(&ctx, "b")));
    CHECK(tpl_dict_set(&ctx, d.u.dict, tpl_bool(true), str(&ctx, "c")));
    CHECK(d.u.dict->n == 1);
    CHECK(tpl_repr(&ctx, d, &got) && strcmp(got.u.s->data, "{1: 'c'}") == 0);
    /* many keys, removal keeps order */
    for (int i = 0; i < 1000; i++) CHECK(tpl_dict_set(&ctx, d.u.dict, tpl_int(i), tpl_int(i * i)));
    bool removed;
    CHECK(tpl_dict_remove(&ctx, d.u.dict, tpl_float(500.0), &removed) && removed);
    CHECK(tpl_dict_get(d.u.dict, tpl_int(500)) == NULL);
    CHECK(tpl_dict_get(d.u.dict, tpl_int(999))->u.i == 999 * 999);
    CHECK(d.u.dict->keys[500].u.i == 501);
    /* tuples hash; lists do not */
    tpl_value t, l;
    CHECK(tpl_tuple2(&ctx, tpl_int(1), str(&ctx, "x"), &t));
    CHECK(tpl_dict_set(&ctx, d.u.dict, t, tpl_none()));
    CHECK(tpl_dict_get(d.u.dict, t) != NULL);
    CHECK(tpl_list_new(&ctx, 0, &l));
    CHECK(!tpl_dict_set(&ctx, d.u.dict, l, tpl_none()));
    CHECK(strcmp(ctx.error_class, "TypeError") == 0);
    CHECK(strstr(err.msg, "unhashable type: 'list'") != NULL);
    tpl_ctx_free(&ctx);
}

static void limits(void) {
    fg_error err = {0};
    tpl_ctx ctx;
    tpl_ctx_init(&ctx, &err);
    ctx.max_bytes = 1 << 20;
    tpl_value s = str(&ctx, "abc"), out;
    /* over the budget: a clean MemoryError, not a crash */
    CHECK(!tpl_binop(&ctx, "*", s, tpl_int(INT64_MAX), &out));
    CHECK(strcmp(ctx.error_class, "MemoryError") == 0);
    tpl_ctx_free(&ctx);

    tpl_ctx_init(&ctx, &err);
    CHECK(!tpl_binop(&ctx, "+", tpl_int(INT64_MAX), tpl_int(1), &out));
    CHECK(strcmp(ctx.error_class, "OverflowError") == 0);
    tpl_ctx_free(&ctx);

    tpl_ctx_init(&ctx, &err);
    CHECK(!tpl_binop(&ctx, "//", tpl_int(INT64_MIN), tpl_int(-1), &out));
    tpl_ctx_free(&ctx);
    tpl_ctx_init(&ctx, &err);
    CHECK(tpl_binop(&ctx, "%", tpl_int(INT64_MIN), tpl_int(-1), &out) && out.u.i == 0);
    CHECK(!tpl_binop(&ctx, "**", tpl_int(3), tpl_int(50), &out));
    tpl_ctx_free(&ctx);

    /* deep nesting: repr fails with RecursionError instead of exhausting the stack */
    tpl_ctx_init(&ctx, &err);
    tpl_value inner, outer;
    CHECK(tpl_list_new(&ctx, 0, &inner));
    for (int i = 0; i < 10000; i++) {
        CHECK(tpl_list_new(&ctx, 1, &outer) && tpl_list_append(&ctx, outer.u.list, inner));
        inner = outer;
    }
    CHECK(!tpl_repr(&ctx, inner, &out));
    CHECK(strcmp(ctx.error_class, "RecursionError") == 0);
    CHECK(ctx.depth == 0);
    tpl_ctx_free(&ctx);

    /* a list that contains itself prints like Python's */
    tpl_ctx_init(&ctx, &err);
    tpl_value self;
    CHECK(tpl_list_new(&ctx, 0, &self) && tpl_list_append(&ctx, self.u.list, tpl_int(1)) &&
          tpl_list_append(&ctx, self.u.list, self));
    CHECK(tpl_repr(&ctx, self, &out) && strcmp(out.u.s->data, "[1, [...]]") == 0);
    bool eq;
    /* == of two different self-referencing lists recurses: an error, not a hang */
    tpl_value other;
    CHECK(tpl_list_new(&ctx, 0, &other) && tpl_list_append(&ctx, other.u.list, tpl_int(1)) &&
          tpl_list_append(&ctx, other.u.list, other));
    CHECK(!tpl_equal(&ctx, self, other, &eq));
    tpl_ctx_free(&ctx);

    /* the step budget stops quadratic work */
    tpl_ctx_init(&ctx, &err);
    ctx.steps_left = 1000;
    tpl_value big;
    CHECK(tpl_list_new(&ctx, 0, &big));
    for (int i = 0; i < 100000; i++) tpl_list_append(&ctx, big.u.list, tpl_int(i));
    bool in;
    CHECK(!tpl_contains(&ctx, big, tpl_int(-1), &in));
    CHECK(strcmp(ctx.error_class, "ResourceLimitError") == 0);
    tpl_ctx_free(&ctx);
}

static void error_format(void) {
    fg_error err = {0};
    tpl_ctx ctx;
    tpl_ctx_init(&ctx, &err);
    ctx.loc = (tpl_loc){"inner.yaml", 3, 7};
    ctx.chain[0] = (tpl_frame){"included from", {"main.yaml", 1, 4}};
    ctx.chain[1] = (tpl_frame){"extended by", {"mid.yaml", 2, 1}};
    ctx.n_chain = 2;
    CHECK(!tpl_fail(&ctx, "TypeError", "bad %d", 1));
    CHECK(!tpl_fail(&ctx, "ValueError", "second"));
    CHECK(strcmp(err.msg, "inner.yaml:3:7: bad 1\n  extended by mid.yaml:2:1\n  included from main.yaml:1:4") == 0);
    CHECK(strcmp(ctx.error_class, "TypeError") == 0);
    tpl_ctx_free(&ctx);
}

int main(void) {
    run_cases();
    float_round_trip();
    dict_keys();
    limits();
    error_format();
    return fg_test_finish("test_template_values");
}
