#!/usr/bin/env bash
# tests/env/check_env_once.sh SRC: the library reads the environment in one file,
# platform/env.c (docs/environment.md): no getenv or secure_getenv anywhere else in core/,
# policy/, platform/ or backends/, and mb__getenv (the live environment) only in the
# services table's version-1 slot (core/services.c). Everything else reads the context's
# snapshot taken at mb_context_init (mb__plat_env, svc->env). platform/dl.c's
# mb__getenv_raw is the loader's LD_LIBRARY_PATH when /proc/self/environ is unreadable.
set -euo pipefail
src=${1:?usage: check_env_once.sh SRC}
cd "$src"
code() { grep -rnE "$1" core policy platform backends --include='*.c' --include='*.h' |
         grep -vE '^[^:]+:[0-9]+:\s*(/\*|\*|//)' || true; }
bad=$(code '(^|[^_a-z])(secure_)?getenv\(' | grep -v '^platform/env\.c:' || true)
bad+=$(code 'mb__getenv\(' | grep -vE '^(platform/env\.c|platform/base\.h):' || true)
bad+=$(code 'svc->getenv|\.getenv\(' || true)
bad+=$(code 'mb__getenv_raw\(' | grep -vE '^(platform/env\.c|platform/base\.h|platform/dl\.c):' || true)
if [ -n "$bad" ]; then
    echo "environment read outside platform/env.c and the context's snapshot:"
    echo "$bad"
    exit 1
fi
echo "the environment is read only in platform/env.c"
