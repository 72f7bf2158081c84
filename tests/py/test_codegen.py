"""fgrun code and the code/ that fgrun train writes beside model.safetensors.

For every attention, feed-forward, norm and positional choice of examples/tiny_experiments,
a two-step run must leave a code/ project that compiles with `cc -O2 -Wall -Werror
-std=c99` and whose logits for a fixed prompt match the training runtime's
(build/bin/fg_model_probe on the same weights and tokens) within

    max |generated - runtime| <= 1e-4 * max |runtime logit| + 1e-5,

float rounding of two orders of summation; greedy and seeded generation of the compiled
program repeat exactly; weights of another model are refused, naming the tensor. The runtime's ALiBi slopes and sampler are checked against
independent implementations (Press et al.'s get_slopes; the sampler of fgrun generate
in Python). A model with a layer that has no emit_code makes `fgrun code` fail, naming
the layer, plugin, factory and config location, and leaves no directory; training it
still succeeds, with one warning and no code/."""
import math
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fg_support import BUILD, SRC, Checks  # noqa: E402

import numpy as np  # noqa: E402

FGRUN = os.path.join(BUILD, "bin", "fgrun")
PROBE = os.path.join(BUILD, "bin", "fg_model_probe")
PROJECT = os.path.join(SRC, "examples", "tiny_experiments")
NO_CODEGEN_PLUGINS = os.path.join(BUILD, "tests", "codegen_plugins")
CONFIGS = ["baseline", "rmsnorm", "post_norm", "silu_mlp", "multihead", "singlehead", "rope",
           "rope_gqa", "alibi", "mlp", "glu_ff", "swish"]
PROMPT = "The quick brown fox jumps over"
CC = ["cc", "-O2", "-Wall", "-Werror", "-std=c99"]

checks = Checks("test_codegen")
check = checks.check


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def write_corpus(path):
    with open(path, "w") as f:
        for i in range(1, 400):
            f.write(f"line {i}: the quick brown fox jumps over the lazy dog {i * 7919 % 1000}\n")


def train(args, runs):
    out = run([FGRUN] + args + ["--runs-dir", runs, "--threads", "2"])
    run_dir = next((line.split(": ", 1)[1] for line in out.stderr.splitlines()
                    if line.startswith("run directory: ")), None)
    return out, run_dir


def compile_project(code_dir, name, extra=()):
    sources = [os.path.join(code_dir, f) for f in sorted(os.listdir(code_dir)) if f.endswith(".c")]
    exe = os.path.join(code_dir, name)
    out = run(CC + list(extra) + ["-o", exe] + sources + ["-lm"])
    check(out.returncode == 0, f"{code_dir}: cc failed:\n{out.stderr[-3000:]}")
    return exe if out.returncode == 0 else None


def logits_match(name, run_dir, exe, work):
    """The program's logits against the runtime's; returns the max difference."""
    tokens = np.frombuffer(PROMPT.encode(), dtype=np.uint8).astype(np.int32)
    tok_path, ref_path, got_path = (os.path.join(work, f"{name}.{ext}") for ext in ("i32", "ref", "got"))
    tokens.tofile(tok_path)
    weights = os.path.join(run_dir, "model.safetensors")
    probe = run([PROBE, os.path.join(run_dir, "config.effective.yaml"), weights, tok_path, "1",
                 str(len(tokens)), ref_path])
    gen = run([exe, weights, "--prompt", PROMPT, "--logits", got_path])
    check(probe.returncode == 0, f"{name}: fg_model_probe failed: {probe.stderr}")
    check(gen.returncode == 0, f"{name}: --logits failed: {gen.stderr}")
    if probe.returncode != 0 or gen.returncode != 0:
        return math.inf
    ref, got = np.fromfile(ref_path, dtype=np.float32), np.fromfile(got_path, dtype=np.float32)
    check(ref.shape == got.shape, f"{name}: {got.shape} logits, the runtime has {ref.shape}")
    if ref.shape != got.shape:
        return math.inf
    diff, scale = float(np.abs(ref - got).max()), float(np.abs(ref).max())
    check(diff <= 1e-4 * scale + 1e-5, f"{name}: max |diff| {diff:.3e} for max |logit| {scale:.3f}")
    print(f"  {name:10s} max |generated - runtime| = {diff:.2e}  (max |logit| {scale:.2f})")
    return diff


