"""multi_optimizer: parameter groups routed by glob and rank to their own optimizers.

Runs through tests/tools/fg_optimizer_probe on named parameters (matrices of several
shapes: tall, wide, square; and vectors). Checks:
  * two groups (matrices / the rest) with different lr and weight_decay give bit for bit
    what separate adamw runs on each subset give (same code, same fp32 operations: exact),
    and agree with a float64 NumPy AdamW and torch.optim.AdamW with two param groups
    (tolerance 1e-6 absolute + 1e-5 relative, as test_adamw_numpy: fp32 vs float64);
  * first match wins, globs cross dots, a group matching nothing does no harm;
  * state_bytes is the sum of the groups' (8 bytes per element for adamw, 12 with amsgrad);
  * a parameter no group matches is an error naming it; a group item that is not a
    mapping, an unknown field in an item, or a missing pattern is an error with the config
    file:line (through `fgrun train`, which also trains a tiny model with groups and logs
    the summed optimizer_state_bytes).
"""
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fg_support import BUILD, Checks, run_probe, tiny_lm_config  # noqa: E402

FGRUN = os.path.join(BUILD, "bin", "fgrun")
ATOL, RTOL = 1e-6, 1e-5
checks = Checks("test_multi_optimizer")
check = checks.check

SHAPES = {
    "wte.weight": (5, 5),
    "blocks.0.attn.qkv.weight": (6, 4),   # tall
    "blocks.0.attn.qkv.bias": (6,),
    "blocks.0.attn.proj.weight": (4, 4),
    "blocks.0.mlp.fc.weight": (3, 8),     # wide
    "blocks.0.mlp.fc.bias": (3,),
    "ln_f.weight": (4,),
}
NAMES = list(SHAPES)


def probe(optimizer_yaml, names, params, grads, factors, reload_after=None):
    """run_probe on the named parameters (dicts name -> array): (history of dicts,
    state_bytes), or (None, stderr) when the probe fails."""
    history, extra = run_probe(optimizer_yaml, [params[n] for n in names],
                               [[step[n] for n in names] for step in grads], factors,
                               reload_after=reload_after, names=names, raise_on_error=False)
    if history is None:
        return None, extra
    return [{n: a.astype(np.float32) for n, a in zip(names, step)} for step in history], extra


def adamw_numpy(params, grads, factors, names, lr, wd, betas=(0.9, 0.999), eps=1e-8):
    """AdamW from torch.optim.AdamW's documented algorithm, float64."""
    b1, b2 = betas
    p = {n: params[n].astype(np.float64) for n in names}
    m = {n: np.zeros_like(p[n]) for n in names}
    v = {n: np.zeros_like(p[n]) for n in names}
    history = []
    for t, (g_step, factor) in enumerate(zip(grads, factors), start=1):
        lr_t = lr * factor
        for n in names:
            g = g_step[n].astype(np.float64)
            p[n] *= 1 - lr_t * wd
            m[n] = b1 * m[n] + (1 - b1) * g
            v[n] = b2 * v[n] + (1 - b2) * g * g
            p[n] -= lr_t * (m[n] / (1 - b1 ** t)) / (np.sqrt(v[n]) / np.sqrt(1 - b2 ** t) + eps)
        history.append({n: p[n].copy() for n in names})
    return history


def adamw_torch_groups(params, grads, factors, groups):
    """torch.optim.AdamW with one param group per (names, lr, wd); None without torch."""
    try:
        import torch
    except ImportError:
        return None
    tp = {n: torch.nn.Parameter(torch.tensor(params[n], dtype=torch.float64)) for n in params}
    opt = torch.optim.AdamW([{"params": [tp[n] for n in names], "lr": lr, "weight_decay": wd}
                             for names, lr, wd in groups])
    base = [g["lr"] for g in opt.param_groups]
    history = []
    for g_step, factor in zip(grads, factors):
        for group, lr in zip(opt.param_groups, base):
            group["lr"] = lr * factor
        for n in params:
            tp[n].grad = torch.tensor(g_step[n], dtype=torch.float64)
        opt.step()
        history.append({n: tp[n].detach().numpy().copy() for n in params})
    return history


def compare(label, got, want, names):
    worst = 0.0
    ok = True
    for s, (gs, ws) in enumerate(zip(got, want)):
        for n in names:
            err = np.abs(gs[n].astype(np.float64) - ws[n])
            worst = max(worst, float(err.max()))
            ok &= bool(np.all(err <= ATOL + RTOL * np.abs(ws[n])))
    check(ok and len(got) == len(want), f"{label}: max error {worst:.3e}")
    print(f"  {label}: max |plugin - reference| = {worst:.2e}")


