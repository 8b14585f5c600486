#!/usr/bin/env bash
# Installs the Python packages the tests use into one venv under target/, from the Python registry:
# - NVRTC (NVIDIA's runtime CUDA compiler), so crates/stress-cuda/kernels/build-ptx.py can compile the
#   kernels to PTX and the tests can check the committed PTX against its source, with no GPU and no
#   CUDA toolkit. NVRTC 12.2 writes PTX ISA 8.2, which every driver from R535 (CUDA 12.2) on loads.
# - nvidia-ml-py, NVIDIA's Python bindings for NVML, which the tests point at the simulated bench's
#   driver as the monitoring tools technicians use on real servers do.
# Versions are pinned: the PTX must not change under the committed files, and a new nvidia-ml-py
# may call more of NVML. Safe to run again: it installs only what is missing or of another version.
set -euo pipefail
cd "$(dirname "$0")/.."

PINNED=("nvidia-cuda-nvrtc-cu12==12.2.140" "nvidia-ml-py==13.615.71")
venv=target/python-tools

if [ ! -x "$venv/bin/python" ]; then
  echo "python-tools: creating $venv"
  python3 -m venv "$venv"
fi
for wheel in "${PINNED[@]}"; do
  installed=$("$venv/bin/python" -m pip show "${wheel%==*}" 2>/dev/null | sed -n 's/^Version: //p' || true)
  if [ "$installed" != "${wheel#*==}" ]; then
    echo "python-tools: installing $wheel"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel"
  fi
done
