/* tools/cli_flags.c: the library names what a C caller can change (a field of an options
 * struct, a parameter: docs/errors.md); the CLI's user changes flags. These rewrite the
 * library's texts (error details, verdicts, rules, reasons) into the CLI's flag names just
 * before the CLI prints them. */
#include <string.h>

#include "cli.h"

/* Longest first: a name is replaced only as a whole (no letter, digit or '_' either
 * side), so "max_model_len" never matches inside "max_model_len_x"; and not right after
 * '[', '`' or a quote, where a text quotes vLLM's own words ("[block_size not supported]",
 * "`gpu_memory_utilization`"), which stay as vLLM wrote them. */
static const struct {
    const char *name, *flag;
} names[] = {
    {"a device name (mb_estimate_device_find) or total_memory",
     "--gpu NAME or --total-memory SIZE"},
    {"mb_gpu_spec_get lists them all", "--gpu list shows them all"},
    {"cudagraph_full_first/cudagraph_full_second", "--cudagraph-full-captures"},
    {"cudagraph_first/cudagraph_second", "--cudagraph-captures"},
    {"mb_estimate_device_find: name", "--gpu"},
    {"mb_cpu_kv_options.utilization", "--gpu-memory-utilization"},
    {"mb_estimate_options.instances", "--instances"},
    {"mb_estimate_options.sampler", "--sampler"},
    {"mb_estimate_options.vllm_release", "--vllm-version"},
    {"mb_estimate_options.model_runner", "--model-runner"},
    {"mb_estimate_options.vllm_v0_release", "--vllm-v0"},
    {"MB_SAMPLER_TORCH_SORT", "sort"},
    {"MB_RUNNER_V1", "v1"},
    {"mb_gpu_spec_find: name", "--gpu"},
    {"usage_context_llm 0", "--usage-context serve"},
    {"usage_context_llm 1", "--usage-context llm"},
    {"mb_model_load: path", "--model"},
    {"num_nextn_predict_layers", "--num-nextn-predict-layers"},
    {"num_gpu_blocks_override", "--num-gpu-blocks-override"},
    {"cudagraph_full_second", "--cudagraph-full-captures (second)"},
    {"cudagraph_full_first", "--cudagraph-full-captures (first)"},
    {"num_speculative_tokens", "--num-speculative-tokens"},
    {"gpu_memory_utilization", "--gpu-memory-utilization"},
    {"max_num_batched_tokens", "--max-num-batched-tokens"},
    {"pipeline_parallel_size", "--pipeline-parallel-size"},
    {"kv_cache_memory_bytes", "--kv-cache-memory-bytes"},
    {"tensor_parallel_size", "--tensor-parallel-size"},
    {"speculative_method", "--speculative-method"},
    {"attention_backend", "--attention-backend"},
    {"compute_capability", "--gpu"},
    {"cudagraph_memory", "--cudagraph-memory"},
    {"cudagraph_second", "--cudagraph-captures (second)"},
    {"cudagraph_first", "--cudagraph-captures (first)"},
    {"weights_memory", "--weights-memory"},
    {"kv_cache_dtype", "--kv-cache-dtype"},
    {"non_kv_memory", "--non-kv-memory"},
    {"enforce_eager", "--enforce-eager"},
    {"max_model_len", "--max-model-len"},
    {"total_memory", "--total-memory"},
    {"max_num_seqs", "--max-num-seqs"},
    {"free_memory", "--free-memory"},
    {"memory_cap", "--memory-cap"},
    {"block_size", "--block-size"},
};

static int quoting(char c) { return c == '[' || c == '`' || c == '\'' || c == '"'; }

static int word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

void cli_flags(char *text, size_t size)
{
    char out[4096];
    size_t o = 0;
    const char *p = text;
    while (*p && o + 1 < sizeof out) {
        size_t k = 0, n = sizeof names / sizeof names[0];
        int start = p == text || (!word_char(p[-1]) && !quoting(p[-1]));
        if (start)
            for (; k < n; k++) {
                size_t l = strlen(names[k].name);
                if (strncmp(p, names[k].name, l) == 0 && !word_char(p[l]))
                    break;
            }
        if (start && k < n) {
            size_t fl = strlen(names[k].flag);
            if (o + fl >= sizeof out)
                break;
            memcpy(out + o, names[k].flag, fl);
            o += fl;
            p += strlen(names[k].name);
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    snprintf(text, size, "%s", out);
}

const char *cli_detail(void)
{
    static char buf[2048];
    snprintf(buf, sizeof buf, "%s", mb_error_detail());
    cli_flags(buf, sizeof buf);
    return buf;
}

void cli_flags_plan(mb_plan *p)
{
    cli_flags(p->verdict, sizeof p->verdict);
    cli_flags(p->batch_rule, sizeof p->batch_rule);
    cli_flags(p->block_size_rule, sizeof p->block_size_rule);
}

void cli_flags_estimate(mb_estimate *e)
{
    mb_estimate_part *parts[] = {&e->weights, &e->activation, &e->non_torch, &e->cudagraph};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        cli_flags(parts[i]->reason, sizeof parts[i]->reason);
    cli_flags(e->verdict_text, sizeof e->verdict_text);
    cli_flags(e->rules, sizeof e->rules);
}
