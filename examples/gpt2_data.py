#!/usr/bin/python3
"""Writes seeded GPT-2-shaped attention inputs and PyTorch's output as .npy.

query, key, value: float32 [batch, 12, seq_len, 64], drawn from N(0, 1) with a
fixed seed; out_torch: PyTorch 1.13's own fused attention
(torch.nn.functional._scaled_dot_product_attention, is_causal=True) on them.
Also prints PyTorch's time for the same call.

Usage: /usr/bin/python3 gpt2_data.py OUT_DIR [--seq-len 1024] [--batch 1]
Needs Debian's python3-torch (PyTorch 1.13) and python3-numpy.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--seq-len", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seed", type=int, default=2019)
    args = ap.parse_args()
    if not 1 <= args.seq_len <= 1024:
        sys.exit("gpt2_data.py: --seq-len must be in [1, 1024] (GPT-2's context)")

    torch.manual_seed(args.seed)
    shape = (args.batch, 12, args.seq_len, 64)
    q, k, v = (torch.randn(shape, dtype=torch.float32) for _ in range(3))
    with torch.no_grad():
        out, _ = F._scaled_dot_product_attention(q, k, v, None, 0.0, False, True)
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            F._scaled_dot_product_attention(q, k, v, None, 0.0, False, True)
            best = min(best, time.perf_counter() - t0)

    os.makedirs(args.out_dir, exist_ok=True)
    for name, t in (("query", q), ("key", k), ("value", v), ("out_torch", out)):
        np.save(os.path.join(args.out_dir, name + ".npy"),
                np.ascontiguousarray(t.numpy()))
    print(f"gpt2_data: wrote {args.out_dir}: shape {list(shape)}, seed "
          f"{args.seed}; PyTorch {torch.__version__} attention: "
          f"{best * 1e3:.2f} ms ({torch.get_num_threads()} thread"
          f"{'s' if torch.get_num_threads() > 1 else ''})")


if __name__ == "__main__":
    main()
