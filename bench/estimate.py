#!/usr/bin/env python3
"""bench/estimate.py: the estimate's accuracy against published vLLM start-ups (issue 15).

For every row of tests/estimate/startups.json it runs `membudget plan --estimate --json`
with the row's model config, device and settings, and compares each predicted part with
the figure vLLM logged: weights, activation peak (torch peak increase), non-torch memory,
the CUDA-graph estimate and the available KV cache. Next to the estimate it scores two
baselines on the same rows: the weights alone (membudget plan's default before issue 15)
and the weights plus a flat 2 GiB (vAquila's rule). Writes the table between the bench
markers of docs/estimate.md. Not a test: ci/bench.sh runs it.

A row with `sampler` ("kernel" or "sort": the top-k/top-p filter its own log says the
profile ran, quoted in its `evidence`) is run with `--sampler` set to it; every other V1 row
gets the default (the kernels).

    python3 bench/estimate.py --cli build/membudget [--doc docs/estimate.md]
"""
import argparse
import datetime
import json
import math
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ROWS = os.path.join(ROOT, "tests", "estimate", "startups.json")
GIB = 1 << 30
BEGIN, END = "<!-- bench/estimate.py: begin -->", "<!-- bench/estimate.py: end -->"
def settings(row):
    """The scheduler settings the row's vLLM used (rules: v0 or v1)."""
    seqs, mnbt = row.get("max_num_seqs"), row.get("max_num_batched_tokens")
    if row["rules"] == "v0":
        # V0's profile run: max(max_model_len, 2048) tokens unless chunked prefill is on
        # (2048 tokens, V0 turns it on by itself above 32768), over max_num_seqs (256)
        seqs = seqs or 256
        if not mnbt:
            ml = row.get("max_model_len") or 0
            mnbt = 2048 if ml > 32768 else max(ml, 2048)
    return seqs, mnbt


def v0_release(row):
    """The V0 release a row's rules name (`--vllm-v0`), or None: the first X.Y[.Z] of its
    vllm_version when its rules are V0 and the release still had the V0 engine (< 0.9)."""
    if row["rules"] != "v0":
        return None
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", row.get("vllm_version") or "")
    if not m or int(m.group(1)) != 0 or int(m.group(2)) >= 9:
        return None
    return m.group(0)


def v1_release(row):
    """The V1-engine release whose rules a row follows (`--vllm-version`): the X.Y[.Z] its
    vllm_version starts with (a leading '~' marks a release inferred from the log's line
    numbers, taken as given), or None when it names a range or no release (then a stand-in
    with 1.3's rules: 0.21 when the row's start-up charged the CUDA graphs, else 0.19)."""
    m = re.match(r"~?(\d+)\.(\d+)(?:\.(\d+))?(?![\d.]*-)", row.get("vllm_version") or "")
    if not m or int(m.group(1)) != 0 or int(m.group(2)) < 8:
        return None
    return "%s.%s.%s" % (m.group(1), m.group(2), m.group(3) or "0")


def log_runner(row):
    """The model runner a V1 start-up's quoted lines name: gpu_model_runner.py is the V1
    runner's file, vllm/v1/worker/gpu/model_runner.py the V2 runner's; None when no quoted
    line names either (or the row is V0, whose worker also logs a model_runner.py)."""
    if row["rules"] != "v1":
        return None
    ev = " ".join(row.get("evidence") or [])
    if "gpu_model_runner.py:" in ev:
        return "v1"
    if re.search(r"[\[ ]model_runner\.py:", ev):
        return "v2"
    return None


