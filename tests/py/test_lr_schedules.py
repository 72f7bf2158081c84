"""LR schedules (constant, cosine, linear, inverse_sqrt, warmup_stable_decay) against
Hugging Face's formulas, through real training runs.

Each case runs `fgrun train` on a tiny model for 40 steps with logging_steps 1 and reads
the lr the trainer logged for every update from trainer_logs.json: update k (1-based)
uses base_lr * factor(k - 1), the LambdaLR convention. The expected factors are HF's
lambdas from transformers/optimization.py, transcribed below in plain Python. The plugin
follows the same operation order in double precision, so the tolerance is 1e-12
relative (exact zeros must be exact); only libm's cos/sqrt or an FMA contraction could
move the last bit. Bad parameters must fail with the config file:line.
"""
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fg_support import BUILD, Checks, tiny_lm_config  # noqa: E402

FGRUN = os.path.join(BUILD, "bin", "fgrun")
RTOL = 1e-12
BASE_LR = 3.0e-3
STEPS = 40
checks = Checks("test_lr_schedules")
check = checks.check

CONFIG = tiny_lm_config(seed=1, d_model=16, max_seq_len=8) + """\
  optimizer: !partial:adamw {{ lr: {lr} }}
  lr_scheduler: {schedule}
  args: {{ batch_size: 2, max_steps: {steps}, eval_batches: 0, logging_steps: 1,
          sample_tokens: 0, save_model: false }}
"""


# ---- Hugging Face's lambdas (transformers/optimization.py), step = current_step ----

def hf_warmup(step, warmup):
    return float(step) / float(max(1, warmup))


def hf_constant(step, warmup):
    return hf_warmup(step, warmup) if step < warmup else 1.0


def hf_cosine(step, warmup, total, cycles=0.5, min_lr_rate=0.0):
    # _get_cosine_schedule_with_warmup_lr_lambda (with min_lr_rate)
    if step < warmup:
        return hf_warmup(step, warmup)
    progress = float(step - warmup) / float(max(1, total - warmup))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(cycles) * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return max(0, factor)


def hf_linear(step, warmup, total):
    # _get_linear_schedule_with_warmup_lr_lambda
    if step < warmup:
        return hf_warmup(step, warmup)
    return max(0.0, float(total - step) / float(max(1, total - warmup)))


def linear_with_floor(step, warmup, total, min_ratio):
    """The plugin's extension of HF linear: the decay ends at min_ratio, not 0."""
    if step < warmup:
        return hf_warmup(step, warmup)
    return min_ratio + (1.0 - min_ratio) * hf_linear(step, warmup, total)


def hf_inverse_sqrt(step, warmup, timescale=None):
    # get_inverse_sqrt_schedule: timescale = num_warmup_steps or 10_000
    if timescale is None:
        timescale = warmup or 10_000
    if step < warmup:
        return hf_warmup(step, warmup)
    shift = timescale - warmup
    return 1.0 / math.sqrt((step + shift) / timescale)


