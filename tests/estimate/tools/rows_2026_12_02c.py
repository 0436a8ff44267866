"""Hand rows added on 2026-12-02, fourth pass (issue 15: more held-out rows, preferring logs
that say which top-k/top-p sampler the profile ran). Every start-up read for this pass whose
settings, device and logged KV budget could be read is here, whatever the estimate makes of
it; the sources read and left out are listed in tests/estimate/README.md with the reason.

Sources: six files the search tool's string index found by content and names only by an id
(their `source` gives the id and says so): a Chinese note on the KV-cache size of
DeepSeek-R1-Distill-Qwen-1.5B with vLLM 0.8.3 on an RTX 4090D (51774936285), the log of an
RL job's four vLLM 0.11.0 engines for Qwen2.5-Math-1.5B (53815542336), an Arm learning path
serving Mistral-7B-Instruct-v0.2-GPTQ on a DGX Spark with NVIDIA's vLLM 0.11.0 build
(9009555428), a Chinese tutorial deploying Qwen2.5-0.5B-Instruct with vLLM 0.9.2 on AutoDL
(55921714709) and a Chinese tutorial of vLLM 0.8.4's offline API with Qwen2.5-7B at TP 1 and
2 and DeepSeek-R1-Distill-Qwen-7B at TP 2 (60295104134), and a comparison of Ollama and vLLM
with Qwen3-30B-A3B-Instruct-2507-FP8 on two L40S at 0.10.2 (39328153190, no sampler line).

Each row's `sampler` (where set) is read from its own topk_topp_sampler.py line, quoted in `evidence`
(rows_2026_12_02b.SAMPLER_NOTE), never from the logged activation or the error. Where a
setting, the GPU or the version is not in the source, `notes` (or `gpu_model`,
`vllm_version`) says what was inferred and from what.
"""

from rows_2026_12_02b import SAMPLER_NOTE

INDEX = ("found with the search tool's string index as file id {} on 2026-12-02; the index "
         "does not name its repository")

QWEN7B_SRC = ("a Markdown tutorial in a public GitHub repository (in Chinese: vLLM offline inference "
              "with a local Qwen2.5-7B from ModelScope, its LLM(...) cells and their output), " +
              INDEX.format(60295104134))
QWEN7B_GPU = ("a 24 GB card, not named in the part read (four GPUs without P2P: 'Custom allreduce "
              "is disabled because your platform lacks GPU P2P capability', i.e. GeForce cards); "
              "inferred from the figures with the logged sort sampler: at TP 1 and 0.9, 14.27 GiB "
              "of weights and the 5.22 GiB of KV cache that the logged tokens are leave 1.7 GiB on "
              "a 24 GB card, 0.4 on a 22 GiB A10/L4 (less than the sort's 1.4 GiB alone) and 8.7 "
              "on a 32 GB card; the RTX 4090's table total is used (the 3090's differs by 0.03 "
              "GiB)")

