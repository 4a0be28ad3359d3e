/*===- attn_runtime.c - The attnc runtime -----------------------------------===*
 *
 * Argument checking, errors and the parallel-for used by generated kernels.
 * Depends on libc only.
 *
 *===----------------------------------------------------------------------===*/
#include "runtime/attn_runtime.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */
/* ---------------------------------------------------------------------- */

static _Thread_local char last_error[512];

const char *attn_last_error(void) { return last_error; }

void attn_clear_error(void) { last_error[0] = '\0'; }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static attn_status_t fail(attn_status_t status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof(last_error), fmt, ap);
  va_end(ap);
  return status;
}

const char *attn_status_string(attn_status_t status) {
  switch (status) {
  case ATTN_OK: return "ok";
  case ATTN_ERR_NULL_ARGUMENT: return "null argument";
  case ATTN_ERR_RANK: return "rank mismatch";
  case ATTN_ERR_DTYPE: return "dtype mismatch";
  case ATTN_ERR_SHAPE: return "shape mismatch";
  case ATTN_ERR_STRIDE: return "bad stride";
  case ATTN_ERR_ALIGNMENT: return "misaligned data";
  case ATTN_ERR_ALIASING: return "output aliases another operand";
  case ATTN_ERR_INVALID_ARGUMENT: return "invalid argument";
  case ATTN_ERR_INTERNAL: return "internal error";
  case ATTN_ERR_OUT_OF_MEMORY: return "out of memory";
  case ATTN_ERR_UNSUPPORTED_CPU: return "unsupported CPU";
  }
  return "unknown status";
}

/* ---------------------------------------------------------------------- */
/* Tensors                                                                 */
/* ---------------------------------------------------------------------- */

size_t attn_dtype_size(int32_t dtype) {
  switch (dtype) {
  case ATTN_DTYPE_F32: return 4;
  case ATTN_DTYPE_F16: return 2;
  case ATTN_DTYPE_BF16: return 2;
  case ATTN_DTYPE_F64: return 8;
  case ATTN_DTYPE_I1: return 1;
  case ATTN_DTYPE_I32: return 4;
  case ATTN_DTYPE_I64: return 8;
  default: return 0;
  }
}

const char *attn_dtype_name(int32_t dtype) {
  switch (dtype) {
  case ATTN_DTYPE_F32: return "f32";
  case ATTN_DTYPE_F16: return "f16";
  case ATTN_DTYPE_BF16: return "bf16";
  case ATTN_DTYPE_F64: return "f64";
  case ATTN_DTYPE_I1: return "i1";
  case ATTN_DTYPE_I32: return "i32";
  case ATTN_DTYPE_I64: return "i64";
  default: return "invalid";
  }
}

attn_status_t attn_tensor_contiguous(attn_tensor_t *t, void *data,
                                     int32_t dtype, int32_t rank,
                                     const int64_t *shape) {
  if (!t)
    return fail(ATTN_ERR_NULL_ARGUMENT, "attn_tensor_contiguous: t is NULL");
  if (rank < 0 || rank > ATTN_MAX_RANK)
    return fail(ATTN_ERR_RANK, "attn_tensor_contiguous: rank %d outside [0, %d]",
                rank, ATTN_MAX_RANK);
  if (rank > 0 && !shape)
    return fail(ATTN_ERR_SHAPE, "attn_tensor_contiguous: shape is NULL");
  if (attn_dtype_size(dtype) == 0)
    return fail(ATTN_ERR_DTYPE, "attn_tensor_contiguous: unknown dtype %d",
                dtype);
  for (int32_t k = 0; k < rank; ++k)
    if (shape[k] < 0)
      return fail(ATTN_ERR_SHAPE, "attn_tensor_contiguous: dim %d is %lld", k,
                  (long long)shape[k]);
  attn_tensor_t r;
  memset(&r, 0, sizeof(r));
  r.data = data;
  r.dtype = dtype;
  r.rank = rank;
  int64_t stride = 1;
  for (int32_t k = rank - 1; k >= 0; --k) {
    r.shape[k] = shape[k];
    r.strides[k] = stride;
    if (__builtin_mul_overflow(stride, shape[k] > 0 ? shape[k] : 1, &stride))
      return fail(ATTN_ERR_SHAPE,
                  "attn_tensor_contiguous: the element count overflows");
  }
  *t = r;
  return ATTN_OK;
}

