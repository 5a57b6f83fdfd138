#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The code follows the committed .clang-format: any file clang-format would change fails.
# usage: check-format.sh SOURCE_ROOT
set -euo pipefail
cd "$1"
mapfile -t files < <(git ls-files -co --exclude-standard '*.c' '*.h' '*.cpp')
((${#files[@]} > 0)) || { echo "no sources found" >&2; exit 1; }
clang-format --dry-run --Werror "${files[@]}"
echo "${#files[@]} files follow .clang-format"
