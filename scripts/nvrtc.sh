#!/usr/bin/env bash
# Installs NVRTC (NVIDIA's runtime CUDA compiler, from the Python registry) into a venv under
# target/, so crates/stress-cuda/kernels/build-ptx.py can compile the kernels to PTX and the tests
# can check the committed PTX against its source, on a machine with no GPU and no CUDA toolkit.
# The version is pinned: the PTX it writes must not change under the committed files, and NVRTC
# 12.2 writes PTX ISA 8.2, which every driver from R535 (CUDA 12.2) on can load. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

NVRTC_WHEEL="nvidia-cuda-nvrtc-cu12==12.2.140"
venv=target/nvrtc-venv

if [ ! -x "$venv/bin/python" ]; then
  echo "nvrtc: creating $venv"
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -m pip show --quiet nvidia-cuda-nvrtc-cu12 2>/dev/null \
  || [ "$("$venv/bin/python" -m pip show nvidia-cuda-nvrtc-cu12 | sed -n 's/^Version: //p')" != "${NVRTC_WHEEL#*==}" ]; then
  echo "nvrtc: installing $NVRTC_WHEEL"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$NVRTC_WHEEL"
fi