int64_t attn_tensor_numel(const attn_tensor_t *t) {
  if (!t || t->rank < 0 || t->rank > ATTN_MAX_RANK)
    return 0;
  int64_t n = 1;
  for (int32_t k = 0; k < t->rank; ++k) {
    if (t->shape[k] < 0 || __builtin_mul_overflow(n, t->shape[k], &n))
      return 0;
  }
  return n;
}

/* ---------------------------------------------------------------------- */
/* Threads                                                                 */
/* ---------------------------------------------------------------------- */

/* The built-in pool: num_threads - 1 workers that sleep on a condition
 * variable, and the calling thread, all taking chunks of [0, n) from an
 * atomic counter (dynamic scheduling: causal attention's query blocks have
 * unequal work). One job at a time: a parallel-for issued while the pool is
 * busy (nested, or from another app thread) runs on its caller instead, so
 * it can never deadlock. */
typedef struct builtin_pool {
  int32_t num_threads; /* including the caller */
  pthread_t *workers;
  pthread_mutex_t mu;
  pthread_cond_t work_cv, done_cv;
  uint64_t generation;
  int32_t pending; /* workers not yet done with the current job */
  int32_t helpers; /* workers that take chunks in the current job */
  attn_task_fn fn;
  void *ctx;
  int64_t n, chunk;
  atomic_llong next;
  atomic_flag busy;
} builtin_pool;

static builtin_pool pool = {.busy = ATOMIC_FLAG_INIT};
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void run_chunks(builtin_pool *p) {
  for (;;) {
    long long begin = atomic_fetch_add(&p->next, p->chunk);
    if (begin >= p->n)
      return;
    long long end = begin + p->chunk < p->n ? begin + p->chunk : p->n;
    p->fn(p->ctx, begin, end);
  }
}

/* What a worker starts from: its index, and the job generation current when
 * it was created (so it never mistakes a job it was not counted in for
 * its own). */
typedef struct worker_start {
  int32_t index;
  uint64_t generation;
} worker_start;

static void *worker_main(void *arg) {
  builtin_pool *p = &pool;
  worker_start start = *(worker_start *)arg;
  free(arg);
  uint64_t seen = start.generation;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (p->generation == seen)
      pthread_cond_wait(&p->work_cv, &p->mu);
    seen = p->generation;
    int take_part = start.index < p->helpers;
    pthread_mutex_unlock(&p->mu);
    if (take_part)
      run_chunks(p);
    pthread_mutex_lock(&p->mu);
    if (--p->pending == 0)
      pthread_cond_signal(&p->done_cv);
  }
  return NULL;
}

static int32_t pool_workers = 0; /* workers started */
static int32_t pool_limit = 1;   /* threads to use, including the caller */

static void pool_reset_after_fork(void) {
  /* The child has only the forking thread: forget the parent's workers. */
  pool.workers = NULL;
  pool_workers = 0;
  pool.pending = 0;
  pthread_mutex_init(&pool.mu, NULL);
  pthread_cond_init(&pool.work_cv, NULL);
  pthread_cond_init(&pool.done_cv, NULL);
  atomic_flag_clear(&pool.busy);
}

static void pool_init(void) {
  pthread_mutex_init(&pool.mu, NULL);
  pthread_cond_init(&pool.work_cv, NULL);
  pthread_cond_init(&pool.done_cv, NULL);
  pthread_atfork(NULL, NULL, pool_reset_after_fork);
  int32_t n = 0;
  const char *env = getenv("ATTN_NUM_THREADS");
  if (env && *env)
    n = (int32_t)atoi(env);
  if (n < 1) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    n = cpus > 0 ? (int32_t)cpus : 1;
  }
  pool_limit = n;
}

/* Starts workers up to `threads` in total (never stops any: a smaller count
 * leaves extra workers idle, they take no chunks). Called only by the
 * thread that holds pool.busy, so no job is running; the lock orders the
 * start generation with the next job. */