def identical(label, got, want, names):
    same = len(got) == len(want) and all(
        np.array_equal(gs[n], ws[n]) for gs, ws in zip(got, want) for n in names)
    check(same, f"{label}: not bit-identical")
    return same


def check_two_groups(params, grads, factors):
    mats = [n for n in NAMES if len(SHAPES[n]) == 2]
    vecs = [n for n in NAMES if len(SHAPES[n]) == 1]
    yaml = ('!partial:multi_optimizer { groups: ['
            '{pattern: "*", ndim: 2, optimizer: !partial:adamw {lr: 1.0e-2, weight_decay: 0.1}}, '
            '{pattern: "*", optimizer: !partial:adamw {lr: 3.0e-2, weight_decay: 0.0}}] }')
    got, sb = probe(yaml, NAMES, params, grads, factors)
    check(got is not None, f"two groups: probe failed: {sb}")
    if got is None:
        return
    alone_m, sb_m = probe("!partial:adamw {lr: 1.0e-2, weight_decay: 0.1}", mats, params, grads, factors)
    alone_v, sb_v = probe("!partial:adamw {lr: 3.0e-2, weight_decay: 0.0}", vecs, params, grads, factors)
    if identical("two groups vs separate adamw (matrices)", got, alone_m, mats) and \
            identical("two groups vs separate adamw (vectors)", got, alone_v, vecs):
        print(f"  two groups == separate adamw runs on each subset, bit for bit "
              f"({len(mats)} matrices, {len(vecs)} vectors, {len(factors)} steps)")
    want = adamw_numpy(params, grads, factors, mats, 1e-2, 0.1)
    want_v = adamw_numpy(params, grads, factors, vecs, 3e-2, 0.0)
    for a, b in zip(want, want_v):
        a.update(b)
    compare("two groups vs numpy AdamW", got, want, NAMES)
    tw = adamw_torch_groups(params, grads, factors, [(mats, 1e-2, 0.1), (vecs, 3e-2, 0.0)])
    if tw is not None:
        compare("two groups vs torch AdamW param groups", got, tw, NAMES)
    n_mat = sum(int(np.prod(SHAPES[n])) for n in mats)
    n_vec = sum(int(np.prod(SHAPES[n])) for n in vecs)
    check(sb == 8 * (n_mat + n_vec) and sb == sb_m + sb_v,
          f"state_bytes {sb}, expected 8 * {n_mat + n_vec} = {sb_m} + {sb_v}")
    print(f"  state_bytes {sb} = 8 * ({n_mat} + {n_vec}) = {sb_m} + {sb_v}")


def check_first_match(params, grads, factors):
    """attn.* first (amsgrad), then 2-D *.weight, then the rest; a group matching nothing
    (decoder.*) in front changes nothing."""
    yaml = ('!partial:multi_optimizer { groups: ['
            '{pattern: "decoder.*", optimizer: !partial:adamw {lr: 9.0e-1}}, '
            '{pattern: "blocks.*.attn.*", optimizer: !partial:adamw {lr: 2.0e-2, amsgrad: true}}, '
            '{pattern: "*.weight", ndim: 2, optimizer: !partial:adamw {lr: 5.0e-3}}, '
            '{pattern: "*", optimizer: !partial:adamw {lr: 1.0e-2, weight_decay: 0.0}}] }')
    got, sb = probe(yaml, NAMES, params, grads, factors)
    check(got is not None, f"first match: probe failed: {sb}")
    if got is None:
        return
    attn = [n for n in NAMES if n.startswith("blocks.0.attn.")]
    mats = [n for n in NAMES if n not in attn and n.endswith(".weight") and len(SHAPES[n]) == 2]
    rest = [n for n in NAMES if n not in attn and n not in mats]
    check(sorted(rest) == ["blocks.0.mlp.fc.bias", "ln_f.weight"], f"rest {rest}")
    total = 0
    ok = True
    for names, opt in ((attn, "!partial:adamw {lr: 2.0e-2, amsgrad: true}"),
                       (mats, "!partial:adamw {lr: 5.0e-3}"),
                       (rest, "!partial:adamw {lr: 1.0e-2, weight_decay: 0.0}")):
        alone, sb_g = probe(opt, names, params, grads, factors)
        ok &= identical(f"first match: group {names}", got, alone, names)
        total += sb_g
    n_attn = sum(int(np.prod(SHAPES[n])) for n in attn)
    check(sb == total and sb == 12 * n_attn + 8 * (sum(int(np.prod(s)) for s in SHAPES.values()) - n_attn),
          f"state_bytes with amsgrad group: {sb} vs {total}")
    if ok:
        print(f"  first match wins: attn {attn}, 2-D weights {mats}, rest {rest}; each group "
              f"bit-identical to adamw alone; state_bytes {sb} (12 B/elt amsgrad, 8 otherwise)")


