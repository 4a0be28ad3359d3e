#!/usr/bin/python3
"""Turns bench/run_family.sh's measurements into the attention family's
section of BENCHMARKS.md (`<!-- section family-ISA -->`).

Usage: family_report.py FAMILY_BENCH_JSON FAMILY_TORCH_JSON OUT_MD

Each attnc time is the best of run_family.sh's repetitions; "vs torch" is
PyTorch 1.13's time (family_torch_bench.py, the same computation written
with its modules) divided by attnc's, measured in the same run.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mask_report import fmt, load, ratio  # noqa: E402
from report import merge  # noqa: E402

ROWS = [
    ("LuongGeneral/16/1/64", "Luong general score, decoder step (B 16, "
     "src 64)"),
    ("LuongGeneral/16/1/512", "Luong general score, decoder step (B 16, "
     "src 512)"),
    ("LuongGeneral/16/64/64", "Luong general score, teacher-forced (B 16, "
     "64 x 64)"),
    ("LuongLayer/16/1/64", "Luong layer with tanh(W_c [c; h]), decoder step"),
    ("LuongLayer/16/64/64", "Luong layer with tanh(W_c [c; h]), "
     "teacher-forced"),
]


def section(bench_path, torch_path):
    ctx, ms = load(bench_path)
    tj = json.load(open(torch_path))
    torch = {r["name"].replace("/real_time", ""): r["ms"] for r in tj["rows"]}
    isa = ctx.get("isa", "unknown")
    key = f"family-{isa}"
    L = [f"<!-- section {key} -->",
         f"## The attention family ({isa} kernels on "
         f"{ctx.get('cpu_model', '?')})",
         "",
         "`bench/run_family.sh`: attnc's kernels of "
         "`bench/family_kernels.mlir` against the same computation written "
         f"with PyTorch {tj['torch_version']} modules "
         "(`bench/family_torch_bench.py`), one thread, f32, hidden 512, in "
         f"one run. Host caches (KiB, L1/L2/L3): "
         f"{ctx.get('caches_kib', '?')}; date {ctx.get('date', '?')}.",
         "",
         "| row | attnc ms | PyTorch ms | vs torch |",
         "|---|---|---|---|"]
    for name, what in ROWS:
        t, p = ms.get(name), torch.get(name)
        L.append(f"| {what} | {fmt(t, '{:.3f}')} | {fmt(p, '{:.3f}')} | "
                 f"{fmt(ratio(p, t), '{:.2f}')}x |")
    L += ["",
          "PyTorch applies W_a to every source state at every step (the "
          "usual way to write the general score; a decoder that kept "
          "W_a h̄_s across its steps would pay it once per sentence); attnc "
          "folds W_a into the query (`attn.project`, then the tiled "
          "`attn.sdpa`). The teacher-forced rows project as many rows as "
          "PyTorch does, and there `attn.project`'s loops (vectorized by "
          "LLVM, not register-blocked) are slower than OpenBLAS's sgemm.",
          f"<!-- end {key} -->"]
    return key, "\n".join(L)


def main(bench_path, torch_path, md_path):
    key, text = section(bench_path, torch_path)
    merged = merge(md_path, key, text)  # reads md_path: before it is opened
    with open(md_path, "w") as f:
        f.write(merged)


if __name__ == "__main__":
    main(*sys.argv[1:4])
