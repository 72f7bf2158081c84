/* The template engine end to end: templates rendered through fg_template_render_string
 * (other templates of a case are written to a temporary search directory), compared
 * byte for byte with what real Jinja2 gives. The expectations were produced once by
 * tests/unit/test_template_render_gen.py, which renders each case with Debian's
 * python3-jinja2 3.1.2 under Forgather's settings (tests/template/reference.py); rerun it
 * and paste its output into CASES when cases change. Error cases check Jinja's exception
 * class (our messages name it after the location) and Jinja's message. */
#define _POSIX_C_SOURCE 200809L
#include "template/template.h"
#include "fg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct render_case {
    const char *name;
    const char *main;
    const char *files[6][2]; /* other templates: name, source */
    const char *vars[6][2];  /* render variables: name, YAML value */
    const char *expect;      /* output, or NULL for an error case */
    const char *error_class; /* Jinja's exception class */
    const char *message;     /* Jinja's message (first line) */
} render_case;

static const render_case CASES[] = {
    {"text",
     "hello\nworld\n",
     {},
     {},
     "hello\nworld", NULL, NULL},
    {"arith",
     "{{ 1 + 2 }} {{ 'a' ~ 'b' ~ 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ -3 % 5 }} {{ 1_000 }}",
     {},
     {},
     "3 ab3 3.5 1024 2 1000", NULL, NULL},
    {"literals",
     "{{ 0x10 }} {{ 0b11 }} {{ 0o17 }} {{ 1.5e3 }} {{ True }} {{ none }} {{ 'a\\tb' }}|{{ \"q'\" }}",
     {},
     {},
     "16 3 15 1500.0 True None a\tb|q'", NULL, NULL},
    {"trim_blocks",
     "{% if true %}\nyes\n{% endif %}\nend",
     {},
     {},
     "yes\nend", NULL, NULL},
    {"strip_both",
     "a   {%- if true -%}   b   {%- endif %}  c",
     {},
     {},
     "ab  c", NULL, NULL},
    {"plus_keeps_newline",
     "{% if true +%}\nA\n{% endif %}\nB",
     {},
     {},
     "\nA\nB", NULL, NULL},
    {"comments",
     "a {# x #}\nb {#- y -#}   c\n{# z #}\nd",
     {},
     {},
     "a bc\nd", NULL, NULL},
    {"raw",
     "{% raw %}\n{{ x }}{% if %}{% endraw %}\nafter",
     {},
     {},
     "\n{{ x }}{% if %}after", NULL, NULL},
    {"line_statements",
     "-- set x = 5\n== x\nline\n-- if x > 3\nbig\n-- endif\n<< set y = 1\n>> set z = 2\n  tail\n",
     {},
     {},
     "5\nline\nbig\ntail", NULL, NULL},
    {"print_trim",
     "=> '\\nv\\n'\nnext",
     {},
     {},
     "v\nnext", NULL, NULL},
    {"comment_lines",
     "a: 1 ## trailing\n## full line\nb: 2\n",
     {},
     {},
     "a: 1\nb: 2", NULL, NULL},
    {"for_loop_vars",
     "{% for i in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.depth }},{% endfor %}",
     {},
     {},
     "1032TrueFalse31,2121FalseFalse31,3210FalseTrue31,", NULL, NULL},
    {"for_prev_next",
     "{% for i in [1, 2, 3] %}{{ loop.previtem is defined }}-{{ loop.nextitem | default('x') }} {% endfor %}",
     {},
     {},
     "False-2 True-3 True-x ", NULL, NULL},
    {"for_cycle_changed",
     "{% for i in [1, 1, 2] %}{{ loop.cycle('a', 'b') }}{{ loop.changed(i) }} {% endfor %}",
     {},
     {},
     "aTrue bFalse aTrue ", NULL, NULL},
    {"for_else",
     "{% for i in [] %}x{% else %}empty{% endfor %}",
     {},
     {},
     "empty", NULL, NULL},
    {"for_filter",
     "{% for i in range(10) if i is odd %}{{ i }}/{{ loop.length }} {% endfor %}",
     {},
     {},
     "1/5 3/5 5/5 7/5 9/5 ", NULL, NULL},
    {"for_unpack",
     "{% for a, b in [[1, 2], [3, 4]] %}{{ a }}-{{ b }};{% endfor %}",
     {},
     {},
     "1-2;3-4;", NULL, NULL},
    {"for_dict",
     "{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}={{ v }};{% endfor %}",
     {},
     {},
     "b=1;a=2;", NULL, NULL},
    {"for_nested_loop",
     "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.index }}{% endfor %}{{ loop.index }}|{% endfor %}",
     {},
     {},
     "121|122|", NULL, NULL},
    {"for_recursive",
     "{% for x in [[1, [2, 3]], 4] recursive %}{% if x is iterable %}({{ loop(x) }}){% else %}{{ x }}@{{ loop.depth }}{% endif %}{% endfor %}",
     {},
     {},
     "(1@2(2@33@3))4@1", NULL, NULL},
    {"for_scope",
     "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}",
     {},
     {},
     "21", NULL, NULL},
    {"if_scope",
     "{% if true %}{% set x = 1 %}{% endif %}{{ x }}",
     {},
     {},
     "1", NULL, NULL},
    {"namespace",
     "{% set ns = namespace(a=1) %}{% for i in [1, 2] %}{% set ns.a = ns.a + i %}{% endfor %}{{ ns.a }}",
     {},
     {},
     "4", NULL, NULL},
    {"set_tuple",
     "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, d = 'xy' %}{{ d }}{{ c }}",
     {},
     {},
     "12yx", NULL, NULL},
    {"set_block",
     "{% set x %}hello {{ 1 }}{% endset %}[{{ x }}]{% set y | upper %}abc{% endset %}{{ y }}",
     {},
     {},
     "[hello 1]ABC", NULL, NULL},
    {"filter_block",
     "{% filter upper %}abc{{ 'd' }}{% endfilter %}",
     {},
     {},
     "ABCD", NULL, NULL},
    {"with",
     "{% set a = 1 %}{% with a = 2, b = a %}{{ a }}{{ b }}{% set c = 3 %}{% endwith %}{{ a }}{{ c is defined }}",
     {},
     {},
     "211False", NULL, NULL},
    {"macro_defaults",
     "{% macro m(a, b=2, c=a * 10) %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, 3) }} {{ m(b=5, a=4) }}",
     {},
     {},
     "1-2-10 1-3-10 4-5-40", NULL, NULL},
    {"macro_varargs_kwargs",
     "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}",
     {},
     {},
     "1(2, 3){'x': 4}", NULL, NULL},
    {"macro_star_args",
     "{% macro m(a, b) %}{{ a }}{{ b }}{% endmacro %}{{ m(*[1], **{'b': 2}) }}",
     {},
     {},
     "12", NULL, NULL},
    {"macro_closure",
     "{% set g = 'G' %}{% macro m() %}{{ g }}{{ i is defined }}{% endmacro %}{% for i in [1] %}{% set g = 'L' %}{{ m() }}{% endfor %}",
     {},
     {},
     "GFalse", NULL, NULL},
    {"macro_recursive",
     "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}",
     {},
     {},
     "54321", NULL, NULL},
    {"macro_attrs",
     "{% macro m(a, b) %}{% endmacro %}{{ m.name }} {{ m.arguments }}",
     {},
     {},
     "m ('a', 'b')", NULL, NULL},
    {"call_block",
     "{% macro m() %}[{{ caller() }}]{% endmacro %}{% call m() %}body{% endcall %}",
     {},
     {},
     "[body]", NULL, NULL},
    {"call_block_args",
     "{% macro m(x) %}[{{ caller(x * 2) }}]{% endmacro %}{% call(v) m(4) %}got {{ v }}{% endcall %}",
     {},
     {},
     "[got 8]", NULL, NULL},
    {"cond_expr",
     "{{ 1 if true else 2 }}{{ 'a' if false else 'b' if false else 'c' }}[{{ 3 if false }}]",
     {},
     {},
     "1c[]", NULL, NULL},
    {"and_or_not",
     "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ not 0 }} {{ none or [] }}",
     {},
     {},
     "x y True []", NULL, NULL},
    {"compare_chain",
     "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' in 'abc' }} {{ 2 not in [1] }} {{ 1 == 1.0 }}",
     {},
     {},
     "True False True True True", NULL, NULL},
    {"slices",
     "{{ [1, 2, 3, 4][1:3] }} {{ 'hello'[::-1] }} {{ [1, 2, 3][-1] }} {{ [[1, 2]].0.1 }}",
     {},
     {},
     "[2, 3] olleh 3 2", NULL, NULL},
    {"collections",
     "{{ {'a': 1, 'b': [1, 2]} }} {{ {'a': 1}.a }} {{ (1,) }} {{ () }} {{ [1, 'a', none] }}",
     {},
     {},
     "{'a': 1, 'b': [1, 2]} 1 (1,) () [1, 'a', None]", NULL, NULL},
    {"tests",
     "{{ 6 is divisibleby 3 }} {{ 7 is not divisibleby(3) }} {{ x is defined }} {{ x is undefined }}",
     {},
     {},
     "True True False True", NULL, NULL},
    {"default",
     "{{ x | default('d') }} {{ none | default('n', true) }}",
     {},
     {},
     "d n", NULL, NULL},
    {"filter_args",
     "{{ [1, 2] | join(', ') | upper }} {{ 'a-b' | replace('-', k='') if false else 'z' }}",
     {},
     {},
     "1, 2 z", NULL, NULL},
    {"methods",
     "{{ 'a,b'.split(',') }} {{ ' x '.strip() }} {{ {'a': 1}.get('b', 2) }}",
     {},
     {},
     "['a', 'b'] x 2", NULL, NULL},
    {"toyaml",
     "{{ {'n': none, 'lr': 0.001, 'names': ['a', 'b'], 'flag': true} | toyaml }} {{ false | toyaml }} {{ '123' | toyaml }}",
     {},
     {},
     "{flag: true, lr: 0.001, n: null, names: [a, b]} False '123'", NULL, NULL},
    {"extends",
     "{% extends 'base.yaml' %}{% block a %}child {{ super() }}{% endblock %}",
     {{"base.yaml", "<{% block a %}base{% endblock %}>"}},
     {},
     "<child base>", NULL, NULL},
    {"extends_chain",
     "{% extends 'mid.yaml' %}{% block a %}C{{ super() }}{% endblock %}",
     {{"mid.yaml", "{% extends 'base.yaml' %}{% block a %}M{{ super() }}{% endblock %}"}, {"base.yaml", "<{% block a %}B{% endblock %}>"}},
     {},
     "<CMB>", NULL, NULL},
    {"extends_sets",
     "{% extends 'base.yaml' %}{% set x = 5 %}ignored{% block a %}{{ x }}{% endblock %}",
     {{"base.yaml", "<{% block a %}{% endblock %}>"}},
     {},
     "<5>", NULL, NULL},
    {"extends_dynamic",
     "{% extends base %}{% block a %}X{% endblock %}",
     {{"b.yaml", "[{% block a %}{% endblock %}]"}},
     {{"base", "b.yaml"}},
     "[X]", NULL, NULL},
    {"extends_namespace",
     "{% extends 'b.yaml' %}{% set ns = namespace(v=1) %}{% block a %}{% set ns.v = 2 %}{% endblock %}",
     {{"b.yaml", "{% block a %}{% endblock %}{{ ns.v }}"}},
     {},
     "2", NULL, NULL},
    {"extends_toml",
     "-- extends 'base.yaml'\n[a]\nchild a\n    == super()\nmore\n[b!]\n\n  child b  \n\n",
     {{"base.yaml", "top\n[a]\nbase a\n[b]\nbase b\n[c]\nbase c\n"}},
     {},
     "child btop\nchild a\nbase a\n\nmore\n\n\n  child b  \n\n\nbase c\n", NULL, NULL},
    {"subtemplates",
     "-- extends 'main.child'\n#------- main.child -------\n-- extends 'base.yaml'\n[a]\nfrom sub\n",
     {{"base.yaml", "[a]\nbase\n"}},
     {},
     "from sub\n", NULL, NULL},
    {"self_block",
     "{% block a %}A{% endblock %}|{{ self.a() }}",
     {},
     {},
     "A|A", NULL, NULL},
    {"scoped_block",
     "{% for i in [1, 2] %}{% block b scoped %}{{ i }}{% endblock %}{% endfor %}",
     {},
     {},
     "12", NULL, NULL},
    {"block_scope",
     "{% set x = 1 %}{% block b %}{{ x }}{% set y = 2 %}{% endblock %}{{ y is defined }}",
     {},
     {},
     "1False", NULL, NULL},
    {"include",
     "{% set x = 1 %}{% for i in [7] %}{% include 'inc.yaml' %}{% endfor %}|{% include 'nope' ignore missing %}{{ y is defined }}",
     {{"inc.yaml", "inc{{ x }}{{ i }}{% set y = 1 %}\n"}},
     {},
     "inc17|False", NULL, NULL},
    {"include_list",
     "{% include ['a.yaml', 'b.yaml'] %}",
     {{"b.yaml", "B"}},
     {},
     "B", NULL, NULL},
    {"import",
     "{% import 'm.yaml' as m %}{{ m.hi('x') }} {{ m.v }} [{{ m }}]{% from 'm.yaml' import hi as h %} {{ h('y') }}",
     {{"m.yaml", "body{% set v = 3 %}{% macro hi(n) %}hi {{ n }}{% endmacro %}"}},
     {},
     "hi x 3 [body] hi y", NULL, NULL},
    {"import_context",
     "{% set x = 1 %}{% import 'm.yaml' as a %}{% import 'm.yaml' as b with context %}{{ a.f() }} {{ b.f() }}",
     {{"m.yaml", "{% macro f() %}{{ x is defined }}{% endmacro %}"}},
     {},
     "False True", NULL, NULL},
    {"vars",
     "{{ n + 1 }} {{ s }} {{ f }} {{ b }}",
     {},
     {{"n", "41"}, {"s", "text"}, {"f", "0.5"}, {"b", "true"}},
     "42 text 0.5 True", NULL, NULL},
    {"scope_late_set_read_in_loop",
     "{% for i in [1] %}{{ x }}{% endfor %}{% set x = 1 %}",
     {},
     {{"x", "5"}},
     NULL, "UndefinedError", "'x' is undefined"},
    {"scope_read_then_set",
     "{{ x }}{% set x = 1 %}{{ x }}",
     {},
     {{"x", "5"}},
     "51", NULL, NULL},
    {"scope_set_in_one_branch",
     "{% if false %}{% set x = 1 %}{% endif %}{{ x }}",
     {},
     {{"x", "5"}},
     "5", NULL, NULL},
    {"scope_loop_accumulate",
     "{% for i in [1, 2] %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}",
     {},
     {{"x", "5"}},
     "675", NULL, NULL},
    {"scope_parent_sets_later",
     "{% extends 'b.yaml' %}{% set x = 9 %}",
     {{"b.yaml", "{{ x }}{% set x = 1 %}{{ x }}"}},
     {{"x", "5"}},
     "91", NULL, NULL},
    {"scope_include_in_loop",
     "{% for i in [1] %}{% include 'i.yaml' %}{% endfor %}{% set x = 1 %}",
     {{"i.yaml", "[{{ x }}]"}},
     {{"x", "5"}},
     "[5]", NULL, NULL},
    {"err_undefined",
     "line\n{{ x }}",
     {},
     {},
     NULL, "UndefinedError", "'x' is undefined"},
    {"err_undefined_if",
     "{% if x %}1{% endif %}",
     {},
     {},
     NULL, "UndefinedError", "'x' is undefined"},
    {"err_attr",
     "{{ {'a': 1}.b.c }}",
     {},
     {},
     NULL, "UndefinedError", "'dict object' has no attribute 'b'"},
    {"err_unknown_tag",
     "{% for i in [1] %}{% break %}{% endfor %}",
     {},
     {},
     NULL, "TemplateSyntaxError", "Encountered unknown tag 'break'. Jinja was looking for the following tags: 'endfor' or 'else'. The innermost block that needs to be closed is 'for'."},
    {"err_unknown_filter",
     "{{ 1 | nope }}",
     {},
     {},
     NULL, "TemplateAssertionError", "No filter named 'nope'."},
    {"err_unknown_filter_in_if",
     "{% if true %}{{ 1 | nope }}{% endif %}",
     {},
     {},
     NULL, "TemplateRuntimeError", "No filter named 'nope' found."},
    {"err_eof",
     "{% if true %}",
     {},
     {},
     NULL, "TemplateSyntaxError", "Unexpected end of template. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'."},
    {"err_expected",
     "{{ 1 2 }}",
     {},
     {},
     NULL, "TemplateSyntaxError", "expected token 'end of print statement', got 'integer'"},
    {"err_unclosed",
     "{{ x",
     {},
     {},
     NULL, "TemplateSyntaxError", "unexpected end of template, expected 'end of print statement'."},
    {"err_unbalanced",
     "{{ (1 }}",
     {},
     {},
     NULL, "TemplateSyntaxError", "unexpected '}', expected ')'"},
    {"err_required",
     "{% extends 'base.yaml' %}",
     {{"base.yaml", "<{% block a required %}{% endblock %}>"}},
     {},
     NULL, "TemplateRuntimeError", "Required block 'a' not found"},
    {"err_not_found",
     "{% include 'nope.yaml' %}",
     {},
     {},
     NULL, "TemplateNotFound", "nope.yaml"},
    {"err_in_include",
     "a\n{% include 'inc.yaml' %}",
     {{"inc.yaml", "\n\n{{ y }}"}},
     {},
     NULL, "UndefinedError", "'y' is undefined"},
    {"err_extended_twice",
     "{% extends 'b.yaml' %}{% extends 'b.yaml' %}",
     {{"b.yaml", "b"}},
     {},
     NULL, "TemplateRuntimeError", "extended multiple times"},
    {"err_nsattr",
     "{% set x = 1 %}{% set x.a = 2 %}",
     {},
     {},
     NULL, "TemplateRuntimeError", "cannot assign attribute on non-namespace object"},
    {"err_unpack",
     "{% set a, b = [1] %}",
     {},
     {},
     NULL, "ValueError", "not enough values to unpack (expected 2, got 1)"},
    {"err_macro_args",
     "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}",
     {},
     {},
     NULL, "TypeError", "macro 'm' takes not more than 1 argument(s)"},
    {"err_type",
     "{{ 1 + 'a' }}",
     {},
     {},
     NULL, "TypeError", "unsupported operand type(s) for +: 'int' and 'str'"},
    {"err_recursion",
     "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
     {},
     {},
     NULL, "RecursionError", "maximum recursion depth exceeded"},
    {"err_security",
     "{{ ''.__class__ }}",
     {},
     {},
     NULL, "SecurityError", "access to attribute '__class__' of 'str' object is unsafe."},
};

