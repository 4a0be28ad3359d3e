#!/usr/bin/python3
"""PyTorch 1.13 with the dense masks of bench/mask_bench.cpp's rows.

PyTorch 1.13 has no block-sparse or FlexAttention path: a mask is a dense
[q_len, kv_len] bool tensor, applied to materialized scores (matmul,
masked_fill, softmax, matmul), as torch.nn.MultiheadAttention's attn_mask
is. Its time does not depend on which keys the mask keeps, only on the
shape; the masks are still the rows' own (causal, window 256, packed
documents, ALiBi as BLOOM adds it; block layouts and graphs of the rows' density). One thread (as
mask_bench.cpp), f32, batch 1, head_dim 64. Rows past 16384 tokens are not
run: their scores alone (4 GiB per head at 32k) do not fit beside the
rest on the 24 GiB hosts.

Writes JSON {torch_version, rows: [{name, ms, rss_mib}]} to argv[1], with
`name` the Google Benchmark name of the matching mask_bench row.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bench import best_ms, loaded_openblas, set_threads, start_memory, status_kib  # noqa: E402

D = 64


def keep_mask(name, h, length, param):
    i = torch.arange(length).unsqueeze(1)
    j = torch.arange(length).unsqueeze(0)
    if name in ("Causal", "CausalAlibi"):
        return j <= i
    if name == "Window":
        return (j <= i) & (i - j <= 255)
    if name == "Documents":
        doc = torch.arange(length) * param // length
        return doc.unsqueeze(1) == doc.unsqueeze(0)
    g = torch.Generator().manual_seed(1)
    density = param / 100.0 if name == "Layout" else param / length
    return torch.rand(length, length, generator=g) < density


def rows():
    yield "Causal", 4, 4096, 0
    yield "CausalAlibi", 4, 4096, 0
    for length in (4096, 8192, 16384):
        yield "Window", 1, length, 0
    for rho in (50, 25, 10):
        yield "Layout", 2, 8192, rho
    yield "Documents", 2, 8192, 8
    yield "Csr", 1, 16384, 64


def main(out_path):
    torch.manual_seed(7)
    torch.matmul(torch.ones(64, 64), torch.ones(64, 64))  # loads the BLAS
    set_threads(1, loaded_openblas())
    out = []
    for name, h, length, param in rows():
        rss0 = start_memory()
        q = torch.randn(1, h, length, D)
        k, v = torch.randn(1, h, length, D), torch.randn(1, h, length, D)
        keep = keep_mask(name, h, length, param)
        # ALiBi as BLOOM adds it: slope[h] * kv_idx, the paper's slopes.
        alibi = None
        if name == "CausalAlibi":
            slopes = torch.tensor([2 ** (-8 * (x + 1) / h) for x in range(h)])
            alibi = slopes[:, None, None] * torch.arange(length)[None, None, :]

        def run():
            s = torch.matmul(q, k.transpose(-1, -2)) * D ** -0.5
            if alibi is not None:
                s = s + alibi
            s = s.masked_fill(~keep, float("-inf"))
            return torch.matmul(torch.softmax(s, -1), v)

        with torch.no_grad():
            ms = best_ms(run)
        gb = f"{name}/{h}/{length}" + (f"/{param}" if param else "")
        out.append(dict(name=gb, ms=ms,
                        rss_mib=(status_kib("VmHWM") - rss0) / 1024.0))
        print(f"mask_torch_bench: {gb}: {ms:.1f} ms", file=sys.stderr)
        del q, k, v, keep
    with open(out_path, "w") as f:
        json.dump(dict(torch_version=torch.__version__, rows=out), f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