def run(cli, row, extra=(), log_sampler=True):
    # the log's total when it gives one, else the named-GPU table's (core/gpus.c, through
    # --gpu: the runtime's figure where a published log gives it, else the datasheet's)
    total = row.get("gpu_total_gib")
    total_from = "log" if total is not None else "table"
    cfg = os.path.join(ROOT, "tests", "estimate", row["config"])
    cmd = [cli, "plan", "--model", cfg, "--estimate", "--json",
           "-tp", str(row.get("tensor_parallel_size") or 1),
           "--pipeline-parallel-size", str(row.get("pipeline_parallel_size") or 1)]
    if v0_release(row) is None:
        release = v1_release(row) if row["rules"] == "v1" else None
        cmd += ["--vllm-version",
                release or ("0.21" if row.get("charge_cudagraphs") else "0.19")]
    if row.get("gpu"):
        cmd += ["--gpu", row["gpu"]]
    if total is not None:
        cmd += ["--total-memory", "%.4fGiB" % total]
    elif not row.get("gpu"):
        return None, "no device: the log names neither the GPU nor its memory"
    util = row.get("gpu_memory_utilization")
    if util is None:
        util = 0.9 if row["rules"] == "v0" else 0.92
    cmd += ["--gpu-memory-utilization", str(util)]
    if row.get("max_model_len"):
        cmd += ["--max-model-len", str(row["max_model_len"])]
    seqs, mnbt = settings(row)
    if seqs:
        cmd += ["--max-num-seqs", str(seqs)]
    if mnbt:
        cmd += ["--max-num-batched-tokens", str(mnbt)]
    v0 = v0_release(row)
    if v0:
        cmd += ["--vllm-v0", v0]
    kvd = row.get("kv_cache_dtype")
    if kvd and kvd not in ("auto", None):
        cmd += ["--kv-cache-dtype", kvd]
    if row.get("enforce_eager"):
        cmd += ["--enforce-eager"]
    if row.get("sampler") and "--sampler" not in extra and log_sampler:  # the log's line
        cmd += ["--sampler", row["sampler"]]
    cmd += list(extra)
    key = tuple(cmd)
    if key in _RUNS:  # the tables ask for the same start-up more than once
        return _RUNS[key]
    _RUNS[key] = result = _run_cmd(cmd, total_from)
    return result


_RUNS = {}


def _run_cmd(cmd, total_from):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if not p.stdout.strip().startswith("{"):
        return None, (p.stderr.strip() or "no output")[:200]
    out = json.loads(p.stdout)
    out["_total_from"] = total_from
    return out, None


def logged_kv(row):
    """The logged KV figure a row is scored on, and whether the log is another rank's: a log
    quoted from a rank that does not bind (V0's non-driver workers, `logged_rank`) is scored
    on the binding rank's KV figure derived in the row, and its other parts are shown but not
    scored (the estimate predicts the binding rank)."""
    lg = row["logged"]
    return (lg.get("binding_available_kv_gib", lg.get("available_kv_gib")),
            bool(row.get("logged_rank")))


def multimodal(row):
    """Whether the row's config has a vision tower (its encoder runs in the profile)."""
    with open(os.path.join(ROOT, "tests", "estimate", row["config"])) as f:
        return "vision_config" in json.load(f)


def est_tokens(out):
    """The estimate's central token count (the plan's own figure comes from the same
    central non-KV memory)."""
    return out.get("kv_cache_tokens")


def gib(v):
    return None if v is None else v / GIB


def rel(pred, logged):
    if pred is None or logged is None or logged == 0:
        return None
    return (pred - logged) / abs(logged)


def pct(v):
    return "" if v is None else "%+.1f%%" % (100 * v)


def g2(v):
    return "" if v is None else "%.2f" % v


