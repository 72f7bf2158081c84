#!/usr/bin/env bash
# fgrun plugin check on a built-in plugin, on each broken test plugin, on files that are
# not plugins and on self-tests that pass, fail and crash; fgrun plugin new on a small
# fake template (renaming, --kind) and its refusals, and on sdk/template when present.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

BAD="$(cd "$BUILD" && pwd)/tests/bad_plugins"
ADAMW="$(cd "$BUILD" && pwd)/lib/forgather/plugins/libfg_adamw.so"

# ---- plugin check
out=$("$FGRUN" plugin check "$ADAMW" 2>&1); rc=$?
[ $rc = 0 ] && contains "$out" "[optimizer] adamw:" && contains "$out" "weight_decay" &&
    contains "$out" "license: MIT" && contains "$out" "host:    ABI" && contains "$out" "result:  ok"
check "check a built-in plugin: exit 0, factory and parameters" $? "exit $rc: $out"
out=$("$FGRUN" plugin check "$ADAMW" --json 2>&1); rc=$?
[ $rc = 0 ] && contains "$out" '"ok":	true' && contains "$out" '"name":	"weight_decay"' && contains "$out" '"self_test":	"none"'
check "check --json" $? "exit $rc: $out"
for p in newer_abi:"ABI 2.0, this host has ABI 1." newer_minor:"ABI 1.4, this host has ABI 1.3" \
         not_a_plugin:"not a Forgather plugin" duplicate_factory:"factory 'adamw' is also provided by plugin 'adamw'"; do
    name=${p%%:*} want=${p#*:}
    out=$("$FGRUN" plugin check "$BAD/libfg_$name.so" 2>&1); rc=$?
    [ $rc = 1 ] && contains "$out" "$want" && contains "$out" "libfg_$name.so"
    check "check $name: exit 1, '$want'" $? "exit $rc: $out"
done
out=$("$FGRUN" plugin check "$BAD/libfg_older_minor.so" 2>&1); rc=$?
[ $rc = 0 ] && contains "$out" "(ABI 1.0)" && contains "$out" "[tokenizer] legacy"
check "check older_minor: accepted (older minors are compatible)" $? "exit $rc: $out"
out=$("$FGRUN" plugin check "$TMP/libfg_missing.so" 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "$TMP/libfg_missing.so: cannot read"
check "check a missing file" $? "exit $rc: $out"
echo "not an ELF file" > "$TMP/libfg_text.so"
out=$("$FGRUN" plugin check "$TMP/libfg_text.so" 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "libfg_text.so: cannot load"
check "check a file that is not ELF" $? "exit $rc: $out"
out=$("$FGRUN" plugin check 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "which plugin file"; check "check without a file" $? "exit $rc: $out"

# Self-tests: a plugin with one passing, one failing and one crashing self-test.
cat > "$TMP/selftests.c" <<'C'
#include <forgather/plugin.h>
#include <stdlib.h>
static fg_status create(const fg_params *p, const fg_create_args *a, void **out, fg_error *err) {
    (void)p, (void)a, (void)out;
    fg_api->error_set(err, FG_E_UNSUPPORTED, "stub");
    return FG_E_UNSUPPORTED;
}
static fg_status good(fg_error *err) { (void)err; return FG_OK; }
static fg_status bad(fg_error *err) { fg_api->error_set(err, FG_E_NUMERIC, "2 + 2 gave 5"); return FG_E_NUMERIC; }
static fg_status crash(fg_error *err) { (void)err; abort(); }
static const fg_factory_desc factories[] = {
    {sizeof(fg_factory_desc), FG_KIND_OPTIMIZER, "st_good", "passes", NULL, 0, 0, create, NULL, good},
    {sizeof(fg_factory_desc), FG_KIND_OPTIMIZER, "st_bad", "fails", NULL, 0, 0, create, NULL, bad},
    {sizeof(fg_factory_desc), FG_KIND_OPTIMIZER, "st_crash", "crashes", NULL, 0, 0, create, NULL, crash},
};
FG_PLUGIN_DEFINE("selftests", "0.1.0", "self-test cases", "MIT", factories)
C
if cc -std=c11 -shared -fPIC -fvisibility=hidden -I"$SRC/sdk/include" -o "$TMP/libfg_selftests.so" "$TMP/selftests.c"; then
    out=$("$FGRUN" plugin check "$TMP/libfg_selftests.so" 2>&1); rc=$?
    [ $rc = 1 ] && contains "$out" "self-test: pass" && contains "$out" "self-test: FAIL: 2 + 2 gave 5" &&
        contains "$out" "self-test: FAIL: crashed (signal 6"
    check "check runs self-tests: pass, fail with message, crash" $? "exit $rc: $out"
else
    check "compile the self-test plugin" 1 "cc failed"
fi

# ---- plugin new: refusals
out=$(cd "$TMP" && "$FGRUN" plugin new 9lives 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "'9lives' is not a valid plugin name"; check "new refuses a non-identifier" $? "exit $rc: $out"
out=$(cd "$TMP" && "$FGRUN" plugin new my-plugin 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "not a valid plugin name"; check "new refuses a name with '-'" $? "exit $rc: $out"
mkdir -p "$TMP/taken"
out=$(cd "$TMP" && "$FGRUN" plugin new taken 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "taken already exists"; check "new refuses an existing directory" $? "exit $rc: $out"
out=$(cd "$TMP" && "$FGRUN" plugin new fresh --kind tokenizer 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "unknown --kind 'tokenizer'"; check "new refuses an unknown kind" $? "exit $rc: $out"
out=$(cd "$TMP" && "$FGRUN" plugin new fresh --template "$TMP/no_template" 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "template is missing (looked in $TMP/no_template)" && [ ! -e "$TMP/fresh" ]
check "new fails clearly without a template" $? "exit $rc: $out"

# ---- plugin new on a fake template
T="$TMP/fake_template"
mkdir -p "$T/src"
cat > "$T/CMakeLists.txt" <<'X'
project(example_plugin C)
find_package(Forgather REQUIRED)
forgather_add_plugin(example_plugin SOURCES
  src/example_plugin.c
  # fg-template: optimizer begin
  src/optimizer.c
  # fg-template: optimizer end
  # fg-template: feedforward begin
  src/feedforward.c
  # fg-template: feedforward end
)
X
printf '/* example_plugin */\n#define EXAMPLE_PLUGIN_H\n/* fg-template: feedforward begin */\nFFN\n/* fg-template: feedforward end */\nFG_PLUGIN_DEFINE("example_plugin")\n' > "$T/src/example_plugin.c"
echo "opt" > "$T/src/optimizer.c"
echo "ffn" > "$T/src/feedforward.c"
out=$(cd "$TMP" && "$FGRUN" plugin new my_opt --kind optimizer --template "$T" 2>&1); rc=$?
P="$TMP/my_opt"
[ $rc = 0 ] && [ -f "$P/src/my_opt.c" ] && [ -f "$P/src/optimizer.c" ] && [ ! -e "$P/src/feedforward.c" ] &&
    grep -q 'forgather_add_plugin(my_opt SOURCES' "$P/CMakeLists.txt" && grep -q 'FG_PLUGIN_DEFINE("my_opt")' "$P/src/my_opt.c" &&
    grep -q 'MY_OPT_H' "$P/src/my_opt.c" && ! grep -rq 'example_plugin\|fg-template\|feedforward\|FFN' "$P"
check "new --kind optimizer: renamed, feedforward parts left out" $? "exit $rc: $out; $(cat "$P"/CMakeLists.txt "$P"/src/*.c 2>&1)"
out=$("$FGRUN" plugin new both --dir "$TMP/both_dir" --template "$T" 2>&1); rc=$?
[ $rc = 0 ] && [ -f "$TMP/both_dir/src/feedforward.c" ] && grep -q FFN "$TMP/both_dir/src/both.c" && ! grep -rq fg-template "$TMP/both_dir"
check "new --dir without --kind keeps every factory" $? "exit $rc: $out"

# ---- plugin new on the real template, when it is there
if [ -d "$SRC/sdk/template" ]; then
    tname=$(grep -Eo 'forgather_add_plugin\( *[A-Za-z0-9_]+' "$SRC/sdk/template/CMakeLists.txt" | head -1 | sed 's/.*( *//')
    out=$(cd "$TMP" && "$FGRUN" plugin new zebra_plugin --template "$SRC/sdk/template" 2>&1); rc=$?
    [ $rc = 0 ] && [ -n "$tname" ] && grep -rq zebra_plugin "$TMP/zebra_plugin" && ! grep -rq "$tname" "$TMP/zebra_plugin"
    check "new from sdk/template renames '$tname' to zebra_plugin" $? "exit $rc: $out"
fi

finish plugin_cli
