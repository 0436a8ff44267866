#!/usr/bin/env python3
"""Prints docs/plan.md's table of the golden cases: vLLM 0.33.0's figures (from
tests/kv/golden/plan_cases.json) beside `membudget plan --json`'s for the same case.

    python3 tests/kv/golden_table.py BUILD/membudget > /tmp/table.md

Cases whose pipeline stages hold different memory cannot be given to the CLI (it plans every
rank alike); test_kv_golden checks those through the library, and the table says so.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "fixtures", "models")


def cli(binary, c):
    a = c["available"]
    if isinstance(a, list):
        if len(set(a)) != 1:
            return "(library only: stages differ)"
        a = a[0]
    if a <= 0:
        return "(library only: --kv-cache-memory-bytes 0 is a usage error)"
    args = [binary, "plan", "--model", os.path.join(MODELS, c["model"]), "--total-memory", "1T",
            "--kv-cache-memory-bytes", str(a), "--block-size", str(c["block_size"]),
            "-tp", str(c["tp"]), "--pipeline-parallel-size", str(c["pp"]),
            "--max-num-seqs", "256", "--max-num-batched-tokens",
            str(c["max_num_batched_tokens"]), "--json"]
    if c.get("kv_cache_dtype"):
        args += ["--kv-cache-dtype", c["kv_cache_dtype"]]
    if c.get("max_model_len") == -1:
        args += ["--max-model-len", "auto"]
    elif c.get("max_model_len"):
        args += ["--max-model-len", str(c["max_model_len"])]
    if c.get("num_gpu_blocks_override") is not None:
        args += ["--num-gpu-blocks-override", str(c["num_gpu_blocks_override"])]
    if not c["async_scheduling"]:
        args += ["--no-async-scheduling"]
    if c.get("prefix_caching") is False:
        args += ["--no-enable-prefix-caching"]
    if c.get("num_speculative_tokens"):
        args += ["--num-speculative-tokens", str(c["num_speculative_tokens"])]
    if c.get("cc"):  # the GPU whose compute capability the case names (GDN's prefill backend)
        args += ["--gpu", {90: "H100", 80: "A100-80GB"}.get(c["cc"], "B200")]
    r = subprocess.run(args, capture_output=True, text=True)
    return json.loads(r.stdout)


def fig(d):
    if not d.get("fits"):
        return "refuses"
    if d.get("kv_cache_tokens") is None:  # no KV-cache group (encoder-only): nothing logged
        return "%d block (null block only), no KV cache / %d" % (d["num_blocks"],
                                                                 d["max_model_len"])
    return "%d / %d / %.2f / %d" % (d["num_blocks"], d["kv_cache_tokens"], d["max_concurrency"],
                                    d["max_model_len"])


def compress(groups):
    """'Mamba x4, Mamba x4, Mamba x4, Full x4' -> '3 x (Mamba x4), Full x4'."""
    out, parts = [], groups.split(", ")
    i = 0
    while i < len(parts):
        j = i
        while j + 1 < len(parts) and parts[j + 1] == parts[i]:
            j += 1
        out.append(parts[i] if j == i else "%d x (%s)" % (j - i + 1, parts[i]))
        i = j + 1
    return ", ".join(out)


def main():
    doc = json.load(open(os.path.join(HERE, "golden", "plan_cases.json")))
    print("| case | groups (vLLM) | vLLM: blocks / tokens / concurrency / max_model_len "
          "| membudget (CLI) |")
    print("|---|---|---|---|")
    for e in doc["cases"]:
        c, v = e["case"], e["vllm"]
        groups = ", ".join("%s x%d" % (g["kind"].replace("AttentionSpec", "").replace(
            "KVCacheSpecs", "").replace("Spec", ""), g["layers"]) for g in v.get("groups", [])) or "-"
        groups = compress(groups)
        m = cli(sys.argv[1], c)
        if isinstance(m, str):
            mine = m
        elif not m.get("fits"):
            mine = "refuses" + ("" if m.get("vllm_error") == v.get("error") else " (other text)")
        else:
            mine = fig(m)
        print("| %s | %s | %s | %s |" % (c["name"], groups, fig(v), mine))


if __name__ == "__main__":
    main()
