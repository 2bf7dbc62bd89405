#!/usr/bin/env bash
# Issue 18's GPU check, in one go (under 8 minutes on an H200; each step has its own
# timeout): the probe, the gpu-marked tests on the real GPU, the strict-stand-in suite,
# then benchmarks/gpu_bench.py (parity, layer times against torch + cuDNN, CPU-vs-GPU
# speed-up, a Japanese Vowels epoch). Logs and the figures (gpu_bench.json) go to $OUT
# (or /tmp/gpu_check). Without a usable GPU it says SKIP and exits 0.
#
# Installs: dltoolbox runs from this checkout (PYTHONPATH), nothing to build. CuPy and
# torch must be importable; where CuPy is missing it tries the gpu extra's wheel
# (cupy-cuda12x[ctk], or cupy-cuda13x[ctk] under a CUDA 13 driver) into a private folder,
# only where nvidia-smi sees a GPU; that needs a package registry. The lab's H200 image already has cupy-cuda13x 14.2 and a CUDA torch.
#
# Run:  bash benchmarks/gpu_check.sh        (PYTHON=... to choose the interpreter)
set -uo pipefail
cd "$(dirname "$0")/.."
OUTDIR=${OUT:-/tmp/gpu_check}
mkdir -p "$OUTDIR"
PY=${PYTHON:-python3}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
start=$SECONDS

# Only where a GPU is present, and into a private folder: the interpreter's own
# environment is never changed.
if ! "$PY" -c "import cupy" 2>/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    cuda_major=$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9]*\).*/\1/p' | head -1)
    wheel="cupy-cuda12x[ctk]>=14"
    [ "${cuda_major:-12}" -ge 13 ] 2>/dev/null && wheel="cupy-cuda13x[ctk]>=14"
    echo "CuPy is missing: trying pip install --target /tmp/gpu_check_site '$wheel'"
    timeout 240 "$PY" -m pip install -q --target /tmp/gpu_check_site "$wheel" \
        && export PYTHONPATH="$PYTHONPATH:/tmp/gpu_check_site" || echo "could not install CuPy"
fi

"$PY" - <<'PY' | tee "$OUTDIR/probe.log"
from dltoolbox import backend
cp = backend.cupy_or_none()
print("probe:", "GPU usable" if cp is not None else
      f"SKIP: no usable GPU ({backend.probe_error() or 'CuPy is not installed'})")
PY
if grep -q "^probe: SKIP" "$OUTDIR/probe.log"; then
    "$PY" benchmarks/gpu_bench.py --json "$OUTDIR/gpu_bench.json"
    exit 0
fi
nvidia-smi -L 2>/dev/null || true

echo "== gpu-marked tests on the real GPU =="
DLTOOLBOX_REAL_GPU=1 timeout 150 "$PY" -m pytest -m gpu -q -p no:cacheprovider \
    -o addopts="" tests 2>&1 | tee "$OUTDIR/gpu_tests.log" | tail -25
echo "== the strict CuPy stand-in suite =="
timeout 60 "$PY" -m pytest -q -p no:cacheprovider -o addopts="" tests/test_strict_cupy.py \
    2>&1 | tail -5 | tee "$OUTDIR/stand_in_tests.log"
echo "== benchmark =="
timeout 240 "$PY" benchmarks/gpu_bench.py --json "$OUTDIR/gpu_bench.json" 2>&1 \
    | tee "$OUTDIR/gpu_bench.log"
echo "gpu_check: $((SECONDS - start)) s in all"
