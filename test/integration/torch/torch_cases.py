#!/usr/bin/python3
"""Writes PyTorch 1.13 cross-check cases for torch_crosscheck_test.cpp.

Each case is a folder of .npy files: q, k, v ([batch, heads, len, head_dim],
float32), an optional mask, and `out`, PyTorch's result. PyTorch's own
attention computes `out`: torch.nn.functional._scaled_dot_product_attention
(1.13's fused kernel) and torch.nn.MultiheadAttention. GQA is emulated in
PyTorch by repeating the KV heads (1.13 has no GQA); attnc broadcasts them.
Causal masks are built bottom-right aligned, as attn.sdpa defines them.

Usage: /usr/bin/python3 torch_cases.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def save(case_dir, **arrays):
    os.makedirs(case_dir, exist_ok=True)
    for name, t in arrays.items():
        a = t.detach().numpy() if torch.is_tensor(t) else t
        np.save(os.path.join(case_dir, name + ".npy"), np.ascontiguousarray(a))


def sdpa(q, k, v, mask=None, causal=False):
    """PyTorch attention with GQA by repetition and bottom-right causal."""
    group = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(group, dim=1)
    v = v.repeat_interleave(group, dim=1)
    lq, lk = q.shape[2], k.shape[2]
    if causal:
        keep = torch.ones(lq, lk, dtype=torch.bool).tril(diagonal=lk - lq)
        bias = torch.zeros(lq, lk).masked_fill(~keep, float("-inf"))
        if mask is None:
            mask = bias
        else:
            mask = mask + bias
    out, _ = F._scaled_dot_product_attention(q, k, v, mask, 0.0, False, False)
    return out


def main(out_dir):
    torch.manual_seed(1234)
    r = lambda *s: torch.randn(*s, dtype=torch.float32)

    # Multi-head causal self-attention with the fused kernel's own causal flag.
    q, k, v = r(2, 4, 77, 64), r(2, 4, 77, 64), r(2, 4, 77, 64)
    out, _ = F._scaled_dot_product_attention(q, k, v, None, 0.0, False, True)
    save(os.path.join(out_dir, "mha_causal"), q=q, k=k, v=v, out=out)

    # GQA cross-attention, head_dim 80.
    q, k, v = r(1, 8, 33, 80), r(1, 2, 100, 80), r(1, 2, 100, 80)
    save(os.path.join(out_dir, "gqa_cross"), q=q, k=k, v=v, out=sdpa(q, k, v))

    # Boolean keep-mask per batch, broadcast over heads; no row fully masked.
    q, k, v = r(2, 4, 50, 32), r(2, 2, 60, 32), r(2, 2, 60, 32)
    mask = torch.rand(2, 1, 50, 60) > 0.3
    mask[..., 0] = True
    save(os.path.join(out_dir, "bool_mask"), q=q, k=k, v=v, mask=mask,
         out=sdpa(q, k, v, mask))

    # Additive bias per head with -inf entries, plus bottom-right causal.
    q, k, v = r(2, 6, 40, 32), r(2, 3, 90, 32), r(2, 3, 90, 32)
    bias = 2 * r(1, 6, 40, 90)
    bias[..., 3::7] = float("-inf")
    save(os.path.join(out_dir, "bias_causal"), q=q, k=k, v=v, mask=bias,
         out=sdpa(q, k, v, bias, causal=True))

    # torch.nn.MultiheadAttention with the same weights: attnc computes the
    # attention core on the module's own Q/K/V projections, and the test
    # applies the module's output projection.
    e, h, b, l = 256, 4, 2, 20
    mha = torch.nn.MultiheadAttention(e, h, batch_first=True)
    x = r(b, l, e)
    causal_blocked = torch.ones(l, l, dtype=torch.bool).triu(1)  # True = masked
    with torch.no_grad():
        y, _ = mha(x, x, x, attn_mask=causal_blocked, need_weights=False)
        wq, wk, wv = mha.in_proj_weight.chunk(3)
        bq, bk, bv = mha.in_proj_bias.chunk(3)
        heads = lambda t: t.view(b, l, h, e // h).transpose(1, 2).contiguous()
        q, k, v = heads(x @ wq.T + bq), heads(x @ wk.T + bk), heads(x @ wv.T + bv)
    save(os.path.join(out_dir, "mha_module"), q=q, k=k, v=v, out=y,
         out_proj_w=mha.out_proj.weight, out_proj_b=mha.out_proj.bias)

    # Cross-attention through the module with key_padding_mask ([batch,
    # kv_len], True = padding): valid lengths 30, 11 and 1. attnc gets the
    # keep-mask as [batch, 1, 1, kv_len], broadcast over heads and rows.
    e, h, b, lq, lk = 128, 4, 3, 12, 30
    mha = torch.nn.MultiheadAttention(e, h, batch_first=True)
    x, mem = r(b, lq, e), r(b, lk, e)
    pad = torch.arange(lk)[None, :] >= torch.tensor([30, 11, 1])[:, None]
    with torch.no_grad():
        y, _ = mha(x, mem, mem, key_padding_mask=pad, need_weights=False)
        wq, wk, wv = mha.in_proj_weight.chunk(3)
        bq, bk, bv = mha.in_proj_bias.chunk(3)
        heads = lambda t, l: t.view(b, l, h, e // h).transpose(1, 2).contiguous()
        q = heads(x @ wq.T + bq, lq)
        k, v = heads(mem @ wk.T + bk, lk), heads(mem @ wv.T + bv, lk)
    save(os.path.join(out_dir, "mha_key_padding"), q=q, k=k, v=v, out=y,
         mask=(~pad).reshape(b, 1, 1, lk),
         out_proj_w=mha.out_proj.weight, out_proj_b=mha.out_proj.bias)
    print(f"torch_cases: wrote 6 cases to {out_dir} (PyTorch {torch.__version__})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
