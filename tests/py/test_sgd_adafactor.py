"""SGD and Adafactor plugins vs independent NumPy references, torch.optim.SGD, closed-form
identities, the reference document's golden numbers, state_bytes and bad parameters.

The plugins run through tests/tools/fg_optimizer_probe on fixed parameters (matrices:
square, tall, wide, a 3-D batch of matrices; vectors) and gradients.

References, computed in float64:
  - SGD: written from torch.optim.SGD's documented algorithm (torch 1.13
    _single_tensor_sgd): d = ±g + wd*p; buf = d on the first step, else
    momentum*buf + (1-dampening)*d; nesterov: d + momentum*buf; p -= lr*d.
  - Adafactor: written from Hugging Face transformers' Adafactor.step / _get_lr /
    _approx_sq_grad as transcribed in /work/shared/reference/schedules_optimizers.md §B.2
    (transformers is not installed here). It is first checked against the document's
    golden numbers (§C.4), so it is not a copy of the C code's reading.
The plugins compute in float32 (sums in double), so the tolerance is 1e-6 absolute +
1e-5 relative on parameter values of order 1 with updates of order 1e-2; float32 rounding
of a handful of operations per step stays near 1e-7.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fg_support import BUILD, Checks, compare_steps, run_probe, torch_history  # noqa: E402

FGRUN = os.path.join(BUILD, "bin", "fgrun")
ATOL, RTOL = 1e-6, 1e-5
checks = Checks("test_sgd_adafactor")
check = checks.check


def compare(name, got, want, atol=ATOL, rtol=RTOL):
    return compare_steps(check, name, got, want, atol, rtol)


def yaml_map(name, opts):
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return repr(v)
    return f"!partial:{name} {{ " + ", ".join(f"{k}: {val(v)}" for k, v in opts.items()) + " }"


# ---------------------------------------------------------------- SGD

def sgd_reference(params, grads, factors, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False, maximize=False):
    p = [x.astype(np.float64).copy() for x in params]
    buf = [None] * len(p)
    history = []
    for step_grads, factor in zip(grads, factors):
        for i, g in enumerate(step_grads):
            d = g.astype(np.float64) * (-1.0 if maximize else 1.0)
            if weight_decay != 0:
                d = d + weight_decay * p[i]
            if momentum != 0:
                if buf[i] is None:
                    buf[i] = d.copy()  # first step: no dampening
                else:
                    buf[i] = momentum * buf[i] + (1 - dampening) * d
                d = d + momentum * buf[i] if nesterov else buf[i]
            p[i] = p[i] - lr * factor * d
        history.append([x.copy() for x in p])
    return history


def sgd_torch(params, grads, factors, lr, **kw):
    import torch
    return torch_history(lambda ps: torch.optim.SGD(ps, lr=lr, **kw), params, grads, factors, lr)


def test_sgd(params, grads, factors, have_torch):
    numel = sum(p.size for p in params)
    variants = [
        {},
        {"weight_decay": 0.1},
        {"momentum": 0.9},
        {"momentum": 0.9, "dampening": 0.5},
        {"momentum": 0.8, "nesterov": True},
        {"momentum": 0.9, "nesterov": True, "weight_decay": 0.05},
        {"momentum": 0.5, "dampening": 0.1, "weight_decay": 0.2, "maximize": True},
    ]
    lr = 0.05
    for kw in variants:
        got, sb = run_probe(yaml_map("sgd", {"lr": lr, **kw}), params, grads, factors)
        tag = "sgd " + (", ".join(f"{k}={v}" for k, v in kw.items()) or "plain")
        compare(f"numpy {tag}", got, sgd_reference(params, grads, factors, lr, **kw))
        if have_torch:
            compare(f"torch {tag}", got, sgd_torch(params, grads, factors, lr, **kw))
        want_sb = 4 * numel if kw.get("momentum", 0) > 0 else 0
        check(sb == want_sb, f"{tag}: state_bytes {sb}, expected {want_sb}")
    print(f"  sgd state_bytes: {4 * numel} with momentum ({numel} elements x 4), 0 without")

    # Closed form without momentum: p1 = p0 - lr*(g + wd*p0).
    lr, wd = 0.03, 0.2
    got, _ = run_probe(yaml_map("sgd", {"lr": lr, "weight_decay": wd}), params, grads[:1], [1.0])
    for p0, g, p1 in zip(params, grads[0], got[0]):
        p0, g = p0.astype(np.float64), g.astype(np.float64)
        want = p0 - lr * (g + wd * p0)
        err = np.abs(p1 - want)
        check(np.all(err <= ATOL + RTOL * np.abs(want)), f"sgd closed form: max error {err.max():.3e}")
    # Constant gradient, momentum, no dampening: buf_t = g * sum_{k<t} mu^k, so
    # p_t = p0 - lr*g*sum_{s=1..t} (1 - mu^s)/(1 - mu).
    mu, steps = 0.9, 5
    const = [[grads[0][i] for i in range(len(params))] for _ in range(steps)]
    got, _ = run_probe(yaml_map("sgd", {"lr": lr, "momentum": mu}), params, const, [1.0] * steps)
    coef = sum((1 - mu ** s) / (1 - mu) for s in range(1, steps + 1))
    for p0, g, pt in zip(params, grads[0], got[-1]):
        want = p0.astype(np.float64) - lr * coef * g.astype(np.float64)
        err = np.abs(pt - want)
        check(np.all(err <= ATOL + RTOL * np.abs(want)), f"sgd momentum closed form: {err.max():.3e}")
    print("  sgd closed forms hold (plain step, constant-gradient momentum)")


# ---------------------------------------------------------------- Adafactor

def rms(x):
    return np.sqrt(np.mean(x * x)) if x.size else 0.0


def adafactor_reference(params, grads, factors, lr=None, eps=(1e-30, 1e-3), clip_threshold=1.0,
                        decay_rate=-0.8, beta1=None, weight_decay=0.0, scale_parameter=True,
                        relative_step=True, warmup_init=False):
    """HF transformers Adafactor.step (the lr factor multiplies _get_lr's result)."""
    p = [x.astype(np.float64).copy() for x in params]
    st = []
    for x in p:
        s = {"step": 0}
        if x.ndim >= 2:  # _get_options: factored = len(shape) >= 2
            s["row"] = np.zeros(x.shape[:-1])
            s["col"] = np.zeros(x.shape[:-2] + x.shape[-1:])
        else:
            s["sq"] = np.zeros_like(x)
        if beta1 is not None:
            s["avg"] = np.zeros_like(x)
        st.append(s)
    history = []
    for step_grads, factor in zip(grads, factors):
        for i, g in enumerate(step_grads):
            g, s, x = g.astype(np.float64), st[i], p[i]
            s["step"] += 1
            t = s["step"]
            # _get_lr
            rho = lr
            if relative_step:
                rho = min(1e-6 * t if warmup_init else 1e-2, 1.0 / np.sqrt(t))
            scale = max(eps[1], rms(x)) if scale_parameter else 1.0
            alpha = scale * rho * factor
            beta2t = 1.0 - t ** decay_rate
            u = g * g + eps[0]
            if x.ndim >= 2:
                s["row"] = beta2t * s["row"] + (1 - beta2t) * u.mean(axis=-1)
                s["col"] = beta2t * s["col"] + (1 - beta2t) * u.mean(axis=-2)
                # _approx_sq_grad
                r = 1 / np.sqrt(s["row"] / s["row"].mean(axis=-1, keepdims=True))
                c = 1 / np.sqrt(s["col"])
                upd = r[..., :, None] * c[..., None, :] * g
            else:
                s["sq"] = beta2t * s["sq"] + (1 - beta2t) * u
                upd = g / np.sqrt(s["sq"])
            upd = upd / max(1.0, rms(upd) / clip_threshold)
            upd = upd * alpha
            if beta1 is not None:
                s["avg"] = beta1 * s["avg"] + (1 - beta1) * upd
                upd = s["avg"]
            if weight_decay != 0:
                x = x - weight_decay * alpha * x
            p[i] = x - upd
        history.append([x.copy() for x in p])
    return history


def adafactor_state_bytes(params, beta1):
    n = 0
    for p in params:
        if p.ndim >= 2:
            batch = p.size // (p.shape[-2] * p.shape[-1])
            n += batch * (p.shape[-2] + p.shape[-1])
        else:
            n += p.size
        if beta1:
            n += p.size
    return 4 * n


def test_adafactor_golden():
    """The document's §C.4 numbers validate the reference; the plugin must match them too."""
    P0 = np.array([[0.5, -1.0, 0.25], [2.0, 0.0, -0.75]], dtype=np.float32)
    G = [np.array(x, dtype=np.float32) for x in (
        [[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6]],
        [[0.05, 0.1, -0.15], [0.2, -0.25, 0.3]],
        [[-0.3, 0.2, 0.1], [0.0, 0.4, -0.2]])]
    grads = [[g] for g in G]
    gold1 = np.array([[0.4938812807, -0.9906305093, 0.2387176391],
                      [2.0104361227, -0.0099879107, -0.7403783703]])
    gold3 = np.array([[0.5086458855, -1.0059131724, 0.2415369409],
                      [2.0035215579, -0.0134532407, -0.7415801076]])
    gold_manual = np.array([[0.4979526306, -0.9965491451, 0.2471281897],
                            [1.9955337899, -0.0024819221, -0.7458205008]])
    ref = adafactor_reference([P0], grads, [1.0] * 3)
    check(np.allclose(ref[0][0], gold1, atol=1e-9, rtol=0), "reference vs golden (defaults, G1)")
    check(np.allclose(ref[2][0], gold3, atol=1e-9, rtol=0), "reference vs golden (defaults, G1..G3)")
    manual = dict(lr=1e-2, relative_step=False, scale_parameter=False, beta1=0.9, weight_decay=0.1)
    ref_m = adafactor_reference([P0], grads, [1.0] * 3, **manual)
    check(np.allclose(ref_m[2][0], gold_manual, atol=1e-9, rtol=0), "reference vs golden (manual lr)")

    got, _ = run_probe("!partial:adafactor {}", [P0], grads, [1.0] * 3)
    compare("golden adafactor defaults", [[got[0][0]], [got[2][0]]], [[gold1], [gold3]])
    got, _ = run_probe(yaml_map("adafactor", manual), [P0], grads, [1.0] * 3)
    compare("golden adafactor manual lr", [[got[2][0]]], [[gold_manual]])


def test_adafactor(params, grads, factors):
    variants = [
        {},
        {"beta1": 0.9, "weight_decay": 0.1},
        {"warmup_init": True},
        {"lr": 1e-2, "relative_step": False, "scale_parameter": False},
        {"lr": 3e-2, "relative_step": False, "beta1": 0.5, "clip_threshold": 0.3, "decay_rate": -0.5,
         "eps": [1e-20, 1e-2]},
        {"clip_threshold": 0.05, "weight_decay": 0.01},  # clips every step
    ]
    for kw in variants:
        got, sb = run_probe(yaml_map("adafactor", kw), params, grads, factors)
        tag = "adafactor " + (", ".join(f"{k}={v}" for k, v in kw.items()) or "defaults")
        ref_kw = dict(kw)
        if "eps" in ref_kw:
            ref_kw["eps"] = tuple(ref_kw["eps"])
        compare(f"numpy {tag}", got, adafactor_reference(params, grads, factors, **ref_kw))
        want_sb = adafactor_state_bytes(params, "beta1" in kw)
        check(sb == want_sb, f"{tag}: state_bytes {sb}, expected {want_sb}")
    print(f"  adafactor state_bytes: {adafactor_state_bytes(params, False)} without beta1, "
          f"{adafactor_state_bytes(params, True)} with (numel {sum(p.size for p in params)})")
    # big_vision's memory check: a 1024x1024 kernel has 2*1024 factored entries (their +2 is
    # optax's scalar count/extra entries, which this plugin does not keep as state).
    big = np.zeros((1024, 1024), dtype=np.float32)
    check(adafactor_state_bytes([big], False) == 4 * 2048, "1024x1024 factored formula")


def test_adafactor_identities(rng):
    lr = 1e-2
    # 1-D step 1 (doc §C.2): p1 = p0 - alpha*sign(g), alpha = max(1e-3, RMS(p0))*1e-2.
    p0 = np.array([0.1, -0.2, -0.1], dtype=np.float32)
    g = np.array([0.3, -0.1, 0.2], dtype=np.float32)
    got, _ = run_probe("!partial:adafactor {}", [p0], [[g]], [1.0])
    want = np.array([0.0985858, -0.1985858, -0.1014142])
    check(np.all(np.abs(got[0][0] - want) <= 1e-7), f"1-D step 1 doc example: {got[0][0]}")

    # Rank-1 |g| = a b^T, step 1: V^ = g^2 exactly, U = sign(g), so p1 = p0 - alpha*sign(g).
    a = np.array([1.0, -2.0], dtype=np.float32)
    b = np.array([0.5, 3.0, -1.0], dtype=np.float32)
    g = np.outer(a, b).astype(np.float32)
    p0 = rng.standard_normal((2, 3)).astype(np.float32)
    got, _ = run_probe(yaml_map("adafactor", {"lr": lr, "relative_step": False, "scale_parameter": False}),
                       [p0], [[g]], [1.0])
    err = np.abs(got[0][0] - (p0 - lr * np.sign(g)))
    check(np.all(err <= ATOL), f"rank-1 step 1: p1 = p0 - lr*sign(g), error {err.max():.3e}")

    # Factored == unfactored when every g_t = a_t b^T with a fixed b: then R_i C_j / mean(R)
    # equals the full EMA of g^2 at every step. The matrix and the same numbers as a vector
    # (unfactored, same RMS(p)) must follow the same trajectory.
    rows, cols, steps = 5, 7, 6
    b = rng.standard_normal(cols).astype(np.float32) + 0.5
    pm = rng.standard_normal((rows, cols)).astype(np.float32)
    gs = [np.outer(rng.standard_normal(rows), b).astype(np.float32) * 0.3 for _ in range(steps)]
    kw = {"beta1": 0.8, "weight_decay": 0.05}
    got, _ = run_probe(yaml_map("adafactor", kw), [pm, pm.ravel()], [[g_, g_.ravel()] for g_ in gs],
                       [1.0] * steps)
    worst = max(float(np.abs(s[0].ravel() - s[1]).max()) for s in got)
    check(worst <= 1e-6, f"factored vs unfactored on rank-1 gradients: {worst:.3e}")
    print(f"  factored == unfactored for g_t = a_t b^T over {steps} steps: max diff {worst:.2e}")

    # Clipping, vector step 1: U = sign(g) so RMS(U) = 1; clip_threshold 0.25 divides it by 4.
    p0 = rng.standard_normal(10).astype(np.float32)
    g = rng.standard_normal(10).astype(np.float32)
    got, _ = run_probe(yaml_map("adafactor", {"lr": lr, "relative_step": False, "scale_parameter": False,
                                              "clip_threshold": 0.25}), [p0], [[g]], [1.0])
    err = np.abs(got[0][0] - (p0 - 0.25 * lr * np.sign(g)))
    check(np.all(err <= ATOL), f"clipping closed form: error {err.max():.3e}")
    # lr_factor multiplies the computed lr: factor 0.5 halves the step-1 displacement.
    got1, _ = run_probe("!partial:adafactor {}", [p0], [[g]], [1.0])
    got2, _ = run_probe("!partial:adafactor {}", [p0], [[g]], [0.5])
    err = np.abs((got2[0][0] - p0) * 2 - (got1[0][0] - p0))
    check(np.all(err <= 1e-6), f"lr_factor scales the relative step: error {err.max():.3e}")
    print("  adafactor closed forms hold (1-D doc example, rank-1, clipping, lr_factor)")


def test_large(rng):
    """Tensors above the plugins' parallel threshold (16384 elements), with a column count
    that is not a multiple of the 64-column tile, take the chunked and tiled code paths."""
    params = [rng.standard_normal((130, 150)).astype(np.float32),
              rng.standard_normal(20000).astype(np.float32)]
    grads = [[(rng.standard_normal(p.shape) * 0.1).astype(np.float32) for p in params]
             for _ in range(2)]
    kw = {"beta1": 0.9, "weight_decay": 0.1}
    got, _ = run_probe(yaml_map("adafactor", kw), params, grads, [1.0, 0.5])
    compare("numpy adafactor large tensors", got,
            adafactor_reference(params, grads, [1.0, 0.5], **kw))
    kw = {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}
    got, _ = run_probe(yaml_map("sgd", kw), params, grads, [1.0, 0.5])
    compare("numpy sgd large tensors", got, sgd_reference(params, grads, [1.0, 0.5], **kw))


# ---------------------------------------------------------------- resume

def test_resume(params, grads, factors):
    """Save after step K, a fresh optimizer loads the state and continues: the parameters
    after every step must equal the uninterrupted run's bit for bit."""
    cases = [
        ("sgd", {"lr": 0.05}),
        ("sgd", {"lr": 0.05, "momentum": 0.9}),
        ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.1}),
        ("sgd", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
        ("sgd", {"lr": 0.05, "momentum": 0.5, "dampening": 0.1, "weight_decay": 0.2, "maximize": True}),
        ("adafactor", {}),
        ("adafactor", {"beta1": 0.9, "weight_decay": 0.1}),
        ("adafactor", {"warmup_init": True}),
        ("adafactor", {"lr": 3e-2, "relative_step": False, "beta1": 0.5, "clip_threshold": 0.3,
                       "decay_rate": -0.5, "eps": [1e-20, 1e-2]}),
        ("adafactor", {"clip_threshold": 0.05, "weight_decay": 0.01, "scale_parameter": False}),
    ]
    n = 0
    for name, kw in cases:
        yaml = yaml_map(name, kw)
        full, sb_full = run_probe(yaml, params, grads, factors)
        for k in (1, 2, 4):
            got, sb = run_probe(yaml, params, grads, factors, reload_after=k)
            same = len(got) == len(full) and all(
                np.array_equal(a, b) for ga, gb in zip(got, full) for a, b in zip(ga, gb))
            check(same and sb == sb_full,
                  f"resume after step {k} differs from the uninterrupted run: {yaml}")
            n += 1
    # Gradients that are zero for some parameters on some steps (moments decay, nothing else).
    sparse = [[g if (s + i) % 3 else np.zeros_like(g) for i, g in enumerate(step)]
              for s, step in enumerate(grads)]
    for name, kw in (("sgd", {"lr": 0.05, "momentum": 0.9}), ("adafactor", {"beta1": 0.9})):
        full, _ = run_probe(yaml_map(name, kw), params, sparse, factors)
        got, _ = run_probe(yaml_map(name, kw), params, sparse, factors, reload_after=3)
        check(all(np.array_equal(a, b) for ga, gb in zip(got, full) for a, b in zip(ga, gb)),
              f"resume with partly zero gradients differs: {name} {kw}")
        n += 1
    print(f"  resume (save/load state) bit-identical to the uninterrupted run: {n} cases "
          f"({len(cases)} configs x 3 resume points, plus partly zero gradients)")