def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * q
    f, c = math.floor(k), math.ceil(k)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def sampler_table(cli, rows):
    """Both V1 samplers (`--sampler kernel` and `--sampler sort`) against every held-out V1
    row that logs its activation peak, with the sampler the row's log names (its `sampler`
    field, from vLLM's topk_topp_sampler.py line) where it names one: the statistics above
    use that, else the default (`kernel`)."""
    out = ["", "V1's top-k/top-p in the profile run, both rules, on every held-out row "
           "that logs its activation peak and ran the V1 model runner (GiB). The statistics "
           "above use the sampler the row's log names (topk_topp_sampler.py's line at "
           "start-up), else the default of the row's release (`--vllm-version`: torch's sort "
           "from 0.11.1 to 0.16, and on ROCm before 0.17; the kernels otherwise):", "",
           "| row | vLLM | the log's sampler | the release's | activation logged | "
           "kernel pred (err) | sort pred (err) | KV err, kernel | KV err, sort |",
           "|---|---|---|---|---:|---:|---:|---:|---:|"]
    v2 = []
    for row in rows:
        lg = row["logged"]
        if row["rules"] != "v1" or row["id"].startswith("llmd-") or row.get("logged_rank") \
                or lg.get("activation_gib") is None:
            continue
        d, _ = run(cli, row, log_sampler=False)  # the release's own default
        if d is None:
            continue
        if d["estimate"].get("model_runner") == "v2":
            v2.append(row["id"])  # V2 filters with FlashInfer or Triton: no sort to try
            continue
        res = []
        for extra in (("--sampler", "kernel"), ("--sampler", "sort")):
            o, _ = run(cli, row, extra)
            if o is None:
                break
            e = o["estimate"]
            res.append((gib(e["activation_peak"]["bytes"]),
                        gib(e["available_kv_cache_memory"])))
        if len(res) != 2:
            continue
        lkv, la = lg.get("available_kv_gib"), lg["activation_gib"]
        out.append("| %s | %s | %s | %s | %s | %s (%s) | %s (%s) | %s | %s |" % (
            row["id"], row["vllm_version"].split(" ")[0], row.get("sampler") or "not logged",
            d["estimate"]["sampler"] if v1_release(row) else "no release named",
            g2(la),
            g2(res[0][0]), pct(rel(res[0][0], la)), g2(res[1][0]), pct(rel(res[1][0], la)),
            pct(rel(res[0][1], lkv)), pct(rel(res[1][1], lkv))))
    if v2:
        out += ["", "Left out, their release runs them with the V2 model runner (no torch "
                "sort to compare): " + ", ".join(v2) + "."]
    return out


