#!/usr/bin/env bash
# The prepared check for a lent GPU machine: one command, offline, within 6 minutes.
#   bash scripts/gpu-check.sh          on the GPU machine: build the CUDA handler and run
#                                      nnreg.kernels on the GPU (smoke check, kernel tests,
#                                      benchmark), then nnreg compare --fused
#   bash scripts/gpu-check.sh --dry    anywhere (CI): the same steps that need no GPU, made
#                                      the same way, on the CPU
# Needs python3 with pip, jax (with its CUDA plugin on the GPU), numpy, nanobind >= 2.4,
# scikit-build-core >= 0.11, CMake >= 3.24 and, on the GPU, nvcc (on PATH or in
# /usr/local/cuda/bin). pytest, setuptools >= 77 and optax are used when python3 has them
# or build/gpu-wheels/ (made by scripts/gpu-wheels.sh, travelling in the run's `carry`)
# holds them; otherwise one line names each missing one and only the steps that need it
# are skipped (without pytest, scripts/gpu_smoke.py alone tests the kernels). Keras and
# matplotlib are not used. Installs go into a throw-away virtual environment in a
# temporary folder, layered over python3's packages. With OUT set, $OUT receives two files
# only: gpu-check.log (everything) and gpu-check-summary.txt. Exit status 1 if a step
# failed or ran out of time; steps skipped for a missing package do not fail the check.
set -u

cd "$(dirname "$0")/.."
case "${1:-}" in
  "") DRY=0 PLATFORM=cuda ;;
  --dry) DRY=1 PLATFORM=cpu ;;
  *) echo "usage: bash scripts/gpu-check.sh [--dry]" >&2 && exit 2 ;;
esac
PYTHON=${PYTHON:-python3}
WHEELS=${NNREG_GPU_WHEELS:-build/gpu-wheels}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nnreg-gpu-check.XXXXXX")
LOGS=${OUT:-$WORK}
mkdir -p "$LOGS" "$WORK/steps"
# The venv always goes; the step logs stay only where they are the only logs.
trap 'if [ -n "${OUT:-}" ]; then rm -rf "$WORK"; else rm -rf "$WORK/venv"; fi' EXIT
((DRY)) && export JAX_PLATFORMS=cpu

DEADLINE=$((SECONDS + 345))  # leaves room for the summary within 6 minutes
SUMMARY=()
FAILED=0
declare -A STATUS=()   # step -> ok, FAILED, SKIPPED...
declare -A MISSING=()  # requirement -> why it is unusable

# step NAME SECONDS COMMAND...: runs COMMAND with at most SECONDS (and never past the
# deadline), output shown and kept in $WORK/steps/NAME.log, outcome added to the summary.
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
  elif timeout "$limit" bash -c '"$@"' "$name" "$@" 2>&1 | tee "$WORK/steps/$name.log"
    [ "${PIPESTATUS[0]}" -eq 0 ]; then
    status="ok"
  else
    status="FAILED"
    FAILED=1
  fi
  STATUS[$name]=$status
  SUMMARY+=("$(printf '%-16s %-40s %4ss' "$name" "$status" $((SECONDS - start)))")
}

skip() {
  echo
  echo "=== $1: skipped, $2"
  SUMMARY+=("$(printf '%-16s %-40s' "$1" "skipped: $2")")
}

step_ok() { [ "${STATUS[$1]:-}" = ok ]; }

find_nvcc() { command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null; }