def generation_repeats(name, exe, weights):
    for args in (["--temperature", "0"], ["--temperature", "0.9", "--top-k", "20", "--top-p", "0.9",
                                          "--seed", "5"]):
        cmd = [exe, weights, "--prompt", PROMPT, "--max-tokens", "24"] + args
        a, b = (subprocess.run(cmd, capture_output=True) for _ in range(2))  # bytes: any token may come
        check(a.returncode == 0 and a.stdout == b.stdout and a.stdout.startswith(PROMPT.encode()),
              f"{name}: {' '.join(args)}: runs differ or fail: {a.stdout!r} {b.stdout!r} {a.stderr}")


def check_configs(work):
    corpus = os.path.join(work, "corpus.txt")
    write_corpus(corpus)
    runs = os.path.join(work, "runs")
    data = [f"--set=main.{ds}.path={corpus}" for ds in ("train_dataset", "eval_dataset")]
    built = {}
    for name in CONFIGS:
        out, run_dir = train(["-p", PROJECT, "-t", f"{name}.yaml", "train", "--var", "max_steps=2",
                              "--set", "main.args.eval_batches=1", "--set", "main.args.sample_tokens=0"]
                             + data, runs)
        check(out.returncode == 0 and run_dir, f"{name}: train failed: {out.stderr[-2000:]}")
        if not run_dir:
            continue
        code = os.path.join(run_dir, "code")
        files = sorted(os.listdir(code)) if os.path.isdir(code) else []
        want = sorted([f"{name}.c", f"{name}.h", "main.c", "fgc_runtime.c", "fgc_runtime.h", "Makefile",
                       "README.md"])
        check(files == want, f"{name}: code/ holds {files}, expected {want}")
        check("warning" not in out.stderr, f"{name}: train warned: {out.stderr[-1000:]}")
        exe = compile_project(code, name) if files == want else None
        if exe is None:
            continue
        built[name] = (run_dir, exe)
        logits_match(name, run_dir, exe, work)
        generation_repeats(name, exe, os.path.join(run_dir, "model.safetensors"))
        if name == "baseline":  # the Makefile's options: CBLAS products and OpenMP loops
            mk = run(["make", "-B", "-C", code, "BLAS=1", "OPENMP=1"])
            check(mk.returncode == 0, f"make BLAS=1 OPENMP=1 failed: {mk.stderr[-2000:]}")
            if mk.returncode == 0:
                logits_match("baseline (BLAS, OpenMP)", run_dir, exe, work)
    check_loader(built)
    return runs


def check_loader(built):
    """Weights of another model are refused, naming the tensor at fault."""
    if not all(name in built for name in ("baseline", "rope", "rope_gqa")):
        return
    weights = {name: os.path.join(run_dir, "model.safetensors") for name, (run_dir, _) in built.items()}
    for exe_of, weights_of, want in (
            ("baseline", "rope", "no tensor 'wpe.weight'"),
            ("rope", "rope_gqa", "tensor 'blocks.0.attn.qkv.weight' has shape [256, 128], expected [384, 128]"),
            ("rope", None, "not a safetensors file")):
        path = weights[weights_of] if weights_of else os.path.join(built["rope"][0], "config.yaml")
        out = run([built[exe_of][1], path, "--prompt", "x", "--max-tokens", "1"])
        check(out.returncode == 1 and want in out.stderr and out.stdout == "",
              f"{exe_of} on {path}: rc {out.returncode}, stderr {out.stderr!r}")


HARNESS = r"""
#include "fgc_runtime.h"
#include <stdio.h>
#include <stdlib.h>
/* a H: the slopes of H heads;  s LOGITS.f32 V T K P SEED N: N draws */
int main(int argc, char **argv) {
    if (argv[1][0] == 'a') {
        float s[64];
        int H = atoi(argv[2]);
        fgc_alibi_slopes(s, H);
        for (int i = 0; i < H; i++) printf("%.9g\n", s[i]);
        return 0;
    }
    int V = atoi(argv[3]);
    float *logits = fgc_alloc(V);
    FILE *f = fopen(argv[2], "rb");
    if (f == NULL || fread(logits, sizeof *logits, (size_t)V, f) != (size_t)V) return 1;
    fclose(f);
    uint64_t rng = strtoull(argv[7], NULL, 10);
    for (int i = 0; i < atoi(argv[8]); i++)
        printf("%d\n", fgc_sample(logits, V, (float)atof(argv[4]), atoi(argv[5]), (float)atof(argv[6]), &rng));
    fgc_free(logits);
    return 0;
}
"""


