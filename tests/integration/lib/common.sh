# Shared by the integration scripts (source it first): where fgrun is, a temporary
# directory removed at exit, pass/fail counting and a small text corpus.
#   FG_BUILD_DIR   the build tree (default build); FG_SOURCE_DIR the source tree (default .)
BUILD=${FG_BUILD_DIR:-build}
FGRUN="$(cd "$BUILD" && pwd)/bin/fgrun"
SRC=$(cd "${FG_SOURCE_DIR:-.}" && pwd)
TMP=$(cd "$(mktemp -d)" && pwd -P) # physical: some commands print resolved paths
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

check() { # NAME CONDITION-RESULT MESSAGE
    if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1: $3"; fi
}
contains() { [[ "$1" == *"$2"* ]]; }

# write_corpus FILE [LINES]: a few kilobytes of varied text, enough for tiny runs.
write_corpus() {
    mkdir -p "$(dirname "$1")"
    for i in $(seq 1 "${2:-300}"); do
        echo "line $i: the quick brown fox jumps over the lazy dog $((i * 7919 % 1000))"
    done > "$1"
}

# finish NAME: the summary line and the exit status.
finish() {
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
