#!/usr/bin/env bash
# `cmake --install` puts the same tree under a prefix (bin/fgrun, lib/libforgather-core.so,
# lib/forgather/plugins, include/forgather), and the installed fgrun finds its plugins
# there even after the prefix is moved elsewhere; its fgrun code needs nothing beside it.
set -euo pipefail
BUILD=${FG_BUILD_DIR:-build}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cmake --install "$BUILD" --prefix "$TMP/prefix" > /dev/null
failed=0
passed=0
need() {
    if [ -e "$TMP/$1" ]; then passed=$((passed + 1)); else echo "FAIL: $1 not installed"; failed=$((failed + 1)); fi
}
libdir=$(cd "$TMP/prefix" && ls -d lib*/ | head -1)
libdir=${libdir%/}
need prefix/bin/fgrun
need "prefix/$libdir/libforgather-core.so"
need "prefix/$libdir/forgather/plugins/libfg_adamw.so"
need prefix/include/forgather/plugin.h
need prefix/include/forgather/fg_host_api.h
mv "$TMP/prefix" "$TMP/moved"
# No FG_PLUGIN_PATH and the build tree hidden: only the installed copy can answer.
out=$(env -u FG_PLUGIN_PATH "$TMP/moved/bin/fgrun" plugins --json)
if grep -Eq "\"path\":[[:space:]]*\"$TMP/moved/$libdir/forgather/plugins/libfg_adamw.so\"" <<<"$out"; then
    passed=$((passed + 1))
else
    echo "FAIL: the moved install does not load its own plugins"; failed=$((failed + 1))
fi
# fgrun code carries its C runtime inside the library: the moved install alone writes a
# project that builds.
if env -u FG_PLUGIN_PATH "$TMP/moved/bin/fgrun" code examples/tiny_gpt/config.yaml -o "$TMP/code" > /dev/null &&
    cc -O2 -Wall -Werror -std=c99 -o "$TMP/code/tiny_gpt" "$TMP/code"/*.c -lm; then
    passed=$((passed + 1))
else
    echo "FAIL: the moved install's fgrun code does not give a project that builds"; failed=$((failed + 1))
fi
echo "install_tree: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
