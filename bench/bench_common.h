//===- bench_common.h - What attn_bench and halide_bench share ----*- C++ -*-===//
//
// The suite's shapes and the per-row peak-memory measurement, so that every
// benchmark binary measures the same rows the same way.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_BENCH_COMMON_H
#define ATTN_BENCH_COMMON_H

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace bench {

/// A field of /proc/self/status in KiB ("VmRSS", "VmHWM"), or -1.
inline int64_t statusKiB(const char *field) {
  FILE *f = std::fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  int64_t kib = -1;
  size_t n = std::strlen(field);
  while (std::fgets(line, sizeof line, f))
    if (!std::strncmp(line, field, n) && line[n] == ':')
      kib = std::strtoll(line + n + 1, nullptr, 10);
  std::fclose(f);
  return kib;
}

/// Peak resident memory of a row: Linux resets the high-water mark (VmHWM)
/// on "5" written to /proc/self/clear_refs. Call before the row allocates
/// its inputs; returns the resident set then (KiB). The row reports VmHWM
/// after its runs minus this.
inline int64_t startMemory() {
  if (FILE *f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
  return statusKiB("VmRSS");
}

/// Fixes glibc's mmap threshold at its default (128 KiB) for the whole run:
/// glibc otherwise raises it after large frees, and a later row's inputs
/// would come from already-resident heap and escape the measurement. Call
/// first in main().
inline void fixMmapThreshold() { mallopt(M_MMAP_THRESHOLD, 128 * 1024); }

/// A row's f32 inputs, N(0, 1) with a fixed seed: [1, H, Lq, D] queries,
/// [1, Hkv, Lk, D] keys and values, and the output.
struct Inputs {
  int64_t B = 1, H, Lq, Lk, D, Hkv;
  std::vector<float> q, k, v, out;
  /// `hkv` KV heads (GQA; 0: as many as query heads).
  Inputs(int64_t h, int64_t lq, int64_t lk, int64_t d, int64_t hkv = 0)
      : H(h), Lq(lq), Lk(lk), D(d), Hkv(hkv ? hkv : h) {
    q.resize((size_t)(B * H * Lq * D));
    k.resize((size_t)(B * Hkv * Lk * D));
    v.resize(k.size());
    out.resize(q.size());
    std::mt19937 rng(7);
    std::normal_distribution<float> g;
    for (std::vector<float> *x : {&q, &k, &v})
      for (float &e : *x)
        e = g(rng);
  }
  /// 4·B·H·Lq·Lk·D, the dense count (causal rows do about half).
  double flop() const { return 4.0 * B * H * Lq * Lk * D; }
  double ioMiB() const {
    return 4.0 * (double)(2 * q.size() + 2 * k.size()) / (1 << 20);
  }
};

/// Row arguments: heads, q_len, kv_len, head_dim, causal, threads.
/// The suite's shapes (issue 3): prefill with batch 1, 8 heads, head_dim 64
/// and 128, seq_len 512 to 8192, dense and causal; decode with 32 heads,
/// q_len 1, kv_len 1k to 32k, head_dim 128; threads 1 and 2. Only attnc
/// (`longRows`) also runs one head of 64k tokens, the memory test, where
/// materialized scores would take 16 GiB.
inline void shapes(benchmark::internal::Benchmark *b, bool longRows,
                   bool decode = true) {
  for (int64_t t : {1, 2}) {
    for (int64_t d : {64, 128})
      for (int64_t l : {512, 1024, 2048, 4096, 8192})
        for (int64_t causal : {0, 1})
          b->Args({8, l, l, d, causal, t});
    if (decode)
      for (int64_t lk : {1024, 4096, 16384, 32768})
        b->Args({32, 1, lk, 128, 0, t});
  }
  if (longRows)
    b->Args({1, 65536, 65536, 64, 1, 2});
}

/// The kernels' instruction set: what bench/run.sh asked for (BENCH_ISA,
/// compiled in as ATTN_BENCH_ISA: "avx2" for x86-64-v3 kernels, else the
/// host's), named as BENCHMARKS.md's sections are.
inline const char *kernelIsa() {
#ifdef ATTN_BENCH_ISA
  if (!std::strcmp(ATTN_BENCH_ISA, "avx2"))
    return "avx2+fma";
#endif
  if (__builtin_cpu_supports("avx512bf16"))
    return "avx512f+bf16";
  if (__builtin_cpu_supports("avx512f"))
    return "avx512f";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return "avx2+fma";
  return "sse2";
}

/// The CPU's model name (/proc/cpuinfo), or "unknown".
inline std::string cpuModel() {
  FILE *f = std::fopen("/proc/cpuinfo", "r");
  std::string name = "unknown";
  if (!f)
    return name;
  char line[512];
  while (std::fgets(line, sizeof line, f))
    if (!std::strncmp(line, "model name", 10)) {
      const char *c = std::strchr(line, ':');
      if (c) {
        name = c + 2;
        while (!name.empty() && (name.back() == '\n' || name.back() == ' '))
          name.pop_back();
      }
      break;
    }
  std::fclose(f);
  return name;
}

/// A cache's size in KiB from sysfs (level 1 data, 2, 3), or -1. (sysconf
/// reports nonsense for the L3 of some VMs.)
inline long cacheKiB(int level) {
  for (int i = 0; i < 8; ++i) {
    std::string dir =
        "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    auto read = [&](const char *file) {
      std::string v;
      if (FILE *f = std::fopen((dir + file).c_str(), "r")) {
        char buf[64] = {0};
        if (std::fgets(buf, sizeof buf, f))
          v = buf;
        std::fclose(f);
      }
      while (!v.empty() && (v.back() == '\n' || v.back() == ' '))
        v.pop_back();
      return v;
    };
    std::string lv = read("level");
    if (lv.empty())
      break;
    if (std::stoi(lv) != level || read("type") == "Instruction")
      continue;
    std::string size = read("size"); // "32K", "1024K", "32768K"
    return size.empty() ? -1 : std::stol(size);
  }
  return -1;
}

/// x86 family and model from /proc/cpuinfo, as "family F model M" (AMD:
/// family 23 models >= 0x30 are Zen 2, 25 with models 0x10-0x1f, 0x60-0x7f
/// or 0xa0-0xaf are Zen 4), or "".
inline std::string cpuFamilyModel() {
  FILE *f = std::fopen("/proc/cpuinfo", "r");
  if (!f)
    return "";
  char line[512];
  int family = -1, model = -1;
  while (std::fgets(line, sizeof line, f) && (family < 0 || model < 0)) {
    if (!std::strncmp(line, "cpu family", 10))
      family = std::atoi(std::strchr(line, ':') + 1);
    else if (!std::strncmp(line, "model\t", 6) || !std::strncmp(line, "model ", 6))
      if (!std::strstr(line, "name"))
        model = std::atoi(std::strchr(line, ':') + 1);
  }
  std::fclose(f);
  if (family < 0)
    return "";
  std::string s = "family " + std::to_string(family) + " model " +
                  std::to_string(model);
  bool amd = cpuModel().find("AMD") != std::string::npos;
  if (amd && family == 23)
    s += model >= 0x30 ? ", Zen 2" : ", Zen/Zen+";
  else if (amd && family == 25)
    s += (model >= 0x10 && model <= 0x1f) || (model >= 0x60 && model <= 0x7f) ||
                 (model >= 0xa0 && model <= 0xaf)
             ? ", Zen 4"
             : ", Zen 3";
  else if (amd && family == 26)
    s += ", Zen 5";
  return s;
}

/// Records the host in the JSON context: the kernels' ISA, the CPU model,
/// the data cache sizes (KiB).
inline void addHostContext() {
  benchmark::AddCustomContext("isa", kernelIsa());
  std::string fm = cpuFamilyModel();
  benchmark::AddCustomContext("cpu_model",
                              cpuModel() + (fm.empty() ? "" : " (" + fm + ")"));
  benchmark::AddCustomContext("caches_kib", std::to_string(cacheKiB(1)) + "/" +
                                                std::to_string(cacheKiB(2)) +
                                                "/" +
                                                std::to_string(cacheKiB(3)));
}

/// The main of each benchmark binary: Google Benchmark with the host in
/// its context; `beforeRows` (may be null) runs once before the rows.
inline int benchmarkMain(int argc, char **argv,
                         void (*beforeRows)() = nullptr) {
  fixMmapThreshold();
  benchmark::Initialize(&argc, argv);
  addHostContext();
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  if (beforeRows)
    beforeRows();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

/// Counters of a row: GFLOPs (4·B·H·Lq·Lk·D per second, the dense count even
/// for causal), flop, threads, rss_mib (peak resident memory above what the
/// process held before the row) and io_mib (its inputs and outputs).
inline void setCounters(benchmark::State &state, double flop, double ioMiB,
                        int threads, int64_t rss0) {
  state.counters["GFLOPs"] = benchmark::Counter(
      flop * 1e-9 * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["flop"] = flop;
  state.counters["threads"] = threads;
  state.counters["rss_mib"] = (statusKiB("VmHWM") - rss0) / 1024.0;
  state.counters["io_mib"] = ioMiB;
}

} // namespace bench

#endif // ATTN_BENCH_COMMON_H