static void pool_ensure_workers(int32_t threads) {
  if (threads - 1 <= pool_workers)
    return;
  pthread_mutex_lock(&pool.mu);
  pthread_t *w = (pthread_t *)realloc(pool.workers,
                                      sizeof(pthread_t) * (size_t)(threads - 1));
  if (w) {
    pool.workers = w;
    while (pool_workers < threads - 1) {
      worker_start *start = (worker_start *)malloc(sizeof(worker_start));
      if (!start)
        break;
      start->index = pool_workers;
      start->generation = pool.generation;
      if (pthread_create(&pool.workers[pool_workers], NULL, worker_main,
                         start)) {
        free(start);
        break;
      }
      pthread_detach(pool.workers[pool_workers]);
      ++pool_workers;
    }
  }
  pthread_mutex_unlock(&pool.mu);
}

static void builtin_parallel_for(int64_t n, int64_t grain, attn_task_fn fn,
                                 void *ctx) {
  int32_t threads = pool_limit;
  if (threads <= 1 || n <= grain || atomic_flag_test_and_set(&pool.busy)) {
    fn(ctx, 0, n);
    return;
  }
  pool_ensure_workers(threads);
  if (threads > pool_workers + 1)
    threads = pool_workers + 1;
  if (threads <= 1) {
    atomic_flag_clear(&pool.busy);
    fn(ctx, 0, n);
    return;
  }
  /* About four chunks a thread, at least `grain` iterations each. */
  int64_t chunk = n / ((int64_t)threads * 4);
  if (chunk < grain)
    chunk = grain;
  if (chunk < 1)
    chunk = 1;
  pthread_mutex_lock(&pool.mu);
  pool.fn = fn;
  pool.ctx = ctx;
  pool.n = n;
  pool.chunk = chunk;
  atomic_store(&pool.next, 0);
  /* Workers 0 .. threads - 2 take part; every worker wakes and reports. */
  pool.helpers = threads - 1;
  pool.pending = pool_workers;
  ++pool.generation;
  pthread_cond_broadcast(&pool.work_cv);
  pthread_mutex_unlock(&pool.mu);
  run_chunks(&pool);
  pthread_mutex_lock(&pool.mu);
  while (pool.pending > 0)
    pthread_cond_wait(&pool.done_cv, &pool.mu);
  pthread_mutex_unlock(&pool.mu);
  atomic_flag_clear(&pool.busy);
}

static attn_parallel_for_impl pf_impl = NULL;
static void *pf_pool = NULL;
static int32_t pf_threads = 1;

void attn_set_parallel_for(attn_parallel_for_impl impl, void *pool_ptr,
                           int32_t num_threads) {
  pf_impl = impl;
  pf_pool = impl ? pool_ptr : NULL;
  pf_threads = impl && num_threads > 1 ? num_threads : 1;
}

void attn_set_num_threads(int32_t num_threads) {
  pthread_once(&pool_once, pool_init);
  pf_impl = NULL;
  pf_pool = NULL;
  pool_limit = num_threads > 1 ? num_threads : 1;
}

int32_t attn_get_num_threads(void) {
  if (pf_impl)
    return pf_threads;
  pthread_once(&pool_once, pool_init);
  return pool_limit;
}

void attn_parallel_for(int64_t n, int64_t grain, attn_task_fn fn, void *ctx) {
  if (n <= 0 || !fn)
    return;
  if (grain < 1)
    grain = 1;
  if (pf_impl) {
    pf_impl(pf_pool, n, grain, fn, ctx);
    return;
  }
  pthread_once(&pool_once, pool_init);
  builtin_parallel_for(n, grain, fn, ctx);
}

/* ---------------------------------------------------------------------- */
/* Call checking                                                           */
/* ---------------------------------------------------------------------- */

/* The decoded view of one argument in an encoded signature. */
typedef struct arg_spec {
  int64_t dtype, rank;
  const int64_t *dims; /* rank pairs: static size (-1 = dynamic,
                          ATTN_DIM_BROADCAST = dynamic or 1), symbol */
  const char *name;
  int is_output;
} arg_spec;

