#!/usr/bin/env python3
"""Provenance of tests/estimate/: how startups.json and configs/ were assembled (issue 15).

Not run by CI (it reads two public repositories that the build does not have): it was run
once, on 2026-12-01, with these snapshots fetched:

  * llm-d-incubation/llm-d-planner @ d3121e059da88662db39a926a3ead964be97359b ("Add logs"):
    accuracy/results/v0.19.0/logs/*.log, real `vllm serve` start-ups of vLLM 0.19.0 on one
    or more H100 80GB, logged at DEBUG, and results_raw.csv, the figures parsed from them.
    Every row below cites its own log file; the figures were re-read from the log lines
    kept in `evidence`, not only from the CSV.
  * citsjtu2020/LLM-Prof @ 8434c8d19c396b2f95d92a67845a7c0a0e0dd512: sglang/Model_Config.md
    holds vendored Hugging Face config.json files (copied verbatim into configs/).

The twelve rows of ../../../shared/fixtures/vllm-startups/ (issue 15's starter set) are
merged in as they are, with their own sources.

    python3 tests/estimate/tools/build_rows.py PLANNER_GIT LLMPROF_GIT SEED_DIR

The hand rows of rows_2026_12_02.py (multimodal start-ups and other GPUs), of
rows_2026_12_02b.py and of rows_2026_12_02c.py (more held-out start-ups) come after HAND;
without the repositories, `--append-hand` adds every hand row that startups.json lacks:

    python3 tests/estimate/tools/build_rows.py --append-hand
"""
import csv
import io
import json
import os
import re
import subprocess
import sys

from rows_2026_12_02 import HAND_2026_12_02
from rows_2026_12_02b import HAND_2026_12_02B, SAMPLER_NOTE
from rows_2026_12_02c import HAND_2026_12_02C

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
PLANNER_COMMIT = "d3121e059da88662db39a926a3ead964be97359b"
LLMPROF_COMMIT = "8434c8d19c396b2f95d92a67845a7c0a0e0dd512"
PLANNER_URL = ("https://github.com/llm-d-incubation/llm-d-planner/blob/" + PLANNER_COMMIT +
               "/accuracy/results/v0.19.0/logs/")


