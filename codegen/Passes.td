//===- Passes.td - Passes that leave the attn dialect ------*- tablegen -*-===//
#ifndef ATTN_CODEGEN_PASSES_TD
#define ATTN_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnDecompose : Pass<"attn-decompose"> {
  let summary = "Decompose attn ops into linalg/arith/math on tensors";
  let description = [{
    Replaces every attn op that implements `AggregatedOpInterface` by its
    decomposition. For `attn.sdpa` this is the reference lowering: scores
    `S = Q Kᵀ` over `[batch, kv_heads, group, q_len, kv_len]`, scale, mask and
    causal masking, row max (from the lowest finite float), `exp`, row sum,
    `P V`, and a division guarded against fully masked rows.

    Before:
    ```mlir
    %o = attn.sdpa %q, %k, %v causal : tensor<1x2x?x16xf32>, ...
    ```
    After: `tensor.expand_shape` of the query to
    `[batch, kv_heads, group, q_len, head_dim]`, seven `linalg.generic` ops,
    and a `tensor.collapse_shape` back to `[batch, q_heads, q_len, v_head_dim]`.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::math::MathDialect",
                           "mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numDecomposed", "num-decomposed", "Number of ops decomposed">
  ];
}

def AttnExposeWeights : Pass<"attn-expose-weights", "mlir::ModuleOp"> {
  let summary = "Add copies of the exported functions that also return "
                "each attn.sdpa's logsumexp or attention weights";
  let description = [{
    For each public `func.func` `F` with a body and at least one
    `attn.sdpa`, and each kind asked for, adds a public copy `F__<kind>`
    after `F`:

    - `F__lse`: every `attn.sdpa` in it also returns its logsumexp
      (`[batch, q_heads, q_len]`, f32);
    - `F__probs`: every `attn.sdpa` in it also returns its attention
      weights (`[batch, q_heads, q_len, kv_len]`, f32).

    The copy returns `F`'s results and then one of these per `attn.sdpa`,
    in program order. They are named `lse` (or `probs`) when there is one
    op, else `lse0`, `lse1`, ... (an underscore is appended to a name `F`
    already uses). `F` itself is left as it was, so its ABI does not change;
    the copies are ordinary functions that `attn-export-functions` then
    exports. Run it before that pass (`attnc --weights=lse,probs`).

    Errors: an unknown kind, or a symbol named `F__<kind>` already in the
    module.
  }];
  let options = [
    ListOption<"kinds", "kinds", "std::string",
               "The copies to add: lse (F__lse), probs (F__probs)">
  ];
}

def AttnExportFunctions : Pass<"attn-export-functions", "mlir::ModuleOp"> {
  let summary = "Give public functions the attnc C ABI (destination-passing "
                "memrefs plus a signature)";
  let description = [{
    For each public `func.func` with a body:

    - derives its *signature*: each argument's dtype, rank and static dims,
      which dims must be equal at run time (from the shape relations of the
      attn ops inside), and which must divide one another (GQA), and stores it
      as `attn.signature` (encoding in docs/abi.md), with the argument names
      in `attn.arg_names` and the C name in `attn.export_name`;
    - rewrites it to destination-passing style: tensor arguments become
      strided memrefs (any non-negative strides) read through
      `bufferization.to_tensor restrict`, each result becomes a trailing
      output memref written by `bufferization.materialize_in_destination`;
    - renames it `__attn_kernel_<name>`. `attn-emit-entry-points` later
      adds the exported C function `<name>`.

    Argument names come from the `attn.name` argument/result attribute, else
    `arg<i>` and `result<i>`. Errors: a name unusable in C (not an
    identifier, a keyword, reserved), a non-tensor or unsupported-dtype
    argument, no results, more than 64 arguments and results, an op other
    than `attn.sdpa`, `tensor.cast` or one implementing
    `ShapeRelationsOpInterface` (`attn.project`, `attn.luong_output`) on
    dynamic shapes (its shape relations would go unchecked), a call that
    was not inlined, or a call to the
    function from inside the module.
  }];
  let options = [
    Option<"unitStrideVariant", "unit-stride-variant", "bool", "false",
           "Also emit `__attn_kernel_<name>__unit_stride`, the same kernel "
           "on memrefs whose innermost stride is 1, for "
           "attn-emit-entry-points to call when every argument is "
           "contiguous in its last dim">
  ];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect",
                           "mlir::memref::MemRefDialect"];
}