/* Messages that say the same as Jinja's in other words. */
static const char *const MESSAGE_DIFFERS[] = {
    "err_not_found",  /* Jinja: just the name; ours adds the search path */
    "err_recursion",  /* Python's RecursionError text differs */
    NULL,
};

static bool message_differs(const char *name) {
    for (size_t i = 0; MESSAGE_DIFFERS[i]; i++)
        if (strcmp(MESSAGE_DIFFERS[i], name) == 0) return true;
    return false;
}

static int write_file(const char *dir, const char *name, const char *text) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) return -1;
    fwrite(text, 1, strlen(text), f);
    return fclose(f);
}

static void remove_files(const char *dir, const render_case *c) {
    char path[4096];
    for (size_t i = 0; i < 6 && c->files[i][0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, c->files[i][0]);
        unlink(path);
    }
}

/* Renders a case; on success *out is malloc'd. */
static fg_status render_case_text(const char *dir, const render_case *c, char **out,
                                  size_t *len, fg_error *err) {
    fg_template_env *env = NULL;
    fg_status st = fg_template_env_new(&env, err);
    if (st == FG_OK) st = fg_template_env_add_dir(env, dir, err);
    for (size_t i = 0; st == FG_OK && i < 6 && c->vars[i][0]; i++)
        st = fg_template_env_set_var(env, c->vars[i][0], c->vars[i][1], err);
    if (st == FG_OK)
        st = fg_template_render_string(env, "main.yaml", c->main, strlen(c->main), out, len, err);
    fg_template_env_free(env);
    return st;
}

