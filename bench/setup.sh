# Sourced by bench/run*.sh: the repository and build folders, and the
# kernels' ISA from BENCH_ISA (native, the default, or avx2: x86-64-v3
# kernels, and the peers' own dispatch capped at AVX2), configured into the
# build; then builds the targets given as arguments.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
isa="${BENCH_ISA:-native}"
case "$isa" in
  native) ;;
  avx2)
    export DNNL_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 ;;
  *) echo "bench: BENCH_ISA must be native or avx2" >&2; exit 2 ;;
esac
"$root/scripts/build.sh" --target help >/dev/null
cmake "$build" -DATTN_BENCH_ISA="$isa" >/dev/null
for target in "$@"; do
  "$root/scripts/build.sh" --target "$target"
done
out="$build/bench"
