#!/usr/bin/env bash
# ci/abi.sh [--update]: the ABI job (docs/abi.md). Builds the library with debug
# information and fails on an incompatible change against the previous release:
#  1. tests/abi/check_symbols.sh: exactly the public functions are exported, all versioned;
#  2. tests/abi/abi_compat.py: structs, fields and constants of every release of this soname
#     (abi/<major>.<minor>/include) unchanged (growing structs may only have fields appended);
#  3. libabigail's abidiff against the committed baseline abi/membudget.abi: no function
#     removed or changed, no type reachable from one changed, but for fields appended to a
#     growing struct (a suppression generated from the latest release's headers). Added
#     functions pass.
# --update rewrites abi/membudget.abi from this build: only when a release is cut (a new
# minor version that added functions, or a new major version, i.e. a new soname).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/ci/setup.sh" --cuda-optional
build="$here/build-ci-abi"
# The public ABI does not depend on the backends built; the vendor toolkits are left out.
WITH_CUDA=OFF WITH_HIP=OFF BUILD_TYPE=RelWithDebInfo \
  bash "$here/ci/build.sh" "$build" -DMEMBUDGET_TESTS=OFF
lib="$build/libmembudget.so"
baseline="$here/abi/membudget.abi"
major=$(sed -n 's/^#define MEMBUDGET_VERSION_MAJOR \([0-9]*\)$/\1/p' "$here/include/membudget.h")
releases=$(find "$here/abi" -mindepth 2 -maxdepth 2 -path "$here/abi/$major.*/include" | sort -V)
[ -n "$releases" ] || { echo "ci/abi.sh: no abi/$major.*/include (docs/abi.md)" >&2; exit 1; }
previous=$(echo "$releases" | tail -n 1) # the latest release: what abi/membudget.abi records

bash "$here/tests/abi/check_symbols.sh" "$here" "$lib"
for rel in $releases; do
  python3 "$here/tests/abi/abi_compat.py" --work "$build/abi-compat" "$rel" "$here/include"
done

abidw --no-show-locs --no-corpus-path --no-comp-dir-path --headers-dir "$here/include" \
  --drop-private-types --out-file "$build/membudget.abi" "$lib"
if [ "${1:-}" = "--update" ]; then
  cp "$build/membudget.abi" "$baseline"
  echo "ci/abi.sh: wrote $baseline from $lib; commit it with the release"
  exit 0
fi

# A growing struct (first member uint32_t size) may get fields at its end.
suppr="$build/growing.suppr"
perl -0ne 'while (/typedef struct (mb_\w+) \{\n    uint32_t size;/g) {
             print "[suppress_type]\n  name = $1\n  has_data_member_inserted_at = end\n",
                   "  has_size_change = yes\n\n" }' \
  "$previous/membudget.h" "$previous/membudget/vllm.h" "$previous/membudget/numa.h" >"$suppr"
[ -s "$suppr" ] || { echo "ci/abi.sh: no growing struct found in $previous" >&2; exit 1; }

set +e
# Both sides are abidw's view with the same options, so private types are treated alike.
abidiff --no-added-syms --suppressions "$suppr" "$baseline" "$build/membudget.abi" \
  >"$build/abidiff.txt" 2>&1
rc=$?
set -e
cat "$build/abidiff.txt"
if [ "$rc" -ne 0 ]; then
  # abidiff's status is a bit mask: 1 error, 2 usage, 4 ABI change, 8 incompatible change.
  echo "ci/abi.sh: abidiff exit status $rc: libmembudget.so.1 is not compatible with" \
       "abi/membudget.abi (report above). Undo the change, or append the field to a growing" \
       "struct instead, or, for a deliberate break, bump MEMBUDGET_VERSION_MAJOR (a new" \
       "soname), copy the headers to abi/<major>.0/include and run ci/abi.sh --update" \
       "(docs/abi.md)." >&2
  exit 1
fi
echo "ci/abi.sh: libmembudget.so.1 is compatible with abi/membudget.abi"
