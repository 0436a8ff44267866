#!/usr/bin/env bash
# tests/errors/check_no_flags.sh SRC: no string literal of the library (core/, policy/,
# platform/, backends/) names a CLI flag ("--max-model-len"): the library names options
# (docs/errors.md), the CLI (tools/) adds its flags. Comment lines are not looked at.
set -euo pipefail
src=${1:?usage: check_no_flags.sh SRC}
hits=$(cd "$src" && grep -rnE '"[^"]*--[a-z][^"]*"' core policy platform backends \
         --include='*.c' --include='*.h' | grep -vE '^[^:]+:[0-9]+:\s*(/\*|\*|//)' || true)
if [ -n "$hits" ]; then
    echo "library strings naming CLI flags (name the option instead):"
    echo "$hits"
    exit 1
fi
echo "no library string names a CLI flag"