def release_checks(cli, rows):
    """Two rules of `--vllm-version` against the logs: the model runner each row's release
    picks for its model (the release's use_v2_model_runner) against the runner its quoted
    log lines name, and the release's default V1 sampler against the sampler line a log
    quotes."""
    agree, differ = [], []
    for row in rows:
        named = log_runner(row)
        if named is None or v1_release(row) is None:
            continue
        o, _ = run(cli, row)
        if o is None:
            continue
        picked = o["estimate"].get("model_runner")
        (agree if picked == named else differ).append((row["id"], named, picked))
    # V1's sampler: the release's default against the sampler line a log quotes
    same, other = [], []
    for row in rows:
        if not row.get("sampler") or v1_release(row) is None:
            continue
        o, _ = run(cli, row, log_sampler=False)
        if o is not None:
            (same if o["estimate"]["sampler"] == row["sampler"] else other).append(
                "%s (%s: %s logged)" % (row["id"], v1_release(row), row["sampler"]))
    v2 = [r for r, n, _ in agree if n == "v2"]
    out = ["", "The model runner: %d of %d rows whose quoted lines name their runner "
           "(gpu_model_runner.py: V1; model_runner.py: V2) and whose row names one release "
           "get the same runner from that release's rule (%d of them V2: %s)." % (
               len(agree), len(agree) + len(differ), len(v2), ", ".join(v2) or "none")]
    for rid, named, picked in differ:
        out.append("- %s: the log names %s, the release's rule picks %s" % (rid, named, picked))
    out += ["", "V1's sampler: %d of %d rows whose log quotes its topk_topp_sampler.py line "
            "get that sampler from their release's default; the others (run with the "
            "logged one) are %s. Up to 0.11.0 the default is FlashInfer's kernel, which "
            "vLLM used only where FlashInfer was installed." % (
                len(same), len(same) + len(other), "; ".join(other) or "none")]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--rows", default=ROWS)
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "estimate.md"))
    ap.add_argument("--command", default="bash ci/bench.sh")
    a = ap.parse_args()
    rows = json.load(open(a.rows))
    table, errs, skipped = [], {}, []
    covers = {}

    def add(key, e):
        if e is not None:
            errs.setdefault(key, []).append(abs(e))

    for row in rows:
        out, why = run(a.cli, row)
        lg = row["logged"]
        if out is None:
            skipped.append((row["id"], why))
            continue
        est = out["estimate"]
        w = gib(est["weights_memory"]["bytes"])
        act = gib(est["activation_peak"]["bytes"])
        nt = gib(est["non_torch_memory"]["bytes"])
        cg = gib(est["cudagraph_memory"]["bytes"])
        kv = gib(est["available_kv_cache_memory"])
        lo, hi = gib(out.get("available_kv_cache_memory_low")), gib(
            out.get("available_kv_cache_memory_high"))
        req = gib(est["requested_memory"])
        kv_w = None if w is None else req - w
        kv_flat = None if w is None else req - w - 2.0
        lkv, other_rank = logged_kv(row)
        r = {"id": row["id"], "model": row["model"], "tp": row.get("tensor_parallel_size"),
             "pp": row.get("pipeline_parallel_size"), "rules": row["rules"],
             "version": row["vllm_version"], "total_from": out["_total_from"],
             "w": (w, lg.get("weights_gib")), "act": (act, lg.get("activation_gib")),
             "nt": (nt, lg.get("non_torch_gib")), "cg": (cg, lg.get("cudagraph_estimated_gib")),
             "kv": (kv, lkv), "kv_w": kv_w, "kv_flat": kv_flat, "range": (lo, hi),
             "other_rank": other_rank}
        held = "calibration" if row["id"].startswith("llmd-") else "other"
        for g in ("all", held):
            add("weights@" + g, rel(w, lg.get("weights_gib")))
            if not other_rank:
                add("activation@" + g, rel(act, lg.get("activation_gib")))
                add("non_torch@" + g, rel(nt, lg.get("non_torch_gib")))
            add("cudagraph@" + g, rel(cg, lg.get("cudagraph_estimated_gib")))
        grp = "calibration" if row["id"].startswith("llmd-") else "other"
        flag = row.get("unpredictable")
        r["flag"] = flag
        r["group"] = grp
        ltok = lg.get("kv_cache_tokens")
        tok = out.get("kv_cache_tokens")
        if ltok and tok is not None and est.get("available_kv_cache_memory") is not None:
            for g in ("all", grp):
                add("tokens@" + g, rel(est_tokens(out), ltok))
        if lkv is not None and kv is not None:
            inside = lo is not None and hi is not None and lo <= lkv <= hi
            r["inside"] = inside
            # every statistic over: all rows, the calibration rows (in sample), the others
            # (held out), and each of those without the flagged rows
            sets = ["all", grp] + (["all_ok", grp + "_ok"] if not flag else [])
            if multimodal(row):  # a vision tower: the encoder's profile budget is in play
                sets += ["mm"] + (["mm_ok"] if not flag else [])
            for g in sets:
                add("kv@" + g, rel(kv, lkv))
                add("kv_abs@" + g, kv - lkv)
                add("kv_w@" + g, rel(kv_w, lkv))
                add("kv_w_abs@" + g, kv_w - lkv)
                add("kv_flat2@" + g, rel(kv_flat, lkv))
                add("kv_flat2_abs@" + g, kv_flat - lkv)
                cov = covers.setdefault(g, [0, 0])
                cov[1] += 1
                cov[0] += inside
        table.append(r)

    lines = []
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines.append("Produced by `%s` (bench/estimate.py) on a 2-core Debian 12 VM, no GPU, %s, "
                 "from %d rows of tests/estimate/startups.json (%d skipped: no device or "
                 "no output, listed below). GiB per rank; errors are (predicted - logged) / "
                 "logged." % (a.command, now, len(table), len(skipped)))
    lines.append("")
    def stat(key):
        xs = errs.get(key, [])
        if not xs:
            return "0 | | "
        return "%d | %.1f%% | %.1f%%" % (len(xs), 100 * quantile(xs, 0.5),
                                        100 * quantile(xs, 0.9))

    def stat_abs(key):
        xs = errs.get(key, [])
        if not xs:
            return "0 | | "
        return "%d | %.2f GiB | %.2f GiB" % (len(xs), quantile(xs, 0.5), quantile(xs, 0.9))

    def coverage(g):
        c = covers.get(g)
        return "%d of %d (%.0f%%)" % (c[0], c[1], 100 * c[0] / c[1]) if c and c[1] else ""

    n_flag = sum(1 for r in table if r.get("flag"))
    lines.append("The four fitted constants (core/estimate.h) are medians over the 29 llm-d-planner "
                 "rows (vLLM 0.19.0, H100): those rows are **in sample**. Every other row was "
                 "never used to fit anything: it is the **held-out** set, and its figures are "
                 "the honest ones. %d rows the estimate cannot predict are flagged (reason in "
                 "the table); each statistic is given with and without them." % n_flag)
    lines.append("")
    lines.append("| available KV cache | set | n | median abs error | p90 abs error |")
    lines.append("|---|---|---:|---:|---:|")
    sets = [("calibration", "in sample (29 llm-d rows)"),
            ("other", "held out, all rows"),
            ("other_ok", "held out, without flagged rows"),
            ("all", "every row"), ("all_ok", "every row, without flagged rows"),
            ("mm", "multimodal rows (all held out)"),
            ("mm_ok", "multimodal rows, without flagged rows")]
    for g, label in sets:
        lines.append("| this estimate | %s | %s |" % (label, stat("kv@" + g)))
    for g, label in sets:
        lines.append("| this estimate, GiB | %s | %s |" % (label, stat_abs("kv_abs@" + g)))
    for g, label in [("other", "held out, all rows"), ("other_ok", "held out, without flagged rows"),
                     ("all", "every row")]:
        lines.append("| weights alone (old default) | %s | %s |" % (label, stat("kv_w@" + g)))
        lines.append("| weights + flat 2 GiB (vAquila) | %s | %s |" % (label,
                     stat("kv_flat2@" + g)))
        lines.append("| weights + flat 2 GiB, GiB | %s | %s |" % (label,
                     stat_abs("kv_flat2_abs@" + g)))
    lines.append("")
    lines.append("| logged KV inside the reported range | in sample | held out | held out, "
                 "without flagged | every row | multimodal |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    lines.append("| rows | %s | %s | %s | %s | %s |" % (
        coverage("calibration"), coverage("other"), coverage("other_ok"), coverage("all"),
        coverage("mm")))
    lines.append("")
    lines.append("| part | set | n | median abs error | p90 abs error |")
    lines.append("|---|---|---:|---:|---:|")
    for k, label in [("weights", "weights"), ("activation", "activation peak"),
                     ("non_torch", "non-torch"), ("cudagraph", "CUDA-graph estimate"),
                     ("tokens", "KV tokens (the plan's KV groups)")]:
        for g, gl in [("calibration", "in sample"), ("other", "held out")]:
            lines.append("| %s | %s | %s |" % (label, gl, stat(k + "@" + g)))
    lines.append("")
    lines.append("| row | set | model | tp/pp | vLLM | weights pred/log (err) | activation | "
                 "non-torch | CUDA graphs | KV pred [range] / log (err) | KV weights alone "
                 "(err) | KV flat 2 GiB (err) | flagged: why |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")

    def cell(pair):
        p, l = pair
        if p is None and l is None:
            return ""
        return "%s / %s %s" % (g2(p), g2(l) or "-", "(" + pct(rel(p, l)) + ")" if l else "")

    for r in table:
        kvp, kvl = r["kv"]
        lo, hi = r["range"]
        kvs = "%s [%s, %s] / %s %s%s" % (g2(kvp), g2(lo), g2(hi), g2(kvl) or "-",
                                         "(" + pct(rel(kvp, kvl)) + ")" if kvl else "",
                                         "" if r.get("inside", True) else " outside")
        worker = " another rank's, not scored" if r["other_rank"] and r["act"][1] else ""
        binding = " (the binding rank's, derived)" if r["other_rank"] else ""
        lines.append("| %s | %s | %s | %s/%s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["id"], "in sample" if r["group"] == "calibration" else "held out",
            r["model"], r["tp"], r["pp"], r["version"].split(" ")[0],
            " (table total)" if r["total_from"] == "table" else "", cell(r["w"]),
            cell(r["act"]) + worker, cell(r["nt"]) + worker, cell(r["cg"]), kvs + binding,
            "%s (%s)" % (g2(r["kv_w"]), pct(rel(r["kv_w"], kvl))) if kvl else "",
            "%s (%s)" % (g2(r["kv_flat"]), pct(rel(r["kv_flat"], kvl))) if kvl else "",
            r.get("flag") or ""))
    lines += sampler_table(a.cli, rows)
    lines += release_checks(a.cli, rows)
    if skipped:
        lines.append("")
        lines.append("Skipped rows: " + "; ".join("%s (%s)" % s for s in skipped) + ".")
    body = "\n".join(lines)
    print(body)
    doc = open(a.doc).read() if os.path.exists(a.doc) else BEGIN + "\n" + END + "\n"
    if BEGIN in doc and END in doc:
        i, j = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        doc = doc[:i] + "\n" + body + "\n" + doc[j:]
        with open(a.doc, "w") as f:
            f.write(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
