#!/usr/bin/env python3
"""tests/abi/grow_headers.py SRC_INCLUDE OUT_INCLUDE: writes a copy of the public headers in
which every growing struct (first member `uint32_t size`) has gained one field at its end,
as the next release of the library may do. tests/abi builds a library from these headers
to check that a program built against the current headers still works with it."""
import os
import re
import sys

src, out = sys.argv[1], sys.argv[2]
STRUCT = re.compile(r"(typedef struct (mb_\w+) \{\n    uint32_t size;[^\n]*\n)(.*?)(\n\} \2;)", re.S)
grown = 0
for rel in ("membudget.h", "membudget/vllm.h", "membudget/numa.h", "membudget/backend.h",
            "membudget/cluster.h",
            "membudget/operators.h"):
    with open(os.path.join(src, rel)) as f:
        text = f.read()

    def grow(m):
        global grown
        grown += 1
        return m.group(1) + m.group(3) + "\n    int64_t grown_test_; /* added by tests/abi/grow_headers.py */" + m.group(4)

    text = STRUCT.sub(grow, text)
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    new = text
    if not os.path.exists(path) or open(path).read() != new:
        with open(path, "w") as f:
            f.write(new)
if grown < 10:
    sys.exit(f"grow_headers.py: only {grown} growing structs found in {src}; expected every "
             "struct that starts with uint32_t size")
print(f"grow_headers.py: {grown} growing structs grew by one field")