enum { MAX_ARGS = ATTN_MAX_ARGS, MAX_SYMBOLS = ATTN_MAX_ARGS * ATTN_MAX_RANK };

/* Byte span [lo, hi) that a tensor's elements occupy; empty when numel==0.
 * Returns 0 on overflow. */
static int byte_span(const attn_tensor_t *t, size_t elem, uintptr_t *lo,
                     uintptr_t *hi) {
  int64_t last = 0; /* offset of the last element, in elements */
  for (int32_t k = 0; k < t->rank; ++k) {
    if (t->shape[k] == 0) {
      *lo = *hi = (uintptr_t)t->data;
      return 1;
    }
    int64_t term;
    if (__builtin_mul_overflow(t->shape[k] - 1, t->strides[k], &term) ||
        __builtin_add_overflow(last, term, &last))
      return 0;
  }
  int64_t bytes;
  if (__builtin_add_overflow(last, 1, &bytes) ||
      __builtin_mul_overflow(bytes, (int64_t)elem, &bytes))
    return 0;
  *lo = (uintptr_t)t->data;
  if ((uintptr_t)bytes > UINTPTR_MAX - *lo)
    return 0;
  *hi = *lo + (uintptr_t)bytes;
  return 1;
}

/* True if no two distinct indices of `t` map to the same element. */
static int non_overlapping(const attn_tensor_t *t) {
  int order[ATTN_MAX_RANK];
  int n = 0;
  for (int k = 0; k < t->rank; ++k)
    if (t->shape[k] > 1)
      order[n++] = k;
  /* Insertion sort by stride. */
  for (int a = 1; a < n; ++a)
    for (int b = a; b > 0 && t->strides[order[b]] < t->strides[order[b - 1]];
         --b) {
      int tmp = order[b];
      order[b] = order[b - 1];
      order[b - 1] = tmp;
    }
  int64_t extent = 1; /* elements spanned by the dims so far */
  for (int a = 0; a < n; ++a) {
    int k = order[a];
    if (t->strides[k] < extent)
      return 0;
    int64_t add;
    if (__builtin_mul_overflow(t->strides[k], t->shape[k] - 1, &add) ||
        __builtin_add_overflow(extent, add, &extent))
      return 0;
  }
  return 1;
}

