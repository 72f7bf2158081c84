"""Template conformance: every case of tests/template/cases rendered by `fgrun pp` must give
exactly what Jinja2 gives under Forgather's settings.

For each case (a directory with main.yaml, the templates it uses, optional vars.yaml and
expected.txt or expected_error.txt; see tests/template/reference.py):
  1. when jinja2 is importable, tests/template/reference.py renders the case with real
     Jinja2 and the stored expectation must equal that (so it cannot silently rot);
  2. `fgrun pp -I CASE CASE/main.yaml [--var NAME=VALUE ...]` (VALUE: the YAML scalar text
     from vars.yaml) must print the expected text plus one newline and exit 0, or, for
     an error case, exit 1 with nothing on stdout and a first stderr line
     "FILE:LINE:COL: Class: message" where FILE is one of the case's files and Class is
     the exception class Jinja2 raises.
A case may also hold divergence.txt: a documented place where Forgather-C deliberately
differs from Jinja2 (first line: the error class fgrun gives instead; then why). Step 1
still holds; step 2 then requires that error. Such cases are counted apart.

Usage: test_template_conformance.py [CASE-PREFIX ...]   (e.g. `012 03` runs 012_* and 03*)
Environment: FG_BUILD_DIR (default <source>/build) holds bin/fgrun.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fg_support import BUILD, SRC  # noqa: E402

CASES = os.path.join(SRC, "tests", "template", "cases")
FGRUN = os.path.join(BUILD, "bin", "fgrun")
LOCATION = re.compile(r"^(.+?):(\d+):(\d+): ")
TIMEOUT_S = 60


def jinja_version():
    import jinja2
    return jinja2.__version__


def case_dirs(prefixes):
    names = sorted(n for n in os.listdir(CASES) if os.path.isfile(os.path.join(CASES, n, "main.yaml")))
    if prefixes:
        names = [n for n in names if any(n.startswith(p) for p in prefixes)]
    return [os.path.join(CASES, n) for n in names]


def load_reference():
    """The reference module, or None (with the reason printed) when Jinja2 is missing."""
    try:
        import jinja2  # noqa: F401
        import yaml  # noqa: F401
    except ImportError as e:
        print(f"note: {e}; stored expectations are not re-checked against Jinja2")
        return None
    sys.path.insert(0, os.path.join(SRC, "tests", "template"))
    import reference
    return reference


def read_vars(case_dir):
    """vars.yaml as [(name, raw scalar text)], without needing PyYAML."""
    path = os.path.join(case_dir, "vars.yaml")
    if not os.path.exists(path):
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.lstrip().startswith("#"):
                name, _, raw = line.partition(":")
                out.append((name.strip(), raw.strip()))
    return out


def stored(case_dir):
    """('ok', bytes) or ('error', class name) or ('missing',)."""
    ok_path = os.path.join(case_dir, "expected.txt")
    err_path = os.path.join(case_dir, "expected_error.txt")
    has_ok, has_err = os.path.exists(ok_path), os.path.exists(err_path)
    if has_ok and not has_err:
        with open(ok_path, "rb") as f:
            return ("ok", f.read())
    if has_err and not has_ok:
        with open(err_path, encoding="utf-8") as f:
            return ("error", f.readline().strip())
    return ("missing",)


def first_difference(want, got):
    """One line saying where two byte strings first differ."""
    w, g = want.decode("utf-8", "replace").split("\n"), got.decode("utf-8", "replace").split("\n")
    for i in range(max(len(w), len(g))):
        a = w[i] if i < len(w) else "<end>"
        b = g[i] if i < len(g) else "<end>"
        if a != b:
            return f"line {i + 1}: expected {a[:80]!r}, got {b[:80]!r}"
    return "outputs differ"


def case_files(case_dir):
    names = set()
    for _, _, files in os.walk(case_dir):
        names.update(files)
    return names


def check_reference(reference, case_dir, expect):
    """None when Jinja2 agrees with the stored expectation, else why not."""
    result = reference.render_case(case_dir)
    if expect[0] == "ok" and result[0] == "ok" and result[1].encode("utf-8") == expect[1]:
        return None
    if expect[0] == "error" and result[0] == "error" and result[1] == expect[1]:
        return None
    got = repr(result[1][:80]) if result[0] == "ok" else f"{result[1]}: {result[2][:80]}"
    return f"stored expectation is stale: Jinja2 now gives {got} (run reference.py --update)"


def divergence(case_dir):
    """The error class fgrun gives instead of Jinja2's result, or None."""
    path = os.path.join(case_dir, "divergence.txt")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.readline().strip()


def check_fgrun(case_dir, expect):
    """None when fgrun agrees with the expectation, else why not."""
    if not os.path.exists(FGRUN):
        return f"{FGRUN} not built"
    cmd = [FGRUN, "pp", "-I", case_dir, os.path.join(case_dir, "main.yaml")]
    for name, raw in read_vars(case_dir):
        cmd += ["--var", f"{name}={raw}"]
    try:
        run = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"fgrun pp ran longer than {TIMEOUT_S} s"
    err_line = run.stderr.decode("utf-8", "replace").split("\n")[0][:160]
    if expect[0] == "ok":
        if run.returncode != 0:
            return f"exit status {run.returncode}, expected 0: {err_line}"
        if run.stdout != expect[1] + b"\n":
            return first_difference(expect[1] + b"\n", run.stdout)
        return None
    if run.returncode != 1:
        return f"exit status {run.returncode}, expected 1 ({expect[1]}): {err_line}"
    if run.stdout:
        return f"error case printed to stdout: {run.stdout[:80]!r}"
    m = LOCATION.match(err_line)
    if not m:
        return f"first stderr line is not 'FILE:LINE:COL: message': {err_line!r}"
    if os.path.basename(m.group(1)) not in case_files(case_dir):
        return f"error names {m.group(1)!r}, which is not a file of the case: {err_line!r}"
    if int(m.group(2)) < 1 or int(m.group(3)) < 1:
        return f"line and column must be 1 or more: {err_line!r}"
    if not err_line[m.end():].startswith(expect[1] + ":"):
        return f"expected a {expect[1]}: {err_line!r}"
    return None


def main(argv):
    dirs = case_dirs(argv)
    if not dirs:
        print(f"no cases under {CASES} match {argv}")
        return 1
    reference = load_reference()
    passed = diverging = 0
    for d in dirs:
        name = os.path.basename(d)
        expect = stored(d)
        differs = divergence(d)
        if expect[0] == "missing":
            problem = "needs exactly one of expected.txt, expected_error.txt"
        else:
            problem = check_reference(reference, d, expect) if reference else None
            problem = problem or check_fgrun(d, ("error", differs) if differs else expect)
        if problem:
            print(f"FAIL {name}: {problem}")
        elif differs:
            diverging += 1
        else:
            passed += 1
    checked = "against Jinja2 " + jinja_version() if reference else "against stored Jinja2 outputs"
    print(f"template conformance ({checked}): {passed} of {len(dirs) - diverging} cases identical; "
          f"{diverging} documented divergences behave as documented")
    return 0 if passed + diverging == len(dirs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
