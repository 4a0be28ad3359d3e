#!/usr/bin/python3
"""PyTorch 1.13 peers for bench/run.sh, on the shapes of attn_bench.cpp.

Two variants per shape and thread count, on the same N(0,1) data layout
[1, heads, seq_len, head_dim] f32:
  torch_bmm:  torch.bmm, softmax, torch.bmm (scores materialized)
  torch_sdpa: torch.nn.functional._scaled_dot_product_attention, the core
              that torch.nn.MultiheadAttention runs (1.13's fused op)
Prints a JSON list of {impl, heads, seq_len, head_dim, causal, threads, ms}
(best of the timed runs) to the file named by argv[1].
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def best_ms(fn, min_time=0.5, min_runs=3):
    fn()  # warm-up
    best, total, runs = float("inf"), 0.0, 0
    while runs < min_runs or total < min_time:
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best, total, runs = min(best, dt), total + dt, runs + 1
    return best * 1e3


def main(out_path):
    rows = []
    torch.manual_seed(7)
    for d in (64, 128):
        for l in (512, 1024, 2048):
            q, k, v = (torch.randn(1, 8, l, d) for _ in range(3))
            scale = d ** -0.5
            causal_mask = torch.ones(l, l, dtype=torch.bool).tril()
            for causal in (0, 1):
                for threads in (1, 2):
                    torch.set_num_threads(threads)

                    def bmm():
                        s = torch.matmul(q, k.transpose(-1, -2)) * scale
                        if causal:
                            s = s.masked_fill(~causal_mask, float("-inf"))
                        return torch.matmul(torch.softmax(s, -1), v)

                    def sdpa():
                        return F._scaled_dot_product_attention(
                            q, k, v, None, 0.0, False, bool(causal))

                    with torch.no_grad():
                        for impl, fn in (("torch_bmm", bmm), ("torch_sdpa", sdpa)):
                            rows.append(dict(impl=impl, heads=8, seq_len=l,
                                             head_dim=d, causal=causal,
                                             threads=threads, ms=best_ms(fn)))
    with open(out_path, "w") as f:
        json.dump(dict(torch_version=torch.__version__, rows=rows), f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
