#!/usr/bin/python3
"""Turns bench/run_masks.sh's measurements into the masks section of
BENCHMARKS.md (`<!-- section masks-ISA -->`, kept apart from report.py's
per-ISA sections, which keep it too).

Usage: mask_report.py MASK_BENCH_JSON MASK_TORCH_JSON OUT_MD

Each attnc time is the best of run_masks.sh's repetitions (the host is
shared; the best is the least disturbed). Ratios are times measured in the
same run: "vs dense" is attnc's dense
kernel on the same shape divided by the masked kernel's time (> 1: the mask
saves that much), "vs torch" is PyTorch 1.13's dense-mask time divided by
attnc's. The targets are issue 8's.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import merge  # noqa: E402


def load(path):
    gb = json.load(open(path))
    ms = {}
    for b in gb["benchmarks"]:
        if b.get("error_occurred") or b.get("run_type") == "aggregate":
            continue
        name = re.sub(r"/iterations:\d+", "", b["name"]).replace("/real_time", "")
        t = b["real_time"] if b["time_unit"] == "ms" else b["real_time"] / 1e6
        ms[name] = min(t, ms.get(name, t))  # the best of the repetitions
    return gb.get("context", {}), ms


def fmt(x, f="{:.1f}"):
    return "–" if x is None else f.format(x)


def ratio(a, b):
    return a / b if a is not None and b else None


def verdict(ok):
    return "–" if ok is None else ("met" if ok else "**not met**")


def section(bench_path, torch_path):
    ctx, ms = load(bench_path)
    torch = {r["name"]: r["ms"] for r in json.load(open(torch_path))["rows"]}
    isa = ctx.get("isa", "unknown")
    key = f"masks-{isa}"
    L = [f"<!-- section {key} -->",
         f"## Masks and sparsity ({isa} kernels on {ctx.get('cpu_model', '?')})",
         "",
         "`bench/run_masks.sh`: attnc's named masks (`bench/mask_kernels.mlir`)"
         " against attnc's dense kernel and PyTorch "
         f"{json.load(open(torch_path))['torch_version']} with the dense mask"
         " it needs, one thread, f32, batch 1, head_dim 64, in one run. "
         f"Host caches (KiB, L1/L2/L3): {ctx.get('caches_kib', '?')}; "
         f"date {ctx.get('date', '?')}.",
         ""]
    rows = []

    def row(what, t, dense, target, ok, peer):
        rows.append(f"| {what} | {fmt(t)} | {fmt(dense)} | "
                    f"{fmt(ratio(dense, t), '{:.2f}×')} | {target} | "
                    f"{verdict(ok)} | {fmt(peer)} | "
                    f"{fmt(ratio(peer, t), '{:.1f}×')} |")

    dense4k, causal = ms.get("Dense/4/4096"), ms.get("Causal/4/4096")
    r = ratio(dense4k, causal)
    row("causal, 4 heads, 4096", causal, dense4k, "≥ 1.9× vs dense",
        None if r is None else r >= 1.9, torch.get("Causal/4/4096"))
    t = ms.get("CausalMod/4/4096")
    r = ratio(dense4k, t)
    row("causal as a mask_mod region, 4 heads, 4096", t, dense4k,
        "≥ 1.9× vs dense", None if r is None else r >= 1.9,
        torch.get("Causal/4/4096"))
    t = ms.get("CausalAlibi/4/4096")
    r = ratio(t, causal)
    row("causal with `#attn.alibi` (the paper's slopes), 4 heads, 4096", t,
        dense4k,
        "within 10% of causal" + ("" if r is None else f" (here {r:.3f}×)"),
        None if r is None else r <= 1.1, torch.get("CausalAlibi/4/4096"))
    prev = None
    for n in (4096, 8192, 16384, 32768, 65536):
        t = ms.get(f"Window/1/{n}")
        dense = ms.get(f"Dense/1/{n}")
        growth = ratio(t, prev)
        # Warm: the inputs of a small problem stay cached across the timed
        # calls, those of a large one do not; the per-doubling target is
        # judged on the evicted rows below.
        target, ok = "", None
        if growth is not None:
            target = f"{growth:.2f}× per doubling (warm caches)"
        if n == 32768:
            r = ratio(dense, t)
            target += ("; " if target else "") + "≥ 10× vs dense"
            ok = r is not None and r >= 10
        row(f"window 256, 1 head, {n}", t, dense, target, ok,
            torch.get(f"Window/1/{n}"))
        prev = t
    prev = None
    for n in (4096, 8192, 16384, 32768, 65536):
        t = ms.get(f"WindowCold/1/{n}")
        growth = ratio(t, prev)
        target, ok = "", None
        if growth is not None:
            target = f"≤ 2.1× per doubling (here {growth:.2f}×)"
            ok = growth <= 2.1
        row(f"window 256, 1 head, {n}, caches evicted before each call", t,
            None, target, ok, None)
        prev = t
    dense8k = ms.get("Dense/2/8192")
    classify = ms.get("ClassifyOnly/2/8192")
    for rho in (50, 25, 10):
        t = ms.get(f"Layout/2/8192/{rho}")
        bound = None if dense8k is None else 1.15 * rho / 100 * dense8k
        ok = None
        if t is not None and bound is not None:
            ok = t <= bound + (classify or 0)
        row(f"block layout ρ = {rho / 100:g}, 2 heads, 8192", t, dense8k,
            f"≤ 1.15·ρ·dense + c = {fmt(bound)} + {fmt(classify, '{:.2f}')} ms",
            ok, torch.get(f"Layout/2/8192/{rho}"))
    t = ms.get("Documents/2/8192/8")
    r = ratio(dense8k, t)
    row("8 packed documents, 2 heads, 8192", t, dense8k, "≥ 6× vs dense",
        None if r is None else r >= 6, torch.get("Documents/2/8192/8"))
    t, dm = ms.get("Csr/1/16384/64"), ms.get("DenseI1/1/16384/64")
    rows.append(f"| graph, 16384 nodes × 64 edges (#attn.csr), 1 head | "
                f"{fmt(t)} | {fmt(dm)} (dense i1 mask) | "
                f"{fmt(ratio(dm, t), '{:.2f}×')} | vs the same graph as a dense "
                f"mask | – | {fmt(torch.get('Csr/1/16384/64'))} | "
                f"{fmt(ratio(torch.get('Csr/1/16384/64'), t), '{:.1f}×')} |")
    L += ["| row | attnc ms | attnc dense ms | vs dense | target | | "
          "PyTorch dense-mask ms | vs PyTorch |", "|---|---|---|---|---|---|---|---|"]
    L += rows
    L += ["",
          "The window rows run twice. Warm: the same inputs every call, so a "
          "short problem (4 MiB at 4096 tokens) stays in the caches between "
          "calls and a long one (64 MiB at 65536) does not, and the time per "
          "token seems to grow with the length. Evicted: mask_bench reads "
          "twice the last-level cache before each call (untimed), so every "
          "length reads its inputs from memory; these rows carry the "
          "per-doubling target, since the kernel's work per token does not "
          "depend on the length.",
          "",
          "Graph attention's two bodies (`#attn.csr`, 1 head, head_dim 64): a "
          "task whose rows list at most 1/8 of its keys (attnc's default "
          "`--gather-density=8`) gathers its edges, O(edges); denser ones run "
          "the block body, which skips the key blocks no row has an edge in. "
          "\"block body\" is the same kernel built with `--gather-density=0` "
          "(`bench/csr_block_kernels.mlir`):",
          "",
          "| nodes | degree (density) | edges | attnc ms | block body ms | "
          "ratio | ns per edge |",
          "|---|---|---|---|---|---|---|"]
    for n, d in ((4096, 64), (16384, 64), (16384, 1024), (16384, 2048),
                 (16384, 4096)):
        t = ms.get(f"Csr/1/{n}/{d}")
        blk = ms.get(f"CsrBlocks/1/{n}/{d}")
        per = None if t is None else t * 1e6 / (n * d)
        L.append(f"| {n} | {d} ({d / n:.4g}) | {n * d} | {fmt(t)} | "
                 f"{fmt(blk)} | {fmt(ratio(blk, t), '{:.2f}×')} | "
                 f"{fmt(per, '{:.1f}')} |")
    L += ["",
          "Run-time classification per call (documents whose query and key "
          "ids never meet: every key step is classed and skipped; the time is "
          "the classification, the rows' id ranges and the zero output):"
          f" {fmt(None if classify is None else classify * 1e3, '{:.0f}')} µs "
          "at 2 heads × 8192 tokens, "
          f"{fmt(None if ms.get('ClassifyOnly/2/32768') is None else ms['ClassifyOnly/2/32768'] * 1e3, '{:.0f}')}"
          " µs at 32768.",
          "",
          "The weights variants of `attnc --weights=lse,probs` "
          "(`bench/weights_kernels.mlir`, causal, 4 heads): F is the same "
          "code as without the option (test/attnc/options.test diffs its "
          "IR); `F__lse` also writes each row's logsumexp; `F__probs` "
          "writes the weights through the reference lowering (the tiled "
          "kernels do not write weights yet):",
          "",
          "| tokens | F ms | F__lse ms | vs F | F__probs ms | vs F |",
          "|---|---|---|---|---|---|"]
    for n in (1024, 4096):
        f, lse, probs = (ms.get(f"Weights/4/{n}/{k}") for k in range(3))
        L.append(f"| {n} | {fmt(f)} | {fmt(lse)} | "
                 f"{fmt(ratio(lse, f), '{:.3f}×')} | {fmt(probs)} | "
                 f"{fmt(ratio(probs, f), '{:.1f}×')} |")
    L += [f"<!-- end {key} -->"]
    return key, "\n".join(L)


def main(bench_path, torch_path, md_path):
    key, text = section(bench_path, torch_path)
    merged = merge(md_path, key, text)
    with open(md_path, "w") as f:
        f.write(merged)


if __name__ == "__main__":
    main(*sys.argv[1:4])
