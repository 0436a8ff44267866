#!/usr/bin/env bash
# tests/abi/check_symbols.sh SRC LIB: the library exports exactly the functions the public
# headers declare with MB_EXPORT, each versioned by cmake/membudget.map, and nothing else
# (no internal mb__ symbol, no cJSON or libc symbol re-exported, no unversioned symbol).
set -euo pipefail
src=${1:?usage: check_symbols.sh SRC LIB}
lib=${2:?usage: check_symbols.sh SRC LIB}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Declared: the first mb_ name of each MB_EXPORT declaration in the public headers.
# Comments and preprocessor lines (with their continuations) are dropped first.
cat "$src"/include/membudget.h "$src"/include/membudget/vllm.h "$src"/include/membudget/numa.h \
    "$src"/include/membudget/cluster.h \
  "$src"/include/membudget/operators.h |
  perl -0pe 's{/\*.*?\*/}{}gs; s{^[ \t]*#(?:[^\n]*\\\n)*[^\n]*}{}mg' | tr '\n' ' ' | grep -oE 'MB_EXPORT [^;]*;' | sed -E 's/^MB_EXPORT [^(]*[ *](mb_[a-z0-9_]+)[ ]*\(.*/\1/' |
  sort >"$work/declared"
# 2. Listed in the version script, with the node each name is in.
awk '/^[A-Z0-9_.]+ *\{/{node=$1} /^ +mb_[a-z0-9_]+;/{gsub(/[ ;]/,""); print $0, node}' \
  "$src/cmake/membudget.map" | sort >"$work/listed-nodes"
cut -d' ' -f1 "$work/listed-nodes" >"$work/listed"
# 3. Exported: every defined dynamic symbol of the library but the version nodes themselves.
readelf --dyn-syms --wide "$lib" |
  awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" && $5 != "LOCAL" && $8 != "" {print $8}' | grep -v '^MEMBUDGET_[0-9.]*$' |
  sed -E 's/@@?/ /' | sort >"$work/exported-nodes"
cut -d' ' -f1 "$work/exported-nodes" >"$work/exported"

fail=0
report() { # report WHAT FILE
  if [ -s "$2" ]; then
    echo "check_symbols: $1:" >&2
    sed 's/^/  /' "$2" >&2
    fail=1
  fi
}
[ -s "$work/declared" ] || { echo "check_symbols: no MB_EXPORT declaration found" >&2; exit 1; }
comm -23 "$work/declared" "$work/listed" >"$work/d"
report "declared in a header but not in cmake/membudget.map (add it to a new node)" "$work/d"
comm -13 "$work/declared" "$work/listed" >"$work/d"
report "in cmake/membudget.map but declared in no public header" "$work/d"
comm -13 "$work/declared" "$work/exported" >"$work/d"
report "exported by $lib but not public (a leak: make it static or mb__)" "$work/d"
comm -23 "$work/declared" "$work/exported" >"$work/d"
report "declared but not exported by $lib" "$work/d"
awk 'NF < 2 || $2 !~ /^MEMBUDGET_[0-9]+\.[0-9]+$/' "$work/exported-nodes" >"$work/d"
report "exported without a MEMBUDGET_<major>.<minor> version" "$work/d"
comm -3 "$work/listed-nodes" "$work/exported-nodes" >"$work/d"
report "exported under another version node than cmake/membudget.map lists" "$work/d"
[ "$fail" = 0 ] || exit 1
echo "check_symbols: $(wc -l <"$work/exported") functions, all versioned, nothing else exported"
