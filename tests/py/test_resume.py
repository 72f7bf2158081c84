"""Checkpoints and resume: a run resumed from its checkpoint logs the same losses, bit for
bit, as the uninterrupted run, and ends with identical weights, for every optimizer (so
each one's saved state is complete). A checkpoint that does not match the config is a
clear error naming the tensor."""
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fg_support import BUILD, Checks  # noqa: E402

FGRUN = os.path.join(BUILD, "bin", "fgrun")
checks = Checks("test_resume")
check = checks.check

OPTIMIZERS = {
    "adamw": "!partial:adamw { lr: 3.0e-3, amsgrad: true }",
    "sgd": "!partial:sgd { lr: 0.1, momentum: 0.9 }",
    "adafactor": "!partial:adafactor { beta1: 0.9 }",
    "galore": "!partial:galore { lr: 3.0e-3, rank: 4, update_proj_gap: 7 }",
    "apollo": "!partial:apollo { lr: 3.0e-3, rank: 4, update_proj_gap: 7 }",
    "apollo_mini": "!partial:apollo_mini { lr: 3.0e-3, update_proj_gap: 7 }",
    "multi_optimizer": "!partial:multi_optimizer { groups: [ { pattern: '*', ndim: 2, "
                       "optimizer: !partial:galore { rank: 4, update_proj_gap: 7 } }, "
                       "{ pattern: '*', optimizer: !partial:adamw {} } ] }",
}

CONFIG = """seed: 3
.define:
  tok: &tok !singleton:byte_tokenizer {{}}
model: &model !singleton:causal_lm
  vocab_size: 256
  d_model: {d_model}
  num_layers: 2
  max_seq_len: 16
  block: !partial:pre_norm_block
    attention: !partial:multihead {{ num_heads: 2 }}
    feedforward: !partial:mlp {{ hidden_mult: 2, dropout: 0.1 }}
main: !singleton:simple
  model: *model
  tokenizer: *tok
  train_dataset: !singleton:text_file {{ path: corpus.txt, tokenizer: *tok, split: train }}
  eval_dataset: !singleton:text_file {{ path: corpus.txt, tokenizer: *tok, split: validation }}
  optimizer: {optimizer}
  lr_scheduler: !partial:cosine {{ warmup_steps: 5 }}
  args: {{ batch_size: 4, max_steps: 30, logging_steps: 1, eval_steps: 10, eval_batches: 2,
          save_steps: 15, sample_tokens: 0, seed: 5 }}
"""


def train(work, name, text, *extra):
    cfg = os.path.join(work, f"{name}.yaml")
    with open(cfg, "w") as f:
        f.write(text)
    out = subprocess.run([FGRUN, "train", cfg, "--threads", "2", "--runs-dir", os.path.join(work, "runs"),
                          *extra], capture_output=True, text=True)
    run_dir = next((l.split(": ", 1)[1] for l in out.stderr.splitlines() if l.startswith("run directory: ")), None)
    return out, run_dir


def records(run_dir):
    return json.load(open(os.path.join(run_dir, "trainer_logs.json")))


def main():
    with tempfile.TemporaryDirectory() as work:
        rng = random.Random(1)
        with open(os.path.join(work, "corpus.txt"), "w") as f:
            for _ in range(400):
                f.write(" ".join(rng.choice(["alpha", "beta", "gamma", "delta", "eps"]) for _ in range(8)) + ".\n")
        for name, opt in OPTIMIZERS.items():
            text = CONFIG.format(d_model=16, optimizer=opt)
            full, run_a = train(work, name, text)
            check(full.returncode == 0, f"{name}: training failed: {full.stderr[-800:]}")
            if full.returncode != 0:
                continue
            ckpt = os.path.join(run_a, "checkpoint-15")
            for f in ("model.safetensors", "optimizer.safetensors", "trainer_state.safetensors",
                      "trainer_state.json"):
                check(os.path.exists(os.path.join(ckpt, f)), f"{name}: {f} missing in checkpoint-15")
            check(open(os.path.join(run_a, "latest")).read().strip() == "checkpoint-30", f"{name}: latest")
            check(not [d for d in os.listdir(run_a) if d.endswith(".tmp")], f"{name}: temporary dir left")
            resumed, run_b = train(work, name, text, "--resume", ckpt)
            check(resumed.returncode == 0, f"{name}: resume failed: {resumed.stderr[-800:]}")
            if resumed.returncode != 0:
                continue
            a = {(r["step"], k): v for r in records(run_a) for k, v in r.items() if k in ("loss", "eval_loss")}
            b = {(r["step"], k): v for r in records(run_b) for k, v in r.items() if k in ("loss", "eval_loss")}
            after = {key: v for key, v in a.items() if key[0] > 15}
            check(len(after) == 15 + 2 and all(b.get(key) == v for key, v in after.items()),
                  f"{name}: resumed losses differ: {[(k, v, b.get(k)) for k, v in after.items() if b.get(k) != v][:3]}")
            same = open(os.path.join(run_a, "model.safetensors"), "rb").read() == \
                open(os.path.join(run_b, "model.safetensors"), "rb").read()
            check(same, f"{name}: final weights differ after resume")
            print(f"  {name}: steps 16-30 and final weights identical after resuming from checkpoint-15")

        # A run directory resumes from the checkpoint its `latest` names.
        with open(os.path.join(run_a, "latest"), "w") as f:
            f.write("checkpoint-15\n")
        again, run_c = train(work, "from_run_dir", text, "--resume", run_a)
        check(again.returncode == 0 and f"resuming from: {os.path.realpath(ckpt)}" in again.stderr,
              f"resume from a run directory: {again.stderr[-400:]}")
        if again.returncode == 0:
            check(open(os.path.join(run_a, "model.safetensors"), "rb").read() ==
                  open(os.path.join(run_c, "model.safetensors"), "rb").read(), "resume from a run directory: weights")
        # A checkpoint from another model: the error names the tensor and both shapes.
        bad, _ = train(work, "wider", CONFIG.format(d_model=32, optimizer=OPTIMIZERS["adamw"]),
                       "--resume", ckpt)
        check(bad.returncode == 1 and "wte.weight" in bad.stderr and "[256, 16]" in bad.stderr,
              f"mismatched checkpoint: {bad.stderr[-400:]}")
        # A corrupt checkpoint file is an error, not a crash.
        with open(os.path.join(ckpt, "optimizer.safetensors"), "r+b") as f:
            f.truncate(40)
        bad, _ = train(work, "corrupt", CONFIG.format(d_model=16, optimizer=OPTIMIZERS["multi_optimizer"]),
                       "--resume", ckpt)
        check(bad.returncode == 1 and "optimizer.safetensors" in bad.stderr, f"corrupt checkpoint: {bad.stderr[-400:]}")
        print("  mismatched and corrupt checkpoints are refused with a message")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
