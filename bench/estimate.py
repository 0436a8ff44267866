#!/usr/bin/env python3
"""bench/estimate.py: the estimate's accuracy against published vLLM start-ups (issue 15).

For every row of tests/estimate/startups.json it runs `membudget plan --estimate --json`
with the row's model config, device and settings, and compares each predicted part with
the figure vLLM logged: weights, activation peak (torch peak increase), non-torch memory,
the CUDA-graph estimate and the available KV cache. Next to the estimate it scores two
baselines on the same rows: the weights alone (membudget plan's default before issue 15)
and the weights plus a flat 2 GiB (vAquila's rule). Writes the table between the bench
markers of docs/estimate.md. Not a test: ci/bench.sh runs it.

    python3 bench/estimate.py --cli build/membudget [--doc docs/estimate.md]
"""
import argparse
import datetime
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ROWS = os.path.join(ROOT, "tests", "estimate", "startups.json")
GIB = 1 << 30
BEGIN, END = "<!-- bench/estimate.py: begin -->", "<!-- bench/estimate.py: end -->"
# the device table's totals, for rows whose log does not give the total (flagged "table")
TABLE_GIB = {"H100": 79.22, "A100-80GB": 79.15, "A100-40GB": 39.50, "RTX 3090": 23.58,
             "RTX 4090": 23.55, "RTX PRO 6000": 94.97, "A10": 22.05}


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


def run(cli, row):
    total = row.get("gpu_total_gib")
    total_from = "log"
    if total is None and row.get("gpu") in TABLE_GIB:
        total, total_from = TABLE_GIB[row["gpu"]], "table"
    cfg = os.path.join(ROOT, "tests", "estimate", row["config"])
    cmd = [cli, "plan", "--model", cfg, "--estimate", "--json",
           "-tp", str(row.get("tensor_parallel_size") or 1),
           "--pipeline-parallel-size", str(row.get("pipeline_parallel_size") or 1),
           "--vllm-version", "0.33" if row.get("charge_cudagraphs") else "0.20"]
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
    kvd = row.get("kv_cache_dtype")
    if kvd and kvd not in ("auto", None):
        cmd += ["--kv-cache-dtype", kvd]
    if row.get("enforce_eager"):
        cmd += ["--enforce-eager"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if not p.stdout.strip().startswith("{"):
        return None, (p.stderr.strip() or "no output")[:200]
    out = json.loads(p.stdout)
    out["_total_from"] = total_from
    return out, None


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--rows", default=ROWS)
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "estimate.md"))
    ap.add_argument("--command", default="bash ci/bench.sh")
    a = ap.parse_args()
    rows = json.load(open(a.rows))
    table, errs, skipped = [], {}, []
    cover = [0, 0]

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
        lkv = lg.get("available_kv_gib")
        r = {"id": row["id"], "model": row["model"], "tp": row.get("tensor_parallel_size"),
             "pp": row.get("pipeline_parallel_size"), "rules": row["rules"],
             "version": row["vllm_version"], "total_from": out["_total_from"],
             "w": (w, lg.get("weights_gib")), "act": (act, lg.get("activation_gib")),
             "nt": (nt, lg.get("non_torch_gib")), "cg": (cg, lg.get("cudagraph_estimated_gib")),
             "kv": (kv, lkv), "kv_w": kv_w, "kv_flat": kv_flat, "range": (lo, hi)}
        add("weights", rel(w, lg.get("weights_gib")))
        add("activation", rel(act, lg.get("activation_gib")))
        add("non_torch", rel(nt, lg.get("non_torch_gib")))
        add("cudagraph", rel(cg, lg.get("cudagraph_estimated_gib")))
        grp = "calibration" if row["id"].startswith("llmd-") else "other"
        ltok = lg.get("kv_cache_tokens")
        tok = out.get("kv_cache_tokens")
        if ltok and tok is not None and est.get("available_kv_cache_memory") is not None:
            add("tokens", rel(est_tokens(out), ltok))
        if lkv is not None and kv is not None:
            add("kv_" + grp, rel(kv, lkv))
            add("kv", rel(kv, lkv))
            add("kv_abs", kv - lkv)
            add("kv_weights_alone", rel(kv_w, lkv))
            add("kv_weights_alone_abs", kv_w - lkv)
            add("kv_flat2", rel(kv_flat, lkv))
            add("kv_flat2_abs", kv_flat - lkv)
            cover[1] += 1
            if lo is not None and hi is not None and lo <= lkv <= hi:
                cover[0] += 1
                r["inside"] = True
            else:
                r["inside"] = False
        table.append(r)

    lines = []
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines.append("Produced by `%s` (bench/estimate.py) on a 2-core Debian 12 VM, no GPU, %s, "
                 "from %d rows of tests/estimate/startups.json (%d skipped: no device or "
                 "no output, listed below). GiB per rank; errors are (predicted - logged) / "
                 "logged." % (a.command, now, len(table), len(skipped)))
    lines.append("")
    lines.append("| summary | n | median abs error | p90 abs error |")
    lines.append("|---|---:|---:|---:|")
    names = [("weights", "weights"), ("activation", "activation peak"),
             ("non_torch", "non-torch"), ("cudagraph", "CUDA-graph estimate"),
             ("kv", "available KV: this estimate"),
             ("kv_calibration", "... on the 29 calibration rows (in sample)"),
             ("kv_other", "... on the other rows (out of sample)"),
             ("tokens", "KV tokens (full-attention geometry)"),
             ("kv_weights_alone", "available KV: weights alone (old default)"),
             ("kv_flat2", "available KV: weights + flat 2 GiB (vAquila)")]
    for k, label in names:
        xs = errs.get(k, [])
        lines.append("| %s | %d | %s | %s |" % (label, len(xs),
                     "%.1f%%" % (100 * quantile(xs, 0.5)) if xs else "",
                     "%.1f%%" % (100 * quantile(xs, 0.9)) if xs else ""))
    for k, label in [("kv_abs", "available KV: this estimate"),
                     ("kv_weights_alone_abs", "available KV: weights alone"),
                     ("kv_flat2_abs", "available KV: flat 2 GiB")]:
        xs = errs.get(k, [])
        if xs:
            lines.append("| %s, GiB | %d | %.2f GiB | %.2f GiB |" % (
                label, len(xs), quantile(xs, 0.5), quantile(xs, 0.9)))
    lines.append("| logged KV inside the reported range | %d | %s | |" % (
        cover[1], "%d of %d (%.0f%%)" % (cover[0], cover[1], 100 * cover[0] / cover[1])
        if cover[1] else ""))
    lines.append("")
    lines.append("| row | model | tp/pp | vLLM | weights pred/log (err) | activation | "
                 "non-torch | CUDA graphs | KV pred [range] / log (err) | KV weights alone "
                 "(err) | KV flat 2 GiB (err) |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")

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
        lines.append("| %s | %s | %s/%s | %s%s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["id"], r["model"], r["tp"], r["pp"], r["version"].split(" ")[0],
            " (table total)" if r["total_from"] == "table" else "", cell(r["w"]),
            cell(r["act"]), cell(r["nt"]), cell(r["cg"]), kvs,
            "%s (%s)" % (g2(r["kv_w"]), pct(rel(r["kv_w"], kvl))) if kvl else "",
            "%s (%s)" % (g2(r["kv_flat"]), pct(rel(r["kv_flat"], kvl))) if kvl else ""))
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