def hf_wsd(step, warmup, stable, decay, warmup_type="linear", decay_type="cosine",
           min_lr_ratio=0.0, num_cycles=0.5):
    # _get_wsd_scheduler_lambda
    if step < warmup:
        progress = float(step) / float(max(1, warmup))
        if warmup_type == "linear":
            factor = progress
        elif warmup_type == "cosine":
            factor = 0.5 * (1.0 - math.cos(math.pi * progress))
        elif warmup_type == "1-sqrt":
            factor = 1.0 - math.sqrt(1.0 - progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    if step < warmup + stable:
        return 1.0
    if step < warmup + stable + decay:
        progress = float(step - warmup - stable) / float(max(1, decay))
        if decay_type == "linear":
            factor = 1.0 - progress
        elif decay_type == "cosine":
            factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
        elif decay_type == "1-sqrt":
            factor = 1.0 - math.sqrt(progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    return min_lr_ratio


# (name, schedule YAML, HF lambda of the 0-based step)
CASES = [
    ("constant", "!partial:constant { warmup_steps: 6 }", lambda s: hf_constant(s, 6)),
    ("cosine", "!partial:cosine { warmup_steps: 4, min_lr_ratio: 0.1 }",
     lambda s: hf_cosine(s, 4, STEPS, min_lr_rate=0.1)),
    ("linear", "!partial:linear { warmup_steps: 8 }", lambda s: hf_linear(s, 8, STEPS)),
    ("linear no warmup", "!partial:linear {}", lambda s: hf_linear(s, 0, STEPS)),
    ("linear floor", "!partial:linear { warmup_steps: 5, min_lr_ratio: 0.25 }",
     lambda s: linear_with_floor(s, 5, STEPS, 0.25)),
    ("inverse_sqrt", "!partial:inverse_sqrt { warmup_steps: 5 }",
     lambda s: hf_inverse_sqrt(s, 5)),
    ("inverse_sqrt no warmup", "!partial:inverse_sqrt {}", lambda s: hf_inverse_sqrt(s, 0)),
    ("inverse_sqrt timescale", "!partial:inverse_sqrt { warmup_steps: 6, timescale: 3 }",
     lambda s: hf_inverse_sqrt(s, 6, 3)),
    ("wsd cosine, stable = rest",
     "!partial:warmup_stable_decay { warmup_steps: 5, decay_steps: 12 }",
     lambda s: hf_wsd(s, 5, STEPS - 5 - 12, 12)),
    ("wsd linear, decay = rest, floor",
     "!partial:warmup_stable_decay { warmup_steps: 4, stable_steps: 16, decay_type: linear, "
     "min_lr_ratio: 0.1 }",
     lambda s: hf_wsd(s, 4, 16, STEPS - 4 - 16, decay_type="linear", min_lr_ratio=0.1)),
    ("wsd 1-sqrt, tail at floor",
     "!partial:warmup_stable_decay { warmup_steps: 3, stable_steps: 10, decay_steps: 15, "
     "decay_type: 1-sqrt, min_lr_ratio: 0.05 }",
     lambda s: hf_wsd(s, 3, 10, 15, decay_type="1-sqrt", min_lr_ratio=0.05)),
    ("wsd cosine warmup, 1-sqrt warmup",
     "!partial:warmup_stable_decay { warmup_steps: 9, stable_steps: 5, warmup_type: cosine, "
     "min_lr_ratio: 0.2, cycles: 1.0 }",
     lambda s: hf_wsd(s, 9, 5, STEPS - 9 - 5, warmup_type="cosine", min_lr_ratio=0.2,
                      num_cycles=1.0)),
    ("wsd 1-sqrt warmup, no stable given",
     "!partial:warmup_stable_decay { warmup_steps: 7, warmup_type: 1-sqrt, decay_type: linear }",
     lambda s: hf_wsd(s, 7, 0, STEPS - 7, warmup_type="1-sqrt", decay_type="linear")),
]


def write_config(work, schedule, name="config.yaml"):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(CONFIG.format(lr=BASE_LR, schedule=schedule, steps=STEPS))
    return path


def fgrun(work, cfg):
    return subprocess.run([FGRUN, "train", cfg, "--threads", "1", "--runs-dir",
                           os.path.join(work, "runs")], capture_output=True, text=True)


def logged_lrs(work, schedule):
    out = fgrun(work, write_config(work, schedule))
    if out.returncode != 0:
        return None, out.stderr[-1500:]
    run_dir = next(line.split(": ", 1)[1] for line in out.stderr.splitlines()
                   if line.startswith("run directory: "))
    logs = json.load(open(os.path.join(run_dir, "trainer_logs.json")))
    recs = sorted((r for r in logs if "lr" in r), key=lambda r: r["step"])
    return [(r["step"], r["lr"]) for r in recs], None


def check_case(work, name, schedule, hf):
    got, err = logged_lrs(work, schedule)
    check(got is not None, f"{name}: fgrun failed: {err}")
    if got is None:
        return 0.0
    check([s for s, _ in got] == list(range(1, STEPS + 1)), f"{name}: logged steps {got[:3]}...")
    worst = 0.0
    for step, lr in got:
        want = BASE_LR * hf(step - 1)
        rel = abs(lr - want) / abs(want) if want != 0 else abs(lr)
        worst = max(worst, rel)
        check(rel <= RTOL, f"{name}: update {step}: lr {lr!r}, HF {want!r} (rel {rel:.2e})")
    print(f"  {name}: {len(got)} updates, max relative error vs HF {worst:.1e}")
    return worst


def check_lambda_lr_convention(hf):
    """torch's LambdaLR applies lambda(k - 1) to update k: the convention the trainer's
    log is compared under above."""
    try:
        import torch
    except ImportError:
        print("  (torch not importable: LambdaLR convention not checked)")
        return
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=BASE_LR)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, hf)
    seen = []
    for _ in range(STEPS):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    check(seen == [BASE_LR * hf(k) for k in range(STEPS)], "LambdaLR: update k uses lambda(k-1)")
    print("  torch LambdaLR: update k uses lambda(k - 1), as the comparison assumes")


