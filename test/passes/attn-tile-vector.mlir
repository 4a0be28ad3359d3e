// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32" --canonicalize --cse --split-input-file | FileCheck %s --implicit-check-not=attn.online_sdpa
// RUN: attn-opt %s --attn-tile="vector-width=8 vector-registers=16" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=AVX2
// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32" --attn-decompose --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=NOSQUARE
// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=TOP

// Decode (flash-decoding): with fewer tasks (batch x heads x query blocks)
// than 4 per thread of the runtime, the key range is split into at most
// kv_len / 256 parts, run as a 4th parallel dimension, and merged by their
// logsumexp into the result. Tasks with at most 16 query rows use a body
// with one row vector (Qᵀ 64 x 16), so that padding rows cost no FMAs.
// TOP: func.func private @attn_get_num_threads() -> i32
// TOP-LABEL: func.func @gqa
// TOP: %[[T:.+]] = call @attn_get_num_threads() : () -> i32
// TOP: %[[TI:.+]] = arith.index_cast %[[T]]
// TOP: %[[WANT:.+]] = arith.muli %[[TI]], %c4
// TOP: %[[BYLEN:.+]] = arith.divui %{{.+}}, %c256
// TOP: %[[S:.+]] = arith.maxui %{{.+}}, %c1
// TOP: %[[SPLIT:.+]] = arith.cmpi ugt, %[[S]], %c1
// TOP: scf.if %[[SPLIT]] -> (tensor<1x8x?x32xf32>) {
// TOP:   %[[P:.+]]:3 = scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (8, %{{.+}}, %[[S]]) shared_outs({{.*}}) -> (tensor<1x8x?x?x32xf32>, tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) {
// TOP:     scf.if %{{.+}} -> (tensor<1x1x?x32xf32>, tensor<1x1x?xf32>, tensor<1x1x?xf32>) {
// TOP:       outs(%{{.+}} : tensor<64x16xf32>)
// TOP:     } else {
// TOP:       outs(%{{.+}} : tensor<64x64xf32>)
// TOP:   scf.forall.in_parallel
// TOP-COUNT-3: tensor.parallel_insert_slice
// The merge: M = max over parts, the weights w_s = 2^(max_s - M) once per
// part and row, then sum_s w_s acc_s over sum_s w_s sum_s, written into the
// same result tensor as the other branch.
// TOP:   %[[GMAX:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[P]]#1 : tensor<1x8x?x?xf32>)
// TOP:     arith.maximumf
// TOP:   %[[W:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[P]]#1, %[[GMAX]] : tensor<1x8x?x?xf32>, tensor<1x8x?xf32>)
// TOP:     math.exp
// TOP:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[P]]#0, %[[W]] :
// TOP-NOT: math.exp
// TOP:   linalg.generic {{.*}} ins(%[[P]]#2, %[[W]] :
// TOP:   linalg.generic {{.*}} outs(%[[OUT:[a-z0-9]+]] : tensor<1x8x?x32xf32>)
// TOP:   arith.divf
// TOP: } else {
// TOP:   scf.forall (%{{.+}}, %{{.+}}) in (8, %{{.+}}) shared_outs(%{{.+}} = %[[OUT]]) -> (tensor<1x8x?x32xf32>) {
// TOP:     %[[FEW:.+]] = arith.cmpi ule, %{{.+}}, %c16
// TOP:     scf.if %[[FEW]] -> (tensor<1x1x?x32xf32>) {

