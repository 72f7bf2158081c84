"""AdamW plugin vs an independent NumPy reference (and torch.optim.AdamW when torch is
importable), plus the closed-form first step.

The plugin runs through tests/tools/fg_optimizer_probe on fixed parameters and gradients.
The reference below is written from the algorithm in torch.optim.AdamW's documentation
(decoupled weight decay p *= 1 - lr*wd, bias-corrected moments, eps added after
sqrt(v_hat)), computed in float64. The plugin computes in float32, so the tolerance is
1e-6 absolute + 1e-5 relative on parameter values of order 1.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fg_support import Checks, compare_steps, run_probe, torch_history  # noqa: E402

ATOL, RTOL = 1e-6, 1e-5
checks = Checks("test_adamw_numpy")
check = checks.check


def compare(name, got, want):
    return compare_steps(check, name, got, want, ATOL, RTOL)


def adamw_reference(params, grads, factors, lr, betas, eps, wd, amsgrad):
    b1, b2 = betas
    p = [x.astype(np.float64).copy() for x in params]
    m = [np.zeros_like(x) for x in p]
    v = [np.zeros_like(x) for x in p]
    vmax = [np.zeros_like(x) for x in p]
    history = []
    for t, (step_grads, factor) in enumerate(zip(grads, factors), start=1):
        lr_t = lr * factor
        for i, g in enumerate(step_grads):
            g = g.astype(np.float64)
            p[i] *= 1 - lr_t * wd
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            second = v[i]
            if amsgrad:
                vmax[i] = np.maximum(vmax[i], v[i])
                second = vmax[i]
            m_hat = m[i] / (1 - b1 ** t)
            denom = np.sqrt(second) / np.sqrt(1 - b2 ** t) + eps
            p[i] -= lr_t * m_hat / denom
        history.append([x.copy() for x in p])
    return history


def torch_reference(params, grads, factors, lr, betas, eps, wd, amsgrad):
    import torch
    return torch_history(lambda ps: torch.optim.AdamW(ps, lr=lr, betas=betas, eps=eps, weight_decay=wd,
                                                      amsgrad=amsgrad), params, grads, factors, lr)


def main():
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(7).astype(np.float32), rng.standard_normal(12).astype(np.float32)]
    steps = 6
    grads = [[rng.standard_normal(p.shape).astype(np.float32) * 0.1 for p in params] for _ in range(steps)]
    # grads of very different scales and a zero, to exercise eps
    grads[2][0][:3] = [1e-7, 0.0, 50.0]
    factors = [1.0, 0.5, 0.25, 1.0, 0.8, 0.1]
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False

    for amsgrad in (False, True):
        lr, betas, eps, wd = 1e-2, (0.9, 0.95), 1e-8, 0.1
        yaml = (f"!partial:adamw {{ lr: {lr}, betas: [{betas[0]}, {betas[1]}], eps: {eps}, "
                f"weight_decay: {wd}, amsgrad: {'true' if amsgrad else 'false'} }}")
        got, _ = run_probe(yaml, params, grads, factors)
        compare(f"numpy amsgrad={amsgrad}", got,
                adamw_reference(params, grads, factors, lr, betas, eps, wd, amsgrad))
        if have_torch:
            compare(f"torch amsgrad={amsgrad}", got,
                    torch_reference(params, grads, factors, lr, betas, eps, wd, amsgrad))

    # Resume: save after step K, a fresh optimizer loads the state and continues; the
    # parameters after every step must equal the uninterrupted run's bit for bit.
    resume_cfgs = [
        "{ lr: 1.0e-2, betas: [0.9, 0.95], eps: 1.0e-8, weight_decay: 0.1 }",
        "{ lr: 1.0e-2, betas: [0.9, 0.95], eps: 1.0e-8, weight_decay: 0.1, amsgrad: true }",
        "{ lr: 3.0e-2, betas: [0.0, 0.5], eps: 1.0e-6, weight_decay: 0.0 }",
        "{ lr: 5.0e-3, betas: [0.8, 0.999], weight_decay: 0.0, amsgrad: true }",
    ]
    for cfg in resume_cfgs:
        full, sb_full = run_probe("!partial:adamw " + cfg, params, grads, factors)
        for k in (1, 2, 3, 5):
            got, sb = run_probe("!partial:adamw " + cfg, params, grads, factors, reload_after=k)
            same = len(got) == len(full) and all(
                np.array_equal(a, b) for ga, gb in zip(got, full) for a, b in zip(ga, gb))
            check(same and sb == sb_full, f"resume after step {k} differs from the uninterrupted "
                  f"run: adamw {cfg}")
    print(f"  resume (save/load state) bit-identical to the uninterrupted run: "
          f"{len(resume_cfgs)} configs x 4 resume points")

    # Closed form of step 1: m_hat = g and sqrt(v_hat) = |g|, so
    # p1 = p0 * (1 - lr*wd) - lr * g / (|g| + eps), whatever the betas.
    lr, wd, eps = 3e-3, 0.05, 1e-8
    got, _ = run_probe(f"!partial:adamw {{ lr: {lr}, betas: [0.8, 0.99], eps: {eps}, weight_decay: {wd} }}",
                    params, grads[:1], [1.0])
    for p0, g, p1 in zip(params, grads[0], got[0]):
        p0, g = p0.astype(np.float64), g.astype(np.float64)
        want = p0 * (1 - lr * wd) - lr * g / (np.abs(g) + eps)
        err = np.abs(p1 - want)
        check(np.all(err <= ATOL + RTOL * np.abs(want)), f"step-1 identity: max error {err.max():.3e}")
    print(f"  step-1 closed form holds (tolerance {ATOL} + {RTOL}*|p|)")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
