#!/usr/bin/env bash
# fgrun compare and fgrun generate on two tiny runs. compare: status.json's end-of-run
# summary, a table row per run whose numbers are those of the records, the same as JSON,
# a runs directory expanded to its runs, a killed run without the memory figures, a
# directory that is no run named in an error, a PNG drawn by gnuplot (skipped without
# gnuplot) and a note, not a failure, without it. generate: greedy text is the same twice,
# with and without the KV cache (also past max_seq_len, where the window restarts), top-k 1
# is greedy, a seed repeats its sample and another seed changes it, --checkpoint picks the
# weights, and bad arguments are errors naming them.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

mkdir -p "$TMP/tiny/data"
cp "$SRC/examples/tiny_gpt/config.yaml" "$TMP/tiny/config.yaml"
write_corpus "$TMP/tiny/data/fortunes.txt"
small=(--set model.d_model=32 --set model.num_layers=1 --set model.max_seq_len=32 --set main.args.batch_size=2
       --set main.args.eval_batches=2 --set main.args.eval_steps=4 --set main.args.logging_steps=2
       --set main.args.sample_tokens=0 --threads 1)
"$FGRUN" train "$TMP/tiny/config.yaml" "${small[@]}" --set main.args.max_steps=10 --set main.args.save_steps=5 \
    --runs-dir "$TMP/runs" > "$TMP/train1.log" 2>&1; rc1=$?
# B learns the corpus's words, so that its greedy text tells a broken KV cache apart
"$FGRUN" train "$TMP/tiny/config.yaml" "${small[@]}" --set main.args.max_steps=200 --set main.optimizer.lr=0.01 \
    --set main.lr_scheduler.warmup_steps=10 --runs-dir "$TMP/runs" > "$TMP/train2.log" 2>&1; rc2=$?
