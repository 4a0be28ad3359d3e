// RUN: attn-opt %s --split-input-file --attn-expose-weights="kinds=lse" -verify-diagnostics

// The copy's name must be usable: F = attn gives attn__lse, whose prefix
// attn_ is reserved.
// expected-error @+1 {{cannot add 'attn__lse', the copy of 'attn' that also returns its logsumexp (attnc --weights): the name uses a prefix reserved by attnc ('attn_', '__attn', '_mlir')}}
func.func @attn(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %o = attn.sdpa %q, %q, %q
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
      -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}

// -----

// 62 arguments, a result and two ops' lse: over the C ABI's 64.
// expected-error @+1 {{cannot add 'wide__lse', the copy of 'wide' that also returns its logsumexp (attnc --weights): it would have 65 arguments and results; the C ABI takes at most 64}}
func.func @wide(%a0: tensor<1x1x4x8xf32>,
    %a1: tensor<1x1x4x8xf32>,
    %a2: tensor<1x1x4x8xf32>,
    %a3: tensor<1x1x4x8xf32>,
    %a4: tensor<1x1x4x8xf32>,
    %a5: tensor<1x1x4x8xf32>,
    %a6: tensor<1x1x4x8xf32>,
    %a7: tensor<1x1x4x8xf32>,
    %a8: tensor<1x1x4x8xf32>,
    %a9: tensor<1x1x4x8xf32>,
    %a10: tensor<1x1x4x8xf32>,
    %a11: tensor<1x1x4x8xf32>,
    %a12: tensor<1x1x4x8xf32>,
    %a13: tensor<1x1x4x8xf32>,
    %a14: tensor<1x1x4x8xf32>,
    %a15: tensor<1x1x4x8xf32>,
    %a16: tensor<1x1x4x8xf32>,
    %a17: tensor<1x1x4x8xf32>,
    %a18: tensor<1x1x4x8xf32>,
    %a19: tensor<1x1x4x8xf32>,
    %a20: tensor<1x1x4x8xf32>,
    %a21: tensor<1x1x4x8xf32>,
    %a22: tensor<1x1x4x8xf32>,
    %a23: tensor<1x1x4x8xf32>,
    %a24: tensor<1x1x4x8xf32>,
    %a25: tensor<1x1x4x8xf32>,
    %a26: tensor<1x1x4x8xf32>,
    %a27: tensor<1x1x4x8xf32>,
    %a28: tensor<1x1x4x8xf32>,
    %a29: tensor<1x1x4x8xf32>,
    %a30: tensor<1x1x4x8xf32>,
    %a31: tensor<1x1x4x8xf32>,
    %a32: tensor<1x1x4x8xf32>,
    %a33: tensor<1x1x4x8xf32>,
    %a34: tensor<1x1x4x8xf32>,
    %a35: tensor<1x1x4x8xf32>,
    %a36: tensor<1x1x4x8xf32>,
    %a37: tensor<1x1x4x8xf32>,
    %a38: tensor<1x1x4x8xf32>,
    %a39: tensor<1x1x4x8xf32>,
    %a40: tensor<1x1x4x8xf32>,
    %a41: tensor<1x1x4x8xf32>,
    %a42: tensor<1x1x4x8xf32>,
    %a43: tensor<1x1x4x8xf32>,
    %a44: tensor<1x1x4x8xf32>,
    %a45: tensor<1x1x4x8xf32>,
    %a46: tensor<1x1x4x8xf32>,
    %a47: tensor<1x1x4x8xf32>,
    %a48: tensor<1x1x4x8xf32>,
    %a49: tensor<1x1x4x8xf32>,
    %a50: tensor<1x1x4x8xf32>,
    %a51: tensor<1x1x4x8xf32>,
    %a52: tensor<1x1x4x8xf32>,
    %a53: tensor<1x1x4x8xf32>,
    %a54: tensor<1x1x4x8xf32>,
    %a55: tensor<1x1x4x8xf32>,
    %a56: tensor<1x1x4x8xf32>,
    %a57: tensor<1x1x4x8xf32>,
    %a58: tensor<1x1x4x8xf32>,
    %a59: tensor<1x1x4x8xf32>,
    %a60: tensor<1x1x4x8xf32>,
    %a61: tensor<1x1x4x8xf32>)
    -> tensor<1x1x4x8xf32> {
  %o = attn.sdpa %a0, %a1, %a2
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
      -> tensor<1x1x4x8xf32>
  %o2 = attn.sdpa %o, %a1, %a2
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
      -> tensor<1x1x4x8xf32>
  return %o2 : tensor<1x1x4x8xf32>
}
