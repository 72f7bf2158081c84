"""APOLLO / APOLLO-Mini plugin (plugins/optimizers/apollo*.c) vs an independent NumPy
reference, closed-form identities, state_bytes bounds and bad-parameter errors.

The reference below is a float64 transcription of zhuhanqing/APOLLO
apollo_torch/apollo.py (AdamW.step with a `rank` group, proj_type 'std') and
random_projector.py (GradientProjector.project), as summarised in
/work/shared/reference/schedules_optimizers.md section B.4. It is first checked against
that document's golden numbers (section C.4, with its injected projections), so it is not a
copy of the plugin. The plugin's projections come from its documented splitmix64 +
Box-Muller generator (header of apollo_projection.c), re-implemented here; torch.randn is
out of scope (doc C.1), and torch 1.13 has no APOLLO, so there is no torch.optim
comparison.

Tolerance: the plugin computes moments and updates in fp32 (norms in fp64) from the same
fp32 projection; the reference is fp64. Over 7 steps with updates of order lr*sqrt(scale),
the errors stay near fp32 rounding of the parameters: 2e-6 absolute + 1e-5 relative.
"""
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fg_support import BUILD, Checks, compare_steps, run_probe  # noqa: E402

FGRUN = os.path.join(BUILD, "bin", "fgrun")
ATOL, RTOL = 2e-6, 1e-5
checks = Checks("test_apollo")
check = checks.check


def compare(name, got, want, atol=ATOL, rtol=RTOL):
    return compare_steps(check, name, got, want, atol, rtol)

# ---- the plugin's documented projection generator (apollo_projection.c) ----
M64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def mix64(z):
    z &= M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def first_seed(seed, k):
    return mix64(seed + (k + 1) * GAMMA)


def next_seed(s):
    return mix64(s + GAMMA)


