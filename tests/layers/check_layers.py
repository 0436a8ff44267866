#!/usr/bin/env python3
"""check_layers.py SRC OBJDIR [--inject-include FILE=HEADER] [--inject-call FILE=SYMBOL]

Checks the layering rules of docs/architecture.md ("Layers") over the include graph of the
sources and the symbol tables of the library's object files (nm):
  1. every file of the library and the command is in exactly one row of the table;
  2. a file includes only headers of its own layer or a lower one, and calls (an undefined
     symbol of its object resolved to another object's definition) only files of its own
     layer or a lower one;
  3. a backend calls nothing of the core nor of another backend: the core reaches it
     through its ops table and gives it the services table (function pointers, not
     symbols); below it, platform/ and policy/ may be called;
  4. the command (tools/) calls only exported symbols (mb_, never mb__);
  5. no include cycle between headers and no call cycle between files.
The table is read from docs/architecture.md, so the document and the test cannot disagree.
--inject-* add a made-up edge (the self-test proves that a violation is caught).
Exit status 0 when every rule holds, 1 with one line per violation otherwise.
"""
import fnmatch
import os
import re
import subprocess
import sys


def read_table(src):
    """Rows of the layer table: (layer, [glob...])."""
    rows = []
    inside = False
    with open(os.path.join(src, "docs", "architecture.md"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("| layer |"):
                inside = True
                continue
            if inside:
                if not line.startswith("|"):
                    break
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if not cells[0].isdigit():
                    continue
                globs = re.findall(r"`([^`]+)`", cells[1])
                rows.append((int(cells[0]), globs))
    if not rows:
        sys.exit("check_layers: no '| layer |' table in docs/architecture.md")
    return rows


def source_files(src):
    out = []
    for top in ("include", "core", "policy", "platform", "backends", "tools"):
        for d, _, names in os.walk(os.path.join(src, top)):
            for n in names:
                if n.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(d, n), src))
    return sorted(out)


def layer_of(rows, path):
    hits = [layer for layer, globs in rows for g in globs if fnmatch.fnmatch(path, g)]
    return hits


def includes(src, path):
    """The project headers path includes, as paths relative to src."""
    out = []
    here = os.path.dirname(path)
    with open(os.path.join(src, path), encoding="utf-8") as f:
        for line in f:
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            inc = m.group(1)
            for base in (here, "include", ""):
                cand = os.path.normpath(os.path.join(base, inc))
                if os.path.exists(os.path.join(src, cand)):
                    out.append(cand)
                    break
    return out


def nm(obj, *flags):
    res = subprocess.run(["nm", *flags, obj], capture_output=True, text=True, check=True)
    return res.stdout.splitlines()


def symbols(objdir, src):
    """{source: (defined set, undefined set)} for every object file under objdir."""
    out = {}
    for d, _, names in os.walk(objdir):
        for n in names:
            if not n.endswith(".c.o"):
                continue
            obj = os.path.join(d, n)
            rel = os.path.relpath(obj, objdir)[: -len(".o")]
            # CMake names objects after the source path below the project ("__" for "..")
            rel = rel.split(".dir" + os.sep, 1)[-1]
            if not os.path.exists(os.path.join(src, rel)):
                continue
            defined = {l.split()[-1] for l in nm(obj, "-g", "--defined-only")}
            undefined = {l.split()[-1] for l in nm(obj, "-u")}
            out[rel] = (defined, undefined)
    return out


def cycles(graph):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return comps


def folder(path):
    parts = path.split("/")
    return "/".join(parts[:2]) if parts[0] == "backends" else parts[0]


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    src, objdirs = argv[1], []
    inject_inc, inject_call = [], []
    args = argv[2:]
    while args:
        a = args.pop(0)
        if a == "--inject-include":
            inject_inc.append(tuple(args.pop(0).split("=", 1)))
        elif a == "--inject-call":
            inject_call.append(tuple(args.pop(0).split("=", 1)))
        else:
            objdirs.append(a)
    rows = read_table(src)
    errors = []
    files = source_files(src)
    layer = {}
    for p in files:
        hits = layer_of(rows, p)
        if len(hits) != 1:
            errors.append(f"{p}: in {len(hits)} rows of the layer table (docs/architecture.md);"
                          " it must be in exactly one")
            continue
        layer[p] = hits[0]

    # includes
    inc_graph = {}
    for p in files:
        inc_graph[p] = set(includes(src, p))
    for f, h in inject_inc:
        inc_graph.setdefault(f, set()).add(h)
    for p, hs in sorted(inc_graph.items()):
        for h in sorted(hs):
            if p not in layer or h not in layer:
                continue
            if layer[h] > layer[p]:
                errors.append(f"{p} (layer {layer[p]}) includes {h} (layer {layer[h]}): a file "
                              "may include only its own layer or lower ones")
            if p.startswith("backends/") and h.startswith("core/"):
                errors.append(f"{p} includes {h}: a backend sees the core only through "
                              "include/membudget/backend.h")
            if p.startswith("tools/") and not (h.startswith("include/") or
                                                h.startswith("tools/")):
                errors.append(f"{p} includes {h}: the command uses the public headers only")
    for comp in cycles(inc_graph):
        errors.append("include cycle: " + " -> ".join(comp))

    # calls
    syms = {}
    for d in objdirs:
        syms.update(symbols(d, src))
    if not syms:
        errors.append("no object files found under " + ", ".join(objdirs))
    owner = {}
    for p, (defined, _) in syms.items():
        for s in defined:
            owner.setdefault(s, p)
    call_graph = {p: set() for p in syms}
    for p, (_, undefined) in syms.items():
        for s in undefined:
            if s in owner and owner[s] != p:
                call_graph[p].add((owner[s], s))
    for f, s in inject_call:
        if s not in owner:
            sys.exit(f"check_layers: --inject-call {f}={s}: no object defines {s}")
        call_graph.setdefault(f, set()).add((owner[s], s))
    plain = {}
    for p, edges in sorted(call_graph.items()):
        plain[p] = {q for q, _ in edges}
        for q, s in sorted(edges):
            if p not in layer or q not in layer:
                continue
            if layer[q] > layer[p]:
                errors.append(f"{p} (layer {layer[p]}) calls {s} of {q} (layer {layer[q]}): "
                              "a file may call only its own layer or lower ones")
            if p.startswith("backends/") and folder(q) != folder(p) and (
                    q.startswith("backends/") or q.startswith("core/") or
                    q.startswith("tools/")):
                errors.append(f"{p} calls {s} of {q}: a backend calls neither the core nor "
                              "another backend; the core's services come from the services "
                              "table")
            if p.startswith("tools/") and s.startswith("mb__"):
                errors.append(f"{p} calls {s}: the command calls only exported mb_ functions")
    for comp in cycles(plain):
        errors.append("call cycle between files: " + " -> ".join(comp))

    for e in errors:
        print(e)
    if errors:
        print(f"check_layers: {len(errors)} violation(s) of docs/architecture.md's layers")
        return 1
    print(f"check_layers: {len(layer)} files, {sum(len(v) for v in inc_graph.values())} "
          f"includes, {sum(len(v) for v in call_graph.values())} cross-file calls: "
          "every rule holds")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