def press_slopes(n):
    """get_slopes of Press et al. (ALiBi), as published."""
    def power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        return [start * start ** i for i in range(n)]
    if math.log2(n).is_integer():
        return power_of_2(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_2(closest) + press_slopes(2 * closest)[0::2][:n - closest]


def splitmix64(state):
    mask = (1 << 64) - 1
    state = (state + 0x9E3779B97F4A7C15) & mask
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return state, z ^ (z >> 31)


def reference_sample(logits, temperature, top_k, top_p, state):
    """core/generate/sampler.c's rule with generate.c's draws, in Python."""
    best = int(np.argmax(logits))  # the first of equal maxima
    state, z = splitmix64(state)
    u = (z >> 11) * 2.0 ** -53
    t, p = float(np.float32(temperature)), float(np.float32(top_p))
    if t == 0:
        return best, state
    w = [(math.exp((float(x) - float(logits[best])) / t), i) for i, x in enumerate(logits)]
    kept = len(w)
    if 0 < top_k < len(w) or p < 1:
        w.sort(key=lambda e: (-e[0], e[1]))
        if 0 < top_k < len(w):
            kept = top_k
    mass = sum(e[0] for e in w[:kept])
    if p < 1:
        cum, target = 0.0, p * mass * (1 - 1e-12)
        for j in range(kept):
            cum += w[j][0]
            if cum >= target:
                kept, mass = j + 1, cum
                break
    acc, target = 0.0, u * mass
    for j in range(kept):
        acc += w[j][0]
        if target < acc:
            return w[j][1], state
    return w[kept - 1][1], state


def check_runtime(code_dir, work):
    harness = os.path.join(work, "harness.c")
    with open(harness, "w") as f:
        f.write(HARNESS)
    exe = os.path.join(work, "harness")
    out = run(CC + ["-I", code_dir, "-o", exe, harness, os.path.join(code_dir, "fgc_runtime.c"), "-lm"])
    check(out.returncode == 0, f"runtime harness: cc failed: {out.stderr}")
    if out.returncode != 0:
        return
    for heads in (1, 2, 3, 4, 6, 8, 12, 16):
        got = [float(v) for v in run([exe, "a", str(heads)]).stdout.split()]
        want = press_slopes(heads)
        check(len(got) == heads and all(abs(g - w) <= 1e-6 * w for g, w in zip(got, want)),
              f"fgc_alibi_slopes({heads}) = {got}, Press et al.: {want}")
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal(50) * 2).astype(np.float32)
    logits[7] = logits[31] = logits.max() + 1  # a tie for the most likely: the lower id wins
    path = os.path.join(work, "logits.f32")
    logits.tofile(path)
    for temperature, top_k, top_p, seed in ((0, 0, 1, 1), (1, 0, 1, 2), (0.7, 5, 1, 3), (1.3, 0, 0.8, 4),
                                            (1, 10, 0.5, 5), (1, 1, 1, 6)):
        got = [int(v) for v in run([exe, "s", path, "50", str(temperature), str(top_k), str(top_p),
                                    str(seed), "200"]).stdout.split()]
        state, want = seed, []
        for _ in range(200):
            token, state = reference_sample(logits, temperature, top_k, top_p, state)
            want.append(token)
        check(got == want, f"fgc_sample(T={temperature}, k={top_k}, p={top_p}) differs from the reference")
    print("  fgc_alibi_slopes and fgc_sample match their references")


OPAQUE_CONFIG = """
.define:
  tok: &tok !singleton:byte_tokenizer {}
model: &model !singleton:causal_lm
  vocab_size: 256
  d_model: 32
  num_layers: 2
  max_seq_len: 32
  block: !partial:pre_norm_block
    attention: !partial:multihead { num_heads: 2 }
    feedforward: !partial:opaque_ff {}
main: !singleton:simple
  model: *model
  tokenizer: *tok
  train_dataset: !singleton:text_file { path: corpus.txt, tokenizer: *tok, split: train }
  optimizer: !partial:adamw { lr: 1.0e-3 }
  args: { batch_size: 2, max_steps: 2, logging_steps: 1, sample_tokens: 0 }
"""


