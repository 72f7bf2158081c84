#!/usr/bin/env bash
# A third-party plugin built outside the source tree against an installed Forgather:
# `cmake --install` puts the CMake package, forgather.pc and the SDK template under a
# prefix; the template, copied elsewhere, configures with find_package(Forgather), builds
# libfg_example.so, which the installed fgrun lists and trains with (its optimizer and
# feed-forward layer), resumes with its optimizer state from a checkpoint, and installs
# it into a prefix's lib/forgather/plugins.
# (Under FG_SANITIZE the installed core is sanitized and the plugin is not: that is fine.)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PREFIX=$TMP/prefix
cmake --install "$BUILD" --prefix "$PREFIX" > "$TMP/install.log" 2>&1
check "install: cmake --install succeeds" $? "$(cat "$TMP/install.log")"
for f in lib/cmake/Forgather/ForgatherConfig.cmake lib/cmake/Forgather/ForgatherConfigVersion.cmake \
    lib/cmake/Forgather/ForgatherPlugin.cmake lib/pkgconfig/forgather.pc \
    share/forgather/sdk/template/CMakeLists.txt share/forgather/sdk/template/src/example.c; do
    [ -f "$PREFIX/$f" ]; check "install: $f" $? "missing"
done

# pkg-config: the include directory of the prefix, no libraries (plugins link nothing).
flags=$(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --cflags --libs forgather 2>&1)
inc=${flags#-I}
inc=${inc%% *}
[[ "$flags" == -I* ]] && [ "$(cd "$inc" 2>/dev/null && pwd -P)" = "$PREFIX/include" ] && [ -f "$inc/forgather/plugin.h" ]
check "pkg-config: --cflags --libs forgather is -I<prefix>/include" $? "$flags"

# The template copied outside the source tree, configured against the prefix only.
cp -r "$PREFIX/share/forgather/sdk/template" "$TMP/myplugin"
out=$(cmake -S "$TMP/myplugin" -B "$TMP/myplugin/build" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_INSTALL_PREFIX="$TMP/plugin-prefix" 2>&1) &&
    out=$(cmake --build "$TMP/myplugin/build" 2>&1) && [ -f "$TMP/myplugin/build/libfg_example.so" ]
check "template: configures with find_package(Forgather) and builds libfg_example.so" $? "$out"
contains "$(cat "$TMP/myplugin/build/CMakeCache.txt" 2>/dev/null)" "Forgather_DIR:PATH=$PREFIX/lib/cmake/Forgather"
check "template: found the installed package, not the source tree" $? "$(grep Forgather_DIR "$TMP/myplugin/build/CMakeCache.txt" 2>&1)"

out=$("$PREFIX/bin/fgrun" plugins --plugin-path "$TMP/myplugin/build" 2>&1)
contains "$out" example_sgd_momentum && contains "$out" example_swish_mlp
check "plugins: the installed fgrun lists both factories" $? "$out"

# A few training steps with both components (tests/run.sh of the template checks that the
# run finished and the loss went down).
out=$(bash "$TMP/myplugin/tests/run.sh" "$PREFIX" "$TMP/myplugin/build" 2>&1)
check "train: example_sgd_momentum + example_swish_mlp finish with a lower loss" $? "$out"

# Checkpoints carry the momentum buffers (save_state/load_state): a run resumed from step
# 5 logs the same loss at step 10 as the run that went straight through.
write_corpus "$TMP/corpus.txt"
train() { # RUNS-DIR [fgrun args]
    local runs=$1
    shift
    "$PREFIX/bin/fgrun" train "$TMP/myplugin/example.yaml" --plugin-path "$TMP/myplugin/build" \
        --threads 1 --var data_path="$TMP/corpus.txt" --runs-dir "$runs" \
        --set main.args.max_steps=10 --set main.args.save_steps=5 "$@" 2>&1
}
loss_at_10() { /usr/bin/python3 -c '
import json, sys
print([r["loss"] for r in json.load(open(sys.argv[1])) if r.get("step") == 10 and "loss" in r][0])' "$1"/*/trainer_logs.json; }
out=$(train "$TMP/straight") && out=$(train "$TMP/resumed" --resume "$(ls -d "$TMP"/straight/*/)checkpoint-5") &&
    grep -q momentum_buffer "$TMP"/straight/*/checkpoint-5/optimizer.safetensors &&
    [ "$(loss_at_10 "$TMP/straight")" = "$(loss_at_10 "$TMP/resumed")" ]
check "checkpoint: the momentum buffers are saved and a resumed run continues bit for bit" $? \
    "$out; $(loss_at_10 "$TMP/straight" 2>&1) vs $(loss_at_10 "$TMP/resumed" 2>&1)"

out=$(cmake --install "$TMP/myplugin/build" 2>&1) && [ -f "$TMP/plugin-prefix/lib/forgather/plugins/libfg_example.so" ]
check "template: cmake --install puts the plugin in <prefix>/lib/forgather/plugins" $? "$out"

# `fgrun plugin new NAME --kind K` from the installed template: only that factory, renamed;
# the example config falls back to a built-in for the other kind; it builds and trains.
for kind in optimizer feedforward; do
    out=$(cd "$TMP" && "$PREFIX/bin/fgrun" plugin new "my_$kind" --kind "$kind" 2>&1) &&
        out+=$(cmake -S "$TMP/my_$kind" -B "$TMP/my_$kind/build" -DCMAKE_PREFIX_PATH="$PREFIX" 2>&1 &&
               cmake --build "$TMP/my_$kind/build" 2>&1) &&
        [ "$("$PREFIX/bin/fgrun" plugins --plugin-path "$TMP/my_$kind/build" 2>/dev/null | grep -c "\] my_${kind}_")" = 1 ] &&
        ! grep -rq "example\|fg-template\|#~" "$TMP/my_$kind/src" "$TMP/my_$kind/my_$kind.yaml" &&
        out+=$(bash "$TMP/my_$kind/tests/run.sh" "$PREFIX" "$TMP/my_$kind/build" 2>&1)
    check "plugin new --kind $kind: one renamed factory that builds and trains" $? "$out"
done

finish sdk_out_of_tree
