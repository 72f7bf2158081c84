#!/usr/bin/env bash
# tests/run.sh PREFIX [BUILD_DIR]: builds the plugin against the Forgather installed in
# PREFIX (into BUILD_DIR, default build), trains example.yaml for a few steps on a small
# generated corpus with PREFIX/bin/fgrun, and checks the run finished with a lower loss.
set -euo pipefail
if [ $# -lt 1 ]; then
    echo "usage: $0 PREFIX [BUILD_DIR]" >&2
    exit 2
fi
PREFIX=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${2:-$HERE/build}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cmake -S "$HERE" -B "$BUILD" -DCMAKE_PREFIX_PATH="$PREFIX" > "$WORK/cmake.log" ||
    { cat "$WORK/cmake.log"; exit 1; }
cmake --build "$BUILD" > "$WORK/build.log" || { cat "$WORK/build.log"; exit 1; }
BUILD=$(cd "$BUILD" && pwd)

for i in $(seq 1 300); do
    echo "line $i: the quick brown fox jumps over the lazy dog $((i * 7919 % 1000))"
done > "$WORK/corpus.txt"

"$PREFIX/bin/fgrun" train "$HERE/example.yaml" --plugin-path "$BUILD" --threads 1 \
    --var data_path="$WORK/corpus.txt" --runs-dir "$WORK/runs" > "$WORK/train.log" 2>&1 ||
    { cat "$WORK/train.log"; echo "FAIL: training failed"; exit 1; }
run=$(ls -d "$WORK"/runs/*/ | head -1)

# status.json says finished; trainer_logs.json has the logged training losses.
python3 - "$run" <<'PY'
import json, sys
run = sys.argv[1]
status = json.load(open(run + "/status.json"))
assert status["status"] == "finished", status
losses = [r["loss"] for r in json.load(open(run + "/trainer_logs.json")) if "loss" in r]
assert len(losses) >= 2 and losses[-1] < losses[0], losses
print("ok: finished, loss %.3f -> %.3f" % (losses[0], losses[-1]))
PY
