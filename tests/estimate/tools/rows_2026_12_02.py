"""Hand rows added on 2026-12-02 (issue 15's held-out set, second pass): published vLLM
start-ups of multimodal models and of text models on GPUs other than the H100, read with the
search tool. build_rows.py appends them after its own HAND rows (`--append-hand` adds them
to an existing startups.json without the two repositories the full rebuild needs).

Each `source` is the page or file the lines were read from. Four files were found through the
search tool's string index, which names a file by an id and not by its repository: their
`source` gives that id and says so (the same convention as the configs' `_source`). Every
logged figure below is in `evidence`, copied from the source; where a setting is not in the
log, `notes` says what was inferred and from what.
"""

HAND_2026_12_02 = [
    {"id": "vllm15815-qwen2.5-32b-tp2-l40s", "source":
     "https://github.com/vllm-project/vllm/issues/15815 (comment by Hemanth-stack, 2025-04-02)",
     "vllm_version": "V0 engine, ~0.7.3 to 0.8.x (inferred from the V0 worker's log format, "
                     "worker.py:266 and model_runner.py:1116; the quoted part prints no version)",
     "rules": "v0", "charge_cudagraphs": False,
     "gpu": "L40S", "gpu_model": "NVIDIA L40S (the issue's title), 44.42 GiB as logged",
     "gpu_total_gib": 44.42, "tensor_parallel_size": 2, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen2.5-32B-Instruct", "config": "configs/Qwen--Qwen2.5-32B-Instruct.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 10000, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 30.71, "activation_gib": 1.26, "non_torch_gib": 0.3,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": None,
                "available_kv_gib": 7.71, "kv_cache_tokens": None},
     "notes": "Qwen 2.5 32B Instruct on 2 x L40S, TP 2 (the title says 'qwen 2.5 32 instruct'; "
              "the per-rank weights fit the bf16 Qwen2.5-32B-Instruct). max_model_len 10000 "
              "from the concurrency line; V0's profile then runs max(10000, 2048) tokens. The "
              "log gives 3947 CUDA blocks, not a token count, so kv_cache_tokens stays null.",
     "evidence": [
         "(VllmWorkerProcess pid=3280379) INFO 04-02 10:20:50 model_runner.py:1116] Loading "
         "model weights took 30.7098 GB",
         "(VllmWorkerProcess pid=3280379) INFO 04-02 10:20:54 worker.py:266] the current vLLM "
         "instance can use total_gpu_memory (44.42GiB) x gpu_memory_utilization (0.90) = "
         "39.98GiB",
         "(VllmWorkerProcess pid=3280379) INFO 04-02 10:20:54 worker.py:266] model weights take "
         "30.71GiB; non_torch_memory takes 0.30GiB; PyTorch activation peak memory takes "
         "1.26GiB; the rest of the memory reserved for KV Cache is 7.71GiB.",
         "INFO 04-02 10:20:55 executor_base.py:108] # CUDA blocks: 3947, # CPU blocks: 2048",
         "INFO 04-02 10:20:55 executor_base.py:113] Maximum concurrency for 10000 tokens pe"]},

    {"id": "myoceane-gpt-oss-20b-a100", "source":
     "https://myoceane.fr/index.php/ai-vllm-a100-gemma-4/ (blog post, 2026-04-18)",
     "vllm_version": "0.19.0", "rules": "v1", "charge_cudagraphs": False,
     "gpu": "A100-80GB",
     "gpu_model": "NVIDIA A100 (the post's title); 80GB inferred: 0.65 of a 40GB card could not "
                  "hold the 50.28 GiB of weights and KV cache logged",
     "gpu_total_gib": None, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "openai/gpt-oss-20b", "config": "configs/openai--gpt-oss-20b.json",
     "dtype": None, "quantization": "mxfp4", "kv_cache_dtype": None,
     "max_model_len": 131072, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.65, "enforce_eager": False,
     "logged": {"weights_gib": 13.72, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": None,
                "available_kv_gib": 36.56, "kv_cache_tokens": None},
     "notes": "vllm serve openai/gpt-oss-20b on one A100 (the A100 table total used); the "
              "scheduler settings are 0.19.0's defaults (not in the post).",
     "evidence": [
         "vllm serve openai/gpt-oss-20b --port 10000 --max-model-len 131072 "
         "--gpu-memory-utilization 0.65 --trust-remote-code",
         "(APIServer pid=6539) INFO 04-18 20:22:57 [utils.py:299] ... version 0.19.0",
         "(APIServer pid=6539) INFO 04-18 20:22:57 [utils.py:233] non-default args: "
         "{'model_tag': 'openai/gpt-oss-20b', 'port': 10000, 'model': 'openai/gpt-oss-20b', "
         "'trust_remote_code': True, 'max_model_len': 131072, 'gpu_memory_utilization': 0.65}",
         "Model loading took 13.72 GiB memory and 62.336108 seconds",
         "Available KV cache memory: 36.56 GiB"]},

    {"id": "kserve-qwen2.5-vl-7b-l4", "source":
     "a Markdown guide in a public GitHub repository (serving Qwen/Qwen2.5-VL-7B-Instruct with "
     "KServe on OpenShift AI), found with the search tool's string index as file id "
     "70974742012 on 2026-12-02; the index does not name its repository",
     "vllm_version": "0.9.0.1", "rules": "v1", "charge_cudagraphs": False,
     "gpu": "L4", "gpu_model": "NVIDIA L4 (nvidia-smi in the guide: 23034MiB)",
     "gpu_total_gib": 22.49, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen2.5-VL-7B-Instruct", "config": "configs/Qwen--Qwen2.5-VL-7B-Instruct.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 2048, "max_num_seqs": None, "max_num_batched_tokens": 2048,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 15.6271, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 0.51,
                "available_kv_gib": 1.81, "kv_cache_tokens": 33824},
     "notes": "Multimodal. gpu_total_gib is nvidia-smi's 23034 MiB in GiB; utilization 0.9 is "
              "0.9.0.1's default (not among the non-default args); max_num_seqs the version's "
              "default. The encoder profile: one image of 16384 tokens (logged).",
     "evidence": [
         "INFO 08-31 08:01:29 [api_server.py:1413] vLLM API server version 0.9.0.1",
         "INFO 08-31 08:01:29 [cli_args.py:325] non-default args: {'port': 8080, 'model': "
         "'/mnt/models', 'max_model_len': 2048, 'served_model_name': ['qwen25-vl-7b-instruct']}",
         "INFO 08-31 08:01:42 [config.py:2286] Chunked prefill is enabled with "
         "max_num_batched_tokens=2048.",
         "INFO 08-31 08:03:46 [gpu_model_runner.py:1801] Model loading took 15.6271 GiB and "
         "119.639792 seconds",
         "INFO 08-31 08:03:46 [gpu_model_runner.py:2238] Encoder cache will be initialized with "
         "a budget of 16384 tokens, and profiled with 1 image items of the maximum feature size.",
         "INFO 08-31 08:04:35 [gpu_worker.py:232] Available KV cache memory: 1.81 GiB",
         "INFO 08-31 08:04:36 [kv_cache_utils.py:716] GPU KV cache size: 33,824 tokens",
         "INFO 08-31 08:05:08 [gpu_model_runner.py:2326] Graph capturing finished in 33 secs, "
         "took 0.51 GiB",
         "|   0  NVIDIA L4                      On  |   00000000:3A:00.0 Off |                    "
         "0 | ... |   19370MiB /  23034MiB |"]},

    {"id": "hello-qwen2.5-vl-7b-a100-util022", "source":
     "a Markdown note in a public GitHub repository (a docker run of vllm/vllm-openai:v0.23.0 "
     "with Qwen2.5-VL-7B-Instruct and its log), found with the search tool's string index as "
     "file id 55021192520 on 2026-12-02; the index does not name its repository",
     "vllm_version": "0.23.0", "rules": "v1", "charge_cudagraphs": True,
     "gpu": "A100-80GB", "gpu_model": "NVIDIA A100-SXM4-80GB (nvidia-smi in the note)",
     "gpu_total_gib": None, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen2.5-VL-7B-Instruct", "config": "configs/Qwen--Qwen2.5-VL-7B-Instruct.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 128000, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.22, "enforce_eager": False,
     "logged": {"weights_gib": 15.67, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": 0.53, "cudagraph_actual_gib": None,
                "available_kv_gib": -14.28, "kv_cache_tokens": None},
     "notes": "Multimodal; the start-up fails (no KV cache). The encoder profile is one VIDEO of "
              "114688 tokens (logged): at max_model_len 128000 the video item outweighs the "
              "16384-token image, so the profile's encoder pass is 7 times an image's. "
              "Scheduler settings are 0.23.0's defaults.",
     "evidence": [
         "vllm/vllm-openai:v0.23.0 --model /models/Qwen2.5-VL-7B-Instruct --served-model-name "
         "qwen2.5-vl --gpu-memory-utilization 0.22 --trust-remote-code",
         "(APIServer pid=1) INFO 07-01 04:23:39 [model.py:1745] Using max model len 128000",
         "(EngineCore pid=129) INFO 07-01 04:23:59 [gpu_model_runner.py:5187] Model loading "
         "took 15.67 GiB memory and 2.938506 seconds",
         "(EngineCore pid=129) INFO 07-01 04:23:59 [gpu_model_runner.py:6200] Encoder cache "
         "will be initialized with a budget of 114688 tokens, and profiled with 1 video items of "
         "the maximum feature size.",
         "(EngineCore pid=129) INFO 07-01 04:24:36 [gpu_model_runner.py:6412] Profiling CUDA "
         "graph memory: PIECEWISE=51 (largest=512), FULL=35 (largest=256)",
         "(EngineCore pid=129) INFO 07-01 04:24:37 [gpu_model_runner.py:6517] Estimated CUDA "
         "graph memory: 0.53 GiB total",
         "(EngineCore pid=129) INFO 07-01 04:24:37 [gpu_worker.py:480] Available KV cache "
         "memory: -14.28 GiB",
         "|   0  NVIDIA A100-SXM4-80GB          On  |   00000000:00:06.0 Off |"]},

    {"id": "esp-llava-v1.6-mistral-7b-h100", "source":
     "a Markdown log in a public GitHub repository (python3 vlm_inference_with_vllm.py with "
     "llava-hf/llava-v1.6-mistral-7b-hf), found with the search tool's string index as file id "
     "34680831065 on 2026-12-02; the index does not name its repository",
     "vllm_version": "0.10.2", "rules": "v1", "charge_cudagraphs": False,
     "gpu": "H100", "gpu_model": "79.19 GiB as logged (the H100 80GB HBM3 figure; the log does "
                                 "not name the GPU)",
     "gpu_total_gib": 79.19, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "llava-hf/llava-v1.6-mistral-7b-hf",
     "config": "configs/llava-hf--llava-v1.6-mistral-7b-hf.json",
     "dtype": "float16", "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 4096, "max_num_seqs": None, "max_num_batched_tokens": 16384,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 14.08, "activation_gib": 1.97, "non_torch_gib": 0.07,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 0.67,
                "available_kv_gib": 55.15, "kv_cache_tokens": 451744},
     "notes": "Multimodal (LLaVA-NeXT, anyres tiles). The offline LLM class: "
              "max_num_batched_tokens 16384 as logged, max_num_seqs the class's default. The "
              "encoder profile: 5 images within a 16384-token budget (logged), i.e. about 2900 "
              "tokens per image, where one 336-pixel tile gives 576.",
     "evidence": [
         "INFO 09-23 18:11:24 [utils.py:328] non-default args: {'max_model_len': 4096, "
         "'disable_log_stats': True, 'model': 'llava-hf/llava-v1.6-mistral-7b-hf'}",
         "INFO 09-23 18:11:54 [scheduler.py:222] Chunked prefill is enabled with "
         "max_num_batched_tokens=16384.",
         "(EngineCore_DP0 pid=3021) INFO 09-23 18:12:05 [core.py:76] Initializing a V1 LLM "
         "engine (v0.10.2) with config: model='llava-hf/llava-v1.6-mistral-7b-hf', ... "
         "dtype=torch.float16, max_seq_len=4096",
         "(EngineCore_DP0 pid=3021) INFO 09-23 18:12:21 [gpu_model_runner.py:2392] Model "
         "loading took 14.0786 GiB and 10.247948 seconds",
         "(EngineCore_DP0 pid=3021) INFO 09-23 18:12:22 [gpu_model_runner.py:3000] Encoder "
         "cache will be initialized with a budget of 16384 tokens, and profiled with 5 image "
         "items of the maximum feature size.",
         "(EngineCore_DP0 pid=3021) INFO 09-23 18:12:33 [gpu_worker.py:298] Available KV cache "
         "memory: 55.15 GiB",
         "(EngineCore_DP0 pid=3021) INFO 09-23 18:12:34 [kv_cache_utils.py:864] GPU KV cache "
         "size: 451,744 tokens",
         "(EngineCore_DP0 pid=3021) INFO 09-23 18:12:39 [gpu_worker.py:391] Free memory on "
         "device (78.66/79.19 GiB) on startup. Desired GPU memory utilization is (0.9, 71.27 "
         "GiB). Actual usage is 14.08 GiB for weight, 1.97 GiB for peak activation, 0.07 GiB "
         "for non-torch memory, and 0.67 GiB for CUDAGraph memory."]},

    {"id": "l40s-qwen3-235b-2507-fp8-tp8-ep", "source":
     "a Markdown note in a public GitHub repository ('Hosting Qwen3-235B-A22B-Instruct-2507-FP8 "
     "on 8xL40S'), found with the search tool's string index as file id 38962983769 on "
     "2026-12-02; the index does not name its repository",
     "vllm_version": "0.10.2", "rules": "v1", "charge_cudagraphs": False,
     "gpu": "L40S", "gpu_model": "NVIDIA L40S x 8 (nvidia-smi in the note), 44.42 GiB as logged",
     "gpu_total_gib": 44.42, "tensor_parallel_size": 8, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
     "config": "configs/Qwen--Qwen3-235B-A22B-FP8.json",
     "dtype": None, "quantization": "fp8", "kv_cache_dtype": None,
     "max_model_len": 32768, "max_num_seqs": None, "max_num_batched_tokens": 2048,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 27.72, "activation_gib": 1.4, "non_torch_gib": 0.21,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 3.45,
                "available_kv_gib": 10.65, "kv_cache_tokens": 238208},
     "notes": "TP 8 with --enable-expert-parallel (the full log's command; the note's header "
              "says TP 4, which 27.72 GiB per rank rules out). Expert parallelism puts 16 of "
              "128 experts on each rank, the same bytes per rank as TP 8's sharding, which the "
              "estimate models. The config is Qwen3-235B-A22B-FP8's (same architecture; the "
              "2507 release raises max_position_embeddings, overridden here by max_model_len).",
     "evidence": [
         "(APIServer pid=1624) INFO 09-24 20:45:41 [api_server.py:1896] vLLM API server "
         "version 0.10.2",
         "(APIServer pid=1624) INFO 09-24 20:45:41 [utils.py:328] non-default args: "
         "{'model_tag': 'Qwen/Qwen3-235B-A22B-Instruct-2507-FP8', 'model': "
         "'Qwen/Qwen3-235B-A22B-Instruct-2507-FP8', 'max_model_len': 32768, "
         "'tensor_parallel_size': 8, 'enable_expert_parallel': True, 'swap_space': 0.0}",
         "(APIServer pid=1624) INFO 09-24 20:45:49 [scheduler.py:222] Chunked prefill is "
         "enabled with max_num_batched_tokens=2048.",
         "(Worker_TP3_EP3 pid=2081) INFO 09-24 20:53:41 [gpu_worker.py:298] Available KV cache "
         "memory: 10.65 GiB",
         "(EngineCore_DP0 pid=1944) INFO 09-24 20:53:41 [kv_cache_utils.py:864] GPU KV cache "
         "size: 238,208 tokens",
         "(Worker_TP2_EP2 pid=2080) INFO 09-24 20:54:35 [gpu_worker.py:391] Free memory on "
         "device (43.93/44.42 GiB) on startup. Desired GPU memory utilization is (0.9, 39.98 "
         "GiB). Actual usage is 27.72 GiB for weight, 1.4 GiB for peak activation, 0.21 GiB for "
         "non-torch memory, and 3.45 GiB for CUDAGraph memory."]},

    {"id": "sipeed-qwen3-vl-30b-a3b-tp4-3090", "source":
     "https://github.com/sipeed/sipeed_wiki/blob/db46b93c55f6e5730747b3687a3c60eec923b36e/"
     "docs/hardware/en/kvm/NanoKVM_Pro/cua.md (the NanoKVM-Pro CUA page's example server "
     "output)",
     "vllm_version": "0.11.0", "rules": "v1", "charge_cudagraphs": False,
     "gpu": "RTX-3090", "gpu_model": "NVIDIA GeForce RTX 3090 x 4 (the page's '4x RTX3090' "
                                     "setup and the MoE config file name in the log)",
     "gpu_total_gib": None, "tensor_parallel_size": 4, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen3-VL-30B-A3B-Instruct",
     "config": "configs/Qwen--Qwen3-VL-30B-A3B-Instruct.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 65536, "max_num_seqs": None, "max_num_batched_tokens": 2048,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 14.7708, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 1.92,
                "available_kv_gib": 2.31, "kv_cache_tokens": 100752},
     "notes": "Multimodal MoE (Qwen3-VL). The encoder profile is one video of 153600 tokens "
              "(logged). The RTX 3090 table total is used (the log does not print it).",
     "evidence": [
         "(APIServer pid=41428) INFO 10-06 15:56:26 [api_server.py:1839] vLLM API server "
         "version 0.11.0",
         "(APIServer pid=41428) INFO 10-06 15:56:26 [utils.py:233] non-default args: "
         "{'model_tag': '/home/zp/work/models/Qwen/Qwen3-VL-30B-A3B-Instruct', 'host': "
         "'0.0.0.0', 'api_key': ['sk123'], 'model': "
         "'/home/zp/work/models/Qwen/Qwen3-VL-30B-A3B-Instruct', 'max_model_len': 65536, "
         "'served_model_name': ['Qwen3-VL-30B-A3B-Instruct'], 'tensor_parallel_size': 4}",
         "(APIServer pid=41428) INFO 10-06 15:56:27 [scheduler.py:205] Chunked prefill is "
         "enabled with max_num_batched_tokens=2048.",
         "(Worker_TP0 pid=41699) INFO 10-06 15:57:17 [gpu_model_runner.py:2653] Model loading "
         "took 14.7708 GiB and 25.517781 seconds",
         "(Worker_TP0 pid=41699) INFO 10-06 15:57:18 [gpu_model_runner.py:3344] Encoder cache "
         "will be initialized with a budget of 153600 tokens, and profiled with 1 video items "
         "of the maximum feature size.",
         "Config file not found at ['.../fused_moe/configs/E=128,N=192,device_name="
         "NVIDIA_GeForce_RTX_3090.json']",
         "(Worker_TP0 pid=41699) INFO 10-06 15:57:53 [gpu_worker.py:298] Available KV cache "
         "memory: 2.31 GiB",
         "(EngineCore_DP0 pid=41565) INFO 10-06 15:57:53 [kv_cache_utils.py:1087] GPU KV cache "
         "size: 100,752 tokens",
         "(Worker_TP0 pid=41699) INFO 10-06 15:58:12 [gpu_model_runner.py:3480] Graph "
         "capturing finished in 19 secs, took 1.92 GiB"]},

    {"id": "debug-llama-3.2-1b-44gib", "source":
     "a DEBUG start-up log in a public GitHub repository (vllm serve meta-llama/Llama-3.2-1B "
     "from a source build), found with the search tool's string index as file id 21240355802 "
     "on 2026-12-02; the index does not name its repository",
     "vllm_version": "~0.10.0 (inferred: gpu_worker.py:262-276 and kv_cache_utils.py:831 are "
                     "the 0.10 line numbers; the excerpt read does not print the version)",
     "rules": "v1", "charge_cudagraphs": False,
     "gpu": None, "gpu_model": "not named; 44.31 GiB total from the logged requested memory "
                               "(39.88 GiB at utilization 0.90)",
     "gpu_total_gib": 44.31, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "meta-llama/Llama-3.2-1B", "config": "configs/meta-llama--Llama-3.2-1B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 131072, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 2.32, "activation_gib": 0.45, "non_torch_gib": 0.02,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": None,
                "available_kv_gib": 37.1, "kv_cache_tokens": 1215552},
     "notes": "The GPU is not named (44.31 GiB total fits an L40S or A40); the estimate runs "
              "with the derived total and no device table entry. Scheduler settings are the "
              "version's defaults.",
     "evidence": [
         "INFO 08-06 10:25:35 [gpu_model_runner.py:1921] Starting to load model "
         "meta-llama/Llama-3.2-1B...",
         "INFO 08-06 10:25:36 [gpu_model_runner.py:1970] Model loading took 2.3185 GiB and "
         "0.741368 seconds",
         "DEBUG 08-06 10:25:44 [gpu_worker.py:262] Initial free memory: 43.82 GiB; Requested "
         "memory: 0.90 (util), 39.88 GiB",
         "DEBUG 08-06 10:25:44 [gpu_worker.py:275] Memory profiling takes 7.68 seconds. Total "
         "non KV cache memory: 2.78GiB; torch peak memory increase: 0.45GiB; non-torch forward "
         "increase memory: 0.02GiB; weights memory: 2.32GiB.",
         "INFO 08-06 10:25:44 [gpu_worker.py:276] Available KV cache memory: 37.10 GiB",
         "INFO 08-06 10:25:44 [kv_cache_utils.py:831] GPU KV cache size: 1,215,552 tokens",
         "INFO 08-06 10:25:44 [kv_cache_utils.py:835] Maximum concurrency for 131,072 tokens "
         "per request: 9.27x"]},
]