def check_identities():
    """Closed forms the transcriptions must satisfy (guards against typos in them)."""
    check(hf_linear(8, 8, STEPS) == 1.0 and hf_linear(STEPS, 8, STEPS) == 0.0, "linear ends")
    check(linear_with_floor(STEPS, 5, STEPS, 0.25) == 0.25, "linear floor at the end")
    # inverse_sqrt: 1 at the end of warmup, 1/2 once step + shift = 4 * timescale
    check(hf_inverse_sqrt(5, 5) == 1.0 and hf_inverse_sqrt(4 * 5 - 0, 5) == 0.5, "inverse_sqrt")
    check(hf_inverse_sqrt(0, 0) == 1.0, "inverse_sqrt without warmup starts at 1")
    check(hf_wsd(5, 5, 10, 10) == 1.0 and hf_wsd(14, 5, 10, 10) == 1.0, "wsd stable at 1")
    check(hf_wsd(0, 5, 10, 10, min_lr_ratio=0.3) == 0.3, "wsd warmup starts at the floor")
    check(hf_wsd(25, 5, 10, 10, min_lr_ratio=0.3) == 0.3, "wsd after decay at the floor")
    check(abs(hf_wsd(20, 5, 10, 10, decay_type="1-sqrt") - (1 - math.sqrt(0.5))) < 1e-15,
          "wsd 1-sqrt half way")


BAD = [
    ("unknown decay_type", "!partial:warmup_stable_decay {{ decay_steps: 5, decay_type: sqrt }}",
     r"decay_type = 'sqrt' is not one of: linear, cosine, 1-sqrt"),
    ("negative warmup", "!partial:inverse_sqrt {{ warmup_steps: -3 }}", r"warmup_steps"),
    ("min_lr_ratio above 1", "!partial:linear {{ min_lr_ratio: 1.5 }}", r"min_lr_ratio"),
    ("unknown key", "!partial:linear {{ warmup: 5 }}", r"unknown parameter 'warmup'"),
]


def check_errors(work):
    line = next(i for i, text in enumerate(CONFIG.splitlines(), 1) if "lr_scheduler:" in text)
    where = f"bad.yaml:{line}:"
    for name, schedule, want in BAD:
        cfg = write_config(work, schedule.format(), "bad.yaml")
        out = fgrun(work, cfg)
        check(out.returncode == 1, f"{name}: exit {out.returncode}")
        check(where in out.stderr and re.search(want, out.stderr),
              f"{name}: stderr lacks {where} / {want!r}: {out.stderr[-600:]}")
        print(f"  rejected {name}: {out.stderr.strip().splitlines()[-1][:160]}")
    # Phases longer than training are caught in create(); the host adds the location.
    cfg = write_config(work, "!partial:warmup_stable_decay { warmup_steps: 30, decay_steps: 20 }",
                       "bad.yaml")
    out = fgrun(work, cfg)
    check(out.returncode == 1 and where in out.stderr and "warmup_stable_decay: warmup_steps 30 + decay_steps 20 "
          "exceed the 40 steps of training" in out.stderr, f"wsd too long: {out.stderr[-600:]}")
    print(f"  rejected wsd longer than training: {out.stderr.strip().splitlines()[-1][:160]}")


def main():
    check_identities()
    with tempfile.TemporaryDirectory() as work:
        rng = random.Random(5)
        with open(os.path.join(work, "corpus.txt"), "w") as f:
            f.write("".join(rng.choice("abcdefgh \n") for _ in range(4000)))
        worst = 0.0
        for name, schedule, hf in CASES:
            worst = max(worst, check_case(work, name, schedule, hf))
        print(f"  max relative lr error over all schedules: {worst:.1e} (tolerance {RTOL})")
        check_lambda_lr_convention(lambda s: hf_wsd(s, 5, 20, 10, min_lr_ratio=0.1))
        check_errors(work)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
