/*
 * core/gpus.c: the named what-if GPUs and the defaults vLLM 0.33.0 takes from a device
 * (gpu_table.h).
 *
 * Capacities are the vendors' published memory per GPU (datasheets; named per row), in
 * GiB as the boards carry it. The CUDA runtime reports a little less (ECC and the
 * driver's reservation: vLLM's own log shows total_gpu_memory 79.22 GiB on an 80 GB H100,
 * vllm PR #10511), so a plan on a named GPU is an upper bound by about 1 %; measure the
 * board (`membudget plan --device cuda:0`) or pass --total-memory for the exact figure.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gpu_table.h"
#include "internal.h"

#define GiB ((int64_t)1 << 30)

static const mb__gpu table[] = {
    {"A10", "A10-24GB", "nvidia", 24 * GiB, 8, 6, "sm_86", 0,
     "NVIDIA A10 datasheet: 24 GB GDDR6"},
    {"A100-40GB", "A100-SXM4-40GB,A100-PCIE-40GB", "nvidia", 40 * GiB, 8, 0, "sm_80", 0,
     "NVIDIA A100 datasheet: 40 GB HBM2"},
    {"A100-80GB", "A100,A100-SXM4-80GB", "nvidia", 80 * GiB, 8, 0, "sm_80", 0,
     "NVIDIA A100 datasheet: 80 GB HBM2e"},
    {"L4", "", "nvidia", 24 * GiB, 8, 9, "sm_89", 0, "NVIDIA L4 datasheet: 24 GB GDDR6"},
    {"L40S", "", "nvidia", 48 * GiB, 8, 9, "sm_89", 0, "NVIDIA L40S datasheet: 48 GB GDDR6"},
    {"H100", "H100-SXM,H100-80GB,H100-SXM5-80GB", "nvidia", 80 * GiB, 9, 0, "sm_90", 0,
     "NVIDIA H100 datasheet (SXM): 80 GB HBM3"},
    {"H100-NVL", "", "nvidia", 94 * GiB, 9, 0, "sm_90", 0,
     "NVIDIA H100 datasheet (NVL): 94 GB HBM3"},
    {"H200", "H200-SXM", "nvidia", 141 * GiB, 9, 0, "sm_90", 0,
     "NVIDIA H200 datasheet: 141 GB HBM3e"},
    {"B200", "", "nvidia", 180 * GiB, 10, 0, "sm_100", 0,
     "NVIDIA DGX B200 datasheet: 1,440 GB HBM3e over 8 GPUs, 180 GB each"},
    {"GB10", "DGX-Spark", "nvidia", 128 * GiB, 12, 1, "sm_121", 1,
     "NVIDIA DGX Spark datasheet: 128 GB LPDDR5x unified memory"},
    {"GH200", "", "nvidia", 96 * GiB, 9, 0, "sm_90", 0,
     "NVIDIA GH200 datasheet: 96 GB HBM3 on the GPU (the Grace CPU's LPDDR5X is separate)"},
    {"RTX-4090", "RTX4090,GeForce-RTX-4090", "nvidia", 24 * GiB, 8, 9, "sm_89", 0,
     "NVIDIA GeForce RTX 4090 specifications: 24 GB GDDR6X"},
    {"RTX-5090", "RTX5090,GeForce-RTX-5090", "nvidia", 32 * GiB, 12, 0, "sm_120", 0,
     "NVIDIA GeForce RTX 5090 specifications: 32 GB GDDR7"},
    {"Jetson-AGX-Orin-64GB", "AGX-Orin-64GB,Orin", "nvidia", 64 * GiB, 8, 7, "sm_87", 1,
     "NVIDIA Jetson AGX Orin datasheet: 64 GB LPDDR5 shared with the CPU"},
    {"MI300X", "", "amd", 192 * GiB, 0, 0, "gfx942", 0,
     "AMD Instinct MI300X datasheet: 192 GB HBM3"},
    {"MI325X", "", "amd", 256 * GiB, 0, 0, "gfx942", 0,
     "AMD Instinct MI325X datasheet: 256 GB HBM3E"},
    {NULL, NULL, NULL, 0, 0, 0, NULL, 0, NULL},
};

const mb__gpu *mb__gpu_table(void) { return table; }

/* name matches one of the comma-separated names in list (case-insensitive) */
static int in_list(const char *name, const char *list)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncasecmp(p, name, n) == 0)
            return 1;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static void lower(const char *in, char *out, size_t size)
{
    size_t i = 0;
    for (; in[i] && i + 1 < size; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

const mb__gpu *mb__gpu_find(const char *name, const char **nearest)
{
    if (nearest)
        *nearest = NULL;
    if (!name)
        return NULL;
    for (const mb__gpu *g = table; g->name; g++)
        if (strcasecmp(g->name, name) == 0 || in_list(name, g->aliases))
            return g;
    int best = 1 << 30;
    char a[64], b[64];
    lower(name, a, sizeof a);
    for (const mb__gpu *g = table; g->name; g++) {
        lower(g->name, b, sizeof b);
        int d = mb__edit_distance(a, b);
        if (strncmp(b, a, strlen(a)) == 0)
            d -= 1; /* "H10" is more likely H100 than A10 */
        if (d < best) {
            best = d;
            if (nearest)
                *nearest = g->name;
        }
    }
    return NULL;
}

void mb__gpu_batch_defaults(int64_t total, const char *device_name, int is_gb10, int is_cpu,
                            int world_size, int usage_llm, int *seqs, int64_t *tokens,
                            const char **why)
{
    char lname[128];
    lower(device_name ? device_name : "", lname, sizeof lname);
    if (is_cpu) {
        *seqs = (usage_llm ? 256 : 128) * world_size;
        *tokens = (int64_t)(usage_llm ? 4096 : 2048) * world_size;
        *why = "vLLM's CPU defaults: max_num_seqs 256 (llm) / 128 (serve) and "
               "max_num_batched_tokens 4096 / 2048, each times the world size";
    } else if (total >= 160 * GiB) {
        *seqs = 1024;
        *tokens = 16384;
        *why = "a device of 160 GiB or more (B200 class): max_num_seqs 1024, "
               "max_num_batched_tokens 16384";
    } else if (total >= 70 * GiB && !strstr(lname, "a100") && !is_gb10) {
        *seqs = 1024;
        *tokens = usage_llm ? 16384 : 8192;
        *why = "a device of 70 GiB or more that is not an A100 or a GB10 (H100/H200 "
               "class): max_num_seqs 1024, max_num_batched_tokens 16384 (llm) / 8192 (serve)";
    } else {
        *seqs = 256;
        *tokens = usage_llm ? 8192 : 2048;
        *why = "vLLM's defaults for other devices: max_num_seqs 256, max_num_batched_tokens "
               "8192 (llm) / 2048 (serve)";
    }
}

int mb__gpu_default_block_size(int cc_major, int is_cpu, int is_mla, int fp8_cache,
                               const char **why)
{
    if (is_cpu) {
        *why = "the CPU backend (CPU_ATTN) runs blocks that are multiples of 32";
        return 32;
    }
    if (is_mla && cc_major == 9 && fp8_cache) {
        *why = "MLA with an fp8 cache on sm_90 runs on FlashMLA, whose blocks are 64";
        return 64;
    }
    if (is_mla && cc_major == 10) {
        *why = "MLA on sm_100 runs on FlashInfer-MLA, whose blocks are 32 or 64";
        return 32;
    }
    *why = "vLLM's default block size (CacheConfig.DEFAULT_BLOCK_SIZE) suits the attention "
           "backend";
    return 16;
}

/* ---- the public view ------------------------------------------------------------------ */

static void fill(const mb__gpu *g, mb_gpu_spec *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", g->name);
    snprintf(out->aliases, sizeof out->aliases, "%s", g->aliases);
    snprintf(out->vendor, sizeof out->vendor, "%s", g->vendor);
    snprintf(out->arch, sizeof out->arch, "%s", g->arch);
    out->total_memory = g->total_memory;
    out->compute_capability = g->cc_major * 10 + g->cc_minor;
    out->integrated = g->integrated;
    snprintf(out->source, sizeof out->source, "%s", g->source);
}

int mb_gpu_spec_count(void)
{
    int n = 0;
    while (table[n].name)
        n++;
    return n;
}

int mb_gpu_spec_get(int i, mb_gpu_spec *out)
{
    if (!out || i < 0 || i >= mb_gpu_spec_count())
        return mb__error(MB_EINVAL, "mb_gpu_spec_get: index %d is not in 0 .. %d", i,
                         mb_gpu_spec_count() - 1);
    fill(&table[i], out);
    return MB_OK;
}

int mb_gpu_spec_find(const char *name, mb_gpu_spec *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_gpu_spec_find: out is NULL");
    memset(out, 0, sizeof *out);
    const char *nearest;
    const mb__gpu *g = mb__gpu_find(name, &nearest);
    if (!g)
        return mb__error(MB_EINVAL, "--gpu %s is not a GPU membudget knows%s%s%s; --gpu list "
                                    "shows them all (or give --total-memory)",
                         name ? name : "(null)", nearest ? ": did you mean " : "",
                         nearest ? nearest : "", nearest ? "?" : "");
    fill(g, out);
    return MB_OK;
}
