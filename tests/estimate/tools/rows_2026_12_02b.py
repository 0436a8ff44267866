"""Hand rows added on 2026-12-02, third pass (issue 15, item 6: more held-out rows). Every
published start-up read for this pass whose settings and logged KV budget could be read is
here, whatever the estimate makes of it; the sources read and left out are listed in
tests/estimate/README.md with the reason.

Sources:
  * dennislee22/vLLM-benchmarking @ b474d1e053c35c9aef8c02aae4efbc0d8675f033, log/*.log: six
    full `vllm serve` logs of vLLM 0.10.1.1 on A100s (Qwen2-7B-Instruct at four settings,
    gpt-oss-120b on four cards across nodes).
  * files the search tool's string index found by content and names only by an id (their
    `source` gives the id and says so): a Markdown summary of nine vLLM start-ups on an H100
    ("vLLM Empirical Test Results Analysis", 28022205292), a blog draft on two-GPU tensor and
    pipeline parallelism with Qwen3-32B (57905766703), a note with a vLLM 0.10.1.1 log of
    Llama-3.1-8B-Instruct in float16 (46454478915), a note serving Qwen3-8B at 0.9.2 on an
    A100-SXM4-40GB (58028398527), an AMD ROCm blog post with a Ray TP 2 start-up
    (62126620618), a KServe guide's TP 2 page on two L4s (71589812318), an OpenShift AI llm-d
    guide on L40S (51824034485), and an issue digest quoting vllm-project/vllm#27508's
    description (56996512052, cross-checked against the issue with the issue search).

A row that the estimate cannot be held to carries `unpredictable` itself (the reason, in
the words of build_rows.py's UNPREDICTABLE convention). Where a setting, the GPU or the
version is not in the source, `notes` (or `gpu_model`, `vllm_version`) says what was
inferred and from what.
"""

DENNISLEE = ("https://github.com/dennislee22/vLLM-benchmarking/blob/"
             "b474d1e053c35c9aef8c02aae4efbc0d8675f033/log/")
SUMMARY = ("a Markdown summary ('vLLM Empirical Test Results Analysis', H100, its figures "
           "transcribed from the logs by its author) in a public GitHub repository, found with "
           "the search tool's string index as file id 28022205292 on 2026-12-02 (an earlier "
           "copy with six of its rows is file id 27263006583); the index does not name its "
           "repository")
SUMMARY_VERSION = ("0.10.2-0.19 (inferred, not logged: a vllm/vllm-openai:latest image; "
                   "the 'Free memory on device ... CUDAGraph memory' report dates "
                   "from 0.10.2, and each available KV figure (but gpt-oss-120b's, see its "
                   "row) equals the requested 71.26 GiB less weights, activation and non-torch "
                   "memory, i.e. no CUDA-graph charge, which 0.20.0 turned on (its envs.py "
                   "defaults VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS to 1, 0.19.0's to 0); "
                   "gpt-oss-120b's 64.38 GiB of weights is 0.14.1's figure in vllm#33155, "
                   "with mxfp4's Triton backend, where 0.10.1.1 logged 65.97 with Marlin)")
SUMMARY_NOTE = ("The summary's pod template: vllm serve MODEL --gpu-memory-utilization=0.90 "
                "--max-model-len=N --block-size=128 --enable-prefix-caching (block size and "
                "prefix caching do not change the KV budget); the scheduler settings are the "
                "version's H100 defaults. The figures are the summary's transcription of the "
                "logs, not log lines.")


# `sampler`: which top-k/top-p filter the profile run's dummy sampler used, read from the
# start-up's own topk_topp_sampler.py line (quoted in `evidence`); bench/estimate.py passes
# it as --sampler. Never inferred from the logged activation or from the error.
SAMPLER_NOTE = {
    "kernel": "sampler: the log's topk_topp_sampler.py line says FlashInfer's top-k/top-p "
              "kernel ran ('Using FlashInfer for top-p & top-k sampling', quoted).",
    "sort": "sampler: the log's topk_topp_sampler.py line says the PyTorch-native top-k/top-p "
            "(the sort) ran ('FlashInfer is not available. Falling back to the PyTorch-native "
            "implementation', quoted).",
}


def _qwen2_7b(name, test, tp, util, gpu, gpu_model, weights, kv, tokens, graphs, extra):
    return {
        "id": "dennislee-qwen2-7b-" + name, "source": DENNISLEE + extra["log"] +
        " (README.md's " + test + ")",
        "vllm_version": "0.10.1.1", "rules": "v1", "charge_cudagraphs": False,
        "gpu": gpu, "gpu_model": gpu_model, "gpu_total_gib": None,
        "tensor_parallel_size": tp, "pipeline_parallel_size": 1,
        "model": "Qwen/Qwen2-7B-Instruct", "config": "configs/Qwen--Qwen2.5-7B.json",
        "dtype": None, "quantization": None, "kv_cache_dtype": None,
        "max_model_len": 16384, "max_num_seqs": None, "max_num_batched_tokens": 2048,
        "gpu_memory_utilization": util, "enforce_eager": False,
        "logged": {"weights_gib": weights, "activation_gib": None, "non_torch_gib": None,
                   "cudagraph_estimated_gib": None, "cudagraph_actual_gib": graphs,
                   "available_kv_gib": kv, "kv_cache_tokens": tokens},
        "notes": "Qwen2-7B-Instruct (a local copy served as 'Qwen2-7B-Instruct'); the config "
                 "is Qwen2.5-7B's, which has the same dimensions (28 layers, hidden 3584, "
                 "intermediate 18944, 28 heads, 4 KV heads, vocab 152064); max_model_len is set, "
                 "so the two files' different max_position_embeddings do not matter. "
                 "max_num_seqs is 0.10.1.1's default (not logged). " + extra["note"] + " " + SAMPLER_NOTE[extra["sampler"]],
        "evidence": extra["evidence"],
        "sampler": extra["sampler"],
    }


