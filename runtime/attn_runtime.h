/*===- attn_runtime.h - The attnc runtime's C ABI ----------------*- C -*-===*
 *
 * The C interface between kernels compiled by `attnc` and the application
 * that calls them. This header is self-contained C99 and links no LLVM/MLIR.
 * See docs/abi.md for the full contract.
 *
 *===----------------------------------------------------------------------===*/
#ifndef ATTN_RUNTIME_H
#define ATTN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this ABI. Bumped on any incompatible change. */
#define ATTN_ABI_VERSION 2

/** The largest rank a tensor descriptor can carry. */
#define ATTN_MAX_RANK 8

/** The most arguments plus results a kernel entry point can take. */
#define ATTN_MAX_ARGS 64

/** Element types. The values are part of the ABI. */
typedef enum attn_dtype {
  ATTN_DTYPE_INVALID = 0,
  ATTN_DTYPE_F32 = 1,  /**< IEEE binary32 */
  ATTN_DTYPE_F16 = 2,  /**< IEEE binary16 (reserved; no kernel takes it yet) */
  ATTN_DTYPE_BF16 = 3, /**< bfloat16: the upper 16 bits of an f32 */
  ATTN_DTYPE_F64 = 4,  /**< IEEE binary64 (reserved) */
  ATTN_DTYPE_I1 = 5,   /**< boolean stored as one byte, 0 or 1 (masks) */
  ATTN_DTYPE_I32 = 6,  /**< int32 (captures of mask_mod / score_mod) */
  ATTN_DTYPE_I64 = 7   /**< int64 (captures of mask_mod / score_mod) */
} attn_dtype_t;

/** Status codes returned by every kernel entry point and runtime call. */
typedef enum attn_status {
  ATTN_OK = 0,
  ATTN_ERR_NULL_ARGUMENT = 1, /**< a descriptor or its data pointer is NULL */
  ATTN_ERR_RANK = 2,          /**< rank differs from the compiled rank */
  ATTN_ERR_DTYPE = 3,         /**< dtype differs from the compiled dtype */
  ATTN_ERR_SHAPE = 4,         /**< a dim is negative, differs from its static
                                   size or from a related dim of another
                                   operand, or breaks a divisibility rule */
  ATTN_ERR_STRIDE = 5,        /**< a stride is negative, or an output's
                                   elements would overlap */
  ATTN_ERR_ALIGNMENT = 6,     /**< data is not aligned to its element size */
  ATTN_ERR_ALIASING = 7,      /**< an output overlaps another operand */
  ATTN_ERR_INVALID_ARGUMENT = 8, /**< any other bad argument to the runtime */
  ATTN_ERR_INTERNAL = 9,      /**< a corrupt kernel signature (a bug) */
  ATTN_ERR_OUT_OF_MEMORY = 10, /**< a kernel's workspace could not be
                                   allocated, or its size overflows; the
                                   outputs may be partly written */
  ATTN_ERR_UNSUPPORTED_CPU = 11 /**< a multiversioned kernel (attnc
                                     --multiversion) has no version whose
                                     instructions this CPU has */
} attn_status_t;

/**
 * A strided view of a dense tensor in memory.
 *
 * Element (i0, ..., i{rank-1}) lives at
 *   (char*)data + elem_size(dtype) * sum_k(i_k * strides[k]).
 * Strides are in elements, not bytes. Entries past `rank` are ignored.
 * A row-major contiguous tensor of shape [B, H, L, D] has strides
 * [H*L*D, L*D, D, 1]; attn_tensor_contiguous() fills them in.
 *
 * Layout (part of the ABI, 144 bytes): data at offset 0, dtype at 8, rank at
 * 12, shape[8] at 16, strides[8] at 80.
 */
typedef struct attn_tensor {
  void *data;
  int32_t dtype; /**< an attn_dtype_t */
  int32_t rank;
  int64_t shape[ATTN_MAX_RANK];
  int64_t strides[ATTN_MAX_RANK];
} attn_tensor_t;

/** Size in bytes of one element of `dtype`, or 0 for an unknown dtype. */
size_t attn_dtype_size(int32_t dtype);

/** Human-readable name of a dtype ("f32", ...), or "invalid". */
const char *attn_dtype_name(int32_t dtype);

/**
 * Fills `t` as a row-major contiguous tensor.
 * Returns ATTN_ERR_NULL_ARGUMENT if `t` is NULL, or ATTN_ERR_RANK if rank is
 * outside [0, ATTN_MAX_RANK], ATTN_ERR_SHAPE if `shape` is NULL with rank > 0
 * or a dim is negative, ATTN_ERR_DTYPE for an unknown dtype.
 */