attn_status_t attn_check_call(const int64_t *sig, const char *names,
                              const attn_tensor_t *const *args) {
  if (!sig || !names || sig[0] != ATTN_SIGNATURE_MAGIC)
    return fail(ATTN_ERR_INTERNAL, "attn_check_call: corrupt kernel signature");
  const char *kernel = names;
  int64_t num_in = sig[1], num_out = sig[2], num_syms = sig[3],
          num_divs = sig[4], num_bounds = sig[5], num_products = sig[6];
  int64_t num_args = num_in + num_out;
  if (num_in < 0 || num_out < 0 || num_args > MAX_ARGS || num_syms < 0 ||
      num_syms > MAX_SYMBOLS || num_divs < 0 || num_bounds < 0 ||
      num_products < 0)
    return fail(ATTN_ERR_INTERNAL, "%s: corrupt kernel signature", kernel);

  /* Decode the argument specs. */
  arg_spec spec[MAX_ARGS];
  const int64_t *p = sig + 7;
  const char *name = names + strlen(names) + 1;
  for (int64_t i = 0; i < num_args; ++i) {
    spec[i].dtype = p[0];
    spec[i].rank = p[1];
    if (spec[i].rank < 0 || spec[i].rank > ATTN_MAX_RANK)
      return fail(ATTN_ERR_INTERNAL, "%s: corrupt kernel signature", kernel);
    spec[i].dims = p + 2;
    spec[i].name = name;
    spec[i].is_output = i >= num_in;
    p += 2 + 2 * spec[i].rank;
    name += strlen(name) + 1;
  }
  const int64_t *divs = p;
  const int64_t *bounds = p + 2 * num_divs;
  const int64_t *products = bounds + 2 * num_bounds;

  if (!args)
    return fail(ATTN_ERR_NULL_ARGUMENT, "%s: argument array is NULL", kernel);

  /* Null pointers, rank and dtype. */
  for (int64_t i = 0; i < num_args; ++i) {
    const attn_tensor_t *t = args[i];
    if (!t)
      return fail(ATTN_ERR_NULL_ARGUMENT, "%s: argument '%s' (#%lld) is NULL",
                  kernel, spec[i].name, (long long)i);
    if (t->rank != spec[i].rank)
      return fail(ATTN_ERR_RANK, "%s: '%s' has rank %d, expected %lld", kernel,
                  spec[i].name, t->rank, (long long)spec[i].rank);
    if (t->dtype != spec[i].dtype)
      return fail(ATTN_ERR_DTYPE, "%s: '%s' has dtype %s, expected %s", kernel,
                  spec[i].name, attn_dtype_name(t->dtype),
                  attn_dtype_name((int32_t)spec[i].dtype));
  }

  /* Dims: non-negative, equal to static sizes, equal across a symbol. */
  int64_t sym_value[MAX_SYMBOLS];
  int sym_arg[MAX_SYMBOLS], sym_dim[MAX_SYMBOLS];
  int sym_bcast[MAX_SYMBOLS]; /* the dim that set it may broadcast */
  for (int64_t s = 0; s < num_syms; ++s)
    sym_value[s] = -1;
  for (int64_t i = 0; i < num_args; ++i) {
    const attn_tensor_t *t = args[i];
    for (int32_t k = 0; k < t->rank; ++k) {
      int64_t size = t->shape[k];
      int64_t want = spec[i].dims[2 * k], sym = spec[i].dims[2 * k + 1];
      if (size < 0)
        return fail(ATTN_ERR_SHAPE, "%s: '%s' dim %d is negative (%lld)",
                    kernel, spec[i].name, k, (long long)size);
      if (want >= 0 && size != want)
        return fail(ATTN_ERR_SHAPE,
                    "%s: '%s' dim %d is %lld, but the kernel was compiled for "
                    "%lld",
                    kernel, spec[i].name, k, (long long)size, (long long)want);
      if (sym < 0 || sym >= num_syms)
        return fail(ATTN_ERR_INTERNAL, "%s: corrupt kernel signature", kernel);
      if (want == ATTN_DIM_BROADCAST && size == 1)
        continue; /* broadcasts: read with stride 0 by the entry point */
      if (sym_value[sym] < 0) {
        sym_value[sym] = size;
        sym_arg[sym] = (int)i;
        sym_dim[sym] = k;
        sym_bcast[sym] = want == ATTN_DIM_BROADCAST;
      } else if (sym_value[sym] != size) {
        /* Name the dim that may be 1 instead, if one of them may. */
        char hint[160] = "";
        if (want == ATTN_DIM_BROADCAST || sym_bcast[sym]) {
          int here = want == ATTN_DIM_BROADCAST;
          snprintf(hint, sizeof(hint), ", or '%s' dim %d must be 1 (broadcast)",
                   here ? spec[i].name : spec[sym_arg[sym]].name,
                   here ? k : sym_dim[sym]);
        }
        return fail(ATTN_ERR_SHAPE, "%s: '%s' dim %d is %lld but '%s' dim %d is "
                    "%lld; they must be equal%s",
                    kernel, spec[i].name, k, (long long)size,
                    spec[sym_arg[sym]].name, sym_dim[sym],
                    (long long)sym_value[sym], hint);
      }
    }
  }
  for (int64_t d = 0; d < num_divs; ++d) {
    int64_t num = divs[2 * d], den = divs[2 * d + 1];
    if (num < 0 || num >= num_syms || den < 0 || den >= num_syms)
      return fail(ATTN_ERR_INTERNAL, "%s: corrupt kernel signature", kernel);
    int64_t a = sym_value[num], b = sym_value[den];
    if (a < 0 || b < 0)
      continue;
    if ((b == 0 && a != 0) || (b != 0 && a % b != 0))
      return fail(ATTN_ERR_SHAPE,
                  "%s: '%s' dim %d = %lld is not a multiple of '%s' dim %d = "
                  "%lld",
                  kernel, spec[sym_arg[num]].name, sym_dim[num], (long long)a,
                  spec[sym_arg[den]].name, sym_dim[den], (long long)b);
  }

  for (int64_t d = 0; d < num_bounds; ++d) {
    int64_t sym = bounds[2 * d], max = bounds[2 * d + 1];
    if (sym < 0 || sym >= num_syms)
      return fail(ATTN_ERR_INTERNAL, "%s: corrupt kernel signature", kernel);
    if (sym_value[sym] > max)
      return fail(ATTN_ERR_SHAPE,
                  "%s: '%s' dim %d is %lld, above its bound %lld", kernel,
                  spec[sym_arg[sym]].name, sym_dim[sym],
                  (long long)sym_value[sym], (long long)max);
  }

  /* Data pointers, strides, alignment, sizes. */
  uintptr_t lo[MAX_ARGS], hi[MAX_ARGS];
  for (int64_t i = 0; i < num_args; ++i) {
    const attn_tensor_t *t = args[i];
    size_t elem = attn_dtype_size(t->dtype);
    int64_t numel = 1;
    for (int32_t k = 0; k < t->rank; ++k) {
      if (t->strides[k] < 0)
        return fail(ATTN_ERR_STRIDE, "%s: '%s' stride %d is negative (%lld)",
                    kernel, spec[i].name, k, (long long)t->strides[k]);
      if (__builtin_mul_overflow(numel, t->shape[k], &numel))
        return fail(ATTN_ERR_SHAPE, "%s: '%s' has too many elements", kernel,
                    spec[i].name);
    }
    if (numel > 0 && !t->data)
      return fail(ATTN_ERR_NULL_ARGUMENT, "%s: '%s' data is NULL", kernel,
                  spec[i].name);
    if (((uintptr_t)t->data) % elem != 0)
      return fail(ATTN_ERR_ALIGNMENT,
                  "%s: '%s' data %p is not aligned to its %zu-byte elements",
                  kernel, spec[i].name, t->data, elem);
    if (!byte_span(t, elem, &lo[i], &hi[i]))
      return fail(ATTN_ERR_STRIDE, "%s: '%s' strides overflow its address range",
                  kernel, spec[i].name);
    if (spec[i].is_output && numel > 0 && !non_overlapping(t))
      return fail(ATTN_ERR_STRIDE,
                  "%s: output '%s' has strides under which elements overlap",
                  kernel, spec[i].name);
  }

  /* The kernel's temporaries: their byte sizes (16 bytes an element, room
   * for f64 and alignment) must not overflow, or the kernel would allocate
   * too little. */
  for (int64_t w = 0; w < num_products; ++w) {
    int64_t len = products[0], bytes = 16;
    for (int64_t f = 0; f < len; ++f) {
      int64_t sym = products[1 + f];
      if (sym < 0 || sym >= num_syms)
        return fail(ATTN_ERR_INTERNAL, "%s: corrupt kernel signature", kernel);
      if (__builtin_mul_overflow(bytes, sym_value[sym], &bytes))
        return fail(ATTN_ERR_OUT_OF_MEMORY,
                    "%s: these shapes need a workspace whose size overflows "
                    "64 bits",
                    kernel);
    }
    products += 1 + len;
  }

  /* Outputs must not overlap any other operand. */
  for (int64_t i = num_in; i < num_args; ++i) {
    for (int64_t j = 0; j < num_args; ++j) {
      if (j == i || lo[i] == hi[i] || lo[j] == hi[j])
        continue;
      if (lo[i] < hi[j] && lo[j] < hi[i])
        return fail(ATTN_ERR_ALIASING, "%s: output '%s' overlaps '%s' in memory",
                    kernel, spec[i].name, spec[j].name);
    }
  }
  return ATTN_OK;
}

