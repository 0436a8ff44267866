#!/usr/bin/env bash
# tests/errors/check_no_flags.sh SRC: no string literal of the library (core/, policy/,
# platform/, backends/) names a CLI flag ("--max-model-len"): the library names options
# (docs/errors.md), the CLI (tools/) adds its flags. Comment lines are not looked at.
set -euo pipefail
src=${1:?usage: check_no_flags.sh SRC}
# vLLM's own words, quoted verbatim where membudget repeats a refusal of vLLM's (its flags
# in backticks, and cpu_worker.py's "Decrease --kv-cache-memory-bytes"), are vLLM's.
# Those quoted spans are taken out of each line before it is looked at, so a line holding
# one of them and also a flag of membudget's own is still caught.
hits=$(cd "$src" && grep -rnE '"[^"]*--[a-z][^"]*"' core policy platform backends \
         --include='*.c' --include='*.h' | grep -vE '^[^:]+:[0-9]+:\s*(/\*|\*|//)' |
       sed -E 's/`--[a-z-]+`//g; s/Decrease --kv-cache-memory-bytes, //g' |
       grep -E '"[^"]*--[a-z][^"]*"' || true)
if [ -n "$hits" ]; then
    echo "library strings naming CLI flags (name the option instead):"
    echo "$hits"
    exit 1
fi
echo "no library string names a CLI flag"
