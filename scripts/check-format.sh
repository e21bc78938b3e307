#!/bin/sh
# Fails when a C source or header differs from what .clang-format makes of it.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -v '^build')
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