def git_show(repo, commit, path):
    return subprocess.run(["git", "-C", repo, "show", f"{commit}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def llmprof_configs(repo):
    """The config.json blocks of Model_Config.md, by the name line above each."""
    text = git_show(repo, LLMPROF_COMMIT, "sglang/Model_Config.md")
    out, name, buf, depth = {}, None, [], 0
    for line in text.splitlines():
        if depth == 0 and line.strip() and not line.startswith("{"):
            name = line.strip()
            continue
        if line.startswith("{") and depth == 0:
            buf = []
        depth += line.count("{") - line.count("}")
        buf.append(line)
        if depth == 0 and buf:
            try:
                out[name] = json.loads("\n".join(buf))
            except json.JSONDecodeError:
                pass
            buf = []
    return out


def write_config(name, cfg, source):
    cfg = dict(cfg)
    cfg.pop("_source", None)
    path = os.path.join(OUT, "configs", name + ".json")
    with open(path, "w") as f:
        json.dump({"_source": source, **cfg}, f, indent=1)
        f.write("\n")
    return "configs/" + name + ".json"


LLMPROF = ("citsjtu2020/LLM-Prof sglang/Model_Config.md @" + LLMPROF_COMMIT +
           " (vendored Hugging Face config.json), entry '{}', copied verbatim.")
MEMORY = ("Composed, not copied: the dimensions of {}'s config.json on Hugging Face as "
          "recalled by the author of issue 15's estimate, checked only against the weights "
          "vLLM logged for it ({}). Treat as an architecture description, not the file.")
DERIVED = ("Derived, not copied: {} with the quantization_config that {} declares ({}), "
           "composed from the model card; the checkpoint's own file was not available.")


def configs(llmprof_repo):
    lp = llmprof_configs(llmprof_repo)
    made = {}
    made["Qwen/Qwen3-8B"] = write_config("Qwen--Qwen3-8B", lp["Qwen3-8B"],
                                         LLMPROF.format("Qwen3-8B"))
    made["Qwen/Qwen3-30B-A3B"] = write_config("Qwen--Qwen3-30B-A3B", lp["Qwen3-30B-A3B"],
                                              LLMPROF.format("Qwen3-30B-A3B"))
    # rows_2026_12_02b.py's Qwen3-32B rows
    made["Qwen/Qwen3-32B"] = write_config("Qwen--Qwen3-32B", lp["Qwen3-32B"],
                                          LLMPROF.format("Qwen3-32B"))
    q7 = dict(lp["Qwen2.5-7B"])
    made["Qwen/Qwen2.5-7B-Instruct"] = write_config(
        "Qwen--Qwen2.5-7B", q7, LLMPROF.format("Qwen2.5-7B") +
        " Used for Qwen2.5-7B-Instruct, which has the same dimensions (its own file says "
        "max_position_embeddings 32768; every row here sets max_model_len).")
    llama = json.load(open(os.path.join(OUT, "configs",
                                        "meta-llama--Llama-3.1-8B-Instruct.json")))
    llama.pop("_source", None)
    made["meta-llama/Llama-3.1-8B-Instruct"] = "configs/meta-llama--Llama-3.1-8B-Instruct.json"

    ct_int8 = {"quant_method": "compressed-tensors", "format": "int-quantized",
               "config_groups": {"group_0": {"targets": ["Linear"], "weights": {
                   "num_bits": 8, "type": "int", "strategy": "channel", "symmetric": True},
                   "input_activations": {"num_bits": 8, "type": "int", "dynamic": True,
                                         "strategy": "token"}}}, "ignore": ["lm_head"]}
    ct_fp8 = {"quant_method": "compressed-tensors", "format": "float-quantized",
              "config_groups": {"group_0": {"targets": ["Linear"], "weights": {
                  "num_bits": 8, "type": "float", "strategy": "channel", "symmetric": True},
                  "input_activations": {"num_bits": 8, "type": "float", "dynamic": True,
                                        "strategy": "token"}}}, "ignore": ["lm_head"]}
    gptq4 = {"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": False,
             "sym": True}
    for model, base, name, q, what in [
        ("RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w8a8", llama,
         "RedHatAI--Meta-Llama-3.1-8B-Instruct-quantized.w8a8", ct_int8,
         "int8 weights per channel, compressed-tensors"),
        ("RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w4a16", llama,
         "RedHatAI--Meta-Llama-3.1-8B-Instruct-quantized.w4a16", gptq4,
         "4-bit GPTQ, group 128; vLLM logged quantization=gptq_marlin"),
        ("RedHatAI/Qwen2.5-7B-Instruct-quantized.w8a8", q7,
         "RedHatAI--Qwen2.5-7B-Instruct-quantized.w8a8", ct_int8,
         "int8 weights per channel, compressed-tensors"),
        ("RedHatAI/Qwen2.5-7B-Instruct-fp8-dynamic", q7,
         "RedHatAI--Qwen2.5-7B-Instruct-fp8-dynamic", ct_fp8,
         "fp8 weights per channel, dynamic fp8 activations, compressed-tensors"),
    ]:
        cfg = dict(base)
        cfg["quantization_config"] = q
        made[model] = write_config(name, cfg, DERIVED.format(
            "the base model's config.json (" + ("Llama-3.1-8B" if base is llama else
                                                "Qwen2.5-7B") + ", see its file)", model, what))

    recalled = {
        "meta-llama/Llama-3.3-70B-Instruct": {
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80,
            "num_attention_heads": 64, "num_key_value_heads": 8, "vocab_size": 128256,
            "max_position_embeddings": 131072, "rope_theta": 500000.0,
            "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                             "original_max_position_embeddings": 8192,
                             "rope_type": "llama3"},
            "tie_word_embeddings": False, "torch_dtype": "bfloat16", "hidden_act": "silu"},
        "google/gemma-2-2b-it": {
            "architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2",
            "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
            "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256,
            "vocab_size": 256000, "max_position_embeddings": 8192, "sliding_window": 4096,
            "hidden_activation": "gelu_pytorch_tanh", "torch_dtype": "float32"},
        "google/gemma-2-9b-it": {
            "architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2",
            "hidden_size": 3584, "intermediate_size": 14336, "num_hidden_layers": 42,
            "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 256,
            "vocab_size": 256000, "max_position_embeddings": 8192, "sliding_window": 4096,
            "hidden_activation": "gelu_pytorch_tanh", "torch_dtype": "bfloat16"},
        "google/gemma-2-27b-it": {
            "architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2",
            "hidden_size": 4608, "intermediate_size": 36864, "num_hidden_layers": 46,
            "num_attention_heads": 32, "num_key_value_heads": 16, "head_dim": 128,
            "vocab_size": 256000, "max_position_embeddings": 8192, "sliding_window": 4096,
            "hidden_activation": "gelu_pytorch_tanh", "torch_dtype": "bfloat16"},
        "codellama/CodeLlama-7b-hf": {
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
            "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32016,
            "max_position_embeddings": 16384, "rope_theta": 1000000,
            "tie_word_embeddings": False, "torch_dtype": "bfloat16", "hidden_act": "silu"},
        "microsoft/phi-4": {
            "architectures": ["Phi3ForCausalLM"], "model_type": "phi3",
            "hidden_size": 5120, "intermediate_size": 17920, "num_hidden_layers": 40,
            "num_attention_heads": 40, "num_key_value_heads": 10, "vocab_size": 100352,
            "max_position_embeddings": 16384, "tie_word_embeddings": False,
            "torch_dtype": "bfloat16", "hidden_act": "silu"},
        "mistralai/Mixtral-8x7B-Instruct-v0.1": {
            "architectures": ["MixtralForCausalLM"], "model_type": "mixtral",
            "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
            "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 32000,
            "max_position_embeddings": 32768, "num_local_experts": 8,
            "num_experts_per_tok": 2, "tie_word_embeddings": False,
            "torch_dtype": "bfloat16", "hidden_act": "silu"},
        "deepseek-ai/DeepSeek-V2-Lite-Chat": {
            "architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2",
            "hidden_size": 2048, "intermediate_size": 10944, "moe_intermediate_size": 1408,
            "num_hidden_layers": 27, "num_attention_heads": 16, "num_key_value_heads": 16,
            "kv_lora_rank": 512, "q_lora_rank": None, "qk_nope_head_dim": 128,
            "qk_rope_head_dim": 64, "v_head_dim": 128, "n_routed_experts": 64,
            "n_shared_experts": 2, "num_experts_per_tok": 6, "first_k_dense_replace": 1,
            "moe_layer_freq": 1, "vocab_size": 102400, "max_position_embeddings": 163840,
            "tie_word_embeddings": False, "torch_dtype": "bfloat16", "hidden_act": "silu"},
    }
    logged = {"meta-llama/Llama-3.3-70B-Instruct": "33.88 GiB per rank at TP 2, fp8",
              "google/gemma-2-2b-it": "4.9 GiB", "google/gemma-2-9b-it": "17.22 GiB",
              "google/gemma-2-27b-it": "50.72 GiB", "codellama/CodeLlama-7b-hf": "12.56 GiB",
              "microsoft/phi-4": "27.39 GiB",
              "mistralai/Mixtral-8x7B-Instruct-v0.1": "43.51 GiB per rank at TP 2",
              "deepseek-ai/DeepSeek-V2-Lite-Chat": "29.43 GiB"}
    for model, cfg in recalled.items():
        made[model] = write_config(model.replace("/", "--"), cfg,
                                   MEMORY.format(model, logged[model]))
    l70 = dict(recalled["meta-llama/Llama-3.3-70B-Instruct"])
    l70["quantization_config"] = ct_fp8
    made["RedHatAI/Llama-3.3-70B-Instruct-fp8-dynamic"] = write_config(
        "RedHatAI--Llama-3.3-70B-Instruct-fp8-dynamic", l70, DERIVED.format(
            "meta-llama--Llama-3.3-70B-Instruct.json (itself composed)",
            "RedHatAI/Llama-3.3-70B-Instruct-fp8-dynamic",
            "fp8 weights per channel, compressed-tensors"))
    made["openai/gpt-oss-20b"] = "configs/openai--gpt-oss-20b.json"
    q72 = {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0,
           "bos_token_id": 151643, "eos_token_id": 151645, "hidden_act": "silu",
           "hidden_size": 8192, "initializer_range": 0.02, "intermediate_size": 29568,
           "max_position_embeddings": 32768, "max_window_layers": 70, "model_type": "qwen2",
           "num_attention_heads": 64, "num_hidden_layers": 80, "num_key_value_heads": 8,
           "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": None,
           "tie_word_embeddings": False, "torch_dtype": "bfloat16",
           "transformers_version": "4.44.2", "use_cache": True, "use_sliding_window": False,
           "vocab_size": 152064}
    made["Qwen/Qwen2.5-72B-Instruct"] = write_config(
        "Qwen--Qwen2.5-72B-Instruct", q72,
        "https://github.com/vllm-project/vllm/issues/8691 (comment by DtYXs, 2024-09-23): "
        "the Qwen2Config that transformers printed while loading "
        "Qwen/Qwen2.5-72B-Instruct/config.json, copied verbatim without _name_or_path.")
    return made


KEEP = re.compile(r"non-default args|Defaulting max_num|worker requested memory|"
                  r"Model loading took|Estimated CUDA graph memory|Memory profiling takes|"
                  r"Available KV cache memory|GPU KV cache size|CUDA graph pool memory|"
                  r"init memory snapshot")

# the llm-d-planner runs kept: one per distinct configuration (runs that differ only in
# max_model_len give the same figures; two are kept), models with a config here
WANT = {
    "meta-llama-llama-3-1-8b---h100-80gb--tp1pp1dp1--8192.log": "",
    "meta-llama-llama-3-1-8b--h100-80gb--tp1pp1dp1--32768.log": "",
    "meta-llama-llama-3-1-8b---h100-80gb--tp2pp1dp1--8192.log": "",
    "meta-llama-llama-3-1-8b---h100-80gb--tp4pp1dp1--8192.log": "",
    "meta-llama-llama-3-1-8b---h100-80gb--tp1pp2dp1--8192.log": "",
    "meta-llama-llama-3-1-8b---h100-80gb--tp1pp4dp1--8192.log": "",
    "meta-llama---h100-80gb--tp1pp1dp1--8192-dtbf16-kvfp8.log": "",
    "qwen-qwen2-5-7b-instruct--h100-80gb--tp1pp1dp1--8192.log": "",
    "qwen-qwen2-5-7b-instruc--h100-80gb--tp1pp1dp1--32768.log": "",
    "qwen-qwen2-5-7b-instruct--h100-80gb--tp2pp1dp1--8192.log": "",
    "qwen-qwen2-5-7b-instruct--h100-80gb--tp4pp1dp1--8192.log": "",
    "qwen-qwen2---h100-80gb--tp1pp1dp1--8192-dtbf16-kvfp8.log": "",
    "qwen-qwen3-8b--h100-80gb--tp1pp1dp1--8192.log": "",
    "qwen-qwen3-30b-a3b--h100-80gb--tp1pp1dp1--8192.log": "",
    "openai-gpt-oss-20b--h100-80gb--tp2pp1dp1--8192.log": "",
    "w8a8-redhatai-llam--h100-80gb--tp1pp1dp1--8192-dtf16.log": "",
    "w4a16-redhatai-lla--h100-80gb--tp1pp1dp1--8192-dtf16.log": "",
    "w8a8-redhatai-qwen2-5-7b--h100-80gb--tp1pp1dp1--8192.log": "",
    "fp8dyn-redhatai-qwen2-5---h100-80gb--tp1pp1dp1--8192.log": "",
    "fp8dyn-llama-3-3-70b--h100-80gb--tp2pp1dp1--8192.log": "",
    "fp8dyn-llama-3-3-70b--h100-80gb--tp4pp1dp1--8192.log": "",
    "qwen-qwen2-5-72b-instruc--h100-80gb--tp2pp1dp1--8192.log": "",
    "google-gemma-2-2b-it--h100-80gb--tp1pp1dp1--8192.log": "",
    "google-gemma-2-9b-it--h100-80gb--tp1pp1dp1--8192.log": "",
    "google-gemma-2-27b-it--h100-80gb--tp1pp1dp1--8192.log": "",
    "codellama-codellama-7b-h--h100-80gb--tp1pp1dp1--8192.log": "",
    "microsoft-phi-4--h100-80gb--tp1pp1dp1--8192.log": "",
    "mistralai-mixtral-8x7b-i--h100-80gb--tp2pp1dp1--8192.log": "",
    "deepseek-ai-deepseek-v2---h100-80gb--tp1pp1dp1--8192.log": "",
}


def fnum(s):
    return float(s) if s not in ("", None) else None


def planner_rows(repo, made):
    raw = git_show(repo, PLANNER_COMMIT, "accuracy/results/v0.19.0/results_raw.csv")
    rows = []
    for r in csv.DictReader(io.StringIO(raw)):
        if r["log_file"] not in WANT or r["status"] != "ok":
            continue
        model = r["model"]
        if model not in made:
            print("no config for", model, file=sys.stderr)
            continue
        log = git_show(repo, PLANNER_COMMIT, "accuracy/results/v0.19.0/logs/" + r["log_file"])
        ev = [re.sub(r"^.*?(INFO|DEBUG) ", r"\1 ", l)[:400] for l in log.splitlines()
              if KEEP.search(l)]
        seqs = re.search(r"Defaulting max_num_seqs to (\d+)", log)
        mnbt = re.search(r"Defaulting max_num_batched_tokens to (\d+)", log)
        q = r["quantization"] if r["quantization"] not in ("None", "") else None
        rows.append({
            "id": "llmd-" + r["log_file"].replace(".log", ""),
            "source": PLANNER_URL + r["log_file"],
            "vllm_version": "0.19.0",
            "rules": "v1",
            "charge_cudagraphs": False,
            "gpu": "H100",
            "gpu_model": "NVIDIA H100 80GB HBM3",
            "gpu_total_gib": fnum(r["init_total_memory_gib"]),
            "tensor_parallel_size": int(r["tp"]),
            "pipeline_parallel_size": int(r["pp"]),
            "model": model,
            "config": made[model],
            "dtype": r["dtype"].replace("torch.", ""),
            "quantization": q,
            "kv_cache_dtype": r["kv_cache_dtype"],
            "max_model_len": int(r["max_model_len"]),
            "max_num_seqs": int(seqs.group(1)) if seqs else None,
            "max_num_batched_tokens": int(mnbt.group(1)) if mnbt else None,
            "gpu_memory_utilization": fnum(r["gpu_memory_utilization"]),
            "enforce_eager": False,
            "logged": {
                "weights_gib": fnum(r["weights_memory_gib"]),
                "activation_gib": fnum(r["activation_memory_gib"]),
                "non_torch_gib": fnum(r["non_torch_forward_gib"]),
                "cudagraph_estimated_gib": fnum(r["cuda_graph_estimated_gib"]),
                "cudagraph_actual_gib": fnum(r["cuda_graph_actual_gib"]),
                "available_kv_gib": fnum(r["kv_cache_memory_gib"]),
                "kv_cache_tokens": int(r["kv_cache_tokens"]) if r["kv_cache_tokens"] else None,
            },
            "notes": "vllm serve on H100 80GB by llm-d-planner's accuracy sweep; vLLM 0.19 "
                     "logs the CUDA-graph estimate but does not take it from the KV cache "
                     "(that began in 0.21). Figures per rank (rank 0).",
            "evidence": ev,
        })
    return rows


SEED_MAP = {"weights_gib": "weights_gib", "torch_peak_increase_gib": "activation_gib",
            "non_torch_increase_gib": "non_torch_gib", "available_kv_gib": "available_kv_gib",
            "kv_cache_tokens": "kv_cache_tokens",
            "cuda_graph_estimated_gib": "cudagraph_estimated_gib"}


def seed_rows(seed_dir):
    rows = []
    for s in json.load(open(os.path.join(seed_dir, "startups.json"))):
        v = s["vllm_version"]
        m = re.search(r"(\d+)\.(\d+)", v)
        minor = int(m.group(2)) if m else 0
        rules = "v0" if "V0" in v or minor < 10 else "v1"
        logged = {dst: s.get(src) for src, dst in SEED_MAP.items()}
        gpu = s.get("gpu_model") or ""
        key = ("A100-80GB" if "80GB implied" in gpu else "H100" if "H100" in gpu else "RTX 3090" if "3090" in gpu else
               "RTX 4090" if "4090" in gpu else "A100-40GB" if "40GB" in gpu else
               "A100-80GB" if "A100" in gpu else "RTX PRO 6000" if "PRO 6000" in gpu else
               None)
        rows.append({
            "id": "seed-" + s["id"], "source": s["source"], "vllm_version": v,
            "rules": rules, "charge_cudagraphs": minor >= 21 and rules == "v1",
            "gpu": key, "gpu_model": s.get("gpu_model"),
            "gpu_total_gib": s.get("gpu_total_gib"),
            "tensor_parallel_size": s.get("tensor_parallel_size") or 1,
            "pipeline_parallel_size": s.get("pipeline_parallel_size") or 1,
            "model": s["model"], "config": s["config"], "dtype": s.get("dtype"),
            "quantization": s.get("quantization"), "kv_cache_dtype": s.get("kv_cache_dtype"),
            "max_model_len": s.get("max_model_len"), "max_num_seqs": s.get("max_num_seqs"),
            "max_num_batched_tokens": s.get("max_num_batched_tokens"),
            "gpu_memory_utilization": s.get("gpu_memory_utilization"),
            "enforce_eager": bool(s.get("enforce_eager")),
            "logged": logged, "notes": s.get("notes"), "evidence": s.get("evidence"),
        })
    return rows


# what was read from a seed row's source after the seed was written: seed-row07's quoted
# profile line is a non-driver worker's (the note says why), so bench/estimate.py scores
# it on the binding rank's KV memory, derived from the logged token count (logged_rank)
SEED_READ = {
    "seed-row07": {
        "notes": "`vllm serve --trust-remote-code --tensor_parallel_size 2 --gpu_memory_utilization=0.98 DeepSeek-R1-Distill-Qwen-14B` on 2x RTX 4090; startup fails (131072 > 81536 tokens). The total GPU memory is not in the quoted log lines. Config: Qwen2.5-14B as an architecture proxy. The quoted profile line is a non-driver worker's: V0 samples on the driver rank only (vllm/worker/model_runner.py execute_model: 'Only perform sampling in the driver worker'), so its 0.19 GiB peak has no sampler. The binding rank is the driver: the executor takes the fewest blocks over the workers, and the logged 81,536 tokens are 7.46 GiB of this model's KV per rank (48 layers x 2 x 4 KV heads x 128 x 2 bytes), 1.23 GiB less than this worker's 8.69 GiB: about the sampler's 40 bytes x 256 rows x 152,064 logits (1.45 GiB) of the driver. The estimate predicts the driver's figures.",
        "logged_rank": "worker: the profile line is a non-driver worker's (no sampler on it); its activation and non-torch figures are not the binding rank's, so the benchmark shows them and leaves them out of its statistics. binding_available_kv_gib is the driver's KV memory from the logged 81,536 tokens: 81,536 x 48 layers x 2 x 4 KV heads per rank x 128 x 2 bytes = 8,015,314,944 bytes = 7.465 GiB (V0 rounds down to whole blocks of 16 tokens, so the driver had at most one block, 1.5 MiB, more)",
        "binding_available_kv_gib": 7.465,
    },
}


def apply_seed_read(r):
    extra = SEED_READ.get(r["id"])
    if extra:
        r["notes"] = extra["notes"]
        r["logged_rank"] = extra["logged_rank"]
        r["logged"]["binding_available_kv_gib"] = extra["binding_available_kv_gib"]


# which top-k/top-p filter a row's profile ran, read from its source's topk_topp_sampler.py
# line after the row was written (rows of HAND and rows_2026_12_02.py; the rows of
# rows_2026_12_02b.py and later carry `sampler` themselves): the line goes into `evidence`
# and bench/estimate.py passes `--sampler`. Only from a quoted line, never from the logged
# activation figure.
SAMPLER_READ = {
    "kserve-qwen2.5-vl-7b-l4": ("kernel", "INFO 08-31 08:01:45 [topk_topp_sampler.py:49] Using "
                                "FlashInfer for top-p & top-k sampling."),
    "hello-qwen2.5-vl-7b-a100-util022": (
        "kernel", "(EngineCore pid=129) INFO 07-01 04:23:52 [topk_topp_sampler.py:55] Using "
                  "FlashInfer for top-p & top-k sampling."),
    "esp-llava-v1.6-mistral-7b-h100": (
        "sort", "(EngineCore_DP0 pid=3021) WARNING 09-23 18:12:09 [topk_topp_sampler.py:69] "
                "FlashInfer is not available. Falling back to the PyTorch-native implementation "
                "of top-p & top-k sampling. For the best performance, please install FlashInfer."),
    "l40s-qwen3-235b-2507-fp8-tp8-ep": (
        "sort", "WARNING 09-24 20:46:11 [topk_topp_sampler.py:69] FlashInfer is not available. "
                "Falling back to the PyTorch-native implementation of top-p & top-k sampling. "
                "For the best performance, please install FlashInfer. (once per worker, 8 times)"),
    "sipeed-qwen3-vl-30b-a3b-tp4-3090": (
        "sort", "WARNING 10-06 15:56:47 [topk_topp_sampler.py:66] FlashInfer is not available. "
                "Falling back to the PyTorch-native implementation of top-p & top-k sampling. "
                "For the best performance, please install FlashInfer. (once per TP worker, 4 "
                "times; read in the page as the string index stores it, commit 22b7e6f0, the "
                "same start-up's log as the cited db46b93c)"),
    "debug-llama-3.2-1b-44gib": ("kernel", "INFO 08-06 10:17:19 [topk_topp_sampler.py:49] Using "
                                 "FlashInfer for top-p & top-k sampling."),
}


def apply_sampler_read(r):
    """Set `sampler` from SAMPLER_READ (idempotent: the line and the note go in once)."""
    got = SAMPLER_READ.get(r["id"])
    if not got or r.get("sampler") == got[0]:
        return
    r["sampler"] = got[0]
    r["evidence"] = list(r.get("evidence") or []) + [got[1]]
    r["notes"] = ((r.get("notes") or "") + " " + SAMPLER_NOTE[got[0]]).strip()


# rows the estimate cannot predict, and why: bench/estimate.py keeps them in the table,
# flags them and reports its statistics with and without them
UNPREDICTABLE = {
    "seed-row08": "V0 log with an unexplained peak: 9.37 GiB of activation for an 8B model at 8192 tokens (7 to 11 times what every other 8B row logs); the issue does not show the flags behind it",
    "seed-row09": "an LMCache connector (--kv-transfer-config LMCacheConnectorV1) allocates its own GPU buffers inside the profile; the estimate does not model connectors",
    "seed-row11": "start-up left no KV cache (-2.14 GiB logged): a relative error of a figure near 0 says nothing, see the absolute error",
    "seed-row12": "start-up left almost no KV cache (1.71 GiB of 75 GiB requested): a relative error of a figure near 0 says nothing, see the absolute error",
}


# rows read by hand from issue threads (the quoted lines are in `evidence`)
HAND = [
    {"id": "vllm51590-gpt-oss-120b-tp8", "source":
     "https://github.com/vllm-project/vllm/pull/51590 (comment by longluubao, 2026-09-21)",
     "vllm_version": "0.28.0", "rules": "v1", "charge_cudagraphs": True,
     "gpu": "RTX PRO 4500", "gpu_model": "NVIDIA RTX PRO 4500 Blackwell Server Edition",
     "gpu_total_gib": 31.38, "tensor_parallel_size": 8, "pipeline_parallel_size": 1,
     "model": "openai/gpt-oss-120b", "config": "configs/openai--gpt-oss-120b.json",
     "dtype": None, "quantization": "mxfp4", "kv_cache_dtype": None,
     "max_model_len": None, "max_num_seqs": 256, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.95, "enforce_eager": False,
     "logged": {"weights_gib": 9.98, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": None,
                "available_kv_gib": 19.0, "kv_cache_tokens": None},
     "notes": "8 cards, TP 8, max_num_seqs 256, utilization 0.95; total from "
              "torch.cuda.get_device_properties (33689829376 B). The figures are the "
              "comment's table of the engine's own numbers, not verbatim log lines.",
     "evidence": ["| requested budget (`gpu_memory_utilization=0.95`) | **29.81 GiB** per "
                  "worker |", "| estimated KV cache budget | 19.0 GiB |",
                  "| model weights | 9.98 GiB |"]},
    {"id": "vllm17327-qwen3-30b-a3b-tp4-a10", "source":
     "https://github.com/vllm-project/vllm/issues/17327 (comment by cpwan, 2025-04-30) and "
     "https://github.com/vllm-project/vllm/issues/17469 (same log)",
     "vllm_version": "0.8.5 (V1)", "rules": "v1", "charge_cudagraphs": False,
     "gpu": "A10", "gpu_model": "NVIDIA A10 (4 x A10, 96GB VRAM per the comment)",
     "gpu_total_gib": None, "tensor_parallel_size": 4, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen3-30B-A3B", "config": "configs/Qwen--Qwen3-30B-A3B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 8192, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 14.2474, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": None,
                "available_kv_gib": None, "kv_cache_tokens": 198784},
     "notes": "Qwen/Qwen3-30B-A3B on 4 x A10, vLLM 0.8.5; max_model_len 8192 inferred from "
              "the concurrency line, utilization 0.9 (the 0.8.5 default) inferred; the "
              "start-up later fails capturing CUDA graphs.",
     "evidence": ["(VllmWorker rank=0 pid=105) INFO 04-29 01:07:41 [gpu_model_runner.py:1347] "
                  "Model loading took 14.2474 GiB and 558.868858 seconds",
                  "INFO 04-29 01:09:49 [kv_cache_utils.py:634] GPU KV cache size: 198,784 "
                  "tokens", "INFO 04-29 01:09:49 [kv_cache_utils.py:637] Maximum concurrency "
                  "for 8,192 tokens per request: 24.27x"]},
    {"id": "lmcache3430-qwen3-8b", "source":
     "https://github.com/LMCache/LMCache/issues/3430 (description by yangyonggit, 2026-05-28)",
     "vllm_version": ">=0.21 (CUDA-graph profiling on by default)", "rules": "v1",
     "charge_cudagraphs": True, "gpu": "RTX 4090",
     "gpu_model": "a 24 GB GPU (the issue's title); RTX 4090 inferred",
     "gpu_total_gib": None, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen3-8B", "config": "configs/Qwen--Qwen3-8B.json", "dtype": None,
     "quantization": None, "kv_cache_dtype": None, "max_model_len": 16384,
     "max_num_seqs": 256, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9764, "enforce_eager": False,
     "logged": {"weights_gib": None, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": 0.52, "cudagraph_actual_gib": None,
                "available_kv_gib": 6.37, "kv_cache_tokens": 46368},
     "notes": "LMCache's CPU-offloading quickstart with Qwen/Qwen3-8B; the GPU is only said "
              "to be 24 GB (RTX 4090 inferred, its table total used); 256 requests from "
              "FULL=35 (largest=256).",
     "evidence": ["[gpu_model_runner.py:6063] Profiling CUDA graph memory: PIECEWISE=51 "
                  "(largest=512), FULL=35 (largest=256)",
                  "[gpu_model_runner.py:6142] Estimated CUDA graph memory: 0.52 GiB total",
                  "[gpu_worker.py:462] Available KV cache memory: 6.37 GiB",
                  "The current --gpu-memory-utilization=0.9764 is equivalent to "
                  "--gpu-memory-utilization=0.9543 without CUDA graph memory profiling.",
                  "[kv_cache_utils.py:1710] GPU KV cache size: 46,368 tokens"]},
]


