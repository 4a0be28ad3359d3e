//===- runtime_test.cpp - libattn_runtime and kernel entry checks ----------===//
//
// Every check a kernel entry point makes (null pointers, rank, dtype, static
// and related dims, divisibility, strides, alignment, aliasing) returns its
// status code with a message naming the argument, and leaves the outputs
// untouched. Also the runtime's own API: descriptors, status strings, the
// parallel-for.
//
//===----------------------------------------------------------------------===//
#include "runtime/attn_runtime.h"
#include "runtime_test_kernels.h"
#include "runtime_test_untiled.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

/// Runs a test body on the built-in pool with `n` threads, restoring the
/// previous thread count afterwards.
struct ThreadCount {
  int32_t saved = attn_get_num_threads();
  explicit ThreadCount(int32_t n) { attn_set_num_threads(n); }
  ~ThreadCount() { attn_set_num_threads(saved); }
};

/// Valid arguments for @checked (Lq = 3, Lk = 5), with a sentinel-filled
/// output.
struct CheckedCall {
  static constexpr int64_t Lq = 3, Lk = 5;
  std::vector<float> q = std::vector<float>(2 * 4 * Lq * 8, 0.5f);
  std::vector<float> k = std::vector<float>(2 * 2 * Lk * 8, 0.25f);
  std::vector<float> v = std::vector<float>(2 * 2 * Lk * 8, 1.0f);
  std::vector<uint8_t> m = std::vector<uint8_t>(Lq * Lk, 1);
  std::vector<float> out = std::vector<float>(2 * 4 * Lq * 8, -123.0f);
  attn_tensor_t tq, tk, tv, tm, to;

  CheckedCall() {
    int64_t sq[] = {2, 4, Lq, 8}, sk[] = {2, 2, Lk, 8}, sm[] = {1, 1, Lq, Lk};
    attn_tensor_contiguous(&tq, q.data(), ATTN_DTYPE_F32, 4, sq);
    attn_tensor_contiguous(&tk, k.data(), ATTN_DTYPE_F32, 4, sk);
    attn_tensor_contiguous(&tv, v.data(), ATTN_DTYPE_F32, 4, sk);
    attn_tensor_contiguous(&tm, m.data(), ATTN_DTYPE_I1, 4, sm);
    attn_tensor_contiguous(&to, out.data(), ATTN_DTYPE_F32, 4, sq);
    attn_clear_error();
  }
  attn_status_t call() { return checked(&tq, &tk, &tv, &tm, &to); }
  bool outputUntouched() const {
    for (float x : out)
      if (x != -123.0f)
        return false;
    return true;
  }
};

std::string lastError() { return attn_last_error(); }

/// Expects `status`, an untouched output, and a message containing `needle`.
void expectRejected(CheckedCall &c, attn_status_t status,
                    const std::string &needle) {
  EXPECT_EQ(c.call(), status) << lastError();
  EXPECT_TRUE(c.outputUntouched());
  EXPECT_NE(lastError().find(needle), std::string::npos)
      << "message: " << lastError();
  EXPECT_NE(lastError().find("checked"), std::string::npos)
      << "message must name the kernel: " << lastError();
}

TEST(EntryPoint, ValidCallSucceedsAndWritesOutput) {
  CheckedCall c;
  ASSERT_EQ(c.call(), ATTN_OK) << lastError();
  // Every key equal and every value 1: the output is exactly 1.
  for (float x : c.out)
    EXPECT_FLOAT_EQ(x, 1.0f);
}

TEST(EntryPoint, NullDescriptor) {
  CheckedCall c;
  EXPECT_EQ(checked(&c.tq, nullptr, &c.tv, &c.tm, &c.to),
            ATTN_ERR_NULL_ARGUMENT);
  EXPECT_TRUE(c.outputUntouched());
  EXPECT_NE(lastError().find("'k'"), std::string::npos) << lastError();
  EXPECT_EQ(checked(&c.tq, &c.tk, &c.tv, &c.tm, nullptr),
            ATTN_ERR_NULL_ARGUMENT);
  EXPECT_NE(lastError().find("'out'"), std::string::npos) << lastError();
}

