/* tools/plan_device.c: the device side of `membudget plan` (split from cmd_plan.c): the
 * `--gpu list` table, the device's snapshot (measured or a what-if), and a CPU device's KV
 * size. */
#include <string.h>

#include "plan_cli.h"

/* `plan --gpu list`: the table with its sources. */
int plan_print_gpu_list(int json)
{
    int n = mb_gpu_spec_count();
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    if (json && !arr)
        return cli_fail("out of memory while writing JSON");
    if (!json)
        printf("%-22s %-7s %-7s %10s  %-10s %s\n", "name", "vendor", "arch", "memory",
               "integrated", "source");
    for (int i = 0; i < n; i++) {
        mb_gpu_spec g;
        if (mb_gpu_spec_get(i, &g))
            return cli_fail("%s", cli_detail());
        char mem[32];
        mb_size_format_gib(g.total_memory, mem, sizeof mem);
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", g.name);
            cJSON_AddStringToObject(o, "aliases", g.aliases);
            cJSON_AddStringToObject(o, "vendor", g.vendor);
            cJSON_AddStringToObject(o, "arch", g.arch);
            cJSON_AddNumberToObject(o, "compute_capability", g.compute_capability / 10.0);
            cli_json_bytes(o, "total_memory", g.total_memory);
            cJSON_AddBoolToObject(o, "integrated", g.integrated);
            cJSON_AddStringToObject(o, "source", g.source);
            cJSON_AddItemToArray(arr, o);
        } else {
            printf("%-22s %-7s %-7s %6s GiB  %-10s %s\n", g.name, g.vendor, g.arch, mem,
                   g.integrated ? "yes" : "no", g.source);
        }
    }
    if (json)
        return cli_print_json(arr);
    printf("(totals as the runtime reports them where a published log gives them; a "
           "\"datasheet\" source is the vendor's capacity in decimal GB, a few %% off what the "
           "runtime reports: give --total-memory or plan on the device itself for the exact figure)\n");
    return fflush(stdout) == 0 ? CLI_OK : cli_fail("cannot write to standard output");
}

/* A CPU device without --kv-cache-memory-bytes: the KV size vLLM's CPU worker takes. */
int plan_apply_cpu_kv_space(plan_args *a, const mb_snapshot *s)
{
    if (strcmp(s->platform, "cpu") != 0)
        return CLI_OK; /* --kv-cache-memory-bytes too: checked against the node's available
                        * memory, and VLLM_CPU_KVCACHE_SPACE overrides it, as in vLLM */
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    mb_cpu_kv_options ko = MB_CPU_KV_OPTIONS_INIT;
    ko.utilization = a->o.gpu_memory_utilization;
    ko.kv_cache_memory_bytes = a->o.kv_cache_memory_bytes;
    int idx = 0, node = 0;
    if (mb_device_find(ctx, s->device, &idx) == MB_OK)
        node = idx; /* cpu:N is the N-th CPU device: local rank N binds to it */
    ko.local_rank = node;
    mb_cpu_kv_space kv = MB_CPU_KV_SPACE_INIT;
    int rc = mb_cpu_kv_space_get(ctx, &ko, &kv);
    if (rc == MB_EIO) {
        /* a machine dump without /proc/self/status (no resident memory to subtract): the
         * utilization rule on the node's memory, an upper bound, and the plan says so */
        snprintf(a->cpu_reason, sizeof a->cpu_reason, "not sized as vLLM's CPU worker (%s); "
                 "the utilization rule applies to the node's memory instead, an upper bound",
                 cli_detail());
        mb_context_free(ctx);
        return CLI_OK;
    }
    if (rc) {
        rc = cli_fail_rc(rc, "the CPU KV-cache size");
        mb_context_free(ctx);
        return rc;
    }
    mb_context_free(ctx);
    cli_flags(kv.reason, sizeof kv.reason);
    if (kv.bytes <= 0)
        return cli_fail("%s: %s", s->device, kv.reason);
    a->o.kv_cache_memory_bytes = kv.bytes;
    snprintf(a->cpu_reason, sizeof a->cpu_reason, "%s", kv.reason);
    return CLI_OK;
}

/* The device: measured through the library, or a what-if. */
int plan_device_snapshot(const plan_args *a, mb_snapshot *s)
{
    int rc;
    if (a->gpu_spec.name[0] && !a->device && !a->total) { /* issue 14's named GPUs */
        if ((rc = mb_snapshot_what_if(a->gpu_spec.total_memory, MB_UNKNOWN, s)))
            return cli_usage("plan", "%s", cli_detail());
        snprintf(s->device, sizeof s->device, "%s", a->gpu_spec.name);
        return CLI_OK;
    }
    if (a->est.gpu && !a->device && !a->total)
        return plan_est_snapshot(&a->est, s);
    if (a->total) {
        int64_t total, free = MB_UNKNOWN;
        if ((rc = plan_parse_size("--total-memory", a->total, &total)) ||
            (a->free && (rc = plan_parse_size("--free-memory", a->free, &free))))
            return rc;
        if ((rc = mb_snapshot_what_if(total, free, s)))
            return cli_usage("plan", "%s", cli_detail());
        return CLI_OK;
    }
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    int idx = 0;
    if (a->device) {
        if ((rc = mb_device_find(ctx, a->device, &idx))) {
            rc = cli_fail_rc(rc, "--device");
            mb_context_free(ctx);
            return rc;
        }
    } else if ((rc = mb_device_count(ctx)) < 1) {
        rc = cli_fail_rc(rc < 0 ? rc : MB_ENODEV, "no device to plan for");
        mb_context_free(ctx);
        return rc;
    }
    rc = mb_snapshot_measure(ctx, idx, NULL, s);
    if (rc) {
        mb_device_info d = MB_DEVICE_INFO_INIT;
        mb_device_get(ctx, idx, &d);
        rc = cli_fail_rc(rc, d.name);
    }
    mb_context_free(ctx);
    return rc;
}