# A virtual environment that sees python3's packages through a .pth file, whether python3
# is a system Python or itself a venv; --without-pip keeps a bundled setuptools (65.5 in
# Python <= 3.11 venvs) from shadowing a newer one, and needs no ensurepip.
make_venv() {
  "$PYTHON" -m venv --without-pip "$WORK/venv" || return 1
  local site
  site=$("$WORK/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  "$PYTHON" -c 'import os, sys
print("\n".join(p for p in sys.path if p and os.path.isdir(p) and p != os.getcwd()))' \
    >"$site/nnreg-gpu-check-base.pth"
}

dist_version() {
  "$VPY" - "$1" <<'PY' 2>/dev/null
import sys
from importlib import metadata
try:
    print(metadata.version(sys.argv[1]))
except metadata.PackageNotFoundError:
    pass
PY
}

at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# require DIST MINIMUM WHAT_NEEDS_IT: one line saying whether DIST is usable, installing it
# from $WHEELS when it is missing or too old and the folder has it.
require() {
  local dist=$1 minimum=$2 needed_by=$3 have
  have=$(dist_version "$dist")
  if [ -n "$have" ] && at_least "$have" "$minimum"; then
    echo "have    $dist $have"
    return
  fi
  local why="${have:+$have, }need >= $minimum"
  [ -n "$have" ] || why="not installed"
  if [ -d "$WHEELS" ] && "$VPY" -m pip install --quiet --no-index --find-links "$WHEELS" \
    "$dist>=$minimum" >"$WORK/steps/wheel-$dist.log" 2>&1; then
    echo "wheel   $dist $(dist_version "$dist") from $WHEELS ($why)"
    return
  fi
  MISSING[$dist]="$why"
  echo "MISSING $dist ($why; not in ${WHEELS}/): $needed_by"
}

requirements() {
  require jax 0.6 "everything"
  require nanobind 2.4 "install-kernels and all after it"
  require scikit-build-core 0.11 "install-kernels and all after it"
  require setuptools 77 "install-core, install-cli, cli-compare skipped"
  require pytest 0 "kernel-tests skipped (the smoke step still tests the kernels)"
  require hypothesis 0 "tests/test_kernels_properties.py left out of kernel-tests"
  require optax 0.2.4 "cli-compare skipped"
  local cmake_version
  cmake_version=$(cmake --version 2>/dev/null | head -n 1 | awk '{print $3}')
  [ -n "$cmake_version" ] || cmake_version=$(dist_version cmake)
  if [ -n "$cmake_version" ] && at_least "$cmake_version" 3.24; then
    echo "have    cmake $cmake_version"
  else
    MISSING[cmake]="${cmake_version:-not found}"
    echo "MISSING cmake >= 3.24 (${cmake_version:-not found}): install-kernels and all after it"
  fi
  if ((!DRY)); then
    local nvcc
    nvcc=$(find_nvcc) && echo "have    nvcc at $nvcc" ||
      echo "MISSING nvcc (neither on PATH nor in /usr/local/cuda/bin): install-kernels fails"
  fi
}

environment() {
  if ((!DRY)); then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    "$(find_nvcc)" --version | tail -n 2
  fi
  cmake --version | head -n 1
  "$VPY" -c 'import sys, jax, jaxlib; print("python", sys.version.split()[0], "| jax",
jax.__version__, "| jaxlib", jaxlib.__version__, "|", jax.devices())'
}

# NNREG_CUDA=ON on the GPU machine: building the CUDA handler is what is checked. The dry
# run builds the CPU handler only (CI compiles the CUDA sources with ctest already).
install_package() {
  local cuda=ON
  ((DRY)) && cuda=OFF
  NNREG_CUDA=$cuda CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "$VPY" -m pip install \
    --no-build-isolation --no-deps --no-index --no-cache-dir --quiet "./packages/$1" &&
    "$VPY" -c "import importlib; print(importlib.import_module('nnreg.$1').__file__)"
}

cuda_kernel_in_use() {
  "$VPY" -c 'from nnreg.kernels import implementation, load_error
from nnreg.kernels import _cuda
print("implementation(cuda) =", implementation("cuda"), "| built for", _cuda.architectures)
assert implementation("cuda") == "cuda", load_error("cuda")'
}

# The dry run only collects the tests: running them is CI's own pytest step.
kernel_tests() {
  local mode=()
  ((DRY)) && mode=(--collect-only)
  # shellcheck disable=SC2086  # empty, or one --ignore option
  "$VPY" -m pytest tests/test_kernels*.py -q -rs -p no:cacheprovider ${KERNEL_TESTS_IGNORE:-} \
    "${mode[@]}"
}

cli_compare() {
  "$WORK/venv/bin/nnreg" compare --fused --methods jax-gd,optax-sgd,optax-adam --no-plots \
    --no-cache --out "$WORK/compare"
}

