/*
 * core/gpus.c: the named what-if GPUs, the one table behind `membudget plan --gpu NAME`,
 * `--gpu list` and the estimate's devices (mb_estimate_device_find), and the defaults
 * vLLM 0.33.0 takes from a device (gpu_table.h).
 *
 * Totals are what the runtime reports (cudaMemGetInfo's / hipMemGetInfo's total), read
 * from a published log named per row: vLLM's start-up check (total_memory /
 * total_gpu_memory / "x/y GiB"), a PyTorch out-of-memory message ("GPU 0 has a total
 * capacity of N GiB", which PyTorch takes from cudaMemGetInfo) or another engine's log of
 * the same call. A log prints two decimals, so a figure is good to +-0.005 GiB, and boards
 * of one name differ by a few MiB with the driver and ECC. Where no such log was found the
 * row keeps the datasheet's capacity in the datasheet's unit (GB = 10^9 bytes) and says
 * "datasheet": the runtime's figure differs from it by a few % either way (an 80 GB H100
 * reports 79.19 GiB = 85.0e9 bytes; a "141 GB" H200 139.80 GiB = 150.1e9 bytes), so a plan
 * on such a row is approximate; measure the board (`membudget plan --device cuda:0`) or
 * pass total_memory for the exact figure.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gpu_table.h"
#include "internal.h"

#define GiB ((int64_t)1 << 30)
/* a datasheet's decimal gigabyte: "141 GB" is 141e9 bytes, not 141 GiB */
#define GB ((int64_t)1000000000)
/* a total as a log prints it, in GiB to two decimals */
#define LOGGED(gib) ((int64_t)((gib) * 1073741824.0 + 0.5))

