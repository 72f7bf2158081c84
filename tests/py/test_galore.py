"""GaLore plugin vs an independent NumPy reference of GaLore-AdamW, closed-form identities,
state_bytes, and config errors.

Reference algorithm (jiaweizzhao/GaLore galore_torch/adamw.py + galore_projector.py, as in
/work/shared/reference/schedules_optimizers.md §B.3), written here in float64:
  - HF-legacy AdamW: m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g^2, n = m/(sqrt(v) + eps)
    (eps BEFORE the bias correction), p -= lr*sqrt(1-b2^t)/(1-b1^t) * n, then, when wd > 0,
    p -= lr*wd*p on the updated p;
  - 2-D parameters: before the moments, when the pre-increment step count is a multiple of
    update_proj_gap, the basis is recomputed from numpy.linalg.svd of the current gradient;
    std projects the right side (B = Vh[:r]) when rows >= cols and the left (A = U[:, :r])
    otherwise; reverse_std the opposite; left/right force one; full uses both. The moments
    live in the projected shape and are NOT reset at a refresh; n is projected back and
    multiplied by `scale`;
  - sign convention (the plugin's, documented in galore_projector.c): each basis vector is
    flipped so its largest-magnitude entry is positive. It matters because the moments carry
    across a refresh.

Tolerance: the plugin computes in fp32 (fp32 GEMMs, fp32 basis from a float64 SVD). Test
gradients have well-separated singular values (ratio 2), so the subspaces are stable; the
error of each parameter is bounded by 1e-4 times the size of its total displacement
|p_t - p_0| plus 1e-6 absolute (fp32 rounding of values of order 1). Paths without an SVD
(vectors) are held to 1e-6 + 1e-5*|p|, as the AdamW test.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fg_support import BUILD, Checks, run_probe  # noqa: E402

FGRUN = os.path.join(BUILD, "bin", "fgrun")
checks = Checks("test_galore")
check = checks.check
PROJ_TYPES = ("std", "reverse_std", "left", "right", "full")


# ---------------------------------------------------------------- NumPy reference

def sides(proj_type, rows, cols):
    """(left, right): which of A = U[:, :r] and B = Vh[:r] the projection uses."""
    tall = rows >= cols
    return {"std": (not tall, tall), "reverse_std": (tall, not tall), "left": (True, False),
            "right": (False, True), "full": (True, True)}[proj_type]


def fix_signs(vectors):
    """Flips each row so that its largest-|x| entry (first on a tie) is positive."""
    idx = np.argmax(np.abs(vectors), axis=1)
    signs = np.sign(vectors[np.arange(len(vectors)), idx])
    return vectors * signs[:, None]


def basis(g, rank):
    u, _, vh = np.linalg.svd(g, full_matrices=False)
    a = fix_signs(u[:, :rank].T).T
    b = fix_signs(vh[:rank])
    return a, b


def galore_reference(params, grads, factors, lr, betas, eps, wd, rank, gap, scale, proj_type):
    b1, b2 = betas
    p = [x.astype(np.float64).copy() for x in params]
    st = [{"step": 0, "m": None, "v": None, "A": None, "B": None} for _ in p]
    history = []
    for step_grads, factor in zip(grads, factors):
        lr_t = lr * factor
        for i, g in enumerate(step_grads):
            g, s = g.astype(np.float64), st[i]
            two_d = g.ndim == 2
            if two_d:
                use_a, use_b = sides(proj_type, *g.shape)
                if s["step"] % gap == 0:
                    s["A"], s["B"] = basis(g, rank)
                low = g
                if use_a:
                    low = s["A"].T @ low
                if use_b:
                    low = low @ s["B"].T
            else:
                low = g
            if s["m"] is None:
                s["m"], s["v"] = np.zeros_like(low), np.zeros_like(low)
            s["step"] += 1
            t = s["step"]
            s["m"] = b1 * s["m"] + (1 - b1) * low
            s["v"] = b2 * s["v"] + (1 - b2) * low * low
            n = s["m"] / (np.sqrt(s["v"]) + eps)
            step_size = lr_t * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            if two_d:
                if use_a:
                    n = s["A"] @ n
                if use_b:
                    n = n @ s["B"]
                n = n * scale
            p[i] = p[i] - step_size * n
            if wd > 0:
                p[i] = p[i] - lr_t * wd * p[i]
        history.append([x.copy() for x in p])
    return history


def expected_state_bytes(shapes, rank, proj_type):
    total = 0
    for shape in shapes:
        if len(shape) != 2:
            total += 2 * int(np.prod(shape))
            continue
        rows, cols = shape
        use_a, use_b = sides(proj_type, rows, cols)
        low = (rank if use_a else rows) * (rank if use_b else cols)
        total += (rows * rank if use_a else 0) + (rank * cols if use_b else 0) + 2 * low
    return 4 * total


# ---------------------------------------------------------------- inputs

def separated_matrix(rng, rows, cols, top=2.0):
    """A random matrix whose singular values are top, top/2, top/4, ... (well separated)."""
    k = min(rows, cols)
    u, _ = np.linalg.qr(rng.standard_normal((rows, k)))
    v, _ = np.linalg.qr(rng.standard_normal((cols, k)))
    s = top * 0.5 ** np.arange(k)
    return ((u * s) @ v.T).astype(np.float32)


def compare(name, got, want, p0, rel=1e-4, atol=1e-6):
    worst_abs, worst_rel = 0.0, 0.0
    for s, (gs, ws) in enumerate(zip(got, want)):
        for i, (g, w) in enumerate(zip(gs, ws)):
            err = float(np.abs(g - w).max())
            moved = float(np.abs(w - p0[i].astype(np.float64)).max())
            worst_abs = max(worst_abs, err)
            worst_rel = max(worst_rel, err / moved if moved > 0 else 0.0)
            check(err <= atol + rel * moved,
                  f"{name}: step {s + 1} param {i}: max error {err:.3e} (displacement {moved:.3e})")
    print(f"  {name}: max |plugin - reference| = {worst_abs:.2e} "
          f"({worst_rel:.2e} of the displacement)")
    return worst_abs


def opt_yaml(lr, betas, eps, wd, rank, gap, scale, proj_type):
    return (f"!partial:galore {{ lr: {lr}, betas: [{betas[0]}, {betas[1]}], eps: {eps}, "
            f"weight_decay: {wd}, rank: {rank}, update_proj_gap: {gap}, scale: {scale}, "
            f"proj_type: {proj_type} }}")


# ---------------------------------------------------------------- tests

def test_against_reference(rng):
    shapes = [(12, 6), (5, 11), (8, 8), (9,)]  # tall, wide, square, vector
    params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    steps = 7  # update_proj_gap 3: the basis is computed before steps 1, 4 and 7
    grads = [[separated_matrix(rng, *s) if len(s) == 2
              else (0.5 * rng.standard_normal(s)).astype(np.float32) for s in shapes]
             for _ in range(steps)]
    factors = [1.0, 0.5, 1.0, 0.8, 1.0, 0.3, 1.0]
    lr, betas, rank, gap = 2e-2, (0.9, 0.99), 3, 3
    for proj_type in PROJ_TYPES:
        # full at a refresh: A^T G B^T is diag(s) up to fp32 round-off (~1e-7), and Adam
        # normalises that round-off to O(0.1*g/(0.1*|g| + eps)): with eps 1e-6 it is ~2% of
        # the update in fp32 (the reference's fp32 torch code does the same), 0 in float64.
        # eps 1e-3 keeps the off-diagonal noise below the tolerance.
        eps = 1e-3 if proj_type == "full" else 1e-6
        for wd, scale in ((0.0, 0.25), (0.1, 1.0)):
            got, sb = run_probe(opt_yaml(lr, betas, eps, wd, rank, gap, scale, proj_type),
                                params, grads, factors)
            want = galore_reference(params, grads, factors, lr, betas, eps, wd, rank, gap,
                                    scale, proj_type)
            compare(f"{proj_type} wd={wd} scale={scale}", [s[:3] for s in got],
                    [s[:3] for s in want], params[:3])
            # the vector takes no SVD: AdamW's tolerance
            err = max(float(np.abs(g[3] - w[3]).max()) for g, w in zip(got, want))
            check(err <= 1e-6 + 1e-5 * float(np.abs(want[-1][3]).max()),
                  f"{proj_type}: vector differs from HF AdamW by {err:.3e}")
            check(sb == expected_state_bytes(shapes, rank, proj_type),
                  f"{proj_type}: state_bytes {sb} != {expected_state_bytes(shapes, rank, proj_type)}")
    print(f"  vectors follow HF-legacy AdamW; state_bytes match the formula for all proj_types")


def test_golden():
    """schedules_optimizers.md §C.4: 4 x 3, rank 2, gap 2 (basis before steps 1 and 3), lr
    1e-2, eps 1e-6, scale 0.25, largest-|x|-positive signs. Checks the NumPy reference and
    the plugin against the research note's float64 numbers."""
    p64 = np.array([[0.126, -0.132, 0.64], [0.105, -0.536, 0.362], [1.304, 0.947, -0.704],
                    [-1.265, -0.623, 0.041]])
    gs64 = [np.array(g, np.float64) for g in (
        [[-2.325, -0.219, -1.246], [-0.732, -0.544, -0.316], [0.412, 1.043, -0.129],
         [1.366, -0.665, 0.352]],
        [[0.903, 0.094, -0.743], [-0.922, -0.458, 0.22], [-1.01, -0.209, -0.159],
         [0.541, 0.215, 0.355]],
        [[-0.654, -0.13, 0.784], [1.493, -1.259, 1.514], [1.346, 0.781, 0.264],
         [-0.314, 1.458, 1.96]])]
    p, gs = p64.astype(np.float32), [g.astype(np.float32) for g in gs64]
    golden = np.array([[0.1308169829, -0.1314361995, 0.6418342327],
                       [0.1078785075, -0.5291653292, 0.3637140369],
                       [1.3031436905, 0.9425666981, -0.7046464630],
                       [-1.2696829362, -0.6207251965, 0.0363992922]])
    # the reference on the exact decimal inputs (float64), as the note computed them
    ref = galore_reference([p64], [[g] for g in gs64], [1.0] * 3, 1e-2, (0.9, 0.999), 1e-6,
                           0.0, 2, 2, 0.25, "std")[-1][0]
    got, _ = run_probe(opt_yaml(1e-2, (0.9, 0.999), 1e-6, 0.0, 2, 2, 0.25, "std"), [p],
                       [[g] for g in gs], [1.0] * 3)
    e_ref, e_got = float(np.abs(ref - golden).max()), float(np.abs(got[-1][0] - golden).max())
    check(e_ref <= 1e-9, f"golden: NumPy reference off by {e_ref:.3e}")
    check(e_got <= 1e-6, f"golden: plugin off by {e_got:.3e}")
    print(f"  golden (§C.4): reference {e_ref:.1e}, plugin {e_got:.1e} from the published values")


