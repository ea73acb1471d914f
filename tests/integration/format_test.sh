#!/usr/bin/env bash
# Every C++ file of ours is clang-format clean (.clang-format at the root).
set -euo pipefail
src=$2
command -v clang-format >/dev/null || { echo "no clang-format: skipped"; exit 77; }
cd "$src"
git rev-parse --git-dir >/dev/null 2>&1 || { echo "not a git checkout: skipped"; exit 77; }
git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run -Werror
echo "format_test: $(git ls-files '*.cpp' '*.h' | wc -l) files clean"
