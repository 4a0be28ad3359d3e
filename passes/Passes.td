//===- Passes.td - attn -> attn transforms -----------------*- tablegen -*-===//
#ifndef ATTN_PASSES_TD
#define ATTN_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnMaterializeScale : Pass<"attn-materialize-scale"> {
  let summary = "Make the default softmax scale of attn ops explicit";
  let description = [{
    Sets `scale = 1/sqrt(head_dim)` on every `attn.sdpa` that has no `scale`
    and a static `head_dim`, so that later passes (fusion of a preceding
    scaling, tiling with log2(e) folded into the scale) see one number.
    Ops with a dynamic `head_dim` keep the implicit default.

    Before:
    ```mlir
    %o = attn.sdpa %q, %k, %v : tensor<1x1x4x64xf32>, ...
    ```
    After:
    ```mlir
    %o = attn.sdpa %q, %k, %v {scale = 1.250000e-01 : f32} : ...
    ```
  }];
  let statistics = [
    Statistic<"numMaterialized", "num-materialized",
              "Number of scales made explicit">
  ];
}

#endif // ATTN_PASSES_TD