def AttnEmitEntryPoints : Pass<"attn-emit-entry-points", "mlir::ModuleOp"> {
  let summary = "Emit the exported C entry points of lowered kernels";
  let description = [{
    Runs on the LLVM dialect. For each `llvm.func` carrying
    `attn.export_name = "<name>"` (from `attn-export-functions`), emits

    - `@__attn_sig_<name>`: the encoded signature, an internal i64 array;
    - `@__attn_names_<name>`: the kernel and argument names;
    - `@__attn_task_<name>(ptr argv, i64 begin, i64 end)`: unpacks the
      descriptors into memref arguments and calls the kernel, on batches
      `[begin, end)` when the kernel is `attn.batch_parallel`;
    - `llvm.func @<name>(ptr, ..., ptr) -> i32`: takes one
      `attn_tensor_t *` per argument (inputs, then outputs), calls
      `attn_check_call`, returns its status on failure without touching the
      outputs, and otherwise returns the status of
      `attn_run_tasks(names, batch or 1, task, argv)`.

    The kernel itself becomes internal, so LLVM may inline it.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def AttnExpandMath : Pass<"attn-expand-math"> {
  let summary = "Replace math.exp and friends by polynomial approximations";
  let description = [{
    Applies upstream `populateMathPolynomialApproximationPatterns` (Cephes-
    style polynomials, about 2 ulp for f32 `exp`), so that no libm call is
    left inside a kernel's loops. Upstream exposes these patterns only through
    a test pass, hence this thin wrapper.

    With `expand-bf16` (targets without avx512bf16), bf16 <-> f32 `extf` and
    `truncf` also become integer ops (upstream's
    `populateExpandBFloat16Patterns`), since LLVM would otherwise call
    `__truncsfbf2`, which GCC 12's libgcc lacks. Upstream's `arith-expand`
    pass would do that too, but it also expands `maxnumf` into compares and
    selects, which would cost the kernels' running max and exp2 clamp three
    instructions each instead of one `vmaxps`.
  }];
  let options = [
    Option<"expandBf16", "expand-bf16", "bool", "false",
           "Expand bf16 extf/truncf into integer ops">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def AttnLowerDynamicExpandShape
    : Pass<"attn-lower-dynamic-expand-shape"> {
  let summary = "Lower memref.expand_shape with several dynamic dims in one "
                "group to memref.reinterpret_cast";
  let description = [{
    Upstream `expand-strided-metadata` (MLIR 22) crashes on a
    `memref.expand_shape` whose reassociation group has more than one dynamic
    result dim, which is what the GQA view `[batch, kv_heads, group, ...]`
    produces when both head counts are dynamic. This pass rewrites exactly
    those ops to `memref.extract_strided_metadata` +
    `memref.reinterpret_cast`: within a group, the innermost result dim keeps
    the source stride and each outer dim's stride is the inner stride times
    the inner size. Run it before `expand-strided-metadata`.
  }];
  let dependentDialects = ["mlir::affine::AffineDialect",
                           "mlir::memref::MemRefDialect"];
}

def AttnLowerMemrefCopy : Pass<"attn-lower-memref-copy"> {
  let summary = "Rewrite memref.copy as linalg.copy, so that it becomes loops";
  let description = [{
    `finalize-memref-to-llvm` lowers a `memref.copy` between non-contiguous
    memrefs to a call to `memrefCopy` in MLIR's C runner utilities. Kernels
    compiled by attnc link only libattn_runtime, which links no MLIR, so this
    pass turns every `memref.copy` into a `linalg.copy` before
    `convert-linalg-to-loops`.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def AttnOutlineParallel : Pass<"attn-outline-parallel", "mlir::ModuleOp"> {
  let summary = "Outline scf.parallel loops into functions run by the "
                "runtime's parallel-for";
  let description = [{
    Each outermost `scf.parallel` with zero lower bounds and unit steps (the
    parallel loop of `attn-tile`, after bufferization and
    `scf-forall-to-parallel`) becomes

    - `func.func private @__attn_par_<fn>_<i>(%begin: index, %end: index,
      <captured values>)`, which runs iterations `[begin, end)` of the loop
      nest, linearized row-major;
    - a `func.call` of it over `[0, product of upper bounds)` in place of
      the loop.

    `attn-emit-entry-points` later turns each such call into a call of the
    runtime's `attn_parallel_region`, which splits the range across the
    installed thread pool. Run it on memrefs, before the conversion to LLVM.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::scf::SCFDialect"];
}

#endif // ATTN_CODEGEN_PASSES_TD