def test_rank_one_closed_form(rng):
    """Step 1 on an exactly rank-1 gradient G = s*u*v^T with rank 1: the projected gradient
    is +-s*u (right), +-s*v (left) or +-s (full), m = (1-b1)g, v = (1-b2)g^2, so
    update = lr*scale * s*u_i*v_j / (|g_low| + eps/sqrt(1-b2)), whatever the basis signs."""
    lr, betas, eps, scale = 1e-2, (0.9, 0.999), 1e-6, 0.25
    epsp = eps / np.sqrt(1 - betas[1])
    for shape, proj_type in (((7, 4), "std"), ((3, 9), "std"), ((6, 5), "full"),
                             ((6, 5), "reverse_std")):
        u = rng.standard_normal(shape[0]); u /= np.linalg.norm(u)
        v = rng.standard_normal(shape[1]); v /= np.linalg.norm(v)
        s = 3.0
        g = (s * np.outer(u, v)).astype(np.float32)
        p0 = rng.standard_normal(shape).astype(np.float32)
        got, _ = run_probe(opt_yaml(lr, betas, eps, 0.0, 1, 200, scale, proj_type), [p0], [[g]],
                           [1.0])
        use_a, use_b = sides(proj_type, *shape)
        mag = s * (np.ones(shape) if (use_a and use_b) else
                   np.abs(u)[:, None] * np.ones(shape) if use_b else
                   np.abs(v)[None, :] * np.ones(shape))
        want = p0 - lr * scale * s * np.outer(u, v) / (mag + epsp)
        err = float(np.abs(got[0][0] - want).max())
        check(err <= 1e-6, f"rank-1 closed form {proj_type} {shape}: error {err:.3e}")
        print(f"  rank-1 step-1 closed form, {proj_type} {shape}: max error {err:.2e}")


