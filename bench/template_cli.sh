#!/usr/bin/env bash
# Start-to-finish time of `fgrun pp` and `fgrun graph` on the example project
# (examples/tiny_experiments, config baseline.yaml), against a peer in the same run: the
# same render done by Python's Jinja2 + PyYAML (bench/jinja_peer.py: tests/template/reference.py's Forgather
# preprocessor and environment), which is what Forgather's own CLI does at its core
# before importing torch. Each command runs N times (default 40); prints the mean and
# median in milliseconds and the ratio.
#   bench/template_cli.sh [N]
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root_dir"
N=${1:-40}
FGRUN=${FG_BUILD_DIR:-build}/bin/fgrun
P=examples/tiny_experiments

time_cmd() { # LABEL CMD...: prints "LABEL mean median" (ms)
    local label=$1; shift
    /usr/bin/python3 - "$N" "$label" "$@" <<'PY'
import statistics, subprocess, sys, time
n, label, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)  # warm the page cache
times = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
print(f"{label:<34} mean {statistics.mean(times):7.2f} ms   median {statistics.median(times):7.2f} ms")
PY
}

echo "template CLI start-to-finish, $N runs each, $(nproc) cores"
time_cmd "fgrun pp (baseline.yaml)" "$FGRUN" -p "$P" -t baseline.yaml pp --fixed-time 1700000000
time_cmd "fgrun graph (baseline.yaml)" "$FGRUN" -p "$P" -t baseline.yaml graph
time_cmd "fgrun ls (7 configs)" "$FGRUN" -p "$P" ls
time_cmd "python jinja2+yaml render (peer)" /usr/bin/python3 bench/jinja_peer.py "$P" baseline.yaml
