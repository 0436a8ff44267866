#!/usr/bin/python3
"""bench/run.py: runs every benchmark of issue 7 in one go and writes docs/benchmarks.md.

Usage (ci/bench.sh does this after a Release build with -DMEMBUDGET_BENCH=ON):
    /usr/bin/python3 bench/run.py --build BUILD_DIR [--out docs/benchmarks.md] [--quick]

Needs Debian's python3-psutil (for the peer), hyperfine, and optionally valgrind and
strace (cross-checks; their rows say "not run" when missing). Every figure is measured in
this one run: ratios compare contenders timed alternately in the same rounds.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import timeit

try:
    import psutil
except ImportError:
    sys.exit("bench/run.py: psutil is missing; run it with Debian's /usr/bin/python3 after "
             "'apt-get install python3-psutil' (ci/setup.sh installs it)")

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(cmd, env=None, check=True, **kw):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        sys.exit(f"bench/run.py: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return p


def run_json(cmd, env=None):
    return json.loads(run(cmd, env=env).stdout)


def pct(v, q):
    s = sorted(v)
    return s[int(q * (len(s) - 1) + 0.5)]


def stat(v):
    return {"median": statistics.median(v), "p10": pct(v, 0.1), "p90": pct(v, 0.9), "n": len(v)}


def us(ns):
    return f"{ns / 1000:.2f} µs" if ns < 1e6 else f"{ns / 1e6:.2f} ms"


def spread(s, unit=us):
    return f"{unit(s['median'])} [{unit(s['p10'])}–{unit(s['p90'])}]"


def xr(s):
    return f"{s['median']:.2f}x [{s['p10']:.2f}–{s['p90']:.2f}]"


def load():
    return open("/proc/loadavg").read().split()[:3]


# ---- the machine -------------------------------------------------------------------------

def machine():
    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = psutil.virtual_memory().total
    os_name = "unknown"
    if os.path.exists("/etc/os-release"):
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip().strip('"')

    def ver(cmd):
        try:
            return run(cmd, check=False).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "not installed"

    gpu = "no GPU" if not os.path.exists("/dev/nvidia0") and not os.path.exists("/dev/kfd") \
        else "a GPU device node exists"
    return {
        "cpu": cpu, "cores": os.cpu_count(), "mem_gib": mem / 2**30, "os": os_name,
        "kernel": platform.release(), "gpu": gpu,
        "gcc": ver(["gcc", "--version"]), "hyperfine": ver(["hyperfine", "--version"]),
        "python": sys.version.split()[0], "psutil": psutil.__version__,
        "hwloc": ver(["lstopo", "--version"]),
    }


# ---- the parts -----------------------------------------------------------------------------

def host_vs_psutil(bench, rounds, batch):
    """mb_host_memory_get (and what it would cost with its descriptor kept, and the bare
    read) against psutil.virtual_memory(), the same number of calls, alternating."""
    p = subprocess.Popen([bench, "host-serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, bufsize=1)

    def c_call(kind):
        p.stdin.write(f"{kind} {batch}\n")
        p.stdin.flush()
        return float(p.stdout.readline().split()[0]) / batch

    timer = timeit.Timer("vm()", globals={"vm": psutil.virtual_memory})
    q, k, f, ps, ratio, ratio_k = [], [], [], [], [], []
    for r in range(rounds + 2):
        order = ["q", "k", "f", "py"] if r % 2 == 0 else ["py", "f", "k", "q"]
        t = {}
        for who in order:
            if who == "py":
                t[who] = timer.timeit(batch) / batch * 1e9
            else:
                t[who] = c_call(who)
        if r < 2:
            continue  # warm-up
        q.append(t["q"]), k.append(t["k"]), f.append(t["f"]), ps.append(t["py"])
        ratio.append(t["py"] / t["q"])
        ratio_k.append(t["py"] / t["k"])
    p.stdin.write("0\n")
    p.stdin.close()
    p.wait()
    # what the values are: both must agree on the machine's total
    c_total = int(run([bench, "host-values"]).stdout.split()[0])
    return {"query": stat(q), "kept": stat(k), "floor": stat(f), "psutil": stat(ps),
            "ratio": stat(ratio), "ratio_kept": stat(ratio_k),
            "psutil_floor_ratio": stat([a / b for a, b in zip(ps, f)]),
            "total_agrees": c_total == psutil.virtual_memory().total,
            "rounds": rounds, "batch": batch}


def hyperfine(cmds, env_extra, runs, json_path, rounds=6):
    """hyperfine -N over cmds in `rounds` invocations of runs/rounds runs each, the order of
    the commands reversed every other invocation, so a change of load hits all of them.
    Per command: the pooled times; "ratio_to_first_ref" is filled by the caller."""
    env = dict(os.environ)
    env.update(env_extra)
    times = {c: [] for c in cmds}
    per_round = {c: [] for c in cmds}
    user = {c: [] for c in cmds}
    system = {c: [] for c in cmds}
    for k in range(rounds):
        order = cmds if k % 2 == 0 else cmds[::-1]
        cmd = ["hyperfine", "-N", "--warmup", "10" if k else "20", "--runs",
               str(max(runs // rounds, 5)), "--export-json", json_path, "--style", "none"] + order
        run(cmd, env=env)
        for c, r in zip(order, json.load(open(json_path))["results"]):
            times[c] += r["times"]
            per_round[c].append(statistics.median(r["times"]))
            user[c].append(r.get("user", 0))
            system[c].append(r.get("system", 0))
    out = {}
    for c in cmds:
        t = times[c]
        out[c] = {"median": statistics.median(t) * 1e9, "p10": pct(t, 0.1) * 1e9,
                  "p90": pct(t, 0.9) * 1e9, "n": len(t),
                  "user": statistics.median(user[c]) * 1e9,
                  "system": statistics.median(system[c]) * 1e9,
                  "round_medians": per_round[c]}
    return out


def round_ratio(a, b):
    """Median and spread of the per-invocation ratios of two hyperfine results."""
    return stat([x / y for x, y in zip(a["round_medians"], b["round_medians"])])


def strace_counts(cmd, env=None):
    """syscall -> calls, from strace -c -f (None when strace is missing)."""
    if not shutil.which("strace"):
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as f:
        run(["strace", "-f", "-c", "-o", f.name] + cmd, env=env)
        counts = {}
        for line in f.read().splitlines():
            t = line.split()
            if len(t) >= 5 and re.match(r"^\d+\.\d+$", t[0]) and t[-1] != "total":
                counts[t[-1]] = int(t[3])
        return counts


def per_snapshot_syscalls(bench, n=1000):
    a = strace_counts([bench, "loop", "0"])
    if a is None:
        return None
    b = strace_counts([bench, "loop", str(n)])
    d = {k: (b.get(k, 0) - a.get(k, 0)) / n for k in set(a) | set(b)}
    return {k: v for k, v in sorted(d.items()) if abs(v) >= 0.01}


def valgrind_allocs(bench, n=1000):
    """Allocations per snapshot by valgrind's count (loop n vs loop 0), None when missing."""
    if not shutil.which("valgrind"):
        return None

    def allocs(k):
        p = run(["valgrind", "--tool=memcheck", "--leak-check=no", bench, "loop", str(k)])
        m = re.search(r"total heap usage: ([\d,]+) allocs", p.stderr)
        return int(m.group(1).replace(",", ""))

    a, b = allocs(0), allocs(n)
    return {"loop0": a, "loopN": b, "n": n, "per_snapshot": (b - a) / n}


