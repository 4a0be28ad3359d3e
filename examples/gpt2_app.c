/*===- gpt2_app.c - An app that embeds an attnc-compiled kernel -------------===*
 *
 * Loads GPT-2-shaped query/key/value and PyTorch's output (gpt2_data.py),
 * runs the gpt2_attention kernel that attnc compiled at build time, and
 * prints the max abs/rel error against PyTorch and the time per call.
 *
 * Usage: gpt2_app DATA_DIR [RUNS]
 * Exit status: 0 if the error is within the f32 bound, 1 otherwise, 2 on
 * bad input (a missing file, wrong shapes, or a kernel error status).
 *
 *===----------------------------------------------------------------------===*/
#include "gpt2_attention.h" /* written by attnc; includes attn_runtime.h */
#include "npy.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int load(const char *dir, const char *name, npy_array *a) {
  char path[4096], err[512];
  snprintf(path, sizeof(path), "%s/%s.npy", dir, name);
  if (npy_read(path, a, err, sizeof(err)) != 0) {
    fprintf(stderr, "gpt2_app: %s\n", err);
    return -1;
  }
  if (strcmp(a->dtype, "<f4") != 0 || a->rank != 4) {
    fprintf(stderr, "gpt2_app: %s must be a rank-4 float32 array\n", path);
    return -1;
  }
  return 0;
}

static float max_abs(const float *x, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; ++i)
    m = fmaxf(m, fabsf(x[i]));
  return m;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DATA_DIR [RUNS]\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  int runs = argc > 2 ? atoi(argv[2]) : 10;
  if (runs < 1)
    runs = 1;

  npy_array q, k, v, ref;
  if (load(dir, "query", &q) || load(dir, "key", &k) ||
      load(dir, "value", &v) || load(dir, "out_torch", &ref))
    return 2;

  float *out = aligned_alloc(64, (ref.count * sizeof(float) + 63) / 64 * 64);
  if (!out) {
    fprintf(stderr, "gpt2_app: out of memory\n");
    return 2;
  }
  attn_tensor_t tq, tk, tv, to;
  attn_tensor_contiguous(&tq, q.data, ATTN_DTYPE_F32, 4, q.shape);
  attn_tensor_contiguous(&tk, k.data, ATTN_DTYPE_F32, 4, k.shape);
  attn_tensor_contiguous(&tv, v.data, ATTN_DTYPE_F32, 4, v.shape);
  attn_tensor_contiguous(&to, out, ATTN_DTYPE_F32, 4, ref.shape);

  /* One checked call first: a shape error is reported, not crashed on. */
  attn_status_t st = gpt2_attention(&tq, &tk, &tv, &to);
  if (st != ATTN_OK) {
    fprintf(stderr, "gpt2_app: gpt2_attention failed (%s): %s\n",
            attn_status_string(st), attn_last_error());
    return 2;
  }
  double best = 1e30, total = 0;
  for (int r = 0; r < runs; ++r) {
    double t0 = now_ms();
    gpt2_attention(&tq, &tk, &tv, &to);
    double dt = now_ms() - t0;
    total += dt;
    if (dt < best)
      best = dt;
  }

  const float *r = (const float *)ref.data;
  double max_err = 0;
  int non_finite = 0;
  for (size_t i = 0; i < ref.count; ++i) {
    if (!isfinite(out[i]))
      non_finite = 1;
    double d = fabs((double)out[i] - (double)r[i]);
    if (d > max_err)
      max_err = d;
  }
  float max_ref = max_abs(r, ref.count);
  double rel = max_ref > 0 ? max_err / max_ref : max_err;

  /* f32 error bound (see test/integration/cpu/Reference.h for the
   * derivation), doubled because PyTorch's result is f32 too. */
  int64_t B = q.shape[0], H = q.shape[1], L = q.shape[2], D = q.shape[3];
  double eps = FLT_EPSILON;
  double tol = 2.0 * max_abs(v.data, v.count) * eps *
               (2.0 * D * (1.0 / sqrt((double)D)) * max_abs(q.data, q.count) *
                    max_abs(k.data, k.count) +
                L + 8.0);
  /* Causal attention does about half the work of 4*B*H*L*L*D flops. */
  double gflop = 4.0 * B * H * L * L * D / 2.0 * 1e-9;

  printf("gpt2_attention: batch %lld, heads %lld, seq_len %lld, head_dim %lld"
         " (causal)\n",
         (long long)B, (long long)H, (long long)L, (long long)D);
  printf("  vs PyTorch %s: max abs error %.3g, max rel error %.3g "
         "(bound %.3g)\n",
         "1.13", max_err, rel, tol);
  int threads = attn_get_num_threads();
  printf("  time: best %.3f ms, mean %.3f ms over %d runs (%.2f GFLOP/s, "
         "%d thread%s)\n",
         best, total / runs, runs, gflop / (best * 1e-3), threads,
         threads > 1 ? "s" : "");

  int ok = !non_finite && max_err <= tol;
  printf("  %s\n", ok ? "OK" : "MISMATCH");
  free(out);
  npy_free(&q);
  npy_free(&k);
  npy_free(&v);
  npy_free(&ref);
  return ok ? 0 : 1;
}
