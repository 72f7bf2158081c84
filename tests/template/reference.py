#!/usr/bin/python3
"""Reference renderer for the template conformance corpus (tests/template/cases).

Renders a case with REAL Jinja2 under Forgather's settings (spec A.1): SandboxedEnvironment,
trim_blocks=True, keep_trailing_newline=False, StrictUndefined, autoescape off, the `toyaml`
filter and the deterministic Forgather globals; every template goes through Forgather's
source preprocessor (spec A.2), written here in Python straight from the spec: the
sub-template split in the loader, the per-line rewrite and the TOML-style blocks as a
Jinja extension's preprocess hook (so Jinja then drops one trailing newline, as it does
in Forgather).

A case is a directory holding main.yaml (the template rendered, looked up by name on a
search path of just the case directory), any templates it uses, optionally vars.yaml (a
flat mapping of scalars passed as render variables), and the expected result:
expected.txt (the exact output) or expected_error.txt (first line: the class name of the
exception Jinja raises; second line: its message, for information).

    reference.py                 check every case's stored expectation, report differences
    reference.py 012 03          only the cases whose names start with these prefixes
    reference.py --update [...]  (re)write the expectations from Jinja2
    reference.py --render DIR    print what a case renders to (or the error)
    reference.py --pp FILE       print FILE preprocessed as Jinja's lexer would see it
                                 (no sub-template split; the trailing newline dropped)
"""
import os
import re
import sys

import jinja2
import yaml
from jinja2.ext import Extension
from jinja2.sandbox import SandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")

# --------------------------------------------------------------------------------------
# Preprocessor (spec A.2)

SUBTEMPLATE_MARKER = re.compile(r"\n#\s*-{3,}\s*([\w./]+)\s*-{3,}\n")
NEWLINE = re.compile(r"\n|\r\n|\r")
FULL_LINE_COMMENT = re.compile(r"\s*##.*")
TRAILING_COMMENT = re.compile(r"(.*)\s+#{2,}.*")
LINE_STATEMENT = re.compile(r"\s*(--|<<|>>|==|=>)\s(.*)")
TOML_HEADER = re.compile(r"^(\s*)\[(\w+)(!)*\]\s*$")

# Marker -> (text before the body, text after it). `=>` prints its value with leading and
# trailing newline characters trimmed: the Jinja string literal '\n' (backslash, n).
STATEMENT_FORMS = {
    "--": ("{% ", " %}"),
    "<<": ("{%- ", " %}"),
    ">>": ("{% ", " -%}"),
    "==": ("{{ ", " }}"),
    "=>": ("{{ ", "|trim('\\n')}}"),
}


def split_subtemplates(text):
    """Step 1: [(None, own template), (name, sub-template), ...]."""
    chunks, start, name = [], 0, None
    for m in SUBTEMPLATE_MARKER.finditer(text):
        chunks.append((name, text[start:m.start()]))
        name, start = m.group(1), m.end()
    chunks.append((name, text[start:]))
    return chunks


def rewrite_lines(source):
    """Step 2: comments and line statements, line by line."""
    out = []
    for line in NEWLINE.split(source):
        if FULL_LINE_COMMENT.fullmatch(line):
            continue
        m = TRAILING_COMMENT.fullmatch(line)
        if m:
            line = m.group(1)
        m = LINE_STATEMENT.fullmatch(line)
        if m:
            before, after = STATEMENT_FORMS[m.group(1)]
            line = before + m.group(2) + after
        out.append(line)
    return "\n".join(out)


def toml_blocks(source):
    """Step 3: `[name]` / `[name!]` headers become blocks; a block ends at the next header
    indented no deeper than its own, or at the end. The closing text goes at the end of
    the last output line, after a printed newline when that line is not empty."""
    lines, stack = [], []  # stack of (name, indent, trimmed)

    def close():
        name, _, trimmed = stack.pop()
        if lines[-1]:
            lines[-1] += "{{'\\n'}}"
        lines[-1] += "{% endblock " + name + " +%}" + ("{% endfilter %}" if trimmed else "")

    for line in source.split("\n"):
        m = TOML_HEADER.match(line)
        if not m:
            lines.append(line)
            continue
        indent, name, trimmed = len(m.group(1)), m.group(2), m.group(3) is not None
        while stack and stack[-1][1] >= indent:
            close()
        lines.append(("{% filter trim %}" if trimmed else "") + "{% block " + name + " %}")
        stack.append((name, indent, trimmed))
    while stack:
        close()
    return "\n".join(lines)


def preprocess(source):
    return toml_blocks(rewrite_lines(source))


class ForgatherPreprocessor(Extension):
    def preprocess(self, source, name, filename=None):
        return preprocess(source)


class CaseLoader(jinja2.BaseLoader):
    """File-system loader over a search path that splits every file it reads into
    sub-templates; those are served from memory from then on, before any file."""

    def __init__(self, searchpath):
        self.searchpath = [p for p in searchpath if os.path.isdir(p)]
        self.templates = {}

    def get_source(self, environment, template):
        if template in self.templates:
            return self.templates[template]
        pieces = []
        for piece in template.split("/"):
            if piece == "..":
                raise jinja2.TemplateNotFound(template)
            if piece and piece != ".":
                pieces.append(piece)
        for d in self.searchpath:
            path = os.path.join(d, *pieces)
            if not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                text = f.read().decode("utf-8")
            mtime = os.path.getmtime(path)

            def uptodate(path=path, mtime=mtime):
                try:
                    return os.path.getmtime(path) == mtime
                except OSError:
                    return False

            chunks = split_subtemplates(text)
            for name, sub in chunks[1:]:
                self.templates[name] = (sub, path, uptodate)
            return chunks[0][1], path, uptodate
        raise jinja2.TemplateNotFound(template)


