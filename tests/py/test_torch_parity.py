"""Forward parity with PyTorch: the same weights in an equivalent PyTorch model, written
here from the papers' definitions, give the same logits as our causal_lm plugin.

Two models, each 2 blocks wide enough for every piece to matter:
  A. multi-head attention with rotary embeddings (4 query heads over 2 key/value heads) +
     SwiGLU feed-forward + RMSNorm, no absolute positions, tied embeddings;
  B. ALiBi attention (6 heads: not a power of two, so the slope rule's second branch runs)
     + GELU MLP + LayerNorm, sinusoidal absolute positions over token embeddings scaled by
     sqrt(d_model), untied output projection.
Weights are drawn here (std 0.2, so attention is far from uniform and the logits spread),
written as safetensors, loaded by tests/tools/fg_model_probe; both sides run in float32.
Tolerance: max |difference| <= 2e-5 * max |logit| + 1e-5 (float32 round-off through two
blocks; a wrong pairing, slope or scale gives differences of order 1e-1)."""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fg_support import BUILD, Checks  # noqa: E402

V, C, L, T, B = 61, 48, 2, 24, 2


def write_safetensors(path, tensors):
    """The safetensors layout: 8-byte header length, JSON header, raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def alibi_slopes(n):
    """Press et al. (2022), as in their reference code."""
    def power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        return [start * start ** i for i in range(n)]
    if math.log2(n).is_integer():
        return power_of_2(n)
    m = 2 ** math.floor(math.log2(n))
    return power_of_2(m) + alibi_slopes(2 * m)[0::2][: n - m]


def rope(x, base):
    """RoFormer rotation with the rotate-half pairing (dim i with i + D/2); x [B, H, T, D]."""
    D = x.shape[-1]
    inv = base ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)
    ang = torch.arange(x.shape[2], dtype=torch.float64)[:, None] * inv[None, :]
    cos = torch.cat([ang.cos(), ang.cos()], -1).float()
    sin = torch.cat([ang.sin(), ang.sin()], -1).float()
    x1, x2 = x[..., : D // 2], x[..., D // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def sinusoidal(T, C):
    pos = torch.arange(T, dtype=torch.float64)[:, None]
    div = 10000.0 ** (torch.arange(0, C, 2, dtype=torch.float64) / C)
    pe = torch.zeros(T, C, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos / div)
    pe[:, 1::2] = torch.cos(pos / div)
    return pe.float()


def rmsnorm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def attention(x, W, p, H, Hkv, kind):
    Bx, Tx, _ = x.shape
    D = C // H
    qkv = F.linear(x, W[p + "qkv.weight"], W.get(p + "qkv.bias"))
    q, k, v = qkv.split([H * D, Hkv * D, Hkv * D], -1)
    q = q.view(Bx, Tx, H, D).transpose(1, 2)
    k = k.view(Bx, Tx, Hkv, D).transpose(1, 2)
    v = v.view(Bx, Tx, Hkv, D).transpose(1, 2)
    if kind == "rope":
        q, k = rope(q, 10000.0), rope(k, 10000.0)
    k = k.repeat_interleave(H // Hkv, dim=1)
    v = v.repeat_interleave(H // Hkv, dim=1)
    s = q @ k.transpose(-1, -2) / math.sqrt(D)
    i = torch.arange(Tx)
    if kind == "alibi":
        slopes = torch.tensor(alibi_slopes(H), dtype=torch.float32)
        s = s + slopes[:, None, None] * (i[None, :] - i[:, None]).float()
    s = s.masked_fill(i[None, :] > i[:, None], float("-inf"))
    y = (s.softmax(-1) @ v).transpose(1, 2).reshape(Bx, Tx, H * D)
    return F.linear(y, W[p + "proj.weight"], W.get(p + "proj.bias"))


def torch_logits(W, tokens, spec):
    x = W["wte.weight"][tokens] * spec.get("embedding_scale", 1.0)
    if spec["positional"] == "sinusoidal":
        x = x + sinusoidal(tokens.shape[1], C)
    if spec["norm"] == "rmsnorm":
        norm = lambda x, p: rmsnorm(x, W[p + "weight"], 1e-6)  # noqa: E731
    else:
        norm = lambda x, p: F.layer_norm(x, (C,), W[p + "weight"], W[p + "bias"], 1e-5)  # noqa: E731
    for layer in range(L):
        p = f"blocks.{layer}."
        x = x + attention(norm(x, p + "ln_1."), W, p + "attn.", spec["H"], spec["Hkv"], spec["attn"])
        h = norm(x, p + "ln_2.")
        if spec["ff"] == "swiglu":
            h = F.linear(F.silu(F.linear(h, W[p + "ff.gate.weight"])) * F.linear(h, W[p + "ff.up.weight"]),
                         W[p + "ff.proj.weight"])
        else:
            h = F.linear(F.gelu(F.linear(h, W[p + "ff.fc.weight"], W[p + "ff.fc.bias"]), approximate="tanh"),
                         W[p + "ff.proj.weight"], W[p + "ff.proj.bias"])
        x = x + h
    x = norm(x, "ln_f.")
    return F.linear(x, W.get("lm_head.weight", W["wte.weight"]))


MODELS = {
    "rope+swiglu+rmsnorm (GQA 4/2)": dict(
        H=4, Hkv=2, attn="rope", ff="swiglu", norm="rmsnorm", positional="none", tied=True,
        yaml="""
