#!/usr/bin/env bash
# Configures and builds Vigil into build/ (or $1), Release-with-debug-info.
# Extra arguments go to cmake (e.g. -DVIGIL_SANITIZE=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