# --------------------------------------------------------------------------------------
# Forgather's filter and globals (the deterministic ones)


def toyaml(value, default=jinja2.Undefined):
    """Spec A.1: undefined -> the default or an error; int/bool -> str(); None -> null;
    anything else -> a one-line YAML flow dump, keys sorted, without the `...` end mark."""
    if isinstance(value, jinja2.Undefined):
        if default is jinja2.Undefined:
            value._fail_with_undefined_error()
        value = default
    if isinstance(value, (int, bool)):
        return str(value)
    if value is None:
        return "null"
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True,
                          width=float("inf")).strip()
    if text.endswith("\n..."):
        text = text[:-4]
    elif text.endswith("..."):
        text = text[:-3]
    return text


def _refuse_undefined(*args):
    for a in args:
        if isinstance(a, jinja2.Undefined):
            a._fail_with_undefined_error()


def joinpath(*parts):
    _refuse_undefined(*parts)
    return os.path.join(*parts)


def normpath(*parts):
    _refuse_undefined(*parts)
    return os.path.normpath(*parts)


GLOBALS = {
    "joinpath": joinpath,
    "normpath": normpath,
    "dirname": os.path.dirname,
    "basename": os.path.basename,
    "splitext": os.path.splitext,
    "repr": repr,
    "modname_from_path": lambda path: os.path.splitext(os.path.basename(path))[0],
}


def make_environment(searchpath):
    env = SandboxedEnvironment(
        loader=CaseLoader(searchpath),
        extensions=[ForgatherPreprocessor],
        trim_blocks=True,
        lstrip_blocks=False,
        keep_trailing_newline=False,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        auto_reload=True,
    )
    env.globals.update(GLOBALS)
    env.filters["toyaml"] = toyaml
    return env


# --------------------------------------------------------------------------------------
# Cases


def case_dirs(prefixes=()):
    names = sorted(n for n in os.listdir(CASES) if os.path.isfile(os.path.join(CASES, n, "main.yaml")))
    if prefixes:
        names = [n for n in names if any(n.startswith(p) for p in prefixes)]
    return [os.path.join(CASES, n) for n in names]


def case_vars(case_dir):
    """vars.yaml as (name, raw scalar text, value) triples, in file order."""
    path = os.path.join(case_dir, "vars.yaml")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    values = yaml.safe_load(text) or {}
    out = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, raw = line.partition(":")
        name, raw = name.strip(), raw.strip()
        if name not in values or isinstance(values[name], (dict, list)):
            raise ValueError(f"{path}: only flat `name: scalar` lines are allowed")
        out.append((name, raw, values[name]))
    return out


def render_case(case_dir):
    """('ok', text) or ('error', class name, message)."""
    env = make_environment([case_dir])
    variables = {name: value for name, _, value in case_vars(case_dir)}
    try:
        return ("ok", env.get_template("main.yaml").render(**variables))
    except Exception as e:  # every failure is a result: its class is the expectation
        message = str(e).splitlines()[0] if str(e) else ""
        return ("error", type(e).__name__, message)


def stored_expectation(case_dir):
    ok_path = os.path.join(case_dir, "expected.txt")
    err_path = os.path.join(case_dir, "expected_error.txt")
    if os.path.exists(ok_path) and not os.path.exists(err_path):
        with open(ok_path, "rb") as f:
            return ("ok", f.read().decode("utf-8"))
    if os.path.exists(err_path) and not os.path.exists(ok_path):
        with open(err_path, encoding="utf-8") as f:
            return ("error", f.readline().rstrip("\n"))
    return ("missing",)


def same(result, stored):
    if result[0] != stored[0]:
        return False
    return result[1] == stored[1]


def describe(result):
    if result[0] == "ok":
        return "output " + repr(result[1])
    if result[0] == "error":
        return "error " + " ".join(result[1:])
    return "no expectation stored"


def write_expectation(case_dir, result):
    ok_path = os.path.join(case_dir, "expected.txt")
    err_path = os.path.join(case_dir, "expected_error.txt")
    for p in (ok_path, err_path):
        if os.path.exists(p):
            os.remove(p)
    if result[0] == "ok":
        with open(ok_path, "wb") as f:
            f.write(result[1].encode("utf-8"))
    else:
        with open(err_path, "w", encoding="utf-8") as f:
            f.write(result[1] + "\n" + result[2] + "\n")


def main(argv):
    if len(argv) == 2 and argv[0] == "--pp":
        with open(argv[1], "rb") as f:
            text = preprocess(f.read().decode("utf-8"))
        sys.stdout.write(text[:-1] if text.endswith("\n") else text)
        return 0
    if len(argv) == 2 and argv[0] == "--render":
        result = render_case(os.path.abspath(argv[1]))
        if result[0] == "ok":
            sys.stdout.write(result[1])
            return 0
        print(f"{result[1]}: {result[2]}", file=sys.stderr)
        return 1
    update = "--update" in argv
    prefixes = [a for a in argv if a != "--update"]
    dirs = case_dirs(prefixes)
    bad = 0
    for d in dirs:
        result = render_case(d)
        if update:
            write_expectation(d, result)
            continue
        stored = stored_expectation(d)
        if not same(result, stored):
            bad += 1
            print(f"{os.path.basename(d)}: stored {describe(stored)}; Jinja2 gives {describe(result)}")
    if update:
        print(f"wrote expectations for {len(dirs)} cases")
        return 0
    print(f"reference check: {len(dirs) - bad} of {len(dirs)} cases agree with Jinja2 {jinja2.__version__}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