attn_status_t attn_tensor_contiguous(attn_tensor_t *t, void *data,
                                     int32_t dtype, int32_t rank,
                                     const int64_t *shape);

/** Number of elements of `t` (product of the shape); 0 on bad input. */
int64_t attn_tensor_numel(const attn_tensor_t *t);

/** A short static description of a status code ("ok", "shape", ...). */
const char *attn_status_string(attn_status_t status);

/**
 * The message of the last error on the calling thread, or "" if none.
 * Kernel entry points and the runtime calls that return an attn_status_t set
 * it when they fail; successful calls leave it unchanged. The pointer stays
 * valid until the thread's next call.
 */
const char *attn_last_error(void);

/** Clears the calling thread's last-error message. */
void attn_clear_error(void);

/* ---------------------------------------------------------------------- */
/* Threads                                                                 */
/* ---------------------------------------------------------------------- */

/** A task body: runs iterations [begin, end) with the user's context. */
typedef void (*attn_task_fn)(void *ctx, int64_t begin, int64_t end);

/**
 * A parallel-for implementation an application may install: it must call
 * `fn(ctx, b, e)` over disjoint ranges covering [0, n) exactly once each,
 * ranges of at least `grain` iterations where possible, and return only
 * when all have finished. `pool` is the pointer given at installation.
 */
typedef void (*attn_parallel_for_impl)(void *pool, int64_t n, int64_t grain,
                                       attn_task_fn fn, void *ctx);

/**
 * Runs `fn` over [0, n) through the installed implementation. Generated
 * kernels call this (through attn_run_tasks and attn_parallel_region) for
 * their parallel loops. The default implementation is the runtime's own
 * pool of attn_get_num_threads() threads, the caller included, which hands
 * out chunks of at least `grain` iterations dynamically; a call made while
 * the pool is busy (nested, or from another thread) runs on its caller.
 * n <= 0 does nothing.
 */
void attn_parallel_for(int64_t n, int64_t grain, attn_task_fn fn, void *ctx);

/**
 * Installs an application's thread pool (process-wide). `impl` NULL restores
 * the built-in pool. `num_threads` is what attn_get_num_threads() reports
 * while `impl` is installed (values < 1 are taken as 1). Do not call while a
 * kernel is running.
 */
void attn_set_parallel_for(attn_parallel_for_impl impl, void *pool,
                           int32_t num_threads);

/**
 * Uses the built-in pool with `num_threads` threads, the caller included (1:
 * everything on the calling thread). This replaces an installed
 * implementation. The default is the environment variable
 * ATTN_NUM_THREADS, else the number of online CPUs. Do not call while a
 * kernel is running.
 */
void attn_set_num_threads(int32_t num_threads);

/** Threads the current parallel-for uses. */
int32_t attn_get_num_threads(void);

/* ---------------------------------------------------------------------- */
/* Block statistics (kernels built with attnc --count-blocks)              */
/* ---------------------------------------------------------------------- */

/**
 * What the tiled vector kernels did with their (task, key step) blocks,
 * summed over every call since the last attn_reset_block_stats(), from all
 * threads. A block is one task's rows (a query block of one head; in decode,
 * a KV head's whole query group) by one step of kv-block keys, steps
 * starting at multiples of kv-block; scores are (query row, key) pairs.
 * Only kernels compiled with `attnc --count-blocks` count (the scalar and
 * reference lowerings never do); counting costs a call per step.
 *
 * blocks - visited - blocks_empty blocks were never visited, not even
 * tested: outside the keys the masks' spans allow (causal, windows, key
 * padding), or passed over by a split task's search for its share of the
 * non-empty blocks. A task that gathers a graph's edges (#attn.csr) counts
 * each step of one row's listed keys as a visited block instead (full, or
 * partial when other masks apply), of as many scores as keys: its visited
 * blocks can outnumber its blocks, and its scores_visited are its edges. The FLOPs of a call against dense are scores_visited /
 * scores_dense.
 */
typedef struct attn_block_stats {
  int64_t tasks;          /**< tasks (a split-K task counts once) */
  int64_t blocks;         /**< blocks of the tasks' whole key ranges */
  int64_t blocks_full;    /**< visited without the masks */
  int64_t blocks_partial; /**< visited with the masks */
  int64_t blocks_empty;   /**< classed empty and skipped */
  int64_t scores_dense;   /**< rows x kv_len, summed over tasks */
  int64_t scores_visited; /**< rows x keys of the visited blocks */
} attn_block_stats_t;

