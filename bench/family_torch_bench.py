#!/usr/bin/python3
"""PyTorch 1.13 for the rows of bench/family_bench.cpp, written as users
write them.

Luong attention (Luong et al. 2015) as NMT code writes it (the PyTorch
chatbot tutorial's "general" score, in its batched bmm form): the general
score as an nn.Linear(hidden, hidden, bias=False) applied to the encoder
states, then torch.bmm, softmax, torch.bmm, and for the layer
tanh(nn.Linear(2 hidden, hidden)(torch.cat([context, h_t], -1))). Note the
usual form projects every source state at every decoder step; attnc folds
W_a into the query instead. One thread, f32, under torch.no_grad().

Writes JSON {torch_version, rows: [{name, ms}]} to argv[1], `name` the
Google Benchmark name of the matching family_bench row. Run by
bench/run_family.sh.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bench import best_ms, loaded_openblas, set_threads  # noqa: E402

H = 512


def luong_rows():
    w_a = torch.nn.Linear(H, H, bias=False)
    w_c = torch.nn.Linear(2 * H, H)
    for layer, shapes in ((False, [(16, 1, 64), (16, 1, 512), (16, 64, 64)]),
                          (True, [(16, 1, 64), (16, 64, 64)])):
        for b, lt, ls in shapes:
            ht = torch.rand(b, lt, H) * 2 - 1
            hs = torch.rand(b, ls, H) * 2 - 1

            def step():
                score = torch.bmm(ht, w_a(hs).transpose(1, 2))
                context = torch.bmm(F.softmax(score, dim=-1), hs)
                if layer:
                    return torch.tanh(w_c(torch.cat([context, ht], -1)))
                return context

            name = "LuongLayer" if layer else "LuongGeneral"
            yield f"{name}/{b}/{lt}/{ls}/real_time", step


def main(path):
    blas = loaded_openblas()
    set_threads(1, blas)
    rows = []
    with torch.no_grad():
        for name, fn in luong_rows():
            rows.append({"name": name, "ms": best_ms(fn)})
            print(f"{name}: {rows[-1]['ms']:.3f} ms", file=sys.stderr)
    with open(path, "w") as f:
        json.dump({"torch_version": torch.__version__, "rows": rows}, f,
                  indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