static const mb__gpu table[] = {
    {"A10", "A10-24GB,A10G", "nvidia", "NVIDIA A10", LOGGED(22.05),
     "vLLM log 'Free memory on device cuda:1 (19.77/22.05 GiB)', "
     "github.com/pytorch/pytorch/issues/175666 (vLLM CI, board inferred)",
     8, 6, "sm_86", 0, "NVIDIA A10 datasheet: 24 GB GDDR6"},
    {"A100-40GB", "A100-SXM4-40GB,A100-PCIE-40GB", "nvidia", "NVIDIA A100-SXM4-40GB",
     LOGGED(39.50), "vLLM log 'total_gpu_memory (39.50GiB)', "
     "github.com/vllm-project/vllm/issues/12330", 8, 0, "sm_80", 0,
     "NVIDIA A100 datasheet: 40 GB HBM2"},
    {"A100-80GB", "A100,A100-SXM4-80GB,A100-PCIE-80GB", "nvidia", "NVIDIA A100-SXM4-80GB",
     LOGGED(79.15), "vLLM log 'Free memory on device (59.32/79.15 GiB)', "
     "github.com/ovg-project/kvcached/issues/29 (board inferred)", 8, 0, "sm_80", 0,
     "NVIDIA A100 datasheet: 80 GB HBM2e"},
    {"L4", "", "nvidia", "NVIDIA L4", LOGGED(22.03),
     "PyTorch OOM 'GPU 0 has a total capacity of 22.03 GiB' on an L4, "
     "github.com/ArcInstitute/evo2/issues/190", 8, 9, "sm_89", 0,
     "NVIDIA L4 datasheet: 24 GB GDDR6"},
    {"L40S", "", "nvidia", "NVIDIA L40S", LOGGED(44.42),
     "vLLM start-up log, 44.42 GiB total on an L40S (tests/estimate/startups.json), "
     "github.com/vllm-project/vllm/issues/15815", 8, 9, "sm_89", 0,
     "NVIDIA L40S datasheet: 48 GB GDDR6"},
    {"H100", "H100-SXM,H100-80GB,H100-SXM5-80GB,H100-80GB-HBM3", "nvidia",
     "NVIDIA H100 80GB HBM3", LOGGED(79.19),
     "vLLM 0.19 logs 'total_memory=79.19GiB', github.com/llm-d-incubation/llm-d-planner "
     "accuracy/results/v0.19.0/logs (vllm#10511 logs 79.22)", 9, 0, "sm_90", 0,
     "NVIDIA H100 datasheet (SXM): 80 GB HBM3"},
    {"H100-NVL", "", "nvidia", "NVIDIA H100 NVL", 99961274368LL,
     "NVML total (nvidia-smi's source) 99961274368 B via fastfetch, not cudaMemGetInfo's, "
     "github.com/fastfetch-cli/fastfetch/issues/1658", 9, 0, "sm_90", 0,
     "NVIDIA H100 datasheet (NVL): 94 GB HBM3"},
    {"H200", "H200-SXM", "nvidia", "NVIDIA H200", LOGGED(139.80),
     "PyTorch OOM 'GPU 0 has a total capacity of 139.80 GiB' on an H200 node, "
     "github.com/stas00/ml-engineering/blob/master/debug/pytorch.md", 9, 0, "sm_90", 0,
     "NVIDIA H200 datasheet: 141 GB HBM3e"},
    {"B200", "", "nvidia", "NVIDIA B200", LOGGED(178.35),
     "PyTorch OOM 'GPU 0 has a total capacity of 178.35 GiB' on an NVIDIA B200, "
     "github.com/stas00/ml-engineering/blob/master/debug/pytorch.md", 10, 0, "sm_100", 0,
     "NVIDIA DGX B200 datasheet: 1,440 GB HBM3e over 8 GPUs, 180 GB each"},
    {"GB10", "DGX-Spark", "nvidia", "NVIDIA GB10", LOGGED(121.69),
     "vLLM log (121.69 GiB total), github.com/MiaAI-Lab/GLM-5.3-Flash-EXL3-2x-DGX-Sparks"
     "/issues/204", 12, 1, "sm_121", 1,
     "NVIDIA DGX Spark datasheet: 128 GB LPDDR5x unified memory"},
    {"GH200", "", "nvidia", "NVIDIA GH200 480GB", 96 * GB, "datasheet", 9, 0, "sm_90", 0,
     "NVIDIA GH200 datasheet: 96 GB HBM3 on the GPU (the Grace CPU's LPDDR5X is separate)"},
    {"RTX-3090", "RTX3090,GeForce-RTX-3090", "nvidia", "NVIDIA GeForce RTX 3090",
     LOGGED(23.58), "vLLM log 'total_gpu_memory=23.58GiB', "
     "github.com/vllm-project/vllm/issues/10517", 8, 6, "sm_86", 0,
     "NVIDIA GeForce RTX 3090 specifications: 24 GB GDDR6X"},
    {"RTX-4090", "RTX4090,GeForce-RTX-4090", "nvidia", "NVIDIA GeForce RTX 4090",
     LOGGED(23.55), "vLLM log 'total_gpu_memory (23.55GiB)', "
     "github.com/vllm-project/vllm/issues/11550 (board inferred)", 8, 9, "sm_89", 0,
     "NVIDIA GeForce RTX 4090 specifications: 24 GB GDDR6X"},
    {"RTX-5090", "RTX5090,GeForce-RTX-5090", "nvidia", "NVIDIA GeForce RTX 5090",
     LOGGED(31.37), "PyTorch OOM 'GPU 0 has a total capacity of 31.37 GiB' on a 5090, "
     "github.com/Wan-Video/Wan2.1/issues/465", 12, 0, "sm_120", 0,
     "NVIDIA GeForce RTX 5090 specifications: 32 GB GDDR7"},
    {"RTX-PRO-6000", "RTXPRO6000", "nvidia", "NVIDIA RTX PRO 6000 Blackwell",
     LOGGED(94.97), "ds4 CUDA log '... free=3.12 GiB ... total=94.97 GiB' on a 96GB RTX Pro "
     "6000 Blackwell, github.com/antirez/ds4/issues/431 (not a vLLM log)", 12, 0, "sm_120", 0,
     "NVIDIA RTX PRO 6000 Blackwell datasheet: 96 GB GDDR7"},
    {"RTX-PRO-4500", "RTXPRO4500", "nvidia", "NVIDIA RTX PRO 4500 Blackwell",
     33689829376LL, "torch.cuda.get_device_properties: 33689829376 bytes, "
     "github.com/vllm-project/vllm/pull/51590", 12, 0, "sm_120", 0,
     "NVIDIA RTX PRO 4500 Blackwell datasheet: 32 GB GDDR7"},
    {"Jetson-AGX-Orin-64GB", "AGX-Orin-64GB,Orin", "nvidia", "Orin", 64 * GB, "datasheet",
     8, 7, "sm_87", 1, "NVIDIA Jetson AGX Orin datasheet: 64 GB LPDDR5 shared with the CPU"},
    {"MI250X", "", "amd", "AMD Instinct MI250X", 64 * GB, "datasheet", 0, 0, "gfx90a", 0,
     "AMD Instinct MI250X datasheet: 128 GB HBM2e over two GCDs; one GCD, 64 GB, is a "
     "device"},
    {"MI300X", "", "amd", "AMD Instinct MI300X", LOGGED(191.98),
     "PyTorch OOM 'HIP out of memory ... GPU 0 has a total capacity of 191.98 GiB' (vLLM, "
     "8x MI300X), github.com/vllm-project/vllm/issues/7951", 0, 0, "gfx942", 0,
     "AMD Instinct MI300X datasheet: 192 GB HBM3"},
    {"MI325X", "", "amd", "AMD Instinct MI325X", 256 * GB, "datasheet", 0, 0, "gfx942", 0,
     "AMD Instinct MI325X datasheet: 256 GB HBM3E"},
    {NULL, NULL, NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL},
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

/* name as a key: lowercase letters and digits, without the vendor's prefixes ("NVIDIA",
 * "GeForce", "AMD", "Instinct"); "4090" alone is the RTX part */
static void key_of(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s && n + 1 < size; s++)
        if (isalnum((unsigned char)*s))
            out[n++] = (char)tolower((unsigned char)*s);
    out[n] = '\0';
    static const char *const drop[] = {"nvidia", "geforce", "amd", "instinct"};
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
            size_t l = strlen(drop[i]);
            if (strncmp(out, drop[i], l) == 0) {
                memmove(out, out + l, strlen(out + l) + 1);
                again = 1;
            }
        }
    }
    n = strlen(out);
    if (n == 4 && isdigit((unsigned char)out[0]) && n + 4 <= size) {
        memmove(out + 3, out, n + 1);
        memcpy(out, "rtx", 3);
    }
}

