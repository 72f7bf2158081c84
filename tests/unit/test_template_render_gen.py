#!/usr/bin/python3
"""Generates the expectations of tests/unit/test_template_render.c from real Jinja2.

Each case is rendered by tests/template/reference.py (Debian's python3-jinja2 3.1.2 under
Forgather's settings: SandboxedEnvironment, trim_blocks, StrictUndefined, the source
preprocessor) and printed as a C initializer; paste the output into CASES in
test_template_render.c. Run once when cases change:

    /usr/bin/python3 tests/unit/test_template_render_gen.py > /tmp/cases.inc
"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "template"))
import reference  # noqa: E402

# (name, {file: source} or main source[, {var: yaml scalar}])
CASES = [
    ("text", "hello\nworld\n"),
    ("arith", "{{ 1 + 2 }} {{ 'a' ~ 'b' ~ 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ -3 % 5 }} {{ 1_000 }}"),
    ("literals", "{{ 0x10 }} {{ 0b11 }} {{ 0o17 }} {{ 1.5e3 }} {{ True }} {{ none }} {{ 'a\\tb' }}|{{ \"q'\" }}"),
    ("trim_blocks", "{% if true %}\nyes\n{% endif %}\nend"),
    ("strip_both", "a   {%- if true -%}   b   {%- endif %}  c"),
    ("plus_keeps_newline", "{% if true +%}\nA\n{% endif %}\nB"),
    ("comments", "a {# x #}\nb {#- y -#}   c\n{# z #}\nd"),
    ("raw", "{% raw %}\n{{ x }}{% if %}{% endraw %}\nafter"),
    ("line_statements", "-- set x = 5\n== x\nline\n-- if x > 3\nbig\n-- endif\n<< set y = 1\n>> set z = 2\n  tail\n"),
    ("print_trim", "=> '\\nv\\n'\nnext"),
    ("comment_lines", "a: 1 ## trailing\n## full line\nb: 2\n"),
    ("for_loop_vars", "{% for i in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}"
     "{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.depth }},{% endfor %}"),
    ("for_prev_next", "{% for i in [1, 2, 3] %}{{ loop.previtem is defined }}-{{ loop.nextitem | default('x') }} {% endfor %}"),
    ("for_cycle_changed", "{% for i in [1, 1, 2] %}{{ loop.cycle('a', 'b') }}{{ loop.changed(i) }} {% endfor %}"),
    ("for_else", "{% for i in [] %}x{% else %}empty{% endfor %}"),
    ("for_filter", "{% for i in range(10) if i is odd %}{{ i }}/{{ loop.length }} {% endfor %}"),
    ("for_unpack", "{% for a, b in [[1, 2], [3, 4]] %}{{ a }}-{{ b }};{% endfor %}"),
    ("for_dict", "{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}={{ v }};{% endfor %}"),
    ("for_nested_loop", "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.index }}{% endfor %}{{ loop.index }}|{% endfor %}"),
    ("for_recursive", "{% for x in [[1, [2, 3]], 4] recursive %}{% if x is iterable %}({{ loop(x) }}){% else %}{{ x }}@{{ loop.depth }}{% endif %}{% endfor %}"),
    ("for_scope", "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}"),
    ("if_scope", "{% if true %}{% set x = 1 %}{% endif %}{{ x }}"),
    ("namespace", "{% set ns = namespace(a=1) %}{% for i in [1, 2] %}{% set ns.a = ns.a + i %}{% endfor %}{{ ns.a }}"),
    ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, d = 'xy' %}{{ d }}{{ c }}"),
    ("set_block", "{% set x %}hello {{ 1 }}{% endset %}[{{ x }}]{% set y | upper %}abc{% endset %}{{ y }}"),
    ("filter_block", "{% filter upper %}abc{{ 'd' }}{% endfilter %}"),
    ("with", "{% set a = 1 %}{% with a = 2, b = a %}{{ a }}{{ b }}{% set c = 3 %}{% endwith %}{{ a }}{{ c is defined }}"),
    ("macro_defaults", "{% macro m(a, b=2, c=a * 10) %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, 3) }} {{ m(b=5, a=4) }}"),
    ("macro_varargs_kwargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}"),
    ("macro_star_args", "{% macro m(a, b) %}{{ a }}{{ b }}{% endmacro %}{{ m(*[1], **{'b': 2}) }}"),
    ("macro_closure", "{% set g = 'G' %}{% macro m() %}{{ g }}{{ i is defined }}{% endmacro %}{% for i in [1] %}{% set g = 'L' %}{{ m() }}{% endfor %}"),
    ("macro_recursive", "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}"),
    ("macro_attrs", "{% macro m(a, b) %}{% endmacro %}{{ m.name }} {{ m.arguments }}"),
    ("call_block", "{% macro m() %}[{{ caller() }}]{% endmacro %}{% call m() %}body{% endcall %}"),
    ("call_block_args", "{% macro m(x) %}[{{ caller(x * 2) }}]{% endmacro %}{% call(v) m(4) %}got {{ v }}{% endcall %}"),
    ("cond_expr", "{{ 1 if true else 2 }}{{ 'a' if false else 'b' if false else 'c' }}[{{ 3 if false }}]"),
    ("and_or_not", "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ not 0 }} {{ none or [] }}"),
    ("compare_chain", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' in 'abc' }} {{ 2 not in [1] }} {{ 1 == 1.0 }}"),
    ("slices", "{{ [1, 2, 3, 4][1:3] }} {{ 'hello'[::-1] }} {{ [1, 2, 3][-1] }} {{ [[1, 2]].0.1 }}"),
    ("collections", "{{ {'a': 1, 'b': [1, 2]} }} {{ {'a': 1}.a }} {{ (1,) }} {{ () }} {{ [1, 'a', none] }}"),
    ("tests", "{{ 6 is divisibleby 3 }} {{ 7 is not divisibleby(3) }} {{ x is defined }} {{ x is undefined }}"),
    ("default", "{{ x | default('d') }} {{ none | default('n', true) }}"),
    ("filter_args", "{{ [1, 2] | join(', ') | upper }} {{ 'a-b' | replace('-', k='') if false else 'z' }}"),
    ("methods", "{{ 'a,b'.split(',') }} {{ ' x '.strip() }} {{ {'a': 1}.get('b', 2) }}"),
    ("toyaml", "{{ {'n': none, 'lr': 0.001, 'names': ['a', 'b'], 'flag': true} | toyaml }} {{ false | toyaml }} {{ '123' | toyaml }}"),
    ("extends", {"main.yaml": "{% extends 'base.yaml' %}{% block a %}child {{ super() }}{% endblock %}",
                 "base.yaml": "<{% block a %}base{% endblock %}>"}),
    ("extends_chain", {"main.yaml": "{% extends 'mid.yaml' %}{% block a %}C{{ super() }}{% endblock %}",
                       "mid.yaml": "{% extends 'base.yaml' %}{% block a %}M{{ super() }}{% endblock %}",
                       "base.yaml": "<{% block a %}B{% endblock %}>"}),
    ("extends_sets", {"main.yaml": "{% extends 'base.yaml' %}{% set x = 5 %}ignored{% block a %}{{ x }}{% endblock %}",
                      "base.yaml": "<{% block a %}{% endblock %}>"}),
    ("extends_dynamic", {"main.yaml": "{% extends base %}{% block a %}X{% endblock %}",
                         "b.yaml": "[{% block a %}{% endblock %}]"}, {"base": "b.yaml"}),
    ("extends_namespace", {"main.yaml": "{% extends 'b.yaml' %}{% set ns = namespace(v=1) %}{% block a %}{% set ns.v = 2 %}{% endblock %}",
                           "b.yaml": "{% block a %}{% endblock %}{{ ns.v }}"}),
    ("extends_toml", {"main.yaml": "-- extends 'base.yaml'\n[a]\nchild a\n    == super()\nmore\n[b!]\n\n  child b  \n\n",
                      "base.yaml": "top\n[a]\nbase a\n[b]\nbase b\n[c]\nbase c\n"}),
    ("subtemplates", {"main.yaml": "-- extends 'main.child'\n#------- main.child -------\n-- extends 'base.yaml'\n[a]\nfrom sub\n",
                      "base.yaml": "[a]\nbase\n"}),
    ("self_block", "{% block a %}A{% endblock %}|{{ self.a() }}"),
    ("scoped_block", "{% for i in [1, 2] %}{% block b scoped %}{{ i }}{% endblock %}{% endfor %}"),
    ("block_scope", "{% set x = 1 %}{% block b %}{{ x }}{% set y = 2 %}{% endblock %}{{ y is defined }}"),
    ("include", {"main.yaml": "{% set x = 1 %}{% for i in [7] %}{% include 'inc.yaml' %}{% endfor %}|{% include 'nope' ignore missing %}{{ y is defined }}",
                 "inc.yaml": "inc{{ x }}{{ i }}{% set y = 1 %}\n"}),
    ("include_list", {"main.yaml": "{% include ['a.yaml', 'b.yaml'] %}", "b.yaml": "B"}),
    ("import", {"main.yaml": "{% import 'm.yaml' as m %}{{ m.hi('x') }} {{ m.v }} [{{ m }}]{% from 'm.yaml' import hi as h %} {{ h('y') }}",
                "m.yaml": "body{% set v = 3 %}{% macro hi(n) %}hi {{ n }}{% endmacro %}"}),
    ("import_context", {"main.yaml": "{% set x = 1 %}{% import 'm.yaml' as a %}{% import 'm.yaml' as b with context %}{{ a.f() }} {{ b.f() }}",
                        "m.yaml": "{% macro f() %}{{ x is defined }}{% endmacro %}"}),
    ("vars", "{{ n + 1 }} {{ s }} {{ f }} {{ b }}", {"n": "41", "s": "text", "f": "0.5", "b": "true"}),
    # Jinja's compile-time scoping: a name a frame assigns later starts undefined there
    ("scope_late_set_read_in_loop", "{% for i in [1] %}{{ x }}{% endfor %}{% set x = 1 %}", {"x": "5"}),
    ("scope_read_then_set", "{{ x }}{% set x = 1 %}{{ x }}", {"x": "5"}),
    ("scope_set_in_one_branch", "{% if false %}{% set x = 1 %}{% endif %}{{ x }}", {"x": "5"}),
    ("scope_loop_accumulate", "{% for i in [1, 2] %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}", {"x": "5"}),
    ("scope_parent_sets_later", {"main.yaml": "{% extends 'b.yaml' %}{% set x = 9 %}",
                                 "b.yaml": "{{ x }}{% set x = 1 %}{{ x }}"}, {"x": "5"}),
    ("scope_include_in_loop", {"main.yaml": "{% for i in [1] %}{% include 'i.yaml' %}{% endfor %}{% set x = 1 %}",
                               "i.yaml": "[{{ x }}]"}, {"x": "5"}),
    # errors
    ("err_undefined", "line\n{{ x }}"),
    ("err_undefined_if", "{% if x %}1{% endif %}"),
    ("err_attr", "{{ {'a': 1}.b.c }}"),
    ("err_unknown_tag", "{% for i in [1] %}{% break %}{% endfor %}"),
    ("err_unknown_filter", "{{ 1 | nope }}"),
    ("err_unknown_filter_in_if", "{% if true %}{{ 1 | nope }}{% endif %}"),
    ("err_eof", "{% if true %}"),
    ("err_expected", "{{ 1 2 }}"),
    ("err_unclosed", "{{ x"),
    ("err_unbalanced", "{{ (1 }}"),
    ("err_required", {"main.yaml": "{% extends 'base.yaml' %}", "base.yaml": "<{% block a required %}{% endblock %}>"}),
    ("err_not_found", "{% include 'nope.yaml' %}"),
    ("err_in_include", {"main.yaml": "a\n{% include 'inc.yaml' %}", "inc.yaml": "\n\n{{ y }}"}),
    ("err_extended_twice", {"main.yaml": "{% extends 'b.yaml' %}{% extends 'b.yaml' %}", "b.yaml": "b"}),
    ("err_nsattr", "{% set x = 1 %}{% set x.a = 2 %}"),
    ("err_unpack", "{% set a, b = [1] %}"),
    ("err_macro_args", "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}"),
    ("err_type", "{{ 1 + 'a' }}"),
    ("err_recursion", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"),
    ("err_security", "{{ ''.__class__ }}"),
]


def c_string(s):
    out = []
    for ch in s.encode("utf-8"):
        c = chr(ch)
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append("\\%03o" % ch)
    return '"' + "".join(out) + '"'


def render(files, variables):
    d = tempfile.mkdtemp()
    try:
        for name, text in files.items():
            path = os.path.join(d, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        if variables:
            with open(os.path.join(d, "vars.yaml"), "w", encoding="utf-8") as f:
                for k, v in variables.items():
                    f.write(f"{k}: {v}\n")
        return reference.render_case(d)
    finally:
        shutil.rmtree(d)


def main():
    for name, files, *rest in CASES:
        if isinstance(files, str):
            files = {"main.yaml": files}
        variables = rest[0] if rest else {}
        result = render(files, variables)
        others = [(k, v) for k, v in files.items() if k != "main.yaml"]
        print(f"    {{{c_string(name)},")
        print(f"     {c_string(files['main.yaml'])},")
        items = ", ".join(f"{{{c_string(k)}, {c_string(v)}}}" for k, v in others)
        print(f"     {{{items}}},")
        vs = ", ".join(f"{{{c_string(k)}, {c_string(v)}}}" for k, v in variables.items())
        print(f"     {{{vs}}},")
        if result[0] == "ok":
            print(f"     {c_string(result[1])}, NULL, NULL}},")
        else:
            print(f"     NULL, {c_string(result[1])}, {c_string(result[2])}}},")


if __name__ == "__main__":
    main()