// The register-blocked vector body (AVX-512 model: 16 lanes, 32 registers).
// A task holds 64 query rows as 4 vectors. Qᵀ is packed once per task
// (scaled, rows past q_len zero); scores Sᵀ [kv_block, 64] and the
// accumulator Oᵀ [v_head_dim, 64] are vectorized over query rows; the key
// loop carries (Oᵀ, Sᵀ, 4 running-max vectors, 4 running-sum vectors). The
// keys per step (64 without an L1 size) are rounded down to a multiple of
// the 6-key register block: 60.
// CHECK-LABEL: func.func @gqa
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<1x8x?x64xf32>, %[[K:[a-z0-9]+]]: tensor<1x2x?x64xf32>, %[[V:[a-z0-9]+]]: tensor<1x2x?x32xf32>
// CHECK: } else {
// CHECK: scf.forall (%[[H:[a-z0-9]+]], %[[QB:[a-z0-9]+]]) in (8,
// CHECK:   %[[KVH:.+]] = arith.divui %[[H]], %c4
// CHECK:   } else {
// CHECK:   %[[QT:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<64x64xf32>)
// CHECK:     tensor.extract %[[Q]][%c0, %[[H]], %{{.+}}, %{{.+}}]
// CHECK:     arith.mulf %{{.+}}, %cst{{.*}} : f32
// CHECK:   %[[OT0:.+]] = linalg.fill {{.*}} -> tensor<32x64xf32>
// CHECK:   scf.for %[[J0:.+]] = %c0 to %{{.+}} step %c60 iter_args(%[[OT:.+]] = %[[OT0]], %[[ST:.+]] = %{{.+}}, %[[M0:.+]] = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %[[L0:.+]] = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<32x64xf32>, tensor<60x64xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// Q Kᵀ in register blocks of 6 keys x 4 vectors (24 accumulators) over
// head_dim, unrolled by 4; then the remaining keys in blocks of 4, 2 and 1
// keys (16, 8 and 4 accumulators), not one at a time.
// CHECK:     scf.for %[[JL:.+]] = %c0 to %{{.+}} step %c6 iter_args(
// CHECK:       scf.for %[[C:.+]] = %c0 to %c64 step %c4 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK-COUNT-4: vector.transfer_read %[[QT]][%[[C]], %{{[a-z0-9_]+}}], %{{.+}} : tensor<64x64xf32>, vector<16xf32>
// CHECK:         tensor.extract %[[K]][%c0, %[[KVH]], %{{.+}}, %[[C]]]
// CHECK:         vector.broadcast %{{.+}} : f32 to vector<16xf32>
// CHECK-COUNT-4: vector.fma
// CHECK:         %[[C1:.+]] = arith.addi %[[C]], %c1
// CHECK-COUNT-4: vector.transfer_read %[[QT]][%[[C1]], %{{[a-z0-9_]+}}]
// CHECK:       arith.maxnumf
// CHECK:       vector.transfer_write
// CHECK:     scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c4 iter_args(
// CHECK:       scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:     scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c2 iter_args(
// CHECK:     scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c1 iter_args(
// P = 2^(S - new max) in place (log2(e) is in the scale), with the row
// sums: the exp2 inline (a clamp at -127, a degree-5 polynomial by Estrin's
// scheme, times 2^n from the exponent bits), no math.exp, no select.
// CHECK-NOT: math.exp
// CHECK:     scf.for %{{.+}} = %c0 to %{{.+}} step %c1 iter_args(
// CHECK:       vector.transfer_read
// CHECK:       arith.maxnumf %{{.+}}, %{{.+}} fastmath<nnan> : vector<16xf32>
// CHECK-NOT:   arith.select
// CHECK:       arith.mulf %{{.+}}, %{{.+}} : vector<16xf32>
// CHECK-COUNT-5: vector.fma
// CHECK:       arith.shli %{{.+}}, %{{.+}} : vector<16xi32>
// CHECK:       arith.mulf
// CHECK:       vector.transfer_write
// P V: acc = alpha * acc + Pᵀ V in register blocks of 6 value columns x 4
// vectors over the step's keys (unrolled by 2), then the remaining 2 columns
// as one block of 2.
// CHECK:     scf.for %[[C0:.+]] = %c0 to %c30 step %c6 iter_args(
// CHECK:       arith.mulf
// CHECK:       scf.for %[[J:.+]] = %c0 to %{{.+}} step %c2 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:         tensor.extract %[[V]][%c0, %[[KVH]], %{{.+}}, %[[C0]]]
// CHECK:     scf.for %{{.+}} = %c0 to %{{.+}} step %c2 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// Out = Oᵀ transposed / sum (0 where the sum is 0).
// CHECK:   linalg.generic {{.*}} outs(%{{.+}} : tensor<1x1x?x32xf32>)
// CHECK:     arith.divf
// CHECK:   tensor.parallel_insert_slice
// AVX2 model (8 lanes, 16 registers): 16 query rows as 2 vectors, register
// blocks of 6 keys x 2 vectors; 60 keys per step.
// The keys per step from the L1 size: the step's scores (kv-block x 64 f32)
// in half of it: 16 KiB gives 32 keys, 30 as a multiple of 6.
// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32 l1-bytes=16384" --split-input-file | FileCheck %s --check-prefix=L1
// L1-LABEL: func.func @gqa
// L1: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c30{{[_0-9]*}} iter_args({{.*}}) -> (tensor<32x64xf32>, tensor<30x64xf32>
// AVX2-LABEL: func.func @gqa
// AVX2: arith.ceildivui %{{.+}}, %c16
// AVX2: outs(%{{.+}} : tensor<64x16xf32>)
// AVX2: scf.for %{{.+}} = %c0 to %{{.+}} step %c6 iter_args(
// AVX2: scf.for %{{.+}} = %c0 to %c64 step %c4 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// No [q_len, kv_len] buffer: no allocation has kv_len among its sizes, even
// after decomposition (the task's blocks are static; the split workspace is
// [batch, heads, parts, q_len(, v_head_dim)] with parts <= 4 x threads).
// NOSQUARE-LABEL: func.func @gqa
// NOSQUARE: %[[LK:.+]] = tensor.dim %arg1, %c2
// NOSQUARE-NOT: tensor.empty({{[^)]*}}%[[LK]]
// NOSQUARE-NOT: bufferization.alloc_tensor({{[^)]*}}%[[LK]]
// NOSQUARE: return
func.func @gqa(%q: tensor<1x8x?x64xf32>, %k: tensor<1x2x?x64xf32>,
               %v: tensor<1x2x?x32xf32>) -> tensor<1x8x?x32xf32> {
  %o = attn.sdpa %q, %k, %v
      : tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>
      -> tensor<1x8x?x32xf32>
  return %o : tensor<1x8x?x32xf32>
}