model: !singleton:causal_lm
  vocab_size: {V}
  d_model: {C}
  num_layers: {L}
  max_seq_len: {T}
  positional: none
  block: !partial:pre_norm_block
    attention: !partial:multihead {{ num_heads: 4, num_kv_heads: 2, positional: rope, bias: false }}
    feedforward: !partial:swiglu {{ d_hidden: 80 }}
    norm: !partial:rmsnorm {{ eps: 1.0e-6 }}
  final_norm: !partial:rmsnorm {{ eps: 1.0e-6 }}
"""),
    "alibi+mlp+layernorm (6 heads)": dict(
        H=6, Hkv=6, attn="alibi", ff="mlp", norm="layernorm", positional="sinusoidal", tied=False,
        embedding_scale=math.sqrt(C),
        yaml="""
model: !singleton:causal_lm
  vocab_size: {V}
  d_model: {C}
  num_layers: {L}
  max_seq_len: {T}
  positional: sinusoidal
  embedding_scale: {scale!r}
  tie_embeddings: false
  block: !partial:pre_norm_block
    attention: !partial:multihead {{ num_heads: 6, positional: alibi }}
    feedforward: !partial:mlp {{ activation: gelu }}
    norm: !partial:layernorm {{ eps: 1.0e-5 }}
  final_norm: !partial:layernorm {{ eps: 1.0e-5 }}
"""),
}


def weights_for(spec, rng):
    """Every parameter the plugin creates, by name, drawn from N(0, 0.2^2) (norm gains
    around 1)."""
    H, Hkv, D = spec["H"], spec["Hkv"], C // spec["H"]
    shapes = {"wte.weight": (V, C), "ln_f.weight": (C,)}
    if spec["norm"] == "layernorm":
        shapes["ln_f.bias"] = (C,)
    if not spec["tied"]:
        shapes["lm_head.weight"] = (V, C)
    for layer in range(L):
        p = f"blocks.{layer}."
        for n in ("ln_1.", "ln_2."):
            shapes[p + n + "weight"] = (C,)
            if spec["norm"] == "layernorm":
                shapes[p + n + "bias"] = (C,)
        shapes[p + "attn.qkv.weight"] = ((H + 2 * Hkv) * D, C)
        shapes[p + "attn.proj.weight"] = (C, H * D)
        if spec["attn"] == "alibi":
            shapes[p + "attn.qkv.bias"] = ((H + 2 * Hkv) * D,)
            shapes[p + "attn.proj.bias"] = (C,)
        if spec["ff"] == "swiglu":
            shapes.update({p + "ff.gate.weight": (80, C), p + "ff.up.weight": (80, C), p + "ff.proj.weight": (C, 80)})
        else:
            shapes.update({p + "ff.fc.weight": (4 * C, C), p + "ff.fc.bias": (4 * C,),
                           p + "ff.proj.weight": (C, 4 * C), p + "ff.proj.bias": (C,)})
    W = {}
    for name, shape in shapes.items():
        a = rng.normal(0.0, 0.2, shape)
        if ".ln_" in name or name.startswith("ln_f"):
            a = (1.0 + a) if name.endswith("weight") else a
        W[name] = a.astype(np.float32)
    return W


def main():
    checks = Checks("torch parity")
    probe = os.path.join(BUILD, "bin", "fg_model_probe")
    rng = np.random.default_rng(7)
    torch.set_num_threads(1)
    for label, spec in MODELS.items():
        with tempfile.TemporaryDirectory() as d:
            W = weights_for(spec, rng)
            write_safetensors(os.path.join(d, "w.safetensors"), W)
            with open(os.path.join(d, "model.yaml"), "w") as f:
                f.write(spec["yaml"].format(V=V, C=C, L=L, T=T, scale=spec.get("embedding_scale", 1.0)))
            tokens = rng.integers(0, V, size=(B, T)).astype("<i4")
            tokens.tofile(os.path.join(d, "tokens.i32"))
            run = subprocess.run([probe, os.path.join(d, "model.yaml"), os.path.join(d, "w.safetensors"),
                                  os.path.join(d, "tokens.i32"), str(B), str(T), os.path.join(d, "out.f32")],
                                 capture_output=True, text=True)
            checks.check(run.returncode == 0, f"{label}: probe failed: {run.stderr.strip()}")
            if run.returncode != 0:
                continue
            ours = np.fromfile(os.path.join(d, "out.f32"), dtype="<f4").reshape(B, T, V)
            with torch.no_grad():
                ref = torch_logits({k: torch.from_numpy(v) for k, v in W.items()},
                                   torch.from_numpy(tokens.astype(np.int64)), spec).numpy()
            diff = float(np.abs(ours - ref).max())
            tol = 2e-5 * float(np.abs(ref).max()) + 1e-5
            print(f"{label}: max |logit| {np.abs(ref).max():.3f}, max |difference| {diff:.2e} (tolerance {tol:.2e})")
            checks.check(diff <= tol, f"{label}: logits differ by {diff:.3e} > {tol:.3e}")
            # The loss path of the same forward against PyTorch's cross-entropy.
            ref_loss = F.cross_entropy(torch.from_numpy(ref[:, :-1].reshape(-1, V)),
                                       torch.from_numpy(tokens[:, 1:].reshape(-1).astype(np.int64))).item()
            our_loss = float(run.stdout.strip())
            checks.check(abs(our_loss - ref_loss) <= 1e-4 * max(1.0, abs(ref_loss)),
                         f"{label}: loss {our_loss} vs PyTorch {ref_loss}")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
