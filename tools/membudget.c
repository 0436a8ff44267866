/* tools/membudget.c: the membudget command: dispatch, --help and --version. */
#include <string.h>

#include "cli.h"
#include "cli_chart.h"

int cmd_devices(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_gather(int argc, char **argv);
int cmd_kv_space(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_processes(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_serve(int argc, char **argv);

const cli_command cli_commands[] = {
    {"devices", cmd_devices, "List each backend tried (present, absent, broken, and why) and "
                             "each device served.",
     "membudget devices [--json]"},
    {"snapshot", cmd_snapshot, "Measure free and total memory of every device (or one) now.",
     "membudget snapshot [--device NAME] [--json] [--chart | --ascii] [--svg FILE] [--png FILE]\n"
     "                   [--mpi [--mpi-timeout S]]\n"
     "\n" CLI_CHART_HELP
     "  --mpi            under mpirun: every rank measures its device (--device, else its\n"
     "                   local rank's) and rank 0 prints one document for the job: each\n"
     "                   rank and the totals (docs/cluster.md)\n"
     "  --mpi-timeout S  seconds every rank waits for the others (default 30); a rank\n"
     "                   that does not arrive in time is named and the job is aborted"},
    {"gather", cmd_gather, "Copy the /proc and /sys files membudget reads into DIR, a dump that "
                           "MEMBUDGET_SYSROOT=DIR reads back.",
     "membudget gather DIR"},
    {"kv-space", cmd_kv_space, "The CPU KV-cache size of a local rank (VLLM_CPU_KVCACHE_SPACE, "
                               "explicit or automatic), its NUMA node and why.",
     "membudget kv-space [--rank N] [--utilization U] [--kv-cache-memory-bytes SIZE] [--json]\n"
     "\n"
     "  --rank N         the local rank (default 0): VLLM_CPU_OMP_THREADS_BIND and\n"
     "                   CPU_VISIBLE_MEMORY_NODES decide its node\n"
     "  --utilization U  fraction of the node's memory the worker may use, (0, 1];\n"
     "                   default 0.92 (vLLM's --gpu-memory-utilization)\n"
     "Exit status: 0 with a decision; 1 when a variable is malformed or the size does not\n"
     "fit the node (the message says what to change); 2 for bad usage."},
    {"plan", cmd_plan, "How big the KV cache of a model can be on a device, by vLLM's rules.",
     "membudget plan --model PATH [--device NAME | --total-memory SIZE [--free-memory SIZE]]\n"
     "                      [--gpu-memory-utilization U] [--max-model-len N|auto]\n"
     "                      [--max-num-seqs N] [--max-num-batched-tokens N] [--block-size N]\n"
     "                      [--tensor-parallel-size N] [--kv-cache-dtype T]\n"
     "                      [--kv-cache-memory-bytes SIZE] [--non-kv-memory SIZE]\n"
     "                      [--weights-memory SIZE] [--cudagraph-memory SIZE]\n"
     "                      [--cudagraph-captures FIRST,SECOND] [--enforce-eager] [--json]\n"
     "                      [--mpi [--mpi-timeout S]]\n"
     "                      [--chart | --ascii] [--svg FILE] [--png FILE]\n"
     "\n"
     "  --model PATH             a config.json, or a folder holding one (weights from its\n"
     "                           model.safetensors.index.json or model.safetensors)\n"
     "  --device NAME            measure this device (default: the first one); or a what-if\n"
     "  --total-memory SIZE      device of this size, with --free-memory free (default all)\n"
     "  --gpu-memory-utilization fraction of total memory vLLM may use, (0, 1]; default 0.92\n"
     "  --max-model-len N        tokens per request; default the model's; auto: the longest\n"
     "                           that fits\n"
     "  --gpu NAME | list        a named what-if GPU (H100, A100-80GB, MI300X, ...): its\n"
     "                           memory and the defaults vLLM takes from it; list: the\n"
     "                           table with sources (--gpu also runs the estimate below)\n"
     "  --max-num-seqs N         default: vLLM's for the device (256, or 1024 on 70 GiB+)\n"
     "  --max-num-batched-tokens default: vLLM's for the device and --usage-context\n"
     "  --usage-context C        serve (default: vllm serve's defaults) or llm (LLM())\n"
     "  --block-size N           tokens per KV block: 1 8 16 32 64 128 256; default the\n"
     "                           attention backend's (16; FlashMLA 64; CPU 32)\n"
     "  --tensor-parallel-size N devices the KV heads are split over; default 1\n"
     "  --pipeline-parallel-size N  stages the layers are split over (-pp); default 1\n"
     "  --num-gpu-blocks-override N the block count, as vLLM's option\n"
     "  --num-speculative-tokens K  decode batches of 1 + K tokens (CUDA graphs, states)\n"
     "  --no-async-scheduling    one batch in flight per stage instead of pp + 1\n"
     "  --no-enable-prefix-caching  Mamba layers keep one state (mamba_cache_mode none)\n"
     "  --kv-cache-dtype T       auto bfloat16 fp8 fp8_e4m3 fp8_e5m2 fp8_inc fp8_ds_mla\n"
     "  --kv-cache-memory-bytes  the KV cache size per device, bypassing the budget\n"
     "  --non-kv-memory SIZE     weights + activation peak + non-torch memory per device,\n"
     "                           from a profiling run (default: the weights alone)\n"
     "  --weights-memory SIZE    the whole model's weights, when the folder does not say\n"
     "  --cudagraph-memory SIZE  the CUDA-graph estimate; or --cudagraph-captures with two\n"
     "                           measured captures (default: 1 MiB per graph, vLLM's floor)\n"
     "  --enforce-eager          no CUDA graphs\n"
     "  --mpi                    under mpirun: every rank plans its own device and rank 0\n"
     "                           prints the agreed num_blocks (the minimum over ranks), the\n"
     "                           limiting rank and why, and each rank's plan; exit 1 when\n"
     "                           the agreed blocks do not hold one request or a rank failed\n"
     "                           (docs/cluster.md); --mpi-timeout S as for snapshot\n"
     "Estimate (issue 15; docs/estimate.md): predict every part before any GPU is touched\n"
     "  --estimate               weights, activation peak, non-torch memory and CUDA graphs\n"
     "                           estimated, each with its source and range; the KV cache,\n"
     "                           tokens and concurrency as ranges; fits / may not fit / does\n"
     "                           not fit; vLLM, SGLang and TensorRT-LLM settings\n"
     "  --gpu NAME               plan for a named device (H100, A100-40GB, RTX 4090, L4,\n"
     "                           MI300X, ...; implies --estimate)\n"
     "  --pipeline-parallel-size N, --instances N (engines sharing the device),\n"
     "  --memory-cap SIZE (per instance), --vllm-version X.Y[.Z] (that V1-engine\n"
     "                           release's rules, default 0.33.0: its model runner for the\n"
     "                           model, V1's sampler, the graphs charged from 0.20),\n"
     "  --vllm-v0 0.Y.Z          the V0 engine of that release: its profile run, sampler\n"
     "  --sampler kernel|sort    V1's top-k/top-p in the profile run: kernels (default, as\n"
     "                           vLLM 0.33) or torch's sort (V1 from 0.11.1 until 0.17,\n"
     "                           or without FlashInfer before); default: the release's\n"
     "  --model-runner v1|v2     the model runner (default: the release's for the model)\n"
     CLI_CHART_HELP
     "\n"
     "SIZE and N take vLLM's units: 85899345920 (bytes), 80G or 80GiB (binary: K M G T are\n"
     "2^10 .. 2^40, whole numbers only with K M G T), 80g (decimal: k m g t are 10^3 ..\n"
     "10^12, fractions allowed), 0.5GiB. 80GB is refused as ambiguous.\n"
     "Exit status: 0 when a plan was made, fitting or not (see the verdict, or \"fits\" in\n"
     "--json), except 1 when vLLM would refuse to start (one request of max_model_len\n"
     "does not fit even alone: the plan is still printed, then vLLM's own message); 2 for\n"
     "bad usage (an unknown --gpu names the nearest); 1 when the model or device cannot be\n"
     "read or the config has a layer kind membudget does not plan."},
    {"merge", cmd_merge, "Merge `snapshot --json` outputs of many nodes (files, or documents "
                         "on standard input) into one cluster document, as snapshot --mpi "
                         "prints.",
     "membudget merge [--json] [--chart | --ascii] [--svg FILE] [--png FILE] [FILE... | -]\n"
     "\n"
     "  FILE   a `membudget snapshot --json` output (or a cluster document); several\n"
     "         documents may follow one another in one file; - or none: standard input\n"
     "Each device becomes one entry of \"ranks\", labelled by the document's \"hostname\"\n"
     "(else the file's name); \"totals\" count a (host, device) pair once. The picture\n"
     "has one bar per rank, the one with the least free memory outlined:\n" CLI_CHART_HELP},
    {"processes", cmd_processes, "Which processes hold each device's memory, how much, and "
                                 "where the figure came from.",
     "membudget processes [--device NAME] [--json]\n"
     "\n"
     "Sources: NVML (NVIDIA), KFD and DRM fdinfo (AMD), /proc/<pid>/numa_maps (CPU nodes).\n"
     "PID is this namespace's, HOST-PID the one the source gave, NS-PID the one inside the\n"
     "process's own container. Other users' processes need root to be read."},
    {"watch", cmd_watch, "Stream snapshots and memory pressure events (PSI triggers) until "
                         "interrupted.",
     "membudget watch [--interval S] [--json] [--processes] [--count N]\n"
     "                [--some-ms MS] [--full-ms MS] [--window-ms MS] [--poll]\n"
     "                [--poll-interval S]\n"
     "\n"
     "  --interval S       a snapshot of every device each S seconds (default 10)\n"
     "  --json             one JSON object per line (types start, snapshot, pressure,\n"
     "                     processes)\n"
     "  --processes        a record when the processes on a device change\n"
     "  --count N          stop after N records\n"
     "  --some-ms, --full-ms, --window-ms\n"
     "                     PSI trigger thresholds; default some 150, full 100 per 2000\n"
     "  --poll             poll the pressure file instead of registering triggers\n"
     "  --poll-interval S  the polling fallback's interval (default 1)\n"
     "The pressure file is $MEMORY_PRESSURE_WATCH (systemd), else the cgroup v2\n"
     "memory.pressure, else /proc/pressure/memory. Ends with exit 0 on SIGINT, SIGTERM or\n"
     "when its reader goes away."},
    {"metrics", cmd_metrics, "Print every figure in Prometheus' text format, or write it for "
                             "node_exporter.",
     "membudget metrics [--textfile DIR] [--no-processes]\n"
     "\n"
     "  --textfile DIR   write DIR/membudget.prom atomically (node_exporter's\n"
     "                   --collector.textfile.directory)\n"
     "  --no-processes   leave out the per-process series"},
    {"serve", cmd_serve, "Serve /metrics over HTTP for Prometheus (loopback unless asked).",
     "membudget serve [--listen ADDRESS:PORT] [--allow-remote] [--no-processes]\n"
     "\n"
     "  --listen ADDRESS:PORT  default 127.0.0.1:9464; port 0 picks a free one (printed)\n"
     "  --allow-remote         allow an address that is not loopback"},
    {NULL, NULL, NULL, NULL},
};

/* Prints the usage of the command named name. */
static void print_help(const char *name, FILE *to)
{
    for (const cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0) {
            fprintf(to, "usage: %s\n\n%s\n", c->usage, c->summary);
            return;
        }
}

static void usage(FILE *to)
{
    fprintf(to, "usage: membudget <command> [options]\n"
                "       membudget --help | --version\n\ncommands:\n");
    for (const cli_command *c = cli_commands; c->name; c++)
        fprintf(to, "  %-10s %s\n", c->name, c->summary);
    fprintf(to, "\n'membudget <command> --help' for a command's options.\n"
                "\nenvironment:\n"
                "  MEMBUDGET_BACKENDS   backends to use, e.g. 'cuda,-hip' (include, -exclude)\n"
                "  MEMBUDGET_SYSROOT    read /proc and /sys under this folder (a machine dump)\n"
                "  VLLM_CPU_KVCACHE_SPACE, VLLM_CPU_OMP_THREADS_BIND, CPU_VISIBLE_MEMORY_NODES\n"
                "                       vLLM's CPU settings, read by kv-space and the CPU backend\n"
                "  CUDA_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES\n"
                "                       honoured by the drivers\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            for (const cli_command *c = cli_commands; c->name; c++)
                if (strcmp(c->name, argv[2]) == 0) {
                    print_help(c->name, stdout);
                    return CLI_OK;
                }
        }
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("membudget %s\n", mb_version_string()); /* the library loaded */
        return CLI_OK;
    }
    for (const cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0) {
            for (int i = 2; i < argc; i++)
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                    print_help(c->name, stdout);
                    return CLI_OK;
                }
            return c->run(argc - 1, argv + 1);
        }
    fprintf(stderr, "membudget: unknown command '%s' (see 'membudget --help')\n", argv[1]);
    return CLI_USAGE;
}
