/*
 * platform/kvspace.c: the values of vLLM's CPU environment variables, checked strictly.
 *
 * vLLM reads VLLM_CPU_KVCACHE_SPACE with int(os.getenv(...)) (vllm/envs.py) and multiplies
 * it by GiB_bytes = 2^30 (vllm/platforms/cpu.py, check_and_update_config), so the variable
 * is a whole number of GiB. Python's int() would also take " 8", "+8" and "1_0"; membudget
 * refuses them all, because a value that only works by accident of the parser is a value
 * the operator did not mean: each refusal names the variable, quotes the value and says
 * what is accepted. CPU_VISIBLE_MEMORY_NODES is read as [int(s) for s in v.split(",")]
 * (vllm/utils/cpu_resource_utils.py, get_visible_memory_node).
 */
#include <stdio.h>
#include <string.h>

#include "policy.h"

/* The largest machine Linux can address: 52 physical address bits (x86-64 five-level
 * paging, arm64 LPA) = 4 PiB = 4194304 GiB. */
#define KV_MAX_GIB ((uint64_t)1 << 22)

#define KV_ACCEPTS "a whole number of GiB such as 4 or 40 (digits only, at least 1), or unset " \
                   "or empty for the automatic size"

int mb__kv_parse_space(const char *v, int64_t *bytes)
{
    *bytes = 0;
    const char *name = "VLLM_CPU_KVCACHE_SPACE";
    size_t len = strlen(v);
    if (len == 0)
        return mb__error(MB_EENV, "%s is empty, which means the automatic size; internal: "
                                  "an empty value must not be parsed as a size", name);
    if (v[0] == ' ' || v[0] == '\t' || v[len - 1] == ' ' || v[len - 1] == '\t' ||
        v[len - 1] == '\n')
        return mb__error(MB_EENV, "%s='%s' has spaces around the number; write it without "
                                  "them: %s", name, v, KV_ACCEPTS);
    if (v[0] == '-') {
        uint64_t dummy;
        if (mb__parse_u64(v + 1, len - 1, &dummy) != MB_EPARSE)
            return mb__error(MB_EENV, "%s='%s' is negative; a KV-cache size cannot be: %s",
                             name, v, KV_ACCEPTS);
    }
    if (v[0] == '+')
        return mb__error(MB_EENV, "%s='%s' has a sign; write the digits alone: %s", name, v,
                         KV_ACCEPTS);
    int has_digit = 0, has_dot = 0, other = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] >= '0' && v[i] <= '9')
            has_digit = 1;
        else if (v[i] == '.')
            has_dot = 1;
        else
            other = 1;
    }
    if (has_digit && has_dot && !other)
        return mb__error(MB_EENV, "%s='%s' is not a whole number of GiB; vLLM reads this "
                                  "variable with int(), so round it (for example %.*s): %s",
                         name, v, (int)strcspn(v, "."), v, KV_ACCEPTS);
    uint64_t gib;
    int rc = mb__parse_u64(v, len, &gib);
    if (rc == MB_EPARSE)
        return mb__error(MB_EENV, "%s='%s' is not a number; expected %s", name, v, KV_ACCEPTS);
    if (rc == MB_ERANGE)
        return mb__error(MB_EENV, "%s='%s' does not fit in 64 bits; expected %s", name, v,
                         KV_ACCEPTS);
    if (gib == 0)
        return mb__error(MB_EENV, "%s='%s' asks for no KV cache at all; give at least 1, or "
                                  "leave the variable unset or empty for the automatic size",
                         name, v);
    if (gib > (uint64_t)INT64_MAX >> 30)
        return mb__error(MB_EENV, "%s='%s': %s GiB is more bytes than a signed 64-bit size "
                                  "holds (the most is %lld GiB); expected %s", name, v, v,
                         (long long)(INT64_MAX >> 30), KV_ACCEPTS);
    if (gib > KV_MAX_GIB)
        return mb__error(MB_EENV, "%s='%s' GiB is more than the %llu GiB (4 PiB) any Linux "
                                  "machine can address; expected %s", name, v,
                         (unsigned long long)KV_MAX_GIB, KV_ACCEPTS);
    *bytes = (int64_t)gib << 30;
    return MB_OK;
}

int mb__parse_visible_nodes(const char *v, int *nodes, int max, int *count)
{
    *count = 0;
    const char *name = "CPU_VISIBLE_MEMORY_NODES";
    const char *p = v;
    int n = 0;
    for (;;) {
        const char *e = p;
        while (*e && *e != ',')
            e++;
        uint64_t id;
        int rc = mb__parse_u64(p, (size_t)(e - p), &id);
        if (rc != MB_OK || id >= MB_MAX_NODES)
            return mb__error(MB_EENV, "%s='%s': '%.*s' is not a NUMA node id; give node ids "
                                      "separated by commas, such as 0,2 (no ranges, no "
                                      "spaces)", name, v, (int)(e - p), p);
        for (int k = 0; k < n; k++)
            if (nodes[k] == (int)id)
                return mb__error(MB_EENV, "%s='%s' names node %d twice; give each node once",
                                 name, v, (int)id);
        if (n == max)
            return mb__error(MB_EENV, "%s='%s' names more than %d nodes", name, v, max);
        nodes[n++] = (int)id;
        if (!*e)
            break;
        p = e + 1;
    }
    *count = n;
    return MB_OK;
}

int mb__self_rss(const mb_platform *plat, int64_t *rss)
{
    *rss = 0;
    char buf[16384]; /* about 1.5 KiB; the CPU masks of an 8192-CPU machine add 5 KiB */
    int present;
    long n = mb__plat_read_if(plat, "/proc/self/status", buf, sizeof buf, &present);
    if (n < 0)
        return (int)n;
    if (!present)
        return mb__error(MB_EIO, "%s/proc/self/status does not exist: the automatic CPU KV "
                                    "size subtracts the engine process's resident memory "
                                    "(VmRSS), which this machine dump does not hold; set "
                                    "VLLM_CPU_KVCACHE_SPACE to a size, or gather the dump "
                                    "with 'membudget gather' on the machine itself",
                         plat->foreign ? plat->root : "");
    char field[64];
    if (!mb__status_field(buf, "VmRSS", field, sizeof field))
        return mb__error(MB_EPARSE, "%s/proc/self/status has no VmRSS line (a kernel thread "
                                    "has none); the automatic KV size needs this process's "
                                    "resident memory", plat->foreign ? plat->root : "");
    size_t l = strcspn(field, " \t");
    uint64_t kb;
    if (mb__parse_u64(field, l, &kb) != MB_OK || kb > (uint64_t)INT64_MAX / 1024)
        return mb__error(MB_EPARSE, "/proc/self/status: VmRSS '%s' is not a size in kB", field);
    *rss = (int64_t)kb * 1024;
    return MB_OK;
}
