"""Shared by the Python tests: where the source and build trees are, the interpreter
that has `safetensors`, and a small pass/fail counter printing the suite's summary line."""
import os
import sys

SRC = os.environ.get("FG_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.environ.get("FG_BUILD_DIR") or os.path.join(SRC, "build")
VENV_PY = os.path.join(SRC, "build", "pyenv", "bin", "python")


def reexec_with_safetensors():
    """Debian's python3 has numpy and torch but not `safetensors`: rerun this script under
    the venv scripts/install-deps makes (it sees Debian's packages too)."""
    try:
        import safetensors  # noqa: F401
        return
    except ImportError as e:
        if os.path.exists(VENV_PY) and os.environ.get("FG_PY_REEXEC") != "1":
            os.environ["FG_PY_REEXEC"] = "1"
            os.execv(VENV_PY, [VENV_PY] + sys.argv)
        print(f"FAIL: {e}; run scripts/install-deps (it creates {VENV_PY})", file=sys.stderr)
        sys.exit(1)


class Checks:
    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, cond, msg):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", msg)

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0
