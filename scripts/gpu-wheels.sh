#!/usr/bin/env bash
# Downloads the pure-Python wheels that scripts/gpu-check.sh may find missing on an offline
# GPU machine, into build/gpu-wheels/ (ignored by git; a few MB). Run it where the package
# registry is reachable, with a Python no newer than the GPU machine's, then pass
# build/gpu-wheels in the device run's `carry`; gpu-check.sh installs from it with
# --no-index only what the machine lacks or has too old.
#   bash scripts/gpu-wheels.sh [DIR]
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DEST=${1:-build/gpu-wheels}

# Each requirement with its pure-Python dependencies; jax, jaxlib and numpy are on the GPU
# machine already; `--platform any` keeps compiled wheels, tied to one Python, out.
WHEELS=(
  "setuptools>=77"                  # builds nnreg-core and nnreg-cli (SPDX license field)
  "scikit-build-core>=0.11" pathspec packaging   # builds nnreg-kernels
  "nanobind>=2.4"                   # nnreg-kernels' bindings (headers and CMake files)
  pytest iniconfig pluggy pygments exceptiongroup tomli  # runs tests/test_kernels*.py
  hypothesis attrs sortedcontainers  # tests/test_kernels_properties.py
  "optax>=0.2.4" chex absl-py toolz typing-extensions etils  # nnreg-core's optimisers
)

rm -rf "$DEST"
mkdir -p "$DEST"
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --platform any --dest "$DEST" \
  "${WHEELS[@]}"
echo "$(ls "$DEST" | wc -l) wheels, $(du -sh "$DEST" | cut -f1), in $DEST:"
ls "$DEST"
