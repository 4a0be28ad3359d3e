#!/usr/bin/python3
"""Turns bench/run.sh's measurements into BENCHMARKS.md and a PNG plot.

Usage: report.py ATTN_BENCH_JSON TORCH_JSON OUT_MD OUT_PNG [HALIDE_JSON]

Inputs, all from one run on one machine: the Google Benchmark JSON of
attn_bench (FMA peak, attnc, naive OpenBLAS), of halide_bench (optional),
and torch_bench.py's JSON. A row is (heads, q_len, kv_len, head_dim, causal,
threads). GFLOP/s counts 4·B·H·q_len·kv_len·head_dim for every row (the
dense count, as issue 3 defines it); "% peak" divides the work a row really
does (about half the dense count for causal prefill) by the measured FMA
peak at the same thread count. Ratios are peer time / attnc time (> 1:
attnc is faster). Memory is the row's peak resident memory above what the
process held before it allocated the row's inputs (so it includes them).
"""
import json
import os
import platform
import sys
from collections import defaultdict

PEERS = ["halide", "naive_blas", "torch_bmm", "torch_sdpa"]


POOLS = {0: "built-in", 1: "OpenMP", 2: "pthreadpool"}


def load_gbench(path, impl_of, ms, mem, peak, pools=None):
    gb = json.load(open(path))
    for b in gb["benchmarks"]:
        if b.get("error_occurred") or b.get("run_type") == "aggregate":
            continue
        name = b["name"].split("/")
        t = b["real_time"] if b["time_unit"] == "ms" else b["real_time"] / 1e6
        if name[0] == "Peak":
            peak[int(name[1])] = b["GFLOPs"]
            continue
        if name[0] == "Pool" and pools is not None:
            args = tuple(map(int, name[1:8]))
            pools[args[1:]][POOLS[args[0]]] = t
            continue
        impl = impl_of.get(name[0])
        if impl is None:
            continue
        key = tuple(map(int, name[1:7]))
        ms[key][impl] = t
        mem[key][impl] = (b.get("rss_mib"), b.get("io_mib"))
    return gb.get("context", {})


def work(key):
    h, lq, lk, d, c, _ = key
    flop = 4.0 * h * lq * lk * d
    if c and lq == lk:
        flop *= (lq + 1) / (2.0 * lq)
    return flop


