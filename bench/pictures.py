#!/usr/bin/env python3
"""bench/pictures.py: draws the pictures in docs/ and writes docs/pictures.md around them.

  * membudget's own pictures (the plan's and the snapshot's, as SVG, PNG and in the
    terminal), each made by the membudget command written beside it;
  * the KV capacity of a few models on a few device sizes against max_model_len, from
    `membudget plan --json` on what-if devices, drawn with matplotlib.

Run by ci/bench.sh in the bench job's virtual environment (matplotlib from PyPI):
    VENV/bin/python bench/pictures.py --build BUILD --docs docs --command "bash ci/bench.sh"

The KV figures are vLLM's rules as membudget computes them: the non-KV memory is the
weights alone (parameters x 2 bytes, bf16), so each curve is an upper bound; CUDA graphs at
vLLM's floor; --gpu-memory-utilization 0.92. Deterministic: no device is measured.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
MODELS_DIR = os.path.join(SRC, "tests", "fixtures", "models")

# Parameters of each model from its Hugging Face model card (the safetensors parameter
# count shown there); weights = parameters x 2 bytes (bf16).
MODELS = [
    ("Llama-3.1-8B", "llama-3.1-8b.config.json", 8.03e9),
    ("Qwen2.5-7B", "qwen2.5-7b.config.json", 7.61e9),
    ("Mistral-7B-v0.3", "mistral-7b-v0.3.config.json", 7.25e9),
    ("DeepSeek-V2-Lite (MLA)", "deepseek-v2-lite.config.json", 15.7e9),
]
# Device sizes, named by a GPU of that class (its nominal memory, not a measured total).
DEVICES = [("24 GiB (L4 class)", 24), ("48 GiB (L40S class)", 48),
           ("80 GiB (H100 class)", 80), ("141 GiB (H200 class)", 141)]
LENGTHS = [2**k for k in range(10, 18)] + [163840]  # 1K .. 128K, and 160K


def plan(cli, cfg, weights, gib, max_len):
    p = subprocess.run([cli, "plan", "--model", cfg, "--total-memory", "%dGiB" % gib,
                        "--weights-memory", str(weights), "--max-model-len", str(max_len),
                        "--json"], capture_output=True, text=True)
    if p.returncode == 2 or not p.stdout.strip():
        return None  # longer than the model's own max_model_len: vLLM refuses it too
    return json.loads(p.stdout)


def kv_capacity(a):
    """The KV-capacity figure and its table, as markdown lines."""
    results = {}
    for name, cfg, params in MODELS:
        weights = int(params * 2)
        for dev, gib in DEVICES:
            for n in LENGTHS:
                j = plan(a.cli, os.path.join(MODELS_DIR, cfg), weights, gib, n)
                if j:
                    results[(name, dev, n)] = j

    fig, axes = plt.subplots(1, len(DEVICES), figsize=(13, 4.2), sharey=True)
    colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]
    for ax, (dev, gib) in zip(axes, DEVICES):
        for (name, _, _), c in zip(MODELS, colours):
            pts = [(n, results[(name, dev, n)]["max_concurrency"]) for n in LENGTHS
                   if (name, dev, n) in results and results[(name, dev, n)]["num_blocks"] > 0]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=c, label=name,
                        markersize=3.5, linewidth=1.6)
        ax.axhline(1.0, color="#C00000", linestyle="--", linewidth=1)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(dev, fontsize=11)
        ax.set_xlabel("max_model_len (tokens)")
        ax.set_xticks([1024, 4096, 16384, 65536, 131072])
        ax.set_xticklabels(["1K", "4K", "16K", "64K", "128K"])
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("requests of max_model_len at once")
    axes[0].text(1100, 1.08, "below: vLLM refuses to start", color="#C00000", fontsize=8)
    axes[-1].legend(fontsize=8, loc="upper right")
    fig.suptitle("KV capacity: how many requests of max_model_len fit (membudget plan, "
                 "utilization 0.92, non-KV = weights)", fontsize=11)
    fig.tight_layout()
    png = os.path.join(a.docs, "img", "kv-capacity.png")
    fig.savefig(png, dpi=100)

    out = [
        "## KV capacity against max_model_len",
        "",
        "Drawn by bench/pictures.py with matplotlib %s. Every figure is `membudget plan "
        "--model M --total-memory SIZE --weights-memory W --max-model-len N --json` on a "
        "what-if device, so it does not depend on the machine." % matplotlib.__version__,
        "",
        "The non-KV memory is the weights alone (parameters from each model card x 2 bytes), "
        "so every figure is an upper bound: a profiling run's activation peak and non-torch "
        "memory (`--non-kv-memory`) lower it. CUDA graphs are at vLLM's floor, "
        "`--gpu-memory-utilization` is 0.92, blocks of 16 tokens, the model's own KV dtype. "
        "Device sizes are nominal (a GPU of that class reports a little less).",
        "",
        "![KV capacity against max_model_len](img/kv-capacity.png)",
        "",
        "| model | device | KV cache | KV tokens | requests at 8K | at 32K | at 128K |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, _, _ in MODELS:
        for dev, _ in DEVICES:
            any_j = next((results[(name, dev, n)] for n in LENGTHS if (name, dev, n) in results),
                         None)
            if not any_j:
                continue

            def conc(n, name=name, dev=dev):
                j = results.get((name, dev, n))
                return "%.2f" % j["max_concurrency"] if j else "(over the model's max)"
            out.append("| %s | %s | %.2f GiB | %d | %s | %s | %s |" % (
                name, dev, any_j["kv_cache_bytes"] / 2**30, any_j["kv_cache_tokens"],
                conc(8192), conc(32768), conc(131072)))
    out += ["", "A value below 1 means one request of that length does not fit: vLLM refuses "
            "to start (membudget plan exits 1 and says the longest that fits).", ""]
    out.append("DeepSeek-V2-Lite's weights (%.1f GiB) do not fit on 24 GiB: no row." %
               (15.7e9 * 2 / 2**30))
    return out + [""]


# The plan of the docs: Llama-3.1-8B on an H100 by the estimate (issue 15), so that every
# part is there with its range.
PLAN_ARGS = ["plan", "--model", "tests/fixtures/models/llama-3.1-8b.config.json",
             "--gpu", "H100"]
SNAPSHOT_DUMP = "tests/dumps/32amd64-4s2n4c-cgroup"  # under the build folder


def membudget(a, args, env=None, check=True):
    e = dict(os.environ)
    e.pop("COLUMNS", None)
    e.update(env or {})
    p = subprocess.run([a.cli] + args, cwd=SRC, env=e, capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit("bench/pictures.py: membudget %s failed (%d): %s" % (" ".join(args),
                                                                       p.returncode, p.stderr))
    return p


def picture_after_text(out):
    """The terminal picture: what follows the plan's or snapshot's text and a blank line."""
    return out.split("\n\n", 1)[1].rstrip("\n")


def own_pictures(a):
    rel = os.path.relpath(os.path.abspath(a.docs), SRC)  # the commands run from SRC
    plan_svg, plan_png = rel + "/img/plan.svg", rel + "/img/plan.png"
    membudget(a, PLAN_ARGS + ["--svg", plan_svg, "--png", plan_png])
    term = {"NO_COLOR": "1", "LC_ALL": "C.UTF-8", "COLUMNS": "100"}
    unicode_pic = picture_after_text(membudget(a, PLAN_ARGS + ["--chart"], term).stdout)
    ascii_pic = picture_after_text(membudget(a, PLAN_ARGS + ["--ascii"],
                                             dict(term, COLUMNS="72")).stdout)
    dump = os.path.join(os.path.abspath(a.build), SNAPSHOT_DUMP)
    snap_svg = rel + "/img/snapshot.svg"
    membudget(a, ["snapshot", "--svg", snap_svg], {"MEMBUDGET_SYSROOT": dump})
    for f in (plan_svg, snap_svg):
        subprocess.run(["xmllint", "--noout", os.path.join(SRC, f)], check=True)
    cmd = " ".join(PLAN_ARGS)
    return [
        "## The plan's picture",
        "",
        "`membudget %s --svg %s --png %s` (every part estimated from the model's config, "
        "docs/estimate.md, each with its range):" % (cmd, plan_svg, plan_png),
        "",
        "![the plan of Llama-3.1-8B on an H100](img/plan.svg)",
        "",
        "The same picture as PNG, drawn by cairo: [img/plan.png](img/plan.png). Each part has "
        "the same colour in every picture (the Okabe-Ito palette, which stays apart with the "
        "common colour-vision deficiencies); the frame is the device's total; an estimate's "
        "range is a whisker at the part's end; with several bars (devices, or ranks) the "
        "limiting one is outlined in red. The SVG is written by membudget itself rather than "
        "by cairo's SVG surface, which would turn every label into glyph outlines: here the "
        "labels stay text and each figure is also a `data-bytes` attribute, which is how "
        "tests/chart/test_pictures.py checks them against `--json`.",
        "",
        "In a terminal (drawn after the plan's text when standard output is a terminal, or "
        "with `--chart`; never with `--json`), `NO_COLOR=1 COLUMNS=100 membudget %s --chart` "
        "in a UTF-8 locale:" % cmd,
        "",
        "```",
        unicode_pic,
        "```",
        "",
        "and with `--ascii` (or a locale without UTF-8) at 72 columns:",
        "",
        "```",
        ascii_pic,
        "```",
        "",
        "## The snapshot's picture",
        "",
        "`MEMBUDGET_SYSROOT=$PWD/build-bench/%s membudget snapshot --svg %s` (a two-node "
        "machine dump from hwloc's tests, so the picture is the same on every machine):"
        % (SNAPSHOT_DUMP, snap_svg),
        "",
        "![a snapshot of two NUMA nodes](img/snapshot.svg)",
        "",
    ]


def accuracy(a):
    """The estimate's accuracy (issue 15): each predicted part against the figure vLLM
    logged, per part, over the rows bench/estimate.py scores (tests/estimate/startups.json),
    predicted by the same membudget commands that script runs."""
    sys.path.insert(0, HERE)
    import estimate  # bench/estimate.py: its rows, and the command it runs for each
    rows = json.load(open(estimate.ROWS))
    parts = [("weights", "weights_memory", "weights_gib"),
             ("activation peak", "activation_peak", "activation_gib"),
             ("non-torch", "non_torch_memory", "non_torch_gib"),
             ("CUDA-graph estimate", "cudagraph_memory", "cudagraph_estimated_gib")]
    pts = {p[0]: [] for p in parts}
    kv = []
    for row in rows:
        out, _ = estimate.run(a.cli, row)
        if out is None:
            continue
        e, lg = out["estimate"], row["logged"]
        lkv, other_rank = estimate.logged_kv(row)  # the binding rank's, as scored there
        for name, key, lkey in parts:
            x = e[key]
            if other_rank and lkey in ("activation_gib", "non_torch_gib"):
                continue
            if lg.get(lkey) is not None and x.get("bytes") is not None:
                pts[name].append((lg[lkey], x["bytes"] / 2**30, x["low"] / 2**30,
                                  x["high"] / 2**30))
        lo, hi = out.get("available_kv_cache_memory_low"), out.get(
            "available_kv_cache_memory_high")
        if lkv is not None and e.get("available_kv_cache_memory") \
                is not None and lo is not None and hi is not None:
            kv.append((lkv, e["available_kv_cache_memory"] / 2**30,
                       lo / 2**30, hi / 2**30))
    panels = [(name, pts[name]) for name, _, _ in parts] + [("available KV cache", kv)]
    fig, axes = plt.subplots(1, len(panels), figsize=(15, 3.6))
    for ax, (name, xs) in zip(axes, panels):
        inside = sum(1 for l, _, lo, hi in xs if lo <= l <= hi)
        for l, p, lo, hi in xs:
            ok = lo <= l <= hi
            ax.errorbar([l], [p], yerr=[[p - lo], [hi - p]], fmt="o", markersize=3.5,
                        color="#009E73" if ok else "#D55E00", ecolor="#999999",
                        elinewidth=0.8, capsize=2)
        if xs:
            top = max(max(l for l, _, _, _ in xs), max(h for _, _, _, h in xs)) * 1.05
            ax.plot([0, top], [0, top], color="#444444", linewidth=0.8, linestyle=":")
            ax.set_xlim(0, top)
            ax.set_ylim(0, top)
        ax.set_title("%s (%d of %d inside)" % (name, inside, len(xs)), fontsize=10)
        ax.set_xlabel("logged by vLLM (GiB)")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("predicted, with range (GiB)")
    fig.suptitle("The estimate against vLLM's logged start-ups, per part and rank (green: the "
                 "logged figure is inside the range)", fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(a.docs, "img", "estimate-accuracy.png"), dpi=100)
    n = len(kv)
    return [
        "## The estimate's accuracy, per part",
        "",
        "Drawn by bench/pictures.py with matplotlib %s from the rows bench/estimate.py "
        "scores (tests/estimate/startups.json: published vLLM start-up logs), each predicted "
        "by the same `membudget plan --estimate --json` command; the dotted line is a "
        "perfect prediction, the bars the estimate's range. The tables (errors per row and "
        "their quantiles) are in [estimate.md](estimate.md), which shows this picture too. "
        "%d rows have a logged KV figure." % (matplotlib.__version__, n),
        "",
        "![the estimate against logged start-ups](img/estimate-accuracy.png)",
        "",
    ]


def machine_words():
    """'2-core Debian GNU/Linux 12 (bookworm) machine, no GPU' style."""
    name = platform.system()
    try:
        with open("/etc/os-release") as f:
            for l in f:
                if l.startswith("PRETTY_NAME="):
                    name = l.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    gpu = "a GPU" if os.path.exists("/dev/nvidia0") or os.path.exists("/dev/kfd") else "no GPU"
    return "a %d-core %s machine, %s (the pictures do not depend on it)" % (os.cpu_count(),
                                                                             name, gpu)


def cluster_picture(a):
    """plan --mpi on three made-up nodes of tests/fixtures/cluster (issue 17)."""
    svg = os.path.relpath(os.path.abspath(a.docs), SRC) + "/img/plan-mpi.svg"
    nodes = ["node-a", "node-b", "node-c"]
    args = ["plan", "--mpi", "--model", "tests/fixtures/models/llama-3.1-8b.config.json",
            "--device", "cpu:0", "--max-model-len", "4096", "--non-kv-memory", "4GiB"]
    mpirun = shutil.which("mpirun")
    if not (mpirun and os.path.exists(os.path.join(a.build, "libmembudget_mpi.so"))):
        return ["## One bar per rank", "", "Not drawn in this run: the build has no MPI "
                "adapter (ci/setup.sh installs Open MPI; MEMBUDGET_WITH_MPI).", ""]
    cmd = [mpirun, "--oversubscribe"]
    shown = "mpirun --oversubscribe"
    for i, n in enumerate(nodes):
        root = os.path.join(SRC, "tests", "fixtures", "cluster", n)
        cmd += ([":"] if i else []) + ["-np", "1", "-x", "MEMBUDGET_SYSROOT=" + root, "-x",
                                       "MEMBUDGET_BACKENDS=cpu", a.cli] + args + ["--svg", svg]
        shown += "%s -np 1 -x MEMBUDGET_SYSROOT=$PWD/tests/fixtures/cluster/%s -x " \
                 "MEMBUDGET_BACKENDS=cpu membudget %s --svg %s" % (
                     " :" if i else "", n, " ".join(args), svg)
    e = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
             OMPI_MCA_btl_vader_single_copy_mechanism="none", OMPI_MCA_btl="self,vader",
             OMPI_MCA_rmaps_base_oversubscribe="1")
    p = subprocess.run(cmd, cwd=SRC, env=e, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        sys.exit("bench/pictures.py: %s failed (%d): %s" % (shown, p.returncode, p.stderr))
    subprocess.run(["xmllint", "--noout", os.path.join(SRC, svg)], check=True)
    return [
        "## One bar per rank",
        "",
        "`%s` (three made-up nodes of 64, 16 and 32 GiB: tests/fixtures/cluster; `merge` of "
        "`snapshot --json` outputs and `snapshot --mpi` draw the same way, in use and free, "
        "with the least free rank outlined):" % shown,
        "",
        "![plan --mpi on three nodes, the limiting rank outlined](img/plan-mpi.svg)",
        "",
        "Every rank allocates the limiting rank's KV blocks; what its own budget holds beyond "
        "them is drawn as left unused.",
        "",
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, help="the build folder (membudget, dumps)")
    ap.add_argument("--docs", default=os.path.join(SRC, "docs"))
    ap.add_argument("--command", default="bash ci/bench.sh")
    a = ap.parse_args()
    a.cli = os.path.join(os.path.abspath(a.build), "membudget")
    os.makedirs(os.path.join(a.docs, "img"), exist_ok=True)
    today = datetime.date.today().isoformat()
    machine = machine_words()
    out = [
        "# Pictures",
        "",
        "Every picture here was drawn by `%s` (bench/pictures.py) on %s, %s; the command "
        "that draws each one is written beside it (run from the repository's root, with "
        "build-bench/membudget as `membudget`). The options: `--chart`, `--ascii`, "
        "`--svg FILE`, `--png FILE` (PNG needs cairo at build time) of `membudget plan` and "
        "`membudget snapshot`; the layout is in tools/chart/." % (a.command, machine, today),
        "",
    ]
    out += own_pictures(a)
    out += cluster_picture(a)
    out += kv_capacity(a)
    out += accuracy(a)
    with open(os.path.join(a.docs, "pictures.md"), "w") as f:
        f.write("\n".join(out) + "\n")
    print("bench/pictures.py: wrote docs/pictures.md and docs/img/", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