def hf_adamw_reference(params, grads, factors, lr, betas, eps, wd):
    """Plain HF-legacy AdamW: GaLore's reference with no projection."""
    return galore_reference([p.ravel() for p in params], [[g.ravel() for g in s] for s in grads],
                            factors, lr, betas, eps, wd, 1, 1, 1.0, "std")


def test_full_rank_identity(rng):
    """rank == min(rows, cols), std, scale 1 equals full AdamW when the gradients' singular
    bases are one fixed signed permutation (one nonzero per column, magnitudes in a fixed
    order): Adam is elementwise, so it commutes with a permutation, and sign flips cancel
    between projection and back-projection. For a general G it does NOT hold: Adam's
    elementwise normalisation is not rotation invariant (printed below for the record)."""
    rows, cols, steps = 7, 4, 5
    perm = rng.permutation(rows)[:cols]
    params = [rng.standard_normal((rows, cols)).astype(np.float32)]
    grads = []
    for _ in range(steps):
        g = np.zeros((rows, cols), np.float32)
        mags = np.array([4.0, 3.0, 2.0, 1.0]) * rng.uniform(0.95, 1.05, cols)
        g[perm, np.arange(cols)] = mags * rng.choice([-1.0, 1.0], cols)
        grads.append([g])
    factors = [1.0] * steps
    lr, betas, eps, wd = 1e-2, (0.9, 0.999), 1e-6, 0.05
    got, _ = run_probe(opt_yaml(lr, betas, eps, wd, cols, 2, 1.0, "std"), params, grads, factors)
    flat, _ = run_probe(opt_yaml(lr, betas, eps, wd, cols, 2, 1.0, "std"),
                        [params[0].ravel()], [[g[0].ravel()] for g in grads], factors)
    want = hf_adamw_reference(params, grads, factors, lr, betas, eps, wd)
    worst = 0.0
    for s in range(steps):
        e1 = float(np.abs(got[s][0].ravel() - want[s][0]).max())
        e2 = float(np.abs(got[s][0].ravel() - flat[s][0]).max())
        worst = max(worst, e1, e2)
        check(e1 <= 1e-6 and e2 <= 1e-6,
              f"full-rank identity step {s + 1}: vs numpy AdamW {e1:.3e}, vs plugin AdamW {e2:.3e}")
    print(f"  full rank, std, scale 1 == AdamW on permutation-basis gradients: max error {worst:.2e}")
    g = [[separated_matrix(rng, rows, cols)]]
    gal = galore_reference(params, g, [1.0], lr, betas, eps, 0.0, cols, 1, 1.0, "std")
    adam = hf_adamw_reference(params, g, [1.0], lr, betas, eps, 0.0)
    print(f"  (general gradient: full-rank GaLore differs from AdamW by "
          f"{np.abs(gal[0][0].ravel() - adam[0][0]).max():.2e}, as expected)")