def main(gbench_path, torch_path, md_path, png_path, halide_path=None):
    peak = {}
    ms = defaultdict(dict)
    mem = defaultdict(dict)
    pools = defaultdict(dict)
    ctx = load_gbench(gbench_path, {"Attnc": "attnc", "NaiveBlas": "naive_blas",
                                    "AttncBf16": "attnc_bf16"},
                      ms, mem, peak, pools)
    if halide_path:
        load_gbench(halide_path, {"Halide": "halide"}, ms, mem, peak)
    tb = json.load(open(torch_path))
    for r in tb["rows"]:
        key = (r["heads"], r["q_len"], r["kv_len"], r["head_dim"], r["causal"],
               r["threads"])
        ms[key][r["impl"]] = r["ms"]
        mem[key][r["impl"]] = (r.get("rss_mib"), None)

    def gflops(key, impl):
        h, lq, lk, d, c, th = key
        return 4.0 * h * lq * lk * d / (ms[key][impl] * 1e-3) * 1e-9

    def pct(key, impl="attnc"):
        return work(key) / (ms[key][impl] * 1e-3) * 1e-9 / peak.get(key[5], float("nan")) * 100

    def ratios(key):
        t = ms[key]["attnc"]
        return [f"{ms[key][p] / t:.2f}x" if p in ms[key] else "–" for p in PEERS]

    def mem_cell(key, impl):
        rss, io = mem[key].get(impl, (None, None))
        return "–" if rss is None else f"{rss:.0f}"

    prefill = sorted((k for k in ms if k[1] > 16 and k[0] == 8 and "attnc" in ms[k]),
                     key=lambda k: (k[5], k[3], k[4], k[1]))
    decode = sorted((k for k in ms if k[1] <= 16 and "attnc" in ms[k]),
                    key=lambda k: (k[5], k[2]))
    long_rows = sorted(k for k in ms if k[0] == 1 and "attnc" in ms[k])

    # Headline figures against issue 3's targets.
    head = []
    dense = [k for k in prefill if not k[4] and k[1] >= 2048]
    for th in sorted(peak):
        rows = [k for k in dense if k[5] == th]
        if rows:
            p = [pct(k) for k in rows]
            hal = [ms[k]["halide"] / ms[k]["attnc"] for k in rows if "halide" in ms[k]]
            hal_s = f"; vs Halide {min(hal):.2f}x to {max(hal):.2f}x" if hal else ""
            head.append(f"- Dense f32, seq_len >= 2048, {th} thread{'s' if th > 1 else ''}: "
                        f"{min(p):.1f}% to {max(p):.1f}% of the FMA peak{hal_s}.")
    bf = [ms[k]["attnc"] / ms[k]["attnc_bf16"] for k in prefill
          if "attnc_bf16" in ms[k] and not k[4] and k[1] >= 2048]
    if bf:
        head.append(f"- bf16 inputs (dense, seq_len >= 2048): {min(bf):.2f}x to "
                    f"{max(bf):.2f}x the f32 throughput.")
    best_torch = []
    for k in prefill:
        tt = [ms[k][p] for p in ("torch_bmm", "torch_sdpa") if p in ms[k]]
        if tt:
            best_torch.append(min(tt) / ms[k]["attnc"])
    if best_torch:
        head.append(f"- Against PyTorch's best variant per prefill row: "
                    f"{min(best_torch):.2f}x to {max(best_torch):.2f}x "
                    f"(median {sorted(best_torch)[len(best_torch) // 2]:.2f}x).")
    for k in long_rows:
        rss, io = mem[k]["attnc"]
        head.append(f"- seq_len {k[1]}, head_dim {k[3]}, {k[0]} head, "
                    f"{'causal' if k[4] else 'dense'}, {k[5]} threads: "
                    f"{ms[k]['attnc'] / 1e3:.2f} s, peak RSS {rss:.0f} MiB for "
                    f"{io:.0f} MiB of inputs and outputs "
                    f"({rss - io:+.0f} MiB; the bound is +64 MiB).")

    L = [
        "# Benchmarks",
        "",
        "Generated by `bench/run.sh` (do not edit): attnc's kernels and their "
        "peers measured in one run on one machine.",
        "",
        f"- Machine: {ctx.get('num_cpus', '?')} CPUs at "
        f"{ctx.get('mhz_per_cpu', '?')} MHz (nominal), {platform.machine()}; "
        f"date {ctx.get('date', '?')}.",
        "- Measured fp32 FMA peak: "
        + ", ".join(f"{peak[t]:.1f} GFLOP/s on {t} thread{'s' if t > 1 else ''}"
                    for t in sorted(peak)) + ".",
        f"- Peers: Halide 14 (bench/halide_attention_generator.cpp, AOT for the "
        f"host){'' if halide_path else ' not measured in this run'}; naive "
        f"OpenBLAS sgemm + softmax + sgemm; PyTorch {tb['torch_version']} "
        f"(torch_bmm: matmul/softmax/matmul; torch_sdpa: the fused core of "
        f"nn.MultiheadAttention), with {tb.get('blas', 'its BLAS')} set to "
        f"torch's thread count.",
        "- GFLOP/s = 4·B·H·q_len·kv_len·head_dim / time for every row; "
        "% peak counts the work done (about half that for causal prefill). "
        "Ratios are peer time / attnc time (> 1: attnc is faster). Memory: "
        "peak resident MiB of the row, inputs and outputs included.",
        "",
        "## Summary",
        "",
        *head,
        "",
        "## Prefill (batch 1, 8 heads)",
        "",
        "| threads | head_dim | causal | seq_len | attnc ms | GFLOP/s | % peak | "
        + " | ".join(f"vs {p}" for p in PEERS)
        + " | attnc MiB | inputs+outputs MiB | bf16 ms | bf16 speedup |",
        "|---:|---:|:---:|---:|---:|---:|---:|" + "---:|" * len(PEERS)
        + "---:|---:|---:|---:|",
    ]
    for k in prefill:
        h, lq, lk, d, c, th = k
        io = mem[k]["attnc"][1]
        L.append(f"| {th} | {d} | {'yes' if c else 'no'} | {lq} | "
                 f"{ms[k]['attnc']:.2f} | {gflops(k, 'attnc'):.1f} | {pct(k):.1f}% | "
                 + " | ".join(ratios(k)) + f" | {mem_cell(k, 'attnc')} | "
                 f"{io:.0f} | "
                 + (f"{ms[k]['attnc_bf16']:.2f} | "
                    f"{ms[k]['attnc'] / ms[k]['attnc_bf16']:.2f}x |"
                    if "attnc_bf16" in ms[k] else "– | – |"))
    L += [
        "",
        "## Decode (batch 1, 32 heads, q_len 1, head_dim 128)",
        "",
        "Bandwidth counts the keys and values read once (f32).",
        "",
        "| threads | kv_len | attnc ms | K+V GB/s | "
        + " | ".join(f"vs {p}" for p in PEERS) + " | attnc MiB |",
        "|---:|---:|---:|---:|" + "---:|" * len(PEERS) + "---:|",
    ]
    for k in decode:
        h, lq, lk, d, c, th = k
        gbs = 2 * 4.0 * h * lk * d / (ms[k]["attnc"] * 1e-3) * 1e-9
        L.append(f"| {th} | {lk} | {ms[k]['attnc']:.2f} | {gbs:.1f} | "
                 + " | ".join(ratios(k)) + f" | {mem_cell(k, 'attnc')} |")
    L += [
        "",
        "## Memory of the peers (peak resident MiB per row)",
        "",
        "| threads | heads | q_len | kv_len | head_dim | causal | attnc | "
        + " | ".join(PEERS) + " |",
        "|---:|---:|---:|---:|---:|:---:|---:|" + "---:|" * len(PEERS),
    ]
    for k in prefill + decode:
        h, lq, lk, d, c, th = k
        if lk < 4096:
            continue
        L.append(f"| {th} | {h} | {lq} | {lk} | {d} | {'yes' if c else 'no'} | "
                 f"{mem_cell(k, 'attnc')} | "
                 + " | ".join(mem_cell(k, p) for p in PEERS) + " |")
    if pools:
        L += [
            "",
            "## Threading mechanism (2 threads, attnc f32)",
            "",
            "The same kernels with the runtime's built-in pool and with OpenMP "
            "(libgomp, dynamic schedule) or pthreadpool installed through "
            "`attn_set_parallel_for`. Times in ms; the ratio is the other "
            "pool's time over the built-in pool's.",
            "",
            "| heads | q_len | kv_len | head_dim | causal | built-in | OpenMP | "
            "pthreadpool |",
            "|---:|---:|---:|---:|:---:|---:|---:|---:|",
        ]
        for args in sorted(pools):
            h, lq, lk, d, c, th = args
            row = pools[args]
            base = row.get("built-in")
            cells = []
            for name in ("built-in", "OpenMP", "pthreadpool"):
                if name not in row:
                    cells.append("–")
                elif name == "built-in" or not base:
                    cells.append(f"{row[name]:.2f}")
                else:
                    cells.append(f"{row[name]:.2f} ({row[name] / base:.2f}x)")
            L.append(f"| {h} | {lq} | {lk} | {d} | {'yes' if c else 'no'} | "
                     + " | ".join(cells) + " |")
    rel = os.path.relpath(png_path, os.path.dirname(os.path.abspath(md_path)))
    L += ["", f"![GFLOP/s by seq_len]({rel})", ""]
    open(md_path, "w").write("\n".join(L))

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report.py: matplotlib missing, no plot", file=sys.stderr)
        return
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharey=True)
    for row, th in enumerate((1, 2)):
        for col, d in enumerate((64, 128)):
            ax = axes[row][col]
            for impl in ["attnc"] + PEERS:
                for c in (0, 1):
                    pts = sorted((k[1], work(k) / (ms[k][impl] * 1e-3) * 1e-9)
                                 for k in prefill
                                 if k[3] == d and k[4] == c and k[5] == th
                                 and impl in ms[k])
                    if pts:
                        ax.plot(*zip(*pts), marker="o",
                                linestyle="-" if c == 0 else "--",
                                label=f"{impl}{' causal' if c else ''}")
            if th in peak:
                ax.axhline(peak[th], color="gray", linewidth=0.8,
                           label="FMA peak")
            ax.set_xscale("log", base=2)
            ax.set_title(f"head_dim {d}, {th} thread{'s' if th > 1 else ''}")
            ax.set_xlabel("seq_len")
            if col == 0:
                ax.set_ylabel("GFLOP/s of work done")
    axes[0][1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)


if __name__ == "__main__":
    main(*sys.argv[1:6])
