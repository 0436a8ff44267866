/* tools/plan_cli.h: the pieces of `membudget plan` (tools/cmd_plan.c) shared by its files:
 * the parsed command line, the flags (plan_args.c), the device side (plan_device.c), and the
 * text (plan_text.c) and JSON (plan_json.c) forms of a plan. */
#ifndef MB_TOOLS_PLAN_CLI_H
#define MB_TOOLS_PLAN_CLI_H

#include "cli.h"
#include "cli_chart.h"
#include "plan_estimate.h"

/* vLLM 0.33's CPU worker (vllm/v1/worker/cpu_worker.py determine_available_memory): an
 * explicit --kv-cache-memory-bytes (or the legacy VLLM_CPU_KVCACHE_SPACE), else
 * ceil(node total x utilization) - the worker's RSS; no CUDA graphs (mb_cpu_kv_space_get) */
#define CPU_NOTE                                                                            \
    "a CPU device: the KV cache size is vLLM's CPU worker's (--kv-cache-memory-bytes or "  \
    "VLLM_CPU_KVCACHE_SPACE, else ceil(node total x utilization) - resident memory); no "  \
    "CUDA graphs"

/* What this plan does not model yet (issue 14), said in every plan */
#define NOT_MODELLED                                                                        \
    "hybrids other than Qwen3-Next, Jamba, Granite 4 and Nemotron-H (refused), MLA next " \
    "to state layers and hybrids on a CPU device (refused), the FA4 head-256 and " \
    "FlashInfer kernel block sizes (FlashAttention's 16 is taken), encoder-decoder " \
    "cross-attention (refused), DeciLM's replace_with_linear (refused: vLLM cannot build it), " \
    "unequal pages across layer kinds (refused), DeciLM's per-layer FFN in the estimate, " \
    "shared KV other than Gemma 3n's, speculative draft " \
    "layers, packed cache dtypes (refused), LoRA / encoder / micro-batch CUDA graphs " \
    "and FlashInfer's device-specific kernel choice are not modelled"

typedef struct plan_args {
    char cpu_reason[512]; /* a CPU device: why its KV size (mb_cpu_kv_space_get) */
    const char *model;
    const char *device;
    const char *total, *free;
    mb_gpu_spec gpu_spec; /* filled when gpu is set */
    int json;
    mb_plan_options o;
    plan_est est; /* issue 15: the estimate's options and results (plan_estimate.c) */
    cli_chart chart; /* --chart --ascii --svg --png */
} plan_args;

/* The command line into a (plan_args.c): CLI_OK, or a usage error already printed. */
int plan_parse(int argc, char **argv, plan_args *a);
/* A size (vLLM's units); one line naming the flag on failure. */
int plan_parse_size(const char *flag, const char *v, int64_t *out);
/* --gpu NAME: the what-if device's total and capability (plan_args.c). */
int plan_apply_gpu(plan_args *a);

/* plan_device.c: `plan --gpu list`, the device's snapshot, and a CPU device's KV size. */
int plan_print_gpu_list(int json);
int plan_device_snapshot(const plan_args *a, mb_snapshot *s);
int plan_apply_cpu_kv_space(plan_args *a, const mb_snapshot *s);

/* The plan as text (plan_text.c) or as its JSON document, printed (plan_json.c). */
void plan_print_text(const plan_args *a, const mb_model *m, const mb_snapshot *s,
                     const mb_plan *p);
int plan_print_json(const plan_args *a, const mb_model *m, const mb_snapshot *s,
                    const mb_plan *p);

#endif