# ---------------------------------------------------------------- bad parameters

MODEL = """model: &model !singleton:causal_lm
  vocab_size: 256
  d_model: 16
  num_layers: 1
  max_seq_len: 8
  block: !partial:pre_norm_block
    attention: !partial:multihead { num_heads: 2 }
    feedforward: !partial:mlp {}
tok: &tok !singleton:byte_tokenizer {}
main: !singleton:simple
  model: *model
  train_dataset: !singleton:text_file { path: DATA, tokenizer: *tok }
  optimizer: OPT
"""


def test_bad_params():
    cases = [
        ("sgd_negative_lr", "!partial:sgd { lr: -0.1 }", ["lr", "out of range"]),
        ("sgd_zero_lr", "!partial:sgd { lr: 0 }", ["sgd: lr must be > 0"]),
        ("sgd_nesterov", "!partial:sgd { lr: 0.1, nesterov: true }",
         ["nesterov: true requires momentum > 0"]),
        ("sgd_nesterov_damp", "!partial:sgd { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }",
         ["dampening = 0"]),
        ("sgd_momentum_one", "!partial:sgd { lr: 0.1, momentum: 1.0 }", ["momentum must be in [0, 1)"]),
        ("sgd_bad_key", "!partial:sgd { lr: 0.1, moment: 0.9 }", ["unknown parameter 'moment'"]),
        ("ada_lr_relative", "!partial:adafactor { lr: 1.0e-3 }",
         ["cannot be combined with relative_step: true"]),
        ("ada_no_lr", "!partial:adafactor { relative_step: false }", ["needs a manual lr > 0"]),
        ("ada_warmup", "!partial:adafactor { lr: 1.0e-3, relative_step: false, warmup_init: true }",
         ["warmup_init: true requires relative_step: true"]),
        ("ada_beta1", "!partial:adafactor { beta1: 1.0 }", ["beta1 must be in [0, 1)"]),
        ("ada_eps", "!partial:adafactor { eps: [1.0e-30] }", ["eps must have 2 values"]),
        ("ada_negative_lr", "!partial:adafactor { lr: -1.0 }", ["lr", "out of range"]),
    ]
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "data.txt")
        with open(data, "w") as f:
            f.write("hello world, this is a tiny corpus for the bad parameter tests\n")
        for name, opt, wants in cases:
            cfg = os.path.join(d, name + ".yaml")
            with open(cfg, "w") as f:
                f.write(MODEL.replace("DATA", data).replace("OPT", opt))
            out = subprocess.run([FGRUN, "train", cfg, "--runs-dir", os.path.join(d, "runs")],
                                 capture_output=True, text=True)
            text = out.stdout + out.stderr
            ok = out.returncode == 1 and f"{name}.yaml:13:" in text and all(w in text for w in wants)
            check(ok, f"bad parameter {name}: exit {out.returncode}, output: {text.strip()[-300:]}")
            if ok:
                print(f"  rejected {name}: {text.strip().splitlines()[-1].split(': ', 2)[-1][-200:]}")


def main():
    rng = np.random.default_rng(1)
    # square, tall, wide, a batch of 2 wide matrices (factored over the last two dims), vectors
    shapes = [(5, 5), (7, 3), (3, 8), (2, 3, 4), (9,), (1,)]
    params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    steps = 6
    grads = [[(rng.standard_normal(p.shape) * 0.1).astype(np.float32) for p in params]
             for _ in range(steps)]
    grads[2][0][1, :] = 0.0  # a zero row: eps1 keeps the factored rsqrt finite
    grads[3][4][:3] = [1e-7, 0.0, 5.0]
    factors = [1.0, 0.5, 0.25, 1.0, 0.8, 0.1]
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("  torch not importable: skipping the torch.optim.SGD comparison")

    test_sgd(params, grads, factors, have_torch)
    test_adafactor_golden()
    test_adafactor(params, grads, factors)
    test_adafactor_identities(rng)
    test_large(rng)
    test_resume(params, grads, factors)
    test_bad_params()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
