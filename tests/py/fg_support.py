"""Shared by the Python tests: where the source and build trees are, the interpreter
that has `safetensors`, and a small pass/fail counter printing the suite's summary line."""
import os
import sys

SRC = os.environ.get("FG_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.path.abspath(os.environ.get("FG_BUILD_DIR") or os.path.join(SRC, "build"))
VENV_PY = os.path.join(SRC, "build", "pyenv", "bin", "python")


def reexec_with_safetensors():
    """Debian's python3 has numpy and torch but not `safetensors`: rerun this script under
    the venv scripts/install-deps makes (it sees Debian's packages too)."""
    try:
        import safetensors  # noqa: F401
        return
    except ImportError as e:
        if os.path.exists(VENV_PY) and os.environ.get("FG_PY_REEXEC") != "1":
            os.environ["FG_PY_REEXEC"] = "1"
            os.execv(VENV_PY, [VENV_PY] + sys.argv)
        print(f"FAIL: {e}; run scripts/install-deps (it creates {VENV_PY})", file=sys.stderr)
        sys.exit(1)


class Checks:
    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, cond, msg):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", msg)

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def run_probe(optimizer_yaml, params, grads, factors, reload_after=None, names=None,
              raise_on_error=True):
    """Runs `optimizer: <optimizer_yaml>` through build/bin/fg_optimizer_probe on the given
    parameters (NumPy arrays of any shape; named `names`, else p0, p1, ...), one list of
    gradients per step and the LR factors. With reload_after=K the optimizer saves its
    state after step K and a fresh one loads it and goes on. Returns (parameters after each
    step, state bytes or None); when the probe fails, raises, or with raise_on_error=False
    returns (None, its stderr)."""
    import json
    import subprocess
    import tempfile

    import numpy as np
    with tempfile.TemporaryDirectory() as d:
        cfg, inp = os.path.join(d, "opt.yaml"), os.path.join(d, "input.json")
        with open(cfg, "w") as f:
            f.write("optimizer: " + optimizer_yaml + "\n")
        with open(inp, "w") as f:
            json.dump({
                "params": [{"name": names[i] if names else f"p{i}", "shape": list(p.shape),
                            "data": p.ravel().tolist()} for i, p in enumerate(params)],
                "grads": [[g.ravel().tolist() for g in step] for step in grads],
                "lr_factors": factors,
                **({"reload_after": reload_after} if reload_after is not None else {}),
            }, f)
        out = subprocess.run([os.path.join(BUILD, "bin", "fg_optimizer_probe"), cfg, inp],
                             capture_output=True, text=True)
        if out.returncode != 0:
            if not raise_on_error:
                return None, out.stderr
            raise SystemExit(f"probe failed: {out.stderr}")
        res = json.loads(out.stdout)
        steps = [[np.array(v).reshape(p.shape) for v, p in zip(step, params)] for step in res["steps"]]
        return steps, res.get("state_bytes")


def compare_steps(check, name, got, want, atol, rtol):
    """Checks every parameter after every step within atol + rtol*|want|; returns the
    largest absolute difference (also printed)."""
    import numpy as np
    worst = 0.0
    for s, (gs, ws) in enumerate(zip(got, want)):
        for i, (g, w) in enumerate(zip(gs, ws)):
            err = np.abs(g - w)
            worst = max(worst, float(err.max()) if err.size else 0.0)
            check(np.all(err <= atol + rtol * np.abs(w)),
                  f"{name}: step {s + 1} param {i}: max error {err.max() if err.size else 0:.3e}")
    print(f"  {name}: max |plugin - reference| = {worst:.2e} over {len(got)} steps")
    return worst


def torch_history(make_optimizer, params, grads, factors, lr):
    """Parameters after each step of a torch.optim optimizer in float64, the LR of every
    group set to lr * factor before each step (as our LR schedules do)."""
    import torch
    ps = [torch.nn.Parameter(torch.tensor(x, dtype=torch.float64)) for x in params]
    opt = make_optimizer(ps)
    history = []
    for step_grads, factor in zip(grads, factors):
        for group in opt.param_groups:
            group["lr"] = lr * factor
        for p, g in zip(ps, step_grads):
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        history.append([p.detach().numpy().copy() for p in ps])
    return history


def tiny_lm_config(seed, d_model, max_seq_len):
    """The start of a tiny training config: a one-layer byte-level causal LM (anchors tok,
    model) and `main: !singleton:simple` with model, tokenizer and a train_dataset read from
    corpus.txt. Tests append the rest of `main`. Returned as a str.format template (its
    braces doubled), so the whole config can still be filled with .format()."""
    return f"""seed: {seed}
.define:
  tok: &tok !singleton:byte_tokenizer {{{{}}}}
model: &model !singleton:causal_lm
  vocab_size: 256
  d_model: {d_model}
  num_layers: 1
  max_seq_len: {max_seq_len}
  block: !partial:pre_norm_block
    attention: !partial:multihead {{{{ num_heads: 2 }}}}
    feedforward: !partial:mlp {{{{ hidden_mult: 2 }}}}
main: !singleton:simple
  model: *model
  tokenizer: *tok
  train_dataset: !singleton:text_file {{{{ path: corpus.txt, tokenizer: *tok, split: train }}}}
"""