main() {
  echo "nnreg GPU check$( ((DRY)) && echo ' (dry run: no GPU steps)'), $(date -u +%FT%TZ)"
  if make_venv; then
    VPY=$WORK/venv/bin/python
  else
    echo "no venv module: installing into $PYTHON's environment"
    VPY=$PYTHON
  fi
  "$VPY" -m pip --version >/dev/null || { echo "MISSING pip: nothing can be installed"; return 1; }
  export DRY VPY WORK
  export -f environment find_nvcc install_package cuda_kernel_in_use kernel_tests cli_compare

  echo
  echo "=== requirements (wheels folder: $WHEELS$([ -d "$WHEELS" ] || echo ', absent'))"
  requirements
  # Steps run in subshells, which see exported variables but not the MISSING array.
  if [ -n "${MISSING[hypothesis]:-}" ]; then
    export KERNEL_TESTS_IGNORE=--ignore=tests/test_kernels_properties.py
  fi
  step environment 30 environment
  if [ -n "${MISSING[jax]:-}${MISSING[nanobind]:-}${MISSING[scikit-build-core]:-}${MISSING[cmake]:-}" ]; then
    skip install-kernels "a build requirement is missing (see requirements)"
    FAILED=1
  else
    step install-kernels 150 install_package kernels
  fi
  if step_ok install-kernels; then
    if ((DRY)); then
      skip cuda-kernel "dry run (needs the GPU)"
    else
      step cuda-kernel 30 cuda_kernel_in_use
    fi
    step smoke 60 "$VPY" scripts/gpu_smoke.py "$PLATFORM"
    if [ -n "${MISSING[pytest]:-}" ]; then
      skip kernel-tests "no pytest"
    else
      step kernel-tests 150 kernel_tests
    fi
  fi
  if [ -n "${MISSING[setuptools]:-}" ]; then
    skip install-core "no setuptools >= 77"
    skip install-cli "no setuptools >= 77"
  else
    step install-core 60 install_package core
    step_ok install-core && step install-cli 60 install_package cli
  fi
  # kernel_speed.py times mlp_tanh against nnreg.core's network: after install-core.
  if ((DRY)); then
    skip benchmark "dry run (needs the GPU)"
  elif step_ok install-kernels && step_ok install-core; then
    step benchmark 75 "$VPY" benchmarks/kernel_speed.py --platform cuda
  else
    skip benchmark "needs nnreg-kernels and nnreg-core installed"
  fi
  if [ -n "${MISSING[optax]:-}" ]; then
    skip cli-compare "no optax"
  elif step_ok install-kernels && step_ok install-cli; then
    step cli-compare 60 cli_compare
  else
    skip cli-compare "needs nnreg-kernels, -core and -cli installed"
  fi

  echo
  echo "=== summary"
  {
    echo "nnreg GPU check$( ((DRY)) && echo ' (dry run)') on $( ((DRY)) && hostname ||
      nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1)"
    for dist in "${!MISSING[@]}"; do echo "missing: $dist (${MISSING[$dist]})"; done
    grep -E "[0-9]+ (passed|failed|errors?|skipped|tests? collected)|no tests ran" \
      "$WORK/steps/kernel-tests.log" 2>/dev/null |
      tail -n 1 | sed 's/^/tests: /'
    grep -E "forward|HBM" "$WORK/steps/benchmark.log" 2>/dev/null | sed 's/^/bench: /'
    grep -E "^(method|jax-gd|optax-[a-z]+) +[a-z]+ " "$WORK/steps/cli-compare.log" 2>/dev/null |
      sed 's/^/compare: /'
    printf '%s\n' "${SUMMARY[@]}"
    echo "total ${SECONDS}s; logs in $LOGS"
    if ((FAILED)); then echo "GPU CHECK FAILED"; else echo "GPU CHECK PASSED"; fi
  } | tee "$LOGS/gpu-check-summary.txt"
  return $FAILED
}

main 2>&1 | tee "$LOGS/gpu-check.log"
exit "${PIPESTATUS[0]}"
