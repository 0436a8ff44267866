/* tools/cmd_snapshot.c: `membudget snapshot`: free and total of every device (or one). */
#include <string.h>

#include "cli.h"

int cmd_snapshot(int argc, char **argv);

int cmd_snapshot(int argc, char **argv)
{
    int json = 0;
    const char *device = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--device") == 0) {
            if (i + 1 >= argc)
                return cli_usage("snapshot", "--device needs a device name such as cpu:0");
            device = argv[++i];
        } else if (strncmp(argv[i], "--device=", 9) == 0)
            device = argv[i] + 9;
        else
            return cli_usage("snapshot", "unknown option '%s'", argv[i]);
    }
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    int first = 0, last, rc;
    int n = mb_device_count(ctx);
    if (n < 0) {
        rc = cli_fail_rc(n, "no device to measure");
        mb_context_free(ctx);
        return rc;
    }
    last = n - 1;
    if (device) {
        if ((rc = mb_device_find(ctx, device, &first))) {
            rc = cli_fail_rc(rc, "--device");
            mb_context_free(ctx);
            return rc;
        }
        last = first;
    }
    cJSON *root = json ? cJSON_CreateObject() : NULL;
    cJSON *arr = json ? cJSON_AddArrayToObject(root, "snapshots") : NULL;
    if (json) {
        mb_host_memory h;
        if (mb_host_memory_get(ctx, &h) == MB_OK) {
            cJSON *ho = cJSON_AddObjectToObject(root, "host");
            cli_json_bytes(ho, "total_memory", h.total);
            cli_json_bytes(ho, "available_memory", h.available);
            cli_json_bytes(ho, "free_memory", h.free);
        }
    }
    for (int i = first; i <= last; i++) {
        mb_snapshot s;
        if ((rc = mb_snapshot_measure(ctx, i, NULL, &s))) {
            mb_device_info d;
            mb_device_get(ctx, i, &d);
            cJSON_Delete(root);
            rc = cli_fail_rc(rc, d.name);
            mb_context_free(ctx);
            return rc;
        }
        if (json) {
            cJSON_AddItemToArray(arr, cli_snapshot_json(&s));
        } else {
            char t[32], f[32], l[32], text[512];
            mb_snapshot_format(&s, text, sizeof text);
            printf("%-8s total %s, free %s (source %s%s%s%s), container limit %s\n", s.device,
                   cli_gib(s.total_memory, t, sizeof t), cli_gib(s.free_memory, f, sizeof f),
                   mb_source_name(s.source),
                   s.flags & MB_SNAP_HOST_FALLBACK ? ", node files do not cover the host" : "",
                   s.flags & MB_SNAP_LIMITED ? ", bounded by the container" : "",
                   s.flags & MB_SNAP_CLAMPED ? ", clamped to total" : "",
                   cli_gib(s.limit, l, sizeof l));
            printf("         %s\n", text);
        }
    }
    rc = json ? cli_print_json(root) : CLI_OK;
    mb_context_free(ctx);
    return rc;
}