def append_hand():
    """Add the hand rows startups.json lacks, keeping every row it has (no repositories)."""
    path = os.path.join(OUT, "startups.json")
    rows = json.load(open(path))
    have = {r["id"] for r in rows}
    # rows already there take what was read after they were written: a `sampler` line
    # (SAMPLER_READ, or the row's own in rows_2026_12_02b.py and later), as a rebuild would
    later = {r["id"]: r for r in HAND_2026_12_02B + HAND_2026_12_02C}
    for r in rows:
        apply_sampler_read(r)
        src = later.get(r["id"])
        if src and src.get("sampler") and r.get("sampler") != src["sampler"]:
            for k in ("sampler", "evidence", "notes"):
                r[k] = src[k]
    added = [r for r in HAND + HAND_2026_12_02 + HAND_2026_12_02B + HAND_2026_12_02C
             if r["id"] not in have]
    for r in added:
        apply_sampler_read(r)
        if r["id"] in UNPREDICTABLE:
            r["unpredictable"] = UNPREDICTABLE[r["id"]]
        cfg = os.path.join(OUT, r["config"])
        if not os.path.exists(cfg):
            sys.exit("build_rows.py: row %s names %s, which is missing: add the model's "
                     "config.json there first" % (r["id"], cfg))
    with open(path, "w") as f:
        json.dump(rows + added, f, indent=1)
        f.write("\n")
    print(len(added), "rows added,", len(rows) + len(added), "in all")


def main():
    if sys.argv[1:] == ["--append-hand"]:
        append_hand()
        return
    if len(sys.argv) != 4:
        sys.exit("usage: build_rows.py PLANNER_GIT LLMPROF_GIT SEED_DIR | --append-hand")
    planner, llmprof, seed = sys.argv[1:4]
    made = configs(llmprof)
    rows = (planner_rows(planner, made) + seed_rows(seed) + HAND + HAND_2026_12_02 +
            HAND_2026_12_02B + HAND_2026_12_02C)
    for r in rows:  # kept and shown, counted apart (bench/estimate.py)
        apply_seed_read(r)
        apply_sampler_read(r)
        if r["id"] in UNPREDICTABLE:
            r["unpredictable"] = UNPREDICTABLE[r["id"]]
    with open(os.path.join(OUT, "startups.json"), "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")
    print(len(rows), "rows")


if __name__ == "__main__":
    main()
