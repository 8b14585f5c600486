#!/usr/bin/env bash
# Installs what building, running and testing Revive needs and is missing: Debian/Ubuntu packages
# (with sudo when not root), the UI's npm packages from the lockfile, and tauri-driver for the
# real-window tests. Safe to run again: it only installs what is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential pkg-config file
  libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev libxdo-dev libssl-dev
  xvfb xauth dbus-x11 webkit2gtk-driver fonts-noto-cjk
  poppler-utils zbar-tools xdotool
  squashfs-tools patchelf
)
# Only the tests need these: they open the exports in LibreOffice and in Python's openpyxl; `make
# screenshots` captures the window with ImageMagick; the tests' Python packages need a venv;
# the shop-server tests start their own throwaway PostgreSQL (with pg_trgm from contrib); the package
# test checks the installed desktop entry.
TEST_APT_PACKAGES=(libreoffice-calc-nogui python3-openpyxl imagemagick python3-venv postgresql postgresql-contrib desktop-file-utils)
if [ "${1:-}" = "--test" ]; then
  APT_PACKAGES+=("${TEST_APT_PACKAGES[@]}")
fi

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for package in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || { echo "deps: Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
command -v npm >/dev/null || { echo "deps: Node.js with npm is required" >&2; exit 1; }

# npm ci only when the lockfile changed since the last install.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "deps: installing UI packages"
  (cd ui && npm ci --no-audit --no-fund)
fi

if [ "${1:-}" = "--test" ] && ! command -v tauri-driver >/dev/null; then
  echo "deps: installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked
fi

# The tests' Python packages: NVRTC checks the committed GPU kernels, nvidia-ml-py reads the simulated bench.
if [ "${1:-}" = "--test" ]; then
  scripts/python-tools.sh
fi