static void run_case(const char *dir, const render_case *c) {
    for (size_t i = 0; i < 6 && c->files[i][0]; i++)
        CHECK_MSG(write_file(dir, c->files[i][0], c->files[i][1]) == 0, "%s: cannot write %s",
                  c->name, c->files[i][0]);
    char *out = NULL;
    size_t len = 0;
    fg_error err = {0, {0}};
    fg_status st = render_case_text(dir, c, &out, &len, &err);
    if (c->expect != NULL) {
        CHECK_MSG(st == FG_OK, "%s: render failed: %s", c->name, err.msg);
        if (st == FG_OK)
            CHECK_MSG(len == strlen(c->expect) && memcmp(out, c->expect, len) == 0,
                      "%s:\n  expected [%s]\n  got      [%.*s]", c->name, c->expect, (int)len, out);
    } else {
        CHECK_MSG(st != FG_OK, "%s: rendered [%.*s], expected %s", c->name, (int)len,
                  out ? out : "", c->error_class);
        char want[256];
        snprintf(want, sizeof want, ": %s: ", c->error_class);
        CHECK_MSG(strstr(err.msg, want) != NULL, "%s: class %s not in: %s", c->name, c->error_class,
                  err.msg);
        if (!message_differs(c->name))
            CHECK_MSG(strstr(err.msg, c->message) != NULL, "%s: '%s' not in: %s", c->name,
                      c->message, err.msg);
    }
    free(out);
    remove_files(dir, c);
}