def cli_diagnosis(cli):
    """What `membudget snapshot` does besides measuring: libraries it opens (and the vendor
    libraries it looks for), system calls, and the dynamic loader's own statistics."""
    out = {}
    if shutil.which("strace"):
        with tempfile.NamedTemporaryFile("r", suffix=".strace") as f:
            run(["strace", "-f", "-e", "trace=openat,open", "-o", f.name, cli, "snapshot"])
            lines = f.read().splitlines()
        out["opens"] = len(lines)
        sos = [l for l in lines if re.search(r"\.so[\.\"]", l)]
        out["libraries_loaded"] = sum(1 for l in sos if not re.search(r"= -1 ", l))
        vendor = {}
        for l in sos:
            m = re.search(r"(libcuda\.so[.\d]*|libnvidia-ml\.so[.\d]*|libamdhip64\.so[.\d]*)\"",
                          l)
            if not m:
                continue
            v = vendor.setdefault(m.group(1), {"tried": 0, "found": False})
            v["tried"] += 1
            v["found"] = v["found"] or not re.search(r"= -1 ", l)
        out["vendor"] = vendor
        out["syscalls"] = sum((strace_counts([cli, "snapshot"]) or {}).values())
    p = run([cli, "snapshot"], env=dict(os.environ, LD_DEBUG="statistics"))
    stats = [l.split(":", 1)[1].strip() if ":" in l else l
             for l in p.stderr.splitlines() if "startup time" in l or "number of relocations:" in l]
    out["ld_debug"] = [re.sub(r"\s+", " ", x) for x in stats][:4]
    return out


def wait_quiet(limit_s, below=0.7):
    """Waits (up to limit_s) for the 1-minute load average to fall below `below`."""
    import time
    t0 = time.time()
    while float(load()[0]) >= below and time.time() - t0 < limit_s:
        log(f"load {' '.join(load())}: waiting for a quieter machine (up to {limit_s} s)")
        time.sleep(15)
    return float(load()[0]) < below


