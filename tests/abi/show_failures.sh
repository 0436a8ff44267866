#!/usr/bin/env bash
# tests/abi/show_failures.sh [WORK]: shows that the ABI checks fail on incompatible changes
# and pass on compatible ones (the table in docs/abi.md). Each case copies the tree into
# WORK (default: a temporary folder), makes one change, builds the library and runs
# abi_compat.py and abidiff as ci/abi.sh runs them. Not a CTest test: it builds the library
# six times. Needs abigail-tools (ci/setup.sh installs it).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d)}
for case in remove signature growing-type append frozen private; do
  w=$work/$case; rm -rf "$w"; mkdir -p "$w"
  (cd "$src" && git ls-files -co --exclude-standard | grep -v '^build' | tar -cf - -T -) | tar -xf - -C "$w"
  cd "$w" || exit 1
  case $case in
    remove)    # an exported function removed (header, map and definition)
      python3 - <<'PY'
import re
for p,a,b in [('include/membudget.h','/* The symbolic name of code ("MB_EINVAL"), or "MB_UNKNOWN_ERROR". */\nMB_EXPORT const char *mb_error_name(int code);\n',''),
              ('cmake/membudget.map','    mb_error_name;\n','')]:
    s=open(p).read(); assert a in s, (p,a); open(p,'w').write(s.replace(a,b))
s=open('core/error.c').read(); s=s.replace('const char *mb_error_name(int code)','static const char *mb_error_name(int code)'); s=s.replace('#include "internal.h"','#include "internal.h"\nstatic const char *mb_error_name(int code);\nconst char *mb__error_name_unused(void);\nconst char *mb__error_name_unused(void) { return mb_error_name(0); }'); open('core/error.c','w').write(s)
PY
      ;;
    signature) # a parameter's type changed
      sed -i 's/MB_EXPORT int mb_device_find(mb_context \*ctx, const char \*name, int \*index);/MB_EXPORT int mb_device_find(mb_context *ctx, const char *name, int64_t *index);/' include/membudget.h
      grep -q "int64_t \*index" include/membudget.h || echo "EDIT FAILED"
      sed -i 's/^int mb_device_find(mb_context \*ctx, const char \*name, int \*index)/int mb_device_find(mb_context *ctx, const char *name, int64_t *index)/' core/registry.c
      grep -q "int64_t \*index" core/registry.c || echo "EDIT FAILED registry"
      ;;
    growing-type) # a field of a growing struct changed type in place
      sed -i 's/    int64_t num_blocks;          \/\* per rank, the minimum over ranks \*\//    int32_t num_blocks;          \/* per rank *\//' include/membudget/vllm.h
      grep -q "int32_t num_blocks" include/membudget/vllm.h || echo "EDIT FAILED"
      ;;
    append)    # a field appended to a growing struct: compatible
      python3 - <<'PY'
p='include/membudget/vllm.h'; s=open(p).read()
a='    char verdict[768];           /* one paragraph: fits, or what to change */\n} mb_plan;'
assert a in s; s=s.replace(a,'    char verdict[768];           /* one paragraph: fits, or what to change */\n    int64_t new_figure;          /* a field of the next release */\n} mb_plan;'); open(p,'w').write(s)
PY
      ;;
    frozen)    # a field appended to a frozen struct (mb_snapshot, embedded in mb_profile)
      python3 - <<'PY'
p='include/membudget.h'; s=open(p).read()
a='    int64_t limit;            /* container limit that applied, or MB_UNLIMITED */\n'
assert a in s; s=s.replace(a, a+'    int64_t new_figure;\n',1); open(p,'w').write(s)
PY
      ;;
    private)   # a private struct behind an opaque pointer changed: not the ABI
      sed -i 's/^typedef struct mb_device_entry {$/typedef struct mb_device_entry {\n    int64_t private_figure;/' core/internal.h
      grep -q private_figure core/internal.h || echo "EDIT FAILED"
      ;;
  esac
  cmake -S . -B b -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMBUDGET_TESTS=OFF -DMEMBUDGET_WITH_CUDA=OFF -DMEMBUDGET_WITH_HIP=OFF >/dev/null 2>&1
  if ! nice -n 10 cmake --build b -j2 --target membudget >b.log 2>&1; then echo "== $case: BUILD FAILED"; tail -5 b.log; continue; fi
  perl -0ne 'while (/typedef struct (mb_\w+) \{\n    uint32_t size;/g) { print "[suppress_type]\n  name = $1\n  has_data_member_inserted_at = end\n  has_size_change = yes\n\n" }' abi/1.0/include/membudget.h abi/1.0/include/membudget/vllm.h abi/1.0/include/membudget/numa.h > supp
  echo "== $case"
  python3 tests/abi/abi_compat.py --work ac abi/1.0/include include >ac.out 2>&1; echo "abi_compat rc=$?"; sed 's/^/   /' ac.out | head -6
  abidw --no-show-locs --no-corpus-path --no-comp-dir-path --headers-dir "$w/include" --drop-private-types --out-file new.abi b/libmembudget.so
  abidiff --no-added-syms --suppressions supp abi/membudget.abi new.abi >ad.out 2>&1; echo "abidiff rc=$?"; sed 's/^/   /' ad.out | head -24
done
