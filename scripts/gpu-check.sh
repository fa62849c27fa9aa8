#!/usr/bin/env bash
# One command for a lent GPU machine (offline; jax with its CUDA plugin, nvcc, cmake,
# nanobind and scikit-build-core preinstalled): build and install the packages, run the
# kernel tests on the GPU, benchmark the CUDA kernel, run the CLI comparison if present,
# then print a summary. Every step runs even if an earlier one failed; the exit status is
# non-zero if any failed. Finishes within 6 minutes. With OUT set, everything is also
# written to $OUT/gpu-check.log (plus per-step logs).
#   bash scripts/gpu-check.sh
set -u

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
LOGS=${OUT:-$(mktemp -d)}
mkdir -p "$LOGS"
exec > >(tee "$LOGS/gpu-check.log") 2>&1

DEADLINE=$((SECONDS + 345))  # leaves room for the summary within 6 minutes
SUMMARY=()
FAILED=0

# step NAME SECONDS COMMAND...: runs COMMAND with at most SECONDS (and never past the
# deadline), output shown and kept in $LOGS/NAME.log, outcome added to the summary.
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((DEADLINE - SECONDS))
  ((left < limit)) && limit=$left
  echo
  echo "=== $name (limit ${limit}s)"
  local start=$SECONDS status
  if ((limit <= 0)); then
    status="SKIPPED (out of time)"
    FAILED=1
  elif timeout "$limit" bash -c '"$@"' "$name" "$@" 2>&1 | tee "$LOGS/$name.log"
    [ "${PIPESTATUS[0]}" -eq 0 ]; then
    status="ok"
  else
    status="FAILED"
    FAILED=1
  fi
  SUMMARY+=("$(printf '%-22s %-24s %4ss' "$name" "$status" $((SECONDS - start)))")
}

environment() {
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  nvcc --version | tail -n 2
  cmake --version | head -n 1
  "$PYTHON" -c 'import sys, jax, jaxlib; print("python", sys.version.split()[0], "| jax",
jax.__version__, "| jaxlib", jaxlib.__version__, "|", jax.devices())'
}

# Installs go into a venv on top of the preinstalled packages (unless PYTHON already runs
# in one), so nothing system-wide changes.
use_venv() {
  "$PYTHON" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' && return 0
  "$PYTHON" -m venv --system-site-packages "$LOGS/venv" && PYTHON="$LOGS/venv/bin/python"
}

# NNREG_CUDA=ON: a machine with a GPU must build the CUDA handler, or fail here.
install_package() {
  NNREG_CUDA=ON CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "$PYTHON" -m pip install \
    --no-build-isolation --no-deps --no-index --quiet "./packages/$1"
}

cuda_kernel_in_use() {
  "$PYTHON" -c 'from nnreg.kernels import implementation, load_error
from nnreg.kernels import _cuda
print("implementation(cuda) =", implementation("cuda"), "| built for", _cuda.architectures)
assert implementation("cuda") == "cuda", load_error("cuda")'
}

kernel_tests() {
  "$PYTHON" -m pytest tests/test_kernels*.py -q -rs -p no:cacheprovider
}

cli_compare() {
  local nnreg="$(dirname "$PYTHON")/nnreg"
  [ -x "$nnreg" ] || nnreg=$(command -v nnreg) || { echo "no nnreg command: skipped"; return 0; }
  "$nnreg" compare --fused --methods jax-gd,optax-sgd,optax-adam
}

use_venv || echo "no venv module: installing into $PYTHON's environment"
export PYTHON
export -f environment install_package cuda_kernel_in_use kernel_tests cli_compare
step environment 30 environment
for package in kernels core cli; do
  [ -f "packages/$package/pyproject.toml" ] && step "install-$package" 90 install_package "$package"
done
step cuda-kernel 30 cuda_kernel_in_use
step kernel-tests 150 kernel_tests
step benchmark 60 "$PYTHON" benchmarks/kernel_speed.py --platform cuda
step cli-compare 60 cli_compare

echo
echo "=== summary"
nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1
tail -n 1 "$LOGS/kernel-tests.log" 2>/dev/null | sed 's/^/tests: /'
grep -E "forward|HBM" "$LOGS/benchmark.log" 2>/dev/null | sed 's/^/bench: /'
printf '%s\n' "${SUMMARY[@]}"
echo "total ${SECONDS}s; logs in $LOGS"
if ((FAILED)); then
  echo "GPU CHECK FAILED"
  exit 1
fi
echo "GPU CHECK PASSED"