HAND_2026_12_02C = [
    {"id": "strindex-r1-distill-qwen-1.5b-4090d-v083", "source":
     "a Markdown note in a public GitHub repository (in Chinese: how vLLM sizes the KV cache, "
     "with the start-up log of `vllm serve` for DeepSeek-R1-Distill-Qwen-1.5B and the model's "
     "config.json), " + INDEX.format(51774936285),
     "vllm_version": "0.8.3 (V1; 'Initializing a V1 LLM engine (v0.8.3)')",
     "rules": "v1", "charge_cudagraphs": False,
     "gpu": "RTX-4090",
     "gpu_model": "NVIDIA GeForce RTX 4090D, 24 GB (the note: '对于你的4090D(24GB)'); the RTX "
                  "4090's table total is used (the 4090D has the same 24 GB; its runtime total "
                  "is not logged)",
     "gpu_total_gib": None, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
     "config": "configs/deepseek-ai--DeepSeek-R1-Distill-Qwen-1.5B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": None, "max_num_seqs": None, "max_num_batched_tokens": 2048,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 3.3465, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 1.47,
                "available_kv_gib": None, "kv_cache_tokens": 426448},
     "sampler": "sort",
     "notes": "vllm serve of a local DeepSeek-R1-Distill-Qwen-1.5B with the defaults (the "
              "argument dump shows gpu_memory_utilization=0.9, max_num_seqs=None; the model's "
              "131072 tokens, logged as max_seq_len). vLLM 0.8.3 logs only the token count, "
              "not the KV memory (426,448 tokens x 28,672 bytes = 11.39 GiB, the note's own "
              "figure), so only the tokens are scored. The card is the note's 4090D. " +
              SAMPLER_NOTE["sort"],
     "evidence": [
         "INFO 04-14 06:01:01 [config.py:1780] Chunked prefill is enabled with "
         "max_num_batched_tokens=2048.",
         "INFO 04-14 06:01:11 [core.py:61] Initializing a V1 LLM engine (v0.8.3) with config: "
         "model='/data/DeepSeek-R1-Distill-Qwen-1.5B', ... dtype=torch.bfloat16, "
         "max_seq_len=131072, ... tensor_parallel_size=1, pipeline_parallel_size=1, ... "
         "quantization=None, enforce_eager=False, kv_cache_dtype=auto",
         "WARNING 04-14 06:01:12 [topk_topp_sampler.py:69] FlashInfer is not available. "
         "Falling back to the PyTorch-native implementation of top-p & top-k sampling. For "
         "the best performance, please install FlashInfer.",
         "INFO 04-14 06:01:14 [gpu_model_runner.py:1273] Model loading took 3.3465 GiB and "
         "1.192773 seconds",
         "INFO 04-14 06:02:04 [kv_cache_utils.py:578] GPU KV cache size: 426,448 tokens",
         "INFO 04-14 06:02:04 [kv_cache_utils.py:581] Maximum concurrency for 131,072 tokens "
         "per request: 3.25x",
         "INFO 04-14 06:02:33 [gpu_model_runner.py:1608] Graph capturing finished in 29 secs, "
         "took 1.47 GiB",
         "- 总可用显存 = 24GB * 0.9 = 21.6GB"]},

    {"id": "strindex-qwen2.5-math-1.5b-h100-v0110", "source":
     "a log file in a public GitHub repository (an RL job's console: four vLLM LLM engines "
     "for Qwen2.5-Math-1.5B started together, then a failure), " +
     INDEX.format(53815542336),
     "vllm_version": "0.11.0 ('Initializing a V1 LLM engine (v0.11.0)')",
     "rules": "v1", "charge_cudagraphs": False,
     "gpu": "H100",
     "gpu_model": "an 80 GB card not named in the log; H100 (or H800, the same memory) "
                  "inferred: 70.35 GiB of KV cache beside 2.88 GiB of weights at utilization "
                  "0.95 needs a card of about 77 GiB or more, and the logged 16384 batched "
                  "tokens are 0.11's LLM-class default only on a card of 70 GiB or more whose "
                  "name lacks 'A100' (vllm/engine/arg_utils.py _set_default_args, as recalled "
                  "and not re-read in this pass)",
     "gpu_total_gib": None, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen2.5-Math-1.5B", "config": "configs/Qwen--Qwen2.5-Math-1.5B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": None, "max_num_seqs": 1024, "max_num_batched_tokens": 16384,
     "gpu_memory_utilization": 0.95, "enforce_eager": False,
     "logged": {"weights_gib": 2.8798, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 3.49,
                "available_kv_gib": 70.35, "kv_cache_tokens": 2634544},
     "sampler": "kernel",
     "notes": "LLM(model=Qwen2.5-Math-1.5B, gpu_memory_utilization=0.95) in four processes "
              "(EngineCore pids 39535, 39539, 39544, 39549, one engine each); the figures are "
              "pid 39535's, the only engine whose KV line the part read shows. max_num_seqs "
              "1024 is inferred as 0.11's LLM-class default on such a card (the rule that "
              "gives the logged 16384 tokens); the model's 4096 tokens are logged. The engine "
              "failed later, in the warm-up's _dummy_sampler_run after the CUDA-graph "
              "capture, so the KV budget had been set by then. The GPU is inferred (gpu_model "
              "says how). " + SAMPLER_NOTE["kernel"],
     "evidence": [
         "INFO 03-03 19:26:04 [utils.py:233] non-default args: {'tokenizer': '/mnt/.../"
         "Qwen2.5-Math-1.5B', 'gpu_memory_utilization': 0.95, 'disable_log_stats': True, "
         "'model': '/mnt/.../Qwen2.5-Math-1.5B'}",
         "INFO 03-03 19:26:05 [model.py:1510] Using max model len 4096",
         "INFO 03-03 19:26:05 [scheduler.py:205] Chunked prefill is enabled with "
         "max_num_batched_tokens=16384.",
         "(EngineCore_DP0 pid=39535) INFO 03-03 19:33:23 [topk_topp_sampler.py:55] Using "
         "FlashInfer for top-p & top-k sampling.",
         "(EngineCore_DP0 pid=39535) INFO 03-03 19:33:25 [gpu_model_runner.py:2653] Model "
         "loading took 2.8798 GiB and 0.980978 seconds",
         "(EngineCore_DP0 pid=39535) INFO 03-03 19:38:23 [gpu_worker.py:298] Available KV "
         "cache memory: 70.35 GiB",
         "(EngineCore_DP0 pid=39535) INFO 03-03 19:38:23 [kv_cache_utils.py:1087] GPU KV "
         "cache size: 2,634,544 tokens",
         "(EngineCore_DP0 pid=39535) INFO 03-03 19:38:29 [gpu_model_runner.py:3480] Graph "
         "capturing finished in 5 secs, took 3.49 GiB",
         "(EngineCore_DP0 pid=39535) ERROR 03-03 19:38:29 [core.py:708] EngineCore failed to "
         "start. ... in _dummy_sampler_run"]},

    {"id": "strindex-mistral-7b-gptq-gb10-v0110", "source":
     "an Arm learning path in a public GitHub repository ('Real-Time Offline Voice Chatbot "
     "Using STT and vLLM', its vLLM launch on a DGX Spark with the log), " +
     INDEX.format(9009555428),
     "vllm_version": "0.11.0+582e4e37.nv25.11 (NVIDIA's vLLM container 25.11)",
     "rules": "v1", "charge_cudagraphs": False,
     "gpu": "GB10",
     "gpu_model": "NVIDIA DGX Spark (GB10, memory shared with the CPU; the page: 'install "
                  "vLLM on DGX Spark'); the table's GB10 total is used (the log does not give "
                  "it)",
     "gpu_total_gib": None, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "TheBloke/Mistral-7B-Instruct-v0.2-GPTQ",
     "config": "configs/TheBloke--Mistral-7B-Instruct-v0.2-GPTQ.json",
     "dtype": "float16", "quantization": "gptq", "kv_cache_dtype": None,
     "max_model_len": None, "max_num_seqs": None, "max_num_batched_tokens": 2048,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 3.8844, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": -0.03,
                "available_kv_gib": 102.56, "kv_cache_tokens": 840160},
     "sampler": "kernel",
     "notes": "vllm serve /models/mistral-7b --quantization gptq --gpu-memory-utilization "
              "0.9 --dtype float16, the model being TheBloke/Mistral-7B-Instruct-v0.2-GPTQ (the "
              "page's hf download into ~/models/mistral-7b); the checkpoint's own GPTQ "
              "(--quantization gptq names the checkpoint's method, forced over gptq_marlin), "
              "not a load-time quantization. The model's 32768 tokens are logged; max_num_seqs "
              "is the version's default. The config is composed (its _source says so). "
              + SAMPLER_NOTE["kernel"],
     "evidence": [
         "docker run -it --gpus all -p 8000:8000 -v ~/models:/models "
         "nvcr.io/nvidia/vllm:${LATEST_VLLM_VERSION} vllm serve /models/mistral-7b "
         "--quantization gptq --gpu-memory-utilization 0.9 --dtype float16",
         "hf download TheBloke/Mistral-7B-Instruct-v0.2-GPTQ --local-dir ~/models/mistral-7b",
         "(APIServer pid=1) INFO 01-23 15:48:29 [api_server.py:1842] vLLM API server version "
         "0.11.0+582e4e37.nv25.11",
         "(APIServer pid=1) INFO 01-23 15:48:33 [model.py:1510] Using max model len 32768",
         "(APIServer pid=1) INFO 01-23 15:48:33 [scheduler.py:205] Chunked prefill is enabled "
         "with max_num_batched_tokens=2048.",
         "(EngineCore_DP0 pid=164) INFO 01-23 15:48:47 [topk_topp_sampler.py:55] Using "
         "FlashInfer for top-p & top-k sampling.",
         "(EngineCore_DP0 pid=164) INFO 01-23 15:49:08 [gpu_model_runner.py:2653] Model "
         "loading took 3.8844 GiB and 20.442057 seconds",
         "(EngineCore_DP0 pid=164) INFO 01-23 15:50:05 [gpu_worker.py:298] Available KV cache "
         "memory: 102.56 GiB",
         "(EngineCore_DP0 pid=164) INFO 01-23 15:50:06 [kv_cache_utils.py:1087] GPU KV cache "
         "size: 840,160 tokens",
         "(EngineCore_DP0 pid=164) INFO 01-23 15:50:29 [gpu_model_runner.py:3480] Graph "
         "capturing finished in 18 secs, took -0.03 GiB"]},

    {"id": "strindex-qwen2.5-0.5b-24gb-v092-util06", "source":
     "a Markdown tutorial in a public GitHub repository (in Chinese: deploying Qwen2.5-0.5B-Instruct "
     "with vLLM on an AutoDL instance, section 4.2 'offline batch', its code and output), " +
     INDEX.format(55921714709),
     "vllm_version": "0.9.2 ('Initializing a V1 LLM engine (v0.9.2)')",
     "rules": "v1", "charge_cudagraphs": False,
     "gpu": "RTX-4090",
     "gpu_model": "a 24 GB card, not named in the part read (an AutoDL instance, /root/autodl-tmp); "
                  "inferred from the figures with the logged sort sampler: 0.6 of the card must hold "
                  "11.71 GiB of KV cache, 0.93 GiB of weights and the sort's 1.4 GiB for 256 rows of "
                  "151,936 logits, which a 22 GiB A10/L4 cannot and a 32 GB card would leave 6 GiB "
                  "unexplained; the RTX 4090's table total is used (the 3090's differs by 0.03 GiB)",
     "gpu_total_gib": None, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen2.5-0.5B-Instruct", "config": "configs/Qwen--Qwen2.5-0.5B-Instruct.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 2048, "max_num_seqs": None, "max_num_batched_tokens": 8192,
     "gpu_memory_utilization": 0.6, "enforce_eager": False,
     "logged": {"weights_gib": 0.9277, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 0.37,
                "available_kv_gib": 11.71, "kv_cache_tokens": 1022896},
     "sampler": "sort",
     "notes": "LLM(model=Qwen2.5-0.5B-Instruct, max_model_len=2048, gpu_memory_utilization=0.6) "
              "as the tutorial's code shows it; max_num_seqs is the version's LLM-class default. "
              "The same page's throughput benchmark starts the model a second time (float16, "
              "eager, the same 11.71 GiB) with settings its quoted code does not show; that "
              "start-up is not a row. The GPU is inferred (gpu_model says how), so this row's "
              "error partly tests that inference. " + SAMPLER_NOTE["sort"],
     "evidence": [
         "llm = LLM(model=\"/root/autodl-tmp/Qwen2___5-0___5B-Instruct\", max_model_len=2048, "
         "gpu_memory_utilization=0.6)",
         "INFO 07-10 15:18:19 [config.py:1472] Using max model len 2048",
         "INFO 07-10 15:18:20 [config.py:2285] Chunked prefill is enabled with "
         "max_num_batched_tokens=8192.",
         "INFO 07-10 15:18:20 [core.py:69] Initializing a V1 LLM engine (v0.9.2) with config: ... "
         "dtype=torch.bfloat16, max_seq_len=2048, ... tensor_parallel_size=1, ... "
         "enforce_eager=False, kv_cache_dtype=auto",
         "WARNING 07-10 15:18:21 [topk_topp_sampler.py:59] FlashInfer is not available. Falling "
         "back to the PyTorch-native implementation of top-p & top-k sampling. For the best "
         "performance, please install FlashInfer.",
         "INFO 07-10 15:18:22 [gpu_model_runner.py:1801] Model loading took 0.9277 GiB and "
         "0.473288 seconds",
         "INFO 07-10 15:18:32 [gpu_worker.py:232] Available KV cache memory: 11.71 GiB",
         "INFO 07-10 15:18:32 [kv_cache_utils.py:716] GPU KV cache size: 1,022,896 tokens",
         "INFO 07-10 15:18:43 [gpu_model_runner.py:2326] Graph capturing finished in 11 secs, "
         "took 0.37 GiB"]},

    {"id": "strindex-qwen2.5-7b-24gb-v084", "source": QWEN7B_SRC,
     "vllm_version": "0.8.4 (V1; 'Initializing a V1 LLM engine (v0.8.4)')",
     "rules": "v1", "charge_cudagraphs": False,
     "gpu": "RTX-4090", "gpu_model": QWEN7B_GPU,
     "gpu_total_gib": None, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen2.5-7B", "config": "configs/Qwen--Qwen2.5-7B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 4096, "max_num_seqs": None, "max_num_batched_tokens": 8192,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 14.2717, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 1.44,
                "available_kv_gib": None, "kv_cache_tokens": 97680},
     "sampler": "sort",
     "notes": "LLM(model=Qwen2___5-7B, trust_remote_code=True, max_model_len=4096): utilization "
              "0.9 and max_num_seqs are the version's LLM-class defaults. vLLM 0.8.4 logs only the "
              "token count (97,680 tokens x 57,344 bytes = 5.22 GiB), so only the tokens are "
              "scored. The GPU is inferred (gpu_model says how). " + SAMPLER_NOTE["sort"],
     "evidence": [
         "llm = LLM(model=\"/home/08_vllm/qwen/Qwen2___5-7B\", trust_remote_code=True, "
         "max_model_len=4096)",
         "INFO 04-18 14:22:03 [config.py:1901] Chunked prefill is enabled with "
         "max_num_batched_tokens=8192.",
         "INFO 04-18 14:22:04 [core.py:61] Initializing a V1 LLM engine (v0.8.4) with config: ... "
         "dtype=torch.bfloat16, max_seq_len=4096, ... tensor_parallel_size=1, ... "
         "enforce_eager=False, kv_cache_dtype=auto",
         "WARNING 04-18 14:22:06 [topk_topp_sampler.py:69] FlashInfer is not available. Falling "
         "back to the PyTorch-native implementation of top-p & top-k sampling. For the best "
         "performance, please install FlashInfer.",
         "INFO 04-18 14:22:11 [gpu_model_runner.py:1291] Model loading took 14.2717 GiB and "
         "4.991946 seconds",
         "INFO 04-18 14:22:31 [kv_cache_utils.py:634] GPU KV cache size: 97,680 tokens",
         "INFO 04-18 14:22:55 [gpu_model_runner.py:1626] Graph capturing finished in 24 secs, "
         "took 1.44 GiB"]},

    {"id": "strindex-qwen2.5-7b-tp2-24gb-v084-util08", "source": QWEN7B_SRC,
     "vllm_version": "0.8.4 (V1)", "rules": "v1", "charge_cudagraphs": False,
     "gpu": "RTX-4090", "gpu_model": QWEN7B_GPU + "; the same machine as the TP 1 row",
     "gpu_total_gib": None, "tensor_parallel_size": 2, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen2.5-7B", "config": "configs/Qwen--Qwen2.5-7B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 4096, "max_num_seqs": None, "max_num_batched_tokens": 8192,
     "gpu_memory_utilization": 0.8, "enforce_eager": False,
     "logged": {"weights_gib": 7.1441, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 2.13,
                "available_kv_gib": None, "kv_cache_tokens": 359328},
     "sampler": "sort",
     "notes": "The same tutorial's second start-up: LLM(..., tensor_parallel_size=2, "
              "gpu_memory_utilization=0.8, max_model_len=4096) over multiprocessing workers, "
              "custom all-reduce off (no P2P). The two workers log 359,328 and 359,712 tokens; "
              "the smaller (the binding one) is kept, 9.59 GiB of KV per rank at 28,672 bytes "
              "per token. Only the tokens are scored (0.8.4 does not log the KV memory). " +
              SAMPLER_NOTE["sort"],
     "evidence": [
         "llm = LLM(model=\"/home/08_vllm/qwen/Qwen2___5-7B\", trust_remote_code=True, "
         "tensor_parallel_size=2, gpu_memory_utilization=0.8, max_model_len=4096)",
         "INFO 04-18 14:33:13 [config.py:1901] Chunked prefill is enabled with "
         "max_num_batched_tokens=8192.",
         "WARNING 04-18 14:33:18 [custom_all_reduce.py:146] Custom allreduce is disabled because "
         "your platform lacks GPU P2P capability or P2P test failed.",
         "(VllmWorker rank=0 pid=182840) WARNING 04-18 14:33:18 [topk_topp_sampler.py:69] "
         "FlashInfer is not available. Falling back to the PyTorch-native implementation of "
         "top-p & top-k sampling. For the best performance, please install FlashInfer.",
         "(VllmWorker rank=0 pid=182840) INFO 04-18 14:33:23 [gpu_model_runner.py:1291] Model "
         "loading took 7.1441 GiB and 4.425101 seconds",
         "INFO 04-18 14:34:20 [kv_cache_utils.py:634] GPU KV cache size: 359,328 tokens",
         "INFO 04-18 14:34:20 [kv_cache_utils.py:634] GPU KV cache size: 359,712 tokens",
         "(VllmWorker rank=0 pid=182840) INFO 04-18 14:34:49 [gpu_model_runner.py:1626] Graph "
         "capturing finished in 29 secs, took 2.13 GiB"]},

    {"id": "strindex-r1-distill-qwen-7b-tp2-24gb-v084-util08", "source": QWEN7B_SRC,
     "vllm_version": "0.8.4 (V1)", "rules": "v1", "charge_cudagraphs": False,
     "gpu": "RTX-4090", "gpu_model": QWEN7B_GPU + "; the same machine as the Qwen2.5-7B rows",
     "gpu_total_gib": None, "tensor_parallel_size": 2, "pipeline_parallel_size": 1,
     "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "config": "configs/Qwen--Qwen2.5-7B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 4096, "max_num_seqs": None, "max_num_batched_tokens": 8192,
     "gpu_memory_utilization": 0.8, "enforce_eager": False,
     "logged": {"weights_gib": 7.1441, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 2.13,
                "available_kv_gib": None, "kv_cache_tokens": 367968},
     "sampler": "sort",
     "notes": "The tutorial's third start-up: LLM(DeepSeek-R1-Distill-Qwen-7B, "
              "tensor_parallel_size=2, gpu_memory_utilization=0.8, max_model_len=4096). The "
              "config is Qwen2.5-7B's, the distilled model's architecture (28 layers, hidden 3584, "
              "4 KV heads, vocab 152064; its logged per-rank weights equal the Qwen2.5-7B row's "
              "7.1441 GiB), as seed-row07 uses Qwen2.5-14B for the 14B distill. The workers log "
              "367,968 and 368,352 tokens; the smaller is kept. Only the tokens are scored. " +
              SAMPLER_NOTE["sort"],
     "evidence": [
         "llm = LLM(model=\"/home/08_vllm/deepseek-ai/DeepSeek-R1-Distill-Qwen-7B\", "
         "trust_remote_code=True, tensor_parallel_size=2, gpu_memory_utilization=0.8, "
         "max_model_len=4096,)",
         "INFO 04-18 15:03:09 [config.py:1901] Chunked prefill is enabled with "
         "max_num_batched_tokens=8192.",
         "INFO 04-18 15:03:11 [core.py:61] Initializing a V1 LLM engine (v0.8.4) with config: "
         "model='/home/08_vllm/deepseek-ai/DeepSeek-R1-Distill-Qwen-7B', ... max_seq_len=4096, "
         "... tensor_parallel_size=2",
         "WARNING 04-18 15:03:13 [topk_topp_sampler.py:69] FlashInfer is not available. Falling "
         "back to the PyTorch-native implementation of top-p & top-k sampling. For the best "
         "performance, please install FlashInfer.",
         "(VllmWorker rank=0 pid=259237) INFO 04-18 15:03:18 [gpu_model_runner.py:1291] Model "
         "loading took 7.1441 GiB and 5.042643 seconds",
         "INFO 04-18 15:03:40 [kv_cache_utils.py:634] GPU KV cache size: 367,968 tokens",
         "INFO 04-18 15:03:40 [kv_cache_utils.py:634] GPU KV cache size: 368,352 tokens",
         "INFO 04-18 15:04:06 [gpu_model_runner.py:1626] Graph capturing finished in 26 secs, "
         "took 2.13 GiB"]},

    {"id": "strindex-qwen3-30b-a3b-2507-fp8-tp2-ep-l40s-v0102", "source":
     "a Markdown comparison of Ollama and vLLM in a public GitHub repository (Qwen3-30B-A3B-"
     "Instruct-2507-FP8 on 2 x L40S, the same author and day as l40s-qwen3-235b-2507-fp8-tp8-ep), " +
     INDEX.format(39328153190) + " (a second copy is file id 39689115050)",
     "vllm_version": "0.10.2 ('vllm --version' in the note)", "rules": "v1",
     "charge_cudagraphs": False,
     "gpu": "L40S", "gpu_model": "NVIDIA L40S x 2 (the note's header and its nvidia-smi, 46068MiB "
                                "each)",
     "gpu_total_gib": None, "tensor_parallel_size": 2, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen3-30B-A3B-Instruct-2507-FP8",
     "config": "configs/Qwen--Qwen3-30B-A3B-Instruct-2507-FP8.json",
     "dtype": None, "quantization": "fp8", "kv_cache_dtype": None,
     "max_model_len": 32768, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.95, "enforce_eager": False,
     "logged": {"weights_gib": None, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": None,
                "available_kv_gib": 25.91, "kv_cache_tokens": 566016},
     "notes": "vllm serve Qwen/Qwen3-30B-A3B-Instruct-2507-FP8 --tensor-parallel-size 2 "
              "--enable-expert-parallel --gpu-memory-utilization 0.95 --swap-space 0 "
              "--max-model-len 32K; the scheduler settings are 0.10.2's defaults. Expert "
              "parallelism puts 64 of 128 experts on each rank, the bytes per rank of TP 2's "
              "sharding. The quoted lines have no topk_topp_sampler.py line, so `sampler` is not "
              "set (the same author's 235B log of that day fell back to the sort, but from "
              "another container).",
     "evidence": [
         "vllm serve Qwen/Qwen3-30B-A3B-Instruct-2507-FP8 --tensor-parallel-size 2 "
         "--enable-expert-parallel --gpu-memory-utilization 0.95 --swap-space 0 --max-model-len 32K",
         "(workspace) (main) root@C.26183956:/workspace$ vllm --version ... 0.10.2",
         "(Worker_TP1_EP1 pid=2295) INFO 09-24 19:58:12 [gpu_worker.py:298] Available KV cache "
         "memory: 25.91 GiB",
         "(EngineCore_DP0 pid=2225) INFO 09-24 19:58:12 [kv_cache_utils.py:864] GPU KV cache "
         "size: 566,016 tokens",
         "|   0  NVIDIA L40S                    On  |   00000000:56:00.0 Off |                    "
         "0 | ... |   45241MiB /  46068MiB |"]},
    {"id": "strindex-qwen2.5-0.5b-4090-v0271-v2runner", "source":
     "a Markdown lab notebook in a public GitHub repository (in Korean: running the "
     "orca3/llm-model-inference chapter 2 notebooks on an RTX 4090 under WSL2 with vLLM "
     "0.27.1), " + INDEX.format(61815222665),
     "vllm_version": "0.27.1 (the note: 'vLLM 0.27.1'; the V2 model runner's model_runner.py "
                     "logs the weights)",
     "rules": "v1", "charge_cudagraphs": True,
     "gpu": "RTX-4090", "gpu_model": "NVIDIA GeForce RTX 4090 (the note's 4090 under WSL2), "
                                    "23.99 GiB as logged ('Free memory on device (22.45/23.99 "
                                    "GiB)')",
     "gpu_total_gib": 23.99, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen2.5-0.5B-Instruct", "config": "configs/Qwen--Qwen2.5-0.5B-Instruct.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": None, "max_num_seqs": 256, "max_num_batched_tokens": 8192,
     "gpu_memory_utilization": 0.92, "enforce_eager": False,
     "logged": {"weights_gib": 0.93, "activation_gib": 0.31, "non_torch_gib": 0.30,
                "cudagraph_estimated_gib": 0.0, "cudagraph_actual_gib": 0.0,
                "available_kv_gib": 20.52, "kv_cache_tokens": 1793232},
     "notes": "vLLM's LLM class (the notebook's LLM(...) with its defaults): max_num_batched_tokens "
              "8192 as logged, max_num_seqs 256, the LLM class's defaults below 70 GiB "
              "(engine/arg_utils.py get_batch_defaults), utilization 0.92 as logged. The "
              "non-torch figure is the logged 1.23 GiB of weights and non-torch less the 0.93 "
              "GiB of weights. The V2 model runner (model_runner.py) profiles its own sampler "
              "(vllm/v1/worker/gpu/model_runner.py _dummy_sampler_run), not the V1 runner's the "
              "estimate's sampler rule follows. The quoted lines have no topk_topp_sampler.py "
              "line, so `sampler` is not set. The note's second run of the same model logs the "
              "same figures (not a second row).",
     "evidence": [
         "INFO 08-22 20:52:01 [scheduler.py:242] Chunked prefill is enabled with "
         "max_num_batched_tokens=8192.",
         "(EngineCore pid=20075) INFO 08-22 20:52:25 [model_runner.py:329] Model loading took "
         "0.93 GiB and 6.206722 seconds",
         "(EngineCore pid=20075) INFO 08-22 20:52:36 [gpu_worker.py:563] Available KV cache "
         "memory: 20.52 GiB",
         "(EngineCore pid=20075) INFO 08-22 20:52:36 [kv_cache_utils.py:2235] GPU KV cache size: "
         "1,793,232 tokens",
         "(EngineCore pid=20075) INFO 08-22 20:52:39 [gpu_worker.py:789] Free memory on device "
         "(22.45/23.99 GiB) on startup. Desired GPU memory utilization is (0.92, 22.07 GiB). "
         "Actual usage is 1.23 GiB for consumed memory (weights + non-torch), 0.31 GiB for peak "
         "activation, and 0.0 GiB for CUDAGraph memory."]},
]

