#!/usr/bin/env bash
# tests/errors/check_no_flags.sh SRC: no string literal of the library (core/, policy/,
# platform/, backends/) names a CLI flag ("--max-model-len"): the library names options
# (docs/errors.md), the CLI (tools/) adds its flags. Comment lines are not looked at.
set -euo pipefail
src=${1:?usage: check_no_flags.sh SRC}
# vLLM's own words, quoted verbatim where membudget repeats a refusal of vLLM's (its flags
# in backticks, and cpu_worker.py's "Decrease --kv-cache-memory-bytes"), are vLLM's.
hits=$(cd "$src" && grep -rnE '"[^"]*--[a-z][^"]*"' core policy platform backends \
         --include='*.c' --include='*.h' | grep -vE '^[^:]+:[0-9]+:\s*(/\*|\*|//)' |
       grep -vE '`--[a-z-]+`|Decrease --kv-cache-memory-bytes, ' || true)
if [ -n "$hits" ]; then
    echo "library strings naming CLI flags (name the option instead):"
    echo "$hits"
    exit 1
fi
echo "no library string names a CLI flag"
