//===- halide_attention_generator.cpp - The Halide 14 peer of bench/ ------===//
//
// A hand-scheduled Halide pipeline for the same attention attnc compiles:
//
//   out = softmax(scale * Q Kᵀ + bias) V,   scale = 1/sqrt(head_dim)
//
// on attnc's layout, [batch, heads, seq_len, head_dim] f32 (Halide's dims
// are innermost first: (head_dim, seq_len, heads, batch)). `causal` adds a
// bias of -1e30 (finite: Halide compiles with no-infinities fast math) to
// keys past the bottom-right-aligned diagonal; as a bias added to the
// scores, not a select on them, it keeps the register blocking.
//
// Schedule, per head (the parallel loop) and per tile of R query rows:
//   Kᵀ is transposed once per head;
//   S = scale Q Kᵀ + bias for all keys of the tile, in register blocks of
//   2 vectors of keys x R rows over head_dim;
//   row max and row sum as vector reductions; P = exp(S - max) (Halide's
//   polynomial fast_exp);
//   O = P V / sum in register blocks of 4 vectors of head_dim x R rows over
//   the keys.
// The output is written untiled; the tiling is on the inner stages. This is
// a peer for the benchmark only: it is not part of attnc.
//
//===----------------------------------------------------------------------===//
#include "Halide.h"

using namespace Halide;

namespace {

class Attention : public Generator<Attention> {
public:
  GeneratorParam<bool> causal{"causal", false};
  /// Query rows per register block.
  GeneratorParam<int> rows{"rows", 6};

  Input<Buffer<float>> q{"q", 4};
  Input<Buffer<float>> k{"k", 4};
  Input<Buffer<float>> v{"v", 4};
  Output<Buffer<float>> out{"out", 4};

  void generate() {
    Var c("c"), i("i"), j("j"), h("h"), b("b");
    Expr headDim = q.dim(0).extent();
    Expr qLen = q.dim(1).extent(), kvLen = k.dim(1).extent();
    Expr scale = 1.0f / sqrt(cast<float>(headDim));

    // Query rows past q_len (the last partial tile) read the last row.
    Func qc = BoundaryConditions::repeat_edge(q);
    kt(j, c, h, b) = k(c, j, h, b);
    RDom rd(0, headDim, "rd");
    dot(j, i, h, b) += qc(rd, i, h, b) * kt(j, rd, h, b);
    Expr bias = 0.0f;
    if (causal)
      bias = select(j > i + (kvLen - qLen), -1e30f, 0.0f);
    s(j, i, h, b) = dot(j, i, h, b) * scale + bias;
    RDom rj(0, kvLen, "rj");
    mx(i, h, b) = -1e30f;
    mx(i, h, b) = max(mx(i, h, b), s(rj, i, h, b));
    p(j, i, h, b) = fast_exp(s(j, i, h, b) - mx(i, h, b));
    l(i, h, b) = 0.0f;
    l(i, h, b) += p(rj, i, h, b);
    acc(c, i, h, b) += p(rj, i, h, b) * v(c, rj, h, b);
    out(c, i, h, b) = acc(c, i, h, b) / l(i, h, b);
  }

  void schedule() {
    const int vec = natural_vector_size<float>();
    const int r = rows;
    Var c = out.args()[0], i = out.args()[1], h = out.args()[2],
        b = out.args()[3];
    Var io("io"), ii("ii"), co("co"), ci("ci"), jo("jo"), ji("ji");
    out.split(i, io, ii, r, TailStrategy::GuardWithIf)
        .split(c, co, ci, 4 * vec)
        .reorder(ci, ii, co, io, h, b)
        .vectorize(ci, vec)
        .fuse(h, b, h)
        .parallel(h);

    kt.compute_at(out, h).vectorize(kt.args()[0], vec);

    // S for all keys of an R-row tile, in 2-vector x R register blocks.
    Var sj = s.args()[0], si = s.args()[1];
    s.compute_at(out, io)
        .split(sj, jo, ji, 2 * vec)
        .reorder(ji, si, jo)
        .vectorize(ji, vec)
        .unroll(si);
    Var dj = dot.args()[0], di = dot.args()[1];
    dot.compute_at(s, jo).vectorize(dj, vec).unroll(dj).unroll(di);
    dot.update()
        .reorder(dj, di, dot.rvars()[0])
        .vectorize(dj, vec)
        .unroll(dj)
        .unroll(di);

    mx.compute_at(out, io);
    mx.update().atomic().vectorize(mx.rvars()[0], vec);
    p.compute_at(out, io).vectorize(p.args()[0], vec);
    l.compute_at(out, io);
    l.update().atomic().vectorize(l.rvars()[0], vec);

    // P V in 4-vector x R register blocks over the keys.
    Var ac = acc.args()[0], ai = acc.args()[1];
    acc.compute_at(out, co).vectorize(ac, vec).unroll(ac).unroll(ai);
    acc.update()
        .reorder(ac, ai, acc.rvars()[0])
        .vectorize(ac, vec)
        .unroll(ac)
        .unroll(ai);

    // head_dim a multiple of 4 vectors, keys of 2 (the suite's shapes).
    q.dim(0).set_min(0);
    k.dim(0).set_min(0);
    v.dim(0).set_min(0);
  }

private:
  Func kt{"kt"}, dot{"dot"}, s{"s"}, mx{"mx"}, p{"p"}, l{"l"}, acc{"acc"};
};

} // namespace

HALIDE_REGISTER_GENERATOR(Attention, halide_attention)
