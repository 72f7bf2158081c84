#!/usr/bin/env bash
# OpenBLAS kernel choice: on a CPU with AVX-512, fgrun started with OpenBLAS's AVX2
# (Haswell) kernels restarts itself with the AVX-512 set and records the change in
# run.json; FG_BLAS_CORETYPE=keep keeps the loaded set. On a CPU without AVX-512 nothing
# changes either way.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
trap 'rm -rf "$TMP"' EXIT

mkdir -p "$TMP/tiny/data"
cp "$SRC/examples/tiny_gpt/config.yaml" "$TMP/tiny/config.yaml"
write_corpus "$TMP/tiny/data/fortunes.txt"
small=(--set model.d_model=32 --set model.num_layers=1 --set model.max_seq_len=32 --set main.args.batch_size=2
       --set main.args.eval_batches=1 --set main.args.sample_tokens=0 --set main.args.max_steps=1 --threads 1)

run_json() { # MODE: train one step with OPENBLAS_CORETYPE=Haswell, print run.json
    local dir="$TMP/runs-$1"
    if [ "$1" = keep ]; then
        FG_BLAS_CORETYPE=keep OPENBLAS_CORETYPE=Haswell "$FGRUN" train "$TMP/tiny/config.yaml" "${small[@]}" --runs-dir "$dir" >/dev/null 2>&1
    else
        env -u FG_BLAS_CORETYPE OPENBLAS_CORETYPE=Haswell "$FGRUN" train "$TMP/tiny/config.yaml" "${small[@]}" --runs-dir "$dir" >/dev/null 2>&1
    fi
    cat "$dir"/*/run.json 2>/dev/null
}

auto=$(run_json auto)
keep=$(run_json keep)
if grep -q -w avx512f /proc/cpuinfo && grep -q -w avx512bw /proc/cpuinfo && grep -q -w avx512dq /proc/cpuinfo &&
   grep -q -w avx512vl /proc/cpuinfo; then
    grep -q '"blas_core_change":[[:space:]]*"Haswell -> \(SkylakeX\|Cooperlake\)' <<<"$auto" &&
        grep -q 'core \(SkylakeX\|Cooperlake\);' <<<"$auto"
    check "AVX-512 CPU: Haswell kernels replaced by the AVX-512 set" $? "$(grep -i 'blas' <<<"$auto")"
else
    grep -q '"blas_core_change":[[:space:]]*""' <<<"$auto"
    check "no AVX-512: the loaded kernels are kept" $? "$(grep -i 'blas' <<<"$auto")"
fi
grep -q '"blas_core_change":[[:space:]]*""' <<<"$keep" && grep -q 'core Haswell;' <<<"$keep"
check "FG_BLAS_CORETYPE=keep: Haswell kept" $? "$(grep -i 'blas' <<<"$keep")"
finish blas_core
