#!/usr/bin/env bash
# The callbacks in real (tiny) training runs: early_stopping stops before max_steps with a
# checkpoint, and a run resumed from it continues its count; model_checkpoint keeps at
# most save_top_k checkpoints, the best by eval_loss, listed in best_checkpoints.json;
# lr_monitor records the learning rate; a bad callback parameter is an error naming it.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

write_corpus "$TMP/corpus.txt"

# config NAME CALLBACKS ARGS: a tiny model (d_model 32, one layer, 32 tokens) on the corpus
config() {
    cat > "$TMP/$1.yaml" <<YAML
seed: 7
.define:
  tokenizer: &tokenizer !singleton:byte_tokenizer {}
model: &model !singleton:causal_lm
  vocab_size: 256
  d_model: 32
  num_layers: 1
  max_seq_len: 32
  block: !partial:pre_norm_block
    attention: !partial:multihead { num_heads: 2 }
    feedforward: !partial:mlp { hidden_mult: 2, activation: gelu }
    norm: !partial:layernorm { eps: 1.0e-5 }
main: !singleton:simple
  model: *model
  tokenizer: *tokenizer
  train_dataset: !singleton:text_file { path: corpus.txt, tokenizer: *tokenizer, split: train }
  eval_dataset: !singleton:text_file { path: corpus.txt, tokenizer: *tokenizer, split: validation }
  optimizer: !partial:adamw { lr: 3.0e-3 }
  callbacks: [$2]
  args: { batch_size: 2, eval_batches: 2, sample_tokens: 0, save_model: false, $3 }
YAML
}
train() { # NAME [fgrun args]: runs into $TMP/runs-NAME; sets out, rc, run
    local name=$1
    shift
    out=$("$FGRUN" train "$TMP/$name.yaml" --threads 1 --runs-dir "$TMP/runs-$name" "$@" 2>&1)
    rc=$?
    run=$(ls -d "$TMP/runs-$name"/*/ 2>/dev/null | head -1)
    run=${run%/}
}
# py SCRIPT ARGS: a JSON check in Python; prints what is wrong, exits non-zero then
py() { /usr/bin/python3 -c "$@"; }

# ---- early_stopping: the first evaluation (step 4) sets the best, nothing can beat it by 1e9,
# so with patience 1 the second (step 8) stops training, with a checkpoint
config es "!singleton:early_stopping { patience: 1, min_delta: 1.0e9 }, !singleton:lr_monitor { logging_interval: 5 }" \
    "max_steps: 40, eval_steps: 4, logging_steps: 2"
train es
[ "$rc" = 0 ]; check "early_stopping: the run succeeds" $? "exit $rc: $out"
contains "$out" "early_stopping: eval_loss has not improved" && contains "$out" "stopped training after step 8"
check "early_stopping: says why it stopped, after step 8" $? "$out"
[ "$(cat "$run/latest" 2>/dev/null)" = "checkpoint-8" ] && [ -f "$run/checkpoint-8/callback-0.safetensors" ]
check "early_stopping: checkpoint-8 is the latest, with the callback's state" $? "$(ls "$run" 2>&1)"
msg=$(py '
import json, sys
recs = json.load(open(sys.argv[1]))
last = max(r["step"] for r in recs)
lr = [(r["step"], r["lr_monitor/lr"]) for r in recs if "lr_monitor/lr" in r]
if last != 8: print("last logged step", last)
if lr != [(5, 0.003)]: print("lr_monitor records", lr)
' "$run/trainer_logs.json" 2>&1)
[ -z "$msg" ]; check "early_stopping: nothing logged past step 8; lr_monitor logged step 5" $? "$msg"

# Resumed: the saved count (one evaluation without improvement) carries over, so the first
# evaluation after the resume (step 12) stops it; a fresh count would stop at 16.
first=$run
train es --resume "$first"
run=$(ls -d "$TMP/runs-es"/*/ | grep -vxF "$first/" | head -1)
run=${run%/}
[ "$rc" = 0 ] && [ "$(cat "$run/latest" 2>/dev/null)" = "checkpoint-12" ] &&
    contains "$out" "stopped training after step 12"
check "early_stopping: a resumed run continues the count and stops at step 12" $? "exit $rc: $out"

# ---- model_checkpoint: evaluations every 2 steps; at most 2 checkpoints stay, the best two
config mc "!singleton:model_checkpoint { monitor: eval_loss, save_top_k: 2 }" \
    "max_steps: 16, eval_steps: 2, logging_steps: 4"
train mc
[ "$rc" = 0 ]; check "model_checkpoint: the run succeeds" $? "exit $rc: $out"
msg=$(py '
import json, os, re, sys
run = sys.argv[1]
evals = [(r["eval_loss"], r["step"]) for r in json.load(open(run + "/trainer_logs.json")) if "eval_loss" in r]
dirs = sorted(int(m.group(1)) for m in (re.fullmatch(r"checkpoint-(\d+)", d) for d in os.listdir(run)) if m)
best = json.load(open(run + "/best_checkpoints.json"))
listed = [(c["value"], c["step"]) for c in best["checkpoints"]]
want = sorted(evals)[:2]  # by value, the earlier step first among equals
if len(evals) != 8: print("evaluations", evals)
if len(dirs) > 2: print("more than 2 checkpoints", dirs)
if listed != want: print("best_checkpoints.json lists", listed, "want", want)
if sorted(s for _, s in listed) != dirs: print("directories", dirs, "listed", listed)
if best["monitor"] != "eval_loss" or best["mode"] != "min" or best["save_top_k"] != 2: print("header", best)
for c in best["checkpoints"]:
    if c["path"] != run + "/checkpoint-%d" % c["step"] or not os.path.isdir(c["path"]): print("path", c)
' "$run" 2>&1)
[ -z "$msg" ]; check "model_checkpoint: the best 2 by eval_loss remain, listed in best_checkpoints.json" $? "$msg"
n_saved=$(grep -c "saved checkpoint-" <<<"$out")
[ "$n_saved" -ge 2 ]; check "model_checkpoint: it asked for saves ($n_saved)" $? "$out"

# ---- bad parameters are errors naming the parameter
config bad "!singleton:early_stopping { patience: 0 }" "max_steps: 4"
train bad
[ "$rc" = 1 ] && contains "$out" "patience"; check "early_stopping: patience 0 is refused" $? "exit $rc: $out"
config bad "!singleton:model_checkpoint { save_top_k: -5 }" "max_steps: 4"
train bad
[ "$rc" = 1 ] && contains "$out" "save_top_k"; check "model_checkpoint: save_top_k -5 is refused" $? "exit $rc: $out"

finish callbacks_train
