/* tools/cmd_processes.c: `membudget processes [--device NAME] [--json]`: for each device
 * the processes holding its memory, their bytes and where the figure came from. */
#include <string.h>

#include "cli.h"
#include "membudget/operators.h"

int cmd_processes(int argc, char **argv);

static cJSON *proc_json(const mb_process *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pid", (double)p->pid);
    cJSON_AddNumberToObject(o, "source_pid", (double)p->source_pid);
    cJSON_AddNumberToObject(o, "ns_pid", (double)p->ns_pid);
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "cmdline", p->cmdline);
    cJSON_AddStringToObject(o, "source", mb_process_source_name(p->source));
    cli_json_bytes(o, "bytes", p->bytes);
    cli_json_bytes(o, "gtt_bytes", p->gtt_bytes);
    cli_json_bytes(o, "host_bytes", p->host_bytes);
    if (p->gpu_instance != MB_PROC_NO_INSTANCE)
        cJSON_AddNumberToObject(o, "gpu_instance", p->gpu_instance);
    else
        cJSON_AddNullToObject(o, "gpu_instance");
    if (p->compute_instance != MB_PROC_NO_INSTANCE)
        cJSON_AddNumberToObject(o, "compute_instance", p->compute_instance);
    else
        cJSON_AddNullToObject(o, "compute_instance");
    cJSON_AddBoolToObject(o, "readable", p->readable);
    cJSON_AddStringToObject(o, "note", p->note);
    return o;
}

int cmd_processes(int argc, char **argv)
{
    const char *dev = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc)
            dev = argv[++i];
        else
            return cli_usage("processes", "unknown or incomplete option '%s'", argv[i]);
    }
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    int idx = -1, rc;
    if (dev && (rc = mb_device_find(ctx, dev, &idx))) {
        mb_context_free(ctx);
        return cli_fail_rc(rc, "processes --device");
    }
    mb_process_list *l;
    if ((rc = mb_process_list_init(&l, ctx, idx))) {
        mb_context_free(ctx);
        return cli_fail_rc(rc, "processes");
    }
    int n = mb_device_count(ctx);
    cJSON *root = json ? cJSON_CreateObject() : NULL;
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "devices") : NULL;
    for (int d = 0; d < n; d++) {
        if (idx >= 0 && d != idx)
            continue;
        mb_device_info info = MB_DEVICE_INFO_INIT;
        if ((rc = mb_device_get(ctx, d, &info)))
            break;
        const char *why = mb_process_list_get_why(l, d);
        cJSON *o = NULL, *ps = NULL;
        if (root) {
            o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "device", info.name);
            cJSON_AddStringToObject(o, "why", why);
            ps = cJSON_AddArrayToObject(o, "processes");
            cJSON_AddItemToArray(arr, o);
        } else {
            printf("%s (%s)%s%s\n", info.name, info.model, why[0] ? ": " : "", why);
            printf("  %8s %8s %8s %-16s %12s %-13s %s\n", "PID", "HOST-PID", "NS-PID", "NAME",
                   "BYTES", "SOURCE", "NOTE");
        }
        int unreadable = 0, shown = 0;
        for (int k = 0; k < mb_process_list_count(l); k++) {
            const mb_process *p = mb_process_list_get_entry(l, k);
            if (strcmp(p->device, info.name) != 0)
                continue;
            if (ps) {
                cJSON_AddItemToArray(ps, proc_json(p));
                continue;
            }
            if (p->bytes == MB_UNKNOWN && p->source == MB_PROC_SOURCE_NUMA_MAPS) {
                unreadable++; /* other users' numa_maps: summed up below */
                continue;
            }
            char b[32] = "unknown";
            if (p->bytes != MB_UNKNOWN && p->bytes >= MB_GiB)
                cli_gib(p->bytes, b, sizeof b);
            else if (p->bytes != MB_UNKNOWN)
                snprintf(b, sizeof b, "%.1f MiB", (double)p->bytes / (double)MB_MiB);
            printf("  %8lld %8lld %8lld %-16.16s %12s %-13s %s\n", (long long)p->pid,
                   (long long)p->source_pid, (long long)p->ns_pid,
                   p->name[0] ? p->name : "?", b, mb_process_source_name(p->source), p->note);
            shown++;
        }
        if (!root && !shown)
            printf("  (none)\n");
        if (!root && unreadable)
            printf("  %d more processes whose numa_maps this user may not read (run as root "
                   "or as their user; --json lists them)\n", unreadable);
    }
    mb_process_list_free(l);
    mb_context_free(ctx);
    if (rc) {
        cJSON_Delete(root);
        return cli_fail_rc(rc, "processes");
    }
    return root ? cli_print_json(root) : CLI_OK;
}