// -----

// Causal: the dense kernels' query blocks of 64 rows (4 vectors, register
// blocks of 6 keys x 4 vectors, 60 keys per step). Key blocks past the
// diagonal are skipped by the loop bound. A step below the diagonal of the
// task's first row (full for every row) runs without the mask; the others
// apply it in the epilogue of each register block: key j is masked (-inf)
// for query rows i < j - shift.
// A part of a split key range starts at a whole key block of the task's
// causal range.
// CHECK-LABEL: func.func @causal
// CHECK: arith.ceildivui %{{.+}}, %c64
// CHECK: scf.forall
// CHECK:   } else {
// CHECK:   scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c60 iter_args({{.*}}) -> (tensor<64x64xf32>, tensor<60x64xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:     %[[ISFULL:.+]] = arith.cmpi sle, %{{.+}}, %{{.+}} : index
// CHECK:     scf.if %[[ISFULL]] -> (tensor<64x64xf32>, tensor<60x64xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-NOT: arith.cmpi sle, %{{.+}}, %{{.+}} : vector<16xi32>
// CHECK:     } else {
// CHECK:     scf.for
// CHECK:       scf.for
// CHECK:       %[[TH:.+]] = arith.index_cast %{{.+}} : index to i32
// CHECK:       %[[THV:.+]] = vector.broadcast %[[TH]] : i32 to vector<16xi32>
// CHECK:       %[[KEEP:.+]] = arith.cmpi sle, %[[THV]], %cst{{.*}} : vector<16xi32>
// CHECK:       arith.select %[[KEEP]], %{{.+}}, %cst{{.*}} : vector<16xi1>, vector<16xf32>
func.func @causal(%q: tensor<1x12x?x64xf32>, %k: tensor<1x12x?x64xf32>,
                  %v: tensor<1x12x?x64xf32>) -> tensor<1x12x?x64xf32> {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>
      -> tensor<1x12x?x64xf32>
  return %o : tensor<1x12x?x64xf32>
}

// -----

// A mask operand: per step, its terms for the block are gathered into Mᵀ
// [kv_block, q_block] like the scores (a keep-mask as 0 / -inf, a bias
// times log2(e)) and added in the epilogue of each register block, on every
// step (its terms are data).
// CHECK-LABEL: func.func @masked
// CHECK-SAME: %[[M:[a-z0-9]+]]: tensor<?x?xi1>
// CHECK: } else {
// CHECK: scf.for
// CHECK:   %[[MT:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<60x64xf32>)
// CHECK:     %[[KEEP:.+]] = tensor.extract %[[M]][%{{.+}}, %{{.+}}] : tensor<?x?xi1>
// CHECK:     arith.select %[[KEEP]], %{{.+}}, %{{.+}} : f32
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK-COUNT-4: vector.fma
// CHECK:     vector.transfer_read %[[MT]]
// CHECK:     arith.addf
// CHECK: return
func.func @masked(%q: tensor<1x1x?x64xf32>, %k: tensor<1x1x?x64xf32>,
                  %v: tensor<1x1x?x64xf32>, %m: tensor<?x?xi1>)
    -> tensor<1x1x?x64xf32> {
  %o = attn.sdpa %q, %k, %v mask %m
      : tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>,
        tensor<?x?xi1> -> tensor<1x1x?x64xf32>
  return %o : tensor<1x1x?x64xf32>
}