def check_resume(params, grads, factors):
    """save_state/load_state delegate to every group's optimizer: saving after step K and
    loading into a fresh multi_optimizer continues bit for bit, with groups of different
    optimizers (whose entries, named by parameter, must not collide)."""
    cases = [
        ('!partial:multi_optimizer { groups: ['
         '{pattern: "*", ndim: 2, optimizer: !partial:adamw {lr: 1.0e-2, weight_decay: 0.1}}, '
         '{pattern: "*", optimizer: !partial:adamw {lr: 3.0e-2, weight_decay: 0.0, amsgrad: true}}] }'),
        ('!partial:multi_optimizer { groups: ['
         '{pattern: "decoder.*", optimizer: !partial:adamw {lr: 9.0e-1}}, '
         '{pattern: "blocks.*.attn.*", optimizer: !partial:sgd {lr: 5.0e-2, momentum: 0.9, nesterov: true}}, '
         '{pattern: "*.weight", ndim: 2, optimizer: !partial:adafactor {beta1: 0.9, weight_decay: 0.01}}, '
         '{pattern: "*", optimizer: !partial:adamw {lr: 1.0e-2, betas: [0.8, 0.99], amsgrad: true}}] }'),
        ('!partial:multi_optimizer { groups: ['
         '{pattern: "*", ndim: 1, optimizer: !partial:adafactor {}}, '
         '{pattern: "*", optimizer: !partial:sgd {lr: 2.0e-2, momentum: 0.5, dampening: 0.3}}] }'),
    ]
    n = 0
    for yaml in cases:
        full, sb_full = probe(yaml, NAMES, params, grads, factors)
        check(full is not None, f"resume: uninterrupted probe failed: {sb_full}")
        if full is None:
            continue
        for k in (1, 2, 3):
            got, sb = probe(yaml, NAMES, params, grads, factors, reload_after=k)
            check(got is not None, f"resume after step {k}: probe failed: {sb}")
            if got is None:
                continue
            identical(f"resume after step {k} ({yaml[:90]}...)", got, full, NAMES)
            check(sb == sb_full, f"resume after step {k}: state_bytes {sb} vs {sb_full}")
            n += 1
    print(f"  resume (save/load state through every group) bit-identical to the uninterrupted "
          f"run: {len(cases)} configs (adamw/amsgrad, sgd nesterov/dampening, adafactor "
          f"factored/beta1) x 3 resume points = {n} runs")


def check_unmatched(params, grads, factors):
    yaml = ('!partial:multi_optimizer { groups: ['
            '{pattern: "*.weight", ndim: 2, optimizer: !partial:adamw {}}] }')
    got, err = probe(yaml, NAMES, params, grads[:1], factors[:1])
    check(got is None, "a parameter matching no group must be an error")
    for n in ("blocks.0.attn.qkv.bias", "blocks.0.mlp.fc.bias", "ln_f.weight"):
        check(got is None and f"'{n}'" in err, f"unmatched error does not name {n}: {err}")
    check(got is None and "'wte.weight'" not in err, f"unmatched error names a matched one: {err}")
    if got is None:
        print(f"  unmatched: {err.strip()[:200]}")


TRAIN = tiny_lm_config(seed=1, d_model=16, max_seq_len=8) + """\
  optimizer: !partial:multi_optimizer
    groups:
      {group0}
      - {{ pattern: "*", optimizer: !partial:adamw {{ lr: 3.0e-3, weight_decay: 0.0 }} }}
  args: {{ batch_size: 2, max_steps: 5, eval_batches: 0, logging_steps: 1,
          sample_tokens: 0, save_model: true }}
"""
GROUP0_LINE = next(i for i, t in enumerate(TRAIN.splitlines(), 1) if "{group0}" in t)


