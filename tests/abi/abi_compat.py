#!/usr/bin/env python3
"""tests/abi/abi_compat.py [--cc CC] [--work DIR] PREVIOUS_INCLUDE CURRENT_INCLUDE

Checks that the current public headers keep every promise of the previous release's
(docs/abi.md):
  - every struct is still there; a growing struct (first member `uint32_t size`) may only
    get longer, a frozen struct keeps its size;
  - every field keeps its offset, its size and its kind of type;
  - every enumerator and every numeric or string MB_ constant keeps its value.
It reads the names from the previous headers, writes one C program that prints each
figure, and compiles it twice: against the previous headers and against the current ones.
A name the current headers lost is a compile error, reported as such. libabigail's
abidiff (ci/abi.sh) checks the functions; this checks what abidiff's suppression of
appended fields would hide, and the constants it cannot see.
"""
import argparse
import os
import re
import subprocess
import sys

# the public headers a release may have (the later ones appeared in 1.1): each release is
# checked for those of them it holds
ALL_HEADERS = ("membudget.h", "membudget/vllm.h", "membudget/numa.h", "membudget/cluster.h",
               "membudget/operators.h")
HEADERS = ALL_HEADERS
# Constants that are not promises: the version of the header, include guards, the export
# macro, initialisers (checked through the structs they fill).
NOT_PROMISES = re.compile(r"^(MEMBUDGET_VERSION\w*|MEMBUDGET_\w+_H|MB_EXPORT|MB_\w+_INIT)$")

TYPE_KINDS = """_Generic((X), _Bool: "bool", char: "char", signed char: "int8", unsigned char: "uint8",
    short: "int16", unsigned short: "uint16", int: "int32", unsigned int: "uint32",
    long: "int64", unsigned long: "uint64", long long: "int64", unsigned long long: "uint64",
    float: "float", double: "double", char *: "char *", const char *: "const char *",
    void *: "void *", default: "other")"""


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def parse(previous):
    structs, enums = {}, []
    for rel in HEADERS:
        text = strip_comments(open(os.path.join(previous, rel)).read())
        for m in re.finditer(r"typedef struct (mb_\w+) \{(.*?)\} \1;", text, re.S):
            fields = []
            # a nested anonymous struct (an array of records inside a growing struct) is one
            # field: its own members are laid out by that field's offset and size
            body = re.sub(r"struct\s*\{[^{}]*\}\s*", "nested_record ", m.group(2))
            for decl in body.split(";"):
                decl = " ".join(decl.split())
                if not decl:
                    continue
                fp = re.search(r"\(\*\s*(\w+)\)", decl)
                if fp:
                    fields.append(fp.group(1))
                    continue
                for part in decl.split(","):
                    name = re.search(r"(\w+)\s*(\[[^\]]*\])?\s*$", part.strip())
                    fields.append(name.group(1))
            structs[m.group(1)] = fields
        for m in re.finditer(r"typedef enum (mb_\w+) \{(.*?)\} \1;", text, re.S):
            body = re.sub(r"(?m)^\s*#.*$", "", m.group(2))
            for entry in body.split(","):
                name = re.fullmatch(r"\s*(MB_\w+)\s*(=[^=]*)?", entry)
                if name:
                    enums.append(name.group(1))
        errs = re.search(r"#define MB_ERROR_LIST\(X\)(.*?)\n\n", text, re.S)
        if errs:
            enums += ["MB_" + e for e in re.findall(r"X\((\w+),", errs.group(1))]
    return structs, enums


def macros(cc, include, work):
    probe = os.path.join(work, "macros.c")
    with open(probe, "w") as f:
        f.write("".join(f"#include <{h}>\n" for h in HEADERS))
    out = subprocess.run([cc, "-std=c11", "-dM", "-E", "-I", include, probe],
                         capture_output=True, text=True, check=True).stdout
    names = []
    for line in out.splitlines():
        m = re.match(r"#define ((?:MB|MEMBUDGET)_\w+) (.+)$", line)
        if m and not NOT_PROMISES.match(m.group(1)):
            names.append(m.group(1))
    return sorted(names)


