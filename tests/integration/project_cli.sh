#!/usr/bin/env bash
# The project commands on a copy of examples/tiny_experiments: ls (with one deliberately
# broken config among good ones), index, meta, tlist, targets, pp and graph of project
# configs, pp errors (exit 1, FILE:LINE:COL), and a template sweep trained for a few
# steps per run, ending with its table.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cp -r "$SRC/examples/tiny_experiments" "$TMP/proj"
rm -rf "$TMP/proj/runs" "$TMP/proj/data"
mkdir -p "$TMP/proj/data"
# A small corpus: enough bytes for a few steps of batch 16 x 128 plus validation.
write_corpus "$TMP/proj/data/fortunes.txt" 400
P="$TMP/proj"

# ---- ls with a broken config
printf -- '-- extends "project.yaml"\n[config_metadata]\n    == super()\n    -- set ns.config_name = "Broken" ~ \n' > "$P/templates/configs/broken.yaml"
out=$(cd "$P" && "$FGRUN" ls 2>&1); rc=$?
check "ls exits 0 with a broken config" "$rc" "exit $rc: $out"
contains "$out" "Tiny Experiments : " ; check "ls prints the project line" $? "$out"
contains "$out" "[baseline.yaml]" && contains "$out" "Baseline : Pre-norm blocks"; check "ls marks the default config and shows its meta" $? "$out"
for c in rmsnorm.yaml post_norm.yaml silu_mlp.yaml adafactor.yaml; do
    grep -Eq "^    $c +[A-Za-z].* : " <<<"$out"; check "ls lists $c" $? "$out"
done
grep -Eq "^    broken.yaml +PARSE ERROR : .*broken.yaml:4:" <<<"$out"; check "ls marks broken.yaml with its error place" $? "$out"
grep -Eq "^    lr_sweep.yaml .*\(sweep of 3 runs\)" <<<"$out"; check "ls shows the sweep's run count" $? "$out"
out=$("$FGRUN" ls -r "$TMP" 2>&1); rc=$?
contains "$out" "Project Path: $TMP/proj" && contains "$out" "PARSE ERROR"; check "ls -r finds the project" $? "$out"
rm "$P/templates/configs/broken.yaml"

# ---- index, meta, tlist
out=$("$FGRUN" -p "$P" index 2>&1); rc=$?
[ $rc = 0 ] && contains "$out" "# Tiny Experiments" && contains "$out" "configs/baseline.yaml" && contains "$out" "base/training.yaml"
check "index summarises meta, configs and templates" $? "$out"
out=$("$FGRUN" -p "$P" meta 2>&1)
contains "$out" "default config: baseline.yaml" && contains "$out" "$P/templates"; check "meta shows the search path" $? "$out"
cp "$SRC/templates/base/config_type.yaml" "$P/templates/config_type_copy.yaml"
mkdir -p "$P/templates/base" && cp "$SRC/templates/base/config_type.yaml" "$P/templates/base/config_type.yaml"
out=$("$FGRUN" -p "$P" tlist 2>&1)
grep -Eq "^base/config_type.yaml +$P/templates/base/config_type.yaml$" <<<"$out" &&
    grep -Eq "^base/config_type.yaml +.*/templates/base/config_type.yaml +\(shadowed\)$" <<<"$out"
check "tlist shows which copy of a template wins" $? "$out"
rm -r "$P/templates/base" "$P/templates/config_type_copy.yaml"

# ---- pp, targets and graph of project configs
out=$("$FGRUN" -p "$P" -t rmsnorm.yaml pp 2>&1); rc=$?
[ $rc = 0 ] && contains "$out" "norm: &norm !partial:rmsnorm { eps: 1.0e-06 }" && contains "$out" "config_name: RMSNorm"
check "pp renders a project config through inheritance" $? "$out"
out=$(cd "$P/templates" && "$FGRUN" pp --var max_steps=7 2>&1)
contains "$out" "max_steps: 7" && contains "$out" "config_name: Baseline"; check "pp: default config, --var, project found from a subdirectory" $? "$out"
out=$("$FGRUN" -p "$P" -t adafactor.yaml targets 2>&1)
[ "$out" = "$(printf 'seed\nmodel\nmeta\nmain')" ]; check "targets lists the root keys" $? "$out"
out=$("$FGRUN" -p "$P" graph 2>&1); rc=$?
[ $rc = 0 ] && contains "$out" "causal_lm" && contains "$out" "simple"; check "graph --format yaml" $? "$out"
out=$("$FGRUN" -p "$P" graph --format dot 2>&1); rc=$?
[ $rc = 0 ] && contains "$out" "digraph" && contains "$out" "->"; check "graph --format dot" $? "$out"

# ---- pp errors: exit 1, FILE:LINE:COL: message
printf 'a: 1\nb: {{ nope }}\n' > "$TMP/undef.yaml"
err=$("$FGRUN" pp "$TMP/undef.yaml" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && grep -Eq "^$TMP/undef.yaml:2:[0-9]+: .*'nope' is undefined" <<<"$err"; check "pp: undefined name" $? "rc $rc: $err"
printf -- '-- include "missing.yaml"\n' > "$TMP/inc.yaml"
err=$("$FGRUN" pp "$TMP/inc.yaml" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && grep -Eq "^$TMP/inc.yaml:1:[0-9]+: .*missing.yaml" <<<"$err"; check "pp: template not found" $? "rc $rc: $err"
printf 'x\n-- extends "child_err.yaml"\n' > "$TMP/top.yaml"
printf 'line one\n{{ 1 + }}\n' > "$TMP/child_err.yaml"
err=$("$FGRUN" pp "$TMP/top.yaml" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && grep -Eq "child_err.yaml:2:[0-9]+: " <<<"$err" && grep -q "top.yaml:2" <<<"$err"
check "pp: syntax error in an extended template names both files" $? "rc $rc: $err"

# ---- a sweep: three runs of a few steps, then the table
# --set shrinks the model of every run: the test is about the sweep, and runs under ASan.
small=(--set model.d_model=32 --set model.num_layers=1 --set model.max_seq_len=32
       --set main.args.batch_size=2 --set main.args.eval_batches=2)
out=$("$FGRUN" -p "$P" -t lr_sweep.yaml train --var max_steps=4 "${small[@]}" --threads 1 --runs-dir "$TMP/runs" 2>&1); rc=$?
[ $rc = 0 ] && [ "$(grep -Ec '^lr_0\.00[124] +4 +[0-9.]+ +[0-9.]+ ' <<<"$out")" = 3 ]
check "sweep: three runs and a table of final metrics" $? "rc $rc: $(tail -8 <<<"$out")"
n=$(ls -d "$TMP"/runs/lr_0.00* 2>/dev/null | wc -l)
[ "$n" = 3 ]; check "sweep: one run directory per document" $? "$n directories"
d=$(ls -d "$TMP"/runs/lr_0.004* | head -1)
[ -f "$d/templates/configs/lr_sweep.yaml" ] && [ -f "$d/templates/base/training.yaml" ] && grep -q "lr: 0.004" "$d/config.yaml"
check "sweep: each run keeps its rendered config and template sources" $? "$(ls -R "$d" | head -20)"

finish project_cli
