#!/usr/bin/env python3
"""Optimizer state and step time per optimizer, on the tiny GPT and a ~30M-parameter GPT,
and (with --convergence) the validation loss each reaches on the tiny example.

Each optimizer trains through `fgrun train` with the same model, data and steps; the
trainer's step-0 log record gives the optimizer's state bytes and every record its mean
optimizer-step time. "2-D state / AdamW" compares state on the weight matrices only (the
vectors — biases and norm weights — get AdamW inside GaLore and APOLLO), against AdamW's
8 bytes per matrix element.

  bench/optimizers.py [--steps N] [--threads N] [--models tiny,30m] [--only NAME,...]
  bench/optimizers.py --convergence 600
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FGRUN = os.path.join(ROOT, "build", "bin", "fgrun")

# name -> optimizer partial (YAML flow). Learning rates: the best of a few tried on the tiny
# model at 600 steps (SGD 0.2/0.3/0.5; GaLore, APOLLO 2e-3/1e-2; APOLLO-mini 2e-3/1e-2/3e-2).
# {rank} is d_model/8, low enough that a square
# matrix's GaLore/APOLLO state stays under 1/3 of AdamW's (GaLore needs rank <= 2n/9).
OPTIMIZERS = {
    "adamw": "!partial:adamw {{ lr: 2.0e-3, weight_decay: 0.01 }}",
    "sgd": "!partial:sgd {{ lr: 0.3, momentum: 0.9 }}",
    "adafactor": "!partial:adafactor {{ lr: 2.0e-3, relative_step: false, scale_parameter: false }}",
    "galore": "!partial:galore {{ lr: 1.0e-2, rank: {rank}, update_proj_gap: 200, scale: 0.25 }}",
    "apollo": "!partial:apollo {{ lr: 1.0e-2, rank: {rank}, update_proj_gap: 200 }}",
    "apollo_mini": "!partial:apollo_mini {{ lr: 1.0e-2 }}",
}

MODELS = {  # name -> (layers, d_model, heads, seq_len, batch)
    "tiny": (4, 128, 4, 128, 16),
    "30m": (10, 512, 8, 128, 8),
}


def config_text(layers, d_model, heads, seq_len, batch, optimizer, steps, data, eval_batches):
    return f"""
.define:
  tok: &tok !singleton:byte_tokenizer {{}}
model: &model !singleton:causal_lm
  vocab_size: 256
  d_model: {d_model}
  num_layers: {layers}
  max_seq_len: {seq_len}
  block: !partial:pre_norm_block
    attention: !partial:multihead {{ num_heads: {heads} }}
    feedforward: !partial:mlp {{ hidden_mult: 4 }}
main: !singleton:simple
  model: *model
  tokenizer: *tok
  train_dataset: !singleton:text_file {{ path: {data}, tokenizer: *tok, split: train }}
  eval_dataset: !singleton:text_file {{ path: {data}, tokenizer: *tok, split: validation }}
  optimizer: {optimizer}
  lr_scheduler: !partial:cosine {{ warmup_steps: {max(1, steps // 30)}, min_lr_ratio: 0.1 }}
  args: {{ batch_size: {batch}, max_steps: {steps}, logging_steps: {max(1, steps // 10)},
          eval_steps: 0, eval_batches: {eval_batches}, sample_tokens: 0, save_model: false, seed: 1 }}
"""


def matrix_and_vector_elements(layers, d_model, seq_len):
    c = d_model
    matrices = 256 * c + seq_len * c + layers * (3 * c * c + c * c + 4 * c * c + 4 * c * c)
    vectors = layers * (2 * c + 2 * c + 3 * c + c + 4 * c + c) + 2 * c
    return matrices, vectors


def train(work, name, text, threads):
    path = os.path.join(work, f"{name}.yaml")
    with open(path, "w") as f:
        f.write(text)
    out = subprocess.run([FGRUN, "train", path, "--threads", str(threads), "--runs-dir",
                          os.path.join(work, "runs")], capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"
    run_dir = next(l.split(": ", 1)[1] for l in out.stderr.splitlines() if l.startswith("run directory: "))
    return json.load(open(os.path.join(run_dir, "trainer_logs.json"))), None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--models", default="tiny,30m")
    ap.add_argument("--only", default=",".join(OPTIMIZERS))
    ap.add_argument("--convergence", type=int, default=0, metavar="STEPS",
                    help="instead: train the tiny model STEPS steps per optimizer, compare validation loss")
    args = ap.parse_args()
    data = subprocess.run(["bash", os.path.join(ROOT, "scripts", "prepare-corpus")], capture_output=True,
                          text=True, check=True).stdout.strip()
    names = [n for n in args.only.split(",") if n]
    with tempfile.TemporaryDirectory() as work:
        if args.convergence:
            layers, d, h, t, b = MODELS["tiny"]
            rows = []
            for name in names:
                logs, err = train(work, name, config_text(layers, d, h, t, b, OPTIMIZERS[name].format(rank=d // 8), args.convergence,
                                                          data, 16), args.threads)
                val = [r["eval_loss"] for r in logs if "eval_loss" in r][-1] if logs else None
                rows.append((name, val, err))
            base = next((v for n, v, _ in rows if n == "adamw" and v is not None), None)
            print(f"validation loss after {args.convergence} steps, tiny GPT (L{layers} C{d} T{t} B{b})")
            print(f"{'optimizer':<12} {'val loss':>9} {'vs adamw':>9}")
            for name, val, err in rows:
                if val is None:
                    print(f"{name:<12} {'-':>9} {'-':>9}  ({err})")
                else:
                    rel = f"{(val / base - 1) * 100:+.1f}%" if base else "-"
                    print(f"{name:<12} {val:9.4f} {rel:>9}")
            return 0
        print(f"optimizer state and step time ({args.steps} steps, {args.threads} threads)")
        print(f"{'model':<6} {'params':>10} {'optimizer':<12} {'state MiB':>10} {'2-D state/AdamW':>16} "
              f"{'opt step ms':>12} {'train tok/s':>12}")
        for model in args.models.split(","):
            layers, d, h, t, b = MODELS[model]
            matrices, vectors = matrix_and_vector_elements(layers, d, t)
            for name in names:
                logs, err = train(work, f"{model}_{name}", config_text(layers, d, h, t, b,
                                                                       OPTIMIZERS[name].format(rank=d // 8),
                                                                       args.steps, data, 0), args.threads)
                if logs is None:
                    print(f"{model:<6} {'':>10} {name:<12} failed: {err}")
                    continue
                setup = logs[0]
                state = setup.get("optimizer_state_bytes", -1)
                recs = [r for r in logs if "optimizer_step_ms" in r][1:] or [r for r in logs if "loss" in r]
                step_ms = sum(r["optimizer_step_ms"] for r in recs) / len(recs)
                tok_s = sum(r["tokens_per_s"] for r in recs) / len(recs)
                two_d = (state - 8 * vectors) / (8 * matrices) if state >= 0 else float("nan")
                print(f"{model:<6} {int(setup['parameters']):>10} {name:<12} {state / 2**20:10.2f} "
                      f"{two_d:16.3f} {step_ms:12.2f} {tok_s:12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