TEST(EntryPoint, NullData) {
  CheckedCall c;
  c.tv.data = nullptr;
  expectRejected(c, ATTN_ERR_NULL_ARGUMENT, "'v' data is NULL");
}

TEST(EntryPoint, WrongRank) {
  CheckedCall c;
  c.tq.rank = 3;
  expectRejected(c, ATTN_ERR_RANK, "'q' has rank 3, expected 4");
}

TEST(EntryPoint, WrongDtype) {
  CheckedCall c;
  c.tm.dtype = ATTN_DTYPE_F32;
  expectRejected(c, ATTN_ERR_DTYPE, "'mask' has dtype f32, expected i1");
  CheckedCall d;
  d.to.dtype = 99;
  expectRejected(d, ATTN_ERR_DTYPE, "'out' has dtype invalid");
}

TEST(EntryPoint, StaticDimMismatch) {
  CheckedCall c;
  c.tk.shape[3] = 16; // head_dim compiled as 8
  expectRejected(c, ATTN_ERR_SHAPE, "'k' dim 3 is 16, but the kernel was "
                                    "compiled for 8");
}

TEST(EntryPoint, RelatedDynamicDimsMustAgree) {
  CheckedCall c;
  c.tv.shape[2] = 4; // kv_len of v differs from k's 5
  c.tv.strides[1] = 4 * 8;
  c.tv.strides[0] = 2 * 4 * 8;
  expectRejected(c, ATTN_ERR_SHAPE, "'v' dim 2 is 4 but 'k' dim 2 is 5");
}

TEST(EntryPoint, MaskDimsFollowQueryAndKeyLengths) {
  CheckedCall c;
  c.tm.shape[3] = 4; // kv_len
  expectRejected(c, ATTN_ERR_SHAPE, "'mask' dim 3 is 4 but 'k' dim 2 is 5");
  CheckedCall d;
  d.tm.shape[0] = 2; // compiled as a broadcast dim of static size 1
  expectRejected(d, ATTN_ERR_SHAPE, "'mask' dim 0 is 2, but the kernel was "
                                    "compiled for 1");
}

TEST(EntryPoint, OutputShapeMustMatch) {
  CheckedCall c;
  c.to.shape[2] = 2; // q_len 3
  expectRejected(c, ATTN_ERR_SHAPE, "'out' dim 2 is 2 but 'q' dim 2 is 3");
}

TEST(EntryPoint, DimAboveItsBound) {
  // q_len is bounded by 64 (attn.max_dims); the mask and output follow it.
  CheckedCall c;
  c.tq.shape[2] = c.to.shape[2] = c.tm.shape[2] = 65;
  expectRejected(c, ATTN_ERR_SHAPE, "'q' dim 2 is 65, above its bound 64");
}

TEST(EntryPoint, NegativeDim) {
  CheckedCall c;
  c.tq.shape[2] = -1;
  expectRejected(c, ATTN_ERR_SHAPE, "'q' dim 2 is negative");
}

TEST(EntryPoint, NegativeStride) {
  CheckedCall c;
  c.tk.strides[2] = -8;
  expectRejected(c, ATTN_ERR_STRIDE, "'k' stride 2 is negative");
}

TEST(EntryPoint, OverlappingOutputStrides) {
  CheckedCall c;
  c.to.strides[2] = 0; // every query row writes the same memory
  expectRejected(c, ATTN_ERR_STRIDE, "output 'out' has strides under which "
                                     "elements overlap");
}

TEST(EntryPoint, InputsMayBroadcastWithZeroStride) {
  CheckedCall c;
  c.tk.strides[0] = 0; // both batches read batch 0's keys
  EXPECT_EQ(c.call(), ATTN_OK) << lastError();
}

TEST(EntryPoint, Misaligned) {
  CheckedCall c;
  c.tq.data = reinterpret_cast<char *>(c.q.data()) + 2;
  expectRejected(c, ATTN_ERR_ALIGNMENT, "'q' data");
}