/* ---------------------------------------------------------------------- */
/* Workspace allocation and guarded task runs                              */
/* ---------------------------------------------------------------------- */

/* Every workspace block carries this header just before the pointer handed
 * to generated code, so that a failed run can free what its task had
 * allocated. */
typedef struct block_header {
  struct block_header *prev, *next;
  void *base;          /* what malloc returned */
  struct guard *owner; /* the guarded run whose list holds it, or NULL */
} block_header;

/* One guarded task run on this thread. */
typedef struct guard {
  jmp_buf unwind;
  block_header *live; /* blocks allocated and not yet freed */
  size_t failed_bytes;
  struct guard *outer;
} guard;

static _Thread_local guard *current_guard = NULL;

static void *guarded_alloc(size_t size, size_t alignment) {
  /* Power-of-two alignments of at least a pointer (MLIR emits no others;
   * round any other value up to one). */
  size_t pow2 = sizeof(void *);
  while (pow2 < alignment && pow2 < ((size_t)1 << 30))
    pow2 <<= 1;
  alignment = pow2;
  size_t total;
  if (__builtin_add_overflow(size, sizeof(block_header) + alignment, &total))
    total = SIZE_MAX;
  void *base = total == SIZE_MAX ? NULL : malloc(total);
  if (!base) {
    if (current_guard) {
      current_guard->failed_bytes = size;
      longjmp(current_guard->unwind, 1);
    }
    return NULL;
  }
  uintptr_t p = (uintptr_t)base + sizeof(block_header);
  p = (p + alignment - 1) / alignment * alignment;
  block_header *h = (block_header *)p - 1;
  h->base = base;
  h->prev = NULL;
  h->next = NULL;
  h->owner = current_guard;
  if (current_guard) {
    h->next = current_guard->live;
    if (h->next)
      h->next->prev = h;
    current_guard->live = h;
  }
  return (void *)p;
}

