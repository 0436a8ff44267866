/* tools/cmd_kv_space.c: `membudget kv-space [--rank N] [--utilization U]
 * [--kv-cache-memory-bytes SIZE] [--json]`: the CPU KV-cache size a vLLM CPU worker of that
 * local rank would take, its NUMA node, and why. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_kv_space(int argc, char **argv);

static const char *bind_name(mb_cpu_bind b)
{
    return b == MB_CPU_BIND_NOBIND ? "nobind" : b == MB_CPU_BIND_LIST ? "list" : "auto";
}

int cmd_kv_space(int argc, char **argv)
{
    int json = 0;
    mb_cpu_kv_options o = MB_CPU_KV_OPTIONS_INIT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        int is_rank = strncmp(a, "--rank", 6) == 0 && (a[6] == '\0' || a[6] == '=');
        int is_util = strncmp(a, "--utilization", 13) == 0 && (a[13] == '\0' || a[13] == '=');
        /* vLLM's --gpu-memory-utilization is the same fraction on the CPU backend */
        if (strncmp(a, "--gpu-memory-utilization", 24) == 0 && (a[24] == '\0' || a[24] == '='))
            is_util = 1;
        int is_kv = strncmp(a, "--kv-cache-memory-bytes", 23) == 0 &&
                    (a[23] == '\0' || a[23] == '=');
        if (!is_rank && !is_util && !is_kv)
            return cli_usage("kv-space", "unknown option '%s'", a);
        const char *eq = strchr(a, '=');
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return cli_usage("kv-space", "%s needs a value", a);
        char *end;
        errno = 0;
        if (is_kv) { /* vLLM's flag (VLLM_CPU_KVCACHE_SPACE, when set, overrides it) */
            if (mb_size_parse(val, &o.kv_cache_memory_bytes) || o.kv_cache_memory_bytes <= 0)
                return cli_usage("kv-space", "--kv-cache-memory-bytes '%s': give the KV cache "
                                             "size, such as 4GiB or 4294967296", val);
        } else if (is_rank) {
            long r = strtol(val, &end, 10);
            if (!*val || *end || errno || r < 0 || r > 1 << 20)
                return cli_usage("kv-space", "--rank '%s' is not a local rank (0, 1, 2, ...)",
                                 val);
            o.local_rank = (int)r;
        } else {
            double u = strtod(val, &end);
            if (!*val || *end || errno || !(u > 0 && u <= 1))
                return cli_usage("kv-space", "--utilization '%s' is not a fraction in (0, 1]",
                                 val);
            o.utilization = u;
        }
    }
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    mb_cpu_kv_space kv = MB_CPU_KV_SPACE_INIT;
    int rc = mb_cpu_kv_space_get(ctx, &o, &kv);
    if (rc) {
        char what[64];
        snprintf(what, sizeof what, "kv-space of local rank %d", o.local_rank);
        rc = cli_fail_rc(rc, what);
        mb_context_free(ctx);
        return rc;
    }
    cli_flags(kv.reason, sizeof kv.reason);
    mb_device_info d = MB_DEVICE_INFO_INIT;
    mb_device_get(ctx, kv.rank.device, &d);
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cli_json_text(j, "decision", kv.explicit_size ? "explicit" : "auto");
        cJSON_AddNumberToObject(j, "local_rank", kv.rank.local_rank);
        cli_json_text(j, "device", d.name);
        cJSON_AddNumberToObject(j, "node", kv.rank.node);
        cli_json_text(j, "bind", bind_name(kv.rank.bind));
        cli_json_text(j, "cpus", kv.rank.cpus);
        cli_json_bytes(j, "kv_cache_bytes", kv.bytes);
        cli_json_bytes(j, "node_total_memory", kv.node_total);
        cli_json_bytes(j, "node_available_memory", kv.node_available);
        if (kv.container_limit == MB_UNLIMITED)
            cli_json_text(j, "container_limit", "unlimited");
        else
            cli_json_bytes(j, "container_limit", kv.container_limit);
        if (!kv.explicit_size) {
            cJSON_AddNumberToObject(j, "utilization", kv.utilization);
            cli_json_bytes(j, "requested_memory", kv.requested);
            cli_json_bytes(j, "resident_memory", kv.resident);
        }
        cli_json_text(j, "binding", kv.rank.reason);
        cli_json_text(j, "reason", kv.reason);
        rc = cli_print_json(j);
    } else {
        char b[32], t[32], a[32];
        printf("local rank %d: %s KV cache of %s (%lld bytes) on %s (NUMA node %d)\n",
               kv.rank.local_rank, kv.explicit_size ? "explicit" : "automatic",
               cli_gib(kv.bytes, b, sizeof b), (long long)kv.bytes, d.name, kv.rank.node);
        printf("  node: total %s, available %s\n", cli_gib(kv.node_total, t, sizeof t),
               cli_gib(kv.node_available, a, sizeof a));
        printf("  why the node: %s\n", kv.rank.reason);
        printf("  why the size: %s\n", kv.reason);
        rc = CLI_OK;
    }
    mb_context_free(ctx);
    return rc;
}