TEST(EntryPoint, OutputAliasesInput) {
  CheckedCall c;
  std::vector<float> shared = c.q;
  c.tq.data = shared.data();
  c.to.data = shared.data() + 8; // overlaps q
  EXPECT_EQ(c.call(), ATTN_ERR_ALIASING);
  EXPECT_NE(lastError().find("output 'out' overlaps 'q'"), std::string::npos)
      << lastError();
  EXPECT_EQ(shared, c.q) << "q must be untouched";
}

TEST(EntryPoint, ElementCountOverflowIsRejected) {
  // @dyn_heads has no bound on its heads: 2^61 heads of 4 x 8 elements
  // overflow the element count.
  int64_t big = int64_t(1) << 61;
  std::vector<float> out(32, -5);
  float x = 0;
  attn_tensor_t t{};
  t.data = &x;
  t.dtype = ATTN_DTYPE_F32;
  t.rank = 4;
  int64_t shape[] = {1, big, 4, 8};
  for (int k = 0; k < 4; ++k)
    t.shape[k] = shape[k];
  attn_tensor_t o = t;
  o.data = out.data();
  EXPECT_EQ(dyn_heads(&t, &t, &t, &o), ATTN_ERR_SHAPE);
  EXPECT_NE(lastError().find("'q' has too many elements"), std::string::npos)
      << lastError();
  for (float v : out)
    EXPECT_EQ(v, -5.0f);
}

TEST(EntryPoint, DynamicHeadsMustDivide) {
  int64_t sq[] = {1, 3, 4, 8}, sk[] = {1, 2, 4, 8};
  std::vector<float> q(3 * 32, 1), k(2 * 32, 1), v(2 * 32, 1),
      out(3 * 32, -5);
  attn_tensor_t tq, tk, tv, to;
  attn_tensor_contiguous(&tq, q.data(), ATTN_DTYPE_F32, 4, sq);
  attn_tensor_contiguous(&tk, k.data(), ATTN_DTYPE_F32, 4, sk);
  attn_tensor_contiguous(&tv, v.data(), ATTN_DTYPE_F32, 4, sk);
  attn_tensor_contiguous(&to, out.data(), ATTN_DTYPE_F32, 4, sq);
  EXPECT_EQ(dyn_heads(&tq, &tk, &tv, &to), ATTN_ERR_SHAPE);
  EXPECT_NE(lastError().find("'q' dim 1 = 3 is not a multiple of 'k' dim 1 "
                             "= 2"),
            std::string::npos)
      << lastError();
  for (float x : out)
    EXPECT_EQ(x, -5.0f);
  // Zero KV heads with query heads is rejected too.
  tk.shape[1] = tv.shape[1] = 0;
  EXPECT_EQ(dyn_heads(&tq, &tk, &tv, &to), ATTN_ERR_SHAPE);
  // Zero of both is an empty call, not a division by zero.
  tq.shape[1] = to.shape[1] = 0;
  EXPECT_EQ(dyn_heads(&tq, &tk, &tv, &to), ATTN_OK) << lastError();
}