/**
 * Copies the statistics into `*out`; ATTN_ERR_NULL_ARGUMENT if `out` is
 * NULL. Read them when no kernel is running.
 */
attn_status_t attn_get_block_stats(attn_block_stats_t *out);

/** Sets every statistic to 0. */
void attn_reset_block_stats(void);

/* ---------------------------------------------------------------------- */
/* Called by generated code                                                */
/* ---------------------------------------------------------------------- */

/**
 * Validates a call against a kernel's compiled signature. Generated entry
 * points call it first and return its status on failure, before touching any
 * output. `signature` is the kernel's encoded signature (docs/abi.md,
 * "Signature encoding"); `names` holds the kernel name and then each
 * argument's name, each NUL-terminated, back to back; `args` holds
 * num_inputs + num_outputs descriptor pointers, inputs first.
 */
attn_status_t attn_check_call(const int64_t *signature, const char *names,
                              const attn_tensor_t *const *args);

/**
 * Runs a kernel's task over [0, n) through attn_parallel_for, catching
 * workspace allocation failures: if an allocation fails inside a task, that
 * task's allocations are freed, the remaining tasks are skipped, and
 * ATTN_ERR_OUT_OF_MEMORY is returned with attn_last_error() set. `names`
 * starts with the kernel name (as for attn_check_call). Generated entry
 * points call it after attn_check_call succeeds.
 */
attn_status_t attn_run_tasks(const char *names, int64_t n, attn_task_fn task,
                             void *ctx);

/**
 * Workspace allocation for generated code (MLIR's generic memref allocation
 * functions, finalize-memref-to-llvm{use-generic-functions}). Inside
 * attn_run_tasks a failed allocation unwinds to it instead of returning
 * NULL; outside, they behave like malloc/aligned_alloc/free.
 */
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *ptr);

/**
 * Adds to the block statistics (attn_get_block_stats): `kind` 0, a task's
 * whole key range of `blocks` blocks and `scores` scores; 1, `blocks` empty
 * blocks skipped; 2 and 3, `blocks` partial and full blocks of `scores`
 * scores visited. Kernels built with --count-blocks call it; other kinds
 * are ignored.
 */
void attn_count_blocks(int64_t kind, int64_t blocks, int64_t scores);

/**
 * Runs an outlined parallel loop of a kernel, `task` over [0, n), through
 * attn_parallel_for with each chunk guarded like attn_run_tasks' tasks; a
 * failed workspace allocation in any chunk unwinds the enclosing
 * attn_run_tasks. Generated code calls it.
 */
void attn_parallel_region(int64_t n, attn_task_fn task, void *ctx);

/* ---------------------------------------------------------------------- */
/* CPU features (multiversioned kernels)                                    */
/* ---------------------------------------------------------------------- */

/** Instruction sets a version of a multiversioned kernel may require. */
enum {
  ATTN_CPU_AVX2 = 1u << 0,      /**< x86-64-v3: AVX2, FMA, BMI1/2, F16C */
  ATTN_CPU_AVX512 = 1u << 1,    /**< x86-64-v4: AVX-512 F, BW, CD, DQ, VL */
  ATTN_CPU_AVX512BF16 = 1u << 2 /**< AVX512_BF16 (vdpbf16ps) */
};

/**
 * The ATTN_CPU_* sets the running CPU (and its OS) supports, as a mask,
 * computed once. The environment variable ATTN_CPU_LIMIT caps it, for
 * testing a machine's lesser paths: "avx512" (no AVX512_BF16), "avx2" or
 * "baseline". Multiversioned entry points call it to pick a version.
 */
uint32_t attn_cpu_features(void);

/**
 * Sets attn_last_error() to say that kernel `name` (NUL-terminated) has no
 * version for this CPU, and returns ATTN_ERR_UNSUPPORTED_CPU. Called by
 * multiversioned entry points.
 */
attn_status_t attn_unsupported_cpu(const char *name);

/** Magic first word of an encoded signature: "ATN" followed by version 2. */
#define ATTN_SIGNATURE_MAGIC 0x41544E02

/**
 * The static size of a signature dim that may be 1 at run time and then
 * broadcasts against the other dims of its symbol (PyTorch's rule; a dense
 * mask's dims). The entry point reads such a dim with stride 0: nothing is
 * copied.
 */
#define ATTN_DIM_BROADCAST (-2)

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTN_RUNTIME_H */
