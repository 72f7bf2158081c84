#!/usr/bin/env bash
# Run records and the commands that read them: a tiny model trained for 3 steps leaves
# status.json and run.json's pid; `fgrun runs` lists it finished with its numbers, a copy
# with a cut-off trainer_logs.json and no status.json as killed, a run still going as
# running and then interrupted, a failed one with its error, and carries on past garbage
# directories; `fgrun tb` prints (and starts) a TensorBoard command when `tensorboard` is
# on PATH (a stand-in here, with the event file it reads checked), draws PNG plots with
# gnuplot when it is not (skipped without gnuplot), and says so when neither exists.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LIVE_PID=
trap '[ -n "$LIVE_PID" ] && kill -9 "$LIVE_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

# ---- a tiny run: 3 steps, a small model, a generated corpus
mkdir -p "$TMP/tiny/data"
cp "$SRC/examples/tiny_gpt/config.yaml" "$TMP/tiny/config.yaml"
write_corpus "$TMP/tiny/data/fortunes.txt"
small=(--set model.d_model=32 --set model.num_layers=1 --set model.max_seq_len=32 --set main.args.batch_size=2
       --set main.args.eval_batches=2 --set main.args.eval_steps=2 --set main.args.logging_steps=1
       --set main.args.sample_tokens=0 --threads 1)
out=$("$FGRUN" train "$TMP/tiny/config.yaml" "${small[@]}" --set main.args.max_steps=3 --runs-dir "$TMP/runs" 2>&1); rc=$?
RUN=$(ls -d "$TMP"/runs/tiny-* 2>/dev/null | head -1)
[ $rc = 0 ] && [ -n "$RUN" ]; check "train: a 3-step run" $? "rc $rc: $(tail -3 <<<"$out")"

st=$(cat "$RUN/status.json" 2>&1)
grep -q '"status":[[:space:]]*"finished"' <<<"$st" && grep -q '"exit_code":[[:space:]]*0' <<<"$st" &&
    grep -q '"final_step":[[:space:]]*3' <<<"$st" && grep -q '"ended_utc":[[:space:]]*"20' <<<"$st" &&
    ! grep -q '"error"' <<<"$st"
check "status.json: finished, exit code 0, final step 3" $? "$st"
env=$(cat "$RUN/run.json")
grep -Eq '"pid":[[:space:]]*[0-9]+' <<<"$env" && grep -Eq '"compiler_id":[[:space:]]*"(gcc|clang)"' <<<"$env" &&
    grep -q '"openmp":' <<<"$env" && grep -q '"hostname":' <<<"$env"
check "run.json: pid, hostname, compiler id, OpenMP" $? "$env"

row() { grep -E "^$1 " <<<"$2"; } # the table row of run NAME (first column)
num='[0-9]+\.[0-9]{4}'
out=$("$FGRUN" runs "$TMP/runs" 2>&1); rc=$?
[ $rc = 0 ] && grep -Eq "^tiny +finished +20[0-9-]+T[0-9:]+Z +3/3 +$num +$num +[0-9]+ +$RUN$" <<<"$out"
check "runs: the run finished, 3/3 steps, loss, eval_loss, tokens/s, directory" $? "rc $rc: $out"

# ---- a killed run: status.json gone, the log cut inside the record of step 3
KILLED="$TMP/runs/tinykilled-20000101-000000"
cp -r "$RUN" "$KILLED"
rm "$KILLED/status.json"
cut_at=$(grep -bo '"step": 3,' "$KILLED/trainer_logs.json" | head -1 | cut -d: -f1)
head -c $((cut_at + 14)) "$RUN/trainer_logs.json" > "$KILLED/trainer_logs.json"
# the garbage: run.json that is not JSON, an empty directory, a file
mkdir -p "$TMP/runs/garbage" "$TMP/runs/empty"
printf 'not json {' > "$TMP/runs/garbage/run.json"
echo text > "$TMP/runs/stray-file.txt"
out=$("$FGRUN" runs "$TMP/runs" 2>"$TMP/err"); rc=$?; err=$(cat "$TMP/err")
[ $rc = 0 ] && grep -Eq "^tinykilled +killed +.* +2/3 +$num +$num " <<<"$out"
check "runs: no status.json, process gone: killed, with the numbers up to the cut" $? "rc $rc: $out $err"
row tiny "$out" | grep -q finished && [ "$(grep -c . <<<"$out")" = 3 ]
check "runs: the finished run still listed beside the damaged ones" $? "$out"
grep -q "garbage/run.json: not valid JSON" <<<"$err" && grep -q "empty: not a run directory" <<<"$err" &&
    ! grep -q stray <<<"$err"
