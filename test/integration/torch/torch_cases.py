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
import math
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

    # Named masks (sdpa_named_kernels.mlir), against PyTorch's attention
    # with the dense mask each one means.
    # Top-left causal is 1.13's own is_causal when q_len != kv_len.
    q, k, v = r(1, 4, 40, 32), r(1, 2, 90, 32), r(1, 2, 90, 32)
    kr, vr = k.repeat_interleave(2, dim=1), v.repeat_interleave(2, dim=1)
    out, _ = F._scaled_dot_product_attention(q, kr, vr, None, 0.0, False, True)
    keep = torch.ones(40, 90, dtype=torch.bool).tril()
    check, _ = F._scaled_dot_product_attention(
        q, kr, vr, torch.zeros(40, 90).masked_fill(~keep, float("-inf")),
        0.0, False, False)
    assert torch.allclose(out, check, atol=1e-5), "is_causal is not top-left"
    save(os.path.join(out_dir, "named_causal_top_left"), q=q, k=k, v=v,
         out=out)

    def band(lq, lk, left, right):
        d = (torch.arange(lq)[:, None] + (lk - lq)) - torch.arange(lk)[None, :]
        return (d <= left) & (d >= -right)

    def additive(keep):
        return torch.zeros(keep.shape).masked_fill(~keep, float("-inf"))

    # A window of 37 keys back and 5 ahead, bottom-right, cross-attention.
    q, k, v = r(2, 2, 50, 32), r(2, 2, 120, 32), r(2, 2, 120, 32)
    save(os.path.join(out_dir, "named_window"), q=q, k=k, v=v,
         out=sdpa(q, k, v, additive(band(50, 120, 37, 5))))

    # Key padding from lengths with bottom-right causal (every row keeps
    # key 0: PyTorch gives NaN for a row with no key).
    q, k, v = r(3, 4, 30, 16), r(3, 2, 90, 16), r(3, 2, 90, 16)
    lens = torch.tensor([90, 40, 1], dtype=torch.int32)
    keep = ((torch.arange(90)[None, None, None, :] < lens[:, None, None, None])
            & torch.ones(30, 90, dtype=torch.bool).tril(90 - 30))
    save(os.path.join(out_dir, "named_key_padding"), q=q, k=k, v=v,
         lens=lens.numpy(), out=sdpa(q, k, v, additive(keep)))

    # Documents in cross-attention: query i of document 4 i / q_len, key j of
    # document 4 j / kv_len.
    q, k, v = r(1, 2, 24, 16), r(1, 2, 64, 16), r(1, 2, 64, 16)
    qdoc = (torch.arange(24) * 4 // 24).to(torch.int32)
    kdoc = (torch.arange(64) * 4 // 64).to(torch.int32)
    save(os.path.join(out_dir, "named_documents"), q=q, k=k, v=v,
         qdoc=qdoc.numpy(), kdoc=kdoc.numpy(),
         out=sdpa(q, k, v, additive(qdoc[:, None] == kdoc[None, :])))

    # Dilated window, top-left: 0 <= q_idx - kv_idx <= 40, a multiple of 3.
    q, k, v = r(1, 4, 70, 32), r(1, 2, 110, 32), r(1, 2, 110, 32)
    d = torch.arange(70)[:, None] - torch.arange(110)[None, :]
    save(os.path.join(out_dir, "named_dilated"), q=q, k=k, v=v,
         out=sdpa(q, k, v, additive((d >= 0) & (d <= 40) & (d % 3 == 0))))

    # Longformer: a bottom-right band of 16 each side, or one of the first
    # 3 tokens (as a query or as a key).
    q, k, v = r(2, 2, 60, 32), r(2, 2, 130, 32), r(2, 2, 130, 32)
    i, j = torch.arange(60)[:, None], torch.arange(130)[None, :]
    keep = band(60, 130, 16, 16) | (i < 3) | (j < 3)
    save(os.path.join(out_dir, "named_longformer"), q=q, k=k, v=v,
         out=sdpa(q, k, v, additive(keep)))

    # A static layout of 16 x 16 blocks (named_block_layout's 5 x 8), as
    # PyTorch's dense mask; q_len 80 so that every row keeps a key.
    layout = torch.tensor(
        [[1, 0, 0, 0, 0, 0, 0, 0], [0, 1, 1, 0, 1, 0, 1, 1],
         [1, 0, 1, 0, 1, 0, 0, 1], [0, 1, 1, 1, 0, 1, 0, 0],
         [1, 0, 1, 1, 1, 1, 0, 0]], dtype=torch.bool)
    q, k, v = r(1, 4, 80, 32), r(1, 1, 100, 32), r(1, 1, 100, 32)
    i, j = torch.arange(80)[:, None], torch.arange(100)[None, :]
    keep = layout[i // 16, (j // 16).clamp(max=7)] & (j < 128)
    save(os.path.join(out_dir, "named_block_layout"), q=q, k=k, v=v,
         out=sdpa(q, k, v, additive(keep)))

    # Graph adjacency in CSR (i32 offsets and sorted columns): a random
    # graph, each query with at least one neighbour.
    q, k, v = r(1, 2, 45, 16), r(1, 2, 45, 16), r(1, 2, 45, 16)
    adj = torch.rand(45, 45) < 0.15
    adj[torch.arange(45), (torch.arange(45) * 7) % 45] = True
    offsets = torch.zeros(46, dtype=torch.int32)
    offsets[1:] = adj.sum(1).cumsum(0).to(torch.int32)
    columns = adj.nonzero()[:, 1].to(torch.int32)  # row-major: sorted per row
    save(os.path.join(out_dir, "named_csr"), q=q, k=k, v=v,
         offsets=offsets.numpy(), columns=columns.numpy(),
         out=sdpa(q, k, v, additive(adj)))

    # A sparse graph (about 4 neighbours of 300 nodes: attnc's tasks gather
    # the edges), each query with at least one neighbour.
    q, k, v = r(1, 2, 300, 32), r(1, 2, 300, 32), r(1, 2, 300, 32)
    adj = torch.rand(300, 300) < 3.0 / 300
    adj[torch.arange(300), (torch.arange(300) * 11) % 300] = True
    offsets = torch.zeros(301, dtype=torch.int32)
    offsets[1:] = adj.sum(1).cumsum(0).to(torch.int32)
    columns = adj.nonzero()[:, 1].to(torch.int32)
    save(os.path.join(out_dir, "named_csr_sparse"), q=q, k=k, v=v,
         offsets=offsets.numpy(), columns=columns.numpy(),
         out=sdpa(q, k, v, additive(adj)))

    # A union of an intersection: (bottom-right causal and key padding from
    # i64 lengths) or a global token (the first 2 queries and keys).
    q, k, v = r(3, 4, 50, 32), r(3, 2, 70, 32), r(3, 2, 70, 32)
    lens = torch.tensor([70, 33, 1], dtype=torch.int64)
    i = torch.arange(50)[None, None, :, None]
    j = torch.arange(70)[None, None, None, :]
    keep = (((j <= i + 20) & (j < lens[:, None, None, None]))
            | (i < 2) | (j < 2))
    save(os.path.join(out_dir, "named_union"), q=q, k=k, v=v,
         lens=lens.numpy(), out=sdpa(q, k, v, additive(keep)))
    # ALiBi (Press et al. 2022) as BLOOM writes it: the paper's get_slopes
    # for 6 heads (not a power of two), a bias slope[h] * kv_idx added to
    # the scores (the row's own offset cancels in the softmax), with a
    # bottom-right causal mask; GQA, q_len < kv_len.
    def get_slopes(n):
        def pow2(n):
            start = 2 ** (-2 ** -(math.log2(n) - 3))
            return [start * start ** i for i in range(n)]
        if math.log2(n).is_integer():
            return pow2(n)
        p = 2 ** math.floor(math.log2(n))
        return pow2(p) + get_slopes(2 * p)[0::2][:n - p]

    q, k, v = r(2, 6, 40, 32), r(2, 2, 90, 32), r(2, 2, 90, 32)
    slopes = torch.tensor(get_slopes(6), dtype=torch.float32)
    alibi = slopes[None, :, None, None] * torch.arange(90)[None, None, None, :]
    save(os.path.join(out_dir, "alibi_causal"), q=q, k=k, v=v,
         out=sdpa(q, k, v, alibi.expand(1, 6, 40, 90), causal=True))

    # The logsumexp of each row's scores (torch.logsumexp over the scaled,
    # causally masked scores, as FlashAttention's softmax_lse), GQA, with
    # q_len > kv_len: the first 20 rows see no key (-inf; output zeros).
    q, k, v = r(2, 8, 80, 32), r(2, 2, 60, 32), r(2, 2, 60, 32)
    kr, vr = k.repeat_interleave(4, dim=1), v.repeat_interleave(4, dim=1)
    keep = torch.ones(80, 60, dtype=torch.bool).tril(diagonal=60 - 80)
    scores = (q @ kr.transpose(-1, -2) * 0.3).masked_fill(~keep, float("-inf"))
    lse = torch.logsumexp(scores, dim=-1)
    out = torch.nan_to_num(torch.softmax(scores, dim=-1)) @ vr
    save(os.path.join(out_dir, "lse_causal"), q=q, k=k, v=v, out=out, lse=lse)
    # Attention weights: torch.nn.MultiheadAttention's own (need_weights,
    # average_attn_weights=False), [batch, heads, q_len, kv_len]. Its input
    # projections are set so that the heads it attends with are q, k and v
    # (the query's scaled by c, so that with its 1/sqrt(head_dim) the scores
    # are `scale` q.k), its output projection to the identity.
    def mha_weights(q, k, v, scale, attn_mask=None):
        b, h, lq, d = q.shape
        e = h * d
        mha = torch.nn.MultiheadAttention(e, h, batch_first=True)
        with torch.no_grad():
            c = scale * math.sqrt(d)
            mha.in_proj_weight.copy_(torch.cat(
                [c * torch.eye(e), torch.eye(e), torch.eye(e)]))
            mha.in_proj_bias.zero_()
            mha.out_proj.weight.copy_(torch.eye(e))
            mha.out_proj.bias.zero_()
        heads = lambda t: t.transpose(1, 2).reshape(b, t.shape[2], e)
        out, w = mha(heads(q), heads(k), heads(v), attn_mask=attn_mask,
                     need_weights=True, average_attn_weights=False)
        return out.reshape(b, lq, h, d).transpose(1, 2), w

    q, k, v = r(1, 4, 20, 32), r(1, 4, 70, 32), r(1, 4, 70, 32)
    out, w = mha_weights(q, k, v, 1 / math.sqrt(32))
    save(os.path.join(out_dir, "probs_cross"), q=q, k=k, v=v, out=out,
         probs=w)
    q, k, v = r(2, 4, 45, 16), r(2, 4, 45, 16), r(2, 4, 45, 16)
    hidden = torch.ones(45, 45, dtype=torch.bool).triu(diagonal=1)
    out, w = mha_weights(q, k, v, 0.3, attn_mask=hidden)
    save(os.path.join(out_dir, "probs_causal"), q=q, k=k, v=v, out=out,
         probs=w)
    # Luong attention over GRU states, as NMT code writes it (Luong et al.
    # 2015, eq. 5 and 8): the general score as an nn.Linear(source, target,
    # bias=False) applied to the encoder states, softmax, bmm, and the
    # attentional state tanh(nn.Linear(2 sizes, target)(cat[c, h_t])).
    enc = torch.nn.GRU(12, 40, batch_first=True)
    dec = torch.nn.GRU(10, 24, batch_first=True)
    w_a = torch.nn.Linear(40, 24, bias=False)
    w_c = torch.nn.Linear(40 + 24, 24)
    with torch.no_grad():
        hs, _ = enc(r(2, 15, 12))
        ht, _ = dec(r(2, 6, 10))
        score = torch.bmm(ht, w_a(hs).transpose(1, 2))
        align = F.softmax(score, dim=-1)
        context = torch.bmm(align, hs)
        h_tilde = torch.tanh(w_c(torch.cat([context, ht], dim=-1)))
    one_head = lambda t: t.unsqueeze(1)
    save(os.path.join(out_dir, "luong_gru"), ht=one_head(ht),
         hs=one_head(hs), wa=w_a.weight, wc=w_c.weight.t(), bc=w_c.bias,
         context=one_head(context), probs=one_head(align),
         out=one_head(h_tilde))
    print(f"torch_cases: wrote 20 cases to {out_dir} "
          f"(PyTorch {torch.__version__})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