def gaussian(seed, shape, rank):
    """P with entries N(0, 1/rank), row-major, as the plugin draws it (fp32 values)."""
    n = int(np.prod(shape))
    pairs = (n + 1) // 2
    xs = [mix64(seed + i * GAMMA) for i in range(1, 2 * pairs + 1)]
    a = np.array(xs[0::2], dtype=np.uint64)
    b = np.array(xs[1::2], dtype=np.uint64)
    u1 = ((a >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0 ** -53
    u2 = (b >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    rad = np.sqrt(-2.0 * np.log(u1))
    scale = 1.0 / math.sqrt(rank)
    z = np.empty(2 * pairs)
    z[0::2] = rad * np.cos(2.0 * np.pi * u2) * scale
    z[1::2] = rad * np.sin(2.0 * np.pi * u2) * scale
    return z[:n].astype(np.float32).astype(np.float64).reshape(shape)


def plugin_projection(seed):
    """proj_fn for the reference: parameter k's j-th projection under the plugin's seeds."""
    def proj(k, j, shape, rank):
        s = first_seed(seed, k)
        for _ in range(j):
            s = next_seed(s)
        return gaussian(s, shape, rank)
    return proj


# ---- the reference (float64), transcribed from apollo_torch/apollo.py ----
def apollo_reference(params, grads, factors, hp, proj_fn):
    lr, (b1, b2), eps, wd = hp["lr"], hp["betas"], hp["eps"], hp["wd"]
    scale, gap, tensor, nl = hp["scale"], hp["gap"], hp["scale_type"] == "tensor", hp["nl"]
    p = [x.astype(np.float64).copy() for x in params]
    st = [dict(step=0, refresh=0, m=None, v=None, P=None, prev=None) for _ in p]
    history = []
    for step_grads, factor in zip(grads, factors):
        lr_t = lr * factor
        for k, g in enumerate(step_grads):
            s, g = st[k], g.astype(np.float64).reshape(p[k].shape)
            low = p[k].ndim == 2
            if low:
                rows, cols = g.shape
                rank = hp["ranks"][k]
                # GradientProjector.project: refresh when iter % gap == 0 (pre-increment step)
                if s["step"] % gap == 0:
                    shape = (rank, cols) if rows >= cols else (rows, rank)
                    s["P"] = proj_fn(k, s["refresh"], shape, rank)
                    s["refresh"] += 1
                R = g @ s["P"].T if rows >= cols else s["P"].T @ g
            else:
                R = g
            if s["m"] is None:
                s["m"], s["v"] = np.zeros_like(R), np.zeros_like(R)
            s["m"] = b1 * s["m"] + (1 - b1) * R
            s["v"] = b2 * s["v"] + (1 - b2) * R * R
            s["step"] += 1
            N = s["m"] / (np.sqrt(s["v"]) + eps)
            ss = lr_t * math.sqrt(1 - b2 ** s["step"]) / (1 - b1 ** s["step"])
            if low:
                if not tensor:
                    norm_dim = 0 if N.shape[0] < N.shape[1] else 1
                    sf = np.linalg.norm(N, axis=norm_dim) / (np.linalg.norm(R, axis=norm_dim) + 1e-8)
                    if norm_dim == 1:
                        sf = sf[:, None]
                else:
                    sf = np.linalg.norm(N) / (np.linalg.norm(R) + 1e-8)
                S = g * sf
                if nl:
                    if s["prev"] is None:
                        s["prev"] = np.linalg.norm(S)
                    else:
                        norm_s = np.linalg.norm(S)
                        lim = max(norm_s / (s["prev"] + 1e-8), 1.01) / 1.01
                        S = S / lim
                        s["prev"] = norm_s / lim
                N = S * math.sqrt(scale)
            p[k] = p[k] - ss * N
            if wd > 0:
                p[k] = p[k] - lr_t * wd * p[k]
        history.append([x.copy() for x in p])
    return history


def yaml_of(factory, hp, rank):
    return (f"!partial:{factory} {{ lr: {hp['lr']}, betas: [{hp['betas'][0]}, {hp['betas'][1]}], "
            f"eps: {hp['eps']}, weight_decay: {hp['wd']}, rank: {rank}, "
            f"update_proj_gap: {hp['gap']}, scale: {hp['scale']}, scale_type: {hp['scale_type']}, "
            f"seed: {hp['seed']}, norm_growth_limiter: {'true' if hp['nl'] else 'false'} }}")


def golden_reference_check():
    """The transcription reproduces the doc's section C.4 numbers with its projections."""
    P = np.array([[0.126, -0.132, 0.64], [0.105, -0.536, 0.362], [1.304, 0.947, -0.704],
                  [-1.265, -0.623, 0.041]])
    G = [np.array(x) for x in (
        [[-2.325, -0.219, -1.246], [-0.732, -0.544, -0.316], [0.412, 1.043, -0.129], [1.366, -0.665, 0.352]],
        [[0.903, 0.094, -0.743], [-0.922, -0.458, 0.22], [-1.01, -0.209, -0.159], [0.541, 0.215, 0.355]],
        [[-0.654, -0.13, 0.784], [1.493, -1.259, 1.514], [1.346, 0.781, 0.264], [-0.314, 1.458, 1.96]])]
    Pa = np.array([[1.2739, 0.9299, 0.2527], [-0.8544, -0.0031, 0.4642]])
    Pb = np.array([[-0.911, 0.2794, 0.304], [0.4922, -0.8373, -0.4679]])
    channel = np.array([[0.1329080902, -0.1313022807, 0.6459550728], [0.1132213146, -0.5229532637, 0.3575144941],
                        [1.2999953618, 0.9364164239, -0.7029142752], [-1.2835193232, -0.6229408709, 0.0290234148]])
    mini = np.array([[0.2418060331, -0.1195495163, 0.7552731321], [0.1750458711, -0.4245088679, 0.3191798181],
                     [1.3060837555, 0.8650717993, -0.6919388821], [-1.3889023440, -0.6395233493, -0.0721924403]])
    for scale_type, scale, want in (("channel", 1.0, channel), ("tensor", 128.0, mini)):
        hp = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-6, wd=0.0, scale=scale, gap=2,
                  scale_type=scale_type, nl=True, ranks=[2])
        got = apollo_reference([P], [[g] for g in G], [1.0] * 3, hp,
                               lambda k, j, shape, rank: (Pa, Pb)[j])[-1][0]
        err = float(np.abs(got - want).max())
        check(err < 1e-9, f"reference vs doc C.4 golden ({scale_type}): max error {err:.2e}")
        print(f"  reference transcription vs doc C.4 golden, {scale_type}: max error {err:.1e}")


def make_inputs():
    rng = np.random.default_rng(7)
    shapes = [(6, 4), (3, 7), (5, 5), (5,)]  # tall, wide, square, vector
    params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    steps = 7
    grads = [[(rng.standard_normal(s) * 0.5).astype(np.float32) for s in shapes] for _ in range(steps)]
    for g in grads[4]:  # a gradient surge: the norm-growth limiter must bind at step 5
        g *= 10
    factors = [1.0, 0.9, 0.5, 1.0, 0.7, 0.3, 1.0]
    return params, grads, factors


def reference_cases(params, grads, factors):
    base = dict(lr=1e-2, betas=(0.9, 0.99), eps=1e-6, wd=0.1, gap=3, seed=11, nl=True)
    cases = [
        ("apollo", dict(base, scale=1.0, scale_type="channel"), 2),
        ("apollo", dict(base, scale=2.0, scale_type="channel", nl=False), 3),
        ("apollo", dict(base, scale=1.0, scale_type="tensor", seed=0), 2),
        ("apollo_mini", dict(base, scale=128.0, scale_type="tensor", wd=0.0), 1),
    ]
    worst = 0.0
    for factory, hp, rank in cases:
        got, _ = run_probe(yaml_of(factory, hp, rank), params, grads, factors)
        hp = dict(hp, ranks=[rank if p.ndim == 2 else 0 for p in params])
        want = apollo_reference(params, grads, factors, hp, plugin_projection(hp["seed"]))
        name = f"{factory} {hp['scale_type']} rank {rank} scale {hp['scale']} nl={hp['nl']}"
        worst = max(worst, compare(name, got, want))
    # rank 0: automatic min(256, max(1, min(rows, cols)/4)) -> 2 on an 8 x 12 matrix
    auto = [np.linspace(-1, 1, 96, dtype=np.float32).reshape(8, 12)]
    auto_grads = [[np.cos(np.arange(96, dtype=np.float32) * (t + 1)).reshape(8, 12)] for t in range(5)]
    hp = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-6, wd=0.0, gap=2, seed=0, nl=True, scale=1.0,
              scale_type="channel")
    got, sb = run_probe("!partial:apollo { update_proj_gap: 2, lr: 1.0e-2 }", auto, auto_grads, [1.0] * 5)
    want = apollo_reference(auto, auto_grads, [1.0] * 5, dict(hp, ranks=[2]), plugin_projection(0))
    worst = max(worst, compare("apollo defaults, rank 0 -> 2 on 8x12", got, want))
    check(sb == 4 * 2 * 2 * 12 + 16, f"auto rank state_bytes {sb} != {4 * 2 * 2 * 12 + 16}")
    return worst


def identity_checks(params, grads, factors):
    # 1. Vectors take the HF-legacy AdamW path: eps before bias correction, decay after.
    lr, b1, b2, eps, wd = 1e-2, 0.9, 0.99, 1e-6, 0.1
    hp = dict(lr=lr, betas=(b1, b2), eps=eps, wd=wd, gap=3, seed=11, nl=True, scale=1.0,
              scale_type="channel")
    got, _ = run_probe(yaml_of("apollo", hp, 2), params, grads, factors)
    p, m, v = params[3].astype(np.float64), 0.0, 0.0
    worst = 0.0
    for t in range(1, len(grads) + 1):
        g, lr_t = grads[t - 1][3].astype(np.float64), lr * factors[t - 1]
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        p = p - lr_t * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
        p = p * (1 - lr_t * wd)
        err = np.abs(got[t - 1][3] - p)
        worst = max(worst, float(err.max()))
        check(np.all(err <= ATOL + RTOL * np.abs(p)), f"vector AdamW formula: step {t} error {err.max():.2e}")
    print(f"  vectors follow HF-legacy AdamW: max error {worst:.2e}")

    # 2. Step-1 closed form (doc C.2): with eps -> 0, N = (1-b1)/sqrt(1-b2) sign(R), so the
    #    update is lr*sqrt(scale)*sqrt(r)*G_c/||R_c|| per channel (rows of a tall G, columns
    #    of a wide one) and lr*sqrt(scale)*sqrt(numel R)*G/||R||_F per tensor, whatever the betas.
    for factory, scale_type, scale, rank in (("apollo", "channel", 2.0, 2), ("apollo_mini", "tensor", 128.0, 1)):
        hp = dict(lr=1e-3, betas=(0.8, 0.95), eps=1e-12, wd=0.0, gap=3, seed=5, nl=True, scale=scale,
                  scale_type=scale_type)
        got, _ = run_probe(yaml_of(factory, hp, rank), params[:3], [grads[0][:3]], [1.0])
        proj = plugin_projection(5)
        worst = 0.0
        for k in range(3):
            g = grads[0][k].astype(np.float64)
            rows, cols = g.shape
            P = proj(k, 0, (rank, cols) if rows >= cols else (rows, rank), rank)
            R = g @ P.T if rows >= cols else P.T @ g
            if scale_type == "tensor":
                upd = math.sqrt(R.size) * g / np.linalg.norm(R)
            elif rows >= cols:
                upd = math.sqrt(rank) * g / np.linalg.norm(R, axis=1)[:, None]
            else:
                upd = math.sqrt(rank) * g / np.linalg.norm(R, axis=0)[None, :]
            want = params[k].astype(np.float64) - 1e-3 * math.sqrt(scale) * upd
            err = np.abs(got[0][k] - want)
            worst = max(worst, float(err.max()))
            check(np.all(err <= ATOL + RTOL * np.abs(want)), f"{factory} step-1 closed form: param {k} error {err.max():.2e}")
        print(f"  {factory} step-1 closed form ({scale_type}): max error {worst:.2e}")

    # 3. Norm-growth limiter (doc C.2): feeding 10*g at step 2 caps ||S_2|| at 1.01*||S_1||.
    #    With wd = 0, S_t = -(p_t - p_{t-1}) / (ss_t sqrt(scale)), ss_t = lr sqrt(1-b2^t)/(1-b1^t).
    g0 = [grads[0][k] for k in range(3)]
    lr, b1, b2 = 1e-3, 0.9, 0.999
    for scale_type in ("channel", "tensor"):
        hp = dict(lr=lr, betas=(b1, b2), eps=1e-6, wd=0.0, gap=100, seed=3, nl=True, scale=1.0,
                  scale_type=scale_type)
        got, _ = run_probe(yaml_of("apollo", hp, 2), params[:3], [g0, [10 * g for g in g0]], [1.0, 1.0])
        for k in range(3):
            ss1, ss2 = lr * math.sqrt(1 - b2) / (1 - b1), lr * math.sqrt(1 - b2 ** 2) / (1 - b1 ** 2)
            s1 = np.linalg.norm(got[0][k] - params[k]) / ss1
            s2 = np.linalg.norm(got[1][k] - got[0][k]) / ss2
            check(abs(s2 / s1 - 1.01) < 1e-4, f"limiter ({scale_type}) param {k}: ||S2||/||S1|| = {s2 / s1:.6f}")
        print(f"  limiter ({scale_type}): ||S_2|| / ||S_1|| = {s2 / s1:.6f} (1.01 expected)")

    # 4. Determinism and the seed: the same config repeats bit for bit; another seed differs.
    hp = dict(lr=1e-2, betas=(0.9, 0.99), eps=1e-6, wd=0.0, gap=3, seed=11, nl=True, scale=1.0,
              scale_type="channel")
    a, _ = run_probe(yaml_of("apollo", hp, 2), params, grads, factors)
    b, _ = run_probe(yaml_of("apollo", hp, 2), params, grads, factors)
    c, _ = run_probe(yaml_of("apollo", dict(hp, seed=12), 2), params, grads, factors)
    check(all(np.array_equal(x, y) for x, y in zip(a[-1], b[-1])), "repeat run differs")
    check(not np.array_equal(a[-1][0], c[-1][0]), "seed 12 gives the same result as seed 11")


def reload_checks(params, grads, factors):
    """A run resumed from saved state (save after step K, fresh optimizer, load, go on) is
    bit-for-bit the uninterrupted run: moments, step counts, projection seeds and the
    limiter's norm are all saved. gap 3 refreshes the projection before steps 1, 4 and 7;
    the gradient surge at step 5 makes the limiter bind, so its history must survive."""
    base = dict(lr=1e-2, betas=(0.9, 0.99), eps=1e-6, wd=0.1, gap=3, seed=11, nl=True)
    cases = [
        ("apollo", dict(base, scale=1.0, scale_type="channel"), 2),
        ("apollo", dict(base, scale=2.0, scale_type="channel", nl=False), 3),
        ("apollo", dict(base, scale=1.0, scale_type="tensor", seed=0, betas=(0.0, 0.999)), 2),
        ("apollo", dict(base, scale=1.0, scale_type="channel", betas=(0.5, 0.9), gap=1), 2),
        ("apollo_mini", dict(base, scale=128.0, scale_type="tensor", wd=0.0), 1),
    ]
    n = 0
    for factory, hp, rank in cases:
        yaml = yaml_of(factory, hp, rank)
        want, _ = run_probe(yaml, params, grads, factors)
        for k in (1, 3, 4, 5):
            got, _ = run_probe(yaml, params, grads, factors, reload_after=k)
            same = len(got) == len(want) and all(
                np.array_equal(g, w) for gs, ws in zip(got, want) for g, w in zip(gs, ws))
            check(same, f"reload after step {k} ({factory} rank {rank} {hp['scale_type']} "
                        f"betas={hp['betas']} gap={hp['gap']} nl={hp['nl']}) differs from "
                        f"the uninterrupted run")
            n += 1
    print(f"  resume from saved state: bit-identical in {n} runs "
          f"(apollo/apollo_mini, beta1 0/0.5/0.9, limiter on/off, before/after refreshes)")


def state_bytes_checks():
    """Default rank on 256x256 + 256x1024: APOLLO <= 1/3 of AdamW; APOLLO-Mini <= SGD momentum."""
    shapes = [(256, 256), (256, 1024)]
    params = [np.zeros(s, dtype=np.float32) for s in shapes]
    numel = sum(p.size for p in params)
    # AdamW holds m and v, fp32 each (adamw.c, bind_state: 2 x 4 bytes per element). It is
    # not run here: the probe reads its JSON input in O(n^2) (cJSON_GetArrayItem per element),
    # about a minute per run at this size, so only the two APOLLO factories are run.
    adamw = 4 * 2 * numel
    _, apollo = run_probe("!partial:apollo {}", params, [], [])
    _, mini = run_probe("!partial:apollo_mini {}", params, [], [])
    # rank 0 -> min(256, 256/4) = 64; moments m, v: rank x max(rows, cols) fp32 each;
    # 16 bytes per matrix: projection seed and limiter norm (the projection is regenerated)
    want_apollo = 4 * 2 * (64 * 256 + 64 * 1024) + 16 * 2
    want_mini = 4 * 2 * (1 * 256 + 1 * 1024) + 16 * 2
    check(apollo == want_apollo, f"apollo state_bytes {apollo} != {want_apollo}")
    check(mini == want_mini, f"apollo_mini state_bytes {mini} != {want_mini}")
    check(apollo * 3 <= adamw, f"apollo state {apollo} exceeds 1/3 of adamw's {adamw}")
    sgd_momentum = 4 * numel
    check(mini <= sgd_momentum, f"apollo_mini state {mini} exceeds SGD momentum's {sgd_momentum}")
    print(f"  state_bytes: adamw {adamw}, apollo {apollo} ({apollo / adamw:.4f} of adamw), "
          f"apollo_mini {mini} ({mini / sgd_momentum:.4f} of SGD momentum {sgd_momentum})")


TRAIN_CONFIG = """model: &model !singleton:causal_lm
  vocab_size: 256
  d_model: 16
  num_layers: 1
  max_seq_len: 8
  block: !partial:pre_norm_block
    attention: !partial:multihead {{ num_heads: 2 }}
    feedforward: !partial:mlp {{}}
tok: &tok !singleton:byte_tokenizer {{}}
main: !singleton:simple
  model: *model
  train_dataset: !singleton:text_file {{ path: {data}, tokenizer: *tok }}
  args: {{ max_steps: 3, batch_size: 2, eval_batches: 0, sample_tokens: 0, save_model: false, logging_steps: 0 }}
  optimizer: {opt}
"""


def bad_parameter_checks():
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "data.txt")
        with open(data, "w") as f:
            f.write("hello world, this is a tiny corpus for the apollo tests\n" * 4)

        def train(name, opt):
            cfg = os.path.join(d, name + ".yaml")
            with open(cfg, "w") as f:
                f.write(TRAIN_CONFIG.format(data=data, opt=opt))
            out = subprocess.run([FGRUN, "train", cfg, "--runs-dir", os.path.join(d, "runs")],
                                 capture_output=True, text=True)
            return out.returncode, out.stdout + out.stderr

        rc, out = train("good", "!partial:apollo { lr: 1.0e-2, rank: 4, update_proj_gap: 2 }")
        check(rc == 0, f"training with apollo failed (rc {rc}): {out[-500:]}")
        rc, out = train("good_mini", "!partial:apollo_mini {}")
        check(rc == 0, f"training with apollo_mini failed (rc {rc}): {out[-500:]}")
        # optimizer is on line 14 of the config
        cases = [
            ("negative_lr", "!partial:apollo { lr: -1.0e-3 }", ["negative_lr.yaml:14:", "lr = -0.001 is out of range"]),
            ("rank_too_large", "!partial:apollo { rank: 64 }",
             ["rank_too_large.yaml:14:", "rank 64 exceeds min(rows, cols) = 16 of"]),
            ("bad_scale_type", "!partial:apollo { scale_type: row }",
             ["bad_scale_type.yaml:14:", "scale_type = 'row' is not one of: channel, tensor"]),
            ("bad_proj", "!partial:apollo_mini { proj: svd }", ["bad_proj.yaml:14:", "'svd' is not one of"]),
            ("zero_gap", "!partial:apollo { update_proj_gap: 0 }", ["zero_gap.yaml:14:", "update_proj_gap = 0 is out of range"]),
        ]
        for name, opt, wants in cases:
            rc, out = train(name, opt)
            ok = rc == 1 and all(w in out for w in wants)
            check(ok, f"{name}: rc {rc}, output lacks {wants}: {out.strip()[-400:]}")
            if ok:
                print(f"  {name}: {out.strip().splitlines()[-1][:200]}")


def main():
    golden_reference_check()
    params, grads, factors = make_inputs()
    reference_cases(params, grads, factors)
    identity_checks(params, grads, factors)
    state_bytes_checks()
    reload_checks(params, grads, factors)
    bad_parameter_checks()
    print(f"  tolerance: {ATOL} absolute + {RTOL} relative (fp32 plugin vs fp64 reference)")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