check "runs: a message for each directory that is not a readable run" $? "$err"
out=$("$FGRUN" runs "$KILLED" 2>&1)
[ "$(grep -c . <<<"$out")" = 2 ] && row tinykilled "$out" | grep -q killed
check "runs RUN_DIR: just that run" $? "$out"
# the log cut anywhere: read without complaint up to the cut
cp "$KILLED/trainer_logs.json" "$TMP/killed_log"
size=$(wc -c < "$RUN/trainer_logs.json"); bad_cuts=""
for cut in $(seq 0 $((size / 23 + 1)) "$size"); do
    head -c "$cut" "$RUN/trainer_logs.json" > "$KILLED/trainer_logs.json"
    out=$("$FGRUN" runs "$KILLED" 2>&1) && row tinykilled "$out" | grep -Eq " killed .* (-|[0-3]/3) " &&
        ! grep -q warning <<<"$out" || bad_cuts="$bad_cuts $cut"
done
[ -z "$bad_cuts" ]; check "runs: a log cut at any of 24 places is read up to the cut" $? "cuts:$bad_cuts: $out"
cp "$TMP/killed_log" "$KILLED/trainer_logs.json"
# other damage: run.json valid JSON but not an object, trainer_logs.json a directory
mkdir -p "$TMP/odd/notobject" && echo '[1, 2]' > "$TMP/odd/notobject/run.json"
cp -r "$RUN" "$TMP/odd/logdir-20000101-000000" && rm "$TMP/odd/logdir-20000101-000000/trainer_logs.json" &&
    mkdir "$TMP/odd/logdir-20000101-000000/trainer_logs.json"
out=$("$FGRUN" runs "$TMP/odd" 2>&1); rc=$?
[ $rc = 0 ] && contains "$out" "notobject/run.json: not a JSON object" && contains "$out" "trainer_logs.json: not a regular file" &&
    row logdir "$out" | grep -q finished