/* the longest key among g's name, aliases and product that equals k (exact) or starts
 * it (prefix); 0 when none */
static size_t key_match(const mb__gpu *g, const char *k, int exact)
{
    size_t best = 0;
    char buf[256], one[64];
    snprintf(buf, sizeof buf, "%s,%s,%s", g->name, g->aliases, g->product);
    for (char *p = buf; p && *p;) {
        char *e = strchr(p, ',');
        if (e)
            *e = '\0';
        key_of(p, one, sizeof one);
        size_t l = strlen(one);
        /* a prefix of 3 or more ("h100" of "h100sxm5"); "l4" only whole */
        if (l > 0 && (exact ? strcmp(one, k) == 0 : l >= 3 && strncmp(k, one, l) == 0) &&
            l > best)
            best = l;
        p = e ? e + 1 : NULL;
    }
    return best;
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
    char k[64];
    key_of(name, k, sizeof k);
    for (int exact = 1; exact >= 0; exact--) {
        const mb__gpu *hit = NULL;
        size_t best = 0;
        for (const mb__gpu *g = table; g->name; g++) {
            size_t l = key_match(g, k, exact);
            if (l > best) {
                best = l;
                hit = g;
            }
        }
        if (hit)
            return hit;
    }
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
    /* the total's source first: "datasheet: ..." or the log, then the datasheet */
    if (strcmp(g->total_source, "datasheet") == 0)
        snprintf(out->source, sizeof out->source, "datasheet: %s", g->source);
    else
        snprintf(out->source, sizeof out->source, "%s", g->total_source);
}

MB__API(mb_gpu_spec_count, (void), ())
{
    int n = 0;
    while (table[n].name)
        n++;
    return n;
}

MB__API(mb_gpu_spec_get, (int i, mb_gpu_spec *out), (i, out))
{
    if (!out || i < 0 || i >= mb_gpu_spec_count())
        return mb__error(MB_EINVAL, "mb_gpu_spec_get: index %d is not in 0 .. %d", i,
                         mb_gpu_spec_count() - 1);
    fill(&table[i], out);
    return MB_OK;
}

MB__API(mb_gpu_spec_find, (const char *name, mb_gpu_spec *out), (name, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_gpu_spec_find: out is NULL");
    memset(out, 0, sizeof *out);
    const char *nearest;
    const mb__gpu *g = mb__gpu_find(name, &nearest);
    if (!g)
        return mb__error(MB_EINVAL, "mb_gpu_spec_find: name %s is not a GPU membudget knows%s%s%s; "
                                    "mb_gpu_spec_get lists them all (or give total_memory)",
                         name ? name : "(null)", nearest ? ": did you mean " : "",
                         nearest ? nearest : "", nearest ? "?" : "");
    fill(g, out);
    return MB_OK;
}

/* The estimate's device (membudget/vllm.h) from the same table: the runtime's product
 * name, total and capability. */
MB__API(mb_estimate_device_find, (const char *name, mb_estimate_device *out), (name, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_estimate_device_find: out is NULL");
    memset(out, 0, sizeof *out);
    out->context_memory = MB_UNKNOWN;
    if (!name || !*name)
        return mb__error(MB_EINVAL, "mb_estimate_device_find: name is empty; give a device "
                                    "name such as H100 or RTX 4090");
    const char *nearest;
    const mb__gpu *g = mb__gpu_find(name, &nearest);
    if (!g)
        return mb__error(MB_ENODEV, "mb_estimate_device_find: name '%s' is not a device "
                                    "membudget knows%s%s%s; mb_gpu_spec_get lists them all, "
                                    "or give total_memory instead",
                         name, nearest ? ": did you mean " : "",
                         nearest ? nearest : "", nearest ? "?" : "");
    snprintf(out->name, sizeof out->name, "%s", g->product);
    out->total_memory = g->total_memory;
    out->vendor = strcmp(g->vendor, "amd") == 0 ? MB_GPU_AMD : MB_GPU_NVIDIA;
    out->cc_major = g->cc_major;
    out->cc_minor = g->cc_minor;
    return MB_OK;
}
