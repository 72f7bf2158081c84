"""A run killed with SIGKILL at random moments (sometimes while writing a checkpoint) and
resumed from its newest checkpoint each time ends with the same weights and the same
final losses as a run never interrupted, and no checkpoint on disk is ever incomplete:
checkpoints are written to checkpoint-<step>.tmp and renamed whole."""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fg_support import BUILD, Checks  # noqa: E402

FGRUN = os.path.join(BUILD, "bin", "fgrun")
checks = Checks("test_kill_resume")
check = checks.check
STEPS = 60
CHECKPOINT_FILES = {"model.safetensors", "optimizer.safetensors", "trainer_state.safetensors",
                    "trainer_state.json"}

CONFIG = f"""seed: 4
.define:
  tok: &tok !singleton:byte_tokenizer {{}}
model: &model !singleton:causal_lm
  vocab_size: 256
  d_model: 32
  num_layers: 2
  max_seq_len: 32
  block: !partial:pre_norm_block
    attention: !partial:multihead {{ num_heads: 2 }}
    feedforward: !partial:mlp {{ hidden_mult: 4 }}
main: !singleton:simple
  model: *model
  tokenizer: *tok
  train_dataset: !singleton:text_file {{ path: corpus.txt, tokenizer: *tok, split: train }}
  optimizer: !partial:adamw {{ lr: 3.0e-3 }}
  lr_scheduler: !partial:cosine {{ warmup_steps: 5 }}
  args: {{ batch_size: 8, max_steps: {STEPS}, logging_steps: 1, save_steps: 2, eval_batches: 0,
          sample_tokens: 0, seed: 9 }}
"""


def command(cfg, runs, resume):
    return [FGRUN, "train", cfg, "--threads", "2", "--runs-dir", runs] + (["--resume", resume] if resume else [])


def newest_checkpoint(runs):
    """The most advanced complete checkpoint of any run so far, or None."""
    best = None
    for run in os.listdir(runs):
        for d in os.listdir(os.path.join(runs, run)):
            path = os.path.join(runs, run, d)
            if d.startswith("checkpoint-") and not d.endswith(".tmp"):
                step = int(d.split("-")[1])
                if best is None or step > best[0]:
                    best = (step, path)
    return best


def logged_step(runs, earlier):
    """The highest step the run started last (the directory not in `earlier`) has logged."""
    best = 0
    for run in set(os.listdir(runs)) - earlier:
        try:
            records = json.load(open(os.path.join(runs, run, "trainer_logs.json")))
        except (OSError, ValueError):  # not created yet, or being rewritten
            continue
        best = max([best] + [r["step"] for r in records if "loss" in r])
    return best


def all_checkpoints_complete(runs):
    for run in os.listdir(runs):
        for d in os.listdir(os.path.join(runs, run)):
            if d.startswith("checkpoint-") and not d.endswith(".tmp"):
                files = set(os.listdir(os.path.join(runs, run, d)))
                if files != CHECKPOINT_FILES:
                    return f"{run}/{d} holds {sorted(files)}"
    return None


def main():
    rng = random.Random(int(os.environ.get("FG_KILL_SEED", "2")))
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "corpus.txt"), "w") as f:
            for _ in range(600):
                f.write(" ".join(rng.choice(["red", "green", "blue", "cyan", "gray"]) for _ in range(6)) + "\n")
        cfg = os.path.join(work, "config.yaml")
        with open(cfg, "w") as f:
            f.write(CONFIG)
        ref_runs = os.path.join(work, "reference")
        started = time.monotonic()
        ref = subprocess.run(command(cfg, ref_runs, None), capture_output=True, text=True)
        full_time = time.monotonic() - started
        check(ref.returncode == 0, f"reference run failed: {ref.stderr[-500:]}")
        if ref.returncode != 0:
            return checks.finish()
        ref_dir = os.path.join(ref_runs, os.listdir(ref_runs)[0])

        runs = os.path.join(work, "killed")
        os.makedirs(runs)
        kills, last_dir = 0, None
        for attempt in range(200):
            newest = newest_checkpoint(runs)
            if newest is not None and newest[0] == STEPS:
                break
            earlier = set(os.listdir(runs))
            proc = subprocess.Popen(command(cfg, runs, newest[1] if newest else None),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            # Kill once the run has logged a randomly chosen step, plus a random moment:
            # with a checkpoint every 2 steps, often during a checkpoint write.
            start = newest[0] if newest else 0
            # a few steps on; near the end, past it (the run then finishes unkilled)
            target = start + rng.randint(1, 8)
            deadline = time.monotonic() + 20 * full_time + 10
            while proc.poll() is None and logged_step(runs, earlier) < target and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.004))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
            problem = all_checkpoints_complete(runs)
            check(problem is None, f"incomplete checkpoint after a kill: {problem}")
        newest = newest_checkpoint(runs)
        check(newest is not None and newest[0] == STEPS, f"never reached step {STEPS}: {newest}")
        # The final weights: those of the checkpoint at the last step (the run that wrote
        # it may have been killed before saving its model.safetensors).
        last_dir = os.path.dirname(newest[1]) if newest else None
        check(kills >= 5, f"only {kills} kills happened; the test proves little")
        if last_dir:
            same = open(os.path.join(ref_dir, "model.safetensors"), "rb").read() == \
                open(os.path.join(newest[1], "model.safetensors"), "rb").read()
            check(same, "final weights differ from the uninterrupted run")
            ref_loss = {r["step"]: r["loss"] for r in json.load(open(os.path.join(ref_dir, "trainer_logs.json")))
                        if "loss" in r}
            # Every run's logged losses agree with the reference at the same step.
            mismatches = unreadable = 0
            for run in os.listdir(runs):
                try:  # a run killed before it opened its log has none
                    logged = json.load(open(os.path.join(runs, run, "trainer_logs.json")))
                except (OSError, ValueError):
                    unreadable += 1
                    continue
                for r in logged:
                    if "loss" in r and r["loss"] != ref_loss.get(r["step"]):
                        mismatches += 1
            check(mismatches == 0, f"{mismatches} logged losses differ from the uninterrupted run")
            print(f"  {kills} kills, {len(os.listdir(runs))} runs ({unreadable} killed before logging); final "
                  f"weights and every logged loss equal the uninterrupted run's")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