TEST(EntryPoint, ErrorStateIsPerThread) {
  CheckedCall c;
  c.tq.rank = 2;
  ASSERT_NE(c.call(), ATTN_OK);
  std::string other;
  std::thread([&] { other = attn_last_error(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_NE(lastError(), "");
  attn_clear_error();
  EXPECT_EQ(lastError(), "");
}

// --- The runtime's own API -------------------------------------------------

TEST(Runtime, TensorContiguous) {
  attn_tensor_t t;
  int64_t shape[] = {2, 3, 4};
  float buf[24];
  ASSERT_EQ(attn_tensor_contiguous(&t, buf, ATTN_DTYPE_F32, 3, shape),
            ATTN_OK);
  EXPECT_EQ(t.strides[0], 12);
  EXPECT_EQ(t.strides[1], 4);
  EXPECT_EQ(t.strides[2], 1);
  EXPECT_EQ(attn_tensor_numel(&t), 24);
  EXPECT_EQ(attn_tensor_contiguous(nullptr, buf, ATTN_DTYPE_F32, 3, shape),
            ATTN_ERR_NULL_ARGUMENT);
  EXPECT_EQ(attn_tensor_contiguous(&t, buf, ATTN_DTYPE_F32, 9, shape),
            ATTN_ERR_RANK);
  EXPECT_EQ(attn_tensor_contiguous(&t, buf, ATTN_DTYPE_F32, 3, nullptr),
            ATTN_ERR_SHAPE);
  EXPECT_EQ(attn_tensor_contiguous(&t, buf, 0, 3, shape), ATTN_ERR_DTYPE);
  int64_t neg[] = {2, -1};
  EXPECT_EQ(attn_tensor_contiguous(&t, buf, ATTN_DTYPE_F32, 2, neg),
            ATTN_ERR_SHAPE);
}

TEST(Runtime, DescriptorLayoutIsTheDocumentedAbi) {
  // attn-emit-entry-points reads these offsets from generated code.
  EXPECT_EQ(offsetof(attn_tensor_t, data), 0u);
  EXPECT_EQ(offsetof(attn_tensor_t, dtype), 8u);
  EXPECT_EQ(offsetof(attn_tensor_t, rank), 12u);
  EXPECT_EQ(offsetof(attn_tensor_t, shape), 16u);
  EXPECT_EQ(offsetof(attn_tensor_t, strides), 80u);
  EXPECT_EQ(sizeof(attn_tensor_t), 144u);
}

TEST(Runtime, StatusAndDtypeStrings) {
  EXPECT_STREQ(attn_status_string(ATTN_OK), "ok");
  EXPECT_STREQ(attn_status_string(ATTN_ERR_SHAPE), "shape mismatch");
  EXPECT_STREQ(attn_status_string((attn_status_t)1234), "unknown status");
  EXPECT_STREQ(attn_dtype_name(ATTN_DTYPE_I1), "i1");
  EXPECT_EQ(attn_dtype_size(ATTN_DTYPE_BF16), 2u);
  EXPECT_EQ(attn_dtype_size(42), 0u);
}

TEST(Runtime, CorruptSignatureIsAnInternalError) {
  int64_t bad[] = {0, 0, 0, 0, 0};
  const attn_tensor_t *args[1] = {nullptr};
  EXPECT_EQ(attn_check_call(bad, "k\0", args), ATTN_ERR_INTERNAL);
  EXPECT_EQ(attn_check_call(nullptr, "k\0", args), ATTN_ERR_INTERNAL);
}

// A signature by hand: two rank-1 inputs sharing symbol 0, one of them
// ATTN_DIM_BROADCAST (it may also be 1), in either order.
attn_status_t checkBroadcast(bool broadcastFirst, int64_t full,
                             int64_t bcast) {
  int64_t a = broadcastFirst ? ATTN_DIM_BROADCAST : -1;
  int64_t b = broadcastFirst ? -1 : ATTN_DIM_BROADCAST;
  int64_t sig[] = {ATTN_SIGNATURE_MAGIC, 2, 0, 1, 0, 0, 0,
                   ATTN_DTYPE_F32, 1, a, 0,
                   ATTN_DTYPE_F32, 1, b, 0};
  std::vector<float> x((size_t)std::max(full, bcast) + 1);
  int64_t fullShape[1] = {full}, bcastShape[1] = {bcast};
  attn_tensor_t tf, tb;
  attn_tensor_contiguous(&tf, x.data(), ATTN_DTYPE_F32, 1, fullShape);
  attn_tensor_contiguous(&tb, x.data(), ATTN_DTYPE_F32, 1, bcastShape);
  const attn_tensor_t *args[2] = {broadcastFirst ? &tb : &tf,
                                  broadcastFirst ? &tf : &tb};
  const char *names = broadcastFirst ? "k\0mask\0q\0" : "k\0q\0mask\0";
  return attn_check_call(sig, names, args);
}

TEST(Runtime, BroadcastDimsMayBeOneOrTheirPartner) {
  for (bool first : {false, true}) {
    EXPECT_EQ(checkBroadcast(first, 5, 1), ATTN_OK) << attn_last_error();
    EXPECT_EQ(checkBroadcast(first, 5, 5), ATTN_OK) << attn_last_error();
    EXPECT_EQ(checkBroadcast(first, 1, 1), ATTN_OK) << attn_last_error();
    EXPECT_EQ(checkBroadcast(first, 0, 1), ATTN_OK) << attn_last_error();
    EXPECT_EQ(checkBroadcast(first, 5, 0), ATTN_ERR_SHAPE);
    EXPECT_EQ(checkBroadcast(first, 5, 3), ATTN_ERR_SHAPE);
    // Whichever comes first, the message names the dim that may be 1.
    EXPECT_NE(std::string(attn_last_error())
                  .find("or 'mask' dim 0 must be 1 (broadcast)"),
              std::string::npos)
        << attn_last_error();
  }
}

void addRange(void *ctx, int64_t b, int64_t e) {
  auto *v = static_cast<std::vector<std::atomic<int>> *>(ctx);
  for (int64_t i = b; i < e; ++i)
    (*v)[(size_t)i]++;
}

TEST(Runtime, SerialParallelForRunsEachIterationOnce) {
  ThreadCount serial(1);
  EXPECT_EQ(attn_get_num_threads(), 1);
  std::vector<std::atomic<int>> hits(100);
  attn_parallel_for(100, 1, addRange, &hits);
  for (auto &h : hits)
    EXPECT_EQ(h.load(), 1);
  attn_parallel_for(0, 1, addRange, &hits); // no-op
  attn_parallel_for(-3, 1, addRange, &hits);
  for (auto &h : hits)
    EXPECT_EQ(h.load(), 1);
}

void recordThread(void *ctx, int64_t b, int64_t e) {
  auto *ids = static_cast<std::vector<std::atomic<size_t>> *>(ctx);
  size_t id = std::hash<std::thread::id>()(std::this_thread::get_id());
  for (int64_t i = b; i < e; ++i)
    (*ids)[(size_t)i] = id;
}

TEST(Runtime, BuiltinPoolRunsEachIterationOnceAcrossThreads) {
  ThreadCount two(2);
  EXPECT_EQ(attn_get_num_threads(), 2);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::atomic<int>> hits(1000);
    attn_parallel_for(1000, 3, addRange, &hits);
    for (auto &h : hits)
      ASSERT_EQ(h.load(), 1);
  }
  // Work lands on more than the calling thread (over enough rounds that a
  // sleeping worker must wake at least once).
  size_t self = std::hash<std::thread::id>()(std::this_thread::get_id());
  bool other = false;
  for (int round = 0; round < 200 && !other; ++round) {
    std::vector<std::atomic<size_t>> ids(4096);
    attn_parallel_for(4096, 1, recordThread, &ids);
    for (auto &id : ids)
      other |= id.load() != self;
  }
  EXPECT_TRUE(other);
}

TEST(Runtime, ConcurrentCallersWhileThePoolGrows) {
  // Two app threads call parallel-for at once while the pool is still
  // growing to a larger thread count: one gets the pool, the other runs on
  // its own thread, and every iteration runs exactly once.
  for (int round = 0; round < 40; ++round) {
    ThreadCount count(2 + round % 7);
    std::vector<std::atomic<int>> a(2000), b(2000);
    std::thread t1([&] { attn_parallel_for(2000, 1, addRange, &a); });
    std::thread t2([&] { attn_parallel_for(2000, 1, addRange, &b); });
    t1.join();
    t2.join();
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].load(), 1) << "round " << round;
      ASSERT_EQ(b[i].load(), 1) << "round " << round;
    }
  }
}