def program(structs, enums, consts):
    out = ["#include <stddef.h>", "#include <stdio.h>", "#include <stdint.h>"]
    out += [f"#include <{h}>" for h in HEADERS]
    out.append("#define KIND(X) " + " ".join(TYPE_KINDS.split()))
    out.append("static void num(const char *n, long double v) { printf(\"const %s %.21Lg\\n\", n, v); }")
    out.append("static void str(const char *n, const char *v) { printf(\"const %s \\\"%s\\\"\\n\", n, v); }")
    out.append("#define CONST(X) _Generic((X), char *: str, const char *: str, default: num)(#X, X)")
    out.append("int main(void)\n{")
    for s, fields in sorted(structs.items()):
        out.append(f'    printf("struct {s} %zu\\n", sizeof({s}));')
        for f in fields:
            out.append(f'    printf("field {s}.{f} %zu %zu %s\\n", offsetof({s}, {f}), '
                       f'sizeof(((({s} *)0)->{f})), KIND(((({s} *)0)->{f})));')
    for e in enums:
        out.append(f'    printf("enum {e} %lld\\n", (long long){e});')
    for c in consts:
        out.append(f"    CONST({c});")
    out.append("    return 0;\n}\n")
    return "\n".join(out)


def figures(cc, include, source, work, label):
    exe = os.path.join(work, "figures-" + label)
    r = subprocess.run([cc, "-std=c11", "-Wno-int-conversion", "-I", include, source, "-o", exe],
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"abi_compat: the previous release's names do not compile against {include}:"
                 f" something was removed or renamed (an incompatible change):\n{r.stderr}")
    lines = subprocess.run([exe], capture_output=True, text=True, check=True).stdout.splitlines()
    return {" ".join(l.split()[:2]): l.split()[2:] for l in lines}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--work", default="abi-compat")
    ap.add_argument("previous")
    ap.add_argument("current")
    a = ap.parse_args()
    global HEADERS
    HEADERS = tuple(h for h in ALL_HEADERS if os.path.exists(os.path.join(a.previous, h)))
    os.makedirs(a.work, exist_ok=True)
    structs, enums = parse(a.previous)
    if len(structs) < 20 or len(enums) < 30:
        sys.exit(f"abi_compat: read only {len(structs)} structs and {len(enums)} enumerators "
                 f"from {a.previous}: the parser no longer understands the headers")
    consts = macros(a.cc, a.previous, a.work)
    source = os.path.join(a.work, "figures.c")
    with open(source, "w") as f:
        f.write(program(structs, enums, consts))
    old = figures(a.cc, a.previous, source, a.work, "previous")
    new = figures(a.cc, a.current, source, a.work, "current")
    errors = []
    for key, was in old.items():
        now = new[key]
        kind, name = key.split(" ", 1)
        if kind == "struct":
            growing = structs[name][:1] == ["size"]
            if growing and int(now[0]) < int(was[0]):
                errors.append(f"{name} shrank from {was[0]} to {now[0]} bytes")
            if not growing and now != was:
                errors.append(f"{name} is frozen (no size member) but its size changed from "
                              f"{was[0]} to {now[0]} bytes")
        elif now != was:
            what = {"field": "offset, size, type", "enum": "value", "const": "value"}[kind]
            errors.append(f"{kind} {name} changed ({what}): {' '.join(was)} -> {' '.join(now)}")
    if errors:
        print("abi_compat: incompatible with the previous release (" + a.previous + "):",
              file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        print("Undo the change, or append instead (growing structs only), or bump "
              "MEMBUDGET_VERSION_MAJOR for a new soname (docs/abi.md).", file=sys.stderr)
        return 1
    nfields = sum(len(f) for f in structs.values())
    print(f"abi_compat: {len(structs)} structs, {nfields} fields, {len(enums)} enumerators and "
          f"{len(consts)} constants of {a.previous} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