def test_reload_bit_exact(rng):
    """A run resumed from saved state (save after step K, fresh optimizer, load, go on) is
    bit-for-bit the uninterrupted run: moments, step counts and the SVD basis are all
    saved. gap 3 refreshes the basis before steps 1, 4 and 7, so K = 3 resumes right before
    a refresh, K = 4 and 5 after one (the basis must come from the state, not an SVD)."""
    shapes = [(12, 6), (5, 11), (8, 8), (9,)]  # tall, wide, square, vector
    params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    steps = 8
    grads = [[separated_matrix(rng, *s) if len(s) == 2
              else (0.5 * rng.standard_normal(s)).astype(np.float32) for s in shapes]
             for _ in range(steps)]
    factors = [1.0, 0.5, 1.0, 0.8, 1.0, 0.3, 1.0, 0.9]
    cases = [(proj_type, (0.9, 0.99), 0.0, 0.25) for proj_type in PROJ_TYPES]
    cases += [("std", (0.0, 0.999), 0.1, 1.0),    # beta1 = 0: no momentum
              ("full", (0.5, 0.9), 0.1, 0.5),
              ("reverse_std", (0.95, 0.999), 0.0, 2.0)]
    n = 0
    for proj_type, betas, wd, scale in cases:
        yaml = opt_yaml(2e-2, betas, 1e-6, wd, 3, 3, scale, proj_type)
        want, _ = run_probe(yaml, params, grads, factors)
        for k in (1, 3, 4, 5):
            got, _ = run_probe(yaml, params, grads, factors, reload_after=k)
            same = len(got) == len(want) and all(
                np.array_equal(g, w) for gs, ws in zip(got, want) for g, w in zip(gs, ws))
            check(same, f"reload after step {k} ({proj_type} betas={betas} wd={wd} "
                        f"scale={scale}) differs from the uninterrupted run")
            n += 1
    print(f"  resume from saved state: bit-identical in {n} runs "
          f"(all proj_types, beta1 0/0.5/0.9/0.95, reload before/after a basis refresh)")