void *_mlir_memref_to_llvm_alloc(size_t size) {
  return guarded_alloc(size, 16);
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  return guarded_alloc(size, alignment);
}

void _mlir_memref_to_llvm_free(void *ptr) {
  if (!ptr)
    return;
  block_header *h = (block_header *)ptr - 1;
  /* Unlink from the list of the run that allocated it (generated code
   * frees a block on the thread and in the run that allocated it). */
  if (h->owner) {
    if (h->prev)
      h->prev->next = h->next;
    else if (h->owner->live == h)
      h->owner->live = h->next;
    if (h->next)
      h->next->prev = h->prev;
  }
  free(h->base);
}

typedef struct run_state {
  attn_task_fn task;
  void *ctx;
  atomic_int failed;
  _Atomic size_t failed_bytes;
} run_state;

static void guarded_task(void *p, int64_t begin, int64_t end) {
  run_state *r = (run_state *)p;
  if (atomic_load(&r->failed))
    return;
  guard g;
  g.live = NULL;
  g.failed_bytes = 0;
  g.outer = current_guard;
  current_guard = &g;
  if (setjmp(g.unwind) == 0) {
    r->task(r->ctx, begin, end);
  } else {
    /* Unwound from an allocation: free what this task still held. */
    for (block_header *h = g.live; h;) {
      block_header *next = h->next;
      free(h->base);
      h = next;
    }
    atomic_store(&r->failed_bytes, g.failed_bytes);
    atomic_store(&r->failed, 1);
  }
  current_guard = g.outer;
}

/* Runs `task` over [0, n) with every chunk guarded. Returns 0, or the size
 * of a workspace allocation that failed (then the remaining chunks were
 * skipped). */
static size_t run_guarded(int64_t n, attn_task_fn task, void *ctx) {
  run_state r;
  r.task = task;
  r.ctx = ctx;
  atomic_init(&r.failed, 0);
  atomic_init(&r.failed_bytes, 0);
  attn_parallel_for(n, 1, guarded_task, &r);
  if (!atomic_load(&r.failed))
    return 0;
  size_t bytes = atomic_load(&r.failed_bytes);
  return bytes ? bytes : 1;
}

attn_status_t attn_run_tasks(const char *names, int64_t n, attn_task_fn task,
                             void *ctx) {
  if (!task)
    return fail(ATTN_ERR_INVALID_ARGUMENT, "attn_run_tasks: task is NULL");
  size_t bytes = run_guarded(n, task, ctx);
  if (bytes)
    return fail(ATTN_ERR_OUT_OF_MEMORY,
                "%s: out of memory allocating %zu bytes of workspace",
                names ? names : "kernel", bytes);
  return ATTN_OK;
}