void nestedRange(void *ctx, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; ++i)
    attn_parallel_for(10, 1, addRange, ctx); // runs on this thread
}

TEST(Runtime, NestedParallelForDoesNotDeadlock) {
  ThreadCount two(2);
  std::vector<std::atomic<int>> hits(10);
  attn_parallel_for(8, 1, nestedRange, &hits);
  for (auto &h : hits)
    EXPECT_EQ(h.load(), 8);
}

// A two-thread pool an application might install.
void twoThreads(void *pool, int64_t n, int64_t grain, attn_task_fn fn,
                void *ctx) {
  ++*static_cast<int *>(pool);
  int64_t mid = std::max<int64_t>(grain, n / 2);
  if (mid >= n) {
    fn(ctx, 0, n);
    return;
  }
  std::thread t([&] { fn(ctx, mid, n); });
  fn(ctx, 0, mid);
  t.join();
}

TEST(Runtime, InstalledParallelForIsUsed) {
  int calls = 0;
  attn_set_parallel_for(twoThreads, &calls, 2);
  EXPECT_EQ(attn_get_num_threads(), 2);
  std::vector<std::atomic<int>> hits(1000);
  attn_parallel_for(1000, 10, addRange, &hits);
  EXPECT_EQ(calls, 1);
  for (auto &h : hits)
    EXPECT_EQ(h.load(), 1);
  attn_set_parallel_for(nullptr, nullptr, 8); // back to the built-in pool
  ThreadCount one(1);
  EXPECT_EQ(attn_get_num_threads(), 1);
}

