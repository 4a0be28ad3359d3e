#!/usr/bin/python3
"""PyTorch 1.13 peers for bench/run.sh, on the shapes of attn_bench.cpp.

Two variants per shape and thread count, on N(0,1) data in attnc's layout,
[1, heads, q_len, head_dim] queries and [1, heads, kv_len, head_dim] keys
and values, f32:
  torch_bmm:  torch.matmul, softmax, torch.matmul (scores materialized)
  torch_sdpa: torch.nn.functional._scaled_dot_product_attention, the core
              that torch.nn.MultiheadAttention runs (1.13's fused op)
Causal is bottom-right aligned, as in attnc (the same as top-left for the
square prefill shapes). Threads: torch.set_num_threads sets torch's OpenMP
pool; Debian's torch calls OpenBLAS (pthread build) for matmul, whose own
pool does not follow OpenMP, so set_threads() also calls the loaded
OpenBLAS's openblas_set_num_threads and checks it took.
Prints JSON {torch_version, rows: [{impl, heads, q_len, kv_len, head_dim,
causal, threads, ms, rss_mib}]} to the file named by argv[1]; ms is the best
of the timed runs; rss_mib is the peak resident memory of the row above what
the process held before the row allocated its inputs (Linux: VmHWM after
"5" is written to /proc/self/clear_refs).
"""
import ctypes
import json
import re
import sys
import time

import torch
import torch.nn.functional as F


def status_kib(field):
    with open("/proc/self/status") as f:
        m = re.search(rf"^{field}:\s+(\d+)", f.read(), re.M)
    return int(m.group(1)) if m else -1


def start_memory():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return status_kib("VmRSS")


def loaded_openblas():
    """The OpenBLAS library torch has loaded, or None."""
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "libopenblas" in path:
                return ctypes.CDLL(path)
    return None


def set_threads(threads, blas):
    torch.set_num_threads(threads)
    if blas is not None:
        blas.openblas_set_num_threads(threads)
        got = blas.openblas_get_num_threads()
        if got != threads:
            sys.exit(f"torch_bench: OpenBLAS runs {got} threads, not {threads}")


def best_ms(fn, min_time=0.5, min_runs=3):
    t0 = time.perf_counter()
    fn()  # warm-up
    warm = time.perf_counter() - t0
    if warm > 2.0:  # long rows: one timed run after the warm-up
        min_runs, min_time = 1, 0.0
    best, total, runs = float("inf"), 0.0, 0
    while runs < min_runs or total < min_time:
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best, total, runs = min(best, dt), total + dt, runs + 1
    return best * 1e3


def shapes():
    """Mirrors shapes(..., peer=true) in attn_bench.cpp."""
    for threads in (1, 2):
        for d in (64, 128):
            for l in (512, 1024, 2048, 4096, 8192):
                for causal in (0, 1):
                    yield 8, l, l, d, causal, threads
        for lk in (1024, 4096, 16384, 32768):
            yield 32, 1, lk, 128, 0, threads


def main(out_path):
    rows = []
    torch.manual_seed(7)
    torch.matmul(torch.ones(64, 64), torch.ones(64, 64))  # loads the BLAS
    blas = loaded_openblas()
    for h, lq, lk, d, causal, threads in shapes():
        set_threads(threads, blas)
        for impl in ("torch_bmm", "torch_sdpa"):
            rss0 = start_memory()
            q = torch.randn(1, h, lq, d)
            k, v = torch.randn(1, h, lk, d), torch.randn(1, h, lk, d)
            scale = d ** -0.5
            keep = (torch.ones(lq, lk, dtype=torch.bool).tril(lk - lq)
                    if causal else None)

            def bmm():
                s = torch.matmul(q, k.transpose(-1, -2)) * scale
                if causal:
                    s = s.masked_fill(~keep, float("-inf"))
                return torch.matmul(torch.softmax(s, -1), v)

            def sdpa():
                # 1.13's is_causal is top-left aligned: pass the
                # bottom-right mask where the two differ (decode is dense).
                if causal and lq != lk:
                    return F._scaled_dot_product_attention(
                        q, k, v, keep, 0.0, False, False)
                return F._scaled_dot_product_attention(
                    q, k, v, None, 0.0, False, bool(causal))

            with torch.no_grad():
                ms = best_ms(bmm if impl == "torch_bmm" else sdpa)
            rss = (status_kib("VmHWM") - rss0) / 1024.0
            rows.append(dict(impl=impl, heads=h, q_len=lq, kv_len=lk,
                             head_dim=d, causal=causal, threads=threads,
                             ms=ms, rss_mib=rss))
            print(f"torch_bench: {impl} h{h} q{lq} kv{lk} d{d} "
                  f"causal{causal} t{threads}: {ms:.2f} ms", file=sys.stderr)
            del q, k, v, keep
    with open(out_path, "w") as f:
        json.dump(dict(torch_version=torch.__version__,
                       blas="OpenBLAS" if blas is not None else "torch's own",
                       rows=rows), f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