check "runs: run.json not an object, trainer_logs.json a directory: messages" $? "rc $rc: $out"
out=$("$FGRUN" runs "$TMP/runs" "$TMP/nowhere" 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "$TMP/nowhere: No such file" && row tiny "$out" | grep -q finished
check "runs: a missing DIR is an error, the others still list" $? "rc $rc: $out"
json=$("$FGRUN" runs --json "$TMP/runs" 2>/dev/null); rc=$?
if command -v python3 >/dev/null; then
    python3 - "$json" <<'EOF'
import json, sys
runs = {r["name"]: r for r in json.loads(sys.argv[1])}
assert set(runs) == {"tiny", "tinykilled"}, runs
t, k = runs["tiny"], runs["tinykilled"]
assert (t["status"], t["steps"], t["max_steps"], t["exit_code"]) == ("finished", 3, 3, 0), t
assert t["loss"] > 0 and t["best_eval_loss"] > 0 and t["tokens_per_s"] > 0 and not t["log_truncated"], t
assert (k["status"], k["steps"], k["log_truncated"], k["exit_code"]) == ("killed", 2, True, None), k
EOF
    check "runs --json: a machine-readable array" $? "$json"
else
    [ $rc = 0 ] && contains "$json" '"status":	"killed"'; check "runs --json (no python3 to parse it)" $? "$json"
fi

# ---- the defaults: ./runs, and the project's runs/ from anywhere inside it
out=$(cd "$TMP" && "$FGRUN" runs 2>/dev/null)
row tiny "$out" | grep -q finished; check "runs: ./runs by default" $? "$out"
mkdir -p "$TMP/proj/runs" "$TMP/proj/sub" && touch "$TMP/proj/meta.yaml" && cp -r "$RUN" "$TMP/proj/runs/"
out=$(cd "$TMP/proj/sub" && "$FGRUN" runs 2>&1)
row tiny "$out" | grep -q "$TMP/proj/runs/"; check "runs: a project's runs/ by default" $? "$out"

# ---- running, then interrupted (SIGINT: status.json says so); a failed run
"$FGRUN" train "$TMP/tiny/config.yaml" "${small[@]}" --set main.args.max_steps=1000000 \
    --runs-dir "$TMP/live" > "$TMP/live.log" 2>&1 &
LIVE_PID=$!
# a logged step: the trainer runs and has its SIGINT handler (run.json comes before it)
for _ in $(seq 1 400); do grep -qs '"step"' "$TMP"/live/*/trainer_logs.json && break; sleep 0.05; done
out=$("$FGRUN" runs "$TMP/live" 2>&1)
row tiny "$out" | grep -q " running "; check "runs: a run whose process lives is running" $? "$out"
kill -INT "$LIVE_PID"; wait "$LIVE_PID"; rc=$?; LIVE_PID=
out=$("$FGRUN" runs "$TMP/live" 2>&1)
[ $rc = 130 ] && row tiny "$out" | grep -q " interrupted "
check "runs: Ctrl-C leaves an interrupted run" $? "rc $rc: $out $(tail -3 "$TMP/live.log")"
"$FGRUN" train "$TMP/tiny/config.yaml" "${small[@]}" --set main.train_dataset.path=missing.txt \
    --runs-dir "$TMP/failed" > /dev/null 2>&1
out=$("$FGRUN" runs "$TMP/failed" 2>&1)
row tiny "$out" | grep -q " failed " && grep -q "error: .*missing.txt" <<<"$out" &&
    grep -q '"error":.*missing.txt' "$TMP"/failed/*/status.json
check "runs: a failed run shows its error" $? "$out"

# ---- tb with TensorBoard: a stand-in `tensorboard` that records its arguments
mkdir -p "$TMP/bin"
printf '#!/bin/sh\necho "$@" > "%s/tb-args"\n' "$TMP" > "$TMP/bin/tensorboard"
chmod +x "$TMP/bin/tensorboard"
out=$(PATH="$TMP/bin:$PATH" "$FGRUN" tb --dry-run "$RUN" 2>/dev/null); rc=$?
[ $rc = 0 ] && [ "$out" = "$TMP/bin/tensorboard --logdir $RUN" ] && [ ! -e "$RUN/events.out.tfevents.fgrun" ]
check "tb --dry-run: the tensorboard command, nothing written" $? "rc $rc: $out"
out=$(PATH="$TMP/bin:$PATH" "$FGRUN" tb --dry-run --all "$TMP/runs" 2>/dev/null)
contains "$out" "--logdir_spec tiny:$RUN,tinykilled:$KILLED" || contains "$out" "--logdir_spec tinykilled:$KILLED,tiny:$RUN"
check "tb --all: several runs by --logdir_spec NAME:DIR" $? "$out"
out=$(cd "$TMP" && PATH="$TMP/bin:$PATH" "$FGRUN" tb -- --port 6099 2>&1); rc=$?
args=$(cat "$TMP/tb-args" 2>/dev/null)
[ $rc = 0 ] && { [ "$args" = "--logdir $RUN --port 6099" ] || [ "$args" = "--logdir $KILLED --port 6099" ]; }
check "tb: starts tensorboard on the newest run of ./runs, with the arguments after --" $? "rc $rc: $out; $args"
newest=$(sed 's/^--logdir \([^ ]*\) .*/\1/' "$TMP/tb-args" 2>/dev/null)
EVENTS="$newest/tensorboard/events.out.tfevents.fgrun"
if command -v python3 >/dev/null; then
    # TFRecord framing with masked CRC-32C, and the scalar tags in the Event protos
    python3 - "$EVENTS" <<'EOF'
import struct, sys
def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1))
    return crc ^ 0xffffffff