// --- Workspace ---------------------------------------------------------------

/// A [B, H, L, D] f32 view of `data` with all-zero strides (every element
/// reads data[0]), so huge logical shapes need no memory.
attn_tensor_t broadcastView(float *data, std::vector<int64_t> shape) {
  attn_tensor_t t{};
  t.data = data;
  t.dtype = ATTN_DTYPE_F32;
  t.rank = (int32_t)shape.size();
  for (size_t k = 0; k < shape.size(); ++k)
    t.shape[k] = shape[k];
  return t;
}

TEST(Workspace, SizeOverflowIsRejectedBeforeRunning) {
  // Every tensor is addressable, but batch * heads * q_len * kv_len f32
  // scores would overflow 64 bits.
  const int64_t B = int64_t(1) << 20, L = int64_t(1) << 20;
  float x = 1;
  attn_tensor_t q = broadcastView(&x, {B, 2, L, 8});
  attn_tensor_t k = broadcastView(&x, {B, 2, L, 8});
  uint8_t keep = 1;
  attn_tensor_t m{};
  m.data = &keep;
  m.dtype = ATTN_DTYPE_I1;
  m.rank = 2;
  m.shape[0] = m.shape[1] = L;
  attn_tensor_t out;
  int64_t so[] = {B, 2, L, 8};
  // Never written: the check fails first.
  ASSERT_EQ(attn_tensor_contiguous(&out, (void *)uintptr_t(4096),
                                   ATTN_DTYPE_F32, 4, so),
            ATTN_OK);
  EXPECT_EQ(batched(&q, &k, &k, &m, &out), ATTN_ERR_OUT_OF_MEMORY);
  EXPECT_NE(lastError().find("batched: these shapes need a workspace whose "
                             "size overflows"),
            std::string::npos)
      << lastError();
}

// A task that allocates workspace like generated code does: some blocks,
// then one that cannot be had.
std::atomic<int> tasksFinished{0};
void allocatingTask(void *ctx, int64_t begin, int64_t end) {
  size_t huge = *static_cast<size_t *>(ctx);
  for (int64_t i = begin; i < end; ++i) {
    void *a = _mlir_memref_to_llvm_alloc(1000);
    void *b = _mlir_memref_to_llvm_aligned_alloc(64, 4096);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 64, 0u);
    std::memset(a, 1, 1000);
    std::memset(b, 2, 4096);
    _mlir_memref_to_llvm_free(a);
    void *c = _mlir_memref_to_llvm_alloc(huge); // unwinds when it fails
    _mlir_memref_to_llvm_free(c);
    _mlir_memref_to_llvm_free(b);
  }
  tasksFinished++;
}

