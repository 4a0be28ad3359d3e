// RUN: attn-opt %s | FileCheck %s
// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s -mlir-print-op-generic | attn-opt | FileCheck %s

// CHECK-LABEL: func.func @project_heads
// CHECK: attn.project %{{.*}}, %{{.*}} bias %{{.*}} : tensor<?x1x?x512xf32>, tensor<8x512x64xf32>, tensor<8x64xf32> -> tensor<?x8x?x64xf32>
func.func @project_heads(%x: tensor<?x1x?x512xf32>, %w: tensor<8x512x64xf32>,
                         %b: tensor<8x64xf32>) -> tensor<?x8x?x64xf32> {
  %q = attn.project %x, %w bias %b
      : tensor<?x1x?x512xf32>, tensor<8x512x64xf32>, tensor<8x64xf32>
      -> tensor<?x8x?x64xf32>
  return %q : tensor<?x8x?x64xf32>
}

// CHECK-LABEL: func.func @project_shared_bf16
// CHECK: attn.project %{{.*}}, %{{.*}} : tensor<2x4x16x32xbf16>, tensor<32x8xbf16> -> tensor<2x4x16x8xbf16>
func.func @project_shared_bf16(%x: tensor<2x4x16x32xbf16>,
                               %w: tensor<32x8xbf16>) -> tensor<2x4x16x8xbf16> {
  %y = attn.project %x, %w : tensor<2x4x16x32xbf16>, tensor<32x8xbf16>
      -> tensor<2x4x16x8xbf16>
  return %y : tensor<2x4x16x8xbf16>
}

// CHECK-LABEL: func.func @luong_dot
// CHECK: attn.luong %{{.*}}, %{{.*}} : tensor<?x1x1x256xf32>, tensor<?x1x?x256xf32> -> tensor<?x1x1x256xf32>
func.func @luong_dot(%ht: tensor<?x1x1x256xf32>, %hs: tensor<?x1x?x256xf32>)
    -> tensor<?x1x1x256xf32> {
  %c = attn.luong %ht, %hs : tensor<?x1x1x256xf32>, tensor<?x1x?x256xf32>
      -> tensor<?x1x1x256xf32>
  return %c : tensor<?x1x1x256xf32>
}

// CHECK-LABEL: func.func @luong_general_masked
// CHECK: attn.luong %{{.*}}, %{{.*}} weight(%{{.*}} : tensor<256x512xf32>) mask(%{{.*}} : tensor<?x1x1x?xi1>) {attn.name = "align"} : tensor<?x1x?x256xf32>, tensor<?x1x?x512xf32> -> tensor<?x1x?x512xf32>
func.func @luong_general_masked(%ht: tensor<?x1x?x256xf32>,
                                %hs: tensor<?x1x?x512xf32>,
                                %w: tensor<256x512xf32>,
                                %m: tensor<?x1x1x?xi1>)
    -> tensor<?x1x?x512xf32> {
  %c = attn.luong %ht, %hs weight(%w : tensor<256x512xf32>)
      mask(%m : tensor<?x1x1x?xi1>) {attn.name = "align"}
      : tensor<?x1x?x256xf32>, tensor<?x1x?x512xf32> -> tensor<?x1x?x512xf32>
  return %c : tensor<?x1x?x512xf32>
}

// CHECK-LABEL: func.func @luong_general_gqa
// CHECK: attn.luong %{{.*}}, %{{.*}} weight(%{{.*}} : tensor<8x32x16xbf16>) : tensor<1x8x4x32xbf16>, tensor<1x2x6x16xbf16> -> tensor<1x8x4x16xf32>
func.func @luong_general_gqa(%ht: tensor<1x8x4x32xbf16>,
                             %hs: tensor<1x2x6x16xbf16>,
                             %w: tensor<8x32x16xbf16>) -> tensor<1x8x4x16xf32> {
  %c = attn.luong %ht, %hs weight(%w : tensor<8x32x16xbf16>)
      : tensor<1x8x4x32xbf16>, tensor<1x2x6x16xbf16> -> tensor<1x8x4x16xf32>
  return %c : tensor<1x8x4x16xf32>
}

// CHECK-LABEL: func.func @luong_output
// CHECK: attn.luong_output %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} : tensor<?x1x?x512xf32>, tensor<?x1x?x256xf32>, tensor<768x256xf32>, tensor<256xf32> -> tensor<?x1x?x256xf32>
func.func @luong_output(%c: tensor<?x1x?x512xf32>, %h: tensor<?x1x?x256xf32>,
                        %w: tensor<768x256xf32>, %b: tensor<256xf32>)
    -> tensor<?x1x?x256xf32> {
  %o = attn.luong_output %c, %h, %w bias %b
      : tensor<?x1x?x512xf32>, tensor<?x1x?x256xf32>, tensor<768x256xf32>,
        tensor<256xf32> -> tensor<?x1x?x256xf32>
  return %o : tensor<?x1x?x256xf32>
}
