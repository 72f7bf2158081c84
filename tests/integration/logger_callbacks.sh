#!/usr/bin/env bash
# The json_logger and progress callbacks on a tiny 6-step run: metrics.jsonl holds one
# complete JSON object per log and evaluation, with the numbers of trainer_logs.json; the
# progress bar replaces the trainer's own line (args.progress: false) and shows the
# percentage, step, loss and the evaluation; a bad path is an error naming it.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

mkdir -p "$TMP/tiny/data"
cp "$SRC/examples/tiny_gpt/config.yaml" "$TMP/tiny/config.yaml"
write_corpus "$TMP/tiny/data/fortunes.txt"
small=(--set model.d_model=32 --set model.num_layers=1 --set model.max_seq_len=32 --set main.args.batch_size=2
       --set main.args.eval_batches=2 --set main.args.eval_steps=3 --set main.args.logging_steps=2
       --set main.args.sample_tokens=0 --set main.args.max_steps=6 --threads 1)
out=$("$FGRUN" train "$TMP/tiny/config.yaml" "${small[@]}" --set main.args.progress=false \
      --set 'main.callbacks=[!singleton:json_logger {}, !singleton:progress {width: 10}]' --runs-dir "$TMP/runs" 2>&1)
rc=$?
RUN=$(ls -d "$TMP"/runs/tiny-* 2>/dev/null | head -1)
[ $rc = 0 ] && [ -f "$RUN/metrics.jsonl" ]; check "train with json_logger and progress" $? "rc $rc: $(tail -5 <<<"$out")"

/usr/bin/python3 - "$RUN" <<'PY'
import json, sys
run = sys.argv[1]
lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
logs = json.load(open(f"{run}/trainer_logs.json"))
want = [(r["step"], "log" if "loss" in r else "eval", r.get("loss", r.get("eval_loss")))
        for r in logs if "loss" in r or "eval_loss" in r]
got = [(l["step"], l["event"], l.get("loss", l.get("eval_loss"))) for l in lines]
assert [(s, e) for s, e, _ in got] == [(s, e) for s, e, _ in want], (got, want)
for (s, e, a), (_, _, b) in zip(got, want):
    assert abs(a - b) <= 1e-12 * max(1.0, abs(b)), (s, e, a, b)
assert all("epoch" in l and "time" in l for l in lines)
print(f"metrics.jsonl: {len(lines)} records equal trainer_logs.json")
PY
check "json_logger: one record per log and evaluation, equal to trainer_logs.json" $? ""

grep -Eq '^\[#{10}\] 100% step 6/6 \| loss [0-9.]+ \| [0-9]+ tok/s \| ETA ' <<<"$out" &&
    grep -Eq '^\[#*\.+\] +33% step 2/6 ' <<<"$out" && grep -Eq '^step 3: eval_loss [0-9.]+$' <<<"$out" &&
    ! grep -Eq '^step [0-9]+/[0-9]+ \|' <<<"$out" && ! grep -q 'validation loss' <<<"$out"
check "progress: bar lines and evaluations, the built-in line off" $? "$out"

out=$("$FGRUN" train "$TMP/tiny/config.yaml" "${small[@]}" \
      --set 'main.callbacks=[!singleton:json_logger {path: /nonexistent/dir/m.jsonl}]' --runs-dir "$TMP/runs" 2>&1)
rc=$?
[ $rc = 1 ] && grep -q "json_logger: cannot open '/nonexistent/dir/m.jsonl'" <<<"$out"
check "json_logger: an unwritable path is an error naming it" $? "rc $rc: $(tail -3 <<<"$out")"

finish logger_callbacks