TEST(Workspace, FailedAllocationReturnsAStatus) {
  // The runtime unwinds a task whose workspace allocation fails, frees the
  // blocks it still held (b above; leak-checked under valgrind/ASan), skips
  // the remaining tasks and returns ATTN_ERR_OUT_OF_MEMORY.
  ThreadCount serial(1);
  size_t huge = SIZE_MAX / 2;
  tasksFinished = 0;
  EXPECT_EQ(attn_run_tasks("kernel\0", 3, allocatingTask, &huge),
            ATTN_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(tasksFinished.load(), 0);
  EXPECT_NE(lastError().find("kernel: out of memory allocating"),
            std::string::npos)
      << lastError();

  // The same tasks with a satisfiable size all run.
  size_t small = 100;
  EXPECT_EQ(attn_run_tasks("kernel\0", 3, allocatingTask, &small), ATTN_OK);
  EXPECT_EQ(tasksFinished.load(), 1); // one task over [0, 3)

  // Outside attn_run_tasks a failed allocation returns NULL.
  EXPECT_EQ(_mlir_memref_to_llvm_alloc(SIZE_MAX / 2), nullptr);
}

// --- Generated code calls the runtime's parallel-for -----------------------

struct PoolLog {
  std::vector<int64_t> ns;
  std::atomic<int> tasks{0};
};

// Splits [0, n) into single iterations run on separate threads.
void threadPerIteration(void *pool, int64_t n, int64_t, attn_task_fn fn,
                        void *ctx) {
  auto *log = static_cast<PoolLog *>(pool);
  log->ns.push_back(n);
  std::vector<std::thread> threads;
  for (int64_t i = 0; i < n; ++i)
    threads.emplace_back([=] {
      static_cast<PoolLog *>(pool)->tasks++;
      fn(ctx, i, i + 1);
    });
  for (auto &t : threads)
    t.join();
}

TEST(Threads, UntiledKernelSplitsTheBatchAcrossTasks) {
  const int64_t B = 5, H = 2, Lq = 6, Lk = 9, D = 8;
  std::vector<float> q(B * H * Lq * D), k(B * H * Lk * D), v(B * H * Lk * D);
  for (size_t i = 0; i < q.size(); ++i)
    q[i] = std::sin(0.1f * i);
  for (size_t i = 0; i < k.size(); ++i) {
    k[i] = std::cos(0.07f * i);
    v[i] = std::sin(0.013f * i + 1);
  }
  std::vector<uint8_t> m(Lq * Lk);
  for (size_t i = 0; i < m.size(); ++i)
    m[i] = i % 4 != 1;
  int64_t sq[] = {B, H, Lq, D}, sk[] = {B, H, Lk, D}, sm[] = {Lq, Lk};
  attn_tensor_t tq, tk, tv, tm, serial, parallel;
  std::vector<float> o1(q.size(), NAN), o2(q.size(), NAN);
  attn_tensor_contiguous(&tq, q.data(), ATTN_DTYPE_F32, 4, sq);
  attn_tensor_contiguous(&tk, k.data(), ATTN_DTYPE_F32, 4, sk);
  attn_tensor_contiguous(&tv, v.data(), ATTN_DTYPE_F32, 4, sk);
  attn_tensor_contiguous(&tm, m.data(), ATTN_DTYPE_I1, 2, sm);
  attn_tensor_contiguous(&serial, o1.data(), ATTN_DTYPE_F32, 4, sq);
  attn_tensor_contiguous(&parallel, o2.data(), ATTN_DTYPE_F32, 4, sq);

  {
    ThreadCount serial1(1);
    ASSERT_EQ(batched_untiled(&tq, &tk, &tv, &tm, &serial), ATTN_OK)
        << lastError();
  }
  PoolLog log;
  attn_set_parallel_for(threadPerIteration, &log, (int32_t)B);
  attn_status_t st = batched_untiled(&tq, &tk, &tv, &tm, &parallel);
  ThreadCount restore(1);
  ASSERT_EQ(st, ATTN_OK) << lastError();
  ASSERT_EQ(log.ns, std::vector<int64_t>{B});
  EXPECT_EQ(log.tasks.load(), B);
  for (size_t i = 0; i < o1.size(); ++i) {
    ASSERT_TRUE(std::isfinite(o1[i]));
    ASSERT_EQ(o1[i], o2[i]) << "element " << i;
  }

  // The tiled kernel runs one task at the entry, and its own parallel loop
  // over (batch, heads, query blocks) = 5 * 2 * 1 through the pool; the
  // results agree with the untiled ones to f32 rounding.
  std::vector<float> o3(q.size(), NAN);
  attn_tensor_t tiled;
  attn_tensor_contiguous(&tiled, o3.data(), ATTN_DTYPE_F32, 4, sq);
  PoolLog log2;
  attn_set_parallel_for(threadPerIteration, &log2, 8);
  st = batched(&tq, &tk, &tv, &tm, &tiled);
  attn_set_num_threads(1);
  ASSERT_EQ(st, ATTN_OK) << lastError();
  EXPECT_EQ(log2.ns, (std::vector<int64_t>{1, B * H}));
  for (size_t i = 0; i < o1.size(); ++i)
    ASSERT_NEAR(o1[i], o3[i], 1e-5) << "element " << i;
}

TEST(Threads, StaticBatchKernelRunsItsLoopThroughThePool) {
  // @checked: batch 2, 4 query heads on 2 KV heads, q_len 3: a decode
  // shape, so one task per (batch, KV head) holds the whole group.
  CheckedCall c;
  PoolLog log;
  attn_set_parallel_for(threadPerIteration, &log, 4);
  attn_status_t st = c.call();
  attn_set_num_threads(1);
  ASSERT_EQ(st, ATTN_OK) << lastError();
  EXPECT_EQ(log.ns, (std::vector<int64_t>{1, 4}));
  for (float x : c.out)
    EXPECT_FLOAT_EQ(x, 1.0f);
}

TEST(Threads, FailedChecksNeverReachThePool) {
  CheckedCall c;
  c.tq.rank = 1;
  PoolLog log;
  attn_set_parallel_for(threadPerIteration, &log, 4);
  attn_status_t st = c.call();
  attn_set_num_threads(1);
  EXPECT_EQ(st, ATTN_ERR_RANK);
  EXPECT_TRUE(log.ns.empty());
}

TEST(Cpu, FeaturesAgreeWithTheCompilersView) {
  uint32_t f = attn_cpu_features();
  EXPECT_EQ(f, attn_cpu_features()); // computed once
  if (const char *limit = getenv("ATTN_CPU_LIMIT"))
    GTEST_SKIP() << "ATTN_CPU_LIMIT=" << limit;
  __builtin_cpu_init();
  bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
              __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
  bool avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                __builtin_cpu_supports("avx512bw") &&
                __builtin_cpu_supports("avx512cd") &&
                __builtin_cpu_supports("avx512dq") &&
                __builtin_cpu_supports("avx512vl");
  EXPECT_EQ((f & ATTN_CPU_AVX2) != 0, avx2);
  EXPECT_EQ((f & ATTN_CPU_AVX512) != 0, avx512);
  EXPECT_EQ((f & ATTN_CPU_AVX512BF16) != 0,
            avx512 && __builtin_cpu_supports("avx512bf16"));
}

TEST(Cpu, UnsupportedCpuIsAStatusWithTheKernelsName) {
  attn_clear_error();
  EXPECT_EQ(attn_unsupported_cpu("my_kernel"), ATTN_ERR_UNSUPPORTED_CPU);
  EXPECT_NE(std::string(attn_last_error()).find("my_kernel: this CPU lacks"),
            std::string::npos)
      << attn_last_error();
  EXPECT_STREQ(attn_status_string(ATTN_ERR_UNSUPPORTED_CPU),
               "unsupported CPU");
}

} // namespace