def fgrun(work, group0):
    cfg = os.path.join(work, "train.yaml")
    with open(cfg, "w") as f:
        f.write(TRAIN.format(group0=group0))
    return subprocess.run([FGRUN, "train", cfg, "--threads", "1", "--runs-dir",
                           os.path.join(work, "runs")], capture_output=True, text=True)


def safetensors_shapes(path):
    """Tensor shapes from a safetensors header (u64 length, then JSON), no package needed."""
    with open(path, "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    return {k: v["shape"] for k, v in header.items() if k != "__metadata__"}


def check_training_and_config_errors():
    with tempfile.TemporaryDirectory() as work:
        rng = random.Random(5)
        with open(os.path.join(work, "corpus.txt"), "w") as f:
            f.write("".join(rng.choice("abcdefgh \n") for _ in range(4000)))
        # A real run: 2-D weights with amsgrad (12 B/elt), everything else 8 B/elt.
        out = fgrun(work, '- { pattern: "*", ndim: 2, optimizer: !partial:adamw { lr: 1.0e-3, '
                          'amsgrad: true } }')
        check(out.returncode == 0, f"training with groups failed: {out.stderr[-1500:]}")
        if out.returncode == 0:
            run_dir = next(line.split(": ", 1)[1] for line in out.stderr.splitlines()
                           if line.startswith("run directory: "))
            logs = json.load(open(os.path.join(run_dir, "trainer_logs.json")))
            head = next(r for r in logs if "optimizer_state_bytes" in r)
            shapes = safetensors_shapes(os.path.join(run_dir, "model.safetensors"))
            n_all = sum(int(np.prod(s)) for s in shapes.values())
            n2_want = sum(int(np.prod(s)) for s in shapes.values() if len(s) == 2)
            check(n_all == head["parameters"], f"{n_all} saved vs {head['parameters']} logged")
            lrs = [r["lr"] for r in logs if "lr" in r]
            check(len(lrs) == 5 and all(lr == 1.0e-3 for lr in lrs),
                  f"logged lr is the first group's base lr: {lrs}")
            sb = head["optimizer_state_bytes"]
            # 12 n2 + 8 (n_all - n2) = sb  =>  n2 = (sb - 8 n_all) / 4, must be the 2-D count
            n2 = (sb - 8 * n_all) / 4
            check(n2 == n2_want, f"state_bytes {sb}: expected 12*{n2_want} + 8*{n_all - n2_want}")
            print(f"  fgrun train with groups: {n_all} parameters, {int(n2)} in 2-D tensors, "
                  f"optimizer_state_bytes {sb} = 12*{int(n2)} + 8*{n_all - int(n2)}")
        bad = [
            ("item not a mapping", "- !partial:adamw { lr: 1.0e-3 }",
             "item 0 of 'groups' must be a mapping"),
            ("item a scalar", "- 3", "item 0 of 'groups' must be a mapping"),
            ("unknown field", '- { pattern: "*", ndim: 2, lr: 1.0e-3, optimizer: !partial:adamw {} }',
             "unknown parameter 'lr'"),
            ("missing pattern", "- { optimizer: !partial:adamw {} }",
             "missing required parameter 'pattern'"),
            ("ndim out of range", '- { pattern: "*", ndim: 7, optimizer: !partial:adamw {} }',
             "ndim = 7 is out of range"),
            ("optimizer of the wrong kind", '- { pattern: "*", optimizer: !partial:cosine {} }',
             "optimizer"),
        ]
        where = f"train.yaml:{GROUP0_LINE}:"
        for name, group0, want in bad:
            out = fgrun(work, group0)
            last = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else ""
            check(out.returncode == 1 and where in out.stderr and want in out.stderr,
                  f"{name}: exit {out.returncode}, stderr lacks {where} / {want!r}: {out.stderr[-600:]}")
            print(f"  rejected {name}: {last[:170]}")


def main():
    rng = np.random.default_rng(1)
    params = {n: rng.standard_normal(SHAPES[n]).astype(np.float32) for n in NAMES}
    steps = 5
    grads = [{n: (rng.standard_normal(SHAPES[n]) * 0.1).astype(np.float32) for n in NAMES}
             for _ in range(steps)]
    grads[1]["ln_f.weight"][:2] = [0.0, 30.0]  # a zero and a large gradient
    factors = [1.0, 0.5, 0.9, 0.25, 1.0]
    check_two_groups(params, grads, factors)
    check_first_match(params, grads, factors)
    check_resume(params, grads, factors)
    check_unmatched(params, grads, factors)
    check_training_and_config_errors()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