# ---- main -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", default=os.path.join(SRC, "docs", "benchmarks.md"))
    ap.add_argument("--quick", action="store_true", help="fewer rounds (development)")
    ap.add_argument("--command", default="bash ci/bench.sh")
    ap.add_argument("--wait-quiet", type=int, default=300,
                    help="seconds to wait for a load average below 0.7 before measuring")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    bench = os.path.join(build, "bench", "mb_bench")
    trace = os.path.join(build, "bench", "mb_bench_trace")
    cli = os.path.join(build, "membudget")
    for f in (bench, trace, cli):
        if not os.access(f, os.X_OK):
            sys.exit(f"bench/run.py: {f} is missing; build with -DMEMBUDGET_BENCH=ON")
    for tool in ("hyperfine", "free", "numactl"):
        if not shutil.which(tool):
            sys.exit(f"bench/run.py: {tool} is missing (ci/setup.sh installs it)")
    q = a.quick
    R = {"snap": 61 if q else 401, "host": 31 if q else 201, "probe": 7 if q else 31,
         "warm": 11 if q else 41, "scale": 31 if q else 201, "hf": 50 if q else 300}

    res = {"quiet": wait_quiet(a.wait_quiet)}
    started = datetime.datetime.now()
    load_before = load()
    m = machine()
    log(f"machine: {m['cpu']}, {m['cores']} cores, load {' '.join(load_before)}")
    scratch = tempfile.mkdtemp(prefix="mb-bench-")
    try:
        # trees: the 8-node machine dump, a made-up 64-node and 1-node machine
        dump = os.path.join(SRC, "tests", "fixtures", "hwloc-linux", "16amd64-8n2c.tar.bz2")
        with tarfile.open(dump) as t:
            t.extractall(scratch)
        trees = [("1-node (made up)", os.path.join(scratch, "t1"), 1),
                 ("8-node dump 16amd64-8n2c", os.path.join(scratch, "16amd64-8n2c"), 8),
                 ("64-node (made up)", os.path.join(scratch, "t64"), 64)]
        for name, d, n in trees:
            if "made up" in name:
                run([bench, "mktree", d, str(n)])
        tree_args = sum((["--tree", f"{name}={d}"] for name, d, _ in trees), [])

        log("trace: files read and allocations per call")
        floor = os.path.join(scratch, "floor.txt")
        res["trace"] = run_json([trace, "trace", "--floor-out", floor] + tree_args)
        if res["trace"]["counter_check"] != 1:
            sys.exit("bench/run.py: the allocation counter of mb_bench_trace does not count "
                     f"(a known malloc counted {res['trace']['counter_check']} times)")
        res["valgrind"] = valgrind_allocs(bench)
        res["syscalls"] = per_snapshot_syscalls(bench)

        log("snapshot vs floor")
        res["snapshot"] = run_json([bench, "snapshot", "--floor", floor,
                                    "--rounds", str(R["snap"])])
        log("host query vs psutil")
        res["host"] = host_vs_psutil(bench, R["host"], 100)
        log("probe vs hwloc")
        res["probe"] = run_json([bench, "probe", "--runs", str(R["probe"]),
                                 "--warm", str(R["warm"])])
        log("scale")
        res["scale"] = run_json([bench, "scale", "--rounds", str(R["scale"])] + tree_args)

        log("CLI (hyperfine)")
        hf = os.path.join(scratch, "hf.json")
        snap = f"{cli} snapshot"
        res["cli"] = hyperfine([snap, "free -b", "numactl --hardware", f"{cli} --version"], {},
                               R["hf"], hf)
        variants = []
        for env in ({"MEMBUDGET_BACKENDS": "cpu"}, {"MEMBUDGET_BACKENDS": "-hip"},
                    {"MEMBUDGET_BACKENDS": "-cuda"}, {"MEMBUDGET_HIP_FORCE_RUNTIME": "1"}):
            v = hyperfine([snap, "free -b"], env, R["hf"] // 2, hf, rounds=4)
            variants.append((" ".join(f"{k}={x}" for k, x in env.items()), v[snap], v["free -b"]))
        res["cli_variants"] = variants
        res["cli_diag"] = cli_diagnosis(cli)
        log("CUDA sources on the fake driver")
        res["cuda"] = cuda_sources(build, bench, trace, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    res["load_before"], res["load_after"] = load_before, load()
    res["started"], res["seconds"] = started, (datetime.datetime.now() - started).seconds
    res["machine"] = m
    res["commit"] = git_commit()
    res["command"] = a.command
    text = report(res)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)
    print(text)
    log(f"wrote {a.out}")


def git_commit():
    p = run(["git", "-C", SRC, "rev-parse", "--short", "HEAD"], check=False)
    if p.returncode:
        return "unknown"
    dirty = run(["git", "-C", SRC, "status", "--porcelain", "--untracked-files=no"],
                check=False).stdout.strip()
    return p.stdout.strip() + (" plus uncommitted changes" if dirty else "")


def cuda_sources(build, bench, trace, scratch):
    """Driver calls per snapshot for each CUDA source, on the test-double libcuda.so.1 and
    libnvidia-ml.so.1 that tests/cuda builds (through the real loader, LD_LIBRARY_PATH)."""
    fake = os.path.join(build, "tests", "cuda", "fake")
    cu, nv = os.path.join(fake, "cuda"), os.path.join(fake, "nvml")
    if not os.path.exists(os.path.join(cu, "libcuda.so.1")):
        return {"missing": f"the fake driver {cu}/libcuda.so.1 was not built (it is a test "
                           "target of tests/cuda: configure with -DMEMBUDGET_TESTS=ON and the "
                           "CUDA backend built)"}
    probe = run([trace, "cuda", "nvml"], check=False,
                env=dict(os.environ, LD_LIBRARY_PATH=cu + ":" + nv, MB_FAKE_CUDA="discrete80"))
    if "unknown mode" in probe.stderr:
        return {"missing": "mb_bench was built without the CUDA part (MB_BENCH_CUDA: needs the "
                           "CUDA backend and the fake driver targets)"}
    gb10 = os.path.join(scratch, "nvidia-dgx-gb10")
    with tarfile.open(os.path.join(SRC, "tests", "fixtures", "hwloc-linux",
                                   "nvidia-dgx-gb10.tar.bz2")) as t:
        t.extractall(scratch)
    cases = [("caller's current context", "current", cu + ":" + nv, "discrete80", None,
              "cuda-current-context"),
             ("NVML", "nvml", cu + ":" + nv, "discrete80", None, "nvml"),
             ("retained primary context (no NVML)", "primary", cu, "discrete80", None,
              "cuda-primary-context"),
             ("integrated GB10-like (cuda-uma, GB10 dump as sysroot)", "uma", cu + ":" + nv,
              "uma", gb10, "uma-host-available")]
    rows = []
    for label, want, path, scenario, root, expect in cases:
        env = {k: v for k, v in os.environ.items()
               if k not in ("MEMBUDGET_BACKENDS", "MEMBUDGET_SYSROOT", "CUDA_VISIBLE_DEVICES")}
        env.update(LD_LIBRARY_PATH=path, MB_FAKE_CUDA=scenario)
        if root:
            env["MEMBUDGET_SYSROOT"] = root
        p = run([trace, "cuda", want], env=env, check=False)
        timed = run([bench, "cuda", want], env=env, check=False)  # nothing interposed
        if p.returncode or timed.returncode:
            rows.append({"label": label,
                         "error": (p.stderr or timed.stderr or p.stdout).strip()[:300]})
            continue
        j = json.loads(p.stdout)
        j.update(label=label, expect=expect,
                 ns_per_snapshot=json.loads(timed.stdout)["ns_per_snapshot"])
        rows.append(j)
    return {"rows": rows}


# ---- the report ------------------------------------------------------------------------------

def verdict(ok):
    return "**met**" if ok else "**missed**"


def report(r):
    m, t = r["machine"], r["trace"]
    s, h, p, sc, cli = r["snapshot"], r["host"], r["probe"], r["scale"], r["cli"]
    snap_key = [k for k in cli if k.endswith(" snapshot")][0]
    free, numa = cli["free -b"], cli["numactl --hardware"]
    version = [v for k, v in cli.items() if k.endswith("--version")][0]
    cli_rr = round_ratio(cli[snap_key], free)
    cli_ratio = cli_rr["median"]
    per_node = [x["per_node_all_ns"]["median"] for x in sc["trees"]]
    made_up = [x for x in sc["trees"] if "made up" in x["name"]]
    flat = max(x["per_node_vs_first"]["median"] for x in made_up)
    within = max(x["ratio"]["median"] for x in sc["trees"])
    allocs = t["snapshot"]["allocs_per_call"]
    vg = r["valgrind"]
    date = r["started"].strftime("%Y-%m-%d %H:%M")
    L = []
    w = L.append
    w("# Benchmarks")
    w("")
    w(f"Measured {date} on this project's development machine: a {m['cores']}-core "
      f"{m['os']} VM ({m['cpu']}, {m['mem_gib']:.1f} GiB, Linux {m['kernel']}, {m['gpu']}), "
      f"shared with other work (load average {' '.join(r['load_before'])} before, "
      f"{' '.join(r['load_after'])} after). Commit {r['commit']}, Release build.")
    w("")
    w(f"Command: `{r['command']}` (builds into `build-bench/`, runs `bench/run.py`, writes this "
      f"file; the measuring took {r['seconds']} s). Every figure below comes from that one run. Times are medians "
      "with the 10th–90th percentiles in brackets; a ratio is the median of per-round ratios, "
      "the two sides timed alternately within each round.")
    w("")
    w("## Targets")
    w("")
    w("| What | membudget | reference | ratio | target | |")
    w("|---|---|---|---|---|---|")
    w(f"| CPU snapshot ({s['device']}, {s['source']}) vs its floor | {spread(s['snapshot_ns'])} "
      f"| {spread(s['floor_ns'])} | {xr(s['ratio'])} | ≤ 1.5x | "
      f"{verdict(s['ratio']['median'] <= 1.5)} |")
    w(f"| Host query (total, MemAvailable) vs `psutil.virtual_memory()` | "
      f"{spread(h['query'])} | {spread(h['psutil'])} | {xr(h['ratio'])} faster | ≥ 5x faster | "
      f"{verdict(h['ratio']['median'] >= 5)} |")
    vgs = f"; valgrind: {vg['per_snapshot']:.3f}" if vg else "; valgrind not installed"
    w(f"| Heap allocations per snapshot (after init) | {allocs:.3f} (interposed malloc{vgs}) "
      f"| | | 0 | {verdict(allocs == 0 and (not vg or vg['per_snapshot'] == 0))} |")
    w(f"| `membudget snapshot` vs `free -b` (hyperfine) | {spread(cli[snap_key])} | "
      f"{spread(free)} | {xr(cli_rr)} | ≤ 2x | {verdict(cli_ratio <= 2)} |")
    w(f"| Cost per node at 1, 8 (dump) and 64 nodes | "
      f"{', '.join(us(x) for x in per_node)} a node | | 64 vs 1 node: {flat:.2f}x; every "
      f"node vs node 0 alone: ≤ {within:.2f}x | flat (≤ 1.25x) | "
      f"{verdict(flat <= 1.25 and within <= 1.25)} |")
    w("")
    # ---- snapshot
    w("## 1. CPU snapshot against its floor, host query against psutil")
    w("")
    w(f"The snapshot of {s['device']} ({s['model']}) reads what `mb_bench_trace` recorded it "
      "reading in one snapshot (the library's file calls, through `--wrap`):")
    w("")
    w("| call | file | offset | size asked | got |")
    w("|---|---|---|---|---|")
    for e in t["snapshot_reads"]:
        w(f"| {e['op']} | `{e['path']}` | {e['offset']} | {e['size']} | {e['got']} |")
    w("")
    w(f"Per snapshot: {t['snapshot']['opens_per_call']:.2f} opens, "
      f"{t['snapshot']['reads_per_call']:.2f} reads, {t['snapshot']['closes_per_call']:.2f} "
      "closes (1000 snapshots counted).")
    if r["syscalls"]:
        w("System calls per snapshot (strace -c, 1001 snapshots minus 1): " +
          ", ".join(f"{k} {v:.2f}" for k, v in r["syscalls"].items()) + ".")
    w("")
    w(f"The floor reads the same files with one `pread` each on descriptors opened once and "
      f"parses nothing ({s['floor_reads_min']} read(s)); the replay floor makes exactly the "
      f"snapshot's {s['floor_reads_replay']} read calls, so snapshot minus replay is the "
      f"library's own work (parsing, the snapshot struct, the clock). {s['rounds']} rounds of "
      f"{s['batch']} calls each.")
    w("")
    w("| | per call | ratio to snapshot's floor |")
    w("|---|---|---|")
    w(f"| `mb_snapshot_measure` | {spread(s['snapshot_ns'])} | {xr(s['ratio'])} |")
    w(f"| floor: one pread per file | {spread(s['floor_ns'])} | 1 |")
    w(f"| floor: the snapshot's own read calls replayed | {spread(s['floor_replay_ns'])} | "
      f"snapshot / replay {xr(s['ratio_replay'])} |")
    w("")
    w(f"Host query: `mb_host_memory_get` against `psutil.virtual_memory()` (psutil "
      f"{m['psutil']}, Python {m['python']}, `timeit` in `bench/run.py`), {h['rounds']} rounds of "
      f"{h['batch']} calls each side, alternating; totals agree: {h['total_agrees']}.")
    w("")
    w("| | per call | psutil is slower by |")
    w("|---|---|---|")
    w(f"| `psutil.virtual_memory()` | {spread(h['psutil'])} | 1 |")
    opens = t["host_query"]["opens_per_call"]
    how = ("descriptor kept open" if opens == 0 else
           f"{opens:g} open + close of /proc/meminfo per call")
    w(f"| `mb_host_memory_get` ({how}) | {spread(h['query'])} | {xr(h['ratio'])} |")
    w(f"| the library's parser on a descriptor the bench keeps open | {spread(h['kept'])} | "
      f"{xr(h['ratio_kept'])} |")
    w(f"| floor: one pread of /proc/meminfo, no parse | {spread(h['floor'])} | "
      f"{xr(h['psutil_floor_ratio'])} |")
    w("")
    w(host_notes(h, t))
    w("")
    # ---- allocations
    w("## 2. Heap allocations per call")
    w("")
    w("`mb_bench_trace` defines malloc, calloc, realloc, free and the aligned variants over "
      "glibc's `__libc_*` entry points, so every allocation in the process is counted, libc's "
      f"own on the library's behalf included (self-check: one known malloc counted "
      f"{t['counter_check']} time). Counted after the context is initialized and probed and "
      "one snapshot was taken:")
    w("")
    w("| call | allocations per call | frees per call | opens per call |")
    w("|---|---|---|---|")
    w(f"| context init + probe (once) | {t['init_probe']['allocs_per_call']:.0f} | "
      f"{t['init_probe']['frees_per_call']:.0f} | {t['init_probe']['opens_per_call']:.0f} |")
    for k, label in (("snapshot", f"`mb_snapshot_measure` ({t['device']})"),
                     ("host_query", "`mb_host_memory_get`")):
        w(f"| {label} | {t[k]['allocs_per_call']:.3f} | {t[k]['frees_per_call']:.3f} | "
          f"{t[k]['opens_per_call']:.3f} |")
    for x in t["trees"]:
        w(f"| snapshot of every node, {x['name']} | {x['allocs_per_snapshot']:.3f} | | "
          f"{x['opens_per_snapshot']:.3f} |")
    w("")
    if vg:
        w(f"Cross-check with valgrind (memcheck's heap summary of `mb_bench loop {vg['n']}` "
          f"minus `loop 0`, the binary without the interposer): {vg['loopN'] - vg['loop0']} "
          f"allocations over {vg['n']} snapshots, {vg['per_snapshot']:.3f} per snapshot.")
        w("")
    # ---- probe
    w("## 3. Probe and context init against hwloc_topology_load")
    w("")
    w(f"Cold: the first `mb_context_init` + `mb_context_probe` + `mb_context_free` of a fresh "
      f"process (dlopen attempts of the vendor libraries included), against the first "
      f"`hwloc_topology_init` + `hwloc_topology_load` + `destroy` of a fresh process "
      f"({m['hwloc']}, default flags); timed inside the process, {p['runs']} processes each, "
      f"alternating. Warm: the same again in one process ({p['warm_rounds']} rounds).")
    w("")
    w("| | membudget | hwloc | ratio (membudget / hwloc) |")
    w("|---|---|---|---|")
    w(f"| cold, in process | {spread(p['cold_probe_ns'])} | {spread(p['cold_hwloc_ns'])} | "
      f"{xr(p['cold_ratio'])} |")
    w(f"| cold, whole process (spawn to exit) | {spread(p['cold_probe_process_ns'])} | "
      f"{spread(p['cold_hwloc_process_ns'])} | |")
    w(f"| warm | {spread(p['warm_probe_ns'])} | {spread(p['warm_hwloc_ns'])} | "
      f"{xr(p['warm_ratio'])} |")
    w("")
    w("Each backend's cold probe alone (`MEMBUDGET_BACKENDS=<name>`, fresh processes):")
    w("")
    w("| backend | state here | cold init + probe | why |")
    w("|---|---|---|---|")
    for b in p["backends"]:
        sel = p["per_backend"].get(b["name"])
        w(f"| {b['name']} | {b['state']} | {spread(sel) if sel else 'n/a'} | "
          f"{b['reason'].replace('|', '/')} |")
    w("")
    # ---- CLI
    w("## 4. The command line: `membudget snapshot` against `free -b` and `numactl --hardware`")
    w("")
    w(f"hyperfine {m['hyperfine'].split()[-1]}, `-N` (no shell), {cli[snap_key]['n']} runs "
      f"of each command in {len(cli[snap_key]['round_medians'])} invocations whose order of "
      "commands alternates; the ratio is the median of the per-invocation ratios.")
    w("")
    w("| command | wall time | user | system | ratio to `free -b` |")
    w("|---|---|---|---|---|")
    for k, v in cli.items():
        name = k.replace(os.path.dirname(snap_key.split()[0]) + "/", "")
        w(f"| `{name}` | {spread(v)} | {us(v['user'])} | {us(v['system'])} | "
          f"{xr(round_ratio(v, free))} |")
    w("")
    w("Where the time goes: the same command with backends left out (`MEMBUDGET_BACKENDS`), "
      "and with the HIP backend made to load Debian's runtime although sysfs shows no AMD GPU "
      "(`MEMBUDGET_HIP_FORCE_RUNTIME=1`: what skipping the runtime saves); each with its own "
      "`free -b` in the same hyperfine run:")
    w("")
    w("| environment | `membudget snapshot` | `free -b` | ratio |")
    w("|---|---|---|---|")
    for env, v, fr in r["cli_variants"]:
        w(f"| `{env}` | {spread(v)} | {spread(fr)} | {xr(round_ratio(v, fr))} |")
    w("")
    d = r["cli_diag"]
    if "opens" in d:
        vend = "; ".join(f"`{k}` {'found' if v['found'] else 'not found'} ({v['tried']} paths "
                         "tried)" for k, v in d["vendor"].items()) or "none"
        w(f"strace of one `membudget snapshot`: {d['syscalls']} system calls, {d['opens']} "
          f"opens, {d['libraries_loaded']} shared libraries loaded; vendor libraries looked "
          f"for: {vend}.")
    if d.get("ld_debug"):
        w("`LD_DEBUG=statistics`: " + "; ".join(d["ld_debug"]) + ".")
    w(f"`membudget --version` (process start and dynamic linking, no context) takes "
      f"{us(version['median'])}: the floor of any command.")
    w("")
    # ---- scale
    w("## 5. Scale: every node against one node")
    w("")
    w(f"Sysroots: the 8-node dump unpacked from `tests/fixtures/hwloc-linux/16amd64-8n2c.tar.bz2`"
      f", and made-up trees of 1 and 64 nodes (`mb_bench mktree`, node meminfo in a Linux 6 "
      f"kernel's layout). Each round times, for every tree in turn, {sc['snapshots_per_batch']} "
      f"snapshots spread over all its nodes and as many of its node 0 alone; "
      f"{sc['rounds']} rounds. The last column compares a tree's cost per node with the "
      f"1-node tree's in the same round.")
    w("")
    w("| tree | devices | per node, every node | per node, node 0 alone | all / one | "
      "per node vs 1-node tree |")
    w("|---|---|---|---|---|---|")
    for x in sc["trees"]:
        w(f"| {x['name']} | {x['nodes']} | {spread(x['per_node_all_ns'])} | "
          f"{spread(x['per_node_one_ns'])} | {xr(x['ratio'])} | {xr(x['per_node_vs_first'])} |")
    w("")
    # ---- CUDA
    w("## 6. CUDA sources on the test-double driver")
    w("")
    w(cuda_text(r["cuda"]))
    w("")
    w(findings(r, cli_ratio))
    return "\n".join(L) + "\n"


def host_notes(h, t):
    best = h["psutil_floor_ratio"]["median"]
    bound = (f"Reading /proc/meminfo alone (one pread on a descriptor kept open, nothing "
             f"parsed) costs {us(h['floor']['median'])} here, so nothing that reads "
             f"MemAvailable can be more than {best:.1f}x faster than psutil in this run; "
             "MemAvailable has no other kernel interface (sysinfo(2) has none; /proc/vmstat "
             "and /proc/zoneinfo are larger and slower to produce). The target therefore holds "
             "only while psutil costs more than five such reads: psutil's Python-side time "
             "varies on this shared VM far more than the kernel's read does.")
    if h["ratio"]["median"] >= 5:
        return (f"The query costs {us(h['query']['median'] - h['floor']['median'])} above its "
                f"floor. " + bound)
    if t["host_query"]["opens_per_call"] > 0:
        return (f"Missed. `mb_host_memory_get` opens and closes /proc/meminfo on every call; "
                f"on a descriptor kept open the same parse costs {us(h['kept']['median'])} "
                f"({h['ratio_kept']['median']:.1f}x faster than psutil). " + bound)
    return "Missed. " + bound


def cuda_text(c):
    if "missing" in c:
        return f"Not measured in this run: {c['missing']}."
    L = ["`mb_bench_trace cuda <source>` against the fake `libcuda.so.1` and "
         "`libnvidia-ml.so.1` of tests/cuda (scenario `discrete80`, an H100-like GPU; `uma`, a "
         "GB10-like one), loaded through the real loader. The fake counts every call of every "
         "entry point (`mbfake_cuda_count`); counted: the probe, the first snapshot (where "
         "NVML is initialised or the primary context retained, once), then 1000 snapshots. "
         "Time per snapshot is on the fake, so it is the library's own overhead plus a "
         "trivial driver.", "",
         "| source | got | probe calls | first snapshot | per snapshot | calls per snapshot "
         "| allocations per snapshot: library / fake driver | opens per snapshot | time per "
         "snapshot |",
         "|---|---|---|---|---|---|---|---|---|"]
    for x in c["rows"]:
        if "error" in x:
            L.append(f"| {x['label']} | failed: {x['error']} | | | | | | | |")
            continue
        got = x["source"] + ("" if x["source"] == x["expect"] else f" (expected {x['expect']})")
        per = x["per_snapshot"]
        detail = ", ".join(f"{k} {v:g}" for k, v in per.items() if k != "total")
        L.append(f"| {x['label']} | {got} | {x['probe']['total']:g} | "
                 f"{x['first_snapshot']['total']:g} | **{per['total']:g}** | {detail} | "
                 f"{x['allocs_per_snapshot']:g} / {x['driver_allocs_per_snapshot']:g} | "
                 f"{x['opens_per_snapshot']:g} | {us(x['ns_per_snapshot'])} |")
    return "\n".join(L)


def hip_note(r):
    vend = r["cli_diag"].get("vendor", {})
    hip = [k for k in vend if k.startswith("libamdhip64")]
    forced = [x for x in r["cli_variants"] if "HIP_FORCE" in x[0]]
    extra = ""
    if forced:
        v, fr = forced[0][1], forced[0][2]
        extra = (f" Forcing the load (`MEMBUDGET_HIP_FORCE_RUNTIME=1`) takes the command to "
                 f"{us(v['median'])}, {round_ratio(v, fr)['median']:.1f}x `free -b`: that is "
                 "what the check saves.")
    if not hip:
        return ("The HIP backend looks at amdgpu sysfs and /dev/kfd first and, with no AMD GPU "
                "there, does not load Debian's libamdhip64.so.5 (strace shows no attempt)." +
                extra)
    return ("The HIP runtime was looked for (" + ", ".join(hip) + "): the HIP backend loads it "
            "even though this machine has no AMD GPU." + extra)


def findings(r, cli_ratio):
    """The reading of this run's figures: where the time goes, and what would fix a miss."""
    s, t, h, p, cli = r["snapshot"], r["trace"], r["host"], r["probe"], r["cli"]
    reads = [e for e in t["snapshot_reads"] if e["op"] in ("pread", "read")]
    eof = sum(1 for e in reads if e["got"] == 0)
    files = len({e["path"] for e in reads})
    snap, flo, rep = (s[k]["median"] for k in ("snapshot_ns", "floor_ns", "floor_replay_ns"))
    L = ["## What the figures say", ""]
    if not r.get("quiet", True):
        L += [f"Caution: the load average did not fall below 0.7 before this run "
              f"({' '.join(r['load_before'])}); the ratios still compare sides timed in the "
              "same rounds.", ""]
    L.append(
        f"- **Snapshot.** {us(snap)} per snapshot, of which {us(flo)} is the floor: the kernel "
        f"producing the {files} file(s) ({', '.join(sorted({e['path'] for e in reads}))}). "
        f"{eof} of the {len(reads)} reads return nothing: `mb__plat_pread` "
        "(platform/sysroot.c) reads until pread returns 0, so each file costs a second call; "
        f"the replayed calls cost {us(rep - flo)} more than one read per file. procfs, sysfs "
        "and cgroupfs give a small file whole in one read, so returning after a short read "
        f"(fewer bytes than asked) would save that. The library's own work (parsing, the "
        f"snapshot, the clock) is the rest: {us(snap - rep)}." +
        (" With cgroup files in the list, part of it is platform/cgroup.c formatting each "
         "file's path with snprintf on every snapshot (the path is only needed in an error "
         "message)." if any("/cgroup" in e["path"] for e in reads) else ""))
    L.append(f"- **Host query.** {host_notes(h, t)}")
    per = p.get("per_backend", {})
    worst = max(per.items(), key=lambda kv: kv[1]["median"]) if per else None
    version = [v for k, v in cli.items() if k.endswith("--version")][0]
    snap_cli = [v for k, v in cli.items() if k.endswith(" snapshot")][0]
    L.append(
        f"- **CLI.** `membudget snapshot` is {cli_ratio:.2f}x `free -b`. Starting the process "
        f"and linking its libraries (`membudget --version`) takes {us(version['median'])} of "
        f"its {us(snap_cli['median'])}; the first init + probe takes "
        f"{us(p['cold_probe_ns']['median'])} in process" +
        (f", the costliest backend alone being {worst[0]} ({us(worst[1]['median'])}, context "
         "init included)" if worst else "") +
        ". " + hip_note(r))
    L.append(
        f"- **Probe against hwloc.** A cold init + probe costs "
        f"{p['cold_ratio']['median']:.2f}x a cold `hwloc_topology_load` of the same machine.")
    L.append("- **Scale.** Descriptors are opened at probe, one per node; a snapshot of node i "
             "reads node i's meminfo only, so the cost per node is the same at 1, 8 and 64 "
             "nodes (table above).")
    c = r["cuda"]
    if "rows" in c:
        ok = [x for x in c["rows"] if "error" not in x]
        L.append("- **CUDA sources.** Per snapshot: " + "; ".join(
            f"{x['label']}: {x['per_snapshot']['total']:g} driver calls" for x in ok) +
            ". NVML is initialised, and a primary context retained, once, at the first "
            "snapshot that needs it (the first-snapshot column); no source allocates." +
            "".join(f" The {x['label']} path also opens, reads and closes a file "
                    f"{x['opens_per_snapshot']:g} time(s) per snapshot, where the discrete "
                    "paths open none: the hugetlb pool figure (`hugetlb_pool` in "
                    "backends/cuda/cuda.c) reads /proc/meminfo with `mb__plat_read`, while "
                    "the host figures of the UMA policy read the same file on the descriptor "
                    "platform/meminfo.c keeps open; one read of it would serve both. (The "
                    "fake driver's own allocations, from its fopen of meminfo, are counted "
                    "apart.)" for x in ok if x["opens_per_snapshot"] > 0))
    return "\n".join(L)


if __name__ == "__main__":
    main()