RUNS=($(ls -d "$TMP"/runs/tiny-* 2>/dev/null))
A=${RUNS[0]:-none}
B=${RUNS[1]:-none}
[ $rc1 = 0 ] && [ $rc2 = 0 ] && [ ${#RUNS[@]} = 2 ]
check "train: two tiny runs" $? "rc $rc1 $rc2: $(tail -n 3 "$TMP/train1.log" "$TMP/train2.log")"
NAME_A=$(basename "$A")
NAME_B=$(basename "$B")

# ---- status.json: the end-of-run summary agrees with the log
python3 - "$A" <<'EOF'
import json, sys
run = sys.argv[1]
st = json.load(open(run + "/status.json"))
log = json.load(open(run + "/trainer_logs.json"))
losses = [r["loss"] for r in log if "loss" in r]
evals = [r["eval_loss"] for r in log if "eval_loss" in r]
params = [r["parameters"] for r in log if "parameters" in r]
assert st["final_step"] == 10 and st["final_loss"] == losses[-1] and st["final_eval_loss"] == evals[-1], st
assert st["parameters"] == params[0] > 0, (st, params)
speeds = [r["tokens_per_s"] for r in log if "tokens_per_s" in r]
assert min(speeds) <= st["mean_tokens_per_s"] <= max(speeds), (st, speeds)
assert st["peak_alloc_bytes"] > 0 and st["peak_rss_bytes"] > 0, st
EOF
check "status.json: final_loss, final_eval_loss, mean_tokens_per_s, parameters, peak memory" $? "$(cat "$A/status.json")"

# ---- compare: the table
num='[0-9]+\.[0-9]{4}'
mem='[0-9.]+ (B|KiB|MiB|GiB)'
out=$(cd "$TMP" && "$FGRUN" compare "$A" "$B" 2>&1); rc=$?
params=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["parameters"])' "$A/status.json")
loss_a=$(python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["final_loss"])' "$A/status.json")
eval_b=$(python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["final_eval_loss"])' "$B/status.json")
[ $rc = 0 ] && grep -Eq "^$NAME_A +finished +10/10 +$loss_a +$num +[0-9]+ +$params +$mem +$mem +.*tiny/config.yaml$" <<<"$out" &&
    grep -Eq "^$NAME_B +finished +200/200 +$num +$eval_b +[0-9]+ +$params +$mem +$mem " <<<"$out" &&
    grep -Eq "^run +status +steps +loss +eval_loss +tokens/s +parameters +peak mem +peak RSS +config$" <<<"$out"
check "compare: a row per run with the records' numbers (same names: directory names)" $? "rc $rc: $out"
json=$("$FGRUN" compare --json "$TMP/runs" -o "$TMP/j.png" 2>/dev/null); rc=$?
python3 - "$json" "$A" "$B" <<'EOF'
import json, sys
rows = json.loads(sys.argv[1])
assert [r["dir"] for r in rows] == [sys.argv[2], sys.argv[3]], rows
for r in rows:
    st = json.load(open(r["dir"] + "/status.json"))
    assert r["status"] == "finished" and r["steps"] == st["final_step"] == r["max_steps"], r
    for key, want in (("loss", "final_loss"), ("eval_loss", "final_eval_loss"), ("mean_tokens_per_s", "mean_tokens_per_s"),
                      ("parameters", "parameters"), ("peak_alloc_bytes", "peak_alloc_bytes"), ("peak_rss_bytes", "peak_rss_bytes")):
        assert r[key] == st[want], (key, r[key], st[want])
    assert r["config"].endswith("tiny/config.yaml") and r["best_eval_loss"] <= r["eval_loss"], r
EOF
check "compare --json: a runs directory expanded to its runs, values equal to status.json's" $? "rc $rc: $json"

# a killed run (no status.json): its losses from the log, no memory figures
KILLED="$TMP/other/tinykilled-20000101-000000"
mkdir -p "$TMP/other" && cp -r "$A" "$KILLED" && rm "$KILLED/status.json"
out=$("$FGRUN" compare "$KILLED" -o "$TMP/k.png" 2>&1); rc=$?
[ $rc = 0 ] && grep -Eq "^tinykilled +killed +10/10 +$loss_a +$num +[0-9]+ +$params +- +- " <<<"$out"
check "compare: a killed run has its log's numbers and no peak memory" $? "rc $rc: $out"

# a directory that is not a run: an error naming it, the others still compared
mkdir -p "$TMP/notarun/sub"
out=$("$FGRUN" compare "$A" "$TMP/notarun" -o "$TMP/n.png" 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "compare: $TMP/notarun: not a run directory" && grep -Eq "^tiny +finished" <<<"$out"
check "compare: a directory without runs is an error naming it; the run given is still listed" $? "rc $rc: $out"
out=$("$FGRUN" compare "$TMP/nowhere" 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "$TMP/nowhere: No such file" && contains "$out" "no runs to compare"
check "compare: a missing directory, nothing to compare: exit 1" $? "rc $rc: $out"
out=$("$FGRUN" compare "$A" --metric lr 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "--metric is loss or eval_loss, not 'lr'"; check "compare: a bad --metric" $? "rc $rc: $out"

# ---- the plot
magic() { [ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
if command -v gnuplot >/dev/null; then
    out=$(cd "$TMP" && "$FGRUN" compare "$A" "$B" 2>&1); rc=$?
    [ $rc = 0 ] && magic "$TMP/compare.png" && contains "$out" "plot: compare.png"
    check "compare: ./compare.png drawn by gnuplot, its path printed" $? "rc $rc: $out"
    out=$("$FGRUN" compare "$A" "$B" -o "$TMP/eval.png" --metric eval_loss 2>&1); rc=$?
    [ $rc = 0 ] && magic "$TMP/eval.png" && contains "$out" "plot: $TMP/eval.png (eval_loss against step"
    check "compare -o --metric eval_loss: the eval curves" $? "rc $rc: $out"
    out=$("$FGRUN" compare "$A" -o "$TMP/nodir/x.png" 2>&1); rc=$?
    [ $rc = 1 ] && contains "$out" "$TMP/nodir/x.png: cannot write the plot: No such file" && grep -Eq "^tiny +finished" <<<"$out"
    check "compare: an -o in a missing directory is an error after the table" $? "rc $rc: $out"
else
    echo "skip compare's plot: gnuplot is not installed (apt-get install gnuplot-nox)"
fi
out=$(cd "$TMP" && PATH="$TMP/nowhere" "$FGRUN" compare "$A" -o "$TMP/none.png" 2>&1); rc=$?
[ $rc = 0 ] && contains "$out" "gnuplot not found: no plot written; the table above has the numbers" &&
    grep -Eq "^tiny +finished" <<<"$out" && [ ! -e "$TMP/none.png" ]
check "compare without gnuplot: the table and a note, exit 0" $? "rc $rc: $out"

# ---- generate: each text into a file (stdout, bytes as drawn)
gen() { local out=$1; shift; "$FGRUN" generate "$B" --prompt "line 1" --threads 1 "$@" > "$TMP/$out" 2>"$TMP/gen.err"; }
same() { cmp -s "$TMP/$1" "$TMP/$2"; }
gen g1 --max-tokens 20 --temperature 0 --no-cache; rc1=$?
gen g2 --max-tokens 20 --temperature 0 --no-cache; rc2=$?
[ $rc1 = 0 ] && [ $rc2 = 0 ] && same g1 g2 && [ "$(wc -c < "$TMP/g1")" = 27 ] && [ "$(head -c 6 "$TMP/g1")" = "line 1" ] &&
    grep -Eq "20 tokens in .* tokens/s" "$TMP/gen.err" && grep -q "weights $B/model.safetensors; seed 0" "$TMP/gen.err"
check "generate: greedy, the prompt, 20 bytes and a newline, the same twice; weights, seed, speed on stderr" $? \
    "rc $rc1 $rc2: $(od -c "$TMP/g1" | head -3) $(cat "$TMP/gen.err")"
gen gk --max-tokens 20 --temperature 1 --top-k 1 --seed 5 --no-cache
same gk g1; check "generate: top-k 1 is greedy" $? "$(cat "$TMP/gk") vs $(cat "$TMP/g1")"
gen s1 --max-tokens 60 --temperature 1 --seed 1 --no-cache
gen s1b --max-tokens 60 --temperature 1 --seed 1 --no-cache
gen s2 --max-tokens 60 --temperature 1 --seed 2 --no-cache
same s1 s1b && ! same s1 s2; check "generate: a seed repeats its sample, another seed changes it" $? "$(cat "$TMP/s1" "$TMP/s2")"
ckpt() { local out=$1; shift; "$FGRUN" generate "$A" --prompt "line 1" --max-tokens 20 --temperature 0 --no-cache \
    "$@" > "$TMP/$out" 2> "$TMP/$out.err"; }
ckpt c5 --checkpoint "$A/checkpoint-5" && ckpt c10 --checkpoint "$A/checkpoint-10" && ckpt last &&
    grep -q "weights $A/checkpoint-5/model.safetensors" "$TMP/c5.err" &&
    grep -q "weights $A/model.safetensors" "$TMP/last.err" && same c10 last
check "generate --checkpoint: that checkpoint's weights; the last one's text is the final model's" $? \
    "$(cat "$TMP/c5.err" "$TMP/last.err")"
for n in 20 80; do # 80: past max_seq_len 32, where the window restarts
    gen cached$n --max-tokens $n --temperature 0; rc=$?
    gen full$n --max-tokens $n --temperature 0 --no-cache
    [ $rc = 0 ] && [ "$(wc -c < "$TMP/cached$n")" = $((6 + n + 1)) ] && grep -q "the quick" "$TMP/cached$n" &&
        same cached$n full$n
    check "generate: greedy with the KV cache = without ($n tokens)" $? \
        "rc $rc: $(cat "$TMP/gen.err" "$TMP/cached$n") vs $(cat "$TMP/full$n")"
done
gen sc --max-tokens 60 --temperature 1 --seed 1
same sc s1; check "generate: a seeded sample with the KV cache = without" $? "$(cat "$TMP/sc") vs $(cat "$TMP/s1")"

# ---- bad arguments
bad() { "$FGRUN" generate "$B" "$@" 2>&1 >/dev/null; }
out=$(bad --top-p 1.5); rc=$?
[ $rc = 1 ] && contains "$out" "top-p must be in (0, 1]"; check "generate --top-p 1.5: an error" $? "rc $rc: $out"
out=$(bad --temperature -1); rc=$?
[ $rc = 1 ] && contains "$out" "temperature must be a number >= 0"; check "generate --temperature -1: an error" $? "rc $rc: $out"
out=$(bad --top-k x); rc=$?
[ $rc = 1 ] && contains "$out" "--top-k expects an integer"; check "generate --top-k x: an error" $? "rc $rc: $out"
out=$("$FGRUN" generate "$TMP/missing" --prompt hi 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "$TMP/missing: No such file"; check "generate: a missing run directory" $? "rc $rc: $out"
out=$("$FGRUN" generate "$TMP/notarun" 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "$TMP/notarun: not a run directory"; check "generate: a directory that is no run" $? "rc $rc: $out"
out=$("$FGRUN" generate 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "no RUN_DIR given"; check "generate: no RUN_DIR" $? "rc $rc: $out"
out=$(bad --checkpoint "$TMP/notarun"); rc=$?
[ $rc = 1 ] && contains "$out" "$TMP/notarun: neither a checkpoint"; check "generate --checkpoint: not a checkpoint" $? "rc $rc: $out"
mkdir -p "$TMP/noweights" && cp "$A/run.json" "$A/config.effective.yaml" "$TMP/noweights/"
out=$("$FGRUN" generate "$TMP/noweights" 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "$TMP/noweights: no weights"; check "generate: a run without weights" $? "rc $rc: $out"

finish compare_generate