def test_state_bytes(rng):
    """State / AdamW's = (r*min + 2*max*r) / (2*rows*cols) = r/(2*max) + r/min for the std
    projection, which depends only on the ratios r/rows, r/cols. The probe parses its JSON
    input in time quadratic in the length of a tensor, so 256 x 256 runs without steps and
    the 256 x 1024 (rank 64) case runs at a quarter of each size (64 x 256, rank 16): same
    ratio, same formula."""
    for shape, rank, bound, steps in (((256, 256), 64, None, 0), ((64, 256), 16, 1 / 3, 2),
                                      ((256, 64), 16, 1 / 3, 2), ((64, 64), 8, 1 / 3, 2)):
        p = np.zeros(shape, np.float32)
        grads = [[separated_matrix(rng, *shape)] for _ in range(steps)]
        _, sb = run_probe(f"!partial:galore {{ rank: {rank}, update_proj_gap: 1 }}", [p], grads,
                          [1.0] * steps)
        want = expected_state_bytes([shape], rank, "std")
        adamw = 2 * 4 * shape[0] * shape[1]
        check(sb == want, f"state_bytes {shape} rank {rank}: {sb} != {want}")
        ratio = sb / adamw
        if bound is not None:
            check(ratio <= bound, f"state {shape} rank {rank}: {ratio:.3f} of AdamW > {bound:.3f}")
        print(f"  state {shape} rank {rank}: {sb} bytes = {ratio:.4f} of AdamW's {adamw}"
              + ("" if bound is not None else
                 " (r/(2*max) + r/min = 0.375: above 1/3 at this rank)"))


def fgrun_error(name, optimizer):
    """Runs fgrun train with the optimizer line at line 13 (as tests/integration/bad_inputs.sh);
    returns (exit code, output)."""
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "data.txt")
        with open(data, "w") as f:
            f.write("hello world, this is a tiny corpus for the galore bad input tests\n")
        cfg = os.path.join(d, f"{name}.yaml")
        with open(cfg, "w") as f:
            f.write("model: &model !singleton:causal_lm\n  vocab_size: 256\n  d_model: 16\n"
                    "  num_layers: 1\n  max_seq_len: 8\n  block: !partial:pre_norm_block\n"
                    "    attention: !partial:multihead { num_heads: 2 }\n"
                    "    feedforward: !partial:mlp {}\n"
                    "tok: &tok !singleton:byte_tokenizer {}\nmain: !singleton:simple\n"
                    "  model: *model\n"
                    f"  train_dataset: !singleton:text_file {{ path: {data}, tokenizer: *tok }}\n"
                    f"  optimizer: {optimizer}\n")
        out = subprocess.run([FGRUN, "train", cfg, "--runs-dir", os.path.join(d, "runs")],
                             capture_output=True, text=True, timeout=120)
        return out.returncode, out.stdout + out.stderr


def test_bad_params():
    cases = [
        ("neg_lr", "!partial:galore { lr: -1.0e-3, rank: 4 }", ["neg_lr.yaml:13:", "lr"]),
        ("big_rank", "!partial:galore { rank: 32 }",
         ["big_rank.yaml:13:", "rank 32 exceeds min(rows, cols) = 16 of '"]),
        ("bad_proj", "!partial:galore { rank: 4, proj_type: diagonal }",
         ["bad_proj.yaml:13:", "proj_type = 'diagonal' is not one of: std, reverse_std, left, "
                               "right, full"]),
        ("zero_gap", "!partial:galore { rank: 4, update_proj_gap: 0 }",
         ["zero_gap.yaml:13:", "update_proj_gap"]),
    ]
    for name, opt, wants in cases:
        rc, out = fgrun_error(name, opt)
        ok = rc == 1 and all(w in out for w in wants)
        check(ok, f"{name}: exit {rc}, expected 1 and {wants} in: {out.strip()[-400:]}")
        msg = out.strip().splitlines()[-1] if out.strip() else ""
        print(f"  {name}: {msg[:200]}")
    # the alias resolves to the same factory
    rc, out = fgrun_error("alias_rank", "!partial:galore_torch:GaLoreAdamW { rank: 99 }")
    check(rc == 1 and "rank 99 exceeds" in out, f"alias: {out.strip()[-300:]}")


def main():
    rng = np.random.default_rng(20240307)
    test_golden()
    test_against_reference(rng)
    test_rank_one_closed_form(rng)
    test_full_rank_identity(rng)
    test_state_bytes(rng)
    test_reload_bit_exact(rng)
    test_bad_params()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