def masked(data):
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xffffffff) + 0xa282ead8) & 0xffffffff
blob, at, events = open(sys.argv[1], "rb").read(), 0, []
while at < len(blob):
    header = blob[at:at + 8]
    (length,), (hcrc,) = struct.unpack("<Q", header), struct.unpack("<I", blob[at + 8:at + 12])
    data = blob[at + 12:at + 12 + length]
    (dcrc,) = struct.unpack("<I", blob[at + 12 + length:at + 16 + length])
    assert hcrc == masked(header) and dcrc == masked(data), "bad CRC at %d" % at
    events.append(data)
    at += 16 + length
assert b"brain.Event:2" in events[0], events[0]
# Value.tag (field 1, length-delimited): the tensorboard callback's tag names
assert any(b"\x0a\x0atrain/loss" in e for e in events) and any(b"\x0a\x09eval/loss" in e for e in events)
EOF
    check "tb: the event file TensorBoard reads (records, CRCs, scalar tags)" $? "$(ls -l "$EVENTS" 2>&1)"
else
    [ -s "$EVENTS" ]; check "tb: an event file written" $? "$(ls "$newest")"
fi
# a run with event files of its own (the tensorboard callback's) is not converted
mkdir -p "$RUN/tensorboard" && cp "$EVENTS" "$RUN/tensorboard/events.out.tfevents.fgrun"
touch "$RUN/tensorboard/events.out.tfevents.1700000000.host"
out=$(PATH="$TMP/bin:$PATH" "$FGRUN" tb "$RUN" 2>&1); rc=$?
[ $rc = 0 ] && [ ! -e "$RUN/tensorboard/events.out.tfevents.fgrun" ] && [ -e "$RUN/tensorboard/events.out.tfevents.1700000000.host" ]
check "tb: a run with the callback's event files keeps only those" $? "rc $rc: $out; $(ls "$RUN/tensorboard")"

# ---- tb without TensorBoard: gnuplot PNGs, or a message when gnuplot is missing too
no_tb_path=""
IFS=: read -ra path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do [ -n "$d" ] && [ ! -x "$d/tensorboard" ] && no_tb_path="$no_tb_path${no_tb_path:+:}$d"; done
if PATH="$no_tb_path" command -v gnuplot >/dev/null; then
    out=$(PATH="$no_tb_path" "$FGRUN" tb --all --out "$TMP/plots" "$TMP/runs" 2>&1); rc=$?
    magic() { [ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
    [ $rc = 0 ] && magic "$TMP/plots/loss.png" && magic "$TMP/plots/lr.png" && contains "$out" "TensorBoard is not installed" &&
        contains "$out" "$TMP/plots/loss.png"
    check "tb without tensorboard: loss.png and lr.png drawn by gnuplot" $? "rc $rc: $out"
    out=$(PATH="$no_tb_path" "$FGRUN" tb "$KILLED" 2>&1); rc=$?
    [ $rc = 0 ] && magic "$KILLED/loss.png"; check "tb: one run's plots go to its directory" $? "rc $rc: $out"
else
    echo "skip tb with gnuplot: gnuplot is not installed (apt-get install gnuplot-nox)"
fi
out=$(PATH="$TMP/nowhere" "$FGRUN" tb "$RUN" 2>&1); rc=$?
[ $rc = 1 ] && contains "$out" "neither TensorBoard nor gnuplot"; check "tb: neither tool: a message, exit 1" $? "rc $rc: $out"

finish runs_cli