void attn_parallel_region(int64_t n, attn_task_fn task, void *ctx) {
  size_t bytes = run_guarded(n, task, ctx);
  if (bytes && current_guard) {
    /* Propagate the failed allocation to the enclosing attn_run_tasks. */
    current_guard->failed_bytes = bytes;
    longjmp(current_guard->unwind, 1);
  }
}

/* ---------------------------------------------------------------------- */
/* CPU features                                                            */
/* ---------------------------------------------------------------------- */

static uint32_t detect_cpu_features(void) {
  uint32_t f = 0;
#if defined(__x86_64__) || defined(__i386__)
  /* __builtin_cpu_supports checks CPUID and that the OS saves the vector
     state (XGETBV) for the AVX and AVX-512 sets. */
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2"))
    f |= ATTN_CPU_AVX2;
  if ((f & ATTN_CPU_AVX2) && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512cd") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    f |= ATTN_CPU_AVX512;
  if ((f & ATTN_CPU_AVX512) && __builtin_cpu_supports("avx512bf16"))
    f |= ATTN_CPU_AVX512BF16;
#endif
  const char *limit = getenv("ATTN_CPU_LIMIT");
  if (limit) {
    if (!strcmp(limit, "avx512"))
      f &= ATTN_CPU_AVX2 | ATTN_CPU_AVX512;
    else if (!strcmp(limit, "avx2"))
      f &= ATTN_CPU_AVX2;
    else if (!strcmp(limit, "baseline"))
      f = 0;
  }
  return f;
}

uint32_t attn_cpu_features(void) {
  /* Computed once; racing first calls compute the same value. */
  static atomic_uint cached = UINT32_MAX;
  uint32_t f = atomic_load_explicit(&cached, memory_order_relaxed);
  if (f == UINT32_MAX) {
    f = detect_cpu_features();
    atomic_store_explicit(&cached, f, memory_order_relaxed);
  }
  return f;
}

attn_status_t attn_unsupported_cpu(const char *name) {
  return fail(ATTN_ERR_UNSUPPORTED_CPU,
              "%s: this CPU lacks the instructions of every compiled version "
              "of the kernel (attnc --multiversion)",
              name ? name : "kernel");
}

/* ---------------------------------------------------------------------- */
/* Block statistics                                                        */
/* ---------------------------------------------------------------------- */

/* In the order of attn_block_stats_t's fields. Relaxed atomics: the sums
 * are read after the kernels' parallel loops have joined. */
static _Atomic int64_t block_stats[7];

void attn_count_blocks(int64_t kind, int64_t blocks, int64_t scores) {
  switch (kind) {
  case 0:
    atomic_fetch_add_explicit(&block_stats[0], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&block_stats[1], blocks, memory_order_relaxed);
    atomic_fetch_add_explicit(&block_stats[5], scores, memory_order_relaxed);
    break;
  case 1:
    atomic_fetch_add_explicit(&block_stats[4], blocks, memory_order_relaxed);
    break;
  case 2:
  case 3:
    atomic_fetch_add_explicit(&block_stats[kind == 2 ? 3 : 2], blocks,
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&block_stats[6], scores, memory_order_relaxed);
    break;
  default:
    break;
  }
}

attn_status_t attn_get_block_stats(attn_block_stats_t *out) {
  if (!out)
    return fail(ATTN_ERR_NULL_ARGUMENT, "attn_get_block_stats: out is NULL");
  int64_t v[7];
  for (int i = 0; i < 7; ++i)
    v[i] = atomic_load_explicit(&block_stats[i], memory_order_relaxed);
  out->tasks = v[0];
  out->blocks = v[1];
  out->blocks_full = v[2];
  out->blocks_partial = v[3];
  out->blocks_empty = v[4];
  out->scores_dense = v[5];
  out->scores_visited = v[6];
  return ATTN_OK;
}

void attn_reset_block_stats(void) {
  for (int i = 0; i < 7; ++i)
    atomic_store_explicit(&block_stats[i], 0, memory_order_relaxed);
}