def check_errors(work):
    write_corpus(os.path.join(work, "corpus.txt"))
    config = os.path.join(work, "opaque.yaml")
    with open(config, "w") as f:
        f.write(OPAQUE_CONFIG)
    plugins = ["--plugin-path", NO_CODEGEN_PLUGINS]
    # no emit_code; a vtable older than the slot (replaced by --set, which is then its location)
    for factory, location in (("opaque_ff", f"{config}:11:"), ("legacy_ff", "--set:1:1")):
        out_dir = os.path.join(work, f"{factory}_code")
        swap = ["--set", f"model.block.feedforward=!partial:{factory} {{}}"] if factory != "opaque_ff" else []
        out = run([FGRUN, "code", config, "-o", out_dir] + swap + plugins)
        want = (f"code: blocks.0.ff (factory '{factory}' of plugin 'opaque_ff', {location}",
                "has no code emission (emit_code); it cannot be exported")
        check(out.returncode == 1 and all(w in out.stderr for w in want),
              f"fgrun code with {factory}: rc {out.returncode}, stderr: {out.stderr}")
        check(not os.path.exists(out_dir), f"{out_dir} was created by a failed fgrun code")
    leftovers = [f for f in os.listdir(work) if ".tmp-" in f or ".old-" in f]
    check(not leftovers, f"fgrun code left {leftovers}")

    out, run_dir = train(["train", config] + plugins, os.path.join(work, "runs"))
    warnings = [line for line in out.stderr.splitlines() if "warning" in line]
    check(out.returncode == 0 and run_dir and os.path.exists(os.path.join(run_dir, "model.safetensors")),
          f"training a model without code emission failed: {out.stderr[-2000:]}")
    check(len(warnings) == 1 and "factory 'opaque_ff' of plugin 'opaque_ff'" in warnings[0],
          f"train should warn once, naming the factory: {warnings}")
    check(run_dir is not None and not os.path.exists(os.path.join(run_dir, "code")),
          "a run whose model cannot be exported has code/")

    out = run([FGRUN, "code", config, "--target", "trainer"] + plugins)
    check(out.returncode == 1 and "--target 'trainer' is not one of: model" in out.stderr,
          f"--target trainer: {out.stderr}")


def check_output_dir(work):
    """The default directory, replacing an earlier project, refusing any other."""
    out = run([FGRUN, "-p", PROJECT, "-t", "rope_gqa.yaml", "code"], cwd=work)
    target = os.path.join(work, "rope_gqa_code")
    check(out.returncode == 0 and os.path.exists(os.path.join(target, "rope_gqa.c")),
          f"fgrun code without -o: {out.stdout} {out.stderr}")
    with open(os.path.join(target, "rope_gqa"), "w") as f:
        f.write("a build of the earlier project")
    out = run([FGRUN, "-p", PROJECT, "-t", "rope_gqa.yaml", "code"], cwd=work)
    check(out.returncode == 0 and not os.path.exists(os.path.join(target, "rope_gqa")),
          f"fgrun code again should replace the earlier project: {out.stderr}")
    mine = os.path.join(work, "mine")
    os.makedirs(mine)
    with open(os.path.join(mine, "notes.txt"), "w") as f:
        f.write("keep me")
    out = run([FGRUN, "-p", PROJECT, "-t", "rope_gqa.yaml", "code", "-o", mine])
    check(out.returncode == 1 and "is not a project fgrun code wrote" in out.stderr
          and os.listdir(mine) == ["notes.txt"], f"fgrun code onto a user's directory: {out.stderr}")
    with open(os.path.join(target, "rope_gqa.c")) as f:
        source = f.read()
    for comment in ("/* blocks.0.attn (layer 0): model.block.attention\n",
                    " *   !partial:multihead {num_heads: 4, num_kv_heads: 2, positional: rope}\n",
                    "static void blocks_0_attn(const float *x, float *y, int T) {",
                    "/* ln_f: model.final_norm\n"):
        check(comment in source, f"rope_gqa.c lacks {comment!r}")


def main():
    if shutil.which("cc") is None:
        print("test_codegen: no C compiler (cc); skipped")
        return 0
    with tempfile.TemporaryDirectory() as work:
        runs = check_configs(work)
        codes = [os.path.join(runs, d, "code") for d in sorted(os.listdir(runs))]
        if codes and os.path.isdir(codes[0]):
            check_runtime(codes[0], work)
        for part in (check_errors, check_output_dir):
            sub = os.path.join(work, part.__name__)
            os.makedirs(sub)
            part(sub)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