HAND_2026_12_02B = [
    _qwen2_7b("a100-80gb-util025", "Test 4", 1, 0.25, "A100-80GB",
              "NVIDIA A100 80GB (the log's file name, vllm-7B-1gpuA10080GB-0.25GRAM.log, and "
              "the README's 'NVIDIA A100 80GB GPU')", 14.2488, 5.01, 93872, 0.50,
              {"log": "vllm-7B-1gpuA10080GB-0.25GRAM.log", "sampler": "kernel", "note": "One GPU.", "evidence": [
                  "(APIServer pid=1671) INFO 09-04 01:02:21 [api_server.py:1805] vLLM API "
                  "server version 0.10.1.1",
                  "(APIServer pid=1671) INFO 09-04 01:02:21 [utils.py:326] non-default args: "
                  "{'model_tag': 'Qwen2-7B-Instruct', 'port': 8081, 'model': "
                  "'Qwen2-7B-Instruct', 'max_model_len': 16384, 'gpu_memory_utilization': 0.25}",
                  "(APIServer pid=1671) INFO 09-04 01:02:38 [scheduler.py:222] Chunked prefill "
                  "is enabled with max_num_batched_tokens=2048.",
                  "(EngineCore_0 pid=1812) INFO 09-04 01:03:03 [gpu_model_runner.py:2007] Model "
                  "loading took 14.2488 GiB and 4.422213 seconds",
                  "(EngineCore_0 pid=1812) INFO 09-04 01:04:29 [gpu_worker.py:276] Available KV "
                  "cache memory: 5.01 GiB",
                  "(EngineCore_0 pid=1812) INFO 09-04 01:04:29 [kv_cache_utils.py:849] GPU KV "
                  "cache size: 93,872 tokens",
                  "(EngineCore_0 pid=1812) INFO 09-04 01:04:32 [gpu_model_runner.py:2708] Graph "
                  "capturing finished in 3 secs, took 0.50 GiB",
                  "(EngineCore_0 pid=1812) INFO 09-04 01:02:57 [topk_topp_sampler.py:50] Using "
                  "FlashInfer for top-p & top-k sampling."]}),
    _qwen2_7b("a100-80gb-util05", "Test 5", 1, 0.5, "A100-80GB",
              "NVIDIA A100 80GB (the log's file name, vllm-7B-1gpuA10080GB-0.5GRAM.log)",
              14.2488, 24.83, 464848, 0.50,
              {"log": "vllm-7B-1gpuA10080GB-0.5GRAM.log", "sampler": "kernel", "note": "One GPU.", "evidence": [
                  "(APIServer pid=2739) INFO 09-04 01:28:28 [api_server.py:1805] vLLM API "
                  "server version 0.10.1.1",
                  "(APIServer pid=2739) INFO 09-04 01:28:28 [utils.py:326] non-default args: "
                  "{'model_tag': 'Qwen2-7B-Instruct', 'port': 8081, 'model': "
                  "'Qwen2-7B-Instruct', 'max_model_len': 16384, 'gpu_memory_utilization': 0.5}",
                  "(APIServer pid=2739) INFO 09-04 01:28:44 [scheduler.py:222] Chunked prefill "
                  "is enabled with max_num_batched_tokens=2048.",
                  "(EngineCore_0 pid=2881) INFO 09-04 01:29:05 [gpu_model_runner.py:2007] Model "
                  "loading took 14.2488 GiB and 2.993822 seconds",
                  "(EngineCore_0 pid=2881) INFO 09-04 01:29:25 [gpu_worker.py:276] Available KV "
                  "cache memory: 24.83 GiB",
                  "(EngineCore_0 pid=2881) INFO 09-04 01:29:26 [kv_cache_utils.py:849] GPU KV "
                  "cache size: 464,848 tokens",
                  "(EngineCore_0 pid=2881) INFO 09-04 01:29:29 [gpu_model_runner.py:2708] Graph "
                  "capturing finished in 3 secs, took 0.50 GiB",
                  "(EngineCore_0 pid=2881) INFO 09-04 01:29:01 [topk_topp_sampler.py:50] Using "
                  "FlashInfer for top-p & top-k sampling."]}),
    _qwen2_7b("tp2-a100-80gb-util025", "Test 2", 2, 0.25, "A100-80GB",
              "NVIDIA A100 80GB x 2 in one node (the log's file name, "
              "vllm-7B-2gpuA10080GB-0.25GRAM-same-node.log)", 7.1217, 12.02, 450192, 0.65,
              {"log": "vllm-7B-2gpuA10080GB-0.25GRAM-same-node.log", "sampler": "kernel",
               "note": "TP 2 in one node (multiprocessing workers).", "evidence": [
                   "(APIServer pid=1217) INFO 09-03 00:35:55 [api_server.py:1805] vLLM API "
                   "server version 0.10.1.1",
                   "(APIServer pid=1217) INFO 09-03 00:35:55 [utils.py:326] non-default args: "
                   "{'model_tag': 'Qwen2-7B-Instruct', 'port': 8081, 'model': "
                   "'Qwen2-7B-Instruct', 'max_model_len': 16384, 'tensor_parallel_size': 2, "
                   "'gpu_memory_utilization': 0.25}",
                   "(APIServer pid=1217) INFO 09-03 00:36:10 [scheduler.py:222] Chunked prefill "
                   "is enabled with max_num_batched_tokens=2048.",
                   "(VllmWorker TP0 pid=1430) INFO 09-03 00:39:33 [gpu_model_runner.py:2007] "
                   "Model loading took 7.1217 GiB and 168.264821 seconds",
                   "(VllmWorker TP0 pid=1430) INFO 09-03 00:40:53 [gpu_worker.py:276] Available "
                   "KV cache memory: 12.02 GiB",
                   "(EngineCore_0 pid=1358) INFO 09-03 00:40:55 [kv_cache_utils.py:849] GPU KV "
                   "cache size: 450,192 tokens",
                   "(VllmWorker TP0 pid=1430) INFO 09-03 00:41:00 [gpu_model_runner.py:2708] "
                   "Graph capturing finished in 4 secs, took 0.65 GiB",
                  "(VllmWorker TP0 pid=1430) INFO 09-03 00:36:44 [topk_topp_sampler.py:50] Using "
                  "FlashInfer for top-p & top-k sampling."]}),
    _qwen2_7b("tp2-a100-80gb-util05", "Test 3", 2, 0.5, "A100-80GB",
              "NVIDIA A100 80GB x 2 in one node (the log's file name, "
              "vllm-7B-2gpuA10080GB-0.5GRAM-same-node.log)", 7.1217, 31.83, 1192160, 0.65,
              {"log": "vllm-7B-2gpuA10080GB-0.5GRAM-same-node.log", "sampler": "kernel",
               "note": "TP 2 in one node (multiprocessing workers).", "evidence": [
                   "(APIServer pid=3761) INFO 09-03 02:11:14 [api_server.py:1805] vLLM API "
                   "server version 0.10.1.1",
                   "(APIServer pid=3761) INFO 09-03 02:11:14 [utils.py:326] non-default args: "
                   "{'model_tag': 'Qwen2-7B-Instruct', 'port': 8081, 'model': "
                   "'Qwen2-7B-Instruct', 'max_model_len': 16384, 'tensor_parallel_size': 2, "
                   "'gpu_memory_utilization': 0.5}",
                   "(APIServer pid=3761) INFO 09-03 02:11:29 [scheduler.py:222] Chunked prefill "
                   "is enabled with max_num_batched_tokens=2048.",
                   "(VllmWorker TP0 pid=3974) INFO 09-03 02:12:04 [gpu_model_runner.py:2007] "
                   "Model loading took 7.1217 GiB and 2.887189 seconds",
                   "(VllmWorker TP0 pid=3974) INFO 09-03 02:12:25 [gpu_worker.py:276] Available "
                   "KV cache memory: 31.83 GiB",
                   "(EngineCore_0 pid=3902) INFO 09-03 02:12:26 [kv_cache_utils.py:849] GPU KV "
                   "cache size: 1,192,160 tokens",
                   "(VllmWorker TP0 pid=3974) INFO 09-03 02:12:30 [gpu_model_runner.py:2708] "
                   "Graph capturing finished in 4 secs, took 0.65 GiB",
                  "(VllmWorker TP0 pid=3974) INFO 09-03 02:12:01 [topk_topp_sampler.py:50] Using "
                  "FlashInfer for top-p & top-k sampling."]}),
    _qwen2_7b("tp2-a100-40gb-util05-2nodes", "Test 1", 2, 0.5, "A100-40GB",
              "NVIDIA A100 40GB x 2, one per node (the log's file name, "
              "vllm-7B-2gpuA10040GB-0.5GRAM-diff-nodes.log; the README's intro says A100 80GB "
              "for the whole article, but 0.5 of an 80GB card could not leave 11.03 GiB of KV "
              "cache beside 7.12 GiB of weights only: 39.6 - 7.1 - 11.0 = 21.4 GiB of overhead "
              "where the 80GB runs at TP 2 show 0.6)",
              7.1217, 11.03, 412944, 1.00,
              {"log": "vllm-7B-2gpuA10040GB-0.5GRAM-diff-nodes.log", "sampler": "sort",
               "note": "TP 2 over two nodes through Ray (RayWorkerWrapper workers).",
               "evidence": [
                   "(APIServer pid=121) INFO 09-03 04:36:09 [api_server.py:1805] vLLM API "
                   "server version 0.10.1.1",
                   "(APIServer pid=121) INFO 09-03 04:36:09 [utils.py:326] non-default args: "
                   "{'model_tag': 'Qwen2-7B-Instruct', 'port': 8081, 'model': "
                   "'Qwen2-7B-Instruct', 'max_model_len': 16384, 'tensor_parallel_size': 2, "
                   "'gpu_memory_utilization': 0.5}",
                   "(APIServer pid=121) INFO 09-03 04:36:32 [scheduler.py:222] Chunked prefill "
                   "is enabled with max_num_batched_tokens=2048.",
                   "(EngineCore_0 pid=1257) (RayWorkerWrapper pid=1384) INFO 09-03 04:41:48 "
                   "[gpu_model_runner.py:2007] Model loading took 7.1217 GiB and 198.942282 "
                   "seconds",
                   "(EngineCore_0 pid=1257) (RayWorkerWrapper pid=1384) INFO 09-03 04:42:46 "
                   "[gpu_worker.py:276] Available KV cache memory: 11.03 GiB",
                   "(EngineCore_0 pid=1257) INFO 09-03 04:42:46 [kv_cache_utils.py:849] GPU KV "
                   "cache size: 412,944 tokens",
                   "(EngineCore_0 pid=1257) (RayWorkerWrapper pid=1384) INFO 09-03 04:42:58 "
                   "[gpu_model_runner.py:2708] Graph capturing finished in 11 secs, took 1.00 "
                   "GiB",
                  "(EngineCore_0 pid=1257) (RayWorkerWrapper pid=1384) WARNING 09-03 04:38:28 "
                  "[topk_topp_sampler.py:61] FlashInfer is not available. Falling back to the "
                  "PyTorch-native implementation of top-p & top-k sampling. For the best "
                  "performance, please install FlashInfer."]}),

    {"id": "dennislee-gpt-oss-120b-tp4-a100-80gb-util08", "source":
     DENNISLEE + "vllm-120B-4gpuA10080GB-0.8GRAM-diff-nodes.log (README.md's Test 9)",
     "vllm_version": "0.10.1.1", "rules": "v1", "charge_cudagraphs": False,
     "gpu": "A100-80GB", "gpu_model": "NVIDIA A100 80GB x 4 across nodes (the log's file name "
                                      "and the README)",
     "gpu_total_gib": None, "tensor_parallel_size": 4, "pipeline_parallel_size": 1,
     "model": "openai/gpt-oss-120b", "config": "configs/openai--gpt-oss-120b.json",
     "dtype": None, "quantization": "mxfp4", "kv_cache_dtype": None,
     "max_model_len": 16384, "max_num_seqs": None, "max_num_batched_tokens": 2048,
     "gpu_memory_utilization": 0.8, "enforce_eager": False,
     "logged": {"weights_gib": 17.2217, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 1.88,
                "available_kv_gib": 45.32, "kv_cache_tokens": 2640144},
     "notes": "gpt-oss-120b (a local copy) at TP 4 over Ray workers on several nodes; mxfp4 "
              "from the engine config line (quantization=mxfp4). max_num_seqs is 0.10.1.1's "
              "default (not logged). gpt-oss alternates sliding-window and full layers, so the "
              "token count covers both groups. " + SAMPLER_NOTE["kernel"],
     "evidence": [
         "(APIServer pid=1009) INFO 09-10 23:26:12 [api_server.py:1805] vLLM API server version "
         "0.10.1.1",
         "(APIServer pid=1009) INFO 09-10 23:26:12 [utils.py:326] non-default args: "
         "{'model_tag': 'gpt-oss-120b', 'port': 8081, 'model': 'gpt-oss-120b', 'max_model_len': "
         "16384, 'tensor_parallel_size': 4, 'gpu_memory_utilization': 0.8}",
         "(APIServer pid=1009) INFO 09-10 23:26:32 [scheduler.py:222] Chunked prefill is "
         "enabled with max_num_batched_tokens=2048.",
         "(EngineCore_0 pid=1159) INFO 09-10 23:26:51 [core.py:74] Initializing a V1 LLM engine "
         "(v0.10.1.1) with config: model='gpt-oss-120b', ... tensor_parallel_size=4, "
         "pipeline_parallel_size=1, ... quantization=mxfp4, enforce_eager=False, "
         "kv_cache_dtype=auto",
         "(EngineCore_0 pid=1159) (RayWorkerWrapper pid=1273) INFO 09-10 23:47:50 "
         "[gpu_model_runner.py:2007] Model loading took 17.2217 GiB and 1219.554719 seconds",
         "(EngineCore_0 pid=1159) (RayWorkerWrapper pid=345, ip=10.42.9.225) INFO 09-10 "
         "23:48:38 [gpu_worker.py:276] Available KV cache memory: 45.32 GiB",
         "(EngineCore_0 pid=1159) INFO 09-10 23:48:39 [kv_cache_utils.py:1013] GPU KV cache "
         "size: 2,640,144 tokens",
         "(EngineCore_0 pid=1159) (RayWorkerWrapper pid=343, ip=10.42.9.224) INFO 09-10 "
         "23:50:21 [gpu_model_runner.py:2708] Graph capturing finished in 101 secs, took 1.88 "
         "GiB",
         "(EngineCore_0 pid=1159) (RayWorkerWrapper pid=1273) INFO 09-10 23:27:29 "
         "[topk_topp_sampler.py:50] Using FlashInfer for top-p & top-k sampling."],
     "sampler": "kernel"},

    {"id": "jupyter-llama-3.1-8b-fp16-a100-40gb", "source":
     "a Markdown note in a public GitHub repository (installing vLLM with uv and serving "
     "Meta-Llama-3.1-8B-Instruct in float16, with the sample log), found with the search "
     "tool's string index as file id 46454478915 on 2026-12-02; the index does not name its "
     "repository",
     "vllm_version": "0.10.1.1", "rules": "v1", "charge_cudagraphs": False,
     "gpu": "A100-40GB",
     "gpu_model": "not named in the part read; a 40GB A100 inferred: at the default "
                  "utilization 0.9, 14.99 GiB of weights plus 19.25 GiB of KV cache needs about "
                  "35.5 GiB, which a 32 GB card cannot give and which leaves 5.7 GiB or more of "
                  "overhead on a 44-48 GiB card (L40S, A40, A6000) where an 8B model at 2048 "
                  "tokens logs about 1.5 elsewhere",
     "gpu_total_gib": None, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "meta-llama/Llama-3.1-8B-Instruct",
     "config": "configs/meta-llama--Llama-3.1-8B-Instruct.json",
     "dtype": "float16", "quantization": None, "kv_cache_dtype": None,
     "max_model_len": None, "max_num_seqs": None, "max_num_batched_tokens": 2048,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 14.9889, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 0.52,
                "available_kv_gib": 19.25, "kv_cache_tokens": 157648},
     "notes": "vllm serve of a local Meta-Llama-3.1-8B-Instruct with --dtype float16 (the model's "
              "131072 tokens, logged); utilization 0.9 and max_num_seqs are 0.10.1.1's defaults. "
              "The GPU is inferred (gpu_model says how), so this row's KV error partly tests that "
              "inference. " + SAMPLER_NOTE["sort"] + " The note lists `pip install "
              "flashinfer-python`, but this start-up logged the fallback.",
     "evidence": [
         "/libraries/vllmenv/bin/vllm serve /home/jupyter/models/Meta-Llama-3.1-8B-Instruct "
         "--dtype float16 --port 8010 --disable-log-requests --tensor-parallel-size 1",
         "(APIServer pid=15) INFO 08-27 21:02:14 [api_server.py:1805] vLLM API server version "
         "0.10.1.1",
         "(APIServer pid=15) INFO 08-27 21:02:14 [utils.py:326] non-default args: {'model_tag': "
         "'/home/jupyter/models/Meta-Llama-3.1-8B-Instruct', 'port': 8010, 'model': "
         "'/home/jupyter/models/Meta-Llama-3.1-8B-Instruct', 'dtype': 'float16'}",
         "(APIServer pid=15) INFO 08-27 21:02:22 [__init__.py:1750] Using max model len 131072",
         "(APIServer pid=15) INFO 08-27 21:02:22 [scheduler.py:222] Chunked prefill is enabled "
         "with max_num_batched_tokens=2048.",
         "(EngineCore_0 pid=82) INFO 08-27 21:02:45 [gpu_model_runner.py:2007] Model loading "
         "took 14.9889 GiB and 11.314340 seconds",
         "(EngineCore_0 pid=82) INFO 08-27 21:03:25 [gpu_worker.py:276] Available KV cache "
         "memory: 19.25 GiB",
         "(EngineCore_0 pid=82) INFO 08-27 21:03:26 [kv_cache_utils.py:849] GPU KV cache size: "
         "157,648 tokens",
         "(EngineCore_0 pid=82) INFO 08-27 21:03:29 [gpu_model_runner.py:2708] Graph capturing "
         "finished in 3 secs, took 0.52 GiB",
         "(EngineCore_0 pid=82) WARNING 08-27 21:02:33 [topk_topp_sampler.py:61] FlashInfer is "
         "not available. Falling back to the PyTorch-native implementation of top-p & top-k "
         "sampling. For the best performance, please install FlashInfer."],
     "sampler": "sort"},

    {"id": "vllm27508-gpt-oss-120b-h100-default", "source":
     "https://github.com/vllm-project/vllm/issues/27508 (description by matheusfvesco, "
     "2025-10-25; read through the issue search and a stored issue digest, string-index file "
     "id 56996512052)",
     "vllm_version": "0.11 (the description: 'installed version 0.11 of vllm instead of "
                     "0.10.2'; gpu_worker.py:298 is 0.11.0's line)",
     "rules": "v1", "charge_cudagraphs": False,
     "gpu": "H100", "gpu_model": "NVIDIA H100 (the issue's title)", "gpu_total_gib": None,
     "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "openai/gpt-oss-120b", "config": "configs/openai--gpt-oss-120b.json",
     "dtype": None, "quantization": "mxfp4", "kv_cache_dtype": None,
     "max_model_len": None, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": None, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": None,
                "available_kv_gib": -2.28, "kv_cache_tokens": None},
     "notes": "The issue's first start-up: vllm serve openai/gpt-oss-120b --async-scheduling on "
              "one H100, every other setting the default (utilization 0.9, the model's 131072 "
              "tokens); the reporter's later start-up in the same thread (0.95, 1024 batched "
              "tokens, 1.71 GiB) is seed-row12. Asynchronous scheduling does not change the "
              "profile's budget.",
     "evidence": [
         "When running `vllm serve openai/gpt-oss-120b --async-scheduling` i get",
         "(Worker pid=224024) INFO 10-25 13:08:43 [gpu_worker.py:298] Available KV cache "
         "memory: -2.28 GiB",
         "(EngineCore_DP0 pid=223840) ERROR 10-25 13:08:43 [core.py:708] EngineCore failed to "
         "start."],
     "unpredictable": "start-up left no KV cache (-2.28 GiB logged): a relative error of a "
                      "figure near 0 says nothing, see the absolute error"},

    {"id": "summary-h100-gpt-oss-20b", "source": SUMMARY, "vllm_version": SUMMARY_VERSION,
     "rules": "v1", "charge_cudagraphs": False, "gpu": "H100",
     "gpu_model": "H100, 79.18 GiB as logged ('Free memory on device: 78.57/79.18 GiB')",
     "gpu_total_gib": 79.18, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "openai/gpt-oss-20b", "config": "configs/openai--gpt-oss-20b.json",
     "dtype": None, "quantization": "mxfp4", "kv_cache_dtype": None,
     "max_model_len": 16000, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 13.47, "activation_gib": 7.38, "non_torch_gib": 0.13,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 0.39,
                "available_kv_gib": 50.28, "kv_cache_tokens": None},
     "notes": SUMMARY_NOTE,
     "evidence": ["| gpt-oss-20b              | SUCCESS | 13.47              | 7.38                  "
                  "| 0.13                   | 0.39                   | 50.28                    "
                  "| 1       | 16000         |",
                  "**Model loading took:** 13.47 GiB memory and 31.68 seconds",
                  "**Available KV cache memory:** 50.28 GiB",
                  "**Free memory on device:** 78.57/79.18 GiB on startup",
                  "**Desired GPU utilization:** 0.9 (71.26 GiB)"]},

    {"id": "summary-h100-gpt-oss-120b", "source": SUMMARY, "vllm_version": SUMMARY_VERSION,
     "rules": "v1", "charge_cudagraphs": False, "gpu": "H100",
     "gpu_model": "H100, 79.18 GiB (the summary's header: 'H100 GPUs (79.18 GiB total memory)')",
     "gpu_total_gib": 79.18, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "openai/gpt-oss-120b", "config": "configs/openai--gpt-oss-120b.json",
     "dtype": None, "quantization": "mxfp4", "kv_cache_dtype": None,
     "max_model_len": 16000, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 64.38, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 1.03,
                "available_kv_gib": 3.33, "kv_cache_tokens": None},
     "notes": SUMMARY_NOTE + " Only the summary table gives this row (no detailed section). "
              "Its activation (7.38) and non-torch (0.13) figures repeat gpt-oss-20b's and do "
              "not add up with the others (71.26 - 64.38 - 7.38 - 0.13 = -0.63, not 3.33), so "
              "they are left null; the weights (0.14.1's figure in vllm#33155) and the KV "
              "budget are kept as the table gives them.",
     "evidence": ["| gpt-oss-120b             | SUCCESS | 64.38              | 7.38                  "
                  "| 0.13                   | 1.03                   | 3.33                     "
                  "| 1       | 16000         |"]},

    {"id": "summary-h100-llama-3.3-70b-fp8-tp2", "source": SUMMARY,
     "vllm_version": SUMMARY_VERSION, "rules": "v1", "charge_cudagraphs": False, "gpu": "H100",
     "gpu_model": "H100 x 2, 79.18 GiB as logged ('Free memory on device: 77.64/79.18 GiB')",
     "gpu_total_gib": 79.18, "tensor_parallel_size": 2, "pipeline_parallel_size": 1,
     "model": "RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic",
     "config": "configs/RedHatAI--Llama-3.3-70B-Instruct-fp8-dynamic.json",
     "dtype": None, "quantization": "compressed-tensors (fp8)", "kv_cache_dtype": None,
     "max_model_len": 16000, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 33.88, "activation_gib": 4.84, "non_torch_gib": 0.55,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": -0.42,
                "available_kv_gib": 32.0, "kv_cache_tokens": None},
     "notes": SUMMARY_NOTE + " Figures per rank.",
     "evidence": ["**Model name:** RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic",
                  "**tensor-parallel-size:** 2",
                  "**Model loading took:** 33.88 GiB memory and 116.61 seconds",
                  "**Available KV cache memory:** 32.0 GiB",
                  "**Free memory on device:** 77.64/79.18 GiB on startup",
                  "- **Peak activation memory:** 4.84 GiB",
                  "- **Non-torch memory:** 0.55 GiB",
                  "- **CUDAGraph memory:** -0.42 GiB"]},

    {"id": "summary-h100-llama-3.3-70b-fp8-tp1", "source": SUMMARY,
     "vllm_version": SUMMARY_VERSION, "rules": "v1", "charge_cudagraphs": False, "gpu": "H100",
     "gpu_model": "H100, 79.18 GiB (the summary's header)",
     "gpu_total_gib": 79.18, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic",
     "config": "configs/RedHatAI--Llama-3.3-70B-Instruct-fp8-dynamic.json",
     "dtype": None, "quantization": "compressed-tensors (fp8)", "kv_cache_dtype": None,
     "max_model_len": 16000, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 67.72, "activation_gib": 4.84, "non_torch_gib": 0.14,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": None,
                "available_kv_gib": -1.44, "kv_cache_tokens": None},
     "notes": SUMMARY_NOTE + " The start-up fails ('No available memory for the cache "
              "blocks'); the summary's 0.6 GiB of 'CUDAGraph memory' for it cannot come from a "
              "capture that never ran and is left out.",
     "evidence": ["**Model loading took:** 67.72 GiB memory and 45.09 seconds",
                  "**Available KV cache memory:** -1.44 GiB (NEGATIVE - INSUFFICIENT)",
                  "- **Peak activation memory:** 4.84 GiB",
                  "- **Non-torch memory:** 0.14 GiB"],
     "unpredictable": "start-up left no KV cache (-1.44 GiB logged): a relative error of a "
                      "figure near 0 says nothing, see the absolute error"},

    {"id": "summary-h100-llama-3.1-8b", "source": SUMMARY, "vllm_version": SUMMARY_VERSION,
     "rules": "v1", "charge_cudagraphs": False, "gpu": "H100",
     "gpu_model": "H100, 79.18 GiB as logged ('Free memory on device: 78.57/79.18 GiB')",
     "gpu_total_gib": 79.18, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "meta-llama/Llama-3.1-8B-Instruct",
     "config": "configs/meta-llama--Llama-3.1-8B-Instruct.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 16000, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 14.99, "activation_gib": 4.76, "non_torch_gib": 0.13,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": -0.45,
                "available_kv_gib": 51.38, "kv_cache_tokens": None},
     "notes": SUMMARY_NOTE,
     "evidence": ["**Model loading took:** 14.99 GiB memory and 31.46 seconds",
                  "**Available KV cache memory:** 51.38 GiB",
                  "**Free memory on device:** 78.57/79.18 GiB on startup",
                  "- **Peak activation memory:** 4.76 GiB",
                  "- **Non-torch memory:** 0.13 GiB",
                  "- **CUDAGraph memory:** -0.45 GiB"]},

    {"id": "summary-h100-qwen3-0.6b-16000", "source": SUMMARY, "vllm_version": SUMMARY_VERSION,
     "rules": "v1", "charge_cudagraphs": False, "gpu": "H100",
     "gpu_model": "H100, 79.18 GiB as logged ('Free memory on device: 78.57/79.18 GiB')",
     "gpu_total_gib": 79.18, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen3-0.6B", "config": "configs/Qwen--Qwen3-0.6B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 16000, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 1.12, "activation_gib": 5.56, "non_torch_gib": 0.13,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 0.10,
                "available_kv_gib": 64.45, "kv_cache_tokens": None},
     "notes": SUMMARY_NOTE,
     "evidence": ["**max-model-len:** 16000",
                  "**Model loading took:** 1.12 GiB memory and 16.54 seconds",
                  "**Available KV cache memory:** 64.45 GiB",
                  "**Free memory on device:** 78.57/79.18 GiB on startup",
                  "- **Peak activation memory:** 5.56 GiB",
                  "- **Non-torch memory:** 0.13 GiB",
                  "- **CUDAGraph memory:** 0.10 GiB"]},

    {"id": "summary-h100-qwen3-0.6b-32000", "source": SUMMARY, "vllm_version": SUMMARY_VERSION,
     "rules": "v1", "charge_cudagraphs": False, "gpu": "H100",
     "gpu_model": "H100, 79.18 GiB as logged ('Free memory on device: 78.57/79.18 GiB')",
     "gpu_total_gib": 79.18, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen3-0.6B", "config": "configs/Qwen--Qwen3-0.6B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 32000, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 1.12, "activation_gib": 5.56, "non_torch_gib": 0.13,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 0.10,
                "available_kv_gib": 64.45, "kv_cache_tokens": None},
     "notes": SUMMARY_NOTE + " A second start-up at max_model_len 32000 with the same figures "
              "(its suggested --kv-cache-memory differs by 2 MiB from the 16000 run's).",
     "evidence": ["**max-model-len:** 32000",
                  "**Model loading took:** 1.12 GiB memory and 16.45 seconds",
                  "**Available KV cache memory:** 64.45 GiB",
                  "For requested memory: `--kv-cache-memory=68932277351` (64.2 GiB)"]},

    {"id": "summary-h100-qwen3-32b", "source": SUMMARY, "vllm_version": SUMMARY_VERSION,
     "rules": "v1", "charge_cudagraphs": False, "gpu": "H100",
     "gpu_model": "H100, 79.18 GiB (the summary's header)",
     "gpu_total_gib": 79.18, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen3-32B", "config": "configs/Qwen--Qwen3-32B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 16000, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 61.03, "activation_gib": 5.64, "non_torch_gib": 0.14,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": -0.88,
                "available_kv_gib": 4.45, "kv_cache_tokens": None},
     "notes": SUMMARY_NOTE + " Only the summary table gives this row; the table's other "
              "single-GPU Qwen3-32B start-up (max_model_len 32000) failed with no KV figure "
              "and is not a row.",
     "evidence": ["| Qwen3-32B                | SUCCESS | 61.03              | 5.64                  "
                  "| 0.14                   | -0.88                  | 4.45                     "
                  "| 1       | 16000         |"]},

    {"id": "summary-h100-qwen3-32b-tp2", "source": SUMMARY, "vllm_version": SUMMARY_VERSION,
     "rules": "v1", "charge_cudagraphs": False, "gpu": "H100",
     "gpu_model": "H100 x 2, 79.18 GiB (the summary's header)",
     "gpu_total_gib": 79.18, "tensor_parallel_size": 2, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen3-32B", "config": "configs/Qwen--Qwen3-32B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 16000, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 30.59, "activation_gib": 5.64, "non_torch_gib": 0.54,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": -0.33,
                "available_kv_gib": 34.49, "kv_cache_tokens": None},
     "notes": SUMMARY_NOTE + " Only the summary table gives this row; figures per rank.",
     "evidence": ["| Qwen3-32B                | SUCCESS | 30.59             | 5.64                  "
                  "| 0.54                  | -0.33                  | 34.49                     "
                  "| 2       | 16000         |"]},

    {"id": "blog-qwen3-32b-tp2-rtx-pro-6000-util0426", "source":
     "a Markdown blog draft in a public GitHub repository (running Qwen3-32B on two GPUs with "
     "tensor and pipeline parallelism, written for a reader with two A40s), found with the "
     "search tool's string index as file id 57905766703 on 2026-12-02; the index does not "
     "name its repository",
     "vllm_version": ("0.27.1 (the post's software list pins vllm 0.27.1; its quoted "
                      "gpu_worker.py:563, kv_cache_utils.py:2235 and 2236 and "
                      "model_runner.py:329 are the lines of 0.27.0 and 0.27.1 and of no "
                      "other release from 0.25.0 to 0.32.0, read in the PyPI sdists; the "
                      "V2 model runner, model_runner.py, loads the weights)"),
     "rules": "v1", "charge_cudagraphs": True,
     "gpu": "RTX-PRO-6000",
     "gpu_model": "two Blackwell PCIe Gen5 cards, RTX PRO 6000 Blackwell (96 GB) inferred: the "
                  "post's 40.47 GiB budget at utilization 0.426 is a 95.0 GiB card, which it "
                  "sets to emulate an A40",
     "gpu_total_gib": None, "tensor_parallel_size": 2, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen3-32B", "config": "configs/Qwen--Qwen3-32B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 32768, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.426, "enforce_eager": False,
     "logged": {"weights_gib": 30.59, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": None,
                "available_kv_gib": 8.22, "kv_cache_tokens": 67296},
     "notes": "docker run vllm/vllm-openai:latest Qwen/Qwen3-32B --tensor-parallel-size 2 "
              "--gpu-memory-utilization 0.426 --max-model-len 32768; the scheduler settings "
              "are the version's defaults. The version and the GPU are inferred (see "
              "vllm_version and gpu_model).",
     "evidence": [
         "vllm/vllm-openai:latest Qwen/Qwen3-32B --tensor-parallel-size 2 "
         "--gpu-memory-utilization 0.426 --max-model-len 32768 --port 8000",
         "(Worker_TP0 pid=611) INFO [model_runner.py:329] Model loading took 30.59 GiB and "
         "20.690370 seconds",
         "(Worker_TP0 pid=611) INFO [gpu_worker.py:563] Available KV cache memory: 8.22 GiB",
         "(EngineCore pid=411) INFO [kv_cache_utils.py:2235] GPU KV cache size: 67,296 tokens",
         "(EngineCore pid=411) INFO [kv_cache_utils.py:2236] Maximum concurrency for 32,768 "
         "tokens per request: 2.05x",
         "Subtracting weights and cache from the 40.47 GiB budget, TP left 1.66 GiB of "
         "overhead per card and PP left 3.03 GiB"]},

    {"id": "blog-qwen3-32b-pp2-rtx-pro-6000-util0426", "source":
     "the same blog draft as blog-qwen3-32b-tp2-rtx-pro-6000-util0426 (string-index file id "
     "57905766703)",
     "vllm_version": "0.27.1 (as for the TP 2 row of the same post)",
     "rules": "v1", "charge_cudagraphs": True,
     "gpu": "RTX-PRO-6000",
     "gpu_model": "two Blackwell PCIe Gen5 cards, RTX PRO 6000 Blackwell (96 GB) inferred (see "
                  "the TP 2 row)",
     "gpu_total_gib": None, "tensor_parallel_size": 1, "pipeline_parallel_size": 2,
     "model": "Qwen/Qwen3-32B", "config": "configs/Qwen--Qwen3-32B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 32768, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.426, "enforce_eager": False,
     "logged": {"weights_gib": 30.52, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": None,
                "available_kv_gib": 6.92, "kv_cache_tokens": 56640},
     "notes": "The same server with --pipeline-parallel-size 2 instead of TP 2; the logged "
              "figures are the first stage's (Worker_PP0). The post measures 3.03 GiB of "
              "overhead per card against TP's 1.66.",
     "evidence": [
         "vllm/vllm-openai:latest Qwen/Qwen3-32B --pipeline-parallel-size 2 "
         "--gpu-memory-utilization 0.426 --max-model-len 32768 --port 8000",
         "(Worker_PP0 pid=611) INFO [model_runner.py:329] Model loading took 30.52 GiB and "
         "9.017490 seconds",
         "(Worker_PP0 pid=611) INFO [gpu_worker.py:563] Available KV cache memory: 6.92 GiB",
         "(EngineCore pid=411) INFO [kv_cache_utils.py:2235] GPU KV cache size: 56,640 tokens",
         "(EngineCore pid=411) INFO [kv_cache_utils.py:2236] Maximum concurrency for 32,768 "
         "tokens per request: 1.73x"]},
    {"id": "tokenkaki-qwen3-8b-a100-40gb", "source":
     "a Markdown note in a public GitHub repository (serving Qwen/Qwen3-8B with vLLM 0.9.2 on "
     "one A100 of a DGX Station and reading its start-up log), found with the search tool's "
     "string index as file id 58028398527 on 2026-12-02; the index does not name its "
     "repository",
     "vllm_version": "0.9.2", "rules": "v1", "charge_cudagraphs": False,
     "gpu": "A100-40GB", "gpu_model": "NVIDIA A100-SXM4-40GB (nvidia-smi in the note: the "
                                      "served card, GPU 4, 39062MiB / 40960MiB)",
     "gpu_total_gib": None, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen3-8B", "config": "configs/Qwen--Qwen3-8B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": None, "max_num_seqs": None, "max_num_batched_tokens": 2048,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 15.2683, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 2.24,
                "available_kv_gib": 18.69, "kv_cache_tokens": 136080},
     "notes": "vllm serve Qwen/Qwen3-8B with only host, port and the served name set: the "
              "model's 40960 tokens (logged), utilization 0.9 and max_num_seqs 0.9.2's "
              "defaults. " + SAMPLER_NOTE["sort"],
     "evidence": [
         "INFO 06-10 10:57:31 [api_server.py:1395] vLLM API server version 0.9.2",
         "INFO 06-10 10:57:31 [cli_args.py:325] non-default args: {'host': '172.17.0.1', "
         "'port': 8001, 'model': 'Qwen/Qwen3-8B', 'served_model_name': ['Qwen/Qwen3-8B']}",
         "INFO 06-10 10:57:39 [config.py:1472] Using max model len 40960",
         "INFO 06-10 10:57:39 [config.py:2285] Chunked prefill is enabled with "
         "max_num_batched_tokens=2048.",
         "INFO 06-10 10:57:57 [gpu_model_runner.py:1801] Model loading took 15.2683 GiB and "
         "3.617503 seconds",
         "INFO 06-10 10:58:13 [gpu_worker.py:232] Available KV cache memory: 18.69 GiB",
         "INFO 06-10 10:58:14 [kv_cache_utils.py:716] GPU KV cache size: 136,080 tokens",
         "INFO 06-10 10:58:37 [gpu_model_runner.py:2326] Graph capturing finished in 23 secs, "
         "took 2.24 GiB",
         "|   4  NVIDIA A100-SXM4-40GB          On  | 00000000:C2:00.0 Off |                    "
         "0 | ... |  39062MiB / 40960MiB |",
         "WARNING 06-10 10:57:52 [topk_topp_sampler.py:59] FlashInfer is not available. Falling "
         "back to the PyTorch-native implementation of top-p & top-k sampling. For the best "
         "performance, please install FlashInfer."],
     "sampler": "sort"},

    {"id": "rocm-ray-r1-distill-qwen-14b-tp2-mi300x", "source":
     "an AMD ROCm blog post in a public GitHub repository ('Exploring Use Cases for Scalable "
     "AI: Implementing Ray with ROCm Support for Efficient ML Workflows', 10 Sep 2025, section "
     "'Running vLLM Inference Server locally on a single node using Ray backend'), found with "
     "the search tool's string index as file id 62126620618 on 2026-12-02; the index does not "
     "name its repository",
     "vllm_version": "0.9.2.dev364+gb432b7a28 (ROCm)", "rules": "v1", "charge_cudagraphs": False,
     "gpu": "MI300X",
     "gpu_model": "an AMD Instinct GPU not named for this run; MI300X inferred: 151.25 GiB of KV "
                  "cache beside 13.99 GiB of weights at the default 0.9 needs a card of at least "
                  "183 GiB, and 0.9 of an MI325X (238 GiB) would leave 49 GiB unexplained; the "
                  "post's Ray Tune run elsewhere used MI210s (64 GB), too small for this",
     "gpu_total_gib": None, "tensor_parallel_size": 2, "pipeline_parallel_size": 1,
     "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", "config": "configs/Qwen--Qwen2.5-14B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 4096, "max_num_seqs": None, "max_num_batched_tokens": 8192,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": 13.9902, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": 0.28,
                "available_kv_gib": 151.25, "kv_cache_tokens": 1652080},
     "notes": "vllm serve deepseek-ai/DeepSeek-R1-Distill-Qwen-14B --max_model 4096 "
              "--distributed-executor-backend ray --tensor-parallel-size 2 in the "
              "rocm/vllm:rocm6.4.1_vllm_0.9.1_20250715 image (its vLLM reports "
              "0.9.2.dev364); Triton attention backend. The config is Qwen2.5-14B's, the "
              "distilled model's architecture (as seed-row07); utilization 0.9 and "
              "max_num_seqs are the version's defaults. The GPU is inferred (gpu_model says "
              "how).",
     "evidence": [
         "INFO 07-25 02:38:37 [__init__.py:244] Automatically detected platform rocm.",
         "INFO 07-25 02:38:47 [api_server.py:1388] vLLM API server version "
         "0.9.2.dev364+gb432b7a28",
         "INFO 07-25 02:38:47 [cli_args.py:314] non-default args: {'port': 8080, 'model': "
         "'deepseek-ai/DeepSeek-R1-Distill-Qwen-14B', 'max_model_len': 4096, "
         "'distributed_executor_backend': 'ray', 'tensor_parallel_size': 2}",
         "INFO 07-25 02:39:03 [config.py:2267] Chunked prefill is enabled with "
         "max_num_batched_tokens=8192.",
         "(RayWorkerWrapper pid=304431) INFO 07-25 02:39:41 [gpu_model_runner.py:1782] Model "
         "loading took 13.9902 GiB and 5.940045 seconds",
         "(RayWorkerWrapper pid=304431) INFO 07-25 02:40:06 [gpu_worker.py:232] Available KV "
         "cache memory: 151.25 GiB",
         "INFO 07-25 02:40:06 [kv_cache_utils.py:716] GPU KV cache size: 1,652,080 tokens",
         "(RayWorkerWrapper pid=304431) INFO 07-25 02:40:27 [gpu_model_runner.py:2306] Graph "
         "capturing finished in 21 secs, took 0.28 GiB"]},

    {"id": "kserve-qwen2.5-vl-7b-tp2-l4", "source":
     "a Markdown page of a public GitHub repository's KServe on OpenShift AI guide ('Using "
     "Multi-GPU Tensor Parallelism', the same guide and day as kserve-qwen2.5-vl-7b-l4), found "
     "with the search tool's string index as file id 71589812318 on 2026-12-02; the index does "
     "not name its repository",
     "vllm_version": "0.9.0.1 (inferred: the single-GPU page of the same guide logs 0.9.0.1 "
                     "the same day, and cli_args.py:325, gpu_worker.py:232 and "
                     "kv_cache_utils.py:716 are its line numbers)",
     "rules": "v1", "charge_cudagraphs": False,
     "gpu": "L4", "gpu_model": "NVIDIA L4 x 2 (nvidia-smi in the page: 23034MiB each)",
     "gpu_total_gib": 22.49, "tensor_parallel_size": 2, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen2.5-VL-7B-Instruct", "config": "configs/Qwen--Qwen2.5-VL-7B-Instruct.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 8192, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": None, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": None,
                "available_kv_gib": 10.04, "kv_cache_tokens": 375968},
     "notes": "Multimodal. The guide's InferenceService with --max-model-len 8192 "
              "--tensor-parallel-size 2 on two L4s; utilization 0.9 and the scheduler settings "
              "are the version's defaults (not in the quoted lines). gpu_total_gib is "
              "nvidia-smi's 23034 MiB in GiB, as for the single-GPU row.",
     "evidence": [
         "INFO 08-31 14:41:53 [cli_args.py:325] non-default args: {'port': 8080, 'model': "
         "'/mnt/models', 'max_model_len': 8192, 'served_model_name': ['qwen25-vl-7b-instruct'], "
         "'tensor_parallel_size': 2}",
         "(VllmWorker rank=0 pid=218) INFO 08-31 14:45:44 [gpu_worker.py:232] Available KV "
         "cache memory: 10.04 GiB",
         "INFO 08-31 14:45:45 [kv_cache_utils.py:716] GPU KV cache size: 375,968 tokens",
         "|   0  NVIDIA L4                      On  |   00000000:3C:00.0 Off |                    "
         "0 | ... |   20304MiB /  23034MiB |"]},
    {"id": "openshift-qwen3-0.6b-l40s", "source":
     "a Markdown guide in a public GitHub repository (an OpenShift AI benchmark of vLLM and "
     "llm-d serving Qwen/Qwen3-0.6B on 4 x L40S, one replica per GPU), found with the search "
     "tool's string index as file id 51824034485 on 2026-12-02; the index does not name its "
     "repository",
     "vllm_version": "0.12-0.20 (inferred, not logged: gpu_worker.py:359 and "
                     "kv_cache_utils.py:1229 come after 0.11.0's 298 and 1087, and the "
                     "guide's 'Maximum concurrency' format predates 0.21's CUDA-graph "
                     "report)",
     "rules": "v1", "charge_cudagraphs": False,
     "gpu": "L40S", "gpu_model": "NVIDIA L40S (the guide: 'Qwen3-0.6B on 4 x NVIDIA L40S "
                                 "GPUs', one replica of TP 1 per GPU)",
     "gpu_total_gib": None, "tensor_parallel_size": 1, "pipeline_parallel_size": 1,
     "model": "Qwen/Qwen3-0.6B", "config": "configs/Qwen--Qwen3-0.6B.json",
     "dtype": None, "quantization": None, "kv_cache_dtype": None,
     "max_model_len": 16000, "max_num_seqs": None, "max_num_batched_tokens": None,
     "gpu_memory_utilization": 0.9, "enforce_eager": False,
     "logged": {"weights_gib": None, "activation_gib": None, "non_torch_gib": None,
                "cudagraph_estimated_gib": None, "cudagraph_actual_gib": None,
                "available_kv_gib": 37.42, "kv_cache_tokens": 350304},
     "notes": "The guide's vLLM ServingRuntime sets --max-model-len=16000 (quoted); the other "
              "arguments are not shown, so utilization 0.9 and the scheduler settings are "
              "taken as the version's defaults (an assumption: a runtime that set another "
              "utilization would change this row's budget).",
     "evidence": [
         "**Example: Qwen3-0.6B on 4 x NVIDIA L40S GPUs**",
         "(EngineCore_DP0 pid=40) INFO 03-03 16:30:21 [gpu_worker.py:359] Available KV cache "
         "memory: 37.42 GiB",
         "(EngineCore_DP0 pid=40) INFO 03-03 16:30:22 [kv_cache_utils.py:1229] GPU KV cache "
         "size: 350,304 tokens",
         "(EngineCore_DP0 pid=40) INFO 03-03 16:30:22 [kv_cache_utils.py:1234] Maximum "
         "concurrency for 16,000 tokens per request: 21.89x",
         "- **ServingRuntime** (`vllm-runtime`) - vLLM container with `--max-model-len=16000`"]},
]