// -----

// bf16 inputs. With bf16-dot (avx512_bf16), Q is packed as pairs along
// head_dim [32, 128] x bf16, each key contributes a broadcast pair of
// (K[j, 2c], K[j, 2c + 1]) to one vdpbf16ps per row vector, the scale is
// applied to the f32 scores, and P is stored as bf16 pairs of keys
// [30, 128] (interleaved rows j, j + 1) for the P V dot products. Without
// it, bf16 is widened to f32 as it is read.
// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32 bf16-dot=1" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=BF16DOT
// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=BF16WIDE
// CHECK-LABEL: func.func @bf16
// BF16DOT-LABEL: func.func @bf16
// BF16DOT: } else {
// BF16DOT: %[[QP:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<32x128xbf16>)
// BF16DOT:   arith.divui
// BF16DOT:   tensor.extract %{{.+}} : tensor<1x8x?x64xbf16>
// BF16DOT: scf.for
// BF16DOT:   scf.for
// BF16DOT:     scf.for %[[C2:.+]] = %c0 to %c32 step %c1
// BF16DOT:       vector.transfer_read %[[QP]][%[[C2]], %{{[a-z0-9_]+}}]{{.*}} : tensor<32x128xbf16>, vector<32xbf16>
// BF16DOT:       arith.bitcast %{{.+}} : bf16 to i16
// BF16DOT:       arith.shli
// BF16DOT:       arith.ori
// BF16DOT:       vector.broadcast %{{.+}} : i32 to vector<16xi32>
// BF16DOT:       vector.bitcast %{{.+}} : vector<16xi32> to vector<32xbf16>
// BF16DOT:       x86vector.avx512.dot %{{.+}}, %{{.+}}, %{{.+}} : vector<32xbf16> -> vector<16xf32>
// BF16DOT:     arith.mulf %{{.+}}, %{{.+}} : vector<16xf32>
// BF16DOT:   arith.truncf %{{.+}} : vector<16xf32> to vector<16xbf16>
// BF16DOT:   vector.interleave %{{.+}}, %{{.+}} : vector<16xbf16> -> vector<32xbf16>
// BF16DOT:   vector.transfer_write %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}]{{.*}} : vector<32xbf16>, tensor<30x128xbf16>
// BF16DOT:   x86vector.avx512.dot
// BF16DOT: arith.bitcast %{{.+}} : i16 to bf16
// BF16WIDE-LABEL: func.func @bf16
// BF16WIDE-NOT: x86vector
// BF16WIDE: arith.extf %{{.+}} : bf16 to f32
// BF16WIDE: vector.fma
func.func @bf16(%q: tensor<1x8x?x64xbf16>, %k: tensor<1x8x?x64xbf16>,
                %v: tensor<1x8x?x64xbf16>) -> tensor<1x8x?x64xbf16> {
  %o = attn.sdpa %q, %k, %v
      : tensor<1x8x?x64xbf16>, tensor<1x8x?x64xbf16>, tensor<1x8x?x64xbf16>
      -> tensor<1x8x?x64xbf16>
  return %o : tensor<1x8x?x64xbf16>
}

// -----

