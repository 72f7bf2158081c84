"""The PyTorch side of bench/cpu_vs_pytorch: the same GPT as our causal_lm (the shape of
bench/tiny_gpt.yaml by default), trained the same way on the CPU, timed the same way.

Model (mirrors our causal_lm + pre_norm_block + multihead + mlp + layernorm plugins):
byte vocabulary (256), token embedding wte [V, C] tied to the LM head, learned positions
wpe [T, C]; N pre-norm blocks: x += proj(attn(LN(x))) with a fused qkv Linear(C, 3C) and
causal softmax attention, then x += fc2(gelu_tanh(fc(LN(x)))) with hidden 4C; final LN;
logits = x @ wte^T; mean cross-entropy. LayerNorms have bias, eps 1e-5; no dropout.
Training: AdamW (betas 0.9/0.999, eps 1e-8, weight decay on every parameter), constant
learning rate, gradient clipping at norm 1.0, batches of random byte windows.

Prints one JSON line: tokens/s over the steps after --warmup-steps, the steps, final loss,
the process's peak RSS (getrusage ru_maxrss) and the OpenBLAS core type torch's BLAS runs.
Run it with Debian's /usr/bin/python3 (python3-torch)."""
import argparse
import ctypes
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d_model, n_heads, seq_len):
        super().__init__()
        self.n_heads = n_heads
        self.ln1 = nn.LayerNorm(d_model, eps=1e-5)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model, eps=1e-5)
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.fc2 = nn.Linear(4 * d_model, d_model)
        mask = torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, seq_len, seq_len), persistent=False)

    def attention(self, x):
        B, T, C = x.shape
        hd = C // self.n_heads
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.n_heads, hd).transpose(1, 2)  # (B, H, T, hd)
        k = k.view(B, T, self.n_heads, hd).transpose(1, 2)
        v = v.view(B, T, self.n_heads, hd).transpose(1, 2)
        if hasattr(F, "scaled_dot_product_attention"):  # PyTorch >= 2.0
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
            att = att.masked_fill(~self.mask[:, :, :T, :T], float("-inf"))
            att = F.softmax(att, dim=-1)
            y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)

    def forward(self, x):
        x = x + self.attention(self.ln1(x))
        x = x + self.fc2(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))
        return x


class TinyGPT(nn.Module):
    def __init__(self, vocab, d_model, n_layers, n_heads, seq_len):
        super().__init__()
        self.wte = nn.Embedding(vocab, d_model)
        self.wpe = nn.Embedding(seq_len, d_model)
        self.blocks = nn.ModuleList(Block(d_model, n_heads, seq_len) for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(d_model, eps=1e-5)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, idx, targets):
        B, T = idx.shape
        pos = torch.arange(T, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.blocks:
            x = block(x)
        x = self.ln_f(x)
        logits = x @ self.wte.weight.t()  # tied LM head
        return F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))


def blas_core():
    """The core type of the OpenBLAS loaded into this process (torch's libblas.so.3 is
    Debian's OpenBLAS through the alternatives link), or a note why it is unknown."""
    for name in ("libopenblas.so.0", "libblas.so.3"):
        try:
            lib = ctypes.CDLL(name, mode=os.RTLD_NOLOAD | os.RTLD_GLOBAL)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            continue
    return "unknown (no OpenBLAS loaded)"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup-steps", type=int, default=10,
                   help="steps run before timing starts (default 10)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data", required=True, help="a text file; trained on as bytes")
    a = p.parse_args()
    if a.d_model % a.heads != 0:
        p.error("--d-model must be a multiple of --heads")
    if a.steps <= a.warmup_steps:
        p.error("--steps must exceed --warmup-steps")

    torch.set_num_threads(a.threads)
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    torch.manual_seed(a.seed)
    data = torch.from_numpy(np.fromfile(a.data, dtype=np.uint8).astype(np.int64))
    if data.numel() <= a.seq_len + 1:
        p.error(f"{a.data}: too short for --seq-len {a.seq_len}")
    gen = torch.Generator().manual_seed(a.seed)

    model = TinyGPT(256, a.d_model, a.layers, a.heads, a.seq_len)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=a.weight_decay)
    offsets = torch.arange(a.seq_len + 1)

    loss_value = float("nan")
    start = None
    step_times = []
    for step in range(a.steps):
        t0 = time.perf_counter()
        if step == a.warmup_steps:
            start = t0
        ix = torch.randint(0, data.numel() - a.seq_len - 1, (a.batch, 1), generator=gen)
        window = data[ix + offsets]  # (B, T+1)
        x, y = window[:, :-1].contiguous(), window[:, 1:].contiguous()
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss_value = loss.item()
        if step >= a.warmup_steps:
            step_times.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    timed = a.steps - a.warmup_steps
    print(json.dumps({
        "tokens_per_s": timed * a.batch * a.seq_len / elapsed,
        "steps": a.steps,
        "final_loss": loss_value,
        "timed_steps": timed,
        "elapsed_s": elapsed,
        # robust to a noisy machine: from the median step time
        "tokens_per_s_median": a.batch * a.seq_len / sorted(step_times)[len(step_times) // 2],
        "threads": a.threads,
        "params": sum(t.numel() for t in model.parameters()),
        "attention": "sdpa" if hasattr(F, "scaled_dot_product_attention") else "explicit",
        "torch": torch.__version__,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "rss_after_import_bytes": rss_start,
        "blas_core": blas_core(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
