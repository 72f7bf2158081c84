"""fgrun train end to end on a small generated corpus: the run directory has what it
should (config snapshot, run record, one log record per logging step, a safetensors
file the reference `safetensors` package reads), the loss falls, a sample is printed,
and two runs with the same seed and thread count log identical losses."""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fg_support import BUILD, Checks, reexec_with_safetensors

reexec_with_safetensors()
import numpy as np  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

FGRUN = os.path.join(BUILD, "bin", "fgrun")
checks = Checks("test_train_end_to_end")
check = checks.check


def make_corpus(path):
    """Simple sentences from a small grammar: easy to learn, not trivially periodic."""
    rng = random.Random(3)
    subjects = ["the cat", "a dog", "my friend", "the old man", "our teacher", "a bird"]
    verbs = ["sees", "likes", "follows", "paints", "finds", "calls"]
    objects = ["the moon", "a red ball", "the river", "some bread", "the green door", "a song"]
    with open(path, "w") as f:
        for _ in range(1500):
            f.write(f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}.\n")


CONFIG = """
seed: 7
.define:
  tok: &tok !singleton:byte_tokenizer {}
model: &model !singleton:causal_lm
  vocab_size: 256
  d_model: 48
  num_layers: 2
  max_seq_len: 32
  block: !partial:pre_norm_block
    attention: !partial:multihead { num_heads: 4 }
    feedforward: !partial:mlp { hidden_mult: 4 }
main: !singleton:simple
  model: *model
  tokenizer: *tok
  train_dataset: !singleton:text_file { path: corpus.txt, tokenizer: *tok, split: train }
  eval_dataset: !singleton:text_file { path: corpus.txt, tokenizer: *tok, split: validation }
  optimizer: !partial:adamw { lr: 3.0e-3 }
  lr_scheduler: !partial:cosine { warmup_steps: 10 }
  args: { batch_size: 8, max_steps: 120, eval_steps: 60, eval_batches: 4, logging_steps: 10,
          sample_tokens: 40, sample_prompt: "the ", seed: 11 }
"""


def train(workdir, runs):
    out = subprocess.run([FGRUN, "train", os.path.join(workdir, "config.yaml"), "--threads", "2",
                          "--runs-dir", runs], capture_output=True, text=True)
    check(out.returncode == 0, f"fgrun train exited {out.returncode}: {out.stderr[-2000:]}")
    run_dir = next(line.split(": ", 1)[1] for line in out.stderr.splitlines()
                   if line.startswith("run directory: "))
    return out, run_dir


def main():
    with tempfile.TemporaryDirectory() as work:
        make_corpus(os.path.join(work, "corpus.txt"))
        with open(os.path.join(work, "config.yaml"), "w") as f:
            f.write(CONFIG)
        runs = os.path.join(work, "runs")
        out, run_dir = train(work, runs)

        for name in ("config.yaml", "config.effective.yaml", "run.json", "trainer_logs.json", "model.safetensors"):
            check(os.path.exists(os.path.join(run_dir, name)), f"{name} missing from {run_dir}")
        check(os.path.basename(run_dir).startswith("config-") is False, "run name comes from the config")

        env = json.load(open(os.path.join(run_dir, "run.json")))
        for key in ("command", "seed", "forgather_version", "cpu", "blas", "threads", "plugins"):
            check(key in env, f"run.json lacks {key}")
        check(env.get("seed") == 7, f"run.json seed {env.get('seed')}")

        logs = json.load(open(os.path.join(run_dir, "trainer_logs.json")))
        train_recs = [r for r in logs if "loss" in r]
        eval_recs = [r for r in logs if "eval_loss" in r]
        check([r["step"] for r in train_recs] == list(range(10, 121, 10)),
              f"one record per logging step: {[r['step'] for r in train_recs]}")
        for r in train_recs:
            for key in ("step", "loss", "lr", "grad_norm", "tokens_per_s", "elapsed_s"):
                check(key in r and r[key] is not None, f"log record lacks {key}: {r}")
        check(len(eval_recs) >= 2, f"evaluations logged: {eval_recs}")
        first, last = train_recs[0]["loss"], train_recs[-1]["loss"]
        check(first < math.log(256) + 0.5 and last < first - 1.5, f"loss {first:.3f} -> {last:.3f}")
        check(eval_recs[-1]["eval_loss"] < 2.5, f"validation loss {eval_recs[-1]['eval_loss']:.3f}")

        weights = load_file(os.path.join(run_dir, "model.safetensors"))
        check(weights["wte.weight"].shape == (256, 48), f"wte {weights['wte.weight'].shape}")
        check(weights["blocks.1.attn.qkv.weight"].shape == (144, 48), "qkv shape")
        check(all(np.isfinite(w).all() for w in weights.values()), "weights finite")
        check(len(weights) == 2 + 2 * 12 + 2, f"{len(weights)} tensors: {sorted(weights)}")

        check("--- sample ---" in out.stdout and "the " in out.stdout, f"sample: {out.stdout!r}")

        # Same seed, same threads: the same losses, bit for bit.
        _, run_dir2 = train(work, runs)
        logs2 = json.load(open(os.path.join(run_dir2, "trainer_logs.json")))
        check(run_dir2 != run_dir, "a second run gets its own directory")
        check([r.get("loss") for r in logs] == [r.get("loss") for r in logs2] and
              [r.get("eval_loss") for r in logs] == [r.get("eval_loss") for r in logs2],
              "two runs with the same seed log different losses")
        # The effective config (config.effective.yaml) repeats the run exactly.
        effective = os.path.join(work, "effective.yaml")
        with open(os.path.join(run_dir, "config.effective.yaml")) as src, open(effective, "w") as dst:
            dst.write(src.read())
        out3 = subprocess.run([FGRUN, "train", effective, "--threads", "2", "--runs-dir", runs],
                              capture_output=True, text=True)
        check(out3.returncode == 0, f"training from config.effective.yaml failed: {out3.stderr[-800:]}")
        run_dir3 = next((l.split(": ", 1)[1] for l in out3.stderr.splitlines() if l.startswith("run directory: ")), "")
        if out3.returncode == 0:
            logs3 = json.load(open(os.path.join(run_dir3, "trainer_logs.json")))
            check([r.get("loss") for r in logs] == [r.get("loss") for r in logs3],
                  "the effective config does not repeat the run")
        print(f"  loss {first:.3f} -> {last:.3f}, validation {eval_recs[-1]['eval_loss']:.3f}, "
              f"{train_recs[-1]['tokens_per_s']:.0f} tokens/s; rerun and effective config identical")

    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