// Decode: with rows of Q, K and V known to be contiguous (operands read from
// memrefs of innermost stride 1, as in attn-export-functions' unit-stride
// copy), q_len <= 4 takes a body vectorized over head_dim, one task per
// (batch, KV head) holding its whole group of query heads (here 1). Its
// state (acc, max, sum, P) lives in buffers written in place. Per step of
// 128 keys and block of rows (4, 2, then 1 at a time): scores key by key as
// dot products of rows (8 vectors of 16 of head_dim 128, one FMA per row,
// each key vector loaded once for the block), reduced as a tree; each
// row's softmax over the step 16 keys at a time; then P V keys outermost,
// each V vector loaded once for the block's rows.
// CHECK-LABEL: func.func @decode
// DECODE-LABEL: func.func @decode
// DECODE: %[[DEC:.+]] = arith.cmpi ule, %{{.+}}, %c4 : index
// DECODE: scf.if %[[DEC]]
// DECODE:   scf.forall (%{{.+}}, %{{.+}}) in (32, %{{.+}}) shared_outs({{.*}}) -> (tensor<1x32x?x?x128xf32>, tensor<1x32x?x?xf32>, tensor<1x32x?x?xf32>) {
// DECODE:     %[[ACC:.+]] = memref.alloc(%{{.+}}) {alignment = 64 : i64} : memref<?x128xf32>
// DECODE:     %[[PB:.+]] = memref.alloc(%{{.+}}) {alignment = 64 : i64} : memref<?x128xf32>
// DECODE:     scf.for %[[J0:.+]] = %{{.+}} to %{{.+}} step %c128 {
// DECODE:       scf.for %{{.+}} = %c0 to %{{.+}} step %c4 {
// DECODE:         scf.for %{{.+}} = %c0 to %{{.+}} step %c1 iter_args({{.*}}) -> (f32, f32, f32, f32) {
// DECODE:           scf.for %[[C:.+]] = %c0 to %c128 step %c16 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// DECODE:             vector.transfer_read %{{.+}}[%c0, %{{.+}}, %{{.+}}, %[[C]]]{{.*}} : tensor<1x32x?x128xf32>, vector<16xf32>
// The K row 8 keys ahead is prefetched, a vector at a time.
// DECODE-NEXT:        memref.prefetch %{{.+}}[%c0, %{{.+}}, %{{.+}}, %[[C]]], read, locality<3>, data
// DECODE-COUNT-4:     vector.fma
// DECODE-COUNT-4:   vector.reduction <add>, %{{.+}} fastmath<reassoc>
// DECODE:           memref.store %{{.+}}, %[[PB]]
// DECODE:         vector.transfer_write %{{.+}}, %[[PB]]
// P V: a V row of head_dim 128 fits in 8 registers (the run-time choice
// folds for a static head_dim), so 2 rows at a time keep their
// accumulators in 16 registers over the step's keys, each key's V row read
// whole, one load per vector for both rows.
// DECODE:       scf.for %[[R0:.+]] = %c0 to %{{.+}} step %c2 {
// DECODE-COUNT-16: vector.transfer_read %[[ACC]]
// DECODE:         scf.for %{{.+}} = %c0 to %{{.+}} step %c1 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// DECODE:           memref.load %[[PB]]
// DECODE:           vector.transfer_read %{{.+}}[%c0, %{{.+}}, %{{.+}}, %c0]{{.*}} : tensor<1x32x?x128xf32>, vector<16xf32>
// DECODE-NEXT:      memref.prefetch %{{.+}}[%c0, %{{.+}}, %{{.+}}, %c0], read, locality<3>, data
// DECODE-NEXT:      vector.fma
// DECODE-NEXT:      vector.fma
// DECODE-COUNT-16: vector.transfer_write %{{.+}}, %[[ACC]]
// DECODE:     bufferization.to_tensor %{{.+}} restrict
// DECODE: } else {
// DECODE:   arith.cmpi ule, %{{.+}}, %c16 : index
// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=DECODE
func.func @decode(%qm: memref<1x32x?x128xf32, strided<[?, ?, ?, 1], offset: ?>>,
                  %km: memref<1x32x?x128xf32, strided<[?, ?, ?, 1], offset: ?>>,
                  %vm: memref<1x32x?x128xf32, strided<[?, ?, ?, 1], offset: ?>>)
    -> tensor<1x32x?x128xf32> {
  %q = bufferization.to_tensor %qm restrict
      : memref<1x32x?x128xf32, strided<[?, ?, ?, 1], offset: ?>> to tensor<1x32x?x128xf32>
  %k = bufferization.to_tensor %km restrict
      : memref<1x32x?x128xf32, strided<[?, ?, ?, 1], offset: ?>> to tensor<1x32x?x128xf32>
  %v = bufferization.to_tensor %vm restrict
      : memref<1x32x?x128xf32, strided<[?, ?, ?, 1], offset: ?>> to tensor<1x32x?x128xf32>
  %o = attn.sdpa %q, %k, %v
      : tensor<1x32x?x128xf32>, tensor<1x32x?x128xf32>, tensor<1x32x?x128xf32>
      -> tensor<1x32x?x128xf32>
  return %o : tensor<1x32x?x128xf32>
}