/* Places named in error messages: FILE:LINE:COL of the user's file, then the chain. */
static void test_error_locations(const char *dir) {
    static const struct {
        const char *main, *inc, *fragments[3];
    } cases[] = {
        {"line\n{{ x }}", NULL, {"main.yaml:2:4: UndefinedError: 'x' is undefined", NULL}},
        /* a line statement: the preprocessed text maps back to the source line */
        {"## comment\n\n== x\n", NULL, {"main.yaml:3:", NULL}},
        {"a\n{% include 'inc.yaml' %}", "\n\n{{ y }}",
         {"inc.yaml:3:4: UndefinedError", "\n  included from main.yaml:2:4", NULL}},
        {"{% if true %}\n\n", NULL, {"main.yaml:", "TemplateSyntaxError: Unexpected end of template", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        render_case c = {.name = "location", .main = cases[i].main};
        if (cases[i].inc) {
            c.files[0][0] = "inc.yaml";
            c.files[0][1] = cases[i].inc;
        }
        for (size_t k = 0; k < 6 && c.files[k][0]; k++) write_file(dir, c.files[k][0], c.files[k][1]);
        char *out = NULL;
        size_t len;
        fg_error err = {0, {0}};
        fg_status st = render_case_text(dir, &c, &out, &len, &err);
        CHECK_MSG(st != FG_OK, "location case %zu rendered", i);
        for (size_t k = 0; cases[i].fragments[k]; k++)
            CHECK_MSG(strstr(err.msg, cases[i].fragments[k]) != NULL, "'%s' not in: %s",
                      cases[i].fragments[k], err.msg);
        free(out);
        remove_files(dir, &c);
    }
}

/* Hostile input ends in an error, never a crash or a hang. */
static void test_limits(const char *dir) {
    static const char *const bad[] = {
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
        "{{ ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))) }}",
        "{% set ns = namespace(x='ab') %}{% for i in range(60) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}",
        "{% include 'main.yaml' %}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        render_case c = {.name = "limit", .main = bad[i]};
        char *out = NULL;
        size_t len;
        fg_error err = {0, {0}};
        fg_status st = render_case_text(dir, &c, &out, &len, &err);
        CHECK_MSG(st != FG_OK && err.msg[0] != '\0', "limit case %zu: status %d", i, st);
        free(out);
    }
}

/* A config-sized template renders well within the 10 ms budget. */
static void test_speed(const char *dir) {
    char *text = malloc(64 * 1024);
    size_t k = 0;
    k += (size_t)sprintf(text + k, "-- set ns = namespace(n=0)\n-- macro h(t)\n# {{ t }}\n-- endmacro\n");
    for (int i = 0; i < 150; i++)
        k += (size_t)sprintf(text + k,
                             "[b%d]\n== h('block %d')\nkey%d: {{ %d * 2 }}\n-- set ns.n = ns.n + 1\n"
                             "-- for j in range(3)\n  item: {{ j ~ '-' ~ loop.index }}\n-- endfor\n",
                             i, i, i, i);
    render_case c = {.name = "speed", .main = text};
    char *out = NULL;
    size_t len;
    fg_error err = {0, {0}};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    fg_status st = render_case_text(dir, &c, &out, &len, &err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    CHECK_MSG(st == FG_OK, "speed case failed: %s", err.msg);
    /* generous: sanitizer and debug builds run this too */
    CHECK_MSG(ms < 200.0, "a 1000-line template took %.1f ms", ms);
    printf("template_render: 1000-line template in %.2f ms\n", ms);
    free(out);
    free(text);
}

/* The list of templates a render loaded, with who pulled each in. */
static void test_loaded(const char *dir) {
    write_file(dir, "base.yaml", "{% block a %}{% endblock %}{% include 'inc.yaml' %}");
    write_file(dir, "inc.yaml", "i");
    fg_template_env *env = NULL;
    fg_error err = {0, {0}};
    char *out = NULL;
    size_t len;
    fg_template_env_new(&env, &err);
    fg_template_env_add_dir(env, dir, &err);
    const char *main = "{% extends 'base.yaml' %}{% block a %}A{% endblock %}";
    fg_status st = fg_template_render_string(env, "main.yaml", main, strlen(main), &out, &len, &err);
    CHECK_MSG(st == FG_OK && len == 2 && memcmp(out, "Ai", 2) == 0, "render: %s", err.msg);
    const fg_template_ref *refs = NULL;
    size_t n = fg_template_env_loaded(env, &refs);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(strcmp(refs[0].name, "main.yaml") == 0 && refs[0].parent == -1);
        CHECK(strcmp(refs[1].name, "base.yaml") == 0 && refs[1].parent == 0 &&
              strcmp(refs[1].how, "extends") == 0);
        CHECK(strcmp(refs[2].name, "inc.yaml") == 0 && refs[2].parent == 1 &&
              strcmp(refs[2].how, "include") == 0);
    }
    free(out);
    fg_template_env_free(env);
    char path[4096];
    snprintf(path, sizeof path, "%s/base.yaml", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/inc.yaml", dir);
    unlink(path);
}

int main(void) {
    char dir[] = "/tmp/fg_test_template_XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) run_case(dir, &CASES[i]);
    test_error_locations(dir);
    test_limits(dir);
    test_speed(dir);
    test_loaded(dir);
    rmdir(dir);
    return fg_test_finish("template_render");
}
