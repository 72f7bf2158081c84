"""Positional encodings inside attention, forward, against independent NumPy references:
rotary embedding (fg_op_rope) and attention with linear biases (fg_op_attention with
FG_ATTN_ALIBI), both run through tests/tools/fg_op_probe.

RoPE is written from the RoFormer definition (Su et al. 2021) with the "rotate half"
pairing of GPT-NeoX and HF LLaMA: dims i and i + D/2 of a head form the pair rotated by
pos * base^(-2i/D). ALiBi is written from Press et al. 2022: scores get -m_h * (i - j) for
query i and key j, with the head slopes m_h of the paper's get_slopes (reproduced below);
the reference is softmax(Q K^T * scale + bias + causal mask) V in float64 (first without
the bias, which checks probe and reference alone). The op computes in float32, so the
tolerance is 1e-5 relative (plus 1e-6 absolute for values near 0).
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fg_support import BUILD, Checks  # noqa: E402

ATOL, RTOL = 1e-6, 1e-5
checks = Checks("test_positional_numpy")
check = checks.check


def probe(op, inputs, attributes):
    """The op's output as a float64 array; raises with the probe's message on failure."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "input.json")
        with open(path, "w") as f:
            json.dump({"op": op, "attributes": attributes,
                       "inputs": {k: {"shape": list(v.shape), "data": v.ravel().tolist()}
                                  for k, v in inputs.items()}}, f)
        out = subprocess.run([os.path.join(BUILD, "bin", "fg_op_probe"), path],
                             capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    res = json.loads(out.stdout)
    return np.array(res["data"], dtype=np.float64).reshape(res["shape"])


def compare(name, got, want):
    err = np.abs(got - want)
    worst = float(err.max())
    check(got.shape == want.shape and np.all(err <= ATOL + RTOL * np.abs(want)),
          f"{name}: max error {worst:.3e}")
    print(f"  {name}: max |op - numpy| = {worst:.2e}")


# ---- RoPE --------------------------------------------------------------------------------

def rope_reference(x, n_heads, head_dim, base):
    """x [B, T, W]: the first n_heads heads of head_dim columns rotate, the rest pass."""
    x = x.astype(np.float64)
    B, T, W = x.shape
    half = head_dim // 2
    inv_freq = base ** (-np.arange(half) * 2.0 / head_dim)      # theta_i = base^(-2i/D)
    angle = np.arange(T)[:, None] * inv_freq[None, :]            # [T, D/2]
    cos = np.concatenate([np.cos(angle)] * 2, axis=-1)           # [T, D], cos for i and i+D/2
    sin = np.concatenate([np.sin(angle)] * 2, axis=-1)
    out = x.copy()
    for h in range(n_heads):
        q = x[:, :, h * head_dim:(h + 1) * head_dim]
        rotate_half = np.concatenate([-q[..., half:], q[..., :half]], axis=-1)
        out[:, :, h * head_dim:(h + 1) * head_dim] = q * cos + rotate_half * sin
    return out


def check_rope(rng):
    cases = [  # (B, T, W, n_heads, head_dim, base)
        (2, 7, 32, 3, 8, 10000.0),   # packed qkv of 2 + 1 + 1 heads: v passes through
        (1, 5, 12, 3, 4, 500.0),     # every column rotates
        (2, 4, 11, 1, 6, 10.0),      # an odd number of columns left over
        (1, 300, 16, 2, 8, 10000.0),  # long enough for large angles
    ]
    for B, T, W, H, D, base in cases:
        x = rng.standard_normal((B, T, W)).astype(np.float32)
        got = probe("rope", {"x": x}, {"n_heads": H, "head_dim": D, "base": base})
        compare(f"rope B={B} T={T} W={W} heads={H} D={D} base={base:g}", got,
                rope_reference(x, H, D, base))


# ---- ALiBi -------------------------------------------------------------------------------

def get_slopes(n):
    """Head slopes from the ALiBi paper's reference code (ofirpress/attention_with_linear_biases)."""
    def get_slopes_power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        ratio = start
        return [start * ratio ** i for i in range(n)]
    if math.log2(n).is_integer():
        return get_slopes_power_of_2(n)
    closest_power_of_2 = 2 ** math.floor(math.log2(n))
    return (get_slopes_power_of_2(closest_power_of_2)
            + get_slopes(2 * closest_power_of_2)[0::2][:n - closest_power_of_2])


def attention_reference(qkv, H, Hkv, D, alibi):
    """qkv [B, T, (H + 2 Hkv) D], causal, scale 1/sqrt(D), linear biases when alibi; query
    head h reads key/value head h // (H / Hkv). Returns [B, T, H D]."""
    qkv = qkv.astype(np.float64)
    B, T, _ = qkv.shape
    q = qkv[:, :, :H * D].reshape(B, T, H, D)
    k = qkv[:, :, H * D:(H + Hkv) * D].reshape(B, T, Hkv, D)
    v = qkv[:, :, (H + Hkv) * D:].reshape(B, T, Hkv, D)
    slopes = np.array(get_slopes(H)) if alibi else np.zeros(H)
    i, j = np.arange(T)[:, None], np.arange(T)[None, :]
    mask = np.where(j <= i, 0.0, -np.inf)
    out = np.zeros((B, T, H, D))
    for h in range(H):
        kv = h // (H // Hkv)
        scores = np.einsum("btd,bsd->bts", q[:, :, h], k[:, :, kv]) / math.sqrt(D)
        scores = scores - slopes[h] * (i - j) + mask
        p = np.exp(scores - scores.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        out[:, :, h] = np.einsum("bts,bsd->btd", p, v[:, :, kv])
    return out.reshape(B, T, H * D)


def check_attention(rng):
    """Plain causal attention first, so the probe and the reference are checked on their
    own; then ALiBi with head counts that are powers of 2 and not, and grouped heads."""
    cases = [(False, "auto", 4, 4, 8)] + [(True, impl, H, Hkv, D) for impl in ("plain", "lean")
                                          for H, Hkv, D in ((4, 4, 8), (6, 6, 4), (6, 2, 4))]
    for alibi, impl, H, Hkv, D in cases:
        name = f"{'alibi' if alibi else 'causal'} H={H} Hkv={Hkv} D={D} impl={impl}"
        B, T = 2, 9
        qkv = rng.standard_normal((B, T, (H + 2 * Hkv) * D)).astype(np.float32)
        try:
            got = probe("attention", {"qkv": qkv},
                        {"num_heads": H, "num_kv_heads": Hkv, "causal": True, "alibi": alibi,
                         "impl": impl})
        except RuntimeError as e:
            check(False, f"{name}: {e}")
            continue
        compare(name, got, attention_reference(qkv, H, Hkv, D, alibi))


def check_slopes():
    """The paper's slopes for 8 heads are 1/2, 1/4, ..., 1/256."""
    check(np.allclose(get_slopes(8), [2.0 ** -(k + 1) for k in range(8)], rtol=0, atol=0),
          "get_slopes(8) is not 2^-1 .. 2^-8")


def main():
    rng = np.random.default_rng(0)
    check_slopes()
    check_rope(rng)
    check_attention(rng)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
